/* sc/stage.h - what every stage plugin (frontend, semantic quantizer,
 * acoustic quantizer, decoder, vocoder) shares.
 *
 * A stage's vtable starts with SC_STAGE_VT_HEAD, followed by members of its
 * kind (sc/stage_*.h).  Lifecycle:
 *   1. declare(): before any weight is read, the stage names every tensor it
 *      will use for this model (key, dtype, shape) through `need`.  The host
 *      validates them all against the checkpoint and reports every mismatch
 *      (key, file, expected and found) before create() runs.  Parts the
 *      stage does not declare are never touched.
 *   2. create(): builds the stage state from env (weights, backend, model
 *      parameters); weights are taken with host->weight_f32 and turned into
 *      backend pointers with be->weight().
 *   3. kind-specific calls; then destroy().
 * A stage object is used from one thread at a time; internally it may use
 * the host pool and the backend.
 */
#ifndef SC_STAGE_H
#define SC_STAGE_H

#include "sc/plugin.h"
#include "sc/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model a stage runs (from the configuration and the model directory). */
typedef struct sc_model_info {
    int token_rate;   /* 100, 50 or 25 tokens/s */
    int K;            /* stack factor 100 / token_rate: 1, 2, 4 */
    int fd;           /* feature width 768 * K */
    int sem_vocab;    /* semantic vocabulary: 4096, 8192, 16384, 32768 */
    int ac_vocab;     /* acoustic vocabulary (8192) */
    int synthetic;    /* weights come from the synthetic rule (noise!) */
} sc_model_info;

typedef int (*sc_need_fn)(void *dctx, const char *key, sc_dtype dtype, int ndim,
                          const int64_t *shape);

typedef struct sc_stage_env {
    uint32_t struct_size;
    const sc_host *host;
    const sc_backend_vt *be;       /* resolved op table (fallbacks filled in) */
    void *be_ctx;
    const sc_model_info *model;
    const sc_weights *weights;     /* the checkpoint this stage reads */
    const sc_tensor *sem_codebook; /* [sem_vocab, fd] (semantic, decoder); else NULL */
    const char *options;           /* free-form [stage] options string or NULL */
    /* quantizer._codebook.embed [1, ac_vocab, fd] of the ENCODER checkpoint,
     * for the decoder (its conditioning looks up the rows; the session reads
     * just this key of encoder.ckpt); else NULL.  Appended: check
     * struct_size (SC_HAS_MEMBER) before reading. */
    const sc_tensor *ac_codebook;
} sc_stage_env;

#define SC_STAGE_VT_HEAD                                                          \
    uint32_t struct_size;                                                       \
    int (*declare)(const sc_model_info *model, void *dctx, sc_need_fn need);    \
    int (*create)(const sc_stage_env *env, void **self, sc_err *err);           \
    void (*destroy)(void *self);

typedef struct sc_stage_vt {
    SC_STAGE_VT_HEAD
} sc_stage_vt;

#ifdef __cplusplus
}
#endif
#endif
