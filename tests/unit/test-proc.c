/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sasl-oauth/proc.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define WHAT "token command for account 't'"

static char dir[] = "/tmp/sao-test-proc-XXXXXX";

/* Replaces every "@D@" with the test directory. */
static void subst(const char *in, char *out, size_t size)
{
	size_t o = 0;

	while (*in != '\0' && o + 1 < size) {
		if (strncmp(in, "@D@", 3) == 0) {
			size_t n = strlen(dir);

			if (o + n + 1 > size)
				break;
			memcpy(out + o, dir, n);
			o += n;
			in += 3;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct row {
	const char *name;
	const char *command;  /* @D@ = test directory */
	int timeout_ms;
	sao_err_t want_rc;
	const char *want_token;
	const char *want_msg; /* exact, @D@ substituted; NULL = not checked */
	double max_seconds;   /* 0 = not checked */
};

static const struct row rows[] = {
	/* Direct execution and word splitting. */
	{ "absolute path", "/bin/echo tok123", 5000, SAO_OK, "tok123", NULL, 0 },
	{ "found in PATH", "echo tok.abc-_~", 5000, SAO_OK, "tok.abc-_~", NULL, 0 },
	{ "no newline at the end", "printf tok", 5000, SAO_OK, "tok", NULL, 0 },
	{ "blanks around words", " \tprintf   %s-  a\t b  ", 5000, SAO_OK, "a-b-", NULL, 0 },
	{ "quoted words", "printf %s- 'a b' \"c  d\"", 5000, SAO_OK, "a b-c  d-", NULL, 0 },
	{ "adjacent quoting", "printf %s a'b c'\"d\"e", 5000, SAO_OK, "ab cde", NULL, 0 },
	{ "quotes inside the other kind", "printf %s 'say \"hi\"' \"it's\"", 5000, SAO_OK, "say \"hi\"it's", NULL,
	  0 },
	{ "empty quoted word", "printf %s-%s- '' b", 5000, SAO_OK, "-b-", NULL, 0 },
	{ "no shell: '#' is an argument", "printf %s #x", 5000, SAO_OK, "#x", NULL, 0 },
	{ "unbalanced single quote", "printf 'abc", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('printf 'abc'): unbalanced quote in command", 0 },
	{ "unbalanced double quote", "printf \"abc' x", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('printf \"abc' x'): unbalanced quote in command", 0 },
	{ "empty command", " \t ", 5000, SAO_ERR_CMD, NULL, "cannot run " WHAT ": the command is empty", 0 },
	{ "empty program name", "'' x", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " (''' x'): the program name is empty", 0 },

	/* Shell syntax goes through /bin/sh -c. */
	{ "pipe", "printf tok | tr a-z A-Z", 5000, SAO_OK, "TOK", NULL, 0 },
	{ "list", "echo one; echo two", 5000, SAO_OK, "one", NULL, 0 },
	{ "variable", "X=tok.var; echo \"$X\"", 5000, SAO_OK, "tok.var", NULL, 0 },
	{ "glob", "cd @D@ && echo no*.sh", 5000, SAO_OK, "noexec.sh", NULL, 0 },

	/* What counts as the token. */
	{ "CRLF line ending", "printf 'tok\\r\\n'", 5000, SAO_OK, "tok", NULL, 0 },
	{ "surrounding whitespace", "printf ' \\t tok.x \\t\\r\\n'", 5000, SAO_OK, "tok.x", NULL, 0 },
	{ "first line only", "printf 'first\\nsecond\\n'", 5000, SAO_OK, "first", NULL, 0 },
	{ "stderr ignored on success", "echo noise >&2; echo tok", 5000, SAO_OK, "tok", NULL, 0 },
	{ "nothing", "true", 5000, SAO_ERR_CMD, NULL, WHAT " ('true') printed nothing on stdout", 0 },
	{ "only whitespace", "printf '  \\n\\n'", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('printf '  \\n\\n'') printed nothing on stdout", 0 },
	{ "nothing, with stderr", "echo 'no token cached' >&2", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('echo 'no token cached' >&2') printed nothing on stdout: no token cached", 0 },
	{ "empty first line", "printf '\\ntok\\n'", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('printf '\\ntok\\n'') printed an empty first line on stdout; the token must be on the first line",
	  0 },
	{ "stdin is /dev/null", "cat", 5000, SAO_ERR_CMD, NULL, WHAT " ('cat') printed nothing on stdout", 0 },
	{ "NUL byte", "printf 'ab\\000cd\\n'", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('printf 'ab\\000cd\\n'') printed a NUL byte on stdout; a token is text", 0 },
	{ "NUL byte after the first line", "printf 'ab\\nc\\000d\\n'", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('printf 'ab\\nc\\000d\\n'') printed a NUL byte on stdout; a token is text", 0 },
	{ "control character", "printf 'ab\\001cd\\n'", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('printf 'ab\\001cd\\n'') printed a control character in its first line; a token is printable "
	       "text",
	  0 },
	{ "over the cap", "head -c 270000 /dev/zero | tr '\\0' a", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('head -c 270000 /dev/zero | tr '\\0' a') produced more than 262144 bytes on stdout", 0 },
	{ "endless output", "yes", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('yes') produced more than 262144 bytes on stdout", 3 },

	/* Failures, with the first line of stderr. */
	{ "exit status and stderr", "echo 'first problem' >&2; echo more >&2; exit 3", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('echo 'first problem' >&2; echo more >&2; exit 3') exited with status 3: first problem", 0 },
	{ "exit status, no stderr", "false", 5000, SAO_ERR_CMD, NULL, WHAT " ('false') exited with status 1", 0 },
	{ "failure wins over a token", "echo tok; exit 2", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('echo tok; exit 2') exited with status 2", 0 },
	{ "stderr cleaned up", "printf '\\n  \\n\\tbad\\033[1m thing  \\r\\nnext\\n' >&2; exit 1", 5000, SAO_ERR_CMD,
	  NULL,
	  WHAT " ('printf '\\n  \\n\\tbad\\033[1m thing  \\r\\nnext\\n' >&2; exit 1') exited with status 1: "
	       "bad?[1m thing",
	  0 },
	{ "stderr over its cap", "head -c 100000 /dev/zero | tr '\\0' e >&2; exit 4", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('head -c 100000 /dev/zero | tr '\\0' e >&2; exit 4') exited with status 4: "
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee...",
	  0 },
	{ "killed by a signal", "kill -9 $$", 5000, SAO_ERR_CMD, NULL, WHAT " ('kill -9 $$') was killed by signal 9",
	  0 },
	{ "killed, with stderr", "echo dying >&2; kill -TERM $$", 5000, SAO_ERR_CMD, NULL,
	  WHAT " ('echo dying >&2; kill -TERM $$') was killed by signal 15: dying", 0 },
	{ "not in PATH", "no-such-program-sao x", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('no-such-program-sao x'): program 'no-such-program-sao' not found in PATH; give its "
	  "full path or install it",
	  0 },
	{ "no such file", "/nonexistent/prog arg", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('/nonexistent/prog arg'): '/nonexistent/prog': No such file or directory", 0 },
	{ "not executable", "@D@/noexec.sh", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('@D@/noexec.sh'): '@D@/noexec.sh': Permission denied", 0 },
	{ "a directory", "@D@", 5000, SAO_ERR_CMD, NULL, "cannot run " WHAT " ('@D@'): '@D@': Permission denied", 0 },
	{ "assignment is not shell syntax", "X=1 printf x", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('X=1 printf x'): program 'X=1' not found in PATH; give its full path or install it",
	  0 },
	{ "not a directory", "@D@/ok.sh/x", 5000, SAO_ERR_CMD, NULL,
	  "cannot run " WHAT " ('@D@/ok.sh/x'): '@D@/ok.sh/x': Not a directory", 0 },
	{ "script with #!", "@D@/ok.sh", 5000, SAO_OK, "tok.script", NULL, 0 },

	/* Time limits: killed by group, quickly, and reaped. */
	{ "timeout", "sleep 30", 300, SAO_ERR_TIMEOUT, NULL,
	  WHAT " ('sleep 30') timed out after 300 ms and was killed", 1.5 },
	{ "timeout in seconds", "echo waiting for login >&2; sleep 30", 1000, SAO_ERR_TIMEOUT, NULL,
	  WHAT " ('echo waiting for login >&2; sleep 30') timed out after 1 s and was killed: waiting for login",
	  2 },
	{ "timeout, TERM ignored", "trap '' TERM; sleep 30", 300, SAO_ERR_TIMEOUT, NULL,
	  WHAT " ('trap '' TERM; sleep 30') timed out after 300 ms and was killed", 2.5 },
	{ "timeout after closing stdout", "exec >&-; sleep 30", 300, SAO_ERR_TIMEOUT, NULL,
	  WHAT " ('exec >&-; sleep 30') timed out after 300 ms and was killed", 1.5 },
	{ "invalid time limit", "true", 0, SAO_ERR_INTERNAL, NULL, WHAT ": invalid time limit 0 ms", 0 },
};

static void run_row(const struct row *r)
{
	char command[512], want[1024];
	sao_secret_t token;
	sao_error_t err;
	sao_err_t rc;
	double t0, took;

	subst(r->command, command, sizeof(command));
	sao_secret_init(&token, SAO_TOKEN_MAX);
	sao_error_clear(&err);
	t0 = now_s();
	rc = sao_proc_run(command, NULL, 0, WHAT, r->timeout_ms, &token, NULL, &err);
	took = now_s() - t0;
	CHECK_MSG(rc == r->want_rc, "%s: rc %d, want %d (%s)", r->name, rc, r->want_rc, err.msg);
	CHECK_MSG(err.code == r->want_rc, "%s: err.code %d", r->name, err.code);
	if (r->want_token != NULL)
		CHECK_BYTES(token.data, token.len, r->want_token, strlen(r->want_token));
	else
		CHECK_MSG(token.len == 0 && token.data == NULL, "%s: token left behind", r->name);
	if (r->want_msg != NULL) {
		subst(r->want_msg, want, sizeof(want));
		CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	}
	if (r->max_seconds > 0)
		CHECK_MSG(took < r->max_seconds, "%s: took %.2f s", r->name, took);
	sao_secret_clear(&token);
}

static sao_err_t run(const char *command, int timeout_ms, sao_secret_t *token, sao_error_t *err)
{
	sao_secret_init(token, SAO_TOKEN_MAX);
	sao_error_clear(err);
	return sao_proc_run(command, NULL, 0, WHAT, timeout_ms, token, NULL, err);
}

static int write_file(const char *name, mode_t mode, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

/* 1 when pid is gone or a zombie (killed, waiting for whoever reaps it). */
static int process_dead(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	int dead = 1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		p = strrchr(buf, ')');
		dead = p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	}
	fclose(f);
	return dead;
}

static long read_pid(const char *name)
{
	char path[512], buf[64];
	FILE *f;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < 500; i++) {
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL && strchr(buf, '\n') != NULL) {
				char *end;

				errno = 0;
				pid = strtol(buf, &end, 10);
				if (errno != 0 || end == buf)
					pid = 0;
			}
			fclose(f);
		}
		if (pid > 1)
			break;
		usleep(10000);
	}
	remove(path);
	return pid;
}

static void test_grandchild_killed(void)
{
	char command[512];
	sao_secret_t token;
	sao_error_t err;
	long pid;
	int dead = 0;

	subst("sleep 30 & echo $! > @D@/gc.pid; wait", command, sizeof(command));
	CHECK(run(command, 300, &token, &err) == SAO_ERR_TIMEOUT);
	sao_secret_clear(&token);
	pid = read_pid("gc.pid");
	CHECK_MSG(pid > 1, "grandchild pid %ld", pid);
	if (pid <= 1)
		return;
	/* SIGTERM is asynchronous; give it a moment. */
	for (int i = 0; i < 200 && !dead; i++) {
		dead = process_dead((pid_t)pid);
		if (!dead)
			usleep(10000);
	}
	CHECK_MSG(dead, "grandchild %ld survived the timeout", pid);
	if (!dead)
		kill((pid_t)pid, SIGKILL);
}

static void test_large_token(void)
{
	sao_secret_t token;
	sao_error_t err;
	char *want = malloc(20000);

	CHECK(want != NULL);
	if (want == NULL)
		return;
	memset(want, 'b', 20000);
	CHECK_MSG(run("head -c 20000 /dev/zero | tr '\\0' b", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	CHECK_BYTES(token.data, token.len, want, 20000);
	sao_secret_clear(&token);
	/* Exactly at the cap, newline included, is still accepted. */
	CHECK_MSG(run("head -c 65535 /dev/zero | tr '\\0' c; echo", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	CHECK(token.len == 65535 && token.data[0] == 'c' && token.data[65534] == 'c');
	sao_secret_clear(&token);
	free(want);
}

/* The search follows the child's PATH, in order, skipping empty entries;
 * a program that is there but not executable is reported as such. */
static void test_path_search(void)
{
	sao_secret_t token;
	sao_error_t err;
	char path[600], want[1024];
	const char *old = getenv("PATH");
	char *saved = old != NULL ? strdup(old) : NULL;

	snprintf(path, sizeof(path), "/nonexistent::%s:/usr/bin:/bin", dir);
	setenv("PATH", path, 1);
	CHECK_MSG(run("ok.sh", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	CHECK_BYTES(token.data, token.len, "tok.script", 10);
	sao_secret_clear(&token);
	CHECK(run("noexec.sh", 5000, &token, &err) == SAO_ERR_CMD);
	snprintf(want, sizeof(want), "cannot run %s ('noexec.sh'): 'noexec.sh': Permission denied", WHAT);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	sao_secret_clear(&token);
	/* Not from the current directory through an empty entry. */
	if (chdir(dir) == 0) {
		CHECK(run("ok.sh", 5000, &token, &err) == SAO_OK);
		sao_secret_clear(&token);
		setenv("PATH", ":/usr/bin:/bin", 1);
		CHECK(run("ok.sh", 5000, &token, &err) == SAO_ERR_CMD);
		CHECK_MSG(strstr(err.msg, "program 'ok.sh' not found in PATH") != NULL, "%s", err.msg);
		sao_secret_clear(&token);
		CHECK(chdir("/") == 0);
	}
	if (saved != NULL)
		setenv("PATH", saved, 1);
	free(saved);
}

static void test_no_inherited_fds(void)
{
	sao_secret_t token;
	sao_error_t err;
	int leak = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */

	CHECK(leak > 2);
	/* ls opens the directory as fd 3; anything else was inherited. */
	CHECK_MSG(run("echo $(ls /proc/self/fd)", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	CHECK_BYTES(token.data, token.len, "0 1 2 3", 7);
	sao_secret_clear(&token);
	close(leak);
}

static void test_environment(void)
{
	sao_secret_t token;
	sao_error_t err;
	const char *env;

	setenv("SECRET_ENV", "x", 1);
	setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
	setenv("XDG_HOME", "too-short", 1);
	setenv("HOME", "/home/sao-test", 1);
	setenv("LANG", "C.UTF-8", 1);
	CHECK_MSG(run("env | sort | tr '\\n' ' '", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	env = token.data != NULL ? (const char *)token.data : "";
	CHECK_MSG(strstr(env, "SECRET_ENV") == NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "XDG_HOME") == NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "LD_PRELOAD") == NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "PATH=") != NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "HOME=/home/sao-test ") != NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "LANG=C.UTF-8 ") != NULL, "env: %s", env);
	CHECK_MSG(strstr(env, "XDG_CONFIG_HOME=/xdg/config") != NULL, "env: %s", env);
	sao_secret_clear(&token);
	/* Without PATH, a safe default is given (and used for the search). */
	env = getenv("PATH");
	{
		char *saved = env != NULL ? strdup(env) : NULL;

		unsetenv("PATH");
		CHECK_MSG(run("printenv PATH", 5000, &token, &err) == SAO_OK, "%s", err.msg);
		CHECK_BYTES(token.data, token.len, "/usr/local/bin:/usr/bin:/bin", 28);
		sao_secret_clear(&token);
		if (saved != NULL)
			setenv("PATH", saved, 1);
		free(saved);
	}
	unsetenv("SECRET_ENV");
	unsetenv("XDG_HOME");
}

/* The host's ignored and blocked signals do not reach the command, and
 * the host's own mask is unchanged afterwards. */
static void test_signals(void)
{
	sao_secret_t token;
	sao_error_t err;
	sigset_t block, old, now;
	struct sigaction ign, saved;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &saved);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* Only the classic signals 1-31: glibc reserves 32 and 33 and will not
	 * unblock them, and valgrind keeps them blocked. */
	CHECK_MSG(run("awk '/^SigIgn|^SigBlk/ { printf \"%s \", substr($2, 9) }' /proc/self/status", 5000, &token,
	              &err) == SAO_OK,
	          "%s", err.msg);
	CHECK(token.len == 17);
	if (token.len == 17) {
		unsigned long ign_mask = strtoul((const char *)token.data, NULL, 16);
		unsigned long blk_mask = strtoul((const char *)token.data + 9, NULL, 16);

		CHECK_MSG((ign_mask & 0x7fffffffUL) == 0 && (blk_mask & 0x7fffffffUL) == 0, "SigIgn/SigBlk %s", token.data);
	}
	sao_secret_clear(&token);
	sigprocmask(SIG_SETMASK, NULL, &now);
	CHECK(sigismember(&now, SIGTERM) && sigismember(&now, SIGUSR1) && !sigismember(&now, SIGCHLD));
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGPIPE, &saved, NULL);
	/* Its own session and process group (led by the supervisor), not the host's
	 * (fields 5 and 6 of /proc/PID/stat; comm is "awk" or "mawk"). */
	CHECK_MSG(run("awk '{ print $5, $6 }' /proc/self/stat", 5000, &token, &err) == SAO_OK, "%s", err.msg);
	if (token.len > 0) {
		long sid = 0, pgid = 0;
		char *end;

		errno = 0;
		pgid = strtol((const char *)token.data, &end, 10);
		if (errno == 0 && end != (char *)token.data)
			sid = strtol(end, &end, 10);
		CHECK_MSG(errno == 0 && sid == pgid && pgid != (long)getpgrp() && pgid > 1, "pgid/sid: %s",
		          token.data);
	}
	sao_secret_clear(&token);
}

static volatile sig_atomic_t host_reaped;

/* sendmail's way: reap every child that has ended, ours included. */
static void host_reaper(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		host_reaped++;
	errno = saved;
}

/* Hosts that reap children themselves (issue 13, defect 4): the command's
 * real result reaches us all the same, and no message blames SIGCHLD. */
static void test_reaping_hosts(void)
{
	static const struct {
		const char *name;
		void (*handler)(int);
		int flags;
	} hosts[] = {
		{ "SIGCHLD ignored", SIG_IGN, 0 },
		{ "SA_NOCLDWAIT", SIG_DFL, SA_NOCLDWAIT },
		{ "handler reaping with waitpid(-1)", host_reaper, 0 },
		{ "handler reaping with waitpid(-1), SA_RESTART", host_reaper, SA_RESTART },
	};

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct sigaction sa, saved;
		sao_secret_t token;
		sao_error_t err;
		sao_proc_exit_t ex;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = hosts[i].handler;
		sa.sa_flags = hosts[i].flags;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, &saved);

		CHECK_MSG(run("echo tok", 5000, &token, &err) == SAO_OK, "%s: %s", hosts[i].name, err.msg);
		CHECK_BYTES(token.data, token.len, "tok", 3);
		sao_secret_clear(&token);
		CHECK_MSG(run("echo tok; echo denied >&2; exit 2", 5000, &token, &err) == SAO_ERR_CMD, "%s: %s",
		          hosts[i].name, err.msg);
		CHECK_MSG(strcmp(err.msg, WHAT " ('echo tok; echo denied >&2; exit 2') exited with status 2: denied") == 0,
		          "%s: %s", hosts[i].name, err.msg);
		CHECK(token.len == 0);
		sao_secret_clear(&token);
		CHECK_MSG(run("kill -9 $$", 5000, &token, &err) == SAO_ERR_CMD && strstr(err.msg, "signal 9") != NULL,
		          "%s: %s", hosts[i].name, err.msg);
		sao_secret_clear(&token);
		CHECK_MSG(run("no-such-program-sao", 5000, &token, &err) == SAO_ERR_CMD &&
		              strstr(err.msg, "not found in PATH") != NULL,
		          "%s: %s", hosts[i].name, err.msg);
		sao_secret_clear(&token);
		CHECK_MSG(run("sleep 30", 200, &token, &err) == SAO_ERR_TIMEOUT, "%s: %s", hosts[i].name, err.msg);
		sao_secret_clear(&token);
		/* The plugin's refresh reads the exit status. */
		sao_secret_init(&token, SAO_TOKEN_MAX);
		CHECK(sao_proc_run("sh -c 'echo; echo login needed >&2; exit 3'", NULL, 0, WHAT, 5000, &token, &ex,
		                   NULL) == SAO_ERR_CMD);
		CHECK_MSG(ex.status == 3 && strcmp(ex.line, "login needed") == 0, "%s: status %d", hosts[i].name,
		          ex.status);
		sao_secret_clear(&token);
		CHECK_MSG(strstr(err.msg, "SIGCHLD") == NULL, "%s: %s", hosts[i].name, err.msg);
		sigaction(SIGCHLD, &saved, NULL);
	}
}

static int count_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* A command that leaves a background process holding its stdout or
 * stderr (issue 13, defect 5): the result comes when the command exits;
 * the background process is left alone, and nothing of ours leaks. */
static void test_background_left(void)
{
	static const struct {
		const char *command;
		sao_err_t want;
		const char *want_token;
	} cases[] = {
		{ "echo TOKEN; sleep 60 & echo $! > @D@/bg.pid", SAO_OK, "TOKEN" },
		{ "echo TOKEN; sleep 60 >/dev/null & echo $! > @D@/bg.pid", SAO_OK, "TOKEN" },
		{ "sleep 60 & echo $! > @D@/bg.pid; echo late >&2; exit 3", SAO_ERR_CMD, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char command[512];
		sao_secret_t token;
		sao_error_t err;
		int fds = count_fds();
		long pid;

		subst(cases[i].command, command, sizeof(command));
		CHECK_MSG(run(command, 3000, &token, &err) == cases[i].want, "%s: %s", cases[i].command, err.msg);
		if (cases[i].want_token != NULL)
			CHECK_BYTES(token.data, token.len, cases[i].want_token, strlen(cases[i].want_token));
		else
			CHECK_MSG(strstr(err.msg, "exited with status 3: late") != NULL, "%s", err.msg);
		sao_secret_clear(&token);
		CHECK_MSG(count_fds() == fds, "%s: %d descriptors before, %d after", cases[i].command, fds, count_fds());
		pid = read_pid("bg.pid");
		CHECK_MSG(pid > 1 && !process_dead((pid_t)pid), "%s: background process %ld", cases[i].command, pid);
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	}
}

/* The browser's mode: no shell, the URL in place, the caller's
 * environment, /dev/null for output, and no waiting. */
static void test_detached(void)
{
	static const struct {
		const char *command;
		const char *want; /* the lines argv.sh writes; @U@ = the URL */
	} cases[] = {
		{ "@D@/argv.sh --new-window", "env=:7\nout=/dev/null\n--new-window\n@U@\n" },
		{ "'@D@/argv.sh' \"a b\" c\\ d 'e\"f' \"g\\\"h\"", "env=:7\nout=/dev/null\na b\nc d\ne\"f\ng\"h\n@U@\n" },
		{ "@D@/argv.sh --url=%s %% x%cy", "env=:7\nout=/dev/null\n--url=@U@\n%\nx:y\n" },
		{ "@D@/argv.sh a;b $HOME `x` *", "env=:7\nout=/dev/null\na;b\n$HOME\n`x`\n*\n@U@\n" },
	};
	const char *url = "http://127.0.0.1:1/authorize?a=1&b=%20x y";
	unsigned flags = SAO_PROC_DETACHED | SAO_PROC_NO_SHELL | SAO_PROC_KEEP_ENV;
	sao_error_t err;
	char path[512];

	setenv("SAO_TEST_DISPLAY", ":7", 1);
	snprintf(path, sizeof(path), "%s/argv.out", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char command[512], want[1024], got[2048];
		char *u;
		size_t n = 0;
		FILE *f = NULL;

		subst(cases[i].command, command, sizeof(command));
		subst(cases[i].want, want, sizeof(want));
		u = strstr(want, "@U@");
		if (u != NULL) {
			char tail[512];

			snprintf(tail, sizeof(tail), "%s", u + 3);
			snprintf(u, sizeof(want) - (size_t)(u - want), "%s%s", url, tail);
		}
		remove(path);
		sao_error_clear(&err);
		CHECK_MSG(sao_proc_run(command, url, flags, "the browser", 5000, NULL, NULL, &err) == SAO_OK, "%s: %s",
		          command, err.msg);
		/* It runs on its own: wait for what it writes (renamed into place). */
		for (int t = 0; t < 500 && f == NULL; t++) {
			f = fopen(path, "r");
			if (f == NULL)
				usleep(10000);
		}
		CHECK_MSG(f != NULL, "%s: nothing written", command);
		if (f == NULL)
			continue;
		n = fread(got, 1, sizeof(got) - 1, f);
		got[n] = '\0';
		fclose(f);
		CHECK_BYTES(got, n, want, strlen(want));
	}
	remove(path);
	/* Not started: said at once, with the reason. */
	sao_error_clear(&err);
	CHECK(sao_proc_run("no-such-browser-sao --new-window", url, flags, "the browser", 5000, NULL, NULL, &err) ==
	      SAO_ERR_CMD);
	CHECK_MSG(strcmp(err.msg, "cannot run the browser ('no-such-browser-sao --new-window'): program "
	                          "'no-such-browser-sao' not found in PATH; give its full path or install it") == 0,
	          "%s", err.msg);
	sao_error_clear(&err);
	CHECK(sao_proc_run("'unbalanced", url, flags, "the browser", 5000, NULL, NULL, &err) == SAO_ERR_CMD);
	CHECK_MSG(strstr(err.msg, "unbalanced quote") != NULL, "%s", err.msg);
	/* Not waited for: a program that runs for a minute is left running. */
	{
		char command[512];
		long pid;

		subst("@D@/linger.sh", command, sizeof(command));
		CHECK_MSG(sao_proc_run(command, url, flags, "the browser", 2000, NULL, NULL, &err) == SAO_OK, "%s",
		          err.msg);
		pid = read_pid("linger.pid");
		CHECK_MSG(pid > 1 && !process_dead((pid_t)pid), "lingering browser %ld", pid);
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	}
	/* Misuse is refused. */
	CHECK(sao_proc_run("true", url, 0, WHAT, 5000, NULL, NULL, &err) == SAO_ERR_INTERNAL);
	unsetenv("SAO_TEST_DISPLAY");
}

/* The token replaces what token_r held; on failure it is left empty. */
static void test_token_replaced(void)
{
	sao_secret_t token;
	sao_error_t err;

	sao_secret_init(&token, SAO_TOKEN_MAX);
	sao_secret_set(&token, "old-token", 9, NULL);
	sao_error_clear(&err);
	CHECK(sao_proc_run("echo new", NULL, 0, WHAT, 5000, &token, NULL, &err) == SAO_OK);
	CHECK_BYTES(token.data, token.len, "new", 3);
	CHECK(sao_proc_run("false", NULL, 0, WHAT, 5000, &token, NULL, &err) == SAO_ERR_CMD);
	CHECK(token.len == 0);
	sao_secret_clear(&token);
	/* A NULL error record is allowed. */
	CHECK(sao_proc_run("false", NULL, 0, WHAT, 5000, &token, NULL, NULL) == SAO_ERR_CMD);
	/* How the child ended, for a caller that knows its statuses. */
	{
		sao_proc_exit_t ex;

		CHECK(sao_proc_run("sh -c 'echo; echo \"  no grant \" >&2; exit 3'", NULL, 0, WHAT, 5000, &token, &ex, NULL) ==
		      SAO_ERR_CMD);
		CHECK(ex.status == 3 && strcmp(ex.line, "no grant") == 0);
		CHECK(sao_proc_run("sleep 5", NULL, 0, WHAT, 100, &token, &ex, NULL) == SAO_ERR_TIMEOUT);
		CHECK(ex.status == -1);
		CHECK(sao_proc_run("echo ok", NULL, 0, WHAT, 5000, &token, &ex, NULL) == SAO_OK);
		CHECK(ex.status == 0 && ex.line[0] == '\0');
	}
	sao_secret_clear(&token);
}

int main(void)
{
	static const char *const scripts[] = { "noexec.sh", "ok.sh", "argv.sh", "linger.sh" };
	int status;
	char path[512];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	CHECK(write_file("noexec.sh", 0644, "#!/bin/sh\necho never\n") == 0);
	CHECK(write_file("ok.sh", 0755, "#!/bin/sh\necho tok.script\n") == 0);
	CHECK(write_file("argv.sh", 0755,
	                 "#!/bin/sh\nd=$(dirname \"$0\")\no=$(readlink /proc/$$/fd/1)\n{ echo \"env=$SAO_TEST_DISPLAY\"; echo \"out=$o\"\n"
	                 "  for a in \"$@\"; do echo \"$a\"; done; } > \"$d/argv.tmp\" 2>&1 </dev/null\n"
	                 "mv \"$d/argv.tmp\" \"$d/argv.out\"\n") == 0);
	CHECK(write_file("linger.sh", 0755, "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/linger.pid\"\nexec sleep 60\n") == 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_grandchild_killed();
	test_large_token();
	test_path_search();
	test_no_inherited_fds();
	test_environment();
	test_signals();
	test_reaping_hosts();
	test_background_left();
	test_detached();
	test_token_replaced();
	/* Every child was reaped by pid; nothing is left for wait(). */
	errno = 0;
	CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, scripts[i]);
		remove(path);
	}
	rmdir(dir);
	return check_done("test-proc");
}
