/* SPDX-License-Identifier: MIT */
/*
 * snippet: a mail program's lines for an account (snippet.h). The lines
 * are templates with a few placeholders, so what a page in docs/clients/
 * shows and what "sasl-oauth setup --for" prints are the same text:
 *
 *   {A} account name   {E} mail address
 *   {I} IMAP host      {IP} its port      {P} POP3 host  {PP} its port
 *   {S} SMTP host      {SP} its port
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sasl-oauth/fs.h"
#include "sasl-oauth/snippet.h"

#define FILE_MAX (1024 * 1024) /* an mbsyncrc or msmtprc is small */

const char *const sao_snippet_programs[] = {
	[SAO_SNIPPET_MUTT] = "mutt",     [SAO_SNIPPET_NEOMUTT] = "neomutt", [SAO_SNIPPET_MBSYNC] = "mbsync",
	[SAO_SNIPPET_FETCHMAIL] = "fetchmail", [SAO_SNIPPET_MSMTP] = "msmtp", [SAO_SNIPPET_POSTFIX] = "postfix",
	[SAO_SNIPPET_CURL] = "curl",     [SAO_SNIPPET_N] = NULL,
};

/* docs/clients/mutt.md "muttrc": mutt and neomutt alike. */
static const char muttrc[] = "set from = \"{E}\"\n"
                             "set imap_user = \"{E}\"\n"
                             "set folder = \"imaps://{I}:{IP}/\"\n"
                             "set spoolfile = \"+INBOX\"\n"
                             "set imap_authenticators = \"xoauth2\"\n"
                             "set imap_oauth_refresh_command = \"sasl-oauth token {A}\"\n"
                             "set smtp_url = \"smtp://{E}@{S}:{SP}/\"\n"
                             "set smtp_authenticators = \"xoauth2\"\n"
                             "set smtp_oauth_refresh_command = \"sasl-oauth token {A}\"\n"
                             "set ssl_force_tls = yes\n";

/* docs/clients/mbsync-plugin.md "mbsyncrc": the plugin gives mbsync XOAUTH2. */
static const char mbsyncrc[] = "IMAPAccount {A}\n"
                               "Host {I}\n"
                               "SSLType IMAPS\n"
                               "User {E}\n"
                               "AuthMechs XOAUTH2\n"
                               "\n"
                               "IMAPStore {A}-remote\n"
                               "Account {A}\n"
                               "\n"
                               "MaildirStore {A}-local\n"
                               "Path ~/Mail/{A}/\n"
                               "Inbox ~/Mail/{A}/INBOX\n"
                               "SubFolders Verbatim\n"
                               "\n"
                               "Channel {A}\n"
                               "Far :{A}-remote:\n"
                               "Near :{A}-local:\n"
                               "Patterns *\n"
                               "Create Near\n"
                               "SyncState *\n";

/* docs/clients/fetchmail.md "fetchmailrc-imap": through the tunnel. */
static const char fetchmailrc[] = "poll {I} protocol IMAP\n"
                                  "    plugin \"sasl-oauth tunnel imap://{E}@%h:%p\"\n"
                                  "    auth ssh\n"
                                  "    user \"{E}\"\n"
                                  "    sslproto \"\"\n";

/* docs/clients/msmtp.md "msmtprc". */
static const char msmtprc[] = "account {A}\n"
                              "host {S}\n"
                              "port {SP}\n"
                              "tls on\n"
                              "tls_starttls on\n"
                              "auth xoauth2\n"
                              "user {E}\n"
                              "from {E}\n"
                              "passwordeval \"sasl-oauth token {A}\"\n"
                              "\n"
                              "account default : {A}\n";

/* docs/clients/postfix.md, sections 4 and 5. */
static const char postfix[] = "# /etc/postfix/main.cf\n"
                              "relayhost = [{S}]:{SP}\n"
                              "smtp_sasl_auth_enable = yes\n"
                              "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
                              "smtp_sender_dependent_authentication = yes\n"
                              "smtp_sasl_mechanism_filter = xoauth2\n"
                              "smtp_sasl_security_options = noanonymous\n"
                              "smtp_sasl_tls_security_options = noanonymous\n"
                              "smtp_sasl_auth_soft_bounce = yes\n"
                              "smtp_tls_security_level = encrypt\n"
                              "\n"
                              "# /etc/postfix/sasl_passwd, then: postmap /etc/postfix/sasl_passwd\n"
                              "[{S}]:{SP} {E}:unused\n";

/* docs/clients/curl.md "curl-imap-list" and "curl-smtp". */
static const char curl[] = "curl --oauth2-bearer \"$(sasl-oauth token {A})\" --user {E}: \"imaps://{I}:{IP}/\"\n"
                           "\n"
                           "curl --oauth2-bearer \"$(sasl-oauth token {A})\" --user {E}: --ssl-reqd "
                           "\"smtp://{S}:{SP}\" --mail-from {E} --mail-rcpt bob@example.com --upload-file "
                           "message.eml\n";

static const struct {
	const char *template;
	int sends;
	const char *file;  /* --write may append here */
	const char *opens; /* lines that open a section, each needing to be new in the file */
} programs[SAO_SNIPPET_N] = {
	[SAO_SNIPPET_MUTT] = { muttrc, 1, NULL, NULL },
	[SAO_SNIPPET_NEOMUTT] = { muttrc, 1, NULL, NULL },
	[SAO_SNIPPET_MBSYNC] = { mbsyncrc, 0, ".mbsyncrc", "IMAPAccount |IMAPStore |MaildirStore |Channel " },
	[SAO_SNIPPET_FETCHMAIL] = { fetchmailrc, 0, ".fetchmailrc", "poll " },
	[SAO_SNIPPET_MSMTP] = { msmtprc, 1, ".msmtprc", "account " },
	[SAO_SNIPPET_POSTFIX] = { postfix, 1, NULL, NULL },
	[SAO_SNIPPET_CURL] = { curl, 1, NULL, NULL },
};

static const struct {
	const char *provider, *cloud;
	sao_mailhosts_t h;
} hosts[] = {
	{ "microsoft", "global", { "outlook.office365.com", 993, "outlook.office365.com", 995, "smtp.office365.com", 587 } },
	{ "microsoft", "usgov", { "outlook.office365.us", 993, "outlook.office365.us", 995, "smtp.office365.us", 587 } },
	{ "microsoft", "usgov-dod",
	  { "outlook-dod.office365.us", 993, "outlook-dod.office365.us", 995, "outlook-dod.office365.us", 587 } },
	{ "microsoft", "china", { "partner.outlook.cn", 993, "partner.outlook.cn", 995, "smtp.partner.outlook.cn", 587 } },
	{ "google", "global", { "imap.gmail.com", 993, "pop.gmail.com", 995, "smtp.gmail.com", 587 } },
};

const sao_mailhosts_t *sao_snippet_hosts(const char *provider, const char *cloud)
{
	if (provider == NULL)
		return NULL;
	if (cloud == NULL)
		cloud = "global";
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		if (strcmp(hosts[i].provider, provider) == 0 && strcmp(hosts[i].cloud, cloud) == 0)
			return &hosts[i].h;
	}
	return NULL;
}

int sao_snippet_sends(sao_snippet_program_t p)
{
	return p < SAO_SNIPPET_N && programs[p].sends;
}

const char *sao_snippet_file(sao_snippet_program_t p)
{
	return p < SAO_SNIPPET_N ? programs[p].file : NULL;
}

/* A value goes inside "..." in mutt, fetchmail and msmtp lines and into
 * mbsync's words: no quotes, backslashes, blanks or control characters. */
static int plain(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'' || c == '$' || c == '`')
			return 0;
	}
	return 1;
}

sao_err_t sao_snippet_render(sao_snippet_program_t p, const char *account, const char *email,
                             const sao_mailhosts_t *h, char **text_r, sao_error_t *err)
{
	sao_text_t buf = { 0 };
	const char *t;
	sao_err_t rc = SAO_ERR_NOMEM;

	*text_r = NULL;
	if (p >= SAO_SNIPPET_N || h == NULL)
		return sao_error_set(err, SAO_ERR_INTERNAL, "no lines for this program or provider");
	if (!plain(account) || !plain(email) || strchr(email, '@') == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "cannot write mail program lines for account '%s' and address '%s': quotes, "
		                     "blanks and shell characters do not fit in them; use a plain name and address",
		                     account != NULL ? account : "", email != NULL ? email : "");
	if (!sao_text_put(&buf, "", 0))
		goto out;
	for (t = programs[p].template; *t != '\0';) {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		char num[16];
		const char *v = NULL;

		if (close == NULL) {
			size_t n = strcspn(t, "{");

			if (n == 0)
				n = 1;
			if (!sao_text_put(&buf, t, n))
				goto out;
			t += n;
			continue;
		}
#define IS(name) ((size_t)(close - t - 1) == strlen(name) && memcmp(t + 1, name, strlen(name)) == 0)
		if (IS("A"))
			v = account;
		else if (IS("E"))
			v = email;
		else if (IS("I"))
			v = h->imap;
		else if (IS("P"))
			v = h->pop;
		else if (IS("S"))
			v = h->smtp;
		else if (IS("IP") || IS("PP") || IS("SP")) {
			snprintf(num, sizeof(num), "%d", IS("IP") ? h->imap_port : IS("PP") ? h->pop_port : h->smtp_port);
			v = num;
		}
#undef IS
		if (v == NULL) {
			rc = sao_error_set(err, SAO_ERR_INTERNAL, "unknown placeholder in the lines of %s",
			                   sao_snippet_programs[p]);
			goto out;
		}
		if (!sao_text_puts(&buf, v))
			goto out;
		t = close + 1;
	}
	*text_r = buf.p;
	buf.p = NULL;
	rc = SAO_OK;
out:
	if (rc == SAO_ERR_NOMEM)
		sao_error_set(err, rc, "out of memory");
	free(buf.p);
	return rc;
}

sao_err_t sao_snippet_prepare(sao_snippet_program_t p, const char *account, const char *home, char *made_r,
                              size_t size, sao_error_t *err)
{
	char dir[PATH_MAX];
	int n;

	if (made_r != NULL && size > 0)
		made_r[0] = '\0';
	if (p != SAO_SNIPPET_MBSYNC)
		return SAO_OK;
	/* The template's "Path ~/Mail/{A}/". */
	n = snprintf(dir, sizeof(dir), "%s/Mail/%s", home, account);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return sao_error_set(err, SAO_ERR_IO, "the mail directory path under '%s' is too long", home);
	if (made_r != NULL)
		snprintf(made_r, size, "%s", dir);
	return sao_fs_mkdirs(dir, 0700, "mail directory", err);
}

/* ---- appending ----------------------------------------------------------- */

/* The file's line equal to line (n bytes, blanks at both ends ignored),
 * or NULL. */
static const char *find_line(const char *file, const char *line, size_t n)
{
	for (const char *p = file; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		const char *s = p;

		while (l > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
			l--;
		if (l == n && memcmp(s, line, n) == 0)
			return p;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return NULL;
}

/* The file has a line starting with prefix (after blanks). */
static int has_prefix_line(const char *file, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = file; *p != '\0';) {
		const char *e = strchr(p, '\n');

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, prefix, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

/* Does line (n bytes) open a section, per the "|"-separated prefixes? */
static int opens_section(const char *opens, const char *line, size_t n)
{
	while (opens != NULL && *opens != '\0') {
		size_t k = strcspn(opens, "|");

		if (n > k && memcmp(line, opens, k) == 0)
			return 1;
		opens += k + (opens[k] == '|');
	}
	return 0;
}

sao_err_t sao_snippet_append(sao_snippet_program_t p, const char *path, const char *text, int *dropped_r,
                             sao_error_t *err)
{
	static const char msmtp_default[] = "account default";
	sao_text_t file = { 0 }, out = { 0 };
	struct stat st;
	int fd = -1, dropped = 0;
	sao_err_t rc;

	if (dropped_r != NULL)
		*dropped_r = 0;
	if (p >= SAO_SNIPPET_N)
		return sao_error_set(err, SAO_ERR_INTERNAL, "no lines for this program");
	/* O_APPEND: whatever another writer adds meanwhile stays. No
	 * O_TRUNC, ever; O_NOFOLLOW: a link may point at anything. */
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot open '%s' to add the lines: %s%s", path, strerror(errno),
		                   errno == ELOOP ? " (a symbolic link is not followed; give the real file)" : "");
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		rc = sao_error_set(err, SAO_ERR_PERM,
		                   "'%s' is not a regular file of yours; nothing was written; add the lines by hand", path);
		goto out;
	}
	rc = sao_fs_read_fd(fd, path, FILE_MAX, &file, err);
	if (rc != SAO_OK)
		goto out;
	rc = SAO_ERR_NOMEM;
	if (file.len > 0 && file.p[file.len - 1] != '\n' && !sao_text_put(&out, "\n", 1))
		goto nomem;
	if (file.len > 0 && !sao_text_put(&out, "\n", 1))
		goto nomem;
	for (const char *t = text; *t != '\0';) {
		const char *e = strchr(t, '\n');
		size_t n = e != NULL ? (size_t)(e - t) : strlen(t);

		if (opens_section(programs[p].opens, t, n) && find_line(file.p, t, n) != NULL) {
			rc = sao_error_set(err, SAO_ERR_CONFIG,
			                   "'%s' already has '%.*s'; nothing was written; remove that section or choose "
			                   "another account name (--name)",
			                   path, (int)n, t);
			goto out;
		}
		if (p == SAO_SNIPPET_MSMTP && n > sizeof(msmtp_default) - 1 &&
		    memcmp(t, msmtp_default, sizeof(msmtp_default) - 1) == 0 && has_prefix_line(file.p, msmtp_default)) {
			dropped = 1; /* the file has its default account already */
		} else if (!sao_text_put(&out, t, n) || !sao_text_put(&out, "\n", 1)) {
			goto nomem;
		}
		t += n + (e != NULL);
	}
	/* A dropped last line leaves the blank line before it: trim it. */
	while (dropped && out.len >= 2 && out.p[out.len - 1] == '\n' && out.p[out.len - 2] == '\n')
		out.p[--out.len] = '\0';
	rc = sao_fs_write_fd(fd, path, out.p != NULL ? out.p : "", out.len, err);
	if (rc == SAO_OK && dropped_r != NULL)
		*dropped_r = dropped;
	goto out;
nomem:
	rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	free(file.p);
	free(out.p);
	return rc;
}
