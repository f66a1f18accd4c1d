#!/bin/sh
# Install the built packages and run the tools from the installed paths,
# with no build tree in sight: plugins come from the installed plugin
# directory, the synthetic-model manifests from /usr/share/sc/synth.
# Usage (as root): scripts/test-debs.sh DEBDIR [CLIP.wav]
set -eu
debs=$1
clip=${2:-}
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$debs"/libsc0_*.deb "$debs"/libsc-dev_*.deb \
    "$debs"/sc-tools_*.deb "$debs"/python3-semanticodec-c_*.deb >/dev/null
unset SC_PLUGIN_PATH SC_SYNTH_DIR SC_MODEL_DIR SC_LIBRARY PYTHONPATH
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
# python3-semanticodec-c: the module and its libsc from the installed
# paths; tokens and audio equal the tools' (same seed, same steps, and
# the OpenBLAS kernel numpy's import picked, which libsc then shares:
# doc/PYTHON.md).
core=$(python3 -c 'import ctypes, os, numpy
try:
    h = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD)
except OSError:
    h = None
if h:
    h.openblas_get_corename.restype = ctypes.c_char_p
    print(h.openblas_get_corename().decode())') || fail "python3: cannot import numpy"
sc-mel "$clip" | sc-tokenize --synthetic -f npy > tokens.npy || fail "sc-tokenize -f npy"
env ${core:+OPENBLAS_CORETYPE=$core} sc-detok --synthetic --steps 2 --seed 3 -f npy tokens.npy detok.npy \
    || fail "sc-detok -f npy"
python3 - "$PWD" "$clip" <<'PY' || fail "python3-semanticodec-c"
import os, sys
import numpy as np
import semanticodec_c
from semanticodec_c import SemantiCodec
work, clip = sys.argv[1], sys.argv[2]
clip = os.path.join(work, clip) if not os.path.isabs(clip) else clip
assert semanticodec_c.__file__.startswith("/usr/lib/python3/dist-packages/"), semanticodec_c.__file__
lib = semanticodec_c.library_path()
assert lib.startswith("/usr/lib/") and os.path.exists(lib), lib
with SemantiCodec(100, 16384, 2, model_synthetic=True, seed=3) as codec:
    tokens = codec.encode(clip)
    assert np.array_equal(tokens, np.load(os.path.join(work, "tokens.npy"))), "tokens differ from sc-tokenize"
    wave = codec.decode(tokens)
    assert wave.tobytes() == np.load(os.path.join(work, "detok.npy")).tobytes(), "audio differs from sc-detok"
    try:
        codec.encode(os.path.join(work, "missing.wav"))
        raise AssertionError("no error for a missing file")
    except FileNotFoundError as e:
        assert isinstance(e, semanticodec_c.Error) and e.code < 0
print("python3-semanticodec-c: %s from %s, %d tokens, %d samples" % (semanticodec_c.__file__, lib, tokens.shape[1], wave.shape[-1]))
PY
echo "installed packages: $n tokens, $(wc -c < out.wav) bytes of audio; 1 passed, 0 failed"
