/* sc-mel: audio in, SemantiCodec's normalised log-mel windows out.
 *
 *   sc-mel [options] [-f sc|npy] [IN [OUT]]
 *
 * IN is any audio file libsndfile reads ("-" or absent: stdin); channel 0
 * is kept and resampled to 16 kHz when needed.  OUT ("-" or absent:
 * stdout) gets the `sc` mel stream (sc-stream(5)) or, with -f npy, float32
 * [1, 1024 W, 128] equal to the reference's *_fbank.npy.
 *
 * Memory: the input is read twice through sc/source.h (pass 1 sums the
 * samples for the global mean, pass 2 feeds one window span at a time)
 * with a streaming resampler, so memory stays bounded for files and pipes
 * (a pipe is spooled to a temporary file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/melstream.h"
#include "sc/source.h"
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

    sc_source *src = NULL;
    sc_session *s = NULL;
    sc_melw *mw = NULL;
    float *win = NULL;
    int rc;
    double sum = 0.0;
    int64_t n = 0;

    /* Input first: a missing or malformed file is reported as such, before
     * any plugin is loaded, and nothing is written for bad input. */
    if (!(src = sc_source_open(in, &err))) {
        rc = err.code;
        goto done;
    }
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

    const sc_audio_info *ai = sc_source_audio_info(src);
    sc_log_msg(&t.log, SC_LOG_INFO, "%s: %s, %d Hz, %d channel%s", sc_source_name(src), ai->format,
               ai->sample_rate, ai->channels, ai->channels == 1 ? "" : "s");
    rc = sc_source_scan(src, &n, &sum, &err);
    if (rc < 0)
        goto done;

    int64_t m = vt->begin(st->self, n, sum, &err);
    if (m < 0) {
        rc = (int)m;
        goto done;
    }
    const sc_config *cfg = sc_session_config(s);
    sc_log_msg(&t.log, SC_LOG_INFO, "%lld samples at 16 kHz (%.3f s): %lld window%s, %lld tokens "
               "at rate %d", (long long)n, n / 16000.0, (long long)m, m == 1 ? "" : "s",
               (long long)sc_frontend_tkeep(n, cfg->token_rate), cfg->token_rate);
    sc_mel_header h = {
        .sample_rate = SC_FRONTEND_RATE,
        .bins = SC_FRONTEND_BINS,
        .frames = SC_FRONTEND_FRAMES,
        .samples = n,
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
        const float *x;
        int64_t len;
        rc = sc_source_span(src, w, &x, &len, &err);
        if (rc < 0)
            goto done;
        rc = vt->window(st->self, w, x, len, win, &err);
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
    sc_source_close(src);
    sc_session_close(s);
    if (rc < 0) {
        sc_tool_progress_end(&t);
        return sc_tool_fail(&t, &err);
    }
    return 0;
}
