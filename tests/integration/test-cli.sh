#!/bin/bash
# SPDX-License-Identifier: MIT
# The sasl-oauth command line through the built command: every usage error
# of every command exits 2 with the command's usage on stderr and nothing
# on stdout (with and without a configuration file); --help exits 0; and
# forget and forget --revoke against the local identity provider: the
# cache is removed, a revocation endpoint (generic provider) is called and
# the refresh token stops working, Microsoft's missing endpoint is said,
# and a revocation the provider refuses is worded by the error catalog.
. "$(dirname "$0")/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"

# run ARGS...: runs sasl-oauth (20 s at most); sets RC, OUT, ERR.
run() {
	timeout 20 "$CLI" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# usage_error WHAT ARGS...: ARGS exit 2, print "usage: sasl-oauth CMD"
# (CMD: the first argument) on stderr and nothing on stdout; WHAT (grep -F),
# when not empty, is in the message.
usage_error() {
	local what=$1
	shift
	run "$@"
	if [ "$RC" = 2 ] && [ -z "$OUT" ] && printf '%s\n' "$ERR" | grep -qF "usage: sasl-oauth $1" &&
		{ [ -z "$what" ] || printf '%s\n' "$ERR" | grep -qF -- "$what"; }; then
		pass "usage error exits 2$CASE: sasl-oauth $*"
	else
		fail "sasl-oauth $*$CASE: exit $RC (want 2), stdout '$OUT', stderr: $ERR"
	fi
}

all_usage_errors() {
	run
	if [ "$RC" = 2 ] && [ -z "$OUT" ] && printf '%s\n' "$ERR" | grep -q '^usage: sasl-oauth COMMAND'; then
		pass "no command exits 2 with the usage$CASE"
	else
		fail "no command$CASE: exit $RC (want 2)"
	fi
	run bogus work
	if [ "$RC" = 2 ] && printf '%s\n' "$ERR" | grep -qF "unknown command 'bogus'"; then
		pass "an unknown command exits 2$CASE"
	else
		fail "unknown command$CASE: exit $RC (want 2): $ERR"
	fi
	for cmd in setup login token refresh forget; do
		usage_error "unknown option" "$cmd" --bogus work
		usage_error "unknown option" "$cmd" -x work
	done
	usage_error "give one account" login
	usage_error "give one account" login work other
	usage_error "--timeout takes seconds from 1 to 86400" login --timeout 0 work
	usage_error "--timeout takes seconds from 1 to 86400" login --timeout 86401 work
	usage_error "--timeout takes seconds from 1 to 86400" login --timeout=12s work
	usage_error "--timeout takes seconds from 1 to 86400" login --timeout '' work
	usage_error "" login work --timeout
	usage_error "" login work --redirect-uri
	usage_error "" login work --browser
	usage_error "" login --paste=yes work
	usage_error "give one account" token
	usage_error "give one account" token work other
	usage_error "--format is raw, xoauth2 or json" token --format bogus work
	usage_error "--format is raw, xoauth2 or json" token --format=XOAUTH2 work
	usage_error "" token work --format
	usage_error "" token work --user
	usage_error "" token --force=1 work
	usage_error "is ambiguous" token --for json work
	usage_error "give accounts or --all, not both and not neither" refresh
	usage_error "give accounts or --all, not both and not neither" refresh --force
	usage_error "give accounts or --all, not both and not neither" refresh --all work
	usage_error "" refresh --all=yes
	usage_error "give one account" forget
	usage_error "give one account" forget work other
	usage_error "" forget --revoke=yes work
	usage_error "give one URL" test
	usage_error "give one URL" test -v
	usage_error "give one URL" test imaps://a@b imaps://c@d
	usage_error "--mech is XOAUTH2 or OAUTHBEARER" test --mech PLAIN imaps://a@b
	usage_error "unknown option" test -x imaps://a@b
	usage_error "--timeout takes seconds from 1 to 3600" test --timeout 0 imaps://a@b
	for cmd in setup login token refresh forget; do
		run "$cmd" --bogus --help
		if [ "$RC" = 0 ] && [ -z "$ERR" ] && printf '%s\n' "$OUT" | head -n 1 | grep -qF "usage: sasl-oauth $cmd "; then
			pass "'$cmd --help' exits 0 with the usage on stdout, whatever else is on the line$CASE"
		else
			fail "'$cmd --help'$CASE: exit $RC, stdout: $OUT, stderr: $ERR"
		fi
	done
}

WORK=$(mktemp -d /tmp/sao-cli-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_STATE_HOME="$WORK/home/.local/state"
mkdir -p "$XDG_CONFIG_HOME/sasl-oauth" && chmod -R 700 "$HOME"
unset SASL_OAUTH_CONF

echo "== the usage lines"
# Made from the options' data; the synopsis in docs/cli.md is what they say.
for cmd in setup login token refresh forget tunnel test status inspect config; do
	doc=$(grep -m1 -E "^sasl-oauth $cmd " "$top_srcdir/docs/cli.md" | tr -s ' ')
	got=$("$CLI" "$cmd" --help | head -n 1)
	if [ -n "$doc" ] && [ "$got" = "usage: $doc" ]; then
		pass "'$cmd' usage is docs/cli.md's synopsis: $doc"
	else
		fail "'$cmd' usage '$got' differs from docs/cli.md's '$doc'"
	fi
done

echo "== usage errors, no configuration file"
# The system file would be read if there were no user file: point at one
# that does not exist.
export SASL_OAUTH_CONF="$WORK/none.conf"
CASE=" (no configuration)"
all_usage_errors
run token --format=json nosuch
if [ "$RC" = 4 ] && printf '%s\n' "$ERR" | grep -qF "configuration"; then
	pass "a good command line without a configuration gets past the parser to exit 4"
else
	fail "token --format=json nosuch without configuration: exit $RC (want 4): $ERR"
fi

# With no configuration anywhere, the message says where to create one
# (only when this machine has no system configuration file).
if [ -e /etc/sasl-oauth/sasl-oauth.conf ]; then
	echo "SKIP (sub-case): /etc/sasl-oauth/sasl-oauth.conf exists, so 'no configuration file' cannot be shown"
else
	unset SASL_OAUTH_CONF
	run token --format=json nosuch
	if [ "$RC" = 4 ] && printf '%s\n' "$ERR" | grep -qF "sasl-oauth: no configuration file; create ~/.config/sasl-oauth/config"; then
		pass "no configuration at all: exit 4, says where to create one"
	else
		fail "no configuration at all: exit $RC (want 4): $ERR"
	fi
fi

echo "== usage errors, with a configuration file"
printf '[account work]\nusers = alice@example.com\nclient_id = 00000000-0000-0000-0000-000000000000\n' \
	> "$WORK/sasl-oauth.conf"
chmod 600 "$WORK/sasl-oauth.conf"
export SASL_OAUTH_CONF="$WORK/sasl-oauth.conf"
CASE=" (configured)"
all_usage_errors
# Options after the operand, --name=value and abbreviations are accepted:
# the line gets as far as looking the account up.
for line in "token nosuch --format=json" "token --form xoauth2 --user=bob nosuch" "refresh --force nosuch other" \
	"forget --rev nosuch" "login --timeout=30 --paste --browser= nosuch"; do
	# shellcheck disable=SC2086
	run $line
	if [ "$RC" = 4 ] && printf '%s\n' "$ERR" | grep -qF "no account 'nosuch'"; then
		pass "'$line' is a good command line (exit 4: no account 'nosuch')"
	else
		fail "'$line': exit $RC (want 4, no account 'nosuch'): $ERR"
	fi
done
# URLs are read once the configuration is: test and tunnel refuse a bad
# one as a usage error (tunnel, on stdout, the protocol's ending too).
usage_error "the scheme 'https' of 'https://a@b' is not supported" test https://a@b
usage_error "names no user" test imaps://host
usage_error "the tunnel relays IMAP and POP3 sessions; for SMTP, the program logs in through the plugin (check it with: sasl-oauth test smtp://a@b)" tunnel smtp://a@b
unset SASL_OAUTH_CONF

# ---- forget and forget --revoke against the identity provider ---------------
# The bed may skip (no Dovecot): the usage results above must not be lost.
[ "$FAILED" = 0 ] || finish
trap - EXIT
rm -rf "$WORK"
start_bed
WORK=$BED_DIR
TENANT=contoso.onmicrosoft.com
PUBLIC_ID=00000000-0000-0000-0000-000000000000
STATE="$XDG_STATE_HOME/sasl-oauth"
bed_add_user alice@example.com
bed_add_user bob@example.com
bed_add_user carol@example.com
# sec_generic NAME USER CLIENT_ID: a generic account with a revocation endpoint.
sec_generic() {
	printf '[account %s]\nusers = %s\nprovider = generic\ntoken_endpoint = %s\nrevoke_endpoint = %s\nscope = %s\nclient_id = %s\n\n' \
		"$1" "$2" "$BED_IDP_URL/$TENANT/oauth2/v2.0/token" "$BED_IDP_URL/revoke" \
		"https://outlook.office.com/IMAP.AccessAsUser.All offline_access" "$3"
}
write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = $TENANT
client_id = $PUBLIC_ID

$(sec_generic gen bob@example.com "$PUBLIC_ID")
$(sec_generic other carol@example.com 11111111-1111-1111-1111-111111111111)"

stat_of() {
	bed_stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# refresh_works TOKEN: "ok" when the token endpoint still takes the refresh
# token, else the error and AADSTS number (the token travels in the
# environment, never in a command line).
refresh_works() {
	SAO_RT="$1" "$PY" -c '
import json, os, sys, urllib.error, urllib.parse, urllib.request
form = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": os.environ["SAO_RT"],
                               "client_id": sys.argv[2]}).encode()
try:
    urllib.request.urlopen(sys.argv[1], data=form, timeout=10)
    print("ok")
except urllib.error.HTTPError as e:
    j = json.load(e)
    print(j.get("error"), j.get("error_codes"))' "$BED_IDP_URL/$TENANT/oauth2/v2.0/token" "$PUBLIC_ID"
}

echo "== forget"
seed_cache work alice@example.com
run forget work
if [ "$RC" = 0 ] && [ ! -e "$STATE/work.json" ] && [ -z "$OUT" ] &&
	[ "$ERR" = "sasl-oauth: deleted the tokens of account 'work' ('$STATE/work.json')" ]; then
	pass "forget: exit 0, the cache is removed, one line says so"
else
	fail "forget: exit $RC, cache left: $([ -e "$STATE/work.json" ] && echo yes || echo no), stderr: $ERR"
fi
run forget work
if [ "$RC" = 0 ] && [ "$ERR" = "sasl-oauth: account 'work' has no stored tokens ('$STATE/work.json'); nothing to delete" ]; then
	pass "forget with nothing cached: exit 0, says there was nothing to delete"
else
	fail "forget with nothing cached: exit $RC (want 0): $ERR"
fi

# A cache others can read is not read, so not deleted either.
seed_cache work alice@example.com
chmod 644 "$STATE/work.json"
run forget work
if [ "$RC" = 4 ] && [ -e "$STATE/work.json" ] && printf '%s\n' "$ERR" | grep -qF "chmod 600"; then
	pass "forget of a cache readable by others: exit 4, the file stays, the fix is named"
else
	fail "forget of a 0644 cache: exit $RC (want 4), file kept: $([ -e "$STATE/work.json" ] && echo yes || echo no): $ERR"
fi
rm -f "$STATE/work.json"

echo "== forget --revoke, Microsoft (no revocation endpoint)"
seed_cache work alice@example.com
rt=$(cache_field work refresh_token)
r0=$(stat_of "s['endpoints']['revoke']")
run forget --revoke work
if [ "$RC" = 4 ] && [ ! -e "$STATE/work.json" ] &&
	printf '%s\n' "$ERR" | grep -qF "revoking the refresh token of account 'work': the provider has no revocation endpoint (Microsoft Entra ID has none)" &&
	printf '%s\n' "$ERR" | grep -qF "Revoke sessions in the admin center"; then
	pass "forget --revoke (microsoft): cache removed, exit 4, says Entra ID has no revocation endpoint and what to do"
else
	fail "forget --revoke (microsoft): exit $RC, cache left: $([ -e "$STATE/work.json" ] && echo yes || echo no), stderr: $ERR"
fi
if [ "$(stat_of "s['endpoints']['revoke']")" = "$r0" ] && [ "$(refresh_works "$rt")" = ok ]; then
	pass "forget --revoke (microsoft) sent no revocation; the refresh token still works at the provider"
else
	fail "forget --revoke (microsoft): revocation requests $r0 -> $(stat_of "s['endpoints']['revoke']"), refresh token: $(refresh_works "$rt")"
fi

echo "== forget --revoke, generic provider with revoke_endpoint"
seed_cache gen bob@example.com
rt=$(cache_field gen refresh_token)
run forget gen
if [ "$RC" = 0 ] && [ ! -e "$STATE/gen.json" ] && [ "$(stat_of "s['endpoints']['revoke']")" = "$r0" ] &&
	[ "$(refresh_works "$rt")" = ok ]; then
	pass "forget without --revoke (generic): cache removed, no revocation sent, the refresh token still works"
else
	fail "forget (generic): exit $RC, revocation requests $r0 -> $(stat_of "s['endpoints']['revoke']"): $ERR"
fi
seed_cache gen bob@example.com
rt=$(cache_field gen refresh_token)
v0=$(stat_of "s['revoked']")
run forget --revoke gen
if [ "$RC" = 0 ] && [ ! -e "$STATE/gen.json" ] &&
	[ "$ERR" = "sasl-oauth: deleted the tokens of account 'gen' ('$STATE/gen.json')" ] &&
	[ "$(stat_of "s['revoked']")" = $((v0 + 1)) ]; then
	pass "forget --revoke (generic): exit 0, cache removed, the provider revoked one token"
else
	fail "forget --revoke (generic): exit $RC, cache left: $([ -e "$STATE/gen.json" ] && echo yes || echo no), revoked $v0 -> $(stat_of "s['revoked']"), stderr: $ERR"
fi
if [ "$(refresh_works "$rt")" = "invalid_grant [50173]" ]; then
	pass "the revoked refresh token is refused by the token endpoint (invalid_grant, AADSTS50173)"
else
	fail "the revoked refresh token: $(refresh_works "$rt") (want invalid_grant [50173])"
fi
if ! grep -qF "$rt" "$BED_DIR/idp.log" && ! printf '%s\n' "$ERR" | grep -qF "$rt"; then
	pass "the refresh token appears in no log or message"
else
	fail "the refresh token leaked into a log or message"
fi

echo "== a revocation the provider refuses: the catalog's words"
# Account 'other' names a client the provider does not know (strict).
bed_config '{"strict_clients": true}'
seed_cache other carol@example.com
run forget --revoke other
if [ "$RC" = 1 ] && [ ! -e "$STATE/other.json" ] &&
	printf '%s\n' "$ERR" | grep -qF "revoking the refresh token of account 'other' failed: the identity provider answered invalid_client: the app's id or its credentials were not accepted" &&
	printf '%s\n' "$ERR" | grep -qF "; check client_id, and client_secret_file or certificate" &&
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 2 ]; then
	pass "refused revocation: exit 1, cache removed, invalid_client in the catalog's words and fix"
else
	fail "refused revocation: exit $RC, cache left: $([ -e "$STATE/other.json" ] && echo yes || echo no), stderr: $ERR"
fi
bed_config '{"strict_clients": false, "fault_endpoints": ["revoke"], "fail_status": 503, "fault_count": 1}'
seed_cache gen bob@example.com
run forget --revoke gen
# Not "try again later, the cached tokens are unchanged": they are gone.
if [ "$RC" = 1 ] && [ ! -e "$STATE/gen.json" ] &&
	printf '%s\n' "$ERR" | grep -qxF "sasl-oauth: revoking the refresh token of account 'gen' failed: the provider answered HTTP 503; the local tokens were deleted anyway"; then
	pass "revocation endpoint answering 503: exit 1, cache removed, says the local tokens are deleted"
else
	fail "revocation 503: exit $RC (want 1), cache left: $([ -e "$STATE/gen.json" ] && echo yes || echo no), stderr: $ERR"
fi
finish
