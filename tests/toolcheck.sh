# tests/toolcheck.sh - the harness that faults.sh and hostile.sh share:
# tool paths, a scratch folder $D (named by the caller's $CASE), the model
# options $M, and checks of one run's status, message and leftovers.
# Sourced, not run; the caller ends with `exit $fail`.
set -u
: "${SC_BINDIR:?run with make check}" "${SC_SCRATCH:?}" "${SC_BUILDDIR:?}" "${CASE:?}"
MEL=$SC_BINDIR/sc-mel
TOK=$SC_BINDIR/sc-tokenize
DETOK=$SC_BINDIR/sc-detok
ENC=$SC_BINDIR/sc-encode
DEC=$SC_BINDIR/sc-decode
SPECTRO=$SC_BINDIR/sc-spectro
GEN=$SC_BUILDDIR/tests/hardgen
D=$SC_SCRATCH/$CASE
rm -rf "$D"
mkdir -p "$D"
BE=ref
[ -e "$SC_BUILDDIR/backends/backend_blas.la" ] && BE=blas
M="--synthetic -B $BE -q"
TO="timeout 300"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# expect NAME RC-LIST REGEX [OUTPUT...]: the last run's status ($rc) is one
# of RC-LIST, its stderr ($D/err) is exactly one line matching REGEX (or
# empty when REGEX is -), and none of OUTPUT nor OUTPUT.tmp.* exists.
expect() {
  name=$1 codes=$2 re=$3
  shift 3
  case " $codes " in *" $rc "*) ;; *)
    bad "$name: exit $rc, expected one of $codes: $(head -c 300 "$D/err")"; return ;; esac
  lines=$(wc -l <"$D/err")
  if [ "$re" = - ]; then
    [ "$lines" -eq 0 ] || { bad "$name: unexpected message: $(head -c 300 "$D/err")"; return; }
  elif [ "$lines" -ne 1 ] || ! grep -Eq "$re" "$D/err"; then
    bad "$name: expected one line matching '$re', got $lines: $(head -c 300 "$D/err")"; return
  fi
  for o in "$@"; do
    for f in "$o" "$o".tmp.*; do
      [ -e "$f" ] && { bad "$name: $f left behind"; return; }
    done
  done
  if [ -s "$D/err" ]; then ok "$name (exit $rc: $(cat "$D/err"))"; else ok "$name (exit $rc)"; fi
}

# run CMD...: run under timeout, stderr to $D/err, status to $rc.
run() { rc=0; $TO "$@" 2>"$D/err" || rc=$?; }
