/* SPDX-License-Identifier: MIT */
/*
 * mech: the two pure encoders (no SASL, no I/O). Plain values in, bytes out
 * into a secret buffer (the output holds the token).
 *
 * XOAUTH2 (Google/Microsoft): "user=" U ^A "auth=Bearer " T ^A ^A
 * OAUTHBEARER (RFC 7628 §3.1):
 *   gs2-header ^A [ "host=" host ^A ] [ "port=" port ^A ] "auth=Bearer " T ^A ^A
 *   gs2-header = "n," [ "a=" saslname ] ","   (RFC 5801: "," -> "=2C", "=" -> "=3D")
 * User and host must not contain ^A; the token must be valid by
 * sao_token_valid() (an RFC 6750 §2.1 b64token).
 *
 * Compiled into lib/, so the plugin and the CLI share them.
 */
#ifndef SAO_MECH_H
#define SAO_MECH_H

#include <stddef.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

typedef struct sao_mech_input {
	const char *user;   /* authorization identity (mailbox) */
	const char *host;   /* may be NULL */
	const char *port;   /* decimal, may be NULL */
	const unsigned char *token;
	size_t token_len;
} sao_mech_input_t;

typedef sao_err_t (*sao_mech_encode_fn)(const sao_mech_input_t *in, sao_secret_t *out,
                                        sao_error_t *err);

sao_err_t sao_mech_xoauth2_encode(const sao_mech_input_t *in, sao_secret_t *out, sao_error_t *err);
sao_err_t sao_mech_oauthbearer_encode(const sao_mech_input_t *in, sao_secret_t *out,
                                      sao_error_t *err);

#endif
