#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""IMAP and POP3 servers for the test bed that answer logins like Exchange
Online's (outlook.office365.com), which Dovecot cannot: a refused XOAUTH2
token gets the final line only, never an error challenge first; IMAP
switched off for a mailbox gives a successful AUTHENTICATE and then
"BAD User is authenticated but not connected." to every command.  Reply
texts follow protocols.md sections 1.2, 1.3 and 4 and lib/catalog.c's
server table; the texts marked (bed) are the bed's choice, see
docs/decisions.md.  After a successful login the session is relayed to the
bed's Dovecot, logged in there as the same mailbox with the same token, so
mbsync, fetchmail or sasl-oauth test work with real mail: the client's
next command and Dovecot's answers pass unchanged.

Four listeners on 127.0.0.1: IMAP with STARTTLS (like port 143), IMAP on
implicit TLS (993), POP3 with STLS (110), POP3 on implicit TLS (995).
Tokens are checked as exo_smtp.py checks them (exo_common.py): RFC 7662
introspection at the IdP, active, Outlook audience (not Graph), delegated
IMAP.AccessAsUser.All / POP.AccessAsUser.All in the introspected scope,
or app-only (lib/claims.c's rule) with the role IMAP.AccessAsApp /
POP.AccessAsApp in the JWT; user= must be the token's user, or a mailbox
whose full_access lists that user (app-only: the app's client_id).
Tokens and AUTHENTICATE payloads never reach the log: a login is logged
as mechanism, user, the token's fingerprint and the verdict with its reason.

IMAP replies (ID = base64 of the UTF-16LE host name, as Exchange's):
  greeting    * OK The Microsoft Exchange IMAP4 service is ready. [ID]
  CAPABILITY  * CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS
              MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION
              BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+
              (protocols.md's capture; AUTH=XOAUTH2 left out with offer_xoauth2
              false); before STARTTLS: * CAPABILITY IMAP4 IMAP4rev1 LOGINDISABLED
              STARTTLS UIDPLUS MOVE ... LITERAL+ (no AUTH=, no SASL-IR);
              then TAG OK CAPABILITY completed.
  STARTTLS    TAG OK Begin TLS negotiation now.                           (bed)
  AUTHENTICATE XOAUTH2 [IR]   without IR: "+ " (nothing after the space)
    accepted  TAG OK AUTHENTICATE completed.
    refused   TAG NO AUTHENTICATE failed.  (inactive, revoked, unknown, Graph
              audience, no IMAP scope or role, user= a mailbox the token may
              not open, bad base64, malformed, IdP down; never a challenge)
    disabled  TAG OK AUTHENTICATE completed., then every command:
              TAG BAD User is authenticated but not connected.
              (imap_disabled; also when Dovecot refuses the relayed login)
  AUTHENTICATE PLAIN, LOGIN   TAG NO AUTHENTICATE failed. / TAG NO LOGIN failed.
              (basic authentication is off at Exchange Online since 2022)
  AUTHENTICATE OAUTHBEARER or another mechanism, or XOAUTH2 with
              offer_xoauth2 false: TAG NO The specified authentication
              mechanism is not supported.                                 (bed)
  "*" to the "+ "             TAG BAD Command Argument Error. 11          (bed)
  AUTHENTICATE/LOGIN before STARTTLS, mailbox commands before a login:
              TAG BAD Command received in Invalid state.                  (bed)
  NOOP        TAG OK NOOP completed.
  ID          * ID NIL / TAG OK ID completed.                             (bed)
  LOGOUT      * BYE Microsoft Exchange Server IMAP4 server signing off.
              / TAG OK LOGOUT completed.
  other       TAG BAD Command Error. 10                                   (bed)

POP3 replies:
  greeting    +OK The Microsoft Exchange POP3 service is ready. [ID]
  CAPA        +OK / TOP / UIDL / SASL PLAIN XOAUTH2 ("SASL PLAIN" with
              offer_xoauth2 false; no SASL line before STLS) / USER /
              STLS (before STLS) / .
  STLS        +OK Begin TLS negotiation.                                  (bed)
  AUTH XOAUTH2               "+ ", then the response on its own line
    accepted  +OK User successfully authenticated.
    refused   -ERR Authentication failure: unknown user name or bad password.
              (every reason IMAP has, pop_disabled, Dovecot refusing the
              relayed login; never a challenge)
    with an initial response on the AUTH line (RFC 5034 caps that line at
              255 octets; Exchange refuses the one-line form, protocols.md 1.3):
              -ERR Protocol error. Connection is closed. 10  (and closes)
  AUTH PLAIN  "+ ", then -ERR Authentication failure: unknown user name or
              bad password.; USER: +OK, then PASS: -ERR Logon failure:
              unknown user name or bad password.
  AUTH OAUTHBEARER or another mechanism, or XOAUTH2 with offer_xoauth2
              false: -ERR The specified authentication mechanism is not
              supported.                                                  (bed)
  AUTH before STLS, mailbox commands before a login:
              -ERR Command is not valid in this state.                    (bed)
  QUIT        +OK Microsoft Exchange Server POP3 server signing off.
  other       -ERR Protocol error. 14                                     (bed)
A knob file that is not a JSON object: IMAP "* BYE Service not available",
POP3 "-ERR Service not available", then the connection is closed (bed).

Knobs: the JSON object in --config (bed.sh: $BED_DIR/exo.json, shared with
exo_smtp.py, written by bed_exo_config), re-read at every connection:
  "offer_xoauth2": true        false: no AUTH=XOAUTH2 / SASL XOAUTH2, and
                               XOAUTH2 is an unsupported mechanism
  "full_access": {}            {MAILBOX: [UPN or app client_id, ...]}
  "imap_disabled": []          mailboxes with Set-CASMailbox -ImapEnabled
                               $false: AUTHENTICATE succeeds, then BAD User
                               is authenticated but not connected.
  "pop_disabled": []           mailboxes with -PopEnabled $false: -ERR
                               Authentication failure: ...
  "no_access": "refuse"        a token for a mailbox it may not open, IMAP:
                               "refuse" NO AUTHENTICATE failed., or
                               "not_connected" OK, then BAD ... not connected.
                               (both are reported of Exchange, protocols.md 4)

Relaying: IMAP logs in to Dovecot's implicit-TLS port (--dovecot-imaps-port)
with AUTHENTICATE XOAUTH2 and its own tag, POP3 to Dovecot's STLS port
(--dovecot-pop3-port) with AUTH XOAUTH2, both verifying Dovecot's
certificate with --ca; Dovecot's greeting and login replies are swallowed,
then octets are copied both ways until either side closes.  Dovecot checks
the token again by introspection, and accepts any mailbox of the token
user's domain unless the bed runs with BED_STRICT_USER=1.  An app-only token
names no user Dovecot could log in, so those logins are relayed as the bed's
Dovecot master user (--relay-secret: a file "USER PASSWORD", never logged)
with PLAIN and the mailbox as authorization id.

Run: /usr/bin/python3 exo_imap.py --idp-url URL --cert CRT --key KEY --ca CA
         --dovecot-imaps-port N --dovecot-pop3-port N --relay-secret FILE --port-file FILE
         [--config JSON] [--hostname EXO.LOCAL.BED]
The port file gets "IMAP_PORT IMAPS_PORT POP3_PORT POP3S_PORT".
"""

import argparse
import base64
import select
import socket
import ssl

from exo_common import Exo, Handler, LineConn, LineTooLong, Server, b64decode, common_args, fingerprint, \
    app_only, jwt_claims, loggable, lower_list, serve, xoauth2_fields, xoauth2_response

# Exchange takes SASL-IR lines with tokens of many kilobytes.
MAX_LINE = 65536
# A relayed session may sit in IDLE for the 29 minutes RFC 2177 allows.
RELAY_IDLE = 1800
DEFAULTS = {"offer_xoauth2": True, "full_access": {}, "imap_disabled": [], "pop_disabled": [],
            "no_access": "refuse"}
IMAP_CAPS = "UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE " \
            "CHILDREN IDLE NAMESPACE LITERAL+"
# Commands of the authenticated and selected states (RFC 3501, 4315, 6851,
# 3691, 2177, 2342): before a login they are out of state, not unknown.
IMAP_LATER = {"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB",
              "STATUS", "APPEND", "CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "UID", "MOVE",
              "UNSELECT", "IDLE", "NAMESPACE", "ENABLE", "GETQUOTAROOT", "GETQUOTA", "XLIST"}
POP_LATER = {"STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL"}
# Commands whose whole line may be logged (AUTHENTICATE, LOGIN, AUTH and
# PASS are logged without their arguments, anything else by its length).
IMAP_SAFE = IMAP_LATER | {"CAPABILITY", "NOOP", "ID", "LOGOUT", "STARTTLS"}
POP_SAFE = POP_LATER | {"CAPA", "QUIT", "STLS", "USER"}
NOT_SUPPORTED = "The specified authentication mechanism is not supported."
POP_REFUSED = "-ERR Authentication failure: unknown user name or bad password."


class ImapExo(Exo):
    """Exo with the client side of the relay to Dovecot."""

    def __init__(self, args):
        super().__init__(args, DEFAULTS, "exo-imap")
        self.backend_tls = ssl.create_default_context(cafile=args.ca)
        with open(args.relay_secret) as fh:
            self.relay_user, self.relay_password = fh.read().split()
        # Exchange names its back end in its greetings: base64 of UTF-16LE.
        self.greeting_id = base64.b64encode(self.host.encode("utf-16-le")).decode()


class Backend(LineConn):
    """The relay's connection to Dovecot."""

    def __init__(self, exo, port, implicit):
        self.exo = exo
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        if implicit:
            self.starttls()

    def starttls(self):
        self.buf = b""
        self.sock = self.exo.backend_tls.wrap_socket(self.sock, server_hostname="localhost")

    def line(self):
        out = self.readline(MAX_LINE)
        if out is None:
            raise ConnectionResetError("Dovecot closed the connection")
        return out.decode("utf-8", "replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Session(Handler):
    """What the IMAP and POP3 sessions share: the token check, the relay."""

    def greet(self):
        self.say(self.greeting % self.exo.greeting_id)

    def line(self):
        """The next command line as text, None at the end; a line over
        MAX_LINE is answered by the caller's too_long and skipped."""
        while True:
            try:
                raw = self.readline(MAX_LINE)
            except LineTooLong:
                self.exo.log(self.sid, "C: (line over %d octets)" % MAX_LINE)
                self.too_long()
                continue
            return None if raw is None else raw.decode("utf-8", "replace")

    def offers_xoauth2(self):
        return self.cfg.get("offer_xoauth2", True) is not False

    def check(self, payload, scope, role):
        """(user, token, None) for a login to relay, or (user, token, why)
        when it is refused; logged either way, without the token."""
        user, token = xoauth2_fields(payload) if payload is not None else ("", "")
        if payload is None:
            verdict, why = "refused", "bad base64"
        else:
            verdict, why = self.exo.check_token(self.cfg, user, token, scope, role)
        self.exo.log(self.sid, "auth XOAUTH2 user=%s token=%s: %s (%s)" % (
            user, fingerprint(token) if token else "-", "accepted" if verdict == "ok" else "refused", why))
        return user, token, None if verdict == "ok" else why

    def backend_auth(self, user, token):
        """(mechanism, base64 response) for Dovecot: the client's token, or
        for an app-only one (it names no user Dovecot could log in) the
        bed's master user with user as authorization id."""
        if not app_only(jwt_claims(token)):
            return "XOAUTH2", xoauth2_response(user, token)
        plain = "%s\0%s\0%s" % (user, self.exo.relay_user, self.exo.relay_password)
        return "PLAIN", base64.b64encode(plain.encode()).decode()

    def relay(self, backend):
        """Copies octets both ways until a side closes or both idle for
        RELAY_IDLE seconds; what either side sent early goes first."""
        up = down = 0
        peers = {self.sock: backend.sock, backend.sock: self.sock}
        try:
            if self.buf:
                backend.sock.sendall(self.buf)
                up += len(self.buf)
            if backend.buf:
                self.sock.sendall(backend.buf)
                down += len(backend.buf)
            self.buf = backend.buf = b""
            done = False
            while not done:
                # TLS may hold decrypted octets that select cannot see.
                ready = [s for s in peers if isinstance(s, ssl.SSLSocket) and s.pending()]
                if not ready:
                    ready = select.select(list(peers), [], [], RELAY_IDLE)[0]
                    if not ready:
                        self.exo.log(self.sid, "relay idle for %d s" % RELAY_IDLE)
                        break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        done = True
                        break
                    peers[s].sendall(data)
                    if s is self.sock:
                        up += len(data)
                    else:
                        down += len(data)
        except (OSError, ssl.SSLError) as e:
            self.exo.log(self.sid, "relay error: %s" % e)
        finally:
            backend.close()
            self.exo.log(self.sid, "relay to Dovecot ended: %d octets from the client, %d from Dovecot" % (up, down))


class ImapSession(Session):
    proto = "IMAP"
    greeting = "* OK The Microsoft Exchange IMAP4 service is ready. [%s]"
    unavailable = "* BYE Service not available"

    def too_long(self):
        self.say("* BAD Command Error. 10")

    def capabilities(self):
        if not self.tls:
            return "IMAP4 IMAP4rev1 LOGINDISABLED STARTTLS " + IMAP_CAPS
        auth = "AUTH=PLAIN AUTH=XOAUTH2" if self.offers_xoauth2() else "AUTH=PLAIN"
        return "IMAP4 IMAP4rev1 %s SASL-IR %s" % (auth, IMAP_CAPS)

    def session(self):
        while True:
            line = self.line()
            if line is None:
                return
            tag, _, rest = line.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            if cmd == "AUTHENTICATE":
                mech, _, ir = arg.partition(" ")
                self.exo.log(self.sid, "C: %s AUTHENTICATE %s%s" % (
                    tag, mech, " (initial response, %d octets)" % len(ir) if ir else ""))
            elif cmd == "LOGIN":
                self.exo.log(self.sid, "C: %s LOGIN (arguments not logged)" % tag)
            else:
                self.exo.log(self.sid, "C: %s" % loggable(line, cmd, IMAP_SAFE))
            if not tag or not cmd:
                self.say("%s BAD Command Error. 10" % (tag or "*"))
            elif cmd == "CAPABILITY":
                self.say("* CAPABILITY " + self.capabilities())
                self.say("%s OK CAPABILITY completed." % tag)
            elif cmd == "NOOP":
                self.say("%s OK NOOP completed." % tag)
            elif cmd == "ID":
                self.say("* ID NIL")
                self.say("%s OK ID completed." % tag)
            elif cmd == "LOGOUT":
                self.say("* BYE Microsoft Exchange Server IMAP4 server signing off.")
                self.say("%s OK LOGOUT completed." % tag)
                return
            elif cmd == "STARTTLS" and not self.tls:
                self.say("%s OK Begin TLS negotiation now." % tag)
                self.starttls()
            elif cmd in ("AUTHENTICATE", "LOGIN") and not self.tls:
                self.say("%s BAD Command received in Invalid state." % tag)
            elif cmd == "LOGIN":
                self.say("%s NO LOGIN failed." % tag)
            elif cmd == "AUTHENTICATE":
                if self.authenticate(tag, arg):
                    return
            elif cmd in IMAP_LATER or cmd == "STARTTLS":
                self.say("%s BAD Command received in Invalid state." % tag)
            else:
                self.say("%s BAD Command Error. 10" % tag)

    def response(self, tag, ir):
        """The decoded response (None for bad base64), or False after
        answering a cancel."""
        if ir:
            return b64decode(ir)
        self.say("+ ")
        got = self.line()
        if got is None:
            raise ConnectionResetError("connection closed during AUTHENTICATE")
        if got == "*":
            self.say("%s BAD Command Argument Error. 11" % tag)
            return False
        return b64decode(got)

    def authenticate(self, tag, arg):
        """True when the session is over (relayed or not connected)."""
        mech, _, ir = arg.partition(" ")
        mech = mech.upper()
        if mech == "PLAIN":
            if self.response(tag, ir) is not False:
                self.say("%s NO AUTHENTICATE failed." % tag)
                self.exo.log(self.sid, "auth PLAIN: refused (basic authentication)")
            return False
        if mech != "XOAUTH2" or not self.offers_xoauth2():
            self.say("%s NO %s" % (tag, NOT_SUPPORTED))
            self.exo.log(self.sid, "auth %s: refused (mechanism not offered)" % mech)
            return False
        payload = self.response(tag, ir)
        if payload is False:
            return False
        user, token, why = self.check(payload, "IMAP.AccessAsUser.All", "IMAP.AccessAsApp")
        if why is not None:
            if self.cfg.get("no_access") == "not_connected" and "FullAccess" in why:
                return self.not_connected(tag, why)
            self.say("%s NO AUTHENTICATE failed." % tag)
            return False
        if user.lower() in lower_list(self.cfg.get("imap_disabled")):
            return self.not_connected(tag, "imap_disabled (Set-CASMailbox -ImapEnabled $false)")
        backend = None
        try:
            backend = self.backend_login(user, token)
        except (OSError, ssl.SSLError) as e:
            self.exo.log(self.sid, "Dovecot login failed: %s" % e)
        if backend is None:
            return self.not_connected(tag, "Dovecot refused the relayed login")
        self.say("%s OK AUTHENTICATE completed." % tag)
        self.exo.log(self.sid, "relaying %s to Dovecot" % user)
        self.relay(backend)
        return True

    def not_connected(self, tag, why):
        """Exchange's login that leads nowhere: every command gets BAD."""
        self.say("%s OK AUTHENTICATE completed." % tag)
        self.exo.log(self.sid, "authenticated but not connected: %s" % why)
        while True:
            line = self.line()
            if line is None:
                return True
            cmd = line.partition(" ")[2].partition(" ")[0]
            self.exo.log(self.sid, "C: %s" % loggable(line, cmd, IMAP_SAFE))
            self.say("%s BAD User is authenticated but not connected." % (line.partition(" ")[0] or "*"))

    def backend_login(self, user, token):
        """A Backend logged in to Dovecot as user, or None when refused."""
        b = Backend(self.exo, self.exo.args.dovecot_imaps_port, True)
        ok = False
        try:
            if not b.line().startswith("* OK"):
                return None
            b.say("exo1 AUTHENTICATE %s %s" % self.backend_auth(user, token))
            while True:
                got = b.line()
                if got.startswith("+"):
                    b.say("")      # the empty answer to an error challenge
                elif got.startswith("exo1 "):
                    ok = got.startswith("exo1 OK")
                    if not ok:
                        self.exo.log(self.sid, "Dovecot: %s" % got)
                    return b if ok else None
        finally:
            if not ok:
                b.close()


class PopSession(Session):
    proto = "POP3"
    greeting = "+OK The Microsoft Exchange POP3 service is ready. [%s]"
    unavailable = "-ERR Service not available"

    def too_long(self):
        self.say("-ERR Protocol error. 14")

    def session(self):
        while True:
            line = self.line()
            if line is None:
                return
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if cmd == "AUTH":
                mech, _, ir = arg.partition(" ")
                self.exo.log(self.sid, "C: AUTH %s%s" % (mech, " (initial response, %d octets)" % len(ir) if ir else ""))
            elif cmd == "PASS":
                self.exo.log(self.sid, "C: PASS (not logged)")
            else:
                self.exo.log(self.sid, "C: %s" % loggable(line, cmd, POP_SAFE))
            if cmd == "CAPA":
                caps = ["+OK", "TOP", "UIDL"]
                if self.tls:
                    caps.append("SASL PLAIN XOAUTH2" if self.offers_xoauth2() else "SASL PLAIN")
                caps.append("USER")
                if not self.tls:
                    caps.append("STLS")
                for c in caps + ["."]:
                    self.say(c)
            elif cmd == "QUIT":
                self.say("+OK Microsoft Exchange Server POP3 server signing off.")
                return
            elif cmd == "STLS" and not self.tls:
                self.say("+OK Begin TLS negotiation.")
                self.starttls()
            elif cmd in ("AUTH", "USER", "PASS") and not self.tls:
                self.say("-ERR Command is not valid in this state.")
            elif cmd == "USER":
                self.say("+OK")
            elif cmd == "PASS":
                self.say("-ERR Logon failure: unknown user name or bad password.")
            elif cmd == "AUTH":
                if self.auth(line, arg):
                    return
            elif cmd in POP_LATER or cmd == "STLS":
                self.say("-ERR Command is not valid in this state.")
            else:
                self.say("-ERR Protocol error. 14")

    def auth(self, line, arg):
        """True when the session is over (relayed or closed)."""
        mech, _, ir = arg.partition(" ")
        mech = mech.upper()
        if mech not in ("PLAIN", "XOAUTH2") or (mech == "XOAUTH2" and not self.offers_xoauth2()):
            self.say("-ERR " + NOT_SUPPORTED)
            self.exo.log(self.sid, "auth %s: refused (mechanism not offered)" % mech)
            return False
        if mech == "XOAUTH2" and ir:
            self.say("-ERR Protocol error. Connection is closed. 10")
            self.exo.log(self.sid, "auth XOAUTH2: initial response on the AUTH line (%d octets), closed" % len(line))
            return True
        got = ir
        if not ir:
            self.say("+ ")
            got = self.line()
            if got is None:
                raise ConnectionResetError("connection closed during AUTH")
        if mech == "PLAIN" or got == "*":
            self.say(POP_REFUSED)
            self.exo.log(self.sid, "auth %s: refused (%s)" % (mech, "cancelled" if got == "*" else "basic authentication"))
            return False
        user, token, why = self.check(b64decode(got), "POP.AccessAsUser.All", "POP.AccessAsApp")
        if why is None and user.lower() in lower_list(self.cfg.get("pop_disabled")):
            why = "pop_disabled (Set-CASMailbox -PopEnabled $false)"
            self.exo.log(self.sid, "refused: " + why)
        backend = None
        if why is None:
            try:
                backend = self.backend_login(user, token)
            except (OSError, ssl.SSLError) as e:
                self.exo.log(self.sid, "Dovecot login failed: %s" % e)
            if backend is None:
                self.exo.log(self.sid, "refused: Dovecot refused the relayed login")
        if backend is None:
            self.say(POP_REFUSED)
            return False
        self.say("+OK User successfully authenticated.")
        self.exo.log(self.sid, "relaying %s to Dovecot" % user)
        self.relay(backend)
        return True

    def backend_login(self, user, token):
        """A Backend logged in to Dovecot as user, or None when refused."""
        b = Backend(self.exo, self.exo.args.dovecot_pop3_port, False)
        ok = False
        try:
            if not b.line().startswith("+OK"):
                return None
            b.say("STLS")
            if not b.line().startswith("+OK"):
                return None
            b.starttls()
            mech, response = self.backend_auth(user, token)
            b.say("AUTH " + mech)
            if not b.line().startswith("+"):
                return None
            b.say(response)
            got = b.line()
            if got.startswith("+ ") or got == "+":
                b.say("")      # the empty answer to an error challenge
                got = b.line()
            ok = got.startswith("+OK")
            if not ok:
                self.exo.log(self.sid, "Dovecot: %s" % got)
            return b if ok else None
        finally:
            if not ok:
                b.close()


def main():
    ap = argparse.ArgumentParser()
    common_args(ap)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--dovecot-imaps-port", type=int, required=True)
    ap.add_argument("--dovecot-pop3-port", type=int, required=True)
    ap.add_argument("--relay-secret", required=True)
    args = ap.parse_args()
    exo = ImapExo(args)
    serve(exo, [Server(exo, 0, False, ImapSession), Server(exo, 0, True, ImapSession),
                Server(exo, 0, False, PopSession), Server(exo, 0, True, PopSession)],
          args.port_file, ("IMAP STARTTLS", "IMAP implicit TLS", "POP3 STLS", "POP3 implicit TLS"))


if __name__ == "__main__":
    main()
