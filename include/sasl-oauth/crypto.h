/* SPDX-License-Identifier: MIT */
/*
 * crypto: the small secret/random helper of oauth/ (OpenSSL): random bytes,
 * SHA-1/SHA-256, base64url, PKCE (RFC 7636) and random identifiers.
 * Stateless; outputs are caller-owned. Used by the CLI only, never by the
 * plugin.
 */
#ifndef SAO_CRYPTO_H
#define SAO_CRYPTO_H

#include <stddef.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define SAO_SHA256_LEN 32
#define SAO_SHA1_LEN 20
#define SAO_PKCE_VERIFIER_LEN 64  /* RFC 7636 §4.1: 43..128 unreserved characters */
#define SAO_PKCE_CHALLENGE_LEN 43 /* base64url(SHA-256), no padding */
#define SAO_UUID_LEN 36

/* n cryptographically strong random bytes. SAO_ERR_INTERNAL on failure. */
sao_err_t sao_crypto_random(void *buf, size_t n, sao_error_t *err);

void sao_crypto_sha256(const void *p, size_t n, unsigned char out[SAO_SHA256_LEN]);
void sao_crypto_sha1(const void *p, size_t n, unsigned char out[SAO_SHA1_LEN]);

/* Appends base64url (RFC 4648 §5) of p to out, without padding. */
sao_err_t sao_crypto_b64url(const void *p, size_t n, sao_secret_t *out, sao_error_t *err);

/* Appends standard base64 (RFC 4648 §4) of p to out, with padding. */
sao_err_t sao_crypto_b64(const void *p, size_t n, sao_secret_t *out, sao_error_t *err);

/* A fresh PKCE pair: verifier (SAO_PKCE_VERIFIER_LEN chars of
 * [A-Za-z0-9-._~]) and challenge = base64url(SHA-256(verifier)). Both
 * NUL-terminated. */
sao_err_t sao_crypto_pkce(char verifier_r[SAO_PKCE_VERIFIER_LEN + 1], char challenge_r[SAO_PKCE_CHALLENGE_LEN + 1],
                          sao_error_t *err);

/* A random (version 4) UUID in lower-case text, for jti and state. */
sao_err_t sao_crypto_uuid(char out_r[SAO_UUID_LEN + 1], sao_error_t *err);

#endif
