/* The one-call codec (sc/codec.h): opening, the model's facts, and
 * encode/decode of whole arrays on top of the streaming objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/ola.h"
#include "sc/stage_decoder.h"
#include "codec_int.h"

sc_codec *sc_codec_open_config(const sc_config *cfg, const sc_log *log, sc_err *err)
{
    sc_codec *c = calloc(1, sizeof *c);
    if (!c) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (log)
        c->log = *log;
    else
        c->log.level = SC_LOG_QUIET;
    if (!(c->s = sc_session_open(&c->cfg, &c->log, err))) {
        free(c);
        return NULL;
    }
    return c;
}

sc_codec *sc_codec_open(const char *config_file, const char *const *settings, sc_err *err)
{
    sc_config cfg;
    if (sc_config_load_standard(&cfg, config_file, err))
        return NULL;
    for (size_t i = 0; settings && settings[i]; i++) {
        const char *kv = settings[i], *dot = strchr(kv, '.'), *eq = strchr(kv, '=');
        if (!dot || !eq || dot > eq || dot == kv || eq == dot + 1) {
            sc_err_set(err, SC_EARG, "setting '%s' is not section.key=value", kv);
            return NULL;
        }
        char section[SC_NAME_MAX], key[SC_NAME_MAX], where[SC_NAME_MAX];
        if ((size_t)(dot - kv) >= sizeof section || (size_t)(eq - dot - 1) >= sizeof key) {
            sc_err_set(err, SC_EARG, "setting '%s': name too long", kv);
            return NULL;
        }
        snprintf(section, sizeof section, "%.*s", (int)(dot - kv), kv);
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        snprintf(where, sizeof where, "setting %zu", i + 1);
        if (sc_config_set(&cfg, section, key, eq + 1, where, err))
            return NULL;
    }
    return sc_codec_open_config(&cfg, NULL, err);
}

void sc_codec_close(sc_codec *c)
{
    if (!c)
        return;
    sc_session_close(c->s);
    free(c);
}

void sc_codec_free(void *p)
{
    free(p);
}

int sci_codec_frontend(sc_codec *c, sc_stage **st, sc_err *err)
{
    sc_stage *fe = sc_session_stage(c->s, SC_KIND_FRONTEND, err);
    if (!fe)
        return err ? err->code : SC_EINTERNAL;
    const sc_frontend_vt *vt = fe->vt;
    if (vt->struct_size < sizeof *vt)
        return sc_err_set(err, SC_EABI, "%s: frontend vtable too old", fe->plugin->path);
    *st = fe;
    return SC_OK;
}

int sc_codec_get_info(const sc_codec *c, sc_codec_info *info)
{
    const sc_model_info *m = sc_session_model(c->s);
    memset(info, 0, sizeof *info);
    info->token_rate = m->token_rate;
    info->semantic_vocab = m->sem_vocab;
    info->acoustic_vocab = m->ac_vocab;
    info->sample_rate = SC_FRONTEND_RATE;
    info->steps = c->cfg.steps;
    info->cfg = c->cfg.cfg;
    info->eta = c->cfg.eta;
    info->seed = c->cfg.seed;
    return SC_OK;
}

int64_t sc_codec_pairs_for(const sc_codec *c, int64_t samples_16k)
{
    return sc_frontend_tkeep(samples_16k, sc_session_model(c->s)->token_rate);
}

/* Pairs of one input, gathered from its events. */
static int gather(sc_encoder *e, int64_t id, int64_t **tokens, int64_t *npairs,
                  int64_t *samples, sc_err *err)
{
    int64_t *buf = NULL, n = 0, cap = 0;
    sc_encoder_event ev;
    int r;
    while ((r = sc_encoder_next(e, &ev, err)) == 1) {
        if (ev.id != id)
            continue;
        if (ev.status < 0) {
            free(buf);
            return sc_err_set(err, ev.status, "%s", ev.message);
        }
        if (samples && ev.samples_16k >= 0)
            *samples = ev.samples_16k;
        if (n + ev.npairs > cap) {
            int64_t nc = ev.total > n + ev.npairs ? ev.total : 2 * (n + ev.npairs);
            int64_t *nb = realloc(buf, sizeof(int64_t) * 2 * (size_t)(nc > 0 ? nc : 1));
            if (!nb) {
                free(buf);
                return sc_err_set(err, SC_ENOMEM, "out of memory for %lld token pairs",
                                  (long long)nc);
            }
            buf = nb;
            cap = nc;
        }
        memcpy(buf + 2 * n, ev.pairs, sizeof(int64_t) * 2 * (size_t)ev.npairs);
        n += ev.npairs;
        if (ev.done)
            break;
    }
    if (r < 0 || r == 0) {
        free(buf);
        return r < 0 ? r : sc_err_set(err, SC_EINTERNAL, "encoder stopped before the input's end");
    }
    *tokens = buf ? buf : malloc(sizeof(int64_t) * 2);
    *npairs = n;
    return *tokens ? SC_OK : sc_err_set(err, SC_ENOMEM, "out of memory");
}

int sc_codec_encode(sc_codec *c, const float *pcm, int64_t frames, int channels,
                    int sample_rate, int64_t **tokens, int64_t *npairs, sc_err *err)
{
    *tokens = NULL;
    *npairs = 0;
    sc_encoder *e = sc_encoder_create(c, err);
    if (!e)
        return err ? err->code : SC_ENOMEM;
    int64_t id = sc_encoder_add_pcm(e, pcm, frames, channels, sample_rate, err);
    int rc = id < 0 ? (int)id : gather(e, id, tokens, npairs, NULL, err);
    sc_encoder_destroy(e);
    return rc;
}

int sc_codec_encode_file(sc_codec *c, const char *path, int64_t **tokens, int64_t *npairs,
                         int64_t *samples_16k, sc_err *err)
{
    *tokens = NULL;
    *npairs = 0;
    sc_encoder *e = sc_encoder_create(c, err);
    if (!e)
        return err ? err->code : SC_ENOMEM;
    int64_t id = sc_encoder_add_file(e, path, err);
    int rc = id < 0 ? (int)id : gather(e, id, tokens, npairs, samples_16k, err);
    sc_encoder_destroy(e);
    return rc;
}

int sc_codec_decode(sc_codec *c, const int64_t *tokens, int64_t npairs, int64_t nsamples,
                    float **pcm, int64_t *out_samples, sc_err *err)
{
    *pcm = NULL;
    *out_samples = 0;
    if (npairs <= 0 || !tokens)
        return sc_err_set(err, SC_EARG, "no tokens");
    if (nsamples < 0)
        return sc_err_set(err, SC_EARG, "length %lld is negative", (long long)nsamples);
    int K = 100 / sc_session_model(c->s)->token_rate;
    if (nsamples > 0) {
        int64_t want = sc_codec_pairs_for(c, nsamples);
        if (want != npairs)
            return sc_err_set(err, SC_EARG,
                              "%lld samples (%.2f s) make %lld token pairs, but %lld were given",
                              (long long)nsamples, nsamples / 16000.0, (long long)want,
                              (long long)npairs);
    }
    int64_t len = nsamples > 0 ? nsamples : sc_ola_trim(npairs, K);
    sc_decoder *d = sc_decoder_create(c, nsamples, err);
    if (!d)
        return err ? err->code : SC_ENOMEM;
    float *out = malloc(sizeof(float) * (size_t)(len > 0 ? len : 1));
    int rc = out ? SC_OK : sc_err_set(err, SC_ENOMEM, "out of memory for %lld samples",
                                      (long long)len);
    int64_t got = 0;
    /* one window's pairs at a time, reading as we go: memory stays at the
     * output plus one window */
    int W = sc_ola_window_tokens(K);
    for (int64_t i = 0; rc == SC_OK && i < npairs; i += W) {
        int64_t k = npairs - i < W ? npairs - i : W;
        if ((rc = sc_decoder_push(d, tokens + 2 * i, k, err)) == SC_OK)
            got += sc_decoder_read(d, out + got, len - got);
    }
    if (rc == SC_OK && (rc = sc_decoder_finish(d, err)) == SC_OK)
        got += sc_decoder_read(d, out + got, len - got);
    if (rc == SC_OK && (got != len || sc_decoder_read(d, out, 1) != 0))
        rc = sc_err_set(err, SC_EINTERNAL, "decoder produced %lld samples, expected %lld",
                        (long long)got, (long long)len);
    sc_decoder_destroy(d);
    if (rc) {
        free(out);
        return rc;
    }
    *pcm = out;
    *out_samples = len;
    return SC_OK;
}
