/* SPDX-License-Identifier: MIT */
/* snippet: the mail programs' lines per provider (table-driven), the
 * servers of each cloud, refusals, and appending without overwriting. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "sasl-oauth/snippet.h"

static const struct {
	sao_snippet_program_t p;
	const char *provider, *cloud;
	const char *want;
} rows[] = {
	{ SAO_SNIPPET_MSMTP, "microsoft", "global",
	  "account work\nhost smtp.office365.com\nport 587\ntls on\ntls_starttls on\nauth xoauth2\n"
	  "user alice@contoso.com\nfrom alice@contoso.com\npasswordeval \"sasl-oauth token work\"\n\n"
	  "account default : work\n" },
	{ SAO_SNIPPET_MUTT, "google", NULL,
	  "set from = \"alice@contoso.com\"\nset imap_user = \"alice@contoso.com\"\n"
	  "set folder = \"imaps://imap.gmail.com:993/\"\nset spoolfile = \"+INBOX\"\n"
	  "set imap_authenticators = \"xoauth2\"\nset imap_oauth_refresh_command = \"sasl-oauth token work\"\n"
	  "set smtp_url = \"smtp://alice@contoso.com@smtp.gmail.com:587/\"\nset smtp_authenticators = \"xoauth2\"\n"
	  "set smtp_oauth_refresh_command = \"sasl-oauth token work\"\nset ssl_force_tls = yes\n" },
	{ SAO_SNIPPET_MBSYNC, "microsoft", "usgov",
	  "IMAPAccount work\nHost outlook.office365.us\nSSLType IMAPS\nUser alice@contoso.com\nAuthMechs XOAUTH2\n\n"
	  "IMAPStore work-remote\nAccount work\n\nMaildirStore work-local\nPath ~/Mail/work/\nInbox ~/Mail/work/INBOX\n"
	  "SubFolders Verbatim\n\nChannel work\nFar :work-remote:\nNear :work-local:\nPatterns *\nCreate Near\n"
	  "SyncState *\n" },
	{ SAO_SNIPPET_FETCHMAIL, "microsoft", "china",
	  "poll partner.outlook.cn protocol IMAP\n    plugin \"sasl-oauth tunnel imap://alice@contoso.com@%h:%p\"\n"
	  "    auth ssh\n    user \"alice@contoso.com\"\n    sslproto \"\"\n" },
	{ SAO_SNIPPET_POSTFIX, "microsoft", "usgov-dod",
	  "# /etc/postfix/main.cf\nrelayhost = [outlook-dod.office365.us]:587\nsmtp_sasl_auth_enable = yes\n"
	  "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\nsmtp_sender_dependent_authentication = yes\n"
	  "smtp_sasl_mechanism_filter = xoauth2\nsmtp_sasl_security_options = noanonymous\n"
	  "smtp_sasl_tls_security_options = noanonymous\nsmtp_sasl_auth_soft_bounce = yes\n"
	  "smtp_tls_security_level = encrypt\n\n# /etc/postfix/sasl_passwd, then: postmap /etc/postfix/sasl_passwd\n"
	  "[outlook-dod.office365.us]:587 alice@contoso.com:unused\n" },
	{ SAO_SNIPPET_CURL, "microsoft", "global",
	  "curl --oauth2-bearer \"$(sasl-oauth token work)\" --user alice@contoso.com: "
	  "\"imaps://outlook.office365.com:993/\"\n\n"
	  "curl --oauth2-bearer \"$(sasl-oauth token work)\" --user alice@contoso.com: --ssl-reqd "
	  "\"smtp://smtp.office365.com:587\" --mail-from alice@contoso.com --mail-rcpt bob@example.com "
	  "--upload-file message.eml\n" },
};

static void test_render(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_error_t err;
		char *text = NULL;
		const sao_mailhosts_t *h = sao_snippet_hosts(rows[i].provider, rows[i].cloud);

		sao_error_clear(&err);
		CHECK_MSG(h != NULL, "row %zu", i);
		if (h == NULL)
			continue;
		CHECK(sao_snippet_render(rows[i].p, "work", "alice@contoso.com", h, &text, &err) == SAO_OK);
		if (text != NULL)
			CHECK_BYTES(text, strlen(text), rows[i].want, strlen(rows[i].want));
		free(text);
	}
}

static void test_hosts_and_refusals(void)
{
	static const char *const bad[][2] = {
		{ "work", "alice" },          { "work", "al ice@contoso.com" }, { "wo\"rk", "alice@contoso.com" },
		{ "work", "a$(x)@contoso.com" }, { "", "alice@contoso.com" },
	};
	const sao_mailhosts_t *h = sao_snippet_hosts("microsoft", NULL);
	sao_error_t err;
	char *text = NULL;

	CHECK(h != NULL && strcmp(h->imap, "outlook.office365.com") == 0 && h->imap_port == 993 &&
	      h->pop_port == 995 && strcmp(h->smtp, "smtp.office365.com") == 0 && h->smtp_port == 587);
	CHECK(sao_snippet_hosts("generic", NULL) == NULL);
	CHECK(sao_snippet_hosts("microsoft", "mars") == NULL);
	CHECK(strcmp(sao_snippet_hosts("google", "global")->pop, "pop.gmail.com") == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sao_error_clear(&err);
		CHECK_MSG(sao_snippet_render(SAO_SNIPPET_MUTT, bad[i][0], bad[i][1], h, &text, &err) == SAO_ERR_CONFIG,
		          "row %zu", i);
		CHECK(text == NULL);
	}
	CHECK(sao_snippet_sends(SAO_SNIPPET_MSMTP) && sao_snippet_sends(SAO_SNIPPET_MUTT) &&
	      !sao_snippet_sends(SAO_SNIPPET_MBSYNC) && !sao_snippet_sends(SAO_SNIPPET_FETCHMAIL));
	CHECK(strcmp(sao_snippet_file(SAO_SNIPPET_MBSYNC), ".mbsyncrc") == 0);
	CHECK(strcmp(sao_snippet_file(SAO_SNIPPET_MSMTP), ".msmtprc") == 0);
	CHECK(strcmp(sao_snippet_file(SAO_SNIPPET_FETCHMAIL), ".fetchmailrc") == 0);
	CHECK(sao_snippet_file(SAO_SNIPPET_MUTT) == NULL && sao_snippet_file(SAO_SNIPPET_POSTFIX) == NULL);
	CHECK(strcmp(sao_snippet_programs[SAO_SNIPPET_NEOMUTT], "neomutt") == 0 &&
	      sao_snippet_programs[SAO_SNIPPET_N] == NULL);
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static void test_append(void)
{
	char dir[] = "/tmp/test-snippet-XXXXXX", path[256], link[256], *text = NULL;
	const char *got;
	const sao_mailhosts_t *h = sao_snippet_hosts("microsoft", "global");
	sao_error_t err;
	struct stat st;
	int dropped = -1;

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/mbsyncrc", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	sao_error_clear(&err);
	CHECK(sao_snippet_render(SAO_SNIPPET_MBSYNC, "work", "alice@contoso.com", h, &text, &err) == SAO_OK);

	/* A new file: exactly the lines, mode 0600. */
	CHECK(sao_snippet_append(SAO_SNIPPET_MBSYNC, path, text, &dropped, &err) == SAO_OK);
	got = test_read_text(path);
	CHECK(got != NULL && strcmp(got, text) == 0 && dropped == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);

	/* Again: the sections exist; nothing changes. */
	sao_error_clear(&err);
	CHECK(sao_snippet_append(SAO_SNIPPET_MBSYNC, path, text, NULL, &err) == SAO_ERR_CONFIG);
	CHECK(strstr(err.msg, "already has 'IMAPAccount work'") != NULL);
	got = test_read_text(path);
	CHECK(got != NULL && strcmp(got, text) == 0);

	/* An existing file keeps every byte and its mode; one blank line apart. */
	put_file(path, "IMAPAccount home\nHost example.org", 0640);
	sao_error_clear(&err);
	CHECK(sao_snippet_append(SAO_SNIPPET_MBSYNC, path, text, NULL, &err) == SAO_OK);
	got = test_read_text(path);
	CHECK(got != NULL && strncmp(got, "IMAPAccount home\nHost example.org\n\nIMAPAccount work\n", 51) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);

	/* A symbolic link is not followed. */
	CHECK(symlink(path, link) == 0);
	sao_error_clear(&err);
	CHECK(sao_snippet_append(SAO_SNIPPET_MBSYNC, link, "Channel x\n", NULL, &err) == SAO_ERR_IO);
	free(text);
	text = NULL;

	/* msmtp: a file with its own default keeps it; our default line goes. */
	snprintf(path, sizeof(path), "%s/msmtprc", dir);
	put_file(path, "account home\nhost mail.example.org\n\naccount default : home\n", 0600);
	CHECK(sao_snippet_render(SAO_SNIPPET_MSMTP, "work", "alice@contoso.com", h, &text, &err) == SAO_OK);
	CHECK(sao_snippet_append(SAO_SNIPPET_MSMTP, path, text, &dropped, &err) == SAO_OK);
	got = test_read_text(path);
	CHECK(dropped == 1 && got != NULL && strstr(got, "account default : work") == NULL &&
	      strstr(got, "passwordeval \"sasl-oauth token work\"\n") != NULL &&
	      got[strlen(got) - 1] == '\n' && got[strlen(got) - 2] != '\n');
	free(text);
	unlink(link);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mbsyncrc", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_render();
	test_hosts_and_refusals();
	test_append();
	return check_done("test-snippet");
}
