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
