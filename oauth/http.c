/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "sasl-oauth/clock.h"
#include "sasl-oauth/http.h"

/*
 * The one place libcurl is used (DESIGN.md §2). What it is told and why:
 *
 * - The URL is checked twice before a connection is made: by url_split()
 *   below, a strict reading of the RFC 3986 subset token endpoints use, and
 *   again on the host and scheme curl's own parser finds (the CURLU handle
 *   that is then given to curl), so a URL the two parsers read differently
 *   cannot reach a host neither check approved.
 * - Plain http (loopback only) never goes through a proxy: the form holds
 *   secrets, and loopback is allowed only because nothing leaves the host.
 * - The form is handed over without a copy (CURLOPT_POSTFIELDS); the answer
 *   goes straight into the response's secret buffer, capped.
 * - "Expect:" is cleared: for a large enough body libcurl asks for a
 *   100-continue and may wait a second for it (the size varies by
 *   version); a token form never needs the round trip.
 * - Retry-After is read from the headers here, and only its delta-seconds
 *   form counts (RFC 9110 §10.2.3): an HTTP-date would have us trust the
 *   server's clock against ours for a single retry.
 */

#define CONNECT_TIMEOUT_MS 10000
#define TIMEOUT_MAX_S      86400L /* keeps the millisecond arithmetic far from overflow */
#define RETRY_AFTER_NONE   (-1L)
#define HOST_MAX           256
#define SHOWN_MAX          200 /* bytes of curl's error text or a URL in a message */
#define USER_AGENT         "sasl-oauth/" PACKAGE_VERSION

typedef struct url_parts {
	int https;
	char host[HOST_MAX]; /* as written; IPv6 literals keep their brackets */
} url_parts_t;

/* State the callbacks share with one attempt. */
typedef struct transfer {
	sao_secret_t *body;
	long retry_after; /* seconds, from the last answer; RETRY_AFTER_NONE */
	int over_cap;
	int no_memory;
} transfer_t;

static int is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static int is_unreserved(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* 1 for "localhost", a dotted-quad in 127.0.0.0/8, or "[::1]". Only the
 * canonical spellings count: inet_pton() refuses "127.1", octal and hex
 * forms, so nothing that merely resolves to loopback is trusted. */
static int host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char inner[INET6_ADDRSTRLEN + 1];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(inner))
			return 0;
		memcpy(inner, host + 1, n - 2);
		inner[n - 2] = '\0';
		return inet_pton(AF_INET6, inner, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (inet_pton(AF_INET, host, &a4) != 1)
		return 0;
	return (ntohl(a4.s_addr) >> 24) == 127;
}

/*
 * The URLs accepted (a subset of RFC 3986 §3):
 *
 *   url       = ( "https" / "http" ) "://" authority [ ( "/" / "?" / "#" ) rest ]
 *   authority = host [ ":" port ]         ; no userinfo
 *   host      = "[" IPv6address "]" / 1*( ALPHA / DIGIT / "-" / "." / "_" )
 *   port      = 1*5DIGIT                  ; at most 65535
 *   rest      = *( visible ASCII but "\" )
 *
 * The scheme is case-insensitive. Userinfo is refused because
 * "https://login.example.com@evil.example/" reads as one host and is
 * another. Plain http must name a loopback host (host_is_loopback()).
 * Returns 1 and fills u_r when the URL may be used.
 */
static int url_split(const char *url, url_parts_t *u_r)
{
	const char *p, *auth, *end, *host, *host_end, *port = NULL;
	size_t n;
	long port_value = 0;

	memset(u_r, 0, sizeof(*u_r));
	if (url == NULL)
		return 0;
	for (p = url; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		/* Whitespace, controls, non-ASCII and backslash are where URL
		 * parsers disagree; none belongs in an endpoint URL. */
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return 0;
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		u_r->https = 1;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		auth = url + 7;
	} else {
		return 0;
	}
	end = auth + strcspn(auth, "/?#");
	if (end == auth || memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return 0;
	host = auth;
	if (*auth == '[') {
		host_end = memchr(auth, ']', (size_t)(end - auth));
		if (host_end == NULL)
			return 0;
		host_end++;
		if (host_end != end && *host_end != ':')
			return 0;
	} else {
		for (host_end = auth; host_end < end && *host_end != ':'; host_end++) {
			unsigned char c = (unsigned char)*host_end;

			if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_')
				return 0;
		}
	}
	if (host_end < end)
		port = host_end + 1;
	n = (size_t)(host_end - host);
	if (n == 0 || n >= sizeof(u_r->host))
		return 0;
	if (port != NULL) {
		if (port == end || end - port > 5)
			return 0;
		for (p = port; p < end; p++) {
			if (!is_digit((unsigned char)*p))
				return 0;
			port_value = port_value * 10 + (*p - '0');
		}
		if (port_value > 65535)
			return 0;
	}
	memcpy(u_r->host, host, n);
	u_r->host[n] = '\0';
	if (u_r->host[0] == '[' && !host_is_loopback(u_r->host)) {
		/* Any other IPv6 literal must still be one. */
		struct in6_addr a6;
		char inner[INET6_ADDRSTRLEN + 1];

		if (n - 2 >= sizeof(inner))
			return 0;
		memcpy(inner, u_r->host + 1, n - 2);
		inner[n - 2] = '\0';
		if (inet_pton(AF_INET6, inner, &a6) != 1)
			return 0;
	}
	if (!u_r->https && !host_is_loopback(u_r->host))
		return 0;
	return 1;
}

int sao_http_url_allowed(const char *url)
{
	url_parts_t u;

	return url_split(url, &u);
}

/* Copies up to len bytes of s into out (truncated to fit size), control
 * and non-ASCII bytes as '?', so text from outside cannot forge lines. */
static void copy_shown(char *out, size_t size, const char *s, size_t len)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < len && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
}

/* The host of any absolute URL (a Location), without userinfo or port, for
 * messages: never the path or query, which may carry a code or a token. */
static void host_of(const char *url, char *out, size_t size)
{
	const char *p, *end, *at, *colon;

	out[0] = '\0';
	p = strstr(url, "://");
	if (p == NULL)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (at = p; at < end; at++) {
		if (*at == '@')
			p = at + 1;
	}
	if (*p == '[') {
		colon = memchr(p, ']', (size_t)(end - p));
		if (colon != NULL)
			end = colon + 1;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon != NULL)
			end = colon;
	}
	copy_shown(out, size, p, (size_t)(end - p));
}

/* The URL for a refusal message: scheme, host and path, without userinfo,
 * query or fragment, truncated to fit size. */
static void url_shown(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	const char *start = url, *end;
	size_t used = 0;

	if (p != NULL) {
		const char *auth = p + 3, *auth_end = auth + strcspn(auth, "/?#");

		for (const char *at = auth; at < auth_end; at++) {
			if (*at == '@')
				start = at + 1;
		}
		if (start != url) {
			copy_shown(out, size, url, (size_t)(auth - url));
			used = strlen(out);
		}
	}
	end = start + strcspn(start, "?#");
	copy_shown(out + used, size - used, start, (size_t)(end - start));
}

/* Percent-encoding (RFC 3986 §2.1, uppercase hex): the encoded length,
 * or SIZE_MAX when it would not fit in a size_t. */
static size_t encoded_len(const unsigned char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		size_t add = is_unreserved(p[i]) ? 1 : 3;

		if (n > SIZE_MAX - add)
			return SIZE_MAX;
		n += add;
	}
	return n;
}

/* Appends the encoding of p through a small stack buffer, which is wiped:
 * the bytes are usually secrets. */
static sao_err_t encode_append(sao_secret_t *out, const unsigned char *p, size_t len,
                               sao_error_t *err)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char chunk[256];
	size_t used = 0;
	sao_err_t rc = SAO_OK;

	for (size_t i = 0; i < len; i++) {
		if (used + 3 > sizeof(chunk)) {
			rc = sao_secret_append(out, chunk, used, err);
			if (rc != SAO_OK)
				goto out;
			used = 0;
		}
		if (is_unreserved(p[i])) {
			chunk[used++] = p[i];
		} else {
			chunk[used++] = '%';
			chunk[used++] = (unsigned char)hex[p[i] >> 4];
			chunk[used++] = (unsigned char)hex[p[i] & 0x0f];
		}
	}
	rc = sao_secret_append(out, chunk, used, err);
out:
	sao_wipe(chunk, sizeof(chunk));
	return rc;
}

/* Undoes a partial append, wiping what is cut off. */
static void secret_truncate(sao_secret_t *s, size_t len)
{
	if (s->data == NULL || len >= s->len)
		return;
	sao_wipe(s->data + len, s->len - len);
	s->len = len;
	s->data[len] = '\0';
}

sao_err_t sao_http_encode(sao_secret_t *out, const void *value, size_t len, sao_error_t *err)
{
	size_t old = out->len, need;
	sao_err_t rc;

	if (value == NULL && len > 0)
		return sao_error_set(err, SAO_ERR_INTERNAL, "encoding a value failed: it is NULL");
	need = encoded_len(value, len);
	if (need > out->max - out->len)
		return sao_error_set(err, SAO_ERR_TOOBIG,
		                     "encoding a value of %zu bytes failed: the result would "
		                     "exceed its limit of %zu bytes",
		                     len, out->max);
	rc = encode_append(out, value, len, err);
	if (rc != SAO_OK)
		secret_truncate(out, old);
	return rc;
}

sao_err_t sao_http_form_add(sao_secret_t *form, const char *name, const void *value, size_t len,
                            sao_error_t *err)
{
	size_t old = form->len, name_len, need, value_need;
	sao_err_t rc = SAO_ERR_INTERNAL;

	if (name == NULL || (value == NULL && len > 0))
		return sao_error_set(err, SAO_ERR_INTERNAL,
		                     "adding a form field failed: the name or value is NULL");
	name_len = strlen(name);
	need = encoded_len((const unsigned char *)name, name_len);
	value_need = encoded_len(value, len);
	/* "&" + name + "=" + value, checked whole so a refused field leaves the
	 * form as it was. */
	if (need > SIZE_MAX - 2 || value_need > SIZE_MAX - 2 - need ||
	    need + 2 + value_need > form->max - form->len) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG,
		                   "adding '%s' to the request form failed: its value of %zu bytes "
		                   "would take the form past its limit of %zu bytes; check that "
		                   "the value is what was meant to be sent",
		                   name, len, form->max);
		goto out;
	}
	if (form->len > 0) {
		rc = sao_secret_append(form, "&", 1, err);
		if (rc != SAO_OK)
			goto out;
	}
	rc = encode_append(form, (const unsigned char *)name, name_len, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_secret_append(form, "=", 1, err);
	if (rc != SAO_OK)
		goto out;
	rc = encode_append(form, value, len, err);
out:
	if (rc != SAO_OK)
		secret_truncate(form, old);
	return rc;
}

sao_err_t sao_http_global_init(sao_error_t *err)
{
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (cc != CURLE_OK)
		return sao_error_set(err, SAO_ERR_INTERNAL,
		                     "initialising libcurl failed: %s; check the libcurl and TLS "
		                     "library installation",
		                     curl_easy_strerror(cc));
	return SAO_OK;
}

void sao_http_global_cleanup(void)
{
	curl_global_cleanup();
}

void sao_http_response_init(sao_http_response_t *r)
{
	r->status = 0;
	sao_secret_init(&r->body, SAO_HTTP_BODY_MAX);
	r->content_type[0] = '\0';
}

void sao_http_response_clear(sao_http_response_t *r)
{
	r->status = 0;
	sao_secret_clear(&r->body);
	r->content_type[0] = '\0';
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	transfer_t *t = ud;
	size_t n = size * nmemb; /* size is always 1 (CURLOPT_WRITEFUNCTION) */
	sao_err_t rc;

	if (n > t->body->max - t->body->len) {
		/* Returning short makes curl stop with CURLE_WRITE_ERROR. */
		t->over_cap = 1;
		return 0;
	}
	rc = sao_secret_append(t->body, data, n, NULL);
	if (rc != SAO_OK) {
		t->no_memory = 1;
		return 0;
	}
	return n;
}

/*
 * Retry-After (RFC 9110 §10.2.3), the delta-seconds form only:
 *
 *   Retry-After = OWS delay-seconds OWS
 *   delay-seconds = 1*DIGIT
 *
 * Returns the seconds, LONG_MAX for a number too large to matter, or
 * RETRY_AFTER_NONE for anything else (an HTTP-date included).
 */
static long parse_retry_after(const char *p, size_t n)
{
	size_t i = 0, digits = 0;
	long v = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < n && is_digit((unsigned char)p[i]); i++, digits++) {
		if (v <= (LONG_MAX - 9) / 10)
			v = v * 10 + (p[i] - '0');
		else
			v = LONG_MAX;
	}
	if (digits == 0)
		return RETRY_AFTER_NONE;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i == n ? v : RETRY_AFTER_NONE;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	static const char name[] = "Retry-After:";
	transfer_t *t = ud;
	size_t n = size * nmemb;

	/* Each status line starts a new answer (a 100 Continue, a proxy's
	 * CONNECT reply, the final one): only the last answer's header counts. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		t->retry_after = RETRY_AFTER_NONE;
	else if (n >= sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0)
		t->retry_after = parse_retry_after(data + sizeof(name) - 1, n - (sizeof(name) - 1));
	return n;
}

static int is_retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* The advice for a failure curl reports, by what usually causes it. */
static const char *net_fix(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "check the host name in the endpoint URL, DNS and the network, or set a "
		       "proxy";
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "check the proxy host name (the proxy setting or https_proxy)";
	case CURLE_COULDNT_CONNECT:
		return "check the network, the firewall and the proxy setting";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return "check the system CA certificates (ca-certificates) or the ca_file and "
		       "ca_path settings; a proxy that inspects TLS needs its CA there too";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "the connection broke or the answer was not HTTP; check the proxy setting, "
		       "or try again later";
	default:
		return "check the network and the proxy setting";
	}
}

static sao_err_t transfer_error(CURLcode cc, const transfer_t *t, const char *errbuf,
                                const char *what, const char *host, long timeout_s,
                                int64_t attempt_start, int64_t deadline, sao_error_t *err)
{
	char shown[SHOWN_MAX + 1];
	const char *text = curl_easy_strerror(cc);
	int64_t now;
	size_t n;

	if (t->over_cap || cc == CURLE_FILESIZE_EXCEEDED)
		return sao_error_set(err, SAO_ERR_TOOBIG,
		                     "%s failed: the answer from '%s' is larger than %d bytes, "
		                     "which no token endpoint sends; check the endpoint URL",
		                     what, host, SAO_HTTP_BODY_MAX);
	if (t->no_memory || cc == CURLE_OUT_OF_MEMORY)
		return sao_error_set(err, SAO_ERR_NOMEM, "%s failed: out of memory", what);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		now = sao_clock_ms();
		/* Short of the deadline, it was the connect timeout that fired. */
		if (deadline - now > 100)
			return sao_error_set(err, SAO_ERR_TIMEOUT,
			                     "%s failed: connecting to '%s' timed out after "
			                     "%lld s; check the network, the firewall or the "
			                     "proxy setting",
			                     what, host,
			                     (long long)((now - attempt_start + 500) / 1000));
		return sao_error_set(err, SAO_ERR_TIMEOUT,
		                     "%s failed: the request to '%s' timed out after %ld s; check "
		                     "the network or proxy, or raise http_timeout",
		                     what, host, timeout_s);
	}
	n = strlen(errbuf);
	while (n > 0 && (errbuf[n - 1] == '\n' || errbuf[n - 1] == '\r'))
		n--;
	copy_shown(shown, sizeof(shown), errbuf, n);
	if (shown[0] != '\0' && strcmp(shown, text) != 0)
		return sao_error_set(err, SAO_ERR_NET,
		                     "%s failed: the request to '%s' did not complete: %s (%s); %s",
		                     what, host, text, shown, net_fix(cc));
	return sao_error_set(err, SAO_ERR_NET,
	                     "%s failed: the request to '%s' did not complete: %s; %s", what,
	                     host, text, net_fix(cc));
}

/* Parses url again with curl's parser and checks what curl will connect to
 * against the same rules; *cu_r is the handle then given to curl. */
static sao_err_t curl_url_check(const char *url, const char *what, CURLU **cu_r,
                                sao_error_t *err)
{
	char shown[SHOWN_MAX + 1];
	char *scheme = NULL, *host = NULL;
	CURLU *cu;
	sao_err_t rc = SAO_ERR_CONFIG;

	*cu_r = NULL;
	cu = curl_url();
	if (cu == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "%s failed: out of memory", what);
	if (curl_url_set(cu, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(cu, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto refused;
	if (strcasecmp(scheme, "https") == 0 ||
	    (strcasecmp(scheme, "http") == 0 && host_is_loopback(host))) {
		*cu_r = cu;
		cu = NULL;
		rc = SAO_OK;
		goto out;
	}
refused:
	url_shown(url, shown, sizeof(shown));
	rc = sao_error_set(err, SAO_ERR_CONFIG,
	                   "%s failed: libcurl reads the URL '%s' differently; write the "
	                   "endpoint URL in plain form (https://host/path)",
	                   what, shown);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(cu);
	return rc;
}

/* Everything but the per-attempt timeouts. CURLOPT_VERBOSE is never set:
 * its trace would print the form. */
static CURLcode set_options(CURL *h, CURLU *cu, const url_parts_t *u, const sao_http_opts_t *o,
                            int get, const sao_secret_t *form, struct curl_slist *headers, transfer_t *t,
                            char *errbuf)
{
	static const char empty[] = "";
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                          \
	do {                                                   \
		if (cc == CURLE_OK)                            \
			cc = curl_easy_setopt(h, opt, val);    \
	} while (0)

	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CURLU, cu);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (!u->https)
		SET(CURLOPT_PROXY, empty);
	else if (o->proxy != NULL)
		SET(CURLOPT_PROXY, o->proxy);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->ca_path != NULL)
		SET(CURLOPT_CAPATH, o->ca_path);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_HTTPHEADER, headers);
	if (get) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(form != NULL ? form->len : 0));
		SET(CURLOPT_POSTFIELDS, form != NULL && form->data != NULL ? (const char *)form->data : empty);
	}
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SAO_HTTP_BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, t);
#undef SET
	return cc;
}

static struct curl_slist *make_headers(void)
{
	static const char *const lines[] = {
		"Accept: application/json",
		"Content-Type: application/x-www-form-urlencoded",
		"Expect:",
	};
	struct curl_slist *list = NULL, *next;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		next = curl_slist_append(list, lines[i]);
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

/* A GET (get = 1) or a POST of form. */
static sao_err_t request(const sao_http_opts_t *o, const char *url, int get, const sao_secret_t *form,
                         sao_http_response_t *resp_r, const char *what, sao_error_t *err)
{
	static const sao_http_opts_t defaults = { NULL, NULL, NULL, SAO_HTTP_TIMEOUT_DEFAULT };
	char errbuf[CURL_ERROR_SIZE];
	char shown[SHOWN_MAX + 1], where[HOST_MAX];
	url_parts_t u;
	transfer_t t = { 0 };
	CURL *h = NULL;
	CURLU *cu = NULL;
	struct curl_slist *headers = NULL;
	CURLcode cc;
	char *redirect = NULL, *ctype = NULL;
	int64_t start, deadline, attempt_start, left, connect_ms;
	long timeout_s;
	sao_err_t rc = SAO_ERR_INTERNAL;

	resp_r->status = 0;
	sao_secret_clear(&resp_r->body);
	resp_r->body.max = SAO_HTTP_BODY_MAX;
	resp_r->content_type[0] = '\0';
	errbuf[0] = '\0';
	if (what == NULL)
		what = "an HTTP request";
	if (o == NULL)
		o = &defaults;

	start = sao_clock_ms();
	if (!url_split(url, &u)) {
		url_shown(url != NULL ? url : "", shown, sizeof(shown));
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "%s failed: the URL '%s' is refused: it must be https (plain "
		                   "http only to 127.0.0.1, ::1 or localhost), with a host and no "
		                   "user name; fix the endpoint URL",
		                   what, shown);
		goto out;
	}
	if (o->timeout_s <= 0) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "%s failed: the time limit for the request to '%s' is %ld s; "
		                   "set http_timeout to a positive number of seconds",
		                   what, u.host, o->timeout_s);
		goto out;
	}
	timeout_s = o->timeout_s < TIMEOUT_MAX_S ? o->timeout_s : TIMEOUT_MAX_S;
	deadline = start + (int64_t)timeout_s * 1000;

	rc = curl_url_check(url, what, &cu, err);
	if (rc != SAO_OK)
		goto out;
	headers = make_headers();
	h = curl_easy_init();
	if (headers == NULL || h == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "%s failed: out of memory", what);
		goto out;
	}
	t.body = &resp_r->body;
	cc = set_options(h, cu, &u, o, get, form, headers, &t, errbuf);
	if (cc != CURLE_OK) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "%s failed: libcurl refused an option: %s; libcurl may be too "
		                   "old or built without TLS",
		                   what, curl_easy_strerror(cc));
		goto out;
	}

	for (int attempt = 0;; attempt++) {
		attempt_start = sao_clock_ms();
		left = deadline - attempt_start;
		if (left <= 0) {
			rc = sao_error_set(err, SAO_ERR_TIMEOUT,
			                   "%s failed: the request to '%s' timed out after %ld s; "
			                   "check the network or proxy, or raise http_timeout",
			                   what, u.host, timeout_s);
			goto out;
		}
		t.retry_after = RETRY_AFTER_NONE;
		t.over_cap = 0;
		t.no_memory = 0;
		sao_secret_clear(&resp_r->body);
		errbuf[0] = '\0';
		connect_ms = left < CONNECT_TIMEOUT_MS ? left : CONNECT_TIMEOUT_MS;
		cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
		if (cc == CURLE_OK)
			cc = curl_easy_perform(h);
		if (cc != CURLE_OK) {
			rc = transfer_error(cc, &t, errbuf, what, u.host, timeout_s, attempt_start,
			                    deadline, err);
			goto out;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp_r->status);
		if (attempt > 0 || !is_retryable(resp_r->status) ||
		    t.retry_after == RETRY_AFTER_NONE)
			break;
		/* Retry only when the wait still leaves time for the request. */
		left = deadline - sao_clock_ms();
		if (t.retry_after > INT32_MAX || (int64_t)t.retry_after * 1000 >= left)
			break;
		sao_clock_sleep_ms((int64_t)t.retry_after * 1000);
	}

	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
		copy_shown(resp_r->content_type, sizeof(resp_r->content_type), ctype,
		           strlen(ctype));
	if (resp_r->status >= 300 && resp_r->status < 400) {
		if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect) != CURLE_OK)
			redirect = NULL;
		if (redirect != NULL)
			host_of(redirect, where, sizeof(where));
		if (redirect == NULL || where[0] == '\0')
			rc = sao_error_set(err, SAO_ERR_NET,
			                   "%s failed: the provider at '%s' redirected (HTTP %ld) "
			                   "without a usable Location, and redirects are not "
			                   "followed; check the endpoint URL",
			                   what, u.host, resp_r->status);
		else
			rc = sao_error_set(err, SAO_ERR_NET,
			                   "%s failed: the provider at '%s' redirected (HTTP %ld) "
			                   "to '%s', and redirects are not followed; check the "
			                   "endpoint URL (tenant, authority or token_endpoint)",
			                   what, u.host, resp_r->status, where);
		goto out;
	}
	rc = SAO_OK;
out:
	/* A failed call leaves no partial answer behind: it may hold tokens. */
	if (rc != SAO_OK)
		sao_secret_clear(&resp_r->body);
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	curl_url_cleanup(cu);
	return rc;
}

sao_err_t sao_http_post_form(const sao_http_opts_t *o, const char *url, const sao_secret_t *form,
                             sao_http_response_t *resp_r, const char *what, sao_error_t *err)
{
	return request(o, url, 0, form, resp_r, what, err);
}

sao_err_t sao_http_get(const sao_http_opts_t *o, const char *url, sao_http_response_t *resp_r, const char *what,
                       sao_error_t *err)
{
	return request(o, url, 1, NULL, resp_r, what, err);
}
