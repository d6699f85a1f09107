/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/challenge.h"
#include "sasl-oauth/error.h"

#define S(lit) lit, sizeof(lit) - 1

#define CAUSE_401 "the access token is invalid, expired or revoked"
#define CAUSE_400 \
	"the server refused the request; the token may lack the mail scope (the user may have unticked it at consent)"
#define CAUSE_403 "the token lacks the scope the server needs"
#define CAUSE_OTHER "the server refused the token"

static void test_accepted(void)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;
		const char *status, *schemes, *scope, *oidc, *cause;
	} rows[] = {
		{ "dovecot xoauth2",
		  S("{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\","
		    "\"openid-configuration\":\"http://127.0.0.1:1/x\"}"),
		  "401", "bearer", "mail", "http://127.0.0.1:1/x", CAUSE_401 },
		{ "dovecot oauthbearer",
		  S("{\"status\":\"invalid_token\",\"openid-configuration\":\"http://127.0.0.1:1/x\"}"), "invalid_token", "",
		  "", "http://127.0.0.1:1/x", CAUSE_401 },
		{ "dovecot oauthbearer, status only", S("{\"status\":\"invalid_token\"}"), "invalid_token", "", "", "",
		  CAUSE_401 },
		{ "google 401", S("{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":\"https://mail.google.com/\"}"),
		  "401", "bearer mac", "https://mail.google.com/", "", CAUSE_401 },
		{ "google 400 (mail scope unticked)",
		  S("{\"status\":\"400\",\"schemes\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}"), "400", "Bearer",
		  "https://mail.google.com/", "", CAUSE_400 },
		{ "rfc 7628 example",
		  S("{\"status\":\"invalid_token\",\"scope\":\"example_scope\","
		    "\"openid-configuration\":\"https://example.com/.well-known/openid-configuration\"}"),
		  "invalid_token", "", "example_scope", "https://example.com/.well-known/openid-configuration", CAUSE_401 },
		{ "insufficient_scope", S("{\"status\":\"insufficient_scope\",\"scope\":\"IMAP.AccessAsUser.All\"}"),
		  "insufficient_scope", "", "IMAP.AccessAsUser.All", "", CAUSE_403 },
		{ "403", S("{\"status\":\"403\"}"), "403", "", "", "", CAUSE_403 },
		{ "invalid_request", S("{\"status\":\"invalid_request\"}"), "invalid_request", "", "", "", CAUSE_400 },
		{ "numeric status", S("{\"status\":401,\"schemes\":\"bearer\"}"), "401", "bearer", "", "", CAUSE_401 },
		{ "numeric 400 with whitespace", S(" \r\n{ \"status\" : 400 }\r\n"), "400", "", "", "", CAUSE_400 },
		{ "status case", S("{\"status\":\"Invalid_Token\"}"), "Invalid_Token", "", "", "", CAUSE_401 },
		{ "unknown status", S("{\"status\":\"402\",\"scope\":\"x\"}"), "402", "", "x", "", CAUSE_OTHER },
		{ "unknown members ignored, wrong-typed ones absent",
		  S("{\"status\":\"401\",\"extra\":{\"a\":[1,2]},\"scope\":[\"a\"],\"schemes\":7}"), "401", "", "", "",
		  CAUSE_401 },
		{ "control characters replaced",
		  S("{\"status\":\"401\\r\\n\",\"scope\":\"mail\\u0000x\\u001b[31m\\u007f\",\"schemes\":\"a\\tb\"}"),
		  "401??", "a?b", "mail?x?[31m?", "", CAUSE_OTHER },
		{ "utf-8 kept", S("{\"status\":\"401\",\"scope\":\"\\u00e9t\\u00e9\"}"), "401", "", "\xc3\xa9t\xc3\xa9", "",
		  CAUSE_401 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_challenge_t ch;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		memset(&ch, 'Z', sizeof(ch));
		rc = sao_challenge_parse(rows[i].in, rows[i].len, &ch, &err);
		CHECK_MSG(rc == SAO_OK, "%s: %s", rows[i].name, err.msg);
		CHECK_MSG(strcmp(ch.status, rows[i].status) == 0, "%s: status '%s'", rows[i].name, ch.status);
		CHECK_MSG(strcmp(ch.schemes, rows[i].schemes) == 0, "%s: schemes '%s'", rows[i].name, ch.schemes);
		CHECK_MSG(strcmp(ch.scope, rows[i].scope) == 0, "%s: scope '%s'", rows[i].name, ch.scope);
		CHECK_MSG(strcmp(ch.openid_configuration, rows[i].oidc) == 0, "%s: oidc '%s'", rows[i].name,
		          ch.openid_configuration);
		CHECK_MSG(strcmp(sao_challenge_cause(&ch), rows[i].cause) == 0, "%s: cause '%s'", rows[i].name,
		          sao_challenge_cause(&ch));
	}
}

static void test_refused(void)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;
		sao_err_t rc;
		const char *msg;
	} rows[] = {
		{ "empty", S(""), SAO_ERR_PROTO, "the server's error challenge is empty; the server gave no reason" },
		{ "not json", S("NO [AUTHENTICATIONFAILED]"), SAO_ERR_PROTO, "the server's error challenge is not valid JSON" },
		{ "array", S("[{\"status\":\"401\"}]"), SAO_ERR_PROTO,
		  "the server's error challenge is JSON but not an object: its top level is of type array" },
		{ "missing status", S("{\"schemes\":\"bearer\",\"scope\":\"mail\"}"), SAO_ERR_PROTO,
		  "the server's error challenge has no 'status' string or number" },
		{ "null status", S("{\"status\":null}"), SAO_ERR_PROTO, "has no 'status' string or number" },
		{ "boolean status", S("{\"status\":true}"), SAO_ERR_PROTO, "has no 'status' string or number" },
		{ "double status", S("{\"status\":401.5}"), SAO_ERR_PROTO, "has no 'status' string or number" },
		{ "empty status", S("{\"status\":\"\"}"), SAO_ERR_PROTO, "the server's error challenge has an empty 'status'" },
		{ "NUL inside", S("{\"status\":\"401\"}\0"), SAO_ERR_PROTO,
		  "the server's error challenge is not valid JSON: a NUL byte at byte 16" },
		{ "NUL in a string", S("{\"status\":\"40\0\"}"), SAO_ERR_PROTO, "a NUL byte at byte 13" },
		{ "trailing garbage", S("{\"status\":\"401\"}xx"), SAO_ERR_PROTO, "not valid JSON" },
		{ "truncated", S("{\"status\":\"401\",\"sco"), SAO_ERR_PROTO, "it ends early" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_challenge_t ch;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		memset(&ch, 'Z', sizeof(ch));
		rc = sao_challenge_parse(rows[i].in, rows[i].len, &ch, &err);
		CHECK_MSG(rc == rows[i].rc, "%s: rc %d", rows[i].name, rc);
		CHECK_MSG(err.code == rows[i].rc && strstr(err.msg, rows[i].msg) != NULL, "%s: message '%s'", rows[i].name,
		          err.msg);
		CHECK_MSG(ch.status[0] == '\0' && ch.schemes[0] == '\0' && ch.scope[0] == '\0' &&
		                  ch.openid_configuration[0] == '\0',
		          "%s: output not cleared", rows[i].name);
		CHECK(strcmp(sao_challenge_cause(&ch), CAUSE_OTHER) == 0);
	}
	CHECK(strcmp(sao_challenge_cause(NULL), CAUSE_OTHER) == 0);
}

static void test_sizes(void)
{
	static char big[SAO_CHALLENGE_MAX + 2];
	static const char head[] = "{\"status\":\"401\",\"scope\":\"";
	sao_challenge_t ch;
	sao_error_t err;
	size_t n;

	/* Exactly at the limit: accepted; the scope is cut to fit. */
	memcpy(big, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	while (n < SAO_CHALLENGE_MAX - 2)
		big[n++] = 's';
	big[n++] = '"';
	big[n++] = '}';
	CHECK(n == SAO_CHALLENGE_MAX);
	sao_error_clear(&err);
	CHECK_MSG(sao_challenge_parse(big, n, &ch, &err) == SAO_OK, "%s", err.msg);
	CHECK(strlen(ch.scope) == sizeof(ch.scope) - 1 && ch.scope[0] == 's');
	CHECK(strcmp(ch.status, "401") == 0);

	/* One byte more: refused before parsing. */
	big[n - 1] = ' ';
	big[n++] = '}';
	sao_error_clear(&err);
	CHECK(sao_challenge_parse(big, n, &ch, &err) == SAO_ERR_TOOBIG);
	CHECK_MSG(strcmp(err.msg, "the server's error challenge is 16385 bytes, more than the limit of 16384") == 0, "%s",
	          err.msg);
	CHECK(ch.status[0] == '\0');
}

static void test_truncation(void)
{
	char in[2048];
	sao_challenge_t ch;
	size_t n = 0;
	int w;

	/* status 100 chars, schemes 100, URL 600 with a two-byte character
	 * straddling the cut: every field ends NUL-terminated at its size. */
	w = snprintf(in, sizeof(in), "{\"status\":\"%0100d\",\"schemes\":\"%0100d\",\"openid-configuration\":\"", 7, 8);
	CHECK(w > 0);
	n = (size_t)w;
	for (int i = 0; i < 510; i++)
		in[n++] = 'u';
	memcpy(in + n, "\xc3\xa9\xc3\xa9\"}", 6);
	n += 6;
	CHECK(sao_challenge_parse(in, n, &ch, NULL) == SAO_OK);
	CHECK(strlen(ch.status) == sizeof(ch.status) - 1 && ch.status[62] == '0');
	CHECK(strlen(ch.schemes) == sizeof(ch.schemes) - 1);
	/* 510 'u' + 'é' = 512 bytes would not fit with the NUL: the
	 * character is dropped whole, not split. */
	CHECK(strlen(ch.openid_configuration) == 510);
	CHECK(strcmp(sao_challenge_cause(&ch), CAUSE_OTHER) == 0);
}

int main(void)
{
	test_accepted();
	test_refused();
	test_sizes();
	test_truncation();
	return check_done("test-challenge");
}
