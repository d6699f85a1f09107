#!/bin/bash
# SPDX-License-Identifier: MIT
# Installs what building and testing need on Debian 12 (run as root).
# Everything the test suite starts (Dovecot, mbsync, ...) comes from here.
set -eu
pkgs=(
	# build
	autoconf automake libtool pkg-config make gcc
	libsasl2-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libqrencode-dev
	# run and test
	libsasl2-modules sasl2-bin binutils valgrind python3 openssl procps
	dovecot-core dovecot-imapd dovecot-pop3d dovecot-submissiond isync mutt tmux
	# the recipes in docs/clients/
	neomutt msmtp getmail6 curl util-linux fetchmail
	# bench/tunnel.sh: peak RSS
	time
	# make coverage
	lcov
	# packaging (make deb, make rpm, tests/pkg)
	dpkg-dev debhelper dh-autoreconf lintian rpm man-db systemd
	# the relay tests (docs/clients/postfix.md, sendmail.md)
	postfix m4
	# fuzzing (tests/fuzz/), the soak's clock (tests/soak/), file capabilities (test-secure-env)
	clang libclang-rt-14-dev faketime libcap2-bin
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# sendmail conflicts with postfix (both are a mail-transport-agent), so it
# is not installed: its packages are unpacked into a private directory that
# tests/integration/test-sendmail.sh runs it from (docs/clients/sendmail.md).
SENDMAIL_ROOT=${SAO_SENDMAIL_ROOT:-/var/cache/sasl-oauth-tests/sendmail}
if [ ! -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
	echo "unpacking sendmail into $SENDMAIL_ROOT"
	debs=$(mktemp -d)
	chmod 755 "$debs"
	(cd "$debs" && apt-get download -qq sendmail-bin sendmail-base sendmail-cf liblockfile1 2>/dev/null)
	mkdir -p "$SENDMAIL_ROOT"
	for d in "$debs"/*.deb; do dpkg -x "$d" "$SENDMAIL_ROOT"; done
	rm -rf "$debs"
fi
