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
