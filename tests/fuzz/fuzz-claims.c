/* SPDX-License-Identifier: MIT */
/* fuzz-claims: JWT decoding (lib/claims.c): an access token as the
 * provider issued it, read by "sasl-oauth inspect" and the diagnosis. The
 * claims shown are NUL-terminated text. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "sasl-oauth/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sao_claims_t c;
	sao_error_t err;

	sao_error_clear(&err);
	memset(&c, 0, sizeof(c));
	if (sao_claims_decode(data, size, &c, &err) != SAO_OK)
		return 0;
	if (memchr(c.aud, '\0', sizeof(c.aud)) == NULL || memchr(c.user, '\0', sizeof(c.user)) == NULL ||
	    memchr(c.scp, '\0', sizeof(c.scp)) == NULL || memchr(c.roles, '\0', sizeof(c.roles)) == NULL)
		fuzz_fail("claims", "a claim without its NUL");
	(void)sao_claims_app_only(&c);
	return 0;
}
