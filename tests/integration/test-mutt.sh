#!/bin/bash
# SPDX-License-Identifier: MIT
# docs/clients/mutt.md, run as printed (servers swapped for the bed's), with
# mutt, or with neomutt when MUTT=neomutt (test-neomutt.sh). Debian links
# both to GNU SASL, so the Cyrus plugin plays no part: their own XOAUTH2
# takes the token from imap_/smtp_/pop_oauth_refresh_command =
# "sasl-oauth token work".
#   1. The full-screen interface reads the INBOX over IMAPS with an expired
#      cached token: one refresh request, an XOAUTH2 login.
#   2. "mutt -s" sends through submission (STARTTLS) to the sink, again
#      with an expired token. neomutt 20220429 puts the token on the AUTH
#      line, which Dovecot refuses; the page's msmtp alternative is sent.
#   3. POP3: mutt reads with XOAUTH2; neomutt refuses xoauth2 for POP3.
#   4. A revoked refresh token: sending from a shell shows the cause and the
#      fix; the full-screen interface shows the program's own message, and
#      the page's "!sasl-oauth refresh work" shows the cause and the fix.
# The interface runs on the screen of a private tmux server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
MUTT=${MUTT:-mutt}
need "$MUTT" tmux
clients_setup
cd "$HOME" || exit 1

case $MUTT in
neomutt) RC_FILE="$HOME/.neomuttrc" ;;
*) RC_FILE="$HOME/.muttrc" ;;
esac
# The page's lines, plus the one line that trusts the bed's CA.
BASE="$(page_to_bed mutt.md muttrc)
set ssl_ca_certificates_file = \"$BED_CA\"" || exit 1
printf '%s\n' "$BASE" > "$RC_FILE"
SEND=$(page_to_bed mutt.md mutt-send) || exit 1
SEND=${SEND/| mutt /| $MUTT }
DIAGNOSE=$(page_block mutt.md mutt-diagnose) || exit 1

# send SUBJECT: the page's command line with this subject; sets OUT, RC.
send() {
	OUT=$(bash -c "${SEND//Test from mutt/$1}" 2>&1)
	RC=$?
}

# 1. Reading, with an expired token.
SUBJECT="sasl-oauth $MUTT read check $$-$RANDOM"
deliver "$SUBJECT"
expire_token
g0=$(refresh_grants) l0=$(logins imap XOAUTH2)
tui_start "$MUTT"
if tui_wait "$SUBJECT"; then
	pass "$MUTT shows the INBOX over IMAPS (the index lists '$SUBJECT')"
else
	fail "$MUTT did not show the message; its screen:"; show "$TUI_SCREEN"; bed_logs | tail -20
fi
tui_stop
g1=$(refresh_grants) l1=$(logins imap XOAUTH2)
if [ $((l1 - l0)) -ge 1 ] && [ $((g1 - g0)) = 1 ]; then
	pass "imap_oauth_refresh_command refreshed the expired token with exactly one request; Dovecot logged method=XOAUTH2"
else
	fail "reading: $((l1 - l0)) XOAUTH2 IMAP logins (want >= 1), $((g1 - g0)) refresh requests (want 1)"
fi

# 2. Sending from a shell, with an expired token.
SUBJECT="sasl-oauth $MUTT send check $$-$RANDOM"
expire_token
g0=$(refresh_grants) s0=$(logins submission XOAUTH2)
send "$SUBJECT"
g1=$(refresh_grants) s1=$(logins submission XOAUTH2)
if [ "$RC" = 0 ] && sink_has "$SUBJECT" && [ $((s1 - s0)) = 1 ]; then
	pass "'$MUTT -s' sent the message (XOAUTH2 at submission, the message at the sink)"
elif [ "$MUTT" = neomutt ] && [ "$RC" != 0 ] && grep -qF '500 5.5.2 Line too long' <<< "$OUT"; then
	pass "neomutt's built-in SMTP: '500 5.5.2 Line too long' from Dovecot, as the page says"
	show "$OUT"
	# The page's alternative: msmtp as neomutt's sendmail.
	page_to_bed msmtp.md msmtprc | sed "s#^tls_starttls on\$#&\ntls_trust_file $BED_CA#" > "$HOME/.msmtprc"
	chmod 600 "$HOME/.msmtprc"
	{ grep -v '^set smtp_' <<< "$BASE"; page_to_bed mutt.md neomuttrc-msmtp; } > "$RC_FILE"
	send "$SUBJECT via msmtp"
	s1=$(logins submission XOAUTH2)
	if [ "$RC" = 0 ] && sink_has "$SUBJECT via msmtp" && [ $((s1 - s0)) = 1 ]; then
		pass "neomutt with sendmail = \"msmtp -a work\" sent the message (XOAUTH2 at submission, the message at the sink)"
	else
		fail "neomutt through msmtp: exit $RC"; show "$OUT"
	fi
	printf '%s\n' "$BASE" > "$RC_FILE"
else
	fail "'$MUTT -s': exit $RC, $((s1 - s0)) XOAUTH2 submission logins"; show "$OUT"; bed_logs | tail -20
fi
if [ $((g1 - g0)) = 1 ]; then
	pass "smtp_oauth_refresh_command refreshed the expired token with exactly one request"
else
	fail "sending: $((g1 - g0)) refresh requests, want 1"
fi

# 3. POP3 instead of IMAP.
{ grep -Ev '^set (folder|spoolfile|imap_)' <<< "$BASE"; page_to_bed mutt.md muttrc-pop; } > "$RC_FILE"
if [ "$MUTT" = neomutt ]; then
	tui_start "$MUTT"
	if tui_wait "xoauth2 is not a valid authenticator"; then
		pass "neomutt refuses pop_authenticators = \"xoauth2\" at start-up, as the page says"
	else
		fail "neomutt did not refuse xoauth2 for POP3; its screen:"; show "$TUI_SCREEN"
	fi
	tui_stop
else
	expire_token
	g0=$(refresh_grants) p0=$(logins pop3 XOAUTH2)
	tui_start "$MUTT"
	# The page: the first time, mutt asks whether to create ~/Mail; yes.
	if tui_wait "$SUBJECT" "Create it?" && grep -qF "Create it?" <<< "$TUI_SCREEN"; then
		tui_keys y
	fi
	# The read check's message is still in the INBOX.
	if tui_wait "read check $$"; then
		pass "mutt shows the INBOX over POP3"
	else
		fail "mutt did not show the INBOX over POP3; its screen:"; show "$TUI_SCREEN"
	fi
	tui_stop
	if [ $(($(logins pop3 XOAUTH2) - p0)) -ge 1 ] && [ $(($(refresh_grants) - g0)) = 1 ]; then
		pass "pop_oauth_refresh_command refreshed the expired token with exactly one request; Dovecot logged a POP3 XOAUTH2 login"
	else
		fail "POP3: $(($(logins pop3 XOAUTH2) - p0)) XOAUTH2 logins, $(($(refresh_grants) - g0)) refresh requests (want 1)"
	fi
fi
printf '%s\n' "$BASE" > "$RC_FILE"

# 4. The refresh token is revoked.
revoke_grant
g0=$(refresh_grants)
send "sasl-oauth $MUTT revoked"
echo "    what '$MUTT -s' shows (refresh token revoked, exit status $RC):"
show "$OUT"
if [ "$RC" != 0 ] && grep -q 'AADSTS50173' <<< "$OUT" && grep -qF 'run: sasl-oauth login work' <<< "$OUT" &&
	grep -qF 'Could not send the message' <<< "$OUT"; then
	pass "revoked refresh token: '$MUTT -s' shows AADSTS50173, 'sasl-oauth login work' and its own 'Could not send the message'"
else
	fail "revoked refresh token: '$MUTT -s' exit $RC without the cause and the fix"
fi

if [ "$MUTT" = neomutt ] && [ -f "$HOME/.msmtprc" ]; then
	{ grep -v '^set smtp_' <<< "$BASE"; page_to_bed mutt.md neomuttrc-msmtp; } > "$RC_FILE"
	send "sasl-oauth neomutt revoked via msmtp"
	printf '%s\n' "$BASE" > "$RC_FILE"
	echo "    what 'neomutt -s' through msmtp shows (refresh token revoked, exit status $RC):"
	show "$OUT"
	if [ "$RC" != 0 ] && grep -q 'AADSTS50173' <<< "$OUT" && grep -qF 'run: sasl-oauth login work' <<< "$OUT" &&
		grep -qF 'Error sending message, child exited 78' <<< "$OUT"; then
		pass "revoked refresh token: neomutt through msmtp shows AADSTS50173, 'sasl-oauth login work' and msmtp's exit status"
	else
		fail "revoked refresh token: neomutt through msmtp, exit $RC, without the cause and the fix"
	fi
fi

case $MUTT in
neomutt) OWN="Unable to open mailbox" ;;
*) OWN="mutt_account_getoauthbearer: Command returned empty string" ;;
esac
tui_start "$MUTT"
if tui_wait "$OWN"; then
	pass "$MUTT's screen shows its own message: $OWN"
else
	fail "$MUTT's screen lacks '$OWN'"
fi
echo "    $MUTT's screen (refresh token revoked):"
show "$TUI_SCREEN"
# The page's way to read the cause: "!" and the command.
tui_keys '!'
sleep 0.5
tui_keys -l "${DIAGNOSE#!}"
tui_keys Enter
if tui_wait "Press any key" && grep -q 'AADSTS50173' <<< "$TUI_SCREEN" &&
	grep -qF 'run: sasl-oauth login work' <<< "$TUI_SCREEN"; then
	pass "'$DIAGNOSE' in $MUTT shows AADSTS50173 and 'sasl-oauth login work'"
else
	fail "'$DIAGNOSE' in $MUTT did not show the cause and the fix"
fi
echo "    $MUTT's screen after '$DIAGNOSE':"
show "$TUI_SCREEN"
tui_stop
if [ $(($(refresh_grants) - g0)) -ge 3 ]; then
	pass "each command asked the provider once more; nothing was cached from a failure"
else
	fail "$(($(refresh_grants) - g0)) refresh attempts for the send, the login and the check, want >= 3"
fi
finish
