/* SPDX-License-Identifier: MIT */
/*
 * jwt: client assertions for the certificate credential (RFC 7523, Entra
 * ID "certificate credentials"), the only module besides crypto that uses
 * OpenSSL.
 *
 * Assertion: JWS compact form base64url(header) "." base64url(claims) "."
 * base64url(signature), no padding.
 *   header: {"alg": "RS256"|"PS256", "typ": "JWT", "x5t#S256": b64url(SHA-256(cert DER))}
 *           or "x5t": b64url(SHA-1(cert DER)) for older tenants
 *   claims: {"aud": token endpoint, "iss": client_id, "sub": client_id,
 *            "jti": random UUID, "nbf": now, "iat": now, "exp": now + lifetime}
 * RS256 = RSASSA-PKCS1-v1_5 with SHA-256; PS256 = RSASSA-PSS with SHA-256,
 * MGF1-SHA-256, 32-byte salt (RFC 7518 §3.5).
 *
 * Ownership: a sao_jwt_key_t owns its private key and certificate;
 * sao_jwt_key_free() releases them. Key files are read by the caller's
 * rules (settings refuses loose modes); passwords come in secret buffers.
 */
#ifndef SAO_JWT_H
#define SAO_JWT_H

#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

typedef enum { SAO_JWT_RS256, SAO_JWT_PS256 } sao_jwt_alg_t;
typedef enum { SAO_JWT_X5T_S256, SAO_JWT_X5T_SHA1 } sao_jwt_thumb_t;

typedef struct sao_jwt_key sao_jwt_key_t;

/* Loads an RSA private key (PEM, PKCS#1 or PKCS#8, unencrypted) and its
 * X.509 certificate (PEM). Fails with SAO_ERR_IO (unreadable), SAO_ERR_PROTO
 * (not PEM, not RSA) or SAO_ERR_CONFIG (key and certificate do not match);
 * messages name the file. */
sao_err_t sao_jwt_key_load_pem(const char *cert_path, const char *key_path, sao_jwt_key_t **key_r,
                               sao_error_t *err);

/* Loads key and certificate from a PKCS#12 file; password may be NULL or
 * empty for none. SAO_ERR_PROTO names a wrong password plainly. */
sao_err_t sao_jwt_key_load_pkcs12(const char *path, const sao_secret_t *password, sao_jwt_key_t **key_r,
                                  sao_error_t *err);

void sao_jwt_key_free(sao_jwt_key_t **key);

/* Writes a signed assertion into out (replacing its content). lifetime is
 * in seconds (> 0). */
sao_err_t sao_jwt_assertion(const sao_jwt_key_t *key, sao_jwt_alg_t alg, sao_jwt_thumb_t thumb,
                            const char *client_id, const char *audience, int64_t now, int lifetime,
                            sao_secret_t *out, sao_error_t *err);

#endif
