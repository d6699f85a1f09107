/* SPDX-License-Identifier: MIT */
/*
 * challenge: decodes the error challenge a server sends after refusing an
 * XOAUTH2 or OAUTHBEARER initial response and describes it in plain words.
 *
 * RFC 7628 §3.2.2: the server-challenge is a JSON object
 *   { "status": <error code or HTTP status>, "scope": <scopes>,
 *     "openid-configuration": <URL> }
 * Google's and Dovecot's XOAUTH2 add "schemes". Input is the raw (already
 * base64-decoded) challenge, parsed by length; at most SAO_CHALLENGE_MAX bytes.
 * All fields are copied into fixed, NUL-terminated arrays owned by the struct
 * (truncated if longer); absent fields are empty strings.
 */
#ifndef SAO_CHALLENGE_H
#define SAO_CHALLENGE_H

#include <stddef.h>

#include "sasl-oauth/error.h"

#define SAO_CHALLENGE_MAX 16384

typedef struct sao_challenge {
	char status[64];
	char schemes[64];
	char scope[512];
	char openid_configuration[512];
} sao_challenge_t;

/* SAO_ERR_PROTO for anything that is not a JSON object with a string or
 * number "status"; SAO_ERR_TOOBIG past SAO_CHALLENGE_MAX. */
sao_err_t sao_challenge_parse(const void *data, size_t len, sao_challenge_t *ch_r, sao_error_t *err);

/* Plain-words cause for the status ("the token is invalid or expired"), from
 * the catalog; never NULL. */
const char *sao_challenge_cause(const sao_challenge_t *ch);

#endif
