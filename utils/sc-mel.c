/* sc-mel: audio in, SemantiCodec's normalised log-mel windows out.
 *
 *   sc-mel [options] [-f sc|npy] [IN [OUT]]
 *
 * IN is any audio file libsndfile reads ("-" or absent: stdin); channel 0
 * is kept and resampled to 16 kHz when needed.  OUT ("-" or absent:
 * stdout) gets the `sc` mel stream (sc-stream(5)) or, with -f npy, float32
 * [1, 1024 W, 128] equal to the reference's *_fbank.npy.
 *
 * Memory: the input is read twice (pass 1 sums the samples for the global
 * mean, pass 2 feeds one window span at a time) with a streaming
 * resampler, so memory stays bounded for files; a pipe costs its encoded
 * size (sc_audio keeps the bytes to rewind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/melstream.h"
#include "sc/resample.h"
#include "sc/stage_frontend.h"
#include "sc/util.h"
#include "tool.h"

typedef struct opts {
    int fmt;
} opts;

static int opt_fn(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    opts *o = user;
    if (opt == 'f') {
        if (sc_melfmt_parse(arg, &o->fmt) != SC_OK)
            return sc_err_set(err, SC_EARG, "option -f: unknown format '%s' (sc or npy)", arg);
        return SC_OK;
    }
    return sc_err_set(err, SC_EARG, "unknown option (try --help)");
}

/* The 16 kHz channel-0 samples, read twice: pass 1 counts and sums them
 * for the global mean, pass 2 feeds one window span at a time.  Other
 * rates are resampled on the fly (the streaming resampler gives the same
 * bits as resampling the whole signal), so memory stays bounded whatever
 * the length; a pipe is rewound in memory (sc_audio buffers its bytes). */
#define CHUNK 65536

typedef struct source {
    sc_audio *a;
    sc_resampler *rs;         /* NULL at 16 kHz */
    sc_resample_stream *st;
    float *in;                /* CHUNK input samples */
    float *out;               /* resampled, not yet consumed */
    int64_t out_cap, out_len, out_pos;
    int eof;
    float *span;              /* SC_FRONTEND_SPAN samples */
    int64_t n;                /* 16 kHz samples (after pass 1) */
    int64_t buffered;         /* valid samples in span */
    int64_t next_w;           /* next window expected */
} source;

static int src_open(source *s, sc_audio *a, sc_err *err)
{
    s->a = a;
    int rate = sc_audio_get_info(a)->sample_rate;
    s->in = malloc(sizeof(float) * CHUNK);
    s->span = malloc(sizeof(float) * SC_FRONTEND_SPAN);
    if (!s->in || !s->span)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    if (rate != SC_FRONTEND_RATE) {
        s->rs = sc_resampler_new(rate, SC_FRONTEND_RATE, err);
        if (!s->rs)
            return sc_err_prefix(err, "%s", sc_audio_name(a));
        s->st = sc_resample_stream_new(s->rs, err);
        if (!s->st)
            return err->code;
    }
    return SC_OK;
}

static void src_close(source *s)
{
    sc_audio_close(s->a);
    sc_resample_stream_free(s->st);
    sc_resampler_free(s->rs);
    free(s->in);
    free(s->out);
    free(s->span);
}

/* Up to max 16 kHz samples; 0 at the end. */
static int64_t src_read(source *s, float *dst, int64_t max, sc_err *err)
{
    if (!s->st)
        return sc_audio_read(s->a, dst, max, err);
    while (s->out_pos == s->out_len) {
        if (s->eof)
            return 0;
        int64_t r = sc_audio_read(s->a, s->in, CHUNK, err);
        if (r < 0)
            return r;
        int64_t need = sc_resample_stream_max_out(s->st, r);
        if (need > s->out_cap) {
            float *nb = realloc(s->out, sizeof(float) * (size_t)need);
            if (!nb)
                return sc_err_set(err, SC_ENOMEM, "out of memory");
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

static int src_rewind(source *s, sc_err *err)
{
    if (s->st)
        sc_resample_stream_reset(s->st);
    s->out_len = s->out_pos = 0;
    s->eof = 0;
    return sc_audio_rewind(s->a, err);
}

/* Pass 1: count and sum in order. */
static int src_pass1(source *s, double *sum, sc_err *err)
{
    double acc = 0.0;
    int64_t n = 0, r;
    while ((r = src_read(s, s->span, SC_FRONTEND_SPAN, err)) > 0) {
        acc = sc_frontend_sum(acc, s->span, r);
        n += r;
    }
    if (r < 0)
        return (int)r;
    if (n == 0)
        return sc_err_set(err, SC_EFORMAT, "%s: no audio samples", sc_audio_name(s->a));
    s->n = n;
    *sum = acc;
    return src_rewind(s, err);
}

/* Pass 2: make s->span hold window w's span (windows in order). */
static int src_span(source *s, int64_t w, int64_t len, sc_err *err)
{
    if (w != s->next_w)
        return sc_err_set(err, SC_EINTERNAL, "windows out of order");
    const int64_t keep = SC_FRONTEND_SPAN - SC_FRONTEND_WINDOW;   /* 240 */
    if (w > 0) {
        int64_t have = s->buffered - SC_FRONTEND_WINDOW;
        if (have < 0)
            have = 0;
        if (have > keep)
            have = keep;
        memmove(s->span, s->span + SC_FRONTEND_WINDOW, sizeof(float) * (size_t)have);
        s->buffered = have;
    }
    while (s->buffered < len) {
        int64_t r = src_read(s, s->span + s->buffered, len - s->buffered, err);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return sc_err_set(err, SC_EIO, "%s: input shrank between passes",
                              sc_audio_name(s->a));
        s->buffered += r;
    }
    s->next_w++;
    return SC_OK;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, 0, 'f'}, {0, 0, 0, 0}};
    opts o = {SC_MELFMT_SC};
    const sc_tool_spec spec = {
        .prog = "sc-mel",
        .synopsis = "[options] [-f sc|npy] [IN [OUT]]",
        .help = "  -f, --format=FMT      output: sc (mel stream, default) or npy\n",
        .shortopts = "f:",
        .longopts = lo,
        .fn = opt_fn,
        .user = &o,
    };
    sc_tool t;
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs > 2) {
        sc_err_set(&err, SC_EARG, "too many arguments (try --help)");
        return sc_tool_fail(&t, &err);
    }
    const char *in = t.nargs > 0 ? t.args[0] : NULL;
    const char *out = t.nargs > 1 ? t.args[1] : NULL;
    if ((!out || !strcmp(out, "-")) && isatty(STDOUT_FILENO)) {
        sc_err_set(&err, SC_EARG,
                   "refusing to write binary mel data to a terminal (give OUT or redirect)");
        return sc_tool_fail(&t, &err);
    }
    const char *ins[1] = {in ? in : "-"};
    if (sc_output_check(out ? out : "-", ins, 1, &err))
        return sc_tool_fail(&t, &err);

    source src = {0};
    sc_session *s = NULL;
    sc_melw *mw = NULL;
    float *win = NULL;
    int rc;
    double sum = 0.0;

    /* Input first: a missing or malformed file is reported as such, before
     * any plugin is loaded, and nothing is written for bad input. */
    sc_audio *a = sc_audio_open(in, &err);
    if (!a) {
        rc = err.code;
        goto done;
    }
    rc = src_open(&src, a, &err);
    if (rc < 0)
        goto done;
    /* The filterbank reads no weights and runs no backend op: it gets the
     * always-present ref backend unless configured otherwise. */
    if (!t.cfg.stage[SC_KIND_FRONTEND].backend[0])
        snprintf(t.cfg.stage[SC_KIND_FRONTEND].backend,
                 sizeof t.cfg.stage[SC_KIND_FRONTEND].backend, "%s", "ref");
    s = sc_tool_session(&t, &err);
    if (!s) {
        rc = err.code;
        goto done;
    }
    sc_stage *st = sc_session_stage(s, SC_KIND_FRONTEND, &err);
    if (!st) {
        rc = err.code;
        goto done;
    }
    const sc_frontend_vt *vt = st->vt;
    if (vt->struct_size < sizeof(sc_frontend_vt)) {
        rc = sc_err_set(&err, SC_EABI, "%s: frontend vtable too old", st->plugin->path);
        goto done;
    }

    const sc_audio_info *ai = sc_audio_get_info(a);
    sc_log_msg(&t.log, SC_LOG_INFO, "%s: %s, %d Hz, %d channel%s", sc_audio_name(a), ai->format,
               ai->sample_rate, ai->channels, ai->channels == 1 ? "" : "s");
    rc = src_pass1(&src, &sum, &err);
    if (rc < 0)
        goto done;

    int64_t m = vt->begin(st->self, src.n, sum, &err);
    if (m < 0) {
        rc = (int)m;
        goto done;
    }
    const sc_config *cfg = sc_session_config(s);
    sc_log_msg(&t.log, SC_LOG_INFO, "%lld samples at 16 kHz (%.3f s): %lld window%s, %lld tokens "
               "at rate %d", (long long)src.n, src.n / 16000.0, (long long)m, m == 1 ? "" : "s",
               (long long)sc_frontend_tkeep(src.n, cfg->token_rate), cfg->token_rate);
    sc_mel_header h = {
        .sample_rate = SC_FRONTEND_RATE,
        .bins = SC_FRONTEND_BINS,
        .frames = SC_FRONTEND_FRAMES,
        .samples = src.n,
        .windows = m,
    };
    win = malloc(sizeof(float) * SC_FRONTEND_FRAMES * SC_FRONTEND_BINS);
    if (!win) {
        rc = sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto done;
    }
    mw = sc_melw_open(out, o.fmt, &h, &err);
    if (!mw) {
        rc = err.code;
        goto done;
    }
    for (int64_t w = 0; w < m; w++) {
        int64_t off, len;
        sc_frontend_span(src.n, w, &off, &len);
        rc = src_span(&src, w, len, &err);
        if (rc < 0)
            goto done;
        rc = vt->window(st->self, w, len ? src.span : NULL, len, win, &err);
        if (rc < 0)
            goto done;
        rc = sc_melw_write(mw, win, &err);
        if (rc < 0)
            goto done;
        sc_tool_progress(&t, "window %lld/%lld", (long long)w + 1, (long long)m);
    }
    sc_tool_progress_end(&t);
    rc = sc_melw_close(mw, &err);
    mw = NULL;
done:
    sc_melw_abort(mw);
    free(win);
    src_close(&src);
    sc_session_close(s);
    if (rc < 0) {
        sc_tool_progress_end(&t);
        return sc_tool_fail(&t, &err);
    }
    return 0;
}
