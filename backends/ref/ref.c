/* backends/ref/ref.c - the reference backend: plugin entry, memory,
 * gemm/linear (ref_gemm.c computes) and the simple element-wise and copy
 * ops.
 */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

typedef struct ref_ctx {
    const sc_host *host;
} ref_ctx;

static int ref_gemm(void *ctx, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                    int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    return sc_ref_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

static int ref_linear(void *ctx, const float *x, int ldx, int M, int K, const float *W,
                      const float *b, int N, float *y, int ldy)
{
    int rc = sc_ref_gemm(0, 1, M, N, K, 1.0f, x, ldx, W, K, 0.0f, y, ldy);
    if (rc || !b)
        return rc;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            y[(size_t)i * ldy + j] += b[j];
    return SC_OK;
}

static int ref_binary(void *ctx, int op, const float *a, const float *b, int64_t n, float *y)
{
    if (n < 0)
        return SC_EARG;
    switch (op) {
    case SC_BIN_ADD:
        for (int64_t i = 0; i < n; i++)
            y[i] = a[i] + b[i];
        return SC_OK;
    case SC_BIN_SUB:
        for (int64_t i = 0; i < n; i++)
            y[i] = a[i] - b[i];
        return SC_OK;
    case SC_BIN_MUL:
        for (int64_t i = 0; i < n; i++)
            y[i] = a[i] * b[i];
        return SC_OK;
    }
    return SC_EARG;
}

static int ref_scale(void *ctx, const float *x, int64_t n, float alpha, float beta, float *y)
{
    if (n < 0)
        return SC_EARG;
    for (int64_t i = 0; i < n; i++)
        y[i] = alpha * x[i] + beta;
    return SC_OK;
}

static int ref_bias(void *ctx, const float *x, int rows, int cols, const float *v, int per_row,
                    float *y)
{
    if (rows < 0 || cols < 0)
        return SC_EARG;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        if (per_row) {
            float vr = v[r];
            for (int c = 0; c < cols; c++)
                yr[c] = xr[c] + vr;
        } else {
            for (int c = 0; c < cols; c++)
                yr[c] = xr[c] + v[c];
        }
    }
    return SC_OK;
}

static int ref_upsample2x(void *ctx, const float *x, int C, int H, int W, float *y)
{
    if (C < 0 || H < 0 || W < 0)
        return SC_EARG;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H; i++) {
            const float *xr = x + ((size_t)c * H + i) * W;
            float *y0 = y + ((size_t)c * 2 * H + 2 * i) * 2 * W;
            for (int j = 0; j < W; j++)
                y0[2 * j] = y0[2 * j + 1] = xr[j];
            memcpy(y0 + 2 * W, y0, (size_t)2 * W * sizeof(float));
        }
    return SC_OK;
}

static int ref_copy2d(void *ctx, const float *src, int lds, float *dst, int ldd, int rows,
                      int cols)
{
    if (rows < 0 || cols < 0 || lds < cols || ldd < cols)
        return SC_EARG;
    for (int r = 0; r < rows; r++)
        memcpy(dst + (size_t)r * ldd, src + (size_t)r * lds, (size_t)cols * sizeof(float));
    return SC_OK;
}

/* Lifetime and memory. */

static int ref_create(const sc_host *host, const char *options, void **ctx, sc_err *err)
{
    /* the reference is fp32 by definition (sc/backend.h: precision) */
    if (options && strstr(options, "precision=bf16")) {
        if (host && host->err_set)
            host->err_set(err, SC_ECONFIG, "ref backend: [backend] precision = bf16: the ref "
                                           "backend computes in fp32 only (use the blas backend, "
                                           "or precision = auto)");
        return SC_ECONFIG;
    }
    ref_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        if (host && host->err_set)
            host->err_set(err, SC_ENOMEM, "ref backend: out of memory");
        return SC_ENOMEM;
    }
    c->host = host;
    *ctx = c;
    return SC_OK;
}

static void ref_destroy(void *ctx) { free(ctx); }

static int ref_supports(void *ctx, int op) { return op >= 0 && op < SC_OP_COUNT; }

static void *ref_buf_alloc(void *ctx, size_t bytes)
{
    size_t n = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, n ? n : 64);
}

static void ref_buf_free(void *ctx, void *p) { free(p); }

static int ref_memcpy(void *ctx, void *dst, const void *src, size_t bytes)
{
    if (bytes)
        memcpy(dst, src, bytes);
    return SC_OK;
}

static const float *ref_weight(void *ctx, const float *host, size_t count) { return host; }

static int ref_sync(void *ctx) { return SC_OK; }

static const sc_backend_vt ref_vt = {
    .struct_size = sizeof(sc_backend_vt),
    .host_memory = 1,
    .create = ref_create,
    .destroy = ref_destroy,
    .supports = ref_supports,
    .buf_alloc = ref_buf_alloc,
    .buf_free = ref_buf_free,
    .upload = ref_memcpy,
    .download = ref_memcpy,
    .weight = ref_weight,
    .sync = ref_sync,
    .gemm = ref_gemm,
    .linear = ref_linear,
    .layernorm = sc_ref_layernorm,
    .groupnorm = sc_ref_groupnorm,
    .act = sc_ref_act,
    .binary = ref_binary,
    .scale = ref_scale,
    .bias = ref_bias,
    .attention = sc_ref_attention,
    .conv2d = sc_ref_conv2d,
    .conv1d = sc_ref_conv1d,
    .conv_transpose1d = sc_ref_conv_transpose1d,
    .lstm = sc_ref_lstm,
    .nearest = sc_ref_nearest,
    .geglu = sc_ref_geglu,
    .upsample2x = ref_upsample2x,
    .copy2d = ref_copy2d,
};

static const sc_plugin_info ref_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_BACKEND,
    .name = "ref",
    .version = "1",
    .description = "reference backend: portable C, single-threaded, the test oracle",
    .vtable = &ref_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    return &ref_info;
}
