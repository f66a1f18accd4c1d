/* backends/ref/ref_conv.c - reference convolutions: im2col (in bands of
 * output rows, to bound scratch) followed by the reference gemm.  Each
 * output element is an independent k-ordered sum, so the band size does
 * not change any bit of the result. */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

static void add_bias(float *y, int C, size_t n, const float *b)
{
    if (!b)
        return;
    for (int c = 0; c < C; c++)
        for (size_t i = 0; i < n; i++)
            y[(size_t)c * n + i] += b[c];
}

int sc_ref_conv2d(void *ctx, const float *x, int Cin, int H, int W, const float *w,
                  const float *b, int Cout, int kh, int kw, int stride, int pad, float *y)
{
    if (Cin <= 0 || H <= 0 || W <= 0 || Cout <= 0 || kh <= 0 || kw <= 0 || stride <= 0 || pad < 0)
        return SC_EARG;
    int Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1;
    if (H + 2 * pad < kh || W + 2 * pad < kw)
        return SC_EARG;
    int K = Cin * kh * kw;
    size_t npix = (size_t)Ho * Wo;
    int rc;
    if (kh == 1 && kw == 1 && stride == 1 && pad == 0) {
        rc = sc_ref_gemm(0, 0, Cout, H * W, Cin, 1.0f, w, Cin, x, H * W, 0.0f, y, H * W);
        if (!rc)
            add_bias(y, Cout, npix, b);
        return rc;
    }
    int band = (int)(SC_REF_SCRATCH_FLOATS / ((size_t)K * Wo));
    if (band < 1)
        band = 1;
    if (band > Ho)
        band = Ho;
    float *col = malloc((size_t)K * band * Wo * sizeof(float));
    if (!col)
        return SC_ENOMEM;
    rc = SC_OK;
    for (int oy0 = 0; oy0 < Ho && !rc; oy0 += band) {
        int nb = Ho - oy0 < band ? Ho - oy0 : band;
        int n = nb * Wo;
        for (int ci = 0; ci < Cin; ci++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    float *cr = col + ((size_t)(ci * kh + ky) * kw + kx) * n;
                    for (int oy = 0; oy < nb; oy++) {
                        int iy = (oy0 + oy) * stride - pad + ky;
                        float *d = cr + (size_t)oy * Wo;
                        if (iy < 0 || iy >= H) {
                            memset(d, 0, (size_t)Wo * sizeof(float));
                            continue;
                        }
                        const float *xr = x + ((size_t)ci * H + iy) * W;
                        for (int ox = 0; ox < Wo; ox++) {
                            int ix = ox * stride - pad + kx;
                            d[ox] = ix >= 0 && ix < W ? xr[ix] : 0.0f;
                        }
                    }
                }
        rc = sc_ref_gemm(0, 0, Cout, n, K, 1.0f, w, K, col, n, 0.0f, y + (size_t)oy0 * Wo,
                         (int)npix);
    }
    free(col);
    if (!rc)
        add_bias(y, Cout, npix, b);
    return rc;
}

int sc_ref_conv1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
                  int Cout, int k, int stride, int pad, int dilation, float *y)
{
    if (Cin <= 0 || L <= 0 || Cout <= 0 || k <= 0 || stride <= 0 || pad < 0 || dilation <= 0)
        return SC_EARG;
    if (L + 2 * pad < dilation * (k - 1) + 1)
        return SC_EARG;
    int Lo = (L + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    int K = Cin * k;
    int band = (int)(SC_REF_SCRATCH_FLOATS / (size_t)K);
    if (band < 1)
        band = 1;
    if (band > Lo)
        band = Lo;
    float *col = malloc((size_t)K * band * sizeof(float));
    if (!col)
        return SC_ENOMEM;
    int rc = SC_OK;
    for (int o0 = 0; o0 < Lo && !rc; o0 += band) {
        int n = Lo - o0 < band ? Lo - o0 : band;
        for (int ci = 0; ci < Cin; ci++)
            for (int kk = 0; kk < k; kk++) {
                float *d = col + ((size_t)ci * k + kk) * n;
                const float *xr = x + (size_t)ci * L;
                for (int o = 0; o < n; o++) {
                    int ix = (o0 + o) * stride - pad + kk * dilation;
                    d[o] = ix >= 0 && ix < L ? xr[ix] : 0.0f;
                }
            }
        rc = sc_ref_gemm(0, 0, Cout, n, K, 1.0f, w, K, col, n, 0.0f, y + o0, Lo);
    }
    free(col);
    if (!rc)
        add_bias(y, Cout, (size_t)Lo, b);
    return rc;
}

/* y[co, t*stride - pad + kk] += sum_ci x[ci, t] w[ci, co, kk].  The
 * products over ci come from one gemm (Z = w^T x); the scatter then adds
 * them to each output in increasing t, whatever the band size. */
int sc_ref_conv_transpose1d(void *ctx, const float *x, int Cin, int L, const float *w,
                            const float *b, int Cout, int k, int stride, int pad, float *y)
{
    if (Cin <= 0 || L <= 0 || Cout <= 0 || k <= 0 || stride <= 0 || pad < 0)
        return SC_EARG;
    int Lo = (L - 1) * stride - 2 * pad + k;
    if (Lo <= 0)
        return SC_EARG;
    int ck = Cout * k;
    int band = (int)(SC_REF_SCRATCH_FLOATS / (size_t)ck);
    if (band < 1)
        band = 1;
    if (band > L)
        band = L;
    float *z = malloc((size_t)ck * band * sizeof(float));
    if (!z)
        return SC_ENOMEM;
    for (int co = 0; co < Cout; co++)
        for (int o = 0; o < Lo; o++)
            y[(size_t)co * Lo + o] = b ? b[co] : 0.0f;
    int rc = SC_OK;
    for (int t0 = 0; t0 < L && !rc; t0 += band) {
        int n = L - t0 < band ? L - t0 : band;
        rc = sc_ref_gemm(1, 0, ck, n, Cin, 1.0f, w, ck, x + t0, L, 0.0f, z, n);
        if (rc)
            break;
        for (int co = 0; co < Cout; co++) {
            float *yr = y + (size_t)co * Lo;
            for (int t = 0; t < n; t++)
                for (int kk = 0; kk < k; kk++) {
                    int o = (t0 + t) * stride - pad + kk;
                    if (o >= 0 && o < Lo)
                        yr[o] += z[((size_t)co * k + kk) * n + t];
                }
        }
    }
    free(z);
    return rc;
}
