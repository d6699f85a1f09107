/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sasl-oauth/claims.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1800000000

/* base64url without padding, for building tokens in the tests. */
static void b64url(const char *in, char *out, size_t size)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = abc[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
}

static void jwt(const char *payload, char *out, size_t size)
{
	char head[128], body[4096];

	b64url("{\"typ\":\"JWT\",\"alg\":\"RS256\"}", head, sizeof(head));
	b64url(payload, body, sizeof(body));
	snprintf(out, size, "%s.%s.c2lnbmF0dXJl", head, body);
}

static const sao_check_t *find(const sao_checks_t *ch, const char *name)
{
	for (size_t i = 0; i < ch->n; i++) {
		if (strcmp(ch->item[i].name, name) == 0)
			return &ch->item[i];
	}
	return NULL;
}

static const struct {
	const char *what;
	const char *payload; /* NULL: the token is raw */
	const char *raw;
	int jwt, app_only;
	const char *check;   /* a check and the level it must have */
	sao_check_level_t level;
	const char *text;    /* in that check's text or fix */
	sao_check_level_t worst;
} cases[] = {
	{ "v1 IMAP delegated",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"tid\":\"t\",\"ver\":\"1.0\","
	  "\"scp\":\"IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send\",\"upn\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "audience", SAO_CHECK_OK, "is Exchange Online", SAO_CHECK_OK },
	{ "trailing slash on the audience",
	  "{\"aud\":\"https://outlook.office365.com/\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All "
	  "POP.AccessAsUser.All SMTP.Send\",\"upn\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "audience", SAO_CHECK_OK, "Exchange Online", SAO_CHECK_OK },
	{ "Graph",
	  "{\"aud\":\"https://graph.microsoft.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All\","
	  "\"upn\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "audience", SAO_CHECK_FAIL, "Microsoft Graph", SAO_CHECK_FAIL },
	{ "Graph v2 by application id",
	  "{\"aud\":\"00000003-0000-0000-c000-000000000000\",\"iss\":\"https://login.microsoftonline.com/t/v2.0\","
	  "\"ver\":\"2.0\",\"scp\":\"Mail.Read\",\"preferred_username\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "audience", SAO_CHECK_FAIL, "Microsoft Graph", SAO_CHECK_FAIL },
	{ "v2 Exchange, user from preferred_username",
	  "{\"aud\":\"00000002-0000-0ff1-ce00-000000000000\",\"iss\":\"https://login.microsoftonline.com/t/v2.0\","
	  "\"ver\":\"2.0\",\"scp\":\"IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send\","
	  "\"preferred_username\":\"Alice@Contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "user", SAO_CHECK_OK, "(preferred_username) is in users", SAO_CHECK_OK },
	{ "missing SMTP.Send",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All "
	  "POP.AccessAsUser.All\",\"upn\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "scopes", SAO_CHECK_WARN, "lacks SMTP.Send", SAO_CHECK_WARN },
	{ "no mail scope at all",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"User.Read\","
	  "\"upn\":\"alice@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "scopes", SAO_CHECK_FAIL, "sasl-oauth login work", SAO_CHECK_FAIL },
	{ "app-only with roles",
	  "{\"aud\":\"https://outlook.office365.com\",\"iss\":\"https://sts.windows.net/t/\",\"idtyp\":\"app\","
	  "\"roles\":[\"IMAP.AccessAsApp\",\"POP.AccessAsApp\",\"SMTP.SendAsApp\"],\"exp\":1800003600}",
	  NULL, 1, 1, "roles", SAO_CHECK_OK, "IMAP.AccessAsApp, POP.AccessAsApp, SMTP.SendAsApp", SAO_CHECK_OK },
	{ "app-only without roles (no idtyp: no scp, no user)",
	  "{\"aud\":\"https://outlook.office365.com\",\"iss\":\"https://sts.windows.net/t/\",\"exp\":1800003600}", NULL, 1,
	  1, "roles", SAO_CHECK_FAIL, "grant admin consent", SAO_CHECK_FAIL },
	{ "expired",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All "
	  "POP.AccessAsUser.All SMTP.Send\",\"upn\":\"alice@contoso.com\",\"exp\":1799999000}",
	  NULL, 1, 0, "expiry", SAO_CHECK_FAIL, "sasl-oauth refresh work", SAO_CHECK_FAIL },
	{ "within refresh_margin",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All "
	  "POP.AccessAsUser.All SMTP.Send\",\"upn\":\"alice@contoso.com\",\"exp\":1800000300}",
	  NULL, 1, 0, "expiry", SAO_CHECK_WARN, "within refresh_margin (600 s)", SAO_CHECK_WARN },
	{ "another user",
	  "{\"aud\":\"https://outlook.office.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"IMAP.AccessAsUser.All "
	  "POP.AccessAsUser.All SMTP.Send\",\"unique_name\":\"bob@contoso.com\",\"exp\":1800003600}",
	  NULL, 1, 0, "user", SAO_CHECK_WARN, "bob@contoso.com (unique_name) is none of users", SAO_CHECK_WARN },
	{ "opaque (personal account)", NULL, "EwBAAl3BAAUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0, "token", SAO_CHECK_INFO,
	  "opaque token", SAO_CHECK_OK },
	{ "opaque (Google)", NULL, "ya29.a0AfB_byC-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0, "token",
	  SAO_CHECK_INFO, "opaque token", SAO_CHECK_OK },
	{ "two dots but no JSON", NULL, "abc.def.ghi", 0, 0, "token", SAO_CHECK_INFO, "opaque token", SAO_CHECK_OK },
	{ "five parts (JWE)", NULL, "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.a.b.c", 0, 0, "token", SAO_CHECK_INFO, "opaque token",
	  SAO_CHECK_OK },
};

static void test_cases(void)
{
	static char *users[] = { "alice@contoso.com", "shared@contoso.com" };
	sao_account_t a = { .name = "work", .users = users, .n_users = 2, .provider = SAO_PROVIDER_MICROSOFT,
		            .refresh_margin = 600 };

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char token[8192];
		sao_claims_t c;
		sao_checks_t ch;
		sao_error_t err;
		const sao_check_t *k;

		sao_error_clear(&err);
		if (cases[i].payload != NULL)
			jwt(cases[i].payload, token, sizeof(token));
		else
			snprintf(token, sizeof(token), "%s", cases[i].raw);
		CHECK_MSG(sao_claims_decode(token, strlen(token), &c, &err) == SAO_OK, "%s: %s", cases[i].what, err.msg);
		CHECK_MSG(c.jwt == cases[i].jwt, "%s: jwt %d", cases[i].what, c.jwt);
		CHECK_MSG(sao_claims_app_only(&c) == cases[i].app_only, "%s: app_only", cases[i].what);
		/* An opaque token's expiry comes from the cache. */
		sao_claims_check(&c, &a, "https://outlook.office.com/IMAP.AccessAsUser.All", NOW + 3600, NOW, &ch);
		k = find(&ch, cases[i].check);
		CHECK_MSG(k != NULL, "%s: no %s check", cases[i].what, cases[i].check);
		if (k == NULL)
			continue;
		CHECK_MSG(k->level == cases[i].level, "%s: %s is %s", cases[i].what, k->name, sao_check_level_name(k->level));
		CHECK_MSG(strstr(k->text, cases[i].text) != NULL || strstr(k->fix, cases[i].text) != NULL,
		          "%s: \"%s\" not in \"%s\" / \"%s\"", cases[i].what, cases[i].text, k->text, k->fix);
		CHECK_MSG(ch.worst == cases[i].worst, "%s: worst %s", cases[i].what, sao_check_level_name(ch.worst));
		/* No check ever quotes the token. */
		for (size_t j = 0; j < ch.n; j++)
			CHECK_MSG(strstr(ch.item[j].text, token) == NULL && strstr(ch.item[j].fix, token) == NULL,
			          "%s: the token is in check %s", cases[i].what, ch.item[j].name);
	}
}

/* A token read from stdin: no account, Microsoft by its issuer. */
static void test_no_account(void)
{
	char token[4096];
	sao_claims_t c;
	sao_checks_t ch;

	jwt("{\"aud\":\"https://graph.microsoft.com\",\"iss\":\"https://sts.windows.net/t/\",\"scp\":\"Mail.Read\","
	    "\"upn\":\"x@y\",\"exp\":1800003600,\"roles\":\"a\"}",
	    token, sizeof(token));
	CHECK(sao_claims_decode(token, strlen(token), &c, NULL) == SAO_OK);
	sao_claims_check(&c, NULL, NULL, 0, NOW, &ch);
	CHECK(ch.worst == SAO_CHECK_FAIL);
	CHECK(find(&ch, "audience") != NULL && strstr(find(&ch, "audience")->fix, "sasl-oauth login ACCOUNT") != NULL);
	CHECK(strcmp(c.roles, "a") == 0);
	/* A generic provider's JWT: reported, not judged. */
	jwt("{\"aud\":\"mail\",\"iss\":\"https://idp.example\",\"scope\":\"x\",\"sub\":\"u\",\"exp\":1800003600}", token,
	    sizeof(token));
	CHECK(sao_claims_decode(token, strlen(token), &c, NULL) == SAO_OK && c.jwt == 1);
	sao_claims_check(&c, NULL, NULL, 0, NOW, &ch);
	CHECK(find(&ch, "audience") != NULL && find(&ch, "audience")->level == SAO_CHECK_INFO);
}

int main(void)
{
	test_cases();
	test_no_account();
	return check_done("test-claims");
}
