/* SPDX-License-Identifier: MIT */
/*
 * discover: who hosts a mail address (discover.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_RES_QUERY
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#endif

#include "sasl-oauth/discover.h"
#include "sasl-oauth/json.h"

#define LOGIN_HOST "https://login.microsoftonline.com"
#define URL_MAX 1024

static const struct {
	const char *domain;
	sao_discover_kind_t kind;
} known[] = {
	/* Personal Microsoft accounts sign in at the "consumers" tenant. */
	{ "outlook.com", SAO_DISCOVER_MICROSOFT },
	{ "hotmail.com", SAO_DISCOVER_MICROSOFT },
	{ "live.com", SAO_DISCOVER_MICROSOFT },
	{ "msn.com", SAO_DISCOVER_MICROSOFT },
	{ "gmail.com", SAO_DISCOVER_GOOGLE },
	{ "googlemail.com", SAO_DISCOVER_GOOGLE },
};

/* cloud_instance_name as Entra ID's discovery documents give it; in the
 * US government cloud tenant_region_sub_scope "DOD" tells DoD from GCC
 * High. GCC (moderate) tenants live in the global cloud. */
static const struct {
	const char *instance, *sub_scope, *cloud;
} clouds[] = {
	{ "microsoftonline.com", NULL, "global" },
	{ "microsoftonline.us", "DOD", "usgov-dod" },
	{ "microsoftonline.us", NULL, "usgov" },
	{ "partner.microsoftonline.cn", NULL, "china" },
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int sao_discover_domain(const char *email, char *buf, size_t size)
{
	const char *at = email != NULL ? strrchr(email, '@') : NULL;
	size_t n;

	if (at == NULL || at == email || at[1] == '\0')
		return 0;
	n = strlen(at + 1);
	if (n >= size || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = lower(at[1 + i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
		buf[i] = c;
	}
	buf[n] = '\0';
	return buf[0] != '.' && buf[0] != '-' && strstr(buf, "..") == NULL && strchr(buf, '.') != NULL;
}

int sao_discover_known(const char *domain, sao_discovery_t *r)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(domain, known[i].domain) != 0)
			continue;
		memset(r, 0, sizeof(*r));
		r->kind = known[i].kind;
		if (r->kind == SAO_DISCOVER_MICROSOFT) {
			memcpy(r->tenant, "consumers", sizeof("consumers"));
			r->cloud = "global";
			snprintf(r->how, sizeof(r->how), "%s is a personal Microsoft account domain (tenant consumers)",
			         domain);
		} else {
			snprintf(r->how, sizeof(r->how), "%s is Google's", domain);
		}
		return 1;
	}
	return 0;
}

const char *sao_discover_cloud(const char *instance, const char *sub_scope)
{
	if (instance == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++) {
		if (strcmp(clouds[i].instance, instance) != 0)
			continue;
		if (clouds[i].sub_scope == NULL ||
		    (sub_scope != NULL && strcmp(clouds[i].sub_scope, sub_scope) == 0))
			return clouds[i].cloud;
	}
	return NULL;
}

/* "https://login.microsoftonline.com/{tid}/v2.0" -> tid, when it is a
 * plain tenant id (letters, digits, '-'; a GUID in practice). */
static int tenant_of_issuer(const char *issuer, char *buf, size_t size)
{
	const char *p = strstr(issuer, "://");
	size_t n;

	if (p == NULL)
		return 0;
	p = strchr(p + 3, '/');
	if (p == NULL)
		return 0;
	p++;
	n = strcspn(p, "/");
	if (n == 0 || n >= size || strcmp(p + n, "/v2.0") != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 1;
}

sao_err_t sao_discover_parse(const char *domain, long status, const char *body, size_t len, sao_discovery_t *r,
                             sao_error_t *err)
{
	sao_json_t *j = NULL;
	sao_error_t perr;
	const char *issuer, *instance, *e, *desc;
	sao_err_t rc;

	memset(r, 0, sizeof(*r));
	sao_error_clear(&perr);
	rc = body != NULL && len > 0 ? sao_json_parse(body, len, "the discovery document", &j, &perr) : SAO_ERR_PROTO;
	if (status == 400 && rc == SAO_OK) {
		e = sao_json_get_string(j, "error", NULL);
		desc = sao_json_get_string(j, "error_description", NULL);
		if ((e != NULL && strcmp(e, "invalid_tenant") == 0) ||
		    (desc != NULL && strncmp(desc, "AADSTS90002", 11) == 0 && !(desc[11] >= '0' && desc[11] <= '9'))) {
			r->kind = SAO_DISCOVER_UNKNOWN;
			snprintf(r->how, sizeof(r->how), "%s has no Microsoft Entra ID tenant (AADSTS90002)", domain);
			rc = SAO_OK;
			goto out;
		}
	}
	if (status != 200 || rc != SAO_OK) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "Microsoft's OpenID discovery for '%s' answered HTTP %ld%s; give the provider with "
		                   "--provider (and --tenant)",
		                   domain, status, rc != SAO_OK ? " without a JSON object" : " with an unexpected answer");
		goto out;
	}
	issuer = sao_json_get_string(j, "issuer", NULL);
	instance = sao_json_get_string(j, "cloud_instance_name", NULL);
	r->cloud = sao_discover_cloud(instance != NULL ? instance : "microsoftonline.com",
	                              sao_json_get_string(j, "tenant_region_sub_scope", NULL));
	if (issuer == NULL || !tenant_of_issuer(issuer, r->tenant, sizeof(r->tenant)) || r->cloud == NULL) {
		rc = sao_error_set(err, SAO_ERR_PROTO,
		                   "Microsoft's OpenID discovery for '%s' gave no usable issuer or an unknown cloud "
		                   "('%s'); give --tenant and --cloud",
		                   domain, instance != NULL ? instance : "");
		memset(r, 0, sizeof(*r));
		goto out;
	}
	r->kind = SAO_DISCOVER_MICROSOFT;
	snprintf(r->how, sizeof(r->how), "Microsoft Entra ID tenant %s, %s cloud (OpenID discovery for %s)", r->tenant,
	         r->cloud, domain);
	rc = SAO_OK;
out:
	sao_json_free(&j);
	return rc;
}

int sao_discover_mx_is_google(const char *mx)
{
	static const char *const suffixes[] = { "google.com", "googlemail.com" };
	size_t n = strlen(mx);

	while (n > 0 && mx[n - 1] == '.')
		n--;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);

		if (n >= k && strncasecmp(mx + n - k, suffixes[i], k) == 0 && (n == k || mx[n - k - 1] == '.'))
			return 1;
	}
	return 0;
}

/* Any MX record of domain that is Google's, in buf; 0 when none (or no
 * DNS, or built without a resolver library). */
static int google_mx(const char *domain, char *buf, size_t size)
{
#ifdef HAVE_RES_QUERY
	unsigned char answer[4096];
	ns_msg msg;
	ns_rr rr;
	int len = res_query(domain, ns_c_in, ns_t_mx, answer, sizeof(answer));

	if (len < 0 || ns_initparse(answer, len, &msg) != 0)
		return 0;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		/* RFC 1035 §3.3.9: a 16-bit preference, then the exchange. */
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr) + 2, buf, (int)size) < 0)
			continue;
		if (sao_discover_mx_is_google(buf))
			return 1;
	}
#else
	(void)domain;
	(void)buf;
	(void)size;
#endif
	return 0;
}

sao_err_t sao_discover(const char *email, const char *authority, int use_mx, const sao_http_opts_t *o,
                       sao_discovery_t *r, sao_error_t *err)
{
	char domain[256], url[URL_MAX], what[320], mx[1025];
	sao_http_response_t resp;
	size_t alen;
	int n;
	sao_err_t rc;

	memset(r, 0, sizeof(*r));
	if (!sao_discover_domain(email, domain, sizeof(domain)))
		return sao_error_set(err, SAO_ERR_CONFIG, "'%s' is not a mail address (NAME@DOMAIN); give the mailbox's address",
		                     email != NULL ? email : "");
	if (sao_discover_known(domain, r))
		return SAO_OK;
	if (authority == NULL)
		authority = LOGIN_HOST;
	alen = strlen(authority);
	while (alen > 0 && authority[alen - 1] == '/')
		alen--;
	n = snprintf(url, sizeof(url), "%.*s/%s/v2.0/.well-known/openid-configuration", (int)alen, authority, domain);
	if (n < 0 || (size_t)n >= sizeof(url))
		return sao_error_set(err, SAO_ERR_CONFIG, "the authority URL is too long");
	snprintf(what, sizeof(what), "Microsoft's OpenID discovery for '%s'", domain);
	sao_http_response_init(&resp);
	rc = sao_http_get(o, url, &resp, what, err);
	if (rc == SAO_OK)
		rc = sao_discover_parse(domain, resp.status, (const char *)resp.body.data, resp.body.len, r, err);
	sao_http_response_clear(&resp);
	if (rc != SAO_OK || r->kind != SAO_DISCOVER_UNKNOWN)
		return rc;
	if (use_mx && google_mx(domain, mx, sizeof(mx))) {
		r->kind = SAO_DISCOVER_GOOGLE;
		snprintf(r->how, sizeof(r->how), "the mail of %.253s goes to Google (MX %.300s)", domain, mx);
	}
	return SAO_OK;
}
