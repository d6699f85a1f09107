/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/error.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/secret.h"

#define S(lit) lit, sizeof(lit) - 1

/* Builds "{"a":" nested n levels deep around 1. */
static size_t nest(char *buf, size_t size, int levels)
{
	size_t n = 0;

	for (int i = 0; i < levels - 1 && n + 6 < size; i++) {
		memcpy(buf + n, "{\"a\":", 5);
		n += 5;
	}
	buf[n++] = '{';
	buf[n++] = '}';
	for (int i = 0; i < levels - 1 && n + 1 < size; i++)
		buf[n++] = '}';
	buf[n] = '\0';
	return n;
}

static void test_parse_table(void)
{
	static const struct {
		const char *in;
		size_t len;
		sao_err_t rc;
		const char *msg; /* substring of the error message */
	} rows[] = {
		{ S("{}"), SAO_OK, NULL },
		{ S("{\"a\":\"b\"}"), SAO_OK, NULL },
		{ S(" \r\n\t{\"access_token\":\"x\",\"n\":[1,2,{\"k\":null}],\"t\":true}\n\n"), SAO_OK, NULL },
		{ S(""), SAO_ERR_PROTO, "input is empty, not a JSON object" },
		{ S("   "), SAO_ERR_PROTO, "input is not valid JSON: it ends early, at byte 3" },
		{ S("{\"access_token\": \"abc"), SAO_ERR_PROTO, "input is not valid JSON: it ends early, at byte 21" },
		{ S("{\"a\":1} x"), SAO_ERR_PROTO, "input is not valid JSON: unexpected character at byte 8" },
		{ S("{\"a\":1}{}"), SAO_ERR_PROTO, "input is not valid JSON" },
		{ S("{\"a\":1}\n\0"), SAO_ERR_PROTO, "input is not valid JSON: a NUL byte at byte 8" },
		{ S("{\"a\"\0:1}"), SAO_ERR_PROTO, "input is not valid JSON: a NUL byte at byte 4" },
		{ S("{\"a\":\"x\0y\"}"), SAO_ERR_PROTO, "a NUL byte at byte 7" },
		{ S("[1,2]"), SAO_ERR_PROTO, "input is JSON but not an object: its top level is of type array" },
		{ S("\"token\""), SAO_ERR_PROTO, "its top level is of type string" },
		{ S("null "), SAO_ERR_PROTO, "its top level is of type null" },
		{ S("42 "), SAO_ERR_PROTO, "its top level is of type int" },
		{ S("{\"a\":1,}"), SAO_ERR_PROTO, "input is not valid JSON: unexpected character at byte 7" },
		{ S("{\"a\":01}"), SAO_ERR_PROTO, "input is not valid JSON" },
		{ S("{\"a\":TRUE}"), SAO_ERR_PROTO, "input is not valid JSON" },
		{ S("{\"a\":\"\xff\"}"), SAO_ERR_PROTO, "invalid utf-8" },
		{ S("{a:1}"), SAO_ERR_PROTO, "input is not valid JSON" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_json_t *obj = (sao_json_t *)&obj; /* must be reset to NULL on failure */
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		rc = sao_json_parse(rows[i].in, rows[i].len, "input", &obj, &err);
		CHECK_MSG(rc == rows[i].rc, "row %zu: rc %d, want %d (%s)", i, rc, rows[i].rc, err.msg);
		if (rows[i].rc == SAO_OK) {
			CHECK_MSG(obj != NULL && err.code == SAO_OK, "row %zu", i);
		} else {
			CHECK_MSG(obj == NULL, "row %zu: object not reset", i);
			CHECK_MSG(err.code == rows[i].rc && strstr(err.msg, rows[i].msg) != NULL, "row %zu: message '%s'", i,
			          err.msg);
		}
		sao_json_free(&obj);
		CHECK(obj == NULL);
	}
}

static void test_depth(void)
{
	char buf[256];
	sao_json_t *obj = NULL;
	sao_error_t err;
	size_t n;

	n = nest(buf, sizeof(buf), 16);
	sao_error_clear(&err);
	CHECK_MSG(sao_json_parse(buf, n, "deep", &obj, &err) == SAO_OK, "16 levels: %s", err.msg);
	sao_json_free(&obj);
	n = nest(buf, sizeof(buf), 17);
	sao_error_clear(&err);
	CHECK(sao_json_parse(buf, n, "deep", &obj, &err) == SAO_ERR_PROTO);
	CHECK_MSG(strstr(err.msg, "deep is not valid JSON: nesting too deep") != NULL, "%s", err.msg);
	CHECK(obj == NULL);
	n = nest(buf, sizeof(buf), 40);
	sao_error_clear(&err);
	CHECK(sao_json_parse(buf, n, "deep", &obj, &err) == SAO_ERR_PROTO);
}

static void test_strings(void)
{
	static const char in[] = "{\"esc\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\","
	                         "\"nul\":\"x\\u0000y\",\"empty\":\"\",\"num\":5,\"url\":\"https://mail.google.com/\"}";
	static const char want_esc[] = "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80";
	sao_json_t *obj = NULL;
	const char *s;
	size_t len = 99;

	CHECK(sao_json_parse(in, sizeof(in) - 1, "input", &obj, NULL) == SAO_OK);
	s = sao_json_get_string(obj, "esc", &len);
	CHECK(s != NULL);
	CHECK_BYTES(s, len, want_esc, sizeof(want_esc) - 1);
	s = sao_json_get_string(obj, "nul", &len);
	CHECK(s != NULL);
	CHECK_BYTES(s, len, "x\0y", 3);
	s = sao_json_get_string(obj, "empty", &len);
	CHECK(s != NULL && len == 0 && s[0] == '\0');
	len = 99;
	CHECK(sao_json_get_string(obj, "num", &len) == NULL && len == 0);
	len = 99;
	CHECK(sao_json_get_string(obj, "missing", &len) == NULL && len == 0);
	s = sao_json_get_string(obj, "url", NULL);
	CHECK(s != NULL && strcmp(s, "https://mail.google.com/") == 0);
	sao_json_free(&obj);
}

static void test_int64(void)
{
	static const char in[] = "{\"int\":3599,\"str\":\"3599\",\"neg\":-5,\"zero\":0,"
	                         "\"big\":9223372036854775806,\"max\":9223372036854775807,"
	                         "\"huge\":99999999999999999999,\"tiny\":-99999999999999999999,"
	                         "\"s18\":\"123456789012345678\",\"s19\":\"1234567890123456789\","
	                         "\"plus\":\"+5\",\"minus\":\"-5\",\"space\":\" 5\",\"tail\":\"5 \",\"empty\":\"\","
	                         "\"hex\":\"0x10\",\"nul\":\"1\\u00002\",\"dbl\":3599.0,\"exp\":1e3,"
	                         "\"bool\":true,\"null\":null,\"arr\":[1],\"obj\":{\"x\":1}}";
	static const struct {
		const char *key;
		int ok;
		int64_t v;
	} rows[] = {
		{ "int", 1, 3599 },
		{ "str", 1, 3599 },
		{ "neg", 1, -5 },
		{ "zero", 1, 0 },
		{ "big", 1, INT64_C(9223372036854775806) },
		{ "max", 0, 0 },  /* indistinguishable from a clamped value */
		{ "huge", 0, 0 }, /* json-c clamps; refused */
		{ "tiny", 0, 0 },
		{ "s18", 1, INT64_C(123456789012345678) },
		{ "s19", 0, 0 },
		{ "plus", 0, 0 },
		{ "minus", 0, 0 },
		{ "space", 0, 0 },
		{ "tail", 0, 0 },
		{ "empty", 0, 0 },
		{ "hex", 0, 0 },
		{ "nul", 0, 0 },
		{ "dbl", 0, 0 },
		{ "exp", 0, 0 },
		{ "bool", 0, 0 },
		{ "null", 0, 0 },
		{ "arr", 0, 0 },
		{ "obj", 0, 0 },
		{ "absent", 0, 0 },
	};
	sao_json_t *obj = NULL;
	sao_error_t err;

	sao_error_clear(&err);
	CHECK_MSG(sao_json_parse(in, sizeof(in) - 1, "input", &obj, &err) == SAO_OK, "%s", err.msg);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t v = 77;
		int ok = sao_json_get_int64(obj, rows[i].key, &v);

		CHECK_MSG(ok == rows[i].ok && v == rows[i].v, "key %s: ok %d v %lld", rows[i].key, ok, (long long)v);
	}
	sao_json_free(&obj);
}

static void test_round_trip(void)
{
	static const char token[] = "eyJ0eXAi.\"quoted\"/slash\\back\x01\x1f\xc3\xa9";
	static const char want[] = "{\n"
	                           "  \"format_version\":1,\n"
	                           "  \"url\":\"https://mail.google.com/\",\n"
	                           "  \"neg\":-42,\n"
	                           "  \"tok\":\"eyJ0eXAi.\\\"quoted\\\"/slash\\\\back\\u0001\\u001f\xc3\xa9\"\n"
	                           "}";
	sao_json_t *obj = NULL;
	sao_json_t *back = NULL;
	sao_secret_t out;
	sao_error_t err;
	const char *s;
	size_t len = 0;
	int64_t v = 0;

	sao_secret_init(&out, 4096);
	sao_error_clear(&err);
	CHECK(sao_json_new(&obj, &err) == SAO_OK && obj != NULL);
	CHECK(sao_json_set_int64(obj, "format_version", 1, &err) == SAO_OK);
	CHECK(sao_json_set_string(obj, "url", S("https://mail.google.com/"), &err) == SAO_OK);
	CHECK(sao_json_set_int64(obj, "neg", 7, &err) == SAO_OK);
	CHECK(sao_json_set_int64(obj, "neg", -42, &err) == SAO_OK); /* replaced in place */
	CHECK(sao_json_set_string(obj, "tok", S("old token"), &err) == SAO_OK);
	CHECK(sao_json_set_string(obj, "tok", token, sizeof(token) - 1, &err) == SAO_OK);
	CHECK(sao_json_serialize(obj, &out, &err) == SAO_OK);
	CHECK_BYTES(out.data, out.len, want, sizeof(want) - 1);
	CHECK(out.data[out.len] == '\0');

	CHECK(sao_json_parse(out.data, out.len, "output", &back, &err) == SAO_OK);
	s = sao_json_get_string(back, "tok", &len);
	CHECK(s != NULL);
	CHECK_BYTES(s, len, token, sizeof(token) - 1);
	CHECK(sao_json_get_int64(back, "neg", &v) && v == -42);
	CHECK(sao_json_get_int64(back, "format_version", &v) && v == 1);
	CHECK(err.code == SAO_OK);
	sao_json_free(&back);

	/* Embedded NULs survive a round trip as \u0000. */
	CHECK(sao_json_set_string(obj, "tok", S("a\0b"), &err) == SAO_OK);
	CHECK(sao_json_serialize(obj, &out, &err) == SAO_OK);
	CHECK(strstr((const char *)out.data, "\"a\\u0000b\"") != NULL);
	CHECK(sao_json_parse(out.data, out.len, "output", &back, &err) == SAO_OK);
	s = sao_json_get_string(back, "tok", &len);
	CHECK(s != NULL);
	CHECK_BYTES(s, len, "a\0b", 3);
	sao_json_free(&back);

	/* Output larger than the secret's ceiling: refused, buffer empty. */
	sao_secret_clear(&out);
	sao_secret_init(&out, 16);
	CHECK(sao_json_serialize(obj, &out, &err) == SAO_ERR_TOOBIG);
	CHECK(err.code == SAO_ERR_TOOBIG && out.len == 0);

	sao_secret_clear(&out);
	sao_json_free(&obj);
	CHECK(obj == NULL);
	sao_json_free(&obj); /* freeing twice is harmless */
	sao_json_free(NULL);
}

static void test_big_string(void)
{
	static char in[70000];
	sao_json_t *obj = NULL;
	sao_secret_t out;
	const char *s;
	size_t len = 0;
	size_t n = 0;

	memcpy(in, "{\"access_token\":\"", 17);
	n = 17;
	for (size_t i = 0; i < 60000; i++)
		in[n++] = (char)('A' + i % 26);
	memcpy(in + n, "\"}", 2);
	n += 2;
	CHECK(sao_json_parse(in, n, "input", &obj, NULL) == SAO_OK);
	s = sao_json_get_string(obj, "access_token", &len);
	CHECK(s != NULL && len == 60000 && s[0] == 'A' && s[59999] == 'A' + 59999 % 26);
	sao_secret_init(&out, 100000);
	CHECK(sao_json_serialize(obj, &out, NULL) == SAO_OK);
	CHECK(out.len == n + 4); /* "{\n  " ... "\n}" */
	sao_secret_clear(&out);
	sao_json_free(&obj);
}

int main(void)
{
	test_parse_table();
	test_depth();
	test_strings();
	test_int64();
	test_round_trip();
	test_big_string();
	return check_done("test-json");
}
