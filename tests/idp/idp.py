#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A local identity provider that answers like Microsoft Entra ID v2.0.

It serves the token, device-code and authorize endpoints under any tenant
path segment, an RFC 7662 introspection endpoint for Dovecot's oauth2
passdb, an RFC 7009 revocation endpoint at /revoke (Entra ID has none;
it serves "generic" accounts, as Google's does), and a /control API with which tests register users and clients,
mint token pairs, revoke tokens and inject faults.  State lives in memory
only; the one file written is the port file.  Plain HTTP on 127.0.0.1.

Token values never reach the log: only the first 8 hex digits of their
SHA-256 appear there.

Run: /usr/bin/python3 idp.py --port-file FILE --state-dir DIR [--port 0]

Control API (JSON in and out; tests/idp/ctl.py speaks it):
  POST /control/users   {"upn": U} or {"users": [...]} registers users;
                        {"client_id": C, "client_secret"?, "cert_thumbprint_sha256"?,
                        "cert_thumbprint_sha1"?, "public_key_pem_path"?,
                        "certificate_pem_path"? (derives the three), "roles"?,
                        "app_upn"?, "public"?} registers a client.  Unknown
                        clients are accepted as public ones unless strict_clients.
  POST /control/issue   {"upn", "client_id"?, "scope"?, "lifetime"?, "app"?, "roles"?,
                        "ver"? ("1.0" or "2.0"), "opaque"?} mints an access +
                        refresh token pair (app: access token only; roles
                        [] for one without roles; opaque: no JWT).
  POST /control/revoke  {"token": T} or {"upn": U}; "reason": "inactive" makes a
                        refresh token fail with AADSTS700082 instead of 50173.
  POST /control/config  any DEFAULT_CONFIG key (GET shows them all).  Among them:
                        "rotation": "entra" (a used refresh token stays valid, as
                        Entra ID's do) or "strict" (Okta without a reuse grace,
                        Auth0 with reuse detection, Keycloak's "revoke refresh
                        token": a used refresh token is dead at once, and
                        presenting it again revokes its whole family, every
                        refresh token descended from the same sign-in);
                        "clock_offset": seconds added to the provider's clock
                        (the soak's warped time, tests/soak/).
  POST /control/device  {"user_code", "action": "approve"|"decline", "upn"?}
  GET  /control/stats   requests per endpoint and grant, errors, introspections,
                        the last token request's non-secret parameters, reuses
                        detected, when each rotated refresh token was sent.
  POST /control/reset   forgets tokens, codes, counters, configuration; keeps
                        users and clients.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import http.server
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

OPENSSL = "/usr/bin/openssl"
GRAPH = "https://graph.microsoft.com"
OUTLOOK = "https://outlook.office.com"
OUTLOOK365 = "https://outlook.office365.com"
# What a v2.0 token names as its audience: the resource's application id.
RESOURCE_IDS = {GRAPH: "00000003-0000-0000-c000-000000000000",
                OUTLOOK: "00000002-0000-0ff1-ce00-000000000000",
                OUTLOOK365: "00000002-0000-0ff1-ce00-000000000000"}
APP_DEFAULT_SCOPE = OUTLOOK365 + "/.default"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DELEGATED_DEFAULT = ("IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send")
APP_ROLES = ("IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The test client every helper uses when a caller names none.
DEFAULT_CLIENT_ID = "00000000-0000-0000-0000-000000000000"
MAX_BODY = 1 << 20
CODE_LIFETIME = 600
# OpenID discovery by domain, as Entra ID answers it: example.com (and
# any other tenant name or id) is a tenant in the global cloud, example.us
# one in the US government cloud (GCC High), and example.net is no tenant
# at all (AADSTS90002), as for a domain whose mail is elsewhere.
DISCOVERY_CLOUDS = {
    "example.us": {"login": "https://login.microsoftonline.us",
                   "cloud_instance_name": "microsoftonline.us",
                   "tenant_region_scope": "USGov", "tenant_region_sub_scope": "DODCON"},
    "example.net": None,
}
GLOBAL_CLOUD = {"login": "https://login.microsoftonline.com",
                "cloud_instance_name": "microsoftonline.com", "tenant_region_scope": "EU"}
DEVICE_LIFETIME = 900
# Entra tolerates some clock skew on client assertions; so do we.
ASSERTION_SKEW = 300

DEFAULT_CONFIG = {
    "access_lifetime": 3600,
    "refresh_lifetime": 90 * 86400,   # inactivity limit (AADSTS700082)
    "device_interval": 5,
    "device_approve_after": 1,        # pending answers before approval
    "device_mode": "approve",         # approve | decline | expire | slow_down
    "authorize_mode": "approve",      # approve | deny
    "login_upn": None,                # who "signs in" in browser/device flows
    "require_scope": "",              # introspection: delegated tokens without this
                                      # permission are inactive (Exchange's missing-scope refusal)
    "strict_clients": False,          # unknown client_id -> AADSTS700016
    "token_error": None,              # {"grant"?, "status"?, "error", "code", "message"}: the
                                      # token endpoint answers it (for that grant only)
    "delay_ms": 0,
    "fail_status": 0,
    "retry_after": None,
    "truncate": False,
    "oversize": False,                # True (4 MiB) or a byte count
    "fault_count": 0,                 # faults left before they switch off; 0 = all
    "fault_endpoints": ["token", "devicecode"],
    "big_tokens": 0,
    "rotation": "entra",              # entra | strict (see the control API above)
    "clock_offset": 0,                # seconds added to the provider's clock
}
ENDPOINTS = ("token", "devicecode", "authorize", "introspect", "devicelogin",
             "discovery", "revoke", "control")


# The provider's clock: the machine's, plus the control API's clock_offset
# (set by the soak, which lives through a year in minutes).
CLOCK = {"offset": 0}


def now_s():
    return time.time() + CLOCK["offset"]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def fingerprint(token):
    """What the log shows instead of a token."""
    if not token:
        return "-"
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:8]


def utc_stamp(now=None):
    now = datetime.datetime.fromtimestamp(now or now_s(), datetime.timezone.utc)
    return now.strftime("%Y-%m-%d %H:%M:%SZ")


def log(msg):
    sys.stderr.write("idp %s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class IdpError(Exception):
    """An error answered in Microsoft's JSON shape (see ms_error)."""

    def __init__(self, status, error, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.code = code
        self.message = message
        self.headers = headers or {}


def ms_error(err):
    trace = str(uuid.uuid4())
    corr = str(uuid.uuid4())
    stamp = utc_stamp()
    # Microsoft embeds trace, correlation id and time in the description,
    # separated by CRLF; clients must not parse it, but users read it.
    desc = "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
        err.code, err.message, trace, corr, stamp)
    return {
        "error": err.error,
        "error_description": desc,
        "error_codes": [err.code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % err.code,
    }


def missing(name):
    return IdpError(400, "invalid_request", 900144,
                    "The request body must contain the following parameter: '%s'." % name)


def split_scope(scope):
    """Splits a v2.0 scope string into (resource, permissions, oidc).

    Entra issues a token for one resource, the first one named; a scope
    without a resource URI prefix belongs to Microsoft Graph, which is
    why such tokens are useless for Exchange."""
    oidc, res = [], []
    for item in scope.split():
        if item.lower() in OIDC_SCOPES:
            oidc.append(item.lower())
            continue
        if "://" in item:
            base, _, perm = item.rstrip("/").rpartition("/")
            if "://" not in base:          # "https://mail.google.com/"
                base, perm = item.rstrip("/"), ""
        else:
            base, perm = GRAPH, item
        res.append((base, perm))
    if not res:
        return GRAPH, ["User.Read"], oidc
    resource = res[0][0]
    perms = [p for b, p in res if b == resource and p]
    return resource, perms, oidc


class State:
    """Everything the provider knows, guarded by one lock."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.port = port
        self.key = secrets.token_bytes(32)
        self.tid = str(uuid.uuid4())
        self.users = {}
        self.clients = {}
        self.reset()

    def reset(self):
        """Forgets tokens, codes, statistics and configuration; keeps
        registered users and clients."""
        self.config = json.loads(json.dumps(DEFAULT_CONFIG))
        self.access = {}
        self.refresh = {}
        self.codes = {}
        self.devices = {}
        self.user_codes = {}
        self.jtis = set()
        self.stats = {
            "endpoints": {e: 0 for e in ENDPOINTS},
            "grants": {},
            "errors": {},
            "introspect": {"total": 0, "active": 0, "inactive": 0},
            "issued": {"access": 0, "refresh": 0},
            "reuse_detected": 0,          # strict rotation: a used refresh token came back
            "refresh_sent": [],           # [machine time, fingerprint] of rotated answers sent
            "faults": 0,
            "revoked": 0,                 # tokens revoked through /revoke
            "last_token_request": None,
            "device": [],
        }

    # -- registration ---------------------------------------------------

    def add_user(self, upn):
        key = upn.lower()
        if key not in self.users:
            self.users[key] = {"upn": upn, "oid": str(uuid.uuid4()),
                               "name": upn.split("@")[0]}
        return self.users[key]

    def client(self, client_id):
        """The registered client, or a public one made up on the spot so
        tests need not register the client they use (unless strict)."""
        c = self.clients.get(client_id)
        if c is not None:
            return c
        if self.config["strict_clients"]:
            raise IdpError(400, "unauthorized_client", 700016,
                           "Application with identifier '%s' was not found in the "
                           "directory 'Test'." % client_id)
        return {"client_id": client_id, "public": True, "registered": False}

    # -- minting --------------------------------------------------------

    def sign(self, header, payload):
        head = b64url(json.dumps(header, separators=(",", ":")).encode())
        body = b64url(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self.key, (head + "." + body).encode(), hashlib.sha256).digest()
        return head + "." + body + "." + b64url(mac)

    def mint_access(self, upn, client_id, scope, lifetime, app=False, roles=None,
                    ver="1.0", opaque=False):
        """ver "2.0" shapes the claims like a v2.0 token (issuer, the
        resource's application id as audience, azp, preferred_username);
        opaque makes a token that is no JWT, like a Microsoft personal
        account's ("EwB...")."""
        resource, perms, _ = split_scope(scope)
        now = int(now_s())
        user = self.users.get(upn.lower()) if upn else None
        payload = {
            "aud": resource,
            "iss": "https://sts.windows.net/%s/" % self.tid,
            "iat": now, "nbf": now, "exp": now + lifetime,
            "appid": client_id,
            "tid": self.tid,
            "ver": "1.0",
            "uti": b64url(secrets.token_bytes(16)),
        }
        if ver == "2.0":
            payload["ver"] = "2.0"
            payload["iss"] = "https://login.microsoftonline.com/%s/v2.0" % self.tid
            payload["aud"] = RESOURCE_IDS.get(resource, resource)
            payload["azp"] = payload.pop("appid")
        if app:
            # roles=[] mints an app-only token without roles (no admin consent).
            payload["roles"] = list(APP_ROLES if roles is None else roles)
            payload["idtyp"] = "app"
            payload["oid"] = payload["sub"] = str(uuid.uuid5(uuid.NAMESPACE_URL, client_id))
        else:
            if any(p == ".default" for p in perms) and resource in (OUTLOOK, OUTLOOK365):
                perms = list(DELEGATED_DEFAULT)
            payload["scp"] = " ".join(perms)
            if ver == "2.0":
                payload["preferred_username"] = upn
            else:
                payload["upn"] = payload["unique_name"] = upn
            payload["oid"] = payload["sub"] = user["oid"] if user else str(uuid.uuid4())
        header = {"typ": "JWT", "alg": "HS256"}
        token = self.sign(header, payload)
        if opaque:
            token = "EwB" + b64url(secrets.token_bytes(600))
        want = int(self.config.get("big_tokens") or 0)
        if want > len(token) and not opaque:
            # Entra tokens often exceed 4 KB; pad a claim until the token
            # is as long as asked, or one byte longer (base64 cannot hit
            # every length).  The estimate never overshoots, the loop fills.
            payload["xms_pad"] = ""
            pad = max(0, (want - len(self.sign(header, payload))) * 3 // 4)
            while True:
                payload["xms_pad"] = "p" * pad
                token = self.sign(header, payload)
                if len(token) >= want:
                    break
                pad += 1
        granted = " ".join(resource + "/" + p for p in perms) if not app else scope
        self.access[token] = {
            "kind": "access", "upn": upn, "client_id": client_id, "aud": resource,
            "scope": granted, "exp": now + lifetime, "iat": now, "revoked": False,
            "app": app,
        }
        self.stats["issued"]["access"] += 1
        return token, granted

    def mint_refresh(self, upn, client_id, scope, family=None):
        # Entra refresh tokens are opaque; shape them like one.
        token = "0.A" + b64url(secrets.token_bytes(96))
        now = int(now_s())
        self.refresh[token] = {"kind": "refresh", "upn": upn, "client_id": client_id,
                               "scope": scope, "issued": now, "last_used": now,
                               "revoked": False, "inactive": False, "used": False,
                               "family": family or uuid.uuid4().hex}
        self.stats["issued"]["refresh"] += 1
        return token

    def id_token(self, upn, client_id, oidc):
        user = self.add_user(upn)
        now = int(now_s())
        claims = {"aud": client_id, "iss": "https://login.microsoftonline.com/%s/v2.0" % self.tid,
                  "iat": now, "nbf": now, "exp": now + 3600, "tid": self.tid,
                  "oid": user["oid"], "sub": user["oid"], "ver": "2.0",
                  "preferred_username": upn, "name": user["name"]}
        if "email" in oidc:
            claims["email"] = upn
        return self.sign({"typ": "JWT", "alg": "HS256"}, claims)

    def token_response(self, upn, client_id, scope, with_refresh, refresh_scope=None, family=None):
        lifetime = int(self.config["access_lifetime"])
        at, granted = self.mint_access(upn, client_id, scope, lifetime)
        _, _, oidc = split_scope(scope)
        out = {"token_type": "Bearer", "scope": granted, "expires_in": lifetime,
               "ext_expires_in": lifetime, "access_token": at}
        if with_refresh:
            out["refresh_token"] = self.mint_refresh(upn, client_id, refresh_scope or scope, family)
        if "openid" in oidc:
            out["id_token"] = self.id_token(upn, client_id, oidc)
        return out

    def signed_in_user(self, hint=None):
        """The user a browser or device sign-in is made as."""
        upn = hint or self.config.get("login_upn")
        if not upn and self.users:
            upn = next(iter(self.users.values()))["upn"]
        return self.add_user(upn or "user@example.com")["upn"]


# -- client authentication ----------------------------------------------

def verify_signature(alg, signing_input, signature, pubkey_path):
    """>>> SIGNATURE CHECK <<<  True only when the signature was verified
    with the registered public key; False when it does not verify or no
    check is possible (no key file, no openssl, unknown algorithm).

    RS256 is RSASSA-PKCS1-v1_5 with SHA-256; PS256 is RSASSA-PSS with
    SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518 sections 3.3, 3.5)."""
    if not pubkey_path or not os.path.exists(pubkey_path) or not os.path.exists(OPENSSL):
        return False
    argv = [OPENSSL, "dgst", "-sha256", "-verify", pubkey_path]
    if alg == "PS256":
        argv += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
    elif alg != "RS256":
        return False
    with tempfile.TemporaryDirectory(prefix="idp-sig-") as tmp:
        sig_path = os.path.join(tmp, "sig")
        with open(sig_path, "wb") as f:
            f.write(signature)
        try:
            proc = subprocess.run(argv + ["-signature", sig_path], input=signing_input,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return proc.returncode == 0


def thumbprint_matches(registered, der_digest):
    """Registered thumbprints may be hex (as the portal shows them) or
    base64url (as x5t carries them)."""
    if not registered:
        return False
    reg = registered.strip()
    try:
        if len(reg) in (40, 64) and all(c in "0123456789abcdefABCDEF:" for c in reg):
            return hmac.compare_digest(binascii.unhexlify(reg.replace(":", "")), der_digest)
        return hmac.compare_digest(b64url_decode(reg), der_digest)
    except (ValueError, binascii.Error):
        return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sao-test-idp/1.0"
    # Idle keep-alive connections must not pin threads forever.
    timeout = 60

    def log_message(self, fmt, *args):
        # The default line holds the query string, which may hold a token.
        pass

    @property
    def state(self):
        return self.server.state

    # -- plumbing -------------------------------------------------------

    def read_body(self):
        """Reads the whole request body, always: Dovecot reuses the
        connection, and leftover bytes would be read as the next request."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise IdpError(413, "invalid_request", 9002313, "Request body too large.")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise IdpError(413, "invalid_request", 9002313, "Request body too large.")
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status, body, headers=None, ctype="application/json; charset=utf-8"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        self.query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self.note = ""
        self.sent_rt = None
        endpoint, handler = self.route(parts)
        try:
            raw = self.read_body()
        except IdpError as e:
            self.finish_request(endpoint, e.status, ms_error(e), e.headers)
            return
        except (ValueError, OSError):
            self.close_connection = True
            self.finish_request(endpoint, 400, {"error": "invalid_request"}, {})
            return
        with self.state.lock:
            self.state.stats["endpoints"][endpoint] = \
                self.state.stats["endpoints"].get(endpoint, 0) + 1
            cfg = dict(self.state.config)
        faulty = endpoint in cfg["fault_endpoints"]
        if faulty and cfg["delay_ms"]:
            time.sleep(int(cfg["delay_ms"]) / 1000.0)
        if faulty and cfg["fail_status"] and self.take_fault():
            st = int(cfg["fail_status"])
            hdrs = {}
            if cfg.get("retry_after") is not None:
                hdrs["Retry-After"] = str(cfg["retry_after"])
            if st == 503 or st == 429:
                err = IdpError(st, "temporarily_unavailable", 90033 if st == 503 else 90055,
                               "A transient error has occurred. Please try again.")
            else:
                err = IdpError(st, "server_error", 50000,
                               "There was an error issuing a token or an issue with "
                               "our sign-in service.")
            self.note = "fault=%d" % st
            self.finish_request(endpoint, st, ms_error(err), hdrs)
            return
        try:
            if handler is None:
                status, body, hdrs = 404, {"error": "not_found", "path": url.path}, {}
            else:
                status, body, hdrs = handler(raw)
        except IdpError as e:
            status, body, hdrs = e.status, ms_error(e), e.headers
            with self.state.lock:
                errs = self.state.stats["errors"]
                key = "%s:%d" % (e.error, e.code)
                errs[key] = errs.get(key, 0) + 1
            self.note += " error=%s AADSTS%d" % (e.error, e.code)
        except Exception as e:  # a bug here must still answer, and say so
            log("internal error: %r" % e)
            status, body, hdrs = 500, {"error": "idp_internal_error", "detail": repr(e)}, {}
        if faulty and (cfg["truncate"] or cfg["oversize"]) and isinstance(body, dict) \
                and self.take_fault():
            data = json.dumps(body).encode()
            if cfg["oversize"]:
                size = 4 << 20 if cfg["oversize"] is True else int(cfg["oversize"])
                body = dict(body)
                body["padding"] = "x" * max(size - len(data), 0)
                data = json.dumps(body).encode()
                self.note += " oversize=%d" % len(data)
            if cfg["truncate"]:
                data = data[:max(len(data) // 2, 1)]
                self.note += " truncated"
            body = data
        self.finish_request(endpoint, status, body, hdrs)

    def take_fault(self):
        """Counts down fault_count; when it reaches zero, faults stop."""
        with self.state.lock:
            cfg = self.state.config
            self.state.stats["faults"] += 1
            if cfg["fault_count"]:
                cfg["fault_count"] -= 1
                if cfg["fault_count"] == 0:
                    cfg["fail_status"] = 0
                    cfg["truncate"] = False
                    cfg["oversize"] = False
            return True

    def finish_request(self, endpoint, status, body, hdrs):
        if status in (301, 302, 303):
            self.send(status, b"", hdrs, ctype="text/plain")
        else:
            self.send(status, body, hdrs)
        if self.sent_rt is not None and status == 200:
            # When a rotated refresh token left (the machine's clock, not
            # the warped one): the crash test tells a kill before the
            # answer from one after it.
            with self.state.lock:
                sent = self.state.stats["refresh_sent"]
                sent.append([time.time(), self.sent_rt])
                del sent[:-100]
        log("%s /%s -> %d%s" % (self.command, endpoint, status, self.note))

    def route(self, parts):
        if parts[:1] == ["control"]:
            return "control", self.h_control
        if parts == ["revoke"]:
            return "revoke", self.h_revoke
        if parts == ["introspect"]:
            return "introspect", self.h_introspect
        if parts == ["devicelogin"]:
            return "devicelogin", self.h_devicelogin
        if len(parts) == 4 and parts[1:3] == ["oauth2", "v2.0"]:
            self.tenant = parts[0]
            h = {"token": self.h_token, "devicecode": self.h_devicecode,
                 "authorize": self.h_authorize}.get(parts[3])
            if h is not None:
                return parts[3], h
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            self.tenant = parts[0]
            return "discovery", self.h_discovery
        return "other", None

    def form(self, raw):
        if self.command != "POST":
            raise IdpError(405, "invalid_request", 900561,
                           "The endpoint only accepts POST requests.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise IdpError(400, "invalid_request", 9002313, "Request is malformed or invalid.")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        out = {}
        for k, v in pairs:
            out.setdefault(k, v)
        return out

    def base_url(self):
        return "http://127.0.0.1:%d" % self.state.port

    # -- /token -----------------------------------------------------------

    def h_token(self, raw):
        f = self.form(raw)
        grant = f.get("grant_type")
        with self.state.lock:
            self.state.stats["last_token_request"] = {
                k: v for k, v in f.items()
                if k in ("grant_type", "client_id", "scope", "redirect_uri",
                         "client_assertion_type")}
            self.state.stats["last_token_request"]["params"] = sorted(f)
            self.state.stats["last_token_request"]["tenant"] = self.tenant
            if grant:
                g = self.state.stats["grants"]
                g[grant] = g.get(grant, 0) + 1
        if not grant:
            raise missing("grant_type")
        self.note = " grant=%s" % grant
        fn = {"refresh_token": self.g_refresh, "authorization_code": self.g_code,
              DEVICE_GRANT: self.g_device, "client_credentials": self.g_client}.get(grant)
        if fn is None:
            raise IdpError(400, "unsupported_grant_type", 70003,
                           "The app requested an unsupported grant type '%s'." % grant)
        if not f.get("client_id") and not self.basic_auth()[0]:
            raise missing("client_id")
        te = self.state.config.get("token_error")
        if te and te.get("grant") in (None, grant):
            raise IdpError(int(te.get("status", 400)), te["error"], int(te["code"]),
                           te.get("message") or "Injected by the test.")
        with self.state.lock:
            return 200, fn(f), {}

    def basic_auth(self):
        """RFC 6749 section 2.3.1: client_id and secret in HTTP Basic."""
        h = self.headers.get("Authorization", "")
        if not h.lower().startswith("basic "):
            return None, None
        try:
            cid, _, sec = base64.b64decode(h[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        return urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(sec)

    def authenticate_client(self, f, confidential_required=False):
        """Checks the client credentials a request carries against the
        registration.  Returns the client record."""
        b_id, b_secret = self.basic_auth()
        cid = f.get("client_id") or b_id
        f["client_id"] = cid
        client = self.state.client(cid)
        secret = f.get("client_secret", b_secret)
        assertion = f.get("client_assertion")
        if client.get("public") and (secret is not None or assertion):
            if client.get("registered"):
                raise IdpError(401, "invalid_client", 700025,
                               "Client is public so neither 'client_assertion' nor "
                               "'client_secret' should be presented.")
            if confidential_required:
                raise IdpError(400, "unauthorized_client", 700016,
                               "Application with identifier '%s' was not found in the "
                               "directory 'Test'." % cid)
            return client
        if client.get("public"):
            if confidential_required:
                raise IdpError(401, "invalid_client", 7000218,
                               "The request body must contain the following parameter: "
                               "'client_assertion' or 'client_secret'.")
            return client
        if assertion or f.get("client_assertion_type"):
            self.check_assertion(f, client)
        elif secret is not None:
            want = client.get("client_secret") or ""
            if not want or not hmac.compare_digest(secret.encode(), want.encode()):
                raise IdpError(401, "invalid_client", 7000215,
                               "Invalid client secret provided. Ensure the secret being sent "
                               "in the request is the client secret value, not the client "
                               "secret ID, for a secret added to app '%s'." % cid)
        else:
            raise IdpError(401, "invalid_client", 7000218,
                           "The request body must contain the following parameter: "
                           "'client_assertion' or 'client_secret'.")
        return client

    def check_assertion(self, f, client):
        if f.get("client_assertion_type") != JWT_BEARER:
            raise IdpError(400, "invalid_request", 900144 if not f.get("client_assertion_type")
                           else 90027,
                           "The request body must contain the following parameter: "
                           "'client_assertion_type'." if not f.get("client_assertion_type")
                           else "client_assertion_type must be '%s'." % JWT_BEARER)
        jwt = f.get("client_assertion")
        if not jwt:
            raise missing("client_assertion")
        bad = IdpError(401, "invalid_client", 50027,
                       "JWT token is invalid or is malformed.")
        parts = jwt.split(".")
        if len(parts) != 3:
            raise bad
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise bad
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise bad
        alg = header.get("alg")
        if alg not in ("RS256", "PS256"):
            raise IdpError(401, "invalid_client", 700027,
                           "Client assertion failed signature validation: unsupported "
                           "algorithm '%s'." % alg)
        cid = f["client_id"]
        # Thumbprint: x5t#S256 pairs with the current documentation, x5t
        # (SHA-1) with the older; either must name a registered cert.
        matched = False
        if "x5t#S256" in header:
            try:
                matched = thumbprint_matches(client.get("cert_thumbprint_sha256"),
                                             b64url_decode(header["x5t#S256"]))
            except (ValueError, binascii.Error, TypeError):
                matched = False
        elif "x5t" in header:
            try:
                matched = thumbprint_matches(client.get("cert_thumbprint_sha1"),
                                             b64url_decode(header["x5t"]))
            except (ValueError, binascii.Error, TypeError):
                matched = False
        if not matched:
            raise IdpError(401, "invalid_client", 700027,
                           "The certificate with identifier used to sign the client "
                           "assertion is not registered on application. [Reason - The key "
                           "was not found., Thumbprint of key used by client: '%s']"
                           % (header.get("x5t#S256") or header.get("x5t") or ""))
        if claims.get("iss") != claims.get("sub"):
            raise IdpError(401, "invalid_client", 50048,
                           "Subject mismatches Issuer claim in the client assertion.")
        if claims.get("sub") != cid:
            raise IdpError(401, "invalid_client", 700021,
                           "Client assertion application identifier doesn't match "
                           "'client_id' parameter.")
        if claims.get("aud") not in self.token_audiences():
            raise IdpError(401, "invalid_client", 50027,
                           "Invalid JWT token. Token audience '%s' is not this token "
                           "endpoint." % claims.get("aud"))
        now = now_s()
        try:
            exp = float(claims["exp"])
            nbf = float(claims.get("nbf", claims.get("iat", now)))
        except (KeyError, TypeError, ValueError):
            raise bad
        if exp < now - ASSERTION_SKEW or nbf > now + ASSERTION_SKEW:
            raise IdpError(401, "invalid_client", 700024,
                           "Client assertion is not within its valid time range. Current "
                           "time: %s, assertion valid from %s, expiry time of assertion %s."
                           % (utc_stamp(now), utc_stamp(nbf), utc_stamp(exp)))
        jti = claims.get("jti")
        if not jti:
            raise bad
        if jti in self.state.jtis:
            raise IdpError(401, "invalid_client", 50027,
                           "Invalid JWT token. The client assertion 'jti' was already "
                           "used (replay).")
        key = client.get("public_key_pem_path")
        if key:
            signing_input = (parts[0] + "." + parts[1]).encode("ascii")
            if not verify_signature(alg, signing_input, sig, key):
                raise IdpError(401, "invalid_client", 700027,
                               "Client assertion failed signature validation.")
            self.note += " assertion=verified"
        else:
            self.note += " assertion=claims-only"
        self.state.jtis.add(jti)

    def token_audiences(self):
        names = {self.tenant, self.state.tid}
        hosts = ["http://127.0.0.1:%d" % self.state.port,
                 "http://localhost:%d" % self.state.port]
        if self.headers.get("Host"):
            hosts.append("http://" + self.headers["Host"])
        out = set()
        for t in names:
            for h in hosts + ["https://login.microsoftonline.com"]:
                out.add("%s/%s/oauth2/v2.0/token" % (h, t))
                out.add("%s/%s/oauth2/token" % (h, t))
        return out

    def g_refresh(self, f):
        rt = f.get("refresh_token")
        if not rt:
            raise missing("refresh_token")
        client = self.authenticate_client(f)
        rec = self.state.refresh.get(rt)
        self.note += " rt=%s" % fingerprint(rt)
        if rec is None or rec["client_id"] != client["client_id"]:
            raise IdpError(400, "invalid_grant", 70000,
                           "Provided grant is invalid or malformed.")
        now = int(now_s())
        if rec["revoked"]:
            raise IdpError(400, "invalid_grant", 50173,
                           "The provided grant has expired due to it being revoked, a "
                           "fresh auth token is needed. The user might have changed or "
                           "reset their password.")
        if rec["inactive"] or now - rec["last_used"] > int(self.state.config["refresh_lifetime"]):
            raise IdpError(400, "invalid_grant", 700082,
                           "The refresh token has expired due to inactivity. The token was "
                           "issued on %s and was inactive for 90.00:00:00."
                           % utc_stamp(rec["issued"]))
        strict = self.state.config.get("rotation") == "strict"
        if strict and rec["used"]:
            # Reuse detection (Auth0, Okta): the token was stolen or a
            # client lost its successor; either way the family ends.
            for other in self.state.refresh.values():
                if other["family"] == rec["family"]:
                    other["revoked"] = True
            self.state.stats["reuse_detected"] += 1
            self.note += " reuse: family revoked"
            raise IdpError(400, "invalid_grant", 70000,
                           "The refresh token was already used; refresh token reuse was "
                           "detected and every token of this sign-in was revoked.")
        rec["last_used"] = now
        rec["used"] = True
        scope = f.get("scope") or rec["scope"]
        # Rotation: a new refresh token each time; with "entra" the old one
        # stays valid, with "strict" it is dead from now on.
        out = self.state.token_response(rec["upn"], rec["client_id"], scope, True,
                                        refresh_scope=rec["scope"], family=rec["family"])
        self.sent_rt = fingerprint(out["refresh_token"])
        self.note += " at=%s new_rt=%s" % (fingerprint(out["access_token"]), self.sent_rt)
        return out

    def g_code(self, f):
        for name in ("code", "redirect_uri"):
            if not f.get(name):
                raise missing(name)
        client = self.authenticate_client(f)
        rec = self.state.codes.get(f["code"])
        if rec is None or rec["client_id"] != client["client_id"]:
            raise IdpError(400, "invalid_grant", 70000,
                           "Provided grant is invalid or malformed.")
        if rec["used"]:
            raise IdpError(400, "invalid_grant", 54005,
                           "OAuth2 Authorization code was already redeemed, please retry "
                           "with a new valid code or use an existing refresh token.")
        rec["used"] = True
        if now_s() > rec["exp"]:
            raise IdpError(400, "invalid_grant", 70008,
                           "The provided authorization code or refresh token has expired "
                           "due to inactivity. Send a new interactive authorization request.")
        if f["redirect_uri"] != rec["redirect_uri"]:
            raise IdpError(400, "invalid_grant", 50011,
                           "The redirect URI '%s' specified in the request does not match "
                           "the redirect URIs configured for the application." % f["redirect_uri"])
        if rec["challenge"] is not None:
            verifier = f.get("code_verifier")
            if not verifier:
                raise missing("code_verifier")
            want = b64url(hashlib.sha256(verifier.encode()).digest())
            if not hmac.compare_digest(want, rec["challenge"]):
                raise IdpError(400, "invalid_grant", 501481,
                               "The Code_Verifier does not match the code_challenge supplied "
                               "in the authorization request.")
        scope = f.get("scope") or rec["scope"]
        _, _, oidc = split_scope(rec["scope"])
        return self.state.token_response(rec["upn"], client["client_id"], scope,
                                         "offline_access" in oidc, refresh_scope=rec["scope"])

    def g_device(self, f):
        dc = f.get("device_code")
        if not dc:
            raise missing("device_code")
        client = self.authenticate_client(f)
        rec = self.state.devices.get(dc)
        if rec is None or rec["client_id"] != client["client_id"]:
            raise IdpError(400, "bad_verification_code", 70018,
                           "The provided value for the input parameter 'device_code' is "
                           "not valid.")
        now = now_s()
        rec["polls"].append(now)
        cfg = self.state.config
        self.note += " poll=%d" % len(rec["polls"])
        if rec["redeemed"]:
            raise IdpError(400, "invalid_grant", 54005,
                           "The device code was already redeemed.")
        if cfg["device_mode"] == "expire" or now > rec["exp"]:
            raise IdpError(400, "expired_token", 70019,
                           "Verification code expired.")
        if cfg["device_mode"] == "decline" and not rec["approved"]:
            raise IdpError(400, "authorization_declined", 70000,
                           "The user declined the authorization request.")
        if cfg["device_mode"] == "slow_down" and not rec["slowed"]:
            rec["slowed"] = True
            rec["pending_polls"] = 0
            raise IdpError(400, "slow_down", 70016,
                           "Polling too fast: add 5 seconds to the interval (RFC 8628 "
                           "section 3.5).")
        if not rec["approved"]:
            rec["pending_polls"] += 1
            if rec["pending_polls"] > int(cfg["device_approve_after"]):
                rec["approved"] = True
        if not rec["approved"]:
            raise IdpError(400, "authorization_pending", 70016,
                           "OAuth 2.0 device flow error. Authorization is pending. Continue "
                           "polling.")
        rec["redeemed"] = True
        upn = rec["upn"] or self.state.signed_in_user()
        _, _, oidc = split_scope(rec["scope"])
        return self.state.token_response(upn, client["client_id"], rec["scope"],
                                         "offline_access" in oidc)

    def g_client(self, f):
        if self.tenant.lower() in ("common", "organizations", "consumers"):
            raise IdpError(400, "invalid_request", 9001023,
                           "The grant type isn't supported over the /common or /consumers "
                           "endpoints. Please use the /organizations or tenant-specific "
                           "endpoint.")
        scope = f.get("scope")
        if not scope:
            raise missing("scope")
        client = self.authenticate_client(f, confidential_required=True)
        items = scope.split()
        if len(items) != 1 or not items[0].endswith("/.default"):
            raise IdpError(400, "invalid_scope", 1002012,
                           "The provided value for scope %s is not valid. Client credential "
                           "flows must have a scope value with /.default suffixed to the "
                           "resource identifier (application ID URI)." % scope)
        lifetime = int(self.state.config["access_lifetime"])
        at, _ = self.state.mint_access(client.get("app_upn"), client["client_id"], scope,
                                       lifetime, app=True, roles=client.get("roles"))
        self.note += " at=%s" % fingerprint(at)
        return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                "access_token": at}

    # -- /devicecode, /authorize, /devicelogin, discovery ------------------

    def h_devicecode(self, raw):
        f = self.form(raw)
        if not f.get("client_id"):
            raise missing("client_id")
        if not f.get("scope"):
            raise missing("scope")
        with self.state.lock:
            self.state.client(f["client_id"])
            dc = "DAQABAAEAAAA" + b64url(secrets.token_bytes(48))
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            uc = "".join(secrets.choice(alphabet) for _ in range(9))
            interval = int(self.state.config["device_interval"])
            self.state.devices[dc] = {
                "client_id": f["client_id"], "scope": f["scope"], "user_code": uc,
                "exp": now_s() + DEVICE_LIFETIME, "polls": [], "pending_polls": 0,
                "approved": False, "redeemed": False, "slowed": False, "upn": None,
                "interval": interval}
            self.state.user_codes[uc] = dc
        uri = self.base_url() + "/devicelogin"
        return 200, {
            "user_code": uc, "device_code": dc, "verification_uri": uri,
            "expires_in": DEVICE_LIFETIME, "interval": interval,
            "message": "To sign in, use a web browser to open the page %s and enter the "
                       "code %s to authenticate." % (uri, uc)}, {}

    def h_devicelogin(self, raw):
        """The page a user would open; ?user_code=X (and optionally
        &upn=) approves that code at once, as a user signing in would."""
        uc = (self.query.get("user_code") or self.query.get("code") or [""])[0]
        if not uc:
            return 200, {"message": "Enter the code shown by the application."}, {}
        with self.state.lock:
            dc = self.state.user_codes.get(uc.upper())
            rec = self.state.devices.get(dc) if dc else None
            if rec is None:
                raise IdpError(400, "invalid_request", 70018,
                               "The code you entered has expired or is not valid.")
            upn = (self.query.get("upn") or [None])[0]
            rec["upn"] = self.state.signed_in_user(upn)
            rec["approved"] = True
        return 200, {"approved": True, "upn": rec["upn"]}, {}

    def h_authorize(self, raw):
        q = {k: v[0] for k, v in self.query.items()}
        redirect = q.get("redirect_uri")
        if not q.get("client_id"):
            raise missing("client_id")
        if not redirect:
            raise IdpError(400, "invalid_request", 900971, "No reply address provided.")
        state = q.get("state")

        def bounce(params):
            if state is not None:
                params["state"] = state
            sep = "&" if "?" in redirect else "?"
            loc = redirect + sep + urllib.parse.urlencode(params)
            return 302, b"", {"Location": loc}

        def fail(error, code, message):
            e = ms_error(IdpError(400, error, code, message))
            return bounce({"error": error, "error_description": e["error_description"],
                           "error_uri": e["error_uri"]})

        with self.state.lock:
            self.state.client(q["client_id"])
            if q.get("response_type") != "code":
                return fail("unsupported_response_type", 700054,
                            "response_type '%s' is not enabled for the application."
                            % q.get("response_type"))
            if not q.get("scope"):
                return fail("invalid_request", 900144,
                            "The request body must contain the following parameter: 'scope'.")
            challenge = q.get("code_challenge")
            method = q.get("code_challenge_method")
            if challenge is None or method != "S256":
                return fail("invalid_request", 501491 if challenge is None else 501481,
                            "Invalid code_challenge_method: PKCE with S256 is required by "
                            "this test provider.")
            if self.state.config["authorize_mode"] == "deny":
                return fail("access_denied", 65004,
                            "User declined to consent to access the app.")
            upn = self.state.signed_in_user(q.get("login_hint"))
            code = "0.A" + b64url(secrets.token_bytes(48))
            self.state.codes[code] = {
                "client_id": q["client_id"], "redirect_uri": redirect, "scope": q["scope"],
                "challenge": challenge, "upn": upn, "used": False,
                "exp": now_s() + CODE_LIFETIME}
        self.note = " code=%s" % fingerprint(code)
        return bounce({"code": code})

    def h_discovery(self, raw):
        base = self.base_url() + "/" + self.tenant
        cloud = DISCOVERY_CLOUDS.get(self.tenant.lower(), GLOBAL_CLOUD)
        if cloud is None:
            raise IdpError(400, "invalid_tenant", 90002,
                           "Tenant '%s' not found. Check to make sure you have the correct "
                           "tenant ID and are signing into the correct cloud." % self.tenant)
        extra = {k: v for k, v in cloud.items() if k != "login"}
        return 200, dict(extra, **{
            "issuer": "%s/%s/v2.0" % (cloud["login"], self.state.tid),
            "authorization_endpoint": base + "/oauth2/v2.0/authorize",
            "token_endpoint": base + "/oauth2/v2.0/token",
            "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
            "introspection_endpoint": self.base_url() + "/introspect",
            "grant_types_supported": ["authorization_code", "refresh_token",
                                      "client_credentials", DEVICE_GRANT],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic",
                                                      "private_key_jwt"],
        }), {}

    # -- /introspect --------------------------------------------------------

    def h_introspect(self, raw):
        token = None
        if self.command == "POST":
            token = self.form(raw).get("token")
        if not token:
            token = (self.query.get("token") or self.query.get("access_token") or [None])[0]
        if not token:
            h = self.headers.get("Authorization", "")
            if h.lower().startswith("bearer "):
                token = h[7:].strip()
        with self.state.lock:
            st = self.state.stats["introspect"]
            st["total"] += 1
            rec = self.state.access.get(token) if token else None
            now = now_s()
            # Tokens for Microsoft Graph are what a scope without the
            # Outlook prefix yields; Exchange refuses them, and so do we.
            active = (rec is not None and not rec["revoked"] and rec["exp"] > now
                      and rec["aud"] != GRAPH)
            need = self.state.config.get("require_scope") or ""
            if active and need and not rec["app"]:
                active = any(p.rsplit("/", 1)[-1] == need for p in rec["scope"].split())
            st["active" if active else "inactive"] += 1
        self.note = " token=%s active=%s" % (fingerprint(token), active)
        if not active:
            return 200, {"active": False}, {}
        upn = rec["upn"]
        return 200, {"active": True, "username": upn, "email": upn, "scope": rec["scope"],
                     "exp": rec["exp"], "iat": rec["iat"], "client_id": rec["client_id"],
                     "aud": rec["aud"], "token_type": "Bearer"}, {}

    # -- /revoke (RFC 7009) -----------------------------------------------------

    def h_revoke(self, raw):
        """RFC 7009 section 2: a provider other than Entra ID, so errors are
        plain RFC 6749 section 5.2 JSON (no AADSTS number).  An unknown
        token is no error (section 2.2); a token of another client is."""
        f = self.form(raw)

        def plain(status, error, description):
            self.note += " error=%s" % error
            return status, {"error": error, "error_description": description}, {}

        if not f.get("client_id") and not self.basic_auth()[0]:
            return plain(400, "invalid_request", "The client_id parameter is missing.")
        try:
            client = self.authenticate_client(f)
        except IdpError as e:
            return plain(401, "invalid_client", e.message)
        token = f.get("token")
        if not token:
            return plain(400, "invalid_request", "The token parameter is missing.")
        if f.get("token_type_hint") not in (None, "", "access_token", "refresh_token"):
            return plain(400, "unsupported_token_type",
                         "Revoking a '%s' is not supported." % f["token_type_hint"])
        self.note = " token=%s" % fingerprint(token)
        with self.state.lock:
            rec = self.state.refresh.get(token) or self.state.access.get(token)
            if rec is None:
                self.note += " unknown"
                return 200, b"", {}
            if rec["client_id"] != client["client_id"]:
                return plain(400, "unauthorized_client",
                             "The token was issued to another client.")
            rec["revoked"] = True
            self.state.stats["revoked"] += 1
        self.note += " revoked"
        return 200, b"", {}

    # -- /control -------------------------------------------------------------

    def h_control(self, raw):
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        try:
            body = json.loads(raw.decode() or "{}") if raw else {}
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "control body is not JSON"}, {}
        if not isinstance(body, dict):
            return 400, {"error": "control body must be a JSON object"}, {}
        fn = {
            ("POST", "/control/users"): self.c_users,
            ("POST", "/control/issue"): self.c_issue,
            ("POST", "/control/revoke"): self.c_revoke,
            ("POST", "/control/config"): self.c_config,
            ("GET", "/control/config"): self.c_config,
            ("GET", "/control/stats"): self.c_stats,
            ("POST", "/control/reset"): self.c_reset,
            ("POST", "/control/device"): self.c_device,
        }.get((self.command, path))
        if fn is None:
            return 404, {"error": "no such control call: %s %s" % (self.command, path)}, {}
        with self.state.lock:
            try:
                return fn(body)
            except (KeyError, TypeError, ValueError) as e:
                return 400, {"error": "bad control request: %s" % e}, {}

    def c_users(self, body):
        """Registers users ("upn" or "users": [...]) and clients
        ("client_id" + fields, or "client": {...}, or "clients": [...])."""
        out = {"users": [], "clients": []}
        upns = list(body.get("users") or [])
        if body.get("upn"):
            upns.append(body["upn"])
        for u in upns:
            out["users"].append(self.state.add_user(u if isinstance(u, str) else u["upn"])["upn"])
        clients = list(body.get("clients") or [])
        if body.get("client"):
            clients.append(body["client"])
        if body.get("client_id"):
            clients.append({k: v for k, v in body.items() if k not in ("upn", "users")})
        for c in clients:
            out["clients"].append(self.register_client(c))
        return 200, out, {}

    def register_client(self, c):
        cid = c["client_id"]
        rec = {"client_id": cid, "registered": True,
               "client_secret": c.get("client_secret"),
               "cert_thumbprint_sha256": c.get("cert_thumbprint_sha256"),
               "cert_thumbprint_sha1": c.get("cert_thumbprint_sha1"),
               "public_key_pem_path": c.get("public_key_pem_path"),
               "roles": c.get("roles") or list(APP_ROLES),
               # The mailbox identity an app-only token introspects as.
               "app_upn": c.get("app_upn") or "%s@example.com" % cid}
        if c.get("certificate_pem_path"):
            # Convenience: thumbprints and public key from the certificate.
            with open(c["certificate_pem_path"]) as fh:
                der = ssl.PEM_cert_to_DER_cert(fh.read())
            rec["cert_thumbprint_sha256"] = hashlib.sha256(der).hexdigest()
            rec["cert_thumbprint_sha1"] = hashlib.sha1(der).hexdigest()
            if not rec["public_key_pem_path"]:
                pub = os.path.join(self.server.state_dir, "pub-%s.pem" % uuid.uuid4().hex)
                subprocess.run([OPENSSL, "x509", "-in", c["certificate_pem_path"], "-pubkey",
                                "-noout", "-out", pub], check=True, timeout=10,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                rec["public_key_pem_path"] = pub
        confidential = bool(rec["client_secret"] or rec["cert_thumbprint_sha256"]
                            or rec["cert_thumbprint_sha1"])
        rec["public"] = bool(c.get("public", not confidential))
        self.state.clients[cid] = rec
        return cid

    def c_issue(self, body):
        upn = body.get("upn")
        app = bool(body.get("app"))
        cid = body.get("client_id") or DEFAULT_CLIENT_ID
        lifetime = int(body.get("lifetime", self.state.config["access_lifetime"]))
        if app:
            client = self.state.clients.get(cid) or {"app_upn": "%s@example.com" % cid}
            scope = body.get("scope") or APP_DEFAULT_SCOPE
            at, granted = self.state.mint_access(upn or client.get("app_upn"), cid, scope,
                                                 lifetime, app=True,
                                                 roles=body.get("roles", client.get("roles")),
                                                 ver=body.get("ver", "1.0"))
            out = {"token_type": "Bearer", "access_token": at, "expires_in": lifetime,
                   "ext_expires_in": lifetime, "scope": granted}
        else:
            if not upn:
                raise KeyError("upn")
            self.state.add_user(upn)
            scope = body.get("scope") or " ".join(
                [OUTLOOK + "/" + p for p in DELEGATED_DEFAULT] + ["offline_access"])
            at, granted = self.state.mint_access(upn, cid, scope, lifetime,
                                                 ver=body.get("ver", "1.0"),
                                                 opaque=bool(body.get("opaque")))
            rt = self.state.mint_refresh(upn, cid, scope)
            out = {"token_type": "Bearer", "access_token": at, "refresh_token": rt,
                   "expires_in": lifetime, "ext_expires_in": lifetime, "scope": granted}
        self.note = " issue at=%s" % fingerprint(out["access_token"])
        return 200, out, {}

    def c_revoke(self, body):
        """{"token": T} revokes one access or refresh token; {"upn": U}
        every token of a user (like "revoke sessions").  "reason":
        "inactive" makes a refresh token fail with AADSTS700082 instead."""
        n = 0
        inactive = body.get("reason") == "inactive"
        tok = body.get("token")
        upn = (body.get("upn") or "").lower()
        for table in (self.state.access, self.state.refresh):
            for value, rec in table.items():
                if value == tok or (upn and (rec.get("upn") or "").lower() == upn):
                    if inactive and rec["kind"] == "refresh":
                        rec["inactive"] = True
                    else:
                        rec["revoked"] = True
                    n += 1
        self.note = " revoke token=%s n=%d" % (fingerprint(tok), n)
        return (200 if n else 404), {"revoked": n}, {}

    def c_config(self, body):
        if self.command == "GET":
            return 200, self.state.config, {}
        unknown = [k for k in body if k not in DEFAULT_CONFIG]
        if unknown:
            return 400, {"error": "unknown config keys: %s" % ", ".join(unknown)}, {}
        if body.get("device_mode", "approve") not in ("approve", "decline", "expire", "slow_down"):
            return 400, {"error": "device_mode must be approve|decline|expire|slow_down"}, {}
        if body.get("authorize_mode", "approve") not in ("approve", "deny"):
            return 400, {"error": "authorize_mode must be approve|deny"}, {}
        if body.get("rotation", "entra") not in ("entra", "strict"):
            return 400, {"error": "rotation must be entra|strict"}, {}
        self.state.config.update(body)
        CLOCK["offset"] = float(self.state.config.get("clock_offset") or 0)
        return 200, self.state.config, {}

    def c_stats(self, body):
        stats = json.loads(json.dumps(self.state.stats))
        stats["device"] = [
            {"user_code": d["user_code"], "polls": len(d["polls"]),
             "gaps_ms": [int((b - a) * 1000) for a, b in zip(d["polls"], d["polls"][1:])]}
            for d in self.state.devices.values()]
        stats["tokens"] = {"access": len(self.state.access), "refresh": len(self.state.refresh)}
        stats["users"] = sorted(u["upn"] for u in self.state.users.values())
        stats["clients"] = sorted(self.state.clients)
        return 200, stats, {}

    def c_reset(self, body):
        self.state.reset()
        CLOCK["offset"] = 0
        return 200, {"reset": True}, {}

    def c_device(self, body):
        """Approves or declines a pending device code by user_code, the
        way the user would on the device login page."""
        dc = self.state.user_codes.get(str(body["user_code"]).upper())
        rec = self.state.devices.get(dc) if dc else None
        if rec is None:
            return 404, {"error": "no such user_code"}, {}
        if body.get("action", "approve") == "approve":
            rec["approved"] = True
            rec["upn"] = self.state.signed_in_user(body.get("upn"))
        else:
            self.state.config["device_mode"] = "decline"
        return 200, {"user_code": rec["user_code"], "approved": rec["approved"]}, {}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.state_dir, exist_ok=True)

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(server.server_address[1])
    server.state_dir = args.state_dir

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The socket is listening already; only now may anyone learn the port.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % server.state.port)
    os.rename(tmp, args.port_file)
    log("listening on 127.0.0.1:%d pid %d" % (server.state.port, os.getpid()))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        log("stopped")


if __name__ == "__main__":
    main()
