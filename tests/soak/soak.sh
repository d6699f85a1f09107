#!/bin/bash
# SPDX-License-Identifier: MIT
# The soak (issue 13): tests/soak/soak.py inside a test bed, the CLI and the
# plugin under faketime. Arguments go to soak.py (--days N, --laptop, ...).
# make check runs a short one (test-soak.sh); make soak the 400 days.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"
[ -x "$SASL_CLIENT" ] || skip "sasl-client is not built (run make check)"
need faketime
FAKETIME_LIB=$(find /usr/lib /usr/lib64 -name 'libfaketime.so.1' 2>/dev/null | head -1)
[ -n "$FAKETIME_LIB" ] || skip "libfaketime.so.1 not found (apt-get install faketime)"
# The mail programs run on the simulated clock, TLS checks included.
export BED_CERT_DAYS=800
start_bed
write_config "$(printf '[account work]\nusers = alice@example.com\nauthority = %s\ntenant = example.onmicrosoft.com\nclient_id = 00000000-0000-0000-0000-000000000000\nhttp_timeout = 2\n' "$BED_IDP_URL")"
bed_add_user alice@example.com
seed_cache work alice@example.com
export CLI SASL_CLIENT FAKETIME_LIB BED_IDP_URL BED_CA BED_IMAPS_PORT BED_SUBMISSION_PORT
# The plugin runs sasl-oauth with a clean environment; this wrapper (test
# scaffolding, not the product) puts it on the simulated clock.
export SAO_SOAK_SIMTIME="$BED_DIR/simtime"
cat >"$BED_DIR/cli-at-simtime" <<WRAP
#!/bin/sh
FAKETIME="\$(cat '$SAO_SOAK_SIMTIME')" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC LD_PRELOAD='$FAKETIME_LIB' exec '$CLI' "\$@"
WRAP
chmod 755 "$BED_DIR/cli-at-simtime"
export SASL_OAUTH_CLI="$BED_DIR/cli-at-simtime"
"$PY" "$top_srcdir/tests/soak/soak.py" "$@"
