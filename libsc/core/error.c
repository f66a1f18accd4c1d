/* Status codes and the sc_err message buffer (see sc/error.h). */
#include <stdio.h>
#include <string.h>
#include "sc/error.h"

const char *sc_strerror(int code)
{
    switch (code) {
    case SC_OK: return "success";
    case SC_ENOMEM: return "out of memory";
    case SC_EIO: return "input/output error";
    case SC_EFORMAT: return "malformed input";
    case SC_EARG: return "invalid argument";
    case SC_EUNSUPPORTED: return "not supported";
    case SC_EABI: return "plugin ABI mismatch";
    case SC_ECONFIG: return "configuration error";
    case SC_ENOTFOUND: return "not found";
    case SC_ERANGE: return "value out of range";
    case SC_ESECURITY: return "refused unsafe content";
    case SC_EINTERNAL: return "internal error";
    case SC_ECORRUPT: return "checksum mismatch";
    default: return "unknown error";
    }
}

int sc_err_setv(sc_err *err, int code, const char *fmt, va_list ap)
{
    if (!err || err->code != SC_OK)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    /* One line: a message with an embedded newline would break the
     * "one line on stderr" promise of every tool. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

int sc_err_set(sc_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_err_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int sc_err_prefix(sc_err *err, const char *fmt, ...)
{
    if (!err || err->code == SC_OK)
        return SC_OK;
    char pre[SC_ERR_MSG_MAX], old[SC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine: the message stays one bounded line. */
    size_t lp = strlen(pre);
    if (lp > sizeof err->msg - 3)
        lp = sizeof err->msg - 3;
    memcpy(err->msg, pre, lp);
    memcpy(err->msg + lp, ": ", 2);
    size_t room = sizeof err->msg - lp - 3;
    size_t lo = strlen(old);
    if (lo > room)
        lo = room;
    memcpy(err->msg + lp + 2, old, lo);
    err->msg[lp + 2 + lo] = '\0';
    return err->code;
}

void sc_err_clear(sc_err *err)
{
    if (err) {
        err->code = SC_OK;
        err->msg[0] = '\0';
    }
}

int sc_exit_status(int code)
{
    switch (code) {
    case SC_OK: return 0;
    case SC_EARG: return 64;          /* EX_USAGE */
    case SC_EFORMAT:
    case SC_ERANGE:
    case SC_ECORRUPT:
    case SC_ESECURITY: return 65;     /* EX_DATAERR */
    case SC_ENOTFOUND: return 66;     /* EX_NOINPUT */
    case SC_EUNSUPPORTED: return 69;  /* EX_UNAVAILABLE */
    case SC_EINTERNAL: return 70;     /* EX_SOFTWARE */
    case SC_ENOMEM: return 71;        /* EX_OSERR */
    case SC_EIO: return 74;           /* EX_IOERR */
    case SC_EABI:
    case SC_ECONFIG: return 78;       /* EX_CONFIG */
    default: return 70;
    }
}
