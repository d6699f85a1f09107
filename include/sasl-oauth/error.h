/* SPDX-License-Identifier: MIT */
/*
 * error: the one internal error enum and the error record that carries the
 * first failure's message to the boundary (plugin → SASL code, CLI → exit code).
 *
 * Invariants: the first sao_error_set() on a record wins; later calls only
 * return their code. Messages follow STYLE.md: lower case, what failed first,
 * the subject in quotes, then the cause and the fix. A message never holds a
 * secret (use sao_fingerprint()). The record is plain memory owned by the caller.
 */
#ifndef SAO_ERROR_H
#define SAO_ERROR_H

#include <stddef.h>

typedef enum {
	SAO_OK = 0,
	SAO_ERR_NOMEM,    /* allocation failed */
	SAO_ERR_CONFIG,   /* configuration file has an error */
	SAO_ERR_PERM,     /* file mode or owner unsafe */
	SAO_ERR_IO,       /* open, read, write, rename, fsync failed */
	SAO_ERR_NOTFOUND, /* file, account or token missing */
	SAO_ERR_CORRUPT,  /* cache file unparsable; it was kept aside */
	SAO_ERR_TOOBIG,   /* input exceeded its cap */
	SAO_ERR_PROTO,    /* malformed server challenge or input */
	SAO_ERR_CMD,      /* token command failed */
	SAO_ERR_TIMEOUT,  /* a child or request exceeded its time limit */
	SAO_ERR_STALE,    /* cached token expired or was rejected */
	SAO_ERR_REJECTED, /* the server refused the token */
	SAO_ERR_NOCRED,   /* no token source for this user */
	SAO_ERR_NET,      /* the identity provider could not be reached or failed (5xx) */
	SAO_ERR_OAUTH,    /* the identity provider refused the request (OAuth error) */
	SAO_ERR_LOGIN,    /* the grant is gone: only a new interactive login helps */
	SAO_ERR_INTERNAL  /* a bug: an invariant did not hold */
} sao_err_t;

#define SAO_ERROR_MSG_MAX 1024

typedef struct sao_error {
	sao_err_t code;
	char msg[SAO_ERROR_MSG_MAX];
} sao_error_t;

/* The exit status of sasl-oauth (docs/cli.md), which the plugin reads back
 * when it runs "sasl-oauth token" to refresh. */
enum {
	SAO_EXIT_OK = 0,
	SAO_EXIT_FAIL = 1,   /* anything not below */
	SAO_EXIT_USAGE = 2,  /* bad command line */
	SAO_EXIT_LOGIN = 3,  /* no usable grant: run "sasl-oauth login ACCOUNT" */
	SAO_EXIT_CONFIG = 4, /* configuration or file permissions */
	SAO_EXIT_TEMP = 5    /* identity provider unreachable or failing: retry later */
};

/* The exit status for code, and the code an exit status stands for
 * (SAO_ERR_CMD for those that say nothing more). */
int sao_exit_status(sao_err_t code);
sao_err_t sao_exit_error(int status);

/* Short, constant description of a code. Never NULL. */
const char *sao_strerror(sao_err_t code);

/* Records code and message unless an error is already recorded (the first
 * error wins). Returns code, so callers can write `return sao_error_set(...)`.
 * err may be NULL. A message longer than the record is truncated. */
sao_err_t sao_error_set(sao_error_t *err, sao_err_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The fix a message ends with, when running sasl-oauth repairs it. Written
 * in one place so every message names the command the same way. */
typedef enum {
	SAO_FIX_LOGIN,            /* run: sasl-oauth login NAME */
	SAO_FIX_LOGIN_PASTE,      /* run: sasl-oauth login NAME --paste */
	SAO_FIX_REFRESH,          /* run: sasl-oauth refresh NAME */
	SAO_FIX_REFRESH_OR_LOGIN  /* ... refresh NAME (or sasl-oauth login NAME if that fails) */
} sao_fix_t;

/* The fix for account ("run: sasl-oauth login work") in buf; returns buf. */
const char *sao_error_fix_text(sao_fix_t fix, const char *account, char *buf, size_t size);

/* sao_error_set() whose message is fmt followed by the fix for account:
 * fmt ends where the fix goes ("...; " or "...; remove it and "). */
sao_err_t sao_error_fix(sao_error_t *err, sao_err_t code, sao_fix_t fix, const char *account, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Thread-safe strerror: the text for errnum, in buf or a static string. */
const char *sao_errno_text(int errnum, char *buf, size_t size);

/* Copies at most max bytes of s (len bytes) into out, which holds max + 4:
 * control bytes (C0, DEL, and C1 in UTF-8) become '?', so text from a
 * command or a provider cannot move the cursor or forge lines; a cut is
 * marked "..." and never splits a UTF-8 sequence. */
void sao_error_printable(const char *s, size_t len, char *out, size_t max);

/* Resets the record to SAO_OK with an empty message. */
void sao_error_clear(sao_error_t *err);

#endif
