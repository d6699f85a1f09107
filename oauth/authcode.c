/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sasl-oauth/authcode.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/crypto.h"
#include "sasl-oauth/http.h"
#include "sasl-oauth/loopback.h"
#include "sasl-oauth/proc.h"
#include "sasl-oauth/redirect.h"
#include "sasl-oauth/secret.h"

#define TIMEOUT_DEFAULT 900    /* seconds, for a caller that breaks the > 0 promise */
#define FIELD_MAX 2048         /* the redirect URI */
#define URL_MAX (64 * 1024)    /* the authorize URL */
#define PASTE_MAX (16 * 1024)  /* the pasted address */
#define BROWSER_START_MS 10000 /* for a browser's program to start executing */
#define NATIVE_CLIENT_PATH "/common/oauth2/nativeclient"

static const char *account_name(const sao_client_t *c)
{
	return c->account != NULL && c->account->name != NULL ? c->account->name : "?";
}

/* The page the browser ends on: the outcome in words. */
static void answer_browser(int fd, sao_err_t rc, const char *name, const sao_error_t *err)
{
	char title[160];

	if (fd < 0)
		return;
	if (rc == SAO_OK) {
		snprintf(title, sizeof(title), "Signed in to account '%s'", name);
		sao_loopback_answer(fd, 200, "OK", title, "sasl-oauth has the token. You can close this window.");
	} else {
		snprintf(title, sizeof(title), "Sign-in to account '%s' failed", name);
		sao_loopback_answer(fd, 400, "Bad Request", title,
		                    err != NULL && err->msg[0] != '\0' ? err->msg : "The terminal shows why.");
	}
}

/* --- the browser ---------------------------------------------------------- */

sao_err_t sao_authcode_browsers(const char *option, const char *env_browser, int display, char ***list_r,
                                sao_error_t *err)
{
	const char *src = "";
	int split = option == NULL; /* only $BROWSER is a list */
	size_t len, n = 1;
	char **list;
	char *copy;

	*list_r = NULL;
	if (option != NULL)
		src = option;
	else if (env_browser != NULL && env_browser[0] != '\0')
		src = env_browser;
	else if (display)
		src = "xdg-open";
	len = strlen(src);
	for (size_t i = 0; split && i < len; i++)
		n += src[i] == ':';
	if (len > SIZE_MAX / 2 - (n + 1) * sizeof(char *))
		return sao_error_set(err, SAO_ERR_NOMEM, "the browser command line is too long");
	/* One block: the pointers, then a copy of the text cut at each ':'. */
	list = malloc((n + 1) * sizeof(char *) + len + 1);
	if (list == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory choosing the browser");
	copy = (char *)(list + n + 1);
	memcpy(copy, src, len + 1);
	n = 0;
	for (char *p = copy; p != NULL;) {
		char *colon = split ? strchr(p, ':') : NULL;

		if (colon != NULL)
			*colon = '\0';
		if (strspn(p, " \t") != strlen(p))
			list[n++] = p;
		p = colon != NULL ? colon + 1 : NULL;
	}
	list[n] = NULL;
	*list_r = list;
	return SAO_OK;
}

static int have_display(void)
{
	const char *x = getenv("DISPLAY");
	const char *w = getenv("WAYLAND_DISPLAY");

	return (x != NULL && x[0] != '\0') || (w != NULL && w[0] != '\0');
}

/* Starts the first browser that can be started, and says on out what
 * happened when none could, or when there is none to start. */
static void open_browser(const sao_client_t *c, const sao_authcode_opts_t *o, const sao_secret_t *url)
{
	const char *name = account_name(c);
	char **list = NULL;
	char what[160];
	sao_error_t err;
	size_t i;

	sao_error_clear(&err);
	(void)fflush(o->out);
	if (sao_authcode_browsers(o->browser, getenv("BROWSER"), have_display(), &list, &err) != SAO_OK) {
		fprintf(o->out, "Could not start a browser: %s; open the address above yourself.\n", err.msg);
		goto out;
	}
	if (list[0] == NULL) {
		if (o->browser == NULL)
			fprintf(o->out,
			        "No browser was started: BROWSER is not set and there is no display (DISPLAY, "
			        "WAYLAND_DISPLAY). Open the address above in a browser on this machine, or sign in "
			        "from another one: run: sasl-oauth login %s --paste (or set flow = device)\n",
			        name);
		goto out;
	}
	snprintf(what, sizeof(what), "the browser for account '%s'", name);
	for (i = 0; list[i] != NULL; i++) {
		sao_error_clear(&err);
		if (sao_proc_run(list[i], (const char *)url->data,
		                 SAO_PROC_DETACHED | SAO_PROC_NO_SHELL | SAO_PROC_KEEP_ENV, what, BROWSER_START_MS, NULL,
		                 NULL, &err) == SAO_OK)
			break;
		fprintf(o->out, "Could not start the browser: %s.\n", err.msg);
	}
	if (list[i] == NULL)
		fprintf(o->out, "Open the address above yourself, or run: sasl-oauth login %s --paste\n", name);
out:
	free(list);
	(void)fflush(o->out);
}

/* --- authorization code ----------------------------------------------------- */


/* Appends "<sep>name=" and the encoded value. */
static sao_err_t url_param(sao_secret_t *url, const char *sep, const char *name, const char *value, size_t len,
                           sao_error_t *err)
{
	sao_err_t rc;

	rc = sao_secret_append(url, sep, strlen(sep), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(url, name, strlen(name), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(url, "=", 1, err);
	if (rc == SAO_OK)
		rc = sao_http_encode(url, value, len, err);
	return rc;
}

/* The authorize request (protocols.md §3.4, RFC 7636 §4.3). It holds nothing
 * secret: the challenge is public by design, the state only binds the
 * redirect to this run; url is a sao_secret_t because that is the
 * encoder's buffer. */
static sao_err_t authorize_url(const sao_client_t *c, const sao_secret_t *redirect_uri, const char *state,
                               const char *challenge, sao_secret_t *url, sao_error_t *err)
{
	const sao_account_t *a = c->account;
	const char *extra = c->ep.authorize_extra;
	sao_err_t rc;

	rc = sao_secret_append(url, c->ep.authorize, strlen(c->ep.authorize), err);
	if (rc == SAO_OK)
		rc = url_param(url, strchr(c->ep.authorize, '?') != NULL ? "&" : "?", "client_id", a->client_id,
		               strlen(a->client_id), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "response_type", "code", 4, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "redirect_uri", (const char *)redirect_uri->data, redirect_uri->len, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "response_mode", "query", 5, err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "scope", c->ep.scope, strlen(c->ep.scope), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "state", state, strlen(state), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "code_challenge", challenge, strlen(challenge), err);
	if (rc == SAO_OK)
		rc = url_param(url, "&", "code_challenge_method", "S256", 4, err);
	/* The first user is whom the account is for: the provider can then
	 * skip the account picker. */
	if (rc == SAO_OK && a->n_users > 0 && a->users[0] != NULL && a->users[0][0] != '\0')
		rc = url_param(url, "&", "login_hint", a->users[0], strlen(a->users[0]), err);
	if (rc == SAO_OK && extra != NULL && extra[0] != '\0') {
		rc = sao_secret_append(url, "&", 1, err);
		if (rc == SAO_OK)
			rc = sao_secret_append(url, extra, strlen(extra), err);
	}
	return rc;
}

/* Paste mode's redirect URI: the one given, else Microsoft's native-client
 * page on the account's own login host (so national clouds and `authority`
 * get theirs). Other providers have no such page: the user must name a URI
 * registered for the app. */
static sao_err_t paste_redirect_uri(const sao_client_t *c, const sao_authcode_opts_t *o, sao_secret_t *uri_r,
                                    sao_error_t *err)
{
	sao_account_provider_t provider = c->account->provider;
	const char *auth = c->ep.authorize;
	const char *host;
	const char *path;
	sao_err_t rc;

	if (o->redirect_uri != NULL && o->redirect_uri[0] != '\0')
		return sao_secret_set(uri_r, o->redirect_uri, strlen(o->redirect_uri), err);
	if (provider != SAO_PROVIDER_MICROSOFT) {
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "paste login of account '%s' needs a redirect URI: provider '%s' has no page to "
		                     "land on by default; pass --redirect-uri with a URI registered for the app, for "
		                     "example http://localhost/",
		                     account_name(c), sao_settings_provider_name(provider));
	}
	host = strstr(auth, "://");
	path = host != NULL ? strchr(host + 3, '/') : NULL;
	if (path == NULL) {
		return sao_error_set(
		    err, SAO_ERR_CONFIG,
		    "paste login of account '%s' cannot derive the native-client redirect URI from the "
		    "authorize endpoint '%s'; pass --redirect-uri",
		    account_name(c), auth);
	}
	rc = sao_secret_set(uri_r, auth, (size_t)(path - auth), err);
	if (rc == SAO_OK)
		rc = sao_secret_append(uri_r, NATIVE_CLIENT_PATH, strlen(NATIVE_CLIENT_PATH), err);
	return rc;
}

/* Reads one line (at most PASTE_MAX bytes) from in into line_r, waiting
 * until deadline. The descriptor is read directly, not through stdio, so
 * the wait can have a time limit; bytes after the line are dropped. */
static sao_err_t paste_read(FILE *in, int64_t deadline, const char *name, int timeout_s, sao_secret_t *line_r,
                            sao_error_t *err)
{
	char buf[1024];
	char ebuf[128];
	int fd = fileno(in);
	int done = 0;
	sao_err_t rc = SAO_OK;

	while (!done) {
		const char *nl;
		ssize_t got;
		size_t take;

		if (fd >= 0) {
			struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
			int64_t wait = deadline - sao_clock_ms();
			int rv;

			if (wait <= 0) {
				rc = sao_error_fix(err, SAO_ERR_TIMEOUT, SAO_FIX_LOGIN_PASTE, name,
				    "login of account '%s' timed out: no address was pasted within %d seconds; ",
				    name, timeout_s);
				goto out;
			}
			rv = poll(&p, 1, wait > INT_MAX ? INT_MAX : (int)wait);
			if (rv < 0 && errno == EINTR)
				continue;
			if (rv == 0)
				continue;
			if (rv < 0) {
				rc = sao_error_set(err, SAO_ERR_IO,
				                   "login of account '%s' cannot read the pasted address: %s", name,
				                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
				goto out;
			}
			got = read(fd, buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
		} else {
			/* No descriptor (a memory stream): no time limit possible. */
			int ch = getc(in);

			if (ch == EOF) {
				got = 0;
			} else {
				buf[0] = (char)ch;
				got = 1;
			}
		}
		if (got < 0) {
			rc = sao_error_set(err, SAO_ERR_IO, "login of account '%s' cannot read the pasted address: %s",
			                   name, sao_errno_text(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (got == 0)
			break;
		nl = memchr(buf, '\n', (size_t)got);
		take = nl != NULL ? (size_t)(nl - buf) : (size_t)got;
		done = nl != NULL;
		if (line_r->len + take > PASTE_MAX) {
			rc = sao_error_set(
			    err, SAO_ERR_TOOBIG,
			    "login of account '%s' refused the pasted address: it is longer than %d bytes; "
			    "copy only the address from the browser's address bar",
			    name, PASTE_MAX);
			goto out;
		}
		rc = sao_secret_append(line_r, buf, take, err);
		if (rc != SAO_OK)
			goto out;
	}
	if (line_r->len == 0 && !done) {
		rc = sao_error_fix(err, SAO_ERR_PROTO, SAO_FIX_LOGIN_PASTE, name,
		                   "login of account '%s' got no address: the input ended before one was pasted; paste "
		                   "the address the browser ended on; ",
		                   name);
	}
out:
	sao_wipe(buf, sizeof(buf));
	return rc;
}

/* The pasted line without surrounding white space (a terminal adds CR,
 * a copy may add blanks or quotes around it). */
static void paste_trim(const sao_secret_t *line, const char **s_r, size_t *len_r)
{
	const char *s = (const char *)line->data;
	size_t n = line->len;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\'') ||
	               (s[0] == '<' && s[n - 1] == '>'))) {
		s++;
		n -= 2;
	}
	*s_r = s;
	*len_r = n;
}

sao_err_t sao_authcode_login(sao_client_t *c, const sao_authcode_opts_t *o, sao_token_t *tok_r, sao_error_t *err)
{
	const char *name = account_name(c);
	int timeout_s = o->timeout_s > 0 ? o->timeout_s : TIMEOUT_DEFAULT;
	char verifier[SAO_PKCE_VERIFIER_LEN + 1] = "";
	char challenge[SAO_PKCE_CHALLENGE_LEN + 1] = "";
	char state_text[SAO_UUID_LEN + 1] = "";
	char what[160];
	sao_secret_t state, url, redirect_uri, input;
	sao_loopback_t l;
	sao_redirect_t r;
	int fd = -1;
	int64_t deadline;
	const char *text = NULL;
	size_t text_len = 0;
	sao_err_t rc = SAO_ERR_INTERNAL;

	sao_secret_init(&state, SAO_UUID_LEN);
	sao_secret_init(&url, URL_MAX);
	sao_secret_init(&redirect_uri, FIELD_MAX);
	sao_secret_init(&input, PASTE_MAX);
	sao_loopback_init(&l);
	sao_redirect_init(&r);

	if (o->out == NULL || (o->paste && o->in == NULL) || c->account == NULL) {
		rc =
		    sao_error_set(err, SAO_ERR_INTERNAL, "login of account '%s': no terminal streams were given", name);
		goto out;
	}
	if (c->ep.authorize == NULL || c->ep.scope == NULL) {
		rc = sao_error_set(
		    err, SAO_ERR_CONFIG,
		    "login of account '%s' cannot use the browser: the provider has no authorize endpoint; "
		    "set authorize_endpoint, or flow = device",
		    name);
		goto out;
	}
	if (c->account->client_id == NULL || c->account->client_id[0] == '\0') {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "login of account '%s' is not possible: client_id is not set; set "
		                   "client_id to the application (client) id of the app registration",
		                   name);
		goto out;
	}
	deadline = sao_clock_ms() + (int64_t)timeout_s * 1000;
	rc = sao_crypto_pkce(verifier, challenge, err);
	if (rc == SAO_OK)
		rc = sao_crypto_uuid(state_text, err);
	if (rc == SAO_OK)
		rc = sao_secret_set(&state, state_text, strlen(state_text), err);
	if (rc != SAO_OK)
		goto out;

	if (o->paste) {
		rc = paste_redirect_uri(c, o, &redirect_uri, err);
	} else {
		char uri[64];

		rc = sao_loopback_open(&l, name, err);
		if (rc == SAO_OK) {
			/* "localhost", not 127.0.0.1: Entra registers loopback
			 * redirects as http://localhost (protocols.md §3.4). */
			snprintf(uri, sizeof(uri), "http://localhost:%u/", l.port);
			rc = sao_secret_set(&redirect_uri, uri, strlen(uri), err);
		}
	}
	if (rc == SAO_OK)
		rc = authorize_url(c, &redirect_uri, state_text, challenge, &url, err);
	if (rc != SAO_OK)
		goto out;

	fprintf(o->out, "To sign in to account '%s', open this address in a web browser%s:\n", name,
	        o->paste ? " (on any machine)" : "");
	fprintf(o->out, "URL: ");
	fwrite(url.data, 1, url.len, o->out);
	fprintf(o->out, "\n");
	open_browser(c, o, &url);

	if (o->paste) {
		fprintf(o->out,
		        "After the sign-in the browser ends on a page that may look broken or empty; copy the whole "
		        "address from its address bar.\n");
		fprintf(o->out, "Paste the address your browser ended on: ");
		(void)fflush(o->out);
		rc = paste_read(o->in, deadline, name, timeout_s, &input, err);
		/* A terminal echoed the user's Enter; for a pipe, end the prompt's line. */
		if (fileno(o->in) < 0 || !isatty(fileno(o->in)))
			fputc('\n', o->out);
		if (rc != SAO_OK)
			goto out;
		snprintf(what, sizeof(what), "the address pasted for account '%s'", name);
		paste_trim(&input, &text, &text_len);
	} else {
		fprintf(o->out, "Waiting for the browser to come back to http://localhost:%u/ (at most %d:%02d)...\n",
		        l.port, timeout_s / 60, timeout_s % 60);
		(void)fflush(o->out);
		/* Requests with another state are refused and the wait goes
		 * on: one forged request cannot end the login (issue 13). */
		rc = sao_loopback_wait(&l, deadline, &state, name, timeout_s, o->out, &r, &fd, err);
		if (rc != SAO_OK)
			goto out;
	}
	/* The listener has done its job; a second redirect has nowhere to go. */
	sao_loopback_close(&l);

	if (o->paste)
		rc = sao_redirect_parse(text, text_len, what, &r, err);
	if (rc == SAO_OK)
		rc = sao_redirect_check(&r, &state, name, err);
	if (rc == SAO_OK)
		rc = sao_grant_code(c, (const char *)r.code.data, (const char *)redirect_uri.data, verifier,
		                    (int64_t)time(NULL), tok_r, err);
	/* Answered after the redemption, so the page tells the whole truth. */
	answer_browser(fd, rc, name, err);
out:
	if (fd >= 0)
		close(fd);
	sao_wipe(verifier, sizeof(verifier));
	sao_wipe(state_text, sizeof(state_text));
	sao_redirect_clear(&r);
	sao_loopback_close(&l);
	sao_secret_clear(&input);
	sao_secret_clear(&redirect_uri);
	sao_secret_clear(&url);
	sao_secret_clear(&state);
	if (o->out != NULL)
		(void)fflush(o->out);
	return rc;
}
