#!/bin/bash
# SPDX-License-Identifier: MIT
# Proves the test bed before anything is built on it: the identity provider
# answers like Entra ID (rotation, error shape, PKCE, device flow, client
# credentials with secret and signed assertion, injected faults), and the
# bed's Dovecot accepts XOAUTH2 and OAUTHBEARER over IMAP (STARTTLS and
# implicit TLS), POP3 and submission, relays mail to the sink, sends the
# error challenge for a revoked token, still takes PLAIN; that the
# Exchange-like SMTP server (exo_smtp.py) and IMAP/POP3 servers
# (exo_imap.py) send Exchange Online's exact replies for each of their
# cases and knobs, the latter relaying logins to Dovecot; and that the bed
# leaves no process behind.  Exit 0 pass, 1 fail, 77 skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bed.sh
. "$here/bed.sh"

skip() { echo "SKIP: $*"; exit 77; }
for t in dovecot doveadm openssl setsid; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
done
[ -x "$BED_PY" ] || skip "$BED_PY is not installed"
[ "$(id -u)" = 0 ] || skip "the bed runs Dovecot as root (it drops privileges itself)"

t0=$(date +%s%N)
dir=$(mktemp -d /tmp/sao-bed-selftest-XXXXXX)
trap 'bed_teardown; rm -rf "$dir"' EXIT
bed_setup "$dir" || { echo "FAIL: bed_setup"; bed_logs; exit 1; }
echo "ok: bed up in $(( ($(date +%s%N) - t0) / 1000000 )) ms (imap $BED_IMAP_PORT, imaps $BED_IMAPS_PORT," \
	"pop3 $BED_POP3_PORT, submission $BED_SUBMISSION_PORT, sink $BED_SINK_PORT, idp $BED_IDP_URL," \
	"exo $BED_EXO_PORT/$BED_EXO_SMTPS_PORT, exo-imap $BED_EXO_IMAP_PORT/$BED_EXO_IMAPS_PORT," \
	"exo-pop3 $BED_EXO_POP3_PORT/$BED_EXO_POP3S_PORT)"

failed=0
bed_add_user alice@example.com || { echo "FAIL: bed_add_user"; failed=1; }
printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: seed\r\n\r\nhello\r\n' > "$dir/seed.eml"
bed_deliver alice@example.com "$dir/seed.eml" || { echo "FAIL: bed_deliver"; failed=1; }
issued=$(bed_issue alice@example.com 600) || { echo "FAIL: bed_issue"; failed=1; }
export SELFTEST_ISSUED="$issued" SELFTEST_DIR="$dir" SELFTEST_BED="$here/bed.sh" BED_CTL_PY

"$BED_PY" - <<'PY' || failed=1
import base64, hashlib, json, os, re, smtplib, socket, ssl, subprocess, sys, time
import urllib.error, urllib.parse, urllib.request

E = os.environ
IDP = E["BED_IDP_URL"]
CTX = ssl.create_default_context(cafile=E["BED_CA"])   # verifies DNS:localhost
FAILS = []


def check(cond, what, detail=""):
    if cond:
        print("ok: " + what)
    else:
        FAILS.append(what)
        print("FAIL: %s %s" % (what, detail))


def ctl(method, path, obj=None):
    data = json.dumps(obj).encode() if obj is not None else None
    req = urllib.request.Request(IDP + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def http(method, path, form=None, headers=None):
    """(status, headers, parsed-or-raw body) from the identity provider."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(IDP + path, data=data, method=method, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        r = opener.open(req, timeout=10)
        status, hdrs, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    try:
        return status, hdrs, json.loads(raw)
    except ValueError:
        return status, hdrs, raw


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def xoauth2(user, token):
    return b64("user=%s\x01auth=Bearer %s\x01\x01" % (user, token))


def oauthbearer(user, token, port):
    return b64("n,a=%s,\x01host=localhost\x01port=%d\x01auth=Bearer %s\x01\x01" % (user, port, token))


class Conn:
    """A line-oriented client; TLS from the start or after STARTTLS."""

    def __init__(self, port, implicit=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if implicit:
            self.sock = CTX.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""

    def starttls(self):
        self.sock = CTX.wrap_socket(self.sock, server_hostname="localhost")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; got %r" % self.buf)
            self.buf += chunk
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out.decode("utf-8", "replace")

    def until(self, pred):
        while True:
            ln = self.line()
            if pred(ln):
                return ln

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def imap(port, mode):
    c = Conn(port, mode == "implicit")
    c.until(lambda l: l.startswith("* OK"))
    if mode == "starttls":
        c.send("s STARTTLS")
        c.until(lambda l: l.startswith("s "))
        c.starttls()
    return c


def imap_auth(port, mode, mech, ir):
    c = imap(port, mode)
    c.send("a AUTHENTICATE %s %s" % (mech, ir))
    first = c.until(lambda l: l.startswith("a ") or l.startswith("+"))
    return c, first


ISSUED = json.loads(E["SELFTEST_ISSUED"])
TOKEN = ISSUED["access_token"]
USER = "alice@example.com"
check(ISSUED.get("refresh_token") and ISSUED.get("expires_in") == 600, "bed_issue returned a token pair")

# --- IMAP -------------------------------------------------------------------
for mode, port in (("starttls", int(E["BED_IMAP_PORT"])), ("implicit", int(E["BED_IMAPS_PORT"]))):
    c, r = imap_auth(port, mode, "XOAUTH2", xoauth2(USER, TOKEN))
    check(r.startswith("a OK"), "IMAP %s XOAUTH2 login" % mode, r)
    if r.startswith("a OK"):
        c.send("b STATUS INBOX (MESSAGES)")
        st = c.until(lambda l: l.startswith("* STATUS"))
        check("MESSAGES 1" in st, "IMAP %s sees the delivered message" % mode, st)
    c.close()
    c, r = imap_auth(port, mode, "OAUTHBEARER", oauthbearer(USER, TOKEN, port))
    check(r.startswith("a OK"), "IMAP %s OAUTHBEARER login" % mode, r)
    c.close()

# --- POP3: AUTH XOAUTH2, then the response on its own line --------------------
c = Conn(int(E["BED_POP3_PORT"]))
c.until(lambda l: l.startswith("+OK"))
c.send("STLS")
c.until(lambda l: l.startswith("+OK") or l.startswith("-ERR"))
c.starttls()
c.send("AUTH XOAUTH2")
r1 = c.line()
c.send(xoauth2(USER, TOKEN))
r2 = c.line()
check(r1.startswith("+") and r2.startswith("+OK"), "POP3 STLS XOAUTH2 login (two-step)", "%r %r" % (r1, r2))
c.send("STAT")
st = c.line()
check(st.startswith("+OK 1 "), "POP3 STAT shows the delivered message", st)
c.send("QUIT")
c.close()

# --- submission: AUTH XOAUTH2 two-step (the AUTH line is capped near 1 KB) ---
def smtp_reply(c):
    lines = [c.line()]
    while lines[-1][3:4] == "-":
        lines.append(c.line())
    return lines


sink = os.path.join(E["SELFTEST_DIR"], "sink")
before = len(os.listdir(sink))
c = Conn(int(E["BED_SUBMISSION_PORT"]))
smtp_reply(c)
c.send("EHLO selftest")
smtp_reply(c)
c.send("STARTTLS")
smtp_reply(c)
c.starttls()
c.send("EHLO selftest")
ehlo = smtp_reply(c)
check(any("XOAUTH2" in l and "OAUTHBEARER" in l for l in ehlo), "submission offers XOAUTH2 and OAUTHBEARER")
c.send("AUTH XOAUTH2")
r1 = smtp_reply(c)[0]
c.send(xoauth2(USER, TOKEN))
r2 = smtp_reply(c)[0]
check(r1.startswith("334") and r2.startswith("235"), "submission XOAUTH2 login (two-step)", "%r %r" % (r1, r2))
replies = []
for cmd in ("MAIL FROM:<alice@example.com>", "RCPT TO:<bob@example.com>", "DATA"):
    c.send(cmd)
    replies.append(smtp_reply(c)[0])
c.send("From: alice@example.com\r\nTo: bob@example.com\r\nSubject: selftest relay\r\n\r\n"
       "..a line starting with a dot\r\n.")
replies.append(smtp_reply(c)[0])
c.send("QUIT")
c.close()
check([r[:3] for r in replies] == ["250", "250", "354", "250"], "submission accepted a message", replies)
for _ in range(100):
    if len(os.listdir(sink)) > before:
        break
    time.sleep(0.05)
files = sorted(os.listdir(sink))
got = open(os.path.join(sink, files[-1]), "rb").read() if len(files) > before else b""
check(b"Subject: selftest relay" in got and b"\r\n.a line starting" in got,
      "the sink received the relayed message (dot-unstuffed)", files)

# --- big tokens: Entra ID tokens are often longer than 4 KB ------------------
# Dovecot 2.3's login processes refuse a SASL response longer than 8192
# base64 bytes ("Authentication response too large"), so about 6100 bytes
# is the largest token this bed can accept.
ctl("POST", "/control/config", {"big_tokens": 6000})
big = ctl("POST", "/control/issue", {"upn": USER})["access_token"]
ctl("POST", "/control/config", {"big_tokens": 0})
c, r = imap_auth(int(E["BED_IMAPS_PORT"]), "implicit", "XOAUTH2", xoauth2(USER, big))
check(len(big) in (6000, 6001) and r.startswith("a OK"), "IMAP XOAUTH2 login with a %d-byte token" % len(big), r)
c.close()

# --- revocation: the error challenge, then NO ----------------------------------
n0 = ctl("GET", "/control/stats")["introspect"]["total"]
ctl("POST", "/control/revoke", {"token": TOKEN})
t = time.time()
c, r = imap_auth(int(E["BED_IMAPS_PORT"]), "implicit", "XOAUTH2", xoauth2(USER, TOKEN))
chal = {}
if r.startswith("+ "):
    chal = json.loads(base64.b64decode(r[2:]))
    print("    XOAUTH2 challenge: %s" % json.dumps(chal, separators=(",", ":")))
check(chal.get("status") == "401" and chal.get("schemes") == "bearer" and chal.get("scope") == "mail",
      "IMAP sends the XOAUTH2 error challenge with status 401 for a revoked token", r)
c.send("")
r = c.until(lambda l: l.startswith("a "))
check(r.startswith("a NO [AUTHENTICATIONFAILED]"), "after the empty response: NO [AUTHENTICATIONFAILED]", r)
c.close()
c, r = imap_auth(int(E["BED_IMAP_PORT"]), "starttls", "OAUTHBEARER",
                 oauthbearer(USER, TOKEN, int(E["BED_IMAP_PORT"])))
chal = json.loads(base64.b64decode(r[2:])) if r.startswith("+ ") else {}
print("    OAUTHBEARER challenge: %s" % json.dumps(chal, separators=(",", ":")))
c.send(b64("\x01"))
r2 = c.until(lambda l: l.startswith("a "))
check(chal.get("status") == "invalid_token" and r2.startswith("a NO [AUTHENTICATIONFAILED]"),
      "OAUTHBEARER challenge (status invalid_token), answered with %x01, then NO", r + " / " + r2)
c.close()
elapsed = time.time() - t
n1 = ctl("GET", "/control/stats")["introspect"]["total"]
check(n1 - n0 == 2, "each failed login asked the IdP (no auth cache)", "%d requests" % (n1 - n0))
check(elapsed < 1.8, "failed logins are not delayed (no auth penalty): %.2f s for two" % elapsed)

# --- the identity provider down: no challenge, a temporary failure -------------
ctl("POST", "/control/config", {"fault_endpoints": ["introspect"], "fail_status": 503})
good = ctl("POST", "/control/issue", {"upn": USER})["access_token"]
c, r = imap_auth(int(E["BED_IMAPS_PORT"]), "implicit", "XOAUTH2", xoauth2(USER, good))
check(r.startswith("a NO [UNAVAILABLE]"), "introspection answering 503 gives NO [UNAVAILABLE]", r)
c.close()
ctl("POST", "/control/config", {"fault_endpoints": ["token", "devicecode"], "fail_status": 0})
# Dovecot reuses its connection to the IdP; the fault must not have broken it.
c, r = imap_auth(int(E["BED_IMAPS_PORT"]), "implicit", "XOAUTH2", xoauth2(USER, good))
check(r.startswith("a OK"), "after the fault, XOAUTH2 logins work again", r)
c.close()

# --- the Exchange-like SMTP server (exo_smtp.py) ----------------------------------
# Exact reply lines: Exchange's refusals carry no challenge and end with the
# front end's name; see tests/bed/exo_smtp.py.
HOST = E["BED_EXO_HOST"]
EXO, EXOS = int(E["BED_EXO_PORT"]), int(E["BED_EXO_SMTPS_PORT"])
EXO_DIR = os.path.join(E["SELFTEST_DIR"], "exo")


def exo_config(obj):
    """Through bed.sh's bed_exo_config, which the tests of sasl-oauth use."""
    subprocess.run(["bash", "-c", '. "$1" && bed_exo_config "$2"', "-", E["SELFTEST_BED"], json.dumps(obj)],
                   check=True)


def exo(port=EXO, tls=True, implicit=False):
    """A connection after the greeting and EHLO (after STARTTLS if tls)."""
    c = Conn(port, implicit)
    greet = smtp_reply(c)
    c.send("EHLO selftest")
    ehlo = smtp_reply(c)
    if tls and not implicit:
        c.send("STARTTLS")
        r = smtp_reply(c)
        if r != ["220 2.0.0 SMTP server ready"]:
            check(False, "EXO STARTTLS", r)
        c.starttls()
        c.send("EHLO selftest")
        ehlo = smtp_reply(c)
    return c, greet, ehlo


def say(c, line):
    c.send(line)
    return smtp_reply(c)[-1]


def exo_auth(user, token, implicit=False, two_step=False):
    """(connection, [replies]) after AUTH XOAUTH2."""
    c = exo(EXOS if implicit else EXO, implicit=implicit)[0]
    if two_step:
        return c, [say(c, "AUTH XOAUTH2"), say(c, xoauth2(user, token))]
    return c, [say(c, "AUTH XOAUTH2 " + xoauth2(user, token))]


def issue(upn, **kw):
    return ctl("POST", "/control/issue", dict(kw, upn=upn))["access_token"]


BAD = "535 5.7.3 Authentication unsuccessful [%s]" % HOST
OK = "235 2.7.0 Authentication successful"
R504 = "504 5.7.4 Unrecognized authentication type [%s]" % HOST
exo_tok = issue(USER)

c, greet, ehlo = exo(tls=False)
check(re.fullmatch(r"220 %s Microsoft ESMTP MAIL Service ready at \w{3}, \d{1,2} \w{3} \d{4} "
                   r"\d\d:\d\d:\d\d \+0000" % re.escape(HOST), greet[0]) is not None, "EXO greeting", greet)
check(ehlo == ["250-%s Hello [127.0.0.1]" % HOST, "250-SIZE 157286400", "250-PIPELINING",
               "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250 8BITMIME"],
      "EXO EHLO before STARTTLS: STARTTLS, no AUTH", ehlo)
r = say(c, "AUTH XOAUTH2 " + xoauth2(USER, exo_tok))
check(r == R504, "EXO AUTH before STARTTLS: " + R504, r)
r = say(c, "MAIL FROM:<%s>" % USER)
check(r == "530 5.7.57 Client not authenticated to send mail. [%s]" % HOST, "EXO MAIL FROM before TLS: 530 5.7.57", r)
c.close()

c, _, ehlo = exo()
check("250-AUTH LOGIN XOAUTH2" in ehlo and "250-STARTTLS" not in ehlo, "EXO EHLO after STARTTLS: AUTH LOGIN XOAUTH2", ehlo)
r = say(c, "MAIL FROM:<%s>" % USER)
check(r == "530 5.7.57 Client not authenticated to send mail. [%s]" % HOST,
      "EXO MAIL FROM before AUTH: 530 5.7.57 Client not authenticated to send mail. [HOST]", r)
r1 = say(c, "AUTH XOAUTH2")
r2 = say(c, xoauth2(USER, exo_tok))
check([r1, r2] == ["334 ", OK], "EXO XOAUTH2 two-step: '334 ', then " + OK, [r1, r2])
replies = [say(c, "MAIL FROM:<%s>" % USER), say(c, "RCPT TO:<bob@example.com>"), say(c, "DATA")]
replies.append(say(c, "From: %s\r\nSubject: exo selftest\r\n\r\n..dot-stuffed\r\n." % USER))
check(replies == ["250 2.1.0 Sender OK", "250 2.1.5 Recipient OK", "354 Start mail input; end with <CRLF>.<CRLF>",
                  "250 2.6.0 <1@%s> Queued mail for delivery" % HOST], "EXO MAIL, RCPT, DATA accepted", replies)
got = open(os.path.join(EXO_DIR, "1.eml"), "rb").read() if os.path.exists(os.path.join(EXO_DIR, "1.eml")) else b""
check(got == b"From: %s\r\nSubject: exo selftest\r\n\r\n.dot-stuffed\r\n" % USER.encode(),
      "EXO stored the message as exo/1.eml, dot-unstuffed", got)
r = say(c, "MAIL FROM:<boss@example.com>")
check(r == "550 5.7.60 SMTP; Client does not have permissions to send as this sender [%s]" % HOST,
      "EXO MAIL FROM another sender: 550 5.7.60", r)
rest = [say(c, "RSET"), say(c, "NOOP"), say(c, "VRFY bob"), say(c, "QUIT")]
check(rest == ["250 2.0.0 Resetting", "250 2.0.0 OK", "500 5.3.3 Unrecognized command",
               "221 2.0.0 Service closing transmission channel"], "EXO RSET, NOOP, unknown command, QUIT", rest)
c.close()

exo_config({"send_as": {USER: ["Boss@example.com"]}})
c, r = exo_auth(USER, exo_tok, implicit=True)
r.append(say(c, "MAIL FROM:<boss@example.com>"))
check(r == [OK, "250 2.1.0 Sender OK"], "EXO implicit TLS, one-line AUTH; send_as lets MAIL FROM another sender", r)
c.close()

# A stock client: smtplib with STARTTLS, XOAUTH2 and a whole message.
try:
    with smtplib.SMTP("127.0.0.1", EXO, timeout=10) as s:
        s.starttls(context=CTX)
        s.ehlo("selftest")
        code, _ = s.auth("XOAUTH2", lambda challenge=None: base64.b64decode(xoauth2(USER, exo_tok)).decode())
        refused = s.sendmail(USER, ["carol@example.com"], "Subject: smtplib\r\n\r\nhi\r\n")
except smtplib.SMTPException as e:
    code, refused = 0, e
check(code == 235 and refused == {} and os.path.exists(os.path.join(EXO_DIR, "2.eml")),
      "EXO: smtplib logs in over STARTTLS and sends", (code, refused))

# Refusals: no challenge, only 535 5.7.3.
ctl("POST", "/control/revoke", {"token": exo_tok})
for what, user, tok in (
        ("a revoked token", USER, exo_tok),
        ("a Graph token", USER, issue(USER, scope="Mail.Send offline_access")),
        ("a token without SMTP.Send", USER, issue(USER, scope="https://outlook.office.com/IMAP.AccessAsUser.All")),
        ("another user's mailbox", "shared@example.com", issue(USER)),
        ("an app-only token without FullAccess", "shared@example.com", issue(None, app=True))):
    c, r = exo_auth(user, tok, two_step=True)
    check(r == ["334 ", BAD], "EXO %s: %s, no challenge" % (what, BAD), r)
    c.close()
exo_tok = issue(USER)
c, r = exo_auth(USER, exo_tok[:-4] + "AAAA")
check(r == [BAD], "EXO a token the IdP does not know, one-line AUTH: " + BAD, r)
c.close()

exo_config({"full_access": {"Shared@example.com": [USER, "00000000-0000-0000-0000-0000000000aa"]}})
c, r = exo_auth("shared@example.com", exo_tok)
check(r == [OK], "EXO full_access: the delegate's token opens the shared mailbox", r)
c.close()
app_tok = issue(None, app=True, client_id="00000000-0000-0000-0000-0000000000aa")
c, r = exo_auth("shared@example.com", app_tok)
check(r == [OK], "EXO app-only token with SMTP.SendAsApp and FullAccess", r)
r.append(say(c, "MAIL FROM:<shared@example.com>"))
check(r[-1] == "250 2.1.0 Sender OK", "EXO the shared mailbox sends as itself", r)
c.close()
c, r = exo_auth("shared@example.com", issue(None, app=True, client_id="00000000-0000-0000-0000-0000000000aa",
                                           roles=["IMAP.AccessAsApp"]))
check(r == [BAD], "EXO app-only token with FullAccess but without SMTP.SendAsApp: " + BAD, r)
c.close()

MBX = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. "
       "Visit https://aka.ms/smtp_auth_disabled for more information. [%s]" % HOST)
TEN = MBX.replace("for the Mailbox.", "for the Tenant.")
for knobs, user, want, what in (
        ({"smtp_auth_disabled": [USER]}, USER, MBX, "SMTP AUTH disabled for the mailbox"),
        ({"tenant_smtp_auth_disabled": True}, USER, TEN, "SMTP AUTH disabled for the tenant"),
        ({"tenant_smtp_auth_disabled": True, "smtp_auth_enabled": [USER]}, USER, OK,
         "the mailbox's own switch overrides the tenant's"),
        ({"policy_block": {USER: "security_defaults"}}, USER,
         "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults "
         "policy. [%s]" % HOST, "security defaults"),
        ({"throttle": "auth"}, USER, "451 4.7.500 Server busy. Please try again later. [%s]" % HOST,
         "throttled at AUTH")):
    exo_config(knobs)
    c, r = exo_auth(user, exo_tok)
    check(r == [want], "EXO %s: %s" % (what, want), r)
    c.close()
exo_config({"throttle": "mail"})
c, r = exo_auth(USER, exo_tok)
r.append(say(c, "MAIL FROM:<%s>" % USER))
check(r == [OK, "451 4.7.500 Server busy. Please try again later. [%s]" % HOST], "EXO throttled at MAIL FROM", r)
c.close()

exo_config({})
ctl("POST", "/control/config", {"fault_endpoints": ["introspect"], "fail_status": 503})
c, r = exo_auth(USER, exo_tok)
ctl("POST", "/control/config", {"fault_endpoints": ["token", "devicecode"], "fail_status": 0})
check(r == ["454 4.7.0 Temporary authentication failure [%s]" % HOST], "EXO introspection answering 503: 454 4.7.0", r)
c.close()
c = exo()[0]
r = [say(c, "AUTH OAUTHBEARER " + oauthbearer(USER, exo_tok, EXO)), say(c, "AUTH PLAIN " + b64("\0a\0b"))]
r += [say(c, "AUTH LOGIN"), say(c, b64(USER)), say(c, b64("secret"))]
check(r == [R504, R504, "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6",
            "550 5.7.30 Basic authentication is not supported for Client Submission. [%s]" % HOST],
      "EXO OAUTHBEARER and PLAIN: 504 5.7.4; LOGIN: the exchange, then 550 5.7.30", r)
c.close()
exo_config({"offer_xoauth2": False, "basic_auth": "disabled"})
c, _, ehlo = exo()
r = [say(c, "AUTH XOAUTH2 " + xoauth2(USER, exo_tok)), say(c, "AUTH LOGIN " + b64(USER)), say(c, b64("secret"))]
check("250-AUTH LOGIN" in ehlo and r == [R504, "334 UGFzc3dvcmQ6", "535 5.7.139 Authentication unsuccessful, "
                                         "basic authentication is disabled. [%s]" % HOST],
      "EXO offer_xoauth2 false: AUTH LOGIN only, XOAUTH2 gets 504 5.7.4", (ehlo, r))
c.close()
exo_config({})

# RFC 4954 section 4: AUTH lines up to 12288 octets.
ctl("POST", "/control/config", {"big_tokens": 9000})
big_exo = issue(USER)
ctl("POST", "/control/config", {"big_tokens": 0})
line = "AUTH XOAUTH2 " + xoauth2(USER, big_exo)
c, r = exo_auth(USER, big_exo)
check(12000 < len(line) <= 12288 and r == [OK], "EXO a %d-octet AUTH line" % len(line), r)
r = [say(c, "NOOP " + "x" * 12300), say(c, "NOOP")]
check(r == ["500 5.5.2 Line too long", "250 2.0.0 OK"], "EXO a line over 12288 octets is refused, the next one works", r)
c.close()
c = exo()[0]
r = [say(c, "AUTH XOAUTH2"), say(c, "A" * 12300), say(c, "NOOP")]
check(r == ["334 ", "500 5.5.6 Authentication Exchange line is too long", "250 2.0.0 OK"],
      "EXO a response over 12288 octets: 500 5.5.6", r)
c.close()

exo_log = open(os.path.join(E["SELFTEST_DIR"], "exo.log")).read()
check(not [x for x in (exo_tok, big_exo, app_tok, b64(USER)) if x[:40] in exo_log]
      and "auth XOAUTH2 user=alice@example.com" in exo_log, "EXO log: verdicts, no token or AUTH response")

# --- the Exchange-like IMAP and POP3 servers (exo_imap.py) ------------------------
# Exact lines: Exchange refuses a token with the final line only, never a
# challenge first; after a login the session is Dovecot's.  See exo_imap.py.
import imaplib
import poplib

XI, XIS = int(E["BED_EXO_IMAP_PORT"]), int(E["BED_EXO_IMAPS_PORT"])
XP, XPS = int(E["BED_EXO_POP3_PORT"]), int(E["BED_EXO_POP3S_PORT"])
GID = base64.b64encode(HOST.encode("utf-16-le")).decode()
CAPS_TAIL = ("UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE "
             "CHILDREN IDLE NAMESPACE LITERAL+")
CAPS = "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR " + CAPS_TAIL
I_OK, I_NO = "a OK AUTHENTICATE completed.", "a NO AUTHENTICATE failed."
I_NC = "BAD User is authenticated but not connected."
I_MECH = "a NO The specified authentication mechanism is not supported."
P_OK, P_NO = "+OK User successfully authenticated.", "-ERR Authentication failure: unknown user name or bad password."


def tagged(c, line, tag):
    """Sends line, returns every line up to the one tagged tag."""
    c.send(line)
    out = [c.line()]
    while not out[-1].startswith(tag + " "):
        out.append(c.line())
    return out


def xi(implicit=True):
    """An IMAP connection after the greeting (and STARTTLS)."""
    c = Conn(XIS if implicit else XI, implicit)
    greet = c.line()
    if not implicit:
        r = tagged(c, "s STARTTLS", "s")
        if r != ["s OK Begin TLS negotiation now."]:
            check(False, "EXO IMAP STARTTLS", r)
        c.starttls()
    return c, greet


def xi_auth(user, token, implicit=True, two_step=True):
    """(connection, [lines]) after AUTHENTICATE XOAUTH2; two_step sends the
    response after the "+ " and returns that line too."""
    c = xi(implicit)[0]
    if two_step:
        c.send("a AUTHENTICATE XOAUTH2")
        first = c.line()
        return c, [first] + tagged(c, xoauth2(user, token), "a")
    return c, tagged(c, "a AUTHENTICATE XOAUTH2 " + xoauth2(user, token), "a")


def inbox_count(upn):
    out = subprocess.run(["bash", "-c", '. "$1" && bed_doveadm mailbox status -u "$2" messages INBOX', "-",
                          E["SELFTEST_BED"], upn], check=True, capture_output=True, text=True).stdout
    return int(out.strip().split("=")[1])


subprocess.run(["bash", "-c", '. "$1" && bed_deliver "$2" "$3"', "-", E["SELFTEST_BED"], USER,
                os.path.join(E["SELFTEST_DIR"], "seed.eml")], check=True)
NMSG = inbox_count(USER)
exo_config({})
itok = issue(USER)

c = Conn(XI)
greet = c.line()
check(greet == "* OK The Microsoft Exchange IMAP4 service is ready. [%s]" % GID, "EXO IMAP greeting", greet)
r = tagged(c, "c CAPABILITY", "c")
check(r == ["* CAPABILITY IMAP4 IMAP4rev1 LOGINDISABLED STARTTLS " + CAPS_TAIL, "c OK CAPABILITY completed."],
      "EXO IMAP CAPABILITY before STARTTLS: LOGINDISABLED STARTTLS, no AUTH=", r)
r = tagged(c, "a AUTHENTICATE XOAUTH2 " + xoauth2(USER, itok), "a")
check(r == ["a BAD Command received in Invalid state."], "EXO IMAP AUTHENTICATE before STARTTLS refused", r)
r = tagged(c, "s STARTTLS", "s")
c.starttls()
r += tagged(c, "c CAPABILITY", "c")
check(r == ["s OK Begin TLS negotiation now.", CAPS, "c OK CAPABILITY completed."],
      "EXO IMAP STARTTLS, then CAPABILITY with AUTH=PLAIN AUTH=XOAUTH2 SASL-IR", r)
r = tagged(c, "a AUTHENTICATE XOAUTH2 " + xoauth2(USER, itok), "a")
check(r == [I_OK], "EXO IMAP STARTTLS, SASL-IR: " + I_OK, r)
lst = tagged(c, 'b LIST "" "*"', "b")
check(lst[-1].startswith("b OK") and any(l.startswith("* LIST") and l.endswith(" INBOX") for l in lst),
      "EXO IMAP relayed LIST from Dovecot shows INBOX", lst)
sel = tagged(c, "d SELECT INBOX", "d")
check(sel[-1].startswith("d OK [READ-WRITE]") and "* %d EXISTS" % NMSG in sel,
      "EXO IMAP relayed SELECT INBOX: %d EXISTS" % NMSG, sel)
bye = tagged(c, "z LOGOUT", "z")
check(bye[0].startswith("* BYE") and bye[-1].startswith("z OK"), "EXO IMAP relayed LOGOUT", bye)
c.close()

# A stock client: imaplib on implicit TLS, AUTHENTICATE without SASL-IR.
try:
    m = imaplib.IMAP4_SSL("localhost", XIS, ssl_context=CTX, timeout=10)
    welcome, caps = m.welcome.decode(), list(m.capabilities)
    auth = m.authenticate("XOAUTH2", lambda _: base64.b64decode(xoauth2(USER, itok)))
    sel = m.select("INBOX")
    m.logout()
except (imaplib.IMAP4.error, OSError) as e:
    welcome, caps, auth, sel = "", [], e, None
check(welcome == "* OK The Microsoft Exchange IMAP4 service is ready. [%s]" % GID
      and caps == CAPS.upper().split()[2:] and auth == ("OK", [b"AUTHENTICATE completed."])
      and sel == ("OK", [str(NMSG).encode()]), "EXO IMAP imaplib: implicit TLS, '+ ' continuation, SELECT",
      (welcome, caps, auth, sel))

c, r = xi_auth(USER, itok)
check(r == ["+ ", I_OK], "EXO IMAP implicit TLS two-step: '+ ', then " + I_OK, r)
st = tagged(c, "b STATUS INBOX (MESSAGES)", "b")
check("* STATUS INBOX (MESSAGES %d)" % NMSG in st, "EXO IMAP relayed STATUS", st)
c.close()

revoked = issue(USER)
ctl("POST", "/control/revoke", {"token": revoked})
APPX = "00000000-0000-0000-0000-0000000000bb"
for what, user, tok in (
        ("a revoked token", USER, revoked),
        ("a Graph token", USER, issue(USER, scope="Mail.Read offline_access")),
        ("a token without IMAP.AccessAsUser.All", USER, issue(USER, scope="https://outlook.office.com/SMTP.Send")),
        ("another user's mailbox", "shared@example.com", issue(USER)),
        ("an app-only token without FullAccess", "shared@example.com", issue(None, app=True, client_id=APPX)),
        ("a token the IdP does not know", USER, itok[:-4] + "AAAA")):
    c, r = xi_auth(user, tok)
    check(r == ["+ ", I_NO], "EXO IMAP %s: %s, no challenge" % (what, I_NO), r)
    c.close()
c, r = xi_auth(USER, revoked, two_step=False)
check(r == [I_NO], "EXO IMAP a revoked token with SASL-IR: " + I_NO, r)
c.close()

exo_config({"full_access": {"Shared@example.com": [USER]}})
c, r = xi_auth("shared@example.com", itok, implicit=False, two_step=False)
sel = tagged(c, "d SELECT INBOX", "d")
check(r == [I_OK] and sel[-1].startswith("d OK") and "* 0 EXISTS" in sel,
      "EXO IMAP full_access: the delegate's token opens the shared mailbox (relayed)", (r, sel))
c.close()
c, r = xi_auth("shared@example.com", issue(None, app=True, client_id=APPX, roles=["SMTP.SendAsApp"]))
check(r == ["+ ", I_NO], "EXO IMAP app-only token without the role IMAP.AccessAsApp: " + I_NO, r)
c.close()
exo_config({"full_access": {USER: [APPX]}})
app_itok = issue(None, app=True, client_id=APPX)
c, r = xi_auth(USER, app_itok, two_step=False)
sel = tagged(c, "d SELECT INBOX", "d")
check(r == [I_OK] and sel[-1].startswith("d OK") and "* %d EXISTS" % NMSG in sel,
      "EXO IMAP app-only token with IMAP.AccessAsApp and FullAccess: relayed, %d EXISTS" % NMSG, (r, sel))
c.close()

exo_config({"imap_disabled": ["Alice@example.com"]})
c, r = xi_auth(USER, itok)
r += tagged(c, "b NOOP", "b") + tagged(c, "c SELECT INBOX", "c")
check(r == ["+ ", I_OK, "b " + I_NC, "c " + I_NC], "EXO IMAP imap_disabled: OK, then every command " + I_NC, r)
c.close()
exo_config({"no_access": "not_connected"})
c, r = xi_auth("shared@example.com", itok, two_step=False)
r += tagged(c, "b LIST \"\" \"*\"", "b")
check(r == [I_OK, "b " + I_NC], "EXO IMAP no_access not_connected: a mailbox without FullAccess, OK then BAD", r)
c.close()

exo_config({})
c = xi()[0]
r = tagged(c, "a AUTHENTICATE OAUTHBEARER " + oauthbearer(USER, itok, XIS), "a")
r += tagged(c, "a AUTHENTICATE PLAIN " + b64("\0%s\0secret" % USER), "a")
r += tagged(c, "a LOGIN %s secret" % USER, "a")
r += tagged(c, "a SELECT INBOX", "a") + tagged(c, "a FROB", "a") + tagged(c, "a NOOP", "a")
r += tagged(c, "a LOGOUT", "a")
check(r == [I_MECH, I_NO, "a NO LOGIN failed.", "a BAD Command received in Invalid state.", "a BAD Command Error. 10",
            "a OK NOOP completed.", "* BYE Microsoft Exchange Server IMAP4 server signing off.",
            "a OK LOGOUT completed."], "EXO IMAP OAUTHBEARER, PLAIN, LOGIN, SELECT before login, unknown, NOOP, LOGOUT", r)
c.close()
exo_config({"offer_xoauth2": False})
c = xi()[0]
r = tagged(c, "c CAPABILITY", "c") + tagged(c, "a AUTHENTICATE XOAUTH2 " + xoauth2(USER, itok), "a")
check(r == [CAPS.replace(" AUTH=XOAUTH2", ""), "c OK CAPABILITY completed.", I_MECH],
      "EXO IMAP offer_xoauth2 false: no AUTH=XOAUTH2, XOAUTH2 refused as unsupported", r)
c.close()

# --- POP3 ---
exo_config({})
ptok = issue(USER)
c = Conn(XP)
greet = c.line()
caps = []
c.send("CAPA")
while not caps or caps[-1] != ".":
    caps.append(c.line())
check(greet == "+OK The Microsoft Exchange POP3 service is ready. [%s]" % GID
      and caps == ["+OK", "TOP", "UIDL", "USER", "STLS", "."], "EXO POP3 greeting and CAPA before STLS", (greet, caps))
c.send("AUTH XOAUTH2")
r = [c.line()]
c.send("STLS")
r.append(c.line())
c.starttls()
c.send("CAPA")
while r[-1] != ".":
    r.append(c.line())
c.send("AUTH XOAUTH2")
r.append(c.line())
c.send(xoauth2(USER, ptok))
r.append(c.line())
c.send("STAT")
st = c.line()
c.send("QUIT")
q = c.line()
check(r == ["-ERR Command is not valid in this state.", "+OK Begin TLS negotiation.", "+OK", "TOP", "UIDL",
            "SASL PLAIN XOAUTH2", "USER", ".", "+ ", P_OK],
      "EXO POP3 STLS, CAPA with SASL PLAIN XOAUTH2, AUTH XOAUTH2 two-step: " + P_OK, r)
check(re.fullmatch(r"\+OK %d \d+" % NMSG, st) is not None and q.startswith("+OK"),
      "EXO POP3 relayed STAT from Dovecot: %d messages, QUIT" % NMSG, (st, q))
c.close()

try:
    p = poplib.POP3_SSL("localhost", XPS, context=CTX, timeout=10)
    welcome, pcaps = p.getwelcome().decode(), p.capa()
    auth = [p._shortcmd("AUTH XOAUTH2"), p._shortcmd(xoauth2(USER, ptok))]
    stat = p.stat()
    p.quit()
except (poplib.error_proto, OSError) as e:
    welcome, pcaps, auth, stat = "", {}, e, None
check(welcome == "+OK The Microsoft Exchange POP3 service is ready. [%s]" % GID
      and pcaps == {"TOP": [], "UIDL": [], "SASL": ["PLAIN", "XOAUTH2"], "USER": []}
      and auth == [b"+ ", P_OK.encode()] and stat is not None and stat[0] == NMSG,
      "EXO POP3 poplib on implicit TLS: CAPA, AUTH XOAUTH2, STAT", (welcome, pcaps, auth, stat))


def xp_auth(user, token):
    c = Conn(XPS, True)
    c.line()
    c.send("AUTH XOAUTH2")
    r = [c.line()]
    c.send(xoauth2(user, token))
    return c, r + [c.line()]


for what, user, tok in (
        ("a revoked token", USER, revoked),
        ("a Graph token", USER, issue(USER, scope="Mail.Read offline_access")),
        ("a token without POP.AccessAsUser.All", USER, issue(USER, scope="https://outlook.office.com/IMAP.AccessAsUser.All")),
        ("another user's mailbox", "shared@example.com", ptok)):
    c, r = xp_auth(user, tok)
    check(r == ["+ ", P_NO], "EXO POP3 %s: %s, no challenge" % (what, P_NO), r)
    c.close()
exo_config({"full_access": {USER: [APPX]}})
c, r = xp_auth(USER, issue(None, app=True, client_id=APPX))
c.send("STAT")
r.append(c.line())
check(r[:2] == ["+ ", P_OK] and re.fullmatch(r"\+OK %d \d+" % NMSG, r[2]) is not None,
      "EXO POP3 app-only token with POP.AccessAsApp and FullAccess: relayed STAT", r)
c.close()
exo_config({"pop_disabled": [USER]})
c, r = xp_auth(USER, ptok)
check(r == ["+ ", P_NO], "EXO POP3 pop_disabled: " + P_NO, r)
c.close()
exo_config({})
c = Conn(XPS, True)
c.line()
r = []
for cmd in ("AUTH OAUTHBEARER " + oauthbearer(USER, ptok, XPS), "STAT", "USER " + USER, "PASS secret", "FROB",
            "AUTH XOAUTH2 " + xoauth2(USER, ptok)):
    c.send(cmd)
    r.append(c.line())
try:
    r.append(c.line())
except (EOFError, OSError):
    r.append("(closed)")
check(r == ["-ERR The specified authentication mechanism is not supported.", "-ERR Command is not valid in this state.",
            "+OK", "-ERR Logon failure: unknown user name or bad password.", "-ERR Protocol error. 14",
            "-ERR Protocol error. Connection is closed. 10", "(closed)"],
      "EXO POP3 OAUTHBEARER, STAT before login, USER/PASS, unknown, one-line AUTH XOAUTH2 closes", r)
c.close()
exo_config({"offer_xoauth2": False})
c = Conn(XPS, True)
c.line()
c.send("CAPA")
caps = [c.line()]
while caps[-1] != ".":
    caps.append(c.line())
c.send("AUTH XOAUTH2")
caps.append(c.line())
check("SASL PLAIN" in caps and caps[-1] == "-ERR The specified authentication mechanism is not supported.",
      "EXO POP3 offer_xoauth2 false: SASL PLAIN, XOAUTH2 unsupported", caps)
c.close()
exo_config({})

imap_log = open(os.path.join(E["SELFTEST_DIR"], "exo-imap.log")).read()
relay_pw = open(os.path.join(E["SELFTEST_DIR"], "exo-relay.secret")).read().split()[1]
check(not [x for x in (itok, ptok, revoked, app_itok, xoauth2(USER, itok), relay_pw) if x[:40] in imap_log]
      and "auth XOAUTH2 user=alice@example.com" in imap_log and "relay to Dovecot ended" in imap_log,
      "EXO IMAP/POP3 log: verdicts and relays, no token or AUTHENTICATE response")

# --- PLAIN with the password user still works ---------------------------------
c, r = imap_auth(int(E["BED_IMAP_PORT"]), "starttls", "PLAIN",
                 b64("\0plainuser@example.com\0" + E["BED_PLAIN_PASSWORD"]))
check(r.startswith("a OK"), "IMAP PLAIN login of the password user", r)
c.close()
c, r = imap_auth(int(E["BED_IMAP_PORT"]), "starttls", "PLAIN", b64("\0plainuser@example.com\0wrong"))
check(r.startswith("a NO"), "a wrong password is refused", r)
c.close()

# --- the identity provider on its own -------------------------------------------
TOK = "/contoso.onmicrosoft.com/oauth2/v2.0/token"
CID = "00000000-0000-0000-0000-000000000000"
rt = ISSUED["refresh_token"]
s, _, a = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": rt})
s2, _, b = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": rt})
check(s == 200 and s2 == 200 and a["refresh_token"] != rt and a["refresh_token"] != b["refresh_token"]
      and a["token_type"] == "Bearer" and a["ext_expires_in"] == a["expires_in"],
      "refresh grant rotates the refresh token; the old one stays valid")
t2 = ctl("POST", "/control/issue", {"upn": USER})
ctl("POST", "/control/revoke", {"token": t2["refresh_token"], "reason": "inactive"})
s, _, e = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": t2["refresh_token"]})
check(e.get("error_codes") == [700082], "refresh token expired by inactivity: AADSTS700082", e)
s, _, i1 = http("GET", "/introspect?" + urllib.parse.urlencode({"token": t2["access_token"]}))
s, _, i2 = http("GET", "/introspect", headers={"Authorization": "Bearer " + t2["access_token"]})
check(i1.get("active") is True and i2.get("username") == USER, "introspection by GET and by Bearer header")
ctl("POST", "/control/revoke", {"token": rt})
s, h, e = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": rt})
keys = {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}
check(s == 400 and e.get("error") == "invalid_grant" and e.get("error_codes") == [50173]
      and set(e) == keys and e["error_description"].startswith("AADSTS50173: ")
      and "Correlation ID: " + e["correlation_id"] in e["error_description"]
      and h["Content-Type"].startswith("application/json"),
      "revoked refresh token: 400 invalid_grant AADSTS50173 in Microsoft's error shape", e)
s, _, e = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": "nope"})
check(e.get("error_codes") == [70000], "unknown refresh token: AADSTS70000", e)
s, _, e = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID})
check(s == 400 and e.get("error_codes") == [900144], "missing parameter: AADSTS900144", e)
s, _, e = http("POST", TOK, {"grant_type": "password", "client_id": CID})
check(e.get("error") == "unsupported_grant_type", "unsupported grant type", e)

# Authorization code with PKCE S256.
verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
redirect = "http://localhost:53682/"


def authorize():
    q = urllib.parse.urlencode({"client_id": CID, "response_type": "code", "redirect_uri": redirect,
                                "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
                                "state": "xyz", "code_challenge": challenge,
                                "code_challenge_method": "S256"})
    s, h, _ = http("GET", "/organizations/oauth2/v2.0/authorize?" + q)
    loc = urllib.parse.urlsplit(h.get("Location", ""))
    return s, {k: v[0] for k, v in urllib.parse.parse_qs(loc.query).items()}


s, q = authorize()
check(s == 302 and q.get("state") == "xyz" and q.get("code"), "authorize redirects with code and state")
form = {"grant_type": "authorization_code", "client_id": CID, "code": q.get("code", ""),
        "redirect_uri": redirect, "code_verifier": verifier}
s, _, tok = http("POST", "/organizations/oauth2/v2.0/token", form)
check(s == 200 and tok.get("refresh_token") and tok.get("access_token"), "code + verifier redeemed", tok)
s, _, e = http("POST", "/organizations/oauth2/v2.0/token", form)
check(e.get("error_codes") == [54005], "a code redeemed twice: AADSTS54005", e)
s, q = authorize()
form.update(code=q.get("code", ""), code_verifier=verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))
s, _, e = http("POST", "/organizations/oauth2/v2.0/token", form)
check(e.get("error_codes") == [501481], "wrong PKCE verifier: AADSTS501481", e)
ctl("POST", "/control/config", {"authorize_mode": "deny"})
s, q = authorize()
check(q.get("error") == "access_denied" and q.get("state") == "xyz", "authorize_mode deny: error=access_denied")
ctl("POST", "/control/config", {"authorize_mode": "approve"})

# Device code: pending once, then tokens.
ctl("POST", "/control/config", {"device_interval": 0, "device_approve_after": 1})
s, _, d = http("POST", "/common/oauth2/v2.0/devicecode",
               {"client_id": CID, "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"})
check(s == 200 and d["expires_in"] == 900 and d["interval"] == 0
      and d["verification_uri"] == IDP + "/devicelogin" and d["user_code"] in d["message"],
      "devicecode answer", d)
poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CID,
        "device_code": d["device_code"]}
s, _, e = http("POST", "/common/oauth2/v2.0/token", poll)
s2, _, tok = http("POST", "/common/oauth2/v2.0/token", poll)
check(e.get("error") == "authorization_pending" and e.get("error_codes") == [70016]
      and s2 == 200 and tok.get("refresh_token"), "device flow: pending (AADSTS70016), then tokens", (e, s2))
ctl("POST", "/control/config", {"device_mode": "expire"})
s, _, d = http("POST", "/common/oauth2/v2.0/devicecode", {"client_id": CID, "scope": "offline_access"})
s, _, e = http("POST", "/common/oauth2/v2.0/token", dict(poll, device_code=d["device_code"]))
check(e.get("error") == "expired_token" and e.get("error_codes") == [70019], "device_mode expire", e)
for mode, want in (("decline", "authorization_declined"), ("slow_down", "slow_down")):
    ctl("POST", "/control/config", {"device_mode": mode})
    s, _, d = http("POST", "/common/oauth2/v2.0/devicecode", {"client_id": CID, "scope": "offline_access"})
    s, _, e = http("POST", "/common/oauth2/v2.0/token", dict(poll, device_code=d["device_code"]))
    check(e.get("error") == want, "device_mode %s answers %s" % (mode, want), e)
ctl("POST", "/control/config", {"device_mode": "approve", "device_interval": 5})

# Client credentials: secret, then a certificate assertion (PS256 and RS256).
APP = "11111111-2222-3333-4444-555555555555"
ctl("POST", "/control/users", {"client_id": APP, "client_secret": "s3cret~value"})
cc = {"grant_type": "client_credentials", "client_id": APP, "scope": "https://outlook.office365.com/.default"}
s, _, e = http("POST", TOK, dict(cc, client_secret="wrong"))
check(s == 401 and e.get("error") == "invalid_client" and e.get("error_codes") == [7000215],
      "wrong client secret: 401 invalid_client AADSTS7000215", e)
s, _, tok = http("POST", TOK, dict(cc, client_secret="s3cret~value"))
claims = json.loads(base64.urlsafe_b64decode(tok.get("access_token", "e30.e30.").split(".")[1] + "=="))
check(s == 200 and "refresh_token" not in tok and "IMAP.AccessAsApp" in claims.get("roles", [])
      and "scp" not in claims, "client secret: app-only token with roles, no refresh token", claims)
basic = "Basic " + b64("%s:%s" % (APP, "s3cret~value"))
s, _, tok = http("POST", TOK, {k: v for k, v in cc.items() if k != "client_id"}, {"Authorization": basic})
check(s == 200, "client secret in HTTP Basic", tok)

work = E["SELFTEST_DIR"]
key, crt = os.path.join(work, "app.key"), os.path.join(work, "app.crt")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                "-days", "1", "-subj", "/CN=selftest app"], check=True, capture_output=True)
CERT_APP = "22222222-3333-4444-5555-666666666666"
ctl("POST", "/control/users", {"client_id": CERT_APP, "certificate_pem_path": crt})
der = ssl.PEM_cert_to_DER_cert(open(crt).read())


def assertion(alg, sign=True, jti=None, aud=None, x5t=True, exp=None):
    """A signed client assertion; exp (UTC seconds) moves its validity
    window so that it ends then."""
    u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    hdr = {"alg": alg, "typ": "JWT"}
    if x5t:
        if alg == "PS256":
            hdr["x5t#S256"] = u(hashlib.sha256(der).digest())
        else:
            hdr["x5t"] = u(hashlib.sha1(der).digest())
    now = int(time.time())
    exp = now + 300 if exp is None else exp
    start = min(now, exp - 300)
    body = {"aud": aud or IDP + TOK, "iss": CERT_APP, "sub": CERT_APP, "jti": jti or os.urandom(8).hex(),
            "nbf": start, "iat": start, "exp": exp}
    si = u(json.dumps(hdr).encode()) + "." + u(json.dumps(body).encode())
    argv = ["openssl", "dgst", "-sha256", "-sign", key]
    if alg == "PS256":
        argv += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
    sig = subprocess.run(argv, input=si.encode(), capture_output=True, check=True).stdout
    if not sign:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    return si + "." + u(sig)


ja = {"grant_type": "client_credentials", "client_id": CERT_APP, "scope": "https://outlook.office365.com/.default",
      "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
s, _, tok = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", jti="j1")))
check(s == 200 and tok.get("access_token"), "PS256 assertion with x5t#S256 accepted (signature verified)", tok)
s, _, e = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", jti="j1")))
check(s == 401 and e.get("error") == "invalid_client", "assertion jti replay refused", e)
s, _, tok = http("POST", TOK, dict(ja, client_assertion=assertion("RS256",
                 aud="https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")))
check(s == 200, "RS256 assertion with x5t (SHA-1), Microsoft-style audience", tok)
s, _, e = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", sign=False)))
check(e.get("error_codes") == [700027], "bad signature: AADSTS700027", e)
s, _, e = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", x5t=False)))
check(e.get("error_codes") == [700027], "unregistered thumbprint: AADSTS700027", e)
s, _, e = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", aud="https://login.example.net/"
                                                                + "contoso.onmicrosoft.com/oauth2/v2.0/token")))
check(s == 401 and e.get("error") == "invalid_client" and e.get("error_codes") == [50027],
      "assertion for another audience: 401 invalid_client AADSTS50027", e)
s, _, e = http("POST", TOK, dict(ja, client_assertion=assertion("PS256", exp=int(time.time()) - 3600)))
check(s == 401 and e.get("error") == "invalid_client" and e.get("error_codes") == [700024],
      "assertion expired an hour ago: 401 invalid_client AADSTS700024", e)
s, _, e = http("POST", "/common/oauth2/v2.0/token", dict(ja, client_assertion=assertion("PS256")))
check(e.get("error_codes") == [9001023], "client credentials on /common: AADSTS9001023", e)

# Faults: a 503 with Retry-After once, a truncated body, a delay.
ctl("POST", "/control/config", {"fail_status": 503, "retry_after": 7, "fault_count": 1})
s, h, e = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": a["refresh_token"]})
s2, _, _ = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": a["refresh_token"]})
check(s == 503 and h.get("Retry-After") == "7" and s2 == 200, "fail_status 503 + Retry-After, once", (s, s2))
ctl("POST", "/control/config", {"truncate": True, "fault_count": 1, "retry_after": None})
s, _, raw = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": a["refresh_token"]})
check(s == 200 and isinstance(raw, bytes) and raw.startswith(b"{"), "truncate sends half a JSON body")
ctl("POST", "/control/config", {"oversize": True, "fault_count": 1})
s, h, big_body = http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID,
                                     "refresh_token": a["refresh_token"]})
check(s == 200 and int(h["Content-Length"]) >= 4 << 20, "oversize sends a 4 MiB body")
ctl("POST", "/control/config", {"delay_ms": 300})
t = time.time()
http("POST", TOK, {"grant_type": "refresh_token", "client_id": CID, "refresh_token": a["refresh_token"]})
check(time.time() - t >= 0.3, "delay_ms delays token answers")
ctl("POST", "/control/reset")
st = ctl("GET", "/control/stats")
check(st["endpoints"]["token"] == 0 and "alice@example.com" in st["users"], "reset clears counters, keeps users")

log = open(os.path.join(work, "idp.log")).read()
leaked = [x for x in (TOKEN, rt, big, a["refresh_token"]) if x in log or x[:40] in log]
check(not leaked, "no token value in the IdP log")
sys.exit(1 if FAILS else 0)
PY

grep -q 'Fatal\|Panic' "$dir/dovecot.log" && { echo "FAIL: Dovecot logged a fatal error"; failed=1; }
mapfile -t pids < <(bed_pids)
[ "$failed" = 0 ] || bed_logs
bed_teardown
left=""
for p in "${pids[@]}"; do
	# A zombie is not running; PID 1 of some containers reaps late.
	st=$(ps -o stat= -p "$p" 2>/dev/null)
	[ -n "$st" ] && [ "${st#Z}" = "$st" ] && left="$left $p"
done
if [ -z "$left" ] && [ "${#pids[@]}" -gt 0 ]; then
	echo "ok: teardown left none of the bed's ${#pids[@]} processes"
else
	echo "FAIL: processes left after teardown:$left"
	ps -o pid,cmd -p "${left# }"
	failed=1
fi
echo "selftest took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ "$failed" = 0 ] && echo PASS || echo FAILED
exit "$failed"
