/* tests/check_decoder.c - the "ldm" decoder stage against the parity kit
 * (README.md §3.3, tolerances §4.4), on every backend sct_backends() lists
 * (ref required, blas once built).  Synthetic weights, rate 100, vocab 16384.
 *
 *   conditioning / uncond   short_tr100_dec_cond, dec_uncond_tr100   bit exact
 *   DDIM coefficients       ddim_S5_step_coeffs                      bit exact
 *   one UNet evaluation     unet_out_{cond,uncond,cfg}               abs 5e-5
 *   5-step DDIM chain       short_ddim_{v_uncond,v_cond,v_cfg,pred_x0,latents}
 *                           latents abs 1e-4 (v, pred_x0 reported, 2e-4)
 *   long clip, 2 windows    long_ddim_final_latent                   abs 1e-4
 *   own noise generator     Random123 Philox known answers; determinism
 *
 * The chains cost 10 (short) and 20 (long) UNet evaluations of ~41 GFLOP
 * (~3.5 s each on ref, ~0.5 s on blas, 2 idle cores); on the ref backend
 * the long clip runs only with SC_FULL=1 (make check-full).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc/noise.h"
#include "sc/npy.h"
#include "sc/session.h"
#include "sc/stage_decoder.h"
#include "sctest.h"

#define UNET_TOL 5e-5
#define LAT_TOL 1e-4
#define STEP_TOL 2e-4
#define LAT SC_DEC_LATENT

static const char *g_backends[4];
static int g_nbackends;

static void golden(const char *name, sc_tensor *t, sc_dtype dtype, int64_t numel)
{
    char rel[256];
    snprintf(rel, sizeof rel, "golden/%s", name);
    sct_load_npy(rel, t);
    ck_assert_msg(t->dtype == dtype && sc_tensor_is_contiguous(t), "%s: dtype %s", rel,
                  sc_dtype_name(t->dtype));
    ck_assert_msg(sc_tensor_numel(t) == numel, "%s: %lld values, expected %lld", rel,
                  (long long)sc_tensor_numel(t), (long long)numel);
}

typedef struct dec {
    sc_session *s;
    const sc_decoder_vt *vt;
    void *self;
    int W, Dc;
} dec;

static void dec_open(dec *m, const char *backend)
{
    sc_err err = {0};
    double t0 = sct_now();
    m->s = sct_session(100, 16384, backend);
    sc_stage *st = sc_session_stage(m->s, SC_KIND_DECODER, &err);
    ck_assert_msg(st, "decoder stage on %s: %s", backend, err.msg);
    m->vt = st->vt;
    m->self = st->self;
    ck_assert(m->vt->struct_size >= sizeof(sc_decoder_vt));
    m->vt->dims(m->self, &m->W, &m->Dc);
    ck_assert_int_eq(m->W, 512);
    ck_assert_int_eq(m->Dc, 1728);
    fprintf(stderr, "[%s] session + decoder stage: %.1f s\n", backend, sct_now() - t0);
}

static void dec_close(dec *m)
{
    sc_session_close(m->s);
}

/* ---- host-side helpers ------------------------------------------------ */

START_TEST(test_nsteps)
{
    int tau[1000];
    ck_assert_int_eq(sc_decoder_nsteps(50, tau), 50);
    ck_assert_int_eq(tau[0], 1);
    ck_assert_int_eq(tau[1], 21);
    ck_assert_int_eq(tau[49], 981);
    ck_assert_int_eq(sc_decoder_nsteps(5, tau), 5);
    ck_assert_int_eq(tau[4], 801);
    ck_assert_int_eq(sc_decoder_nsteps(30, NULL), 31);   /* longer than S */
    ck_assert_int_eq(sc_decoder_nsteps(7, NULL), 8);
    ck_assert_int_eq(sc_decoder_nsteps(1, tau), 1);
    ck_assert_int_eq(tau[0], 1);
    ck_assert_int_eq(sc_decoder_nsteps(500, tau), 500);
    ck_assert_int_eq(tau[499], 999);
    /* the counts where the official sampler indexes timestep 1000 */
    static const int bad[] = {0, -1, 3, 9, 27, 37, 111, 1000, 1001};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sc_decoder_nsteps(bad[i], NULL) == -1, "S=%d accepted", bad[i]);
    int nbad = 0;
    for (int S = 1; S <= 1000; S++) {
        int n = sc_decoder_nsteps(S, tau);
        if (n < 1) {
            nbad++;
            continue;
        }
        ck_assert(tau[n - 1] <= 999);
    }
    ck_assert_int_gt(nbad, 0);
}
END_TEST

START_TEST(test_windows)
{
    int64_t st[8], len[8];
    ck_assert_int_eq(sc_decoder_windows(704, 512, st, len), 2);
    ck_assert(st[0] == 0 && len[0] == 512 && st[1] == 480 && len[1] == 224);
    ck_assert_int_eq(sc_decoder_windows(1000, 512, st, len), 3);
    ck_assert(st[2] == 960 && len[2] == 40);
    ck_assert_int_eq(sc_decoder_windows(512, 512, st, len), 1);   /* strict start + W < T */
    ck_assert_int_eq(sc_decoder_windows(513, 512, st, len), 2);
    ck_assert(st[1] == 480 && len[1] == 33);
    ck_assert_int_eq(sc_decoder_windows(168, 512, st, len), 1);
    ck_assert_int_eq(sc_decoder_windows(500, 256, st, len), 3);   /* rate 50 */
    ck_assert(st[1] == 240 && st[2] == 480 && len[2] == 20);
    ck_assert_int_eq(sc_decoder_windows(250, 128, st, len), 3);   /* rate 25 */
    ck_assert(st[1] == 120 && st[2] == 240 && len[2] == 10);
    ck_assert_int_eq(sc_decoder_windows(0, 512, NULL, NULL), 0);
}
END_TEST

START_TEST(test_noise)
{
    /* Random123 kat_vectors for philox4x32_R(10) */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        sc_philox4x32_10(kat[k], kat[k] + 4, out);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(out[i] == kat[k][6 + i], "philox KAT %d word %d: %08x", k, i, out[i]);
    }
    /* chunking and offsets do not change the stream; draws differ */
    float *a = malloc(2 * LAT * sizeof(float)), *b = malloc(LAT * sizeof(float));
    ck_assert(a && b);
    sc_noise_draws(42, 3, 2, LAT, a);
    sc_noise_fill(42, 3, 1, 0, b, 7);
    sc_noise_fill(42, 3, 1, 7, b + 7, LAT - 7);
    ck_assert(!memcmp(a + LAT, b, LAT * sizeof(float)));
    ck_assert(memcmp(a, a + LAT, LAT * sizeof(float)));
    double s = 0, s2 = 0;
    for (int i = 0; i < 2 * LAT; i++) {
        ck_assert(isfinite(a[i]));
        s += a[i];
        s2 += (double)a[i] * a[i];
    }
    double mean = s / (2 * LAT), var = s2 / (2 * LAT) - mean * mean;
    ck_assert_msg(fabs(mean) < 0.02 && fabs(var - 1) < 0.03, "mean %g var %g", mean, var);
    sc_noise_fill(0, 0, 0, 0, b, 2);
    fprintf(stderr, "noise(seed 0, window 0, draw 0)[0..1] = %.9g %.9g\n", b[0], b[1]);
    free(a);
    free(b);
}
END_TEST

/* ---- declared keys ------------------------------------------------------ */

typedef struct keylog {
    int n, bad, unet, sched;
    double params;
    char first_bad[256];
} keylog;

static int record_key(void *dctx, const char *key, sc_dtype dtype, int ndim,
                      const int64_t *shape)
{
    keylog *k = dctx;
    double p = 1;
    for (int i = 0; i < ndim; i++)
        p *= (double)shape[i];
    k->n++;
    k->params += p;
    if (!strncmp(key, "model.diffusion_model.", 22)) {
        k->unet++;
    } else if (!strcmp(key, "alphas_cumprod") || !strcmp(key, "sqrt_alphas_cumprod") ||
               !strcmp(key, "sqrt_one_minus_alphas_cumprod")) {
        k->sched++;
    } else if (!k->bad++) {
        snprintf(k->first_bad, sizeof k->first_bad, "%s", key);
    }
    ck_assert(dtype == SC_F32);
    return 0;
}

START_TEST(test_declare)
{
    /* every UNet tensor and the three schedule buffers, nothing else; the
     * UNet has 75.0 M / 85.9 M / 107.5 M parameters at rates 100 / 50 / 25 */
    static const int rates[3] = {100, 50, 25};
    static const double mparams[3] = {75.0, 85.9, 107.5};
    dec m;
    dec_open(&m, "ref");
    for (int i = 0; i < 3; i++) {
        int K = 100 / rates[i];
        sc_model_info mi = {rates[i], K, 768 * K, 16384, 8192, 1};
        keylog k = {0};
        ck_assert_int_eq(m.vt->declare(&mi, &k, record_key), 0);
        ck_assert_msg(!k.bad, "undeclarable key %s", k.first_bad);
        ck_assert_int_eq(k.sched, 3);
        double mp = (k.params - 3000) / 1e6;
        fprintf(stderr, "rate %d: %d UNet tensors, %.2f M parameters\n", rates[i], k.unet, mp);
        ck_assert_msg(fabs(mp - mparams[i]) < 0.06, "rate %d: %.3f M parameters", rates[i], mp);
    }
    dec_close(&m);
}
END_TEST

/* ---- conditioning --------------------------------------------------------- */

START_TEST(test_conditioning)
{
    dec m;
    sc_err err = {0};
    sc_tensor tok, cond, unc;
    dec_open(&m, "ref");
    golden("short_tr100_tokens.npy", &tok, SC_I64, 168 * 2);
    golden("short_tr100_dec_cond.npy", &cond, SC_F32, 512 * 1728);
    golden("dec_uncond_tr100.npy", &unc, SC_F32, 512 * 1728);
    size_t n = (size_t)m.W * m.Dc;
    float *ctx = malloc(n * sizeof(float));
    ck_assert(ctx);
    ck_assert_msg(m.vt->conditioning(m.self, tok.data, 168, ctx, &err) == SC_OK, "%s", err.msg);
    size_t nbad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&ctx[i], (float *)cond.data + i, 4) && !nbad++)
            first = i;
    ck_assert_msg(!nbad, "conditioning: %zu values differ from the golden bits, first at row %zu "
                  "col %zu: %.9g vs %.9g", nbad, first / m.Dc, first % m.Dc, ctx[first],
                  ((float *)cond.data)[first]);
    /* the reference's uncond: cond features * 0.0, bit for bit (signed zeros) */
    ck_assert_msg(m.vt->uncond(m.self, tok.data, 168, ctx, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(!memcmp(ctx, unc.data, n * sizeof(float)), "uncond(tokens) differs");
    /* the sampler's uncond: same values (+0.0) */
    ck_assert(m.vt->uncond(m.self, NULL, 0, ctx, &err) == SC_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(ctx[i] == ((float *)unc.data)[i], "uncond(NULL) at %zu", i);
    free(ctx);
    sc_tensor_release(&tok);
    sc_tensor_release(&cond);
    sc_tensor_release(&unc);
    dec_close(&m);
}
END_TEST

START_TEST(test_bad_input)
{
    dec m;
    sc_err err = {0};
    dec_open(&m, "ref");
    float *ctx = malloc((size_t)m.W * m.Dc * sizeof(float)), lat[1];
    int64_t tok[4] = {5, 7, 16384, 7};   /* second semantic token out of range */
    ck_assert_int_eq(m.vt->conditioning(m.self, tok, 2, ctx, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "token 1"), "%s", err.msg);
    sc_err_clear(&err);
    tok[2] = 1;
    tok[3] = 8192;
    ck_assert_int_eq(m.vt->conditioning(m.self, tok, 2, ctx, &err), SC_ERANGE);
    sc_err_clear(&err);
    tok[3] = -1;
    ck_assert_int_eq(m.vt->conditioning(m.self, tok, 2, ctx, &err), SC_ERANGE);
    sc_err_clear(&err);
    ck_assert_int_eq(m.vt->conditioning(m.self, tok, 0, ctx, &err), SC_EARG);
    sc_err_clear(&err);
    ck_assert_int_eq(m.vt->conditioning(m.self, tok, 513, ctx, &err), SC_EARG);
    sc_err_clear(&err);
    /* step counts the schedule cannot take: refused before any work */
    tok[3] = 3;
    static const int bad[] = {0, 3, 9, 1000, -5};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = bad[i];
        ck_assert_int_eq(m.vt->sample(m.self, tok, 2, &o, lat, &err), SC_EARG);
        ck_assert_msg(strstr(err.msg, "steps"), "%s", err.msg);
        sc_err_clear(&err);
        ck_assert(m.vt->schedule(m.self, bad[i], 1.0, NULL, NULL, &err) < 0);
        sc_err_clear(&err);
    }
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.eta = -1;
    ck_assert_int_eq(m.vt->sample(m.self, tok, 2, &o, lat, &err), SC_EARG);
    sc_err_clear(&err);
    ck_assert_int_eq(m.vt->unet(m.self, lat, 1000, NULL, lat, &err), SC_EARG);
    free(ctx);
    dec_close(&m);
}
END_TEST

START_TEST(test_schedule)
{
    dec m;
    sc_err err = {0};
    sc_tensor co;
    dec_open(&m, "ref");
    golden("ddim_S5_step_coeffs.npy", &co, SC_F32, 20);
    int t[1000];
    float c[4000];
    ck_assert_int_eq(m.vt->schedule(m.self, 5, 1.0, t, c, &err), 5);
    static const int want_t[5] = {801, 601, 401, 201, 1};
    for (int s = 0; s < 5; s++) {
        ck_assert_int_eq(t[s], want_t[s]);
        for (int j = 0; j < 4; j++)
            ck_assert_msg(!memcmp(&c[4 * s + j], (float *)co.data + 4 * s + j, 4),
                          "step %d coef %d: %.9g vs %.9g", s, j, c[4 * s + j],
                          ((float *)co.data)[4 * s + j]);
    }
    /* S = 50 against ARCHITECTURE.md §6.5 */
    ck_assert_int_eq(m.vt->schedule(m.self, 50, 1.0, t, c, &err), 50);
    ck_assert(t[0] == 981 && t[49] == 1);
    ck_assert(fabs(c[0] - 2.0196e-4) < 1e-7 && fabs(c[1] - 2.9479e-4) < 1e-7);
    ck_assert(fabs(c[2] - 0.56114) < 1e-5);
    ck_assert(fabs(c[4 * 49] - 0.996994) < 1e-6 && c[4 * 49 + 1] == (float)0.9985);
    ck_assert(fabs(c[4 * 49 + 2] - 0.027432) < 1e-6);
    /* eta 0: deterministic DDIM */
    ck_assert_int_eq(m.vt->schedule(m.self, 10, 0.0, t, c, &err), 10);
    for (int s = 0; s < 10; s++)
        ck_assert(c[4 * s + 2] == 0.0f);
    sc_tensor_release(&co);
    dec_close(&m);
}
END_TEST

/* ---- UNet and sampler parity ------------------------------------------------ */

START_TEST(test_unet)
{
    const char *be = g_backends[_i];
    dec m;
    sc_err err = {0};
    sc_tensor x, tt, cond, oc, ou, og;
    dec_open(&m, be);
    golden("unet_x.npy", &x, SC_F32, LAT);
    golden("unet_t.npy", &tt, SC_I64, 1);
    golden("short_tr100_dec_cond.npy", &cond, SC_F32, 512 * 1728);
    golden("unet_out_cond.npy", &oc, SC_F32, LAT);
    golden("unet_out_uncond.npy", &ou, SC_F32, LAT);
    golden("unet_out_cfg.npy", &og, SC_F32, LAT);
    int t = (int)*(int64_t *)tt.data;
    ck_assert_int_eq(t, 981);
    float *vc = malloc(LAT * sizeof(float)), *vu = malloc(LAT * sizeof(float));
    float *v = malloc(LAT * sizeof(float));
    double t0 = sct_now();
    ck_assert_msg(m.vt->unet(m.self, x.data, t, cond.data, vc, &err) == SC_OK, "%s", err.msg);
    double t1 = sct_now();
    ck_assert_msg(m.vt->unet(m.self, x.data, t, NULL, vu, &err) == SC_OK, "%s", err.msg);
    double t2 = sct_now();
    fprintf(stderr, "[%s] UNet evaluation: cond %.2f s (with context K/V), uncond %.2f s\n", be,
            t1 - t0, t2 - t1);
    char what[64];
    snprintf(what, sizeof what, "[%s] unet_out_cond", be);
    sct_assert_close(what, vc, oc.data, LAT, UNET_TOL);
    snprintf(what, sizeof what, "[%s] unet_out_uncond", be);
    sct_assert_close(what, vu, ou.data, LAT, UNET_TOL);
    for (int i = 0; i < LAT; i++)
        v[i] = (vc[i] - vu[i]) * 2.0f + vu[i];
    snprintf(what, sizeof what, "[%s] unet_out_cfg", be);
    sct_assert_close(what, v, og.data, LAT, UNET_TOL);
    free(vc);
    free(vu);
    free(v);
    sc_tensor_release(&x);
    sc_tensor_release(&tt);
    sc_tensor_release(&cond);
    sc_tensor_release(&oc);
    sc_tensor_release(&ou);
    sc_tensor_release(&og);
    dec_close(&m);
}
END_TEST

typedef struct trace_ctx {
    const char *be;
    sc_tensor vu, vc, v, x0, lat;
    double worst[5];
    double t_last, t_step[16];
} trace_ctx;

static int on_step(void *user, int s, int n, int t, const float *vu, const float *vc,
                   const float *v, const float *x0, const float *xp)
{
    trace_ctx *c = user;
    static const int want_t[5] = {801, 601, 401, 201, 1};
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(t, want_t[s]);
    double tn = sct_now();
    c->t_step[s] = tn - c->t_last;
    c->t_last = tn;
    const float *got[5] = {vu, vc, v, x0, xp};
    sc_tensor *want[5] = {&c->vu, &c->vc, &c->v, &c->x0, &c->lat};
    static const char *names[5] = {"v_uncond", "v_cond", "v_cfg", "pred_x0", "latent"};
    for (int k = 0; k < 5; k++) {
        sct_diff d = sct_compare(got[k], (const float *)want[k]->data + (size_t)s * LAT, LAT);
        fprintf(stderr, "[%s] step %d t=%d %-8s max abs %.3g rms %.3g (max ref %.3g)\n", c->be,
                s, t, names[k], d.max_abs, d.rms, d.max_ref);
        if (d.max_abs > c->worst[k])
            c->worst[k] = d.max_abs;
        ck_assert_msg(d.max_abs <= (k == 4 ? LAT_TOL : STEP_TOL),
                      "[%s] step %d %s: max abs %.3g", c->be, s, names[k], d.max_abs);
    }
    return 0;
}

START_TEST(test_ddim_short)
{
    const char *be = g_backends[_i];
    dec m;
    sc_err err = {0};
    sc_tensor tok, xT, noise;
    trace_ctx c = {.be = be};
    dec_open(&m, be);
    golden("short_tr100_tokens.npy", &tok, SC_I64, 168 * 2);
    golden("short_ddim_xT.npy", &xT, SC_F32, LAT);
    golden("short_ddim_noise.npy", &noise, SC_F32, 5 * LAT);
    golden("short_ddim_v_uncond.npy", &c.vu, SC_F32, 5 * LAT);
    golden("short_ddim_v_cond.npy", &c.vc, SC_F32, 5 * LAT);
    golden("short_ddim_v_cfg.npy", &c.v, SC_F32, 5 * LAT);
    golden("short_ddim_pred_x0.npy", &c.x0, SC_F32, 5 * LAT);
    golden("short_ddim_latents.npy", &c.lat, SC_F32, 5 * LAT);
    /* the --noise layout of one window: [x_T, step 0 .. step 4] */
    float *nz = malloc(6 * LAT * sizeof(float)), *lat = malloc(LAT * sizeof(float));
    memcpy(nz, xT.data, LAT * sizeof(float));
    memcpy(nz + LAT, noise.data, 5 * LAT * sizeof(float));
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.steps = 5;
    o.noise = nz;
    o.trace = on_step;
    o.user = &c;
    double t0 = sct_now();
    c.t_last = t0;
    ck_assert_msg(m.vt->sample(m.self, tok.data, 168, &o, lat, &err) == SC_OK, "%s", err.msg);
    fprintf(stderr, "[%s] 5-step DDIM: %.2f s (%.2f s per step, 2 UNet evaluations each)\n", be,
            sct_now() - t0, (sct_now() - t0) / 5);
    char what[64];
    snprintf(what, sizeof what, "[%s] short final latent", be);
    sct_assert_close(what, lat, (float *)c.lat.data + 4 * LAT, LAT, LAT_TOL);
    fprintf(stderr, "[%s] worst over steps: v_uncond %.3g v_cond %.3g v_cfg %.3g pred_x0 %.3g "
            "latent %.3g\n", be, c.worst[0], c.worst[1], c.worst[2], c.worst[3], c.worst[4]);
    free(nz);
    free(lat);
    sc_tensor_release(&tok);
    sc_tensor_release(&xT);
    sc_tensor_release(&noise);
    sc_tensor_release(&c.vu);
    sc_tensor_release(&c.vc);
    sc_tensor_release(&c.v);
    sc_tensor_release(&c.x0);
    sc_tensor_release(&c.lat);
    dec_close(&m);
}
END_TEST

START_TEST(test_ddim_long)
{
    const char *be = g_backends[_i];
    if (!strcmp(be, "ref") && !sct_full()) {
        fprintf(stderr, "[ref] long clip: SC_FULL only (20 UNet evaluations)\n");
        return;
    }
    dec m;
    sc_err err = {0};
    sc_tensor tok, nz, fin;
    dec_open(&m, be);
    golden("long_tr100_tokens.npy", &tok, SC_I64, 704 * 2);
    golden("long_ddim_noise_all.npy", &nz, SC_F32, 2 * 6 * LAT);
    golden("long_ddim_final_latent.npy", &fin, SC_F32, 2 * LAT);
    int64_t st[4], len[4];
    ck_assert_int_eq(sc_decoder_windows(704, m.W, st, len), 2);
    float *lat = malloc(LAT * sizeof(float));
    for (int w = 0; w < 2; w++) {
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = 5;
        o.window = w;
        o.noise = (const float *)nz.data + (size_t)w * 6 * LAT;
        double t0 = sct_now();
        ck_assert_msg(m.vt->sample(m.self, (const int64_t *)tok.data + 2 * st[w], (int)len[w], &o,
                                   lat, &err) == SC_OK, "%s", err.msg);
        char what[64];
        snprintf(what, sizeof what, "[%s] long window %d final latent (%.1f s)", be, w,
                 sct_now() - t0);
        sct_assert_close(what, lat, (const float *)fin.data + (size_t)w * LAT, LAT, LAT_TOL);
    }
    free(lat);
    sc_tensor_release(&tok);
    sc_tensor_release(&nz);
    sc_tensor_release(&fin);
    dec_close(&m);
}
END_TEST

/* Rates 50 and 25 (context 256 x 3264 and 128 x 6336): the stage builds
 * against the synthetic manifests and one unconditional plus one guided
 * 1-step sample run and stay finite (parity at these rates is checked
 * outside this suite). */
START_TEST(test_other_rates)
{
    static const int rates[2] = {50, 25};
    const char *be = g_backends[g_nbackends - 1];   /* the fastest built */
    int rate = rates[_i], K = 100 / rate;
    sc_err err = {0};
    sc_session *s = sct_session(rate, 16384, be);
    sc_stage *st = sc_session_stage(s, SC_KIND_DECODER, &err);
    ck_assert_msg(st, "rate %d: %s", rate, err.msg);
    const sc_decoder_vt *vt = st->vt;
    int W, Dc;
    vt->dims(st->self, &W, &Dc);
    ck_assert_int_eq(W, 512 / K);
    ck_assert_int_eq(Dc, 2 * 768 * K + 192);
    int64_t tok[2 * 20];
    for (int i = 0; i < 20; i++) {
        tok[2 * i] = (i * 997) % 16384;
        tok[2 * i + 1] = (i * 131) % 8192;
    }
    float *ctx = malloc((size_t)W * Dc * sizeof(float)), *lat = malloc(LAT * sizeof(float));
    ck_assert(vt->conditioning(st->self, tok, 20, ctx, &err) == SC_OK);
    /* padding rows are -1 features followed by the positional encoding */
    ck_assert(ctx[(size_t)20 * Dc] == -1.0f && ctx[(size_t)(W - 1) * Dc + 2 * 768 * K - 1] == -1.0f);
    ck_assert(ctx[(size_t)2 * 768 * K + 1] == 1.0f);   /* PE[0][1] = cos 0 */
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.steps = 1;
    double t0 = sct_now();
    ck_assert_msg(vt->sample(st->self, tok, 20, &o, lat, &err) == SC_OK, "%s", err.msg);
    fprintf(stderr, "[%s] rate %d: 1-step guided sample %.2f s\n", be, rate, sct_now() - t0);
    for (int i = 0; i < LAT; i++)
        ck_assert_msg(isfinite(lat[i]), "rate %d: latent[%d] = %g", rate, i, lat[i]);
    free(ctx);
    free(lat);
    sc_session_close(s);
}
END_TEST

static sc_session *session_opts(const char *backend, const char *options)
{
    sc_config cfg;
    sc_err err = {0};
    static sc_log log = {SC_LOG_WARN, sc_log_stderr, "test"};
    sc_config_defaults(&cfg);
    ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
    cfg.synthetic = 1;
    cfg.token_rate = 100;
    cfg.sem_vocab = 16384;
    cfg.threads = 2;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    snprintf(cfg.stage[SC_KIND_DECODER].options, sizeof cfg.stage[0].options, "%s", options);
    sc_session *s = sc_session_open(&cfg, &log, &err);
    ck_assert_msg(s, "session: %s", err.msg);
    return s;
}

/* Options: share=0 (head run per pass) and pair=0 (the two guidance tails
 * one after the other, each op split over both threads) give the same bits
 * as the default (shared head, tails side by side at 2 threads); an
 * unknown option is refused by name. */
START_TEST(test_options)
{
    const char *be = g_backends[g_nbackends - 1];
    sc_err err = {0};
    sc_tensor tok;
    golden("short_tr100_tokens.npy", &tok, SC_I64, 168 * 2);
    float *nz = malloc(2 * LAT * sizeof(float)), *lat[3];
    static const char *const opts[3] = {"share=1", "share=0", "pair=0"};
    sc_noise_draws(5, 0, 2, LAT, nz);
    for (int k = 0; k < 3; k++) {
        sc_session *s = session_opts(be, opts[k]);
        sc_stage *st = sc_session_stage(s, SC_KIND_DECODER, &err);
        ck_assert_msg(st, "%s", err.msg);
        const sc_decoder_vt *vt = st->vt;
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = 1;
        o.noise = nz;
        lat[k] = malloc(LAT * sizeof(float));
        ck_assert_msg(vt->sample(st->self, tok.data, 168, &o, lat[k], &err) == SC_OK, "%s",
                      err.msg);
        sc_session_close(s);
    }
    ck_assert_msg(!memcmp(lat[0], lat[1], LAT * sizeof(float)), "[%s] share=0 differs", be);
    ck_assert_msg(!memcmp(lat[0], lat[2], LAT * sizeof(float)), "[%s] pair=0 differs", be);
    sc_session *s = session_opts(be, "share=1, bogus=2");
    ck_assert(!sc_session_stage(s, SC_KIND_DECODER, &err));
    ck_assert_msg(strstr(err.msg, "bogus"), "%s", err.msg);
    sc_session_close(s);
    free(nz);
    for (int k = 0; k < 3; k++)
        free(lat[k]);
    sc_tensor_release(&tok);
}
END_TEST

/* Own noise: one step (S = 1, t = 1) twice gives the same bits, and so
 * does injecting the generator's draws as --noise. */
START_TEST(test_determinism)
{
    const char *be = g_backends[_i];
    dec m;
    sc_err err = {0};
    sc_tensor tok;
    dec_open(&m, be);
    golden("short_tr100_tokens.npy", &tok, SC_I64, 168 * 2);
    float *a = malloc(LAT * sizeof(float)), *b = malloc(LAT * sizeof(float));
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.steps = 1;
    o.seed = 1234;
    o.window = 1;
    ck_assert_msg(m.vt->sample(m.self, tok.data, 168, &o, a, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(m.vt->sample(m.self, tok.data, 168, &o, b, &err) == SC_OK, "%s", err.msg);
    ck_assert_msg(!memcmp(a, b, LAT * sizeof(float)), "[%s] same seed, different latents", be);
    /* injected noise equal to the generator's draws gives the same bits */
    float *nz = malloc(2 * LAT * sizeof(float));
    sc_noise_draws(1234, 1, 2, LAT, nz);
    o.window = 1;
    o.noise = nz;
    ck_assert(m.vt->sample(m.self, tok.data, 168, &o, b, &err) == SC_OK);
    ck_assert_msg(!memcmp(a, b, LAT * sizeof(float)), "[%s] --noise vs generator", be);
    for (int i = 0; i < LAT; i++)
        ck_assert(isfinite(a[i]));
    free(nz);
    free(a);
    free(b);
    sc_tensor_release(&tok);
    dec_close(&m);
}
END_TEST

int main(void)
{
    g_nbackends = sct_backends(g_backends, 4);
    Suite *su = suite_create("decoder");
    /* CK_RUN_CASE=host|parity|rates runs one group */
    TCase *th = tcase_create("host");
    tcase_set_timeout(th, 600);
    tcase_add_test(th, test_nsteps);
    tcase_add_test(th, test_windows);
    tcase_add_test(th, test_noise);
    tcase_add_test(th, test_declare);
    tcase_add_test(th, test_conditioning);
    tcase_add_test(th, test_bad_input);
    tcase_add_test(th, test_schedule);
    suite_add_tcase(su, th);
    TCase *tp = tcase_create("parity");
    tcase_set_timeout(tp, 3600);
    tcase_add_loop_test(tp, test_unet, 0, g_nbackends);
    tcase_add_loop_test(tp, test_ddim_short, 0, g_nbackends);
    tcase_add_loop_test(tp, test_ddim_long, 0, g_nbackends);
    tcase_add_loop_test(tp, test_determinism, 0, g_nbackends);
    suite_add_tcase(su, tp);
    TCase *tr = tcase_create("rates");   /* and options; on the fastest backend */
    tcase_set_timeout(tr, 1200);
    tcase_add_loop_test(tr, test_other_rates, 0, 2);
    tcase_add_test(tr, test_options);
    suite_add_tcase(su, tr);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
