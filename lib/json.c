/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sasl-oauth/json.h"

/*
 * The grammar accepted (RFC 8259, restricted to what our inputs are):
 *
 *   input  = *ws object *ws          ; exactly one object, nothing after it
 *   object = "{" [ member *( "," member ) ] "}"
 *   member = string ":" value
 *   value  = object / array / string / number / "true" / "false" / "null"
 *   ws     = %x20 / %x09 / %x0A / %x0D
 *
 * The input is handed to json-c by length; a raw NUL byte anywhere is refused
 * before parsing (a C string API further on would silently cut the text
 * there). Nesting deeper than SAO_JSON_DEPTH is refused: token responses,
 * cache files and server challenges are flat, so depth is only an attack.
 * Strings must be valid UTF-8, as RFC 8259 §8.1 requires. json-c's strict
 * mode still lets single-quoted strings and NaN/Infinity through; nothing
 * here depends on refusing them (doubles are never read as integers).
 */

#define SAO_JSON_DEPTH 16

/*
 * In the plugin, json-c is loaded on first use (SAO_JSON_DLOPEN): a program
 * that loads every SASL plugin but never logs in with OAuth does not map
 * it, which is most of what the plugin would otherwise add to its start
 * (docs/performance.md). The table is filled once, under pthread_once, and
 * never changes afterwards; the library is never unloaded. The CLI and the
 * tests link json-c and call it directly.
 */
#define JSONC_FUNCTIONS(X)                                                                            \
	X(json_object_array_get_idx) \
	X(json_object_array_length) \
	X(json_object_get_int64) \
	X(json_object_get_string) \
	X(json_object_get_string_len) \
	X(json_object_get_type) \
	X(json_object_is_type) \
	X(json_object_iter_begin) \
	X(json_object_iter_end) \
	X(json_object_iter_equal) \
	X(json_object_iter_next) \
	X(json_object_iter_peek_value) \
	X(json_object_new_int64) \
	X(json_object_new_object) \
	X(json_object_new_string_len) \
	X(json_object_object_add) \
	X(json_object_object_get_ex) \
	X(json_object_put) \
	X(json_object_to_json_string_length) \
	X(json_tokener_error_desc) \
	X(json_tokener_free) \
	X(json_tokener_get_error) \
	X(json_tokener_get_parse_end) \
	X(json_tokener_new_ex) \
	X(json_tokener_parse_ex) \
	X(json_tokener_set_flags) \
	X(json_type_to_name)

#ifdef SAO_JSON_DLOPEN
#include <dlfcn.h>
#include <pthread.h>

#define JC_MEMBER(f) __typeof__(f) *f;
static struct {
	JSONC_FUNCTIONS(JC_MEMBER)
} jc;
static pthread_once_t jc_once = PTHREAD_ONCE_INIT;
static int jc_loaded;
static char jc_error[256];

static void jc_load(void)
{
	void *h = dlopen(SAO_JSONC_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	const char *e;

	if (h == NULL) {
		e = dlerror();
		snprintf(jc_error, sizeof(jc_error), "%s", e != NULL ? e : "unknown error");
		return;
	}
#define JC_RESOLVE(f)                                                                                 \
	*(void **)&jc.f = dlsym(h, #f);                                                               \
	if (jc.f == NULL) {                                                                           \
		snprintf(jc_error, sizeof(jc_error), "%s has no symbol %s", SAO_JSONC_SONAME, #f);    \
		return;                                                                               \
	}
	JSONC_FUNCTIONS(JC_RESOLVE)
	jc_loaded = 1;
}

#define JC(f) (jc.f)

/* SAO_OK once json-c is loaded; the reason otherwise. */
static sao_err_t jc_ready(const char *what, sao_error_t *err)
{
	pthread_once(&jc_once, jc_load);
	if (jc_loaded)
		return SAO_OK;
	return sao_error_set(err, SAO_ERR_INTERNAL, "cannot read %s: loading json-c failed (%s); install libjson-c5",
	                     what, jc_error);
}
#else
#define JC(f) (f)

static sao_err_t jc_ready(const char *what, sao_error_t *err)
{
	(void)what;
	(void)err;
	return SAO_OK;
}
#endif

sao_err_t sao_json_load(sao_error_t *err)
{
	return jc_ready("JSON", err);
}

struct sao_json {
	struct json_object *root;
};

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Overwrites the bytes of one string value in place. json-c stores the
 * string (inline or on the heap) with its length, so this reaches every
 * byte, embedded NULs included. */
static void wipe_string(struct json_object *o)
{
	const char *s = JC(json_object_get_string)(o);
	int n = JC(json_object_get_string_len)(o);

	if (s != NULL && n > 0)
		sao_wipe((void *)s, (size_t)n);
}

/* Wipes every string value below o (keys are not secret). */
static void wipe_tree(struct json_object *o, int depth)
{
	if (o == NULL || depth > SAO_JSON_DEPTH + 1)
		return;
	switch (JC(json_object_get_type)(o)) {
	case json_type_string:
		wipe_string(o);
		break;
	case json_type_object: {
		struct json_object_iterator it = JC(json_object_iter_begin)(o);
		struct json_object_iterator end = JC(json_object_iter_end)(o);

		while (!JC(json_object_iter_equal)(&it, &end)) {
			wipe_tree(JC(json_object_iter_peek_value)(&it), depth + 1);
			JC(json_object_iter_next)(&it);
		}
		break;
	}
	case json_type_array: {
		size_t n = JC(json_object_array_length)(o);

		for (size_t i = 0; i < n; i++)
			wipe_tree(JC(json_object_array_get_idx)(o, i), depth + 1);
		break;
	}
	default:
		break;
	}
}

/* The tokener keeps the text of the last string it read (often the longest
 * member: the token) in its private buffer. json-c 0.16 still declares the
 * struct in its public header, so the buffer can be wiped before it goes. */
static void tokener_free_wiped(struct json_tokener *tok)
{
	if (tok == NULL)
		return;
	if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
		sao_wipe(tok->pb->buf, (size_t)tok->pb->size);
	JC(json_tokener_free)(tok);
}

sao_err_t sao_json_parse(const void *text, size_t len, const char *what, sao_json_t **obj_r, sao_error_t *err)
{
	const unsigned char *p = text;
	const unsigned char *nul;
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	sao_json_t *obj = NULL;
	size_t end;
	sao_err_t rc = SAO_ERR_PROTO;

	*obj_r = NULL;
	rc = jc_ready(what, err);
	if (rc != SAO_OK)
		goto out;
	rc = SAO_ERR_PROTO;
	if (len == 0) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s is empty, not a JSON object", what);
		goto out;
	}
	if (len > INT_MAX) {
		rc = sao_error_set(err, SAO_ERR_TOOBIG, "%s is %zu bytes, too large to parse as JSON", what, len);
		goto out;
	}
	nul = memchr(p, '\0', len);
	if (nul != NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s is not valid JSON: a NUL byte at byte %zu", what,
		                   (size_t)(nul - p));
		goto out;
	}
	tok = JC(json_tokener_new_ex)(SAO_JSON_DEPTH);
	if (tok == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory parsing %s", what);
		goto out;
	}
	JC(json_tokener_set_flags)(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = JC(json_tokener_parse_ex)(tok, (const char *)p, (int)len);
	jerr = JC(json_tokener_get_error)(tok);
	end = JC(json_tokener_get_parse_end)(tok);
	if (jerr == json_tokener_continue) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s is not valid JSON: it ends early, at byte %zu", what, len);
		goto out;
	}
	if (jerr != json_tokener_success) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s is not valid JSON: %s at byte %zu", what,
		                   JC(json_tokener_error_desc)(jerr), end);
		goto out;
	}
	/* json-c stops after the first complete value; what follows must be
	 * whitespace only. */
	for (size_t i = end; i < len; i++) {
		if (!is_ws(p[i])) {
			rc = sao_error_set(err, SAO_ERR_PROTO,
			                   "%s is not valid JSON: unexpected data after the object at byte %zu", what,
			                   i);
			goto out;
		}
	}
	/* root is NULL for a successfully parsed JSON null. */
	if (!JC(json_object_is_type)(root, json_type_object)) {
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s is JSON but not an object: its top level is of type %s",
		                   what, JC(json_type_to_name)(JC(json_object_get_type)(root)));
		goto out;
	}
	obj = malloc(sizeof(*obj));
	if (obj == NULL) {
		rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory parsing %s", what);
		goto out;
	}
	obj->root = root;
	root = NULL;
	*obj_r = obj;
	rc = SAO_OK;
out:
	if (root != NULL) {
		wipe_tree(root, 0);
		JC(json_object_put)(root);
	}
	tokener_free_wiped(tok);
	return rc;
}

sao_err_t sao_json_new(sao_json_t **obj_r, sao_error_t *err)
{
	sao_json_t *obj;

	*obj_r = NULL;
	if (jc_ready("a new JSON object", err) != SAO_OK)
		return SAO_ERR_INTERNAL;
	obj = malloc(sizeof(*obj));
	if (obj == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory creating a JSON object");
	obj->root = JC(json_object_new_object)();
	if (obj->root == NULL) {
		free(obj);
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory creating a JSON object");
	}
	*obj_r = obj;
	return SAO_OK;
}

static struct json_object *member(const sao_json_t *obj, const char *key)
{
	struct json_object *v = NULL;

	if (obj == NULL || key == NULL)
		return NULL;
	if (!JC(json_object_object_get_ex)(obj->root, key, &v))
		return NULL;
	return v;
}

const char *sao_json_get_string(const sao_json_t *obj, const char *key, size_t *len_r)
{
	struct json_object *v = member(obj, key);
	int n;

	if (len_r != NULL)
		*len_r = 0;
	if (v == NULL || !JC(json_object_is_type)(v, json_type_string))
		return NULL;
	n = JC(json_object_get_string_len)(v);
	if (len_r != NULL)
		*len_r = n > 0 ? (size_t)n : 0;
	return JC(json_object_get_string)(v);
}

/* "3599": 1 to 18 ASCII digits, so the value always fits in int64_t. */
size_t sao_json_get_words(const sao_json_t *obj, const char *key, char *buf, size_t size)
{
	struct json_object *v = member(obj, key);
	size_t used = 0, count = 0, n;

	if (size > 0)
		buf[0] = '\0';
	if (v == NULL || size == 0)
		return 0;
	if (JC(json_object_is_type)(v, json_type_string)) {
		snprintf(buf, size, "%s", JC(json_object_get_string)(v));
		return 1;
	}
	if (!JC(json_object_is_type)(v, json_type_array))
		return 0;
	n = JC(json_object_array_length)(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = JC(json_object_array_get_idx)(v, i);
		int w;

		if (e == NULL || !JC(json_object_is_type)(e, json_type_string))
			continue;
		w = snprintf(buf + used, size - used, "%s%s", count > 0 ? " " : "", JC(json_object_get_string)(e));
		if (w < 0 || (size_t)w >= size - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)w;
		count++;
	}
	return count;
}

static int digits_to_int64(const char *s, size_t len, int64_t *v_r)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return 1;
}

int sao_json_get_int64(const sao_json_t *obj, const char *key, int64_t *v_r)
{
	struct json_object *v = member(obj, key);
	int64_t n;

	*v_r = 0;
	if (v == NULL)
		return 0;
	if (JC(json_object_is_type)(v, json_type_string)) {
		int len = JC(json_object_get_string_len)(v);

		if (len <= 0 || !digits_to_int64(JC(json_object_get_string)(v), (size_t)len, &n))
			return 0;
		*v_r = n;
		return 1;
	}
	if (!JC(json_object_is_type)(v, json_type_int))
		return 0;
	/* json-c clamps numbers outside int64_t to its limits; a clamped value
	 * is not the number that was sent, so both limits are refused. */
	n = JC(json_object_get_int64)(v);
	if (n == INT64_MAX || n == INT64_MIN)
		return 0;
	*v_r = n;
	return 1;
}

/* Wipes the current value of key if it is a string, before json-c frees it
 * on replacement. */
static void wipe_member(sao_json_t *obj, const char *key)
{
	struct json_object *old = member(obj, key);

	if (old != NULL)
		wipe_tree(old, 0);
}

sao_err_t sao_json_set_string(sao_json_t *obj, const char *key, const void *val, size_t len, sao_error_t *err)
{
	struct json_object *v;

	if (len > INT_MAX)
		return sao_error_set(err, SAO_ERR_TOOBIG, "JSON member '%s' is %zu bytes, too large", key, len);
	v = JC(json_object_new_string_len)(val != NULL ? (const char *)val : "", (int)len);
	if (v == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory setting JSON member '%s'", key);
	wipe_member(obj, key);
	if (JC(json_object_object_add)(obj->root, key, v) != 0) {
		wipe_string(v);
		JC(json_object_put)(v);
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory setting JSON member '%s'", key);
	}
	return SAO_OK;
}

sao_err_t sao_json_set_int64(sao_json_t *obj, const char *key, int64_t val, sao_error_t *err)
{
	struct json_object *v = JC(json_object_new_int64)(val);

	if (v == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory setting JSON member '%s'", key);
	wipe_member(obj, key);
	if (JC(json_object_object_add)(obj->root, key, v) != 0) {
		JC(json_object_put)(v);
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory setting JSON member '%s'", key);
	}
	return SAO_OK;
}

sao_err_t sao_json_serialize(const sao_json_t *obj, sao_secret_t *out, sao_error_t *err)
{
	const char *s;
	size_t len = 0;
	sao_err_t rc;

	sao_secret_clear(out);
	s = JC(json_object_to_json_string_length)(obj->root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
	                                      &len);
	if (s == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory serialising JSON");
	rc = sao_secret_set(out, s, len, err);
	/* The text stays in the object's print buffer until the object is
	 * freed; it holds the tokens, so it goes now. */
	sao_wipe((void *)s, len);
	if (rc != SAO_OK)
		sao_secret_clear(out);
	return rc;
}

void sao_json_free(sao_json_t **obj)
{
	if (obj == NULL || *obj == NULL)
		return;
	wipe_tree((*obj)->root, 0);
	JC(json_object_put)((*obj)->root);
	free(*obj);
	*obj = NULL;
}
