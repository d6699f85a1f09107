/* SPDX-License-Identifier: MIT */
/*
 * url: the mail server URLs of "sasl-oauth tunnel" and "sasl-oauth test".
 * Parsed by length from one argument; the struct owns copies.
 *
 *   url    = scheme "://" user "@" host [ ":" port ] [ "/" ]
 *   scheme = "imaps" / "imap" / "pop3s" / "pop3" / "smtps" / "smtp"
 *                                                   (case-insensitive)
 *   host   = reg-name / IPv4address / "[" IPv6address "]"
 *
 * The user is usually an address itself (imaps://alice@contoso.com@
 * outlook.office365.com), so the split is at the LAST '@'; "%40" in the
 * user stands for '@' (RFC 3986 percent-encoding, the form RFC 5092 IMAP
 * URLs use), and only "%40": other escapes are refused rather than guessed.
 * imaps/pop3s/smtps connect with TLS at once (993/995/465), imap/pop3/smtp
 * start TLS with STARTTLS/STLS (143/110/587, submission). Host names are lower-cased; the user keeps its
 * case (the server decides what it means).
 */
#ifndef SAO_URL_H
#define SAO_URL_H

#include "sasl-oauth/error.h"

typedef enum { SAO_PROTO_IMAP, SAO_PROTO_POP3, SAO_PROTO_SMTP } sao_proto_t;

typedef enum {
	SAO_TLS_IMPLICIT, /* TLS from the first byte */
	SAO_TLS_STARTTLS  /* plaintext greeting, then STARTTLS / STLS */
} sao_tls_mode_t;

#define SAO_URL_USER_MAX 320 /* RFC 5321 path limits: 64 + "@" + 255 */
#define SAO_URL_HOST_MAX 255

typedef struct sao_url {
	sao_proto_t proto;
	sao_tls_mode_t tls;
	char user[SAO_URL_USER_MAX + 1];
	char host[SAO_URL_HOST_MAX + 1]; /* without the brackets of an IPv6 literal */
	char port[6];                    /* decimal, 1..65535, the default when absent */
} sao_url_t;

/* Parses s into url_r. SAO_ERR_PROTO with a message naming the part that is
 * wrong (and the accepted form) for anything else. */
sao_err_t sao_url_parse(const char *s, sao_url_t *url_r, sao_error_t *err);

/* The scheme's name as written in URLs ("imaps"). */
const char *sao_url_scheme(const sao_url_t *url);

#endif
