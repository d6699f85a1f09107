/* SPDX-License-Identifier: MIT */
/*
 * source: where a login's bearer token comes from (DESIGN.md §4), in order:
 * the account's token_command, then the account's cache file. Sources are a
 * const table of name + function; the first source an account configures is
 * the one used (a command replaces the cache, it does not fall back to it).
 *
 * The cache source never touches the network: a fresh token is sent as it
 * is. A token that is rejected, expired, or inside refresh_margin (and a
 * missing cache of a client_credentials account) is handed to the slow path:
 * "sasl-oauth token NAME" run as a child (sao_proc_run), which refreshes once
 * under the cache lock and prints the token. If that fails while the cached
 * token is still valid, the cached token is sent; otherwise the CLI's own
 * message (cause and fix) is the error. Without the CLI (a chroot) a stale
 * token is SAO_ERR_STALE with a message naming the fix.
 */
#ifndef SAO_SOURCE_H
#define SAO_SOURCE_H

#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/settings.h"

typedef struct sao_source_result {
	const char *source;  /* "token_command", "cache" or "sasl-oauth token", static */
	char *cache_path;    /* set for the cache source, owned */
	int64_t expires_at;  /* 0 if unknown */
} sao_source_result_t;

/* Fills token_r (initialised by the caller) for account a at time now. */
sao_err_t sao_source_get(const sao_account_t *a, int64_t now, sao_secret_t *token_r,
                         sao_source_result_t *res_r, sao_error_t *err);

void sao_source_result_clear(sao_source_result_t *res);

#endif
