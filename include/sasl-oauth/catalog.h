/* SPDX-License-Identifier: MIT */
/*
 * catalog: what an identity provider's error means and what fixes it
 * (DESIGN.md §7). Entries are keyed by Entra ID's AADSTS number, or by the
 * OAuth "error" string (RFC 6749 §5.2, RFC 8628 §3.5) for providers that
 * send no number. Constant data; nothing to free.
 */
#ifndef SAO_CATALOG_H
#define SAO_CATALOG_H

typedef struct sao_catalog_entry {
	long code;          /* AADSTS number, 0 for entries keyed by error */
	const char *error;  /* OAuth error string, NULL for entries keyed by code */
	const char *cause;  /* plain words, lower case, no final period */
	const char *fix;    /* what the user or admin does; NULL when login says it all */
	int login;          /* 1: the grant is gone, a new "sasl-oauth login ACCOUNT" is the fix */
} sao_catalog_entry_t;

/* The entry for AADSTS number code, or NULL. */
const sao_catalog_entry_t *sao_catalog_code(long code);

/* The entry for an OAuth error string, or NULL (never NULL for the RFC
 * 6749 and RFC 8628 codes). */
const sao_catalog_entry_t *sao_catalog_error(const char *error);

#endif
