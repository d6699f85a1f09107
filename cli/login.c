/* SPDX-License-Identifier: MIT */
/*
 * login: signs in with the account's flow and stores the tokens in its
 * cache (docs/cli.md).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sasl-oauth/signin.h"

#define LOGIN_TIMEOUT_DEFAULT 900 /* a device code lives 15 minutes */

enum { OPT_PASTE, OPT_REDIRECT_URI, OPT_BROWSER, OPT_TIMEOUT };

static const cli_option_t options[] = {
	[OPT_PASTE] = { .name = "paste", .kind = CLI_FLAG },
	[OPT_REDIRECT_URI] = { .name = "redirect-uri", .kind = CLI_STRING, .value = "URI" },
	[OPT_BROWSER] = { .name = "browser", .kind = CLI_STRING, .value = "CMD" },
	[OPT_TIMEOUT] = { .name = "timeout", .kind = CLI_NUMBER, .min = 1, .max = 86400, .value = "SECONDS" },
};

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	sao_authcode_opts_t fo = { .in = stdin, .out = stdout, .timeout_s = LOGIN_TIMEOUT_DEFAULT };
	const sao_account_t *a;
	sao_token_t tok;
	sao_error_t err;
	char expiry[128];
	sao_err_t rc;

	fo.paste = o->given[OPT_PASTE];
	fo.redirect_uri = o->value[OPT_REDIRECT_URI];
	/* Not given: $BROWSER, else xdg-open with a display; '': only print
	 * the address (authcode.h). */
	fo.browser = o->given[OPT_BROWSER] ? o->value[OPT_BROWSER] : NULL;
	if (o->given[OPT_TIMEOUT])
		fo.timeout_s = (int)o->number[OPT_TIMEOUT];
	sao_error_clear(&err);
	sao_token_init(&tok);
	a = cli_find_account(s, o->operands[0], &err);
	if (a == NULL)
		return cli_report(&err);
	rc = sao_signin(a, &fo, &tok, &err);
	if (rc == SAO_OK)
		cli_say("logged in account '%s'; %s%s", a->name, cli_expiry(&tok, expiry, sizeof(expiry)),
		        tok.refresh_token.len > 0 ? "; a refresh token is stored and renews it" : "");
	sao_token_clear(&tok);
	return rc == SAO_OK ? SAO_EXIT_OK : cli_report(&err);
}

const cli_command_t cli_login = CLI_COMMAND("login", CLI_ONE_ACCOUNT,
	"Signs in with the account's flow and stores the tokens in its cache:\n"
	"  flow = device              prints a URL and a code to enter there\n"
	"  flow = authcode            opens (or prints) the sign-in page; the browser comes back\n"
	"                             to a listener on 127.0.0.1; --paste instead asks for the\n"
	"                             address the browser ended on (for machines without one)\n"
	"  flow = client_credentials  gets an application token, no person involved\n"
	"--browser CMD starts the command line CMD with the URL (\"\" starts none; default: $BROWSER,\n"
	"a ':'-separated list, else xdg-open with a display); --timeout limits the wait (900 s).\n");
