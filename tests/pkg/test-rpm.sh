#!/bin/bash
# SPDX-License-Identifier: MIT
# The binary RPMs of packaging/rpm/sasl-oauth.spec (built by "make rpm"
# when build/rpm has none): Fedora's layout, each file in the package it
# belongs to, the credentials directory root-only, and the dependencies rpm
# cannot find by itself. Building takes a full compile, so it only runs
# when SAO_PKG_TEST=1 or when build/rpm already holds RPMs. Installing them
# is not checked on Debian (rpm's database knows none of the dependencies).
. "$(dirname "$0")/../integration/lib.sh"
need rpm rpmbuild flock
unset MAKEFLAGS MFLAGS MAKELEVEL  # our own make, not the test runner's
rpmdir="$top_builddir/build/rpm"
find_rpm() { find "$rpmdir/RPMS" -name "$1-[0-9]*.rpm" 2>/dev/null | head -n1; }
if [ -z "$(find_rpm sasl-oauth)" ]; then
	[ "${SAO_PKG_TEST:-}" = 1 ] || skip "no RPMs in $rpmdir; run make rpm or set SAO_PKG_TEST=1"
	# The unit tests run in this make check already: not again inside the build.
	# One release tarball at a time (test-deb.sh may be making one too).
	mkdir -p "$top_builddir/build"
	SAO_RPM_OPTS="--without check" flock "$top_builddir/build/.dist.lock" make -C "$top_builddir" rpm ||
		{ echo "FAIL: make rpm"; exit 1; }
fi
cli_rpm=$(find_rpm sasl-oauth) plugin_rpm=$(find_rpm cyrus-sasl-oauth)
[ -n "$cli_rpm" ] && [ -n "$plugin_rpm" ] || { echo "FAIL: expected sasl-oauth and cyrus-sasl-oauth RPMs"; exit 1; }
libdir=$(rpm --eval '%{_libdir}')

# expect RPM FILE...: exactly these files (directories aside), in any order.
expect() {
	local pkg=$1 got want
	shift
	# rpm adds /usr/lib/.build-id links on its own (Fedora too); docs are checked below.
	got=$(rpm -qlp "$pkg" 2>/dev/null | grep -v "^/usr/share/doc/\|^/usr/lib/.build-id" | sort)
	want=$(printf '%s\n' "$@" | sort)
	if [ "$got" = "$want" ]; then
		pass "$(basename "$pkg"): $(echo "$got" | wc -l) files as expected"
	else
		fail "$(basename "$pkg"): differs from the expected list:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/    /'
	fi
}
man=$(rpm -qlp "$cli_rpm" | grep -o '/usr/share/man/man1/sasl-oauth.1.*' | sed 's|.*sasl-oauth.1||')
expect "$plugin_rpm" "$libdir/sasl2/libsasl-oauth.so"
expect "$cli_rpm" /usr/bin/sasl-oauth \
	/etc/sasl-oauth /etc/sasl-oauth/credentials \
	/usr/lib/systemd/system/sasl-oauth-refresh.service /usr/lib/systemd/system/sasl-oauth-refresh.timer \
	/usr/lib/systemd/system/sasl-oauth-refresh@.service /usr/lib/systemd/system/sasl-oauth-refresh@.timer \
	/usr/lib/systemd/user/sasl-oauth-refresh.service /usr/lib/systemd/user/sasl-oauth-refresh.timer \
	"/usr/share/man/man1/sasl-oauth.1$man" "/usr/share/man/man5/sasl-oauth.conf.5$man" \
	"/usr/share/man/man7/sasl-oauth.7$man"
docs=$(rpm -qlp "$cli_rpm" | grep -c '^/usr/share/doc/sasl-oauth/')
rpm -qlp "$cli_rpm" | grep -q '^/usr/share/doc/sasl-oauth/examples/sasl-oauth.conf.example$' &&
	pass "example configuration and $docs documentation paths" || fail "no example configuration in $cli_rpm"
rpm -qlvp "$cli_rpm" | grep -q '^drwx------ .* root *root .* /etc/sasl-oauth/credentials$' &&
	pass "/etc/sasl-oauth/credentials is root's, 0700" || fail "mode of /etc/sasl-oauth/credentials: $(rpm -qlvp "$cli_rpm" | grep credentials)"
reqs=$(rpm -qp --requires "$plugin_rpm" 2>/dev/null)
for r in cyrus-sasl-lib json-c; do
	echo "$reqs" | grep -q "^$r" && pass "cyrus-sasl-oauth requires $r" || fail "cyrus-sasl-oauth does not require $r"
done
# The units name the installed command, not a build-tree path.
x=$(mktemp -d /tmp/sao-rpm-XXXXXX)
(cd "$x" && rpm2cpio "$cli_rpm" | cpio -idm --quiet './usr/lib/systemd/*')
exec_lines=$(cat "$x"/usr/lib/systemd/system/*.service "$x"/usr/lib/systemd/user/*.service 2>/dev/null | grep '^ExecStart=')
rm -rf "$x"
[ -n "$exec_lines" ] && ! echo "$exec_lines" | grep -qv '^ExecStart=/usr/bin/sasl-oauth refresh --all\( \|$\)' &&
	pass "units run /usr/bin/sasl-oauth" || fail "units: $exec_lines"
finish
