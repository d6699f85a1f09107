/* SPDX-License-Identifier: MIT */
/* fuzz-imap: one IMAP response line from a mail server (the tunnel's and
 * "sasl-oauth test"'s login dialogue), and the capability list in it. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "sasl-oauth/imap.h"

static void inside(const char *what, const char *p, size_t n, const uint8_t *data, size_t size)
{
	if (p != NULL && ((const uint8_t *)p < data || (const uint8_t *)p + n > data + size))
		fuzz_fail(what, "points outside the line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_imap_line_t l;
	sao_error_t err;
	const char *caps;
	size_t caps_len = 0;

	sao_error_clear(&err);
	memset(&l, 0, sizeof(l));
	if (sao_imap_parse((const char *)data, size, &l, &err) != SAO_OK) {
		fuzz_check_error(&err);
		return 0;
	}
	inside("tag", l.tag, l.tag_len, data, size);
	inside("word", l.word, l.word_len, data, size);
	inside("code", l.code, l.code_len, data, size);
	inside("text", l.text, l.text_len, data, size);
	caps = sao_imap_caps(&l, &caps_len);
	if (caps != NULL) {
		inside("caps", caps, caps_len, data, size);
		(void)sao_imap_has_cap(caps, caps_len, "AUTH=XOAUTH2");
		(void)sao_imap_has_cap(caps, caps_len, "SASL-IR");
	}
	return 0;
}
