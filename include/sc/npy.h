/* sc/npy.h - NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Contract: only little-endian (or byte-order-free) C-order arrays of the
 * sc dtypes are accepted ('<f4', '<f2', '<f8', '<i8', '<i4', '<i2', '|i1',
 * '|u1', '|b1', and '<u2' read as raw 16-bit); fortran_order True, '>'
 * dtypes, object arrays, a header that lies about the data size (file
 * shorter than shape * itemsize), overflowing shapes and malformed header
 * dicts are errors naming the file.  sc_npy_load maps the file and returns a
 * tensor viewing the mapping (one storage reference owned by *out).
 * sc_npy_save writes atomically: to "PATH.tmp.XXXXXX" then rename(2), so a
 * failed write never leaves a partial PATH ("-" writes to stdout).
 */
#ifndef SC_NPY_H
#define SC_NPY_H

#include <stdio.h>
#include "sc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

int sc_npy_load(const char *path, sc_tensor *out, sc_err *err);
/* Parse an in-memory .npy image (used by the loader and the fuzzer). The
 * tensor views `data` (no ownership: storage == NULL). */
int sc_npy_parse(const void *data, size_t size, const char *name, sc_tensor *out, sc_err *err);
/* t may be strided; written C-order contiguous. */
int sc_npy_save(const char *path, const sc_tensor *t, sc_err *err);
int sc_npy_write(FILE *f, const sc_tensor *t, const char *name, sc_err *err);
/* Header for a contiguous array whose data follows (streaming writers).
 * Returns the header length written (multiple of 64), or a negative code. */
int sc_npy_write_header(FILE *f, sc_dtype dtype, int ndim, const int64_t *shape,
                        const char *name, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
