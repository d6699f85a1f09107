#!/bin/bash
# SPDX-License-Identifier: MIT
# mutt and neomutt read POP3 through "sasl-oauth tunnel"
# (docs/clients/mutt-tunnel.md), with the page's own lines, in a terminal
# of a private tmux server: the index shows the message; an expired cached
# token costs exactly one refresh; a revoked refresh token shows the
# tunnel's exit status 3, which says a new sign-in is needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need mutt tmux
clients_setup
# The bed's CA is OpenSSL's default store: the pages' lines need no --ca-file.
export SSL_CERT_FILE="$BED_CA"

RC="$BED_DIR/muttrc"
{
	page_block mutt-tunnel.md muttrc-tunnel-pop |
		sed -e "s#\(tunnel pop3://[^\"]*\)outlook\.office365\.com#\1localhost:$BED_POP3_PORT#" \
			-e 's#outlook\.office365\.com#localhost#g' -e 's#contoso\.com#example.com#g'
	# Not the page's: no caches or mail folders of the user's own.
	printf 'set header_cache = ""\nset message_cachedir = ""\nset record = ""\nset folder = "%s"\n' "$BED_DIR/Mail"
} > "$RC"
mkdir -p "$BED_DIR/Mail"

# screen PROGRAM WANT: runs PROGRAM on the test's terminal until WANT shows
# (at most 30 s); the screen is left in $TUI_SCREEN.
screen() {
	local rc
	tui_start "$1 -n -F '$RC' 2>/dev/null"
	tui_wait "$2"
	rc=$?
	tui_stop
	return $rc
}

programs=mutt
command -v neomutt >/dev/null 2>&1 && programs="mutt neomutt" || echo "neomutt is not installed: mutt only"
for prog in $programs; do
	seed_cache work alice@example.com
	bed_doveadm expunge -u alice@example.com mailbox INBOX all
	subject="tunnel pop $prog $$"
	deliver_n 1 "$subject"
	if screen "$prog" "$subject 1"; then
		pass "$prog read the POP3 INBOX through the tunnel"
	else
		fail "$prog did not show the message; its screen:"; show "$(tail -5 <<< "$TUI_SCREEN")"
	fi

	expire_token
	g0=$(refresh_grants)
	if screen "$prog" "$subject 1" && [ $(($(refresh_grants) - g0)) = 1 ]; then
		pass "$prog with an expired cached token: 1 refresh request, the message shows"
	else
		fail "$prog with an expired token: $(($(refresh_grants) - g0)) refreshes; screen:"; show "$(tail -5 <<< "$TUI_SCREEN")"
	fi

	revoke_grant
	# mutt sends the tunnel's stderr to /dev/null and shows 28 characters
	# of the -ERR greeting for a moment; what stays is the exit status, 3:
	# "a new sign-in is needed" in sasl-oauth's table.
	if screen "$prog" "returned error 3"; then
		pass "$prog shows the tunnel's exit status 3 (a new sign-in is needed) for a revoked refresh token"
	else
		fail "$prog did not show exit status 3; its screen:"; show "$(tail -5 <<< "$TUI_SCREEN")"
	fi
	show "$(grep -F "returned error 3" <<< "$TUI_SCREEN")"
done
# The page's way to read the cause from mutt (its "!" runs a shell command).
cmd=$(page_block mutt-tunnel.md mutt-tunnel-diagnose)
out=$(${cmd#!} 2>&1)
if echo "$out" | grep -q 'AADSTS50173.*run: sasl-oauth login work$'; then
	pass "the page's '$cmd' prints the cause and the fix"
else
	fail "'$cmd' printed: $out"
fi
finish
