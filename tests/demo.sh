#!/bin/bash
# SPDX-License-Identifier: MIT
# The live demo: installs dependencies, builds, starts a real Dovecot and the
# local identity provider, and lets mbsync fetch mail with XOAUTH2 through
# the built plugin, with a token from the identity provider. Nothing is
# installed system-wide besides Debian packages; everything else lives in a
# temporary directory that is removed at the end.
set -eu
cd "$(dirname "$0")/.."
tests/deps.sh
tests/build.sh >/dev/null
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
users = alice@example.com"
echo "== configuration ($XDG_CONFIG_HOME/sasl-oauth/config):"
sed 's/^/     /' "$XDG_CONFIG_HOME/sasl-oauth/config"

# The identity provider stands in for Alice signing in; the token pair is
# stored in the cache the plugin reads (mode 0600, directory 0700).
seed_cache demo alice@example.com
echo "== token cache $XDG_STATE_HOME/sasl-oauth/demo.json (mode $(stat -c %a "$XDG_STATE_HOME/sasl-oauth/demo.json")), expires $(date -u -d @"$(cache_field demo expires_at)")"

write_mbsyncrc alice@example.com XOAUTH2
echo "== mbsync configuration: User alice@example.com, AuthMechs XOAUTH2, no password anywhere"
echo "== running mbsync with SASL_PATH=$SASL_PATH"
run_mbsync
count=$(local_count)
echo "== Dovecot says:"
grep -h "Login: user=<alice@example.com>" "$BED_DIR"/*.log 2>/dev/null | tail -1 | sed 's/^/     /' || true
if [ "$MBSYNC_RC" = 0 ] && [ "$count" = 2 ]; then
	echo "== success: mbsync logged in with XOAUTH2 and fetched $count messages into $MAILDIR/INBOX"
else
	echo "== the demo failed (mbsync exit $MBSYNC_RC, $count messages)"
	exit 1
fi
