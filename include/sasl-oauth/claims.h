/* SPDX-License-Identifier: MIT */
/*
 * claims: what an access token says about itself, and whether that is what
 * a mail server needs (sasl-oauth inspect, status and test).
 *
 * Entra ID's access tokens for Exchange Online are JWTs (RFC 7519) whose
 * payload can be read without the signature; the client never verifies it
 * (the server does), so nothing here is trusted for access decisions, only
 * used to explain a refusal. Microsoft personal accounts and Google issue
 * opaque tokens: decoding them yields jwt = 0 and the checks say what can
 * still be known (the expiry and scope the provider returned with it).
 *
 * The token itself is never copied into the struct, never printed, and
 * the decoded payload is wiped after parsing. Fields are fixed arrays,
 * NUL-terminated, cut when longer; absent claims are empty strings or 0.
 */
#ifndef SAO_CLAIMS_H
#define SAO_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "sasl-oauth/error.h"
#include "sasl-oauth/settings.h"

typedef struct sao_claims {
	int jwt;            /* 1: a JWT whose payload was read; 0: opaque */
	char aud[256];      /* audience; several are joined by spaces */
	char iss[256];
	char tid[64];       /* tenant id */
	char ver[8];        /* "1.0" or "2.0" */
	char user[256];     /* upn, else preferred_username, else unique_name */
	const char *user_claim; /* which claim user came from, static, or NULL */
	char appid[64];     /* appid (v1) or azp (v2) */
	char idtyp[16];     /* "app" for app-only tokens, when present */
	char scp[1024];     /* delegated scopes, space-separated */
	char roles[1024];   /* app roles, space-separated */
	int64_t exp, iat, nbf;
} sao_claims_t;

/* Reads the claims of token (len bytes). A token that is not a JWT with a
 * JSON payload is not an error: claims_r->jwt is 0. Fails only with
 * SAO_ERR_NOMEM or SAO_ERR_INTERNAL (json-c could not be loaded). */
sao_err_t sao_claims_decode(const void *token, size_t len, sao_claims_t *claims_r, sao_error_t *err);

/* 1 for an app-only (client credentials) token: idtyp "app", or roles
 * without scp or user. */
int sao_claims_app_only(const sao_claims_t *c);

typedef enum { SAO_CHECK_INFO, SAO_CHECK_OK, SAO_CHECK_WARN, SAO_CHECK_FAIL } sao_check_level_t;

#define SAO_CHECKS_MAX 12
#define SAO_CHECK_TEXT_MAX 512

typedef struct sao_check {
	const char *name;                  /* "token", "audience", "scopes", "roles", "tenant",
	                                      "version", "expiry", "user"; static */
	sao_check_level_t level;
	char text[SAO_CHECK_TEXT_MAX];     /* what was found, one clause */
	char fix[SAO_CHECK_TEXT_MAX];      /* what to do; empty for info and ok */
} sao_check_t;

typedef struct sao_checks {
	sao_check_t item[SAO_CHECKS_MAX];
	size_t n;
	sao_check_level_t worst;
} sao_checks_t;

/* Judges claims c against what account a needs (a may be NULL for a token
 * read from stdin: then the provider is taken to be Microsoft when the
 * issuer says so, the margin is the default and users are not compared).
 * scope is the scope the provider returned with the token (may be NULL),
 * expires_at the expiry it gave (0: unknown; the JWT's exp is used). */
void sao_claims_check(const sao_claims_t *c, const sao_account_t *a, const char *scope, int64_t expires_at,
                      int64_t now, sao_checks_t *checks_r);

/* "info", "ok", "warning", "FAIL". */
const char *sao_check_level_name(sao_check_level_t level);

#endif
