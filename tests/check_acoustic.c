/* tests/check_acoustic.c - the "bilstm" acoustic quantizer stage and the
 * tokenizer engine against the parity kit (README.md §3.2, tolerances
 * §4.4), on every CPU backend built (ref required, blas once built).
 * Weights are the synthetic ones the goldens were made with.
 *
 *   LSTM + output linear   golden/{clip}_tr{R}_lstm_linear      abs 5e-4
 *   acoustic tokens        golden/{clip}_tr{R}_acoustic_tokens  exact where margin >= 1e-3
 *   whole encode()         golden/{clip}_tr{R}_tokens           length and values (near ties
 *                          excepted), from the audio samples
 * Inputs of the LSTM test are the golden stacked features (rate 100:
 * audiomae[:, 1:]), the golden semantic tokens turned into centroids, and
 * the cut-off computed here from the golden fbank (§5.1).  The three
 * windows (short, long 0, long 1: cut-offs 165/512/188 at rate 100) run
 * through the LSTM in ONE call, so batching across windows and files is
 * what is tested.
 *
 * Cost: the rate-25 LSTM has 1.5 G parameters (6 GB of synthetic weights).
 * Default `make check`: rate 100 on every backend, rates 50 and 25 on
 * blas (on ref when blas is not built, only with SC_FULL); the end-to-end
 * encode at rate 100 on the fastest backend, all rates with SC_FULL.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc/config.h"
#include "sc/npy.h"
#include "sc/registry.h"
#include "sc/session.h"
#include "sc/stage_acoustic.h"
#include "sc/stage_frontend.h"
#include "sc/tokstream.h"
#include "sctest.h"
#include "../libsc/codec/tk.h"

#define LSTM_TOL 5e-4
#define AC_MARGIN 1e-3
#define SEM_MARGIN 1e-2

typedef struct combo {
    int rate;
    char backend[SC_NAME_MAX];
} combo;

static combo g_lstm[8], g_e2e[8];
static int g_nlstm, g_ne2e;

static void golden(const char *name, sc_tensor *t)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/%s", name);
    sct_load_npy(rel, t);
    ck_assert_msg(sc_tensor_is_contiguous(t), "%s: not contiguous", rel);
}

/* Any numeric golden as float (margins are float32 in the kit). */
static float *golden_f32(const char *name, int64_t *n)
{
    sc_tensor t;
    sc_err err = {0};
    golden(name, &t);
    *n = sc_tensor_numel(&t);
    float *p = malloc(sizeof(float) * (size_t)*n);
    ck_assert(p);
    ck_assert_msg(sc_tensor_to_f32(&t, p, &err) == SC_OK, "%s: %s", name, err.msg);
    sc_tensor_release(&t);
    return p;
}

static sc_session *open_session(int rate, const char *backend)
{
    sc_config cfg;
    sc_err err = {0};
    sc_log log = {SC_LOG_ERROR, sc_log_stderr, "check_acoustic"};
    sc_config_defaults(&cfg);
    ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
    cfg.synthetic = 1;
    cfg.threads = 2;
    cfg.token_rate = rate;
    cfg.sem_vocab = 16384;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    for (int k = SC_KIND_FRONTEND; k <= SC_KIND_MAX; k++)
        cfg.stage[k].backend[0] = 0;
    sc_session *s = sc_session_open(&cfg, &log, &err);
    ck_assert_msg(s, "session (%s, rate %d): %s", backend, rate, err.msg);
    return s;
}

/* Padding cut-off of one normalised fbank window (ARCHITECTURE §5.1),
 * written independently of the semantic stage. */
static int cutoff_of(const float *w, int n)
{
    int last = -1, count = 0;
    for (int k = 0; k < 1024; k++) {
        const float *r = w + (size_t)k * 128;
        double m = 0, ss = 0;
        for (int i = 0; i < 128; i++)
            m += r[i];
        m /= 128;
        for (int i = 0; i < 128; i++)
            ss += (r[i] - m) * (r[i] - m);
        if (sqrt(ss / 127) > 1e-7) {
            last = k;
            count++;
        }
    }
    int col = count == 1024 ? 1024 : count >= 2 ? last + 1 : 0;
    return (int)ceil((double)n * ((double)col / 1024.0));
}

/* The three golden windows of a rate: features, centroids, cut-offs, and
 * the expected outputs. */
typedef struct gwin {
    int n, fd;
    float *y, *es;          /* [3, n, fd] */
    int cut[3];
    float *lin;             /* [3, n, fd] golden lstm_linear */
    int64_t *tok;           /* [3, n] golden acoustic tokens */
    float *margin;          /* [3, n] */
} gwin;

static void load_windows(gwin *g, int rate, const sc_tensor *cb)
{
    int K = 100 / rate, n = 512 / K, fd = 768 * K;
    const char *clips[2] = {"short", "long"};
    char name[128];
    g->n = n;
    g->fd = fd;
    size_t per = (size_t)n * fd;
    g->y = malloc(sizeof(float) * 3 * per);
    g->es = malloc(sizeof(float) * 3 * per);
    g->lin = malloc(sizeof(float) * 3 * per);
    g->tok = malloc(sizeof(int64_t) * 3 * n);
    g->margin = malloc(sizeof(float) * 3 * n);
    ck_assert(g->y && g->es && g->lin && g->tok && g->margin);
    int w = 0;
    for (int c = 0; c < 2; c++) {
        int W = c + 1;
        sc_tensor f, st, fb, at, ln;
        if (rate == 100) {
            snprintf(name, sizeof name, "%s_audiomae.npy", clips[c]);
            golden(name, &f);
            ck_assert(f.dtype == SC_F32 && f.ndim == 3 && f.shape[0] == W && f.shape[1] == 513);
            for (int i = 0; i < W; i++)
                memcpy(g->y + (w + i) * per, (const float *)f.data + ((size_t)i * 513 + 1) * 768,
                       sizeof(float) * per);
        } else {
            snprintf(name, sizeof name, "%s_tr%d_stacked.npy", clips[c], rate);
            golden(name, &f);
            ck_assert(f.dtype == SC_F32 && f.shape[0] == W && f.shape[1] == n && f.shape[2] == fd);
            memcpy(g->y + w * per, f.data, sizeof(float) * per * W);
        }
        sc_tensor_release(&f);
        snprintf(name, sizeof name, "%s_tr%d_semantic_tokens.npy", clips[c], rate);
        golden(name, &st);
        ck_assert(st.dtype == SC_I64 && sc_tensor_numel(&st) == (int64_t)W * n);
        for (int i = 0; i < W * n; i++) {
            int64_t s = ((const int64_t *)st.data)[i];
            ck_assert(s >= 0 && s < cb->shape[0]);
            memcpy(g->es + w * per + (size_t)i * fd, (const float *)cb->data + (size_t)s * fd,
                   sizeof(float) * fd);
        }
        sc_tensor_release(&st);
        snprintf(name, sizeof name, "%s_fbank.npy", clips[c]);
        golden(name, &fb);
        ck_assert(fb.dtype == SC_F32 && fb.shape[1] == 1024 * W);
        for (int i = 0; i < W; i++)
            g->cut[w + i] = cutoff_of((const float *)fb.data + (size_t)i * 1024 * 128, n);
        sc_tensor_release(&fb);
        snprintf(name, sizeof name, "%s_tr%d_acoustic_tokens.npy", clips[c], rate);
        golden(name, &at);
        ck_assert(at.dtype == SC_I64 && sc_tensor_numel(&at) == (int64_t)W * n);
        memcpy(g->tok + (size_t)w * n, at.data, sizeof(int64_t) * n * W);
        sc_tensor_release(&at);
        snprintf(name, sizeof name, "%s_tr%d_lstm_linear.npy", clips[c], rate);
        golden(name, &ln);
        ck_assert(ln.dtype == SC_F32 && sc_tensor_numel(&ln) == (int64_t)W * per);
        memcpy(g->lin + w * per, ln.data, sizeof(float) * per * W);
        sc_tensor_release(&ln);
        int64_t nm;
        snprintf(name, sizeof name, "%s_tr%d_acoustic_margin.npy", clips[c], rate);
        float *mg = golden_f32(name, &nm);
        ck_assert(nm == (int64_t)W * n);
        memcpy(g->margin + (size_t)w * n, mg, sizeof(float) * nm);
        free(mg);
        w += W;
    }
    /* meta.json encode.*.feature_cutoff_index */
    ck_assert_int_eq(g->cut[0], (165 * n + 511) / 512);
    ck_assert_int_eq(g->cut[1], n);
    ck_assert_int_eq(g->cut[2], (188 * n + 511) / 512);
}

static void free_windows(gwin *g)
{
    free(g->y);
    free(g->es);
    free(g->lin);
    free(g->tok);
    free(g->margin);
}

static void check_acoustic_tokens(const char *what, const int64_t *tok, const gwin *g, int nwin)
{
    int skipped = 0, flips = 0;
    for (int i = 0; i < nwin * g->n; i++) {
        ck_assert_msg(tok[i] >= 0 && tok[i] < SC_ACOUSTIC_VOCAB, "%s: token %d = %lld", what, i,
                      (long long)tok[i]);
        if (g->margin[i] < AC_MARGIN) {
            skipped++;
            flips += tok[i] != g->tok[i];
            continue;
        }
        ck_assert_msg(tok[i] == g->tok[i], "%s: window %d token %d = %lld, golden %lld "
                      "(margin %.3g)", what, i / g->n, i % g->n, (long long)tok[i],
                      (long long)g->tok[i], g->margin[i]);
    }
    fprintf(stderr, "%s: acoustic tokens equal (%d near ties skipped, %d of them flipped)\n",
            what, skipped, flips);
}

START_TEST(test_lstm)
{
    const combo *c = &g_lstm[_i];
    char what[96];
    snprintf(what, sizeof what, "tr%d %s", c->rate, c->backend);
    sc_session *s = open_session(c->rate, c->backend);
    sc_err err = {0};
    double t0 = sct_now();
    sc_stage *st = sc_session_stage(s, SC_KIND_ACOUSTIC, &err);
    ck_assert_msg(st, "%s: acoustic stage: %s", what, err.msg);
    ck_assert_str_eq(st->backend->name, c->backend);
    const sc_acoustic_vt *vt = st->vt;
    ck_assert_uint_ge(vt->struct_size, sizeof *vt);
    ck_assert_ptr_nonnull(st->env.sem_codebook);
    double t1 = sct_now();
    gwin g;
    load_windows(&g, c->rate, st->env.sem_codebook);
    size_t per = (size_t)g.n * g.fd;
    int64_t *tok = malloc(sizeof(int64_t) * 3 * g.n);
    float *a = malloc(sizeof(float) * 3 * per);
    ck_assert(tok && a);
    /* all three windows (two clips) in one call */
    ck_assert_msg(vt->quantize(st->self, 3, g.y, g.fd, g.es, g.fd, g.cut, tok, a, &err) == SC_OK,
                  "%s: %s", what, err.msg);
    double t2 = sct_now();
    fprintf(stderr, "%s: stage create %.1f s, 3 windows %.1f s\n", what, t1 - t0, t2 - t1);
    char w2[128];
    snprintf(w2, sizeof w2, "%s lstm_linear", what);
    sct_assert_close(w2, a, g.lin, 3 * per, LSTM_TOL);
    check_acoustic_tokens(what, tok, &g, 3);

    /* one window alone, with the side-by-side [Y | Es] layout the
     * tokenizer uses: the same tokens as inside the batch (on one backend:
     * blas when built, else ref) */
    if (c->rate == 100 && (!strcmp(c->backend, "blas") || g_nlstm == 1 ||
                           strcmp(g_lstm[1].backend, "blas"))) {
        float *u = malloc(sizeof(float) * 2 * per);
        int64_t tok1[512];
        float *a1 = malloc(sizeof(float) * per);
        ck_assert(u && a1);
        for (int i = 0; i < g.n; i++) {
            memcpy(u + (size_t)i * 2 * g.fd, g.y + 2 * per + (size_t)i * g.fd,
                   sizeof(float) * g.fd);
            memcpy(u + (size_t)i * 2 * g.fd + g.fd, g.es + 2 * per + (size_t)i * g.fd,
                   sizeof(float) * g.fd);
        }
        ck_assert_msg(vt->quantize(st->self, 1, u, 2 * g.fd, u + g.fd, 2 * g.fd, &g.cut[2], tok1,
                                   a1, &err) == SC_OK, "%s: %s", what, err.msg);
        snprintf(w2, sizeof w2, "%s batch of 1 vs batch of 3", what);
        sct_assert_close(w2, a1, a + 2 * per, per, 1e-5);
        for (int i = 0; i < g.n; i++)
            if (g.margin[2 * g.n + i] >= AC_MARGIN)
                ck_assert_int_eq(tok1[i], tok[2 * g.n + i]);
        free(u);
        free(a1);
        /* bad arguments are refused with one line */
        int bad = g.n + 1;
        sc_err_clear(&err);
        ck_assert_int_eq(vt->quantize(st->self, 1, g.y, g.fd, g.es, g.fd, &bad, tok, NULL, &err),
                         SC_ERANGE);
        ck_assert_msg(strstr(err.msg, "cut-off"), "%s", err.msg);
        sc_err_clear(&err);
        ck_assert(vt->quantize(st->self, 0, g.y, g.fd, g.es, g.fd, g.cut, tok, NULL, &err) < 0);
    }
    free(tok);
    free(a);
    free_windows(&g);
    sc_session_close(s);
}
END_TEST

/* The stage declares exactly the tensors it reads, with their shapes. */
typedef struct decl {
    int n;
    char keys[64][64];
    int64_t numel;
} decl;

static int record(void *dctx, const char *key, sc_dtype dtype, int ndim, const int64_t *shape)
{
    decl *d = dctx;
    ck_assert_int_eq(dtype, SC_F32);
    ck_assert(d->n < 64);
    snprintf(d->keys[d->n++], 64, "%s", key);
    int64_t k = 1;
    for (int i = 0; i < ndim; i++)
        k *= shape[i];
    d->numel += k;
    return SC_OK;
}

START_TEST(test_declare)
{
    static const int rates[3] = {100, 50, 25}, layers[3] = {4, 3, 2};
    /* LSTM parameters per rate (param-counts.tsv of the kit) */
    static const int64_t lstm[3] = {207716352, 604127232, 1510146048};
    sc_session *s = open_session(100, "ref");
    const sc_plugin_rec *rec = sc_registry_find(sc_session_registry(s), SC_KIND_ACOUSTIC,
                                                "bilstm");
    ck_assert_msg(rec, "plugin bilstm not found");
    const sc_acoustic_vt *vt = rec->info->vtable;
    for (int r = 0; r < 3; r++) {
        int K = 100 / rates[r], fd = 768 * K;
        sc_model_info m = {rates[r], K, fd, 16384, 8192, 1};
        decl d = {0};
        ck_assert_int_eq(vt->declare(&m, &d, record), SC_OK);
        ck_assert_int_eq(d.n, layers[r] * 8 + 2);
        int64_t extra = (int64_t)fd * 4 * fd + (int64_t)8192 * fd;
        ck_assert_int_eq(d.numel - extra, lstm[r]);
        int found = 0;
        for (int i = 0; i < d.n; i++)
            found += !strcmp(d.keys[i], "encoder.weight_hh_l0_reverse") ||
                     !strcmp(d.keys[i], "quantizer._codebook.embed");
        ck_assert_int_eq(found, 2);
    }
    sc_session_close(s);
}
END_TEST

/* ---- end to end: audio samples -> tokens, through the engine ---------- */

typedef struct sink {
    int64_t (*p)[2];
    int64_t n, cap;
    int status;
} sink;

static int sink_emit(void *user, const int64_t *sem, const int64_t *ac, int64_t n, sc_err *err)
{
    sink *k = user;
    (void)err;
    ck_assert(k->n + n <= k->cap);
    for (int64_t i = 0; i < n; i++) {
        k->p[k->n + i][0] = sem[i];
        k->p[k->n + i][1] = ac[i];
    }
    k->n += n;
    return SC_OK;
}

static void sink_finish(void *user, int status, const sc_err *err)
{
    sink *k = user;
    k->status = status ? status : 1;
    if (status)
        fprintf(stderr, "job failed: %s\n", err ? err->msg : "?");
}

START_TEST(test_encode_e2e)
{
    const combo *c = &g_e2e[_i];
    char what[96];
    snprintf(what, sizeof what, "encode tr%d %s", c->rate, c->backend);
    sc_session *s = open_session(c->rate, c->backend);
    sc_err err = {0};
    double t0 = sct_now();
    /* batch 2: the short clip's window and the long clip's first window
     * share the first batch, the long clip's second window is alone */
    sc_tk *tk = sc_tk_new(s, 2, &err);
    ck_assert_msg(tk, "%s: %s", what, err.msg);
    sc_stage *fe = sc_session_stage(s, SC_KIND_FRONTEND, &err);
    ck_assert_msg(fe, "%s: frontend: %s", what, err.msg);
    const sc_frontend_vt *fvt = fe->vt;
    int n = sc_tk_window_tokens(tk);
    const char *clips[2] = {"short", "long"};
    sink sk[2];
    float *win = malloc(sizeof(float) * 1024 * 128);
    ck_assert(win);
    for (int c2 = 0; c2 < 2; c2++) {
        char name[128];
        int64_t len;
        snprintf(name, sizeof name, "%s_wave.npy", clips[c2]);
        float *wave = golden_f32(name, &len);
        int64_t nwin = fvt->begin(fe->self, len, sc_frontend_sum(0.0, wave, len), &err);
        ck_assert_msg(nwin == c2 + 1, "%s: %lld windows: %s", what, (long long)nwin, err.msg);
        int64_t tkeep = sc_frontend_tkeep(len, c->rate);
        sk[c2].cap = tkeep;
        sk[c2].p = malloc(sizeof *sk[c2].p * (size_t)tkeep);
        sk[c2].n = 0;
        sk[c2].status = 0;
        sc_tk_job *job = sc_tk_begin(tk, tkeep, sink_emit, sink_finish, &sk[c2], &err);
        ck_assert(job);
        for (int64_t w = 0; w < nwin; w++) {
            ck_assert_msg(sc_frontend_window_wave(fvt, fe->self, wave, len, w, win, &err) == SC_OK,
                          "%s", err.msg);
            ck_assert_msg(sc_tk_push(tk, job, win, &err) == SC_OK, "%s: %s", what, err.msg);
        }
        ck_assert(sc_tk_end(tk, job, &err) == SC_OK);
        free(wave);
    }
    ck_assert_msg(sc_tk_flush(tk, &err) == SC_OK, "%s: %s", what, err.msg);
    fprintf(stderr, "%s: 3 windows in %.1f s (semantic %.1f s, acoustic %.1f s, %lld batches)\n",
            what, sct_now() - t0, sc_tk_get_stats(tk)->semantic_s, sc_tk_get_stats(tk)->acoustic_s,
            (long long)sc_tk_get_stats(tk)->batches);
    for (int c2 = 0; c2 < 2; c2++) {
        char name[128];
        ck_assert_int_eq(sk[c2].status, 1);
        sc_tensor gt;
        snprintf(name, sizeof name, "%s_tr%d_tokens.npy", clips[c2], c->rate);
        golden(name, &gt);
        ck_assert(gt.dtype == SC_I64 && gt.ndim == 3 && gt.shape[2] == 2);
        ck_assert_int_eq(sk[c2].n, gt.shape[1]);   /* length: T_keep */
        const int64_t (*g)[2] = gt.data;
        int64_t nm;
        snprintf(name, sizeof name, "%s_tr%d_semantic_margin.npy", clips[c2], c->rate);
        float *sm = golden_f32(name, &nm);
        snprintf(name, sizeof name, "%s_tr%d_acoustic_margin.npy", clips[c2], c->rate);
        float *am = golden_f32(name, &nm);
        /* a semantic near-tie flip changes the LSTM input of its window
         * (Es), so that window's acoustic tokens are not comparable */
        int wflip[2] = {0, 0}, skipped = 0, sflips = 0;
        for (int64_t i = 0; i < sk[c2].n; i++)
            if (sk[c2].p[i][0] != g[i][0]) {
                ck_assert_msg(sm[i] < SEM_MARGIN, "%s %s: semantic token %lld = %lld, golden "
                              "%lld (margin %.3g)", what, clips[c2], (long long)i,
                              (long long)sk[c2].p[i][0], (long long)g[i][0], sm[i]);
                wflip[i / n] = 1;
                sflips++;
            }
        for (int64_t i = 0; i < sk[c2].n; i++) {
            if (wflip[i / n] || am[i] < AC_MARGIN) {
                skipped++;
                continue;
            }
            ck_assert_msg(sk[c2].p[i][1] == g[i][1], "%s %s: acoustic token %lld = %lld, golden "
                          "%lld (margin %.3g)", what, clips[c2], (long long)i,
                          (long long)sk[c2].p[i][1], (long long)g[i][1], am[i]);
        }
        fprintf(stderr, "%s %s: %lld pairs equal (%d semantic near-tie flips, %d acoustic "
                "tokens skipped)\n", what, clips[c2], (long long)sk[c2].n, sflips, skipped);
        free(sm);
        free(am);
        free(sk[c2].p);
        sc_tensor_release(&gt);
    }
    free(win);
    sc_tk_free(tk);
    sc_session_close(s);
}
END_TEST

int main(void)
{
    const char *names[8];
    int nb = sct_backends(names, 8);
    int full = getenv("SC_FULL") && *getenv("SC_FULL");
    int have_blas = 0;
    for (int i = 0; i < nb; i++)
        have_blas |= !strcmp(names[i], "blas");
    static const int rates[3] = {100, 50, 25};
    for (int r = 0; r < 3; r++)
        for (int b = 0; b < nb; b++) {
            int is_ref = !strcmp(names[b], "ref");
            if (rates[r] != 100 && is_ref && have_blas && !full)
                continue;   /* slow: ref at rates 50/25 only in check-full */
            if (rates[r] != 100 && is_ref && !have_blas && !full)
                continue;
            g_lstm[g_nlstm].rate = rates[r];
            snprintf(g_lstm[g_nlstm++].backend, SC_NAME_MAX, "%s", names[b]);
        }
    /* end to end: AudioMAE + LSTM; rate 100 on the fastest backend by
     * default, every rate and backend in check-full */
    for (int r = 0; r < 3; r++)
        for (int b = 0; b < nb; b++) {
            int is_ref = !strcmp(names[b], "ref");
            if (!full && (rates[r] != 100 || (is_ref && have_blas)))
                continue;
            g_e2e[g_ne2e].rate = rates[r];
            snprintf(g_e2e[g_ne2e++].backend, SC_NAME_MAX, "%s", names[b]);
        }
    Suite *s = suite_create("acoustic");
    TCase *tc = tcase_create("acoustic");
    tcase_set_timeout(tc, full ? 7200 : 1200);
    tcase_add_test(tc, test_declare);
    tcase_add_loop_test(tc, test_lstm, 0, g_nlstm);
    tcase_add_loop_test(tc, test_encode_e2e, 0, g_ne2e);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
