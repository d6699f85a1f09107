/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

static void test_append_and_ceiling(void)
{
	sao_secret_t s;
	sao_error_t err;
	char big[5000];

	memset(big, 'x', sizeof(big));
	sao_error_clear(&err);
	sao_secret_init(&s, 6000);
	CHECK(sao_secret_append(&s, "abc", 3, &err) == SAO_OK);
	CHECK(s.len == 3 && s.data[3] == '\0');
	CHECK(sao_secret_append(&s, big, sizeof(big), &err) == SAO_OK);
	CHECK(s.len == 5003 && s.data[5003] == '\0' && memcmp(s.data, "abcxx", 5) == 0);
	/* Past the ceiling: refused, content unchanged, reason recorded. */
	CHECK(sao_secret_append(&s, big, 1000, &err) == SAO_ERR_TOOBIG);
	CHECK(s.len == 5003);
	CHECK(err.code == SAO_ERR_TOOBIG && strstr(err.msg, "6000") != NULL);
	CHECK(sao_secret_set(&s, "new", 3, NULL) == SAO_OK);
	CHECK_BYTES(s.data, s.len, "new", 3);
	sao_secret_clear(&s);
	CHECK(s.data == NULL && s.len == 0 && s.max == 6000);
	/* Exactly at the ceiling is allowed. */
	sao_secret_init(&s, 4);
	CHECK(sao_secret_append(&s, "abcd", 4, NULL) == SAO_OK);
	CHECK(sao_secret_append(&s, "e", 1, NULL) == SAO_ERR_TOOBIG);
	sao_secret_clear(&s);
}

static void test_equal(void)
{
	sao_secret_t a, b;

	sao_secret_init(&a, 100);
	sao_secret_init(&b, 100);
	CHECK(sao_secret_equal(&a, &b));
	sao_secret_set(&a, "token1", 6, NULL);
	sao_secret_set(&b, "token2", 6, NULL);
	CHECK(!sao_secret_equal(&a, &b));
	sao_secret_set(&b, "token1", 6, NULL);
	CHECK(sao_secret_equal(&a, &b));
	sao_secret_set(&b, "token", 5, NULL);
	CHECK(!sao_secret_equal(&a, &b));
	sao_secret_clear(&a);
	sao_secret_clear(&b);
}

static void test_fingerprint_and_wipe(void)
{
	char f1[SAO_FINGERPRINT_LEN + 1], f2[SAO_FINGERPRINT_LEN + 1];
	unsigned char buf[8] = "secret!";

	sao_fingerprint("eyJhbGciOi.secret", 17, f1);
	sao_fingerprint("eyJhbGciOi.secreT", 17, f2);
	CHECK(strlen(f1) == SAO_FINGERPRINT_LEN && strncmp(f1, "fp:", 3) == 0);
	CHECK(strcmp(f1, f2) != 0);
	CHECK(strstr(f1, "secret") == NULL);
	sao_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK(buf[i] == 0);
}

/* An allocator that remembers each block's size and, when a block comes
 * back, whether it still held anything. */
#define TRACKED 16
static struct {
	void *p;
	size_t n;
} blocks[TRACKED];
static int returned, returned_dirty;

static void *track_alloc(size_t n)
{
	void *p = malloc(n);

	for (size_t i = 0; p != NULL && i < TRACKED; i++) {
		if (blocks[i].p == NULL) {
			blocks[i].p = p;
			blocks[i].n = n;
			break;
		}
	}
	return p;
}

static void track_release(void *p)
{
	for (size_t i = 0; p != NULL && i < TRACKED; i++) {
		if (blocks[i].p != p)
			continue;
		returned++;
		for (size_t k = 0; k < blocks[i].n; k++) {
			if (((unsigned char *)p)[k] != 0) {
				returned_dirty++;
				break;
			}
		}
		blocks[i].p = NULL;
	}
	free(p);
}

/* Storage is wiped before it goes back: on clear and when a secret grows
 * into a larger block. */
static void test_wiped_when_returned(void)
{
	char big[300];
	sao_secret_t s;

	memset(big, 'y', sizeof(big));
	sao_secret_allocator(track_alloc, track_release);
	sao_secret_init(&s, 4096);
	CHECK(sao_secret_set(&s, "refresh-secret", 14, NULL) == SAO_OK);
	returned = returned_dirty = 0;
	CHECK(sao_secret_append(&s, big, sizeof(big), NULL) == SAO_OK);
	CHECK_MSG(returned == 1 && returned_dirty == 0, "growth: %d blocks back, %d not wiped", returned, returned_dirty);
	CHECK(s.len == 314 && memcmp(s.data, "refresh-secret", 14) == 0);
	returned = returned_dirty = 0;
	sao_secret_clear(&s);
	CHECK_MSG(returned == 1 && returned_dirty == 0, "clear: %d blocks back, %d not wiped", returned, returned_dirty);
	sao_secret_allocator(NULL, NULL);
}

static void test_error_first_wins(void)
{
	sao_error_t err;

	sao_error_clear(&err);
	CHECK(sao_error_set(&err, SAO_ERR_IO, "first %d", 1) == SAO_ERR_IO);
	CHECK(sao_error_set(&err, SAO_ERR_CONFIG, "second") == SAO_ERR_CONFIG);
	CHECK(err.code == SAO_ERR_IO && strcmp(err.msg, "first 1") == 0);
	CHECK(sao_error_set(NULL, SAO_ERR_NOMEM, "x") == SAO_ERR_NOMEM);
	CHECK(strcmp(sao_strerror(SAO_ERR_STALE), "token expired or rejected") == 0);
}

int main(void)
{
	test_append_and_ceiling();
	test_equal();
	test_fingerprint_and_wipe();
	test_wiped_when_returned();
	test_error_first_wins();
	return check_done("test-secret");
}
