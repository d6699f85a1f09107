# SPDX-License-Identifier: MIT
# Shared by the integration tests: where the build is, how to skip, how to
# point libsasl2 at the built plugin, and how to seed a token cache.
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PLUGIN_DIR="$top_builddir/plugin/.libs"
SYSTEM_PLUGIN_DIR="$(pkg-config --variable=libdir libsasl2)/sasl2"
SASL_CLIENT="$top_builddir/tests/integration/sasl-client"
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; }
pass() { echo "ok: $*"; }
# skip_case NAME REASON: a part of the test that cannot run here is reported
# as SKIP of its own (tests/tools/test-driver), never as a silent pass.
skip_case() { echo "ok - $1 # SKIP $2"; }
FAILED=0
finish() { [ "$FAILED" = 0 ] && echo "PASS" || echo "FAILED"; exit "$FAILED"; }

need() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"; done; }

# The system mechanisms the tests use beside ours (Dovecot offers them).
SYSTEM_PLUGINS="libplain.so liblogin.so"
# plugin_dir DIR [SYSTEM_PLUGIN...]: makes DIR hold the built plugin and
# the named system plugins, symbolic links all, and prints DIR. Nothing else
# installed on the machine is loaded, so a peer XOAUTH2 (KDE's
# libkdexoauth2.so) takes part only when a test names it.
plugin_dir() {
	local dir=$1 name
	shift
	mkdir -p "$dir" || return 1
	ln -sf "$PLUGIN_DIR/libsasl-oauth.so" "$dir/" || return 1
	for name in "$@"; do
		[ -e "$SYSTEM_PLUGIN_DIR/$name" ] || { echo "FAIL: $SYSTEM_PLUGIN_DIR/$name is missing (libsasl2-modules)"; return 1; }
		ln -sf "$SYSTEM_PLUGIN_DIR/$name" "$dir/" || return 1
	done
	echo "$dir"
}

# run_cli ARGS...: the built sasl-oauth with ARGS (stdin as it is, at
# most 60 s); sets RC, OUT (its stdout) and ERR (its stderr).
run_cli() {
	timeout 60 "$top_builddir/cli/sasl-oauth" "$@" >"$BED_DIR/out" 2>"$BED_DIR/err"
	RC=$?
	OUT=$(cat "$BED_DIR/out")
	ERR=$(cat "$BED_DIR/err")
}

# expect DESC RC PATTERN...: the last run (RC, OUT, ERR: run_cli's)
# exited RC and its stdout and stderr hold every fixed-string PATTERN, and
# none of what the test's function "secrets" prints, one per line (the
# first 40 characters of each are looked for). Shows the result line.
expect() {
	local desc=$1 want=$2 p all secret
	shift 2
	all=$(printf '%s\n%s\n' "$OUT" "$ERR")
	for p in "$@"; do
		if ! printf '%s\n' "$all" | grep -qF -- "$p"; then
			fail "$desc: exit $RC (want $want), '$p' missing in: $all"
			return
		fi
	done
	if [ "$RC" != "$want" ]; then
		fail "$desc: exit $RC, want $want: $all"
		return
	fi
	while read -r secret; do
		if [ -n "$secret" ] && printf '%s\n' "$all" | grep -qF -- "${secret:0:40}"; then
			fail "$desc: a secret is in the output"
			return
		fi
	done < <(declare -F secrets >/dev/null && secrets)
	pass "$desc"
	printf '%s\n' "$all" | grep -E '^(ok|sasl-oauth): ' | head -1 | sed 's/^/    /'
}

# A private home: no user configuration leaks in, none leaks out.
make_home() {
	export HOME="$BED_DIR/home"
	export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state"
	mkdir -p "$XDG_CONFIG_HOME/sasl-oauth" "$XDG_STATE_HOME"
	chmod 700 "$HOME" "$XDG_CONFIG_HOME" "$XDG_CONFIG_HOME/sasl-oauth"
	unset SASL_OAUTH_CONF
	# libsasl2 honours SASL_PATH: the built plugin and PLAIN and LOGIN.
	# shellcheck disable=SC2086
	SASL_PATH=$(plugin_dir "$BED_DIR/sasl2" $SYSTEM_PLUGINS) || { echo "FAIL: no private plugin directory"; exit 1; }
	export SASL_PATH
	# No sasl-oauth for the plugin to refresh with, whatever is installed;
	# tests of the refresh path point this at the one just built.
	export SASL_OAUTH_CLI="$BED_DIR/no-sasl-oauth"
}

# write_config TEXT: the user's configuration file, mode 0600.
write_config() {
	printf '%s\n' "$1" > "$XDG_CONFIG_HOME/sasl-oauth/config"
	chmod 600 "$XDG_CONFIG_HOME/sasl-oauth/config"
}

# Python for the two below: writes a cache document the way the CLI does
# (mode 0600, a temporary file renamed over the old one).
PY_WRITE_CACHE='
import json, os
def write_cache(path, doc):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, json.dumps(doc, indent=2).encode())
    os.close(fd)
    os.rename(path + ".tmp", path)
'

# seed_cache ACCOUNT UPN [LIFETIME]: asks the local identity provider for a
# token pair and writes the account's cache file the way the CLI would.
seed_cache() {
	bed_issue "$2" "${3:-3600}" | write_cache "$1"
}

# write_cache ACCOUNT: the token response on stdin (any /control/issue
# answer) as the account's cache file.
write_cache() {
	local account=$1
	local dir="$XDG_STATE_HOME/sasl-oauth"
	mkdir -p "$dir" && chmod 700 "$dir"
	"$PY" -c "$PY_WRITE_CACHE"'
import json, sys, time, os
t = json.load(sys.stdin)
now = int(time.time())
doc = {"format_version": 1, "account": sys.argv[1], "access_token": t["access_token"],
       "refresh_token": t.get("refresh_token", ""), "token_type": "Bearer", "scope": t.get("scope", ""),
       "expires_at": now + int(t["expires_in"]), "obtained_at": now, "refresh_obtained_at": now, "rejected_at": 0}
write_cache(sys.argv[2], doc)
' "$account" "$dir/$account.json"
}

# cache_set ACCOUNT FIELD=EXPR...: sets integer fields of the account's cache
# file; EXPR may use "now" (the current UTC seconds): "expires_at=now-10".
cache_set() {
	"$PY" -c "$PY_WRITE_CACHE"'
import json, sys, time
path = sys.argv[1]
d = json.load(open(path))
now = int(time.time())
for a in sys.argv[2:]:
    k, _, v = a.partition("=")
    d[k] = int(eval(v, {"now": now}))
write_cache(path, d)
' "$XDG_STATE_HOME/sasl-oauth/$1.json" "${@:2}"
}

# set_expires ACCOUNT SECONDS: moves the cached token's expires_at to now +
# SECONDS (negative: the past), rewriting the file with mode 0600.
set_expires() {
	"$PY" -c "$PY_WRITE_CACHE"'
import json, os, sys, time
p = sys.argv[1]
d = json.load(open(p))
d["expires_at"] = int(time.time()) + int(sys.argv[2])
write_cache(p, d)
' "$XDG_STATE_HOME/sasl-oauth/$1.json" "$2"
}

# cache_edit FILE FIELD=EXPR...: edits integer fields of a cache file in
# place (same inode, owner and mode); "now" and "now+N"/"now-N" are allowed.
cache_edit() {
	"$PY" - "$@" <<'PY'
import json, sys, time
path = sys.argv[1]
d = json.load(open(path))
now = int(time.time())
for a in sys.argv[2:]:
    k, _, v = a.partition("=")
    d[k] = int(eval(v, {"now": now}))
with open(path, "r+") as f:
    f.seek(0)
    f.truncate()
    f.write(json.dumps(d, indent=2))
PY
}

# cache_field_at FILE FIELD: prints one field of a cache file (empty when
# it has none). cache_field ACCOUNT FIELD: the same for the account's cache.
cache_field_at() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"
}
cache_field() { cache_field_at "$XDG_STATE_HOME/sasl-oauth/$1.json" "$2"; }

# access_token ACCOUNT: the cached access token (for revoking it in tests).
access_token() { cache_field "$1" access_token; }

# refresh_grants: refresh_token grants the identity provider has answered.
refresh_grants() {
	bed_stats | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["grants"].get("refresh_token", 0))'
}

# at_exit COMMAND: runs COMMAND when the script exits, before the bed is
# stopped (for what a test starts beside the bed, such as a tmux server).
AT_EXIT=()
at_exit() { AT_EXIT+=("$1"); }

# The EXIT trap of start_bed: whatever the script started is stopped, on
# success and on failure: the at_exit commands, any background job still
# running (a login left waiting, a scanner), the bed's servers; then the
# bed's directory goes.
_stop_all() {
	local cmd jobs_left
	set +e
	for cmd in "${AT_EXIT[@]}"; do
		eval "$cmd"
	done
	bed_teardown
	jobs_left=$(jobs -pr)
	# shellcheck disable=SC2086
	[ -z "$jobs_left" ] || kill $jobs_left 2>/dev/null
	rm -rf "$BED_DIR"
}

start_bed() {
	[ -z "${SAO_SKIP_INTEGRATION:-}" ] || skip "integration tests are off for this run (SAO_SKIP_INTEGRATION)"
	need dovecot openssl
	[ -x "$PY" ] || skip "python3 is not installed"
	# shellcheck source=../bed/bed.sh
	. "$top_srcdir/tests/bed/bed.sh"
	BED_DIR=$(mktemp -d /tmp/sao-it-XXXXXX)
	trap _stop_all EXIT
	# A signal ends the script through exit, so the EXIT trap runs too.
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bed_setup "$BED_DIR" || { echo "FAIL: test bed did not start"; exit 1; }
	make_home
}

# storm N DIR CMD...: starts N copies of CMD ("@I@" in an argument becomes
# the copy's number), holds each at a barrier until all have started, then
# releases them with one write. Sets STORM_OK (exit status 0), STORM_FAIL,
# STORM_MS (from the release until the last one ended). Copy I: DIR/out.I,
# DIR/err.I, DIR/rc.I. For the concurrency test and the storm benchmark.
storm() {
	local n=$1 dir=$2 i go t0 t1 waited
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	mkfifo "$dir/go"
	exec {go}<>"$dir/go"
	local -a pids=()
	for ((i = 1; i <= n; i++)); do
		(
			argv=("${@//@I@/$i}")
			: > "$dir/ready.$i"
			read -r -u "$go" _
			exec {go}>&-
			"${argv[@]}" > "$dir/out.$i" 2> "$dir/err.$i" </dev/null
			echo $? > "$dir/rc.$i"
		) &
		pids+=($!)
	done
	for ((waited = 0; waited < 1200; waited++)); do
		[ "$(find "$dir" -name 'ready.*' | wc -l)" -ge "$n" ] && break
		sleep 0.05
	done
	sleep 0.2
	t0=$(date +%s%N)
	printf '%*s' "$n" '' | tr ' ' '\n' >&"$go"
	wait "${pids[@]}"
	t1=$(date +%s%N)
	exec {go}>&-
	STORM_MS=$(( (t1 - t0) / 1000000 ))
	STORM_OK=$(cat "$dir"/rc.* 2>/dev/null | grep -cx 0)
	STORM_FAIL=$((n - STORM_OK))
}
