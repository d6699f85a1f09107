/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sasl-oauth/crypto.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/jwt.h"

/* Ceiling for the header and claims JSON: both are a few hundred bytes;
 * the audience URL is the only part a user can make long. */
#define JWT_JSON_MAX SAO_TOKEN_MAX

/* RFC 7518 §3.5: the PSS salt is as long as the hash output. */
#define PS256_SALT_LEN 32

struct sao_jwt_key {
	EVP_PKEY *pkey;
	X509 *cert;
	/* Thumbprints of the certificate's DER encoding, computed once at load
	 * time, where a failure can still be reported with the file name. */
	unsigned char x5t_s256[SAO_SHA256_LEN];
	unsigned char x5t_sha1[SAO_SHA1_LEN];
};

/* A key or certificate file opened for OpenSSL. stdio would free its read
 * buffer, which holds the PEM text of the private key, without wiping it;
 * handing stdio our own buffer lets us wipe it once the file is closed. */
struct key_file {
	BIO *bio;
	char buf[4096];
};

/* The reason of the earliest queued OpenSSL error (the root cause; later
 * entries only say which layer passed it up). A static string. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "no reason given by OpenSSL";
}

static void key_file_close(struct key_file *f)
{
	if (f->bio == NULL)
		return;
	BIO_free(f->bio); /* closes the FILE, which stops using buf */
	f->bio = NULL;
	sao_wipe(f->buf, sizeof(f->buf));
}

static sao_err_t key_file_open(struct key_file *f, const char *path, const char *what, sao_error_t *err)
{
	FILE *fp = NULL;
	struct stat st;
	char ebuf[128];
	int e;

	errno = 0;
	f->bio = BIO_new_file(path, "r");
	if (f->bio == NULL) {
		e = errno;
		ERR_clear_error();
		return sao_error_set(err, SAO_ERR_IO, "cannot open %s '%s': %s", what, path,
		                     e != 0 ? sao_errno_text(e, ebuf, sizeof(ebuf)) : "unknown error");
	}
	/* setvbuf() must come before the first read. */
	if (BIO_get_fp(f->bio, &fp) != 1 || fp == NULL || setvbuf(fp, f->buf, _IOFBF, sizeof(f->buf)) != 0) {
		key_file_close(f);
		ERR_clear_error();
		return sao_error_set(err, SAO_ERR_INTERNAL, "cannot set up reading %s '%s'", what, path);
	}
	/* fopen() opens a directory; reading it would then be reported as
	 * "not PEM". FIFOs stay allowed (keys handed over by a secret store). */
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		key_file_close(f);
		return sao_error_set(err, SAO_ERR_IO, "cannot read %s '%s': it is a directory; name the file in it",
		                     what, path);
	}
	return SAO_OK;
}

/* pem_password_cb that never supplies a password: the default one would
 * prompt on the terminal, which a daemon or the plugin's child must never
 * do. It records that a password was asked for, so the error can say the
 * key is encrypted rather than "not PEM". */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return -1;
}

static sao_err_t read_cert_pem(const char *path, X509 **cert_r, sao_error_t *err)
{
	struct key_file f = { .bio = NULL };
	int asked = 0;
	sao_err_t rc;

	*cert_r = NULL;
	rc = key_file_open(&f, path, "certificate", err);
	if (rc != SAO_OK)
		goto out;
	*cert_r = PEM_read_bio_X509(f.bio, NULL, no_password, &asked);
	if (*cert_r == NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot load certificate '%s': it is not a PEM certificate (%s); it must hold a "
		                   "'-----BEGIN CERTIFICATE-----' block (convert a DER .cer file with "
		                   "'openssl x509 -inform DER -in FILE.cer -out FILE.pem')",
		                   path, ossl_reason());
		goto out;
	}
	rc = SAO_OK;
out:
	key_file_close(&f);
	ERR_clear_error();
	return rc;
}

static sao_err_t read_key_pem(const char *path, EVP_PKEY **pkey_r, sao_error_t *err)
{
	struct key_file f = { .bio = NULL };
	int asked = 0;
	sao_err_t rc;

	*pkey_r = NULL;
	rc = key_file_open(&f, path, "private key", err);
	if (rc != SAO_OK)
		goto out;
	*pkey_r = PEM_read_bio_PrivateKey(f.bio, NULL, no_password, &asked);
	if (*pkey_r == NULL && asked) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot load private key '%s': it is encrypted with a password, which is not "
		                   "supported for PEM keys; store it decrypted with mode 0600 "
		                   "('openssl pkey -in FILE -out NEW.key') or use a PKCS#12 file with a password",
		                   path);
		goto out;
	}
	if (*pkey_r == NULL) {
		/* OpenSSL's reason here is always the decoder's "unsupported",
		 * which says nothing more than this. */
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot load private key '%s': it is not a PEM private key; it must hold a "
		                   "PKCS#8 ('PRIVATE KEY') or PKCS#1 ('RSA PRIVATE KEY') PEM block",
		                   path);
		goto out;
	}
	rc = SAO_OK;
out:
	key_file_close(&f);
	ERR_clear_error();
	return rc;
}

static sao_err_t thumbprints(sao_jwt_key_t *key, const char *cert_path, sao_error_t *err)
{
	unsigned char *der = NULL;
	unsigned int n1 = 0, n2 = 0;
	int len;
	sao_err_t rc = SAO_ERR_INTERNAL;

	/* x5t and x5t#S256 (RFC 7515 §4.1.7, §4.1.8) hash the DER encoding. */
	len = i2d_X509(key->cert, &der);
	if (len <= 0) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "cannot encode the certificate in '%s' as DER: %s", cert_path,
		                   ossl_reason());
		goto out;
	}
	if (EVP_Digest(der, (size_t)len, key->x5t_s256, &n1, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(der, (size_t)len, key->x5t_sha1, &n2, EVP_sha1(), NULL) != 1 || n1 != SAO_SHA256_LEN ||
	    n2 != SAO_SHA1_LEN) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "cannot compute the thumbprint of the certificate in '%s': %s", cert_path,
		                   ossl_reason());
		goto out;
	}
	rc = SAO_OK;
out:
	OPENSSL_free(der);
	return rc;
}

/* Checks that pkey is RSA and belongs to cert, then moves both into a new
 * key (*cert and *pkey are NULL afterwards on success). */
static sao_err_t key_new(X509 **cert, EVP_PKEY **pkey, const char *cert_path, const char *key_path,
                         sao_jwt_key_t **key_r, sao_error_t *err)
{
	sao_jwt_key_t *key = NULL;
	const char *type = NULL;
	sao_err_t rc = SAO_ERR_INTERNAL;

	*key_r = NULL;
	if (!EVP_PKEY_is_a(*pkey, "RSA")) {
		type = EVP_PKEY_get0_type_name(*pkey);
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot use private key '%s': it is a key of type %s, but client assertions "
		                   "(RS256, PS256) need an RSA key; create an RSA key and certificate "
		                   "('openssl req -x509 -newkey rsa:2048 ...')",
		                   key_path, type != NULL ? type : "unknown");
		goto out;
	}
	if (X509_check_private_key(*cert, *pkey) != 1) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "cannot use the client certificate: the private key in '%s' does not match the "
		                   "certificate in '%s'; configure the key the certificate was created with",
		                   key_path, cert_path);
		goto out;
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory loading the certificate '%s'", cert_path);
		goto out;
	}
	key->cert = *cert;
	key->pkey = *pkey;
	*cert = NULL;
	*pkey = NULL;
	rc = thumbprints(key, cert_path, err);
	if (rc != SAO_OK)
		goto out;
	*key_r = key;
	key = NULL;
	rc = SAO_OK;
out:
	sao_jwt_key_free(&key);
	ERR_clear_error();
	return rc;
}

sao_err_t sao_jwt_key_load_pem(const char *cert_path, const char *key_path, sao_jwt_key_t **key_r,
                               sao_error_t *err)
{
	X509 *cert = NULL;
	EVP_PKEY *pkey = NULL;
	sao_err_t rc;

	*key_r = NULL;
	ERR_clear_error();
	rc = read_cert_pem(cert_path, &cert, err);
	if (rc != SAO_OK)
		goto out;
	rc = read_key_pem(key_path, &pkey, err);
	if (rc != SAO_OK)
		goto out;
	rc = key_new(&cert, &pkey, cert_path, key_path, key_r, err);
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Verifies the PKCS#12 MAC with the rules PKCS12_parse() uses (no password:
 * try none, then the empty string), so that a wrong password is reported as
 * one instead of as a decoding error further on. */
static sao_err_t pkcs12_check_password(PKCS12 *p12, const char *path, const char *pass, sao_error_t *err)
{
	int ok;

	if (!PKCS12_mac_present(p12))
		return SAO_OK;
	if (pass == NULL)
		ok = PKCS12_verify_mac(p12, NULL, 0) == 1 || PKCS12_verify_mac(p12, "", 0) == 1;
	else
		ok = PKCS12_verify_mac(p12, pass, -1) == 1;
	if (ok)
		return SAO_OK;
	/* A plain mismatch queues no error; anything queued means the MAC
	 * could not even be computed. */
	if (ERR_peek_error() != 0)
		return sao_error_set(err, SAO_ERR_PROTO, "cannot check the password of PKCS#12 file '%s': %s", path,
		                     ossl_reason());
	if (pass == NULL)
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "wrong password for PKCS#12 file '%s': the file is protected by a password "
		                     "and none was given; configure its password",
		                     path);
	return sao_error_set(err, SAO_ERR_PROTO,
	                     "wrong password for PKCS#12 file '%s': its integrity check failed with the "
	                     "password given; check the configured password",
	                     path);
}

sao_err_t sao_jwt_key_load_pkcs12(const char *path, const sao_secret_t *password, sao_jwt_key_t **key_r,
                                  sao_error_t *err)
{
	struct key_file f = { .bio = NULL };
	PKCS12 *p12 = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	const char *pass = NULL;
	sao_err_t rc;

	*key_r = NULL;
	ERR_clear_error();
	if (password != NULL && password->len > 0) {
		/* PKCS12_parse() takes a C string. */
		if (memchr(password->data, '\0', password->len) != NULL) {
			rc = sao_error_set(err, SAO_ERR_PROTO,
			                   "cannot use the password for PKCS#12 file '%s': it contains a NUL byte",
			                   path);
			goto out;
		}
		pass = (const char *)password->data;
	}
	rc = key_file_open(&f, path, "PKCS#12 file", err);
	if (rc != SAO_OK)
		goto out;
	p12 = d2i_PKCS12_bio(f.bio, NULL);
	if (p12 == NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot load PKCS#12 file '%s': it is not a PKCS#12 (.p12, .pfx) file (%s); PEM "
		                   "files go in the certificate and private_key settings",
		                   path, ossl_reason());
		goto out;
	}
	rc = pkcs12_check_password(p12, path, pass, err);
	if (rc != SAO_OK)
		goto out;
	if (PKCS12_parse(p12, pass, &pkey, &cert, &ca) != 1) {
		/* Windows and OpenSSL 1.x exports encrypt the certificates with
		 * RC2, which OpenSSL 3 keeps in its "legacy" provider. Loading
		 * that provider is global state this library should not
		 * change; a re-export is a one-time fix. */
		if (ERR_GET_REASON(ERR_peek_error()) == ERR_R_UNSUPPORTED)
			rc = sao_error_set(err, SAO_ERR_PROTO,
			                   "cannot read PKCS#12 file '%s': it is encrypted with an algorithm OpenSSL 3 "
			                   "no longer enables (RC2, used by older exporting tools); re-export it: "
			                   "'openssl pkcs12 -legacy -in FILE -nodes | "
			                   "openssl pkcs12 -export -out NEW.p12'",
			                   path);
		else
			rc = sao_error_set(err, SAO_ERR_PROTO, "cannot read PKCS#12 file '%s': %s", path,
			                   ossl_reason());
		goto out;
	}
	if (pkey == NULL || cert == NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "cannot use PKCS#12 file '%s': it holds no %s; export the certificate together "
		                   "with its private key",
		                   path, pkey == NULL ? "private key" : "certificate for its private key");
		goto out;
	}
	rc = key_new(&cert, &pkey, path, path, key_r, err);
out:
	key_file_close(&f);
	PKCS12_free(p12);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	sk_X509_pop_free(ca, X509_free);
	ERR_clear_error();
	return rc;
}

void sao_jwt_key_free(sao_jwt_key_t **key)
{
	if (key == NULL || *key == NULL)
		return;
	/* OpenSSL clears the private key's numbers when it frees them. */
	EVP_PKEY_free((*key)->pkey);
	X509_free((*key)->cert);
	free(*key);
	*key = NULL;
}

/* Serialises the JOSE header (RFC 7515 §4) into text. */
static sao_err_t header_json(const sao_jwt_key_t *key, sao_jwt_alg_t alg, sao_jwt_thumb_t thumb, sao_secret_t *text,
                             sao_error_t *err)
{
	sao_json_t *obj = NULL;
	sao_secret_t x5t;
	sao_err_t rc;

	sao_secret_init(&x5t, 64);
	rc = sao_json_new(&obj, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, "alg", alg == SAO_JWT_PS256 ? "PS256" : "RS256", 5, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, "typ", "JWT", 3, err);
	if (rc != SAO_OK)
		goto out;
	if (thumb == SAO_JWT_X5T_S256)
		rc = sao_crypto_b64url(key->x5t_s256, sizeof(key->x5t_s256), &x5t, err);
	else
		rc = sao_crypto_b64url(key->x5t_sha1, sizeof(key->x5t_sha1), &x5t, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, thumb == SAO_JWT_X5T_S256 ? "x5t#S256" : "x5t", x5t.data, x5t.len, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_serialize(obj, text, err);
out:
	sao_json_free(&obj);
	sao_secret_clear(&x5t);
	return rc;
}

/* Serialises the claims of RFC 7523 §3 into text. */
static sao_err_t claims_json(const char *client_id, const char *audience, int64_t now, int lifetime,
                             sao_secret_t *text, sao_error_t *err)
{
	sao_json_t *obj = NULL;
	char jti[SAO_UUID_LEN + 1];
	sao_err_t rc;

	rc = sao_crypto_uuid(jti, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_new(&obj, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, "aud", audience, strlen(audience), err);
	if (rc != SAO_OK)
		goto out;
	/* Entra ID refuses an iss that differs from sub (AADSTS50048). */
	rc = sao_json_set_string(obj, "iss", client_id, strlen(client_id), err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, "sub", client_id, strlen(client_id), err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_string(obj, "jti", jti, SAO_UUID_LEN, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_int64(obj, "nbf", now, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_int64(obj, "iat", now, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_int64(obj, "exp", now + lifetime, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_serialize(obj, text, err);
out:
	sao_json_free(&obj);
	return rc;
}

/* Signs the JWS signing input (RFC 7515 §5.1) and appends the base64url
 * signature to out. input may point into out: it is read only before the
 * append. */
static sao_err_t sign_append(const sao_jwt_key_t *key, sao_jwt_alg_t alg, const unsigned char *input, size_t len,
                             sao_secret_t *out, sao_error_t *err)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t cap = 0, siglen = 0;
	int ok;
	sao_err_t rc = SAO_ERR_INTERNAL;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory signing the client assertion");
		goto out;
	}
	ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key->pkey) == 1;
	if (ok && alg == SAO_JWT_PS256) {
		/* RFC 7518 §3.5: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt
		 * as long as the hash. */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PS256_SALT_LEN) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
	} else if (ok) {
		/* RFC 7518 §3.3: RSASSA-PKCS1-v1_5. */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	}
	/* First call: the largest signature size. */
	if (ok)
		ok = EVP_DigestSign(ctx, NULL, &cap, input, len) == 1 && cap > 0;
	if (ok) {
		sig = malloc(cap);
		if (sig == NULL) {
			rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory signing the client assertion");
			goto out;
		}
		siglen = cap;
		ok = EVP_DigestSign(ctx, sig, &siglen, input, len) == 1;
	}
	if (!ok) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "cannot sign the client assertion with %s: %s",
		                   alg == SAO_JWT_PS256 ? "PS256" : "RS256", ossl_reason());
		goto out;
	}
	rc = sao_crypto_b64url(sig, siglen, out, err);
out:
	if (sig != NULL) {
		sao_wipe(sig, cap);
		free(sig);
	}
	EVP_MD_CTX_free(ctx); /* frees pctx too */
	return rc;
}

sao_err_t sao_jwt_assertion(const sao_jwt_key_t *key, sao_jwt_alg_t alg, sao_jwt_thumb_t thumb,
                            const char *client_id, const char *audience, int64_t now, int lifetime,
                            sao_secret_t *out, sao_error_t *err)
{
	sao_secret_t text;
	size_t input_len;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_clear(out);
	sao_secret_init(&text, JWT_JSON_MAX);
	ERR_clear_error();
	if (key == NULL || client_id == NULL || client_id[0] == '\0' || audience == NULL || audience[0] == '\0' ||
	    (alg != SAO_JWT_RS256 && alg != SAO_JWT_PS256) ||
	    (thumb != SAO_JWT_X5T_S256 && thumb != SAO_JWT_X5T_SHA1)) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "cannot build a client assertion: a key, a client id, an audience and a known "
		                   "algorithm and thumbprint are required");
		goto out;
	}
	if (lifetime <= 0 || now > INT64_MAX - lifetime) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "cannot build a client assertion: lifetime %d at time %lld is out of range",
		                   lifetime, (long long)now);
		goto out;
	}
	/* JWS compact serialisation (RFC 7515 §7.1):
	 * BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature). */
	rc = header_json(key, alg, thumb, &text, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_crypto_b64url(text.data, text.len, out, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_secret_append(out, ".", 1, err);
	if (rc != SAO_OK)
		goto out;
	rc = claims_json(client_id, audience, now, lifetime, &text, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_crypto_b64url(text.data, text.len, out, err);
	if (rc != SAO_OK)
		goto out;
	/* The signing input is everything written so far; sign_append() is
	 * done reading it before it appends the signature. */
	input_len = out->len;
	rc = sao_secret_append(out, ".", 1, err);
	if (rc != SAO_OK)
		goto out;
	rc = sign_append(key, alg, out->data, input_len, out, err);
out:
	sao_secret_clear(&text);
	if (rc != SAO_OK)
		sao_secret_clear(out);
	ERR_clear_error();
	return rc;
}
