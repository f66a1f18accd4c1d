#!/bin/sh
# .ci/sanitize.sh - the memory-safety part of CI (issue 8).
#
#   .ci/sanitize.sh [PLAIN_BUILDDIR]
#
# 1. Builds the tree out of tree with gcc AddressSanitizer + UBSan
#    (_sanitize/asan; every UB report aborts, LeakSanitizer on) and runs the
#    fast part of `make check` there: core, ckpt, npy, synth, frontend,
#    tokstream, man-lint, sc-info, faults and the fuzz replays.
#    Then a short clip through sc-mel | sc-tokenize | sc-detok --steps 2,
#    all three built with ASan + UBSan.
#    Then a ThreadSanitizer build (_sanitize/tsan): the pool tests and the
#    encoder and decoder tools at 2 and 3 threads.
# 2. Runs sc-mel (whole clip) and sc-tokenize (model set-up and a cut
#    stream; the whole window with SC_SANITIZE_FULL=1, some 15 CPU minutes)
#    under valgrind memcheck, from PLAIN_BUILDDIR (an ordinary build that
#    already has its tools and plugins, e.g. the tree .ci/run built) or,
#    without it, from a build of its own (_sanitize/plain).
# Exits non-zero on any finding: a failed test, a sanitizer report, a
# valgrind error or a definite leak.  Needs gcc, valgrind, mandoc and the
# build dependencies of .ci/run.  Takes about 15 minutes on 2 cores.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
plain=${1:-}
work=${SC_SANITIZE_DIR:-$src/_sanitize}
jobs=${SC_SANITIZE_JOBS:-2}
status=0
say() { echo "== sanitize: $*"; }

[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh) || exit 1
# Out-of-tree builds need a source tree that is not configured in place,
# and the README's build configures the checkout itself: build from a
# pristine copy of the committed tree then.
cfgsrc=$src
# The parity kit sits beside the checkout, not beside the copy.
refdir=${SC_REFDIR:-$(cd "$src/.." && pwd)/shared/reference}
if [ -f "$src/config.status" ]; then
  cfgsrc=$work/src
  rm -rf "$cfgsrc" && mkdir -p "$cfgsrc" || exit 1
  (cd "$src" && git archive HEAD) | tar -x -C "$cfgsrc" || exit 1
  (cd "$cfgsrc" && ./autogen.sh >/dev/null 2>&1) || exit 1
fi

# ---------------------------------------------------------------- ASan + UBSan
mkdir -p "$work/asan" && cd "$work/asan" || exit 1
if [ ! -f Makefile ]; then
  say "configure (ASan + UBSan)"
  "$cfgsrc/configure" -q --with-reference="$refdir" CC=gcc \
    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
    LDFLAGS="-fsanitize=address,undefined" || exit 1
fi
say "build"
make -j"$jobs" >build.log 2>&1 || { tail -n 40 build.log; exit 1; }
tests="tests/check_core tests/check_ckpt tests/check_npy tests/check_synth tests/check_frontend
  tests/check_tokstream tests/man-lint.sh tests/sc-info.sh tests/faults.sh tests/fuzz-replay.sh"
progs="tests/check_core tests/check_ckpt tests/check_npy tests/check_synth tests/check_frontend
  tests/check_tokstream tests/hardgen tests/replay_ini tests/replay_melstream
  tests/replay_tokstream tests/replay_audio tests/replay_detok_front tests/replay_npy
  tests/replay_ckpt"
say "make check (reduced): $(echo $tests)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:print_summary=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS=suppressions=$src/fuzz/lsan.supp \
SC_SANITIZE=1 \
  make -j"$jobs" check TESTS="$(echo $tests)" check_PROGRAMS="$(echo $progs)" >check.log 2>&1 ||
  status=1
for t in $tests; do
  log=${t%.sh}.log   # automake: tests/x.sh logs to tests/x.log
  [ -f "$log" ] || { echo "$t: no log"; status=1; continue; }
  grep -E '^[0-9]+%: Checks:|passed, [0-9]+ failed|^(PASS|FAIL|ERROR|SKIP)|:[FE]:|^FAIL:|Sanitizer|runtime error' "$log"
done
[ $status = 0 ] || { say "FAILED under ASan/UBSan (logs in $work/asan/tests)"; tail -n 30 check.log; }

# The whole chain once under ASan/UBSan (LeakSanitizer checks every exit):
# a 2.5 s 44.1 kHz clip through sc-mel | sc-tokenize | sc-detok --steps 2.
asan_env() {
  env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions=$src/fuzz/lsan.supp \
    SC_PLUGIN_PATH="$work/asan/backends/.libs:$work/asan/plugins/.libs" \
    SC_SYNTH_DIR="$src/data/synth" OPENBLAS_NUM_THREADS=1 XDG_CONFIG_HOME="$work/xdg" "$@"
}
chain=$work/chain
rm -rf "$chain" && mkdir -p "$chain"
cd "$work/asan" || exit 1
if ./tests/hardgen wav -r 44100 -t s16 -n 0.05 2.5 "$chain/a.wav" &&
   asan_env utils/sc-mel -q "$chain/a.wav" - 2>"$chain/mel.err" |
     asan_env utils/sc-tokenize -q --synthetic -B blas - "$chain/a.sctk" 2>"$chain/tok.err" &&
   asan_env utils/sc-detok -q --synthetic -B blas --steps 2 "$chain/a.sctk" "$chain/b.wav" \
     2>"$chain/detok.err" && [ -s "$chain/b.wav" ]; then
  say "ASan chain sc-mel | sc-tokenize | sc-detok: clean"
else
  say "ASan chain FAILED"
  cat "$chain"/*.err
  status=1
fi

# ---------------------------------------------------------------- TSan
# The thread pool and everything run on it, built with ThreadSanitizer: the
# pool's own tests, then the encoder and the decoder at 2 and 3 threads
# (sc-mel | sc-tokenize, sc-encode of two files batched through the LSTM,
# sc-detok with the guidance tails side by side (pair=1, the default at 2
# threads) and without).  OpenBLAS is not instrumented: each worker's
# sgemm is invisible to TSan, but every hand-off between workers goes
# through the pool, which is.  No suppressions are needed.
mkdir -p "$work/tsan" && cd "$work/tsan" || exit 1
if [ ! -f Makefile ]; then
  say "configure (TSan)"
  "$cfgsrc/configure" -q --with-reference="$refdir" CC=gcc \
    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" LDFLAGS="-fsanitize=thread" || exit 1
fi
say "build (TSan)"
make -j"$jobs" all tests/check_core tests/hardgen >build.log 2>&1 || { tail -n 40 build.log; exit 1; }
tsan_env() {
  env TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
    SC_PLUGIN_PATH="$work/tsan/backends/.libs:$work/tsan/plugins/.libs" \
    SC_SYNTH_DIR="$src/data/synth" OPENBLAS_NUM_THREADS=1 XDG_CONFIG_HOME="$work/xdg" "$@"
}
tsan=$work/tsan-run
rm -rf "$tsan" && mkdir -p "$tsan"
printf '[acoustic]\nbatch = 2\n' >"$tsan/b2.ini"
printf '[decoder]\noptions = pair=0\n' >"$tsan/pair0.ini"
M="--synthetic -r 100 -V 16384 -B blas -q"
trun() {  # NAME CMD...: clean when it exits 0 and TSan said nothing
  name=$1
  shift
  if tsan_env "$@" >"$tsan/$name.out" 2>"$tsan/$name.err" && ! grep -q ThreadSanitizer "$tsan/$name.err"; then
    say "TSan $name: clean"
  else
    say "TSan $name: FAILED"
    head -n 60 "$tsan/$name.err"
    status=1
  fi
}
./tests/hardgen wav -r 16000 -t s16 -n 0.05 3 "$tsan/a.wav" &&
  ./tests/hardgen wav -r 44100 -t s16 -n 0.05 2.5 "$tsan/b.wav" || exit 1
if env TSAN_OPTIONS="halt_on_error=1 exitcode=66" CK_FORK=no \
     make -j"$jobs" check TESTS=tests/check_core check_PROGRAMS=tests/check_core >check.log 2>&1 &&
   ! grep -q ThreadSanitizer tests/check_core.log; then
  say "TSan check_core (the pool): clean"
else
  say "TSan check_core: FAILED"
  tail -n 60 tests/check_core.log
  status=1
fi
trun sc-mel ./libtool --mode=execute utils/sc-mel -q -j 2 "$tsan/a.wav" "$tsan/a.mel"
trun sc-tokenize ./libtool --mode=execute utils/sc-tokenize $M -j 2 "$tsan/a.mel" "$tsan/a.tok"
trun sc-encode ./libtool --mode=execute utils/sc-encode $M -c "$tsan/b2.ini" -j 3 \
  "$tsan/a.wav" "$tsan/b.wav" -O "$tsan"
trun sc-detok ./libtool --mode=execute utils/sc-detok $M --steps 1 -j 2 "$tsan/a.tok" "$tsan/a1.wav"
trun sc-detok-pair0 ./libtool --mode=execute utils/sc-detok $M -c "$tsan/pair0.ini" --steps 1 -j 3 \
  "$tsan/a.tok" "$tsan/a2.wav"

# ---------------------------------------------------------------- valgrind
if [ -z "$plain" ]; then
  plain=$work/plain
  mkdir -p "$plain" && cd "$plain" || exit 1
  if [ ! -f Makefile ]; then
    say "configure (plain, for valgrind)"
    "$cfgsrc/configure" -q --with-reference="$refdir" CFLAGS="-O1 -g" || exit 1
  fi
  say "build (plain)"
  make -j"$jobs" all tests/hardgen >build.log 2>&1 || { tail -n 40 build.log; exit 1; }
else
  plain=$(cd "$plain" && pwd)
  (cd "$plain" && make -j"$jobs" tests/hardgen >/dev/null 2>&1) || { echo "no hardgen in $plain"; exit 1; }
fi
cd "$plain" || exit 1
export SC_PLUGIN_PATH="$plain/backends/.libs:$plain/plugins/.libs"
export SC_SYNTH_DIR="$src/data/synth" OPENBLAS_NUM_THREADS=1
export XDG_CONFIG_HOME="$work/xdg"
vg="./libtool --mode=execute valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=30"
clip=$work/clip
rm -rf "$clip" && mkdir -p "$clip"
./tests/hardgen wav -r 44100 -t s16 -n 0.05 2.5 "$clip/a.wav" || exit 1
vrun() {  # NAME CMD...
  name=$1
  shift
  if $vg "$@" 2>"$clip/$name.err"; then
    say "valgrind $name: clean"
  else
    say "valgrind $name: FAILED (exit $?)"
    cat "$clip/$name.err"
    status=1
  fi
}
# sc-mel resamples the 44.1 kHz clip.  sc-tokenize sets up the synthetic
# model, reads the stream and stops at its cut (the tool's own exit 65):
# one window through the encoder takes some 15 CPU minutes under valgrind,
# so the full run is only done with SC_SANITIZE_FULL=1 (the ASan chain above
# covers it otherwise).
vrun sc-mel utils/sc-mel -q "$clip/a.wav" "$clip/a.mel"
head -c 300000 "$clip/a.mel" >"$clip/cut.mel"
if $vg utils/sc-tokenize -q --synthetic -B blas "$clip/cut.mel" "$clip/cut.tok" 2>"$clip/cut.err"; then
  say "valgrind sc-tokenize (cut stream): exit 0, expected 65"; status=1
else
  rc=$?
  if [ $rc = 65 ] && grep -q "truncated mel stream" "$clip/cut.err"; then
    say "valgrind sc-tokenize (model set-up, cut stream): clean"
  else
    say "valgrind sc-tokenize (cut stream): FAILED (exit $rc)"; cat "$clip/cut.err"; status=1
  fi
fi
if [ -n "${SC_SANITIZE_FULL:-}" ]; then
  vrun sc-tokenize utils/sc-tokenize -q --synthetic -B blas "$clip/a.mel" "$clip/a.tok"
  [ -s "$clip/a.tok" ] || { say "no tokens written"; status=1; }
fi

[ $status = 0 ] && say "all clean" || say "FINDINGS (exit 1)"
exit $status
