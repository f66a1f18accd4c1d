#!/bin/sh
# Install the built packages and run the tools from the installed paths,
# with no build tree in sight: plugins come from the installed plugin
# directory, the synthetic-model manifests from /usr/share/sc/synth.
# Usage (as root): scripts/test-debs.sh DEBDIR [CLIP.wav]
set -eu
debs=$1
clip=${2:-}
# --reinstall: a rebuilt package of the same version replaces the installed one
apt-get -o DPkg::Lock::Timeout=600 install --reinstall -y -qq "$debs"/libsc0_*.deb "$debs"/libsc-dev_*.deb \
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
# paths, numpy imported first (its OpenBLAS loaded with numpy's own kernel
# choice; libsc's blas backend computes with a private copy), no kernel
# pinned on either side.  Once at the rate of the tests, once at a rate and
# vocabulary they never use (50 and 8192) on a 44.1 kHz stereo clip they
# never see: the official shapes and lengths, the tools' tokens, sc-detok's
# bits with the same seed, and exceptions for bad input.
# Debian's interpreter, the one the package installs for (not a python3
# that PATH may find first, e.g. pyenv's)
py=/usr/bin/python3
"$py" -c 'import numpy' || fail "$py: cannot import numpy"
sc-mel "$clip" | sc-tokenize --synthetic -f npy > tokens.npy || fail "sc-tokenize -f npy"
sc-detok --synthetic --steps 2 --seed 3 -f npy tokens.npy detok.npy || fail "sc-detok -f npy"
sox -q -n -r 44100 -b 16 -c 2 clip50.wav synth 4.3 sine 300-3000 sine 150 gain -3 || fail "sox"
sc-mel clip50.wav | sc-tokenize --synthetic -r 50 -V 8192 -f npy > tokens50.npy \
    || fail "sc-tokenize -r 50 -V 8192"
sc-detok --synthetic -r 50 -V 8192 --steps 2 --seed 11 -f npy tokens50.npy detok50.npy \
    || fail "sc-detok -r 50 -V 8192"
"$py" - "$PWD" "$clip" <<'PY' || fail "python3-semanticodec-c"
import math, os, sys, wave
import numpy as np
import semanticodec_c
from semanticodec_c import SemantiCodec
work, clip = sys.argv[1], sys.argv[2]
clip = os.path.join(work, clip) if not os.path.isabs(clip) else clip
def npy(name):
    return np.load(os.path.join(work, name))
assert semanticodec_c.__file__.startswith("/usr/lib/python3/dist-packages/"), semanticodec_c.__file__
lib = semanticodec_c.library_path()
assert lib.startswith("/usr/lib/") and os.path.exists(lib), lib
def expect(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        assert isinstance(e, semanticodec_c.Error) and e.code < 0 and str(e), repr(e)
        return
    raise AssertionError("no %s from %s%r" % (exc.__name__, fn.__name__, args))
with SemantiCodec(100, 16384, 2, model_synthetic=True, seed=3) as codec:
    tokens = codec.encode(clip)
    assert np.array_equal(tokens, npy("tokens.npy")), "tokens differ from sc-tokenize"
    wave100 = codec.decode(tokens)
    assert wave100.tobytes() == npy("detok.npy").tobytes(), "audio differs from sc-detok"
    expect(FileNotFoundError, codec.encode, os.path.join(work, "missing.wav"))
# rate 50, vocabulary 8192: the official arithmetic of lengths
clip50 = os.path.join(work, "clip50.wav")
with wave.open(clip50, "rb") as w:
    rate, frames = w.getframerate(), w.getnframes()
    pcm = np.frombuffer(w.readframes(frames), dtype="<i2").reshape(frames, w.getnchannels())
d = math.ceil(frames * 16000 / rate) / 16000          # seconds at 16 kHz
d = d + (0.16 - d % 0.16)
pairs = math.ceil(8 * d / 0.16 / 2)                    # stack factor 100 / 50
with SemantiCodec(50, 8192, 2, model_synthetic=True, seed=11) as codec:
    assert (codec.token_rate, codec.semantic_vocab_size) == (50, 8192)
    t50 = codec.encode(clip50)
    assert t50.dtype == np.int64 and t50.shape == (1, pairs, 2), (t50.dtype, t50.shape, pairs)
    assert np.array_equal(t50, npy("tokens50.npy")), "rate 50: tokens differ from sc-tokenize"
    assert 0 <= t50[..., 0].min() and t50[..., 0].max() < 8192, "semantic token out of range"
    arr = codec.encode(pcm.astype(np.float32) / 32768, sample_rate=rate)
    assert np.array_equal(arr, t50), "rate 50: array input gives other tokens than the file"
    w50 = codec.decode(t50)
    n = int((pairs / 8) * 16 * 0.01 * 2 * 16000)
    assert w50.dtype == np.float32 and w50.shape == (1, 1, n), (w50.dtype, w50.shape, n)
    assert w50.tobytes() == npy("detok50.npy").tobytes(), "rate 50: audio differs from sc-detok"
    bad = t50.copy()
    bad[0, 0, 0] = 8192                                 # in range at vocab 16384
    expect(ValueError, codec.decode, bad)
    expect(ValueError, codec.decode, t50[0, :, 0])      # no pairs
    nan = pcm.astype(np.float32) / 32768
    nan[100, 0] = np.nan                                # channel 0: the one the codec reads
    expect(ValueError, codec.encode, nan, rate)
print("python3-semanticodec-c: %s from %s; rate 100: %d tokens, %d samples; "
      "rate 50 vocab 8192: %d tokens, %d samples, bits of the tools" % (
          semanticodec_c.__file__, lib, tokens.shape[1], wave100.shape[-1], pairs, n))
PY
echo "installed packages: $n tokens, $(wc -c < out.wav) bytes of audio; 1 passed, 0 failed"
