#!/bin/bash
# SPDX-License-Identifier: MIT
# mbsync (links libsasl2, answers prompts) syncs mail over IMAPS with the
# built plugin: XOAUTH2 and OAUTHBEARER from the cache, XOAUTH2 from a
# token_command, a shared mailbox, and the server path without SASL-IR.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mbsync.sh"
need mbsync
start_bed

bed_add_user alice@example.com
bed_add_user shared@example.com
for i in 1 2 3; do
	printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: message %s\r\n\r\nbody %s\r\n' "$i" "$i" > "$BED_DIR/m$i.eml"
	bed_deliver alice@example.com "$BED_DIR/m$i.eml"
done
printf 'From: bob@example.com\r\nSubject: to the desk\r\n\r\nshared\r\n' > "$BED_DIR/s.eml"
bed_deliver shared@example.com "$BED_DIR/s.eml"

write_config "[account work]
users = alice@example.com, shared@example.com"
seed_cache work alice@example.com

for mech in XOAUTH2 OAUTHBEARER; do
	rm -rf "$BED_DIR/maildir"
	write_mbsyncrc alice@example.com "$mech"
	run_mbsync
	if [ "$MBSYNC_RC" = 0 ] && echo "$MBSYNC_OUT" | grep -q "Authenticating with SASL mechanism $mech" &&
		[ "$(local_count)" = 3 ]; then
		pass "mbsync $mech synced 3 messages"
	else
		fail "mbsync $mech (exit $MBSYNC_RC, $(local_count) messages)"
	fi
done

# Without SASL-IR the first step runs on the server's empty "+" challenge.
rm -rf "$BED_DIR/maildir"
write_mbsyncrc alice@example.com XOAUTH2 "DisableExtensions SASL-IR"
run_mbsync
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 3 ]; then
	pass "mbsync XOAUTH2 without SASL-IR"
else
	fail "mbsync XOAUTH2 without SASL-IR (exit $MBSYNC_RC)"
fi

# The shared mailbox logs in with alice's token and gets the desk's mail.
rm -rf "$BED_DIR/maildir"
write_mbsyncrc shared@example.com XOAUTH2
run_mbsync
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 1 ]; then
	pass "mbsync shared mailbox with the delegate's token"
else
	fail "mbsync shared mailbox (exit $MBSYNC_RC, $(local_count) messages)"
fi

# token_command replaces the cache: an account whose command prints the token.
token=$(access_token work)
printf '#!/bin/sh\nprintf "%%s\\n" "%s"\n' "$token" > "$BED_DIR/print-token"
chmod 700 "$BED_DIR/print-token"
write_config "[account work]
users = alice@example.com
token_command = $BED_DIR/print-token"
rm -f "$XDG_STATE_HOME/sasl-oauth/work.json"
rm -rf "$BED_DIR/maildir"
write_mbsyncrc alice@example.com XOAUTH2
run_mbsync
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 3 ]; then
	pass "mbsync with token_command"
else
	fail "mbsync with token_command (exit $MBSYNC_RC)"
fi
finish
