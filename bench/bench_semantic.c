/* bench/bench_semantic.c - time the "audiomae" semantic stage on one
 * backend: AudioMAE seconds per window and GFLOP/s (97.0 GFLOP per window,
 * ARCHITECTURE.md §12), and the codebook search per window (n * Ns * fd
 * MACs).  Synthetic weights; input = golden/long_fbank.npy windows.
 *
 *   bench_semantic [-b BACKEND] [-t THREADS] [-w WINDOWS] [-n REPEATS]
 *                  [-r RATE] [-v VOCAB] [-B BATCH] [-s] [-q]
 *   -s: search only (skip AudioMAE);  -q: AudioMAE only
 * Prints one line per measurement: min and median over the repeats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sc/config.h"
#include "sc/npy.h"
#include "sc/session.h"
#include "sc/stage_semantic.h"
#include "benchutil.h"

static void stats(double *t, int n, double *mn, double *med)
{
    qsort(t, n, sizeof *t, bench_cmpd);
    *mn = t[0];
    *med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

int main(int argc, char **argv)
{
    const char *backend = "blas";
    int threads = 0, nwin = 2, reps = 3, rate = 100, vocab = 16384, batch = 0, opt;
    int do_amae = 1, do_search = 1;
    while ((opt = getopt(argc, argv, "b:t:w:n:r:v:B:sqh")) != -1) {
        switch (opt) {
        case 'b': backend = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'w': nwin = atoi(optarg); break;
        case 'n': reps = atoi(optarg); break;
        case 'r': rate = atoi(optarg); break;
        case 'v': vocab = atoi(optarg); break;
        case 'B': batch = atoi(optarg); break;
        case 's': do_amae = 0; break;
        case 'q': do_search = 0; break;
        default:
            fprintf(stderr, "usage: %s [-b BACKEND] [-t THREADS] [-w WINDOWS] [-n REPEATS] "
                            "[-r RATE] [-v VOCAB] [-B BATCH] [-s] [-q]\n", argv[0]);
            return opt == 'h' ? 0 : 64;
        }
    }
    if (nwin < 1 || reps < 1 || reps > 100) {
        fprintf(stderr, "bench_semantic: bad -w/-n\n");
        return 64;
    }
    sc_config cfg;
    sc_err err = {0};
    sc_log log = {SC_LOG_ERROR, sc_log_stderr, NULL};
    sc_config_defaults(&cfg);
    cfg.synthetic = 1;
    const char *sd = getenv("SC_SYNTH_DIR");
    if (sd)
        snprintf(cfg.synth_dir, sizeof cfg.synth_dir, "%s", sd);
    cfg.token_rate = rate;
    cfg.sem_vocab = vocab;
    cfg.threads = threads;
    snprintf(cfg.stage[SC_KIND_SEMANTIC].backend, SC_NAME_MAX, "%s", backend);
    if (batch > 0)
        snprintf(cfg.stage[SC_KIND_SEMANTIC].options, sizeof cfg.stage[0].options, "batch=%d",
                 batch);
    sc_session *s = sc_session_open(&cfg, &log, &err);
    sc_stage *st = s ? sc_session_stage(s, SC_KIND_SEMANTIC, &err) : NULL;
    if (!st) {
        fprintf(stderr, "bench_semantic: %s\n", err.msg);
        return 1;
    }
    const sc_semantic_vt *vt = st->vt;
    int nthr = sc_pool_size(sc_session_pool(s));

    /* Input: the golden long clip's windows, repeated. */
    const char *ref = getenv("SC_REFDIR");
    char path[4096];
    sc_tensor fb;
    snprintf(path, sizeof path, "%s/golden/long_fbank.npy", ref ? ref : ".");
    if (sc_npy_load(path, &fb, &err)) {
        fprintf(stderr, "bench_semantic: %s\n", err.msg);
        return 1;
    }
    const size_t win = 1024 * 128;
    int have = (int)(fb.shape[1] / 1024);
    float *x = malloc(nwin * win * sizeof(float));
    int n = 512 * rate / 100, fd = 76800 / rate;
    float *y = malloc((size_t)nwin * n * fd * sizeof(float));
    int64_t *tok = malloc((size_t)nwin * n * sizeof(int64_t));
    double t[100], c[100], mn, med, cmn, cmed;
    if (!x || !y || !tok)
        return 1;
    for (int w = 0; w < nwin; w++)
        memcpy(x + w * win, (const float *)fb.data + (w % have) * win, win * sizeof(float));

    if (do_amae) {
        float *out = malloc((size_t)nwin * 513 * 768 * sizeof(float));
        /* warm-up: reads (generates) the weights, allocates activations */
        if (!out || vt->audiomae(st->self, 1, x, out, &err)) {
            fprintf(stderr, "bench_semantic: %s\n", err.msg);
            return 1;
        }
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now(), c0 = bench_cpu();
            if (vt->audiomae(st->self, nwin, x, out, &err)) {
                fprintf(stderr, "bench_semantic: %s\n", err.msg);
                return 1;
            }
            t[r] = (bench_now() - t0) / nwin;
            c[r] = (bench_cpu() - c0) / nwin;
        }
        stats(t, reps, &mn, &med);
        stats(c, reps, &cmn, &cmed);
        printf("%-5s threads %d: AudioMAE %.3f / %.3f s/window wall (min/median of %d x %d "
               "windows), %.1f GFLOP/s; CPU %.3f s/window = %.1f GFLOP/s per busy core "
               "(97.0 GFLOP/window; TIMING.md: 0.85 s)\n",
               backend, nthr, mn, med, reps, nwin, 97.0 / mn, cmn, 97.0 / cmn);
        /* keep y for the search: stacked features of these windows */
        vt->stack_quantize(st->self, nwin, out, y, fd, NULL, NULL, 0, &err);
        free(out);
    } else {
        /* search input without AudioMAE: golden stacked features */
        sc_tensor g;
        char name[64];
        if (rate == 100)
            snprintf(name, sizeof name, "long_audiomae.npy");
        else
            snprintf(name, sizeof name, "long_tr%d_stacked.npy", rate);
        snprintf(path, sizeof path, "%s/golden/%s", ref ? ref : ".", name);
        if (sc_npy_load(path, &g, &err)) {
            fprintf(stderr, "bench_semantic: %s\n", err.msg);
            return 1;
        }
        for (int w = 0; w < nwin; w++) {
            const float *src = (const float *)g.data;
            if (rate == 100)
                src += (size_t)(w % 2) * 513 * 768 + 768;
            else
                src += (size_t)(w % 2) * n * fd;
            memcpy(y + (size_t)w * n * fd, src, (size_t)n * fd * sizeof(float));
        }
        sc_tensor_release(&g);
    }
    if (do_search) {
        if (vt->quantize(st->self, n, y, fd, tok, NULL, 0, &err)) {   /* warm-up */
            fprintf(stderr, "bench_semantic: %s\n", err.msg);
            return 1;
        }
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now(), c0 = bench_cpu();
            if (vt->quantize(st->self, nwin * n, y, fd, tok, NULL, 0, &err)) {
                fprintf(stderr, "bench_semantic: %s\n", err.msg);
                return 1;
            }
            t[r] = (bench_now() - t0) / nwin;
            c[r] = (bench_cpu() - c0) / nwin;
        }
        stats(t, reps, &mn, &med);
        stats(c, reps, &cmn, &cmed);
        double gf = 2.0 * n * (double)vocab * fd * 1e-9;
        printf("%-5s threads %d: search rate %d vocab %d: %.4f / %.4f s/window wall, %.1f GFLOP/s; "
               "CPU %.4f s/window (%.1f GFLOP/window; TIMING.md: 0.054 s at rate 100, 16384)\n",
               backend, nthr, rate, vocab, mn, med, gf / mn, cmn, gf);
    }
    free(x);
    free(y);
    free(tok);
    sc_tensor_release(&fb);
    sc_session_close(s);
    return 0;
}
