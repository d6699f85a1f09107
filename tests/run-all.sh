#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole test suite from a fresh clone: dependencies, build, make check
# (unit tests under valgrind and ASan/UBSan, integration tests against a real
# Dovecot and the local identity provider), the packages built, installed and
# removed, then make distcheck.
# A SKIP result not listed in tests/allowed-skips fails the run.
# Ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
tests/tools/deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
tests/tools/build.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
rm -f $(find tests -name '*.trs')
make -j"$(nproc)" check
status=$?
# The package tests install the built .deb files system-wide and remove them
# again, so they run alone, after everything else (docs/packaging.md).
SAO_PKG_TEST=1 make check TESTS="tests/pkg/test-deb.sh tests/pkg/test-rpm.sh" || status=1
trs_files=$(find tests -name '*.trs' | sort)
# Show every failing log so a red run explains itself.
for trs in $trs_files; do
	if grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$trs"; then
		echo "===== ${trs%.trs}.log"
		cat "${trs%.trs}.log"
	fi
done
# One result a line in the .trs files (a test and each of its sub-cases).
count() { cat $trs_files /dev/null | grep -c "^:test-result: \($1\)"; }
passed=$(count 'PASS\|XFAIL')
failed=$(count 'FAIL\|ERROR\|XPASS')
skipped=$(count SKIP)

# Every SKIP must be allowed, with its reason, in tests/allowed-skips.
# shellcheck disable=SC2086
tests/tools/check-skips tests/allowed-skips $trs_files
failed=$((failed + $?))

# Fuzzing: every libFuzzer target for a bounded time (20 s each, at most
# 3 minutes in all) when clang is there; a crash, leak, sanitizer report or
# broken invariant fails the run. The input that failed is kept in
# tests/fuzz/artifacts/.
if [ "${SAO_FUZZ:-yes}" = yes ] && command -v clang >/dev/null 2>&1; then
	if make fuzz >fuzz-build.log 2>&1; then
		n=$(ls tests/fuzz/bin/fuzz-* | wc -l)
		per=$((180 / (n > 0 ? n : 1)))
		[ "$per" -gt 20 ] && per=20
		tests/fuzz/run.sh "$per" >fuzz.log 2>&1
		cat fuzz.log
		passed=$((passed + $(grep -c '^PASS: fuzz-' fuzz.log)))
		failed=$((failed + $(grep -c '^FAIL: fuzz-' fuzz.log)))
	else
		failed=$((failed + 1)); echo "FAIL: make fuzz"; tail -40 fuzz-build.log
	fi
else
	skipped=$((skipped + 1)); echo "SKIP: fuzzing (no clang: apt-get install clang)"
fi
if [ "${SAO_DISTCHECK:-yes}" = yes ]; then
	# The packaged tarball must build and pass its unit tests on its own.
	if SAO_SKIP_INTEGRATION=1 make -j"$(nproc)" distcheck >distcheck.log 2>&1; then
		passed=$((passed + 1)); echo "PASS: make distcheck"
	else
		failed=$((failed + 1)); echo "FAIL: make distcheck"; tail -40 distcheck.log
	fi
fi
[ "$status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
