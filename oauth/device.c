/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_QRENCODE
#include <qrencode.h>
#endif

#include "sasl-oauth/clock.h"
#include "sasl-oauth/device.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/secret.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define DEVICE_INTERVAL_DEFAULT 5  /* seconds, RFC 8628 §3.2 when the server names none */
#define DEVICE_SLOW_DOWN 5         /* seconds added per slow_down, RFC 8628 §3.5 */
#define DEVICE_EXPIRES_DEFAULT 900 /* seconds; Entra's value, for a server that omits it */
#define DEVICE_NET_TRIES 3         /* polls in a row that may fail on the network */
#define FIELD_MAX 2048             /* user_code and verification URI as printed */
#define WAIT_STEP_MS 1000          /* countdown refresh */

static const char *account_name(const sao_client_t *c)
{
	return c->account != NULL && c->account->name != NULL ? c->account->name : "?";
}

static int timeout_of(const sao_device_opts_t *o)
{
	/* device.h promises > 0; a caller that breaks it still gets a bound. */
	return o->timeout_s > 0 ? o->timeout_s : DEVICE_EXPIRES_DEFAULT;
}

/* 1 when s can be printed in a line of instructions as it is: visible
 * ASCII or spaces, and not too long. */
static int printable_field(const char *s, size_t len)
{
	if (len == 0 || len > FIELD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/* --- device code (RFC 8628) --------------------------------------------------- */

typedef struct device {
	sao_secret_t device_code; /* never printed */
	char user_code[FIELD_MAX + 1];
	char uri[FIELD_MAX + 1];
	char uri_complete[FIELD_MAX + 1]; /* may be "" */
	int64_t expires_in;
	int64_t interval;
} device_t;

/* Copies a printable string member into out, or fails naming it. */
static sao_err_t device_field(const sao_json_t *json, const char *key, const char *alt, int required, char *out,
                              const char *name, sao_error_t *err)
{
	size_t len = 0;
	const char *v = sao_json_get_string(json, key, &len);

	if (v == NULL && alt != NULL)
		v = sao_json_get_string(json, alt, &len);
	out[0] = '\0';
	if (v == NULL && !required)
		return SAO_OK;
	if (v == NULL || !printable_field(v, len)) {
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "device login of account '%s' failed: the identity provider's answer has %s %s; "
		                     "check device_endpoint, or use flow = authcode",
		                     name, v == NULL ? "no" : "an unprintable or overlong", key);
	}
	memcpy(out, v, len);
	out[len] = '\0';
	return SAO_OK;
}

/* RFC 8628 §3.2 device authorization response into d. Google names the
 * URI verification_url. */
static sao_err_t device_parse(const sao_json_t *json, device_t *d, const char *name, sao_error_t *err)
{
	size_t len = 0;
	const char *dc = sao_json_get_string(json, "device_code", &len);
	sao_err_t rc;

	if (dc == NULL || len == 0) {
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "device login of account '%s' failed: the identity provider's answer has no "
		                     "device_code; check device_endpoint, or use flow = authcode",
		                     name);
	}
	rc = sao_secret_set(&d->device_code, dc, len, err);
	if (rc == SAO_OK)
		rc = device_field(json, "user_code", NULL, 1, d->user_code, name, err);
	if (rc == SAO_OK)
		rc = device_field(json, "verification_uri", "verification_url", 1, d->uri, name, err);
	if (rc == SAO_OK)
		rc = device_field(json, "verification_uri_complete", "verification_url_complete", 0, d->uri_complete,
		                  name, err);
	if (rc != SAO_OK)
		return rc;
	if (!sao_json_get_int64(json, "expires_in", &d->expires_in) || d->expires_in <= 0)
		d->expires_in = DEVICE_EXPIRES_DEFAULT;
	if (!sao_json_get_int64(json, "interval", &d->interval) || d->interval <= 0)
		d->interval = DEVICE_INTERVAL_DEFAULT;
	/* Beyond any sane interval; keeps the arithmetic below far from overflow. */
	if (d->interval > 3600)
		d->interval = 3600;
	return SAO_OK;
}

#ifdef HAVE_QRENCODE
/* The QR code of url in Unicode half blocks, two modules per character
 * cell vertically, with a quiet zone. Light modules are drawn (as
 * qrencode -t UTF8 does), which suits the usual light-on-dark terminal. */
static void print_qr(FILE *out, const char *url)
{
	const int quiet = 2;
	QRcode *qr = QRcode_encodeString(url, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int w;

	if (qr == NULL)
		return;
	w = qr->width;
	for (int y = -quiet; y < w + quiet; y += 2) {
		for (int x = -quiet; x < w + quiet; x++) {
			int top_dark = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
			int bot_dark = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

			if (!top_dark && !bot_dark)
				fputs("\u2588", out); /* █ */
			else if (!top_dark)
				fputs("\u2580", out); /* ▀ */
			else if (!bot_dark)
				fputs("\u2584", out); /* ▄ */
			else
				fputs(" ", out);
		}
		fputs("\n", out);
	}
	QRcode_free(qr);
}
#endif

/* Rewrites the countdown line on a terminal. */
static void countdown(FILE *out, int64_t left_ms)
{
	int64_t s = (left_ms + 999) / 1000;

	if (s < 0)
		s = 0;
	fprintf(out, "\rwaiting for you to sign in: %lld:%02lld left ", (long long)(s / 60), (long long)(s % 60));
	(void)fflush(out);
}

static void countdown_clear(FILE *out)
{
	fprintf(out, "\r%60s\r", "");
	(void)fflush(out);
}

/* Sleeps until until (monotonic ms), showing the time left to deadline
 * every second when tty. */
static void device_wait(FILE *out, int tty, int64_t until, int64_t deadline)
{
	for (;;) {
		int64_t now = sao_clock_ms();
		int64_t step = until - now;

		if (step <= 0)
			return;
		if (tty)
			countdown(out, deadline - now);
		if (step > WAIT_STEP_MS)
			step = WAIT_STEP_MS;
		sao_clock_sleep_ms(step);
	}
}

/* Polls the token endpoint (RFC 8628 §3.4, §3.5) until the person signs
 * in, refuses, the code expires or the time limit passes. */
static sao_err_t device_poll(sao_client_t *c, const sao_device_opts_t *o, device_t *d, sao_token_t *tok_r,
                             sao_error_t *err)
{
	const char *name = account_name(c);
	int tty = fileno(o->out) >= 0 && isatty(fileno(o->out));
	int64_t limit_s = d->expires_in < timeout_of(o) ? d->expires_in : timeout_of(o);
	int64_t start = sao_clock_ms();
	int64_t deadline = start + limit_s * 1000;
	int64_t interval = d->interval;
	int net_failures = 0;
	char what[160];
	sao_secret_t form;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	snprintf(what, sizeof(what), "device login of account '%s'", name);
	for (;;) {
		char oauth_error[SAO_OAUTH_ERROR_MAX];
		sao_error_t perr;
		int64_t next = sao_clock_ms() + interval * 1000;

		device_wait(o->out, tty, next < deadline ? next : deadline, deadline);
		oauth_error[0] = '\0';
		sao_error_clear(&perr);
		sao_secret_clear(&form);
		rc = sao_http_form_add(&form, "grant_type", DEVICE_GRANT, strlen(DEVICE_GRANT), err);
		if (rc == SAO_OK)
			rc = sao_http_form_add(&form, "device_code", d->device_code.data, d->device_code.len, err);
		if (rc != SAO_OK)
			goto out;
		rc = sao_grant_token(c, &form, (int64_t)time(NULL), what, tok_r, oauth_error, &perr);
		if (rc == SAO_OK)
			goto out;
		if (strcmp(oauth_error, "authorization_pending") == 0) {
			net_failures = 0;
		} else if (strcmp(oauth_error, "slow_down") == 0) {
			net_failures = 0;
			interval += DEVICE_SLOW_DOWN;
		} else if ((rc == SAO_ERR_NET || rc == SAO_ERR_TIMEOUT) && ++net_failures < DEVICE_NET_TRIES) {
			/* One lost request should not throw away a sign-in that
			 * may be half done; the next poll tries again. */
		} else {
			rc = sao_error_set(err, rc, "%s", perr.msg[0] != '\0' ? perr.msg : sao_strerror(rc));
			goto out;
		}
		if (sao_clock_ms() >= deadline)
			break;
	}
	if (limit_s < d->expires_in) {
		rc = sao_error_fix(err, SAO_ERR_TIMEOUT, SAO_FIX_LOGIN, name,
		                   "device login of account '%s' timed out: nobody signed in with code %s within %lld "
		                   "seconds; sign in sooner or allow more time (--timeout); ",
		                   name, d->user_code, (long long)limit_s);
	} else {
		rc = sao_error_fix(err, SAO_ERR_TIMEOUT, SAO_FIX_LOGIN, name,
		    "device login of account '%s' timed out: code %s expired after %lld seconds without a "
		    "sign-in; enter the new code a new login shows; ",
		    name, d->user_code, (long long)limit_s);
	}
out:
	if (tty)
		countdown_clear(o->out);
	sao_secret_clear(&form);
	return rc;
}

sao_err_t sao_device_login(sao_client_t *c, const sao_device_opts_t *o, sao_token_t *tok_r, sao_error_t *err)
{
	const char *name = account_name(c);
	char what[160];
	sao_secret_t form;
	sao_json_t *json = NULL;
	device_t d;
	int tty;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	sao_secret_init(&d.device_code, SAO_TOKEN_MAX);
	d.user_code[0] = d.uri[0] = d.uri_complete[0] = '\0';
	d.expires_in = DEVICE_EXPIRES_DEFAULT;
	d.interval = DEVICE_INTERVAL_DEFAULT;

	if (o->out == NULL) {
		rc = sao_error_set(err, SAO_ERR_INTERNAL, "device login of account '%s': no output stream was given",
		                   name);
		goto out;
	}
	if (c->ep.device == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "device login of account '%s' is not possible: the provider has no device "
		                   "authorization endpoint (Google allows none for mail); set flow = authcode, or "
		                   "device_endpoint",
		                   name);
		goto out;
	}
	if (c->ep.scope == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "device login of account '%s' is not possible: no scope is known; set scope", name);
		goto out;
	}
	snprintf(what, sizeof(what), "starting the device login of account '%s'", name);
	rc = sao_http_form_add(&form, "scope", c->ep.scope, strlen(c->ep.scope), err);
	if (rc == SAO_OK)
		rc = sao_grant_post(c, c->ep.device, &form, what, &json, NULL, err);
	if (rc == SAO_OK && json == NULL)
		rc = sao_error_set(err, SAO_ERR_PROTO, "%s failed: the identity provider sent no answer; try again",
		                   what);
	if (rc == SAO_OK)
		rc = device_parse(json, &d, name, err);
	/* The tree holds the device code too; it goes at once. */
	sao_json_free(&json);
	if (rc != SAO_OK)
		goto out;

	tty = fileno(o->out) >= 0 && isatty(fileno(o->out));
	fprintf(o->out,
	        "To sign in to account '%s', open the page below in a web browser on any device and enter the code.\n",
	        name);
	fprintf(o->out, "URL: %s\n", d.uri);
	fprintf(o->out, "Code: %s\n", d.user_code);
#ifdef HAVE_QRENCODE
	/* A QR code is for a phone held up to the screen: a terminal only.
	 * The complete URI (RFC 8628 §3.3.1) spares typing the code. */
	if (tty)
		print_qr(o->out, d.uri_complete[0] != '\0' ? d.uri_complete : d.uri);
#else
	/* Say what is missing, once, where the person looks. */
	if (tty)
		fprintf(o->out, "(No QR code of this address: sasl-oauth was built without libqrencode. To get one, "
		                "install libqrencode-dev and rebuild, or install the distribution's package.)\n");
#endif
	if (!tty) {
		int64_t limit_s = d.expires_in < timeout_of(o) ? d.expires_in : timeout_of(o);

		fprintf(o->out, "Waiting for the sign-in (at most %lld:%02lld)...\n", (long long)(limit_s / 60),
		        (long long)(limit_s % 60));
	}
	(void)fflush(o->out);
	rc = device_poll(c, o, &d, tok_r, err);
out:
	sao_json_free(&json);
	sao_secret_clear(&d.device_code);
	sao_secret_clear(&form);
	return rc;
}
