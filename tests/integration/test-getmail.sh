#!/bin/bash
# SPDX-License-Identifier: MIT
# docs/clients/getmail.md, run as printed (servers swapped for the bed's):
# getmail6 with use_xoauth2 = True and password_command = ("sasl-oauth",
# "token", "work") fetches over IMAPS into ~/Maildir. An expired cached token
# is refreshed with one request; a second run fetches nothing new; with a
# revoked refresh token getmail shows only the exit status (it keeps the
# command's error output to itself) and "sasl-oauth refresh work", which the
# page names, shows the cause and the fix. getmail refuses to deliver as
# root, so everything runs as the bed's unprivileged mail user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need getmail setpriv
clients_setup
U=${BED_MAIL_USER:-saotest}
cd "$HOME" || exit 1

# The user owns the home, the configuration and the cache: sasl-oauth
# refuses a cache owned by anyone else. Root's edits (set_expires) need
# the owner given back.
own_home() { chown -R "$U:$U" "$HOME"; }
as_user() { setpriv --reuid="$U" --regid="$U" --clear-groups -- "$@"; }
# run_block NAME: the page's command as the user, in $HOME; sets OUT, RC.
run_block() {
	local cmd
	cmd=$(page_to_bed getmail.md "$1") || exit 1
	own_home
	OUT=$(as_user bash -c "$cmd" 2>&1)
	RC=$?
}

cp "$BED_CA" "$HOME/.bed-ca.crt"
run_block getmail-setup
[ "$RC" = 0 ] || { fail "getmail-setup: exit $RC"; show "$OUT"; finish; }
RCFILE="$XDG_CONFIG_HOME/getmail/getmailrc"
page_to_bed getmail.md getmailrc > "$RCFILE"
grep -q '^ca_certs = ' "$RCFILE" || { echo "FAIL: the page's getmailrc has no 'ca_certs =' line"; exit 1; }

# 0. With the page's ca_certs (the system's CAs) getmail must refuse the
#    bed's certificate: without ca_certs getmail6 checks nothing.
SUBJECT="sasl-oauth getmail check $$-$RANDOM"
deliver "$SUBJECT"
l0=$(logins imap XOAUTH2)
run_block getmail-run
if [ "$RC" != 0 ] && grep -qi 'certificate verify failed' <<< "$OUT" && [ "$(logins imap XOAUTH2)" = "$l0" ] &&
	[ -z "$(find "$HOME/Maildir/new" -type f)" ]; then
	pass "with the page's ca_certs, getmail refuses a certificate from a CA the system does not trust"
else
	fail "getmail did not refuse the bed's certificate with the system's CAs (exit $RC)"; show "$OUT"
fi
# From here on ca_certs names the bed's CA instead.
sed -i "s#^ca_certs = .*#ca_certs = $HOME/.bed-ca.crt#" "$RCFILE"

# 1. A new message and an expired token: one refresh, the message arrives.
expire_token
g0=$(refresh_grants) l0=$(logins imap XOAUTH2)
run_block getmail-run
g1=$(refresh_grants) l1=$(logins imap XOAUTH2)
if [ "$RC" = 0 ] && grep -q '1 messages .* retrieved' <<< "$OUT" &&
	grep -lqsF "Subject: $SUBJECT" "$HOME"/Maildir/new/*; then
	pass "getmail fetched the message into ~/Maildir/new"
else
	fail "getmail exit $RC"; show "$OUT"; bed_logs | tail -20
fi
if [ $((l1 - l0)) = 1 ] && [ $((g1 - g0)) = 1 ]; then
	pass "one XOAUTH2 login at IMAPS, and exactly one refresh request for the expired token"
else
	fail "$((l1 - l0)) XOAUTH2 IMAP logins (want 1), $((g1 - g0)) refresh requests (want 1)"
fi
run_block getmail-run
if [ "$RC" = 0 ] && grep -q '0 messages .* retrieved' <<< "$OUT" && [ "$(refresh_grants)" = "$g1" ] &&
	[ "$(find "$HOME/Maildir/new" -type f | wc -l)" = 1 ]; then
	pass "a second run fetches nothing new and needs no refresh"
else
	fail "second run: exit $RC, refresh grants $g1 -> $(refresh_grants)"; show "$OUT"
fi

# 2. The refresh token is revoked.
revoke_grant
g0=$(refresh_grants)
run_block getmail-run
echo "    what getmail shows (refresh token revoked, exit status $RC):"
show "$OUT"
if [ "$RC" != 0 ] && grep -qF 'External program error (sasl-oauth exited with 3)' <<< "$OUT"; then
	pass "revoked refresh token: getmail reports 'sasl-oauth exited with 3', as the page says"
else
	fail "revoked refresh token: getmail exit $RC without 'sasl-oauth exited with 3'"
fi
if grep -q 'AADSTS' <<< "$OUT"; then
	pass "getmail now passes the command's error output on; the page can say so"
fi
run_block getmail-diagnose
echo "    what the page's check shows (exit status $RC):"
show "$OUT"
if [ "$RC" = 3 ] && grep -q 'AADSTS50173' <<< "$OUT" && grep -qF 'run: sasl-oauth login work' <<< "$OUT"; then
	pass "sasl-oauth refresh work shows AADSTS50173 and 'sasl-oauth login work'"
else
	fail "getmail-diagnose: exit $RC without the cause and the fix"
fi
if [ $(($(refresh_grants) - g0)) = 2 ]; then
	pass "one refresh attempt per command, no retries of invalid_grant"
else
	fail "$(($(refresh_grants) - g0)) refresh attempts for two commands, want 2"
fi
finish
