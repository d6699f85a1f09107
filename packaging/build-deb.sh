#!/bin/bash
# SPDX-License-Identifier: MIT
# build-deb.sh TARBALL OUTDIR: the Debian binary packages of a release
# tarball, built with "dpkg-buildpackage -us -uc -b" in a temporary copy
# (dpkg-buildpackage writes its results next to the source directory), then
# checked with lintian. OUTDIR receives the .deb, .changes and .buildinfo
# files, build.log and lintian.txt. Used by "make deb".
set -eu
tarball=$1 out=$2
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing; apt-get install dpkg-dev debhelper" >&2; exit 1; }
done
work=$(mktemp -d /tmp/sao-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
cp -a "$src/packaging/debian" "$src/debian"
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out"/lintian.txt
echo "build-deb: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "build-deb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
fi
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
if [ "${SAO_LINTIAN:-yes}" != no ] && command -v lintian >/dev/null; then
	# Errors and warnings fail the build: a warning we accept is overridden
	# in debian/*.lintian-overrides, with the reason above it.
	# (--fail-on would count the overridden ones shown by --show-overrides.)
	if ! lintian --fail-on none --display-info --show-overrides "$out"/*.changes > "$out/lintian.txt" 2>&1; then
		cat "$out/lintian.txt"
		echo "build-deb: lintian could not check the packages" >&2
		exit 1
	fi
	if grep -q '^[EW]:' "$out/lintian.txt"; then
		cat "$out/lintian.txt"
		echo "build-deb: lintian found errors or warnings without an override" >&2
		exit 1
	fi
	echo "build-deb: lintian: $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings, $(grep -c '^O:' "$out/lintian.txt") overridden ($out/lintian.txt)"
fi
ls -l "$out"/*.deb
