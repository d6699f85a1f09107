/* SPDX-License-Identifier: MIT */
/*
 * cache: the per-account token cache file (DESIGN.md §5).
 *
 * File: JSON, mode 0600, owned by the calling user, in a directory of mode
 * 0700 (both checked on every read; looser ones are refused with the chmod
 * that fixes them). Writers take an exclusive flock on "PATH.lock", write
 * "PATH.tmp.PID" under umask 077, fsync, rename over PATH and fsync the
 * directory, so a reader sees the old or the new file, never a mix.
 * A file that does not parse is renamed to "PATH.corrupt.UNIXTIME" and the
 * error says where it went; it is never deleted.
 *
 * What is written and read back is checked by lib/token.c's rules: a token
 * that is not a valid token is never written; an access token read back
 * that is not one (an older sasl-oauth cached those) is dropped, so the
 * refresh token next to it still works.
 */
#ifndef SAO_CACHE_H
#define SAO_CACHE_H

#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"
#include "sasl-oauth/token.h"

#define SAO_CACHE_FORMAT_VERSION 1
#define SAO_CACHE_FILE_MAX (1024 * 1024)

/* Reads and validates the cache at path into tok_r (which must be
 * initialised). SAO_ERR_NOTFOUND if it does not exist, SAO_ERR_PERM for an
 * unsafe mode/owner, SAO_ERR_CORRUPT after keeping a bad file aside. */
sao_err_t sao_cache_read(const char *path, sao_token_t *tok_r, sao_error_t *err);

/* Atomically replaces the cache at path with tok. Caller holds the lock
 * (sao_cache_lock). Creates the directory (0700) if missing. */
sao_err_t sao_cache_write(const char *path, const sao_token_t *tok, sao_error_t *err);

/* Takes the exclusive writer lock for path; *fd_r is the lock descriptor,
 * released with sao_cache_unlock(). Blocks at most timeout_ms. */
sao_err_t sao_cache_lock(const char *path, int timeout_ms, int *fd_r, sao_error_t *err);
void sao_cache_unlock(int *fd);

/* Stores tok as the cache at path: takes the writer lock (waiting at most
 * timeout_ms), writes, unlocks. */
sao_err_t sao_cache_store(const char *path, const sao_token_t *tok, int timeout_ms, sao_error_t *err);

/* Records code with the one message for an account that has no cached
 * token at path, and the login that fixes it; returns code. */
sao_err_t sao_cache_missing(const char *path, const char *account, sao_err_t code, sao_error_t *err);

/* Records that a server refused access_token: under the lock, re-reads the
 * file and, if it still holds that same token, sets rejected_at = now and
 * rejected_reason = reason (so the next login can say why). A token rotated
 * meanwhile is left alone (returns SAO_OK). */
sao_err_t sao_cache_mark_rejected(const char *path, const sao_secret_t *access_token,
                                  int64_t now, const char *reason, sao_error_t *err);

/* Deletes the cache at path under the writer lock, after reading it into
 * tok_r (initialised by the caller), so the caller can still revoke the
 * refresh token it held. SAO_ERR_NOTFOUND when there is no cache; the
 * errors of sao_cache_read() and sao_cache_lock() otherwise, and
 * SAO_ERR_IO when the file cannot be deleted. */
sao_err_t sao_cache_remove(const char *path, sao_token_t *tok_r, sao_error_t *err);

#endif
