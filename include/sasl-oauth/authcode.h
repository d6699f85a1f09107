/* SPDX-License-Identifier: MIT */
/*
 * authcode: the authorization-code login a person takes part in, run by
 * "sasl-oauth login" (RFC 6749 §4.1 with PKCE S256, RFC 7636, and state).
 *
 * Two ways back from the browser: a loopback listener (loopback.h,
 * redirect URI "http://localhost:PORT/"; Entra ID ignores the port for
 * localhost), which answers the browser with a short page and takes the
 * code; or, with paste, the user opens the URL anywhere and pastes the
 * address the browser ended on (any redirect URI the app has registered;
 * Microsoft's native-client page by default). Either way the redirect is
 * parsed and judged by redirect.h; an error in it is reported in the
 * catalog's words.
 *
 * The browser: --browser's command line; else $BROWSER, a colon-separated
 * list of command lines tried in order ("%s" is the URL, else it is
 * appended); else xdg-open when there is a display (DISPLAY or
 * WAYLAND_DISPLAY); else nothing is started and the instructions say to use
 * --paste or the device flow. Browsers start through lib/proc.c's detached
 * mode: no shell, the caller's environment, not waited for.
 *
 * Invariants: the PKCE verifier and the state never leave this module but
 * in the token request and the authorize URL; the state is random per
 * login; the code is redeemed at most once.
 *
 * Ownership: tok_r is the caller's (initialised); opts' streams stay open.
 */
#ifndef SAO_AUTHCODE_H
#define SAO_AUTHCODE_H

#include <stdio.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/grant.h"

typedef struct sao_authcode_opts {
	FILE *in;                 /* where a pasted address is read from */
	FILE *out;                /* where instructions go (the CLI's stdout) */
	int timeout_s;            /* how long to wait for the person, > 0 */
	int paste;                /* paste the final address instead of listening */
	const char *redirect_uri; /* paste mode: the registered URI to use; NULL for
	                             the Microsoft native-client page */
	const char *browser;      /* command line to open the URL with; NULL: $BROWSER,
	                             else xdg-open with a display; "": print only */
} sao_authcode_opts_t;

/* Signs in through a browser and fills tok_r with the tokens obtained.
 * Fails with the message of the step that failed (the listener, the paste,
 * the redirect's error, or the token endpoint's answer to the code). */
sao_err_t sao_authcode_login(sao_client_t *c, const sao_authcode_opts_t *o, sao_token_t *tok_r, sao_error_t *err);

/* The browser command lines to try for a login, in order, as the NULL-ended
 * *list_r (free with free(); the strings live in the same block): option
 * when not NULL (none when it is ""), else $BROWSER split at ':', else
 * "xdg-open" when display is set. An empty list means no browser. */
sao_err_t sao_authcode_browsers(const char *option, const char *env_browser, int display, char ***list_r,
                                sao_error_t *err);

#endif
