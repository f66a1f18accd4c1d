/* sc/stage_util.h - what every stage plugin needs besides its own maths:
 * the weight walk, the "key=value" options list and the message for a
 * failed backend op.  Static inline on purpose: plugins never link libsc
 * (they get the host's services through sc_host, sc/plugin.h), so shared
 * plugin code can only be shared as source.
 *
 * Weight walk.  One function of the plugin names every tensor it reads,
 * once, and serves both declare() and create(), so the declared list and
 * the tensors read cannot disagree:
 *   - declare mode (sc_walk_declare): each call passes the key and shape to
 *     the host's need() and returns NULL; the first failure is kept in rc
 *     and every key is still named (the host reports every mismatch);
 *   - load mode (sc_walk_load): each call returns the tensor as float32
 *     host memory (sc_walk_host) or as a backend weight pointer
 *     (sc_walk_weight); the first failure sets rc and err, and every later
 *     call returns NULL without reading.
 *
 * Options.  A stage's [stage] options string is a list of key=value items
 * separated by commas or blanks; sc_opt_next walks it without copying.
 *
 * Ownership: nothing here allocates; keys are copied by the host.
 */
#ifndef SC_STAGE_UTIL_H
#define SC_STAGE_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_walk {
    const sc_model_info *model;
    /* declare mode */
    void *dctx;
    sc_need_fn need;
    /* load mode */
    const sc_stage_env *env;
    sc_err *err;
    int rc;                    /* first failure (negative sc_status), or SC_OK */
} sc_walk;

static inline sc_walk sc_walk_declare(const sc_model_info *model, void *dctx, sc_need_fn need)
{
    sc_walk w = {model, dctx, need, NULL, NULL, SC_OK};
    return w;
}

static inline sc_walk sc_walk_load(const sc_stage_env *env, sc_err *err)
{
    sc_walk w = {env->model, NULL, NULL, env, err, SC_OK};
    return w;
}

static inline size_t sc_walk_count(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)shape[i];
    return n;
}

/* Tensor `key` of float32 shape[0..ndim): host memory in load mode, NULL
 * in declare mode or after a failure. */
static inline const float *sc_walk_host(sc_walk *w, const char *key, int ndim,
                                        const int64_t *shape)
{
    if (w->need) {
        int rc = w->need(w->dctx, key, SC_F32, ndim, shape);
        if (rc && !w->rc)
            w->rc = rc < 0 ? rc : SC_EFORMAT;
        return NULL;
    }
    if (w->rc)
        return NULL;
    const sc_host *h = w->env->host;
    const float *p = h->weight_f32(w->env->weights, key, ndim, shape, w->err);
    if (!p)
        w->rc = w->err && w->err->code ? w->err->code : SC_ENOTFOUND;
    return p;
}

/* The same as a backend weight pointer (be->weight). */
static inline const float *sc_walk_weight(sc_walk *w, const char *key, int ndim,
                                          const int64_t *shape)
{
    const float *p = sc_walk_host(w, key, ndim, shape);
    if (!p)
        return NULL;
    const sc_stage_env *env = w->env;
    const float *d = env->be->weight(env->be_ctx, p, sc_walk_count(ndim, shape));
    if (!d)
        w->rc = env->host->err_set(w->err, SC_ENOMEM, "%s: %s: backend cannot hold the weight",
                                   env->host->weights_path(env->weights), key);
    return d;
}

/* sc_walk_weight with a printf-style key (at most 255 characters). */
static inline const float *sc_walk_weightf(sc_walk *w, int ndim, const int64_t *shape,
                                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline const float *sc_walk_weightf(sc_walk *w, int ndim, const int64_t *shape,
                                           const char *fmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof key, fmt, ap);
    va_end(ap);
    return sc_walk_weight(w, key, ndim, shape);
}

/* One item of an options list: key[0..klen), and the value val[0..vlen)
 * when the item has an '=' (has_val); item[0..ilen) is the whole item. */
typedef struct sc_opt {
    const char *item, *key, *val;
    int ilen, klen, vlen, has_val;
} sc_opt;

static inline int sc_opt_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Next item of *p (NULL: none): 1 with *o set and *p moved past it, 0 at
 * the end. */
static inline int sc_opt_next(const char **p, sc_opt *o)
{
    const char *s = *p;
    if (!s)
        return 0;
    while (*s && sc_opt_sep(*s))
        s++;
    *p = s;
    if (!*s)
        return 0;
    o->item = o->key = s;
    while (*s && *s != '=' && !sc_opt_sep(*s))
        s++;
    o->klen = (int)(s - o->key);
    o->has_val = *s == '=';
    if (o->has_val)
        s++;
    o->val = s;
    while (*s && !sc_opt_sep(*s))
        s++;
    o->vlen = (int)(s - o->val);
    o->ilen = (int)(s - o->item);
    *p = s;
    return 1;
}

/* Is the item's key `key`? */
static inline int sc_opt_is(const sc_opt *o, const char *key)
{
    return (size_t)o->klen == strlen(key) && !strncmp(o->key, key, (size_t)o->klen);
}

/* Is the item exactly key=value (both given as one "key=value" string)? */
static inline int sc_opt_eq(const sc_opt *o, const char *item)
{
    return (size_t)o->ilen == strlen(item) && !strncmp(o->item, item, (size_t)o->ilen);
}

/* The value as a decimal integer in [lo, hi]: 0, or -1 when it is not. */
static inline int sc_opt_int(const sc_opt *o, long lo, long hi, long *v)
{
    char buf[32], *end;
    if (!o->has_val || o->vlen == 0 || o->vlen >= (int)sizeof buf)
        return -1;
    memcpy(buf, o->val, (size_t)o->vlen);
    buf[o->vlen] = 0;
    long x = strtol(buf, &end, 10);
    if (*end || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

/* Error for a backend op that returned rc != SC_OK, with rc as the code
 * when it is negative: "<stage>: backend failed in <what> (status <rc>)".
 * what is a step ("the UNet") or the text of the call ("s->be->gemm(...)"),
 * of which only the op after "->" is named: the call text is not for
 * users. */
static inline int sc_stage_op_fail(const sc_host *h, sc_err *err, const char *stage, int rc,
                                   const char *what)
{
    char op[32];
    const char *p = strstr(what, "->");
    if (p) {
        size_t i = 0;
        for (p += 2; i + 1 < sizeof op && (p[0] == '_' || (p[0] >= 'a' && p[0] <= 'z') ||
                                           (p[0] >= 'A' && p[0] <= 'Z') ||
                                           (p[0] >= '0' && p[0] <= '9'));
             p++)
            op[i++] = *p;
        op[i] = 0;
        what = i ? op : "?";
    }
    return h->err_set(err, rc < 0 ? rc : SC_EINTERNAL, "%s: backend failed in %s (status %d)",
                      stage, what, rc);
}

/* Runs call (a backend op); on failure returns sc_stage_op_fail's code. */
#define SC_STAGE_TRY(host, err, stage, call, what)                                      \
    do {                                                                               \
        int sc_rc_ = (call);                                                           \
        if (sc_rc_ != SC_OK)                                                           \
            return sc_stage_op_fail((host), (err), (stage), sc_rc_, (what));           \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
