/* SPDX-License-Identifier: MIT */
/*
 * device: the device-code login (RFC 8628), run by "sasl-oauth login" for
 * flow = device.
 *
 * It asks the device endpoint for a code, prints the verification URL and
 * the user code (and a QR code of the URL when out is a terminal and
 * libqrencode was found), then polls the token endpoint at the server's
 * interval: authorization_pending waits, slow_down adds 5 s (RFC 8628
 * §3.5), expired_token, authorization_declined and bad_verification_code
 * end the login with the catalog's message. A countdown on a terminal
 * shows the time left; a few network failures in a row are retried, since
 * the sign-in may be half done.
 *
 * Invariants: the device code is a secret (never printed, wiped); the wait
 * ends at the earlier of the code's expiry and timeout_s.
 *
 * Ownership: tok_r is the caller's (initialised); out stays open.
 */
#ifndef SAO_DEVICE_H
#define SAO_DEVICE_H

#include <stdio.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/grant.h"

typedef struct sao_device_opts {
	FILE *out;     /* where instructions go (the CLI's stdout) */
	int timeout_s; /* how long to wait for the person, > 0 */
} sao_device_opts_t;

/* Signs in with a device code and fills tok_r with the tokens obtained. */
sao_err_t sao_device_login(sao_client_t *c, const sao_device_opts_t *o, sao_token_t *tok_r, sao_error_t *err);

#endif
