/* sc-compare: objective distances between two audio files (sc-compare(1)).
 *
 * A is the reference, B the file under test (e.g. a decode of A).  B is
 * resampled to A's rate when they differ, both are trimmed to the shorter,
 * optionally after shifting B by the integer lag that maximises the
 * cross-correlation.  Prints one "name value" line per figure:
 *   mel_distance   sum over 7 scales (n_mels, N) = (5,32) (10,64) (20,128)
 *                  (40,256) (80,512) (160,1024) (320,2048) of
 *                  mean |log10 max(M_A, 1e-5) - log10 max(M_B, 1e-5)|,
 *                  M = Slaney mel filterbank x STFT magnitude (hop N/4)
 *   stft_distance  sum over N = 2048, 512 of
 *                  mean |log10 max(|A|,1e-5)^2 - log10 max(|B|,1e-5)^2|
 *                  + mean ||A| - |B||
 *   si_sdr_db      scale-invariant SDR of B against A, both zero-mean
 * (descript-audiotools' MelSpectrogramLoss and MultiScaleSTFTLoss with the
 * settings of the DAC evaluation, which SemantiCodec's paper reports).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "listen.h"
#include "tool.h"

#define EPS 1e-5

typedef struct opts {
    long maxlag;
} opts;

static int on_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    (void)t;
    opts *o = user;
    if (opt == 'l')
        return sc_tool_parse_int("--lag", arg, 0, 100000000L, &o->maxlag, err);
    return sc_err_set(err, SC_EARG, "unknown option (try --help)");
}

/* The lag L in [-max, max] maximising sum_i a[i] b[i + L] (B later than A
 * for L > 0), by FFT cross-correlation. */
static int best_lag(const float *a, int64_t na, const float *b, int64_t nb, long max,
                    long *lag, double *corr, sc_err *err)
{
    int64_t m = 1;
    while (m < na + nb)
        m *= 2;
    float *x = fftwf_malloc(sizeof(float) * (size_t)m), *y = fftwf_malloc(sizeof(float) * (size_t)m);
    fftwf_complex *X = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(m / 2 + 1));
    fftwf_complex *Y = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(m / 2 + 1));
    if (!x || !y || !X || !Y) {
        fftwf_free(x);
        fftwf_free(y);
        fftwf_free(X);
        fftwf_free(Y);
        return sc_err_set(err, SC_ENOMEM, "out of memory for the lag search (%lld samples)",
                          (long long)m);
    }
    memset(x, 0, sizeof(float) * (size_t)m);
    memset(y, 0, sizeof(float) * (size_t)m);
    for (int64_t i = 0; i < na; i++)
        x[i] = a[i];
    for (int64_t i = 0; i < nb; i++)
        y[i] = b[i];
    fftwf_plan pa = fftwf_plan_dft_r2c_1d((int)m, x, X, FFTW_ESTIMATE);
    fftwf_plan pb = fftwf_plan_dft_r2c_1d((int)m, y, Y, FFTW_ESTIMATE);
    fftwf_execute(pa);
    fftwf_execute(pb);
    /* r[L] = sum_i a[i] b[i + L]: inverse of conj(X) Y */
    for (int64_t k = 0; k <= m / 2; k++) {
        float re = X[k][0] * Y[k][0] + X[k][1] * Y[k][1];
        float im = X[k][0] * Y[k][1] - X[k][1] * Y[k][0];
        X[k][0] = re;
        X[k][1] = im;
    }
    fftwf_plan pi = fftwf_plan_dft_c2r_1d((int)m, X, x, FFTW_ESTIMATE);
    fftwf_execute(pi);
    double best = -INFINITY;
    long bl = 0;
    for (long L = -max; L <= max; L++) {
        if (L >= nb || -L >= na)
            continue;
        double r = (double)x[L >= 0 ? L : m + L] / (double)m;
        if (r > best) {
            best = r;
            bl = L;
        }
    }
    *lag = bl;
    *corr = best;
    fftwf_destroy_plan(pa);
    fftwf_destroy_plan(pb);
    fftwf_destroy_plan(pi);
    fftwf_free(x);
    fftwf_free(y);
    fftwf_free(X);
    fftwf_free(Y);
    return SC_OK;
}

typedef struct sums {
    double mel;              /* sum of per-scale means */
    double stft_log, stft_mag;
} sums;

static int spectral(const float *a, const float *b, int64_t n, int rate, sums *s, sc_err *err)
{
    static const int scales[7][2] = {{5, 32},   {10, 64},   {20, 128}, {40, 256},
                                     {80, 512}, {160, 1024}, {320, 2048}};
    memset(s, 0, sizeof *s);
    for (int sc = 0; sc < 7; sc++) {
        const int nm = scales[sc][0], N = scales[sc][1], nb = N / 2 + 1;
        const int want_stft = N == 2048 || N == 512;
        listen_stft *st = listen_stft_new(N, N / 4, err);
        float *w = listen_mel_filters(rate, N, nm, err);
        float *ma = malloc(sizeof(float) * (size_t)nb), *mb = malloc(sizeof(float) * (size_t)nb);
        if (!st || !w || !ma || !mb) {
            listen_stft_free(st);
            free(w);
            free(ma);
            free(mb);
            return err->code ? err->code : sc_err_set(err, SC_ENOMEM, "out of memory");
        }
        const int64_t frames = listen_stft_frames(st, n);
        double mel = 0, lg = 0, mg = 0;
        for (int64_t f = 0; f < frames; f++) {
            listen_stft_frame(st, a, n, f, ma);
            listen_stft_frame(st, b, n, f, mb);
            for (int m = 0; m < nm; m++) {
                const float *wr = w + (size_t)m * nb;
                double ea = 0, eb = 0;
                for (int k = 0; k < nb; k++) {
                    ea += (double)wr[k] * ma[k];
                    eb += (double)wr[k] * mb[k];
                }
                mel += fabs(log10(ea > EPS ? ea : EPS) - log10(eb > EPS ? eb : EPS));
            }
            if (want_stft)
                for (int k = 0; k < nb; k++) {
                    double xa = ma[k] > EPS ? ma[k] : EPS, xb = mb[k] > EPS ? mb[k] : EPS;
                    lg += fabs(2.0 * log10(xa) - 2.0 * log10(xb));
                    mg += fabs((double)ma[k] - (double)mb[k]);
                }
        }
        s->mel += mel / ((double)frames * nm);
        if (want_stft) {
            s->stft_log += lg / ((double)frames * nb);
            s->stft_mag += mg / ((double)frames * nb);
        }
        listen_stft_free(st);
        free(w);
        free(ma);
        free(mb);
    }
    return SC_OK;
}

/* SI-SDR of estimate b against reference a, both made zero-mean. */
static double si_sdr(const float *a, const float *b, int64_t n)
{
    double ma = 0, mb = 0;
    for (int64_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= n;
    mb /= n;
    double aa = 0, ab = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = a[i] - ma, y = b[i] - mb;
        aa += x * x;
        ab += x * y;
    }
    if (aa == 0)
        return NAN;
    const double alpha = ab / aa;
    double tt = 0, ee = 0;
    for (int64_t i = 0; i < n; i++) {
        double t = alpha * (a[i] - ma), e = (b[i] - mb) - t;
        tt += t * t;
        ee += e * e;
    }
    if (ee == 0)
        return tt > 0 ? INFINITY : NAN;
    return 10.0 * log10(tt / ee);
}

static const struct option longopts[] = {
    {"lag", required_argument, 0, 'l'},
    {0, 0, 0, 0},
};

int main(int argc, char **argv)
{
    sc_tool t;
    opts o = {0};
    const sc_tool_spec spec = {
        .prog = "sc-compare",
        .synopsis = "[options] A B",
        .help = "  Prints objective distances between audio files A (reference) and B:\n"
                "  log-mel distance, multi-resolution STFT distance and SI-SDR.\n\n"
                "  -l, --lag=MAX         first shift B by the integer lag within +-MAX\n"
                "                        samples that maximises the cross-correlation\n",
        .shortopts = "l:",
        .longopts = longopts,
        .fn = on_opt,
        .user = &o,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs != 2) {
        sc_err_set(&err, SC_EARG, "expected two audio files A B (try --help)");
        return sc_tool_fail(&t, &err);
    }
    if (!strcmp(t.args[0], "-") && !strcmp(t.args[1], "-")) {
        sc_err_set(&err, SC_EARG, "only one of A and B can be standard input");
        return sc_tool_fail(&t, &err);
    }
    listen_audio A, B;
    if (listen_load(t.args[0], 0, &A, &err))
        return sc_tool_fail(&t, &err);
    if (listen_load(t.args[1], A.rate, &B, &err)) {
        listen_free(&A);
        return sc_tool_fail(&t, &err);
    }
    long lag = 0;
    double corr = 0;
    int rc = SC_OK;
    if (o.maxlag > 0 && (rc = best_lag(A.x, A.n, B.x, B.n, o.maxlag, &lag, &corr, &err)))
        goto out;
    const float *a = A.x + (lag < 0 ? -lag : 0), *b = B.x + (lag > 0 ? lag : 0);
    int64_t na = A.n - (lag < 0 ? -lag : 0), nb = B.n - (lag > 0 ? lag : 0);
    int64_t n = na < nb ? na : nb;
    if (n <= 0) {
        rc = sc_err_set(&err, SC_EFORMAT, "nothing to compare after a lag of %ld samples", lag);
        goto out;
    }
    sums s;
    if ((rc = spectral(a, b, n, A.rate, &s, &err)))
        goto out;
    double sdr = si_sdr(a, b, n);
    printf("# A %s: %d Hz, %lld samples (%.3f s)\n", t.args[0], A.file_rate,
           (long long)A.file_frames, (double)A.n / A.rate);
    printf("# B %s: %d Hz, %lld samples (%.3f s)%s\n", t.args[1], B.file_rate,
           (long long)B.file_frames, (double)B.n / B.rate,
           B.file_rate != B.rate ? ", resampled to A's rate" : "");
    printf("rate %d\n", A.rate);
    printf("samples %lld\n", (long long)n);
    printf("lag %ld\n", lag);
    printf("mel_distance %.6f\n", s.mel);
    printf("stft_distance %.6f\n", s.stft_log + s.stft_mag);
    printf("stft_log_distance %.6f\n", s.stft_log);
    printf("stft_mag_distance %.6f\n", s.stft_mag);
    if (isinf(sdr))
        printf("si_sdr_db inf\n");
    else if (isnan(sdr))
        printf("si_sdr_db nan\n");
    else
        printf("si_sdr_db %.4f\n", sdr);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = sc_err_set(&err, SC_EIO, "<stdout>: write error");
out:
    listen_free(&A);
    listen_free(&B);
    return rc ? sc_tool_fail(&t, &err) : 0;
}
