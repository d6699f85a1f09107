/* SPDX-License-Identifier: MIT */
/*
 * loopback: the HTTP listener on 127.0.0.1 that takes the browser's
 * redirect in an authorization-code login (RFC 8252 §7.3).
 *
 * It listens on a port the kernel picks (Entra ignores the port of a
 * localhost redirect URI, protocols.md §3.4) and serves up to
 * SAO_LOOPBACK_CONNS browser connections at once (browsers open spare
 * connections that may never carry a request; idle ones are dropped).
 *
 * Invariants:
 * - Only the request line is kept (it holds the code, in a secret buffer);
 *   headers are read and dropped up to a cap, so that closing does not
 *   make the kernel reset a connection the browser still writes to.
 * - A request is taken only when it is "GET /?..." whose query parses as a
 *   redirect carrying this login's state. Everything else is answered and
 *   the listener keeps listening until the right state arrives or the time
 *   is up: 405 for another method, 404 for another path (a browser's
 *   /favicon.ico), 400 for a redirect that does not parse or carries another
 *   state (a tab left from an earlier attempt, or a forged request; issue
 *   13), 431 for a request over the caps. One forged request cannot end a
 *   login.
 * - Only peers on 127.0.0.1 are served.
 *
 * Ownership: the caller owns the sao_loopback_t (init, open, close). The
 * connection handed back by sao_loopback_wait() is the caller's to answer
 * with sao_loopback_answer() and to close.
 */
#ifndef SAO_LOOPBACK_H
#define SAO_LOOPBACK_H

#include <stdint.h>
#include <stdio.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/redirect.h"
#include "sasl-oauth/secret.h"

#define SAO_LOOPBACK_CONNS 8            /* browser connections served at once */
#define SAO_LOOPBACK_LINE_MAX 8192      /* the request line, with the code */
#define SAO_LOOPBACK_HEAD_MAX (64 * 1024) /* headers read (and dropped) after it */

/* One browser connection (internal). */
typedef struct sao_loopback_conn {
	int fd; /* -1: free */
	int64_t since_ms;
	sao_secret_t line; /* the request line: holds the code */
	int line_done;
	int cur; /* bytes on the current header line, CR not counted */
	size_t head_len;
} sao_loopback_conn_t;

typedef struct sao_loopback {
	int fd;
	unsigned port;    /* after sao_loopback_open() */
	unsigned refused; /* redirects answered 400 so far */
	sao_loopback_conn_t conns[SAO_LOOPBACK_CONNS];
} sao_loopback_t;

void sao_loopback_init(sao_loopback_t *l);

/* Listens on 127.0.0.1; l->port says where. Fails with SAO_ERR_IO, the
 * message naming the account and --paste as the way out. */
sao_err_t sao_loopback_open(sao_loopback_t *l, const char *name, sao_error_t *err);

/* Serves the listener until a redirect with state arrives (SAO_OK: r holds
 * it, parsed, and *fd_r the connection to answer once the code is
 * redeemed) or deadline (monotonic ms) passes (SAO_ERR_TIMEOUT). Each
 * request refused is answered at once and, when note is not NULL, said
 * there in one line. name and timeout_s are for the messages. */
sao_err_t sao_loopback_wait(sao_loopback_t *l, int64_t deadline, const sao_secret_t *state, const char *name,
                            int timeout_s, FILE *note, sao_redirect_t *r, int *fd_r, sao_error_t *err);

/* Answers a browser connection with a small HTML page (title and text
 * escaped) and shuts down its writing side; fd stays the caller's.
 * Failures are ignored: the terminal says it all anyway. */
void sao_loopback_answer(int fd, int status, const char *reason, const char *title, const char *text);

/* Closes the listener and every connection; l can be opened again. */
void sao_loopback_close(sao_loopback_t *l);

#endif
