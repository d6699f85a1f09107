/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dialogue.h"
#include "sasl-oauth/smtp.h"

#define S(lit) lit, sizeof(lit) - 1

/* base64 of "user=alice@example.com^Aauth=Bearer tok.en^A^A" */
#define XOAUTH2_IR "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB0b2suZW4BAQ=="
/* base64 of {"status":"401","schemes":"bearer","scope":"mail"} */
#define CHALLENGE_401 "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="
#define GREETING "220 mx.example.com Microsoft ESMTP MAIL Service ready\r\n"
#define EHLO_AUTH "250-mx.example.com Hello\r\n250-SIZE 157286400\r\n250-AUTH LOGIN XOAUTH2\r\n250 ENHANCEDSTATUSCODES\r\n"
#define SENT_AUTH "EHLO test.example\r\nAUTH XOAUTH2 " XOAUTH2_IR "\r\n"

static void test_parse(void)
{
	static const struct {
		const char *line;
		size_t len;
		int ok, code, more;
		const char *text;
	} rows[] = {
		{ S("220 mx ready\r\n"), 1, 220, 0, "mx ready" },
		{ S("250-SIZE 35882577\r\n"), 1, 250, 1, "SIZE 35882577" },
		{ S("334 \r\n"), 1, 334, 0, "" },
		{ S("334\r\n"), 1, 334, 0, "" },
		{ S("535 5.7.3 Authentication unsuccessful [X.prod]\n"), 1, 535, 0,
		  "5.7.3 Authentication unsuccessful [X.prod]" },
		{ S("199 too low\r\n"), 0, 0, 0, "" },
		{ S("25 short\r\n"), 0, 0, 0, "" },
		{ S("250xno separator\r\n"), 0, 0, 0, "" },
		{ S("hello\r\n"), 0, 0, 0, "" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_smtp_line_t l;
		sao_err_t rc = sao_smtp_parse(rows[i].line, rows[i].len, &l, NULL);

		CHECK_MSG((rc == SAO_OK) == rows[i].ok, "row %zu: rc %d", i, (int)rc);
		if (rc != SAO_OK)
			continue;
		CHECK_MSG(l.code == rows[i].code && l.more == rows[i].more, "row %zu: %d %d", i, l.code, l.more);
		CHECK_BYTES(l.text, l.text_len, rows[i].text, strlen(rows[i].text));
	}
}

static sao_err_t login(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res, sao_error_t *err)
{
	return sao_smtp_login(c, tls, "test.example", auth, res, err);
}

/* The login, then MAIL FROM as "sasl-oauth test" checks it. */
static sao_err_t login_and_send(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res,
                                sao_error_t *err)
{
	sao_err_t rc = login(c, tls, auth, res, err);

	return rc == SAO_OK ? sao_smtp_mail_from(c, "alice@example.com", res, err) : rc;
}

static void test_dialogues(void)
{
	static const struct {
		const char *name;
		dialogue_fn fn;
		const char *script;
		sao_err_t rc;
		const char *sent;
		const char *says;
		int not_offered;
	} rows[] = {
		{ "a short initial response on the AUTH line, and MAIL FROM is accepted", login_and_send,
		  GREETING EHLO_AUTH "235 2.7.0 Authentication successful\r\n250 2.1.0 Sender OK\r\n"
		                     "250 2.0.0 Resetting\r\n",
		  SAO_OK, SENT_AUTH "MAIL FROM:<alice@example.com>\r\nRSET\r\n", NULL, 0 },
		{ "Exchange's SMTP AUTH switched off: the catalog's cause and fix", login,
		  GREETING EHLO_AUTH "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
		                     "for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
		  SAO_ERR_REJECTED, SENT_AUTH,
		  "this mailbox has SMTP AUTH switched off, and that refuses OAuth logins too; fix: an Exchange "
		  "administrator runs: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false", 0 },
		{ "Exchange's bare 5.7.3: the catalog names the check", login,
		  GREETING EHLO_AUTH "535 5.7.3 Authentication unsuccessful [AM0PR.prod.outlook.com]\r\n",
		  SAO_ERR_REJECTED, SENT_AUTH,
		  "refused the XOAUTH2 login: 535 5.7.3 Authentication unsuccessful [AM0PR.prod.outlook.com]; the server "
		  "(Exchange Online) refused the token without saying why", 0 },
		{ "an error challenge is decoded and answered empty", login,
		  GREETING EHLO_AUTH "334 " CHALLENGE_401 "\r\n535 5.7.8 Authentication failed\r\n", SAO_ERR_REJECTED,
		  SENT_AUTH "\r\n", "the access token is invalid, expired or revoked (status 401, scope mail)", 0 },
		{ "a multi-line refusal is read whole (Gmail)", login,
		  GREETING EHLO_AUTH "535-5.7.8 Username and Password not accepted.\r\n535 5.7.8  https://support"
		                     ".example/?p=BadCredentials\r\n",
		  SAO_ERR_REJECTED, SENT_AUTH,
		  "535 5.7.8 Username and Password not accepted. 5.7.8  https://support.example/?p=BadCredentials", 0 },
		{ "the mechanism is not offered", login,
		  GREETING "250-mx.example.com\r\n250 AUTH LOGIN PLAIN\r\n", SAO_ERR_PROTO, "EHLO test.example\r\n",
		  "does not offer XOAUTH2 (see its AUTH line)", 1 },
		{ "no AUTH at all (a relay port)", login, GREETING "250-mx.example.com\r\n250 SIZE 1000\r\n", SAO_ERR_PROTO,
		  "EHLO test.example\r\n", "it offers no AUTH at all", 1 },
		{ "the sender is refused after the login (SendAs)", login_and_send,
		  GREETING EHLO_AUTH "235 2.7.0 Authentication successful\r\n550 5.7.60 SMTP; Client does not have "
		                     "permissions to send as this sender\r\n",
		  SAO_ERR_REJECTED, SENT_AUTH "MAIL FROM:<alice@example.com>\r\n",
		  "refused MAIL FROM: 550 5.7.60 SMTP; Client does not have permissions to send as this sender", 0 },
		{ "throttled: a 4yz refusal is transient (exit 5, try again later)", login,
		  GREETING EHLO_AUTH "451 4.7.500 Server busy. Please try again later. [X.prod]\r\n", SAO_ERR_NET,
		  SENT_AUTH, "the server is throttling this client for a while; fix: try again later", 0 },
		{ "a 554 greeting", login, "554 5.7.1 no service for you\r\n", SAO_ERR_NET, "",
		  "did not greet with 220: 554 5.7.1 no service for you", 0 },
		{ "a reply that changes its code midway", login, GREETING "250-mx\r\n251 odd\r\n", SAO_ERR_PROTO,
		  "EHLO test.example\r\n", "changed the reply code", 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		dialogue_t d;

		dialogue_run(rows[i].fn, 0, rows[i].script, "XOAUTH2", "tok.en", &d);
		CHECK_MSG(d.rc == rows[i].rc, "%s: rc %d (%s)", rows[i].name, (int)d.rc, d.err.msg);
		CHECK_BYTES(d.sent, d.sent_len, rows[i].sent, strlen(rows[i].sent));
		if (rows[i].says != NULL)
			CHECK_MSG(strstr(d.err.msg, rows[i].says) != NULL, "%s: message '%s'", rows[i].name, d.err.msg);
		CHECK_MSG(d.res.not_offered == rows[i].not_offered, "%s: not_offered %d", rows[i].name, d.res.not_offered);
		dialogue_clear(&d);
	}
}

/* A bearer token never fits a 512-octet command line: AUTH alone, then the
 * response after the server's empty 334 (RFC 4954 §4). */
static void test_long_token(void)
{
	static char token[2500];
	const char *head = "EHLO test.example\r\nAUTH XOAUTH2\r\n";
	size_t b64 = (35 + sizeof(token) - 1 + 2 + 2) / 3 * 4;
	dialogue_t d;

	memset(token, 'a', sizeof(token) - 1);
	dialogue_run(login, 0, GREETING EHLO_AUTH "334 \r\n235 2.7.0 Authentication successful\r\n", "XOAUTH2", token,
	             &d);
	CHECK_MSG(d.rc == SAO_OK, "%s", d.err.msg);
	CHECK_MSG(d.sent != NULL && strncmp(d.sent, head, strlen(head)) == 0 && d.sent_len == strlen(head) + b64 + 2,
	          "sent %zu bytes", d.sent_len);
	dialogue_clear(&d);
}

/* A reply longer than its buffer is cut, never written past. */
static void test_long_reply(void)
{
	static char script[8192];
	size_t n = (size_t)snprintf(script, sizeof(script), "%s250-mx\r\n250 AUTH XOAUTH2\r\n", GREETING);
	dialogue_t d;

	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(script + n, sizeof(script) - n, "535-5.7.8 %0100d\r\n", i);
	snprintf(script + n, sizeof(script) - n, "535 5.7.8 end\r\n");
	dialogue_run(login, 0, script, "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_REJECTED && strncmp(d.res.server, "535 5.7.8 0000", 14) == 0 &&
	              strlen(d.res.server) < sizeof(d.res.server),
	          "%s", d.err.msg);
	dialogue_clear(&d);
}

/* The EHLO keywords reach messages ("the server announces: ..."): a
 * control character the server sends does not. */
static void test_caps_printable(void)
{
	dialogue_t d;

	dialogue_run(login, 0, GREETING "250-mx\r\n250 AUTH LOGIN \033[2J\r\n", "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && d.res.not_offered && strchr(d.res.caps, '\033') == NULL &&
	              strstr(d.res.caps, "AUTH LOGIN ?[2J") != NULL,
	          "%s: %s", d.err.msg, d.res.caps);
	dialogue_clear(&d);
}

static void test_starttls(void)
{
	dialogue_t d;

	/* Without STARTTLS on offer there is no login. */
	dialogue_run(login, 1, GREETING EHLO_AUTH, "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "does not offer STARTTLS") != NULL, "%s", d.err.msg);
	dialogue_clear(&d);
	/* Bytes after the 220 and before the handshake: CVE-2011-0411. */
	dialogue_run(login, 1, GREETING "250 STARTTLS\r\n220 2.0.0 go ahead\r\n250 AUTH XOAUTH2\r\n", "XOAUTH2",
	             "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "before the TLS handshake") != NULL, "%s", d.err.msg);
	CHECK_BYTES(d.sent, d.sent_len, "EHLO test.example\r\nSTARTTLS\r\n", 29);
	dialogue_clear(&d);
}

int main(void)
{
	test_parse();
	test_dialogues();
	test_long_token();
	test_long_reply();
	test_caps_printable();
	test_starttls();
	return check_done("test-smtp");
}
