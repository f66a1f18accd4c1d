/* utils/listen.c - shared code of the listening aids (see listen.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "sc/audio.h"
#include "sc/resample.h"
#include "listen.h"

int listen_load(const char *path, int rate, listen_audio *out, sc_err *err)
{
    memset(out, 0, sizeof *out);
    sc_audio *a = sc_audio_open(path, err);
    if (!a)
        return err->code;
    const sc_audio_info *in = sc_audio_get_info(a);
    out->file_rate = in->sample_rate;
    out->rate = rate > 0 ? rate : in->sample_rate;
    /* sc_audio_load_from closes a; a pipe is read once */
    int64_t before = 0;
    float *raw = NULL;
    int rc = sc_audio_load_from(a, in->sample_rate, NULL, &raw, &before, err);
    if (rc)
        return rc;
    out->file_frames = before;
    if (out->rate == out->file_rate) {
        out->x = raw;
        out->n = before;
        return SC_OK;
    }
    rc = sc_resample(raw, before, out->file_rate, out->rate, &out->x, &out->n, NULL, err);
    free(raw);
    if (rc)
        sc_err_prefix(err, "%s", path && strcmp(path, "-") ? path : "<stdin>");
    return rc;
}

void listen_free(listen_audio *a)
{
    free(a->x);
    memset(a, 0, sizeof *a);
}

struct listen_stft {
    int nfft, hop;
    float *win, *in;
    fftwf_complex *out;
    fftwf_plan plan;
};

listen_stft *listen_stft_new(int nfft, int hop, sc_err *err)
{
    listen_stft *s = calloc(1, sizeof *s);
    if (!s) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    s->nfft = nfft;
    s->hop = hop;
    s->win = malloc(sizeof(float) * (size_t)nfft);
    s->in = fftwf_malloc(sizeof(float) * (size_t)nfft);
    s->out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(nfft / 2 + 1));
    if (!s->win || !s->in || !s->out) {
        listen_stft_free(s);
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < nfft; i++)   /* periodic Hann (torch.hann_window) */
        s->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / nfft));
    s->plan = fftwf_plan_dft_r2c_1d(nfft, s->in, s->out, FFTW_ESTIMATE);
    if (!s->plan) {
        listen_stft_free(s);
        sc_err_set(err, SC_EINTERNAL, "FFTW cannot plan a %d-point transform", nfft);
        return NULL;
    }
    return s;
}

void listen_stft_free(listen_stft *s)
{
    if (!s)
        return;
    if (s->plan)
        fftwf_destroy_plan(s->plan);
    free(s->win);
    fftwf_free(s->in);
    fftwf_free(s->out);
    free(s);
}

int64_t listen_stft_frames(const listen_stft *s, int64_t n)
{
    return n > 0 ? 1 + n / s->hop : 0;
}

void listen_stft_frame(listen_stft *s, const float *x, int64_t n, int64_t f, float *mag)
{
    const int N = s->nfft;
    const int64_t start = f * s->hop - N / 2;
    for (int j = 0; j < N; j++) {
        int64_t i = start + j;
        if (i < 0)
            i = -i;                   /* reflect, edge not repeated */
        if (i >= n)
            i = 2 * (n - 1) - i;
        s->in[j] = i >= 0 && i < n ? x[i] * s->win[j] : 0.0f;
    }
    fftwf_execute(s->plan);
    for (int k = 0; k <= N / 2; k++)
        mag[k] = sqrtf(s->out[k][0] * s->out[k][0] + s->out[k][1] * s->out[k][1]);
}

/* Slaney's mel scale (librosa htk=False). */
static double hz_to_mel(double f)
{
    const double fsp = 200.0 / 3, minlog = 1000.0, minlog_mel = minlog / fsp;
    const double logstep = log(6.4) / 27.0;
    return f >= minlog ? minlog_mel + log(f / minlog) / logstep : f / fsp;
}

static double mel_to_hz(double m)
{
    const double fsp = 200.0 / 3, minlog = 1000.0, minlog_mel = minlog / fsp;
    const double logstep = log(6.4) / 27.0;
    return m >= minlog_mel ? minlog * exp(logstep * (m - minlog_mel)) : fsp * m;
}

float *listen_mel_filters(int rate, int nfft, int n_mels, sc_err *err)
{
    const int nb = nfft / 2 + 1;
    float *w = calloc((size_t)n_mels * nb, sizeof(float));
    double *hz = malloc(sizeof(double) * (size_t)(n_mels + 2));
    if (!w || !hz) {
        free(w);
        free(hz);
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    const double mmin = hz_to_mel(0.0), mmax = hz_to_mel(rate / 2.0);
    for (int i = 0; i < n_mels + 2; i++)
        hz[i] = mel_to_hz(mmin + (mmax - mmin) * i / (n_mels + 1));
    for (int m = 0; m < n_mels; m++) {
        double lo = hz[m], c = hz[m + 1], hi = hz[m + 2];
        double enorm = 2.0 / (hi - lo);
        for (int k = 0; k < nb; k++) {
            double f = (double)k * rate / nfft;
            double up = (f - lo) / (c - lo), down = (hi - f) / (hi - c);
            double v = up < down ? up : down;
            if (v > 0)
                w[(size_t)m * nb + k] = (float)(v * enorm);
        }
    }
    free(hz);
    return w;
}
