/* backends/ref/ref.h - internals shared by the reference backend's files.
 *
 * The reference backend is the oracle every other backend is tested
 * against: plain C, single-threaded, deterministic, and bit-identical on
 * every x86-64 machine (the file is built with -ffp-contract=off, and the
 * only vectorisation is across independent outputs, never across a sum, so
 * the order of every float32 operation is fixed by the source).
 *
 * Numerics (what a test may rely on):
 *  - gemm: each C element accumulates a(i,k) * b(k,j) in float32 for
 *    k = 0, 1, ..., K-1 in that order, starting from 0; then
 *    C = alpha * acc (beta == 0) or alpha * acc + beta * C.
 *  - layernorm / groupnorm: mean and biased variance computed in double
 *    (two passes), rstd = 1 / sqrt(var + eps) in double rounded to float;
 *    y = ((x - mean) * rstd) * g + b in float32.
 *  - softmax (attention): float32 exp of (s - max), sum in double.
 *  - act: libm erff / expf / tanhf.
 */
#ifndef SC_REF_H
#define SC_REF_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "sc/backend.h"
#include "sc/plugin.h"

/* ref_gemm.c: C[M,N] = alpha op(A) op(B) + beta C (the vtable's gemm, no ctx). */
int sc_ref_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);

/* ref_nn.c */
int sc_ref_layernorm(void *ctx, const float *x, int rows, int cols, const float *g,
                     const float *b, float eps, float *y);
int sc_ref_groupnorm(void *ctx, const float *x, int C, int HW, int groups, const float *g,
                     const float *b, float eps, int silu, float *y);
int sc_ref_act(void *ctx, int act, float alpha, const float *x, int64_t n, float *y);
int sc_ref_attention(void *ctx, const float *q, int ldq, const float *k, int ldk,
                     const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                     int dh, float scale);
int sc_ref_lstm(void *ctx, int T, int B, int H, const float *gx, const float *whh, int reverse,
                float *out, int ldo, float *ws);
int sc_ref_nearest(void *ctx, int mode, const float *x, int ldx, int M, int D, const float *cb,
                   const float *cbn, int N, int64_t *idx, float *dist);
int sc_ref_geglu(void *ctx, const float *x, int rows, int n, float *y);

/* ref_conv.c */
int sc_ref_conv2d(void *ctx, const float *x, int Cin, int H, int W, const float *w,
                  const float *b, int Cout, int kh, int kw, int stride, int pad, float *y);
int sc_ref_conv1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
                  int Cout, int k, int stride, int pad, int dilation, float *y);
int sc_ref_conv_transpose1d(void *ctx, const float *x, int Cin, int L, const float *w,
                            const float *b, int Cout, int k, int stride, int pad, float *y);

/* Scalar activations, shared so every op uses the same formula. */
static inline float sc_ref_gelu(float x)
{
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
}
static inline float sc_ref_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline float sc_ref_silu(float x) { return x / (1.0f + expf(-x)); }

/* Scratch floats bounded so a blocked op never needs more than this many
 * at once (4 Mi floats = 16 MiB). */
#define SC_REF_SCRATCH_FLOATS ((size_t)4 << 20)

#endif
