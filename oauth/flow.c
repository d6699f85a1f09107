/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_QRENCODE
#include <qrencode.h>
#endif

#include "sasl-oauth/clock.h"
#include "sasl-oauth/crypto.h"
#include "sasl-oauth/flow.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/secret.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define DEVICE_INTERVAL_DEFAULT 5    /* seconds, RFC 8628 §3.2 when the server names none */
#define DEVICE_SLOW_DOWN 5           /* seconds added per slow_down, RFC 8628 §3.5 */
#define DEVICE_EXPIRES_DEFAULT 900   /* seconds; Entra's value, for a server that omits it */
#define DEVICE_NET_TRIES 3           /* polls in a row that may fail on the network */
#define FIELD_MAX 2048               /* user_code and verification URI as printed */
#define URL_MAX (64 * 1024)          /* the authorize URL */
#define REQUEST_LINE_MAX 8192        /* the redirect's request line, with the code */
#define REQUEST_HEAD_MAX (64 * 1024) /* headers read (and dropped) after it */
#define PASTE_MAX (16 * 1024)        /* the pasted address */
#define PARAM_MAX SAO_TOKEN_MAX      /* one decoded redirect parameter */
#define CONN_MAX 8                   /* browser connections served at once */
#define CONN_IDLE_MS 10000           /* a connection that sends no request goes */
#define PAGE_MAX 8192
#define WAIT_STEP_MS 1000 /* countdown refresh */
#define NATIVE_CLIENT_PATH "/common/oauth2/nativeclient"

/* --- small helpers ------------------------------------------------------ */

static const char *account_name(const sao_client_t *c)
{
	return c->account != NULL && c->account->name != NULL ? c->account->name : "?";
}

static int timeout_of(const sao_flow_opts_t *o)
{
	/* flow.h promises > 0; a caller that breaks it still gets a bound. */
	return o->timeout_s > 0 ? o->timeout_s : DEVICE_EXPIRES_DEFAULT;
}

/* 1 when s is one or more visible ASCII bytes or spaces (RFC 6749
 * Appendix A VSCHAR), so printing it shows exactly what was sent. */
static int vschar(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/* vschar, and short enough to print in a line of instructions. */
static int visible(const char *s, size_t len)
{
	return len <= FIELD_MAX && vschar(s, len);
}

static void out_flush(FILE *out)
{
	(void)fflush(out);
}

/* --- the redirect back from the authorization endpoint ------------------ */

/*
 * RFC 6749 §4.1.2 (code, state) and §4.1.2.1 (error, error_description),
 * carried in the query of the redirect URI (RFC 3986 §3.4,
 * response_mode=query):
 *
 *   redirect = [ anything "?" ] query [ "#" fragment ]
 *   query    = param *( "&" param )
 *   param    = name [ "=" value ]        ; both percent-encoded, "+" = space
 *
 * The query runs from the first "?" to the first "#". The loopback listener
 * hands over the request target ("/?code=..."), paste mode the whole
 * address; both go through this one parser. Only code, state, error and
 * error_description are kept; any of them twice is refused (which one would
 * be meant?), others are ignored. code, state and error must be VSCHAR
 * (RFC 6749 Appendix A) after decoding; error_description may hold line
 * breaks (Entra's does) but no NUL, and is made printable when shown.
 */
typedef struct redirect {
	sao_secret_t code;
	sao_secret_t state;
	sao_secret_t error;
	sao_secret_t description;
	int has_code, has_state, has_error, has_description;
} redirect_t;

static void redirect_init(redirect_t *r)
{
	sao_secret_init(&r->code, PARAM_MAX);
	sao_secret_init(&r->state, PARAM_MAX);
	sao_secret_init(&r->error, PARAM_MAX);
	sao_secret_init(&r->description, PARAM_MAX);
	r->has_code = r->has_state = r->has_error = r->has_description = 0;
}

static void redirect_clear(redirect_t *r)
{
	sao_secret_clear(&r->code);
	sao_secret_clear(&r->state);
	sao_secret_clear(&r->error);
	sao_secret_clear(&r->description);
	r->has_code = r->has_state = r->has_error = r->has_description = 0;
}

static int hex_value(unsigned char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) (percent escapes, "+" for space) and appends the bytes
 * to out. Returns 0, -1 for a broken escape or an escaped NUL, -2 when out
 * cannot take them. */
static int url_decode(const char *s, size_t n, sao_secret_t *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b == '+') {
			b = ' ';
		} else if (b == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			b = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (b == '\0')
			return -1;
		if (sao_secret_append(out, &b, 1, NULL) != SAO_OK)
			return -2;
	}
	return 0;
}

/* Fills r from the query in text[0..len). what names the input in
 * messages ("the address pasted for account 'work'"). */
static sao_err_t redirect_parse(const char *text, size_t len, const char *what, redirect_t *r, sao_error_t *err)
{
	const char *q = memchr(text, '?', len);
	const char *end = text + len;
	const char *hash;
	const char *p;
	sao_err_t rc = SAO_ERR_PROTO;

	if (q == NULL) {
		sao_error_set(err, rc,
		              "%s has no query: it must be the whole address with \"?code=...&state=...\" that the "
		              "browser ended on; copy it from the address bar again",
		              what);
		goto out;
	}
	hash = memchr(q, '#', (size_t)(end - q));
	if (hash != NULL)
		end = hash;
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ne = eq != NULL ? eq : pe;
		sao_secret_t name;
		sao_secret_t *slot = NULL;
		int *seen = NULL;
		int bad;

		sao_secret_init(&name, 64);
		bad = url_decode(p, (size_t)(ne - p), &name);
		if (bad == 0 && name.len == 4 && memcmp(name.data, "code", 4) == 0) {
			slot = &r->code;
			seen = &r->has_code;
		} else if (bad == 0 && name.len == 5 && memcmp(name.data, "state", 5) == 0) {
			slot = &r->state;
			seen = &r->has_state;
		} else if (bad == 0 && name.len == 5 && memcmp(name.data, "error", 5) == 0) {
			slot = &r->error;
			seen = &r->has_error;
		} else if (bad == 0 && name.len == 17 && memcmp(name.data, "error_description", 17) == 0) {
			slot = &r->description;
			seen = &r->has_description;
		}
		if (slot != NULL && *seen) {
			sao_error_set(err, rc, "%s holds the parameter '%s' twice; copy the address again", what,
			              (const char *)name.data);
			sao_secret_clear(&name);
			goto out;
		}
		sao_secret_clear(&name);
		if (slot != NULL) {
			*seen = 1;
			bad = url_decode(eq != NULL ? eq + 1 : pe, eq != NULL ? (size_t)(pe - eq - 1) : 0, slot);
			/* Inputs are capped far below PARAM_MAX: only memory can run out. */
			if (bad == -2) {
				rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading %s", what);
				goto out;
			}
			if (bad != 0) {
				sao_error_set(err, rc,
				              "%s has a broken percent escape or a NUL byte; copy the whole address "
				              "again",
				              what);
				goto out;
			}
		}
		p = amp != NULL ? amp + 1 : end;
	}
	if ((r->has_code && !vschar((const char *)r->code.data, r->code.len)) ||
	    (r->has_state && !vschar((const char *)r->state.data, r->state.len)) ||
	    (r->has_error && !vschar((const char *)r->error.data, r->error.len))) {
		sao_error_set(err, rc,
		              "%s has an empty code, state or error, or one with bytes RFC 6749 does not allow; "
		              "copy the whole address again",
		              what);
		goto out;
	}
	rc = SAO_OK;
out:
	return rc;
}

/* An error in the redirect (RFC 6749 §4.1.2.1), worded like the token
 * endpoint's errors. */
static sao_err_t redirect_error(const redirect_t *r, const char *name, sao_error_t *err)
{
	char what[128];

	snprintf(what, sizeof(what), "login of account '%s'", name);
	return sao_grant_failure(name, what, 0, (const char *)r->error.data,
	                         r->has_description ? (const char *)r->description.data : NULL, NULL, err);
}

/* Judges a parsed redirect: the state must be the one this login sent
 * (compared in constant time: it is what stops a forged redirect, RFC 6749
 * §10.12), then an error is reported, else a code is required. */
static sao_err_t redirect_check(const redirect_t *r, const sao_secret_t *state, const char *name, sao_error_t *err)
{
	sao_err_t rc = SAO_ERR_PROTO;

	if (!r->has_state) {
		sao_error_set(err, rc,
		              "login of account '%s' refused the redirect: it carries no state, so it cannot be told "
		              "apart from a forged one (cross-site request forgery); start over "
		              "and use the address the new login prints; run: sasl-oauth login %s",
		              name, name);
		goto out;
	}
	if (!sao_secret_equal(&r->state, state)) {
		sao_error_set(err, rc,
		              "login of account '%s' refused the redirect: its state does not match the one this "
		              "login sent, so it belongs to another sign-in (a browser tab left from an earlier "
		              "attempt) or was forged (cross-site request forgery); finish the sign-in on the address "
		              "the new login prints; run: sasl-oauth login %s",
		              name, name);
		goto out;
	}
	if (r->has_error) {
		rc = redirect_error(r, name, err);
		goto out;
	}
	if (!r->has_code) {
		sao_error_set(err, rc,
		              "login of account '%s' failed: the redirect carries neither a code nor an error; copy "
		              "the whole address the browser ended on, or start over; run: sasl-oauth login %s",
		              name, name);
		goto out;
	}
	rc = SAO_OK;
out:
	return rc;
}

/* --- the loopback listener (RFC 8252 §7.3) ------------------------------ */

/* One browser connection. Browsers open spare connections that may never
 * carry a request, so several are served at once and idle ones dropped. */
typedef struct conn {
	int fd; /* -1: free */
	int64_t since_ms;
	sao_secret_t line; /* the request line: holds the code */
	int line_done;
	int cur; /* bytes on the current header line, CR not counted */
	size_t head_len;
} conn_t;

typedef struct listener {
	int fd;
	unsigned port;
	conn_t conns[CONN_MAX];
} listener_t;

static void conn_reset(conn_t *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	sao_secret_clear(&k->line);
	k->line_done = 0;
	k->cur = 0;
	k->head_len = 0;
}

static void listener_init(listener_t *l)
{
	l->fd = -1;
	l->port = 0;
	for (size_t i = 0; i < CONN_MAX; i++) {
		l->conns[i].fd = -1;
		sao_secret_init(&l->conns[i].line, REQUEST_LINE_MAX);
		conn_reset(&l->conns[i]);
	}
}

static void listener_close(listener_t *l)
{
	for (size_t i = 0; i < CONN_MAX; i++)
		conn_reset(&l->conns[i]);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* Listens on 127.0.0.1 on a port the kernel picks. Entra ignores the port
 * of a localhost redirect URI (protocols.md §3.4), so any port works. */
static sao_err_t listener_open(listener_t *l, const char *name, sao_error_t *err)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char ebuf[128];
	sao_err_t rc = SAO_ERR_IO;
	int ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ok = l->fd >= 0 && bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(l->fd, 16) == 0 &&
	     getsockname(l->fd, (struct sockaddr *)&sa, &salen) == 0;
	if (!ok) {
		sao_error_set(err, rc,
		              "login of account '%s' cannot listen on 127.0.0.1 for the browser's redirect: %s; copy "
		              "the address by hand instead; run: sasl-oauth login %s --paste",
		              name, sao_errno_text(errno, ebuf, sizeof(ebuf)), name);
		goto out;
	}
	l->port = ntohs(sa.sin_port);
	rc = SAO_OK;
out:
	return rc;
}

/* Appends s to buf (size PAGE_MAX, length *n), with HTML's special
 * characters escaped when escape is set; what does not fit is cut. */
static void page_add(char *buf, size_t *n, const char *s, int escape)
{
	for (; *s != '\0'; s++) {
		const char *rep = NULL;
		size_t rl;

		if (escape) {
			switch (*s) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			default: break;
			}
		}
		rl = rep != NULL ? strlen(rep) : 1;
		if (*n + rl + 1 > PAGE_MAX)
			break;
		memcpy(buf + *n, rep != NULL ? rep : s, rl);
		*n += rl;
	}
	buf[*n] = '\0';
}

/* Answers a browser connection with a small page and closes nothing: the
 * caller owns fd. Failures are ignored: the terminal says it all anyway. */
static void http_answer(int fd, int status, const char *reason, const char *title, const char *text)
{
	char page[PAGE_MAX];
	char head[512];
	size_t n = 0;
	int hl;

	page_add(page, &n, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sasl-oauth: ", 0);
	page_add(page, &n, title, 1);
	page_add(page, &n,
	         "</title></head>\n<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">"
	         "<h1>",
	         0);
	page_add(page, &n, title, 1);
	page_add(page, &n, "</h1>\n<p>", 0);
	page_add(page, &n, text, 1);
	page_add(page, &n, "</p>\n</body></html>\n", 0);
	/* no-referrer: the address of this page holds the code. */
	hl = snprintf(head, sizeof(head),
	              "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
	              "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
	              status, reason, n);
	if (hl <= 0 || (size_t)hl >= sizeof(head))
		return;
	/* MSG_NOSIGNAL: a browser that hung up must not kill the CLI with SIGPIPE. */
	(void)send(fd, head, (size_t)hl, MSG_NOSIGNAL);
	(void)send(fd, page, n, MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
}

/* Takes n bytes read from k. Returns 1 when the request head is complete
 * (its first line in k->line), 0 when more is needed, -1 when it is too
 * big. Headers are counted and dropped: only the request line matters, but
 * closing before they are read would make the kernel reset the connection
 * and the browser show an error instead of the page. */
static int conn_feed(conn_t *k, const char *p, size_t n)
{
	size_t i = 0;

	if (!k->line_done) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - p) : n;

		if (sao_secret_append(&k->line, p, take, NULL) != SAO_OK)
			return -1;
		if (nl == NULL)
			return 0;
		k->line_done = 1;
		i = take + 1;
	}
	for (; i < n; i++) {
		if (++k->head_len > REQUEST_HEAD_MAX)
			return -1;
		if (p[i] == '\n') {
			if (k->cur == 0)
				return 1;
			k->cur = 0;
		} else if (p[i] != '\r') {
			k->cur++;
		}
	}
	return 0;
}

/* What a complete request asks for. Returns 1 for the redirect ("GET
 * /?..."; its target copied to target_r), 0 for anything else (answered
 * here: a browser also asks for /favicon.ico), -1 on failure. */
static int conn_request(conn_t *k, sao_secret_t *target_r, sao_error_t *err)
{
	const char *s = (const char *)k->line.data;
	size_t n = k->line.len;
	const char *sp;
	size_t tl;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n < 4 || memcmp(s, "GET ", 4) != 0) {
		http_answer(k->fd, 405, "Method Not Allowed", "Not here",
		            "This address only takes the sign-in redirect of sasl-oauth.");
		return 0;
	}
	sp = memchr(s + 4, ' ', n - 4);
	tl = sp != NULL ? (size_t)(sp - s - 4) : n - 4;
	if (tl < 2 || memcmp(s + 4, "/?", 2) != 0) {
		http_answer(k->fd, 404, "Not Found", "Not here",
		            "This address only takes the sign-in redirect of sasl-oauth.");
		return 0;
	}
	if (sao_secret_set(target_r, s + 4, tl, err) != SAO_OK)
		return -1;
	return 1;
}

/* Reads what k has. Returns 1 with the redirect's connection in *fd_r
 * (taken out of k), 0 to keep waiting, -1 on failure. */
static int conn_read(conn_t *k, sao_secret_t *target_r, int *fd_r, sao_error_t *err)
{
	char buf[2048];
	ssize_t got;
	int r;

	got = recv(k->fd, buf, sizeof(buf), 0);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (got <= 0) {
		/* Gone before a whole request: a spare connection, or a peer
		 * that gave up. Not the redirect either way. */
		conn_reset(k);
		return 0;
	}
	r = conn_feed(k, buf, (size_t)got);
	sao_wipe(buf, sizeof(buf));
	if (r < 0) {
		http_answer(k->fd, 431, "Request Header Fields Too Large", "Request too large",
		            "The request was larger than sasl-oauth accepts.");
		conn_reset(k);
		return 0;
	}
	if (r == 0)
		return 0;
	r = conn_request(k, target_r, err);
	if (r == 1) {
		*fd_r = k->fd;
		k->fd = -1;
	}
	conn_reset(k);
	return r;
}

/* Accepts what is queued; only 127.0.0.1 may talk to us (the socket is
 * bound there, so this is a second lock on the same door). A full table
 * drops its oldest connection: that is the one least likely to matter. */
static void listener_accept(listener_t *l)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		conn_t *k = NULL;
		int fd;

		fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* Out of descriptors: the listener stays readable, so
			 * pause instead of spinning; the deadline still holds. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				sao_clock_sleep_ms(100);
			return;
		}
		if (plen < sizeof(peer) || peer.sin_family != AF_INET ||
		    peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
			close(fd);
			continue;
		}
		for (size_t i = 0; i < CONN_MAX; i++) {
			if (l->conns[i].fd < 0) {
				k = &l->conns[i];
				break;
			}
			if (k == NULL || l->conns[i].since_ms < k->since_ms)
				k = &l->conns[i];
		}
		conn_reset(k);
		k->fd = fd;
		k->since_ms = sao_clock_ms();
	}
}

/* Serves the listener until the redirect arrives or deadline (monotonic
 * ms) passes. On success target_r holds the request target and *fd_r the
 * connection to answer once the code is redeemed. */
static sao_err_t listener_wait(listener_t *l, int64_t deadline, const char *name, int timeout_s, sao_secret_t *target_r,
                               int *fd_r, sao_error_t *err)
{
	struct pollfd pfd[1 + CONN_MAX];
	size_t slot[1 + CONN_MAX];
	char ebuf[128];

	for (;;) {
		int64_t now = sao_clock_ms();
		int64_t wait = deadline - now;
		nfds_t n = 1;
		int rv;

		if (wait <= 0) {
			return sao_error_set(
			    err, SAO_ERR_TIMEOUT,
			    "login of account '%s' timed out: the browser did not come back to "
			    "http://localhost:%u/ within %d seconds; finish the sign-in sooner, or use --paste "
			    "when the browser runs on another machine; run: sasl-oauth login %s",
			    name, l->port, timeout_s, name);
		}
		pfd[0].fd = l->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (size_t i = 0; i < CONN_MAX; i++) {
			conn_t *k = &l->conns[i];
			int64_t idle;

			if (k->fd < 0)
				continue;
			idle = k->since_ms + CONN_IDLE_MS - now;
			if (idle <= 0) {
				conn_reset(k);
				continue;
			}
			if (idle < wait)
				wait = idle;
			pfd[n].fd = k->fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			slot[n] = i;
			n++;
		}
		if (wait > INT_MAX)
			wait = INT_MAX;
		rv = poll(pfd, n, (int)wait);
		if (rv < 0 && errno == EINTR)
			continue;
		if (rv < 0) {
			return sao_error_set(err, SAO_ERR_IO,
			                     "login of account '%s' stopped waiting for the browser: poll failed: %s",
			                     name, sao_errno_text(errno, ebuf, sizeof(ebuf)));
		}
		for (nfds_t j = 1; j < n; j++) {
			int r;

			if (pfd[j].revents == 0)
				continue;
			r = conn_read(&l->conns[slot[j]], target_r, fd_r, err);
			if (r > 0)
				return SAO_OK;
			if (r < 0)
				return err != NULL && err->code != SAO_OK ? err->code : SAO_ERR_INTERNAL;
		}
		if (pfd[0].revents != 0)
			listener_accept(l);
	}
}

/* The page the browser ends on: the outcome in words. */
static void answer_browser(int fd, sao_err_t rc, const char *name, const sao_error_t *err)
{
	char title[160];

	if (fd < 0)
		return;
	if (rc == SAO_OK) {
		snprintf(title, sizeof(title), "Signed in to account '%s'", name);
		http_answer(fd, 200, "OK", title, "sasl-oauth has the token. You can close this window.");
	} else {
		snprintf(title, sizeof(title), "Sign-in to account '%s' failed", name);
		http_answer(fd, 400, "Bad Request", title,
		            err != NULL && err->msg[0] != '\0' ? err->msg : "The terminal shows why.");
	}
}

/* --- the browser ---------------------------------------------------------- */

/* Starts browser with url as its only argument, without a shell, and
 * does not wait for it: a browser may stay open for hours. An intermediate
 * child forks the browser and exits at once, so we reap only that child
 * (no zombie, no SIGCHLD handler) and init adopts the browser. A
 * close-on-exec pipe carries the errno of a failed exec back. Returns 0 or
 * that errno. The browser keeps our environment: it needs DISPLAY,
 * WAYLAND_DISPLAY, DBUS_SESSION_BUS_ADDRESS and the like. */
static int browser_start(const char *browser, const char *url)
{
	char *argv[3];
	int pfd[2];
	int e = 0;
	int status;
	pid_t pid;
	ssize_t got;

	argv[0] = (char *)browser;
	argv[1] = (char *)url;
	argv[2] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		pid_t grandchild;
		int null;
		sigset_t none;

		close(pfd[0]);
		grandchild = fork();
		if (grandchild != 0) {
			if (grandchild < 0) {
				e = errno;
				(void)!write(pfd[1], &e, sizeof(e));
			}
			_exit(0);
		}
		/* With stdin or stdout closed, the pipe may sit on 0..2,
		 * where the dup2() calls below would overwrite it. */
		if (pfd[1] < 3) {
			int moved = fcntl(pfd[1], F_DUPFD_CLOEXEC, 3);

			if (moved < 0)
				_exit(127);
			pfd[1] = moved;
		}
		/* Our own session: closing the terminal or ^C in the CLI
		 * must not take the browser down with it. */
		(void)setsid();
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGPIPE, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
			e = errno;
			(void)!write(pfd[1], &e, sizeof(e));
			_exit(127);
		}
		/* Nothing of ours (sockets, the cache lock) leaks into it. */
#ifdef HAVE_CLOSE_RANGE
		if (pfd[1] > 3)
			(void)close_range(3, (unsigned)pfd[1] - 1, 0);
		(void)close_range((unsigned)pfd[1] + 1, ~0U, 0);
#else
		for (int fd = 3; fd < 1024; fd++) {
			if (fd != pfd[1])
				(void)close(fd);
		}
#endif
		execvp(browser, argv);
		e = errno;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(127);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	do {
		got = read(pfd[0], &e, sizeof(e));
	} while (got < 0 && errno == EINTR);
	close(pfd[0]);
	return got == (ssize_t)sizeof(e) ? e : 0;
}

static void open_browser(const sao_flow_opts_t *o, const sao_secret_t *url)
{
	char ebuf[128];
	int e;

	if (o->browser == NULL || o->browser[0] == '\0')
		return;
	out_flush(o->out);
	e = browser_start(o->browser, (const char *)url->data);
	if (e != 0) {
		fprintf(o->out, "Could not start the browser '%s': %s; open the address above yourself.\n", o->browser,
		        sao_errno_text(e, ebuf, sizeof(ebuf)));
	}
	out_flush(o->out);
}

/* --- authorization code ----------------------------------------------------- */

/* Appends "<sep>name=" and the encoded value. */
static sao_err_t url_param(sao_secret_t *url, const char *sep, const char *name, const char *value, size_t len,
                           sao_error_t *err)
{
	sao_err_t rc;

	rc = sao_secret_append(url, sep, strlen(sep), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(url, name, strlen(name), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(url, "=", 1, err);
	if (rc == SAO_OK)
		rc = sao_http_encode(url, value, len, err);
	return rc;
}

/* The authorize request (protocols.md §3.4, RFC 7636 §4.3). It holds nothing
 * secret: the challenge is public by design, the state only binds the
 * redirect to this run; url is a sao_secret_t because that is the
 * encoder's buffer. */
static sao_err_t authorize_url(const sao_client_t *c, const sao_secret_t *redirect_uri, const char *state,
                               const char *challenge, sao_secret_t *url, sao_error_t *err)
{
	const sao_account_t *a = c->account;
	const char *extra = c->ep.authorize_extra;
	sao_err_t rc;

	rc = sao_secret_append(url, c->ep.authorize, strlen(c->ep.authorize), err);
	if (rc == SAO_OK)
		rc = url_param(url, strchr(c->ep.authorize, '?') != NULL ? "&" : "?", "client_id", a->client_id,
		               strlen(a->client_id), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "response_type", "code", 4, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "redirect_uri", (const char *)redirect_uri->data, redirect_uri->len, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "response_mode", "query", 5, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "scope", c->ep.scope, strlen(c->ep.scope), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "state", state, strlen(state), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "code_challenge", challenge, strlen(challenge), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "code_challenge_method", "S256", 4, err);
	/* The first user is whom the account is for: the provider can then
	 * skip the account picker. */
	if (rc == SAO_OK && a->n_users > 0 && a->users[0] != NULL && a->users[0][0] != '\0')
		rc = url_param(url, "&", "login_hint", a->users[0], strlen(a->users[0]), err);
	if (rc == SAO_OK && extra != NULL && extra[0] != '\0') {
		rc = sao_secret_append(url, "&", 1, err);
		if (rc == SAO_OK)
			rc = sao_secret_append(url, extra, strlen(extra), err);
	}
	return rc;
}

/* Paste mode's redirect URI: the one given, else Microsoft's native-client
 * page on the account's own login host (so national clouds and `authority`
 * get theirs). Other providers have no such page: the user must name a URI
 * registered for the app. */
static sao_err_t paste_redirect_uri(const sao_client_t *c, const sao_flow_opts_t *o, sao_secret_t *uri_r,
                                    sao_error_t *err)
{
	const char *provider = c->account->provider;
	const char *auth = c->ep.authorize;
	const char *host;
	const char *path;
	sao_err_t rc;

	if (o->redirect_uri != NULL && o->redirect_uri[0] != '\0')
		return sao_secret_set(uri_r, o->redirect_uri, strlen(o->redirect_uri), err);
	if (provider != NULL && strcmp(provider, "microsoft") != 0) {
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "paste login of account '%s' needs a redirect URI: provider '%s' has no page to "
		                     "land on by default; pass --redirect-uri with a URI registered for the app, for "
		                     "example http://localhost/",
		                     account_name(c), provider);
	}
	host = strstr(auth, "://");
	path = host != NULL ? strchr(host + 3, '/') : NULL;
	if (path == NULL) {
		return sao_error_set(
		    err, SAO_ERR_CONFIG,
		    "paste login of account '%s' cannot derive the native-client redirect URI from the "
		    "authorize endpoint '%s'; pass --redirect-uri",
		    account_name(c), auth);
	}
	rc = sao_secret_set(uri_r, auth, (size_t)(path - auth), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(uri_r, NATIVE_CLIENT_PATH, strlen(NATIVE_CLIENT_PATH), err);
	return rc;
}

/* Reads one line (at most PASTE_MAX bytes) from in into line_r, waiting
 * until deadline. The descriptor is read directly, not through stdio, so
 * the wait can have a time limit; bytes after the line are dropped. */
static sao_err_t paste_read(FILE *in, int64_t deadline, const char *name, int timeout_s, sao_secret_t *line_r,
                            sao_error_t *err)
{
	char buf[1024];
	char ebuf[128];
	int fd = fileno(in);
	int done = 0;
	sao_err_t rc = SAO_OK;

	while (!done) {
		const char *nl;
		ssize_t got;
		size_t take;

		if (fd >= 0) {
			struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
			int64_t wait = deadline - sao_clock_ms();
			int rv;

			if (wait <= 0) {
				rc = sao_error_set(
				    err, SAO_ERR_TIMEOUT,
				    "login of account '%s' timed out: no address was pasted within %d seconds; "
				    "run: sasl-oauth login %s --paste",
				    name, timeout_s, name);
				goto out;
			}
			rv = poll(&p, 1, wait > INT_MAX ? INT_MAX : (int)wait);
			if (rv < 0 && errno == EINTR)
				continue;
			if (rv == 0)
				continue;
			if (rv < 0) {
				rc = sao_error_set(err, SAO_ERR_IO,
				                   "login of account '%s' cannot read the pasted address: %s", name,
				                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
				goto out;
			}
			got = read(fd, buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		} else {
			/* No descriptor (a memory stream): no time limit possible. */
			int ch = getc(in);

			if (ch == EOF) {
				got = 0;
			} else {
				buf[0] = (char)ch;
				got = 1;
			}
		}
		if (got < 0) {
			rc = sao_error_set(err, SAO_ERR_IO, "login of account '%s' cannot read the pasted address: %s",
			                   name, sao_errno_text(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (got == 0)
			break;
		nl = memchr(buf, '\n', (size_t)got);
		take = nl != NULL ? (size_t)(nl - buf) : (size_t)got;
		done = nl != NULL;
		if (line_r->len + take > PASTE_MAX) {
			rc = sao_error_set(
			    err, SAO_ERR_TOOBIG,
			    "login of account '%s' refused the pasted address: it is longer than %d bytes; "
			    "copy only the address from the browser's address bar",
			    name, PASTE_MAX);
			goto out;
		}
		rc = sao_secret_append(line_r, buf, take, err);
		if (rc != SAO_OK)
			goto out;
	}
	if (line_r->len == 0 && !done) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "login of account '%s' got no address: the input ended before one was pasted; paste "
		                   "the address the browser ended on; run: sasl-oauth login %s --paste",
		                   name, name);
	}
out:
	sao_wipe(buf, sizeof(buf));
	return rc;
}

/* The pasted line without surrounding white space (a terminal adds CR,
 * a copy may add blanks or quotes around it). */
static void paste_trim(const sao_secret_t *line, const char **s_r, size_t *len_r)
{
	const char *s = (const char *)line->data;
	size_t n = line->len;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\'') ||
	               (s[0] == '<' && s[n - 1] == '>'))) {
		s++;
		n -= 2;
	}
	*s_r = s;
	*len_r = n;
}

sao_err_t sao_flow_authcode(sao_client_t *c, const sao_flow_opts_t *o, sao_token_t *tok_r, sao_error_t *err)
{
	const char *name = account_name(c);
	int timeout_s = timeout_of(o);
	char verifier[SAO_PKCE_VERIFIER_LEN + 1] = "";
	char challenge[SAO_PKCE_CHALLENGE_LEN + 1] = "";
	char state_text[SAO_UUID_LEN + 1] = "";
	char what[160];
	sao_secret_t state, url, redirect_uri, input;
	listener_t l;
	redirect_t r;
	int fd = -1;
	int64_t deadline;
	const char *text;
	size_t text_len;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&state, SAO_UUID_LEN);
	sao_secret_init(&url, URL_MAX);
	sao_secret_init(&redirect_uri, FIELD_MAX);
	sao_secret_init(&input, PASTE_MAX);
	listener_init(&l);
	redirect_init(&r);

	if (o->out == NULL || (o->paste && o->in == NULL) || c->account == NULL) {
		rc =
		    sao_error_set(err, SAO_ERR_INTERNAL, "login of account '%s': no terminal streams were given", name);
		goto out;
	}
	if (c->ep.authorize == NULL || c->ep.scope == NULL) {
		rc = sao_error_set(
		    err, SAO_ERR_CONFIG,
		    "login of account '%s' cannot use the browser: the provider has no authorize endpoint; "
		    "set authorize_endpoint, or flow = device",
		    name);
		goto out;
	}
	if (c->account->client_id == NULL || c->account->client_id[0] == '\0') {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "login of account '%s' is not possible: client_id is not set; set "
		                   "client_id to the application (client) id of the app registration",
		                   name);
		goto out;
	}
	deadline = sao_clock_ms() + (int64_t)timeout_s * 1000;
	rc = sao_crypto_pkce(verifier, challenge, err);
	if (rc == SAO_OK)
		rc = sao_crypto_uuid(state_text, err);
	if (rc == SAO_OK)
		rc = sao_secret_set(&state, state_text, strlen(state_text), err);
	if (rc != SAO_OK)
		goto out;

	if (o->paste) {
		rc = paste_redirect_uri(c, o, &redirect_uri, err);
	} else {
		char uri[64];

		rc = listener_open(&l, name, err);
		if (rc == SAO_OK) {
			/* "localhost", not 127.0.0.1: Entra registers loopback
			 * redirects as http://localhost (protocols.md §3.4). */
			snprintf(uri, sizeof(uri), "http://localhost:%u/", l.port);
			rc = sao_secret_set(&redirect_uri, uri, strlen(uri), err);
		}
	}
	if (rc == SAO_OK)
		rc = authorize_url(c, &redirect_uri, state_text, challenge, &url, err);
	if (rc != SAO_OK)
		goto out;

	fprintf(o->out, "To sign in to account '%s', open this address in a web browser%s:\n", name,
	        o->paste ? " (on any machine)" : "");
	fprintf(o->out, "URL: ");
	fwrite(url.data, 1, url.len, o->out);
	fprintf(o->out, "\n");
	open_browser(o, &url);

	if (o->paste) {
		fprintf(o->out,
		        "After the sign-in the browser ends on a page that may look broken or empty; copy the whole "
		        "address from its address bar.\n");
		fprintf(o->out, "Paste the address your browser ended on: ");
		out_flush(o->out);
		rc = paste_read(o->in, deadline, name, timeout_s, &input, err);
		/* A terminal echoed the user's Enter; for a pipe, end the prompt's line. */
		if (fileno(o->in) < 0 || !isatty(fileno(o->in)))
			fputc('\n', o->out);
		if (rc != SAO_OK)
			goto out;
		snprintf(what, sizeof(what), "the address pasted for account '%s'", name);
		paste_trim(&input, &text, &text_len);
	} else {
		fprintf(o->out, "Waiting for the browser to come back to http://localhost:%u/ (at most %d:%02d)...\n",
		        l.port, timeout_s / 60, timeout_s % 60);
		out_flush(o->out);
		rc = listener_wait(&l, deadline, name, timeout_s, &input, &fd, err);
		if (rc != SAO_OK)
			goto out;
		snprintf(what, sizeof(what), "the redirect to the browser for account '%s'", name);
		text = (const char *)input.data;
		text_len = input.len;
	}
	/* The listener has done its job; a second redirect has nowhere to go. */
	listener_close(&l);

	rc = redirect_parse(text, text_len, what, &r, err);
	if (rc == SAO_OK)
		rc = redirect_check(&r, &state, name, err);
	if (rc == SAO_OK)
		rc = sao_grant_code(c, (const char *)r.code.data, (const char *)redirect_uri.data, verifier,
		                    (int64_t)time(NULL), tok_r, err);
	/* Answered after the redemption, so the page tells the whole truth. */
	answer_browser(fd, rc, name, err);
out:
	if (fd >= 0)
		close(fd);
	sao_wipe(verifier, sizeof(verifier));
	sao_wipe(state_text, sizeof(state_text));
	redirect_clear(&r);
	listener_close(&l);
	sao_secret_clear(&input);
	sao_secret_clear(&redirect_uri);
	sao_secret_clear(&url);
	sao_secret_clear(&state);
	if (o->out != NULL)
		out_flush(o->out);
	return rc;
}

/* --- device code (RFC 8628) --------------------------------------------------- */

typedef struct device {
	sao_secret_t device_code; /* never printed */
	char user_code[FIELD_MAX + 1];
	char uri[FIELD_MAX + 1];
	char uri_complete[FIELD_MAX + 1]; /* may be "" */
	int64_t expires_in;
	int64_t interval;
} device_t;

/* Copies a printable string member into out, or fails naming it. */
static sao_err_t device_field(const sao_json_t *json, const char *key, const char *alt, int required, char *out,
                              const char *name, sao_error_t *err)
{
	size_t len = 0;
	const char *v = sao_json_get_string(json, key, &len);

	if (v == NULL && alt != NULL)
		v = sao_json_get_string(json, alt, &len);
	out[0] = '\0';
	if (v == NULL && !required)
		return SAO_OK;
	if (v == NULL || !visible(v, len)) {
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "device login of account '%s' failed: the identity provider's answer has %s %s; "
		                     "check device_endpoint, or use flow = authcode",
		                     name, v == NULL ? "no" : "an unprintable or overlong", key);
	}
	memcpy(out, v, len);
	out[len] = '\0';
	return SAO_OK;
}

/* RFC 8628 §3.2 device authorization response into d. Google names the
 * URI verification_url. */
static sao_err_t device_parse(const sao_json_t *json, device_t *d, const char *name, sao_error_t *err)
{
	size_t len = 0;
	const char *dc = sao_json_get_string(json, "device_code", &len);
	sao_err_t rc;

	if (dc == NULL || len == 0) {
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "device login of account '%s' failed: the identity provider's answer has no "
		                     "device_code; check device_endpoint, or use flow = authcode",
		                     name);
	}
	rc = sao_secret_set(&d->device_code, dc, len, err);
	if (rc == SAO_OK)
		rc = device_field(json, "user_code", NULL, 1, d->user_code, name, err);
	if (rc == SAO_OK)
		rc = device_field(json, "verification_uri", "verification_url", 1, d->uri, name, err);
	if (rc == SAO_OK)
		rc = device_field(json, "verification_uri_complete", "verification_url_complete", 0, d->uri_complete,
		                  name, err);
	if (rc != SAO_OK)
		return rc;
	if (!sao_json_get_int64(json, "expires_in", &d->expires_in) || d->expires_in <= 0)
		d->expires_in = DEVICE_EXPIRES_DEFAULT;
	if (!sao_json_get_int64(json, "interval", &d->interval) || d->interval <= 0)
		d->interval = DEVICE_INTERVAL_DEFAULT;
	/* Beyond any sane interval; keeps the arithmetic below far from overflow. */
	if (d->interval > 3600)
		d->interval = 3600;
	return SAO_OK;
}

#ifdef HAVE_QRENCODE
/* The QR code of url in Unicode half blocks, two modules per character
 * cell vertically, with a quiet zone. Light modules are drawn (as
 * qrencode -t UTF8 does), which suits the usual light-on-dark terminal. */
static void print_qr(FILE *out, const char *url)
{
	const int quiet = 2;
	QRcode *qr = QRcode_encodeString(url, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int w;

	if (qr == NULL)
		return;
	w = qr->width;
	for (int y = -quiet; y < w + quiet; y += 2) {
		for (int x = -quiet; x < w + quiet; x++) {
			int top_dark = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
			int bot_dark = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

			if (!top_dark && !bot_dark)
				fputs("\u2588", out); /* █ */
			else if (!top_dark)
				fputs("\u2580", out); /* ▀ */
			else if (!bot_dark)
				fputs("\u2584", out); /* ▄ */
			else
				fputs(" ", out);
		}
		fputs("\n", out);
	}
	QRcode_free(qr);
}
#endif

/* Rewrites the countdown line on a terminal. */
static void countdown(FILE *out, int64_t left_ms)
{
	int64_t s = (left_ms + 999) / 1000;

	if (s < 0)
		s = 0;
	fprintf(out, "\rwaiting for you to sign in: %lld:%02lld left ", (long long)(s / 60), (long long)(s % 60));
	out_flush(out);
}

static void countdown_clear(FILE *out)
{
	fprintf(out, "\r%60s\r", "");
	out_flush(out);
}

/* Sleeps until until (monotonic ms), showing the time left to deadline
 * every second when tty. */
static void device_wait(FILE *out, int tty, int64_t until, int64_t deadline)
{
	for (;;) {
		int64_t now = sao_clock_ms();
		int64_t step = until - now;

		if (step <= 0)
			return;
		if (tty)
			countdown(out, deadline - now);
		if (step > WAIT_STEP_MS)
			step = WAIT_STEP_MS;
		sao_clock_sleep_ms(step);
	}
}

/* Polls the token endpoint (RFC 8628 §3.4, §3.5) until the person signs
 * in, refuses, the code expires or the time limit passes. */
static sao_err_t device_poll(sao_client_t *c, const sao_flow_opts_t *o, device_t *d, sao_token_t *tok_r,
                             sao_error_t *err)
{
	const char *name = account_name(c);
	int tty = fileno(o->out) >= 0 && isatty(fileno(o->out));
	int64_t limit_s = d->expires_in < timeout_of(o) ? d->expires_in : timeout_of(o);
	int64_t start = sao_clock_ms();
	int64_t deadline = start + limit_s * 1000;
	int64_t interval = d->interval;
	int net_failures = 0;
	char what[160];
	sao_secret_t form;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	snprintf(what, sizeof(what), "device login of account '%s'", name);
	for (;;) {
		char oauth_error[SAO_OAUTH_ERROR_MAX];
		sao_error_t perr;
		int64_t next = sao_clock_ms() + interval * 1000;

		device_wait(o->out, tty, next < deadline ? next : deadline, deadline);
		oauth_error[0] = '\0';
		sao_error_clear(&perr);
		sao_secret_clear(&form);
		rc = sao_http_form_add(&form, "grant_type", DEVICE_GRANT, strlen(DEVICE_GRANT), err);
		if (rc == SAO_OK)
			rc = sao_http_form_add(&form, "device_code", d->device_code.data, d->device_code.len, err);
		if (rc != SAO_OK)
			goto out;
		rc = sao_grant_token(c, &form, (int64_t)time(NULL), what, tok_r, oauth_error, &perr);
		if (rc == SAO_OK)
			goto out;
		if (strcmp(oauth_error, "authorization_pending") == 0) {
			net_failures = 0;
		} else if (strcmp(oauth_error, "slow_down") == 0) {
			net_failures = 0;
			interval += DEVICE_SLOW_DOWN;
		} else if ((rc == SAO_ERR_NET || rc == SAO_ERR_TIMEOUT) && ++net_failures < DEVICE_NET_TRIES) {
			/* One lost request should not throw away a sign-in that
			 * may be half done; the next poll tries again. */
		} else {
			rc = sao_error_set(err, rc, "%s", perr.msg[0] != '\0' ? perr.msg : sao_strerror(rc));
			goto out;
		}
		if (sao_clock_ms() >= deadline)
			break;
	}
	if (limit_s < d->expires_in) {
		rc = sao_error_set(err, SAO_ERR_TIMEOUT,
		                   "device login of account '%s' timed out: nobody signed in with code %s within %lld "
		                   "seconds; sign in sooner or allow more time (--timeout); run: sasl-oauth login %s",
		                   name, d->user_code, (long long)limit_s, name);
	} else {
		rc = sao_error_set(
		    err, SAO_ERR_TIMEOUT,
		    "device login of account '%s' timed out: code %s expired after %lld seconds without a "
		    "sign-in; enter the new code a new login shows; run: sasl-oauth login %s",
		    name, d->user_code, (long long)limit_s, name);
	}
out:
	if (tty)
		countdown_clear(o->out);
	sao_secret_clear(&form);
	return rc;
}

sao_err_t sao_flow_device(sao_client_t *c, const sao_flow_opts_t *o, sao_token_t *tok_r, sao_error_t *err)
{
	const char *name = account_name(c);
	char what[160];
	sao_secret_t form;
	sao_json_t *json = NULL;
	device_t d;
	int tty;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	sao_secret_init(&d.device_code, SAO_TOKEN_MAX);
	d.user_code[0] = d.uri[0] = d.uri_complete[0] = '\0';
	d.expires_in = DEVICE_EXPIRES_DEFAULT;
	d.interval = DEVICE_INTERVAL_DEFAULT;

	if (o->out == NULL) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "device login of account '%s': no output stream was given",
		                   name);
		goto out;
	}
	if (c->ep.device == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "device login of account '%s' is not possible: the provider has no device "
		                   "authorization endpoint (Google allows none for mail); set flow = authcode, or "
		                   "device_endpoint",
		                   name);
		goto out;
	}
	if (c->ep.scope == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "device login of account '%s' is not possible: no scope is known; set scope", name);
		goto out;
	}
	snprintf(what, sizeof(what), "starting the device login of account '%s'", name);
	rc = sao_http_form_add(&form, "scope", c->ep.scope, strlen(c->ep.scope), err);
	if (rc == SAO_OK)
		rc = sao_grant_post(c, c->ep.device, &form, what, &json, NULL, err);
	if (rc == SAO_OK && json == NULL)
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s failed: the identity provider sent no answer; try again",
		                   what);
	if (rc == SAO_OK)
		rc = device_parse(json, &d, name, err);
	/* The tree holds the device code too; it goes at once. */
	sao_json_free(&json);
	if (rc != SAO_OK)
		goto out;

	tty = fileno(o->out) >= 0 && isatty(fileno(o->out));
	fprintf(o->out,
	        "To sign in to account '%s', open the page below in a web browser on any device and enter the code.\n",
	        name);
	fprintf(o->out, "URL: %s\n", d.uri);
	fprintf(o->out, "Code: %s\n", d.user_code);
#ifdef HAVE_QRENCODE
	/* A QR code is for a phone held up to the screen: a terminal only.
	 * The complete URI (RFC 8628 §3.3.1) spares typing the code. */
	if (tty)
		print_qr(o->out, d.uri_complete[0] != '\0' ? d.uri_complete : d.uri);
#endif
	if (!tty) {
		int64_t limit_s = d.expires_in < timeout_of(o) ? d.expires_in : timeout_of(o);

		fprintf(o->out, "Waiting for the sign-in (at most %lld:%02lld)...\n", (long long)(limit_s / 60),
		        (long long)(limit_s % 60));
	}
	out_flush(o->out);
	rc = device_poll(c, o, &d, tok_r, err);
out:
	sao_json_free(&json);
	sao_secret_clear(&d.device_code);
	sao_secret_clear(&form);
	return rc;
}
