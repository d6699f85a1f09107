/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sasl-oauth/crypto.h"

/* RFC 4648 §4 and §5: the two alphabets differ in their last two
 * characters only. */
static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 7636 §4.1: code-verifier = 43*128unreserved,
 * unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (66 characters). */
static const char pkce_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
#define PKCE_ALPHABET_LEN (sizeof(pkce_alphabet) - 1)
/* Random bytes at or above the largest multiple of 66 that fits in a byte
 * (198) are thrown away: a plain "byte % 66" would make the first 58
 * characters a third more likely than the last 8. */
#define PKCE_ACCEPT_BELOW (256 - 256 % PKCE_ALPHABET_LEN)

/* Input bytes encoded per step of b64_append(); a multiple of 3, so only
 * the last step can end in a partial group. */
#define B64_STEP 48

/* The reason of the earliest queued OpenSSL error (the root cause; later
 * entries only say which layer passed it up). A static string. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "no reason given by OpenSSL";
}

static int digest(const EVP_MD *md, const void *p, size_t n, unsigned char *out, unsigned int want)
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, md, NULL) != 1 || len != want) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

/* Encodes n bytes into out: 4 characters per 3 bytes, and for a final
 * partial group 2 or 3 characters, followed by "=" padding to 4 when pad is
 * set. No NUL. Returns the characters written. */
static size_t b64_encode(const char *alphabet, int pad, const unsigned char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;
	uint32_t v;

	for (; n - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[(v >> 18) & 0x3f];
		out[o++] = alphabet[(v >> 12) & 0x3f];
		out[o++] = alphabet[(v >> 6) & 0x3f];
		out[o++] = alphabet[v & 0x3f];
	}
	if (n - i == 0)
		return o;
	v = (uint32_t)in[i] << 16;
	if (n - i == 2)
		v |= (uint32_t)in[i + 1] << 8;
	out[o++] = alphabet[(v >> 18) & 0x3f];
	out[o++] = alphabet[(v >> 12) & 0x3f];
	if (n - i == 2)
		out[o++] = alphabet[(v >> 6) & 0x3f];
	else if (pad)
		out[o++] = '=';
	if (pad)
		out[o++] = '=';
	return o;
}

/* Appends the encoding of p to out, all or nothing. */
static sao_err_t b64_append(const char *alphabet, int pad, const char *name, const void *p, size_t n,
                            sao_secret_t *out, sao_error_t *err)
{
	const unsigned char *in = p;
	char step[B64_STEP / 3 * 4];
	size_t start = out->len;
	size_t need, done = 0;
	sao_err_t rc = SAO_ERR_INTERNAL;

	/* Checked up front so the ceiling error names the encoding, and so a
	 * half-written result can only come from an allocation failure. */
	if (n / 3 > (SIZE_MAX - 4) / 4) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG, "%s encoding of %zu bytes overflows", name, n);
		goto out;
	}
	if (pad)
		need = (n / 3 + (n % 3 != 0)) * 4;
	else
		need = n / 3 * 4 + (n % 3 != 0 ? n % 3 + 1 : 0);
	if (out->len > out->max || need > out->max - out->len) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG,
		                   "%s text of %zu bytes does not fit: the buffer holds %zu of at most %zu bytes", name,
		                   need, out->len, out->max);
		goto out;
	}
	while (done < n) {
		size_t take = n - done < B64_STEP ? n - done : B64_STEP;
		size_t m = b64_encode(alphabet, pad, in + done, take, step);

		rc = sao_secret_append(out, step, m, err);
		if (rc != SAO_OK)
			goto out;
		done += take;
	}
	rc = SAO_OK;
out:
	/* The input may be a signature, a secret or a key-derived value. */
	sao_wipe(step, sizeof(step));
	if (rc != SAO_OK && out->data != NULL && out->len > start) {
		sao_wipe(out->data + start, out->len - start);
		out->len = start;
	}
	return rc;
}

sao_err_t sao_crypto_random(void *buf, size_t n, sao_error_t *err)
{
	unsigned char *p = buf;

	/* So a failure's reason is this call's, not a stale one. */
	ERR_clear_error();
	/* RAND_bytes() counts in int. */
	while (n > 0) {
		int step = n > INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(p, step) != 1) {
			const char *why = ossl_reason();

			ERR_clear_error();
			return sao_error_set(err, SAO_ERR_INTERNAL,
			                     "cannot get random bytes from OpenSSL: %s; check that the "
			                     "system random source (getrandom, /dev/urandom) works",
			                     why);
		}
		p += step;
		n -= (size_t)step;
	}
	return SAO_OK;
}

/* EVP_Digest() fails only when memory runs out or the provider
 * configuration is broken. The contract has no way to say so; a zeroed
 * digest at least never leaks stack bytes and matches nothing real. */
void sao_crypto_sha256(const void *p, size_t n, unsigned char out[SAO_SHA256_LEN])
{
	if (!digest(EVP_sha256(), p, n, out, SAO_SHA256_LEN))
		memset(out, 0, SAO_SHA256_LEN);
}

void sao_crypto_sha1(const void *p, size_t n, unsigned char out[SAO_SHA1_LEN])
{
	if (!digest(EVP_sha1(), p, n, out, SAO_SHA1_LEN))
		memset(out, 0, SAO_SHA1_LEN);
}

sao_err_t sao_crypto_b64url(const void *p, size_t n, sao_secret_t *out, sao_error_t *err)
{
	return b64_append(b64url_alphabet, 0, "base64url", p, n, out, err);
}

sao_err_t sao_crypto_b64(const void *p, size_t n, sao_secret_t *out, sao_error_t *err)
{
	return b64_append(b64_alphabet, 1, "base64", p, n, out, err);
}

sao_err_t sao_crypto_pkce(char verifier_r[SAO_PKCE_VERIFIER_LEN + 1], char challenge_r[SAO_PKCE_CHALLENGE_LEN + 1],
                          sao_error_t *err)
{
	/* 64 characters need about 83 bytes at the 198/256 acceptance rate;
	 * 96 makes a second draw rare. */
	unsigned char rnd[96];
	unsigned char md[SAO_SHA256_LEN];
	size_t got = 0;
	sao_err_t rc = SAO_ERR_INTERNAL;

	verifier_r[0] = '\0';
	challenge_r[0] = '\0';
	while (got < SAO_PKCE_VERIFIER_LEN) {
		rc = sao_crypto_random(rnd, sizeof(rnd), err);
		if (rc != SAO_OK)
			goto out;
		for (size_t i = 0; i < sizeof(rnd) && got < SAO_PKCE_VERIFIER_LEN; i++) {
			if (rnd[i] < PKCE_ACCEPT_BELOW)
				verifier_r[got++] = pkce_alphabet[rnd[i] % PKCE_ALPHABET_LEN];
		}
	}
	verifier_r[SAO_PKCE_VERIFIER_LEN] = '\0';
	/* RFC 7636 §4.2: S256 code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
	if (!digest(EVP_sha256(), verifier_r, SAO_PKCE_VERIFIER_LEN, md, SAO_SHA256_LEN)) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "cannot compute the PKCE challenge: SHA-256 failed in OpenSSL");
		goto out;
	}
	challenge_r[b64_encode(b64url_alphabet, 0, md, sizeof(md), challenge_r)] = '\0';
	rc = SAO_OK;
out:
	sao_wipe(rnd, sizeof(rnd));
	sao_wipe(md, sizeof(md));
	if (rc != SAO_OK) {
		/* The verifier is the secret half of the pair. */
		sao_wipe(verifier_r, SAO_PKCE_VERIFIER_LEN + 1);
		sao_wipe(challenge_r, SAO_PKCE_CHALLENGE_LEN + 1);
	}
	return rc;
}

sao_err_t sao_crypto_uuid(char out_r[SAO_UUID_LEN + 1], sao_error_t *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t o = 0;
	sao_err_t rc;

	out_r[0] = '\0';
	rc = sao_crypto_random(b, sizeof(b), err);
	if (rc != SAO_OK)
		return rc;
	/* RFC 9562 §5.4: version 4 in the high nibble of octet 6, variant
	 * 0b10 in the two high bits of octet 8. */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out_r[o++] = '-';
		out_r[o++] = hex[b[i] >> 4];
		out_r[o++] = hex[b[i] & 0x0f];
	}
	out_r[o] = '\0';
	return SAO_OK;
}
