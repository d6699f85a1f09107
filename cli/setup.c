/* SPDX-License-Identifier: MIT */
/*
 * setup: from a mail address to a signed-in account and the lines for the
 * user's mail program (docs/cli.md). The provider is found by
 * sao_discover, the section is written by sao_section_write, the sign-in
 * is sao_signin (what "login" runs), the lines are sao_snippet_render:
 * this file only asks, decides what to ask, and prints.
 *
 * Output: stdout carries only the mail program's lines (so
 * "setup ... --for msmtp >> ~/.msmtprc" works); questions, the sign-in
 * prompt and every message go to stderr.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sasl-oauth/discover.h"
#include "sasl-oauth/renew.h"
#include "sasl-oauth/section.h"
#include "sasl-oauth/signin.h"
#include "sasl-oauth/snippet.h"
#include "sasl-oauth/url.h"

#define SETUP_TIMEOUT_DEFAULT 900 /* a device code lives 15 minutes */
#define ANSWER_MAX 512

enum {
	OPT_FOR,
	OPT_WRITE,
	OPT_NAME,
	OPT_PROVIDER,
	OPT_TENANT,
	OPT_CLOUD,
	OPT_CLIENT_ID,
	OPT_CLIENT_SECRET_FILE,
	OPT_FLOW,
	OPT_AUTHORITY,
	OPT_TOKEN_ENDPOINT,
	OPT_DEVICE_ENDPOINT,
	OPT_AUTHORIZE_ENDPOINT,
	OPT_SCOPE,
	OPT_SYSTEM,
	OPT_FORCE,
	OPT_YES,
	OPT_NO_MX,
	OPT_NO_LOGIN,
	OPT_NO_TEST,
	OPT_BROWSER,
	OPT_TIMEOUT,
};

/* In the order of sao_account_provider_t. */
static const char *const providers[] = { "microsoft", "google", "generic", NULL };
static const char *const clouds[] = { "global", "usgov", "usgov-dod", "china", NULL };
static const char *const flows[] = { "device", "authcode", NULL };

static const cli_option_t options[] = {
	[OPT_FOR] = { .name = "for", .kind = CLI_CHOICE, .choices = sao_snippet_programs },
	[OPT_WRITE] = { .name = "write", .kind = CLI_STRING, .value = "FILE" },
	[OPT_NAME] = { .name = "name", .kind = CLI_STRING, .value = "ACCOUNT" },
	[OPT_PROVIDER] = { .name = "provider", .kind = CLI_CHOICE, .choices = providers },
	[OPT_TENANT] = { .name = "tenant", .kind = CLI_STRING, .value = "TENANT" },
	[OPT_CLOUD] = { .name = "cloud", .kind = CLI_CHOICE, .choices = clouds },
	[OPT_CLIENT_ID] = { .name = "client-id", .kind = CLI_STRING, .value = "ID" },
	[OPT_CLIENT_SECRET_FILE] = { .name = "client-secret-file", .kind = CLI_STRING, .value = "PATH" },
	[OPT_FLOW] = { .name = "flow", .kind = CLI_CHOICE, .choices = flows },
	[OPT_AUTHORITY] = { .name = "authority", .kind = CLI_STRING, .value = "URL" },
	[OPT_TOKEN_ENDPOINT] = { .name = "token-endpoint", .kind = CLI_STRING, .value = "URL" },
	[OPT_DEVICE_ENDPOINT] = { .name = "device-endpoint", .kind = CLI_STRING, .value = "URL" },
	[OPT_AUTHORIZE_ENDPOINT] = { .name = "authorize-endpoint", .kind = CLI_STRING, .value = "URL" },
	[OPT_SCOPE] = { .name = "scope", .kind = CLI_STRING, .value = "SCOPE" },
	[OPT_SYSTEM] = { .name = "system", .kind = CLI_FLAG },
	[OPT_FORCE] = { .name = "force", .kind = CLI_FLAG },
	[OPT_YES] = { .name = "yes", .kind = CLI_FLAG },
	[OPT_NO_MX] = { .name = "no-mx", .kind = CLI_FLAG },
	[OPT_NO_LOGIN] = { .name = "no-login", .kind = CLI_FLAG },
	[OPT_NO_TEST] = { .name = "no-test", .kind = CLI_FLAG },
	[OPT_BROWSER] = { .name = "browser", .kind = CLI_STRING, .value = "CMD" },
	[OPT_TIMEOUT] = { .name = "timeout", .kind = CLI_NUMBER, .min = 1, .max = 86400, .value = "SECONDS" },
};

/* What setup has decided so far; strings point into argv, the discovery
 * or answers (kept in the answer buffers below). */
typedef struct plan {
	const char *email;
	char domain[256];
	int known;                        /* the provider is decided */
	sao_account_provider_t provider;
	const char *tenant;
	const char *cloud;
	const char *client_id;
	const char *flow;
	char name[65];
	sao_discovery_t found;
	int interactive; /* questions may be asked */
	char answers[4][ANSWER_MAX];
	int n_answers;
} plan_t;

/* Asks on stderr, reads one line from stdin into one of p's answer
 * buffers. NULL at end of input or for an empty answer without a default. */
static const char *ask(plan_t *p, const char *question, const char *def)
{
	char *a;
	size_t n;

	if (!p->interactive || p->n_answers >= (int)(sizeof(p->answers) / sizeof(p->answers[0])))
		return NULL;
	a = p->answers[p->n_answers];
	fprintf(stderr, "%s%s%s%s ", question, def != NULL ? " [" : "", def != NULL ? def : "", def != NULL ? "]" : "");
	fflush(stderr);
	if (fgets(a, ANSWER_MAX, stdin) == NULL)
		return NULL;
	n = strcspn(a, "\r\n");
	a[n] = '\0';
	while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
		a[--n] = '\0';
	while (*a == ' ' || *a == '\t')
		a++;
	if (*a == '\0')
		return def;
	p->n_answers++;
	return a;
}

/* The steps to register an application with Entra ID, for a user who has
 * no client id (docs/cli.md "setup"). */
static void print_registration(const plan_t *p)
{
	const char *portal = strcmp(p->cloud, "china") == 0 ? "https://portal.azure.cn"
	                     : strncmp(p->cloud, "usgov", 5) == 0 ? "https://portal.azure.us"
	                                                           : "https://entra.microsoft.com";

	fprintf(stderr,
	        "sasl-oauth: no client id is known for %s. Ask your administrator for the application (client) id\n"
	        "of a mail app, or register one once (a public client; no secret):\n"
	        "  1. %s > Identity > Applications > App registrations > New registration:\n"
	        "     name 'sasl-oauth', supported account types '%s',\n"
	        "     redirect URI: platform 'Public client/native (mobile & desktop)', http://localhost\n"
	        "  2. Authentication > Advanced settings > Allow public client flows: Yes\n"
	        "  3. API permissions > Add a permission > APIs my organization uses > Office 365 Exchange Online >\n"
	        "     Delegated permissions: IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send;\n"
	        "     and Microsoft Graph > Delegated: offline_access. Then 'Grant admin consent' if users may not\n"
	        "     consent themselves.\n"
	        "  4. Overview: copy the 'Application (client) ID' and run this again with --client-id ID.\n"
	        "The same with the Azure CLI (az login first; add POP.AccessAsUser.All in the portal for POP3):\n"
	        "  az ad app create --display-name sasl-oauth --sign-in-audience %s --is-fallback-public-client true "
	        "--public-client-redirect-uris http://localhost --required-resource-accesses "
	        "'[{\"resourceAppId\":\"00000002-0000-0ff1-ce00-000000000000\",\"resourceAccess\":["
	        "{\"id\":\"652390e4-393a-48de-9484-05f9b1212954\",\"type\":\"Scope\"},"
	        "{\"id\":\"258f6531-6087-4cc4-bb90-092c5fb3ed3f\",\"type\":\"Scope\"}]},"
	        "{\"resourceAppId\":\"00000003-0000-0000-c000-000000000000\",\"resourceAccess\":["
	        "{\"id\":\"7427e0e9-2fba-42fe-b0c0-848c9e6a8182\",\"type\":\"Scope\"}]}]' --query appId\n"
	        "A distribution or administrator can name one for everybody: [defaults] client_id = ID in %s.\n",
	        p->email, portal,
	        strcmp(p->tenant, "consumers") == 0 ? "Accounts in any organizational directory and personal Microsoft "
	                                              "accounts"
	                                            : "Accounts in this organizational directory only",
	        strcmp(p->tenant, "consumers") == 0 ? "AzureADandPersonalMicrosoftAccount" : "AzureADMyOrg",
	        sao_settings_system_path());
}

/* The account name when --name is not given: the domain's first label
 * ("contoso" for alice@contoso.com). */
static void default_name(plan_t *p)
{
	size_t n = strcspn(p->domain, ".");

	if (n >= sizeof(p->name))
		n = sizeof(p->name) - 1;
	memcpy(p->name, p->domain, n);
	p->name[n] = '\0';
}

/* Provider, tenant and cloud: from the options, else found, else asked. */
static int decide_provider(plan_t *p, const cli_args_t *o)
{
	sao_http_opts_t http = { .timeout_s = SAO_HTTP_TIMEOUT_DEFAULT };
	sao_error_t err;
	const char *answer;

	sao_error_clear(&err);
	/* --provider's words are in the enum's order. */
	p->known = o->given[OPT_PROVIDER];
	p->provider = (sao_account_provider_t)o->number[OPT_PROVIDER];
	p->tenant = o->value[OPT_TENANT];
	/* Discovery only when something is left to find. */
	if (!p->known || (p->provider == SAO_PROVIDER_MICROSOFT && p->tenant == NULL)) {
		if (sao_discover(p->email, o->value[OPT_AUTHORITY], !o->given[OPT_NO_MX], &http, &p->found, &err) !=
		    SAO_OK)
			return cli_report(&err);
		if (p->found.kind != SAO_DISCOVER_UNKNOWN || !p->known)
			cli_say("%s", p->found.how[0] != '\0' ? p->found.how : "the provider is not known");
		if (!p->known && p->found.kind != SAO_DISCOVER_UNKNOWN) {
			p->provider = p->found.kind == SAO_DISCOVER_MICROSOFT ? SAO_PROVIDER_MICROSOFT : SAO_PROVIDER_GOOGLE;
			p->known = 1;
		}
		if (p->found.kind == SAO_DISCOVER_MICROSOFT && p->tenant == NULL &&
		    p->provider == SAO_PROVIDER_MICROSOFT) {
			p->tenant = p->found.tenant;
			p->cloud = p->found.cloud;
		}
	}
	if (!p->known) {
		answer = ask(p, "Who hosts this mailbox: microsoft, google or generic?", NULL);
		for (size_t i = 0; answer != NULL && providers[i] != NULL; i++) {
			if (strcmp(answer, providers[i]) == 0) {
				p->provider = (sao_account_provider_t)i;
				p->known = 1;
			}
		}
		if (!p->known) {
			cli_say("cannot tell who hosts the mail of '%s'; give --provider microsoft (with --tenant if "
			        "OpenID discovery cannot find it), --provider google, or --provider generic with "
			        "--token-endpoint and --scope",
			        p->domain);
			return SAO_EXIT_CONFIG;
		}
	}
	if (p->provider == SAO_PROVIDER_MICROSOFT && p->tenant == NULL) {
		p->tenant = ask(p, "The Entra ID tenant (domain or id)?", "organizations");
		if (p->tenant == NULL)
			p->tenant = "organizations";
	}
	if (o->given[OPT_CLOUD])
		p->cloud = o->value[OPT_CLOUD];
	if (p->cloud == NULL && p->provider == SAO_PROVIDER_MICROSOFT)
		p->cloud = "global";
	if (p->provider != SAO_PROVIDER_MICROSOFT && (p->tenant != NULL || o->given[OPT_CLOUD])) {
		cli_say("--tenant and --cloud are for --provider microsoft");
		return SAO_EXIT_USAGE;
	}
	if (p->provider == SAO_PROVIDER_GENERIC && (o->value[OPT_TOKEN_ENDPOINT] == NULL || o->value[OPT_SCOPE] == NULL)) {
		cli_say("--provider generic needs --token-endpoint URL and --scope SCOPE (and --device-endpoint or "
		        "--authorize-endpoint for the sign-in)");
		return SAO_EXIT_USAGE;
	}
	return SAO_EXIT_OK;
}

/* The client id: --client-id, [defaults] (Microsoft accounts), or asked;
 * without one, the registration steps. */
static int decide_client(plan_t *p, const sao_settings_t *s, const cli_args_t *o)
{
	p->client_id = o->value[OPT_CLIENT_ID];
	if (p->client_id == NULL && s != NULL && s->default_client_id != NULL && p->provider == SAO_PROVIDER_MICROSOFT) {
		p->client_id = s->default_client_id;
		cli_say("client id %s from the configuration's [defaults]", p->client_id);
	}
	if (p->client_id != NULL)
		return SAO_EXIT_OK;
	if (p->provider == SAO_PROVIDER_MICROSOFT)
		print_registration(p);
	else
		cli_say("no client id is known: register an OAuth client with %s (an installed or \"TVs and limited "
		        "input\" app) and give its id with --client-id%s",
		        p->provider == SAO_PROVIDER_GOOGLE ? "Google Cloud Console > APIs & Services > Credentials"
		                                          : "your identity provider",
		        p->provider == SAO_PROVIDER_GOOGLE ? " and its secret's file with --client-secret-file" : "");
	p->client_id = ask(p, "The application (client) id?", NULL);
	if (p->client_id == NULL) {
		cli_say("no client id; run again with --client-id ID");
		return SAO_EXIT_CONFIG;
	}
	return SAO_EXIT_OK;
}

/* Device code unless a browser can be opened here (a display, or
 * $BROWSER) and the account is the user's own. */
static const char *default_flow(const cli_args_t *o)
{
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY"), *browser = getenv("BROWSER");

	if (o->given[OPT_FLOW])
		return o->value[OPT_FLOW];
	if (o->given[OPT_SYSTEM])
		return "device";
	if ((display != NULL && *display != '\0') || (wayland != NULL && *wayland != '\0') ||
	    (browser != NULL && *browser != '\0'))
		return "authcode";
	return "device";
}

/* An account that serves the address already is used as it is; options
 * that say otherwise need --force (which rewrites it). */
static int check_same(const sao_account_t *a, const cli_args_t *o)
{
	/* The account's values as the configuration words them. */
	const struct {
		int opt;
		const char *have;
		const char *key;
	} keys[] = {
		{ OPT_PROVIDER, sao_settings_provider_name(a->provider), "provider" },
		{ OPT_TENANT, a->tenant, "tenant" },
		{ OPT_CLOUD, sao_settings_cloud_name(a->cloud), "cloud" },
		{ OPT_CLIENT_ID, a->client_id, "client_id" },
		{ OPT_FLOW, sao_settings_flow_name(a->flow), "flow" },
		{ OPT_AUTHORITY, a->authority, "authority" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *have = keys[i].have;

		if (!o->given[keys[i].opt] || (have != NULL && strcmp(have, o->value[keys[i].opt]) == 0))
			continue;
		cli_say("account '%s' (%s:%d) serves %s with %s = %s, not %s; nothing was changed; to replace the "
		        "account, add --force",
		        a->name, a->file, a->line, o->operands[0], keys[i].key, have != NULL ? have : "(default)",
		        o->value[keys[i].opt]);
		return SAO_EXIT_CONFIG;
	}
	return SAO_EXIT_OK;
}

/* Writes the section; SAO_EXIT_* */
static int write_section(const plan_t *p, const cli_args_t *o, char **path_r)
{
	sao_section_t sec = {
		.name = p->name,
		.comment = NULL,
		.users = p->email,
		.provider = sao_settings_provider_name(p->provider),
		.tenant = p->tenant,
		.cloud = p->cloud,
		.client_id = p->client_id,
		.client_secret_file = o->value[OPT_CLIENT_SECRET_FILE],
		.flow = p->flow,
		.authority = o->value[OPT_AUTHORITY],
		.token_endpoint = o->value[OPT_TOKEN_ENDPOINT],
		.device_endpoint = o->value[OPT_DEVICE_ENDPOINT],
		.authorize_endpoint = o->value[OPT_AUTHORIZE_ENDPOINT],
		.scope = o->value[OPT_SCOPE],
	};
	sao_section_mode_t mode = SAO_SECTION_USER;
	char comment[320];
	char *text = NULL, *path = NULL;
	sao_error_t err;
	int replaced = 0, code = SAO_EXIT_OK;

	*path_r = NULL;
	sao_error_clear(&err);
	snprintf(comment, sizeof(comment), "written by: sasl-oauth setup %s", p->email);
	sec.comment = comment;
	if (o->given[OPT_SYSTEM]) {
		mode = o->given[OPT_FOR] && o->number[OPT_FOR] == SAO_SNIPPET_POSTFIX ? SAO_SECTION_SYSTEM_POSTFIX
		                                                                       : SAO_SECTION_SYSTEM;
		path = strdup(sao_settings_system_path());
		if (path == NULL)
			sao_error_set(&err, SAO_ERR_NOMEM, "out of memory");
	} else {
		sao_settings_user_path(&path, &err);
	}
	if (path == NULL || sao_section_render(&sec, &text, &err) != SAO_OK ||
	    sao_section_write(path, mode, p->name, text, o->given[OPT_FORCE], &replaced, &err) != SAO_OK) {
		code = cli_report(&err);
		free(path);
		path = NULL;
	} else {
		cli_say("%s account '%s' in %s", replaced ? "replaced" : "added", p->name, path);
	}
	free(text);
	*path_r = path;
	return code;
}

/* "sasl-oauth test" against the provider's IMAP server, and its SMTP
 * server when the program sends mail: the first failure's status. */
static int test_servers(const sao_account_t *a, const char *email, const cli_args_t *o)
{
	const sao_mailhosts_t *h = sao_snippet_hosts(sao_settings_provider_name(a->provider),
	                                             sao_settings_cloud_name(a->cloud));
	char url[2][SAO_URL_USER_MAX + SAO_URL_HOST_MAX + 32];
	int code = SAO_EXIT_OK, n = 1, failed = -1;

	if (h == NULL)
		return SAO_EXIT_OK;
	snprintf(url[0], sizeof(url[0]), "imaps://%s@%s:%d", email, h->imap, h->imap_port);
	if (o->given[OPT_FOR] && sao_snippet_sends((sao_snippet_program_t)o->number[OPT_FOR]))
		snprintf(url[n++], sizeof(url[1]), "%s://%s@%s:%d", h->smtp_port == 465 ? "smtps" : "smtp", email,
		         h->smtp, h->smtp_port);
	for (int i = 0; i < n; i++) {
		int rc = cli_test_login(a, url[i]);

		if (rc != SAO_EXIT_OK && failed < 0) {
			code = rc;
			failed = i;
		}
	}
	if (failed >= 0)
		cli_say("account '%s' is written and signed in, but the test login failed as said above; after the fix, "
		        "check again with: sasl-oauth test %s (setup --no-test skips the test where the servers cannot be "
		        "reached)",
		        a->name, url[failed]);
	return code;
}

/* The program's lines: on stdout, or appended to --write FILE. */
static int print_lines(const plan_t *p, const sao_account_t *a, const cli_args_t *o)
{
	sao_snippet_program_t prog = (sao_snippet_program_t)o->number[OPT_FOR];
	const char *provider = sao_settings_provider_name(a->provider);
	const sao_mailhosts_t *h = sao_snippet_hosts(provider, sao_settings_cloud_name(a->cloud));
	const char *home = getenv("HOME");
	char *text = NULL, made[4096];
	sao_error_t err;
	int dropped = 0, code = SAO_EXIT_OK;

	sao_error_clear(&err);
	if (h == NULL) {
		cli_say("no mail server names are known for a %s account: see docs/clients/%s.md and use account '%s'",
		        provider, sao_snippet_programs[prog], a->name);
		return SAO_EXIT_OK;
	}
	if (sao_snippet_render(prog, a->name, p->email, h, &text, &err) != SAO_OK)
		return cli_report(&err);
	if (home != NULL && home[0] == '/') {
		if (sao_snippet_prepare(prog, a->name, home, made, sizeof(made), &err) != SAO_OK) {
			free(text);
			return cli_report(&err);
		}
		if (made[0] != '\0')
			cli_say("%s's mail goes to %s (made, mode 0700)", sao_snippet_programs[prog], made);
	}
	if (o->value[OPT_WRITE] == NULL) {
		fputs(text, stdout);
		if (fflush(stdout) != 0)
			code = SAO_EXIT_FAIL;
	} else if (sao_snippet_append(prog, o->value[OPT_WRITE], text, &dropped, &err) != SAO_OK) {
		code = cli_report(&err);
	} else {
		cli_say("added the %s lines for account '%s' to %s%s", sao_snippet_programs[prog], a->name,
		        o->value[OPT_WRITE],
		        dropped ? " (without 'account default': the file names its default account already)" : "");
	}
	free(text);
	return code;
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	sao_authcode_opts_t fo = { .in = stdin, .out = stderr, .timeout_s = SETUP_TIMEOUT_DEFAULT };
	sao_settings_t *now = NULL;
	const sao_account_t *a = NULL, *other;
	sao_token_t tok;
	sao_error_t err;
	char expiry[128], *path = NULL;
	plan_t p;
	int code;

	memset(&p, 0, sizeof(p));
	sao_error_clear(&err);
	sao_token_init(&tok);
	p.email = o->operands[0];
	p.interactive = !o->given[OPT_YES] && isatty(STDIN_FILENO);
	if (!sao_discover_domain(p.email, p.domain, sizeof(p.domain))) {
		cli_say("'%s' is not a mail address (NAME@DOMAIN); give the mailbox's address", p.email);
		return SAO_EXIT_USAGE;
	}
	if (o->value[OPT_AUTHORITY] != NULL && !sao_http_url_allowed(o->value[OPT_AUTHORITY])) {
		cli_say("--authority '%s' is refused: https:// only (plain http:// to a loopback address)",
		        o->value[OPT_AUTHORITY]);
		return SAO_EXIT_USAGE;
	}
	if (o->value[OPT_WRITE] != NULL && (!o->given[OPT_FOR] || sao_snippet_file((sao_snippet_program_t)o->number[OPT_FOR]) == NULL)) {
		cli_say("--write appends to a file of mbsync (~/.mbsyncrc), msmtp (~/.msmtprc) or fetchmail (~/.fetchmailrc) "
		        "only; give --for with one of them, or paste the printed lines yourself");
		return SAO_EXIT_USAGE;
	}
	if (o->given[OPT_SYSTEM] && geteuid() != 0) {
		cli_say("--system writes %s: run it as root", sao_settings_system_path());
		return SAO_EXIT_CONFIG;
	}
	if (o->given[OPT_NAME]) {
		if (strlen(o->value[OPT_NAME]) >= sizeof(p.name)) {
			cli_say("--name is at most %zu characters", sizeof(p.name) - 1);
			return SAO_EXIT_USAGE;
		}
		memcpy(p.name, o->value[OPT_NAME], strlen(o->value[OPT_NAME]) + 1);
	} else {
		default_name(&p);
	}
	/* One address, one account: never a second account for it. Running
	 * setup again for another program uses the account that is there. */
	other = s != NULL ? sao_settings_find(s, p.email, NULL) : NULL;
	if (other != NULL && o->given[OPT_NAME] && strcmp(other->name, p.name) != 0) {
		cli_say("%s is served by account '%s' already (%s:%d); use it (sasl-oauth login %s), or replace it: "
		        "sasl-oauth setup %s --name %s --force",
		        p.email, other->name, other->file, other->line, other->name, p.email, other->name);
		return SAO_EXIT_CONFIG;
	}
	if (other != NULL && !o->given[OPT_FORCE]) {
		code = check_same(other, o);
		if (code != SAO_EXIT_OK)
			return code;
		cli_say("using account '%s' (%s:%d), which serves %s already", other->name, other->file, other->line,
		        p.email);
		a = other;
	} else {
		if (other != NULL)
			memcpy(p.name, other->name, strlen(other->name) + 1);
		code = decide_provider(&p, o);
		if (code == SAO_EXIT_OK)
			code = decide_client(&p, s, o);
		if (code != SAO_EXIT_OK)
			return code;
		p.flow = default_flow(o);
		code = write_section(&p, o, &path);
		if (code != SAO_EXIT_OK)
			goto out;
		/* The account as every other command will read it. */
		if (sao_settings_load(&now, &err) == SAO_OK)
			a = sao_settings_get(now, p.name);
		if (a == NULL) {
			if (err.code == SAO_OK)
				sao_error_set(&err, SAO_ERR_CONFIG, "account '%s' is not in the configuration read back",
				              p.name);
			code = cli_report(&err);
			goto out;
		}
	}
	/* An account that has its tokens needs no second sign-in. */
	if (a == other && !o->given[OPT_NO_LOGIN] && a->token_command == NULL &&
	    sao_renew_token(a, 0, &tok, NULL, &err) == SAO_OK) {
		cli_say("account '%s' is signed in already", a->name);
	} else if (!o->given[OPT_NO_LOGIN]) {
		sao_token_clear(&tok);
		sao_token_init(&tok);
		sao_error_clear(&err);
		/* As login: not given, $BROWSER or xdg-open; '': print only. */
		fo.browser = o->given[OPT_BROWSER] ? o->value[OPT_BROWSER] : NULL;
		if (o->given[OPT_TIMEOUT])
			fo.timeout_s = (int)o->number[OPT_TIMEOUT];
		if (sao_signin(a, &fo, &tok, &err) != SAO_OK) {
			code = cli_report(&err);
			cli_say("the account is written; sign in later with: sasl-oauth login %s", a->name);
			goto out;
		}
	}
	if (o->given[OPT_FOR]) {
		code = print_lines(&p, a, o);
		if (code != SAO_EXIT_OK)
			goto out;
	}
	if (o->given[OPT_NO_LOGIN])
		cli_say("ready: account '%s' for %s; sign in with: sasl-oauth login %s", a->name, p.email, a->name);
	else
		cli_say("ready: account '%s' for %s is signed in; %s%s", a->name, p.email,
		        cli_expiry(&tok, expiry, sizeof(expiry)),
		        tok.refresh_token.len > 0 ? "; a refresh token renews it" : "");
	if (!o->given[OPT_NO_LOGIN] && !o->given[OPT_NO_TEST])
		code = test_servers(a, p.email, o);
out:
	sao_token_clear(&tok);
	sao_settings_free(&now);
	free(path);
	return code;
}

const cli_command_t cli_setup = {
	.name = "setup",
	.help = "Sets up an account for the mailbox EMAIL from nothing: finds its provider (Microsoft by OpenID\n"
	        "discovery: tenant and national cloud; Google for gmail.com and domains whose MX is Google's;\n"
	        "--provider otherwise), writes an [account] section to your configuration (--system: the\n"
	        "system file) without replacing an existing one (--force replaces it), signs in, and prints\n"
	        "the lines for --for PROGRAM on stdout (--write FILE appends them to ~/.mbsyncrc,\n"
	        "~/.msmtprc or ~/.fetchmailrc instead, never overwriting). Messages and the sign-in go to\n"
	        "stderr.\n"
	        "  --name         the account's name (default: the domain's first label)\n"
	        "  --client-id    the application id (default: [defaults] client_id in the system file)\n"
	        "  --flow         device (default without a display) or authcode (with one)\n"
	        "  --authority    replaces Microsoft's login host (http:// only to loopback, for tests)\n"
	        "  --no-mx        do not ask DNS whether the domain's mail goes to Google\n"
	        "  --no-login     write the account only\n"
	        "  --no-test      no test login to the mail servers after the sign-in\n"
	        "  --yes          never ask: what is not given or found is an error\n",
	CLI_OPTIONS(options),
	.operands = CLI_ONE_ADDRESS,
	.config_optional = 1,
	.run = run,
};
