#!/bin/bash
# SPDX-License-Identifier: MIT
# docs/clients/curl.md, run as printed (servers swapped for the bed's):
# curl --oauth2-bearer "$(sasl-oauth token work)" lists, searches and
# fetches over IMAPS and sends over submission, against a Dovecot that
# offers XOAUTH2 and not OAUTHBEARER, as Exchange Online does. An expired
# cached token is refreshed with one request; without a user curl fails with
# (67) Select failed; a revoked refresh token shows the cause and the fix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need curl
export BED_OAUTH_MECHS=xoauth2
clients_setup
export CURL_CA_BUNDLE="$BED_CA"
cd "$HOME" || exit 1

# run_block NAME: the page's command in a shell, in $HOME; sets OUT
# (stdout), ERR (stderr) and RC.
run_block() {
	local cmd
	cmd=$(page_to_bed curl.md "$1") || exit 1
	OUT=$(bash -c "$cmd" 2> "$BED_DIR/curl.err")
	RC=$?
	ERR=$(cat "$BED_DIR/curl.err")
}

SUBJECT="sasl-oauth curl check $$-$RANDOM"
deliver "$SUBJECT"

# 1. An expired token: the first command refreshes it, once.
expire_token
g0=$(refresh_grants) l0=$(logins imap XOAUTH2)
run_block curl-imap-list
g1=$(refresh_grants)
if [ "$RC" = 0 ] && grep -q 'LIST .* INBOX' <<< "$OUT"; then
	pass "curl-imap-list lists the folders"
else
	fail "curl-imap-list (exit $RC)"; show "$OUT$ERR"
fi
if [ $((g1 - g0)) = 1 ]; then
	pass "the expired token was refreshed with exactly one request to the identity provider"
else
	fail "$((g1 - g0)) refresh requests for an expired token, want 1"
fi
run_block curl-imap-search
if [ "$RC" = 0 ] && grep -Eq '^\* SEARCH [0-9]' <<< "$OUT"; then
	pass "curl-imap-search finds the unread message ($(tr -d '\r' <<< "$OUT"))"
else
	fail "curl-imap-search (exit $RC)"; show "$OUT$ERR"
fi
run_block curl-imap-fetch
if [ "$RC" = 0 ] && grep -qF "Subject: $SUBJECT" <<< "$OUT"; then
	pass "curl-imap-fetch (user in the URL) fetches the message"
else
	fail "curl-imap-fetch (exit $RC)"; show "$OUT$ERR"
fi
l1=$(logins imap XOAUTH2)
if [ $((l1 - l0)) = 3 ] && [ "$(refresh_grants)" = "$g1" ]; then
	pass "three XOAUTH2 logins in Dovecot's log, no further refresh"
else
	fail "$((l1 - l0)) XOAUTH2 IMAP logins, want 3; refresh grants $g1 -> $(refresh_grants)"
fi

# 2. SMTP through submission (STARTTLS) to the sink.
MSG_SUBJECT="sasl-oauth curl send $$-$RANDOM"
printf 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: %s\r\n\r\nHello\r\n' "$MSG_SUBJECT" > message.eml
s0=$(logins submission XOAUTH2)
run_block curl-smtp
if [ "$RC" = 0 ] && sink_has "$MSG_SUBJECT" && [ $(($(logins submission XOAUTH2) - s0)) = 1 ]; then
	pass "curl-smtp sent the message (XOAUTH2 at submission, the message at the sink)"
else
	fail "curl-smtp (exit $RC)"; show "$OUT$ERR"
fi

# 3. Without a user curl never logs in.
run_block curl-nouser
if [ "$RC" = 67 ] && grep -qF '(67) Select failed' <<< "$ERR"; then
	pass "without a user: curl: (67) Select failed, as the page says"
else
	fail "curl-nouser: exit $RC, want 67 with 'Select failed'"; show "$ERR"
fi

# 4. The refresh token is revoked: sasl-oauth's cause and fix reach the
#    terminal, curl fails; the script stops before curl.
revoke_grant
g0=$(refresh_grants)
run_block curl-imap-fetch
echo "    what the user sees (curl-imap-fetch, refresh token revoked):"
show "$(tr '\r' '\n' <<< "$ERR" | grep -v '^ *[0-9%]\|Dload')"
if [ "$RC" != 0 ] && grep -q 'AADSTS50173' <<< "$ERR" && grep -qF 'run: sasl-oauth login work' <<< "$ERR" &&
	grep -qF 'curl: (67) Login denied' <<< "$ERR"; then
	pass "revoked refresh token: the terminal shows AADSTS50173, 'sasl-oauth login work' and curl's (67) Login denied"
else
	fail "revoked refresh token: curl-imap-fetch exit $RC"
fi
l0=$(logins imap XOAUTH2)
run_block curl-script
if [ "$RC" != 0 ] && grep -q 'AADSTS50173' <<< "$ERR" && ! grep -q 'curl:' <<< "$ERR" &&
	[ "$(logins imap XOAUTH2)" = "$l0" ]; then
	pass "curl-script stops before curl runs and shows the cause"
else
	fail "curl-script: exit $RC"; show "$ERR"
fi
if [ $(($(refresh_grants) - g0)) = 2 ]; then
	pass "one refresh attempt per command, no retries of invalid_grant"
else
	fail "$(($(refresh_grants) - g0)) refresh attempts for two commands, want 2"
fi
finish
