/* SPDX-License-Identifier: MIT */
/*
 * status: one line per account saying whether its logins will keep
 * working: where the token comes from, when the access token expires, how
 * old the refresh token is and when it was last used, the 90-day
 * inactivity deadline of Entra ID refresh tokens (protocols.md §3.9), the
 * last failed refresh (the note renew leaves next to the cache) and
 * whether a new login is needed. For people (lines), scripts (--json) and
 * monitoring (--check, one Nagios/Icinga line). Exit status 0 ok, 1 a
 * warning, 2 action needed, whatever the output.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sasl-oauth/clock.h"

/* Entra ID ends a refresh token unused for 90 days (MaxInactiveTime, not
 * configurable since 2021); status warns 14 days ahead. */
#define INACTIVE_LIMIT (90 * 86400)
#define INACTIVE_WARN (14 * 86400)

enum { OPT_JSON, OPT_CHECK };

static const cli_option_t options[] = {
	[OPT_JSON] = { .name = "json", .kind = CLI_FLAG },
	[OPT_CHECK] = { .name = "check", .kind = CLI_FLAG },
};

typedef enum { ST_OK = 0, ST_WARN = 1, ST_ACTION = 2 } level_t;

static const char *const level_names[] = { [ST_OK] = "ok", [ST_WARN] = "warning", [ST_ACTION] = "action needed" };

typedef struct report {
	level_t level;
	const char *source;       /* "cache", "token_command" */
	char *cache;              /* path, owned */
	int have_token;
	int64_t expires_at, obtained_at, refresh_obtained_at, deadline, error_at;
	int has_refresh, login_needed;
	char error[SAO_CACHE_NOTE_MAX];
	char what[1024];          /* the line after "NAME: LEVEL: " */
	char fix[512];
} report_t;

static void say(report_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends a clause to the line, "; " between clauses. */
static void say(report_t *r, const char *fmt, ...)
{
	size_t used = strlen(r->what);
	va_list ap;

	if (used > 0 && used + 2 < sizeof(r->what)) {
		memcpy(r->what + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->what + used, sizeof(r->what) - used, fmt, ap);
	va_end(ap);
}

static void raise_to(report_t *r, level_t level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Raises the account's level; the fix of the highest level is kept. */
static void raise_to(report_t *r, level_t level, const char *fmt, ...)
{
	va_list ap;

	if (level < r->level)
		return;
	if (level > r->level || r->fix[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->fix, sizeof(r->fix), fmt, ap);
		va_end(ap);
	}
	r->level = level;
}

/* "in 3 days", "52 min ago": the distance from now to t. */
static const char *distance(int64_t t, int64_t now, char *buf, size_t size)
{
	int64_t d = t > now ? t - now : now - t;

	if (d >= 2 * 86400)
		snprintf(buf, size, t > now ? "in %" PRId64 " days" : "%" PRId64 " days ago", d / 86400);
	else if (d >= 7200)
		snprintf(buf, size, t > now ? "in %" PRId64 " h" : "%" PRId64 " h ago", d / 3600);
	else
		snprintf(buf, size, t > now ? "in %" PRId64 " min" : "%" PRId64 " min ago", d / 60);
	return buf;
}

static void evaluate(const sao_account_t *a, int64_t now, report_t *r)
{
	sao_token_t tok;
	sao_error_t err;
	char when[64], dist[32];
	int app = a->flow == SAO_FLOW_CLIENT_CREDENTIALS;
	int64_t last_use;
	sao_err_t rc;

	memset(r, 0, sizeof(*r));
	sao_error_clear(&err);
	sao_token_init(&tok);
	if (a->token_command != NULL) {
		r->source = "token_command";
		say(r, "tokens come from its token_command, which sasl-oauth does not manage");
		goto out;
	}
	r->source = "cache";
	if (sao_settings_cache_path(a, &r->cache, &err) != SAO_OK) {
		say(r, "%s", err.msg);
		raise_to(r, ST_ACTION, "fix the configuration of account %s", a->name);
		goto out;
	}
	/* A refresh that needed a person, noted by renew. */
	if (sao_cache_read_failure(r->cache, r->error, sizeof(r->error))) {
		sao_cache_failure_time(r->cache, &r->error_at);
		sao_clock_utc(r->error_at, when, sizeof(when));
		say(r, "the last refresh failed at %s: %s", when, r->error);
		r->login_needed = 1;
		if (app)
			raise_to(r, ST_ACTION, "see the error; then run: sasl-oauth refresh --force %s", a->name);
		else
			raise_to(r, ST_ACTION, "run: sasl-oauth login %s", a->name);
	}
	rc = sao_cache_read(r->cache, &tok, &err);
	if (rc != SAO_OK) {
		if (rc == SAO_ERR_NOTFOUND && app) {
			say(r, "no token yet (app-only: fetched at the first login)");
		} else if (rc == SAO_ERR_NOTFOUND) {
			say(r, "not logged in (no cache at %s)", r->cache);
			r->login_needed = 1;
			raise_to(r, ST_ACTION, "run: sasl-oauth login %s", a->name);
		} else {
			say(r, "%s", err.msg);
			raise_to(r, ST_ACTION, "see the message; then run: sasl-oauth login %s", a->name);
		}
		goto out;
	}
	r->have_token = 1;
	r->expires_at = tok.expires_at;
	r->obtained_at = tok.obtained_at;
	r->refresh_obtained_at = tok.refresh_obtained_at;
	r->has_refresh = tok.refresh_token.len > 0;
	sao_clock_utc(tok.expires_at, when, sizeof(when));
	if (tok.expires_at > now)
		say(r, "access token expires %s (%s)", when, distance(tok.expires_at, now, dist, sizeof(dist)));
	else
		say(r, "access token expired %s (%s)%s", when, distance(tok.expires_at, now, dist, sizeof(dist)),
		    r->has_refresh || app ? ", renewed at the next login" : "");
	if (tok.rejected_at != 0 && tok.rejected_at >= tok.obtained_at) {
		sao_clock_utc(tok.rejected_at, when, sizeof(when));
		say(r, "a server refused it at %s (%s)", when,
		    tok.rejected_reason != NULL ? tok.rejected_reason : "no reason given");
		raise_to(r, ST_WARN, "run: sasl-oauth inspect %s", a->name);
	}
	if (!r->has_refresh) {
		if (!app && tok.expires_at <= now) {
			say(r, "no refresh token");
			r->login_needed = 1;
			raise_to(r, ST_ACTION, "run: sasl-oauth login %s", a->name);
		}
		goto out;
	}
	sao_clock_utc(tok.obtained_at, when, sizeof(when));
	say(r, "refresh token %" PRId64 " days old, last refreshed %s", (now - tok.refresh_obtained_at) / 86400, when);
	if (a->provider != SAO_PROVIDER_MICROSOFT)
		goto out;
	/* Every refresh uses the refresh token (and Entra ID hands out a new
	 * one), so the last use is the newer of the two stamps. */
	last_use = tok.obtained_at > tok.refresh_obtained_at ? tok.obtained_at : tok.refresh_obtained_at;
	r->deadline = last_use + INACTIVE_LIMIT;
	sao_clock_utc(r->deadline, when, sizeof(when));
	if (r->deadline <= now) {
		say(r, "Entra ID ended the refresh token at %s after 90 days unused", when);
		r->login_needed = 1;
		raise_to(r, ST_ACTION, "run: sasl-oauth login %s", a->name);
	} else if (r->deadline - now <= INACTIVE_WARN) {
		say(r, "Entra ID ends the refresh token at %s (%s) unless it is used", when,
		    distance(r->deadline, now, dist, sizeof(dist)));
		raise_to(r, ST_WARN, "run: sasl-oauth refresh --force %s (a refresh restarts the 90 days)", a->name);
	} else {
		say(r, "90-day inactivity deadline %s (%s)", when, distance(r->deadline, now, dist, sizeof(dist)));
	}
out:
	sao_token_clear(&tok);
}

static void print_json(const sao_account_t *a, const report_t *r, int first)
{
	printf("%s{\"account\":", first ? "" : ",\n");
	cli_json_string(stdout, a->name);
	printf(",\"state\":\"%s\",\"source\":\"%s\",\"cache\":", r->level == ST_OK ? "ok" : r->level == ST_WARN ? "warning" : "action",
	       r->source);
	cli_json_string(stdout, r->cache);
	printf(",\"access_expires_at\":%" PRId64 ",\"last_refresh_at\":%" PRId64 ",\"refresh_obtained_at\":%" PRId64
	       ",\"inactivity_deadline\":%" PRId64 ",\"has_refresh_token\":%s,\"login_needed\":%s,\"last_error_at\":%" PRId64
	       ",\"last_error\":",
	       r->expires_at, r->obtained_at, r->refresh_obtained_at, r->deadline, r->has_refresh ? "true" : "false",
	       r->login_needed ? "true" : "false", r->error_at);
	cli_json_string(stdout, r->error);
	cli_json_member("message", r->what);
	cli_json_member("fix", r->fix);
	putchar('}');
}

static int run(const sao_settings_t *s, const cli_args_t *o)
{
	static const char *const nagios[] = { [ST_OK] = "OK", [ST_WARN] = "WARNING", [ST_ACTION] = "CRITICAL" };
	const sao_account_t *only = NULL;
	int64_t now = (int64_t)time(NULL);
	level_t worst = ST_OK;
	char summary[2048] = "";
	size_t used = 0, n = 0;
	sao_error_t err;

	sao_error_clear(&err);
	if (o->n_operands == 1) {
		only = sao_settings_get(s, o->operands[0]);
		if (only == NULL)
			only = sao_settings_find(s, o->operands[0], NULL);
		if (only == NULL) {
			cli_find_account(s, o->operands[0], &err);
			cli_report(&err);
			return ST_ACTION;
		}
	}
	if (o->given[OPT_JSON])
		putchar('[');
	for (size_t i = 0; i < s->n_accounts; i++) {
		const sao_account_t *a = &s->accounts[i];
		report_t r;

		if (only != NULL && a != only)
			continue;
		evaluate(a, now, &r);
		if (r.level > worst)
			worst = r.level;
		if (o->given[OPT_JSON]) {
			print_json(a, &r, n == 0);
		} else if (o->given[OPT_CHECK]) {
			/* Problems first in the one line; healthy accounts by name. */
			int w = snprintf(summary + used, sizeof(summary) - used, "%s%s: %s%s%s", n > 0 ? ", " : "", a->name,
			                 r.level == ST_OK ? "ok" : r.what, r.fix[0] != '\0' ? "; fix: " : "", r.fix);
			if (w > 0 && (size_t)w < sizeof(summary) - used)
				used += (size_t)w;
		} else {
			printf("%s: %s: %s: %s%s%s\n", a->name, level_names[r.level], r.source, r.what,
			       r.fix[0] != '\0' ? "; fix: " : "", r.fix);
		}
		free(r.cache);
		n++;
	}
	if (o->given[OPT_JSON])
		puts("]");
	else if (o->given[OPT_CHECK])
		printf("SASL-OAUTH %s - %s\n", nagios[worst], n > 0 ? summary : "no accounts");
	return worst;
}

const cli_command_t cli_status = CLI_COMMAND("status", CLI_OPTIONAL_ACCOUNT,
	"One line per account (or for ACCOUNT): where its token comes from, when the\n"
	"access token expires, the refresh token's age and last use, Entra ID's 90-day\n"
	"inactivity deadline (a warning 14 days ahead), the last failed refresh with its\n"
	"code, and whether a new login is needed. --json for scripts, --check for one\n"
	"Nagios/Icinga line. Exit status: 0 ok, 1 warning, 2 action needed.\n");
