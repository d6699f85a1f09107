#!/bin/bash
# SPDX-License-Identifier: MIT
# "sasl-oauth setup EMAIL" as a new user runs it: from a home directory
# with nothing in it (no ~/.config, no ~/.local), against a private Dovecot
# and the local identity provider (OpenID discovery for example.com in the
# global cloud, example.us in the US government cloud, example.net no
# tenant), the device code approved by the provider. Then mbsync, msmtp
# and fetchmail run with exactly the lines setup printed, and the mail
# arrives (or is sent). Also: the
# lines of every --for program are the docs/clients/ pages' lines, what is
# written and its modes, refusal to replace an account, --force, [defaults],
# the registration steps without a client id, and a sign-in from a home
# without ~/.local.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
[ -x "$CLI" ] || skip "$CLI is not built"

CID=3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b

echo "== the lines of every --for program are the docs/clients/ pages' lines"
SCRATCH=$(mktemp -d /tmp/sao-setup-XXXXXX)
if out=$(HOME="$SCRATCH" "$PY" "$top_srcdir/tests/integration/snippets.py" "$CLI" "$top_srcdir/docs/clients" "$SCRATCH"); then
	printf '%s\n' "$out" | sed 's/^ok: /ok: lines: /'
else
	printf '%s\n' "$out"
	fail "setup's lines and the pages differ"
fi
rm -rf "$SCRATCH"

start_bed
export PATH="$top_builddir/cli:$PATH"
# The plugin refreshes with the sasl-oauth just built.
export SASL_OAUTH_CLI="$CLI"
unset BROWSER DISPLAY WAYLAND_DISPLAY
bed_add_user alice@example.com
for i in 1 2 3; do deliver "setup message $i"; done
bed_config '{"device_interval": 1, "device_approve_after": 1, "login_upn": "alice@example.com"}' >/dev/null

OUT="$BED_DIR/setup.out"
ERR="$BED_DIR/setup.err"

# new_home: a home directory with nothing in it, as a new user has.
new_home() {
	export HOME="$BED_DIR/$1"
	rm -rf "$HOME"
	mkdir -m 700 "$HOME"
	unset XDG_CONFIG_HOME XDG_STATE_HOME SASL_OAUTH_CONF
}

# setup ARGS...: runs "sasl-oauth setup" (stdin /dev/null), sets RC.
setup() {
	timeout 120 "$CLI" setup "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}

show() { sed 's/^/    | /' "$OUT" "$ERR" | head -n 40; }
mode() { stat -c %a "$1" 2>/dev/null; }
conf() { cat "$HOME/.config/sasl-oauth/config"; }

# The tenant id the provider's discovery gives for a domain.
tenant_of() {
	"$PY" - "$BED_IDP_URL/$1/v2.0/.well-known/openid-configuration" <<'PY'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(json.load(opener.open(sys.argv[1], timeout=20))["issuer"].split("/")[3])
PY
}

echo "== mbsync: setup from an empty home, then mbsync with the printed lines"
need_mbsync=1
command -v mbsync >/dev/null 2>&1 || need_mbsync=0
new_home mbsync-user
setup alice@example.com --authority "$BED_IDP_URL" --client-id "$CID" --for mbsync --yes --no-mx --no-test
tid=$(tenant_of example.com)
if [ "$RC" = 0 ] && grep -qxF "tenant = $tid" <(conf) && grep -qxF "users = alice@example.com" <(conf) &&
	grep -qxF "cloud = global" <(conf) && grep -qxF "flow = device" <(conf) &&
	grep -qxF "[account example]" <(conf) && grep -q "^IMAPAccount example$" "$OUT"; then
	pass "setup --for mbsync: account 'example', tenant $tid from discovery, device flow, mbsync lines on stdout"
else
	fail "setup --for mbsync (exit $RC)"
	show
fi
if [ "$(mode "$HOME/.config")" = 700 ] && [ "$(mode "$HOME/.config/sasl-oauth")" = 700 ] &&
	[ "$(mode "$HOME/.config/sasl-oauth/config")" = 600 ] && [ "$(mode "$HOME/.local/state/sasl-oauth")" = 700 ] &&
	[ "$(mode "$HOME/.local/state/sasl-oauth/example.json")" = 600 ]; then
	pass "modes: ~/.config 0700, its sasl-oauth 0700, config 0600; ~/.local/state/sasl-oauth 0700 and the cache 0600 (no ~/.local before)"
else
	fail "modes: .config $(mode "$HOME/.config") config $(mode "$HOME/.config/sasl-oauth/config") state $(mode "$HOME/.local/state/sasl-oauth") cache $(mode "$HOME/.local/state/sasl-oauth/example.json")"
fi
if grep -q "^Code: " "$ERR" && grep -q "ready: account 'example' for alice@example.com is signed in" "$ERR" &&
	! grep -q "^Code: " "$OUT"; then
	pass "the sign-in prompt and the report on stderr, only the lines on stdout: $(grep '^sasl-oauth: ready' "$ERR")"
else
	fail "stdout/stderr split"
	show
fi
if [ "$need_mbsync" = 1 ]; then
	# The bed's changes only: its IMAPS port on localhost, its CA.
	to_bed < "$OUT" | sed "s#^Host localhost\$#&\nPort $BED_IMAPS_PORT#" > "$BED_DIR/mbsyncrc"
	mbsync_out=$(SSL_CERT_FILE="$BED_CA" timeout 60 mbsync -V -c "$BED_DIR/mbsyncrc" example </dev/null 2>&1)
	mbsync_rc=$?
	got=$(find "$HOME/Mail/example/INBOX/cur" "$HOME/Mail/example/INBOX/new" -type f 2>/dev/null | wc -l)
	if [ "$mbsync_rc" = 0 ] && [ "$got" = 3 ] &&
		printf '%s\n' "$mbsync_out" | grep -q "Authenticating with SASL mechanism XOAUTH2"; then
		pass "mbsync with the printed lines synced $got messages over XOAUTH2"
	else
		fail "mbsync with the printed lines: exit $mbsync_rc, $got messages"
		printf '%s\n' "$mbsync_out" | grep -v '^[<>] ' | sed 's/^/    | /' | head -20
	fi
else
	skip_case "mbsync after setup" "mbsync is not installed"
fi
# Without --no-test, setup logs in to the provider's servers with "sasl-oauth
# test" after the sign-in and says how that went, one line per server, on
# stderr (stdout holds the lines). Here they are Exchange Online's names,
# which this machine cannot reach: the lines name them, and the exit status
# is test's (5).
setup alice@example.com --for msmtp --yes
if [ "$RC" = 5 ] && grep -q "signed in already" "$ERR" &&
	grep -q "^sasl-oauth: test: connecting to outlook.office365.com:993 (IMAP) failed: " "$ERR" &&
	grep -q "^sasl-oauth: test: connecting to smtp.office365.com:587 (SMTP) failed: " "$ERR" &&
	grep -q "check the host name, and that this machine can resolve names" "$ERR" &&
	grep -q "^sasl-oauth: account 'example' is written and signed in, but the test login failed as said above; after the fix, check again with: sasl-oauth test imaps://alice@example.com@outlook.office365.com:993" "$ERR" &&
	grep -q "^account example$" "$OUT" && ! grep -q "connecting to" "$OUT"; then
	pass "setup runs sasl-oauth test against IMAP and, for a program that sends, SMTP: one line each on stderr"
else
	fail "setup's test login (exit $RC)"
	show
fi

echo "== msmtp: setup from an empty home, then msmtp with the printed lines"
if command -v msmtp >/dev/null 2>&1; then
	new_home msmtp-user
	setup alice@example.com --authority "$BED_IDP_URL" --client-id "$CID" --for msmtp --yes --no-mx --no-test
	if [ "$RC" = 0 ] && grep -q "^passwordeval \"sasl-oauth token example\"$" "$OUT"; then
		to_bed < "$OUT" | sed "s#^tls_starttls on\$#&\ntls_trust_file $BED_CA#" > "$HOME/.msmtprc"
		chmod 600 "$HOME/.msmtprc"
		printf 'From: alice@example.com\r\nTo: bob@example.com\r\nSubject: sent after setup\r\n\r\nhello\r\n' |
			timeout 60 msmtp bob@example.com >"$BED_DIR/msmtp.out" 2>&1
		msmtp_rc=$?
		for ((i = 0; i < 40; i++)); do sink_has "sent after setup" && break; sleep 0.25; done
		if [ "$msmtp_rc" = 0 ] && sink_has "sent after setup"; then
			pass "msmtp with the printed lines sent a message through submission with XOAUTH2"
		else
			fail "msmtp with the printed lines: exit $msmtp_rc"
			sed 's/^/    | /' "$BED_DIR/msmtp.out" | head
		fi
	else
		fail "setup --for msmtp (exit $RC)"
		show
	fi
	# Again for the same address: the account is used, not written twice,
	# and no second sign-in; --write adds the lines to ~/.msmtprc only if new.
	before=$(conf)
	setup alice@example.com --for msmtp --yes --write "$HOME/.msmtprc" --no-test
	if [ "$RC" = 4 ] && [ "$(conf)" = "$before" ] && grep -q "already has 'account example'" "$ERR" &&
		grep -q "using account 'example'" "$ERR" && grep -q "signed in already" "$ERR"; then
		pass "setup again: the account is reused (no new sign-in) and --write refuses a second 'account example'"
	else
		fail "setup again for msmtp (exit $RC)"
		show
	fi
else
	skip_case "msmtp after setup" "msmtp is not installed"
fi

echo "== fetchmail: setup from an empty home, then fetchmail with the printed lines"
if command -v fetchmail >/dev/null 2>&1; then
	new_home fetchmail-user
	setup alice@example.com --authority "$BED_IDP_URL" --client-id "$CID" --for fetchmail --yes --no-mx --no-test
	if [ "$RC" = 0 ] && grep -qF 'plugin "sasl-oauth tunnel imap://alice@example.com@%h:%p"' "$OUT"; then
		mkdir -p "$BED_DIR/fetched"
		printf '#!/bin/sh\nexec cat > "%s/$(date +%%s%%N).$$.eml"\n' "$BED_DIR/fetched" > "$BED_DIR/mda.sh"
		chmod 755 "$BED_DIR/mda.sh"
		# The bed's changes: its server on localhost (port by --service, CA
		# by SSL_CERT_FILE), a delivery line into a directory, and a pid
		# file of its own (root's is /var/run/fetchmail.pid, which another
		# test's fetchmail may hold).
		{ to_bed < "$OUT"; printf '    mda "%s"\n' "$BED_DIR/mda.sh"; } > "$BED_DIR/fetchmailrc"
		chmod 600 "$BED_DIR/fetchmailrc"
		deliver "for fetchmail 1"
		deliver "for fetchmail 2"
		SSL_CERT_FILE="$BED_CA" timeout 60 fetchmail -f "$BED_DIR/fetchmailrc" --service "$BED_IMAP_PORT" --nosyslog -v \
			--pidfile "$BED_DIR/fetchmail.pid" \
			</dev/null >"$BED_DIR/fetchmail.log" 2>&1
		fm_rc=$?
		got=$(find "$BED_DIR/fetched" -name '*.eml' | wc -l)
		if [ "$fm_rc" = 0 ] && [ "$got" -ge 2 ] && grep -q 'sasl-oauth: logged in as alice@example.com with XOAUTH2' "$BED_DIR/fetchmail.log"; then
			pass "fetchmail with the printed lines fetched $got messages through the tunnel"
		else
			fail "fetchmail with the printed lines: exit $fm_rc, $got messages"
			grep -v '^fetchmail: IMAP[<>] [0-9]' "$BED_DIR/fetchmail.log" | tail -15 | sed 's/^/    | /'
		fi
	else
		fail "setup --for fetchmail (exit $RC)"
		show
	fi
else
	skip_case "fetchmail after setup" "fetchmail is not installed"
fi

echo "== a sign-in from a home without ~/.local"
rm -rf "$HOME/.local"
timeout 60 "$CLI" login example </dev/null >"$OUT" 2>"$ERR"
RC=$?
if [ "$RC" = 0 ] && [ "$(mode "$HOME/.local/state/sasl-oauth/example.json")" = 600 ] &&
	[ "$(mode "$HOME/.local")" = 700 ]; then
	pass "login made ~/.local/state/sasl-oauth (0700) before the sign-in and stored the tokens"
else
	fail "login without ~/.local (exit $RC)"
	show
fi

echo "== refusals, --force, other domains"
new_home admin
setup alice@example.com --authority "$BED_IDP_URL" --client-id "$CID" --yes --no-mx --no-login
before=$(conf)
setup alice@example.com --authority "$BED_IDP_URL" --client-id 11111111-1111-1111-1111-111111111111 --yes --no-mx --no-login
if [ "$RC" = 4 ] && [ "$(conf)" = "$before" ] && grep -q "nothing was changed; to replace the account, add --force" "$ERR"; then
	pass "another client id for an existing account: refused, the file unchanged"
else
	fail "no refusal to change the account (exit $RC)"
	show
fi
# The same provider, cloud and flow as the account's (words of the
# configuration, not the file's text) are no change; another cloud is.
setup alice@example.com --provider microsoft --cloud global --flow device --yes --no-mx --no-login
if [ "$RC" = 0 ] && [ "$(conf)" = "$before" ] && grep -q "using account 'example'" "$ERR"; then
	pass "--provider, --cloud and --flow that match the account: it is used as it is"
else
	fail "matching --provider/--cloud/--flow (exit $RC)"
	show
fi
setup alice@example.com --cloud usgov --yes --no-mx --no-login
if [ "$RC" = 4 ] && [ "$(conf)" = "$before" ] && grep -q "serves alice@example.com with cloud = global, not usgov; nothing was changed" "$ERR"; then
	pass "another --cloud for an existing account: refused, naming both"
else
	fail "another --cloud (exit $RC)"
	show
fi
setup alice@example.com --authority "$BED_IDP_URL" --client-id 11111111-1111-1111-1111-111111111111 --yes --no-mx --no-login --force
if [ "$RC" = 0 ] && grep -q "replaced account 'example'" "$ERR" && [ "$(grep -c '^\[account' <(conf))" = 1 ] &&
	grep -qxF "client_id = 11111111-1111-1111-1111-111111111111" <(conf) && [ "$(mode "$HOME/.config/sasl-oauth/config")" = 600 ]; then
	pass "--force replaces the section, one account, mode 0600"
else
	fail "--force (exit $RC)"
	show
fi
setup bob@example.com --authority "$BED_IDP_URL" --client-id "$CID" --yes --no-mx --no-login
if [ "$RC" = 4 ] && grep -q "account 'example' already exists in .*config:1; nothing was written" "$ERR"; then
	pass "a second address whose default name is taken: refused with the line and --name"
else
	fail "name collision (exit $RC)"
	show
fi
setup carol@example.us --name carol --authority "$BED_IDP_URL" --client-id "$CID" --yes --no-mx --no-login --for mutt
if [ "$RC" = 0 ] && grep -q "^cloud = usgov$" <(conf) && grep -qF 'imaps://outlook.office365.us:993/' "$OUT" &&
	grep -qF 'smtp://carol@example.us@smtp.office365.us:587/' "$OUT"; then
	pass "example.us: the US government cloud from discovery, and its servers in the mutt lines"
else
	fail "national cloud (exit $RC)"
	show
fi
setup dave@example.net --authority "$BED_IDP_URL" --client-id "$CID" --yes --no-mx --no-login
if [ "$RC" = 4 ] && grep -q "example.net has no Microsoft Entra ID tenant (AADSTS90002)" "$ERR" &&
	grep -q "give --provider" "$ERR" && ! grep -q "dave@example.net" <(conf); then
	pass "example.net (AADSTS90002): not guessed; the message names --provider"
else
	fail "not-Microsoft domain (exit $RC)"
	show
fi
setup erin@example.com --name erin --authority "$BED_IDP_URL" --yes --no-mx --no-login
if [ "$RC" = 4 ] && grep -q "Allow public client flows: Yes" "$ERR" && grep -q "az ad app create" "$ERR" &&
	grep -q "IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send" "$ERR" && ! grep -q "erin" <(conf); then
	pass "no client id: the registration steps and the az line, nothing written"
else
	fail "no client id (exit $RC)"
	show
fi
printf '[defaults]\nclient_id = 22222222-2222-2222-2222-222222222222\n\n%s\n' "$(conf)" > "$BED_DIR/c" &&
	cat "$BED_DIR/c" > "$HOME/.config/sasl-oauth/config"
setup frank@example.com --name frank --authority "$BED_IDP_URL" --yes --no-mx --no-login
if [ "$RC" = 0 ] && grep -A8 '^\[account frank\]' <(conf) | grep -qxF "client_id = 22222222-2222-2222-2222-222222222222"; then
	pass "[defaults] client_id fills in the client id"
else
	fail "[defaults] (exit $RC)"
	show
fi
setup grace@example.org --provider generic --yes --no-login --client-id x
if [ "$RC" = 2 ] && grep -q "needs --token-endpoint URL and --scope" "$ERR"; then
	pass "--provider generic without endpoints: a usage error naming them"
else
	fail "generic (exit $RC)"
	show
fi
finish
