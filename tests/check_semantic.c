/* tests/check_semantic.c - the "audiomae" semantic quantizer stage against
 * the parity kit (README.md §3.2, tolerances §4.4), on every backend the
 * registry finds: ref is required, blas once backends/backend_blas.la is
 * built.  Weights are the synthetic ones (config synthetic = 1), which is
 * what the goldens were made with.
 *
 *   AudioMAE output            golden/{short,long}_audiomae     abs 3e-5
 *   stacked features           golden/{clip}_tr{50,25}_stacked  exact (a copy)
 *   semantic tokens            golden/{clip}_tr{R}_semantic_tokens exact where margin >= 1e-2
 *   padding cut-offs           330/1024 -> 165 (short), 1024 and 376 (long)
 *   every (rate, vocab)        tokens vs a float64 search, Es = codebook rows
 *
 * AudioMAE (the slow part, 4 windows per backend) runs only in the rate-100
 * case: the stage reads its AudioMAE weights on first use, so sessions at
 * other rates only generate their codebooks.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sc/config.h"
#include "sc/npy.h"
#include "sc/registry.h"
#include "sc/session.h"
#include "sc/stage_semantic.h"
#include "sctest.h"

#define AMAE_TOL 3e-5
#define MARGIN_MIN 1e-2

static char g_backends[8][SC_NAME_MAX];
static int g_nbackends;

/* ---- parity kit --------------------------------------------------------- */

static void golden(const char *name, sc_tensor *t, sc_dtype dtype)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/%s", name);
    sct_load_npy(rel, t);
    ck_assert_msg(t->dtype == dtype && sc_tensor_is_contiguous(t), "%s: dtype %s, expected %s",
                  rel, sc_dtype_name(t->dtype), sc_dtype_name(dtype));
}

/* ---- sessions ------------------------------------------------------------ */

typedef struct sem {
    sc_session *s;
    const sc_semantic_vt *vt;
    void *self;
    const sc_tensor *cb;
    int n, fd, N;
} sem;

static void sem_open(sem *m, const char *backend, int rate, int vocab, const char *options)
{
    sc_config cfg;
    sc_err err = {0};
    sc_log log = {SC_LOG_ERROR, sc_log_stderr, NULL};
    memset(m, 0, sizeof *m);
    sc_config_defaults(&cfg);
    ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
    cfg.synthetic = 1;
    cfg.threads = 2;
    cfg.token_rate = rate;
    cfg.sem_vocab = vocab;
    snprintf(cfg.stage[SC_KIND_SEMANTIC].backend, SC_NAME_MAX, "%s", backend);
    snprintf(cfg.stage[SC_KIND_SEMANTIC].options, sizeof cfg.stage[0].options, "%s",
             options ? options : "");
    m->s = sc_session_open(&cfg, &log, &err);
    ck_assert_msg(m->s, "session (%s, rate %d, vocab %d): %s", backend, rate, vocab, err.msg);
    sc_stage *st = sc_session_stage(m->s, SC_KIND_SEMANTIC, &err);
    ck_assert_msg(st, "semantic stage (%s, rate %d, vocab %d): %s", backend, rate, vocab, err.msg);
    ck_assert_str_eq(st->backend->name, backend);
    m->vt = st->vt;
    ck_assert_uint_ge(m->vt->struct_size, sizeof(sc_semantic_vt));
    m->self = st->self;
    m->cb = st->env.sem_codebook;
    m->n = 512 * rate / 100;
    m->fd = 76800 / rate;
    m->N = vocab;
    ck_assert(m->cb && m->cb->dtype == SC_F32 && m->cb->shape[0] == vocab &&
              m->cb->shape[1] == m->fd);
}

static void sem_close(sem *m)
{
    sc_session_close(m->s);
    memset(m, 0, sizeof *m);
}

/* ---- comparisons --------------------------------------------------------- */

static double max_abs(const float *a, const float *b, size_t n, size_t *at)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) {   /* NaN counts as infinitely wrong */
            m = isnan(d) ? INFINITY : d;
            if (at)
                *at = i;
        }
    }
    return m;
}

/* Tokens equal the golden ones wherever the golden margin is >= 1e-2, and
 * the centroids are the codebook rows of the tokens. */
static void check_tokens(const char *what, const int64_t *tok, const float *es, int lde,
                         const sem *m, const sc_tensor *gold, const sc_tensor *margin, size_t rows)
{
    const int64_t *g = gold->data;
    const float *mg = margin->data;
    ck_assert_int_eq(sc_tensor_numel(gold), (int64_t)rows);
    size_t skipped = 0, flips = 0;
    for (size_t i = 0; i < rows; i++) {
        ck_assert_msg(tok[i] >= 0 && tok[i] < m->N, "%s: token %zu = %lld out of range", what, i,
                      (long long)tok[i]);
        if (mg[i] < MARGIN_MIN) {
            skipped++;
            flips += tok[i] != g[i];
            continue;
        }
        ck_assert_msg(tok[i] == g[i], "%s: token %zu = %lld, golden %lld (margin %.3g)", what, i,
                      (long long)tok[i], (long long)g[i], mg[i]);
    }
    if (es) {
        const float *cb = m->cb->data;
        for (size_t i = 0; i < rows; i++)
            ck_assert_msg(!memcmp(es + i * lde, cb + (size_t)tok[i] * m->fd, m->fd * sizeof(float)),
                          "%s: Es row %zu is not codebook row %lld", what, i, (long long)tok[i]);
    }
    printf("  %s: %zu tokens exact (%zu near ties skipped, %zu of them differ)\n", what,
           rows - skipped, skipped, flips);
}

/* ---- declare: exactly the AudioMAE encoder keys, shapes as in the manifest */

typedef struct {
    int count, bad;
    char manifest[4096];
} declare_ctx;

static int manifest_shape(const char *path, const char *key, char *shape, size_t n)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int found = 0;
    ck_assert_msg(f, "%s: cannot open", path);
    while (!found && fgets(line, sizeof line, f)) {
        char k[512], dt[32], sh[128];
        if (line[0] == '#' || sscanf(line, "%511s %31s %127s", k, dt, sh) != 3)
            continue;
        if (!strcmp(k, key)) {
            snprintf(shape, n, "%s", sh);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static int need_collect(void *dctx, const char *key, sc_dtype dtype, int ndim, const int64_t *shape)
{
    declare_ctx *d = dctx;
    char want[128], got[128];
    d->count++;
    ck_assert_msg(!strncmp(key, "audiomae.model.", 15), "declared non-AudioMAE key %s", key);
    ck_assert_msg(!strstr(key, "decoder") && !strstr(key, "mask_token"),
                  "declared MAE decoder key %s", key);
    ck_assert_int_eq(dtype, SC_F32);
    ck_assert_msg(manifest_shape(d->manifest, key, want, sizeof want), "%s: not in %s", key,
                  d->manifest);
    sc_shape_str(shape, ndim, got, sizeof got);
    ck_assert_msg(!strcmp(want, got), "%s: declared %s, manifest %s", key, got, want);
    return SC_OK;
}

START_TEST(test_declare)
{
    const int rates[3] = {100, 50, 25};
    const char *ref = getenv("SC_REFDIR");
    sc_log log = {SC_LOG_ERROR, sc_log_stderr, NULL};
    sc_host host;
    sc_err err = {0};
    ck_assert_msg(ref && *ref, "SC_REFDIR is not set");
    sc_host_init(&host, &log, NULL);
    sc_registry *reg = sc_registry_open(&host, NULL, &err);
    ck_assert_msg(reg, "%s", err.msg);
    const sc_plugin_rec *rec = sc_registry_find(reg, SC_KIND_SEMANTIC, "audiomae");
    ck_assert_msg(rec, "plugin audiomae not found on SC_PLUGIN_PATH");
    const sc_semantic_vt *vt = rec->info->vtable;
    for (int i = 0; i < 3; i++) {
        sc_model_info mi = {.token_rate = rates[i], .K = 100 / rates[i], .fd = 76800 / rates[i],
                            .sem_vocab = 16384, .ac_vocab = 8192, .synthetic = 1};
        declare_ctx d = {0};
        snprintf(d.manifest, sizeof d.manifest, "%s/manifest-tr%d-encoder.tsv", ref, rates[i]);
        ck_assert_int_eq(vt->declare(&mi, &d, need_collect), SC_OK);
        /* cls, pos, patch w/b, norm w/b + 12 blocks of 12 tensors */
        ck_assert_int_eq(d.count, 6 + 12 * 12);
    }
    sc_registry_close(reg);
}
END_TEST

/* ---- padding cut-offs ---------------------------------------------------- */

START_TEST(test_padding)
{
    static const int rates[3] = {100, 50, 25};
    /* golden token cut-offs (meta.json encode.*.feature_cutoff_index) */
    static const int cut_short[3] = {165, 83, 42}, cut_long2[3] = {188, 94, 47};
    sc_tensor fs, fl;
    golden("short_fbank.npy", &fs, SC_F32);
    golden("long_fbank.npy", &fl, SC_F32);
    ck_assert_int_eq(fl.shape[1], 2048);
    const size_t win = 1024 * 128;
    float *w = malloc(win * sizeof(float));
    ck_assert_ptr_nonnull(w);
    for (int r = 0; r < 3; r++) {
        sem m;
        sc_err err = {0};
        int col[2], cut[2];
        sem_open(&m, g_backends[_i], rates[r], 4096, NULL);
        ck_assert_int_eq(m.vt->padding(m.self, 1, fs.data, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 330);
        ck_assert_int_eq(cut[0], cut_short[r]);
        ck_assert_int_eq(m.vt->padding(m.self, 2, fl.data, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 1024);
        ck_assert_int_eq(col[1], 376);
        ck_assert_int_eq(cut[0], m.n);
        ck_assert_int_eq(cut[1], cut_long2[r]);

        /* Synthetic windows: every row constant -> 0. */
        for (size_t i = 0; i < win; i++)
            w[i] = 0.46703f;
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 0);
        ck_assert_int_eq(cut[0], 0);
        /* Exactly one non-constant row: the reference's exception path -> 0. */
        w[700 * 128 + 3] = 1.0f;
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 0);
        ck_assert_int_eq(cut[0], 0);
        /* Two: the last one + 1; constant rows in between do not matter. */
        w[5 * 128 + 100] = -2.0f;
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 701);
        ck_assert_int_eq(cut[0], (m.n * 701 + 1023) / 1024);
        /* A std of ~5e-8 is still constant (<= 1e-7); 1e-6 is not. */
        w[900 * 128 + 1] += 5.6e-7f;   /* one ulp-ish step at 0.467: std ~5e-8 */
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, NULL, &err), SC_OK);
        ck_assert_int_eq(col[0], 701);
        w[950 * 128 + 1] += 1.2e-5f;   /* std ~1.06e-6 */
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, NULL, &err), SC_OK);
        ck_assert_int_eq(col[0], 951);
        /* No constant row at all: 1024 (all n tokens kept). */
        for (size_t i = 0; i < win; i++)
            w[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
        ck_assert_int_eq(m.vt->padding(m.self, 1, w, col, cut, &err), SC_OK);
        ck_assert_int_eq(col[0], 1024);
        ck_assert_int_eq(cut[0], m.n);
        sem_close(&m);
    }
    free(w);
    sc_tensor_release(&fs);
    sc_tensor_release(&fl);
}
END_TEST

/* ---- AudioMAE + rate 100 (the only case that runs the ViT) --------------- */

START_TEST(test_audiomae_tr100)
{
    const char *be = g_backends[_i];
    sc_tensor fs, fl, as, al, ts, tl, ms, ml;
    sc_err err = {0};
    golden("short_fbank.npy", &fs, SC_F32);
    golden("long_fbank.npy", &fl, SC_F32);
    golden("short_audiomae.npy", &as, SC_F32);
    golden("long_audiomae.npy", &al, SC_F32);
    golden("short_tr100_semantic_tokens.npy", &ts, SC_I64);
    golden("long_tr100_semantic_tokens.npy", &tl, SC_I64);
    golden("short_tr100_semantic_margin.npy", &ms, SC_F32);
    golden("long_tr100_semantic_margin.npy", &ml, SC_F32);
    const size_t win = 1024 * 128, out = 513 * 768;

    /* batch=2 so that the 3 windows go through as 2 + 1. */
    sem m;
    sem_open(&m, be, 100, 16384, "batch=2");

    /* AudioMAE of all three windows in one call. */
    float *fb = malloc(3 * win * sizeof(float)), *am = malloc(3 * out * sizeof(float));
    ck_assert(fb && am);
    memcpy(fb, fs.data, win * sizeof(float));
    memcpy(fb + win, fl.data, 2 * win * sizeof(float));
    double t0 = sct_now();
    ck_assert_msg(m.vt->audiomae(m.self, 3, fb, am, &err) == SC_OK, "%s", err.msg);
    double t1 = sct_now();
    size_t at = 0;
    double es_ = max_abs(am, as.data, out, &at);
    printf("[%s] AudioMAE 3 windows: %.2f s (%.2f s/window)\n", be, t1 - t0, (t1 - t0) / 3);
    printf("[%s] short_audiomae max abs err %.3g (at %zu)\n", be, es_, at);
    ck_assert_msg(es_ <= AMAE_TOL, "[%s] short_audiomae: max abs err %.3g at %zu > %g", be, es_,
                  at, AMAE_TOL);
    double el = max_abs(am + out, al.data, 2 * out, &at);
    printf("[%s] long_audiomae max abs err %.3g (at %zu)\n", be, el, at);
    ck_assert_msg(el <= AMAE_TOL, "[%s] long_audiomae: max abs err %.3g at %zu > %g", be, el, at,
                  AMAE_TOL);

    /* Stack (K = 1: drop cls) + quantise the GOLDEN AudioMAE output. */
    const int n = 512, fd = 768;
    float *y = malloc(2 * n * fd * sizeof(float)), *esb = malloc(2 * n * 2 * fd * sizeof(float));
    int64_t *tok = malloc(2 * n * sizeof(int64_t));
    ck_assert(y && esb && tok);
    ck_assert_msg(m.vt->stack_quantize(m.self, 2, al.data, y, fd, tok, esb, fd, &err) == SC_OK,
                  "%s", err.msg);
    for (int w = 0; w < 2; w++)
        ck_assert_msg(!memcmp(y + (size_t)w * n * fd, (const float *)al.data + w * out + fd,
                              (size_t)n * fd * sizeof(float)),
                      "tr100 stacked window %d != audiomae[:, 1:]", w);
    check_tokens("long_tr100 (golden AudioMAE)", tok, esb, fd, &m, &tl, &ml, 2 * n);
    ck_assert_int_eq(m.vt->stack_quantize(m.self, 1, as.data, NULL, 0, tok, NULL, 0, &err), SC_OK);
    check_tokens("short_tr100 (golden AudioMAE)", tok, NULL, 0, &m, &ts, &ms, n);

    /* The whole stage on the short clip, Y and Es written side by side as
     * the LSTM input [Y | Es]. */
    int cut = -1;
    memset(esb, 0xff, (size_t)n * 2 * fd * sizeof(float));
    t0 = sct_now();
    ck_assert_msg(m.vt->encode(m.self, 1, fs.data, esb, 2 * fd, tok, esb + fd, 2 * fd, &cut,
                               &err) == SC_OK, "%s", err.msg);
    t1 = sct_now();
    printf("[%s] encode 1 window: %.2f s\n", be, t1 - t0);
    ck_assert_int_eq(cut, 165);
    double ey = 0;
    for (int r = 0; r < n; r++) {
        double e = max_abs(esb + (size_t)r * 2 * fd, (const float *)as.data + (r + 1) * fd, fd, NULL);
        ey = e > ey ? e : ey;
    }
    printf("[%s] encode Y vs short_audiomae[1:] max abs err %.3g\n", be, ey);
    ck_assert_msg(ey <= AMAE_TOL, "[%s] encode Y: max abs err %.3g", be, ey);
    check_tokens("short_tr100 (encode)", tok, esb + fd, 2 * fd, &m, &ts, &ms, n);

    /* Argument errors are reported, not crashed on. */
    sc_err_clear(&err);
    ck_assert_int_eq(m.vt->quantize(m.self, 4, y, fd - 1, tok, NULL, 0, &err), SC_EARG);
    ck_assert(strstr(err.msg, "stride"));

    free(fb);
    free(am);
    free(y);
    free(esb);
    free(tok);
    sem_close(&m);
    sc_tensor *ts_[] = {&fs, &fl, &as, &al, &ts, &tl, &ms, &ml};
    for (size_t i = 0; i < 8; i++)
        sc_tensor_release(ts_[i]);
}
END_TEST

/* ---- rates 50 and 25: stacking and tokens from the golden inputs --------- */

START_TEST(test_stack_tr50_tr25)
{
    const char *be = g_backends[_i];
    static const int rates[2] = {50, 25};
    static const char *clips[2] = {"short", "long"};
    sc_tensor amae[2];
    sc_err err = {0};
    golden("short_audiomae.npy", &amae[0], SC_F32);
    golden("long_audiomae.npy", &amae[1], SC_F32);
    for (int r = 0; r < 2; r++) {
        sem m;
        sem_open(&m, be, rates[r], 16384, NULL);
        for (int c = 0; c < 2; c++) {
            char name[128], what[128];
            sc_tensor st, tk, mg;
            int nwin = (int)amae[c].shape[0];
            snprintf(name, sizeof name, "%s_tr%d_stacked.npy", clips[c], rates[r]);
            golden(name, &st, SC_F32);
            snprintf(name, sizeof name, "%s_tr%d_semantic_tokens.npy", clips[c], rates[r]);
            golden(name, &tk, SC_I64);
            snprintf(name, sizeof name, "%s_tr%d_semantic_margin.npy", clips[c], rates[r]);
            golden(name, &mg, SC_F32);
            ck_assert_int_eq(st.shape[0], nwin);
            ck_assert_int_eq(st.shape[1], m.n);
            ck_assert_int_eq(st.shape[2], m.fd);
            size_t rows = (size_t)nwin * m.n, nf = rows * m.fd;
            float *y = malloc(nf * sizeof(float)), *es = malloc(nf * sizeof(float));
            int64_t *tok = malloc(rows * sizeof(int64_t));
            ck_assert(y && es && tok);

            /* Stacking is a copy: bit exact. */
            ck_assert_msg(m.vt->stack_quantize(m.self, nwin, amae[c].data, y, m.fd, tok, es, m.fd,
                                               &err) == SC_OK, "%s", err.msg);
            size_t at = 0;
            double e = max_abs(y, st.data, nf, &at);
            printf("[%s] %s_tr%d_stacked max abs err %.3g\n", be, clips[c], rates[r], e);
            ck_assert_msg(e == 0, "[%s] %s: differs at %zu by %g", be, name, at, e);
            snprintf(what, sizeof what, "[%s] %s_tr%d (golden AudioMAE)", be, clips[c], rates[r]);
            check_tokens(what, tok, es, m.fd, &m, &tk, &mg, rows);

            /* The quantiser alone on the golden stacked features. */
            memset(tok, 0xff, rows * sizeof(int64_t));
            ck_assert_msg(m.vt->quantize(m.self, (int)rows, st.data, m.fd, tok, es, m.fd, &err) ==
                          SC_OK, "%s", err.msg);
            snprintf(what, sizeof what, "[%s] %s_tr%d (golden stacked)", be, clips[c], rates[r]);
            check_tokens(what, tok, es, m.fd, &m, &tk, &mg, rows);
            free(y);
            free(es);
            free(tok);
            sc_tensor_release(&st);
            sc_tensor_release(&tk);
            sc_tensor_release(&mg);
        }
        sem_close(&m);
    }
    sc_tensor_release(&amae[0]);
    sc_tensor_release(&amae[1]);
}
END_TEST

/* ---- every (rate, vocabulary): loads, runs, picks the nearest row -------- */

START_TEST(test_vocabs)
{
    const char *be = g_backends[_i];
    static const int rates[3] = {100, 50, 25}, vocabs[4] = {4096, 8192, 16384, 32768};
    static const char *stacked[3] = {NULL, "short_tr50_stacked.npy", "short_tr25_stacked.npy"};
    enum { ROWS = 6 };
    sc_tensor amae;
    golden("short_audiomae.npy", &amae, SC_F32);
    for (int r = 0; r < 3; r++) {
        sc_tensor st;
        const float *src;
        if (stacked[r]) {
            golden(stacked[r], &st, SC_F32);
            src = st.data;
        } else {
            src = (const float *)amae.data + 768;
        }
        for (int v = 0; v < 4; v++) {
            sem m;
            sc_err err = {0};
            double t0 = sct_now();
            sem_open(&m, be, rates[r], vocabs[v], NULL);
            double t1 = sct_now();
            /* Rows spread over the clip (stride 13 tokens). */
            float *y = malloc((size_t)ROWS * m.fd * sizeof(float)),
                  *es = malloc((size_t)ROWS * m.fd * sizeof(float));
            int64_t tok[ROWS];
            ck_assert(y && es);
            for (int i = 0; i < ROWS; i++)
                memcpy(y + (size_t)i * m.fd, src + (size_t)(13 * i) * m.fd, m.fd * sizeof(float));
            ck_assert_msg(m.vt->quantize(m.self, ROWS, y, m.fd, tok, es, m.fd, &err) == SC_OK,
                          "%s", err.msg);
            double t2 = sct_now();
            const float *cb = m.cb->data;
            for (int i = 0; i < ROWS; i++) {
                /* float64 brute force: best and second best distance. */
                const float *x = y + (size_t)i * m.fd;
                double best = INFINITY, second = INFINITY;
                int64_t arg = -1;
                for (int j = 0; j < m.N; j++) {
                    const float *c = cb + (size_t)j * m.fd;
                    double d = 0;
                    for (int k = 0; k < m.fd; k++)
                        d += ((double)x[k] - c[k]) * ((double)x[k] - c[k]);
                    if (d < best) {
                        second = best;
                        best = d;
                        arg = j;
                    } else if (d < second) {
                        second = d;
                    }
                }
                ck_assert_msg(tok[i] == arg || second - best < MARGIN_MIN,
                              "[%s] rate %d vocab %d row %d: token %lld, float64 argmin %lld "
                              "(margin %.3g)", be, rates[r], vocabs[v], i, (long long)tok[i],
                              (long long)arg, second - best);
                ck_assert(!memcmp(es + (size_t)i * m.fd, cb + (size_t)tok[i] * m.fd,
                                  m.fd * sizeof(float)));
            }
            printf("[%s] rate %d vocab %5d: open %.2f s, quantize %d rows %.3f s\n", be, rates[r],
                   vocabs[v], t1 - t0, ROWS, t2 - t1);
            free(y);
            free(es);
            sem_close(&m);
        }
        if (stacked[r])
            sc_tensor_release(&st);
    }
    sc_tensor_release(&amae);
}
END_TEST

/* ---- options ------------------------------------------------------------- */

START_TEST(test_bad_options)
{
    static const char *bad[] = {"batch=0", "batch=x", "batch", "speed=9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sc_config cfg;
        sc_err err = {0};
        sc_log log = {SC_LOG_QUIET, NULL, NULL};
        sc_config_defaults(&cfg);
        ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
        cfg.synthetic = 1;
        cfg.token_rate = 100;
        cfg.sem_vocab = 4096;
        snprintf(cfg.stage[SC_KIND_SEMANTIC].backend, SC_NAME_MAX, "ref");
        snprintf(cfg.stage[SC_KIND_SEMANTIC].options, sizeof cfg.stage[0].options, "%s", bad[i]);
        sc_session *s = sc_session_open(&cfg, &log, &err);
        ck_assert_msg(s, "%s", err.msg);
        ck_assert_ptr_null(sc_session_stage(s, SC_KIND_SEMANTIC, &err));
        ck_assert_msg(strstr(err.msg, "semantic options"), "'%s': message '%s'", bad[i], err.msg);
        sc_session_close(s);
    }
}
END_TEST

/* ---- driver -------------------------------------------------------------- */

static void find_backends(void)
{
    /* ref always; blas (and any other CPU backend) once it is built. */
    const char *names[8];
    g_nbackends = sct_backends(names, 8);
    for (int i = 0; i < g_nbackends; i++)
        snprintf(g_backends[i], SC_NAME_MAX, "%s", names[i]);
    const char *only = getenv("SC_TEST_BACKEND");   /* debugging: one backend */
    if (only) {
        g_nbackends = 1;
        snprintf(g_backends[0], SC_NAME_MAX, "%s", only);
    }
}

int main(void)
{
    find_backends();
    for (int i = 0; i < g_nbackends; i++)
        printf("check_semantic: backend %s\n", g_backends[i]);
    /* Separate cases so one can be run alone: CK_RUN_CASE=quick|tr100|rates|vocabs */
    Suite *su = suite_create("semantic");
    TCase *tq = tcase_create("quick"), *t1 = tcase_create("tr100"),
          *tr = tcase_create("rates"), *tv = tcase_create("vocabs");
    tcase_add_test(tq, test_declare);
    tcase_add_test(tq, test_bad_options);
    tcase_add_loop_test(tq, test_padding, 0, 1);   /* host code: one backend is enough */
    tcase_add_loop_test(t1, test_audiomae_tr100, 0, g_nbackends);
    tcase_add_loop_test(tr, test_stack_tr50_tr25, 0, g_nbackends);
    tcase_add_loop_test(tv, test_vocabs, 0, g_nbackends);
    TCase *all[] = {tq, t1, tr, tv};
    for (int i = 0; i < 4; i++) {
        tcase_set_timeout(all[i], 900);
        suite_add_tcase(su, all[i]);
    }
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
