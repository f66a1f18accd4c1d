/* bench/bench_vocoder.c - time the "hifigan" vocoder stage on one backend:
 * VAE decoder and HiFi-GAN seconds per 10.24 s window, GFLOP/s against
 * the sgemm ceiling measured in the same run through the same backend,
 * and the ratio to the official code (TIMING.md: VAE 2.66-3.58 s,
 * HiFi-GAN 4.52-5.50 s per window on this machine kind).
 *
 *   bench_vocoder [-b BACKEND] [-t THREADS] [-n REPEATS] [-s vae|hifigan|both]
 *
 * FLOP per window (ARCHITECTURE.md §12, 1 MAC = 2 FLOP): VAE 670.5 GFLOP
 * (335.2 GMAC, of which the mid attention 21.5), HiFi-GAN 1027 GFLOP.
 * These count direct convolutions; the blas backend's Winograd paths do
 * fewer multiplies (2.25x fewer for the VAE's 3x3, ~2x for the HiFi-GAN
 * resblocks), so its rate can exceed the sgemm ceiling.  The CPU seconds
 * (all threads) are printed too: on a shared machine they move less than
 * the wall time.
 * Synthetic weights; inputs are the golden short latent and mel when
 * $SC_REFDIR has them, else a fixed pattern (the time does not depend on
 * the values).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sc/config.h"
#include "sc/npy.h"
#include "sc/session.h"
#include "sc/stage_vocoder.h"
#include "benchutil.h"

#define VAE_GFLOP 670.5
#define HIFI_GFLOP 1027.0

static void load_or_fill(const char *rel, float *dst, size_t n, size_t offset)
{
    const char *ref = getenv("SC_REFDIR");
    char path[4096];
    sc_tensor t;
    sc_err err = {0};
    if (ref) {
        snprintf(path, sizeof path, "%s/golden/%s", ref, rel);
        if (sc_npy_load(path, &t, &err) == SC_OK) {
            if (t.dtype == SC_F32 && (size_t)sc_tensor_numel(&t) >= offset + n) {
                memcpy(dst, (const float *)t.data + offset, n * sizeof(float));
                sc_tensor_release(&t);
                return;
            }
            sc_tensor_release(&t);
        }
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)((int)(i % 17) - 8) * 0.1f;
}

/* t: wall seconds of the runs, cpu: CPU seconds (all threads) of the same
 * runs; the CPU figure is what a busy machine disturbs least. */
static void report(const char *what, double *t, double *cpu, int n, double gflop, double ceil_gf,
                   double off_lo, double off_hi)
{
    qsort(t, n, sizeof *t, bench_cmpd);
    qsort(cpu, n, sizeof *cpu, bench_cmpd);
    double mn = t[0], med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    printf("%-8s min %.2f s, median %.2f s per window: %.1f GFLOP/s = %.0f%% of sgemm; "
           "official %.2f-%.2f s: %.2f-%.2fx\n",
           what, mn, med, gflop / mn, 100.0 * gflop / mn / ceil_gf, off_lo, off_hi, off_lo / mn,
           off_hi / mn);
    printf("%-8s CPU min %.2f s per window (all threads): %.1f GFLOP per CPU-second\n", what,
           cpu[0], gflop / cpu[0]);
}

int main(int argc, char **argv)
{
    const char *backend = "blas", *which = "both";
    int threads = 2, reps = 3, opt;
    while ((opt = getopt(argc, argv, "b:t:n:s:h")) != -1) {
        switch (opt) {
        case 'b': backend = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'n': reps = atoi(optarg); break;
        case 's': which = optarg; break;
        default:
            fprintf(stderr, "usage: %s [-b BACKEND] [-t THREADS] [-n REPEATS] "
                            "[-s vae|hifigan|both]\n", argv[0]);
            return opt == 'h' ? 0 : 64;
        }
    }
    int do_vae = strcmp(which, "hifigan") != 0, do_hifi = strcmp(which, "vae") != 0;
    if (reps < 1 || reps > 100 || threads < 0) {
        fprintf(stderr, "bench_vocoder: bad -n/-t\n");
        return 64;
    }
    sc_config cfg;
    sc_err err = {0};
    sc_log log = {SC_LOG_ERROR, sc_log_stderr, "bench_vocoder"};
    sc_config_defaults(&cfg);
    if (sc_config_load_env(&cfg, &err)) {
        fprintf(stderr, "bench_vocoder: %s\n", err.msg);
        return 78;
    }
    cfg.synthetic = 1;
    cfg.token_rate = 100;
    cfg.sem_vocab = 16384;
    cfg.threads = threads;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    double t0 = bench_now();
    sc_session *s = sc_session_open(&cfg, &log, &err);
    sc_stage *st = s ? sc_session_stage(s, SC_KIND_VOCODER, &err) : NULL;
    if (!st) {
        fprintf(stderr, "bench_vocoder: %s\n", err.msg);
        if (s)
            sc_session_close(s);
        return 1;
    }
    const sc_vocoder_vt *vt = st->vt;
    printf("backend %s, threads %d, synthetic weights + stage %.1f s\n", st->backend->name,
           threads ? threads : sc_ncpus(), bench_now() - t0);

    /* The sgemm ceiling now, through the same backend: 1024^3. */
    double ceil_gf = bench_sgemm_ceiling(&st->backend->vt, st->backend->ctx, NULL);
    printf("sgemm 1024^3 through the backend now: %.1f GFLOP/s\n", ceil_gf);

    size_t nz = SC_VOC_LATENT_COUNT, nm = (size_t)SC_VOC_MEL_FRAMES * SC_VOC_MEL_BINS;
    float *z = malloc(nz * 4), *mel = malloc(nm * 4), *wave = malloc(SC_VOC_WAVE_LEN * 4);
    double *t = malloc(sizeof(double) * (size_t)reps), *tc = malloc(sizeof(double) * (size_t)reps);
    load_or_fill("short_ddim_latents.npy", z, nz, 4 * nz);
    load_or_fill("short_vae_mel.npy", mel, nm, 0);
    int rc = 0;
    /* The first call also allocates the stage's buffers: timed apart. */
    if (do_vae) {
        double a = bench_now();
        if ((rc = vt->vae(st->self, z, SC_VOC_ZH, mel, &err)))
            goto out;
        printf("vae      first call %.2f s\n", bench_now() - a);
        for (int r = 0; r < reps; r++) {
            double c0 = bench_cpu();
            a = bench_now();
            if ((rc = vt->vae(st->self, z, SC_VOC_ZH, mel, &err)))
                goto out;
            t[r] = bench_now() - a;
            tc[r] = bench_cpu() - c0;
        }
        report("vae", t, tc, reps, VAE_GFLOP, ceil_gf, 2.66, 3.58);
    }
    if (do_hifi) {
        double a = bench_now();
        if ((rc = vt->hifigan(st->self, mel, SC_VOC_MEL_FRAMES, wave, &err)))
            goto out;
        printf("hifigan  first call %.2f s\n", bench_now() - a);
        for (int r = 0; r < reps; r++) {
            double c0 = bench_cpu();
            a = bench_now();
            if ((rc = vt->hifigan(st->self, mel, SC_VOC_MEL_FRAMES, wave, &err)))
                goto out;
            t[r] = bench_now() - a;
            tc[r] = bench_cpu() - c0;
        }
        report("hifigan", t, tc, reps, HIFI_GFLOP, ceil_gf, 4.52, 5.50);
    }
out:
    if (rc)
        fprintf(stderr, "bench_vocoder: %s\n", err.msg);
    free(z);
    free(mel);
    free(wave);
    free(t);
    free(tc);
    sc_session_close(s);
    return rc ? 1 : 0;
}
