/* bench/bench_decoder.c - time the decoder stage on one 10.24 s window.
 *
 *   bench_decoder [-b BACKEND] [-s STEPS]... [-t THREADS] [-m MODELDIR] [-e EVALS] [-p]
 *
 * Synthetic weights at rate 100 / vocab 16384 unless -m gives a model
 * directory.  Prints, per backend: seconds per UNet evaluation (with and
 * without the context K/V projection), the GFLOP/s that implies, and for
 * each -s STEPS the whole window (guidance 2.0, eta 1.0, own noise): seconds,
 * seconds per step, and the ratio to the official code (TIMING.md:
 * 0.88-1.50 s per UNet call, 140.7-162.1 s per window at 50 steps).
 * -p wraps the backend's op table and prints wall / CPU time and GFLOP/s
 * per op kind over the cached (unconditional) evaluations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sc/session.h"
#include "sc/stage_decoder.h"
#include "benchutil.h"

/* ARCHITECTURE.md §12, rate 100: 26.6 GMAC per evaluation of which 6.23 are
 * the context K/V projections the stage caches per window. */
#define GFLOP_EVAL 53.2
#define GFLOP_KV 12.46

/* ---- -p: per-op profile (wraps the session's resolved op table) ---- */

enum { P_GEMM, P_LINEAR, P_CONV3, P_CONV1, P_ATTN, P_GN, P_LN, P_GEGLU, P_ELEM, P_COPY, P_N };
static const char *const pname[P_N] = {"gemm", "linear", "conv2d 3x3", "conv2d other",
                                       "attention", "groupnorm", "layernorm", "geglu",
                                       "elementwise", "copy/upsample"};
static struct { double wall, cpu, flop; long n; } prof[P_N];
static sc_backend_vt orig;

#define PROF(k, fl, call)                                                       \
    do {                                                                        \
        double w0 = bench_now(), c0 = bench_cpu();                                      \
        int rc_ = call;                                                         \
        prof[k].wall += bench_now() - w0;                                             \
        prof[k].cpu += bench_cpu() - c0;                                          \
        prof[k].flop += (fl);                                                   \
        prof[k].n++;                                                            \
        return rc_;                                                             \
    } while (0)

static int p_gemm(void *c, int ta, int tb, int M, int N, int K, float al, const float *A, int lda,
                  const float *B, int ldb, float be, float *C, int ldc)
{
    PROF(P_GEMM, 2.0 * M * N * K, orig.gemm(c, ta, tb, M, N, K, al, A, lda, B, ldb, be, C, ldc));
}
static int p_linear(void *c, const float *x, int ldx, int M, int K, const float *W,
                    const float *b, int N, float *y, int ldy)
{
    PROF(P_LINEAR, 2.0 * M * N * K, orig.linear(c, x, ldx, M, K, W, b, N, y, ldy));
}
static int p_conv2d(void *c, const float *x, int Cin, int H, int W, const float *w,
                    const float *b, int Cout, int kh, int kw, int stride, int pad, float *y)
{
    int Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1;
    PROF(kh == 3 && stride == 1 ? P_CONV3 : P_CONV1, 2.0 * Cout * Cin * kh * kw * Ho * Wo,
         orig.conv2d(c, x, Cin, H, W, w, b, Cout, kh, kw, stride, pad, y));
}
static int p_attention(void *c, const float *q, int ldq, const float *k, int ldk, const float *v,
                       int ldv, float *o, int ldo, int heads, int Lq, int Lk, int dh, float sc)
{
    PROF(P_ATTN, 4.0 * heads * Lq * Lk * dh,
         orig.attention(c, q, ldq, k, ldk, v, ldv, o, ldo, heads, Lq, Lk, dh, sc));
}
static int p_gn(void *c, const float *x, int C, int HW, int g, const float *ga, const float *b,
                float eps, int silu, float *y)
{
    PROF(P_GN, 0, orig.groupnorm(c, x, C, HW, g, ga, b, eps, silu, y));
}
static int p_ln(void *c, const float *x, int rows, int cols, const float *g, const float *b,
                float eps, float *y)
{
    PROF(P_LN, 0, orig.layernorm(c, x, rows, cols, g, b, eps, y));
}
static int p_geglu(void *c, const float *x, int rows, int n, float *y)
{
    PROF(P_GEGLU, 0, orig.geglu(c, x, rows, n, y));
}
static int p_binary(void *c, int op, const float *a, const float *b, int64_t n, float *y)
{
    PROF(P_ELEM, 0, orig.binary(c, op, a, b, n, y));
}
static int p_bias(void *c, const float *x, int rows, int cols, const float *v, int per_row,
                  float *y)
{
    PROF(P_ELEM, 0, orig.bias(c, x, rows, cols, v, per_row, y));
}
static int p_scale(void *c, const float *x, int64_t n, float a, float b, float *y)
{
    PROF(P_ELEM, 0, orig.scale(c, x, n, a, b, y));
}
static int p_act(void *c, int act, float al, const float *x, int64_t n, float *y)
{
    PROF(P_ELEM, 0, orig.act(c, act, al, x, n, y));
}
static int p_copy2d(void *c, const float *s, int lds, float *d, int ldd, int rows, int cols)
{
    PROF(P_COPY, 0, orig.copy2d(c, s, lds, d, ldd, rows, cols));
}
static int p_up(void *c, const float *x, int C, int H, int W, float *y)
{
    PROF(P_COPY, 0, orig.upsample2x(c, x, C, H, W, y));
}

static void prof_install(sc_backend *be)
{
    orig = be->vt;
    be->vt.gemm = p_gemm;
    be->vt.linear = p_linear;
    be->vt.conv2d = p_conv2d;
    be->vt.attention = p_attention;
    be->vt.groupnorm = p_gn;
    be->vt.layernorm = p_ln;
    be->vt.geglu = p_geglu;
    be->vt.binary = p_binary;
    be->vt.bias = p_bias;
    be->vt.scale = p_scale;
    be->vt.act = p_act;
    be->vt.copy2d = p_copy2d;
    be->vt.upsample2x = p_up;
}

static void prof_report(double evals)
{
    double tw = 0, tc = 0;
    for (int k = 0; k < P_N; k++) {
        tw += prof[k].wall;
        tc += prof[k].cpu;
    }
    printf("per-op profile over %.0f UNet evaluations (per evaluation; GFLOP/s of wall time):\n",
           evals);
    for (int k = 0; k < P_N; k++) {
        if (!prof[k].n)
            continue;
        printf("  %-14s %6ld calls  wall %.3f s (%4.1f%%)  cpu %.3f s", pname[k], prof[k].n,
               prof[k].wall / evals, 100 * prof[k].wall / tw, prof[k].cpu / evals);
        if (prof[k].flop > 0)
            printf("  %6.2f GFLOP  %6.1f GFLOP/s", prof[k].flop / evals / 1e9,
                   prof[k].flop / prof[k].wall / 1e9);
        printf("\n");
    }
    printf("  %-14s wall %.3f s  cpu %.3f s\n", "total", tw / evals, tc / evals);
}

typedef struct prog { double t0, first, last; int n; } prog;

static void on_progress(void *user, int s, int n)
{
    prog *p = user;
    double t = bench_now();
    if (s == 1)
        p->first = t - p->t0;
    p->last = t;
    p->n = n;
}

int main(int argc, char **argv)
{
    const char *backend = "blas", *model = NULL;
    int steps[8], nsteps = 0, threads = 0, evals = 2, profile = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-b") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "-s") && i + 1 < argc && nsteps < 8)
            steps[nsteps++] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-m") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "-e") && i + 1 < argc)
            evals = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p"))
            profile = 1;
        else {
            fprintf(stderr, "usage: %s [-b BACKEND] [-s STEPS]... [-t THREADS] [-m MODELDIR] "
                    "[-e EVALS] [-p]\n", argv[0]);
            return 64;
        }
    }
    sc_config cfg;
    sc_err err = {0};
    sc_log log = {SC_LOG_WARN, sc_log_stderr, "bench_decoder"};
    sc_config_defaults(&cfg);
    if (sc_config_load_env(&cfg, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 78;
    }
    cfg.synthetic = model == NULL;
    if (model)
        snprintf(cfg.model_dir, sizeof cfg.model_dir, "%s", model);
    cfg.token_rate = 100;
    cfg.sem_vocab = 16384;
    cfg.threads = threads;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    double t0 = bench_now();
    sc_session *s = sc_session_open(&cfg, &log, &err);
    sc_stage *st = s ? sc_session_stage(s, SC_KIND_DECODER, &err) : NULL;
    if (!st) {
        fprintf(stderr, "bench_decoder: %s\n", err.msg);
        return 1;
    }
    const sc_decoder_vt *vt = st->vt;
    int W, Dc;
    vt->dims(st->self, &W, &Dc);
    printf("backend %s, threads %d, model load + stage %.1f s\n", backend,
           threads ? threads : sc_ncpus(), bench_now() - t0);

    /* the sgemm ceiling right now, through the same backend: 1024^3 */
    double ceil_cpu, ceil_gf = bench_sgemm_ceiling(&st->backend->vt, st->backend->ctx, &ceil_cpu);
    printf("sgemm 1024^3 through the backend now: %.1f GFLOP/s wall (best of 5), "
           "%.1f GFLOP per CPU-second (the ceilings of this run)\n", ceil_gf, ceil_cpu);

    /* a full window of pseudo-random valid tokens */
    int64_t *tok = malloc(sizeof(int64_t) * 2 * W);
    uint64_t r = 88172645463325252ull;
    for (int i = 0; i < 2 * W; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        tok[i] = (int64_t)(r % (i % 2 ? 8192 : 16384));
    }
    float *ctx = malloc(sizeof(float) * W * Dc), *x = malloc(sizeof(float) * SC_DEC_LATENT);
    float *v = malloc(sizeof(float) * SC_DEC_LATENT), *lat = malloc(sizeof(float) * SC_DEC_LATENT);
    for (int i = 0; i < SC_DEC_LATENT; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    if (vt->conditioning(st->self, tok, W, ctx, &err)) {
        fprintf(stderr, "bench_decoder: %s\n", err.msg);
        return 1;
    }
    double best_cond = 1e9, best_unc = 1e9, cpu_unc = 0;
    for (int e = 0; e < evals; e++) {
        double a = bench_now();
        if (vt->unet(st->self, x, 981, ctx, v, &err)) {
            fprintf(stderr, "bench_decoder: %s\n", err.msg);
            return 1;
        }
        double b = bench_now(), cb = bench_cpu();
        vt->unet(st->self, x, 981, NULL, v, &err);
        double c = bench_now();
        cpu_unc += bench_cpu() - cb;
        if (b - a < best_cond) best_cond = b - a;
        if (c - b < best_unc) best_unc = c - b;
    }
    printf("UNet evaluation (best of %d): %.3f s with context K/V (%.1f GFLOP/s), "
           "%.3f s cached (%.1f GFLOP/s = %.0f%% of sgemm); official 0.88-1.50 s: %.1f-%.1fx\n",
           evals, best_cond, GFLOP_EVAL / best_cond, best_unc, (GFLOP_EVAL - GFLOP_KV) / best_unc,
           100 * (GFLOP_EVAL - GFLOP_KV) / best_unc / ceil_gf, 0.88 / best_unc, 1.50 / best_unc);
    printf("  CPU: %.3f CPU-s per cached evaluation = %.1f GFLOP per CPU-second, %.0f%% of "
           "sgemm's\n", cpu_unc / evals, (GFLOP_EVAL - GFLOP_KV) * evals / cpu_unc,
           100 * (GFLOP_EVAL - GFLOP_KV) * evals / cpu_unc / ceil_cpu);
    if (profile) {
        /* the unconditional K/V are cached by now: pure evaluations */
        prof_install(st->backend);
        for (int e = 0; e < evals; e++)
            vt->unet(st->self, x, 981, NULL, v, &err);
        st->backend->vt = orig;
        prof_report(evals);
    }
    for (int k = 0; k < nsteps; k++) {
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = steps[k];
        prog p = {0};
        o.progress = on_progress;
        o.user = &p;
        p.t0 = bench_now();
        double c0 = bench_cpu();
        if (vt->sample(st->self, tok, W, &o, lat, &err)) {
            fprintf(stderr, "bench_decoder: %s\n", err.msg);
            return 1;
        }
        double tot = bench_now() - p.t0, ctot = bench_cpu() - c0;
        int n = p.n;
        double per = n > 1 ? (p.last - p.t0 - p.first) / (n - 2 > 0 ? n - 2 : 1) : tot;
        if (n > 2)
            per = (tot - p.first) / (n - 1);
        double ev = 2.0 * n;
        printf("window, %d steps (%d sampling steps, cfg 2.0): %.2f s, %.3f s per step, "
               "%.1f GFLOP/s",
               steps[k], n, tot, per, ev * (GFLOP_EVAL - GFLOP_KV) / tot);
        if (steps[k] == 50)
            printf("; official 140.7-162.1 s: %.1f-%.1fx faster", 140.7 / tot, 162.1 / tot);
        else if (steps[k] == 10)
            printf("; official 34.9-35.1 s: %.1f-%.1fx faster", 34.9 / tot, 35.1 / tot);
        else if (steps[k] == 5)
            printf("; official 20.1-25.3 s: %.1f-%.1fx faster", 20.1 / tot, 25.3 / tot);
        printf("\n  CPU: %.1f CPU-s, %.1f GFLOP per CPU-second (%.0f%% of sgemm's)\n", ctot,
               ev * (GFLOP_EVAL - GFLOP_KV) / ctot, 100 * ev * (GFLOP_EVAL - GFLOP_KV) / ctot / ceil_cpu);
        fflush(stdout);
    }
    free(tok);
    free(ctx);
    free(x);
    free(v);
    free(lat);
    sc_session_close(s);
    return 0;
}
