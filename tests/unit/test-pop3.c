/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dialogue.h"
#include "sasl-oauth/pop3.h"

#define S(lit) lit, sizeof(lit) - 1

/* base64 of "user=alice@example.com^Aauth=Bearer tok.en^A^A" */
#define XOAUTH2_IR "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB0b2suZW4BAQ=="
/* base64 of {"status":"401","schemes":"bearer","scope":"mail"} */
#define CHALLENGE_401 "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="
#define CAPA "+OK\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN XOAUTH2\r\n.\r\n"

static void test_parse(void)
{
	static const struct {
		const char *line;
		size_t len;
		sao_pop3_kind_t kind;
		const char *text;
	} rows[] = {
		{ S("+OK Dovecot ready.\r\n"), SAO_POP3_OK, "Dovecot ready." },
		{ S("+OK\r\n"), SAO_POP3_OK, "" },
		{ S("+ok logged in\n"), SAO_POP3_OK, "logged in" },
		{ S("-ERR [AUTH] Authentication failed.\r\n"), SAO_POP3_ERR, "[AUTH] Authentication failed." },
		{ S("-ERR\r\n"), SAO_POP3_ERR, "" },
		{ S("+ " CHALLENGE_401 "\r\n"), SAO_POP3_CONTINUE, CHALLENGE_401 },
		{ S("+ \r\n"), SAO_POP3_CONTINUE, "" },
		{ S("+\r\n"), SAO_POP3_CONTINUE, "" },
		{ S("+OKAY\r\n"), SAO_POP3_DATA, "+OKAY" },
		{ S("-ERROR\r\n"), SAO_POP3_DATA, "-ERROR" },
		{ S("SASL PLAIN XOAUTH2\r\n"), SAO_POP3_DATA, "SASL PLAIN XOAUTH2" },
		{ S(".\r\n"), SAO_POP3_DATA, "." },
		{ S(""), SAO_POP3_DATA, "" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *text;
		size_t n;
		sao_pop3_kind_t k = sao_pop3_parse(rows[i].line, rows[i].len, &text, &n);

		CHECK_MSG(k == rows[i].kind, "row %zu: kind %d", i, (int)k);
		CHECK_BYTES(text, n, rows[i].text, strlen(rows[i].text));
	}
}

static sao_err_t login(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res, sao_error_t *err)
{
	return sao_pop3_login(c, tls, auth, res, err);
}

static void test_dialogues(void)
{
	static char exchange_sized[2500];
	static const struct {
		const char *name;
		const char *script;
		const char *token;
		sao_err_t rc;
		const char *sent; /* NULL: the Exchange-sized case, checked below */
		const char *says;
	} rows[] = {
		{ "a short initial response fits on the AUTH line", "+OK ready\r\n" CAPA "+OK Logged in.\r\n", "tok.en",
		  SAO_OK, "CAPA\r\nAUTH XOAUTH2 " XOAUTH2_IR "\r\n", NULL },
		{ "an Exchange-sized token goes after the empty continuation", "+OK ready\r\n" CAPA "+ \r\n+OK Logged in.\r\n",
		  exchange_sized, SAO_OK, NULL, NULL },
		{ "a server without CAPA is tried", "+OK ready\r\n-ERR unknown command\r\n+OK Logged in.\r\n", "tok.en", SAO_OK,
		  "CAPA\r\nAUTH XOAUTH2 " XOAUTH2_IR "\r\n", NULL },
		{ "error challenge answered empty, then -ERR with the decoded cause",
		  "+OK ready\r\n" CAPA "+ " CHALLENGE_401 "\r\n-ERR [AUTH] Authentication failed.\r\n", "tok.en",
		  SAO_ERR_REJECTED, "CAPA\r\nAUTH XOAUTH2 " XOAUTH2_IR "\r\n\r\n",
		  "the POP3 server refused the XOAUTH2 login: [AUTH] Authentication failed.; the server refused the token "
		  "for 'alice@example.com': the access token is invalid, expired or revoked (status 401, scope mail)" },
		{ "Exchange's refusal", "+OK ready\r\n" CAPA "-ERR Logon failure: unknown user name or bad password.\r\n",
		  "tok.en", SAO_ERR_REJECTED, "CAPA\r\nAUTH XOAUTH2 " XOAUTH2_IR "\r\n",
		  "refused the XOAUTH2 login: Logon failure" },
		{ "mechanism not offered", "+OK ready\r\n+OK\r\nSASL PLAIN LOGIN\r\n.\r\n", "tok.en", SAO_ERR_PROTO,
		  "CAPA\r\n", "does not offer XOAUTH2 (it offers SASL PLAIN LOGIN)" },
		{ "-ERR greeting", "-ERR too busy\r\n", "tok.en", SAO_ERR_NET, "", "did not greet with +OK: too busy" },
		{ "AUTH itself refused", "+OK ready\r\n-ERR\r\n-ERR no such mechanism\r\n", exchange_sized,
		  SAO_ERR_REJECTED, NULL, "refused AUTH XOAUTH2: no such mechanism" },
	};

	memset(exchange_sized, 'a', sizeof(exchange_sized) - 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		dialogue_t d;

		dialogue_run(login, 0, rows[i].script, "XOAUTH2", rows[i].token, &d);
		CHECK_MSG(d.rc == rows[i].rc, "%s: rc %d (%s)", rows[i].name, (int)d.rc, d.err.msg);
		if (rows[i].sent != NULL) {
			CHECK_BYTES(d.sent, d.sent_len, rows[i].sent, strlen(rows[i].sent));
		} else {
			/* AUTH alone, then the response on its own line (RFC 5034 §4). */
			size_t head = strlen("CAPA\r\nAUTH XOAUTH2\r\n");
			size_t b64 = (35 + strlen(exchange_sized) + 2 + 2) / 3 * 4;

			CHECK_MSG(d.sent != NULL && strncmp(d.sent, "CAPA\r\nAUTH XOAUTH2\r\n", head) == 0 &&
			              (d.rc != SAO_OK || (d.sent_len == head + b64 + 2 &&
			                                  memcmp(d.sent + d.sent_len - 2, "\r\n", 2) == 0)),
			          "%s: sent %zu bytes", rows[i].name, d.sent_len);
		}
		if (rows[i].says != NULL)
			CHECK_MSG(strstr(d.err.msg, rows[i].says) != NULL, "%s: message '%s'", rows[i].name, d.err.msg);
		dialogue_clear(&d);
	}
}

static void test_stls_injection(void)
{
	dialogue_t d;

	dialogue_run(login, 1, "+OK ready\r\n+OK Begin TLS\r\n+OK\r\n", "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "before the TLS handshake") != NULL, "%s", d.err.msg);
	CHECK_BYTES(d.sent, d.sent_len, "STLS\r\n", 6);
	dialogue_clear(&d);
}

/* "sasl-oauth test": STAT after the login, then QUIT. */
static unsigned long count, octets;

static sao_err_t login_and_stat(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res,
                                sao_error_t *err)
{
	sao_err_t rc = login(c, tls, auth, res, err);

	if (rc == SAO_OK)
		rc = sao_pop3_stat(c, &count, &octets, err);
	if (rc == SAO_OK)
		sao_pop3_quit(c);
	return rc;
}

static void test_stat(void)
{
	dialogue_t d;

	dialogue_run(login_and_stat, 0, "+OK ready\r\n" CAPA "+OK Logged in.\r\n+OK 2 320\r\n+OK bye\r\n", "XOAUTH2",
	             "tok.en", &d);
	CHECK_MSG(d.rc == SAO_OK && count == 2 && octets == 320, "%s: %lu %lu", d.err.msg, count, octets);
	CHECK_MSG(d.sent != NULL && strstr(d.sent, "\r\nSTAT\r\nQUIT\r\n") != NULL, "%s", d.sent != NULL ? d.sent : "");
	dialogue_clear(&d);
	dialogue_run(login_and_stat, 0, "+OK ready\r\n" CAPA "+OK Logged in.\r\n+OK mailbox locked\r\n", "XOAUTH2",
	             "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "answer to STAT") != NULL, "%s", d.err.msg);
	dialogue_clear(&d);
}

int main(void)
{
	test_parse();
	test_dialogues();
	test_stls_injection();
	test_stat();
	return check_done("test-pop3");
}
