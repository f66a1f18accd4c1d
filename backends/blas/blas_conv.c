/* backends/blas/blas_conv.c - convolutions as im2col + OpenBLAS sgemm.
 *
 * The output is cut into tasks of (band of output positions) x (block of
 * output channels); a task builds the im2col matrix of its band in its
 * worker's scratch and multiplies its channel block of the weights with
 * it.  Bands are sized so that the sgemm has a few hundred columns and
 * there are enough tasks for the pool. */
#include <stdlib.h>
#include <string.h>
#include "blas.h"

/* Largest im2col scratch per worker, in floats (8 MiB). */
#define COL_MAX ((size_t)2 << 20)

typedef struct conv_job {
    const float *x, *w, *b;
    float *y;
    int Cin, H, W, Cout, kh, kw, stride, pad, dil;
    int Ho, Wo;           /* 1-D: Ho = 1, Wo = Lo, H = 1 */
    int band;             /* output rows (2-D) or positions (1-D) per task */
    int nbands, cparts, cchunk;
    float *scratch;
    size_t per_worker;
    const blas_ctx *c;
    int64_t tasks;
} conv_job;

/* Fill d[0..n) with x row xr sampled at ix = o*stride + off, zero outside
 * [0, W).  Plain loops, not memcpy/memset: rows are often only 2-64
 * floats (UNet widths 16..2), where call overhead dominated im2col. */
static inline void gather(float *restrict d, const float *restrict xr, int W, int n, int stride,
                          int off)
{
    if (stride == 1) {
        int lo = -off > 0 ? -off : 0, hi = W - off < n ? W - off : n;
        if (hi < lo)
            hi = lo;
        if (lo > n)
            lo = hi = n;
        for (int o = 0; o < lo; o++)
            d[o] = 0.0f;
        const float *s = xr + off;
        for (int o = lo; o < hi; o++)
            d[o] = s[o];
        for (int o = hi; o < n; o++)
            d[o] = 0.0f;
        return;
    }
    for (int o = 0; o < n; o++) {
        int ix = o * stride + off;
        d[o] = ix >= 0 && ix < W ? xr[ix] : 0.0f;
    }
}

static void conv_task(void *arg, int64_t b, int64_t e, int wk)
{
    const conv_job *j = arg;
    float *col = j->scratch + (size_t)sc_blas_slot(j->c, j->tasks, b, wk) * j->per_worker;
    int K = j->Cin * j->kh * j->kw, npix = j->Ho * j->Wo;
    int have = -1;   /* band whose im2col is in col */
    for (int64_t t = b; t < e; t++) {
        int bi = (int)(t / j->cparts), cp = (int)(t % j->cparts);
        int r0 = bi * j->band, nr = j->Ho - r0 < j->band ? j->Ho - r0 : j->band;
        int n = nr * j->Wo;
        int c0 = cp * j->cchunk, nc = j->Cout - c0 < j->cchunk ? j->Cout - c0 : j->cchunk;
        if (nc <= 0)
            continue;
        if (have != bi) {
            for (int ci = 0; ci < j->Cin; ci++)
                for (int ky = 0; ky < j->kh; ky++)
                    for (int kx = 0; kx < j->kw; kx++) {
                        float *d = col + ((size_t)(ci * j->kh + ky) * j->kw + kx) * n;
                        for (int oy = 0; oy < nr; oy++) {
                            int iy = (r0 + oy) * j->stride - j->pad + ky * j->dil;
                            float *dr = d + (size_t)oy * j->Wo;
                            if (iy < 0 || iy >= j->H) {
                                for (int o = 0; o < j->Wo; o++)
                                    dr[o] = 0.0f;
                                continue;
                            }
                            gather(dr, j->x + ((size_t)ci * j->H + iy) * j->W, j->W, j->Wo,
                                   j->stride, kx * j->dil - j->pad);
                        }
                    }
            have = bi;
        }
        float *y = j->y + (size_t)c0 * npix + (size_t)r0 * j->Wo;
        if (j->b)
            for (int co = 0; co < nc; co++)
                for (int i = 0; i < n; i++)
                    y[(size_t)co * npix + i] = j->b[c0 + co];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nc, n, K, 1.0f,
                    j->w + (size_t)c0 * K, K, col, n, j->b ? 1.0f : 0.0f, y, npix);
    }
}

/* Plan bands (of `units` output rows or positions, each `cols` wide) and
 * channel blocks: ~512 sgemm columns per band, at most COL_MAX floats of
 * im2col, at least 2 bands per thread when the output is big enough to
 * share, channel blocks when there are fewer bands than threads. */
static void plan(conv_job *j, int nt, int units, int cols, int K)
{
    int band = 512 / cols;
    if (band < 1)
        band = 1;
    while (band > 1 && (size_t)K * band * cols > COL_MAX)
        band /= 2;
    int want = 2 * nt;
    if (nt > 1 && (units + band - 1) / band < want && (size_t)units * cols >= (size_t)64 * want)
        band = (units + want - 1) / want;
    if (band > units)
        band = units;
    j->band = band;
    j->nbands = (units + band - 1) / band;
    j->cparts = 1;
    if (nt > 1 && j->nbands < nt && j->Cout >= 16 * nt)
        j->cparts = (nt + j->nbands - 1) / j->nbands;
    j->cchunk = (j->Cout + j->cparts - 1) / j->cparts;
    j->per_worker = (size_t)K * band * cols;
}

static int conv_run(blas_ctx *c, conv_job *j, sc_pool_fn fn)
{
    int64_t tasks = (int64_t)j->nbands * j->cparts;
    int nw = tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, tasks) : 1;
    j->c = c;
    j->tasks = tasks;
    j->scratch = malloc(j->per_worker * (size_t)nw * sizeof(float));
    if (!j->scratch)
        return SC_ENOMEM;
    if (nw == 1)
        fn(j, 0, tasks, 0);
    else
        sc_blas_par(c, tasks, fn, j);
    free(j->scratch);
    return SC_OK;
}

static void conv1d_task(void *arg, int64_t b, int64_t e, int wk)
{
    const conv_job *j = arg;
    float *col = j->scratch + (size_t)sc_blas_slot(j->c, j->tasks, b, wk) * j->per_worker;
    int K = j->Cin * j->kw, Lo = j->Wo;
    int have = -1;
    for (int64_t t = b; t < e; t++) {
        int bi = (int)(t / j->cparts), cp = (int)(t % j->cparts);
        int o0 = bi * j->band, n = Lo - o0 < j->band ? Lo - o0 : j->band;
        int c0 = cp * j->cchunk, nc = j->Cout - c0 < j->cchunk ? j->Cout - c0 : j->cchunk;
        if (nc <= 0)
            continue;
        if (have != bi) {
            for (int ci = 0; ci < j->Cin; ci++)
                for (int kk = 0; kk < j->kw; kk++)
                    gather(col + ((size_t)ci * j->kw + kk) * n, j->x + (size_t)ci * j->W, j->W, n,
                           j->stride, o0 * j->stride - j->pad + kk * j->dil);
            have = bi;
        }
        float *y = j->y + (size_t)c0 * Lo + o0;
        if (j->b)
            for (int co = 0; co < nc; co++)
                for (int i = 0; i < n; i++)
                    y[(size_t)co * Lo + i] = j->b[c0 + co];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nc, n, K, 1.0f,
                    j->w + (size_t)c0 * K, K, col, n, j->b ? 1.0f : 0.0f, y, Lo);
    }
}

/* 1x1, stride 1, no padding: the input already is the im2col matrix. */
static void conv_1x1(blas_ctx *c, const float *x, int Cin, int n, const float *w, const float *b,
                     int Cout, float *y)
{
    if (b)
        for (int co = 0; co < Cout; co++)
            for (int i = 0; i < n; i++)
                y[(size_t)co * n + i] = b[co];
    sc_blas_sgemm(c, 0, 0, Cout, n, Cin, 1.0f, w, Cin, x, n, b ? 1.0f : 0.0f, y, n);
}

/* Winograd for a 3x3, stride-1, padding-1 convolution where it is faster
 * than im2col (bench_ops, per CPU-second): both channel counts >= 128 and
 * rows >= 16 wide, every 3x3 convolution of the VAE decoder but conv_in
 * (8 channels in) and conv_out (1 out); and both >= 64 over >= 1024
 * positions, the UNet's two finest levels (256x16 at 64 channels: 1.36x,
 * 128x8 at 128: 1.27x).  At its coarser levels (64x4, 32x2) there are too
 * few tiles for the 16 GEMMs of the transform, and im2col wins.  The
 * rounding stays that of a direct convolution (the transforms only add,
 * subtract and halve): the UNet's outputs and the sampled latents are as
 * close to the goldens as with im2col (tests/check_decoder, check_dpm).
 * Option winograd=always|never overrides. */
static int use_wino(const blas_ctx *c, int Cin, int Cout, int H, int W)
{
    if (c->wino)
        return c->wino > 0;
    return (Cin >= 128 && Cout >= 128 && W >= 16) || (Cin >= 64 && Cout >= 64 && H * W >= 1024);
}

int sc_blas_conv2d(void *ctx, const float *x, int Cin, int H, int W, const float *w,
                   const float *b, int Cout, int kh, int kw, int stride, int pad, float *y)
{
    if (Cin <= 0 || H <= 0 || W <= 0 || Cout <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || pad < 0 ||
        H + 2 * pad < kh || W + 2 * pad < kw)
        return SC_EARG;
    if (((blas_ctx *)ctx)->bf16)
        return sc_bf16_conv(ctx, 0, x, Cin, H, W, w, b, Cout, kh, kw, stride, pad, 1, y);
    if (kh == 1 && kw == 1 && stride == 1 && pad == 0) {
        conv_1x1(ctx, x, Cin, H * W, w, b, Cout, y);
        return SC_OK;
    }
    if (kh == 3 && kw == 3 && stride == 1 && pad == 1 && use_wino(ctx, Cin, Cout, H, W))
        return sc_blas_wino3x3(ctx, x, Cin, H, W, w, b, Cout, y);
    conv_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .H = H, .W = W, .Cout = Cout,
                  .kh = kh, .kw = kw, .stride = stride, .pad = pad, .dil = 1,
                  .Ho = (H + 2 * pad - kh) / stride + 1, .Wo = (W + 2 * pad - kw) / stride + 1};
    blas_ctx *c = ctx;
    plan(&j, c->nthreads, j.Ho, j.Wo, Cin * kh * kw);
    return conv_run(c, &j, conv_task);
}

/* Winograd for a stride-1 1-D convolution of 3 taps or more when both
 * channel counts are >= 64, or >= 32 with 5 taps or more (with 32
 * channels and 3 taps the small GEMMs lose what the transform saves):
 * the HiFi-GAN's but conv_post (only the vocoder runs 1-D convolutions). */
static int use_wino1(const blas_ctx *c, int Cin, int Cout, int k)
{
    if (c->wino)
        return c->wino > 0;
    int ch = Cin < Cout ? Cin : Cout;
    return ch >= 64 || (ch >= 32 && k >= 5);
}

int sc_blas_conv1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
                   int Cout, int k, int stride, int pad, int dilation, float *y)
{
    if (Cin <= 0 || L <= 0 || Cout <= 0 || k <= 0 || stride <= 0 || pad < 0 || dilation <= 0 ||
        L + 2 * pad < dilation * (k - 1) + 1)
        return SC_EARG;
    if (((blas_ctx *)ctx)->bf16)
        return sc_bf16_conv(ctx, 1, x, Cin, 1, L, w, b, Cout, 1, k, stride, pad, dilation, y);
    if (k == 1 && stride == 1 && pad == 0) {
        conv_1x1(ctx, x, Cin, L, w, b, Cout, y);
        return SC_OK;
    }
    if (stride == 1 && k >= 3 && use_wino1(ctx, Cin, Cout, k))
        return sc_blas_wino1d(ctx, x, Cin, L, w, b, Cout, k, pad, dilation, y);
    int Lo = (L + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    conv_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .H = 1, .W = L, .Cout = Cout,
                  .kh = 1, .kw = k, .stride = stride, .pad = pad, .dil = dilation, .Ho = 1, .Wo = Lo};
    blas_ctx *c = ctx;
    plan(&j, c->nthreads, Lo, 1, Cin * k);
    return conv_run(c, &j, conv1d_task);
}

/* ---- transposed 1-D convolution: Z = w^T x, then overlap-add ---- */

typedef struct convt_job {
    const float *x, *w, *b;
    float *y;
    int Cin, L, Cout, k, stride, pad, Lo, cchunk, lb;
    float *scratch;
    size_t per_worker;
} convt_job;

static void convt_task(void *arg, int64_t b, int64_t e, int wk)
{
    const convt_job *j = arg;
    float *Z = j->scratch + (size_t)wk * j->per_worker;
    int k = j->k, s = j->stride, Lo = j->Lo;
    for (int64_t p = b; p < e; p++) {
        int c0 = (int)p * j->cchunk, nc = j->Cout - c0 < j->cchunk ? j->Cout - c0 : j->cchunk;
        if (nc <= 0)
            continue;
        for (int co = c0; co < c0 + nc; co++) {
            float v = j->b ? j->b[co] : 0.0f, *yr = j->y + (size_t)co * Lo;
            for (int o = 0; o < Lo; o++)
                yr[o] = v;
        }
        int M = nc * k;
        int lb = j->lb;
        for (int t0 = 0; t0 < j->L; t0 += lb) {
            int n = j->L - t0 < lb ? j->L - t0 : lb;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, n, j->Cin, 1.0f,
                        j->w + (size_t)c0 * k, j->Cout * k, j->x + t0, j->L, 0.0f, Z, n);
            sc_blas_convt_add(j->y + (size_t)c0 * Lo, Lo, Z, nc, k, n, t0, s, j->pad);
        }
    }
}

int sc_blas_conv_transpose1d(void *ctx, const float *x, int Cin, int L, const float *w,
                             const float *b, int Cout, int k, int stride, int pad, float *y)
{
    blas_ctx *c = ctx;
    if (Cin <= 0 || L <= 0 || Cout <= 0 || k <= 0 || stride <= 0 || pad < 0)
        return SC_EARG;
    int Lo = (L - 1) * stride - 2 * pad + k;
    if (Lo <= 0)
        return SC_EARG;
    if (c->bf16)
        return sc_bf16_convt1d(c, x, Cin, L, w, b, Cout, k, stride, pad, y);
    int nt = c->nthreads, parts = nt > 1 && Cout >= 4 * nt ? nt : 1;
    convt_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .L = L, .Cout = Cout, .k = k,
                   .stride = stride, .pad = pad, .Lo = Lo, .cchunk = (Cout + parts - 1) / parts};
    /* The input blocks (lb positions) set the order in which the k taps
     * add into an output sample, so they must not depend on the channel
     * split (i.e. on the thread count): size them for all Cout channels. */
    size_t Mall = (size_t)Cout * k;
    j.lb = COL_MAX / Mall > (size_t)L ? L : COL_MAX / Mall ? (int)(COL_MAX / Mall) : 1;
    j.per_worker = (size_t)j.cchunk * k * (size_t)j.lb;
    j.scratch = malloc(j.per_worker * (size_t)parts * sizeof(float));
    if (!j.scratch)
        return SC_ENOMEM;
    if (parts == 1)
        convt_task(&j, 0, 1, 0);
    else
        sc_blas_par(c, parts, convt_task, &j);
    free(j.scratch);
    return SC_OK;
}
