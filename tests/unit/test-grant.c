/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/grant.h"
#include "sasl-oauth/json.h"

/* Parses text as a token response into tok (which keeps what it held). */
static sao_err_t parse(const char *text, sao_token_t *tok, sao_error_t *err)
{
	sao_json_t *j = NULL;
	sao_err_t rc;

	sao_error_clear(err);
	rc = sao_json_parse(text, strlen(text), "test", &j, err);
	if (rc == SAO_OK)
		rc = sao_grant_parse_token(j, 1000, "refreshing the token of account 'work'", tok, err);
	sao_json_free(&j);
	return rc;
}

static void test_rotation_and_keep(void)
{
	sao_token_t tok;
	sao_error_t err;

	sao_token_init(&tok);
	CHECK(sao_secret_set(&tok.refresh_token, "old-rt", 6, NULL) == SAO_OK);
	tok.refresh_obtained_at = 5;
	tok.rejected_at = 7;
	tok.rejected_reason = strdup("refused");
	/* A new refresh token replaces the old one and dates it. */
	CHECK(parse("{\"token_type\":\"Bearer\",\"access_token\":\"at1\",\"expires_in\":3599,"
	            "\"refresh_token\":\"new-rt\",\"scope\":\"a b\"}",
	            &tok, &err) == SAO_OK);
	CHECK_BYTES(tok.access_token.data, tok.access_token.len, "at1", 3);
	CHECK_BYTES(tok.refresh_token.data, tok.refresh_token.len, "new-rt", 6);
	CHECK(tok.expires_at == 1000 + 3599 && tok.obtained_at == 1000 && tok.refresh_obtained_at == 1000);
	CHECK(tok.rejected_at == 0 && tok.rejected_reason == NULL);
	CHECK(tok.scope != NULL && strcmp(tok.scope, "a b") == 0);
	CHECK(tok.token_type != NULL && strcmp(tok.token_type, "Bearer") == 0);
	/* Google sends no refresh token on refresh: keep the one we have.
	 * expires_in as a string, as some providers send it. */
	tok.refresh_obtained_at = 5;
	CHECK(parse("{\"token_type\":\"bearer\",\"access_token\":\"at2\",\"expires_in\":\"60\"}", &tok, &err) == SAO_OK);
	CHECK_BYTES(tok.access_token.data, tok.access_token.len, "at2", 3);
	CHECK_BYTES(tok.refresh_token.data, tok.refresh_token.len, "new-rt", 6);
	CHECK(tok.refresh_obtained_at == 5 && tok.expires_at == 1060);
	CHECK(tok.scope != NULL && strcmp(tok.scope, "a b") == 0);
	/* No expires_in: RFC 6749 only recommends it; one hour is assumed. */
	CHECK(parse("{\"access_token\":\"at3\"}", &tok, &err) == SAO_OK);
	CHECK(tok.expires_at == 1000 + 3600);
	sao_token_clear(&tok);
}

static const struct {
	const char *text;
	const char *want; /* a part of the message */
} bad[] = {
	{ "{\"token_type\":\"Bearer\",\"expires_in\":10}", "has no usable access_token" },
	{ "{\"access_token\":\"\"}", "has no usable access_token" },
	{ "{\"access_token\":\"a b\"}", "has no usable access_token" },
	/* Refused on arrival, so it is never cached to fail at every login. */
	{ "{\"access_token\":\"ab,cd\"}", "has no usable access_token (byte 2 is ',', outside RFC 6750's b64token set" },
	{ "{\"access_token\":\"abc=d\"}", "(byte 4 is 'd', outside" },
	{ "{\"access_token\":\"ab\\u0001\"}", "(byte 2 is 0x01, outside" },
	{ "{\"access_token\":\"at\",\"token_type\":\"mac\"}", "issued a 'mac' token, not a bearer token" },
	/* Issue 13, defect 6: token_type is shown filtered. */
	{ "{\"access_token\":\"at\",\"token_type\":\"x\\u001b[2J\\nsasl-oauth: ok\"}", "issued a 'x?[2J?sasl-oauth: ok' token" },
	{ "{\"access_token\":\"at\",\"refresh_token\":\"r\\u0001t\"}", "refresh_token in the answer is not printable" },
	{ "{\"access_token\":\"at\",\"expires_in\":0}", "expires_in (0) is out of range" },
	{ "{\"access_token\":\"at\",\"expires_in\":-5}", "expires_in (-5) is out of range" },
};

static void test_refused_answers(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sao_token_t tok;
		sao_error_t err;

		sao_token_init(&tok);
		CHECK(sao_secret_set(&tok.access_token, "keep", 4, NULL) == SAO_OK);
		CHECK(sao_secret_set(&tok.refresh_token, "rt", 2, NULL) == SAO_OK);
		CHECK_MSG(parse(bad[i].text, &tok, &err) == SAO_ERR_PROTO, "row %zu", i);
		CHECK_MSG(strstr(err.msg, bad[i].want) != NULL, "row %zu: %s", i, err.msg);
		CHECK(strncmp(err.msg, "refreshing the token of account 'work' failed: ", 47) == 0);
		/* Nothing of a refused answer is taken. */
		CHECK_BYTES(tok.access_token.data, tok.access_token.len, "keep", 4);
		CHECK_BYTES(tok.refresh_token.data, tok.refresh_token.len, "rt", 2);
		sao_token_clear(&tok);
	}
}

static const struct {
	long status;
	const char *error, *description, *correlation;
	sao_err_t want_rc;
	const char *want[3]; /* parts the message must hold */
} failures[] = {
	/* A redirect: the number and the correlation id come from the description. */
	{ 0, "access_denied", "AADSTS65004: User declined.\r\nTrace ID: t\r\nCorrelation ID: ab-12\r\nTimestamp: x", NULL,
	  SAO_ERR_LOGIN, { "login failed: the identity provider answered access_denied AADSTS65004: ", "(User declined.) (correlation id ab-12)", "; accept the requested permissions when asked, then run: sasl-oauth login work" } },
	/* The device flow's own error says more than Entra's generic 70000. */
	{ 400, "authorization_declined", "AADSTS70000: The user declined.", "c-1", SAO_ERR_OAUTH,
	  { "authorization_declined AADSTS70000: ", "(The user declined.) (correlation id c-1)", NULL } },
	{ 503, "temporarily_unavailable", "AADSTS90033: A transient error.", "", SAO_ERR_NET,
	  { "answered HTTP 503 temporarily_unavailable AADSTS90033: A transient error.", "try again later", NULL } },
	/* Unknown to the catalog: the provider's words, a fix, control bytes shown as '?'. */
	{ 400, "weird_error", "Something\x1b[1m odd", "", SAO_ERR_OAUTH,
	  { "answered weird_error: Something?[1m odd; ", "check the account's settings against the app registration, then run: sasl-oauth login work", NULL } },
	{ 400, "weird_error", NULL, NULL, SAO_ERR_OAUTH, { "answered weird_error: it gave no description; ", NULL, NULL } },
	/* Issue 13, defect 6: error and correlation_id are provider text too;
	 * an escape sequence or a forged "sasl-oauth:" line reaches no terminal. */
	{ 400, "evil\x1b]0;owned\x07\nsasl-oauth: all fine", "d", "c-2\r\nsasl-oauth: forged\x1b[2J", SAO_ERR_OAUTH,
	  { "answered evil?]0;owned??sasl-oauth: all fine", "(correlation id c-2??sasl-oauth: forged?[2J)", NULL } },
	{ 503, "x\x1b[31m", "d", "", SAO_ERR_NET, { "HTTP 503 x?[31m", NULL, NULL } },
	/* U+009B, CSI to a UTF-8 terminal */
	{ 400, "weird_error", "csi\xc2\x9b" "31m", "", SAO_ERR_OAUTH, { "answered weird_error: csi??31m", NULL, NULL } },
};

static void test_failures(void)
{
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		sao_error_t err;

		sao_error_clear(&err);
		CHECK_MSG(sao_grant_failure("work", "login", failures[i].status, failures[i].error, failures[i].description,
		                            failures[i].correlation, &err) == failures[i].want_rc,
		          "row %zu: %s", i, err.msg);
		for (size_t k = 0; k < 3 && failures[i].want[k] != NULL; k++)
			CHECK_MSG(strstr(err.msg, failures[i].want[k]) != NULL, "row %zu: '%s' not in '%s'", i,
			          failures[i].want[k], err.msg);
		for (const char *p = err.msg; *p != '\0'; p++)
			CHECK_MSG((unsigned char)*p >= 0x20 && *p != 0x7f, "row %zu: a control byte in '%s'", i, err.msg);
	}
}

/* Issue 13, defect 8: a 70 KB refresh token is kept; one past the limit is
 * refused with the account and a fix, and nothing cached is changed. */
static void test_big_tokens(void)
{
	static const size_t sizes[] = { 70 * 1024, SAO_TOKEN_MAX + 1 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *text = malloc(n + 64);
		sao_token_t tok;
		sao_error_t err;
		size_t off;

		CHECK(text != NULL);
		if (text == NULL)
			return;
		off = (size_t)snprintf(text, 64, "{\"access_token\":\"at\",\"refresh_token\":\"");
		memset(text + off, 'r', n);
		memcpy(text + off + n, "\"}", 3);
		sao_token_init(&tok);
		CHECK(sao_secret_set(&tok.refresh_token, "old", 3, NULL) == SAO_OK);
		if (n <= SAO_TOKEN_MAX) {
			CHECK_MSG(parse(text, &tok, &err) == SAO_OK, "%zu bytes: %s", n, err.msg);
			CHECK(tok.refresh_token.len == n);
		} else {
			CHECK(parse(text, &tok, &err) == SAO_ERR_PROTO);
			CHECK_MSG(strstr(err.msg, "account 'work'") != NULL && strstr(err.msg, "refresh token of") != NULL &&
			                  strstr(err.msg, "report it to") != NULL,
			          "%s", err.msg);
			CHECK_BYTES(tok.refresh_token.data, tok.refresh_token.len, "old", 3);
		}
		sao_token_clear(&tok);
		free(text);
	}
}

int main(void)
{
	test_big_tokens();
	test_failures();
	test_rotation_and_keep();
	test_refused_answers();
	return check_done("test-grant");
}
