/* SPDX-License-Identifier: MIT */
/*
 * test-renew: the token lifecycle of one account (oauth/renew.c) against a
 * scripted token endpoint on 127.0.0.1 (server.h). A fresh cached token is
 * handed out without the lock and without a request; a stale one is
 * refreshed once and cached before it is handed out; a refused refresh
 * token is retried once with the one another writer stored meanwhile; a
 * cache that cannot be written hands out nothing; a token the mechanisms
 * would refuse is never cached.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "server.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/renew.h"

#define JSON_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
#define REFUSED_HEAD "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
#define NEW_TOKEN "{\"access_token\":\"at.new\",\"refresh_token\":\"rt.new\",\"expires_in\":3600}"
#define INVALID_GRANT "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70008: expired.\"}"

static char dir[] = "/tmp/sao-test-renew-XXXXXX";
static char path[256];
static char endpoint[64] = "http://127.0.0.1:9/token";

static sao_account_t account(void)
{
	sao_account_t a;

	memset(&a, 0, sizeof(a));
	a.name = (char *)"work";
	a.file = (char *)"test.conf";
	a.line = 1;
	a.provider = SAO_PROVIDER_GENERIC;
	a.flow_id = SAO_FLOW_DEVICE;
	a.client_id = (char *)"client";
	a.scope = (char *)"mail";
	a.token_endpoint = endpoint;
	a.cache = path;
	a.refresh_margin = 600;
	a.http_timeout = 5;
	return a;
}

/* Replaces the cache with access (expiring in expires_in seconds) and
 * refresh, under the lock unless locked is 0. */
static void write_cache(const char *access, int64_t expires_in, const char *refresh, int locked)
{
	sao_token_t tok;

	sao_token_init(&tok);
	CHECK(sao_secret_set(&tok.access_token, access, strlen(access), NULL) == SAO_OK);
	CHECK(sao_secret_set(&tok.refresh_token, refresh, strlen(refresh), NULL) == SAO_OK);
	tok.expires_at = (int64_t)time(NULL) + expires_in;
	tok.obtained_at = 1;
	if (locked)
		CHECK(sao_cache_store(path, &tok, 1000, NULL) == SAO_OK);
	else
		CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	sao_token_clear(&tok);
}

static void seed(const char *access, int64_t expires_in, const char *refresh)
{
	write_cache(access, expires_in, refresh, 1);
}

static int same(const sao_secret_t *s, const char *want)
{
	return s->len == strlen(want) && (s->len == 0 || memcmp(s->data, want, s->len) == 0);
}

/* 1 when the cache holds exactly these tokens. */
static int cached(const char *access, const char *refresh)
{
	sao_token_t tok;
	int ok;

	sao_token_init(&tok);
	ok = sao_cache_read(path, &tok, NULL) == SAO_OK && same(&tok.access_token, access) &&
	     same(&tok.refresh_token, refresh);
	sao_token_clear(&tok);
	return ok;
}

/* Another writer rotating the refresh token while our request is in
 * flight (we hold the lock, so it writes without). */
static void rotate(void)
{
	write_cache("at.other", -10, "rt.rotated", 0);
}

static int has(const seen_t *seen, size_t i, const char *part)
{
	return i < seen->n && i < SEEN_MAX && memmem(seen->req[i], seen->len[i], part, strlen(part)) != NULL;
}

static void test_fresh_needs_no_lock(void)
{
	sao_account_t a = account();
	sao_token_t tok;
	sao_error_t err;
	int lock = -1, refreshed = -1;

	seed("at.fresh", 3600, "rt.1");
	/* Another process holds the lock for as long as it likes: a fresh
	 * token is still handed out at once, and nothing is asked. */
	CHECK(sao_cache_lock(path, 1000, &lock, NULL) == SAO_OK);
	a.http_timeout = 1;
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK_MSG(sao_renew_token(&a, 0, &tok, &refreshed, &err) == SAO_OK, "%s", err.msg);
	CHECK(refreshed == 0);
	CHECK_BYTES(tok.access_token.data, tok.access_token.len, "at.fresh", 8);
	sao_cache_unlock(&lock);
	sao_token_clear(&tok);
}

static void test_stale_refreshes_once(void)
{
	static const reply_t replies[] = { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } };
	sao_account_t a = account();
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;
	int refreshed = 0;

	/* Inside the refresh margin: refreshed, cached, then handed out. */
	seed("at.soon", 60, "rt.1");
	CHECK(server_start(&srv, replies, 1) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK_MSG(sao_renew_token(&a, 0, &tok, &refreshed, &err) == SAO_OK, "%s", err.msg);
	CHECK(refreshed == 1);
	CHECK_BYTES(tok.access_token.data, tok.access_token.len, "at.new", 6);
	CHECK(cached("at.new", "rt.new"));
	/* The second call finds the new token fresh: no second request. */
	refreshed = -1;
	CHECK_MSG(sao_renew_token(&a, 0, &tok, &refreshed, &err) == SAO_OK, "%s", err.msg);
	CHECK(refreshed == 0);
	server_stop(&srv, &seen);
	CHECK_MSG(seen.n == 1, "%zu requests", seen.n);
	CHECK(has(&seen, 0, "grant_type=refresh_token") && has(&seen, 0, "refresh_token=rt.1"));
	sao_token_clear(&tok);
}

static void test_rotated_refresh_token_is_retried(void)
{
	static const reply_t replies[] = { { REPLY_SEND, REFUSED_HEAD, INVALID_GRANT, 0, rotate },
		                           { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } };
	sao_account_t a = account();
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;

	seed("at.old", -10, "rt.1");
	CHECK(server_start(&srv, replies, 2) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK_MSG(sao_renew_token(&a, 0, &tok, NULL, &err) == SAO_OK, "%s", err.msg);
	CHECK_BYTES(tok.access_token.data, tok.access_token.len, "at.new", 6);
	server_stop(&srv, &seen);
	CHECK_MSG(seen.n == 2, "%zu requests", seen.n);
	CHECK(has(&seen, 0, "refresh_token=rt.1") && has(&seen, 1, "refresh_token=rt.rotated"));
	CHECK(cached("at.new", "rt.new"));
	sao_token_clear(&tok);
}

static void test_refused_refresh_token(void)
{
	static const reply_t replies[] = { { REPLY_SEND, REFUSED_HEAD, INVALID_GRANT, 0, NULL } };
	sao_account_t a = account();
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;

	/* Nobody rotated it: one request, the login fix, the file as it was. */
	seed("at.old", -10, "rt.1");
	CHECK(server_start(&srv, replies, 1) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK(sao_renew_token(&a, 0, &tok, NULL, &err) == SAO_ERR_LOGIN);
	CHECK_MSG(strstr(err.msg, "invalid_grant AADSTS70008") != NULL && strstr(err.msg, "run: sasl-oauth login work") != NULL,
	          "%s", err.msg);
	CHECK(tok.access_token.len == 0);
	server_stop(&srv, &seen);
	CHECK(seen.n == 1);
	CHECK(cached("at.old", "rt.1"));
	sao_token_clear(&tok);
}

static void test_unusable_token_is_not_cached(void)
{
	static const reply_t replies[] = {
		{ REPLY_SEND, JSON_HEAD, "{\"access_token\":\"at,new\",\"refresh_token\":\"rt.new\",\"expires_in\":3600}", 0,
		  NULL }
	};
	sao_account_t a = account();
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;

	seed("at.old", -10, "rt.1");
	CHECK(server_start(&srv, replies, 1) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	CHECK(sao_renew_token(&a, 0, &tok, NULL, &err) == SAO_ERR_PROTO);
	CHECK_MSG(strstr(err.msg, "refreshing the token of account 'work' failed") != NULL &&
	              strstr(err.msg, "byte 2 is ','") != NULL,
	          "%s", err.msg);
	CHECK(tok.access_token.len == 0);
	server_stop(&srv, &seen);
	CHECK(cached("at.old", "rt.1"));
	sao_token_clear(&tok);
}

static void test_write_failure_hands_out_nothing(void)
{
	static const reply_t replies[] = { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } };
	sao_account_t a = account();
	struct rlimit old, small;
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;
	sao_err_t rc;

	seed("at.old", -10, "rt.1");
	CHECK(server_start(&srv, replies, 1) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	/* Files may not grow past 16 bytes (root ignores modes, not this):
	 * the refreshed cache cannot be written. */
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small = old;
	small.rlim_cur = 16;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	rc = sao_renew_token(&a, 0, &tok, NULL, &err);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_MSG(rc == SAO_ERR_IO, "rc %d: %s", rc, err.msg);
	CHECK_MSG(strstr(err.msg, "could not write cache file") != NULL && strstr(err.msg, "previous cache is intact"),
	          "%s", err.msg);
	/* The new token is handed to nobody: it would be lost with its
	 * rotated refresh token at the next call. */
	CHECK(tok.access_token.len == 0 && tok.refresh_token.len == 0);
	server_stop(&srv, &seen);
	CHECK(seen.n == 1);
	CHECK(cached("at.old", "rt.1"));
	sao_token_clear(&tok);
}

static void test_store(void)
{
	sao_account_t a = account();
	sao_token_t tok;
	sao_error_t err;
	int lock = -1;

	sao_token_init(&tok);
	CHECK(sao_secret_set(&tok.access_token, "at.login", 8, NULL) == SAO_OK);
	CHECK(sao_renew_store(&a, &tok, NULL) == SAO_OK);
	CHECK(cached("at.login", ""));
	/* A writer holding the lock makes the store wait, then give up. */
	CHECK(sao_cache_lock(path, 1000, &lock, NULL) == SAO_OK);
	sao_error_clear(&err);
	CHECK(sao_cache_store(path, &tok, 1, &err) == SAO_ERR_TIMEOUT);
	CHECK_MSG(strstr(err.msg, "holds the lock") != NULL, "%s", err.msg);
	sao_cache_unlock(&lock);
	sao_token_clear(&tok);
}

int main(void)
{
	alarm(TEST_ALARM_S);
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/work.json", dir);
	test_fresh_needs_no_lock();
	test_stale_refreshes_once();
	test_rotated_refresh_token_is_retried();
	test_refused_refresh_token();
	test_unusable_token_is_not_cached();
	test_write_failure_hands_out_nothing();
	test_store();
	remove(path);
	snprintf(endpoint, sizeof(endpoint), "%s/work.json.lock", dir);
	remove(endpoint);
	rmdir(dir);
	return check_done("test-renew");
}
