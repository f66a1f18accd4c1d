#!/bin/sh
# Every manual page must be clean under mandoc -Tlint (warnings count).
set -u
command -v mandoc >/dev/null 2>&1 || { echo "mandoc is not installed"; exit 1; }
fail=0 n=0
for page in "$SC_SRCDIR"/man/*.[1-9]; do
  [ -e "$page" ] || continue
  n=$((n + 1))
  if ! out=$(mandoc -Tlint -Wwarning "$page" 2>&1) || [ -n "$out" ]; then
    echo "$out"; fail=$((fail + 1))
  fi
done
[ "$n" -gt 0 ] || { echo "no manual pages found"; exit 1; }
echo "$((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
