/* SPDX-License-Identifier: MIT */
/*
 * source: where a login's bearer token comes from (DESIGN.md §4), in order:
 * the account's token_command, then the account's cache file. Sources are a
 * const table of name + function; the first source an account configures is
 * the one used (a command replaces the cache, it does not fall back to it).
 *
 * The cache source is read-only here: a token that is expired or was marked
 * rejected is SAO_ERR_STALE with a message naming the fix. Never touches the
 * network.
 */
#ifndef SAO_SOURCE_H
#define SAO_SOURCE_H

#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/settings.h"

typedef struct sao_source_result {
	const char *source;  /* "token_command" or "cache", static */
	char *cache_path;    /* set for the cache source, owned */
	int64_t expires_at;  /* 0 if unknown */
} sao_source_result_t;

/* Fills token_r (initialised by the caller) for account a at time now. */
sao_err_t sao_source_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r,
                         sao_source_result_t *res_r, sao_error_t *err);

void sao_source_result_clear(sao_source_result_t *res);

#endif
