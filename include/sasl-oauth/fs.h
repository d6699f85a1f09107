/* SPDX-License-Identifier: MIT */
/*
 * fs: directory helpers shared by the modules that write files (cache,
 * section).
 */
#ifndef SAO_FS_H
#define SAO_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "sasl-oauth/error.h"

/* mkdir -p: makes dir and every missing directory above it with mode
 * (exactly: the umask takes nothing away), leaving existing ones as they
 * are. what names the directory in messages ("cache directory"). A path
 * component that exists and is not a directory is SAO_ERR_IO. */
sao_err_t sao_fs_mkdirs(const char *dir, mode_t mode, const char *what, sao_error_t *err);

/* The directory part of path in buf ("/a/b" for "/a/b/c", "." for "c").
 * 0 when it does not fit. */
int sao_fs_dirname(const char *path, char *buf, size_t size);

/* A growable text buffer, always NUL-terminated once written to. Free p. */
typedef struct sao_text {
	char *p;
	size_t len, cap;
} sao_text_t;

/* Appends n bytes of s; 0 when out of memory (t is then unchanged). */
int sao_text_put(sao_text_t *t, const char *s, size_t n);

/* sao_text_put of a string. */
int sao_text_puts(sao_text_t *t, const char *s);

/* Appends what is left to read from fd (path names it in messages) to t,
 * at most max bytes in all: SAO_ERR_TOOBIG past that, SAO_ERR_IO. */
sao_err_t sao_fs_read_fd(int fd, const char *path, size_t max, sao_text_t *t, sao_error_t *err);

/* Writes all n bytes of p to fd, then fsyncs it. */
sao_err_t sao_fs_write_fd(int fd, const char *path, const char *p, size_t n, sao_error_t *err);

#endif
