/* sc-tokenize: sc mel stream in, SemantiCodec tokens out (sc-tokenize(1)).
 *
 * Windows are tokenized as they arrive through the codec's streaming
 * encoder (sc/codec.h), `[acoustic] batch` of them at a time, so memory
 * does not grow with the input length and a pipe from sc-mel keeps both
 * processes busy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/codec.h"
#include "sc/melstream.h"
#include "sc/stage_acoustic.h"
#include "sc/stage_frontend.h"
#include "sc/tokstream.h"
#include "tool.h"

typedef struct opts {
    int fmt;
} opts;

static int on_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    (void)t;
    opts *o = user;
    if (opt == 'f') {
        if (sc_tokfmt_parse(arg, &o->fmt) != SC_OK)
            return sc_err_set(err, SC_EARG, "option -f: unknown token format '%s' (sc, text, npy)",
                              arg);
        return SC_OK;
    }
    return sc_err_set(err, SC_EARG, "unknown option (try --help)");
}

/* Write the pairs the encoder has ready; a failed input is the error. */
static int drain(sc_encoder *e, sc_tokw *w, sc_err *err)
{
    sc_encoder_event ev;
    int r;
    while ((r = sc_encoder_next(e, &ev, err)) == 1) {
        if (ev.status)
            return sc_err_set(err, ev.status, "%s", ev.message);
        if (ev.npairs && sc_tokw_write(w, (const int64_t(*)[2])ev.pairs, ev.npairs, err))
            return err->code;
    }
    return r;
}

static const struct option longopts[] = {
    {"format", required_argument, 0, 'f'},
    {0, 0, 0, 0},
};

static const char help[] =
    "  -f, --format=FORM     token output: sc (bit-packed stream, default), text, npy\n";

int main(int argc, char **argv)
{
    sc_tool t;
    opts o = {SC_TOKFMT_SC};
    sc_tool_spec spec = {
        .prog = "sc-tokenize",
        .synopsis = "[options] [IN [OUT]]",
        .help = help,
        .shortopts = "f:",
        .longopts = longopts,
        .fn = on_opt,
        .user = &o,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs > 2) {
        sc_err_set(&err, SC_EARG, "too many arguments (usage: sc-tokenize [options] [IN [OUT]])");
        return sc_tool_fail(&t, &err);
    }
    const char *in = t.nargs > 0 ? t.args[0] : "-";
    const char *out = t.nargs > 1 ? t.args[1] : "-";
    if (!strcmp(out, "-") && o.fmt != SC_TOKFMT_TEXT && isatty(STDOUT_FILENO)) {
        sc_err_set(&err, SC_EARG, "refusing to write binary tokens to a terminal (use -f text "
                   "or redirect)");
        return sc_tool_fail(&t, &err);
    }

    sc_codec *c = NULL;
    sc_encoder *e = NULL;
    sc_tokw *w = NULL;
    float *win = NULL;
    int64_t id = -1;
    int rc;
    /* The input header first: a bad stream fails before the model loads. */
    sc_melr *mr = sc_melr_open(in, &err);
    if (!mr)
        goto fail;
    const sc_mel_header *mh = sc_melr_header(mr);
    if (mh->sample_rate != SC_FRONTEND_RATE || mh->bins != SC_FRONTEND_BINS ||
        mh->frames != SC_FRONTEND_FRAMES) {
        sc_err_set(&err, SC_EFORMAT, "%s: mel stream has %d Hz, %d bins, %d frames per window; "
                   "SemantiCodec needs %d Hz, %d bins, %d frames", strcmp(in, "-") ? in : "<stdin>",
                   mh->sample_rate, mh->bins, mh->frames, SC_FRONTEND_RATE, SC_FRONTEND_BINS,
                   SC_FRONTEND_FRAMES);
        goto fail;
    }
    int rate = t.cfg.token_rate;
    int64_t tkeep = mh->samples >= 0 ? sc_frontend_tkeep(mh->samples, rate) : -1;
    sc_tok_header th = {rate, t.cfg.sem_vocab, SC_ACOUSTIC_VOCAB,
                        t.cfg.synthetic ? SC_TOKF_SYNTHETIC : 0, mh->samples, tkeep};
    if (mh->samples < 0)
        sc_log_msg(&t.log, SC_LOG_WARN, "mel stream has no sample count: keeping every token");
    /* A file output is created (under its temporary name) before the model
     * loads, so an unwritable OUT fails at once; stdout gets nothing until
     * the model is ready. */
    int to_file = strcmp(out, "-") != 0;
    if (to_file && !(w = sc_tokw_open(out, o.fmt, &th, &err)))
        goto fail;
    if (!(c = sc_codec_open_config(&t.cfg, &t.log, &err)) || !(e = sc_encoder_create(c, &err)))
        goto fail;
    if (!to_file && !(w = sc_tokw_open(out, o.fmt, &th, &err)))
        goto fail;
    if ((id = sc_encoder_add_windows(e, tkeep, &err)) < 0)
        goto fail;
    if (!(win = malloc(sizeof(float) * SC_FRONTEND_FRAMES * SC_FRONTEND_BINS))) {
        sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto fail;
    }
    while ((rc = sc_melr_read(mr, win, &err)) == 1) {
        if (sc_encoder_push_window(e, id, win, &err) != SC_OK || drain(e, w, &err) < 0)
            goto fail;
        sc_tool_progress(&t, "%lld windows", (long long)sc_melr_count(mr));
    }
    if (rc < 0)
        goto fail;
    if (sc_encoder_end_input(e, id, &err) != SC_OK || drain(e, w, &err) < 0)
        goto fail;
    sc_tool_progress_end(&t);
    sc_encoder_stats st;
    sc_encoder_get_stats(e, &st);
    sc_log_msg(&t.log, SC_LOG_INFO, "%lld windows in %lld batches: semantic %.3f s, acoustic "
               "%.3f s; %lld token pairs", (long long)st.windows, (long long)st.batches,
               st.semantic_s, st.acoustic_s, (long long)sc_tokw_count(w));
    sc_tokw *wc = w;
    w = NULL;
    if (sc_tokw_close(wc, &err) != SC_OK)
        goto fail;
    free(win);
    sc_encoder_destroy(e);
    sc_codec_close(c);
    sc_melr_close(mr);
    return 0;
fail:
    sc_tool_progress_end(&t);
    sc_tokw_abort(w);
    free(win);
    sc_encoder_destroy(e);
    sc_codec_close(c);
    sc_melr_close(mr);
    return sc_tool_fail(&t, &err);
}
