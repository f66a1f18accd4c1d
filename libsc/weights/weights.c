/* libsc/weights/weights.c - named tensors for stages (see sc/weights.h).
 *
 * Checkpoint-backed weights hand out the checkpoint's views of the mapped
 * file; source-backed weights call the source once per key and keep the
 * result.  float32 access returns the mapped bytes themselves when they
 * already are contiguous, aligned float32, and otherwise a converted copy
 * made once and cached.  A mutex guards the caches so stages may fetch
 * weights from several threads.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/weights.h"
#include "strmap.h"

typedef struct wentry {
    const char *key;
    const sc_tensor *t;     /* NULL until a source produced it */
    sc_tensor own;          /* source-backed: the tensor we hold */
    float *f32;             /* converted copy, or NULL */
} wentry;

struct sc_weights {
    char *path;
    sc_ckpt *ck;
    sc_weights_source src;
    int has_src;
    int64_t n;
    wentry *e;
    char *keys;             /* source-backed: copies of the keys */
    sci_strmap idx;
    pthread_mutex_t lock;
};

static sc_weights *alloc_weights(const char *name, int64_t n, sc_err *err)
{
    sc_weights *w = (sc_weights *)calloc(1, sizeof *w);
    if (w) {
        w->path = strdup(name ? name : "(weights)");
        w->e = (wentry *)calloc(n > 0 ? (size_t)n : 1, sizeof *w->e);
    }
    if (!w || !w->path || !w->e || (n < 0) || sci_strmap_init(&w->idx, (size_t)(n > 0 ? n : 0)) < 0) {
        if (w) {
            free(w->path);
            free(w->e);
            sci_strmap_free(&w->idx);
            free(w);
        }
        sc_err_set(err, n < 0 ? SC_EFORMAT : SC_ENOMEM, "%s: cannot create weights for %lld keys",
                   name ? name : "(weights)", (long long)n);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    w->n = n;
    return w;
}

void sc_weights_close(sc_weights *w)
{
    if (!w)
        return;
    for (int64_t i = 0; i < w->n; i++) {
        free(w->e[i].f32);
        sc_tensor_release(&w->e[i].own);
    }
    if (w->has_src && w->src.close)
        w->src.close(w->src.ctx);
    sc_ckpt_close(w->ck);
    sci_strmap_free(&w->idx);
    pthread_mutex_destroy(&w->lock);
    free(w->keys);
    free(w->e);
    free(w->path);
    free(w);
}

sc_weights *sc_weights_from_ckpt(sc_ckpt *ck, sc_err *err)
{
    if (!ck) {
        sc_err_set(err, SC_EARG, "weights: no checkpoint");
        return NULL;
    }
    sc_weights *w = alloc_weights(sc_ckpt_path(ck), sc_ckpt_count(ck), err);
    if (!w) {
        sc_ckpt_close(ck);
        return NULL;
    }
    w->ck = ck;
    for (int64_t i = 0; i < w->n; i++) {
        w->e[i].t = sc_ckpt_at(ck, i, &w->e[i].key);
        sci_strmap_put(&w->idx, w->e[i].key, strlen(w->e[i].key), i, NULL);
    }
    return w;
}

sc_weights *sc_weights_open(const char *path, sc_err *err)
{
    sc_ckpt *ck = sc_ckpt_open(path, err);
    return ck ? sc_weights_from_ckpt(ck, err) : NULL;
}

sc_weights *sc_weights_from_source(const sc_weights_source *src, sc_err *err)
{
    const char *name = src && src->name ? src->name : "(weights)";
    if (!src || !src->count || !src->key_at || !src->get) {
        sc_err_set(err, SC_EARG, "%s: incomplete weights source", name);
        return NULL;
    }
    int64_t n = src->count(src->ctx);
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *k = src->key_at(src->ctx, i);
        if (!k) {
            sc_err_set(err, SC_EINTERNAL, "%s: source has no key %lld", name, (long long)i);
            return NULL;
        }
        bytes += strlen(k) + 1;
    }
    sc_weights *w = alloc_weights(name, n, err);
    if (!w)
        return NULL;
    w->keys = (char *)malloc(bytes ? bytes : 1);
    if (!w->keys) {
        sc_weights_close(w);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    char *p = w->keys;
    for (int64_t i = 0; i < n; i++) {
        const char *k = src->key_at(src->ctx, i);
        size_t len = strlen(k);
        memcpy(p, k, len + 1);
        w->e[i].key = p;
        if (sci_strmap_put(&w->idx, p, len, i, NULL) != 1) {
            sc_err_set(err, SC_EINTERNAL, "%s: duplicate key '%s'", name, p);
            sc_weights_close(w);    /* has_src still 0: the caller keeps ctx */
            return NULL;
        }
        p += len + 1;
    }
    w->src = *src;
    w->has_src = 1;
    return w;
}

const char *sc_weights_path(const sc_weights *w)
{
    return w->path;
}

int64_t sc_weights_count(const sc_weights *w)
{
    return w->n;
}

const char *sc_weights_key(const sc_weights *w, int64_t i)
{
    return i < 0 || i >= w->n ? NULL : w->e[i].key;
}

static wentry *entry(const sc_weights *w, const char *key, sc_err *err)
{
    int64_t i = key ? sci_strmap_get(&w->idx, key, strlen(key)) : -1;
    if (i < 0) {
        sc_err_set(err, SC_ENOTFOUND, "%s: missing key '%s'", w->path, key ? key : "(null)");
        return NULL;
    }
    wentry *e = &w->e[i];
    if (__atomic_load_n(&e->t, __ATOMIC_ACQUIRE))
        return e;
    sc_weights *mw = (sc_weights *)w;   /* the cache is logically const */
    pthread_mutex_lock(&mw->lock);
    int rc = SC_OK;
    if (!e->t) {
        sc_tensor t;
        memset(&t, 0, sizeof t);
        rc = w->src.get(w->src.ctx, key, &t, err);
        if (rc >= 0 && (t.ndim < 0 || t.ndim > SC_MAX_DIMS || !sc_dtype_size(t.dtype))) {
            sc_tensor_release(&t);
            rc = sc_err_set(err, SC_EINTERNAL, "%s: key '%s': source gave a malformed tensor",
                            w->path, key);
        }
        if (rc >= 0) {
            e->own = t;
            __atomic_store_n(&e->t, &e->own, __ATOMIC_RELEASE);
        } else if (err && err->code == SC_OK) {
            sc_err_set(err, rc, "%s: key '%s': cannot produce tensor", w->path, key);
        }
    }
    pthread_mutex_unlock(&mw->lock);
    return rc < 0 ? NULL : e;
}

const sc_tensor *sc_weights_get(const sc_weights *w, const char *key, sc_err *err)
{
    wentry *e = entry(w, key, err);
    return e ? __atomic_load_n(&e->t, __ATOMIC_ACQUIRE) : NULL;
}

/* "768x1x16x16"/"scalar" with '*' for wildcard dims. */
static char *shape_str(const int64_t *shape, int ndim, char *buf, size_t n)
{
    if (ndim == 0) {
        snprintf(buf, n, "scalar");
        return buf;
    }
    size_t j = 0;
    buf[0] = 0;
    for (int d = 0; d < ndim && j < n; d++) {
        int k = shape[d] < 0 ? snprintf(buf + j, n - j, "%s*", d ? "x" : "")
                             : snprintf(buf + j, n - j, "%s%lld", d ? "x" : "", (long long)shape[d]);
        if (k < 0)
            break;
        j += (size_t)k;
    }
    return buf;
}

static int check_tensor(const sc_weights *w, const char *key, const sc_tensor *t, int dtype_any_float,
                        sc_dtype dtype, int ndim, const int64_t *shape, sc_err *err)
{
    int ok_dtype = dtype_any_float ? (t->dtype == SC_F32 || t->dtype == SC_F16 ||
                                      t->dtype == SC_BF16 || t->dtype == SC_F64)
                                   : t->dtype == dtype;
    if (!ok_dtype)
        return sc_err_set(err, SC_EFORMAT, "%s: key '%s': dtype %s, expected %s", w->path, key,
                          sc_dtype_name(t->dtype),
                          dtype_any_float ? "a floating-point type" : sc_dtype_name(dtype));
    if (ndim < 0)
        return SC_OK;
    int ok = ndim == t->ndim && (ndim == 0 || shape);
    for (int d = 0; ok && d < ndim; d++)
        if (shape[d] >= 0 && shape[d] != t->shape[d])
            ok = 0;
    if (!ok) {
        char got[160], want[160];
        return sc_err_set(err, SC_EFORMAT, "%s: key '%s': shape %s, expected %s", w->path, key,
                          shape_str(t->shape, t->ndim, got, sizeof got),
                          ndim <= SC_MAX_DIMS && (ndim == 0 || shape)
                              ? shape_str(shape, ndim, want, sizeof want)
                              : "(invalid)");
    }
    return SC_OK;
}

int sc_weights_check(const sc_weights *w, const char *key, sc_dtype dtype, int ndim,
                     const int64_t *shape, sc_err *err)
{
    wentry *e = entry(w, key, err);
    if (!e)
        return err ? err->code : SC_ENOTFOUND;
    return check_tensor(w, key, __atomic_load_n(&e->t, __ATOMIC_ACQUIRE), 0, dtype, ndim, shape,
                        err);
}

const float *sc_weights_f32(const sc_weights *w, const char *key, int ndim, const int64_t *shape,
                            sc_err *err)
{
    static const float empty[1] = {0.0f};
    wentry *e = entry(w, key, err);
    if (!e)
        return NULL;
    const sc_tensor *t = __atomic_load_n(&e->t, __ATOMIC_ACQUIRE);
    if (check_tensor(w, key, t, 1, SC_F32, ndim, shape, err) < 0)
        return NULL;
    int64_t n = sc_tensor_numel(t);
    if (n == 0)
        return empty;
    if (t->dtype == SC_F32 && sc_tensor_is_contiguous(t) && ((uintptr_t)t->data & 3) == 0)
        return (const float *)t->data;
    float *f = __atomic_load_n(&e->f32, __ATOMIC_ACQUIRE);
    if (f)
        return f;
    sc_weights *mw = (sc_weights *)w;
    pthread_mutex_lock(&mw->lock);
    f = e->f32;
    if (!f) {
        void *p = NULL;
        if ((uint64_t)n > SIZE_MAX / 4 || posix_memalign(&p, 64, (size_t)n * 4) != 0) {
            sc_err_set(err, SC_ENOMEM, "%s: key '%s': cannot allocate %lld floats", w->path, key,
                       (long long)n);
        } else if (sc_tensor_to_f32(t, (float *)p, err) < 0) {
            sc_err_prefix(err, "%s: key '%s'", w->path, key);
            free(p);
        } else {
            f = (float *)p;
            __atomic_store_n(&e->f32, f, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&mw->lock);
    return f;
}
