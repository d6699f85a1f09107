/* SPDX-License-Identifier: MIT */
/*
 * signin: what "sasl-oauth login" does for one account, for every command
 * that signs in ("login", "setup"): the account's flow (device code,
 * authorization code, or client credentials), then the tokens into the
 * account's cache.
 *
 * The cache directory is made (mkdir -p, 0700) and checked writable
 * before the person is asked to sign in: tokens obtained are never thrown
 * away for want of a directory. Should storing fail all the same (a full
 * disk), and the person is at a terminal, the message says what failed and
 * the store is tried again when they press Enter, up to a few times.
 */
#ifndef SAO_SIGNIN_H
#define SAO_SIGNIN_H

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/authcode.h"
#include "sasl-oauth/settings.h"

/* Signs a in and stores the tokens; tok_r (initialised by the caller) gets
 * them, for the caller's report. o: the interactive logins' options (in,
 * out, browser, paste, timeout; the device login uses out and timeout). */
sao_err_t sao_signin(const sao_account_t *a, const sao_authcode_opts_t *o, sao_token_t *tok_r, sao_error_t *err);

#endif
