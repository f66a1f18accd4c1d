#!/bin/sh
# The package relations a user relies on: sc-tools depends on OpenBLAS
# (the blas backend, the default, dlopens it, which dpkg-shlibdeps cannot
# see) and recommends curl (sc-model fetch).  Read from debian/control.
# And the libsc0 symbols file matches the library that was built.
set -u
fail() { echo "FAIL: $*"; exit 1; }
ctl="$SC_SRCDIR/debian/control"
[ -r "$ctl" ] || { echo "SKIP: no debian/control"; exit 77; }
# field PACKAGE FIELD: the field's value, continuation lines joined
field() {
  awk -v pkg="$1" -v fld="$2" '
    /^#/ { next }
    /^$/ { inpkg = 0; infld = 0; next }
    /^Package:/ { inpkg = ($2 == pkg) }
    /^[^ \t]/ { infld = 0; if (inpkg && index($0, fld ":") == 1) { infld = 1; sub("^[^:]*:", "") } else next }
    infld { printf "%s ", $0 }' "$ctl" | tr -s ' \t' ' '
}
dep=$(field sc-tools Depends)
echo "sc-tools Depends: $dep"
echo "$dep" | grep -Eq "(^|[ ,])libopenblas0 \| libopenblas0-pthread \| libopenblas0-openmp \| libopenblas0-serial( |,|$)" \
  || fail "sc-tools must depend on OpenBLAS: $dep"
rec=$(field sc-tools Recommends)
echo "sc-tools Recommends: $rec"
echo "$rec" | grep -Eq "(^| )curl( |,|$)" || fail "sc-tools must recommend curl: $rec"
echo "$(field sc-tools Suggests)" | grep -q curl && fail "curl both suggested and recommended"
# debian/libsc0.symbols lists exactly what the built libsc.so.0 exports
lib=$(ls "$SC_BUILDDIR"/libsc/.libs/libsc.so.0.* 2>/dev/null | head -1)
if [ -n "$lib" ] && command -v nm >/dev/null; then
  mkdir -p "$SC_SCRATCH" || fail "cannot create $SC_SCRATCH"
  nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sort > "$SC_SCRATCH/symbols.lib"
  sed -n 's/^ \([^@ ]*\)@Base .*/\1/p' "$SC_SRCDIR/debian/libsc0.symbols" | sort > "$SC_SCRATCH/symbols.deb"
  d=$(diff "$SC_SCRATCH/symbols.deb" "$SC_SCRATCH/symbols.lib" | grep '^[<>]' | head -5)
  [ -z "$d" ] || fail "debian/libsc0.symbols differs from $lib (< file only, > library only; regenerate it as debian/README.source says): $d"
  echo "libsc0.symbols: $(wc -l < "$SC_SCRATCH/symbols.lib") symbols, as exported"
  rm -f "$SC_SCRATCH/symbols.lib" "$SC_SCRATCH/symbols.deb"
fi
echo "1 passed, 0 failed"
