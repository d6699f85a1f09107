#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 13, defect 7: a program started with a file capability runs with
# rights its caller lacks, so the caller's environment must not choose the
# configuration, the command the plugin runs, or what a token command
# inherits. A copy of tests/integration/secure-env is given a harmless
# capability (cap_wake_alarm) and run as 'nobody' with SASL_OAUTH_CONF,
# SASL_OAUTH_CLI and HOME set; the same copy without the capability shows
# the variables are honoured otherwise.
set -u
prog=${top_builddir:-.}/tests/integration/secure-env
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to set a file capability and switch to nobody"; exit 77; }
command -v setcap >/dev/null || { echo "SKIP: setcap is missing (apt-get install libcap2-bin)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv is missing (apt-get install util-linux)"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user 'nobody'"; exit 77; }
[ -x "$prog" ] || fail "$prog is not built"

dir=$(mktemp -d /tmp/sao-secure-env.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp "$prog" "$dir/plain"
cp "$prog" "$dir/capable"
chmod 755 "$dir/plain" "$dir/capable"
printf '[account work]\nusers = alice@example.com\ntoken_command = printenv HOME\n' >"$dir/conf"
chmod 644 "$dir/conf"
mkdir -m 755 "$dir/home"
if ! setcap cap_wake_alarm+ep "$dir/capable" 2>"$dir/setcap.err"; then
	echo "SKIP: setcap failed here ($(cat "$dir/setcap.err")): the file system takes no capabilities"
	exit 77
fi

as_nobody() {
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env -i PATH=/usr/bin:/bin HOME="$dir/home" SASL_OAUTH_CONF="$dir/conf" SASL_OAUTH_CLI=/bin/echo "$1"
}

plain=$(as_nobody "$dir/plain") || fail "the plain copy failed: $plain"
echo "without the capability:"; echo "$plain" | sed 's/^/  /'
echo "$plain" | grep -qx 'secure=0' || fail "a plain process counts as privileged"
echo "$plain" | grep -qx 'cli=/bin/echo' || fail "SASL_OAUTH_CLI is not honoured in a plain process"
echo "$plain" | grep -qx "config=$dir/conf" || fail "SASL_OAUTH_CONF is not honoured in a plain process"
echo "$plain" | grep -qx "child_home=$dir/home" || fail "a token command does not get HOME in a plain process"

capable=$(as_nobody "$dir/capable") || fail "the copy with a capability failed: $capable"
echo "with cap_wake_alarm:"; echo "$capable" | sed 's/^/  /'
if echo "$capable" | grep -qx 'at_secure=0'; then
	echo "SKIP: the kernel did not mark the capable copy secure (a nosuid mount?)"
	exit 77
fi
echo "$capable" | grep -qx 'secure=1' || fail "a process with a file capability does not count as privileged"
echo "$capable" | grep -q '^cli=/bin/echo$' && fail "SASL_OAUTH_CLI chose the command in a process with a file capability"
echo "$capable" | grep -q "^config=$dir/conf\$" && fail "SASL_OAUTH_CONF chose the configuration in a process with a file capability"
echo "$capable" | grep -q "^child_home=$dir/home\$" && fail "a token command inherited HOME in a process with a file capability"
echo "PASS: the caller's environment chooses nothing in a process with a file capability"
