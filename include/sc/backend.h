/* sc/backend.h - the compute-backend interface (op level).
 *
 * A backend is a plugin (.so) of kind SC_KIND_BACKEND whose vtable is a
 * sc_backend_vt.  Stage plugins never call a backend directly: the host
 * hands them a resolved table (sc_stage_env.be / be_ctx) in which every op
 * the chosen backend does not support (NULL slot or supports() == 0) is
 * served by the `ref` backend.  Stage code is therefore written once.
 *
 * Memory model (so that a device backend fits without stage changes):
 *  - Activations live in backend buffers from buf_alloc(); stages move data
 *    in and out only with upload()/download() at stage boundaries.
 *  - Weights are turned into backend pointers once per model with weight():
 *    CPU backends return the host pointer itself (zero copy from the mmap);
 *    a device backend copies once and caches by host pointer.
 *  - Ops may be queued asynchronously; sync() waits for completion.  CPU
 *    backends run synchronously.
 *  - `host_memory` != 0 means buffers are plain host memory (ref, blas).
 *
 * Conventions for every op: float32, row-major, no aliasing between inputs
 * and outputs unless an op says so, dims are ints (every tensor sc touches
 * has < 2^31 elements per dimension), leading dimensions in elements.
 * Ops return SC_OK or a negative sc_status (device errors).  All ops must
 * be deterministic: the same inputs and thread count give the same bits.
 *
 * Layouts: images are [C, H, W] (one batch item per call), 1-D signals
 * [C, L], sequences [T, D].
 *
 * ABI: new ops are appended at the end; a host checks struct_size before
 * reading a slot, so an older backend (smaller struct) still loads and its
 * missing ops fall back to ref.
 */
#ifndef SC_BACKEND_H
#define SC_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sc_host;

enum sc_op {
    SC_OP_GEMM = 0,
    SC_OP_LINEAR,
    SC_OP_LAYERNORM,
    SC_OP_GROUPNORM,
    SC_OP_ACT,
    SC_OP_BINARY,
    SC_OP_SCALE,
    SC_OP_BIAS,
    SC_OP_ATTENTION,
    SC_OP_CONV2D,
    SC_OP_CONV1D,
    SC_OP_CONVT1D,
    SC_OP_LSTM,
    SC_OP_NEAREST,
    SC_OP_GEGLU,
    SC_OP_UPSAMPLE2X,
    SC_OP_COPY2D,
    SC_OP_COUNT
};

/* Element-wise activations for act(). */
enum sc_act {
    SC_ACT_GELU = 0,     /* exact erf GELU: 0.5 x (1 + erf(x / sqrt 2)) */
    SC_ACT_SILU,         /* x * sigmoid(x) */
    SC_ACT_LEAKY,        /* x >= 0 ? x : alpha * x */
    SC_ACT_TANH,
    SC_ACT_SIGMOID,
    SC_ACT_RELU,
    SC_ACT_COUNT
};

/* Binary element-wise ops for binary(). */
enum sc_binop { SC_BIN_ADD = 0, SC_BIN_SUB, SC_BIN_MUL, SC_BIN_COUNT };

/* Distance rules for nearest(). */
enum sc_nearest_mode {
    /* d = (|x|^2 + |c|^2) - 2 x.c in float32, argmin, first index on ties
     * (SemantiCodec semantic k-means search) */
    SC_NEAREST_SQ = 0,
    /* d = sqrt(max((|x|^2 + |c|^2) + (-2 x.c), 0)), argmin of d, first index
     * on ties (vector-quantize-pytorch EuclideanCodebook in eval) */
    SC_NEAREST_SQRT = 1
};

typedef struct sc_backend_vt {
    uint32_t struct_size;       /* sizeof(sc_backend_vt) the backend was built with */
    int host_memory;            /* buffers are host memory */

    /* Lifetime.  options: the INI [backend] options string or NULL. */
    int (*create)(const struct sc_host *host, const char *options, void **ctx, sc_err *err);
    void (*destroy)(void *ctx);
    /* 1 if op (enum sc_op) is implemented natively. */
    int (*supports)(void *ctx, int op);

    /* Memory. */
    void *(*buf_alloc)(void *ctx, size_t bytes);      /* NULL on failure; 64-byte aligned */
    void (*buf_free)(void *ctx, void *p);
    int (*upload)(void *ctx, void *dst, const void *src, size_t bytes);
    int (*download)(void *ctx, void *dst, const void *src, size_t bytes);
    const float *(*weight)(void *ctx, const float *host, size_t count);
    int (*sync)(void *ctx);

    /* C[M,N] = alpha * op(A) * op(B) + beta * C.  op(A) is [M,K]: A is [M,K]
     * (lda >= K) or, with ta, [K,M] (lda >= M).  op(B) is [K,N]: B is [K,N]
     * or, with tb, [N,K].  beta == 0 ignores C's old contents (NaN-safe). */
    int (*gemm)(void *ctx, int ta, int tb, int M, int N, int K, float alpha,
                const float *A, int lda, const float *B, int ldb, float beta,
                float *C, int ldc);
    /* y[M,N] = x[M,K] W[N,K]^T + b[N] (b may be NULL).  ldx/ldy >= K/N. */
    int (*linear)(void *ctx, const float *x, int ldx, int M, int K, const float *W,
                  const float *b, int N, float *y, int ldy);
    /* Row-wise LayerNorm over cols (biased variance, eps inside sqrt);
     * g/b may be NULL (1/0).  y may equal x. */
    int (*layernorm)(void *ctx, const float *x, int rows, int cols, const float *g,
                     const float *b, float eps, float *y);
    /* GroupNorm of x[C, HW] with `groups` groups, then optional SiLU.
     * y may equal x. */
    int (*groupnorm)(void *ctx, const float *x, int C, int HW, int groups, const float *g,
                     const float *b, float eps, int silu, float *y);
    /* y[i] = act(x[i]); alpha is the LEAKY slope.  y may equal x. */
    int (*act)(void *ctx, int act, float alpha, const float *x, int64_t n, float *y);
    /* y = a (op) b element-wise over n.  y may equal a or b. */
    int (*binary)(void *ctx, int op, const float *a, const float *b, int64_t n, float *y);
    /* y = alpha * x + beta.  y may equal x. */
    int (*scale)(void *ctx, const float *x, int64_t n, float alpha, float beta, float *y);
    /* Broadcast add of a vector: per_row != 0: y[r][c] = x[r][c] + v[r]
     * (x is [rows, cols], e.g. a channel bias on [C, HW]); per_row == 0:
     * y[r][c] = x[r][c] + v[c].  y may equal x. */
    int (*bias)(void *ctx, const float *x, int rows, int cols, const float *v, int per_row,
                float *y);
    /* Multi-head scaled-dot-product attention.  q is [Lq, heads*dh] with row
     * stride ldq, k and v are [Lk, heads*dh] with row strides ldk and ldv,
     * o is [Lq, heads*dh] with row stride ldo.  Head h uses columns
     * h*dh .. h*dh+dh-1.  o = softmax(q k^T * scale) v per head. */
    int (*attention)(void *ctx, const float *q, int ldq, const float *k, int ldk,
                     const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                     int dh, float scale);
    /* 2-D convolution, x[Cin,H,W] * w[Cout,Cin,kh,kw] (+ b[Cout] or NULL)
     * -> y[Cout,Ho,Wo], zero padding `pad` on all sides, square stride.
     * Ho = (H + 2 pad - kh) / stride + 1. */
    int (*conv2d)(void *ctx, const float *x, int Cin, int H, int W, const float *w,
                  const float *b, int Cout, int kh, int kw, int stride, int pad, float *y);
    /* 1-D convolution x[Cin,L] * w[Cout,Cin,k] -> y[Cout,Lo] with zero
     * padding, stride and dilation; Lo = (L + 2 pad - dil (k - 1) - 1) / stride + 1. */
    int (*conv1d)(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
                  int Cout, int k, int stride, int pad, int dilation, float *y);
    /* Transposed 1-D convolution (PyTorch ConvTranspose1d), w[Cin,Cout,k]:
     * Lo = (L - 1) stride - 2 pad + k. */
    int (*conv_transpose1d)(void *ctx, const float *x, int Cin, int L, const float *w,
                            const float *b, int Cout, int k, int stride, int pad, float *y);
    /* One direction of one LSTM layer over B independent sequences of
     * length T (PyTorch gate order i, f, g, o; h0 = c0 = 0).
     * gx is [T, B, 4H]: x_t W_ih^T + b_ih + b_hh, precomputed.
     * whh is [4H, H].  reverse != 0 runs t = T-1 .. 0.
     * h_t is written to out + (t*B + b) * ldo (ldo >= H), so the forward and
     * reverse halves of a bidirectional layer can share one [T, B, 2H]
     * buffer.  ws: scratch of lstm_ws(B, H) floats (host gives it). */
    int (*lstm)(void *ctx, int T, int B, int H, const float *gx, const float *whh,
                int reverse, float *out, int ldo, float *ws);
    /* For each of M rows x[M,D] (row stride ldx) find the codebook row of
     * cb[N,D] nearest under `mode`; cbn[N] holds |c|^2 (precomputed by the
     * caller with the same backend).  idx[M] is int64 on the HOST side for
     * host_memory backends, a device buffer otherwise.  dist may be NULL. */
    int (*nearest)(void *ctx, int mode, const float *x, int ldx, int M, int D, const float *cb,
                   const float *cbn, int N, int64_t *idx, float *dist);
    /* GEGLU: x[rows, 2n] = [a | g] -> y[rows, n] = a * gelu(g) (erf). */
    int (*geglu)(void *ctx, const float *x, int rows, int n, float *y);
    /* Nearest-neighbour 2x upsampling of x[C,H,W] -> y[C,2H,2W]. */
    int (*upsample2x)(void *ctx, const float *x, int C, int H, int W, float *y);
    /* Copy a rows x cols block between row strides (concatenation, slicing).
     * Source and destination must not overlap. */
    int (*copy2d)(void *ctx, const float *src, int lds, float *dst, int ldd, int rows, int cols);
} sc_backend_vt;

/* Scratch floats lstm() needs for B sequences of hidden size H. */
static inline size_t sc_lstm_ws(int B, int H) { return (size_t)B * (size_t)H * 6u; }

const char *sc_op_name(int op);

#ifdef __cplusplus
}
#endif
#endif
