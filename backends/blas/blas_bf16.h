/* backends/blas/blas_bf16.h - precision=bf16 in the blas backend.
 *
 * With "precision=bf16" (or "auto" on a CPU that has AVX-512 BF16) the
 * backend's products - gemm, linear, the convolutions and attention's
 * QK^T and PV - round their inputs to bf16 (round to nearest even) and
 * sum in fp32 with vdpbf16ps; everything else (norms, softmax, the
 * element-wise ops) is the fp32 code.  The ops enter here from one line
 * at the top of each fp32 entry point (blas.c, blas_conv.c, blas_nn.c).
 *
 * The GEMM: C[M,N] = alpha op(A) op(B) + beta C on packed operands.
 *  - A panels: rows in blocks of BF_MR, each block [K/2][BF_MR] pairs of
 *    bf16 (k even, k odd) as one 32-bit word; rows and K padded with 0.
 *  - B panels: columns in blocks of BF_NR, each [K/2][BF_NR] pairs.
 * A panel block is broadcast a pair at a time against 32 columns of B.
 *
 * Weights are converted once: weight() records the host ranges of the
 * model's weights (immutable while the model is open: sc/backend.h), and
 * an op whose weight operand lies in such a range packs it on first use
 * into a cache keyed by (pointer, layout, shape) that lives as long as
 * the backend context; any other operand is packed per call.  The cache
 * takes a mutex (ops may come from several threads).
 *
 * Bits do not depend on the thread count: every output is one sum over K
 * in a fixed order, whichever task computes it.
 */
#ifndef SC_BLAS_BF16_H
#define SC_BLAS_BF16_H

#include <stddef.h>
#include <stdint.h>

#define BF_MR 12
#define BF_NR 32

/* uint16 elements of the A panels of M x K, and of the B panels of K x N. */
static inline size_t sc_bf16_apack_len(int M, int K)
{
    return (size_t)((M + BF_MR - 1) / BF_MR) * BF_MR * (size_t)((K + 1) & ~1);
}
static inline size_t sc_bf16_bpack_len(int K, int N)
{
    return (size_t)((N + BF_NR - 1) / BF_NR) * BF_NR * (size_t)((K + 1) & ~1);
}

/* kern_avx512bf16.c (AVX-512 BF16 only).  Pack rows [i0, i1) of op(A)
 * (ta: A is [K][lda], else [M][lda]); i0 a multiple of BF_MR, rows >= M
 * are zero. */
void sc_bf16_pack_a(const float *A, size_t lda, int ta, int M, int K, int i0, int i1,
                    uint16_t *Ap);
/* Pack columns [j0, j1) of op(B) (tb: B is [N][ldb], else [K][ldb]); j0 a
 * multiple of BF_NR, columns >= N are zero. */
void sc_bf16_pack_b(const float *B, size_t ldb, int tb, int K, int N, int j0, int j1,
                    uint16_t *Bp);
/* The B panels of all n columns of a K x n matrix whose row k the callback
 * writes (n floats) - im2col one row pair at a time, in L1, never whole;
 * t is scratch for 2 n floats. */
typedef void (*sc_bf16_row_fn)(void *arg, int k, float *dst);
void sc_bf16_pack_b_rows(int K, int n, sc_bf16_row_fn row, void *arg, float *t, uint16_t *Bp);
/* C = alpha A B + beta C (beta == 0 ignores C) from panels; Ap and Bp
 * point at the first row / column block of this product. */
void sc_bf16_gemm_packed(int M, int N, int K, float alpha, const uint16_t *Ap,
                         const uint16_t *Bp, float beta, float *C, size_t ldc);

/* The round-to-nearest-even conversion the kernels perform (tests). */
static inline uint16_t sc_bf16_round(float f)
{
    union { float f; uint32_t u; } v = {f};
    if ((v.u & 0x7f800000u) == 0x7f800000u && (v.u & 0x007fffffu))
        return (uint16_t)((v.u >> 16) | 0x40);   /* quiet NaN */
    return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
}

struct blas_ctx;
typedef struct bf16_cache bf16_cache;

/* blas_bf16.c */
bf16_cache *sc_bf16_cache_new(void);
void sc_bf16_cache_free(bf16_cache *wc);
/* Record [host, host + count) as weight memory (from weight()). */
int sc_bf16_note_weight(bf16_cache *wc, const float *host, size_t count);

int sc_bf16_gemm(struct blas_ctx *c, int ta, int tb, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
int sc_bf16_linear(struct blas_ctx *c, const float *x, int ldx, int M, int K, const float *W,
                   const float *b, int N, float *y, int ldy);
/* 2-D (oned == 0, dil == 1) or, with oned, 1-D: H = kh = 1, W = L. */
int sc_bf16_conv(struct blas_ctx *c, int oned, const float *x, int Cin, int H, int W,
                 const float *w, const float *b, int Cout, int kh, int kw, int stride, int pad,
                 int dil, float *y);
int sc_bf16_convt1d(struct blas_ctx *c, const float *x, int Cin, int L, const float *w,
                    const float *b, int Cout, int k, int stride, int pad, float *y);
int sc_bf16_attention(struct blas_ctx *c, const float *q, int ldq, const float *k, int ldk,
                      const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                      int dh, float scale);

#endif
