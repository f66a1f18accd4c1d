/* The host function table handed to plugins (see sc/plugin.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sc/registry.h"
#include "sc/weights.h"

static void host_log(const sc_log *log, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_log_msgv(log, level, fmt, ap);
    va_end(ap);
}

static int host_err_set(sc_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sc_err_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

static int host_err_prefix(sc_err *err, const char *fmt, ...)
{
    if (!err || err->code == SC_OK)
        return SC_OK;
    char pre[SC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    return sc_err_prefix(err, "%s", pre);
}

static const sc_tensor *host_weight(const sc_weights *w, const char *key, sc_err *err)
{
    return sc_weights_get(w, key, err);
}

static const float *host_weight_f32(const sc_weights *w, const char *key, int ndim,
                                    const int64_t *shape, sc_err *err)
{
    return sc_weights_f32(w, key, ndim, shape, err);
}

static const char *host_weights_path(const sc_weights *w)
{
    return sc_weights_path(w);
}

void sc_host_init(sc_host *h, const sc_log *log, sc_pool *pool)
{
    memset(h, 0, sizeof *h);
    h->abi_version = SC_PLUGIN_ABI_VERSION;
    h->struct_size = sizeof *h;
    h->log = log;
    h->log_msg = host_log;
    h->err_set = host_err_set;
    h->err_prefix = host_err_prefix;
    h->pool = pool;
    h->pool_for = sc_pool_for;
    h->pool_size = sc_pool_size;
    h->weight = host_weight;
    h->weight_f32 = host_weight_f32;
    h->weights_path = host_weights_path;
}
