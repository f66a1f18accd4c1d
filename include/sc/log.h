/* sc/log.h - levelled logging through a caller-supplied sink.
 *
 * Contract: a sc_log is a small caller-owned value (no global logger).
 * Messages at a level numerically above log->level are dropped before
 * formatting.  The sink receives one complete line without a trailing
 * newline.  sc_log_stderr is the default sink: it writes "PROG: msg\n"
 * to stderr where PROG is the `user` string (may be NULL).
 */
#ifndef SC_LOG_H
#define SC_LOG_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sc_log_level {
    SC_LOG_QUIET = -1,   /* as a threshold: nothing at all */
    SC_LOG_ERROR = 0,
    SC_LOG_WARN = 1,
    SC_LOG_INFO = 2,
    SC_LOG_DEBUG = 3
};

typedef void (*sc_log_fn)(void *user, int level, const char *line);

typedef struct sc_log {
    int level;          /* highest level that is emitted */
    sc_log_fn fn;       /* NULL: drop everything */
    void *user;
} sc_log;

void sc_log_msg(const sc_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sc_log_msgv(const sc_log *log, int level, const char *fmt, va_list ap);
void sc_log_stderr(void *user, int level, const char *line);

#ifdef __cplusplus
}
#endif
#endif
