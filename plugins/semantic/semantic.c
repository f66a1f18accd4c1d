/* plugins/semantic/semantic.c - the "audiomae" semantic quantizer stage:
 * lifecycle, K-stacking (ARCHITECTURE.md §4), nearest centroid (§5.2),
 * padding cut-off (§5.1) and the plugin entry point.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "semantic.h"

#define DEFAULT_BATCH 4
#define MAX_BATCH 64

/* ---- declare / create / destroy ------------------------------------------ */

static int sem_declare(const sc_model_info *model, void *dctx, sc_need_fn need)
{
    sc_walk w = sc_walk_declare(model, dctx, need);   /* AudioMAE is the same at every rate */
    sem_walk_audiomae(&w, NULL);
    return w.rc;
}

static int parse_options(sem_stage *s, const char *opt, sc_err *err)
{
    s->batch = DEFAULT_BATCH;
    sc_opt o;
    while (sc_opt_next(&opt, &o)) {
        if (!o.has_val)
            return s->host->err_set(err, SC_ECONFIG, "semantic options: '%.*s' is not key=value",
                                    o.klen, o.key);
        if (!sc_opt_is(&o, "batch"))
            return s->host->err_set(err, SC_ECONFIG, "semantic options: unknown key '%.*s'",
                                    o.klen, o.key);
        long b;
        if (sc_opt_int(&o, 1, MAX_BATCH, &b) < 0)
            return s->host->err_set(err, SC_ECONFIG,
                                    "semantic options: batch '%.*s' is not a number 1..%d",
                                    o.vlen, o.val, MAX_BATCH);
        s->batch = (int)b;
    }
    return SC_OK;
}

static void sem_destroy(void *self)
{
    sem_stage *s = self;
    if (!s)
        return;
    void *bufs[] = {s->x, s->a, s->qkv, s->att, s->tmp, s->h, s->acc, s->yb, s->idx_dev, s->cbn, s->stage_in};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (bufs[i])
            s->be->buf_free(s->bx, bufs[i]);
    free(s->tok);
    free(s->cb_owned);
    free(s);
}

/* |c|^2 for every codebook row with backend ops (so the norms round the
 * way the backend's own arithmetic does): square in chunks, then a GEMV
 * against a vector of ones. */
static int codebook_norms(sem_stage *s, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const int fd = s->fd, N = s->N;
    const int chunk = 1024;
    int rc = SC_OK;
    float *sq = NULL, *ones = NULL, *hones = NULL;
    if (!(s->cbn = be->buf_alloc(s->bx, (size_t)N * sizeof(float))) ||
        !(sq = be->buf_alloc(s->bx, (size_t)chunk * fd * sizeof(float))) ||
        !(ones = be->buf_alloc(s->bx, (size_t)fd * sizeof(float))) ||
        !(hones = malloc((size_t)fd * sizeof(float)))) {
        rc = s->host->err_set(err, SC_ENOMEM, "semantic stage: out of memory for codebook norms");
        goto out;
    }
    for (int j = 0; j < fd; j++)
        hones[j] = 1.0f;
    if ((rc = be->upload(s->bx, ones, hones, (size_t)fd * sizeof(float))) != SC_OK) {
        rc = sc_stage_op_fail(s->host, err, "semantic stage", rc, "upload");
        goto out;
    }
    for (int r0 = 0; r0 < N; r0 += chunk) {
        int m = N - r0 < chunk ? N - r0 : chunk;
        const float *c = s->cb + (size_t)r0 * fd;
        if ((rc = be->binary(s->bx, SC_BIN_MUL, c, c, (int64_t)m * fd, sq)) != SC_OK) {
            rc = sc_stage_op_fail(s->host, err, "semantic stage", rc, "binary");
            goto out;
        }
        if ((rc = be->gemm(s->bx, 0, 0, m, 1, fd, 1.0f, sq, fd, ones, 1, 0.0f, s->cbn + r0, 1)) !=
            SC_OK) {
            rc = sc_stage_op_fail(s->host, err, "semantic stage", rc, "gemm");
            goto out;
        }
    }
    rc = be->sync ? be->sync(s->bx) : SC_OK;
    if (rc != SC_OK)
        rc = sc_stage_op_fail(s->host, err, "semantic stage", rc, "sync");
out:
    if (sq)
        be->buf_free(s->bx, sq);
    if (ones)
        be->buf_free(s->bx, ones);
    free(hones);
    return rc;
}

static int take_codebook(sem_stage *s, sc_err *err)
{
    const sc_tensor *t = s->env.sem_codebook;
    if (!t)
        return s->host->err_set(err, SC_ENOTFOUND, "semantic stage: no semantic codebook given");
    if (t->dtype != SC_F32 || t->ndim != 2 || t->shape[0] != s->N || t->shape[1] != s->fd)
        return s->host->err_set(
            err, SC_EFORMAT,
            "semantic codebook: dtype %d shape %lldx%lld, expected float32 %dx%d (rate %d, vocab %d)",
            (int)t->dtype, t->ndim > 0 ? (long long)t->shape[0] : 0LL,
            t->ndim > 1 ? (long long)t->shape[1] : 0LL, s->N, s->fd,
            s->env.model->token_rate, s->N);
    if (t->stride[1] == 1 && t->stride[0] == s->fd) {
        s->cb_host = t->data;
    } else {
        /* A strided view: repack once. */
        if (!(s->cb_owned = malloc((size_t)s->N * s->fd * sizeof(float))))
            return s->host->err_set(err, SC_ENOMEM, "semantic codebook: out of memory");
        const float *src = t->data;
        for (int64_t i = 0; i < s->N; i++)
            for (int64_t j = 0; j < s->fd; j++)
                s->cb_owned[i * s->fd + j] = src[i * t->stride[0] + j * t->stride[1]];
        s->cb_host = s->cb_owned;
    }
    if (!(s->cb = s->be->weight(s->bx, s->cb_host, (size_t)s->N * s->fd)))
        return s->host->err_set(err, SC_ENOMEM, "semantic codebook: backend could not take it");
    return codebook_norms(s, err);
}

static int sem_create(const sc_stage_env *env, void **self, sc_err *err)
{
    *self = NULL;
    const sc_host *host = env->host;
    if (!host || !SC_HAS_MEMBER(host, host->struct_size, weights_path)) {
        if (host && host->err_set)
            host->err_set(err, SC_EABI, "semantic stage: host table too old");
        return SC_EABI;
    }
    if (!SC_HAS_MEMBER(env, env->struct_size, sem_codebook))
        return host->err_set(err, SC_EABI, "semantic stage: stage environment too old");
    const sc_model_info *m = env->model;
    int K = m->token_rate == 100 ? 1 : m->token_rate == 50 ? 2 : m->token_rate == 25 ? 4 : 0;
    if (!K || m->fd != SC_SEM_DIM * K)
        return host->err_set(err, SC_EARG, "semantic stage: token rate %d / width %d not supported",
                             m->token_rate, m->fd);
    if (m->sem_vocab < 1)
        return host->err_set(err, SC_EARG, "semantic stage: bad vocabulary %d", m->sem_vocab);

    sem_stage *s = calloc(1, sizeof *s);
    if (!s)
        return host->err_set(err, SC_ENOMEM, "semantic stage: out of memory");
    size_t n = env->struct_size < sizeof s->env ? env->struct_size : sizeof s->env;
    memcpy(&s->env, env, n);
    s->env.struct_size = sizeof s->env;
    if (!SC_HAS_MEMBER(env, env->struct_size, options))
        s->env.options = NULL;
    s->host = host;
    s->be = env->be;
    s->bx = env->be_ctx;
    s->K = K;
    s->n = SC_SEM_PATCHES / K;
    s->fd = m->fd;
    s->N = m->sem_vocab;
    int rc;
    if ((rc = parse_options(s, s->env.options, err)) != SC_OK || (rc = take_codebook(s, err)) != SC_OK) {
        sem_destroy(s);
        return rc;
    }
    /* Feature rows for one AudioMAE batch. */
    s->qrows = s->batch * s->n;
    if (!(s->yb = s->be->buf_alloc(s->bx, (size_t)s->qrows * s->fd * sizeof(float))) ||
        !(s->tok = malloc((size_t)s->qrows * sizeof(int64_t))) ||
        (!s->be->host_memory &&
         !(s->idx_dev = s->be->buf_alloc(s->bx, (size_t)s->qrows * sizeof(int64_t))))) {
        sem_destroy(s);
        return host->err_set(err, SC_ENOMEM, "semantic stage: out of memory");
    }
    *self = s;
    return SC_OK;
}

/* ---- quantiser ----------------------------------------------------------- */

/* Nearest centroid of rows s->yb[0..rows) (backend memory), then the host
 * outputs: tokens, Es rows, and Y itself when y != NULL. */
static int quantize_rows(sem_stage *s, int rows, float *y, int ldy, int64_t *tokens, float *es,
                         int lde, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const int fd = s->fd;
    int64_t *t = tokens ? tokens : s->tok;
    if (tokens || es) {
        if (be->host_memory) {
            SEM_OP(s, err, be->nearest(s->bx, SC_NEAREST_SQ, s->yb, fd, rows, fd, s->cb, s->cbn,
                                       s->N, t, NULL));
        } else {
            SEM_OP(s, err, be->nearest(s->bx, SC_NEAREST_SQ, s->yb, fd, rows, fd, s->cb, s->cbn,
                                       s->N, s->idx_dev, NULL));
            SEM_OP(s, err, be->download(s->bx, t, s->idx_dev, (size_t)rows * sizeof(int64_t)));
        }
    }
    if (y) {
        if (ldy == fd) {
            SEM_OP(s, err, be->download(s->bx, y, s->yb, (size_t)rows * fd * sizeof(float)));
        } else {
            for (int r = 0; r < rows; r++)
                SEM_OP(s, err, be->download(s->bx, y + (size_t)r * ldy, s->yb + (size_t)r * fd,
                                            (size_t)fd * sizeof(float)));
        }
    } else if (be->sync) {
        SEM_OP(s, err, be->sync(s->bx));
    }
    if (es || tokens)
        for (int r = 0; r < rows; r++)
            if (t[r] < 0 || t[r] >= s->N)
                return s->host->err_set(err, SC_EINTERNAL,
                                        "semantic stage: backend returned token %lld of %d",
                                        (long long)t[r], s->N);
    if (es)
        for (int r = 0; r < rows; r++)
            memcpy(es + (size_t)r * lde, s->cb_host + (size_t)t[r] * fd, (size_t)fd * sizeof(float));
    return SC_OK;
}

static int check_ld(sem_stage *s, const void *p, int ld, const char *what, sc_err *err)
{
    if (p && ld < s->fd)
        return s->host->err_set(err, SC_EARG, "semantic stage: %s row stride %d < width %d", what,
                                ld, s->fd);
    return SC_OK;
}

static int sem_quantize(void *self, int rows, const float *y, int ldy, int64_t *tokens, float *es,
                        int lde, sc_err *err)
{
    sem_stage *s = self;
    const int fd = s->fd;
    int rc;
    if (rows < 0 || !y || (rc = check_ld(s, y, ldy, "feature", err)) != SC_OK ||
        (rc = check_ld(s, es, lde, "centroid", err)) != SC_OK)
        return rows < 0 || !y ? s->host->err_set(err, SC_EARG, "semantic quantize: bad arguments")
                              : rc;
    for (int r0 = 0; r0 < rows; r0 += s->qrows) {
        int m = rows - r0 < s->qrows ? rows - r0 : s->qrows;
        const float *src = y + (size_t)r0 * ldy;
        if (ldy == fd) {
            SEM_OP(s, err, s->be->upload(s->bx, s->yb, src, (size_t)m * fd * sizeof(float)));
        } else {
            for (int r = 0; r < m; r++)
                SEM_OP(s, err, s->be->upload(s->bx, s->yb + (size_t)r * fd, src + (size_t)r * ldy,
                                             (size_t)fd * sizeof(float)));
        }
        if ((rc = quantize_rows(s, m, NULL, 0, tokens ? tokens + r0 : NULL,
                                es ? es + (size_t)r0 * lde : NULL, lde, err)) != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* AudioMAE outputs amae [nwin, 513, 768] (backend) -> s->yb [nwin * n, fd]
 * (§4): K = 1 drops cls; K = 2 is a reshape (frequency neighbours are
 * adjacent rows); K = 4 interleaves two time rows of 2x768 per token. */
static int stack(sem_stage *s, int nwin, const float *amae, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const int D = SC_SEM_DIM, fd = s->fd, n = s->n;
    for (int w = 0; w < nwin; w++) {
        const float *y0 = amae + ((size_t)w * SC_SEM_ROWS + 1) * D;
        float *dst = s->yb + (size_t)w * n * fd;
        if (s->K <= 2) {
            SEM_OP(s, err, be->copy2d(s->bx, y0, fd, dst, fd, n, fd));
        } else {
            /* Y[4u + g] = [G[2u][2g] G[2u][2g+1] | G[2u+1][2g] G[2u+1][2g+1]],
             * G[t][f] = Y0[8t + f]. */
            for (int h = 0; h < 2; h++)
                for (int g = 0; g < 4; g++)
                    SEM_OP(s, err, be->copy2d(s->bx, y0 + (size_t)(8 * h + 2 * g) * D, 16 * D,
                                              dst + (size_t)g * fd + h * 2 * D, 4 * fd, n / 4,
                                              2 * D));
        }
    }
    return SC_OK;
}

static int sem_stack_quantize(void *self, int nwin, const float *amae, float *y, int ldy,
                              int64_t *tokens, float *es, int lde, sc_err *err)
{
    sem_stage *s = self;
    int rc;
    if (nwin < 0 || !amae)
        return s->host->err_set(err, SC_EARG, "semantic stack_quantize: bad arguments");
    if ((rc = check_ld(s, y, ldy, "feature", err)) != SC_OK ||
        (rc = check_ld(s, es, lde, "centroid", err)) != SC_OK)
        return rc;
    /* The AudioMAE output goes to the backend through a staging buffer of
     * one batch, then it is stacked into yb. */
    const size_t wsz = (size_t)SC_SEM_ROWS * SC_SEM_DIM;
    if (!s->stage_in && !(s->stage_in = s->be->buf_alloc(s->bx, s->batch * wsz * sizeof(float))))
        return s->host->err_set(err, SC_ENOMEM, "semantic stage: out of memory");
    for (int w0 = 0; w0 < nwin; w0 += s->batch) {
        int b = nwin - w0 < s->batch ? nwin - w0 : s->batch;
        size_t r0 = (size_t)w0 * s->n;
        SEM_OP(s, err, s->be->upload(s->bx, s->stage_in, amae + w0 * wsz, b * wsz * sizeof(float)));
        if ((rc = stack(s, b, s->stage_in, err)) != SC_OK ||
            (rc = quantize_rows(s, b * s->n, y ? y + r0 * ldy : NULL, ldy,
                                tokens ? tokens + r0 : NULL, es ? es + r0 * lde : NULL, lde,
                                err)) != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* ---- padding (§5.1) ------------------------------------------------------ */

static int window_col(const float *X)
{
    int nconst = 0, nvar = 0, last = -1;
    for (int k = 0; k < SC_SEM_FRAMES; k++) {
        const float *r = X + (size_t)k * SC_SEM_MELS;
        double m = 0, ss = 0;
        for (int j = 0; j < SC_SEM_MELS; j++)
            m += r[j];
        m /= SC_SEM_MELS;
        for (int j = 0; j < SC_SEM_MELS; j++)
            ss += (r[j] - m) * (r[j] - m);
        double sd = sqrt(ss / (SC_SEM_MELS - 1));
        if (sd <= 1e-7) {
            nconst++;
        } else {   /* NaN rows count as non-constant, as in the reference */
            nvar++;
            last = k;
        }
    }
    if (!nconst)
        return SC_SEM_FRAMES;
    /* |J| == 1 takes the reference's exception path: 0. */
    return nvar >= 2 ? last + 1 : 0;
}

static int sem_padding(void *self, int nwin, const float *fbank, int *col, int *cutoff, sc_err *err)
{
    sem_stage *s = self;
    if (nwin < 0 || (nwin && !fbank))
        return s->host->err_set(err, SC_EARG, "semantic padding: bad arguments");
    for (int w = 0; w < nwin; w++) {
        int c = window_col(fbank + (size_t)w * SC_SEM_FRAMES * SC_SEM_MELS);
        if (col)
            col[w] = c;
        if (cutoff)
            cutoff[w] = (s->n * c + SC_SEM_FRAMES - 1) / SC_SEM_FRAMES;
    }
    return SC_OK;
}

/* ---- AudioMAE and the whole stage ---------------------------------------- */

static int sem_audiomae(void *self, int nwin, const float *fbank, float *out, sc_err *err)
{
    sem_stage *s = self;
    int rc;
    if (nwin < 0 || (nwin && (!fbank || !out)))
        return s->host->err_set(err, SC_EARG, "semantic audiomae: bad arguments");
    const size_t win = (size_t)SC_SEM_FRAMES * SC_SEM_MELS, wsz = (size_t)SC_SEM_ROWS * SC_SEM_DIM;
    for (int w0 = 0; w0 < nwin; w0 += s->batch) {
        int b = nwin - w0 < s->batch ? nwin - w0 : s->batch;
        if ((rc = sem_audiomae_run(s, b, fbank + w0 * win, err)) != SC_OK)
            return rc;
        SEM_OP(s, err, s->be->download(s->bx, out + w0 * wsz, s->acc, b * wsz * sizeof(float)));
    }
    return SC_OK;
}

static int sem_encode(void *self, int nwin, const float *fbank, float *y, int ldy, int64_t *tokens,
                      float *es, int lde, int *cutoff, sc_err *err)
{
    sem_stage *s = self;
    int rc;
    if (nwin < 0 || (nwin && !fbank))
        return s->host->err_set(err, SC_EARG, "semantic encode: bad arguments");
    if ((rc = check_ld(s, y, ldy, "feature", err)) != SC_OK ||
        (rc = check_ld(s, es, lde, "centroid", err)) != SC_OK)
        return rc;
    if (cutoff && (rc = sem_padding(s, nwin, fbank, NULL, cutoff, err)) != SC_OK)
        return rc;
    if (!y && !tokens && !es)
        return SC_OK;
    const size_t win = (size_t)SC_SEM_FRAMES * SC_SEM_MELS;
    for (int w0 = 0; w0 < nwin; w0 += s->batch) {
        int b = nwin - w0 < s->batch ? nwin - w0 : s->batch;
        size_t r0 = (size_t)w0 * s->n;
        if ((rc = sem_audiomae_run(s, b, fbank + w0 * win, err)) != SC_OK ||
            (rc = stack(s, b, s->acc, err)) != SC_OK ||
            (rc = quantize_rows(s, b * s->n, y ? y + r0 * ldy : NULL, ldy,
                                tokens ? tokens + r0 : NULL, es ? es + r0 * lde : NULL, lde,
                                err)) != SC_OK)
            return rc;
    }
    return SC_OK;
}

/* ---- plugin entry -------------------------------------------------------- */

static const sc_semantic_vt sem_vt = {
    .struct_size = sizeof(sc_semantic_vt),
    .declare = sem_declare,
    .create = sem_create,
    .destroy = sem_destroy,
    .audiomae = sem_audiomae,
    .stack_quantize = sem_stack_quantize,
    .quantize = sem_quantize,
    .padding = sem_padding,
    .encode = sem_encode,
};

static const sc_plugin_info sem_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_SEMANTIC,
    .name = "audiomae",
    .version = PACKAGE_VERSION,
    .description = "AudioMAE ViT-B features, K-stacking, k-means semantic tokens",
    .vtable = &sem_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    (void)host;
    return &sem_info;
}
