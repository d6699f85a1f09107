# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the tests of the recipes in docs/clients/: each test takes the
# configuration and the commands from the page itself (a fenced block after
# a line "<!-- check: NAME -->"), points them at the bed instead of
# Exchange Online, and runs them with the built sasl-oauth first on PATH.
# Source after lib.sh.

CLI="$top_builddir/cli/sasl-oauth"

# clients_setup: the bed, alice@example.com with a mailbox, account "work"
# serving her, and a fresh cached token. Tokens are Exchange-sized (2.5 KB),
# so that line-length limits show here as they would against Exchange.
clients_setup() {
	[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
	start_bed
	unset SASL_OAUTH_CLI TMUX
	export PATH="$top_builddir/cli:$PATH"
	bed_config '{"big_tokens": 2500}' || { echo "FAIL: the identity provider refused big_tokens"; exit 1; }
	bed_add_user alice@example.com
	write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
	seed_cache work alice@example.com
	# Every server and terminal this test starts goes with the bed.
	at_exit tui_stop
}

# page_block PAGE NAME: the fenced block after "<!-- check: NAME -->" in
# docs/clients/PAGE, without its fences. A missing block ends the test: the
# page and the test have drifted apart.
page_block() {
	local text
	text=$(awk -v m="<!-- check: $2 -->" '
		$0 == m { armed = 1; next }
		armed && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' "$top_srcdir/docs/clients/$1")
	[ -n "$text" ] || { echo "FAIL: docs/clients/$1 has no block '<!-- check: $2 -->'"; exit 1; }
	printf '%s\n' "$text"
}

# to_bed: the pages' real-world servers become the bed's Dovecot on
# localhost (IMAPS; submission with STARTTLS; POP3 with STLS, the bed has no
# POP3S), and contoso.com becomes example.com. Nothing else changes.
to_bed() {
	sed -e "s#outlook\.office365\.com:993#localhost:$BED_IMAPS_PORT#g" \
		-e "s#smtp\.office365\.com:587#localhost:$BED_SUBMISSION_PORT#g" \
		-e "s#pops://\([^\"]*\)outlook\.office365\.com:995#pop://\1localhost:$BED_POP3_PORT#g" \
		-e "s#outlook\.office365\.com#localhost#g; s#smtp\.office365\.com#localhost#g" \
		-e "s#^\(port[ =]*\)993\$#\1$BED_IMAPS_PORT#; s#^\(port[ =]*\)587\$#\1$BED_SUBMISSION_PORT#" \
		-e "s#contoso\.com#example.com#g"
}

# page_to_bed PAGE NAME: page_block through to_bed.
page_to_bed() {
	local text
	text=$(page_block "$1" "$2") || { printf '%s\n' "$text"; exit 1; }
	printf '%s\n' "$text" | to_bed
}

# logins SERVICE METHOD: Dovecot's count of alice's logins so far.
logins() {
	grep -c "$1-login: Info: Login: user=<alice@example.com>, method=$2," "$BED_DIR/dovecot.log"
}

# expire_token: the cached access token expired two minutes ago and the
# provider no longer accepts it, so only a refreshed token logs in.
expire_token() {
	set_expires work -120
	bed_revoke "$(access_token work)"
}

# revoke_grant: as expire_token, and the refresh token is revoked too
# (AADSTS50173 at the provider): only "sasl-oauth login work" helps.
revoke_grant() {
	expire_token
	bed_revoke "$(cache_field work refresh_token)"
}

# deliver SUBJECT: a new message from bob in alice's INBOX.
deliver() {
	printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: %s\r\n\r\nbody\r\n' "$1" > "$BED_DIR/deliver.eml"
	bed_deliver alice@example.com "$BED_DIR/deliver.eml"
}

# deliver_n N TAG: N messages "TAG 1" ... "TAG N".
deliver_n() {
	local i
	for ((i = 1; i <= $1; i++)); do deliver "$2 $i"; done
}

# sink_has SUBJECT: true when the sink behind submission received it.
sink_has() {
	grep -qsF "Subject: $1" "$BED_DIR"/sink/*.eml
}

# show TEXT: indented, for the test log.
show() { printf '%s\n' "$1" | sed -E 's/[[:space:]]+$//; s/ {4,}/   /g' | grep -v '^$' | sed 's/^/    | /'; }

# Full-screen programs run on a 160x40 screen of a private tmux server,
# which inherits this environment (HOME, XDG_*, PATH).
TUI_SOCK=
tui_start() {
	TUI_SOCK="$BED_DIR/tmux.sock"
	tmux -S "$TUI_SOCK" new-session -d -x 160 -y 40 "$1; echo \"[exited with status \$?]\"; sleep 600"
}

# tui_wait TEXT...: true once the screen shows one of TEXT (at most 30 s);
# the last screen, wrapped lines joined, is in TUI_SCREEN either way.
tui_wait() {
	local i t
	for ((i = 0; i < 120; i++)); do
		sleep 0.25
		TUI_SCREEN=$(tmux -S "$TUI_SOCK" capture-pane -p -J 2>/dev/null) || return 1
		for t in "$@"; do
			grep -qF -- "$t" <<< "$TUI_SCREEN" && return 0
		done
	done
	return 1
}

tui_keys() { tmux -S "$TUI_SOCK" send-keys "$@"; }

# _tui_tree PID: PID and all its descendants.
_tui_tree() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do _tui_tree "$c"; done
}

# _tui_alive PID...: true while one of them runs (a zombie has ended).
_tui_alive() {
	ps -o stat= -p "$(IFS=,; echo "$*")" 2>/dev/null | grep -qv '^Z'
}

# tui_stop: ends the program and the tmux server. Killing the server only
# hangs up the terminal, and neomutt blocks SIGHUP at its "Press any key"
# prompt: it would outlive the test. So the pane's processes go first, by pid.
tui_stop() {
	[ -n "$TUI_SOCK" ] || return 0
	local pane i
	local -a tree=()
	pane=$(tmux -S "$TUI_SOCK" list-panes -F '#{pane_pid}' 2>/dev/null)
	[ -n "$pane" ] && mapfile -t tree < <(_tui_tree "$pane")
	if [ "${#tree[@]}" -gt 0 ]; then
		kill -TERM "${tree[@]}" 2>/dev/null
		for ((i = 0; i < 40; i++)); do
			_tui_alive "${tree[@]}" || break
			sleep 0.05
		done
		_tui_alive "${tree[@]}" && kill -KILL "${tree[@]}" 2>/dev/null
	fi
	tmux -S "$TUI_SOCK" kill-server 2>/dev/null
	TUI_SOCK=
}
