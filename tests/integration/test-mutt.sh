#!/bin/bash
# SPDX-License-Identifier: MIT
# mutt (Debian's: GNU SASL and its own OAuth, no Cyrus plugin) logs in to
# the bed's IMAPS with XOAUTH2, taking its token from
# imap_oauth_refresh_command = "sasl-oauth token USER". The cached token is
# stale (inside refresh_margin) and the identity provider no longer accepts
# it, so the login works only if the command refreshed it. mutt needs a
# terminal: it runs in a private tmux server and the test reads the screen.
. "$(dirname "$0")/lib.sh"
need mutt tmux
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
start_bed
unset SASL_OAUTH_CLI TMUX

bed_add_user alice@example.com
SUBJECT="sasl-oauth mutt check $$-$RANDOM"
printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: %s\r\n\r\nbody\r\n' "$SUBJECT" > "$BED_DIR/m.eml"
bed_deliver alice@example.com "$BED_DIR/m.eml"
write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"

# A stale token (60 s < refresh_margin) that the provider refuses.
seed_cache work alice@example.com 60
old_at=$(access_token work) old_rt=$(cache_field work refresh_token)
bed_revoke "$old_at"

stats_field() { # python expression over the stats JSON
	bed_stats | "$PY" -c 'import json, sys; s = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
xoauth2_logins() { grep -c 'imap-login: Info: Login: user=<alice@example.com>, method=XOAUTH2' "$BED_DIR/dovecot.log"; }
g0=$(stats_field 's["grants"].get("refresh_token", 0)')
i0=$(stats_field 's["introspect"]["active"]')
l0=$(xoauth2_logins)

cat > "$BED_DIR/muttrc" <<RC
set imap_user = "alice@example.com"
set folder = "imaps://localhost:$BED_IMAPS_PORT/"
set spoolfile = "+INBOX"
set imap_authenticators = "xoauth2"
set imap_oauth_refresh_command = "$CLI token alice@example.com"
set ssl_ca_certificates_file = "$BED_CA"
set certificate_file = "$BED_DIR/mutt-certificates"
set ssl_force_tls = yes
set header_cache = ""
set message_cachedir = ""
set record = ""
set sort = date
set timeout = 1
RC

# mutt on a 160x40 screen of a private tmux server; the environment
# (XDG_CONFIG_HOME, XDG_STATE_HOME from make_home) is the server's, so
# the refresh command finds this test's configuration and cache.
SOCK="$BED_DIR/tmux.sock"
PANE="$BED_DIR/mutt.screen"
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; bed_teardown; rm -rf "$BED_DIR"' EXIT
tmux -S "$SOCK" new-session -d -x 160 -y 40 \
	"mutt -n -F '$BED_DIR/muttrc'; echo \"mutt exited with status \$?\"; sleep 60"
seen=0
for ((i = 0; i < 120; i++)); do
	sleep 0.25
	tmux -S "$SOCK" capture-pane -p > "$PANE" 2>/dev/null || break
	if grep -qF "$SUBJECT" "$PANE"; then
		seen=1
		break
	fi
	grep -q "mutt exited with status" "$PANE" && break
done
tmux -S "$SOCK" send-keys q 2>/dev/null
sleep 0.3
tmux -S "$SOCK" kill-server 2>/dev/null

if [ "$seen" = 1 ]; then
	pass "mutt read the INBOX over IMAPS (the index shows '$SUBJECT')"
else
	fail "mutt did not show the message; its screen:"
	grep -v '^[[:space:]]*$' "$PANE" | sed 's/^/    /' | tail -15
	bed_logs | tail -20
fi
g1=$(stats_field 's["grants"].get("refresh_token", 0)')
i1=$(stats_field 's["introspect"]["active"]')
l1=$(xoauth2_logins)
if [ $((l1 - l0)) -ge 1 ] && [ $((i1 - i0)) -ge 1 ]; then
	pass "the login used XOAUTH2 (Dovecot logged method=XOAUTH2, the provider introspected an active token)"
else
	fail "no XOAUTH2 login by mutt in Dovecot's log ($((l1 - l0))) or no active introspection ($((i1 - i0)))"
fi
if [ $((g1 - g0)) = 1 ] && [ "$(access_token work)" != "$old_at" ] &&
	[ "$(cache_field work refresh_token)" != "$old_rt" ] && [ "$(stat -c %a "$XDG_STATE_HOME/sasl-oauth/work.json")" = 600 ]; then
	pass "the refresh command refreshed the stale cache once (new access token, rotated refresh token, mode 0600)"
else
	fail "refresh by mutt's command: $((g1 - g0)) refresh grants, want 1"
fi
finish
