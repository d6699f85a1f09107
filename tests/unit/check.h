/* SPDX-License-Identifier: MIT */
/*
 * check: the few macros the table-driven unit tests share. A failed check
 * prints where and what, and makes the program exit 1 at the end; the
 * process never aborts early so one run reports every failing row.
 */
#ifndef SAO_TEST_CHECK_H
#define SAO_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		check_count++;                                                        \
		if (!(cond)) {                                                        \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                               \
		}                                                                     \
	} while (0)

#define CHECK_MSG(cond, ...)                                                          \
	do {                                                                          \
		check_count++;                                                        \
		if (!(cond)) {                                                        \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
			        #cond);                                               \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
		}                                                                     \
	} while (0)

/* Byte-exact comparison with a readable dump on mismatch. */
#define CHECK_BYTES(got, gotlen, want, wantlen) \
	check_bytes(__FILE__, __LINE__, (const void *)(got), (gotlen), (const void *)(want), (wantlen))

static inline void check_dump(const char *label, const unsigned char *p, size_t n)
{
	fprintf(stderr, "  %s (%zu): \"", label, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	}
	fputs("\"\n", stderr);
}

static inline void check_bytes(const char *file, int line, const void *got, size_t gotlen,
                               const void *want, size_t wantlen)
{
	check_count++;
	if (gotlen == wantlen && (wantlen == 0 || memcmp(got, want, wantlen) == 0))
		return;
	check_failures++;
	fprintf(stderr, "%s:%d: bytes differ\n", file, line);
	check_dump("got ", got, gotlen);
	check_dump("want", want, wantlen);
}

/* The first 8 KiB of a file as a string (a static buffer), or NULL. */
static inline const char *check_read_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Call at the end of main: prints a summary and gives the exit status. */
static inline int check_done(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif
