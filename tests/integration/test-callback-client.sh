#!/bin/bash
# SPDX-License-Identifier: MIT
# A libsasl2 client that registers callbacks the way Postfix does drives the
# built plugin over IMAP (STARTTLS and implicit TLS), POP3 and submission,
# with byte-exact checks of what each mechanism sends, the error-challenge
# path, a shared mailbox and an 6 KB token.
. "$(dirname "$0")/lib.sh"
[ -x "$SASL_CLIENT" ] || skip "sasl-client was not built"
start_bed
bed_add_user alice@example.com
bed_add_user shared@example.com
write_config "[account work]
users = alice@example.com, shared@example.com"
seed_cache work alice@example.com
TOKEN=$(access_token work)

# client NAME PROTO PORT TLS MECH [ARGS...]: runs sasl-client, keeps output.
client() {
	local name=$1 proto=$2 port=$3 tls=$4 mech=$5
	shift 5
	TRACE="$BED_DIR/trace.$name"
	OUT=$(timeout 30 "$SASL_CLIENT" --proto "$proto" --port "$port" --tls "$tls" --ca "$BED_CA" \
		--mech "$mech" --user alice@example.com --trace "$TRACE" "$@" 2>&1)
	RC=$?
}

# expect_first TRACE BYTES: the first client message, exactly.
expect_first() {
	local got
	got=$(sed -n '1s/^C: //p' "$1")
	[ "$got" = "$2" ] || { echo "    got:  $got"; echo "    want: $2"; return 1; }
}

for spec in "imap $BED_IMAP_PORT starttls" "imaps $BED_IMAPS_PORT implicit" "pop3 $BED_POP3_PORT starttls" \
	"smtp $BED_SUBMISSION_PORT starttls"; do
	set -- $spec
	proto=${1%s}; [ "$1" = imaps ] && proto=imap
	port=$2 tls=$3
	client "$1-xoauth2" "$proto" "$port" "$tls" XOAUTH2
	if [ "$RC" = 0 ] && expect_first "$TRACE" "user=alice@example.com\\x01auth=Bearer $TOKEN\\x01\\x01"; then
		pass "$1 XOAUTH2 login, initial response byte-exact"
	else
		fail "$1 XOAUTH2 login (exit $RC)"; echo "$OUT" | tail -5
	fi
	client "$1-oauthbearer" "$proto" "$port" "$tls" OAUTHBEARER
	if [ "$RC" = 0 ] &&
		expect_first "$TRACE" "n,a=alice@example.com,\\x01host=localhost\\x01port=$port\\x01auth=Bearer $TOKEN\\x01\\x01"; then
		pass "$1 OAUTHBEARER login with host and port, byte-exact"
	else
		fail "$1 OAUTHBEARER login (exit $RC)"; echo "$OUT" | tail -5
	fi
done

# Mail goes through submission after an XOAUTH2 login.
before=$(ls "$BED_DIR/sink" 2>/dev/null | wc -l)
client smtp-mail smtp "$BED_SUBMISSION_PORT" starttls XOAUTH2 --rcpt bob@example.com
after=$(ls "$BED_DIR/sink" 2>/dev/null | wc -l)
if [ "$RC" = 0 ] && [ "$after" -gt "$before" ]; then
	pass "submission relayed a message after XOAUTH2"
else
	fail "submission did not relay (exit $RC, sink $before -> $after)"
fi

# Shared mailbox: the authorization id goes on the wire, the token is work's.
client shared imap "$BED_IMAPS_PORT" implicit XOAUTH2 --authz shared@example.com
if [ "$RC" = 0 ] && expect_first "$TRACE" "user=shared@example.com\\x01auth=Bearer $TOKEN\\x01\\x01"; then
	pass "shared mailbox login sends user=shared@example.com with the delegate's token"
else
	fail "shared mailbox login (exit $RC)"; echo "$OUT" | tail -5
fi

# Error challenge: the token is revoked; each mechanism's reply is checked on
# the wire and the decoded reason reaches the client.
bed_revoke "$TOKEN"
for mech in XOAUTH2 OAUTHBEARER; do
	seed_cache work alice@example.com
	tok=$(access_token work)
	bed_revoke "$tok"
	client "challenge-$mech" imap "$BED_IMAPS_PORT" implicit "$mech"
	want_reply='C: '; [ "$mech" = OAUTHBEARER ] && want_reply='C: \x01'
	if [ "$RC" = 1 ] && sed -n 2p "$TRACE" | grep -q '^S: {"status":' && [ "$(sed -n 3p "$TRACE")" = "$want_reply" ] &&
		echo "$OUT" | grep -q "< a1 NO" && echo "$OUT" | grep -q "sasl detail: .*invalid, expired or revoked"; then
		pass "$mech error challenge: decoded, answered '${want_reply#C: }', server closed with NO"
	else
		fail "$mech error challenge path"; cat "$TRACE"; echo "$OUT" | tail -8
	fi
	if echo "$OUT" | grep -q "sasl log (level [0-9]): sasl-oauth: $mech: the server refused"; then
		pass "$mech refusal written to the application's SASL log"
	else
		fail "$mech refusal not logged"
	fi
	if echo "$OUT" | grep -qF "$tok"; then fail "the token appears in the client's output or log"; fi
done

# Over POP3 and submission the reply is the same bytes.
seed_cache work alice@example.com
bed_revoke "$(access_token work)"
client challenge-smtp smtp "$BED_SUBMISSION_PORT" starttls XOAUTH2
if [ "$RC" = 1 ] && [ "$(sed -n 3p "$TRACE")" = "C: " ] && echo "$OUT" | grep -q "< 535"; then
	pass "submission error challenge answered with an empty response, server said 535"
else
	fail "submission error challenge"; echo "$OUT" | tail -6
fi

# A 6 KB access token (Entra ID tokens exceed 4 KB; Dovecot 2.3 caps SASL responses at 8 KB of base64) logs in unchanged.
bed_config '{"big_tokens": 6000}'
seed_cache work alice@example.com
big=$(access_token work)
client big imap "$BED_IMAPS_PORT" implicit XOAUTH2
if [ "${#big}" -ge 6000 ] && [ "$RC" = 0 ] && expect_first "$TRACE" "user=alice@example.com\\x01auth=Bearer $big\\x01\\x01"; then
	pass "6 KB token (${#big} bytes) logs in over IMAP"
else
	fail "6 KB token login (exit $RC, ${#big} bytes)"; echo "$OUT" | tail -4
fi
finish
