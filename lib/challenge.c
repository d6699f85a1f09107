/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/challenge.h"
#include "sasl-oauth/json.h"

/*
 * RFC 7628 §3.2.2, the server's error result (after base64 decoding):
 *
 *   a JSON object with the members
 *     "status"                REQUIRED  the authorization error code from the
 *                                       IANA "OAuth Extensions Error Registry"
 *                                       (invalid_token, insufficient_scope,
 *                                       invalid_request)
 *     "scope"                 OPTIONAL  a scope that is valid to access the
 *                                       service (may be empty)
 *     "openid-configuration"  OPTIONAL  URL of the provider's OpenID
 *                                       configuration document
 *
 * Observed in the wild and accepted too (reference/protocols.md §1.2, §11):
 *   Google XOAUTH2:   {"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}
 *   Dovecot XOAUTH2:  {"status":"401","schemes":"bearer","scope":"mail","openid-configuration":"<url>"}
 *   Dovecot OAUTHBEARER: {"status":"invalid_token","openid-configuration":"<url>"}
 * "status" may be a JSON string or a JSON number; other members of other
 * types are treated as absent, unknown members are ignored.
 */

#define WHAT "the server's error challenge"

/* Copies len bytes of src into dst (size bytes, always NUL-terminated).
 * Control characters become '?': these strings end up in log lines and
 * error messages. A cut never splits a UTF-8 sequence. */
static void copy_field(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = len;

	if (n > size - 1) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
}

static void copy_member(const sao_json_t *obj, const char *key, char *dst, size_t size)
{
	size_t len = 0;
	const char *s = sao_json_get_string(obj, key, &len);

	if (s != NULL)
		copy_field(dst, size, s, len);
}

sao_err_t sao_challenge_parse(const void *data, size_t len, sao_challenge_t *ch_r, sao_error_t *err)
{
	sao_json_t *obj = NULL;
	const char *status;
	size_t status_len = 0;
	int64_t num;
	sao_err_t rc;

	memset(ch_r, 0, sizeof(*ch_r));
	if (len == 0) {
		rc = sao_error_set(err, SAO_ERR_PROTO, WHAT " is empty; the server gave no reason");
		goto out;
	}
	if (len > SAO_CHALLENGE_MAX) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG, WHAT " is %zu bytes, more than the limit of %d", len,
		                   SAO_CHALLENGE_MAX);
		goto out;
	}
	rc = sao_json_parse(data, len, WHAT, &obj, err);
	if (rc != SAO_OK)
		goto out;
	status = sao_json_get_string(obj, "status", &status_len);
	if (status != NULL) {
		if (status_len == 0) {
			rc = sao_error_set(err, SAO_ERR_PROTO, WHAT " has an empty 'status'");
			goto out;
		}
		copy_field(ch_r->status, sizeof(ch_r->status), status, status_len);
	} else if (sao_json_get_int64(obj, "status", &num)) {
		snprintf(ch_r->status, sizeof(ch_r->status), "%" PRId64, num);
	} else {
		rc = sao_error_set(err, SAO_ERR_PROTO, WHAT " has no 'status' string or number");
		goto out;
	}
	copy_member(obj, "schemes", ch_r->schemes, sizeof(ch_r->schemes));
	copy_member(obj, "scope", ch_r->scope, sizeof(ch_r->scope));
	copy_member(obj, "openid-configuration", ch_r->openid_configuration, sizeof(ch_r->openid_configuration));
	rc = SAO_OK;
out:
	if (rc != SAO_OK)
		memset(ch_r, 0, sizeof(*ch_r));
	sao_json_free(&obj);
	return rc;
}

/* What each status means, in words for the person reading the log. The
 * caller prints the status and scope next to it. Google and Dovecot send
 * HTTP codes in XOAUTH2, RFC 7628 servers send RFC 6750 error codes. */
static const struct {
	const char *status;
	const char *cause;
} causes[] = {
	{ "401", "the access token is invalid, expired or revoked" },
	{ "invalid_token", "the access token is invalid, expired or revoked" },
	{ "400", "the server refused the request; the token may lack the mail scope (the user may have unticked "
	         "it at consent)" },
	{ "invalid_request", "the server refused the request; the token may lack the mail scope (the user may have "
	                     "unticked it at consent)" },
	{ "403", "the token lacks the scope the server needs" },
	{ "insufficient_scope", "the token lacks the scope the server needs" },
};

const char *sao_challenge_cause(const sao_challenge_t *ch)
{
	if (ch != NULL) {
		for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
			if (strcasecmp(ch->status, causes[i].status) == 0)
				return causes[i].cause;
		}
	}
	return "the server refused the token";
}
