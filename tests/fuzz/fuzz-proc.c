/* SPDX-License-Identifier: MIT */
/* fuzz-proc: what a token command (or "sasl-oauth token", for the plugin)
 * prints: stdout, stderr and how it ended go through the judge that turns
 * them into the token or the message. Input: byte 0 picks how it ended
 * (exit 0, exit 3, a signal, unknown), byte 1 how many bytes are stdout
 * (a 256th of the rest each), the rest stdout then stderr. When byte 0 has
 * its high bit set, the rest is instead a command line for the splitter
 * (the configuration's token_command and a BROWSER entry, the latter with
 * "%s" replaced by an address). A token taken is printable text on one
 * line; every message is printable. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "lib/proc.c"

static void fuzz_split(const uint8_t *data, size_t size, int browser)
{
	plan_t p;
	sao_error_t err;
	char *line = malloc(size + 1);

	if (line == NULL)
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	sao_error_clear(&err);
	memset(&p, 0, sizeof(p));
	p.flags = browser ? SAO_PROC_NO_SHELL : 0;
	if (plan_build(line, browser ? "http://127.0.0.1:1/?a=%s&b" : NULL, "token command for account 'work'", "x",
	               &p, &err) != SAO_OK) {
		fuzz_check_error(&err);
	} else if (p.argv == NULL || p.argv[0] == NULL || p.n_programs == 0) {
		fuzz_fail("splitter", "a plan without a program");
	}
	plan_free(&p);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 0, 3 << 8, 9, -1 };
	outcome_t *o;
	plan_t p;
	sao_secret_t tok;
	sao_proc_exit_t ex;
	sao_error_t err;
	size_t out_len;
	int status;

	if (size < 2)
		return 0;
	if (data[0] & 0x80) {
		fuzz_split(data + 2, size - 2, (data[0] & 0x40) != 0);
		return 0;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return 0;
	status = statuses[data[0] % 4];
	out_len = (size - 2) * data[1] / 256;
	sao_secret_init(&o->out, SAO_TOKEN_MAX);
	sao_secret_init(&tok, SAO_TOKEN_MAX);
	sao_error_clear(&err);
	if (sao_secret_set(&o->out, data + 2, out_len, NULL) != SAO_OK)
		o->over_cap = 1;
	o->err_len = size - 2 - out_len < sizeof(o->err) ? size - 2 - out_len : sizeof(o->err);
	memcpy(o->err, data + 2 + out_len, o->err_len);
	if (status >= 0) {
		o->exited = 1;
		o->status_known = 1;
		o->status = status;
	}
	memset(&p, 0, sizeof(p));
	if (plan_build("pizauth show work", NULL, "token command for account 'work'", "pizauth show work", &p, &err) !=
	    SAO_OK)
		goto out;
	if (judge(o, &p, "token command for account 'work'", "pizauth show work", 30000, &tok, &ex, &err) == SAO_OK) {
		if (tok.len == 0)
			fuzz_fail("token command", "an empty token taken");
		for (size_t i = 0; i < tok.len; i++) {
			if (tok.data[i] < 0x20 || tok.data[i] == 0x7f)
				fuzz_fail("token command", "a control character in the token taken");
		}
	} else {
		fuzz_check_error(&err);
	}
	fuzz_check_text("exit line", ex.line);
out:
	plan_free(&p);
	sao_secret_clear(&tok);
	sao_secret_clear(&o->out);
	free(o);
	return 0;
}
