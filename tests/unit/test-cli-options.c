/* SPDX-License-Identifier: MIT */
/*
 * The CLI's one option parser (cli/options.c), table-driven: flags, values
 * ("--name value" and "--name=value"), numbers and their range, choices,
 * unknown and ambiguous options, missing values, a value given to a flag,
 * operands in any place and after "--", the operand rules, --help
 * winning over every complaint, and the usage line made from the data.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"

enum { O_PASTE, O_BROWSER, O_TIMEOUT, O_FORMAT };
static const char *const formats[] = { "raw", "xoauth2", "json", NULL };
static const cli_option_t one_options[] = {
	[O_PASTE] = { .name = "paste", .kind = CLI_FLAG },
	[O_BROWSER] = { .name = "browser", .kind = CLI_STRING, .value = "CMD" },
	[O_TIMEOUT] = { .name = "timeout", .kind = CLI_NUMBER, .min = 1, .max = 86400, .value = "SECONDS" },
	[O_FORMAT] = { .name = "format", .kind = CLI_CHOICE, .choices = formats },
};
static const cli_command_t one = { .name = "one", CLI_OPTIONS(one_options), .operands = CLI_ONE_ACCOUNT };

enum { M_ALL, M_FORCE };
static const cli_option_t many_options[] = {
	[M_ALL] = { .name = "all", .kind = CLI_FLAG, .instead_of_operands = 1 },
	[M_FORCE] = { .name = "force", .kind = CLI_FLAG },
};
static const cli_command_t many = { .name = "many", CLI_OPTIONS(many_options), .operands = CLI_ACCOUNTS };

static const cli_option_t plain_options[] = { { .name = "force", .kind = CLI_FLAG } };
static const cli_command_t plain = { .name = "plain", CLI_OPTIONS(plain_options), .operands = CLI_ACCOUNTS };

static const cli_option_t two_options[] = {
	{ .name = "format", .kind = CLI_CHOICE, .choices = formats },
	{ .name = "force", .kind = CLI_FLAG },
};
static const cli_command_t two = { .name = "two", CLI_OPTIONS(two_options), .operands = CLI_ONE_ACCOUNT };

/* One more than the parser holds; the parser refuses it before reading any. */
static const cli_option_t nine_options[CLI_OPTIONS_MAX + 1] = {
	{ .name = "a" }, { .name = "b" }, { .name = "c" }, { .name = "d" }, { .name = "e" },
	{ .name = "f" }, { .name = "g" }, { .name = "h" }, { .name = "i" },
};
static const cli_command_t nine = { .name = "nine", CLI_OPTIONS(nine_options), .operands = CLI_ACCOUNTS };

typedef struct row {
	const char *name;
	const cli_command_t *cmd;
	const char *argv[10];   /* after the command's name; NULL ends */
	cli_parse_t want;
	const char *problem;    /* CLI_PARSE_USAGE: the whole message; NULL: any */
	unsigned given;         /* CLI_PARSE_OK: bit i for option i */
	const char *value;      /* the last option with a value: as written */
	long number;            /* its number or choice index */
	const char *operands;   /* joined with ' ' */
} row_t;

#define BIT(i) (1u << (i))
/* A line refused with problem p; a line that asks for the help. */
#define REFUSED(n, c, p, ...) { .name = n, .cmd = &c, .argv = { __VA_ARGS__ }, .want = CLI_PARSE_USAGE, .problem = p }
#define HELP(n, c, ...) { .name = n, .cmd = &c, .argv = { __VA_ARGS__ }, .want = CLI_PARSE_HELP }
#define UNKNOWN "unknown option"
#define BAD_TIMEOUT "--timeout takes seconds from 1 to 86400"
#define BAD_FORMAT "--format is raw, xoauth2 or json"
#define NOT_BOTH "give accounts or --all, not both and not neither"

static const row_t rows[] = {
	/* Flags, values, numbers, choices. */
	{ .name = "one operand", .cmd = &one, .argv = { "work" }, .want = CLI_PARSE_OK, .operands = "work" },
	{ .name = "flag", .cmd = &one, .argv = { "--paste", "work" }, .want = CLI_PARSE_OK, .given = BIT(O_PASTE),
	  .operands = "work" },
	{ .name = "string value", .cmd = &one, .argv = { "--browser", "firefox", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_BROWSER), .value = "firefox", .operands = "work" },
	{ .name = "string --opt=value", .cmd = &one, .argv = { "--browser=w3m -dump", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_BROWSER), .value = "w3m -dump", .operands = "work" },
	{ .name = "empty value", .cmd = &one, .argv = { "--browser=", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_BROWSER), .value = "", .operands = "work" },
	{ .name = "number", .cmd = &one, .argv = { "--timeout", "30", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_TIMEOUT), .value = "30", .number = 30, .operands = "work" },
	{ .name = "number at its maximum", .cmd = &one, .argv = { "--timeout=86400", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_TIMEOUT), .value = "86400", .number = 86400, .operands = "work" },
	{ .name = "choice", .cmd = &one, .argv = { "--format", "json", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_FORMAT), .value = "json", .number = 2, .operands = "work" },
	{ .name = "abbreviation", .cmd = &one, .argv = { "--form=xoauth2", "work" }, .want = CLI_PARSE_OK,
	  .given = BIT(O_FORMAT), .value = "xoauth2", .number = 1, .operands = "work" },
	{ .name = "options after the operand", .cmd = &one, .argv = { "work", "--paste", "--format", "raw" },
	  .want = CLI_PARSE_OK, .given = BIT(O_PASTE) | BIT(O_FORMAT), .value = "raw", .number = 0,
	  .operands = "work" },
	{ .name = "-- ends the options", .cmd = &one, .argv = { "--", "--paste" }, .want = CLI_PARSE_OK,
	  .operands = "--paste" },
	{ .name = "a lone dash is an operand", .cmd = &one, .argv = { "-" }, .want = CLI_PARSE_OK, .operands = "-" },
	/* Unknown options and missing values. */
	REFUSED("unknown option", one, UNKNOWN, "--bogus", "work"),
	REFUSED("short option", one, UNKNOWN, "-p", "work"),
	REFUSED("missing value", one, UNKNOWN, "work", "--browser"),
	REFUSED("value for a flag", one, UNKNOWN, "--paste=yes", "work"),
	{ .name = "one-letter abbreviation", .cmd = &many, .argv = { "--f", "--a" }, .want = CLI_PARSE_OK,
	  .given = BIT(M_FORCE) | BIT(M_ALL) },
	REFUSED("ambiguous abbreviation", two, UNKNOWN, "--for", "json", "work"),
	REFUSED("number too small", one, BAD_TIMEOUT, "--timeout", "0", "work"),
	REFUSED("number too large", one, BAD_TIMEOUT, "--timeout=86401", "work"),
	REFUSED("number with a unit", one, BAD_TIMEOUT, "--timeout=30s", "work"),
	REFUSED("empty number", one, BAD_TIMEOUT, "--timeout=", "work"),
	REFUSED("number out of long's range", one, BAD_TIMEOUT, "--timeout=99999999999999999999", "work"),
	REFUSED("unknown choice", one, BAD_FORMAT, "--format", "bogus", "work"),
	REFUSED("choices are exact", one, BAD_FORMAT, "--format=JSON", "work"),
	/* Operand rules. */
	REFUSED("no operand", one, "give one account", "--paste"),
	REFUSED("two operands", one, "give one account", "work", "home"),
	{ .name = "accounts", .cmd = &many, .argv = { "work", "--force", "home" }, .want = CLI_PARSE_OK,
	  .given = BIT(M_FORCE), .operands = "work home" },
	{ .name = "--all instead", .cmd = &many, .argv = { "--all" }, .want = CLI_PARSE_OK, .given = BIT(M_ALL) },
	REFUSED("neither", many, NOT_BOTH, "--force"),
	REFUSED("both", many, NOT_BOTH, "--all", "work"),
	REFUSED("accounts, no --all to stand in", plain, "give one or more accounts", "--force"),
	/* --help wins wherever it stands. */
	HELP("--help", one, "--help"),
	HELP("-h", many, "-h"),
	HELP("--help after a bad option", one, "--bogus", "--timeout=0", "--help"),
	REFUSED("--help is not abbreviated", one, UNKNOWN, "--hel", "work"),
	/* A table larger than the parser holds is refused, not overrun. */
	REFUSED("too many options", nine, "command 'nine' declares more than 24 options", "work"),
};

static void run_row(const row_t *r)
{
	char *argv[12];
	char joined[256] = "";
	cli_args_t args;
	cli_parse_t got;
	int argc = 0;
	unsigned given = 0;
	int last = -1;

	argv[argc++] = (char *)r->cmd->name;
	for (size_t i = 0; r->argv[i] != NULL; i++)
		argv[argc++] = (char *)r->argv[i];
	argv[argc] = NULL;
	got = cli_parse(r->cmd, argc, argv, &args);
	CHECK_MSG(got == r->want, "%s: result %d, want %d (%s)", r->name, got, r->want, args.problem);
	if (got != r->want)
		return;
	if (got == CLI_PARSE_USAGE && r->problem != NULL)
		CHECK_MSG(strcmp(args.problem, r->problem) == 0, "%s: problem '%s', want '%s'", r->name, args.problem,
		          r->problem);
	if (got != CLI_PARSE_OK)
		return;
	for (size_t i = 0; i < r->cmd->n_options; i++) {
		if (!args.given[i])
			continue;
		given |= BIT(i);
		if (r->cmd->options[i].kind != CLI_FLAG)
			last = (int)i;
	}
	CHECK_MSG(given == r->given, "%s: given %#x, want %#x", r->name, given, r->given);
	if (r->value != NULL && last >= 0) {
		CHECK_MSG(strcmp(args.value[last], r->value) == 0,
	  "%s: value '%s', want '%s'", r->name, args.value[last],
		          r->value);
		if (r->cmd->options[last].kind != CLI_STRING)
			CHECK_MSG(args.number[last] == r->number,
	  "%s: number %ld, want %ld", r->name, args.number[last],
			          r->number);
	} else {
		CHECK_MSG(r->value == NULL && last < 0, "%s: an option value was %s", r->name,
		          last < 0 ? "not found" : "not expected");
	}
	for (int i = 0; i < args.n_operands; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
	  "%s%s", i ? " " : "", args.operands[i]);
	CHECK_MSG(strcmp(joined, r->operands != NULL ? r->operands : "") == 0,
	  "%s: operands '%s', want '%s'", r->name,
	          joined, r->operands != NULL ? r->operands : "");
}

/* The usage line comes from the same data. */
static void test_usage(void)
{
	static const struct {
		const cli_command_t *cmd;
		const char *want;
	} usages[] = {
		{ &one, "[--paste] [--browser CMD] [--timeout SECONDS] [--format raw|xoauth2|json] ACCOUNT" },
		{ &many, "[--force] (--all | ACCOUNT...)" },
		{ &plain, "[--force] ACCOUNT..." },
	};
	char buf[CLI_USAGE_MAX];

	for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		CHECK_MSG(strcmp(cli_usage(usages[i].cmd, buf, sizeof(buf)), usages[i].want) == 0, "usage '%s', want '%s'",
		          buf, usages[i].want);
	/* A buffer too small cuts the line and keeps it a string. */
	CHECK(strcmp(cli_usage(&one, buf, 10), "[--paste]") == 0);
	CHECK(strcmp(cli_usage(&many, buf, 1), "") == 0);
}

/* A second parse starts afresh: getopt's state does not leak between
 * commands (or rows above). */
static void test_reparse(void)
{
	char *a1[] = { "one", "--paste", "work", NULL };
	char *a2[] = { "one", "home", NULL };
	cli_args_t args;

	CHECK(cli_parse(&one, 3, a1, &args) == CLI_PARSE_OK && args.given[O_PASTE]);
	CHECK(cli_parse(&one, 2, a2, &args) == CLI_PARSE_OK && !args.given[O_PASTE] && args.n_operands == 1 &&
	      strcmp(args.operands[0], "home") == 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_reparse();
	test_usage();
	return check_done("test-cli-options");
}
