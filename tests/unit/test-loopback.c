/* SPDX-License-Identifier: MIT */
/*
 * The loopback listener over real sockets on 127.0.0.1: a client process
 * sends requests one after the other (a forged redirect, garbage, requests
 * over the caps, a peer that is not 127.0.0.1) and finally this login's
 * redirect, split across writes; the listener must answer each refused
 * request and keep listening until the right one arrives.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/loopback.h"

#define STATE "6f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b"

static int dial(unsigned port, const char *from)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (from != NULL) {
		inet_pton(AF_INET, from, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The status of the answer on fd, read to its end; 0 when the listener
 * closed without one, -1 on a reset. */
static int answer_status(int fd)
{
	char buf[16384];
	size_t n = 0;
	int status = 0;

	for (;;) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf) - 1)
			break;
	}
	buf[n] = '\0';
	if (n > 12 && memcmp(buf, "HTTP/1.1 ", 9) == 0 && buf[12] == ' ')
		status = (int)strtol(buf + 9, NULL, 10);
	return status;
}

/* One request on its own connection; returns answer_status(). */
static int request(unsigned port, const char *from, const char *p, size_t n)
{
	int fd = dial(port, from);
	int status;

	if (fd < 0)
		return -2;
	if (send_all(fd, p, n) != 0) {
		close(fd);
		return -3;
	}
	status = answer_status(fd);
	close(fd);
	return status;
}

struct step {
	const char *name;
	int want; /* status; 0 = closed without an answer (or reset) */
};

static const struct step steps[] = {
	{ "POST", 405 },
	{ "favicon", 404 },
	{ "TLS hello", 405 },
	{ "another state", 400 },
	{ "no state", 400 },
	{ "broken escape", 400 },
	{ "code twice", 400 },
	{ "request line over the cap", 431 },
	{ "headers over the cap", 431 },
	{ "peer 127.0.0.2", 0 },
	{ "this login's redirect", 200 },
};

/* The client: runs the steps in order and writes one status per step. */
static void client(unsigned port, int out)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
	char *big = malloc(SAO_LOOPBACK_HEAD_MAX + 64);
	int got[sizeof(steps) / sizeof(steps[0])];
	size_t i = 0;
	int fd;

	if (big == NULL)
		_exit(1);
#define REQ(s) request(port, NULL, s, strlen(s))
	got[i++] = REQ("POST /?code=c&state=" STATE " HTTP/1.1\r\nHost: localhost\r\n\r\n");
	got[i++] = REQ("GET /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n");
	got[i++] = request(port, NULL, tls, sizeof(tls) - 1);
	got[i++] = REQ("GET /?code=forged&state=00000000-1111-2222-3333-444444444444 HTTP/1.1\r\n\r\n");
	got[i++] = REQ("GET /?code=forged HTTP/1.1\r\n\r\n");
	got[i++] = REQ("GET /?code=%zz&state=" STATE " HTTP/1.1\r\n\r\n");
	got[i++] = REQ("GET /?code=a&code=b&state=" STATE " HTTP/1.1\r\n\r\n");
	/* One byte over each cap, and not one more: the listener has read all
	 * when it answers, so the answer is not lost to a reset. */
	memcpy(big, "GET /?", 6);
	memset(big + 6, 'a', SAO_LOOPBACK_LINE_MAX + 1 - 6);
	got[i++] = request(port, NULL, big, SAO_LOOPBACK_LINE_MAX + 1);
	memcpy(big, "GET / HTTP/1.1\n", 15);
	memset(big + 15, 'h', SAO_LOOPBACK_HEAD_MAX + 1);
	got[i++] = request(port, NULL, big, 15 + SAO_LOOPBACK_HEAD_MAX + 1);
	got[i++] = request(port, "127.0.0.2", "GET /?code=good&state=" STATE " HTTP/1.1\r\n\r\n",
	                   strlen("GET /?code=good&state=" STATE " HTTP/1.1\r\n\r\n"));
	/* This login's redirect, in pieces, with headers. */
	fd = dial(port, NULL);
	if (fd >= 0 && send_all(fd, "GET /?code=go", 13) == 0) {
		usleep(50000);
		if (send_all(fd, "od&state=" STATE " HTTP/1.1\r\nHost: localhost:1\r\nUser-Agent: t\r\n\r\n",
		             strlen("od&state=" STATE " HTTP/1.1\r\nHost: localhost:1\r\nUser-Agent: t\r\n\r\n")) == 0)
			got[i] = answer_status(fd);
		else
			got[i] = -3;
	} else {
		got[i] = -2;
	}
	i++;
	if (fd >= 0)
		close(fd);
#undef REQ
	free(big);
	if (write(out, got, sizeof(got)) != (ssize_t)sizeof(got))
		_exit(1);
	_exit(0);
}

static void test_serve(void)
{
	sao_loopback_t l;
	sao_redirect_t r;
	sao_secret_t state;
	sao_error_t err;
	int got[sizeof(steps) / sizeof(steps[0])];
	int p[2], fd = -1, status = 0;
	char note[4096];
	FILE *nf = tmpfile();
	size_t nn = 0;
	pid_t pid;
	sao_err_t rc;

	sao_loopback_init(&l);
	sao_redirect_init(&r);
	sao_secret_init(&state, 64);
	CHECK(nf != NULL);
	CHECK(sao_secret_set(&state, STATE, strlen(STATE), NULL) == SAO_OK);
	sao_error_clear(&err);
	CHECK_MSG(sao_loopback_open(&l, "work", &err) == SAO_OK, "%s", err.msg);
	CHECK(l.port > 0);
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		client(l.port, p[1]);
	}
	close(p[1]);
	rc = sao_loopback_wait(&l, sao_clock_ms() + 30000, &state, "work", 30, nf, &r, &fd, &err);
	CHECK_MSG(rc == SAO_OK, "rc %d: %s", rc, err.msg);
	CHECK(fd >= 0);
	CHECK(r.has_code && r.has_state);
	if (r.has_code)
		CHECK_BYTES(r.code.data, r.code.len, "good", 4);
	/* Four redirects with the wrong state, none or a broken one. */
	CHECK_MSG(l.refused == 4, "refused %u", l.refused);
	if (fd >= 0) {
		sao_loopback_answer(fd, 200, "OK", "Signed in <b>", "done & dusted");
		close(fd);
	}
	CHECK(read(p[0], got, sizeof(got)) == (ssize_t)sizeof(got));
	close(p[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		CHECK_MSG(got[i] == steps[i].want || (steps[i].want == 0 && (got[i] == -1 || got[i] == -3)),
		          "%s: status %d, want %d", steps[i].name, got[i], steps[i].want);
	if (nf != NULL) {
		rewind(nf);
		nn = fread(note, 1, sizeof(note) - 1, nf);
		note[nn] = '\0';
		fclose(nf);
		/* One line per refusal, naming the account and the way on. */
		{
			int lines = 0;

			for (const char *s = note; (s = strstr(s, "Refused a request to http://localhost:")) != NULL; s++)
				lines++;
			CHECK_MSG(lines == 4, "note: %s", note);
			CHECK_MSG(strstr(note, "for account 'work'") != NULL && strstr(note, "Still waiting") != NULL,
			          "note: %s", note);
			CHECK_MSG(strstr(note, "code=") == NULL && strstr(note, STATE) == NULL, "note: %s", note);
		}
	}
	sao_loopback_close(&l);
	sao_redirect_clear(&r);
	sao_secret_clear(&state);
}

/* Only refused requests until the time is up: the login times out (it is
 * not ended by them) and says how many were refused. */
static void test_timeout_after_forgery(void)
{
	const char req[] = "GET /?code=forged&state=other HTTP/1.1\r\n\r\n";
	sao_loopback_t l;
	sao_redirect_t r;
	sao_secret_t state;
	sao_error_t err;
	int fd = -1, c;

	sao_loopback_init(&l);
	sao_redirect_init(&r);
	sao_secret_init(&state, 64);
	CHECK(sao_secret_set(&state, STATE, strlen(STATE), NULL) == SAO_OK);
	CHECK(sao_loopback_open(&l, "work", NULL) == SAO_OK);
	/* Queued before the wait starts: the kernel completes the handshake. */
	c = dial(l.port, NULL);
	CHECK(c >= 0 && send_all(c, req, sizeof(req) - 1) == 0);
	sao_error_clear(&err);
	CHECK(sao_loopback_wait(&l, sao_clock_ms() + 500, &state, "work", 1, NULL, &r, &fd, &err) == SAO_ERR_TIMEOUT);
	CHECK(fd == -1 && !r.has_code);
	CHECK_MSG(strstr(err.msg, "within 1 seconds (1 request with another state refused)") != NULL, "%s", err.msg);
	if (c >= 0) {
		CHECK(answer_status(c) == 400);
		close(c);
	}
	sao_loopback_close(&l);
	/* Closed twice is harmless; opened again works. */
	sao_loopback_close(&l);
	CHECK(sao_loopback_open(&l, "work", NULL) == SAO_OK);
	sao_loopback_close(&l);
	sao_redirect_clear(&r);
	sao_secret_clear(&state);
}

int main(void)
{
	int status;

	test_serve();
	test_timeout_after_forgery();
	errno = 0;
	CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	return check_done("test-loopback");
}
