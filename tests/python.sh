#!/bin/sh
# The Python package (python/semanticodec_c) under pytest, from the source
# tree against the build tree's libsc: python/tests/*.py.  Python 3 with
# numpy and pytest is required (Debian: python3-numpy python3-pytest); a
# missing one fails the test, as a missing parity kit does.
set -u
fail() { echo "FAIL: $*"; exit 1; }
py=${SC_PYTHON:-}
{ [ -n "$py" ] && [ "$py" != : ]; } || fail "configure found no python3 (Debian: python3 python3-numpy python3-pytest)"
"$py" -c 'import numpy, pytest' || fail "$py lacks numpy or pytest (Debian: python3-numpy python3-pytest)"
SC_LIBRARY="$SC_BUILDDIR/libsc/.libs/libsc.so"
[ -r "$SC_LIBRARY" ] || fail "$SC_LIBRARY: not built"
T="$SC_SCRATCH/python"
rm -rf "$T"; mkdir -p "$T" || fail "mkdir $T"
# No bytecode or cache in the source tree (distcheck makes it read-only).
PYTHONPATH="$SC_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1 SC_LIBRARY="$SC_LIBRARY" SC_PYTEST_TMP="$T" \
  "$py" -m pytest -q -p no:cacheprovider --basetemp="$T/pytest" -rfE "$SC_SRCDIR/python/tests"
rc=$?
case $rc in
  0) exit 0 ;;
  1) echo "FAIL: pytest: tests failed"; exit 1 ;;
  5) echo "FAIL: pytest collected no tests"; exit 1 ;;
  *) echo "ERROR: pytest exited $rc (interrupted, internal or usage error)"; exit 99 ;;
esac
