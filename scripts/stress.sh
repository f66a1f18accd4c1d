#!/bin/sh
# scripts/stress.sh - the same tokens on every run, under CPU contention
# (issue 12, item 3); `make check-stress`.
#
#   scripts/stress.sh [-n RUNS] [-p PARALLEL] [-j THREADS] [-b BUSY]
#                     [-c CPUS] [-m MODELDIR] [-w WORKDIR]
#
# Makes a 3 s 16 kHz clip (tests/hardgen), turns it into a mel stream once,
# and runs `sc-tokenize -m MODELDIR -r 100 -V 16384 -B blas -j THREADS` on
# it RUNS times (default 500, also $SC_STRESS_RUNS), PARALLEL (default 3)
# at once, while BUSY (default 1) busy loops compete for the CPUs: the
# threads of the pool are preempted at random points, which is how an
# intermittent race shows.  With -c, every run is pinned to the CPU list
# CPUS (taskset): `-c 0 -j 2` puts two threads on one core, the most
# preemption there is.  Every run's token file (text form) must equal the
# first one byte for byte, and every run must exit 0.  Prints "N passed, M
# failed"; a failing run's tokens and messages are kept in WORKDIR.
# Exit 0 when all passed, 1 otherwise, 64 on a usage error.
#
# Without -m the model is a synthetic one written once to WORKDIR/model
# (`sc-model synth`, 2.4 GB, kept for the next time): each run then only
# maps it, where --synthetic would generate all the weights again.  One
# run is one 10 s window through both encoders, some 10 s of CPU (the
# acoustic LSTM's recurrence is most of it), so 500 runs are 80 to 90 CPU
# minutes, hours of wall time on 2 busy cores.
#
# Environment as in make check (SC_BINDIR, SC_BUILDDIR, SC_PLUGIN_PATH,
# SC_SYNTH_DIR).
set -u
runs=${SC_STRESS_RUNS:-500} par=3 threads=2 busy=1 work=stress-work cpus= model=
usage="usage: $0 [-n RUNS] [-p PARALLEL] [-j THREADS] [-b BUSY] [-c CPUS] [-m MODELDIR] [-w WORKDIR]"
while getopts n:p:j:b:c:m:w: o; do
  case $o in
    n) runs=$OPTARG ;;
    p) par=$OPTARG ;;
    j) threads=$OPTARG ;;
    b) busy=$OPTARG ;;
    c) cpus=$OPTARG ;;
    m) model=$OPTARG ;;
    w) work=$OPTARG ;;
    *) echo "$usage" >&2; exit 64 ;;
  esac
done
for v in "$runs" "$par" "$threads" "$busy"; do
  case $v in ''|*[!0-9]*) echo "$0: not a count: '$v'" >&2; exit 64 ;; esac
done
[ "$runs" -ge 1 ] && [ "$par" -ge 1 ] || { echo "$0: RUNS and PARALLEL must be at least 1" >&2; exit 64; }
[ $# -ge "$OPTIND" ] && { echo "$usage" >&2; exit 64; }
pin=
if [ -n "$cpus" ]; then
  command -v taskset >/dev/null || { echo "$0: -c needs taskset (util-linux)" >&2; exit 64; }
  taskset -c "$cpus" true 2>/dev/null || { echo "$0: -c: cannot pin to CPUs '$cpus'" >&2; exit 64; }
  pin="taskset -c $cpus"
fi
: "${SC_BINDIR:?run with make check-stress (SC_BINDIR unset)}" "${SC_BUILDDIR:?}"

be=ref
[ -r "$SC_BUILDDIR/backends/.libs/backend_blas.so" ] && be=blas
tok="$SC_BINDIR/sc-tokenize"
mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd)
rm -f "$work"/run.* "$work"/fail.*
if [ -z "$model" ]; then
  # The stamp says a whole model was written (an interrupted synth leaves none).
  model="$work/model"
  if [ ! -e "$model/.stress-complete" ]; then
    rm -rf "$model"
    "$SC_BINDIR/sc-model" synth -q --rate 100 --vocab 16384 -o "$model" &&
      : >"$model/.stress-complete" || { echo "cannot write the synthetic model to $model"; exit 1; }
  fi
fi
[ -d "$model" ] || { echo "$0: no model directory '$model'" >&2; exit 66; }
"$SC_BUILDDIR/tests/hardgen" wav -r 16000 -t s16 -n 0.05 3 "$work/clip.wav" &&
  "$SC_BINDIR/sc-mel" -q "$work/clip.wav" "$work/clip.mel" || { echo "cannot make the clip"; exit 1; }

busy_pids= passed=0 failed=0
stop_busy() {
  for p in $busy_pids; do kill "$p" 2>/dev/null; done
  busy_pids=
}
trap 'stop_busy; echo "interrupted: $passed passed, $failed failed"; exit 1' INT TERM
i=0
while [ "$i" -lt "$busy" ]; do
  (while :; do :; done) &
  busy_pids="$busy_pids $!"
  i=$((i + 1))
done

one() {  # one N: run N, its exit status in run.N.rc
  $pin "$tok" -m "$model" -r 100 -V 16384 -B "$be" -q -j "$threads" -f text "$work/clip.mel" \
    "$work/run.$1.txt" 2>"$work/run.$1.err"
  echo $? >"$work/run.$1.rc"
}
check() {  # check N: compare run N with the first; count it
  rc=$(cat "$work/run.$1.rc" 2>/dev/null || echo none)
  if [ "$rc" = 0 ] && cmp -s "$work/first.txt" "$work/run.$1.txt"; then
    passed=$((passed + 1))
    rm -f "$work/run.$1".*
  else
    failed=$((failed + 1))
    for f in "$work/run.$1".*; do mv "$f" "$work/fail.${f#"$work/run."}"; done
    echo "run $1: exit $rc, $(cmp "$work/first.txt" "$work/fail.$1.txt" 2>&1 | head -1)"
  fi
}

start=$(date +%s)
one 0
[ "$(cat "$work/run.0.rc")" = 0 ] || { stop_busy; echo "first run failed: $(cat "$work/run.0.err")"; exit 1; }
mv "$work/run.0.txt" "$work/first.txt"
rm -f "$work"/run.0.*
passed=1
n=1
while [ "$n" -lt "$runs" ]; do
  batch= pids=
  k=0
  while [ "$k" -lt "$par" ] && [ "$n" -lt "$runs" ]; do
    one "$n" &
    pids="$pids $!"
    batch="$batch $n"
    n=$((n + 1))
    k=$((k + 1))
  done
  wait $pids
  for b in $batch; do
    check "$b"
  done
  [ $((n % 10)) -lt "$par" ] && echo "$n runs, $failed failed, $(($(date +%s) - start)) s" >&2
done
stop_busy
echo "sc-tokenize -j $threads -B $be${cpus:+ on CPUs $cpus}, $par at once beside $busy busy loop(s), $(($(date +%s) - start)) s:"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
