#!/bin/bash
# SPDX-License-Identifier: MIT
# build-rpm.sh TARBALL OUTDIR: binary RPMs of a release tarball with
# "rpmbuild -bb" in OUTDIR (RPMS/ARCH/*.rpm, build.log). On Debian, rpm's
# database holds none of the BuildRequires, so --nodeps is passed there and
# the build uses the Debian -dev packages. Used by "make rpm".
set -eu
tarball=$1 out=$2
command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild is missing; apt-get install rpm" >&2; exit 1; }
nodeps=
[ -e /etc/debian_version ] && nodeps=--nodeps
rm -rf "$out"
mkdir -p "$out/SOURCES" "$out/SPECS"
cp "$tarball" "$out/SOURCES/"
tar -xzf "$tarball" -O --wildcards '*/packaging/rpm/sasl-oauth.spec' > "$out/SPECS/sasl-oauth.spec"
echo "build-rpm: rpmbuild -bb $nodeps (log: $out/build.log)"
if ! rpmbuild -bb $nodeps --define "_topdir $out" ${SAO_RPM_OPTS:-} "$out/SPECS/sasl-oauth.spec" > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "build-rpm: rpmbuild failed; see $out/build.log" >&2
	exit 1
fi
find "$out/RPMS" -name '*.rpm' -exec ls -l {} +
