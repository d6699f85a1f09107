/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "sasl-oauth/mech.h"
#include "sasl-oauth/token.h"

#define CTRL_A "\x01"

static sao_err_t check_field(const char *what, const char *value, sao_error_t *err)
{
	if (value != NULL && strchr(value, '\x01') != NULL)
		return sao_error_set(err, SAO_ERR_PROTO, "%s '%s' contains a ^A (0x01) byte, which the mechanism uses as separator",
		                     what, value);
	return SAO_OK;
}

static sao_err_t check_input(const sao_mech_input_t *in, sao_error_t *err)
{
	if (in->user == NULL || in->user[0] == '\0')
		return sao_error_set(err, SAO_ERR_NOCRED, "no user name to log in as; set the user name in the mail program");
	if (check_field("user name", in->user, err) != SAO_OK || check_field("host name", in->host, err) != SAO_OK)
		return SAO_ERR_PROTO;
	if (in->port != NULL && (in->port[0] == '\0' || strspn(in->port, "0123456789") != strlen(in->port)))
		return sao_error_set(err, SAO_ERR_PROTO, "port '%s' is not a decimal number", in->port);
	if (!sao_token_valid(in->token, in->token_len))
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "the access token (%zu bytes) is not a bearer token: it is empty or holds characters outside "
		                     "RFC 6750's b64token set; check what the token source prints",
		                     in->token_len);
	return SAO_OK;
}

/* Appends n bytes unless an earlier append failed: encoders chain appends and
 * check the accumulated status once. */
static void put_bytes(sao_secret_t *out, const void *p, size_t n, sao_err_t *rc, sao_error_t *err)
{
	if (*rc == SAO_OK)
		*rc = sao_secret_append(out, p, n, err);
}

static void put(sao_secret_t *out, const char *s, sao_err_t *rc, sao_error_t *err)
{
	if (*rc == SAO_OK)
		put_bytes(out, s, strlen(s), rc, err);
}

sao_err_t sao_mech_xoauth2_encode(const sao_mech_input_t *in, sao_secret_t *out, sao_error_t *err)
{
	sao_err_t rc;

	sao_secret_clear(out);
	rc = check_input(in, err);
	put(out, "user=", &rc, err);
	put(out, in->user, &rc, err);
	put(out, CTRL_A "auth=Bearer ", &rc, err);
	put_bytes(out, in->token, in->token_len, &rc, err);
	put(out, CTRL_A CTRL_A, &rc, err);
	if (rc != SAO_OK)
		sao_secret_clear(out);
	return rc;
}

sao_err_t sao_mech_oauthbearer_encode(const sao_mech_input_t *in, sao_secret_t *out, sao_error_t *err)
{
	sao_err_t rc;

	sao_secret_clear(out);
	rc = check_input(in, err);
	/* gs2-header = "n," [ "a=" saslname ] ","  with no channel binding;
	 * saslname escapes "," as "=2C" and "=" as "=3D" (RFC 5801 §4). */
	put(out, "n,a=", &rc, err);
	for (const char *p = in->user; rc == SAO_OK && *p != '\0'; p++) {
		if (*p == ',')
			put(out, "=2C", &rc, err);
		else if (*p == '=')
			put(out, "=3D", &rc, err);
		else
			put_bytes(out, p, 1, &rc, err);
	}
	put(out, "," CTRL_A, &rc, err);
	if (in->host != NULL && in->host[0] != '\0') {
		put(out, "host=", &rc, err);
		put(out, in->host, &rc, err);
		put(out, CTRL_A, &rc, err);
	}
	if (in->port != NULL) {
		put(out, "port=", &rc, err);
		put(out, in->port, &rc, err);
		put(out, CTRL_A, &rc, err);
	}
	put(out, "auth=Bearer ", &rc, err);
	put_bytes(out, in->token, in->token_len, &rc, err);
	put(out, CTRL_A CTRL_A, &rc, err);
	if (rc != SAO_OK)
		sao_secret_clear(out);
	return rc;
}
