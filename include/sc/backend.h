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
 * The op list is sc/ops.def (enum, slots and names expand it).
 *
 * Precision: the host adds "precision=bf16" or "precision=auto" to the
 * options of the backend instance that serves the decoder and vocoder
 * when [backend] precision asks for it (fp32, the default, adds nothing).
 * A backend with bf16 kernels for this CPU then runs its products (gemm,
 * linear, convolutions, attention) on bf16-rounded inputs with fp32 sums
 * and keeps every other op fp32; a backend without them must refuse
 * "bf16" with SC_ECONFIG and treat "auto" as fp32.
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

/* Strips the parentheses of an sc/ops.def parameter or argument list. */
#define SC_OP_UNPAREN(...) __VA_ARGS__

/* The ops, in ABI order (the list is sc/ops.def). */
enum sc_op {
#define SC_OP(ID, name, params, args) SC_OP_##ID,
#include "sc/ops.def"
#undef SC_OP
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

    /* The op slots, one per sc/ops.def entry in its order:
     * int (*name)(void *ctx, parameters). */
#define SC_OP(ID, name, params, args) int (*name)(void *ctx, SC_OP_UNPAREN params);
#include "sc/ops.def"
#undef SC_OP
} sc_backend_vt;

/* Scratch floats lstm() needs for B sequences of hidden size H. */
static inline size_t sc_lstm_ws(int B, int H) { return (size_t)B * (size_t)H * 6u; }

const char *sc_op_name(int op);

#ifdef __cplusplus
}
#endif
#endif
