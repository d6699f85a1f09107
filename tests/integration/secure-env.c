/* SPDX-License-Identifier: MIT */
/*
 * secure-env: what the plugin's core takes from the environment, printed
 * for test-secure-env.sh, which runs a copy of this program with a file
 * capability (issue 13, defect 7). One "key=value" per line: whether the
 * process counts as privileged, the command the plugin would run to
 * refresh, the configuration file read, and the HOME a token command gets.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#ifdef HAVE_GETAUXVAL
#include <sys/auxv.h>
#endif

#include "sasl-oauth/proc.h"
#include "sasl-oauth/settings.h"

int main(void)
{
	sao_settings_t *s = NULL;
	sao_secret_t out;
	sao_error_t err;
	sao_err_t rc;

#ifdef HAVE_GETAUXVAL
	printf("at_secure=%lu\n", getauxval(AT_SECURE));
#else
	printf("at_secure=unknown\n");
#endif
	printf("secure=%d\n", sao_settings_secure());
	printf("cli=%s\n", sao_settings_cli_path());
	sao_error_clear(&err);
	rc = sao_settings_load(&s, &err);
	printf("config=%s\n", rc == SAO_OK && s->n_accounts > 0 ? s->accounts[0].file : "none");
	sao_settings_free(&s);
	sao_secret_init(&out, SAO_TOKEN_MAX);
	sao_error_clear(&err);
	rc = sao_proc_run("printenv HOME", NULL, 0, "printenv", 10000, &out, NULL, &err);
	printf("child_home=%.*s\n", rc == SAO_OK ? (int)out.len : 4, rc == SAO_OK ? (const char *)out.data : "none");
	sao_secret_clear(&out);
	return 0;
}
