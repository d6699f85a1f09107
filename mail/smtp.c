/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/smtp.h"
#include "sasl-oauth/url.h"

/* RFC 5321 §4.5.3.1.4: a command line, CRLF included. */
#define SMTP_COMMAND_MAX 512

sao_err_t sao_smtp_parse(const char *line, size_t len, sao_smtp_line_t *r, sao_error_t *err)
{
	memset(r, 0, sizeof(*r));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
	    line[2] > '9' || (len > 3 && line[3] != ' ' && line[3] != '-') || memchr(line, '\0', len) != NULL)
		return sao_error_set(err, SAO_ERR_PROTO, "the SMTP server sent a line that is no reply");
	r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	r->more = len > 3 && line[3] == '-';
	r->text = len > 4 ? line + 4 : line + len;
	r->text_len = len > 4 ? len - 4 : 0;
	return SAO_OK;
}

typedef struct dlg {
	sao_tls_t *c;
	sao_login_result_t *res;
	char line[SAO_LOGIN_LINE_MAX];
	sao_smtp_line_t l;
	char reply[512];  /* the whole reply, "CODE text text ...", printable */
	char keys[4096];  /* the lines' texts, one '\n' apart (EHLO: its keywords) */
} dlg_t;

/* Reads one whole reply; its code in d->l.code, its words in d->reply,
 * and every line's text in d->keys (for EHLO). The text of the last line
 * is d->l.text (a "334" challenge is one line). */
static sao_err_t reply(dlg_t *d, sao_error_t *err)
{
	size_t used = 0, kused = 0;
	int code = 0;
	sao_err_t rc;

	d->keys[0] = '\0';
	do {
		size_t n;

		rc = sao_tls_read_line(d->c, d->line, sizeof(d->line), &n, err);
		if (rc == SAO_OK)
			rc = sao_smtp_parse(d->line, n, &d->l, err);
		if (rc != SAO_OK)
			return rc;
		if (code != 0 && d->l.code != code)
			return sao_error_set(err, SAO_ERR_PROTO, "the SMTP server changed the reply code within one reply");
		code = d->l.code;
		if (used == 0)
			used = (size_t)snprintf(d->reply, sizeof(d->reply), "%d", code);
		if (used + 8 < sizeof(d->reply) && d->l.text_len > 0) {
			d->reply[used++] = ' ';
			sao_error_printable(d->l.text, d->l.text_len, d->reply + used, sizeof(d->reply) - used - 4);
			used = strlen(d->reply);
		}
		/* Printable: the keywords reach messages (what the server offers). */
		if (kused + d->l.text_len + 8 < sizeof(d->keys)) {
			if (kused > 0)
				d->keys[kused++] = '\n';
			sao_error_printable(d->l.text, d->l.text_len, d->keys + kused, sizeof(d->keys) - kused - 4);
			kused = strlen(d->keys);
		}
	} while (d->l.more);
	return SAO_OK;
}

/* Sends cmd and reads the reply; refused (with the reply in res->server)
 * unless its code is want. */
static sao_err_t command(dlg_t *d, const char *cmd, int want, sao_err_t refused, sao_error_t *err)
{
	char buf[SMTP_COMMAND_MAX];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", cmd);
	sao_err_t rc = n > 0 && (size_t)n < sizeof(buf) ? sao_tls_write_all(d->c, buf, (size_t)n, err)
	                                                : sao_error_set(err, SAO_ERR_TOOBIG, "SMTP command too long");

	if (rc == SAO_OK)
		rc = reply(d, err);
	if (rc == SAO_OK && d->l.code != want) {
		snprintf(d->res->server, sizeof(d->res->server), "%s", d->reply);
		rc = sao_error_set(err, refused, "the SMTP server refused %.*s: %s", (int)strcspn(cmd, ":"), cmd, d->reply);
	}
	return rc;
}

/* 1 when the EHLO keyword line "word ARGS..." exists ("AUTH LOGIN
 * XOAUTH2"); with arg, when arg is among its words. */
static int ehlo_has(const dlg_t *d, const char *word, const char *arg)
{
	size_t wl = strlen(word);

	for (const char *p = d->keys; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		if (n >= wl && strncasecmp(p, word, wl) == 0 && (n == wl || p[wl] == ' ' || p[wl] == '=')) {
			if (arg == NULL)
				return 1;
			for (const char *q = p + wl; q < p + n;) {
				size_t k;

				q += strspn(q, " =");
				k = strcspn(q, " \n");
				if (k == strlen(arg) && strncasecmp(q, arg, k) == 0)
					return 1;
				q += k;
			}
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static sao_err_t ehlo(dlg_t *d, const char *helo, sao_error_t *err)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "EHLO %s", helo);
	return command(d, cmd, 250, SAO_ERR_PROTO, err);
}

/* The exchange's view of a reply: 334 continues, 235 ends, anything else
 * refuses (with its code: the catalog reads "535 5.7.139 ..."). */
static sao_err_t auth_line(void *ctx, sao_auth_line_t *kind_r, const char **text_r, size_t *len_r, sao_error_t *err)
{
	dlg_t *d = ctx;
	sao_err_t rc = reply(d, err);

	*kind_r = SAO_AUTH_SKIP;
	*text_r = d->l.text;
	*len_r = d->l.text_len;
	if (rc != SAO_OK)
		return rc;
	if (d->l.code == 334) {
		*kind_r = SAO_AUTH_CONTINUE;
	} else {
		*kind_r = d->l.code == 235 ? SAO_AUTH_DONE : SAO_AUTH_REFUSED;
		*text_r = d->reply;
		*len_r = strlen(d->reply);
	}
	return SAO_OK;
}

/* RFC 5321 §4.2.1: a 4yz refusal is transient (Exchange's throttling,
 * 4.7.500): the server is not refusing the login for good, so it is
 * reported as one to try again later. */
static sao_err_t transient(sao_err_t rc, const sao_login_result_t *res, sao_error_t *err)
{
	if (rc != SAO_ERR_REJECTED || res->server[0] != '4')
		return rc;
	if (err != NULL)
		err->code = SAO_ERR_NET;
	return SAO_ERR_NET;
}

sao_err_t sao_smtp_login(sao_tls_t *c, int starttls, const char *helo, const sao_auth_t *auth,
                         sao_login_result_t *res, sao_error_t *err)
{
	sao_auth_dialogue_t ad = {
		.proto = "SMTP", .catalog = SAO_CATALOG_SMTP, .c = c, .tag = "", .line_max = SMTP_COMMAND_MAX,
		.next = auth_line, .server = res->server, .server_size = sizeof(res->server),
	};
	char cmd[64];
	dlg_t *d;
	sao_err_t rc;

	memset(res, 0, sizeof(*res));
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	d->c = c;
	d->res = res;
	ad.ctx = d;
	rc = reply(d, err);
	res->greeted = rc == SAO_OK || rc == SAO_ERR_PROTO;
	res->foreign = rc == SAO_ERR_PROTO;
	if (rc == SAO_OK && d->l.code != 220) {
		snprintf(res->server, sizeof(res->server), "%s", d->reply);
		rc = sao_error_set(err, SAO_ERR_NET, "the SMTP server did not greet with 220: %s", d->reply);
	}
	if (rc == SAO_OK)
		rc = ehlo(d, helo, err);
	if (rc == SAO_OK && starttls) {
		if (!ehlo_has(d, "STARTTLS", NULL))
			rc = sao_error_set(err, SAO_ERR_PROTO, "the SMTP server does not offer STARTTLS; use smtps:// if it "
			                   "takes TLS on its own port (465)");
		if (rc == SAO_OK)
			rc = command(d, "STARTTLS", 220, SAO_ERR_PROTO, err);
		if (rc == SAO_OK)
			rc = sao_tls_start(c, err);
		/* RFC 3207 §4.2: what the server said before TLS is forgotten. */
		if (rc == SAO_OK)
			rc = ehlo(d, helo, err);
	}
	if (rc != SAO_OK)
		goto out;
	for (size_t i = 0; d->keys[i] != '\0' && i < sizeof(res->caps) - 1; i++)
		res->caps[i] = d->keys[i] == '\n' ? ' ' : d->keys[i];
	if (!ehlo_has(d, "AUTH", auth->mech)) {
		res->not_offered = 1;
		rc = sao_error_set(err, SAO_ERR_PROTO, "the SMTP server does not offer %s (%s)", auth->mech,
		                   ehlo_has(d, "AUTH", NULL) ? "see its AUTH line" : "it offers no AUTH at all");
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "AUTH %s", auth->mech);
	rc = transient(sao_auth_run(&ad, auth, cmd, err), res, err);
	res->authenticated = rc == SAO_OK;
out:
	free(d);
	return rc;
}

sao_err_t sao_smtp_mail_from(sao_tls_t *c, const char *from, sao_login_result_t *res, sao_error_t *err)
{
	char cmd[SAO_URL_USER_MAX + 16];
	dlg_t *d = calloc(1, sizeof(*d));
	sao_err_t rc;

	if (d == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	d->c = c;
	d->res = res;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", from);
	rc = transient(command(d, cmd, 250, SAO_ERR_REJECTED, err), res, err);
	if (rc == SAO_OK)
		rc = command(d, "RSET", 250, SAO_ERR_PROTO, err);
	free(d);
	return rc;
}

void sao_smtp_quit(sao_tls_t *c)
{
	sao_tls_farewell(c, "QUIT\r\n", NULL);
}
