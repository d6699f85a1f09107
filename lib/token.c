/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/token.h"

void sao_token_init(sao_token_t *tok)
{
	sao_secret_init(&tok->access_token, SAO_TOKEN_MAX);
	sao_secret_init(&tok->refresh_token, SAO_TOKEN_MAX);
	tok->expires_at = 0;
	tok->obtained_at = 0;
	tok->refresh_obtained_at = 0;
	tok->rejected_at = 0;
	tok->scope = NULL;
	tok->token_type = NULL;
	tok->account = NULL;
	tok->rejected_reason = NULL;
	tok->format_version = SAO_CACHE_FORMAT_VERSION;
}

void sao_token_clear(sao_token_t *tok)
{
	sao_secret_clear(&tok->access_token);
	sao_secret_clear(&tok->refresh_token);
	free(tok->scope);
	free(tok->token_type);
	free(tok->account);
	free(tok->rejected_reason);
	sao_token_init(tok);
}

/* Plain bytes: no locale decides what a letter is. */
static int b64token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~+/", c) != NULL);
}

int sao_token_valid(const void *token, size_t len)
{
	const unsigned char *t = token;
	size_t i = 0;

	/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
	while (i < len && b64token_char(t[i]))
		i++;
	if (i == 0)
		return 0;
	while (i < len && t[i] == '=')
		i++;
	return i == len;
}

int sao_token_refresh_valid(const void *token, size_t len)
{
	const unsigned char *t = token;

	for (size_t i = 0; i < len; i++) {
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return 0;
	}
	return len > 0;
}

sao_token_state_t sao_token_state(const sao_token_t *tok, int64_t now, long margin)
{
	if (tok->rejected_at != 0)
		return SAO_TOKEN_REJECTED;
	if (tok->access_token.len == 0)
		return SAO_TOKEN_EMPTY;
	if (tok->expires_at == 0)
		return SAO_TOKEN_FRESH;
	if (tok->expires_at <= now)
		return SAO_TOKEN_EXPIRED;
	return tok->expires_at - margin > now ? SAO_TOKEN_FRESH : SAO_TOKEN_DUE;
}

int sao_token_fresh(const sao_token_t *tok, int64_t now, long margin)
{
	return sao_token_state(tok, now, margin) == SAO_TOKEN_FRESH;
}

sao_err_t sao_token_check(const sao_token_t *tok, const char *account, int64_t now, long margin,
                          sao_token_state_t *state_r, sao_error_t *err)
{
	sao_token_state_t state = sao_token_state(tok, now, margin);
	char when[64];

	if (state_r != NULL)
		*state_r = state;
	switch (state) {
	case SAO_TOKEN_REJECTED:
		sao_clock_utc(tok->rejected_at, when, sizeof(when));
		return sao_error_fix(err, SAO_ERR_STALE, SAO_FIX_REFRESH_OR_LOGIN, account,
		                     "the access token cached for account '%s' was rejected by the server at %s%s%s; ",
		                     account, when, tok->rejected_reason != NULL ? ": " : "",
		                     tok->rejected_reason != NULL ? tok->rejected_reason : "");
	case SAO_TOKEN_EMPTY:
		return sao_error_fix(err, SAO_ERR_STALE, SAO_FIX_REFRESH, account,
		                     "the cache for account '%s' holds no access token; ", account);
	case SAO_TOKEN_EXPIRED:
		sao_clock_utc(tok->expires_at, when, sizeof(when));
		return sao_error_fix(err, SAO_ERR_STALE, SAO_FIX_REFRESH, account,
		                     "the access token cached for account '%s' expired at %s; ", account, when);
	case SAO_TOKEN_FRESH:
	case SAO_TOKEN_DUE:
		break;
	}
	return SAO_OK;
}
