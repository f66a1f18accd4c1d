"""Shared fixtures: the parity kit, the build tree's tools, and codecs with
the synthetic weights the goldens were made with (rate 100, vocab 16384).

The environment comes from tests/python.sh (make check): SC_REFDIR,
SC_BINDIR, SC_BUILDDIR, SC_PLUGIN_PATH, SC_SYNTH_DIR, SC_LIBRARY.  A
missing parity kit fails the tests, it never skips them.
"""

import os

import numpy as np
import pytest

import semanticodec_c

# Few DDIM steps keep each decode at about the VAE + HiFi-GAN cost.
STEPS = 2
SEED = 7


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail("$%s is not set: run the tests with make check (tests/python.sh)" % name)
    return value


@pytest.fixture(scope="session")
def golden():
    """Path of a file of the parity kit's golden/ folder (fails if absent)."""
    folder = os.path.join(_env("SC_REFDIR"), "golden")

    def path(name):
        p = os.path.join(folder, name)
        if not os.path.exists(p):
            pytest.fail("parity kit file missing: %s" % p)
        return p
    return path


@pytest.fixture(scope="session")
def bindir():
    return _env("SC_BINDIR")


@pytest.fixture(scope="session")
def backend():
    """The fastest CPU backend built: blas when it is there."""
    blas = os.path.join(_env("SC_BUILDDIR"), "backends", ".libs", "backend_blas.so")
    return "blas" if os.path.exists(blas) else "ref"


def open_codec(backend, **kw):
    args = dict(ddim_sample_step=STEPS, seed=SEED, backend=backend, model_synthetic=True)
    args.update(kw)
    return semanticodec_c.SemantiCodec(100, 16384, **args)


@pytest.fixture(scope="session")
def codec(backend):
    """One codec for the session: weights are generated once."""
    c = open_codec(backend)
    yield c
    c.close()


@pytest.fixture(scope="session")
def short_tokens(golden):
    """The official tokens of the short clip, int64 [1, 168, 2]."""
    return np.load(golden("short_tr100_tokens.npy"))


@pytest.fixture(scope="session")
def short_encoded(codec, golden):
    """encode() of the short clip's WAV (each encode costs a window's
    worth of BiLSTM, seconds: tests share this one)."""
    return codec.encode(golden("short_wave.wav"))


@pytest.fixture(scope="session")
def short_decoded(codec, short_tokens):
    """decode() of the official short-clip tokens, given as a nested list."""
    return codec.decode(short_tokens.tolist())


def read_wav(path):
    """A 16-bit PCM WAV as float32 [frames, channels], scaled by 1/32768
    as libsndfile reads it (stdlib only: the tests need no soundfile)."""
    import wave
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2, "%s: not 16-bit PCM" % path
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / 32768.0).reshape(-1, channels), rate


def official_pairs(samples_16k, token_rate):
    """The official encode()'s token count for a 16 kHz length (load_audio's
    arithmetic, in the same float operations)."""
    import math
    k = 100 / token_rate
    d = samples_16k / 16000
    d = d + (0.16 - d % 0.16)
    return math.ceil(8 * d / 0.16 / k)


def official_samples(pairs, token_rate):
    """The official decode()'s output length for `pairs` tokens."""
    k = 100 / token_rate
    return int((pairs / 8) * 16 * 0.01 * k * 16000)
