"""decode(): the official length, the same bits as sc-detok with the same
seed, any input form, and two codecs decoding in two threads at once."""

import os
import subprocess
import threading
import time

import numpy as np

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


def blas_core():
    """The kernel family of the OpenBLAS in this process.  libsc's blas
    backend forces SkylakeX/Haswell by ISA when it loads OpenBLAS itself,
    but numpy has usually loaded it first with its own choice (Cooperlake
    on the AVX-512 EPYC here), and kernels differ in the last bits."""
    import ctypes
    try:
        h = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)
    except OSError:
        return None
    h.openblas_get_corename.restype = ctypes.c_char_p
    return h.openblas_get_corename().decode()


def test_decode_bits_equal_sc_detok(short_decoded, golden, bindir, backend, tmp_path):
    """sc-detok with the same seed and the same BLAS kernel."""
    env = dict(os.environ)
    core = blas_core()
    if backend == "blas":
        assert core, "the blas backend ran, but no OpenBLAS is loaded"
        env["OPENBLAS_CORETYPE"] = core
    out = tmp_path / "detok.npy"
    subprocess.run([os.path.join(bindir, "sc-detok"), "--synthetic", "-r", "100", "-V", "16384",
                    "-B", backend, "-q", "--steps", str(STEPS), "--seed", str(SEED),
                    "-f", "npy", golden("short_tr100_tokens.npy"), str(out)], check=True, env=env)
    want = np.load(out)
    assert want.shape == short_decoded.shape
    assert want.tobytes() == short_decoded.tobytes(), \
        "decode() differs from sc-detok (OPENBLAS_CORETYPE=%s) at %d samples" % (
            core, (want != short_decoded).sum())


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
