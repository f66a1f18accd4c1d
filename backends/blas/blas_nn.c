/* backends/blas/blas_nn.c - attention, LSTM and nearest-codeword search:
 * OpenBLAS for the products, the ISA kernels for everything between. */
#include <stdlib.h>
#include <string.h>
#include "blas.h"

/* ---- attention: tasks are (head, block of QB queries) ---- */

#define QB 128

typedef struct att_job {
    const blas_kern *k;
    const float *q, *kk, *v;
    float *o;
    int ldq, ldk, ldv, ldo, Lq, Lk, dh, nqb;
    float scale;
    int fused;            /* the ISA's att_qk / att_pv instead of sgemm */
    int lks;              /* row stride of S: Lk, or Lk rounded up to 64 (fused) */
    float *scratch;
    size_t per_worker;
} att_job;

/* kt [dh][lks] = the keys of one head, transposed, zero past Lk. */
static void att_keys_t(const att_job *j, int h, float *kt)
{
    const float *k = j->kk + (size_t)h * j->dh;
    for (int d = 0; d < j->dh; d++) {
        float *row = kt + (size_t)d * j->lks;
        for (int i = 0; i < j->Lk; i++)
            row[i] = k[(size_t)i * j->ldk + d];
        for (int i = j->Lk; i < j->lks; i++)
            row[i] = 0.0f;
    }
}

static void att_task(void *arg, int64_t b, int64_t e, int w)
{
    const att_job *j = arg;
    float *S = j->scratch + (size_t)w * j->per_worker, *inv = S + (size_t)QB * j->lks;
    float *kt = inv + QB;
    int kt_head = -1;
    for (int64_t t = b; t < e; t++) {
        int h = (int)(t / j->nqb), i0 = (int)(t % j->nqb) * QB;
        int m = j->Lq - i0 < QB ? j->Lq - i0 : QB, off = h * j->dh;
        const float *q = j->q + (size_t)i0 * j->ldq + off;
        float *o = j->o + (size_t)i0 * j->ldo + off;
        if (j->fused) {
            /* tasks of one head are consecutive: transpose its keys once */
            if (kt_head != h)
                att_keys_t(j, h, kt);
            kt_head = h;
            j->k->att_qk(q, (size_t)j->ldq, m, kt, j->lks, j->dh, j->scale, S, (size_t)j->lks);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, j->Lk, j->dh, j->scale, q,
                        j->ldq, j->kk + off, j->ldk, 0.0f, S, j->lks);
        }
        for (int i = 0; i < m; i++) {
            float *row = S + (size_t)i * j->lks;
            float mx = j->k->max(row, (size_t)j->Lk);
            inv[i] = 1.0f / j->k->exp_sum(row, (size_t)j->Lk, mx);
        }
        if (j->fused)
            j->k->att_pv(S, (size_t)j->lks, m, j->Lk, j->v + off, (size_t)j->ldv, j->dh, o,
                         (size_t)j->ldo);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, j->dh, j->Lk, 1.0f, S,
                        j->lks, j->v + off, j->ldv, 0.0f, o, j->ldo);
        /* normalise after PV: dh multiplies per row instead of Lk */
        for (int i = 0; i < m; i++)
            j->k->scale(o + (size_t)i * j->ldo, (size_t)j->dh, inv[i], 0.0f, o + (size_t)i * j->ldo);
    }
}

int sc_blas_attention(void *ctx, const float *q, int ldq, const float *k, int ldk,
                      const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                      int dh, float scale)
{
    blas_ctx *c = ctx;
    if (heads <= 0 || Lq < 0 || Lk <= 0 || dh <= 0 || ldq < heads * dh || ldk < heads * dh ||
        ldv < heads * dh || ldo < heads * dh)
        return SC_EARG;
    if (Lq == 0)
        return SC_OK;
    if (c->bf16)
        return sc_bf16_attention(c, q, ldq, k, ldk, v, ldv, o, ldo, heads, Lq, Lk, dh, scale);
    /* The UNet's and AudioMAE's head widths have register-tiled kernels:
     * sgemm with K = 32 or N = 32 spends much of its time packing. */
    int fused = c->k->att_qk && c->k->att_pv && (dh == 32 || dh == 64);
    int lks = fused ? (Lk + 63) / 64 * 64 : Lk;
    att_job j = {c->k, q, k, v, o, ldq, ldk, ldv, ldo, Lq, Lk, dh, (Lq + QB - 1) / QB, scale,
                 fused, lks, NULL, (size_t)QB * lks + QB + (fused ? (size_t)dh * lks : 0)};
    int64_t tasks = (int64_t)heads * j.nqb;
    int nw = tasks < c->nthreads ? 1 : c->nthreads;
    j.scratch = malloc(j.per_worker * (size_t)(nw > 1 ? c->nthreads : 1) * sizeof(float));
    if (!j.scratch)
        return SC_ENOMEM;
    if (nw == 1)
        att_task(&j, 0, tasks, 0);
    else
        sc_blas_par(c, tasks, att_task, &j);
    free(j.scratch);
    return SC_OK;
}

/* ---- LSTM: per step, hidden units split over the pool ---- */

/* Up to this batch the recurrent product streams W_hh once per 8 sequences
 * (gemv_multi); above it the sequences go into vector lanes (gemm_lanes,
 * 32 per pass over W_hh) or, on ISAs without that kernel, to sgemm. */
#define LSTM_GEMV_MAX_B 16

typedef struct lstm_job {
    const blas_kern *k;
    int B, H, ldo, chunk, first;
    const float *whh, *gxt, *hprev;
    float *gates, *cst, *hout;
    int lanes, ngroups;          /* gemm_lanes: SC_BLAS_LANES sequences per group */
    float *xt;                   /* [ngroups][H][lanes] h_{t-1}, transposed */
    float *yt;                   /* per worker [chunk][lanes] */
} lstm_job;

/* W_hh rows [j0, j0 + nj) of every gate times h_{t-1}, added into gates. */
static void lstm_lanes(const lstm_job *j, int j0, int nj, float *yt)
{
    int H = j->H, L = j->lanes;
    size_t g4 = (size_t)4 * H;
    for (int q = 0; q < 4; q++) {
        const float *wq = j->whh + ((size_t)q * H + j0) * H;
        for (int g = 0; g < j->ngroups; g++) {
            j->k->gemm_lanes(wq, (size_t)nj, (size_t)H, j->xt + (size_t)g * H * L, yt, (size_t)L);
            int b0 = g * L, nb = j->B - b0 < L ? j->B - b0 : L;
            for (int b = 0; b < nb; b++) {
                float *gq = j->gates + (size_t)(b0 + b) * g4 + (size_t)q * H + j0;
                for (int r = 0; r < nj; r++)
                    gq[r] += yt[(size_t)r * L + b];
            }
        }
    }
}

/* xt[g][k][l] = h_{t-1}[g L + l][k], zero for lanes past B. */
static void lstm_transpose(lstm_job *j)
{
    int H = j->H, L = j->lanes;
    for (int g = 0; g < j->ngroups; g++) {
        float *x = j->xt + (size_t)g * H * L;
        for (int l = 0; l < L; l++) {
            int b = g * L + l;
            const float *h = b < j->B ? j->hprev + (size_t)b * j->ldo : NULL;
            for (int k = 0; k < H; k++)
                x[(size_t)k * L + l] = h ? h[k] : 0.0f;
        }
    }
}

static void lstm_task(void *arg, int64_t b, int64_t e, int w)
{
    const lstm_job *j = arg;
    int H = j->H, B = j->B;
    size_t g4 = (size_t)4 * H;
    for (int64_t p = b; p < e; p++) {
        int j0 = (int)p * j->chunk, nj = H - j0 < j->chunk ? H - j0 : j->chunk;
        if (nj <= 0)
            continue;
        for (int bb = 0; bb < B; bb++)
            for (int q = 0; q < 4; q++)
                memcpy(j->gates + bb * g4 + (size_t)q * H + j0, j->gxt + bb * g4 + (size_t)q * H + j0,
                       (size_t)nj * sizeof(float));
        if (!j->first && j->lanes) {
            lstm_lanes(j, j0, nj, j->yt + (size_t)w * j->chunk * j->lanes);
        } else if (!j->first) {
            for (int q = 0; q < 4; q++) {
                const float *wq = j->whh + ((size_t)q * H + j0) * H;
                float *gq = j->gates + (size_t)q * H + j0;
                if (B == 1)
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, nj, H, 1.0f, wq, H, j->hprev, 1, 1.0f,
                                gq, 1);
                else if (B <= LSTM_GEMV_MAX_B)
                    /* small batch: stream the weights once, no repacking */
                    for (int b0 = 0; b0 < B; b0 += 8)
                        j->k->gemv_multi(wq, (size_t)nj, (size_t)H, j->hprev + (size_t)b0 * j->ldo,
                                         (size_t)j->ldo, B - b0 < 8 ? B - b0 : 8, gq + b0 * g4, g4);
                else
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nj, H, 1.0f, j->hprev,
                                j->ldo, wq, H, 1.0f, gq, (int)g4);
            }
        }
        for (int bb = 0; bb < B; bb++) {
            const float *g = j->gates + bb * g4;
            j->k->lstm_cell(g + j0, g + H + j0, g + 2 * H + j0, g + 3 * H + j0,
                            j->cst + (size_t)bb * H + j0, j->hout + (size_t)bb * j->ldo + j0, (size_t)nj);
        }
    }
}

/* ws: c [B, H], then gates [B, 4H] (5 B H of the 6 B H given); h_{t-1} is
 * read back from the previous step's rows of out. */
int sc_blas_lstm(void *ctx, int T, int B, int H, const float *gx, const float *whh,
                 int reverse, float *out, int ldo, float *ws)
{
    blas_ctx *c = ctx;
    if (T < 0 || B <= 0 || H <= 0 || ldo < H)
        return T == 0 ? SC_OK : SC_EARG;
    lstm_job j = {c->k, B, H, ldo, H, 1, whh, NULL, NULL, ws + (size_t)B * H, ws, NULL,
                  0, 0, NULL, NULL};
    memset(ws, 0, (size_t)B * H * sizeof(float));
    int parts = 1;
    /* threads pay off once a step's product is ~0.25 MFLOP */
    if (c->nthreads > 1 && (double)B * H * H >= 32768.0) {
        j.chunk = ((H + c->nthreads - 1) / c->nthreads + 15) / 16 * 16;
        parts = (H + j.chunk - 1) / j.chunk;
    }
    float *lane_buf = NULL;
    if (B > LSTM_GEMV_MAX_B && c->k->gemm_lanes && T > 1) {
        j.lanes = SC_BLAS_LANES;
        j.ngroups = (B + j.lanes - 1) / j.lanes;
        size_t nxt = (size_t)j.ngroups * H * j.lanes, nyt = (size_t)j.chunk * j.lanes;
        lane_buf = malloc((nxt + nyt * (size_t)c->nthreads) * sizeof(float));
        if (!lane_buf)
            return SC_ENOMEM;
        j.xt = lane_buf;
        j.yt = lane_buf + nxt;
    }
    for (int s = 0; s < T; s++) {
        int t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t - 1;
        j.first = s == 0;
        j.gxt = gx + (size_t)t * B * 4 * H;
        j.hprev = s ? out + (size_t)tp * B * ldo : NULL;
        j.hout = out + (size_t)t * B * ldo;
        if (j.lanes && s)
            lstm_transpose(&j);
        if (parts == 1)
            lstm_task(&j, 0, 1, 0);
        else
            sc_blas_par(c, parts, lstm_task, &j);
    }
    free(lane_buf);
    return SC_OK;
}

/* ---- nearest: blocks of NM rows x NW codewords, fused argmin ----
 *
 * The tiling depends on the shapes only, never on the thread count: every
 * task is one (row block, codeword block) pair computed by the same calls
 * whichever worker runs it, and the blocks of a row are reduced in codeword
 * order afterwards, so indices and distances are bit-identical for any
 * pool size (a split by thread count once left slices empty, and their
 * never-written partial results came out as token 0 or as garbage).  Few
 * row blocks get narrower codeword blocks, so that a short window still
 * makes enough tasks for a wide pool; block starts stay multiples of
 * NW_MIN, hence of every vector width. */

#define NM 128
#define NW_MAX 2048
#define NW_MIN 256
#define NEAR_TASKS 16   /* narrow the blocks until there are this many tasks */

typedef struct near_job {
    const blas_ctx *c;
    const blas_kern *k;
    int mode, ldx, M, D, N, nw, nblk;
    const float *x, *cb, *cbn;
    float *scratch, *pbest;
    size_t per_worker;
    int64_t *pidx;
} near_job;

static void near_task(void *arg, int64_t b, int64_t e, int w)
{
    const near_job *j = arg;
    int64_t tasks = (int64_t)((j->M + NM - 1) / NM) * j->nblk;
    float *S = j->scratch + (size_t)sc_blas_slot(j->c, tasks, b, w) * j->per_worker;
    float *xn = S + (size_t)NM * j->nw;
    for (int64_t t = b; t < e; t++) {
        int r0 = (int)(t / j->nblk) * NM, p = (int)(t % j->nblk);
        int m = j->M - r0 < NM ? j->M - r0 : NM;
        int n0 = p * j->nw, nb = j->N - n0 < j->nw ? j->N - n0 : j->nw;
        const float *x = j->x + (size_t)r0 * j->ldx;
        for (int i = 0; i < m; i++)
            xn[i] = j->k->sumsq(x + (size_t)i * j->ldx, (size_t)j->D);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nb, j->D, 1.0f, x, j->ldx,
                    j->cb + (size_t)n0 * j->D, j->D, 0.0f, S, nb);
        for (int i = 0; i < m; i++) {
            float d;
            size_t bi = j->k->argmin_dist(S + (size_t)i * nb, j->cbn + n0, (size_t)nb, xn[i],
                                          j->mode, &d);
            size_t slot = (size_t)(r0 + i) * j->nblk + p;
            j->pbest[slot] = d;
            j->pidx[slot] = n0 + (int64_t)bi;
        }
    }
}

int sc_blas_nearest(void *ctx, int mode, const float *x, int ldx, int M, int D,
                    const float *cb, const float *cbn, int N, int64_t *idx, float *dist)
{
    blas_ctx *c = ctx;
    if (M < 0 || D <= 0 || N <= 0 || ldx < D || (mode != SC_NEAREST_SQ && mode != SC_NEAREST_SQRT))
        return SC_EARG;
    if (M == 0)
        return SC_OK;
    int rb = (M + NM - 1) / NM, nw = NW_MAX;
    while (nw > NW_MIN && (int64_t)rb * ((N + nw - 1) / nw) < NEAR_TASKS)
        nw /= 2;
    near_job j = {c, c->k, mode, ldx, M, D, N, nw, (N + nw - 1) / nw, x, cb, cbn, NULL, NULL,
                  (size_t)NM * nw + NM, NULL};
    int64_t tasks = (int64_t)rb * j.nblk;
    int workers = tasks > 1 && c->nthreads > 1 ? sc_blas_slots(c, tasks) : 1;
    j.scratch = malloc(j.per_worker * (size_t)workers * sizeof(float));
    j.pbest = malloc((size_t)M * j.nblk * sizeof(float));
    j.pidx = malloc((size_t)M * j.nblk * sizeof(int64_t));
    if (!j.scratch || !j.pbest || !j.pidx) {
        free(j.scratch), free(j.pbest), free(j.pidx);
        return SC_ENOMEM;
    }
    if (workers == 1)
        near_task(&j, 0, tasks, 0);
    else
        sc_blas_par(c, tasks, near_task, &j);
    for (int i = 0; i < M; i++) {
        const float *pb = j.pbest + (size_t)i * j.nblk;
        const int64_t *pi = j.pidx + (size_t)i * j.nblk;
        float bd = pb[0];
        int64_t bi = pi[0];
        /* strict <: on ties the earlier codeword keeps its place */
        for (int p = 1; p < j.nblk; p++)
            if (pb[p] < bd) {
                bd = pb[p];
                bi = pi[p];
            }
        idx[i] = bi;
        if (dist)
            dist[i] = bd;
    }
    free(j.scratch), free(j.pbest), free(j.pidx);
    return SC_OK;
}
