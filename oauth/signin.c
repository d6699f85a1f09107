/* SPDX-License-Identifier: MIT */
/*
 * signin: sign in and store (signin.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/device.h"
#include "sasl-oauth/grant.h"
#include "sasl-oauth/renew.h"
#include "sasl-oauth/signin.h"

#define STORE_TRIES 5

/* Stores tok in the cache at path; at a terminal, a failure is shown and
 * retried on Enter. */
static sao_err_t store(const sao_account_t *a, const char *path, const sao_authcode_opts_t *o,
                       const sao_token_t *tok, sao_error_t *err)
{
	char line[64];
	sao_err_t rc = sao_cache_store(path, tok, sao_renew_lock_ms(a), err);

	for (int i = 1; rc != SAO_OK && i < STORE_TRIES && o->in != NULL && isatty(fileno(o->in)); i++) {
		fprintf(stderr,
		        "sasl-oauth: you are signed in, but storing the tokens failed: %s\n"
		        "sasl-oauth: fix that, then press Enter to store them again (Ctrl-D gives up)\n",
		        err->msg);
		if (fgets(line, sizeof(line), o->in) == NULL)
			break;
		sao_error_clear(err);
		rc = sao_cache_store(path, tok, sao_renew_lock_ms(a), err);
	}
	return rc;
}

sao_err_t sao_signin(const sao_account_t *a, const sao_authcode_opts_t *o, sao_token_t *tok_r, sao_error_t *err)
{
	sao_client_t client;
	char *path = NULL;
	int have_client = 0;
	sao_err_t rc;

	if (a->flow == SAO_FLOW_CLIENT_CREDENTIALS)
		return sao_renew_token(a, 1, tok_r, NULL, err);
	/* The directory first: tokens the user signed in for are never lost
	 * to a missing ~/.local. */
	rc = sao_settings_cache_path(a, &path, err);
	if (rc == SAO_OK)
		rc = sao_cache_prepare(path, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_client_init(&client, a, err);
	if (rc != SAO_OK)
		goto out;
	have_client = 1;
	if (a->flow == SAO_FLOW_DEVICE && !o->paste) {
		sao_device_opts_t dopts = { .out = o->out, .timeout_s = o->timeout_s };

		rc = sao_device_login(&client, &dopts, tok_r, err);
	} else {
		rc = sao_authcode_login(&client, o, tok_r, err);
	}
	if (rc != SAO_OK)
		goto out;
	tok_r->account = strdup(a->name);
	if (tok_r->account == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = store(a, path, o, tok_r, err);
out:
	if (have_client)
		sao_client_clear(&client);
	free(path);
	return rc;
}
