/* backends/ref/ref_nn.c - reference normalisation, activation, attention,
 * LSTM, nearest-codeword and GEGLU ops.  Numerics are stated in ref.h. */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

static void norm_span(const float *x, size_t n, float eps, float *mean, float *rstd)
{
    double s = 0.0, q = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - m;
        q += d * d;
    }
    *mean = (float)m;
    *rstd = (float)(1.0 / sqrt(q / (double)n + (double)eps));
}

int sc_ref_layernorm(void *ctx, const float *x, int rows, int cols, const float *g,
                     const float *b, float eps, float *y)
{
    if (rows < 0 || cols <= 0)
        return rows == 0 ? SC_OK : SC_EARG;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float mean, rstd;
        norm_span(xr, (size_t)cols, eps, &mean, &rstd);
        for (int c = 0; c < cols; c++) {
            float v = (xr[c] - mean) * rstd;
            yr[c] = v * (g ? g[c] : 1.0f) + (b ? b[c] : 0.0f);
        }
    }
    return SC_OK;
}

int sc_ref_groupnorm(void *ctx, const float *x, int C, int HW, int groups, const float *g,
                     const float *b, float eps, int silu, float *y)
{
    if (C < 0 || HW <= 0 || groups <= 0 || C % groups)
        return SC_EARG;
    int cg = C / groups;
    for (int gi = 0; gi < groups; gi++) {
        size_t off = (size_t)gi * cg * HW;
        float mean, rstd;
        norm_span(x + off, (size_t)cg * HW, eps, &mean, &rstd);
        for (int c = gi * cg; c < (gi + 1) * cg; c++) {
            float gc = g ? g[c] : 1.0f, bc = b ? b[c] : 0.0f;
            const float *xr = x + (size_t)c * HW;
            float *yr = y + (size_t)c * HW;
            for (int i = 0; i < HW; i++) {
                float v = (xr[i] - mean) * rstd * gc + bc;
                yr[i] = silu ? sc_ref_silu(v) : v;
            }
        }
    }
    return SC_OK;
}

int sc_ref_act(void *ctx, int act, float alpha, const float *x, int64_t n, float *y)
{
    if (n < 0)
        return SC_EARG;
    switch (act) {
    case SC_ACT_GELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = sc_ref_gelu(x[i]);
        return SC_OK;
    case SC_ACT_SILU:
        for (int64_t i = 0; i < n; i++)
            y[i] = sc_ref_silu(x[i]);
        return SC_OK;
    case SC_ACT_LEAKY:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
        return SC_OK;
    case SC_ACT_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        return SC_OK;
    case SC_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = sc_ref_sigmoid(x[i]);
        return SC_OK;
    case SC_ACT_RELU:
        /* written so that NaN propagates, like torch.relu */
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] < 0.0f ? 0.0f : x[i];
        return SC_OK;
    }
    return SC_EARG;
}

int sc_ref_geglu(void *ctx, const float *x, int rows, int n, float *y)
{
    if (rows < 0 || n < 0)
        return SC_EARG;
    for (int r = 0; r < rows; r++) {
        const float *a = x + (size_t)r * 2 * n, *gt = a + n;
        float *yr = y + (size_t)r * n;
        for (int j = 0; j < n; j++)
            yr[j] = a[j] * sc_ref_gelu(gt[j]);
    }
    return SC_OK;
}

/* Softmax of one row in place: exp(s - max) in float32, sum in double. */
static void softmax_row(float *s, int n)
{
    float m = s[0];
    for (int j = 1; j < n; j++)
        if (s[j] > m)
            m = s[j];
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        s[j] = expf(s[j] - m);
        sum += s[j];
    }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < n; j++)
        s[j] *= inv;
}

int sc_ref_attention(void *ctx, const float *q, int ldq, const float *k, int ldk,
                     const float *v, int ldv, float *o, int ldo, int heads, int Lq, int Lk,
                     int dh, float scale)
{
    if (heads <= 0 || Lq < 0 || Lk <= 0 || dh <= 0 || ldq < heads * dh || ldk < heads * dh ||
        ldv < heads * dh || ldo < heads * dh)
        return SC_EARG;
    if (Lq == 0)
        return SC_OK;
    int qb = (int)(SC_REF_SCRATCH_FLOATS / (size_t)Lk);
    if (qb < 1)
        qb = 1;
    if (qb > Lq)
        qb = Lq;
    float *s = malloc((size_t)qb * Lk * sizeof(float));
    if (!s)
        return SC_ENOMEM;
    int rc = SC_OK;
    for (int h = 0; h < heads && !rc; h++) {
        for (int i0 = 0; i0 < Lq && !rc; i0 += qb) {
            int m = Lq - i0 < qb ? Lq - i0 : qb;
            rc = sc_ref_gemm(0, 1, m, Lk, dh, scale, q + (size_t)i0 * ldq + h * dh, ldq,
                             k + h * dh, ldk, 0.0f, s, Lk);
            if (rc)
                break;
            for (int i = 0; i < m; i++)
                softmax_row(s + (size_t)i * Lk, Lk);
            rc = sc_ref_gemm(0, 0, m, dh, Lk, 1.0f, s, Lk, v + h * dh, ldv, 0.0f,
                             o + (size_t)i0 * ldo + h * dh, ldo);
        }
    }
    free(s);
    return rc;
}

int sc_ref_lstm(void *ctx, int T, int B, int H, const float *gx, const float *whh, int reverse,
                float *out, int ldo, float *ws)
{
    if (T < 0 || B <= 0 || H <= 0 || ldo < H)
        return T == 0 ? SC_OK : SC_EARG;
    size_t bh = (size_t)B * H, g4 = (size_t)4 * H;
    float *h = ws, *c = ws + bh, *g = ws + 2 * bh;
    memset(c, 0, bh * sizeof(float));
    for (int s = 0; s < T; s++) {
        int t = reverse ? T - 1 - s : s;
        const float *gxt = gx + (size_t)t * B * g4;
        if (s == 0) {
            memcpy(g, gxt, (size_t)B * g4 * sizeof(float));
        } else {
            int rc = sc_ref_gemm(0, 1, B, 4 * H, H, 1.0f, h, H, whh, H, 0.0f, g, 4 * H);
            if (rc)
                return rc;
            for (size_t i = 0; i < (size_t)B * g4; i++)
                g[i] = gxt[i] + g[i];
        }
        for (int bi = 0; bi < B; bi++) {
            const float *gb = g + bi * g4;
            float *hb = h + (size_t)bi * H, *cb = c + (size_t)bi * H;
            float *ob = out + ((size_t)t * B + bi) * ldo;
            for (int j = 0; j < H; j++) {
                float ig = sc_ref_sigmoid(gb[j]);
                float fg = sc_ref_sigmoid(gb[H + j]);
                float gg = tanhf(gb[2 * H + j]);
                float og = sc_ref_sigmoid(gb[3 * H + j]);
                float cn = fg * cb[j] + ig * gg;
                cb[j] = cn;
                hb[j] = og * tanhf(cn);
                ob[j] = hb[j];
            }
        }
    }
    return SC_OK;
}

int sc_ref_nearest(void *ctx, int mode, const float *x, int ldx, int M, int D, const float *cb,
                   const float *cbn, int N, int64_t *idx, float *dist)
{
    if (M < 0 || D <= 0 || N <= 0 || ldx < D || (mode != SC_NEAREST_SQ && mode != SC_NEAREST_SQRT))
        return SC_EARG;
    if (M == 0)
        return SC_OK;
    int mb = (int)(SC_REF_SCRATCH_FLOATS / (size_t)N);
    if (mb < 1)
        mb = 1;
    if (mb > M)
        mb = M;
    float *s = malloc((size_t)mb * N * sizeof(float));
    if (!s)
        return SC_ENOMEM;
    for (int i0 = 0; i0 < M; i0 += mb) {
        int m = M - i0 < mb ? M - i0 : mb;
        int rc = sc_ref_gemm(0, 1, m, N, D, 1.0f, x + (size_t)i0 * ldx, ldx, cb, D, 0.0f, s, N);
        if (rc) {
            free(s);
            return rc;
        }
        for (int i = 0; i < m; i++) {
            const float *xr = x + (size_t)(i0 + i) * ldx;
            float xn = 0.0f;
            for (int d = 0; d < D; d++)
                xn += xr[d] * xr[d];
            const float *sr = s + (size_t)i * N;
            float best = 0.0f;
            int64_t bi = 0;
            for (int n = 0; n < N; n++) {
                float d;
                if (mode == SC_NEAREST_SQ)
                    d = (xn + cbn[n]) - 2.0f * sr[n];
                else
                    d = sqrtf(fmaxf((xn + cbn[n]) + (-2.0f * sr[n]), 0.0f));
                if (n == 0 || d < best) {
                    best = d;
                    bi = n;
                }
            }
            idx[i0 + i] = bi;
            if (dist)
                dist[i0 + i] = best;
        }
    }
    free(s);
    return SC_OK;
}
