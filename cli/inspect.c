/* SPDX-License-Identifier: MIT */
/*
 * inspect: reads an account's cached access token (or one piped in with
 * "-") and says whether it is one the mail server accepts: audience,
 * scopes or roles, tenant, version, expiry and user (lib/claims.c judges).
 * It never refreshes, never sends anything, and never prints the token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sasl-oauth/claims.h"

enum { OPT_JSON };

static const cli_option_t options[] = {
	[OPT_JSON] = { .name = "json", .kind = CLI_FLAG },
};

/* The token on stdin, one line, at most SAO_TOKEN_MAX bytes. */
static sao_err_t read_stdin(sao_secret_t *tok, sao_error_t *err)
{
	char buf[4096];
	ssize_t n;
	sao_err_t rc = SAO_OK;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0)
			break;
		rc = sao_secret_append(tok, buf, (size_t)n, err);
		if (rc != SAO_OK)
			break;
	}
	sao_wipe(buf, sizeof(buf));
	if (rc == SAO_OK && n < 0)
		rc = sao_error_set(err, SAO_ERR_IO, "cannot read the token from standard input");
	while (rc == SAO_OK && tok->len > 0 && (tok->data[tok->len - 1] == '\n' || tok->data[tok->len - 1] == '\r'))
		tok->len--;
	if (rc == SAO_OK && tok->len == 0)
		rc = sao_error_set(err, SAO_ERR_NOTFOUND, "no token on standard input; pipe one in: sasl-oauth token "
		                                          "ACCOUNT | sasl-oauth inspect -");
	return rc;
}

static void print_json(const char *name, const sao_claims_t *c, const sao_checks_t *ch, int first)
{
	printf("%s{\"account\":", first ? "" : ",\n");
	cli_json_string(stdout, name);
	printf(",\"jwt\":%s", c->jwt ? "true" : "false");
	if (c->jwt) {
		printf(",\"claims\":{\"aud\":");
		cli_json_string(stdout, c->aud);
		cli_json_member("iss", c->iss);
		cli_json_member("tid", c->tid);
		cli_json_member("ver", c->ver);
		cli_json_member("user", c->user);
		cli_json_member("appid", c->appid);
		cli_json_member("scp", c->scp);
		cli_json_member("roles", c->roles);
		printf(",\"app_only\":%s,\"exp\":%lld}", sao_claims_app_only(c) ? "true" : "false", (long long)c->exp);
	}
	printf(",\"result\":\"%s\",\"checks\":[", sao_check_level_name(ch->worst));
	for (size_t i = 0; i < ch->n; i++) {
		printf("%s{\"check\":\"%s\",\"result\":\"%s\",\"text\":", i > 0 ? "," : "", ch->item[i].name,
		       sao_check_level_name(ch->item[i].level));
		cli_json_string(stdout, ch->item[i].text);
		if (ch->item[i].fix[0] != '\0')
			cli_json_member("fix", ch->item[i].fix);
		putchar('}');
	}
	printf("]}");
}

/* Inspects one token; returns the exit status its checks make. */
static int inspect_one(const char *name, const sao_account_t *a, const sao_secret_t *token, const char *scope,
                       int64_t expires_at, int json, int first)
{
	sao_claims_t c;
	sao_checks_t ch;
	sao_error_t err;

	sao_error_clear(&err);
	if (sao_claims_decode(token->data, token->len, &c, &err) != SAO_OK)
		return cli_report(&err);
	sao_claims_check(&c, a, scope, expires_at, (int64_t)time(NULL), &ch);
	if (json) {
		print_json(name, &c, &ch, first);
	} else {
		for (size_t i = 0; i < ch.n; i++)
			cli_check_line(name, &ch.item[i]);
	}
	return ch.worst == SAO_CHECK_FAIL ? SAO_EXIT_FAIL : SAO_EXIT_OK;
}

/* A failure before any check: on stderr, and in the JSON as an object. */
static int failed(const char *name, const sao_error_t *err, int json, int first)
{
	if (json) {
		printf("%s{\"account\":", first ? "" : ",\n");
		cli_json_string(stdout, name);
		printf(",\"result\":\"error\"");
		cli_json_member("error", err->msg);
		putchar('}');
	}
	return cli_report(err);
}

/* The account's cached token, inspected; a missing cache is reported. */
static int inspect_account(const sao_account_t *a, int json, int first)
{
	sao_token_t tok;
	sao_error_t err;
	char *path = NULL;
	int code;
	sao_err_t rc;

	sao_error_clear(&err);
	sao_token_init(&tok);
	if (a->token_command != NULL) {
		sao_error_set(&err, SAO_ERR_CONFIG,
		              "account '%s' takes its tokens from its token_command; inspect one with: %s | sasl-oauth "
		              "inspect -",
		              a->name, a->token_command);
		code = failed(a->name, &err, json, first);
		goto out;
	}
	rc = sao_settings_cache_path(a, &path, &err);
	if (rc == SAO_OK)
		rc = sao_cache_read(path, &tok, &err);
	if (rc == SAO_OK) {
		code = inspect_one(a->name, a, &tok.access_token, tok.scope, tok.expires_at, json, first);
		goto out;
	}
	if (rc == SAO_ERR_NOTFOUND) {
		sao_error_clear(&err);
		sao_error_set(&err, SAO_ERR_NOTFOUND, "account '%s' has no cached token; run: sasl-oauth login %s", a->name,
		              a->name);
	}
	code = failed(a->name, &err, json, first);
out:
	sao_token_clear(&tok);
	free(path);
	return code;
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	int json = o->given[OPT_JSON], worst = SAO_EXIT_OK, code, first = 1;

	if (json)
		putchar('[');
	if (o->n_operands == 1 && strcmp(o->operands[0], "-") == 0) {
		sao_secret_t tok;
		sao_error_t err;

		sao_error_clear(&err);
		sao_secret_init(&tok, SAO_TOKEN_MAX);
		if (read_stdin(&tok, &err) == SAO_OK)
			worst = inspect_one("-", NULL, &tok, NULL, 0, json, 1);
		else
			worst = failed("-", &err, json, 1);
		sao_secret_clear(&tok);
	} else if (o->n_operands == 1) {
		sao_error_t err;
		const sao_account_t *a;

		sao_error_clear(&err);
		a = sao_settings_get(s, o->operands[0]);
		if (a == NULL)
			a = sao_settings_find(s, o->operands[0], NULL);
		if (a == NULL) {
			cli_find_account(s, o->operands[0], &err);
			worst = failed(o->operands[0], &err, json, 1);
		} else {
			worst = inspect_account(a, json, 1);
		}
	} else {
		for (size_t i = 0; i < s->n_accounts; i++) {
			code = inspect_account(&s->accounts[i], json, first);
			first = 0;
			if (code != SAO_EXIT_OK)
				worst = code;
		}
	}
	if (json)
		puts("]");
	return worst;
}

const cli_command_t cli_inspect = CLI_COMMAND("inspect", CLI_OPTIONAL_ACCOUNT,
	"Decodes the cached access token of ACCOUNT (of every account without one; \"-\"\n"
	"reads a token from standard input) and checks it against what Exchange Online\n"
	"needs: audience, delegated scopes or app roles, tenant, version, expiry against\n"
	"refresh_margin, and the token's user against the account's users. Opaque tokens\n"
	"(Microsoft personal accounts, Google) are named as such. The token is never\n"
	"printed. --json prints the claims and checks as JSON. Exit status 1 when a check\n"
	"fails.\n");
