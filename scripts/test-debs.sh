#!/bin/sh
# Install the built packages and run the tools from the installed paths,
# with no build tree in sight: plugins come from the installed plugin
# directory, the synthetic-model manifests from /usr/share/sc/synth.
# Usage (as root): scripts/test-debs.sh DEBDIR [CLIP.wav]
set -eu
debs=$1
clip=${2:-}
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$debs"/libsc0_*.deb "$debs"/libsc-dev_*.deb \
    "$debs"/sc-tools_*.deb >/dev/null
unset SC_PLUGIN_PATH SC_SYNTH_DIR SC_MODEL_DIR
examples=$(cd "$(dirname "$0")/../examples" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
sc-info | tee info.txt
grep -q "backend *ref" info.txt || fail "ref backend not installed"
grep -q "backend *blas" info.txt || fail "blas backend not installed"
grep -q "NOT FOUND" info.txt && fail "a stage plugin is missing"
grep -q "UNAVAILABLE" info.txt && fail "a backend cannot start (its library not installed?)"
# the relations a user relies on, and the docs in sc-tools' own directory
deb=$(ls "$debs"/sc-tools_*.deb | head -1)
dpkg-deb -f "$deb" Depends | grep -q "libopenblas0" || fail "sc-tools does not depend on OpenBLAS"
dpkg-deb -f "$deb" Recommends | grep -q "curl" || fail "sc-tools does not recommend curl"
dpkg -L sc-tools | grep -Eqx '/usr/share/doc/sc-tools/README.md(.gz)?' || fail "README not in /usr/share/doc/sc-tools"
dpkg -L sc-tools | grep -q "^/usr/share/doc/sc/" && fail "docs under /usr/share/doc/sc"
[ -n "$clip" ] || { sox -q -n -r 16000 -b 16 -c 1 clip.wav synth 3 sine 200-2000; clip=clip.wav; }
sc-mel "$clip" | sc-tokenize --synthetic -f text > tokens.txt
n=$(grep -vc '^#' tokens.txt)
[ "$n" -gt 0 ] || fail "no tokens"
sc-detok --synthetic --steps 2 tokens.txt out.wav
[ -s out.wav ] || fail "no audio"
pkg-config --modversion libsc
printf '#include <sc/sc.h>\nint main(void){return sc_exit_status(SC_EARG)==64?0:1;}\n' > t.c
cc t.c $(pkg-config --cflags --libs libsc) -o t && ./t || fail "libsc-dev: cannot build against libsc"
# the codec API from the installed headers alone: the tokens of the tools
cc "$examples/encode.c" $(pkg-config --cflags --libs libsc) -o encode \
    || fail "libsc-dev: cannot build examples/encode.c"
sox -q "$clip" -t f32 clip.f32 remix 1
./encode "$(soxi -r "$clip")" 1 clip.f32 model.synthetic=yes > api.txt || fail "examples/encode"
grep -v '^#' tokens.txt | cmp -s - api.txt || fail "examples/encode differs from sc-mel | sc-tokenize"
man -w sc-mel >/dev/null || fail "no man page"
man -w sc_codec >/dev/null || fail "no sc_codec(3) man page"
echo "installed packages: $n tokens, $(wc -c < out.wav) bytes of audio; 1 passed, 0 failed"
