/* torchaudio.functional.resample with default arguments (see
 * sc/resample.h).  Compiled with -ffp-contract=off: the kernel is
 * rounded step by step as torch's float32 tensor ops do. */
#include <math.h>
#include <stdint.h>
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

/* Float32 dot product in a fixed order: 8 lanes (two 4-wide vectors, SSE
 * on x86-64 without any -m flag), then a fixed tree, then the tail.  The
 * order depends only on n, so every path and thread count gives the same
 * bits; float accumulation over <= a few hundred taps stays ~1e-7 from the
 * exact sum (torch's own float32 conv is no closer). */
typedef float v4sf __attribute__((vector_size(16)));

static float dot(const float *h, const float *x, int n)
{
    v4sf a = {0, 0, 0, 0}, b = {0, 0, 0, 0};
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        v4sf h0, h1, x0, x1;
        memcpy(&h0, h + k, sizeof h0);
        memcpy(&h1, h + k + 4, sizeof h1);
        memcpy(&x0, x + k, sizeof x0);
        memcpy(&x1, x + k + 4, sizeof x1);
        a += h0 * x0;
        b += h1 * x1;
    }
    a += b;
    float s = (a[0] + a[1]) + (a[2] + a[3]);
    for (; k < n; k++)
        s += h[k] * x[k];
    return s;
}

/* Output block p (outputs p*q .. p*q + q - 1, at most jmax of them) into
 * out[0..].  x points at absolute input sample xbase; inputs at or past n
 * are zeros.  Shared by the whole-array and the streaming paths, so both
 * give the same bits. */
static void block(const sc_resampler *r, int64_t p, const float *x, int64_t xbase, int64_t n,
                  float *out, int jmax)
{
    const int L = r->taps;
    /* output p*q + j reads x[p*o - w + k] for k in [0, L) */
    int64_t start = p * r->o - r->w;
    int k0 = start < 0 ? (int)-start : 0;
    int k1 = L;
    if (start + L > n)
        k1 = (int)(n - start);
    if (k1 < k0)
        k1 = k0;
    const int cnt = k1 - k0;
    const float *xs = cnt > 0 ? x + (start + k0 - xbase) : x;
    for (int j = 0; j < r->q && j < jmax; j++)
        out[j] = dot(r->h + (size_t)j * L + k0, xs, cnt);
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
    const int64_t q = J->r->q;
    for (int64_t p = pb; p < pe; p++) {
        int64_t left = J->ny - p * q;
        block(J->r, p, J->x, 0, J->n, J->y + p * q, left < q ? (int)left : (int)q);
    }
}

void sc_resampler_run(const sc_resampler *r, const float *x, int64_t n, float *y, sc_pool *pool)
{
    int64_t ny = sc_resampler_length(r, n);
    int64_t blocks = (ny + r->q - 1) / r->q;
    rjob J = {r, x, n, ny, y};
    sc_pool_for(pool, blocks, run_blocks, &J);
}

/* ---- streaming ---- */

struct sc_resample_stream {
    const sc_resampler *r;
    float *buf;          /* input samples base .. base + len - 1 */
    int64_t base, len, cap;
    int64_t nin;         /* input samples pushed */
    int64_t p;           /* next output block */
    int64_t nout;        /* outputs delivered */
    int eof;
};

sc_resample_stream *sc_resample_stream_new(const sc_resampler *r, sc_err *err)
{
    sc_resample_stream *s = calloc(1, sizeof *s);
    if (!s) {
        sc_err_set(err, SC_ENOMEM, "resample: out of memory");
        return NULL;
    }
    s->r = r;
    return s;
}

void sc_resample_stream_free(sc_resample_stream *s)
{
    if (!s)
        return;
    free(s->buf);
    free(s);
}

void sc_resample_stream_reset(sc_resample_stream *s)
{
    s->base = s->len = s->nin = s->p = s->nout = 0;
    s->eof = 0;
}

int64_t sc_resample_stream_max_out(const sc_resample_stream *s, int64_t n)
{
    const sc_resampler *r = s->r;
    return ((s->nin + n + r->w + r->o) / r->o + 2 - s->p) * r->q;
}

int64_t sc_resample_stream_push(sc_resample_stream *s, const float *x, int64_t n, int eof,
                                float *y, sc_err *err)
{
    const sc_resampler *r = s->r;
    if (s->eof)
        return n ? sc_err_set(err, SC_EINTERNAL, "resample: input after the end") : 0;
    /* drop input no future block reads, then append */
    int64_t keep_from = s->p * r->o - r->w;
    if (keep_from > s->base) {
        int64_t drop = keep_from - s->base;
        if (drop > s->len)
            drop = s->len;
        memmove(s->buf, s->buf + drop, sizeof(float) * (size_t)(s->len - drop));
        s->len -= drop;
        s->base += drop;
    }
    if (s->len + n > s->cap) {
        int64_t nc = s->cap ? s->cap : 4096;
        while (nc < s->len + n)
            nc *= 2;
        float *nb = realloc(s->buf, sizeof(float) * (size_t)nc);
        if (!nb)
            return sc_err_set(err, SC_ENOMEM, "resample: out of memory");
        s->buf = nb;
        s->cap = nc;
    }
    if (n)
        memcpy(s->buf + s->len, x, sizeof(float) * (size_t)n);
    s->len += n;
    s->nin += n;
    s->eof = eof;
    int64_t made = 0;
    const int64_t ny = eof ? sc_resampler_length(r, s->nin) : INT64_MAX;
    for (;;) {
        int64_t start = s->p * r->o - r->w;
        if (!eof && start + r->taps > s->nin)
            break;     /* block not complete yet */
        int64_t first = s->p * r->q;
        if (first >= ny)
            break;
        int64_t left = ny - first;
        int jm = left < r->q ? (int)left : r->q;
        block(r, s->p, s->buf, s->base, eof ? s->nin : INT64_MAX, y + made, jm);
        made += jm;
        s->p++;
    }
    s->nout += made;
    return made;
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
