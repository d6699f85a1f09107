/* SPDX-License-Identifier: MIT */
/* fuzz-loopback: what anything on 127.0.0.1 sends to the listener of an
 * authorization-code login (RFC 8252 §7.3), fed in the pieces recv() might
 * return. The first byte picks the piece size. A request is taken only
 * with this login's state; every other one is answered and the listener
 * keeps waiting. Answers go to descriptor -1 (send fails, as with a
 * browser that hung up), so the pages are still built. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "oauth/loopback.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char state_text[] = "s7Hq2kPz";
	sao_loopback_t l;
	sao_loopback_conn_t *k;
	sao_secret_t state;
	sao_redirect_t r;
	sao_error_t err;
	want_t w;
	size_t piece, off = 0;
	int done = 0;

	if (size < 1)
		return 0;
	piece = (size_t)data[0] * 7 + 1;
	data++;
	size--;
	sao_loopback_init(&l);
	l.port = 1234;
	k = &l.conns[0];
	sao_secret_init(&state, 64);
	sao_redirect_init(&r);
	sao_error_clear(&err);
	if (sao_secret_set(&state, state_text, strlen(state_text), &err) != SAO_OK)
		goto out;
	w.state = &state;
	w.name = "work";
	w.note = NULL;
	w.r = &r;
	while (off < size && !done) {
		size_t n = size - off < piece ? size - off : piece;
		int fr = conn_feed(k, (const char *)data + off, n);

		off += n;
		if (fr < 0) {
			conn_reset(k);
		} else if (fr == 1) {
			int rq = conn_request(&l, k, &w, &err);

			if (rq == 1) {
				if (!r.has_state || !sao_redirect_state_ok(&r, &state))
					fuzz_fail("loopback", "a redirect taken without this login's state");
				done = 1;
			} else if (rq < 0) {
				fuzz_check_error(&err);
			}
			conn_reset(k);
		}
		if (k->line.len > SAO_LOOPBACK_LINE_MAX || k->head_len > SAO_LOOPBACK_HEAD_MAX)
			fuzz_fail("loopback", "a cap was exceeded");
	}
out:
	sao_loopback_close(&l);
	sao_redirect_clear(&r);
	sao_secret_clear(&state);
	return 0;
}
