/* SPDX-License-Identifier: MIT */
/*
 * secret: buffers for bytes that must never leak (tokens, refresh tokens,
 * client secrets, encoded SASL messages, JSON responses holding tokens).
 *
 * Invariants: every buffer has a ceiling fixed at init; growth checks the
 * ceiling and size arithmetic; old storage is wiped before it is freed; data
 * is always NUL-terminated (so it can be handed to C APIs) but length is
 * authoritative and embedded NULs are the caller's business. There is no
 * print function: logs get sao_fingerprint(). The struct owns its storage;
 * sao_secret_clear() wipes and frees it and leaves an empty buffer.
 */
#ifndef SAO_SECRET_H
#define SAO_SECRET_H

#include <stddef.h>

#include "sasl-oauth/error.h"

/* Largest token (access or refresh) we accept from any source. Entra ID
 * access tokens exceed 4 KB and refresh tokens of some providers 64 KB
 * (issue 13: a 70 KB one); two of these still fit a cache file
 * (SAO_CACHE_FILE_MAX) and an HTTP answer (SAO_HTTP_BODY_MAX). Nothing on
 * the token path is smaller than this. */
#define SAO_TOKEN_MAX (256 * 1024)

typedef struct sao_secret {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max;
} sao_secret_t;

/* Where every secret's storage comes from and goes back to: malloc and free
 * until changed (NULL restores them). The plugin hands in libsasl2's
 * allocator, so a program's sasl_set_alloc sees every secret: it can fail
 * them, and a test can check each block is wiped before it is returned.
 * Call it before the first secret is allocated. */
void sao_secret_allocator(void *(*alloc)(size_t), void (*release)(void *));

/* Overwrites n bytes in a way the compiler may not elide. */
void sao_wipe(void *p, size_t n);

/* Empty buffer with ceiling max (bytes of content, excluding the NUL). */
void sao_secret_init(sao_secret_t *s, size_t max);

/* Appends n bytes. Fails with SAO_ERR_TOOBIG past the ceiling and
 * SAO_ERR_NOMEM on allocation failure; the buffer is unchanged then. */
sao_err_t sao_secret_append(sao_secret_t *s, const void *p, size_t n, sao_error_t *err);

/* Replaces the content with n bytes (wiping the old content first). */
sao_err_t sao_secret_set(sao_secret_t *s, const void *p, size_t n, sao_error_t *err);

/* Wipes and frees the storage; the ceiling is kept. */
void sao_secret_clear(sao_secret_t *s);

/* 1 when both hold the same bytes. Time depends only on the lengths. */
int sao_secret_equal(const sao_secret_t *a, const sao_secret_t *b);

#define SAO_FINGERPRINT_LEN 11 /* "fp:" + 8 hex digits */

/* Writes a short, non-reversible fingerprint of p (for logs) into out, which
 * must hold SAO_FINGERPRINT_LEN + 1 bytes. */
void sao_fingerprint(const void *p, size_t n, char *out);

#endif
