/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "sasl-oauth/clock.h"
#include "sasl-oauth/loopback.h"

#define CONN_IDLE_MS 10000 /* a connection that sends no request goes */
#define PAGE_MAX 8192

static void conn_reset(sao_loopback_conn_t *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	sao_secret_clear(&k->line);
	k->line_done = 0;
	k->cur = 0;
	k->head_len = 0;
}

void sao_loopback_init(sao_loopback_t *l)
{
	l->fd = -1;
	l->port = 0;
	l->refused = 0;
	for (size_t i = 0; i < SAO_LOOPBACK_CONNS; i++) {
		l->conns[i].fd = -1;
		sao_secret_init(&l->conns[i].line, SAO_LOOPBACK_LINE_MAX);
		conn_reset(&l->conns[i]);
	}
}

void sao_loopback_close(sao_loopback_t *l)
{
	for (size_t i = 0; i < SAO_LOOPBACK_CONNS; i++)
		conn_reset(&l->conns[i]);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* Listens on 127.0.0.1 on a port the kernel picks. Entra ignores the port
 * of a localhost redirect URI (protocols.md §3.4), so any port works. */
sao_err_t sao_loopback_open(sao_loopback_t *l, const char *name, sao_error_t *err)
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
		sao_error_fix(err, rc, SAO_FIX_LOGIN_PASTE, name,
		              "login of account '%s' cannot listen on 127.0.0.1 for the browser's redirect: %s; copy "
		              "the address by hand instead; ",
		              name, sao_errno_text(errno, ebuf, sizeof(ebuf)));
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
void sao_loopback_answer(int fd, int status, const char *reason, const char *title, const char *text)
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
static int conn_feed(sao_loopback_conn_t *k, const char *p, size_t n)
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
		if (++k->head_len > SAO_LOOPBACK_HEAD_MAX)
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

/* What a waiting login accepts (sao_loopback_wait's arguments). */
typedef struct want {
	const sao_secret_t *state;
	const char *name;
	FILE *note;
	sao_redirect_t *r;
} want_t;

/* Refuses a redirect that is not this login's: a 400 page for the browser
 * and one line on the terminal, and the listener goes on. */
static void refuse(sao_loopback_t *l, sao_loopback_conn_t *k, const want_t *w, const char *why)
{
	l->refused++;
	sao_redirect_clear(w->r);
	sao_loopback_answer(k->fd, 400, "Bad Request", "Not this sign-in", why);
	if (w->note != NULL) {
		fprintf(w->note,
		        "Refused a request to http://localhost:%u/ for account '%s': %s Still waiting for the sign-in.\n",
		        l->port, w->name, why);
		(void)fflush(w->note);
	}
}

/* What a complete request asks for. Returns 1 for this login's redirect
 * ("GET /?..." with its state; parsed into w->r), 0 for anything else
 * (answered here: a browser also asks for /favicon.ico), -1 on failure. */
static int conn_request(sao_loopback_t *l, sao_loopback_conn_t *k, const want_t *w, sao_error_t *err)
{
	const char *s = (const char *)k->line.data;
	size_t n = k->line.len;
	const char *sp;
	size_t tl;
	char what[160];
	sao_error_t perr;
	sao_err_t rc;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n < 4 || memcmp(s, "GET ", 4) != 0) {
		sao_loopback_answer(k->fd, 405, "Method Not Allowed", "Not here",
		                    "This address only takes the sign-in redirect of sasl-oauth.");
		return 0;
	}
	sp = memchr(s + 4, ' ', n - 4);
	tl = sp != NULL ? (size_t)(sp - s - 4) : n - 4;
	if (tl < 2 || memcmp(s + 4, "/?", 2) != 0) {
		sao_loopback_answer(k->fd, 404, "Not Found", "Not here",
		                    "This address only takes the sign-in redirect of sasl-oauth.");
		return 0;
	}
	snprintf(what, sizeof(what), "the redirect to the browser for account '%s'", w->name);
	sao_error_clear(&perr);
	rc = sao_redirect_parse(s + 4, tl, what, w->r, &perr);
	if (rc == SAO_ERR_NOMEM) {
		sao_error_set(err, rc, "%s", perr.msg);
		return -1;
	}
	if (rc != SAO_OK) {
		refuse(l, k, w, "the address is not a sign-in redirect of sasl-oauth (a broken or repeated parameter).");
		return 0;
	}
	if (!sao_redirect_state_ok(w->r, w->state)) {
		refuse(l, k, w,
		       "the address does not carry the state of the sign-in that is waiting: it belongs to an earlier "
		       "attempt (a browser tab left open) or was forged.");
		return 0;
	}
	return 1;
}

/* Reads what k has. Returns 1 with this login's redirect in w->r and its
 * connection in *fd_r (taken out of k), 0 to keep waiting, -1 on failure. */
static int conn_read(sao_loopback_t *l, sao_loopback_conn_t *k, const want_t *w, int *fd_r, sao_error_t *err)
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
		sao_loopback_answer(k->fd, 431, "Request Header Fields Too Large", "Request too large",
		                    "The request was larger than sasl-oauth accepts.");
		conn_reset(k);
		return 0;
	}
	if (r == 0)
		return 0;
	r = conn_request(l, k, w, err);
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
static void accept_all(sao_loopback_t *l)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		sao_loopback_conn_t *k = NULL;
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
		for (size_t i = 0; i < SAO_LOOPBACK_CONNS; i++) {
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

sao_err_t sao_loopback_wait(sao_loopback_t *l, int64_t deadline, const sao_secret_t *state, const char *name,
                            int timeout_s, FILE *note, sao_redirect_t *r, int *fd_r, sao_error_t *err)
{
	struct pollfd pfd[1 + SAO_LOOPBACK_CONNS];
	size_t slot[1 + SAO_LOOPBACK_CONNS];
	const want_t w = { .state = state, .name = name, .note = note, .r = r };
	char ebuf[128];

	*fd_r = -1;
	for (;;) {
		int64_t now = sao_clock_ms();
		int64_t wait = deadline - now;
		nfds_t n = 1;
		int rv;

		if (wait <= 0) {
			char refused[96] = "";

			if (l->refused > 0)
				snprintf(refused, sizeof(refused), " (%u request%s with another state refused)", l->refused,
				         l->refused == 1 ? "" : "s");
			return sao_error_fix(err, SAO_ERR_TIMEOUT, SAO_FIX_LOGIN, name,
			    "login of account '%s' timed out: the browser did not come back to "
			    "http://localhost:%u/ within %d seconds%s; finish the sign-in sooner, or use --paste "
			    "when the browser runs on another machine; ",
			    name, l->port, timeout_s, refused);
		}
		pfd[0].fd = l->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (size_t i = 0; i < SAO_LOOPBACK_CONNS; i++) {
			sao_loopback_conn_t *k = &l->conns[i];
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
			int got;

			if (pfd[j].revents == 0)
				continue;
			got = conn_read(l, &l->conns[slot[j]], &w, fd_r, err);
			if (got > 0)
				return SAO_OK;
			if (got < 0)
				return err != NULL && err->code != SAO_OK ? err->code : SAO_ERR_INTERNAL;
		}
		if (pfd[0].revents != 0)
			accept_all(l);
	}
}
