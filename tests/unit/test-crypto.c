/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/crypto.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define S(lit) lit, sizeof(lit) - 1

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/* ---- base64 and base64url ---------------------------------------------- */

struct b64_row {
	const char *in;
	size_t inlen;
	const char *want_url; /* RFC 4648 §5, unpadded (RFC 7515 §2) */
	const char *want_std; /* RFC 4648 §4, padded */
};

/* RFC 4648 §10 test vectors, plus inputs that reach the two characters in
 * which the alphabets differ. */
static const struct b64_row b64_rows[] = {
	{ S(""), "", "" },
	{ S("f"), "Zg", "Zg==" },
	{ S("fo"), "Zm8", "Zm8=" },
	{ S("foo"), "Zm9v", "Zm9v" },
	{ S("foob"), "Zm9vYg", "Zm9vYg==" },
	{ S("fooba"), "Zm9vYmE", "Zm9vYmE=" },
	{ S("foobar"), "Zm9vYmFy", "Zm9vYmFy" },
	{ S("\xfb\xff"), "-_8", "+/8=" },
	{ S("\xfb\xef\xbe"), "----", "++++" },
	{ S("\xff\xff\xff"), "____", "////" },
	{ S("\x00"), "AA", "AA==" },
	{ S("\x00\x00\x00\x00"), "AAAAAA", "AAAAAA==" },
};

/* Bit by bit, the slow obvious way, to check the fast encoder on every
 * length around its internal step. */
static size_t ref_b64(const char *alphabet, int pad, const unsigned char *in, size_t n, char *out)
{
	size_t bits = n * 8, o = 0;

	for (size_t b = 0; b < bits; b += 6) {
		unsigned v = 0;

		for (size_t k = 0; k < 6; k++) {
			size_t bit = b + k;

			v <<= 1;
			if (bit < bits && ((in[bit / 8] >> (7 - bit % 8)) & 1))
				v |= 1;
		}
		out[o++] = alphabet[v];
	}
	while (pad && o % 4 != 0)
		out[o++] = '=';
	out[o] = '\0';
	return o;
}

static void test_b64url_vectors(void)
{
	for (size_t i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++) {
		const struct b64_row *r = &b64_rows[i];
		sao_secret_t out;
		sao_error_t err;

		sao_error_clear(&err);
		sao_secret_init(&out, 100);
		CHECK_MSG(sao_crypto_b64url(r->in, r->inlen, &out, &err) == SAO_OK, "row %zu: %s", i, err.msg);
		CHECK_BYTES(out.data != NULL ? (const char *)out.data : "", out.len, r->want_url, strlen(r->want_url));
		sao_secret_clear(&out);
		CHECK_MSG(sao_crypto_b64(r->in, r->inlen, &out, &err) == SAO_OK, "row %zu: %s", i, err.msg);
		CHECK_BYTES(out.data != NULL ? (const char *)out.data : "", out.len, r->want_std, strlen(r->want_std));
		sao_secret_clear(&out);
	}
}

static void test_b64url_lengths(void)
{
	unsigned char in[300];
	char want[401];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(in); n++) {
		sao_secret_t out;
		size_t wantlen = ref_b64(url_alphabet, 0, in, n, want);

		sao_secret_init(&out, 1000);
		CHECK_MSG(sao_crypto_b64url(in, n, &out, NULL) == SAO_OK, "length %zu", n);
		CHECK_BYTES(out.data != NULL ? (const char *)out.data : "", out.len, want, wantlen);
		CHECK(out.data == NULL || out.data[out.len] == '\0');
		sao_secret_clear(&out);
		wantlen = ref_b64(std_alphabet, 1, in, n, want);
		CHECK_MSG(sao_crypto_b64(in, n, &out, NULL) == SAO_OK, "length %zu", n);
		CHECK_BYTES(out.data != NULL ? (const char *)out.data : "", out.len, want, wantlen);
		sao_secret_clear(&out);
	}
}

static void test_b64url_append_and_ceiling(void)
{
	sao_secret_t out;
	sao_error_t err;

	/* Appends after what is there (a JWS is built part by part). */
	sao_secret_init(&out, 10);
	CHECK(sao_secret_set(&out, "x.", 2, NULL) == SAO_OK);
	CHECK(sao_crypto_b64url("foo", 3, &out, NULL) == SAO_OK);
	CHECK_BYTES(out.data, out.len, "x.Zm9v", 6);
	/* "fooba" needs 7 more characters, 4 are left: refused, unchanged. */
	sao_error_clear(&err);
	CHECK(sao_crypto_b64url("fooba", 5, &out, &err) == SAO_ERR_TOOBIG);
	CHECK_BYTES(out.data, out.len, "x.Zm9v", 6);
	CHECK(out.data[out.len] == '\0');
	CHECK_MSG(err.code == SAO_ERR_TOOBIG && strstr(err.msg, "base64url") != NULL, "%s", err.msg);
	/* Exactly up to the ceiling is fine. */
	CHECK(sao_crypto_b64url("foo", 3, &out, NULL) == SAO_OK);
	CHECK_BYTES(out.data, out.len, "x.Zm9vZm9v", 10);
	sao_secret_clear(&out);
	/* The padded form counts its padding against the ceiling: "f" needs
	 * 4 characters, not 2. */
	sao_secret_init(&out, 3);
	sao_error_clear(&err);
	CHECK(sao_crypto_b64("f", 1, &out, &err) == SAO_ERR_TOOBIG);
	CHECK(out.len == 0);
	CHECK_MSG(strstr(err.msg, "base64 text of 4 bytes") != NULL, "%s", err.msg);
	CHECK(sao_crypto_b64url("f", 1, &out, NULL) == SAO_OK);
	CHECK_BYTES(out.data, out.len, "Zg", 2);
	sao_secret_clear(&out);
}

/* ---- digests ------------------------------------------------------------ */

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

struct digest_row {
	const char *in;
	size_t inlen;
	const char *sha256;
	const char *sha1;
};

/* FIPS 180-2 appendix examples and the empty string. */
static const struct digest_row digest_rows[] = {
	{ S("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	  "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ S(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	  "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
};

static void test_digests(void)
{
	for (size_t i = 0; i < sizeof(digest_rows) / sizeof(digest_rows[0]); i++) {
		const struct digest_row *r = &digest_rows[i];
		unsigned char md256[SAO_SHA256_LEN], md1[SAO_SHA1_LEN];
		char h[2 * SAO_SHA256_LEN + 1];

		sao_crypto_sha256(r->in, r->inlen, md256);
		hex(md256, sizeof(md256), h);
		CHECK_BYTES(h, strlen(h), r->sha256, strlen(r->sha256));
		sao_crypto_sha1(r->in, r->inlen, md1);
		hex(md1, sizeof(md1), h);
		CHECK_BYTES(h, strlen(h), r->sha1, strlen(r->sha1));
	}
}

/* ---- PKCE --------------------------------------------------------------- */

static void test_pkce_rfc7636_vector(void)
{
	/* RFC 7636 Appendix B. */
	static const char verifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	static const char challenge[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
	unsigned char md[SAO_SHA256_LEN];
	sao_secret_t out;

	sao_crypto_sha256(verifier, strlen(verifier), md);
	sao_secret_init(&out, 100);
	CHECK(sao_crypto_b64url(md, sizeof(md), &out, NULL) == SAO_OK);
	CHECK_BYTES(out.data, out.len, challenge, strlen(challenge));
	sao_secret_clear(&out);
}

#define PKCE_RUNS 400

static void test_pkce_pairs(void)
{
	char v[SAO_PKCE_VERIFIER_LEN + 1], c[SAO_PKCE_CHALLENGE_LEN + 1];
	char first[SAO_PKCE_VERIFIER_LEN + 1] = "";
	unsigned long counts[sizeof(unreserved) - 1] = { 0 };
	int bad_chars = 0, bad_challenge = 0, same = 0, missing = 0;
	double expect, chi2 = 0;
	sao_error_t err;

	for (int run = 0; run < PKCE_RUNS; run++) {
		unsigned char md[SAO_SHA256_LEN];
		sao_secret_t want;

		sao_error_clear(&err);
		memset(v, 'X', sizeof(v));
		memset(c, 'X', sizeof(c));
		CHECK_MSG(sao_crypto_pkce(v, c, &err) == SAO_OK, "%s", err.msg);
		if (strlen(v) != SAO_PKCE_VERIFIER_LEN || strlen(c) != SAO_PKCE_CHALLENGE_LEN) {
			CHECK_MSG(0, "lengths %zu and %zu", strlen(v), strlen(c));
			continue;
		}
		for (size_t i = 0; i < SAO_PKCE_VERIFIER_LEN; i++) {
			const char *pos = strchr(unreserved, v[i]);

			if (pos == NULL)
				bad_chars++;
			else
				counts[pos - unreserved]++;
		}
		/* The challenge must belong to the verifier (S256). */
		sao_crypto_sha256(v, SAO_PKCE_VERIFIER_LEN, md);
		sao_secret_init(&want, 100);
		if (sao_crypto_b64url(md, sizeof(md), &want, NULL) != SAO_OK || want.len != SAO_PKCE_CHALLENGE_LEN ||
		    memcmp(want.data, c, want.len) != 0)
			bad_challenge++;
		sao_secret_clear(&want);
		if (run == 0)
			memcpy(first, v, sizeof(first));
		else if (strcmp(first, v) == 0)
			same++;
	}
	CHECK_MSG(bad_chars == 0, "%d characters outside [A-Za-z0-9-._~]", bad_chars);
	CHECK_MSG(bad_challenge == 0, "%d challenges are not base64url(sha256(verifier))", bad_challenge);
	CHECK_MSG(same == 0, "%d verifiers repeat the first one", same);
	/* Every character of the alphabet turns up, and no character is
	 * favoured: a "byte % 66" verifier makes 58 characters a third more
	 * likely than the other 8, which puts chi-square near 250 for this
	 * many samples. An unbiased one passes the 135 limit (65 degrees of
	 * freedom) all but about once in a million runs. */
	expect = (double)PKCE_RUNS * SAO_PKCE_VERIFIER_LEN / (double)(sizeof(unreserved) - 1);
	for (size_t i = 0; i < sizeof(unreserved) - 1; i++) {
		double d = (double)counts[i] - expect;

		if (counts[i] == 0)
			missing++;
		chi2 += d * d / expect;
	}
	CHECK_MSG(missing == 0, "%d alphabet characters never used", missing);
	CHECK_MSG(chi2 < 135.0, "character counts are uneven: chi-square %.1f", chi2);
}

/* ---- random and UUIDs --------------------------------------------------- */

static int is_uuid4(const char *u)
{
	if (strlen(u) != SAO_UUID_LEN)
		return 0;
	for (size_t i = 0; i < SAO_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash != (u[i] == '-'))
			return 0;
		if (!dash && strchr("0123456789abcdef", u[i]) == NULL)
			return 0;
	}
	/* RFC 9562 §5.4: version 4, variant 10xx. */
	return u[14] == '4' && strchr("89ab", u[19]) != NULL;
}

static void test_uuid(void)
{
	char a[SAO_UUID_LEN + 1], b[SAO_UUID_LEN + 1];
	sao_error_t err;

	sao_error_clear(&err);
	CHECK_MSG(sao_crypto_uuid(a, &err) == SAO_OK, "%s", err.msg);
	CHECK(sao_crypto_uuid(b, &err) == SAO_OK);
	CHECK_MSG(is_uuid4(a), "'%s'", a);
	CHECK_MSG(is_uuid4(b), "'%s'", b);
	CHECK(strcmp(a, b) != 0);
}

/* The variant nibble takes all four of its values over enough runs, so only
 * its two fixed bits are forced. */
static void test_uuid_variant_spread(void)
{
	static const char variants[] = "89ab";
	char u[SAO_UUID_LEN + 1];
	unsigned seen = 0;

	for (int i = 0; i < 200; i++) {
		const char *pos;

		CHECK(sao_crypto_uuid(u, NULL) == SAO_OK);
		CHECK_MSG(is_uuid4(u), "'%s'", u);
		pos = strchr(variants, u[19]);
		if (pos != NULL)
			seen |= 1U << (pos - variants);
	}
	CHECK_MSG(seen == 0xf, "variant nibbles seen: %#x", seen);
}

static void test_random(void)
{
	unsigned char a[32], b[32];
	unsigned char zero[32] = { 0 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK(sao_crypto_random(a, sizeof(a), NULL) == SAO_OK);
	CHECK(sao_crypto_random(b, sizeof(b), NULL) == SAO_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK(sao_crypto_random(NULL, 0, NULL) == SAO_OK);
}

int main(void)
{
	test_b64url_vectors();
	test_b64url_lengths();
	test_b64url_append_and_ceiling();
	test_digests();
	test_pkce_rfc7636_vector();
	test_pkce_pairs();
	test_uuid();
	test_uuid_variant_spread();
	test_random();
	return check_done("test-crypto");
}
