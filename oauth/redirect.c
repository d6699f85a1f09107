/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sasl-oauth/grant.h"
#include "sasl-oauth/redirect.h"

/*
 * The grammar read (RFC 3986 §3.4):
 *
 *   redirect = [ anything "?" ] query [ "#" fragment ]
 *   query    = param *( "&" param )
 *   param    = name [ "=" value ]        ; both percent-encoded, "+" = space
 *
 * The query runs from the first "?" to the first "#".
 */

#define PARAM_MAX SAO_TOKEN_MAX /* one decoded parameter */

void sao_redirect_init(sao_redirect_t *r)
{
	sao_secret_init(&r->code, PARAM_MAX);
	sao_secret_init(&r->state, PARAM_MAX);
	sao_secret_init(&r->error, PARAM_MAX);
	sao_secret_init(&r->description, PARAM_MAX);
	r->has_code = r->has_state = r->has_error = r->has_description = 0;
}

void sao_redirect_clear(sao_redirect_t *r)
{
	sao_secret_clear(&r->code);
	sao_secret_clear(&r->state);
	sao_secret_clear(&r->error);
	sao_secret_clear(&r->description);
	r->has_code = r->has_state = r->has_error = r->has_description = 0;
}

/* 1 when s is one or more visible ASCII bytes or spaces (RFC 6749
 * Appendix A VSCHAR), so printing it shows exactly what was sent. */
static int vschar(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	}
	return 1;
}

static int hex_value(unsigned char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	if (h >= 'A' && h <= 'F')
		return h - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) (percent escapes, "+" for space) and appends the bytes
 * to out. Returns 0, -1 for a broken escape or an escaped NUL, -2 when out
 * cannot take them. */
static int url_decode(const char *s, size_t n, sao_secret_t *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b == '+') {
			b = ' ';
		} else if (b == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			b = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (b == '\0')
			return -1;
		if (sao_secret_append(out, &b, 1, NULL) != SAO_OK)
			return -2;
	}
	return 0;
}

sao_err_t sao_redirect_parse(const char *text, size_t len, const char *what, sao_redirect_t *r, sao_error_t *err)
{
	const char *q = memchr(text, '?', len);
	const char *end = text + len;
	const char *hash;
	const char *p;
	sao_err_t rc = SAO_ERR_PROTO;

	sao_redirect_clear(r);
	if (q == NULL) {
		sao_error_set(err, rc,
		              "%s has no query: it must be the whole address with \"?code=...&state=...\" that the "
		              "browser ended on; copy it from the address bar again",
		              what);
		goto out;
	}
	hash = memchr(q, '#', (size_t)(end - q));
	if (hash != NULL)
		end = hash;
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ne = eq != NULL ? eq : pe;
		sao_secret_t name;
		sao_secret_t *slot = NULL;
		int *seen = NULL;
		int bad;

		sao_secret_init(&name, 64);
		bad = url_decode(p, (size_t)(ne - p), &name);
		if (bad == 0 && name.len == 4 && memcmp(name.data, "code", 4) == 0) {
			slot = &r->code;
			seen = &r->has_code;
		} else if (bad == 0 && name.len == 5 && memcmp(name.data, "state", 5) == 0) {
			slot = &r->state;
			seen = &r->has_state;
		} else if (bad == 0 && name.len == 5 && memcmp(name.data, "error", 5) == 0) {
			slot = &r->error;
			seen = &r->has_error;
		} else if (bad == 0 && name.len == 17 && memcmp(name.data, "error_description", 17) == 0) {
			slot = &r->description;
			seen = &r->has_description;
		}
		if (slot != NULL && *seen) {
			sao_error_set(err, rc, "%s holds the parameter '%s' twice; copy the address again", what,
			              (const char *)name.data);
			sao_secret_clear(&name);
			goto out;
		}
		sao_secret_clear(&name);
		if (slot != NULL) {
			*seen = 1;
			bad = url_decode(eq != NULL ? eq + 1 : pe, eq != NULL ? (size_t)(pe - eq - 1) : 0, slot);
			/* Inputs are capped far below PARAM_MAX: only memory can run out. */
			if (bad == -2) {
				rc = sao_error_set(err, SAO_ERR_NOMEM, "out of memory reading %s", what);
				goto out;
			}
			if (bad != 0) {
				sao_error_set(err, rc,
				              "%s has a broken percent escape or a NUL byte; copy the whole address "
				              "again",
				              what);
				goto out;
			}
		}
		p = amp != NULL ? amp + 1 : end;
	}
	if ((r->has_code && !vschar((const char *)r->code.data, r->code.len)) ||
	    (r->has_state && !vschar((const char *)r->state.data, r->state.len)) ||
	    (r->has_error && !vschar((const char *)r->error.data, r->error.len))) {
		sao_error_set(err, rc,
		              "%s has an empty code, state or error, or one with bytes RFC 6749 does not allow; "
		              "copy the whole address again",
		              what);
		goto out;
	}
	rc = SAO_OK;
out:
	return rc;
}

/* An error in the redirect (RFC 6749 §4.1.2.1), worded like the token
 * endpoint's errors. */
static sao_err_t redirect_error(const sao_redirect_t *r, const char *name, sao_error_t *err)
{
	char what[128];

	snprintf(what, sizeof(what), "login of account '%s'", name);
	return sao_grant_failure(name, what, 0, (const char *)r->error.data,
	                         r->has_description ? (const char *)r->description.data : NULL, NULL, err);
}

int sao_redirect_state_ok(const sao_redirect_t *r, const sao_secret_t *state)
{
	return r->has_state && sao_secret_equal(&r->state, state);
}

sao_err_t sao_redirect_check(const sao_redirect_t *r, const sao_secret_t *state, const char *name, sao_error_t *err)
{
	sao_err_t rc = SAO_ERR_PROTO;

	if (!r->has_state) {
		sao_error_fix(err, rc, SAO_FIX_LOGIN, name,
		              "login of account '%s' refused the redirect: it carries no state, so it cannot be told "
		              "apart from a forged one (cross-site request forgery); start over "
		              "and use the address the new login prints; ",
		              name);
		goto out;
	}
	if (!sao_redirect_state_ok(r, state)) {
		sao_error_fix(err, rc, SAO_FIX_LOGIN, name,
		              "login of account '%s' refused the redirect: its state does not match the one this "
		              "login sent, so it belongs to another sign-in (a browser tab left from an earlier "
		              "attempt) or was forged (cross-site request forgery); finish the sign-in on the address "
		              "the new login prints; ",
		              name);
		goto out;
	}
	if (r->has_error) {
		rc = redirect_error(r, name, err);
		goto out;
	}
	if (!r->has_code) {
		sao_error_fix(err, rc, SAO_FIX_LOGIN, name,
		              "login of account '%s' failed: the redirect carries neither a code nor an error; copy "
		              "the whole address the browser ended on, or start over; ",
		              name);
		goto out;
	}
	rc = SAO_OK;
out:
	return rc;
}
