/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h: what the libFuzzer targets share. Each target is one file
 * tests/fuzz/fuzz-NAME.c with LLVMFuzzerTestOneInput; "make fuzz" builds
 * them with clang against lib/ and oauth/ compiled with the sanitizers.
 * Targets that need a module's static parser include its .c file: the
 * archive they link then never brings in that module's own object.
 *
 * Besides the sanitizers, a target checks the invariants a parser
 * promises and calls fuzz_fail() (which aborts, so libFuzzer keeps the
 * input) when one does not hold. The one every target checks: a message
 * that can reach a terminal or a log never holds a control character
 * from the input (issue 13, defect 6).
 */
#ifndef SAO_FUZZ_H
#define SAO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sasl-oauth/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

/* A message for people: printable text, no escape sequence, one line. */
static inline void fuzz_check_text(const char *what, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fuzz_fail(what, "a control character reaches a message");
	}
}

static inline void fuzz_check_error(const sao_error_t *err)
{
	fuzz_check_text("error message", err->msg);
}

/* A private directory on tmpfs when there is one (fsync is free there),
 * made once per process. */
const char *fuzz_dir(void);

/* Unlinks every file in a directory (flat: the targets make no subdirectories). */
void fuzz_empty_dir(const char *path_of_dir);

#endif
