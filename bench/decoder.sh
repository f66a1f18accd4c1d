#!/bin/sh
# bench/decoder.sh - the decoder stage (T-UNet + DDIM + CFG) on one 10.24 s
# window at rate 100: seconds per UNet evaluation and per sampling step,
# GFLOP/s (53.2 GFLOP per evaluation, 40.7 with the context K/V cached;
# sgemm ceiling ~98 GFLOP/s per core, ~190 on 2), whole-window seconds at
# 50, 25 and 10 steps, and the ratio to the official code (TIMING.md:
# 0.88-1.50 s per UNet call, 140.7-162.1 s per window at 50 steps, 34.9 s
# at 10).  Peak RSS from /usr/bin/time when available.
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
