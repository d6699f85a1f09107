/* SPDX-License-Identifier: MIT */
/* testlib-cache: a token cache seeded the way the CLI writes one (testlib.h). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "sasl-oauth/cache.h"
#include "testlib.h"

int test_seed_cache(const char *path, const char *access, const char *refresh, int64_t expires_at,
                    int64_t rejected_at)
{
	sao_token_t tok;
	sao_error_t err;
	int fd = -1, ok;

	sao_token_init(&tok);
	sao_error_clear(&err);
	sao_secret_set(&tok.access_token, access, strlen(access), NULL);
	if (refresh != NULL)
		sao_secret_set(&tok.refresh_token, refresh, strlen(refresh), NULL);
	tok.expires_at = expires_at;
	tok.rejected_at = rejected_at;
	tok.obtained_at = (int64_t)time(NULL);
	ok = sao_cache_lock(path, 1000, &fd, &err) == SAO_OK && sao_cache_write(path, &tok, &err) == SAO_OK;
	sao_cache_unlock(&fd);
	sao_token_clear(&tok);
	check_count++;
	if (!ok)
		check_fail(__FILE__, __LINE__, "test_seed_cache", "%s: %s", path, err.msg);
	return ok ? 0 : -1;
}
