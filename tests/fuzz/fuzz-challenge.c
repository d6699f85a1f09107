/* SPDX-License-Identifier: MIT */
/* fuzz-challenge: a mail server's error challenge (RFC 7628 §3.2.2), the
 * bytes a hostile server sends into every plugin host. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "sasl-oauth/challenge.h"

/* Each field is NUL-terminated and printable: it goes into messages. */
static void check_field(const char *f, size_t size)
{
	if (memchr(f, '\0', size) == NULL)
		fuzz_fail("challenge field", "not NUL-terminated");
	fuzz_check_text("challenge field", f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_challenge_t ch;
	sao_error_t err;

	sao_error_clear(&err);
	if (sao_challenge_parse(data, size, &ch, &err) == SAO_OK) {
		check_field(ch.status, sizeof(ch.status));
		check_field(ch.schemes, sizeof(ch.schemes));
		check_field(ch.scope, sizeof(ch.scope));
		check_field(ch.openid_configuration, sizeof(ch.openid_configuration));
		fuzz_check_text("challenge cause", sao_challenge_cause(&ch));
	} else {
		fuzz_check_error(&err);
	}
	return 0;
}
