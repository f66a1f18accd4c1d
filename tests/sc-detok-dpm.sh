#!/bin/sh
# sc-detok(1) with the DPM-Solver samplers: --sampler/--order/--method/--skip
# and the x_T-only --noise layout reach the decoder (the dpm_short_2m10
# golden: the vendored solver on the official model, wave within 1e-4),
# --latents writes the solver's final latents [windows, 8, 256, 16] (the
# golden's latent within 1e-4), --fast and --preset balanced are their
# spelled-out settings bit for bit (latents and wave, so two decodes also
# agree), and bad settings are usage errors (one line naming the culprit,
# no output).
# Every setting's numerics are checked in tests/check_dpm.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_REFDIR:?}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}"
DETOK=$SC_BINDIR/sc-detok
CMP=$SC_BUILDDIR/tests/npycmp
G=$SC_REFDIR/golden
GD=$SC_REFDIR/golden-dpm
D=$SC_SCRATCH/sc-detok-dpm
rm -rf "$D"
mkdir -p "$D"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
for f in "$G/short_tr100_tokens.npy" "$G/long_ddim_noise_all.npy" "$GD/dpm_short_2m10_xT.npy" \
         "$GD/dpm_short_2m10_wave.npy" "$GD/dpm_short_2m10_latent.npy" "$G/long_tr100_tokens.npy"; do
  [ -r "$f" ] || { echo "FAIL: parity kit file missing: $f"; exit 1; }
done
be=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && be=blas
M="--synthetic -r 100 -V 16384 -B $be"

# 1. the golden case through the tool (10 guided evaluations)
if "$DETOK" -q $M --sampler dpmsolver++ --steps 10 --order 2 --method multistep \
     --skip time_uniform --noise "$GD/dpm_short_2m10_xT.npy" -f npy \
     --latents "$D/2m10_lat.npy" "$G/short_tr100_tokens.npy" "$D/2m10.npy" 2>"$D/err"; then
  if r=$("$CMP" -a 1e-4 "$D/2m10.npy" "$GD/dpm_short_2m10_wave.npy"); then
    ok "$be dpm_short_2m10 wave: $r"
  else bad "$be dpm_short_2m10 wave: $r"; fi
  # npycmp checks the shape too: [1, 8, 256, 16]
  if r=$("$CMP" -a 1e-4 "$D/2m10_lat.npy" "$GD/dpm_short_2m10_latent.npy"); then
    ok "$be dpm_short_2m10 --latents: $r"
  else bad "$be dpm_short_2m10 --latents: $r"; fi
else bad "sc-detok --sampler dpmsolver++ failed: $(cat "$D/err")"; fi

# 2. the presets (README "Sampler accuracy") are their spelled-out options
T=$G/short_tr100_tokens.npy
same_as() {  # NAME "PRESET OPTIONS" "SPELLED-OUT OPTIONS"
  # shellcheck disable=SC2086
  if "$DETOK" -q $M $2 --latents "$D/$1_lat.npy" -f npy "$T" "$D/$1.npy" 2>"$D/err" &&
     "$DETOK" -q $M $3 --latents "$D/$1x_lat.npy" -f npy "$T" "$D/$1x.npy" 2>>"$D/err"; then
    for x in _lat ""; do
      if r=$("$CMP" -a 0 "$D/$1$x.npy" "$D/$1x$x.npy"); then ok "$2$x = $3: $r"
      else bad "$2$x differs from $3: $r"; fi
    done
  else bad "$2 decode failed: $(cat "$D/err")"; fi
}
# DPM-Solver++ 2M, 10 evaluations; 2M with logSNR steps, 20 evaluations
same_as fast "--fast" "--sampler dpmsolver++ --order 2 --method multistep --skip time_uniform --steps 10"
same_as bal "--preset balanced" \
  "--sampler dpmsolver++ --order 2 --method multistep --skip logSNR --steps 20"

# 3. bad settings: exit status, one line, no output
expect_fail() {  # NAME STATUS PATTERN -- command...
  name=$1 want=$2 pat=$3; shift 4
  "$@" >"$D/stdout" 2>"$D/err"
  rc=$?
  lines=$(wc -l <"$D/err" | tr -d ' ')
  if [ $rc -ne "$want" ]; then bad "$name: exit status $rc, not $want: $(cat "$D/err")"
  elif [ -e "$D/o.wav" ] || [ -e "$D/o_lat.npy" ]; then bad "$name: left output behind"
  elif ! grep -q -- "$pat" "$D/err"; then bad "$name: message lacks '$pat': $(cat "$D/err")"
  elif [ "$lines" -ne 1 ]; then bad "$name: $lines lines on stderr: $(cat "$D/err")"
  else ok "$name: $(cat "$D/err")"; fi
}
expect_fail "unknown preset" 78 "option --preset: bad value 'quick' for decoder.preset (fast, balanced or official)" -- \
  "$DETOK" -q $M --preset quick "$T" "$D/o.wav"
expect_fail "unknown sampler" 78 "sampler" -- "$DETOK" -q $M --sampler dpm "$T" "$D/o.wav"
expect_fail "order 4" 78 "order" -- "$DETOK" -q $M --sampler dpmsolver --order 4 "$T" "$D/o.wav"
expect_fail "unknown method" 78 "adaptive" -- \
  "$DETOK" -q $M --sampler dpmsolver --method adaptive "$T" "$D/o.wav"
expect_fail "unknown skip" 78 "logsnr" -- \
  "$DETOK" -q $M --sampler dpmsolver --skip logsnr "$T" "$D/o.wav"
expect_fail "multistep order 3, 2 steps" 64 "needs at least 3 steps" -- \
  "$DETOK" -q $M --sampler dpmsolver++ --order 3 --steps 2 "$T" "$D/o.wav"
# options beside --fast override it, before or after it
expect_fail "--fast --order 3 --steps 2" 64 "multistep order 3 needs at least 3 steps" -- \
  "$DETOK" -q $M --fast --order 3 --steps 2 "$T" "$D/o.wav"
expect_fail "--steps 2 --order 3 --fast" 64 "multistep order 3 needs at least 3 steps" -- \
  "$DETOK" -q $M --steps 2 --order 3 --fast "$T" "$D/o.wav"
expect_fail "DDIM noise for a DPM-Solver" 65 "x_T only" -- \
  "$DETOK" -q $M --sampler dpmsolver++ --steps 5 --noise "$G/long_ddim_noise_all.npy" "$T" "$D/o.wav"
# --latents: never over an input or the audio output, never to stdout;
# a failed decode leaves no latents file
expect_fail "--latents over the tokens" 64 "same file as the input" -- \
  "$DETOK" -q $M --latents "$T" "$T" "$D/o.wav"
expect_fail "--latents over the audio output" 64 "same file\|audio output" -- \
  "$DETOK" -q $M --latents "$D/o.wav" "$T" "$D/o.wav"
expect_fail "--latents to stdout" 64 "not stdout" -- "$DETOK" -q $M --latents - "$T" "$D/o.wav"
expect_fail "--latents, bad noise" 65 "x_T only" -- \
  "$DETOK" -q $M --sampler dpmsolver++ --steps 5 --noise "$G/long_ddim_noise_all.npy" \
  --latents "$D/o_lat.npy" "$T" "$D/o.wav"
expect_fail "--latents, noise for too few windows" 65 "noise for 1 windows" -- \
  "$DETOK" -q $M --sampler dpmsolver++ --steps 5 --noise "$GD/dpm_short_2m10_xT.npy" \
  --latents "$D/o_lat.npy" "$G/long_tr100_tokens.npy" "$D/o.wav"
expect_fail "--latents in a missing folder" 74 "o_lat.npy: cannot create" -- \
  "$DETOK" -q $M --latents "$D/none/o_lat.npy" "$T" "$D/o.wav"
exit $fail
