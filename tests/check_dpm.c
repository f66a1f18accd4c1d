/* tests/check_dpm.c - the DPM-Solver samplers of the "ldm" decoder.
 *
 *   schedule      lambda(t), its inverse, the three time-step skips and
 *                 torch.linspace, against values derived here in double
 *                 from the kit's alphas_cumprod (no float32 emulation)
 *   plans         evaluation counts of every method and order, refusals
 *   solver        the programs run on the host with a synthetic model
 *                 against an independent double-precision DPM-Solver(++)
 *                 written from the update formulas, including the two
 *                 cases where the vendored file crashes (multistep order 3
 *                 below 15 steps; singlestep with a skip other than logSNR)
 *   stage         one step through the stage for guidance 0, 1 and 2
 *                 against the same float32 operations on unet() outputs;
 *                 the stage's refusals; an old-sized options struct is DDIM
 *   parity        the four golden-dpm cases (the vendored solver on the
 *                 official model): latents and waves within 1e-4 on blas
 *                 (on ref when blas is not built; ref also runs the short
 *                 2M case with SC_FULL=1)
 *
 * The parity cases cost 62 guided UNet evaluations (about 0.4 s each on
 * blas on two idle cores).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sc/ola.h"
#include "sc/session.h"
#include "sc/stage_decoder.h"
#include "sc/stage_vocoder.h"
#include "sctest.h"
#include "../plugins/decoder/dpm.h"

#define LAT SC_DEC_LATENT
#define TOL 1e-4

static const char *g_backends[4];
static int g_nbackends;

/* ---- the schedule in double, derived independently ------------------- */

static float g_acp[DPM_N];
static dpm_sched g_s;

static void load_schedule(void)
{
    sc_tensor t;
    sct_load_npy("weights-fixed/schedule.alphas_cumprod.npy", &t);
    ck_assert(t.dtype == SC_F32 && sc_tensor_numel(&t) == DPM_N);
    memcpy(g_acp, t.data, sizeof g_acp);
    sc_tensor_release(&t);
    dpm_sched_init(&g_s, g_acp);
}

/* log alpha(t): 0.5 log(acp) at t_n = (n + 1) / 1000, linear in between,
 * the end segments extended */
static double d_log_alpha(double t)
{
    double u = t * DPM_N - 1;   /* fractional index */
    int n = (int)floor(u);
    if (n < 0)
        n = 0;
    if (n > DPM_N - 2)
        n = DPM_N - 2;
    double a = 0.5 * log((double)g_acp[n]), b = 0.5 * log((double)g_acp[n + 1]);
    return a + (u - n) * (b - a);
}

static double d_lambda(double t)
{
    double la = d_log_alpha(t);
    return la - 0.5 * log(-expm1(2 * la));
}

static double d_sigma(double t) { return sqrt(-expm1(2 * d_log_alpha(t))); }
static double d_alpha(double t) { return exp(d_log_alpha(t)); }

/* lambda is decreasing in t: bisection */
static double d_inverse_lambda(double lam)
{
    double lo = 1.0 / DPM_N, hi = 1.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (d_lambda(mid) > lam)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void d_time_steps(int skip, double tT, double t0, int N, double *out)
{
    for (int i = 0; i <= N; i++) {
        double f = (double)i / N;
        if (skip == SC_DEC_LOGSNR)
            out[i] = d_inverse_lambda(d_lambda(tT) + f * (d_lambda(t0) - d_lambda(tT)));
        else if (skip == SC_DEC_TIME_QUADRATIC)
            out[i] = pow(sqrt(tT) + f * (sqrt(t0) - sqrt(tT)), 2);
        else
            out[i] = tT + f * (t0 - tT);
    }
}

START_TEST(test_linspace)
{
    /* torch.linspace(0, 1, 1001) and a few others: within an ulp of the
     * exact grid, end points exact */
    static const int ns[] = {2, 5, 11, 13, 16, 21, 33, 1001};
    float out[1001];
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        int n = ns[k];
        float a = k % 2 ? 1.0f : -4.4f, b = k % 2 ? 0.001f : 3.25f;
        dpm_linspace(a, b, n, out);
        ck_assert(out[0] == a);
        ck_assert_msg(fabsf(out[n - 1] - b) <= 2e-7f * fabsf(b) + 1e-9f, "n %d end", n);
        for (int i = 0; i < n; i++) {
            double want = a + (double)i * ((double)b - a) / (n - 1);
            ck_assert_msg(fabs(out[i] - want) <= 3e-7 * (fabs(a) + fabs(b)), "n %d [%d] %.9g %.9g",
                          n, i, out[i], want);
        }
    }
}
END_TEST

START_TEST(test_schedule)
{
    load_schedule();
    /* the kit's schedule: the ends the goldens record */
    ck_assert(g_acp[0] == 0.9984999895095825f && g_acp[999] == 0.000142303979373537f);
    for (int n = 0; n < DPM_N; n++) {
        ck_assert_msg(fabs(g_s.t[n] - (n + 1) / 1000.0) < 1e-7, "t[%d]", n);
        ck_assert_msg(fabs(g_s.la[n] - 0.5 * log((double)g_acp[n])) < 1e-6, "la[%d]", n);
    }
    ck_assert(g_s.t[999] == 1.0f && g_s.t[0] == 0.001f);
    /* lambda(t) at keypoints, midpoints and beyond the ends (the float32
     * 1 - alpha^2 near t_0 costs up to ~3e-5 there) */
    for (int k = 0; k <= 4000; k++) {
        double t = 0.0005 + k * (1.001 - 0.0005) / 4000;
        double want = d_lambda(t);
        float got = dpm_lambda(&g_s, (float)t);
        ck_assert_msg(fabs(got - want) < 5e-5, "lambda(%.6f) = %.7g, want %.7g", t, got, want);
        ck_assert_msg(fabs(dpm_sigma(&g_s, (float)t) - d_sigma(t)) < 2e-6 * (1 + 1 / d_sigma(t)),
                      "sigma(%.6f)", t);
        ck_assert_msg(fabs(dpm_alpha(&g_s, (float)t) - d_alpha(t)) < 1e-6, "alpha(%.6f)", t);
    }
    /* known values: lambda(t_0) = 0.5 ln(0.9985 / 0.0015), lambda(1) */
    ck_assert(fabs(dpm_lambda(&g_s, 0.001f) - 0.5 * log(0.9985 / 0.0015)) < 1e-4);
    ck_assert(fabs(dpm_lambda(&g_s, 1.0f) - 0.5 * log(0.000142303979373537 /
                                                     (1 - 0.000142303979373537))) < 1e-5);
    /* the inverse, over the whole range and for a vector of 21 (the
     * vectorised logaddexp part) */
    float lam[21], tt[21];
    for (int k = 0; k < 21; k++)
        lam[k] = (float)(d_lambda(1.0) + k * (d_lambda(0.001) - d_lambda(1.0)) / 20);
    dpm_inverse_lambda(&g_s, lam, 21, tt);
    for (int k = 0; k < 21; k++) {
        double want = d_inverse_lambda(lam[k]);
        ck_assert_msg(fabs(tt[k] - want) < 2e-6 + 2e-5 * want, "inverse[%d] %.8g %.8g", k, tt[k],
                      want);
        float one;
        dpm_inverse_lambda(&g_s, &lam[k], 1, &one);
        ck_assert_msg(fabs(one - tt[k]) <= 2e-7f * tt[k], "scalar vs vector inverse %d", k);
    }
    /* the label fed to the UNet */
    ck_assert(dpm_label(0.001f) == 0.0f);
    ck_assert(fabsf(dpm_label(1.0f) - 999.0f) < 1e-4f);
    ck_assert(fabsf(dpm_label(0.5f) - 499.0f) < 1e-4f);
}
END_TEST

START_TEST(test_time_steps)
{
    load_schedule();
    static const int Ns[] = {1, 2, 5, 10, 12, 20, 50};
    float got[51];
    double want[51];
    for (int skip = 0; skip < 3; skip++)
        for (size_t k = 0; k < sizeof Ns / sizeof Ns[0]; k++) {
            int N = Ns[k];
            dpm_time_steps(&g_s, skip, 1.0, 0.001, N, got);
            d_time_steps(skip, 1.0, 0.001, N, want);
            for (int i = 0; i <= N; i++)
                ck_assert_msg(fabs(got[i] - want[i]) < 2e-6 + 2e-5 * want[i],
                              "%s N=%d [%d]: %.8g, want %.8g", sc_decoder_skip_names[skip], N, i,
                              got[i], want[i]);
            if (skip != SC_DEC_LOGSNR) {
                ck_assert(got[0] == 1.0f);
                ck_assert_msg(fabsf(got[N] - 0.001f) < 1e-9f, "%s end", sc_decoder_skip_names[skip]);
            }
            for (int i = 0; i < N; i++)
                ck_assert(got[i] > got[i + 1]);
        }
    /* a sub-interval as the singlestep blocks use it */
    dpm_time_steps(&g_s, SC_DEC_LOGSNR, 0.7, 0.4, 3, got);
    d_time_steps(SC_DEC_LOGSNR, 0.7, 0.4, 3, want);
    for (int i = 0; i <= 3; i++)
        ck_assert(fabs(got[i] - want[i]) < 1e-6);
}
END_TEST

START_TEST(test_plans)
{
    load_schedule();
    char why[160];
    dpm_prog p;
    for (int method = 0; method < 3; method++)
        for (int order = 1; order <= 3; order++)
            for (int steps = 1; steps <= 25; steps++)
                for (int skip = 0; skip < 3; skip++) {
                    int rc = dpm_plan(&g_s, method & 1, steps, order, method, skip, 2.0, &p, why,
                                      sizeof why);
                    int nfe = method == SC_DEC_SINGLESTEP_FIXED ? steps / order * order : steps;
                    int ok = method == SC_DEC_SINGLESTEP || steps >= order;
                    ck_assert_msg(ok ? rc == 0 : rc == -1, "%s order %d steps %d: rc %d",
                                  sc_decoder_method_names[method], order, steps, rc);
                    if (ok)
                        ck_assert_int_eq(p.nevals, nfe);
                    else
                        ck_assert(strstr(why, "needs at least"));
                    for (int i = 0; i < p.n; i++)
                        if (p.ops[i].op == DPM_OP_EVAL) {
                            ck_assert(p.ops[i].flags == (DPM_EVAL_U | DPM_EVAL_C));
                            ck_assert(p.ops[i].t >= 0.001f && p.ops[i].t <= 1.0f);
                        }
                    dpm_prog_free(&p);
                }
    ck_assert(dpm_plan(&g_s, 1, 10, 4, 0, 0, 2.0, &p, why, sizeof why) == -1);
    ck_assert(strstr(why, "order 4"));
    dpm_prog_free(&p);
    ck_assert(dpm_plan(&g_s, 1, 0, 2, 0, 0, 2.0, &p, why, sizeof why) == -1);
    dpm_prog_free(&p);
    ck_assert(dpm_plan(&g_s, 1, 1001, 2, 0, 0, 2.0, &p, why, sizeof why) == -1);
    dpm_prog_free(&p);
    ck_assert(dpm_plan(&g_s, 1, 10, 2, 3, 0, 2.0, &p, why, sizeof why) == -1);
    dpm_prog_free(&p);
    ck_assert(dpm_plan(&g_s, 1, 10, 2, 0, 3, 2.0, &p, why, sizeof why) == -1);
    dpm_prog_free(&p);
    /* a plugin built before the samplers member offers DDIM only */
    sc_decoder_vt vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = offsetof(sc_decoder_vt, samplers);
    vt.samplers = 7;
    ck_assert(sc_decoder_offers(&vt, SC_DEC_DDIM) && !sc_decoder_offers(&vt, SC_DEC_DPMSOLVERPP));
    vt.struct_size = sizeof vt;
    vt.samplers = 1;
    ck_assert(!sc_decoder_offers(&vt, SC_DEC_DPMSOLVER) && !sc_decoder_offers(&vt, 40));
    vt.samplers = 7;
    ck_assert(sc_decoder_offers(&vt, SC_DEC_DPMSOLVER) && sc_decoder_offers(&vt, 2));
    /* guidance 1: the conditional pass only; 0: the unconditional only */
    ck_assert(dpm_plan(&g_s, 1, 5, 2, 0, 0, 1.0, &p, why, sizeof why) == 0);
    ck_assert(p.ops[0].op == DPM_OP_EVAL && p.ops[0].flags == DPM_EVAL_C);
    dpm_prog_free(&p);
    ck_assert(dpm_plan(&g_s, 1, 5, 2, 0, 0, 0.0, &p, why, sizeof why) == 0);
    ck_assert(p.ops[0].op == DPM_OP_EVAL && p.ops[0].flags == DPM_EVAL_U);
    /* the first evaluation is at t_T = 1, label 999 */
    ck_assert(p.ops[0].t == 1.0f && fabsf(p.ops[0].c - 999.0f) < 1e-4f);
    dpm_prog_free(&p);
}
END_TEST

/* ---- the solver on the host with a synthetic model -------------------- */

#define NX 24   /* elements of the synthetic latent */

/* v = UNet(x, label, context): smooth in time and mildly nonlinear */
static double fake_v(double x, double label, int i, int cond)
{
    double s = label / 1000.0;
    return (0.4 + 0.3 * cos(3 * s + i)) * x + 0.5 * sin(2 * s + 0.3 * i + cond) +
           0.05 * x * x / (1 + x * x);
}

static void run_prog(const dpm_prog *p, const float *x0, float *out)
{
    static float R[DPM_NREGS][NX];
    memcpy(R[DPM_X], x0, sizeof R[0]);
    for (int i = 0; i < p->n; i++) {
        const dpm_op *o = &p->ops[i];
        for (int k = 0; k < NX; k++) {
            float a = R[o->a][k], b = R[o->b][k];
            switch (o->op) {
            case DPM_OP_EVAL:
                R[DPM_VU][k] = (float)fake_v(a, o->c, k, 0);
                R[DPM_VC][k] = (float)fake_v(a, o->c, k, 1);
                break;
            case DPM_OP_SCALE: R[o->dst][k] = o->c * a; break;
            case DPM_OP_ADD: R[o->dst][k] = a + b; break;
            case DPM_OP_SUB: R[o->dst][k] = a - b; break;
            case DPM_OP_DIV: R[o->dst][k] = a / o->c; break;
            }
        }
    }
    memcpy(out, R[DPM_X], sizeof R[0]);
}

/* The independent solver: double precision, written from the DPM-Solver
 * and DPM-Solver++ update formulas (Lu et al. 2022, 2023) with the
 * first/second/third-order multistep and singlestep steps. */
typedef struct dsol {
    int x0;         /* data prediction */
    double g;
} dsol;

static void d_model(const dsol *S, const double *x, double t, double *m)
{
    double a = d_alpha(t), s = d_sigma(t), label = (t - 0.001) * 1000;
    for (int k = 0; k < NX; k++) {
        double eu = a * fake_v(x[k], label, k, 0) + s * x[k];
        double ec = a * fake_v(x[k], label, k, 1) + s * x[k];
        double e = eu + S->g * (ec - eu);
        m[k] = S->x0 ? (x[k] - s * e) / a : e;
    }
}

/* x at t from x at s with model outputs m[j] at times ts[j] (j = 0 the
 * latest, at s) and the difference estimates of order `order`:
 * x_t = A x - B m0 - C D1 - E D2 (signs per parameterisation). */
static void d_step(const dsol *S, double *x, double s, double t, int order, double *const *m,
                   const double *tm)
{
    double ls = d_lambda(s), lt = d_lambda(t), h = lt - ls;
    double at = d_alpha(t), st = d_sigma(t);
    double D1[NX], D2[NX];
    for (int k = 0; k < NX; k++)
        D1[k] = D2[k] = 0;
    if (order >= 2) {
        double r0 = (ls - d_lambda(tm[1])) / h;
        for (int k = 0; k < NX; k++)
            D1[k] = (m[0][k] - m[1][k]) / r0;
        if (order == 3) {
            double r1 = (d_lambda(tm[1]) - d_lambda(tm[2])) / h;
            for (int k = 0; k < NX; k++) {
                double d10 = D1[k], d11 = (m[1][k] - m[2][k]) / r1;
                D1[k] = d10 + r0 / (r0 + r1) * (d10 - d11);
                D2[k] = (d10 - d11) / (r0 + r1);
            }
        }
    }
    for (int k = 0; k < NX; k++) {
        if (S->x0) {
            double phi1 = expm1(-h);
            double v = st / d_sigma(s) * x[k] - at * phi1 * m[0][k];
            if (order == 2)
                v -= 0.5 * at * phi1 * D1[k];
            if (order == 3)
                v += at * (phi1 / h + 1) * D1[k] - at * ((phi1 + h) / (h * h) - 0.5) * D2[k];
            x[k] = v;
        } else {
            double phi1 = expm1(h);
            double v = exp(d_log_alpha(t) - d_log_alpha(s)) * x[k] - st * phi1 * m[0][k];
            if (order == 2)
                v -= 0.5 * st * phi1 * D1[k];
            if (order == 3)
                v -= st * (phi1 / h - 1) * D1[k] + st * ((phi1 - h) / (h * h) - 0.5) * D2[k];
            x[k] = v;
        }
    }
}

static void d_multistep(const dsol *S, int steps, int order, int skip, double *x)
{
    double ts[1001], mem[3][NX], *m[3] = {mem[0], mem[1], mem[2]}, tm[3] = {0, 0, 0};
    d_time_steps(skip, 1.0, 0.001, steps, ts);
    int have = 0;
    for (int i = 1; i <= steps; i++) {
        /* model at the current time, newest first */
        double *nw = m[2];
        m[2] = m[1];
        m[1] = m[0];
        m[0] = nw;
        tm[2] = tm[1];
        tm[1] = tm[0];
        tm[0] = ts[i - 1];
        d_model(S, x, ts[i - 1], m[0]);
        have = have < 3 ? have + 1 : 3;
        int o = order < have ? order : have;
        if (steps < 15 && steps + 1 - i < o)
            o = steps + 1 - i;   /* the last steps at lower order */
        d_step(S, x, ts[i - 1], ts[i], o, m, tm);
    }
}

/* singlestep block of order o from s to t, intermediate times at lambda
 * fractions r1 (, r2) */
static void d_single(const dsol *S, double *x, double s, double t, int o, double r1, double r2)
{
    double ls = d_lambda(s), h = d_lambda(t) - ls;
    double m0[NX], m1[NX], m2[NX], xs[NX];
    d_model(S, x, s, m0);
    if (o == 1) {
        double *m[1] = {m0};
        d_step(S, x, s, t, 1, m, &s);
        return;
    }
    /* x at s1 by a first-order step */
    double s1 = d_inverse_lambda(ls + r1 * h);
    memcpy(xs, x, sizeof xs);
    double *mm[1] = {m0};
    d_step(S, xs, s, s1, 1, mm, &s);
    d_model(S, xs, s1, m1);
    int sgn = S->x0 ? -1 : 1;
    if (o == 2) {
        /* x_t = first-order step - (sgn) 0.5 / r1 * phi(h) (m1 - m0) */
        double at = d_alpha(t), st = d_sigma(t);
        double c = S->x0 ? at * expm1(-h) : st * expm1(h);
        double *m[1] = {m0};
        d_step(S, x, s, t, 1, m, &s);
        for (int k = 0; k < NX; k++)
            x[k] -= 0.5 / r1 * c * (m1[k] - m0[k]);
        (void)sgn;
        return;
    }
    double s2 = d_inverse_lambda(ls + r2 * h), h2 = r2 * h;
    double as2 = d_alpha(s2), ss2 = d_sigma(s2);
    memcpy(xs, x, sizeof xs);
    d_step(S, xs, s, s2, 1, mm, &s);
    for (int k = 0; k < NX; k++) {
        if (S->x0)
            xs[k] += r2 / r1 * as2 * (expm1(-h2) / h2 + 1) * (m1[k] - m0[k]);
        else
            xs[k] -= r2 / r1 * ss2 * (expm1(h2) / h2 - 1) * (m1[k] - m0[k]);
    }
    d_model(S, xs, s2, m2);
    double at = d_alpha(t), st = d_sigma(t);
    d_step(S, x, s, t, 1, mm, &s);
    for (int k = 0; k < NX; k++) {
        if (S->x0)
            x[k] += 1 / r2 * at * (expm1(-h) / h + 1) * (m2[k] - m0[k]);
        else
            x[k] -= 1 / r2 * st * (expm1(h) / h - 1) * (m2[k] - m0[k]);
    }
}

/* singlestep: blocks of orders 3.., 2, 1 summing to steps; block ends on
 * the steps grid at the running sums (or uniform in lambda over the
 * blocks for logSNR); inner points uniform by the same skip */
static void d_singlestep(const dsol *S, int steps, int order, int skip, double *x)
{
    int orders[1000], nb = 0;
    if (order == 3) {
        for (int i = 0; i < steps / 3 - (steps % 3 == 0); i++)
            orders[nb++] = 3;
        if (steps % 3 == 0) {
            orders[nb++] = 2;
            orders[nb++] = 1;
        } else {
            orders[nb++] = steps % 3;
        }
    } else {
        for (int i = 0; i < steps / order; i++)
            orders[nb++] = order;
        if (steps % order)
            orders[nb++] = 1;
    }
    double grid[1001], outer[1001];
    if (skip == SC_DEC_LOGSNR) {
        d_time_steps(skip, 1.0, 0.001, nb, outer);
    } else {
        d_time_steps(skip, 1.0, 0.001, steps, grid);
        int c = 0;
        outer[0] = grid[0];
        for (int i = 0; i < nb; i++) {
            c += orders[i];
            outer[i + 1] = grid[c];
        }
    }
    for (int i = 0; i < nb; i++) {
        double in[4];
        d_time_steps(skip, outer[i], outer[i + 1], orders[i], in);
        double l0 = d_lambda(in[0]), h = d_lambda(in[orders[i]]) - l0;
        double r1 = orders[i] > 1 ? (d_lambda(in[1]) - l0) / h : 0;
        double r2 = orders[i] > 2 ? (d_lambda(in[2]) - l0) / h : 0;
        d_single(S, x, outer[i], outer[i + 1], orders[i], r1, r2);
    }
}

static void x_T(float *xf, double *xd)
{
    for (int k = 0; k < NX; k++)
        xd[k] = xf[k] = (float)(1.3 * sin(1.7 * k + 0.4) + 0.2 * (k % 5) - 0.4);
}

/* program vs independent solver: returns the max abs difference */
static double compare(int x0, int steps, int order, int method, int skip)
{
    dpm_prog p;
    char why[160];
    ck_assert_msg(!dpm_plan(&g_s, x0, steps, order, method, skip, 2.0, &p, why, sizeof why), "%s",
                  why);
    float xf[NX], got[NX];
    double xd[NX];
    x_T(xf, xd);
    run_prog(&p, xf, got);
    dpm_prog_free(&p);
    dsol S = {x0, 2.0};
    if (method == SC_DEC_MULTISTEP)
        d_multistep(&S, steps, order, skip, xd);
    else
        d_singlestep(&S, steps, order, skip, xd);
    double worst = 0;
    for (int k = 0; k < NX; k++) {
        ck_assert(isfinite(got[k]));
        double e = fabs(got[k] - xd[k]);
        worst = e > worst ? e : worst;
    }
    return worst;
}

START_TEST(test_solver)
{
    load_schedule();
    /* a spread of settings, both parameterisations */
    static const int cases[][4] = {
        /* steps, order, method, skip */
        {10, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM}, {20, 3, SC_DEC_MULTISTEP, SC_DEC_LOGSNR},
        {16, 3, SC_DEC_MULTISTEP, SC_DEC_TIME_QUADRATIC}, {8, 1, SC_DEC_MULTISTEP, SC_DEC_LOGSNR},
        {12, 3, SC_DEC_SINGLESTEP, SC_DEC_LOGSNR}, {11, 2, SC_DEC_SINGLESTEP, SC_DEC_LOGSNR},
        {13, 3, SC_DEC_SINGLESTEP, SC_DEC_LOGSNR},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int x0 = 0; x0 < 2; x0++) {
            const int *k = cases[c];
            double e = compare(x0, k[0], k[1], k[2], k[3]);
            fprintf(stderr, "solver %-11s %-10s order %d %2d steps %-14s: max abs %.2g\n",
                    x0 ? "dpmsolver++" : "dpmsolver", sc_decoder_method_names[k[2]], k[1], k[0],
                    sc_decoder_skip_names[k[3]], e);
            ck_assert_msg(e < 2e-5, "max abs %.3g", e);
        }
}
END_TEST

/* The vendored file crashes on these; sc does what it evidently means. */
START_TEST(test_defects)
{
    load_schedule();
    for (int x0 = 0; x0 < 2; x0++)
        for (int steps = 3; steps < 15; steps++)
            for (int skip = 0; skip < 3; skip++) {
                /* the noise-prediction solver multiplies float32 rounding
                 * by e^h, large at few steps: it is checked from 9 */
                double tol = x0 ? 1e-5 : 1e-4;
                if (!x0 && steps < 9)
                    continue;
                /* multistep order 3 below 15 steps: the second-to-last
                 * step is the second-order update on the last two outputs */
                double e = compare(x0, steps, 3, SC_DEC_MULTISTEP, skip);
                ck_assert_msg(e < tol, "%d 3M %d steps %s: %.3g", x0, steps,
                              sc_decoder_skip_names[skip], e);
                /* singlestep with time_uniform / time_quadratic: block ends
                 * at the running sums of the orders on the steps grid */
                for (int order = 1; order <= 3; order++) {
                    e = compare(x0, steps, order, SC_DEC_SINGLESTEP, skip);
                    ck_assert_msg(e < tol, "%d singlestep order %d %d steps %s: %.3g", x0, order,
                                  steps, sc_decoder_skip_names[skip], e);
                }
            }
    /* singlestep order 1 (logSNR too) is multistep order 1, op for op */
    for (int skip = 0; skip < 3; skip++) {
        dpm_prog a, b;
        ck_assert(!dpm_plan(&g_s, 1, 7, 1, SC_DEC_SINGLESTEP, skip, 2.0, &a, NULL, 0));
        ck_assert(!dpm_plan(&g_s, 1, 7, 1, SC_DEC_MULTISTEP, skip, 2.0, &b, NULL, 0));
        ck_assert_int_eq(a.n, b.n);
        ck_assert(!memcmp(a.ops, b.ops, (size_t)a.n * sizeof *a.ops));
        dpm_prog_free(&a);
        dpm_prog_free(&b);
    }
    /* the 12-step singlestep order 3 time_uniform blocks end at grid
     * points 0, 3, 6, 9, 11, 12 of linspace(1, 0.001, 13) */
    dpm_prog p;
    ck_assert(!dpm_plan(&g_s, 0, 12, 3, SC_DEC_SINGLESTEP, SC_DEC_TIME_UNIFORM, 2.0, &p, NULL, 0));
    float grid[13];
    dpm_linspace(1.0f, 0.001f, 13, grid);
    static const int ends[] = {0, 3, 6, 9, 11};
    int blk = 0, ev = 0;
    static const int evals_per_block[] = {3, 3, 3, 2, 1};
    for (int i = 0; i < p.n && blk < 5; i++)
        if (p.ops[i].op == DPM_OP_EVAL) {
            if (ev == 0)
                ck_assert_msg(p.ops[i].t == grid[ends[blk]], "block %d starts at %.8g, not %.8g",
                              blk, p.ops[i].t, grid[ends[blk]]);
            if (++ev == evals_per_block[blk]) {
                ev = 0;
                blk++;
            }
        }
    ck_assert_int_eq(blk, 5);
    dpm_prog_free(&p);
}
END_TEST

/* ---- parity with the vendored solver on the official model ------------ */

typedef struct pcase {
    const char *name, *tokens;
    int steps, order, method, skip, sampler, windows;
    int64_t T;
} pcase;

static const pcase g_cases[] = {
    {"dpm_short_2m10", "short_tr100_tokens.npy", 10, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM,
     SC_DEC_DPMSOLVERPP, 1, 168},
    {"dpm_short_3m20", "short_tr100_tokens.npy", 20, 3, SC_DEC_MULTISTEP, SC_DEC_LOGSNR,
     SC_DEC_DPMSOLVERPP, 1, 168},
    {"dpm_short_fast12", "short_tr100_tokens.npy", 12, 3, SC_DEC_SINGLESTEP, SC_DEC_LOGSNR,
     SC_DEC_DPMSOLVER, 1, 168},
    {"dpm_long_2m10", "long_tr100_tokens.npy", 10, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM,
     SC_DEC_DPMSOLVERPP, 2, 704},
};

static void golden(const char *dir, const char *name, sc_tensor *t, sc_dtype dt, int64_t numel)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", dir, name);
    sct_load_npy(rel, t);
    ck_assert_msg(t->dtype == dt && sc_tensor_is_contiguous(t), "%s: dtype %s", rel,
                  sc_dtype_name(t->dtype));
    ck_assert_msg(sc_tensor_numel(t) == numel, "%s: %lld values, expected %lld", rel,
                  (long long)sc_tensor_numel(t), (long long)numel);
}

typedef struct wave_buf {
    float *w;
    int64_t n, cap;
} wave_buf;

static int collect(void *user, const float *x, size_t n, sc_err *err)
{
    wave_buf *b = user;
    (void)err;
    ck_assert(b->n + (int64_t)n <= b->cap);
    memcpy(b->w + b->n, x, n * sizeof(float));
    b->n += (int64_t)n;
    return SC_OK;
}

typedef struct prog_ctx {
    double t0;
    int calls;
} prog_ctx;

static void on_progress(void *user, int s, int n)
{
    prog_ctx *c = user;
    ck_assert_int_eq(s, c->calls % n);
    c->calls++;
}

static void run_case(const char *be, const pcase *pc)
{
    sc_err err = {0};
    char file[128];
    sc_tensor tok, xT, lat, wav;
    int W = pc->windows;
    golden("golden", pc->tokens, &tok, SC_I64, pc->T * 2);
    snprintf(file, sizeof file, "%s_xT.npy", pc->name);
    golden("golden-dpm", file, &xT, SC_F32, (int64_t)W * LAT);
    snprintf(file, sizeof file, "%s_latent.npy", pc->name);
    golden("golden-dpm", file, &lat, SC_F32, (int64_t)W * LAT);
    snprintf(file, sizeof file, "%s_wave.npy", pc->name);
    int64_t nwave = sc_ola_trim(pc->T, 1);
    golden("golden-dpm", file, &wav, SC_F32, nwave);

    sc_session *s = sct_session(100, 16384, be);
    sc_stage *ds = sc_session_stage(s, SC_KIND_DECODER, &err);
    ck_assert_msg(ds, "decoder on %s: %s", be, err.msg);
    sc_stage *vs = sc_session_stage(s, SC_KIND_VOCODER, &err);
    ck_assert_msg(vs, "vocoder on %s: %s", be, err.msg);
    const sc_decoder_vt *dvt = ds->vt;
    const sc_vocoder_vt *vvt = vs->vt;
    ck_assert_int_eq(sc_ola_window_count(pc->T, 1), W);

    wave_buf wb = {malloc((size_t)nwave * sizeof(float)), 0, nwave};
    sc_ola ola;
    ck_assert(sc_ola_init(&ola, collect, &wb, &err) == SC_OK);
    ck_assert(sc_ola_set_length(&ola, nwave, &err) == SC_OK);
    float *z = malloc(LAT * sizeof(float)), *wave = malloc(SC_OLA_WIN * sizeof(float));
    double worst_lat = 0, tsample = 0;
    prog_ctx pctx = {0, 0};
    for (int w = 0; w < W; w++) {
        int64_t st, nt;
        sc_ola_window(pc->T, 1, w, &st, &nt);
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = pc->steps;
        o.cfg = 2.0;
        o.sampler = pc->sampler;
        o.order = pc->order;
        o.method = pc->method;
        o.skip = pc->skip;
        o.window = w;
        o.noise = (const float *)xT.data + (size_t)w * LAT;
        o.progress = on_progress;
        o.user = &pctx;
        double t0 = sct_now();
        ck_assert_msg(dvt->sample(ds->self, (const int64_t *)tok.data + 2 * st, (int)nt, &o, z,
                                  &err) == SC_OK, "%s: %s", pc->name, err.msg);
        tsample += sct_now() - t0;
        sct_diff d = sct_compare(z, (const float *)lat.data + (size_t)w * LAT, LAT);
        fprintf(stderr, "[%s] %s window %d latent: max abs %.3g rms %.3g (max ref %.3g)\n", be,
                pc->name, w, d.max_abs, d.rms, d.max_ref);
        worst_lat = d.max_abs > worst_lat ? d.max_abs : worst_lat;
        ck_assert_msg(d.max_abs <= TOL, "[%s] %s window %d latent: max abs %.3g", be, pc->name, w,
                      d.max_abs);
        ck_assert_msg(vvt->latent_to_wave(vs->self, z, wave, &err) == SC_OK, "%s", err.msg);
        ck_assert_msg(sc_ola_push(&ola, wave, &err) == SC_OK, "%s", err.msg);
    }
    ck_assert_int_eq(pctx.calls, W * pc->steps);
    ck_assert(sc_ola_finish(&ola, &err) == SC_OK);
    ck_assert_int_eq(wb.n, nwave);
    sct_diff d = sct_compare(wb.w, wav.data, (size_t)nwave);
    fprintf(stderr, "[%s] %s: latent max abs %.3g, wave max abs %.3g rms %.3g; %.2f s per "
            "guided evaluation (%d x %d)\n", be, pc->name, worst_lat, d.max_abs, d.rms,
            tsample / (W * pc->steps), W, pc->steps);
    ck_assert_msg(d.max_abs <= TOL, "[%s] %s wave: max abs %.3g", be, pc->name, d.max_abs);
    sc_ola_free(&ola);
    free(z);
    free(wave);
    free(wb.w);
    sc_session_close(s);
    sc_tensor_release(&tok);
    sc_tensor_release(&xT);
    sc_tensor_release(&lat);
    sc_tensor_release(&wav);
}

/* The stage's executor against the host: one first-order DPM-Solver++
 * step from t = 1 (label 999, the UNet's integer timestep) to t_0, for
 * guidance 1 (conditional pass only), 0 (unconditional only) and 2, equals
 * the same float32 operations on UNet outputs taken from unet(); and the
 * stage's refusals. */
static void stage_case(const char *be)
{
    sc_err err = {0};
    sc_tensor tok, xT;
    golden("golden", "short_tr100_tokens.npy", &tok, SC_I64, 168 * 2);
    golden("golden-dpm", "dpm_short_2m10_xT.npy", &xT, SC_F32, LAT);
    sc_session *s = sct_session(100, 16384, be);
    sc_stage *ds = sc_session_stage(s, SC_KIND_DECODER, &err);
    ck_assert_msg(ds, "%s", err.msg);
    const sc_decoder_vt *dvt = ds->vt;
    load_schedule();
    ck_assert(dpm_label(1.0f) == 999.0f);
    ck_assert(sc_decoder_offers(dvt, SC_DEC_DPMSOLVER) && sc_decoder_offers(dvt, SC_DEC_DPMSOLVERPP));
    int W, Dc;
    dvt->dims(ds->self, &W, &Dc);
    float *ctx = malloc((size_t)W * Dc * sizeof(float));
    float *vc = malloc(LAT * sizeof(float)), *vu = malloc(LAT * sizeof(float));
    float *got = malloc(LAT * sizeof(float)), *want = malloc(LAT * sizeof(float));
    const float *x = xT.data;
    ck_assert(dvt->conditioning(ds->self, tok.data, 168, ctx, &err) == SC_OK);
    ck_assert(dvt->unet(ds->self, x, 999, ctx, vc, &err) == SC_OK);
    ck_assert(dvt->unet(ds->self, x, 999, NULL, vu, &err) == SC_OK);
    const float a1 = dpm_alpha(&g_s, 1.0f), s1 = dpm_sigma(&g_s, 1.0f);
    const float a0 = dpm_alpha(&g_s, 0.001f), s0 = dpm_sigma(&g_s, 0.001f);
    const float h = dpm_lambda(&g_s, 0.001f) - dpm_lambda(&g_s, 1.0f);
    const float c1 = s0 / s1, c2 = a0 * expm1f(-h);
    static const double gs[3] = {1.0, 0.0, 2.0};
    for (int k = 0; k < 3; k++) {
        float g = (float)gs[k];
        for (int i = 0; i < LAT; i++) {
            float eu = a1 * vu[i] + s1 * x[i], ec = a1 * vc[i] + s1 * x[i];
            float e = k == 0 ? ec : k == 1 ? eu : eu + g * (ec - eu);
            float x0 = (x[i] - s1 * e) / a1;
            want[i] = c1 * x[i] - c2 * x0;
        }
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.sampler = SC_DEC_DPMSOLVERPP;
        o.steps = 1;
        o.order = 1;
        o.cfg = gs[k];
        o.noise = x;
        ck_assert_msg(dvt->sample(ds->self, tok.data, 168, &o, got, &err) == SC_OK, "%s",
                      err.msg);
        sct_diff d = sct_compare(got, want, LAT);
        fprintf(stderr, "[%s] one DPM-Solver++ step, guidance %g: max abs %.3g vs the host\n", be,
                gs[k], d.max_abs);
        ck_assert_msg(d.max_abs == 0, "[%s] guidance %g: max abs %.3g", be, gs[k], d.max_abs);
    }
    /* refusals: unknown sampler, steps the method cannot take, and a caller
     * whose struct ends before the sampler fields gets DDIM */
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.sampler = 3;
    ck_assert(dvt->sample(ds->self, tok.data, 168, &o, got, &err) == SC_EARG);
    ck_assert_msg(strstr(err.msg, "sampler"), "%s", err.msg);
    sc_err_clear(&err);
    o.sampler = SC_DEC_DPMSOLVER;
    o.order = 3;
    o.steps = 2;
    ck_assert(dvt->sample(ds->self, tok.data, 168, &o, got, &err) == SC_EARG);
    ck_assert_msg(strstr(err.msg, "dpmsolver: multistep order 3 needs at least 3 steps"), "%s",
                  err.msg);
    sc_err_clear(&err);
    o.method = SC_DEC_SINGLESTEP_FIXED;
    ck_assert(dvt->sample(ds->self, tok.data, 168, &o, got, &err) == SC_EARG);
    sc_err_clear(&err);
    sc_decoder_opts old;
    sc_decoder_opts_init(&old);
    old.steps = 1;
    old.cfg = 1.0;
    old.seed = 5;
    memcpy(&o, &old, sizeof o);
    o.struct_size = offsetof(sc_decoder_opts, sampler);
    o.sampler = SC_DEC_DPMSOLVERPP;   /* beyond its struct: ignored */
    ck_assert(dvt->sample(ds->self, tok.data, 168, &old, want, &err) == SC_OK);
    ck_assert(dvt->sample(ds->self, tok.data, 168, &o, got, &err) == SC_OK);
    ck_assert(!memcmp(got, want, LAT * sizeof(float)));
    free(ctx);
    free(vc);
    free(vu);
    free(got);
    free(want);
    sc_session_close(s);
    sc_tensor_release(&tok);
    sc_tensor_release(&xT);
}

/* the fastest backend built (blas, else ref) */
static const char *fast_backend(void)
{
    for (int i = 0; i < g_nbackends; i++)
        if (!strcmp(g_backends[i], "blas"))
            return "blas";
    return "ref";
}

START_TEST(test_parity)
{
    run_case(fast_backend(), &g_cases[_i]);
}
END_TEST

START_TEST(test_parity_ref)
{
    if (!sct_full() || !strcmp(fast_backend(), "ref")) {
        fprintf(stderr, "[ref] dpm_short_2m10: SC_FULL only (10 guided evaluations)\n");
        return;
    }
    run_case("ref", &g_cases[0]);
}
END_TEST

START_TEST(test_stage)
{
    stage_case(fast_backend());
}
END_TEST

int main(void)
{
    g_nbackends = sct_backends(g_backends, 4);
    Suite *su = suite_create("dpm");
    /* CK_RUN_CASE=host|stage|parity runs one group */
    TCase *th = tcase_create("host");
    tcase_set_timeout(th, 600);
    tcase_add_test(th, test_linspace);
    tcase_add_test(th, test_schedule);
    tcase_add_test(th, test_time_steps);
    tcase_add_test(th, test_plans);
    tcase_add_test(th, test_solver);
    tcase_add_test(th, test_defects);
    suite_add_tcase(su, th);
    TCase *ts = tcase_create("stage");
    tcase_set_timeout(ts, 1800);
    tcase_add_test(ts, test_stage);
    suite_add_tcase(su, ts);
    TCase *tp = tcase_create("parity");
    tcase_set_timeout(tp, 3600);
    tcase_add_loop_test(tp, test_parity, 0, (int)(sizeof g_cases / sizeof g_cases[0]));
    tcase_add_test(tp, test_parity_ref);
    suite_add_tcase(su, tp);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
