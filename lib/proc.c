/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sasl-oauth/clock.h"
#include "sasl-oauth/proc.h"
#include "sasl-oauth/settings.h"

/*
 * How a command line becomes a process (proc.h):
 *
 *   command = *blank word *( 1*blank word ) *blank
 *   word    = 1*( plain / escaped / squoted / dquoted )
 *   plain   = any byte but blank, BSLASH, "'" and DQUOTE
 *   escaped = BSLASH any byte           ; the byte itself
 *   squoted = "'" *( any byte but "'" ) "'"
 *   dquoted = DQUOTE *( BSLASH ( DQUOTE / BSLASH / "$" / "`" ) / any byte but DQUOTE ) DQUOTE
 *                                       ; another BSLASH inside DQUOTE is itself
 *   blank   = SP / HTAB
 *   BSLASH  = %x5C
 *
 * Unless SAO_PROC_NO_SHELL, a command holding any SHELL_CHARS byte anywhere
 * (inside quotes too) is given to /bin/sh -c unchanged instead. Backslash is
 * one of them, so for a token command the splitter never sees one and the
 * words it splits are exactly the ones sh would have produced. With
 * SAO_PROC_NO_SHELL (a browser command line) shell syntax is literal and
 * backslashes quote as in sh. A word starting with '#' is an ordinary
 * argument here (sh would read a comment), which only matters to callers
 * other than the configuration parser, which has removed comments already.
 */
#define SHELL_CHARS "$`|&;<>()*?[]~{}\\\n"

#define STDERR_KEEP 4096      /* bytes of stderr kept for the message */
#define COMMAND_SHOWN_MAX 200 /* bytes of the command shown */
#define KILL_GRACE_MS 1000    /* between SIGTERM and SIGKILL */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define READ_CHUNK 4096

/* What the supervisor tells the parent over the report pipe, in order: at
 * most one of EXEC or FORK, then STATUS. */
enum { REPORT_EXEC = 1, REPORT_FORK, REPORT_STATUS };
typedef struct report {
	int kind;
	int value; /* errno, or the command's wait status */
} report_t;
#define REPORTS_MAX 2

extern char **environ;

/* Everything the child needs, built before fork(): between fork() and
 * execve() in a possibly threaded host only async-signal-safe calls are
 * allowed, so the child allocates nothing. */
typedef struct plan {
	char *words;      /* the split command, NUL-separated */
	char **argv;
	char **envp;      /* points into environ, plus DEFAULT_PATH */
	char *paths;      /* candidate program paths, NUL-separated */
	char **programs;  /* tried in order, like execvp() */
	size_t n_programs;
	int searched;     /* programs come from a PATH search */
	int max_fd;       /* highest descriptor to close without close_range */
	unsigned flags;   /* SAO_PROC_* */
	const char *const *extra_env; /* "NAME=value" entries added for the child, or NULL */
} plan_t;

/* What the parent learnt from the child. */
typedef struct outcome {
	sao_secret_t out;         /* stdout: may hold the token */
	char err[STDERR_KEEP];    /* stderr, first STDERR_KEEP bytes */
	size_t err_len;
	unsigned char rep[REPORTS_MAX * sizeof(report_t)];
	size_t rep_len;
	size_t rep_used;          /* bytes of rep already taken as records */
	int exec_errno;           /* execve() failed with it */
	int fork_errno;           /* the supervisor could not fork */
	int exited;               /* the command's wait status arrived */
	int timed_out;
	int over_cap;
	int status_known;
	int status;               /* the command's wait status */
} outcome_t;

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int make_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC);
#else
	if (pipe(fds) < 0)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
#endif
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The first line of stderr holding more than whitespace, trimmed and made
 * printable; "" when there is none. */
static void stderr_line(const outcome_t *o, char *out, size_t max)
{
	const char *p = o->err;
	const char *end = o->err + o->err_len;

	out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *b = p;
		const char *e = le;

		while (b < e && is_space((unsigned char)*b))
			b++;
		while (e > b && is_space((unsigned char)e[-1]))
			e--;
		if (e > b) {
			sao_error_printable(b, (size_t)(e - b), out, max);
			return;
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

static int needs_shell(const char *command)
{
	return strpbrk(command, SHELL_CHARS) != NULL;
}

static sao_err_t split_words(const char *command, const char *what, const char *shown, plan_t *p,
                             sao_error_t *err)
{
	size_t len = strlen(command);
	size_t i = 0, o = 0, n = 0;
	sao_err_t rc = SAO_ERR_NOMEM;

	/* Every word but the last takes at least two bytes (itself and a blank);
	 * an empty quoted word takes two as well. Two more slots: the argument
	 * place_arg() may append, and the NULL. */
	p->words = malloc(len + 1);
	p->argv = calloc(len / 2 + 3, sizeof(char *));
	if (p->words == NULL || p->argv == NULL) {
		sao_error_set(err, rc, "out of memory preparing %s", what);
		goto out;
	}
	for (;;) {
		while (i < len && (command[i] == ' ' || command[i] == '\t'))
			i++;
		if (i == len)
			break;
		p->argv[n++] = p->words + o;
		while (i < len && command[i] != ' ' && command[i] != '\t') {
			char q = command[i];

			if (q == '\\' && i + 1 < len) {
				p->words[o++] = command[i + 1];
				i += 2;
				continue;
			}
			if (q != '\'' && q != '"') {
				p->words[o++] = command[i++];
				continue;
			}
			for (i++; i < len && command[i] != q; i++) {
				if (q == '"' && command[i] == '\\' && i + 1 < len && strchr("\"\\$`", command[i + 1]) != NULL)
					i++;
				p->words[o++] = command[i];
			}
			if (i == len) {
				rc = sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): unbalanced quote in command",
				                   what, shown);
				goto out;
			}
			i++;
		}
		p->words[o++] = '\0';
	}
	p->argv[n] = NULL;
	if (n == 0) {
		rc = sao_error_set(err, SAO_ERR_CMD, "cannot run %s: the command is empty", what);
		goto out;
	}
	if (p->argv[0][0] == '\0') {
		rc = sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): the program name is empty", what, shown);
		goto out;
	}
	rc = SAO_OK;
out:
	return rc;
}

/* Bytes word takes with arg in place of each "%s", "%%" as "%" and "%c" as
 * ":"; when out is not NULL, also writes it there. *used_r is set when a
 * "%s" was seen. */
static size_t expand_word(const char *word, const char *arg, size_t alen, char *out, int *used_r)
{
	size_t n = 0;

	for (const char *s = word; *s != '\0'; s++) {
		const char *put = s;
		size_t plen = 1;

		if (s[0] == '%' && s[1] == 's') {
			put = arg;
			plen = alen;
			*used_r = 1;
			s++;
		} else if (s[0] == '%' && (s[1] == '%' || s[1] == 'c')) {
			put = s[1] == 'c' ? ":" : "%";
			s++;
		}
		if (out != NULL)
			memcpy(out + n, put, plen);
		n += plen;
	}
	if (out != NULL)
		out[n] = '\0';
	return n + 1;
}

/* Puts arg where the split words say (proc.h): in every "%s", else as the
 * last word. */
static sao_err_t place_arg(plan_t *p, const char *arg, const char *what, sao_error_t *err)
{
	size_t alen = strlen(arg), total = 0, wbytes = 0, n, o = 0;
	int used = 0;
	char *words;

	/* A byte of a word becomes at most alen bytes: the result stays below
	 * (wbytes + 1) * (alen + 1), checked once. */
	for (n = 0; p->argv[n] != NULL; n++)
		wbytes += strlen(p->argv[n]) + 1;
	if (alen >= SIZE_MAX / (wbytes + 1) - 1)
		return sao_error_set(err, SAO_ERR_NOMEM, "the command line of %s is too long", what);
	for (size_t i = 0; i < n; i++)
		total += expand_word(p->argv[i], arg, alen, NULL, &used);
	if (!used)
		total += alen + 1;
	words = malloc(total);
	if (words == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
	for (size_t i = 0; i < n; i++) {
		size_t wl = expand_word(p->argv[i], arg, alen, words + o, &used);

		p->argv[i] = words + o;
		o += wl;
	}
	if (!used) {
		memcpy(words + o, arg, alen + 1);
		p->argv[n++] = words + o;
		p->argv[n] = NULL;
	}
	free(p->words);
	p->words = words;
	return SAO_OK;
}

static int env_wanted(const char *entry)
{
	/* The proxy and CA variables let sasl-oauth, run by the plugin, reach
	 * the identity provider the way it does from the user's shell. */
	static const char *const keep[] = { "PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "SASL_OAUTH_CONF",
		                            "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "SSL_CERT_FILE",
		                            "SSL_CERT_DIR", "CURL_CA_BUNDLE" };
	const char *eq = strchr(entry, '=');
	size_t n;

	if (eq == NULL)
		return 0;
	n = (size_t)(eq - entry);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (strlen(keep[i]) == n && memcmp(entry, keep[i], n) == 0)
			return 1;
	}
	/* XDG_*_HOME: at least one character between the two parts. */
	return n >= 10 && memcmp(entry, "XDG_", 4) == 0 && memcmp(eq - 5, "_HOME", 5) == 0;
}

/* The child's environment: the variables env_wanted() names, or all with
 * SAO_PROC_KEEP_ENV. In a set-id process or one with file capabilities (a
 * privileged program that loaded the plugin; sao_settings_secure()) the
 * caller's variables are not trusted: PATH is the default and nothing else
 * is passed. */
static sao_err_t build_env(const char *what, plan_t *p, sao_error_t *err)
{
	static char default_path[] = "PATH=" DEFAULT_PATH;
	int setid = sao_settings_secure();
	size_t n = 0, k = 0;
	int have_path = 0;

	size_t extra = 0;

	for (char **e = environ; e != NULL && *e != NULL; e++)
		n++;
	while (p->extra_env != NULL && p->extra_env[extra] != NULL)
		extra++;
	p->envp = calloc(n + extra + 2, sizeof(char *));
	if (p->envp == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
	for (size_t i = 0; !setid && i < n; i++) {
		if (strchr(environ[i], '=') == NULL || (!(p->flags & SAO_PROC_KEEP_ENV) && !env_wanted(environ[i])))
			continue;
		if (strncmp(environ[i], "PATH=", 5) == 0) {
			if (have_path)
				continue;
			have_path = 1;
		}
		p->envp[k++] = environ[i];
	}
	if (!have_path)
		p->envp[k++] = default_path;
	/* The caller's own variables (a notify_command's account and reason),
	 * also in a set-id process: they are ours, not the caller's caller's. */
	for (size_t i = 0; i < extra; i++)
		p->envp[k++] = (char *)p->extra_env[i];
	p->envp[k] = NULL;
	return SAO_OK;
}

/* The paths execve() tries, in the order execvp() would, from the PATH the
 * child gets. Empty PATH entries (the current directory) are skipped: the
 * working directory of a mail program is nobody's choice. */
static sao_err_t build_programs(const char *what, plan_t *p, sao_error_t *err)
{
	const char *prog = p->argv[0];
	const char *path = DEFAULT_PATH;
	size_t plen = strlen(prog), size = 0, count = 0, o = 0;
	const char *s;

	if (strchr(prog, '/') != NULL) {
		p->programs = calloc(2, sizeof(char *));
		if (p->programs == NULL)
			return sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
		p->programs[0] = p->argv[0];
		p->n_programs = 1;
		return SAO_OK;
	}
	for (char **e = p->envp; *e != NULL; e++) {
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	}
	/* Upper bounds: one entry per ':' plus one, each dir + '/' + prog + NUL. */
	for (s = path; *s != '\0'; s++)
		count += *s == ':';
	count++;
	if (strlen(path) > SIZE_MAX / 2 || plen > (SIZE_MAX / 2 - strlen(path)) / (count + 1))
		return sao_error_set(err, SAO_ERR_NOMEM, "PATH is too long to run %s", what);
	size = strlen(path) + count * (plen + 2);
	p->paths = malloc(size);
	p->programs = calloc(count + 1, sizeof(char *));
	if (p->paths == NULL || p->programs == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
	p->searched = 1;
	s = path;
	for (;;) {
		const char *colon = strchr(s, ':');
		size_t dlen = colon != NULL ? (size_t)(colon - s) : strlen(s);

		if (dlen > 0) {
			p->programs[p->n_programs++] = p->paths + o;
			memcpy(p->paths + o, s, dlen);
			o += dlen;
			p->paths[o++] = '/';
			memcpy(p->paths + o, prog, plen + 1);
			o += plen + 1;
		}
		if (colon == NULL)
			break;
		s = colon + 1;
	}
	return SAO_OK;
}

static void plan_free(plan_t *p)
{
	free(p->words);
	free(p->argv);
	free(p->envp);
	free(p->paths);
	free(p->programs);
	memset(p, 0, sizeof(*p));
}

static sao_err_t plan_build(const char *command, const char *arg, const char *what, const char *shown, plan_t *p,
                            sao_error_t *err)
{
	static const char shell[] = "sh\0-c\0/bin/sh"; /* argv[0], argv[1], the program */
	long max_fd = sysconf(_SC_OPEN_MAX);
	size_t len = strlen(command);
	unsigned flags = p->flags;
	const char *const *extra_env = p->extra_env;
	sao_err_t rc;

	memset(p, 0, sizeof(*p));
	p->flags = flags;
	p->extra_env = extra_env;
	p->max_fd = max_fd < 0 || max_fd > INT_MAX ? 65536 : (int)max_fd;
	if (!(flags & SAO_PROC_NO_SHELL) && needs_shell(command)) {
		/* /bin/sh by its absolute path: the command, not PATH, decides. */
		p->words = len < SIZE_MAX - sizeof(shell) ? malloc(sizeof(shell) + len + 1) : NULL;
		p->argv = calloc(4, sizeof(char *));
		p->programs = calloc(2, sizeof(char *));
		if (p->words == NULL || p->argv == NULL || p->programs == NULL)
			return sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
		memcpy(p->words, shell, sizeof(shell));
		memcpy(p->words + sizeof(shell), command, len + 1);
		p->argv[0] = p->words;
		p->argv[1] = p->words + 3;
		p->argv[2] = p->words + sizeof(shell);
		p->programs[0] = p->words + 6;
		p->n_programs = 1;
		return build_env(what, p, err);
	}
	rc = split_words(command, what, shown, p, err);
	if (rc == SAO_OK && arg != NULL)
		rc = place_arg(p, arg, what, err);
	if (rc == SAO_OK)
		rc = build_env(what, p, err);
	if (rc == SAO_OK)
		rc = build_programs(what, p, err);
	return rc;
}

/* Moves fd to a free number >= 4 (so that none of the dup2() calls below is
 * a no-op that would leave FD_CLOEXEC set on the target). */
static int fd_high(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 4);
}

/* In a child: async-signal-safe calls only. */
static void report_send(int fd, int kind, int value)
{
	report_t r;

	r.kind = kind;
	r.value = value;
	if (write(fd, &r, sizeof(r)) < 0) {
		/* Nobody left to tell: the parent sees the pipe close. */
	}
}

static pid_t fork_in_child(void)
{
#ifdef HAVE__FORK
	/* No atfork handlers of the host: async-signal-safe. */
	return _Fork();
#else
	return fork();
#endif
}

/* In the command's process: tries the programs and sends the errno over
 * the report pipe (descriptor 3) if none can be executed. */
__attribute__((noreturn)) static void child_exec(const plan_t *p)
{
	int e = ENOENT, eacces = 0;

	/* execvp()'s rules: keep looking past ENOENT, ENOTDIR and EACCES,
	 * report EACCES if a candidate gave it. Unlike execvp(), in a PATH
	 * search an EACCES from a directory we may not search does not count:
	 * the program is not there, as far as we can tell. */
	for (size_t i = 0; i < p->n_programs; i++) {
		struct stat st;

		execve(p->programs[i], p->argv, p->envp);
		e = errno;
		if (e == EACCES && (!p->searched || stat(p->programs[i], &st) == 0))
			eacces = 1;
		else if (e != ENOENT && e != ENOTDIR && e != EACCES)
			break;
	}
	if (p->searched && (e == ENOENT || e == ENOTDIR || e == EACCES))
		e = eacces ? EACCES : ENOENT;
	report_send(3, REPORT_EXEC, e);
	_exit(127);
}

/*
 * The supervisor: the first child, leader of a new session and process
 * group. It sets up descriptors 0-3 (3: the report pipe, close-on-exec),
 * forks the command, lets go of the command's stdout and stderr so that
 * their end of file is the command's business alone, and then either exits
 * (SAO_PROC_DETACHED: the command is adopted by init and outlives us) or
 * reaps the command by pid and reports its wait status. Its own SIGCHLD is
 * the default, whatever the host did with its own, so that wait always
 * works; SIGTERM, meant for the command at the time limit, is ignored so
 * that the status still arrives (SIGKILL ends it after the grace period).
 * Async-signal-safe calls only.
 */
__attribute__((noreturn)) static void child_main(const plan_t *p, int null_fd, int out_fd, int err_fd, int rep_fd)
{
	struct sigaction dfl;
	sigset_t none;
	int report = rep_fd;
	int in, out, errf, rep, status;
	pid_t cmd;

	/* Own session and process group: a timeout kills everything it started. */
	(void)setsid();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		/* SIG_IGN (SIGPIPE in most mail programs) survives execve(). */
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	in = fd_high(null_fd);
	out = fd_high(out_fd >= 0 ? out_fd : null_fd);
	errf = fd_high(err_fd >= 0 ? err_fd : null_fd);
	rep = fd_high(rep_fd);
	if (in < 0 || out < 0 || errf < 0 || rep < 0)
		goto fail;
	report = rep;
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errf, 2) < 0 || dup2(rep, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	report = 3;
#ifdef HAVE_CLOSE_RANGE
	if (close_range(4, ~0U, 0) < 0) {
		for (int fd = 4; fd < p->max_fd; fd++)
			(void)close(fd);
	}
#else
	for (int fd = 4; fd < p->max_fd; fd++)
		(void)close(fd);
#endif
	cmd = fork_in_child();
	if (cmd == 0)
		child_exec(p);
	if (cmd < 0) {
		report_send(3, REPORT_FORK, errno);
		_exit(127);
	}
	(void)close(0);
	(void)close(1);
	(void)close(2);
	if (p->flags & SAO_PROC_DETACHED)
		_exit(0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_IGN;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGTERM, &dfl, NULL);
	while (waitpid(cmd, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(127);
	}
	report_send(3, REPORT_STATUS, status);
	_exit(0);
fail:
	report_send(report, REPORT_EXEC, errno);
	_exit(127);
}

/* Takes the complete records of the report pipe. */
static void take_reports(outcome_t *o)
{
	while (o->rep_len - o->rep_used >= sizeof(report_t)) {
		report_t r;

		memcpy(&r, o->rep + o->rep_used, sizeof(r));
		o->rep_used += sizeof(r);
		if (r.kind == REPORT_EXEC && o->exec_errno == 0)
			o->exec_errno = r.value != 0 ? r.value : EIO;
		else if (r.kind == REPORT_FORK && o->fork_errno == 0)
			o->fork_errno = r.value != 0 ? r.value : EAGAIN;
		else if (r.kind == REPORT_STATUS && !o->exited) {
			o->exited = 1;
			o->status = r.value;
			o->status_known = 1;
		}
	}
}

/* Reads at most max bytes from fd (which: 0 stdout, 1 stderr, 2 the report
 * pipe) into the outcome. Returns the bytes read, 0 at end of file, -1 on a
 * read error (errno set), -2 when nothing was there after all. */
static ssize_t drain(int which, int fd, size_t max, outcome_t *o)
{
	unsigned char buf[READ_CHUNK];
	ssize_t r;

	r = read(fd, buf, max < sizeof(buf) ? max : sizeof(buf));
	if (r < 0) {
		r = (errno == EINTR || errno == EAGAIN) ? -2 : -1;
		goto out;
	}
	if (which == 0) {
		if (r > 0 && sao_secret_append(&o->out, buf, (size_t)r, NULL) != SAO_OK)
			o->over_cap = 1;
	} else {
		unsigned char *dst = which == 1 ? (unsigned char *)o->err : o->rep;
		size_t *dlen = which == 1 ? &o->err_len : &o->rep_len;
		size_t keep = (which == 1 ? sizeof(o->err) : sizeof(o->rep)) - *dlen;

		keep = (size_t)r < keep ? (size_t)r : keep;
		memcpy(dst + *dlen, buf, keep);
		*dlen += keep;
		if (which == 2)
			take_reports(o);
	}
out:
	sao_wipe(buf, sizeof(buf));
	return r;
}

/* The command has exited: what it wrote is in the pipe already (a write to
 * a pipe is complete before write() returns, and it cannot exit before).
 * Takes exactly the bytes there now and closes fd; what a process it left
 * in the background writes later is not its output. */
static void drain_rest(int which, int *fd, outcome_t *o)
{
	int avail = 0;

	if (ioctl(*fd, FIONREAD, &avail) < 0)
		avail = 0;
	while (avail > 0 && !o->over_cap) {
		ssize_t r = drain(which, *fd, (size_t)avail, o);

		if (r == -2)
			continue;
		if (r <= 0)
			break;
		avail -= (int)r;
	}
	close_fd(fd);
}

/* Collects stdout, stderr and the report pipe until the report pipe
 * reaches end of file (the supervisor is gone) and the command's exit is
 * known or its output ended; or until the deadline passes or stdout
 * exceeds its cap. fds[0] and fds[1] may be -1 (nothing captured). */
static sao_err_t collect(int fds[3], int64_t deadline, outcome_t *o, const char *what, sao_error_t *err)
{
	struct pollfd pf[3];
	char ebuf[128];

	while (fds[0] >= 0 || fds[1] >= 0 || fds[2] >= 0) {
		int64_t left = deadline - sao_clock_ms();
		int n;

		if (left <= 0) {
			o->timed_out = 1;
			break;
		}
		for (int i = 0; i < 3; i++) {
			pf[i].fd = fds[i];
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		n = poll(pf, 3, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sao_error_set(err, SAO_ERR_CMD, "waiting for %s failed: %s", what,
			                     sao_errno_text(errno, ebuf, sizeof(ebuf)));
		for (int i = 0; i < 3; i++) {
			ssize_t r;

			if (fds[i] < 0 || pf[i].revents == 0)
				continue;
			r = drain(i, fds[i], READ_CHUNK, o);
			if (r == -1)
				return sao_error_set(err, SAO_ERR_CMD, "reading the output of %s failed: %s", what,
				                     sao_errno_text(errno, ebuf, sizeof(ebuf)));
			if (r == 0)
				close_fd(&fds[i]);
			if (o->over_cap)
				return SAO_OK;
		}
		if (o->exited) {
			if (fds[0] >= 0)
				drain_rest(0, &fds[0], o);
			if (fds[1] >= 0)
				drain_rest(1, &fds[1], o);
			if (o->over_cap)
				return SAO_OK;
		}
	}
	return SAO_OK;
}

/* Reaps the supervisor by waiting until the deadline; 1 when reaped, -1
 * when somebody else did (a host that reaps every child, or ignores
 * SIGCHLD: the report pipe told us what we need), 0 when it is still running
 * at the deadline. When the command's status never arrived, the
 * supervisor's own end (a signal that took the whole group) stands in. */
static int reap_until(pid_t pid, int64_t deadline, outcome_t *o)
{
	/* Called once the report pipe has closed: the supervisor is exiting
	 * and becomes a zombie within microseconds, so look again soon, then
	 * less often. */
	long step_us = 20;

	for (;;) {
		int status = 0;
		pid_t r = waitpid(pid, &status, WNOHANG);
		struct timespec ts;

		if (r == pid) {
			if (!o->status_known && WIFSIGNALED(status)) {
				o->status = status;
				o->status_known = 1;
			}
			return 1;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (deadline - sao_clock_ms() <= 0)
			return 0;
		ts.tv_sec = 0;
		ts.tv_nsec = step_us * 1000;
		(void)nanosleep(&ts, NULL);
		if (step_us < 5000)
			step_us *= 2;
	}
}

static void signal_group(pid_t pid, int sig)
{
	/* The group exists once the child called setsid(); before that (only
	 * conceivable right after fork) the child alone is signalled. */
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		(void)kill(pid, sig);
}

/* SIGTERM to the whole group, SIGKILL to whatever is left after the grace
 * period, then reap the supervisor. It ignores SIGTERM and stays until the
 * command has exited, so the grace period is the command's. The supervisor
 * is not reaped before the SIGKILL (WNOWAIT), so its pid, and with it the
 * group id, cannot have been reused. If somebody else reaped it, the
 * command is gone; what it left in the group keeps the group id in use, so
 * the group alone is signalled. */
static void terminate(pid_t pid)
{
	int64_t deadline = sao_clock_ms() + KILL_GRACE_MS;
	int lost = 0;

	signal_group(pid, SIGTERM);
	for (;;) {
		siginfo_t info;
		int r;

		memset(&info, 0, sizeof(info));
		r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			lost = 1;
			break;
		}
		if (info.si_pid == pid || sao_clock_ms() >= deadline)
			break;
		sao_clock_sleep_ms(5);
	}
	if (lost) {
		(void)kill(-pid, SIGKILL);
		return;
	}
	signal_group(pid, SIGKILL);
	for (;;) {
		int status = 0;
		pid_t r = waitpid(pid, &status, 0);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
	}
}

static void format_timeout(int ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%d s", ms / 1000);
	else
		snprintf(buf, size, "%d ms", ms);
}

/* Turns the outcome into the result: the token, or the one message that
 * says what went wrong. */
static sao_err_t judge(const outcome_t *o, const plan_t *p, const char *what, const char *shown, int timeout_ms,
                       sao_secret_t *token_r, sao_proc_exit_t *exit_r, sao_error_t *err)
{
	char line[SAO_PROC_LINE_MAX + 4];
	char tail[SAO_PROC_LINE_MAX + 8];
	char ebuf[128];
	char tbuf[32];
	const unsigned char *b = o->out.data;
	size_t len = o->out.len, start = 0, end;
	const unsigned char *nl;

	stderr_line(o, line, SAO_PROC_LINE_MAX);
	if (exit_r != NULL) {
		exit_r->status = !o->timed_out && o->status_known && WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1;
		snprintf(exit_r->line, sizeof(exit_r->line), "%s", line);
	}
	snprintf(tail, sizeof(tail), "%s%s", line[0] != '\0' ? ": " : "", line);
	if (o->timed_out) {
		format_timeout(timeout_ms, tbuf, sizeof(tbuf));
		return sao_error_set(err, SAO_ERR_TIMEOUT, "%s ('%s') timed out after %s and was killed%s", what, shown,
		                     tbuf, tail);
	}
	if (o->over_cap)
		return sao_error_set(err, SAO_ERR_CMD, "%s ('%s') produced more than %zu bytes on stdout%s", what, shown,
		                     o->out.max, tail);
	if (o->fork_errno != 0)
		return sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): fork failed: %s", what, shown,
		                     sao_errno_text(o->fork_errno, ebuf, sizeof(ebuf)));
	if (o->exec_errno != 0) {
		int e = o->exec_errno;

		if (e == ENOENT && strchr(p->argv[0], '/') == NULL)
			return sao_error_set(err, SAO_ERR_CMD,
			                     "cannot run %s ('%s'): program '%s' not found in PATH; "
			                     "give its full path or install it",
			                     what, shown, p->argv[0]);
		return sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): '%s': %s", what, shown,
		                     p->n_programs == 1 ? p->programs[0] : p->argv[0], sao_errno_text(e, ebuf, sizeof(ebuf)));
	}
	if (p->flags & SAO_PROC_DETACHED)
		return SAO_OK;
	/* Only when the supervisor was killed before it could tell (a signal
	 * to the whole group, say) and somebody else reaped it. */
	if (!o->status_known)
		return sao_error_set(err, SAO_ERR_CMD,
		                     "%s ('%s') ended without an exit status (the process group it ran in was "
		                     "killed); its output is not trusted",
		                     what, shown);
	if (WIFSIGNALED(o->status))
		return sao_error_set(err, SAO_ERR_CMD, "%s ('%s') was killed by signal %d%s", what, shown,
		                     WTERMSIG(o->status), tail);
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 0)
		return sao_error_set(err, SAO_ERR_CMD, "%s ('%s') exited with status %d%s", what, shown,
		                     WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1, tail);
	/* A command run for its effect (notify_command): its output is no token. */
	if (p->flags & SAO_PROC_NO_OUTPUT)
		return SAO_OK;
	if (len > 0 && memchr(b, '\0', len) != NULL)
		return sao_error_set(err, SAO_ERR_CMD, "%s ('%s') printed a NUL byte on stdout; a token is text", what,
		                     shown);
	nl = len > 0 ? memchr(b, '\n', len) : NULL;
	end = nl != NULL ? (size_t)(nl - b) : len;
	while (start < end && is_space(b[start]))
		start++;
	while (end > start && is_space(b[end - 1]))
		end--;
	if (start == end) {
		for (size_t i = 0; i < len; i++) {
			if (!is_space(b[i]))
				return sao_error_set(err, SAO_ERR_CMD,
				                     "%s ('%s') printed an empty first line on stdout; "
				                     "the token must be on the first line",
				                     what, shown);
		}
		return sao_error_set(err, SAO_ERR_CMD, "%s ('%s') printed nothing on stdout%s", what, shown, tail);
	}
	for (size_t i = start; i < end; i++) {
		/* \001 would end an XOAUTH2/OAUTHBEARER field early. */
		if (b[i] < 0x20 || b[i] == 0x7f)
			return sao_error_set(err, SAO_ERR_CMD,
			                     "%s ('%s') printed a control character in its first line; "
			                     "a token is printable text",
			                     what, shown);
	}
	return sao_secret_set(token_r, b + start, end - start, err);
}

static sao_err_t run(const char *command, const char *arg, unsigned flags, const char *const *extra_env,
                     const char *what, int timeout_ms, sao_secret_t *out_r, sao_proc_exit_t *exit_r,
                     sao_error_t *err)
{
	char shown[COMMAND_SHOWN_MAX + 4];
	char ebuf[128];
	plan_t plan;
	outcome_t *o = NULL;
	int detached = (flags & SAO_PROC_DETACHED) != 0;
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 };
	int null_fd = -1;
	int fds[3];
	sigset_t all, old;
	pid_t pid;
	int fork_errno;
	int64_t deadline;
	sao_err_t rc = SAO_ERR_CMD;

	if (out_r != NULL)
		sao_secret_clear(out_r);
	if (exit_r != NULL) {
		exit_r->status = -1;
		exit_r->line[0] = '\0';
	}
	memset(&plan, 0, sizeof(plan));
	sao_error_printable(command, strlen(command), shown, COMMAND_SHOWN_MAX);
	if (timeout_ms <= 0) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "%s: invalid time limit %d ms", what, timeout_ms);
		goto out;
	}
	if ((detached && (out_r != NULL || exit_r != NULL)) ||
	    (!detached && (out_r == NULL) != ((flags & SAO_PROC_NO_OUTPUT) != 0)) ||
	    (arg != NULL && !(flags & SAO_PROC_NO_SHELL))) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "%s: invalid use of the process runner", what);
		goto out;
	}
	plan.flags = flags;
	plan.extra_env = extra_env;
	rc = plan_build(command, arg, what, shown, &plan, err);
	if (rc != SAO_OK)
		goto out;
	/* The outcome holds 4 KB of stderr: keep it off a guest's stack. */
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory preparing %s", what);
		goto out;
	}
	sao_secret_init(&o->out, SAO_TOKEN_MAX);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || (!detached && (make_pipe(out_p) < 0 || make_pipe(err_p) < 0)) || make_pipe(rep_p) < 0) {
		rc = sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): cannot set up its input and output: %s",
		                   what, shown, sao_errno_text(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	/* Signals stay blocked across fork() so that no handler of the host
	 * runs in the child before it has reset them all. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	deadline = sao_clock_ms() + timeout_ms;
	pid = fork();
	if (pid == 0)
		child_main(&plan, null_fd, out_p[1], err_p[1], rep_p[1]);
	fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close_fd(&null_fd);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&rep_p[1]);
	if (pid < 0) {
		rc = sao_error_set(err, SAO_ERR_CMD, "cannot run %s ('%s'): fork failed: %s", what, shown,
		                   sao_errno_text(fork_errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	fds[0] = out_p[0];
	fds[1] = err_p[0];
	fds[2] = rep_p[0];
	rc = collect(fds, deadline, o, what, err);
	out_p[0] = fds[0];
	err_p[0] = fds[1];
	rep_p[0] = fds[2];
	/* Closing our ends first: a child still writing gets EPIPE, not a
	 * full pipe it would block on. */
	close_fd(&out_p[0]);
	close_fd(&err_p[0]);
	close_fd(&rep_p[0]);
	if (rc != SAO_OK || o->timed_out || o->over_cap) {
		terminate(pid);
	} else if (reap_until(pid, deadline, o) == 0) {
		o->timed_out = 1;
		terminate(pid);
	}
	if (rc != SAO_OK)
		goto out;
	rc = judge(o, &plan, what, shown, timeout_ms, out_r, exit_r, err);
out:
	close_fd(&null_fd);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	close_fd(&rep_p[0]);
	close_fd(&rep_p[1]);
	if (o != NULL) {
		sao_secret_clear(&o->out);
		sao_wipe(o, sizeof(*o));
		free(o);
	}
	plan_free(&plan);
	if (rc != SAO_OK && out_r != NULL)
		sao_secret_clear(out_r);
	return rc;
}

sao_err_t sao_proc_run(const char *command, const char *arg, unsigned flags, const char *what, int timeout_ms,
                       sao_secret_t *out_r, sao_proc_exit_t *exit_r, sao_error_t *err)
{
	return run(command, arg, flags & ~SAO_PROC_NO_OUTPUT, NULL, what, timeout_ms, out_r, exit_r, err);
}

sao_err_t sao_proc_notify(const char *command, const char *what, int timeout_ms, const char *const *env,
                          sao_error_t *err)
{
	return run(command, NULL, SAO_PROC_NO_OUTPUT, env, what, timeout_ms, NULL, NULL, err);
}
