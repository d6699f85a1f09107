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

#include "testlib.h"
#include "server.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/renew.h"

#define JSON_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
#define REFUSED_HEAD "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
#define NEW_TOKEN "{\"access_token\":\"at.new\",\"refresh_token\":\"rt.new\",\"expires_in\":3600}"
#define INVALID_GRANT "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70008: expired.\"}"

static char path[512];
static char secret[512];
static char endpoint[64] = "http://127.0.0.1:9/token";

static sao_account_t account(void)
{
	sao_account_t a;

	memset(&a, 0, sizeof(a));
	a.name = (char *)"work";
	a.file = (char *)"test.conf";
	a.line = 1;
	a.provider = SAO_PROVIDER_GENERIC;
	a.flow = SAO_FLOW_DEVICE;
	a.client_id = (char *)"client";
	a.scope = (char *)"mail";
	a.token_endpoint = endpoint;
	a.cache = path;
	a.refresh_margin = 600;
	a.http_timeout = 5;
	return a;
}

static void seed(const char *access, int64_t expires_in, const char *refresh)
{
	test_seed_cache(path, access, refresh, (int64_t)time(NULL) + expires_in, 0);
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
 * flight: we hold the lock, so it writes without. */
static void rotate(void)
{
	sao_token_t tok;

	sao_token_init(&tok);
	CHECK(sao_secret_set(&tok.access_token, "at.other", 8, NULL) == SAO_OK);
	CHECK(sao_secret_set(&tok.refresh_token, "rt.rotated", 10, NULL) == SAO_OK);
	tok.expires_at = (int64_t)time(NULL) - 10;
	CHECK(sao_cache_write(path, &tok, NULL) == SAO_OK);
	sao_token_clear(&tok);
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

/* One refresh from a seeded "at.old"/"rt.1" (or nothing) against
 * scripted answers. */
enum { SEEDED, NOTHING_CACHED, CLIENT_CREDENTIALS };
static const struct refresh_case {
	const char *name;
	reply_t replies[2];
	int64_t expires_in;        /* of the seeded token */
	int setup;                 /* SEEDED, NOTHING_CACHED or CLIENT_CREDENTIALS (nothing cached) */
	int force;
	int no_growing;            /* files may not grow: the cache cannot be written */
	sao_err_t want_rc;
	const char *want_token;    /* handed out, or NULL for nothing */
	const char *want_msg[2];   /* parts of the message */
	const char *want_sent[2];  /* a part of each request, in order; NULL = no such request */
	const char *cached[2];     /* access and refresh token in the cache afterwards, NULL: no file */
} refresh_cases[] = {
	/* Inside the refresh margin: refreshed once, cached, then handed out. */
	{ "stale", { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, 60, SEEDED, 0, 0, SAO_OK, "at.new", { NULL, NULL },
	  { "grant_type=refresh_token&refresh_token=rt.1", NULL }, { "at.new", "rt.new" } },
	/* Refused, but another writer stored a new refresh token meanwhile:
	 * that one is tried, once. */
	{ "rotated meanwhile",
	  { { REPLY_SEND, REFUSED_HEAD, INVALID_GRANT, 0, rotate }, { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, -10,
	  SEEDED, 0, 0, SAO_OK, "at.new", { NULL, NULL }, { "refresh_token=rt.1", "refresh_token=rt.rotated" },
	  { "at.new", "rt.new" } },
	/* Nobody rotated it: one request, the login fix, the file as it was. */
	{ "refused", { { REPLY_SEND, REFUSED_HEAD, INVALID_GRANT, 0, NULL } }, -10, SEEDED, 0, 0, SAO_ERR_LOGIN, NULL,
	  { "invalid_grant AADSTS70008", "run: sasl-oauth login work" }, { "refresh_token=rt.1", NULL },
	  { "at.old", "rt.1" } },
	/* A token no mail server would take is refused on arrival. */
	{ "',' in the token",
	  { { REPLY_SEND, JSON_HEAD, "{\"access_token\":\"at,new\",\"refresh_token\":\"rt.new\",\"expires_in\":60}", 0,
	      NULL } },
	  -10, SEEDED, 0, 0, SAO_ERR_PROTO, NULL, { "refreshing the token of account 'work' failed", "byte 2 is ','" },
	  { "refresh_token=rt.1", NULL }, { "at.old", "rt.1" } },
	/* Not cached, but handed out all the same (issue 13: a new access
	 * token is never thrown away), with the message saying what happened
	 * and what a strictly rotating provider will need. */
	{ "cache not writable", { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, -10, SEEDED, 0, 1, SAO_OK, "at.new",
	  { "could not write cache file", "handed out anyway" }, { "refresh_token=rt.1", NULL },
	  { "at.old", "rt.1" } },
	/* force refreshes a fresh token, once. */
	{ "forced", { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, 3600, SEEDED, 1, 0, SAO_OK, "at.new",
	  { NULL, NULL }, { "refresh_token=rt.1", NULL }, { "at.new", "rt.new" } },
	/* Nothing cached: a login is the fix, nothing is asked. */
	{ "nothing cached", { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, 0, NOTHING_CACHED, 0, 0, SAO_ERR_LOGIN,
	  NULL, { "no token is cached for account 'work' (looked for '", "'); run: sasl-oauth login work" },
	  { NULL, NULL }, { NULL, NULL } },
	/* An application needs no login: its first token comes unattended. */
	{ "client credentials, nothing cached", { { REPLY_SEND, JSON_HEAD, NEW_TOKEN, 0, NULL } }, 0, CLIENT_CREDENTIALS,
	  0, 0, SAO_OK, "at.new", { NULL, NULL }, { "grant_type=client_credentials", NULL }, { "at.new", "rt.new" } },
};

static sao_err_t renew_limited(const sao_account_t *a, int force, int no_growing, sao_token_t *tok, int *refreshed,
                               sao_error_t *err)
{
	struct rlimit old, small;
	sao_err_t rc;

	/* Root ignores file modes, not RLIMIT_FSIZE; with SIGXFSZ ignored
	 * the write fails with EFBIG. */
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small = old;
	if (no_growing) {
		small.rlim_cur = 16;
		signal(SIGXFSZ, SIG_IGN);
	}
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	rc = sao_renew_token(a, force, tok, refreshed, err);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);
	return rc;
}

static void test_refresh(const struct refresh_case *c)
{
	sao_account_t a = account();
	size_t n_sent = c->want_sent[0] == NULL ? 0 : c->want_sent[1] == NULL ? 1 : 2;
	server_t srv;
	seen_t seen;
	sao_token_t tok;
	sao_error_t err;
	int refreshed = -1;
	sao_err_t rc;

	remove(path);
	if (c->setup == SEEDED)
		seed("at.old", c->expires_in, "rt.1");
	if (c->setup == CLIENT_CREDENTIALS) {
		a.flow = SAO_FLOW_CLIENT_CREDENTIALS;
		a.client_secret_file = secret;
	}
	CHECK(server_start(&srv, c->replies, n_sent) == 0);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/token", srv.port);
	sao_token_init(&tok);
	sao_error_clear(&err);
	rc = renew_limited(&a, c->force, c->no_growing, &tok, &refreshed, &err);
	CHECK_MSG(rc == c->want_rc, "%s: rc %d: %s", c->name, rc, err.msg);
	CHECK_MSG(same(&tok.access_token, c->want_token != NULL ? c->want_token : ""), "%s", c->name);
	CHECK_MSG(c->want_token != NULL || tok.refresh_token.len == 0, "%s", c->name);
	CHECK_MSG(refreshed == (rc != SAO_OK ? 0 : c->no_growing ? SAO_RENEW_UNSTORED : 1), "%s: refreshed %d", c->name,
	          refreshed);
	for (size_t i = 0; i < 2 && c->want_msg[i] != NULL; i++)
		CHECK_MSG(strstr(err.msg, c->want_msg[i]) != NULL, "%s: '%s' not in '%s'", c->name, c->want_msg[i], err.msg);
	/* A second call finds the new token fresh and asks nothing. */
	if (rc == SAO_OK && c->want_token != NULL && !c->no_growing) {
		CHECK_MSG(sao_renew_token(&a, 0, &tok, &refreshed, &err) == SAO_OK && refreshed == 0, "%s", c->name);
		CHECK_MSG(same(&tok.access_token, c->want_token), "%s", c->name);
	}
	server_stop(&srv, &seen);
	CHECK_MSG(seen.n == n_sent, "%s: %zu requests", c->name, seen.n);
	for (size_t i = 0; i < n_sent; i++)
		CHECK_MSG(has(&seen, i, c->want_sent[i]), "%s: request %zu lacks '%s'", c->name, i, c->want_sent[i]);
	if (c->cached[0] != NULL)
		CHECK_MSG(cached(c->cached[0], c->cached[1]), "%s: the cache", c->name);
	else
		CHECK_MSG(access(path, F_OK) != 0, "%s: a cache was written", c->name);
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
	CHECK(sao_cache_store(path, &tok, sao_renew_lock_ms(&a), NULL) == SAO_OK);
	CHECK(cached("at.login", ""));
	/* A writer holding the lock makes the store wait, then give up. */
	CHECK(sao_cache_lock(path, 1000, &lock, NULL) == SAO_OK);
	sao_error_clear(&err);
	CHECK(sao_cache_store(path, &tok, 1, &err) == SAO_ERR_TIMEOUT);
	CHECK_MSG(strstr(err.msg, "holds the lock") != NULL, "%s", err.msg);
	sao_cache_unlock(&lock);
	sao_token_clear(&tok);
}

static const struct refresh_case *current;

static void run_current(void)
{
	test_refresh(current);
}

int main(void)
{
	alarm(TEST_ALARM_S);
	test_dir_init("test-renew");
	test_path(path, sizeof(path), "work.json");
	CHECK(test_write_text(test_path(secret, sizeof(secret), "secret"), 0600, "s3cr3t\n") == 0);
	test_run("a fresh token needs no lock and no request", test_fresh_needs_no_lock);
	for (size_t i = 0; i < sizeof(refresh_cases) / sizeof(refresh_cases[0]); i++) {
		current = &refresh_cases[i];
		test_run(current->name, run_current);
	}
	test_run("storing a login waits for the lock, then gives up", test_store);
	test_dir_done();
	return check_done("test-renew");
}
