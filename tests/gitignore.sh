#!/bin/sh
# An in-tree build leaves a clean git tree: every program it builds (tools,
# benches, tests, fuzzers) and the demo's folder are ignored, and no
# tracked file matches an ignore pattern.  Skipped outside a git checkout
# or in a separate build directory.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
cd "$SC_SRCDIR" || fail "cannot enter $SC_SRCDIR"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
[ "$(cd "$SC_BUILDDIR" && pwd -P)" = "$(pwd -P)" ] || { echo "SKIP: not an in-tree build"; exit 77; }
bad=$(git ls-files -ci --exclude-standard)
[ -z "$bad" ] || fail "tracked files matched by .gitignore: $bad"
n=0
for f in utils/* bench/* tests/* fuzz/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  git ls-files --error-unmatch "$f" >/dev/null 2>&1 && continue    # a tracked script
  git check-ignore -q "$f" || fail "$f: built, but not ignored"
  n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n built programs found: is the tree built?"
git check-ignore -q demo/decoded.wav || fail "demo/ (scripts/demo.sh's output) not ignored"
for f in utils/sc-mel.c bench/bench_ops.c tests/check_core.c fuzz/fuzz_ini.c build-aux/nvcc-libtool; do
  git check-ignore -q "$f" && fail "$f: a source file is ignored"
done
echo "$n built programs ignored; 1 passed, 0 failed"
