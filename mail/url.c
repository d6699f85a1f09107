/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sasl-oauth/url.h"

#define FORM "use imaps://USER@HOST[:PORT], imap://, pop3s://, pop3://, smtps:// or smtp://"

static const struct {
	const char *name;
	sao_proto_t proto;
	sao_tls_mode_t tls;
	const char *port;
} schemes[] = {
	{ "imaps", SAO_PROTO_IMAP, SAO_TLS_IMPLICIT, "993" },
	{ "imap", SAO_PROTO_IMAP, SAO_TLS_STARTTLS, "143" },
	{ "pop3s", SAO_PROTO_POP3, SAO_TLS_IMPLICIT, "995" },
	{ "pop3", SAO_PROTO_POP3, SAO_TLS_STARTTLS, "110" },
	{ "smtps", SAO_PROTO_SMTP, SAO_TLS_IMPLICIT, "465" },
	{ "smtp", SAO_PROTO_SMTP, SAO_TLS_STARTTLS, "587" }, /* submission (RFC 6409), not relay port 25 */
};

const char *sao_url_scheme(const sao_url_t *url)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (schemes[i].proto == url->proto && schemes[i].tls == url->tls)
			return schemes[i].name;
	}
	return "?";
}

/* user: any visible byte but '/', '?', '#' (they end the authority), and
 * percent-escapes of '@' only. Returns 1 when it fits and copies it. */
static int copy_user(const char *p, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (o + 1 >= size)
			return 0;
		if (c == '%') {
			if (i + 2 >= n)
				return 0;
			if (p[i + 1] != '4' || p[i + 2] != '0')
				return 0;
			out[o++] = '@';
			i += 2;
			continue;
		}
		if (c <= 0x20 || c == 0x7f || c == '/' || c == '?' || c == '#')
			return 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o > 0;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int hex_or_colon(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.';
}

static int copy_host(const char *p, size_t n, char *out, size_t size)
{
	int v6 = n >= 2 && p[0] == '[' && p[n - 1] == ']';

	if (v6) {
		p++;
		n -= 2;
	}
	if (n == 0 || n >= size)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (v6 ? !hex_or_colon(c) : !host_char(c))
			return 0;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
	}
	out[n] = '\0';
	return v6 ? strchr(out, ':') != NULL : out[0] != '-' && out[0] != '.';
}

static int copy_port(const char *p, size_t n, char *out)
{
	long v = 0;

	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

sao_err_t sao_url_parse(const char *s, sao_url_t *url_r, sao_error_t *err)
{
	const char *sep, *auth, *end, *at, *hostp, *colon = NULL;
	size_t slen, hostn, i;
	sao_err_t rc = SAO_ERR_PROTO;

	memset(url_r, 0, sizeof(*url_r));
	sep = strstr(s, "://");
	if (sep == NULL) {
		sao_error_set(err, rc, "'%s' is not a mail server URL; " FORM, s);
		goto out;
	}
	slen = (size_t)(sep - s);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == slen && strncasecmp(s, schemes[i].name, slen) == 0)
			break;
	}
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		sao_error_set(err, rc, "the scheme '%.*s' of '%s' is not supported; " FORM, (int)slen, s, s);
		goto out;
	}
	url_r->proto = schemes[i].proto;
	url_r->tls = schemes[i].tls;
	auth = sep + 3;
	end = auth + strlen(auth);
	if (end > auth && end[-1] == '/')
		end--;
	at = NULL;
	for (const char *p = auth; p < end; p++) {
		if (*p == '@')
			at = p;
	}
	if (at == NULL) {
		sao_error_set(err, rc, "'%s' names no user; the login is as the user before the last '@': " FORM, s);
		goto out;
	}
	if (!copy_user(auth, (size_t)(at - auth), url_r->user, sizeof(url_r->user))) {
		sao_error_set(err, rc,
		              "the user in '%s' is empty, too long or holds a space, a control character, '/', '?', '#' or "
		              "a percent escape other than %%40",
		              s);
		goto out;
	}
	hostp = at + 1;
	/* The port follows the last ':' outside an IPv6 literal's brackets. */
	for (const char *p = hostp; p < end; p++) {
		if (*p == ']')
			colon = NULL;
		else if (*p == ':')
			colon = p;
	}
	if (colon != NULL && hostp[0] == '[' && memchr(colon, ']', (size_t)(end - colon)) != NULL)
		colon = NULL;
	hostn = colon != NULL ? (size_t)(colon - hostp) : (size_t)(end - hostp);
	if (!copy_host(hostp, hostn, url_r->host, sizeof(url_r->host))) {
		sao_error_set(err, rc, "the host in '%s' is not a host name or an address (IPv6 in brackets)", s);
		goto out;
	}
	if (colon == NULL) {
		memcpy(url_r->port, schemes[i].port, strlen(schemes[i].port) + 1);
	} else if (!copy_port(colon + 1, (size_t)(end - colon - 1), url_r->port)) {
		sao_error_set(err, rc, "the port in '%s' is not a number from 1 to 65535", s);
		goto out;
	}
	rc = SAO_OK;
out:
	if (rc != SAO_OK)
		memset(url_r, 0, sizeof(*url_r));
	return rc;
}
