/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sasl-oauth/redirect.h"

#define WHAT "the address pasted for account 'work'"
#define STATE "6f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b"

struct row {
	const char *name;
	const char *text;
	sao_err_t want_rc;
	const char *code;        /* NULL: none */
	const char *state;       /* NULL: none */
	const char *error;       /* NULL: none */
	const char *description; /* NULL: none */
	const char *want_msg;    /* exact; NULL: not checked */
};

static const struct row rows[] = {
	/* What a provider sends back. */
	{ "loopback target", "/?code=abc&state=" STATE, SAO_OK, "abc", STATE, NULL, NULL, NULL },
	{ "whole address", "http://localhost/?code=abc&state=" STATE "&session_state=x", SAO_OK, "abc", STATE, NULL,
	  NULL, NULL },
	{ "native client page", "https://login.microsoftonline.com/common/oauth2/nativeclient?code=0.AX-y_z~.q&state=s",
	  SAO_OK, "0.AX-y_z~.q", "s", NULL, NULL, NULL },
	{ "percent escapes and plus", "/?code=a%2Fb%2bc+d&state=%41", SAO_OK, "a/b+c d", "A", NULL, NULL, NULL },
	{ "fragment ignored", "/?code=abc#state=evil", SAO_OK, "abc", NULL, NULL, NULL, NULL },
	{ "unknown parameters ignored", "/?x=1&&y&code=c&z=%zz", SAO_OK, "c", NULL, NULL, NULL, NULL },
	{ "encoded name", "/?%63ode=c", SAO_OK, "c", NULL, NULL, NULL, NULL },
	{ "error with description", "/?error=access_denied&error_description=AADSTS65004%3A+declined%0D%0ATrace&state=s",
	  SAO_OK, NULL, "s", "access_denied", "AADSTS65004: declined\r\nTrace", NULL },
	{ "no parameters at all", "/?", SAO_OK, NULL, NULL, NULL, NULL, NULL },

	/* Refused. */
	{ "no query", "http://localhost/", SAO_ERR_PROTO, NULL, NULL, NULL, NULL,
	  WHAT " has no query: it must be the whole address with \"?code=...&state=...\" that the browser ended on; "
	       "copy it from the address bar again" },
	{ "code twice", "/?code=a&code=b", SAO_ERR_PROTO, NULL, NULL, NULL, NULL,
	  WHAT " holds the parameter 'code' twice; copy the address again" },
	{ "state twice, once encoded", "/?state=a&st%61te=b", SAO_ERR_PROTO, NULL, NULL, NULL, NULL,
	  WHAT " holds the parameter 'state' twice; copy the address again" },
	{ "broken escape", "/?code=a%4", SAO_ERR_PROTO, NULL, NULL, NULL, NULL,
	  WHAT " has a broken percent escape or a NUL byte; copy the whole address again" },
	{ "not hex", "/?code=a%g1", SAO_ERR_PROTO, NULL, NULL, NULL, NULL, NULL },
	{ "escaped NUL", "/?code=a%00b", SAO_ERR_PROTO, NULL, NULL, NULL, NULL, NULL },
	{ "empty code", "/?code=&state=s", SAO_ERR_PROTO, NULL, NULL, NULL, NULL,
	  WHAT " has an empty code, state or error, or one with bytes RFC 6749 does not allow; copy the whole "
	       "address again" },
	{ "control byte in the state", "/?code=c&state=a%0Ab", SAO_ERR_PROTO, NULL, NULL, NULL, NULL, NULL },
	{ "8-bit byte in the error", "/?error=%C3%A9", SAO_ERR_PROTO, NULL, NULL, NULL, NULL, NULL },
	{ "code without a value", "/?code", SAO_ERR_PROTO, NULL, NULL, NULL, NULL, NULL },
};

static void check_value(const char *name, const char *field, int has, const sao_secret_t *got, const char *want)
{
	CHECK_MSG(has == (want != NULL), "%s: %s present %d", name, field, has);
	if (want != NULL && has)
		CHECK_BYTES(got->data, got->len, want, strlen(want));
}

static void test_parse(void)
{
	sao_redirect_t r;

	sao_redirect_init(&r);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		/* r is reused: what the previous row left must not show. */
		rc = sao_redirect_parse(w->text, strlen(w->text), WHAT, &r, &err);
		CHECK_MSG(rc == w->want_rc, "%s: rc %d (%s)", w->name, rc, err.msg);
		if (w->want_msg != NULL)
			CHECK_BYTES(err.msg, strlen(err.msg), w->want_msg, strlen(w->want_msg));
		if (rc != SAO_OK || w->want_rc != SAO_OK)
			continue;
		check_value(w->name, "code", r.has_code, &r.code, w->code);
		check_value(w->name, "state", r.has_state, &r.state, w->state);
		check_value(w->name, "error", r.has_error, &r.error, w->error);
		check_value(w->name, "error_description", r.has_description, &r.description, w->description);
	}
	sao_redirect_clear(&r);
	CHECK(r.code.data == NULL && r.state.data == NULL && !r.has_code && !r.has_state);
}

/* Length is authoritative: bytes after len are not read. */
static void test_by_length(void)
{
	const char text[] = "/?code=abc&state=xyz";
	sao_redirect_t r;

	sao_redirect_init(&r);
	CHECK(sao_redirect_parse(text, 10, WHAT, &r, NULL) == SAO_OK);
	CHECK_BYTES(r.code.data, r.code.len, "abc", 3);
	CHECK(!r.has_state);
	sao_redirect_clear(&r);
}

static void test_check(void)
{
	sao_redirect_t r;
	sao_secret_t state;
	sao_error_t err;

	sao_redirect_init(&r);
	sao_secret_init(&state, 64);
	CHECK(sao_secret_set(&state, STATE, strlen(STATE), NULL) == SAO_OK);

	/* The right state and a code. */
	CHECK(sao_redirect_parse("/?code=c1&state=" STATE, strlen("/?code=c1&state=" STATE), WHAT, &r, NULL) == SAO_OK);
	CHECK(sao_redirect_state_ok(&r, &state));
	sao_error_clear(&err);
	CHECK(sao_redirect_check(&r, &state, "work", &err) == SAO_OK);

	/* Another state: refused, as forgery or a stale tab. */
	CHECK(sao_redirect_parse("/?code=c1&state=x" STATE, strlen("/?code=c1&state=x" STATE), WHAT, &r, NULL) ==
	      SAO_OK);
	CHECK(!sao_redirect_state_ok(&r, &state));
	sao_error_clear(&err);
	CHECK(sao_redirect_check(&r, &state, "work", &err) == SAO_ERR_PROTO);
	CHECK_MSG(strstr(err.msg, "its state does not match") != NULL && strstr(err.msg, "sasl-oauth login work") != NULL,
	          "%s", err.msg);

	/* No state at all. */
	CHECK(sao_redirect_parse("/?code=c1", 9, WHAT, &r, NULL) == SAO_OK);
	CHECK(!sao_redirect_state_ok(&r, &state));
	sao_error_clear(&err);
	CHECK(sao_redirect_check(&r, &state, "work", &err) == SAO_ERR_PROTO);
	CHECK_MSG(strstr(err.msg, "carries no state") != NULL, "%s", err.msg);

	/* The right state with an error: the catalog's words. */
	{
		const char *t = "/?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=" STATE;

		CHECK(sao_redirect_parse(t, strlen(t), WHAT, &r, NULL) == SAO_OK);
		sao_error_clear(&err);
		CHECK(sao_redirect_check(&r, &state, "work", &err) != SAO_OK);
		CHECK_MSG(strstr(err.msg, "AADSTS65004") != NULL && strstr(err.msg, "login of account 'work'") != NULL,
		          "%s", err.msg);
	}

	/* The right state, but neither code nor error. */
	CHECK(sao_redirect_parse("/?state=" STATE, strlen("/?state=" STATE), WHAT, &r, NULL) == SAO_OK);
	sao_error_clear(&err);
	CHECK(sao_redirect_check(&r, &state, "work", &err) == SAO_ERR_PROTO);
	CHECK_MSG(strstr(err.msg, "neither a code nor an error") != NULL, "%s", err.msg);

	sao_redirect_clear(&r);
	sao_secret_clear(&state);
}

int main(void)
{
	test_parse();
	test_by_length();
	test_check();
	return check_done("test-redirect");
}
