/* SPDX-License-Identifier: MIT */
/*
 * proc: the one child-process runner (DESIGN.md §8, the OpenSSH way: one
 * subprocess() with flags). Token commands, the plugin's refresh through
 * "sasl-oauth token" and the browser of a sign-in all start here.
 *
 * The command line is split into argv (blanks; '...', "..." and backslash
 * quoting as in sh) and executed directly; only when it holds shell syntax
 * ($ ` | & ; < > ( ) * ? [ ] ~ { } \ or a newline) and SAO_PROC_NO_SHELL is
 * not given is it run by /bin/sh -c. The child gets stdin from /dev/null, no
 * other inherited descriptors, a minimal environment (PATH, HOME, USER,
 * LOGNAME, LANG, TZ, XDG_*_HOME, SASL_OAUTH_CONF, the proxy and CA
 * variables) unless SAO_PROC_KEEP_ENV, and its own session and process group.
 *
 * Invariants:
 * - The command runs under a small supervising process of ours (the group
 *   leader), which reaps it by pid and sends its wait status, and the errno
 *   of a failed exec, over a close-on-exec pipe. So the result reaches the
 *   caller even in a host that reaps children itself (a SIGCHLD handler
 *   calling waitpid(-1), as sendmail's does) or ignores SIGCHLD.
 * - The run ends when the command has exited and what it wrote before
 *   exiting has been read: a background process it left holding stdout
 *   ("echo TOKEN; sleep 60 &") neither delays the result nor is killed. It
 *   is no child of ours, so no zombie and no descriptor is left behind.
 * - On the time limit the whole group gets SIGTERM, then SIGKILL after a
 *   grace period, and the supervisor is reaped.
 * - No signal handler is installed and no global state is touched; the
 *   caller's signal mask is restored before returning.
 *
 * Ownership: out_r is the caller's (a secret buffer: stdout may be a
 * token); everything else is freed before returning.
 */
#ifndef SAO_PROC_H
#define SAO_PROC_H

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define SAO_PROC_LINE_MAX 700 /* bytes of the child's first stderr line kept */

/* Flags for sao_proc_run(). */
#define SAO_PROC_DETACHED 0x1u /* start and return: no waiting, output to /dev/null, the process
                                  outlives us (a browser); succeeds once the program is executing */
#define SAO_PROC_NO_SHELL 0x2u /* never /bin/sh: shell syntax is literal, the line is only split */
#define SAO_PROC_NO_OUTPUT 0x8u /* sao_proc_notify: stdout is read and dropped, exit 0 is success */
#define SAO_PROC_KEEP_ENV 0x4u /* the caller's whole environment (a browser needs DISPLAY and
                                  DBUS_SESSION_BUS_ADDRESS); never in a set-id process */

/* How the child ended, for callers that know its exit statuses (the
 * plugin running sasl-oauth). */
typedef struct sao_proc_exit {
	int status;                       /* exit status; -1 if it did not exit normally */
	char line[SAO_PROC_LINE_MAX + 4]; /* first non-blank line of stderr, cleaned up */
} sao_proc_exit_t;

/*
 * Runs command. what names it in messages ("token command for account
 * 'work'"); arg, when not NULL (SAO_PROC_NO_SHELL only), is one more
 * argument: it replaces every "%s" of the split words (with "%%" for "%"
 * and "%c" for ":", the $BROWSER convention), or is appended when there is
 * no "%s".
 *
 * Without SAO_PROC_DETACHED it waits at most timeout_ms and leaves the first
 * line of stdout, without the line ending, in out_r. Fails with SAO_ERR_CMD
 * (not found, exit status, killed by a signal, empty output, output over
 * SAO_TOKEN_MAX, a NUL or control character in the first line) or
 * SAO_ERR_TIMEOUT; the message names the command, the status or timeout
 * and the first line of its stderr. exit_r (may be NULL) tells how the child
 * ended.
 *
 * With SAO_PROC_DETACHED, out_r and exit_r must be NULL; it returns SAO_OK
 * once the program runs, or SAO_ERR_CMD naming why it could not start
 * (timeout_ms bounds that wait).
 */
sao_err_t sao_proc_run(const char *command, const char *arg, unsigned flags, const char *what, int timeout_ms,
                       sao_secret_t *out_r, sao_proc_exit_t *exit_r, sao_error_t *err);

/* Runs command for its effect (an account's notify_command), the same way,
 * with env ("NAME=value" entries, NULL-terminated) added to the child's
 * environment; its output is read and dropped. Fails like sao_proc_run() on
 * anything but exit status 0. */
sao_err_t sao_proc_notify(const char *command, const char *what, int timeout_ms, const char *const *env,
                          sao_error_t *err);

#endif
