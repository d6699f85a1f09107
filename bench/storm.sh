#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark 4, the refresh storm: N processes start at the same moment with a
# stale cached token (inside refresh_margin, still valid) and the identity
# provider must see exactly one refresh request, with no failures.
#
# For each N (10, 50, 200) two storms run against a fresh test bed:
#   token  N x "sasl-oauth token work" (the CLI alone: lock, re-read, refresh
#          once); every process must print the refreshed token.
#   login  N x the Postfix-like callback client (tests/integration/sasl-client)
#          logging in over IMAPS with XOAUTH2 through the built plugin, which
#          runs the CLI; every login must succeed and send the refreshed token.
# and, as the baseline, the same N logins with a fresh token (no refresh).
# Targets: refresh requests = 1, failures = 0 (a process that failed or did
# not get the refreshed token). Wall time (release to last exit) is reported
# next to the baseline's, without a target: on a small machine it is the cost
# of N TLS logins, not of the refresh.
#
#   bash bench/storm.sh                    standalone, from a built tree
#   STORM_SIZES="10 50"  bash bench/storm.sh
#   STORM_RESULTS=FILE   appends "name|value|target|VERDICT" lines to FILE
#                        (bench/run.sh's summary) instead of printing a summary
# Exit status: 0 when every target passed, 1 when one failed, 2 when the
# storm could not run at all (not built, no test bed).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
SIZES=${STORM_SIZES:-10 50 200}
EMBEDDED=0
[ -n "${STORM_RESULTS:-}" ] && EMBEDDED=1

# start_bed skips with exit 77; for a benchmark that means "could not run".
skip() { echo "SKIP: refresh storm  $*"; [ "$EMBEDDED" = 1 ] && printf 'refresh storm|%s|-|SKIP\n' "$*" >> "$STORM_RESULTS"; exit 2; }

CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "$CLI is missing; build first (tests/tools/build.sh)"
[ -f "$PLUGIN_DIR/libsasl-oauth.so" ] || skip "$PLUGIN_DIR/libsasl-oauth.so is missing; build first"
if [ ! -x "$SASL_CLIENT" ]; then
	(cd "$top_builddir" && make tests/integration/sasl-client >/dev/null 2>&1)
fi
[ -x "$SASL_CLIENT" ] || skip "tests/integration/sasl-client could not be built"

RESULTS=${STORM_RESULTS:-$(mktemp /tmp/sao-storm-results-XXXXXX)}
[ "$EMBEDDED" = 1 ] || : > "$RESULTS"

# verdict_eq NAME VALUE WANT: one PASS/FAIL line (VALUE = WANT passes).
verdict_eq() {
	local v=FAIL
	[ "$2" = "$3" ] && v=PASS
	printf '%s: %s  %s (target = %s)\n' "$v" "$1" "$2" "$3"
	printf '%s|%s|= %s|%s\n' "$1" "$2" "$3" "$v" >> "$RESULTS"
}
info() {
	printf 'INFO: %s  %s (no target)\n' "$1" "$2"
	printf '%s|%s|none|INFO\n' "$1" "$2" >> "$RESULTS"
}

if [ "$EMBEDDED" = 0 ]; then
	echo "== machine"
	echo "nproc: $(nproc)"
	echo "cpu:   $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "date:  $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "== 4. refresh storm"
fi

start_bed
# start_bed's trap removes the bed; the results file goes too when it is ours.
[ "$EMBEDDED" = 1 ] || at_exit 'rm -f "$RESULTS"'
export SASL_OAUTH_CLI="$CLI"
bed_add_user alice@example.com
write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"

refresh_grants() {
	bed_stats | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["grants"].get("refresh_token", 0))'
}

# first_failure DIR: the first copy that failed, for the log.
first_failure() {
	local f
	for f in "$1"/rc.*; do
		[ "$(cat "$f")" = 0 ] && continue
		echo "    copy ${f##*.} exited $(cat "$f"): $(tail -2 "$1/err.${f##*.}" | tr '\n' ' ' | cut -c1-300)"
		return
	done
}

login=("$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" --mech XOAUTH2
	--user alice@example.com)
for n in $SIZES; do
	echo "-- N=$n"
	# token: the CLI alone.
	seed_cache work alice@example.com 60
	old=$(access_token work)
	g0=$(refresh_grants)
	storm "$n" "$BED_DIR/storm" timeout 120 "$CLI" token work
	g1=$(refresh_grants)
	new=$(access_token work)
	got_new=0
	for ((i = 1; i <= n; i++)); do
		[ "$(cat "$BED_DIR/storm/out.$i")" = "$new" ] && got_new=$((got_new + 1))
	done
	[ "$new" != "$old" ] || got_new=0
	echo "  token: $n processes, $((g1 - g0)) refresh requests, $((n - got_new)) failures, $STORM_MS ms"
	[ "$STORM_OK" = "$n" ] || first_failure "$BED_DIR/storm"
	verdict_eq "storm token N=$n, refresh requests" "$((g1 - g0))" 1
	verdict_eq "storm token N=$n, failures" "$((n - got_new))" 0
	info "storm token N=$n, wall time" "$STORM_MS ms"

	# login: the plugin's slow path inside N Postfix-like clients.
	seed_cache work alice@example.com 60
	old=$(access_token work)
	g0=$(refresh_grants)
	storm "$n" "$BED_DIR/storm" timeout 300 "${login[@]}" --trace "$BED_DIR/storm/trace.@I@"
	g1=$(refresh_grants)
	ms_stale=$STORM_MS
	new=$(access_token work)
	got_new=0
	for ((i = 1; i <= n; i++)); do
		[ "$(cat "$BED_DIR/storm/rc.$i")" = 0 ] &&
			grep -qxF "C: user=alice@example.com\\x01auth=Bearer $new\\x01\\x01" "$BED_DIR/storm/trace.$i" &&
			got_new=$((got_new + 1))
	done
	[ "$new" != "$old" ] || got_new=0
	echo "  login: $n processes, $((g1 - g0)) refresh requests, $((n - got_new)) failures, $ms_stale ms" \
		"($((n - STORM_OK)) logins failed, $((STORM_OK - got_new)) sent a stale token)"
	[ "$STORM_OK" = "$n" ] || first_failure "$BED_DIR/storm"

	# baseline: the same logins with a fresh token.
	seed_cache work alice@example.com 3600
	b0=$(refresh_grants)
	storm "$n" "$BED_DIR/storm" timeout 300 "${login[@]}"
	b1=$(refresh_grants)
	echo "  baseline (fresh token): $n logins, $((b1 - b0)) refresh requests, $((n - STORM_OK)) failures, $STORM_MS ms"
	verdict_eq "storm login N=$n, refresh requests" "$((g1 - g0))" 1
	verdict_eq "storm login N=$n, failures" "$((n - got_new))" 0
	info "storm login N=$n, wall time" "$ms_stale ms vs $STORM_MS ms with a fresh token (difference $(printf "%+d" $((ms_stale - STORM_MS))) ms)"
done

if [ "$EMBEDDED" = 0 ]; then
	echo
	echo "== summary"
	awk -F'|' '{ printf "%-5s %-44s %-12s %s\n", $4, $1, $2, ($3 == "none" || $3 == "-") ? "" : "target " $3 }' "$RESULTS" |
		sed -n '/^PASS\|^FAIL\|^SKIP/p'
fi
if grep -q '^storm.*|FAIL$' "$RESULTS"; then
	[ "$EMBEDDED" = 1 ] || echo "RESULT: FAIL ($(grep -c '|FAIL$' "$RESULTS") of $(grep -c '|PASS$\||FAIL$' "$RESULTS") targets missed)"
	exit 1
fi
[ "$EMBEDDED" = 1 ] || echo "RESULT: PASS (all $(grep -c '|PASS$' "$RESULTS") targets met)"
exit 0
