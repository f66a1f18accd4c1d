"""Exceptions: one per family of sc_status codes (include/sc/error.h).

Every error libsc reports becomes an instance of Error carrying the
status code and libsc's one-line message.  The subclasses also derive from
the built-in exception a Python caller would expect for that kind of
failure, so ``except ValueError`` or ``except FileNotFoundError`` work as
they would with the official package.
"""

import errno as _errno

# sc_status values (include/sc/error.h); the header is the authority.
SC_OK = 0
SC_ENOMEM = -1
SC_EIO = -2
SC_EFORMAT = -3
SC_EARG = -4
SC_EUNSUPPORTED = -5
SC_EABI = -6
SC_ECONFIG = -7
SC_ENOTFOUND = -8
SC_ERANGE = -9
SC_ESECURITY = -10
SC_EINTERNAL = -11
SC_ECORRUPT = -12


class Error(Exception):
    """An error reported by libsc or found by this package.

    ``code`` is the (negative) sc_status code, ``message`` the one-line
    message naming the file, argument or token and the problem; ``str()``
    of the exception is that message.
    """

    def __init__(self, message, code=SC_EINTERNAL):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message

    def __reduce__(self):
        return (_make, (type(self), self.message, self.code))


def _make(cls, message, code):
    return cls(message, code)


class ArgumentError(Error, ValueError):
    """A bad argument: a token out of range, an array of the wrong shape or
    type (SC_EARG, SC_ERANGE, SC_EUNSUPPORTED)."""


class DataError(Error, ValueError):
    """Malformed, corrupt or refused input data: NaN or infinite samples, an
    audio file that cannot be decoded (SC_EFORMAT, SC_ECORRUPT,
    SC_ESECURITY)."""


class ConfigError(Error, ValueError):
    """A bad configuration: an unknown INI key, a bad value such as an
    unpublished rate or vocabulary, a plugin that cannot serve (SC_ECONFIG,
    SC_EABI)."""


class NotFoundError(Error, FileNotFoundError):
    """A missing input file, model file or plugin (SC_ENOTFOUND)."""

    def __init__(self, message, code=SC_ENOTFOUND, filename=None):
        super().__init__(message, code)
        self.errno = _errno.ENOENT
        self.strerror = message
        self.filename = filename


class InputOutputError(Error, OSError):
    """Reading or writing failed (SC_EIO)."""

    def __init__(self, message, code=SC_EIO):
        super().__init__(message, code)
        self.errno = _errno.EIO
        self.strerror = message


class OutOfMemoryError(Error, MemoryError):
    """An allocation failed (SC_ENOMEM)."""


class InternalError(Error, RuntimeError):
    """A bug in libsc: an invariant did not hold (SC_EINTERNAL)."""


_CLASSES = {
    SC_ENOMEM: OutOfMemoryError,
    SC_EIO: InputOutputError,
    SC_EFORMAT: DataError,
    SC_EARG: ArgumentError,
    SC_EUNSUPPORTED: ArgumentError,
    SC_EABI: ConfigError,
    SC_ECONFIG: ConfigError,
    SC_ENOTFOUND: NotFoundError,
    SC_ERANGE: ArgumentError,
    SC_ESECURITY: DataError,
    SC_EINTERNAL: InternalError,
    SC_ECORRUPT: DataError,
}


def error_for(code, message):
    """The exception for sc_status `code` with `message` (not raised)."""
    cls = _CLASSES.get(code, InternalError)
    if not message:
        message = "libsc error %d" % code
    return cls(message, code)
