/* SPDX-License-Identifier: MIT */
/*
 * forget: deletes the account's cached tokens and, with --revoke, asks the
 * provider to revoke the refresh token (RFC 7009) where it can
 * (docs/cli.md). The tokens are deleted first, so a provider that cannot be
 * reached never keeps them on disk.
 */
#include "config.h"

#include <stdlib.h>

#include "cli.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/grant.h"

enum { OPT_REVOKE };

static const cli_option_t options[] = {
	[OPT_REVOKE] = { .name = "revoke", .kind = CLI_FLAG },
};

static sao_err_t revoke(const sao_account_t *a, const sao_token_t *tok, sao_error_t *err)
{
	sao_client_t client;
	sao_err_t rc;

	rc = sao_client_init(&client, a, err);
	if (rc != SAO_OK)
		return rc;
	rc = sao_grant_revoke(&client, tok, err);
	sao_client_clear(&client);
	return rc;
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	const sao_account_t *a;
	sao_token_t tok;
	sao_error_t err;
	char *path = NULL;
	int code;
	sao_err_t rc;

	sao_error_clear(&err);
	sao_token_init(&tok);
	a = cli_find_account(s, o->operands[0], &err);
	if (a == NULL)
		return cli_report(&err);
	rc = sao_settings_cache_path(a, &path, &err);
	if (rc == SAO_OK)
		rc = sao_cache_remove(path, &tok, &err);
	if (rc == SAO_ERR_NOTFOUND && err.code == SAO_OK) {
		/* No cache file (left unworded by the cache): forgetting twice is
		 * no failure, a script may run it again. */
		cli_say("account '%s' has no stored tokens ('%s'); nothing to delete", a->name, path);
		code = SAO_EXIT_OK;
		goto out;
	}
	if (rc != SAO_OK) {
		code = cli_report(&err);
		goto out;
	}
	cli_say("deleted the tokens of account '%s' ('%s')", a->name, path);
	code = SAO_EXIT_OK;
	if (o->given[OPT_REVOKE] && tok.refresh_token.len > 0 && revoke(a, &tok, &err) != SAO_OK)
		code = cli_report(&err);
out:
	free(path);
	sao_token_clear(&tok);
	return code;
}

const cli_command_t cli_forget = CLI_COMMAND("forget", CLI_ONE_ACCOUNT,
	"Deletes the account's stored tokens; --revoke also asks the provider to revoke the\n"
	"refresh token where it can (Google, generic providers with revoke_endpoint).\n");
