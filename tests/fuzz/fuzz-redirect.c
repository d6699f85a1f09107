/* SPDX-License-Identifier: MIT */
/* fuzz-redirect: the query of the address a browser is sent back to (RFC
 * 6749 §4.1.2), parsed and judged against this login's state. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "sasl-oauth/redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char state_text[] = "s7Hq2kPz";
	sao_secret_t state;
	sao_redirect_t r;
	sao_error_t err;

	sao_secret_init(&state, 64);
	sao_redirect_init(&r);
	sao_error_clear(&err);
	if (sao_secret_set(&state, state_text, strlen(state_text), &err) != SAO_OK)
		goto out;
	if (sao_redirect_parse((const char *)data, size, "the address pasted for account 'work'", &r, &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	if (sao_redirect_check(&r, &state, "work", &err) == SAO_OK) {
		if (!r.has_code || !sao_redirect_state_ok(&r, &state))
			fuzz_fail("redirect", "accepted without a code or with another state");
	} else {
		fuzz_check_error(&err);
	}
out:
	sao_redirect_clear(&r);
	sao_secret_clear(&state);
	return 0;
}
