/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/catalog.h"
#include "sasl-oauth/challenge.h"
#include "sasl-oauth/claims.h"
#include "sasl-oauth/tls.h"

/* Appends base64 of p to out in chunks a multiple of 3 long, so that no
 * padding appears before the end and no unwiped copy of the bytes is made. */
static sao_err_t b64_append(sao_secret_t *out, const unsigned char *p, size_t n, sao_error_t *err)
{
	unsigned char chunk[4 * 64 + 1];
	sao_err_t rc = SAO_OK;

	while (n > 0 && rc == SAO_OK) {
		size_t k = n < 3 * 64 ? n : 3 * 64;
		int m = EVP_EncodeBlock(chunk, p, (int)k);

		rc = sao_secret_append(out, chunk, (size_t)m, err);
		p += k;
		n -= k;
	}
	sao_wipe(chunk, sizeof(chunk));
	return rc;
}

static int b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict base64 (RFC 4648 §4, padded) of s into a new buffer of *n_r bytes. */
static sao_err_t b64_decode(const char *s, size_t len, unsigned char **out_r, size_t *n_r, sao_error_t *err)
{
	size_t pad = 0;
	unsigned char *out;
	int m;

	*out_r = NULL;
	*n_r = 0;
	if (len % 4 != 0)
		return sao_error_set(err, SAO_ERR_PROTO, "the server's challenge is not base64 (length %zu)", len);
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		if (!b64_char((unsigned char)s[i]))
			return sao_error_set(err, SAO_ERR_PROTO, "the server's challenge is not base64");
	}
	if (len / 4 * 3 > SAO_CHALLENGE_MAX)
		return sao_error_set(err, SAO_ERR_TOOBIG, "the server's challenge is longer than %d bytes",
		                     SAO_CHALLENGE_MAX);
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	m = len > 0 ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
	if (m < 0 || (size_t)m < pad) {
		free(out);
		return sao_error_set(err, SAO_ERR_PROTO, "the server's challenge is not base64");
	}
	*out_r = out;
	*n_r = (size_t)m - pad;
	return SAO_OK;
}

sao_err_t sao_auth_initial(const sao_auth_t *a, sao_secret_t *b64, sao_error_t *err)
{
	sao_secret_t raw;
	sao_err_t rc;

	sao_secret_clear(b64);
	sao_secret_init(&raw, SAO_TOKEN_MAX + 2048);
	rc = a->ops->start(a->ctx, &raw, err);
	if (rc == SAO_OK)
		rc = b64_append(b64, raw.data, raw.len, err);
	sao_secret_clear(&raw);
	return rc;
}

sao_err_t sao_auth_answer(const sao_auth_t *a, const char *challenge, size_t len, sao_secret_t *b64, sao_error_t *err)
{
	unsigned char *raw = NULL;
	size_t n = 0;
	sao_secret_t out;
	sao_err_t rc;

	sao_secret_clear(b64);
	sao_secret_init(&out, SAO_TOKEN_MAX + 2048);
	rc = b64_decode(challenge, len, &raw, &n, err);
	if (rc == SAO_OK)
		rc = a->ops->step(a->ctx, raw, n, &out, err);
	if (rc == SAO_OK)
		rc = b64_append(b64, out.data, out.len, err);
	sao_secret_clear(&out);
	free(raw);
	return rc;
}

sao_err_t sao_auth_send(sao_tls_t *c, const char *prefix, const sao_secret_t *b64, sao_error_t *err)
{
	sao_secret_t line;
	sao_err_t rc;

	sao_secret_init(&line, SAO_AUTH_B64_MAX + 256);
	rc = sao_secret_append(&line, prefix, strlen(prefix), err);
	if (rc == SAO_OK && b64 != NULL && b64->len > 0)
		rc = sao_secret_append(&line, b64->data, b64->len, err);
	if (rc == SAO_OK)
		rc = sao_secret_append(&line, "\r\n", 2, err);
	if (rc == SAO_OK)
		rc = sao_tls_write_secret(c, line.data, line.len, strlen(prefix), err);
	sao_secret_clear(&line);
	return rc;
}

static void keep_words(const sao_auth_dialogue_t *d, const char *text, size_t len)
{
	sao_error_printable(text, len, d->server, d->server_size - 4);
}

/* A refusal that came without an error challenge (Exchange Online's
 * "NO AUTHENTICATE failed.", "-ERR Authentication failure"): the catalog's
 * cause and fix for the server's words, or NULL when it knows them not. */
static const char *server_diagnosis(const sao_auth_dialogue_t *d, const sao_auth_t *auth, char *buf, size_t size)
{
	static const char *const prefix[] = { [SAO_CATALOG_IMAP] = "t NO ", [SAO_CATALOG_POP3] = "-ERR ",
		                              [SAO_CATALOG_SMTP] = "" };
	char reply[600], fix[SAO_ERROR_MSG_MAX];
	sao_server_reply_t r = { .proto = d->catalog, .reply = reply, .app_only = auth->app_only, .shared = auth->shared };
	const sao_server_entry_t *e;

	snprintf(reply, sizeof(reply), "%s%s", prefix[d->catalog], d->server);
	e = sao_catalog_server(&r);
	if (e == NULL)
		return NULL;
	snprintf(buf, size, "%s; fix: %s", e->cause, sao_catalog_fix(e, auth->mailbox, auth->client_id, fix, sizeof(fix)));
	return buf;
}

sao_err_t sao_auth_run(const sao_auth_dialogue_t *d, const sao_auth_t *auth, const char *command, sao_error_t *err)
{
	char explained[SAO_ERROR_MSG_MAX];
	sao_secret_t b64, answer;
	char line[128];
	const char *text = NULL, *diag;
	size_t len = 0;
	sao_auth_line_t kind = SAO_AUTH_SKIP;
	sao_err_t rc;

	sao_secret_init(&b64, SAO_AUTH_B64_MAX);
	sao_secret_init(&answer, SAO_AUTH_B64_MAX);
	rc = sao_auth_initial(auth, &b64, err);
	if (rc != SAO_OK)
		goto out;
	if (strlen(d->tag) + strlen(command) + 1 + (b64.len > 0 ? b64.len : 1) + 2 <= d->line_max) {
		snprintf(line, sizeof(line), "%s%s %s", d->tag, command, b64.len > 0 ? "" : "=");
		rc = sao_auth_send(d->c, line, &b64, err);
	} else {
		snprintf(line, sizeof(line), "%s%s", d->tag, command);
		rc = sao_auth_send(d->c, line, NULL, err);
		do {
			if (rc == SAO_OK)
				rc = d->next(d->ctx, &kind, &text, &len, err);
		} while (rc == SAO_OK && kind == SAO_AUTH_SKIP);
		if (rc == SAO_OK && kind != SAO_AUTH_CONTINUE) {
			keep_words(d, text, len);
			diag = server_diagnosis(d, auth, explained, sizeof(explained));
			rc = sao_error_set(err, SAO_ERR_REJECTED, "the %s server refused %s: %s%s%s", d->proto, command,
			                   d->server, diag != NULL ? "; " : "", diag != NULL ? diag : "");
		}
		if (rc == SAO_OK)
			rc = sao_auth_send(d->c, "", &b64, err);
	}
	while (rc == SAO_OK) {
		rc = d->next(d->ctx, &kind, &text, &len, err);
		if (rc != SAO_OK || kind == SAO_AUTH_DONE)
			break;
		if (kind == SAO_AUTH_CONTINUE) {
			rc = sao_auth_answer(auth, text, len, &answer, err);
			if (rc == SAO_OK)
				rc = sao_auth_send(d->c, "", &answer, err);
		} else if (kind == SAO_AUTH_REFUSED) {
			keep_words(d, text, len);
			diag = auth->ops->diagnosis(auth->ctx);
			if (diag == NULL)
				diag = server_diagnosis(d, auth, explained, sizeof(explained));
			rc = sao_error_set(err, SAO_ERR_REJECTED, "the %s server refused the %s login: %s%s%s", d->proto,
			                   auth->mech, d->server, diag != NULL ? "; " : "", diag != NULL ? diag : "");
		}
	}
out:
	sao_secret_clear(&b64);
	sao_secret_clear(&answer);
	return rc;
}

void sao_auth_hints(sao_auth_t *a, const sao_account_t *account, const sao_claims_t *claims, const char *mailbox)
{
	a->app_only = account->flow == SAO_FLOW_CLIENT_CREDENTIALS || (claims->jwt && sao_claims_app_only(claims));
	a->shared = claims->jwt && claims->user[0] != '\0' && strcasecmp(claims->user, mailbox) != 0;
	a->mailbox = mailbox;
	a->client_id = account->client_id;
}

/* ---- bearer ------------------------------------------------------------ */

static sao_err_t bearer_start(void *ctx, sao_secret_t *out, sao_error_t *err)
{
	sao_auth_bearer_t *b = ctx;

	return b->encode(&b->in, out, err);
}

/* Any challenge after the initial response is the server's refusal
 * (RFC 7628 §3.2.2; Google's and Dovecot's XOAUTH2 likewise): decode it for
 * the diagnosis and answer as the mechanism requires, so the server ends the
 * exchange with its failure. */
static sao_err_t bearer_step(void *ctx, const unsigned char *challenge, size_t len, sao_secret_t *out,
                             sao_error_t *err)
{
	sao_auth_bearer_t *b = ctx;
	sao_challenge_t ch;
	sao_error_t perr;

	b->challenged = 1;
	sao_error_clear(&perr);
	if (sao_challenge_parse(challenge, len, &ch, &perr) != SAO_OK)
		snprintf(b->diag, sizeof(b->diag),
		         "the server refused the token for '%s' with an error challenge that could not be read (%s)",
		         b->in.user, perr.msg);
	else
		snprintf(b->diag, sizeof(b->diag), "the server refused the token for '%s': %s (status %s%s%s)", b->in.user,
		         sao_challenge_cause(&ch), ch.status, ch.scope[0] != '\0' ? ", scope " : "", ch.scope);
	return sao_secret_set(out, b->error_reply, b->error_reply_len, err);
}

static const char *bearer_diagnosis(void *ctx)
{
	sao_auth_bearer_t *b = ctx;

	return b->challenged ? b->diag : NULL;
}

const sao_auth_ops_t sao_auth_bearer_ops = {
	.start = bearer_start,
	.step = bearer_step,
	.diagnosis = bearer_diagnosis,
};

sao_err_t sao_auth_bearer_init(sao_auth_t *a, sao_auth_bearer_t *b, const char *mech, const sao_mech_input_t *in,
                               sao_error_t *err)
{
	memset(b, 0, sizeof(*b));
	memset(a, 0, sizeof(*a));
	if (strcasecmp(mech, "XOAUTH2") == 0) {
		a->mech = "XOAUTH2";
		b->encode = sao_mech_xoauth2_encode;
		b->error_reply = "";
		b->error_reply_len = 0;
	} else if (strcasecmp(mech, "OAUTHBEARER") == 0) {
		a->mech = "OAUTHBEARER";
		b->encode = sao_mech_oauthbearer_encode;
		b->error_reply = "\x01";
		b->error_reply_len = 1;
	} else {
		return sao_error_set(err, SAO_ERR_CONFIG, "the mechanism '%s' is not one the tunnel speaks; use XOAUTH2 or "
		                     "OAUTHBEARER", mech);
	}
	b->in = *in;
	a->ops = &sao_auth_bearer_ops;
	a->ctx = b;
	return SAO_OK;
}
