/* plugins/decoder/ldm_math.c - float32 exp/sin/cos exactly as the reference
 * computed its sinusoid tables.
 *
 * The official code builds the 192-dim positional encoding and the UNet's
 * timestep embedding with torch.exp/sin/cos on CPU float32 tensors, which
 * PyTorch evaluates with SLEEF's 1-ulp AVX2 kernels (Sleef_expf8_u10,
 * Sleef_sinf8_u10, Sleef_cosf8_u10, FMA build).  Those are not correctly
 * rounded, and the conditioning must match the goldens bit for bit, so this
 * file re-implements the same algorithms (SLEEF 3.5, sleefsimdsp.c: xexpf,
 * xsinf_u1, xcosf_u1 and rempif; Boost-licensed, by Naoki Shibata) in scalar
 * C with explicit fmaf().  One quirk matters: SLEEF decides per 8-lane
 * vector whether to use the fast argument reduction (every |x| < 125) or
 * the Payne-Hanek one (rempif), and the two can differ by an ulp, so
 * ldm_sincos8() takes the vector grouping into account: element i belongs
 * to the group i / 8 of the flattened tensor, as PyTorch's vectorised loop
 * lays it out.  Only |x| < 2^25 is reproduced (enough: arguments here are
 * below 1000); larger ones fall back to libm.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "ldm.h"

typedef struct { float x, y; } f2;
typedef struct { f2 df; int i; } f2i;

static float f_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bits_f(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
/* x with its sign flipped where y is negative */
static float mulsign(float x, float y) { return f_bits(bits_f(x) ^ (bits_f(y) & 0x80000000u)); }

static f2 mk(float x, float y) { f2 r = {x, y}; return r; }
static f2 dfnormalize(f2 t) { float s = t.x + t.y; return mk(s, (t.x - s) + t.y); }
static f2 dfadd_ff(float x, float y) { float s = x + y; return mk(s, (x - s) + y); }
static f2 dfadd2_ff(float x, float y)
{
    float s = x + y, v = s - x;
    return mk(s, (x - (s - v)) + (y - v));
}
static f2 dfadd_f2f(f2 x, float y) { float s = x.x + y; return mk(s, ((x.x - s) + y) + x.y); }
static f2 dfadd2_f2f(f2 x, float y)
{
    float s = x.x + y, v = s - x.x;
    float t = (x.x - (s - v)) + (y - v);
    return mk(s, t + x.y);
}
static f2 dfadd_ff2(float x, f2 y) { float s = x + y.x; return mk(s, ((x - s) + y.x) + y.y); }
static f2 dfadd2_f2f2(f2 x, f2 y)
{
    float s = x.x + y.x, v = s - x.x;
    float t = (x.x - (s - v)) + (y.x - v);
    return mk(s, t + (x.y + y.y));
}
static f2 dfmul_ff(float x, float y) { float s = x * y; return mk(s, fmaf(x, y, -s)); }
static f2 dfmul_f2f(f2 x, float y)
{
    float s = x.x * y;
    return mk(s, fmaf(x.y, y, fmaf(x.x, y, -s)));
}
static f2 dfmul_f2f2(f2 x, f2 y)
{
    float s = x.x * y.x;
    return mk(s, fmaf(x.x, y.y, fmaf(x.y, y.x, fmaf(x.x, y.x, -s))));
}
static float dfmul_f_f2f2(f2 x, f2 y) { return fmaf(x.x, y.x, fmaf(x.y, y.x, x.x * y.y)); }
static f2 dfsqu(f2 x)
{
    float s = x.x * x.x;
    return mk(s, fmaf(x.x + x.x, x.y, fmaf(x.x, x.x, -s)));
}

static const float rempitab0[4] = {0.159154892f, 5.112411827e-08f, 3.626141271e-15f,
                                   -2.036222915e-22f};

/* rempisubf with FULL_FP_ROUNDING (AVX2) */
static float rempisub(float x, int *q)
{
    float y = rintf(x * 4);
    *q = (int)(y - rintf(x) * 4);
    return x - y * 0.25f;
}

/* Payne-Hanek reduction for |a| < 2^25 (table row 0 only). */
static f2i rempif(float a)
{
    f2i r;
    int q, q2;
    f2 x = dfmul_ff(a, rempitab0[0]);
    x.x = rempisub(x.x, &q);
    x = dfnormalize(x);
    f2 y = dfmul_ff(a, rempitab0[1]);
    x = dfadd2_f2f2(x, y);
    x.x = rempisub(x.x, &q2);
    q += q2;
    x = dfnormalize(x);
    y = dfmul_f2f(mk(rempitab0[2], rempitab0[3]), a);
    x = dfadd2_f2f2(x, y);
    x = dfnormalize(x);
    x = dfmul_f2f2(x, mk(3.1415927410125732422f * 2, -8.7422776573475857731e-08f * 2));
    if (fabsf(a) < 0.7f)
        x = mk(a, 0);
    r.df = x;
    r.i = q;
    return r;
}

#define PI_A2f 3.1414794921875f
#define PI_B2f 0.00011315941810607910156f
#define PI_C2f 1.9841872589410058936e-09f
#define SL_1_PIf ((float)0.318309886183790671537767526745028724)

static float poly_tail(f2 s, int negate)
{
    f2 t = s;
    s = dfsqu(s);
    float u = 2.6083159809786593541503e-06f;
    u = fmaf(u, s.x, -0.0001981069071916863322258f);
    u = fmaf(u, s.x, 0.00833307858556509017944336f);
    f2 x = dfadd_ff2(1, dfmul_f2f2(dfadd_ff(-0.166666597127914428710938f, u * s.x), s));
    u = dfmul_f_f2f2(t, x);
    return negate ? -u : u;
}

static float sin_u1(float d, int slow)
{
    f2 s;
    int q;
    if (!slow) {
        float u = rintf(d * SL_1_PIf);
        q = (int)u;
        float v = fmaf(u, -PI_A2f, d);
        s = dfadd2_ff(v, u * -PI_B2f);
        s = dfadd_f2f(s, u * -PI_C2f);
    } else {
        f2i dfi = rempif(d);
        q = dfi.i & 3;
        q = q + q + (dfi.df.x > 0 ? 2 : 1);
        q >>= 2;
        int o = (dfi.i & 1) == 1;
        f2 x = mk(mulsign(3.1415927410125732422f * -0.5f, dfi.df.x),
                  mulsign(-8.7422776573475857731e-08f * -0.5f, dfi.df.x));
        x = dfadd2_f2f2(dfi.df, x);
        if (o)
            dfi.df = x;
        s = dfnormalize(dfi.df);
    }
    float u = poly_tail(s, q & 1);
    if (d == 0 && signbit(d))
        u = d;
    return u;
}

static float cos_u1(float d, int slow)
{
    f2 s;
    int q;
    if (!slow) {
        float dq = fmaf(rintf(fmaf(d, SL_1_PIf, -0.5f)), 2, 1);
        q = (int)dq;
        s = dfadd2_ff(d, dq * (-PI_A2f * 0.5f));
        s = dfadd2_f2f(s, dq * (-PI_B2f * 0.5f));
        s = dfadd2_f2f(s, dq * (-PI_C2f * 0.5f));
    } else {
        f2i dfi = rempif(d);
        q = dfi.i & 3;
        q = q + q + (dfi.df.x > 0 ? 8 : 7);
        q >>= 1;
        int o = (dfi.i & 1) == 0;
        float y = dfi.df.x > 0 ? 0.0f : -1.0f;
        f2 x = mk(mulsign(3.1415927410125732422f * -0.5f, y),
                  mulsign(-8.7422776573475857731e-08f * -0.5f, y));
        x = dfadd2_f2f2(dfi.df, x);
        if (o)
            dfi.df = x;
        s = dfnormalize(dfi.df);
    }
    return poly_tail(s, (q & 2) == 0);
}

float ldm_expf(float d)
{
    int q = (int)rintf(d * 1.442695040888963407359924681001892137426645954152985934135449406931f);
    float s = fmaf((float)q, -0.693145751953125f, d);
    s = fmaf((float)q, -1.428606765330187045e-06f, s);
    float u = (float)0.000198527617612853646278381;
    u = fmaf(u, s, (float)0.00139304355252534151077271);
    u = fmaf(u, s, (float)0.00833336077630519866943359);
    u = fmaf(u, s, (float)0.0416664853692054748535156);
    u = fmaf(u, s, (float)0.166666671633720397949219);
    u = fmaf(u, s, (float)0.5);
    u = 1.0f + fmaf(s * s, u, s);
    int h = q >> 1;
    u = (u * f_bits((uint32_t)(h + 0x7f) << 23)) * f_bits((uint32_t)(q - h + 0x7f) << 23);
    if (d < -104)
        u = 0;
    if (100 < d)
        u = INFINITY;
    return u;
}

void ldm_sincos8(const float *x, int n, float *s, float *c)
{
    for (int g = 0; g < n; g += 8) {
        int e = g + 8 < n ? g + 8 : n, slow = 0, big = 0;
        for (int i = g; i < e; i++) {
            if (!(fabsf(x[i]) < 125.0f))
                slow = 1;
            if (!(fabsf(x[i]) < 33554432.0f))
                big = 1;
        }
        for (int i = g; i < e; i++) {
            if (big) {
                if (s) s[i] = (float)sin((double)x[i]);
                if (c) c[i] = (float)cos((double)x[i]);
                continue;
            }
            if (s) s[i] = sin_u1(x[i], slow);
            if (c) c[i] = cos_u1(x[i], slow);
        }
    }
}

void ldm_pe_table(int rows, float *pe)
{
    /* PositionalEncoding(512, 192): div = exp(arange(0, 192, 2) * (-ln(1e4) / 192))
     * with the scalar rounded to float32; arg = pos * div; [rows, 96]. */
    float div[96], arg[96], s[96], c[96];
    const float sc = (float)(-log(10000.0) / 192.0);
    for (int j = 0; j < 96; j++)
        div[j] = ldm_expf((float)(2 * j) * sc);
    for (int p = 0; p < rows; p++) {
        for (int j = 0; j < 96; j++)
            arg[j] = (float)p * div[j];
        /* 96 is a multiple of 8, so each row starts a new vector group */
        ldm_sincos8(arg, 96, s, c);
        for (int j = 0; j < 96; j++) {
            pe[(size_t)p * 192 + 2 * j] = s[j];
            pe[(size_t)p * 192 + 2 * j + 1] = c[j];
        }
    }
}

void ldm_timestep_embedding(float t, float *emb)
{
    /* freqs = exp(-ln(1e4) * arange(32) / 32), args = t * freqs, [cos | sin] */
    float arg[32];
    const float sc = (float)-log(10000.0);
    for (int k = 0; k < 32; k++)
        arg[k] = t * ldm_expf(sc * (float)k / 32.0f);
    ldm_sincos8(arg, 32, emb + 32, emb);
}
