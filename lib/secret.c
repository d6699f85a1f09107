/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl-oauth/secret.h"

void sao_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#if defined(HAVE_EXPLICIT_BZERO)
	explicit_bzero(p, n);
#elif defined(HAVE_MEMSET_S)
	memset_s(p, n, 0, n);
#else
	/* A volatile pointer keeps the stores from being optimised away. */
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
#endif
}

static void *(*secret_alloc)(size_t) = malloc;
static void (*secret_release)(void *) = free;

void sao_secret_allocator(void *(*alloc)(size_t), void (*release)(void *))
{
	secret_alloc = alloc != NULL ? alloc : malloc;
	secret_release = release != NULL ? release : free;
}

void sao_secret_init(sao_secret_t *s, size_t max)
{
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
	s->max = max;
}

/* Grows to hold need content bytes plus the NUL; old storage is wiped, not
 * realloc'ed, so no copy of the secret is left in freed memory. */
static sao_err_t secret_reserve(sao_secret_t *s, size_t need, sao_error_t *err)
{
	unsigned char *p;
	size_t cap;

	if (need > s->max)
		return sao_error_set(err, SAO_ERR_TOOBIG, "secret exceeds its limit of %zu bytes", s->max);
	if (need < s->cap)
		return SAO_OK;
	cap = s->cap ? s->cap : 256;
	while (cap <= need)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > s->max + 1)
		cap = s->max + 1;
	p = secret_alloc(cap);
	if (p == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory allocating %zu bytes", cap);
	if (s->data != NULL) {
		memcpy(p, s->data, s->len + 1);
		sao_wipe(s->data, s->cap);
		secret_release(s->data);
	} else {
		p[0] = '\0';
	}
	s->data = p;
	s->cap = cap;
	return SAO_OK;
}

sao_err_t sao_secret_append(sao_secret_t *s, const void *p, size_t n, sao_error_t *err)
{
	sao_err_t rc;

	if (n > SIZE_MAX - 1 - s->len)
		return sao_error_set(err, SAO_ERR_TOOBIG, "secret length overflows");
	rc = secret_reserve(s, s->len + n, err);
	if (rc != SAO_OK)
		return rc;
	if (n > 0)
		memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
	return SAO_OK;
}

sao_err_t sao_secret_set(sao_secret_t *s, const void *p, size_t n, sao_error_t *err)
{
	if (s->data != NULL) {
		sao_wipe(s->data, s->cap);
		s->data[0] = '\0';
	}
	s->len = 0;
	return sao_secret_append(s, p, n, err);
}

void sao_secret_clear(sao_secret_t *s)
{
	if (s->data != NULL) {
		sao_wipe(s->data, s->cap);
		secret_release(s->data);
	}
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
}

int sao_secret_equal(const sao_secret_t *a, const sao_secret_t *b)
{
	unsigned char diff = 0;

	if (a->len != b->len)
		return 0;
	for (size_t i = 0; i < a->len; i++)
		diff |= a->data[i] ^ b->data[i];
	return diff == 0;
}

void sao_fingerprint(const void *p, size_t n, char *out)
{
	/* FNV-1a, folded to 32 bits: enough to tell tokens apart in a log,
	 * far too little to recover a high-entropy token from. */
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, SAO_FINGERPRINT_LEN + 1, "fp:%08x", (unsigned)((h >> 32) ^ (h & 0xffffffffU)));
}
