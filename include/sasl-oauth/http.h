/* SPDX-License-Identifier: MIT */
/*
 * http: the one HTTP client (libcurl), used only by oauth/ and the CLI.
 *
 * Rules (STYLE.md "Outside world"): https only, except plain http to a
 * loopback address (127.0.0.0/8, ::1, "localhost"), for tests; connect and
 * total timeouts; redirects are never followed (a 3xx is an error); the
 * response body is capped at SAO_HTTP_BODY_MAX; every form field is
 * percent-encoded (RFC 3986 unreserved characters pass, space is "%20").
 * A 429, 500, 502, 503 or 504 answer carrying a Retry-After in seconds
 * (a date is ignored) that still fits in the time budget is retried once
 * after that many seconds. Plain http never goes through a proxy.
 *
 * Ownership: the response owns its body, a secret buffer (token responses
 * hold tokens); sao_http_response_clear() wipes it. Form bodies are secret
 * buffers too (they hold refresh tokens, secrets and assertions). Nothing
 * here logs a body, a form or a header value.
 */
#ifndef SAO_HTTP_H
#define SAO_HTTP_H

#include <stddef.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/secret.h"

#define SAO_HTTP_BODY_MAX (1024 * 1024)
#define SAO_HTTP_FORM_MAX (256 * 1024)
#define SAO_HTTP_TIMEOUT_DEFAULT 30 /* seconds, whole request including one retry */

typedef struct sao_http_opts {
	const char *proxy;   /* NULL: libcurl's own rules (https_proxy, no_proxy); "" disables */
	const char *ca_file; /* NULL: the system's */
	const char *ca_path; /* NULL: the system's */
	long timeout_s;      /* total budget, > 0 */
} sao_http_opts_t;

typedef struct sao_http_response {
	long status;         /* HTTP status of the final answer */
	sao_secret_t body;   /* at most SAO_HTTP_BODY_MAX bytes */
	char content_type[128];
} sao_http_response_t;

/* Once per process, before any request (the CLI's main); not thread-safe,
 * as libcurl's global init is not. SAO_ERR_INTERNAL if libcurl fails. */
sao_err_t sao_http_global_init(sao_error_t *err);
void sao_http_global_cleanup(void);

void sao_http_response_init(sao_http_response_t *r);
void sao_http_response_clear(sao_http_response_t *r);

/* Appends "name=value" (with "&" when form is not empty), both
 * percent-encoded, into a secret buffer (callers give it a ceiling of
 * SAO_HTTP_FORM_MAX). SAO_ERR_TOOBIG past the ceiling; the form is then
 * unchanged. */
sao_err_t sao_http_form_add(sao_secret_t *form, const char *name, const void *value, size_t len,
                            sao_error_t *err);

/* Same encoding for one value, appended to out (for URL query strings). */
sao_err_t sao_http_encode(sao_secret_t *out, const void *value, size_t len, sao_error_t *err);

/* 1 when url may be used: "https://", or "http://" to a loopback host. */
int sao_http_url_allowed(const char *url);

/* POSTs form as application/x-www-form-urlencoded to url, with
 * "Accept: application/json". what says what was being done ("refreshing
 * the token of account 'work'"); messages read "WHAT failed: cause; fix".
 * o may be NULL (defaults), form NULL (empty body). On failure the body is
 * wiped (for a 3xx the status stays set). Returns SAO_OK for any HTTP status (the
 * caller judges the body); fails with SAO_ERR_CONFIG for a URL that is not
 * allowed, SAO_ERR_NET for DNS/connect/TLS/proxy failures and redirects,
 * SAO_ERR_TIMEOUT past the budget, SAO_ERR_TOOBIG for a body over the cap.
 * Messages name the host, never the form. resp_r must be initialised. */
sao_err_t sao_http_post_form(const sao_http_opts_t *o, const char *url, const sao_secret_t *form,
                             sao_http_response_t *resp_r, const char *what, sao_error_t *err);

/* The same rules for a GET of url (OpenID discovery documents). */
sao_err_t sao_http_get(const sao_http_opts_t *o, const char *url, sao_http_response_t *resp_r, const char *what,
                       sao_error_t *err);

#endif
