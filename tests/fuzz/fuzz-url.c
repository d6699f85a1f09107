/* SPDX-License-Identifier: MIT */
/* fuzz-url: the mail server URL of "sasl-oauth tunnel" (imaps://user@host).
 * The URL is the local user's own argument, and the parser's messages quote
 * it as given (control characters too): only memory safety and the parsed
 * fields are checked here, not the messages. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sasl-oauth/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_url_t url;
	sao_error_t err;
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sao_error_clear(&err);
	if (sao_url_parse(s, &url, &err) == SAO_OK) {
		long port = strtol(url.port, NULL, 10);

		if (memchr(url.user, '\0', sizeof(url.user)) == NULL || memchr(url.host, '\0', sizeof(url.host)) == NULL)
			fuzz_fail("url", "a field without its NUL");
		if (port < 1 || port > 65535 || url.host[0] == '\0')
			fuzz_fail("url", "a port out of range or no host accepted");
		fuzz_check_text("url scheme", sao_url_scheme(&url));
	}
	free(s);
	return 0;
}
