/* SPDX-License-Identifier: MIT */
/*
 * test-http: the form encoding, the URL rules, and whole requests against a
 * scripted HTTP server on 127.0.0.1 that this test forks for each case. The
 * server records every request it receives, so the tests see the wire bytes
 * and count the retries.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "server.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/secret.h"

#define WHAT "refreshing the token of account 'work'"
#define SECRET "s3cr3t+refresh/token="

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- form encoding ---------------------------------------------------- */

static const struct enc_row {
	const char *in;
	size_t len;
	const char *want;
} enc_rows[] = {
	{ "abc", 3, "abc" },
	{ "", 0, "" },
	{ "AZaz09-._~", 10, "AZaz09-._~" },
	{ "a b", 3, "a%20b" },
	{ "a+b", 3, "a%2Bb" },
	{ "a&b=c", 5, "a%26b%3Dc" },
	{ "https://x/y", 11, "https%3A%2F%2Fx%2Fy" },
	{ "\xc3\xa9\xe2\x82\xac", 5, "%C3%A9%E2%82%AC" }, /* UTF-8 "é€" */
	{ "*'()!%", 6, "%2A%27%28%29%21%25" },
	{ "\0\x1f\x7f\xff", 4, "%00%1F%7F%FF" },
	{ "a\r\nb", 4, "a%0D%0Ab" },
};

static void test_encode(void)
{
	sao_secret_t out;
	sao_error_t err;
	char big[300];

	for (size_t i = 0; i < sizeof(enc_rows) / sizeof(enc_rows[0]); i++) {
		const struct enc_row *r = &enc_rows[i];

		sao_error_clear(&err);
		sao_secret_init(&out, 1024);
		CHECK_MSG(sao_http_encode(&out, r->in, r->len, &err) == SAO_OK, "row %zu", i);
		CHECK_BYTES(out.data != NULL ? (const char *)out.data : "", out.len, r->want,
		            strlen(r->want));
		sao_secret_clear(&out);
	}

	/* Appends to what is there; more than one internal chunk is fine. */
	memset(big, ' ', sizeof(big));
	sao_secret_init(&out, 2000);
	CHECK(sao_secret_set(&out, "q=", 2, NULL) == SAO_OK);
	CHECK(sao_http_encode(&out, big, sizeof(big), NULL) == SAO_OK);
	CHECK(out.len == 2 + 3 * sizeof(big));
	CHECK(memcmp(out.data, "q=%20%20", 8) == 0);
	CHECK(memcmp(out.data + out.len - 3, "%20", 3) == 0);
	sao_secret_clear(&out);

	/* The encoded length counts against the ceiling, not the raw one. */
	sao_error_clear(&err);
	sao_secret_init(&out, 8);
	CHECK(sao_http_encode(&out, "ab", 2, &err) == SAO_OK);
	CHECK(sao_http_encode(&out, "   ", 3, &err) == SAO_ERR_TOOBIG);
	CHECK_BYTES(out.data, out.len, "ab", 2);
	CHECK(err.code == SAO_ERR_TOOBIG);
	sao_secret_clear(&out);
}

static void test_form(void)
{
	static const char scope[] =
		"https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
	static const char want[] =
		"grant_type=refresh_token"
		"&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access"
		"&refresh_token=s3cr3t%2Brefresh%2Ftoken%3D"
		"&a%20b%3D=%C3%A9";
	sao_secret_t form;
	sao_error_t err;

	sao_error_clear(&err);
	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	CHECK(sao_http_form_add(&form, "grant_type", "refresh_token", 13, &err) == SAO_OK);
	CHECK(sao_http_form_add(&form, "scope", scope, strlen(scope), &err) == SAO_OK);
	CHECK(sao_http_form_add(&form, "refresh_token", SECRET, strlen(SECRET), &err) == SAO_OK);
	CHECK(sao_http_form_add(&form, "a b=", "\xc3\xa9", 2, &err) == SAO_OK);
	CHECK_BYTES(form.data, form.len, want, sizeof(want) - 1);
	CHECK(err.code == SAO_OK);
	sao_secret_clear(&form);

	/* An empty value still makes "name=". */
	sao_secret_init(&form, 100);
	CHECK(sao_http_form_add(&form, "x", "", 0, NULL) == SAO_OK);
	CHECK(sao_http_form_add(&form, "y", NULL, 0, NULL) == SAO_OK);
	CHECK_BYTES(form.data, form.len, "x=&y=", 5);
	sao_secret_clear(&form);

	/* Exactly at the ceiling fits; one byte more is refused whole, the
	 * form is unchanged, and the message names the field, not the value. */
	sao_secret_init(&form, 15);
	CHECK(sao_http_form_add(&form, "a", "xxxxx", 5, NULL) == SAO_OK);
	CHECK(sao_http_form_add(&form, "b", "yyyyy", 5, NULL) == SAO_OK);
	CHECK(form.len == 15);
	sao_secret_clear(&form);
	sao_error_clear(&err);
	sao_secret_init(&form, 14);
	CHECK(sao_http_form_add(&form, "a", "xxxxx", 5, &err) == SAO_OK);
	CHECK(sao_http_form_add(&form, "b", "yyyyy", 5, &err) == SAO_ERR_TOOBIG);
	CHECK_BYTES(form.data, form.len, "a=xxxxx", 7);
	CHECK(strstr(err.msg, "'b'") != NULL && strstr(err.msg, "yyyyy") == NULL);
	sao_secret_clear(&form);
	/* Encoding growth counts: three spaces are nine bytes. */
	sao_secret_init(&form, 10);
	CHECK(sao_http_form_add(&form, "a", "   ", 3, NULL) == SAO_ERR_TOOBIG);
	CHECK(form.len == 0);
	sao_secret_clear(&form);
}

/* ---- URL rules -------------------------------------------------------- */

static const struct url_row {
	const char *url;
	int want;
} url_rows[] = {
	{ "https://x", 1 },
	{ "https://login.microsoftonline.com/contoso/oauth2/v2.0/token", 1 },
	{ "HTTPS://Example.COM:443/token?x=1#f", 1 },
	{ "https://[2001:db8::1]:8443/t", 1 },
	{ "http://127.0.0.1:5/", 1 },
	{ "http://127.255.255.254:65535/token", 1 },
	{ "http://localhost/", 1 },
	{ "http://LOCALHOST:8080", 1 },
	{ "http://[::1]:8/", 1 },
	{ "http://example.com", 0 },
	{ "http://example.com/", 0 },
	{ "http://127.0.0.1.evil.com", 0 },
	{ "http://127.0.0.1.evil.com/", 0 },
	{ "http://127.0.0.1@evil.com/", 0 },
	{ "http://evil.com#@127.0.0.1/", 0 },
	{ "http://localhost.evil/", 0 },
	{ "http://localhost.:1/", 0 },
	{ "http://127.1/", 0 },
	{ "http://0x7f000001/", 0 },
	{ "http://2130706433/", 0 },
	{ "http://[::2]/", 0 },
	{ "http://[::ffff:127.0.0.1]/", 0 },
	{ "http://127.0.0.1:65536/", 0 },
	{ "http://127.0.0.1:/", 0 },
	{ "http://127.0.0.1:8x/", 0 },
	{ "ftp://example.com/", 0 },
	{ "ftp://127.0.0.1/", 0 },
	{ "file:///etc/passwd", 0 },
	{ "file://localhost/etc/passwd", 0 },
	{ "https://", 0 },
	{ "https:///path", 0 },
	{ "https://user:pw@example.com/", 0 },
	{ "https://example.com@evil.example/", 0 },
	{ "https://exa mple.com/", 0 },
	{ "https://example.com\\@evil/", 0 },
	{ "https://[fe80::1%25eth0]/", 0 },
	{ "https://[nonsense]/", 0 },
	{ "https://ex\xc3\xa4mple.com/", 0 },
	{ "https://example.com/\n", 0 },
	{ "//example.com/", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

static void test_url_allowed(void)
{
	for (size_t i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		const struct url_row *r = &url_rows[i];

		CHECK_MSG(sao_http_url_allowed(r->url) == r->want, "'%s' should be %s",
		          r->url != NULL ? r->url : "(null)", r->want ? "allowed" : "refused");
	}
}

/* Every request is the same POST, byte for byte. */
static void check_request(const char *name, const char *req, size_t len, const sao_secret_t *form)
{
	static const char line[] = "POST /token HTTP/1.1\r\n";
	const char *hend = memmem(req, len, "\r\n\r\n", 4);
	const char *v;
	size_t head, vlen;

	CHECK_MSG(len >= sizeof(line) - 1 && memcmp(req, line, sizeof(line) - 1) == 0,
	          "%s: request line", name);
	CHECK_MSG(hend != NULL, "%s: request head incomplete", name);
	if (hend == NULL)
		return;
	head = (size_t)(hend - req) + 4;
	v = find_header(req, head, "Content-Type", &vlen);
	CHECK_MSG(v != NULL && vlen == 33 &&
	          memcmp(v, "application/x-www-form-urlencoded", 33) == 0,
	          "%s: Content-Type", name);
	v = find_header(req, head, "Accept", &vlen);
	CHECK_MSG(v != NULL && vlen == 16 && memcmp(v, "application/json", 16) == 0, "%s: Accept",
	          name);
	v = find_header(req, head, "User-Agent", &vlen);
	CHECK_MSG(v != NULL && vlen > 11 && memcmp(v, "sasl-oauth/", 11) == 0, "%s: User-Agent",
	          name);
	CHECK_MSG(find_header(req, head, "Expect", &vlen) == NULL, "%s: Expect sent", name);
	CHECK_BYTES(req + head, len - head, form->data, form->len);
}

/* ---- whole requests --------------------------------------------------- */

#define JSON_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
#define JSON_BODY "{\"access_token\":\"at-123\",\"token_type\":\"Bearer\",\"expires_in\":3599}"

static const struct post_row {
	const char *name;
	reply_t replies[2];
	const char *proxy;        /* NULL: "" (none) */
	long timeout_s;
	sao_err_t want_rc;
	long want_status;
	const char *want_body;    /* NULL: the body must be empty */
	size_t want_requests;
	const char *want_msg[3];  /* substrings the message must hold */
	const char *not_msg;      /* and one it must not */
	int64_t min_ms, max_ms;   /* 0: not checked */
} post_rows[] = {
	{ .name = "200 json",
	  .replies = { { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 200, .want_body = JSON_BODY,
	  .want_requests = 1 },
	{ .name = "plain http to loopback never goes through a proxy",
	  .replies = { { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .proxy = "http://127.0.0.1:1", .timeout_s = 10, .want_rc = SAO_OK, .want_status = 200,
	  .want_body = JSON_BODY, .want_requests = 1 },
	{ .name = "400 oauth error is the caller's to judge",
	  .replies = { { REPLY_SEND,
	                 "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n",
	                 "{\"error\":\"invalid_grant\"}", 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 400,
	  .want_body = "{\"error\":\"invalid_grant\"}", .want_requests = 1 },
	{ .name = "302 is not followed",
	  .replies = { { REPLY_SEND,
	                 "HTTP/1.1 302 Found\r\n"
	                 "Location: https://user@evil.example.net:8443/authorize?code=LEAKME\r\n",
	                 "moved", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_ERR_NET, .want_status = 302, .want_requests = 1,
	  .want_msg = { "the provider at '127.0.0.1' redirected (HTTP 302) to 'evil.example.net'",
	                "redirects are not followed" },
	  .not_msg = "LEAKME" },
	{ .name = "body over the cap, streamed",
	  .replies = { { REPLY_RAW, JSON_HEAD, NULL, SAO_HTTP_BODY_MAX + 300000 } },
	  .timeout_s = 20, .want_rc = SAO_ERR_TOOBIG, .want_status = 0, .want_requests = 1,
	  .want_msg = { WHAT " failed: the answer from '127.0.0.1' is larger than "
	                "1048576 bytes" } },
	{ .name = "body over the cap, declared",
	  .replies = { { REPLY_RAW, JSON_HEAD "Content-Length: 2000000\r\n", "{", 0 } },
	  .timeout_s = 10, .want_rc = SAO_ERR_TOOBIG, .want_status = 0, .want_requests = 1,
	  .want_msg = { "larger than 1048576 bytes" } },
	{ .name = "server never answers",
	  .replies = { { REPLY_HANG, NULL, NULL, 0 } },
	  .timeout_s = 1, .want_rc = SAO_ERR_TIMEOUT, .want_status = 0, .want_requests = 1,
	  .want_msg = { WHAT " failed: the request to '127.0.0.1' timed out after 1 s",
	                "check the network or proxy, or raise http_timeout" },
	  .min_ms = 900, .max_ms = 2900 },
	{ .name = "503 Retry-After 0, then 200",
	  .replies = { { REPLY_SEND, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\n",
	                 "busy", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 200, .want_body = JSON_BODY,
	  .want_requests = 2, .max_ms = 900 },
	{ .name = "429 Retry-After 1, then 200, after a second",
	  .replies = { { REPLY_SEND, "HTTP/1.1 429 Too Many Requests\r\nretry-after:  1 \r\n", "",
	                 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 200, .want_body = JSON_BODY,
	  .want_requests = 2, .min_ms = 1000 },
	{ .name = "503 Retry-After 100 past a 2 s budget",
	  .replies = { { REPLY_SEND, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 100\r\n",
	                 "busy", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 2, .want_rc = SAO_OK, .want_status = 503, .want_body = "busy",
	  .want_requests = 1, .max_ms = 1500 },
	{ .name = "500 without Retry-After",
	  .replies = { { REPLY_SEND, "HTTP/1.1 500 Internal Server Error\r\n", "oops", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 500, .want_body = "oops",
	  .want_requests = 1 },
	{ .name = "503 with an HTTP-date Retry-After",
	  .replies = { { REPLY_SEND,
	                 "HTTP/1.1 503 Service Unavailable\r\n"
	                 "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
	                 "busy", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 503, .want_body = "busy",
	  .want_requests = 1 },
	{ .name = "503 with a Retry-After too large to count",
	  .replies = { { REPLY_SEND,
	                 "HTTP/1.1 503 Service Unavailable\r\n"
	                 "Retry-After: 99999999999999999999999\r\n",
	                 "busy", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 503, .want_body = "busy",
	  .want_requests = 1, .max_ms = 1500 },
	{ .name = "503 with a Retry-After that is not a number",
	  .replies = { { REPLY_SEND, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0x1\r\n",
	                 "busy", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 503, .want_body = "busy",
	  .want_requests = 1 },
	{ .name = "404 with Retry-After is not retried",
	  .replies = { { REPLY_SEND, "HTTP/1.1 404 Not Found\r\nRetry-After: 0\r\n", "no", 0 },
	               { REPLY_SEND, JSON_HEAD, JSON_BODY, 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 404, .want_body = "no",
	  .want_requests = 1 },
	{ .name = "retried once only",
	  .replies = { { REPLY_SEND, "HTTP/1.1 502 Bad Gateway\r\nRetry-After: 0\r\n", "one", 0 },
	               { REPLY_SEND, "HTTP/1.1 504 Gateway Timeout\r\nRetry-After: 0\r\n", "two",
	                 0 } },
	  .timeout_s = 10, .want_rc = SAO_OK, .want_status = 504, .want_body = "two",
	  .want_requests = 2 },
};

/* Over 1 KB, like a form with a client assertion: curl would wait for a
 * 100-continue before sending it unless told not to. */
static void make_form(sao_secret_t *form)
{
	char assertion[1500];

	memset(assertion, 'e', sizeof(assertion));
	sao_secret_init(form, SAO_HTTP_FORM_MAX);
	sao_http_form_add(form, "grant_type", "refresh_token", 13, NULL);
	sao_http_form_add(form, "client_id", "00000000-0000-0000-0000-000000000000", 36, NULL);
	sao_http_form_add(form, "refresh_token", SECRET, strlen(SECRET), NULL);
	sao_http_form_add(form, "client_assertion", assertion, sizeof(assertion), NULL);
}

static void test_post(void)
{
	sao_secret_t form;

	make_form(&form);
	for (size_t i = 0; i < sizeof(post_rows) / sizeof(post_rows[0]); i++) {
		const struct post_row *r = &post_rows[i];
		sao_http_opts_t o = { .proxy = r->proxy != NULL ? r->proxy : "",
		                      .timeout_s = r->timeout_s };
		sao_http_response_t resp;
		sao_error_t err;
		server_t srv;
		seen_t *seen = calloc(1, sizeof(*seen));
		char url[64];
		size_t n_replies =
			r->replies[1].head != NULL || r->replies[1].kind != REPLY_SEND ? 2 : 1;
		int64_t start, ms;
		sao_err_t rc;

		CHECK_MSG(seen != NULL && server_start(&srv, r->replies, n_replies) == 0,
		          "%s: server did not start", r->name);
		if (seen == NULL || srv.pid <= 0) {
			free(seen);
			continue;
		}
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", srv.port);
		sao_error_clear(&err);
		sao_http_response_init(&resp);
		start = now_ms();
		rc = sao_http_post_form(&o, url, &form, &resp, WHAT, &err);
		ms = now_ms() - start;
		server_stop(&srv, seen);

		CHECK_MSG(rc == r->want_rc, "%s: rc %d, want %d (%s)", r->name, rc, r->want_rc,
		          err.msg);
		CHECK_MSG(err.code == r->want_rc, "%s: err.code %d", r->name, err.code);
		CHECK_MSG(resp.status == r->want_status, "%s: status %ld, want %ld", r->name,
		          resp.status, r->want_status);
		if (r->want_body != NULL)
			CHECK_BYTES(resp.body.data, resp.body.len, r->want_body,
			            strlen(r->want_body));
		else
			CHECK_MSG(resp.body.len == 0, "%s: a failed request kept %zu body bytes",
			          r->name, resp.body.len);
		if (r->want_body != NULL && strcmp(r->want_body, JSON_BODY) == 0)
			CHECK_MSG(strcmp(resp.content_type, "application/json; charset=utf-8") == 0,
			          "%s: content type '%s'", r->name, resp.content_type);
		CHECK_MSG(seen->n == r->want_requests, "%s: %zu requests, want %zu", r->name,
		          seen->n, r->want_requests);
		for (size_t k = 0; k < seen->n && k < SEEN_MAX; k++)
			check_request(r->name, seen->req[k], seen->len[k], &form);
		for (size_t k = 0; k < 3 && r->want_msg[k] != NULL; k++)
			CHECK_MSG(strstr(err.msg, r->want_msg[k]) != NULL,
			          "%s: message '%s' lacks '%s'", r->name, err.msg, r->want_msg[k]);
		if (r->not_msg != NULL)
			CHECK_MSG(strstr(err.msg, r->not_msg) == NULL,
			          "%s: message '%s' holds '%s'", r->name, err.msg, r->not_msg);
		/* Whatever happened, the form never reaches a message. */
		CHECK_MSG(strstr(err.msg, "s3cr3t") == NULL &&
		          strstr(err.msg, "refresh_token=") == NULL,
		          "%s: message '%s' holds the form", r->name, err.msg);
		if (r->min_ms > 0)
			CHECK_MSG(ms >= r->min_ms, "%s: took %lld ms, want >= %lld", r->name,
			          (long long)ms, (long long)r->min_ms);
		if (r->max_ms > 0)
			CHECK_MSG(ms <= r->max_ms, "%s: took %lld ms, want <= %lld", r->name,
			          (long long)ms, (long long)r->max_ms);
		sao_http_response_clear(&resp);
		free(seen);
	}
	sao_secret_clear(&form);
}

/* Failures before any answer: refused connection, refused URLs, bad options. */
static void test_post_failures(void)
{
	static const char prefix[] = WHAT " failed: the request to '127.0.0.1' did not complete: ";
	sao_http_opts_t o = { .proxy = "", .timeout_s = 5 };
	sao_http_response_t resp;
	sao_secret_t form;
	sao_error_t err;
	char url[64];
	int port, fd;
	int64_t start;

	make_form(&form);
	sao_http_response_init(&resp);

	/* A port bound but not listening: nobody will answer there. */
	fd = listen_loopback(&port, 0);
	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", port);
	sao_error_clear(&err);
	start = now_ms();
	CHECK(sao_http_post_form(&o, url, &form, &resp, WHAT, &err) == SAO_ERR_NET);
	CHECK(now_ms() - start < 2000);
	CHECK_MSG(strncmp(err.msg, prefix, sizeof(prefix) - 1) == 0 &&
	          strstr(err.msg, "onnect") != NULL && strstr(err.msg, "check the network") != NULL,
	          "message '%s'", err.msg);
	CHECK(strstr(err.msg, "s3cr3t") == NULL);
	CHECK(resp.status == 0 && resp.body.len == 0);
	if (fd >= 0)
		close(fd);

	/* Refused URLs never reach the network, and the query is not shown. */
	sao_error_clear(&err);
	CHECK(sao_http_post_form(&o, "http://example.com/token?secret=LEAK", &form, &resp, WHAT,
	                         &err) == SAO_ERR_CONFIG);
	CHECK_MSG(strstr(err.msg, "the URL 'http://example.com/token' is refused") != NULL &&
	          strstr(err.msg, "LEAK") == NULL && strstr(err.msg, "must be https") != NULL,
	          "message '%s'", err.msg);
	sao_error_clear(&err);
	CHECK(sao_http_post_form(&o, "https://alice:pw@example.com/t", &form, &resp, WHAT, &err) ==
	      SAO_ERR_CONFIG);
	CHECK_MSG(strstr(err.msg, "pw") == NULL && strstr(err.msg, "example.com/t") != NULL,
	          "message '%s'", err.msg);
	sao_error_clear(&err);
	CHECK(sao_http_post_form(&o, NULL, &form, &resp, WHAT, &err) == SAO_ERR_CONFIG);

	/* The budget must be positive. */
	o.timeout_s = 0;
	sao_error_clear(&err);
	CHECK(sao_http_post_form(&o, "https://example.com/t", &form, &resp, WHAT, &err) ==
	      SAO_ERR_CONFIG);
	CHECK_MSG(strstr(err.msg, "http_timeout") != NULL, "message '%s'", err.msg);

	sao_http_response_clear(&resp);
	CHECK(resp.status == 0 && resp.body.data == NULL && resp.content_type[0] == '\0');
	sao_secret_clear(&form);
}

int main(void)
{
	sao_error_t err;

	/* A hung request must fail the test, not the test run. */
	alarm(TEST_ALARM_S);
	sao_error_clear(&err);
	CHECK(sao_http_global_init(&err) == SAO_OK);
	test_encode();
	test_form();
	test_url_allowed();
	test_post();
	test_post_failures();
	sao_http_global_cleanup();
	return check_done("test-http");
}
