/* plugins/vocoder/hifigan.c - HiFi-GAN generator V1 as SemantiCodec uses it
 * (ARCHITECTURE.md §9): mel [64, L] -> wave [160 L + 32].
 *
 * conv_pre (64 -> 1024, k 7); five stages of LeakyReLU(0.1), ConvTranspose1d
 * (strides 5 4 2 2 2, kernels 16 16 8 4 4, padding (k - u) / 2) and the
 * mean of three type-1 resblocks (kernels 3 7 11, dilations 1 3 5);
 * LeakyReLU(0.01), conv_post (32 -> 1, k 7), tanh.  Weight norm is already
 * folded in the checkpoint.
 */
#include <stdio.h>
#include "voc.h"

#define HF_PFX "first_stage_model.vocoder."
#define LRELU 0.1f

static const int up_rate[VOC_NUPS] = { 5, 4, 2, 2, 2 };
static const int up_kern[VOC_NUPS] = { 16, 16, 8, 4, 4 };
static const int rb_kern[3] = { 3, 7, 11 };
static const int rb_dil[3] = { 1, 3, 5 };

static void walk_c1(sc_walk *wk, voc_conv *c, int d0, int d1, int k, int cout, int cin,
                    const char *name)
{
    int64_t wd[3] = { d0, d1, k }, bd[1] = { cout };
    c->cout = cout;
    c->cin = cin;
    c->k = k;
    c->w = sc_walk_weightf(wk, 3, wd, "%s.weight", name);
    c->b = sc_walk_weightf(wk, 1, bd, "%s.bias", name);
}

void voc_hifi_walk(sc_walk *wk, voc_hifi *h)
{
    char name[160];
    walk_c1(wk, &h->pre, 1024, 64, 7, 1024, 64, HF_PFX "conv_pre");
    for (int i = 0; i < VOC_NUPS; i++) {
        int ci = 1024 >> i, co = ci / 2;
        snprintf(name, sizeof name, HF_PFX "ups.%d", i);
        /* ConvTranspose1d weights are [Cin, Cout, k]. */
        walk_c1(wk, &h->ups[i], ci, co, up_kern[i], co, ci, name);
        for (int j = 0; j < 3; j++) {
            int r = 3 * i + j;
            for (int m = 0; m < 3; m++) {
                snprintf(name, sizeof name, HF_PFX "resblocks.%d.convs1.%d", r, m);
                walk_c1(wk, &h->rc1[r][m], co, co, rb_kern[j], co, co, name);
                snprintf(name, sizeof name, HF_PFX "resblocks.%d.convs2.%d", r, m);
                walk_c1(wk, &h->rc2[r][m], co, co, rb_kern[j], co, co, name);
            }
        }
    }
    walk_c1(wk, &h->post, 1, 32, 7, 1, 32, HF_PFX "conv_post");
}

/* One type-1 resblock: r = x; for m: r += c2(lrelu(c1(lrelu(r)))).
 * Result in r; t and u are scratch of C*L floats. */
static int resblock(voc_state *s, int idx, int kern, const float *x, int C, int L, float *r,
                    float *t, float *u, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const voc_hifi *h = &s->hifi;
    int64_t n = (int64_t)C * L;
    const float *in = x;
    for (int m = 0; m < 3; m++) {
        int d = rb_dil[m];
        VOC_TRY(s, err, be->act(s->bx, SC_ACT_LEAKY, LRELU, in, n, t), "leaky_relu");
        VOC_TRY(s, err,
                be->conv1d(s->bx, t, C, L, h->rc1[idx][m].w, h->rc1[idx][m].b, C, kern, 1,
                           d * (kern - 1) / 2, d, u),
                "conv1d");
        VOC_TRY(s, err, be->act(s->bx, SC_ACT_LEAKY, LRELU, u, n, u), "leaky_relu");
        VOC_TRY(s, err,
                be->conv1d(s->bx, u, C, L, h->rc2[idx][m].w, h->rc2[idx][m].b, C, kern, 1,
                           (kern - 1) / 2, 1, t),
                "conv1d");
        /* reference: x = xt + x */
        VOC_TRY(s, err, be->binary(s->bx, SC_BIN_ADD, t, in, n, r), "add");
        in = r;
    }
    return SC_OK;
}

int voc_hifi_run(voc_state *s, const float *melT, int frames, float *wave, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const voc_hifi *h = &s->hifi;
    /* Stage outputs: 512 x (5L+1), then 256 x (20L+4), 128 x (40L+8), ...
     * = 5120 L + 1024 floats for stages 1..4; conv_pre's 1024 L is less. */
    size_t need = (size_t)5120 * (size_t)frames + 1024;
    if (voc_bufs_reserve(s, need, err))
        return err->code;
    float **B = s->bufs.p;
    float *x = B[0], *acc = B[1], *r = B[2], *t = B[3], *u = B[4];
    int C = 1024, L = frames;

    VOC_TRY(s, err, be->conv1d(s->bx, melT, 64, L, h->pre.w, h->pre.b, C, 7, 1, 3, 1, x),
            "conv1d");
    for (int i = 0; i < VOC_NUPS; i++) {
        int co = C / 2, k = up_kern[i], st = up_rate[i], pad = (k - st) / 2;
        int Lo = (L - 1) * st - 2 * pad + k;
        VOC_TRY(s, err, be->act(s->bx, SC_ACT_LEAKY, LRELU, x, (int64_t)C * L, t), "leaky_relu");
        VOC_TRY(s, err,
                be->conv_transpose1d(s->bx, t, C, L, h->ups[i].w, h->ups[i].b, co, k, st, pad,
                                     x),
                "conv_transpose1d");
        C = co;
        L = Lo;
        int64_t n = (int64_t)C * L;
        /* xs = R0(x); xs += R1(x); xs += R2(x); x = xs / 3 */
        if (resblock(s, 3 * i, rb_kern[0], x, C, L, acc, t, u, err))
            return err->code;
        for (int j = 1; j < 3; j++) {
            if (resblock(s, 3 * i + j, rb_kern[j], x, C, L, r, t, u, err))
                return err->code;
            VOC_TRY(s, err, be->binary(s->bx, SC_BIN_ADD, acc, r, n, acc), "add");
        }
        /* The reference divides by 3; a float32 multiply by 1/3 differs by
         * at most one rounding. */
        VOC_TRY(s, err, be->scale(s->bx, acc, n, 1.0f / 3.0f, 0.0f, x), "scale");
    }
    VOC_TRY(s, err, be->act(s->bx, SC_ACT_LEAKY, 0.01f, x, (int64_t)C * L, t), "leaky_relu");
    VOC_TRY(s, err, be->conv1d(s->bx, t, C, L, h->post.w, h->post.b, 1, 7, 1, 3, 1, u),
            "conv1d");
    VOC_TRY(s, err, be->act(s->bx, SC_ACT_TANH, 0.0f, u, L, wave), "tanh");
    return SC_OK;
}
