#!/bin/bash
# SPDX-License-Identifier: MIT
# The token lifecycle through the built sasl-oauth command against the local
# identity provider: refresh with rotation (one request, then none), the
# output formats, refresh and refresh --all; client credentials with a
# secret (file and systemd credential) and with a certificate (RS256, PS256,
# SHA-1 thumbprint, PKCS#12); a revoked refresh token; identity provider
# faults (timeout, 5xx, Retry-After, truncated and oversized answers, no
# listener); cache mode and owner (also in a daemon user's directory) and
# a corrupt cache; and that no secret reaches a command line, a log or a
# message.  Every failing call must leave the cache byte-identical.
. "$(dirname "$0")/lib.sh"
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "cli/sasl-oauth is not built (run make)"
need openssl base64 cmp stat
start_bed

TENANT=contoso.onmicrosoft.com
PUBLIC_ID=00000000-0000-0000-0000-000000000000
STATE="$XDG_STATE_HOME/sasl-oauth"
DAEMON_DIR="$BED_DIR/daemon-state"   # a daemon user's cache directory
SECRETS="$BED_DIR/secrets"   # every secret value seen, one a line
LEAKLOG="$BED_DIR/cli-messages.log"   # all stderr, and stdout but token's
: > "$SECRETS" && chmod 600 "$SECRETS"
: > "$LEAKLOG"

# ---- helpers ---------------------------------------------------------------

# run [SECONDS] ARGS...: runs sasl-oauth with a time limit (default 20 s);
# sets RC, OUT, ERR and MS, and shows the call and its messages.
run() {
	local limit=20 t0
	case $1 in [0-9]*) limit=$1; shift ;; esac
	t0=$(date +%s%N)
	timeout "$limit" "$CLI" "$@" </dev/null >"$BED_DIR/out" 2>"$BED_DIR/err"
	RC=$?
	MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	OUT=$(cat "$BED_DIR/out")
	ERR=$(cat "$BED_DIR/err")
	cat "$BED_DIR/err" >> "$LEAKLOG"
	[ "$1" = token ] || cat "$BED_DIR/out" >> "$LEAKLOG"
	echo "--- sasl-oauth $* -> exit $RC after $MS ms"
	[ "$1" = token ] || [ -z "$OUT" ] || printf '%s\n' "$OUT" | sed 's/^/    out: /'
	[ -z "$ERR" ] || printf '%s\n' "$ERR" | sed 's/^/    /'
	note_caches
}

# note_caches: remembers every token in the cache directories as a secret.
note_caches() {
	"$PY" - "$SECRETS" "$STATE" "$DAEMON_DIR" <<'PY'
import glob, json, os, sys
out = open(sys.argv[1], "a")
for f in [f for d in sys.argv[2:] for f in glob.glob(os.path.join(d, "*.json"))]:
    try:
        d = json.load(open(f))
    except (OSError, ValueError):
        continue
    for k in ("access_token", "refresh_token"):
        if isinstance(d.get(k), str) and d[k]:
            out.write(d[k] + "\n")
PY
}

note_secret() { printf '%s\n' "$1" >> "$SECRETS"; }

# one_line: the failure message is one line starting "sasl-oauth: ".
one_line() { [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && [ "${ERR#sasl-oauth: }" != "$ERR" ]; }

# msg_has PATTERN...: every (grep -E, case-insensitive) pattern is in ERR.
msg_has() {
	local p
	for p in "$@"; do printf '%s\n' "$ERR" | grep -qiE -- "$p" || return 1; done
}

# stat_of EXPR: a Python expression over the IdP's /control/stats as s.
stat_of() {
	bed_stats | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
grants() { stat_of "s['grants'].get('$1', 0)"; }
token_requests() { stat_of "s['endpoints']['token']"; }
verified_assertions() { grep -c 'assertion=verified' "$BED_DIR/idp.log"; }

# introspect TOKEN: "True USER" when the IdP accepts the token (the token
# travels in the environment, never in a command line).
introspect() {
	SAO_T="$1" "$PY" -c '
import json, os, urllib.request
req = urllib.request.Request(os.environ["BED_IDP_URL"] + "/introspect",
                             headers={"Authorization": "Bearer " + os.environ["SAO_T"]})
j = json.load(urllib.request.urlopen(req, timeout=10))
print(j.get("active"), j.get("username"))'
}

# edit ACCOUNT FIELD=EXPR...: lib.sh's cache_edit on the account's cache, in
# place (same inode, owner and mode), unlike lib.sh's cache_set.
edit() { cache_edit "$STATE/$1.json" "${@:2}"; }
stale() { edit "$1" "expires_at=now+60" "rejected_at=0"; }
cache_path() { echo "$STATE/$1.json"; }
mode_of() { stat -c %a "$1"; }
now() { date +%s; }

# Sections of the configuration file.
sec_public() { # NAME USER [EXTRA]
	printf '[account %s]\nusers = %s\nauthority = %s\ntenant = %s\nclient_id = %s\n%s\n\n' \
		"$1" "$2" "$BED_IDP_URL" "$TENANT" "$PUBLIC_ID" "${3:-}"
}
sec_app() { # NAME CLIENT_ID CREDENTIAL-LINES
	printf '[account %s]\nusers = %s@example.com\nauthority = %s\ntenant = %s\nclient_id = %s\nflow = client_credentials\n%s\n\n' \
		"$1" "$1" "$BED_IDP_URL" "$TENANT" "$2" "$3"
}

# ---- 1. refresh with rotation ------------------------------------------------
echo "== 1. refresh with rotation, formats, refresh and refresh --all"
write_config "$(sec_public work alice@example.com)"
seed_cache work alice@example.com 60
# Seeded "long ago", so that a new refresh_obtained_at is visible.
edit work "obtained_at=now-3000" "refresh_obtained_at=now-3000"
note_caches
old_at=$(cache_field work access_token)
old_rt=$(cache_field work refresh_token)
old_robt=$(cache_field work refresh_obtained_at)
g0=$(grants refresh_token)
t_before=$(now)
run token work
new_at=$(cache_field work access_token)
if [ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" != "$old_at" ] && [ "$OUT" = "$new_at" ] && [ -z "$ERR" ]; then
	pass "stale token: 'token work' printed a new access token, the one now cached, and nothing on stderr"
else
	fail "stale token: 'token work' exit $RC, printed the new cached token: $([ "$OUT" = "$new_at" ] && echo yes || echo no), old one: $([ "$OUT" = "$old_at" ] && echo yes || echo no)"
fi
if [ "$(introspect "$OUT")" = "True alice@example.com" ]; then
	pass "the identity provider accepts the new token as alice's"
else
	fail "the identity provider does not accept the printed token ($(introspect "$OUT"))"
fi
new_rt=$(cache_field work refresh_token)
robt=$(cache_field work refresh_obtained_at)
exp=$(cache_field work expires_at)
if [ -n "$new_rt" ] && [ "$new_rt" != "$old_rt" ] && [ "$robt" -ge "$t_before" ] && [ "$robt" -gt "$old_robt" ] &&
	[ "$exp" -ge $((t_before + 3500)) ] && [ "$exp" -le $(($(now) + 3600)) ]; then
	pass "the rotated refresh token is cached, refresh_obtained_at and expires_at are new"
else
	fail "cache after refresh: refresh token rotated: $([ "$new_rt" != "$old_rt" ] && echo yes || echo no), refresh_obtained_at $old_robt -> $robt, expires_at $exp"
fi
g1=$(grants refresh_token)
if [ $((g1 - g0)) = 1 ]; then
	pass "exactly one refresh_token grant was sent"
else
	fail "$((g1 - g0)) refresh_token grants were sent, not 1"
fi
r0=$(token_requests)
run token work
if [ "$RC" = 0 ] && [ "$OUT" = "$new_at" ] && [ "$(token_requests)" = "$r0" ]; then
	pass "a second 'token work' printed the cached token without a request"
else
	fail "second 'token work': exit $RC, same token: $([ "$OUT" = "$new_at" ] && echo yes || echo no), $(($(token_requests) - r0)) requests"
fi

run token --format json work
if [ "$RC" = 0 ] && printf '%s' "$OUT" | "$PY" -c '
import json, sys, time
j = json.load(sys.stdin)
at, exp = sys.argv[1], int(sys.argv[2])
left = exp - time.time()
ok = (j.get("access_token") == at and j.get("expires_at") == exp and isinstance(j.get("expires_in"), int)
      and abs(j["expires_in"] - left) <= 5 and 0 < j["expires_in"] <= 3600)
sys.exit(0 if ok else 1)' "$new_at" "$exp"; then
	pass "--format json: access_token, expires_at and expires_in match the cache"
else
	fail "--format json: exit $RC, output not as expected"
fi

want=$(printf 'user=alice@example.com\001auth=Bearer %s\001\001' "$new_at" | base64 -w0)
run token --format xoauth2 work
if [ "$RC" = 0 ] && [ "$OUT" = "$want" ]; then
	pass "--format xoauth2 is base64 of exactly user=alice@example.com^Aauth=Bearer TOKEN^A^A"
else
	fail "--format xoauth2: exit $RC; decodes to: $(printf '%s' "$OUT" | base64 -d 2>/dev/null | head -c 40 | od -c | head -2 | tr -s ' ')"
fi
want=$(printf 'user=desk@example.com\001auth=Bearer %s\001\001' "$new_at" | base64 -w0)
run token --format xoauth2 --user desk@example.com work
if [ "$RC" = 0 ] && [ "$OUT" = "$want" ]; then
	pass "--format xoauth2 --user names the given user"
else
	fail "--format xoauth2 --user desk@example.com: exit $RC, not the expected string"
fi

run token alice@example.com
rc1=$RC out1=$OUT
run token ALICE@Example.COM
if [ "$rc1" = 0 ] && [ "$out1" = "$new_at" ] && [ "$RC" = 0 ] && [ "$OUT" = "$new_at" ]; then
	pass "'token alice@example.com' (a user name, any case) finds the account"
else
	fail "'token' by user name: exit $rc1/$RC"
fi

# A token a server rejected is refreshed although it has not expired.
edit work "rejected_at=now"
g0=$(grants refresh_token)
run token work
if [ "$RC" = 0 ] && [ "$OUT" != "$new_at" ] && [ "$OUT" = "$(cache_field work access_token)" ] &&
	[ "$(cache_field work rejected_at)" = 0 ] && [ $(($(grants refresh_token) - g0)) = 1 ]; then
	pass "a rejected token is refreshed before it expires (one request, rejected_at cleared)"
else
	fail "rejected token: exit $RC, $(($(grants refresh_token) - g0)) requests, rejected_at $(cache_field work rejected_at)"
fi

cur_at=$(cache_field work access_token)
r0=$(token_requests)
run refresh work
if [ "$RC" = 0 ] && [ "$(token_requests)" = "$r0" ] && printf '%s\n%s\n' "$OUT" "$ERR" | grep -q "still fresh" &&
	[ "$(cache_field work access_token)" = "$cur_at" ]; then
	pass "'refresh work' on a fresh token sends nothing and says it is still fresh"
else
	fail "'refresh work' on a fresh token: exit $RC, $(($(token_requests) - r0)) requests, output: $OUT"
fi
g0=$(grants refresh_token)
run refresh --force work
if [ "$RC" = 0 ] && [ $(($(grants refresh_token) - g0)) = 1 ] && [ "$(cache_field work access_token)" != "$cur_at" ] &&
	printf '%s\n%s\n' "$OUT" "$ERR" | grep -q "refreshed"; then
	pass "'refresh --force work' sends one request and stores the new token"
else
	fail "'refresh --force work': exit $RC, $(($(grants refresh_token) - g0)) requests"
fi

write_config "$(sec_public work alice@example.com)
$(sec_public work2 bob@example.com)
$(sec_public never carol@example.com)"
seed_cache work2 bob@example.com 60
stale work
note_caches
w1=$(cache_field work access_token) w2=$(cache_field work2 access_token)
g0=$(grants refresh_token)
run refresh --all
if [ "$RC" = 0 ] && [ $(($(grants refresh_token) - g0)) = 2 ] &&
	[ "$(cache_field work access_token)" != "$w1" ] && [ "$(cache_field work2 access_token)" != "$w2" ] &&
	printf '%s\n%s\n' "$OUT" "$ERR" | grep -q 'never: skipped' && [ ! -e "$(cache_path never)" ]; then
	pass "'refresh --all' refreshed both stale caches (2 requests) and skipped the account never logged in"
else
	fail "'refresh --all': exit $RC, $(($(grants refresh_token) - g0)) requests, output: $OUT"
fi

# ---- 2. client secret --------------------------------------------------------
echo "== 2. client credentials with a client secret"
APP_ID=11111111-2222-3333-4444-555555555555
# Characters a form must percent-encode: a raw + or & would change it.
APP_SECRET="Q8~s+e&c=r%t.$(openssl rand -hex 12)"
note_secret "$APP_SECRET"
bed_ctl POST /control/users "$(printf '{"client_id": "%s", "client_secret": "%s"}' "$APP_ID" "$APP_SECRET")" >/dev/null ||
	fail "could not register the confidential client"
printf '%s\n' "$APP_SECRET" > "$BED_DIR/app.secret"
chmod 600 "$BED_DIR/app.secret"
APP_CONF="$(sec_public work alice@example.com)
$(sec_app app "$APP_ID" "client_secret_file = $BED_DIR/app.secret")"
write_config "$APP_CONF"
g0=$(grants client_credentials)
run login app
app_at=$(cache_field app access_token 2>/dev/null)
if [ "$RC" = 0 ] && [ $(($(grants client_credentials) - g0)) = 1 ] && [ -n "$app_at" ] &&
	[ "$(mode_of "$(cache_path app)")" = 600 ] && [ -z "$OUT" ]; then
	pass "'login app' got an application token with the secret (one client_credentials grant, cache 0600)"
else
	fail "'login app': exit $RC, $(($(grants client_credentials) - g0)) grants"
fi
if [ "$(stat_of "s['last_token_request'].get('scope')")" = "https://outlook.office365.com/.default" ] &&
	[ "$(stat_of "s['last_token_request'].get('tenant')")" = "$TENANT" ] &&
	[ "$(stat_of "'client_secret' in s['last_token_request']['params']")" = True ]; then
	pass "the request asked for https://outlook.office365.com/.default at the tenant, with client_secret"
else
	fail "last token request: $(stat_of "s['last_token_request']")"
fi
if [ "$(introspect "$app_at")" = "True $APP_ID@example.com" ]; then
	pass "the identity provider accepts the application token"
else
	fail "the application token is not accepted ($(introspect "$app_at"))"
fi
r0=$(token_requests)
run token app
rc1=$RC out1=$OUT n1=$(($(token_requests) - r0))
g0=$(grants client_credentials)
run token --force app
if [ "$rc1" = 0 ] && [ "$out1" = "$app_at" ] && [ "$n1" = 0 ] &&
	[ "$RC" = 0 ] && [ "$OUT" != "$app_at" ] && [ "$OUT" = "$(cache_field app access_token)" ] &&
	[ $(($(grants client_credentials) - g0)) = 1 ]; then
	pass "'token app' prints the cached token without a request; --force gets a new one"
else
	fail "'token app': exit $rc1 ($n1 requests); --force: exit $RC"
fi

cp "$(cache_path app)" "$BED_DIR/app.before"
chmod 644 "$BED_DIR/app.secret"
r0=$(token_requests)
run token --force app
if [ "$RC" = 4 ] && msg_has "chmod 600" && one_line && [ "$(token_requests)" = "$r0" ] &&
	cmp -s "$BED_DIR/app.before" "$(cache_path app)"; then
	pass "a 0644 client secret file is refused with 'chmod 600', exit 4, nothing sent"
else
	fail "0644 client secret file: exit $RC (want 4), $(($(token_requests) - r0)) requests"
fi
chmod 600 "$BED_DIR/app.secret"

printf 'not-the-secret\n' > "$BED_DIR/wrong.secret"
chmod 600 "$BED_DIR/wrong.secret"
write_config "$(sec_app app "$APP_ID" "client_secret_file = $BED_DIR/wrong.secret")"
run token --force app
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && [ "$RC" != 5 ] && msg_has "AADSTS7000215" && one_line &&
	cmp -s "$BED_DIR/app.before" "$(cache_path app)"; then
	pass "a wrong client secret: exit $RC, the message names AADSTS7000215, the cache is unchanged"
else
	fail "wrong client secret: exit $RC"
fi

mkdir -p "$BED_DIR/creds" && chmod 700 "$BED_DIR/creds"
printf '%s\n' "$APP_SECRET" > "$BED_DIR/creds/app-secret"
chmod 600 "$BED_DIR/creds/app-secret"
write_config "$(sec_app app "$APP_ID" "client_secret_credential = app-secret")"
g0=$(grants client_credentials)
CREDENTIALS_DIRECTORY="$BED_DIR/creds" run token --force app
if [ "$RC" = 0 ] && [ "$OUT" = "$(cache_field app access_token)" ] && [ $(($(grants client_credentials) - g0)) = 1 ]; then
	pass "client_secret_credential read from \$CREDENTIALS_DIRECTORY works"
else
	fail "client_secret_credential: exit $RC"
fi
(unset CREDENTIALS_DIRECTORY; run token --force app
if [ "$RC" = 4 ] && msg_has "CREDENTIALS_DIRECTORY" && one_line; then
	pass "client_secret_credential without \$CREDENTIALS_DIRECTORY: exit 4, says so"
else
	fail "client_secret_credential without CREDENTIALS_DIRECTORY: exit $RC"
fi
exit "$FAILED") || FAILED=1

# ---- 3. client certificate -----------------------------------------------------
echo "== 3. client credentials with a certificate"
PKI="$BED_DIR/pki"
mkdir -p "$PKI" && chmod 700 "$PKI"
for n in app other; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/$n.key" -out "$PKI/$n.crt" -days 1 \
		-subj "/CN=sasl-oauth test $n" >/dev/null 2>&1 || fail "openssl could not make the $n certificate"
	chmod 600 "$PKI/$n.key"
	note_secret "$(sed -n 2p "$PKI/$n.key")"
done
CERT_ID=22222222-3333-4444-5555-666666666666
bed_ctl POST /control/users "client_id=$CERT_ID" "certificate_pem_path=$PKI/app.crt" >/dev/null ||
	fail "could not register the certificate client"
for combo in "RS256 sha256" "PS256 sha256" "RS256 sha1" "PS256 sha1"; do
	set -- $combo
	write_config "$(sec_app cert "$CERT_ID" "certificate = $PKI/app.crt
private_key = $PKI/app.key
assertion_alg = $1
thumbprint = $2")"
	g0=$(grants client_credentials) v0=$(verified_assertions)
	run token --force cert
	if [ "$RC" = 0 ] && [ "$OUT" = "$(cache_field cert access_token)" ] &&
		[ $(($(grants client_credentials) - g0)) = 1 ] && [ $(($(verified_assertions) - v0)) = 1 ] &&
		[ "$(stat_of "s['last_token_request'].get('client_assertion_type')")" = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ] &&
		[ "$(stat_of "'client_secret' in s['last_token_request']['params']")" = False ]; then
		pass "certificate, $1, $2 thumbprint: token issued, the IdP verified the signature"
	else
		fail "certificate, $1, $2 thumbprint: exit $RC"
	fi
done

P12_PW="p12-$(openssl rand -hex 8)"
note_secret "$P12_PW"
printf '%s\n' "$P12_PW" > "$PKI/p12.pw"
chmod 600 "$PKI/p12.pw"
if openssl pkcs12 -export -inkey "$PKI/app.key" -in "$PKI/app.crt" -out "$PKI/app.p12" \
	-passout "file:$PKI/p12.pw" >/dev/null 2>&1; then
	chmod 600 "$PKI/app.p12"
	write_config "$(sec_app cert "$CERT_ID" "pkcs12 = $PKI/app.p12
pkcs12_password_file = $PKI/p12.pw")"
	g0=$(grants client_credentials) v0=$(verified_assertions)
	run token --force cert
	if [ "$RC" = 0 ] && [ "$OUT" = "$(cache_field cert access_token)" ] &&
		[ $(($(grants client_credentials) - g0)) = 1 ] && [ $(($(verified_assertions) - v0)) = 1 ]; then
		pass "PKCS#12 with pkcs12_password_file: token issued, signature verified"
	else
		fail "PKCS#12: exit $RC"
	fi
else
	fail "openssl pkcs12 -export failed"
fi

cp "$(cache_path cert)" "$BED_DIR/cert.before"
write_config "$(sec_app cert "$CERT_ID" "certificate = $PKI/other.crt
private_key = $PKI/other.key")"
run token --force cert
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && [ "$RC" != 5 ] && msg_has "AADSTS700027" && one_line &&
	cmp -s "$BED_DIR/cert.before" "$(cache_path cert)"; then
	pass "an unregistered certificate: exit $RC, the message names AADSTS700027, the cache is unchanged"
else
	fail "unregistered certificate: exit $RC"
fi

# ---- 4. revoked refresh token ----------------------------------------------------
echo "== 4. a revoked refresh token"
write_config "$(sec_public work alice@example.com)"
seed_cache work alice@example.com 60
note_caches
bed_revoke "$(cache_field work refresh_token)"
cp "$(cache_path work)" "$BED_DIR/work.before"
run token work
if [ "$RC" = 3 ] && msg_has "AADSTS50173" "sasl-oauth login work" && one_line && [ -z "$OUT" ]; then
	pass "revoked refresh token: exit 3, names AADSTS50173 and 'sasl-oauth login work', prints no token"
else
	fail "revoked refresh token: exit $RC (want 3)"
fi
if cmp -s "$BED_DIR/work.before" "$(cache_path work)" && [ "$(mode_of "$(cache_path work)")" = 600 ]; then
	pass "the cache is byte-identical afterwards and still 0600"
else
	fail "the cache changed after a refused refresh (mode $(mode_of "$(cache_path work)"))"
fi

# A refresh that succeeds but cannot be cached still hands out the new
# access token (issue 13: a new token is never thrown away; the mail program
# can log in) and says on stderr what happened and what a strictly rotating
# provider will need; the cache stays as it was. Files may
# not grow (root ignores modes, not RLIMIT_FSIZE; SIGXFSZ is ignored, so the
# write fails with EFBIG); the output goes through pipes, which the limit
# does not cover.
echo "== 4b. a refreshed token that cannot be cached"
seed_cache work alice@example.com 60
note_caches
cp "$(cache_path work)" "$BED_DIR/work.before"
g0=$(grants refresh_token)
"$PY" - "$CLI" "$BED_DIR" <<'PY'
import resource, signal, subprocess, sys
def no_growing():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
p = subprocess.run([sys.argv[1], "token", "work"], stdin=subprocess.DEVNULL, capture_output=True,
                   preexec_fn=no_growing, restore_signals=False, timeout=20)
open(sys.argv[2] + "/out", "wb").write(p.stdout)
open(sys.argv[2] + "/err", "wb").write(p.stderr)
sys.exit(p.returncode)
PY
RC=$?
OUT=$(cat "$BED_DIR/out")
ERR=$(cat "$BED_DIR/err")
cat "$BED_DIR/err" >> "$LEAKLOG"
echo "--- sasl-oauth token work (files may not grow) -> exit $RC"
printf '%s\n' "$ERR" | sed 's/^/    /'
if [ "$RC" = 0 ] && [ -n "$OUT" ] && msg_has "could not write cache file" "handed out anyway" && one_line &&
	[ $(($(grants refresh_token) - g0)) = 1 ]; then
	pass "refreshed but not cacheable: exit 0, prints the new token, says the cache could not be written"
else
	fail "refreshed but not cacheable: exit $RC, $(printf '%s' "$OUT" | wc -c) bytes on stdout, $(($(grants refresh_token) - g0)) grants"
fi
if cmp -s "$BED_DIR/work.before" "$(cache_path work)"; then
	pass "the cache is byte-identical after the failed write"
else
	fail "the cache changed although it could not be written"
fi

# ---- 5. identity provider faults ---------------------------------------------------
echo "== 5. identity provider faults"
seed_cache work alice@example.com 60
note_caches
cp "$(cache_path work)" "$BED_DIR/work.before"
unchanged() { cmp -s "$BED_DIR/work.before" "$(cache_path work)"; }

write_config "$(sec_public work alice@example.com "http_timeout = 2")"
bed_config '{"delay_ms": 30000}'
run 25 token work
bed_config '{"delay_ms": 0}'
if [ "$RC" = 5 ] && msg_has "timed out" && one_line && [ "$MS" -lt 15000 ] && unchanged; then
	pass "an answer slower than http_timeout = 2: exit 5 after $MS ms, says timed out, cache unchanged"
else
	fail "slow identity provider: exit $RC after $MS ms (want 5, < 15 s)"
fi

write_config "$(sec_public work alice@example.com)"
bed_config '{"fail_status": 500, "fault_count": 0, "retry_after": null}'
r0=$(token_requests)
run token work
bed_config '{"fail_status": 0}'
if [ "$RC" = 5 ] && msg_has "HTTP 500" "try again later" && one_line && unchanged &&
	[ $(($(token_requests) - r0)) = 1 ]; then
	pass "HTTP 500 without Retry-After: exit 5, one request, names HTTP 500 and says try again later"
else
	fail "HTTP 500: exit $RC, $(($(token_requests) - r0)) requests"
fi

bed_config '{"fail_status": 503, "retry_after": 1, "fault_count": 1}'
r0=$(token_requests) g0=$(grants refresh_token)
run token work
if [ "$RC" = 0 ] && [ "$OUT" = "$(cache_field work access_token)" ] && [ $(($(token_requests) - r0)) = 2 ] &&
	[ $(($(grants refresh_token) - g0)) = 1 ] && [ "$MS" -ge 900 ]; then
	pass "503 with Retry-After: 1 once: retried after $MS ms and succeeded (2 requests)"
else
	fail "503 + Retry-After 1: exit $RC, $(($(token_requests) - r0)) requests after $MS ms"
fi
bed_config '{"fail_status": 0, "retry_after": null, "fault_count": 0}'

stale work
cp "$(cache_path work)" "$BED_DIR/work.before"
write_config "$(sec_public work alice@example.com "http_timeout = 3")"
bed_config '{"fail_status": 503, "retry_after": 100, "fault_count": 0}'
r0=$(token_requests)
run token work
bed_config '{"fail_status": 0, "retry_after": null}'
if [ "$RC" = 5 ] && [ "$MS" -lt 10000 ] && msg_has "503" "try again later" && one_line && unchanged &&
	[ $(($(token_requests) - r0)) = 1 ]; then
	pass "503 with Retry-After: 100 beyond http_timeout = 3: no waiting, exit 5 after $MS ms"
else
	fail "503 + Retry-After 100: exit $RC after $MS ms, $(($(token_requests) - r0)) requests"
fi

write_config "$(sec_public work alice@example.com)"
bed_config '{"truncate": true, "fault_count": 1}'
run token work
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && msg_has "not a complete JSON object" && one_line && unchanged; then
	pass "a truncated answer: exit $RC, says not a complete JSON object, cache unchanged"
else
	fail "truncated answer: exit $RC"
fi
bed_config '{"truncate": false, "fault_count": 0}'

bed_config '{"oversize": true, "fault_count": 1}'
run token work
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && msg_has "larger than|too large|cap" && one_line && unchanged; then
	pass "a 4 MiB answer: exit $RC, refused as too large, cache unchanged"
else
	fail "oversized answer: exit $RC"
fi
bed_config '{"oversize": false, "fault_count": 0}'

write_config "[account work]
users = alice@example.com
authority = http://127.0.0.1:9
tenant = $TENANT
client_id = $PUBLIC_ID
http_timeout = 5"
run token work
if [ "$RC" = 5 ] && [ "$MS" -lt 10000 ] && msg_has "127\.0\.0\.1" && one_line && unchanged; then
	pass "no identity provider listening: exit 5 after $MS ms, names the host, cache unchanged"
else
	fail "unreachable identity provider: exit $RC after $MS ms"
fi

# ---- 6. cache mode, owner, corruption ------------------------------------------------
echo "== 6. cache mode and owner across refreshes; a corrupt cache"
write_config "$(sec_public work alice@example.com)"
chmod 600 "$(cache_path work)"
ino0=$(stat -c %i "$(cache_path work)")
owner0=$(stat -c %u:%g "$(cache_path work)")
# A permissive umask must not leak into the new file.
(umask 000; run refresh --force work; exit "$RC")
rc=$?
note_caches
f=$(cache_path work)
if [ "$rc" = 0 ] && [ "$(stat -c %i "$f")" != "$ino0" ] && [ "$(mode_of "$f")" = 600 ] &&
	[ "$(stat -c %u:%g "$f")" = "$owner0" ] && [ "$(mode_of "$STATE")" = 700 ]; then
	pass "a refresh under umask 000 replaced the cache with mode 0600, owner $owner0; directory still 0700"
else
	fail "cache after refresh: exit $rc, mode $(mode_of "$f"), owner $(stat -c %u:%g "$f"), dir $(mode_of "$STATE")"
fi

# Root writing a new cache into a daemon user's directory gives the file
# (and its lock) to that user; root then reads it on the user's behalf and
# leaves it to them (docs/decisions.md, "Root and other users' caches":
# root's refresh --all keeps postfix's caches).
mkdir -m 700 "$DAEMON_DIR" && chown "$BED_MAIL_USER:" "$DAEMON_DIR"
write_config "$(sec_app app "$APP_ID" "client_secret_file = $BED_DIR/app.secret
cache = $DAEMON_DIR/app.json")"
run login app
if [ "$RC" = 0 ] && [ "$(stat -c %U:%a "$DAEMON_DIR/app.json")" = "$BED_MAIL_USER:600" ] &&
	[ "$(stat -c %U:%a "$DAEMON_DIR/app.json.lock")" = "$BED_MAIL_USER:600" ]; then
	pass "root's login into $BED_MAIL_USER's cache directory left cache and lock to $BED_MAIL_USER, 0600"
else
	fail "root writing a daemon user's cache: exit $RC; $(stat -c '%n %U %a' "$DAEMON_DIR"/* 2>&1 | tr '\n' ' ')"
fi
r0=$(token_requests)
run token app
if [ "$RC" = 0 ] && [ "$OUT" = "$(cache_field_at "$DAEMON_DIR/app.json" access_token)" ] &&
	[ "$(token_requests)" = "$r0" ] && [ "$(stat -c %U:%a "$DAEMON_DIR/app.json")" = "$BED_MAIL_USER:600" ]; then
	pass "root reads $BED_MAIL_USER's cache: the cached token, nothing sent, the file still $BED_MAIL_USER's"
else
	fail "root reading a daemon user's cache: exit $RC (want 0)"
fi
write_config "$(sec_public work alice@example.com)"

printf '{garbage' > "$f"
chmod 600 "$f"
run token work
kept=$(ls "$STATE"/work.json.corrupt.* 2>/dev/null | head -1)
if [ "$RC" != 0 ] && [ "$RC" != 124 ] && msg_has "corrupt" "work\.json\.corrupt\." && one_line &&
	[ -n "$kept" ] && [ "$(cat "$kept")" = "{garbage" ] && [ "$(mode_of "$kept")" = 600 ]; then
	pass "a corrupt cache: exit $RC, kept aside as $(basename "$kept") (0600), and the message says so"
else
	fail "corrupt cache: exit $RC, kept copy: ${kept:-none}"
fi
run token work
if [ "$RC" = 3 ] && msg_has "sasl-oauth login work"; then
	pass "after the corrupt file was kept aside, 'token work' asks for a login (exit 3)"
else
	fail "after a corrupt cache: exit $RC (want 3)"
fi

# ---- 7. no secret leaks ----------------------------------------------------------------
echo "== 7. secrets in command lines, logs and messages"
seed_cache work alice@example.com 60
note_caches
write_config "$(sec_public work alice@example.com)
$(sec_app app "$APP_ID" "client_secret_file = $BED_DIR/app.secret")"
{ cache_field work refresh_token; cache_field work access_token; printf '%s\n' "$APP_SECRET"; } > "$BED_DIR/scan"
bed_config '{"delay_ms": 1500}'
timeout 20 "$CLI" token work </dev/null >"$BED_DIR/scan.out1" 2>>"$LEAKLOG" &
p1=$!
timeout 20 "$CLI" token --force app </dev/null >"$BED_DIR/scan.out2" 2>>"$LEAKLOG" &
p2=$!
scan=$("$PY" - "$BED_DIR/scan" "$p1" "$p2" <<'PY'
import os, sys, time
secrets = [l.rstrip("\n").encode() for l in open(sys.argv[1]) if l.strip()]
watch = sys.argv[2:]
seen, leaks, deadline = 0, set(), time.time() + 10
while time.time() < deadline and any(os.path.exists("/proc/%s" % p) for p in watch):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read()
        except OSError:
            continue
        argv = cmd.split(b"\0")
        if argv[0].endswith(b"/sasl-oauth") and argv[1:2] == [b"token"]:
            seen += 1
        if any(s in cmd for s in secrets):
            leaks.add(pid + ":" + cmd.split(b"\0")[0].decode(errors="replace"))
    time.sleep(0.02)
print(seen, len(secrets), " ".join(sorted(leaks)) or "-")
PY
)
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
bed_config '{"delay_ms": 0}'
note_caches
read -r seen nsec leaks <<< "$scan"
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$seen" -gt 10 ] && [ "$nsec" = 3 ] && [ "$leaks" = - ]; then
	pass "during two slow requests ($seen samples) no command line held the refresh token, access token or client secret"
else
	fail "command line scan: exits $rc1/$rc2, $seen samples, $nsec secrets, leaks: $leaks"
fi

bad=$(find "$STATE" -type f ! -perm 600 -printf '%f %m\n')
n=$(find "$STATE" -type f \( -name '*.json' -o -name '*.lock' \) | wc -l)
if [ -z "$bad" ] && [ "$(find "$STATE" -type f -name '*.lock' | wc -l)" -ge 1 ] && [ "$n" -ge 3 ]; then
	pass "all $n cache and lock files are 0600"
else
	fail "files not 0600: $bad"
fi

res=$("$PY" - "$SECRETS" "$BED_DIR/idp.log" "$LEAKLOG" <<'PY'
import sys
vals = {l.rstrip("\n") for l in open(sys.argv[1]) if len(l.strip()) >= 16}
hits = []
for path in sys.argv[2:]:
    text = open(path, errors="replace").read()
    for v in vals:
        if v in text or v[-24:] in text:
            hits.append("%s has a secret ending ...%s" % (path.rsplit("/", 1)[-1], v[-6:]))
print(len(vals), "; ".join(hits) or "-")
PY
)
nvals=${res%% *} hits=${res#* }
if [ "$nvals" -ge 20 ] && [ "$hits" = - ] && [ -s "$LEAKLOG" ]; then
	pass "none of the $nvals secret values is in the IdP log or in any sasl-oauth message"
else
	fail "secrets leaked ($nvals values checked): $hits"
fi

[ "$FAILED" = 0 ] || bed_logs
finish
