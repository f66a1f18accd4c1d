"""The SemantiCodec class: the official package's API on libsc."""

import ctypes
import operator
import os
import re
import threading

import numpy as np

from . import _errors
from . import _lib
from ._errors import ArgumentError, Error, NotFoundError

# Beyond this a 2-D array is surely [channels, frames] (torchaudio's
# layout) passed by mistake; libsndfile's own limit is 1024.
_MAX_CHANNELS = 64


def _index(name, value, lo=None):
    """An integer argument, or ArgumentError naming it."""
    try:
        v = operator.index(value)
    except TypeError:
        raise ArgumentError("%s: an integer is required, not %r" % (name, value),
                            _errors.SC_EARG) from None
    if lo is not None and v < lo:
        raise ArgumentError("%s: %d is below %d" % (name, v, lo), _errors.SC_EARG)
    return v


def _ini_value(name, value):
    """A Python value as the text of an INI setting."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = repr(value)          # shortest text that strtod reads back exactly
    elif isinstance(value, (str, int, os.PathLike)) or hasattr(value, "__index__"):
        text = os.fsdecode(os.fspath(value)) if isinstance(value, os.PathLike) else str(value)
    else:
        try:
            text = repr(float(value))
        except (TypeError, ValueError):
            raise ArgumentError("%s: cannot use %r as a setting" % (name, value),
                                _errors.SC_EARG) from None
    if "\n" in text or "\r" in text or "\0" in text:
        raise ArgumentError("%s: the value holds a line break or NUL" % name, _errors.SC_EARG)
    return text


def _setting_key(key):
    """'decoder_eta' -> 'decoder.eta' (a key with a dot is kept as it is)."""
    if "." in key:
        return key
    section, sep, name = key.partition("_")
    if not sep or not section or not name:
        raise ArgumentError(
            "%s: not a setting; settings are section_key=value, e.g. decoder_eta=0.0" % key,
            _errors.SC_EARG)
    return section + "." + name


def _as_numpy(obj, what):
    """numpy view of an array, a list or anything with .numpy() (torch)."""
    if isinstance(obj, np.ndarray):
        return obj
    if hasattr(obj, "numpy"):
        if hasattr(obj, "detach") and hasattr(obj, "cpu"):
            obj = obj.detach().cpu()        # a torch tensor, maybe on a GPU
        obj = obj.numpy()
    try:
        return np.asarray(obj)
    except (TypeError, ValueError, OverflowError) as e:
        raise ArgumentError("%s: not an array (%s)" % (what, e), _errors.SC_EARG) from None


def _fspath(path):
    p = os.fspath(path)
    return os.fsencode(p), os.fsdecode(p)


class SemantiCodec:
    """SemantiCodec on libsc: the official class's calls, without PyTorch.

    Replace ``from semanticodec import SemantiCodec`` with
    ``from semanticodec_c import SemantiCodec``::

        codec = SemantiCodec(token_rate=100, semantic_vocab_size=16384)
        tokens = codec.encode("speech.wav")      # int64 [1, T, 2]
        wave = codec.decode(tokens)              # float32 [1, 1, N], 16 kHz

    The four positional parameters are the official ones:

    token_rate
        Tokens per second: 100, 50 or 25 ([model] rate).
    semantic_vocab_size
        Semantic vocabulary: 4096, 8192, 16384 or 32768 ([model] vocab).
    ddim_sample_step
        DDIM sampling steps of decode() ([decoder] steps).
    cfg_scale
        Classifier-free guidance scale of decode() ([decoder] cfg).

    The keyword-only ones are sc's:

    model_dir
        Folder of the published model (``semanticodec_tokenrate_R/`` and
        ``codebook_idx/``, as ``sc-model fetch`` writes it); None takes
        [model] dir from the configuration or $SC_MODEL_DIR.
    backend
        Compute backend of every stage: "blas", "ref" or "cuda"; None
        takes the configured one ([backend] default, $SC_BACKEND).
    threads
        Worker threads; 0 takes the configured count ([backend] threads,
        $SC_THREADS), which by default is every CPU this process may use.
    seed
        Seed of decode()'s noise ([decoder] seed): the same seed gives the
        same bits as ``sc-detok --seed``, on any run and thread count.
    config
        An sc.ini(5) file read after the system and user ones.
    settings
        Any other INI setting as section_key=value, applied last, e.g.
        ``decoder_eta=0.0`` or ``acoustic_batch=4``.

    Configuration is otherwise that of the sc tools (sc.ini(5)).  Weights
    load on first use: the encoder's on the first encode, the decoder's on
    the first decode.  Errors raise semanticodec_c.Error subclasses.

    A codec is safe to share between threads (calls on one codec take
    turns); separate codecs run in parallel, as libsc releases the GIL.
    close() frees the model; the codec is also a context manager.
    """

    def __init__(self, token_rate=100, semantic_vocab_size=16384, ddim_sample_step=50,
                 cfg_scale=2.0, *, model_dir=None, backend=None, threads=0, seed=0,
                 config=None, **settings):
        self._handle = None
        self._encoders = set()
        self._lock = threading.Lock()
        for official in ("checkpoint_path", "cache_path"):
            if official in settings:
                raise ArgumentError(
                    "%s: not supported; pass model_dir=, the folder holding "
                    "semanticodec_tokenrate_R/ and codebook_idx/ (sc-model fetch -o DIR "
                    "downloads it; see doc/PYTHON.md)" % official, _errors.SC_EARG)
        try:
            cfg = float(cfg_scale)
        except (TypeError, ValueError):
            raise ArgumentError("cfg_scale: a number is required, not %r" % (cfg_scale,),
                                _errors.SC_EARG) from None
        # (argument, setting): libsc names a bad setting by its position
        args = [
            ("token_rate", "model.rate=%d" % _index("token_rate", token_rate)),
            ("semantic_vocab_size",
             "model.vocab=%d" % _index("semantic_vocab_size", semantic_vocab_size)),
            ("ddim_sample_step",
             "decoder.steps=%d" % _index("ddim_sample_step", ddim_sample_step)),
            ("cfg_scale", "decoder.cfg=%s" % _ini_value("cfg_scale", cfg)),
            ("seed", "decoder.seed=%d" % _index("seed", seed, 0)),
        ]
        if model_dir is not None:
            args.append(("model_dir", "model.dir=" + _ini_value("model_dir", model_dir)))
        if backend is not None:
            args.append(("backend", "backend.default=" + _ini_value("backend", backend)))
        if _index("threads", threads, 0):
            args.append(("threads", "backend.threads=%d" % threads))
        for key, value in settings.items():
            args.append((key, _setting_key(key) + "=" + _ini_value(key, value)))
        lines = [line for _, line in args]
        argv = (ctypes.c_char_p * (len(lines) + 1))(*[s.encode() for s in lines], None)
        cfile = None if config is None else os.fsencode(os.fspath(config))
        if cfile is not None and not os.path.exists(cfile):
            raise NotFoundError("%s: no such configuration file" % os.fsdecode(cfile),
                                filename=os.fsdecode(cfile))
        self._lib = _lib.load()
        err = _lib.ScErr()
        handle = self._lib.sc_codec_open(cfile, argv, ctypes.byref(err))
        if not handle:
            msg = err.msg.decode("utf-8", "replace")
            m = re.match(r"setting (\d+)\b", msg)
            if m and 0 < int(m.group(1)) <= len(args):
                msg = args[int(m.group(1)) - 1][0] + msg[m.end():]
            raise _errors.error_for(err.code if err.code < 0 else _errors.SC_EINTERNAL, msg)
        self._handle = handle
        info = _lib.ScCodecInfo()
        _lib.check(self._lib.sc_codec_get_info(handle, ctypes.byref(info)), err)
        self._info = info

    # ---- what the codec runs (read-only: open another codec to change) ----

    @property
    def token_rate(self):
        """Tokens per second (100, 50 or 25)."""
        return self._info.token_rate

    @property
    def semantic_vocab_size(self):
        """Size of the semantic vocabulary (token column 0)."""
        return self._info.semantic_vocab

    @property
    def acoustic_vocab_size(self):
        """Size of the acoustic vocabulary (token column 1)."""
        return self._info.acoustic_vocab

    @property
    def ddim_sample_step(self):
        """DDIM steps of decode()."""
        return self._info.steps

    @property
    def cfg_scale(self):
        """Classifier-free guidance scale of decode()."""
        return self._info.cfg

    @property
    def seed(self):
        """Seed of decode()'s noise."""
        return self._info.seed

    @property
    def stack_factor_K(self):
        """100 / token_rate, as the official class has it."""
        return 100 / self._info.token_rate

    @property
    def sample_rate(self):
        """Sample rate of decode()'s output: 16000."""
        return self._info.sample_rate

    def __repr__(self):
        state = "" if self._handle else ", closed"
        return "SemantiCodec(token_rate=%d, semantic_vocab_size=%d, ddim_sample_step=%d, " \
               "cfg_scale=%r%s)" % (self.token_rate, self.semantic_vocab_size,
                                    self.ddim_sample_step, self.cfg_scale, state)

    # ---- the official calls ----

    def encode(self, filepath, sample_rate=None):
        """Audio to tokens: numpy int64 [1, T, 2] of (semantic, acoustic).

        `filepath` is a path (str, bytes or os.PathLike) to any format
        libsndfile reads, and the result equals the official
        encode(filepath).  It may instead be an array of float samples,
        [frames] or [frames, channels], with its `sample_rate`; the encoder
        keeps channel 0 and resamples to 16 kHz as for a file, so an array
        and the file it was read from give the same tokens.  T is the
        official count, ceil(8 * d / 0.16 / K) for a duration padded up to
        d, a multiple of 0.16 s (K = 100 / token_rate).
        """
        if isinstance(filepath, (str, bytes, os.PathLike)):
            if sample_rate is not None:
                raise ArgumentError("sample_rate: only for an array of samples; a file "
                                    "has its own", _errors.SC_EARG)
            return self._encode_file(filepath)
        return self._encode_array(filepath, sample_rate)

    def decode(self, tokens):
        """Tokens to audio: numpy float32 [1, 1, N], 16 kHz mono.

        `tokens` is [1, T, 2] (or [T, 2]) integers as encode() returns
        them: a numpy array, a nested list, or anything with .numpy() such
        as the official encoder's torch tensor.  N is the official length,
        int(T / 8 * 0.16 * K * 16000).  The noise comes from the codec's
        seed, so the result has the same bits as sc-detok with that seed.
        """
        pairs = self._token_pairs(tokens)
        pcm = ctypes.POINTER(ctypes.c_float)()
        n = ctypes.c_int64()
        err = _lib.ScErr()
        try:
            with self._lock:
                rc = self._lib.sc_codec_decode(
                    self._open_handle(), pairs.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                    pairs.shape[0], 0, ctypes.byref(pcm), ctypes.byref(n), ctypes.byref(err))
            _lib.check(rc, err)
            wave = np.empty(n.value, dtype=np.float32)
            if n.value:
                ctypes.memmove(wave.ctypes.data, pcm, n.value * 4)
        finally:
            self._lib.sc_codec_free(pcm)
        return wave.reshape(1, 1, -1)

    def forward(self, filepath):
        """encode() then decode(): the audio as the codec reproduces it."""
        return self.decode(self.encode(filepath))

    def __call__(self, filepath):
        """forward(filepath), as calling the official nn.Module does."""
        return self.forward(filepath)

    def encode_many(self, paths, *, errors="raise"):
        """Encode many files, yielding (path, tokens) as each one completes.

        Windows of all the files go through the encoder together, batched
        as sc-encode batches them, which is faster than a loop of encode()
        and gives the same tokens.  Files are opened only when the encoder
        reaches them.  The order of completion can differ from the order
        of `paths`.  A file that fails raises its Error (the others are
        dropped) or, with errors="yield", is yielded as (path, Error) and
        the others carry on.
        """
        if errors not in ("raise", "yield"):
            raise ArgumentError("errors: 'raise' or 'yield', not %r" % (errors,),
                                _errors.SC_EARG)
        lib = self._lib
        err = _lib.ScErr()
        with self._lock:
            enc = lib.sc_encoder_create(self._open_handle(), ctypes.byref(err))
            if not enc:
                _lib.check(err.code if err.code < 0 else _errors.SC_EINTERNAL, err)
            self._encoders.add(enc)
        try:
            inputs = {}
            for path in paths:
                raw, _ = _fspath(path)
                with self._lock:
                    self._check_encoder(enc)
                    ident = lib.sc_encoder_add_file(enc, raw, ctypes.byref(err))
                _lib.check(ident, err)
                inputs[ident] = (path, [])
            ev = _lib.ScEncoderEvent()
            while inputs:
                with self._lock:
                    self._check_encoder(enc)
                    rc = lib.sc_encoder_next(enc, ctypes.byref(ev), ctypes.byref(err))
                _lib.check(rc, err)
                if rc == 0:
                    raise _errors.InternalError(
                        "encode_many: the encoder stopped with %d files not done" % len(inputs),
                        _errors.SC_EINTERNAL)
                path, chunks = inputs[ev.id]
                if ev.npairs > 0:
                    chunk = np.empty((ev.npairs, 2), dtype=np.int64)
                    ctypes.memmove(chunk.ctypes.data, ev.pairs, ev.npairs * 16)
                    chunks.append(chunk)
                if not ev.done:
                    continue
                del inputs[ev.id]
                if ev.status < 0:
                    e = _errors.error_for(ev.status, ev.message.decode("utf-8", "replace"))
                    if errors == "raise":
                        raise e
                    yield path, e
                    continue
                tokens = np.concatenate(chunks) if chunks else np.empty((0, 2), np.int64)
                yield path, tokens.reshape(1, -1, 2)
        finally:
            with self._lock:
                if enc in self._encoders:
                    self._encoders.discard(enc)
                    lib.sc_encoder_destroy(enc)

    # ---- lifetime ----

    def close(self):
        """Free the model, its buffers and threads (safe to call twice)."""
        with self._lock:
            for enc in self._encoders:
                self._lib.sc_encoder_destroy(enc)
            self._encoders.clear()
            if self._handle:
                self._lib.sc_codec_close(self._handle)
                self._handle = None

    @property
    def closed(self):
        """True once close() has run."""
        return not self._handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_handle", None):
            try:
                self.close()
            except Exception:
                pass

    # ---- helpers ----

    def _open_handle(self):
        if not self._handle:
            raise ArgumentError("the codec is closed", _errors.SC_EARG)
        return self._handle

    def _check_encoder(self, enc):
        if enc not in self._encoders:
            raise ArgumentError("encode_many: the codec was closed", _errors.SC_EARG)

    def _take_tokens(self, toks, n):
        try:
            out = np.empty((n, 2), dtype=np.int64)
            if n:
                ctypes.memmove(out.ctypes.data, toks, n * 16)
        finally:
            self._lib.sc_codec_free(toks)
        return out.reshape(1, n, 2)

    def _encode_file(self, filepath):
        raw, name = _fspath(filepath)
        if not os.path.exists(raw):
            # as the official load_audio() does, before anything else
            raise NotFoundError("%s: no such file" % name, filename=name)
        if raw == b"-":
            raw = b"./-"                # a file named '-', not standard input
        toks = ctypes.POINTER(ctypes.c_int64)()
        n = ctypes.c_int64()
        samples = ctypes.c_int64()
        err = _lib.ScErr()
        try:
            with self._lock:
                rc = self._lib.sc_codec_encode_file(self._open_handle(), raw, ctypes.byref(toks),
                                                    ctypes.byref(n), ctypes.byref(samples),
                                                    ctypes.byref(err))
            _lib.check(rc, err)
        except BaseException:
            self._lib.sc_codec_free(toks)
            raise
        return self._take_tokens(toks, n.value)

    def _encode_array(self, samples, sample_rate):
        x = _as_numpy(samples, "samples")
        if x.dtype.kind != "f":
            raise ArgumentError("samples: a float array is required, not %s (scale integer "
                                "PCM to [-1, 1] first)" % x.dtype, _errors.SC_EARG)
        if x.ndim == 1:
            frames, channels = x.shape[0], 1
        elif x.ndim == 2:
            frames, channels = x.shape
            if channels > _MAX_CHANNELS:
                raise ArgumentError(
                    "samples: shape %s is not [frames, channels] (%d channels); for "
                    "torchaudio's [channels, frames] pass samples.T" % (x.shape, channels),
                    _errors.SC_EARG)
        else:
            raise ArgumentError("samples: shape %s; [frames] or [frames, channels] is "
                                "required" % (x.shape,), _errors.SC_EARG)
        if sample_rate is None:
            raise ArgumentError("sample_rate: required with an array of samples",
                                _errors.SC_EARG)
        rate = _index("sample_rate", sample_rate, 1)
        pcm = np.ascontiguousarray(x, dtype=np.float32)
        toks = ctypes.POINTER(ctypes.c_int64)()
        n = ctypes.c_int64()
        err = _lib.ScErr()
        try:
            with self._lock:
                rc = self._lib.sc_codec_encode(self._open_handle(),
                                               pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                               frames, channels, rate, ctypes.byref(toks),
                                               ctypes.byref(n), ctypes.byref(err))
            _lib.check(rc, err)
        except BaseException:
            self._lib.sc_codec_free(toks)
            raise
        return self._take_tokens(toks, n.value)

    @staticmethod
    def _token_pairs(tokens):
        """tokens as contiguous int64 [T, 2], or ArgumentError."""
        x = _as_numpy(tokens, "tokens")
        if x.dtype.kind not in "iu":
            raise ArgumentError("tokens: integers are required, not %s" % x.dtype,
                                _errors.SC_EARG)
        if x.ndim == 3 and x.shape[0] != 1:
            raise ArgumentError("tokens: shape %s holds %d sequences; decode one [1, T, 2] "
                                "at a time" % (x.shape, x.shape[0]), _errors.SC_EARG)
        if not ((x.ndim == 3 and x.shape[2] == 2) or (x.ndim == 2 and x.shape[1] == 2)):
            raise ArgumentError("tokens: shape %s; [1, T, 2] or [T, 2] is required"
                                % (x.shape,), _errors.SC_EARG)
        x = x.reshape(-1, 2)
        if x.shape[0] == 0:
            raise ArgumentError("tokens: no token pairs", _errors.SC_EARG)
        if x.dtype.kind == "u" and x.max() > np.iinfo(np.int64).max:
            row = int(np.argmax((x > np.iinfo(np.int64).max).any(axis=1)))
            raise ArgumentError("tokens: row %d: %d is out of range"
                                % (row, x[row].max()), _errors.SC_ERANGE)
        return np.ascontiguousarray(x, dtype=np.int64)
