/* SPDX-License-Identifier: MIT */
/*
 * smtp: the SMTP submission login (RFC 5321, RFC 3207 STARTTLS, RFC 4954
 * AUTH) of "sasl-oauth test": greeting, EHLO, STARTTLS and EHLO again,
 * AUTH with the initial response after the server's empty "334 " (an
 * RFC 5321 command line holds 512 octets and no bearer token fits), then
 * MAIL FROM to see that the server lets the mailbox send.
 *
 * The reader is pure: one line in, its code and text out.
 *   reply-line = 3DIGIT ( "-" / SP ) [ text ]     ("-": more lines follow)
 */
#ifndef SAO_SMTP_H
#define SAO_SMTP_H

#include <stddef.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/tls.h"

typedef struct sao_smtp_line {
	int code;          /* 200..599 */
	int more;          /* 1: a "NNN-" line, the reply goes on */
	const char *text;  /* after the separator, without CRLF */
	size_t text_len;
} sao_smtp_line_t;

/* Splits one reply line. SAO_ERR_PROTO for what is not one. */
sao_err_t sao_smtp_parse(const char *line, size_t len, sao_smtp_line_t *r, sao_error_t *err);

/* Logs in on c as "sasl-oauth test" does (see sao_imap_login for the
 * errors); starttls: send STARTTLS first; helo: the name for EHLO. On
 * success res->caps holds the EHLO keywords after TLS. A refusal's reply is
 * in res->server with its code ("535 5.7.3 ..."), as the catalog reads it. */
sao_err_t sao_smtp_login(sao_tls_t *c, int starttls, const char *helo, const sao_auth_t *auth,
                         sao_login_result_t *res, sao_error_t *err);

/* After the login: MAIL FROM:<from>, then RSET. SAO_ERR_REJECTED with the
 * reply in res->server when the server refuses the sender. */
sao_err_t sao_smtp_mail_from(sao_tls_t *c, const char *from, sao_login_result_t *res, sao_error_t *err);

/* QUIT; the server's answer does not matter any more. */
void sao_smtp_quit(sao_tls_t *c);

#endif
