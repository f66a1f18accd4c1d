/* bench/bench_decoder.c - time the decoder stage on one 10.24 s window.
 *
 *   bench_decoder [-b BACKEND] [-s STEPS]... [-t THREADS] [-m MODELDIR] [-e EVALS]
 *
 * Synthetic weights at rate 100 / vocab 16384 unless -m gives a model
 * directory.  Prints, per backend: seconds per UNet evaluation (with and
 * without the context K/V projection), the GFLOP/s that implies, and for
 * each -s STEPS the whole window (guidance 2.0, eta 1.0, own noise): seconds,
 * seconds per step, and the ratio to the official code (TIMING.md:
 * 0.88-1.50 s per UNet call, 140.7-162.1 s per window at 50 steps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sc/session.h"
#include "sc/stage_decoder.h"

/* ARCHITECTURE.md §12, rate 100: 26.6 GMAC per evaluation of which 6.23 are
 * the context K/V projections the stage caches per window. */
#define GFLOP_EVAL 53.2
#define GFLOP_KV 12.46

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct prog { double t0, first, last; int n; } prog;

static void on_progress(void *user, int s, int n)
{
    prog *p = user;
    double t = now();
    if (s == 1)
        p->first = t - p->t0;
    p->last = t;
    p->n = n;
}

int main(int argc, char **argv)
{
    const char *backend = "blas", *model = NULL;
    int steps[8], nsteps = 0, threads = 0, evals = 2;
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
        else {
            fprintf(stderr, "usage: %s [-b BACKEND] [-s STEPS]... [-t THREADS] [-m MODELDIR] "
                    "[-e EVALS]\n", argv[0]);
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
    double t0 = now();
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
           threads ? threads : sc_ncpus(), now() - t0);

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
    double best_cond = 1e9, best_unc = 1e9;
    for (int e = 0; e < evals; e++) {
        double a = now();
        if (vt->unet(st->self, x, 981, ctx, v, &err)) {
            fprintf(stderr, "bench_decoder: %s\n", err.msg);
            return 1;
        }
        double b = now();
        vt->unet(st->self, x, 981, NULL, v, &err);
        double c = now();
        if (b - a < best_cond) best_cond = b - a;
        if (c - b < best_unc) best_unc = c - b;
    }
    printf("UNet evaluation (best of %d): %.3f s with context K/V (%.1f GFLOP/s), "
           "%.3f s cached (%.1f GFLOP/s); official 0.88-1.50 s: %.1f-%.1fx\n",
           evals, best_cond, GFLOP_EVAL / best_cond, best_unc, (GFLOP_EVAL - GFLOP_KV) / best_unc,
           0.88 / best_unc, 1.50 / best_unc);
    for (int k = 0; k < nsteps; k++) {
        sc_decoder_opts o;
        sc_decoder_opts_init(&o);
        o.steps = steps[k];
        prog p = {0};
        o.progress = on_progress;
        o.user = &p;
        p.t0 = now();
        if (vt->sample(st->self, tok, W, &o, lat, &err)) {
            fprintf(stderr, "bench_decoder: %s\n", err.msg);
            return 1;
        }
        double tot = now() - p.t0;
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
        printf("\n");
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
