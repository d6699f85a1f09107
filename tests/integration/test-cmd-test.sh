#!/bin/bash
# SPDX-License-Identifier: MIT
# "sasl-oauth test URL" through libsasl2 and the built plugin, against the
# bed's Dovecot (IMAP with and without STARTTLS, POP3 with STLS, submission)
# and its Exchange-like SMTP front: each login works and its check after the
# login too; -v shows the dialogue with the SASL response withheld; and each
# failure is one line with the cause and the fix, and the table's exit
# status: a certificate that does not verify or names another host, no
# account for the user, a revoked grant, a server that never answers or
# throttles, a mechanism the server does not offer, SMTP AUTH switched off
# for the mailbox, a Graph token and one without SMTP.Send refused without a
# reason, a shared mailbox without FullAccess, a sender the mailbox may not
# use. No output holds the token or the SASL response.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
clients_setup
# The refresh path needs the command itself.
export SASL_OAUTH_CLI="$CLI"
printf 'From: x@example.com\r\nSubject: one\r\n\r\nbody\r\n' > "$BED_DIR/m.eml"
bed_deliver alice@example.com "$BED_DIR/m.eml"
bed_deliver alice@example.com "$BED_DIR/m.eml"
IR64=

# What no output may hold: the cached token, the SASL response.
secrets() {
	access_token work
	printf '%s\n' "${IR64:20:60}"
}
IMAPS="imaps://alice@example.com@localhost:$BED_IMAPS_PORT"

echo "== logins that work"
run_cli test --ca-file "$BED_CA" "$IMAPS"
expect "imaps: logged in through libsasl2's sasl-oauth plugin, folders listed" 0 \
	"ok: alice@example.com logged in to localhost:$BED_IMAPS_PORT (IMAP; TLSv1" \
	"certificate /CN=localhost verified for 'localhost') with XOAUTH2 through libsasl2's sasl-oauth plugin, account 'work'; 1 folder: INBOX"
run_cli test --ca-file "$BED_CA" "imap://alice@example.com@localhost:$BED_IMAP_PORT"
expect "imap with STARTTLS" 0 "(IMAP; TLSv1" "1 folder: INBOX"
run_cli test --plaintext "imap://alice@example.com@127.0.0.1:$BED_IMAP_PORT"
expect "--plaintext to a loopback server: no TLS, said so" 0 "(IMAP; no TLS) with XOAUTH2" "1 folder: INBOX"
run_cli test --ca-file "$BED_CA" --mech OAUTHBEARER "$IMAPS"
expect "imaps with OAUTHBEARER" 0 "with OAUTHBEARER through libsasl2's sasl-oauth plugin"
run_cli test --ca-file "$BED_CA" "pop3://alice@example.com@localhost:$BED_POP3_PORT"
expect "pop3 with STLS: STAT counts the two messages" 0 "(POP3; TLSv1" "; 2 messages, "
run_cli test --ca-file "$BED_CA" "smtp://alice@example.com@localhost:$BED_SUBMISSION_PORT"
expect "smtp (Dovecot's submission, STARTTLS): MAIL FROM accepted" 0 "(SMTP; TLSv1" \
	"MAIL FROM:<alice@example.com> accepted"
if [ "$(ls "$BED_DIR/sink" | wc -l)" = 0 ]; then
	pass "nothing was sent through submission"
else
	fail "test sent mail: $(ls "$BED_DIR/sink")"
fi

echo "== -v: the dialogue, the SASL response withheld"
IR64=$(printf 'user=alice@example.com\001auth=Bearer %s\001\001' "$(access_token work)" | base64 -w0)
run_cli test -v --ca-file "$BED_CA" "smtp://alice@example.com@localhost:$BED_SUBMISSION_PORT"
expect "smtp -v: STARTTLS, AUTH, the response withheld, MAIL FROM, RSET, QUIT" 0 \
	"C: STARTTLS" "C: AUTH XOAUTH2" "S: 334 " "C: [SASL response, " " octets, withheld]" \
	"S: 235 " "C: MAIL FROM:<alice@example.com>" "C: RSET" "C: QUIT"
run_cli test -v --ca-file "$BED_CA" "$IMAPS"
expect "imaps -v: AUTHENTICATE with SASL-IR withheld, LIST, LOGOUT" 0 \
	"C: s1 AUTHENTICATE XOAUTH2 [SASL response, " "C: s101 LIST \"\" \"*\"" "C: s199 LOGOUT"

echo "== failures: one line with the cause and the fix"
run_cli test "$IMAPS"
expect "a certificate from a CA the system does not know" 1 \
	"sasl-oauth: connecting to localhost:$BED_IMAPS_PORT (IMAP) failed: the certificate of the mail server 'localhost' did not verify" \
	"if the server uses a private CA, give it with --ca-file"
D="$BED_DIR/tls"
printf '%s\n' 'subjectAltName = DNS:mail.example.net' 'extendedKeyUsage = serverAuth' > "$D/other.ext"
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/other.key" -out "$D/other.csr" \
	-subj "/CN=mail.example.net" >/dev/null 2>&1 &&
	openssl x509 -req -in "$D/other.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial -days 1 \
		-extfile "$D/other.ext" -out "$D/other.crt" >/dev/null 2>&1 || fail "openssl could not make a certificate"
# fake_server MODE [ADDRESS]: a server on a free port of ADDRESS (loopback
# by default), in the background, for one connection: "silent" accepts and
# never answers, "other-name" greets over TLS with a certificate for
# mail.example.net. Sets FAKE_PORT.
fake_server() {
	rm -f "$BED_DIR/fake.port"
	"$PY" - "$1" "$BED_DIR/fake.port" "$D/other.crt" "$D/other.key" "${2:-127.0.0.1}" <<'PY' &
import os, socket, ssl, sys, time
mode, port_file, crt, key, address = sys.argv[1:6]
s = socket.socket()
s.bind((address, 0))
s.listen(1)
open(port_file + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
s.settimeout(30)
c, _ = s.accept()
if mode == "other-name":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    try:
        c = ctx.wrap_socket(c, server_side=True)
        c.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n")
    except (ssl.SSLError, OSError):
        pass
time.sleep(5)
PY
	FAKE_PID=$!
	at_exit "kill $FAKE_PID 2>/dev/null"
	for _ in $(seq 100); do [ -s "$BED_DIR/fake.port" ] && break; sleep 0.05; done
	FAKE_PORT=$(cat "$BED_DIR/fake.port")
}
fake_server other-name
run_cli test --ca-file "$BED_CA" "imaps://alice@example.com@localhost:$FAKE_PORT"
expect "a certificate for another name" 1 "the certificate of the mail server 'localhost' is not for that name" \
	"use the host name the certificate names"
kill "$FAKE_PID" 2>/dev/null
run_cli test --ca-file "$BED_CA" "imaps://nobody@example.com@localhost:$BED_IMAPS_PORT"
expect "no account serves the user: exit 4" 4 "no account serves the user 'nobody@example.com' on 'localhost'" \
	"add it to the users = line"
run_cli test --ca-file "$BED_CA" "smtp://alice@example.com@localhost:$BED_IMAP_PORT"
expect "a URL whose port speaks another protocol: the fix names the ports" 1 \
	"logging in to localhost:$BED_IMAP_PORT (SMTP) failed: the SMTP server sent a line that is no reply" \
	"fix: this port does not speak SMTP; check the URL's scheme and port (imaps 993, imap 143"
run_cli test --ca-file "$BED_CA" "imaps://alice@example.com@localhost:$BED_IMAP_PORT"
expect "imaps:// to a port that greets in plaintext: use imap://" 5 "the TLS handshake with the mail server 'localhost' failed" \
	"fix: if this port greets in plaintext and offers STARTTLS, use imap://"
run_cli test --timeout 2 --ca-file "$BED_CA" "imap://alice@example.com@localhost:$BED_IMAPS_PORT"
expect "imap:// to a port that waits for TLS: try imaps://" 5 "did not answer within 2 seconds" \
	"fix: a server that says nothing may expect TLS from the first byte: try imaps://"

# A server that accepts and never greets: the time limit, exit 5.
fake_server silent
run_cli test --timeout 1 --ca-file "$BED_CA" "imaps://alice@example.com@localhost:$FAKE_PORT"
expect "a server that never answers: the time limit, exit 5" 5 "connecting to localhost:$FAKE_PORT (IMAP) failed" \
	"did not answer within 1 seconds"
kill "$FAKE_PID" 2>/dev/null

echo "== the Exchange-like SMTP front: its refusals explained"
EXO="smtp://alice@example.com@localhost:$BED_EXO_PORT"
run_cli test --ca-file "$BED_CA" "$EXO"
expect "smtp (587-like, STARTTLS) to the Exchange-like front" 0 "logged in to localhost:$BED_EXO_PORT (SMTP;" \
	"MAIL FROM:<alice@example.com> accepted"
run_cli test --ca-file "$BED_CA" "smtps://alice@example.com@localhost:$BED_EXO_SMTPS_PORT"
expect "smtps (465-like, TLS at once)" 0 "logged in to localhost:$BED_EXO_SMTPS_PORT (SMTP;" "accepted"
bed_exo_config '{"smtp_auth_disabled": ["alice@example.com"]}'
run_cli test --ca-file "$BED_CA" "$EXO"
expect "SMTP AUTH switched off for the mailbox: 5.7.139 and the PowerShell line for this mailbox" 1 \
	"the SMTP server refused the XOAUTH2 login: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox." \
	"this mailbox has SMTP AUTH switched off, and that refuses OAuth logins too; fix: an Exchange administrator runs: Set-CASMailbox -Identity alice@example.com -SmtpClientAuthenticationDisabled \$false"
bed_exo_config '{"offer_xoauth2": false}'
run_cli test --ca-file "$BED_CA" "$EXO"
expect "a server that does not offer the mechanism: what it offers, and the fix" 1 \
	"the SMTP server does not offer XOAUTH2 (see its AUTH line); the server announces: " "AUTH LOGIN" \
	"fix: the server takes no OAuth login for SMTP here; its administrator must enable it (Exchange Online: Set-CASMailbox -Identity alice@example.com -SmtpClientAuthenticationDisabled \$false)"
bed_exo_config '{"throttle": "auth"}'
run_cli test --ca-file "$BED_CA" "$EXO"
expect "throttling (451 4.7.500): a temporary refusal, exit 5, and what to do" 5 \
	"451 4.7.500 Server busy. Please try again later." \
	"the server is throttling this client for a while; fix: try again later"
bed_exo_config '{}'
run_cli test --ca-file "$BED_CA" --mech OAUTHBEARER "$EXO"
expect "OAUTHBEARER where only XOAUTH2 is offered (Exchange): the mechanism that works, and where to set it" 1 \
	"the SMTP server does not offer OAUTHBEARER" \
	"fix: it offers XOAUTH2: test with --mech XOAUTH2 and set the program to it (mbsync: AuthMechs XOAUTH2; Postfix: smtp_sasl_mechanism_filter = XOAUTH2)"
run_cli test --ca-file "$BED_CA" --from bob@example.com "$EXO"
expect "a sender the mailbox may not use: 5.7.60 and the grant that fixes it" 1 \
	"the check after logging in to localhost:$BED_EXO_PORT (SMTP) failed: the SMTP server refused MAIL FROM: 550 5.7.60 SMTP; Client does not have permissions to send as this sender" \
	"fix: send from alice@example.com's own address, or an Exchange administrator grants it: Add-RecipientPermission -Identity SENDER -Trustee alice@example.com -AccessRights SendAs"
cp "$XDG_STATE_HOME/sasl-oauth/work.json" "$BED_DIR/work.json.good"
bed_ctl POST /control/issue upn=alice@example.com "scope=SMTP.Send offline_access" | write_cache work
run_cli test --ca-file "$BED_CA" "$EXO"
expect "a Graph token: Exchange's bare 5.7.3, and what the token's claims show" 1 \
	"535 5.7.3 Authentication unsuccessful [EXO.LOCAL.BED]" \
	"sasl-oauth inspect finds: audience https://graph.microsoft.com is Microsoft Graph" \
	"fix: request scopes with Exchange's resource in front"
bed_ctl POST /control/issue upn=alice@example.com "scope=https://outlook.office.com/IMAP.AccessAsUser.All offline_access" |
	write_cache work
run_cli test --ca-file "$BED_CA" "$EXO"
expect "a token without SMTP.Send: 5.7.3, and the missing scope named" 1 \
	"535 5.7.3 Authentication unsuccessful" "sasl-oauth inspect finds: token lacks POP.AccessAsUser.All, SMTP.Send"
cp "$BED_DIR/work.json.good" "$XDG_STATE_HOME/sasl-oauth/work.json"
write_config "[account work]
users = alice@example.com, shared@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
run_cli test --ca-file "$BED_CA" "smtp://shared@example.com@localhost:$BED_EXO_PORT"
expect "a shared mailbox without FullAccess: 5.7.3 read as such, with the grant for it" 1 \
	"the server (Exchange Online) refused a login to a shared mailbox: the token's user has no FullAccess on it" \
	"Add-MailboxPermission -Identity shared@example.com -User DELEGATE -AccessRights FullAccess"
bed_exo_config '{"full_access": {"shared@example.com": ["alice@example.com"]}, "send_as": {"shared@example.com": ["shared@example.com"]}}'
run_cli test --ca-file "$BED_CA" "smtp://shared@example.com@localhost:$BED_EXO_PORT"
expect "the same with FullAccess granted: logged in" 0 "ok: shared@example.com logged in to localhost:$BED_EXO_PORT"
bed_exo_config '{}'

echo "== the Exchange-like IMAP and POP3 fronts: AUTHENTICATE failed, explained"
EXOI="imaps://alice@example.com@localhost:$BED_EXO_IMAPS_PORT"
run_cli test --ca-file "$BED_CA" "$EXOI"
expect "imaps to the Exchange-like front (relayed to Dovecot): folders listed" 0 \
	"ok: alice@example.com logged in to localhost:$BED_EXO_IMAPS_PORT (IMAP;" "1 folder: INBOX"
run_cli test --ca-file "$BED_CA" "pop3s://alice@example.com@localhost:$BED_EXO_POP3S_PORT"
expect "pop3s to the Exchange-like front: STAT" 0 "(POP3; TLSv1" "; 2 messages, "
cp "$XDG_STATE_HOME/sasl-oauth/work.json" "$BED_DIR/work.json.good"
bed_ctl POST /control/issue upn=alice@example.com "scope=IMAP.AccessAsUser.All offline_access" | write_cache work
run_cli test --ca-file "$BED_CA" "$EXOI"
expect "a Graph token: Exchange's bare 'NO AUTHENTICATE failed.', the catalog's reading, what the token shows" 1 \
	"the IMAP server refused the XOAUTH2 login: AUTHENTICATE failed.; the server (Exchange Online) refused the token without saying why" \
	"sasl-oauth inspect finds: audience https://graph.microsoft.com is Microsoft Graph"
run_cli test --ca-file "$BED_CA" "pop3s://alice@example.com@localhost:$BED_EXO_POP3S_PORT"
expect "the same over POP3: '-ERR Authentication failure', read as such" 1 \
	"refused the XOAUTH2 login: Authentication failure: unknown user name or bad password.; the server (Exchange Online) refused the token without saying why" \
	"sasl-oauth inspect finds: audience https://graph.microsoft.com is Microsoft Graph"
cp "$BED_DIR/work.json.good" "$XDG_STATE_HOME/sasl-oauth/work.json"
run_cli test --ca-file "$BED_CA" "imaps://shared@example.com@localhost:$BED_EXO_IMAPS_PORT"
expect "a shared mailbox without FullAccess over IMAP: the grant that fixes it" 1 \
	"AUTHENTICATE failed.; the server (Exchange Online) refused a login to a shared mailbox" \
	"Add-MailboxPermission -Identity shared@example.com -User DELEGATE -AccessRights FullAccess"
# The tunnel reads the same refusal the same way: a refused token is
# refreshed once, and the new one is refused too.
printf 'a LOGOUT\r\n' | timeout 60 "$CLI" tunnel --ca-file "$BED_CA" "imaps://shared@example.com@localhost:$BED_EXO_IMAPS_PORT" \
	>"$BED_DIR/out" 2>"$BED_DIR/err"
RC=$? OUT=$(cat "$BED_DIR/out") ERR=$(cat "$BED_DIR/err")
expect "the tunnel to that shared mailbox: * BYE with the catalog's cause and the grant" 1 \
	"* BYE sasl-oauth: the IMAP server refused the XOAUTH2 login: AUTHENTICATE failed.; the server (Exchange Online) refused a login to a shared mailbox" \
	"Add-MailboxPermission -Identity shared@example.com"
bed_exo_config '{"imap_disabled": ["alice@example.com"]}'
run_cli test --ca-file "$BED_CA" "$EXOI"
expect "IMAP switched off for the mailbox: the login passes, then 'User is authenticated but not connected', explained" 1 \
	"BAD User is authenticated but not connected." \
	"fix: an Exchange administrator runs Set-CASMailbox -Identity alice@example.com -ImapEnabled \$true"
bed_exo_config '{}'

# --plaintext to an address that is not loopback: refused before a word
# is sent (this machine's own non-loopback address, where there is one).
OWN=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.')
if [ -n "$OWN" ]; then
	fake_server silent 0.0.0.0
	run_cli test --plaintext "imap://alice@example.com@$OWN:$FAKE_PORT"
	expect "--plaintext to a server that is not on loopback: refused, exit 4" 4 \
		"refusing a plaintext connection to '$OWN': the token would travel unencrypted"
	kill "$FAKE_PID" 2>/dev/null
else
	echo "note: this machine has no non-loopback IPv4 address; test-tunnel.sh covers the same check"
fi

revoke_grant
run_cli test --ca-file "$BED_CA" "$IMAPS"
expect "a revoked grant: the provider's code and the fix, exit 3" 3 \
	"logging in to localhost:$BED_IMAPS_PORT (IMAP) failed: the sasl-oauth plugin failed before sending anything" \
	"AADSTS50173" "run: sasl-oauth login work"

finish
