#!/bin/sh
# Replays every fuzz target's seed corpus and saved findings
# (tests/fuzz/regress/TARGET/*) through the target's own checks, built
# without libFuzzer (fuzz/replay.c).  A finding aborts its replay program.
set -u
fail=0
for t in ini melstream tokstream audio detok_front npy ckpt; do
  prog="$SC_BUILDDIR/tests/replay_$t"
  set -- "$SC_SRCDIR/tests/fuzz/$t"
  [ -d "$SC_SRCDIR/tests/fuzz/regress/$t" ] && set -- "$@" "$SC_SRCDIR/tests/fuzz/regress/$t"
  if out=$("$prog" "$@" 2>&1); then
    echo "ok $t: $out"
  else
    echo "FAIL $t (exit $?): $out"
    fail=1
  fi
done
exit $fail
