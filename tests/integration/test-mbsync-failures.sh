#!/bin/bash
# SPDX-License-Identifier: MIT
# What mbsync users see when things are wrong: a token the server refuses
# (decoded reason, no hang, not reused next time), a broken configuration
# (the precise FILE:LINE error), and the plugin installed but not configured
# (AuthMechs * still logs in with PLAIN, nothing changes).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mbsync.sh"
need mbsync
start_bed
bed_add_user alice@example.com

# 1. Installed, not configured: PLAIN wins as it did before the plugin.
if [ -e /etc/sasl-oauth/sasl-oauth.conf ]; then
	skip_case "unconfigured plugin" "/etc/sasl-oauth/sasl-oauth.conf exists, so the plugin is configured"
else
	write_mbsyncrc plainuser@example.com '*' "Pass $BED_PLAIN_PASSWORD"
	run_mbsync
	if [ "$MBSYNC_RC" = 0 ] && echo "$MBSYNC_OUT" | grep -q "Authenticating with SASL mechanism PLAIN"; then
		pass "unconfigured plugin: AuthMechs * logs in with PLAIN"
	else
		fail "unconfigured plugin changed mbsync's login (exit $MBSYNC_RC)"
	fi
	# The viewer must run and list PLAIN (so its output is worth reading)
	# and must not list ours.
	if ! command -v saslpluginviewer >/dev/null 2>&1; then
		skip_case "unconfigured plugin registers no mechanism" "saslpluginviewer is not installed (sasl2-bin)"
	else
		viewer=$(SASL_PATH="$SASL_PATH" saslpluginviewer -c 2>&1)
		viewer_rc=$?
		if [ "$viewer_rc" != 0 ] || ! echo "$viewer" | grep -q '\bPLAIN\b'; then
			fail "saslpluginviewer did not run or list PLAIN (exit $viewer_rc): $viewer"
		elif echo "$viewer" | grep -q 'XOAUTH2\|OAUTHBEARER'; then
			fail "unconfigured plugin registered a mechanism: $viewer"
		else
			pass "unconfigured plugin registers no mechanism (saslpluginviewer lists PLAIN only)"
		fi
	fi
fi

# 2. A misconfiguration is reported at login with FILE:LINE.
write_config "[account work]
users = alice@example.com
refresh_margin = soon"
seed_cache work alice@example.com
write_mbsyncrc alice@example.com XOAUTH2
run_mbsync
if [ "$MBSYNC_RC" != 0 ] && echo "$MBSYNC_OUT" | grep -q "sasl-oauth/config:3:.*refresh_margin"; then
	pass "broken configuration reported as FILE:LINE at login"
else
	fail "broken configuration not reported precisely"
fi

# 3. A revoked token: Dovecot sends its error challenge; the plugin answers
#    it, mbsync stops at once, and the next run names the rejection before
#    anything is sent.
write_config "[account work]
users = alice@example.com"
bed_revoke "$(access_token work)"
rm -rf "$BED_DIR/maildir"
write_mbsyncrc alice@example.com XOAUTH2
run_mbsync
if [ "$MBSYNC_RC" != 0 ] && [ "$MBSYNC_RC" != 124 ] && echo "$MBSYNC_OUT" | grep -q "NO \[AUTHENTICATIONFAILED\]"; then
	pass "revoked token: challenge answered, mbsync ended after ${MBSYNC_MS} ms"
else
	fail "revoked token: mbsync exit $MBSYNC_RC"
fi
if [ "$(cache_field work rejected_at)" -gt 0 ] && [ -n "$(cache_field work refresh_token)" ]; then
	pass "the cached token is marked rejected and the refresh token kept"
else
	fail "cache not marked rejected"
fi
run_mbsync
if [ "$MBSYNC_RC" != 0 ] &&
	echo "$MBSYNC_OUT" | grep -q "was rejected by the server at .*: the access token is invalid, expired or revoked (status 401" &&
	! echo "$MBSYNC_OUT" | grep -q "^> .*AUTHENTICATE"; then
	pass "the rejected token is not sent again; mbsync prints the server's decoded reason"
else
	fail "the rejected token was reused"
fi

# 4. A token command that hangs is killed at its time limit and named.
write_config "[account work]
users = alice@example.com
token_command = sleep 60
command_timeout = 2"
run_mbsync
if [ "$MBSYNC_RC" != 0 ] && echo "$MBSYNC_OUT" | grep -q "'sleep 60'.*timed out after 2 s"; then
	pass "hanging token command: killed after its limit (${MBSYNC_MS} ms), named in the error"
else
	fail "hanging token command not reported"
fi
finish
