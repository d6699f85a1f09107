/* SPDX-License-Identifier: MIT */
/*
 * sasl-oauth test URL: logs in to the mail server of URL the way a mail
 * program does, to show that it works or why not: TLS with the server's
 * certificate checked, the capabilities, then SASL through libsasl2 and the
 * client plugin libsasl2 picks (sasl-oauth's, from SASL_PATH or libsasl2's
 * directory, unless another one is ahead of it), which finds the token
 * itself as it does inside mbsync or Postfix. After the login it lists the
 * folders (IMAP), counts the messages (POP3) or sees that MAIL FROM is
 * accepted (SMTP, followed by RSET), and logs out. Nothing is sent or
 * changed on the server.
 *
 * A failure ends in one diagnosis: what failed with the server's words,
 * what the plugin made of an error challenge or the catalog of a refusal
 * without one, what the cached token's claims show, the last failed
 * refresh, a plugin other than ours, and the fix. -v prints the dialogue on
 * stderr with every SASL response withheld (mail/tls.c's trace).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sasl-oauth/catalog.h"
#include "sasl-oauth/claims.h"
#include "sasl-oauth/imap.h"
#include "sasl-oauth/libsasl.h"
#include "sasl-oauth/pop3.h"
#include "sasl-oauth/smtp.h"
#include "sasl-oauth/tls.h"
#include "sasl-oauth/url.h"

#include "cli.h"

#define TIMEOUT_DEFAULT 30
#define DIAG_MAX 4096


enum { OPT_MECH, OPT_FROM, OPT_CA_FILE, OPT_CA_PATH, OPT_TIMEOUT, OPT_PLAINTEXT, OPT_VERBOSE };

static const char *const mechs[] = { "XOAUTH2", "OAUTHBEARER", NULL };

static const cli_option_t options[] = {
	[OPT_MECH] = { .name = "mech", .kind = CLI_CHOICE, .choices = mechs },
	[OPT_FROM] = { .name = "from", .kind = CLI_STRING, .value = "ADDRESS" },
	[OPT_CA_FILE] = { .name = "ca-file", .kind = CLI_STRING, .value = "FILE" },
	[OPT_CA_PATH] = { .name = "ca-path", .kind = CLI_STRING, .value = "DIR" },
	[OPT_TIMEOUT] = { .name = "timeout", .kind = CLI_NUMBER, .min = 1, .max = 3600, .value = "SECONDS" },
	[OPT_PLAINTEXT] = { .name = "plaintext", .kind = CLI_FLAG },
	[OPT_VERBOSE] = { .name = "verbose", .kind = CLI_FLAG, .short_name = 'v' },
};

static const struct {
	const char *name;    /* for messages */
	const char *service; /* the SASL service name the programs use */
	const char *enable;  /* Set-CASMailbox's switch for the protocol */
} protos[] = {
	[SAO_PROTO_IMAP] = { "IMAP", "imap", "-ImapEnabled $true" },
	[SAO_PROTO_POP3] = { "POP3", "pop", "-PopEnabled $true" },
	[SAO_PROTO_SMTP] = { "SMTP", "smtp", "-SmtpClientAuthenticationDisabled $false" },
};

typedef struct test {
	const char *mech;
	const char *from;
	int verbose;
	sao_tls_opts_t tls;
	sao_url_t url;
	const sao_account_t *account;
	sao_claims_t claims;     /* of the cached token, when it is a JWT */
	char *cache;             /* the account's cache file, NULL for a token_command */
	sao_libsasl_t sasl;
	sao_login_result_t res;
	char done[1024];         /* what the login was followed by, for the result line */
	FILE *out;               /* for the result line: stdout, or stderr inside setup */
} test_t;

/* -v: the dialogue on stderr, a line per line. */
static void trace(void *ctx, int dir, const char *p, size_t n, size_t hidden)
{
	char shown[1024];

	(void)ctx;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	sao_error_printable(p, n, shown, sizeof(shown) - 4);
	if (hidden > 2)
		fprintf(stderr, "%c: %s[SASL response, %zu octets, withheld]\n", dir, shown, hidden - 2);
	else
		fprintf(stderr, "%c: %s\n", dir, shown);
}

/* The cached token's claims (the token itself is wiped at once). */
static void read_claims(test_t *t)
{
	sao_token_t tok;

	sao_token_init(&tok);
	if (t->account->token_command == NULL && sao_settings_cache_path(t->account, &t->cache, NULL) == SAO_OK &&
	    sao_cache_read(t->cache, &tok, NULL) == SAO_OK)
		(void)sao_claims_decode(tok.access_token.data, tok.access_token.len, &t->claims, NULL);
	sao_token_clear(&tok);
}

static sao_err_t after_login(test_t *t, sao_tls_t *c, sao_error_t *err)
{
	sao_err_t rc = SAO_OK;
	size_t n;

	switch (t->url.proto) {
	case SAO_PROTO_IMAP: {
		char names[512];

		rc = sao_imap_list(c, &t->res, &n, names, sizeof(names), err);
		if (rc == SAO_OK)
			snprintf(t->done, sizeof(t->done), "%zu folder%s: %s", n, n == 1 ? "" : "s", names);
		sao_imap_logout(c);
		break;
	}
	case SAO_PROTO_POP3: {
		unsigned long count, octets;

		rc = sao_pop3_stat(c, &count, &octets, err);
		if (rc == SAO_OK)
			snprintf(t->done, sizeof(t->done), "%lu message%s, %lu octets", count, count == 1 ? "" : "s", octets);
		sao_pop3_quit(c);
		break;
	}
	case SAO_PROTO_SMTP:
		rc = sao_smtp_mail_from(c, t->from, &t->res, err);
		if (rc == SAO_OK)
			snprintf(t->done, sizeof(t->done), "MAIL FROM:<%s> accepted", t->from);
		sao_smtp_quit(c);
		break;
	}
	return rc;
}

static sao_err_t login(test_t *t, sao_tls_t *c, sao_error_t *err)
{
	const sao_url_t *u = &t->url;
	char peer[SAO_URL_HOST_MAX + 64];
	int starttls = u->tls == SAO_TLS_STARTTLS && !t->tls.allow_plaintext;
	sao_auth_t auth;
	sao_err_t rc;

	rc = sao_libsasl_init(&auth, &t->sasl, protos[u->proto].service, t->mech, u->user, u->host,
	                      sao_tls_peer(c, peer, sizeof(peer)), err);
	if (rc != SAO_OK)
		return rc;
	sao_auth_hints(&auth, t->account, &t->claims, u->user);
	switch (u->proto) {
	case SAO_PROTO_IMAP: rc = sao_imap_login(c, starttls, &auth, &t->res, err); break;
	case SAO_PROTO_POP3: rc = sao_pop3_login(c, starttls, &auth, &t->res, err); break;
	case SAO_PROTO_SMTP: rc = sao_smtp_login(c, starttls, "sasl-oauth.test", &auth, &t->res, err); break;
	}
	return rc;
}

/* ---- the diagnosis ------------------------------------------------------ */

static void add(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(char *buf, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (used < DIAG_MAX)
		vsnprintf(buf + used, DIAG_MAX - used, fmt, ap);
	va_end(ap);
}

/* What the server offers instead, and the fix. */
static void not_offered(const test_t *t, char *buf)
{
	const char *other = strcasecmp(t->mech, "XOAUTH2") == 0 ? "OAUTHBEARER" : "XOAUTH2";
	const char *caps = t->res.caps;

	add(buf, "; the server announces: %s", caps[0] != '\0' ? caps : "(nothing)");
	if (strcasestr(caps, other) != NULL)
		add(buf, "; fix: it offers %s: test with --mech %s and set the program to it (mbsync: AuthMechs %s; "
		    "Postfix: smtp_sasl_mechanism_filter = %s)", other, other, other, other);
	else if (t->url.proto == SAO_PROTO_SMTP && strcasestr(caps, "AUTH") == NULL)
		add(buf, "; fix: this server offers no login on this port; use its submission port (smtp://HOST:587 "
		    "with STARTTLS, or smtps://HOST:465)");
	else
		add(buf, "; fix: the server takes no OAuth login for %s here; its administrator must enable it (Exchange "
		    "Online: Set-CASMailbox -Identity %s %s)", protos[t->url.proto].name, t->url.user,
		    protos[t->url.proto].enable);
}

/* A URL that does not fit the port: the wrong protocol, or TLS expected
 * at once where the scheme waits for a greeting, or the other way round.
 * The scheme with TLS at once ends in 's' (imaps, pop3s, smtps). */
static void wrong_port(const test_t *t, const sao_error_t *e, char *buf)
{
	const char *scheme = sao_url_scheme(&t->url);
	size_t n = strlen(scheme);

	if (t->res.foreign)
		add(buf, "; fix: this port does not speak %s; check the URL's scheme and port (imaps 993, imap 143, pop3s "
		    "995, pop3 110, smtps 465, smtp 587)", protos[t->url.proto].name);
	else if (t->res.greeted)
		return;
	else if (t->url.tls == SAO_TLS_STARTTLS && e->code == SAO_ERR_TIMEOUT)
		add(buf, "; fix: a server that says nothing may expect TLS from the first byte: try %ss://", scheme);
	else if (t->url.tls == SAO_TLS_IMPLICIT && strstr(e->msg, "TLS handshake") != NULL)
		add(buf, "; fix: if this port greets in plaintext and offers STARTTLS, use %.*s://", (int)(n - 1), scheme);
}

/* What the server's refusal after the login means (Exchange's "User is
 * authenticated but not connected", SendAs), from the catalog. */
static void after_login_refusal(const test_t *t, char *buf)
{
	static const sao_catalog_proto_t catalog[] = {
		[SAO_PROTO_IMAP] = SAO_CATALOG_IMAP, [SAO_PROTO_POP3] = SAO_CATALOG_POP3, [SAO_PROTO_SMTP] = SAO_CATALOG_SMTP
	};
	char reply[sizeof(t->res.server) + 4], fix[SAO_ERROR_MSG_MAX];
	sao_server_reply_t r = { .proto = catalog[t->url.proto], .reply = reply };
	const sao_server_entry_t *e;

	snprintf(reply, sizeof(reply), "%s%s", t->url.proto == SAO_PROTO_IMAP ? "t " : "", t->res.server);
	e = sao_catalog_server(&r);
	if (e != NULL)
		add(buf, "; %s; fix: %s", e->cause, sao_catalog_fix(e, t->url.user, t->account->client_id, fix, sizeof(fix)));
}

/* The cached token's failed checks, unless the plugin already named one. */
static void claims_problems(const test_t *t, char *buf)
{
	sao_checks_t checks;
	int shown = 0;

	if (!t->claims.jwt || strstr(buf, "inspect finds") != NULL)
		return;
	sao_claims_check(&t->claims, t->account, NULL, 0, (int64_t)time(NULL), &checks);
	for (size_t i = 0; i < checks.n && shown < 2; i++) {
		const sao_check_t *k = &checks.item[i];

		if (k->level < SAO_CHECK_WARN || strcmp(k->name, "expiry") == 0)
			continue;
		add(buf, "; sasl-oauth inspect finds: %s; fix: %s", k->text, k->fix);
		shown++;
	}
}

/* Prints the diagnosis of a failed test; returns the exit status. */
static int diagnose(const test_t *t, const char *step, const sao_error_t *e)
{
	char *buf = calloc(1, DIAG_MAX + 1), note[SAO_ERROR_MSG_MAX];
	int code = sao_exit_status(e->code);

	if (buf == NULL) {
		cli_say("test failed: %s", e->msg);
		return code;
	}
	add(buf, "%s %s:%s (%s) failed: %s", step, t->url.host, t->url.port, protos[t->url.proto].name, e->msg);
	if (t->res.not_offered)
		not_offered(t, buf);
	wrong_port(t, e, buf);
	if (t->res.authenticated)
		after_login_refusal(t, buf);
	if (e->code == SAO_ERR_REJECTED)
		claims_problems(t, buf);
	if (t->cache != NULL && sao_cache_read_failure(t->cache, note, sizeof(note)) && strstr(buf, note) == NULL)
		add(buf, "; besides, the last refresh failed: %s", note);
	if (t->sasl.plugin[0] != '\0' && strcmp(t->sasl.plugin, "sasl-oauth") != 0)
		add(buf, "; libsasl2 picked the %s plugin for %s, not sasl-oauth's, and the mail programs get it too; fix: "
		    "remove the package that installed it if no program needs it, or use OAUTHBEARER where the server "
		    "offers it (sasl-oauth config shows the plugins in libsasl2's order)", t->sasl.plugin, t->mech);
	cli_say("%s%s", t->out == stderr ? "test: " : "", buf);
	free(buf);
	return code;
}

/* ---- the command ------------------------------------------------------ */

static sao_err_t take_opts(const cli_args_t *args, test_t *t, sao_error_t *err)
{
	t->mech = args->given[OPT_MECH] ? mechs[args->number[OPT_MECH]] : "XOAUTH2";
	t->tls.ca_file = args->value[OPT_CA_FILE];
	t->tls.ca_path = args->value[OPT_CA_PATH];
	t->tls.timeout_ms = (int)(args->given[OPT_TIMEOUT] ? args->number[OPT_TIMEOUT] : TIMEOUT_DEFAULT) * 1000;
	t->tls.allow_plaintext = args->given[OPT_PLAINTEXT];
	t->verbose = args->given[OPT_VERBOSE];
	if (sao_url_parse(args->operands[0], &t->url, err) != SAO_OK)
		return SAO_ERR_PROTO;
	t->from = args->given[OPT_FROM] ? args->value[OPT_FROM] : t->url.user;
	return SAO_OK;
}

/* Runs the test t describes, for its account; prints the result line or
 * the diagnosis; returns the exit status. */
static int test_run(test_t *t)
{
	char tls[512];
	const char *step = "connecting to";
	sao_tls_t *c = NULL;
	sao_error_t err;
	sao_err_t rc;
	int code;

	sao_error_clear(&err);
	read_claims(t);
	rc = sao_tls_connect(t->url.host, t->url.port, t->url.tls == SAO_TLS_IMPLICIT, &t->tls, &c, &err);
	if (rc == SAO_OK) {
		if (t->verbose)
			sao_tls_set_trace(c, trace, NULL);
		step = "logging in to";
		rc = login(t, c, &err);
	}
	if (rc == SAO_OK) {
		step = "the check after logging in to";
		sao_tls_describe(c, tls, sizeof(tls));
		rc = after_login(t, c, &err);
	}
	if (rc == SAO_OK) {
		fprintf(t->out, "%sok: %s logged in to %s:%s (%s; %s) with %s through libsasl2's %s plugin, account '%s'; %s\n",
		        t->out == stderr ? "sasl-oauth: test " : "", t->url.user, t->url.host, t->url.port,
		        protos[t->url.proto].name, tls, t->mech, t->sasl.plugin, t->account->name, t->done);
		code = fflush(t->out) == 0 ? SAO_EXIT_OK : SAO_EXIT_FAIL;
	} else {
		code = diagnose(t, step, &err);
	}
	sao_tls_free(&c);
	sao_libsasl_dispose(&t->sasl);
	free(t->cache);
	t->cache = NULL;
	return code;
}

int cli_test_login(const sao_account_t *a, const char *url)
{
	static test_t t;
	sao_error_t err;

	memset(&t, 0, sizeof(t));
	sao_error_clear(&err);
	if (sao_url_parse(url, &t.url, &err) != SAO_OK)
		return cli_report(&err);
	t.mech = "XOAUTH2";
	t.from = t.url.user;
	t.tls.timeout_ms = TIMEOUT_DEFAULT * 1000;
	t.account = a;
	t.out = stderr; /* stdout holds the program's lines */
	return test_run(&t);
}

static int run(const sao_settings_t *s, const cli_args_t *args)
{
	static test_t t;
	sao_error_t err;

	sao_error_clear(&err);
	if (take_opts(args, &t, &err) != SAO_OK)
		return cli_usage_error(&cli_test, err.msg);
	t.account = cli_url_account(s, &t.url, &err);
	if (t.account == NULL)
		return cli_report(&err);
	t.out = stdout;
	return test_run(&t);
}

const cli_command_t cli_test = CLI_COMMAND("test", CLI_ONE_URL,
	"Logs in to the mail server of URL as a mail program does, through libsasl2 and its\n"
	"XOAUTH2 (or --mech) plugin, which finds the token itself; then lists the folders\n"
	"(IMAP), counts the messages (POP3) or sees that MAIL FROM:<--from, else the user> is\n"
	"accepted (SMTP), and logs out. Nothing is sent or changed. URL is imaps://USER@HOST[:PORT],\n"
	"imap:// (STARTTLS), pop3s://, pop3:// (STLS), smtps:// (465) or smtp:// (STARTTLS, 587).\n"
	"The certificate is checked (--ca-file, --ca-path for a private CA); --plaintext skips\n"
	"TLS, for a server on a loopback address only. Exit status 0 when it works; otherwise\n"
	"one line with the cause and the fix. -v prints the dialogue on stderr, SASL responses\n"
	"withheld.\n"
	"Example: sasl-oauth test smtp://alice@contoso.com@smtp.office365.com\n");
