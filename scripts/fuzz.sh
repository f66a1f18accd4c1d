#!/bin/sh
# scripts/fuzz.sh - run the libFuzzer targets one after another.
#
#   scripts/fuzz.sh [-t SECONDS] [-w WORKDIR] [-b BUILDDIR] [TARGET...]
#
# BUILDDIR is a build configured with CC=clang --enable-fuzzing (and ASan +
# UBSan in CFLAGS/LDFLAGS); default: the current directory.  Each target
# runs for SECONDS (default 600) on WORKDIR/corpus/TARGET, which starts as a
# copy of the seeds in tests/fuzz/TARGET and is kept between runs, so a
# second campaign continues where the first stopped.  Findings land in
# WORKDIR/artifacts/TARGET/; copy each one into tests/fuzz/regress/TARGET/
# (tests/fuzz-replay.sh replays them in make check) once it is fixed.
# Prints one summary line per target: executions, edges (cov), features
# (ft), corpus size and findings, from libFuzzer's final statistics.
# Exit status: 0 when no target found anything, 1 otherwise, 64 on a usage
# error.
set -u
secs=600
work=fuzz-work
build=.
while getopts t:w:b: o; do
  case $o in
    t) secs=$OPTARG ;;
    w) work=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-w WORKDIR] [-b BUILDDIR] [TARGET...]" >&2; exit 64 ;;
  esac
done
shift $((OPTIND - 1))
src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- ini melstream tokstream audio detok_front npy ckpt
mkdir -p "$work" || exit 64
work=$(cd "$work" && pwd)
found=0
for t in "$@"; do
  bin="$build/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "$0: $bin not built (configure --enable-fuzzing)" >&2; exit 64; }
  case $t in
    ini) maxlen=4096 ;;
    audio|detok_front|ckpt) maxlen=16384 ;;
    *) maxlen=8192 ;;
  esac
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  cp -n "$src/tests/fuzz/$t"/* "$work/corpus/$t/" 2>/dev/null
  dict=
  [ -f "$src/fuzz/$t.dict" ] && dict="-dict=$src/fuzz/$t.dict"
  log="$work/$t.log"
  # -fork=0: one process; ASan/UBSan abort on the first finding.
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/fuzz/lsan.supp} \
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=$maxlen \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" $dict \
      "$work/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
  nart=$(ls "$work/artifacts/$t" | wc -l)
  echo "$t: ${secs}s exit $rc, ${execs:-?} executions, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}, findings $nart"
  [ "$rc" -eq 0 ] && [ "$nart" -eq 0 ] || found=1
done
exit $found
