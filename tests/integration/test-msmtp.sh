#!/bin/bash
# SPDX-License-Identifier: MIT
# docs/clients/msmtp.md, run as printed (servers swapped for the bed's):
# msmtp with "auth xoauth2" and passwordeval "sasl-oauth token work" sends
# through Dovecot's submission (STARTTLS) to the sink. An expired cached
# token is refreshed with one request; a revoked refresh token shows the
# cause and the fix in msmtp's own error output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need msmtp
clients_setup
cd "$HOME" || exit 1

SEND=$(page_to_bed msmtp.md msmtp-send) || exit 1
page_to_bed msmtp.md msmtprc > "$HOME/.msmtprc"
chmod 600 "$HOME/.msmtprc"

# send SUBJECT: message.eml with SUBJECT, sent with the page's command.
send() {
	printf 'From: alice@example.com\nTo: bob@example.com\nSubject: %s\n\nHello\n' "$1" > message.eml
	OUT=$(bash -c "$SEND" 2>&1)
	RC=$?
}

# 0. The page's lines as they are check the server's certificate against
#    the system's CAs, which do not know the bed's CA.
SUBJECT="sasl-oauth msmtp check $$-$RANDOM"
s0=$(logins submission XOAUTH2)
send "$SUBJECT unverified"
if [ "$RC" != 0 ] && grep -qi 'certificate' <<< "$OUT" && [ "$(logins submission XOAUTH2)" = "$s0" ] &&
	! sink_has "$SUBJECT unverified"; then
	pass "with the page's lines, msmtp refuses a certificate from a CA the system does not trust"
else
	fail "msmtp did not refuse the bed's certificate with the system's CAs (exit $RC)"; show "$OUT"
fi
# From here on, plus the one line that trusts the bed's CA.
sed -i "s#^tls_starttls on\$#&\ntls_trust_file $BED_CA#" "$HOME/.msmtprc"
grep -q '^tls_trust_file' "$HOME/.msmtprc" || { echo "FAIL: the page's msmtprc has no 'tls_starttls on' line"; exit 1; }

# 1. An expired token: passwordeval refreshes it, once, and the message
#    goes out.
expire_token
g0=$(refresh_grants) s0=$(logins submission XOAUTH2)
send "$SUBJECT"
g1=$(refresh_grants) s1=$(logins submission XOAUTH2)
if [ "$RC" = 0 ] && sink_has "$SUBJECT"; then
	pass "msmtp sent the message; it is at the sink behind submission"
else
	fail "msmtp exit $RC"; show "$OUT"; bed_logs | tail -20
fi
if [ $((s1 - s0)) = 1 ] && [ $((g1 - g0)) = 1 ]; then
	pass "one XOAUTH2 login at submission, and exactly one refresh request for the expired token"
else
	fail "$((s1 - s0)) XOAUTH2 submission logins (want 1), $((g1 - g0)) refresh requests (want 1)"
fi
send "$SUBJECT again"
if [ "$RC" = 0 ] && [ "$(refresh_grants)" = "$g1" ]; then
	pass "a second message uses the cached token (no refresh)"
else
	fail "second message: exit $RC, refresh grants $g1 -> $(refresh_grants)"
fi

# 2. The refresh token is revoked.
revoke_grant
g0=$(refresh_grants)
send "$SUBJECT revoked"
echo "    what the user sees (refresh token revoked, exit status $RC):"
show "$OUT"
if [ "$RC" = 78 ] && grep -q 'AADSTS50173' <<< "$OUT" && grep -qF 'run: sasl-oauth login work' <<< "$OUT" &&
	grep -qF "msmtp: cannot read output of 'sasl-oauth token work'" <<< "$OUT"; then
	pass "revoked refresh token: msmtp shows AADSTS50173 and 'sasl-oauth login work', then its own line; exit 78"
else
	fail "revoked refresh token: msmtp exit $RC does not show the cause and the fix"
fi
if [ $(($(refresh_grants) - g0)) = 1 ] && ! sink_has "$SUBJECT revoked"; then
	pass "one refresh attempt, nothing sent"
else
	fail "$(($(refresh_grants) - g0)) refresh attempts (want 1), or the message was sent"
fi
finish
