#!/bin/sh
# bench/decoder.sh - the decoder stage (T-UNet + DDIM + CFG) on one 10.24 s
# window at rate 100: seconds per UNet evaluation and per sampling step,
# GFLOP/s (53.2 GFLOP per evaluation, 40.7 with the context K/V cached;
# sgemm ceiling ~98 GFLOP/s per core, ~190 on 2), whole-window seconds at
# 50, 25 and 10 steps, and the ratio to the official code (TIMING.md:
# 0.88-1.50 s per UNet call, 140.7-162.1 s per window at 50 steps, 34.9 s
# at 10).  Peak RSS from /usr/bin/time when available.  Then the whole
# window end to end (sc-detok: UNet, VAE, HiFi-GAN) at the same step
# counts, against the official decode() times.
# Run through `make bench` (sets SC_PLUGIN_PATH, SC_SYNTH_DIR, SC_BUILDDIR).
# Env: BENCH_BACKENDS (default "blas ref"), BENCH_STEPS (default "50 25 10"),
#      BENCH_THREADS (default 2).
set -e
B="${SC_BUILDDIR:-.}/bench/bench_decoder"
test -x "$B" || { echo "decoder.sh: $B not built" >&2; exit 1; }
T=${BENCH_THREADS:-2}
TIME=
if [ -x /usr/bin/time ]; then TIME="/usr/bin/time -f %MkB_peak_RSS"; fi
for be in ${BENCH_BACKENDS:-blas ref}; do
    if [ "$be" != ref ] && ! ls "${SC_BUILDDIR:-.}/backends/backend_$be.la" >/dev/null 2>&1; then
        echo "$be: not built, skipped"
        continue
    fi
    args=""
    if [ "$be" = ref ]; then
        # plain C: one evaluation pair and a 10-step window show where it stands
        args="-s 10 -e 1"
    else
        for s in ${BENCH_STEPS:-50 25 10}; do args="$args -s $s"; done
    fi
    $TIME "$B" -b "$be" -t "$T" $args
done

# The whole window end to end, as a user runs it: sc-detok of the kit's
# golden rate-100 tokens (one window) with the official settings, model
# set-up excluded by sc-detok's own timer; peak RSS of the process.
if [ -n "${SC_BINDIR:-}" ] && [ -n "${SC_REFDIR:-}" ] && [ -x /usr/bin/time ] &&
   [ -e "${SC_BUILDDIR:-.}/backends/backend_blas.la" ]; then
    out="${SC_SCRATCH:-/tmp}/bench-detok"
    mkdir -p "$out"
    for s in ${BENCH_STEPS:-50 25 10}; do
        /usr/bin/time -f "%M" "$SC_BINDIR/sc-detok" --synthetic -B blas -j "$T" -v --steps "$s" \
            "$SC_REFDIR/golden/short_tr100_tokens.npy" "$out/w$s.wav" >"$out/log" 2>&1 ||
            { cat "$out/log"; exit 1; }
        sec=$(sed -n 's/.* in \([0-9.]*\) s (.*x real time).*/\1/p' "$out/log")
        rss=$(tail -n 1 "$out/log")
        awk -v s="$s" -v sec="$sec" -v rss="$rss" 'BEGIN {
            printf "sc-detok, one window, %d steps: %.1f s, peak RSS %.2f GiB", s, sec, rss / 1048576
            if (s == 50) printf "; official 140.7-162.1 s, 4.80 GiB: %.1f-%.1fx faster", 140.7 / sec, 162.1 / sec
            if (s == 10) printf "; official 34.9-35.1 s: %.1fx faster", 34.9 / sec
            printf "\n" }'
    done
fi
