/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/cmd.h"
#include "sasl-oauth/source.h"

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
	return sao_cmd_run(a->token_command, what, (int)(a->command_timeout * 1000), token_r, err);
}

static void format_utc(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

static sao_err_t cache_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r, sao_source_result_t *res,
                           sao_error_t *err)
{
	sao_token_t tok;
	sao_err_t rc;
	char when[64];

	sao_token_init(&tok);
	rc = sao_settings_cache_path(a, &res->cache_path, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_cache_read(res->cache_path, &tok, err);
	if (rc == SAO_ERR_NOTFOUND) {
		rc = sao_error_set(err, rc, "no token is cached for account '%s' (looked for '%s'); run: sasl-oauth login %s",
		                   a->name, res->cache_path, a->name);
		goto out;
	}
	if (rc != SAO_OK)
		goto out;
	res->expires_at = tok.expires_at;
	if (tok.rejected_at != 0) {
		format_utc(tok.rejected_at, when, sizeof(when));
		rc = sao_error_set(err, SAO_ERR_STALE,
		                   "the access token cached for account '%s' was rejected by the server at %s%s%s; "
		                   "run: sasl-oauth refresh %s (or sasl-oauth login %s if that fails)",
		                   a->name, when, tok.rejected_reason != NULL ? ": " : "",
		                   tok.rejected_reason != NULL ? tok.rejected_reason : "", a->name, a->name);
		goto out;
	}
	if (tok.access_token.len == 0) {
		rc = sao_error_set(err, SAO_ERR_STALE,
		                   "the cache for account '%s' holds no access token; run: sasl-oauth refresh %s", a->name,
		                   a->name);
		goto out;
	}
	if (tok.expires_at != 0 && tok.expires_at <= now) {
		format_utc(tok.expires_at, when, sizeof(when));
		rc = sao_error_set(err, SAO_ERR_STALE,
		                   "the access token cached for account '%s' expired at %s; run: sasl-oauth refresh %s",
		                   a->name, when, a->name);
		goto out;
	}
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
