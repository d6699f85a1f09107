/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sasl-oauth/grant.h"
#include "sasl-oauth/proc.h"
#include "sasl-oauth/renew.h"

int sao_renew_lock_ms(const sao_account_t *a)
{
	/* Long enough for the holder to finish one request with its retry. */
	return (int)(a->http_timeout + 15) * 1000;
}

static int fresh(const sao_account_t *a, const sao_token_t *tok)
{
	return sao_token_fresh(tok, (int64_t)time(NULL), a->refresh_margin);
}

static int is_client_credentials(const sao_account_t *a)
{
	return a->flow == SAO_FLOW_CLIENT_CREDENTIALS;
}

/* Reads the cache; a missing file is an empty token for client credentials
 * accounts (they can get one unattended) and the login hint for others. */
static sao_err_t read_cache(const sao_account_t *a, const char *path, sao_token_t *tok, sao_error_t *err)
{
	sao_error_t why;
	sao_err_t rc;

	sao_token_clear(tok);
	sao_error_clear(&why);
	rc = sao_cache_read(path, tok, &why);
	if (rc == SAO_ERR_NOTFOUND && is_client_credentials(a))
		return SAO_OK;
	if (rc == SAO_ERR_NOTFOUND)
		return sao_cache_missing(path, a->name, SAO_ERR_LOGIN, err);
	return rc == SAO_OK ? SAO_OK : sao_error_set(err, rc, "%s", why.msg);
}

/* The request itself; tok holds the cached state and receives the answer. */
static sao_err_t request(sao_client_t *c, const char *path, sao_token_t *tok, sao_error_t *err)
{
	const sao_account_t *a = c->account;
	sao_token_t again;
	sao_error_t first;
	sao_err_t rc;

	if (is_client_credentials(a))
		return sao_grant_client_credentials(c, (int64_t)time(NULL), tok, err);
	sao_error_clear(&first);
	rc = sao_grant_refresh(c, (int64_t)time(NULL), tok, &first);
	if (rc != SAO_ERR_LOGIN) {
		if (rc != SAO_OK)
			sao_error_set(err, rc, "%s", first.msg);
		return rc;
	}
	/* The grant was refused: if another writer stored a different refresh
	 * token meanwhile, that one is the current one. */
	sao_token_init(&again);
	if (sao_cache_read(path, &again, NULL) == SAO_OK && again.refresh_token.len > 0 &&
	    !sao_secret_equal(&again.refresh_token, &tok->refresh_token)) {
		sao_token_clear(tok);
		*tok = again;
		return sao_grant_refresh(c, (int64_t)time(NULL), tok, err);
	}
	sao_token_clear(&again);
	return sao_error_set(err, rc, "%s", first.msg);
}

static sao_err_t set_account(sao_token_t *tok, const sao_account_t *a, sao_error_t *err)
{
	if (tok->account != NULL && strcmp(tok->account, a->name) == 0)
		return SAO_OK;
	free(tok->account);
	tok->account = strdup(a->name);
	return tok->account != NULL ? SAO_OK : sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
}

/* The same failure as before: the same words up to the first parenthesis,
 * which opens what changes with every attempt (the provider's own text
 * with its trace and correlation ids, the timestamp). */
static int same_failure(const char *a, const char *b)
{
	size_t la = strcspn(a, "("), lb = strcspn(b, "(");

	return la == lb && strncmp(a, b, la) == 0;
}

/* A refresh failed in a way only a person can fix. Noted next to the cache
 * for those who cannot refresh for themselves (Postfix's smtp in its
 * chroot, status), and told once to the account's notify_command: not
 * again while the note says the same, so a timer's every run or every
 * queued mail does not repeat it; a successful refresh removes the note. */
static void needs_person(const sao_account_t *a, const char *path, const char *msg)
{
	char before[SAO_CACHE_NOTE_MAX], account[512], reason[SAO_CACHE_NOTE_MAX + 32];
	const char *env[3] = { account, reason, NULL };
	int same = sao_cache_read_failure(path, before, sizeof(before)) && same_failure(before, msg);

	if (sao_cache_note_failure(path, msg, NULL) != SAO_OK || same || a->notify_command == NULL)
		return;
	snprintf(account, sizeof(account), "SASL_OAUTH_ACCOUNT=%s", a->name);
	/* The note's own line, as status shows it: printable, one line. */
	if (!sao_cache_read_failure(path, before, sizeof(before)))
		return;
	snprintf(reason, sizeof(reason), "SASL_OAUTH_REASON=%s", before);
	(void)sao_proc_notify(a->notify_command, "notify_command", (int)a->command_timeout * 1000, env, NULL);
}

sao_err_t sao_renew_token(const sao_account_t *a, int force, sao_token_t *tok_r, int *refreshed_r, sao_error_t *err)
{
	sao_client_t client;
	sao_error_t first;
	char *path = NULL;
	int64_t seen_obtained = -1;
	sao_cache_slot_t slot;
	int lock = -1, have_client = 0;
	sao_err_t rc;

	sao_cache_slot_init(&slot);
	if (refreshed_r != NULL)
		*refreshed_r = 0;
	rc = sao_settings_cache_path(a, &path, err);
	if (rc != SAO_OK)
		goto out;
	/* Fast path without the lock: most calls end here. A corrupt file has
	 * been kept aside by the read; say so rather than ask for a login. */
	sao_error_clear(&first);
	rc = sao_cache_read(path, tok_r, &first);
	if (rc == SAO_OK && !force && fresh(a, tok_r))
		goto out;
	if (rc == SAO_OK) {
		seen_obtained = tok_r->obtained_at;
	} else if (rc != SAO_ERR_NOTFOUND) {
		sao_error_set(err, rc, "%s", first.msg);
		goto out;
	}
	rc = sao_cache_lock(path, sao_renew_lock_ms(a), &lock, err);
	if (rc != SAO_OK)
		goto out;
	rc = read_cache(a, path, tok_r, err);
	if (rc != SAO_OK)
		goto out;
	/* Someone refreshed while we waited for the lock: use theirs. */
	if (fresh(a, tok_r) && (!force || tok_r->obtained_at != seen_obtained))
		goto out;
	rc = sao_client_init(&client, a, err);
	if (rc != SAO_OK)
		goto out;
	have_client = 1;
	/* Room for the answer before asking (issue 13, defect 1): with strict
	 * rotation the old refresh token dies with the request, so the new
	 * one must have a place to go that cannot fail for lack of space. */
	sao_error_clear(&first);
	rc = sao_cache_reserve(path, &slot, &first);
	if (rc != SAO_OK) {
		sao_error_set(err, rc, "%s; no request was sent, so the cached refresh token still works", first.msg);
		goto out;
	}
	rc = request(&client, path, tok_r, err);
	/* Noted for those who cannot refresh for themselves and would
	 * otherwise only see the token expire (Postfix's smtp in its chroot),
	 * and for status and notify_command. */
	if (rc == SAO_ERR_LOGIN && err != NULL)
		needs_person(a, path, err->msg);
	if (rc == SAO_OK)
		rc = set_account(tok_r, a, err);
	if (rc != SAO_OK)
		goto out;
	if (refreshed_r != NULL)
		*refreshed_r = 1;
	sao_error_clear(&first);
	rc = sao_cache_commit(&slot, tok_r, &first);
	if (rc != SAO_OK) {
		/* The new access token works: hand it out, and say why the next
		 * refresh may need a login. */
		sao_error_set(err, rc,
		              "%s; the new access token of account '%s' was handed out anyway; if the provider "
		              "rotates refresh tokens strictly the cached one no longer works: after fixing the cause "
		              "run: sasl-oauth login %s",
		              first.msg, a->name, a->name);
		if (refreshed_r != NULL)
			*refreshed_r = SAO_RENEW_UNSTORED;
		rc = SAO_OK;
	}
out:
	sao_cache_slot_release(&slot);
	if (have_client)
		sao_client_clear(&client);
	sao_cache_unlock(&lock);
	free(path);
	if (rc != SAO_OK)
		sao_token_clear(tok_r);
	return rc;
}
