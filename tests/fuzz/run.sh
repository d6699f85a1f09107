#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target built by "make fuzz" for SECONDS each (default
# 20), one after another, from its seed corpus (tests/fuzz/corpus/NAME/,
# copied: the seeds are never changed). Prints "PASS: fuzz-NAME (N
# executions)" or "FAIL: fuzz-NAME" with the end of its log and keeps the
# input that failed; then the totals. Exits 1 when any target found a crash,
# a leak, a sanitizer report or a broken invariant, 77 when none is built.
# Usage: tests/fuzz/run.sh [SECONDS] [NAME...]   (run from the build tree)
set -u
seconds=${1:-20}
shift || true
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${top_builddir:-.}/tests/fuzz/bin
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
	for b in "$bin"/fuzz-*; do
		[ -x "$b" ] && targets+=("${b##*/fuzz-}")
	done
fi
if [ ${#targets[@]} = 0 ]; then
	echo "SKIP: no fuzz targets in $bin (run: make fuzz; it needs clang)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sao-fuzz-run.XXXXXX")
keep=${SAO_FUZZ_ARTIFACTS:-${top_builddir:-.}/tests/fuzz/artifacts}
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
total=0
failed=0
for t in "${targets[@]}"; do
	corpus="$work/corpus-$t"
	mkdir -p "$corpus" "$work/tmp-$t" "$keep"
	[ -d "$src/tests/fuzz/corpus/$t" ] && cp "$src/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	# Token-shaped seeds are made here from their claims, never committed.
	for j in "$corpus"/*.claims.json; do
		[ -e "$j" ] || continue
		printf '%s.%s.c2ln' "$(printf '{"typ":"JWT","alg":"HS256"}' | b64url)" "$(b64url < "$j")" > "${j%.claims.json}"
		rm -f "$j"
	done
	log="$work/$t.log"
	TMPDIR="$work/tmp-$t" nice "$bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$keep/$t-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	total=$((total + execs))
	if [ "$rc" = 0 ] && ! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:\|fuzz invariant broken' "$log"; then
		echo "PASS: fuzz-$t ($execs executions in ${seconds}s)"
	else
		failed=$((failed + 1))
		echo "FAIL: fuzz-$t (exit $rc after $execs executions; the input is kept in $keep)"
		grep -m1 -A30 'ERROR:\|runtime error:\|fuzz invariant broken' "$log" || tail -30 "$log"
	fi
done
echo "fuzz: ${#targets[@]} targets, $total executions, $failed failed"
[ "$failed" = 0 ]
