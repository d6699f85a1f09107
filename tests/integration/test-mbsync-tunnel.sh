#!/bin/bash
# SPDX-License-Identifier: MIT
# mbsync with Tunnel "sasl-oauth tunnel ..." (docs/clients/mbsync.md), with
# the page's own lines: mail arrives and a second run adds nothing; an
# expired cached token costs exactly one request to the identity provider;
# a revoked refresh token shows the provider's code and the fix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
need mbsync
clients_setup
# The bed's CA is OpenSSL's default store: the pages' lines need no --ca-file.
export SSL_CERT_FILE="$BED_CA"

LOCAL="$BED_DIR/Mail"
RC="$BED_DIR/mbsyncrc"
page_block mbsync.md mbsyncrc-tunnel |
	sed -e "s#outlook\.office365\.com#localhost:$BED_IMAPS_PORT#g" -e 's#contoso\.com#example.com#g' \
		-e "s#~/Mail#$LOCAL#g" > "$RC"
mkdir -p "$LOCAL/work"

local_count() { find "$LOCAL/work/INBOX/cur" "$LOCAL/work/INBOX/new" -type f 2>/dev/null | wc -l; }
sync() {
	OUT=$(timeout 60 mbsync -c "$RC" work </dev/null 2>&1)
	RC_=$?
}

deliver_n 2 mbsync
sync
if [ "$RC_" = 0 ] && [ "$(local_count)" = 2 ]; then
	pass "mbsync synced 2 messages through the tunnel"
else
	fail "mbsync exit $RC_, $(local_count) messages"; echo "$OUT" | tail -8; bed_logs | tail -10
fi
sync
if [ "$RC_" = 0 ] && [ "$(local_count)" = 2 ]; then
	pass "a second run adds nothing"
else
	fail "second run: exit $RC_, $(local_count) messages"; echo "$OUT" | tail -5
fi

expire_token
deliver_n 1 expired
g0=$(refresh_grants)
sync
g1=$(refresh_grants)
if [ "$RC_" = 0 ] && [ "$(local_count)" = 3 ] && [ $((g1 - g0)) = 1 ]; then
	pass "an expired token: 1 refresh request, and the new message arrived"
else
	fail "expired token: exit $RC_, $(local_count) messages, $((g1 - g0)) refresh requests"; echo "$OUT" | tail -5
fi

revoke_grant
sync
if [ "$RC_" != 0 ] && [ "$RC_" != 124 ] &&
	echo "$OUT" | grep -q '^sasl-oauth: .*AADSTS50173.*; run: sasl-oauth login work$'; then
	pass "a revoked refresh token: mbsync's output names AADSTS50173 and 'sasl-oauth login work'"
else
	fail "revoked refresh token: exit $RC_"
fi
echo "--- mbsync's output (revoked refresh token):"
echo "$OUT" | cut -c1-300 | sed 's/^/    /'
finish
