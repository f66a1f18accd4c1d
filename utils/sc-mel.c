/* sc-mel: audio in, SemantiCodec's normalised log-mel windows out.
 *
 *   sc-mel [options] [-f sc|npy] [IN [OUT]]
 *
 * IN is any audio file libsndfile reads ("-" or absent: stdin); channel 0
 * is kept and resampled to 16 kHz when needed.  OUT ("-" or absent:
 * stdout) gets the `sc` mel stream (sc-stream(5)) or, with -f npy, float32
 * [1, 1024 W, 128] equal to the reference's *_fbank.npy.
 *
 * Memory: a seekable 16 kHz input is read twice (pass 1 sums the samples
 * for the global mean, pass 2 feeds one window span at a time), so memory
 * stays bounded; other inputs (pipes, other rates) are decoded whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/melstream.h"
#include "sc/stage_frontend.h"
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

/* Where the samples come from: the whole signal in memory, or a seekable
 * 16 kHz file read span by span. */
typedef struct source {
    sc_audio *a;          /* streaming (NULL: whole) */
    float *wave;          /* whole signal, or the span buffer */
    int64_t n;
    int64_t buffered;     /* streaming: valid samples in wave, from span start */
    int64_t next_w;       /* streaming: next window expected */
} source;

/* Pass 1 over a seekable file: count and sum in order. */
static int stream_pass1(source *s, double *sum, sc_err *err)
{
    float *buf = malloc(sizeof(float) * 65536);
    if (!buf)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    double acc = 0.0;
    int64_t n = 0, r;
    while ((r = sc_audio_read(s->a, buf, 65536, err)) > 0) {
        acc = sc_frontend_sum(acc, buf, r);
        n += r;
    }
    free(buf);
    if (r < 0)
        return (int)r;
    if (n == 0)
        return sc_err_set(err, SC_EFORMAT, "%s: no audio samples", sc_audio_name(s->a));
    s->n = n;
    *sum = acc;
    s->wave = malloc(sizeof(float) * SC_FRONTEND_SPAN);
    if (!s->wave)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    return sc_audio_rewind(s->a, err);
}

/* Streaming: make s->wave hold window w's span (windows in order). */
static int stream_span(source *s, int64_t w, int64_t len, sc_err *err)
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
        memmove(s->wave, s->wave + SC_FRONTEND_WINDOW, sizeof(float) * (size_t)have);
        s->buffered = have;
    }
    while (s->buffered < len) {
        int64_t r = sc_audio_read(s->a, s->wave + s->buffered, len - s->buffered, err);
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
    src.a = a;
    /* The filterbank reads no weights and runs no backend op: the session
     * only insists on a model directory for the stages that read one, and
     * the frontend gets the always-present ref backend unless configured
     * otherwise, so that BLAS (and its threads) is never loaded here. */
    if (!t.cfg.model_dir[0] && !t.cfg.synthetic)
        snprintf(t.cfg.model_dir, sizeof t.cfg.model_dir, "%s", "(unused)");
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
    if (ai->seekable && ai->sample_rate == SC_FRONTEND_RATE) {
        rc = stream_pass1(&src, &sum, &err);
        if (rc < 0)
            goto done;
    } else {
        /* decode whole from the open input (a pipe cannot be opened twice) */
        rc = sc_audio_load_from(a, SC_FRONTEND_RATE, sc_session_pool(s), &src.wave, &src.n,
                                &err);
        src.a = NULL;
        if (rc < 0)
            goto done;
        sum = sc_frontend_sum(0.0, src.wave, src.n);
    }

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
        const float *x;
        if (src.a) {
            rc = stream_span(&src, w, len, &err);
            if (rc < 0)
                goto done;
            x = src.wave;
        } else {
            x = src.wave + off;
        }
        rc = vt->window(st->self, w, len ? x : NULL, len, win, &err);
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
    free(src.wave);
    sc_audio_close(src.a);
    sc_session_close(s);
    if (rc < 0) {
        sc_tool_progress_end(&t);
        return sc_tool_fail(&t, &err);
    }
    return 0;
}
