#!/bin/bash
# SPDX-License-Identifier: MIT
# A new user, from an empty home directory to mail in mbsync: counts the
# commands the user types and prints the count (the goal is 3: install,
# "sasl-oauth setup", mbsync).
#
# What stands in for the world, and is not counted: the private Dovecot and
# the local identity provider of tests/bed/ stand in for Exchange Online
# and Entra ID; "install" puts the build tree on PATH and SASL_PATH (what
# the package does in /usr); setup's --authority, --client-id and --no-mx
# point it at the local provider (an installed package names the client id
# in /etc/sasl-oauth/sasl-oauth.conf's [defaults]); and ~/.mbsyncrc gets the
# bed's port and CA where Exchange's name stands. The provider approves the
# device code as the user would on the sign-in page.
. "$(dirname "$0")/integration/lib.sh"
. "$top_srcdir/tests/integration/clients.sh"
need mbsync
[ -x "$CLI" ] || skip "$CLI is not built"
start_bed
bed_add_user alice@example.com
for i in 1 2; do deliver "welcome $i"; done
bed_config '{"device_interval": 1, "device_approve_after": 1, "login_upn": "alice@example.com"}' >/dev/null

# The new user: an empty home, nothing of ours on PATH.
export HOME="$BED_DIR/alice"
mkdir -m 700 "$HOME"
unset XDG_CONFIG_HOME XDG_STATE_HOME SASL_OAUTH_CONF SASL_OAUTH_CLI BROWSER DISPLAY WAYLAND_DISPLAY SASL_PATH
cd "$HOME" || exit 1
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

# 1. install (here: the build tree instead of /usr).
COMMANDS=$((COMMANDS + 1))
echo "$COMMANDS \$ apt install sasl-oauth libsasl2-modules-oauth   # here: the build tree on PATH and SASL_PATH"
# shellcheck disable=SC2086
SASL_PATH=$(plugin_dir "$BED_DIR/installed-sasl2" $SYSTEM_PLUGINS) || exit 1
export PATH="$top_builddir/cli:$PATH" SASL_PATH

# 2. setup (the bed's options are not the user's: see above).
typed sasl-oauth setup alice@example.com --for mbsync --write ~/.mbsyncrc \
	--authority "$BED_IDP_URL" --client-id 3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b --no-mx
[ "$TYPED_RC" = 0 ] && [ -f ~/.mbsyncrc ] || { echo "FAIL: setup exited $TYPED_RC"; exit 1; }
sed -i "s#outlook\.office365\.com#localhost#; s#^Host localhost\$#&\nPort $BED_IMAPS_PORT#" ~/.mbsyncrc
export SSL_CERT_FILE="$BED_CA"

# 3. mbsync.
typed mbsync -a
got=$(find ~/Mail/example/INBOX/cur ~/Mail/example/INBOX/new -type f 2>/dev/null | wc -l)
if [ "$got" = 2 ]; then
	echo "mail arrived ($got messages in ~/Mail/example/INBOX)"
	echo "commands typed until mail arrived: $COMMANDS"
	[ "$COMMANDS" -le 3 ] || { echo "FAIL: more than 3 commands"; exit 1; }
	exit 0
fi
echo "FAIL: no mail after $COMMANDS commands ($got messages)"
exit 1
