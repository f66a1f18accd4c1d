/* backends/ref/ref_gemm.c - the reference backend's GEMM (sc_ref_gemm),
 * which linear and the convolutions and attention of ref_nn.c and
 * ref_conv.c build on.
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
