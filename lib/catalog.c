/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/catalog.h"

/*
 * How the texts read. The caller prints
 *   the identity provider answered <error> AADSTS<code>: <cause>; <fix>
 * and, when login is set, "run sasl-oauth login ACCOUNT" after it. So a
 * cause is a clause starting in lower case, a fix an imperative fragment,
 * neither with a final period. With login set, a non-NULL fix is what to do
 * before that new login; NULL means the new login alone fixes it.
 * Configuration keys are named as the user writes them ("flow = authcode").
 *
 * Sources: protocols.md §3.5 (device flow), §3.10 and §3.11 (Entra ID),
 * §5 (Google); RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5, OpenID Connect
 * Core §3.1.2.6 for the error strings.
 */

#define TRY_LATER "try again in a few minutes"
#define SAO_BUG "report it as a sasl-oauth bug, with the correlation id"

/* Entra ID AADSTS numbers, strictly ascending: sao_catalog_code() uses
 * bsearch, and test-catalog.c checks the order and that no number repeats. */
static const sao_catalog_entry_t codes[] = {
	{ .code = 28002,
	  .cause = "the scope sent with the token request is not valid for this app",
	  .fix = "check the scope setting of this account" },
	{ .code = 28003,
	  .cause = "the token request carried an empty scope",
	  .fix = "set scope, or remove it to use the provider's default" },
	{ .code = 50000,
	  .cause = "the identity provider had an internal error",
	  .fix = TRY_LATER },
	{ .code = 50011,
	  .cause = "the redirect URI sent by sasl-oauth is not registered for this app",
	  .fix = "register the loopback redirect URI exactly as sasl-oauth sends it, under \"Mobile and desktop "
	         "applications\" in the app registration" },
	{ .code = 50012,
	  .cause = "the app's certificate or signed client assertion was not accepted",
	  .fix = "upload the certificate to the app registration and check that private_key belongs to it" },
	{ .code = 50020,
	  .cause = "this user belongs to another directory or is a personal account, not a member of this tenant",
	  .fix = "sign in with an account of this tenant, use tenant = consumers for a personal account, or ask an "
	         "administrator to invite the user as a guest" },
	{ .code = 50034,
	  .cause = "no such user exists in this directory",
	  .fix = "check the user name and the tenant setting" },
	{ .code = 50048,
	  .cause = "the client assertion's subject and issuer differ, but both must be the client id",
	  .fix = SAO_BUG },
	{ .code = 50053,
	  .cause = "the account is locked after too many failed sign-ins, or the sign-in came from a blocked address",
	  .fix = "wait for the lock to expire, or ask an administrator to unlock the account" },
	{ .code = 50055,
	  .cause = "the user's password has expired",
	  .fix = "change the password first, for example by signing in to Outlook on the web",
	  .login = 1 },
	{ .code = 50057,
	  .cause = "the user account is disabled",
	  .fix = "ask an administrator to enable the account" },
	{ .code = 50074,
	  .cause = "a second sign-in factor is required and was not completed",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 50076,
	  .cause = "a policy now requires a second sign-in factor, for example after a change of location",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 50078,
	  .cause = "the second sign-in factor presented earlier has expired",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 50079,
	  .cause = "the user must register a second sign-in factor before signing in",
	  .fix = "register a second factor, such as the Microsoft Authenticator app, in a web browser first",
	  .login = 1 },
	{ .code = 50105,
	  .cause = "the user is not assigned to this app and the tenant requires an assignment",
	  .fix = "ask an administrator to assign the user to this app under Enterprise applications" },
	{ .code = 50126,
	  .cause = "the user name or password is wrong",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 50173,
	  .cause = "the grant was revoked, usually after a password reset or a sign-out of all sessions",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 50194,
	  .cause = "the app is registered for one tenant only and cannot be used with tenant = common",
	  .fix = "set tenant to the directory id or domain, or ask the app owner to make it multi-tenant" },
	{ .code = 50196,
	  .cause = "the same request was sent too often in a short time",
	  .fix = "wait a few minutes, and check that every program reuses the cached token instead of fetching a "
	         "new one each time" },
	{ .code = 53000,
	  .cause = "a Conditional Access policy requires a compliant, managed device",
	  .fix = "ask an administrator to exclude this app or user from the device compliance policy" },
	{ .code = 53001,
	  .cause = "a Conditional Access policy requires a domain-joined device",
	  .fix = "ask an administrator to exclude this app or user from the domain-joined device policy" },
	{ .code = 53003,
	  .cause = "a Conditional Access policy blocked this sign-in, for example for this app, place or flow",
	  .fix = "ask an administrator to exclude this app from the Conditional Access policy, or use flow = authcode "
	         "if device code sign-in is the one blocked" },
	{ .code = 54005,
	  .cause = "the authorization code was already used",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 65001,
	  .cause = "nobody has consented to the permissions this app asks for",
	  .fix = "accept the requested permissions when asked, or ask an administrator to grant consent for the "
	         "tenant first",
	  .login = 1 },
	{ .code = 65002,
	  .cause = "this client id belongs to a Microsoft app that is not allowed to get tokens for this resource",
	  .fix = "register your own app and set client_id to it" },
	{ .code = 65004,
	  .cause = "the user declined the permissions this app asks for",
	  .fix = "accept the requested permissions when asked",
	  .login = 1 },
	{ .code = 65005,
	  .cause = "the app registration does not list the mail permissions this request asks for",
	  .fix = "ask the app owner to add the IMAP, POP or SMTP permissions of Office 365 Exchange Online to the app "
	         "registration" },
	{ .code = 70000,
	  .cause = "the refresh token is invalid, was issued to another app, or was flagged by the provider",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 70001,
	  .cause = "the app is disabled",
	  .fix = "ask the app owner or an administrator to enable it, or set client_id to another app" },
	{ .code = 70008,
	  .cause = "the refresh token has expired or was revoked",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 70011,
	  .cause = "the requested scope is malformed or not allowed, for example .default mixed with other scopes",
	  .fix = "check the scope setting: full scope URLs, and .default only on its own" },
	{ .code = 70016,
	  .cause = "the sign-in on the device verification page is not finished yet",
	  .fix = "finish the sign-in on the verification page" },
	{ .code = 70018,
	  .cause = "the device code or the code typed on the verification page was not recognised",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 70019,
	  .cause = "the device code expired before the sign-in was finished",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 70043,
	  .cause = "the refresh token is too old for the sign-in frequency a Conditional Access policy sets",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 90002,
	  .cause = "the tenant does not exist, at least not in this cloud",
	  .fix = "check the tenant and cloud settings" },
	{ .code = 90033,
	  .cause = "the identity provider is temporarily unavailable",
	  .fix = TRY_LATER },
	{ .code = 90038,
	  .cause = "the tenant lives in another national cloud",
	  .fix = "set cloud to the tenant's cloud (usgov, usgov-dod or china)" },
	{ .code = 90055,
	  .cause = "the tenant sent too many requests and is being throttled",
	  .fix = "wait a few minutes, and check that programs reuse the cached token" },
	{ .code = 90094,
	  .cause = "the tenant lets only an administrator consent to this app's permissions",
	  .fix = "ask an administrator to grant admin consent to this app for the tenant" },
	{ .code = 500011,
	  .cause = "the resource (Exchange Online) does not exist in this tenant",
	  .fix = "check the tenant setting, and that the mailbox is an Exchange Online mailbox with a licence" },
	{ .code = 501481,
	  .cause = "the PKCE code verifier did not match the code challenge",
	  .fix = SAO_BUG },
	{ .code = 530035,
	  .cause = "the tenant's security defaults blocked this request as unsafe",
	  .fix = "ask an administrator to check the sign-in log for this request" },
	{ .code = 650057,
	  .cause = "the app registration does not list the permission for this resource",
	  .fix = "ask the app owner to add the IMAP, POP or SMTP permissions of Office 365 Exchange Online to the app "
	         "registration" },
	{ .code = 700011,
	  .cause = "the app was not found in this tenant",
	  .fix = "check client_id and tenant" },
	{ .code = 700016,
	  .cause = "the app was not found in this tenant, or is registered in another tenant only",
	  .fix = "check client_id and tenant, or ask the app owner to make it multi-tenant" },
	{ .code = 700022,
	  .cause = "the scope names more than one resource",
	  .fix = "set scope to the permissions of one resource only, for example only https://outlook.office.com/ ones" },
	{ .code = 700024,
	  .cause = "the signed client assertion was outside its valid time, most likely because this machine's clock "
	           "is wrong",
	  .fix = "set the system clock right, for example with NTP" },
	{ .code = 700025,
	  .cause = "the app is registered as a public client but a client secret or certificate was sent",
	  .fix = "remove client_secret_file, certificate and private_key from this account" },
	{ .code = 700027,
	  .cause = "the client assertion was refused: its certificate is not registered for the app, or its "
	           "signature did not verify",
	  .fix = "check that certificate and private_key match a certificate uploaded to the app registration" },
	{ .code = 700082,
	  .cause = "the refresh token expired after too long without use",
	  .fix = NULL,
	  .login = 1 },
	{ .code = 700084,
	  .cause = "the refresh token was issued to a single-page app and lasts 24 hours only",
	  .fix = "register the redirect URI under \"Mobile and desktop applications\" instead of \"Single-page "
	         "application\"",
	  .login = 1 },
	{ .code = 900144,
	  .cause = "the request lacks a required parameter",
	  .fix = "check that client_id and scope are set; if they are, " SAO_BUG },
	{ .code = 900971,
	  .cause = "the sign-in request carried no redirect URI",
	  .fix = "register a redirect URI under \"Mobile and desktop applications\"; if one is there, " SAO_BUG },
	{ .code = 7000112,
	  .cause = "the app is disabled",
	  .fix = "ask the app owner or an administrator to enable it, or set client_id to another app" },
	{ .code = 7000215,
	  .cause = "the client secret is wrong, often the secret's id pasted instead of its value",
	  .fix = "put the secret's Value, not its Secret ID, in client_secret_file" },
	{ .code = 7000218,
	  .cause = "the app is not a public client, so the request needs a client secret or certificate",
	  .fix = "set \"Allow public client flows\" to Yes in the app registration, or configure client_secret_file "
	         "or certificate" },
	{ .code = 7000222,
	  .cause = "the client secret has expired",
	  .fix = "create a new client secret and put it in client_secret_file, or switch to a certificate" },
	{ .code = 9001023,
	  .cause = "this grant type does not work with tenant = common or consumers",
	  .fix = "set tenant to the directory id or domain" },
	{ .code = 9002313,
	  .cause = "the request was malformed",
	  .fix = SAO_BUG },
	{ .code = 9002332,
	  .cause = "the app accepts work or school accounts only and cannot be used with tenant = consumers",
	  .fix = "set tenant to organizations or the directory id, or allow personal accounts in the app registration" },
};

/* OAuth "error" strings, in strcmp order for bsearch (checked by
 * test-catalog.c). Compared case-sensitively: RFC 6749 §5.2 defines them as
 * exact ASCII values. Entra ID's extras (§3.10) and Google's deleted_client
 * are here too. */
static const sao_catalog_entry_t errors[] = {
	{ .error = "access_denied",
	  .cause = "the user or a policy of the provider refused the request",
	  .fix = "sign in again and approve the request; if it is refused again, ask an administrator whether a "
	         "policy blocks this app" },
	{ .error = "authorization_declined",
	  .cause = "the sign-in was declined on the device verification page",
	  .fix = "start the login again and approve it, if the request was yours" },
	{ .error = "authorization_pending",
	  .cause = "the sign-in on the device verification page is not finished yet",
	  .fix = "finish the sign-in on the verification page" },
	{ .error = "bad_verification_code",
	  .cause = "the device code was not recognised",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "consent_required",
	  .cause = "the permissions this app asks for need the user's consent",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "deleted_client",
	  .cause = "the OAuth client was deleted by its owner",
	  .fix = "create a new OAuth client and set client_id and its secret to it" },
	{ .error = "expired_token",
	  .cause = "the device code expired before the sign-in was finished",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "interaction_required",
	  .cause = "the provider needs the user to sign in interactively again",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "invalid_client",
	  .cause = "the app's id or its credentials were not accepted",
	  .fix = "check client_id, and client_secret_file or certificate" },
	{ .error = "invalid_grant",
	  .cause = "the refresh token or authorization code is invalid, expired or revoked",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "invalid_request",
	  .cause = "the request was malformed or lacked a parameter",
	  .fix = "check client_id, tenant and scope; if they are right, " SAO_BUG },
	{ .error = "invalid_resource",
	  .cause = "the requested resource does not exist or is not set up in this tenant",
	  .fix = "check the tenant and scope settings" },
	{ .error = "invalid_scope",
	  .cause = "the requested scope is invalid, unknown, or not allowed for this app or flow",
	  .fix = "check the scope setting, and that the provider allows this scope with this flow" },
	{ .error = "login_required",
	  .cause = "the provider has no usable sign-in session for the user",
	  .fix = NULL,
	  .login = 1 },
	{ .error = "server_error",
	  .cause = "the identity provider had an internal error",
	  .fix = TRY_LATER },
	{ .error = "slow_down",
	  .cause = "the device sign-in was polled too often",
	  .fix = "wait longer between attempts; if it keeps happening, " SAO_BUG },
	{ .error = "temporarily_unavailable",
	  .cause = "the identity provider is overloaded or down for maintenance",
	  .fix = TRY_LATER },
	{ .error = "unauthorized_client",
	  .cause = "this app is not allowed to use this kind of request",
	  .fix = "check that the flow setting is one the app registration allows" },
	{ .error = "unsupported_grant_type",
	  .cause = "the provider does not support this flow here",
	  .fix = "use another flow, or for flow = client_credentials set tenant to the directory id" },
	{ .error = "unsupported_response_type",
	  .cause = "the provider does not accept this kind of sign-in request for this app",
	  .fix = "check that the app registration allows the flow; if it does, " SAO_BUG },
};

static int cmp_code(const void *key, const void *elem)
{
	long k = *(const long *)key;
	long c = ((const sao_catalog_entry_t *)elem)->code;

	/* Not k - c: that can overflow for codes far apart. */
	return (k > c) - (k < c);
}

static int cmp_error(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const sao_catalog_entry_t *)elem)->error);
}

const sao_catalog_entry_t *sao_catalog_code(long code)
{
	return bsearch(&code, codes, sizeof(codes) / sizeof(codes[0]), sizeof(codes[0]), cmp_code);
}

const sao_catalog_entry_t *sao_catalog_error(const char *error)
{
	if (error == NULL)
		return NULL;
	return bsearch(error, errors, sizeof(errors) / sizeof(errors[0]), sizeof(errors[0]), cmp_error);
}

const sao_catalog_entry_t *sao_catalog_codes(size_t *n_r)
{
	*n_r = sizeof(codes) / sizeof(codes[0]);
	return codes;
}

const sao_catalog_entry_t *sao_catalog_errors(size_t *n_r)
{
	*n_r = sizeof(errors) / sizeof(errors[0]);
	return errors;
}

/*
 * The mail servers' refusals. Exchange Online sends no error challenge: its
 * final reply is all a client learns (protocols.md §1.2, §4), and the same
 * "AUTHENTICATE failed" covers a wrong audience, a missing scope, a revoked
 * token and a missing mailbox permission. So entries for it are split by
 * what the caller knows besides the reply (an app-only token, a shared
 * mailbox), most specific first, and the generic one names the check that
 * tells the causes apart (sasl-oauth inspect).
 *
 * Sources: protocols.md §4 (Exchange Online: failure strings, app-only
 * setup, SMTP AUTH switches and their 5.7.139 texts, SendAsDenied, 5.7.30,
 * 5.5.127), Microsoft's NDR texts for 5.7.57 ("Client not authenticated to
 * send mail", in reply to MAIL FROM) and 5.7.60 ("Client does not have
 * permissions to send as this sender"). 4.7.x and 4.3.2 are Exchange's
 * temporary refusals; they are matched by class, not by text.
 */
#define INSPECT "run sasl-oauth inspect ACCOUNT to check the token's audience and scopes"
#define APP_ONLY_FIX                                                                                                \
	"an Exchange administrator registers the app's service principal (New-ServicePrincipal -AppId <client_id> "  \
	"-ObjectId OBJECT_ID, with the object id of the Enterprise application, not of the app registration) and "  \
	"gives it the mailbox (Add-MailboxPermission -Identity <mailbox> -User SERVICE_PRINCIPAL_ID -AccessRights " \
	"FullAccess)"
#define SHARED_FIX                                                                                          \
	"an Exchange administrator gives the token's user the mailbox: Add-MailboxPermission -Identity <mailbox> " \
	"-User DELEGATE -AccessRights FullAccess"

static const sao_server_entry_t servers[] = {
	/* SMTP: replies to AUTH. */
	{ .id = "smtp-auth-disabled-mailbox",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.139",
	  .text = "disabled for the Mailbox",
	  .example = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
	  .cause = "this mailbox has SMTP AUTH switched off, and that refuses OAuth logins too",
	  .fix = "an Exchange administrator runs: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled "
	         "$false (or ticks \"Authenticated SMTP\" under the user's Mail, Manage email apps)" },
	{ .id = "smtp-auth-disabled-tenant",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.139",
	  .text = "disabled for the Tenant",
	  .example = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
	  .cause = "the organization has SMTP AUTH switched off for every mailbox",
	  .fix = "an Exchange administrator enables it for this mailbox alone: Set-CASMailbox -Identity <mailbox> "
	         "-SmtpClientAuthenticationDisabled $false (or for everyone: Set-TransportConfig "
	         "-SmtpClientAuthenticationDisabled $false)" },
	{ .id = "smtp-security-defaults",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.139",
	  .text = "security defaults",
	  .example = "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults "
	             "policy.",
	  .cause = "the tenant's security defaults switch SMTP AUTH off",
	  .fix = "an administrator replaces security defaults by Conditional Access policies, then enables SMTP AUTH "
	         "for <mailbox>: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false" },
	{ .id = "smtp-5.7.139",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.139",
	  .example = "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
	             "authenticated successfully. Contact your administrator.",
	  .cause = "a policy of the organization refused this login, usually Conditional Access",
	  .fix = "an administrator looks this login up in the Entra ID sign-in logs (user <mailbox>, app <client_id>) "
	         "and excludes the app from the policy that failed" },
	{ .id = "smtp-basic-auth",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "5.7.30",
	  .example = "550 5.7.30 Basic authentication is not supported for Client Submission.",
	  .cause = "a password was sent where the server accepts OAuth tokens only",
	  .fix = "add an account serving <mailbox> to the sasl-oauth configuration and let the program use XOAUTH2 "
	         "only (mbsync: AuthMechs XOAUTH2; Postfix: smtp_sasl_mechanism_filter = xoauth2)" },
	{ .id = "smtp-token-expiring",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "5.5.127",
	  .example = "501 5.5.127 Invalid XOAUTH2 auth data - Token will expire soon",
	  .cause = "the server refuses tokens that expire within minutes",
	  .fix = "set refresh_margin = 600 or more for this account, then run sasl-oauth refresh --force ACCOUNT" },
	{ .id = "smtp-app-only",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.3",
	  .no_challenge = 1,
	  .app_only = 1,
	  .example = "535 5.7.3 Authentication unsuccessful [<host>]",
	  .cause = "the server (Exchange Online) refused the app-only token: the app has no service principal in Exchange Online, "
	           "no permission on this mailbox, or the token lacks the role SMTP.SendAsApp",
	  .fix = APP_ONLY_FIX },
	{ .id = "smtp-shared",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.3",
	  .no_challenge = 1,
	  .shared = 1,
	  .example = "535 5.7.3 Authentication unsuccessful [<host>]",
	  .cause = "the server (Exchange Online) refused a login to a shared mailbox: the token's user has no FullAccess on it",
	  .fix = SHARED_FIX },
	{ .id = "smtp-5.7.3",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "535 5.7.3",
	  .no_challenge = 1,
	  .example = "535 5.7.3 Authentication unsuccessful [<host>]",
	  .cause = "the server (Exchange Online) refused the token without saying why: a token for another resource (Graph) or "
	           "without SMTP.Send, an expired or revoked token, or SMTP AUTH switched off",
	  .fix = INSPECT "; if they are right, an administrator checks Get-CASMailbox -Identity <mailbox> | "
	                 "Format-List SmtpClientAuthenticationDisabled" },
	/* SMTP: replies after a login. */
	{ .id = "smtp-not-authenticated",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "5.7.57",
	  .example = "530 5.7.57 Client not authenticated to send mail.",
	  .cause = "the program sent MAIL FROM without logging in first",
	  .fix = "switch on SMTP authentication in the program (Postfix: smtp_sasl_auth_enable = yes and "
	         "smtp_tls_security_level = encrypt) so that it logs in after STARTTLS" },
	{ .id = "smtp-sendas-denied",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "5.7.60",
	  .example = "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
	  .cause = "the logged-in mailbox may not send with this sender address",
	  .fix = "send from <mailbox>'s own address, or an Exchange administrator grants it: Add-RecipientPermission "
	         "-Identity SENDER -Trustee <mailbox> -AccessRights SendAs" },
	{ .id = "smtp-sendas-denied-submission",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "5.2.252",
	  .example = "554 5.2.252 SendAsDenied; <mailbox> not allowed to send as SENDER",
	  .cause = "the logged-in mailbox may not send with this sender address",
	  .fix = "send from <mailbox>'s own address, or an Exchange administrator grants it: Add-RecipientPermission "
	         "-Identity SENDER -Trustee <mailbox> -AccessRights SendAs" },
	{ .id = "smtp-concurrency",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "4.3.2",
	  .text = "thread limit",
	  .example = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded",
	  .cause = "too many connections of this mailbox are sending at the same time",
	  .fix = "send over fewer connections at a time (Postfix: smtp_destination_concurrency_limit = 2 for this "
	         "relay); the message is retried later" },
	{ .id = "smtp-throttled",
	  .proto = SAO_CATALOG_SMTP,
	  .code = "4.7.",
	  .example = "451 4.7.500 Server busy. Please try again later.",
	  .cause = "the server is throttling this client for a while",
	  .fix = "try again later (a mail server retries queued mail by itself), and send fewer messages and "
	         "connections at a time" },
	/* IMAP. */
	{ .id = "imap-not-connected",
	  .proto = SAO_CATALOG_IMAP,
	  .code = "BAD",
	  .text = "authenticated but not connected",
	  .example = "BAD User is authenticated but not connected.",
	  .cause = "the login succeeded but Exchange cannot open the mailbox: IMAP is off for it, or the token's "
	           "identity has no permission on it",
	  .fix = "an Exchange administrator runs Set-CASMailbox -Identity <mailbox> -ImapEnabled $true and, for a shared "
	         "mailbox or an app-only token, Add-MailboxPermission -Identity <mailbox> -User DELEGATE_OR_SERVICE_PRINCIPAL "
	         "-AccessRights FullAccess" },
	{ .id = "imap-app-only",
	  .proto = SAO_CATALOG_IMAP,
	  .code = "NO",
	  .text = "AUTHENTICATE failed",
	  .no_challenge = 1,
	  .app_only = 1,
	  .example = "NO AUTHENTICATE failed.",
	  .cause = "the server (Exchange Online) refused the app-only token: the app has no service principal in Exchange Online, "
	           "no permission on this mailbox, or the token lacks the role IMAP.AccessAsApp",
	  .fix = APP_ONLY_FIX },
	{ .id = "imap-shared",
	  .proto = SAO_CATALOG_IMAP,
	  .code = "NO",
	  .text = "AUTHENTICATE failed",
	  .no_challenge = 1,
	  .shared = 1,
	  .example = "NO AUTHENTICATE failed.",
	  .cause = "the server (Exchange Online) refused a login to a shared mailbox: the token's user has no FullAccess on it",
	  .fix = SHARED_FIX },
	{ .id = "imap-refused",
	  .proto = SAO_CATALOG_IMAP,
	  .code = "NO",
	  .text = "AUTHENTICATE failed",
	  .no_challenge = 1,
	  .example = "NO AUTHENTICATE failed.",
	  .cause = "the server (Exchange Online) refused the token without saying why: a token for another resource (Graph) or "
	           "without IMAP.AccessAsUser.All, or an expired or revoked token",
	  .fix = INSPECT ", then sasl-oauth refresh --force ACCOUNT" },
	/* POP3. */
	{ .id = "pop3-app-only",
	  .proto = SAO_CATALOG_POP3,
	  .code = "-ERR",
	  .text = "Authentication failure",
	  .no_challenge = 1,
	  .app_only = 1,
	  .example = "-ERR Authentication failure: unknown user name or bad password.",
	  .cause = "the server (Exchange Online) refused the app-only token: the app has no service principal in Exchange Online, "
	           "no permission on this mailbox, or the token lacks the role POP.AccessAsApp",
	  .fix = APP_ONLY_FIX },
	{ .id = "pop3-shared",
	  .proto = SAO_CATALOG_POP3,
	  .code = "-ERR",
	  .text = "Authentication failure",
	  .no_challenge = 1,
	  .shared = 1,
	  .example = "-ERR Authentication failure: unknown user name or bad password.",
	  .cause = "the server (Exchange Online) refused a login to a shared mailbox: the token's user has no FullAccess on it",
	  .fix = SHARED_FIX },
	{ .id = "pop3-refused",
	  .proto = SAO_CATALOG_POP3,
	  .code = "-ERR",
	  .text = "Authentication failure",
	  .no_challenge = 1,
	  .example = "-ERR Authentication failure: unknown user name or bad password.",
	  .cause = "the server (Exchange Online) refused the token without saying why: a token for another resource (Graph) or "
	           "without POP.AccessAsUser.All, an expired or revoked token, or POP switched off for the mailbox",
	  .fix = INSPECT "; if they are right, an administrator runs Set-CASMailbox -Identity <mailbox> -PopEnabled "
	                 "$true" },
};

const sao_server_entry_t *sao_catalog_servers(size_t *n_r)
{
	*n_r = sizeof(servers) / sizeof(servers[0]);
	return servers;
}

/* 1 when s starts with the code as a whole word ("5.7.3" is not "5.7.30"),
 * or with the class a code ending in '.' stands for ("4.7."). */
static int starts_with_code(const char *s, const char *code)
{
	size_t n = strlen(code);

	if (strncasecmp(s, code, n) != 0)
		return 0;
	return s[n] == '\0' || s[n] == ' ' || code[n - 1] == '.';
}

/* Whether the reply carries e's code: at its start ("535 5.7.139", "NO",
 * "-ERR") or as its second word (the enhanced status code "5.7.57"). An
 * IMAP tag is skipped; an SMTP continuation ("535-5.7.139") reads as the
 * final line. */
static int code_matches(const sao_server_entry_t *e, const char *reply, sao_catalog_proto_t proto)
{
	char words[64];
	const char *p = reply, *second;
	size_t n, first;

	if (proto == SAO_CATALOG_IMAP) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	/* The first two words only. */
	first = strcspn(p, " -");
	if (proto != SAO_CATALOG_SMTP || first != 3)
		first = strcspn(p, " ");
	n = first + 1 + strcspn(p + first + (p[first] != '\0'), " ");
	if (p[first] == '\0')
		n = first;
	if (n >= sizeof(words))
		n = sizeof(words) - 1;
	memcpy(words, p, n);
	words[n] = '\0';
	if (first < n)
		words[first] = ' ';
	second = words + (first < n ? first + 1 : n);
	return starts_with_code(words, e->code) || starts_with_code(second, e->code);
}

static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = hay; *p != '\0'; p++) {
		if (strncasecmp(p, needle, n) == 0)
			return 1;
	}
	return 0;
}

const sao_server_entry_t *sao_catalog_server(const sao_server_reply_t *r)
{
	if (r == NULL || r->reply == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		const sao_server_entry_t *e = &servers[i];

		if (e->proto != r->proto || !code_matches(e, r->reply, r->proto))
			continue;
		if (e->text != NULL && !contains(r->reply, e->text))
			continue;
		if ((e->no_challenge && r->challenged) || (e->app_only && !r->app_only) || (e->shared && !r->shared))
			continue;
		return e;
	}
	return NULL;
}

const char *sao_catalog_fix(const sao_server_entry_t *e, const char *mailbox, const char *client_id, char *buf,
                            size_t size)
{
	static const char mbox[] = "<mailbox>", cid[] = "<client_id>";
	const char *p = e->fix;
	size_t used = 0;

	if (size == 0)
		return buf;
	while (*p != '\0' && used + 1 < size) {
		const char *with = NULL;
		size_t skip = 1, n;

		if (mailbox != NULL && strncmp(p, mbox, sizeof(mbox) - 1) == 0) {
			with = mailbox;
			skip = sizeof(mbox) - 1;
		} else if (client_id != NULL && strncmp(p, cid, sizeof(cid) - 1) == 0) {
			with = client_id;
			skip = sizeof(cid) - 1;
		}
		if (with == NULL) {
			buf[used++] = *p++;
			continue;
		}
		n = strlen(with);
		if (n > size - 1 - used)
			n = size - 1 - used;
		memcpy(buf + used, with, n);
		used += n;
		p += skip;
	}
	buf[used] = '\0';
	return buf;
}

const char *sao_catalog_proto_name(sao_catalog_proto_t p)
{
	switch (p) {
	case SAO_CATALOG_IMAP: return "imap";
	case SAO_CATALOG_POP3: return "pop3";
	case SAO_CATALOG_SMTP: return "smtp";
	}
	return "?";
}
