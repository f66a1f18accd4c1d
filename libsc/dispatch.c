/* A live backend whose op table is complete: ops the chosen backend lacks
 * are forwarded to `ref` (see sc/registry.h).  Forwarding costs one
 * indirect call per op, which is nothing next to the ops themselves. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct dispatch {
    const sc_backend_vt *vt[SC_OP_COUNT];   /* who serves each op */
    void *ctx[SC_OP_COUNT];
    const sc_backend_vt *main_vt, *ref_vt;
    void *main_ctx, *ref_ctx;
} dispatch;

const char *sc_op_name(int op)
{
    static const char *const n[SC_OP_COUNT] = {
        "gemm", "linear", "layernorm", "groupnorm", "act", "binary", "scale", "bias",
        "attention", "conv2d", "conv1d", "conv_transpose1d", "lstm", "nearest", "geglu",
        "upsample2x", "copy2d"};
    return op >= 0 && op < SC_OP_COUNT ? n[op] : "unknown";
}

/* Offset of each op's slot, so availability can be checked against the
 * struct_size an older backend reports. */
static const size_t op_slot[SC_OP_COUNT] = {
    offsetof(sc_backend_vt, gemm),       offsetof(sc_backend_vt, linear),
    offsetof(sc_backend_vt, layernorm),  offsetof(sc_backend_vt, groupnorm),
    offsetof(sc_backend_vt, act),        offsetof(sc_backend_vt, binary),
    offsetof(sc_backend_vt, scale),      offsetof(sc_backend_vt, bias),
    offsetof(sc_backend_vt, attention),  offsetof(sc_backend_vt, conv2d),
    offsetof(sc_backend_vt, conv1d),     offsetof(sc_backend_vt, conv_transpose1d),
    offsetof(sc_backend_vt, lstm),       offsetof(sc_backend_vt, nearest),
    offsetof(sc_backend_vt, geglu),      offsetof(sc_backend_vt, upsample2x),
    offsetof(sc_backend_vt, copy2d),
};

static int has_op(const sc_backend_vt *vt, void *ctx, int op)
{
    if (vt->struct_size < op_slot[op] + sizeof(void *))
        return 0;
    void *fn;
    memcpy(&fn, (const char *)vt + op_slot[op], sizeof fn);
    if (!fn)
        return 0;
    if (vt->supports && !vt->supports(ctx, op))
        return 0;
    return 1;
}

#define D(c) ((dispatch *)(c))
#define FWD(op, member, ...) D(c)->vt[op]->member(D(c)->ctx[op], __VA_ARGS__)

static int fw_gemm(void *c, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    return FWD(SC_OP_GEMM, gemm, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
static int fw_linear(void *c, const float *x, int ldx, int M, int K, const float *W,
                     const float *b, int N, float *y, int ldy)
{
    return FWD(SC_OP_LINEAR, linear, x, ldx, M, K, W, b, N, y, ldy);
}
static int fw_layernorm(void *c, const float *x, int rows, int cols, const float *g,
                        const float *b, float eps, float *y)
{
    return FWD(SC_OP_LAYERNORM, layernorm, x, rows, cols, g, b, eps, y);
}
static int fw_groupnorm(void *c, const float *x, int C, int HW, int groups, const float *g,
                        const float *b, float eps, int silu, float *y)
{
    return FWD(SC_OP_GROUPNORM, groupnorm, x, C, HW, groups, g, b, eps, silu, y);
}
static int fw_act(void *c, int act, float alpha, const float *x, int64_t n, float *y)
{
    return FWD(SC_OP_ACT, act, act, alpha, x, n, y);
}
static int fw_binary(void *c, int op, const float *a, const float *b, int64_t n, float *y)
{
    return FWD(SC_OP_BINARY, binary, op, a, b, n, y);
}
static int fw_scale(void *c, const float *x, int64_t n, float alpha, float beta, float *y)
{
    return FWD(SC_OP_SCALE, scale, x, n, alpha, beta, y);
}
static int fw_bias(void *c, const float *x, int rows, int cols, const float *v, int per_row,
                   float *y)
{
    return FWD(SC_OP_BIAS, bias, x, rows, cols, v, per_row, y);
}
static int fw_attention(void *c, const float *q, int ldq, const float *k, int ldk,
                        const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                        int dh, float scale)
{
    return FWD(SC_OP_ATTENTION, attention, q, ldq, k, ldk, v, ldv, o, ldo, heads, Lq, Lk, dh,
               scale);
}
static int fw_conv2d(void *c, const float *x, int Cin, int H, int W, const float *w,
                     const float *b, int Cout, int kh, int kw, int stride, int pad, float *y)
{
    return FWD(SC_OP_CONV2D, conv2d, x, Cin, H, W, w, b, Cout, kh, kw, stride, pad, y);
}
static int fw_conv1d(void *c, const float *x, int Cin, int L, const float *w, const float *b,
                     int Cout, int k, int stride, int pad, int dilation, float *y)
{
    return FWD(SC_OP_CONV1D, conv1d, x, Cin, L, w, b, Cout, k, stride, pad, dilation, y);
}
static int fw_convt1d(void *c, const float *x, int Cin, int L, const float *w, const float *b,
                      int Cout, int k, int stride, int pad, float *y)
{
    return FWD(SC_OP_CONVT1D, conv_transpose1d, x, Cin, L, w, b, Cout, k, stride, pad, y);
}
static int fw_lstm(void *c, int T, int B, int H, const float *gx, const float *whh,
                   int reverse, float *out, int ldo, float *ws)
{
    return FWD(SC_OP_LSTM, lstm, T, B, H, gx, whh, reverse, out, ldo, ws);
}
static int fw_nearest(void *c, int mode, const float *x, int ldx, int M, int D,
                      const float *cb, const float *cbn, int N, int64_t *idx, float *dist)
{
    return FWD(SC_OP_NEAREST, nearest, mode, x, ldx, M, D, cb, cbn, N, idx, dist);
}
static int fw_geglu(void *c, const float *x, int rows, int n, float *y)
{
    return FWD(SC_OP_GEGLU, geglu, x, rows, n, y);
}
static int fw_upsample2x(void *c, const float *x, int C, int H, int W, float *y)
{
    return FWD(SC_OP_UPSAMPLE2X, upsample2x, x, C, H, W, y);
}
static int fw_copy2d(void *c, const float *src, int lds, float *dst, int ldd, int rows,
                     int cols)
{
    return FWD(SC_OP_COPY2D, copy2d, src, lds, dst, ldd, rows, cols);
}

/* Memory management always belongs to the chosen backend. */
static void *fw_buf_alloc(void *c, size_t n) { return D(c)->main_vt->buf_alloc(D(c)->main_ctx, n); }
static void fw_buf_free(void *c, void *p) { D(c)->main_vt->buf_free(D(c)->main_ctx, p); }
static int fw_upload(void *c, void *d, const void *s, size_t n)
{
    return D(c)->main_vt->upload(D(c)->main_ctx, d, s, n);
}
static int fw_download(void *c, void *d, const void *s, size_t n)
{
    return D(c)->main_vt->download(D(c)->main_ctx, d, s, n);
}
static const float *fw_weight(void *c, const float *h, size_t n)
{
    return D(c)->main_vt->weight(D(c)->main_ctx, h, n);
}
static int fw_sync(void *c) { return D(c)->main_vt->sync ? D(c)->main_vt->sync(D(c)->main_ctx) : 0; }
static int fw_supports(void *c, int op) { return op >= 0 && op < SC_OP_COUNT; }

static const sc_backend_vt forward_vt = {
    .struct_size = sizeof(sc_backend_vt),
    .supports = fw_supports,
    .buf_alloc = fw_buf_alloc, .buf_free = fw_buf_free, .upload = fw_upload,
    .download = fw_download, .weight = fw_weight, .sync = fw_sync,
    .gemm = fw_gemm, .linear = fw_linear, .layernorm = fw_layernorm,
    .groupnorm = fw_groupnorm, .act = fw_act, .binary = fw_binary, .scale = fw_scale,
    .bias = fw_bias, .attention = fw_attention, .conv2d = fw_conv2d, .conv1d = fw_conv1d,
    .conv_transpose1d = fw_convt1d, .lstm = fw_lstm, .nearest = fw_nearest,
    .geglu = fw_geglu, .upsample2x = fw_upsample2x, .copy2d = fw_copy2d,
};

static int open_one(const sc_registry *reg, const sc_plugin_rec *rec, const char *options,
                    const sc_backend_vt **vt, void **ctx, sc_err *err)
{
    const sc_backend_vt *v = rec->info->vtable;
    if (v->struct_size < offsetof(sc_backend_vt, sync) + sizeof(void *) || !v->create ||
        !v->buf_alloc || !v->buf_free || !v->upload || !v->download || !v->weight)
        return sc_err_set(err, SC_EABI, "%s: backend '%s' lacks its memory functions",
                          rec->path, rec->info->name);
    *vt = v;
    int rc = v->create(sc_registry_host(reg), options, ctx, err);
    if (rc)
        sc_err_prefix(err, "backend '%s' (%s)", rec->info->name, rec->path);
    return rc;
}

sc_backend *sc_backend_open(sc_registry *reg, const char *name, const char *options,
                            sc_err *err)
{
    const sc_plugin_rec *rec = sc_registry_find(reg, SC_KIND_BACKEND, name);
    const sc_plugin_rec *ref = sc_registry_ref(reg);
    if (!rec) {
        sc_err_set(err, SC_ENOTFOUND,
                   "backend '%s' not found (searched $SC_PLUGIN_PATH and the plugin "
                   "directory; `sc-info` lists what is installed)", name);
        return NULL;
    }
    if (!ref) {
        sc_err_set(err, SC_ENOTFOUND, "the 'ref' backend is not installed; it serves every "
                                      "op another backend lacks");
        return NULL;
    }
    sc_backend *be = calloc(1, sizeof *be);
    dispatch *d = calloc(1, sizeof *d);
    if (!be || !d) {
        free(be);
        free(d);
        sc_err_set(err, SC_ENOMEM, "backend '%s': out of memory", name);
        return NULL;
    }
    const sc_host *host = sc_registry_host(reg);
    if (open_one(reg, rec, options, &d->main_vt, &d->main_ctx, err))
        goto fail;
    if (rec == ref) {
        d->ref_vt = d->main_vt;
        d->ref_ctx = d->main_ctx;
    } else if (open_one(reg, ref, NULL, &d->ref_vt, &d->ref_ctx, err)) {
        d->main_vt->destroy(d->main_ctx);
        goto fail;
    }
    for (int op = 0; op < SC_OP_COUNT; op++) {
        if (has_op(d->main_vt, d->main_ctx, op)) {
            d->vt[op] = d->main_vt;
            d->ctx[op] = d->main_ctx;
            be->served[op] = rec->info->name;
        } else if (has_op(d->ref_vt, d->ref_ctx, op)) {
            if (!d->main_vt->host_memory) {
                sc_err_set(err, SC_EUNSUPPORTED,
                           "backend '%s' lacks op %s and its buffers are not host memory, "
                           "so 'ref' cannot serve it", name, sc_op_name(op));
                goto fail_both;
            }
            d->vt[op] = d->ref_vt;
            d->ctx[op] = d->ref_ctx;
            be->served[op] = "ref";
            if (host)
                sc_log_msg(host->log, SC_LOG_DEBUG, "backend %s: op %s falls back to ref",
                           name, sc_op_name(op));
        } else {
            sc_err_set(err, SC_EINTERNAL, "no backend implements op %s", sc_op_name(op));
            goto fail_both;
        }
    }
    be->vt = forward_vt;
    be->vt.host_memory = d->main_vt->host_memory;
    be->ctx = d;
    be->name = rec->info->name;
    be->priv = d;
    return be;
fail_both:
    if (d->ref_vt != d->main_vt)
        d->ref_vt->destroy(d->ref_ctx);
    d->main_vt->destroy(d->main_ctx);
fail:
    free(d);
    free(be);
    return NULL;
}

void sc_backend_close(sc_backend *be)
{
    if (!be)
        return;
    dispatch *d = be->priv;
    if (d->ref_vt != d->main_vt && d->ref_vt->destroy)
        d->ref_vt->destroy(d->ref_ctx);
    if (d->main_vt->destroy)
        d->main_vt->destroy(d->main_ctx);
    free(d);
    free(be);
}
