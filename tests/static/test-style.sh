#!/bin/bash
# SPDX-License-Identifier: MIT
# House rules a compiler does not enforce (STYLE.md): no atoi, sprintf,
# strcpy, strcat, strtok; no assignment inside an if/while condition; an
# SPDX line in every source file.
set -u
cd "$top_srcdir" || exit 1
files=$(ls plugin/*.c lib/*.c oauth/*.c mail/*.c cli/*.c include/sasl-oauth/*.h tests/unit/*.c tests/unit/*.h tests/lib/*.c tests/lib/*.h tests/integration/*.c bench/*.c 2>/dev/null)
fail=0
if grep -nE '\b(atoi|sprintf|vsprintf|strcpy|strcat|strtok)\s*\(' $files; then
	echo "FAIL: banned function (use snprintf, memcpy with lengths, strtol with checks)"; fail=1
fi
if grep -nE '\b(if|while)\s*\(.*\(\s*[A-Za-z_][A-Za-z0-9_>.-]*(\[[^]]*\])?\s*=[^=]' $files; then
	echo "FAIL: assignment inside a condition"; fail=1
fi
for f in $files; do
	head -n 2 "$f" | grep -q 'SPDX-License-Identifier' || { echo "FAIL: $f has no SPDX line"; fail=1; }
done
[ "$fail" = 0 ] && echo "style rules hold in $(echo $files | wc -w) files"
exit $fail
