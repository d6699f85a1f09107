/* SPDX-License-Identifier: MIT */
/*
 * sasl-oauth: obtains, refreshes and hands out the tokens the plugin and
 * other mail programs use.
 *
 * Output rules: a token goes to stdout only from "token", and only there;
 * every message goes to stderr as one line "sasl-oauth: ..." (the plugin
 * quotes that first line in the mail program's error). No secret is ever
 * taken from argv. Exit statuses: SAO_EXIT_* (error.h), docs/cli.md.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sasl-oauth/clock.h"
#include "sasl-oauth/cache.h"
#include "sasl-oauth/crypto.h"
#include "sasl-oauth/flow.h"
#include "sasl-oauth/grant.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/mech.h"
#include "sasl-oauth/renew.h"
#include "sasl-oauth/settings.h"

#define LOGIN_TIMEOUT_DEFAULT 900 /* a device code lives 15 minutes */

typedef struct command {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(sao_settings_t *s, int argc, char **argv);
} command_t;

static int report(const sao_error_t *err)
{
	fprintf(stderr, "sasl-oauth: %s\n", err->msg[0] != '\0' ? err->msg : sao_strerror(err->code));
	return sao_exit_status(err->code);
}

static int usage_error(const command_t *cmd, const char *what)
{
	fprintf(stderr, "sasl-oauth: %s\nusage: sasl-oauth %s %s\n", what, cmd->name, cmd->usage);
	return SAO_EXIT_USAGE;
}

/* An account by its name, or by a user name it serves (so that mutt's
 * "sasl-oauth token alice@contoso.com" works). */
static const sao_account_t *find_account(const sao_settings_t *s, const char *name, sao_error_t *err)
{
	const sao_account_t *a = sao_settings_get(s, name);

	if (a == NULL)
		a = sao_settings_find(s, name, NULL);
	if (a == NULL)
		sao_error_set(err, SAO_ERR_CONFIG,
		              "no account '%s' in the configuration (and no account lists it in 'users'); see: sasl-oauth "
		              "--help",
		              name);
	else if (a->token_command != NULL)
		sao_error_set(err, SAO_ERR_CONFIG,
		              "account '%s' takes its tokens from its token_command, not from a cache sasl-oauth manages; "
		              "run that command instead",
		              a->name);
	return err->code == SAO_OK ? a : NULL;
}

/* Parses the options shared by every command: --help. Returns the index
 * of the first operand, or -1 after printing help. */
static int want_help(const command_t *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: sasl-oauth %s %s\n\n%s", cmd->name, cmd->usage, cmd->help);
			return 1;
		}
	}
	return 0;
}

static const command_t *current;

/* ---- login ---------------------------------------------------------- */

static int cmd_login(sao_settings_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "paste", no_argument, NULL, 'p' },
		{ "redirect-uri", required_argument, NULL, 'r' },
		{ "browser", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	sao_flow_opts_t fo = { .in = stdin, .out = stdout, .timeout_s = LOGIN_TIMEOUT_DEFAULT };
	const sao_account_t *a;
	sao_client_t client;
	sao_token_t tok;
	sao_error_t err;
	char when[64];
	char *end;
	int c, have_client = 0;
	long v;
	sao_err_t rc;

	fo.browser = getenv("BROWSER");
	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'p': fo.paste = 1; break;
		case 'r': fo.redirect_uri = optarg; break;
		case 'b': fo.browser = optarg[0] != '\0' ? optarg : NULL; break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 86400)
				return usage_error(current, "--timeout takes seconds from 1 to 86400");
			fo.timeout_s = (int)v;
			break;
		default: return usage_error(current, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(current, "give one account");
	sao_error_clear(&err);
	sao_token_init(&tok);
	a = find_account(s, argv[optind], &err);
	if (a == NULL)
		return report(&err);
	if (strcmp(a->flow, "client_credentials") == 0) {
		rc = sao_renew_token(a, 1, &tok, NULL, &err);
		goto out;
	}
	rc = sao_client_init(&client, a, &err);
	if (rc != SAO_OK)
		goto out;
	have_client = 1;
	rc = strcmp(a->flow, "device") == 0 && !fo.paste ? sao_flow_device(&client, &fo, &tok, &err)
	                                                  : sao_flow_authcode(&client, &fo, &tok, &err);
	if (rc != SAO_OK)
		goto out;
	tok.account = strdup(a->name);
	if (tok.account == NULL) {
		rc = sao_error_set(&err, SAO_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = sao_renew_store(a, &tok, &err);
out:
	if (rc == SAO_OK) {
		sao_clock_utc(tok.expires_at, when, sizeof(when));
		fprintf(stderr, "sasl-oauth: logged in account '%s'; the access token expires at %s%s\n", a->name, when,
		        tok.refresh_token.len > 0 ? "; a refresh token is stored and renews it" : "");
	}
	if (have_client)
		sao_client_clear(&client);
	sao_token_clear(&tok);
	return rc == SAO_OK ? SAO_EXIT_OK : report(&err);
}

/* ---- token ---------------------------------------------------------- */

static sao_err_t format_xoauth2(const sao_account_t *a, const char *user, const sao_token_t *tok, sao_secret_t *out,
                                sao_error_t *err)
{
	sao_mech_input_t in = { .user = user != NULL ? user : a->users[0],
		                .token = tok->access_token.data,
		                .token_len = tok->access_token.len };
	sao_secret_t raw;
	sao_err_t rc;

	sao_secret_init(&raw, SAO_TOKEN_MAX + 2048);
	rc = sao_mech_xoauth2_encode(&in, &raw, err);
	if (rc == SAO_OK)
		rc = sao_crypto_b64(raw.data, raw.len, out, err);
	sao_secret_clear(&raw);
	return rc;
}

static sao_err_t format_json(const sao_account_t *a, const sao_token_t *tok, sao_secret_t *out, sao_error_t *err)
{
	sao_json_t *j = NULL;
	int64_t left = tok->expires_at != 0 ? tok->expires_at - (int64_t)time(NULL) : 0;
	sao_err_t rc;

	rc = sao_json_new(&j, err);
	if (rc == SAO_OK)
		rc = sao_json_set_string(j, "account", a->name, strlen(a->name), err);
	if (rc == SAO_OK)
		rc = sao_json_set_string(j, "access_token", tok->access_token.data, tok->access_token.len, err);
	if (rc == SAO_OK)
		rc = sao_json_set_string(j, "token_type", "Bearer", 6, err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(j, "expires_at", tok->expires_at, err);
	if (rc == SAO_OK)
		rc = sao_json_set_int64(j, "expires_in", left > 0 ? left : 0, err);
	if (rc == SAO_OK && tok->scope != NULL)
		rc = sao_json_set_string(j, "scope", tok->scope, strlen(tok->scope), err);
	if (rc == SAO_OK)
		rc = sao_json_serialize(j, out, err);
	sao_json_free(&j);
	return rc;
}

static int cmd_token(sao_settings_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "raw", *user = NULL;
	const sao_account_t *a;
	sao_token_t tok;
	sao_secret_t out;
	sao_error_t err;
	int c, force = 0;
	sao_err_t rc;

	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'f': format = optarg; break;
		case 'u': user = optarg; break;
		case 'F': force = 1; break;
		default: return usage_error(current, "unknown option");
		}
	}
	if (strcmp(format, "raw") != 0 && strcmp(format, "xoauth2") != 0 && strcmp(format, "json") != 0)
		return usage_error(current, "--format is raw, xoauth2 or json");
	if (optind != argc - 1)
		return usage_error(current, "give one account");
	sao_error_clear(&err);
	a = find_account(s, argv[optind], &err);
	if (a == NULL)
		return report(&err);
	/* Called with a user name (mutt), the XOAUTH2 string is for that user. */
	if (user == NULL && strcmp(argv[optind], a->name) != 0)
		user = argv[optind];
	sao_token_init(&tok);
	sao_secret_init(&out, 2 * SAO_TOKEN_MAX + 4096);
	rc = sao_renew_token(a, force, &tok, NULL, &err);
	if (rc == SAO_OK && strcmp(format, "raw") == 0)
		rc = sao_secret_set(&out, tok.access_token.data, tok.access_token.len, &err);
	else if (rc == SAO_OK && strcmp(format, "xoauth2") == 0)
		rc = format_xoauth2(a, user, &tok, &out, &err);
	else if (rc == SAO_OK)
		rc = format_json(a, &tok, &out, &err);
	if (rc == SAO_OK && (fwrite(out.data, 1, out.len, stdout) != out.len || fputc('\n', stdout) == EOF ||
	                     fflush(stdout) != 0))
		rc = sao_error_set(&err, SAO_ERR_IO, "cannot write the token to standard output");
	sao_secret_clear(&out);
	sao_token_clear(&tok);
	return rc == SAO_OK ? SAO_EXIT_OK : report(&err);
}

/* ---- refresh -------------------------------------------------------- */

/* 1 when the account has a cache worth refreshing: an unattended account
 * always does; another only once somebody logged in. */
static int refreshable(const sao_account_t *a)
{
	char *path = NULL;
	int yes;

	if (a->token_command != NULL)
		return 0;
	if (strcmp(a->flow, "client_credentials") == 0)
		return 1;
	if (sao_settings_cache_path(a, &path, NULL) != SAO_OK)
		return 1;
	yes = access(path, F_OK) == 0;
	free(path);
	return yes;
}

/* What "refresh --all" refreshes ahead by default: the timer's period
 * (15 min) plus its random delay (60 s) plus 4 minutes to spare, so that
 * no token expires before the next run (packaging/systemd). */
#define REFRESH_WITHIN_ALL 1200

/* within: also refresh a token that expires within that many seconds
 * (when more than the account's refresh_margin). */
static int refresh_one(const sao_account_t *acct, int force, long within)
{
	sao_account_t ahead = *acct; /* shares acct's strings, frees nothing */
	const sao_account_t *a = &ahead;
	sao_token_t tok;
	sao_error_t err;
	char when[64];
	int refreshed = 0, code;
	sao_err_t rc;

	if (within > ahead.refresh_margin)
		ahead.refresh_margin = within;
	sao_error_clear(&err);
	sao_token_init(&tok);
	rc = sao_renew_token(a, force, &tok, &refreshed, &err);
	if (rc == SAO_OK) {
		sao_clock_utc(tok.expires_at, when, sizeof(when));
		printf("%s: %s; the access token expires at %s\n", a->name, refreshed ? "refreshed" : "still fresh", when);
	}
	code = rc == SAO_OK ? SAO_EXIT_OK : report(&err);
	sao_token_clear(&tok);
	return code;
}

static int cmd_refresh(sao_settings_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'F' },
		{ "within", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c, all = 0, force = 0, worst = SAO_EXIT_OK;
	long within = -1;
	char *end;

	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'a': all = 1; break;
		case 'F': force = 1; break;
		case 'w':
			errno = 0;
			within = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || within < 0 || within > 86400)
				return usage_error(current, "--within takes seconds from 0 to 86400");
			break;
		default: return usage_error(current, "unknown option");
		}
	}
	if (all == (optind < argc))
		return usage_error(current, "give accounts or --all, not both and not neither");
	if (within < 0)
		within = all ? REFRESH_WITHIN_ALL : 0;
	if (all) {
		for (size_t i = 0; i < s->n_accounts; i++) {
			const sao_account_t *a = &s->accounts[i];
			int code;

			if (!refreshable(a)) {
				printf("%s: skipped (%s)\n", a->name,
				       a->token_command != NULL ? "uses a token_command" : "not logged in yet");
				continue;
			}
			code = refresh_one(a, force, within);
			if (code != SAO_EXIT_OK)
				worst = code;
		}
		return worst;
	}
	for (int i = optind; i < argc; i++) {
		sao_error_t err;
		const sao_account_t *a;
		int code;

		sao_error_clear(&err);
		a = find_account(s, argv[i], &err);
		code = a != NULL ? refresh_one(a, force, within) : report(&err);
		if (code != SAO_EXIT_OK)
			worst = code;
	}
	return worst;
}

/* ---- forget --------------------------------------------------------- */

/* RFC 7009: revoke the refresh token where the provider can. */
static sao_err_t revoke_refresh_token(const sao_account_t *a, const sao_token_t *tok, sao_error_t *err)
{
	sao_client_t client;
	sao_http_response_t resp;
	sao_secret_t form;
	char what[256];
	sao_err_t rc;

	rc = sao_client_init(&client, a, err);
	if (rc != SAO_OK)
		return rc;
	sao_http_response_init(&resp);
	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	snprintf(what, sizeof(what), "revoking the refresh token of account '%s'", a->name);
	if (client.ep.revoke == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "%s: the provider has no revocation endpoint (Microsoft Entra ID has none); the tokens "
		                   "were deleted here but stay valid until they expire; to end every session use Revoke "
		                   "sessions in the admin center",
		                   what);
		goto out;
	}
	rc = sao_http_form_add(&form, "token", tok->refresh_token.data, tok->refresh_token.len, err);
	if (rc == SAO_OK)
		rc = sao_http_form_add(&form, "token_type_hint", "refresh_token", 13, err);
	if (rc == SAO_OK)
		rc = sao_http_form_add(&form, "client_id", a->client_id, strlen(a->client_id), err);
	if (rc == SAO_OK)
		rc = sao_http_post_form(&client.http, client.ep.revoke, &form, &resp, what, err);
	if (rc == SAO_OK && (resp.status < 200 || resp.status > 299))
		rc = sao_error_set(err, SAO_ERR_OAUTH, "%s failed: the provider answered HTTP %ld; the local tokens were "
		                   "deleted anyway", what, resp.status);
out:
	sao_secret_clear(&form);
	sao_http_response_clear(&resp);
	sao_client_clear(&client);
	return rc;
}

static int cmd_forget(sao_settings_t *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "revoke", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const sao_account_t *a;
	sao_token_t tok;
	sao_error_t err, rerr;
	char *path = NULL;
	int c, do_revoke = 0, lock = -1, code;
	sao_err_t rc;

	for (;;) {
		c = getopt_long(argc, argv, "", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'r': do_revoke = 1; break;
		default: return usage_error(current, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(current, "give one account");
	sao_error_clear(&err);
	sao_error_clear(&rerr);
	sao_token_init(&tok);
	a = find_account(s, argv[optind], &err);
	if (a == NULL)
		return report(&err);
	rc = sao_settings_cache_path(a, &path, &err);
	if (rc == SAO_OK)
		rc = sao_cache_lock(path, 10000, &lock, &err);
	if (rc == SAO_OK)
		rc = sao_cache_read(path, &tok, &err);
	if (rc == SAO_OK && unlink(path) != 0)
		rc = sao_error_set(&err, SAO_ERR_IO, "cannot delete '%s': %s", path, strerror(errno));
	sao_cache_unlock(&lock);
	if (rc != SAO_OK) {
		code = report(&err);
		goto out;
	}
	fprintf(stderr, "sasl-oauth: deleted the tokens of account '%s' ('%s')\n", a->name, path);
	code = SAO_EXIT_OK;
	if (do_revoke && tok.refresh_token.len > 0 && revoke_refresh_token(a, &tok, &rerr) != SAO_OK)
		code = report(&rerr);
out:
	free(path);
	sao_token_clear(&tok);
	return code;
}

/* ---- dispatch ------------------------------------------------------- */

static const command_t commands[] = {
	{ .name = "login",
	  .usage = "[--paste] [--redirect-uri URI] [--browser CMD] [--timeout SECONDS] ACCOUNT",
	  .help = "Signs in with the account's flow and stores the tokens in its cache:\n"
	          "  flow = device              prints a URL and a code to enter there\n"
	          "  flow = authcode            opens (or prints) the sign-in page; the browser comes back\n"
	          "                             to a listener on 127.0.0.1; --paste instead asks for the\n"
	          "                             address the browser ended on (for machines without one)\n"
	          "  flow = client_credentials  gets an application token, no person involved\n"
	          "--browser CMD runs CMD URL (default: $BROWSER); --timeout limits the wait (900 s).\n",
	  .run = cmd_login },
	{ .name = "token",
	  .usage = "[--format raw|xoauth2|json] [--user USER] [--force] ACCOUNT",
	  .help = "Prints a valid access token of ACCOUNT (an account name or a user it serves),\n"
	          "refreshing it first when it expires within refresh_margin. Formats: raw (for\n"
	          "mutt's *_oauth_refresh_command, msmtp passwordeval, mbsync PassCmd, curl\n"
	          "--oauth2-bearer), xoauth2 (the base64 SASL string for USER), json (with expiry).\n",
	  .run = cmd_token },
	{ .name = "refresh",
	  .usage = "[--force] [--within SECONDS] (--all | ACCOUNT...)",
	  .help = "Refreshes the tokens that are stale (all managed accounts with --all): for cron,\n"
	          "the systemd timer, and caches read inside a chroot. --force refreshes fresh ones too.\n"
	          "--within also refreshes tokens that expire within SECONDS (default with --all: 1200,\n"
	          "the timer's 15 minutes plus its 60 s delay and some to spare), so that none expires\n"
	          "before the next run.\n",
	  .run = cmd_refresh },
	{ .name = "forget",
	  .usage = "[--revoke] ACCOUNT",
	  .help = "Deletes the account's stored tokens; --revoke also asks the provider to revoke the\n"
	          "refresh token where it can (Google, generic providers with revoke_endpoint).\n",
	  .run = cmd_forget },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sasl-oauth COMMAND [OPTIONS] ACCOUNT\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].usage);
	fprintf(f, "\n'sasl-oauth COMMAND --help' describes one. Configuration: $SASL_OAUTH_CONF, else\n"
	           "%s/sasl-oauth.conf and ~/.config/sasl-oauth/config.\n"
	           "Exit status: 0 ok, 1 failure, 2 usage, 3 a new login is needed, 4 configuration\n"
	           "or permissions, 5 the identity provider is unreachable (try again later).\n",
	        SAO_SYSCONFDIR);
}

int main(int argc, char **argv)
{
	sao_settings_t *s = NULL;
	sao_error_t err;
	int code;

	if (argc < 2) {
		usage(stderr);
		return SAO_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SAO_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("sasl-oauth %s\n", PACKAGE_VERSION);
		return SAO_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			current = &commands[i];
	}
	if (current == NULL) {
		fprintf(stderr, "sasl-oauth: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return SAO_EXIT_USAGE;
	}
	if (want_help(current, argc - 1, argv + 1))
		return SAO_EXIT_OK;
	/* Files we create hold tokens: nothing for group or others. A reader
	 * of our stdout that goes away (mutt) must not kill a cache write. */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	sao_error_clear(&err);
	if (sao_settings_load(&s, &err) != SAO_OK) {
		if (err.code == SAO_ERR_NOTFOUND)
			fprintf(stderr, "sasl-oauth: no configuration file; create ~/.config/sasl-oauth/config or %s/"
			                "sasl-oauth.conf with an [account NAME] section\n",
			        SAO_SYSCONFDIR);
		else
			report(&err);
		return SAO_EXIT_CONFIG;
	}
	if (sao_http_global_init(&err) != SAO_OK) {
		sao_settings_free(&s);
		return report(&err);
	}
	optind = 1;
	code = current->run(s, argc - 1, argv + 1);
	sao_http_global_cleanup();
	sao_settings_free(&s);
	return code;
}
