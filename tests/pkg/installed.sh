#!/bin/bash
# SPDX-License-Identifier: MIT
# The installed packages, from their installed paths only (no build tree):
# libsasl2 finds the plugin in its default directory, which offers nothing
# until a configuration exists and then XOAUTH2 and OAUTHBEARER
# (saslpluginviewer -c); sasl-oauth is on PATH with its man pages; mbsync
# logs in to a private Dovecot through the installed plugin, and an expired
# token is refreshed by the installed /usr/bin/sasl-oauth that the plugin
# runs. Used by debian/tests (autopkgtest) and tests/pkg/test-deb.sh; run
# as root with the packages installed.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/mbsync.sh"
# Debian calls Cyrus SASL's plugin lister saslpluginviewer, Fedora pluginviewer.
viewer=$(command -v saslpluginviewer || command -v pluginviewer) || skip "saslpluginviewer (sasl2-bin) is not installed"
need mbsync
[ "$(id -u)" = 0 ] || skip "needs root (Dovecot drops privileges)"

plugin=
for d in /usr/lib/*/sasl2 /usr/lib64/sasl2 /usr/lib/sasl2; do
	[ -e "$d/libsasl-oauth.so" ] && plugin="$d/libsasl-oauth.so"
done
[ -n "$plugin" ] && pass "plugin installed as $plugin" || { echo "FAIL: libsasl-oauth.so is not in a plugin directory"; exit 1; }
cli=$(command -v sasl-oauth) && pass "sasl-oauth on PATH: $cli" || fail "sasl-oauth is not on PATH"
"$cli" --version | grep -q '^sasl-oauth ' && pass "$("$cli" --version)" || fail "sasl-oauth --version"
for page in sasl-oauth.1 sasl-oauth.conf.5 sasl-oauth.7; do
	name=${page%.*} sect=${page##*.}
	if command -v man >/dev/null; then
		man -w "$sect" "$name" >/dev/null 2>&1 && pass "man $sect $name" || fail "man $sect $name is not installed"
	fi
done

# Nothing of ours reaches libsasl2 from the environment: its default directory only.
start_bed
unset SASL_PATH SASL_OAUTH_CLI

# ours LISTING: the mechanisms our plugin registered in saslpluginviewer's output.
ours() { awk '/^Plugin "/ { p = ($2 == "\"sasl-oauth\"") } p && /SASL mechanism:/ { sub(",", "", $3); print $3 }' | sort | tr '\n' ' '; }

if [ -e /etc/sasl-oauth/sasl-oauth.conf ]; then
	skip_case "unconfigured" "/etc/sasl-oauth/sasl-oauth.conf exists"
else
	mechs=$("$viewer" -c 2>&1 | ours)
	[ -z "$mechs" ] && pass "unconfigured: the plugin offers nothing" || fail "unconfigured, the plugin offers: $mechs"
fi
write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
mechs=$("$viewer" -c 2>&1 | ours)
[ "$mechs" = "OAUTHBEARER XOAUTH2 " ] && pass "configured: saslpluginviewer -c lists $mechs" || fail "configured, the plugin offers: '$mechs'"

bed_add_user alice@example.com
for i in 1 2; do
	printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: m%s\r\n\r\nbody\r\n' "$i" > "$BED_DIR/m$i.eml"
	bed_deliver alice@example.com "$BED_DIR/m$i.eml"
done
seed_cache work alice@example.com
# OAUTHBEARER is ours alone; XOAUTH2 without a password can only be ours too
# (another XOAUTH2 plugin would ask for the token as the password).
for mech in OAUTHBEARER XOAUTH2; do
	rm -rf "$BED_DIR/maildir"
	write_mbsyncrc alice@example.com "$mech"
	run_mbsync
	if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ]; then
		pass "mbsync $mech through the installed plugin: 2 messages"
	else
		fail "mbsync $mech (exit $MBSYNC_RC, $(local_count) messages)"
	fi
done

# Expired and revoked: only a refreshed token logs in, and the plugin gets
# it by running the sasl-oauth it was built to run.
old_refresh=$(cache_field work refresh_token)
set_expires work -120
bed_revoke "$(access_token work)"
rm -rf "$BED_DIR/maildir"
write_mbsyncrc alice@example.com XOAUTH2
run_mbsync
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ "$(cache_field work refresh_token)" != "$old_refresh" ]; then
	pass "an expired token was refreshed through the installed sasl-oauth"
else
	fail "refresh through the installed sasl-oauth (exit $MBSYNC_RC)"
	bed_logs
fi
finish
