#!/bin/bash
# SPDX-License-Identifier: MIT
# The plugin's slow path (DESIGN.md §2): a cached token that is expired,
# rejected by the server or inside refresh_margin makes the plugin run
# "sasl-oauth token ACCOUNT", which refreshes once under the cache lock.
# Checked through real programs against the bed: mbsync (prompts) and the
# Postfix-like callback client; 50 logins at once cause one refresh; a
# revoked refresh token reaches the application as the CLI's cause and fix
# and leaves the cache untouched; without the CLI (a chroot) an expired
# token names the fix and a merely stale one is still sent; no token ever
# appears in a command line while the refresh runs; a failing provider
# (503) leaves a stale token usable and an expired one explained; hosts
# that reap children themselves get the refresh's real result.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mbsync.sh"
need mbsync
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || { echo "FAIL: $CLI was not built"; exit 1; }
[ -x "$SASL_CLIENT" ] || skip "sasl-client was not built"
start_bed
export SASL_OAUTH_CLI="$CLI"

bed_add_user alice@example.com
for i in 1 2; do
	printf 'From: bob@example.com\r\nTo: alice@example.com\r\nSubject: refresh %s\r\n\r\nbody %s\r\n' "$i" "$i" > "$BED_DIR/m$i.eml"
	bed_deliver alice@example.com "$BED_DIR/m$i.eml"
done
# work_config [LINE]: the account, pointed at the local identity provider,
# with LINE added.
work_config() {
	write_config "[account work]
users = alice@example.com
authority = $BED_IDP_URL
tenant = contoso.onmicrosoft.com
client_id = 00000000-0000-0000-0000-000000000000${1:+
$1}"
}
work_config
CACHE="$XDG_STATE_HOME/sasl-oauth/work.json"

# seed_expired: a cache whose access token expired two minutes ago; the
# identity provider refuses it too (revoked), so only a refreshed token
# can log in.
seed_expired() {
	seed_cache work alice@example.com 3600
	set_expires work -120
	bed_revoke "$(access_token work)"
}

# client NAME PROTO PORT TLS [ARGS...]: one XOAUTH2 login with sasl-client.
client() {
	local name=$1 proto=$2 port=$3 tls=$4
	shift 4
	TRACE="$BED_DIR/trace.$name"
	OUT=$(timeout 60 "$SASL_CLIENT" --proto "$proto" --port "$port" --tls "$tls" --ca "$BED_CA" \
		--mech XOAUTH2 --user alice@example.com --trace "$TRACE" "$@" 2>&1)
	RC=$?
}

# sent_token TRACE: the bearer token of the first XOAUTH2 message in TRACE.
sent_token() { sed -n '1s/^C: user=[^\\]*\\x01auth=Bearer \(.*\)\\x01\\x01$/\1/p' "$1"; }

mode_of() { stat -c %a "$1"; }

# fresh_maildir: an empty local side, so that a sync fetches everything.
fresh_maildir() { rm -rf "$MAILDIR" && mkdir -p "$MAILDIR"; }

# ---------------------------------------------------------------------------
# 1. mbsync with an expired cached token: one refresh, then the sync.
seed_expired
old_at=$(access_token work) old_rt=$(cache_field work refresh_token)
g0=$(refresh_grants)
write_mbsyncrc alice@example.com XOAUTH2
fresh_maildir
run_mbsync
g1=$(refresh_grants)
new_at=$(access_token work) new_rt=$(cache_field work refresh_token)
if [ "$MBSYNC_RC" = 0 ] && echo "$MBSYNC_OUT" | grep -q "Authenticating with SASL mechanism XOAUTH2" &&
	[ "$(local_count)" = 2 ]; then
	pass "mbsync with an expired cached token synced 2 messages"
else
	fail "mbsync with an expired cached token (exit $MBSYNC_RC, $(local_count) messages)"; bed_logs | tail -20
fi
if [ $((g1 - g0)) = 1 ]; then
	pass "exactly 1 refresh_token grant at the identity provider"
else
	fail "refresh_token grants: $((g1 - g0)), want 1"
fi
if [ -n "$new_at" ] && [ "$new_at" != "$old_at" ] && [ -n "$new_rt" ] && [ "$new_rt" != "$old_rt" ] &&
	[ "$(cache_field work expires_at)" -gt $(( $(date +%s) + 600 )) ] &&
	[ "$(cache_field work rejected_at)" = 0 ] && [ "$(mode_of "$CACHE")" = 600 ]; then
	pass "the cache holds a new access token and the rotated refresh token, mode 0600"
else
	fail "cache after refresh: new access token $([ "$new_at" != "$old_at" ] && echo yes || echo no)," \
		"rotated refresh token $([ "$new_rt" != "$old_rt" ] && echo yes || echo no)," \
		"expires_at $(cache_field work expires_at), rejected_at $(cache_field work rejected_at), mode $(mode_of "$CACHE")"
fi

# The same through OAUTHBEARER.
seed_expired
old_at=$(access_token work)
g0=$(refresh_grants)
write_mbsyncrc alice@example.com OAUTHBEARER
fresh_maildir
run_mbsync
g1=$(refresh_grants)
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ $((g1 - g0)) = 1 ] && [ "$(access_token work)" != "$old_at" ]; then
	pass "mbsync OAUTHBEARER with an expired cached token: 1 refresh, synced"
else
	fail "mbsync OAUTHBEARER with an expired cached token (exit $MBSYNC_RC, $((g1 - g0)) refreshes)"
fi
write_mbsyncrc alice@example.com XOAUTH2

# ---------------------------------------------------------------------------
# 2. The callback client (Postfix-like) with an expired cached token, over
#    IMAPS and submission: one refresh each, and the refreshed token is the
#    one on the wire.
for spec in "imaps imap $BED_IMAPS_PORT implicit" "submission smtp $BED_SUBMISSION_PORT starttls"; do
	set -- $spec
	seed_expired
	old_at=$(access_token work)
	g0=$(refresh_grants)
	client "expired-$1" "$2" "$3" "$4"
	g1=$(refresh_grants)
	new_at=$(access_token work)
	if [ "$RC" = 0 ] && [ $((g1 - g0)) = 1 ] && [ "$new_at" != "$old_at" ] &&
		[ "$(sent_token "$TRACE")" = "$new_at" ]; then
		pass "callback client over $1 with an expired token: 1 refresh, the new token sent"
	else
		fail "callback client over $1 with an expired token (exit $RC, $((g1 - g0)) refreshes," \
			"sent the new token: $([ "$(sent_token "$TRACE")" = "$new_at" ] && echo yes || echo no))"
		echo "$OUT" | tail -6
	fi
done

# 2b. Hosts that reap children themselves (issue 13): SIGCHLD ignored, or a
#     sendmail-style handler reaping with waitpid(-1). The refresh's real
#     result still reaches the plugin: the expired token is refreshed, and a
#     failing refresh is reported with the CLI's own words.
for host in ignore reap; do
	seed_expired
	old_at=$(access_token work)
	g0=$(refresh_grants)
	client "reaping-$host" smtp "$BED_SUBMISSION_PORT" starttls --sigchld "$host"
	g1=$(refresh_grants)
	new_at=$(access_token work)
	if [ "$RC" = 0 ] && [ $((g1 - g0)) = 1 ] && [ "$new_at" != "$old_at" ] &&
		[ "$(sent_token "$TRACE")" = "$new_at" ] && ! echo "$OUT" | grep -q SIGCHLD; then
		pass "host with SIGCHLD $host: 1 refresh through sasl-oauth, the new token sent"
	else
		fail "host with SIGCHLD $host: exit $RC, $((g1 - g0)) refreshes"
		echo "$OUT" | tail -6
	fi
done
work_config "token_command = sh -c 'exit 3'"
client "reaping-command" smtp "$BED_SUBMISSION_PORT" starttls --sigchld reap
if [ "$RC" != 0 ] && echo "$OUT" | grep -q "exited with status 3" && ! echo "$OUT" | grep -q SIGCHLD; then
	pass "host reaping with waitpid(-1): a token command's exit status 3 is reported as such"
else
	fail "host reaping with waitpid(-1), failing token command: exit $RC"
	echo "$OUT" | tail -6
fi
work_config

# ---------------------------------------------------------------------------
# 3. A token the server refused: the failed run marks it rejected, the next
#    run refreshes (once) and syncs.
seed_cache work alice@example.com 3600
old_at=$(access_token work)
bed_revoke "$old_at"
fresh_maildir
g0=$(refresh_grants)
run_mbsync
g1=$(refresh_grants)
if [ "$MBSYNC_RC" != 0 ] && [ "$MBSYNC_RC" != 124 ] && [ "$(cache_field work rejected_at)" -gt 0 ] &&
	[ $((g1 - g0)) = 0 ]; then
	pass "a fresh token the server refuses: mbsync fails, the cache is marked rejected, nothing refreshed yet"
else
	fail "refused token: mbsync exit $MBSYNC_RC, rejected_at $(cache_field work rejected_at), $((g1 - g0)) refreshes"
fi
run_mbsync
g2=$(refresh_grants)
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ $((g2 - g1)) = 1 ] &&
	[ "$(access_token work)" != "$old_at" ] && [ "$(cache_field work rejected_at)" = 0 ]; then
	pass "the next mbsync run refreshes the rejected token (1 refresh) and syncs"
else
	fail "after a rejection: mbsync exit $MBSYNC_RC, $((g2 - g1)) refreshes, rejected_at $(cache_field work rejected_at)"
fi

# ---------------------------------------------------------------------------
# 4. 50 processes at once with a stale token (inside refresh_margin, still
#    valid): every login succeeds, the identity provider sees one refresh,
#    and every process sends the refreshed token (each CLI re-read the cache
#    after the lock).

N=50
seed_cache work alice@example.com 60
old_at=$(access_token work)
g0=$(refresh_grants)
storm "$N" "$BED_DIR/storm" timeout 120 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit \
	--ca "$BED_CA" --mech XOAUTH2 --user alice@example.com --trace "$BED_DIR/storm/trace.@I@"
g1=$(refresh_grants)
new_at=$(access_token work)
sent_new=0
for ((i = 1; i <= N; i++)); do
	[ "$(sent_token "$BED_DIR/storm/trace.$i")" = "$new_at" ] && sent_new=$((sent_new + 1))
done
echo "concurrency: $N processes, $((g1 - g0)) refresh requests, $STORM_FAIL failures, $STORM_MS ms"
if [ "$STORM_OK" = "$N" ]; then
	pass "$N concurrent logins with a stale token all succeeded"
else
	fail "$STORM_FAIL of $N concurrent logins failed"
	for f in "$BED_DIR"/storm/rc.*; do
		[ "$(cat "$f")" = 0 ] && continue
		echo "    ${f##*/}: exit $(cat "$f")"; cat "$BED_DIR/storm/out.${f##*.}" "$BED_DIR/storm/err.${f##*.}" | tail -3 | sed 's/^/      /'
		break
	done
fi
if [ $((g1 - g0)) = 1 ]; then
	pass "$N concurrent logins caused exactly 1 refresh request"
else
	fail "$N concurrent logins caused $((g1 - g0)) refresh requests, want 1"
fi
if [ "$new_at" != "$old_at" ] && [ "$sent_new" = "$N" ]; then
	pass "all $N logins sent the refreshed token"
else
	fail "$sent_new of $N logins sent the refreshed token"
fi

# ---------------------------------------------------------------------------
# 5. A revoked refresh token: the CLI's cause and fix (AADSTS50173, run
#    sasl-oauth login) reach mbsync's and the callback client's own error
#    output; the cache is not touched.
seed_expired
bed_revoke "$(cache_field work refresh_token)"
cp -p "$CACHE" "$BED_DIR/cache.before"
g0=$(refresh_grants)
fresh_maildir
run_mbsync
g1=$(refresh_grants)
if [ "$MBSYNC_RC" != 0 ] && [ "$MBSYNC_RC" != 124 ] && echo "$MBSYNC_OUT" | grep -q "AADSTS50173" &&
	echo "$MBSYNC_OUT" | grep -q "sasl-oauth login work"; then
	pass "revoked refresh token: mbsync prints AADSTS50173 and 'sasl-oauth login work'"
else
	fail "revoked refresh token: mbsync exit $MBSYNC_RC does not name AADSTS50173 and the fix"
fi
if echo "$MBSYNC_OUT" | grep 'SASL(' | grep -qv 'AADSTS50173'; then
	fail "mbsync printed a SASL error without the cause: $(echo "$MBSYNC_OUT" | grep 'SASL(' | head -1)"
else
	pass "no bare SASL error code in mbsync's output"
fi
client revoked-rt imap "$BED_IMAPS_PORT" implicit
g2=$(refresh_grants)
if [ "$RC" != 0 ] && echo "$OUT" | grep -q "AADSTS50173" && echo "$OUT" | grep -q "sasl-oauth login work"; then
	pass "revoked refresh token: the callback client's sasl_errdetail names AADSTS50173 and the fix"
else
	fail "revoked refresh token: callback client (exit $RC)"; echo "$OUT" | tail -4
fi
if [ $((g1 - g0)) = 1 ] && [ $((g2 - g1)) = 1 ]; then
	pass "one refresh attempt per login, no retries of invalid_grant"
else
	fail "refresh attempts per login: mbsync $((g1 - g0)), callback client $((g2 - g1)); want 1 each"
fi
if cmp -s "$BED_DIR/cache.before" "$CACHE"; then
	pass "the cache file is byte-identical after the failed refreshes"
else
	fail "the cache file changed after a failed refresh"
fi
if printf '%s\n%s\n' "$MBSYNC_OUT" "$OUT" | grep -qF -e "$(access_token work)" -e "$(cache_field work refresh_token)"; then
	fail "a token appears in the applications' output"
fi

# ---------------------------------------------------------------------------
# 6. No CLI (a chroot): an expired token names the fix (refresh --all from
#    outside); a token inside the margin but valid is still sent.
export SASL_OAUTH_CLI=/nonexistent/sasl-oauth
seed_expired
g0=$(refresh_grants)
run_mbsync
g1=$(refresh_grants)
if [ "$MBSYNC_RC" != 0 ] && [ "$MBSYNC_RC" != 124 ] && echo "$MBSYNC_OUT" | grep -q "expired" &&
	echo "$MBSYNC_OUT" | grep -qF "sasl-oauth refresh --all" && [ $((g1 - g0)) = 0 ]; then
	pass "no CLI, expired token: mbsync says it expired and that 'sasl-oauth refresh --all' must keep it fresh"
else
	fail "no CLI, expired token: mbsync exit $MBSYNC_RC, $((g1 - g0)) refreshes"
fi
seed_cache work alice@example.com 60
stale_at=$(access_token work)
fresh_maildir
run_mbsync
g2=$(refresh_grants)
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ $((g2 - g1)) = 0 ] && [ "$(access_token work)" = "$stale_at" ]; then
	pass "no CLI, token inside the margin: mbsync logs in with the cached token"
else
	fail "no CLI, token inside the margin: mbsync exit $MBSYNC_RC, $((g2 - g1)) refreshes"
fi
export SASL_OAUTH_CLI="$CLI"

# ---------------------------------------------------------------------------
# 7. Secrets stay out of argv: while a slow refresh (1.5 s at the token
#    endpoint) runs inside mbsync's plugin, every process's command line and
#    environment is sampled; none holds the old or the new tokens. Nothing
#    in this section passes a token on a command line itself.
seed_expired
old_at=$(access_token work) old_rt=$(cache_field work refresh_token)
bed_config '{"delay_ms": 1500}'
rm -f "$BED_DIR/scan.stop"
"$PY" - "$BED_DIR/scan.json" "$BED_DIR/scan.stop" <<'PY' &
import json, os, sys, time
out, stop = sys.argv[1], sys.argv[2]
me = str(os.getpid())
seen = set()
deadline = time.time() + 60
while time.time() < deadline:
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        for what in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (pid, what), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if data:
                seen.add((what, data.replace(b"\0", b" ").decode("utf-8", "replace")))
    if os.path.exists(stop):
        break
    time.sleep(0.02)
with open(out, "w") as f:
    json.dump(sorted(seen), f)
PY
scan_pid=$!
sleep 0.3
g0=$(refresh_grants)
run_mbsync
g1=$(refresh_grants)
: > "$BED_DIR/scan.stop"
wait "$scan_pid"
bed_config '{"delay_ms": 0}'
new_at=$(access_token work) new_rt=$(cache_field work refresh_token)
# Tokens travel to the checker on stdin (printf is a builtin: no argv).
scan=$(printf '%s\n' "$old_at" "$old_rt" "$new_at" "$new_rt" | "$PY" -c '
import json, sys
tokens = [t for t in sys.stdin.read().split("\n") if t]
seen = json.load(open(sys.argv[1]))
cli = sum(1 for what, s in seen if what == "cmdline" and "sasl-oauth token work" in s)
leaks = sum(1 for what, s in seen for t in tokens if t in s)
print(len(seen), cli, leaks)
' "$BED_DIR/scan.json")
read -r scanned cli_seen leaks <<< "$scan"
if [ "$MBSYNC_RC" = 0 ] && [ $((g1 - g0)) = 1 ] && [ "$MBSYNC_MS" -ge 1500 ]; then
	pass "slow refresh inside mbsync (${MBSYNC_MS} ms) succeeded"
else
	fail "slow refresh: mbsync exit $MBSYNC_RC after ${MBSYNC_MS} ms, $((g1 - g0)) refreshes"
fi
if [ "${cli_seen:-0}" -ge 1 ] && [ "${leaks:-1}" = 0 ]; then
	pass "no token in any of $scanned command lines and environments sampled (the refresh child was among them)"
elif [ "${cli_seen:-0}" = 0 ]; then
	fail "the sampler never saw 'sasl-oauth token work' running; the argv check proves nothing"
else
	fail "a token appeared $leaks times in command lines or environments while the plugin refreshed"
fi
# ---------------------------------------------------------------------------
# 8. The identity provider fails (503): a stale but valid token is still
#    sent; an expired one fails with the provider's answer and "try again
#    later". One request each, the cache untouched. (Faults are answered
#    before a grant is counted: count requests to the token endpoint.)
token_requests() {
	bed_stats | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["endpoints"]["token"])'
}
bed_config '{"fail_status": 503}'
seed_cache work alice@example.com 60
cp -p "$CACHE" "$BED_DIR/cache.before"
t0=$(token_requests)
fresh_maildir
run_mbsync
t1=$(token_requests)
if [ "$MBSYNC_RC" = 0 ] && [ "$(local_count)" = 2 ] && [ $((t1 - t0)) = 1 ] && cmp -s "$BED_DIR/cache.before" "$CACHE"; then
	pass "provider failing, token inside the margin: 1 refresh attempt, the cached token logs in, cache unchanged"
else
	fail "provider failing, token inside the margin: mbsync exit $MBSYNC_RC, $((t1 - t0)) token requests"
fi
seed_expired
cp -p "$CACHE" "$BED_DIR/cache.before"
run_mbsync
t2=$(token_requests)
if [ "$MBSYNC_RC" != 0 ] && [ "$MBSYNC_RC" != 124 ] && echo "$MBSYNC_OUT" | grep -q "503" &&
	echo "$MBSYNC_OUT" | grep -qi "try again later" && [ $((t2 - t1)) = 1 ] && cmp -s "$BED_DIR/cache.before" "$CACHE"; then
	pass "provider failing, expired token: mbsync names the 503 and 'try again later', cache unchanged"
else
	fail "provider failing, expired token: mbsync exit $MBSYNC_RC, $((t2 - t1)) token requests"
fi
bed_config '{"fail_status": 0}'
finish
