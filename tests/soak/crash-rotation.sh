#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, defect 1: "sasl-oauth token --force" killed with SIGKILL at
# random points, against the local identity provider in strict rotation.
# Usage: tests/soak/crash-rotation.sh [ROUNDS] [-v]   (default 200)
# Asserts 0 corrupt caches; prints the counts (docs/reliability.md has the
# figures).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"
start_bed
write_config "$(printf '[account work]\nusers = alice@example.com\nauthority = %s\ntenant = example.onmicrosoft.com\nclient_id = 00000000-0000-0000-0000-000000000000\n' "$BED_IDP_URL")"
bed_add_user alice@example.com
export CLI BED_IDP_URL
"$PY" "$top_srcdir/tests/soak/crash_rotation.py" "${1:-200}" ${2:+"$2"} | tee "$BED_DIR/crash.out"
grep -q '^rounds=' "$BED_DIR/crash.out" || { echo "FAIL: the crash test did not finish"; exit 1; }
corrupt=$(sed -n 's/^corrupt=//p' "$BED_DIR/crash.out")
after=$(sed -n 's/^lost_after=//p' "$BED_DIR/crash.out")
[ "$corrupt" = 0 ] || fail "$corrupt caches were corrupt after a kill"
# Reported, not asserted: a kill between the provider's send and the
# client's write (a scheduling window) loses the login too.
echo "logins lost although the provider's answer had been sent: $after"
finish
