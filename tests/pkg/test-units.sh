#!/bin/bash
# SPDX-License-Identifier: MIT
# systemd-analyze verify passes on every unit we ship (system, template
# instance, user), with ExecStart= naming the built sasl-oauth as make
# install would, and Documentation= finding our own man pages. Any output
# counts as a failure: verify exits 0 on unknown keys but prints them.
. "$(dirname "$0")/../integration/lib.sh"
need systemd-analyze man
CLI="$top_builddir/cli/sasl-oauth"
[ -x "$CLI" ] || skip "$CLI is not built"
dir=$(mktemp -d /tmp/sao-units-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/system" "$dir/user" "$dir/run" "$dir/man/man1" "$dir/man/man5" "$dir/man/man7"
for f in "$top_srcdir"/packaging/systemd/*.service "$top_srcdir"/packaging/systemd/*.timer; do
	sed "s|/usr/bin/sasl-oauth|$CLI|g" "$f" > "$dir/system/$(basename "$f")"
done
for f in "$top_srcdir"/packaging/systemd/user/*; do
	sed "s|/usr/bin/sasl-oauth|$CLI|g" "$f" > "$dir/user/$(basename "$f")"
done
for p in 1 5 7; do cp "$top_srcdir"/man/*.$p "$dir/man/man$p/"; done
export MANPATH="$dir/man" XDG_RUNTIME_DIR="$dir/run"
chmod 700 "$dir/run"

verify() {
	local label=$1 out
	shift
	out=$(cd "$dir" && systemd-analyze "$@" 2>&1)
	if [ $? = 0 ] && [ -z "$out" ]; then
		pass "$label"
	else
		fail "$label: $out"
	fi
}
n=$(ls "$dir/system" | wc -l)
[ "$n" -ge 4 ] || fail "expected at least 4 system units, found $n"
verify "system service and timer" verify system/sasl-oauth-refresh.service system/sasl-oauth-refresh.timer
verify "template instance for postfix" verify "system/sasl-oauth-refresh@postfix.service" "system/sasl-oauth-refresh@postfix.timer"
verify "user service and timer" --user verify user/sasl-oauth-refresh.service user/sasl-oauth-refresh.timer

# The hardening the issue asks for is there (a unit that lost it still verifies).
for u in sasl-oauth-refresh.service sasl-oauth-refresh@.service; do
	for opt in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes StateDirectory=sasl-oauth LoadCredential=; do
		grep -q "^$opt" "$dir/system/$u" || fail "$u lacks $opt"
	done
done
grep -q '^User=%i$' "$dir/system/sasl-oauth-refresh@.service" || fail "the template does not run as its instance"
grep -q '^User=' "$dir/system/sasl-oauth-refresh.service" && fail "the generic system unit names a user"
# systemd's own measure of the sandbox (0 best, 10 worst): the system units
# stay "OK" (below 3.0; they measured 2.4 as root and 1.7 as postfix).
for u in sasl-oauth-refresh.service sasl-oauth-refresh@postfix.service; do
	level=$(cd "$dir/system" && systemd-analyze security --offline=yes --threshold=30 "$u" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	if (cd "$dir/system" && systemd-analyze security --offline=yes --threshold=30 "$u" >/dev/null 2>&1); then
		pass "$u: exposure level $level"
	else
		fail "$u: exposure level ${level:-unknown}, above 3.0"
	fi
done

# The check is real: a misspelt key fails it.
echo 'ProtectSystm=yes' >> "$dir/system/sasl-oauth-refresh.service"
out=$(cd "$dir" && systemd-analyze verify system/sasl-oauth-refresh.service 2>&1)
echo "$out" | grep -q "Unknown key" && pass "a misspelt key is caught" || fail "verify did not notice a misspelt key"
finish
