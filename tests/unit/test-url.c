/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sasl-oauth/url.h"

static void test_accepted(void)
{
	static const struct {
		const char *in;
		sao_proto_t proto;
		sao_tls_mode_t tls;
		const char *user, *host, *port;
	} rows[] = {
		{ "imaps://alice@contoso.com@outlook.office365.com", SAO_PROTO_IMAP, SAO_TLS_IMPLICIT, "alice@contoso.com",
		  "outlook.office365.com", "993" },
		{ "imap://alice@contoso.com@outlook.office365.com", SAO_PROTO_IMAP, SAO_TLS_STARTTLS, "alice@contoso.com",
		  "outlook.office365.com", "143" },
		{ "pop3s://alice@contoso.com@outlook.office365.com", SAO_PROTO_POP3, SAO_TLS_IMPLICIT, "alice@contoso.com",
		  "outlook.office365.com", "995" },
		{ "pop3://alice@contoso.com@outlook.office365.com", SAO_PROTO_POP3, SAO_TLS_STARTTLS, "alice@contoso.com",
		  "outlook.office365.com", "110" },
		{ "imaps://alice%40contoso.com@outlook.office365.com:10993/", SAO_PROTO_IMAP, SAO_TLS_IMPLICIT,
		  "alice@contoso.com", "outlook.office365.com", "10993" },
		{ "IMAPS://Alice@Contoso.COM@Outlook.Office365.COM:1", SAO_PROTO_IMAP, SAO_TLS_IMPLICIT, "Alice@Contoso.COM",
		  "outlook.office365.com", "1" },
		{ "imap://bob@127.0.0.1:143", SAO_PROTO_IMAP, SAO_TLS_STARTTLS, "bob", "127.0.0.1", "143" },
		{ "imap://bob@[::1]:65535", SAO_PROTO_IMAP, SAO_TLS_STARTTLS, "bob", "::1", "65535" },
		{ "imap://bob@[::1]", SAO_PROTO_IMAP, SAO_TLS_STARTTLS, "bob", "::1", "143" },
		{ "pop3://a+b.c@d@e-f.example", SAO_PROTO_POP3, SAO_TLS_STARTTLS, "a+b.c@d", "e-f.example", "110" },
		{ "smtp://alice@contoso.com@smtp.office365.com", SAO_PROTO_SMTP, SAO_TLS_STARTTLS, "alice@contoso.com",
		  "smtp.office365.com", "587" },
		{ "smtps://alice@contoso.com@smtp.office365.com", SAO_PROTO_SMTP, SAO_TLS_IMPLICIT, "alice@contoso.com",
		  "smtp.office365.com", "465" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_url_t u;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		rc = sao_url_parse(rows[i].in, &u, &err);
		CHECK_MSG(rc == SAO_OK, "%s: %s", rows[i].in, err.msg);
		CHECK_MSG(u.proto == rows[i].proto && u.tls == rows[i].tls, "%s: scheme", rows[i].in);
		CHECK_MSG(strcmp(u.user, rows[i].user) == 0, "%s: user '%s'", rows[i].in, u.user);
		CHECK_MSG(strcmp(u.host, rows[i].host) == 0, "%s: host '%s'", rows[i].in, u.host);
		CHECK_MSG(strcmp(u.port, rows[i].port) == 0, "%s: port '%s'", rows[i].in, u.port);
	}
}

static void test_refused(void)
{
	static const struct {
		const char *in;
		const char *says;
	} rows[] = {
		{ "outlook.office365.com", "is not a mail server URL" },
		{ "https://alice@host", "scheme 'https'" },
		{ "submission://alice@host", "scheme 'submission'" },
		{ "imaps://host", "names no user" },
		{ "imaps://@host", "the user in" },
		{ "imaps://al ice@host", "the user in" },
		{ "imaps://al\tice@host", "the user in" },
		{ "imaps://alice%41@host", "the user in" },
		{ "imaps://alice%4@host", "the user in" },
		{ "imaps://alice%@host", "the user in" },
		{ "imaps://alice@", "the host in" },
		{ "imaps://alice@ho_st", "the host in" },
		{ "imaps://alice@-host", "the host in" },
		{ "imaps://alice@host/INBOX", "the host in" },
		{ "imaps://alice@host?x", "the host in" },
		{ "imaps://alice@[zz]:1", "the host in" },
		{ "imaps://alice@host:", "the port in" },
		{ "imaps://alice@host:0", "the port in" },
		{ "imaps://alice@host:65536", "the port in" },
		{ "imaps://alice@host:123456", "the port in" },
		{ "imaps://alice@host:99x", "the port in" },
		{ "imaps://alice@host:-1", "the port in" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_url_t u;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		rc = sao_url_parse(rows[i].in, &u, &err);
		CHECK_MSG(rc == SAO_ERR_PROTO, "%s: accepted", rows[i].in);
		CHECK_MSG(strstr(err.msg, rows[i].says) != NULL, "%s: message '%s' lacks '%s'", rows[i].in, err.msg,
		          rows[i].says);
		CHECK_MSG(u.host[0] == '\0' && u.user[0] == '\0', "%s: output not cleared", rows[i].in);
	}
}

static void test_scheme_names(void)
{
	sao_url_t u;

	CHECK(sao_url_parse("pop3s://a@b", &u, NULL) == SAO_OK && strcmp(sao_url_scheme(&u), "pop3s") == 0);
	CHECK(sao_url_parse("imap://a@b", &u, NULL) == SAO_OK && strcmp(sao_url_scheme(&u), "imap") == 0);
	CHECK(sao_url_parse("smtps://a@b", &u, NULL) == SAO_OK && strcmp(sao_url_scheme(&u), "smtps") == 0);
}

int main(void)
{
	test_accepted();
	test_refused();
	test_scheme_names();
	return check_done("test-url");
}
