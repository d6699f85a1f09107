/* SPDX-License-Identifier: MIT */
/* Token sources: the command replaces the cache; a fresh cached token is
 * sent as it is; a stale one goes through "sasl-oauth token NAME" (a fake
 * here, named by SASL_OAUTH_CLI), and without it is refused with the fix. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/source.h"

/* Fake sasl-oauth commands: they check their arguments like the real one. */
#define CLI_OK "#!/bin/sh\n[ \"$1 $2\" = 'token acct' ] || exit 9\necho tok.new\n"
#define CLI_CRASH "#!/bin/sh\necho boom >&2\nexit 7\n"
#define CLI_FAIL "#!/bin/sh\necho 'sasl-oauth: refreshing failed: invalid_grant AADSTS50173; run: sasl-oauth login acct' >&2\nexit 3\n"

struct row {
	const char *name;
	const char *cli;           /* fake sasl-oauth script, or NULL for none installed */
	sao_account_flow_t flow;
	const char *command;       /* token_command, or NULL for the cache */
	const char *access;        /* cache content; NULL = no file */
	int64_t expires_in;        /* relative to now */
	int rejected;
	sao_err_t want_rc;
	const char *want_token;
	const char *want_msg;      /* substring of the error */
	const char *want_source;
};

static const struct row rows[] = {
	{ "valid cache", CLI_OK, SAO_FLOW_DEVICE, NULL, "tok.valid", 3600, 0, SAO_OK, "tok.valid", NULL, "cache" },
	{ "inside margin, no CLI: still used", NULL, SAO_FLOW_DEVICE, NULL, "tok.soon", 30, 0, SAO_OK, "tok.soon", NULL,
	  "cache" },
	{ "expired, no CLI", NULL, SAO_FLOW_DEVICE, NULL, "tok.old", -10, 0, SAO_ERR_STALE, NULL,
	  "expired at", "cache" },
	{ "expired, no CLI: says how to keep it fresh", NULL, SAO_FLOW_DEVICE, NULL, "tok.old", -10, 0, SAO_ERR_STALE, NULL,
	  "'sasl-oauth refresh --all' from outside a chroot", "cache" },
	{ "rejected, no CLI", NULL, SAO_FLOW_DEVICE, NULL, "tok.bad", 3600, 1, SAO_ERR_STALE, NULL, "rejected by the server",
	  "cache" },
	{ "missing", CLI_OK, SAO_FLOW_DEVICE, NULL, NULL, 0, 0, SAO_ERR_NOTFOUND, NULL, "run: sasl-oauth login acct", "cache" },
	{ "inside margin: refreshed", CLI_OK, SAO_FLOW_DEVICE, NULL, "tok.soon", 30, 0, SAO_OK, "tok.new", NULL,
	  "sasl-oauth token" },
	{ "expired: refreshed", CLI_OK, SAO_FLOW_DEVICE, NULL, "tok.old", -10, 0, SAO_OK, "tok.new", NULL, "sasl-oauth token" },
	{ "rejected: refreshed", CLI_OK, SAO_FLOW_DEVICE, NULL, "tok.bad", 3600, 1, SAO_OK, "tok.new", NULL,
	  "sasl-oauth token" },
	{ "inside margin, refresh fails: cached token used", CLI_FAIL, SAO_FLOW_DEVICE, NULL, "tok.soon", 30, 0, SAO_OK,
	  "tok.soon", NULL, "cache" },
	{ "expired, refresh fails: the CLI's cause and fix", CLI_FAIL, SAO_FLOW_DEVICE, NULL, "tok.old", -10, 0, SAO_ERR_LOGIN,
	  NULL, "refreshing failed: invalid_grant AADSTS50173; run: sasl-oauth login acct", "sasl-oauth token" },
	{ "expired, CLI crashes: its exit told", CLI_CRASH, SAO_FLOW_DEVICE, NULL, "tok.old", -10, 0, SAO_ERR_CMD, NULL,
	  "exited with status 7: boom", "sasl-oauth token" },
	{ "client credentials, nothing cached: obtained", CLI_OK, SAO_FLOW_CLIENT_CREDENTIALS, NULL, NULL, 0, 0, SAO_OK,
	  "tok.new", NULL, "sasl-oauth token" },
	{ "command wins over cache", CLI_OK, SAO_FLOW_DEVICE, "printf 'from-cmd\\n'", "tok.old", -10, 0, SAO_OK, "from-cmd",
	  NULL, "token_command" },
	{ "failing command", CLI_OK, SAO_FLOW_DEVICE, "false", "tok.valid", 3600, 0, SAO_ERR_CMD, NULL, "'false'",
	  "token_command" },
};

/* Installs the fake CLI for one row (or names one that does not exist). */
static void set_cli(const char *script)
{
	char cli[256];

	test_path(cli, sizeof(cli), script != NULL ? "sasl-oauth" : "missing");
	if (script != NULL)
		CHECK(test_write_text(cli, 0700, script) == 0);
	setenv("SASL_OAUTH_CLI", cli, 1);
}

int main(void)
{
	char path[256];
	int64_t now = (int64_t)time(NULL);

	test_dir_init("test-source");
	test_path(path, sizeof(path), "acct.json");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		sao_account_t a;
		sao_secret_t token;
		sao_source_result_t res;
		sao_error_t err;
		sao_err_t rc;

		memset(&a, 0, sizeof(a));
		a.name = "acct";
		a.cache = path;
		a.token_command = (char *)r->command;
		a.flow = r->flow;
		a.command_timeout = 5;
		a.refresh_margin = 600;
		a.http_timeout = 5;
		set_cli(r->cli);
		remove(path);
		if (r->access != NULL)
			test_seed_cache(path, r->access, "rt", now + r->expires_in, r->rejected ? now - 5 : 0);
		sao_secret_init(&token, SAO_TOKEN_MAX);
		sao_error_clear(&err);
		rc = sao_source_get(&a, now, &token, &res, &err);
		CHECK_MSG(rc == r->want_rc, "%s: rc %d want %d (%s)", r->name, rc, r->want_rc, err.msg);
		if (r->want_token != NULL)
			CHECK_BYTES(token.data, token.len, r->want_token, strlen(r->want_token));
		if (r->want_msg != NULL)
			CHECK_MSG(strstr(err.msg, r->want_msg) != NULL, "%s: message '%s'", r->name, err.msg);
		CHECK_MSG(res.source != NULL && strcmp(res.source, r->want_source) == 0, "%s: source", r->name);
		CHECK(strstr(err.msg, "tok.") == NULL);
		sao_secret_clear(&token);
		sao_source_result_clear(&res);
	}
	test_dir_done();
	return check_done("test-source");
}
