#!/bin/sh
# The decode progress covers the whole decode (issue 16 item 4): on a
# terminal, sc-detok's ETA at the last diffusion step still counts the VAE
# and HiFi-GAN ahead (it is not 0m00s), and the vocoder phase shows an ETA
# too.  Needs script(1) for a terminal; skipped without it.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
D=$SC_SCRATCH/progress
rm -rf "$D"
mkdir -p "$D"
BE=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && BE=blas
"$SC_BUILDDIR/tests/hardgen" tok -s 48000 152 "$D/t.sc" || { echo "FAIL: no input"; exit 1; }
script -qec "$SC_BINDIR/sc-detok --synthetic -B $BE --steps 4 $D/t.sc $D/o.wav; echo rc=\$?" \
  /dev/null 2>&1 | tr '\r' '\n' >"$D/tty.txt"
fail=0
grep -q 'rc=0$' "$D/tty.txt" || { echo "FAIL: decode failed: $(tail -c 300 "$D/tty.txt")"; exit 1; }
last=$(grep -o 'step 4/4  ETA [0-9hms]*' "$D/tty.txt" | tail -1)
case $last in
  '') echo "FAIL: no progress line for the last step"; fail=1 ;;
  *'ETA 0m00s') echo "FAIL: the last step's ETA ignores the vocoder: $last"; fail=1 ;;
  *) echo "ok: $last" ;;
esac
voc=$(grep -o 'vocoder  ETA [0-9hms]*' "$D/tty.txt" | tail -1)
[ -n "$voc" ] && echo "ok: $voc" || { echo "FAIL: the vocoder phase shows no ETA"; fail=1; }
[ $fail = 0 ] && echo "2 passed, 0 failed" || echo "checks failed"
exit $fail
