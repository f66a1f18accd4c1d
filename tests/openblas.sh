#!/bin/sh
# A machine without OpenBLAS ($SC_OPENBLAS naming a missing file stands in
# for one): sc-info marks the stages on blas UNAVAILABLE and says why, with
# the package to install and the -B ref fallback; a tool on blas fails
# with EX_UNAVAILABLE (69) and the same hint, writing nothing;
# with -B ref sc-info finds nothing missing.
set -u
fail() { echo "FAIL: $*"; exit 1; }
D="$SC_SCRATCH/openblas"
rm -rf "$D"; mkdir -p "$D" || fail "cannot create $D"
export SC_OPENBLAS="$D/no/libopenblas.so.0"

out=$("$SC_BINDIR/sc-info" -B blas) || fail "sc-info exited $?"
echo "$out" | grep -Eq "^  decoder +[a-z]+ +on blas +\(backend UNAVAILABLE\)$" || fail "stage not marked: $out"
line=$(echo "$out" | grep "^backend blas is unavailable: ")
echo "$line"
echo "$line" | grep -q "cannot load $D/no/libopenblas.so.0 (.*No such file or directory)" || fail "reason: $line"
echo "$line" | grep -q "install OpenBLAS (the libopenblas0 package); -B ref" || fail "hint: $line"
out=$("$SC_BINDIR/sc-info" -B ref) || fail "sc-info -B ref exited $?"
echo "$out" | grep -q "UNAVAILABLE" && fail "sc-info -B ref: $out"

printf '# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n' > "$D/t.txt"
out=$("$SC_BINDIR/sc-detok" -B blas --synthetic "$D/t.txt" "$D/o.wav" 2>&1); rc=$?
[ $rc -eq 69 ] || fail "sc-detok without OpenBLAS: exit $rc, want 69: $out"
echo "$out"
echo "$out" | grep -q "install OpenBLAS (the libopenblas0 package), or use -B ref (plain C, slower)$" \
  || fail "sc-detok message: $out"
[ -e "$D/o.wav" ] && fail "sc-detok wrote output after failing"
rm -rf "$D"
echo "1 passed, 0 failed"
