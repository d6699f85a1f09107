/* SPDX-License-Identifier: MIT */
/*
 * snippet: the lines a mail program needs to use an account, as
 * "sasl-oauth setup --for PROGRAM" prints them and the docs/clients/ pages
 * show them (tests/integration/test-setup.sh compares the two, so a page
 * and this file cannot drift apart). Also where each provider's mail
 * servers are, and appending the lines to a program's own file
 * (~/.mbsyncrc, ~/.msmtprc, ~/.fetchmailrc) without ever replacing what
 * is there.
 *
 * Rendering is pure: plain values in, text out, no I/O.
 *
 * Ownership: rendered text is malloc'd and the caller's.
 */
#ifndef SAO_SNIPPET_H
#define SAO_SNIPPET_H

#include <stddef.h>

#include "sasl-oauth/error.h"

/* The programs, in the order of sao_snippet_programs (--for's choices). */
typedef enum {
	SAO_SNIPPET_MUTT,
	SAO_SNIPPET_NEOMUTT,
	SAO_SNIPPET_MBSYNC,
	SAO_SNIPPET_FETCHMAIL,
	SAO_SNIPPET_MSMTP,
	SAO_SNIPPET_POSTFIX,
	SAO_SNIPPET_CURL,
	SAO_SNIPPET_N
} sao_snippet_program_t;

extern const char *const sao_snippet_programs[]; /* NULL-terminated */

/* A provider's mail servers (the ports are the TLS ones: IMAPS, POP3S,
 * submission with STARTTLS). */
typedef struct sao_mailhosts {
	const char *imap;
	int imap_port;
	const char *pop;
	int pop_port;
	const char *smtp;
	int smtp_port;
} sao_mailhosts_t;

/* The servers of provider ("microsoft", "google") in cloud ("global",
 * "usgov", "usgov-dod", "china"; NULL = global), or NULL when they are not
 * known (generic). */
const sao_mailhosts_t *sao_snippet_hosts(const char *provider, const char *cloud);

/* 1 when the program sends mail (setup then tests SMTP too). */
int sao_snippet_sends(sao_snippet_program_t p);

/* Where --write may append the lines (relative to $HOME: ".mbsyncrc",
 * ".msmtprc", ".fetchmailrc": files fetchmail and msmtp want 0600),
 * or NULL when the program's file is not one to append to unasked. */
const char *sao_snippet_file(sao_snippet_program_t p);

/* The lines for program p: account is the sasl-oauth account's name, email
 * the mailbox. Each line ends in "\n". SAO_ERR_NOMEM; SAO_ERR_CONFIG for a
 * name or address with characters the program's syntax cannot hold. */
sao_err_t sao_snippet_render(sao_snippet_program_t p, const char *account, const char *email,
                             const sao_mailhosts_t *h, char **text_r, sao_error_t *err);

/* Makes what program p needs on disk before its first run with the lines
 * for account (mbsync: the Maildir ~/Mail/ACCOUNT, 0700; mbsync makes
 * nothing above its Inbox). home: the user's home directory. *made_r
 * (may be NULL) names it, or is "" when nothing was needed. */
sao_err_t sao_snippet_prepare(sao_snippet_program_t p, const char *account, const char *home, char *made_r,
                              size_t size, sao_error_t *err);

/* Appends text (program p's lines) to path, creating it 0600 if missing.
 * Refuses (SAO_ERR_CONFIG, nothing written) when the file already defines
 * one of the sections the text opens ("IMAPAccount work", "account work"),
 * a symlink or a file not owned by the caller. A line the file already
 * decides otherwise ("account default" in an msmtprc) is left out; then
 * *dropped_r (may be NULL) is set to 1. */
sao_err_t sao_snippet_append(sao_snippet_program_t p, const char *path, const char *text, int *dropped_r,
                             sao_error_t *err);

#endif
