/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sasl-oauth/catalog.h"
#include "sasl-oauth/grant.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/token.h"

#define SECRET_FILE_MAX 8192
#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* A provider that omits expires_in (RFC 6749 §5.1 only recommends it) gets
 * the lifetime every major provider uses. */
#define DEFAULT_LIFETIME 3600
#define SHOWN_MAX 300 /* bytes of the provider's description shown */

/* Reads a secret file (client secret, PKCS#12 password): the first line,
 * without the line ending. Refuses a file others can read, as settings
 * does, because the file may have changed since. */
static sao_err_t read_secret_file(const char *path, const char *what, sao_secret_t *out, sao_error_t *err)
{
	char ebuf[128];
	char buf[SECRET_FILE_MAX];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;
	sao_err_t rc = SAO_ERR_IO;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sao_error_set(err, SAO_ERR_IO, "cannot open %s '%s': %s", what, path,
		                     sao_errno_text(errno, ebuf, sizeof(ebuf)));
	if (fstat(fd, &st) < 0) {
		rc = sao_error_set(err, SAO_ERR_IO, "cannot stat %s '%s': %s", what, path,
		                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		rc = sao_error_set(err, SAO_ERR_PERM, "%s '%s' is readable by group or others (mode %04o); run: chmod 600 %s",
		                   what, path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sao_error_set(err, SAO_ERR_IO, "cannot read %s '%s': %s", what, path,
			                   sao_errno_text(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			rc = sao_error_set(err, SAO_ERR_TOOBIG, "%s '%s' is larger than %d bytes; it should hold one line",
			                   what, path, SECRET_FILE_MAX - 1);
			goto out;
		}
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			len = i;
			break;
		}
	}
	if (len == 0) {
		rc = sao_error_set(err, SAO_ERR_CONFIG, "%s '%s' is empty; put the value on its first line", what, path);
		goto out;
	}
	rc = sao_secret_set(out, buf, len, err);
out:
	sao_wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* systemd's LoadCredential= puts the file in $CREDENTIALS_DIRECTORY. */
static sao_err_t read_credential(const sao_account_t *a, sao_secret_t *out, sao_error_t *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];

	if (dir == NULL || dir[0] == '\0')
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "account '%s' names the systemd credential '%s', but CREDENTIALS_DIRECTORY is not set; "
		                     "run under systemd with LoadCredential=%s:FILE, or use client_secret_file",
		                     a->name, a->client_secret_credential, a->client_secret_credential);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, a->client_secret_credential) >= sizeof(path))
		return sao_error_set(err, SAO_ERR_CONFIG, "the credential path for account '%s' is too long", a->name);
	return read_secret_file(path, "systemd credential", out, err);
}

static sao_err_t load_key(sao_client_t *c, const sao_account_t *a, sao_error_t *err)
{
	sao_secret_t pw;
	sao_err_t rc;

	if (a->certificate != NULL)
		return sao_jwt_key_load_pem(a->certificate, a->private_key, &c->key, err);
	sao_secret_init(&pw, SECRET_FILE_MAX);
	rc = SAO_OK;
	if (a->pkcs12_password_file != NULL)
		rc = read_secret_file(a->pkcs12_password_file, "PKCS#12 password file", &pw, err);
	if (rc == SAO_OK)
		rc = sao_jwt_key_load_pkcs12(a->pkcs12, &pw, &c->key, err);
	sao_secret_clear(&pw);
	return rc;
}

sao_err_t sao_client_init(sao_client_t *c_r, const sao_account_t *a, sao_error_t *err)
{
	sao_err_t rc;

	memset(c_r, 0, sizeof(*c_r));
	c_r->account = a;
	sao_secret_init(&c_r->secret, SECRET_FILE_MAX);
	c_r->http.proxy = a->proxy != NULL && strcmp(a->proxy, "none") == 0 ? "" : a->proxy;
	c_r->http.ca_file = a->ca_file;
	c_r->http.ca_path = a->ca_path;
	c_r->http.timeout_s = a->http_timeout;
	if (a->client_id == NULL) {
		rc = sao_error_set(err, SAO_ERR_CONFIG,
		                   "%s:%d: account '%s' has no 'client_id'; give the application (client) id registered "
		                   "with the identity provider",
		                   a->file, a->line, a->name);
		goto out;
	}
	rc = sao_provider_endpoints(a, &c_r->ep, err);
	if (rc != SAO_OK)
		goto out;
	if (a->client_secret_file != NULL)
		rc = read_secret_file(a->client_secret_file, "client secret file", &c_r->secret, err);
	else if (a->client_secret_credential != NULL)
		rc = read_credential(a, &c_r->secret, err);
	else if (a->certificate != NULL || a->pkcs12 != NULL)
		rc = load_key(c_r, a, err);
out:
	if (rc != SAO_OK)
		sao_client_clear(c_r);
	return rc;
}

void sao_client_clear(sao_client_t *c)
{
	sao_provider_clear(&c->ep);
	sao_secret_clear(&c->secret);
	sao_jwt_key_free(&c->key);
}

/* The configuration's choices in jwt's terms. */
static const sao_jwt_alg_t jwt_algs[] = { [SAO_ALG_RS256] = SAO_JWT_RS256, [SAO_ALG_PS256] = SAO_JWT_PS256 };
static const sao_jwt_thumb_t jwt_thumbs[] = { [SAO_THUMBPRINT_SHA256] = SAO_JWT_X5T_S256,
	                                      [SAO_THUMBPRINT_SHA1] = SAO_JWT_X5T_SHA1 };

/* client_id, then the credential: a secret (client_secret_post) or a fresh
 * signed assertion whose audience is the token endpoint. */
static sao_err_t add_client(sao_client_t *c, const char *url, sao_secret_t *form, sao_error_t *err)
{
	const sao_account_t *a = c->account;
	sao_secret_t jwt;
	sao_err_t rc;

	rc = sao_http_form_add(form, "client_id", a->client_id, strlen(a->client_id), err);
	if (rc != SAO_OK || strcmp(url, c->ep.token) != 0)
		return rc;
	if (c->secret.len > 0)
		return sao_http_form_add(form, "client_secret", c->secret.data, c->secret.len, err);
	if (c->key == NULL)
		return SAO_OK;
	sao_secret_init(&jwt, SAO_TOKEN_MAX);
	rc = sao_jwt_assertion(c->key, jwt_algs[a->assertion_alg], jwt_thumbs[a->thumbprint], a->client_id, c->ep.token,
	                       (int64_t)time(NULL), SAO_ASSERTION_LIFETIME, &jwt, err);
	if (rc == SAO_OK)
		rc = sao_http_form_add(form, "client_assertion_type", JWT_BEARER, strlen(JWT_BEARER), err);
	if (rc == SAO_OK)
		rc = sao_http_form_add(form, "client_assertion", jwt.data, jwt.len, err);
	sao_secret_clear(&jwt);
	return rc;
}

/* "AADSTS50173: The provided grant ...\r\nTrace ID: ..." -> 50173 and the
 * first line without its prefix. Microsoft says not to branch on the
 * description, and we do not: the number only picks the words shown. */
static long split_description(const char *desc, const char **text_r, size_t *len_r)
{
	long code = 0;
	const char *p = desc;

	*text_r = "";
	*len_r = 0;
	if (desc == NULL)
		return 0;
	if (strncmp(p, "AADSTS", 6) == 0) {
		p += 6;
		while (*p >= '0' && *p <= '9' && code < 100000000) {
			code = code * 10 + (*p - '0');
			p++;
		}
		if (*p == ':')
			p++;
		while (*p == ' ')
			p++;
	}
	*text_r = p;
	*len_r = strcspn(p, "\r\n");
	return code;
}

/* RFC 6749 §5.2's general codes (and access_denied) say less than the
 * AADSTS number that comes with them; the device flow's codes (RFC 8628
 * §3.5) say more than Entra's generic number for them (AADSTS70000 with
 * authorization_declined). */
static int specific_error(const char *error)
{
	static const char *const general[] = { "invalid_request", "invalid_client", "invalid_grant",
		                               "unauthorized_client", "unsupported_grant_type", "invalid_scope",
		                               "interaction_required", "temporarily_unavailable", "server_error",
		                               "access_denied" };

	if (error == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++) {
		if (strcmp(error, general[i]) == 0)
			return 0;
	}
	return 1;
}

/* Entra's correlation id inside error_description ("Correlation ID:
 * 1234abcd-..."), for answers that carry it only there (redirects). */
static void description_correlation(const char *desc, char *out, size_t size)
{
	const char *hit = desc != NULL ? strstr(desc, "Correlation ID:") : NULL;
	size_t n = 0;

	out[0] = '\0';
	if (hit == NULL)
		return;
	hit += strlen("Correlation ID:");
	hit += strspn(hit, " ");
	n = strspn(hit, "0123456789abcdefABCDEF-");
	if (n >= size)
		n = size - 1;
	memcpy(out, hit, n);
	out[n] = '\0';
}

sao_err_t sao_grant_failure(const char *account, const char *what, long status, const char *error,
                            const char *description, const char *correlation, sao_error_t *err)
{
	const char *text;
	size_t text_len;
	long code = split_description(description, &text, &text_len);
	const sao_catalog_entry_t *e = specific_error(error) ? sao_catalog_error(error) : NULL;
	char shown[SHOWN_MAX + 4];
	char corr[64];
	char aadsts[32] = "";
	char fix[512];
	char cmd[256];
	char corr_text[128] = "";
	char error_shown[SAO_OAUTH_ERROR_MAX + 4];

	if (e == NULL && code != 0)
		e = sao_catalog_code(code);
	if (e == NULL)
		e = sao_catalog_error(error);
	/* Every provider string goes to a terminal and a mail program's log:
	 * escape sequences and line breaks (a forged "sasl-oauth:" line) are
	 * made harmless by the one filter the plugin's path uses too. */
	sao_error_printable(text, text_len, shown, SHOWN_MAX);
	if (error != NULL) {
		sao_error_printable(error, strlen(error), error_shown, SAO_OAUTH_ERROR_MAX);
		error = error_shown;
	}
	if (correlation == NULL) {
		description_correlation(description, corr, sizeof(corr));
	} else {
		sao_error_printable(correlation, strlen(correlation), corr, 60);
	}
	correlation = corr;
	if (code != 0)
		snprintf(aadsts, sizeof(aadsts), " AADSTS%ld", code);
	if (correlation[0] != '\0')
		snprintf(corr_text, sizeof(corr_text), " (correlation id %.64s)", correlation);
	sao_error_fix_text(SAO_FIX_LOGIN, account, cmd, sizeof(cmd));
	if (e != NULL && e->login)
		snprintf(fix, sizeof(fix), "%s%s%s", e->fix != NULL ? e->fix : "", e->fix != NULL ? ", then " : "", cmd);
	else if (e != NULL && e->fix != NULL)
		snprintf(fix, sizeof(fix), "%s", e->fix);
	else
		snprintf(fix, sizeof(fix), "check the account's settings against the app registration, then %s", cmd);
	if (status >= 500)
		return sao_error_set(err, SAO_ERR_NET,
		                     "%s failed: the identity provider answered HTTP %ld %s%s: %s%s; try again later "
		                     "(the cached tokens are unchanged)",
		                     what, status, error != NULL ? error : "", aadsts, shown, corr_text);
	if (e == NULL)
		return sao_error_set(err, SAO_ERR_OAUTH, "%s failed: the identity provider answered %s%s: %s%s; %s", what,
		                     error != NULL ? error : "an error", aadsts,
		                     shown[0] != '\0' ? shown : "it gave no description", corr_text, fix);
	return sao_error_set(err, e->login ? SAO_ERR_LOGIN : SAO_ERR_OAUTH,
	                     "%s failed: the identity provider answered %s%s: %s%s%s%s%s; %s", what,
	                     error != NULL ? error : "an error", aadsts, e->cause, shown[0] != '\0' ? " (" : "", shown,
	                     shown[0] != '\0' ? ")" : "", corr_text, fix);
}

/* An OAuth error answer of the token or device endpoint. */
static sao_err_t oauth_failure(const sao_client_t *c, const sao_json_t *j, long status, const char *what,
                               char *oauth_error_r, sao_error_t *err)
{
	const char *error = sao_json_get_string(j, "error", NULL);
	const char *corr = sao_json_get_string(j, "correlation_id", NULL);

	if (oauth_error_r != NULL)
		snprintf(oauth_error_r, SAO_OAUTH_ERROR_MAX, "%s", error != NULL ? error : "");
	return sao_grant_failure(c->account->name, what, status, error,
	                         sao_json_get_string(j, "error_description", NULL), corr != NULL ? corr : "", err);
}

sao_err_t sao_grant_post(sao_client_t *c, const char *url, sao_secret_t *form, const char *what, sao_json_t **json_r,
                         char *oauth_error_r, sao_error_t *err)
{
	sao_http_response_t resp;
	sao_json_t *j = NULL;
	sao_error_t perr;
	sao_err_t rc;

	if (json_r != NULL)
		*json_r = NULL;
	if (oauth_error_r != NULL)
		oauth_error_r[0] = '\0';
	sao_http_response_init(&resp);
	sao_error_clear(&perr);
	rc = add_client(c, url, form, err);
	if (rc != SAO_OK)
		goto out;
	rc = sao_http_post_form(&c->http, url, form, &resp, what, err);
	if (rc != SAO_OK)
		goto out;
	if (sao_json_parse(resp.body.data, resp.body.len, "the identity provider's answer", &j, &perr) != SAO_OK) {
		if (resp.status >= 500)
			rc = sao_error_set(err, SAO_ERR_NET,
			                   "%s failed: the identity provider answered HTTP %ld; try again later (the cached "
			                   "tokens are unchanged)",
			                   what, resp.status);
		else
			rc = sao_error_set(err, SAO_ERR_NET,
			                   "%s failed: the identity provider's answer (HTTP %ld, %zu bytes) is not a complete "
			                   "JSON object (%s); nothing was changed, try again",
			                   what, resp.status, resp.body.len, perr.msg);
		goto out;
	}
	if (resp.status < 200 || resp.status > 299 || sao_json_get_string(j, "error", NULL) != NULL) {
		rc = oauth_failure(c, j, resp.status, what, oauth_error_r, err);
		goto out;
	}
	if (json_r != NULL) {
		*json_r = j;
		j = NULL;
	}
out:
	sao_json_free(&j);
	sao_http_response_clear(&resp);
	return rc;
}

/* Why the access token in an answer cannot be used, or NULL: an RFC 6750
 * b64token (sao_token_valid) is what the mechanisms send, so any other
 * token is refused here, before it is cached. */
static const char *unusable_token(const char *at, size_t len, char *buf, size_t size)
{
	char shown[8];
	size_t i = 0;

	if (at == NULL || len == 0)
		return "it is missing or empty";
	if (sao_token_valid(at, len))
		return NULL;
	/* The first byte that breaks the rule, for the message. */
	while (i < len && sao_token_valid(at + i, 1))
		i++;
	while (i > 0 && i < len && at[i] == '=')
		i++;
	if ((unsigned char)at[i] > 0x20 && (unsigned char)at[i] < 0x7f)
		snprintf(shown, sizeof(shown), "'%c'", at[i]);
	else
		snprintf(shown, sizeof(shown), "0x%02x", (unsigned char)at[i]);
	snprintf(buf, size, "byte %zu is %s, outside RFC 6750's b64token set, so every mail server would refuse it", i,
	         shown);
	return buf;
}

static sao_err_t replace_string(char **field, const char *v, sao_error_t *err)
{
	char *copy;

	if (v == NULL)
		return SAO_OK;
	copy = strdup(v);
	if (copy == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	free(*field);
	*field = copy;
	return SAO_OK;
}

sao_err_t sao_grant_parse_token(const sao_json_t *json, int64_t now, const char *what, sao_token_t *tok_r,
                                sao_error_t *err)
{
	size_t at_len = 0, rt_len = 0;
	const char *at = sao_json_get_string(json, "access_token", &at_len);
	const char *rt = sao_json_get_string(json, "refresh_token", &rt_len);
	const char *type = sao_json_get_string(json, "token_type", NULL);
	const char *bad;
	char why[160];
	int64_t expires_in;
	sao_err_t rc;

	bad = unusable_token(at, at_len, why, sizeof(why));
	if (bad != NULL)
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "%s failed: the identity provider's answer has no usable access_token (%s); nothing "
		                     "was changed or cached",
		                     what, bad);
	if (type != NULL && strcasecmp(type, "bearer") != 0) {
		char type_shown[64 + 4];

		sao_error_printable(type, strlen(type), type_shown, 64);
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "%s failed: the identity provider issued a '%s' token, not a bearer token; check the "
		                     "provider settings",
		                     what, type_shown);
	}
	/* Larger tokens than this are no token a mail server takes; the
	 * message names the account (in what) and says what to do. */
	if (at_len > SAO_TOKEN_MAX || (rt != NULL && rt_len > SAO_TOKEN_MAX))
		return sao_error_set(err, SAO_ERR_PROTO,
		                     "%s failed: the identity provider issued a%s token of %zu bytes, more than the %d bytes "
		                     "sasl-oauth keeps; nothing was changed; report it to the provider's administrator "
		                     "(a token this large is refused by mail servers too)",
		                     what, at_len > SAO_TOKEN_MAX ? "n access" : " refresh",
		                     at_len > SAO_TOKEN_MAX ? at_len : rt_len, SAO_TOKEN_MAX);
	if (rt != NULL && !sao_token_refresh_valid(rt, rt_len))
		return sao_error_set(err, SAO_ERR_PROTO, "%s failed: the refresh_token in the answer is not printable text",
		                     what);
	if (!sao_json_get_int64(json, "expires_in", &expires_in))
		expires_in = DEFAULT_LIFETIME;
	else if (expires_in <= 0 || expires_in > 366 * 86400)
		return sao_error_set(err, SAO_ERR_PROTO, "%s failed: the answer's expires_in (%lld) is out of range", what,
		                     (long long)expires_in);
	rc = sao_secret_set(&tok_r->access_token, at, at_len, err);
	if (rc == SAO_OK && rt != NULL && rt_len > 0) {
		rc = sao_secret_set(&tok_r->refresh_token, rt, rt_len, err);
		tok_r->refresh_obtained_at = now;
	}
	if (rc == SAO_OK)
		rc = replace_string(&tok_r->scope, sao_json_get_string(json, "scope", NULL), err);
	if (rc == SAO_OK)
		rc = replace_string(&tok_r->token_type, "Bearer", err);
	if (rc != SAO_OK)
		return rc;
	tok_r->expires_at = now + expires_in;
	tok_r->obtained_at = now;
	tok_r->rejected_at = 0;
	free(tok_r->rejected_reason);
	tok_r->rejected_reason = NULL;
	tok_r->format_version = SAO_CACHE_FORMAT_VERSION;
	return SAO_OK;
}

sao_err_t sao_grant_token(sao_client_t *c, sao_secret_t *form, int64_t now, const char *what, sao_token_t *tok_r,
                          char *oauth_error_r, sao_error_t *err)
{
	sao_json_t *j = NULL;
	sao_err_t rc;

	rc = sao_grant_post(c, c->ep.token, form, what, &j, oauth_error_r, err);
	if (rc == SAO_OK)
		rc = sao_grant_parse_token(j, now, what, tok_r, err);
	sao_json_free(&j);
	return rc;
}

/* Builds the form from name/value pairs (a NULL name ends the list) and
 * runs the token request. */
static sao_err_t token_request(sao_client_t *c, int64_t now, const char *what, sao_token_t *tok_r,
                               const char *const *pairs, sao_error_t *err)
{
	sao_secret_t form;
	sao_err_t rc = SAO_OK;

	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	for (size_t i = 0; pairs[i] != NULL && rc == SAO_OK; i += 2)
		rc = sao_http_form_add(&form, pairs[i], pairs[i + 1], strlen(pairs[i + 1]), err);
	if (rc == SAO_OK)
		rc = sao_grant_token(c, &form, now, what, tok_r, NULL, err);
	sao_secret_clear(&form);
	return rc;
}

sao_err_t sao_grant_refresh(sao_client_t *c, int64_t now, sao_token_t *tok, sao_error_t *err)
{
	char what[256];
	const char *pairs[] = { "grant_type", "refresh_token", "refresh_token", (const char *)tok->refresh_token.data,
		                "scope", c->ep.scope, NULL };

	snprintf(what, sizeof(what), "refreshing the token of account '%s'", c->account->name);
	if (tok->refresh_token.len == 0)
		return sao_error_fix(err, SAO_ERR_LOGIN, SAO_FIX_LOGIN, c->account->name,
		                     "%s failed: the cache holds no refresh token; ", what);
	return token_request(c, now, what, tok, pairs, err);
}

sao_err_t sao_grant_client_credentials(sao_client_t *c, int64_t now, sao_token_t *tok_r, sao_error_t *err)
{
	char what[256];
	const char *pairs[] = { "grant_type", "client_credentials", "scope", c->ep.scope, NULL };

	snprintf(what, sizeof(what), "getting a token for account '%s' with the client credentials grant",
	         c->account->name);
	if (c->secret.len == 0 && c->key == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s failed: the account has no client secret or certificate; set client_secret_file or "
		                     "certificate and private_key",
		                     what);
	return token_request(c, now, what, tok_r, pairs, err);
}

sao_err_t sao_grant_code(sao_client_t *c, const char *code, const char *redirect_uri, const char *verifier,
                         int64_t now, sao_token_t *tok_r, sao_error_t *err)
{
	char what[256];
	const char *pairs[] = { "grant_type", "authorization_code", "code", code, "redirect_uri", redirect_uri,
		                "code_verifier", verifier, "scope", c->ep.scope, NULL };

	snprintf(what, sizeof(what), "redeeming the authorization code for account '%s'", c->account->name);
	return token_request(c, now, what, tok_r, pairs, err);
}

sao_err_t sao_grant_revoke(sao_client_t *c, const sao_token_t *tok, sao_error_t *err)
{
	sao_http_response_t resp;
	sao_json_t *j = NULL;
	sao_secret_t form;
	char what[256];
	sao_err_t rc;

	snprintf(what, sizeof(what), "revoking the refresh token of account '%s'", c->account->name);
	if (c->ep.revoke == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s: the provider has no revocation endpoint (Microsoft Entra ID has none); the tokens "
		                     "were deleted here but stay valid until they expire; to end every session use Revoke "
		                     "sessions in the admin center",
		                     what);
	sao_http_response_init(&resp);
	sao_secret_init(&form, SAO_HTTP_FORM_MAX);
	rc = sao_http_form_add(&form, "token", tok->refresh_token.data, tok->refresh_token.len, err);
	if (rc == SAO_OK)
		rc = sao_http_form_add(&form, "token_type_hint", "refresh_token", strlen("refresh_token"), err);
	if (rc == SAO_OK)
		rc = add_client(c, c->ep.revoke, &form, err);
	if (rc == SAO_OK)
		rc = sao_http_post_form(&c->http, c->ep.revoke, &form, &resp, what, err);
	/* RFC 7009 §2.2: any 2xx is success, whatever the body (Google sends
	 * none); §2.2.1: an error answer is RFC 6749 §5.2 JSON. A 5xx is not
	 * worded as for a token request ("try again later, the cached tokens
	 * are unchanged"): the caller has deleted its copy already. */
	if (rc != SAO_OK || (resp.status >= 200 && resp.status <= 299))
		goto out;
	if (resp.status < 500 &&
	    sao_json_parse(resp.body.data, resp.body.len, "the identity provider's answer", &j, NULL) == SAO_OK &&
	    sao_json_get_string(j, "error", NULL) != NULL)
		rc = oauth_failure(c, j, resp.status, what, NULL, err);
	else
		rc = sao_error_set(err, SAO_ERR_OAUTH,
		                   "%s failed: the provider answered HTTP %ld; the local tokens were deleted anyway", what,
		                   resp.status);
out:
	sao_json_free(&j);
	sao_secret_clear(&form);
	sao_http_response_clear(&resp);
	return rc;
}

sao_err_t sao_grant_global_init(sao_error_t *err)
{
	return sao_http_global_init(err);
}

void sao_grant_global_cleanup(void)
{
	sao_http_global_cleanup();
}
