/* SPDX-License-Identifier: MIT */
/*
 * token: one account's tokens and the rules about them, decided here and
 * nowhere else (the encoders, the grant code, the cache and both token
 * lifecycles ask these functions).
 *
 * Valid access token: an RFC 6750 §2.1 b64token, because that is what goes
 * after "auth=Bearer " in XOAUTH2 and OAUTHBEARER:
 *   b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * A token outside it (one with a ',' say) would be refused at every login,
 * so it is refused when it arrives and never cached.
 * Valid refresh token: printable ASCII without spaces (RFC 6749 Appendix
 * A.17 allows VSCHAR; it only travels percent-encoded in a form body).
 *
 * Fresh: an access token, not marked rejected, whose expiry is unknown or
 * more than the refresh margin away. Inside the margin it is due (still
 * usable while a refresh is tried); past expiry or rejected it is stale.
 *
 * Ownership: sao_token_t owns its secrets and strings; sao_token_clear()
 * wipes and frees them and leaves an initialised token.
 */
#ifndef SAO_TOKEN_H
#define SAO_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

typedef struct sao_token {
	sao_secret_t access_token;
	sao_secret_t refresh_token;
	int64_t expires_at;          /* UTC seconds; 0 = unknown */
	int64_t obtained_at;
	int64_t refresh_obtained_at;
	int64_t rejected_at;         /* 0 = never rejected */
	char *scope;                 /* may be NULL */
	char *token_type;            /* may be NULL */
	char *account;               /* may be NULL */
	char *rejected_reason;       /* the server's refusal in words, may be NULL */
	int64_t format_version;      /* of the cache file it was read from */
} sao_token_t;

typedef enum {
	SAO_TOKEN_FRESH,    /* send it */
	SAO_TOKEN_DUE,      /* inside the refresh margin: refresh, else send it */
	SAO_TOKEN_EXPIRED,  /* past expires_at */
	SAO_TOKEN_REJECTED, /* a server refused it */
	SAO_TOKEN_EMPTY     /* no access token at all */
} sao_token_state_t;

void sao_token_init(sao_token_t *tok);
void sao_token_clear(sao_token_t *tok);

/* 1 if the len bytes at token are a valid access token (b64token). */
int sao_token_valid(const void *token, size_t len);

/* 1 if the len bytes at token are a valid refresh token. */
int sao_token_refresh_valid(const void *token, size_t len);

/* Where tok stands at UTC time now with a refresh margin of margin seconds. */
sao_token_state_t sao_token_state(const sao_token_t *tok, int64_t now, long margin);

/* 1 when tok can be handed out as it is (SAO_TOKEN_FRESH). */
int sao_token_fresh(const sao_token_t *tok, int64_t now, long margin);

/* SAO_OK when tok is fresh or due; otherwise SAO_ERR_STALE with the one
 * message saying why the token cached for account cannot be sent and the
 * fix. *state_r (may be NULL) receives the state. */
sao_err_t sao_token_check(const sao_token_t *tok, const char *account, int64_t now, long margin,
                          sao_token_state_t *state_r, sao_error_t *err);

#endif
