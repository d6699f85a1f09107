#!/bin/bash
# SPDX-License-Identifier: MIT
# The test tools judge the other tests, so they are tested too: the driver
# (tests/tools/test-driver) turns exit statuses and "ok/not ok" sub-case
# lines into automake results, and tests/tools/check-skips fails a run on
# any SKIP that the allow-list does not name.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
DRIVER="$top_srcdir/tests/tools/test-driver"
CHECK_SKIPS="$top_srcdir/tests/tools/check-skips"
W=$(mktemp -d /tmp/sao-tools-XXXXXX)
trap 'rm -rf "$W"' EXIT
FAILED=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }

# drive NAME SCRIPT: runs SCRIPT (shell text) through the driver; the .trs
# results, one per line, go to $W/NAME.results.
drive() {
	printf '%s\n' "$2" > "$W/$1.sh"
	bash "$DRIVER" --test-name "$1" --log-file "$W/$1.log" --trs-file "$W/$1.trs" -- bash "$W/$1.sh" \
		> "$W/$1.out"
	sed -n 's/^:test-result: //p' "$W/$1.trs" > "$W/$1.results"
}
# expect NAME WHAT RESULTS: the results of NAME are exactly RESULTS.
expect() {
	if [ "$(cat "$W/$1.results")" = "$3" ]; then
		pass "driver: $2"
	else
		fail "driver: $2: got '$(cat "$W/$1.results")', want '$3'"
	fi
}

drive plain 'exit 0'
expect plain "exit 0 without sub-cases is one PASS" "PASS"
drive failed 'echo "FAIL: something"; exit 1'
expect failed "exit 1 is FAIL" "FAIL"
drive skipped 'echo "SKIP: dovecot is not installed"; exit 77'
expect skipped "exit 77 is SKIP with the reason" "SKIP dovecot is not installed"
drive hard 'exit 99'
expect hard "exit 99 (valgrind) is ERROR" "ERROR"
drive subs 'echo "ok 1 - first"; echo "ok 2 - owner # SKIP not root"; echo "ok: a plain line"; exit 0'
expect subs "sub-cases: PASS, and SKIP with name and reason" "PASS
PASS first
SKIP owner: not root"
drive subfail 'echo "ok 1 - first"; echo "not ok 2 - second"; exit 0'
expect subfail "a failed sub-case fails the test even when it exits 0" "PASS
PASS first
FAIL second"
if grep -qx ':global-test-result: FAIL' "$W/subfail.trs" && grep -qx ':global-test-result: PASS' "$W/subs.trs"; then
	pass "driver: the global result is FAIL with a failed sub-case, PASS with a skipped one"
else
	fail "driver: global results: $(grep global "$W/subfail.trs" "$W/subs.trs")"
fi
if grep -q '^SKIP: subs: owner: not root' "$W/subs.out"; then
	pass "driver: a skipped sub-case is shown on the console"
else
	fail "driver: console shows: $(cat "$W/subs.out")"
fi

# check-skips: nothing allowed, then the sub-case allowed by a pattern.
printf '# comment\n\n' > "$W/none"
"$CHECK_SKIPS" "$W/none" "$W/plain.trs" "$W/subs.trs" "$W/skipped.trs" > "$W/cs.out"
rc=$?
if [ "$rc" = 2 ] && grep -q "not allowed.*$W/subs: owner: not root" "$W/cs.out" &&
	grep -q "not allowed.*$W/skipped: dovecot is not installed" "$W/cs.out"; then
	pass "check-skips: two skips not listed, exit 2, each named"
else
	fail "check-skips with an empty list: exit $rc: $(cat "$W/cs.out")"
fi
printf '%s | only on machines that are not root\n' "$W/subs: owner: *" > "$W/some"
"$CHECK_SKIPS" "$W/some" "$W/subs.trs" "$W/skipped.trs" > "$W/cs.out"
rc=$?
if [ "$rc" = 1 ] && grep -q "^allowed SKIP: $W/subs: owner" "$W/cs.out"; then
	pass "check-skips: a listed pattern allows its skip and no other"
else
	fail "check-skips with one pattern: exit $rc: $(cat "$W/cs.out")"
fi
"$CHECK_SKIPS" "$W/none" "$W/plain.trs" "$W/subfail.trs" > "$W/cs.out"
rc=$?
[ "$rc" = 0 ] && pass "check-skips: no skip, exit 0" || fail "check-skips without skips: exit $rc"
exit "$FAILED"
