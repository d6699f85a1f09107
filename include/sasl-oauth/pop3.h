/* SPDX-License-Identifier: MIT */
/*
 * pop3: the POP3 login dialogue (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS,
 * RFC 5034 AUTH): greeting, STLS, CAPA, then AUTH with the initial response
 * on the command line when the line fits in 255 octets, else after the
 * server's empty "+ " continuation (bearer tokens never fit).
 *
 * The reader is pure: one line in, its kind and text out.
 *   "+OK" [ SP text ]  /  "-ERR" [ SP text ]  /  "+" [ SP base64 ]
 */
#ifndef SAO_POP3_H
#define SAO_POP3_H

#include <stddef.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/tls.h"

typedef enum { SAO_POP3_OK, SAO_POP3_ERR, SAO_POP3_CONTINUE, SAO_POP3_DATA } sao_pop3_kind_t;

/* The kind of one line (with or without CRLF) and its text after the
 * status and one space, without CRLF. Never fails: anything else is DATA. */
sao_pop3_kind_t sao_pop3_parse(const char *line, size_t len, const char **text_r, size_t *text_len_r);

/* Logs in on c (see sao_imap_login for the errors); stls: send STLS first. */
sao_err_t sao_pop3_login(sao_tls_t *c, int stls, const sao_auth_t *auth, sao_login_result_t *res, sao_error_t *err);

/* After the login: STAT (RFC 1939 §5), the number of messages and their
 * size in octets. */
sao_err_t sao_pop3_stat(sao_tls_t *c, unsigned long *count_r, unsigned long *octets_r, sao_error_t *err);

/* QUIT; the server's answer does not matter any more. */
void sao_pop3_quit(sao_tls_t *c);

#endif
