/* sc-encode: audio files to SemantiCodec tokens in one process
 * (sc-encode(1)), on the codec's streaming encoder (sc/codec.h): the
 * model is loaded once, windows of all inputs are batched through the
 * BiLSTM together, every input (file or pipe) is read with bounded
 * memory, and the output of each file equals sc-mel | sc-tokenize. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sc/codec.h"
#include "sc/tokstream.h"
#include "tool.h"

typedef struct opts {
    int fmt;
    const char *outdir;    /* -O */
    const char *out;       /* -o */
    int list;              /* -@ */
} opts;

typedef struct job_ctx {
    const char *in;
    char *out;             /* output path, "-" for stdout */
    sc_tokw *w;
    int done, status;
} job_ctx;

static int on_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    (void)t;
    opts *o = user;
    switch (opt) {
    case 'f':
        if (sc_tokfmt_parse(arg, &o->fmt) != SC_OK)
            return sc_err_set(err, SC_EARG, "option -f: unknown token format '%s' (sc, text, npy)",
                              arg);
        return SC_OK;
    case 'O': o->outdir = arg; return SC_OK;
    case 'o': o->out = arg; return SC_OK;
    case '@': o->list = 1; return SC_OK;
    default: return sc_err_set(err, SC_EARG, "unknown option (try --help)");
    }
}

static const char *ext_for(int fmt)
{
    return fmt == SC_TOKFMT_TEXT ? ".txt" : fmt == SC_TOKFMT_NPY ? ".npy" : ".sc";
}

static char *out_path(const opts *o, const char *in)
{
    if (!o->outdir)
        return strdup(o->out ? o->out : "-");
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    const char *dot = strrchr(base, '.');
    size_t bl = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    const char *ext = ext_for(o->fmt);
    size_t n = strlen(o->outdir) + bl + strlen(ext) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%.*s%s", o->outdir, (int)bl, base, ext);
    return p;
}

/* Options may follow the file names (sc-encode FILE... -O DIR). */
static int late_options(sc_tool *t, opts *o, char ***files, int *nfiles, sc_err *err)
{
    char **f = calloc((size_t)t->nargs + 1, sizeof *f);
    int n = 0, only_files = 0;
    if (!f)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    for (int i = 0; i < t->nargs; i++) {
        char *a = t->args[i];
        if (only_files || a[0] != '-' || !a[1]) {
            f[n++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_files = 1;
            continue;
        }
        int opt = 0;
        const char *val = NULL;
        if (!strncmp(a, "--format=", 9)) {
            opt = 'f';
            val = a + 9;
        } else if (!strncmp(a, "--output-dir=", 13)) {
            opt = 'O';
            val = a + 13;
        } else if (!strncmp(a, "--output=", 9)) {
            opt = 'o';
            val = a + 9;
        } else if (!strcmp(a, "--list")) {
            opt = '@';
        } else if (a[1] != '-' && strchr("fOo@", a[1])) {
            opt = a[1];
            if (opt != '@') {
                val = a[2] ? a + 2 : i + 1 < t->nargs ? t->args[++i] : NULL;
                if (!val) {
                    free(f);
                    return sc_err_set(err, SC_EARG, "option -%c needs a value", opt);
                }
            } else if (a[2]) {
                free(f);
                return sc_err_set(err, SC_EARG, "unknown option %s (try --help)", a);
            }
        } else {
            free(f);
            return sc_err_set(err, SC_EARG, "unknown option %s (try --help)", a);
        }
        if (on_opt(t, opt, val, o, err) != SC_OK) {
            free(f);
            return err->code;
        }
    }
    *files = f;
    *nfiles = n;
    return SC_OK;
}

static int read_list(char ***files, int *nfiles, sc_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = *nfiles, room = n + 16;
    char **f = realloc(*files, sizeof *f * (size_t)room);
    if (!f)
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len)
            continue;
        if (n + 1 >= room) {
            room *= 2;
            char **g = realloc(f, sizeof *g * (size_t)room);
            if (!g) {
                free(line);
                *files = f;
                return sc_err_set(err, SC_ENOMEM, "out of memory");
            }
            f = g;
        }
        if (!(f[n++] = strdup(line))) {
            free(line);
            *files = f;
            return sc_err_set(err, SC_ENOMEM, "out of memory");
        }
    }
    free(line);
    *files = f;
    *nfiles = n;
    if (ferror(stdin))
        return sc_err_set(err, SC_EIO, "<stdin>: read error: %s", strerror(errno));
    return SC_OK;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const struct option longopts[] = {
    {"format", required_argument, 0, 'f'},
    {"output-dir", required_argument, 0, 'O'},
    {"output", required_argument, 0, 'o'},
    {"list", no_argument, 0, '@'},
    {0, 0, 0, 0},
};

static const char help[] =
    "  -f, --format=FORM     token output: sc (bit-packed stream, default), text, npy\n"
    "  -O, --output-dir=DIR  write one token file per input into DIR (NAME.sc, .txt, .npy)\n"
    "  -o, --output=FILE     output of a single input (default: standard output)\n"
    "  -@, --list            read more input file names from standard input, one per line\n";

int main(int argc, char **argv)
{
    sc_tool t;
    opts o = {SC_TOKFMT_SC, NULL, NULL, 0};
    sc_tool_spec spec = {
        .prog = "sc-encode",
        .synopsis = "[options] FILE... [-O DIR] [-@]",
        .help = help,
        .shortopts = "f:O:o:@",
        .longopts = longopts,
        .fn = on_opt,
        .user = &o,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    char **files = NULL;
    int nfiles = 0, given = 0, failed = 0;
    job_ctx *jobs = NULL;
    sc_codec *c = NULL;
    sc_encoder *e = NULL;
    if (late_options(&t, &o, &files, &nfiles, &err) != SC_OK)
        goto usage;
    given = nfiles;
    if (o.list && read_list(&files, &nfiles, &err) != SC_OK)
        goto fail;
    if (nfiles == 0) {
        sc_err_set(&err, SC_EARG, "no input files (usage: sc-encode [options] FILE... [-O DIR] "
                   "[-@])");
        goto usage;
    }
    if (nfiles > 1 && !o.outdir) {
        sc_err_set(&err, SC_EARG, "%d inputs: give -O DIR for their token files", nfiles);
        goto usage;
    }
    if (o.outdir && o.out) {
        sc_err_set(&err, SC_EARG, "-o and -O exclude each other");
        goto usage;
    }
    if (o.outdir) {
        struct stat sb;
        if (stat(o.outdir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            sc_err_set(&err, SC_EIO, "%s: not a directory", o.outdir);
            goto fail;
        }
    }
    const char *single = o.out ? o.out : "-";
    if (!o.outdir && !strcmp(single, "-") && o.fmt != SC_TOKFMT_TEXT && isatty(STDOUT_FILENO)) {
        sc_err_set(&err, SC_EARG, "refusing to write binary tokens to a terminal (use -f text, "
                   "-o FILE or -O DIR)");
        goto usage;
    }
    if (!(jobs = calloc((size_t)nfiles, sizeof *jobs))) {
        sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < nfiles; i++) {
        jobs[i].in = files[i];
        if (!(jobs[i].out = out_path(&o, files[i]))) {
            sc_err_set(&err, SC_ENOMEM, "out of memory");
            goto fail;
        }
        for (int k = 0; k < i; k++)
            if (o.outdir && !strcmp(jobs[k].out, jobs[i].out)) {
                sc_err_set(&err, SC_EARG, "%s and %s would both be written to %s", files[k],
                           files[i], jobs[i].out);
                goto usage;
            }
    }

    if (!(c = sc_codec_open_config(&t.cfg, &t.log, &err)) || !(e = sc_encoder_create(c, &err)))
        goto fail;
    sc_codec_info mi;
    sc_codec_get_info(c, &mi);
    for (int i = 0; i < nfiles; i++)
        if (sc_encoder_add_file(e, files[i], &err) < 0)
            goto fail;
    double t0 = now(), audio_s = 0;
    sc_encoder_event ev;
    int r;
    while ((r = sc_encoder_next(e, &ev, &err)) == 1) {
        job_ctx *j = &jobs[ev.id];
        sc_err x = {0};
        int rc = ev.status;
        if (rc) {
            /* a message from before the input was open names it already */
            sc_err_set(&x, rc, "%s%s%s", j->w ? j->in : "", j->w ? ": " : "", ev.message);
        } else if (!j->w && !ev.done) {
            sc_tok_header th = {mi.token_rate, mi.semantic_vocab, mi.acoustic_vocab,
                                t.cfg.synthetic ? SC_TOKF_SYNTHETIC : 0, ev.samples_16k, ev.total};
            audio_s += (double)ev.samples_16k / mi.sample_rate;
            if (!(j->w = sc_tokw_open(j->out, o.fmt, &th, &x)))
                rc = x.code ? x.code : SC_EINTERNAL;
        } else if ((ev.npairs && sc_tokw_write(j->w, (const int64_t(*)[2])ev.pairs, ev.npairs, &x)) ||
                   (ev.done && sc_tokw_close(j->w, &x))) {
            rc = x.code;
            j->w = ev.done ? NULL : j->w;   /* close frees it, also on error */
        } else if (ev.done) {
            j->w = NULL;
        }
        if (rc && !ev.status)
            sc_err_prefix(&x, "%s", j->in);
        if (rc) {
            sc_tokw_abort(j->w);
            j->w = NULL;
            if (!ev.done)
                sc_encoder_cancel(e, ev.id, NULL);
            sc_tool_progress_end(&t);
            fprintf(stderr, "%s: %s\n", t.prog, x.msg);
            j->status = rc;
        }
        j->done |= ev.done || rc;
        if (rc == SC_ENOMEM)
            break;
        sc_tool_progress(&t, "file %lld/%d, %.1fx real time", (long long)ev.id + 1, nfiles,
                         audio_s / (now() - t0 + 1e-9));
    }
    if (r < 0)
        failed = 1;
    sc_err_clear(&err);
    sc_tool_progress_end(&t);
    sc_encoder_stats st;
    sc_encoder_get_stats(e, &st);
    double el = now() - t0;
    sc_log_msg(&t.log, SC_LOG_INFO,
               "%d files, %.1f s of audio in %.2f s (%.1fx real time); %lld windows in %lld "
               "batches: semantic %.2f s, acoustic %.2f s", nfiles, audio_s, el,
               audio_s / (el + 1e-9), (long long)st.windows, (long long)st.batches,
               st.semantic_s, st.acoustic_s);
    int status = 0;
    for (int i = 0; i < nfiles; i++)
        if (!jobs[i].done || jobs[i].status) {
            failed = 1;
            if (!status)
                status = sc_exit_status(jobs[i].done ? jobs[i].status : SC_EINTERNAL);
        }
    for (int i = 0; i < nfiles; i++)
        sc_tokw_abort(jobs[i].w);
    sc_encoder_destroy(e);
    sc_codec_close(c);
    for (int i = 0; i < nfiles; i++)
        free(jobs[i].out);
    free(jobs);
    for (int i = given; i < nfiles; i++)
        free(files[i]);
    free(files);
    return failed ? (status ? status : 70) : 0;
usage:
fail:
    sc_tool_progress_end(&t);
    sc_encoder_destroy(e);
    sc_codec_close(c);
    if (jobs)
        for (int i = 0; i < nfiles; i++)
            free(jobs[i].out);
    free(jobs);
    if (files)
        for (int i = given; i < nfiles; i++)
            free(files[i]);
    free(files);
    return sc_tool_fail(&t, &err);
}
