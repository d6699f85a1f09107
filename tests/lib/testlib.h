/* SPDX-License-Identifier: MIT */
/*
 * testlib: what the C tests share, in the manner of Dovecot's src/lib-test.
 *
 * Checks. CHECK* count and report a failure with file and line and carry on,
 * so one run reports every failing row; check_done() gives the exit status.
 *
 * Sub-cases. test_run("name", fn) runs one part of a test and prints one
 * result line on stdout, read by tests/tools/test-driver:
 *   ok N - name                 the sub-case passed
 *   not ok N - name             a check in it failed
 *   ok N - name # SKIP reason   test_skip() was called: it could not run here
 * so a sub-case that cannot run on this machine says SKIP instead of
 * passing silently.
 *
 * Files. test_dir_init() makes one private 0700 directory per test under
 * $TMPDIR (or /tmp); test_dir_done() removes it unless a check failed, when
 * it is kept for inspection. Paths in it come from test_path().
 *
 * SASL (testlib-sasl.c, libsasl2 only). Callbacks answering from the
 * test_sasl values, registered the way Postfix does (procs) or the way
 * mbsync does (prompts). test_plugin_dir() gives libsasl2 a private plugin
 * directory with the built plugin and only the system mechanisms asked for,
 * so what is installed on the machine (KDE's XOAUTH2) never takes part.
 *
 * Caches (testlib-cache.c, links lib/). test_seed_cache() writes a token
 * cache the way the CLI does, under the lock.
 */
#ifndef SAO_TESTLIB_H
#define SAO_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
/* Most tests print and compare: these come with the library. */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <sasl/sasl.h>

/* ---- checks ------------------------------------------------------------ */

extern int check_failures;
extern int check_count;

void check_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void check_bytes(const char *file, int line, const void *got, size_t gotlen, const void *want, size_t wantlen);

#define CHECK(cond)                                                         \
	do {                                                                \
		check_count++;                                              \
		if (!(cond))                                                \
			check_fail(__FILE__, __LINE__, #cond, NULL);        \
	} while (0)

#define CHECK_MSG(cond, ...)                                                \
	do {                                                                \
		check_count++;                                              \
		if (!(cond))                                                \
			check_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* Byte-exact comparison with a readable dump on mismatch. */
#define CHECK_BYTES(got, gotlen, want, wantlen) \
	check_bytes(__FILE__, __LINE__, (const void *)(got), (gotlen), (const void *)(want), (wantlen))

/* Prints the summary on stderr; returns the exit status (0 or 1). */
int check_done(const char *name);

/* ---- sub-cases --------------------------------------------------------- */

/* Runs fn as the sub-case "name" and prints its result line. */
void test_run(const char *name, void (*fn)(void));
/* Marks the running sub-case skipped, with the reason; the caller returns. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- files ------------------------------------------------------------- */

/* Creates the test's private directory ("sao-NAME-XXXXXX", mode 0700) and
 * returns its path; exits 99 (a hard error) when it cannot. */
const char *test_dir_init(const char *name);
/* Removes it, unless a check failed. */
void test_dir_done(void);
/* The test directory, or NULL before test_dir_init(). */
const char *test_dir(void);
/* buf = test directory + "/" + rel; exits 99 when it does not fit. */
char *test_path(char *buf, size_t size, const char *rel);
/* Writes len bytes to path, then sets mode with chmod (the umask plays no
 * part). 0, or -1 with errno. */
int test_write_file(const char *path, mode_t mode, const void *data, size_t len);
int test_write_text(const char *path, mode_t mode, const char *text);
/* The first 8 KiB of a file as a string, in a buffer the next call
 * overwrites; NULL when it cannot be read. */
const char *test_read_text(const char *path);
/* Makes DIR/plugins (DIR = the test directory) holding the built plugin
 * and the named system plugins (e.g. "libplain.so"), symbolic links all.
 * Nothing else of the system directory is loaded: a test that wants a peer
 * XOAUTH2 beside ours names it. Returns the directory (for test_sasl.path),
 * or NULL (reported as a failed check). */
const char *test_plugin_dir(const char *const *system_plugins);
/* mkdir -p with mode 0700. 0 or -1. */
int test_mkdirs(const char *path);
/* rm -r path (does not follow symbolic links). 0 or -1. */
int test_rm_tree(const char *path);
/* Copies in to out, replacing each "@D@" with the test directory and each
 * extra key of pairs (NULL-terminated key, value list) with its value. */
void test_subst(const char *in, char *out, size_t size, const char *const *pairs);

/* ---- SASL (testlib-sasl.c) --------------------------------------------- */

/* What the callbacks answer: GETPATH the plugin path; AUTHNAME authname;
 * USER user ("" when NULL); PASS password (SASL_FAIL when NULL). */
struct test_sasl {
	const char *path;
	const char *authname;
	const char *user;
	const char *password;
};
extern struct test_sasl test_sasl;

int test_sasl_getpath(void *ctx, const char **path_r);
int test_sasl_getsimple(void *ctx, int id, const char **result_r, unsigned *len_r);
int test_sasl_getsecret(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **secret_r);
/* Answers libsasl2 prompts the way mbsync does: names with authname (user
 * for SASL_CB_USER when set), the password prompt with password. 0, or -1
 * on a prompt it cannot answer. */
int test_sasl_answer(sasl_interact_t *prompts);

#define TEST_SASL_PROC(f) ((int (*)(void))(void (*)(void))(f))
/* Postfix-style: GETPATH, USER, AUTHNAME and PASS procs, no interaction. */
extern sasl_callback_t test_sasl_callbacks[];
/* mbsync-style: USER, AUTHNAME and PASS without procs, so the mechanism
 * must prompt. */
extern sasl_callback_t test_sasl_prompts[];


/* ---- caches (testlib-cache.c) ------------------------------------------ */

/* Writes a cache file at path under the cache lock, the way the CLI does:
 * the access and refresh tokens (refresh NULL: none), expires_at and
 * rejected_at, obtained now. 0, or -1 (reported as a failed check). */
int test_seed_cache(const char *path, const char *access, const char *refresh, int64_t expires_at,
                    int64_t rejected_at);

#endif
