/* sc/weights.h - a named set of tensors a stage reads: a checkpoint file
 * opened in place, or tensors generated on demand by the synthetic rule
 * from a manifest (sc/synth.h).
 *
 * Ownership: the sc_weights owns every tensor and every float32 conversion
 * it hands out; all stay valid until sc_weights_close.
 */
#ifndef SC_WEIGHTS_H
#define SC_WEIGHTS_H

#include "sc/tensor.h"
#include "sc/ckpt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_weights sc_weights;

/* Open a checkpoint (zip or legacy) as weights. */
sc_weights *sc_weights_open(const char *path, sc_err *err);
/* Wrap an already open checkpoint; takes ownership of ck. */
sc_weights *sc_weights_from_ckpt(sc_ckpt *ck, sc_err *err);
/* A source of tensors computed on demand (the synthetic models).  get()
 * returns 0 and fills *t (owning a reference) or returns a negative code;
 * the weights object caches the result. */
typedef struct sc_weights_source {
    void *ctx;
    const char *name;                               /* shown in messages */
    int64_t (*count)(void *ctx);
    const char *(*key_at)(void *ctx, int64_t i);
    int (*get)(void *ctx, const char *key, sc_tensor *t, sc_err *err);
    void (*close)(void *ctx);
} sc_weights_source;
sc_weights *sc_weights_from_source(const sc_weights_source *src, sc_err *err);
void sc_weights_close(sc_weights *w);

const char *sc_weights_path(const sc_weights *w);
int64_t sc_weights_count(const sc_weights *w);
const char *sc_weights_key(const sc_weights *w, int64_t i);
const sc_tensor *sc_weights_get(const sc_weights *w, const char *key, sc_err *err);
/* Checked float32 access: error naming key, file, expected and found shape
 * on mismatch; converts (and caches) non-contiguous or non-f32 storage. */
const float *sc_weights_f32(const sc_weights *w, const char *key, int ndim,
                            const int64_t *shape, sc_err *err);
/* Validate key/dtype/shape without reading the data. */
int sc_weights_check(const sc_weights *w, const char *key, sc_dtype dtype, int ndim,
                     const int64_t *shape, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
