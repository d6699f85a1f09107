# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The recipes in docs/clients/ are tested as printed: a test takes the
# configuration from the page itself (the fenced block after a line
# "<!-- check: NAME -->") and changes only what a test bed needs.

# page_block PAGE NAME: the fenced block after "<!-- check: NAME -->" in
# docs/clients/PAGE, without its fences. A missing block ends the test: the
# page and the test have drifted apart.
page_block() {
	local text
	text=$(awk -v m="<!-- check: $2 -->" '
		$0 == m { armed = 1; next }
		armed && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' "$top_srcdir/docs/clients/$1")
	[ -n "$text" ] || { echo "FAIL: docs/clients/$1 has no block '<!-- check: $2 -->'"; exit 1; }
	printf '%s\n' "$text"
}

# tunnel_setup: the bed with Exchange-sized tokens (2.5 KB), alice with a
# mailbox, account "work" serving her with a fresh cached token, the built
# sasl-oauth first on PATH, and the bed's CA as OpenSSL's default store
# (the tunnel's lines then need no --ca-file).
tunnel_setup() {
	CLI="$top_builddir/cli/sasl-oauth"
	[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
	start_bed
	export PATH="$top_builddir/cli:$PATH" SSL_CERT_FILE="$BED_CA"
	bed_config '{"big_tokens": 2500}' || { echo "FAIL: the identity provider refused big_tokens"; exit 1; }
	bed_add_user alice@example.com
	write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
	seed_cache work alice@example.com
}

# deliver_n N TAG: N small messages into alice's INBOX.
deliver_n() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: %s %s\r\n\r\nbody %s %s\r\n' \
			"$2" "$i" "$2" "$i" > "$BED_DIR/msg.eml"
		bed_deliver alice@example.com "$BED_DIR/msg.eml"
	done
}

# expire_and_revoke ACCOUNT: the cached access token expired two minutes
# ago and the server refuses it too, so only a refreshed token logs in.
expire_and_revoke() {
	set_expires "$1" -120
	bed_revoke "$(access_token "$1")"
}
