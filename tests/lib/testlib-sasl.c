/* SPDX-License-Identifier: MIT */
/* testlib-sasl: the SASL callbacks every test client registers (testlib.h).
 * libsasl2 and libc only, so bench/ builds it with one compiler call. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

struct test_sasl test_sasl;

int test_sasl_getpath(void *ctx, const char **path_r)
{
	(void)ctx;
	*path_r = test_sasl.path;
	return test_sasl.path != NULL ? SASL_OK : SASL_FAIL;
}

int test_sasl_getsimple(void *ctx, int id, const char **result_r, unsigned *len_r)
{
	(void)ctx;
	*result_r = id == SASL_CB_USER ? test_sasl.user : test_sasl.authname;
	if (*result_r == NULL)
		*result_r = "";
	if (len_r != NULL)
		*len_r = (unsigned)strlen(*result_r);
	return SASL_OK;
}

/* libsasl2 keeps the pointer until the next call: one buffer, replaced only
 * when the password changes (a benchmark loop pays no allocation). */
int test_sasl_getsecret(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **secret_r)
{
	static sasl_secret_t *s;
	size_t n;

	(void)conn;
	(void)ctx;
	(void)id;
	if (test_sasl.password == NULL)
		return SASL_FAIL;
	n = strlen(test_sasl.password);
	if (s == NULL || s->len != n || memcmp(s->data, test_sasl.password, n) != 0) {
		free(s);
		s = malloc(sizeof(*s) + n + 1);
		if (s == NULL)
			return SASL_NOMEM;
		s->len = n;
		memcpy(s->data, test_sasl.password, n + 1);
	}
	*secret_r = s;
	return SASL_OK;
}

int test_sasl_answer(sasl_interact_t *prompts)
{
	for (sasl_interact_t *p = prompts; p != NULL && p->id != SASL_CB_LIST_END; p++) {
		const char *v = p->id == SASL_CB_PASS                          ? test_sasl.password
		                : p->id == SASL_CB_USER && test_sasl.user != NULL ? test_sasl.user
		                                                                  : test_sasl.authname;

		if (v == NULL)
			return -1;
		p->result = v;
		p->len = (unsigned)strlen(v);
	}
	return 0;
}

sasl_callback_t test_sasl_callbacks[] = {
	{ SASL_CB_GETPATH, TEST_SASL_PROC(test_sasl_getpath), NULL },
	{ SASL_CB_USER, TEST_SASL_PROC(test_sasl_getsimple), NULL },
	{ SASL_CB_AUTHNAME, TEST_SASL_PROC(test_sasl_getsimple), NULL },
	{ SASL_CB_PASS, TEST_SASL_PROC(test_sasl_getsecret), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

sasl_callback_t test_sasl_prompts[] = {
	{ SASL_CB_USER, NULL, NULL },
	{ SASL_CB_AUTHNAME, NULL, NULL },
	{ SASL_CB_PASS, NULL, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};
