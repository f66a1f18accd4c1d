/* plugins/semantic/audiomae.c - AudioMAE ViT-B encoder as SemantiCodec uses
 * it (ARCHITECTURE.md §3): non-overlapping 16x16 patch embedding as
 * reshape + GEMM, time-major patches, checkpoint pos_embed, cls prepended,
 * 12 pre-norm blocks, output = (LN(x9) + LN(x10) + LN(x11)) / 3.
 * All arithmetic goes through the backend op table; several windows are
 * run together so the GEMMs see B*513 rows.
 */
#include <stdio.h>
#include <string.h>
#include "semantic.h"

const sem_param sem_block_params[BP_COUNT] = {
    [BP_N1W] = {"norm1.weight", 1, {SC_SEM_DIM}},
    [BP_N1B] = {"norm1.bias", 1, {SC_SEM_DIM}},
    [BP_QKVW] = {"attn.qkv.weight", 2, {SEM_QKV, SC_SEM_DIM}},
    [BP_QKVB] = {"attn.qkv.bias", 1, {SEM_QKV}},
    [BP_PW] = {"attn.proj.weight", 2, {SC_SEM_DIM, SC_SEM_DIM}},
    [BP_PB] = {"attn.proj.bias", 1, {SC_SEM_DIM}},
    [BP_N2W] = {"norm2.weight", 1, {SC_SEM_DIM}},
    [BP_N2B] = {"norm2.bias", 1, {SC_SEM_DIM}},
    [BP_F1W] = {"mlp.fc1.weight", 2, {SEM_MLP, SC_SEM_DIM}},
    [BP_F1B] = {"mlp.fc1.bias", 1, {SEM_MLP}},
    [BP_F2W] = {"mlp.fc2.weight", 2, {SC_SEM_DIM, SEM_MLP}},
    [BP_F2B] = {"mlp.fc2.bias", 1, {SC_SEM_DIM}},
};

const sem_param sem_top_params[TP_COUNT] = {
    [TP_CLS] = {"cls_token", 3, {1, 1, SC_SEM_DIM}},
    [TP_POS] = {"pos_embed", 3, {1, SC_SEM_ROWS, SC_SEM_DIM}},
    [TP_PEW] = {"patch_embed.proj.weight", 4, {SC_SEM_DIM, 1, SEM_PATCH, SEM_PATCH}},
    [TP_PEB] = {"patch_embed.proj.bias", 1, {SC_SEM_DIM}},
    [TP_NW] = {"norm.weight", 1, {SC_SEM_DIM}},
    [TP_NB] = {"norm.bias", 1, {SC_SEM_DIM}},
};

void sem_walk_audiomae(sc_walk *w, sem_stage *s)
{
    char key[128];
    for (int i = 0; i < TP_COUNT; i++) {
        const sem_param *p = &sem_top_params[i];
        snprintf(key, sizeof key, "audiomae.model.%s", p->name);
        const float *t = sc_walk_weight(w, key, p->ndim, p->shape);
        if (s)
            s->top[i] = t;
    }
    for (int b = 0; b < SEM_DEPTH; b++)
        for (int i = 0; i < BP_COUNT; i++) {
            const sem_param *p = &sem_block_params[i];
            snprintf(key, sizeof key, "audiomae.model.blocks.%d.%s", b, p->name);
            const float *t = sc_walk_weight(w, key, p->ndim, p->shape);
            if (s)
                s->blk[b][i] = t;
        }
}

int sem_load_audiomae(sem_stage *s, sc_err *err)
{
    if (s->loaded)
        return SC_OK;
    sc_walk w = sc_walk_load(&s->env, err);
    sem_walk_audiomae(&w, s);
    if (w.rc == SC_OK)
        s->loaded = 1;
    return w.rc;
}

static void free_buf(sem_stage *s, float **p)
{
    if (*p)
        s->be->buf_free(s->bx, *p);
    *p = NULL;
}

static float *alloc_f(sem_stage *s, size_t count, sc_err *err)
{
    float *p = s->be->buf_alloc(s->bx, count * sizeof(float));
    if (!p)
        s->host->err_set(err, SC_ENOMEM, "semantic stage: cannot allocate %zu MiB of activations",
                         count * sizeof(float) >> 20);
    return p;
}

int sem_audiomae_alloc(sem_stage *s, int nwin, sc_err *err)
{
    if (nwin <= s->cap)
        return SC_OK;
    free_buf(s, &s->x);
    free_buf(s, &s->a);
    free_buf(s, &s->qkv);
    free_buf(s, &s->att);
    free_buf(s, &s->tmp);
    free_buf(s, &s->h);
    free_buf(s, &s->acc);
    s->cap = 0;
    size_t r = (size_t)nwin * SC_SEM_ROWS;
    /* The raw windows (1024x128) live in qkv and the patches (512x256) in h
     * before the blocks run: both fit. */
    if (!(s->x = alloc_f(s, r * SC_SEM_DIM, err)) || !(s->a = alloc_f(s, r * SC_SEM_DIM, err)) ||
        !(s->qkv = alloc_f(s, r * SEM_QKV, err)) || !(s->att = alloc_f(s, r * SC_SEM_DIM, err)) ||
        !(s->tmp = alloc_f(s, r * SC_SEM_DIM, err)) || !(s->h = alloc_f(s, r * SEM_MLP, err)) ||
        !(s->acc = alloc_f(s, r * SC_SEM_DIM, err)))
        return SC_ENOMEM;
    s->cap = nwin;
    return SC_OK;
}

/* Patch embedding of window w: X [1024, 128] (backend) -> rows 1..512 of x. */
static int patch_embed(sem_stage *s, const float *X, float *P, float *xw, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    /* im2col: patch p = 8t + f, column 16u + v holds X[16t + u][16f + v].
     * For fixed (u, f) the 64 time patches are a strided 64x16 block. */
    for (int u = 0; u < SEM_PATCH; u++)
        for (int f = 0; f < SC_SEM_MELS / SEM_PATCH; f++)
            SEM_OP(s, err, be->copy2d(s->bx, X + u * SC_SEM_MELS + f * SEM_PATCH,
                                      SEM_PATCH * SC_SEM_MELS, P + f * SEM_PATCH_AREA + u * SEM_PATCH,
                                      8 * SEM_PATCH_AREA, 64, SEM_PATCH));
    SEM_OP(s, err, be->linear(s->bx, P, SEM_PATCH_AREA, SC_SEM_PATCHES, SEM_PATCH_AREA,
                              s->top[TP_PEW], s->top[TP_PEB], SC_SEM_DIM, xw + SC_SEM_DIM,
                              SC_SEM_DIM));
    /* cls row, then the whole table (its row 0 belongs to the cls token). */
    SEM_OP(s, err, be->copy2d(s->bx, s->top[TP_CLS], SC_SEM_DIM, xw, SC_SEM_DIM, 1, SC_SEM_DIM));
    SEM_OP(s, err, be->binary(s->bx, SC_BIN_ADD, xw, s->top[TP_POS],
                              (int64_t)SC_SEM_ROWS * SC_SEM_DIM, xw));
    return SC_OK;
}

int sem_audiomae_run(sem_stage *s, int nwin, const float *fbank, sc_err *err)
{
    const sc_backend_vt *be = s->be;
    void *bx = s->bx;
    int rc;
    if ((rc = sem_load_audiomae(s, err)) != SC_OK || (rc = sem_audiomae_alloc(s, nwin, err)) != SC_OK)
        return rc;

    const size_t win = (size_t)SC_SEM_FRAMES * SC_SEM_MELS;
    const int R = nwin * SC_SEM_ROWS;
    const int64_t RD = (int64_t)R * SC_SEM_DIM;
    float *X = s->qkv, *P = s->h;
    SEM_OP(s, err, be->upload(bx, X, fbank, win * nwin * sizeof(float)));
    for (int w = 0; w < nwin; w++)
        if ((rc = patch_embed(s, X + w * win, P + (size_t)w * SC_SEM_PATCHES * SEM_PATCH_AREA,
                              s->x + (size_t)w * SC_SEM_ROWS * SC_SEM_DIM, err)) != SC_OK)
            return rc;

    for (int b = 0; b < SEM_DEPTH; b++) {
        const float *const *p = s->blk[b];
        SEM_OP(s, err, be->layernorm(bx, s->x, R, SC_SEM_DIM, p[BP_N1W], p[BP_N1B], SEM_LN_EPS, s->a));
        SEM_OP(s, err, be->linear(bx, s->a, SC_SEM_DIM, R, SC_SEM_DIM, p[BP_QKVW], p[BP_QKVB],
                                  SEM_QKV, s->qkv, SEM_QKV));
        for (int w = 0; w < nwin; w++) {
            const float *q = s->qkv + (size_t)w * SC_SEM_ROWS * SEM_QKV;
            SEM_OP(s, err, be->attention(bx, q, SEM_QKV, q + SC_SEM_DIM, SEM_QKV,
                                         q + 2 * SC_SEM_DIM, SEM_QKV,
                                         s->att + (size_t)w * SC_SEM_ROWS * SC_SEM_DIM, SC_SEM_DIM,
                                         SEM_HEADS, SC_SEM_ROWS, SC_SEM_ROWS,
                                         SC_SEM_DIM / SEM_HEADS, 0.125f));
        }
        SEM_OP(s, err, be->linear(bx, s->att, SC_SEM_DIM, R, SC_SEM_DIM, p[BP_PW], p[BP_PB],
                                  SC_SEM_DIM, s->tmp, SC_SEM_DIM));
        SEM_OP(s, err, be->binary(bx, SC_BIN_ADD, s->x, s->tmp, RD, s->x));
        SEM_OP(s, err, be->layernorm(bx, s->x, R, SC_SEM_DIM, p[BP_N2W], p[BP_N2B], SEM_LN_EPS, s->a));
        SEM_OP(s, err, be->linear(bx, s->a, SC_SEM_DIM, R, SC_SEM_DIM, p[BP_F1W], p[BP_F1B],
                                  SEM_MLP, s->h, SEM_MLP));
        SEM_OP(s, err, be->act(bx, SC_ACT_GELU, 0.0f, s->h, (int64_t)R * SEM_MLP, s->h));
        SEM_OP(s, err, be->linear(bx, s->h, SEM_MLP, R, SEM_MLP, p[BP_F2W], p[BP_F2B],
                                  SC_SEM_DIM, s->tmp, SC_SEM_DIM));
        SEM_OP(s, err, be->binary(bx, SC_BIN_ADD, s->x, s->tmp, RD, s->x));

        if (b > SEM_CONTEXT_DEPTH) {
            /* The reference stacks LN(x_b) and takes the mean: a sum in
             * block order, then / 3. */
            float *dst = b == SEM_CONTEXT_DEPTH + 1 ? s->acc : s->a;
            SEM_OP(s, err, be->layernorm(bx, s->x, R, SC_SEM_DIM, s->top[TP_NW], s->top[TP_NB],
                                         SEM_LN_EPS, dst));
            if (dst != s->acc)
                SEM_OP(s, err, be->binary(bx, SC_BIN_ADD, s->acc, s->a, RD, s->acc));
        }
    }
    SEM_OP(s, err, be->scale(bx, s->acc, RD, 1.0f / (SEM_DEPTH - SEM_CONTEXT_DEPTH - 1), 0.0f,
                             s->acc));
    return SC_OK;
}
