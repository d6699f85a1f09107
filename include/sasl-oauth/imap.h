/* SPDX-License-Identifier: MIT */
/*
 * imap: the IMAP login dialogue (RFC 9051 / RFC 3501): greeting,
 * CAPABILITY, STARTTLS, AUTHENTICATE (RFC 4959 SASL-IR when the command
 * fits in SAO_IMAP_COMMAND_MAX octets, else the initial response after the
 * server's empty continuation), and the capabilities after login.
 *
 * The reader is pure: one line in (with its CRLF), pointers into it out.
 *   response   = tag SP cond SP [ "[" resp-text-code "]" SP ] text
 *              / "*" SP ( cond / "CAPABILITY" / ... ) ...
 *              / "+" [ SP base64-or-text ]
 * Literals never occur in the responses the login reads; a line that ends
 * in "{n}" is refused rather than mis-read.
 */
#ifndef SAO_IMAP_H
#define SAO_IMAP_H

#include <stddef.h>

#include "sasl-oauth/auth.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/tls.h"

typedef enum { SAO_IMAP_UNTAGGED, SAO_IMAP_CONTINUE, SAO_IMAP_TAGGED } sao_imap_kind_t;

typedef struct sao_imap_line {
	sao_imap_kind_t kind;
	const char *tag;    /* tagged only */
	size_t tag_len;
	const char *word;   /* OK, NO, BAD, BYE, PREAUTH, CAPABILITY, a number... (not for "+") */
	size_t word_len;
	const char *code;   /* inside [...], without the brackets; NULL when none */
	size_t code_len;
	const char *text;   /* the rest, without CRLF ("+": what follows "+ ") */
	size_t text_len;
} sao_imap_line_t;

/* Splits one response line. SAO_ERR_PROTO for what is not a response. */
sao_err_t sao_imap_parse(const char *line, size_t len, sao_imap_line_t *r, sao_error_t *err);

/* The capability list a line carries ("* CAPABILITY ..." or a
 * [CAPABILITY ...] code), or NULL. */
const char *sao_imap_caps(const sao_imap_line_t *l, size_t *len_r);

/* 1 when the space-separated list holds cap (case-insensitive). */
int sao_imap_has_cap(const char *caps, size_t len, const char *cap);

/* Logs in on c as the dialogue above says, with the mechanism of auth;
 * starttls: send STARTTLS first. On success res->caps holds the
 * capabilities after login. SAO_ERR_REJECTED when the server refused the
 * authentication (res->server holds its words), SAO_ERR_NET/TIMEOUT for the
 * connection, SAO_ERR_PROTO for answers that make no sense. */
sao_err_t sao_imap_login(sao_tls_t *c, int starttls, const sao_auth_t *auth, sao_login_result_t *res,
                         sao_error_t *err);

/* After the login: LIST "" "*" (RFC 9051 §6.3.9). *n_r is the number of
 * folders, names their names, ", "-separated, as many as fit in size. A
 * refusal leaves "NO text" / "BAD text" in res->server. */
sao_err_t sao_imap_list(sao_tls_t *c, sao_login_result_t *res, size_t *n_r, char *names, size_t size,
                        sao_error_t *err);

/* LOGOUT; what the server answers does not matter any more. */
void sao_imap_logout(sao_tls_t *c);

#endif
