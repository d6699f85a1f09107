/* SPDX-License-Identifier: MIT */
/*
 * json: the only module that touches json-c. Parses a JSON object from bytes
 * (by length, embedded NULs rejected) and builds one for writing.
 *
 * Ownership: a sao_json_t owns its json-c tree; strings returned by the
 * getters point into it and live until sao_json_free(). Serialised output is
 * written into a sao_secret_t because cache documents hold tokens; json-c's
 * own serialisation buffer is wiped before it is released.
 */
#ifndef SAO_JSON_H
#define SAO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

typedef struct sao_json sao_json_t;

/* Makes json-c usable now. In the plugin json-c is opened on first use; a
 * host that enters a chroot after loading plugins (Postfix smtp) must have it
 * opened before, because the jail holds no libjson-c. Fails with
 * SAO_ERR_INTERNAL naming the loader's reason; a no-op where json-c is
 * linked. */
sao_err_t sao_json_load(sao_error_t *err);

/* Parses len bytes that must hold exactly one JSON object. what names the
 * input in error messages ("cache file '/x'"). Fails with SAO_ERR_PROTO on a
 * syntax error, trailing bytes, embedded NUL or a non-object: only that
 * means the bytes are bad. SAO_ERR_INTERNAL (json-c cannot be loaded) and
 * SAO_ERR_NOMEM say nothing about the input. */
sao_err_t sao_json_parse(const void *text, size_t len, const char *what, sao_json_t **obj_r,
                         sao_error_t *err);

/* New empty object for writing; SAO_ERR_NOMEM on failure. */
sao_err_t sao_json_new(sao_json_t **obj_r, sao_error_t *err);

/* String member, or NULL if absent or not a string. len_r may be NULL. */
const char *sao_json_get_string(const sao_json_t *obj, const char *key, size_t *len_r);

/* Integer member: 1 and *v_r set if present and an integer (or a string of
 * decimal digits, as some providers send "expires_in": "3599"), else 0. */
int sao_json_get_int64(const sao_json_t *obj, const char *key, int64_t *v_r);

/* A string member, or the strings of an array member joined by single
 * spaces ("roles", an "aud" list), in buf (cut to size). Returns how many
 * strings there were; 0 and buf empty when absent or of another type. */
size_t sao_json_get_words(const sao_json_t *obj, const char *key, char *buf, size_t size);

/* Adds or replaces a member. Strings are copied by length. */
sao_err_t sao_json_set_string(sao_json_t *obj, const char *key, const void *val, size_t len,
                              sao_error_t *err);
sao_err_t sao_json_set_int64(sao_json_t *obj, const char *key, int64_t val, sao_error_t *err);

/* Pretty-prints the object into out (replacing its content). */
sao_err_t sao_json_serialize(const sao_json_t *obj, sao_secret_t *out, sao_error_t *err);

/* Frees the tree, wiping string members, and sets *obj to NULL. */
void sao_json_free(sao_json_t **obj);

#endif
