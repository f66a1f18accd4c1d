"""semanticodec_c: the official SemantiCodec API on sc's C library.

A drop-in replacement for the PyTorch package: replace
``from semanticodec import SemantiCodec`` with
``from semanticodec_c import SemantiCodec``.  No torch, no compiler; numpy
is the only dependency.

    >>> from semanticodec_c import SemantiCodec
    >>> codec = SemantiCodec(token_rate=100, semantic_vocab_size=16384)
    >>> tokens = codec.encode("speech.wav")    # numpy int64 [1, T, 2]
    >>> wave = codec.decode(tokens)            # numpy float32 [1, 1, N], 16 kHz

Errors raise Error, whose subclasses also derive from ValueError,
FileNotFoundError, OSError, MemoryError or RuntimeError as fits.  The
library is $SC_LIBRARY when set, else the libsc this package was
installed with.  See doc/PYTHON.md for how each official argument maps
to sc's configuration.
"""

from ._errors import (Error, ArgumentError, DataError, ConfigError, NotFoundError,
                      InputOutputError, OutOfMemoryError, InternalError)
from ._lib import library_path
from .codec import SemantiCodec

try:
    from ._config import VERSION as __version__
except ImportError:             # the source tree, not built
    __version__ = "0+unknown"

__all__ = ["SemantiCodec", "Error", "ArgumentError", "DataError", "ConfigError",
           "NotFoundError", "InputOutputError", "OutOfMemoryError", "InternalError",
           "library_path"]

# help() and tracebacks name the package, not its private modules.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
