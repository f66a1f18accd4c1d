#!/bin/sh
# bench/vocoder.sh - the vocoder stage per backend: VAE decoder and HiFi-GAN
# seconds per 10.24 s window, GFLOP/s against the sgemm ceiling of the same
# run (VAE 670.5 GFLOP, HiFi-GAN 1027 GFLOP per window), the ratio to the
# official code (TIMING.md: VAE 2.66-3.58 s, HiFi-GAN 4.52-5.50 s), then
# the end-to-end sc-detok time and peak RSS for one window (512 tokens'
# worth: any window costs the same) at 50 and 10 steps against the official
# decode (140.7-162.1 s at 50 steps, 34.9-35.1 s at 10).
# Run through `make bench` (sets SC_PLUGIN_PATH, SC_REFDIR, SC_SYNTH_DIR,
# SC_BUILDDIR, SC_BINDIR).
# Env: BENCH_BACKENDS (default "blas ref"), BENCH_REPEATS (3),
#      BENCH_THREADS (2), BENCH_E2E_STEPS (default "50 10"; empty: skip).
set -e
B="${SC_BUILDDIR:-.}/bench/bench_vocoder"
DETOK="${SC_BINDIR:-${SC_BUILDDIR:-.}/utils}/sc-detok"
test -x "$B" || { echo "vocoder.sh: $B not built" >&2; exit 1; }
T=${BENCH_THREADS:-2}
R=${BENCH_REPEATS:-3}
TIME=
if [ -x /usr/bin/time ]; then TIME="/usr/bin/time -f %es_%MkB_peak_RSS"; fi
TOKENS="${SC_REFDIR:-.}/golden/short_tr100_tokens.npy"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for be in ${BENCH_BACKENDS:-blas ref}; do
    if [ "$be" != ref ] && ! ls "${SC_BUILDDIR:-.}/backends/backend_$be.la" >/dev/null 2>&1; then
        echo "$be: not built, skipped"
        continue
    fi
    # ref is plain C: one repeat shows where it stands
    if [ "$be" = ref ]; then r=1; else r=$R; fi
    $TIME "$B" -b "$be" -t "$T" -n "$r"
    [ "$be" = ref ] && continue
    if [ -x "$DETOK" ] && [ -r "$TOKENS" ]; then
        for s in ${BENCH_E2E_STEPS-50 10}; do
            printf 'sc-detok one window, %s steps, %s: ' "$s" "$be"
            ${TIME:-time} "$DETOK" -q -B "$be" -j "$T" --synthetic -r 100 -V 16384 \
                --steps "$s" "$TOKENS" "$OUT/w.wav" 2>&1 | tail -1
        done
        echo "  (official decode of one window: 140.7-162.1 s at 50 steps, 34.9-35.1 s at 10)"
    fi
done
