/* The acoustic quantizer stage "bilstm" (sc/stage_acoustic.h): padding
 * mark, BiLSTM over B windows at once, output linear, sqrt-distance VQ.
 * All math goes through the resolved backend table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sc/stage_acoustic.h"
#include "sc/stage_util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define MAX_LAYERS 4
#define NORM_CHUNK 1024

typedef struct dirw {
    const float *wih;   /* [4H, in] */
    const float *whh;   /* [4H, H] */
    float *bias;        /* [4H] b_ih + b_hh, backend buffer */
} dirw;

typedef struct acoustic {
    const sc_host *host;
    const sc_backend_vt *be;
    void *bc;
    int n;              /* tokens per window */
    int fd;             /* feature width */
    int H;              /* LSTM hidden = 2 fd */
    int L;              /* layers */
    int N;              /* codebook rows */
    dirw w[MAX_LAYERS][2];
    const float *wo;    /* [fd, 4fd] */
    const float *cb;    /* [N, fd] */
    float *cbn;         /* [N] |c|^2, backend buffer */
    /* activations for up to `cap` windows, layout [T, B, .] */
    int cap;
    float *u;           /* [T, B, 2fd] LSTM input */
    float *h[2];        /* [T, B, 2H] layer outputs, ping-pong */
    float *gx;          /* [T, B, 4H] input projections of one direction */
    float *ws;          /* lstm scratch */
    float *a;           /* [T, B, fd] VQ input */
    int64_t *idx;       /* [T, B] tokens (backend side) */
    float *hu;          /* host staging of u (device backends) */
    float *ha;          /* host copy of a (device backends) */
    int64_t *hidx;      /* host copy of idx (device backends) */
} acoustic;

static int layers_for(int rate)
{
    return rate == 100 ? 4 : rate == 50 ? 3 : rate == 25 ? 2 : 0;
}

static void key_name(char *buf, size_t n, const char *what, int layer, int dir)
{
    snprintf(buf, n, "encoder.%s_l%d%s", what, layer, dir ? "_reverse" : "");
}

/* One direction of one layer as the checkpoint has it. */
typedef struct lstm_keys {
    const float *wih, *whh, *bih, *bhh;
} lstm_keys;

/* Names (declare mode) or loads (load mode) every tensor of L layers. */
static void walk(sc_walk *w, int L, int fd, lstm_keys (*lk)[2], const float **wo,
                 const float **cb)
{
    int H = 2 * fd;
    char key[96];
    for (int l = 0; l < L; l++) {
        int in = l == 0 ? 2 * fd : 2 * H;
        for (int d = 0; d < 2; d++) {
            int64_t s_ih[2] = { 4 * H, in }, s_hh[2] = { 4 * H, H }, s_b[1] = { 4 * H };
            key_name(key, sizeof key, "weight_ih", l, d);
            lk[l][d].wih = sc_walk_weight(w, key, 2, s_ih);
            key_name(key, sizeof key, "weight_hh", l, d);
            lk[l][d].whh = sc_walk_weight(w, key, 2, s_hh);
            key_name(key, sizeof key, "bias_ih", l, d);
            lk[l][d].bih = sc_walk_weight(w, key, 1, s_b);
            key_name(key, sizeof key, "bias_hh", l, d);
            lk[l][d].bhh = sc_walk_weight(w, key, 1, s_b);
        }
    }
    int64_t s_o[2] = { fd, 2 * H }, s_cb[3] = { 1, SC_ACOUSTIC_VOCAB, fd };
    *wo = sc_walk_weight(w, "encoder_output_linear.weight", 2, s_o);
    *cb = sc_walk_weight(w, "quantizer._codebook.embed", 3, s_cb);
}

static int declare(const sc_model_info *m, void *dctx, sc_need_fn need)
{
    int L = layers_for(m->token_rate);
    if (L == 0)
        return SC_EARG;
    sc_walk w = sc_walk_declare(m, dctx, need);
    lstm_keys lk[MAX_LAYERS][2];
    const float *wo, *cb;
    walk(&w, L, m->fd, lk, &wo, &cb);
    return w.rc;
}

static void free_acts(acoustic *s)
{
    const sc_backend_vt *be = s->be;
    float **bufs[] = { &s->u, &s->h[0], &s->h[1], &s->gx, &s->ws, &s->a };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        if (*bufs[i])
            be->buf_free(s->bc, *bufs[i]);
        *bufs[i] = NULL;
    }
    if (s->idx)
        be->buf_free(s->bc, s->idx);
    s->idx = NULL;
    if (!be->host_memory) {
        free(s->hu);
        free(s->ha);
        free(s->hidx);
    }
    s->hu = s->ha = NULL;
    s->hidx = NULL;
    s->cap = 0;
}

static void destroy(void *self)
{
    acoustic *s = self;
    if (!s)
        return;
    free_acts(s);
    for (int l = 0; l < s->L; l++)
        for (int d = 0; d < 2; d++)
            if (s->w[l][d].bias)
                s->be->buf_free(s->bc, s->w[l][d].bias);
    if (s->cbn)
        s->be->buf_free(s->bc, s->cbn);
    free(s);
}

/* |c_j|^2 for every codebook row: c*c element-wise, then a GEMM against a
 * ones vector, a chunk of rows at a time to bound the temporary. */
static int codebook_norms(acoustic *s, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const sc_host *host = s->host;
    int fd = s->fd, rc = SC_OK;
    float *sq = be->buf_alloc(s->bc, sizeof(float) * (size_t)NORM_CHUNK * fd);
    float *ones = be->buf_alloc(s->bc, sizeof(float) * (size_t)fd);
    s->cbn = be->buf_alloc(s->bc, sizeof(float) * (size_t)s->N);
    if (!sq || !ones || !s->cbn) {
        rc = host->err_set(err, SC_ENOMEM, "acoustic: out of memory (codebook norms)");
        goto out;
    }
    if ((rc = be->scale(s->bc, ones, fd, 0.0f, 1.0f, ones)) < 0)
        goto fail;
    for (int r0 = 0; r0 < s->N; r0 += NORM_CHUNK) {
        int m = s->N - r0 < NORM_CHUNK ? s->N - r0 : NORM_CHUNK;
        const float *c = s->cb + (size_t)r0 * fd;
        if ((rc = be->binary(s->bc, SC_BIN_MUL, c, c, (int64_t)m * fd, sq)) < 0 ||
            (rc = be->gemm(s->bc, 0, 0, m, 1, fd, 1.0f, sq, fd, ones, 1, 0.0f, s->cbn + r0, 1)) < 0)
            goto fail;
    }
    goto out;
fail:
    sc_stage_op_fail(host, err, "acoustic", rc, "the codebook norms");
out:
    if (sq)
        be->buf_free(s->bc, sq);
    if (ones)
        be->buf_free(s->bc, ones);
    return rc;
}

static int create(const sc_stage_env *env, void **self, sc_err *err)
{
    const sc_host *host = env->host;
    const sc_backend_vt *be = env->be;
    const sc_model_info *m = env->model;
    *self = NULL;
    int L = layers_for(m->token_rate);
    if (L == 0 || m->K * m->token_rate != 100 || m->fd != 768 * m->K)
        return host->err_set(err, SC_EARG, "acoustic: unsupported model (rate %d, K %d, fd %d)",
                             m->token_rate, m->K, m->fd);
    if (m->ac_vocab != 0 && m->ac_vocab != SC_ACOUSTIC_VOCAB)
        return host->err_set(err, SC_EARG, "acoustic: vocabulary %d, the model has %d",
                             m->ac_vocab, SC_ACOUSTIC_VOCAB);
    if (env->options && env->options[0])
        return host->err_set(err, SC_ECONFIG, "acoustic bilstm: unknown option '%s'",
                             env->options);
    acoustic *s = calloc(1, sizeof *s);
    if (!s)
        return host->err_set(err, SC_ENOMEM, "acoustic: out of memory");
    s->host = host;
    s->be = be;
    s->bc = env->be_ctx;
    s->n = 512 / m->K;
    s->fd = m->fd;
    s->H = 2 * m->fd;
    s->L = L;
    s->N = SC_ACOUSTIC_VOCAB;
    int H = s->H, rc;
    sc_walk w = sc_walk_load(env, err);
    lstm_keys lk[MAX_LAYERS][2];
    walk(&w, L, s->fd, lk, &s->wo, &s->cb);
    if (w.rc)
        goto fail;
    for (int l = 0; l < L; l++)
        for (int d = 0; d < 2; d++) {
            dirw *dw = &s->w[l][d];
            dw->wih = lk[l][d].wih;
            dw->whh = lk[l][d].whh;
            if (!(dw->bias = be->buf_alloc(s->bc, sizeof(float) * 4 * (size_t)H))) {
                host->err_set(err, SC_ENOMEM, "acoustic: out of memory");
                goto fail;
            }
            if ((rc = be->binary(s->bc, SC_BIN_ADD, lk[l][d].bih, lk[l][d].bhh, 4 * H,
                                 dw->bias)) < 0) {
                sc_stage_op_fail(host, err, "acoustic", rc, "the LSTM biases");
                goto fail;
            }
        }
    if (codebook_norms(s, err) < 0)
        goto fail;
    *self = s;
    return SC_OK;
fail:
    destroy(s);
    return err && err->code ? err->code : SC_EINTERNAL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Per-part timing for the benchmarks (debug log level only: it syncs the
 * backend at every boundary). */
typedef struct timing {
    int on;
    double proj, rec, out, t;
} timing;

static void tick(acoustic *s, timing *tm, double *acc)
{
    if (!tm->on)
        return;
    s->be->sync(s->bc);
    double t = now();
    *acc += t - tm->t;
    tm->t = t;
}

static int ensure_cap(acoustic *s, int B, sc_err *err)
{
    if (B <= s->cap)
        return SC_OK;
    free_acts(s);
    const sc_backend_vt *be = s->be;
    size_t rows = (size_t)s->n * B, fd = s->fd, H = s->H;
    s->u = be->buf_alloc(s->bc, sizeof(float) * rows * 2 * fd);
    s->h[0] = be->buf_alloc(s->bc, sizeof(float) * rows * 2 * H);
    s->h[1] = be->buf_alloc(s->bc, sizeof(float) * rows * 2 * H);
    s->gx = be->buf_alloc(s->bc, sizeof(float) * rows * 4 * H);
    s->ws = be->buf_alloc(s->bc, sizeof(float) * sc_lstm_ws(B, s->H));
    s->a = be->buf_alloc(s->bc, sizeof(float) * rows * fd);
    s->idx = be->buf_alloc(s->bc, sizeof(int64_t) * rows);
    if (be->host_memory) {
        /* buffers are host memory: build and read them in place */
        s->hu = s->u;
        s->ha = s->a;
        s->hidx = s->idx;
    } else {
        s->hu = malloc(sizeof(float) * rows * 2 * fd);
        s->ha = malloc(sizeof(float) * rows * fd);
        s->hidx = malloc(sizeof(int64_t) * rows);
    }
    if (!s->u || !s->h[0] || !s->h[1] || !s->gx || !s->ws || !s->a || !s->idx || !s->hu ||
        !s->ha || !s->hidx) {
        free_acts(s);
        return s->host->err_set(err, SC_ENOMEM,
                                "acoustic: out of memory for %d windows in flight", B);
    }
    s->cap = B;
    return SC_OK;
}

static int quantize(void *self, int B, const float *y, int ldy, const float *es, int lde,
                    const int *cutoff, int64_t *tok, float *aout, sc_err *err)
{
    acoustic *s = self;
    const sc_host *host = s->host;
    const sc_backend_vt *be = s->be;
    void *bc = s->bc;
    if (B < 1)
        return host->err_set(err, SC_EARG, "acoustic: %d windows", B);
    for (int b = 0; b < B; b++)
        if (cutoff[b] < 0 || cutoff[b] > s->n)
            return host->err_set(err, SC_ERANGE, "acoustic: window %d: cut-off %d outside 0..%d",
                                 b, cutoff[b], s->n);
    if (ldy < s->fd || lde < s->fd)
        return host->err_set(err, SC_EARG, "acoustic: row strides %d/%d below %d", ldy, lde,
                             s->fd);
    int rc = ensure_cap(s, B, err);
    if (rc < 0)
        return rc;
    const int T = s->n, fd = s->fd, H = s->H, M = T * B;

    /* U [T, B, 2fd] = [Y | Es], rows at or past the cut-off exactly -1 */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            float *row = s->hu + ((size_t)t * B + b) * 2 * fd;
            if (t < cutoff[b]) {
                memcpy(row, y + ((size_t)b * T + t) * ldy, sizeof(float) * fd);
                memcpy(row + fd, es + ((size_t)b * T + t) * lde, sizeof(float) * fd);
            } else {
                for (int i = 0; i < 2 * fd; i++)
                    row[i] = -1.0f;
            }
        }
    if (s->hu != s->u && (rc = be->upload(bc, s->u, s->hu, sizeof(float) * (size_t)M * 2 * fd)) < 0)
        goto backend;

    timing tm = {0};
    tm.on = host->log && host->log->level >= SC_LOG_DEBUG;
    double flop_proj = 0, dummy = 0;
    tick(s, &tm, &dummy);
    const float *in = s->u;
    int din = 2 * fd;
    for (int l = 0; l < s->L; l++) {
        float *out = s->h[l & 1];
        for (int d = 0; d < 2; d++) {
            const dirw *w = &s->w[l][d];
            if ((rc = be->linear(bc, in, din, M, din, w->wih, w->bias, 4 * H, s->gx, 4 * H)) < 0)
                goto backend;
            tick(s, &tm, &tm.proj);
            if ((rc = be->lstm(bc, T, B, H, s->gx, w->whh, d, out + (size_t)d * H, 2 * H, s->ws)) < 0)
                goto backend;
            tick(s, &tm, &tm.rec);
            flop_proj += 2.0 * M * din * 4.0 * H;
        }
        in = out;
        din = 2 * H;
    }
    if ((rc = be->linear(bc, in, din, M, din, s->wo, NULL, fd, s->a, fd)) < 0 ||
        (rc = be->nearest(bc, SC_NEAREST_SQRT, s->a, fd, M, fd, s->cb, s->cbn, s->N, s->idx,
                          NULL)) < 0 ||
        (rc = be->sync(bc)) < 0)
        goto backend;
    if (s->hidx != s->idx &&
        (rc = be->download(bc, s->hidx, s->idx, sizeof(int64_t) * (size_t)M)) < 0)
        goto backend;
    if (aout && s->ha != s->a &&
        (rc = be->download(bc, s->ha, s->a, sizeof(float) * (size_t)M * fd)) < 0)
        goto backend;
    tick(s, &tm, &tm.out);
    if (tm.on) {
        double steps = 2.0 * s->L * T;
        double flop_rec = steps * 2.0 * B * H * 4.0 * H;
        double whh_bytes = steps * 4.0 * H * H * sizeof(float);
        double flop_out = 2.0 * M * 2.0 * H * fd + 2.0 * M * fd * s->N;
        host->log_msg(host->log, SC_LOG_DEBUG,
                      "acoustic: %d windows: input projections %.3f s (%.1f GFLOP/s), recurrence "
                      "%.3f s (%.1f GFLOP/s, W_hh read at %.1f GB/s), output linear + VQ %.3f s "
                      "(%.1f GFLOP/s)", B, tm.proj, flop_proj / tm.proj * 1e-9, tm.rec,
                      flop_rec / tm.rec * 1e-9, whh_bytes / tm.rec * 1e-9, tm.out,
                      flop_out / tm.out * 1e-9);
    }

    /* [T, B] -> window-major [B, T] */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            int64_t v = s->hidx[(size_t)t * B + b];
            if (v < 0 || v >= s->N)
                return host->err_set(err, SC_EINTERNAL, "acoustic: backend returned token %lld",
                                     (long long)v);
            tok[(size_t)b * T + t] = v;
            if (aout)
                memcpy(aout + ((size_t)b * T + t) * fd, s->ha + ((size_t)t * B + b) * fd,
                       sizeof(float) * fd);
        }
    return SC_OK;
backend:
    return sc_stage_op_fail(host, err, "acoustic", rc, "the BiLSTM");
}

static const sc_acoustic_vt acoustic_vt = {
    .struct_size = sizeof(sc_acoustic_vt),
    .declare = declare,
    .create = create,
    .destroy = destroy,
    .quantize = quantize,
};

static const sc_plugin_info acoustic_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_ACOUSTIC,
    .name = "bilstm",
    .version = PACKAGE_VERSION,
    .description = "SemantiCodec acoustic quantizer: BiLSTM, output linear, 8192-entry VQ",
    .vtable = &acoustic_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    (void)host;
    return &acoustic_info;
}
