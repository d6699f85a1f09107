/* SPDX-License-Identifier: MIT */
/*
 * first: how long a mechanism takes to produce its first client response.
 * Initialises libsasl2 once with a GETPATH callback, then loops
 * sasl_client_new + sasl_client_start + sasl_dispose and times only
 * sasl_client_start. Callbacks are registered the way Postfix does
 * (AUTHNAME, USER, PASS procs); with --interact yes they are registered
 * without procs and the prompts are answered the way mbsync does (needed
 * for kdexoauth2, which calls the PASS callback with the getsimple
 * prototype and so crashes a Postfix-style client).
 *
 *   first --path DIR --mech MECH --user U [--password P] [--count N]
 *         [--expect PREFIX] [--interact yes]
 *
 * Prints "us_per_call=F maxrss_kb=N calls=N". Exit 0 on success, 1 when a
 * call fails or the first response does not start with PREFIX, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sasl/sasl.h>

#include "testlib.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	static sasl_callback_t global[] = {
		{ SASL_CB_GETPATH, TEST_SASL_PROC(test_sasl_getpath), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	const char *mech = NULL, *expect = NULL;
	int interact = 0;
	long count = 10000;
	double total = 0;
	struct rusage ru;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (strcmp(a, "--path") == 0)
			test_sasl.path = v;
		else if (strcmp(a, "--mech") == 0)
			mech = v;
		else if (strcmp(a, "--user") == 0)
			test_sasl.authname = test_sasl.user = v;
		else if (strcmp(a, "--password") == 0)
			test_sasl.password = v;
		else if (strcmp(a, "--count") == 0) {
			char *end;

			count = strtol(v, &end, 10);
			if (*end != '\0' || count <= 0)
				goto usage;
		} else if (strcmp(a, "--expect") == 0)
			expect = v;
		else if (strcmp(a, "--interact") == 0)
			interact = strcmp(v, "yes") == 0;
		else
			goto usage;
	}
	if (test_sasl.path == NULL || mech == NULL || test_sasl.authname == NULL)
		goto usage;
	if (sasl_client_init(global) != SASL_OK) {
		fprintf(stderr, "first: sasl_client_init failed\n");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		sasl_conn_t *conn = NULL;
		sasl_interact_t *prompts = NULL;
		const char *out = NULL, *chosen = NULL;
		unsigned outlen = 0;
		/* Prompts (mbsync), or procs without GETPATH (Postfix). */
		sasl_callback_t *cbs = interact ? test_sasl_prompts : test_sasl_callbacks + 1;
		double t0;
		int rc;

		if (sasl_client_new("imap", "localhost", NULL, "127.0.0.1;993", cbs, 0, &conn) != SASL_OK) {
			fprintf(stderr, "first: sasl_client_new failed\n");
			return 1;
		}
		t0 = now_us();
		rc = sasl_client_start(conn, mech, &prompts, &out, &outlen, &chosen);
		while (rc == SASL_INTERACT && test_sasl_answer(prompts) == 0)
			rc = sasl_client_start(conn, mech, &prompts, &out, &outlen, &chosen);
		total += now_us() - t0;
		if (rc != SASL_OK && rc != SASL_CONTINUE) {
			fprintf(stderr, "first: sasl_client_start %s: %s\n", mech, sasl_errdetail(conn));
			return 1;
		}
		if (strcmp(chosen, mech) != 0 || outlen == 0 ||
		    (expect != NULL && (outlen < strlen(expect) || memcmp(out, expect, strlen(expect)) != 0))) {
			fprintf(stderr, "first: unexpected first response from %s\n", chosen);
			return 1;
		}
		sasl_dispose(&conn);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("us_per_call=%.3f maxrss_kb=%ld calls=%ld\n", total / (double)count, ru.ru_maxrss, count);
	sasl_done();
	return 0;
usage:
	fprintf(stderr, "usage: first --path DIR --mech MECH --user U [--password P] [--count N] [--expect PREFIX] [--interact yes]\n");
	return 2;
}
