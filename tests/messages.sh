#!/bin/sh
# Messages a user meets first: a tool refusing to write binary data to a
# terminal says how to avoid it, "(give OUT or redirect)", as sc-mel does
# (sc-detok, sc-spectro).
# Needs script(1) for a terminal; skipped without it.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
D="$SC_SCRATCH/messages"
rm -rf "$D"; mkdir -p "$D" || fail "cannot create $D"
printf '# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n3 4\n' > "$D/t.txt"
on_tty() {  # on_tty WHAT CMD: run CMD with stdout on a terminal, expect exit 64 and the hint
  out=$(script -qec "$2; echo rc=\$?" /dev/null 2>&1 | tr -d '\r')
  case $out in
    *"refusing to write"*"to a terminal (give OUT or redirect)"*rc=64*) echo "$1: $(echo "$out" | grep refusing)" ;;
    *) fail "$1: $out" ;;
  esac
}
on_tty "sc-detok" "'$SC_BINDIR/sc-detok' -q --synthetic '$D/t.txt'"
"$SC_BUILDDIR/tests/hardgen" wav 0.2 "$D/a.wav" || fail "hardgen"
on_tty "sc-spectro" "'$SC_BINDIR/sc-spectro' -o - '$D/a.wav'"
rm -rf "$D"
echo "1 passed, 0 failed"
