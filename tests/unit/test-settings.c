/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/settings.h"

#ifndef SAO_SYSCONFDIR
#define SAO_SYSCONFDIR "/etc/sasl-oauth"
#endif
#ifndef SAO_STATEDIR
#define SAO_STATEDIR "/var/lib/sasl-oauth"
#endif
#define SYSTEM_CONF SAO_SYSCONFDIR "/sasl-oauth.conf"

static const char *dir; /* the test directory */
static char conf[512];  /* the file most tests write */

/* Replaces "@D@" with the test directory and "@F@" with conf. */
static void subst(const char *in, char *out, size_t size)
{
	const char *const pairs[] = { "@F@", conf, NULL };

	test_subst(in, out, size, pairs);
}

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Writes text to conf (mode 0600) and loads it as a user file. */
static sao_err_t load_text(const char *text, sao_settings_t **s, sao_error_t *err)
{
	char buf[4096];

	subst(text, buf, sizeof(buf));
	sao_error_clear(err);
	if (test_write_text(conf, 0600, buf) != 0)
		return SAO_ERR_IO;
	return sao_settings_load_file(conf, 0, s, err);
}

/* ---- Errors, one table, each message byte for byte. ---- */

struct bad_row {
	const char *name;
	const char *text;     /* @D@ test directory */
	size_t len;           /* 0: strlen(text), else bytes (for NULs) */
	mode_t mode;          /* 0: 0600 */
	sao_err_t want_rc;
	const char *want_msg; /* @F@ = the file, @D@ = the directory */
};

#define HDR "[account work]\nusers = a@example.com\n"

static const struct bad_row bad_rows[] = {
	{ "unknown key", HDR "colour = blue\n", 0, 0, SAO_ERR_CONFIG, "@F@:3: unknown key 'colour' in [account work]" },
	{ "keys are lower case", HDR "Scope = x\n", 0, 0, SAO_ERR_CONFIG, "@F@:3: unknown key 'Scope' in [account work]" },
	{ "duplicate key", HDR "\nusers = b@example.com\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:4: duplicate key 'users' in [account work] (first set at line 2)" },
	{ "key outside a section", "# top\nusers = a@example.com\n[account work]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:2: key 'users' is outside any [account NAME] section" },
	{ "no '='", HDR "scope\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: expected 'key = value', '[account NAME]' or a comment" },
	{ "unterminated header", "[account work\nusers = a@example.com\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: unterminated section header; expected [account NAME]" },
	{ "other section kind", "[server work]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: unknown section '[server work]'; expected [account NAME] or [defaults]" },
	{ "section kind is lower case", "[Account work]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: unknown section '[Account work]'; expected [account NAME] or [defaults]" },
	{ "section without a name", "[ account ]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: section [account] has no name; expected [account NAME]" },
	{ "text after the header", "[account work] users = x\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: unexpected text after the section header" },
	{ "name with a blank", "[account my work]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: invalid account name 'my work'; use up to 64 letters, digits and - _ . @, starting with a letter "
	  "or digit" },
	{ "name with a slash", "[account ../x]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: invalid account name '../x'; use up to 64 letters, digits and - _ . @, starting with a letter or "
	  "digit" },
	{ "name starting with '-'", "[account -work]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: invalid account name '-work'; use up to 64 letters, digits and - _ . @, starting with a letter or "
	  "digit" },
	{ "name too long",
	  "[account a2345678901234567890123456789012345678901234567890123456789012345]\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: invalid account name 'a2345678901234567890123456789012345678901234567890123456789012345'; use up "
	  "to 64 letters, digits and - _ . @, starting with a letter or digit" },
	{ "duplicate account", HDR "\n[account work]\nusers = b@example.com\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:4: account 'work' is already defined at line 1" },
	{ "no users", "[account work]\nprovider = google\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: account 'work' has no 'users' key; list the SASL user names it serves" },
	{ "no users, then another account", "[account work]\n[account b]\nusers = b@example.com\n", 0, 0,
	  SAO_ERR_CONFIG, "@F@:1: account 'work' has no 'users' key; list the SASL user names it serves" },
	{ "users lists nothing", "[account work]\nusers = , ,\n", 0, 0, SAO_ERR_CONFIG, "@F@:2: 'users' lists no names" },
	{ "user listed twice", "[account work]\nusers = a@example.com, A@Example.COM\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:2: 'a@example.com' is listed twice in 'users'" },
	{ "empty value", "[account work]\nusers =\n", 0, 0, SAO_ERR_CONFIG, "@F@:2: key 'users' has an empty value" },
	{ "only a comment", "[account work]\nusers = # nobody\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:2: key 'users' has an empty value" },
	{ "empty quotes", "[account work]\nusers = \"\"\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:2: key 'users' has an empty value" },
	{ "user in two accounts", HDR "[account b]\nusers = c@example.com A@EXAMPLE.com\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: user 'a@example.com' of account 'b' is also served by account 'work' (@F@:1); list each user in "
	  "one account, or give the accounts different hosts" },
	{ "user in two accounts, one with hosts", HDR "[account b]\nusers = a@example.com\nhosts = imap.x\n", 0, 0,
	  SAO_ERR_CONFIG,
	  "@F@:3: user 'a@example.com' of account 'b' is also served by account 'work' (@F@:1); list each user in "
	  "one account, or give the accounts different hosts" },
	{ "user in two accounts, hosts overlap",
	  HDR "hosts = imap.x smtp.x\n[account b]\nusers = a@example.com\nhosts = SMTP.X\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:4: user 'a@example.com' of account 'b' is also served by account 'work' (@F@:1); list each user in "
	  "one account, or give the accounts different hosts" },
	{ "bad provider", HDR "provider = yahoo\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid provider 'yahoo'; expected one of: microsoft, google, generic" },
	{ "bad cloud", HDR "cloud = mars\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid cloud 'mars'; expected one of: global, usgov, usgov-dod, china" },
	{ "bad flow", HDR "flow = password\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid flow 'password'; expected one of: device, authcode, client_credentials" },
	{ "cloud with google", HDR "cloud = global\nprovider = google\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'cloud' applies only to provider microsoft, not 'google'" },
	{ "bad tenant", HDR "tenant = contoso/../x\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid tenant 'contoso/../x'; expected a domain name or a tenant id" },
	{ "client_credentials without a credential", HDR "flow = client_credentials\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: account 'work' uses flow client_credentials but sets none of client_secret_file, "
	  "client_secret_credential, certificate and private_key, pkcs12" },
	{ "unknown service", HDR "services = imap, nntp\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid services 'nntp'; expected: imap, pop, smtp" },
	{ "endpoint not a URL", HDR "token_endpoint = login.example.com/token\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'token_endpoint' must be an https:// URL, not 'login.example.com/token'" },
	{ "generic without token endpoint", HDR "provider = generic\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:1: account 'work' uses provider generic but sets no 'token_endpoint'; give the provider's token "
	  "endpoint URL" },
	{ "authority with google", HDR "provider = google\nauthority = https://x.example\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:4: 'authority' applies only to provider microsoft; give the endpoint URLs instead" },
	{ "bad assertion_alg", HDR "assertion_alg = HS256\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: invalid assertion_alg 'HS256'; expected one of: RS256, PS256" },
	{ "pkcs12 and certificate", HDR "pkcs12 = /x/a.p12\ncertificate = /x/a.pem\nprivate_key = /x/a.key\n", 0, 0,
	  SAO_ERR_CONFIG, "@F@:3: account 'work' sets both 'pkcs12' and 'certificate'; keep one" },
	{ "pkcs12 password without pkcs12", HDR "pkcs12_password_file = /x/pw\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: account 'work' sets 'pkcs12_password_file' without 'pkcs12'" },
	{ "http_timeout out of range", HDR "http_timeout = 0\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'http_timeout' must be a whole number of seconds from 1 to 300, not '0'" },
	{ "certificate without key", HDR "flow = client_credentials\ncertificate = /x/app.pem\n", 0, 0,
	  SAO_ERR_CONFIG, "@F@:4: account 'work' sets 'certificate' without 'private_key'; give both" },
	{ "key without certificate", HDR "private_key = @D@/missing.key\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: account 'work' sets 'private_key' without 'certificate'; give both" },
	{ "relative cache", HDR "cache = work.json\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'cache' must be an absolute path, not 'work.json'" },
	{ "relative secret file", HDR "client_secret_file = ~/secret\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'client_secret_file' must be an absolute path, not '~/secret'" },
	{ "refresh_margin not a number", HDR "refresh_margin = ten\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not 'ten'" },
	{ "refresh_margin with a unit", HDR "refresh_margin = 10s\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not '10s'" },
	{ "refresh_margin negative", HDR "refresh_margin = -1\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not '-1'" },
	{ "refresh_margin with a sign", HDR "refresh_margin = +5\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not '+5'" },
	{ "refresh_margin too big", HDR "refresh_margin = 86401\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not '86401'" },
	{ "refresh_margin overflows", HDR "refresh_margin = 99999999999999999999999\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'refresh_margin' must be a whole number of seconds from 0 to 86400, not '99999999999999999999999'" },
	{ "command_timeout zero", HDR "command_timeout = 0\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'command_timeout' must be a whole number of seconds from 1 to 600, not '0'" },
	{ "command_timeout too big", HDR "command_timeout = 601\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: 'command_timeout' must be a whole number of seconds from 1 to 600, not '601'" },
	{ "NUL byte", HDR "scope = a\0b\n", sizeof(HDR "scope = a\0b\n") - 1, 0, SAO_ERR_CONFIG,
	  "@F@:3: the line contains a NUL byte" },
	{ "control character", HDR "scope = a\033b\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: the line contains a control character (0x1b)" },
	{ "bare CR", HDR "scope = a\rb\n", 0, 0, SAO_ERR_CONFIG,
	  "@F@:3: the line contains a control character (0x0d)" },
	{ "group-readable client secret", HDR "flow = client_credentials\nclient_secret_file = @D@/secret-0640\n", 0,
	  0, SAO_ERR_PERM,
	  "@F@:4: client secret file '@D@/secret-0640' is readable by group or others (mode 0640); run: chmod 600 "
	  "@D@/secret-0640" },
	{ "world-readable private key",
	  HDR "flow = client_credentials\ncertificate = @D@/app.pem\nprivate_key = @D@/key-0604\n", 0, 0, SAO_ERR_PERM,
	  "@F@:5: private key file '@D@/key-0604' is readable by group or others (mode 0604); run: chmod 600 "
	  "@D@/key-0604" },
	{ "group-writable file", HDR, 0, 0664, SAO_ERR_PERM,
	  "configuration file '@F@' is writable by group or others (mode 0664); run: chmod go-w @F@" },
	{ "world-writable file", HDR, 0, 0602, SAO_ERR_PERM,
	  "configuration file '@F@' is writable by group or others (mode 0602); run: chmod go-w @F@" },
};

static void test_bad_rows(void)
{
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];
		char text[4096], want[2048];
		size_t len;
		sao_settings_t *s = (sao_settings_t *)&s; /* must come back NULL */
		sao_error_t err;
		sao_err_t rc;

		if (r->len == 0) {
			subst(r->text, text, sizeof(text));
			len = strlen(text);
		} else {
			memcpy(text, r->text, r->len);
			len = r->len;
		}
		subst(r->want_msg, want, sizeof(want));
		CHECK(test_write_file(conf, r->mode != 0 ? r->mode : 0600, text, len) == 0);
		sao_error_clear(&err);
		rc = sao_settings_load_file(conf, 0, &s, &err);
		CHECK_MSG(rc == r->want_rc, "%s: rc %d, want %d (%s)", r->name, rc, r->want_rc, err.msg);
		CHECK_MSG(s == NULL, "%s: settings returned on error", r->name);
		CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
		sao_settings_free(&s);
	}
}

/* ---- Valid files. ---- */

static void test_full_account(void)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	const sao_account_t *a;
	char secret[600], key[600];

	snprintf(secret, sizeof(secret), "%s/secret-0600", dir);
	snprintf(key, sizeof(key), "%s/key-0600", dir);
	CHECK_MSG(load_text("# sasl-oauth configuration\n"
	                    "[account work]\n"
	                    "users         = Alice@Contoso.com, shared-desk@contoso.com   # served\n"
	                    "hosts         = outlook.office365.com smtp.office365.com\n"
	                    "provider      = Microsoft\n"
	                    "tenant        = contoso.onmicrosoft.com\n"
	                    "cloud         = usgov-dod\n"
	                    "client_id     = 00000000-0000-0000-0000-000000000000\n"
	                    "flow          = client_credentials\n"
	                    "client_secret_file = @D@/secret-0600\n"
	                    "certificate   = @D@/app.pem\n"
	                    "private_key   = @D@/key-0600\n"
	                    "scope         = \"https://outlook.office365.com/.default\"\n"
	                    "token_command = pizauth show work\n"
	                    "cache         = /var/cache/work.json\n"
	                    "refresh_margin = 0\n"
	                    "command_timeout = 600\n",
	                    &s, &err) == SAO_OK,
	          "%s", err.msg);
	CHECK(s != NULL && s->n_accounts == 1 && s->n_files == 1);
	if (s == NULL || s->n_accounts != 1)
		goto out;
	a = &s->accounts[0];
	CHECK(streq(a->name, "work"));
	CHECK(a->n_users == 2 && streq(a->users[0], "alice@contoso.com") && streq(a->users[1], "shared-desk@contoso.com"));
	CHECK(a->n_hosts == 2 && streq(a->hosts[0], "outlook.office365.com") && streq(a->hosts[1], "smtp.office365.com"));
	CHECK(a->provider == SAO_PROVIDER_MICROSOFT);
	CHECK(streq(a->tenant, "contoso.onmicrosoft.com"));
	CHECK(a->cloud == SAO_CLOUD_USGOV_DOD);
	CHECK(streq(a->client_id, "00000000-0000-0000-0000-000000000000"));
	CHECK(a->flow == SAO_FLOW_CLIENT_CREDENTIALS);
	CHECK(streq(a->client_secret_file, secret));
	CHECK(a->certificate != NULL && strstr(a->certificate, "/app.pem") != NULL);
	CHECK(streq(a->private_key, key));
	CHECK(streq(a->scope, "https://outlook.office365.com/.default"));
	CHECK(streq(a->token_command, "pizauth show work"));
	CHECK(streq(a->cache, "/var/cache/work.json"));
	CHECK(a->refresh_margin == 0 && a->command_timeout == 600);
	CHECK(a->system == 0 && streq(a->file, conf) && a->line == 2);
out:
	sao_settings_free(&s);
	CHECK(s == NULL);
}

static void test_defaults(void)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	const sao_account_t *a;

	CHECK(test_write_text(conf, 0600, "[account work]\nusers = a@example.com\n") == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load_file(conf, 1, &s, &err) == SAO_OK, "%s", err.msg);
	a = sao_settings_get(s, "work");
	CHECK(a != NULL);
	if (a != NULL) {
		CHECK(a->provider == SAO_PROVIDER_MICROSOFT && streq(a->tenant, "organizations"));
		CHECK(a->cloud == SAO_CLOUD_GLOBAL && a->flow == SAO_FLOW_DEVICE);
		CHECK(a->assertion_alg == SAO_ALG_RS256 && a->thumbprint == SAO_THUMBPRINT_SHA256);
		CHECK(a->refresh_margin == SAO_REFRESH_MARGIN_DEFAULT && a->refresh_margin == 600);
		CHECK(a->command_timeout == SAO_COMMAND_TIMEOUT_DEFAULT && a->command_timeout == 30);
		CHECK(a->n_hosts == 0 && a->hosts == NULL);
		CHECK(a->client_id == NULL && a->client_secret_file == NULL && a->certificate == NULL);
		CHECK(a->private_key == NULL && a->scope == NULL && a->token_command == NULL && a->cache == NULL);
		CHECK(a->system == 1);
	}
	sao_settings_free(&s);
	/* Other providers keep the defaults that apply to them. */
	CHECK(load_text("[account g]\nusers = a@gmail.com\nprovider = google\nflow = authcode\n", &s, &err) == SAO_OK);
	a = sao_settings_get(s, "g");
	CHECK(a != NULL && a->provider == SAO_PROVIDER_GOOGLE && a->flow == SAO_FLOW_AUTHCODE &&
	      a->system == 0);
	sao_settings_free(&s);
	/* Choice words become their enum values once, in any case. */
	CHECK(load_text("[account c]\nusers = a@b.c\nprovider = Microsoft\ncloud = CHINA\nflow = Client_Credentials\n"
	                "client_secret_file = /nonexistent/secret\nassertion_alg = ps256\nthumbprint = SHA1\n",
	                &s, &err) == SAO_OK);
	a = sao_settings_get(s, "c");
	CHECK(a != NULL && a->provider == SAO_PROVIDER_MICROSOFT && a->cloud == SAO_CLOUD_CHINA);
	CHECK(a != NULL && a->flow == SAO_FLOW_CLIENT_CREDENTIALS);
	CHECK(a != NULL && a->assertion_alg == SAO_ALG_PS256 && a->thumbprint == SAO_THUMBPRINT_SHA1);
	CHECK(streq(sao_settings_provider_name(SAO_PROVIDER_GENERIC), "generic"));
	sao_settings_free(&s);
	/* A file with comments only is valid and has no account. */
	CHECK(load_text("# nothing yet\n\n", &s, &err) == SAO_OK);
	CHECK(s != NULL && s->n_accounts == 0 && sao_settings_find(s, "a@example.com", NULL) == NULL);
	sao_settings_free(&s);
}

struct value_row {
	const char *name;
	const char *line;  /* after HDR */
	const char *want;  /* the scope or token_command it yields */
};

/* Comments, quotes and blanks in values. */
static const struct value_row value_rows[] = {
	{ "plain", "scope = a b", "a b" },
	{ "trailing comment", "scope = a b   # why", "a b" },
	{ "trailing ; comment", "scope = a b\t; why", "a b" },
	{ "'#' without a blank before it", "scope = a#b", "a#b" },
	{ "';' without a blank before it", "scope = x;y", "x;y" },
	{ "'#' right after '='", "scope =#x", "#x" },
	{ "quoted", "scope = \"  a # b  \"", "  a # b  " },
	{ "quoted, then a comment", "scope = \"a b\" # c", "a b" },
	{ "inner quotes kept", "token_command = \"/opt/my tool\" show \"x\"", "\"/opt/my tool\" show \"x\"" },
	{ "unbalanced quote kept", "scope = \"abc", "\"abc" },
	{ "single quotes kept", "token_command = printf 'a ;b' ; real comment", "printf 'a ;b'" },
	{ "comment char inside single quotes", "token_command = sh -c 'echo x #y'", "sh -c 'echo x #y'" },
	{ "blanks around '='", "scope\t=\tx\t", "x" },
	{ "no blanks", "scope=x", "x" },
	{ "'=' in the value", "scope = a=b", "a=b" },
	{ "CRLF", "scope = crlf\r", "crlf" },
};

static void test_values(void)
{
	for (size_t i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]); i++) {
		const struct value_row *r = &value_rows[i];
		char text[1024];
		sao_settings_t *s = NULL;
		sao_error_t err;
		const sao_account_t *a;
		const char *got;

		snprintf(text, sizeof(text), HDR "%s\n", r->line);
		CHECK_MSG(load_text(text, &s, &err) == SAO_OK, "%s: %s", r->name, err.msg);
		a = sao_settings_get(s, "work");
		got = a == NULL ? NULL : a->scope != NULL ? a->scope : a->token_command;
		CHECK_MSG(streq(got, r->want), "%s: got '%s', want '%s'", r->name, got != NULL ? got : "(null)", r->want);
		sao_settings_free(&s);
	}
}

static void test_syntax(void)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	const sao_account_t *a;

	/* BOM, CRLF, indentation, comments of both kinds, blank lines. */
	CHECK_MSG(load_text("\xef\xbb\xbf; made on Windows\r\n"
	                    "\r\n"
	                    "  # indented comment\r\n"
	                    "  [ account   w.1@x_y-z ]   # trailing\r\n"
	                    "\tusers = A@X.COM,b@x.com  c@x.com ,\td@x.com,\r\n"
	                    "hosts=IMAP.X.com\r\n",
	                    &s, &err) == SAO_OK,
	          "%s", err.msg);
	a = sao_settings_get(s, "w.1@x_y-z");
	CHECK(a != NULL && a->line == 4);
	if (a != NULL) {
		CHECK(a->n_users == 4 && streq(a->users[0], "a@x.com") && streq(a->users[1], "b@x.com") &&
		      streq(a->users[2], "c@x.com") && streq(a->users[3], "d@x.com"));
		CHECK(a->n_hosts == 1 && streq(a->hosts[0], "imap.x.com"));
	}
	sao_settings_free(&s);
	/* The last line needs no newline. */
	CHECK(load_text("[account work]\nusers = a@example.com", &s, &err) == SAO_OK);
	CHECK(sao_settings_find(s, "a@example.com", NULL) != NULL);
	sao_settings_free(&s);
	/* A missing secret file is the CLI's business later, not an error now;
	 * a private one is fine. */
	CHECK_MSG(load_text(HDR "flow = client_credentials\nclient_secret_file = @D@/no-such-secret\n", &s, &err) ==
	              SAO_OK,
	          "%s", err.msg);
	sao_settings_free(&s);
	CHECK_MSG(load_text(HDR "flow = client_credentials\ncertificate = @D@/app.pem\nprivate_key = @D@/key-0600\n", &s,
	                    &err) == SAO_OK,
	          "%s", err.msg);
	sao_settings_free(&s);
}

/* ---- Finding accounts. ---- */

static void test_find(void)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	const sao_account_t *work, *gmail, *imap, *smtp;

	CHECK_MSG(load_text("[account work]\n"
	                    "users = alice@contoso.com, shared-desk@contoso.com\n"
	                    "[account gmail]\n"
	                    "users = alice@gmail.com\n"
	                    "provider = google\n"
	                    "[account imap-only]\n"
	                    "users = bob@example.com\n"
	                    "hosts = imap.example.com\n"
	                    "[account smtp-only]\n"
	                    "users = bob@example.com\n"
	                    "hosts = smtp.example.com, mail.example.com\n",
	                    &s, &err) == SAO_OK,
	          "%s", err.msg);
	work = sao_settings_get(s, "work");
	gmail = sao_settings_get(s, "gmail");
	imap = sao_settings_get(s, "imap-only");
	smtp = sao_settings_get(s, "smtp-only");
	CHECK(work != NULL && gmail != NULL && imap != NULL && smtp != NULL);
	CHECK(sao_settings_get(s, "WORK") == NULL && sao_settings_get(s, "nope") == NULL);
	/* User names match case-insensitively; no hosts = any host. */
	CHECK(sao_settings_find(s, "alice@contoso.com", "outlook.office365.com") == work);
	CHECK(sao_settings_find(s, "ALICE@Contoso.COM", NULL) == work);
	CHECK(sao_settings_find(s, "alice@gmail.com", "imap.gmail.com") == gmail);
	/* A shared mailbox listed in users uses the same account. */
	CHECK(sao_settings_find(s, "Shared-Desk@contoso.com", "outlook.office365.com") == work);
	CHECK(sao_settings_find(s, "carol@contoso.com", NULL) == NULL);
	CHECK(sao_settings_find(s, "alice", NULL) == NULL);
	/* hosts: the same user on different servers, host case-insensitive. */
	CHECK(sao_settings_find(s, "bob@example.com", "imap.example.com") == imap);
	CHECK(sao_settings_find(s, "bob@example.com", "SMTP.Example.com") == smtp);
	CHECK(sao_settings_find(s, "bob@example.com", "mail.example.com") == smtp);
	CHECK(sao_settings_find(s, "bob@example.com", "pop.example.com") == NULL);
	CHECK(sao_settings_find(s, "bob@example.com", NULL) == NULL);
	CHECK(sao_settings_find(NULL, "bob@example.com", NULL) == NULL);
	CHECK(sao_settings_get(NULL, "work") == NULL);
	sao_settings_free(&s);
	sao_settings_free(&s); /* twice is harmless */
}

/* ---- Files on disk. ---- */

static void test_files(void)
{
	sao_settings_t *s = (sao_settings_t *)&s;
	sao_error_t err;
	char path[600], want[1200];
	char *big;

	/* Missing: NOTFOUND, with a message for direct callers. */
	snprintf(path, sizeof(path), "%s/no-such.conf", dir);
	sao_error_clear(&err);
	CHECK(sao_settings_load_file(path, 0, &s, &err) == SAO_ERR_NOTFOUND && s == NULL);
	snprintf(want, sizeof(want), "configuration file '%s' does not exist", path);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	/* A directory is not a configuration file. */
	sao_error_clear(&err);
	CHECK(sao_settings_load_file(dir, 0, &s, &err) == SAO_ERR_CONFIG && s == NULL);
	snprintf(want, sizeof(want), "configuration file '%s' is not a regular file", dir);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	/* Over 1 MiB. */
	big = malloc(1024 * 1024 + 2);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, '#', 1024 * 1024 + 1);
		big[1024 * 1024 + 1] = '\0';
		CHECK(test_write_text(conf, 0600, big) == 0);
		sao_error_clear(&err);
		CHECK(sao_settings_load_file(conf, 0, &s, &err) == SAO_ERR_TOOBIG && s == NULL);
		snprintf(want, sizeof(want), "configuration file '%s' is larger than 1048576 bytes", conf);
		CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
		/* Exactly 1 MiB of comments is fine. */
		big[1024 * 1024] = '\0';
		CHECK(test_write_text(conf, 0600, big) == 0);
		CHECK(sao_settings_load_file(conf, 0, &s, &err) == SAO_OK && s != NULL && s->n_accounts == 0);
		sao_settings_free(&s);
		free(big);
	}
	/* Read-only for others is fine (0644 system files are normal). */
	CHECK(test_write_text(conf, 0644, HDR) == 0);
	CHECK(sao_settings_load_file(conf, 0, &s, &err) == SAO_OK);
	sao_settings_free(&s);
}

/* Owned by somebody else (needs root to arrange). */
static void test_files_owner(void)
{
	sao_settings_t *s = (sao_settings_t *)&s;
	sao_error_t err;
	char want[1200];

	if (geteuid() != 0) {
		test_skip("not root: cannot give a file to another user");
		return;
	}
	CHECK(test_write_text(conf, 0600, HDR) == 0);
	CHECK(chown(conf, 65534, 65534) == 0);
	sao_error_clear(&err);
	CHECK(sao_settings_load_file(conf, 0, &s, &err) == SAO_ERR_PERM && s == NULL);
	snprintf(want, sizeof(want),
	         "configuration file '%s' belongs to another user (uid 65534); it must belong to you or to root", conf);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	CHECK(chown(conf, 0, 0) == 0);
}

/* ---- Which files sao_settings_load() reads. ---- */

static int system_conf_exists(void)
{
	return access(SYSTEM_CONF, F_OK) == 0;
}

static void clear_env(void)
{
	unsetenv("SASL_OAUTH_CONF");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
}

static void test_load(void)
{
	sao_settings_t *s = (sao_settings_t *)&s;
	sao_error_t err;
	char path[600], home[256], xdg[256], want[1500];
	const sao_account_t *a;

	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	clear_env();
	setenv("HOME", home, 1);

	/* SASL_OAUTH_CONF alone, even when user files exist. */
	snprintf(path, sizeof(path), "%s/.config/sasl-oauth", home);
	CHECK(test_mkdirs(path) == 0);
	snprintf(path, sizeof(path), "%s/.config/sasl-oauth/config", home);
	CHECK(test_write_text(path, 0600, "[account home]\nusers = h@example.com\n") == 0);
	CHECK(test_write_text(conf, 0600, "[account env]\nusers = e@example.com\n") == 0);
	setenv("SASL_OAUTH_CONF", conf, 1);
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && s->n_files == 1 && s->n_accounts == 1 && sao_settings_get(s, "env") != NULL);
	a = sao_settings_get(s, "env");
	CHECK(a != NULL && a->system == 0);
	sao_settings_free(&s);

	/* SASL_OAUTH_CONF naming a missing file is an error, not "none". */
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	setenv("SASL_OAUTH_CONF", path, 1);
	sao_error_clear(&err);
	s = (sao_settings_t *)&s;
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_CONFIG && s == NULL);
	snprintf(want, sizeof(want), "configuration file '%s' named by SASL_OAUTH_CONF does not exist", path);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	/* A broken one is reported as such. */
	CHECK(test_write_text(conf, 0600, "[account env]\n") == 0);
	setenv("SASL_OAUTH_CONF", conf, 1);
	sao_error_clear(&err);
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_CONFIG && s == NULL);
	CHECK(strncmp(err.msg, conf, strlen(conf)) == 0 && strstr(err.msg, ":1: account 'env' has no 'users'") != NULL);

	clear_env();
}

/* The user's own files, which only count when there is no system file. */
static void test_load_user_files(void)
{
	sao_settings_t *s = (sao_settings_t *)&s;
	sao_error_t err;
	char path[600], home[256], xdg[256], want[1500];
	const sao_account_t *a;

	if (system_conf_exists()) {
		test_skip("%s exists on this machine", SYSTEM_CONF);
		return;
	}
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	clear_env();
	setenv("HOME", home, 1);
	/* An empty SASL_OAUTH_CONF counts as unset: ~/.config is used. */
	setenv("SASL_OAUTH_CONF", "", 1);
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && s->n_files == 1 && sao_settings_get(s, "home") != NULL);
	a = sao_settings_get(s, "home");
	CHECK(a != NULL && a->system == 0 && a->file != NULL && strstr(a->file, "/home/.config/sasl-oauth/config"));
	sao_settings_free(&s);
	unsetenv("SASL_OAUTH_CONF");

	/* $XDG_CONFIG_HOME wins over ~/.config when absolute... */
	snprintf(path, sizeof(path), "%s/sasl-oauth", xdg);
	CHECK(test_mkdirs(path) == 0);
	snprintf(path, sizeof(path), "%s/sasl-oauth/config", xdg);
	CHECK(test_write_text(path, 0600, "[account xdg]\nusers = x@example.com\n") == 0);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && sao_settings_get(s, "xdg") != NULL && sao_settings_get(s, "home") == NULL);
	sao_settings_free(&s);
	/* ...and is ignored when relative (the XDG rule). */
	setenv("XDG_CONFIG_HOME", "relative/xdg", 1);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && sao_settings_get(s, "home") != NULL);
	sao_settings_free(&s);

	/* A group-writable user file is refused. */
	snprintf(path, sizeof(path), "%s/.config/sasl-oauth/config", home);
	CHECK(chmod(path, 0620) == 0);
	unsetenv("XDG_CONFIG_HOME");
	sao_error_clear(&err);
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_PERM && s == NULL);
	snprintf(want, sizeof(want),
	         "configuration file '%s' is writable by group or others (mode 0620); run: chmod go-w %s", path, path);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	CHECK(chmod(path, 0600) == 0);

	/* No file anywhere: NOTFOUND and no settings. */
	setenv("XDG_CONFIG_HOME", dir, 1);
	sao_error_clear(&err);
	s = (sao_settings_t *)&s;
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_NOTFOUND && s == NULL);
	snprintf(want, sizeof(want), "no configuration file found (looked for '%s' and '%s/sasl-oauth/config')",
	         SYSTEM_CONF, dir);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));
	clear_env();
}

static void test_cache_path(void)
{
	sao_account_t a;
	sao_error_t err;
	char *path = (char *)&path;
	char want[1200];
	struct passwd *pw;

	memset(&a, 0, sizeof(a));
	a.name = "work";
	clear_env();
	/* An explicit cache = wins. */
	a.cache = "/srv/tokens/work.json";
	CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK && streq(path, "/srv/tokens/work.json"));
	free(path);
	a.cache = NULL;
	/* System accounts live in the state directory. */
	a.system = 1;
	CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK && streq(path, SAO_STATEDIR "/work.json"));
	free(path);
	a.system = 0;
	/* User accounts: $XDG_STATE_HOME, else ~/.local/state. */
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("HOME", "/home/alice", 1);
	CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK && streq(path, "/xdg/state/sasl-oauth/work.json"));
	free(path);
	unsetenv("XDG_STATE_HOME");
	CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK &&
	      streq(path, "/home/alice/.local/state/sasl-oauth/work.json"));
	free(path);
	setenv("XDG_STATE_HOME", "state", 1); /* relative: ignored */
	CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK &&
	      streq(path, "/home/alice/.local/state/sasl-oauth/work.json"));
	free(path);
	unsetenv("XDG_STATE_HOME");
	/* Without HOME, the password database. */
	unsetenv("HOME");
	pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
		snprintf(want, sizeof(want), "%s/.local/state/sasl-oauth/work.json", pw->pw_dir);
		sao_error_clear(&err);
		CHECK_MSG(sao_settings_cache_path(&a, &path, &err) == SAO_OK, "%s", err.msg);
		CHECK_MSG(streq(path, want), "got %s", path != NULL ? path : "(null)");
		free(path);
	}
	setenv("HOME", "", 1); /* empty: as unset */
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
		CHECK(sao_settings_cache_path(&a, &path, NULL) == SAO_OK && streq(path, want));
		free(path);
	}
	unsetenv("HOME");
}

/* ---- The system file and the user file together. ----
 *
 * The system file is SAO_SYSCONFDIR/sasl-oauth.conf, which a test may not
 * write. A child process gets a private mount namespace (a user namespace
 * too when not root) and a tmpfs over that directory, or over its nearest
 * existing parent, so sao_settings_load() reads a system file of ours. */

static int write_id_map(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int private_sysconfdir(void)
{
	char mnt[512], map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct stat st;

	if (uid != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return -1;
		snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)uid);
		if (write_id_map("/proc/self/uid_map", map) < 0 || write_id_map("/proc/self/setgroups", "deny") < 0)
			return -1;
		snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)gid);
		if (write_id_map("/proc/self/gid_map", map) < 0)
			return -1;
	} else if (unshare(CLONE_NEWNS) < 0) {
		return -1;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	/* The nearest existing directory at or above SAO_SYSCONFDIR. */
	snprintf(mnt, sizeof(mnt), "%s", SAO_SYSCONFDIR);
	while (stat(mnt, &st) < 0 || !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(mnt, '/');

		if (slash == NULL || slash == mnt)
			return -1; /* never over / */
		*slash = '\0';
	}
	if (strcmp(mnt, "/") == 0 || mount("none", mnt, "tmpfs", 0, "mode=0755") < 0)
		return -1;
	return test_mkdirs(SAO_SYSCONFDIR);
}

static void merge_checks(void)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	char user[600], xdg[256], want[2000], *path = NULL;
	const sao_account_t *a;

	snprintf(xdg, sizeof(xdg), "%s/merge-xdg", dir);
	snprintf(user, sizeof(user), "%s/sasl-oauth", xdg);
	CHECK(test_mkdirs(user) == 0);
	snprintf(user, sizeof(user), "%s/sasl-oauth/config", xdg);
	clear_env();
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	CHECK(test_write_text(SYSTEM_CONF, 0644,
	                 "[account corp]\nusers = a@corp.example\n"
	                 "[account shared]\nusers = desk@corp.example\ntenant = corp.example\n") == 0);

	/* The system file alone. */
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && s->n_files == 1 && s->n_accounts == 2);
	a = sao_settings_get(s, "corp");
	CHECK(a != NULL && a->system == 1 && streq(a->file, SYSTEM_CONF));
	if (a != NULL) {
		CHECK(sao_settings_cache_path(a, &path, NULL) == SAO_OK && streq(path, SAO_STATEDIR "/corp.json"));
		free(path);
	}
	sao_settings_free(&s);

	/* Both: the user's "shared" replaces the system one. */
	CHECK(test_write_text(user, 0600,
	                 "[account shared]\nusers = desk@corp.example\ntenant = mine.example\n"
	                 "[account mine]\nusers = me@example.com\n") == 0);
	sao_error_clear(&err);
	CHECK_MSG(sao_settings_load(&s, &err) == SAO_OK, "%s", err.msg);
	CHECK(s != NULL && s->n_files == 2 && s->n_accounts == 3);
	a = sao_settings_get(s, "shared");
	CHECK(a != NULL && a->system == 0 && streq(a->tenant, "mine.example") && streq(a->file, user));
	CHECK(sao_settings_find(s, "DESK@corp.example", NULL) == a);
	a = sao_settings_get(s, "corp");
	CHECK(a != NULL && a->system == 1 && sao_settings_find(s, "a@corp.example", "imap.corp.example") == a);
	CHECK(sao_settings_find(s, "me@example.com", NULL) == sao_settings_get(s, "mine"));
	sao_settings_free(&s);

	/* A user served by a system account and a user account of another
	 * name: refused, naming both places. */
	CHECK(test_write_text(user, 0600, "\n[account other]\nusers = a@corp.example\n") == 0);
	sao_error_clear(&err);
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_CONFIG && s == NULL);
	snprintf(want, sizeof(want),
	         "%s:2: user 'a@corp.example' of account 'other' is also served by account 'corp' (%s:1); list each "
	         "user in one account, or give the accounts different hosts",
	         user, SYSTEM_CONF);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));

	/* A broken system file is an error even with a good user file. */
	CHECK(test_write_text(user, 0600, "[account mine]\nusers = me@example.com\n") == 0);
	CHECK(test_write_text(SYSTEM_CONF, 0644, "[account corp]\nuser = a@corp.example\n") == 0);
	sao_error_clear(&err);
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_CONFIG && s == NULL);
	snprintf(want, sizeof(want), "%s:2: unknown key 'user' in [account corp]", SYSTEM_CONF);
	CHECK_BYTES(err.msg, strlen(err.msg), want, strlen(want));

	/* Group-writable system file. */
	CHECK(test_write_text(SYSTEM_CONF, 0664, "[account corp]\nusers = a@corp.example\n") == 0);
	sao_error_clear(&err);
	CHECK(sao_settings_load(&s, &err) == SAO_ERR_PERM && s == NULL);
	remove(user);
	clear_env();
}

static void test_system_and_user_files(void)
{
	pid_t pid;
	int status = 0;

	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (private_sysconfdir() < 0) {
			fprintf(stderr, "test-settings: no private mount namespace: %s\n", strerror(errno));
			fflush(stderr);
			_exit(77);
		}
		/* The child counts its own checks; the parent checks its status. */
		check_count = 0;
		check_failures = 0;
		merge_checks();
		fprintf(stderr, "test-settings (system+user files): %d checks, %d failed\n", check_count,
		        check_failures);
		fflush(stderr);
		_exit(check_failures == 0 ? 0 : 1);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	CHECK_MSG(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77), "status 0x%x", status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		test_skip("no private mount namespace for a system file of our own");
}

/* In a set-id program (real ids other than the effective ones) the
 * caller's environment names no file and no program. Root makes such a
 * process in a child (real uid nobody, effective uid root); the same child
 * without the change shows the environment is otherwise obeyed. */
static void test_setid_guard(void)
{
	if (geteuid() != 0) {
		test_skip("making a set-id process needs root");
		return;
	}
	CHECK(test_write_text(conf, 0600, "[account envonly]\nusers = e@example.com\n") == 0);
	for (int setid = 0; setid <= 1; setid++) {
		int status = -1;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			sao_settings_t *s = NULL;
			int used = 0;

			if (setid && setresuid(65534, 0, 0) != 0)
				_exit(10);
			setenv("SASL_OAUTH_CLI", "/nonexistent/not-the-cli", 1);
			setenv("SASL_OAUTH_CONF", conf, 1);
			if (strcmp(sao_settings_cli_path(), "/nonexistent/not-the-cli") == 0)
				used |= 1;
			if (sao_settings_load(&s, NULL) == SAO_OK && sao_settings_get(s, "envonly") != NULL)
				used |= 2;
			sao_settings_free(&s);
			_exit(used);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == (setid ? 0 : 3),
		          "%s: status %d (1: SASL_OAUTH_CLI used, 2: SASL_OAUTH_CONF used)", setid ? "set-id" : "plain",
		          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

int main(void)
{
	char path[600];
	static const char *const files[] = { "secret-0640", "secret-0600", "key-0604", "key-0600", "app.pem" };
	static const mode_t modes[] = { 0640, 0600, 0604, 0600, 0644 };

	dir = test_dir_init("test-settings");
	test_path(conf, sizeof(conf), "test.conf");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		CHECK(test_write_text(test_path(path, sizeof(path), files[i]), modes[i], "not really secret\n") == 0);
	test_run("errors, byte for byte", test_bad_rows);
	test_run("a full account", test_full_account);
	test_run("defaults", test_defaults);
	test_run("values", test_values);
	test_run("syntax", test_syntax);
	test_run("finding the account of a user", test_find);
	test_run("files on disk", test_files);
	test_run("a file of another user", test_files_owner);
	test_run("which files are read", test_load);
	test_run("which files are read: the user's", test_load_user_files);
	test_run("cache paths", test_cache_path);
	test_run("system and user files together", test_system_and_user_files);
	test_run("a set-id process ignores the caller's environment", test_setid_guard);
	test_dir_done();
	return check_done("test-settings");
}
