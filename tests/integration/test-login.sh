#!/bin/bash
# SPDX-License-Identifier: MIT
# "sasl-oauth login" against the local identity provider. Device code:
# approval after polling, slow_down, decline, expiry, the time limit, and
# the printed URL:/Code: lines used to approve on the verification page.
# Authorization code with PKCE: through the loopback listener with a
# scripted browser, a refused consent, pasted by hand, and a pasted address
# with the wrong state; a forged request to the listener before the real
# redirect; browsers given as command lines (--browser, a BROWSER list)
# and xdg-open when there is a display. Every success leaves a 0600 cache
# with both tokens, and no token ever appears in the CLI's output.
. "$(dirname "$0")/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "$CLI is not built"
start_bed
# The CLI opens $BROWSER when no --browser is given, else xdg-open when
# there is a display; none here unless a case sets them.
unset BROWSER DISPLAY WAYLAND_DISPLAY
bed_add_user alice@example.com

DEVICE_GRANT=urn:ietf:params:oauth:grant-type:device_code
CACHE="$XDG_STATE_HOME/sasl-oauth/work.json"
OUT="$BED_DIR/login.out"
ERR="$BED_DIR/login.err"
BROWSER_LOG="$BED_DIR/browser.log"

# use_flow FLOW: the account, pointed at the local identity provider.
use_flow() {
	write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 3f1c2a7e-5b6d-4e8f-9a0b-1c2d3e4f5a6b
flow = $1"
}

# fresh [JSON]: no cache, the identity provider's counters and behaviour
# reset, then JSON applied to its configuration.
fresh() {
	rm -f "$CACHE" "$OUT" "$ERR" "$BROWSER_LOG"
	bed_ctl POST /control/reset >/dev/null
	bed_config '{"login_upn": "alice@example.com"}'
	[ -z "${1:-}" ] || bed_config "$1"
}

# login ARGS...: runs "sasl-oauth login" with a time limit, stdin from
# /dev/null; sets RC and MS (wall time in milliseconds).
login() {
	local t0=${EPOCHREALTIME/./}
	timeout 60 "$CLI" login "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

# idp_stat EXPR: a Python expression over the identity provider's statistics (s).
idp_stat() {
	bed_stats | "$PY" -c 'import json, sys; s = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# said TEXT: the CLI's stdout or stderr holds TEXT (case-insensitive).
said() { grep -qiF -- "$1" "$OUT" "$ERR"; }

# show: the CLI's output, for a failing case.
show() { sed 's/^/    | /' "$OUT" "$ERR" | head -n 40; }

# check_login NAME: the login succeeded and left a proper cache: mode 0600,
# both tokens, an access token the provider knows as alice's, and neither
# token anywhere in what the CLI printed.
check_login() {
	local name=$1 at rt mode user
	if [ "$RC" != 0 ]; then
		fail "$name: exit $RC"
		show
		return 1
	fi
	if [ ! -f "$CACHE" ]; then
		fail "$name: no cache file $CACHE"
		return 1
	fi
	mode=$(stat -c %a "$CACHE")
	at=$(cache_field work access_token 2>/dev/null)
	rt=$(cache_field work refresh_token 2>/dev/null)
	if [ "$mode" != 600 ] || [ -z "$at" ] || [ -z "$rt" ]; then
		fail "$name: cache mode $mode, access token ${#at} bytes, refresh token ${#rt} bytes"
		return 1
	fi
	if grep -qF -- "$at" "$OUT" "$ERR" || grep -qF -- "$rt" "$OUT" "$ERR"; then
		fail "$name: a token appeared in the CLI's output"
		return 1
	fi
	user=$("$PY" - "$BED_IDP_URL/introspect" "$at" <<'PY'
import json, sys, urllib.parse, urllib.request
body = urllib.parse.urlencode({"token": sys.argv[2]}).encode()
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
r = json.load(opener.open(sys.argv[1], body, timeout=20))
print(r.get("username", "") if r.get("active") else "inactive")
PY
)
	if [ "$user" != alice@example.com ]; then
		fail "$name: the provider says the access token is $user"
		return 1
	fi
	return 0
}

# A scripted browser for --browser: asks the authorize URL without following
# the identity provider's redirect, fetches /favicon.ico from the listener
# the way browsers do, then follows the Location to the loopback listener
# and logs the status and page it got.
cat > "$BED_DIR/browser.py" <<'PY'
#!/usr/bin/python3
import os, sys, urllib.error, urllib.parse, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))

def get(op, url):
    try:
        r = op.open(url, timeout=20)
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")

# The URL is the argument that starts with http; the others are logged.
# FAKE_BROWSER_FORGE=1: first a forged redirect (another state) and a
# broken one to the listener, as another local program could send.
url = [a for a in sys.argv[1:] if a.startswith("http")][0]
with open(os.environ["FAKE_BROWSER_LOG"], "w") as log:
    log.write("args=%s\n" % " ".join(a for a in sys.argv[1:] if a != url))
    if os.environ.get("FAKE_BROWSER_FORGE"):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        back = q["redirect_uri"][0]
        forged, _, page = get(plain, back + "?code=forged&state=00000000-1111-2222-3333-444444444444")
        log.write("forged=%d\n" % forged)
        broken, _, _ = get(plain, back + "?code=x&code=y")
        log.write("broken=%d\n" % broken)
    status, headers, _ = get(opener, url)
    loc = headers.get("Location") or ""
    log.write("authorize=%d\n" % status)
    log.write("redirect=%s\n" % urllib.parse.urlsplit(loc)._replace(query="").geturl())
    if status != 302 or not loc:
        sys.exit(1)
    base = urllib.parse.urlsplit(loc)
    fav, _, _ = get(plain, "%s://%s/favicon.ico" % (base.scheme, base.netloc))
    log.write("favicon=%d\n" % fav)
    status, _, page = get(plain, loc)
    log.write("listener=%d\n%s\n" % (status, page))
PY
chmod 755 "$BED_DIR/browser.py"
export FAKE_BROWSER_LOG="$BROWSER_LOG"

# Paste mode: runs the CLI with --paste, reads the URL: line from it, plays
# the browser (no redirect followed), and pastes the Location it ended on.
# badstate pastes it with another state. Usage: paste.py MODE OUT ERR CMD...
cat > "$BED_DIR/paste.py" <<'PY'
#!/usr/bin/python3
import re, subprocess, sys, urllib.error, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

mode, out_path, err_path, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
head = b""
url = None
while url is None:
    line = p.stdout.readline()
    if not line:
        break
    head += line
    if line.startswith(b"URL: "):
        url = line[5:].strip().decode()
loc = ""
if url is not None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        opener.open(url, timeout=20)
    except urllib.error.HTTPError as e:
        loc = e.headers.get("Location") or ""
    if mode == "badstate":
        loc = re.sub(r"state=[^&]*", "state=00000000-1111-2222-3333-444444444444", loc)
try:
    out, err = p.communicate((loc + "\n").encode(), timeout=50)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
with open(out_path, "wb") as f:
    f.write(head + out)
with open(err_path, "wb") as f:
    f.write(err)
sys.exit(p.returncode)
PY

# ---- device code ------------------------------------------------------

use_flow device

# 1. Pending once, then approved: at least two polls, a working token.
fresh '{"device_interval": 1, "device_approve_after": 1}'
login work
if check_login "device flow"; then
	polls=$(idp_stat "s['grants'].get('$DEVICE_GRANT', 0)")
	if [ "$polls" -ge 2 ] && grep -qE '^Code: [A-Z0-9]+$' "$OUT" &&
		grep -qxF "URL: $BED_IDP_URL/devicelogin" "$OUT"; then
		pass "device flow: $polls polls, Code: and URL: lines, 0600 cache, token works, no token printed"
	else
		fail "device flow: $polls polls, or the Code:/URL: lines are missing"
		show
	fi
fi
if grep -q $'\r' "$OUT"; then
	fail "device flow wrote a countdown although stdout is not a terminal"
else
	pass "device flow: no countdown when stdout is not a terminal"
fi

# 2. slow_down on the first poll: the interval grows by 5 s (RFC 8628 §3.5).
fresh '{"device_interval": 1, "device_approve_after": 1, "device_mode": "slow_down"}'
login work
if check_login "device flow with slow_down"; then
	gap=$(idp_stat "min(s['device'][0]['gaps_ms'])")
	if [ "$gap" -ge 5500 ] && [ "$MS" -ge 6000 ]; then
		pass "slow_down: polls $gap ms apart instead of 1 s, login took $MS ms"
	else
		fail "slow_down: smallest poll gap $gap ms, login took $MS ms"
	fi
fi

# 3. Declined on the verification page.
fresh '{"device_interval": 1, "device_mode": "decline"}'
login work
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "declined" && [ ! -e "$CACHE" ]; then
	pass "declined device login: exit $RC, says declined"
else
	fail "declined device login: exit $RC"
	show
fi

# 4. The device code expired.
fresh '{"device_interval": 1, "device_mode": "expire"}'
login work
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "expired" && said "sasl-oauth login work" && [ ! -e "$CACHE" ]; then
	pass "expired device code: exit $RC, says it expired and to log in again"
else
	fail "expired device code: exit $RC"
	show
fi

# 5. Nobody signs in: the time limit ends the wait.
fresh '{"device_interval": 1, "device_approve_after": 100000}'
login work --timeout 3
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "timed out" && [ "$MS" -lt 15000 ]; then
	pass "device login time limit: exit $RC after $MS ms, says it timed out"
else
	fail "device login time limit: exit $RC after $MS ms"
	show
fi

# 6. The person opens the printed URL and enters the printed code.
fresh '{"device_interval": 1, "device_approve_after": 100000}'
t0=${EPOCHREALTIME/./}
timeout 60 "$CLI" login work </dev/null >"$OUT" 2>"$ERR" &
pid=$!
code='' url=''
for ((i = 0; i < 200; i++)); do
	code=$(sed -n 's/^Code: //p' "$OUT")
	url=$(sed -n 's/^URL: //p' "$OUT")
	[ -n "$code" ] && [ -n "$url" ] && break
	sleep 0.1
done
"$PY" - "$url" "$code" <<'PY' >/dev/null
import sys, urllib.parse, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
opener.open(sys.argv[1] + "?" + urllib.parse.urlencode({"user_code": sys.argv[2]}), timeout=20)
PY
wait "$pid"
RC=$?
MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
if [ -n "$code" ] && check_login "device flow through the verification page"; then
	pass "device flow: code $code entered on the verification page, signed in after $MS ms"
elif [ -z "$code" ]; then
	fail "device flow through the verification page: no Code: line"
	show
fi

# 6b. The token endpoint fails twice while polling (503): a sign-in that may
#     be half done is not thrown away; the next polls go on.
fresh '{"device_interval": 1, "device_approve_after": 1, "fail_status": 503, "fault_count": 2, "fault_endpoints": ["token"]}'
login work
if check_login "device flow through two failed polls"; then
	faults=$(idp_stat "s['faults']")
	if [ "$faults" = 2 ]; then
		pass "device flow: two polls answered 503, the login went on and succeeded"
	else
		fail "device flow through failed polls: $faults faults served, want 2"
	fi
fi

# 6c. Three failed polls in a row end the login, as a provider failure.
fresh '{"device_interval": 1, "device_approve_after": 1, "fail_status": 503, "fault_count": 3, "fault_endpoints": ["token"]}'
login work
if [ "$RC" = 5 ] && said "temporarily_unavailable" && [ ! -e "$CACHE" ] && [ "$(idp_stat "s['faults']")" = 3 ]; then
	pass "device flow: three failed polls in a row end it with exit 5 and the provider's error"
else
	fail "device flow, three failed polls: exit $RC"
	show
fi

# ---- authorization code + PKCE --------------------------------------------

use_flow authcode

# 7. Loopback: the scripted browser goes to the provider and comes back to
#    the listener; the provider checks redirect URI and PKCE verifier.
fresh
login work --browser "$BED_DIR/browser.py"
if check_login "authcode through the loopback listener"; then
	redirect=$(idp_stat "s['last_token_request']['redirect_uri']")
	if grep -qx 'listener=200' "$BROWSER_LOG" && grep -qi 'signed in' "$BROWSER_LOG" &&
		grep -qx 'favicon=404' "$BROWSER_LOG" && [[ "$redirect" =~ ^http://localhost:[0-9]+/$ ]] &&
		grep -q '^URL: .*code_challenge_method=S256' "$OUT"; then
		pass "authcode loopback: redirect $redirect, PKCE, page says signed in, favicon 404"
	else
		fail "authcode loopback: redirect '$redirect'"
		sed 's/^/    browser| /' "$BROWSER_LOG" | head -n 20
	fi
fi

# 8. The user declines consent: the redirect carries the error.
fresh '{"authorize_mode": "deny"}'
login work --browser "$BED_DIR/browser.py"
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "AADSTS65004" && said "declined" && [ ! -e "$CACHE" ] &&
	grep -qx 'listener=400' "$BROWSER_LOG" && grep -qi 'declined' "$BROWSER_LOG" &&
	[ "$(idp_stat "s['grants'].get('authorization_code', 0)")" = 0 ]; then
	pass "authcode consent declined: exit $RC, AADSTS65004 in words in the terminal and the page"
else
	fail "authcode consent declined: exit $RC"
	show
fi

# 9. Nobody comes back: the time limit ends the wait.
fresh
login work --browser /bin/true --timeout 2
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "timed out" && [ "$MS" -lt 15000 ]; then
	pass "authcode time limit: exit $RC after $MS ms, says it timed out"
else
	fail "authcode time limit: exit $RC after $MS ms"
	show
fi

# 10. Paste: the address the browser ended on, pasted on stdin.
fresh
timeout 60 "$PY" "$BED_DIR/paste.py" ok "$OUT" "$ERR" "$CLI" login work --paste --redirect-uri http://localhost/
RC=$?
if check_login "authcode pasted"; then
	redirect=$(idp_stat "s['last_token_request']['redirect_uri']")
	if [ "$redirect" = http://localhost/ ] && grep -q '^URL: ' "$OUT"; then
		pass "authcode paste: redeemed with redirect $redirect"
	else
		fail "authcode paste: redirect '$redirect'"
	fi
fi

# 11. A pasted address with another state is refused before any redemption.
fresh
timeout 60 "$PY" "$BED_DIR/paste.py" badstate "$OUT" "$ERR" "$CLI" login work --paste --redirect-uri http://localhost/
RC=$?
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "state" && [ ! -e "$CACHE" ] &&
	[ "$(idp_stat "s['grants'].get('authorization_code', 0)")" = 0 ]; then
	pass "pasted address with the wrong state refused: exit $RC, no code redeemed"
else
	fail "pasted address with the wrong state: exit $RC"
	show
fi
# 12. A forged redirect (another state) and a broken one reach the listener
#     first: both get 400, the login keeps listening and succeeds (issue 13).
fresh
FAKE_BROWSER_FORGE=1 login work --browser "$BED_DIR/browser.py"
if check_login "authcode after a forged request"; then
	if grep -qx 'forged=400' "$BROWSER_LOG" && grep -qx 'broken=400' "$BROWSER_LOG" &&
		grep -qx 'listener=200' "$BROWSER_LOG" && said "Refused a request" &&
		[ "$(idp_stat "s['grants'].get('authorization_code', 0)")" = 1 ]; then
		pass "forged and broken redirects answered 400, the login went on and succeeded"
	else
		fail "forged redirect: the browser log or the terminal lacks the refusals"
		sed 's/^/    browser| /' "$BROWSER_LOG" | head -n 20
		show
	fi
fi

# 13. --browser takes a command line (issue 12).
fresh
login work --browser "$PY $BED_DIR/browser.py --new-window"
if check_login "--browser with a command line" && grep -qx 'args=--new-window' "$BROWSER_LOG"; then
	pass "--browser \"python3 browser.py --new-window\": started with its arguments and the URL"
else
	fail "--browser with a command line"
	sed 's/^/    browser| /' "$BROWSER_LOG" 2>/dev/null | head -n 5
fi

# 14. BROWSER is a ':'-separated list of command lines with %s: the first
#     that cannot start is said, the next one is used.
fresh
BROWSER="no-such-browser-sao --x:$PY $BED_DIR/browser.py %s --from-env" login work
if check_login "a BROWSER list" && grep -qx 'args=--from-env' "$BROWSER_LOG" &&
	said "program 'no-such-browser-sao' not found"; then
	pass "BROWSER list: the missing browser is named, the next command line got the URL in place of %s"
else
	fail "BROWSER list"
	show
fi

# 15. No BROWSER but a display: xdg-open.
fresh
mkdir -p "$BED_DIR/xdg"
ln -sf "$BED_DIR/browser.py" "$BED_DIR/xdg/xdg-open"
DISPLAY=:99 PATH="$BED_DIR/xdg:$PATH" login work
if check_login "xdg-open with a display" && grep -qx 'listener=200' "$BROWSER_LOG"; then
	pass "no BROWSER, DISPLAY set: xdg-open opened the sign-in"
else
	fail "xdg-open with a display"
	show
fi
fresh
WAYLAND_DISPLAY=wayland-9 PATH="$BED_DIR/xdg:$PATH" login work
if [ "$RC" = 0 ] && grep -qx 'listener=200' "$BROWSER_LOG"; then
	pass "no BROWSER, WAYLAND_DISPLAY set: xdg-open opened the sign-in"
else
	fail "xdg-open with WAYLAND_DISPLAY: exit $RC"
	show
fi

# 16. No BROWSER and no display: nothing is started, and the way out is said.
fresh
PATH="$BED_DIR/xdg:$PATH" login work --timeout 2
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && said "No browser was started" && said "--paste" &&
	said "flow = device" && [ ! -e "$BROWSER_LOG" ]; then
	pass "no BROWSER, no display: no browser started; says to use --paste or the device flow"
else
	fail "no BROWSER and no display: exit $RC"
	show
fi
finish
