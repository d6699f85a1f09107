/* SPDX-License-Identifier: MIT */
/*
 * fs: directory helpers shared by the modules that write files (cache,
 * section).
 */
#ifndef SAO_FS_H
#define SAO_FS_H

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

#endif
