/* sc/tensor.h - typed n-dimensional views over reference-counted storage.
 *
 * Contract:
 *  - A sc_storage is a reference-counted block of bytes: heap memory the
 *    storage owns, or a range of a memory-mapped file it keeps alive.  Many
 *    tensors may view one storage (PyTorch checkpoints share storages).
 *  - A sc_tensor is a view: dtype, shape, strides and offset counted in
 *    ELEMENTS, and a pointer `data` to element [0,...,0].  Strides may be any
 *    non-negative values (transposed, sliced, every-other views).
 *  - Whoever holds a tensor holds one storage reference; sc_tensor_release
 *    drops it.  Tensors handed out by a container (checkpoint, weights) are
 *    owned by that container and must not be released by the caller.
 *  - Element data is little-endian (the host byte order sc supports).
 */
#ifndef SC_TENSOR_H
#define SC_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_dtype {
    SC_F32 = 0,
    SC_F16 = 1,
    SC_BF16 = 2,
    SC_F64 = 3,
    SC_I64 = 4,
    SC_I32 = 5,
    SC_BOOL = 6,
    SC_U8 = 7,
    SC_I16 = 8,
    SC_I8 = 9,
    SC_DTYPE_COUNT = 10
} sc_dtype;

#define SC_MAX_DIMS 8

typedef struct sc_storage {
    int refcount;
    void *base;         /* first byte */
    size_t nbytes;
    void (*release)(struct sc_storage *self);  /* frees base/ctx and self */
    void *ctx;          /* owner-specific (e.g. the mapping) */
} sc_storage;

typedef struct sc_tensor {
    sc_dtype dtype;
    int ndim;                     /* 0 for a scalar */
    int64_t shape[SC_MAX_DIMS];
    int64_t stride[SC_MAX_DIMS];  /* in elements */
    int64_t offset;               /* element offset of data from storage->base */
    void *data;                   /* &element[0...0]; NULL for empty tensors allowed */
    sc_storage *storage;          /* may be NULL for a borrowed view */
} sc_tensor;

size_t sc_dtype_size(sc_dtype t);
const char *sc_dtype_name(sc_dtype t);      /* "float32", "bfloat16", ... */
int sc_dtype_from_name(const char *name, sc_dtype *out);  /* accepts numpy/torch names */

int64_t sc_tensor_numel(const sc_tensor *t);
int sc_tensor_is_contiguous(const sc_tensor *t);
/* "768x1x16x16" or "scalar" into buf; returns buf. */
char *sc_shape_str(const int64_t *shape, int ndim, char *buf, size_t n);

/* Fill contiguous strides for the current shape. */
void sc_tensor_set_contiguous(sc_tensor *t);

/* Allocate a zeroed contiguous tensor; *out owns one reference. */
int sc_tensor_alloc(sc_tensor *out, sc_dtype dtype, int ndim, const int64_t *shape, sc_err *err);
/* Wrap caller memory without ownership (storage == NULL). */
void sc_tensor_wrap(sc_tensor *out, sc_dtype dtype, int ndim, const int64_t *shape, void *data);
void sc_tensor_release(sc_tensor *t);  /* drops the storage ref, zeroes *t */

/* Take another reference of src's storage into *dst. */
void sc_tensor_retain(sc_tensor *dst, const sc_tensor *src);

/* Copy any strided tensor of any numeric dtype into contiguous float32
 * memory of numel floats (bf16/f16 widened exactly, f64 rounded).  */
int sc_tensor_to_f32(const sc_tensor *t, float *dst, sc_err *err);
/* Generic strided element read as double (slow; for tests and tools). */
double sc_tensor_get(const sc_tensor *t, const int64_t *idx);

/* Storage helpers */
sc_storage *sc_storage_new_heap(size_t nbytes);   /* zeroed; refcount 1 */
void sc_storage_retain(sc_storage *s);
void sc_storage_release(sc_storage *s);

/* Half-precision conversions (exact widening; round-to-nearest-even narrowing). */
float sc_f16_to_f32(uint16_t h);
float sc_bf16_to_f32(uint16_t h);
uint16_t sc_f32_to_f16(float f);
uint16_t sc_f32_to_bf16(float f);

#ifdef __cplusplus
}
#endif
#endif
