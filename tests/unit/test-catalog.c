/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/catalog.h"

/* Every AADSTS number the catalog holds, ascending, with the login flag it
 * must carry. Keep this list equal to the table: test_codes checks that the
 * entries found for it sit next to each other, so an entry missing here, a
 * repeated number or a table out of order fails the test. */
static const struct {
	long code;
	int login;
} known_codes[] = {
	{ 28002, 0 },   { 28003, 0 },   { 50000, 0 },   { 50011, 0 },   { 50012, 0 },   { 50020, 0 },
	{ 50034, 0 },   { 50048, 0 },   { 50053, 0 },   { 50055, 1 },   { 50057, 0 },   { 50074, 1 },
	{ 50076, 1 },   { 50078, 1 },   { 50079, 1 },   { 50105, 0 },   { 50126, 1 },   { 50173, 1 },
	{ 50194, 0 },   { 50196, 0 },   { 53000, 0 },   { 53001, 0 },   { 53003, 0 },   { 54005, 1 },
	{ 65001, 1 },   { 65002, 0 },   { 65004, 1 },   { 65005, 0 },   { 70000, 1 },   { 70001, 0 },
	{ 70008, 1 },   { 70011, 0 },   { 70016, 0 },   { 70018, 1 },   { 70019, 1 },   { 70043, 1 },
	{ 90002, 0 },   { 90033, 0 },   { 90038, 0 },   { 90055, 0 },   { 90094, 0 },   { 500011, 0 },
	{ 501481, 0 },  { 530035, 0 },  { 650057, 0 },  { 700011, 0 },  { 700016, 0 },  { 700022, 0 },
	{ 700024, 0 },  { 700025, 0 },  { 700027, 0 },  { 700082, 1 },  { 700084, 1 },  { 900144, 0 },
	{ 900971, 0 },  { 7000112, 0 }, { 7000215, 0 }, { 7000218, 0 }, { 7000222, 0 }, { 9001023, 0 },
	{ 9002313, 0 }, { 9002332, 0 },
};

/* Every error string the catalog holds, in strcmp order, same rule as
 * above. RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5 and OpenID Connect
 * Core §3.1.2.6 values, Entra ID's extras and Google's deleted_client. */
static const struct {
	const char *error;
	int login;
} known_errors[] = {
	{ "access_denied", 0 },
	{ "authorization_declined", 0 },
	{ "authorization_pending", 0 },
	{ "bad_verification_code", 1 },
	{ "consent_required", 1 },
	{ "deleted_client", 0 },
	{ "expired_token", 1 },
	{ "interaction_required", 1 },
	{ "invalid_client", 0 },
	{ "invalid_grant", 1 },
	{ "invalid_request", 0 },
	{ "invalid_resource", 0 },
	{ "invalid_scope", 0 },
	{ "login_required", 1 },
	{ "server_error", 0 },
	{ "slow_down", 0 },
	{ "temporarily_unavailable", 0 },
	{ "unauthorized_client", 0 },
	{ "unsupported_grant_type", 0 },
	{ "unsupported_response_type", 0 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The caller splices these texts into a sentence (catalog.c explains how),
 * so each must start in lower case and end without a period or blank. */
static int reads_as_fragment(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || !islower((unsigned char)s[0]))
		return 0;
	return s[n - 1] != '.' && !isspace((unsigned char)s[n - 1]);
}

/* Shared by both kinds of entry: the wording rules, and a fix for every
 * entry a new login does not cure. */
static void check_entry(const sao_catalog_entry_t *e, const char *key)
{
	CHECK_MSG(reads_as_fragment(e->cause), "cause of %s: \"%s\"", key, e->cause ? e->cause : "(null)");
	if (e->fix == NULL)
		CHECK_MSG(e->login == 1, "%s has no fix and no login", key);
	else
		CHECK_MSG(reads_as_fragment(e->fix), "fix of %s: \"%s\"", key, e->fix);
	CHECK_MSG(e->login == 0 || e->login == 1, "login of %s is %d", key, e->login);
}

static void test_codes(void)
{
	const sao_catalog_entry_t *prev = NULL;
	char key[32];

	for (size_t i = 0; i < N_ELEMS(known_codes); i++) {
		const sao_catalog_entry_t *e = sao_catalog_code(known_codes[i].code);

		snprintf(key, sizeof(key), "AADSTS%ld", known_codes[i].code);
		if (i > 0)
			CHECK_MSG(known_codes[i - 1].code < known_codes[i].code, "test list out of order at %s", key);
		CHECK_MSG(e != NULL, "%s not found", key);
		if (e == NULL) {
			prev = NULL;
			continue;
		}
		CHECK_MSG(e->code == known_codes[i].code && e->error == NULL, "%s: wrong entry", key);
		CHECK_MSG(e->login == known_codes[i].login, "%s: login %d, want %d", key, e->login,
		          known_codes[i].login);
		check_entry(e, key);
		/* Neighbours in the list are neighbours in the table: no repeated
		 * number and no untested entry between them. */
		if (prev != NULL)
			CHECK_MSG(e == prev + 1, "%s does not follow the previous entry in the table", key);
		prev = e;
	}
}

static void test_errors(void)
{
	const sao_catalog_entry_t *prev = NULL;

	for (size_t i = 0; i < N_ELEMS(known_errors); i++) {
		const char *s = known_errors[i].error;
		const sao_catalog_entry_t *e = sao_catalog_error(s);

		if (i > 0)
			CHECK_MSG(strcmp(known_errors[i - 1].error, s) < 0, "test list out of order at %s", s);
		CHECK_MSG(e != NULL, "%s not found", s);
		if (e == NULL) {
			prev = NULL;
			continue;
		}
		CHECK_MSG(e->code == 0 && e->error != NULL && strcmp(e->error, s) == 0, "%s: wrong entry", s);
		CHECK_MSG(e->login == known_errors[i].login, "%s: login %d, want %d", s, e->login,
		          known_errors[i].login);
		check_entry(e, s);
		if (prev != NULL)
			CHECK_MSG(e == prev + 1, "%s does not follow the previous entry in the table", s);
		prev = e;
	}
}

static void test_unknown(void)
{
	static const long codes[] = { 0, -1, 1, 28001, 50077, 70017, 9002333, 99999999, LONG_MAX, LONG_MIN };
	static const char *const errors[] = {
		"",               /* empty */
		"Invalid_Grant",  /* RFC 6749 values are case-sensitive */
		"INVALID_GRANT",
		"invalid_grant ", /* no trimming */
		" invalid_grant",
		"invalid",        /* no prefix match */
		"invalid_grants",
		"AADSTS50173",    /* numbers go through sao_catalog_code */
		"invalid_token",  /* a resource-server (RFC 6750) code, challenge.c's business */
	};

	for (size_t i = 0; i < N_ELEMS(codes); i++)
		CHECK_MSG(sao_catalog_code(codes[i]) == NULL, "code %ld found", codes[i]);
	for (size_t i = 0; i < N_ELEMS(errors); i++)
		CHECK_MSG(sao_catalog_error(errors[i]) == NULL, "\"%s\" found", errors[i]);
	CHECK(sao_catalog_error(NULL) == NULL);
}

/* The wording a user sees for the commonest case, end to end. */
static void test_sentence(void)
{
	const sao_catalog_entry_t *e = sao_catalog_code(53003);
	char line[512];
	int n;

	CHECK(e != NULL && e->fix != NULL);
	if (e == NULL || e->fix == NULL)
		return;
	n = snprintf(line, sizeof(line), "the identity provider answered access_denied AADSTS%ld: %s; %s", e->code,
	             e->cause, e->fix);
	CHECK(n > 0 && (size_t)n < sizeof(line));
	CHECK(strstr(line, "Conditional Access") != NULL && strstr(line, "flow = authcode") != NULL);
}

int main(void)
{
	test_codes();
	test_errors();
	test_unknown();
	test_sentence();
	return check_done("test-catalog");
}
