#!/bin/bash
# SPDX-License-Identifier: MIT
# The live demo: installs dependencies, builds, starts a real Dovecot and the
# local identity provider, and lets mbsync fetch mail with XOAUTH2 through
# the built plugin, with a token that `sasl-oauth login` obtained from the
# identity provider (device code flow); then the token expires and the plugin
# refreshes it through `sasl-oauth token`. Nothing is
# installed system-wide besides Debian packages; everything else lives in a
# temporary directory that is removed at the end.
set -eu
cd "$(dirname "$0")/.."
tests/tools/deps.sh
tests/tools/build.sh >/dev/null
echo "== built plugin/.libs/libsasl-oauth.so"
top_srcdir=$PWD top_builddir=$PWD
. tests/integration/lib.sh
. tests/integration/mbsync.sh
set +u
start_bed
echo "== Dovecot (IMAPS on localhost:$BED_IMAPS_PORT, oauth2 passdb) and the identity provider ($BED_IDP_URL) are up"

bed_add_user alice@example.com
for i in 1 2; do
	printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: hello %s\r\n\r\nThis came over XOAUTH2.\r\n' "$i" \
		> "$BED_DIR/m$i.eml"
	bed_deliver alice@example.com "$BED_DIR/m$i.eml"
done
echo "== delivered 2 messages to alice@example.com"

write_config "[account demo]
users     = alice@example.com
authority = $BED_IDP_URL
tenant    = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000
flow      = device"
echo "== configuration ($XDG_CONFIG_HOME/sasl-oauth/config; authority points at the local identity provider):"
sed 's/^/     /' "$XDG_CONFIG_HOME/sasl-oauth/config"
export SASL_OAUTH_CLI=$PWD/cli/sasl-oauth

# The identity provider approves the device code after one poll, standing in
# for Alice entering the code in her browser.
bed_config '{"device_interval": 1, "device_approve_after": 1}'
echo "== sasl-oauth login demo (device code flow):"
timeout 60 cli/sasl-oauth login --browser "" demo 2>&1 | sed 's/^/     /'
echo "== token cache $XDG_STATE_HOME/sasl-oauth/demo.json (mode $(stat -c %a "$XDG_STATE_HOME/sasl-oauth/demo.json")), expires $(date -u -d @"$(cache_field demo expires_at)")"

write_mbsyncrc alice@example.com XOAUTH2
echo "== mbsync configuration: User alice@example.com, AuthMechs XOAUTH2, no password anywhere"
echo "== running mbsync with SASL_PATH=$SASL_PATH"
run_mbsync
count=$(local_count)
echo "== Dovecot says:"
grep -h "Login: user=<alice@example.com>" "$BED_DIR"/*.log 2>/dev/null | tail -1 | sed 's/^/     /' || true
if [ "$MBSYNC_RC" != 0 ] || [ "$count" != 2 ]; then
	echo "== the demo failed (mbsync exit $MBSYNC_RC, $count messages)"
	exit 1
fi
echo "== success: mbsync logged in with XOAUTH2 and fetched $count messages into $MAILDIR/INBOX"

# An hour later: the access token has expired. The plugin runs
# "sasl-oauth token demo", which refreshes it once and rotates the refresh token.
set_expires demo -1
echo "== the cached access token has expired; running mbsync again"
rm -rf "$MAILDIR"
write_mbsyncrc alice@example.com XOAUTH2
run_mbsync
refreshes=$(bed_stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["grants"].get("refresh_token", 0))')
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ "$refreshes" = 1 ]; then
	echo "== success: the plugin refreshed the token ($refreshes request to the identity provider) and mbsync logged in again"
else
	echo "== the refresh step failed (mbsync exit $MBSYNC_RC, $refreshes refresh requests)"
	exit 1
fi
