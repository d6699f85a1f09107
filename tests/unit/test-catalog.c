/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/catalog.h"

/* Every AADSTS number the catalog holds, ascending, with the login flag it
 * must carry. Keep this list equal to the table: test_codes checks that the
 * entries found for it sit next to each other, so an entry missing here, a
 * repeated number or a table out of order fails the test. */
static const struct {
	long code;
	int login;
} known_codes[] = {
	{ 28002, 0 },   { 28003, 0 },   { 50000, 0 },   { 50011, 0 },   { 50012, 0 },   { 50020, 0 },
	{ 50034, 0 },   { 50048, 0 },   { 50053, 0 },   { 50055, 1 },   { 50057, 0 },   { 50074, 1 },
	{ 50076, 1 },   { 50078, 1 },   { 50079, 1 },   { 50105, 0 },   { 50126, 1 },   { 50173, 1 },
	{ 50194, 0 },   { 50196, 0 },   { 53000, 0 },   { 53001, 0 },   { 53003, 0 },   { 54005, 1 },
	{ 65001, 1 },   { 65002, 0 },   { 65004, 1 },   { 65005, 0 },   { 70000, 1 },   { 70001, 0 },
	{ 70008, 1 },   { 70011, 0 },   { 70016, 0 },   { 70018, 1 },   { 70019, 1 },   { 70043, 1 },
	{ 90002, 0 },   { 90033, 0 },   { 90038, 0 },   { 90055, 0 },   { 90094, 0 },   { 500011, 0 },
	{ 501481, 0 },  { 530035, 0 },  { 650057, 0 },  { 700011, 0 },  { 700016, 0 },  { 700022, 0 },
	{ 700024, 0 },  { 700025, 0 },  { 700027, 0 },  { 700082, 1 },  { 700084, 1 },  { 900144, 0 },
	{ 900971, 0 },  { 7000112, 0 }, { 7000215, 0 }, { 7000218, 0 }, { 7000222, 0 }, { 9001023, 0 },
	{ 9002313, 0 }, { 9002332, 0 },
};

/* Every error string the catalog holds, in strcmp order, same rule as
 * above. RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5 and OpenID Connect
 * Core §3.1.2.6 values, Entra ID's extras and Google's deleted_client. */
static const struct {
	const char *error;
	int login;
} known_errors[] = {
	{ "access_denied", 0 },
	{ "authorization_declined", 0 },
	{ "authorization_pending", 0 },
	{ "bad_verification_code", 1 },
	{ "consent_required", 1 },
	{ "deleted_client", 0 },
	{ "expired_token", 1 },
	{ "interaction_required", 1 },
	{ "invalid_client", 0 },
	{ "invalid_grant", 1 },
	{ "invalid_request", 0 },
	{ "invalid_resource", 0 },
	{ "invalid_scope", 0 },
	{ "login_required", 1 },
	{ "server_error", 0 },
	{ "slow_down", 0 },
	{ "temporarily_unavailable", 0 },
	{ "unauthorized_client", 0 },
	{ "unsupported_grant_type", 0 },
	{ "unsupported_response_type", 0 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The caller splices these texts into a sentence (catalog.c explains how),
 * so each must start in lower case and end without a period or blank. */
static int reads_as_fragment(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || !islower((unsigned char)s[0]))
		return 0;
	return s[n - 1] != '.' && !isspace((unsigned char)s[n - 1]);
}

/* Shared by both kinds of entry: the wording rules, and a fix for every
 * entry a new login does not cure. */
static void check_entry(const sao_catalog_entry_t *e, const char *key)
{
	CHECK_MSG(reads_as_fragment(e->cause), "cause of %s: \"%s\"", key, e->cause ? e->cause : "(null)");
	if (e->fix == NULL)
		CHECK_MSG(e->login == 1, "%s has no fix and no login", key);
	else
		CHECK_MSG(reads_as_fragment(e->fix), "fix of %s: \"%s\"", key, e->fix);
	CHECK_MSG(e->login == 0 || e->login == 1, "login of %s is %d", key, e->login);
}

static void test_codes(void)
{
	const sao_catalog_entry_t *prev = NULL;
	char key[32];

	for (size_t i = 0; i < N_ELEMS(known_codes); i++) {
		const sao_catalog_entry_t *e = sao_catalog_code(known_codes[i].code);

		snprintf(key, sizeof(key), "AADSTS%ld", known_codes[i].code);
		if (i > 0)
			CHECK_MSG(known_codes[i - 1].code < known_codes[i].code, "test list out of order at %s", key);
		CHECK_MSG(e != NULL, "%s not found", key);
		if (e == NULL) {
			prev = NULL;
			continue;
		}
		CHECK_MSG(e->code == known_codes[i].code && e->error == NULL, "%s: wrong entry", key);
		CHECK_MSG(e->login == known_codes[i].login, "%s: login %d, want %d", key, e->login,
		          known_codes[i].login);
		check_entry(e, key);
		/* Neighbours in the list are neighbours in the table: no repeated
		 * number and no untested entry between them. */
		if (prev != NULL)
			CHECK_MSG(e == prev + 1, "%s does not follow the previous entry in the table", key);
		prev = e;
	}
}

static void test_errors(void)
{
	const sao_catalog_entry_t *prev = NULL;

	for (size_t i = 0; i < N_ELEMS(known_errors); i++) {
		const char *s = known_errors[i].error;
		const sao_catalog_entry_t *e = sao_catalog_error(s);

		if (i > 0)
			CHECK_MSG(strcmp(known_errors[i - 1].error, s) < 0, "test list out of order at %s", s);
		CHECK_MSG(e != NULL, "%s not found", s);
		if (e == NULL) {
			prev = NULL;
			continue;
		}
		CHECK_MSG(e->code == 0 && e->error != NULL && strcmp(e->error, s) == 0, "%s: wrong entry", s);
		CHECK_MSG(e->login == known_errors[i].login, "%s: login %d, want %d", s, e->login,
		          known_errors[i].login);
		check_entry(e, s);
		if (prev != NULL)
			CHECK_MSG(e == prev + 1, "%s does not follow the previous entry in the table", s);
		prev = e;
	}
}

static void test_unknown(void)
{
	static const long codes[] = { 0, -1, 1, 28001, 50077, 70017, 9002333, 99999999, LONG_MAX, LONG_MIN };
	static const char *const errors[] = {
		"",               /* empty */
		"Invalid_Grant",  /* RFC 6749 values are case-sensitive */
		"INVALID_GRANT",
		"invalid_grant ", /* no trimming */
		" invalid_grant",
		"invalid",        /* no prefix match */
		"invalid_grants",
		"AADSTS50173",    /* numbers go through sao_catalog_code */
		"invalid_token",  /* a resource-server (RFC 6750) code, challenge.c's business */
	};

	for (size_t i = 0; i < N_ELEMS(codes); i++)
		CHECK_MSG(sao_catalog_code(codes[i]) == NULL, "code %ld found", codes[i]);
	for (size_t i = 0; i < N_ELEMS(errors); i++)
		CHECK_MSG(sao_catalog_error(errors[i]) == NULL, "\"%s\" found", errors[i]);
	CHECK(sao_catalog_error(NULL) == NULL);
}

/* The wording a user sees for the commonest case, end to end. */
static void test_sentence(void)
{
	const sao_catalog_entry_t *e = sao_catalog_code(53003);
	char line[512];
	int n;

	CHECK(e != NULL && e->fix != NULL);
	if (e == NULL || e->fix == NULL)
		return;
	n = snprintf(line, sizeof(line), "the identity provider answered access_denied AADSTS%ld: %s; %s", e->code,
	             e->cause, e->fix);
	CHECK(n > 0 && (size_t)n < sizeof(line));
	CHECK(strstr(line, "Conditional Access") != NULL && strstr(line, "flow = authcode") != NULL);
}

/* Mail servers' replies: what each means, given what else is known. */
static const struct {
	sao_catalog_proto_t proto;
	const char *reply;
	int challenged, app_only, shared;
	const char *id; /* NULL: not in the catalog */
} replies[] = {
	{ SAO_CATALOG_SMTP, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. "
	                  "[AM0PR01CA0001.eurprd01.prod.exchangelabs.com]", 0, 0, 0, "smtp-auth-disabled-mailbox" },
	{ SAO_CATALOG_SMTP, "535-5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
	  0, 1, 0, "smtp-auth-disabled-mailbox" },
	{ SAO_CATALOG_SMTP, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
	                  "Visit https://aka.ms/smtp_auth_disabled for more information.", 0, 0, 0,
	  "smtp-auth-disabled-tenant" },
	{ SAO_CATALOG_SMTP, "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security "
	                  "defaults policy. Contact your administrator.", 0, 0, 0, "smtp-security-defaults" },
	{ SAO_CATALOG_SMTP, "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
	                  "authenticated successfully. Contact your administrator.", 0, 0, 0, "smtp-5.7.139" },
	{ SAO_CATALOG_SMTP, "535 5.7.3 Authentication unsuccessful [BN0PR04CA0001.namprd04.prod.outlook.com]", 0, 0, 0,
	  "smtp-5.7.3" },
	{ SAO_CATALOG_SMTP, "535 5.7.3 Authentication unsuccessful [host]", 0, 1, 0, "smtp-app-only" },
	{ SAO_CATALOG_SMTP, "535 5.7.3 Authentication unsuccessful [host]", 0, 0, 1, "smtp-shared" },
	{ SAO_CATALOG_SMTP, "535 5.7.3 Authentication unsuccessful [host]", 0, 1, 1, "smtp-app-only" },
	/* A challenge came: the challenge explains it, not this entry. */
	{ SAO_CATALOG_SMTP, "535 5.7.3 Authentication unsuccessful", 1, 0, 0, NULL },
	{ SAO_CATALOG_SMTP, "535 5.7.301 something else", 0, 0, 0, NULL },
	{ SAO_CATALOG_SMTP, "550 5.7.30 Basic authentication is not supported for Client Submission.", 0, 0, 0,
	  "smtp-basic-auth" },
	{ SAO_CATALOG_SMTP, "501 5.5.127 Invalid XOAUTH2 auth data - Token will expire soon", 0, 0, 0,
	  "smtp-token-expiring" },
	{ SAO_CATALOG_SMTP, "530 5.7.57 Client not authenticated to send mail. [BN1P110CA0052.NAMP110.PROD.OUTLOOK.COM]", 0,
	  0, 0, "smtp-not-authenticated" },
	{ SAO_CATALOG_SMTP, "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM", 0, 0,
	  0, "smtp-not-authenticated" },
	{ SAO_CATALOG_SMTP, "550 5.7.60 SMTP; Client does not have permissions to send as this sender", 0, 0, 0,
	  "smtp-sendas-denied" },
	{ SAO_CATALOG_SMTP, "554 5.2.252 SendAsDenied; a@contoso.com not allowed to send as b@contoso.com", 0, 0, 0,
	  "smtp-sendas-denied-submission" },
	{ SAO_CATALOG_SMTP, "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", 0, 0, 0, "smtp-concurrency" },
	{ SAO_CATALOG_SMTP, "451 4.7.500 Server busy. Please try again later from [203.0.113.1].", 0, 0, 0,
	  "smtp-throttled" },
	{ SAO_CATALOG_SMTP, "421 4.7.66 Too many connections", 0, 0, 0, "smtp-throttled" },
	{ SAO_CATALOG_SMTP, "535 5.7.8 Username and Password not accepted.", 0, 0, 0, NULL },
	{ SAO_CATALOG_SMTP, "250 2.1.0 Sender OK", 0, 0, 0, NULL },
	{ SAO_CATALOG_SMTP, "", 0, 0, 0, NULL },
	{ SAO_CATALOG_IMAP, "A01 NO AUTHENTICATE failed.", 0, 0, 0, "imap-refused" },
	{ SAO_CATALOG_IMAP, "a2 no authenticate FAILED.", 0, 0, 0, "imap-refused" },
	{ SAO_CATALOG_IMAP, "A01 NO AUTHENTICATE failed.", 0, 1, 0, "imap-app-only" },
	{ SAO_CATALOG_IMAP, "A01 NO AUTHENTICATE failed.", 0, 0, 1, "imap-shared" },
	{ SAO_CATALOG_IMAP, "A01 NO AUTHENTICATE failed.", 1, 0, 0, NULL },
	{ SAO_CATALOG_IMAP, "A01 NO [AUTHENTICATIONFAILED] Authentication failed.", 0, 0, 0, NULL },
	{ SAO_CATALOG_IMAP, "A03 BAD User is authenticated but not connected.", 0, 0, 0, "imap-not-connected" },
	{ SAO_CATALOG_IMAP, "* BAD User is authenticated but not connected.", 0, 0, 0, "imap-not-connected" },
	{ SAO_CATALOG_IMAP, "NO AUTHENTICATE failed.", 0, 0, 0, NULL }, /* no tag: "NO" is the tag */
	{ SAO_CATALOG_POP3, "-ERR Authentication failure: unknown user name or bad password.", 0, 0, 0, "pop3-refused" },
	{ SAO_CATALOG_POP3, "-ERR Authentication failure: unknown user name or bad password.", 0, 1, 0, "pop3-app-only" },
	{ SAO_CATALOG_POP3, "-ERR Authentication failure: unknown user name or bad password.", 0, 0, 1, "pop3-shared" },
	{ SAO_CATALOG_POP3, "-ERR [AUTH] Authentication failed.", 0, 0, 0, NULL },
	/* The protocol counts: an IMAP-looking line over SMTP is nothing. */
	{ SAO_CATALOG_SMTP, "A01 NO AUTHENTICATE failed.", 0, 0, 0, NULL },
};

static void test_servers(void)
{
	size_t n;
	const sao_server_entry_t *all = sao_catalog_servers(&n);

	for (size_t i = 0; i < N_ELEMS(replies); i++) {
		sao_server_reply_t r = { .proto = replies[i].proto, .reply = replies[i].reply,
			                 .challenged = replies[i].challenged, .app_only = replies[i].app_only,
			                 .shared = replies[i].shared };
		const sao_server_entry_t *e = sao_catalog_server(&r);

		if (replies[i].id == NULL)
			CHECK_MSG(e == NULL, "\"%s\" matched %s", replies[i].reply, e != NULL ? e->id : "");
		else
			CHECK_MSG(e != NULL && strcmp(e->id, replies[i].id) == 0, "\"%s\" (row %zu): got %s, want %s",
			          replies[i].reply, i, e != NULL ? e->id : "nothing", replies[i].id);
	}
	/* Every entry: its own example finds it (tagged for IMAP), its texts
	 * read as fragments, and its id is unique. */
	for (size_t i = 0; i < n; i++) {
		const sao_server_entry_t *e = &all[i];
		char line[512];
		sao_server_reply_t r = { .proto = e->proto, .reply = line, .app_only = e->app_only, .shared = e->shared };

		snprintf(line, sizeof(line), "%s%s", e->proto == SAO_CATALOG_IMAP ? "A1 " : "", e->example);
		CHECK_MSG(sao_catalog_server(&r) == e, "%s: its example finds another entry", e->id);
		CHECK_MSG(reads_as_fragment(e->cause), "cause of %s", e->id);
		CHECK_MSG(reads_as_fragment(e->fix), "fix of %s", e->id);
		for (size_t j = 0; j < i; j++)
			CHECK_MSG(strcmp(all[j].id, e->id) != 0, "%s repeated", e->id);
	}
	CHECK(sao_catalog_server(NULL) == NULL);
}

static void test_fix(void)
{
	sao_server_reply_t r = { .proto = SAO_CATALOG_SMTP,
		                 .reply = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
		                          "for the Mailbox." };
	const sao_server_entry_t *e = sao_catalog_server(&r);
	char buf[512], small[16];

	CHECK(e != NULL);
	if (e == NULL)
		return;
	sao_catalog_fix(e, "alice@contoso.com", NULL, buf, sizeof(buf));
	CHECK_MSG(strstr(buf, "Set-CASMailbox -Identity alice@contoso.com -SmtpClientAuthenticationDisabled $false") !=
	                  NULL,
	          "%s", buf);
	sao_catalog_fix(e, NULL, NULL, buf, sizeof(buf));
	CHECK(strstr(buf, "-Identity <mailbox>") != NULL);
	sao_catalog_fix(e, "alice@contoso.com", NULL, small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1);
	r.proto = SAO_CATALOG_IMAP;
	r.reply = "A1 NO AUTHENTICATE failed.";
	r.app_only = 1;
	e = sao_catalog_server(&r);
	CHECK(e != NULL);
	if (e != NULL) {
		sao_catalog_fix(e, "box@contoso.com", "1111-2222", buf, sizeof(buf));
		CHECK_MSG(strstr(buf, "New-ServicePrincipal -AppId 1111-2222") != NULL &&
		                  strstr(buf, "Add-MailboxPermission -Identity box@contoso.com") != NULL,
		          "%s", buf);
	}
}

/* s as Markdown text: "<mailbox>" must not read as an HTML tag, and a
 * '|' must not end a table cell. */
static void md(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

/* The rest of one line of the tables of provider errors. */
static void provider_row(FILE *f, const sao_catalog_entry_t *c)
{
	md(f, c->cause);
	fputs(" | ", f);
	md(f, c->fix);
	fprintf(f, "%s%s |\n", c->fix != NULL && c->login ? ", then " : "", c->login ? "sasl-oauth login ACCOUNT" : "");
}

/* The table of provider errors, one line each: the AADSTS number, or the
 * OAuth error string. */
static void provider_rows(FILE *f, const sao_catalog_entry_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].code != 0)
			fprintf(f, "| AADSTS%ld | ", c[i].code);
		else
			fprintf(f, "| `%s` | ", c[i].error);
		provider_row(f, &c[i]);
	}
}

/* docs/troubleshooting.md is this function's output: every catalog entry
 * appears there. SAO_WRITE_TROUBLESHOOTING=PATH writes it ("make
 * troubleshooting"); otherwise the test compares the checked-in page. */
static void page(FILE *f)
{
	size_t n;
	const sao_catalog_entry_t *c;
	const sao_server_entry_t *sv;

	fputs("<!-- Generated from lib/catalog.c by \"make troubleshooting\"; test-catalog fails when it differs. -->\n"
	      "# Troubleshooting\n\n"
	      "Every failure sasl-oauth reports names its cause and its fix in one line. This page lists all\n"
	      "of them, so that a line seen in a log can be looked up here. \"ACCOUNT\" is the account's name\n"
	      "in the configuration; \"<mailbox>\" and \"<client_id>\" are filled in when sasl-oauth knows them.\n\n"
	      "First checks, in this order: `sasl-oauth test URL` (does a login through libsasl2 work, and\n"
	      "if not, why?), `sasl-oauth status` (is the grant alive?), `sasl-oauth inspect ACCOUNT` (is the\n"
	      "token one the mail server accepts?), `sasl-oauth config` (which file set what, and which\n"
	      "plugin libsasl2 picks).\n\n"
	      "## The mail server refused\n\n"
	      "Exchange Online sends no reason with a refused token: IMAP says `NO AUTHENTICATE failed.`,\n"
	      "POP3 `-ERR Authentication failure`, SMTP `535 5.7.3`. The plugin inside a mail program never\n"
	      "sees that final reply (libsasl2 does not pass it to a client plugin), so the program's own\n"
	      "message is all there is. `sasl-oauth test URL` reproduces the login and `sasl-oauth tunnel`\n"
	      "makes it; both see the reply and add this table's cause and fix to their own message, with\n"
	      "the mailbox filled in. Where the server does send an error challenge, the plugin adds what\n"
	      "the token's own claims say is wrong with it (a Graph audience, a missing scope or role).\n"
	      "Gmail and Dovecot send an error challenge first; the plugin decodes it and says what it\n"
	      "means in the program's error message.\n\n",
	      f);
	sv = sao_catalog_servers(&n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "### %s: `%s`\n\n", sao_catalog_proto_name(sv[i].proto), sv[i].example);
		fprintf(f, "- id: `%s`%s%s%s\n", sv[i].id, sv[i].no_challenge ? "; when no error challenge came" : "",
		        sv[i].app_only ? "; for an app-only token" : "", sv[i].shared ? "; for a shared mailbox" : "");
		fputs("- cause: ", f);
		md(f, sv[i].cause);
		fputs("\n- fix: ", f);
		md(f, sv[i].fix);
		fputs("\n\n", f);
	}
	fputs("## The identity provider refused (AADSTS codes)\n\n"
	      "sasl-oauth prints `the identity provider answered ERROR AADSTSNNNNN: CAUSE; FIX`. Where the\n"
	      "fix ends in a new login, it adds `run: sasl-oauth login ACCOUNT`.\n\n"
	      "| code | cause | fix |\n|---|---|---|\n",
	      f);
	c = sao_catalog_codes(&n);
	provider_rows(f, c, n);
	fputs("\n## The identity provider refused (OAuth error strings)\n\n"
	      "For providers that send no number (Google, generic ones), the OAuth `error` value decides.\n\n"
	      "| error | cause | fix |\n|---|---|---|\n",
	      f);
	c = sao_catalog_errors(&n);
	provider_rows(f, c, n);
}

static void test_page(void)
{
	const char *out = getenv("SAO_WRITE_TROUBLESHOOTING");
	char *want = NULL, *have = NULL;
	size_t want_len = 0, have_len = 0;
	FILE *f;

	if (out != NULL) {
		f = fopen(out, "w");
		CHECK_MSG(f != NULL, "cannot write %s", out);
		if (f != NULL) {
			page(f);
			CHECK(fclose(f) == 0);
		}
		return;
	}
	f = open_memstream(&want, &want_len);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	page(f);
	fclose(f);
	f = fopen(SAO_TEST_SRCDIR "/../docs/troubleshooting.md", "r");
	CHECK_MSG(f != NULL, "docs/troubleshooting.md is missing: run make troubleshooting");
	if (f != NULL) {
		char chunk[4096];
		size_t got;
		FILE *m = open_memstream(&have, &have_len);

		do {
			got = fread(chunk, 1, sizeof(chunk), f);
			if (m != NULL && got > 0)
				fwrite(chunk, 1, got, m);
		} while (got == sizeof(chunk));
		if (m != NULL)
			fclose(m);
		fclose(f);
		CHECK_MSG(have != NULL && have_len == want_len && memcmp(have, want, want_len) == 0,
		          "docs/troubleshooting.md differs from the catalog: run make troubleshooting");
	}
	free(want);
	free(have);
}

int main(void)
{
	test_codes();
	test_errors();
	test_unknown();
	test_sentence();
	test_servers();
	test_fix();
	test_page();
	return check_done("test-catalog");
}
