# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# What every benchmark starts with: where the sources and the build are
# (from make, else this directory's parent; exported for the helpers they
# start), the statistics helper, and the integration tests' functions
# (start_bed, make_home, write_config, seed_cache, ...). Source it first.
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
HELPER="/usr/bin/python3 $BENCH_DIR/helper.py"
# shellcheck source=../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
