/* backends/ref/ref.c - the reference backend: plugin entry, memory,
 * gemm/linear and the simple element-wise and copy ops.
 *
 * gemm is blocked like BLIS (pack op(B) into KC x NR panels and op(A) into
 * MR x KC panels, then an MR x NR register tile) so that the full-size
 * parity tests run in reasonable time, but the arithmetic is exactly the
 * naive k-ordered float32 sum (see ref.h): blocking K continues the same
 * running sum from a workspace instead of starting a new partial sum.
 * The driver is compiled for several ISAs (target_clones) to use wider
 * vectors; with -ffp-contract=off every clone gives the same bits.
 */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

#define MR 6   /* kernel() is written out for 6 rows */
#define NR 16
#define KC 256
#define MC 120
#define NC 512

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define REF_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define REF_CLONES
#endif

typedef struct ref_ctx {
    const sc_host *host;
} ref_ctx;

static inline float opa(int ta, const float *A, int lda, int i, int k)
{
    return ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

/* Ap[p][k][r] = op(A)[i0 + p MR + r][k0 + k], rows past mc are 0. */
static inline void pack_a(int ta, const float *A, int lda, int i0, int mc, int k0, int kc,
                          float *Ap)
{
    for (int p = 0; p < mc; p += MR) {
        int mr = mc - p < MR ? mc - p : MR;
        for (int k = 0; k < kc; k++) {
            float *d = Ap + (size_t)p * kc + (size_t)k * MR;
            int r = 0;
            for (; r < mr; r++)
                d[r] = opa(ta, A, lda, i0 + p + r, k0 + k);
            for (; r < MR; r++)
                d[r] = 0.0f;
        }
    }
}

/* Bp[p][k][j] = op(B)[k0 + k][j0 + p NR + j], columns past nc are 0. */
static inline void pack_b(int tb, const float *B, int ldb, int k0, int kc, int j0, int nc,
                          float *Bp)
{
    for (int p = 0; p < nc; p += NR) {
        int nr = nc - p < NR ? nc - p : NR;
        for (int k = 0; k < kc; k++) {
            float *d = Bp + (size_t)p * kc + (size_t)k * NR;
            int j = 0;
            if (!tb) {
                const float *s = B + (size_t)(k0 + k) * ldb + j0 + p;
                for (; j < nr; j++)
                    d[j] = s[j];
            } else {
                j = nr;   /* transposed: filled row by row below */
            }
            for (; j < NR; j++)
                d[j] = 0.0f;
        }
        if (tb) {
            /* read each row of B (a column of op(B)) contiguously */
            float *d = Bp + (size_t)p * kc;
            for (int j = 0; j < nr; j++) {
                const float *s = B + (size_t)(j0 + p + j) * ldb + k0;
                for (int k = 0; k < kc; k++)
                    d[(size_t)k * NR + j] = s[k];
            }
        }
    }
}

/* tile[MR][NR] += Ap * Bp over kc, k in increasing order.  GNU C vector
 * types (lowered to whatever the target has) keep the tile in registers;
 * each lane is one output element, so no sum is reordered. */
typedef float vnr __attribute__((vector_size(NR * sizeof(float))));

static inline void kernel(int kc, const float *restrict a, const float *restrict b,
                          float *restrict tile)
{
    /* written out for MR = 6 so that the tile stays in registers at -O2
     * too (configure's default CFLAGS come after ours) */
    vnr c0, c1, c2, c3, c4, c5;
    memcpy(&c0, tile + 0 * NR, sizeof(vnr));
    memcpy(&c1, tile + 1 * NR, sizeof(vnr));
    memcpy(&c2, tile + 2 * NR, sizeof(vnr));
    memcpy(&c3, tile + 3 * NR, sizeof(vnr));
    memcpy(&c4, tile + 4 * NR, sizeof(vnr));
    memcpy(&c5, tile + 5 * NR, sizeof(vnr));
    for (int k = 0; k < kc; k++) {
        vnr bk;
        memcpy(&bk, b + (size_t)k * NR, sizeof bk);
        const float *ak = a + (size_t)k * MR;
        c0 += ak[0] * bk;
        c1 += ak[1] * bk;
        c2 += ak[2] * bk;
        c3 += ak[3] * bk;
        c4 += ak[4] * bk;
        c5 += ak[5] * bk;
    }
    memcpy(tile + 0 * NR, &c0, sizeof(vnr));
    memcpy(tile + 1 * NR, &c1, sizeof(vnr));
    memcpy(tile + 2 * NR, &c2, sizeof(vnr));
    memcpy(tile + 3 * NR, &c3, sizeof(vnr));
    memcpy(tile + 4 * NR, &c4, sizeof(vnr));
    memcpy(tile + 5 * NR, &c5, sizeof(vnr));
}

REF_CLONES
static void gemm_blocked(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                         int lda, const float *B, int ldb, float beta, float *C, int ldc,
                         float *Ap, float *Bp, float *Wk)
{
    float tile[MR * NR];
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            int first = pc == 0, last = pc + kc >= K;
            pack_b(tb, B, ldb, pc, kc, jc, nc, Bp);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                pack_a(ta, A, lda, ic, mc, pc, kc, Ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        /* Wk holds the running sums of rows x [jc, jc+nc) between K blocks. */
                        float *w = Wk ? Wk + (size_t)(ic + ir) * NC + jr : NULL;
                        if (first) {
                            memset(tile, 0, sizeof tile);
                        } else {
                            for (int r = 0; r < MR; r++)
                                for (int j = 0; j < NR; j++)
                                    tile[r * NR + j] =
                                        r < mr && j < nr ? w[(size_t)r * NC + j] : 0.0f;
                        }
                        kernel(kc, Ap + (size_t)ir * kc, Bp + (size_t)jr * kc, tile);
                        if (!last) {
                            for (int r = 0; r < mr; r++)
                                for (int j = 0; j < nr; j++)
                                    w[(size_t)r * NC + j] = tile[r * NR + j];
                            continue;
                        }
                        for (int r = 0; r < mr; r++) {
                            float *c = C + (size_t)(ic + ir + r) * ldc + jc + jr;
                            const float *t = tile + r * NR;
                            if (beta == 0.0f) {
                                for (int j = 0; j < nr; j++)
                                    c[j] = alpha * t[j];
                            } else {
                                for (int j = 0; j < nr; j++)
                                    c[j] = alpha * t[j] + beta * c[j];
                            }
                        }
                    }
                }
            }
        }
    }
}

/* One or two rows (matrix-vector products, e.g. an LSTM step with B = 1):
 * packing op(B) would cost more than the product, so B is read in place,
 * streaming its rows.  Same k-ordered float32 sums as the blocked path.
 * (Not cloned: this is memory-bound, and the 8 independent scalar chains
 * below run best as plain scalar code.) */
#define SMALL_M 2
#define SJ 4096

static void gemm_small(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, float *a,
                       float *acc)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        for (int k = 0; k < K; k++)
            a[k] = opa(ta, A, lda, i, k);
        if (!tb) {
            for (int j0 = 0; j0 < N; j0 += SJ) {
                int nj = N - j0 < SJ ? N - j0 : SJ;
                memset(acc, 0, (size_t)nj * sizeof(float));
                for (int k = 0; k < K; k++) {
                    const float *b = B + (size_t)k * ldb + j0;
                    float av = a[k];
                    for (int j = 0; j < nj; j++)
                        acc[j] += av * b[j];
                }
                for (int j = 0; j < nj; j++)
                    c[j0 + j] = beta == 0.0f ? alpha * acc[j] : alpha * acc[j] + beta * c[j0 + j];
            }
            continue;
        }
        /* op(B) columns are rows of B: 8 outputs at a time, each its own
         * sequential sum over a contiguous row */
        for (int j = 0; j < N; j += 8) {
            int nq = N - j < 8 ? N - j : 8;
            const float *b0 = B + (size_t)j * ldb;
            const float *b1 = nq > 1 ? b0 + ldb : b0, *b2 = nq > 2 ? b0 + 2 * (size_t)ldb : b0;
            const float *b3 = nq > 3 ? b0 + 3 * (size_t)ldb : b0, *b4 = nq > 4 ? b0 + 4 * (size_t)ldb : b0;
            const float *b5 = nq > 5 ? b0 + 5 * (size_t)ldb : b0, *b6 = nq > 6 ? b0 + 6 * (size_t)ldb : b0;
            const float *b7 = nq > 7 ? b0 + 7 * (size_t)ldb : b0;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int k = 0; k < K; k++) {
                float av = a[k];
                s0 += av * b0[k];
                s1 += av * b1[k];
                s2 += av * b2[k];
                s3 += av * b3[k];
                s4 += av * b4[k];
                s5 += av * b5[k];
                s6 += av * b6[k];
                s7 += av * b7[k];
            }
            float s[8] = {s0, s1, s2, s3, s4, s5, s6, s7};
            for (int q = 0; q < nq; q++)
                c[j + q] = beta == 0.0f ? alpha * s[q] : alpha * s[q] + beta * c[j + q];
        }
    }
}

int sc_ref_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M < 0 || N < 0 || K < 0 || ldc < N || lda < (ta ? M : K) || ldb < (tb ? K : N))
        return SC_EARG;
    if (M == 0 || N == 0)
        return SC_OK;
    if (K == 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return SC_OK;
    }
    if (M <= SMALL_M) {
        float *tmp = malloc(((size_t)K + SJ) * sizeof(float));
        if (!tmp)
            return SC_ENOMEM;
        gemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tmp, tmp + K);
        free(tmp);
        return SC_OK;
    }
    int kcmax = K < KC ? K : KC;
    int mcmax = ((M < MC ? M : MC) + MR - 1) / MR * MR;
    int ncmax = ((N < NC ? N : NC) + NR - 1) / NR * NR;
    size_t na = (size_t)mcmax * kcmax, nb = (size_t)ncmax * kcmax;
    size_t nw = K > KC ? (size_t)M * NC : 0;
    float *buf = malloc((na + nb + nw) * sizeof(float));
    if (!buf)
        return SC_ENOMEM;
    gemm_blocked(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, buf, buf + na,
                 nw ? buf + na + nb : NULL);
    free(buf);
    return SC_OK;
}

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
