"""decode(): the official length, the same bits as sc-detok with the same
seed, any input form, and two codecs decoding in two threads at once."""

import os
import platform
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from conftest import SEED, STEPS, official_samples, open_codec


class FakeTensor:
    """Stands for a torch tensor: only .numpy()."""

    def __init__(self, a):
        self._a = a

    def numpy(self):
        return self._a


def test_decode_shape_and_length(short_decoded, short_tokens):
    assert isinstance(short_decoded, np.ndarray)
    assert short_decoded.dtype == np.float32
    n = official_samples(short_tokens.shape[1], 100)
    assert short_decoded.shape == (1, 1, n) == (1, 1, 53760)
    assert np.isfinite(short_decoded).all()
    assert 0 < np.abs(short_decoded).max() < 1


def test_decode_bits_equal_sc_detok(short_decoded, golden, bindir, backend, tmp_path):
    """sc-detok with the same seed gives the same bits, with no kernel
    pinned on either side.  numpy was imported first (conftest), so its
    OpenBLAS, if it has one, was loaded with numpy's own kernel choice
    (Cooperlake on the AVX-512 EPYC here, where sc picks SkylakeX); the
    blas backend computes with a private copy of its own."""
    out = tmp_path / "detok.npy"
    subprocess.run([os.path.join(bindir, "sc-detok"), "--synthetic", "-r", "100", "-V", "16384",
                    "-B", backend, "-q", "--steps", str(STEPS), "--seed", str(SEED),
                    "-f", "npy", golden("short_tr100_tokens.npy"), str(out)], check=True)
    want = np.load(out)
    assert want.shape == short_decoded.shape
    assert want.tobytes() == short_decoded.tobytes(), \
        "decode() differs from sc-detok at %d samples (max %g)" % (
            (want != short_decoded).sum(), np.abs(want - short_decoded).max())


# A host process that has its own OpenBLAS with other kernels and threads.
HOST_SCRIPT = r"""
import ctypes, os, sys
import numpy as np
try:                                    # numpy's, when numpy uses OpenBLAS
    h = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)
except OSError:
    h = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_LOCAL)
h.openblas_get_corename.restype = ctypes.c_char_p
core = h.openblas_get_corename().decode()
assert core.lower() == "prescott", "host OpenBLAS has %s kernels, not Prescott" % core
del os.environ["OPENBLAS_CORETYPE"]     # sc chooses its own
h.openblas_set_num_threads(2)
import semanticodec_c
c = semanticodec_c.SemantiCodec(100, 16384, ddim_sample_step=int(sys.argv[1]), seed=int(sys.argv[2]),
                                backend=sys.argv[3], model_synthetic=True)
np.save(sys.argv[5], c.decode(np.load(sys.argv[4])))
c.close()
assert h.openblas_get_num_threads() == 2, "the codec changed the host's OpenBLAS threads to %d" % (
    h.openblas_get_num_threads())
"""


def test_decode_beside_host_openblas(short_decoded, golden, backend, tmp_path):
    """A process whose own OpenBLAS runs the SSE3 Prescott kernels with 2
    threads: decode() still gives sc-detok's bits (short_decoded, checked
    above), and the host's thread count is left as it set it."""
    if backend != "blas":
        pytest.skip("the blas backend is not built")
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("Prescott kernels are x86-64 ones")
    out = tmp_path / "host.npy"
    env = dict(os.environ, OPENBLAS_CORETYPE="Prescott")
    r = subprocess.run([sys.executable, "-c", HOST_SCRIPT, str(STEPS), str(SEED), backend,
                        golden("short_tr100_tokens.npy"), str(out)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 0, r.stdout
    got = np.load(out)
    assert got.shape == short_decoded.shape
    assert got.tobytes() == short_decoded.tobytes(), \
        "decode() beside a Prescott OpenBLAS differs at %d samples (max %g)" % (
            (got != short_decoded).sum(), np.abs(got - short_decoded).max())


def test_two_threads_decode_at_once(codec, backend, short_tokens, short_decoded):
    """Two codecs decode in two threads: each result has the bits of a
    decode alone, and the main thread keeps running Python meanwhile,
    which it cannot unless ctypes releases the GIL during the calls (with
    ctypes.PyDLL its longest pause is a whole decode)."""
    other = open_codec(backend)
    try:
        results, spans, failures = {}, {}, []

        def run(name, c, tokens):
            try:
                t0 = time.perf_counter()
                results[name] = c.decode(tokens)
                spans[name] = time.perf_counter() - t0
            except BaseException as e:          # reported by the main thread
                failures.append(e)

        threads = [threading.Thread(target=run, args=("a", codec, short_tokens)),
                   threading.Thread(target=run, args=("b", other, FakeTensor(short_tokens)))]
        last, pause = time.perf_counter(), 0.0   # before start(): a thread
        for t in threads:                         # holding the GIL blocks it
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(0.01)
            now = time.perf_counter()
            pause, last = max(pause, now - last), now
        for t in threads:
            t.join()
        assert not failures, failures
        for name in "ab":
            assert results[name].tobytes() == short_decoded.tobytes(), name
        assert pause < 0.5 * min(spans.values()), \
            "the main thread stood still for %.1f s of %s s of decoding" % (pause, spans)
    finally:
        other.close()
