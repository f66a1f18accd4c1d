"""The API around the codec: arguments and settings, errors for bad input
(as exceptions with code and message, never a crash), lifetime, docs."""

import inspect
import os
import re

import numpy as np
import pytest

import semanticodec_c
from semanticodec_c import SemantiCodec

from conftest import open_codec

# include/sc/error.h
SC_EARG, SC_ENOTFOUND, SC_ERANGE = -4, -8, -9


def test_signature_is_the_official_one():
    sig = inspect.signature(SemantiCodec)
    params = list(sig.parameters.values())
    assert [(p.name, p.default) for p in params[:4]] == [
        ("token_rate", 100), ("semantic_vocab_size", 16384),
        ("ddim_sample_step", 50), ("cfg_scale", 2.0)]
    assert all(p.kind == p.POSITIONAL_OR_KEYWORD for p in params[:4])
    kw = {p.name: p.default for p in params if p.kind == p.KEYWORD_ONLY}
    assert kw == {"model_dir": None, "backend": None, "threads": 0, "seed": 0, "config": None}
    assert params[-1].kind == inspect.Parameter.VAR_KEYWORD
    assert list(inspect.signature(SemantiCodec.encode).parameters)[:2] == ["self", "filepath"]
    assert list(inspect.signature(SemantiCodec.decode).parameters) == ["self", "tokens"]
    assert list(inspect.signature(SemantiCodec.forward).parameters) == ["self", "filepath"]


def test_every_public_name_has_a_docstring():
    names = semanticodec_c.__all__
    assert "SemantiCodec" in names and "Error" in names
    for name in names:
        obj = getattr(semanticodec_c, name)
        assert (obj.__doc__ or "").strip(), name
    for name, member in inspect.getmembers(SemantiCodec):
        if not name.startswith("_") or name == "__call__":
            assert (member.__doc__ or "").strip(), "SemantiCodec.%s" % name


def test_arguments_become_settings(codec, backend):
    assert (codec.token_rate, codec.semantic_vocab_size) == (100, 16384)
    assert (codec.ddim_sample_step, codec.cfg_scale, codec.seed) == (2, 2.0, 7)
    assert codec.acoustic_vocab_size == 8192 and codec.sample_rate == 16000
    assert codec.stack_factor_K == 1.0
    assert repr(codec) == "SemantiCodec(token_rate=100, semantic_vocab_size=16384, " \
                          "ddim_sample_step=2, cfg_scale=2.0)"
    with open_codec(backend, cfg_scale=1.5, seed=2**64 - 1, ddim_sample_step=25,
                    decoder_eta=0.0, threads=1) as c:
        assert (c.cfg_scale, c.seed, c.ddim_sample_step) == (1.5, 2**64 - 1, 25)
        assert c._info.eta == 0.0
    with open_codec(backend, **{"decoder.eta": 0.25}) as c:   # a dotted key as it is
        assert c._info.eta == 0.25
    with pytest.raises(AttributeError):
        codec.ddim_sample_step = 10             # read-only: it would be ignored


def test_decoder_preset(backend):
    # decoder_preset="fast" (README "Sampler accuracy") sets the step count
    # over ddim_sample_step; a setting after it still wins
    with open_codec(backend, ddim_sample_step=25, decoder_eta=0.5, decoder_preset="fast") as c:
        assert (c.ddim_sample_step, c._info.eta) == (10, 0.5)
    with open_codec(backend, decoder_preset="fast", decoder_steps=20) as c:
        assert c.ddim_sample_step == 20
    with open_codec(backend, decoder_preset="balanced") as c:
        assert c.ddim_sample_step == 20
    with open_codec(backend, decoder_preset="official") as c:
        assert (c.ddim_sample_step, c._info.eta) == (50, 1.0)
    with pytest.raises(semanticodec_c.ConfigError) as e:
        open_codec(backend, decoder_preset="quick")
    assert str(e.value).startswith("decoder_preset: ") and "fast, balanced or official" in str(e.value)


def test_bad_arguments(backend, tmp_path):
    with pytest.raises(semanticodec_c.ConfigError) as e:
        open_codec(backend, decoder_nonsense=1)
    assert isinstance(e.value, ValueError) and "nonsense" in str(e.value)
    assert str(e.value).startswith("decoder_nonsense: "), str(e.value)
    with pytest.raises(semanticodec_c.ArgumentError) as e:
        open_codec(backend, nonsense=1)
    assert e.value.code == SC_EARG and "nonsense" in str(e.value)
    with pytest.raises(semanticodec_c.ConfigError) as e:   # [backend] precision
        open_codec(backend, backend_precision="fp16")
    assert "fp16" in str(e.value) and "fp32, bf16 or auto" in str(e.value), str(e.value)
    for bad in (dict(checkpoint_path="x"), dict(cache_path="x"), dict(seed=-1),
                dict(ddim_sample_step=2.5), dict(cfg_scale="big")):
        with pytest.raises(ValueError):
            open_codec(backend, **bad)
    with pytest.raises(ValueError) as e:        # an unpublished rate: named as an argument
        SemantiCodec(30, 16384, model_synthetic=True)
    assert str(e.value).startswith("token_rate: ") and "30" in str(e.value), str(e.value)
    with pytest.raises(ValueError) as e:
        SemantiCodec(100, 1000, model_synthetic=True)
    assert str(e.value).startswith("semantic_vocab_size: "), str(e.value)
    with pytest.raises(FileNotFoundError):
        open_codec(backend, config=str(tmp_path / "missing.ini"))


def test_missing_and_bad_files(codec, tmp_path):
    missing = str(tmp_path / "missing.wav")
    with pytest.raises(FileNotFoundError) as e:
        codec.encode(missing)
    assert isinstance(e.value, semanticodec_c.Error) and isinstance(e.value, OSError)
    assert e.value.code == SC_ENOTFOUND and missing in str(e.value)
    assert e.value.filename == missing
    with pytest.raises(FileNotFoundError):
        codec.forward(missing)
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n")
    with pytest.raises(semanticodec_c.Error) as e:
        codec.encode(text)                      # os.PathLike
    assert str(text) in str(e.value) and "\n" not in str(e.value)


def test_encode_many_reports_each_file(codec, golden, short_encoded, tmp_path):
    missing = str(tmp_path / "missing.wav")
    short = golden("short_wave.wav")
    got = dict(codec.encode_many([missing, short], errors="yield"))
    assert isinstance(got[missing], FileNotFoundError), got[missing]
    assert isinstance(got[missing], semanticodec_c.Error) and missing in str(got[missing])
    assert np.array_equal(got[short], short_encoded)
    with pytest.raises(FileNotFoundError):
        list(codec.encode_many([missing]))
    with pytest.raises(ValueError):
        list(codec.encode_many([short], errors="ignore"))
    assert list(codec.encode_many([])) == []


def test_bad_samples(codec):
    x = np.zeros(16000, np.float32)
    x[1234] = np.nan
    with pytest.raises(ValueError) as e:
        codec.encode(x, sample_rate=16000)
    assert isinstance(e.value, semanticodec_c.Error) and "1234" in str(e.value)
    x[1234] = np.inf
    with pytest.raises(ValueError):
        codec.encode(x, sample_rate=16000)
    good = np.zeros(16000, np.float32)
    for samples, rate in ((np.zeros((2, 8000, 1), np.float32), 16000),  # 3-D
                          (good.reshape(1, -1), 16000),    # [channels, frames]
                          ((good * 32767).astype(np.int16), 16000),  # integer PCM
                          (np.zeros(0, np.float32), 16000),  # no frames
                          (good, None), (good, 0), (good, 16000.5), (good, -8000)):
        with pytest.raises(ValueError):
            codec.encode(samples, sample_rate=rate)
    with pytest.raises(ValueError):
        codec.encode("x.wav", sample_rate=16000)    # a file has its own rate


def test_bad_tokens(codec, short_tokens):
    def rejects(tokens, code=None, text=None):
        with pytest.raises(ValueError) as e:
            codec.decode(tokens)
        assert isinstance(e.value, semanticodec_c.Error)
        if code is not None:
            assert e.value.code == code, e.value
        if text is not None:
            assert re.search(text, str(e.value)), str(e.value)

    for row, col, value in ((5, 0, 16384), (7, 1, 8192), (3, 0, -1), (160, 1, -5)):
        t = short_tokens.copy()
        t[0, row, col] = value
        rejects(t, SC_ERANGE, r"\b%d\b" % row)
    rejects(short_tokens.astype(np.float32), SC_EARG)          # not integers
    rejects(np.concatenate([short_tokens] * 2), SC_EARG, "2")  # a batch of 2
    rejects(short_tokens[..., :1], SC_EARG)                     # [1, T, 1]
    rejects(short_tokens[0, :, 0], SC_EARG)                     # [T]
    rejects(short_tokens[:, :0], SC_EARG)                       # no pairs
    rejects([[1, 2], [3]], SC_EARG)                             # ragged
    rejects([[[2**70, 1]]], SC_EARG)                            # beyond int64
    rejects(np.array([[[2**63, 1]]], np.uint64), SC_ERANGE)


def test_closed_codec(backend, golden):
    with open_codec(backend) as c:
        assert not c.closed
    assert c.closed and "closed" in repr(c)
    for call in (lambda: c.encode(golden("short_wave.wav")),
                 lambda: c.decode([[1, 2]]),
                 lambda: list(c.encode_many([golden("short_wave.wav")]))):
        with pytest.raises(semanticodec_c.Error) as e:
            call()
        assert "closed" in str(e.value)
    c.close()                                   # twice is fine


def test_library_override(monkeypatch, tmp_path):
    """SC_LIBRARY names the library; one that is not there is an Error."""
    assert semanticodec_c.library_path() == os.environ["SC_LIBRARY"]
    monkeypatch.setenv("SC_LIBRARY", str(tmp_path / "libsc.so"))
    with pytest.raises(FileNotFoundError) as e:
        SemantiCodec()
    assert "SC_LIBRARY" in str(e.value)
