#!/bin/sh
# A thread count of 0 means the CPUs the process may use, not the CPUs
# online: pinned to one CPU (taskset -c 0), sc-mel -j 0 runs one thread
# where it ran one per online CPU, and an explicit count is still obeyed.
# The count is the "N threads" debug line (-vv) of the session.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v taskset >/dev/null || { echo "SKIP: taskset (util-linux) is needed"; exit 77; }
T="$SC_SCRATCH/ncpus"
rm -rf "$T"
mkdir -p "$T" || fail "cannot create $T"
"$SC_BUILDDIR/tests/hardgen" wav -r 16000 -t s16 -n 0.05 1 "$T/in.wav" || fail "hardgen"

# threads CMD...: the thread count the session of CMD logs
threads() {
  "$@" -vv "$T/in.wav" "$T/out.mel" >"$T/log" 2>&1 || fail "$* exited $?: $(cat "$T/log")"
  n=$(sed -n 's/^sc-mel: debug: \([0-9][0-9]*\) threads.*/\1/p' "$T/log")
  [ -n "$n" ] || fail "$*: no thread count in: $(cat "$T/log")"
  echo "$n"
}
mel="$SC_BINDIR/sc-mel"
online=$(getconf _NPROCESSORS_ONLN)
all=$(threads "$mel" -j 0)
echo "online CPUs: $online, -j 0: $all threads"
[ "$all" -ge 1 ] && [ "$all" -le "$online" ] || fail "-j 0 ran $all threads on $online CPUs"
[ "$online" -ge 2 ] || echo "note: one CPU online: pinning cannot lower the count here"
n=$(threads taskset -c 0 "$mel" -j 0)
[ "$n" = 1 ] || fail "-j 0 pinned to one CPU ran $n threads"
n=$(threads env SC_THREADS=0 taskset -c 0 "$mel")
[ "$n" = 1 ] || fail "SC_THREADS=0 pinned to one CPU ran $n threads"
n=$(threads taskset -c 0 "$mel" -j 3)
[ "$n" = 3 ] || fail "-j 3 pinned to one CPU ran $n threads"
echo "ok: -j 0 pinned to one CPU runs 1 thread"
