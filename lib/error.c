/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sasl-oauth/error.h"

const char *sao_strerror(sao_err_t code)
{
	switch (code) {
	case SAO_OK: return "success";
	case SAO_ERR_NOMEM: return "out of memory";
	case SAO_ERR_CONFIG: return "configuration error";
	case SAO_ERR_PERM: return "unsafe file permissions";
	case SAO_ERR_IO: return "input/output error";
	case SAO_ERR_NOTFOUND: return "not found";
	case SAO_ERR_CORRUPT: return "corrupt token cache";
	case SAO_ERR_TOOBIG: return "input too large";
	case SAO_ERR_PROTO: return "malformed input";
	case SAO_ERR_CMD: return "token command failed";
	case SAO_ERR_TIMEOUT: return "timed out";
	case SAO_ERR_STALE: return "token expired or rejected";
	case SAO_ERR_REJECTED: return "server rejected the token";
	case SAO_ERR_NOCRED: return "no token for this user";
	case SAO_ERR_NET: return "identity provider unreachable";
	case SAO_ERR_OAUTH: return "identity provider refused the request";
	case SAO_ERR_LOGIN: return "a new login is needed";
	case SAO_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}

int sao_exit_status(sao_err_t code)
{
	switch (code) {
	case SAO_OK: return SAO_EXIT_OK;
	case SAO_ERR_LOGIN:
	case SAO_ERR_NOTFOUND: return SAO_EXIT_LOGIN;
	case SAO_ERR_CONFIG:
	case SAO_ERR_PERM: return SAO_EXIT_CONFIG;
	case SAO_ERR_NET:
	case SAO_ERR_TIMEOUT: return SAO_EXIT_TEMP;
	default: return SAO_EXIT_FAIL;
	}
}

sao_err_t sao_exit_error(int status)
{
	switch (status) {
	case SAO_EXIT_LOGIN: return SAO_ERR_LOGIN;
	case SAO_EXIT_CONFIG: return SAO_ERR_CONFIG;
	case SAO_EXIT_TEMP: return SAO_ERR_NET;
	default: return SAO_ERR_CMD;
	}
}

/* Records code and the message unless an error is recorded already; 1
 * when it recorded them. */
static int record(sao_error_t *err, sao_err_t code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int record(sao_error_t *err, sao_err_t code, const char *fmt, va_list ap)
{
	if (err == NULL || err->code != SAO_OK)
		return 0;
	err->code = code;
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	return 1;
}

sao_err_t sao_error_set(sao_error_t *err, sao_err_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(err, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *sao_error_fix_text(sao_fix_t fix, const char *account, char *buf, size_t size)
{
	switch (fix) {
	case SAO_FIX_LOGIN_PASTE:
		snprintf(buf, size, "run: sasl-oauth login %s --paste", account);
		break;
	case SAO_FIX_REFRESH:
		snprintf(buf, size, "run: sasl-oauth refresh %s", account);
		break;
	case SAO_FIX_REFRESH_OR_LOGIN:
		snprintf(buf, size, "run: sasl-oauth refresh %s (or sasl-oauth login %s if that fails)", account,
		         account);
		break;
	case SAO_FIX_LOGIN:
	default:
		snprintf(buf, size, "run: sasl-oauth login %s", account);
		break;
	}
	return buf;
}

sao_err_t sao_error_fix(sao_error_t *err, sao_err_t code, sao_fix_t fix, const char *account, const char *fmt, ...)
{
	va_list ap;
	int recorded;
	size_t n;

	va_start(ap, fmt);
	recorded = record(err, code, fmt, ap);
	va_end(ap);
	if (recorded) {
		n = strlen(err->msg);
		sao_error_fix_text(fix, account, err->msg + n, sizeof(err->msg) - n);
	}
	return code;
}

void sao_error_clear(sao_error_t *err)
{
	err->code = SAO_OK;
	err->msg[0] = '\0';
}

const char *sao_errno_text(int errnum, char *buf, size_t size)
{
	/* strerror() may use a static buffer; the plugin shares threads. */
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(errnum, buf, size);
#else
	if (strerror_r(errnum, buf, size) != 0)
		snprintf(buf, size, "error %d", errnum);
	return buf;
#endif
}

void sao_error_printable(const char *s, size_t len, char *out, size_t max)
{
	size_t n = len > max ? max : len;

	if (n < len) {
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		/* U+0080..U+009F in UTF-8 (C2 80..C2 9F) are the C1 controls; a
		 * UTF-8 terminal takes U+009B as CSI, like ESC [. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
			out[i] = '?';
			out[i + 1] = '?';
			i++;
		}
	}
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
