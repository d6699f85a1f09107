/* SPDX-License-Identifier: MIT */
/*
 * token: prints a valid access token, refreshing it first when it is stale
 * (docs/cli.md); what mutt, msmtp, mbsync and the plugin run.
 */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "sasl-oauth/renew.h"

enum { OPT_FORMAT, OPT_USER, OPT_FORCE };

static const cli_option_t options[] = {
	[OPT_FORMAT] = { .name = "format", .kind = CLI_CHOICE, .choices = cli_formats },
	[OPT_USER] = { .name = "user", .kind = CLI_STRING, .value = "USER" },
	[OPT_FORCE] = { .name = "force", .kind = CLI_FLAG },
};

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	cli_format_t format = o->given[OPT_FORMAT] ? (cli_format_t)o->number[OPT_FORMAT] : CLI_FORMAT_RAW;
	const char *user = o->value[OPT_USER];
	const sao_account_t *a;
	sao_token_t tok;
	sao_error_t err;
	int code, refreshed = 0;
	sao_err_t rc;

	sao_error_clear(&err);
	a = cli_find_account(s, o->operands[0], &err);
	if (a == NULL)
		return cli_report(&err);
	/* Called with a user name (mutt), the XOAUTH2 string is for that user. */
	if (user == NULL && strcmp(o->operands[0], a->name) != 0)
		user = o->operands[0];
	sao_token_init(&tok);
	rc = sao_renew_token(a, o->given[OPT_FORCE], &tok, &refreshed, &err);
	/* A new token that could not be cached is still printed: the mail
	 * program can log in, and the message says what to fix (issue 13). */
	if (rc == SAO_OK && refreshed == SAO_RENEW_UNSTORED)
		(void)cli_report(&err);
	if (rc == SAO_OK)
		rc = cli_print_token(format, a, user, &tok, &err);
	code = rc == SAO_OK ? SAO_EXIT_OK : cli_report(&err);
	sao_token_clear(&tok);
	return code;
}

const cli_command_t cli_token = CLI_COMMAND("token", CLI_ONE_ACCOUNT,
	"Prints a valid access token of ACCOUNT (an account name or a user it serves),\nrefreshing it first when "
	"it expires within refresh_margin. Formats: raw (for\nmutt's *_oauth_refresh_command, msmtp passwordeval, "
	"mbsync PassCmd, curl\n--oauth2-bearer), xoauth2 (the base64 SASL string for USER), json (with expiry).\n");
