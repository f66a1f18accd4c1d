/* The "kaldi" frontend: torchaudio.compliance.kaldi.fbank as SemantiCodec
 * calls it (ARCHITECTURE §2), one 1024-frame window at a time.
 *
 * Float parity notes.  Every step the reference runs in float32 is done in
 * float32 here with the same operation order (mean subtraction, pre-emphasis
 * as s - (0.97f * s_prev), the symmetric Hann window built as
 * cos(i * f32(2 pi / 399)) * -0.5 + 0.5, |X| then squared, log with the
 * FLT_EPSILON floor, (L + 4.2677393f) / 9.1379948f as a true division).  The
 * plugin is compiled with -ffp-contract=off so no step becomes an FMA.
 * Reductions whose order torch leaves to its kernels (the frame mean, the
 * mel dot products) are accumulated in double and rounded once, which lands
 * within rounding of the float32 reference.  The mel matrix is built in
 * float32 exactly as get_mel_banks builds it.
 *
 * Frames are independent, so rows are computed in parallel on the host pool
 * with per-worker scratch; the result does not depend on the thread count.
 */
#include "config.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fftw3.h>
#include "sc/stage_frontend.h"
#include "sc/stage_util.h"

#define NFFT 512
#define NSPEC (NFFT / 2 + 1)
#define NBINS SC_FRONTEND_BINS
#define FLEN SC_FRONTEND_FRAME_LEN

/* extract_kaldi_fbank_feature's normalisation constants. */
#define NORM_MEAN (-4.2677393f)
#define NORM_DIV 9.1379948f   /* float32(2 * 4.5689974) */

typedef struct scratch {
    float *in;              /* NFFT, fftwf_malloc'd */
    fftwf_complex *spec;    /* NSPEC */
    float d[FLEN];
} scratch;

typedef struct kaldi {
    const sc_host *host;
    fftwf_plan plan;
    float win[FLEN];
    /* sparse mel matrix: filter i covers bins lo[i] .. lo[i] + cnt[i] - 1 */
    int lo[NBINS], cnt[NBINS], off[NBINS];
    float *wts;
    int nscratch;
    scratch *scr;
    float *seg;             /* SC_FRONTEND_SPAN samples, mean removed */
    /* current input */
    int begun;
    sc_frontend_geom g;
    float mean;
} kaldi;

typedef struct job {
    const kaldi *k;
    int64_t real_rows;      /* rows of this window that are real frames */
    float *out;
} job;

static int declare(const sc_model_info *model, void *dctx, sc_need_fn need)
{
    return SC_OK;  /* no weights */
}

/* torchaudio get_mel_banks(128, 512, 16000, 20, 0, ...) in float32. */
static int build_mel(kaldi *k)
{
    double mL = 1127.0 * log(1.0 + 20.0 / 700.0);
    double mH = 1127.0 * log(1.0 + 8000.0 / 700.0);
    float fmL = (float)mL, fdelta = (float)((mH - mL) / (NBINS + 1));
    float mel[NFFT / 2];
    for (int b = 0; b < NFFT / 2; b++) {
        float f = 31.25f * (float)b;
        mel[b] = 1127.0f * logf(1.0f + f / 700.0f);
    }
    float (*full)[NFFT / 2] = malloc(sizeof(float[NBINS][NFFT / 2]));
    if (!full)
        return -1;
    int total = 0;
    for (int i = 0; i < NBINS; i++) {
        float left = fmL + (float)i * fdelta;
        float ctr = fmL + (float)(i + 1) * fdelta;
        float right = fmL + (float)(i + 2) * fdelta;
        int first = -1, last = -1;
        for (int b = 0; b < NFFT / 2; b++) {
            float up = (mel[b] - left) / (ctr - left);
            float down = (right - mel[b]) / (right - ctr);
            float v = fmaxf(0.0f, fminf(up, down));
            full[i][b] = v;
            if (v > 0.0f) {
                if (first < 0)
                    first = b;
                last = b;
            }
        }
        k->lo[i] = first < 0 ? 0 : first;
        k->cnt[i] = first < 0 ? 0 : last - first + 1;
        k->off[i] = total;
        total += k->cnt[i];
    }
    k->wts = malloc(sizeof(float) * (total ? total : 1));
    if (!k->wts) {
        free(full);
        return -1;
    }
    for (int i = 0; i < NBINS; i++)
        memcpy(k->wts + k->off[i], &full[i][k->lo[i]], sizeof(float) * k->cnt[i]);
    free(full);
    return 0;
}

static void destroy(void *self)
{
    kaldi *k = self;
    if (!k)
        return;
    if (k->scr) {
        for (int i = 0; i < k->nscratch; i++) {
            fftwf_free(k->scr[i].in);
            fftwf_free(k->scr[i].spec);
        }
        free(k->scr);
    }
    if (k->plan)
        fftwf_destroy_plan(k->plan);
    free(k->wts);
    free(k->seg);
    free(k);
}

static int create(const sc_stage_env *env, void **self, sc_err *err)
{
    const sc_host *h = env->host;
    *self = NULL;
    int measure = 0;
    const char *opt = env->options;
    sc_opt o;
    while (sc_opt_next(&opt, &o)) {
        if (sc_opt_eq(&o, "plan=measure") || sc_opt_eq(&o, "plan=estimate"))
            measure = sc_opt_eq(&o, "plan=measure");
        else
            return h->err_set(err, SC_ECONFIG,
                              "frontend kaldi: unknown option '%.*s' (plan=estimate|measure)",
                              o.ilen, o.item);
    }
    kaldi *k = calloc(1, sizeof *k);
    if (!k)
        return h->err_set(err, SC_ENOMEM, "frontend kaldi: out of memory");
    k->host = h;
    k->nscratch = h->pool ? h->pool_size(h->pool) : 1;
    if (k->nscratch < 1)
        k->nscratch = 1;
    k->scr = calloc(k->nscratch, sizeof *k->scr);
    k->seg = malloc(sizeof(float) * SC_FRONTEND_SPAN);
    if (!k->scr || !k->seg || build_mel(k))
        goto oom;
    for (int i = 0; i < k->nscratch; i++) {
        k->scr[i].in = fftwf_malloc(sizeof(float) * NFFT);
        k->scr[i].spec = fftwf_malloc(sizeof(fftwf_complex) * NSPEC);
        if (!k->scr[i].in || !k->scr[i].spec)
            goto oom;
    }
    /* The planner is not thread-safe; plan once here.  MEASURE overwrites
     * the arrays, which hold nothing yet. */
    k->plan = fftwf_plan_dft_r2c_1d(NFFT, k->scr[0].in, k->scr[0].spec,
                                    measure ? FFTW_MEASURE : FFTW_ESTIMATE);
    if (!k->plan) {
        destroy(k);
        return h->err_set(err, SC_EINTERNAL, "frontend kaldi: FFTW could not plan a %d-point r2c",
                          NFFT);
    }
    /* torch.hann_window(400, periodic=False) in float32 */
    const float step = (float)(M_PI * 2.0 / (double)(FLEN - 1));
    for (int i = 0; i < FLEN; i++)
        k->win[i] = cosf((float)i * step) * -0.5f + 0.5f;
    *self = k;
    return SC_OK;
oom:
    destroy(k);
    return h->err_set(err, SC_ENOMEM, "frontend kaldi: out of memory");
}

static int64_t begin(void *self, int64_t n, double sum, sc_err *err)
{
    kaldi *k = self;
    if (n < 0 || n > INT64_MAX / 2)
        return k->host->err_set(err, SC_ERANGE, "frontend kaldi: bad sample count %lld",
                                (long long)n);
    sc_frontend_geometry(n, &k->g);
    k->mean = (float)(sum / (double)k->g.n_pad);
    k->begun = 1;
    return k->g.windows;
}

/* One frame: seg points at its 400 mean-removed samples; row gets the
 * normalised log-mel values. */
static void frame(const kaldi *restrict k, scratch *restrict s, const float *restrict x,
                  float *restrict row)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (int i = 0; i < FLEN; i += 4) {
        a0 += (double)x[i];
        a1 += (double)x[i + 1];
        a2 += (double)x[i + 2];
        a3 += (double)x[i + 3];
    }
    const float mu = (float)(((a0 + a1) + (a2 + a3)) / FLEN);
    float *restrict d = s->d, *restrict in = s->in;
    for (int i = 0; i < FLEN; i++)
        d[i] = x[i] - mu;
    in[0] = (d[0] - 0.97f * d[0]) * k->win[0];
    for (int i = 1; i < FLEN; i++)
        in[i] = (d[i] - 0.97f * d[i - 1]) * k->win[i];
    for (int i = FLEN; i < NFFT; i++)
        in[i] = 0.0f;
    fftwf_execute_dft_r2c(k->plan, in, s->spec);
    float pw[NFFT / 2];  /* the Nyquist bin has weight 0 */
    for (int b = 0; b < NFFT / 2; b++) {
        float re = s->spec[b][0], im = s->spec[b][1];
        float a = sqrtf(re * re + im * im);
        pw[b] = a * a;
    }
    for (int i = 0; i < NBINS; i++) {
        const float *w = k->wts + k->off[i], *p = pw + k->lo[i];
        double e = 0.0;
        for (int j = 0; j < k->cnt[i]; j++)
            e += (double)p[j] * (double)w[j];
        float v = (float)e;
        float l = logf(v > FLT_EPSILON ? v : FLT_EPSILON);
        row[i] = (l - NORM_MEAN) / NORM_DIV;
    }
}

static void rows_fn(void *arg, int64_t begin_row, int64_t end_row, int worker)
{
    const job *j = arg;
    const kaldi *k = j->k;
    scratch *s = &k->scr[worker < k->nscratch ? worker : 0];
    for (int64_t r = begin_row; r < end_row; r++) {
        float *row = j->out + r * NBINS;
        if (r < j->real_rows) {
            frame(k, s, k->seg + r * SC_FRONTEND_SHIFT, row);
        } else {
            /* rows appended by ZeroPad2d: zeros before normalisation */
            const float z = (0.0f - NORM_MEAN) / NORM_DIV;
            for (int i = 0; i < NBINS; i++)
                row[i] = z;
        }
    }
}

static int window(void *self, int64_t w, const float *x, int64_t len, float *out, sc_err *err)
{
    kaldi *k = self;
    const sc_host *h = k->host;
    if (!k->begun)
        return h->err_set(err, SC_EINTERNAL, "frontend kaldi: window() before begin()");
    if (w < 0 || w >= k->g.windows)
        return h->err_set(err, SC_ERANGE, "frontend kaldi: window %lld out of range [0, %lld)",
                          (long long)w, (long long)k->g.windows);
    int64_t off, want;
    sc_frontend_span(k->g.n, w, &off, &want);
    if (len != want || (len && !x))
        return h->err_set(err, SC_EARG,
                          "frontend kaldi: window %lld: got %lld input samples, expected %lld",
                          (long long)w, (long long)len, (long long)want);
    /* waveform_pad - mean: the padding zeros become -mean too */
    const float mean = k->mean;
    for (int64_t i = 0; i < len; i++)
        k->seg[i] = x[i] - mean;
    for (int64_t i = len; i < SC_FRONTEND_SPAN; i++)
        k->seg[i] = 0.0f - mean;
    int64_t real = k->g.frames - w * SC_FRONTEND_FRAMES;
    if (real > SC_FRONTEND_FRAMES)
        real = SC_FRONTEND_FRAMES;
    job j = {k, real, out};
    if (h->pool && h->pool_for)
        h->pool_for(h->pool, SC_FRONTEND_FRAMES, rows_fn, &j);
    else
        rows_fn(&j, 0, SC_FRONTEND_FRAMES, 0);
    return SC_OK;
}

static const sc_frontend_vt kaldi_vt = {
    .struct_size = sizeof(sc_frontend_vt),
    .declare = declare,
    .create = create,
    .destroy = destroy,
    .begin = begin,
    .window = window,
};

static const sc_plugin_info kaldi_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_FRONTEND,
    .name = "kaldi",
    .version = PACKAGE_VERSION,
    .description = "Kaldi log-mel fbank, 128 bins, torchaudio-compatible (FFTW)",
    .vtable = &kaldi_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    return &kaldi_info;
}
