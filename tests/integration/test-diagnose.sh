#!/bin/bash
# SPDX-License-Identifier: MIT
# inspect, status and notify_command through the built command, against
# tokens the local identity provider mints: Graph, IMAP delegated, IMAP
# app-only with and without roles, ver 1.0 and 2.0, an opaque one, a token
# of another user; status at each threshold of the 90-day inactivity
# deadline under a warped clock (faketime), a failed refresh with its code,
# and notify_command run once per failure state; each class of refusal
# (wrong audience, missing scope, revoked token, disabled account, consent
# missing, expired client secret) as the callback client, "sasl-oauth test"
# and mbsync show it. The token never appears in any output.
. "$(dirname "$0")/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"
start_bed
STATE="$XDG_STATE_HOME/sasl-oauth"
TENANT=contoso.onmicrosoft.com

# What no output may hold: the token of the last seed.
secrets() { printf '%s\n' "${TOKEN:-}"; }
issue() { bed_ctl POST /control/issue "$@"; }
# seed ACCOUNT ARGS...: /control/issue ARGS as ACCOUNT's cache; TOKEN is it.
seed() {
	local account=$1
	shift
	issue "$@" | write_cache "$account"
	TOKEN=$(cache_field "$account" access_token)
}

write_config "[account work]
users = alice@contoso.com, shared@contoso.com
authority = $BED_IDP_URL
tenant = $TENANT
client_id = 11111111-1111-1111-1111-111111111111
notify_command = /bin/sh -c 'echo \"\$SASL_OAUTH_ACCOUNT|\$SASL_OAUTH_REASON\" >> $BED_DIR/notified'

[account app]
users = relay@contoso.com
authority = $BED_IDP_URL
tenant = $TENANT
client_id = 22222222-2222-2222-2222-222222222222
flow = client_credentials
client_secret_file = $BED_DIR/app.secret

[account never]
users = carol@contoso.com
authority = $BED_IDP_URL
tenant = $TENANT
client_id = 11111111-1111-1111-1111-111111111111"
printf 'not-used\n' > "$BED_DIR/app.secret"
chmod 600 "$BED_DIR/app.secret"

echo "== inspect"
seed work upn=alice@contoso.com
run_cli inspect work
expect "IMAP delegated token: Exchange audience, scopes, user in users, ver 1.0" 0 \
	"work: ok: audience https://outlook.office.com is Exchange Online" \
	"work: ok: scopes IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send" \
	"work: ok: user alice@contoso.com (upn) is in users" "work: info: ver 1.0" "work: info: tenant "

seed work upn=alice@contoso.com "scope=IMAP.AccessAsUser.All offline_access"
run_cli inspect work
expect "a Graph token (scope without Exchange's resource) fails with the fix" 1 \
	"work: FAIL: audience https://graph.microsoft.com is Microsoft Graph: Exchange Online refuses the token (AUTHENTICATE failed, 535 5.7.3); fix: request scopes with Exchange's resource in front" \
	"then run: sasl-oauth login work"

seed work upn=alice@contoso.com "scope=https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
run_cli inspect work
expect "IMAP only: a warning names the missing SMTP and POP scopes" 0 \
	"work: warning: token lacks POP.AccessAsUser.All, SMTP.Send; has IMAP.AccessAsUser.All"

seed work upn=alice@contoso.com ver=2.0
run_cli inspect work
expect "ver 2.0: the resource id is Exchange's audience, the user from preferred_username" 0 \
	"work: ok: audience 00000002-0000-0ff1-ce00-000000000000 is Exchange Online" \
	"work: info: ver 2.0" "user alice@contoso.com (preferred_username) is in users"

seed work upn=bob@contoso.com
run_cli inspect work
expect "a token of another user: a warning with the fix" 0 \
	"work: warning: user bob@contoso.com (upn) is none of users (alice@contoso.com, ...)"

seed work upn=alice@contoso.com opaque:=true
run_cli inspect work
expect "an opaque token is named plainly, with what can still be checked" 0 \
	"work: info: opaque token, not a JWT (Microsoft personal accounts and Google issue these)" \
	"work: info: the provider granted: https://outlook.office.com/IMAP.AccessAsUser.All" "work: ok: expires at"

TOKEN=$(issue app:=true client_id=22222222-2222-2222-2222-222222222222 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
printf '%s\n' "$TOKEN" | { timeout 30 "$CLI" inspect - >"$BED_DIR/out" 2>"$BED_DIR/err"; echo $? > "$BED_DIR/rc"; }
RC=$(cat "$BED_DIR/rc") OUT=$(cat "$BED_DIR/out") ERR=$(cat "$BED_DIR/err")
expect "an app-only IMAP token from stdin: roles and audience" 0 \
	"-: ok: audience https://outlook.office365.com is Exchange Online" \
	"-: ok: roles IMAP.AccessAsApp, POP.AccessAsApp, SMTP.SendAsApp" "-: info: JWT, app-only"

TOKEN=$(issue app:=true 'roles:=[]' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
printf '%s\n' "$TOKEN" | { timeout 30 "$CLI" inspect - >"$BED_DIR/out" 2>"$BED_DIR/err"; echo $? > "$BED_DIR/rc"; }
RC=$(cat "$BED_DIR/rc") OUT=$(cat "$BED_DIR/out") ERR=$(cat "$BED_DIR/err")
expect "an app-only token without roles fails with the admin-consent fix" 1 \
	"-: FAIL: app-only token without roles: the app has no Exchange Online application permission with admin consent; fix: add the application permissions IMAP.AccessAsApp"

seed work upn=alice@contoso.com
run_cli inspect --json work
if [ "$RC" = 0 ] && printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)[0]
assert d["account"] == "work" and d["jwt"] is True and d["result"] == "ok", d
assert d["claims"]["aud"] == "https://outlook.office.com" and d["claims"]["user"] == "alice@contoso.com"
assert {c["check"] for c in d["checks"]} >= {"audience", "scopes", "expiry", "user", "tenant", "version"}
' && ! printf '%s' "$OUT" | grep -qF "${TOKEN:0:40}"; then
	pass "inspect --json: claims and checks, no token"
else
	fail "inspect --json: exit $RC: $OUT"
fi
run_cli inspect never
expect "inspect of an account never logged in names the fix" 3 "account 'never' has no cached token; run: sasl-oauth login never"

echo "== status"
seed work upn=alice@contoso.com
run_cli status work
expect "status of a fresh account: ok" 0 "work: ok: cache: access token expires" "90-day inactivity deadline"
run_cli status never
expect "status of an account never logged in: action needed" 2 \
	"never: action needed: cache: not logged in" "fix: run: sasl-oauth login never"
run_cli status
expect "status of all: the worst decides (action needed)" 2 "work: ok:" "never: action needed:" \
	"app: ok: cache: no token yet (app-only: fetched at the first login)"
if command -v faketime >/dev/null 2>&1; then
	# The cache was written just now; the clock moves, the cache does not.
	for c in "+75d 0 ok: Entra ID's deadline 15 days ahead is no warning yet" \
		"+77d 1 warning: 13 days ahead it is a warning" \
		"+89d 1 warning: one day ahead still a warning" \
		"+91d 2 action needed: after 90 days unused a login is needed"; do
		set -- $c
		off=$1 want=$2
		shift 2
		RC=0
		faketime -f "$off" "$CLI" status work >"$BED_DIR/out" 2>"$BED_DIR/err" || RC=$?
		OUT=$(cat "$BED_DIR/out") ERR=$(cat "$BED_DIR/err")
		case $want in
		0) expect "status at $off, $*" 0 "work: ok:" "90-day inactivity deadline" ;;
		1) expect "status at $off, $*" 1 "work: warning:" "Entra ID ends the refresh token at" \
			"fix: run: sasl-oauth refresh --force work (a refresh restarts the 90 days)" ;;
		2) expect "status at $off, $*" 2 "work: action needed:" "Entra ID ended the refresh token at" \
			"after 90 days unused; fix: run: sasl-oauth login work" ;;
		esac
	done
	RC=0
	faketime -f "+80d" "$CLI" status --check work >"$BED_DIR/out" 2>"$BED_DIR/err" || RC=$?
	OUT=$(cat "$BED_DIR/out") ERR=$(cat "$BED_DIR/err")
	expect "status --check: one Nagios line" 1 "SASL-OAUTH WARNING - work: "
	[ "$(wc -l < "$BED_DIR/out")" = 1 ] || fail "status --check printed more than one line"
else
	echo "note: faketime is not installed; the deadline thresholds are tested with moved stamps only"
fi
cache_set work "obtained_at=now-86400*80" "refresh_obtained_at=now-86400*80"
run_cli status work
expect "status with a refresh token last used 80 days ago: warning" 1 "work: warning:"

echo "== a refresh that needs a person: status and notify_command"
seed work upn=alice@contoso.com
cache_set work "expires_at=now-10"
bed_ctl POST /control/revoke upn=alice@contoso.com >/dev/null
rm -f "$BED_DIR/notified"
run_cli refresh work
expect "a revoked grant: refresh exits 3" 3 "AADSTS70000"
run_cli refresh work
expect "the same failure again" 3 "AADSTS70000"
if [ -f "$BED_DIR/notified" ] && [ "$(wc -l < "$BED_DIR/notified")" = 1 ] &&
	grep -q '^work|.*AADSTS70000.*sasl-oauth login work' "$BED_DIR/notified"; then
	pass "notify_command ran once for two failures, with the account and the reason in its environment"
else
	fail "notify_command: $(cat "$BED_DIR/notified" 2>/dev/null)"
fi
run_cli status work
expect "status shows the last failed refresh with its code" 2 "work: action needed:" \
	"the last refresh failed at" "AADSTS70000" "fix: run: sasl-oauth login work"
run_cli status --json work
if [ "$RC" = 2 ] && printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)[0]
assert d["state"] == "action" and d["login_needed"] is True and "AADSTS70000" in d["last_error"], d
assert d["last_error_at"] > 0 and d["access_expires_at"] > 0
'; then
	pass "status --json: state, login_needed, last_error"
else
	fail "status --json: exit $RC: $OUT"
fi
# A new login (a new cache) is a new state: the next failure is told again.
sleep 1
seed work upn=alice@contoso.com
run_cli status work
expect "after a new login the old failure no longer counts" 0 "work: ok:"
cache_set work "expires_at=now-10"
bed_ctl POST /control/revoke upn=alice@contoso.com >/dev/null
run_cli refresh work
if [ "$RC" = 3 ] && [ "$(wc -l < "$BED_DIR/notified")" = 2 ]; then
	pass "notify_command ran again for the failure after a new login"
else
	fail "notify_command after a new login: exit $RC, $(wc -l < "$BED_DIR/notified") notifications"
fi
echo "== the server's refusal explained by the token's claims (plugin: callback client, sasl-oauth test, mbsync)"
if [ -x "$SASL_CLIENT" ] && command -v mbsync >/dev/null 2>&1; then
	. "$(dirname "$0")/mbsync.sh"
	bed_add_user alice@contoso.com
	# refused CASE SETUP WANT...: after SETUP (shell code) the callback
	# client, "sasl-oauth test" and mbsync (SETUP again before each: a
	# refusal marks the cache) all fail, and all show every WANT (fixed
	# strings).
	refused() {
		local what=$1 setup=$2 w ok=1
		shift 2
		eval "$setup"
		OUT=$(timeout 30 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" \
			--mech XOAUTH2 --user alice@contoso.com 2>&1)
		RC=$?
		eval "$setup"
		TEST_OUT=$(timeout 30 "$CLI" test --ca-file "$BED_CA" "imaps://alice@contoso.com@localhost:$BED_IMAPS_PORT" 2>&1)
		TEST_RC=$?
		eval "$setup"
		rm -rf "$BED_DIR/maildir"
		write_mbsyncrc alice@contoso.com XOAUTH2
		# mbsync prints no SASL detail after the server's final NO: the
		# refusal is noted in the cache and named by the next run.
		run_mbsync >"$BED_DIR/mbsync.log"
		run_mbsync >"$BED_DIR/mbsync.log"
		for w in "$@"; do
			printf '%s\n' "$OUT" | grep -qF -- "$w" || { ok=0; echo "    callback client lacks: $w"; }
			printf '%s\n' "$TEST_OUT" | grep -qF -- "$w" || { ok=0; echo "    sasl-oauth test lacks: $w"; }
			printf '%s\n' "$MBSYNC_OUT" | grep -qF -- "$w" || { ok=0; echo "    mbsync lacks: $w"; }
		done
		if [ "$RC" = 1 ] && [ "$TEST_RC" != 0 ] && [ "$MBSYNC_RC" != 0 ] && [ "$ok" = 1 ] &&
			! printf '%s\n%s\n' "$OUT" "$TEST_OUT" | grep -qF -- "${TOKEN:0:40}"; then
			pass "$what: the callback client's sasl_errdetail, sasl-oauth test and mbsync name the cause and the fix"
			printf '%s\n' "$TEST_OUT" | head -1 | sed 's/^/    test: /'
			printf '%s\n' "$MBSYNC_OUT" | grep -F 'rejected by the server' | head -1 | sed 's/^/    mbsync: /'
		else
			fail "$what: client exit $RC / test exit $TEST_RC / mbsync exit $MBSYNC_RC: $TEST_OUT / $MBSYNC_OUT"
		fi
	}
	refused "wrong audience (a Graph token)" \
		'seed work upn=alice@contoso.com "scope=IMAP.AccessAsUser.All offline_access"' \
		"sasl-oauth inspect finds: audience https://graph.microsoft.com is Microsoft Graph" \
		"fix: request scopes with Exchange's resource in front"
	bed_config '{"require_scope": "IMAP.AccessAsUser.All"}' >/dev/null
	refused "missing scope (SMTP.Send only)" \
		'seed work upn=alice@contoso.com "scope=https://outlook.office.com/SMTP.Send offline_access"' \
		"sasl-oauth inspect finds: token lacks IMAP.AccessAsUser.All, POP.AccessAsUser.All; has SMTP.Send" \
		"consent to it, then run: sasl-oauth login work"
	bed_config '{"require_scope": ""}' >/dev/null
	refused "revoked token" 'seed work upn=alice@contoso.com; bed_revoke "$TOKEN" >/dev/null' \
		"the access token is invalid, expired or revoked (status 401" "run: sasl-oauth refresh work (or sasl-oauth login work"
	echo "== the identity provider's refusals, through the plugin's refresh (sasl-oauth token)"
	export SASL_OAUTH_CLI="$CLI"
	inject() { bed_config "{\"token_error\": $1}" >/dev/null; }
	refused "disabled account" \
		'seed work upn=alice@contoso.com; cache_set work "expires_at=now-10"; inject "{\"grant\": \"refresh_token\", \"error\": \"invalid_grant\", \"code\": 50057, \"message\": \"The user account is disabled.\"}"' \
		"AADSTS50057: the user account is disabled" "; ask an administrator to enable the account"
	refused "consent missing" \
		'seed work upn=alice@contoso.com; cache_set work "expires_at=now-10"; inject "{\"grant\": \"refresh_token\", \"error\": \"invalid_grant\", \"code\": 65001, \"message\": \"The user or administrator has not consented to use the application.\"}"' \
		"AADSTS65001: nobody has consented to the permissions this app asks for" "run: sasl-oauth login work"
	printf 'a-secret-value\n' > "$BED_DIR/app.secret"
	inject '{"grant": "client_credentials", "status": 401, "error": "invalid_client", "code": 7000222, "message": "The provided client secret keys are expired."}'
	OUT=$(timeout 30 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" \
		--mech XOAUTH2 --user relay@contoso.com 2>&1)
	RC=$?
	TEST_OUT=$(timeout 30 "$CLI" test --ca-file "$BED_CA" "imaps://relay@contoso.com@localhost:$BED_IMAPS_PORT" 2>&1)
	TEST_RC=$?
	rm -rf "$BED_DIR/maildir"
	write_mbsyncrc relay@contoso.com XOAUTH2
	run_mbsync >"$BED_DIR/mbsync.log"
	want="AADSTS7000222: the client secret has expired"
	fix="; create a new client secret and put it in client_secret_file"
	if [ "$RC" != 0 ] && printf '%s\n' "$OUT" | grep -qF "$want" && printf '%s\n' "$OUT" | grep -qF "$fix" &&
		[ "$TEST_RC" = 1 ] && printf '%s\n' "$TEST_OUT" | grep -qF "$want" && printf '%s\n' "$TEST_OUT" | grep -qF "$fix" &&
		[ "$MBSYNC_RC" != 0 ] && printf '%s\n' "$MBSYNC_OUT" | grep -qF "$want" &&
		printf '%s\n' "$MBSYNC_OUT" | grep -qF "$fix"; then
		pass "expired client secret (app-only): the callback client, sasl-oauth test and mbsync name the cause and the fix"
	else
		fail "expired client secret: client exit $RC: $OUT / test exit $TEST_RC: $TEST_OUT / mbsync: $MBSYNC_OUT"
	fi
	bed_config '{"token_error": null}' >/dev/null
	export SASL_OAUTH_CLI="$BED_DIR/no-sasl-oauth"
else
	echo "note: sasl-client or mbsync missing; the refusal part is skipped"
fi
finish
