/* The streaming encoder (sc/codec.h): inputs are opened in turn, read
 * through the two-pass source, turned into fbank windows by the frontend
 * and queued in the tokenizer engine (tk.h), which runs them in batches
 * across inputs.  Events are collected per input and handed out by
 * sc_encoder_next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/source.h"
#include "codec_int.h"

enum { IN_FILE, IN_PCM, IN_WINDOWS };

typedef struct input {
    int64_t id;
    int kind;
    char *path;                 /* IN_FILE */
    const float *pcm;           /* IN_PCM (borrowed) */
    int64_t frames;
    int channels, rate;
    sc_source *src;
    sc_tk_job *job;             /* until sc_tk_end / sc_tk_cancel */
    int64_t n, nwin, w;         /* 16 kHz samples, windows, next window to feed */
    double sum;
    int64_t total;              /* pairs kept, -1 unknown */
    int started, announced, fed, finished, reported;
    int status;
    char msg[SC_ERR_MSG_MAX];
    int64_t (*pend)[2];         /* pairs not yet handed out */
    int64_t npend, cap;
} input;

struct sc_encoder {
    sc_codec *c;
    sc_tk *tk;
    sc_stage *fe;
    const sc_frontend_vt *fvt;
    input **in;
    int64_t nin, cap;
    int64_t lo;                 /* inputs below are reported */
    int64_t cur;                /* next input the encoder feeds itself */
    input *last;                /* whose pend the last event handed out */
    float *win;
};

static int emit(void *user, const int64_t *sem, const int64_t *ac, int64_t n, sc_err *err)
{
    input *in = user;
    if (in->npend + n > in->cap) {
        int64_t nc = in->cap ? in->cap : 512;
        while (nc < in->npend + n)
            nc *= 2;
        int64_t(*np)[2] = realloc(in->pend, sizeof *np * (size_t)nc);
        if (!np)
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        in->pend = np;
        in->cap = nc;
    }
    for (int64_t i = 0; i < n; i++) {
        in->pend[in->npend + i][0] = sem[i];
        in->pend[in->npend + i][1] = ac[i];
    }
    in->npend += n;
    return SC_OK;
}

static void fail_input(input *in, int status, const char *msg)
{
    in->finished = 1;
    in->status = status;
    snprintf(in->msg, sizeof in->msg, "%s", msg && msg[0] ? msg : sc_strerror(status));
}

static void finish(void *user, int status, const sc_err *err)
{
    input *in = user;
    if (status)
        fail_input(in, status, err ? err->msg : NULL);
    else
        in->finished = 1;
}

sc_encoder *sc_encoder_create(sc_codec *c, sc_err *err)
{
    sc_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    e->c = c;
    if (sci_codec_frontend(c, &e->fe, err) ||
        !(e->tk = sc_tk_new(c->s, c->cfg.batch, err))) {
        sc_encoder_destroy(e);
        return NULL;
    }
    e->fvt = e->fe->vt;
    if (!(e->win = malloc(sizeof(float) * SC_FRONTEND_FRAMES * SC_FRONTEND_BINS))) {
        sc_encoder_destroy(e);
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    return e;
}

/* Let go of an input's job and source (its events may still be due). */
static void release(sc_encoder *e, input *in, int status, const char *msg)
{
    if (in->job) {
        if (in->finished || status == SC_OK) {
            sc_tk_end(e->tk, in->job, NULL);
        } else {
            sc_err x = {0};
            sc_err_set(&x, status, "%s", msg && msg[0] ? msg : sc_strerror(status));
            sc_tk_cancel(e->tk, in->job, status, &x);
        }
        in->job = NULL;
    }
    if (status && !in->finished)
        fail_input(in, status, msg);
    in->fed = 1;
    sc_source_close(in->src);
    in->src = NULL;
}

void sc_encoder_destroy(sc_encoder *e)
{
    if (!e)
        return;
    for (int64_t i = 0; i < e->nin; i++)
        release(e, e->in[i], SC_EARG, "encoder destroyed");
    if (e->tk)
        sc_tk_discard(e->tk);
    for (int64_t i = 0; i < e->nin; i++) {
        input *in = e->in[i];
        free(in->path);
        free(in->pend);
        free(in);
    }
    free(e->in);
    sc_tk_free(e->tk);
    free(e->win);
    free(e);
}

static input *add(sc_encoder *e, int kind, sc_err *err)
{
    if (e->nin == e->cap) {
        int64_t nc = e->cap ? 2 * e->cap : 16;
        input **ni = realloc(e->in, sizeof *ni * (size_t)nc);
        if (!ni) {
            sc_err_set(err, SC_ENOMEM, "out of memory");
            return NULL;
        }
        e->in = ni;
        e->cap = nc;
    }
    input *in = calloc(1, sizeof *in);
    if (!in) {
        sc_err_set(err, SC_ENOMEM, "out of memory");
        return NULL;
    }
    in->id = e->nin;
    in->kind = kind;
    in->total = -1;
    in->n = -1;
    e->in[e->nin++] = in;
    return in;
}

int64_t sc_encoder_add_file(sc_encoder *e, const char *path, sc_err *err)
{
    char *p = strdup(path ? path : "-");
    input *in = p ? add(e, IN_FILE, err) : NULL;
    if (!in) {
        free(p);
        return p ? (err ? err->code : SC_ENOMEM) : sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    in->path = p;
    return in->id;
}

int64_t sc_encoder_add_pcm(sc_encoder *e, const float *pcm, int64_t frames, int channels,
                           int sample_rate, sc_err *err)
{
    if (!pcm || frames <= 0)
        return sc_err_set(err, SC_EARG, "no audio samples (%lld frames)", (long long)frames);
    if (channels < 1)
        return sc_err_set(err, SC_EARG, "%d channels: need at least 1", channels);
    if (sample_rate < 1 || sample_rate > SC_AUDIO_MAX_RATE)
        return sc_err_set(err, SC_EARG, "sample rate %d Hz out of range (1..%d)", sample_rate,
                          SC_AUDIO_MAX_RATE);
    input *in = add(e, IN_PCM, err);
    if (!in)
        return err ? err->code : SC_ENOMEM;
    in->pcm = pcm;
    in->frames = frames;
    in->channels = channels;
    in->rate = sample_rate;
    return in->id;
}

int64_t sc_encoder_add_windows(sc_encoder *e, int64_t keep_pairs, sc_err *err)
{
    input *in = add(e, IN_WINDOWS, err);
    if (!in)
        return err ? err->code : SC_ENOMEM;
    sc_err x = {0};
    if (!(in->job = sc_tk_begin(e->tk, keep_pairs, emit, finish, in, &x))) {
        fail_input(in, x.code, x.msg);
        in->fed = 1;
    }
    in->started = 1;
    in->total = keep_pairs;
    return in->id;
}

static input *find(sc_encoder *e, int64_t id, int kind, sc_err *err)
{
    if (id < 0 || id >= e->nin || (kind >= 0 && e->in[id]->kind != kind)) {
        sc_err_set(err, SC_EARG, "no input %lld%s", (long long)id,
                   kind == IN_WINDOWS ? " given as windows" : "");
        return NULL;
    }
    return e->in[id];
}

int sc_encoder_push_window(sc_encoder *e, int64_t id, const float *window, sc_err *err)
{
    input *in = find(e, id, IN_WINDOWS, err);
    if (!in)
        return SC_EARG;
    if (in->finished)
        return sc_err_set(err, in->status ? in->status : SC_EARG, "%s",
                          in->status ? in->msg : "input already ended");
    if (in->fed)
        return sc_err_set(err, SC_EARG, "window pushed after the end of its input");
    int rc = sc_tk_push(e->tk, in->job, window, err);
    if (rc)
        release(e, in, rc, err ? err->msg : NULL);
    return rc;
}

int sc_encoder_end_input(sc_encoder *e, int64_t id, sc_err *err)
{
    input *in = find(e, id, IN_WINDOWS, err);
    if (!in)
        return SC_EARG;
    release(e, in, SC_OK, NULL);
    return SC_OK;
}

int sc_encoder_cancel(sc_encoder *e, int64_t id, sc_err *err)
{
    input *in = find(e, id, -1, err);
    if (!in)
        return SC_EARG;
    release(e, in, SC_EARG, "cancelled");
    in->reported = 1;
    return SC_OK;
}

void sc_encoder_get_stats(const sc_encoder *e, sc_encoder_stats *st)
{
    const sc_tk_stats *t = sc_tk_get_stats(e->tk);
    st->windows = t->windows;
    st->batches = t->batches;
    st->semantic_s = t->semantic_s;
    st->acoustic_s = t->acoustic_s;
}

/* Open and scan an input (pass 1) and start its job. */
static void start(sc_encoder *e, input *in)
{
    sc_err x = {0};
    in->started = 1;
    in->src = in->kind == IN_FILE
                  ? sc_source_open(in->path, &x)
                  : sc_source_open_pcm(in->pcm, in->frames, in->channels, in->rate, NULL, &x);
    if (!in->src || sc_source_scan(in->src, &in->n, &in->sum, &x)) {
        release(e, in, x.code ? x.code : SC_EINTERNAL, x.msg);
        return;
    }
    e->c->fe_owner = in;
    in->nwin = e->fvt->begin(e->fe->self, in->n, in->sum, &x);
    if (in->nwin < 0) {
        release(e, in, (int)in->nwin, x.msg);
        return;
    }
    in->total = sc_codec_pairs_for(e->c, in->n);
    if (!(in->job = sc_tk_begin(e->tk, in->total, emit, finish, in, &x)))
        release(e, in, x.code, x.msg);
}

/* Feed the input's next window; the last one ends its job. */
static void feed(sc_encoder *e, input *in)
{
    sc_err x = {0};
    const float *span;
    int64_t len;
    int rc = SC_OK;
    if (e->c->fe_owner != in) {
        int64_t m = e->fvt->begin(e->fe->self, in->n, in->sum, &x);
        rc = m < 0 ? (int)m : SC_OK;
        e->c->fe_owner = in;
    }
    if (rc == SC_OK)
        rc = sc_source_span(in->src, in->w, &span, &len, &x);
    if (rc == SC_OK)
        rc = e->fvt->window(e->fe->self, in->w, span, len, e->win, &x);
    if (rc == SC_OK)
        rc = sc_tk_push(e->tk, in->job, e->win, &x);
    if (rc) {
        release(e, in, rc, x.msg);
        return;
    }
    if (++in->w == in->nwin)
        release(e, in, SC_OK, NULL);
}

static int event(input *in, sc_encoder_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->id = in->id;
    ev->total = in->total;
    ev->samples_16k = in->n;
    if (in->finished && in->status) {
        in->reported = 1;
        ev->done = 1;
        ev->status = in->status;
        ev->total = -1;
        snprintf(ev->message, sizeof ev->message, "%s", in->msg);
        return 1;
    }
    if (!in->announced) {
        in->announced = 1;
        return 1;
    }
    ev->pairs = (const int64_t *)in->pend;
    ev->npairs = in->npend;
    if (in->finished) {
        in->reported = 1;
        ev->done = 1;
    }
    return 1;
}

int sc_encoder_next(sc_encoder *e, sc_encoder_event *ev, sc_err *err)
{
    if (e->last) {
        e->last->npend = 0;
        e->last = NULL;
    }
    for (;;) {
        for (int64_t i = e->lo; i < e->nin; i++) {
            input *in = e->in[i];
            if (in->reported) {
                if (i == e->lo) {
                    e->lo++;
                    free(in->pend);
                    in->pend = NULL;
                    in->cap = 0;
                }
                continue;
            }
            if (!in->started)
                break;   /* neither it nor a later input has anything yet */
            if ((in->finished && in->status) || !in->announced || in->npend ||
                in->finished) {
                event(in, ev);
                e->last = in;
                return 1;
            }
        }
        /* Work: the next window of the input in turn. */
        while (e->cur < e->nin && (e->in[e->cur]->kind == IN_WINDOWS || e->in[e->cur]->fed))
            e->cur++;
        if (e->cur < e->nin) {
            input *in = e->in[e->cur];
            if (!in->started)
                start(e, in);
            else
                feed(e, in);
            continue;
        }
        /* Nothing left to feed: run the last partial batch once no input
         * given as windows may still add to it. */
        int waiting = 0, pending = 0;
        for (int64_t i = e->lo; i < e->nin; i++) {
            input *in = e->in[i];
            waiting |= in->kind == IN_WINDOWS && !in->fed;
            pending |= !in->reported;
        }
        if (waiting || !pending)
            return 0;
        int rc = sc_tk_flush(e->tk, err);
        (void)rc;   /* a stage failure failed its inputs: their events say so */
        int progress = 0;
        for (int64_t i = e->lo; i < e->nin && !progress; i++) {
            input *in = e->in[i];
            progress = !in->reported && (in->finished || in->npend || !in->announced);
        }
        if (!progress)
            return sc_err_set(err, SC_EINTERNAL, "encoder stalled with inputs unfinished");
    }
}
