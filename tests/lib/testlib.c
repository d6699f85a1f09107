/* SPDX-License-Identifier: MIT */
/* testlib: checks, sub-cases and files for the C tests (see testlib.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#ifndef SAO_TEST_PLUGINDIR
#error "SAO_TEST_PLUGINDIR (the built plugin's directory) comes from Makefile.am"
#endif
#ifndef SAO_SYSTEM_PLUGINDIR
#error "SAO_SYSTEM_PLUGINDIR (libsasl2's plugin directory) comes from Makefile.am"
#endif

int check_failures;
int check_count;

static int sub_number;
static int sub_skipped;
static char sub_reason[256];
static char dir_path[256];

/* ---- checks ------------------------------------------------------------ */

void check_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	check_failures++;
	fprintf(stderr, "%s:%d: check failed: %s", file, line, cond);
	if (fmt != NULL) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
}

static void check_dump(const char *label, const unsigned char *p, size_t n)
{
	fprintf(stderr, "  %s (%zu): \"", label, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	}
	fputs("\"\n", stderr);
}

void check_bytes(const char *file, int line, const void *got, size_t gotlen, const void *want, size_t wantlen)
{
	check_count++;
	if (gotlen == wantlen && (wantlen == 0 || memcmp(got, want, wantlen) == 0))
		return;
	check_failures++;
	fprintf(stderr, "%s:%d: bytes differ\n", file, line);
	check_dump("got ", got, gotlen);
	check_dump("want", want, wantlen);
}

int check_done(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
	fflush(stdout);
	return check_failures == 0 ? 0 : 1;
}

/* ---- sub-cases --------------------------------------------------------- */

void test_run(const char *name, void (*fn)(void))
{
	int before = check_failures;

	/* Result lines and check messages interleave in the log in order. */
	if (sub_number == 0)
		setvbuf(stdout, NULL, _IOLBF, 0);
	sub_number++;
	sub_skipped = 0;
	sub_reason[0] = '\0';
	fn();
	if (check_failures != before)
		printf("not ok %d - %s\n", sub_number, name);
	else if (sub_skipped)
		printf("ok %d - %s # SKIP %s\n", sub_number, name, sub_reason);
	else
		printf("ok %d - %s\n", sub_number, name);
	fflush(stdout);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	sub_skipped = 1;
	va_start(ap, fmt);
	vsnprintf(sub_reason, sizeof(sub_reason), fmt, ap);
	va_end(ap);
	/* One line: the driver reads up to the end of it. */
	for (char *p = sub_reason; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
}

/* ---- files ------------------------------------------------------------- */

const char *test_dir_init(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	/* Short paths: some tests append long names and lock suffixes. */
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 64)
		tmp = "/tmp";
	snprintf(dir_path, sizeof(dir_path), "%s/sao-%s-XXXXXX", tmp, name);
	if (mkdtemp(dir_path) == NULL || chmod(dir_path, 0700) != 0) {
		fprintf(stderr, "%s: cannot make a test directory in %s: %s\n", name, tmp, strerror(errno));
		exit(99);
	}
	return dir_path;
}

const char *test_dir(void)
{
	return dir_path[0] != '\0' ? dir_path : NULL;
}

void test_dir_done(void)
{
	if (dir_path[0] == '\0')
		return;
	if (check_failures != 0)
		fprintf(stderr, "files kept in %s\n", dir_path);
	else if (test_rm_tree(dir_path) != 0)
		fprintf(stderr, "could not remove %s: %s\n", dir_path, strerror(errno));
	dir_path[0] = '\0';
}

char *test_path(char *buf, size_t size, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", dir_path, rel);

	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "test path too long: %s/%s\n", dir_path, rel);
		exit(99);
	}
	return buf;
}

int test_write_file(const char *path, mode_t mode, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;
	int ok;

	if (fd < 0)
		return -1;
	w = len > 0 ? write(fd, data, len) : 0;
	ok = w >= 0 && (size_t)w == len;
	ok = close(fd) == 0 && ok;
	/* chmod, not the umask, decides the mode under test. */
	return ok && chmod(path, mode) == 0 ? 0 : -1;
}

int test_write_text(const char *path, mode_t mode, const char *text)
{
	return test_write_file(path, mode, text, strlen(text));
}

const char *test_read_text(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int test_mkdirs(const char *path)
{
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int test_rm_tree(const char *path)
{
	struct stat st;
	struct dirent *e;
	char sub[1024];
	DIR *d;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	/* A test may leave a directory without search permission. */
	if ((st.st_mode & 0700) != 0700)
		chmod(path, 0700);
	d = opendir(path);
	if (d == NULL)
		return -1;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < (int)sizeof(sub))
			test_rm_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

void test_subst(const char *in, char *out, size_t size, const char *const *pairs)
{
	size_t o = 0;

	while (*in != '\0' && o + 1 < size) {
		const char *with = NULL;
		size_t keylen = 0;

		if (strncmp(in, "@D@", 3) == 0) {
			with = dir_path;
			keylen = 3;
		}
		for (size_t i = 0; with == NULL && pairs != NULL && pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
			if (strncmp(in, pairs[i], strlen(pairs[i])) == 0) {
				with = pairs[i + 1];
				keylen = strlen(pairs[i]);
			}
		}
		if (with != NULL) {
			size_t n = strlen(with);

			if (o + n + 1 > size)
				break;
			memcpy(out + o, with, n);
			o += n;
			in += keylen;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

/* ---- a private SASL plugin directory ----------------------------------- */

static int link_into(const char *dir, const char *from_dir, const char *name)
{
	char from[1024], to[1024];

	snprintf(from, sizeof(from), "%s/%s", from_dir, name);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	if (access(from, R_OK) != 0) {
		check_fail(__FILE__, __LINE__, "plugin exists", "%s: %s", from, strerror(errno));
		return -1;
	}
	unlink(to);
	if (symlink(from, to) != 0) {
		check_fail(__FILE__, __LINE__, "symlink", "%s: %s", to, strerror(errno));
		return -1;
	}
	return 0;
}

const char *test_plugin_dir(const char *const *system_plugins)
{
	static char plugins[sizeof(dir_path) + 16];

	check_count++;
	if (dir_path[0] == '\0') {
		check_fail(__FILE__, __LINE__, "test_dir_init() first", NULL);
		return NULL;
	}
	snprintf(plugins, sizeof(plugins), "%s/plugins", dir_path);
	if (test_mkdirs(plugins) != 0) {
		check_fail(__FILE__, __LINE__, "mkdir", "%s: %s", plugins, strerror(errno));
		return NULL;
	}
	if (link_into(plugins, SAO_TEST_PLUGINDIR, "libsasl-oauth.so") != 0)
		return NULL;
	for (size_t i = 0; system_plugins != NULL && system_plugins[i] != NULL; i++)
		if (link_into(plugins, SAO_SYSTEM_PLUGINDIR, system_plugins[i]) != 0)
			return NULL;
	return plugins;
}
