#!/bin/bash
# SPDX-License-Identifier: MIT
# A new user, from an empty home directory to mail: counts the commands the
# user types and prints the count, for mbsync and for fetchmail (the goal
# is 3 each: install, "sasl-oauth setup", the mail program).
#
# What stands in for the world, and is not counted: the private Dovecot and
# the local identity provider of tests/bed/ stand in for Exchange Online
# and Entra ID; "install" puts the build tree on PATH and SASL_PATH (what
# the package does in /usr); setup's --authority, --client-id and --no-mx
# point it at the local provider (an installed package names the client id
# in /etc/sasl-oauth/sasl-oauth.conf's [defaults]); ~/.mbsyncrc and
# ~/.fetchmailrc get the bed's server where Exchange's name stands, the CA
# comes from SSL_CERT_FILE, fetchmail the bed's port with --service and,
# since this machine runs no mail server on port 25 to deliver to, an --mda
# into a directory, and a --pidfile of its own (root's default,
# /var/run/fetchmail.pid, may be another test's). The provider approves the device code as the user would
# on the sign-in page.
. "$(dirname "$0")/integration/lib.sh"
. "$top_srcdir/tests/integration/clients.sh"
need mbsync
[ -x "$CLI" ] || skip "$CLI is not built"
start_bed
bed_add_user alice@example.com
for i in 1 2; do deliver "welcome $i"; done
bed_config '{"device_interval": 1, "device_approve_after": 1, "login_upn": "alice@example.com"}' >/dev/null

COMMANDS=0

# typed CMD...: a command the user types (shown, counted, run; what it
# prints follows, indented).
typed() {
	COMMANDS=$((COMMANDS + 1))
	printf '%d $ %s\n' "$COMMANDS" "${*//$HOME/\~}"
	"$@" </dev/null >"$BED_DIR/typed.out" 2>&1
	TYPED_RC=$?
	sed "s#$HOME#~#g; s/^/    /" "$BED_DIR/typed.out"
}

# new_user NAME: an empty home, nothing of ours on PATH; then command 1,
# the install (here: the build tree instead of /usr).
new_user() {
	export HOME="$BED_DIR/$1"
	mkdir -m 700 "$HOME"
	unset XDG_CONFIG_HOME XDG_STATE_HOME SASL_OAUTH_CONF SASL_OAUTH_CLI BROWSER DISPLAY WAYLAND_DISPLAY SASL_PATH
	PATH=$BASE_PATH
	cd "$HOME" || exit 1
	COMMANDS=1
	echo "== $1"
	echo "1 \$ apt install sasl-oauth libsasl2-modules-oauth   # here: the build tree on PATH and SASL_PATH"
	# shellcheck disable=SC2086
	SASL_PATH=$(plugin_dir "$BED_DIR/$1-sasl2" $SYSTEM_PLUGINS) || exit 1
	export PATH="$top_builddir/cli:$PATH" SASL_PATH
}

# setup_typed PROGRAM FILE: command 2 (the bed's options are not the user's).
setup_typed() {
	typed sasl-oauth setup alice@example.com --for "$1" --write "$2" \
		--authority "$BED_IDP_URL" --client-id 3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b --no-mx --no-test
	[ "$TYPED_RC" = 0 ] && [ -f "$2" ] || { echo "FAIL: setup exited $TYPED_RC"; exit 1; }
	sed -i "s#outlook\.office365\.com#localhost#" "$2"
}

# arrived PROGRAM COUNT WHERE: the result for one program: the 2 messages
# arrived, in at most 3 commands.
arrived() {
	if [ "$2" = 2 ]; then
		echo "mail arrived ($2 messages $3)"
		echo "$1: commands typed until mail arrived: $COMMANDS"
		[ "$COMMANDS" -le 3 ] || { echo "FAIL: more than 3 commands for $1"; RESULT=1; }
	else
		echo "FAIL: $1: no mail after $COMMANDS commands ($2 messages)"
		RESULT=1
	fi
}

BASE_PATH=$PATH
export SSL_CERT_FILE="$BED_CA"
RESULT=0

# mbsync: install, setup, mbsync -a.
new_user mbsync-user
setup_typed mbsync ~/.mbsyncrc
sed -i "s#^Host localhost\$#&\nPort $BED_IMAPS_PORT#" ~/.mbsyncrc
typed mbsync -a
arrived mbsync "$(find ~/Mail/example/INBOX/cur ~/Mail/example/INBOX/new -type f 2>/dev/null | wc -l)" \
	"in ~/Mail/example/INBOX"

# fetchmail: install, setup, fetchmail.
if command -v fetchmail >/dev/null 2>&1; then
	new_user fetchmail-user
	setup_typed fetchmail ~/.fetchmailrc
	mkdir -p "$BED_DIR/fetched"
	printf '#!/bin/sh\nexec cat > "%s/$(date +%%s%%N).$$.eml"\n' "$BED_DIR/fetched" > "$BED_DIR/mda.sh"
	chmod 755 "$BED_DIR/mda.sh"
	typed fetchmail --service "$BED_IMAP_PORT" --mda "$BED_DIR/mda.sh" --pidfile "$BED_DIR/fetchmail.pid"
	arrived fetchmail "$(find "$BED_DIR/fetched" -name '*.eml' | wc -l)" "delivered by fetchmail"
else
	skip_case "fetchmail" "fetchmail is not installed"
fi
exit "$RESULT"
