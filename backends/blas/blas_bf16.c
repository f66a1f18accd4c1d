/* backends/blas/blas_bf16.c - the products of precision=bf16: weight
 * cache, packing jobs and the ops (gemm, linear, convolutions as im2col +
 * bf16 GEMM, attention) over the host pool.  See blas_bf16.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"

/* Largest im2col scratch per task, in floats (8 MiB), as the fp32 path. */
#define COL_MAX ((size_t)2 << 20)
/* A product below this many flops runs on the calling thread. */
#define PAR_FLOPS 4.0e6

/* ---- the weight cache ---- */

typedef struct wrange {
    const float *p;
    size_t n;
} wrange;

#define NPRINT 8

typedef struct wentry {
    const float *p;
    size_t ld;
    int isb, trans, rows, cols;   /* which panels, of op(.) rows x cols */
    uint32_t print[NPRINT];       /* sampled bits of the source (see cached) */
    uint16_t *data;
} wentry;

struct bf16_cache {
    pthread_mutex_t mu;
    wrange *r;
    size_t nr, capr;
    wentry *e;
    size_t ne, cape;
};

bf16_cache *sc_bf16_cache_new(void)
{
    bf16_cache *wc = calloc(1, sizeof *wc);
    if (wc && pthread_mutex_init(&wc->mu, NULL)) {
        free(wc);
        return NULL;
    }
    return wc;
}

void sc_bf16_cache_free(bf16_cache *wc)
{
    if (!wc)
        return;
    for (size_t i = 0; i < wc->ne; i++)
        free(wc->e[i].data);
    free(wc->e);
    free(wc->r);
    pthread_mutex_destroy(&wc->mu);
    free(wc);
}

int sc_bf16_note_weight(bf16_cache *wc, const float *host, size_t count)
{
    if (!host || !count)
        return SC_OK;
    pthread_mutex_lock(&wc->mu);
    int rc = SC_OK;
    if (wc->nr == wc->capr) {
        size_t cap = wc->capr ? 2 * wc->capr : 256;
        wrange *r = realloc(wc->r, cap * sizeof *r);
        if (!r)
            rc = SC_ENOMEM;
        else {
            wc->r = r;
            wc->capr = cap;
        }
    }
    if (rc == SC_OK)
        wc->r[wc->nr++] = (wrange){host, count};
    pthread_mutex_unlock(&wc->mu);
    return rc;
}

/* Is [p, p + n) inside one recorded weight?  (caller holds mu) */
static int is_weight(const bf16_cache *wc, const float *p, size_t n)
{
    uintptr_t a = (uintptr_t)p, z = a + n * sizeof(float);
    for (size_t i = 0; i < wc->nr; i++) {
        uintptr_t b = (uintptr_t)wc->r[i].p, e = b + wc->r[i].n * sizeof(float);
        if (a >= b && z <= e)
            return 1;
    }
    return 0;
}

/* Bits of NPRINT elements of op(src) spread over its rows and columns. */
static void fingerprint(const float *src, size_t ld, int trans, int rows, int cols,
                        uint32_t *out)
{
    for (int i = 0; i < NPRINT; i++) {
        size_t r = (size_t)i * (size_t)(rows - 1) / (NPRINT - 1);
        size_t c = ((size_t)i * 37u + (size_t)(i == NPRINT - 1) * (size_t)(cols - 1)) % (size_t)cols;
        memcpy(&out[i], src + (trans ? c * ld + r : r * ld + c), sizeof(uint32_t));
    }
}

/* The packed panels of a weight operand: from the cache, packed there on
 * first use; NULL when src is not weight memory (or memory ran out: the
 * caller then packs per call, which reports ENOMEM if that fails too).
 * A hit also compares a fingerprint of the source: weights are immutable
 * while their model is open, but memory a stage registered and freed (a
 * failed stage creation) could come back as another buffer at the same
 * address; such an entry is packed again rather than used stale. */
static const uint16_t *cached(blas_ctx *c, int isb, int trans, const float *src, size_t ld,
                              int rows, int cols)
{
    bf16_cache *wc = c->bf16;
    /* op(.) is rows x cols; stored transposed, a row of it is a column */
    size_t span = trans ? (size_t)(cols - 1) * ld + rows : (size_t)(rows - 1) * ld + cols;
    const uint16_t *out = NULL;
    uint32_t print[NPRINT];
    fingerprint(src, ld, trans, rows, cols, print);
    pthread_mutex_lock(&wc->mu);
    wentry *hit = NULL;
    for (size_t i = 0; i < wc->ne; i++) {
        wentry *e = &wc->e[i];
        if (e->p == src && e->ld == ld && e->isb == isb && e->trans == trans && e->rows == rows &&
            e->cols == cols) {
            if (!memcmp(e->print, print, sizeof print)) {
                out = e->data;
                goto done;
            }
            hit = e;   /* same place, other contents: repack in place */
            break;
        }
    }
    if (!is_weight(wc, src, span))
        goto done;
    if (!hit && wc->ne == wc->cape) {
        size_t cap = wc->cape ? 2 * wc->cape : 256;
        wentry *e = realloc(wc->e, cap * sizeof *e);
        if (!e)
            goto done;
        wc->e = e;
        wc->cape = cap;
    }
    size_t len = isb ? sc_bf16_bpack_len(rows, cols) : sc_bf16_apack_len(rows, cols);
    uint16_t *d = hit ? hit->data : aligned_alloc(64, (len * sizeof(uint16_t) + 63) / 64 * 64);
    if (!d)
        goto done;
    /* once per weight, under the lock: other threads wait for it */
    if (isb)
        sc_bf16_pack_b(src, ld, trans, rows, cols, 0, (cols + BF_NR - 1) / BF_NR * BF_NR, d);
    else
        sc_bf16_pack_a(src, ld, trans, rows, cols, 0, (rows + BF_MR - 1) / BF_MR * BF_MR, d);
    if (!hit)
        hit = &wc->e[wc->ne++];
    *hit = (wentry){src, ld, isb, trans, rows, cols, {0}, d};
    memcpy(hit->print, print, sizeof print);
    out = d;
done:
    pthread_mutex_unlock(&wc->mu);
    return out;
}

/* ---- packing and GEMM jobs over the pool ---- */

typedef struct pack_job {
    const float *src;
    size_t ld;
    int isb, trans, rows, cols;
    uint16_t *dst;
} pack_job;

static void pack_task(void *arg, int64_t b, int64_t e, int w)
{
    const pack_job *j = arg;
    if (j->isb)
        sc_bf16_pack_b(j->src, j->ld, j->trans, j->rows, j->cols, (int)b * BF_NR, (int)e * BF_NR,
                       j->dst);
    else
        sc_bf16_pack_a(j->src, j->ld, j->trans, j->rows, j->cols, (int)b * BF_MR, (int)e * BF_MR,
                       j->dst);
}

/* Panels of an operand: cached when it is a weight, else packed into
 * *own (freed by the caller) over the pool. */
static const uint16_t *operand(blas_ctx *c, int isb, int trans, const float *src, size_t ld,
                               int rows, int cols, uint16_t **own)
{
    *own = NULL;
    const uint16_t *p = cached(c, isb, trans, src, ld, rows, cols);
    if (p)
        return p;
    size_t len = isb ? sc_bf16_bpack_len(rows, cols) : sc_bf16_apack_len(rows, cols);
    if (!(*own = aligned_alloc(64, (len * sizeof(uint16_t) + 63) / 64 * 64)))
        return NULL;
    pack_job j = {src, ld, isb, trans, rows, cols, *own};
    int64_t panels = isb ? (cols + BF_NR - 1) / BF_NR : (rows + BF_MR - 1) / BF_MR;
    if ((double)rows * cols < 65536.0)
        pack_task(&j, 0, panels, 0);
    else
        sc_blas_par(c, panels, pack_task, &j);
    return *own;
}

typedef struct mm_job {
    const uint16_t *Ap, *Bp;
    int M, N, K, along_n, chunk;
    float alpha, beta;
    float *C;
    size_t ldc;
} mm_job;

static void mm_task(void *arg, int64_t b, int64_t e, int w)
{
    const mm_job *j = arg;
    size_t kp = (size_t)((j->K + 1) & ~1);
    for (int64_t t = b; t < e; t++) {
        if (j->along_n) {
            int n0 = (int)t * j->chunk * BF_NR, n = j->N - n0 < j->chunk * BF_NR ? j->N - n0
                                                                                 : j->chunk * BF_NR;
            sc_bf16_gemm_packed(j->M, n, j->K, j->alpha, j->Ap, j->Bp + (size_t)n0 * kp, j->beta,
                                j->C + n0, j->ldc);
        } else {
            int m0 = (int)t * j->chunk * BF_MR, m = j->M - m0 < j->chunk * BF_MR ? j->M - m0
                                                                                : j->chunk * BF_MR;
            sc_bf16_gemm_packed(m, j->N, j->K, j->alpha, j->Ap + (size_t)m0 * kp, j->Bp, j->beta,
                                j->C + (size_t)m0 * j->ldc, j->ldc);
        }
    }
}

/* C = alpha A B + beta C from panels, split along the dimension with more
 * blocks into about four tasks per thread. */
static void mm_run(blas_ctx *c, int M, int N, int K, float alpha, const uint16_t *Ap,
                   const uint16_t *Bp, float beta, float *C, size_t ldc)
{
    int mb = (M + BF_MR - 1) / BF_MR, nb = (N + BF_NR - 1) / BF_NR;
    int nt = c->nthreads;
    if (nt <= 1 || 2.0 * M * N * K < PAR_FLOPS) {
        sc_bf16_gemm_packed(M, N, K, alpha, Ap, Bp, beta, C, ldc);
        return;
    }
    mm_job j = {Ap, Bp, M, N, K, nb > mb, 1, alpha, beta, C, ldc};
    int blocks = j.along_n ? nb : mb, want = 4 * nt;
    j.chunk = (blocks + want - 1) / want;
    sc_blas_par(c, (blocks + j.chunk - 1) / j.chunk, mm_task, &j);
}

static int gemm_any(blas_ctx *c, int ta, int tb, int M, int N, int K, float alpha,
                    const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                    size_t ldc)
{
    if (M == 0 || N == 0)
        return SC_OK;
    if (K == 0) {
        mm_run(c, M, N, K, alpha, NULL, NULL, beta, C, ldc);
        return SC_OK;
    }
    uint16_t *oa, *ob;
    const uint16_t *Ap = operand(c, 0, ta, A, lda, M, K, &oa);
    const uint16_t *Bp = operand(c, 1, tb, B, ldb, K, N, &ob);
    if (Ap && Bp)
        mm_run(c, M, N, K, alpha, Ap, Bp, beta, C, ldc);
    free(oa);
    free(ob);
    return Ap && Bp ? SC_OK : SC_ENOMEM;
}

int sc_bf16_gemm(blas_ctx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    return gemm_any(c, ta, tb, M, N, K, alpha, A, (size_t)lda, B, (size_t)ldb, beta, C,
                    (size_t)ldc);
}

int sc_bf16_linear(blas_ctx *c, const float *x, int ldx, int M, int K, const float *W,
                   const float *b, int N, float *y, int ldy)
{
    if (b)
        for (int i = 0; i < M; i++)
            memcpy(y + (size_t)i * ldy, b, (size_t)N * sizeof(float));
    return gemm_any(c, 0, 1, M, N, K, 1.0f, x, (size_t)ldx, W, (size_t)K, b ? 1.0f : 0.0f, y,
                    (size_t)ldy);
}

/* ---- convolutions: im2col of a band of outputs into bf16 panels ---- */

typedef struct conv_job {
    const float *x, *b;
    const uint16_t *Wp;
    float *y;
    int oned, Cin, H, W, Cout, kh, kw, stride, pad, dil, Ho, Wo;
    int band, nbands, cparts, cchunk;
    float *col;
    uint16_t *colp;
    size_t col_per, colp_per;
    const blas_ctx *c;
    int64_t tasks;
} conv_job;

/* d[0..n) = xr[o stride + off], zero outside [0, W). */
static void gather(float *restrict d, const float *restrict xr, int W, int n, int stride, int off)
{
    if (stride == 1) {
        int lo = off < 0 ? (-off < n ? -off : n) : 0;
        int hi = W - off < n ? W - off : n;
        if (hi < lo)
            hi = lo;
        for (int o = 0; o < lo; o++)
            d[o] = 0.0f;
        if (hi > lo)
            memcpy(d + lo, xr + off + lo, (size_t)(hi - lo) * sizeof(float));
        for (int o = hi; o < n; o++)
            d[o] = 0.0f;
        return;
    }
    for (int o = 0; o < n; o++) {
        int ix = o * stride + off;
        d[o] = ix >= 0 && ix < W ? xr[ix] : 0.0f;
    }
}

/* One band of one task: which outputs the im2col rows cover. */
typedef struct band {
    const conv_job *j;
    int u0, nu, n;
} band;

/* Row k = (ci, ky, kx) of the band's im2col matrix. */
static void conv_row(void *arg, int k, float *d)
{
    const band *bd = arg;
    const conv_job *j = bd->j;
    int kx = k % j->kw, ky = k / j->kw % j->kh, ci = k / (j->kw * j->kh);
    if (j->oned) {
        gather(d, j->x + (size_t)ci * j->W, j->W, bd->n, j->stride,
               bd->u0 * j->stride - j->pad + kx * j->dil);
        return;
    }
    for (int oy = 0; oy < bd->nu; oy++) {
        int iy = (bd->u0 + oy) * j->stride - j->pad + ky * j->dil;
        float *dr = d + (size_t)oy * j->Wo;
        if (iy < 0 || iy >= j->H)
            memset(dr, 0, (size_t)j->Wo * sizeof(float));
        else
            gather(dr, j->x + ((size_t)ci * j->H + iy) * j->W, j->W, j->Wo, j->stride,
                   kx * j->dil - j->pad);
    }
}

static void conv_task(void *arg, int64_t b, int64_t e, int wk)
{
    const conv_job *j = arg;
    int slot = sc_blas_slot(j->c, j->tasks, b, wk);
    float *col = j->col + (size_t)slot * j->col_per;
    uint16_t *colp = j->colp + (size_t)slot * j->colp_per;
    int K = j->Cin * j->kh * j->kw, npix = j->Ho * j->Wo;
    size_t kp = (size_t)((K + 1) & ~1);
    int have = -1;
    for (int64_t t = b; t < e; t++) {
        int bi = (int)(t / j->cparts), cp = (int)(t % j->cparts);
        /* a band is `band` output rows (2-D) or positions (1-D) */
        int units = j->oned ? j->Wo : j->Ho;
        int u0 = bi * j->band, nu = units - u0 < j->band ? units - u0 : j->band;
        int n = j->oned ? nu : nu * j->Wo, off = j->oned ? u0 : u0 * j->Wo;
        int c0 = cp * j->cchunk, nc = j->Cout - c0 < j->cchunk ? j->Cout - c0 : j->cchunk;
        if (nc <= 0)
            continue;
        if (have != bi) {
            band bd = {j, u0, nu, n};
            sc_bf16_pack_b_rows(K, n, conv_row, &bd, col, colp);
            have = bi;
        }
        float *y = j->y + (size_t)c0 * npix + off;
        if (j->b)
            for (int co = 0; co < nc; co++)
                for (int i = 0; i < n; i++)
                    y[(size_t)co * npix + i] = j->b[c0 + co];
        sc_bf16_gemm_packed(nc, n, K, 1.0f, j->Wp + (size_t)c0 * kp, colp, j->b ? 1.0f : 0.0f, y,
                            (size_t)npix);
    }
}

/* x[Cin,H,W] * w[Cout,Cin,kh,kw] -> y[Cout,Ho,Wo]; 1-D is H = kh = 1
 * (W = L, Wo = Lo), the only case with dil > 1.  The caller (the fp32
 * entry point) has checked the arguments. */
int sc_bf16_conv(blas_ctx *c, int oned, const float *x, int Cin, int H, int W, const float *w,
                 const float *b, int Cout, int kh, int kw, int stride, int pad, int dil, float *y)
{
    int K = Cin * kh * kw;
    int Ho = oned ? 1 : (H + 2 * pad - kh) / stride + 1;
    int Wo = (W + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
    uint16_t *ow;
    const uint16_t *Wp = operand(c, 0, 0, w, (size_t)K, Cout, K, &ow);
    if (!Wp)
        return SC_ENOMEM;
    int rc = SC_OK;
    if (kh == 1 && kw == 1 && stride == 1 && pad == 0) {
        /* the input already is the im2col matrix */
        int n = H * W;
        if (b)
            for (int co = 0; co < Cout; co++)
                for (int i = 0; i < n; i++)
                    y[(size_t)co * n + i] = b[co];
        uint16_t *ox;
        const uint16_t *Xp = operand(c, 1, 0, x, (size_t)n, Cin, n, &ox);
        if (Xp)
            mm_run(c, Cout, n, Cin, 1.0f, Wp, Xp, b ? 1.0f : 0.0f, y, (size_t)n);
        else
            rc = SC_ENOMEM;
        free(ox);
        free(ow);
        return rc;
    }
    conv_job j = {.oned = oned, .x = x, .b = b, .Wp = Wp, .y = y, .Cin = Cin, .H = H, .W = W, .Cout = Cout,
                  .kh = kh, .kw = kw, .stride = stride, .pad = pad, .dil = dil, .Ho = Ho,
                  .Wo = Wo, .c = c};
    /* bands of about 256 columns (a B block that stays in L2 beside the
     * weights' K block), at most COL_MAX im2col floats, two per thread
     * when there is enough work; channel parts (whole A panels) when
     * there are fewer bands than threads */
    int nt = c->nthreads, units = oned ? Wo : Ho, cols = oned ? 1 : Wo;
    int band = 256 / cols > 0 ? 256 / cols : 1;
    while (band > 1 && sc_bf16_bpack_len(K, band * cols) > 2 * COL_MAX)
        band /= 2;
    int want = 2 * nt;
    if (nt > 1 && (units + band - 1) / band < want && (size_t)units * cols >= (size_t)64 * want)
        band = (units + want - 1) / want;
    if (band > units)
        band = units;
    j.band = band;
    j.nbands = (units + band - 1) / band;
    j.cparts = 1;
    if (nt > 1 && j.nbands < nt && Cout >= 2 * BF_MR * nt)
        j.cparts = (nt + j.nbands - 1) / j.nbands;
    j.cchunk = ((Cout + j.cparts - 1) / j.cparts + BF_MR - 1) / BF_MR * BF_MR;
    size_t n = (size_t)band * cols;
    j.col_per = 2 * n;   /* two im2col rows at a time */
    j.colp_per = sc_bf16_bpack_len(K, (int)n);
    j.tasks = (int64_t)j.nbands * j.cparts;
    int nw = j.tasks > 1 && nt > 1 ? sc_blas_slots(c, j.tasks) : 1;
    j.col = malloc(j.col_per * (size_t)nw * sizeof(float));
    j.colp = aligned_alloc(64, (j.colp_per * (size_t)nw * sizeof(uint16_t) + 63) / 64 * 64);
    if (!j.col || !j.colp)
        rc = SC_ENOMEM;
    else if (nw == 1)
        conv_task(&j, 0, j.tasks, 0);
    else
        sc_blas_par(c, j.tasks, conv_task, &j);
    free(j.col);
    free(j.colp);
    free(ow);
    return rc;
}

/* ---- transposed 1-D convolution: Z = w^T x in bf16, overlap-add fp32 ---- */

typedef struct convt_job {
    const float *x, *b;
    const uint16_t *Ap;
    float *y;
    int Cin, L, Cout, k, stride, pad, Lo, cchunk, lb;
    float *Z;
    uint16_t *Xp;
    size_t z_per, x_per;
} convt_job;

static void convt_task(void *arg, int64_t b, int64_t e, int wk)
{
    const convt_job *j = arg;
    float *Z = j->Z + (size_t)wk * j->z_per;
    uint16_t *Xp = j->Xp + (size_t)wk * j->x_per;
    int k = j->k, s = j->stride, Lo = j->Lo;
    size_t kp = (size_t)((j->Cin + 1) & ~1);
    for (int64_t p = b; p < e; p++) {
        int c0 = (int)p * j->cchunk, nc = j->Cout - c0 < j->cchunk ? j->Cout - c0 : j->cchunk;
        if (nc <= 0)
            continue;
        for (int co = c0; co < c0 + nc; co++) {
            float v = j->b ? j->b[co] : 0.0f, *yr = j->y + (size_t)co * Lo;
            for (int o = 0; o < Lo; o++)
                yr[o] = v;
        }
        for (int t0 = 0; t0 < j->L; t0 += j->lb) {
            int n = j->L - t0 < j->lb ? j->L - t0 : j->lb;
            sc_bf16_pack_b(j->x + t0, (size_t)j->L, 0, j->Cin, n, 0,
                           (n + BF_NR - 1) / BF_NR * BF_NR, Xp);
            /* c0 k is a multiple of BF_MR (cchunk is chosen so) */
            sc_bf16_gemm_packed(nc * k, n, j->Cin, 1.0f, j->Ap + (size_t)c0 * k * kp, Xp, 0.0f,
                                Z, (size_t)n);
            sc_blas_convt_add(j->y + (size_t)c0 * Lo, Lo, Z, nc, k, n, t0, s, j->pad);
        }
    }
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

int sc_bf16_convt1d(blas_ctx *c, const float *x, int Cin, int L, const float *w, const float *b,
                    int Cout, int k, int stride, int pad, float *y)
{
    int Lo = (L - 1) * stride - 2 * pad + k;
    /* op(A) = w^T: [Cout k][Cin], from w [Cin][Cout k] */
    uint16_t *ow;
    const uint16_t *Ap = operand(c, 0, 1, w, (size_t)Cout * k, Cout * k, Cin, &ow);
    if (!Ap)
        return SC_ENOMEM;
    int nt = c->nthreads, parts = nt > 1 && Cout >= 4 * nt ? nt : 1;
    /* a part starts on an A panel: its first row c0 k is a multiple of BF_MR */
    int q = BF_MR / gcd(BF_MR, k);
    convt_job j = {.x = x, .b = b, .Ap = Ap, .y = y, .Cin = Cin, .L = L, .Cout = Cout, .k = k,
                   .stride = stride, .pad = pad, .Lo = Lo};
    j.cchunk = ((Cout + parts - 1) / parts + q - 1) / q * q;
    parts = (Cout + j.cchunk - 1) / j.cchunk;
    /* input blocks sized for all channels, not per part: the order in
     * which taps add into an output must not depend on the thread count */
    size_t Mall = (size_t)Cout * k;
    j.lb = COL_MAX / Mall > (size_t)L ? L : COL_MAX / Mall ? (int)(COL_MAX / Mall) : 1;
    j.z_per = (size_t)j.cchunk * k * (size_t)j.lb;
    j.x_per = sc_bf16_bpack_len(Cin, j.lb);
    j.Z = malloc(j.z_per * (size_t)parts * sizeof(float));
    j.Xp = aligned_alloc(64, (j.x_per * (size_t)parts * sizeof(uint16_t) + 63) / 64 * 64);
    int rc = SC_OK;
    if (!j.Z || !j.Xp)
        rc = SC_ENOMEM;
    else if (parts == 1)
        convt_task(&j, 0, 1, 0);
    else
        sc_blas_par(c, parts, convt_task, &j);
    free(j.Z);
    free(j.Xp);
    free(ow);
    return rc;
}

/* ---- attention: QK^T and PV in bf16, softmax in fp32 ---- */

#define QB 128

typedef struct att_job {
    const blas_kern *k;
    const float *q, *kk, *v;
    float *o;
    int ldq, ldk, ldv, ldo, Lq, Lk, dh, nqb;
    float scale;
    char *scratch;
    size_t per_worker, s_len, qa_len, pa_len, bk_len, bv_len;
} att_job;

static void att_task(void *arg, int64_t b, int64_t e, int w)
{
    const att_job *j = arg;
    char *base = j->scratch + (size_t)w * j->per_worker;
    float *S = (float *)base, *inv = S + j->s_len;
    uint16_t *Qa = (uint16_t *)(inv + QB), *Pa = Qa + j->qa_len, *Bk = Pa + j->pa_len;
    uint16_t *Bv = Bk + j->bk_len;
    int head = -1, lkr = (j->Lk + BF_NR - 1) / BF_NR * BF_NR;
    for (int64_t t = b; t < e; t++) {
        int h = (int)(t / j->nqb), i0 = (int)(t % j->nqb) * QB;
        int m = j->Lq - i0 < QB ? j->Lq - i0 : QB, off = h * j->dh;
        if (head != h) {
            /* tasks of one head are consecutive: pack its K^T and V once */
            sc_bf16_pack_b(j->kk + off, (size_t)j->ldk, 1, j->dh, j->Lk, 0, lkr, Bk);
            sc_bf16_pack_b(j->v + off, (size_t)j->ldv, 0, j->Lk, j->dh, 0,
                           (j->dh + BF_NR - 1) / BF_NR * BF_NR, Bv);
            head = h;
        }
        int mr = (m + BF_MR - 1) / BF_MR * BF_MR;
        sc_bf16_pack_a(j->q + (size_t)i0 * j->ldq + off, (size_t)j->ldq, 0, m, j->dh, 0, mr, Qa);
        sc_bf16_gemm_packed(m, j->Lk, j->dh, j->scale, Qa, Bk, 0.0f, S, (size_t)j->Lk);
        for (int i = 0; i < m; i++) {
            float *row = S + (size_t)i * j->Lk;
            float mx = j->k->max(row, (size_t)j->Lk);
            inv[i] = 1.0f / j->k->exp_sum(row, (size_t)j->Lk, mx);
        }
        sc_bf16_pack_a(S, (size_t)j->Lk, 0, m, j->Lk, 0, mr, Pa);
        float *o = j->o + (size_t)i0 * j->ldo + off;
        sc_bf16_gemm_packed(m, j->dh, j->Lk, 1.0f, Pa, Bv, 0.0f, o, (size_t)j->ldo);
        /* normalise after PV, as the fp32 path */
        for (int i = 0; i < m; i++)
            j->k->scale(o + (size_t)i * j->ldo, (size_t)j->dh, inv[i], 0.0f, o + (size_t)i * j->ldo);
    }
}

int sc_bf16_attention(blas_ctx *c, const float *q, int ldq, const float *k, int ldk,
                      const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                      int dh, float scale)
{
    att_job j = {.k = c->k, .q = q, .kk = k, .v = v, .o = o, .ldq = ldq, .ldk = ldk, .ldv = ldv,
                 .ldo = ldo, .Lq = Lq, .Lk = Lk, .dh = dh, .nqb = (Lq + QB - 1) / QB,
                 .scale = scale};
    j.s_len = (size_t)QB * Lk;
    j.qa_len = sc_bf16_apack_len(QB, dh);
    j.pa_len = sc_bf16_apack_len(QB, Lk);
    j.bk_len = sc_bf16_bpack_len(dh, Lk);
    j.bv_len = sc_bf16_bpack_len(Lk, dh);
    j.per_worker = ((j.s_len + QB) * sizeof(float) +
                    (j.qa_len + j.pa_len + j.bk_len + j.bv_len) * sizeof(uint16_t) + 63) / 64 * 64;
    int64_t tasks = (int64_t)heads * j.nqb;
    int nw = tasks < c->nthreads ? 1 : c->nthreads;
    j.scratch = aligned_alloc(64, j.per_worker * (size_t)(nw > 1 ? c->nthreads : 1));
    if (!j.scratch)
        return SC_ENOMEM;
    if (nw == 1)
        att_task(&j, 0, tasks, 0);
    else
        sc_blas_par(c, tasks, att_task, &j);
    free(j.scratch);
    return SC_OK;
}
