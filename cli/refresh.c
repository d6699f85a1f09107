/* SPDX-License-Identifier: MIT */
/*
 * refresh: refreshes the tokens that are stale, of the named accounts or of
 * every managed one (--all), for cron, the systemd timer and caches read
 * inside a chroot (docs/cli.md).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sasl-oauth/renew.h"

enum { OPT_ALL, OPT_FORCE };

static const cli_option_t options[] = {
	[OPT_ALL] = { .name = "all", .kind = CLI_FLAG, .instead_of_operands = 1 },
	[OPT_FORCE] = { .name = "force", .kind = CLI_FLAG },
};

/* 1 when the account has a cache worth refreshing: an unattended account
 * always does; another only once somebody logged in. */
static int refreshable(const sao_account_t *a)
{
	char *path = NULL;
	int yes;

	if (a->token_command != NULL)
		return 0;
	if (a->flow == SAO_FLOW_CLIENT_CREDENTIALS)
		return 1;
	if (sao_settings_cache_path(a, &path, NULL) != SAO_OK)
		return 1;
	yes = access(path, F_OK) == 0;
	free(path);
	return yes;
}

static int refresh_one(const sao_account_t *a, int force)
{
	sao_token_t tok;
	sao_error_t err;
	char expiry[128];
	int refreshed = 0, code;
	sao_err_t rc;

	sao_error_clear(&err);
	sao_token_init(&tok);
	rc = sao_renew_token(a, force, &tok, &refreshed, &err);
	/* Refreshed but not stored: for the timer that is a failure. */
	if (rc == SAO_OK && refreshed == SAO_RENEW_UNSTORED)
		rc = err.code != SAO_OK ? err.code : SAO_ERR_IO;
	if (rc == SAO_OK)
		cli_account_line(a, "%s; %s", refreshed ? "refreshed" : "still fresh",
		                 cli_expiry(&tok, expiry, sizeof(expiry)));
	code = rc == SAO_OK ? SAO_EXIT_OK : cli_report(&err);
	sao_token_clear(&tok);
	return code;
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	int force = o->given[OPT_FORCE], worst = SAO_EXIT_OK, code;

	if (o->given[OPT_ALL]) {
		for (size_t i = 0; i < s->n_accounts; i++) {
			const sao_account_t *a = &s->accounts[i];

			if (!refreshable(a)) {
				cli_account_line(a, "skipped (%s)",
				                 a->token_command != NULL ? "uses a token_command" : "not logged in yet");
				continue;
			}
			code = refresh_one(a, force);
			if (code != SAO_EXIT_OK)
				worst = code;
		}
		return worst;
	}
	for (int i = 0; i < o->n_operands; i++) {
		sao_error_t err;
		const sao_account_t *a;

		sao_error_clear(&err);
		a = cli_find_account(s, o->operands[i], &err);
		code = a != NULL ? refresh_one(a, force) : cli_report(&err);
		if (code != SAO_EXIT_OK)
			worst = code;
	}
	return worst;
}

const cli_command_t cli_refresh = CLI_COMMAND("refresh", CLI_ACCOUNTS,
	"Refreshes the tokens that are stale (all managed accounts with --all): for cron,\n"
	"the systemd timer, and caches read inside a chroot. --force refreshes fresh ones too.\n");
