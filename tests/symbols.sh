#!/bin/sh
# libsc.so exports only its documented API: every dynamic symbol it
# defines is declared in an installed header (include/sc/*.h, all of
# which are installed: scinclude_HEADERS).  Internal functions shared
# between libsc's files are hidden (SC_HIDDEN); tools and tests that need
# more compile the internal sources in.  And every call of the codec API
# has its synopsis in sc_codec(3).
set -u
: "${SC_BUILDDIR:?run with make check}" "${SC_SRCDIR:?}"
fail() { echo "FAIL: $*"; exit 1; }
lib=$SC_BUILDDIR/libsc/.libs/libsc.so
[ -r "$lib" ] || fail "$lib not built"
command -v nm >/dev/null || fail "nm is needed"
H=$SC_SRCDIR/include/sc
# every public header is installed
for h in "$H"/*.h; do
  grep -q "include/sc/$(basename "$h")" "$SC_SRCDIR"/Makefile.am "$SC_SRCDIR"/*/*.mk \
    "$SC_SRCDIR"/*/*/*.mk "$SC_SRCDIR"/*/*/local.mk "$SC_SRCDIR"/*/local.mk 2>/dev/null \
    || fail "$h is not in scinclude_HEADERS (not installed)"
done
tmp=$(mktemp) || fail mktemp
nm -D --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TDBRVWiu]$/ { print $3 }' | sort -u >"$tmp"
trap 'rm -f "$tmp"' EXIT
n=$(wc -l <"$tmp")
[ "$n" -gt 100 ] || fail "only $n exported symbols: nm output not understood"
grep -qx sc_codec_open "$tmp" || fail "sc_codec_open is not exported"
bad=0
while read -r s; do
  case $s in _init|_fini|_edata|_end|__bss_start) continue ;; esac
  grep -Eq "(^|[^A-Za-z0-9_])$s[[:space:]]*\(" "$H"/*.h && continue
  echo "FAIL: $s is exported but no installed header declares it"
  bad=1
done <"$tmp"
[ $bad = 0 ] || exit 1
echo "ok: $n exported symbols, each declared in include/sc/*.h"
# the codec API (sc/codec.h) is the one sc_codec(3) documents: each of its
# exported calls has a synopsis line there
m=0
for s in $(grep -E '^(sc_codec|sc_encoder|sc_decoder)_' "$tmp"); do
  grep -q "^\.F[no] $s\( \|$\)" "$SC_SRCDIR/man/sc_codec.3" && continue
  echo "FAIL: $s is exported but sc_codec(3) has no synopsis for it"
  m=1
done
[ $m = 0 ] || exit 1
echo "ok: every sc_codec_/sc_encoder_/sc_decoder_ call is in sc_codec(3)"
