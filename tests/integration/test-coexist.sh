#!/bin/bash
# SPDX-License-Identifier: MIT
# The configured plugin next to other mechanisms, through mbsync and the
# callback client (sasl-client):
#  - next to Debian's kdexoauth2 (another XOAUTH2 plugin): "sasl-oauth
#    config" names the plugin libsasl2 picks for each load order; where it
#    picks ours, configured users log in with our token and a user no
#    account serves still logs in with the token given as the password (as
#    kdexoauth2 did); where it picks kdexoauth2, config warns with the fix,
#    the login is indeed not ours, and "sasl-oauth test" says so;
#  - next to PLAIN: with our plugin loaded first, mbsync's AuthMechs * for a
#    password user fails at once with the cause and the fix, and
#    AuthMechs PLAIN logs in.
# The system's plugins are linked into private directories so that the
# load order is the test's choice, not the file system's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mbsync.sh"
need mbsync
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"
[ -x "$SASL_CLIENT" ] || skip "sasl-client was not built"
start_bed
OURS="$BED_DIR/plugins-ours" KDE="$BED_DIR/plugins-kde" SYS="$BED_DIR/plugins-plain"
mkdir -p "$OURS" "$KDE" "$SYS"
ln -s "$PLUGIN_DIR/libsasl-oauth.so" "$OURS/"
for p in libplain.so liblogin.so; do ln -s "$SYSTEM_PLUGIN_DIR/$p" "$SYS/"; done
HAVE_KDE=0
if [ -e "$SYSTEM_PLUGIN_DIR/libkdexoauth2.so" ]; then
	HAVE_KDE=1
	ln -s "$SYSTEM_PLUGIN_DIR/libkdexoauth2.so" "$KDE/"
fi

bed_add_user alice@example.com
bed_add_user bob@example.com
printf 'From: x@example.com\r\nSubject: hello\r\n\r\nbody\r\n' > "$BED_DIR/m.eml"
bed_deliver alice@example.com "$BED_DIR/m.eml"
bed_deliver bob@example.com "$BED_DIR/m.eml"
write_config "[account work]
users = alice@example.com"
seed_cache work alice@example.com
TOKEN=$(access_token work)
BOB_TOKEN=$(bed_issue bob@example.com | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# client USER [ARGS...]: sasl-client over IMAPS with the plugin path $PATHS.
client() {
	local user=$1
	shift
	TRACE="$BED_DIR/trace"
	rm -f "$TRACE"
	OUT=$(timeout 30 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" \
		--mech XOAUTH2 --user "$user" --plugin-path "$PATHS" --trace "$TRACE" "$@" 2>&1)
	RC=$?
}
first_sent() { sed -n '1s/^C: //p' "$TRACE" 2>/dev/null; }

if [ "$HAVE_KDE" = 1 ]; then
	for order in ours-first kde-first; do
		if [ "$order" = ours-first ]; then PATHS="$OURS:$KDE:$SYS"; else PATHS="$KDE:$OURS:$SYS"; fi
		export SASL_PATH="$PATHS"
		CONF_OUT=$("$CLI" config 2>&1)
		CONF_RC=$?
		picked=$(printf '%s\n' "$CONF_OUT" | sed -n 's/^XOAUTH2: offered by .*; libsasl2 picks \(.*\)$/\1/p')
		echo "--- $order: sasl-oauth config says libsasl2 picks '$picked' for XOAUTH2"
		printf '%s\n' "$CONF_OUT" | grep -E '^(XOAUTH2|OAUTHBEARER|warning):' | sed 's/^/    /'
		if [ "$picked" = sasl-oauth ]; then
			[ "$CONF_RC" = 0 ] && pass "$order: config exits 0 and names sasl-oauth" ||
				fail "$order: config exit $CONF_RC"
			client alice@example.com
			if [ "$RC" = 0 ] && [ "$(first_sent)" = "user=alice@example.com\\x01auth=Bearer $TOKEN\\x01\\x01" ]; then
				pass "$order: the callback client logs alice in with our cached token next to kdexoauth2"
			else
				fail "$order: callback client for alice: exit $RC: $OUT"
			fi
			TEST_OUT=$(timeout 30 "$CLI" test --ca-file "$BED_CA" "imaps://alice@example.com@localhost:$BED_IMAPS_PORT" 2>&1)
			if [ $? = 0 ] && printf '%s\n' "$TEST_OUT" | grep -qF "with XOAUTH2 through libsasl2's sasl-oauth plugin, account 'work'"; then
				pass "$order: sasl-oauth test logs alice in through libsasl2's pick, sasl-oauth"
			else
				fail "$order: sasl-oauth test: $TEST_OUT"
			fi
			client bob@example.com --password "$BOB_TOKEN"
			if [ "$RC" = 0 ] && [ "$(first_sent)" = "user=bob@example.com\\x01auth=Bearer $BOB_TOKEN\\x01\\x01" ]; then
				pass "$order: a user no account serves still logs in with the token given as the password"
			else
				fail "$order: unconfigured bob: exit $RC: $OUT"
			fi
			rm -rf "$BED_DIR/maildir"
			write_mbsyncrc alice@example.com XOAUTH2
			run_mbsync
			if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 1 ]; then
				pass "$order: mbsync logs alice in with our token next to kdexoauth2"
			else
				fail "$order: mbsync alice (exit $MBSYNC_RC)"
			fi
			rm -rf "$BED_DIR/maildir"
			write_mbsyncrc bob@example.com XOAUTH2 "Pass $BOB_TOKEN"
			run_mbsync
			if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 1 ]; then
				pass "$order: mbsync for a user no account serves passes the token given as Pass, as before"
			else
				fail "$order: mbsync bob (exit $MBSYNC_RC)"
			fi
		elif [ "$picked" = kdexoauth2 ]; then
			if [ "$CONF_RC" = 1 ] && printf '%s\n' "$CONF_OUT" | grep -qF \
				"warning: libsasl2 picks kdexoauth2's XOAUTH2 ahead of sasl-oauth's (same rank; the one loaded first wins, SASL_PATH's order): configured users such as alice@example.com get kdexoauth2"; then
				pass "$order: config warns that kdexoauth2 is picked, with the fix"
			else
				fail "$order: config exit $CONF_RC: $CONF_OUT"
			fi
			TEST_OUT=$(timeout 30 "$CLI" test --ca-file "$BED_CA" "imaps://alice@example.com@localhost:$BED_IMAPS_PORT" 2>&1)
			TEST_RC=$?
			if [ "$TEST_RC" != 0 ] && printf '%s\n' "$TEST_OUT" | grep -qF \
				"libsasl2 picked the kdexoauth2 plugin for XOAUTH2, not sasl-oauth's, and the mail programs get it too; fix: remove the package that installed it"; then
				pass "$order: sasl-oauth test fails as the programs would, and names kdexoauth2 as the plugin libsasl2 picked"
				printf '%s\n' "$TEST_OUT" | sed 's/^/    test: /'
			else
				fail "$order: sasl-oauth test exit $TEST_RC: $TEST_OUT"
			fi
			# What config says is what happens: the login is not ours.
			client alice@example.com --password unused
			if [ "$(first_sent)" != "user=alice@example.com\\x01auth=Bearer $TOKEN\\x01\\x01" ]; then
				pass "$order: as config says, libsasl2 did not use sasl-oauth (exit $RC)"
			else
				fail "$order: config said kdexoauth2 but our token was sent"
			fi
		else
			fail "$order: config names no XOAUTH2 plugin: $CONF_OUT"
		fi
	done
else
	echo "note: libsasl2-modules-kdexoauth2 is not installed; the coexistence part is skipped"
fi

echo "--- next to PLAIN (our plugin loaded first)"
export SASL_PATH="$OURS:$SYS"
rm -rf "$BED_DIR/maildir"
write_mbsyncrc plainuser@example.com '*' "Pass $BED_PLAIN_PASSWORD"
run_mbsync
if [ "$MBSYNC_RC" != 0 ] && echo "$MBSYNC_OUT" | grep -q "Authenticating with SASL mechanism XOAUTH2" &&
	echo "$MBSYNC_OUT" | grep -qF "no account in the sasl-oauth configuration serves user 'plainuser@example.com', and the password the application gave cannot be a bearer token: it is shorter than any bearer token" &&
	echo "$MBSYNC_OUT" | grep -qF "AuthMechs PLAIN" && ! echo "$MBSYNC_OUT" | grep -qF "$BED_PLAIN_PASSWORD" &&
	! bed_logs 2>/dev/null | grep -q 'plainuser.*xoauth2'; then
	pass "AuthMechs * with a password: refused at once with the cause and the fix, nothing sent"
	echo "$MBSYNC_OUT" | grep -F 'sasl-oauth' | head -1 | sed 's/^/    mbsync says: /'
else
	fail "AuthMechs * with a password (exit $MBSYNC_RC)"
fi
write_mbsyncrc plainuser@example.com PLAIN "Pass $BED_PLAIN_PASSWORD"
run_mbsync
if [ "$MBSYNC_RC" = 0 ] && echo "$MBSYNC_OUT" | grep -q "Authenticating with SASL mechanism PLAIN"; then
	pass "AuthMechs PLAIN, the fix the message names, logs in with the password"
else
	fail "AuthMechs PLAIN (exit $MBSYNC_RC)"
fi
finish
