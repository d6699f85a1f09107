/* SPDX-License-Identifier: MIT */
/* fuzz-token: a token endpoint's answer (RFC 6749 §5.1, §5.2), success or
 * error, as the CLI reads it after every refresh and login: the body and,
 * in its first byte, the HTTP status class. Whatever the provider says,
 * the message a person sees is printable (issue 13, defect 6) and a token
 * taken is printable text. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "oauth/grant.c"

static void check_secret(const char *what, const sao_secret_t *s)
{
	for (size_t i = 0; i < s->len; i++) {
		if (s->data[i] <= 0x20 || s->data[i] >= 0x7f)
			fuzz_fail(what, "a token that is not printable text was taken");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 503 };
	sao_account_t account;
	sao_client_t client;
	sao_json_t *j = NULL;
	sao_token_t tok;
	sao_error_t err;
	char oauth_error[SAO_OAUTH_ERROR_MAX];
	long status;

	if (size < 1)
		return 0;
	status = statuses[data[0] % 4];
	data++;
	size--;
	memset(&account, 0, sizeof(account));
	account.name = (char *)"work";
	memset(&client, 0, sizeof(client));
	client.account = &account;
	sao_error_clear(&err);
	sao_token_init(&tok);
	if (sao_json_parse(data, size, "the identity provider's answer", &j, &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	/* What sao_grant_post() does with an answer. */
	if (status != 200 || sao_json_get_string(j, "error", NULL) != NULL) {
		(void)oauth_failure(&client, j, status, "refreshing the token of account 'work'", oauth_error, &err);
		fuzz_check_error(&err);
		goto out;
	}
	if (sao_grant_parse_token(j, 1700000000, "refreshing the token of account 'work'", &tok, &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	check_secret("access_token", &tok.access_token);
	check_secret("refresh_token", &tok.refresh_token);
	if (tok.expires_at <= 1700000000)
		fuzz_fail("expires_at", "a token taken that expired already");
out:
	sao_token_clear(&tok);
	sao_json_free(&j);
	return 0;
}
