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

enum { OPT_ALL, OPT_FORCE, OPT_WITHIN };

static const cli_option_t options[] = {
	[OPT_ALL] = { .name = "all", .kind = CLI_FLAG, .instead_of_operands = 1 },
	[OPT_FORCE] = { .name = "force", .kind = CLI_FLAG },
	[OPT_WITHIN] = { .name = "within", .kind = CLI_NUMBER, .min = 0, .max = 86400, .value = "SECONDS" },
};

/* What "refresh --all" refreshes ahead by default: the timer's period
 * (15 min) plus its random delay (60 s) plus 4 minutes to spare, so that
 * no token expires before the next run (packaging/systemd). */
#define REFRESH_WITHIN_ALL 1200

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

/* within: also refresh a token that expires within that many seconds
 * (when more than the account's refresh_margin). */
static int refresh_one(const sao_account_t *acct, int force, long within)
{
	sao_account_t ahead = *acct; /* shares acct's strings, frees nothing */
	const sao_account_t *a = &ahead;
	sao_token_t tok;
	sao_error_t err;
	char expiry[128];
	int refreshed = 0, code;
	sao_err_t rc;

	if (within > ahead.refresh_margin)
		ahead.refresh_margin = within;
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
	long within = o->given[OPT_WITHIN] ? o->number[OPT_WITHIN] : o->given[OPT_ALL] ? REFRESH_WITHIN_ALL : 0;

	if (o->given[OPT_ALL]) {
		for (size_t i = 0; i < s->n_accounts; i++) {
			const sao_account_t *a = &s->accounts[i];

			if (!refreshable(a)) {
				cli_account_line(a, "skipped (%s)",
				                 a->token_command != NULL ? "uses a token_command" : "not logged in yet");
				continue;
			}
			code = refresh_one(a, force, within);
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
		code = a != NULL ? refresh_one(a, force, within) : cli_report(&err);
		if (code != SAO_EXIT_OK)
			worst = code;
	}
	return worst;
}

const cli_command_t cli_refresh = CLI_COMMAND("refresh", CLI_ACCOUNTS,
	"Refreshes the tokens that are stale (all managed accounts with --all): for cron,\n"
	"the systemd timer, and caches read inside a chroot. --force refreshes fresh ones too.\n"
	"--within also refreshes tokens that expire within SECONDS (default with --all: 1200,\n"
	"the timer's 15 minutes plus its 60 s delay and some to spare), so that none expires\n"
	"before the next run.\n");
