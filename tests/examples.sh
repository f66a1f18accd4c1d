#!/bin/sh
# examples/encode and examples/decode (sc/codec.h alone, four calls)
# against the tools: the samples of a 48 kHz file encode to the tokens of
# sc-mel | sc-tokenize, and decode bit for bit like sc-detok with the same
# seed and step count; bad tokens are an error naming the row.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_REFDIR:?}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
fail() { echo "FAIL: $*"; exit 1; }
G=$SC_REFDIR/golden
D=$SC_SCRATCH/examples
E=$SC_BUILDDIR/examples
rm -rf "$D"; mkdir -p "$D" || fail "mkdir $D"
[ -r "$G/short_wave.wav" ] || fail "parity kit file missing: $G/short_wave.wav"
command -v sox >/dev/null || fail "sox is needed to make the 48 kHz input"
be=ref
[ -r "$SC_BUILDDIR/backends/.libs/backend_blas.so" ] && be=blas
M="--synthetic -r 100 -V 16384 -B $be -q"
S="model.synthetic=yes model.rate=100 model.vocab=16384 backend.default=$be"

# A 48 kHz float WAV and its samples as raw float32: the same numbers.
sox "$G/short_wave.wav" -r 48000 -e float -b 32 "$D/in48.wav" || fail "sox"
sox "$D/in48.wav" -t f32 "$D/in48.f32" || fail "sox f32"

"$E/encode" 48000 1 "$D/in48.f32" $S >"$D/api.txt" 2>"$D/err" || fail "encode: $(cat "$D/err")"
"$SC_BINDIR/sc-mel" $M "$D/in48.wav" | "$SC_BINDIR/sc-tokenize" $M -f text >"$D/tools.txt" \
  || fail "sc-mel | sc-tokenize"
grep -v '^#' "$D/tools.txt" >"$D/tools.pairs"
n=$(wc -l <"$D/api.txt")
[ "$n" -eq 168 ] || fail "encode gave $n pairs, the official count for 3.3 s is 168"
cmp -s "$D/api.txt" "$D/tools.pairs" || fail "examples/encode differs from sc-mel | sc-tokenize"
echo "ok: examples/encode of 48 kHz samples = sc-mel | sc-tokenize ($n pairs)"

# Decode at 2 steps, seed 11, the length the token header records.
samples=$(sed -n 's/^# sc-tokens.* samples=\([0-9]*\).*/\1/p' "$D/tools.txt")
[ -n "$samples" ] || fail "no samples= in the token header"
"$E/decode" "$samples" $S decoder.steps=2 decoder.seed=11 <"$D/api.txt" >"$D/api.f32" \
  2>"$D/err" || fail "decode: $(cat "$D/err")"
"$SC_BINDIR/sc-detok" $M --steps 2 --seed 11 -f raw --sample f32 "$D/tools.txt" "$D/detok.raw" \
  || fail "sc-detok"
[ "$(wc -c <"$D/api.f32")" -eq $((samples * 4)) ] || fail "decode: not $samples samples"
cmp "$D/api.f32" "$D/detok.raw" || fail "examples/decode differs from sc-detok"
echo "ok: examples/decode = sc-detok, bit for bit ($samples samples)"

# Bad input: a token out of range is refused, naming its row.
sed '3s/.*/9 8192/' "$D/api.txt" >"$D/bad.txt"
if "$E/decode" 0 $S <"$D/bad.txt" >"$D/bad.f32" 2>"$D/err"; then
  fail "decode accepted an acoustic token of 8192"
fi
grep -q "token 2: acoustic index 8192" "$D/err" || fail "decode: unexpected message: $(cat "$D/err")"
echo "ok: $(cat "$D/err")"
echo "all passed"
