/* bench/bench_ops.c - op-level throughput of one compute backend at the
 * shapes SemantiCodec really runs (ARCHITECTURE.md sections 3, 5, 7-9, 12),
 * against the machine's measured ceilings (shared/notes/TOOLCHAIN.md 4):
 * sgemm ~98 GFLOP/s on 1 thread, ~190 on 2; DRAM ~20 GB/s on 1, ~30 on 2.
 *
 *   bench_ops [-b BACKEND] [-t THREADS] [-n REPEATS] [-f FILTER] [-o OPTIONS]
 *
 * The first line is always gemm 1024^3: "% of gemm" on the other lines is
 * relative to that run's own figure (the machine under test may not be the
 * one the ceilings were measured on).
 *
 * Each case is run once to warm up, then REPEATS times (at least 0.2 s in
 * all); the line gives the minimum and median time and the rate at the
 * minimum (the least disturbed run on a shared machine), and the CPU time
 * the process got during that run over wall time x threads; "/cpu-s" is
 * the rate per CPU-second of the process (all threads), the figure least
 * disturbed by other work (1 thread: what an idle core would give).
 * FILTER keeps the
 * cases whose name contains it.  The load average is printed first: other
 * work on the machine lowers every number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sc/backend.h"
#include "sc/log.h"
#include "sc/pool.h"
#include "sc/registry.h"
#include "benchutil.h"

static float *rnd(sc_backend *be, size_t n, float a)
{
    float *h = malloc(n * sizeof(float)), *d = be->vt.buf_alloc(be->ctx, n * sizeof(float));
    if (!h || !d) {
        fprintf(stderr, "bench_ops: out of memory (%zu floats)\n", n);
        exit(71);
    }
    uint64_t s = n * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        h[i] = ((float)(s >> 40) / 16777216.0f * 2.0f - 1.0f) * a;
    }
    be->vt.upload(be->ctx, d, h, n * sizeof(float));
    free(h);
    return d;
}

typedef struct bench {
    sc_backend *be;
    int threads, reps;
    const char *filter;
    double gemm_rate;   /* this run's gemm 1024^3 GFLOP/s (0: not measured yet) */
} bench;

enum op {
    B_GEMM, B_LINEAR, B_CONV2D, B_CONV1D, B_CONVT1D, B_ATT, B_LSTM, B_NEAREST, B_GN, B_LN,
    B_GELU, B_GEGLU
};

typedef struct bcase {
    const char *name;
    int op;
    int p[8];
} bcase;

/* Run one case; returns seconds for one call (lstm: the whole sequence). */
static double run(bench *b, const bcase *c, double *flops, double *bytes, int *steps)
{
    sc_backend *be = b->be;
    const sc_backend_vt *vt = &be->vt;
    void *cx = be->ctx;
    const int *p = c->p;
    float *bufs[8] = {0};
    int nb = 0, rc = SC_OK;
    *flops = *bytes = 0;
    *steps = 1;
#define BUF(n, a) (bufs[nb++] = rnd(be, (size_t)(n), (a)))
    double best = 1e30, best_cpu = 0, min_cpu = 1e30, t[64];
    int reps = b->reps < 64 ? b->reps : 64, done = 0;
    double t_all = 0;
    /* set up */
    switch (c->op) {
    case B_GEMM: case B_LINEAR:
        BUF((size_t)p[0] * p[2], 1), BUF((size_t)p[1] * p[2], 0.1f), BUF((size_t)p[0] * p[1], 1), BUF(p[1], 1);
        *flops = 2.0 * p[0] * p[1] * p[2];
        break;
    case B_CONV2D: {   /* Cin H W Cout k stride pad */
        int Ho = (p[1] + 2 * p[6] - p[4]) / p[5] + 1, Wo = (p[2] + 2 * p[6] - p[4]) / p[5] + 1;
        BUF((size_t)p[0] * p[1] * p[2], 1), BUF((size_t)p[3] * p[0] * p[4] * p[4], 0.05f);
        BUF(p[3], 1), BUF((size_t)p[3] * Ho * Wo, 0);
        *flops = 2.0 * p[3] * p[0] * p[4] * p[4] * Ho * Wo;
        break;
    }
    case B_CONV1D: {   /* Cin L Cout k stride pad dil */
        int Lo = (p[1] + 2 * p[5] - p[6] * (p[3] - 1) - 1) / p[4] + 1;
        BUF((size_t)p[0] * p[1], 1), BUF((size_t)p[2] * p[0] * p[3], 0.05f), BUF(p[2], 1);
        BUF((size_t)p[2] * Lo, 0);
        *flops = 2.0 * p[2] * p[0] * p[3] * Lo;
        break;
    }
    case B_CONVT1D: {  /* Cin L Cout k stride pad */
        int Lo = (p[1] - 1) * p[4] - 2 * p[5] + p[3];
        BUF((size_t)p[0] * p[1], 1), BUF((size_t)p[0] * p[2] * p[3], 0.05f), BUF(p[2], 1);
        BUF((size_t)p[2] * Lo, 0);
        *flops = 2.0 * p[0] * p[2] * p[3] * p[1];
        break;
    }
    case B_ATT: {      /* heads Lq Lk dh */
        int D = p[0] * p[3];
        BUF((size_t)p[1] * D, 1), BUF((size_t)p[2] * D, 1), BUF((size_t)p[2] * D, 1), BUF((size_t)p[1] * D, 0);
        *flops = 4.0 * p[0] * p[1] * p[2] * p[3];
        break;
    }
    case B_LSTM:       /* T B H */
        BUF((size_t)p[0] * p[1] * 4 * p[2], 1), BUF((size_t)4 * p[2] * p[2], 0.02f);
        BUF((size_t)p[0] * p[1] * p[2], 0), BUF(sc_lstm_ws(p[1], p[2]), 0);
        *flops = 2.0 * 4 * p[2] * p[2] * p[1] * (p[0] - 1);
        *bytes = 4.0 * 4 * p[2] * p[2] * (p[0] - 1);
        *steps = p[0] - 1;   /* the first step has no recurrent product */
        break;
    case B_NEAREST:    /* M D N */
        BUF((size_t)p[0] * p[1], 1), BUF((size_t)p[2] * p[1], 1), BUF(p[2], 100), BUF(p[0], 0);
        *flops = 2.0 * p[0] * p[1] * p[2];
        break;
    case B_GN: case B_LN: /* C HW (rows cols) */
        BUF((size_t)p[0] * p[1], 1), BUF(p[0] > p[1] ? p[0] : p[1], 1), BUF(p[0] > p[1] ? p[0] : p[1], 1);
        BUF((size_t)p[0] * p[1], 0);
        *bytes = 3.0 * 4 * p[0] * p[1];   /* two reads (stats, apply) and a write */
        break;
    case B_GELU:
        BUF((size_t)p[0], 3), BUF((size_t)p[0], 0);
        *bytes = 8.0 * p[0];
        break;
    case B_GEGLU:
        BUF((size_t)p[0] * 2 * p[1], 3), BUF((size_t)p[0] * p[1], 0);
        *bytes = 12.0 * p[0] * p[1];
        break;
    }
    int64_t *idx = c->op == B_NEAREST ? malloc(sizeof(int64_t) * p[0]) : NULL;
    for (int it = -1; it < reps || t_all < 0.2; it++) {
        double t0 = bench_now(), c0 = bench_cpu();
        switch (c->op) {
        case B_GEMM:
            rc = vt->gemm(cx, 0, 0, p[0], p[1], p[2], 1.0f, bufs[0], p[2], bufs[1], p[1], 0.0f, bufs[2], p[1]);
            break;
        case B_LINEAR:
            rc = vt->linear(cx, bufs[0], p[2], p[0], p[2], bufs[1], bufs[3], p[1], bufs[2], p[1]);
            break;
        case B_CONV2D:
            rc = vt->conv2d(cx, bufs[0], p[0], p[1], p[2], bufs[1], bufs[2], p[3], p[4], p[4], p[5], p[6], bufs[3]);
            break;
        case B_CONV1D:
            rc = vt->conv1d(cx, bufs[0], p[0], p[1], bufs[1], bufs[2], p[2], p[3], p[4], p[5], p[6], bufs[3]);
            break;
        case B_CONVT1D:
            rc = vt->conv_transpose1d(cx, bufs[0], p[0], p[1], bufs[1], bufs[2], p[2], p[3], p[4], p[5], bufs[3]);
            break;
        case B_ATT: {
            int D = p[0] * p[3];
            rc = vt->attention(cx, bufs[0], D, bufs[1], D, bufs[2], D, bufs[3], D, p[0], p[1], p[2], p[3],
                               1.0f / sqrtf((float)p[3]));
            break;
        }
        case B_LSTM:
            rc = vt->lstm(cx, p[0], p[1], p[2], bufs[0], bufs[1], 0, bufs[2], p[2], bufs[3]);
            break;
        case B_NEAREST:
            rc = vt->nearest(cx, SC_NEAREST_SQ, bufs[0], p[1], p[0], p[1], bufs[1], bufs[2], p[2], idx, bufs[3]);
            break;
        case B_GN:
            rc = vt->groupnorm(cx, bufs[0], p[0], p[1], 32, bufs[1], bufs[2], 1e-6f, 1, bufs[3]);
            break;
        case B_LN:
            rc = vt->layernorm(cx, bufs[0], p[0], p[1], bufs[1], bufs[2], 1e-6f, bufs[3]);
            break;
        case B_GELU:
            rc = vt->act(cx, SC_ACT_GELU, 0, bufs[0], p[0], bufs[1]);
            break;
        case B_GEGLU:
            rc = vt->geglu(cx, bufs[0], p[0], p[1], bufs[1]);
            break;
        }
        vt->sync(cx);
        double dt = bench_now() - t0, dc = bench_cpu() - c0;
        if (rc) {
            fprintf(stderr, "bench_ops: %s failed: %s\n", c->name, sc_strerror(rc));
            exit(70);
        }
        if (it < 0)
            continue;   /* warm-up */
        t_all += dt;
        if (done < 64)
            t[done++] = dt;
        if (dc < min_cpu)
            min_cpu = dc;
        if (dt < best) {
            best = dt;
            best_cpu = dc / (dt * b->threads);
        }
    }
    qsort(t, done, sizeof t[0], bench_cmpd);
    double med = t[done / 2];
    free(idx);
    for (int i = 0; i < nb; i++)
        vt->buf_free(cx, bufs[i]);
    printf("%-9s t=%d %-44s min %9.3f ms  med %9.3f ms", b->be->name, b->threads, c->name, best * 1e3,
           med * 1e3);
    double gf_ceiling = b->gemm_rate > 0 ? b->gemm_rate : b->threads == 1 ? 98.0 : 190.0 * (b->threads / 2.0);
    double bw_ceiling = b->threads == 1 ? 20.0 : 30.0;
    if (*steps > 1)
        printf("  %7.1f us/step", best / *steps * 1e6);
    if (*flops > 0 && b->gemm_rate == 0)   /* the calibration line itself */
        printf("  %7.1f GFLOP/s (reference)    %6.1f/cpu-s", *flops / best * 1e-9, *flops / min_cpu * 1e-9);
    else if (*flops > 0)
        printf("  %7.1f GFLOP/s (%3.0f%% of gemm) %6.1f/cpu-s", *flops / best * 1e-9,
               *flops / best * 1e-9 / gf_ceiling * 100, *flops / min_cpu * 1e-9);
    if (*bytes > 0)
        printf("  %6.1f GB/s (%3.0f%% of DRAM) %6.1f/cpu-s", *bytes / best * 1e-9,
               *bytes / best * 1e-9 / bw_ceiling * 100, *bytes / min_cpu * 1e-9);
    /* our CPU time over wall x threads: well below 100% means other work
     * took the cores (or the op has serial parts) */
    printf("  cpu %3.0f%%\n", best_cpu * 100);
    fflush(stdout);
    return best;
}

static const bcase CASES[] = {
    {"gemm 1024x1024x1024", B_GEMM, {1024, 1024, 1024}},
    {"gemm 4096x4096x1024", B_GEMM, {4096, 4096, 1024}},
    {"linear audiomae qkv 513x768->2304", B_LINEAR, {513, 2304, 768}},
    {"linear audiomae fc1 513x768->3072", B_LINEAR, {513, 3072, 768}},
    {"linear lstm in 512x3072->6144", B_LINEAR, {512, 6144, 3072}},
    {"conv2d unet 64->64 3x3 256x16", B_CONV2D, {64, 256, 16, 64, 3, 1, 1}},
    {"conv2d unet down 64 3x3 s2 256x16", B_CONV2D, {64, 256, 16, 64, 3, 2, 1}},
    {"conv2d unet 128->128 3x3 128x8", B_CONV2D, {128, 128, 8, 128, 3, 1, 1}},
    {"conv2d unet 640->320 3x3 32x2", B_CONV2D, {640, 32, 2, 320, 3, 1, 1}},
    {"conv2d vae 512->512 3x3 256x16", B_CONV2D, {512, 256, 16, 512, 3, 1, 1}},
    {"conv2d vae 256->256 3x3 512x32", B_CONV2D, {256, 512, 32, 256, 3, 1, 1}},
    {"conv2d vae 128->128 3x3 1024x64", B_CONV2D, {128, 1024, 64, 128, 3, 1, 1}},
    {"conv2d audiomae patch 1->768 16x16/16", B_CONV2D, {1, 1024, 128, 768, 16, 16, 0}},
    {"conv1d hifigan 512 k7 d3 L5121", B_CONV1D, {512, 5121, 512, 7, 1, 9, 3}},
    {"conv1d hifigan 128 k11 d5 L40968", B_CONV1D, {128, 40968, 128, 11, 1, 25, 5}},
    {"conv1d hifigan 256 k3 d1 L20484", B_CONV1D, {256, 20484, 256, 3, 1, 1, 1}},
    {"conv1d hifigan 64 k11 d5 L81936", B_CONV1D, {64, 81936, 64, 11, 1, 25, 5}},
    {"conv1d hifigan 64 k3 d1 L81936", B_CONV1D, {64, 81936, 64, 3, 1, 1, 1}},
    {"conv1d hifigan 32 k11 d5 L163872", B_CONV1D, {32, 163872, 32, 11, 1, 25, 5}},
    {"conv1d hifigan 32 k3 d1 L163872", B_CONV1D, {32, 163872, 32, 3, 1, 1, 1}},
    {"conv1d hifigan pre 64->1024 k7 L1024", B_CONV1D, {64, 1024, 1024, 7, 1, 3, 1}},
    {"convt1d hifigan 1024->512 k16 s5 L1024", B_CONVT1D, {1024, 1024, 512, 16, 5, 5}},
    {"convt1d hifigan 128->64 k4 s2 L40968", B_CONVT1D, {128, 40968, 64, 4, 2, 1}},
    {"attention audiomae 12h 513x513 dh64", B_ATT, {12, 513, 513, 64}},
    {"attention unet 4h 1024x1024 dh32", B_ATT, {4, 1024, 1024, 32}},
    {"attention unet cross 4h 1024x512 dh32", B_ATT, {4, 1024, 512, 32}},
    {"attention vae 1h 4096x4096 dh512", B_ATT, {1, 4096, 4096, 512}},
    {"lstm H1536 B1 (65 steps)", B_LSTM, {65, 1, 1536}},
    {"lstm H1536 B6 (33 steps)", B_LSTM, {33, 6, 1536}},
    {"lstm H1536 B8 (33 steps)", B_LSTM, {33, 8, 1536}},
    {"lstm H1536 B32 (17 steps)", B_LSTM, {17, 32, 1536}},
    {"lstm H3072 B6 (17 steps)", B_LSTM, {17, 6, 3072}},
    {"lstm H3072 B32 (9 steps)", B_LSTM, {9, 32, 3072}},
    {"nearest 512x768 vs 8192", B_NEAREST, {512, 768, 8192}},
    {"nearest 512x768 vs 32768", B_NEAREST, {512, 768, 32768}},
    {"groupnorm+silu 512x4096", B_GN, {512, 4096}},
    {"groupnorm+silu 128x65536", B_GN, {128, 65536}},
    {"layernorm 513x768", B_LN, {513, 768}},
    {"gelu 4M", B_GELU, {4 << 20}},
    {"gelu 32M", B_GELU, {32 << 20}},
    {"geglu 1024x512", B_GEGLU, {1024, 512}},
};

int main(int argc, char **argv)
{
    const char *backend = "blas", *options = NULL;
    bench b = {0};
    b.reps = 5;
    int opt;
    while ((opt = getopt(argc, argv, "b:t:n:f:o:h")) != -1) {
        switch (opt) {
        case 'b': backend = optarg; break;
        case 't': b.threads = atoi(optarg); break;
        case 'n': b.reps = atoi(optarg); break;
        case 'f': b.filter = optarg; break;
        case 'o': options = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-b BACKEND] [-t THREADS] [-n REPEATS] [-f FILTER] [-o OPTIONS]\n",
                    argv[0]);
            return opt == 'h' ? 0 : 64;
        }
    }
    if (b.threads <= 0)
        b.threads = sc_ncpus();
    if (b.reps < 1)
        b.reps = 1;
    sc_err err = {0};
    sc_log log = {SC_LOG_WARN, sc_log_stderr, "bench_ops"};
    sc_pool *pool = sc_pool_create(b.threads, &err);
    if (!pool) {
        fprintf(stderr, "bench_ops: %s\n", err.msg);
        return 71;
    }
    sc_host host;
    sc_host_init(&host, &log, pool);
    sc_registry *reg = sc_registry_open(&host, NULL, &err);
    sc_backend *be = reg ? sc_backend_open(reg, backend, options, &err) : NULL;
    if (!be) {
        fprintf(stderr, "bench_ops: %s\n", err.msg);
        return sc_exit_status(err.code);
    }
    b.be = be;
    FILE *la = fopen("/proc/loadavg", "r");
    char lbuf[64] = "?";
    if (la) {
        if (!fgets(lbuf, sizeof lbuf, la))
            strcpy(lbuf, "?");
        fclose(la);
        lbuf[strcspn(lbuf, "\n")] = 0;
    }
    printf("# backend %s, %d thread(s), %d repeats, load average %s\n", backend, b.threads, b.reps, lbuf);
    /* calibration: this run's own gemm rate is the "% of gemm" reference */
    double f, by;
    int st;
    double tg = run(&b, &CASES[0], &f, &by, &st);
    b.gemm_rate = f / tg * 1e-9;
    for (size_t i = 1; i < sizeof CASES / sizeof CASES[0]; i++) {
        if (b.filter && !strstr(CASES[i].name, b.filter))
            continue;
        run(&b, &CASES[i], &f, &by, &st);
    }
    sc_backend_close(be);
    sc_registry_close(reg);
    sc_pool_destroy(pool);
    return 0;
}
