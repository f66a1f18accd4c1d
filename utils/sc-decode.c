/* sc-decode: token files -> audio files in one process, the model loaded
 * once.  Each TOKENS file gives DIR/NAME.EXT (DIR from -O, else the input's
 * own folder; NAME the input's name without its extension; EXT from -f).
 * See sc-decode(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sc/audio.h"
#include "sc/util.h"
#include "detok.h"

enum { OPT_OUTDIR = 'O', OPT_OUTPUT = 'o' };

typedef struct decode_opts {
    detok_opts d;        /* first: the detok callback gets the same pointer */
    const char *output;  /* -o */
} decode_opts;

static int decode_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    decode_opts *o = user;
    if (opt == OPT_OUTDIR) {
        o->d.outdir = arg;
        return SC_OK;
    }
    if (opt == OPT_OUTPUT) {
        o->output = arg;
        return SC_OK;
    }
    return detok_parse_opt(t, opt, arg, user, err);
}

/* DIR/NAME.EXT for input `in`. */
static int out_name(const detok_opts *o, const char *in, char *buf, size_t n, sc_err *err)
{
    const char *slash = strrchr(in, '/');
    const char *base = slash ? slash + 1 : in;
    size_t blen = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        blen = (size_t)(dot - base);
    int dlen;
    if (o->outdir)
        dlen = snprintf(buf, n, "%s/", o->outdir);
    else if (slash)
        dlen = snprintf(buf, n, "%.*s/", (int)(slash - in), in);
    else
        dlen = snprintf(buf, n, "%s", "");
    int len = snprintf(buf + dlen, n - (size_t)dlen, "%.*s.%s", (int)blen, base,
                       detok_format_ext(o->format ? o->format : SC_AUDIO_WAV));
    if (len < 0 || (size_t)(dlen + len) >= n)
        return sc_err_set(err, SC_EARG, "%s: output name too long", in);
    if (!strcmp(buf, in))
        return sc_err_set(err, SC_EARG, "%s: output would overwrite the input", in);
    return SC_OK;
}

static const struct option *longopts(void)
{
    static struct option lo[16];
    int n = 0;
    while (detok_longopts[n].name) {
        lo[n] = detok_longopts[n];
        n++;
    }
    lo[n++] = (struct option){"output-dir", required_argument, 0, OPT_OUTDIR};
    lo[n++] = (struct option){"output", required_argument, 0, OPT_OUTPUT};
    lo[n] = (struct option){0, 0, 0, 0};
    return lo;
}

int main(int argc, char **argv)
{
    sc_tool t;
    decode_opts oo = {{0}, 0};
    detok_opts *op = &oo.d;
    detok_prescan(argc, argv, op);
    sc_tool_spec spec = {
        .prog = "sc-decode",
        .synopsis = "[options] [-O DIR | -o OUT] TOKENS...",
        .help = "  Decodes each token file into an audio file (DIR/NAME.wav by default),\n"
                "  loading the model once.\n\n"
                "  -O, --output-dir=DIR  write the outputs into DIR (default: beside\n"
                "                        each input)\n"
                "  -o, --output=OUT      the output of a single input\n" DETOK_HELP,
        .shortopts = DETOK_SHORTOPTS "O:o:",
        .longopts = longopts(),
        .fn = decode_opt,
        .user = &oo,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs < 1) {
        sc_err_set(&err, SC_EARG, "no token files given (try --help)");
        return sc_tool_fail(&t, &err);
    }
    if (oo.output && (t.nargs > 1 || op->outdir)) {
        sc_err_set(&err, SC_EARG, "-o takes a single input and no -O");
        return sc_tool_fail(&t, &err);
    }
    int code;
    if (op->outdir && (code = sc_tool_check_outdir(&t, op->outdir)))
        return code;
    if (detok_apply(&t, op, &err))
        return sc_tool_fail(&t, &err);
    if ((op->noise_path || op->latents_path) && t.nargs > 1) {
        sc_err_set(&err, SC_EARG, "%s applies to one input only",
                   op->noise_path ? "--noise" : "--latents");
        return sc_tool_fail(&t, &err);
    }
    detok *d = detok_new(&t, op, &err);
    if (!d)
        return sc_tool_fail(&t, &err);
    int status = 0;
    for (int i = 0; i < t.nargs; i++) {
        char out[4096];
        sc_err e = {0};
        if (!strcmp(t.args[i], "-")) {
            sc_err_set(&e, SC_EARG, "sc-decode reads files, not stdin (use sc-detok)");
        } else if (oo.output ? snprintf(out, sizeof out, "%s", oo.output) < 0
                             : out_name(op, t.args[i], out, sizeof out, &e) != SC_OK) {
            if (!e.code)
                sc_err_set(&e, SC_EARG, "bad -o");
        } else if (sc_output_check(out, (const char *const *)t.args, (size_t)t.nargs, &e) ==
                   SC_OK) {
            if (!detok_file(d, t.args[i], out, &e) && !t.quiet && t.verbose)
                fprintf(stderr, "sc-decode: %s -> %s\n", t.args[i], out);
        }
        if (e.code) {
            int st = sc_tool_fail(&t, &e);
            if (!status)
                status = st;
        }
    }
    detok_free(d);
    return status;
}
