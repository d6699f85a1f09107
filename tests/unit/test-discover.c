/* SPDX-License-Identifier: MIT */
/* discover: addresses, the domains known by name, discovery answers
 * (global, national clouds, no tenant, broken), and Google's MX names. */
#include "config.h"

#include <string.h>

#include "testlib.h"
#include "sasl-oauth/discover.h"

static void test_domain(void)
{
	static const struct {
		const char *email, *domain;
	} rows[] = {
		{ "alice@Contoso.COM", "contoso.com" }, { "a@b@sub.example.org", "sub.example.org" },
		{ "alice", NULL }, { "@contoso.com", NULL }, { "alice@", NULL }, { "alice@localhost", NULL },
		{ "alice@con/toso.com", NULL }, { "alice@contoso..com", NULL }, { "alice@.contoso.com", NULL },
		{ "alice@con toso.com", NULL },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int ok = sao_discover_domain(rows[i].email, buf, sizeof(buf));

		CHECK_MSG(ok == (rows[i].domain != NULL), "row %zu", i);
		if (ok && rows[i].domain != NULL)
			CHECK_MSG(strcmp(buf, rows[i].domain) == 0, "row %zu: %s", i, buf);
	}
}

static void test_known(void)
{
	static const struct {
		const char *domain;
		int known;
		sao_discover_kind_t kind;
	} rows[] = {
		{ "outlook.com", 1, SAO_DISCOVER_MICROSOFT }, { "hotmail.com", 1, SAO_DISCOVER_MICROSOFT },
		{ "live.com", 1, SAO_DISCOVER_MICROSOFT },    { "gmail.com", 1, SAO_DISCOVER_GOOGLE },
		{ "googlemail.com", 1, SAO_DISCOVER_GOOGLE }, { "contoso.com", 0, SAO_DISCOVER_UNKNOWN },
		{ "mail.gmail.com", 0, SAO_DISCOVER_UNKNOWN },
	};
	sao_discovery_t r;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		CHECK_MSG(sao_discover_known(rows[i].domain, &r) == rows[i].known, "row %zu", i);
		if (!rows[i].known)
			continue;
		CHECK_MSG(r.kind == rows[i].kind, "row %zu", i);
		if (r.kind == SAO_DISCOVER_MICROSOFT)
			CHECK(strcmp(r.tenant, "consumers") == 0 && strcmp(r.cloud, "global") == 0);
	}
}

static void test_parse(void)
{
	static const struct {
		long status;
		const char *body;
		sao_err_t rc;
		sao_discover_kind_t kind;
		const char *tenant, *cloud;
	} rows[] = {
		{ 200,
		  "{\"issuer\":\"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0\","
		  "\"cloud_instance_name\":\"microsoftonline.com\",\"token_endpoint\":\"x\"}",
		  SAO_OK, SAO_DISCOVER_MICROSOFT, "72f988bf-86f1-41af-91ab-2d7cd011db47", "global" },
		{ 200,
		  "{\"issuer\":\"https://login.microsoftonline.us/11111111-2222-3333-4444-555555555555/v2.0\","
		  "\"cloud_instance_name\":\"microsoftonline.us\",\"tenant_region_scope\":\"USGov\","
		  "\"tenant_region_sub_scope\":\"DODCON\"}",
		  SAO_OK, SAO_DISCOVER_MICROSOFT, "11111111-2222-3333-4444-555555555555", "usgov" },
		{ 200,
		  "{\"issuer\":\"https://login.microsoftonline.us/11111111-2222-3333-4444-555555555555/v2.0\","
		  "\"cloud_instance_name\":\"microsoftonline.us\",\"tenant_region_sub_scope\":\"DOD\"}",
		  SAO_OK, SAO_DISCOVER_MICROSOFT, "11111111-2222-3333-4444-555555555555", "usgov-dod" },
		{ 200,
		  "{\"issuer\":\"https://login.partner.microsoftonline.cn/abc-1/v2.0\","
		  "\"cloud_instance_name\":\"partner.microsoftonline.cn\"}",
		  SAO_OK, SAO_DISCOVER_MICROSOFT, "abc-1", "china" },
		/* No cloud_instance_name: the global cloud (older answers). */
		{ 200, "{\"issuer\":\"https://login.microsoftonline.com/abc/v2.0\"}", SAO_OK, SAO_DISCOVER_MICROSOFT, "abc",
		  "global" },
		{ 400,
		  "{\"error\":\"invalid_tenant\",\"error_description\":\"AADSTS90002: Tenant 'example.net' not found.\"}",
		  SAO_OK, SAO_DISCOVER_UNKNOWN, NULL, NULL },
		{ 400, "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90002: Tenant not found.\"}", SAO_OK,
		  SAO_DISCOVER_UNKNOWN, NULL, NULL },
		{ 400, "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS900023: bad tenant\"}",
		  SAO_ERR_PROTO, SAO_DISCOVER_UNKNOWN, NULL, NULL },
		{ 500, "{}", SAO_ERR_PROTO, SAO_DISCOVER_UNKNOWN, NULL, NULL },
		{ 200, "not json", SAO_ERR_PROTO, SAO_DISCOVER_UNKNOWN, NULL, NULL },
		{ 200, "{\"issuer\":\"https://login.microsoftonline.com/a/b/v2.0\"}", SAO_ERR_PROTO, SAO_DISCOVER_UNKNOWN,
		  NULL, NULL },
		{ 200, "{\"issuer\":\"https://login.microsoftonline.com/abc/v2.0\",\"cloud_instance_name\":\"mars\"}",
		  SAO_ERR_PROTO, SAO_DISCOVER_UNKNOWN, NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sao_discovery_t r;
		sao_error_t err;
		sao_err_t rc;

		sao_error_clear(&err);
		rc = sao_discover_parse("contoso.com", rows[i].status, rows[i].body, strlen(rows[i].body), &r, &err);
		CHECK_MSG(rc == rows[i].rc, "row %zu: %d %s", i, rc, err.msg);
		CHECK_MSG(r.kind == rows[i].kind, "row %zu", i);
		if (rows[i].tenant != NULL)
			CHECK_MSG(strcmp(r.tenant, rows[i].tenant) == 0 && strcmp(r.cloud, rows[i].cloud) == 0,
			          "row %zu: %s %s", i, r.tenant, r.cloud != NULL ? r.cloud : "-");
		if (rc == SAO_OK)
			CHECK(r.how[0] != '\0');
	}
}

static void test_mx(void)
{
	static const struct {
		const char *mx;
		int google;
	} rows[] = {
		{ "aspmx.l.google.com.", 1 }, { "ALT1.ASPMX.L.GOOGLE.COM", 1 }, { "gmail-smtp-in.l.google.com", 1 },
		{ "aspmx2.googlemail.com", 1 }, { "google.com", 1 }, { "contoso-com.mail.protection.outlook.com", 0 },
		{ "notgoogle.com", 0 }, { "google.com.evil.example", 0 }, { "", 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_MSG(sao_discover_mx_is_google(rows[i].mx) == rows[i].google, "row %zu", i);
}

int main(void)
{
	test_domain();
	test_known();
	test_parse();
	test_mx();
	return check_done("test-discover");
}
