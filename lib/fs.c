/* SPDX-License-Identifier: MIT */
/*
 * fs: directory helpers (fs.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

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
