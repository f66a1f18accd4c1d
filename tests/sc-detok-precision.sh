#!/bin/sh
# sc-detok --precision and [backend] precision (issue 15 item 4): bad
# values and backends or CPUs without bf16 kernels are configuration
# errors (78, one line naming the setting, no output); auto without them
# is fp32, bit for bit; where the CPU has AVX-512 BF16, bf16 decodes the
# same bits at 1 and 2 threads and stays close to fp32.  The kernels'
# numerics are checked in tests/check_ops (bf16).  One guided evaluation
# of the short clip per decode.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_REFDIR:?}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
DETOK=$SC_BINDIR/sc-detok
CMP=$SC_BUILDDIR/tests/npycmp
G=$SC_REFDIR/golden
D=$SC_SCRATCH/sc-detok-precision
rm -rf "$D"
mkdir -p "$D"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
T=$G/short_tr100_tokens.npy
[ -r "$T" ] || { echo "FAIL: parity kit file missing: $T"; exit 1; }
M="--synthetic -r 100 -V 16384"
S="--sampler dpmsolver++ --order 1 --steps 1 -f npy"

expect_fail() {  # NAME STATUS PATTERN -- command...
  name=$1 want=$2 pat=$3; shift 4
  "$@" >"$D/stdout" 2>"$D/err"
  rc=$?
  lines=$(wc -l <"$D/err" | tr -d ' ')
  if [ $rc -ne "$want" ]; then bad "$name: exit status $rc, not $want: $(cat "$D/err")"
  elif [ -e "$D/o.npy" ]; then bad "$name: left output behind"
  elif ! grep -q -- "$pat" "$D/err"; then bad "$name: message lacks '$pat': $(cat "$D/err")"
  elif [ "$lines" -ne 1 ]; then bad "$name: $lines lines on stderr: $(cat "$D/err")"
  else ok "$name: $(cat "$D/err")"; fi
}
decode() {  # OUT ARGS...: a decode that must succeed
  out=$1; shift
  "$DETOK" -q $M $S "$@" "$T" "$out" 2>"$D/err" || bad "sc-detok $*: $(cat "$D/err")"
}

expect_fail "--precision=fp16" 78 "option --precision" -- \
  "$DETOK" -q $M $S --precision=fp16 "$T" "$D/o.npy"
printf '[backend]\nprecision = half\n' >"$D/half.ini"
expect_fail "precision = half" 78 "half.ini:2: .*precision" -- \
  "$DETOK" -q $M $S -c "$D/half.ini" "$T" "$D/o.npy"
# the reference is fp32 by definition
expect_fail "ref backend, bf16" 78 "precision = bf16" -- \
  "$DETOK" -q $M $S -B ref --precision bf16 "$T" "$D/o.npy"

if [ ! -e "$SC_BUILDDIR/backends/backend_blas.la" ]; then
  echo "skip: blas precision (no blas backend)"
  exit $fail
fi
# a CPU without AVX-512 BF16, as the generic kernels (any CPU runs them)
printf '[backend]\noptions = isa=generic\n' >"$D/generic.ini"
expect_fail "isa=generic, bf16" 78 "precision = bf16 needs" -- \
  "$DETOK" -q $M $S -c "$D/generic.ini" --precision bf16 "$T" "$D/o.npy"
decode "$D/g-fp32.npy" -c "$D/generic.ini" -j 2
decode "$D/g-auto.npy" -c "$D/generic.ini" -j 2 --precision auto
if cmp -s "$D/g-fp32.npy" "$D/g-auto.npy"; then ok "isa=generic: auto is fp32, bit for bit"
else bad "isa=generic: auto differs from fp32"; fi

if ! grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null; then
  expect_fail "no AVX-512 BF16, bf16" 78 "precision = bf16 needs" -- \
    "$DETOK" -q $M $S --precision bf16 "$T" "$D/o.npy"
  echo "skip: bf16 decodes (this CPU lacks AVX-512 BF16)"
  exit $fail
fi
decode "$D/fp32.npy" -j 2
decode "$D/bf16-1.npy" -j 1 --precision bf16
decode "$D/bf16-2.npy" -j 2 --precision bf16
decode "$D/auto.npy" -j 2 --precision auto
if cmp -s "$D/bf16-1.npy" "$D/bf16-2.npy"; then ok "bf16: same bits at 1 and 2 threads"
else bad "bf16: 1 and 2 threads differ"; fi
if cmp -s "$D/bf16-2.npy" "$D/auto.npy"; then ok "auto is bf16 on this CPU"
else bad "auto differs from bf16 on a CPU with AVX-512 BF16"; fi
if cmp -s "$D/fp32.npy" "$D/bf16-2.npy"; then bad "bf16 gave the fp32 bits: not in effect"
else ok "bf16 differs from fp32"; fi
# close to fp32: synthetic weights, wave of RMS ~0.1-0.3; bf16 errors are
# a few 1e-3 of it (see README: SI-SDR ~30 dB)
if r=$("$CMP" -a 0.05 -r 0.01 "$D/bf16-2.npy" "$D/fp32.npy"); then ok "bf16 near fp32: $r"
else bad "bf16 far from fp32: $r"; fi
exit $fail
