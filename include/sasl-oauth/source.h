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

#include <stddef.h>
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

/*
 * Whether an application's password (a login no account serves) can be a
 * bearer token at all. libsasl2 gives a client plugin no way to decline a
 * user when mechanisms are chosen, so a configured plugin is picked for
 * password logins of other users too (PLAIN and XOAUTH2 rank alike; load
 * order decides). A secret that cannot be a token is refused at once with
 * the cause and the fix instead of being sent to the server.
 *
 * The rule (docs/decisions.md): a token is RFC 6750 §2.1 b64token
 * characters (A-Z a-z 0-9 - . _ ~ + /, then '=' padding only) and at least
 * SAO_TOKEN_MIN_LEN long. What providers issue is far longer: Entra ID
 * JWTs and Microsoft personal accounts' "EwB..." tokens over 1000,
 * Google's "ya29." ones over 100, opaque tokens of other providers 32 or
 * more (a UUID, 32 hex digits). Returns 1 when secret may be a token; else
 * 0 and *why_r (static) says which part of the rule failed, without
 * quoting the secret.
 */
#define SAO_TOKEN_MIN_LEN 32
int sao_source_token_shaped(const void *secret, size_t len, const char **why_r);

#endif
