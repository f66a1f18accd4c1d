/* The codec API (sc/codec.h) against the parity kit: sc_codec_encode of
 * the golden 16 kHz clip gives the official tokens (also with a second,
 * ignored channel), a 44.1 kHz array gives the tokens of its file, the
 * streaming decoder with the golden injected noise gives the official
 * decode, one-call decode equals the streaming decoder fed one pair at a
 * time (same seed), and bad input is an error naming the problem.
 * Bit-identity with the tools (sc-mel | sc-tokenize, sc-detok) is
 * checked by tests/examples.sh on the real programs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/audio.h"
#include "sc/codec.h"
#include "sc/npy.h"
#include "sctest.h"

static sc_codec *g_codec;

static sc_codec *codec(void)
{
    if (g_codec)
        return g_codec;
    const char *names[8];
    int nb = sct_backends(names, 8), blas = 0;
    for (int i = 0; i < nb; i++)
        blas |= !strcmp(names[i], "blas");
    const char *set[] = {"model.synthetic=yes", "model.rate=100", "model.vocab=16384",
                         blas ? "backend.default=blas" : "backend.default=ref",
                         "backend.threads=2", "decoder.steps=5", "decoder.seed=7", NULL};
    sc_err err = {0};
    g_codec = sc_codec_open(NULL, set, &err);
    ck_assert_msg(g_codec, "open: %s", err.msg);
    return g_codec;
}

static void assert_tokens(const char *what, const int64_t *tok, int64_t n, const char *golden)
{
    sc_tensor g;
    sct_load_npy(golden, &g);
    ck_assert_int_eq(g.dtype, SC_I64);
    int64_t gn = g.shape[g.ndim - 2];
    ck_assert_msg(n == gn, "%s: %lld pairs, golden %lld", what, (long long)n, (long long)gn);
    const int64_t *gp = g.data;
    for (int64_t i = 0; i < 2 * n; i++)
        ck_assert_msg(tok[i] == gp[i], "%s: pair %lld: %lld, golden %lld", what,
                      (long long)i / 2, (long long)tok[i], (long long)gp[i]);
    sc_tensor_release(&g);
}

START_TEST(test_open_errors)
{
    sc_err err = {0};
    const char *bad_key[] = {"model.colour=red", NULL};
    ck_assert_ptr_null(sc_codec_open(NULL, bad_key, &err));
    ck_assert_msg(err.code < 0 && strstr(err.msg, "colour"), "%s", err.msg);
    const char *bad_form[] = {"rate=50", NULL};
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_codec_open(NULL, bad_form, &err));
    ck_assert_msg(err.code == SC_EARG && strstr(err.msg, "section.key=value"), "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_codec_open("/nonexistent/sc.ini", NULL, &err));
    ck_assert_msg(err.code < 0 && strstr(err.msg, "/nonexistent/sc.ini"), "%s", err.msg);
    sc_codec_close(NULL);
    sc_codec_free(NULL);
}
END_TEST

START_TEST(test_info)
{
    sc_codec_info in;
    ck_assert_int_eq(sc_codec_get_info(codec(), &in), SC_OK);
    ck_assert_int_eq(in.token_rate, 100);
    ck_assert_int_eq(in.semantic_vocab, 16384);
    ck_assert_int_eq(in.acoustic_vocab, 8192);
    ck_assert_int_eq(in.sample_rate, 16000);
    ck_assert_int_eq(in.steps, 5);
    ck_assert_uint_eq(in.seed, 7);
    /* the official count: 3.3 s -> 168 pairs, 14 s -> 704 (meta.json) */
    ck_assert_int_eq(sc_codec_pairs_for(codec(), 52800), 168);
    ck_assert_int_eq(sc_codec_pairs_for(codec(), 224000), 704);
}
END_TEST

START_TEST(test_encode_golden)
{
    sc_tensor w;
    sct_load_npy("golden/short_wave.npy", &w);
    int64_t n = w.shape[w.ndim - 1];
    ck_assert_int_eq(n, 52800);
    int64_t *tok = NULL, np = 0;
    sc_err err = {0};
    ck_assert_msg(sc_codec_encode(codec(), w.data, n, 1, 16000, &tok, &np, &err) == SC_OK, "%s",
                  err.msg);
    assert_tokens("mono", tok, np, "golden/short_tr100_tokens.npy");
    sc_codec_free(tok);
    /* channel 0 is what counts: a loud second channel changes nothing */
    float *st = malloc(sizeof(float) * 2 * (size_t)n);
    ck_assert(st);
    for (int64_t i = 0; i < n; i++) {
        st[2 * i] = ((const float *)w.data)[i];
        st[2 * i + 1] = (i % 7) ? 0.9f : -0.9f;
    }
    ck_assert_msg(sc_codec_encode(codec(), st, n, 2, 16000, &tok, &np, &err) == SC_OK, "%s",
                  err.msg);
    assert_tokens("stereo", tok, np, "golden/short_tr100_tokens.npy");
    sc_codec_free(tok);
    free(st);
    sc_tensor_release(&w);
}
END_TEST

/* A 44.1 kHz array is resampled exactly as its file is (sc_codec_encode_file
 * is the path of sc-encode). */
START_TEST(test_encode_resampled)
{
    const char *path = sct_ref_path("golden/resample_input_44k1_stereo.wav");
    sc_err err = {0};
    float *x = NULL;
    int64_t n = 0;
    sc_audio_info ai;
    ck_assert_msg(sc_audio_load(path, 44100, NULL, &x, &n, &ai, &err) == SC_OK, "%s", err.msg);
    ck_assert_int_eq(ai.sample_rate, 44100);
    int64_t *a = NULL, na = 0, *b = NULL, nb = 0, s16 = 0;
    ck_assert_msg(sc_codec_encode(codec(), x, n, 1, 44100, &a, &na, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(sc_codec_encode_file(codec(), path, &b, &nb, &s16, &err) == SC_OK, "%s",
                  err.msg);
    ck_assert_int_eq(s16, 48000);
    ck_assert_int_eq(na, 152);   /* meta.json resample.encode_tokens["100"] */
    ck_assert_int_eq(nb, na);
    ck_assert(memcmp(a, b, sizeof(int64_t) * 2 * (size_t)na) == 0);
    sc_codec_free(a);
    sc_codec_free(b);
    free(x);
}
END_TEST

START_TEST(test_encode_bad_input)
{
    float x[4000];
    for (int i = 0; i < 4000; i++)
        x[i] = 0.01f * (float)(i % 13);
    int64_t *tok = (int64_t *)1, np = 5;
    sc_err err = {0};
    x[1234] = NAN;
    ck_assert_int_eq(sc_codec_encode(codec(), x, 4000, 1, 16000, &tok, &np, &err), SC_EFORMAT);
    ck_assert_msg(strstr(err.msg, "frame 1234 is NaN"), "%s", err.msg);
    ck_assert_ptr_null(tok);
    ck_assert_int_eq(np, 0);
    /* at another rate the frame counts input frames, not resampled ones */
    x[1234] = 0;
    x[2001] = -INFINITY;
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_encode(codec(), x, 4000, 1, 48000, &tok, &np, &err), SC_EFORMAT);
    ck_assert_msg(strstr(err.msg, "frame 2001 is infinite"), "%s", err.msg);
    x[2001] = 0;
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_encode(codec(), x, 0, 1, 16000, &tok, &np, &err), SC_EARG);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_encode(codec(), x, 100, 0, 16000, &tok, &np, &err), SC_EARG);
    ck_assert_msg(strstr(err.msg, "channels"), "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_encode(codec(), x, 100, 1, 0, &tok, &np, &err), SC_EARG);
    sc_err_clear(&err);
    /* 44101 Hz shares no factor with 16 kHz: the resampler refuses it */
    ck_assert_int_lt(sc_codec_encode(codec(), x, 4000, 1, 44101, &tok, &np, &err), 0);
    ck_assert_msg(err.msg[0], "no message");
    ck_assert_ptr_null(tok);
}
END_TEST

/* The golden injected noise: x_T and the 5 step noises of the short clip. */
static float *short_noise(void)
{
    sc_tensor xt, nz;
    sct_load_npy("golden/short_ddim_xT.npy", &xt);
    sct_load_npy("golden/short_ddim_noise.npy", &nz);
    ck_assert_int_eq(sc_tensor_numel(&xt), 32768);
    ck_assert_int_eq(sc_tensor_numel(&nz), 5 * 32768);
    float *b = malloc(sizeof(float) * 6 * 32768);
    ck_assert(b);
    memcpy(b, xt.data, sizeof(float) * 32768);
    memcpy(b + 32768, nz.data, sizeof(float) * 5 * 32768);
    sc_tensor_release(&xt);
    sc_tensor_release(&nz);
    return b;
}

typedef struct prog {
    int calls, vocoder;
    double last;
    int monotone;
} prog;

static void on_progress(void *user, const sc_progress *p)
{
    prog *g = user;
    g->calls++;
    g->vocoder += !strcmp(p->phase, "vocoder");
    if (p->fraction < g->last || p->fraction > 1)
        g->monotone = 0;
    g->last = p->fraction;
}

/* The latent callback's copy of each window (sc-detok --latents). */
typedef struct lats {
    int calls;
    int64_t window;
    float *latent;
} lats;

static int on_latent(void *user, int64_t w, const float *latent, sc_err *err)
{
    lats *l = user;
    (void)err;
    l->calls++;
    l->window = w;
    memcpy(l->latent, latent, sizeof(float) * 32768);
    return SC_OK;
}

START_TEST(test_decode_golden_noise)
{
    sc_tensor t;
    sct_load_npy("golden/short_tr100_tokens.npy", &t);
    int64_t n = t.shape[t.ndim - 2];
    float *noise = short_noise();
    sc_err err = {0};
    sc_decoder *d = sc_decoder_create(codec(), 0, &err);
    ck_assert_msg(d, "%s", err.msg);
    prog g = {0, 0, 0, 1};
    sc_decoder_set_progress(d, on_progress, &g);
    lats l = {0, -1, malloc(sizeof(float) * 32768)};
    ck_assert(l.latent);
    ck_assert_int_eq(sc_decoder_set_latent_fn(d, on_latent, &l, &err), SC_OK);
    ck_assert_int_eq(sc_decoder_set_total(d, n, &err), SC_OK);
    ck_assert_msg(sc_decoder_set_noise(d, noise, 1, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(sc_decoder_push(d, t.data, n, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(sc_decoder_finish(d, &err) == SC_OK, "%s", err.msg);
    float *out = malloc(sizeof(float) * 60000);
    int64_t got = sc_decoder_read(d, out, 60000);
    ck_assert_int_eq(got, 53760);   /* the official trim of 168 pairs */
    sct_assert_close_npy("decode", out, (size_t)got, "golden/short_tr100_decode_wave.npy", 1e-5);
    /* the latent handed out is the sampler's last one (the VAE input
     * before 1/scale_factor), once for the one window */
    ck_assert_int_eq(l.calls, 1);
    ck_assert_int_eq(l.window, 0);
    sc_tensor z;
    sct_load_npy("golden/short_ddim_latents.npy", &z);   /* [5][1][8][256][16] */
    ck_assert_int_eq(sc_tensor_numel(&z), 5 * 32768);
    const float *zl = (const float *)z.data + 4 * 32768;
    double md = 0;
    for (int i = 0; i < 32768; i++)
        md = fmax(md, fabs((double)l.latent[i] - zl[i]));
    ck_assert_msg(md < 1e-4, "latent max abs diff %g", md);
    sc_tensor_release(&z);
    free(l.latent);
    ck_assert_int_eq(g.calls, 6);   /* 5 steps, then the vocoder */
    ck_assert_int_eq(g.vocoder, 1);
    ck_assert(g.monotone);
    ck_assert(g.last > 0.5 && g.last < 1);   /* the vocoder's share is still ahead */
    sc_decoder_destroy(d);
    free(out);
    free(noise);
    sc_tensor_release(&t);
}
END_TEST

/* One call equals the streaming decoder fed one pair at a time, and a
 * given length (the clip's 52800 samples) only trims the same samples. */
START_TEST(test_decode_oneshot_vs_stream)
{
    sc_tensor t;
    sct_load_npy("golden/short_tr100_tokens.npy", &t);
    int64_t n = t.shape[t.ndim - 2];
    const int64_t *p = t.data;
    sc_err err = {0};
    float *a = NULL;
    int64_t na = 0;
    ck_assert_msg(sc_codec_decode(codec(), p, n, 0, &a, &na, &err) == SC_OK, "%s", err.msg);
    ck_assert_int_eq(na, 53760);
    sc_decoder *d = sc_decoder_create(codec(), 52800, &err);
    ck_assert_msg(d, "%s", err.msg);
    float *b = malloc(sizeof(float) * 53760);
    int64_t nb = 0;
    for (int64_t i = 0; i < n; i++) {
        ck_assert_msg(sc_decoder_push(d, p + 2 * i, 1, &err) == SC_OK, "%s", err.msg);
        nb += sc_decoder_read(d, b + nb, 53760 - nb);
    }
    ck_assert_msg(sc_decoder_finish(d, &err) == SC_OK, "%s", err.msg);
    nb += sc_decoder_read(d, b + nb, 53760 - nb);
    ck_assert_int_eq(nb, 52800);
    ck_assert_msg(memcmp(a, b, sizeof(float) * 52800) == 0, "one call and streaming differ");
    float e = 0;
    for (int64_t i = 0; i < na; i++)
        e += a[i] * a[i];
    ck_assert_msg(e > 0 && isfinite(e), "silent or non-finite decode");
    sc_decoder_destroy(d);
    sc_codec_free(a);
    free(b);
    sc_tensor_release(&t);
}
END_TEST

START_TEST(test_decode_bad_input)
{
    int64_t p[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float *a = (float *)1;
    int64_t na = 9;
    sc_err err = {0};
    p[5] = 8192;   /* row 2's acoustic index */
    ck_assert_int_eq(sc_codec_decode(codec(), p, 4, 0, &a, &na, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "token 2: acoustic index 8192"), "%s", err.msg);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(na, 0);
    p[5] = 6;
    p[6] = -1;
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_decode(codec(), p, 4, 0, &a, &na, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "token 3: semantic index -1"), "%s", err.msg);
    p[6] = 7;
    sc_err_clear(&err);
    /* 52800 samples make 168 pairs, not 4 */
    ck_assert_int_eq(sc_codec_decode(codec(), p, 4, 52800, &a, &na, &err), SC_EARG);
    ck_assert_msg(strstr(err.msg, "168"), "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_codec_decode(codec(), p, 0, 0, &a, &na, &err), SC_EARG);
}
END_TEST

/* Many inputs through one encoder: each input's tokens are those of
 * encoding it alone, and a failing input does not stop the others. */
START_TEST(test_encoder_many)
{
    sc_tensor w;
    sct_load_npy("golden/short_wave.npy", &w);
    int64_t n = w.shape[w.ndim - 1];
    sc_err err = {0};
    sc_encoder *e = sc_encoder_create(codec(), &err);
    ck_assert_msg(e, "%s", err.msg);
    float bad[100] = {0};
    bad[50] = NAN;
    ck_assert_int_eq(sc_encoder_add_pcm(e, w.data, n, 1, 16000, &err), 0);
    ck_assert_int_eq(sc_encoder_add_file(e, "/nonexistent.wav", &err), 1);
    ck_assert_int_eq(sc_encoder_add_pcm(e, bad, 100, 1, 16000, &err), 2);
    ck_assert_int_eq(sc_encoder_add_file(e, sct_ref_path("golden/short_wave.wav"), &err), 3);
    int64_t *got[4] = {0}, cnt[4] = {0};
    int done[4] = {0}, st[4] = {0}, announced[4] = {0};
    sc_encoder_event ev;
    int r;
    while ((r = sc_encoder_next(e, &ev, &err)) == 1) {
        ck_assert(ev.id >= 0 && ev.id < 4 && !done[ev.id]);
        int i = (int)ev.id;
        if (ev.status == SC_OK && !announced[i]) {
            ck_assert_int_eq(ev.npairs, 0);
            ck_assert_int_eq(ev.total, 168);
            ck_assert_int_eq(ev.samples_16k, 52800);
            announced[i] = 1;
        }
        got[i] = realloc(got[i], sizeof(int64_t) * 2 * (size_t)(cnt[i] + ev.npairs + 1));
        memcpy(got[i] + 2 * cnt[i], ev.pairs, sizeof(int64_t) * 2 * (size_t)ev.npairs);
        cnt[i] += ev.npairs;
        done[i] = ev.done;
        st[i] = ev.status;
        if (ev.id == 1)
            ck_assert_msg(strstr(ev.message, "/nonexistent.wav"), "%s", ev.message);
        if (ev.id == 2)
            ck_assert_msg(strstr(ev.message, "frame 50 is NaN"), "%s", ev.message);
    }
    ck_assert_msg(r == 0, "%s", err.msg);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(done[i], "input %d not done", i);
    ck_assert_int_eq(st[0], SC_OK);
    ck_assert_int_eq(st[1], SC_ENOTFOUND);
    ck_assert_int_eq(st[2], SC_EFORMAT);
    ck_assert_int_eq(st[3], SC_OK);
    assert_tokens("input 0", got[0], cnt[0], "golden/short_tr100_tokens.npy");
    assert_tokens("input 3", got[3], cnt[3], "golden/short_tr100_tokens.npy");
    sc_encoder_stats s;
    sc_encoder_get_stats(e, &s);
    ck_assert_int_eq(s.windows, 2);
    sc_encoder_destroy(e);
    for (int i = 0; i < 4; i++)
        free(got[i]);
    sc_tensor_release(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_info);
    tcase_add_test(tc, test_encode_golden);
    tcase_add_test(tc, test_encode_resampled);
    tcase_add_test(tc, test_encode_bad_input);
    tcase_add_test(tc, test_encoder_many);
    tcase_add_test(tc, test_decode_bad_input);
    tcase_add_test(tc, test_decode_golden_noise);
    tcase_add_test(tc, test_decode_oneshot_vs_stream);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* one codec for all tests: its thread pool would not survive a fork */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    sc_codec_close(g_codec);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
