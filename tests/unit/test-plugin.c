/* SPDX-License-Identifier: MIT */
/*
 * Drives the built plugin through libsasl2 (found with a GETPATH callback
 * pointing at a private plugin directory: ours and PLAIN only), with scripted server data instead of a
 * network: byte-exact initial responses, the error-challenge path, prompts
 * (as mbsync answers them) and callbacks (as Postfix registers them), the
 * unconfigured and misconfigured cases, and allocation failures injected
 * through sasl_set_alloc.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "testlib.h"
#include "sasl-oauth/cache.h"

static char conf_path[512];

/* Writes the configuration file, "@D@" standing for the test directory. */
static void write_conf(const char *fmt)
{
	char text[4096];

	test_subst(fmt, text, sizeof(text), NULL);
	CHECK(test_write_text(conf_path, 0600, text) == 0);
}

static void write_cache(const char *name, const char *token, int64_t expires_at)
{
	char rel[64], path[600];

	snprintf(rel, sizeof(rel), "%s.json", name);
	test_seed_cache(test_path(path, sizeof(path), rel), token, "refresh-secret", expires_at, 0);
}

static int64_t cache_rejected_at(const char *name)
{
	char path[600];
	sao_token_t tok;
	int64_t r;

	snprintf(path, sizeof(path), "%s/%s.json", test_dir(), name);
	sao_token_init(&tok);
	r = sao_cache_read(path, &tok, NULL) == SAO_OK ? tok.rejected_at : -1;
	sao_token_clear(&tok);
	return r;
}

static void init(void)
{
	CHECK(sasl_client_init(test_sasl_callbacks) == SASL_OK);
}

static sasl_conn_t *new_conn(const char *host, const char *remote, sasl_callback_t *cbs)
{
	sasl_conn_t *conn = NULL;

	CHECK(sasl_client_new("imap", host, NULL, remote, cbs, 0, &conn) == SASL_OK);
	return conn;
}

struct login {
	int rc;
	const char *out;
	unsigned outlen;
	const char *mech;
};

static struct login start(sasl_conn_t *conn, const char *mechs)
{
	struct login l = { 0 };
	sasl_interact_t *interact = NULL;

	l.rc = sasl_client_start(conn, mechs, &interact, &l.out, &l.outlen, &l.mech);
	return l;
}

/* With no configuration file the plugin must not offer anything. */
static void test_unconfigured(void)
{
	sasl_conn_t *conn;
	const char *list = NULL;
	struct login l;

	unsetenv("SASL_OAUTH_CONF");
	if (access(SAO_SYSCONFDIR "/sasl-oauth.conf", F_OK) == 0) {
		test_skip("%s exists, so the plugin is configured", SAO_SYSCONFDIR "/sasl-oauth.conf");
		return;
	}
	init();
	conn = new_conn("imap.example.com", NULL, NULL);
	CHECK(sasl_listmech(conn, NULL, "", " ", "", &list, NULL, NULL) == SASL_OK);
	CHECK_MSG(list != NULL && strstr(list, "XOAUTH2") == NULL && strstr(list, "OAUTHBEARER") == NULL, "list: %s",
	          list ? list : "(null)");
	test_sasl.authname = "alice@example.com";
	l = start(conn, "XOAUTH2 OAUTHBEARER");
	CHECK(l.rc == SASL_NOMECH);
	/* PLAIN keeps working as before. */
	test_sasl.password = "password";
	l = start(conn, "PLAIN XOAUTH2");
	CHECK_MSG(l.rc == SASL_OK && l.mech != NULL && strcmp(l.mech, "PLAIN") == 0, "rc %d", l.rc);
	test_sasl.password = NULL;
	sasl_dispose(&conn);
	sasl_done();
}

static const char *xo_expect(const char *user, const char *token, char *buf, size_t size, unsigned *len)
{
	*len = (unsigned)snprintf(buf, size, "user=%s\001auth=Bearer %s\001\001", user, token);
	return buf;
}

static void test_configured(void)
{
	sasl_conn_t *conn;
	struct login l;
	char want[512];
	unsigned wantlen;
	const char *out;
	unsigned outlen;
	int rc;
	sasl_interact_t *interact = NULL;
	const char *detail;
	int64_t now = (int64_t)time(NULL);

	write_conf("# test configuration\n"
	           "[account work]\n"
	           "users = alice@example.com, shared@example.com\n"
	           "cache = @D@/work.json\n"
	           "\n[account expired]\nusers = old@example.com\ncache = @D@/expired.json\n"
	           "\n[account cmd]\nusers = cmd@example.com\ntoken_command = printf 'cmd-token.1\\n'\n"
	           "\n[account badcmd]\nusers = bad@example.com\ntoken_command = sh -c 'echo no such thing >&2; exit 3'\n"
	           "\n[account nocache]\nusers = new@example.com\ncache = @D@/nocache.json\n");
	setenv("SASL_OAUTH_CONF", conf_path, 1);
	write_cache("work", "work-token.abc", now + 3600);
	write_cache("expired", "old-token", now - 60);
	init();

	/* Callbacks (Postfix-style), XOAUTH2, byte-exact, then success. */
	test_sasl.authname = "alice@example.com";
	test_sasl.user = NULL;
	conn = new_conn("imap.example.com", "127.0.0.1;993", NULL);
	l = start(conn, "XOAUTH2");
	CHECK_MSG(l.rc == SASL_CONTINUE, "rc %d %s", l.rc, sasl_errdetail(conn));
	xo_expect("alice@example.com", "work-token.abc", want, sizeof(want), &wantlen);
	CHECK_BYTES(l.out, l.outlen, want, wantlen);
	rc = sasl_client_step(conn, NULL, 0, &interact, &out, &outlen);
	CHECK_MSG(rc == SASL_OK, "final step rc %d", rc);
	sasl_dispose(&conn);

	/* OAUTHBEARER carries host and the port from ipremoteport. */
	conn = new_conn("imap.example.com", "127.0.0.1;993", NULL);
	l = start(conn, "OAUTHBEARER");
	CHECK_MSG(l.rc == SASL_CONTINUE, "rc %d %s", l.rc, sasl_errdetail(conn));
	CHECK_BYTES(l.out, l.outlen,
	            "n,a=alice@example.com,\001host=imap.example.com\001port=993\001auth=Bearer work-token.abc\001\001",
	            strlen("n,a=alice@example.com,\001host=imap.example.com\001port=993\001auth=Bearer work-token.abc"
	                   "\001\001"));
	/* mbsync without SASL-IR: the server's empty "+" comes first... the
	 * state machine does not confuse it with success after the response. */
	rc = sasl_client_step(conn, "", 0, &interact, &out, &outlen);
	CHECK(rc == SASL_OK);
	sasl_dispose(&conn);

	/* Shared mailbox: authorization id is the mailbox, token is work's. */
	test_sasl.user = "shared@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	xo_expect("shared@example.com", "work-token.abc", want, sizeof(want), &wantlen);
	CHECK_BYTES(l.out, l.outlen, want, wantlen);
	sasl_dispose(&conn);
	test_sasl.user = NULL;

	/* Token command. */
	test_sasl.authname = "cmd@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	xo_expect("cmd@example.com", "cmd-token.1", want, sizeof(want), &wantlen);
	CHECK_BYTES(l.out, l.outlen, want, wantlen);
	sasl_dispose(&conn);

	/* Failing token command: the detail names the command, status, stderr. */
	test_sasl.authname = "bad@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	detail = sasl_errdetail(conn);
	CHECK(l.rc != SASL_OK && l.rc != SASL_CONTINUE);
	CHECK_MSG(strstr(detail, "status 3") != NULL && strstr(detail, "no such thing") != NULL &&
	              strstr(detail, "badcmd") != NULL,
	          "detail: %s", detail);
	sasl_dispose(&conn);

	/* Expired cache: refused before anything is sent, with the fix. */
	test_sasl.authname = "old@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	detail = sasl_errdetail(conn);
	CHECK(l.rc == SASL_EXPIRED);
	CHECK_MSG(strstr(detail, "expired at") != NULL && strstr(detail, "sasl-oauth refresh expired") != NULL,
	          "detail: %s", detail);
	sasl_dispose(&conn);

	/* Nothing cached yet. */
	test_sasl.authname = "new@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	CHECK_MSG(strstr(sasl_errdetail(conn), "sasl-oauth login nocache") != NULL, "detail: %s", sasl_errdetail(conn));
	sasl_dispose(&conn);

	/* No account: the application's password is the bearer token. */
	test_sasl.authname = "bob@example.com";
	test_sasl.password = "ya29.a0AfB_byC1passwordAsTokenXyz0123456789";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	xo_expect("bob@example.com", "ya29.a0AfB_byC1passwordAsTokenXyz0123456789", want, sizeof(want), &wantlen);
	CHECK_BYTES(l.out, l.outlen, want, wantlen);
	sasl_dispose(&conn);
	test_sasl.password = NULL;
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	CHECK(l.rc == SASL_BADPARAM);
	CHECK_MSG(strstr(sasl_errdetail(conn), "no account") != NULL, "detail: %s", sasl_errdetail(conn));
	sasl_dispose(&conn);

	/* Error challenge (Dovecot's XOAUTH2 JSON): answered with an empty
	 * response, the decoded reason in errdetail, the cached token marked. */
	test_sasl.authname = "alice@example.com";
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	{
		const char *ch = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\","
		                 "\"openid-configuration\":\"http://127.0.0.1:1/.well-known/openid-configuration\"}";

		out = "not touched";
		rc = sasl_client_step(conn, ch, (unsigned)strlen(ch), &interact, &out, &outlen);
		detail = sasl_errdetail(conn);
		CHECK(rc == SASL_CONTINUE);
		CHECK(out != NULL && outlen == 0);
		CHECK_MSG(strstr(detail, "invalid, expired or revoked") != NULL && strstr(detail, "'work'") != NULL &&
		              strstr(detail, "status 401") != NULL,
		          "detail: %s", detail);
		CHECK(strstr(detail, "work-token") == NULL);
		/* Any further step repeats the failure instead of succeeding. */
		rc = sasl_client_step(conn, NULL, 0, &interact, &out, &outlen);
		CHECK(rc == SASL_BADAUTH);
	}
	sasl_dispose(&conn);
	CHECK(cache_rejected_at("work") >= now);

	/* The next login does not reuse the rejected token. */
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	CHECK(l.rc == SASL_EXPIRED);
	CHECK_MSG(strstr(sasl_errdetail(conn), "rejected by the server at") != NULL &&
	              strstr(sasl_errdetail(conn), "invalid, expired or revoked (status 401, scope mail)") != NULL,
	          "detail: %s", sasl_errdetail(conn));
	sasl_dispose(&conn);

	/* OAUTHBEARER answers an error challenge with 0x01. */
	write_cache("work", "work-token.def", now + 3600);
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "OAUTHBEARER");
	CHECK(l.rc == SASL_CONTINUE);
	rc = sasl_client_step(conn, "{\"status\":\"invalid_token\"}", 26, &interact, &out, &outlen);
	CHECK(rc == SASL_CONTINUE);
	CHECK_BYTES(out, outlen, "\001", 1);
	sasl_dispose(&conn);

	/* A malformed challenge is still a refusal, reported as such. */
	write_cache("work", "work-token.ghi", now + 3600);
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	rc = sasl_client_step(conn, "\x00\xff garbage", 10, &interact, &out, &outlen);
	CHECK(rc == SASL_CONTINUE && outlen == 0);
	CHECK_MSG(strstr(sasl_errdetail(conn), "could not be read") != NULL, "detail: %s", sasl_errdetail(conn));
	sasl_dispose(&conn);
	write_cache("work", "work-token.abc", now + 3600);

	/* Prompts (mbsync-style): user names asked, the password never is
	 * when an account serves the user. */
	conn = new_conn("imap.example.com", NULL, test_sasl_prompts);
	interact = NULL;
	rc = sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, NULL);
	CHECK(rc == SASL_INTERACT && interact != NULL);
	for (sasl_interact_t *p = interact; rc == SASL_INTERACT && p->id != SASL_CB_LIST_END; p++) {
		CHECK(p->id != SASL_CB_PASS);
		p->result = "alice@example.com";
		p->len = 17;
	}
	rc = sasl_client_step(conn, NULL, 0, &interact, &out, &outlen);
	CHECK_MSG(rc == SASL_CONTINUE, "rc %d %s", rc, sasl_errdetail(conn));
	xo_expect("alice@example.com", "work-token.abc", want, sizeof(want), &wantlen);
	CHECK_BYTES(out, outlen, want, wantlen);
	sasl_dispose(&conn);

	/* Prompts for a user without an account: the password is asked next. */
	conn = new_conn("imap.example.com", NULL, test_sasl_prompts);
	interact = NULL;
	rc = sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, NULL);
	for (sasl_interact_t *p = interact; rc == SASL_INTERACT && p->id != SASL_CB_LIST_END; p++) {
		p->result = "bob@example.com";
		p->len = 15;
	}
	rc = sasl_client_step(conn, NULL, 0, &interact, &out, &outlen);
	CHECK(rc == SASL_INTERACT && interact != NULL && interact[0].id == SASL_CB_PASS);
	if (rc == SASL_INTERACT) {
		interact[0].result = "EwBAAl3BAAUprompted+token/0123456789==";
		interact[0].len = 38;
		rc = sasl_client_step(conn, NULL, 0, &interact, &out, &outlen);
	}
	xo_expect("bob@example.com", "EwBAAl3BAAUprompted+token/0123456789==", want, sizeof(want), &wantlen);
	CHECK_BYTES(out, outlen, want, wantlen);
	sasl_dispose(&conn);
	sasl_done();
}

/* A broken configuration still registers, and says precisely what is wrong. */
static void test_misconfigured(void)
{
	sasl_conn_t *conn;
	const char *list = NULL;
	struct login l;

	write_conf("[account work]\nusers = alice@example.com\nbogus_key = 1\n");
	init();
	conn = new_conn("imap.example.com", NULL, NULL);
	CHECK(sasl_listmech(conn, NULL, "", " ", "", &list, NULL, NULL) == SASL_OK);
	CHECK_MSG(list != NULL && strstr(list, "XOAUTH2") != NULL, "list: %s", list ? list : "(null)");
	test_sasl.authname = "alice@example.com";
	l = start(conn, "XOAUTH2");
	CHECK(l.rc == SASL_FAIL);
	CHECK_MSG(strstr(sasl_errdetail(conn), "sasl-oauth.conf:3:") != NULL &&
	              strstr(sasl_errdetail(conn), "bogus_key") != NULL,
	          "detail: %s", sasl_errdetail(conn));
	sasl_dispose(&conn);
	sasl_done();
}

/* The program's allocator, set before the first sasl_client_init (libsasl2
 * ignores sasl_set_alloc after that, for the rest of the process): it
 * fails on demand (alloc_budget) and keeps each live block's size, so that
 * a block can be looked at when it comes back. */
#define LIVE_MAX 16384
static long alloc_budget = -1;
static struct {
	void *p;
	size_t n;
} live[LIVE_MAX];
static const void *marked; /* a block whose bytes must all be zero when freed */
static int marked_freed, marked_dirty;

static void live_add(void *p, size_t n)
{
	size_t free_slot = LIVE_MAX;

	for (size_t i = 0; p != NULL && i < LIVE_MAX; i++) {
		if (live[i].p == p) /* freed behind our back and handed out again */
			live[i].p = NULL;
		if (live[i].p == NULL && free_slot == LIVE_MAX)
			free_slot = i;
	}
	if (p != NULL && free_slot < LIVE_MAX) {
		live[free_slot].p = p;
		live[free_slot].n = n;
	}
}

/* Forgets p; returns its size (0 if it was not allocated here). */
static size_t live_take(const void *p)
{
	for (size_t i = 0; p != NULL && i < LIVE_MAX; i++) {
		if (live[i].p == p) {
			live[i].p = NULL;
			return live[i].n;
		}
	}
	return 0;
}

/* The live block that p points into, or NULL. */
static void *live_block(const void *p)
{
	for (size_t i = 0; p != NULL && i < LIVE_MAX; i++) {
		if (live[i].p != NULL && (const char *)p >= (const char *)live[i].p &&
		    (const char *)p < (const char *)live[i].p + live[i].n)
			return live[i].p;
	}
	return NULL;
}

static void returned(const void *p, size_t n)
{
	if (p == NULL || p != marked)
		return;
	marked = NULL;
	marked_freed++;
	for (size_t i = 0; i < n; i++) {
		if (((const unsigned char *)p)[i] != 0) {
			marked_dirty++;
			break;
		}
	}
}

/* 0 when this allocation is to fail. */
static int allowed(void)
{
	if (alloc_budget == 0)
		return 0;
	if (alloc_budget > 0)
		alloc_budget--;
	return 1;
}

static void *watch_malloc(size_t n)
{
	void *p = allowed() ? malloc(n) : NULL;

	live_add(p, n);
	return p;
}

static void *watch_calloc(size_t a, size_t b)
{
	void *p = allowed() ? calloc(a, b) : NULL;

	live_add(p, a * b);
	return p;
}

static void *watch_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!allowed())
		return NULL;
	old = live_take(p);
	returned(p, old);
	q = realloc(p, n);
	live_add(q != NULL ? q : p, q != NULL ? n : old);
	return q;
}

static void watch_free(void *p)
{
	returned(p, live_take(p));
	free(p);
}

/* The block holding the login message goes back to the program's
 * allocator all zero: the plugin keeps its secrets there
 * (sao_secret_allocator) and mech_dispose wipes them. */
static void test_wiped_on_dispose(void)
{
	sasl_conn_t *conn;
	struct login l;
	sasl_interact_t *interact = NULL;
	const char *out;
	unsigned outlen;

	write_conf("[account work]\nusers = alice@example.com\ncache = @D@/work.json\n");
	write_cache("work", "work-token.wipe", (int64_t)time(NULL) + 3600);
	init();
	test_sasl.authname = "alice@example.com";
	test_sasl.user = NULL;
	conn = new_conn("imap.example.com", NULL, NULL);
	l = start(conn, "XOAUTH2");
	CHECK_MSG(l.rc == SASL_CONTINUE, "rc %d %s", l.rc, sasl_errdetail(conn));
	CHECK(l.out != NULL && memmem(l.out, l.outlen, "work-token.wipe", 15) != NULL);
	marked = live_block(l.out);
	CHECK(marked != NULL);
	marked_freed = marked_dirty = 0;
	CHECK(sasl_client_step(conn, NULL, 0, &interact, &out, &outlen) == SASL_OK);
	sasl_dispose(&conn);
	CHECK_MSG(marked_freed == 1 && marked_dirty == 0, "login message block: freed %d, not wiped %d", marked_freed,
	          marked_dirty);
	marked = NULL;
	sasl_done();
}

/* Allocation failures anywhere in a login give an error, never a crash or
 * a leak, and say nothing about the cache. */
static void test_alloc_failures(void)
{
	long budget_needed = -1;
	int succeeded = 0;
	char path[600];
	DIR *d;

	write_conf("[account work]\nusers = alice@example.com\ncache = @D@/work.json\n");
	test_sasl.authname = "alice@example.com";
	for (long budget = 0; budget < 400 && !succeeded; budget++) {
		sasl_conn_t *conn = NULL;
		const char *out = NULL, *mech = NULL;
		unsigned outlen = 0;
		sasl_interact_t *interact = NULL;

		/* libsasl2's own init and connection setup crash on a failed
		 * allocation (libsasl2 2.1.28): failures start at the login. */
		if (sasl_client_init(test_sasl_callbacks) == SASL_OK) {
			if (sasl_client_new("imap", "imap.example.com", NULL, NULL, NULL, 0, &conn) == SASL_OK) {
				alloc_budget = budget;
				if (sasl_client_start(conn, "XOAUTH2", &interact, &out, &outlen, &mech) == SASL_CONTINUE) {
					succeeded = 1;
					budget_needed = budget;
				}
				alloc_budget = -1;
			}
			sasl_dispose(&conn);
		}
		sasl_done();
	}
	/* It took more than one try: failures were injected and survived. */
	CHECK(succeeded);
	CHECK(budget_needed > 0);
	/* Running out of memory says nothing about the cache: it stays. */
	CHECK(access(test_path(path, sizeof(path), "work.json"), F_OK) == 0);
	d = opendir(test_dir());
	for (struct dirent *e = d != NULL ? readdir(d) : NULL; e != NULL; e = readdir(d))
		CHECK_MSG(strstr(e->d_name, ".corrupt.") == NULL, "kept aside: %s", e->d_name);
	if (d != NULL)
		closedir(d);
}

/*
 * A configured plugin next to PLAIN: which mechanism libsasl2 picks for a
 * user no account serves, for each load order (ours and PLAIN in two
 * directories, either first), when the server offers both (Exchange, Gmail,
 * Dovecot with oauth2), and what happens to that user's password. Both
 * orders are measured and printed; the assertion is the outcome: PLAIN
 * sends the password, and XOAUTH2, where chosen, refuses a password that
 * cannot be a token at once with the cause and the fix, and still passes a
 * real token (PassCmd-style setups).
 */
static void test_plain_order(void)
{
	static const char *const lists[] = { "PLAIN XOAUTH2", "XOAUTH2 PLAIN", "PLAIN OAUTHBEARER XOAUTH2" };
	char ours[600], plain[600], link[700], orders[2][1300];
	const char *saved = test_sasl.path;

	test_path(ours, sizeof(ours), "only-ours");
	test_path(plain, sizeof(plain), "only-plain");
	CHECK(test_mkdirs(ours) == 0 && test_mkdirs(plain) == 0);
	snprintf(link, sizeof(link), "%s/libsasl-oauth.so", ours);
	CHECK(symlink(SAO_TEST_PLUGINDIR "/libsasl-oauth.so", link) == 0);
	snprintf(link, sizeof(link), "%s/libplain.so", plain);
	CHECK(symlink(SAO_SYSTEM_PLUGINDIR "/libplain.so", link) == 0);
	snprintf(orders[0], sizeof(orders[0]), "%s:%s", ours, plain);
	snprintf(orders[1], sizeof(orders[1]), "%s:%s", plain, ours);
	write_conf("[account work]\nusers = alice@example.com\ncache = @D@/work.json\n");
	setenv("SASL_OAUTH_CONF", conf_path, 1);
	for (size_t o = 0; o < 2; o++) {
		test_sasl.path = orders[o];
		init();
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
			sasl_conn_t *conn = new_conn("imap.example.com", NULL, NULL);
			struct login l;
			char want[512];
			unsigned wantlen;

			test_sasl.authname = "someone@gmail.com";
			test_sasl.user = NULL;
			test_sasl.password = "hunter2 is my password!";
			l = start(conn, lists[i]);
			printf("# load order %s first, server offers \"%s\": libsasl2 picks %s\n",
			       o == 0 ? "sasl-oauth" : "PLAIN", lists[i], l.mech != NULL ? l.mech : "(none)");
			if (l.mech != NULL && strcmp(l.mech, "PLAIN") == 0) {
				CHECK_MSG(l.rc == SASL_OK || l.rc == SASL_CONTINUE, "PLAIN rc %d", l.rc);
			} else {
				const char *d = sasl_errdetail(conn);

				CHECK_MSG(l.rc == SASL_BADPARAM, "order %zu list %s: rc %d", o, lists[i], l.rc);
				CHECK_MSG(strstr(d, "no account in the sasl-oauth configuration serves user 'someone@gmail.com'") !=
				                  NULL &&
				                  strstr(d, "holds a character no bearer token has") != NULL &&
				                  strstr(d, "AuthMechs PLAIN") != NULL &&
				                  strstr(d, "smtp_sasl_mechanism_filter = plain, login") != NULL &&
				                  strstr(d, "hunter2") == NULL,
				          "detail: %s", d);
				sasl_dispose(&conn);
				/* Too short, but token characters. */
				conn = new_conn("imap.example.com", NULL, NULL);
				test_sasl.password = "Summer2024";
				l = start(conn, l.mech);
				CHECK_MSG(l.rc == SASL_BADPARAM && strstr(sasl_errdetail(conn), "shorter than any bearer token") !=
				                                           NULL,
				          "rc %d detail: %s", l.rc, sasl_errdetail(conn));
				sasl_dispose(&conn);
				/* A real token as the password still goes through. */
				conn = new_conn("imap.example.com", NULL, NULL);
				test_sasl.password = "ya29.a0AfB_byC1realLookingGoogleToken-0123456789";
				l = start(conn, "XOAUTH2");
				xo_expect("someone@gmail.com", test_sasl.password, want, sizeof(want), &wantlen);
				CHECK_MSG(l.rc == SASL_CONTINUE, "token as password: rc %d %s", l.rc, sasl_errdetail(conn));
				CHECK_BYTES(l.out, l.outlen, want, wantlen);
			}
			sasl_dispose(&conn);
		}
		sasl_done();
	}
	test_sasl.path = saved;
	test_sasl.password = NULL;
}

int main(void)
{
	/* PLAIN, to show the plugin leaves other mechanisms alone; nothing
	 * else installed on the machine (another XOAUTH2) takes part. */
	static const char *const system_plugins[] = { "libplain.so", NULL };
	const char *dir = test_dir_init("test-plugin");

	sasl_set_alloc(watch_malloc, watch_calloc, watch_realloc, watch_free);
	test_sasl.path = test_plugin_dir(system_plugins);
	test_path(conf_path, sizeof(conf_path), "sasl-oauth.conf");
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("XDG_STATE_HOME", dir, 1);
	if (test_sasl.path != NULL) {
		test_run("unconfigured: no mechanism offered, PLAIN unchanged", test_unconfigured);
		test_run("configured: logins, errors, prompts", test_configured);
		test_run("next to PLAIN: the choice per load order, passwords refused", test_plain_order);
		test_run("misconfigured: FILE:LINE at login", test_misconfigured);
		test_run("the login message is wiped before it is freed", test_wiped_on_dispose);
		test_run("allocation failures", test_alloc_failures);
	}
	test_dir_done();
	return check_done("test-plugin");
}
