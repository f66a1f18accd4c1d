/* plugins/semantic/semantic.h - internal state of the "audiomae" semantic
 * stage, shared by its source files (not installed). */
#ifndef SC_PLUGIN_SEMANTIC_H
#define SC_PLUGIN_SEMANTIC_H

#include "sc/stage_semantic.h"
#include "sc/stage_util.h"

#define SEM_DEPTH 12
#define SEM_HEADS 12
#define SEM_MLP 3072
#define SEM_QKV 2304
#define SEM_PATCH 16
#define SEM_PATCH_AREA 256
#define SEM_LN_EPS 1e-6f
/* Blocks after this one are averaged (contextual_depth = 8). */
#define SEM_CONTEXT_DEPTH 8

enum sem_bparam {
    BP_N1W, BP_N1B, BP_QKVW, BP_QKVB, BP_PW, BP_PB,
    BP_N2W, BP_N2B, BP_F1W, BP_F1B, BP_F2W, BP_F2B, BP_COUNT
};
enum sem_tparam { TP_CLS, TP_POS, TP_PEW, TP_PEB, TP_NW, TP_NB, TP_COUNT };

typedef struct sem_param {
    const char *name;      /* key suffix */
    int ndim;
    int64_t shape[4];
} sem_param;

extern const sem_param sem_block_params[BP_COUNT];
extern const sem_param sem_top_params[TP_COUNT];

typedef struct sem_stage {
    sc_stage_env env;          /* copy; the pointers in it outlive the stage */
    const sc_host *host;
    const sc_backend_vt *be;
    void *bx;                  /* backend context */
    int K, n, fd, N;           /* stack factor, tokens/window, width, vocab */
    int batch;                 /* windows per AudioMAE pass */

    /* Codebook: host rows (for Es), backend copy and |c|^2. */
    const float *cb_host;
    float *cb_owned;           /* non-NULL when the tensor had to be repacked */
    const float *cb;
    float *cbn;

    /* AudioMAE weights (backend pointers), read on first use. */
    int loaded;
    const float *top[TP_COUNT];
    const float *blk[SEM_DEPTH][BP_COUNT];

    /* AudioMAE activations for `cap` windows (backend buffers). */
    int cap;
    float *x, *a, *qkv, *att, *tmp, *h, *acc;
    /* Quantiser: feature rows for `qrows` rows of fd. */
    int qrows;
    float *yb;
    float *stage_in;           /* AudioMAE outputs given by the caller */
    int64_t *idx_dev;          /* device-side tokens (non-host backends) */
    int64_t *tok;              /* host scratch tokens [qrows] */
} sem_stage;

/* audiomae.c */
int sem_load_audiomae(sem_stage *s, sc_err *err);
int sem_audiomae_alloc(sem_stage *s, int nwin, sc_err *err);
/* Runs AudioMAE over nwin <= cap windows of host fbank; result in s->acc
 * [nwin, 513, 768] (backend memory). */
int sem_audiomae_run(sem_stage *s, int nwin, const float *fbank, sc_err *err);

/* Names every AudioMAE tensor to w; with s, keeps the pointers in s. */
void sem_walk_audiomae(sc_walk *w, sem_stage *s);
#define SEM_OP(s, err, call) SC_STAGE_TRY((s)->host, (err), "semantic stage", (call), #call)

#endif
