/* SPDX-License-Identifier: MIT */
/*
 * renew: the token lifecycle of one account's managed cache (DESIGN.md §2,
 * §5): hand out the cached access token while it is fresh, else refresh it
 * exactly once however many processes ask at the same moment.
 *
 * Fresh is lib/token.c's rule (sao_token_fresh) with the account's
 * refresh_margin. Otherwise, under the cache's exclusive
 * lock: re-read (another process may have refreshed while we waited; then
 * its token is used and no request is sent), refresh (refresh token grant,
 * or the client credentials grant for flow = client_credentials), write the
 * cache (temp + fsync + rename, keeping mode and owner) and only then hand
 * out the new token, so a rotated refresh token is never lost. When the
 * provider refuses the refresh token, the cache is re-read once more in case
 * another writer rotated it; the failure then leaves the file as it was.
 */
#ifndef SAO_RENEW_H
#define SAO_RENEW_H

#include <stdint.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/settings.h"

/* How long a writer waits for the cache lock of account a: long enough for
 * the holder to finish one request with its retry. */
int sao_renew_lock_ms(const sao_account_t *a);

/* *refreshed_r after a refresh whose answer could not be stored: the call
 * succeeds (tok_r holds the new access token) and err says what happened
 * (issue 13: a new access token is never thrown away). */
#define SAO_RENEW_UNSTORED 2

/* A fresh token for account a in tok_r (initialised by the caller). force
 * refreshes even a fresh token (once per call, never twice when another
 * process has just done it). *refreshed_r (may be NULL) is 1 when this call
 * sent a request, SAO_RENEW_UNSTORED when it did but could not store the
 * answer (then err holds the message). Before the request the space for the
 * answer is reserved (sao_cache_reserve); without it no request is sent. */
sao_err_t sao_renew_token(const sao_account_t *a, int force, sao_token_t *tok_r, int *refreshed_r, sao_error_t *err);

#endif
