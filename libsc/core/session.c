/* Sessions: configuration -> pool, host table, plugins, backends, model
 * files, validated stages (see sc/session.h). */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "sc/npy.h"
#include "sc/session.h"
#include "sc/synth.h"

#define MAX_BACKENDS 8

struct sc_session {
    sc_config cfg;
    sc_log log;
    sc_pool *pool;
    sc_host host;
    sc_registry *reg;
    sc_model_info model;
    sc_backend *be[MAX_BACKENDS];
    int be_prec[MAX_BACKENDS];   /* enum sc_precision each was opened with */
    int nbe;
    sc_weights *enc, *dec;
    sc_tensor codebook;
    int have_codebook;
    sc_stage *stage[SC_KIND_MAX + 1];
};

sc_session *sc_session_open(const sc_config *cfg, const sc_log *log, sc_err *err)
{
    if (sc_config_validate(cfg, err))
        return NULL;
    sc_session *s = calloc(1, sizeof *s);
    if (!s) {
        sc_err_set(err, SC_ENOMEM, "session: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    if (log)
        s->log = *log;
    s->log.level = log ? log->level : SC_LOG_QUIET;
    if (!(s->pool = sc_pool_create(cfg->threads, err)))
        goto fail;
    sc_log_msg(&s->log, SC_LOG_DEBUG, "%d threads%s", sc_pool_size(s->pool),
               cfg->threads > 0 ? "" : " (threads = 0: the CPUs this process may use)");
    sc_host_init(&s->host, &s->log, s->pool);
    if (!(s->reg = sc_registry_open(&s->host, NULL, err)))
        goto fail;
    s->model.token_rate = cfg->token_rate;
    s->model.K = 100 / cfg->token_rate;
    s->model.fd = 768 * s->model.K;
    s->model.sem_vocab = cfg->sem_vocab;
    s->model.ac_vocab = 8192;
    s->model.synthetic = cfg->synthetic;
    if (cfg->synthetic)
        sc_log_msg(&s->log, SC_LOG_WARN,
                   "using SYNTHETIC weights (generated, not trained): tokens are "
                   "meaningless and decoded audio is noise, by design");
    return s;
fail:
    sc_session_close(s);
    return NULL;
}

void sc_session_close(sc_session *s)
{
    if (!s)
        return;
    for (int k = 0; k <= SC_KIND_MAX; k++)
        if (s->stage[k]) {
            const sc_stage_vt *vt = s->stage[k]->vt;
            if (s->stage[k]->self)
                vt->destroy(s->stage[k]->self);
            free(s->stage[k]);
        }
    for (int i = 0; i < s->nbe; i++)
        sc_backend_close(s->be[i]);
    sc_weights_close(s->enc);
    sc_weights_close(s->dec);
    if (s->have_codebook)
        sc_tensor_release(&s->codebook);
    sc_registry_close(s->reg);
    sc_pool_destroy(s->pool);
    free(s);
}

const sc_config *sc_session_config(const sc_session *s) { return &s->cfg; }
const sc_host *sc_session_host(const sc_session *s) { return &s->host; }
sc_registry *sc_session_registry(sc_session *s) { return s->reg; }
const sc_model_info *sc_session_model(const sc_session *s) { return &s->model; }
sc_pool *sc_session_pool(sc_session *s) { return s->pool; }
const sc_log *sc_session_log(const sc_session *s) { return &s->log; }

static const char *backend_name(const sc_session *s, int kind)
{
    const char *b = kind >= 1 && kind <= SC_KIND_MAX ? s->cfg.stage[kind].backend : "";
    return b[0] ? b : s->cfg.backend;
}

/* [backend] precision applies to the decoder's and vocoder's products
 * only: the encoder stages stay fp32, so their tokens never depend on it. */
static int stage_precision(const sc_session *s, int kind)
{
    return kind == SC_KIND_DECODER || kind == SC_KIND_VOCODER ? s->cfg.precision : SC_PREC_FP32;
}

sc_backend *sc_session_backend(sc_session *s, int kind, sc_err *err)
{
    const char *name = kind == SC_KIND_BACKEND ? s->cfg.backend : backend_name(s, kind);
    int prec = stage_precision(s, kind);
    for (int i = 0; i < s->nbe; i++)
        if (!strcmp(s->be[i]->name, name) && s->be_prec[i] == prec)
            return s->be[i];
    if (s->nbe == MAX_BACKENDS) {
        sc_err_set(err, SC_ERANGE, "too many backends");
        return NULL;
    }
    /* fp32 passes the options untouched; otherwise the backend is told
     * "precision=bf16|auto" (sc/backend.h says what it must do with it) */
    char opts[sizeof s->cfg.backend_options + 32];
    const char *o = s->cfg.backend_options;
    if (prec != SC_PREC_FP32) {
        snprintf(opts, sizeof opts, "%s%sprecision=%s", s->cfg.backend_options,
                 s->cfg.backend_options[0] ? " " : "", sc_precision_names[prec]);
        o = opts;
    }
    sc_backend *be = sc_backend_open(s->reg, name, o, err);
    if (be) {
        s->be_prec[s->nbe] = prec;
        s->be[s->nbe++] = be;
    } else if (err && err->code == SC_EUNSUPPORTED && strcmp(name, "ref")) {
        /* this machine cannot run it: name the backend that always runs */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, "%s", strstr(err->msg, "install")
                 ? ", or use -B ref (plain C, slower)" : "; use -B ref (plain C, slower)");
    }
    return be;
}

/* A model directory that exists but is a file is a missing input (66),
 * said plainly rather than as ENOTDIR on a path inside it. */
static int check_model_dir(const char *dir, sc_err *err)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return sc_err_set(err, SC_ENOTFOUND, "%s: model directory is not a directory", dir);
    return SC_OK;
}

static sc_weights *open_ckpt(sc_session *s, const char *which, sc_err *err)
{
    if (s->cfg.synthetic)
        return sc_synth_weights(s->cfg.synth_dir, s->cfg.token_rate, which, s->pool, err);
    char path[SC_PATH_MAX];
    /* Checked here, not in sc_config_validate: the frontend needs no model. */
    if (!s->cfg.model_dir[0]) {
        sc_err_set(err, SC_ECONFIG,
                   "no model directory: use -m DIR, $SC_MODEL_DIR or [model] dir "
                   "(`sc-model fetch -o DIR` downloads the published model, `sc-model "
                   "synth --rate %d -o DIR` makes a synthetic one)", s->cfg.token_rate);
        return NULL;
    }
    if (check_model_dir(s->cfg.model_dir, err))
        return NULL;
    if (sc_model_ckpt_path(s->cfg.model_dir, s->cfg.token_rate, which, path, sizeof path)) {
        sc_err_set(err, SC_ERANGE, "%s: model directory path too long", s->cfg.model_dir);
        return NULL;
    }
    sc_weights *w = sc_weights_open(path, err);
    if (!w && err && err->code == SC_ENOTFOUND)
        sc_err_prefix(err, "model file missing (`sc-model fetch -o %s` downloads the "
                           "published model, `sc-model synth --rate %d -o %s` makes a "
                           "synthetic one)", s->cfg.model_dir, s->cfg.token_rate,
                      s->cfg.model_dir);
    return w;
}

static int load_codebook(sc_session *s, sc_err *err)
{
    if (s->have_codebook)
        return SC_OK;
    int rc;
    char path[SC_PATH_MAX];
    if (s->cfg.synthetic) {
        rc = sc_synth_codebook(s->cfg.synth_dir, s->cfg.token_rate, s->cfg.sem_vocab, s->pool,
                               &s->codebook, err);
        snprintf(path, sizeof path, "synthetic codebook");
    } else {
        if (!s->cfg.model_dir[0])
            return sc_err_set(err, SC_ECONFIG, "no model directory: use -m DIR, "
                                               "$SC_MODEL_DIR or [model] dir");
        if ((rc = check_model_dir(s->cfg.model_dir, err)))
            return rc;
        sc_model_codebook_path(s->cfg.model_dir, s->cfg.token_rate, s->cfg.sem_vocab, path,
                               sizeof path);
        rc = sc_npy_load(path, &s->codebook, err);
        if (rc == SC_ENOTFOUND)
            sc_err_prefix(err, "semantic codebook missing (`sc-model fetch` or `sc-model "
                               "synth` makes one)");
    }
    if (rc)
        return rc;
    s->have_codebook = 1;
    const sc_tensor *t = &s->codebook;
    if (t->ndim != 2 || t->shape[0] != s->cfg.sem_vocab || t->shape[1] != s->model.fd) {
        char got[64];
        sc_shape_str(t->shape, t->ndim, got, sizeof got);
        return sc_err_set(err, SC_EFORMAT,
                          "%s: codebook shape %s does not match rate %d / vocabulary %d "
                          "(expected %dx%d)", path, got, s->cfg.token_rate, s->cfg.sem_vocab,
                          s->cfg.sem_vocab, s->model.fd);
    }
    if (t->dtype != SC_F32 || !sc_tensor_is_contiguous(t)) {
        /* Float64 codebooks are accepted and converted once. */
        sc_tensor f;
        if ((rc = sc_tensor_alloc(&f, SC_F32, 2, t->shape, err)))
            return rc;
        if ((rc = sc_tensor_to_f32(t, f.data, err))) {
            sc_tensor_release(&f);
            return rc;
        }
        sc_tensor_release(&s->codebook);
        s->codebook = f;
    }
    return SC_OK;
}

typedef struct {
    sc_session *s;
    const sc_weights *w;
    int nbad;
    sc_err first;
} declare_ctx;

static int need_cb(void *dctx, const char *key, sc_dtype dtype, int ndim, const int64_t *shape)
{
    declare_ctx *d = dctx;
    sc_err e = {0};
    if (sc_weights_check(d->w, key, dtype, ndim, shape, &e) != SC_OK) {
        /* Report every mismatch, not just the first. */
        sc_log_msg(&d->s->log, SC_LOG_ERROR, "%s", e.msg);
        if (!d->nbad++)
            d->first = e;
        return e.code;
    }
    return SC_OK;
}

sc_stage *sc_session_stage(sc_session *s, int kind, sc_err *err)
{
    if (kind < SC_KIND_FRONTEND || kind > SC_KIND_MAX) {
        sc_err_set(err, SC_EARG, "no stage kind %d", kind);
        return NULL;
    }
    if (s->stage[kind])
        return s->stage[kind];
    const sc_stage_cfg *sc = &s->cfg.stage[kind];
    const sc_plugin_rec *rec = sc_registry_find(s->reg, kind, sc->plugin);
    if (!rec) {
        sc_err_set(err, SC_ENOTFOUND, "%s plugin '%s' not found (`sc-info` lists the installed "
                   "plugins)", sc_kind_name(kind), sc->plugin);
        return NULL;
    }
    const sc_stage_vt *vt = rec->info->vtable;
    if (vt->struct_size < sizeof(sc_stage_vt) || !vt->create || !vt->destroy) {
        sc_err_set(err, SC_EABI, "%s: malformed stage vtable", rec->path);
        return NULL;
    }
    sc_backend *be = sc_session_backend(s, kind, err);
    if (!be)
        return NULL;
    const sc_weights *w = NULL, *enc = NULL;
    if (kind == SC_KIND_SEMANTIC || kind == SC_KIND_ACOUSTIC || kind == SC_KIND_DECODER) {
        if (!s->enc && !(s->enc = open_ckpt(s, "encoder", err)))
            return NULL;
        w = enc = s->enc;
    }
    if (kind == SC_KIND_DECODER || kind == SC_KIND_VOCODER) {
        if (!s->dec && !(s->dec = open_ckpt(s, "decoder", err)))
            return NULL;
        w = s->dec;
    }
    int need_cb_ = kind == SC_KIND_SEMANTIC || kind == SC_KIND_ACOUSTIC ||
                   kind == SC_KIND_DECODER;
    if (need_cb_ && load_codebook(s, err))
        return NULL;
    if (w && vt->declare) {
        declare_ctx d = {.s = s, .w = w};
        vt->declare(&s->model, &d, need_cb);
        if (d.nbad) {
            *err = d.first;
            if (d.nbad > 1)
                sc_err_prefix(err, "%d checkpoint mismatches, first", d.nbad);
            return NULL;
        }
    }
    sc_stage *st = calloc(1, sizeof *st);
    if (!st) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    st->plugin = rec;
    st->vt = vt;
    st->backend = be;
    st->env.struct_size = sizeof st->env;
    st->env.host = &s->host;
    st->env.be = &be->vt;
    st->env.be_ctx = be->ctx;
    st->env.model = &s->model;
    st->env.weights = w;
    st->env.sem_codebook = need_cb_ ? &s->codebook : NULL;
    st->env.options = sc->options[0] ? sc->options : NULL;
    if (kind == SC_KIND_DECODER) {
        /* The decoder rebuilds [acoustic code | centroid] from tokens; the
         * acoustic codebook is stored in the encoder checkpoint. */
        int64_t shape[3] = {1, s->model.ac_vocab, s->model.fd};
        if (sc_weights_check(enc, "quantizer._codebook.embed", SC_F32, 3, shape, err)) {
            free(st);
            return NULL;
        }
        st->env.ac_codebook = sc_weights_get(enc, "quantizer._codebook.embed", err);
    }
    if (vt->create(&st->env, &st->self, err) != SC_OK) {
        sc_err_prefix(err, "%s plugin '%s'", sc_kind_name(kind), sc->plugin);
        free(st);
        return NULL;
    }
    s->stage[kind] = st;
    return st;
}
