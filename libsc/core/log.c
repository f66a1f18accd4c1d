/* Levelled logging through a caller-owned sink (see sc/log.h). */
#include <stdio.h>
#include "sc/log.h"

void sc_log_msgv(const sc_log *log, int level, const char *fmt, va_list ap)
{
    if (!log || !log->fn || level > log->level)
        return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    log->fn(log->user, level, line);
}

void sc_log_msg(const sc_log *log, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_log_msgv(log, level, fmt, ap);
    va_end(ap);
}

void sc_log_stderr(void *user, int level, const char *line)
{
    static const char *const tag[] = {"", "warning: ", "", "debug: "};
    const char *t = level >= 0 && level <= SC_LOG_DEBUG ? tag[level] : "";
    if (user)
        fprintf(stderr, "%s: %s%s\n", (const char *)user, t, line);
    else
        fprintf(stderr, "%s%s\n", t, line);
}
