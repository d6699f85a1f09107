#!/bin/bash
# SPDX-License-Identifier: MIT
# fetchmail through "sasl-oauth tunnel" (docs/clients/fetchmail.md), with
# the page's own lines, over IMAP and POP3: mail arrives and a second run
# fetches nothing new; an expired cached token costs exactly one request to
# the identity provider; a revoked refresh token puts the provider's code
# and "sasl-oauth login work" into fetchmail's log; fetchmail -d keeps
# fetching across a token expiry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need fetchmail
clients_setup
# The bed's CA is OpenSSL's default store: the pages' lines need no --ca-file.
export SSL_CERT_FILE="$BED_CA"

OUT="$BED_DIR/delivered"
mkdir -p "$OUT"
cat > "$BED_DIR/deliver.sh" <<EOS
#!/bin/sh
exec cat > "$OUT/\$(date +%s%N).\$\$.eml"
EOS
chmod 755 "$BED_DIR/deliver.sh"

# rc_for PROTO: the page's block for PROTO, pointed at the bed, with the
# test's delivery line.
rc_for() {
	local rc="$BED_DIR/fetchmailrc-$1"
	{
		page_block fetchmail.md "fetchmailrc-$1" | sed -e 's#outlook\.office365\.com#localhost#g' -e 's#contoso\.com#example.com#g'
		printf '    mda "%s"\n' "$BED_DIR/deliver.sh"
	} > "$rc"
	chmod 600 "$rc"
	echo "$rc"
}

delivered() { find "$OUT" -name '*.eml' | wc -l; }

# fetch PROTO PORT: one fetchmail run; output in $LOG, exit status in $RC.
fetch() {
	LOG="$BED_DIR/fetchmail-$1.log"
	timeout 60 fetchmail -f "$(rc_for "$1")" --service "$2" --nosyslog -v </dev/null > "$LOG" 2>&1
	RC=$?
}

show_log() { grep -v '^fetchmail: \(IMAP\|POP3\)[<>] [0-9]' "$LOG" | tail -"${1:-15}" | sed 's/^/    /'; }

for spec in "imap $BED_IMAP_PORT" "pop3 $BED_POP3_PORT"; do
	set -- $spec
	proto=$1 port=$2
	seed_cache work alice@example.com
	rm -f "$OUT"/*.eml
	bed_doveadm expunge -u alice@example.com mailbox INBOX all
	deliver_n 3 "$proto"

	# 1. Mail arrives; the second run fetches nothing new.
	fetch "$proto" "$port"
	if [ "$RC" = 0 ] && [ "$(delivered)" = 3 ] && grep -q 'sasl-oauth: logged in as alice@example.com with XOAUTH2' "$LOG"; then
		pass "$proto: fetchmail fetched 3 messages through the tunnel"
	else
		fail "$proto: fetchmail exit $RC, $(delivered) messages delivered"; show_log; bed_logs | tail -10
	fi
	fetch "$proto" "$port"
	if [ "$RC" = 1 ] && [ "$(delivered)" = 3 ]; then
		pass "$proto: a second run fetches nothing new (exit 1, no mail)"
	else
		fail "$proto: second run: exit $RC, $(delivered) messages delivered"; show_log
	fi

	# 2. An expired cached token: one refresh, and the mail arrives.
	expire_token
	deliver_n 2 "$proto-expired"
	g0=$(refresh_grants)
	fetch "$proto" "$port"
	g1=$(refresh_grants)
	if [ "$RC" = 0 ] && [ "$(delivered)" = 5 ] && [ $((g1 - g0)) = 1 ]; then
		pass "$proto: an expired token was refreshed with 1 request and 2 more messages arrived"
	else
		fail "$proto: expired token: exit $RC, $(delivered) messages, $((g1 - g0)) refresh requests"; show_log
	fi

	# 3. A revoked refresh token: the cause and the fix in fetchmail's log.
	revoke_grant
	deliver_n 1 "$proto-revoked"
	fetch "$proto" "$port"
	if [ "$RC" != 0 ] && [ "$RC" != 124 ] && [ "$(delivered)" = 5 ] &&
		grep -q '^sasl-oauth: .*AADSTS50173.*; run: sasl-oauth login work$' "$LOG"; then
		pass "$proto: a revoked refresh token: fetchmail's log names AADSTS50173 and 'sasl-oauth login work'"
	else
		fail "$proto: revoked refresh token: exit $RC, log:"; show_log
	fi
	case $proto in
	imap) grep -q '^fetchmail: Received BYE response from IMAP server: .*AADSTS50173' "$LOG" &&
		pass "imap: fetchmail logs the tunnel's BYE with the cause" ||
		{ fail "imap: no BYE with the cause in fetchmail's log"; show_log; } ;;
	pop3) grep -q -- '-ERR sasl-oauth: .*AADSTS50173' "$LOG" &&
		pass "pop3: fetchmail -v logs the tunnel's -ERR with the cause" ||
		{ fail "pop3: no -ERR with the cause in fetchmail's log"; show_log; } ;;
	esac
	echo "--- fetchmail's log ($proto, revoked refresh token):"; show_log 8
done

# 4. fetchmail -d polls across an expiry: the tunnel refreshes at the poll
#    after the token expired, once, and mail keeps arriving.
seed_cache work alice@example.com
rm -f "$OUT"/*.eml
bed_doveadm expunge -u alice@example.com mailbox INBOX all
rc=$(rc_for imap)
DLOG="$BED_DIR/fetchmail-daemon.log"
fetchmail -N -d 1 -f "$rc" --service "$BED_IMAP_PORT" --nosyslog </dev/null > "$DLOG" 2>&1 &
daemon=$!
at_exit 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null'
wait_delivered() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(delivered)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
deliver_n 1 daemon-before
wait_delivered 1 && pass "fetchmail -d fetched the first message" || fail "fetchmail -d: nothing arrived"
# A poll under way may still use the old token; the first poll after the
# expiry refreshes it. Mail delivered after that must arrive too.
g0=$(refresh_grants)
expire_token
for ((i = 0; i < 300; i++)); do
	[ "$(refresh_grants)" -gt "$g0" ] && break
	sleep 0.1
done
deliver_n 1 daemon-after
if wait_delivered 2; then
	sleep 2 # two more polls with the refreshed token
	g1=$(refresh_grants)
	if [ $((g1 - g0)) = 1 ]; then
		pass "fetchmail -d fetched across the token's expiry (1 refresh request)"
	else
		fail "fetchmail -d: $((g1 - g0)) refresh requests across the expiry, want 1"
	fi
else
	fail "fetchmail -d stopped fetching after the token expired"; tail -10 "$DLOG"
fi
kill "$daemon" 2>/dev/null
wait "$daemon" 2>/dev/null
finish
