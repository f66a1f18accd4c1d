/* plugins/vocoder/vae.c - the AudioLDM 2 VAE decoder (ARCHITECTURE.md §8):
 * latent [8, zh, 16] -> log-mel [1, 4 zh, 64].
 *
 * Every GroupNorm has 32 groups and eps 1e-6 and is followed by SiLU except
 * the attention's; the mid attention is single-head over all zh*16
 * positions.  Activations are [C, H*W] backend buffers.
 */
#include <stdio.h>
#include "voc.h"

#define VAE_PFX "first_stage_model.decoder."
#define GN_EPS 1e-6f
#define GN_GROUPS 32

static void walk_conv(sc_walk *wk, voc_conv *c, int cout, int cin, int k, const char *name)
{
    int64_t wd[4] = { cout, cin, k, k }, bd[1] = { cout };
    c->cout = cout;
    c->cin = cin;
    c->k = k;
    c->w = sc_walk_weightf(wk, 4, wd, "%s.weight", name);
    c->b = sc_walk_weightf(wk, 1, bd, "%s.bias", name);
}

static void walk_gn(sc_walk *wk, voc_gn *g, int c, const char *name)
{
    int64_t d[1] = { c };
    g->c = c;
    g->g = sc_walk_weightf(wk, 1, d, "%s.weight", name);
    g->b = sc_walk_weightf(wk, 1, d, "%s.bias", name);
}

static void walk_res(sc_walk *wk, voc_res2d *r, int cin, int cout, const char *pfx)
{
    char name[160];
    r->cin = cin;
    r->cout = cout;
    snprintf(name, sizeof name, "%s.norm1", pfx);
    walk_gn(wk, &r->n1, cin, name);
    snprintf(name, sizeof name, "%s.conv1", pfx);
    walk_conv(wk, &r->c1, cout, cin, 3, name);
    snprintf(name, sizeof name, "%s.norm2", pfx);
    walk_gn(wk, &r->n2, cout, name);
    snprintf(name, sizeof name, "%s.conv2", pfx);
    walk_conv(wk, &r->c2, cout, cout, 3, name);
    if (cin != cout) {
        snprintf(name, sizeof name, "%s.nin_shortcut", pfx);
        walk_conv(wk, &r->nin, cout, cin, 1, name);
    } else {
        r->nin.w = r->nin.b = NULL;
    }
}

/* Channel widths per level: ch 128, ch_mult [1, 2, 4]. */
static const int level_ch[3] = { 128, 256, 512 };

void voc_vae_walk(sc_walk *wk, voc_vae *v)
{
    char name[160];
    walk_conv(wk, &v->pqc, 8, 8, 1, "first_stage_model.post_quant_conv");
    walk_conv(wk, &v->conv_in, 512, 8, 3, VAE_PFX "conv_in");
    walk_res(wk, &v->mid1, 512, 512, VAE_PFX "mid.block_1");
    walk_gn(wk, &v->attn_norm, 512, VAE_PFX "mid.attn_1.norm");
    walk_conv(wk, &v->q, 512, 512, 1, VAE_PFX "mid.attn_1.q");
    walk_conv(wk, &v->k, 512, 512, 1, VAE_PFX "mid.attn_1.k");
    walk_conv(wk, &v->v, 512, 512, 1, VAE_PFX "mid.attn_1.v");
    walk_conv(wk, &v->proj, 512, 512, 1, VAE_PFX "mid.attn_1.proj_out");
    walk_res(wk, &v->mid2, 512, 512, VAE_PFX "mid.block_2");
    for (int lv = 2; lv >= 0; lv--) {
        int cin = lv == 2 ? 512 : level_ch[lv + 1];
        int c = level_ch[lv];
        for (int b = 0; b < 3; b++) {
            snprintf(name, sizeof name, VAE_PFX "up.%d.block.%d", lv, b);
            walk_res(wk, &v->up[lv][b], b == 0 ? cin : c, c, name);
        }
        if (lv != 0) {
            snprintf(name, sizeof name, VAE_PFX "up.%d.upsample.conv", lv);
            walk_conv(wk, &v->upconv[lv], c, c, 3, name);
        } else {
            v->upconv[0].w = v->upconv[0].b = NULL;
        }
    }
    walk_gn(wk, &v->norm_out, 128, VAE_PFX "norm_out");
    walk_conv(wk, &v->conv_out, 1, 128, 3, VAE_PFX "conv_out");
}

static int conv(voc_state *s, const voc_conv *c, const float *x, int H, int W, float *y,
                sc_err *err)
{
    VOC_TRY(s, err,
            s->be->conv2d(s->bx, x, c->cin, H, W, c->w, c->b, c->cout, c->k, c->k, 1,
                          c->k / 2, y),
            "conv2d");
    return SC_OK;
}

/* ResnetBlock: out = shortcut(x) + conv2(silu(gn2(conv1(silu(gn1(x)))))).
 * x is left intact unless out == x is requested (it is not); t, h, h2 are
 * scratch of max(cin, cout) * HW floats. */
static int resblock(voc_state *s, const voc_res2d *r, const float *x, int H, int W, float *out,
                    float *t, float *h, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    int HW = H * W;
    VOC_TRY(s, err,
            be->groupnorm(s->bx, x, r->cin, HW, GN_GROUPS, r->n1.g, r->n1.b, GN_EPS, 1, t),
            "groupnorm");
    if (conv(s, &r->c1, t, H, W, h, err))
        return err->code;
    VOC_TRY(s, err,
            be->groupnorm(s->bx, h, r->cout, HW, GN_GROUPS, r->n2.g, r->n2.b, GN_EPS, 1, h),
            "groupnorm");
    if (conv(s, &r->c2, h, H, W, t, err))
        return err->code;
    const float *sc = x;
    if (r->nin.w) {
        if (conv(s, &r->nin, x, H, W, h, err))
            return err->code;
        sc = h;
    }
    VOC_TRY(s, err, be->binary(s->bx, SC_BIN_ADD, sc, t, (int64_t)r->cout * HW, out), "add");
    return SC_OK;
}

/* AttnBlock(512): x + proj_out(attention(q, k, v)) over HW positions,
 * single head, scale 512^-1/2.  q/k/v are computed straight into the
 * sequence-major [HW, C] layout the attention op wants.  v may be `out`
 * (it is dead before out is written). */
static int attn(voc_state *s, const float *x, int HW, float *out, float *t, float *q, float *k,
                float *v, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const voc_vae *m = &s->vae;
    const int C = 512;
    VOC_TRY(s, err,
            be->groupnorm(s->bx, x, C, HW, GN_GROUPS, m->attn_norm.g, m->attn_norm.b, GN_EPS,
                          0, t),
            "groupnorm");
    const voc_conv *pc[3] = { &m->q, &m->k, &m->v };
    float *dst[3] = { q, k, v };
    for (int i = 0; i < 3; i++) {
        /* dst[HW, C] = t^T [HW, C] . W^T [C, C] */
        VOC_TRY(s, err,
                be->gemm(s->bx, 1, 1, HW, C, C, 1.0f, t, HW, pc[i]->w, C, 0.0f, dst[i], C),
                "gemm");
        VOC_TRY(s, err, be->bias(s->bx, dst[i], HW, C, pc[i]->b, 0, dst[i]), "bias");
    }
    /* o lands in t ([HW, C]). */
    VOC_TRY(s, err,
            be->attention(s->bx, q, C, k, C, v, C, t, C, 1, HW, HW, C,
                          (float)0.044194173824159216 /* 512 ** -0.5 */),
            "attention");
    /* q <- proj_out(o) as [C, HW]: W [C, C] . o^T */
    VOC_TRY(s, err, be->gemm(s->bx, 0, 1, C, HW, C, 1.0f, m->proj.w, C, t, C, 0.0f, q, HW),
            "gemm");
    VOC_TRY(s, err, be->bias(s->bx, q, C, HW, m->proj.b, 1, q), "bias");
    VOC_TRY(s, err, be->binary(s->bx, SC_BIN_ADD, x, q, (int64_t)C * HW, out), "add");
    return SC_OK;
}

int voc_vae_run(voc_state *s, const float *z_dev, int zh, float *mel_dev, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    const voc_vae *m = &s->vae;
    int H = zh, W = SC_VOC_ZW;
    /* Largest activation: 256 channels at full resolution (16 zh * 64). */
    size_t need = (size_t)256 * (4 * (size_t)zh) * 64;
    if (voc_bufs_reserve(s, need, err))
        return err->code;
    float **B = s->bufs.p;
    float *x = B[0], *y = B[1], *t = B[2], *h = B[3];

    /* z * (1/scale_factor), then post_quant_conv. */
    int64_t nz = (int64_t)SC_VOC_ZC * H * W;
    VOC_TRY(s, err, be->scale(s->bx, z_dev, nz, m->inv_scale, 0.0f, t), "scale");
    if (conv(s, &m->pqc, t, H, W, h, err) || conv(s, &m->conv_in, h, H, W, x, err))
        return err->code;

    if (resblock(s, &m->mid1, x, H, W, y, t, h, err))
        return err->code;
    /* The attention output buffer x doubles as the v scratch. */
    if (attn(s, y, H * W, x, t, h, B[4], x, err))
        return err->code;
    if (resblock(s, &m->mid2, x, H, W, y, t, h, err))
        return err->code;
    float *cur = y, *nxt = x;

    for (int lv = 2; lv >= 0; lv--) {
        for (int b = 0; b < 3; b++) {
            if (resblock(s, &m->up[lv][b], cur, H, W, nxt, t, h, err))
                return err->code;
            float *sw = cur; cur = nxt; nxt = sw;
        }
        if (lv != 0) {
            int c = m->upconv[lv].cin;
            VOC_TRY(s, err, be->upsample2x(s->bx, cur, c, H, W, t), "upsample2x");
            H *= 2;
            W *= 2;
            if (conv(s, &m->upconv[lv], t, H, W, nxt, err))
                return err->code;
            float *sw = cur; cur = nxt; nxt = sw;
        }
    }
    VOC_TRY(s, err,
            be->groupnorm(s->bx, cur, 128, H * W, GN_GROUPS, m->norm_out.g, m->norm_out.b,
                          GN_EPS, 1, t),
            "groupnorm");
    return conv(s, &m->conv_out, t, H, W, mel_dev, err);
}
