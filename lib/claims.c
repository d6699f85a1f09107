/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth/claims.h"
#include "sasl-oauth/clock.h"
#include "sasl-oauth/json.h"
#include "sasl-oauth/secret.h"

/* A JWT payload larger than this is not one we need to read (Entra ID's
 * are a few KB; big group claims move out of the token). */
#define PAYLOAD_MAX (64 * 1024)

/* Exchange Online's resource, as Entra ID writes it in "aud": the two
 * hosts of protocols.md §3.3, the admin-consent one, and the resource's
 * application id (v2.0 tokens carry the id). */
static const char *const exchange_audiences[] = {
	"https://outlook.office.com",  "https://outlook.office365.com", "https://ps.outlook.com",
	"00000002-0000-0ff1-ce00-000000000000", NULL
};
static const char *const graph_audiences[] = { "https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000",
	                                       NULL };

/* What each service needs (protocols.md §3.3). */
static const struct {
	const char *service; /* settings' name */
	const char *scope;   /* delegated */
	const char *role;    /* app-only */
} needs[] = {
	{ "imap", "IMAP.AccessAsUser.All", "IMAP.AccessAsApp" },
	{ "pop", "POP.AccessAsUser.All", "POP.AccessAsApp" },
	{ "smtp", "SMTP.Send", "SMTP.SendAsApp" },
};

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* Decodes base64url (RFC 4648 §5, padding optional) of len bytes into out.
 * 0 when it is not base64url. */
static int b64url_decode(const char *in, size_t len, sao_secret_t *out)
{
	uint32_t acc = 0;
	int bits = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);
		unsigned char byte;

		if (v < 0)
			return 0;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (unsigned char)(acc >> bits);
			if (sao_secret_append(out, &byte, 1, NULL) != SAO_OK)
				return 0;
		}
	}
	return 1;
}

static void copy_words(const sao_json_t *j, const char *key, char *buf, size_t size)
{
	sao_json_get_words(j, key, buf, size);
}

sao_err_t sao_claims_decode(const void *token, size_t len, sao_claims_t *c_r, sao_error_t *err)
{
	static const char *const user_claims[] = { "upn", "preferred_username", "unique_name", "email", NULL };
	const char *t = token, *dot1, *dot2;
	sao_secret_t part;
	sao_json_t *j = NULL;
	sao_err_t rc = SAO_OK;

	memset(c_r, 0, sizeof(*c_r));
	sao_secret_init(&part, PAYLOAD_MAX);
	/* JWS compact form: exactly three parts (a JWE has five). */
	dot1 = memchr(t, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - t)) : NULL;
	if (dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - t)) != NULL)
		goto out;
	/* The header must be a JSON object too, or this is not a JWT. */
	if (!b64url_decode(t, (size_t)(dot1 - t), &part) || part.len == 0)
		goto out;
	if (sao_json_parse(part.data, part.len, "token header", &j, NULL) != SAO_OK)
		goto out;
	sao_json_free(&j);
	sao_secret_clear(&part);
	sao_secret_init(&part, PAYLOAD_MAX);
	if (!b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &part) || part.len == 0)
		goto out;
	rc = sao_json_parse(part.data, part.len, "token payload", &j, err);
	if (rc == SAO_ERR_PROTO) {
		sao_error_clear(err);
		rc = SAO_OK;
		goto out;
	}
	if (rc != SAO_OK)
		goto out;
	c_r->jwt = 1;
	copy_words(j, "aud", c_r->aud, sizeof(c_r->aud));
	copy_words(j, "iss", c_r->iss, sizeof(c_r->iss));
	copy_words(j, "tid", c_r->tid, sizeof(c_r->tid));
	copy_words(j, "ver", c_r->ver, sizeof(c_r->ver));
	copy_words(j, "idtyp", c_r->idtyp, sizeof(c_r->idtyp));
	copy_words(j, "scp", c_r->scp, sizeof(c_r->scp));
	copy_words(j, "roles", c_r->roles, sizeof(c_r->roles));
	copy_words(j, "appid", c_r->appid, sizeof(c_r->appid));
	if (c_r->appid[0] == '\0')
		copy_words(j, "azp", c_r->appid, sizeof(c_r->appid));
	for (size_t i = 0; user_claims[i] != NULL && c_r->user[0] == '\0'; i++) {
		copy_words(j, user_claims[i], c_r->user, sizeof(c_r->user));
		if (c_r->user[0] != '\0')
			c_r->user_claim = user_claims[i];
	}
	sao_json_get_int64(j, "exp", &c_r->exp);
	sao_json_get_int64(j, "iat", &c_r->iat);
	sao_json_get_int64(j, "nbf", &c_r->nbf);
out:
	sao_json_free(&j);
	sao_secret_clear(&part);
	return rc;
}

int sao_claims_app_only(const sao_claims_t *c)
{
	if (strcmp(c->idtyp, "app") == 0)
		return 1;
	return c->jwt && c->scp[0] == '\0' && c->user[0] == '\0';
}

/* 1 when word is one of the space-separated words of list; a scope may be
 * written with its resource ("https://outlook.office.com/SMTP.Send"). */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " ");
		const char *slash = memrchr(p, '/', len);
		const char *w = slash != NULL ? slash + 1 : p;
		size_t wlen = len - (size_t)(w - p);

		if (wlen == n && strncasecmp(w, word, n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++) {
		size_t n = strlen(list[i]);

		/* "https://outlook.office.com/" with a slash is the same resource. */
		if (strncasecmp(s, list[i], n) == 0 && (s[n] == '\0' || (s[n] == '/' && s[n + 1] == '\0')))
			return 1;
	}
	return 0;
}

static sao_check_t *add(sao_checks_t *ch, const char *name, sao_check_level_t level, const char *fix, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));

static sao_check_t *add(sao_checks_t *ch, const char *name, sao_check_level_t level, const char *fix, const char *fmt,
                        ...)
{
	sao_check_t *k;
	va_list ap;

	if (ch->n >= SAO_CHECKS_MAX)
		return NULL;
	k = &ch->item[ch->n++];
	k->name = name;
	k->level = level;
	va_start(ap, fmt);
	vsnprintf(k->text, sizeof(k->text), fmt, ap);
	va_end(ap);
	snprintf(k->fix, sizeof(k->fix), "%s", fix != NULL ? fix : "");
	if (level > ch->worst)
		ch->worst = level;
	return k;
}

static void check_audience(const sao_claims_t *c, const sao_account_t *a, sao_checks_t *ch)
{
	const char *name = a != NULL ? a->name : "ACCOUNT";
	char fix[SAO_CHECK_TEXT_MAX];

	if (in_list(exchange_audiences, c->aud)) {
		add(ch, "audience", SAO_CHECK_OK, NULL, "audience %s is Exchange Online", c->aud);
		return;
	}
	snprintf(fix, sizeof(fix),
	         "request scopes with Exchange's resource in front (scope = https://outlook.office.com/IMAP.AccessAsUser.All "
	         "https://outlook.office.com/SMTP.Send offline_access, or remove scope for the default), then run: "
	         "sasl-oauth login %s",
	         name);
	if (in_list(graph_audiences, c->aud))
		add(ch, "audience", SAO_CHECK_FAIL, fix,
		    "audience %s is Microsoft Graph: Exchange Online refuses the token (AUTHENTICATE failed, 535 5.7.3)",
		    c->aud);
	else
		add(ch, "audience", SAO_CHECK_FAIL, fix,
		    "audience '%s' is not Exchange Online (https://outlook.office.com or https://outlook.office365.com)",
		    c->aud[0] != '\0' ? c->aud : "(none)");
}

static void check_permissions(const sao_claims_t *c, const sao_account_t *a, sao_checks_t *ch)
{
	char have[256] = "", missing[256] = "", fix[SAO_CHECK_TEXT_MAX];
	size_t hl = 0, ml = 0;
	int app = sao_claims_app_only(c);
	const char *name = a != NULL ? a->name : "ACCOUNT";

	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		const char *want = app ? needs[i].role : needs[i].scope;
		int ok = has_word(app ? c->roles : c->scp, want);
		char *buf = ok ? have : missing;
		size_t *len = ok ? &hl : &ml;
		int w;

		if (!ok && !sao_settings_serves(a, needs[i].service))
			continue;
		w = snprintf(buf + *len, sizeof(have) - *len, "%s%s", *len > 0 ? ", " : "", want);
		if (w > 0 && (size_t)w < sizeof(have) - *len)
			*len += (size_t)w;
	}
	if (app && c->roles[0] == '\0') {
		snprintf(fix, sizeof(fix),
		         "add the application permissions IMAP.AccessAsApp, POP.AccessAsApp or SMTP.SendAsApp of \"Office 365 "
		         "Exchange Online\" to the app registration and grant admin consent, then run: sasl-oauth refresh "
		         "--force %s",
		         name);
		add(ch, "roles", SAO_CHECK_FAIL, fix,
		    "app-only token without roles: the app has no Exchange Online application permission with admin consent");
		return;
	}
	if (ml == 0) {
		add(ch, app ? "roles" : "scopes", SAO_CHECK_OK, NULL, "%s %s", app ? "roles" : "scopes", have);
		return;
	}
	if (app)
		snprintf(fix, sizeof(fix),
		         "add the application permission %s of \"Office 365 Exchange Online\" and grant admin consent, then "
		         "run: sasl-oauth refresh --force %s",
		         missing, name);
	else
		snprintf(fix, sizeof(fix),
		         "ask for %s (scope = https://outlook.office.com/... for each, or remove scope for the default) and "
		         "consent to it, then run: sasl-oauth login %s",
		         missing, name);
	add(ch, app ? "roles" : "scopes", hl > 0 ? SAO_CHECK_WARN : SAO_CHECK_FAIL, fix, "%s lacks %s%s%s",
	    app ? "app-only token" : "token", missing, hl > 0 ? "; has " : "", have);
}

static void check_expiry(int64_t exp, const sao_account_t *a, int64_t now, sao_checks_t *ch)
{
	long margin = a != NULL ? a->refresh_margin : SAO_REFRESH_MARGIN_DEFAULT;
	const char *name = a != NULL ? a->name : "ACCOUNT";
	char when[64], fix[SAO_CHECK_TEXT_MAX];

	if (exp == 0) {
		add(ch, "expiry", SAO_CHECK_WARN, NULL, "expiry unknown: the provider gave none");
		return;
	}
	sao_clock_utc(exp, when, sizeof(when));
	snprintf(fix, sizeof(fix), "run: sasl-oauth refresh %s (the plugin also refreshes it at the next login)", name);
	if (exp <= now)
		add(ch, "expiry", SAO_CHECK_FAIL, fix, "expired at %s, %" PRId64 " min ago", when, (now - exp) / 60);
	else if (exp - now <= margin)
		add(ch, "expiry", SAO_CHECK_WARN, fix, "expires at %s, in %" PRId64 " min: within refresh_margin (%ld s)",
		    when, (exp - now) / 60, margin);
	else
		add(ch, "expiry", SAO_CHECK_OK, NULL, "expires at %s, in %" PRId64 " min (refresh_margin %ld s)", when,
		    (exp - now) / 60, margin);
}

static void check_user(const sao_claims_t *c, const sao_account_t *a, sao_checks_t *ch)
{
	char fix[SAO_CHECK_TEXT_MAX];

	if (sao_claims_app_only(c)) {
		add(ch, "user", SAO_CHECK_INFO, NULL,
		    "app-only token: it logs in to any mailbox the app's service principal has FullAccess on");
		return;
	}
	if (c->user[0] == '\0') {
		add(ch, "user", SAO_CHECK_WARN, NULL, "the token names no user (no upn, preferred_username or unique_name)");
		return;
	}
	if (a == NULL || a->n_users == 0) {
		add(ch, "user", SAO_CHECK_INFO, NULL, "user %s (%s)", c->user, c->user_claim);
		return;
	}
	for (size_t i = 0; i < a->n_users; i++) {
		if (strcasecmp(a->users[i], c->user) == 0) {
			add(ch, "user", SAO_CHECK_OK, NULL, "user %s (%s) is in users", c->user, c->user_claim);
			return;
		}
	}
	snprintf(fix, sizeof(fix),
	         "sign in as one of users (run: sasl-oauth login %s), or give %s FullAccess on those mailboxes if they are "
	         "shared ones",
	         a->name, c->user);
	add(ch, "user", SAO_CHECK_WARN, fix, "user %s (%s) is none of users (%s%s): logins work only as its delegate",
	    c->user, c->user_claim, a->users[0], a->n_users > 1 ? ", ..." : "");
}

void sao_claims_check(const sao_claims_t *c, const sao_account_t *a, const char *scope, int64_t expires_at,
                      int64_t now, sao_checks_t *ch)
{
	int microsoft;

	memset(ch, 0, sizeof(*ch));
	if (!c->jwt) {
		add(ch, "token", SAO_CHECK_INFO, NULL,
		    "opaque token, not a JWT (Microsoft personal accounts and Google issue these): its audience, scopes "
		    "and user cannot be read; the expiry and scope the provider returned with it can");
		if (scope != NULL && scope[0] != '\0')
			add(ch, "scopes", SAO_CHECK_INFO, NULL, "the provider granted: %s", scope);
		else
			add(ch, "scopes", SAO_CHECK_WARN, NULL, "the provider returned no scope with the token");
		check_expiry(expires_at, a, now, ch);
		return;
	}
	microsoft = a != NULL ? a->provider == SAO_PROVIDER_MICROSOFT
	                      : (strstr(c->iss, "sts.windows.net") != NULL || strstr(c->iss, "microsoftonline") != NULL);
	add(ch, "token", SAO_CHECK_INFO, NULL, "JWT, %s, issuer %s", sao_claims_app_only(c) ? "app-only" : "delegated",
	    c->iss[0] != '\0' ? c->iss : "(none)");
	if (microsoft) {
		check_audience(c, a, ch);
		check_permissions(c, a, ch);
		add(ch, "tenant", SAO_CHECK_INFO, NULL, "tenant %s", c->tid[0] != '\0' ? c->tid : "(none)");
		add(ch, "version", SAO_CHECK_INFO, NULL, "ver %s%s", c->ver[0] != '\0' ? c->ver : "(none)",
		    strcmp(c->ver, "2.0") == 0 ? " (the resource asked for v2.0 tokens; the user is in preferred_username)"
		                               : "");
	} else {
		add(ch, "audience", SAO_CHECK_INFO, NULL, "audience %s", c->aud[0] != '\0' ? c->aud : "(none)");
		add(ch, "scopes", SAO_CHECK_INFO, NULL, "scopes %s", c->scp[0] != '\0' ? c->scp : "(none)");
	}
	check_expiry(c->exp != 0 ? c->exp : expires_at, a, now, ch);
	check_user(c, a, ch);
}

const char *sao_check_level_name(sao_check_level_t level)
{
	switch (level) {
	case SAO_CHECK_INFO: return "info";
	case SAO_CHECK_OK: return "ok";
	case SAO_CHECK_WARN: return "warning";
	case SAO_CHECK_FAIL: return "FAIL";
	}
	return "?";
}
