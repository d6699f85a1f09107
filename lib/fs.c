/* SPDX-License-Identifier: MIT */
/*
 * fs: directory helpers (fs.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sasl-oauth/fs.h"

int sao_fs_dirname(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (size < 2)
			return 0;
		memcpy(buf, ".", 2);
		return 1;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return 0;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 1;
}

sao_err_t sao_fs_mkdirs(const char *dir, mode_t mode, const char *what, sao_error_t *err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return sao_error_set(err, SAO_ERR_IO, "%s path '%s' is empty or too long", what, dir);
	memcpy(path, dir, len + 1);
	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		path[i] = '\0';
		if (stat(path, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return sao_error_set(err, SAO_ERR_IO, "%s '%s': '%s' is not a directory; fix the path", what,
				                     dir, path);
		} else if (errno != ENOENT) {
			return sao_error_set(err, SAO_ERR_IO, "cannot use %s '%s': '%s': %s", what, dir, path,
			                     strerror(errno));
		} else if (mkdir(path, mode) != 0 && errno != EEXIST) {
			return sao_error_set(err, SAO_ERR_IO, "cannot create %s '%s': %s; create it with: mkdir -m %o -p %s",
			                     what, path, strerror(errno), (unsigned)mode, dir);
		} else if (chmod(path, mode) != 0) {
			/* The umask may have taken bits away; never adds any. */
			return sao_error_set(err, SAO_ERR_IO, "cannot set mode %04o on new %s '%s': %s", (unsigned)mode,
			                     what, path, strerror(errno));
		}
		if (i < len)
			path[i] = '/';
	}
	return SAO_OK;
}

int sao_text_put(sao_text_t *t, const char *s, size_t n)
{
	char *grown;
	size_t c;

	if (n > SIZE_MAX / 2 - t->len - 1)
		return 0;
	if (t->len + n + 1 > t->cap) {
		for (c = t->cap < 256 ? 256 : t->cap; c < t->len + n + 1;)
			c *= 2;
		grown = realloc(t->p, c);
		if (grown == NULL)
			return 0;
		t->p = grown;
		t->cap = c;
	}
	if (n > 0)
		memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 1;
}

int sao_text_puts(sao_text_t *t, const char *s)
{
	return sao_text_put(t, s, strlen(s));
}

sao_err_t sao_fs_read_fd(int fd, const char *path, size_t max, sao_text_t *t, sao_error_t *err)
{
	char chunk[4096];
	ssize_t n;

	if (!sao_text_put(t, "", 0))
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sao_error_set(err, SAO_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
		if (n == 0)
			return SAO_OK;
		if (t->len + (size_t)n > max)
			return sao_error_set(err, SAO_ERR_TOOBIG, "'%s' is larger than %zu bytes", path, max);
		if (!sao_text_put(t, chunk, (size_t)n))
			return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	}
}

sao_err_t sao_fs_write_fd(int fd, const char *path, const char *p, size_t n, sao_error_t *err)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return sao_error_set(err, SAO_ERR_IO, "cannot write to '%s': %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot write to '%s': %s", path, strerror(errno));
	return SAO_OK;
}
