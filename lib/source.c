/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/proc.h"
#include "sasl-oauth/source.h"
#include "sasl-oauth/token.h"

typedef struct source {
	const char *name;
	int (*applies)(const sao_account_t *a);
	sao_err_t (*get)(const sao_account_t *a, int64_t now, sao_secret_t *token_r, sao_source_result_t *res,
	                 sao_error_t *err);
} source_t;

static int has_command(const sao_account_t *a)
{
	return a->token_command != NULL;
}

static int always(const sao_account_t *a)
{
	(void)a;
	return 1;
}

static sao_err_t command_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r, sao_source_result_t *res,
                             sao_error_t *err)
{
	char what[256];

	(void)now;
	(void)res;
	snprintf(what, sizeof(what), "token command for account '%s'", a->name);
	return sao_proc_run(a->token_command, NULL, 0, what, (int)(a->command_timeout * 1000), token_r, NULL, err);
}

/* The slow path (DESIGN.md §2): "sasl-oauth token NAME" takes the lock,
 * re-reads, refreshes once for everybody and prints the token. The plugin
 * itself never talks to the network. */
static sao_err_t refresh_with_cli(const sao_account_t *a, sao_secret_t *token_r, sao_error_t *err)
{
	static const char prefix[] = "sasl-oauth: ";
	const char *cli = sao_settings_cli_path();
	char command[4096 + 128];
	char what[256];
	sao_proc_exit_t ex;
	sao_error_t cmd_err;
	sao_err_t rc;

	/* The path is quoted only when it needs it, so messages show it as is. */
	if (strchr(cli, '\'') != NULL ||
	    (size_t)snprintf(command, sizeof(command), strpbrk(cli, " \t") != NULL ? "'%s' token %s" : "%s token %s",
	                     cli, a->name) >= sizeof(command))
		return sao_error_set(err, SAO_ERR_CONFIG, "the sasl-oauth command path '%s' cannot be run", cli);
	snprintf(what, sizeof(what), "refreshing the token of account '%s' with sasl-oauth", a->name);
	sao_error_clear(&cmd_err);
	/* Room for the CLI to wait for another refresher's lock and then make
	 * its own request, each bounded by http_timeout. */
	rc = sao_proc_run(command, NULL, 0, what, (int)(2 * a->http_timeout + 20) * 1000, token_r, &ex, &cmd_err);
	if (rc == SAO_OK)
		return SAO_OK;
	/* sasl-oauth's own line already says what failed, why and the fix;
	 * its exit status says which kind of failure it was. */
	if (rc == SAO_ERR_CMD && ex.status > 0 && strncmp(ex.line, prefix, sizeof(prefix) - 1) == 0)
		return sao_error_set(err, sao_exit_error(ex.status), "%s", ex.line + sizeof(prefix) - 1);
	return sao_error_set(err, rc, "%s", cmd_err.msg);
}

/* Inside a chroot there is no sasl-oauth: the cache must be kept fresh from
 * outside (refresh --all on a timer), and the message says so. Asked only
 * off the fast path. */
static int have_cli(void)
{
	return access(sao_settings_cli_path(), X_OK) == 0;
}

static sao_err_t cache_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r, sao_source_result_t *res,
                           sao_error_t *err)
{
	sao_token_t tok;
	sao_error_t why;
	sao_error_t cli_err;
	sao_token_state_t state = SAO_TOKEN_EMPTY;
	sao_err_t rc;

	sao_token_init(&tok);
	sao_error_clear(&why);
	sao_error_clear(&cli_err);
	rc = sao_settings_cache_path(a, &res->cache_path, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_cache_read(res->cache_path, &tok, &why);
	if (rc == SAO_ERR_NOTFOUND) {
		if (have_cli() && a->flow == SAO_FLOW_CLIENT_CREDENTIALS)
			goto refresh;
		rc = sao_cache_missing(res->cache_path, a->name, rc, err);
		goto out;
	}
	if (rc != SAO_OK) {
		sao_error_set(err, rc, "%s", why.msg);
		goto out;
	}
	res->expires_at = tok.expires_at;
	rc = sao_token_check(&tok, a->name, now, a->refresh_margin, &state, &why);
	if (state == SAO_TOKEN_FRESH)
		goto use_cached;
	if (!have_cli()) {
		if (rc == SAO_OK)
			goto use_cached;
		rc = sao_error_set(err, rc, "%s (sasl-oauth is not at '%s' to refresh it; keep this cache fresh with "
		                   "'sasl-oauth refresh --all' from outside a chroot)",
		                   why.msg, sao_settings_cli_path());
		goto out;
	}
refresh:
	res->source = "sasl-oauth token";
	rc = refresh_with_cli(a, token_r, &cli_err);
	if (rc == SAO_OK)
		goto out;
	/* A refresh that failed ahead of expiry still leaves a token that
	 * works; the next login tries again. */
	if (tok.access_token.len > 0 && why.code == SAO_OK)
		goto use_cached;
	rc = sao_error_set(err, rc, "%s", cli_err.msg);
	goto out;
use_cached:
	res->source = "cache";
	rc = sao_secret_set(token_r, tok.access_token.data, tok.access_token.len, err);
out:
	sao_token_clear(&tok);
	return rc;
}

static const source_t sources[] = {
	{ .name = "token_command", .applies = has_command, .get = command_get },
	{ .name = "cache", .applies = always, .get = cache_get },
};

sao_err_t sao_source_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r, sao_source_result_t *res_r,
                         sao_error_t *err)
{
	res_r->source = NULL;
	res_r->cache_path = NULL;
	res_r->expires_at = 0;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (!sources[i].applies(a))
			continue;
		res_r->source = sources[i].name;
		return sources[i].get(a, now, token_r, res_r, err);
	}
	return sao_error_set(err, SAO_ERR_INTERNAL, "no token source applies to account '%s'", a->name);
}

void sao_source_result_clear(sao_source_result_t *res)
{
	free(res->cache_path);
	res->cache_path = NULL;
}

#define STR_(x) #x
#define STR(x) STR_(x)

int sao_source_token_shaped(const void *secret, size_t len, const char **why_r)
{
	static const char b64token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
	const unsigned char *p = secret;
	size_t body = len;

	/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
	while (body > 0 && p[body - 1] == '=')
		body--;
	for (size_t i = 0; i < body; i++) {
		if (p[i] == '\0' || strchr(b64token, p[i]) == NULL) {
			*why_r = "it holds a character no bearer token has (tokens are letters, digits and - . _ ~ + / =)";
			return 0;
		}
	}
	if (len < SAO_TOKEN_MIN_LEN) {
		*why_r = "it is shorter than any bearer token (" STR(SAO_TOKEN_MIN_LEN) " characters at least)";
		return 0;
	}
	*why_r = NULL;
	return 1;
}
