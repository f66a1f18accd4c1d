/* plugins/decoder/unet.c - the T-UNet of the latent diffusion decoder
 * (ARCHITECTURE.md §7): weights, cross-attention K/V, forward pass.
 *
 * Layouts: feature maps are [C, H*W] (row = channel, time-major pixels,
 * H = time, W = frequency); transformer tokens are [H*W, C].  proj_in and
 * proj_out are 1x1 convolutions done as GEMMs that also transpose between
 * the two layouts.  Skip concatenation [h, skip] along channels is two
 * row-block copies.
 *
 * The forward pass is split at the first cross-attention: input blocks
 * 0..3 and the ResBlock and first (context-free) transformer of block 4 do
 * not depend on the context, so the sampler runs that head once per step
 * and the tail once per context (conditional and unconditional): same
 * operations on the same inputs, hence the same bits, for about a tenth
 * less work.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ldm.h"

#define UNET_PREFIX "model.diffusion_model."
#define GN_EPS 1e-5f      /* ResBlocks and out.0 (GroupNorm32) */
#define ST_GN_EPS 1e-6f   /* SpatialTransformer.norm */
#define LN_EPS 1e-5f
#define HEAD_DIM 32

/* ---- weights -------------------------------------------------------- */

/* [to_q; to_k; to_v] of one self-attention as one [3c, c] weight, so the
 * three projections are a single GEMM. */
static const float *fused_qkv(sc_walk *L, ldm_unet *net, int c, const char *pre)
{
    const int64_t shape[2] = {c, c};
    static const char *const part[3] = {"to_q", "to_k", "to_v"};
    const float *src[3];
    char key[256];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s%s.%s.weight", UNET_PREFIX, pre, part[i]);
        src[i] = sc_walk_host(L, key, 2, shape);
    }
    if (L->need || L->rc)
        return NULL;
    size_t n = (size_t)c * c;
    float *f = net->nowned < 64 ? malloc(3 * n * sizeof(float)) : NULL;
    if (!f) {
        L->rc = L->env->host->err_set(L->err, SC_ENOMEM, "decoder: out of memory");
        return NULL;
    }
    net->owned[net->nowned++] = f;
    for (int i = 0; i < 3; i++)
        memcpy(f + i * n, src[i], n * sizeof(float));
    const float *d = L->env->be->weight(L->env->be_ctx, f, 3 * n);
    if (!d)
        L->rc = L->env->host->err_set(L->err, SC_ENOMEM, "decoder: backend cannot hold %s", pre);
    return d;
}

void ldm_unet_free(ldm_unet *net)
{
    for (int i = 0; i < net->nowned; i++)
        free(net->owned[i]);
    net->nowned = 0;
}

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define NDIM(...) ((int)(sizeof(SHAPE(__VA_ARGS__)) / sizeof(int64_t)))
#define W_(L, pre, suffix, ...) \
    sc_walk_weightf(L, NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__), UNET_PREFIX "%s" suffix, pre)

static void build_rb(sc_walk *L, ldm_unet *net, ldm_rb *rb, int cin, int cout,
                     const char *pre)
{
    rb->cin = cin;
    rb->cout = cout;
    rb->n1g = W_(L, pre, ".in_layers.0.weight", cin);
    rb->n1b = W_(L, pre, ".in_layers.0.bias", cin);
    rb->c1.w = W_(L, pre, ".in_layers.2.weight", cout, cin, 3, 3);
    rb->c1.b = W_(L, pre, ".in_layers.2.bias", cout);
    rb->ew = W_(L, pre, ".emb_layers.1.weight", cout, 256);
    rb->eb = W_(L, pre, ".emb_layers.1.bias", cout);
    rb->n2g = W_(L, pre, ".out_layers.0.weight", cout);
    rb->n2b = W_(L, pre, ".out_layers.0.bias", cout);
    rb->c2.w = W_(L, pre, ".out_layers.3.weight", cout, cout, 3, 3);
    rb->c2.b = W_(L, pre, ".out_layers.3.bias", cout);
    if (cin != cout) {
        rb->skip.w = W_(L, pre, ".skip_connection.weight", cout, cin, 1, 1);
        rb->skip.b = W_(L, pre, ".skip_connection.bias", cout);
    } else {
        rb->skip.w = rb->skip.b = NULL;
    }
    rb->emb_off = net->emb_total;
    net->emb_total += (cout + 15) & ~15;
    if (net->nrb < LDM_MAXRB)
        net->rbs[net->nrb++] = rb;
}

static void build_st(sc_walk *L, ldm_unet *net, ldm_st *st, int c, int cross,
                     const char *pre)
{
    char b[200], key[240];
    snprintf(b, sizeof b, "%s.transformer_blocks.0", pre);
    int kd = cross ? net->Dc : c;
    st->c = c;
    st->cross = cross;
    st->slot = -1;
    st->ng = W_(L, pre, ".norm.weight", c);
    st->nb = W_(L, pre, ".norm.bias", c);
    st->pin.w = W_(L, pre, ".proj_in.weight", c, c, 1, 1);
    st->pin.b = W_(L, pre, ".proj_in.bias", c);
    snprintf(key, sizeof key, "%s.attn1", b);
    st->qkv1 = fused_qkv(L, net, c, key);
    st->o1w = W_(L, b, ".attn1.to_out.0.weight", c, c);
    st->o1b = W_(L, b, ".attn1.to_out.0.bias", c);
    if (cross) {
        st->q2 = W_(L, b, ".attn2.to_q.weight", c, c);
        st->k2 = W_(L, b, ".attn2.to_k.weight", c, kd);
        st->v2 = W_(L, b, ".attn2.to_v.weight", c, kd);
    } else {
        snprintf(key, sizeof key, "%s.attn2", b);
        st->qkv2 = fused_qkv(L, net, c, key);
    }
    st->o2w = W_(L, b, ".attn2.to_out.0.weight", c, c);
    st->o2b = W_(L, b, ".attn2.to_out.0.bias", c);
    st->f1w = W_(L, b, ".ff.net.0.proj.weight", 8 * c, c);
    st->f1b = W_(L, b, ".ff.net.0.proj.bias", 8 * c);
    st->f2w = W_(L, b, ".ff.net.2.weight", c, 4 * c);
    st->f2b = W_(L, b, ".ff.net.2.bias", c);
    st->l1g = W_(L, b, ".norm1.weight", c);
    st->l1b = W_(L, b, ".norm1.bias", c);
    st->l2g = W_(L, b, ".norm2.weight", c);
    st->l2b = W_(L, b, ".norm2.bias", c);
    st->l3g = W_(L, b, ".norm3.weight", c);
    st->l3b = W_(L, b, ".norm3.bias", c);
    st->pout.w = W_(L, pre, ".proj_out.weight", c, c, 1, 1);
    st->pout.b = W_(L, pre, ".proj_out.bias", c);
    if (cross && net->nslots < LDM_NSLOTS) {
        st->slot = net->nslots;
        net->slot_c[net->nslots] = c;
        net->slot_off[net->nslots] = net->kv_floats;
        net->kv_floats += 2 * (size_t)net->W * (size_t)c;
        net->nslots++;
    }
}

static void build_conv3(sc_walk *L, ldm_conv *cv, int cin, int cout, const char *pre)
{
    cv->w = W_(L, pre, ".weight", cout, cin, 3, 3);
    cv->b = W_(L, pre, ".bias", cout);
}

/* channel_mult [1, 2, 3, 5] x 64, attention at levels 1..3 */
static const int level_ch[4] = {64, 128, 192, 320};

int ldm_unet_build(sc_walk *L, ldm_unet *net)
{
    const sc_model_info *m = L->model;
    char pre[128];
    memset(net, 0, sizeof *net);
    if (m->K < 1 || 512 % m->K || m->fd != 768 * m->K)
        return L->rc = SC_EARG;
    net->W = 512 / m->K;
    net->Dc = 2 * m->fd + SC_DEC_PE_DIM;
    net->te0w = W_(L, "", "time_embed.0.weight", 256, 64);
    net->te0b = W_(L, "", "time_embed.0.bias", 256);
    net->te2w = W_(L, "", "time_embed.2.weight", 256, 256);
    net->te2b = W_(L, "", "time_embed.2.bias", 256);

    /* input blocks */
    int ch = 64, h = SC_DEC_ZH, w = SC_DEC_ZW, idx = 0;
    ldm_block *b = &net->in[idx++];
    b->kind = LDM_BLK_CONV;
    b->cin = SC_DEC_ZC;
    b->cout = ch;
    b->h = h;
    b->w = w;
    build_conv3(L, &b->conv, SC_DEC_ZC, ch, "input_blocks.0.0");
    for (int lev = 0; lev < 4; lev++) {
        for (int r = 0; r < 2; r++) {
            int co = level_ch[lev];
            b = &net->in[idx];
            b->kind = lev ? LDM_BLK_RBST : LDM_BLK_RB;
            b->cin = ch;
            b->cout = co;
            b->h = h;
            b->w = w;
            snprintf(pre, sizeof pre, "input_blocks.%d.0", idx);
            build_rb(L, net, &b->rb, ch, co, pre);
            if (lev) {
                b->nst = 2;
                snprintf(pre, sizeof pre, "input_blocks.%d.1", idx);
                build_st(L, net, &b->st[0], co, 0, pre);
                snprintf(pre, sizeof pre, "input_blocks.%d.2", idx);
                build_st(L, net, &b->st[1], co, 1, pre);
            }
            ch = co;
            idx++;
        }
        if (lev < 3) {
            b = &net->in[idx];
            b->kind = LDM_BLK_DOWN;
            b->cin = b->cout = ch;
            b->h = h;
            b->w = w;
            snprintf(pre, sizeof pre, "input_blocks.%d.0.op", idx);
            build_conv3(L, &b->conv, ch, ch, pre);
            h /= 2;
            w /= 2;
            idx++;
        }
    }

    /* middle block */
    b = &net->mid;
    b->kind = LDM_BLK_MID;
    b->cin = b->cout = ch;
    b->h = h;
    b->w = w;
    build_rb(L, net, &b->rb, ch, ch, "middle_block.0");
    b->nst = 2;
    build_st(L, net, &b->st[0], ch, 0, "middle_block.1");
    build_st(L, net, &b->st[1], ch, 1, "middle_block.2");
    build_rb(L, net, &b->rb2, ch, ch, "middle_block.3");

    /* output blocks: pop the skips in reverse order */
    int skip_ch[12];
    for (int i = 0; i < 12; i++)
        skip_ch[i] = net->in[i].cout;
    idx = 0;
    for (int lev = 3; lev >= 0; lev--) {
        for (int r = 0; r < 3; r++) {
            int co = level_ch[lev], sc = skip_ch[11 - idx];
            b = &net->out[idx];
            b->kind = LDM_BLK_OUT;
            b->cin = ch + sc;
            b->cout = co;
            b->h = h;
            b->w = w;
            snprintf(pre, sizeof pre, "output_blocks.%d.0", idx);
            build_rb(L, net, &b->rb, ch + sc, co, pre);
            int k = 1;
            if (lev) {
                b->nst = 2;
                snprintf(pre, sizeof pre, "output_blocks.%d.1", idx);
                build_st(L, net, &b->st[0], co, 0, pre);
                snprintf(pre, sizeof pre, "output_blocks.%d.2", idx);
                build_st(L, net, &b->st[1], co, 1, pre);
                k = 3;
            }
            ch = co;
            if (lev && r == 2) {
                b->up = 1;
                snprintf(pre, sizeof pre, "output_blocks.%d.%d.conv", idx, k);
                build_conv3(L, &b->conv, ch, ch, pre);
                h *= 2;
                w *= 2;
            }
            idx++;
        }
    }
    net->og = W_(L, "", "out.0.weight", 64);
    net->ob = W_(L, "", "out.0.bias", 64);
    build_conv3(L, &net->oconv, 64, SC_DEC_ZC, "out.2");
    if (!L->rc && (net->nslots != LDM_NSLOTS || net->nrb > LDM_MAXRB))
        L->rc = SC_EINTERNAL;
    return L->rc;
}

/* ---- forward -------------------------------------------------------- */

#define RUN(r, call)                                                                      \
    do {                                                                                  \
        if (!(r)->measure && !(r)->rc) {                                                  \
            int rc_ = (r)->be->call;                                                      \
            if (rc_)                                                                      \
                (r)->rc = rc_;                                                            \
        }                                                                                 \
    } while (0)
#define BC(r) (r)->bc

static float *al(ldm_run *r, size_t n)
{
    size_t o = r->off;
    r->off += (n + 15) & ~(size_t)15;   /* 64-byte aligned slices */
    if (r->off > r->peak)
        r->peak = r->off;
    if (r->measure)
        return (float *)(uintptr_t)(64 + o * sizeof(float));   /* never dereferenced */
    if (r->off > r->cap) {
        if (!r->rc)
            r->rc = SC_EINTERNAL;
        return r->base;
    }
    return r->base + o;
}

/* y[cout, HW] = W[cout, cin] x[cin, HW] + b  (a 1x1 convolution) */
static void conv1x1(ldm_run *r, const float *x, int cin, int HW, const ldm_conv *cv, int cout,
                    float *y)
{
    RUN(r, gemm(BC(r), 0, 0, cout, HW, cin, 1.0f, cv->w, cin, x, HW, 0.0f, y, HW));
    RUN(r, bias(BC(r), y, cout, HW, cv->b, 1, y));
}

static float *resblock(ldm_run *r, const ldm_rb *b, const float *x, int H, int Wd,
                       const float *embv)
{
    int L = H * Wd, cin = b->cin, cout = b->cout;
    float *out = al(r, (size_t)cout * L);
    size_t mark = r->off;
    float *t = al(r, (size_t)(cin > cout ? cin : cout) * L);
    float *h = al(r, (size_t)cout * L);
    RUN(r, groupnorm(BC(r), x, cin, L, 32, b->n1g, b->n1b, GN_EPS, 1, t));
    RUN(r, conv2d(BC(r), t, cin, H, Wd, b->c1.w, b->c1.b, cout, 3, 3, 1, 1, h));
    RUN(r, bias(BC(r), h, cout, L, embv + b->emb_off, 1, h));
    RUN(r, groupnorm(BC(r), h, cout, L, 32, b->n2g, b->n2b, GN_EPS, 1, t));
    RUN(r, conv2d(BC(r), t, cout, H, Wd, b->c2.w, b->c2.b, cout, 3, 3, 1, 1, h));
    if (b->skip.w) {
        conv1x1(r, x, cin, L, &b->skip, cout, out);
        RUN(r, binary(BC(r), SC_BIN_ADD, out, h, (int64_t)cout * L, out));
    } else {
        RUN(r, binary(BC(r), SC_BIN_ADD, x, h, (int64_t)cout * L, out));
    }
    r->off = mark;
    return out;
}

/* kv: this transformer's cached context K/V (cross) or NULL (self). */
static float *transformer(ldm_run *r, const ldm_unet *net, const ldm_st *s, const float *x,
                          int H, int Wd, const float *kv)
{
    int c = s->c, L = H * Wd, heads = c / HEAD_DIM;
    const float scale = (float)(1.0 / sqrt((double)HEAD_DIM));
    size_t n = (size_t)c * L;
    float *out = al(r, n);
    size_t mark = r->off;
    float *xn = al(r, n), *u = al(r, n), *ln = al(r, n), *qkv = al(r, 3 * n);
    float *o = al(r, n), *t = al(r, n);
    float *ff = al(r, 8 * n), *g = al(r, 4 * n);

    RUN(r, groupnorm(BC(r), x, c, L, 32, s->ng, s->nb, ST_GN_EPS, 0, xn));
    /* proj_in (1x1 conv) straight into token layout: u[L, c] = xn^T Wp^T + b */
    RUN(r, gemm(BC(r), 1, 1, L, c, c, 1.0f, xn, L, s->pin.w, c, 0.0f, u, c));
    RUN(r, bias(BC(r), u, L, c, s->pin.b, 0, u));

    /* attn1: self-attention */
    RUN(r, layernorm(BC(r), u, L, c, s->l1g, s->l1b, LN_EPS, ln));
    RUN(r, linear(BC(r), ln, c, L, c, s->qkv1, NULL, 3 * c, qkv, 3 * c));
    RUN(r, attention(BC(r), qkv, 3 * c, qkv + c, 3 * c, qkv + 2 * c, 3 * c, o, c, heads, L, L,
                     HEAD_DIM, scale));
    RUN(r, linear(BC(r), o, c, L, c, s->o1w, s->o1b, c, t, c));
    RUN(r, binary(BC(r), SC_BIN_ADD, t, u, (int64_t)n, u));

    /* attn2: cross-attention on the cached context K/V, or a second
     * self-attention with its own weights */
    RUN(r, layernorm(BC(r), u, L, c, s->l2g, s->l2b, LN_EPS, ln));
    if (s->cross) {
        const float *ck = kv + net->slot_off[s->slot];
        const float *cv = ck + (size_t)net->W * c;
        RUN(r, linear(BC(r), ln, c, L, c, s->q2, NULL, c, qkv, c));
        RUN(r, attention(BC(r), qkv, c, ck, c, cv, c, o, c, heads, L, net->W, HEAD_DIM, scale));
    } else {
        RUN(r, linear(BC(r), ln, c, L, c, s->qkv2, NULL, 3 * c, qkv, 3 * c));
        RUN(r, attention(BC(r), qkv, 3 * c, qkv + c, 3 * c, qkv + 2 * c, 3 * c, o, c, heads, L,
                         L, HEAD_DIM, scale));
    }
    RUN(r, linear(BC(r), o, c, L, c, s->o2w, s->o2b, c, t, c));
    RUN(r, binary(BC(r), SC_BIN_ADD, t, u, (int64_t)n, u));

    /* GEGLU feed-forward */
    RUN(r, layernorm(BC(r), u, L, c, s->l3g, s->l3b, LN_EPS, ln));
    RUN(r, linear(BC(r), ln, c, L, c, s->f1w, s->f1b, 8 * c, ff, 8 * c));
    RUN(r, geglu(BC(r), ff, L, 4 * c, g));
    RUN(r, linear(BC(r), g, 4 * c, L, 4 * c, s->f2w, s->f2b, c, t, c));
    RUN(r, binary(BC(r), SC_BIN_ADD, t, u, (int64_t)n, u));

    /* proj_out (1x1 conv) back to [c, L], then the residual */
    RUN(r, gemm(BC(r), 0, 1, c, L, c, 1.0f, s->pout.w, c, u, c, 0.0f, out, L));
    RUN(r, bias(BC(r), out, c, L, s->pout.b, 1, out));
    RUN(r, binary(BC(r), SC_BIN_ADD, out, x, (int64_t)n, out));
    r->off = mark;
    return out;
}

static float *conv3(ldm_run *r, const float *x, int cin, int H, int Wd, const ldm_conv *cv,
                    int cout, int stride)
{
    int Ho = (H + 2 - 3) / stride + 1, Wo = (Wd + 2 - 3) / stride + 1;
    float *y = al(r, (size_t)cout * Ho * Wo);
    RUN(r, conv2d(BC(r), x, cin, H, Wd, cv->w, cv->b, cout, 3, 3, stride, 1, y));
    return y;
}

static float *upsample(ldm_run *r, const float *x, int C, int H, int Wd, const ldm_conv *cv)
{
    float *u = al(r, (size_t)C * 4 * H * Wd);
    RUN(r, upsample2x(BC(r), x, C, H, Wd, u));
    return conv3(r, u, C, 2 * H, 2 * Wd, cv, C, 1);
}

int ldm_unet_embed(ldm_run *r, const ldm_unet *net, float t, float *tmp, float *embv)
{
    float temb[64];
    ldm_timestep_embedding(t, temb);
    float *e0 = tmp, *e1 = tmp + 64, *e2 = e1 + 256, *se = e2 + 256;
    RUN(r, upload(BC(r), e0, temb, sizeof temb));
    RUN(r, linear(BC(r), e0, 64, 1, 64, net->te0w, net->te0b, 256, e1, 256));
    RUN(r, act(BC(r), SC_ACT_SILU, 0.0f, e1, 256, e1));
    RUN(r, linear(BC(r), e1, 256, 1, 256, net->te2w, net->te2b, 256, e2, 256));
    /* emb_layers = SiLU then Linear, inside every ResBlock */
    RUN(r, act(BC(r), SC_ACT_SILU, 0.0f, e2, 256, se));
    for (int i = 0; i < net->nrb; i++) {
        const ldm_rb *b = net->rbs[i];
        RUN(r, linear(BC(r), se, 256, 1, 256, b->ew, b->eb, b->cout, embv + b->emb_off,
                      b->cout));
    }
    return r->rc;
}

static void kv_one(ldm_run *r, const ldm_unet *net, const ldm_st *s, const float *ctx, float *kv)
{
    if (!s->cross)
        return;
    int c = s->c;
    float *k = kv + net->slot_off[s->slot], *v = k + (size_t)net->W * c;
    RUN(r, linear(BC(r), ctx, net->Dc, net->W, net->Dc, s->k2, NULL, c, k, c));
    RUN(r, linear(BC(r), ctx, net->Dc, net->W, net->Dc, s->v2, NULL, c, v, c));
}

int ldm_unet_kv(ldm_run *r, const ldm_unet *net, const float *ctx, float *kv)
{
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < net->in[i].nst; j++)
            kv_one(r, net, &net->in[i].st[j], ctx, kv);
    for (int j = 0; j < net->mid.nst; j++)
        kv_one(r, net, &net->mid.st[j], ctx, kv);
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < net->out[i].nst; j++)
            kv_one(r, net, &net->out[i].st[j], ctx, kv);
    return r->rc;
}

void ldm_unet_head(ldm_run *r, const ldm_unet *net, const float *x, const float *embv,
                   ldm_head *hd)
{
    const ldm_block *b = net->in;
    float *h = conv3(r, x, SC_DEC_ZC, b[0].h, b[0].w, &b[0].conv, b[0].cout, 1);
    hd->skip[0] = h;
    for (int i = 1; i <= 2; i++)
        hd->skip[i] = h = resblock(r, &b[i].rb, h, b[i].h, b[i].w, embv);
    hd->skip[3] = h = conv3(r, h, b[3].cin, b[3].h, b[3].w, &b[3].conv, b[3].cout, 2);
    h = resblock(r, &b[4].rb, h, b[4].h, b[4].w, embv);
    hd->h4 = transformer(r, net, &b[4].st[0], h, b[4].h, b[4].w, NULL);
}

void ldm_unet_tail(ldm_run *r, const ldm_unet *net, const ldm_head *hd, const float *embv,
                   const float *kv, float *out)
{
    const float *skip[12];
    const ldm_block *b = net->in;
    for (int i = 0; i < 4; i++)
        skip[i] = hd->skip[i];
    const float *h = transformer(r, net, &b[4].st[1], hd->h4, b[4].h, b[4].w, kv);
    skip[4] = h;
    for (int i = 5; i < 12; i++) {
        if (b[i].kind == LDM_BLK_DOWN) {
            h = conv3(r, h, b[i].cin, b[i].h, b[i].w, &b[i].conv, b[i].cout, 2);
        } else {
            h = resblock(r, &b[i].rb, h, b[i].h, b[i].w, embv);
            h = transformer(r, net, &b[i].st[0], h, b[i].h, b[i].w, NULL);
            h = transformer(r, net, &b[i].st[1], h, b[i].h, b[i].w, kv);
        }
        skip[i] = h;
    }
    const ldm_block *m = &net->mid;
    h = resblock(r, &m->rb, h, m->h, m->w, embv);
    h = transformer(r, net, &m->st[0], h, m->h, m->w, NULL);
    h = transformer(r, net, &m->st[1], h, m->h, m->w, kv);
    h = resblock(r, &m->rb2, h, m->h, m->w, embv);

    for (int i = 0; i < 12; i++) {
        const ldm_block *o = &net->out[i];
        int L = o->h * o->w, hc = o->cin - net->in[11 - i].cout, sc = net->in[11 - i].cout;
        float *cat = al(r, (size_t)o->cin * L);
        RUN(r, copy2d(BC(r), h, L, cat, L, hc, L));
        RUN(r, copy2d(BC(r), skip[11 - i], L, cat + (size_t)hc * L, L, sc, L));
        h = resblock(r, &o->rb, cat, o->h, o->w, embv);
        if (o->nst) {
            h = transformer(r, net, &o->st[0], h, o->h, o->w, NULL);
            h = transformer(r, net, &o->st[1], h, o->h, o->w, kv);
        }
        if (o->up)
            h = upsample(r, h, o->cout, o->h, o->w, &o->conv);
    }
    int L = SC_DEC_ZH * SC_DEC_ZW;
    float *t = al(r, (size_t)64 * L);
    RUN(r, groupnorm(BC(r), h, 64, L, 32, net->og, net->ob, GN_EPS, 1, t));
    RUN(r, conv2d(BC(r), t, 64, SC_DEC_ZH, SC_DEC_ZW, net->oconv.w, net->oconv.b, SC_DEC_ZC, 3, 3,
                  1, 1, out));
}
