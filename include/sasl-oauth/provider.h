/* SPDX-License-Identifier: MIT */
/*
 * provider: where an account's identity provider lives and what to ask it
 * for. Presets for microsoft (tenant x cloud: the login host and the
 * Exchange resource of each national cloud), google, and generic (explicit
 * URLs only). Explicit endpoint keys override a preset; `authority`
 * replaces Microsoft's login host (tests, private deployments).
 *
 * Scope, unless `scope =` is set: Microsoft delegated flows ask for the
 * Exchange permission of each service in `services` (IMAP.AccessAsUser.All,
 * POP.AccessAsUser.All, SMTP.Send, under the cloud's resource) plus
 * offline_access; client_credentials asks for the resource's "/.default";
 * google asks for https://mail.google.com/.
 *
 * Ownership: sao_endpoints_t owns its strings; sao_provider_clear() frees
 * them. authorize_extra is static.
 */
#ifndef SAO_PROVIDER_H
#define SAO_PROVIDER_H

#include "sasl-oauth/error.h"
#include "sasl-oauth/settings.h"

typedef struct sao_endpoints {
	char *token;      /* always set */
	char *device;     /* NULL: the provider has no device flow */
	char *authorize;  /* NULL: no browser flow */
	char *revoke;     /* NULL: no RFC 7009 revocation */
	char *scope;      /* the scope to request */
	const char *authorize_extra; /* more query parameters ("access_type=offline&prompt=consent") or "" */
} sao_endpoints_t;

/* Fills ep_r for account a. SAO_ERR_CONFIG when a needed value is missing
 * (a generic account without scope). */
sao_err_t sao_provider_endpoints(const sao_account_t *a, sao_endpoints_t *ep_r, sao_error_t *err);

void sao_provider_clear(sao_endpoints_t *ep);

#endif
