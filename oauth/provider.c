/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl-oauth/provider.h"

/* Microsoft's national clouds: the login host and the Exchange Online
 * resource whose permissions the token must carry (protocols.md §3.13). */
typedef struct cloud {
	sao_account_cloud_t id;
	const char *login;     /* https://host */
	const char *resource;  /* delegated scopes are resource + permission */
	const char *app;       /* client_credentials scope */
} cloud_t;

static const cloud_t clouds[] = {
	{ .id = SAO_CLOUD_GLOBAL,
	  .login = "https://login.microsoftonline.com",
	  .resource = "https://outlook.office.com/",
	  .app = "https://outlook.office365.com/.default" },
	{ .id = SAO_CLOUD_USGOV,
	  .login = "https://login.microsoftonline.us",
	  .resource = "https://outlook.office365.us/",
	  .app = "https://outlook.office365.us/.default" },
	{ .id = SAO_CLOUD_USGOV_DOD,
	  .login = "https://login.microsoftonline.us",
	  .resource = "https://outlook-dod.office365.us/",
	  .app = "https://outlook-dod.office365.us/.default" },
	{ .id = SAO_CLOUD_CHINA,
	  .login = "https://login.partner.microsoftonline.cn",
	  .resource = "https://partner.outlook.cn/",
	  .app = "https://partner.outlook.cn/.default" },
};

/* The Exchange permission each service needs (delegated). */
static const struct {
	const char *service;
	const char *permission;
} permissions[] = {
	{ "imap", "IMAP.AccessAsUser.All" },
	{ "pop", "POP.AccessAsUser.All" },
	{ "smtp", "SMTP.Send" },
};

#define GOOGLE_TOKEN "https://oauth2.googleapis.com/token"
#define GOOGLE_DEVICE "https://oauth2.googleapis.com/device/code"
#define GOOGLE_AUTHORIZE "https://accounts.google.com/o/oauth2/v2/auth"
#define GOOGLE_REVOKE "https://oauth2.googleapis.com/revoke"
#define GOOGLE_SCOPE "https://mail.google.com/"
/* Google hands out a refresh token only on a consent screen. */
#define GOOGLE_AUTHORIZE_EXTRA "access_type=offline&prompt=consent"

static char *join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* An explicit key wins over the preset; NULL preset and no key stays NULL. */
static int pick(char **dst, const char *key, const char *preset)
{
	const char *v = key != NULL ? key : preset;

	*dst = NULL;
	if (v == NULL)
		return 1;
	*dst = strdup(v);
	return *dst != NULL;
}

static const cloud_t *find_cloud(sao_account_cloud_t id)
{
	for (size_t i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++) {
		if (clouds[i].id == id)
			return &clouds[i];
	}
	return &clouds[0];
}

/* Delegated Exchange scopes for the account's services, then
 * offline_access so that a refresh token comes back. */
static char *microsoft_scope(const sao_account_t *a, const cloud_t *cl)
{
	size_t size = 32;
	char *s;

	if (a->flow == SAO_FLOW_CLIENT_CREDENTIALS)
		return strdup(cl->app);
	for (size_t i = 0; i < sizeof(permissions) / sizeof(permissions[0]); i++)
		size += strlen(cl->resource) + strlen(permissions[i].permission) + 1;
	s = malloc(size);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < sizeof(permissions) / sizeof(permissions[0]); i++) {
		size_t o = strlen(s);

		if (sao_settings_serves(a, permissions[i].service))
			snprintf(s + o, size - o, "%s%s ", cl->resource, permissions[i].permission);
	}
	snprintf(s + strlen(s), size - strlen(s), "offline_access");
	return s;
}

static sao_err_t microsoft(const sao_account_t *a, sao_endpoints_t *ep, sao_error_t *err)
{
	const cloud_t *cl = find_cloud(a->cloud);
	const char *host = a->authority != NULL ? a->authority : cl->login;
	size_t hl = strlen(host);
	char *base;
	int ok;

	/* "https://host/" and "https://host" name the same authority. */
	while (hl > 0 && host[hl - 1] == '/')
		hl--;
	base = malloc(hl + strlen(a->tenant) + 32);
	if (base == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	memcpy(base, host, hl);
	snprintf(base + hl, strlen(a->tenant) + 32, "/%s/oauth2/v2.0/", a->tenant);
	ep->token = a->token_endpoint != NULL ? strdup(a->token_endpoint) : join3(base, "token", "");
	ep->device = a->device_endpoint != NULL ? strdup(a->device_endpoint) : join3(base, "devicecode", "");
	ep->authorize = a->authorize_endpoint != NULL ? strdup(a->authorize_endpoint) : join3(base, "authorize", "");
	ok = ep->token != NULL && ep->device != NULL && ep->authorize != NULL;
	/* Entra ID has no RFC 7009 endpoint; sign-out is revokeSignInSessions. */
	ok = ok && pick(&ep->revoke, a->revoke_endpoint, NULL);
	ep->scope = a->scope != NULL ? strdup(a->scope) : microsoft_scope(a, cl);
	free(base);
	if (!ok || ep->scope == NULL)
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	return SAO_OK;
}

static sao_err_t google(const sao_account_t *a, sao_endpoints_t *ep, sao_error_t *err)
{
	if (!pick(&ep->token, a->token_endpoint, GOOGLE_TOKEN) || !pick(&ep->device, a->device_endpoint, GOOGLE_DEVICE) ||
	    !pick(&ep->authorize, a->authorize_endpoint, GOOGLE_AUTHORIZE) ||
	    !pick(&ep->revoke, a->revoke_endpoint, GOOGLE_REVOKE) || !pick(&ep->scope, a->scope, GOOGLE_SCOPE))
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	ep->authorize_extra = GOOGLE_AUTHORIZE_EXTRA;
	return SAO_OK;
}

static sao_err_t generic(const sao_account_t *a, sao_endpoints_t *ep, sao_error_t *err)
{
	if (a->scope == NULL)
		return sao_error_set(err, SAO_ERR_CONFIG,
		                     "%s:%d: account '%s' uses provider generic but sets no 'scope'; give the scopes the "
		                     "mail server needs",
		                     a->file, a->line, a->name);
	if (!pick(&ep->token, a->token_endpoint, NULL) || !pick(&ep->device, a->device_endpoint, NULL) ||
	    !pick(&ep->authorize, a->authorize_endpoint, NULL) || !pick(&ep->revoke, a->revoke_endpoint, NULL) ||
	    !pick(&ep->scope, a->scope, NULL))
		return sao_error_set(err, SAO_ERR_NOMEM, "out of memory");
	return SAO_OK;
}

static const struct {
	sao_account_provider_t id;
	sao_err_t (*fill)(const sao_account_t *a, sao_endpoints_t *ep, sao_error_t *err);
} presets[] = {
	{ SAO_PROVIDER_MICROSOFT, microsoft },
	{ SAO_PROVIDER_GOOGLE, google },
	{ SAO_PROVIDER_GENERIC, generic },
};

sao_err_t sao_provider_endpoints(const sao_account_t *a, sao_endpoints_t *ep_r, sao_error_t *err)
{
	sao_err_t rc = SAO_ERR_INTERNAL;

	memset(ep_r, 0, sizeof(*ep_r));
	ep_r->authorize_extra = "";
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (presets[i].id == a->provider) {
			rc = presets[i].fill(a, ep_r, err);
			break;
		}
	}
	if (rc == SAO_ERR_INTERNAL)
		sao_error_set(err, rc, "account '%s' has an unknown provider (%d)", a->name, (int)a->provider);
	else if (rc == SAO_OK && ep_r->token == NULL)
		rc = sao_error_set(err, SAO_ERR_CONFIG, "%s:%d: account '%s' has no token endpoint; set 'token_endpoint'",
		                   a->file, a->line, a->name);
	if (rc != SAO_OK)
		sao_provider_clear(ep_r);
	return rc;
}

void sao_provider_clear(sao_endpoints_t *ep)
{
	free(ep->token);
	free(ep->device);
	free(ep->authorize);
	free(ep->revoke);
	free(ep->scope);
	memset(ep, 0, sizeof(*ep));
	ep->authorize_extra = "";
}
