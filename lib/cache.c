/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/fs.h"
#include "sasl-oauth/json.h"

/*
 * The cache file (DESIGN.md §5), as written by sao_cache_write():
 *
 *   {
 *     "format_version": 1,                 integer; absent = 1, > 1 refused
 *     "account": "work",                   string, optional
 *     "access_token": "...",               string  } at least one of the two,
 *     "refresh_token": "...",              string  } no NUL, <= SAO_TOKEN_MAX
 *     "expires_at": 1700003600,            integers (UTC seconds or "123"
 *     "obtained_at": 1700000000,             digit strings), absent = 0
 *     "refresh_obtained_at": 1700000000,
 *     "rejected_at": 0,
 *     "rejected_reason": "...",            string, optional: the server's words
 *     "scope": "...", "token_type": "Bearer"   strings, optional, no NUL
 *   }
 *
 * Unknown members are ignored (a newer minor writer may add some).
 *
 * Locking: writers hold an exclusive flock on PATH.lock (sao_cache_lock).
 * Readers take a shared flock on the cache file itself while reading; since
 * writers replace the file by rename, a reader always sees one whole
 * version. Moving a corrupt file aside needs the writer lock, so that a file
 * a writer has just put in place is never the one moved.
 */

#define READ_LOCK_MS    2000 /* shared lock on the file while reading */
#define CORRUPT_LOCK_MS 250  /* writer lock to move a corrupt file aside */
#define REJECT_LOCK_MS  2000 /* writer lock for sao_cache_mark_rejected */
#define REMOVE_LOCK_MS  10000 /* writer lock for sao_cache_remove (a refresh may hold it) */
#define CORRUPT_NAMES   10   /* PATH.corrupt.T, PATH.corrupt.T.1 … .9 */

/* ---- small helpers ---------------------------------------------------- */

/* snprintf into a path buffer; 0 if the result did not fit. */
static int fmt_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fmt_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

/* The directory part of path: "." when there is none, "/" for "/x". */
static int dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return fmt_path(buf, size, ".");
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= size)
		return 0;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 1;
}

/* The account name a file name stands for: basename minus ".json". */
static void account_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

/* flock on fd (the file called name) with a deadline: polls every 10 ms,
 * backing off to 50 ms. SAO_ERR_TIMEOUT once timeout_ms has passed. */
static sao_err_t lock_wait(int fd, int op, int timeout_ms, const char *name, sao_error_t *err)
{
	int64_t deadline = sao_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int64_t step = 10;

	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return SAO_OK;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return sao_error_set(err, SAO_ERR_IO, "cannot lock '%s': %s", name, strerror(errno));
		if (!sao_clock_poll(deadline, step))
			return sao_error_set(err, SAO_ERR_TIMEOUT,
			                     "another process holds the lock on '%s' for more than %d ms; "
			                     "retry later, or find the holder with: fuser -v %s",
			                     name, timeout_ms, name);
		step = step * 2 > 50 ? 50 : step * 2;
	}
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *access_word(mode_t mode)
{
	if (mode & 022)
		return "writable";
	if (mode & 044)
		return "readable";
	return "accessible";
}

/* ---- permission checks ------------------------------------------------ */

/* The directory holding the cache: owned by us or root (root: anyone's,
 * so that root's refresh and login can keep a daemon user's cache, such as
 * postfix's, without taking it over), and no group or other permission
 * bits at all. */
static sao_err_t check_dir(const char *dir, struct stat *st_r, sao_error_t *err)
{
	struct stat st;
	uid_t euid = geteuid();

	if (stat(dir, &st) != 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot inspect cache directory '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sao_error_set(err, SAO_ERR_IO, "cache directory '%s' is not a directory; fix the cache path",
		                     dir);
	if (st.st_uid != euid && st.st_uid != 0 && euid != 0)
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cache directory '%s' is owned by uid %u, not by uid %u who runs this or by root; "
		                     "run: chown %u %s",
		                     dir, (unsigned)st.st_uid, (unsigned)euid, (unsigned)euid, dir);
	if (st.st_mode & 077)
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cache directory '%s' is %s by group or others (mode %04o); run: chmod 700 %s",
		                     dir, access_word(st.st_mode), (unsigned)(st.st_mode & 07777), dir);
	if (st_r != NULL)
		*st_r = st;
	return SAO_OK;
}

static sao_err_t check_file(const char *path, const struct stat *st, const char *account, sao_error_t *err)
{
	uid_t euid = geteuid();

	if (!S_ISREG(st->st_mode))
		return sao_error_fix(err, SAO_ERR_PERM, SAO_FIX_LOGIN, account,
		                     "cache file '%s' is not a regular file; remove it and ", path);
	/* Root reads a daemon user's cache on its behalf; writes keep the
	 * owner (sao_cache_write). */
	if (st->st_uid != euid && euid != 0)
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cache file '%s' is owned by uid %u, but this process runs as uid %u; "
		                     "run the program as uid %u, or run: chown %u %s",
		                     path, (unsigned)st->st_uid, (unsigned)euid, (unsigned)st->st_uid, (unsigned)euid,
		                     path);
	if (st->st_mode & 077)
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cache file '%s' is %s by group or others (mode %04o); run: chmod 600 %s", path,
		                     access_word(st->st_mode), (unsigned)(st->st_mode & 07777), path);
	return SAO_OK;
}

/* mkdir -m 700 -p for the cache directory: on a new account even
 * ~/.local may be missing, and a sign-in must not fail after the person
 * has signed in for want of a directory. */
static sao_err_t ensure_dir(const char *dir, sao_error_t *err)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return sao_error_set(err, SAO_ERR_IO,
			                     "cache directory '%s' is not a directory; fix the cache path", dir);
		return SAO_OK;
	}
	if (errno != ENOENT)
		return sao_error_set(err, SAO_ERR_IO, "cannot use cache directory '%s': %s; fix the cache path", dir,
		                     strerror(errno));
	return sao_fs_mkdirs(dir, 0700, "cache directory", err);
}

sao_err_t sao_cache_prepare(const char *path, sao_error_t *err)
{
	char dir[PATH_MAX];
	sao_err_t rc;

	if (!dir_of(path, dir, sizeof(dir)))
		return sao_error_set(err, SAO_ERR_IO, "cache path '%s' is too long", path);
	rc = ensure_dir(dir, err);
	if (rc != SAO_OK)
		return rc;
	rc = check_dir(dir, NULL, err);
	if (rc != SAO_OK)
		return rc;
	if (access(dir, W_OK | X_OK) != 0)
		return sao_error_set(err, SAO_ERR_PERM, "cannot write in cache directory '%s': %s; fix its owner or mode",
		                     dir, strerror(errno));
	return SAO_OK;
}

/* ---- reading ---------------------------------------------------------- */

static sao_err_t open_error(const char *path, int e, const char *account, sao_error_t *err)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		/* Not an error worth a message here: callers word "no token
		 * cached" with what they know (the account, the config). */
		return SAO_ERR_NOTFOUND;
	case ELOOP:
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cache file '%s' is a symbolic link; token files are not read through links; "
		                     "replace the link by the file itself or set cache = to the real path (account %s)",
		                     path, account);
	case EACCES:
	case EPERM: {
		char dir[PATH_MAX];

		if (!dir_of(path, dir, sizeof(dir)))
			dir[0] = '\0';
		/* Typically a cache that root created in a root-owned directory,
		 * read by a daemon user (postfix). */
		return sao_error_set(err, SAO_ERR_PERM,
		                     "cannot open cache file '%s': %s; the file and its directory must belong to uid %u "
		                     "who runs this program; as root run: chown -R %u %s",
		                     path, strerror(e), (unsigned)geteuid(), (unsigned)geteuid(), dir);
	}
	default:
		return sao_error_set(err, SAO_ERR_IO, "cannot open cache file '%s': %s", path, strerror(e));
	}
}

static sao_err_t too_big(const char *path, const char *account, sao_error_t *err)
{
	return sao_error_fix(err, SAO_ERR_TOOBIG, SAO_FIX_LOGIN, account,
	                     "cache file '%s' is larger than %d bytes, so it is no token cache; move it away and ", path,
	                     SAO_CACHE_FILE_MAX);
}

static sao_err_t read_all(int fd, const char *path, const char *account, sao_secret_t *buf, sao_error_t *err)
{
	unsigned char chunk[4096];
	sao_err_t rc = SAO_OK;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = sao_error_set(err, SAO_ERR_IO, "cannot read cache file '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		rc = sao_secret_append(buf, chunk, (size_t)n, NULL);
		if (rc != SAO_OK) {
			rc = rc == SAO_ERR_TOOBIG ? too_big(path, account, err)
			                          : sao_error_set(err, rc, "out of memory reading cache file '%s'", path);
			break;
		}
	}
	sao_wipe(chunk, sizeof(chunk));
	return rc;
}

/* Copies a token member into a secret. 0 when absent, and for an access
 * token that breaks lib/token.c's rule (an older sasl-oauth cached such
 * tokens; dropping it leaves the refresh token beside it usable, and no
 * server would take it anyway). -1 (with why) when unusable, -2 when out
 * of memory (which says nothing about the file). */
static int decode_secret(const sao_json_t *obj, const char *key, int access, sao_secret_t *dst, char *why,
                         size_t whysize)
{
	size_t len = 0;
	const char *s = sao_json_get_string(obj, key, &len);

	if (s == NULL || len == 0)
		return 0;
	if (memchr(s, '\0', len) != NULL) {
		snprintf(why, whysize, "'%s' contains a NUL byte", key);
		return -1;
	}
	if (access && !sao_token_valid(s, len))
		return 0;
	if (!access && !sao_token_refresh_valid(s, len)) {
		snprintf(why, whysize, "'%s' holds spaces or control bytes", key);
		return -1;
	}
	if (len > SAO_TOKEN_MAX) {
		snprintf(why, whysize, "'%s' is %zu bytes, more than the limit of %d", key, len, SAO_TOKEN_MAX);
		return -1;
	}
	return sao_secret_set(dst, s, len, NULL) == SAO_OK ? 0 : -2;
}

/* Copies a string member into a new C string (*dst stays NULL if absent). */
static int decode_string(const sao_json_t *obj, const char *key, char **dst, char *why, size_t whysize)
{
	size_t len = 0;
	const char *s = sao_json_get_string(obj, key, &len);

	if (s == NULL)
		return 0;
	if (memchr(s, '\0', len) != NULL) {
		snprintf(why, whysize, "'%s' contains a NUL byte", key);
		return -1;
	}
	*dst = malloc(len + 1);
	if (*dst == NULL) {
		snprintf(why, whysize, "out of memory");
		return -2;
	}
	memcpy(*dst, s, len);
	(*dst)[len] = '\0';
	return 0;
}

/* Fills tok from the parsed document. SAO_ERR_CORRUPT with why filled in
 * (no message: the caller adds where the file went), SAO_ERR_CONFIG (with
 * message) for a newer format, SAO_ERR_NOMEM. */
static sao_err_t decode(const char *path, const sao_json_t *obj, sao_token_t *tok, char *why, size_t whysize,
                        sao_error_t *err)
{
	static const char *const strings[] = { "scope", "token_type", "account", "rejected_reason" };
	char **const dsts[] = { &tok->scope, &tok->token_type, &tok->account, &tok->rejected_reason };
	int64_t v;
	int r;

	if (sao_json_get_int64(obj, "format_version", &v)) {
		if (v > SAO_CACHE_FORMAT_VERSION)
			return sao_error_set(err, SAO_ERR_CONFIG,
			                     "cache file '%s' has format_version %" PRId64 "; "
			                     "this sasl-oauth understands %d; upgrade sasl-oauth",
			                     path, v, SAO_CACHE_FORMAT_VERSION);
		if (v < 1) {
			snprintf(why, whysize, "'format_version' is %" PRId64, v);
			return SAO_ERR_CORRUPT;
		}
		tok->format_version = v;
	}
	r = decode_secret(obj, "access_token", 1, &tok->access_token, why, whysize);
	if (r == 0)
		r = decode_secret(obj, "refresh_token", 0, &tok->refresh_token, why, whysize);
	if (r == -2)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading cache file '%s'", path);
	if (r != 0)
		return SAO_ERR_CORRUPT;
	if (tok->access_token.len == 0 && tok->refresh_token.len == 0) {
		snprintf(why, whysize, "it holds neither an access token nor a refresh token");
		return SAO_ERR_CORRUPT;
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		r = decode_string(obj, strings[i], dsts[i], why, whysize);
		if (r == -2)
			return sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading cache file '%s'", path);
		if (r != 0)
			return SAO_ERR_CORRUPT;
	}
	sao_json_get_int64(obj, "expires_at", &tok->expires_at);
	sao_json_get_int64(obj, "obtained_at", &tok->obtained_at);
	sao_json_get_int64(obj, "refresh_obtained_at", &tok->refresh_obtained_at);
	sao_json_get_int64(obj, "rejected_at", &tok->rejected_at);
	return SAO_OK;
}

typedef enum { KEPT_FAILED, KEPT_MOVED, KEPT_COPIED, KEPT_REPLACED } kept_t;

static int corrupt_name(const char *path, long long t, int i, char *buf, size_t size)
{
	if (i == 0)
		return fmt_path(buf, size, "%s.corrupt.%lld", path, t);
	return fmt_path(buf, size, "%s.corrupt.%lld.%d", path, t, i);
}

/* Keeps a corrupt file's bytes as PATH.corrupt.UNIXTIME (.N if taken; an
 * existing name is never replaced). Holding the writer lock, and only if
 * PATH is still the file that was read, the file itself is moved (link +
 * unlink). Without the lock a copy is written and PATH stays for the next
 * writer to replace. KEPT_REPLACED: PATH was replaced since it was read
 * (only reported when may_retry). */
static kept_t keep_aside(const char *path, const struct stat *st, const sao_secret_t *bytes, int lock_held,
                         int may_retry, char *kept, size_t size, int *errno_r)
{
	long long t = (long long)time(NULL);
	int lock_fd = -1;
	int fd = -1;
	struct stat cur;
	kept_t res = KEPT_FAILED;

	*errno_r = 0;
	kept[0] = '\0';
	if (!lock_held) {
		sao_error_t lerr;

		sao_error_clear(&lerr);
		if (sao_cache_lock(path, CORRUPT_LOCK_MS, &lock_fd, &lerr) == SAO_OK)
			lock_held = 1;
	}
	if (lock_held) {
		if (lstat(path, &cur) != 0 || cur.st_dev != st->st_dev || cur.st_ino != st->st_ino) {
			if (may_retry) {
				res = KEPT_REPLACED;
				goto out;
			}
		} else {
			for (int i = 0; i < CORRUPT_NAMES; i++) {
				if (!corrupt_name(path, t, i, kept, size)) {
					*errno_r = ENAMETOOLONG;
					goto out;
				}
				if (link(path, kept) == 0) {
					/* If the unlink fails the bytes are still safe
					 * under the new name. */
					(void)unlink(path);
					res = KEPT_MOVED;
					goto out;
				}
				if (errno != EEXIST)
					break;
			}
		}
	}
	/* No lock, or no hard links here: write a copy. */
	for (int i = 0; i < CORRUPT_NAMES; i++) {
		if (!corrupt_name(path, t, i, kept, size)) {
			*errno_r = ENAMETOOLONG;
			goto out;
		}
		fd = open(kept, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST) {
			*errno_r = errno;
			goto out;
		}
	}
	if (fd < 0) {
		*errno_r = EEXIST;
		goto out;
	}
	if (write_all(fd, bytes->data, bytes->len) != 0 || fsync(fd) != 0) {
		*errno_r = errno;
		(void)unlink(kept);
		goto out;
	}
	res = KEPT_COPIED;
out:
	if (fd >= 0 && close(fd) != 0 && res == KEPT_COPIED) {
		*errno_r = errno;
		(void)unlink(kept);
		res = KEPT_FAILED;
	}
	if (res == KEPT_FAILED)
		kept[0] = '\0';
	sao_cache_unlock(&lock_fd);
	return res;
}

/* One attempt at reading path. *again_r is set (and nothing reported) when
 * a corrupt file turned out to have been replaced meanwhile. */
static sao_err_t read_once(const char *path, sao_token_t *tok_r, int lock_held, int may_retry, int *again_r,
                           sao_error_t *err)
{
	sao_secret_t text;
	sao_json_t *obj = NULL;
	sao_error_t perr;
	struct stat st;
	char dir[PATH_MAX];
	char account[256];
	char why[SAO_ERROR_MSG_MAX];
	char kept[PATH_MAX];
	const char *named;
	size_t named_len = 0;
	int fd = -1;
	int kerrno = 0;
	kept_t k;
	sao_err_t rc;

	*again_r = 0;
	sao_token_clear(tok_r);
	sao_secret_init(&text, SAO_CACHE_FILE_MAX);
	sao_error_clear(&perr);
	why[0] = '\0';
	account_of(path, account, sizeof(account));

	if (!dir_of(path, dir, sizeof(dir))) {
		rc = sao_error_set(err, SAO_ERR_IO, "cache file path '%s' is too long", path);
		goto out;
	}
	/* O_NONBLOCK: a FIFO planted under the name must not hang us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = open_error(path, errno, account, err);
		goto out;
	}
	rc = check_dir(dir, NULL, err);
	if (rc != SAO_OK)
		goto out;
	if (fstat(fd, &st) != 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot inspect cache file '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = check_file(path, &st, account, err);
	if (rc != SAO_OK)
		goto out;
	rc = lock_wait(fd, LOCK_SH, READ_LOCK_MS, path, err);
	if (rc != SAO_OK)
		goto out;
	if (st.st_size > SAO_CACHE_FILE_MAX) {
		rc = too_big(path, account, err);
		goto out;
	}
	rc = read_all(fd, path, account, &text, err);
	if (rc != SAO_OK)
		goto out;

	rc = sao_json_parse(text.data, text.len, "the file", &obj, &perr);
	if (rc == SAO_OK) {
		rc = decode(path, obj, tok_r, why, sizeof(why), err);
		if (rc != SAO_ERR_CORRUPT)
			goto out;
	} else if (rc == SAO_ERR_PROTO) {
		snprintf(why, sizeof(why), "%s", perr.msg);
		rc = SAO_ERR_CORRUPT;
	} else {
		/* Only bytes that do not parse are corrupt: a parser that cannot
		 * run (json-c missing in a chroot, no memory) leaves the file be. */
		rc = sao_error_set(err, rc, "cannot read cache file '%s': %s", path, perr.msg);
		goto out;
	}

	/* Corrupt: name the account the file says it is for, if it says. */
	named = sao_json_get_string(obj, "account", &named_len);
	if (named != NULL && named_len > 0 && named_len < sizeof(account)) {
		size_t i;

		for (i = 0; i < named_len; i++) {
			if ((unsigned char)named[i] <= 0x20 || (unsigned char)named[i] >= 0x7f)
				break;
		}
		if (i == named_len) {
			memcpy(account, named, named_len);
			account[named_len] = '\0';
		}
	}
	k = keep_aside(path, &st, &text, lock_held, may_retry, kept, sizeof(kept), &kerrno);
	switch (k) {
	case KEPT_REPLACED:
		*again_r = 1;
		break;
	case KEPT_MOVED:
		sao_error_fix(err, SAO_ERR_CORRUPT, SAO_FIX_LOGIN, account,
		              "cache file '%s' is corrupt (%s); it was kept as '%s'; ", path, why, kept);
		break;
	case KEPT_COPIED:
		sao_error_fix(err, SAO_ERR_CORRUPT, SAO_FIX_LOGIN, account,
		              "cache file '%s' is corrupt (%s); a copy was kept as '%s' (the file itself could not be "
		              "moved); ",
		              path, why, kept);
		break;
	case KEPT_FAILED:
		sao_error_fix(err, SAO_ERR_CORRUPT, SAO_FIX_LOGIN, account,
		              "cache file '%s' is corrupt (%s) and could not be kept aside (%s); "
		              "copy it somewhere safe, then ",
		              path, why, strerror(kerrno));
		break;
	}
out:
	if (rc != SAO_OK)
		sao_token_clear(tok_r);
	if (fd >= 0)
		close(fd);
	sao_secret_clear(&text);
	sao_json_free(&obj);
	return rc;
}

static sao_err_t cache_read(const char *path, sao_token_t *tok_r, int lock_held, sao_error_t *err)
{
	int again = 0;
	sao_err_t rc;

	rc = read_once(path, tok_r, lock_held, 1, &again, err);
	if (again)
		rc = read_once(path, tok_r, lock_held, 0, &again, err);
	return rc;
}

sao_err_t sao_cache_read(const char *path, sao_token_t *tok_r, sao_error_t *err)
{
	return cache_read(path, tok_r, 0, err);
}

/* ---- writing ---------------------------------------------------------- */

/* Removes the note of a failed refresh (sao_cache_note_failure). */
static void remove_note(const char *path)
{
	char note[PATH_MAX];

	if (fmt_path(note, sizeof(note), "%s.failed", path))
		(void)unlink(note);
}

/* Root refreshing a daemon user's cache must leave the file to that user:
 * the existing file's owner, or for a new file the directory's. 1 when a
 * file root writes must be given to *uid_r, *gid_r. */
static int owner_for(const struct stat *old, const struct stat *dir, uid_t *uid_r, gid_t *gid_r)
{
	const struct stat *from = NULL;

	if (geteuid() != 0)
		return 0;
	if (old != NULL && S_ISREG(old->st_mode) && old->st_nlink == 1)
		from = old;
	else if (old == NULL)
		from = dir;
	if (from == NULL || from->st_uid == 0)
		return 0;
	*uid_r = from->st_uid;
	*gid_r = from->st_gid;
	return 1;
}

static sao_err_t encode(const sao_token_t *tok, sao_secret_t *out, sao_error_t *err)
{
	sao_json_t *obj = NULL;
	sao_err_t rc;

	rc = sao_json_new(&obj, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_json_set_int64(obj, "format_version", SAO_CACHE_FORMAT_VERSION, err);
	if (rc == SAO_OK && tok->account != NULL)
		rc = sao_json_set_string(obj, "account", tok->account, strlen(tok->account), err);
	if (rc == SAO_OK && tok->access_token.len > 0)
		rc = sao_json_set_string(obj, "access_token", tok->access_token.data, tok->access_token.len, err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(obj, "expires_at", tok->expires_at, err);
	if (rc == SAO_OK && tok->token_type != NULL)
		rc = sao_json_set_string(obj, "token_type", tok->token_type, strlen(tok->token_type), err);
	if (rc == SAO_OK && tok->scope != NULL)
		rc = sao_json_set_string(obj, "scope", tok->scope, strlen(tok->scope), err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(obj, "obtained_at", tok->obtained_at, err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(obj, "rejected_at", tok->rejected_at, err);
	if (rc == SAO_OK && tok->rejected_reason != NULL)
		rc = sao_json_set_string(obj, "rejected_reason", tok->rejected_reason, strlen(tok->rejected_reason), err);
	if (rc == SAO_OK && tok->refresh_token.len > 0)
		rc = sao_json_set_string(obj, "refresh_token", tok->refresh_token.data, tok->refresh_token.len, err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(obj, "refresh_obtained_at", tok->refresh_obtained_at, err);
	if (rc == SAO_OK)
		rc = sao_json_serialize(obj, out, err);
	if (rc == SAO_OK)
		rc = sao_secret_append(out, "\n", 1, err);
out:
	sao_json_free(&obj);
	return rc;
}

static const char *write_fix(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return "free some disk space and retry";
	case EROFS:
		return "the file system is read-only; choose a writable cache path";
	case EACCES:
	case EPERM:
		return "run as the owner of the cache directory";
	default:
		return "fix the cause and retry";
	}
}

/*
 * Writing is two steps (issue 13, defect 1), so that a refresh under strict
 * rotation loses as little as physics allows:
 *   sao_cache_reserve()  before the request: creates PATH.tmp.PID (0600,
 *                        the owner the cache will have) and reserves the
 *                        space of the largest cache, so that writing the
 *                        answer cannot fail for lack of space once the
 *                        provider has rotated the refresh token;
 *   sao_cache_commit()   with the answer: writes and fsyncs it into that
 *                        file first, then renames it over PATH and fsyncs
 *                        the directory.
 * A writer killed after writing leaves a complete PATH.tmp.PID; the next one
 * to take the lock adopts it when it is newer than PATH (recover()).
 */
#define RESERVE_BYTES SAO_CACHE_FILE_MAX

void sao_cache_slot_init(sao_cache_slot_t *slot)
{
	memset(slot, 0, sizeof(*slot));
	slot->fd = -1;
}

static sao_err_t slot_fail(sao_cache_slot_t *slot, const char *step, int e, const char *tail, sao_error_t *err)
{
	return sao_error_set(err, SAO_ERR_IO, "could not write cache file '%s' (%s '%s': %s); %s", slot->path, step,
	                     slot->tmp, strerror(e), tail);
}

sao_err_t sao_cache_reserve(const char *path, sao_cache_slot_t *slot, sao_error_t *err)
{
	struct stat dst;
	struct stat old;
	char dir[PATH_MAX];
	const char *intact;
	int have_old;
	uid_t uid = 0;
	gid_t gid = 0;
	int give = 0;
	int e;
	sao_err_t rc;

	sao_cache_slot_release(slot);
	if (!dir_of(path, dir, sizeof(dir)) || !fmt_path(slot->tmp, sizeof(slot->tmp), "%s.tmp.%ld", path, (long)getpid()) ||
	    !fmt_path(slot->path, sizeof(slot->path), "%s", path))
		return sao_error_set(err, SAO_ERR_IO, "cache file path '%s' is too long", path);
	rc = ensure_dir(dir, err);
	if (rc != SAO_OK)
		return rc;
	rc = check_dir(dir, &dst, err);
	if (rc != SAO_OK)
		return rc;
	have_old = lstat(path, &old) == 0;
	intact = have_old ? "the previous cache is intact" : "nothing was written";
	slot->intact = intact;

	give = owner_for(have_old ? &old : NULL, &dst, &uid, &gid);
	slot->fd = open(slot->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (slot->fd < 0 && errno == EEXIST) {
		/* Left by a crashed writer with our pid; we hold the lock. */
		(void)unlink(slot->tmp);
		slot->fd = open(slot->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (slot->fd < 0)
		return slot_fail(slot, "creating", errno, write_fix(errno), err);
	slot->made = 1;
	if (fchmod(slot->fd, 0600) != 0) {
		e = errno;
		rc = slot_fail(slot, "setting mode 0600 on", e, write_fix(e), err);
		goto fail;
	}
	if (give && fchown(slot->fd, uid, gid) != 0) {
		e = errno;
		rc = slot_fail(slot, "giving to its owner", e, write_fix(e), err);
		goto fail;
	}
#ifdef HAVE_FALLOCATE
	/* KEEP_SIZE: the file stays empty, so a writer killed before its write
	 * leaves nothing that looks like a cache. A file system that cannot
	 * reserve (EOPNOTSUPP) is written as before. */
	if (fallocate(slot->fd, FALLOC_FL_KEEP_SIZE, 0, RESERVE_BYTES) != 0 && errno != EOPNOTSUPP && errno != ENOSYS &&
	    errno != EINTR) {
		char tail[256];

		e = errno;
		snprintf(tail, sizeof(tail), "%s; %s", intact, write_fix(e));
		rc = sao_error_set(err, SAO_ERR_IO, "no room for a new cache file '%s' (reserving %d bytes for '%s': %s); %s",
		                   path, RESERVE_BYTES, slot->tmp, strerror(e), tail);
		goto fail;
	}
#endif
	return SAO_OK;
fail:
	sao_cache_slot_release(slot);
	return rc;
}

/* "the previous cache is intact; free some disk space and retry" */
static const char *failed_tail(const sao_cache_slot_t *slot, int e, char *buf, size_t size)
{
	snprintf(buf, size, "%s; %s", slot->intact != NULL ? slot->intact : "nothing was written", write_fix(e));
	return buf;
}

sao_err_t sao_cache_commit(sao_cache_slot_t *slot, const sao_token_t *tok, sao_error_t *err)
{
	sao_secret_t text;
	char tail[256];
	char dir[PATH_MAX];
	const char *bad = NULL;
	int dfd = -1;
	int e;
	sao_err_t rc;

	sao_secret_init(&text, SAO_CACHE_FILE_MAX);
	if (slot->fd < 0) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "cache file '%s': no space was reserved", slot->path);
		goto out;
	}
	if (tok->access_token.len == 0 && tok->refresh_token.len == 0) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL,
		                   "refusing to write cache file '%s' with neither an access token nor a refresh token",
		                   slot->path);
		goto out;
	}
	/* What is cached is sent at every login: a token the mechanisms would
	 * refuse is refused here, once. */
	if (tok->access_token.len > 0 && !sao_token_valid(tok->access_token.data, tok->access_token.len))
		bad = "the access token is not an RFC 6750 bearer token";
	else if (tok->refresh_token.len > 0 && !sao_token_refresh_valid(tok->refresh_token.data, tok->refresh_token.len))
		bad = "the refresh token holds spaces or control bytes";
	if (bad != NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "refusing to write cache file '%s': %s", slot->path, bad);
		goto out;
	}
	rc = encode(tok, &text, err);
	if (rc != SAO_OK)
		goto out;
	/* The answer first: once it is on disk, a kill loses nothing. */
	if (write_all(slot->fd, text.data, text.len) != 0) {
		e = errno;
		rc = slot_fail(slot, "writing", e, failed_tail(slot, e, tail, sizeof(tail)), err);
		goto out;
	}
	if (fsync(slot->fd) != 0) {
		e = errno;
		rc = slot_fail(slot, "syncing", e, failed_tail(slot, e, tail, sizeof(tail)), err);
		goto out;
	}
	e = close(slot->fd) != 0 ? errno : 0;
	slot->fd = -1;
	if (e != 0) {
		rc = slot_fail(slot, "closing", e, failed_tail(slot, e, tail, sizeof(tail)), err);
		goto out;
	}
	if (rename(slot->tmp, slot->path) != 0) {
		/* Complete and synced: the next writer to take the lock adopts it. */
		e = errno;
		slot->keep = 1;
		rc = slot_fail(slot, "renaming into place", e,
		               "the new tokens are kept in the temporary file, which the next sasl-oauth run takes over",
		               err);
		goto out;
	}
	slot->made = 0;
	/* The rename is durable only once the directory is synced. */
	if (!dir_of(slot->path, dir, sizeof(dir)))
		fmt_path(dir, sizeof(dir), ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL)) {
		rc = sao_error_set(err, SAO_ERR_IO,
		                   "cache file '%s' was replaced, but syncing directory '%s' failed: %s; "
		                   "the new cache may not survive a crash",
		                   slot->path, dir, strerror(errno));
		goto out;
	}
	/* A token was stored: a failure noted earlier is over. */
	remove_note(slot->path);
	rc = SAO_OK;
out:
	if (dfd >= 0)
		close(dfd);
	sao_secret_clear(&text);
	return rc;
}

void sao_cache_slot_release(sao_cache_slot_t *slot)
{
	if (slot->fd >= 0)
		close(slot->fd);
	slot->fd = -1;
	if (slot->made && !slot->keep)
		(void)unlink(slot->tmp);
	slot->made = 0;
	slot->keep = 0;
}

sao_err_t sao_cache_write(const char *path, const sao_token_t *tok, sao_error_t *err)
{
	sao_cache_slot_t slot;
	sao_err_t rc;

	sao_cache_slot_init(&slot);
	rc = sao_cache_reserve(path, &slot, err);
	if (rc == SAO_OK)
		rc = sao_cache_commit(&slot, tok, err);
	sao_cache_slot_release(&slot);
	return rc;
}

/* ---- what a killed writer left (issue 13, defects 1 and 8) ------------ */

/* Reads a cache file without keeping it aside or saying anything: SAO_OK
 * only for a complete, valid cache. */
static sao_err_t read_quiet(const char *path, sao_token_t *tok)
{
	sao_secret_t buf;
	sao_json_t *obj = NULL;
	sao_error_t lerr;
	struct stat st;
	char why[160];
	int fd;
	sao_err_t rc = SAO_ERR_CORRUPT;

	sao_secret_init(&buf, SAO_CACHE_FILE_MAX);
	sao_error_clear(&lerr);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > SAO_CACHE_FILE_MAX)
		goto out;
	if (read_all(fd, path, "", &buf, &lerr) != SAO_OK || buf.len == 0)
		goto out;
	if (sao_json_parse(buf.data, buf.len, path, &obj, &lerr) != SAO_OK)
		goto out;
	rc = decode(path, obj, tok, why, sizeof(why), &lerr);
out:
	if (fd >= 0)
		close(fd);
	sao_json_free(&obj);
	sao_secret_clear(&buf);
	if (rc != SAO_OK)
		sao_token_clear(tok);
	return rc;
}

/* 1 when a's tokens were not obtained before b's. A leftover found under
 * the lock was written after the cache it sits beside (every writer since
 * its death would have taken it over or removed it first), so within the
 * same second it is the newer one. */
static int not_older(const sao_token_t *a, const sao_token_t *b)
{
	if (a->refresh_obtained_at != b->refresh_obtained_at)
		return a->refresh_obtained_at > b->refresh_obtained_at;
	return a->obtained_at >= b->obtained_at;
}

/* Holding the writer lock no writer is alive, so every PATH.tmp.PID is what
 * a killed one left: one that holds a complete cache not older than PATH is
 * renamed over it (with strict rotation its refresh token is the only one
 * that still works), the others are removed. Best effort: what cannot be
 * done is left as it was. */
static void recover(const char *path)
{
	char dir[PATH_MAX];
	char full[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t blen = strlen(base);
	sao_token_t cur, cand;
	int have_cur, adopted = 0;
	struct dirent *de;
	DIR *d;

	if (!dir_of(path, dir, sizeof(dir)))
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	sao_token_init(&cur);
	sao_token_init(&cand);
	have_cur = read_quiet(path, &cur) == SAO_OK;
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		const char *rest = de->d_name + blen + 5;
		struct stat st;
		char *end;
		long pid;

		if (strncmp(de->d_name, base, blen) != 0 || strncmp(de->d_name + blen, ".tmp.", 5) != 0 || *rest == '\0')
			continue;
		errno = 0;
		pid = strtol(rest, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		if (!fmt_path(full, sizeof(full), "%s/%s", dir, de->d_name) || lstat(full, &st) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_nlink != 1 || (st.st_mode & 077) != 0 ||
		    (st.st_uid != geteuid() && geteuid() != 0))
			continue;
		if (read_quiet(full, &cand) == SAO_OK && (!have_cur || not_older(&cand, &cur)) && rename(full, path) == 0) {
			sao_token_clear(&cur);
			cur = cand;
			sao_token_init(&cand);
			have_cur = 1;
			adopted = 1;
			continue;
		}
		sao_token_clear(&cand);
		(void)unlink(full);
	}
	closedir(d);
	if (adopted) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	sao_token_clear(&cur);
	sao_token_clear(&cand);
}

/* ---- locking ---------------------------------------------------------- */

sao_err_t sao_cache_lock(const char *path, int timeout_ms, int *fd_r, sao_error_t *err)
{
	char lockpath[PATH_MAX];
	char dir[PATH_MAX];
	struct stat st;
	struct stat dst;
	int fd = -1;
	int created;
	sao_err_t rc;

	*fd_r = -1;
	if (!fmt_path(lockpath, sizeof(lockpath), "%s.lock", path) || !dir_of(path, dir, sizeof(dir))) {
		rc = sao_error_set(err, SAO_ERR_IO, "cache file path '%s' is too long", path);
		goto out;
	}
	rc = ensure_dir(dir, err);
	if (rc != SAO_OK)
		goto out;
	/* Created here (O_EXCL) or found: only a file this call created is
	 * given away (issue 13, defect 2: root must not chown a file somebody
	 * planted, nor, through a hard link, a file elsewhere). */
	fd = open(lockpath, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
	created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(lockpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == EACCES) /* flock needs no write access */
		fd = open(lockpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ELOOP ? sao_error_set(err, SAO_ERR_PERM,
		                                    "lock file '%s' is a symbolic link; remove it (it holds no data)",
		                                    lockpath)
		                    : sao_error_set(err, SAO_ERR_IO, "cannot open lock file '%s': %s", lockpath,
		                                    strerror(errno));
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		rc = sao_error_set(err, SAO_ERR_PERM,
		                   "lock file '%s' is not a plain file of its own (%s); remove it (it holds no data)",
		                   lockpath, S_ISREG(st.st_mode) ? "it has other hard links" : "not a regular file");
		goto out;
	}
	/* A lock file root creates in a daemon user's directory goes to that
	 * user, or the daemon could not open it later. Best effort. */
	if (created && geteuid() == 0 && stat(dir, &dst) == 0 && dst.st_uid != 0)
		(void)fchown(fd, dst.st_uid, dst.st_gid);
	rc = lock_wait(fd, LOCK_EX, timeout_ms, lockpath, err);
	if (rc != SAO_OK)
		goto out;
	recover(path);
	*fd_r = fd;
	fd = -1;
	rc = SAO_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void sao_cache_unlock(int *fd)
{
	if (fd == NULL || *fd < 0)
		return;
	close(*fd);
	*fd = -1;
}

sao_err_t sao_cache_store(const char *path, const sao_token_t *tok, int timeout_ms, sao_error_t *err)
{
	int lock = -1;
	sao_err_t rc;

	rc = sao_cache_lock(path, timeout_ms, &lock, err);
	if (rc == SAO_OK)
		rc = sao_cache_write(path, tok, err);
	sao_cache_unlock(&lock);
	return rc;
}

sao_err_t sao_cache_missing(const char *path, const char *account, sao_err_t code, sao_error_t *err)
{
	return sao_error_fix(err, code, SAO_FIX_LOGIN, account,
	                     "no token is cached for account '%s' (looked for '%s'); ", account, path);
}

sao_err_t sao_cache_mark_rejected(const char *path, const sao_secret_t *access_token, int64_t now, const char *reason,
                                  sao_error_t *err)
{
	sao_token_t tok;
	int fd = -1;
	sao_err_t rc;

	sao_token_init(&tok);
	rc = sao_cache_lock(path, REJECT_LOCK_MS, &fd, err);
	if (rc != SAO_OK)
		goto out;
	rc = cache_read(path, &tok, 1, err);
	if (rc == SAO_ERR_NOTFOUND) {
		/* Nothing cached: nothing to mark. */
		rc = SAO_OK;
		goto out;
	}
	if (rc != SAO_OK)
		goto out;
	/* Rotated meanwhile, or already marked: leave the file alone. */
	if (!sao_secret_equal(&tok.access_token, access_token) || tok.rejected_at != 0) {
		rc = SAO_OK;
		goto out;
	}
	tok.rejected_at = now;
	free(tok.rejected_reason);
	tok.rejected_reason = strdup(reason);
	if (tok.rejected_reason == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory marking cache file '%s' rejected", path);
		goto out;
	}
	rc = sao_cache_write(path, &tok, err);
out:
	sao_cache_unlock(&fd);
	sao_token_clear(&tok);
	return rc;
}

sao_err_t sao_cache_remove(const char *path, sao_token_t *tok_r, sao_error_t *err)
{
	int fd = -1;
	sao_err_t rc;

	/* Under the writer lock: a refresh running now finishes first, and
	 * the tokens it writes go too. */
	rc = sao_cache_lock(path, REMOVE_LOCK_MS, &fd, err);
	if (rc == SAO_OK)
		rc = cache_read(path, tok_r, 1, err);
	if (rc == SAO_OK && unlink(path) != 0)
		rc = sao_error_set(err, SAO_ERR_IO, "cannot delete '%s': %s", path, strerror(errno));
	if (rc == SAO_OK)
		remove_note(path);
	sao_cache_unlock(&fd);
	return rc;
}

/* ---- the note of a failed refresh ------------------------------------ */

sao_err_t sao_cache_note_failure(const char *path, const char *msg, sao_error_t *err)
{
	char note[PATH_MAX];
	char dir[PATH_MAX];
	struct stat old, dst;
	size_t len = strlen(msg);
	uid_t uid = 0;
	gid_t gid = 0;
	int give, fd;
	sao_err_t rc = SAO_OK;

	if (!fmt_path(note, sizeof(note), "%s.failed", path) || !dir_of(path, dir, sizeof(dir)))
		return sao_error_set(err, SAO_ERR_IO, "cache file path '%s' is too long", path);
	if (stat(dir, &dst) != 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot inspect cache directory '%s': %s", dir, strerror(errno));
	give = owner_for(lstat(path, &old) == 0 ? &old : NULL, &dst, &uid, &gid);
	fd = open(note, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot write '%s': %s", note, strerror(errno));
	if (len > SAO_CACHE_NOTE_MAX - 1)
		len = SAO_CACHE_NOTE_MAX - 1;
	if ((give && fchown(fd, uid, gid) != 0) || write_all(fd, msg, len) != 0 || write_all(fd, "\n", 1) != 0)
		rc = sao_error_set(err, SAO_ERR_IO, "cannot write '%s': %s", note, strerror(errno));
	if (close(fd) != 0 && rc == SAO_OK)
		rc = sao_error_set(err, SAO_ERR_IO, "cannot write '%s': %s", note, strerror(errno));
	if (rc != SAO_OK)
		(void)unlink(note);
	return rc;
}

/* The note's descriptor when it is ours and newer than the cache, else -1. */
static int open_note(const char *path, struct stat *st)
{
	char note[PATH_MAX];
	struct stat cache;
	int fd;

	if (!fmt_path(note, sizeof(note), "%s.failed", path))
		return -1;
	fd = open(note, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	/* Written by the cache's owner (or root for it), like the cache, and
	 * after the cache: a cache put in place since (by hand, by a restore)
	 * makes the note old news. */
	if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) && (st->st_uid == geteuid() || st->st_uid == 0) &&
	    stat(path, &cache) == 0 &&
	    (st->st_mtim.tv_sec > cache.st_mtim.tv_sec ||
	     (st->st_mtim.tv_sec == cache.st_mtim.tv_sec && st->st_mtim.tv_nsec >= cache.st_mtim.tv_nsec)))
		return fd;
	close(fd);
	return -1;
}

int sao_cache_read_failure(const char *path, char *buf, size_t size)
{
	struct stat st;
	ssize_t n;
	int fd;

	if (size == 0)
		return 0;
	fd = open_note(path, &st);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	for (char *c = buf; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = ' ';
	}
	return buf[0] != '\0';
}

int sao_cache_failure_time(const char *path, int64_t *at_r)
{
	struct stat st;
	int fd = open_note(path, &st);

	if (fd < 0)
		return 0;
	close(fd);
	*at_r = (int64_t)st.st_mtim.tv_sec;
	return 1;
}
