#!/bin/bash
# SPDX-License-Identifier: MIT
# sendmail relays through the plugin with AuthInfo "M:XOAUTH2" to the bed's
# submission port: one mail delivered; with an expired token the mail is
# deferred (queued, not bounced) and delivered by the next queue run once
# "sasl-oauth refresh" has run.
#
# Debian's sendmail cannot be installed next to postfix (both provide
# mail-transport-agent), so tests/tools/deps.sh unpacks its packages into
# $SAO_SENDMAIL_ROOT, and sendmail runs from there in a private mount and
# UTS namespace: a fully qualified host name (else sendmail sleeps 60 s),
# an overlay on /etc that adds /etc/sasl-oauth/sasl-oauth.conf (sendmail is
# set-gid, so the plugin reads only the system file, as it must), and the
# SASL plugin directory replaced by one holding only our plugin. Nothing
# outside the namespace changes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
SM=${SAO_SENDMAIL_ROOT:-/var/cache/sasl-oauth-tests/sendmail}
[ "$(id -u)" = 0 ] || skip "sendmail's namespace needs root"
[ -x "$SM/usr/libexec/sendmail/sendmail" ] ||
	skip "sendmail is not unpacked in $SM (it conflicts with postfix as a package); run tests/tools/deps.sh"
need unshare m4 mount
[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
start_bed
bed_add_user relay@example.com

P="$BED_DIR/sendmail"
mkdir -p "$P/queue" "$P/etc/upper/sasl-oauth" "$P/etc/work" "$P/plugins" "$P/state"
chmod 700 "$P/queue" "$P/state"
# A copy, not a link: sendmail checks that nobody else can replace a plugin.
cp "$PLUGIN_DIR/libsasl-oauth.so" "$P/plugins/"
# from_page NAME: a block of docs/clients/sendmail.md pointed at the bed:
# its submission port, example.com, and private paths for /var/lib and
# /etc/mail.
from_page() {
	local text
	text=$(page_block sendmail.md "$1") || { printf '%s\n' "$text"; exit 1; }
	printf '%s\n' "$text" | sed -e "s#smtp\.office365\.com#127.0.0.1#g" -e "s#TCP \$h 587#TCP \$h $BED_SUBMISSION_PORT#" \
		-e "s#/var/lib/sasl-oauth/#$P/state/#g" -e "s#/etc/mail/#$P/#g" -e "s#contoso\.com#example.com#g"
}
CONF="$P/etc/upper/sasl-oauth/sasl-oauth.conf"
from_page sasl-oauth.conf > "$CONF"
echo "authority = $BED_IDP_URL" >> "$CONF"
chmod 644 "$CONF"

# The relay lines of docs/clients/sendmail.md, with the bed's port, and
# private paths for what a real sendmail keeps under /etc/mail and
# /var/spool.
{
	printf '%s\n' 'divert(-1)' 'divert(0)dnl' "OSTYPE(\`linux')dnl" "define(\`confDOMAIN_NAME', \`relay.sasl-oauth.test')dnl"
	from_page sendmail.mc
	cat <<EOF
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$P/queue')dnl
define(\`ALIAS_FILE', \`$P/aliases')dnl
define(\`confHELP_FILE', \`/dev/null')dnl
define(\`STATUS_FILE', \`/dev/null')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,MapInUnsafeDirPath')dnl
MAILER(\`smtp')dnl
EOF
} > "$P/relay.mc"
: > "$P/aliases"
m4 -D_CF_DIR_="$SM/usr/share/sendmail/cf/" "$SM/usr/share/sendmail/cf/m4/cf.m4" "$P/relay.mc" > "$P/relay.cf" ||
	{ fail "m4 could not build sendmail.cf"; finish; }
from_page authinfo > "$P/authinfo"
chmod 600 "$P/authinfo"
LD_LIBRARY_PATH="$SM/usr/lib/x86_64-linux-gnu" "$SM/usr/libexec/sendmail/makemap" -C "$P/relay.cf" \
	hash "$P/authinfo" < "$P/authinfo" || fail "makemap could not build the authinfo map"

# sm ARGS...: sendmail in its namespace; output in SM_OUT, status in SM_RC.
sm() {
	SM_OUT=$(timeout 60 unshare --uts --mount --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc/upper,workdir=$1/etc/work" /etc &&
		mount --bind "$1/plugins" "$2" && hostname relay.sasl-oauth.test || exit 70
		shift 2
		exec "$@"' sh "$P" "$SYSTEM_PLUGIN_DIR" env LD_LIBRARY_PATH="$SM/usr/lib/x86_64-linux-gnu" \
		"$SM/usr/libexec/sendmail/sendmail" -C "$P/relay.cf" "$@" 2>&1)
	SM_RC=$?
}
send() {
	printf 'From: relay@example.com\nTo: bob@example.com\nSubject: %s\n\nrelayed by sendmail\n' "$1" > "$P/msg"
	sm -odi -v -f relay@example.com bob@example.com < "$P/msg"
}
delivered() { grep -lF "Subject: $1" "$BED_DIR"/sink/*.eml 2>/dev/null | wc -l; }
queued() { find "$P/queue" -name 'qf*' | wc -l; }

# The first sign-in, as the documentation says (the device code is
# approved by the identity provider after one poll).
unset BROWSER
bed_config '{"login_upn": "relay@example.com", "device_interval": 1, "device_approve_after": 0}'
cli() { SASL_OAUTH_CONF="$CONF" timeout 60 "$CLI" "$@" </dev/null >"$P/cli.out" 2>&1; }
cli login relay || { fail "sasl-oauth login relay: $(cat "$P/cli.out")"; finish; }

send "sendmail 1"
if [ "$SM_RC" = 0 ] && [ "$(delivered "sendmail 1")" = 1 ] &&
	grep -q "submission-login: Info: Login: user=<relay@example.com>, method=XOAUTH2" "$BED_DIR/dovecot.log"; then
	pass "sendmail relayed through submission with AuthInfo M:XOAUTH2 and our plugin"
else
	fail "sendmail: exit $SM_RC, $(delivered "sendmail 1") delivered"; echo "$SM_OUT" | tail -15 | sed 's/^/    | /'
fi

# Expired, nothing to refresh it here: deferred and queued, not bounced.
cache_edit "$P/state/relay.json" "expires_at=now-60"
bed_revoke "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$P/state/relay.json")"
send "sendmail 2"
if [ "$SM_RC" = 0 ] && echo "$SM_OUT" | grep -q "Deferred" && [ "$(queued)" = 1 ] && [ "$(delivered "sendmail 2")" = 0 ] &&
	! grep -qs "Subject: .*eturned mail" "$BED_DIR"/sink/*.eml; then
	pass "expired token: sendmail deferred the mail ($(echo "$SM_OUT" | grep -m1 Deferred)), 1 queued, nothing bounced"
else
	fail "expired token: exit $SM_RC, $(queued) queued, $(delivered "sendmail 2") delivered"; echo "$SM_OUT" | tail -8
fi
cli refresh relay || fail "sasl-oauth refresh relay: $(cat "$P/cli.out")"
sm -q -v
if [ "$(delivered "sendmail 2")" = 1 ] && [ "$(queued)" = 0 ]; then
	pass "after 'sasl-oauth refresh relay' the queue run delivered it: 1 queued, 1 delivered, 0 bounced"
else
	fail "queue run after the refresh: $(delivered "sendmail 2") delivered, $(queued) queued"; echo "$SM_OUT" | tail -8
fi
finish
