#!/bin/bash
# SPDX-License-Identifier: MIT
# make coverage: line coverage of the unit and integration tests, per
# directory (plugin/, lib/, oauth/, cli/) and per file. The distributed tree
# is copied to coverage/src and configured there with --enable-coverage, so
# the build being worked on is left as it is; `make check` runs there
# without valgrind (the counters are the point, and valgrind already ran in
# the normal build), then lcov reads the counters.
# Exit status: that of make check there (the figures are printed anyway).
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${distdir:?}" "${MAKE:=make}"
command -v lcov >/dev/null 2>&1 || { echo "coverage: lcov is not installed (apt-get install lcov)"; exit 2; }
out="$top_builddir/coverage"
cd "$top_builddir" || exit 2
rm -rf "$out" "$distdir"
$MAKE distdir >/dev/null || { echo "coverage: make distdir failed"; exit 2; }
mkdir -p "$out" && mv "$distdir" "$out/src" || exit 2
cd "$out/src" || exit 2
./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var --enable-coverage >"$out/configure.log" 2>&1 ||
	{ echo "coverage: configure failed; see $out/configure.log"; exit 2; }
$MAKE -j"$(nproc)" >"$out/build.log" 2>&1 || { echo "coverage: build failed; see $out/build.log"; exit 2; }
SAO_NO_VALGRIND=1 $MAKE -j"$(nproc)" check >"$out/check.log" 2>&1
status=$?
sed -n '/^# TOTAL/,/^# ERROR/p' "$out/check.log"
[ "$status" = 0 ] || echo "coverage: make check failed there (see $out/check.log); the figures below are from that run"

# lcov reads the counters (gcovr 5.2 stops on a source file compiled into
# several programs, as lib/ is); a line counts as covered when any program
# ran it. Per file into files.txt, then summed per directory.
lcov --capture --directory . --output-file "$out/lcov.info" >"$out/lcov.log" 2>&1 ||
	{ echo "coverage: lcov failed; see $out/lcov.log"; exit 2; }
awk -F: -v root="$PWD/" '
	/^SF:/ { f = substr($0, 4); sub("^" root, "", f); next }
	/^DA:/ && f ~ /^(plugin|lib|oauth|cli)\// {
		split($2, a, ",")
		k = f SUBSEP a[1]
		if (!(k in seen)) { seen[k] = 0; lines[f]++ }
		if (a[2] > 0 && !seen[k]) { seen[k] = 1; hit[f]++ }
	}
	END { for (f in lines) printf "%s %d %d\n", f, hit[f], lines[f] }' "$out/lcov.info" | sort > "$out/files.txt"
echo
echo "line coverage, unit + integration tests:"
awk '
	{ split($1, p, "/"); d = p[1] "/"; hit[d] += $2; lines[d] += $3; allhit += $2; all += $3 }
	END {
		n = split("plugin/ lib/ oauth/ cli/", order, " ")
		for (i = 1; i <= n; i++) {
			d = order[i]
			if (lines[d] > 0)
				printf "  %-8s %5.1f%%  (%d of %d lines)\n", d, 100 * hit[d] / lines[d], hit[d], lines[d]
		}
		if (all > 0)
			printf "  %-8s %5.1f%%  (%d of %d lines)\n", "total", 100 * allhit / all, allhit, all
	}' "$out/files.txt"
echo "per file (file, lines run, lines): $out/files.txt"
exit "$status"
