#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one unit test, under valgrind when it is installed and the test is not
# an ASan build (the two cannot share a process). Leaks and invalid accesses fail.
case "$1" in
*-asan) exec "$@" ;;
esac
if command -v valgrind >/dev/null 2>&1 && [ -z "$SAO_NO_VALGRIND" ]; then
	# libtool wrapper scripts: run the real binary.
	dir=$(dirname "$1"); base=$(basename "$1")
	bin=$1
	[ -x "$dir/.libs/$base" ] && bin="$dir/.libs/$base"
	shift
	exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--child-silent-after-fork=yes "$bin" "$@"
fi
exec "$@"
