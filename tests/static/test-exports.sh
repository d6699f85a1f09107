#!/bin/bash
# SPDX-License-Identifier: MIT
# The plugin is a guest in every libsasl2 program: it must export exactly
# sasl_client_plug_init and link nothing beyond libsasl2 and libc: json-c is
# loaded by its soname on first use, so that programs that never log in with
# OAuth do not map it.
set -u
so="$top_builddir/plugin/.libs/libsasl-oauth.so"
[ -f "$so" ] || { echo "missing $so"; exit 1; }
command -v readelf >/dev/null && command -v nm >/dev/null || { echo "SKIP: readelf/nm not installed"; exit 77; }
fail=0
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED: $(echo $needed)"
for lib in $needed; do
	case "$lib" in
	libsasl2.so.*|libc.so.*) ;;
	*) echo "FAIL: plugin links $lib"; fail=1 ;;
	esac
done
jsonc=$(sed -n 's/^#define SAO_JSONC_SONAME "\(.*\)"/\1/p' "$top_builddir/config.h")
if [ -z "$jsonc" ] || ! grep -qF "$jsonc" "$so"; then
	echo "FAIL: the plugin does not name json-c's soname ('$jsonc') to load it"; fail=1
fi
if nm -D --undefined-only "$so" | grep -q ' json_'; then
	echo "FAIL: the plugin references json-c symbols directly"; fail=1
fi
exports=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
echo "exports: $(echo $exports)"
[ "$exports" = "sasl_client_plug_init" ] || { echo "FAIL: exports are not exactly sasl_client_plug_init"; fail=1; }
# No libcurl or OpenSSL symbol may be referenced either.
if nm -D --undefined-only "$so" | grep -Eq ' (curl_|SSL_|EVP_|OPENSSL_)'; then
	echo "FAIL: plugin references libcurl/OpenSSL symbols"; fail=1
fi
exit $fail
