/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/pop3.h"

sao_pop3_kind_t sao_pop3_parse(const char *line, size_t len, const char **text_r, size_t *text_len_r)
{
	sao_pop3_kind_t kind;
	size_t skip;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= 3 && strncasecmp(line, "+OK", 3) == 0 && (len == 3 || line[3] == ' ')) {
		kind = SAO_POP3_OK;
		skip = 3;
	} else if (len >= 4 && strncasecmp(line, "-ERR", 4) == 0 && (len == 4 || line[4] == ' ')) {
		kind = SAO_POP3_ERR;
		skip = 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		kind = SAO_POP3_CONTINUE;
		skip = 1;
	} else {
		kind = SAO_POP3_DATA;
		skip = 0;
	}
	if (kind != SAO_POP3_DATA && skip < len)
		skip++;
	*text_r = line + skip;
	*text_len_r = len - skip;
	return kind;
}

typedef struct dlg {
	sao_tls_t *c;
	sao_login_result_t *res;
	char line[SAO_LOGIN_LINE_MAX];
	sao_pop3_kind_t kind;
	const char *text;
	size_t text_len;
} dlg_t;

static sao_err_t next(dlg_t *d, sao_error_t *err)
{
	size_t n;
	sao_err_t rc = sao_tls_read_line(d->c, d->line, sizeof(d->line), &n, err);

	if (rc == SAO_OK)
		d->kind = sao_pop3_parse(d->line, n, &d->text, &d->text_len);
	return rc;
}

static void keep_text(dlg_t *d)
{
	sao_error_printable(d->text, d->text_len, d->res->server, sizeof(d->res->server) - 4);
}

static sao_err_t command(dlg_t *d, const char *cmd, sao_error_t *err)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", cmd);
	sao_err_t rc = sao_tls_write_all(d->c, buf, (size_t)n, err);

	if (rc == SAO_OK)
		rc = next(d, err);
	if (rc == SAO_OK && d->kind != SAO_POP3_OK) {
		keep_text(d);
		rc = sao_error_set(err, SAO_ERR_PROTO, "the POP3 server refused %s: %s", cmd, d->res->server);
	}
	return rc;
}

/* CAPA (RFC 2449): the SASL line, if any, must name the mechanism. A
 * server without CAPA is simply tried. */
static sao_err_t check_capa(dlg_t *d, const char *mech, sao_error_t *err)
{
	char sasl[512] = "";
	int have_sasl = 0, found = 0;
	sao_err_t rc = sao_tls_write_all(d->c, "CAPA\r\n", 6, err);

	if (rc == SAO_OK)
		rc = next(d, err);
	if (rc != SAO_OK || d->kind != SAO_POP3_OK)
		return rc;
	for (;;) {
		rc = next(d, err);
		if (rc != SAO_OK)
			return rc;
		if (d->text_len == 1 && d->text[0] == '.')
			break;
		if (d->text_len > 5 && strncasecmp(d->text, "SASL ", 5) == 0) {
			const char *p = d->text + 5, *end = d->text + d->text_len;

			have_sasl = 1;
			sao_error_printable(p, (size_t)(end - p), sasl, sizeof(sasl) - 4);
			while (p < end) {
				const char *sp = memchr(p, ' ', (size_t)(end - p));
				size_t n = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);

				if (n == strlen(mech) && strncasecmp(p, mech, n) == 0)
					found = 1;
				p += n + 1;
			}
		}
	}
	if (have_sasl && !found) {
		d->res->not_offered = 1;
		snprintf(d->res->caps, sizeof(d->res->caps), "SASL %s", sasl);
		return sao_error_set(err, SAO_ERR_PROTO, "the POP3 server does not offer %s (it offers SASL %s)", mech,
		                     sasl);
	}
	return SAO_OK;
}

/* The exchange's view of a line: "+" continues, +OK ends, -ERR refuses. */
static sao_err_t auth_line(void *ctx, sao_auth_line_t *kind_r, const char **text_r, size_t *len_r, sao_error_t *err)
{
	static const sao_auth_line_t kinds[] = {
		[SAO_POP3_OK] = SAO_AUTH_DONE,
		[SAO_POP3_ERR] = SAO_AUTH_REFUSED,
		[SAO_POP3_CONTINUE] = SAO_AUTH_CONTINUE,
		[SAO_POP3_DATA] = SAO_AUTH_SKIP,
	};
	dlg_t *d = ctx;
	sao_err_t rc = next(d, err);

	*kind_r = rc == SAO_OK ? kinds[d->kind] : SAO_AUTH_SKIP;
	*text_r = d->text;
	*len_r = d->text_len;
	return rc;
}

static sao_err_t authenticate(dlg_t *d, const sao_auth_t *auth, sao_error_t *err)
{
	sao_auth_dialogue_t ad = {
		.proto = "POP3", .catalog = SAO_CATALOG_POP3, .c = d->c, .tag = "", .line_max = SAO_POP3_COMMAND_MAX, .next = auth_line, .ctx = d,
		.server = d->res->server, .server_size = sizeof(d->res->server),
	};
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "AUTH %s", auth->mech);
	return sao_auth_run(&ad, auth, cmd, err);
}

sao_err_t sao_pop3_login(sao_tls_t *c, int stls, const sao_auth_t *auth, sao_login_result_t *res, sao_error_t *err)
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
	res->greeted = rc == SAO_OK;
	res->foreign = rc == SAO_OK && d->kind != SAO_POP3_OK && d->kind != SAO_POP3_ERR;
	if (rc == SAO_OK && d->kind != SAO_POP3_OK) {
		keep_text(d);
		rc = sao_error_set(err, res->foreign ? SAO_ERR_PROTO : SAO_ERR_NET,
		                   "the POP3 server did not greet with +OK: %s", res->server);
	}
	if (rc == SAO_OK && stls) {
		rc = command(d, "STLS", err);
		if (rc == SAO_OK)
			rc = sao_tls_start(c, err);
	}
	if (rc == SAO_OK)
		rc = check_capa(d, auth->mech, err);
	if (rc == SAO_OK)
		rc = authenticate(d, auth, err);
	res->authenticated = rc == SAO_OK;
	free(d);
	return rc;
}

/* ---- after the login ("sasl-oauth test") ------------------------------ */

sao_err_t sao_pop3_stat(sao_tls_t *c, unsigned long *count_r, unsigned long *octets_r, sao_error_t *err)
{
	sao_login_result_t res;
	dlg_t *d;
	char *end;
	sao_err_t rc;

	*count_r = 0;
	*octets_r = 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	d->c = c;
	d->res = &res;
	rc = command(d, "STAT", err);
	if (rc == SAO_OK) {
		/* RFC 1939 §5: "+OK nn mm" */
		*count_r = strtoul(d->text, &end, 10);
		if (end == d->text || *end != ' ')
			rc = sao_error_set(err, SAO_ERR_PROTO, "the POP3 server's answer to STAT is not '+OK COUNT OCTETS'");
		else
			*octets_r = strtoul(end + 1, NULL, 10);
	}
	free(d);
	return rc;
}

void sao_pop3_quit(sao_tls_t *c)
{
	sao_tls_farewell(c, "QUIT\r\n", NULL);
}
