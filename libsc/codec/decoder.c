/* The streaming decoder (sc/codec.h): token windows (sc/ola.h) go through
 * the decoder stage (DDIM over the T-UNet) and the vocoder stage (VAE,
 * HiFi-GAN) as soon as they are complete; the overlap-add settles samples
 * into a queue that sc_decoder_read drains. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sc/ola.h"
#include "sc/stage_decoder.h"
#include "sc/stage_vocoder.h"
#include "codec_int.h"

/* Before the first window is timed, the vocoder's share is taken from the
 * official decode (TIMING.md: VAE + HiFi-GAN about 8 s against 2.2 s per
 * CFG step): 3.7 steps' worth. */
#define VOCODER_PRIOR_STEPS 3.7

struct sc_decoder {
    sc_codec *c;
    sc_stage *dec, *voc;
    const sc_decoder_vt *dvt;
    const sc_vocoder_vt *vvt;
    int K, W, stride, vocab, nsteps;
    int draws;                  /* noise draws per window: x_T (+ one per DDIM step) */
    int64_t length;             /* exact output length, -1 until known */
    int64_t input;              /* the input's 16 kHz length given to create, 0 none */
    int64_t windows;            /* -1 until known */
    int64_t total;              /* pairs promised by set_total, -1 none */
    int64_t (*tok)[2];          /* pairs [start, start + nbuf) */
    int64_t start, nbuf, pushed, w;
    float *latent, *wave;
    sc_ola ola;
    int ola_open, finished, failed;
    float *q;                   /* settled samples not yet read */
    int64_t qhead, qlen, qcap;
    const float *noise;
    int64_t noise_windows;
    sc_progress_fn pfn;
    void *puser;
    sc_latent_fn lfn;
    void *luser;
    double step_s, voc_s, t_step;   /* measured totals; start of the running step */
    int64_t steps_timed, vocs_timed;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int enqueue(void *user, const float *x, size_t n, sc_err *err)
{
    sc_decoder *d = user;
    if (d->qhead && d->qhead >= d->qlen / 2) {
        memmove(d->q, d->q + d->qhead, sizeof(float) * (size_t)(d->qlen - d->qhead));
        d->qlen -= d->qhead;
        d->qhead = 0;
    }
    if (d->qlen + (int64_t)n > d->qcap) {
        int64_t nc = d->qcap ? d->qcap : SC_OLA_WIN;
        while (nc < d->qlen + (int64_t)n)
            nc *= 2;
        float *nq = realloc(d->q, sizeof(float) * (size_t)nc);
        if (!nq)
            return sc_err_set(err, SC_ENOMEM, "out of memory for decoded samples");
        d->q = nq;
        d->qcap = nc;
    }
    memcpy(d->q + d->qlen, x, sizeof(float) * n);
    d->qlen += (int64_t)n;
    return SC_OK;
}

sc_decoder *sc_decoder_create(sc_codec *c, int64_t nsamples, sc_err *err)
{
    if (nsamples < 0) {
        sc_err_set(err, SC_EARG, "length %lld is negative", (long long)nsamples);
        return NULL;
    }
    /* DDIM runs the schedule's steps, each drawing noise; the DPM-Solver
     * samplers evaluate the model about `steps` times and read x_T only. */
    int ddim = c->cfg.sampler == SC_DEC_DDIM;
    int nsteps = ddim ? sc_decoder_nsteps(c->cfg.steps, NULL) : c->cfg.steps;
    if (nsteps < 0) {
        sc_err_set(err, SC_EARG, "decoder.steps %d: the DDIM schedule cannot take that step count",
                   c->cfg.steps);
        return NULL;
    }
    sc_decoder *d = calloc(1, sizeof *d);
    if (!d) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    const sc_model_info *m = sc_session_model(c->s);
    d->c = c;
    d->nsteps = nsteps;
    d->draws = ddim ? nsteps + 1 : 1;
    d->K = m->K;
    d->vocab = m->sem_vocab;
    d->W = sc_ola_window_tokens(d->K);
    d->stride = d->W - sc_ola_window_overlap(d->K);
    d->length = -1;
    d->windows = -1;
    d->total = -1;
    if (!(d->dec = sc_session_stage(c->s, SC_KIND_DECODER, err)) ||
        !(d->voc = sc_session_stage(c->s, SC_KIND_VOCODER, err)))
        goto fail;
    d->dvt = d->dec->vt;
    d->vvt = d->voc->vt;
    /* an older plugin would ignore the sampler fields and run DDIM */
    if (!sc_decoder_offers(d->dvt, c->cfg.sampler)) {
        sc_err_set(err, SC_ECONFIG, "decoder plugin '%s' does not offer the sampler %s",
                   c->cfg.stage[SC_KIND_DECODER].plugin, sc_decoder_sampler_names[c->cfg.sampler]);
        goto fail;
    }
    d->tok = malloc(sizeof *d->tok * (size_t)(d->W + 1));
    d->latent = malloc(sizeof(float) * SC_DEC_LATENT);
    d->wave = malloc(sizeof(float) * SC_OLA_WIN);
    if (!d->tok || !d->latent || !d->wave) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        goto fail;
    }
    if (sc_ola_init(&d->ola, enqueue, d, err))
        goto fail;
    d->ola_open = 1;
    if (nsamples > 0) {
        if (sc_ola_set_length(&d->ola, nsamples, err))
            goto fail;
        d->length = nsamples;
        d->input = nsamples;
        d->windows = sc_ola_window_count(sc_codec_pairs_for(c, nsamples), d->K);
    }
    return d;
fail:
    sc_decoder_destroy(d);
    return NULL;
}

void sc_decoder_destroy(sc_decoder *d)
{
    if (!d)
        return;
    if (d->ola_open)
        sc_ola_free(&d->ola);
    free(d->tok);
    free(d->latent);
    free(d->wave);
    free(d->q);
    free(d);
}

int sc_decoder_set_total(sc_decoder *d, int64_t npairs, sc_err *err)
{
    if (npairs <= 0)
        return sc_err_set(err, SC_EARG, "%lld token pairs: need at least one", (long long)npairs);
    if (npairs < d->pushed)
        return sc_err_set(err, SC_EARG, "%lld token pairs expected, %lld already pushed",
                          (long long)npairs, (long long)d->pushed);
    d->windows = sc_ola_window_count(npairs, d->K);
    d->total = npairs;
    if (d->length < 0) {
        /* the official length of that many pairs: samples can settle at once */
        int rc = sc_ola_set_length(&d->ola, sc_ola_trim(npairs, d->K), err);
        if (rc)
            return rc;
        d->length = sc_ola_trim(npairs, d->K);
    }
    return SC_OK;
}

void sc_decoder_set_progress(sc_decoder *d, sc_progress_fn fn, void *user)
{
    d->pfn = fn;
    d->puser = user;
}

int sc_decoder_set_noise(sc_decoder *d, const float *noise, int64_t windows, sc_err *err)
{
    if (!noise || windows < 1)
        return sc_err_set(err, SC_EARG, "noise for %lld windows", (long long)windows);
    if (d->w > 0)
        return sc_err_set(err, SC_EARG, "noise given after the first window was decoded");
    d->noise = noise;
    d->noise_windows = windows;
    return SC_OK;
}

int sc_decoder_set_latent_fn(sc_decoder *d, sc_latent_fn fn, void *user, sc_err *err)
{
    if (d->w > 0)
        return sc_err_set(err, SC_EARG, "latent callback set after the first window was decoded");
    d->lfn = fn;
    d->luser = user;
    return SC_OK;
}

/* The share of the whole decode done at (window w, phase, step s): every
 * window costs nsteps steps plus the vocoder, in measured seconds. */
static void report(sc_decoder *d, const char *phase, int s)
{
    if (!d->pfn)
        return;
    double ts = d->steps_timed ? d->step_s / (double)d->steps_timed : 1.0;
    double tv = d->vocs_timed ? d->voc_s / (double)d->vocs_timed
                              : (d->steps_timed ? ts : 1.0) * VOCODER_PRIOR_STEPS;
    double win = d->nsteps * ts + tv;
    double done = (double)d->w * win + (phase[0] == 'v' ? d->nsteps * ts : s * ts);
    sc_progress p = {d->w, d->windows, phase, s, d->nsteps, -1};
    if (d->windows > 0) {
        p.fraction = done / ((double)d->windows * win);
        if (p.fraction > 1)
            p.fraction = 1;
    }
    d->pfn(d->puser, &p);
}

static void on_step(void *user, int s, int n)
{
    sc_decoder *d = user;
    double t = now();
    if (s > 0) {
        d->step_s += t - d->t_step;
        d->steps_timed++;
    }
    d->t_step = t;
    (void)n;
    report(d, "decoder", s);
}

static int decode_window(sc_decoder *d, int ntok, sc_err *err)
{
    sc_decoder_opts o;
    sc_decoder_opts_init(&o);
    o.steps = d->c->cfg.steps;
    o.cfg = d->c->cfg.cfg;
    o.eta = d->c->cfg.eta;
    o.seed = d->c->cfg.seed;
    o.sampler = d->c->cfg.sampler;
    o.order = d->c->cfg.order;
    o.method = d->c->cfg.method;
    o.skip = d->c->cfg.skip;
    o.window = (int)d->w;
    o.progress = on_step;
    o.user = d;
    if (d->noise) {
        if (d->w >= d->noise_windows)
            return sc_err_set(err, SC_EFORMAT, "noise for %lld windows, but the tokens need more",
                              (long long)d->noise_windows);
        o.noise = d->noise + (size_t)d->w * (size_t)d->draws * SC_DEC_LATENT;
    }
    if (d->length < 0 &&
        sc_ola_set_min_length(&d->ola, sc_ola_trim(d->start + d->nbuf, d->K), err))
        return err->code;
    d->t_step = now();
    int rc = d->dvt->sample(d->dec->self, (const int64_t *)d->tok, ntok, &o, d->latent, err);
    if (rc)
        return rc;
    double t = now();
    d->step_s += t - d->t_step;
    d->steps_timed++;
    if (d->lfn && (rc = d->lfn(d->luser, d->w, d->latent, err)))
        return rc;
    report(d, "vocoder", d->nsteps);
    if ((rc = d->vvt->latent_to_wave(d->voc->self, d->latent, d->wave, err)))
        return rc;
    d->voc_s += now() - t;
    d->vocs_timed++;
    d->w++;
    return sc_ola_push(&d->ola, d->wave, err);
}

static int check_pair(const sc_decoder *d, int64_t i, const int64_t *p, sc_err *err)
{
    if (p[0] < 0 || p[0] >= d->vocab)
        return sc_err_set(err, SC_ERANGE,
                          "token %lld: semantic index %lld out of range (vocabulary %d)",
                          (long long)i, (long long)p[0], d->vocab);
    if (p[1] < 0 || p[1] >= 8192)
        return sc_err_set(err, SC_ERANGE,
                          "token %lld: acoustic index %lld out of range (vocabulary 8192)",
                          (long long)i, (long long)p[1]);
    return SC_OK;
}

static int failed(sc_decoder *d, int rc)
{
    d->failed = rc;
    return rc;
}

int sc_decoder_push(sc_decoder *d, const int64_t *pairs, int64_t npairs, sc_err *err)
{
    if (d->failed)
        return sc_err_set(err, d->failed, "decoder failed earlier");
    if (d->finished)
        return sc_err_set(err, SC_EARG, "pairs pushed after finish");
    for (int64_t i = 0; i < npairs; i++) {
        int rc = check_pair(d, d->pushed, pairs + 2 * i, err);
        if (rc)
            return failed(d, rc);
        d->tok[d->nbuf][0] = pairs[2 * i];
        d->tok[d->nbuf][1] = pairs[2 * i + 1];
        d->nbuf++;
        d->pushed++;
        /* W + 1 pairs: window [start, start + W) is complete and another
         * window follows it (start + W < T) */
        if (d->nbuf == d->W + 1) {
            if ((rc = decode_window(d, d->W, err)))
                return failed(d, rc);
            memmove(d->tok, d->tok + d->stride, sizeof *d->tok * (size_t)(d->nbuf - d->stride));
            d->nbuf -= d->stride;
            d->start += d->stride;
        }
    }
    return SC_OK;
}

int sc_decoder_finish(sc_decoder *d, sc_err *err)
{
    if (d->failed)
        return sc_err_set(err, d->failed, "decoder failed earlier");
    if (d->finished)
        return SC_OK;
    int rc;
    if (d->pushed == 0)
        return failed(d, sc_err_set(err, SC_EFORMAT, "no tokens"));
    if (d->total >= 0 && d->pushed != d->total)
        return failed(d, sc_err_set(err, SC_EFORMAT, "%lld token pairs, %lld were announced",
                                    (long long)d->pushed, (long long)d->total));
    /* Only an input length counts pairs: a length set_total derived from
     * the pair count is the official output length, already padded to the
     * 0.16 s grid, and the encoder's rule applied to it again may ask for
     * more pairs than made it (4.32 s at rate 50: 113, not 108). */
    if (d->input > 0 && sc_codec_pairs_for(d->c, d->input) > d->pushed)
        return failed(d, sc_err_set(err, SC_EFORMAT,
                                    "truncated: %lld token pairs, but %lld samples (%.2f s) make "
                                    "%lld", (long long)d->pushed, (long long)d->input,
                                    d->input / 16000.0,
                                    (long long)sc_codec_pairs_for(d->c, d->input)));
    if ((rc = decode_window(d, (int)d->nbuf, err)))
        return failed(d, rc);
    if (d->noise && d->w != d->noise_windows)
        return failed(d, sc_err_set(err, SC_EFORMAT, "noise for %lld windows, the tokens make %lld",
                                    (long long)d->noise_windows, (long long)d->w));
    if (d->length < 0) {
        d->length = sc_ola_trim(d->pushed, d->K);
        if ((rc = sc_ola_set_length(&d->ola, d->length, err)))
            return failed(d, rc);
    }
    if ((rc = sc_ola_finish(&d->ola, err)))
        return failed(d, rc);
    d->finished = 1;
    return SC_OK;
}

int64_t sc_decoder_read(sc_decoder *d, float *pcm, int64_t max)
{
    int64_t k = d->qlen - d->qhead < max ? d->qlen - d->qhead : max;
    if (k <= 0)
        return 0;
    memcpy(pcm, d->q + d->qhead, sizeof(float) * (size_t)k);
    d->qhead += k;
    if (d->qhead == d->qlen)
        d->qhead = d->qlen = 0;
    return k;
}
