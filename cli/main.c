/* SPDX-License-Identifier: MIT */
/*
 * sasl-oauth: obtains, refreshes and hands out the tokens the plugin and
 * other mail programs use. This file is the shell: the table of commands,
 * the top-level usage, and what every command needs before it runs
 * (options parsed, umask, configuration, HTTP). The commands are one a file
 * (cli.h says what they share).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sasl-oauth/grant.h"
#include "sasl-oauth/url.h"

static const cli_command_t *const commands[] = { &cli_setup,  &cli_login,  &cli_token,   &cli_refresh, &cli_forget,
	                                         &cli_tunnel, &cli_test,   &cli_status, &cli_inspect, &cli_config };

const sao_account_t *cli_url_account(const sao_settings_t *s, const sao_url_t *u, sao_error_t *err)
{
	const sao_account_t *a = sao_settings_find(s, u->user, u->host);

	if (a == NULL)
		sao_error_set(err, SAO_ERR_CONFIG,
		              "no account serves the user '%s' on '%s'; add it to the users = line of an account in the "
		              "configuration (see: sasl-oauth --help)",
		              u->user, u->host);
	return a;
}

const sao_account_t *cli_find_account(const sao_settings_t *s, const char *name, sao_error_t *err)
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

/* The load failed only because there is no file yet: none at all, or
 * the one $SASL_OAUTH_CONF names does not exist (setup creates it). */
static int no_configuration(const sao_error_t *err)
{
	const char *conf = getenv("SASL_OAUTH_CONF");

	if (err->code == SAO_ERR_NOTFOUND)
		return 1;
	return err->code == SAO_ERR_CONFIG && conf != NULL && conf[0] != '\0' && access(conf, F_OK) != 0 &&
	       errno == ENOENT;
}

static void usage(FILE *f)
{
	char buf[CLI_USAGE_MAX];

	fprintf(f, "usage: sasl-oauth COMMAND [OPTIONS] ACCOUNT\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		/* setup's options fill a screen: its --help lists them. */
		if (commands[i]->config_optional)
			fprintf(f, "  %-8s [OPTIONS] EMAIL   sets up an account from nothing (see setup --help)\n",
			        commands[i]->name);
		else
			fprintf(f, "  %-8s %s\n", commands[i]->name, cli_usage(commands[i], buf, sizeof(buf)));
	}
	fprintf(f, "\n'sasl-oauth COMMAND --help' describes one. Configuration: $SASL_OAUTH_CONF, else\n"
	           "%s/sasl-oauth.conf and ~/.config/sasl-oauth/config.\n"
	           "Exit status: 0 ok, 1 failure, 2 usage, 3 a new login is needed, 4 configuration\n"
	           "or permissions, 5 the identity provider (or tunnel's mail server) is unreachable\n"
	           "(try again later).\n",
	        SAO_SYSCONFDIR);
}

int main(int argc, char **argv)
{
	const cli_command_t *cmd = NULL;
	sao_settings_t *s = NULL;
	cli_args_t args;
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
		if (strcmp(argv[1], commands[i]->name) == 0)
			cmd = commands[i];
	}
	if (cmd == NULL) {
		fprintf(stderr, "sasl-oauth: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return SAO_EXIT_USAGE;
	}
	/* The command line is checked before the configuration is read: a
	 * usage error is exit 2 whatever the configuration says. */
	switch (cli_parse(cmd, argc - 1, argv + 1, &args)) {
	case CLI_PARSE_HELP: cli_help(cmd); return SAO_EXIT_OK;
	case CLI_PARSE_USAGE: return cli_usage_error(cmd, args.problem);
	case CLI_PARSE_OK: break;
	}
	/* Files we create hold tokens: nothing for group or others. A reader
	 * of our stdout that goes away (mutt) must not kill a cache write. */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	sao_error_clear(&err);
	if (sao_settings_load(&s, &err) != SAO_OK && !(cmd->config_optional && no_configuration(&err))) {
		if (err.code == SAO_ERR_NOTFOUND) {
			sao_error_clear(&err);
			sao_error_set(&err, SAO_ERR_CONFIG,
			              "no configuration file; create ~/.config/sasl-oauth/config or %s/sasl-oauth.conf with "
			              "an [account NAME] section, or run: sasl-oauth setup EMAIL",
			              SAO_SYSCONFDIR);
		}
		if (cmd->failed != NULL)
			cmd->failed(&args, &err);
		else
			cli_report(&err);
		return SAO_EXIT_CONFIG;
	}
	if (sao_grant_global_init(&err) != SAO_OK) {
		sao_settings_free(&s);
		return cmd->failed != NULL ? cmd->failed(&args, &err) : cli_report(&err);
	}
	code = cmd->run(s, &args);
	sao_grant_global_cleanup();
	sao_settings_free(&s);
	return code;
}
