#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole test suite from a fresh clone: dependencies, build, make check
# (unit tests under valgrind and ASan/UBSan, integration tests against a real
# Dovecot and the local identity provider), then make distcheck.
# Ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
tests/tools/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
tests/tools/build.sh || { echo "0 passed, 1 failed"; exit 1; }
make -j"$(nproc)" check
status=$?
# Show every failing log so a red run explains itself.
for trs in $(find tests -name '*.trs'); do
	if grep -q '^:test-result: FAIL\|^:test-result: ERROR' "$trs"; then
		echo "===== ${trs%.trs}.log"
		cat "${trs%.trs}.log"
	fi
done
passed=$(grep -l '^:test-result: PASS' $(find tests -name '*.trs') | wc -l)
failed=$(grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\)' $(find tests -name '*.trs') | wc -l)
skipped=$(grep -l '^:test-result: SKIP' $(find tests -name '*.trs') | wc -l)
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
