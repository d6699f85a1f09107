/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "testlib.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/jwt.h"
#include "sasl-oauth/secret.h"

/*
 * Keys and certificates are made here at run time, with the EVP API, into a
 * private temporary directory that is removed at the end: nothing secret is
 * committed and no openssl binary is needed. The checks decode, parse and
 * verify assertions with code independent of oauth/jwt.c (OpenSSL's base64
 * and EVP_DigestVerify).
 */

#define PBUF 512
#define NOW ((int64_t)1700000000)
#define LIFETIME 600
#define CLIENT_ID "00000000-1111-2222-3333-444444444444"
#define AUDIENCE "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"

/* The pair everything is checked against, and a second, unrelated key. */
static EVP_PKEY *pkey;
static EVP_PKEY *other;
static X509 *cert;
/* Whether OpenSSL's legacy provider could make an RC2-encrypted file. */
static int have_legacy;

static void path_in(char *buf, const char *name)
{
	test_path(buf, PBUF, name);
}

/* path_in() for one-off uses; the result lives until the next call. */
static const char *dirpath(const char *name)
{
	static char buf[PBUF];

	path_in(buf, name);
	return buf;
}

/* ---- fixtures ----------------------------------------------------------- */

static X509 *make_cert(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *name;
	int ok;

	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	ok = X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), 42) == 1 &&
	     X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL && X509_set_pubkey(x, k) == 1 &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0) == 1 &&
	     X509_set_issuer_name(x, name) == 1 && X509_sign(x, k, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

enum pem_what { PEM_CERT, PEM_KEY, PEM_KEY_PKCS1, PEM_KEY_ENC };

/* Appends one PEM block of the given kind to the file. */
static int write_pem(const char *name, const char *mode, enum pem_what what, EVP_PKEY *k)
{
	char path[PBUF];
	BIO *b;
	int ok = 0;

	path_in(path, name);
	b = BIO_new_file(path, mode);
	if (b == NULL)
		return 0;
	switch (what) {
	case PEM_CERT:
		ok = PEM_write_bio_X509(b, cert);
		break;
	case PEM_KEY:
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
		break;
	case PEM_KEY_PKCS1:
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
		break;
	case PEM_KEY_ENC:
		ok = PEM_write_bio_PrivateKey(b, k, EVP_aes_256_cbc(), (unsigned char *)"pw", 2, NULL, NULL);
		break;
	}
	BIO_free(b);
	return ok == 1;
}

static int write_der_cert(const char *name)
{
	char path[PBUF];
	BIO *b;
	int ok;

	path_in(path, name);
	b = BIO_new_file(path, "w");
	if (b == NULL)
		return 0;
	ok = i2d_X509_bio(b, cert);
	BIO_free(b);
	return ok == 1;
}

/* nid -1 leaves the bags unencrypted, so pass may be NULL. */
static int write_p12(const char *name, const char *pass, int nid)
{
	char path[PBUF];
	PKCS12 *p12;
	BIO *b;
	int ok = 0;

	path_in(path, name);
	p12 = PKCS12_create(pass, "test", pkey, cert, NULL, nid, nid, 0, 0, 0);
	if (p12 == NULL)
		return 0;
	b = BIO_new_file(path, "w");
	if (b != NULL)
		ok = i2d_PKCS12_bio(b, p12) == 1;
	BIO_free(b);
	PKCS12_free(p12);
	return ok;
}

/* A file as Windows or OpenSSL 1.x export it (RC2-40 for the certificate,
 * 3DES for the key), made in a private library context so the default
 * context the code under test uses stays without the legacy provider.
 * Returns 1 when written, 0 when the legacy provider is not installed. */
static int write_legacy_p12(const char *name)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *legacy = NULL, *dflt = NULL;
	PKCS12 *p12 = NULL;
	char path[PBUF];
	BIO *b;
	int ok = 0;

	path_in(path, name);
	if (ctx != NULL) {
		legacy = OSSL_PROVIDER_load(ctx, "legacy");
		dflt = OSSL_PROVIDER_load(ctx, "default");
	}
	if (legacy != NULL && dflt != NULL)
		p12 = PKCS12_create_ex("pw", "test", pkey, cert, NULL, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
		                       NID_pbe_WithSHA1And40BitRC2_CBC, 0, 0, 0, ctx, NULL);
	if (p12 != NULL) {
		b = BIO_new_file(path, "w");
		if (b != NULL)
			ok = i2d_PKCS12_bio(b, p12) == 1;
		BIO_free(b);
	}
	PKCS12_free(p12);
	OSSL_PROVIDER_unload(legacy);
	OSSL_PROVIDER_unload(dflt);
	OSSL_LIB_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static int setup(void)
{
	EVP_PKEY *ec;
	int ok;

	test_dir_init("test-jwt");
	pkey = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(1024); /* only has to differ; smaller is faster under valgrind */
	ec = EVP_EC_gen("P-256");
	cert = pkey != NULL ? make_cert(pkey) : NULL;
	ok = pkey != NULL && other != NULL && ec != NULL && cert != NULL &&
	     write_pem("cert.pem", "w", PEM_CERT, NULL) &&
	     write_pem("key.pem", "w", PEM_KEY, pkey) && write_pem("key-pkcs1.pem", "w", PEM_KEY_PKCS1, pkey) &&
	     write_pem("both.pem", "w", PEM_CERT, NULL) && write_pem("both.pem", "a", PEM_KEY, pkey) &&
	     write_pem("both-rev.pem", "w", PEM_KEY_PKCS1, pkey) && write_pem("both-rev.pem", "a", PEM_CERT, NULL) &&
	     write_pem("enc.pem", "w", PEM_KEY_ENC, pkey) && write_pem("ec.pem", "w", PEM_KEY, ec) &&
	     write_pem("other-key.pem", "w", PEM_KEY, other) && write_der_cert("cert.der") &&
	     test_write_text(dirpath("junk.txt"), 0600, "this is not a certificate\n") == 0 && write_p12("pw.p12", "secret pw", 0) &&
	     write_p12("nopw.p12", NULL, -1) && write_p12("empty.p12", "", 0) && mkdir(dirpath("dir.d"), 0700) == 0;
	EVP_PKEY_free(ec);
	if (!ok) {
		fprintf(stderr, "test-jwt: cannot create the test keys and files in %s\n", test_dir());
		ERR_print_errors_fp(stderr);
		return 0;
	}
	have_legacy = write_legacy_p12("legacy.p12");
	return 1;
}

static void teardown(void)
{
	test_dir_done();
	X509_free(cert);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(other);
}

/* ---- independent decoding and verification ------------------------------ */

/* base64url text (no padding) to bytes through OpenSSL's standard base64;
 * returns the length or -1 for text outside the url alphabet. */
static int unb64url(const char *s, size_t n, unsigned char *out, size_t size)
{
	char buf[4096];
	size_t m = 0;
	int len;

	if (n % 4 == 1 || n + 3 >= sizeof(buf) || (n + 3) / 4 * 3 > size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+' || c == '/' || c == '=')
			return -1;
		buf[m++] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (m % 4 != 0)
		buf[m++] = '=';
	len = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)m);
	if (len < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	return len - (int)(m - n);
}

static void b64url(const unsigned char *p, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
}

/* x5t#S256 (or x5t) of the test certificate, computed from its DER here. */
static void thumbprint(const EVP_MD *md, char *out)
{
	unsigned char *der = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	int len = i2d_X509(cert, &der);

	out[0] = '\0';
	if (len > 0 && EVP_Digest(der, (size_t)len, h, &hlen, md, NULL) == 1)
		b64url(h, hlen, out);
	OPENSSL_free(der);
}

static int verify(int pss, const void *msg, size_t msglen, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1;
	if (ok && pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
	else if (ok)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	if (ok)
		ok = EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* One assertion taken apart. */
struct parts {
	const char *text; /* the whole assertion */
	size_t input_len;  /* header "." claims */
	sao_json_t *header;
	sao_json_t *claims;
	unsigned char sig[1024];
	int siglen;
};

static void parts_free(struct parts *p)
{
	sao_json_free(&p->header);
	sao_json_free(&p->claims);
}

static int split(const sao_secret_t *a, struct parts *p)
{
	const char *s = (const char *)a->data;
	const char *d1, *d2;
	unsigned char buf[2048];
	int n;

	memset(p, 0, sizeof(*p));
	p->siglen = -1;
	if (s == NULL || strlen(s) != a->len)
		return 0;
	d1 = strchr(s, '.');
	d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
		return 0;
	p->text = s;
	p->input_len = (size_t)(d2 - s);
	n = unb64url(s, (size_t)(d1 - s), buf, sizeof(buf));
	if (n <= 0 || sao_json_parse(buf, (size_t)n, "header", &p->header, NULL) != SAO_OK)
		return 0;
	n = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf));
	if (n <= 0 || sao_json_parse(buf, (size_t)n, "claims", &p->claims, NULL) != SAO_OK)
		return 0;
	p->siglen = unb64url(d2 + 1, strlen(d2 + 1), p->sig, sizeof(p->sig));
	return p->siglen > 0;
}

static int str_is(const sao_json_t *obj, const char *key, const char *want)
{
	size_t len;
	const char *got = sao_json_get_string(obj, key, &len);

	return got != NULL && len == strlen(want) && memcmp(got, want, len) == 0;
}

static int int_is(const sao_json_t *obj, const char *key, int64_t want)
{
	int64_t v;

	return sao_json_get_int64(obj, key, &v) && v == want;
}

static int is_uuid4(const char *u)
{
	if (u == NULL || strlen(u) != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash != (u[i] == '-') || (!dash && strchr("0123456789abcdef", u[i]) == NULL))
			return 0;
	}
	return u[14] == '4' && strchr("89ab", u[19]) != NULL;
}

/* ---- assertions --------------------------------------------------------- */

struct sign_row {
	sao_jwt_alg_t alg;
	sao_jwt_thumb_t thumb;
	const char *alg_name;
	const char *thumb_key;
	const char *other_thumb_key;
};

static const struct sign_row sign_rows[] = {
	{ SAO_JWT_PS256, SAO_JWT_X5T_S256, "PS256", "x5t#S256", "x5t" },
	{ SAO_JWT_RS256, SAO_JWT_X5T_S256, "RS256", "x5t#S256", "x5t" },
	{ SAO_JWT_PS256, SAO_JWT_X5T_SHA1, "PS256", "x5t", "x5t#S256" },
	{ SAO_JWT_RS256, SAO_JWT_X5T_SHA1, "RS256", "x5t", "x5t#S256" },
};

/* Signs with key and checks every part of the result against the test
 * certificate. Returns the jti in jti_r for the uniqueness check. */
static void check_assertion(const char *what, const sao_jwt_key_t *key, const struct sign_row *r, const char *client_id,
                            char jti_r[64])
{
	char want_thumb[128];
	sao_secret_t a;
	sao_error_t err;
	struct parts p;
	const char *jti;
	unsigned char *bad;

	jti_r[0] = '\0';
	thumbprint(r->thumb == SAO_JWT_X5T_S256 ? EVP_sha256() : EVP_sha1(), want_thumb);
	CHECK(want_thumb[0] != '\0');
	sao_error_clear(&err);
	sao_secret_init(&a, SAO_TOKEN_MAX);
	CHECK_MSG(sao_jwt_assertion(key, r->alg, r->thumb, client_id, AUDIENCE, NOW, LIFETIME, &a, &err) == SAO_OK,
	          "%s %s: %s", what, r->alg_name, err.msg);
	CHECK_MSG(a.len > 0 && strspn((const char *)a.data,
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == a.len,
	          "%s %s: not JWS compact text", what, r->alg_name);
	CHECK_MSG(split(&a, &p), "%s %s: cannot split '%s'", what, r->alg_name, a.data != NULL ? (char *)a.data : "");
	if (p.claims == NULL || p.siglen <= 0) {
		parts_free(&p);
		sao_secret_clear(&a);
		return;
	}
	/* Header: alg, typ and the asked-for thumbprint, not the other one. */
	CHECK_MSG(str_is(p.header, "alg", r->alg_name), "%s %s", what, r->alg_name);
	CHECK(str_is(p.header, "typ", "JWT"));
	CHECK_MSG(str_is(p.header, r->thumb_key, want_thumb), "%s %s: %s is not %s", what, r->alg_name, r->thumb_key,
	          want_thumb);
	CHECK(sao_json_get_string(p.header, r->other_thumb_key, NULL) == NULL);
	/* Claims (RFC 7523 §3). */
	CHECK(str_is(p.claims, "aud", AUDIENCE));
	CHECK(str_is(p.claims, "iss", client_id));
	CHECK(str_is(p.claims, "sub", client_id));
	CHECK(int_is(p.claims, "nbf", NOW));
	CHECK(int_is(p.claims, "iat", NOW));
	CHECK(int_is(p.claims, "exp", NOW + LIFETIME));
	jti = sao_json_get_string(p.claims, "jti", NULL);
	CHECK_MSG(is_uuid4(jti), "jti '%s'", jti != NULL ? jti : "(none)");
	if (jti != NULL)
		snprintf(jti_r, 64, "%s", jti);
	/* Signature: RSA-2048 gives 256 bytes; it verifies with the asked-for
	 * scheme only, and not once a byte of input or signature changes. */
	CHECK(p.siglen == 256);
	CHECK_MSG(verify(r->alg == SAO_JWT_PS256, p.text, p.input_len, p.sig, (size_t)p.siglen), "%s %s: bad signature",
	          what, r->alg_name);
	CHECK(!verify(r->alg != SAO_JWT_PS256, p.text, p.input_len, p.sig, (size_t)p.siglen));
	bad = malloc(p.input_len);
	if (bad != NULL) {
		memcpy(bad, p.text, p.input_len);
		bad[p.input_len - 5] ^= 0x01;
		CHECK(!verify(r->alg == SAO_JWT_PS256, bad, p.input_len, p.sig, (size_t)p.siglen));
		free(bad);
	}
	p.sig[100] ^= 0x80;
	CHECK(!verify(r->alg == SAO_JWT_PS256, p.text, p.input_len, p.sig, (size_t)p.siglen));
	parts_free(&p);
	sao_secret_clear(&a);
}

static void test_sign_pem(void)
{
	char cpath[PBUF], kpath[PBUF];
	char jti1[64], jti2[64];
	sao_jwt_key_t *key = NULL;
	sao_error_t err;

	path_in(cpath, "cert.pem");
	path_in(kpath, "key.pem");
	sao_error_clear(&err);
	CHECK_MSG(sao_jwt_key_load_pem(cpath, kpath, &key, &err) == SAO_OK, "%s", err.msg);
	CHECK(key != NULL);
	if (key == NULL)
		return;
	for (size_t i = 0; i < sizeof(sign_rows) / sizeof(sign_rows[0]); i++)
		check_assertion("pem", key, &sign_rows[i], CLIENT_ID, jti1);
	/* A fresh jti each time (RFC 7523 §3, replay protection). */
	check_assertion("pem", key, &sign_rows[0], CLIENT_ID, jti1);
	check_assertion("pem", key, &sign_rows[0], CLIENT_ID, jti2);
	CHECK(jti1[0] != '\0' && strcmp(jti1, jti2) != 0);
	/* Client ids are JSON-escaped, not pasted. */
	check_assertion("escaping", key, &sign_rows[0], "a\"b\\c/d\x01\xc3\xa9", jti1);
	sao_jwt_key_free(&key);
	CHECK(key == NULL);
	sao_jwt_key_free(&key);
	sao_jwt_key_free(NULL);
}

/* The other ways the same pair may be stored. */
static void test_sign_pem_variants(void)
{
	static const char *const pairs[][2] = {
		{ "cert.pem", "key-pkcs1.pem" }, /* PKCS#1 PEM */
		{ "both.pem", "both.pem" },      /* certificate, then key */
		{ "both-rev.pem", "both-rev.pem" },
	};
	char cpath[PBUF], kpath[PBUF], jti[64];

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		sao_jwt_key_t *key = NULL;
		sao_error_t err;

		path_in(cpath, pairs[i][0]);
		path_in(kpath, pairs[i][1]);
		sao_error_clear(&err);
		CHECK_MSG(sao_jwt_key_load_pem(cpath, kpath, &key, &err) == SAO_OK, "%s + %s: %s", pairs[i][0],
		          pairs[i][1], err.msg);
		if (key != NULL)
			check_assertion(pairs[i][0], key, &sign_rows[1], CLIENT_ID, jti);
		sao_jwt_key_free(&key);
	}
}

struct p12_row {
	int legacy; /* needs the file only OpenSSL's legacy provider can make */
	const char *file;
	const char *password; /* NULL: no secret passed at all */
	sao_err_t want;
	const char *want_msg; /* substring; NULL when loading succeeds */
};

static const struct p12_row p12_rows[] = {
	{ 0, "pw.p12", "secret pw", SAO_OK, NULL },
	{ 0, "pw.p12", "not-it-123", SAO_ERR_PROTO, "wrong password for PKCS#12 file '@'" },
	{ 0, "pw.p12", "", SAO_ERR_PROTO, "wrong password for PKCS#12 file '@'" },
	{ 0, "pw.p12", NULL, SAO_ERR_PROTO, "wrong password for PKCS#12 file '@'" },
	{ 0, "nopw.p12", NULL, SAO_OK, NULL },
	{ 0, "nopw.p12", "", SAO_OK, NULL },
	{ 0, "empty.p12", NULL, SAO_OK, NULL },
	{ 0, "empty.p12", "", SAO_OK, NULL },
	{ 0, "cert.pem", "pw", SAO_ERR_PROTO, "cannot load PKCS#12 file '@': it is not a PKCS#12" },
	{ 0, "missing.p12", "pw", SAO_ERR_IO, "cannot open PKCS#12 file '@': No such file or directory" },
	{ 0, "dir.d", "pw", SAO_ERR_IO, "cannot read PKCS#12 file '@': it is a directory" },
	{ 1, "legacy.p12", "not-it-123", SAO_ERR_PROTO, "wrong password for PKCS#12 file '@'" },
	{ 1, "legacy.p12", "pw", SAO_ERR_PROTO,
	  "cannot read PKCS#12 file '@': it is encrypted with an algorithm OpenSSL 3 no longer enables (RC2" },
};

/* A pointer the functions under test must overwrite with NULL on failure. */
#define NOT_CLEARED ((sao_jwt_key_t *)&check_count)

/* The rows that need OpenSSL's legacy provider (legacy = 1), or the others. */
static void pkcs12_rows(int legacy)
{
	char path[PBUF], jti[64], want[PBUF * 2];

	for (size_t i = 0; i < sizeof(p12_rows) / sizeof(p12_rows[0]); i++) {
		const struct p12_row *r = &p12_rows[i];
		sao_jwt_key_t *key = NOT_CLEARED;
		sao_secret_t pw;
		sao_error_t err;
		sao_err_t rc;

		if (r->legacy != legacy)
			continue;
		path_in(path, r->file);
		sao_secret_init(&pw, 100);
		if (r->password != NULL)
			sao_secret_set(&pw, r->password, strlen(r->password), NULL);
		sao_error_clear(&err);
		rc = sao_jwt_key_load_pkcs12(path, r->password != NULL ? &pw : NULL, &key, &err);
		CHECK_MSG(rc == r->want, "row %zu: got %d (%s)", i, (int)rc, err.msg);
		CHECK(ERR_peek_error() == 0);
		if (rc != SAO_OK) {
			const char *at = r->want_msg != NULL ? strchr(r->want_msg, '@') : NULL;

			CHECK_MSG(key == NULL, "row %zu: key not cleared", i);
			key = NULL;
			/* '@' in the pattern stands for the path. */
			if (at != NULL) {
				snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - r->want_msg), r->want_msg, path,
				         at + 1);
				CHECK_MSG(strstr(err.msg, want) != NULL, "row %zu: '%s' lacks '%s'", i, err.msg, want);
			}
			CHECK_MSG(r->password == NULL || r->password[0] == '\0' || strstr(err.msg, r->password) == NULL,
			          "row %zu: the message shows the password", i);
		} else if (key != NULL && key != NOT_CLEARED) {
			/* Same certificate, so the same thumbprint checks apply. */
			check_assertion(r->file, key, &sign_rows[0], CLIENT_ID, jti);
			check_assertion(r->file, key, &sign_rows[3], CLIENT_ID, jti);
		}
		CHECK(key != NOT_CLEARED);
		if (key != NOT_CLEARED)
			sao_jwt_key_free(&key);
		sao_secret_clear(&pw);
	}
}

static void test_pkcs12(void)
{
	pkcs12_rows(0);
}

static void test_pkcs12_legacy(void)
{
	if (!have_legacy) {
		test_skip("OpenSSL's legacy provider is missing");
		return;
	}
	pkcs12_rows(1);
}

struct load_row {
	const char *cert;
	const char *key;
	sao_err_t want;
	const char *want_msg; /* '@C' and '@K' stand for the two paths */
};

static const struct load_row load_rows[] = {
	{ "cert.pem", "other-key.pem", SAO_ERR_CONFIG,
	  "the private key in '@K' does not match the certificate in '@C'" },
	{ "junk.txt", "key.pem", SAO_ERR_PROTO, "cannot load certificate '@C': it is not a PEM certificate" },
	{ "cert.der", "key.pem", SAO_ERR_PROTO, "cannot load certificate '@C': it is not a PEM certificate" },
	{ "cert.pem", "junk.txt", SAO_ERR_PROTO, "cannot load private key '@K': it is not a PEM private key" },
	{ "cert.pem", "cert.pem", SAO_ERR_PROTO, "cannot load private key '@K': it is not a PEM private key" },
	{ "cert.pem", "enc.pem", SAO_ERR_PROTO, "cannot load private key '@K': it is encrypted" },
	{ "cert.pem", "ec.pem", SAO_ERR_PROTO, "cannot use private key '@K': it is a key of type EC" },
	{ "missing.pem", "key.pem", SAO_ERR_IO, "cannot open certificate '@C': No such file or directory" },
	{ "cert.pem", "missing.pem", SAO_ERR_IO, "cannot open private key '@K': No such file or directory" },
	{ "dir.d", "key.pem", SAO_ERR_IO, "cannot read certificate '@C': it is a directory" },
	{ "cert.pem", "dir.d", SAO_ERR_IO, "cannot read private key '@K': it is a directory" },
};

/* Expands @C and @K in pattern. */
static void expand(const char *pattern, const char *c, const char *k, char *out, size_t size)
{
	size_t o = 0;

	while (*pattern != '\0' && o + 1 < size) {
		if (pattern[0] == '@' && (pattern[1] == 'C' || pattern[1] == 'K')) {
			o += (size_t)snprintf(out + o, size - o, "%s", pattern[1] == 'C' ? c : k);
			pattern += 2;
		} else {
			out[o++] = *pattern++;
		}
	}
	out[o < size ? o : size - 1] = '\0';
}

static void test_load_failures(void)
{
	char cpath[PBUF], kpath[PBUF], want[PBUF * 3];

	for (size_t i = 0; i < sizeof(load_rows) / sizeof(load_rows[0]); i++) {
		const struct load_row *r = &load_rows[i];
		sao_jwt_key_t *key = NOT_CLEARED;
		sao_error_t err;
		sao_err_t rc;

		path_in(cpath, r->cert);
		path_in(kpath, r->key);
		expand(r->want_msg, cpath, kpath, want, sizeof(want));
		sao_error_clear(&err);
		rc = sao_jwt_key_load_pem(cpath, kpath, &key, &err);
		CHECK_MSG(rc == r->want, "row %zu (%s + %s): got %d (%s)", i, r->cert, r->key, (int)rc, err.msg);
		CHECK_MSG(err.code == r->want && strstr(err.msg, want) != NULL, "row %zu: '%s' lacks '%s'", i, err.msg,
		          want);
		CHECK_MSG(key == NULL, "row %zu: key not cleared", i);
		/* Nothing stale is left on OpenSSL's error queue. */
		CHECK(ERR_peek_error() == 0);
		if (key != NOT_CLEARED)
			sao_jwt_key_free(&key);
	}
}

static void test_assertion_misuse(void)
{
	char cpath[PBUF], kpath[PBUF];
	sao_jwt_key_t *key = NULL;
	sao_secret_t a;
	sao_error_t err;

	path_in(cpath, "cert.pem");
	path_in(kpath, "key.pem");
	if (sao_jwt_key_load_pem(cpath, kpath, &key, NULL) != SAO_OK)
		return;
	sao_secret_init(&a, SAO_TOKEN_MAX);
	sao_secret_set(&a, "old", 3, NULL);
	sao_error_clear(&err);
	CHECK(sao_jwt_assertion(key, SAO_JWT_PS256, SAO_JWT_X5T_S256, CLIENT_ID, AUDIENCE, NOW, 0, &a, &err) ==
	      SAO_ERR_INTERNAL);
	CHECK(a.len == 0 && a.data == NULL);
	CHECK(strstr(err.msg, "lifetime") != NULL);
	CHECK(sao_jwt_assertion(key, SAO_JWT_PS256, SAO_JWT_X5T_S256, CLIENT_ID, AUDIENCE, INT64_MAX - 10, 600, &a,
	                        NULL) == SAO_ERR_INTERNAL);
	CHECK(sao_jwt_assertion(key, SAO_JWT_PS256, SAO_JWT_X5T_S256, "", AUDIENCE, NOW, 600, &a, NULL) ==
	      SAO_ERR_INTERNAL);
	CHECK(sao_jwt_assertion(NULL, SAO_JWT_PS256, SAO_JWT_X5T_S256, CLIENT_ID, AUDIENCE, NOW, 600, &a, NULL) ==
	      SAO_ERR_INTERNAL);
	/* An output ceiling too small for the assertion: refused, left empty. */
	sao_secret_init(&a, 300);
	sao_error_clear(&err);
	CHECK(sao_jwt_assertion(key, SAO_JWT_RS256, SAO_JWT_X5T_S256, CLIENT_ID, AUDIENCE, NOW, 600, &a, &err) ==
	      SAO_ERR_TOOBIG);
	CHECK(a.len == 0 && a.data == NULL);
	CHECK(ERR_peek_error() == 0);
	sao_secret_clear(&a);
	sao_jwt_key_free(&key);
}

int main(void)
{
	if (!setup()) {
		teardown();
		return 99;
	}
	test_run("signing with PEM keys", test_sign_pem);
	test_run("PEM variants", test_sign_pem_variants);
	test_run("PKCS#12", test_pkcs12);
	test_run("PKCS#12 with RC2 (OpenSSL's legacy provider)", test_pkcs12_legacy);
	test_run("load failures", test_load_failures);
	test_run("assertion misuse", test_assertion_misuse);
	teardown();
	return check_done("test-jwt");
}
