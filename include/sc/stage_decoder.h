/* sc/stage_decoder.h - the decoder stage (kind SC_KIND_DECODER): token
 * windows -> conditioning -> DDIM or DPM-Solver sampling with the T-UNet ->
 * clean latent [8, 256, 16] (ARCHITECTURE.md §5.7-5.9, §6.1-6.6, §7).  The
 * implementation shipped with sc is the plugin "ldm"
 * (plugins/decoder_ldm.so); the latent goes on to the vocoder stage
 * (sc/stage_vocoder.h).
 *
 * Inputs the stage reads, for a model of token rate R (K = 100 / R,
 * fd = 768 K, W = 512 / K context rows, Dc = 2 fd + 192):
 *  - env->weights (decoder.ckpt): model.diffusion_model.* (the UNet) and
 *    the schedule buffers alphas_cumprod, sqrt_alphas_cumprod,
 *    sqrt_one_minus_alphas_cumprod [1000]; nothing else (never model_ema.*,
 *    the VAE or the vocoder).  declare() names every key with its shape.
 *  - env->sem_codebook [sem_vocab, fd]: semantic centroids (float32 or
 *    float64 storage).
 *  - env->ac_codebook [1, ac_vocab, fd] (or [ac_vocab, fd]): the acoustic
 *    VQ codebook quantizer._codebook.embed, which lives in the ENCODER
 *    checkpoint; the session must provide it (create() fails naming it
 *    otherwise).
 *
 * Tokens: int64 pairs [T_w, 2], column 0 the semantic index (< sem_vocab),
 * column 1 the acoustic index (< ac_vocab); 1 <= T_w <= W.  An index out of
 * range is an SC_ERANGE error naming the row.
 *
 * Conditioning (exactly what the reference's second SpatialTransformer of
 * each level receives): row r < T_w is [Ca[a_r] | Cs[s_r] | PE[r]], rows
 * T_w..W-1 are [-1 ... -1 | PE[r]], PE the interleaved 192-dim positional
 * encoding.  The unconditional context is [features * 0.0 | PE]: zeros
 * (-0.0 where the feature was negative; the sampler uses +0.0 everywhere,
 * since the sign of a zero cannot change the UNet's result).
 *
 * Sampling with DDIM (sample(), the default sampler; DPM-Solver below):
 * timesteps tau = range(0, 1000, 1000 // S) + 1; the number of sampling
 * steps n is the length of that list (S = 30 gives 31).
 * Step counts whose list would reach timestep 1000 (S = 3, 9, 27, 37, 111,
 * ... where the official sampler crashes) and S < 1 or S > 1000 are refused
 * with SC_EARG; sc_decoder_nsteps() tells in advance.  Then x = x_T and, for
 * i = n-1 .. 0, t = tau_i: v_u = UNet(x, t, uncond), v_c = UNet(x, t, cond),
 * v = v_u + g (v_c - v_u), e = sa v + sb x, x0 = sa x - sb v (sa, sb: the
 * checkpoint's sqrt_alphas_cumprod[t], sqrt_one_minus_alphas_cumprod[t]),
 * x = sqrt(aprev) x0 + sqrt(1 - aprev - sigma^2) e + sigma z, with aprev and
 * sigma = eta sqrt((1-aprev)/(1-a) (1 - a/aprev)) from alphas_cumprod in
 * double, rounded to float32.  When g == 1 the unconditional pass is
 * skipped (v = v_c); when g == 0 the conditional one is.
 *
 * Noise: opts->noise NULL -> sc/noise.h keyed by (opts->seed, opts->window,
 * draw), x_T being draw 0 for every sampler; else host floats: for DDIM
 * [n + 1, 8, 256, 16], [0] = x_T, [1 + s] = noise of sampling step s (s = 0
 * the first, noisiest step), the per-window slice of the --noise file
 * [W, n + 1, 8, 256, 16]; for the deterministic DPM-Solver samplers only
 * x_T [8, 256, 16] (the --noise file is [W, 1, 8, 256, 16]).
 *
 * Memory: every pointer argument is HOST memory owned by the caller; the
 * stage uploads and downloads at its boundary.  The stage caches the
 * cross-attention keys/values of the unconditional context (once) and of
 * the current window's context (per sample() call).
 *
 * Options ([decoder] options, "key=value" separated by commas or blanks):
 *    share=0|1   run the context-free head of the UNet (input blocks 0..3
 *                and the first transformer of block 4) once for both CFG
 *                passes (default 1; same bits either way)
 *    pair=0|1    with a shared head, run the two guidance tails side by
 *                side, each single-threaded (default 1 when the pool has
 *                exactly 2 threads and the backend uses host memory;
 *                same bits either way; pair=1 with a device backend is
 *                refused)
 *
 * A stage object is used by one thread at a time.
 */
#ifndef SC_STAGE_DECODER_H
#define SC_STAGE_DECODER_H

#include <stdint.h>
#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_DEC_ZC 8          /* latent channels */
#define SC_DEC_ZH 256        /* latent rows (time) */
#define SC_DEC_ZW 16         /* latent columns (frequency) */
#define SC_DEC_LATENT (SC_DEC_ZC * SC_DEC_ZH * SC_DEC_ZW)   /* 32768 */
#define SC_DEC_PE_DIM 192    /* positional-encoding columns of the context */
#define SC_DEC_TIMESTEPS 1000

/* Number of DDIM sampling steps for a requested step count S (the length of
 * range(0, 1000, 1000 // S)), or -1 when S cannot be sampled: S < 1,
 * S > 1000, or the last timestep would be 1000.  tau (may be NULL, room for
 * 1000) receives the timesteps in ascending order (tau[0] = 1). */
static inline int sc_decoder_nsteps(int S, int *tau)
{
    if (S < 1 || S > SC_DEC_TIMESTEPS)
        return -1;
    int c = SC_DEC_TIMESTEPS / S, n = 0;
    for (int k = 0; k < SC_DEC_TIMESTEPS; k += c)
        n++;
    if ((n - 1) * c + 1 > SC_DEC_TIMESTEPS - 1)
        return -1;
    if (tau)
        for (int i = 0; i < n; i++)
            tau[i] = i * c + 1;
    return n;
}

/* Token windows of a clip of T token pairs (§6.1): windows of W pairs,
 * stride W - int(W * 0.0625), emitted while start + W < T (strict), then
 * the remainder.  Returns the number of windows (0 when T <= 0); start[] and
 * len[] (may be NULL) receive them.  W = 512 / K. */
static inline int64_t sc_decoder_windows(int64_t T, int W, int64_t *start, int64_t *len)
{
    int64_t n = 0, s = 0, stride = W - (int64_t)(W * 0.0625);
    if (T <= 0 || W <= 0)
        return 0;
    while (s + W < T) {
        if (start) start[n] = s;
        if (len) len[n] = W;
        n++;
        s += stride;
    }
    if (s < T) {
        if (start) start[n] = s;
        if (len) len[n] = T - s;
        n++;
    }
    return n;
}

/* Per-step observer: called after each sampling step s (0 = first) at
 * timestep t with host copies of the step's tensors ([8, 256, 16] each;
 * v_uncond / v_cond are NULL when that pass was skipped).  Return non-zero
 * to stop sampling (sample() then returns that value). */
typedef int (*sc_decoder_trace_fn)(void *user, int s, int nsteps, int t,
                                   const float *v_uncond, const float *v_cond,
                                   const float *v, const float *pred_x0,
                                   const float *x_prev);
/* Progress: called before step s of n (cheap; no copies). */
typedef void (*sc_decoder_progress_fn)(void *user, int s, int nsteps);

/* Samplers (sc_decoder_opts.sampler; [decoder] sampler).  The DPM-Solver
 * ones follow the solver file the official repository vendors
 * (latent_diffusion/models/dpm_solver/dpm_solver.py), DPM_Solver.sample(
 * steps, order, skip_type, method, lower_order_final=True), with
 * predict_x0 = (sampler == SC_DEC_DPMSOLVERPP):
 *  - the discrete NoiseScheduleVP of the checkpoint's alphas_cumprod: t_n =
 *    (n + 1) / 1000, log alpha = 0.5 log(alphas_cumprod[n]), interpolated
 *    piecewise-linearly in t (and in log alpha for the inverse of lambda =
 *    log alpha - log sigma); t_T = 1, t_0 = 1/1000;
 *  - the UNet sees the fractional time label (t - 1/1000) * 1000 through its
 *    sinusoidal embedding; its v output becomes noise alpha_t v + sigma_t x,
 *    and guidance mixes in noise space: e_u + g (e_c - e_u);
 *  - steps is the number of model evaluations (NFE); multistep needs
 *    steps >= order and, below 15 steps, lowers the order of the last
 *    steps (lower_order_final); singlestep spends exactly steps
 *    evaluations in blocks of orders 3, 2, 1; singlestep_fixed uses
 *    (steps / order) blocks of the given order.
 * Where the vendored file crashes, sc does what it evidently means:
 * multistep order 3 below 15 steps takes its second-order step from the
 * last two model outputs; singlestep with a skip other than logSNR places
 * the block ends on the steps-interval grid at the running sum of the block
 * orders; singlestep order 1 with logSNR uses a grid of steps intervals.
 * The arithmetic is the reference's float32, operation by operation
 * (x0 = (x - sigma e) / alpha is a true division on host-memory backends).
 * DPM-Solver samplers are deterministic: they read only x_T (opts->noise
 * then holds [8, 256, 16]), never call trace, and call progress before
 * every model evaluation. */
enum sc_decoder_sampler { SC_DEC_DDIM = 0, SC_DEC_DPMSOLVER = 1, SC_DEC_DPMSOLVERPP = 2 };
enum sc_decoder_method { SC_DEC_MULTISTEP = 0, SC_DEC_SINGLESTEP = 1, SC_DEC_SINGLESTEP_FIXED = 2 };
enum sc_decoder_skip { SC_DEC_TIME_UNIFORM = 0, SC_DEC_LOGSNR = 1, SC_DEC_TIME_QUADRATIC = 2 };

/* Names of the settings ("ddim", "dpmsolver", "dpmsolver++"; "multistep",
 * "singlestep", "singlestep_fixed"; "time_uniform", "logSNR",
 * "time_quadratic"): index = enum value. */
static const char *const sc_decoder_sampler_names[3] = {"ddim", "dpmsolver", "dpmsolver++"};
static const char *const sc_decoder_method_names[3] = {"multistep", "singlestep",
                                                      "singlestep_fixed"};
static const char *const sc_decoder_skip_names[3] = {"time_uniform", "logSNR", "time_quadratic"};

/* Index of `name` in one of those tables (n entries), or -1. */
static inline int sc_decoder_name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        const char *a = names[i], *b = name;
        while (*a && *a == *b)
            a++, b++;
        if (!*a && !*b)
            return i;
    }
    return -1;
}

typedef struct sc_decoder_opts {
    uint32_t struct_size;       /* sizeof(sc_decoder_opts) of the caller */
    int steps;                  /* requested S (official 50) */
    double cfg;                 /* guidance scale g (official 2.0) */
    double eta;                 /* DDIM eta (official 1.0) */
    uint64_t seed;              /* noise seed when noise == NULL */
    int window;                 /* decoder window index (noise key) */
    const float *noise;         /* NULL or [nsteps + 1, 8, 256, 16] */
    sc_decoder_trace_fn trace;  /* NULL: no per-step copies */
    sc_decoder_progress_fn progress;
    void *user;                 /* passed to trace / progress */
    /* since 0.2.0 (a caller whose struct_size ends before them gets DDIM) */
    int sampler;                /* enum sc_decoder_sampler (SC_DEC_DDIM) */
    int order;                  /* DPM-Solver order 1..3 (2) */
    int method;                 /* enum sc_decoder_method (SC_DEC_MULTISTEP) */
    int skip;                   /* enum sc_decoder_skip (SC_DEC_TIME_UNIFORM) */
} sc_decoder_opts;

static inline void sc_decoder_opts_init(sc_decoder_opts *o)
{
    *o = (sc_decoder_opts){sizeof(sc_decoder_opts), 50, 2.0, 1.0, 0, 0, 0, 0, 0, 0,
                           SC_DEC_DDIM, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM};
}

typedef struct sc_decoder_vt {
    SC_STAGE_VT_HEAD
    /* Context rows W and width Dc of this model. */
    void (*dims)(void *self, int *W, int *Dc);
    /* Conditioning of one token window: tokens [T_w, 2] -> ctx [W, Dc]. */
    int (*conditioning)(void *self, const int64_t *tokens, int T_w, float *ctx, sc_err *err);
    /* The unconditional context [W, Dc]: with tokens, exactly the
     * reference's [features * 0.0 | PE] of that window (so -0.0 where a
     * feature is negative, including the -1 rows); with tokens == NULL,
     * +0.0 features (what the sampler uses: the same UNet result). */
    int (*uncond)(void *self, const int64_t *tokens, int T_w, float *ctx, sc_err *err);
    /* One UNet evaluation: x [8, 256, 16] at timestep t (0..999) with
     * context ctx [W, Dc] (NULL = the unconditional context) -> v. */
    int (*unet)(void *self, const float *x, int t, const float *ctx, float *v, sc_err *err);
    /* Sample one window: tokens [T_w, 2] -> latent [8, 256, 16] (before the
     * 1/scale_factor, i.e. the vocoder stage's input). */
    int (*sample)(void *self, const int64_t *tokens, int T_w, const sc_decoder_opts *opts,
                  float *latent, sc_err *err);
    /* Same with a ready context ctx [W, Dc] (e.g. from conditioning()). */
    int (*sample_ctx)(void *self, const float *ctx, const sc_decoder_opts *opts, float *latent,
                      sc_err *err);
    /* The DDIM schedule for `steps` and `eta` in sampling order: t[s] the
     * timestep of step s and coef[4 s ..] the float32 scalars it uses:
     * a_t, a_prev, sigma_t, sqrt(1 - a_t) (as ddim_S5_step_coeffs).  Either
     * array may be NULL (room for 1000 steps).  Returns the number of steps
     * or a negative status (a step count the schedule cannot take). */
    int (*schedule)(void *self, int steps, double eta, int *t, float *coef, sc_err *err);
    /* Since 0.2.0: bit (1u << s) set for each sampler s the plugin offers.
     * A plugin whose struct_size ends before this member offers DDIM only
     * (and would ignore the sampler fields of the options): callers check
     * with sc_decoder_offers() before asking for another sampler. */
    uint32_t samplers;
} sc_decoder_vt;

static inline int sc_decoder_offers(const sc_decoder_vt *vt, int sampler)
{
    if (sampler == SC_DEC_DDIM)
        return 1;
    return SC_HAS_MEMBER(vt, vt->struct_size, samplers) && sampler >= 0 && sampler < 32 &&
           (vt->samplers >> sampler & 1u);
}

#ifdef __cplusplus
}
#endif
#endif
