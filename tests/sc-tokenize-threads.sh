#!/bin/sh
# sc-tokenize at the thread counts that once gave wrong tokens with exit 0
# (issue 12, item 2: a codebook split by thread count left some threads an
# empty slice, read back as uninitialised memory): -j 129, -j 300 and
# SC_THREADS=1000 at vocabulary 16384, -j 65 at 4096, each byte for byte
# equal to -j 1 on the short clip (one window).  The blas backend only:
# ref runs every op in the calling thread.
set -u
fail() { echo "FAIL: $*"; exit 1; }
B="$SC_BINDIR"
G="$SC_REFDIR/golden"
T="$SC_SCRATCH/sc-tokenize-threads"
rm -rf "$T"; mkdir -p "$T" || fail "mkdir $T"
[ -r "$G/short_wave.wav" ] || fail "parity kit file missing: $G/short_wave.wav"
if [ ! -r "$SC_BUILDDIR/backends/.libs/backend_blas.so" ]; then
  echo "SKIP: no blas backend"; exit 77
fi
"$B/sc-mel" -q "$G/short_wave.wav" "$T/short.mel" || fail "sc-mel short_wave.wav"
tok() {  # VOCAB NAME [-j N]: tokens in text form to $T/NAME.txt
  v=$1 name=$2
  shift 2
  "$B/sc-tokenize" --synthetic -r 100 -V "$v" -B blas -q -f text "$@" "$T/short.mel" "$T/$name.txt" \
    2>"$T/$name.err" || fail "sc-tokenize -V $v $*: exit $?: $(cat "$T/$name.err")"
}
same() {  # NAME BASE WHAT
  cmp -s "$T/$1.txt" "$T/$2.txt" || fail "$3: tokens differ from -j 1 ($(cmp "$T/$1.txt" "$T/$2.txt" | head -1))"
  echo "ok: $3: tokens equal to -j 1"
}
tok 16384 j1 -j 1
# the window's tokens are not all one value (all 0 was the symptom)
[ "$(grep -v '^#' "$T/j1.txt" | cut -d' ' -f1 | sort -u | wc -l)" -gt 10 ] ||
  fail "-j 1: fewer than 11 distinct semantic tokens"
tok 16384 j129 -j 129
same j129 j1 "-j 129"
tok 16384 j300 -j 300
same j300 j1 "-j 300"
SC_THREADS=1000 tok 16384 env1000
same env1000 j1 "SC_THREADS=1000"
tok 4096 v4096j1 -j 1
tok 4096 v4096j65 -j 65
same v4096j65 v4096j1 "-V 4096 -j 65"
exit 0
