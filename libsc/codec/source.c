/* The encoder's two-pass audio source (see sc/source.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sc/resample.h"
#include "sc/source.h"
#include "sc/stage_frontend.h"

#define CHUNK 65536

struct sc_source {
    char *name;
    sc_audio *a;              /* file input, or NULL */
    const float *pcm;         /* PCM input: interleaved, borrowed */
    int64_t frames, pos;      /* PCM frames and the next one */
    int channels, rate;
    sc_resampler *rs;         /* NULL at 16 kHz */
    sc_resample_stream *st;
    float *in;                /* CHUNK input samples */
    float *out;               /* resampled, not yet consumed */
    int64_t out_cap, out_len, out_pos;
    int eof, pass;
    int64_t seen;             /* input frames read in this pass */
    float *span;              /* SC_FRONTEND_SPAN samples */
    int64_t n;                /* 16 kHz samples (after pass 1) */
    int64_t buffered, next_w;
};

static sc_source *create(const char *name, int rate, sc_err *err)
{
    sc_source *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) || !(s->in = malloc(sizeof(float) * CHUNK)) ||
        !(s->span = malloc(sizeof(float) * SC_FRONTEND_SPAN))) {
        sc_source_close(s);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    s->rate = rate;
    if (rate != SC_FRONTEND_RATE) {
        if (!(s->rs = sc_resampler_new(rate, SC_FRONTEND_RATE, err))) {
            sc_err_prefix(err, "%s", name);
            sc_source_close(s);
            return NULL;
        }
        if (!(s->st = sc_resample_stream_new(s->rs, err))) {
            sc_source_close(s);
            return NULL;
        }
    }
    return s;
}

sc_source *sc_source_open(const char *path, sc_err *err)
{
    sc_audio *a = sc_audio_open(path, err);
    if (!a)
        return NULL;
    sc_source *s = create(sc_audio_name(a), sc_audio_get_info(a)->sample_rate, err);
    if (!s) {
        sc_audio_close(a);
        return NULL;
    }
    s->a = a;
    return s;
}

sc_source *sc_source_open_pcm(const float *pcm, int64_t frames, int channels, int sample_rate,
                              const char *name, sc_err *err)
{
    if (!name)
        name = "<pcm>";
    if (channels < 1 || channels > SC_AUDIO_MAX_CHANNELS) {
        sc_err_set(err, SC_EARG, "%s: %d channels (1..%d)", name, channels,
                   SC_AUDIO_MAX_CHANNELS);
        return NULL;
    }
    if (sample_rate < 1 || sample_rate > SC_AUDIO_MAX_RATE) {
        sc_err_set(err, SC_EARG, "%s: sample rate %d Hz out of range (1..%d)", name, sample_rate,
                   SC_AUDIO_MAX_RATE);
        return NULL;
    }
    if (frames <= 0 || !pcm) {
        sc_err_set(err, SC_EARG, "%s: no audio samples", name);
        return NULL;
    }
    sc_source *s = create(name, sample_rate, err);
    if (!s)
        return NULL;
    s->pcm = pcm;
    s->frames = frames;
    s->channels = channels;
    return s;
}

void sc_source_close(sc_source *s)
{
    if (!s)
        return;
    sc_audio_close(s->a);
    sc_resample_stream_free(s->st);
    sc_resampler_free(s->rs);
    free(s->in);
    free(s->out);
    free(s->span);
    free(s->name);
    free(s);
}

const char *sc_source_name(const sc_source *s)
{
    return s->name;
}

const sc_audio_info *sc_source_audio_info(const sc_source *s)
{
    return s->a ? sc_audio_get_info(s->a) : NULL;
}

/* Up to max channel-0 samples at the input rate; 0 at the end.  Pass 1
 * refuses a sample that is not finite: it would make every window NaN. */
static int64_t raw_read(sc_source *s, float *dst, int64_t max, sc_err *err)
{
    int64_t r;
    if (s->a) {
        r = sc_audio_read(s->a, dst, max, err);
        if (r < 0)
            return r;
    } else {
        r = s->frames - s->pos < max ? s->frames - s->pos : max;
        const float *p = s->pcm + (size_t)s->pos * (size_t)s->channels;
        for (int64_t i = 0; i < r; i++)
            dst[i] = p[(size_t)i * (size_t)s->channels];
        s->pos += r;
    }
    if (s->pass == 1)
        for (int64_t i = 0; i < r; i++)
            if (!isfinite(dst[i]))
                return sc_err_set(err, SC_EFORMAT, "%s: frame %lld is %s", s->name,
                                  (long long)(s->seen + i), isnan(dst[i]) ? "NaN" : "infinite");
    s->seen += r;
    return r;
}

/* Up to max 16 kHz samples; 0 at the end. */
static int64_t read16k(sc_source *s, float *dst, int64_t max, sc_err *err)
{
    if (!s->st)
        return raw_read(s, dst, max, err);
    while (s->out_pos == s->out_len) {
        if (s->eof)
            return 0;
        int64_t r = raw_read(s, s->in, CHUNK, err);
        if (r < 0)
            return r;
        int64_t need = sc_resample_stream_max_out(s->st, r);
        if (need > s->out_cap) {
            float *nb = realloc(s->out, sizeof(float) * (size_t)need);
            if (!nb)
                return sc_err_set(err, SC_ENOMEM, "%s: out of memory", s->name);
            s->out = nb;
            s->out_cap = need;
        }
        s->eof = r == 0;
        s->out_len = sc_resample_stream_push(s->st, s->in, r, s->eof, s->out, err);
        s->out_pos = 0;
        if (s->out_len < 0)
            return s->out_len;
    }
    int64_t k = s->out_len - s->out_pos < max ? s->out_len - s->out_pos : max;
    memcpy(dst, s->out + s->out_pos, sizeof(float) * (size_t)k);
    s->out_pos += k;
    return k;
}

static int rewind_source(sc_source *s, sc_err *err)
{
    if (s->st)
        sc_resample_stream_reset(s->st);
    s->out_len = s->out_pos = 0;
    s->eof = 0;
    s->seen = 0;
    s->pos = 0;
    return s->a ? sc_audio_rewind(s->a, err) : SC_OK;
}

int sc_source_scan(sc_source *s, int64_t *n, double *sum, sc_err *err)
{
    if (s->pass != 0)
        return sc_err_set(err, SC_EINTERNAL, "%s: scanned twice", s->name);
    s->pass = 1;
    double acc = 0.0;
    int64_t k = 0, r;
    while ((r = read16k(s, s->span, SC_FRONTEND_SPAN, err)) > 0) {
        acc = sc_frontend_sum(acc, s->span, r);
        k += r;
    }
    if (r < 0)
        return (int)r;
    if (k == 0)
        return sc_err_set(err, SC_EFORMAT, "%s: no audio samples", s->name);
    s->n = k;
    *n = k;
    *sum = acc;
    s->pass = 2;
    return rewind_source(s, err);
}

int sc_source_span(sc_source *s, int64_t w, const float **x, int64_t *len, sc_err *err)
{
    if (s->pass != 2 || w != s->next_w)
        return sc_err_set(err, SC_EINTERNAL, "%s: windows out of order", s->name);
    int64_t off;
    sc_frontend_span(s->n, w, &off, len);
    if (w > 0) {
        /* the 240 samples past a window's start + 163840 begin the next */
        const int64_t keep = SC_FRONTEND_SPAN - SC_FRONTEND_WINDOW;
        int64_t have = s->buffered - SC_FRONTEND_WINDOW;
        have = have < 0 ? 0 : have > keep ? keep : have;
        memmove(s->span, s->span + SC_FRONTEND_WINDOW, sizeof(float) * (size_t)have);
        s->buffered = have;
    }
    while (s->buffered < *len) {
        int64_t r = read16k(s, s->span + s->buffered, *len - s->buffered, err);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return sc_err_set(err, SC_EIO, "%s: input shrank between passes", s->name);
        s->buffered += r;
    }
    s->next_w++;
    *x = *len ? s->span : NULL;
    return SC_OK;
}
