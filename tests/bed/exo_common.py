# SPDX-License-Identifier: MIT
"""What the bed's Exchange-like servers (exo_smtp.py, exo_imap.py) share:
the knob file, the token check by RFC 7662 introspection, the TLS
context, the session log without secrets, line reading, the listeners
and the way the process starts and stops.  Python 3 stdlib only."""

import base64
import binascii
import datetime
import hashlib
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import urllib.parse
import urllib.request

# Exchange's audiences, as lib/claims.c names them.
OUTLOOK_AUDIENCES = ("https://outlook.office.com", "https://outlook.office365.com", "https://ps.outlook.com",
                     "00000002-0000-0ff1-ce00-000000000000")
USER_CLAIMS = ("upn", "unique_name", "preferred_username")


class LineTooLong(Exception):
    """A line over the limit, skipped; head is its start (for the verb)."""

    def __init__(self, head):
        super().__init__()
        self.head = head


def fingerprint(token):
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def jwt_claims(token):
    """The payload of a JWT, unverified (introspection vouched for it), or {}
    for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        out = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return out if isinstance(out, dict) else {}


def app_only(claims):
    """lib/claims.c's rule: idtyp "app", or a JWT with neither scp nor a
    user claim (delegated tokens may carry roles)."""
    return bool(claims) and (claims.get("idtyp") == "app" or
                             ("scp" not in claims and not any(k in claims for k in USER_CLAIMS)))


def lower_list(v):
    return [str(x).lower() for x in v] if isinstance(v, list) else []


def lower_map(v):
    return {str(k).lower(): x for k, x in v.items()} if isinstance(v, dict) else {}


def b64decode(text):
    """Strict base64 ("=" is the empty response), None when it is not."""
    try:
        return base64.b64decode(text, validate=True) if text not in (b"=", "=") else b""
    except (ValueError, binascii.Error):
        return None


def xoauth2_fields(payload):
    """(user, token) of a decoded XOAUTH2 response; "" for what is missing."""
    fields = {}
    for part in payload.decode("utf-8", "replace").split("\x01"):
        key, eq, value = part.partition("=")
        if eq:
            fields[key] = value
    auth = fields.get("auth", "")
    return fields.get("user", ""), auth[7:] if auth[:7].lower() == "bearer " else ""


def loggable(line, verb, known):
    """What the log may show of a command line: all of it when its verb is
    one of known, else only its length (a client out of step may be
    sending a token where a command belongs)."""
    return line if verb.upper() in known else "(unrecognized, %d octets)" % len(line)


def xoauth2_response(user, token):
    """The base64 XOAUTH2 response a client sends."""
    return base64.b64encode(("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()).decode()


class Exo:
    """What the connections of one server share: options, knobs, the log."""

    def __init__(self, args, defaults, name):
        self.args = args
        self.defaults = defaults
        self.name = name
        self.host = args.hostname
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(args.cert, args.key)
        self.lock = threading.Lock()
        self.sessions = 0
        # The bed's IdP is on loopback: no proxy from the environment.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def log(self, sid, msg):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.lock:
            sys.stderr.write("%s %s[%d] %s\n" % (stamp, self.name, sid, msg))
            sys.stderr.flush()

    def next_session(self):
        with self.lock:
            self.sessions += 1
            return self.sessions

    def config(self):
        """The knobs, or None when the file is broken."""
        cfg = dict(self.defaults)
        path = self.args.config
        if not path or not os.path.exists(path):
            return cfg
        try:
            with open(path) as fh:
                got = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(got, dict):
            return None
        cfg.update(got)
        return cfg

    def introspect(self, token):
        """The introspection answer, or None when the IdP did not give one."""
        data = urllib.parse.urlencode({"token": token}).encode()
        req = urllib.request.Request(self.args.idp_url + "/introspect", data=data, method="POST")
        try:
            with self.http.open(req, timeout=10) as r:
                out = json.loads(r.read())
        except (OSError, ValueError):
            return None
        return out if isinstance(out, dict) else None

    def check_token(self, cfg, user, token, scope, role):
        """Whether token opens mailbox user for a protocol whose delegated
        permission is scope and app-only role is role: ("ok", why),
        ("refused", why) or ("unavailable", why) when the IdP did not answer."""
        if not user or not token:
            return "refused", "malformed XOAUTH2 response"
        info = self.introspect(token)
        if info is None:
            return "unavailable", "introspection failed"
        if info.get("active") is not True:
            return "refused", "token not active"
        if info.get("aud") not in OUTLOOK_AUDIENCES:
            return "refused", "audience %s is not Outlook" % info.get("aud")
        mbx = user.lower()
        grantees = lower_list(lower_map(cfg.get("full_access")).get(mbx))
        claims = jwt_claims(token)
        if app_only(claims):
            if role not in (claims.get("roles") or []):
                return "refused", "app-only token without the role %s" % role
            app = str(info.get("client_id", "")).lower()
            if app not in grantees:
                return "refused", "app %s has no FullAccess on %s" % (app, user)
        else:
            perms = [p.rsplit("/", 1)[-1] for p in str(info.get("scope", "")).split()]
            if scope not in perms:
                return "refused", "no %s in scope" % scope
            owner = str(info.get("username", "")).lower()
            if owner != mbx and owner not in grantees:
                return "refused", "token of %s, who has no FullAccess on %s" % (owner, user)
        return "ok", "token of %s" % (info.get("username") or info.get("client_id"))


class LineConn:
    """Line reading and writing on self.sock, with self.buf holding what
    was read past the last line."""

    def say(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self, limit):
        """A line without its CRLF, None at the end of the connection;
        LineTooLong once the rest of a line over limit is skipped."""
        head = None
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                if line.endswith(b"\r"):
                    line = line[:-1]
                if head is not None or len(line) > limit:
                    raise LineTooLong(line[:16] if head is None else head)
                return line
            if len(self.buf) > limit + 2:
                if head is None:
                    head = self.buf[:16]
                self.buf = b""
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


# A session idle this long (seconds) is closed.
IDLE_TIMEOUT = 120


class Handler(LineConn, socketserver.BaseRequestHandler):
    """One connection of an Exchange-like server, in a thread of its own:
    TLS at once on an implicit-TLS port, the knobs read anew, then the
    protocol's greet() and session(); errors and the end are logged. A
    subclass names proto and unavailable (the answer when the knobs file is
    broken)."""

    proto = ""
    unavailable = ""

    def setup(self):
        self.exo = self.server.exo
        self.sid = self.exo.next_session()
        self.sock = self.request
        self.sock.settimeout(IDLE_TIMEOUT)
        self.buf = b""
        self.tls = False
        self.cfg = None

    def starttls(self):
        # RFC 3207 section 4.2 / CVE-2011-0411: what the client pipelined
        # after STARTTLS/STLS in clear text is dropped, never run.
        self.buf = b""
        self.sock = self.exo.tls.wrap_socket(self.sock, server_side=True)
        self.tls = True
        self.exo.log(self.sid, "TLS established (%s)" % self.sock.version())

    def handle(self):
        implicit = self.server.implicit
        self.exo.log(self.sid, "%s connect from %s:%d (%s)" % (
            self.proto, self.client_address[0], self.client_address[1],
            "implicit TLS" if implicit else "STARTTLS port"))
        try:
            if implicit:
                self.sock = self.exo.tls.wrap_socket(self.sock, server_side=True)
                self.tls = True
            self.cfg = self.exo.config()
            if self.cfg is None:
                self.exo.log(self.sid, "config %s is not a JSON object" % self.exo.args.config)
                self.say(self.unavailable)
                return
            self.greet()
            self.session()
        except (OSError, ssl.SSLError) as e:
            self.exo.log(self.sid, "connection error: %s" % e)
        finally:
            self.exo.log(self.sid, "disconnect")
            try:
                self.sock.close()
            except OSError:
                pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, exo, port, implicit, handler):
        self.exo = exo
        self.implicit = implicit
        super().__init__(("127.0.0.1", port), handler)


def common_args(ap):
    """The options every Exchange-like server takes."""
    ap.add_argument("--idp-url", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--config")
    ap.add_argument("--hostname", default="EXO.LOCAL.BED")


def serve(exo, servers, port_file, what):
    """Serves until SIGTERM or SIGINT; the port file gets the listeners'
    ports in order, what names them in the log."""
    ports = [s.server_address[1] for s in servers]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(" ".join(str(p) for p in ports) + "\n")
    os.rename(tmp, port_file)
    exo.log(0, "listening on 127.0.0.1 %s pid %d" % (
        ", ".join("%s :%d" % (w, p) for w, p in zip(what, ports)), os.getpid()))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    while not stop.wait(1):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
