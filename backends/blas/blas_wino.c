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
#include <stdlib.h>
#include <string.h>
#include "blas.h"

typedef struct wino_job {
    const float *x, *w, *b;
    float *y;
    float *U;             /* [16][Cout][Cin] */
    int Cin, H, W, Cout;
    int tw, ntiles;       /* tiles per row, tiles in all */
    int nb;               /* tiles per block */
    float *scratch;       /* per slot: V [16][Cin][nb], M [16][Cout][nb], tmp */
    size_t per_worker;
    const blas_ctx *c;
    int64_t tasks;
} wino_job;

/* U[xi][co][ci] = (G g G^T)[xi] for output channels [b, e). */
static void wtrans_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino_job *j = arg;
    size_t plane = (size_t)j->Cout * j->Cin;
    (void)wk;
    for (int64_t co = b; co < e; co++)
        for (int ci = 0; ci < j->Cin; ci++) {
            const float *g = j->w + ((size_t)co * j->Cin + ci) * 9;
            float t[4][3], u[4][4];
            for (int c = 0; c < 3; c++) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; r++) {
                u[r][0] = t[r][0];
                u[r][1] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[r][2] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[r][3] = t[r][2];
            }
            float *dst = j->U + (size_t)co * j->Cin + ci;
            for (int xi = 0; xi < 16; xi++)
                dst[xi * plane] = u[xi / 4][xi % 4];
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
    /* ~256 tiles a block (GEMMs of 256 columns), at least 4 blocks when
     * the image has 128 tiles or more: from the shape alone. */
    int nb = (j.ntiles + 3) / 4;
    nb = (nb + 15) / 16 * 16;
    j.nb = nb > 256 ? 256 : nb < 32 ? 32 : nb;
    j.tasks = (j.ntiles + j.nb - 1) / j.nb;
    j.c = c;
    /* V, M, and the row kernels' 16 (tiles + 1) floats */
    j.per_worker = (size_t)16 * ((size_t)Cin + Cout) * j.nb + (size_t)16 * (j.tw + 1);
    int nw = j.tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, j.tasks) : 1;
    j.U = malloc((size_t)16 * Cout * Cin * sizeof(float));
    j.scratch = malloc(j.per_worker * (size_t)nw * sizeof(float));
    if (!j.U || !j.scratch) {
        free(j.U);
        free(j.scratch);
        return SC_ENOMEM;
    }
    sc_blas_par(c, Cout, wtrans_task, &j);
    if (nw == 1)
        wino_task(&j, 0, j.tasks, 0);
    else
        sc_blas_par(c, j.tasks, wino_task, &j);
    free(j.U);
    free(j.scratch);
    return SC_OK;
}

/* ---- 1-D: Winograd F(3, 3) on segments of 3 taps ----
 *
 * A k-tap filter (dilation d) is cut into S = ceil(k / 3) segments of 3
 * taps (the last zero-padded).  Outputs are grouped in tiles of 3 outputs
 * d apart: tile (tau, p) holds outputs 3d tau + p + i d, i < 3, and reads
 * the 5 inputs 3d tau + p - pad + u d, u < 5.  Segment q of the filter
 * needs the input patch of tile (tau + q, p), so in the transformed domain
 * M(tau, p) = sum_q U_q . V(tau + q, p): for each of the 5 transform
 * points, S GEMMs [Cout x Cin] x [Cin x tiles] accumulate into M.
 * Multiplies per output and channel pair: 5 S / 3 against k, e.g. 20/3
 * for k = 11 and 5/3 for k = 3.
 *
 * A block holds tiles tau0 .. tau0 + nt - 1 of every phase p < d; phase p
 * is row p of the block's tile columns, rl = nt + S - 1 long (the last
 * S - 1 columns are the next block's first patches, so that column c + q
 * is tile (tau + q, p)).  The GEMMs run over all d rows at once; the
 * columns between rows come out as garbage and are never read.  Inputs
 * and outputs are read and written as 3d interleaved streams (position
 * 3d j + c of a block is element j of stream c), so every transform loop
 * is unit-stride. */

typedef struct wino1_job {
    const float *x, *w, *b;
    float *y;
    float *U;             /* [S][5][Cout][Cin] */
    int Cin, L, Cout, k, pad, d, S, Lo;
    int ntau, nt, rl, cols;
    float *scratch;       /* per slot: V [5][Cin][cols], M [5][Cout][cols], streams */
    size_t per_worker;
    const blas_ctx *c;
    int64_t tasks;
} wino1_job;

/* G of F(3, 3) at points 0, 1, -1, 2, infinity (rows scaled so that the
 * input transform has integer entries); in double, rounded once. */
static const double G1[5][3] = {{0.5, 0, 0},
                                {0.5, 0.5, 0.5},
                                {1.0 / 6, -1.0 / 6, 1.0 / 6},
                                {1.0 / 6, 1.0 / 3, 2.0 / 3},
                                {0, 0, 1}};

static void wtrans1_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino1_job *j = arg;
    size_t plane = (size_t)j->Cout * j->Cin;
    (void)wk;
    for (int64_t co = b; co < e; co++)
        for (int ci = 0; ci < j->Cin; ci++) {
            const float *g = j->w + ((size_t)co * j->Cin + ci) * j->k;
            for (int q = 0; q < j->S; q++) {
                double t[3];
                for (int u = 0; u < 3; u++)
                    t[u] = 3 * q + u < j->k ? g[3 * q + u] : 0.0;
                for (int xi = 0; xi < 5; xi++)
                    j->U[((size_t)q * 5 + xi) * plane + (size_t)co * j->Cin + ci] =
                        (float)(G1[xi][0] * t[0] + G1[xi][1] * t[1] + G1[xi][2] * t[2]);
            }
        }
}

static void wino1_task(void *arg, int64_t b, int64_t e, int wk)
{
    const wino1_job *j = arg;
    int Cin = j->Cin, Cout = j->Cout, d = j->d, D3 = 3 * d, S = j->S, rl = j->rl;
    int cols = j->cols, nz = j->nt + S;   /* stream length */
    float *V = j->scratch + (size_t)sc_blas_slot(j->c, j->tasks, b, wk) * j->per_worker;
    float *M = V + (size_t)5 * Cin * cols, *X = M + (size_t)5 * Cout * cols;
    const blas_kern *k = j->c->k;
    size_t vplane = (size_t)Cin * cols, mplane = (size_t)Cout * cols;
    int mcols = cols - (S - 1);
    for (int64_t blk = b; blk < e; blk++) {
        int tau0 = (int)blk * j->nt;
        int nt = j->ntau - tau0 < j->nt ? j->ntau - tau0 : j->nt;
        int base = D3 * tau0 - j->pad;   /* input position of stream 0, element 0 */
        for (int ci = 0; ci < Cin; ci++) {
            const float *xc = j->x + (size_t)ci * j->L;
            /* streams: X[c][i] = x[base + D3 i + c], zero outside [0, L) */
            for (int c = 0; c < D3; c++) {
                float *xs = X + (size_t)c * nz;
                int p0 = base + c;
                for (int i = 0; i < nz; i++) {
                    int pos = p0 + D3 * i;
                    xs[i] = pos >= 0 && pos < j->L ? xc[pos] : 0.0f;
                }
            }
            float *vc = V + (size_t)ci * cols;
            for (int p = 0; p < d; p++) {
                const float *z[5];
                for (int u = 0; u < 5; u++) {
                    int off = p + u * d;
                    z[u] = X + (size_t)(off % D3) * nz + off / D3;
                }
                /* rows past the block's own tiles still feed the halo */
                k->wino1_in(z, rl, vc + (size_t)p * rl, vplane);
            }
        }
        for (int xi = 0; xi < 5; xi++)
            for (int q = 0; q < S; q++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, mcols, Cin, 1.0f,
                            j->U + ((size_t)q * 5 + xi) * Cout * Cin, Cin, V + xi * vplane + q,
                            cols, q ? 1.0f : 0.0f, M + xi * mplane, cols);
        int ob = D3 * tau0;   /* output position of stream 0, element 0 */
        for (int co = 0; co < Cout; co++) {
            float *yc = j->y + (size_t)co * j->Lo, bias = j->b ? j->b[co] : 0.0f;
            const float *mc = M + (size_t)co * cols;
            /* output streams: Y[c][i] is position ob + D3 i + c */
            for (int p = 0; p < d; p++)
                k->wino1_out(mc + (size_t)p * rl, mplane, nt, bias, X + (size_t)p * nz,
                             X + (size_t)(p + d) * nz, X + (size_t)(p + 2 * d) * nz);
            int full = (j->Lo - ob) / D3 < nt ? (j->Lo - ob) / D3 : nt;
            for (int c = 0; c < D3; c++) {
                const float *ys = X + (size_t)c * nz;
                float *yo = yc + ob + c;
                for (int i = 0; i < full; i++)
                    yo[(size_t)D3 * i] = ys[i];
                if (full < nt && ob + D3 * full + c < j->Lo)
                    yo[(size_t)D3 * full] = ys[full];
            }
        }
    }
}

int sc_blas_wino1d(blas_ctx *c, const float *x, int Cin, int L, const float *w, const float *b,
                   int Cout, int k, int pad, int dil, float *y)
{
    wino1_job j = {.x = x, .w = w, .b = b, .y = y, .Cin = Cin, .L = L, .Cout = Cout, .k = k,
                   .pad = pad, .d = dil};
    j.S = (k + 2) / 3;
    j.Lo = L + 2 * pad - dil * (k - 1);
    j.ntau = (j.Lo + 3 * dil - 1) / (3 * dil);
    /* ~8 blocks, each of 64 .. 512 tile columns: from the shape alone */
    int nt = (j.ntau + 7) / 8, lo = 64 / dil, hi = 512 / dil;
    nt = nt < lo ? lo : nt > hi ? hi : nt;
    j.nt = nt > j.ntau ? j.ntau : nt;
    j.rl = j.nt + j.S - 1;
    j.cols = dil * j.rl;
    j.tasks = (j.ntau + j.nt - 1) / j.nt;
    j.c = c;
    j.per_worker = (size_t)5 * ((size_t)Cin + Cout) * j.cols + (size_t)3 * dil * (j.nt + j.S);
    int nw = j.tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, j.tasks) : 1;
    j.U = malloc((size_t)5 * j.S * Cout * Cin * sizeof(float));
    j.scratch = malloc(j.per_worker * (size_t)nw * sizeof(float));
    if (!j.U || !j.scratch) {
        free(j.U);
        free(j.scratch);
        return SC_ENOMEM;
    }
    sc_blas_par(c, Cout, wtrans1_task, &j);
    if (nw == 1)
        wino1_task(&j, 0, j.tasks, 0);
    else
        sc_blas_par(c, j.tasks, wino1_task, &j);
    free(j.U);
    free(j.scratch);
    return SC_OK;
}
