#!/bin/sh
# The README's first command works as root on a fresh Debian 12: it runs
# apt-get update first, has no sudo, installs every build dependency of
# debian/control and of CI (.ci/run) plus git and curl; one line says to
# add sudo when not root; the test command .ci/run mirrors is there
# verbatim.  The download sizes it gives are the ones sc-model fetch
# prints (run with a fake curl: nothing is downloaded).
set -u
fail() { echo "FAIL: $*"; exit 1; }
R="$SC_SRCDIR/README.md"
[ -r "$R" ] || fail "no README.md"
cmd=$(awk '/^## Quick start/ { q = 1 } q && /^    [^ ]/ { sub(/^    /, ""); print; exit }' "$R")
echo "first command: $cmd"
case $cmd in
  "apt-get update && apt-get install -y "*) ;;
  *) fail "the first command must start with apt-get update && apt-get install -y: $cmd" ;;
esac
case $cmd in *sudo*) fail "the first command uses sudo (root-only machines have none)" ;; esac
pkgs=$(echo "$cmd" | sed 's/^apt-get update && apt-get install -y //; s/ &&.*//')
has() { echo " $pkgs " | grep -q " $1 "; }
for p in git curl; do has $p || fail "the first command does not install $p"; done
if [ -r "$SC_SRCDIR/debian/control" ]; then
  deps=$(awk '/^Build-Depends:/ { b = 1; sub(/^Build-Depends:/, "") } b && /^[^ ]/ && !/^Build-Depends/ { b = 0 }
              b { print }' "$SC_SRCDIR/debian/control" | tr ',' '\n' | sed 's/(.*//; s/^[ \t]*//; s/[ \t]*$//' |
         sed 's/ *<.*//' | grep -v '^debhelper-compat' | grep -v '^dh-' | grep -v '^python3$' |
         grep -v '^$' | sed 's/^pkgconf$/pkg-config/')
  # Packaging tools (debhelper, dh-python) build the .deb only; python3
  # itself comes with python3-numpy.
  for p in $deps; do has "$p" || fail "Build-Depends has $p, the README's command does not"; done
fi
if [ -r "$SC_SRCDIR/.ci/run" ]; then
  ci=$(sed -n '/apt-get .* install/,/>\/dev\/null/p' "$SC_SRCDIR/.ci/run" | tr ' \\' '\n\n' |
       grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -Ev '^(install|apt-get|valgrind|SUDO)$')
  for p in $ci; do has "$p" || fail ".ci/run installs $p, the README's command does not"; done
fi
grep -qx "Not root: put \`sudo\` before both \`apt-get\` commands." "$R" || fail "no line about sudo"
grep -qx "    ./autogen.sh && ./configure && make -j2 && make check -j2" "$R" || fail "test command missing"
for s in "## Installing" "## The model" "SC_MODEL_DIR" "scripts/build-deb.sh" "make install"; do
  grep -q "$s" "$R" || fail "README lacks '$s'"
done

# sizes: sc-model fetch with a fake curl prints the total of each rate
D="$SC_SCRATCH/readme"
rm -rf "$D"; mkdir -p "$D" || fail "cannot create $D"
printf '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && o=$2; shift; done; printf x > "$o"\n' > "$D/curl"
chmod +x "$D/curl"
size() {  # size ARGS: the total sc-model fetch announces
  SC_CURL="$D/curl" "$SC_BINDIR/sc-model" fetch "$@" -o "$D/m$#${2:-}${4:-}" --no-verify 2>&1 |
    sed -n 's/^sc-model: [0-9]* files, about \(.*\), to download into .*/\1/p'
}
for r in 100 50 25; do
  total=$(size --rate $r)
  [ -n "$total" ] || fail "sc-model fetch --rate $r printed no total"
  grep -Eq "^\| $r \|.*\| $total \|$" "$R" || fail "README: rate $r is not $total"
  echo "rate $r: $total"
done
all=$(size)
grep -q "^| all three | | | | $all |$" "$R" || fail "README: all three rates are not $all"
one=$(size --rate 100 --vocab 16384)
grep -q "sc-model fetch --rate 100 --vocab 16384 -o DIR\` downloads $one" "$R" || fail "README: rate 100 vocabulary 16384 is not $one"
rm -rf "$D"
echo "all: $all; 1 passed, 0 failed"
