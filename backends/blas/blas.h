/* backends/blas/blas.h - internals of the `blas` backend.
 *
 * GEMM-shaped work (gemm, linear, convolutions as im2col + GEMM, attention
 * QK^T and PV, LSTM recurrences, nearest-codeword distances) goes to
 * OpenBLAS; everything element-wise goes through a table of hand-vectorised
 * kernels (blas_kern) chosen once per backend instance from the CPU's ISA:
 * AVX-512, AVX2+FMA, or portable C.  All three tables are compiled from the
 * one template kern.inc, so they compute the same formulas.
 *
 * OpenBLAS is dlopened at the first create() (blas_lib.c: so that a CPU
 * newer than the library still gets AVX-512/AVX2 kernels, not SSE3 ones),
 * as a private copy when the host process already has one (so that its
 * kernels and thread count are ours, whatever the host chose).
 *
 * Threading: the program owns parallelism.  OpenBLAS is set to one thread
 * when the backend is created and is never asked to thread; every op splits
 * its work over the host pool (host->pool_for) and each worker calls
 * single-threaded OpenBLAS on its own block.  Reasons: (1) OpenBLAS's
 * pthread workers spin for ~2^28 cycles after each threaded call (see the
 * toolchain notes), stealing a core from the program's own threads on a
 * 2-core machine; (2) one pool means no oversubscription when stages run
 * ops from several threads; (3) the split depends only on the sizes and the
 * pool size, so results are bit-reproducible for a fixed thread count.
 * Two single-threaded sgemm calls on two halves reach the same speed as one
 * 2-thread OpenBLAS call (toolchain notes section 3).  Ops must not be
 * called from inside a pool_for task of the same pool (the pool does not
 * nest).
 */
#ifndef SC_BLAS_H
#define SC_BLAS_H

#include <stddef.h>
#include <stdint.h>
#include <cblas.h>
#include "sc/backend.h"
#include "sc/plugin.h"
#include "blas_bf16.h"

/* OpenBLAS, loaded at run time (blas_lib.c explains why). */
typedef struct blas_lib {
    void (*sgemm)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint,
                  blasint, float, const float *, blasint, const float *, blasint, float, float *,
                  blasint);
    void (*sgemv)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, blasint, blasint, float, const float *,
                  blasint, const float *, blasint, float, float *, blasint);
    void (*set_num_threads)(int);
    char *(*get_config)(void);
    char *(*get_corename)(void);
    const char *forced;   /* OPENBLAS_CORETYPE we chose, or NULL */
    int private_ns;       /* loaded with dlmopen beside the host's OpenBLAS */
    int ok;
    char err[256];
    char warn[512];       /* why results may differ from the tools' ("" if none) */
} blas_lib;

extern blas_lib sc_blas_lib_tab;
/* Load once; check ->ok (->err says why not). */
const blas_lib *sc_blas_lib_load(void);

/* Every call site goes through the loaded table. */
#define cblas_sgemm (sc_blas_lib_tab.sgemm)
#define cblas_sgemv (sc_blas_lib_tab.sgemv)

typedef struct blas_kern {
    const char *isa;
    /* y = act(x) over n (y may equal x) */
    void (*act)(int act, float alpha, const float *x, size_t n, float *y);
    void (*binary)(int op, const float *a, const float *b, size_t n, float *y);
    /* y = alpha x + beta */
    void (*scale)(const float *x, size_t n, float alpha, float beta, float *y);
    /* y = x + v (scalar) */
    void (*adds)(const float *x, size_t n, float v, float *y);
    /* sum x, and sum (x - mean)^2: float vector partials added in double */
    double (*sum)(const float *x, size_t n);
    double (*sqdev)(const float *x, size_t n, float mean);
    /* y = ((x - mean) rstd) g + b with vectors g, b (either may be NULL) */
    void (*norm_row)(const float *x, size_t n, float mean, float rstd, const float *g,
                     const float *b, float *y);
    /* y = ((x - mean) rstd) g + b with scalars g, b; then SiLU if silu */
    void (*norm_chan)(const float *x, size_t n, float mean, float rstd, float g, float b,
                      int silu, float *y);
    float (*max)(const float *x, size_t n);
    /* s = exp(s - m) in place; returns the sum */
    float (*exp_sum)(float *s, size_t n, float m);
    /* y = a * gelu(g) */
    void (*geglu)(const float *a, const float *g, size_t n, float *y);
    /* c = sig(f) c + sig(i) tanh(g); h = sig(o) tanh(c), over n units */
    void (*lstm_cell)(const float *gi, const float *gf, const float *gg, const float *go,
                      float *c, float *h, size_t n);
    float (*sumsq)(const float *x, size_t n);
    /* s holds x.c for n codewords: overwrite with distances (mode as in
     * nearest()) and return the first index of the minimum, in *best. */
    size_t (*argmin_dist)(float *s, const float *cbn, size_t n, float xn, int mode, float *best);
    /* Y[b ldy + r] += W[r,:] . X[b,:] for r < rows, b < nb (nb <= 8) */
    void (*gemv_multi)(const float *W, size_t rows, size_t K, const float *X, size_t ldx, int nb,
                       float *Y, size_t ldy);
    /* Yt[r ldy + b] = W[r,:] . Xt[:, b] for r < rows, b < SC_BLAS_LANES
     * (Xt is [K, SC_BLAS_LANES], sequences in the lanes): the recurrent
     * product of a large LSTM batch straight from the unpacked weights.
     * NULL where the ISA has too few registers for its tile. */
    void (*gemm_lanes)(const float *W, size_t rows, size_t K, const float *Xt, float *Yt,
                       size_t ldy);
    /* Attention products for dh = 32 or 64 (NULL where the ISA lacks
     * them).  att_qk: S[i][j] = scale (q_i . k_j) for i < m, j < ldk,
     * from the head's keys transposed and zero-padded, kt [dh][ldk]
     * (ldk a multiple of 64).  att_pv: o_i = sum_{j < n} P[i][j] v_j for
     * i < m, v rows of stride ldv. */
    void (*att_qk)(const float *q, size_t ldq, int m, const float *kt, int ldk, int dh,
                   float scale, float *S, size_t lds);
    void (*att_pv)(const float *P, size_t ldp, int m, int n, const float *v, size_t ldv, int dh,
                   float *o, size_t ldo);
    /* Winograd F(2x2, 3x3) transforms of tiles a .. a+n-1 of one tile row
     * (blas_wino.c): wino_in reads input rows x[0..3] (NULL = zeros) of
     * width W into V[xi vs + k] (tmp: 16 (n + 1) floats); wino_out writes
     * output rows y0, y1 (NULL: past the image) from m[xi ms + k] plus
     * bias (tmp: 4 n floats). */
    void (*wino_in)(const float *const x[4], int W, int a, int n, float *v, size_t vs, float *tmp);
    void (*wino_out)(const float *m, size_t ms, int n, float bias, float *y0, float *y1, int W,
                     int a, float *tmp);
    /* Winograd F(m, m) (1-D, n = 2m - 1 points) over nt tiles: wino1_in
     * v[xi vs + t] = sum_u bt[xi n + u] z[u][t]; wino1_out the m output
     * streams y[i][t] = sum_xi at[i n + xi] m[xi ms + t] + bias. */
    void (*wino1_in)(const float *const *z, int n, const float *bt, int nt, float *v, size_t vs);
    void (*wino1_out)(const float *m, size_t ms, int n, const float *at, int mo, int nt,
                      float bias, float *const *y);
} blas_kern;

#define SC_BLAS_LANES 32

extern const blas_kern sc_blas_kern_generic;
extern const blas_kern sc_blas_kern_avx2;
extern const blas_kern sc_blas_kern_avx512;

typedef struct blas_ctx {
    const sc_host *host;
    sc_pool *pool;
    int nthreads;
    const blas_kern *k;
    bf16_cache *bf16;     /* precision=bf16 in force (blas_bf16.h), else NULL */
    int wino;   /* Winograd convolutions: 0 by shape (blas_conv.c), 1 always, -1 never */
} blas_ctx;

/* Run fn over [0, count) on the host pool (inline when there is none). */
void sc_blas_par(blas_ctx *c, int64_t count, sc_pool_fn fn, void *arg);

/* Per-call scratch of a job of `tasks` tasks run by sc_blas_par: one slot
 * per slice that can run at once, min(nthreads, tasks) of them (not one
 * per thread: 1000 threads would reserve gigabytes).  The slice [b, e) of
 * worker w uses slot w when there are at least as many tasks as threads,
 * else slot b; the slices of one call are disjoint, so no two slices that
 * run at once share a slot. */
static inline int sc_blas_slots(const blas_ctx *c, int64_t tasks)
{
    return tasks < c->nthreads ? (int)tasks : c->nthreads;
}

static inline int sc_blas_slot(const blas_ctx *c, int64_t tasks, int64_t b, int w)
{
    return tasks < c->nthreads ? (int)b : w;
}
/* C = alpha op(A) op(B) + beta C, split over the pool when big enough. */
void sc_blas_sgemm(blas_ctx *c, int ta, int tb, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc);

/* blas_nn.c */
int sc_blas_attention(void *ctx, const float *q, int ldq, const float *k, int ldk,
                      const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                      int dh, float scale);
int sc_blas_lstm(void *ctx, int T, int B, int H, const float *gx, const float *whh,
                 int reverse, float *out, int ldo, float *ws);
int sc_blas_nearest(void *ctx, int mode, const float *x, int ldx, int M, int D,
                    const float *cb, const float *cbn, int N, int64_t *idx, float *dist);

/* blas_conv.c */
int sc_blas_conv2d(void *ctx, const float *x, int Cin, int H, int W, const float *w,
                   const float *b, int Cout, int kh, int kw, int stride, int pad, float *y);
int sc_blas_conv1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
                   int Cout, int k, int stride, int pad, int dilation, float *y);
/* blas_wino.c: 3x3, stride 1, padding 1 by Winograd F(2x2, 3x3) */
int sc_blas_wino3x3(blas_ctx *c, const float *x, int Cin, int H, int W, const float *w,
                    const float *b, int Cout, float *y);
/* blas_wino.c: 1-D, stride 1, k >= 3, any padding and dilation, by
 * Winograd F(3, 3) on segments of 3 taps */
int sc_blas_wino1d(blas_ctx *c, const float *x, int Cin, int L, const float *w, const float *b,
                   int Cout, int k, int pad, int dil, float *y);
int sc_blas_conv_transpose1d(void *ctx, const float *x, int Cin, int L, const float *w,
                             const float *b, int Cout, int k, int stride, int pad, float *y);

/* The col2im half of a transposed 1-D convolution, shared by the fp32 and
 * bf16 paths so that both add the taps in one order: Z holds, for nc
 * output channels and k taps, the products of input positions t0..t0+n-1;
 * tap kk of position t lands on output t*s + kk - pad of y[nc][Lo]. */
static inline void sc_blas_convt_add(float *y, int Lo, const float *Z, int nc, int k, int n,
                                     int t0, int s, int pad)
{
    for (int co = 0; co < nc; co++) {
        float *yr = y + (size_t)co * Lo;
        for (int kk = 0; kk < k; kk++) {
            const float *zr = Z + ((size_t)co * k + kk) * n;
            int off = kk - pad;   /* o = t s + off */
            int tlo = off >= 0 ? 0 : (-off + s - 1) / s;
            int thi = Lo - 1 - off < 0 ? -1 : (Lo - 1 - off) / s;
            int a = tlo > t0 ? tlo - t0 : 0, z = thi - t0 < n - 1 ? thi - t0 : n - 1;
            for (int t = a; t <= z; t++)
                yr[(t0 + t) * s + off] += zr[t];
        }
    }
}

#endif
