"""Tokens through the Python API equal the official encode() (the parity
kit's goldens, synthetic weights), from a path, from an array, and from
encode_many; shapes, dtypes and lengths are the official ones.  Every
encode costs seconds (a window through the BiLSTM), so they are few."""

import numpy as np

from conftest import official_pairs, read_wav


def assert_official(tokens, golden, clip):
    """tokens == golden/{clip}_tr100_tokens.npy, except where the kit marks
    a near tie (semantic margin < 1e-2, acoustic margin < 1e-3)."""
    want = np.load(golden("%s_tr100_tokens.npy" % clip))
    assert isinstance(tokens, np.ndarray)
    assert tokens.dtype == np.int64
    assert tokens.shape == want.shape
    t = np.arange(want.shape[1])
    tie = np.stack([np.load(golden("%s_tr100_semantic_margin.npy" % clip))[t // 512, t % 512] < 1e-2,
                    np.load(golden("%s_tr100_acoustic_margin.npy" % clip))[t // 512, t % 512] < 1e-3],
                   axis=-1)[None]
    bad = np.argwhere((tokens != want) & ~tie)
    assert bad.size == 0, "%s: %d tokens differ from encode(), first at %s" % (
        clip, len(bad), bad[0].tolist())
    # the kit's clips have too few near ties for them to matter
    assert (tokens != want).sum() <= 4


def test_encode_path_is_official(short_encoded, golden):
    assert short_encoded.shape == (1, official_pairs(52800, 100), 2) == (1, 168, 2)
    assert short_encoded.flags.c_contiguous and short_encoded.flags.writeable
    assert_official(short_encoded, golden, "short")


def test_encode_many_is_official(codec, golden, short_encoded):
    """Two files batched through the encoder together: each equals encode()."""
    paths = [golden("long_wave.wav"), golden("short_wave.wav")]
    got = dict(codec.encode_many(iter(paths)))
    assert sorted(got) == sorted(paths)
    assert_official(got[paths[0]], golden, "long")
    assert got[paths[0]].shape == (1, official_pairs(224000, 100), 2) == (1, 704, 2)
    assert np.array_equal(got[paths[1]], short_encoded)


def test_array_equals_path_16k_mono(codec, golden, short_encoded):
    samples = np.load(golden("short_wave.npy"))          # what the WAV holds
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert np.array_equal(codec.encode(samples, sample_rate=16000), short_encoded)
    # [frames, 1], float64, a strided view: the same samples, the same tokens
    wide = np.stack([samples, -samples], axis=1).astype(np.float64)[:, :1]
    assert not wide.flags.c_contiguous
    assert np.array_equal(codec.encode(wide, sample_rate=np.int32(16000)), short_encoded)


def test_array_equals_path_44k1_stereo(codec, golden):
    """Channel 0 kept and resampled exactly as a file is; channel 1 is
    ignored, as the official load_audio() ignores it (here it is replaced
    by a constant, so equal tokens prove both)."""
    path = golden("resample_input_44k1_stereo.wav")
    samples, rate = read_wav(path)
    assert samples.shape == (132300, 2) and rate == 44100
    from_path = codec.encode(path)
    assert from_path.shape == (1, official_pairs(48000, 100), 2)
    assert len(np.unique(from_path[0, :, 0])) > 10      # not a degenerate clip
    other = samples.copy()
    other[:, 1] = 0.5
    assert np.array_equal(codec.encode(other, sample_rate=rate), from_path)
