/* SPDX-License-Identifier: MIT */
/*
 * grant: requests to an identity provider's token endpoint (RFC 6749 §4,
 * §6; RFC 8628 §3.4; RFC 7523 client assertions) and what their answers
 * mean.
 *
 * A sao_client_t is "us, as this account's OAuth client": its endpoints,
 * HTTP options and client credential (none for a public client; a secret
 * from client_secret_file or a systemd credential; or a certificate key for
 * signed assertions, a fresh one per request). Every token request gets
 * client_id and that credential added here, once.
 *
 * Errors: a provider's error answer becomes SAO_ERR_OAUTH (or SAO_ERR_LOGIN
 * when the grant is gone, e.g. invalid_grant, so only a new login helps)
 * with a message of three parts: what failed, the cause with the OAuth
 * error, the AADSTS number and the correlation id, and the fix (from the
 * catalog). A 5xx is SAO_ERR_NET. A body that is not a JSON object, or a
 * 200 without access_token, is SAO_ERR_PROTO.
 *
 * Ownership: the client owns its endpoints, secret and key;
 * sao_client_clear() wipes and frees them.
 */
#ifndef SAO_GRANT_H
#define SAO_GRANT_H

#include <stdint.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/jwt.h"
#include "sasl-oauth/provider.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/settings.h"

#define SAO_OAUTH_ERROR_MAX 64
#define SAO_ASSERTION_LIFETIME 300 /* seconds; Entra rejects stale ones (AADSTS700024) */

typedef struct sao_client {
	const sao_account_t *account;
	sao_endpoints_t ep;
	sao_http_opts_t http;
	sao_secret_t secret;   /* client secret; empty for none */
	sao_jwt_key_t *key;    /* certificate credential, or NULL */
} sao_client_t;

/* Prepares the client of account a: endpoints, HTTP options, and the
 * credential (reads the secret file, refusing one readable by others, or
 * loads the certificate). */
sao_err_t sao_client_init(sao_client_t *c_r, const sao_account_t *a, sao_error_t *err);
void sao_client_clear(sao_client_t *c);

/* Sends form (grant-specific fields) to url after adding client_id and the
 * client credential. On a 2xx answer, json_r (may be NULL) receives the
 * parsed body. On an OAuth error answer, oauth_error_r (may be NULL, else
 * SAO_OAUTH_ERROR_MAX bytes) receives the "error" value so a caller can
 * branch (authorization_pending) and err the full message. what says what
 * was being done ("refreshing the token of account 'work'"). */
sao_err_t sao_grant_post(sao_client_t *c, const char *url, sao_secret_t *form, const char *what, sao_json_t **json_r,
                         char *oauth_error_r, sao_error_t *err);

/* The three-part message for a provider's error answer, from a token or
 * device endpoint (status is its HTTP status) or a redirect (status 0):
 * what failed, the cause in the catalog's words with the OAuth error, the
 * AADSTS number from description and the correlation id (NULL: taken from
 * description), and the fix. SAO_ERR_NET for a 5xx, SAO_ERR_LOGIN when only
 * a new login helps, else SAO_ERR_OAUTH. */
sao_err_t sao_grant_failure(const char *account, const char *what, long status, const char *error,
                            const char *description, const char *correlation, sao_error_t *err);

/* Turns a token response into tok_r (initialised by the caller; fields it
 * lacks are left as they are, so a refresh answer without refresh_token
 * keeps the old one). now is when the request was sent. */
sao_err_t sao_grant_parse_token(const sao_json_t *json, int64_t now, const char *what, sao_token_t *tok_r,
                                sao_error_t *err);

/* The token endpoint with a grant: post + parse. */
sao_err_t sao_grant_token(sao_client_t *c, sao_secret_t *form, int64_t now, const char *what, sao_token_t *tok_r,
                          char *oauth_error_r, sao_error_t *err);

/* grant_type=refresh_token with tok->refresh_token; on success tok holds
 * the new access token and, if the provider rotated it, the new refresh
 * token (refresh_obtained_at updated). */
sao_err_t sao_grant_refresh(sao_client_t *c, int64_t now, sao_token_t *tok, sao_error_t *err);

/* grant_type=client_credentials with the account's scope. */
sao_err_t sao_grant_client_credentials(sao_client_t *c, int64_t now, sao_token_t *tok_r, sao_error_t *err);

/* grant_type=authorization_code with the PKCE verifier. */
sao_err_t sao_grant_code(sao_client_t *c, const char *code, const char *redirect_uri, const char *verifier,
                         int64_t now, sao_token_t *tok_r, sao_error_t *err);

/* RFC 7009: asks the provider to revoke tok's refresh token (public
 * clients send their client_id), for "forget --revoke", whose messages
 * assume the tokens were deleted here first. SAO_ERR_CONFIG when the
 * provider has no revocation endpoint (Entra ID); an OAuth error answer is
 * worded by sao_grant_failure(); any other failure answer (a 5xx, no JSON)
 * is SAO_ERR_OAUTH with its HTTP status; any 2xx answer is success. */
sao_err_t sao_grant_revoke(sao_client_t *c, const sao_token_t *tok, sao_error_t *err);

/* Process-wide set-up and tear-down of the HTTP client, for a program that
 * sends requests (the CLI): call once at start, before any thread. */
sao_err_t sao_grant_global_init(sao_error_t *err);
void sao_grant_global_cleanup(void);

#endif
