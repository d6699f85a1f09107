/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "testlib.h"
#include "sasl-oauth/provider.h"

/* Accounts built by hand: only the fields provider.c reads. */
static sao_account_t account(sao_account_provider_t provider, sao_account_cloud_t cloud, const char *tenant,
                             sao_account_flow_t flow)
{
	sao_account_t a;

	memset(&a, 0, sizeof(a));
	a.name = (char *)"work";
	a.file = (char *)"test.conf";
	a.line = 1;
	a.provider = provider;
	a.cloud = cloud;
	a.tenant = (char *)tenant;
	a.flow = flow;
	return a;
}

static const struct {
	sao_account_cloud_t cloud;
	const char *tenant;
	sao_account_flow_t flow;
	const char *token, *device, *authorize, *scope;
} ms_rows[] = {
	{ SAO_CLOUD_GLOBAL, "contoso.onmicrosoft.com", SAO_FLOW_DEVICE,
	  "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
	  "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode",
	  "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
	  "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All "
	  "https://outlook.office.com/SMTP.Send offline_access" },
	{ SAO_CLOUD_GLOBAL, "organizations", SAO_FLOW_CLIENT_CREDENTIALS,
	  "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
	  "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
	  "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
	  "https://outlook.office365.com/.default" },
	{ SAO_CLOUD_USGOV, "common", SAO_FLOW_AUTHCODE, "https://login.microsoftonline.us/common/oauth2/v2.0/token",
	  "https://login.microsoftonline.us/common/oauth2/v2.0/devicecode",
	  "https://login.microsoftonline.us/common/oauth2/v2.0/authorize",
	  "https://outlook.office365.us/IMAP.AccessAsUser.All https://outlook.office365.us/POP.AccessAsUser.All "
	  "https://outlook.office365.us/SMTP.Send offline_access" },
	{ SAO_CLOUD_USGOV_DOD, "x", SAO_FLOW_CLIENT_CREDENTIALS, "https://login.microsoftonline.us/x/oauth2/v2.0/token",
	  "https://login.microsoftonline.us/x/oauth2/v2.0/devicecode",
	  "https://login.microsoftonline.us/x/oauth2/v2.0/authorize", "https://outlook-dod.office365.us/.default" },
	{ SAO_CLOUD_CHINA, "consumers", SAO_FLOW_DEVICE, "https://login.partner.microsoftonline.cn/consumers/oauth2/v2.0/token",
	  "https://login.partner.microsoftonline.cn/consumers/oauth2/v2.0/devicecode",
	  "https://login.partner.microsoftonline.cn/consumers/oauth2/v2.0/authorize",
	  "https://partner.outlook.cn/IMAP.AccessAsUser.All https://partner.outlook.cn/POP.AccessAsUser.All "
	  "https://partner.outlook.cn/SMTP.Send offline_access" },
};

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void test_microsoft_clouds(void)
{
	for (size_t i = 0; i < sizeof(ms_rows) / sizeof(ms_rows[0]); i++) {
		sao_account_t a = account(SAO_PROVIDER_MICROSOFT, ms_rows[i].cloud, ms_rows[i].tenant, ms_rows[i].flow);
		sao_endpoints_t ep;
		sao_error_t err;

		sao_error_clear(&err);
		CHECK(sao_provider_endpoints(&a, &ep, &err) == SAO_OK);
		CHECK_MSG(streq(ep.token, ms_rows[i].token), "%zu: token %s", i, ep.token);
		CHECK_MSG(streq(ep.device, ms_rows[i].device), "%zu: device %s", i, ep.device);
		CHECK_MSG(streq(ep.authorize, ms_rows[i].authorize), "%zu: authorize %s", i, ep.authorize);
		CHECK_MSG(streq(ep.scope, ms_rows[i].scope), "%zu: scope %s", i, ep.scope);
		CHECK(ep.revoke == NULL && streq(ep.authorize_extra, ""));
		sao_provider_clear(&ep);
		CHECK(ep.token == NULL && ep.scope == NULL);
	}
}

static void test_services_and_overrides(void)
{
	sao_account_t a = account(SAO_PROVIDER_MICROSOFT, SAO_CLOUD_GLOBAL, "t", SAO_FLOW_DEVICE);
	char *smtp_only[] = { (char *)"smtp" };
	char *imap_pop[] = { (char *)"imap", (char *)"pop" };
	sao_endpoints_t ep;

	a.services = smtp_only;
	a.n_services = 1;
	CHECK(sao_provider_endpoints(&a, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.scope, "https://outlook.office.com/SMTP.Send offline_access"));
	sao_provider_clear(&ep);
	a.services = imap_pop;
	a.n_services = 2;
	CHECK(sao_provider_endpoints(&a, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.scope, "https://outlook.office.com/IMAP.AccessAsUser.All "
	                      "https://outlook.office.com/POP.AccessAsUser.All offline_access"));
	sao_provider_clear(&ep);
	/* authority replaces the login host, a trailing slash or not. */
	a.authority = (char *)"http://127.0.0.1:8080/";
	a.scope = (char *)"custom offline_access";
	CHECK(sao_provider_endpoints(&a, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.token, "http://127.0.0.1:8080/t/oauth2/v2.0/token"));
	CHECK(streq(ep.scope, "custom offline_access"));
	sao_provider_clear(&ep);
	a.token_endpoint = (char *)"https://sts.example/token";
	a.revoke_endpoint = (char *)"https://sts.example/revoke";
	CHECK(sao_provider_endpoints(&a, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.token, "https://sts.example/token"));
	CHECK(streq(ep.device, "http://127.0.0.1:8080/t/oauth2/v2.0/devicecode"));
	CHECK(streq(ep.revoke, "https://sts.example/revoke"));
	sao_provider_clear(&ep);
}

static void test_google_and_generic(void)
{
	sao_account_t g = account(SAO_PROVIDER_GOOGLE, SAO_CLOUD_GLOBAL, "organizations", SAO_FLOW_AUTHCODE);
	sao_account_t x = account(SAO_PROVIDER_GENERIC, SAO_CLOUD_GLOBAL, "organizations", SAO_FLOW_DEVICE);
	sao_endpoints_t ep;
	sao_error_t err;

	CHECK(sao_provider_endpoints(&g, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.token, "https://oauth2.googleapis.com/token"));
	CHECK(streq(ep.authorize, "https://accounts.google.com/o/oauth2/v2/auth"));
	CHECK(streq(ep.revoke, "https://oauth2.googleapis.com/revoke"));
	CHECK(streq(ep.scope, "https://mail.google.com/"));
	CHECK(streq(ep.authorize_extra, "access_type=offline&prompt=consent"));
	sao_provider_clear(&ep);

	/* generic: nothing is guessed. */
	sao_error_clear(&err);
	x.token_endpoint = (char *)"https://idp.example/token";
	CHECK(sao_provider_endpoints(&x, &ep, &err) == SAO_ERR_CONFIG);
	CHECK(strstr(err.msg, "test.conf:1: account 'work' uses provider generic but sets no 'scope'") == err.msg);
	CHECK(ep.token == NULL);
	x.scope = (char *)"mail";
	CHECK(sao_provider_endpoints(&x, &ep, NULL) == SAO_OK);
	CHECK(streq(ep.token, "https://idp.example/token") && ep.device == NULL && ep.authorize == NULL);
	CHECK(streq(ep.scope, "mail"));
	sao_provider_clear(&ep);
}

int main(void)
{
	test_microsoft_clouds();
	test_services_and_overrides();
	test_google_and_generic();
	return check_done("test-provider");
}
