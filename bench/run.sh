#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmarks for sasl-oauth (issue 4). Every figure is compared with a
# baseline measured in the same run, reported as median (min..max) over
# repeated runs, and every target ends in one PASS or FAIL line. Timings are
# never asserted by the tests; only this script judges them.
#
#   make bench            (runs: bash $(top_srcdir)/bench/run.sh)
#   bash bench/run.sh     from a built tree (tests/tools/build.sh)
#
# top_srcdir / top_builddir come from the environment (make) or default to
# this script's parent directory. Knobs: BENCH_STARTS (process starts per
# case, 400), BENCH_LOGINS (logins per case, 30), BENCH_CALLS (first-response
# calls per run, 10000), BENCH_RUNS (repeats of the in-process drivers, 5).
# Exit status: 0 when every target passed, 1 when one failed, 2 when the
# benchmark could not run at all.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
STARTS=${BENCH_STARTS:-400}
LOGINS=${BENCH_LOGINS:-30}
CALLS=${BENCH_CALLS:-10000}
RUNS=${BENCH_RUNS:-5}
TARGET=1.05

# write_mbsyncrc, run_mbsync.
# shellcheck source=../tests/integration/mbsync.sh
. "$top_srcdir/tests/integration/mbsync.sh"

PLUGIN_SO="$PLUGIN_DIR/libsasl-oauth.so"
[ -f "$PLUGIN_SO" ] || { echo "bench: $PLUGIN_SO is missing; build first (tests/tools/build.sh)"; exit 2; }
for t in gcc pkg-config; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is not installed"; exit 2; }
done

WORK=$(mktemp -d /tmp/sao-bench-XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
RESULTS="$WORK/results"
: > "$RESULTS"

# verdict NAME VALUE LIMIT: one PASS/FAIL line (VALUE <= LIMIT passes).
verdict() {
	local v
	v=$(awk -v a="$2" -v b="$3" 'BEGIN { print (a != "nan" && a + 0 <= b + 0) ? "PASS" : "FAIL" }')
	printf '%s: %s  %s (target <= %s)\n' "$v" "$1" "$2" "$3"
	printf '%s|%s|<= %s|%s\n' "$1" "$2" "$3" "$v" >> "$RESULTS"
}
# info NAME TEXT: a figure without a target.
info() {
	printf 'INFO: %s  %s (no target)\n' "$1" "$2"
	printf '%s|%s|none|INFO\n' "$1" "$2" >> "$RESULTS"
}
skipped() {
	printf 'SKIP: %s  %s\n' "$1" "$2"
	printf '%s|%s|-|SKIP\n' "$1" "$2" >> "$RESULTS"
}
# stats: numbers on stdin -> "median min max"
stats() { $HELPER stats; }
ratio() { $HELPER ratio "$1" "$2"; }
fmt() { set -- $1; printf '%s (%s..%s)' "$1" "$2" "$3" | sed 's/\.000\b//g'; }
med() { set -- $1; echo "$1"; }

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "kernel: $(uname -srm)"
echo "libsasl2: $(dpkg-query -W -f '${Version}' libsasl2-2 2>/dev/null || echo unknown)"
echo "date:  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo

# --- plugin directories ----------------------------------------------------
# base: the stock Cyrus plugins found in the system directory, named one by
# one (never a peer XOAUTH2, an installed copy of this plugin or anything
# else installed, so the baseline is the same on every machine); ours: base
# + the built plugin; peer: base + kdexoauth2.
STOCK_PLUGINS=
for f in libanonymous libcrammd5 libdigestmd5 libgs2 libgssapiv2 liblogin libntlm libotp libplain libsasldb libscram; do
	[ -e "$SYSTEM_PLUGIN_DIR/$f.so" ] && STOCK_PLUGINS="$STOCK_PLUGINS $f.so"
done
mkdir -p "$WORK/base" "$WORK/peer"
for f in $STOCK_PLUGINS; do
	ln -s "$SYSTEM_PLUGIN_DIR/$f" "$WORK/base/"
	ln -s "$SYSTEM_PLUGIN_DIR/$f" "$WORK/peer/"
done
# shellcheck disable=SC2086
plugin_dir "$WORK/ours" $STOCK_PLUGINS >/dev/null || exit 2
OURS_ONLY=$(plugin_dir "$WORK/ours-only") || exit 2
BASE="$WORK/base" OURS="$WORK/ours" PEER="$WORK/peer"

# The peer, Debian's libsasl2-modules-kdexoauth2 (token as the password).
# It is unpacked into the scratch directory rather than installed, so that a
# second XOAUTH2 never lands in the system plugin directory (where it would
# compete with ours in `make check`); an installed copy is used as it is.
PEER_OK=0
peer_so=$(ls "$SYSTEM_PLUGIN_DIR"/libkdexoauth2.so 2>/dev/null | head -1)
if [ -z "$peer_so" ] && command -v apt-get >/dev/null 2>&1; then
	mkdir -p "$WORK/deb"
	if (cd "$WORK/deb" && timeout 120 apt-get download -q libsasl2-modules-kdexoauth2 >/dev/null 2>&1); then
		dpkg-deb -x "$WORK"/deb/*.deb "$WORK/deb/root" 2>/dev/null
		peer_so=$(find "$WORK/deb/root" -name 'libkdexoauth2.so*' -type f | head -1)
	fi
fi
if [ -n "$peer_so" ] && [ -f "$peer_so" ]; then
	ln -s "$peer_so" "$PEER/libkdexoauth2.so"
	PEER_OK=1
	echo "peer: $peer_so"
else
	echo "peer: SKIP (libsasl2-modules-kdexoauth2 could not be installed or downloaded)"
fi

# --- a private home, a configuration and a valid cache ---------------------
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_STATE_HOME="$WORK/home/.local/state"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME/sasl-oauth"
chmod 700 "$HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME/sasl-oauth"
unset SASL_OAUTH_CONF
# A token the size of an Entra ID access token (about 1.5 KB).
FAKE_TOKEN="eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.$(head -c 1100 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=').sig"
write_cache() { # ACCOUNT TOKEN
	/usr/bin/python3 -c "$PY_WRITE_CACHE"'
import sys, time
path, account, token = sys.argv[1:4]
now = int(time.time())
write_cache(path, {"format_version": 1, "account": account, "access_token": token, "refresh_token": "r",
                   "token_type": "Bearer", "scope": "", "expires_at": now + 36000, "obtained_at": now,
                   "refresh_obtained_at": now, "rejected_at": 0})
' "$XDG_STATE_HOME/sasl-oauth/$1.json" "$1" "$2"
}
write_cache work "$FAKE_TOKEN"
printf '[account work]\nusers = alice@example.com\n' > "$WORK/cache.conf"
printf '#!/bin/sh\nprintf "%%s\\n" "%s"\n' "$FAKE_TOKEN" > "$WORK/print-token"
chmod 700 "$WORK/print-token"
printf '[account work]\nusers = alice@example.com\ntoken_command = %s\n' "$WORK/print-token" > "$WORK/cmd.conf"
chmod 600 "$WORK/cache.conf" "$WORK/cmd.conf"
if [ -e /etc/sasl-oauth/sasl-oauth.conf ]; then
	echo "note: /etc/sasl-oauth/sasl-oauth.conf exists; the unconfigured case is not truly unconfigured"
fi

gcc -O2 -Wall -Wextra -o "$WORK/load" "$BENCH_DIR/load.c" -lsasl2 || { echo "bench: cannot build load.c"; exit 2; }
gcc -O2 -Wall -Wextra -I"$top_srcdir/tests/lib" -o "$WORK/first" "$BENCH_DIR/first.c" "$top_srcdir/tests/lib/testlib-sasl.c" -lsasl2 || { echo "bench: cannot build first.c"; exit 2; }

# ===========================================================================
echo
echo "== 1. load cost: sasl_client_init + sasl_client_new + sasl_listmech"
# case NAME SASL_PATH CONF ("" = unconfigured)
# A mail program runs as its user; a root host (Postfix, sendmail) also has
# the plugin open json-c before its chroot (decisions.md). So the usual cases
# run unprivileged when the bench runs as root, and the root cost is a case
# of its own against a root baseline.
CASES="base ours-configured ours-unconfigured"
[ "$PEER_OK" = 1 ] && CASES="$CASES peer"
AS_USER=() USER_CONF="$WORK/cache.conf" CG_DIR="$WORK"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$WORK/user")
	CG_DIR="$WORK/user"
	mkdir -p "$CG_DIR"
	USER_CONF="$CG_DIR/cache.conf"
	cp "$WORK/cache.conf" "$USER_CONF"
	chown -R nobody:nogroup "$CG_DIR"
	chmod 711 "$WORK"
	CASES="$CASES base-root ours-root"
fi
case_env() { # NAME -> runs the rest of the command line in that case's environment
	local name=$1
	shift
	case $name in
	base) env -u SASL_OAUTH_CONF SASL_PATH="$BASE" "${AS_USER[@]}" "$@" ;;
	ours-configured) env SASL_OAUTH_CONF="$USER_CONF" SASL_PATH="$OURS" "${AS_USER[@]}" "$@" ;;
	ours-unconfigured) env -u SASL_OAUTH_CONF SASL_PATH="$OURS" "${AS_USER[@]}" "$@" ;;
	peer) env -u SASL_OAUTH_CONF SASL_PATH="$PEER" "${AS_USER[@]}" "$@" ;;
	base-root) env -u SASL_OAUTH_CONF SASL_PATH="$BASE" "$@" ;;
	ours-root) env SASL_OAUTH_CONF="$WORK/cache.conf" SASL_PATH="$OURS" "$@" ;;
	esac
}
for c in $CASES; do
	printf '  %-18s mechanisms: %s\n' "$c" "$(case_env "$c" "$WORK/load" -v 2>&1)"
done
mechs=$(case_env ours-configured "$WORK/load" -v)
case " $mechs " in *" XOAUTH2 "*) ;; *) echo "FAIL: the configured plugin did not register XOAUTH2 (load -v: $mechs)" ;; esac

declare -A IR WALL
if command -v valgrind >/dev/null 2>&1; then
	for c in $CASES; do
		for i in 1 2 3; do
			case_env "$c" valgrind --tool=callgrind --callgrind-out-file="$CG_DIR/cg.$c.$i" "$WORK/load" >/dev/null 2>&1
			grep -E '^(summary|totals):' "$CG_DIR/cg.$c.$i" | head -1 | awk '{print $2}'
		done | stats > "$WORK/ir.$c"
		IR[$c]=$(cat "$WORK/ir.$c")
		printf '  %-18s instructions: %s\n' "$c" "$(fmt "${IR[$c]}")"
	done
else
	echo "  valgrind is not installed: instruction counts skipped"
fi
# Wall time: STARTS process starts per case, interleaved in rounds of 10 so
# that drift on a shared machine hits every case alike.
per=10 rounds=$(( (STARTS + 9) / 10 ))
for c in $CASES; do : > "$WORK/wall.$c"; done
for r in $(seq $rounds); do
	for c in $CASES; do
		case_env "$c" $HELPER spawn "$per" "$WORK/load" >> "$WORK/wall.$c" || echo "  $c: a run failed"
	done
done
for c in $CASES; do
	WALL[$c]=$(stats < "$WORK/wall.$c")
	printf '  %-18s wall us/start: %s  (%d starts)\n' "$c" "$(fmt "${WALL[$c]}")" "$(wc -l < "$WORK/wall.$c")"
done
for pair in ours-configured:base ours-unconfigured:base peer:base ours-root:base-root; do
	c=${pair%%:*} b=${pair#*:}
	case " $CASES " in *" $c "*) ;; *) skipped "load $c" "not measured here (peer missing, or not run as root)"; continue ;; esac
	if [ -n "${IR[$c]:-}" ]; then
		verdict "load instructions, $c / $b" "$(ratio "$(med "${IR[$c]}")" "$(med "${IR[$b]}")")" "$TARGET"
	fi
	verdict "load wall time, $c / $b" "$(ratio "$(med "${WALL[$c]}")" "$(med "${WALL[$b]}")")" "$TARGET"
done

# ===========================================================================
echo
echo "== 3. fast path: sasl_client_start until the first response (in-process)"
# first_runs NAME CONF ARGS... -> RUNS runs; "us median min max" and rss
first_runs() {
	local name=$1 conf=$2
	shift 2
	: > "$WORK/first.$name" ; : > "$WORK/rss.$name"
	for i in $(seq "$RUNS"); do
		local out
		if [ -n "$conf" ]; then
			out=$(SASL_OAUTH_CONF="$conf" "$WORK/first" "$@" 2>"$WORK/err.$name")
		else
			out=$(env -u SASL_OAUTH_CONF "$WORK/first" "$@" 2>"$WORK/err.$name")
		fi || { echo "  $name failed: $(tail -2 "$WORK/err.$name")"; : > "$WORK/first.$name"; return 1; }
		echo "$out" | sed -n 's/.*us_per_call=\([0-9.]*\).*/\1/p' >> "$WORK/first.$name"
		echo "$out" | sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' >> "$WORK/rss.$name"
	done
	printf '  %-22s us/call: %s  peak RSS KB: %s\n' "$name" "$(fmt "$(stats < "$WORK/first.$name")")" \
		"$(fmt "$(stats < "$WORK/rss.$name")")"
}
# Each driver loads one plugin only (PLAIN alone, ours alone from
# $OURS_ONLY, the peer alone), so peak RSS compares like with like.
mkdir -p "$WORK/plain-only" "$WORK/peer-only"
ln -s "$SYSTEM_PLUGIN_DIR/libplain.so" "$WORK/plain-only/"
[ "$PEER_OK" = 1 ] && ln -s "$peer_so" "$WORK/peer-only/libkdexoauth2.so"
first_runs plain "" --path "$WORK/plain-only" --mech PLAIN --user alice@example.com --password secret --count "$CALLS"
first_runs xoauth2-cache "$WORK/cache.conf" --path "$OURS_ONLY" --mech XOAUTH2 --user alice@example.com \
	--count "$CALLS" --expect "user=alice@example.com"
first_runs oauthbearer-cache "$WORK/cache.conf" --path "$OURS_ONLY" --mech OAUTHBEARER \
	--user alice@example.com --count "$CALLS" --expect "n,a=alice@example.com,"
# The peer only works with prompts (see first.c), so ours is also measured
# that way for a like-for-like row. The peer writes two debug lines to stderr
# on every call; they go to a file, as they would go to a log.
first_runs xoauth2-cache-prompts "$WORK/cache.conf" --path "$OURS_ONLY" --mech XOAUTH2 --user alice@example.com \
	--count "$CALLS" --expect "user=alice@example.com" --interact yes
[ "$PEER_OK" = 1 ] && first_runs peer-xoauth2-prompts "" --path "$WORK/peer-only" --mech XOAUTH2 --user alice@example.com \
	--password "$FAKE_TOKEN" --count "$CALLS" --expect "user=alice@example.com" --interact yes
m_plain=$(med "$(stats < "$WORK/first.plain")")
for n in xoauth2-cache oauthbearer-cache xoauth2-cache-prompts peer-xoauth2-prompts; do
	[ -s "$WORK/first.$n" ] || continue
	m=$(med "$(stats < "$WORK/first.$n")")
	info "first response, $n" "$m us/call, $(awk -v a="$m" -v b="$m_plain" 'BEGIN{printf "%+.1f us", a-b}') vs PLAIN ($m_plain us), RSS $(med "$(stats < "$WORK/rss.$n")") KB vs $(med "$(stats < "$WORK/rss.plain")") KB"
done

# ===========================================================================
echo
echo "== 5. token_command path vs cache path (in-process, per login)"
CMD_CALLS=$(( CALLS / 20 > 50 ? CALLS / 20 : 50 ))
first_runs xoauth2-token_command "$WORK/cmd.conf" --path "$OURS_ONLY" --mech XOAUTH2 --user alice@example.com \
	--count "$CMD_CALLS" --expect "user=alice@example.com"
if [ -s "$WORK/first.xoauth2-token_command" ] && [ -s "$WORK/first.xoauth2-cache" ]; then
	mc=$(med "$(stats < "$WORK/first.xoauth2-cache")") mt=$(med "$(stats < "$WORK/first.xoauth2-token_command")")
	info "token_command / cache" "$mt us vs $mc us per login, ratio $(ratio "$mt" "$mc")"
fi

# ===========================================================================
echo
echo "== 2. login cost against the test bed (Dovecot + local identity provider)"
login_bench() {
	start_bed
	bed_add_user alice@example.com
	bed_doveadm mailbox status -u plainuser@example.com messages INBOX >/dev/null
	printf 'From: bob@example.com\r\nSubject: bench\r\n\r\nbody\r\n' > "$BED_DIR/m.eml"
	bed_deliver alice@example.com "$BED_DIR/m.eml"
	bed_deliver plainuser@example.com "$BED_DIR/m.eml"
	write_config "[account work]
users = alice@example.com"
	seed_cache work alice@example.com 7200
	local token kinds="xoauth2 plain" k i t0 t1
	token=$(access_token work)
	[ "$PEER_OK" = 1 ] && kinds="$kinds peer"
	declare -A rc_of user_of mech_of path_of extra_of
	user_of=([xoauth2]=alice@example.com [plain]=plainuser@example.com [peer]=alice@example.com)
	mech_of=([xoauth2]=XOAUTH2 [plain]=PLAIN [peer]=XOAUTH2)
	path_of=([xoauth2]="$PLUGIN_DIR:$BASE" [plain]="$BASE" [peer]="$PEER")
	extra_of=([xoauth2]="" [plain]="Pass $BED_PLAIN_PASSWORD" [peer]="Pass $token")
	if command -v mbsync >/dev/null 2>&1; then
		for k in $kinds; do
			write_mbsyncrc "${user_of[$k]}" "${mech_of[$k]}" "${extra_of[$k]}"
			sed -i "s#$BED_DIR/maildir#$BED_DIR/maildir-$k#g" "$MBSYNCRC"
			mkdir -p "$BED_DIR/maildir-$k"
			mv "$MBSYNCRC" "$BED_DIR/mbsyncrc.$k"
			rc_of[$k]="$BED_DIR/mbsyncrc.$k"
			# Warm up: the first sync fetches the message and changes the folder.
			MBSYNCRC=${rc_of[$k]} SASL_PATH=${path_of[$k]} run_mbsync > "$BED_DIR/warm.$k" 2>&1
			if [ "$MBSYNC_RC" != 0 ]; then
				echo "  mbsync $k warm-up failed:"; sed 's/^/    /' "$BED_DIR/warm.$k" | tail -8
				return 1
			fi
			printf '  mbsync %-8s %s\n' "$k" \
				"$(grep -o 'Authenticating with SASL mechanism [A-Z0-9-]*' "$BED_DIR/warm.$k" | head -1 || true)"
			: > "$BED_DIR/mb.$k"
		done
		# isync sleeps a second when the local folder changed in this second.
		sleep 1.2
		local fails=0
		for i in $(seq "$LOGINS"); do
			for k in $kinds; do
				t0=$(date +%s%N)
				MBSYNCRC=${rc_of[$k]} SASL_PATH=${path_of[$k]} run_mbsync >/dev/null 2>&1
				t1=$(date +%s%N)
				[ "$MBSYNC_RC" = 0 ] || fails=$((fails + 1))
				echo $(( (t1 - t0) / 1000 )) >> "$BED_DIR/mb.$k"
			done
		done
		[ "$fails" = 0 ] || echo "  $fails mbsync runs failed"
		for k in $kinds; do
			printf '  mbsync %-8s us/sync: %s  (%d syncs)\n' "$k" "$(fmt "$(stats < "$BED_DIR/mb.$k")")" "$(wc -l < "$BED_DIR/mb.$k")"
		done
		local mp
		mp=$(med "$(stats < "$BED_DIR/mb.plain")")
		for k in xoauth2 peer; do
			[ -s "$BED_DIR/mb.$k" ] || continue
			local m
			m=$(med "$(stats < "$BED_DIR/mb.$k")")
			echo "  mbsync $k adds $((${m%.*} - ${mp%.*})) us per login over PLAIN"
			verdict "mbsync sync, $k / PLAIN" "$(ratio "$m" "$mp")" "$TARGET"
		done
		[ "$PEER_OK" = 1 ] || skipped "mbsync sync, peer / PLAIN" "peer not available"
	else
		skipped "mbsync sync" "mbsync is not installed"
	fi

	if [ ! -x "$SASL_CLIENT" ]; then
		(cd "$top_builddir" && make tests/integration/sasl-client >/dev/null 2>&1)
	fi
	if [ -x "$SASL_CLIENT" ]; then
		local pw
		# sasl-client registers a Postfix-style PASS callback, which
		# kdexoauth2 calls with the wrong prototype: not measured.
		kinds="xoauth2 plain"
		[ "$PEER_OK" = 1 ] && skipped "sasl-client login, peer" "kdexoauth2 calls the PASS callback as a getsimple callback (crashes Postfix-style clients)"
		for k in $kinds; do : > "$BED_DIR/sc.$k"; done
		local fails=0
		for i in $(seq "$LOGINS"); do
			for k in $kinds; do
				pw=()
				[ "$k" = plain ] && pw=(--password "$BED_PLAIN_PASSWORD")
				t0=$(date +%s%N)
				timeout 30 "$SASL_CLIENT" --proto imap --port "$BED_IMAPS_PORT" --tls implicit --ca "$BED_CA" \
					--mech "${mech_of[$k]}" --user "${user_of[$k]}" --plugin-path "${path_of[$k]}" "${pw[@]}" \
					>/dev/null 2>"$BED_DIR/sc.err" || { fails=$((fails + 1)); tail -3 "$BED_DIR/sc.err"; }
				t1=$(date +%s%N)
				echo $(( (t1 - t0) / 1000 )) >> "$BED_DIR/sc.$k"
			done
		done
		[ "$fails" = 0 ] || echo "  $fails sasl-client logins failed"
		for k in $kinds; do
			printf '  sasl-client %-8s us/login: %s\n' "$k" "$(fmt "$(stats < "$BED_DIR/sc.$k")")"
		done
		local sp
		sp=$(med "$(stats < "$BED_DIR/sc.plain")")
		for k in xoauth2; do
			[ -s "$BED_DIR/sc.$k" ] || continue
			local m
			m=$(med "$(stats < "$BED_DIR/sc.$k")")
			info "sasl-client login, $k / PLAIN" "ratio $(ratio "$m" "$sp"), $((${m%.*} - ${sp%.*})) us added per login"
		done
	else
		skipped "sasl-client login" "tests/integration/sasl-client could not be built"
	fi
}
# In a subshell: start_bed installs its own EXIT trap and may skip (exit 77).
( login_bench )
case $? in
0) ;;
77) skipped "login cost" "the test bed is not available here" ;;
*) echo "  login benchmark did not complete" ;;
esac

# ===========================================================================
echo
echo "== 4. refresh storm"
STORM_RESULTS="$RESULTS" bash "$BENCH_DIR/storm.sh"; [ $? = 2 ] && echo "  refresh storm could not run"

echo
echo "== 6. sasl-oauth tunnel with fetchmail"
TUNNEL_RESULTS="$RESULTS" bash "$BENCH_DIR/tunnel.sh"; [ $? = 2 ] && echo "  tunnel benchmark could not run"

echo
echo "== summary"
awk -F'|' '{ printf "%-5s %-44s %-12s %s\n", $4, $1, $2, ($3 == "none" || $3 == "-") ? "" : "target " $3 }' "$RESULTS" |
	sed -n '/^PASS\|^FAIL\|^SKIP/p'
if grep -q '|FAIL$' "$RESULTS"; then
	echo "RESULT: FAIL ($(grep -c '|FAIL$' "$RESULTS") of $(grep -c '|PASS$\||FAIL$' "$RESULTS") targets missed)"
	exit 1
fi
echo "RESULT: PASS (all $(grep -c '|PASS$' "$RESULTS") targets met)"
exit 0
