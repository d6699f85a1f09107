/* SPDX-License-Identifier: MIT */
/*
 * redirect: the redirect back from the authorization endpoint (RFC 6749
 * §4.1.2 code and state, §4.1.2.1 error and error_description), read from
 * the query of the address the browser ends on (response_mode=query). The
 * loopback listener hands over the request target ("/?code=..."), paste
 * mode the whole address; both go through this one parser.
 *
 * Invariants: only code, state, error and error_description are kept, each
 * at most once (a repeated one is refused: which one would be meant?);
 * others are ignored. code, state and error are VSCHAR (RFC 6749 Appendix A)
 * after decoding; error_description may hold line breaks but no NUL. The
 * state is compared in constant time: it is what tells this login's
 * redirect from a forged one (RFC 6749 §10.12).
 *
 * Ownership: the caller owns the sao_redirect_t; its values are secret
 * buffers (the code is a credential), wiped by sao_redirect_clear().
 */
#ifndef SAO_REDIRECT_H
#define SAO_REDIRECT_H

#include <stddef.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

typedef struct sao_redirect {
	sao_secret_t code;
	sao_secret_t state;
	sao_secret_t error;
	sao_secret_t description;
	int has_code, has_state, has_error, has_description;
} sao_redirect_t;

void sao_redirect_init(sao_redirect_t *r);
void sao_redirect_clear(sao_redirect_t *r);

/* Fills r (emptied first) from the query in text[0..len). what names the
 * input in messages ("the address pasted for account 'work'"). Fails with
 * SAO_ERR_PROTO (no query, a repeated or malformed parameter) or
 * SAO_ERR_NOMEM. */
sao_err_t sao_redirect_parse(const char *text, size_t len, const char *what, sao_redirect_t *r, sao_error_t *err);

/* 1 when r carries a state equal to state (constant time). */
int sao_redirect_state_ok(const sao_redirect_t *r, const sao_secret_t *state);

/* Judges a parsed redirect for the login of account name: the state must
 * be this login's, then an error is reported in the catalog's words
 * (sao_grant_failure), else a code is required. SAO_OK when r->code is the
 * code to redeem. */
sao_err_t sao_redirect_check(const sao_redirect_t *r, const sao_secret_t *state, const char *name, sao_error_t *err);

#endif
