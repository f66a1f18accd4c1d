/* sc/session.h - everything a tool needs to run stages: configuration,
 * thread pool, host table, plugin registry, backends, model files.
 *
 * sc_session_open builds the host table and registry from a finished
 * sc_config (see sc/config.h).  sc_session_stage opens the weights a stage
 * kind reads (the encoder checkpoint for the semantic and acoustic
 * quantizers, the decoder checkpoint for the decoder and vocoder, nothing
 * for the frontend), lets the stage declare its tensors, validates every
 * one (all mismatches are reported, each naming key, file, expected and
 * found), then creates the stage on its configured backend.
 *
 * Model directory layout (the published one):
 *   DIR/semanticodec_tokenrate_{100,50,25}/{encoder,decoder}.ckpt
 *   DIR/codebook_idx/combine_{512,256,128}_audioset_dominate/codebook_{V/2}_0.npy
 * With cfg->synthetic the weights are generated in memory by the synthetic
 * rule instead (sc/synth.h) and a warning says the output is noise.
 *
 * Ownership: the session owns stages, weights, backends and the registry;
 * a stage pointer is valid until sc_session_close.  Not thread-safe: one
 * session per thread of control.
 */
#ifndef SC_SESSION_H
#define SC_SESSION_H

#include "sc/config.h"
#include "sc/model.h"
#include "sc/registry.h"
#include "sc/stage.h"
#include "sc/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_session sc_session;

typedef struct sc_stage {
    const sc_plugin_rec *plugin;   /* which .so */
    const void *vt;                /* kind-specific vtable (starts with SC_STAGE_VT_HEAD) */
    void *self;                    /* the stage object */
    sc_backend *backend;           /* backend it runs on */
    sc_stage_env env;
} sc_stage;

/* log: where messages go (copied). */
sc_session *sc_session_open(const sc_config *cfg, const sc_log *log, sc_err *err);
void sc_session_close(sc_session *s);

const sc_config *sc_session_config(const sc_session *s);
const sc_host *sc_session_host(const sc_session *s);
sc_registry *sc_session_registry(sc_session *s);
const sc_model_info *sc_session_model(const sc_session *s);
sc_pool *sc_session_pool(sc_session *s);
const sc_log *sc_session_log(const sc_session *s);

/* Instantiate (once; later calls return the same) the stage of `kind`. */
sc_stage *sc_session_stage(sc_session *s, int kind, sc_err *err);
/* The backend a kind is configured to use (opened on first use). */
sc_backend *sc_session_backend(sc_session *s, int kind, sc_err *err);


#ifdef __cplusplus
}
#endif
#endif
