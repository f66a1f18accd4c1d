/* utils/detok.c - token files to audio files for sc-detok and sc-decode
 * (see detok.h): the options, the token reader and the audio sink around
 * the codec's streaming decoder (sc/codec.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/codec.h"
#include "sc/npy.h"
#include "sc/stage_frontend.h"
#include "sc/ola.h"
#include "sc/stage_decoder.h"
#include "sc/stage_vocoder.h"
#include "sc/tokstream.h"
#include "sc/util.h"
#include "detok.h"

const struct option detok_longopts[] = {
    {"format", required_argument, 0, 'f'},
    {"steps", required_argument, 0, DETOK_OPT_STEPS},
    {"cfg", required_argument, 0, DETOK_OPT_CFG},
    {"eta", required_argument, 0, DETOK_OPT_ETA},
    {"seed", required_argument, 0, DETOK_OPT_SEED},
    {"noise", required_argument, 0, DETOK_OPT_NOISE},
    {"sample", required_argument, 0, DETOK_OPT_SAMPLE},
    {"sampler", required_argument, 0, DETOK_OPT_SAMPLER},
    {"order", required_argument, 0, DETOK_OPT_ORDER},
    {"method", required_argument, 0, DETOK_OPT_METHOD},
    {"skip", required_argument, 0, DETOK_OPT_SKIP},
    {"precision", required_argument, 0, DETOK_OPT_PRECISION},
    {"latents", required_argument, 0, DETOK_OPT_LATENTS},
    {"fast", no_argument, 0, DETOK_OPT_FAST},
    {"preset", required_argument, 0, DETOK_OPT_PRESET},
    {0, 0, 0, 0},
};

int detok_parse_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    detok_opts *o = user;
    (void)t;
    switch (opt) {
    case 'f':
        if (!strcmp(arg, "npy")) {
            o->format = DETOK_NPY;
            return SC_OK;
        }
        if (sc_audio_container_parse(arg, &o->format))
            return sc_err_set(err, SC_EARG, "option -f: '%s' is not wav, flac, ogg, raw or npy",
                              arg);
        return SC_OK;
    case DETOK_OPT_SAMPLE:
        if (sc_audio_sample_parse(arg, &o->sample))
            return sc_err_set(err, SC_EARG, "option --sample: '%s' is not f32, s16 or s24", arg);
        return SC_OK;
    case DETOK_OPT_STEPS: o->steps = arg; return SC_OK;
    case DETOK_OPT_CFG: o->cfg = arg; return SC_OK;
    case DETOK_OPT_ETA: o->eta = arg; return SC_OK;
    case DETOK_OPT_SEED: o->seed = arg; return SC_OK;
    case DETOK_OPT_NOISE: o->noise_path = arg; return SC_OK;
    case DETOK_OPT_SAMPLER: o->sampler = arg; return SC_OK;
    case DETOK_OPT_ORDER: o->order = arg; return SC_OK;
    case DETOK_OPT_METHOD: o->method = arg; return SC_OK;
    case DETOK_OPT_SKIP: o->skip = arg; return SC_OK;
    case DETOK_OPT_PRECISION: o->precision = arg; return SC_OK;
    case DETOK_OPT_LATENTS: o->latents_path = arg; return SC_OK;
    case DETOK_OPT_FAST: o->preset = "fast"; return SC_OK;
    case DETOK_OPT_PRESET: o->preset = arg; return SC_OK;
    }
    return sc_err_set(err, SC_EARG, "unknown option (try --help)");
}

/* Short options of the common set that take a value (tool.h), and ours. */
static int takes_value(char c)
{
    return strchr("cmrVBjfO", c) != NULL;
}

void detok_prescan(int argc, char **argv, detok_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (!strncmp(a, "--", 2)) {
            if (!strncmp(a, "--rate", 6) && (a[6] == 0 || a[6] == '='))
                o->explicit_rate = 1;
            if (!strncmp(a, "--vocab", 7) && (a[7] == 0 || a[7] == '='))
                o->explicit_vocab = 1;
            continue;
        }
        if (a[0] != '-' || a[1] == 0)
            continue;
        for (const char *p = a + 1; *p; p++) {
            if (*p == 'r')
                o->explicit_rate = 1;
            if (*p == 'V')
                o->explicit_vocab = 1;
            if (takes_value(*p)) {
                if (p[1] == 0)
                    i++;   /* value is the next argument */
                break;
            }
        }
    }
}

int detok_apply(sc_tool *t, const detok_opts *o, sc_err *err)
{
    struct { const char *key, *val, *where; } kv[] = {
        {"steps", o->steps, "option --steps"}, {"cfg", o->cfg, "option --cfg"},
        {"eta", o->eta, "option --eta"},       {"seed", o->seed, "option --seed"},
        {"sampler", o->sampler, "option --sampler"}, {"order", o->order, "option --order"},
        {"method", o->method, "option --method"}, {"skip", o->skip, "option --skip"},
    };
    /* the preset first: explicit options override it, in any order */
    if (o->preset && sc_config_set(&t->cfg, "decoder", "preset", o->preset, "option --preset", err))
        return err->code;
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (kv[i].val && sc_config_set(&t->cfg, "decoder", kv[i].key, kv[i].val, kv[i].where, err))
            return err->code;
    if (o->precision &&
        sc_config_set(&t->cfg, "backend", "precision", o->precision, "option --precision", err))
        return err->code;
    const sc_config *c = &t->cfg;
    if (c->sampler != SC_DEC_DDIM) {
        if (c->method != SC_DEC_SINGLESTEP && c->steps < c->order)
            return sc_err_set(err, SC_EARG, "--steps %d: %s order %d needs at least %d steps",
                              c->steps, sc_decoder_method_names[c->method], c->order, c->order);
        return SC_OK;
    }
    if (sc_decoder_nsteps(t->cfg.steps, NULL) < 0)
        return sc_err_set(err, SC_EARG,
                          "--steps %d: the DDIM schedule cannot take that step count (its "
                          "timesteps would reach 1000); try %d or %d",
                          t->cfg.steps, t->cfg.steps - 1, t->cfg.steps + 1);
    return SC_OK;
}

int detok_format_for(const detok_opts *o, const char *out)
{
    if (o->format)
        return o->format;
    if (out && strcmp(out, "-")) {
        size_t n = strlen(out);
        if (n > 4 && !strcmp(out + n - 4, ".npy"))
            return DETOK_NPY;
    }
    return sc_audio_container_from_path(out, SC_AUDIO_WAV);
}

const char *detok_format_ext(int format)
{
    switch (format) {
    case SC_AUDIO_FLAC: return "flac";
    case SC_AUDIO_OGG: return "ogg";
    case SC_AUDIO_RAW: return "raw";
    case DETOK_NPY: return "npy";
    default: return "wav";
    }
}

/* ------------------------------------------------------------------ */
/* Output sink: an audio writer, or an npy file [1, 1, N] float32.     */

typedef struct sink {
    int format;
    sc_audio_writer *aw;
    sc_outfile of;
    int of_open;
    int header_done;      /* npy header written (length was known) */
    float *buf;           /* npy samples held while the length is unknown */
    size_t n, cap;
    int64_t written;
} sink;

static int sink_open(sink *k, const char *path, int format, int sample, sc_err *err)
{
    memset(k, 0, sizeof *k);
    k->format = format;
    if (format == DETOK_NPY) {
        if ((!path || !strcmp(path, "-")) && isatty(STDOUT_FILENO))
            return sc_err_set(err, SC_EARG, "refusing to write binary npy data to a terminal");
        if (sc_outfile_open(&k->of, path, err))
            return err->code;
        k->of_open = 1;
        return SC_OK;
    }
    sc_audio_spec spec = {format, sample, 16000, 1};
    if (!spec.sample)
        spec.sample = format == SC_AUDIO_FLAC ? SC_SAMPLE_PCM24 : SC_SAMPLE_FLOAT;
    k->aw = sc_audio_writer_open(path, &spec, err);
    return k->aw ? SC_OK : err->code;
}

static int npy_header(sink *k, int64_t len, sc_err *err)
{
    int64_t shape[3] = {1, 1, len};
    int rc = sc_npy_write_header(k->of.f, SC_F32, 3, shape, sc_outfile_name(&k->of), err);
    if (rc < 0)
        return rc;
    k->header_done = 1;
    return SC_OK;
}

/* The final length, as soon as it is known (npy needs it up front). */
static int sink_length(sink *k, int64_t len, sc_err *err)
{
    if (k->format != DETOK_NPY || k->header_done)
        return SC_OK;
    int rc = npy_header(k, len, err);
    if (rc)
        return rc;
    if (k->n && fwrite(k->buf, sizeof(float), k->n, k->of.f) != k->n)
        return sc_err_set(err, SC_EIO, "%s: write error: %s", sc_outfile_name(&k->of),
                          strerror(errno));
    free(k->buf);
    k->buf = NULL;
    k->n = k->cap = 0;
    return SC_OK;
}

static int sink_write(void *user, const float *x, size_t n, sc_err *err)
{
    sink *k = user;
    k->written += (int64_t)n;
    if (k->format != DETOK_NPY)
        return sc_audio_writer_write(k->aw, x, (int64_t)n, err) < 0 ? err->code : SC_OK;
    if (k->header_done) {
        if (fwrite(x, sizeof(float), n, k->of.f) != n)
            return sc_err_set(err, SC_EIO, "%s: write error: %s", sc_outfile_name(&k->of),
                              strerror(errno));
        if (k->of.is_stdout)
            fflush(k->of.f);
        return SC_OK;
    }
    if (k->n + n > k->cap) {
        size_t cap = k->cap ? k->cap : 1 << 16;
        while (cap < k->n + n)
            cap *= 2;
        float *b = realloc(k->buf, cap * sizeof(float));
        if (!b)
            return sc_err_set(err, SC_ENOMEM, "out of memory buffering npy output");
        k->buf = b;
        k->cap = cap;
    }
    memcpy(k->buf + k->n, x, n * sizeof(float));
    k->n += n;
    return SC_OK;
}

static int sink_close(sink *k, sc_err *err)
{
    if (k->format != DETOK_NPY) {
        sc_audio_writer *w = k->aw;
        k->aw = NULL;
        return sc_audio_writer_close(w, err);
    }
    int rc = sink_length(k, k->written, err);
    k->of_open = 0;
    if (rc) {
        sc_outfile_abort(&k->of);
        return rc;
    }
    return sc_outfile_commit(&k->of, err);
}

static void sink_abort(sink *k)
{
    if (k->aw)
        sc_audio_writer_abort(k->aw);
    k->aw = NULL;
    if (k->of_open)
        sc_outfile_abort(&k->of);
    k->of_open = 0;
    free(k->buf);
    k->buf = NULL;
}

/* ------------------------------------------------------------------ */
/* --latents: every window's latent, held until the decode succeeds    */
/* (the window count of a streamed input is known only at its end).    */

typedef struct latsink {
    sc_outfile of;
    int open;
    float *buf;
    int64_t n, cap;       /* windows */
} latsink;

static int latents_take(void *user, int64_t w, const float *latent, sc_err *err)
{
    latsink *l = user;
    if (w != l->n)
        return sc_err_set(err, SC_EINTERNAL, "latent of window %lld out of order", (long long)w);
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 4;
        float *b = realloc(l->buf, sizeof(float) * SC_DEC_LATENT * (size_t)cap);
        if (!b)
            return sc_err_set(err, SC_ENOMEM, "out of memory holding the latents");
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + (size_t)l->n * SC_DEC_LATENT, latent, sizeof(float) * SC_DEC_LATENT);
    l->n++;
    return SC_OK;
}

static int latents_commit(latsink *l, sc_err *err)
{
    int64_t shape[4] = {l->n, SC_DEC_ZC, SC_DEC_ZH, SC_DEC_ZW};
    const char *name = sc_outfile_name(&l->of);
    size_t n = (size_t)l->n * SC_DEC_LATENT;
    int rc = sc_npy_write_header(l->of.f, SC_F32, 4, shape, name, err);
    if (rc >= 0 && fwrite(l->buf, sizeof(float), n, l->of.f) != n)
        rc = sc_err_set(err, SC_EIO, "%s: write error: %s", name, strerror(errno));
    l->open = 0;
    if (rc < 0) {
        sc_outfile_abort(&l->of);
        return rc;
    }
    return sc_outfile_commit(&l->of, err);
}

static void latents_free(latsink *l)
{
    if (l->open)
        sc_outfile_abort(&l->of);
    l->open = 0;
    free(l->buf);
    l->buf = NULL;
}

/* ------------------------------------------------------------------ */

struct detok {
    sc_tool *t;
    detok_opts o;
    sc_codec *c;
    int rate, vocab, K, W;
    sc_tensor noise;
    int have_noise;
    int64_t noise_windows;
    /* progress */
    double t0;
    int64_t nwin_shown;  /* windows, or an estimate from the recorded duration; -1 */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fmt_eta(double s, char *buf, size_t n)
{
    if (s < 0)
        snprintf(buf, n, "?");
    else if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

/* The decoder's fraction includes the vocoder's share of every window. */
static void progress(void *user, const sc_progress *p)
{
    detok *d = user;
    char tot[32], e[32];
    if (d->nwin_shown >= 0)
        snprintf(tot, sizeof tot, "%" PRId64, d->nwin_shown);
    else
        snprintf(tot, sizeof tot, "?");
    double el = now() - d->t0;
    fmt_eta(p->fraction > 0 ? el * (1 - p->fraction) / p->fraction : -1, e, sizeof e);
    if (p->phase[0] == 'v')
        sc_tool_progress(d->t, "window %" PRId64 "/%s  vocoder  ETA %s", p->window + 1, tot, e);
    else
        sc_tool_progress(d->t, "window %" PRId64 "/%s  step %d/%d  ETA %s", p->window + 1, tot,
                         p->step + 1, p->steps, e);
}

detok *detok_new(sc_tool *t, const detok_opts *o, sc_err *err)
{
    detok *d = calloc(1, sizeof *d);
    if (!d) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    d->t = t;
    d->o = *o;
    /* noise per window: x_T and one draw per DDIM step; x_T alone for the
     * deterministic DPM-Solver samplers */
    int nsteps = t->cfg.sampler == SC_DEC_DDIM ? sc_decoder_nsteps(t->cfg.steps, NULL) : 0;
    if (nsteps < 0) {
        sc_err_set(err, SC_EARG, "--steps %d: the DDIM schedule cannot take that step count",
                   t->cfg.steps);
        free(d);
        return NULL;
    }
    if (o->noise_path) {
        if (sc_npy_load(o->noise_path, &d->noise, err)) {
            free(d);
            return NULL;
        }
        d->have_noise = 1;
        const sc_tensor *n = &d->noise;
        if (n->dtype != SC_F32 || n->ndim != 5 || n->shape[0] < 1 ||
            n->shape[1] != nsteps + 1 || n->shape[2] != SC_DEC_ZC ||
            n->shape[3] != SC_DEC_ZH || n->shape[4] != SC_DEC_ZW ||
            !sc_tensor_is_contiguous(n)) {
            char sh[96];
            if (t->cfg.sampler != SC_DEC_DDIM)
                sc_err_set(err, SC_EFORMAT,
                           "%s: noise is %s %s, expected float32 Wx1x8x256x16 (W windows, x_T "
                           "only for --sampler %s)",
                           o->noise_path, sc_dtype_name(n->dtype),
                           sc_shape_str(n->shape, n->ndim, sh, sizeof sh),
                           sc_decoder_sampler_names[t->cfg.sampler]);
            else
                sc_err_set(err, SC_EFORMAT,
                           "%s: noise is %s %s, expected float32 Wx%dx8x256x16 (W windows, "
                           "x_T + %d sampling steps for --steps %d)",
                           o->noise_path, sc_dtype_name(n->dtype),
                           sc_shape_str(n->shape, n->ndim, sh, sizeof sh), nsteps + 1,
                           nsteps, t->cfg.steps);
            detok_free(d);
            return NULL;
        }
        d->noise_windows = n->shape[0];
        /* NaN noise would make every sample of the decode +-1, exit 0 */
        int64_t bad = sc_first_nonfinite(n->data, (size_t)sc_tensor_numel(n));
        if (bad >= 0) {
            const int64_t per_draw = SC_DEC_LATENT, per_win = per_draw * (nsteps + 1);
            sc_err_set(err, SC_EFORMAT,
                       "%s: %s value in window %" PRId64 ", draw %" PRId64 " (0 is x_T), element %"
                       PRId64 " (all counted from 0)", o->noise_path,
                       isnan(((const float *)n->data)[bad]) ? "NaN" : "infinite", bad / per_win,
                       bad % per_win / per_draw, bad % per_draw);
            detok_free(d);
            return NULL;
        }
    }
    return d;
}

void detok_free(detok *d)
{
    if (!d)
        return;
    if (d->have_noise)
        sc_tensor_release(&d->noise);
    sc_codec_close(d->c);
    free(d);
}

/* Open the codec (first input) or check the input matches it. */
static int model_for(detok *d, const char *name, const sc_tok_header *h, sc_err *err)
{
    sc_tool *t = d->t;
    int rate = h->rate ? h->rate : t->cfg.token_rate;
    int vocab = h->sem_vocab ? h->sem_vocab : t->cfg.sem_vocab;
    if (h->ac_vocab && h->ac_vocab != 8192)
        return sc_err_set(err, SC_EFORMAT, "%s: acoustic vocabulary %d, the model has 8192",
                          name, h->ac_vocab);
    if (!sc_model_valid(rate, vocab))
        return sc_err_set(err, SC_EARG, "%s: no published model for rate %d, vocabulary %d",
                          name, rate, vocab);
    if (d->c) {
        if (rate != d->rate || vocab != d->vocab)
            return sc_err_set(err, SC_EARG,
                              "%s: tokens of rate %d, vocabulary %d, but the model loaded is "
                              "rate %d, vocabulary %d",
                              name, rate, vocab, d->rate, d->vocab);
        return SC_OK;
    }
    if ((h->flags & SC_TOKF_SYNTHETIC) && !t->cfg.synthetic)
        sc_log_msg(&t->log, SC_LOG_WARN, "%s: tokens were made with synthetic weights", name);
    t->cfg.token_rate = rate;
    t->cfg.sem_vocab = vocab;
    if (!(d->c = sc_codec_open_config(&t->cfg, &t->log, err)))
        return err->code;
    d->rate = rate;
    d->vocab = vocab;
    d->K = 100 / rate;
    d->W = sc_ola_window_tokens(d->K);
    return SC_OK;
}

static int check_pair(const detok *d, const char *name, int64_t i, const int64_t p[2],
                      sc_err *err)
{
    if (p[0] < 0 || p[0] >= d->vocab)
        return sc_err_set(err, SC_ERANGE,
                          "%s: token %" PRId64 ": semantic index %" PRId64
                          " out of range (vocabulary %d)",
                          name, i, p[0], d->vocab);
    if (p[1] < 0 || p[1] >= 8192)
        return sc_err_set(err, SC_ERANGE,
                          "%s: token %" PRId64 ": acoustic index %" PRId64
                          " out of range (vocabulary 8192)",
                          name, i, p[1]);
    return SC_OK;
}

/* Messages of the decoder name the input (a token) or the noise file. */
static int decoder_failed(const detok *d, const char *name, sc_err *err)
{
    if (!strncmp(err->msg, "noise for", 9))
        sc_err_prefix(err, "%s", d->o.noise_path);
    else if (!strncmp(err->msg, "token ", 6))
        sc_err_prefix(err, "%s", name);
    return err->code;
}

/* Hand the decoder's settled samples to the sink. */
static int drain(sc_decoder *dec, sink *out, float *buf, sc_err *err)
{
    int64_t n;
    while ((n = sc_decoder_read(dec, buf, SC_OLA_WIN)) > 0)
        if (sink_write(out, buf, (size_t)n, err))
            return err->code;
    return SC_OK;
}

int detok_file(detok *d, const char *in, const char *out, sc_err *err)
{
    sc_tool *t = d->t;
    sc_tokr *r = NULL;
    sc_decoder *dec = NULL;
    sink sk;
    memset(&sk, 0, sizeof sk);
    latsink lat;
    memset(&lat, 0, sizeof lat);
    int64_t (*tok)[2] = NULL;
    float *buf = NULL;
    int rc;
    const char *name = in && strcmp(in, "-") ? in : "<stdin>";
    sc_tok_header ex = {0};
    ex.ac_vocab = 8192;
    ex.samples = -1;
    ex.count = -1;
    if (d->o.explicit_rate)
        ex.rate = t->cfg.token_rate;
    if (d->o.explicit_vocab)
        ex.sem_vocab = t->cfg.sem_vocab;
    const char *ins[2] = {in ? in : "-", d->o.noise_path};
    if (sc_output_check(out, ins, 2, err))
        return err->code;
    const char *lp = d->o.latents_path;
    if (lp) {
        if (!strcmp(lp, "-"))
            return sc_err_set(err, SC_EARG, "--latents: give a file name, not stdout");
        const char *all[3] = {ins[0], ins[1], out && strcmp(out, "-") ? out : NULL};
        if (sc_output_check(lp, all, 3, err))
            return err->code;
        if (out && !strcmp(out, lp))
            return sc_err_set(err, SC_EARG, "%s: --latents names the audio output", lp);
    }
    if (!(r = sc_tokr_open(in, SC_TOKFMT_AUTO, &ex, err)))
        return err->code;
    const sc_tok_header h = *sc_tokr_header(r);
    /* A file output is created first, so an unwritable path fails before
     * the model loads; stdout only once the model is there (nothing may
     * reach a pipe before the last check that can fail early). */
    int to_file = out && strcmp(out, "-");
    int fmt = detok_format_for(&d->o, out);
    if (to_file && (rc = sink_open(&sk, out, fmt, d->o.sample, err)))
        goto fail;
    if (lp) {
        if ((rc = sc_outfile_open(&lat.of, lp, err)))
            goto fail;
        lat.open = 1;
    }
    if ((rc = model_for(d, name, &h, err)))
        goto fail;
    /* A vocabulary the file leaves open is the model's: the reader's
     * range check can then name it (not only say "negative"). */
    if ((rc = sc_tokr_set_vocab(r, d->vocab, 8192, err)))
        goto fail;
    /* npy input has no streaming form: its count is known, its pairs are
     * checked as the decoder takes them, before any window is decoded
     * (they all go in at once). */
    int64_t total = h.count >= 0 ? h.count : -1;
    if (total == 0) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: no tokens", name);
        goto fail;
    }
    /* A header with the original duration fixes the pair count (the
     * encoder's rule): fewer pairs means a cut stream (a text file cut at
     * a line boundary looks complete otherwise), more a wrong header or
     * mixed-up streams; either would decode to the wrong length with exit
     * 0.  Say so as soon as the count is known, before decoding more. */
    sc_tok_header hr = h;
    hr.rate = 100 / d->K;
    if (total > 0 && (rc = sc_tok_check_pairs(&hr, name, total, 1, err)))
        goto fail;
    int64_t nwin = total > 0 ? sc_ola_window_count(total, d->K) : -1;
    /* For the progress line only: the encoder's token count for the
     * recorded duration (§1.1), ceil(8 (d + 0.16 - fmod(d, 0.16)) / 0.16 / K). */
    d->nwin_shown = nwin;
    if (nwin < 0 && h.samples > 0) {
        double sec = h.samples / 16000.0;
        double tt = ceil(8.0 * (sec + 0.16 - fmod(sec, 0.16)) / 0.16 / d->K);
        d->nwin_shown = sc_ola_window_count((int64_t)tt, d->K);
    }
    if (d->have_noise && nwin >= 0 && nwin != d->noise_windows) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: noise for %" PRId64 " windows, the tokens make %" PRId64,
                        d->o.noise_path, d->noise_windows, nwin);
        goto fail;
    }
    /* npy input is whole in memory anyway: every token is checked first. */
    int whole = sc_tokr_format(r) == SC_TOKFMT_NPY;
    int64_t chunk = whole ? total : d->W + 1;
    tok = malloc((size_t)(chunk > 0 ? chunk : 1) * sizeof *tok);
    buf = malloc(SC_OLA_WIN * sizeof(float));
    if (!tok || !buf) {
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    if (!(dec = sc_decoder_create(d->c, h.samples > 0 ? h.samples : 0, err)))
        goto fail_rc;
    if (total > 0 && (rc = sc_decoder_set_total(dec, total, err)))
        goto fail;
    if (d->have_noise && (rc = sc_decoder_set_noise(dec, d->noise.data, d->noise_windows, err)))
        goto fail;
    sc_decoder_set_progress(dec, progress, d);
    if (lp && (rc = sc_decoder_set_latent_fn(dec, latents_take, &lat, err)))
        goto fail;
    if (!to_file && (rc = sink_open(&sk, out, fmt, d->o.sample, err)))
        goto fail;
    int64_t length = h.samples > 0 ? h.samples : total > 0 ? sc_ola_trim(total, d->K) : -1;
    if (length >= 0 && (rc = sink_length(&sk, length, err)))
        goto fail;

    d->t0 = now();
    int64_t T = 0, got;
    while ((got = sc_tokr_read(r, tok, chunk, err)) > 0) {
        for (int64_t i = 0; whole && i < got; i++)
            if ((rc = check_pair(d, name, i, tok[i], err)))
                goto fail;
        /* more pairs than the header's duration makes: say so at once */
        if ((rc = sc_tok_check_pairs(&hr, name, T + got, 0, err)))
            goto fail;
        if ((rc = sc_decoder_push(dec, (const int64_t *)tok, got, err))) {
            rc = decoder_failed(d, name, err);
            goto fail;
        }
        T += got;
        if ((rc = drain(dec, &sk, buf, err)))
            goto fail;
    }
    if (got < 0) {
        rc = (int)got;
        goto fail;
    }
    if ((rc = sc_tok_check_pairs(&hr, name, T, 1, err)))
        goto fail;
    if (T == 0) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: no tokens", name);
        goto fail;
    }
    if ((rc = sc_decoder_finish(dec, err))) {
        rc = decoder_failed(d, name, err);
        goto fail;
    }
    sc_tool_progress_end(t);
    if (length < 0) {
        length = sc_ola_trim(T, d->K);
        if ((rc = sink_length(&sk, length, err)))
            goto fail;
    }
    if ((rc = drain(dec, &sk, buf, err)))
        goto fail;
    /* the latents first: a failed audio close then removes them again */
    if (lp && (rc = latents_commit(&lat, err)))
        goto fail;
    if ((rc = sink_close(&sk, err))) {
        if (lp)
            unlink(lp);
        goto fail_closed;
    }
    double el = now() - d->t0;
    sc_log_msg(&t->log, SC_LOG_INFO,
               "%s: %" PRId64 " tokens, %" PRId64 " windows, %" PRId64
               " samples (%.2f s) in %.1f s (%.3f x real time)",
               name, T, sc_ola_window_count(T, d->K), length, length / 16000.0, el,
               el > 0 ? length / 16000.0 / el : 0);
    sc_decoder_destroy(dec);
    sc_tokr_close(r);
    latents_free(&lat);
    free(tok);
    free(buf);
    return SC_OK;
fail_rc:
    rc = err->code ? err->code : SC_EINTERNAL;
fail:
    sc_tool_progress_end(t);
    sink_abort(&sk);
fail_closed:
    latents_free(&lat);
    sc_decoder_destroy(dec);
    sc_tokr_close(r);
    free(tok);
    free(buf);
    if (err->msg[0] == 0)
        sc_err_set(err, rc, "%s: %s", name, sc_strerror(rc));
    return rc;
}
