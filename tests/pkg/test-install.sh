#!/bin/bash
# SPDX-License-Identifier: MIT
# make install into a DESTDIR installs what the packages are made from: the
# command, the plugin (no .la), the system, template and user units naming
# $(bindir)/sasl-oauth, the three man pages, the example configuration and
# the root-only credentials directory; and no configuration file, which
# would turn the plugin on. make uninstall takes it all away again.
. "$(dirname "$0")/../integration/lib.sh"
need make
grep -q '^systemdsystemunitdir = ' "$top_builddir/Makefile" || skip "not configured"
# Our own make, not a child of the make that runs the tests (its flags would
# print directories and share its job server).
unset MAKEFLAGS MFLAGS MAKELEVEL
dest=$(mktemp -d /tmp/sao-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
if ! make -s -C "$top_builddir" install DESTDIR="$dest" > "$dest.log" 2>&1; then
	cat "$dest.log"; rm -f "$dest.log"
	echo "FAIL: make install"; exit 1
fi
rm -f "$dest.log"
# Each directory as make expands it (prefix, DESTDIR-free).
var() { printf 'print-%%:\n\t@echo $($*)\n' | make -s --no-print-directory -C "$top_builddir" -f Makefile -f - "print-$1"; }
bindir=$(var bindir) sysconfdir=$(var sysconfdir) mandir=$(var mandir) docdir=$(var docdir)
plugindir=$(var plugindir) sysunits=$(var systemdsystemunitdir) userunits=$(var systemduserunitdir)

want=(
	"$bindir/sasl-oauth" "$plugindir/libsasl-oauth.so"
	"$mandir/man1/sasl-oauth.1" "$mandir/man5/sasl-oauth.conf.5" "$mandir/man7/sasl-oauth.7"
	"$docdir/examples/sasl-oauth.conf.example"
	"$sysunits/sasl-oauth-refresh.service" "$sysunits/sasl-oauth-refresh.timer"
	"$sysunits/sasl-oauth-refresh@.service" "$sysunits/sasl-oauth-refresh@.timer"
	"$userunits/sasl-oauth-refresh.service" "$userunits/sasl-oauth-refresh.timer"
)
got=$(cd "$dest" && find . -type f | sed 's|^\.||' | sort)
expected=$(printf '%s\n' "${want[@]}" | sort)
if [ "$got" = "$expected" ]; then
	pass "make install: ${#want[@]} files where configure put them"
else
	fail "make install differs from the expected list:"
	diff <(echo "$expected") <(echo "$got") | sed 's/^/    /'
fi
[ "$(stat -c %a "$dest$sysconfdir/sasl-oauth/credentials" 2>/dev/null)" = 700 ] &&
	pass "$sysconfdir/sasl-oauth/credentials is 0700" || fail "no 0700 $sysconfdir/sasl-oauth/credentials"
lines=$(cat "$dest$sysunits"/*.service "$dest$userunits"/*.service | grep '^ExecStart=')
others=$(echo "$lines" | grep -v "^ExecStart=$bindir/sasl-oauth refresh --all\( \|$\)")
[ -n "$lines" ] && [ -z "$others" ] && pass "units run $bindir/sasl-oauth refresh --all" || fail "units: $lines"

make -s -C "$top_builddir" uninstall DESTDIR="$dest" > /dev/null 2>&1 || fail "make uninstall"
left=$(cd "$dest" && find . -type f)
[ -z "$left" ] && pass "make uninstall leaves no file" || fail "left after uninstall: $left"
finish
