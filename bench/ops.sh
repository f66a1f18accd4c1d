#!/bin/sh
# bench/ops.sh - op-level throughput of the compute backends at SemantiCodec's
# real shapes (gemm, UNet/VAE 3x3 convs, HiFi-GAN conv1d/convT1d, attention,
# LSTM steps at H=1536, nearest, norms, GELU) on 1 and 2 threads, against
# the measured ceilings: sgemm ~98 GFLOP/s (1 thread), ~190 (2 threads);
# DRAM ~20 GB/s (1 core), ~30 GB/s (2 cores) (shared/notes/TOOLCHAIN.md 4).
# Run through `make bench` (sets SC_PLUGIN_PATH).
# Env: BENCH_BACKENDS (default "blas"; add "ref" to see the oracle),
#      BENCH_THREADS (default "1 2"), BENCH_REPEATS (5), BENCH_FILTER.
set -e
B="${SC_BUILDDIR:-.}/bench/bench_ops"
test -x "$B" || { echo "ops.sh: $B not built" >&2; exit 1; }
for be in ${BENCH_BACKENDS:-blas}; do
    if ! ls "${SC_BUILDDIR:-.}/backends/backend_$be.la" >/dev/null 2>&1; then
        echo "$be: not built, skipped"
        continue
    fi
    for t in ${BENCH_THREADS:-1 2}; do
        "$B" -b "$be" -t "$t" -n "${BENCH_REPEATS:-5}" ${BENCH_FILTER:+-f "$BENCH_FILTER"}
    done
done
