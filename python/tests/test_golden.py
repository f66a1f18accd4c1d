"""Tokens through the Python API equal the official encode() (the parity
kit's goldens, synthetic weights), from a path, from an array, and from
encode_many; shapes, dtypes and lengths are the official ones."""

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


def test_encode_path_is_official(codec, golden):
    tokens = codec.encode(golden("short_wave.wav"))
    assert tokens.shape == (1, official_pairs(52800, 100), 2) == (1, 168, 2)
    assert tokens.flags.c_contiguous and tokens.flags.writeable
    assert_official(tokens, golden, "short")


def test_encode_many_is_official(codec, golden):
    """Two files batched through the encoder together: each equals encode()."""
    paths = [golden("long_wave.wav"), golden("short_wave.wav")]
    got = dict(codec.encode_many(iter(paths)))
    assert sorted(got) == sorted(paths)
    assert_official(got[paths[0]], golden, "long")
    assert_official(got[paths[1]], golden, "short")
    assert got[paths[0]].shape == (1, official_pairs(224000, 100), 2) == (1, 704, 2)


def test_array_equals_path_16k_mono(codec, golden):
    samples = np.load(golden("short_wave.npy"))          # what the WAV holds
    from_path = codec.encode(golden("short_wave.wav"))
    assert np.array_equal(codec.encode(samples, sample_rate=16000), from_path)
    # [frames, 1], float64 and a non-contiguous view give the same tokens
    assert np.array_equal(codec.encode(samples[:, None], sample_rate=16000), from_path)
    assert np.array_equal(codec.encode(samples.astype(np.float64), sample_rate=16000),
                          from_path)
    wide = np.stack([samples, -samples], axis=1)
    assert np.array_equal(codec.encode(wide[:, 0], sample_rate=16000), from_path)


def test_array_equals_path_44k1_stereo(codec, golden):
    """Channel 0 kept and resampled exactly as a file is."""
    path = golden("resample_input_44k1_stereo.wav")
    samples, rate = read_wav(path)
    assert samples.shape == (132300, 2) and rate == 44100
    tokens = codec.encode(samples, sample_rate=rate)
    assert tokens.shape == (1, official_pairs(48000, 100), 2)
    assert np.array_equal(tokens, codec.encode(path))
    # channel 1 is ignored, as the official load_audio() ignores it
    other = samples.copy()
    other[:, 1] = 0.5
    assert np.array_equal(codec.encode(other, sample_rate=rate), tokens)
    # and channel 0 is not: a different signal gives different tokens
    assert not np.array_equal(codec.encode(samples[:, ::-1], sample_rate=rate), tokens)
