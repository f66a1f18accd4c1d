#!/bin/sh
# sc-info lists the plugins found, says which backend serves each stage,
# and reports a plugin built for another ABI version as skipped with both
# version numbers; bad options give exit status 64.
set -u
fail() { echo "FAIL: $*"; exit 1; }
info="$SC_BINDIR/sc-info"
out=$(SC_PLUGIN_PATH="$SC_PLUGIN_PATH:$SC_BUILDDIR/tests/plugins/.libs" "$info") || fail "sc-info exited $?"
echo "$out"
echo "$out" | grep -q "backend *ref" || fail "ref backend not listed"
echo "$out" | grep -q "skipped: .*backend_badabi.so: plugin built for ABI version 42, this sc uses ABI version 1" \
  || fail "bad-ABI plugin not reported"
echo "$out" | grep -q "^  frontend *kaldi *on" || fail "stage table missing"
"$info" --version | grep -q "^sc-info (sc) " || fail "--version"
"$info" --help | grep -q "^Usage: sc-info" || fail "--help"
"$info" --bogus 2>/dev/null; [ $? -eq 64 ] || fail "unknown option must exit 64"
err=$("$info" -c /nonexistent.ini 2>&1); rc=$?
[ $rc -eq 66 ] || fail "missing -c file: exit $rc, want 66"
echo "$err" | grep -q "/nonexistent.ini" || fail "message must name the file: $err"
printf '[model]\nrate = 7\n' > "$SC_SCRATCH/bad-rate.ini" 2>/dev/null || { mkdir -p "$SC_SCRATCH"; printf '[model]\nrate = 7\n' > "$SC_SCRATCH/bad-rate.ini"; }
err=$("$info" -c "$SC_SCRATCH/bad-rate.ini" 2>&1); rc=$?
[ $rc -eq 78 ] || fail "bad config value: exit $rc, want 78"
echo "$err" | grep -q "bad-rate.ini:2:" || fail "message must give FILE:LINE: $err"
out=$("$info" "$SC_BUILDDIR/tests/plugins/.libs/backend_badabi.so" 2>&1); rc=$?
[ $rc -eq 78 ] || fail "loading a bad-ABI plugin by name: exit $rc, want 78"
echo "1 passed, 0 failed"
