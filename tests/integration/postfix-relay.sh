# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The Postfix relay of docs/clients/postfix.md, run for real: a private
# Postfix (tests/integration/postfix.sh) relays through the bed's Dovecot
# submission port with XOAUTH2, smtp(8) running as postfix and handing the
# password over through SASL_CB_PASS. Sourced by test-postfix.sh (smtp with
# chroot = n) and test-postfix-chroot.sh (chroot = y, the jail being the
# private queue directory) with PF_CHROOT set.
#
# Senders and accounts: relay@ (delegated, signed in once with "sasl-oauth
# login" run as root), desk@ (a shared mailbox in relay's users =), robot@
# (app-only, client secret), scanner@ (app-only, certificate). Then: the
# timer's command refreshes the file smtp reads while Postfix runs; an
# expired token with no timer defers the mail (never bounces) and a later
# "sasl-oauth refresh --all" + flush delivers it; a revoked refresh token
# defers with AADSTS50173 and "sasl-oauth login relay" in mail.log, and
# nothing is lost after the login; in the jail, a missing cache names where
# smtp looked and what to run outside. Every mail is counted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/clients.sh"
. "$(dirname "${BASH_SOURCE[0]}")/postfix.sh"
# A relay's timer: the template unit, instance postfix (docs/clients/postfix.md).
UNIT="$top_srcdir/packaging/systemd/sasl-oauth-refresh@.service"
UNIT_INSTANCE=postfix
[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
[ "$(id -u)" = 0 ] || skip "a Postfix instance needs root"
need postfix postconf postmap postqueue runuser
getent passwd postfix >/dev/null || skip "there is no postfix user"
start_bed
at_exit pf_stop
unset BROWSER

ROBOT_ID=11111111-2222-3333-4444-555555555555
SCANNER_ID=22222222-3333-4444-5555-666666666666
for u in relay@example.com desk@example.com bob@example.com; do bed_add_user "$u"; done

# The queue directory is smtp's jail. smtp runs sasl-oauth itself only
# without a chroot, where it exists.
export SASL_OAUTH_CONF="$BED_DIR/postfix/etc/sasl-oauth.conf"
[ "$PF_CHROOT" = n ] && PF_CLI=$CLI
pf_setup "$PF_CHROOT"
JAIL="$PF_QUEUE"
STATE="$JAIL/var/lib/sasl-oauth"
ETC="$PF_ETC"

ROBOT_SECRET="robot-$(openssl rand -hex 16)"
printf '%s\n' "$ROBOT_SECRET" > "$ETC/robot.secret"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ETC/scanner.key" -out "$ETC/scanner.crt" -days 1 \
	-subj "/CN=sasl-oauth scanner" >/dev/null 2>&1 || fail "openssl could not make the certificate"
bed_ctl POST /control/users "$(printf '{"client_id": "%s", "client_secret": "%s", "app_upn": "robot@example.com"}' \
	"$ROBOT_ID" "$ROBOT_SECRET")" >/dev/null || fail "could not register the secret client"
bed_ctl POST /control/users "client_id=$SCANNER_ID" "certificate_pem_path=$ETC/scanner.crt" \
	"app_upn=scanner@example.com" >/dev/null || fail "could not register the certificate client"

# The configuration of docs/clients/postfix.md, plus "authority" to reach
# the local identity provider; then the page's owners and modes, which also
# make the cache directory in the jail (the only thing put into it).
pf_page sasl-oauth.conf | awk -v a="authority = $BED_IDP_URL" '{ print } /^\[account / { print a }' \
	> "$SASL_OAUTH_CONF"
bash -e -c "$(pf_page modes)" || fail "the page's owners and modes could not be set"
if [ "$(stat -c '%U:%G %a' "$SASL_OAUTH_CONF")" = "root:postfix 640" ] &&
	[ "$(stat -c '%U %a' "$STATE")" = "postfix 700" ]; then
	pass "the page's commands: configuration root:postfix 0640, cache directory in the jail postfix 0700"
else
	fail "after the page's commands: $(stat -c '%U:%G %a' "$SASL_OAUTH_CONF"), $(stat -c '%U %a' "$STATE" 2>&1)"
fi
pf_passwd || fail "the page's sasl_passwd could not be made"

# timer: the refresh service's ExecStart, run as its User= (%i: the
# instance), with the built sasl-oauth in place of the installed one.
timer() {
	local user cmd
	user=$(sed -n 's/^User=//p' "$UNIT")
	user=${user//%i/$UNIT_INSTANCE}
	cmd=$(sed -n 's/^ExecStart=//p' "$UNIT")
	TIMER_CMD="runuser -u $user -- $cmd"
	# shellcheck disable=SC2086
	TIMER_OUT=$(runuser -u "$user" -- ${cmd/\/usr\/bin\/sasl-oauth/$CLI} 2>&1)
	TIMER_RC=$?
}

# jail_field ACCOUNT FIELD / jail_set ACCOUNT FIELD=EXPR...: read and edit
# a cache in place (same inode, owner and mode); "now" may appear in EXPR.
jail_field() { cache_field_at "$STATE/$1.json" "$2"; }
jail_set() { cache_edit "$STATE/$1.json" "${@:2}"; }
owner_mode() { stat -c '%U %a' "$1"; }

# send_all TAG FROM...: one message per sender; SENT counts them.
SENT=0
send_all() {
	local tag=$1 f
	shift
	for f in "$@"; do
		if pf_send "$f" bob@example.com "$tag from $f"; then
			SENT=$((SENT + 1))
		else
			fail "$tag: Postfix did not accept the message from $f"
		fi
	done
}
delivered() { grep -lF "Subject: $1" "$BED_DIR"/sink/*.eml 2>/dev/null | wc -l; }
# deferred_since: deferrals in mail.log after line $lines0.
deferred_since() { tail -n +"$lines0" "$PF_LOG" | grep -c 'status=deferred'; }
bounced() { log_count 'status=bounced'; }
show_log() { echo "--- mail.log"; tail -n "${1:-15}" "$PF_LOG" | sed 's/^/    | /'; }

# ---- 1. the first login, run as root ---------------------------------------
bed_ctl POST /control/reset >/dev/null
bed_config '{"login_upn": "relay@example.com", "device_interval": 1, "device_approve_after": 0}'
LOGIN_OUT=$(timeout 60 "$CLI" login relay </dev/null 2>&1)
RC=$?
if [ "$RC" = 0 ] && [ "$(owner_mode "$STATE/relay.json")" = "postfix 600" ]; then
	pass "'sasl-oauth login relay' as root: the cache in the jail belongs to postfix, mode 0600"
else
	fail "login as root: exit $RC, cache $(owner_mode "$STATE/relay.json" 2>&1)"; echo "$LOGIN_OUT" | tail -3
fi
# The page's check after the sign-in: "sasl-oauth test" as root, outside
# the jail, through libsasl2 and the plugin with the system configuration.
TEST_CMD=$(page_block postfix.md test | sed -n 's/^# sasl-oauth //p' | head -1 |
	sed -e "s#smtp\.office365\.com:587#localhost:$BED_SUBMISSION_PORT#" -e 's#contoso\.com#example.com#g')
# shellcheck disable=SC2086
TEST_OUT=$(SASL_PATH="$PF_DIR/plugins" SSL_CERT_FILE="$BED_CA" timeout 60 "$CLI" $TEST_CMD 2>&1)
RC=$?
if [ "$RC" = 0 ] && echo "$TEST_OUT" | grep -qF "ok: relay@example.com logged in to localhost:$BED_SUBMISSION_PORT (SMTP;" &&
	echo "$TEST_OUT" | grep -qF "account 'relay'; MAIL FROM:<relay@example.com> accepted" && [ "$(sink_count)" = 0 ]; then
	pass "the page's 'sasl-oauth $TEST_CMD' as root logs in with the relay's cache and sends nothing"
else
	fail "the page's test line (exit $RC): $TEST_OUT"
fi
timer
if [ "$TIMER_RC" = 0 ] && [ "$(owner_mode "$STATE/robot.json")" = "postfix 600" ] &&
	[ "$(owner_mode "$STATE/scanner.json")" = "postfix 600" ] && echo "$TIMER_OUT" | grep -q "^relay: still fresh"; then
	pass "the timer's command ($TIMER_CMD) fetched both app-only tokens as postfix and left relay alone"
else
	fail "timer's first run: exit $TIMER_RC"; echo "$TIMER_OUT" | sed 's/^/    | /'
fi
OUT=$("$CLI" refresh --all 2>&1)
RC=$?
if [ "$RC" = 0 ] && ! echo "$OUT" | grep -q "chown 0" && [ "$(owner_mode "$STATE/relay.json")" = "postfix 600" ]; then
	pass "'sasl-oauth refresh --all' as root works on postfix's caches and keeps them postfix's"
else
	fail "refresh --all as root: exit $RC: $OUT"
fi

pf_start || { fail "Postfix did not start"; finish; }

# ---- 2. delegated, shared mailbox, app-only with secret and certificate ----
send_all relay1 relay@example.com desk@example.com robot@example.com scanner@example.com
pf_flush
wait_for 30 '[ "$(delivered relay1)" = 4 ]'
n=$(delivered relay1)
if [ "$n" = 4 ] && [ "$(pf_queued)" = 0 ]; then
	pass "chroot = $PF_CHROOT: 4 mails relayed with XOAUTH2 (delegated, shared mailbox, app secret, app certificate)"
else
	fail "chroot = $PF_CHROOT: $n of 4 relayed, $(pf_queued) queued"; show_log 20
fi
for who in relay desk robot scanner; do
	grep -q "user=<$who@example.com>" "$BED_DIR/dovecot.log" ||
		fail "Dovecot saw no login as $who@example.com"
done
if grep -q "relay=127.0.0.1\[127.0.0.1\]:$BED_SUBMISSION_PORT.*status=sent" "$PF_LOG"; then
	pass "mail.log: status=sent through the submission port; Dovecot saw logins as relay, desk, robot, scanner"
else
	fail "mail.log has no status=sent through the submission port"
fi

# No descriptor outside the jail: every smtp process of this instance is
# chrooted into the queue directory (chroot = y) and holds no directory.
for pid in $(_pf_tree "$PF_MASTER"); do
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = smtp ] || continue
	root=$(readlink "/proc/$pid/root")
	if [ "$PF_CHROOT" = y ] && [ "$root" != "$JAIL" ]; then
		fail "smtp $pid runs in '$root', not in the jail"
	fi
	[ "$(stat -c %U "/proc/$pid")" = postfix ] || fail "smtp $pid runs as $(stat -c %U "/proc/$pid"), not postfix"
	for fd in /proc/"$pid"/fd/*; do
		[ -d "$fd" ] && fail "smtp $pid holds a directory open: $(readlink "$fd")"
	done
	SMTP_SEEN=1
done
if [ -n "${SMTP_SEEN:-}" ]; then
	pass "the smtp processes run as postfix in '$root' and hold no directory descriptor"
else
	fail "no smtp process of this instance was found to inspect"
fi

# ---- 3. the timer's command while Postfix runs -----------------------------
# 15 minutes left: fresh for the plugin (refresh_margin 600), due for the
# timer (it runs again within 16 minutes). The old token is revoked at the
# provider, so only the refreshed one can be the one smtp sends.
jail_set relay "expires_at=now+900"
old_at=$(jail_field relay access_token)
timer
new_at=$(jail_field relay access_token)
bed_revoke "$old_at"
send_all timer relay@example.com
pf_flush
wait_for 30 '[ "$(delivered timer)" = 1 ]'
if [ "$TIMER_RC" = 0 ] && echo "$TIMER_OUT" | grep -q "^relay: refreshed" && [ "$new_at" != "$old_at" ] &&
	[ "$(delivered timer)" = 1 ] && [ "$(owner_mode "$STATE/relay.json")" = "postfix 600" ]; then
	pass "the timer's command refreshed a token with 15 minutes left in the file smtp reads; the next mail used it"
else
	fail "timer while Postfix runs: exit $TIMER_RC, $(delivered timer) delivered"; echo "$TIMER_OUT"; show_log
fi

# ---- 4. the token expires, no timer ----------------------------------------
N=3
jail_set relay "expires_at=now-60"
bed_revoke "$(jail_field relay access_token)"
lines0=$(wc -l < "$PF_LOG")
send_all expiry relay@example.com relay@example.com desk@example.com
pf_flush
if [ "$PF_CHROOT" = n ]; then
	# Outside a jail smtp runs sasl-oauth itself: nothing is deferred.
	wait_for 30 '[ "$(delivered expiry)" = "$N" ]'
	if [ "$(delivered expiry)" = "$N" ] && [ "$(pf_queued)" = 0 ] && [ "$(jail_field relay expires_at)" -gt "$(date +%s)" ]; then
		pass "expired token without a jail: smtp refreshed it through sasl-oauth, $N of $N delivered"
	else
		fail "expired token, chroot = n: $(delivered expiry) of $N delivered"; show_log 20
	fi
else
	wait_for 30 '[ "$(deferred_since)" -ge "$N" ] && [ "$(pf_queued)" = "$N" ]'
	deferred=$(deferred_since)
	why=$(tail -n +"$lines0" "$PF_LOG" | grep -m1 'SASL authentication problem')
	if [ "$deferred" -ge "$N" ] && [ "$(pf_queued)" = "$N" ] && [ "$(delivered expiry)" = 0 ] && [ "$(bounced)" = 0 ]; then
		pass "expired token in the jail, no timer: $N mails deferred, $N queued, 0 bounced"
	else
		fail "expired token: $deferred deferred, $(pf_queued) queued, $(delivered expiry) delivered, $(bounced) bounced"
		show_log 20
	fi
	if echo "$why" | grep -q "expired at" && echo "$why" | grep -qF "sasl-oauth refresh relay" &&
		echo "$why" | grep -qF "sasl-oauth-refresh.timer"; then
		pass "mail.log names the cause and the fix: ${why#*: warning: }"
	else
		fail "mail.log does not name cause and fix: $why"
	fi
	OUT=$("$CLI" refresh --all 2>&1)
	pf_flush
	wait_for 30 '[ "$(delivered expiry)" = "$N" ]'
	if [ "$(delivered expiry)" = "$N" ] && [ "$(pf_queued)" = 0 ] && [ "$(bounced)" = 0 ]; then
		pass "after 'sasl-oauth refresh --all' and 'postqueue -f': $N queued, $N delivered, 0 bounced"
	else
		fail "after refresh --all: $(delivered expiry) of $N delivered, $(pf_queued) queued: $OUT"; show_log 20
	fi
fi

# ---- 5. the refresh token is revoked ---------------------------------------
N=2
jail_set relay "expires_at=now-60"
bed_revoke "$(jail_field relay access_token)"
bed_revoke "$(jail_field relay refresh_token)"
[ "$PF_CHROOT" = y ] && timer
lines0=$(wc -l < "$PF_LOG")
send_all revoked relay@example.com desk@example.com
pf_flush
wait_for 30 '[ "$(deferred_since)" -ge "$N" ] && [ "$(pf_queued)" = "$N" ]'
deferred=$(deferred_since)
why=$(tail -n +"$lines0" "$PF_LOG" | grep -m1 'SASL authentication problem')
if [ "$deferred" -ge "$N" ] && [ "$(pf_queued)" = "$N" ] && [ "$(bounced)" = 0 ] &&
	echo "$why" | grep -q "AADSTS50173" && echo "$why" | grep -qF "sasl-oauth login relay"; then
	pass "revoked refresh token: $N deferred, 0 bounced; mail.log: ${why#*: warning: }"
else
	fail "revoked refresh token: $deferred deferred, $(pf_queued) queued, $(bounced) bounced; log: $why"
	[ "$PF_CHROOT" = y ] && echo "timer: $TIMER_OUT"
fi
LOGIN_OUT=$(timeout 60 "$CLI" login relay </dev/null 2>&1)
RC=$?
pf_flush
wait_for 30 '[ "$(delivered revoked)" = "$N" ]'
if [ "$RC" = 0 ] && [ "$(delivered revoked)" = "$N" ] && [ "$(pf_queued)" = 0 ] && [ ! -e "$STATE/relay.json.failed" ]; then
	pass "after 'sasl-oauth login relay' and 'postqueue -f': $N delivered, nothing lost"
else
	fail "after the new login (exit $RC): $(delivered revoked) of $N delivered, $(pf_queued) queued"; show_log 20
fi

# ---- 6. no cache where smtp looks (chroot = y) -----------------------------
# The message says where smtp looked inside the jail, where that is outside,
# and what to run there.
if [ "$PF_CHROOT" = y ]; then
	mv "$STATE/relay.json" "$BED_DIR/relay.json.away"
	lines0=$(wc -l < "$PF_LOG")
	send_all missing relay@example.com
	pf_flush
	wait_for 30 '[ "$(deferred_since)" -ge 1 ] && [ "$(pf_queued)" = 1 ]'
	why=$(tail -n +"$lines0" "$PF_LOG" | grep -m1 'SASL authentication problem')
	if echo "$why" | grep -qF "at '/var/lib/sasl-oauth/relay.json' inside the chroot, which is '$STATE/relay.json' outside it; outside the chroot run: sasl-oauth login relay" &&
		[ "$(pf_queued)" = 1 ]; then
		pass "no cache in the jail: deferred; mail.log: ${why#*: warning: }"
	else
		fail "no cache in the jail: $(pf_queued) queued; log: $why"
	fi
	mv "$BED_DIR/relay.json.away" "$STATE/relay.json"
	pf_flush
	wait_for 30 '[ "$(delivered missing)" = 1 ]'
	[ "$(delivered missing)" = 1 ] || fail "the mail deferred for the missing cache was not delivered afterwards"
fi

# ---- the count ---------------------------------------------------------------
total=$(find "$BED_DIR/sink" -name '*.eml' | wc -l)
if [ "$total" = "$SENT" ] && [ "$(pf_queued)" = 0 ] && [ "$(bounced)" = 0 ]; then
	pass "chroot = $PF_CHROOT: $SENT mails accepted, $total delivered, 0 bounced, 0 left in the queue"
else
	fail "chroot = $PF_CHROOT: $SENT accepted, $total delivered, $(bounced) bounced, $(pf_queued) queued"
fi
pf_stop
if [ -n "$(_pf_tree "$PF_MASTER" 2>/dev/null)" ] || pgrep -f "$PF_CONF" >/dev/null; then
	fail "Postfix processes are left"
fi
cp "$PF_LOG" "${SAO_KEEP_MAILLOG:-/dev/null}" 2>/dev/null
finish
