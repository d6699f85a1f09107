/* SPDX-License-Identifier: MIT */
/*
 * test-token: the rules lib/token.c decides for everybody: what a valid
 * access or refresh token is, when a cached token is fresh, the one message
 * for a stale one, and the fix lines of lib/error.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/token.h"

#define S(s) s, sizeof(s) - 1

static const struct {
	const char *token;
	size_t len;
	int access;  /* valid access token (RFC 6750 b64token) */
	int refresh; /* valid refresh token */
} valid_rows[] = {
	{ S("ya29.a0AfH6SM-x_y~z+/w"), 1, 1 },
	{ S("eyJ0eXAi.eyJhdWQi.c2ln=="), 1, 1 },
	{ S("a"), 1, 1 },
	{ S(""), 0, 0 },
	{ S("="), 0, 1 },
	{ S("ab=c"), 0, 1 },
	{ S("ab,cd"), 0, 1 },   /* what Dovecot's XOAUTH2 parser splits on */
	{ S("a b"), 0, 0 },
	{ S("a\x01" "b"), 0, 0 },
	{ S("a\0b"), 0, 0 },
	{ S("0.AXoA\"quoted\"\\"), 0, 1 },
	{ S("caf\xc3\xa9"), 0, 0 },
	{ S("ab\x7f"), 0, 0 },
};

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
		CHECK_MSG(sao_token_valid(valid_rows[i].token, valid_rows[i].len) == valid_rows[i].access, "row %zu", i);
		CHECK_MSG(sao_token_refresh_valid(valid_rows[i].token, valid_rows[i].len) == valid_rows[i].refresh,
		          "row %zu", i);
	}
}

static const struct {
	const char *name;
	const char *access;
	int64_t expires_at;   /* relative to NOW; 0 = unknown */
	int rejected;
	sao_token_state_t want;
	const char *want_msg; /* the whole message for stale ones */
} state_rows[] = {
	{ "unknown expiry", "at", 0, 0, SAO_TOKEN_FRESH, NULL },
	{ "beyond the margin", "at", 601, 0, SAO_TOKEN_FRESH, NULL },
	{ "at the margin", "at", 600, 0, SAO_TOKEN_DUE, NULL },
	{ "one second left", "at", 1, 0, SAO_TOKEN_DUE, NULL },
	{ "expired", "at", -1, 0, SAO_TOKEN_EXPIRED,
	  "the access token cached for account 'work' expired at 2023-11-14 22:13:19Z; run: sasl-oauth refresh work" },
	{ "no access token", "", 3600, 0, SAO_TOKEN_EMPTY,
	  "the cache for account 'work' holds no access token; run: sasl-oauth refresh work" },
	{ "rejected", "at", 3600, 1, SAO_TOKEN_REJECTED,
	  "the access token cached for account 'work' was rejected by the server at 2023-11-14 22:13:20Z: status 401; "
	  "run: sasl-oauth refresh work (or sasl-oauth login work if that fails)" },
};

#define NOW 1700000000

static void test_state(void)
{
	for (size_t i = 0; i < sizeof(state_rows) / sizeof(state_rows[0]); i++) {
		sao_token_t tok;
		sao_token_state_t state = SAO_TOKEN_EMPTY;
		sao_error_t err;
		sao_err_t rc;

		sao_token_init(&tok);
		CHECK(sao_secret_set(&tok.access_token, state_rows[i].access, strlen(state_rows[i].access), NULL) ==
		      SAO_OK);
		tok.expires_at = state_rows[i].expires_at != 0 ? NOW + state_rows[i].expires_at : 0;
		if (state_rows[i].rejected) {
			tok.rejected_at = NOW;
			tok.rejected_reason = strdup("status 401");
		}
		CHECK_MSG(sao_token_state(&tok, NOW, 600) == state_rows[i].want, "%s", state_rows[i].name);
		CHECK_MSG(sao_token_fresh(&tok, NOW, 600) == (state_rows[i].want == SAO_TOKEN_FRESH), "%s",
		          state_rows[i].name);
		sao_error_clear(&err);
		rc = sao_token_check(&tok, "work", NOW, 600, &state, &err);
		CHECK_MSG(state == state_rows[i].want, "%s", state_rows[i].name);
		if (state_rows[i].want_msg == NULL) {
			CHECK_MSG(rc == SAO_OK && err.msg[0] == '\0', "%s: %s", state_rows[i].name, err.msg);
		} else {
			CHECK_MSG(rc == SAO_ERR_STALE && err.code == SAO_ERR_STALE, "%s", state_rows[i].name);
			CHECK_MSG(strcmp(err.msg, state_rows[i].want_msg) == 0, "%s:\n  got  %s\n  want %s",
			          state_rows[i].name, err.msg, state_rows[i].want_msg);
		}
		sao_token_clear(&tok);
		CHECK(tok.access_token.len == 0 && tok.rejected_reason == NULL);
	}
}

static void test_fix(void)
{
	static const struct {
		sao_fix_t fix;
		const char *want;
	} rows[] = {
		{ SAO_FIX_LOGIN, "cache gone; run: sasl-oauth login work" },
		{ SAO_FIX_LOGIN_PASTE, "cache gone; run: sasl-oauth login work --paste" },
		{ SAO_FIX_REFRESH, "cache gone; run: sasl-oauth refresh work" },
		{ SAO_FIX_REFRESH_OR_LOGIN, "cache gone; run: sasl-oauth refresh work (or sasl-oauth login work if that fails)" },
	};
	sao_error_t err;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_error_clear(&err);
		CHECK(sao_error_fix(&err, SAO_ERR_LOGIN, rows[i].fix, "work", "cache %s; ", "gone") == SAO_ERR_LOGIN);
		CHECK(err.code == SAO_ERR_LOGIN);
		CHECK_MSG(strcmp(err.msg, rows[i].want) == 0, "%s", err.msg);
	}
	/* The first error wins: a later one, fix and all, changes nothing. */
	CHECK(sao_error_fix(&err, SAO_ERR_IO, SAO_FIX_LOGIN, "other", "later; ") == SAO_ERR_IO);
	CHECK(err.code == SAO_ERR_LOGIN && strstr(err.msg, "other") == NULL);
	CHECK(sao_error_fix(NULL, SAO_ERR_IO, SAO_FIX_LOGIN, "x", "y") == SAO_ERR_IO);
}

int main(void)
{
	test_run("valid access and refresh tokens", test_valid);
	test_run("fresh, due, expired, rejected, empty", test_state);
	test_run("the fix lines", test_fix);
	return check_done("test-token");
}
