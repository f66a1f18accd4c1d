/* plugins/decoder/dpm.c - the DPM-Solver plan (contract in dpm.h).
 *
 * The reference evaluates every schedule quantity as a float32 tensor of a
 * few elements, so each scalar here is a float and each torch operation one
 * rounding, in the reference's order (the file is built without FMA
 * contraction).  Where the reference's expression order matters for the
 * latent (x - sigma e) / alpha, (A - B) - C, ...) the program keeps it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/stage_decoder.h"
#include "ldm.h"
#include "dpm.h"

/* ---- schedule ------------------------------------------------------- */

void dpm_linspace(float start, float end, int n, float *out)
{
    if (n < 1)
        return;
    if (n == 1) {
        out[0] = start;
        return;
    }
    /* the CPU kernel: start + step i below the midpoint, end - step (n-1-i)
     * above it; in its vectorised part (pairs of 8-lane vectors) each
     * vector is base + j step from the formula at its first lane */
    const float step = (end - start) / (float)(n - 1);
    const int half = n / 2, nv = n / 16 * 16;
    for (int b = 0; b < nv; b += 8) {
        float base = b < half ? start + step * (float)b : end - step * (float)(n - b - 1);
        for (int j = 0; j < 8; j++)
            out[b + j] = base + (float)j * step;
    }
    for (int k = nv; k < n; k++)
        out[k] = k < half ? start + step * (float)k : end - step * (float)(n - k - 1);
}

void dpm_sched_init(dpm_sched *s, const float *acp)
{
    float t[DPM_N + 1];
    dpm_linspace(0.0f, 1.0f, DPM_N + 1, t);
    for (int n = 0; n < DPM_N; n++) {
        s->t[n] = t[n + 1];
        s->la[n] = 0.5f * logf(acp[n]);
    }
}

/* interpolate_fn for one point: xp ascending (stride dx, first at xp), yp
 * alike.  The reference sorts x in among the keypoints and takes the
 * segment around it, the first or last segment outside; x equal to a
 * keypoint is placed before it (as a stable sort leaves it). */
static float interp(float x, const float *xp, const float *yp, int K, int rev)
{
#define XP(k) (rev ? xp[K - 1 - (k)] : xp[k])
#define YP(k) (rev ? yp[K - 1 - (k)] : yp[k])
    int lo = 0, hi = K;   /* count of keypoints < x */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (XP(mid) < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    int j = lo == 0 ? 0 : lo == K ? K - 2 : lo - 1;
    float sx = XP(j), ex = XP(j + 1), sy = YP(j), ey = YP(j + 1);
    return sy + (x - sx) * (ey - sy) / (ex - sx);
#undef XP
#undef YP
}

float dpm_log_alpha(const dpm_sched *s, float t)
{
    return interp(t, s->t, s->la, DPM_N, 0);
}

float dpm_alpha(const dpm_sched *s, float t)
{
    return ldm_expf(dpm_log_alpha(s, t));
}

float dpm_sigma(const dpm_sched *s, float t)
{
    return sqrtf(1.0f - ldm_expf(2.0f * dpm_log_alpha(s, t)));
}

float dpm_lambda(const dpm_sched *s, float t)
{
    float la = dpm_log_alpha(s, t);
    float ls = 0.5f * logf(1.0f - ldm_expf(2.0f * la));
    return la - ls;
}

void dpm_inverse_lambda(const dpm_sched *s, const float *lambda, int n, float *t)
{
    /* log alpha = -0.5 logaddexp(0, -2 lambda); logaddexp(a, b) = max(a, b)
     * + log1p(exp(-|a - b|)), vectorised (SLEEF exp) over whole groups of
     * 16 elements, libm one by one for the rest */
    const int nv = n / 16 * 16;
    for (int i = 0; i < n; i++) {
        float b = -2.0f * lambda[i];
        float m = b > 0.0f ? b : 0.0f;
        float d = -fabsf(0.0f - b);
        float e = i < nv ? ldm_expf(d) : expf(d);
        float la = -0.5f * (m + log1pf(e));
        /* xp = flip(log alpha), yp = flip(t): both read backwards */
        t[i] = interp(la, s->la, s->t, DPM_N, 1);
    }
}

float dpm_label(float t)
{
    return (t - (float)(1.0 / DPM_N)) * 1000.0f;
}

void dpm_time_steps(const dpm_sched *s, int skip, double tT, double t0, int N, float *out)
{
    if (skip == SC_DEC_LOGSNR) {
        float lam[SC_DEC_TIMESTEPS + 1];
        float lT = dpm_lambda(s, (float)tT), l0 = dpm_lambda(s, (float)t0);
        dpm_linspace(lT, l0, N + 1, lam);
        dpm_inverse_lambda(s, lam, N + 1, out);
    } else if (skip == SC_DEC_TIME_QUADRATIC) {
        dpm_linspace((float)pow(tT, 1.0 / 2), (float)pow(t0, 1.0 / 2), N + 1, out);
        for (int i = 0; i <= N; i++)
            out[i] = out[i] * out[i];
    } else {
        dpm_linspace((float)tT, (float)t0, N + 1, out);
    }
}

/* ---- program builder ------------------------------------------------ */

typedef struct gen {
    const dpm_sched *s;
    dpm_prog *p;
    int x0;          /* predict_x0 (DPM-Solver++) */
    int flags;       /* DPM_EVAL_* */
    float g;         /* guidance scale as the reference's float32 scalar */
} gen;

static void emit(gen *G, int op, int dst, int a, int b, float c, float t)
{
    dpm_prog *p = G->p;
    if (p->oom)
        return;
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 256;
        dpm_op *o = realloc(p->ops, (size_t)cap * sizeof *o);
        if (!o) {
            p->oom = 1;
            return;
        }
        p->ops = o;
        p->cap = cap;
    }
    p->ops[p->n++] = (dpm_op){(unsigned char)op, (unsigned char)dst, (unsigned char)a,
                              (unsigned char)b, op == DPM_OP_EVAL ? G->flags : 0, c, t};
}

static void mul(gen *G, int dst, float c, int a) { emit(G, DPM_OP_SCALE, dst, a, 0, c, 0); }
static void add(gen *G, int dst, int a, int b) { emit(G, DPM_OP_ADD, dst, a, b, 0, 0); }
static void sub(gen *G, int dst, int a, int b) { emit(G, DPM_OP_SUB, dst, a, b, 0, 0); }

/* model_fn(x, t) -> dst: the wrapper's noise (v -> alpha v + sigma x,
 * guidance in noise space), then for DPM-Solver++ the data prediction
 * (x - sigma e) / alpha. */
static void model(gen *G, int x, float t, int dst)
{
    const float la = dpm_log_alpha(G->s, t);
    const float alpha = ldm_expf(la);
    const float sigma = sqrtf(1.0f - ldm_expf(2.0f * la));
    emit(G, DPM_OP_EVAL, 0, x, 0, dpm_label(t), t);
    G->p->nevals++;
    mul(G, DPM_T2, sigma, x);
    if (G->flags == (DPM_EVAL_U | DPM_EVAL_C)) {
        mul(G, DPM_T1, alpha, DPM_VU);
        add(G, DPM_VU, DPM_T1, DPM_T2);
        mul(G, DPM_T1, alpha, DPM_VC);
        add(G, DPM_VC, DPM_T1, DPM_T2);
        /* e_u + g (e_c - e_u) */
        sub(G, DPM_T1, DPM_VC, DPM_VU);
        mul(G, DPM_T1, G->g, DPM_T1);
        add(G, dst, DPM_VU, DPM_T1);
    } else {
        mul(G, DPM_T1, alpha, G->flags == DPM_EVAL_C ? DPM_VC : DPM_VU);
        add(G, dst, DPM_T1, DPM_T2);
    }
    if (G->x0) {
        mul(G, DPM_T1, sigma, dst);
        sub(G, DPM_T1, x, DPM_T1);
        emit(G, DPM_OP_DIV, dst, DPM_T1, 0, alpha, 0);
    }
}

/* out = c1 x - c2 m */
static void lin2(gen *G, int out, float c1, int x, float c2, int m)
{
    mul(G, DPM_T1, c1, x);
    mul(G, DPM_T2, c2, m);
    sub(G, out, DPM_T1, DPM_T2);
}

/* DPM-Solver-1 from s to t with the model output ms at s: x -> out. */
static void first_update(gen *G, int x, float s, float t, int ms, int out)
{
    const dpm_sched *S = G->s;
    float h = dpm_lambda(S, t) - dpm_lambda(S, s);
    float las = dpm_log_alpha(S, s), lat = dpm_log_alpha(S, t);
    float ss = dpm_sigma(S, s), st = dpm_sigma(S, t), at = ldm_expf(lat);
    if (G->x0)
        lin2(G, out, st / ss, x, at * expm1f(-h), ms);
    else
        lin2(G, out, ldm_expf(lat - las), x, st * expm1f(h), ms);
}

/* Multistep DPM-Solver-2 from t0 to t with outputs m1 (at t1), m0 (at t0). */
static void ms2_update(gen *G, int m1, int m0, float t1, float t0, float t)
{
    const dpm_sched *S = G->s;
    float l1 = dpm_lambda(S, t1), l0 = dpm_lambda(S, t0), lt = dpm_lambda(S, t);
    float la0 = dpm_log_alpha(S, t0), lat = dpm_log_alpha(S, t);
    float s0 = dpm_sigma(S, t0), st = dpm_sigma(S, t), at = ldm_expf(lat);
    float h0 = l0 - l1, h = lt - l0, r0 = h0 / h;
    float c1, c2;
    sub(G, DPM_T3, m0, m1);
    mul(G, DPM_T3, 1.0f / r0, DPM_T3);          /* D1_0 */
    if (G->x0) {
        c1 = st / s0;
        c2 = at * (ldm_expf(-h) - 1.0f);
    } else {
        c1 = ldm_expf(lat - la0);
        c2 = st * (ldm_expf(h) - 1.0f);
    }
    lin2(G, DPM_T1, c1, DPM_X, c2, m0);
    mul(G, DPM_T2, 0.5f * c2, DPM_T3);
    sub(G, DPM_X, DPM_T1, DPM_T2);
}

/* Multistep DPM-Solver-3 from t0 to t with outputs m2, m1, m0. */
static void ms3_update(gen *G, int m2, int m1, int m0, float t2, float t1, float t0, float t)
{
    const dpm_sched *S = G->s;
    float l2 = dpm_lambda(S, t2), l1 = dpm_lambda(S, t1), l0 = dpm_lambda(S, t0);
    float lt = dpm_lambda(S, t);
    float la0 = dpm_log_alpha(S, t0), lat = dpm_log_alpha(S, t);
    float s0 = dpm_sigma(S, t0), st = dpm_sigma(S, t), at = ldm_expf(lat);
    float h1 = l1 - l2, h0 = l0 - l1, h = lt - l0;
    float r0 = h0 / h, r1 = h1 / h;
    sub(G, DPM_T3, m0, m1);
    mul(G, DPM_T3, 1.0f / r0, DPM_T3);          /* D1_0 */
    sub(G, DPM_T4, m1, m2);
    mul(G, DPM_T4, 1.0f / r1, DPM_T4);          /* D1_1 */
    sub(G, DPM_T5, DPM_T3, DPM_T4);             /* D1_0 - D1_1 */
    mul(G, DPM_T6, r0 / (r0 + r1), DPM_T5);
    add(G, DPM_T6, DPM_T3, DPM_T6);             /* D1 */
    mul(G, DPM_T5, 1.0f / (r0 + r1), DPM_T5);   /* D2 */
    float c1, c2, c3, c4;
    if (G->x0) {
        float e = ldm_expf(-h) - 1.0f;
        c1 = st / s0;
        c2 = at * e;
        c3 = at * (e / h + 1.0f);
        c4 = at * ((e + h) / (h * h) - 0.5f);
    } else {
        float e = ldm_expf(h) - 1.0f;
        c1 = ldm_expf(lat - la0);
        c2 = st * e;
        c3 = st * (e / h - 1.0f);
        c4 = st * ((e - h) / (h * h) - 0.5f);
    }
    lin2(G, DPM_T1, c1, DPM_X, c2, m0);
    mul(G, DPM_T2, c3, DPM_T6);
    if (G->x0)
        add(G, DPM_T1, DPM_T1, DPM_T2);
    else
        sub(G, DPM_T1, DPM_T1, DPM_T2);
    mul(G, DPM_T2, c4, DPM_T5);
    sub(G, DPM_X, DPM_T1, DPM_T2);
}

/* xs_out = (A x - B m) -/+ C (mb - m): the pattern of the singlestep
 * updates, '+' for the data prediction's intermediate and final steps. */
static void lin3(gen *G, int out, float a, float b, float c, int mb, int m, int plus)
{
    lin2(G, DPM_T1, a, DPM_X, b, m);
    sub(G, DPM_T3, mb, m);
    mul(G, DPM_T2, c, DPM_T3);
    if (plus)
        add(G, out, DPM_T1, DPM_T2);
    else
        sub(G, out, DPM_T1, DPM_T2);
}

/* Singlestep DPM-Solver-2 from s to t with r1 (the reference's tensor). */
static void ss2_update(gen *G, float s, float t, float r1)
{
    const dpm_sched *S = G->s;
    float ls = dpm_lambda(S, s), lt = dpm_lambda(S, t), h = lt - ls;
    float s1 = 0;
    float ls1 = ls + r1 * h;
    dpm_inverse_lambda(S, &ls1, 1, &s1);
    float las = dpm_log_alpha(S, s), las1 = dpm_log_alpha(S, s1), lat = dpm_log_alpha(S, t);
    float ss = dpm_sigma(S, s), ss1 = dpm_sigma(S, s1), st = dpm_sigma(S, t);
    float as1 = ldm_expf(las1), at = ldm_expf(lat);
    model(G, DPM_X, s, DPM_M0);
    if (G->x0) {
        float phi11 = expm1f(-r1 * h), phi1 = expm1f(-h);
        lin2(G, DPM_XS, ss1 / ss, DPM_X, as1 * phi11, DPM_M0);
        model(G, DPM_XS, s1, DPM_M1);
        lin3(G, DPM_X, st / ss, at * phi1, 0.5f / r1 * (at * phi1), DPM_M1, DPM_M0, 0);
    } else {
        float phi11 = expm1f(r1 * h), phi1 = expm1f(h);
        lin2(G, DPM_XS, ldm_expf(las1 - las), DPM_X, ss1 * phi11, DPM_M0);
        model(G, DPM_XS, s1, DPM_M1);
        lin3(G, DPM_X, ldm_expf(lat - las), st * phi1, 0.5f / r1 * (st * phi1), DPM_M1, DPM_M0,
             0);
    }
}

/* Singlestep DPM-Solver-3 from s to t with r1, r2. */
static void ss3_update(gen *G, float s, float t, float r1, float r2)
{
    const dpm_sched *S = G->s;
    float ls = dpm_lambda(S, s), lt = dpm_lambda(S, t), h = lt - ls;
    float lsi[2] = {ls + r1 * h, ls + r2 * h}, si[2] = {0, 0};
    dpm_inverse_lambda(S, &lsi[0], 1, &si[0]);
    dpm_inverse_lambda(S, &lsi[1], 1, &si[1]);
    float s1 = si[0], s2 = si[1];
    float las = dpm_log_alpha(S, s), las1 = dpm_log_alpha(S, s1);
    float las2 = dpm_log_alpha(S, s2), lat = dpm_log_alpha(S, t);
    float ss = dpm_sigma(S, s), ss1 = dpm_sigma(S, s1), ss2 = dpm_sigma(S, s2);
    float st = dpm_sigma(S, t);
    float as1 = ldm_expf(las1), as2 = ldm_expf(las2), at = ldm_expf(lat);
    model(G, DPM_X, s, DPM_M0);
    if (G->x0) {
        float phi11 = expm1f(-r1 * h), phi12 = expm1f(-r2 * h), phi1 = expm1f(-h);
        float phi22 = expm1f(-r2 * h) / (r2 * h) + 1.0f, phi2 = phi1 / h + 1.0f;
        lin2(G, DPM_XS, ss1 / ss, DPM_X, as1 * phi11, DPM_M0);
        model(G, DPM_XS, s1, DPM_M1);
        lin3(G, DPM_XS2, ss2 / ss, as2 * phi12, r2 / r1 * (as2 * phi22), DPM_M1, DPM_M0, 1);
        model(G, DPM_XS2, s2, DPM_M2);
        lin3(G, DPM_X, st / ss, at * phi1, 1.0f / r2 * (at * phi2), DPM_M2, DPM_M0, 1);
    } else {
        float phi11 = expm1f(r1 * h), phi12 = expm1f(r2 * h), phi1 = expm1f(h);
        float phi22 = expm1f(r2 * h) / (r2 * h) - 1.0f, phi2 = phi1 / h - 1.0f;
        lin2(G, DPM_XS, ldm_expf(las1 - las), DPM_X, ss1 * phi11, DPM_M0);
        model(G, DPM_XS, s1, DPM_M1);
        lin3(G, DPM_XS2, ldm_expf(las2 - las), ss2 * phi12, r2 / r1 * (ss2 * phi22), DPM_M1,
             DPM_M0, 0);
        model(G, DPM_XS2, s2, DPM_M2);
        lin3(G, DPM_X, ldm_expf(lat - las), st * phi1, 1.0f / r2 * (st * phi2), DPM_M2, DPM_M0,
             0);
    }
}

static void multistep(gen *G, int steps, int order, const float *ts)
{
    int reg[3];      /* model_prev_list as registers, oldest first */
    float tl[3];
    int len = 1;
    reg[0] = DPM_M0;
    tl[0] = ts[0];
    model(G, DPM_X, ts[0], reg[0]);
    for (int k = 1; k <= steps; k++) {
        int so = k < order ? k : order;
        if (k >= order && steps < 15 && steps + 1 - k < so)
            so = steps + 1 - k;   /* lower_order_final */
        /* an update of order so uses the last so outputs (for order 3 at
         * so == 2 the reference's unpacking fails; this is its intent) */
        if (so == 1)
            first_update(G, DPM_X, tl[len - 1], ts[k], reg[len - 1], DPM_X);
        else if (so == 2)
            ms2_update(G, reg[len - 2], reg[len - 1], tl[len - 2], tl[len - 1], ts[k]);
        else
            ms3_update(G, reg[0], reg[1], reg[2], tl[0], tl[1], tl[2], ts[k]);
        if (k == steps)
            break;
        if (len < order) {
            reg[len] = DPM_M0 + len;
            len++;
        } else {
            int r0 = reg[0];
            for (int i = 0; i + 1 < len; i++) {
                reg[i] = reg[i + 1];
                tl[i] = tl[i + 1];
            }
            reg[len - 1] = r0;
        }
        tl[len - 1] = ts[k];
        model(G, DPM_X, ts[k], reg[len - 1]);
    }
}

static void singlestep(gen *G, int skip, int nblocks, const int *orders, const float *outer)
{
    for (int i = 0; i < nblocks; i++) {
        int o = orders[i];
        float s = outer[i], t = outer[i + 1], inner[4] = {0}, lam[4] = {0};
        dpm_time_steps(G->s, skip, s, t, o, inner);
        for (int j = 0; j <= o; j++)
            lam[j] = dpm_lambda(G->s, inner[j]);
        float h = lam[o] - lam[0];
        if (o == 1) {
            model(G, DPM_X, s, DPM_M0);
            first_update(G, DPM_X, s, t, DPM_M0, DPM_X);
        } else if (o == 2) {
            ss2_update(G, s, t, (lam[1] - lam[0]) / h);
        } else {
            ss3_update(G, s, t, (lam[1] - lam[0]) / h, (lam[2] - lam[0]) / h);
        }
    }
}

int dpm_plan(const dpm_sched *s, int predict_x0, int steps, int order, int method, int skip,
             double g, dpm_prog *p, char *why, size_t whylen)
{
    memset(p, 0, sizeof *p);
    const double tT = 1.0, t0 = 1.0 / DPM_N;
    gen G = {s, p, predict_x0, 0, (float)g};
    G.flags = g == 1.0 ? DPM_EVAL_C : g == 0.0 ? DPM_EVAL_U : DPM_EVAL_U | DPM_EVAL_C;
#define FAIL(...) do { if (why) snprintf(why, whylen, __VA_ARGS__); return -1; } while (0)
    if (order < 1 || order > 3)
        FAIL("order %d: must be 1, 2 or 3", order);
    if (steps < 1 || steps > SC_DEC_TIMESTEPS)
        FAIL("%d steps: must be 1..%d", steps, SC_DEC_TIMESTEPS);
    if (skip < SC_DEC_TIME_UNIFORM || skip > SC_DEC_TIME_QUADRATIC)
        FAIL("unknown skip type %d", skip);
    float *ts = malloc((size_t)(steps + 1) * sizeof *ts);
    int *orders = malloc((size_t)steps * sizeof *orders);
    if (!ts || !orders) {
        free(ts);
        free(orders);
        return -2;
    }
    int rc = 0, nb = 0;
    if (method == SC_DEC_MULTISTEP) {
        if (steps < order) {
            rc = -1;
            if (why)
                snprintf(why, whylen, "multistep order %d needs at least %d steps", order, order);
        } else {
            dpm_time_steps(s, skip, tT, t0, steps, ts);
            multistep(&G, steps, order, ts);
        }
    } else if (method == SC_DEC_SINGLESTEP) {
        if (order == 3) {
            int K = steps / 3 + 1;
            for (int i = 0; i < K; i++)
                orders[nb++] = 3;
            nb -= steps % 3 == 0 ? 2 : 1;
            if (steps % 3 == 0) {
                orders[nb++] = 2;
                orders[nb++] = 1;
            } else {
                orders[nb++] = steps % 3;
            }
        } else if (order == 2) {
            for (int i = 0; i < steps / 2; i++)
                orders[nb++] = 2;
            if (steps % 2)
                orders[nb++] = 1;
        } else {
            for (int i = 0; i < steps; i++)
                orders[nb++] = 1;
        }
        if (skip == SC_DEC_LOGSNR) {
            /* uniform in lambda over the blocks (for order 1 the reference
             * takes a single interval and then indexes past it: its intent
             * is one block per step) */
            dpm_time_steps(s, skip, tT, t0, nb, ts);
        } else {
            /* the steps-interval grid at the running sums of the orders
             * (the reference's torch.cumsum without a dimension fails) */
            float *all = malloc((size_t)(steps + 1) * sizeof *all);
            if (!all) {
                rc = -2;
            } else {
                dpm_time_steps(s, skip, tT, t0, steps, all);
                int c = 0;
                ts[0] = all[0];
                for (int i = 0; i < nb; i++) {
                    c += orders[i];
                    ts[i + 1] = all[c];
                }
                free(all);
            }
        }
        if (!rc)
            singlestep(&G, skip, nb, orders, ts);
    } else if (method == SC_DEC_SINGLESTEP_FIXED) {
        nb = steps / order;
        if (nb < 1) {
            rc = -1;
            if (why)
                snprintf(why, whylen, "singlestep_fixed order %d needs at least %d steps", order,
                         order);
        } else {
            for (int i = 0; i < nb; i++)
                orders[i] = order;
            dpm_time_steps(s, skip, tT, t0, nb, ts);
            singlestep(&G, skip, nb, orders, ts);
        }
    } else {
        rc = -1;
        if (why)
            snprintf(why, whylen, "unknown method %d", method);
    }
#undef FAIL
    free(ts);
    free(orders);
    if (!rc && p->oom)
        rc = -2;
    return rc;
}

void dpm_prog_free(dpm_prog *p)
{
    free(p->ops);
    memset(p, 0, sizeof *p);
}
