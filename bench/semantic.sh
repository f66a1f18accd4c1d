#!/bin/sh
# bench/semantic.sh - the semantic stage per backend: AudioMAE s/window and
# GFLOP/s (97 GFLOP/window; sgemm ceiling ~98 GFLOP/s per core, ~190 on 2),
# and the codebook search per window at each rate, vs TIMING.md (official
# code on 2 threads: AudioMAE 0.85 s/window, quantiser 0.054 s/window).
# Run through `make bench` (sets SC_PLUGIN_PATH, SC_REFDIR, SC_SYNTH_DIR).
# Env: BENCH_BACKENDS (default "ref blas"), BENCH_WINDOWS (2), BENCH_REPEATS (3).
set -e
B="${SC_BUILDDIR:-.}/bench/bench_semantic"
test -x "$B" || { echo "semantic.sh: $B not built" >&2; exit 1; }
W=${BENCH_WINDOWS:-2}
R=${BENCH_REPEATS:-3}
# Wall times mean little on a shared machine: say how busy it was.  The CPU
# columns (all threads of the process) are the robust measure.
echo "semantic.sh: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs;" \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<autodetect>}"
for be in ${BENCH_BACKENDS:-ref blas}; do
    if [ "$be" != ref ] && ! ls "${SC_BUILDDIR:-.}/backends/backend_$be.la" >/dev/null 2>&1; then
        echo "$be: not built, skipped"
        continue
    fi
    # ref is plain C: one repeat of one window is enough to see where it stands.
    if [ "$be" = ref ]; then w=1; r=1; else w=$W; r=$R; fi
    for t in 1 2; do
        "$B" -b "$be" -t $t -w $w -n $r -q
    done
    for rate in 100 50 25; do
        "$B" -b "$be" -t 2 -w $w -n $r -r $rate -v 16384 -s
    done
    "$B" -b "$be" -t 2 -w $w -n $r -r 100 -v 32768 -s
done
