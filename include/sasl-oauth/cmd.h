/* SPDX-License-Identifier: MIT */
/*
 * cmd: runs a user's token command the OpenSSH way (DESIGN.md §8).
 *
 * The command string is split into argv (whitespace, with '...' and "..."
 * quoting) and executed directly; only when it holds shell syntax
 * ($ ` | & ; < > ( ) * ? [ ] ~ { } \ or a newline) is it run by /bin/sh -c.
 * The child gets stdin from /dev/null, no other inherited descriptors, a
 * minimal environment (PATH, HOME, USER, LOGNAME, LANG, TZ, XDG_*_HOME,
 * SASL_OAUTH_CONF), its own process group, and is killed (TERM, then KILL)
 * when the time limit passes. It is always reaped by pid. stdout is capped at
 * SAO_TOKEN_MAX, stderr kept up to a small cap for the error message.
 * No signal handler is installed and no global state is touched.
 */
#ifndef SAO_CMD_H
#define SAO_CMD_H

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define SAO_CMD_LINE_MAX 700 /* bytes of the child's first stderr line kept */

/* How the child ended, for callers that know its exit statuses (the
 * plugin running sasl-oauth). */
typedef struct sao_cmd_exit {
	int status;                      /* exit status; -1 if it did not exit normally */
	char line[SAO_CMD_LINE_MAX + 4]; /* first non-blank line of stderr, cleaned up */
} sao_cmd_exit_t;

/* Runs command and leaves the first line of its stdout, without the line
 * ending, in token_r. Fails with SAO_ERR_CMD (not found, exit status, killed
 * by a signal, empty output, output over the cap, a NUL in the output) or
 * SAO_ERR_TIMEOUT; the message names the command, the status or timeout and
 * the first line of its stderr. what names the caller ("token command for
 * account 'work'"). exit_r (may be NULL) tells how the child ended. */
sao_err_t sao_cmd_run(const char *command, const char *what, int timeout_ms, sao_secret_t *token_r,
                      sao_cmd_exit_t *exit_r, sao_error_t *err);

/* Runs command for its effect (an account's notify_command), the same way,
 * with env ("NAME=value" entries, NULL-terminated) added to the child's
 * environment. Its output is read and dropped. Fails like sao_cmd_run()
 * on anything but exit status 0. */
sao_err_t sao_cmd_notify(const char *command, const char *what, int timeout_ms, const char *const *env,
                         sao_error_t *err);

#endif
