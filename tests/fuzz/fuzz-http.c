/* SPDX-License-Identifier: MIT */
/* fuzz-http: what the HTTP client reads from an identity provider besides
 * the body, the response header lines (Retry-After of a 429 or 503), and
 * the endpoint URLs it checks before a request (https only, no userinfo,
 * plain http only to loopback) and shows in messages. Input: header lines
 * separated by '\n'; the whole input is also tried as a URL. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "oauth/http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_secret_t body;
	transfer_t t;
	url_parts_t u;
	char shown[256];
	char *url;
	size_t off = 0;

	sao_secret_init(&body, SAO_HTTP_BODY_MAX);
	memset(&t, 0, sizeof(t));
	t.body = &body;
	t.retry_after = RETRY_AFTER_NONE;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl != NULL ? (size_t)(nl - data - off) + 1 : size - off;
		char *line = malloc(n);

		if (line == NULL)
			break;
		memcpy(line, data + off, n);
		if (header_cb(line, 1, n, &t) != n)
			fuzz_fail("header_cb", "a header line not taken whole");
		free(line);
		off += n;
	}
	if (t.retry_after != RETRY_AFTER_NONE && t.retry_after < 0)
		fuzz_fail("Retry-After", "negative");
	url = malloc(size + 1);
	if (url != NULL) {
		memcpy(url, data, size);
		url[size] = '\0';
		if (url_split(url, &u)) {
			const char *auth = url + (u.https ? 8 : 7);
			size_t alen = strcspn(auth, "/?#");

			if (memchr(auth, '@', alen) != NULL)
				fuzz_fail("url_split", "userinfo accepted");
			if (!u.https && !host_is_loopback(u.host))
				fuzz_fail("url_split", "plain http to a host that is not loopback");
		}
		url_shown(url, shown, sizeof(shown));
		fuzz_check_text("URL shown", shown);
		host_of(url, shown, sizeof(shown));
		fuzz_check_text("host shown", shown);
		free(url);
	}
	sao_secret_clear(&body);
	return 0;
}
