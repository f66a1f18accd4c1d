/* backends/blas/blas_wino.c - 3x3 convolutions (stride 1, padding 1) by
 * Winograd's minimal filtering F(2x2, 3x3).
 *
 * Each 2x2 block of outputs ("tile") is computed from the 4x4 input patch
 * around it: with U = G g G^T (the 3x3 filter taken to 4x4) and V = B^T d B
 * (the patch), Y = A^T (sum over input channels of U . V) A.  The sum over
 * channels is, for each of the 16 positions of the 4x4 transform, a GEMM
 * [Cout x Cin] x [Cin x tiles]: 16 x 4 = 64 multiplies per tile and channel
 * pair instead of 4 x 9 = 144, i.e. 2.25 times fewer flops than im2col.
 *
 * The transforms of F(2x2, 3x3) only add and subtract (G halves), so the
 * rounding is close to a direct convolution's: the VAE decoder's mel moves
 * by ~1e-6 against the golden (tolerance 3e-5; tests/check_vocoder).
 *
 * Work is cut into blocks of tiles whose size depends on the shape only,
 * never on the thread count, and each output is computed by exactly one
 * block: the result is the same bits at any thread count.  A block's
 * transformed input and GEMM output live in its worker's scratch.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"

typedef struct wino_job {
    const float *x, *w, *b;
    float *y;
    float *U;             /* [16][Cout][Cin] */
    float *wtmp;          /* per slot: 21 Cin floats (wtrans_task) */
    int Cin, H, W, Cout;
    int tw, ntiles;       /* tiles per row, tiles in all */
    int nb;               /* tiles per block */
    float *scratch;       /* per slot: V [16][Cin][nb], M [16][Cout][nb], tmp */
    size_t per_worker;
    const blas_ctx *c;
    int64_t tasks;
} wino_job;

/* U[xi][co][ci] = (G g G^T)[xi] for output channels [b, e): the filter
 * of one output channel is first turned tap-major (g[tap][ci]), so that
 * every loop below runs over contiguous input channels. */
static void wtrans_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino_job *j = arg;
    int Cin = j->Cin;
    size_t plane = (size_t)j->Cout * Cin;
    float *g = j->wtmp + (size_t)sc_blas_slot(j->c, j->Cout, b, wk) * 21 * Cin;   /* [9][Cin] */
    float *t = g + (size_t)9 * Cin;                                                 /* [12][Cin] */
    for (int64_t co = b; co < e; co++) {
        const float *w = j->w + (size_t)co * Cin * 9;
        for (int ci = 0; ci < Cin; ci++)
            for (int k = 0; k < 9; k++)
                g[(size_t)k * Cin + ci] = w[(size_t)ci * 9 + k];
        /* t = G g: rows 0..3, columns (taps of a row) 0..2 */
        for (int c = 0; c < 3; c++) {
            const float *g0 = g + (size_t)c * Cin, *g1 = g0 + 3 * (size_t)Cin, *g2 = g1 + 3 * (size_t)Cin;
            float *t0 = t + (size_t)c * Cin, *t1 = t0 + 3 * (size_t)Cin, *t2 = t1 + 3 * (size_t)Cin,
                  *t3 = t2 + 3 * (size_t)Cin;
            for (int ci = 0; ci < Cin; ci++) {
                t0[ci] = g0[ci];
                t1[ci] = 0.5f * (g0[ci] + g1[ci] + g2[ci]);
                t2[ci] = 0.5f * (g0[ci] - g1[ci] + g2[ci]);
                t3[ci] = g2[ci];
            }
        }
        /* u = t G^T, straight into the 16 planes */
        for (int r = 0; r < 4; r++) {
            const float *a0 = t + (size_t)(3 * r) * Cin, *a1 = a0 + Cin, *a2 = a1 + Cin;
            float *u0 = j->U + (size_t)(4 * r) * plane + (size_t)co * Cin, *u1 = u0 + plane,
                  *u2 = u1 + plane, *u3 = u2 + plane;
            for (int ci = 0; ci < Cin; ci++) {
                u0[ci] = a0[ci];
                u1[ci] = 0.5f * (a0[ci] + a1[ci] + a2[ci]);
                u2[ci] = 0.5f * (a0[ci] - a1[ci] + a2[ci]);
                u3[ci] = a2[ci];
            }
        }
    }
}

static void wino_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino_job *j = arg;
    int nb = j->nb, Cin = j->Cin, Cout = j->Cout, H = j->H, W = j->W, HW = H * W;
    float *V = j->scratch + (size_t)sc_blas_slot(j->c, j->tasks, b, wk) * j->per_worker;
    float *M = V + (size_t)16 * Cin * nb, *tmp = M + (size_t)16 * Cout * nb;
    const blas_kern *k = j->c->k;
    size_t vplane = (size_t)Cin * nb, mplane = (size_t)Cout * nb;
    for (int64_t blk = b; blk < e; blk++) {
        int t0 = (int)blk * nb, n = j->ntiles - t0 < nb ? j->ntiles - t0 : nb;
        /* V = B^T d B for every channel and tile of the block, a tile
         * row at a time */
        for (int ci = 0; ci < Cin; ci++) {
            const float *xc = j->x + (size_t)ci * HW;
            for (int t = t0; t < t0 + n;) {
                int ty = t / j->tw, a = t % j->tw;
                int cnt = j->tw - a < t0 + n - t ? j->tw - a : t0 + n - t;
                const float *rows[4];
                for (int r = 0; r < 4; r++) {
                    int iy = 2 * ty - 1 + r;
                    rows[r] = iy >= 0 && iy < H ? xc + (size_t)iy * W : NULL;
                }
                k->wino_in(rows, W, a, cnt, V + (size_t)ci * nb + (t - t0), vplane, tmp);
                t += cnt;
            }
        }
        for (int xi = 0; xi < 16; xi++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, n, Cin, 1.0f,
                        j->U + (size_t)xi * Cout * Cin, Cin, V + xi * vplane, nb, 0.0f,
                        M + xi * mplane, nb);
        /* Y = A^T m A (+ bias), cut at the image edge */
        for (int co = 0; co < Cout; co++) {
            float *yc = j->y + (size_t)co * HW, bias = j->b ? j->b[co] : 0.0f;
            for (int t = t0; t < t0 + n;) {
                int ty = t / j->tw, a = t % j->tw;
                int cnt = j->tw - a < t0 + n - t ? j->tw - a : t0 + n - t;
                float *y0 = yc + (size_t)(2 * ty) * W;
                float *y1 = 2 * ty + 1 < H ? y0 + W : NULL;
                k->wino_out(M + (size_t)co * nb + (t - t0), mplane, cnt, bias, y0, y1, W, a, tmp);
                t += cnt;
            }
        }
    }
}

int sc_blas_wino3x3(blas_ctx *c, const float *x, int Cin, int H, int W, const float *w,
                    const float *b, int Cout, float *y)
{
    wino_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .H = H, .W = W, .Cout = Cout};
    j.tw = (W + 1) / 2;
    j.ntiles = ((H + 1) / 2) * j.tw;
    /* 4 blocks of 32 .. 512 tiles (GEMMs of as many columns): from the
     * shape alone. */
    int nb = (j.ntiles + 3) / 4;
    nb = (nb + 15) / 16 * 16;
    j.nb = nb > 512 ? 512 : nb < 32 ? 32 : nb;
    j.tasks = (j.ntiles + j.nb - 1) / j.nb;
    j.c = c;
    /* V, M, and the row kernels' 16 (tiles + 1) floats */
    j.per_worker = (size_t)16 * ((size_t)Cin + Cout) * j.nb + (size_t)16 * (j.tw + 1);
    int nw = j.tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, j.tasks) : 1;
    j.U = malloc((size_t)16 * Cout * Cin * sizeof(float));
    j.scratch = malloc(j.per_worker * (size_t)nw * sizeof(float));
    /* the filter transform's slots: its tasks are the output channels */
    j.wtmp = malloc((size_t)21 * Cin * (size_t)sc_blas_slots(c, Cout) * sizeof(float));
    if (!j.U || !j.scratch || !j.wtmp) {
        free(j.U);
        free(j.scratch);
        free(j.wtmp);
        return SC_ENOMEM;
    }
    sc_blas_par(c, Cout, wtrans_task, &j);
    if (nw == 1)
        wino_task(&j, 0, j.tasks, 0);
    else
        sc_blas_par(c, j.tasks, wino_task, &j);
    free(j.U);
    free(j.scratch);
    free(j.wtmp);
    return SC_OK;
}

/* ---- 1-D: Winograd F(m, m) on segments of m taps, m = 3 or 4 ----
 *
 * A k-tap filter (dilation d) is cut into S = ceil(k / m) segments of m
 * taps (the last zero-padded).  Outputs are grouped in tiles of m outputs
 * d apart: tile (tau, p) holds outputs m d tau + p + i d, i < m, and reads
 * the n = 2m - 1 inputs m d tau + p - pad + u d, u < n.  Segment q of the
 * filter needs the input patch of tile (tau + q, p), so in the transformed
 * domain M(tau, p) = sum_q U_q . V(tau + q, p): for each of the n
 * transform points, S GEMMs [Cout x Cin] x [Cin x tiles] accumulate into
 * M.  Multiplies per output and channel pair: n S / m against k; m is
 * picked per k for the fewest (F(3,3): 5/3 for k = 3; F(4,4): 3.5 for
 * k = 7, 5.25 for k = 11).
 *
 * A block holds tiles tau0 .. tau0 + nt - 1 of every phase p < d; phase p
 * is row p of the block's tile columns, rl = nt + S - 1 long (the last
 * S - 1 columns are the next block's first patches, so that column c + q
 * is tile (tau + q, p)).  The GEMMs run over all d rows at once; the
 * columns between rows come out as garbage and are never read.  Inputs
 * and outputs are read and written as m d interleaved streams (position
 * m d j + c of a block is element j of stream c), so every transform loop
 * is unit-stride.
 *
 * Points 0, 1, -1, 2, infinity (m = 3) and 0, 1, -1, 2, -2, 1/2, infinity
 * (m = 4).  Rows of B^T are scaled to small integers, the scale going to
 * G, which is applied to the weights in double and rounded once.  On the
 * HiFi-GAN the wave moves by < 1e-6 against the golden (tolerance 1e-5). */

typedef struct wino1_def {
    int m, n;
    const float *bt, *at;   /* [n][n], [m][n] */
    const double *g;        /* [n][m] */
} wino1_def;

static const float BT3[25] = {2, -1, -2, 1, 0,
                              0, 2, 1, -1, 0,
                              0, -2, 3, -1, 0,
                              0, -1, 0, 1, 0,
                              0, 2, -1, -2, 1};
static const float AT3[15] = {1, 1, 1, 1, 0,
                              0, 1, -1, 2, 0,
                              0, 1, 1, 4, 1};
static const double G3[15] = {1.0 / 2, 0, 0,
                              1.0 / 2, 1.0 / 2, 1.0 / 2,
                              1.0 / 6, -1.0 / 6, 1.0 / 6,
                              1.0 / 6, 1.0 / 3, 2.0 / 3,
                              0, 0, 1};
static const float BT4[49] = {4, -8, -5, 10, 1, -2, 0,
                              0, -4, 4, 9, -1, -2, 0,
                              0, -4, 12, -7, -3, 2, 0,
                              0, 2, -3, -4, 3, 2, 0,
                              0, 2, -5, 0, 5, -2, 0,
                              0, 4, 0, -5, 0, 1, 0,
                              0, -4, 8, 5, -10, -1, 2};
static const float AT4[28] = {1, 1, 1, 1, 1, 1, 0,
                              0, 1, -1, 2, -2, 0.5f, 0,
                              0, 1, 1, 4, 4, 0.25f, 0,
                              0, 1, -1, 8, -8, 0.125f, 1};
static const double G4[28] = {1.0 / 4, 0, 0, 0,
                              1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6,
                              1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18,
                              1.0 / 72, 1.0 / 36, 1.0 / 18, 1.0 / 9,
                              1.0 / 120, -1.0 / 60, 1.0 / 30, -1.0 / 15,
                              32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45,
                              0, 0, 0, 1.0 / 2};
static const wino1_def DEF3 = {3, 5, BT3, AT3, G3};
static const wino1_def DEF4 = {4, 7, BT4, AT4, G4};

#define WINO1_MAXM 4
#define WINO1_MAXN 7

typedef struct wino1_job {
    const float *x, *w, *b;
    float *y;
    const wino1_def *f;
    float *U;             /* [S][n][Cout][Cin] */
    float *wtmp;          /* per slot: k Cin floats (wtrans1_task) */
    int Cin, L, Cout, k, pad, d, S, Lo;
    int ntau, nt, rl, cols;
    float *scratch;       /* per slot: V [n][Cin][cols], M [n][Cout][cols], streams */
    size_t per_worker;
    const blas_ctx *c;
    int64_t tasks;
} wino1_job;

/* U[q][xi][co][ci] = (G g_q)[xi] for output channels [b, e), g_q the
 * taps m q .. m q + m - 1 (zero past k); the filter of one output channel
 * is first turned tap-major so that the loops run over contiguous input
 * channels. */
static void wtrans1_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino1_job *j = arg;
    int m = j->f->m, n = j->f->n, Cin = j->Cin, k = j->k;
    size_t plane = (size_t)j->Cout * Cin;
    float *g = j->wtmp + (size_t)sc_blas_slot(j->c, j->Cout, b, wk) * k * Cin;   /* [k][Cin] */
    for (int64_t co = b; co < e; co++) {
        const float *w = j->w + (size_t)co * Cin * k;
        for (int ci = 0; ci < Cin; ci++)
            for (int kk = 0; kk < k; kk++)
                g[(size_t)kk * Cin + ci] = w[(size_t)ci * k + kk];
        for (int q = 0; q < j->S; q++) {
            int nu = k - m * q < m ? k - m * q : m;   /* real taps of the segment */
            for (int xi = 0; xi < n; xi++) {
                const double *gx = j->f->g + (size_t)xi * m;
                float *u = j->U + ((size_t)q * n + xi) * plane + (size_t)co * Cin;
                const float *g0 = g + (size_t)(m * q) * Cin;
                for (int ci = 0; ci < Cin; ci++) {
                    double acc = 0;
                    for (int t = 0; t < nu; t++)
                        acc += gx[t] * g0[(size_t)t * Cin + ci];
                    u[ci] = (float)acc;
                }
            }
        }
    }
}

static void wino1_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino1_job *j = arg;
    const wino1_def *f = j->f;
    int m = f->m, n = f->n;
    int Cin = j->Cin, Cout = j->Cout, d = j->d, D = m * d, S = j->S, rl = j->rl;
    int cols = j->cols, nz = j->nt + S;   /* stream length */
    float *V = j->scratch + (size_t)sc_blas_slot(j->c, j->tasks, b, wk) * j->per_worker;
    float *M = V + (size_t)n * Cin * cols, *X = M + (size_t)n * Cout * cols;
    const blas_kern *k = j->c->k;
    size_t vplane = (size_t)Cin * cols, mplane = (size_t)Cout * cols;
    int mcols = cols - (S - 1);
    for (int64_t blk = b; blk < e; blk++) {
        int tau0 = (int)blk * j->nt;
        int nt = j->ntau - tau0 < j->nt ? j->ntau - tau0 : j->nt;
        int base = D * tau0 - j->pad;   /* input position of stream 0, element 0 */
        /* stream elements whose positions lie in [0, L) for every stream */
        int ilo = base >= 0 ? 0 : (-base + D - 1) / D;
        int ihi = j->L - base - D + 1 <= 0 ? 0 : (j->L - base - D) / D + 1;
        if (ihi > nz)
            ihi = nz;
        if (ilo > ihi)
            ilo = ihi;
        for (int ci = 0; ci < Cin; ci++) {
            const float *xc = j->x + (size_t)ci * j->L;
            /* streams: X[c][i] = x[base + D i + c], zero outside [0, L);
             * read in order, written to the D streams */
            for (int i = 0; i < nz; i++) {
                const float *src = xc + base + (ptrdiff_t)D * i;
                float *xs = X + i;
                if (i >= ilo && i < ihi)
                    for (int c = 0; c < D; c++)
                        xs[(size_t)c * nz] = src[c];
                else
                    for (int c = 0; c < D; c++) {
                        int pos = base + D * i + c;
                        xs[(size_t)c * nz] = pos >= 0 && pos < j->L ? xc[pos] : 0.0f;
                    }
            }
            float *vc = V + (size_t)ci * cols;
            for (int p = 0; p < d; p++) {
                const float *z[WINO1_MAXN];
                for (int u = 0; u < n; u++) {
                    int off = p + u * d;
                    z[u] = X + (size_t)(off % D) * nz + off / D;
                }
                /* rows past the block's own tiles still feed the halo */
                k->wino1_in(z, n, f->bt, rl, vc + (size_t)p * rl, vplane);
            }
        }
        for (int xi = 0; xi < n; xi++)
            for (int q = 0; q < S; q++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, mcols, Cin, 1.0f,
                            j->U + ((size_t)q * n + xi) * Cout * Cin, Cin, V + xi * vplane + q,
                            cols, q ? 1.0f : 0.0f, M + xi * mplane, cols);
        int ob = D * tau0;   /* output position of stream 0, element 0 */
        int full = (j->Lo - ob) / D < nt ? (j->Lo - ob) / D : nt;
        for (int co = 0; co < Cout; co++) {
            float *yc = j->y + (size_t)co * j->Lo, bias = j->b ? j->b[co] : 0.0f;
            const float *mc = M + (size_t)co * cols;
            /* output streams: Y[c][i] is position ob + D i + c */
            for (int p = 0; p < d; p++) {
                float *ys[WINO1_MAXM];
                for (int i = 0; i < m; i++)
                    ys[i] = X + (size_t)(p + i * d) * nz;
                k->wino1_out(mc + (size_t)p * rl, mplane, n, f->at, m, nt, bias, ys);
            }
            /* written in order, read from the D streams */
            float *yo = yc + ob;
            for (int i = 0; i < full; i++, yo += D)
                for (int c = 0; c < D; c++)
                    yo[c] = X[(size_t)c * nz + i];
            if (full < nt)
                for (int c = 0; c < D && ob + D * full + c < j->Lo; c++)
                    yo[c] = X[(size_t)c * nz + full];
        }
    }
}

/* The tile size with the fewest multiplies for k taps: n ceil(k/m) / m. */
static const wino1_def *pick1(int k)
{
    int c3 = 5 * ((k + 2) / 3) * 4, c4 = 7 * ((k + 3) / 4) * 3;   /* x 12 */
    return c4 < c3 ? &DEF4 : &DEF3;
}

int sc_blas_wino1d(blas_ctx *c, const float *x, int Cin, int L, const float *w, const float *b,
                   int Cout, int k, int pad, int dil, float *y)
{
    wino1_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .L = L, .Cout = Cout, .k = k,
                   .pad = pad, .d = dil, .f = pick1(k)};
    int m = j.f->m, n = j.f->n;
    j.S = (k + m - 1) / m;
    j.Lo = L + 2 * pad - dil * (k - 1);
    j.ntau = (j.Lo + m * dil - 1) / (m * dil);
    /* 4 blocks (2 where a block would have fewer tile columns than output
     * channels: each GEMM repacks its Cout x Cin filter, so short GEMMs of
     * a wide layer spend their time packing), each of 64 .. 1024 tile
     * columns: from the shape alone */
    int nt = (j.ntau + 3) / 4, lo = 64 / dil, hi = 1024 / dil;
    if ((int64_t)dil * nt < Cout)
        nt = (j.ntau + 1) / 2;
    nt = nt < lo ? lo : nt > hi ? hi : nt;
    j.nt = nt > j.ntau ? j.ntau : nt;
    j.rl = j.nt + j.S - 1;
    j.cols = dil * j.rl;
    j.tasks = (j.ntau + j.nt - 1) / j.nt;
    j.c = c;
    j.per_worker = (size_t)n * ((size_t)Cin + Cout) * j.cols + (size_t)m * dil * (j.nt + j.S);
    int nw = j.tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, j.tasks) : 1;
    j.U = malloc((size_t)n * j.S * Cout * Cin * sizeof(float));
    j.scratch = malloc(j.per_worker * (size_t)nw * sizeof(float));
    j.wtmp = malloc((size_t)k * Cin * (size_t)sc_blas_slots(c, Cout) * sizeof(float));
    if (!j.U || !j.scratch || !j.wtmp) {
        free(j.U);
        free(j.scratch);
        free(j.wtmp);
        return SC_ENOMEM;
    }
    sc_blas_par(c, Cout, wtrans1_task, &j);
    if (nw == 1)
        wino1_task(&j, 0, j.tasks, 0);
    else
        sc_blas_par(c, j.tasks, wino1_task, &j);
    free(j.U);
    free(j.scratch);
    free(j.wtmp);
    return SC_OK;
}
