#!/bin/bash
# SPDX-License-Identifier: MIT
# A host that loads plugins as root and then enters a chroot holding none of
# our libraries (Postfix's smtp): the plugin must log in from the cache
# inside the jail, and a cache it cannot parse for want of json-c must never
# be moved aside as corrupt. The client registers callbacks as Postfix does.
. "$(dirname "$0")/lib.sh"
[ -x "$SASL_CLIENT" ] || skip "sasl-client was not built"
[ "$(id -u)" = 0 ] || skip "chroot needs root"
start_bed
bed_add_user relay@example.com

# Only our plugin: the jail test must not depend on what else is installed.
PRIVATE="$BED_DIR/plugins"
mkdir -p "$PRIVATE"
ln -s "$PLUGIN_DIR/libsasl-oauth.so" "$PRIVATE/"

JAIL="$BED_DIR/jail"
mkdir -p "$JAIL/var/lib/sasl-oauth" "$JAIL/etc"
chmod 700 "$JAIL/var/lib/sasl-oauth"
export SASL_OAUTH_CONF="$BED_DIR/sasl-oauth.conf"
printf '[account relay]\nusers = relay@example.com\ncache = /var/lib/sasl-oauth/relay.json\n' > "$SASL_OAUTH_CONF"
chmod 600 "$SASL_OAUTH_CONF"
seed_cache relay relay@example.com
cp -p "$XDG_STATE_HOME/sasl-oauth/relay.json" "$JAIL/var/lib/sasl-oauth/relay.json"
before=$(sha256sum < "$JAIL/var/lib/sasl-oauth/relay.json")

jailed() {
	OUT=$(timeout 30 "$SASL_CLIENT" --proto smtp --port "$BED_SUBMISSION_PORT" --tls starttls --ca "$BED_CA" \
		--mech XOAUTH2 --user relay@example.com --plugin-path "$PRIVATE" --chroot "$JAIL" "$@" 2>&1)
	RC=$?
}

# The jail holds no shared library at all: whatever the plugin needs must be
# loaded before chroot().
if find "$JAIL" -name '*.so*' | grep -q .; then
	fail "the jail holds shared libraries"
fi
jailed --rcpt bob@example.com
if [ "$RC" = 0 ]; then
	pass "login from the cache inside a chroot without libjson-c"
else
	fail "login inside the chroot (exit $RC)"; echo "$OUT" | tail -5
fi
jailed
if [ "$RC" = 0 ]; then pass "a second login in the jail"; else fail "second login (exit $RC)"; echo "$OUT" | tail -3; fi
if ls "$JAIL/var/lib/sasl-oauth/" | grep -q corrupt; then
	fail "a valid cache was moved aside: $(ls "$JAIL/var/lib/sasl-oauth/")"
else
	pass "no cache file was moved aside"
fi
if [ "$(sha256sum < "$JAIL/var/lib/sasl-oauth/relay.json")" = "$before" ]; then
	pass "the cache and its refresh token are untouched"
else
	fail "the cache changed"
fi
finish
