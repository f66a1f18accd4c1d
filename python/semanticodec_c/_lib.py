"""ctypes bindings of include/sc/codec.h.

The library is found in this order: $SC_LIBRARY (a path), the path fixed
when the package was built (_config.py, written by `make`), then the
dynamic loader's search for the soname.  ctypes.CDLL (not PyDLL) releases
the GIL for the duration of every foreign call, which is what lets two
codecs run in two threads at once.
"""

import ctypes
import functools
import os

from . import _errors

SC_ERR_MSG_MAX = 512          # include/sc/error.h


class ScErr(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * SC_ERR_MSG_MAX)]


class ScCodecInfo(ctypes.Structure):
    _fields_ = [("token_rate", ctypes.c_int),
                ("semantic_vocab", ctypes.c_int),
                ("acoustic_vocab", ctypes.c_int),
                ("sample_rate", ctypes.c_int),
                ("steps", ctypes.c_int),
                ("cfg", ctypes.c_double),
                ("eta", ctypes.c_double),
                ("seed", ctypes.c_uint64)]


class ScEncoderEvent(ctypes.Structure):
    _fields_ = [("id", ctypes.c_int64),
                ("pairs", ctypes.POINTER(ctypes.c_int64)),
                ("npairs", ctypes.c_int64),
                ("total", ctypes.c_int64),
                ("samples_16k", ctypes.c_int64),
                ("done", ctypes.c_int),
                ("status", ctypes.c_int),
                ("message", ctypes.c_char * SC_ERR_MSG_MAX)]


_p = ctypes.c_void_p
_i64 = ctypes.c_int64
_pi64 = ctypes.POINTER(ctypes.c_int64)
_ppi64 = ctypes.POINTER(_pi64)
_pf = ctypes.POINTER(ctypes.c_float)
_ppf = ctypes.POINTER(_pf)
_perr = ctypes.POINTER(ScErr)
_int = ctypes.c_int

# name: (restype, argtypes)
_SIGNATURES = {
    "sc_codec_open": (_p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), _perr]),
    "sc_codec_close": (None, [_p]),
    "sc_codec_encode": (_int, [_p, _pf, _i64, _int, _int, _ppi64, _pi64, _perr]),
    "sc_codec_decode": (_int, [_p, _pi64, _i64, _i64, _ppf, _pi64, _perr]),
    "sc_codec_free": (None, [_p]),
    "sc_codec_get_info": (_int, [_p, ctypes.POINTER(ScCodecInfo)]),
    "sc_codec_pairs_for": (_i64, [_p, _i64]),
    "sc_codec_encode_file": (_int, [_p, ctypes.c_char_p, _ppi64, _pi64, _pi64, _perr]),
    "sc_encoder_create": (_p, [_p, _perr]),
    "sc_encoder_destroy": (None, [_p]),
    "sc_encoder_add_file": (_i64, [_p, ctypes.c_char_p, _perr]),
    "sc_encoder_next": (_int, [_p, ctypes.POINTER(ScEncoderEvent), _perr]),
}


def library_path():
    """The libsc this package loads: $SC_LIBRARY, else the installed one."""
    env = os.environ.get("SC_LIBRARY")
    if env:
        return env
    try:
        from . import _config
    except ImportError:
        return "libsc.so.0"
    if os.path.exists(_config.LIBSC):
        return _config.LIBSC
    return os.path.basename(_config.LIBSC)


class Lib:
    """libsc with the codec calls typed; attributes are the C functions."""

    def __init__(self, path):
        try:
            self._dll = ctypes.CDLL(path)
        except OSError as e:
            raise _errors.NotFoundError(
                "%s: cannot load libsc (%s); set SC_LIBRARY to its path" % (path, e),
                filename=path) from None
        self.path = path

    def __getattr__(self, name):
        restype, argtypes = _SIGNATURES[name]
        try:
            fn = getattr(self._dll, name)
        except AttributeError:
            raise _errors.ConfigError(
                "%s: libsc lacks %s(); it is older than this package" % (self.path, name),
                _errors.SC_EABI) from None
        fn.restype = restype
        fn.argtypes = argtypes
        setattr(self, name, fn)
        return fn


@functools.lru_cache(maxsize=None)
def _load(path):
    return Lib(path)


def load():
    """The loaded library (loaded once per path)."""
    return _load(library_path())


def check(rc, err):
    """Raise the exception for a failed call's status and sc_err."""
    if rc >= 0:
        return rc
    code = err.code if err.code < 0 else rc
    raise _errors.error_for(code, err.msg.decode("utf-8", "replace"))
