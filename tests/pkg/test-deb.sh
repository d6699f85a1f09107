#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian packages on this machine: installs build/deb/*.deb (built by
# "make deb" when missing), runs tests/pkg/installed.sh against the
# installed paths, then checks removal (no plugin left behind, users' caches
# kept) and purge (nothing the packages shipped is left, nothing else is
# touched). Installs into system paths, so it only runs when SAO_PKG_TEST=1
# (.ci/run sets it, where nothing else runs at the same time).
. "$(dirname "$0")/../integration/lib.sh"
[ "${SAO_PKG_TEST:-}" = 1 ] || skip "installs packages system-wide; set SAO_PKG_TEST=1 to run it"
need dpkg dpkg-buildpackage flock
unset MAKEFLAGS MFLAGS MAKELEVEL  # our own make, not the test runner's
[ "$(id -u)" = 0 ] || skip "needs root to install packages"
debdir="$top_builddir/build/deb"
if ! ls "$debdir"/libsasl2-modules-oauth_*.deb "$debdir"/sasl-oauth_*.deb >/dev/null 2>&1; then
	# The unit tests run in this make check already: not again inside the build.
	# make deb and make rpm both make the release tarball in the build tree:
	# one at a time when make check runs the two tests in parallel.
	mkdir -p "$top_builddir/build"
	DEB_BUILD_OPTIONS=nocheck flock "$top_builddir/build/.dist.lock" make -C "$top_builddir" deb ||
		{ echo "FAIL: make deb"; exit 1; }
fi
for p in libsasl2-modules-oauth sasl-oauth; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' &&
		skip "$p is installed already; this test does not touch an existing installation"
done
state=$(mktemp -d /tmp/sao-deb-test-XXXXXX)
cleanup() {
	dpkg --purge sasl-oauth libsasl2-modules-oauth >/dev/null 2>&1
	rm -rf "$state"
}
trap cleanup EXIT

dpkg -i "$debdir"/libsasl2-modules-oauth_*.deb "$debdir"/sasl-oauth_*.deb > "$state/install.log" 2>&1 &&
	pass "dpkg -i both packages" || { cat "$state/install.log"; echo "FAIL: dpkg -i"; exit 1; }
dpkg -L libsasl2-modules-oauth sasl-oauth | sort -u > "$state/files"
# No unit is enabled or started by installing.
if ls /etc/systemd/system/timers.target.wants/sasl-oauth* >/dev/null 2>&1; then
	fail "installing enabled a timer"
else
	pass "installing enabled no unit"
fi
[ "$(stat -c %a /etc/sasl-oauth/credentials)" = 700 ] && pass "/etc/sasl-oauth/credentials is 0700" ||
	fail "/etc/sasl-oauth/credentials is $(stat -c %a /etc/sasl-oauth/credentials)"
[ -e /etc/sasl-oauth/sasl-oauth.conf ] && fail "the package ships a configuration (it would turn the plugin on)"

# dpkg-buildflags' hardening reached both binaries: full RELRO, PIE for the
# command, fortified functions; and the plugin still needs nothing but libc.
plugin=$(grep '/libsasl-oauth.so$' "$state/files")
for f in /usr/bin/sasl-oauth "$plugin"; do
	dyn=$(readelf -dW "$f") segs=$(readelf -lW "$f")
	echo "$dyn" | grep -q 'BIND_NOW' && echo "$segs" | grep -q GNU_RELRO && pass "$f: full RELRO" || fail "$f: no full RELRO"
	[ "$(readelf -sW --dyn-syms "$f" | grep -c '__[a-z_]*_chk')" -gt 0 ] && pass "$f: fortified" || fail "$f: not fortified"
done
readelf -hW /usr/bin/sasl-oauth | grep -q 'DYN (Position-Independent' && pass "sasl-oauth is PIE" || fail "sasl-oauth is not PIE"
needed=$(readelf -dW "$plugin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && pass "the plugin needs only libc.so.6" || fail "the plugin needs: $needed"

if bash "$top_srcdir/tests/pkg/installed.sh"; then
	pass "installed.sh against the installed packages"
else
	fail "installed.sh against the installed packages"
fi

# A user's cache and a secret an administrator added survive remove and purge.
home="$state/home"
mkdir -p "$home/.local/state/sasl-oauth"
echo '{}' > "$home/.local/state/sasl-oauth/work.json"
echo 'secret' > /etc/sasl-oauth/credentials/sao-test
dpkg -r libsasl2-modules-oauth sasl-oauth > "$state/remove.log" 2>&1 || fail "dpkg -r: $(cat "$state/remove.log")"
[ -e "$plugin" ] && fail "removing left $plugin behind" || pass "removing took the plugin away"
[ -e /usr/bin/sasl-oauth ] && fail "removing left /usr/bin/sasl-oauth"
[ -f "$home/.local/state/sasl-oauth/work.json" ] && pass "the user's cache is kept" || fail "the user's cache is gone"
[ -f /etc/sasl-oauth/credentials/sao-test ] && pass "the administrator's secret is kept" || fail "a secret was removed"
rm -f /etc/sasl-oauth/credentials/sao-test

dpkg --purge libsasl2-modules-oauth sasl-oauth > "$state/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$state/purge.log")"
left=
while read -r f; do
	[ -f "$f" ] && left="$left $f"
done < "$state/files"
[ -z "$left" ] && pass "purging left no file the packages shipped" || fail "left after purge:$left"
[ -d /etc/sasl-oauth/credentials ] && fail "purge left the empty /etc/sasl-oauth/credentials"
[ -f "$home/.local/state/sasl-oauth/work.json" ] && pass "purge kept the user's cache" || fail "purge removed the user's cache"
finish
