/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define S(lit) lit, sizeof(lit) - 1
#define PBUF 512                    /* test paths are short */
#define XBUF (PBUF + 32)            /* a path plus a suffix */
#define MBUF (4 * XBUF + 512)       /* an expected message */

static const char *base; /* the test directory */

/* ---- helpers ---------------------------------------------------------- */

static void path_in(char *buf, size_t size, const char *rel)
{
	test_path(buf, size, rel);
}

/* A new file: whatever was at path (a symbolic link too) is replaced. */
static int put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	unlink(path);
	return test_write_file(path, mode, data, len);
}

/* Reads a whole small file into buf; length or -1. */
static ssize_t get_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Number of entries in dir whose name starts with prefix; the last one
 * found goes to name (full path). */
static int count_prefix(const char *dir, const char *prefix, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			n++;
			if (name != NULL)
				snprintf(name, size, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static void remove_prefix(const char *dir, const char *prefix)
{
	char name[PBUF];

	while (count_prefix(dir, prefix, name, sizeof(name)) > 0)
		unlink(name);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static void fill_token(sao_token_t *tok, const char *access, const char *refresh)
{
	sao_token_init(tok);
	if (access != NULL)
		sao_secret_set(&tok->access_token, access, strlen(access), NULL);
	if (refresh != NULL)
		sao_secret_set(&tok->refresh_token, refresh, strlen(refresh), NULL);
	tok->expires_at = 1700003600;
	tok->obtained_at = 1700000000;
	tok->refresh_obtained_at = 1699990000;
}

/* ---- tests ------------------------------------------------------------ */

static void test_round_trip(void)
{
	static const struct {
		const char *access, *refresh, *why;
	} unusable[] = {
		{ "ab,cd", "rt", "the access token is not an RFC 6750 bearer token" },
		{ "at", "r t", "the refresh token holds spaces or control bytes" },
	};
	char dir[PBUF], parent[PBUF], path[PBUF], text[200000];
	sao_token_t tok, back;
	sao_error_t err;
	static char big[20001];
	ssize_t n;

	for (size_t i = 0; i < 20000; i++)
		big[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"[i % 68];
	big[20000] = '\0';
	path_in(parent, sizeof(parent), "state");
	path_in(dir, sizeof(dir), "state/sasl-oauth");
	path_in(path, sizeof(path), "state/sasl-oauth/work.json");

	fill_token(&tok, big, "0.AAAArefresh\"token\"/with\\escapes");
	tok.rejected_at = 42;
	tok.scope = dup_str("https://outlook.office.com/IMAP.AccessAsUser.All offline_access");
	tok.token_type = dup_str("Bearer");
	tok.account = dup_str("work");
	umask(022);
	sao_error_clear(&err);
	/* Both the directory and its parent are missing: both made 0700. */
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	CHECK(mode_of(parent) == 0700);
	CHECK(mode_of(dir) == 0700);
	CHECK(mode_of(path) == 0600);
	CHECK(count_prefix(dir, "work.json.tmp", NULL, 0) == 0);
	n = get_file(path, text, sizeof(text) - 1);
	CHECK(n > 20000);
	if (n > 0) {
		text[n] = '\0';
		CHECK(strncmp(text, "{\n  \"format_version\":1,\n  \"account\":\"work\",\n  \"access_token\":\"ABCD", 64) == 0);
		CHECK(strstr(text, "\"refresh_token\":\"0.AAAArefresh\\\"token\\\"/with\\\\escapes\"") != NULL);
		CHECK(text[n - 1] == '\n');
	}

	sao_token_init(&back);
	CHECK_MSG(sao_cache_read(path, &back, &err) == SAO_OK, "%s", err.msg);
	CHECK(sao_secret_equal(&back.access_token, &tok.access_token));
	CHECK(back.access_token.len == 20000);
	CHECK(sao_secret_equal(&back.refresh_token, &tok.refresh_token));
	CHECK(back.expires_at == 1700003600 && back.obtained_at == 1700000000);
	CHECK(back.refresh_obtained_at == 1699990000 && back.rejected_at == 42);
	CHECK(back.scope != NULL && strcmp(back.scope, tok.scope) == 0);
	CHECK(back.token_type != NULL && strcmp(back.token_type, "Bearer") == 0);
	CHECK(back.account != NULL && strcmp(back.account, "work") == 0);
	CHECK(back.format_version == 1);
	CHECK(err.code == SAO_OK);

	/* Replace: the reader sees the new file; absent strings stay NULL. */
	sao_token_clear(&tok);
	fill_token(&tok, "second", NULL);
	CHECK(sao_cache_write(path, &tok, &err) == SAO_OK);
	CHECK(sao_cache_read(path, &back, &err) == SAO_OK);
	CHECK_BYTES(back.access_token.data, back.access_token.len, "second", 6);
	CHECK(back.refresh_token.len == 0 && back.scope == NULL && back.account == NULL && back.rejected_at == 0);

	/* Under a hostile umask the modes are still exact. */
	umask(0777);
	path_in(dir, sizeof(dir), "umask");
	path_in(path, sizeof(path), "umask/u.json");
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	umask(022);
	CHECK(mode_of(dir) == 0700);
	CHECK(mode_of(path) == 0600);

	/* Refused before anything is written. */
	sao_token_clear(&tok);
	sao_token_init(&tok);
	path_in(path, sizeof(path), "umask/none.json");
	CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_INTERNAL);
	CHECK(!exists(path));
	sao_error_clear(&err);
	fill_token(&tok, NULL, NULL);
	sao_secret_set(&tok.access_token, S("a\0b"), NULL);
	CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_PROTO);
	CHECK(!exists(path));
	/* A token the mechanisms would refuse is never cached. */
	for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
		sao_token_clear(&tok);
		fill_token(&tok, unusable[i].access, unusable[i].refresh);
		sao_error_clear(&err);
		CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_PROTO);
		CHECK_MSG(strstr(err.msg, unusable[i].why) != NULL, "%s", err.msg);
		CHECK(!exists(path));
	}

	sao_token_clear(&tok);
	sao_token_clear(&back);
}

static void test_lenient_reading(void)
{
	static const struct {
		const char *name;
		const char *text;
		int64_t expires_at;
		const char *access;
	} rows[] = {
		{ "numbers as strings, no format_version",
		  "{\"access_token\":\"at\",\"expires_at\":\"1700003600\",\"obtained_at\":\"5\"}", 1700003600, "at" },
		{ "refresh token only", "{\"refresh_token\":\"rt\",\"format_version\":1}", 0, "" },
		{ "unknown members ignored", "{\"access_token\":\"at\",\"future\":{\"x\":[1]},\"expires_at\":7}", 7, "at" },
		/* An older sasl-oauth cached tokens no mechanism sends: the access
		 * token is dropped (so it is refreshed), the refresh token kept. */
		{ "access token outside b64token", "{\"access_token\":\"ab,cd\",\"refresh_token\":\"rt\",\"expires_at\":9}", 9,
		  "" },
	};
	char path[PBUF];
	sao_token_t tok;
	sao_error_t err;

	path_in(path, sizeof(path), "state/sasl-oauth/lenient.json");
	sao_token_init(&tok);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK(put_file(path, rows[i].text, strlen(rows[i].text), 0600) == 0);
		sao_error_clear(&err);
		CHECK_MSG(sao_cache_read(path, &tok, &err) == SAO_OK, "%s: %s", rows[i].name, err.msg);
		CHECK_MSG(tok.expires_at == rows[i].expires_at, "%s", rows[i].name);
		CHECK_BYTES(tok.access_token.data, tok.access_token.len, rows[i].access, strlen(rows[i].access));
		CHECK(tok.format_version == 1);
	}
	unlink(path);
	sao_token_clear(&tok);
}

static void test_permissions(void)
{
	static const struct {
		mode_t file, dir;
		const char *word;
	} rows[] = {
		{ 0644, 0700, "readable" }, { 0640, 0700, "readable" },   { 0620, 0700, "writable" },
		{ 0601, 0700, "accessible" }, { 0600, 0755, "readable" }, { 0600, 0777, "writable" },
		{ 0600, 0711, "accessible" }, { 0600, 01777, "writable" },
	};
	static const char good[] = "{\"access_token\":\"at\"}";
	char dir[PBUF], path[PBUF], want[MBUF];
	sao_token_t tok;
	sao_error_t err;

	path_in(dir, sizeof(dir), "perm");
	path_in(path, sizeof(path), "perm/p.json");
	mkdir(dir, 0700);
	sao_token_init(&tok);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK(chmod(dir, rows[i].dir) == 0);
		CHECK(put_file(path, S(good), rows[i].file) == 0);
		sao_error_clear(&err);
		CHECK_MSG(sao_cache_read(path, &tok, &err) == SAO_ERR_PERM, "row %zu", i);
		if (rows[i].file != 0600)
			snprintf(want, sizeof(want), "cache file '%s' is %s by group or others (mode %04o); run: chmod 600 %s",
			         path, rows[i].word, (unsigned)rows[i].file, path);
		else
			snprintf(want, sizeof(want),
			         "cache directory '%s' is %s by group or others (mode %04o); run: chmod 700 %s", dir,
			         rows[i].word, (unsigned)rows[i].dir, dir);
		CHECK_MSG(strcmp(err.msg, want) == 0, "row %zu:\n  got  %s\n  want %s", i, err.msg, want);
		CHECK(tok.access_token.len == 0);
		/* refused files are never moved */
		CHECK(exists(path) && count_prefix(dir, "p.json.corrupt", NULL, 0) == 0);
	}
	CHECK(chmod(dir, 0700) == 0);
	CHECK(put_file(path, S(good), 0600) == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_read(path, &tok, &err) == SAO_OK, "%s", err.msg);

	/* A dir that is not 0700 is refused for writing too. */
	CHECK(chmod(dir, 0755) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_PERM);
	CHECK(strstr(err.msg, "run: chmod 700") != NULL);
	CHECK(chmod(dir, 0700) == 0);
	sao_token_clear(&tok);
}

static void test_not_a_file(void)
{
	char dir[PBUF], path[PBUF], target[PBUF], want[MBUF];
	sao_token_t tok;
	sao_error_t err;

	path_in(dir, sizeof(dir), "odd");
	path_in(path, sizeof(path), "odd/work.json");
	path_in(target, sizeof(target), "odd/real.json");
	mkdir(dir, 0700);
	sao_token_init(&tok);

	/* symbolic link to a perfectly good file */
	CHECK(put_file(target, S("{\"access_token\":\"at\"}"), 0600) == 0);
	CHECK(symlink(target, path) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_PERM);
	snprintf(want, sizeof(want),
	         "cache file '%s' is a symbolic link; token files are not read through links; "
	         "replace the link by the file itself or set cache = to the real path (account work)",
	         path);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
	/* ... and a write replaces the link, never writes through it. */
	fill_token(&tok, "new", NULL);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	{
		struct stat st;

		CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	}
	{
		char buf[100];
		ssize_t n = get_file(target, buf, sizeof(buf));

		CHECK_BYTES(buf, n > 0 ? (size_t)n : 0, "{\"access_token\":\"at\"}", 21);
	}
	unlink(path);

	/* a FIFO must not hang the reader */
	CHECK(mkfifo(path, 0600) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_PERM);
	snprintf(want, sizeof(want), "cache file '%s' is not a regular file; remove it and run: sasl-oauth login work", path);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
	unlink(path);

	/* a directory */
	CHECK(mkdir(path, 0700) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_PERM);
	rmdir(path);

	/* missing: NOTFOUND, and the caller words the message */
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_NOTFOUND);
	CHECK(err.code == SAO_OK && err.msg[0] == '\0');
	path_in(target, sizeof(target), "no/such/dir/work.json");
	CHECK(sao_cache_read(target, &tok, &err) == SAO_ERR_NOTFOUND);
	CHECK(!exists(dir) || count_prefix(dir, "work.json", NULL, 0) == 0);
	sao_token_clear(&tok);
}

static void test_corrupt(void)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len;
		const char *why;
		const char *account;
	} rows[] = {
		{ "truncated", S("{\"access_token\": \"abc"), "the file is not valid JSON: it ends early, at byte 21",
		  "work" },
		{ "empty", S(""), "the file is empty, not a JSON object", "work" },
		{ "garbage", S("\x7f" "ELF\x02\x01"), "the file is not valid JSON: unexpected character at byte 0", "work" },
		{ "NUL byte", S("{\"access_token\":\"a\"}\0\0\0"), "the file is not valid JSON: a NUL byte at byte 20",
		  "work" },
		{ "array", S("[\"access_token\"]"), "the file is JSON but not an object: its top level is of type array",
		  "work" },
		{ "no token at all", S("{\"account\":\"other\",\"scope\":\"x\"}"),
		  "it holds neither an access token nor a refresh token", "other" },
		{ "token with NUL", S("{\"access_token\":\"a\\u0000b\"}"), "'access_token' contains a NUL byte", "work" },
		{ "refresh token with a space", S("{\"access_token\":\"a\",\"refresh_token\":\"r t\"}"),
		  "'refresh_token' holds spaces or control bytes", "work" },
		{ "account with NUL", S("{\"access_token\":\"a\",\"account\":\"x\\u0000y\"}"), "'account' contains a NUL byte",
		  "work" },
		{ "format_version 0", S("{\"access_token\":\"a\",\"format_version\":0}"), "'format_version' is 0", "work" },
		{ "odd account name not echoed", S("{\"account\":\"a b;rm\",\"scope\":\"x\"}"),
		  "it holds neither an access token nor a refresh token", "work" },
	};
	char dir[PBUF], path[PBUF], kept[PBUF], want[MBUF], buf[200];
	sao_token_t tok;
	sao_error_t err;

	path_in(dir, sizeof(dir), "corrupt");
	path_in(path, sizeof(path), "corrupt/work.json");
	mkdir(dir, 0700);
	sao_token_init(&tok);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ssize_t n;

		remove_prefix(dir, "work.json.corrupt");
		CHECK(put_file(path, rows[i].text, rows[i].len, 0600) == 0);
		sao_error_clear(&err);
		CHECK_MSG(sao_cache_read(path, &tok, &err) == SAO_ERR_CORRUPT, "%s: %s", rows[i].name, err.msg);
		CHECK_MSG(!exists(path), "%s: original still there", rows[i].name);
		CHECK_MSG(count_prefix(dir, "work.json.corrupt.", kept, sizeof(kept)) == 1, "%s", rows[i].name);
		n = get_file(kept, buf, sizeof(buf));
		CHECK_BYTES(buf, n > 0 ? (size_t)n : 0, rows[i].text, rows[i].len);
		CHECK_MSG(mode_of(kept) == 0600, "%s", rows[i].name);
		snprintf(want, sizeof(want), "cache file '%s' is corrupt (%s); it was kept as '%s'; run: sasl-oauth login %s",
		         path, rows[i].why, kept, rows[i].account);
		CHECK_MSG(strcmp(err.msg, want) == 0, "%s:\n  got  %s\n  want %s", rows[i].name, err.msg, want);
		CHECK(tok.access_token.len == 0 && tok.account == NULL);
	}

	/* Two corrupt files in a row: the first is never overwritten. */
	remove_prefix(dir, "work.json.corrupt");
	CHECK(put_file(path, S("one"), 0600) == 0);
	CHECK(sao_cache_read(path, &tok, NULL) == SAO_ERR_CORRUPT);
	CHECK(put_file(path, S("two"), 0600) == 0);
	CHECK(sao_cache_read(path, &tok, NULL) == SAO_ERR_CORRUPT);
	CHECK(count_prefix(dir, "work.json.corrupt.", NULL, 0) == 2);

	/* Another process holds the writer lock: a copy is kept, the file
	 * stays where it is for that writer to replace. */
	remove_prefix(dir, "work.json.corrupt");
	{
		int lock_fd = -1;

		CHECK(sao_cache_lock(path, 1000, &lock_fd, NULL) == SAO_OK);
		CHECK(put_file(path, S("{\"broken\""), 0600) == 0);
		sao_error_clear(&err);
		CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_CORRUPT);
		CHECK(exists(path));
		CHECK(count_prefix(dir, "work.json.corrupt.", kept, sizeof(kept)) == 1);
		snprintf(want, sizeof(want),
		         "cache file '%s' is corrupt (the file is not valid JSON: it ends early, at byte 9); a copy was kept "
		         "as '%s' (the file itself could not be moved); run: sasl-oauth login work",
		         path, kept);
		CHECK_MSG(strcmp(err.msg, want) == 0, "\n  got  %s\n  want %s", err.msg, want);
		CHECK_BYTES(buf, (size_t)get_file(kept, buf, sizeof(buf)), "{\"broken\"", 9);
		sao_cache_unlock(&lock_fd);
		CHECK(lock_fd == -1);
	}
	remove_prefix(dir, "work.json");
	sao_token_clear(&tok);
}

static void test_format_version(void)
{
	static const char text[] = "{\"access_token\":\"at\",\"format_version\":2}";
	char dir[PBUF], path[PBUF], want[MBUF];
	sao_token_t tok;
	sao_error_t err;

	path_in(dir, sizeof(dir), "corrupt");
	path_in(path, sizeof(path), "corrupt/v2.json");
	CHECK(put_file(path, S(text), 0600) == 0);
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_CONFIG);
	snprintf(want, sizeof(want),
	         "cache file '%s' has format_version 2; this sasl-oauth understands 1; upgrade sasl-oauth", path);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
	CHECK(exists(path) && count_prefix(dir, "v2.json.corrupt", NULL, 0) == 0);
	CHECK(tok.access_token.len == 0);
	unlink(path);
	sao_token_clear(&tok);
}

static void test_limits(void)
{
	char path[PBUF], want[MBUF];
	static char big[SAO_CACHE_FILE_MAX + 2];
	sao_token_t tok;
	sao_error_t err;
	size_t n;

	path_in(path, sizeof(path), "corrupt/big.json");
	sao_token_init(&tok);

	/* a file over the cap: refused, not moved (it is no cache at all) */
	memset(big, ' ', sizeof(big));
	CHECK(put_file(path, big, SAO_CACHE_FILE_MAX + 1, 0600) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_TOOBIG);
	snprintf(want, sizeof(want),
	         "cache file '%s' is larger than %d bytes, so it is no token cache; move it away and run: sasl-oauth "
	         "login big",
	         path, SAO_CACHE_FILE_MAX);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
	CHECK(exists(path));

	/* a token over SAO_TOKEN_MAX inside a small enough file: corrupt */
	memcpy(big, "{\"access_token\":\"", 17);
	n = 17;
	memset(big + n, 'x', SAO_TOKEN_MAX + 1);
	n += SAO_TOKEN_MAX + 1;
	memcpy(big + n, "\"}", 2);
	n += 2;
	CHECK(put_file(path, big, n, 0600) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_CORRUPT);
	snprintf(want, sizeof(want), "('access_token' is %d bytes, more than the limit of %d)", SAO_TOKEN_MAX + 1,
	         SAO_TOKEN_MAX);
	CHECK_MSG(strstr(err.msg, want) != NULL, "%s", err.msg);
	CHECK(!exists(path));
	{
		char dir[PBUF];

		path_in(dir, sizeof(dir), "corrupt");
		remove_prefix(dir, "big.json");
	}
	sao_token_clear(&tok);
}

static void test_write_failure(void)
{
	char file[XBUF], path[PBUF], dir[PBUF], want[MBUF], buf[1000];
	struct rlimit old, lim;
	sao_token_t tok, back;
	sao_error_t err;
	static char big[20001];
	ssize_t n;

	sao_token_init(&back);
	/* A path component is a regular file: nothing can be created. */
	path_in(file, sizeof(file), "plainfile");
	CHECK(put_file(file, S("x"), 0600) == 0);
	path_in(path, sizeof(path), "plainfile/sub/work.json");
	fill_token(&tok, "at", "rt");
	sao_error_clear(&err);
	CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_IO);
	path_in(dir, sizeof(dir), "plainfile/sub");
	snprintf(want, sizeof(want), "cannot use cache directory '%s': Not a directory; fix the cache path", dir);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
	sao_error_clear(&err);
	CHECK(sao_cache_lock(path, 100, &(int){ 0 }, &err) == SAO_ERR_IO);
	unlink(file);

	/* The write itself fails half-way (RLIMIT_FSIZE stands in for a full
	 * disk, which root cannot otherwise be given): the old cache stays
	 * byte for byte, no temp file is left, the message says so. */
	path_in(dir, sizeof(dir), "full");
	path_in(path, sizeof(path), "full/work.json");
	CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	n = get_file(path, buf, sizeof(buf));
	CHECK(n > 0);
	memset(big, 'T', 20000);
	sao_secret_set(&tok.access_token, big, 20000, NULL);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 4096;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_write(path, &tok, &err) == SAO_ERR_IO);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(want, sizeof(want),
	         "could not write cache file '%s' (writing '%s.tmp.%ld': File too large); the previous cache is intact; "
	         "fix the cause and retry",
	         path, path, (long)getpid());
	CHECK_MSG(strcmp(err.msg, want) == 0, "\n  got  %s\n  want %s", err.msg, want);
	CHECK(count_prefix(dir, "work.json.tmp", NULL, 0) == 0);
	{
		char now[1000];
		ssize_t m = get_file(path, now, sizeof(now));

		CHECK_BYTES(now, m > 0 ? (size_t)m : 0, buf, n > 0 ? (size_t)n : 0);
	}
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK);
	CHECK_BYTES(back.access_token.data, back.access_token.len, "at", 2);
	CHECK_BYTES(back.refresh_token.data, back.refresh_token.len, "rt", 2);

	/* A stale temp file with our pid (a crashed writer) is replaced. */
	snprintf(file, sizeof(file), "%s.tmp.%ld", path, (long)getpid());
	CHECK(put_file(file, S("stale"), 0644) == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	CHECK(!exists(file));
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK && back.access_token.len == 20000);
	sao_token_clear(&tok);
	sao_token_clear(&back);
}

static void test_lock(void)
{
	char path[PBUF], lockpath[XBUF], want[MBUF];
	int ready[2], release[2];
	sao_error_t err;
	struct timespec t0, t1;
	long ms;
	pid_t pid;
	int fd = 123;
	int status = 0;
	char c = 0;

	path_in(path, sizeof(path), "lock/work.json");
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	CHECK(pipe(ready) == 0 && pipe(release) == 0);
	pid = fork();
	if (pid == 0) {
		int cfd = -1;

		close(ready[0]);
		close(release[1]);
		if (sao_cache_lock(path, 1000, &cfd, NULL) != SAO_OK)
			_exit(2);
		if (write(ready[1], "L", 1) != 1)
			_exit(3);
		/* hold until the parent says so (or it dies) */
		if (read(release[0], &c, 1) < 0)
			_exit(4);
		sao_cache_unlock(&cfd);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	CHECK(pid > 0 && read(ready[0], &c, 1) == 1 && c == 'L');

	/* The directory was created by the lock (first login). */
	{
		char dir[PBUF];

		path_in(dir, sizeof(dir), "lock");
		CHECK(mode_of(dir) == 0700);
	}
	CHECK(mode_of(lockpath) == 0600);

	sao_error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(sao_cache_lock(path, 300, &fd, &err) == SAO_ERR_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_MSG(ms >= 290 && ms < 1500, "waited %ld ms", ms);
	CHECK(fd == -1);
	snprintf(want, sizeof(want),
	         "another process holds the lock on '%s' for more than 300 ms; retry later, or find the holder with: "
	         "fuser -v %s",
	         lockpath, lockpath);
	CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);

	/* Released while we wait: we get it. */
	CHECK(write(release[1], "R", 1) == 1);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_lock(path, 3000, &fd, &err) == SAO_OK, "%s", err.msg);
	CHECK(fd >= 0);
	sao_cache_unlock(&fd);
	CHECK(fd == -1);
	sao_cache_unlock(&fd); /* harmless twice */
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);

	/* A reader waits a while for an exclusive lock on the file itself,
	 * then names it and how to find the holder. */
	{
		sao_token_t tok;
		int xfd;

		fill_token(&tok, "at", NULL);
		CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
		xfd = open(path, O_RDONLY | O_CLOEXEC);
		CHECK(xfd >= 0 && flock(xfd, LOCK_EX) == 0);
		sao_error_clear(&err);
		CHECK(sao_cache_read(path, &tok, &err) == SAO_ERR_TIMEOUT);
		snprintf(want, sizeof(want),
		         "another process holds the lock on '%s' for more than 2000 ms; retry later, or find the holder "
		         "with: fuser -v %s",
		         path, path);
		CHECK_MSG(strcmp(err.msg, want) == 0, "%s", err.msg);
		CHECK(tok.access_token.len == 0);
		close(xfd);
		CHECK(sao_cache_read(path, &tok, NULL) == SAO_OK && tok.access_token.len == 2);
		sao_token_clear(&tok);
	}
	close(release[1]);

	/* A symbolic link in place of the lock file is refused. */
	unlink(lockpath);
	CHECK(symlink("/etc/passwd", lockpath) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_lock(path, 100, &fd, &err) == SAO_ERR_PERM);
	CHECK(strstr(err.msg, "is a symbolic link") != NULL);
	unlink(lockpath);
}

static void test_mark_rejected(void)
{
	char path[PBUF];
	sao_token_t tok, back;
	sao_secret_t other;
	sao_error_t err;

	path_in(path, sizeof(path), "reject/work.json");
	fill_token(&tok, "token-A", "refresh-A");
	tok.scope = dup_str("s");
	sao_token_init(&back);
	sao_secret_init(&other, SAO_TOKEN_MAX);
	sao_secret_set(&other, S("token-B"), NULL);

	/* No cache: nothing to mark. */
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_mark_rejected(path, &tok.access_token, 1234, "status 401", &err) == SAO_OK, "%s", err.msg);
	CHECK(!exists(path));

	CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	/* A different (rotated) token: untouched. */
	CHECK(sao_cache_mark_rejected(path, &other, 1234, "x", &err) == SAO_OK);
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK && back.rejected_at == 0);
	/* The same token: marked; everything else kept. */
	CHECK(sao_cache_mark_rejected(path, &tok.access_token, 1234, "status 401", &err) == SAO_OK);
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK && back.rejected_at == 1234);
	CHECK(back.rejected_reason != NULL && strcmp(back.rejected_reason, "status 401") == 0);
	CHECK(sao_secret_equal(&back.refresh_token, &tok.refresh_token) && back.expires_at == 1700003600);
	CHECK(back.scope != NULL && strcmp(back.scope, "s") == 0);
	CHECK(mode_of(path) == 0600);
	/* Already marked: the first time is kept. */
	CHECK(sao_cache_mark_rejected(path, &tok.access_token, 5678, "later", &err) == SAO_OK);
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK && back.rejected_at == 1234);
	CHECK(back.rejected_reason != NULL && strcmp(back.rejected_reason, "status 401") == 0);
	CHECK(err.code == SAO_OK);

	/* A corrupt file met under our own lock is moved aside, not copied. */
	CHECK(put_file(path, S("{oops"), 0600) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_mark_rejected(path, &tok.access_token, 1, "x", &err) == SAO_ERR_CORRUPT);
	CHECK(strstr(err.msg, "; it was kept as '") != NULL);
	CHECK(!exists(path));

	sao_secret_clear(&other);
	sao_token_clear(&tok);
	sao_token_clear(&back);
}

/* Root keeping a daemon user's cache fresh must leave the files to that
 * user. Needs root and a "nobody" account; skipped otherwise. */
static void test_owner(void)
{
	char dir[PBUF], path[PBUF], lockpath[XBUF], want[MBUF];
	struct passwd *pw = getpwnam("nobody");
	sao_token_t tok;
	sao_error_t err;
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd = -1;

	if (geteuid() != 0 || pw == NULL) {
		test_skip("needs root and a user 'nobody'");
		return;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	path_in(dir, sizeof(dir), "owner");
	path_in(path, sizeof(path), "owner/daemon.json");
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	fill_token(&tok, "at", "rt");

	/* Existing file owned by the daemon user: stays theirs. */
	CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	CHECK(chown(path, uid, gid) == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	CHECK(stat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid && (st.st_mode & 07777) == 0600);

	/* Root reads it (sasl-oauth refresh --all run as root for postfix),
	 * in a directory that belongs to the daemon user too. */
	CHECK(chown(dir, uid, gid) == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_read(path, &tok, &err) == SAO_OK, "%s", err.msg);
	CHECK(tok.access_token.len == 2);
	sao_token_clear(&tok);

	/* The daemon user cannot read a cache root made in a root directory;
	 * the message names the chown that fixes it, never "chown 0". */
	CHECK(chown(dir, 0, 0) == 0);
	CHECK(chown(path, 0, 0) == 0);
	{
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			sao_token_t t;
			sao_error_t e;

			sao_token_init(&t);
			sao_error_clear(&e);
			if (setgid(gid) != 0 || setuid(uid) != 0)
				_exit(2);
			if (sao_cache_read(path, &t, &e) != SAO_ERR_PERM)
				_exit(3);
			snprintf(want, sizeof(want), "; as root run: chown -R %u %s", (unsigned)uid, dir);
			if (strstr(e.msg, want) == NULL || strstr(e.msg, "chown 0") != NULL)
				_exit(4);
			_exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unreadable cache: child status %d", status);
	}

	/* New files in the daemon user's directory go to that user, the lock
	 * file too, and the user can then read the cache. */
	unlink(path);
	CHECK(chown(dir, uid, gid) == 0);
	CHECK(chmod(base, 0711) == 0);
	fill_token(&tok, "at2", "rt2");
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_lock(path, 1000, &fd, &err) == SAO_OK, "%s", err.msg);
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	sao_cache_unlock(&fd);
	CHECK(stat(path, &st) == 0 && st.st_uid == uid);
	CHECK(stat(lockpath, &st) == 0 && st.st_uid == uid);
	{
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			sao_token_t t;

			sao_token_init(&t);
			if (setgid(gid) != 0 || setuid(uid) != 0)
				_exit(2);
			if (sao_cache_read(path, &t, NULL) != SAO_OK || t.access_token.len != 3)
				_exit(3);
			if (sao_cache_mark_rejected(path, &t.access_token, 99, "x", NULL) != SAO_OK)
				_exit(6);
			sao_token_clear(&t);
			_exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	}
	CHECK(stat(path, &st) == 0 && st.st_uid == uid);
	CHECK(chmod(base, 0700) == 0);
	sao_token_clear(&tok);
}

/* sao_cache_remove (forget): the tokens come back to the caller, the file
 * goes; nothing cached is SAO_ERR_NOTFOUND without a message (the caller
 * words it); a corrupt file is kept aside, not deleted, under the lock the
 * remover already holds. */
static void test_remove(void)
{
	char dir[PBUF], path[PBUF], name[PBUF];
	sao_token_t tok, back;
	sao_error_t err;

	path_in(dir, sizeof(dir), "remove");
	path_in(path, sizeof(path), "remove/work.json");
	fill_token(&tok, "access-1", "0.Arefresh-1");
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_write(path, &tok, &err) == SAO_OK, "%s", err.msg);
	sao_token_init(&back);
	CHECK_MSG(sao_cache_remove(path, &back, &err) == SAO_OK, "%s", err.msg);
	CHECK(!exists(path));
	CHECK(sao_secret_equal(&back.refresh_token, &tok.refresh_token));
	sao_token_clear(&back);
	CHECK(sao_cache_remove(path, &back, &err) == SAO_ERR_NOTFOUND && err.msg[0] == '\0');
	CHECK(put_file(path, "{\"access_token\": \"abc", 21, 0600) == 0);
	CHECK(sao_cache_remove(path, &back, &err) == SAO_ERR_CORRUPT);
	CHECK_MSG(strstr(err.msg, "kept") != NULL || strstr(err.msg, "moved") != NULL, "%s", err.msg);
	CHECK(!exists(path) && count_prefix(dir, "work.json.corrupt.", name, sizeof(name)) == 1);
	sao_token_clear(&back);
	sao_token_clear(&tok);
}

/* Issue 13, defects 1 and 8: what killed writers left. Taking the writer
 * lock adopts a complete temporary file newer than the cache (with strict
 * rotation its refresh token is the only one that works) and removes the
 * others: incomplete, older, empty. */
static void test_leftovers(void)
{
	char dir[PBUF], path[PBUF], tmp[XBUF], other[XBUF];
	sao_token_t tok, back;
	sao_error_t err;
	int fd = -1;

	path_in(dir, sizeof(dir), "leftover");
	path_in(path, sizeof(path), "leftover/work.json");
	fill_token(&tok, "at-old", "rt-old");
	tok.obtained_at = tok.refresh_obtained_at = 100;
	CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	sao_token_clear(&tok);
	/* complete and newer: the answer a killed writer had stored */
	path_in(other, sizeof(other), "leftover/newer.json");
	fill_token(&tok, "at-new", "rt-new");
	tok.obtained_at = tok.refresh_obtained_at = 200;
	CHECK(sao_cache_write(other, &tok, NULL) == SAO_OK);
	snprintf(tmp, sizeof(tmp), "%s.tmp.4194301", path);
	CHECK(rename(other, tmp) == 0);
	sao_token_clear(&tok);
	/* complete but older */
	fill_token(&tok, "at-older", "rt-older");
	tok.obtained_at = tok.refresh_obtained_at = 50;
	CHECK(sao_cache_write(other, &tok, NULL) == SAO_OK);
	snprintf(tmp, sizeof(tmp), "%s.tmp.4194302", path);
	CHECK(rename(other, tmp) == 0);
	sao_token_clear(&tok);
	/* killed while writing, and killed before writing (reserved, empty) */
	snprintf(tmp, sizeof(tmp), "%s.tmp.4194303", path);
	CHECK(put_file(tmp, S("{\"access_token\": \"at-half"), 0600) == 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp.4194304", path);
	CHECK(put_file(tmp, "", 0, 0600) == 0);
	CHECK(count_prefix(dir, "work.json.tmp.", NULL, 0) == 4);

	sao_error_clear(&err);
	CHECK_MSG(sao_cache_lock(path, 1000, &fd, &err) == SAO_OK, "%s", err.msg);
	sao_cache_unlock(&fd);
	CHECK(count_prefix(dir, "work.json.tmp.", NULL, 0) == 0);
	sao_token_init(&back);
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK);
	CHECK_BYTES(back.refresh_token.data, back.refresh_token.len, "rt-new", 6);
	CHECK_BYTES(back.access_token.data, back.access_token.len, "at-new", 6);
	CHECK(mode_of(path) == 0600);
	sao_token_clear(&back);

	/* Killed in the same second as the refresh before it: still the newer. */
	fill_token(&tok, "at-same", "rt-same");
	tok.obtained_at = tok.refresh_obtained_at = 200;
	CHECK(sao_cache_write(other, &tok, NULL) == SAO_OK);
	snprintf(tmp, sizeof(tmp), "%s.tmp.4194305", path);
	CHECK(rename(other, tmp) == 0);
	sao_token_clear(&tok);
	CHECK(sao_cache_lock(path, 1000, &fd, NULL) == SAO_OK);
	sao_cache_unlock(&fd);
	sao_token_init(&back);
	CHECK(sao_cache_read(path, &back, NULL) == SAO_OK);
	CHECK_BYTES(back.refresh_token.data, back.refresh_token.len, "rt-same", 7);
	CHECK(count_prefix(dir, "work.json.tmp.", NULL, 0) == 0);
	sao_token_clear(&back);
}

/* Issue 13, defect 2: root must not give away a lock file it did not
 * create: neither one planted in a daemon user's directory nor, through a
 * hard link, a file elsewhere. */
static void test_lock_planted(void)
{
	char dir[PBUF], path[PBUF], lockpath[XBUF], target[PBUF];
	struct passwd *pw = getpwnam("nobody");
	sao_error_t err;
	struct stat st;
	int fd = -1;

	if (geteuid() != 0 || pw == NULL) {
		test_skip("needs root and a user 'nobody'");
		return;
	}
	path_in(dir, sizeof(dir), "planted");
	path_in(path, sizeof(path), "planted/daemon.json");
	path_in(target, sizeof(target), "planted-target");
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	CHECK(test_mkdirs(dir) == 0);
	CHECK(chmod(dir, 0700) == 0 && chown(dir, pw->pw_uid, pw->pw_gid) == 0);
	CHECK(put_file(target, S("root's file\n"), 0644) == 0);

	/* A hard link to root's file: refused, the file keeps its owner. */
	CHECK(link(target, lockpath) == 0);
	sao_error_clear(&err);
	CHECK(sao_cache_lock(path, 1000, &fd, &err) == SAO_ERR_PERM);
	sao_cache_unlock(&fd);
	CHECK_MSG(strstr(err.msg, "other hard links") != NULL, "%s", err.msg);
	CHECK(stat(target, &st) == 0 && st.st_uid == 0);
	CHECK(unlink(lockpath) == 0);

	/* A lock file root finds there: used, not given away. */
	CHECK(put_file(lockpath, "", 0, 0600) == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_lock(path, 1000, &fd, &err) == SAO_OK, "%s", err.msg);
	sao_cache_unlock(&fd);
	CHECK(stat(lockpath, &st) == 0 && st.st_uid == 0);
	CHECK(unlink(lockpath) == 0);

	/* One this call creates goes to the directory's owner, as before. */
	sao_error_clear(&err);
	CHECK_MSG(sao_cache_lock(path, 1000, &fd, &err) == SAO_OK, "%s", err.msg);
	sao_cache_unlock(&fd);
	CHECK(stat(lockpath, &st) == 0 && st.st_uid == pw->pw_uid);
}

int main(void)
{
	base = test_dir_init("test-cache");
	test_run("round trip", test_round_trip);
	test_run("lenient reading", test_lenient_reading);
	test_run("permissions", test_permissions);
	test_run("not a regular file", test_not_a_file);
	test_run("corrupt files", test_corrupt);
	test_run("format version", test_format_version);
	test_run("limits", test_limits);
	test_run("write failures", test_write_failure);
	test_run("the lock", test_lock);
	test_run("marking a token rejected", test_mark_rejected);
	test_run("removing a cache (forget)", test_remove);
	test_run("owner of a daemon user's cache", test_owner);
	test_run("what killed writers left", test_leftovers);
	test_run("a planted lock file", test_lock_planted);
	test_dir_done();
	return check_done("test-cache");
}
