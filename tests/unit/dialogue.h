/* SPDX-License-Identifier: MIT */
/*
 * dialogue: runs a login dialogue (imap.c, pop3.c) against a scripted
 * server over a socketpair. The server's whole script is written first and
 * its side shut (EOF after the script); the client reads it line by line as
 * it goes, and what the client wrote comes back as the transcript for a
 * byte-exact comparison.
 */
#ifndef SAO_TEST_DIALOGUE_H
#define SAO_TEST_DIALOGUE_H

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/tls.h"

typedef sao_err_t (*dialogue_fn)(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res,
                                 sao_error_t *err);

typedef struct dialogue {
	sao_err_t rc;
	sao_error_t err;
	sao_login_result_t res;
	char *sent;      /* what the client wrote, NUL-terminated */
	size_t sent_len;
} dialogue_t;

/* Runs fn with a bearer authenticator for mech, user alice@example.com,
 * host mail.example.com, port 143 and token tok. */
static inline void dialogue_run(dialogue_fn fn, int tls, const char *script, const char *mech, const char *tok,
                                dialogue_t *d)
{
	sao_tls_opts_t o = { .timeout_ms = 2000 };
	sao_mech_input_t in = { .user = "alice@example.com",
		                .host = "mail.example.com",
		                .port = "143",
		                .token = (const unsigned char *)tok,
		                .token_len = strlen(tok) };
	sao_auth_bearer_t b;
	sao_auth_t auth;
	sao_tls_t *c = NULL;
	int sv[2];
	size_t cap = 1 << 20;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	sao_error_clear(&d->err);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
	    write(sv[1], script, strlen(script)) != (ssize_t)strlen(script)) {
		d->rc = SAO_ERR_IO;
		return;
	}
	/* The server says nothing after its script: the end of it is EOF. */
	shutdown(sv[1], SHUT_WR);
	d->rc = sao_auth_bearer_init(&auth, &b, mech, &in, &d->err);
	if (d->rc == SAO_OK)
		d->rc = sao_tls_wrap_fd(sv[0], "mail.example.com", &o, &c, &d->err);
	if (d->rc == SAO_OK)
		d->rc = fn(c, tls, &auth, &d->res, &d->err);
	sao_tls_free(&c);
	d->sent = malloc(cap + 1);
	while (d->sent != NULL && d->sent_len < cap) {
		n = read(sv[1], d->sent + d->sent_len, cap - d->sent_len);
		if (n <= 0)
			break;
		d->sent_len += (size_t)n;
	}
	if (d->sent != NULL)
		d->sent[d->sent_len] = '\0';
	close(sv[1]);
}

static inline void dialogue_clear(dialogue_t *d)
{
	free(d->sent);
	d->sent = NULL;
}

#endif
