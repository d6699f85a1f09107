/* SPDX-License-Identifier: MIT */
/*
 * catalog: what an identity provider's error means and what fixes it
 * (DESIGN.md §7). Entries are keyed by Entra ID's AADSTS number, or by the
 * OAuth "error" string (RFC 6749 §5.2, RFC 8628 §3.5) for providers that
 * send no number. Constant data; nothing to free.
 */
#ifndef SAO_CATALOG_H
#define SAO_CATALOG_H

#include <stddef.h>

typedef struct sao_catalog_entry {
	long code;          /* AADSTS number, 0 for entries keyed by error */
	const char *error;  /* OAuth error string, NULL for entries keyed by code */
	const char *cause;  /* plain words, lower case, no final period */
	const char *fix;    /* what the user or admin does; NULL when login says it all */
	int login;          /* 1: the grant is gone, a new "sasl-oauth login ACCOUNT" is the fix */
} sao_catalog_entry_t;

/* The whole tables, for the troubleshooting page and its test. */
const sao_catalog_entry_t *sao_catalog_codes(size_t *n_r);
const sao_catalog_entry_t *sao_catalog_errors(size_t *n_r);

/* The entry for AADSTS number code, or NULL. */
const sao_catalog_entry_t *sao_catalog_code(long code);

/* The entry for an OAuth error string, or NULL (never NULL for the RFC
 * 6749 and RFC 8628 codes). */
const sao_catalog_entry_t *sao_catalog_error(const char *error);

/*
 * The mail servers' side: what a server's final refusal means when it sends
 * no error challenge (Exchange Online), or a reply after a successful login
 * that still concerns it (SMTP AUTH switched off, SendAs, throttling).
 * Entries are tried in table order, the most specific first; the first whose
 * conditions all hold is the answer. A fix may hold the placeholders
 * "<mailbox>" and "<client_id>", which sao_catalog_fix() fills in.
 */
typedef enum { SAO_CATALOG_IMAP, SAO_CATALOG_POP3, SAO_CATALOG_SMTP } sao_catalog_proto_t;

/* What a caller knows about a refused login. */
typedef struct sao_server_reply {
	sao_catalog_proto_t proto;
	const char *reply;  /* the server's final line (code and text), as sent */
	int challenged;     /* 1 when an error challenge came before it */
	int app_only;       /* 1 when the token is an app-only (client_credentials) one */
	int shared;         /* 1 when the login's user is not the token's own user */
} sao_server_reply_t;

typedef struct sao_server_entry {
	const char *id;      /* stable name, in docs/troubleshooting.md */
	sao_catalog_proto_t proto;
	const char *code;    /* reply code or enhanced status code the reply starts with
	                        (after the tag for IMAP), e.g. "535 5.7.139", "-ERR", "NO", "4.7." */
	const char *text;    /* a substring of the reply (case-insensitive), or NULL */
	int no_challenge;    /* 1: only when no error challenge came */
	int app_only;        /* 1: only for app-only tokens */
	int shared;          /* 1: only for a shared mailbox */
	const char *example; /* the reply as the server sends it */
	const char *cause;   /* plain words, lower case, no final period */
	const char *fix;     /* what the user or admin does, never NULL */
	int login;           /* 1: a new "sasl-oauth login ACCOUNT" is part of the fix */
} sao_server_entry_t;

const sao_server_entry_t *sao_catalog_servers(size_t *n_r);

/* The entry that explains r, or NULL when the reply is none the catalog
 * knows. */
const sao_server_entry_t *sao_catalog_server(const sao_server_reply_t *r);

/* e's fix in buf, "<mailbox>" replaced by mailbox and "<client_id>" by
 * client_id (each when not NULL). A fix longer than buf is cut. Returns buf. */
const char *sao_catalog_fix(const sao_server_entry_t *e, const char *mailbox, const char *client_id, char *buf,
                            size_t size);

/* "imap", "pop3", "smtp". */
const char *sao_catalog_proto_name(sao_catalog_proto_t p);

#endif
