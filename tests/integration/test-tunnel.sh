#!/bin/bash
# SPDX-License-Identifier: MIT
# sasl-oauth tunnel itself, against the bed: the greeting it presents (IMAP
# PREAUTH with the capabilities after login, POP3 +OK), the relay both ways,
# the end of the stream passed on in both directions, XOAUTH2 and
# OAUTHBEARER, imaps, STARTTLS, STLS and loopback plaintext; and its
# failures: the protocol's own ending (* BYE / -ERR) with the cause, the
# same line on stderr, sasl-oauth's exit status; a token the server refuses
# is refreshed once and tried again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients.sh"
clients_setup
# The bed's CA is OpenSSL's default store: the pages' lines need no --ca-file.
export SSL_CERT_FILE="$BED_CA"
deliver_n 2 tunnel

# The program's side: greeting, then each command after the answer to the
# previous one, then its sending side shut; reads to the end of the stream.
cat > "$BED_DIR/client.py" <<'PY'
import socket, subprocess, sys
errfile, cmds, argv = sys.argv[1], sys.argv[2].split("|") if sys.argv[2] else [], sys.argv[3:]
pop = argv[-1].startswith("pop3")
a, b = socket.socketpair()
with open(errfile, "w") as err:
    p = subprocess.Popen(argv, stdin=b, stdout=b, stderr=err)
b.close()
a.settimeout(30)
f = a.makefile("rb")
out = []
def line():
    l = f.readline()
    out.append(l)
    return l
g = line()
if g.startswith(b"* PREAUTH") or g.startswith(b"+OK"):
    for c in cmds:
        a.sendall(c.encode() + b"\r\n")
        word = c.split(" ")[0]
        multi = pop and word.upper() in ("CAPA", "LIST", "UIDL", "RETR")
        while True:
            l = line()
            if not l or (not pop and l.startswith(word.encode() + b" ")):
                break
            if pop and (not multi or l == b".\r\n" or l.startswith(b"-ERR")):
                break
a.shutdown(socket.SHUT_WR)
while line():
    pass
rc = p.wait(timeout=30)
sys.stdout.buffer.write(b"".join(out))
print("RC=%d" % rc)
PY

# session URL "CMD|CMD" [OPTIONS...]: $OUT what the program received, $ERR
# the tunnel's stderr, $RC its exit status.
session() {
	local url=$1 cmds=$2
	shift 2
	timeout 60 "$PY" "$BED_DIR/client.py" "$BED_DIR/err" "$cmds" "$CLI" tunnel "$@" "$url" > "$BED_DIR/out"
	RC=$(sed -n 's/^RC=//p' "$BED_DIR/out")
	OUT=$(grep -v '^RC=' "$BED_DIR/out" | tr -d '\r')
	ERR=$(cat "$BED_DIR/err")
}
show_session() { echo "$OUT" | head -"${1:-6}" | cut -c1-200 | sed 's/^/    /'; echo "$ERR" | head -3 | sed 's/^/    stderr: /'; }

U=alice@example.com

# 1. IMAP over imaps, STARTTLS and loopback plaintext, with both mechanisms.
for spec in "imaps://$U@localhost:$BED_IMAPS_PORT XOAUTH2" "imap://$U@localhost:$BED_IMAP_PORT XOAUTH2" \
	"imaps://alice%40example.com@localhost:$BED_IMAPS_PORT OAUTHBEARER" \
	"imap://$U@127.0.0.1:$BED_IMAP_PORT XOAUTH2 --plaintext"; do
	set -- $spec
	session "$1" "a SELECT INBOX|b FETCH 2 BODY[HEADER.FIELDS (SUBJECT)]|c LOGOUT" --mech "$2" ${3:-}
	if [ "$RC" = 0 ] && echo "$OUT" | head -1 | grep -q "^\* PREAUTH \[CAPABILITY IMAP4rev1 .*IDLE.*\] sasl-oauth: logged in as $U with $2$" &&
		echo "$OUT" | grep -q '^\* 2 EXISTS' && echo "$OUT" | grep -q '^Subject: tunnel 2$' &&
		echo "$OUT" | grep -q '^c OK Logout completed' && [ -z "$ERR" ]; then
		pass "$1 ${3:-} with $2: PREAUTH with the capabilities after login, then the session relayed"
	else
		fail "$1 ${3:-} with $2: exit $RC"; show_session
	fi
done
grep -q "imap-login: Info: Login: user=<$U>, method=OAUTHBEARER" "$BED_DIR/dovecot.log" &&
	grep -q "imap-login: Info: Login: user=<$U>, method=XOAUTH2.*TLS" "$BED_DIR/dovecot.log" &&
	pass "Dovecot logged XOAUTH2 and OAUTHBEARER logins over TLS" || fail "Dovecot's log lacks the logins"
grep "imap-login: Info: Login: user=<$U>, method=XOAUTH2" "$BED_DIR/dovecot.log" | grep -qv ', TLS' &&
	pass "--plaintext to a loopback address logs in without TLS" || fail "no plaintext login in Dovecot's log"

# 2. POP3 with STLS: an Exchange-sized token goes after the continuation.
session "pop3://$U@localhost:$BED_POP3_PORT" "STAT|QUIT"
if [ "$RC" = 0 ] && [ "$(echo "$OUT" | head -1)" = "+OK sasl-oauth: logged in as $U with XOAUTH2" ] &&
	echo "$OUT" | grep -q '^+OK 2 [0-9]*$' && echo "$OUT" | grep -q '^+OK Logging out'; then
	pass "pop3:// with STLS: +OK in the TRANSACTION state, STAT relayed"
else
	fail "pop3://: exit $RC"; show_session
fi
# Clients that always log in (mutt): CAPA lists USER, USER and PASS answered.
session "pop3://$U@localhost:$BED_POP3_PORT" "CAPA|USER x|PASS y|STAT|QUIT"
if [ "$RC" = 0 ] && echo "$OUT" | grep -q '^UIDL$' && echo "$OUT" | grep -qx 'USER' &&
	[ "$(echo "$OUT" | grep -c '^+OK$')" = 3 ] && echo "$OUT" | grep -q '^+OK 2 [0-9]*$'; then
	pass "POP3: CAPA gets USER added, USER and PASS are answered by the tunnel, STAT goes to the server"
else
	fail "POP3 login commands: exit $RC"; show_session 20
fi

# 3. The end of the stream: the server's close reaches the program (LOGOUT
#    above), and the program's close ends the session without a command.
t0=$(date +%s)
session "imaps://$U@localhost:$BED_IMAPS_PORT" ""
if [ "$RC" = 0 ] && [ "$(echo "$OUT" | wc -l)" -le 2 ] && [ $(($(date +%s) - t0)) -lt 20 ]; then
	pass "the program's half-close is passed on: the server ends the session, the tunnel exits 0"
else
	fail "half-close: exit $RC after $(($(date +%s) - t0)) s"; show_session
fi

# 4. A refused token: marked, refreshed once, tried again.
bed_revoke "$(access_token work)"
g0=$(refresh_grants)
session "imaps://$U@localhost:$BED_IMAPS_PORT" "a LOGOUT"
if [ "$RC" = 0 ] && echo "$OUT" | head -1 | grep -q '^\* PREAUTH' && [ $(($(refresh_grants) - g0)) = 1 ]; then
	pass "a fresh token the server refuses: 1 refresh, the second login works"
else
	fail "refused token: exit $RC, $(($(refresh_grants) - g0)) refreshes"; show_session
fi

# 5. Failures: the protocol's ending, stderr, exit status.
# failure NAME URL WANT_STATUS WANT_TEXT [OPTIONS...]
failure() {
	local name=$1 url=$2 status=$3 text=$4 first
	shift 4
	session "$url" "" "$@"
	first=$(echo "$OUT" | head -1)
	case $url in pop3*) want="-ERR sasl-oauth: " ;; *) want="* BYE sasl-oauth: " ;; esac
	if [ "$RC" = "$status" ] && [ "${first#"$want"}" != "$first" ] && echo "$first" | grep -qF -- "$text" &&
		[ "$ERR" = "sasl-oauth: ${first#"$want"}" ]; then
		pass "$name: '${want% }' with the cause, the same line on stderr, exit $status"
	else
		fail "$name: exit $RC (want $status)"; show_session
	fi
}
failure "no account for the user" "imaps://bob@other.example@localhost:$BED_IMAPS_PORT" 4 \
	"no account serves the user 'bob@other.example' on 'localhost'"
SASL_OAUTH_CONF="$BED_DIR/no-such.conf" failure "no configuration at all" \
	"imaps://$U@localhost:$BED_IMAPS_PORT" 4 "configuration file '$BED_DIR/no-such.conf' named by SASL_OAUTH_CONF does not exist"
failure "the mail server is down" "pop3s://$U@localhost:1" 5 "cannot connect to the mail server 'localhost' port 1"
SSL_CERT_FILE=/nonexistent failure "an unknown CA" "imaps://$U@localhost:$BED_IMAPS_PORT" 1 \
	"did not verify: unable to get local issuer certificate; if the server uses a private CA, give it with --ca-file"
SSL_CERT_FILE=/nonexistent session "imaps://$U@localhost:$BED_IMAPS_PORT" "a LOGOUT" --ca-file "$BED_CA"
[ "$RC" = 0 ] && echo "$OUT" | head -1 | grep -q '^\* PREAUTH' && pass "--ca-file names the CA" ||
	{ fail "--ca-file: exit $RC"; show_session; }
session "imaps://localhost:$BED_IMAPS_PORT" ""
[ "$RC" = 2 ] && [ -z "$OUT" ] && echo "$ERR" | grep -q "names no user" && pass "a URL without a user: usage error, exit 2" ||
	fail "URL without a user: exit $RC: $ERR"

# The server refuses even a refreshed token (a mailbox the token may not
# open): the server's words and the fix, after exactly one refresh.
write_config "[account work]
users = alice@example.com, carol@elsewhere.example
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000"
g0=$(refresh_grants)
failure "a refreshed token refused too" "imaps://carol@elsewhere.example@localhost:$BED_IMAPS_PORT" 1 \
	"the IMAP server refused the XOAUTH2 login: "
if [ $(($(refresh_grants) - g0)) = 1 ] && echo "$OUT" | grep -q "was just refreshed.*sasl-oauth login work$"; then
	pass "... after exactly 1 refresh, naming what to check and the fix"
else
	fail "refused refreshed token: $(($(refresh_grants) - g0)) refreshes"; show_session
fi
bed_revoke "$(cache_field work refresh_token)"
set_expires work -120
failure "a revoked refresh token (POP3)" "pop3://$U@localhost:$BED_POP3_PORT" 3 "AADSTS50173"
echo "$OUT" | grep -q "run: sasl-oauth login work$" && pass "... ending in the fix" || fail "no fix in: $OUT"
finish
