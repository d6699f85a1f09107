/* SPDX-License-Identifier: MIT */
/*
 * discover: who hosts a mail address, for "sasl-oauth setup".
 *
 * In order: the personal Microsoft domains (outlook.com, hotmail.com,
 * live.com, msn.com: tenant "consumers") and Google's own (gmail.com,
 * googlemail.com) by name; then Microsoft's OpenID discovery for the
 * domain, {login host}/{domain}/v2.0/.well-known/openid-configuration:
 * an answer names the tenant id (in "issuer") and the national cloud
 * ("cloud_instance_name", "tenant_region_sub_scope"); a 400 with
 * AADSTS90002 (invalid_tenant) means the domain is no Entra ID tenant.
 * Then, unless switched off, the domain's MX records: a mail exchanger
 * under google.com or googlemail.com means Google Workspace.
 * Anything else is unknown: the caller asks, or takes --provider.
 *
 * The parsing functions are pure (unit-tested without a network).
 */
#ifndef SAO_DISCOVER_H
#define SAO_DISCOVER_H

#include <stddef.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/http.h"

#define SAO_DISCOVER_TENANT_MAX 64

typedef enum {
	SAO_DISCOVER_UNKNOWN,   /* not found: ask, or --provider */
	SAO_DISCOVER_MICROSOFT, /* tenant and cloud set */
	SAO_DISCOVER_GOOGLE
} sao_discover_kind_t;

typedef struct sao_discovery {
	sao_discover_kind_t kind;
	char tenant[SAO_DISCOVER_TENANT_MAX + 1]; /* microsoft: a tenant id, or "consumers" */
	const char *cloud;                        /* microsoft: global, usgov, usgov-dod, china */
	char how[640];                             /* how it was found, one phrase for the user */
} sao_discovery_t;

/* The domain of a mail address (after the last '@'), lower case, in buf.
 * 0 when email is no address or the domain has characters a host name
 * cannot have. */
int sao_discover_domain(const char *email, char *buf, size_t size);

/* Known by name: fills r and returns 1, else 0. */
int sao_discover_known(const char *domain, sao_discovery_t *r);

/* Judges a discovery answer (HTTP status, body): SAO_OK with r->kind
 * MICROSOFT, or UNKNOWN for "no such tenant" (400 AADSTS90002 or
 * invalid_tenant); SAO_ERR_PROTO for anything else, with the status. */
sao_err_t sao_discover_parse(const char *domain, long status, const char *body, size_t len, sao_discovery_t *r,
                             sao_error_t *err);

/* The cloud of a discovery answer's cloud_instance_name and
 * tenant_region_sub_scope (may be NULL); NULL for one not known. */
const char *sao_discover_cloud(const char *instance, const char *sub_scope);

/* 1 when mx (a mail exchanger's host name) is Google's. */
int sao_discover_mx_is_google(const char *mx);

/* The whole search for email. authority replaces
 * https://login.microsoftonline.com (tests); use_mx 0 skips DNS. A network
 * failure of the discovery is an error (SAO_ERR_NET, _TIMEOUT), not
 * "unknown": a wrong guess would sign the user in at the wrong place. */
sao_err_t sao_discover(const char *email, const char *authority, int use_mx, const sao_http_opts_t *o,
                       sao_discovery_t *r, sao_error_t *err);

#endif
