/* SPDX-License-Identifier: MIT */
/* fuzz-pop3: one POP3 response line from a mail server. */
#include "config.h"

#include "fuzz.h"
#include "sasl-oauth/pop3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = NULL;
	size_t len = 0;
	sao_pop3_kind_t k = sao_pop3_parse((const char *)data, size, &text, &len);

	if (k != SAO_POP3_OK && k != SAO_POP3_ERR && k != SAO_POP3_CONTINUE && k != SAO_POP3_DATA)
		fuzz_fail("pop3", "no kind");
	if (text != NULL && ((const uint8_t *)text < data || (const uint8_t *)text + len > data + size))
		fuzz_fail("pop3", "text outside the line");
	return 0;
}
