/* SPDX-License-Identifier: MIT */
/*
 * server: a scripted HTTP server on 127.0.0.1 for the unit tests that talk
 * to an identity provider. server_start() forks it with a list of replies;
 * it answers one connection per reply, in order, and records every request
 * it receives so server_stop() can hand the wire bytes back. A reply's
 * before hook runs in the server just before it answers (a test can change
 * a file "while the request is in flight").
 */
#ifndef SAO_TEST_SERVER_H
#define SAO_TEST_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQ_MAX 16384   /* one request as the server keeps it */
#define SEEN_MAX 4      /* requests the server records */
#define TEST_ALARM_S 120

typedef enum {
	REPLY_SEND, /* head, then Content-Length, Connection: close, body */
	REPLY_RAW,  /* head, Connection: close, body (or flood bytes) until close */
	REPLY_HANG  /* reads the request and never answers */
} reply_kind_t;

typedef struct reply {
	reply_kind_t kind;
	const char *head; /* status line and headers, each ending in CRLF */
	const char *body;
	size_t flood;     /* REPLY_RAW: this many bytes of 'x' instead of body */
	void (*before)(void); /* run by the server before it answers, or NULL */
} reply_t;

typedef struct server {
	pid_t pid;
	int port;
	int log_fd; /* read end: requests as the server received them */
} server_t;

typedef struct seen {
	size_t n;
	char req[SEEN_MAX][REQ_MAX];
	size_t len[SEEN_MAX];
} seen_t;

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The value of header name in a request head of len bytes, or NULL. */
static const char *find_header(const char *req, size_t len, const char *name, size_t *vlen_r)
{
	size_t nlen = strlen(name);
	const char *p = memchr(req, '\n', len), *end = req + len;

	*vlen_r = 0;
	while (p != NULL && p + 1 < end) {
		const char *line = p + 1, *eol = memchr(line, '\r', (size_t)(end - line));

		if (eol == NULL || eol == line)
			return NULL;
		if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (v < eol && *v == ' ')
				v++;
			*vlen_r = (size_t)(eol - v);
			return v;
		}
		p = memchr(line, '\n', (size_t)(end - line));
	}
	return NULL;
}

/* Reads one request (head and Content-Length body) into buf; its length. */
static size_t read_request(int fd, char *buf, size_t size)
{
	size_t len = 0, head = 0, clen = 0, vlen;
	const char *v, *hend;

	while (len < size) {
		ssize_t r = read(fd, buf + len, size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (head == 0) {
			hend = memmem(buf, len, "\r\n\r\n", 4);
			if (hend == NULL)
				continue;
			head = (size_t)(hend - buf) + 4;
			v = find_header(buf, head, "Content-Length", &vlen);
			for (size_t i = 0; v != NULL && i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
				clen = clen * 10 + (size_t)(v[i] - '0');
		}
		if (head > 0 && len >= head + clen)
			break;
	}
	return len;
}

static void send_reply(int fd, const reply_t *r)
{
	char head[1024];
	const char *body = r->body != NULL ? r->body : "";
	char chunk[8192];
	int n;

	if (r->kind == REPLY_SEND)
		n = snprintf(head, sizeof(head),
		             "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", r->head,
		             strlen(body));
	else
		n = snprintf(head, sizeof(head), "%sConnection: close\r\n\r\n", r->head);
	if (n < 0 || (size_t)n >= sizeof(head) || write_all(fd, head, (size_t)n) < 0)
		return;
	if (r->flood == 0) {
		write_all(fd, body, strlen(body));
		return;
	}
	memset(chunk, 'x', sizeof(chunk));
	for (size_t sent = 0; sent < r->flood; sent += sizeof(chunk)) {
		/* The client hangs up once it has had enough: that is the point. */
		if (write_all(fd, chunk, sizeof(chunk)) < 0)
			return;
	}
}

/* The child: answers replies[0..n-1] in order, one connection each, and
 * logs each request as a 4-byte length and the bytes. */
static void serve(int lfd, int log_fd, const reply_t *replies, size_t n)
{
	static char req[REQ_MAX];

	signal(SIGPIPE, SIG_IGN);
	alarm(TEST_ALARM_S); /* never outlive a parent that forgot us */
	for (size_t i = 0; i < n; i++) {
		uint32_t len32;
		size_t len;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(2);
		len = read_request(fd, req, sizeof(req));
		len32 = (uint32_t)len;
		if (write_all(log_fd, &len32, sizeof(len32)) < 0 || write_all(log_fd, req, len) < 0)
			_exit(3);
		if (replies[i].before != NULL)
			replies[i].before();
		if (replies[i].kind == REPLY_HANG) {
			for (;;)
				pause();
		}
		send_reply(fd, &replies[i]);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	_exit(0);
}

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int listen_loopback(int *port_r, int do_listen)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*port_r = 0;
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (do_listen && listen(fd, 8) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	*port_r = ntohs(sa.sin_port);
	return fd;
}

static int server_start(server_t *s, const reply_t *replies, size_t n)
{
	int lfd, pfd[2];

	s->pid = -1;
	s->log_fd = -1;
	lfd = listen_loopback(&s->port, 1);
	if (lfd < 0)
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close(lfd);
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		close(pfd[0]);
		serve(lfd, pfd[1], replies, n);
		_exit(0);
	}
	close(lfd);
	close(pfd[1]);
	if (s->pid < 0) {
		close(pfd[0]);
		return -1;
	}
	s->log_fd = pfd[0];
	return 0;
}

/* Ends the server (it may be waiting for a request that never comes or
 * hanging on purpose) and collects what it saw. */
static void server_stop(server_t *s, seen_t *seen)
{
	uint32_t len32;

	seen->n = 0;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	s->pid = -1;
	for (;;) {
		size_t got = 0, len;

		while (got < sizeof(len32)) {
			ssize_t r = read(s->log_fd, (char *)&len32 + got, sizeof(len32) - got);

			if (r <= 0)
				goto done;
			got += (size_t)r;
		}
		len = len32;
		if (len > REQ_MAX)
			goto done;
		for (got = 0; got < len;) {
			static char sink[REQ_MAX];
			char *dst = seen->n < SEEN_MAX ? seen->req[seen->n] : sink;
			ssize_t r = read(s->log_fd, dst + got, len - got);

			if (r <= 0)
				goto done;
			got += (size_t)r;
		}
		if (seen->n < SEEN_MAX)
			seen->len[seen->n] = len;
		seen->n++;
	}
done:
	close(s->log_fd);
	s->log_fd = -1;
}

#endif
