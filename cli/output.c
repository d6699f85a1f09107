/* SPDX-License-Identifier: MIT */
/*
 * output: every way the sasl-oauth command prints (cli.h): the token
 * formats (raw, xoauth2, json) on stdout, and the human lines, messages on
 * stderr and per-account results on stdout.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sasl-oauth/claims.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/crypto.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/mech.h"

const char *const cli_formats[] = { [CLI_FORMAT_RAW] = "raw", [CLI_FORMAT_XOAUTH2] = "xoauth2",
	                            [CLI_FORMAT_JSON] = "json", NULL };

/* The base64 XOAUTH2 initial response, as the plugin sends it. */
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

sao_err_t cli_print_token(cli_format_t f, const sao_account_t *a, const char *user, const sao_token_t *tok,
                          sao_error_t *err)
{
	sao_secret_t out;
	sao_err_t rc = SAO_ERR_INTERNAL;

	/* Every copy of the token is a secret buffer, wiped when done. */
	sao_secret_init(&out, 2 * SAO_TOKEN_MAX + 4096);
	switch (f) {
	case CLI_FORMAT_RAW: rc = sao_secret_set(&out, tok->access_token.data, tok->access_token.len, err); break;
	case CLI_FORMAT_XOAUTH2: rc = format_xoauth2(a, user, tok, &out, err); break;
	case CLI_FORMAT_JSON: rc = format_json(a, tok, &out, err); break;
	}
	if (rc == SAO_OK && (fwrite(out.data, 1, out.len, stdout) != out.len || fputc('\n', stdout) == EOF ||
	                     fflush(stdout) != 0))
		rc = sao_error_set(err, SAO_ERR_IO, "cannot write the token to standard output");
	sao_secret_clear(&out);
	return rc;
}

int cli_report(const sao_error_t *err)
{
	fprintf(stderr, "sasl-oauth: %s\n", err->msg[0] != '\0' ? err->msg : sao_strerror(err->code));
	return sao_exit_status(err->code);
}

int cli_usage_error(const cli_command_t *cmd, const char *what)
{
	char usage[CLI_USAGE_MAX];

	fprintf(stderr, "sasl-oauth: %s\nusage: sasl-oauth %s %s\n", what, cmd->name,
	        cli_usage(cmd, usage, sizeof(usage)));
	return SAO_EXIT_USAGE;
}

void cli_help(const cli_command_t *cmd)
{
	char usage[CLI_USAGE_MAX];

	printf("usage: sasl-oauth %s %s\n\n%s", cmd->name, cli_usage(cmd, usage, sizeof(usage)), cmd->help);
}

void cli_say(const char *fmt, ...)
{
	va_list ap;

	fputs("sasl-oauth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_account_line(const sao_account_t *a, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", a->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *cli_expiry(const sao_token_t *tok, char *buf, size_t size)
{
	char when[64];

	sao_clock_utc(tok->expires_at, when, sizeof(when));
	snprintf(buf, size, "the access token expires at %s", when);
	return buf;
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void cli_json_member(const char *key, const char *value)
{
	printf(",\"%s\":", key);
	cli_json_string(stdout, value);
}

void cli_check_line(const char *name, const struct sao_check *k)
{
	printf("%s: %s: %s", name, sao_check_level_name(k->level), k->text);
	if (k->fix[0] != '\0')
		printf("; fix: %s", k->fix);
	putchar('\n');
}
