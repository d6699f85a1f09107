/* SPDX-License-Identifier: MIT */
/* fuzz-device: a device authorization answer (RFC 8628 §3.2), whose
 * user_code and verification URI are printed for a person to follow. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "oauth/device.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_json_t *j = NULL;
	sao_error_t err;
	device_t d;

	memset(&d, 0, sizeof(d));
	sao_secret_init(&d.device_code, SAO_TOKEN_MAX);
	sao_error_clear(&err);
	if (sao_json_parse(data, size, "the identity provider's answer", &j, &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	if (device_parse(j, &d, "work", &err) != SAO_OK) {
		fuzz_check_error(&err);
		goto out;
	}
	fuzz_check_text("user_code", d.user_code);
	fuzz_check_text("verification_uri", d.uri);
	fuzz_check_text("verification_uri_complete", d.uri_complete);
	if (d.interval <= 0 || d.interval > 3600 || d.expires_in <= 0)
		fuzz_fail("device answer", "interval or expires_in out of range");
out:
	sao_secret_clear(&d.device_code);
	sao_json_free(&j);
	return 0;
}
