#!/bin/bash
# SPDX-License-Identifier: MIT
# Configures and builds in the source tree for Debian's layout.
set -eu
cd "$(dirname "$0")/../.."
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var --enable-werror
make -j"$(nproc)"
