/* SPDX-License-Identifier: MIT */
/*
 * config: the effective configuration, each value with the FILE:LINE that
 * set it or "default", each account's cache path and whether its file and
 * directory pass the permission checks, and the client plugins libsasl2
 * loads that offer XOAUTH2 or OAUTHBEARER, with the one it picks for each
 * mechanism. Values hold no secrets (secrets live in the files they name);
 * a URL's user:password is masked all the same. Nothing is changed.
 *
 * Which plugin libsasl2 picks is asked of libsasl2 itself: it keeps its
 * client mechanisms in one list, ranked by security flags, and ties (two
 * XOAUTH2 plugins claim the same flags) stay in load order, which
 * sasl_client_plugin_info() walks in the order sasl_client_start() does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/libsasl.h"

#include "cli.h"

enum { OPT_NO_PLUGINS };

static const cli_option_t options[] = {
	[OPT_NO_PLUGINS] = { .name = "no-plugins", .kind = CLI_FLAG },
};

static int is_ours(const char *plugname)
{
	return strcmp(plugname, "sasl-oauth") == 0;
}

/* The plugins of mech and libsasl2's pick; 1 when another plugin is
 * picked ahead of ours. */
static int report_mech(const char *mech, const sao_settings_t *s)
{
	struct {
		char plugname[SAO_LIBSASL_PLUGINS_MAX][SAO_LIBSASL_NAME_MAX];
		size_t n;
	} f;
	const char *path = getenv("SASL_PATH");
	sao_error_t err;

	sao_error_clear(&err);
	if (sao_libsasl_plugins(mech, f.plugname, SAO_LIBSASL_PLUGINS_MAX, &f.n, &err) != SAO_OK) {
		printf("%s\n", err.msg);
		return 1;
	}
	if (f.n == 0) {
		printf("%s: no plugin in libsasl2's plugin path offers it\n", mech);
		return 0;
	}
	printf("%s: offered by", mech);
	for (size_t i = 0; i < f.n; i++)
		printf("%s %s", i > 0 ? "," : "", f.plugname[i]);
	printf("; libsasl2 picks %s\n", f.plugname[0]);
	if (is_ours(f.plugname[0]) || s->n_accounts == 0)
		return 0;
	for (size_t i = 1; i < f.n; i++) {
		if (!is_ours(f.plugname[i]))
			continue;
		/* The one line the user needs: what happens and what to do. */
		printf("warning: libsasl2 picks %s's %s ahead of sasl-oauth's (same rank; the one loaded first wins, "
		       "%s): configured users such as %s get %s, which sends the program's password as the token; fix: "
		       "remove that plugin's package if no program needs it (libsasl2-modules-kdexoauth2: sasl-oauth "
		       "passes a token given as the password through the same way), or use OAUTHBEARER where the "
		       "server offers it\n",
		       f.plugname[0], mech, path != NULL ? "SASL_PATH's order" : "the plugin directory's order",
		       s->accounts[0].users[0], f.plugname[0]);
		return 1;
	}
	return 0;
}

/* The cache's path and whether it passes the permission checks. */
static int report_cache(const sao_account_t *a)
{
	char *path = NULL;
	sao_token_t tok;
	sao_error_t err;
	sao_err_t rc;
	int bad = 0;

	sao_error_clear(&err);
	sao_token_init(&tok);
	if (a->token_command != NULL) {
		printf("  # no cache: tokens come from token_command\n");
		return 0;
	}
	rc = sao_settings_cache_path(a, &path, &err);
	if (rc == SAO_OK)
		rc = sao_cache_read(path, &tok, &err);
	if (rc == SAO_OK)
		printf("  # cache %s: permissions ok\n", path);
	else if (rc == SAO_ERR_NOTFOUND)
		printf("  # cache %s: not there yet (sasl-oauth login %s)\n", path != NULL ? path : "?", a->name);
	else {
		printf("  # cache %s: %s\n", path != NULL ? path : "?", err.msg);
		bad = 1;
	}
	sao_token_clear(&tok);
	free(path);
	return bad;
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	char value[1024];
	int problems = 0, line;

	for (size_t i = 0; i < s->n_accounts; i++) {
		const sao_account_t *a = &s->accounts[i];

		if (o->n_operands == 1 && strcmp(o->operands[0], a->name) != 0)
			continue;
		printf("%s[account %s]  # %s:%d\n", i > 0 ? "\n" : "", a->name, a->file, a->line);
		for (size_t k = 0; k < sao_settings_n_keys(); k++) {
			const char *name = sao_settings_describe(a, k, value, sizeof(value), &line);

			if (name == NULL || (value[0] == '\0' && line == 0))
				continue;
			if (line != 0)
				printf("  %s = %s  # %s:%d\n", name, value, a->file, line);
			else
				printf("  %s = %s  # default\n", name, value);
		}
		problems |= report_cache(a);
	}
	if (o->given[OPT_NO_PLUGINS])
		return problems ? SAO_EXIT_FAIL : SAO_EXIT_OK;
	printf("\n");
	problems |= report_mech("XOAUTH2", s);
	problems |= report_mech("OAUTHBEARER", s);
	return problems ? SAO_EXIT_FAIL : SAO_EXIT_OK;
}

const cli_command_t cli_config = CLI_COMMAND("config", CLI_OPTIONAL_ACCOUNT,
	"Prints the effective configuration (of ACCOUNT only, when given): each value with the FILE:LINE that set it\n"
	"or \"default\", each account's cache file and whether its permissions pass, and\n"
	"the client plugins libsasl2 loads (SASL_PATH, else its plugin directory) that\n"
	"offer XOAUTH2 or OAUTHBEARER, with the one libsasl2 picks (not with --no-plugins).\nExit status 1 when a\n"
	"cache fails its checks or another plugin is picked ahead of sasl-oauth.\n");
