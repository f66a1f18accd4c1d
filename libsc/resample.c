/* torchaudio.functional.resample with default arguments (see
 * sc/resample.h).  Compiled with -ffp-contract=off: the kernel is
 * rounded step by step as torch's float32 tensor ops do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sc/resample.h"

#define LOWPASS_WIDTH 6
#define ROLLOFF 0.99

struct sc_resampler {
    int from, to;        /* the rates as given */
    int o, q;            /* reduced: input and output phase counts */
    int w;               /* kernel half-width in input samples */
    int taps;            /* 2w + o */
    float *h;            /* [q][taps] */
};

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

sc_resampler *sc_resampler_new(int from, int to, sc_err *err)
{
    if (from <= 0 || to <= 0) {
        sc_err_set(err, SC_EARG, "resample: bad rates %d -> %d Hz", from, to);
        return NULL;
    }
    int g = gcd(from, to);
    int o = from / g, q = to / g;
    double base = (double)(o < q ? o : q) * ROLLOFF;
    double wd = ceil(LOWPASS_WIDTH * (double)o / base);
    if ((double)q * (2.0 * wd + o) > SC_RESAMPLE_MAX_TAPS) {
        sc_err_set(err, SC_EUNSUPPORTED,
                   "resample: %d -> %d Hz needs a %.0f-tap kernel (rates share too small a "
                   "factor)", from, to, (double)q * (2.0 * wd + o));
        return NULL;
    }
    sc_resampler *r = calloc(1, sizeof *r);
    if (!r) {
        sc_err_set(err, SC_ENOMEM, "resample: out of memory");
        return NULL;
    }
    r->from = from;
    r->to = to;
    r->o = o;
    r->q = q;
    r->w = (int)wd;
    r->taps = 2 * r->w + o;
    r->h = malloc(sizeof(float) * (size_t)q * (size_t)r->taps);
    if (!r->h) {
        free(r);
        sc_err_set(err, SC_ENOMEM, "resample: out of memory");
        return NULL;
    }
    /* _get_sinc_resample_kernel, float32 step by step */
    const float fbase = (float)base, fo = (float)o, fq = (float)q;
    const float fpi = (float)M_PI, fscale = (float)(base / (double)o);
    const float lim = (float)LOWPASS_WIDTH;
    for (int j = 0; j < q; j++) {
        float tj = (float)(-j) / fq;
        for (int k = 0; k < r->taps; k++) {
            float idx = (float)(k - r->w) / fo;
            float t = tj + idx;
            t = t * fbase;
            if (t < -lim)
                t = -lim;
            if (t > lim)
                t = lim;
            float c = cosf(t * fpi / lim / 2.0f);
            float win = c * c;
            t = t * fpi;
            float kern = t == 0.0f ? 1.0f : sinf(t) / t;
            r->h[(size_t)j * r->taps + k] = kern * (win * fscale);
        }
    }
    return r;
}

void sc_resampler_free(sc_resampler *r)
{
    if (!r)
        return;
    free(r->h);
    free(r);
}

int64_t sc_resampler_length(const sc_resampler *r, int64_t n)
{
    /* torch.ceil(torch.as_tensor(new_freq * length / orig_freq)) */
    return (int64_t)ceil((double)((int64_t)r->q * n) / (double)r->o);
}

typedef struct rjob {
    const sc_resampler *r;
    const float *x;
    int64_t n, ny;
    float *y;
} rjob;

static void run_blocks(void *arg, int64_t pb, int64_t pe, int worker)
{
    const rjob *J = arg;
    const sc_resampler *r = J->r;
    const int o = r->o, q = r->q, L = r->taps;
    for (int64_t p = pb; p < pe; p++) {
        /* output p*q + j reads x[p*o - w + k] for k in [0, L) */
        int64_t start = p * o - r->w;
        int k0 = start < 0 ? (int)-start : 0;
        int k1 = L;
        if (start + L > J->n)
            k1 = (int)(J->n - start);
        if (k1 < k0)
            k1 = k0;
        const int cnt = k1 - k0;
        const float *xs = cnt > 0 ? J->x + (start + k0) : J->x;
        for (int j = 0; j < q; j++) {
            int64_t yi = p * q + j;
            if (yi >= J->ny)
                return;
            const float *h = r->h + (size_t)j * L + k0;
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int k = 0;
            for (; k + 4 <= cnt; k += 4) {
                a0 += (double)h[k] * xs[k];
                a1 += (double)h[k + 1] * xs[k + 1];
                a2 += (double)h[k + 2] * xs[k + 2];
                a3 += (double)h[k + 3] * xs[k + 3];
            }
            for (; k < cnt; k++)
                a0 += (double)h[k] * xs[k];
            J->y[yi] = (float)((a0 + a1) + (a2 + a3));
        }
    }
}

void sc_resampler_run(const sc_resampler *r, const float *x, int64_t n, float *y, sc_pool *pool)
{
    int64_t ny = sc_resampler_length(r, n);
    int64_t blocks = (ny + r->q - 1) / r->q;
    rjob J = {r, x, n, ny, y};
    sc_pool_for(pool, blocks, run_blocks, &J);
}

int sc_resample(const float *x, int64_t n, int from, int to, float **y, int64_t *ny,
                sc_pool *pool, sc_err *err)
{
    *y = NULL;
    *ny = 0;
    if (n < 0)
        return sc_err_set(err, SC_EARG, "resample: negative length");
    if (from == to) {
        float *c = malloc(sizeof(float) * (size_t)(n ? n : 1));
        if (!c)
            return sc_err_set(err, SC_ENOMEM, "resample: out of memory (%lld samples)",
                              (long long)n);
        if (n)
            memcpy(c, x, sizeof(float) * (size_t)n);
        *y = c;
        *ny = n;
        return SC_OK;
    }
    sc_resampler *r = sc_resampler_new(from, to, err);
    if (!r)
        return err ? err->code : SC_EARG;
    int64_t m = sc_resampler_length(r, n);
    float *out = malloc(sizeof(float) * (size_t)(m ? m : 1));
    if (!out) {
        sc_resampler_free(r);
        return sc_err_set(err, SC_ENOMEM, "resample: out of memory (%lld samples)", (long long)m);
    }
    sc_resampler_run(r, x, n, out, pool);
    sc_resampler_free(r);
    *y = out;
    *ny = m;
    return SC_OK;
}
