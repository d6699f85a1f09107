/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/imap.h"

static int word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

sao_err_t sao_imap_parse(const char *line, size_t len, sao_imap_line_t *r, sao_error_t *err)
{
	const char *p = line, *end;
	const char *sp;

	memset(r, 0, sizeof(*r));
	/* Lines are read up to LF; the CRLF is not part of any field. */
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	if (len == 0 || memchr(line, '\0', len) != NULL)
		return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server sent an empty line or a NUL byte");
	if (len >= 3 && end[-1] == '}' && memchr(line, '{', len) != NULL)
		return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server sent a literal during the login");
	if (p[0] == '+') {
		r->kind = SAO_IMAP_CONTINUE;
		p++;
		if (p < end && *p == ' ')
			p++;
		r->text = p;
		r->text_len = (size_t)(end - p);
		return SAO_OK;
	}
	sp = memchr(p, ' ', len);
	if (sp == NULL || sp == p)
		return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server sent a line without a tag");
	if (sp - p == 1 && p[0] == '*') {
		r->kind = SAO_IMAP_UNTAGGED;
	} else {
		r->kind = SAO_IMAP_TAGGED;
		r->tag = p;
		r->tag_len = (size_t)(sp - p);
	}
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	r->word = p;
	r->word_len = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
	if (r->word_len == 0)
		return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server sent a response without a status");
	p = sp != NULL ? sp + 1 : end;
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL)
			return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server sent a response code without ']'");
		r->code = p + 1;
		r->code_len = (size_t)(close - p - 1);
		p = close + 1;
		if (p < end && *p == ' ')
			p++;
	}
	r->text = p;
	r->text_len = (size_t)(end - p);
	return SAO_OK;
}

const char *sao_imap_caps(const sao_imap_line_t *l, size_t *len_r)
{
	static const char cap[] = "CAPABILITY";

	*len_r = 0;
	if (l->kind == SAO_IMAP_UNTAGGED && word_is(l->word, l->word_len, cap)) {
		*len_r = l->text_len;
		return l->text;
	}
	if (l->code != NULL && l->code_len > sizeof(cap) && strncasecmp(l->code, cap, sizeof(cap) - 1) == 0 &&
	    l->code[sizeof(cap) - 1] == ' ') {
		*len_r = l->code_len - sizeof(cap);
		return l->code + sizeof(cap);
	}
	return NULL;
}

int sao_imap_has_cap(const char *caps, size_t len, const char *cap)
{
	const char *p = caps, *end = caps + len;

	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t n = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);

		if (word_is(p, n, cap))
			return 1;
		p += n + 1;
	}
	return 0;
}

/* The dialogue's state: the connection, its line, the capabilities seen. */
typedef struct dlg {
	sao_tls_t *c;
	sao_login_result_t *res;
	char line[SAO_LOGIN_LINE_MAX];
	sao_imap_line_t l;
	int tag;
	char cur[16];
} dlg_t;

static void keep_caps(dlg_t *d)
{
	size_t n;
	const char *caps = sao_imap_caps(&d->l, &n);

	if (caps != NULL)
		sao_error_printable(caps, n, d->res->caps, sizeof(d->res->caps) - 4);
}

static void keep_text(dlg_t *d)
{
	sao_error_printable(d->l.text, d->l.text_len, d->res->server, sizeof(d->res->server) - 4);
}

/* A refusal of a command as "BAD text": the word is what the catalog
 * tells apart (Exchange's "BAD User is authenticated but not connected."). */
static void keep_refusal(dlg_t *d)
{
	char *out = d->res->server;
	size_t w;

	sao_error_printable(d->l.word, d->l.word_len < 8 ? d->l.word_len : 8, out, 40);
	w = strlen(out);
	out[w++] = ' ';
	sao_error_printable(d->l.text, d->l.text_len, out + w, sizeof(d->res->server) - w - 4);
}

static sao_err_t next(dlg_t *d, sao_error_t *err)
{
	size_t n;
	sao_err_t rc = sao_tls_read_line(d->c, d->line, sizeof(d->line), &n, err);

	if (rc == SAO_OK)
		rc = sao_imap_parse(d->line, n, &d->l, err);
	if (rc == SAO_OK)
		keep_caps(d);
	return rc;
}

static sao_err_t send_cmd(dlg_t *d, const char *cmd, sao_error_t *err)
{
	char buf[128];
	int n;

	snprintf(d->cur, sizeof(d->cur), "s%d", ++d->tag);
	n = snprintf(buf, sizeof(buf), "%s %s\r\n", d->cur, cmd);
	return sao_tls_write_all(d->c, buf, (size_t)n, err);
}

/* 1 when the line is the tagged answer to the current command. */
static int tagged(const dlg_t *d)
{
	return d->l.kind == SAO_IMAP_TAGGED && d->l.tag_len == strlen(d->cur) &&
	       memcmp(d->l.tag, d->cur, d->l.tag_len) == 0;
}

/* Reads up to the tagged answer; untagged lines only leave their
 * capabilities behind. A BYE ends everything. */
static sao_err_t await(dlg_t *d, const char *what, sao_error_t *err)
{
	sao_err_t rc;

	for (;;) {
		rc = next(d, err);
		if (rc != SAO_OK)
			return rc;
		if (d->l.kind == SAO_IMAP_UNTAGGED && word_is(d->l.word, d->l.word_len, "BYE")) {
			keep_text(d);
			return sao_error_set(err, SAO_ERR_NET, "the IMAP server closed the session during %s: %s", what,
			                     d->res->server);
		}
		if (tagged(d))
			break;
		if (d->l.kind == SAO_IMAP_TAGGED)
			return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server answered a command that was not sent");
	}
	if (word_is(d->l.word, d->l.word_len, "OK"))
		return SAO_OK;
	keep_refusal(d);
	return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server refused %s: %s", what, d->res->server);
}

static sao_err_t capability(dlg_t *d, sao_error_t *err)
{
	sao_err_t rc;

	d->res->caps[0] = '\0';
	rc = send_cmd(d, "CAPABILITY", err);
	return rc == SAO_OK ? await(d, "CAPABILITY", err) : rc;
}

static int has(const dlg_t *d, const char *cap)
{
	return sao_imap_has_cap(d->res->caps, strlen(d->res->caps), cap);
}

/* The exchange's view of a line: "+" continues, the tagged OK ends it, a
 * tagged NO or BAD refuses, a BYE ends the session. */
static sao_err_t auth_line(void *ctx, sao_auth_line_t *kind_r, const char **text_r, size_t *len_r, sao_error_t *err)
{
	dlg_t *d = ctx;
	sao_err_t rc = next(d, err);

	*kind_r = SAO_AUTH_SKIP;
	*text_r = d->l.text;
	*len_r = d->l.text_len;
	if (rc != SAO_OK)
		return rc;
	if (d->l.kind == SAO_IMAP_CONTINUE) {
		*kind_r = SAO_AUTH_CONTINUE;
	} else if (d->l.kind == SAO_IMAP_UNTAGGED && word_is(d->l.word, d->l.word_len, "BYE")) {
		keep_text(d);
		return sao_error_set(err, SAO_ERR_NET, "the IMAP server closed the session during the login: %s",
		                     d->res->server);
	} else if (tagged(d)) {
		*kind_r = word_is(d->l.word, d->l.word_len, "OK") ? SAO_AUTH_DONE : SAO_AUTH_REFUSED;
	}
	return SAO_OK;
}

static sao_err_t authenticate(dlg_t *d, const sao_auth_t *auth, sao_error_t *err)
{
	sao_auth_dialogue_t ad = {
		.proto = "IMAP", .catalog = SAO_CATALOG_IMAP, .c = d->c, .next = auth_line, .ctx = d,
		.server = d->res->server, .server_size = sizeof(d->res->server),
	};
	char cmd[64], mcap[64], tag[24];

	snprintf(mcap, sizeof(mcap), "AUTH=%s", auth->mech);
	if (!has(d, mcap)) {
		d->res->not_offered = 1;
		return sao_error_set(err, SAO_ERR_PROTO, "the IMAP server does not offer %s (it announces: %s)", auth->mech,
		                     d->res->caps);
	}
	snprintf(d->cur, sizeof(d->cur), "s%d", ++d->tag);
	snprintf(tag, sizeof(tag), "%s ", d->cur);
	snprintf(cmd, sizeof(cmd), "AUTHENTICATE %s", auth->mech);
	ad.tag = tag;
	/* RFC 4959: the initial response on the command line only if the server
	 * announces SASL-IR. */
	ad.line_max = has(d, "SASL-IR") ? SAO_IMAP_COMMAND_MAX : 0;
	return sao_auth_run(&ad, auth, cmd, err);
}

sao_err_t sao_imap_login(sao_tls_t *c, int starttls, const sao_auth_t *auth, sao_login_result_t *res,
                         sao_error_t *err)
{
	dlg_t *d;
	sao_err_t rc;

	memset(res, 0, sizeof(*res));
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	d->c = c;
	d->res = res;
	rc = next(d, err);
	res->greeted = rc == SAO_OK || rc == SAO_ERR_PROTO;
	res->foreign = rc == SAO_ERR_PROTO || (rc == SAO_OK && d->l.kind != SAO_IMAP_UNTAGGED);
	if (rc != SAO_OK)
		goto out;
	if (d->l.kind != SAO_IMAP_UNTAGGED || !word_is(d->l.word, d->l.word_len, "OK")) {
		char word[40];

		keep_text(d);
		sao_error_printable(d->l.word, d->l.word_len, word, sizeof(word) - 4);
		rc = sao_error_set(err, word_is(d->l.word, d->l.word_len, "BYE") ? SAO_ERR_NET : SAO_ERR_PROTO,
		                   "the IMAP server did not greet with OK: %s %s", word, d->res->server);
		goto out;
	}
	if (starttls) {
		if (res->caps[0] == '\0')
			rc = capability(d, err);
		if (rc == SAO_OK && !has(d, "STARTTLS"))
			rc = sao_error_set(err, SAO_ERR_PROTO, "the IMAP server does not offer STARTTLS; use imaps:// if it "
			                   "takes TLS on its own port");
		if (rc == SAO_OK)
			rc = send_cmd(d, "STARTTLS", err);
		if (rc == SAO_OK)
			rc = await(d, "STARTTLS", err);
		if (rc == SAO_OK)
			rc = sao_tls_start(c, err);
		/* RFC 3501 §6.2.1: what the server said before TLS is forgotten. */
		res->caps[0] = '\0';
		if (rc != SAO_OK)
			goto out;
	}
	if (res->caps[0] == '\0') {
		rc = capability(d, err);
		if (rc != SAO_OK)
			goto out;
	}
	rc = authenticate(d, auth, err);
	if (rc != SAO_OK)
		goto out;
	res->authenticated = 1;
	/* The OK usually carries the new list (Dovecot, Exchange); else ask. */
	if (d->l.code == NULL || sao_imap_caps(&d->l, &(size_t){ 0 }) == NULL)
		rc = capability(d, err);
out:
	free(d);
	return rc;
}

/* ---- after the login ("sasl-oauth test") ------------------------------ */

/* The mailbox name at the end of a LIST response (RFC 9051 §7.3.1), in
 * name: a quoted string, an atom, or a literal, whose bytes are the next
 * line. */
static sao_err_t list_name(dlg_t *d, size_t len, char *name, size_t size, sao_error_t *err)
{
	const char *p = d->line, *end = d->line + len, *start;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (end > p && end[-1] == '}') {
		size_t n;
		sao_err_t rc = sao_tls_read_line(d->c, d->line, sizeof(d->line), &n, err);

		if (rc != SAO_OK)
			return rc;
		for (end = d->line + n; end > d->line && (end[-1] == '\n' || end[-1] == '\r'); end--)
			;
		sao_error_printable(d->line, (size_t)(end - d->line), name, size - 4);
		return SAO_OK;
	}
	if (end > p && end[-1] == '"') {
		for (start = end - 1; start > p && !(start[-1] == '"' && (start - 1 == p || start[-2] != '\\')); start--)
			;
		end--;
	} else {
		for (start = end; start > p && start[-1] != ' '; start--)
			;
	}
	sao_error_printable(start, (size_t)(end - start), name, size - 4);
	return SAO_OK;
}

sao_err_t sao_imap_list(sao_tls_t *c, sao_login_result_t *res, size_t *n_r, char *names, size_t size,
                        sao_error_t *err)
{
	dlg_t *d;
	sao_err_t rc;

	*n_r = 0;
	names[0] = '\0';
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	d->c = c;
	d->res = res;
	d->tag = 100; /* after the login's tags */
	rc = send_cmd(d, "LIST \"\" \"*\"", err);
	while (rc == SAO_OK) {
		size_t n;

		rc = sao_tls_read_line(c, d->line, sizeof(d->line), &n, err);
		if (rc != SAO_OK)
			break;
		if (n > 7 && strncasecmp(d->line, "* LIST ", 7) == 0) {
			char name[256];
			size_t used = strlen(names);

			rc = list_name(d, n, name, sizeof(name), err);
			if (rc == SAO_OK && used + strlen(name) + 3 < size)
				snprintf(names + used, size - used, "%s%s", used > 0 ? ", " : "", name);
			++*n_r;
			continue;
		}
		rc = sao_imap_parse(d->line, n, &d->l, err);
		if (rc == SAO_OK && tagged(d)) {
			if (!word_is(d->l.word, d->l.word_len, "OK")) {
				keep_refusal(d);
				rc = sao_error_set(err, SAO_ERR_PROTO, "the IMAP server refused LIST after the login: %s",
				                   res->server);
			}
			break;
		}
	}
	free(d);
	return rc;
}

void sao_imap_logout(sao_tls_t *c)
{
	/* "* BYE", then the tagged OK. */
	sao_tls_farewell(c, "s199 LOGOUT\r\n", "s199 ");
}
