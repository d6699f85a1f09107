#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark 5, the tunnel (issue 9): fetchmail fetching a mailbox from the
# bed's Dovecot through "sasl-oauth tunnel" (XOAUTH2) against fetchmail's
# own TLS connection with a password (the bed's PLAIN user), same Dovecot,
# same run, interleaved, TUNNEL_RUNS repeats (5). Both mailboxes hold the
# same TUNNEL_MESSAGES (2000) messages of TUNNEL_SIZE bytes (50 KB), 100 MB;
# fetchmail keeps them (keep, fetchall) and writes them to /dev/null
# (bsmtp), so each run fetches the whole mailbox again.
# Targets: median wall-time ratio tunnel / password <= 1.10. Reported next
# to it: fetchmail over plain TCP to the bed's IMAP port, no TLS and no
# plugin, the floor for any plugin (fetchmail reads a plugin's or a plain
# socket a line at a time, two system calls per line). Reported: the
# tunnel's peak RSS for a 10 MB and a 100 MB mailbox (it must not grow),
# and start-up: exec to "* PREAUTH" with a fresh cached token, against a
# direct TLS login with a password (tests/integration/sasl-client, PLAIN,
# exec to the tagged OK), TUNNEL_STARTS (50) each, interleaved.
#
#   bash bench/tunnel.sh                  standalone, from a built tree
#   TUNNEL_RESULTS=FILE bash bench/tunnel.sh   appends "name|value|target|VERDICT"
#                                         lines to FILE (bench/run.sh's summary)
# Exit status: 0 when the target passed, 1 when it failed, 2 when the
# benchmark could not run (not built, no fetchmail, no test bed).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
RUNS=${TUNNEL_RUNS:-5}
MESSAGES=${TUNNEL_MESSAGES:-2000}
SIZE=${TUNNEL_SIZE:-51200}
STARTS=${TUNNEL_STARTS:-50}
TARGET=1.10
RESULTS=${TUNNEL_RESULTS:-}

. "$top_srcdir/tests/integration/clients.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || { echo "bench: $CLI is missing; build first"; exit 2; }
for t in fetchmail /usr/bin/time; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is not installed"; exit 2; }
done
[ -x "$SASL_CLIENT" ] || (cd "$top_builddir" && make tests/integration/sasl-client >/dev/null 2>&1)

record() { # NAME VALUE TARGET VERDICT
	printf '%s: %s  %s%s\n' "$4" "$1" "$2" "$([ "$3" = none ] && echo " (no target)" || echo " (target $3)")"
	[ -n "$RESULTS" ] && printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"
	return 0
}
stats() { $HELPER stats; }
med() { set -- $1; echo "$1"; }
fmt() { set -- $1; printf '%s (%s..%s)' "$1" "$2" "$3"; }

# fill UPN COUNT: COUNT messages of SIZE bytes straight into UPN's Maildir
# (doveadm save would take minutes); Dovecot indexes them on first access.
fill() {
	bed_doveadm mailbox status -u "$1" messages INBOX >/dev/null || return 1
	"$PY" - "$BED_MAILDIR_ROOT/$1/Maildir/cur" "$2" "$SIZE" <<'PY' || return 1
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklm\r\n"
for i in range(n):
    head = b"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: bench %d\r\nMessage-ID: <b%d@example.com>\r\n\r\n" % (i, i)
    body = line * ((size - len(head)) // len(line))
    with open(os.path.join(d, "%d.M%dP1.bench:2," % (1700000000 + i, i)), "wb") as f:
        f.write(head + body)
PY
	chown -R "$BED_MAIL_USER:$BED_MAIL_USER" "$BED_MAILDIR_ROOT/$1"
}

# rcfile NAME LINES...: a fetchmailrc of mode 0600.
rcfile() {
	local f="$BED_DIR/$1.rc"
	shift
	printf '%s\n' "$@" > "$f"
	chmod 600 "$f"
	echo "$f"
}

# fetch RC: one fetchmail run; prints its wall time in microseconds; fails
# unless fetchmail says it fetched mail (exit 0).
fetch() {
	local t0 t1 rc
	t0=$(date +%s%N)
	timeout 600 fetchmail -f "$1" --nosyslog -s </dev/null >>"$BED_DIR/fetchmail.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { echo "  fetchmail -f $1 exited $rc" >&2; return 1; }
	echo $(((t1 - t0) / 1000))
}

bench() {
	start_bed
	export PATH="$top_builddir/cli:$PATH" SSL_CERT_FILE="$BED_CA"
	bed_config '{"big_tokens": 2500}' >/dev/null
	bed_add_user alice@example.com
	bed_add_user small@example.com
	write_config "[account work]
users = alice@example.com, small@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
	seed_cache work alice@example.com
	local big small_n=$((MESSAGES / 10))
	big="$MESSAGES x $((SIZE / 1024)) KB"
	echo "  filling three mailboxes: $MESSAGES, $MESSAGES and $small_n messages of $SIZE bytes"
	fill alice@example.com "$MESSAGES" && fill plainuser@example.com "$MESSAGES" &&
		fill small@example.com "$small_n" || { echo "  cannot fill the mailboxes"; return 2; }

	local keep='    keep fetchall bsmtp /dev/null'
	local tunnel password plain rss_big rss_small
	tunnel=$(rcfile tunnel "poll localhost protocol IMAP port $BED_IMAPS_PORT" \
		'    plugin "sasl-oauth tunnel imaps://alice@example.com@%h:%p"' '    auth ssh' \
		'    user "alice@example.com"' '    sslproto ""' "$keep")
	password=$(rcfile password "poll localhost protocol IMAP port $BED_IMAPS_PORT" \
		'    user "plainuser@example.com"' "    password \"$BED_PLAIN_PASSWORD\"" \
		"    ssl sslcertck sslcertfile \"$BED_CA\"" "$keep")
	plain=$(rcfile plain "poll localhost protocol IMAP port $BED_IMAP_PORT" \
		'    user "plainuser@example.com"' "    password \"$BED_PLAIN_PASSWORD\"" '    sslproto ""' "$keep")
	rss_big=$(rcfile rss-big "poll localhost protocol IMAP port $BED_IMAPS_PORT" \
		"    plugin \"/usr/bin/time -o $BED_DIR/rss.big -f %M sasl-oauth tunnel imaps://alice@example.com@%h:%p\"" \
		'    auth ssh' '    user "alice@example.com"' '    sslproto ""' "$keep")
	rss_small=$(rcfile rss-small "poll localhost protocol IMAP port $BED_IMAPS_PORT" \
		"    plugin \"/usr/bin/time -o $BED_DIR/rss.small -f %M sasl-oauth tunnel imaps://small@example.com@%h:%p\"" \
		'    auth ssh' '    user "small@example.com"' '    sslproto ""' "$keep")

	# Warm-up: Dovecot indexes the new files; the page cache fills.
	fetch "$tunnel" >/dev/null && fetch "$password" >/dev/null || { tail -5 "$BED_DIR/fetchmail.out"; return 2; }
	fetch "$plain" >/dev/null || return 2
	: > "$BED_DIR/t.tunnel"
	: > "$BED_DIR/t.password"
	: > "$BED_DIR/t.plain"
	local i k order
	for ((i = 1; i <= RUNS; i++)); do
		# Rotate who goes first, so none always gets the warmest cache.
		case $((i % 3)) in
		1) order="tunnel password plain" ;;
		2) order="password plain tunnel" ;;
		0) order="plain tunnel password" ;;
		esac
		for k in $order; do
			fetch "${!k}" >> "$BED_DIR/t.$k" || return 2
		done
	done
	local mt mp mn ratio verdict
	mt=$(med "$(stats < "$BED_DIR/t.tunnel")")
	mp=$(med "$(stats < "$BED_DIR/t.password")")
	mn=$(med "$(stats < "$BED_DIR/t.plain")")
	ratio=$($HELPER ratio "$mt" "$mp")
	printf '  fetchmail, %s, tunnel (XOAUTH2)          ms: %s\n' "$big" "$(fmt "$(awk '{ print $1 / 1000 }' "$BED_DIR/t.tunnel" | stats)")"
	printf '  fetchmail, %s, own TLS (password)        ms: %s\n' "$big" "$(fmt "$(awk '{ print $1 / 1000 }' "$BED_DIR/t.password" | stats)")"
	printf '  fetchmail, %s, plain TCP, no TLS (floor) ms: %s\n' "$big" "$(fmt "$(awk '{ print $1 / 1000 }' "$BED_DIR/t.plain" | stats)")"
	verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r + 0 <= t + 0) ? "PASS" : "FAIL" }')
	record "fetchmail $big, tunnel / own TLS" "$ratio" "<= $TARGET" "$verdict"
	record "fetchmail $big, tunnel / plain TCP" "$($HELPER ratio "$mt" "$mn")" none INFO
	record "fetchmail $big, plain TCP / own TLS" "$($HELPER ratio "$mn" "$mp")" none INFO

	fetch "$rss_small" >/dev/null && fetch "$rss_big" >/dev/null || return 2
	local ks kb
	# GNU time puts a line about the exit status before the figure when
	# there is one to report.
	ks=$(grep -E '^[0-9]+$' "$BED_DIR/rss.small" | tail -1) kb=$(grep -E '^[0-9]+$' "$BED_DIR/rss.big" | tail -1)
	echo "  tunnel peak RSS: $ks KB for $small_n x $((SIZE / 1024)) KB, $kb KB for $big"
	record "tunnel peak RSS, $((small_n * SIZE / 1048576)) MB / $((MESSAGES * SIZE / 1048576)) MB" "$ks KB / $kb KB" none INFO

	# Start-up: exec to the greeting that ends the login.
	: > "$BED_DIR/s.tunnel"
	: > "$BED_DIR/s.password"
	for ((i = 1; i <= STARTS; i++)); do
		$HELPER firstline 1 "$CLI" tunnel "imaps://alice@example.com@localhost:$BED_IMAPS_PORT" >> "$BED_DIR/s.tunnel" ||
			return 2
		$HELPER spawn 1 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" \
			--mech PLAIN --user plainuser@example.com --password "$BED_PLAIN_PASSWORD" \
			--plugin-path "$SYSTEM_PLUGIN_DIR" >> "$BED_DIR/s.password" || return 2
	done
	local st sp
	st=$(stats < "$BED_DIR/s.tunnel") sp=$(stats < "$BED_DIR/s.password")
	echo "  start-up, exec to * PREAUTH (tunnel, cached token) us: $(fmt "$st")"
	echo "  start-up, exec to login OK (TLS + PLAIN password) us: $(fmt "$sp")"
	record "tunnel start-up (exec to PREAUTH)" "$(med "$st") us" none INFO
	record "direct TLS login with password" "$(med "$sp") us" none INFO
	[ "$verdict" = PASS ]
}

( bench )
rc=$?
case $rc in
0 | 1) exit "$rc" ;;
77) echo "  the test bed is not available here"; exit 2 ;;
*) exit "$rc" ;;
esac
