#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An SMTP submission server for the test bed that answers like Exchange
Online's (smtp.office365.com), which Dovecot's submission cannot: no error
challenge after a refused XOAUTH2 response, only "535 5.7.3", the 5.7.139
refusals of a mailbox or tenant with SMTP AUTH switched off, 5.7.57 for
MAIL FROM before AUTH, 5.7.60 for a sender the mailbox may not send as,
throttling.  Reply texts follow protocols.md section 4 and lib/catalog.c;
every refusal ends with " [HOST]", the front end's name, as Exchange's do.

Two listeners on 127.0.0.1: STARTTLS (like port 587; AUTH is offered only
after STARTTLS) and implicit TLS (like 465).  Tokens are checked the way
Dovecot's oauth2 passdb does, by POSTing token=T to the identity
provider's RFC 7662 endpoint (IDP/introspect); the token must be active,
for the Outlook resource (not Graph), and carry SMTP.Send (delegated:
the introspected scope) or the role SMTP.SendAsApp (app-only: read from
the JWT's "roles", which introspection does not return; a JWT with idtyp
"app", or without scp and user claims, is app-only, as in lib/claims.c).  A delegated token opens its own
user's mailbox, or one that lists the user under full_access; an app-only
token opens only mailboxes that list its client_id under full_access
(Add-MailboxPermission for the service principal).  Messages are stored
as DIR/N.eml (N = 1, 2, ...), envelopes appended to --envelopes as JSON
lines.  Tokens, passwords and AUTH responses never reach the log: an AUTH
is logged as its mechanism, the user and the verdict with its reason.

Replies (HOST = --hostname):
  greeting     220 HOST Microsoft ESMTP MAIL Service ready at Wed, 2 Dec 2026 01:30:09 +0000
  EHLO         250-HOST Hello [127.0.0.1] / SIZE 157286400 / PIPELINING /
               ENHANCEDSTATUSCODES / STARTTLS (before TLS) or AUTH LOGIN XOAUTH2
               (after; "AUTH LOGIN" with offer_xoauth2 false) / 250 8BITMIME
  STARTTLS     220 2.0.0 SMTP server ready
  AUTH XOAUTH2 without an initial response: "334 " (nothing after the space)
    accepted   235 2.7.0 Authentication successful
    refused    535 5.7.3 Authentication unsuccessful [HOST]   (inactive, revoked,
               unknown, Graph audience, no SMTP.Send / SMTP.SendAsApp, user= a
               mailbox the token may not open, malformed; never a challenge)
    mailbox    535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is
               disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled
               for more information. [HOST]     (tenant: "for the Tenant.")
    policy     535 5.7.139 Authentication unsuccessful, user is locked by your
               organization's security defaults policy. [HOST]  /  ..., the request
               did not meet the criteria to be authenticated successfully.
               Contact your administrator. [HOST]
    IdP down   454 4.7.0 Temporary authentication failure [HOST]
  AUTH before STARTTLS, AUTH OAUTHBEARER / PLAIN / anything not offered:
               504 5.7.4 Unrecognized authentication type [HOST]
  AUTH LOGIN   334 VXNlcm5hbWU6, 334 UGFzc3dvcmQ6, then 550 5.7.30 Basic
               authentication is not supported for Client Submission. [HOST]
  throttle     451 4.7.500 Server busy. Please try again later. [HOST]
  MAIL FROM    250 2.1.0 Sender OK; before AUTH 530 5.7.57 Client not
               authenticated to send mail. [HOST]; another sender 550 5.7.60 SMTP;
               Client does not have permissions to send as this sender [HOST]
  RCPT TO      250 2.1.5 Recipient OK
  DATA         354 Start mail input; end with <CRLF>.<CRLF>, then
               250 2.6.0 <N@HOST> Queued mail for delivery   (N: DIR/N.eml)
  RSET 250 2.0.0 Resetting; NOOP 250 2.0.0 OK; QUIT 221 2.0.0 Service closing
  transmission channel; anything else 500 5.3.3 Unrecognized command; an AUTH
  line or response over 12288 octets 500 5.5.6 Authentication Exchange line is
  too long, another line 500 5.5.2 Line too long; bad base64 501 5.5.2 Cannot
  Decode response; "*" to a 334 501 5.7.0 Authentication aborted; out of order
  503 5.5.2 Send hello first / Need mail command / Need rcpt command /
  Sender already specified / Already authenticated.

Knobs: the JSON object in --config (tests/bed/bed.sh: $BED_DIR/exo.json,
written by bed_exo_config), re-read at every connection; a missing file
means all defaults, a key left out its default:
  "offer_xoauth2": true        false: EHLO offers "AUTH LOGIN" only and
                               AUTH XOAUTH2 gets 504 5.7.4
  "smtp_auth_disabled": []     mailboxes with Set-CASMailbox
                               -SmtpClientAuthenticationDisabled $true:
                               535 5.7.139 ... disabled for the Mailbox ...
  "tenant_smtp_auth_disabled": false   Set-TransportConfig
                               -SmtpClientAuthenticationDisabled $true:
                               535 5.7.139 ... disabled for the Tenant ...
  "smtp_auth_enabled": []      mailboxes set to $false, which overrides
                               the tenant switch
  "policy_block": {}           {MAILBOX: "security_defaults" |
                               "conditional_access"}: the other 5.7.139s
  "full_access": {}            {MAILBOX: [UPN or app client_id, ...]}:
                               who may log in to MAILBOX besides itself
  "send_as": {}                {MAILBOX: [ADDRESS, ...]}: senders the
                               logged-in MAILBOX may use besides its own
  "basic_auth": "retired"      AUTH LOGIN's final reply: "retired" 550
                               5.7.30 (protocols.md), "disabled" 535 5.7.139
                               ... basic authentication is disabled.
  "throttle": false            true, "auth" or "mail": AUTH and/or MAIL
                               FROM get 451 4.7.500 Server busy
Addresses compare case-insensitively.  A config that is not a JSON object
makes every connection get "421 4.3.2 Service not available" (logged).

Run: /usr/bin/python3 exo_smtp.py --idp-url URL --cert CRT --key KEY
         --dir DIR --port-file FILE [--config JSON] [--envelopes FILE]
         [--hostname EXO.LOCAL.BED] [--port 0] [--smtps-port 0]
The port file gets "STARTTLS_PORT SMTPS_PORT".  The knob file, the token
check, TLS, the log and the listeners are exo_common.py's, shared with the
IMAP/POP3 servers in exo_imap.py.
"""

import argparse
import datetime
import json
import os

from exo_common import Exo, Handler, LineConn, LineTooLong, Server, b64decode, common_args, fingerprint, \
    loggable, lower_list, lower_map, serve, xoauth2_fields

# RFC 4954 section 4: an AUTH line or a response to 334 may be this long.
MAX_LINE = 12288
MAX_DATA_LINE = 1 << 20
# What Exchange Online advertises (150 MiB).
MAX_MESSAGE = 157286400
DEFAULTS = {"offer_xoauth2": True, "smtp_auth_disabled": [], "tenant_smtp_auth_disabled": False,
            "smtp_auth_enabled": [], "policy_block": {}, "full_access": {}, "send_as": {},
            "basic_auth": "retired", "throttle": False}
POLICY_TEXT = {
    "security_defaults": "user is locked by your organization's security defaults policy.",
    "conditional_access": "the request did not meet the criteria to be authenticated successfully. "
                          "Contact your administrator.",
}


class SmtpExo(Exo):
    """Exo with the message store."""

    def __init__(self, args):
        super().__init__(args, DEFAULTS, "exo")
        self.count = 0

    def store(self, mailbox, sender, rcpts, data):
        with self.lock:
            self.count += 1
            n = self.count
            # Under a temporary name, then renamed: a test counting files
            # never sees half a message.
            tmp = os.path.join(self.args.dir, ".%d.eml.tmp" % n)
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.rename(tmp, os.path.join(self.args.dir, "%d.eml" % n))
            if self.args.envelopes:
                with open(self.args.envelopes, "a") as fh:
                    fh.write(json.dumps({"n": n, "mailbox": mailbox, "from": sender, "to": rcpts,
                                         "bytes": len(data)}) + "\n")
        return n


class Session(Handler):
    """One SMTP connection."""

    proto = "SMTP"
    unavailable = "421 4.3.2 Service not available"

    def setup(self):
        Handler.setup(self)
        self.helo = False
        self.mailbox = None     # the logged-in mailbox
        self.sender = None
        self.rcpts = []

    # -- wire ---------------------------------------------------------------

    def refuse(self, text):
        """Exchange ends its refusals with the front end's name."""
        self.say("%s [%s]" % (text, self.exo.host))

    def readline(self, limit=MAX_LINE):
        return LineConn.readline(self, limit)

    def starttls(self):
        Handler.starttls(self)
        self.helo = False
        self.mailbox = self.sender = None
        self.rcpts = []

    # -- session ------------------------------------------------------------

    def greet(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.say("220 %s Microsoft ESMTP MAIL Service ready at %s" % (
            self.exo.host, "%s, %d %s +0000" % (now.strftime("%a"), now.day, now.strftime("%b %Y %H:%M:%S"))))

    def session(self):
        while self.command():
            pass

    def command(self):
        """Reads and answers one command; False when the session is over."""
        try:
            raw = self.readline()
        except LineTooLong as e:
            self.exo.log(self.sid, "C: (line over %d octets)" % MAX_LINE)
            if e.head.upper().startswith(b"AUTH "):
                self.say("500 5.5.6 Authentication Exchange line is too long")
            else:
                self.say("500 5.5.2 Line too long")
            return True
        if raw is None:
            return False
        line = raw.decode("utf-8", "replace")
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        if verb == "AUTH":
            mech, _, ir = arg.partition(" ")
            self.exo.log(self.sid, "C: AUTH %s%s" % (mech, " (initial response, %d octets)" % len(ir) if ir else ""))
        handlers = {"EHLO": self.c_ehlo, "HELO": self.c_ehlo, "STARTTLS": self.c_starttls, "AUTH": self.c_auth,
                    "MAIL": self.c_mail, "RCPT": self.c_rcpt, "DATA": self.c_data, "RSET": self.c_rset,
                    "NOOP": self.c_noop, "QUIT": self.c_quit}
        if verb != "AUTH":
            self.exo.log(self.sid, "C: %s" % loggable(line, verb, handlers))
        handler = handlers.get(verb)
        if handler is None or (verb == "STARTTLS" and self.tls):
            self.say("500 5.3.3 Unrecognized command")
            return True
        return handler(verb, arg) is not False

    def c_ehlo(self, verb, arg):
        if not arg.strip():
            self.say("501 5.5.4 Invalid domain name")
            return
        self.helo = True
        self.sender, self.rcpts = None, []
        first = "%s Hello [%s]" % (self.exo.host, self.client_address[0])
        if verb == "HELO":
            self.say("250 " + first)
            return
        caps = [first, "SIZE %d" % MAX_MESSAGE, "PIPELINING", "ENHANCEDSTATUSCODES"]
        if self.tls:
            caps.append("AUTH LOGIN XOAUTH2" if self.cfg.get("offer_xoauth2", True) else "AUTH LOGIN")
        else:
            caps.append("STARTTLS")
        caps.append("8BITMIME")
        for c in caps[:-1]:
            self.say("250-" + c)
        self.say("250 " + caps[-1])

    def c_starttls(self, verb, arg):
        self.say("220 2.0.0 SMTP server ready")
        self.starttls()
        self.exo.log(self.sid, "TLS established (%s)" % self.sock.version())

    def c_rset(self, verb, arg):
        self.sender, self.rcpts = None, []
        self.say("250 2.0.0 Resetting")

    def c_noop(self, verb, arg):
        self.say("250 2.0.0 OK")

    def c_quit(self, verb, arg):
        self.say("221 2.0.0 Service closing transmission channel")
        return False

    def throttled(self, where):
        t = self.cfg.get("throttle")
        if t is True or t == where:
            self.refuse("451 4.7.500 Server busy. Please try again later.")
            self.exo.log(self.sid, "throttled at %s" % where)
            return True
        return False

    # -- AUTH ---------------------------------------------------------------

    def c_auth(self, verb, arg):
        mech, _, ir = arg.partition(" ")
        mech = mech.upper()
        if not self.helo:
            self.say("503 5.5.2 Send hello first")
            return
        if self.mailbox is not None:
            self.say("503 5.5.2 Already authenticated")
            return
        if not self.tls:
            # Before STARTTLS Exchange offers no AUTH at all.
            self.refuse("504 5.7.4 Unrecognized authentication type")
            self.exo.log(self.sid, "auth %s: refused (no TLS yet)" % mech)
            return
        if self.throttled("auth"):
            return
        if mech == "XOAUTH2" and self.cfg.get("offer_xoauth2", True):
            return self.auth_xoauth2(ir)
        if mech == "LOGIN":
            return self.auth_login(ir)
        self.refuse("504 5.7.4 Unrecognized authentication type")
        self.exo.log(self.sid, "auth %s: refused (mechanism not offered)" % mech)

    def response(self, prompt):
        """The client's answer to a 334, as bytes; None (after replying)
        when it cancelled, sent a line too long or bad base64."""
        self.say("334 " + prompt)
        try:
            raw = self.readline()
        except LineTooLong:
            self.say("500 5.5.6 Authentication Exchange line is too long")
            return None
        if raw is None:
            raise ConnectionResetError("connection closed during AUTH")
        if raw == b"*":
            self.say("501 5.7.0 Authentication aborted")
            return None
        return self.decode(raw)

    def decode(self, text):
        out = b64decode(text)
        if out is None:
            self.say("501 5.5.2 Cannot Decode response")
        return out

    def auth_login(self, ir):
        """Basic authentication: the exchange runs, the password is refused."""
        if ir:
            user = self.decode(ir)
        else:
            user = self.response("VXNlcm5hbWU6")
        if user is None or self.response("UGFzc3dvcmQ6") is None:
            return
        if self.cfg.get("basic_auth") == "disabled":
            self.refuse("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.")
        else:
            self.refuse("550 5.7.30 Basic authentication is not supported for Client Submission.")
        self.exo.log(self.sid, "auth LOGIN user=%s: refused (basic authentication)" %
                     user.decode("utf-8", "replace"))

    def auth_xoauth2(self, ir):
        payload = self.decode(ir) if ir else self.response("")
        if payload is None:
            return
        user, token = xoauth2_fields(payload)
        verdict, reason = self.check_xoauth2(user, token)
        self.exo.log(self.sid, "auth XOAUTH2 user=%s token=%s: %s (%s)" % (
            user, fingerprint(token) if token else "-", "accepted" if verdict is None else "refused", reason))
        if verdict is None:
            self.mailbox = user
            self.say("235 2.7.0 Authentication successful")
        else:
            self.refuse(verdict)

    def check_xoauth2(self, user, token):
        """(None, why) to accept, or (the refusal without its [HOST], why)."""
        bad = "535 5.7.3 Authentication unsuccessful"
        verdict, why = self.exo.check_token(self.cfg, user, token, "SMTP.Send", "SMTP.SendAsApp")
        if verdict == "unavailable":
            return "454 4.7.0 Temporary authentication failure", why
        if verdict != "ok":
            return bad, why
        mbx = user.lower()
        policy = lower_map(self.cfg.get("policy_block")).get(mbx)
        if policy in POLICY_TEXT:
            return "535 5.7.139 Authentication unsuccessful, " + POLICY_TEXT[policy], "policy " + policy
        switch = "Set-CASMailbox -SmtpClientAuthenticationDisabled"
        if mbx in lower_list(self.cfg.get("smtp_auth_disabled")):
            return ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
                    "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information."), switch
        if self.cfg.get("tenant_smtp_auth_disabled") and mbx not in lower_list(self.cfg.get("smtp_auth_enabled")):
            return ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
                    "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."), "tenant switch"
        return None, why

    # -- mail transaction ----------------------------------------------------

    def path(self, arg, prefix):
        """The address in "FROM:<a> ..." / "TO:<a>", or None."""
        if not arg.upper().startswith(prefix):
            return None
        rest = arg[len(prefix):].strip()
        if not rest.startswith("<") or ">" not in rest:
            return None
        return rest[1:rest.index(">")]

    def c_mail(self, verb, arg):
        if not self.helo:
            self.say("503 5.5.2 Send hello first")
            return
        if self.throttled("mail"):
            return
        if self.mailbox is None:
            self.refuse("530 5.7.57 Client not authenticated to send mail.")
            return
        if self.sender is not None:
            self.say("503 5.5.2 Sender already specified")
            return
        sender = self.path(arg, "FROM:")
        if sender is None:
            self.say("501 5.5.4 Invalid arguments")
            return
        allowed = lower_list(lower_map(self.cfg.get("send_as")).get(self.mailbox.lower()))
        if sender.lower() != self.mailbox.lower() and sender.lower() not in allowed:
            self.refuse("550 5.7.60 SMTP; Client does not have permissions to send as this sender")
            self.exo.log(self.sid, "%s may not send as %s" % (self.mailbox, sender or "<>"))
            return
        self.sender, self.rcpts = sender, []
        self.say("250 2.1.0 Sender OK")

    def c_rcpt(self, verb, arg):
        if self.sender is None:
            self.say("503 5.5.2 Need mail command")
            return
        rcpt = self.path(arg, "TO:")
        if not rcpt:
            self.say("501 5.5.4 Invalid arguments")
            return
        self.rcpts.append(rcpt)
        self.say("250 2.1.5 Recipient OK")

    def c_data(self, verb, arg):
        if not self.rcpts:
            self.say("503 5.5.2 Need rcpt command")
            return
        self.say("354 Start mail input; end with <CRLF>.<CRLF>")
        chunks, size = [], 0
        while True:
            try:
                chunk = self.readline(MAX_DATA_LINE)
            except LineTooLong:
                size = MAX_MESSAGE + 1
                continue
            if chunk is None:
                return False
            if chunk == b".":
                break
            if chunk.startswith(b"."):   # RFC 5321 4.5.2
                chunk = chunk[1:]
            size += len(chunk) + 2
            if size <= MAX_MESSAGE:
                chunks.append(chunk + b"\r\n")
        if size > MAX_MESSAGE:
            self.say("552 5.3.4 Message size exceeds fixed maximum message size")
        else:
            n = self.exo.store(self.mailbox, self.sender, self.rcpts, b"".join(chunks))
            self.exo.log(self.sid, "stored %d.eml (%d octets)" % (n, size))
            self.say("250 2.6.0 <%d@%s> Queued mail for delivery" % (n, self.exo.host))
        self.sender, self.rcpts = None, []


def main():
    ap = argparse.ArgumentParser()
    common_args(ap)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--envelopes")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--smtps-port", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    exo = SmtpExo(args)
    serve(exo, [Server(exo, args.port, False, Session), Server(exo, args.smtps_port, True, Session)],
          args.port_file, ("STARTTLS", "implicit TLS"))


if __name__ == "__main__":
    main()
