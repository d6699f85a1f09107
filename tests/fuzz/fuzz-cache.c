/* SPDX-License-Identifier: MIT */
/* fuzz-cache: a token cache file (DESIGN.md §5), read by every plugin host.
 * The invariant is the round trip: what was read, written and read again
 * is the same token. Each input is written as a cache file (mode 0600, in
 * a private 0700 directory) and read; a file that does not parse is kept
 * aside by the reader, and the directory is emptied after each input. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "sasl-oauth/cache.h"

static int same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int same_secret(const sao_secret_t *a, const sao_secret_t *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void same_token(const sao_token_t *a, const sao_token_t *b)
{
	if (!same_secret(&a->access_token, &b->access_token) || !same_secret(&a->refresh_token, &b->refresh_token))
		fuzz_fail("round trip", "a token changed");
	if (a->expires_at != b->expires_at || a->obtained_at != b->obtained_at ||
	    a->refresh_obtained_at != b->refresh_obtained_at || a->rejected_at != b->rejected_at)
		fuzz_fail("round trip", "a time changed");
	if (!same_string(a->scope, b->scope) || !same_string(a->token_type, b->token_type) ||
	    !same_string(a->account, b->account) || !same_string(a->rejected_reason, b->rejected_reason))
		fuzz_fail("round trip", "a string changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_dir();
	char path[512], again[512];
	sao_token_t first, second;
	sao_error_t err;
	int fd;

	snprintf(path, sizeof(path), "%s/work.json", dir);
	snprintf(again, sizeof(again), "%s/again.json", dir);
	sao_token_init(&first);
	sao_token_init(&second);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("open", path);
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		fuzz_fail("write", path);
	close(fd);
	sao_error_clear(&err);
	if (sao_cache_read(path, &first, &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	sao_error_clear(&err);
	if (sao_cache_write(again, &first, &err) != SAO_OK) {
		/* Only a token the writer refuses may fail here (tmpfs has room). */
		fuzz_check_error(&err);
		goto out;
	}
	sao_error_clear(&err);
	if (sao_cache_read(again, &second, &err) != SAO_OK) {
		fprintf(stderr, "%s\n", err.msg);
		fuzz_fail("round trip", "a cache written cannot be read back");
	}
	same_token(&first, &second);
out:
	sao_token_clear(&first);
	sao_token_clear(&second);
	fuzz_empty_dir(dir);
	return 0;
}
