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
/* Makes the cache file's directory (mkdir -p, mode 0700) and checks that
 * it is ours and writable, so that tokens obtained afterwards can be
 * stored: a sign-in calls this before it starts. */
sao_err_t sao_cache_prepare(const char *path, sao_error_t *err);

sao_err_t sao_cache_write(const char *path, const sao_token_t *tok, sao_error_t *err);

/* A cache file being written: PATH.tmp.PID with its space reserved
 * (lib/cache.c explains the two steps). */
typedef struct sao_cache_slot {
	char path[4096];
	char tmp[4096 + 32];
	int fd;
	int made; /* the temporary file exists */
	int keep; /* complete but not renamed: left for the next writer */
	const char *intact; /* static: what a failure leaves of the old cache */
} sao_cache_slot_t;

void sao_cache_slot_init(sao_cache_slot_t *slot);

/* Before a request whose answer must be stored: creates PATH's temporary
 * file and reserves the space of the largest cache, so that storing the
 * answer cannot fail for lack of space. Caller holds the lock. SAO_ERR_IO
 * (no room: nothing was asked, the cache is unchanged) or SAO_ERR_PERM. */
sao_err_t sao_cache_reserve(const char *path, sao_cache_slot_t *slot, sao_error_t *err);

/* Writes tok into the reserved file, fsyncs it, renames it over PATH and
 * fsyncs the directory. If the rename fails the complete file is kept,
 * and the message says the next run takes it over. */
sao_err_t sao_cache_commit(sao_cache_slot_t *slot, const sao_token_t *tok, sao_error_t *err);

/* Closes the slot and removes a temporary file that holds no answer. */
void sao_cache_slot_release(sao_cache_slot_t *slot);

/* Takes the exclusive writer lock for path; then, since no writer can be
 * alive, takes over a complete PATH.tmp.PID newer than PATH that a killed
 * writer left and removes the other leftovers (issue 13). Refuses a lock
 * file with other hard links or that is no regular file; gives a lock file
 * to the directory's owner only when this call created it; *fd_r is the lock descriptor,
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

/* A refresh that failed because a new login is needed (the provider
 * refused the refresh token) is noted next to the cache in "PATH.failed":
 * one line, the message with the provider's code and the fix, no secret,
 * owned like the cache, and counts only while no cache was put in place
 * after it. A program that cannot refresh for itself (Postfix's
 * smtp in its chroot) reports it once the token has expired; the next
 * successful sao_cache_write removes it. Caller holds the lock.
 * status and notify_command read it too. */
#define SAO_CACHE_NOTE_MAX 1024
sao_err_t sao_cache_note_failure(const char *path, const char *msg, sao_error_t *err);

/* The noted failure for path, as one printable line in buf: 1 if there
 * is one. at_r (may be NULL) is when it was noted. */
int sao_cache_read_failure(const char *path, char *buf, size_t size);
int sao_cache_failure_time(const char *path, int64_t *at_r);

/* Deletes the cache at path under the writer lock, after reading it into
 * tok_r (initialised by the caller), so the caller can still revoke the
 * refresh token it held. SAO_ERR_NOTFOUND when there is no cache; the
 * errors of sao_cache_read() and sao_cache_lock() otherwise, and
 * SAO_ERR_IO when the file cannot be deleted. */
sao_err_t sao_cache_remove(const char *path, sao_token_t *tok_r, sao_error_t *err);

#endif
