/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dialogue.h"
#include "sasl-oauth/imap.h"

#define S(lit) lit, sizeof(lit) - 1

/* base64 of "user=alice@example.com^Aauth=Bearer tok.en^A^A" */
#define XOAUTH2_IR "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB0b2suZW4BAQ=="
/* base64 of "n,a=alice@example.com,^Ahost=mail.example.com^Aport=143^Aauth=Bearer tok.en^A^A" */
#define OAUTHBEARER_IR \
	"bixhPWFsaWNlQGV4YW1wbGUuY29tLAFob3N0PW1haWwuZXhhbXBsZS5jb20BcG9ydD0xNDMBYXV0aD1CZWFyZXIgdG9rLmVuAQE="
/* base64 of {"status":"401","schemes":"bearer","scope":"mail"} */
#define CHALLENGE_401 "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0="

static int field(const char *p, size_t n, const char *want)
{
	if (want == NULL)
		return p == NULL;
	return p != NULL && n == strlen(want) && memcmp(p, want, n) == 0;
}

static void test_parse(void)
{
	static const struct {
		const char *line;
		size_t len;
		sao_imap_kind_t kind;
		const char *tag, *word, *code, *text;
	} rows[] = {
		{ S("* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot ready.\r\n"), SAO_IMAP_UNTAGGED, NULL, "OK",
		  "CAPABILITY IMAP4rev1 SASL-IR", "Dovecot ready." },
		{ S("* OK The Microsoft Exchange IMAP4 service is ready.\r\n"), SAO_IMAP_UNTAGGED, NULL, "OK", NULL,
		  "The Microsoft Exchange IMAP4 service is ready." },
		{ S("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n"), SAO_IMAP_UNTAGGED, NULL, "CAPABILITY", NULL,
		  "IMAP4rev1 AUTH=XOAUTH2" },
		{ S("s2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"), SAO_IMAP_TAGGED, "s2", "NO",
		  "AUTHENTICATIONFAILED", "Authentication failed." },
		{ S("s2 NO AUTHENTICATE failed.\r\n"), SAO_IMAP_TAGGED, "s2", "NO", NULL, "AUTHENTICATE failed." },
		{ S("s1 OK\r\n"), SAO_IMAP_TAGGED, "s1", "OK", NULL, "" },
		{ S("s1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\n"), SAO_IMAP_TAGGED, "s1", "OK", "CAPABILITY IMAP4rev1 IDLE",
		  "Logged in" },
		{ S("+ " CHALLENGE_401 "\r\n"), SAO_IMAP_CONTINUE, NULL, NULL, NULL, CHALLENGE_401 },
		{ S("+ \r\n"), SAO_IMAP_CONTINUE, NULL, NULL, NULL, "" },
		{ S("+\r\n"), SAO_IMAP_CONTINUE, NULL, NULL, NULL, "" },
		{ S("* BYE [UNAVAILABLE] going down\r\n"), SAO_IMAP_UNTAGGED, NULL, "BYE", "UNAVAILABLE", "going down" },
		{ S("* 3 EXISTS\r\n"), SAO_IMAP_UNTAGGED, NULL, "3", NULL, "EXISTS" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_imap_line_t l;
		sao_error_t err;

		sao_error_clear(&err);
		CHECK_MSG(sao_imap_parse(rows[i].line, rows[i].len, &l, &err) == SAO_OK, "row %zu: %s", i, err.msg);
		CHECK_MSG(l.kind == rows[i].kind, "row %zu: kind %d", i, (int)l.kind);
		CHECK_MSG(field(l.tag, l.tag_len, rows[i].tag), "row %zu: tag", i);
		CHECK_MSG(rows[i].kind == SAO_IMAP_CONTINUE || field(l.word, l.word_len, rows[i].word), "row %zu: word", i);
		CHECK_MSG(field(l.code, l.code_len, rows[i].code), "row %zu: code '%.*s'", i, (int)l.code_len,
		          l.code != NULL ? l.code : "");
		CHECK_MSG(field(l.text, l.text_len, rows[i].text), "row %zu: text '%.*s'", i, (int)l.text_len, l.text);
	}
}

static void test_parse_refused(void)
{
	static const struct {
		const char *line;
		size_t len;
	} rows[] = {
		{ S("\r\n") },
		{ S("*\r\n") },
		{ S("s1\r\n") },
		{ S(" OK x\r\n") },
		{ S("* OK [CAPABILITY IMAP4rev1\r\n") },
		{ S("* 1 FETCH (BODY[] {3}\r\n") },
		{ S("* OK a\0b\r\n") },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_imap_line_t l;

		CHECK_MSG(sao_imap_parse(rows[i].line, rows[i].len, &l, NULL) == SAO_ERR_PROTO, "row %zu accepted", i);
	}
}

static void test_caps(void)
{
	const char *caps;
	size_t n;
	sao_imap_line_t l;

	CHECK(sao_imap_parse(S("s1 OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] done\r\n"), &l, NULL) == SAO_OK);
	caps = sao_imap_caps(&l, &n);
	CHECK_BYTES(caps, n, "IMAP4rev1 SASL-IR AUTH=XOAUTH2", 30);
	CHECK(sao_imap_has_cap(caps, n, "sasl-ir"));
	CHECK(sao_imap_has_cap(caps, n, "AUTH=XOAUTH2"));
	CHECK(!sao_imap_has_cap(caps, n, "AUTH=XOAUTH"));
	CHECK(!sao_imap_has_cap(caps, n, "IMAP4"));
	CHECK(sao_imap_parse(S("* OK [CAPABILITYX a] b\r\n"), &l, NULL) == SAO_OK && sao_imap_caps(&l, &n) == NULL);
	CHECK(sao_imap_parse(S("* OK [ALERT] b\r\n"), &l, NULL) == SAO_OK && sao_imap_caps(&l, &n) == NULL);
}

static sao_err_t login(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res, sao_error_t *err)
{
	return sao_imap_login(c, tls, auth, res, err);
}

static void test_dialogues(void)
{
	static char big[9000];
	static const struct {
		const char *name;
		const char *script;
		const char *mech;
		const char *token;
		sao_err_t rc;
		const char *sent;   /* NULL: do not compare (big token) */
		const char *caps;   /* after login */
		const char *says;   /* in the error message */
	} rows[] = {
		{ "SASL-IR in the greeting's capabilities (Dovecot)",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] ready\r\n"
		  "s1 OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n",
		  "XOAUTH2", "tok.en", SAO_OK, "s1 AUTHENTICATE XOAUTH2 " XOAUTH2_IR "\r\n", "IMAP4rev1 IDLE MOVE", NULL },
		{ "no capabilities anywhere (Exchange): ask, continuation, ask again",
		  "* OK The Microsoft Exchange IMAP4 service is ready.\r\n"
		  "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 CHILDREN IDLE\r\n"
		  "s1 OK CAPABILITY completed.\r\n"
		  "+ \r\n"
		  "s2 OK AUTHENTICATE completed.\r\n"
		  "* CAPABILITY IMAP4 IMAP4rev1 CHILDREN IDLE MOVE\r\n"
		  "s3 OK CAPABILITY completed.\r\n",
		  "XOAUTH2", "tok.en", SAO_OK,
		  "s1 CAPABILITY\r\ns2 AUTHENTICATE XOAUTH2\r\n" XOAUTH2_IR "\r\ns3 CAPABILITY\r\n",
		  "IMAP4 IMAP4rev1 CHILDREN IDLE MOVE", NULL },
		{ "OAUTHBEARER with host and port",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER] ready\r\n"
		  "s1 OK [CAPABILITY IMAP4rev1] Logged in\r\n",
		  "oauthbearer", "tok.en", SAO_OK, "s1 AUTHENTICATE OAUTHBEARER " OAUTHBEARER_IR "\r\n", "IMAP4rev1", NULL },
		{ "error challenge: XOAUTH2 answers empty, the cause is decoded",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n"
		  "+ " CHALLENGE_401 "\r\n"
		  "s1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
		  "XOAUTH2", "tok.en", SAO_ERR_REJECTED, "s1 AUTHENTICATE XOAUTH2 " XOAUTH2_IR "\r\n\r\n", NULL,
		  "the IMAP server refused the XOAUTH2 login: Authentication failed.; the server refused the token for "
		  "'alice@example.com': the access token is invalid, expired or revoked (status 401, scope mail)" },
		{ "error challenge: OAUTHBEARER answers ^A",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER] ready\r\n"
		  "+ " CHALLENGE_401 "\r\n"
		  "s1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
		  "OAUTHBEARER", "tok.en", SAO_ERR_REJECTED, "s1 AUTHENTICATE OAUTHBEARER " OAUTHBEARER_IR "\r\nAQ==\r\n",
		  NULL, "status 401" },
		{ "Exchange's refusal without a challenge",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n"
		  "s1 NO AUTHENTICATE failed.\r\n",
		  "XOAUTH2", "tok.en", SAO_ERR_REJECTED, "s1 AUTHENTICATE XOAUTH2 " XOAUTH2_IR "\r\n", NULL,
		  "the IMAP server refused the XOAUTH2 login: AUTHENTICATE failed.; the server (Exchange Online) refused the "
		  "token without saying why: a token for another resource (Graph) or without IMAP.AccessAsUser.All, or an "
		  "expired or revoked token; fix: run sasl-oauth inspect ACCOUNT to check the token's audience and scopes" },
		{ "mechanism not offered",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n", "XOAUTH2", "tok.en", SAO_ERR_PROTO, "", NULL,
		  "does not offer XOAUTH2 (it announces: IMAP4rev1 SASL-IR AUTH=PLAIN)" },
		{ "BYE greeting", "* BYE too many connections\r\n", "XOAUTH2", "tok.en", SAO_ERR_NET, "", NULL,
		  "did not greet with OK: BYE" },
		{ "the server closes during the login", "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n",
		  "XOAUTH2", "tok.en", SAO_ERR_NET, "s1 AUTHENTICATE XOAUTH2 " XOAUTH2_IR "\r\n", NULL,
		  "closed the connection" },
		{ "a token too long for one line goes after the continuation",
		  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n+ \r\ns1 OK [CAPABILITY IMAP4rev1] ok\r\n",
		  "XOAUTH2", big, SAO_OK, NULL, "IMAP4rev1", NULL },
	};

	memset(big, 'a', sizeof(big) - 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		dialogue_t d;

		dialogue_run(login, 0, rows[i].script, rows[i].mech, rows[i].token, &d);
		CHECK_MSG(d.rc == rows[i].rc, "%s: rc %d (%s)", rows[i].name, (int)d.rc, d.err.msg);
		if (rows[i].sent != NULL)
			CHECK_BYTES(d.sent, d.sent_len, rows[i].sent, strlen(rows[i].sent));
		else
			CHECK_MSG(d.sent != NULL && strncmp(d.sent, "s1 AUTHENTICATE XOAUTH2\r\n", 25) == 0 &&
			              d.sent_len == 25 + (35 + strlen(big) + 2 + 2) / 3 * 4 + 2,
			          "%s: sent %zu bytes", rows[i].name, d.sent_len);
		if (rows[i].caps != NULL)
			CHECK_MSG(strcmp(d.res.caps, rows[i].caps) == 0, "%s: caps '%s'", rows[i].name, d.res.caps);
		if (rows[i].says != NULL)
			CHECK_MSG(strstr(d.err.msg, rows[i].says) != NULL, "%s: message '%s'", rows[i].name, d.err.msg);
		dialogue_clear(&d);
	}
}

/* Bytes after the STARTTLS answer could come from anyone on the path. */
static void test_starttls_injection(void)
{
	dialogue_t d;

	dialogue_run(login, 1,
	             "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"
	             "s1 OK Begin TLS negotiation now.\r\n"
	             "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR\r\n",
	             "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "before the TLS handshake") != NULL, "rc %d: %s",
	          (int)d.rc, d.err.msg);
	CHECK_BYTES(d.sent, d.sent_len, "s1 STARTTLS\r\n", 13);
	dialogue_clear(&d);
	dialogue_run(login, 1, "* OK [CAPABILITY IMAP4rev1] ready\r\n", "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strstr(d.err.msg, "does not offer STARTTLS") != NULL, "%s", d.err.msg);
	CHECK_BYTES(d.sent, d.sent_len, "", 0);
	dialogue_clear(&d);
}

/* "sasl-oauth test": LIST after the login, names quoted, atoms and
 * literals, then LOGOUT. */
static char listed[512];
static size_t n_listed;

static sao_err_t login_and_list(sao_tls_t *c, int tls, const sao_auth_t *auth, sao_login_result_t *res,
                                sao_error_t *err)
{
	sao_err_t rc = login(c, tls, auth, res, err);

	if (rc == SAO_OK)
		rc = sao_imap_list(c, res, &n_listed, listed, sizeof(listed), err);
	if (rc == SAO_OK)
		sao_imap_logout(c);
	return rc;
}

static void test_list(void)
{
	dialogue_t d;

	dialogue_run(login_and_list, 0,
	             "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n"
	             "s1 OK [CAPABILITY IMAP4rev1] Logged in\r\n"
	             "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
	             "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
	             "* LIST (\\HasNoChildren) \"/\" {8}\r\nA \"b\" c\r\n"
	             "s101 OK LIST completed.\r\n"
	             "* BYE bye\r\ns199 OK LOGOUT completed.\r\n",
	             "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_OK, "%s", d.err.msg);
	CHECK_MSG(n_listed == 3 && strcmp(listed, "INBOX, Sent Items, A \"b\" c") == 0, "%zu: %s", n_listed, listed);
	CHECK_MSG(d.sent != NULL && strstr(d.sent, "s101 LIST \"\" \"*\"\r\ns199 LOGOUT\r\n") != NULL, "%s",
	          d.sent != NULL ? d.sent : "");
	dialogue_clear(&d);
	/* A name longer than the list holds is cut, never written past
	 * (found by fuzz-dialogue). */
	{
		static char script[2048];
		char name[600];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		snprintf(script, sizeof(script),
		         "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\ns1 OK [CAPABILITY IMAP4rev1] Logged in\r\n"
		         "* LIST () \"/\" %s\r\n* LIST () \"/\" {600}\r\n%s\r\ns101 OK done\r\n",
		         name, name);
		dialogue_run(login_and_list, 0, script, "XOAUTH2", "tok.en", &d);
		CHECK_MSG(d.rc == SAO_OK && n_listed == 2 && strlen(listed) < sizeof(listed) &&
		              strncmp(listed, "nnnn", 4) == 0 && strstr(listed, "...") != NULL,
		          "%s: %zu: %s", d.err.msg, n_listed, listed);
		dialogue_clear(&d);
	}
	dialogue_run(login_and_list, 0,
	             "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n"
	             "s1 OK [CAPABILITY IMAP4rev1] Logged in\r\n"
	             "s101 BAD User is authenticated but not connected.\r\n",
	             "XOAUTH2", "tok.en", &d);
	CHECK_MSG(d.rc == SAO_ERR_PROTO && strcmp(d.res.server, "BAD User is authenticated but not connected.") == 0,
	          "%s", d.err.msg);
	dialogue_clear(&d);
}

int main(void)
{
	test_parse();
	test_parse_refused();
	test_caps();
	test_dialogues();
	test_starttls_injection();
	test_list();
	return check_done("test-imap");
}
