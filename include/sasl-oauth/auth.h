/* SPDX-License-Identifier: MIT */
/*
 * auth: the SASL client step of a mail login, as a small interface, so that
 * the protocol dialogues (imap.c, pop3.c) do not know where the bytes come
 * from. The tunnel plugs in the bearer authenticator below, which calls the
 * shared encoders (mech.h); "sasl-oauth test" plugs in one that goes through
 * libsasl2 and the installed plugin. Both are client-first mechanisms.
 *
 * Bytes in and out of the ops are raw (not base64): the dialogues encode
 * and decode (sao_auth_initial / sao_auth_answer). Outputs go to secret
 * buffers because they hold the token.
 */
#ifndef SAO_AUTH_H
#define SAO_AUTH_H

#include <stddef.h>

#include "sasl-oauth/catalog.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/mech.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/settings.h"

typedef struct sao_auth_ops {
	/* The initial response into out (client-first). */
	sao_err_t (*start)(void *ctx, sao_secret_t *out, sao_error_t *err);
	/* The response to a server challenge (already decoded). */
	sao_err_t (*step)(void *ctx, const unsigned char *challenge, size_t len, sao_secret_t *out, sao_error_t *err);
	/* What the server's refusal means, in words with the fix, or NULL when
	 * nothing more is known than the server's own text. Valid until the
	 * context goes away. */
	const char *(*diagnosis)(void *ctx);
} sao_auth_ops_t;

typedef struct sao_auth {
	const char *mech;          /* "XOAUTH2", as the protocol names it */
	const sao_auth_ops_t *ops;
	void *ctx;
	/* What the caller knows of the login, for the catalog's reading of a
	 * refusal that says nothing (sao_server_reply_t). */
	int app_only;              /* the token is an app-only one */
	int shared;                /* the mailbox is not the token's own user's */
	const char *mailbox;       /* fills the fixes' <mailbox> and <client_id> (may be NULL) */
	const char *client_id;
} sao_auth_t;

/* Largest base64 response the dialogues send (a 64 KB token and headroom). */
#define SAO_AUTH_B64_MAX (((SAO_TOKEN_MAX + 2048) / 3 + 1) * 4)

/* Sets a's hints for a login to mailbox as account, whose token has the
 * claims (claims->jwt 0 when unknown): app-only by the account's flow or
 * the token, shared when the token's user is another. */
struct sao_claims;
void sao_auth_hints(sao_auth_t *a, const sao_account_t *account, const struct sao_claims *claims,
                    const char *mailbox);

/* base64 (RFC 4648 §4) of the initial response into b64 (replaced). */
sao_err_t sao_auth_initial(const sao_auth_t *a, sao_secret_t *b64, sao_error_t *err);

/* Decodes the base64 challenge (len bytes, no CRLF), steps, and puts the
 * base64 response into b64 (replaced; empty for an empty response). */
sao_err_t sao_auth_answer(const sao_auth_t *a, const char *challenge, size_t len, sao_secret_t *b64, sao_error_t *err);

/* Sends prefix, the base64 b64 (may be NULL) and CRLF as one write, built in
 * a wiped buffer. */
struct sao_tls;
sao_err_t sao_auth_send(struct sao_tls *c, const char *prefix, const sao_secret_t *b64, sao_error_t *err);

/* ---- the exchange, shared by the protocols --------------------------- */

/* What a protocol makes of a line during the exchange. */
typedef enum { SAO_AUTH_CONTINUE, SAO_AUTH_DONE, SAO_AUTH_REFUSED, SAO_AUTH_SKIP } sao_auth_line_t;

typedef struct sao_auth_dialogue {
	const char *proto;    /* "IMAP", "POP3", "SMTP": for messages */
	sao_catalog_proto_t catalog;
	struct sao_tls *c;
	const char *tag;      /* "s2 " before the command, or "" */
	size_t line_max;      /* longest command line with the initial response, CRLF
	                       * included; 0: the server takes none on the line */
	/* Reads the next line: *text_r is the challenge (CONTINUE) or the
	 * server's words (REFUSED). A line that ends the session is an error. */
	sao_err_t (*next)(void *ctx, sao_auth_line_t *kind_r, const char **text_r, size_t *len_r, sao_error_t *err);
	void *ctx;
	char *server;         /* receives the refusal's words, printable (SMTP: with the
	                       * reply code, as the catalog matches them) */
	size_t server_size;
} sao_auth_dialogue_t;

/* Sends command ("AUTHENTICATE XOAUTH2") with the initial response on the
 * line when it fits ("=" when empty, RFC 4959 §3, RFC 5034 §4), else alone
 * and the response after the server's empty continuation; answers every
 * challenge through the authenticator until the server's verdict.
 * SAO_ERR_REJECTED with the server's words and the authenticator's
 * diagnosis when it refuses. */
sao_err_t sao_auth_run(const sao_auth_dialogue_t *d, const sao_auth_t *auth, const char *command, sao_error_t *err);

/* ---- the bearer authenticator (the shared encoders) ------------------ */

typedef struct sao_auth_bearer {
	sao_mech_encode_fn encode;
	sao_mech_input_t in;        /* points at the caller's user, host, token */
	const char *error_reply;    /* what the mechanism answers to an error challenge */
	size_t error_reply_len;
	int challenged;             /* the server sent an error challenge */
	char diag[SAO_ERROR_MSG_MAX + 512];
} sao_auth_bearer_t;

extern const sao_auth_ops_t sao_auth_bearer_ops;

/* Sets a up for mech ("XOAUTH2" or "OAUTHBEARER", case-insensitive) with
 * the bearer state b. SAO_ERR_CONFIG for any other name. */
sao_err_t sao_auth_bearer_init(sao_auth_t *a, sao_auth_bearer_t *b, const char *mech, const sao_mech_input_t *in,
                               sao_error_t *err);

/* ---- what a protocol dialogue hands back ------------------------------- */

typedef struct sao_login_result {
	char caps[4096];    /* IMAP: the capabilities announced after login */
	char server[512];   /* the server's last words on failure, printable */
	int not_offered;    /* the server does not announce the mechanism (caps: what it does) */
	int authenticated;  /* the server accepted the authentication (a later refusal is
	                     * about the mailbox, not the token) */
	int greeted;        /* the server sent its first line */
	int foreign;        /* ...and it is not this protocol's greeting (a wrong port) */
} sao_login_result_t;

/* The longest line the dialogues read, and the longest command line they
 * send with the initial response in it: RFC 7162 §4 asks servers to take
 * 8192 octets, and Dovecot 2.3 takes no more. */
#define SAO_LOGIN_LINE_MAX 32768
#define SAO_IMAP_COMMAND_MAX 8192
#define SAO_POP3_COMMAND_MAX 255 /* RFC 5034 §4, with the CRLF */

#endif
