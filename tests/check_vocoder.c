/* tests/check_vocoder.c - the vocoder stage (VAE decoder + HiFi-GAN) and
 * the overlap-add/trim of libsc (sc/ola.h) against the parity kit.
 *
 *  - ola_windows / ola_trim: the §6.1 window split (also against the
 *    decoder header's sc_decoder_windows) and the §10 trim rule;
 *  - ola_golden: long_window_waves -> long_tr100_decode_wave bit for bit,
 *    in one go and streamed (emission order, settled counts, bounds);
 *  - declare: exactly the VAE-decoder/post_quant_conv/vocoder keys plus
 *    scale_factor of the tr100 decoder manifest, with their shapes;
 *  - vae: golden final short latent -> short_vae_mel, abs 3e-5;
 *  - hifigan: short_vae_mel -> short_vocoder_wave, abs 1e-5 (the ref
 *    backend runs a 128-frame crop and compares the samples the crop
 *    cannot influence, unless SC_FULL is set);
 *  - long: long_ddim_final_latent -> latent_to_wave per window -> OLA ->
 *    long_tr100_decode_wave, abs 1e-5 (SC_FULL only: tests/sc-detok.sh
 *    runs the same path through the tool).
 * Every numeric test runs on ref and on every other CPU backend built.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/npy.h"
#include "sc/ola.h"
#include "sc/session.h"
#include "sc/stage_decoder.h"
#include "sc/stage_vocoder.h"
#include "sctest.h"

static const char *BE[8];
static int NBE;

static int full_mode(void)
{
    const char *f = getenv("SC_FULL");
    return f && *f && strcmp(f, "0") != 0;
}

/* ------------------------------------------------------------------ */
/* Overlap-add                                                         */

START_TEST(test_ola_windows)
{
    static const struct {
        int64_t T;
        int K;
        int n;
        int64_t s[3], l[3];
    } cases[] = {
        {1000, 1, 3, {0, 480, 960}, {512, 512, 40}},
        {500, 2, 3, {0, 240, 480}, {256, 256, 20}},
        {250, 4, 3, {0, 120, 240}, {128, 128, 10}},
        {704, 1, 2, {0, 480, 0}, {512, 224, 0}},
        {512, 1, 1, {0, 0, 0}, {512, 0, 0}},
        {513, 1, 2, {0, 480, 0}, {512, 33, 0}},
        {992, 1, 2, {0, 480, 0}, {512, 512, 0}},
        {1, 4, 1, {0, 0, 0}, {1, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ck_assert_int_eq(sc_ola_window_count(cases[c].T, cases[c].K), cases[c].n);
        for (int w = 0; w < cases[c].n; w++) {
            int64_t s, l;
            sc_ola_window(cases[c].T, cases[c].K, w, &s, &l);
            ck_assert_int_eq(s, cases[c].s[w]);
            ck_assert_int_eq(l, cases[c].l[w]);
        }
    }
    ck_assert_int_eq(sc_ola_window_tokens(1), 512);
    ck_assert_int_eq(sc_ola_window_overlap(1), 32);
    ck_assert_int_eq(sc_ola_window_overlap(2), 16);
    ck_assert_int_eq(sc_ola_window_overlap(4), 8);
    ck_assert_int_eq(sc_ola_window_count(0, 1), 0);
    /* Same split as the decoder stage's reference loop, for every T. */
    static int64_t st[64], ln[64];
    for (int K = 1; K <= 4; K *= 2)
        for (int64_t T = 1; T <= 6000; T++) {
            int64_t n = sc_decoder_windows(T, 512 / K, st, ln);
            ck_assert_int_eq(sc_ola_window_count(T, K), n);
            for (int64_t w = 0; w < n; w++) {
                int64_t s, l;
                sc_ola_window(T, K, w, &s, &l);
                ck_assert(s == st[w] && l == ln[w]);
            }
        }
}
END_TEST

START_TEST(test_ola_trim)
{
    ck_assert_int_eq(sc_ola_trim(704, 1), 225280);
    ck_assert_int_eq(sc_ola_trim(1000, 1), 320000);
    ck_assert_int_eq(sc_ola_trim(168, 1), 53760);
    ck_assert_int_eq(sc_ola_trim(803, 1), 256959);   /* one short of 320 T */
    ck_assert_int_eq(sc_ola_trim(500, 2), 320000);
    ck_assert_int_eq(sc_ola_trim(250, 4), 320000);
    ck_assert_int_eq(sc_ola_untrimmed(3), 471136);
    ck_assert_int_eq(sc_ola_untrimmed(2), 317504);
    /* The double expression is never above 320 K T and at most one below. */
    int shorter = 0;
    for (int K = 1; K <= 4; K *= 2)
        for (int64_t T = 1; T <= 20000; T++) {
            int64_t t = sc_ola_trim(T, K), e = 320 * K * T;
            ck_assert(t == e || t == e - 1);
            shorter += t != e;
        }
    ck_assert_int_gt(shorter, 0);
}
END_TEST

typedef struct collect {
    float *buf;
    size_t n, cap;
    size_t chunks[16];
    int nchunks;
} collect;

static int collect_emit(void *user, const float *p, size_t n, sc_err *err)
{
    collect *c = user;
    (void)err;
    ck_assert(c->n + n <= c->cap);
    memcpy(c->buf + c->n, p, n * sizeof(float));
    c->n += n;
    if (c->nchunks < 16)
        c->chunks[c->nchunks++] = c->n;
    return SC_OK;
}

static void load_f32(const char *rel, sc_tensor *t, int64_t numel)
{
    sct_load_npy(rel, t);
    ck_assert_msg(t->dtype == SC_F32, "%s is not float32", rel);
    ck_assert_msg(sc_tensor_numel(t) == numel, "%s has %lld values, expected %lld", rel,
                  (long long)sc_tensor_numel(t), (long long)numel);
}

START_TEST(test_ola_golden)
{
    sc_tensor ww, want;
    sc_err err = {0};
    load_f32("golden/long_window_waves.npy", &ww, 2 * (int64_t)SC_OLA_WIN);
    load_f32("golden/long_tr100_decode_wave.npy", &want, 225280);
    const float *W = ww.data;
    float *w = malloc(SC_OLA_WIN * sizeof(float));
    collect c = {.cap = 400000};
    c.buf = malloc(c.cap * sizeof(float));

    /* 1. Length known up front. */
    sc_ola o;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    ck_assert_int_eq(sc_ola_set_length(&o, sc_ola_trim(704, 1), &err), SC_OK);
    for (int k = 0; k < 2; k++) {
        memcpy(w, W + (size_t)k * SC_OLA_WIN, SC_OLA_WIN * sizeof(float));
        ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
        /* Window 0 settles all but its tail at once. */
        if (k == 0)
            ck_assert_uint_eq(c.n, SC_OLA_STEP);
    }
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_OK);
    sc_ola_free(&o);
    ck_assert_uint_eq(c.n, 225280);
    ck_assert_msg(memcmp(c.buf, want.data, 225280 * sizeof(float)) == 0,
                  "overlap-add is not bit-exact");
    sct_assert_close("ola", c.buf, want.data, 225280, 0.0);

    /* 2. Length unknown while streaming: only up to the lower bound, then
     * the rest at finish; untrimmed when no length is ever given. */
    c.n = 0;
    c.nchunks = 0;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    ck_assert_int_eq(sc_ola_set_min_length(&o, 100000, &err), SC_OK);
    memcpy(w, W, SC_OLA_WIN * sizeof(float));
    ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    ck_assert_uint_eq(c.n, 100000);
    ck_assert_int_eq(sc_ola_set_min_length(&o, 150000, &err), SC_OK);
    ck_assert_uint_eq(c.n, 150000);
    memcpy(w, W + SC_OLA_WIN, SC_OLA_WIN * sizeof(float));
    ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    ck_assert_uint_eq(c.n, 150000);
    ck_assert_int_eq(sc_ola_set_min_length(&o, 200000, &err), SC_OK);
    ck_assert_uint_eq(c.n, 200000);
    /* below what was emitted: refused */
    ck_assert_int_eq(sc_ola_set_length(&o, 1000, &err), SC_ERANGE);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_ola_set_length(&o, 225280, &err), SC_OK);
    ck_assert_uint_eq(c.n, 225280);
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_OK);
    sc_ola_free(&o);
    ck_assert_uint_eq(c.n, 225280);
    ck_assert(memcmp(c.buf, want.data, 225280 * sizeof(float)) == 0);

    /* 3. No length: everything, untrimmed; the first 225280 agree. */
    c.n = 0;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    for (int k = 0; k < 2; k++) {
        memcpy(w, W + (size_t)k * SC_OLA_WIN, SC_OLA_WIN * sizeof(float));
        ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    }
    ck_assert_uint_eq(c.n, 0);
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_OK);
    sc_ola_free(&o);
    ck_assert_uint_eq(c.n, (size_t)sc_ola_untrimmed(2));
    ck_assert(memcmp(c.buf, want.data, 225280 * sizeof(float)) == 0);

    /* 4. A length beyond the decoded audio is an error at finish. */
    c.n = 0;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    ck_assert_int_eq(sc_ola_set_length(&o, SC_OLA_WIN + 1, &err), SC_OK);
    memcpy(w, W, SC_OLA_WIN * sizeof(float));
    ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "163873"), "%s", err.msg);
    sc_ola_free(&o);

    free(w);
    free(c.buf);
    sc_tensor_release(&ww);
    sc_tensor_release(&want);
}
END_TEST

/* A single window is returned unfaded: the short decode is the vocoder
 * wave cut to the trim length (checks the two goldens agree with §10). */
START_TEST(test_ola_single)
{
    sc_tensor voc, want;
    sc_err err = {0};
    load_f32("golden/short_vocoder_wave.npy", &voc, SC_OLA_WIN);
    load_f32("golden/short_tr100_decode_wave.npy", &want, 53760);
    collect c = {.cap = SC_OLA_WIN};
    c.buf = malloc(c.cap * sizeof(float));
    float *w = malloc(SC_OLA_WIN * sizeof(float));
    memcpy(w, voc.data, SC_OLA_WIN * sizeof(float));
    sc_ola o;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    ck_assert_int_eq(sc_ola_set_length(&o, sc_ola_trim(168, 1), &err), SC_OK);
    ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    ck_assert_uint_eq(c.n, 53760);   /* all of it settled already */
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_OK);
    sc_ola_free(&o);
    ck_assert(memcmp(c.buf, want.data, 53760 * sizeof(float)) == 0);
    free(w);
    free(c.buf);
    sc_tensor_release(&voc);
    sc_tensor_release(&want);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Declared keys                                                       */

typedef struct mkey {
    char key[200];
    char shape[64];
    int seen;
} mkey;

typedef struct decl {
    mkey *m;
    int nm;
    int ndeclared, bad;
} decl;

static int allowed(const char *k)
{
    return strncmp(k, "first_stage_model.decoder.", 26) == 0 ||
           strncmp(k, "first_stage_model.post_quant_conv.", 34) == 0 ||
           strncmp(k, "first_stage_model.vocoder.", 26) == 0 || strcmp(k, "scale_factor") == 0;
}

static int need_cb(void *dctx, const char *key, sc_dtype dtype, int ndim, const int64_t *shape)
{
    decl *d = dctx;
    char s[64];
    if (ndim == 0)
        snprintf(s, sizeof s, "scalar");
    else
        sc_shape_str(shape, ndim, s, sizeof s);
    d->ndeclared++;
    for (int i = 0; i < d->nm; i++)
        if (strcmp(d->m[i].key, key) == 0) {
            if (strcmp(d->m[i].shape, s) != 0 || dtype != SC_F32) {
                fprintf(stderr, "declare: %s: %s, manifest %s\n", key, s, d->m[i].shape);
                d->bad++;
            }
            if (d->m[i].seen++)
                d->bad++;
            return 0;
        }
    fprintf(stderr, "declare: %s is not an allowed key of the manifest\n", key);
    d->bad++;
    return 0;
}

START_TEST(test_declare)
{
    FILE *f = fopen(sct_ref_path("manifest-tr100-decoder.tsv"), "r");
    ck_assert(f);
    decl d = {0};
    d.m = calloc(4000, sizeof(mkey));
    char line[1024];
    int header = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (!header++)
            continue;
        char key[200], dt[32], shape[64];
        if (sscanf(line, "%199s %31s %63s", key, dt, shape) != 3 || !allowed(key))
            continue;
        ck_assert(d.nm < 4000);
        snprintf(d.m[d.nm].key, sizeof d.m[d.nm].key, "%s", key);
        snprintf(d.m[d.nm].shape, sizeof d.m[d.nm].shape, "%s", shape);
        d.nm++;
    }
    fclose(f);
    ck_assert_int_gt(d.nm, 100);

    sc_session *s = sct_session(100, 16384, "ref");
    const sc_plugin_rec *rec =
        sc_registry_find(sc_session_registry(s), SC_KIND_VOCODER, "hifigan");
    ck_assert_msg(rec, "vocoder plugin 'hifigan' not found on SC_PLUGIN_PATH");
    const sc_vocoder_vt *vt = rec->info->vtable;
    ck_assert_uint_ge(vt->struct_size, sizeof(sc_vocoder_vt));
    ck_assert_int_eq(vt->declare(sc_session_model(s), &d, need_cb), 0);
    for (int i = 0; i < d.nm; i++)
        if (!d.m[i].seen)
            fprintf(stderr, "declare: %s not declared\n", d.m[i].key);
    ck_assert_int_eq(d.bad, 0);
    ck_assert_int_eq(d.ndeclared, d.nm);
    sc_session_close(s);
    free(d.m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Numeric parity per backend                                          */

static sc_session *SES;
static const sc_vocoder_vt *VT;
static void *SELF;

static void open_voc(const char *backend)
{
    sc_err err = {0};
    SES = sct_session(100, 16384, backend);
    sc_stage *st = sc_session_stage(SES, SC_KIND_VOCODER, &err);
    ck_assert_msg(st, "vocoder stage on %s: %s", backend, err.msg);
    ck_assert_msg(strcmp(st->backend->name, backend) == 0, "stage runs on %s, not %s",
                  st->backend->name, backend);
    VT = st->vt;
    SELF = st->self;
    ck_assert(VT->scale_factor(SELF) == 0.75f);
}

static void close_voc(void)
{
    sc_session_close(SES);
    SES = NULL;
}

START_TEST(test_vae)
{
    const char *be = BE[_i];
    sc_tensor lat;
    sc_err err = {0};
    open_voc(be);
    load_f32("golden/short_ddim_latents.npy", &lat, 5 * (int64_t)SC_VOC_LATENT_COUNT);
    const float *z = (const float *)lat.data + 4 * (size_t)SC_VOC_LATENT_COUNT;
    size_t nm = (size_t)SC_VOC_MEL_FRAMES * SC_VOC_MEL_BINS;
    float *mel = malloc(nm * sizeof(float));
    ck_assert_msg(VT->vae(SELF, z, SC_VOC_ZH, mel, &err) == SC_OK, "%s", err.msg);
    char what[64];
    snprintf(what, sizeof what, "vae mel (%s)", be);
    sct_assert_close_npy(what, mel, nm, "golden/short_vae_mel.npy", 3e-5);
    free(mel);
    sc_tensor_release(&lat);
    close_voc();
}
END_TEST

START_TEST(test_hifigan)
{
    const char *be = BE[_i];
    sc_tensor mel, want;
    sc_err err = {0};
    open_voc(be);
    load_f32("golden/short_vae_mel.npy", &mel, (int64_t)SC_VOC_MEL_FRAMES * SC_VOC_MEL_BINS);
    load_f32("golden/short_vocoder_wave.npy", &want, SC_VOC_WAVE_LEN);
    /* HiFi-GAN is convolutional: on the slow reference backend a crop of
     * 128 frames determines its first 80 frames' samples exactly (the
     * receptive field is ~27 frames); SC_FULL runs the whole window. */
    int frames = SC_VOC_MEL_FRAMES;
    size_t ncmp = SC_VOC_WAVE_LEN;
    if (strcmp(be, "ref") == 0 && !full_mode()) {
        frames = 128;
        ncmp = (size_t)(frames - 48) * SC_VOC_HOP;
    }
    float *wave = malloc((size_t)sc_voc_wave_len(frames) * sizeof(float));
    ck_assert_msg(VT->hifigan(SELF, mel.data, frames, wave, &err) == SC_OK, "%s", err.msg);
    char what[64];
    snprintf(what, sizeof what, "hifigan wave (%s, %d frames)", be, frames);
    sct_assert_close(what, wave, want.data, ncmp, 1e-5);
    free(wave);
    sc_tensor_release(&mel);
    sc_tensor_release(&want);
    close_voc();
}
END_TEST

START_TEST(test_long)
{
    const char *be = BE[_i];
    /* Two full windows: tests/sc-detok.sh covers the same path through the
     * tool on the fast backend in every `make check`. */
    if (!full_mode()) {
        fprintf(stderr, "long decode (%s): only with SC_FULL=1 (make check-full)\n", be);
        return;
    }
    sc_tensor lat, want;
    sc_err err = {0};
    open_voc(be);
    load_f32("golden/long_ddim_final_latent.npy", &lat, 2 * (int64_t)SC_VOC_LATENT_COUNT);
    load_f32("golden/long_tr100_decode_wave.npy", &want, 225280);
    collect c = {.cap = 400000};
    c.buf = malloc(c.cap * sizeof(float));
    float *w = malloc(SC_OLA_WIN * sizeof(float));
    sc_ola o;
    ck_assert_int_eq(sc_ola_init(&o, collect_emit, &c, &err), SC_OK);
    ck_assert_int_eq(sc_ola_set_length(&o, sc_ola_trim(704, 1), &err), SC_OK);
    for (int k = 0; k < 2; k++) {
        const float *z = (const float *)lat.data + (size_t)k * SC_VOC_LATENT_COUNT;
        ck_assert_msg(VT->latent_to_wave(SELF, z, w, &err) == SC_OK, "%s", err.msg);
        ck_assert_int_eq(sc_ola_push(&o, w, &err), SC_OK);
    }
    ck_assert_int_eq(sc_ola_finish(&o, &err), SC_OK);
    sc_ola_free(&o);
    char what[64];
    snprintf(what, sizeof what, "long decode wave (%s)", be);
    ck_assert_uint_eq(c.n, 225280);
    sct_assert_close(what, c.buf, want.data, 225280, 1e-5);
    free(w);
    free(c.buf);
    sc_tensor_release(&lat);
    sc_tensor_release(&want);
    close_voc();
}
END_TEST

/* The same bits with 1 and 2 threads (the decode must not depend on the
 * thread count): a small latent (32 rows) and 64 mel frames. */
static sc_session *session_threads(const char *backend, int threads)
{
    sc_config cfg;
    sc_err err = {0};
    sc_config_defaults(&cfg);
    ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
    cfg.synthetic = 1;
    cfg.token_rate = 100;
    cfg.sem_vocab = 16384;
    cfg.threads = threads;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    static sc_log log = {SC_LOG_ERROR, sc_log_stderr, "test"};
    sc_session *s = sc_session_open(&cfg, &log, &err);
    ck_assert_msg(s, "session: %s", err.msg);
    return s;
}

START_TEST(test_threads)
{
    const char *be = BE[_i];
    enum { ZH = 32, FR = 64 };
    sc_tensor lat, melg;
    sc_err err = {0};
    load_f32("golden/short_ddim_latents.npy", &lat, 5 * (int64_t)SC_VOC_LATENT_COUNT);
    load_f32("golden/short_vae_mel.npy", &melg, (int64_t)SC_VOC_MEL_FRAMES * SC_VOC_MEL_BINS);
    /* rows 0..31 of each latent channel */
    float *z = malloc(SC_VOC_ZC * ZH * SC_VOC_ZW * sizeof(float));
    for (int c = 0; c < SC_VOC_ZC; c++)
        memcpy(z + (size_t)c * ZH * SC_VOC_ZW,
               (const float *)lat.data + 4 * (size_t)SC_VOC_LATENT_COUNT +
                   (size_t)c * SC_VOC_ZH * SC_VOC_ZW,
               ZH * SC_VOC_ZW * sizeof(float));
    size_t nm = (size_t)4 * ZH * SC_VOC_MEL_BINS, nw = (size_t)sc_voc_wave_len(FR);
    float *mel[2], *wave[2];
    for (int k = 0; k < 2; k++) {
        sc_session *s = session_threads(be, k + 1);
        sc_stage *st = sc_session_stage(s, SC_KIND_VOCODER, &err);
        ck_assert_msg(st, "%s", err.msg);
        const sc_vocoder_vt *vt = st->vt;
        mel[k] = malloc(nm * sizeof(float));
        wave[k] = malloc(nw * sizeof(float));
        ck_assert_msg(vt->vae(st->self, z, ZH, mel[k], &err) == SC_OK, "%s", err.msg);
        ck_assert_msg(vt->hifigan(st->self, melg.data, FR, wave[k], &err) == SC_OK, "%s",
                      err.msg);
        sc_session_close(s);
    }
    sct_diff dm = sct_compare(mel[1], mel[0], nm), dw = sct_compare(wave[1], wave[0], nw);
    fprintf(stderr, "threads 1 vs 2 (%s): vae max abs %.3g, hifigan max abs %.3g\n", be,
            dm.max_abs, dw.max_abs);
    ck_assert_msg(memcmp(mel[0], mel[1], nm * sizeof(float)) == 0,
                  "%s: VAE output depends on the thread count (max abs %.3g)", be, dm.max_abs);
    ck_assert_msg(memcmp(wave[0], wave[1], nw * sizeof(float)) == 0,
                  "%s: HiFi-GAN output depends on the thread count (max abs %.3g)", be,
                  dw.max_abs);
    for (int k = 0; k < 2; k++) {
        free(mel[k]);
        free(wave[k]);
    }
    free(z);
    sc_tensor_release(&lat);
    sc_tensor_release(&melg);
}
END_TEST

/* Wrong sizes are refused, not crashed on. */
START_TEST(test_bad_args)
{
    sc_err err = {0};
    open_voc("ref");
    float x[64];
    ck_assert_int_eq(VT->vae(SELF, x, 0, x, &err), SC_EARG);
    sc_err_clear(&err);
    ck_assert_int_eq(VT->hifigan(SELF, x, 0, x, &err), SC_EARG);
    ck_assert(err.msg[0]);
    close_voc();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vocoder");
    TCase *tc = tcase_create("ola");
    tcase_add_test(tc, test_ola_windows);
    tcase_add_test(tc, test_ola_trim);
    tcase_add_test(tc, test_ola_golden);
    tcase_add_test(tc, test_ola_single);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("stage");
    tcase_add_test(tc, test_declare);
    tcase_add_test(tc, test_bad_args);
    tcase_add_loop_test(tc, test_vae, 0, NBE);
    tcase_add_loop_test(tc, test_hifigan, 0, NBE);
    tcase_add_loop_test(tc, test_long, 0, NBE);
    tcase_add_loop_test(tc, test_threads, 0, NBE);
    tcase_set_timeout(tc, 3600);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    NBE = sct_backends(BE, 8);
    for (int i = 0; i < NBE; i++)
        fprintf(stderr, "check_vocoder: backend %s\n", BE[i]);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
