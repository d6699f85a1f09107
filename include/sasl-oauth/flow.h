/* SPDX-License-Identifier: MIT */
/*
 * flow: the interactive grants a person takes part in, run by
 * "sasl-oauth login".
 *
 * Device code (RFC 8628): asks the device endpoint for a code, prints the
 * verification URL and the user code (and a QR code of the URL when out is
 * a terminal), then polls the token endpoint at the server's interval:
 * authorization_pending waits, slow_down adds 5 s (RFC 8628 §3.5),
 * expired_token, authorization_declined and bad_verification_code end the
 * flow with the catalog's message. A countdown shows the time left.
 *
 * Authorization code with PKCE S256 and state (RFC 7636, RFC 8252): either
 * a loopback listener on 127.0.0.1 on a random port, redirect URI
 * "http://localhost:PORT/" (Entra ID ignores the port for localhost), which
 * answers the browser with a short page and takes the code; or, with
 * paste, the user opens the URL anywhere and pastes the address the browser
 * ended on (any redirect URI the app has registered). The state is
 * checked in constant time; an error in the redirect is reported with the
 * catalog's words.
 */
#ifndef SAO_FLOW_H
#define SAO_FLOW_H

#include <stdint.h>
#include <stdio.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/grant.h"

typedef struct sao_flow_opts {
	FILE *in;            /* where a pasted URL is read from */
	FILE *out;           /* where instructions go (the CLI's stdout) */
	int timeout_s;       /* how long to wait for the person, > 0 */
	int paste;           /* authcode: paste the final URL instead of listening */
	const char *redirect_uri; /* paste mode: the registered URI to use; NULL for
	                             the Microsoft native-client page */
	const char *browser; /* command to open the URL with, or NULL to only print it */
} sao_flow_opts_t;

/* Each fills tok_r (initialised by the caller) with the tokens obtained. */
sao_err_t sao_flow_device(sao_client_t *c, const sao_flow_opts_t *o, sao_token_t *tok_r, sao_error_t *err);
sao_err_t sao_flow_authcode(sao_client_t *c, const sao_flow_opts_t *o, sao_token_t *tok_r, sao_error_t *err);

#endif
