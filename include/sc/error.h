/* sc/error.h - status codes and error messages.
 *
 * Contract: every fallible sc function returns an int status (SC_OK == 0,
 * failures are negative SC_E* codes) or NULL, and, when given a non-NULL
 * sc_err, fills it with the code and a one-line message that names the file
 * (or key, or option) and the problem, e.g.
 *     "model/encoder.ckpt: key 'encoder.weight_ih_l0': shape 6144x1536, expected 6144x3072"
 * The message never ends in a newline.  The first error wins: sc_err_set on
 * an sc_err that already holds an error keeps the original message unless
 * the caller resets it with sc_err_clear, so low-level detail is not
 * overwritten by a vaguer outer layer.  sc_err_prefix adds context in front.
 * sc_err is a plain caller-owned struct: no allocation, no globals, safe to
 * use from any thread as long as each thread has its own.
 */
#ifndef SC_ERROR_H
#define SC_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sc_status {
    SC_OK = 0,
    SC_ENOMEM = -1,      /* allocation failed */
    SC_EIO = -2,         /* read/write/open failed (errno text in message) */
    SC_EFORMAT = -3,     /* malformed or truncated input file/stream */
    SC_EARG = -4,        /* bad argument or option value */
    SC_EUNSUPPORTED = -5,/* valid but not supported (op, dtype, format) */
    SC_EABI = -6,        /* plugin ABI mismatch */
    SC_ECONFIG = -7,     /* bad configuration (INI) */
    SC_ENOTFOUND = -8,   /* missing file, key, plugin */
    SC_ERANGE = -9,      /* value out of range (token, size, offset) */
    SC_ESECURITY = -10,  /* refused hostile content (pickle global, ...) */
    SC_EINTERNAL = -11,  /* bug: invariant violated */
    SC_ECORRUPT = -12,   /* checksum mismatch */
    SC_ESTATUS_MIN = -12
};

#define SC_ERR_MSG_MAX 512

typedef struct sc_err {
    int code;                   /* SC_OK or an SC_E* code */
    char msg[SC_ERR_MSG_MAX];   /* one line, NUL-terminated */
} sc_err;

/* Static text of a status code ("out of memory", ...). Never NULL. */
const char *sc_strerror(int code);

/* Record an error (printf-style message) and return code, so callers can
 * write `return sc_err_set(err, SC_EFORMAT, "%s: bad magic", path);`.
 * err may be NULL.  Keeps an earlier error if err->code is already set. */
int sc_err_set(sc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sc_err_setv(sc_err *err, int code, const char *fmt, va_list ap);

/* Prepend "context: " to an existing message (no-op when err is NULL or
 * holds no error).  Returns err->code (or SC_OK). */
int sc_err_prefix(sc_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void sc_err_clear(sc_err *err);

/* sysexits(3)-style process exit status for a code: 0, EX_USAGE(64),
 * EX_DATAERR(65), EX_NOINPUT(66), EX_SOFTWARE(70), EX_OSERR(71),
 * EX_CANTCREAT(73), EX_IOERR(74), EX_CONFIG(78). */
int sc_exit_status(int code);

#ifdef __cplusplus
}
#endif
#endif
