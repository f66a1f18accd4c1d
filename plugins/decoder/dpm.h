/* plugins/decoder/dpm.h - the DPM-Solver samplers of the "ldm" decoder as a
 * plan: the schedule (discrete NoiseScheduleVP of the checkpoint's
 * alphas_cumprod) and a straight-line program of latent operations that the
 * stage executes on its backend.  Not installed.
 *
 * Contract (what the settings mean: sc/stage_decoder.h).  Every scalar is
 * computed as the reference computes it: float32 tensors of one or a few
 * elements, each torch operation rounded once, exp by the SLEEF kernel the
 * reference's vectorised exp uses (ldm_expf), log / expm1 / log1p by libm
 * (within an ulp of the reference's).  The program then applies each
 * elementwise tensor operation of the reference, in its order, with those
 * float32 scalars, so a backend with IEEE float32 add / sub / mul gives the
 * reference's latents up to the UNet's own rounding.
 *
 * The plan is pure host code with no state beyond its arguments: the tests
 * run it on the host against an independent derivation.
 */
#ifndef SC_DPM_H
#define SC_DPM_H

#include <stddef.h>

#define DPM_N 1000               /* discrete timesteps of the checkpoint */

typedef struct dpm_sched {
    float t[DPM_N];              /* t_n = linspace(0, 1, N + 1)[n + 1] (float32) */
    float la[DPM_N];             /* log alpha_n = 0.5 log(alphas_cumprod[n]) */
} dpm_sched;

void dpm_sched_init(dpm_sched *s, const float *alphas_cumprod);

/* Elements of torch.linspace(start, end, n) in float32 (the CPU kernel's
 * two formulas and its vector grouping), n >= 1. */
void dpm_linspace(float start, float end, int n, float *out);

/* log alpha_t, alpha_t, sigma_t, lambda_t of a continuous time t. */
float dpm_log_alpha(const dpm_sched *s, float t);
float dpm_alpha(const dpm_sched *s, float t);
float dpm_sigma(const dpm_sched *s, float t);
float dpm_lambda(const dpm_sched *s, float t);
/* t of lambda, for n values at once (the reference evaluates logaddexp in
 * vector groups of 16 where n allows, one element at a time otherwise). */
void dpm_inverse_lambda(const dpm_sched *s, const float *lambda, int n, float *t);
/* The UNet's time label (t - 1/1000) * 1000. */
float dpm_label(float t);
/* get_time_steps(skip, t_T, t_0, N): N + 1 times from t_T down to t_0
 * (t_T, t_0 given as the reference's Python floats). */
void dpm_time_steps(const dpm_sched *s, int skip, double tT, double t0, int N, float *out);

/* ---- the program ---------------------------------------------------- */

/* Latent registers. */
enum {
    DPM_X = 0,                   /* the sample x (x_T in, x_0 out) */
    DPM_VU, DPM_VC,              /* UNet outputs of the last evaluation */
    DPM_M0, DPM_M1, DPM_M2,      /* model outputs kept by the solver */
    DPM_XS, DPM_XS2,             /* intermediate samples (singlestep) */
    DPM_T1, DPM_T2, DPM_T3, DPM_T4, DPM_T5, DPM_T6,
    DPM_NREGS
};

enum {
    DPM_OP_EVAL,                 /* VU / VC = UNet(reg a, label) (flags below) */
    DPM_OP_SCALE,                /* dst = c * a */
    DPM_OP_ADD,                  /* dst = a + b */
    DPM_OP_SUB,                  /* dst = a - b */
    DPM_OP_DIV                   /* dst = a / c */
};

#define DPM_EVAL_U 1             /* the unconditional pass is wanted */
#define DPM_EVAL_C 2             /* the conditional pass is wanted */

typedef struct dpm_op {
    unsigned char op, dst, a, b;
    int flags;                   /* EVAL: DPM_EVAL_* */
    float c;                     /* SCALE / DIV: the scalar; EVAL: the label */
    float t;                     /* EVAL: the continuous time */
} dpm_op;

typedef struct dpm_prog {
    dpm_op *ops;
    int n, cap;
    int nevals;                  /* model evaluations (NFE) */
    int oom;
} dpm_prog;

/* Plans DPM_Solver(predict_x0).sample(x, steps, order, skip, method,
 * lower_order_final=True) with classifier-free guidance g (g == 1: the
 * conditional pass only; g == 0: the unconditional one only).  Returns 0,
 * or -1 with a reason in why (settings the solver cannot take: order
 * outside 1..3, steps outside 1..1000, multistep with steps < order,
 * singlestep_fixed with steps < order, unknown method or skip), or -2 when
 * out of memory.  dpm_prog_free() releases p in every case. */
int dpm_plan(const dpm_sched *s, int predict_x0, int steps, int order, int method, int skip,
             double g, dpm_prog *p, char *why, size_t whylen);
void dpm_prog_free(dpm_prog *p);

#endif
