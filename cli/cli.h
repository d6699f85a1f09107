/* SPDX-License-Identifier: MIT */
/*
 * cli: what the files of the sasl-oauth command share (private to cli/).
 *
 * A command is data (Dovecot's doveadm is the model): its name, help text,
 * its options as a const array of cli_option_t indexed by the command's own
 * enum (designated initializers), what its operands are, and the function
 * that runs it; its usage line is made from that data (cli_usage). main.c holds the table of commands, options.c
 * the one option parser, output.c every way a command prints (the token
 * formats raw, xoauth2 and json, and the human lines). One file per command
 * (login.c, token.c, refresh.c, forget.c, tunnel.c, test.c, setup.c, ...). A command calls the libraries for
 * everything else: none sends HTTP or edits a cache file itself.
 *
 * Output rules: a token goes to stdout only from "token"; every message
 * goes to stderr as one line "sasl-oauth: ..." (the plugin quotes that first
 * line in the mail program's error); refresh's per-account lines go to
 * stdout. No secret is ever taken from argv. Exit statuses: SAO_EXIT_*
 * (error.h), docs/cli.md.
 */
#ifndef SAO_CLI_H
#define SAO_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sasl-oauth/cache.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/settings.h"

#define CLI_OPTIONS_MAX 24  /* options of one command */
#define CLI_PROBLEM_MAX 256
#define CLI_USAGE_MAX   1024

typedef enum {
	CLI_FLAG,   /* --name */
	CLI_STRING, /* --name VALUE */
	CLI_NUMBER, /* --name N, a decimal integer from min to max */
	CLI_CHOICE  /* --name WORD, one of choices */
} cli_kind_t;

typedef struct cli_option {
	const char *name;           /* the long name, without "--" */
	cli_kind_t kind;
	const char *const *choices; /* CLI_CHOICE: the words, NULL-terminated */
	long min, max;              /* CLI_NUMBER: the range */
	const char *value;          /* CLI_STRING, CLI_NUMBER: the value's name in the usage
	                               ("URI", "SECONDS"; in lower case in a number's message) */
	int instead_of_operands;    /* CLI_FLAG: stands for "every account" (--all) */
	char short_name;            /* CLI_FLAG: also "-v"; 0 for none */
} cli_option_t;

typedef enum {
	CLI_ONE_ACCOUNT, /* exactly one operand */
	CLI_ACCOUNTS,    /* one or more, or the instead_of_operands flag, not both */
	CLI_ONE_URL,     /* exactly one operand, a mail server's URL (tunnel) */
	CLI_ONE_ADDRESS, /* exactly one mail address (setup: the account does not exist yet) */
	CLI_OPTIONAL_ACCOUNT /* none (every account) or one; usage "[ACCOUNT]" */
} cli_operands_t;

/* What the parser found. Index i is the command's option i. Values point
 * into argv. */
typedef struct cli_args {
	int given[CLI_OPTIONS_MAX];         /* 1 when the option was on the line */
	const char *value[CLI_OPTIONS_MAX]; /* CLI_STRING, CLI_NUMBER, CLI_CHOICE: as written */
	long number[CLI_OPTIONS_MAX];       /* CLI_NUMBER: the number; CLI_CHOICE: the word's index */
	char **operands;
	int n_operands;
	char problem[CLI_PROBLEM_MAX];      /* CLI_PARSE_USAGE: what is wrong, one line */
} cli_args_t;

typedef struct cli_command {
	const char *name;
	const char *help;            /* paragraphs after the usage line */
	const cli_option_t *options; /* n_options entries, at most CLI_OPTIONS_MAX */
	size_t n_options;
	cli_operands_t operands;
	int config_optional;         /* runs without any configuration file (s is then NULL) */
	/* Runs the command on parsed arguments; returns the exit status. */
	int (*run)(const sao_settings_t *s, const cli_args_t *args);
	/* Optional: reports a failure before run (no configuration), for a
	 * command whose caller reads a protocol, not stderr (tunnel); returns
	 * the exit status. NULL: cli_report. */
	int (*failed)(const cli_args_t *args, const sao_error_t *err);
} cli_command_t;

#define CLI_OPTIONS(array) .options = (array), .n_options = sizeof(array) / sizeof((array)[0])

/* A command file's definition: its name, operand rule and help, with the
 * file's "options" array and "run" function. */
#define CLI_COMMAND(name_, operands_, help_) \
	{ .name = (name_), .help = (help_), CLI_OPTIONS(options), .operands = (operands_), .run = run }

typedef enum {
	CLI_PARSE_OK,   /* run the command */
	CLI_PARSE_HELP, /* --help or -h was given: print the help, exit 0 */
	CLI_PARSE_USAGE /* args_r->problem says what is wrong: exit 2 */
} cli_parse_t;

/* options.c: parses argv (argv[0] is the command's name; getopt's own
 * messages start with it) against cmd's options and operand rule into
 * args_r. Long options only, "--name=value" and "--name value" alike, GNU
 * abbreviations, options and operands in any order, "--" ends the options.
 * Reorders argv (getopt_long). Not reentrant (getopt's state). */
cli_parse_t cli_parse(const cli_command_t *cmd, int argc, char **argv, cli_args_t *args_r);

/* options.c: the command's usage, from its options and operand rule, in
 * buf (CLI_USAGE_MAX bytes hold every one): "[--paste] [--timeout SECONDS]
 * [--format raw|xoauth2|json] ACCOUNT", "[--force] (--all | ACCOUNT...)".
 * Returns buf. */
const char *cli_usage(const cli_command_t *cmd, char *buf, size_t size);

/* main.c: the account named name, or the account that serves the user name
 * (so that mutt's "sasl-oauth token alice@contoso.com" works); one that
 * takes its tokens from a token_command is refused. NULL and err set when
 * there is none. */
const sao_account_t *cli_find_account(const sao_settings_t *s, const char *name, sao_error_t *err);

/* main.c: the account that serves the URL's user on its host; NULL and err
 * (SAO_ERR_CONFIG, with the fix) when none does. */
struct sao_url;
const sao_account_t *cli_url_account(const sao_settings_t *s, const struct sao_url *u, sao_error_t *err);

/* output.c ------------------------------------------------------------ */

/* The token formats, in the order of cli_formats (--format's choices). */
typedef enum { CLI_FORMAT_RAW, CLI_FORMAT_XOAUTH2, CLI_FORMAT_JSON } cli_format_t;
extern const char *const cli_formats[];

/* Writes tok to stdout in format f, one line: raw, the base64 XOAUTH2
 * initial response for user (NULL: the account's first user), or a JSON
 * object with its expiry. SAO_ERR_IO when stdout fails. */
sao_err_t cli_print_token(cli_format_t f, const sao_account_t *a, const char *user, const sao_token_t *tok,
                          sao_error_t *err);

/* The failure's message on stderr; returns its exit status. */
int cli_report(const sao_error_t *err);

/* A usage error on stderr (what, then the command's usage); returns 2. */
int cli_usage_error(const cli_command_t *cmd, const char *what);

/* The command's help on stdout. */
void cli_help(const cli_command_t *cmd);

/* A message line on stderr: "sasl-oauth: ...". */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A result line for one account on stdout: "NAME: ...". */
void cli_account_line(const sao_account_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "the access token expires at YYYY-MM-DD HH:MM:SSZ" for tok, in buf. */
const char *cli_expiry(const sao_token_t *tok, char *buf, size_t size);

/* s as a JSON string, quotes included, on f. */
void cli_json_string(FILE *f, const char *s);

/* ,"key":"value" on stdout (value as cli_json_string writes it). */
void cli_json_member(const char *key, const char *value);

/* Writes one check (claims.h) as "NAME: LEVEL: text; fix: fix" on stdout. */
struct sao_check;
void cli_check_line(const char *name, const struct sao_check *k);

/* test.c: "sasl-oauth test URL" with its defaults, as account a (setup
 * runs it after the sign-in); prints one line on stderr; returns the exit
 * status. */
int cli_test_login(const sao_account_t *a, const char *url);

/* The commands, each in its own file. */
extern const cli_command_t cli_setup, cli_login, cli_token, cli_refresh, cli_forget, cli_tunnel, cli_test,
	cli_inspect, cli_status, cli_config;

#endif
