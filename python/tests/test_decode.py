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


def test_decode_bits_equal_sc_detok(short_decoded, golden, bindir, backend, tmp_path):
    out = tmp_path / "detok.npy"
    subprocess.run([os.path.join(bindir, "sc-detok"), "--synthetic", "-r", "100", "-V", "16384",
                    "-B", backend, "-q", "--steps", str(STEPS), "--seed", str(SEED),
                    "-f", "npy", golden("short_tr100_tokens.npy"), str(out)], check=True)
    want = np.load(out)
    assert want.shape == short_decoded.shape
    assert want.tobytes() == short_decoded.tobytes(), \
        "decode() differs from sc-detok at %d samples" % (want != short_decoded).sum()


def test_two_threads_decode_at_once(codec, backend, short_tokens, short_decoded):
    """Two codecs in two threads: each result has the bits of a decode
    alone, and the two foreign calls overlap in time, which they cannot
    unless ctypes releases the GIL during them."""
    other = open_codec(backend)
    try:
        barrier = threading.Barrier(2)
        results, spans, failures = {}, {}, []

        def run(name, c, tokens):
            try:
                barrier.wait()
                t0 = time.perf_counter()
                results[name] = c.decode(tokens)
                spans[name] = (t0, time.perf_counter())
            except BaseException as e:          # reported by the main thread
                failures.append(e)

        threads = [threading.Thread(target=run, args=("a", codec, short_tokens)),
                   threading.Thread(target=run, args=("b", other, FakeTensor(short_tokens)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        for name in "ab":
            assert results[name].tobytes() == short_decoded.tobytes(), name
        (a0, a1), (b0, b1) = spans["a"], spans["b"]
        assert max(a0, b0) < min(a1, b1), "the two decodes did not overlap: %s" % spans
    finally:
        other.close()
