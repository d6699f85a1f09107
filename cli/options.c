/* SPDX-License-Identifier: MIT */
/*
 * options: the one parser of every command's options (cli.h). The options
 * are data; getopt_long does the scanning (abbreviations, "--name=value",
 * options after operands, "--"), so every command reads its line the way
 * GNU tools do, and prints getopt's own message for an unknown option.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define VAL_BASE 256 /* getopt_long's return for option i: VAL_BASE + i, clear of '?' and ':' */

static cli_parse_t problem(cli_args_t *args, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cli_parse_t problem(cli_args_t *args, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args->problem, sizeof(args->problem), fmt, ap);
	va_end(ap);
	return CLI_PARSE_USAGE;
}

/* Appends to buf (size bytes, *len used); a cut result stays a string. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	*len = n < 0 ? size : *len + (size_t)n;
}

/* "--format is raw, xoauth2 or json". */
static cli_parse_t bad_choice(const cli_option_t *o, cli_args_t *args)
{
	size_t n = 0, len = 0;

	while (o->choices[n] != NULL)
		n++;
	append(args->problem, sizeof(args->problem), &len, "--%s is", o->name);
	for (size_t i = 0; i < n; i++)
		append(args->problem, sizeof(args->problem), &len, "%s%s", i == 0 ? " " : i + 1 == n ? " or " : ", ",
		       o->choices[i]);
	return CLI_PARSE_USAGE;
}

/* "--timeout takes seconds from 1 to 86400": the value's name in lower case. */
static cli_parse_t bad_number(const cli_option_t *o, cli_args_t *args)
{
	char unit[32];
	size_t i;

	for (i = 0; o->value[i] != '\0' && i + 1 < sizeof(unit); i++)
		unit[i] = (char)tolower((unsigned char)o->value[i]);
	unit[i] = '\0';
	return problem(args, "--%s takes %s from %ld to %ld", o->name, unit, o->min, o->max);
}

/* Checks and keeps the value of option i. */
static cli_parse_t take_value(const cli_option_t *o, size_t i, const char *v, cli_args_t *args)
{
	char *end;
	long n;

	args->value[i] = v;
	switch (o->kind) {
	case CLI_NUMBER:
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0 || n < o->min || n > o->max)
			return bad_number(o, args);
		args->number[i] = n;
		break;
	case CLI_CHOICE:
		for (n = 0; o->choices[n] != NULL && strcmp(o->choices[n], v) != 0; n++)
			;
		if (o->choices[n] == NULL)
			return bad_choice(o, args);
		args->number[i] = n;
		break;
	case CLI_FLAG:
	case CLI_STRING: break;
	}
	return CLI_PARSE_OK;
}

/* The operand rule, once every option is read. */
static cli_parse_t check_operands(const cli_command_t *cmd, cli_args_t *args)
{
	const char *instead = NULL;
	int instead_given = 0;

	if (cmd->operands == CLI_ONE_ACCOUNT)
		return args->n_operands == 1 ? CLI_PARSE_OK : problem(args, "give one account");
	if (cmd->operands == CLI_OPTIONAL_ACCOUNT)
		return args->n_operands <= 1 ? CLI_PARSE_OK : problem(args, "give at most one account");
	if (cmd->operands == CLI_ONE_URL)
		return args->n_operands == 1 ? CLI_PARSE_OK : problem(args, "give one URL");
	if (cmd->operands == CLI_ONE_ADDRESS)
		return args->n_operands == 1 ? CLI_PARSE_OK : problem(args, "give one mail address");
	for (size_t i = 0; i < cmd->n_options; i++) {
		if (cmd->options[i].instead_of_operands) {
			instead = cmd->options[i].name;
			instead_given |= args->given[i];
		}
	}
	if (instead == NULL)
		return args->n_operands > 0 ? CLI_PARSE_OK : problem(args, "give one or more accounts");
	if (instead_given == (args->n_operands > 0))
		return problem(args, "give accounts or --%s, not both and not neither", instead);
	return CLI_PARSE_OK;
}

cli_parse_t cli_parse(const cli_command_t *cmd, int argc, char **argv, cli_args_t *args_r)
{
	struct option longopts[CLI_OPTIONS_MAX + 1];
	char shorts[CLI_OPTIONS_MAX + 1];
	size_t n_shorts = 0;
	cli_parse_t rc;
	int c;

	memset(args_r, 0, sizeof(*args_r));
	/* --help wins wherever it stands, before any other complaint. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return CLI_PARSE_HELP;
	}
	if (cmd->n_options > CLI_OPTIONS_MAX)
		return problem(args_r, "command '%s' declares more than %d options", cmd->name, CLI_OPTIONS_MAX);
	for (size_t i = 0; i < cmd->n_options; i++) {
		longopts[i].name = cmd->options[i].name;
		longopts[i].has_arg = cmd->options[i].kind == CLI_FLAG ? no_argument : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = VAL_BASE + (int)i;
		if (cmd->options[i].short_name != 0 && cmd->options[i].kind == CLI_FLAG)
			shorts[n_shorts++] = cmd->options[i].short_name;
	}
	shorts[n_shorts] = '\0';
	memset(&longopts[cmd->n_options], 0, sizeof(longopts[0]));
	optind = 0; /* GNU: start afresh, also after an earlier parse */
	for (;;) {
		c = getopt_long(argc, argv, shorts, longopts, NULL);
		if (c == -1)
			break;
		for (size_t i = 0; c > 0 && c < VAL_BASE && c != '?' && i < cmd->n_options; i++) {
			if (cmd->options[i].short_name == c)
				c = VAL_BASE + (int)i;
		}
		if (c < VAL_BASE || (size_t)(c - VAL_BASE) >= cmd->n_options)
			return problem(args_r, "unknown option");
		args_r->given[c - VAL_BASE] = 1;
		if (optarg == NULL)
			continue;
		rc = take_value(&cmd->options[c - VAL_BASE], (size_t)(c - VAL_BASE), optarg, args_r);
		if (rc != CLI_PARSE_OK)
			return rc;
	}
	args_r->operands = argv + optind;
	args_r->n_operands = argc - optind;
	return check_operands(cmd, args_r);
}

const char *cli_usage(const cli_command_t *cmd, char *buf, size_t size)
{
	const char *instead = NULL;
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cmd->n_options; i++) {
		const cli_option_t *o = &cmd->options[i];

		if (o->instead_of_operands) {
			instead = o->name;
			continue;
		}
		if (o->short_name != 0)
			append(buf, size, &len, "[-%c|--%s", o->short_name, o->name);
		else
			append(buf, size, &len, "[--%s", o->name);
		for (size_t c = 0; o->kind == CLI_CHOICE && o->choices[c] != NULL; c++)
			append(buf, size, &len, "%c%s", c == 0 ? ' ' : '|', o->choices[c]);
		if (o->kind == CLI_STRING || o->kind == CLI_NUMBER)
			append(buf, size, &len, " %s", o->value);
		append(buf, size, &len, "] ");
	}
	if (cmd->operands == CLI_ONE_ACCOUNT)
		append(buf, size, &len, "ACCOUNT");
	else if (cmd->operands == CLI_OPTIONAL_ACCOUNT)
		append(buf, size, &len, "[ACCOUNT]");
	else if (cmd->operands == CLI_ONE_URL)
		append(buf, size, &len, "URL");
	else if (cmd->operands == CLI_ONE_ADDRESS)
		append(buf, size, &len, "EMAIL");
	else if (instead != NULL)
		append(buf, size, &len, "(--%s | ACCOUNT...)", instead);
	else
		append(buf, size, &len, "ACCOUNT...");
	return buf;
}
