/* sc-encode: audio files to SemantiCodec tokens in one process
 * (sc-encode(1)).  The model is loaded once; windows of all inputs share
 * the tokenizer queue, so windows of different files run through the
 * BiLSTM together.  The output of each file equals sc-mel | sc-tokenize. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/stage_frontend.h"
#include "sc/tokstream.h"
#include "../libsc/codec/tk.h"
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
    const sc_tool *t;
    double seconds;        /* audio length */
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

static int emit(void *user, const int64_t *sem, const int64_t *ac, int64_t n, sc_err *err)
{
    job_ctx *j = user;
    return sc_tokw_write2(j->w, sem, ac, n, err);
}

static void finish(void *user, int status, const sc_err *err)
{
    job_ctx *j = user;
    sc_err e = {0};
    j->done = 1;
    if (status == SC_OK && sc_tokw_close(j->w, &e) == SC_OK) {
        j->w = NULL;
        return;
    }
    if (status == SC_OK)
        status = e.code;
    else {
        sc_tokw_abort(j->w);
        if (err)
            e = *err;
    }
    j->w = NULL;
    j->status = status;
    sc_tool_progress_end(j->t);
    fprintf(stderr, "%s: %s: %s\n", j->t->prog, j->in,
            e.msg[0] ? e.msg : sc_strerror(status));
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

/* Samples of one input: a seekable 16 kHz file is read twice (the sum for
 * the global mean, then one window span at a time), so memory does not
 * grow with its length; anything else is decoded whole. */
typedef struct source {
    sc_audio *a;           /* streaming; NULL: whole signal in wave */
    float *wave;           /* whole signal, or the current span */
    int64_t n, buffered, next_w;
} source;

static void src_close(source *s)
{
    sc_audio_close(s->a);
    free(s->wave);
    memset(s, 0, sizeof *s);
}

static int src_open(source *s, const char *path, sc_pool *pool, double *sum, sc_err *err)
{
    memset(s, 0, sizeof *s);
    sc_audio *a = sc_audio_open(path, err);
    if (!a)
        return err->code;
    const sc_audio_info *ai = sc_audio_get_info(a);
    if (!ai->seekable || ai->sample_rate != SC_FRONTEND_RATE) {
        int rc = sc_audio_load_from(a, SC_FRONTEND_RATE, pool, &s->wave, &s->n, err);   /* closes a */
        if (rc < 0)
            return rc;
        *sum = sc_frontend_sum(0.0, s->wave, s->n);
        return SC_OK;
    }
    s->a = a;
    enum { CHUNK = 65536 };
    if (!(s->wave = malloc(sizeof(float) * (CHUNK > SC_FRONTEND_SPAN ? CHUNK : SC_FRONTEND_SPAN))))
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    double acc = 0.0;
    int64_t r;
    while ((r = sc_audio_read(a, s->wave, CHUNK, err)) > 0) {
        acc = sc_frontend_sum(acc, s->wave, r);
        s->n += r;
    }
    if (r < 0)
        return (int)r;
    if (s->n == 0)
        return sc_err_set(err, SC_EFORMAT, "%s: no audio samples", path);
    *sum = acc;
    return sc_audio_rewind(a, err);
}

/* Window w's input span (windows in order when streaming). */
static int src_span(source *s, int64_t w, const float **x, int64_t *len, sc_err *err)
{
    int64_t off;
    sc_frontend_span(s->n, w, &off, len);
    if (!s->a) {
        *x = *len ? s->wave + off : NULL;
        return SC_OK;
    }
    if (w != s->next_w)
        return sc_err_set(err, SC_EINTERNAL, "windows out of order");
    if (w > 0) {
        /* the 240 samples past a window's start + 163840 begin the next */
        int64_t have = s->buffered - SC_FRONTEND_WINDOW;
        have = have < 0 ? 0 : have > SC_FRONTEND_SPAN - SC_FRONTEND_WINDOW
                                  ? SC_FRONTEND_SPAN - SC_FRONTEND_WINDOW : have;
        memmove(s->wave, s->wave + SC_FRONTEND_WINDOW, sizeof(float) * (size_t)have);
        s->buffered = have;
    }
    while (s->buffered < *len) {
        int64_t r = sc_audio_read(s->a, s->wave + s->buffered, *len - s->buffered, err);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return sc_err_set(err, SC_EIO, "%s: input shrank between passes",
                              sc_audio_name(s->a));
        s->buffered += r;
    }
    s->next_w++;
    *x = *len ? s->wave : NULL;
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
    sc_session *s = NULL;
    sc_tk *tk = NULL;
    float *win = NULL;
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
        jobs[i].t = &t;
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

    if (!(s = sc_tool_session(&t, &err)) || !(tk = sc_tk_new(s, t.cfg.batch, &err)))
        goto fail;
    sc_stage *fe = sc_session_stage(s, SC_KIND_FRONTEND, &err);
    if (!fe)
        goto fail;
    const sc_frontend_vt *fvt = fe->vt;
    const sc_model_info *m = sc_session_model(s);
    int rate = m->token_rate;
    if (!(win = malloc(sizeof(float) * SC_FRONTEND_FRAMES * SC_FRONTEND_BINS))) {
        sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto fail;
    }
    double t0 = now(), audio_s = 0;
    for (int i = 0; i < nfiles; i++) {
        job_ctx *j = &jobs[i];
        sc_err e = {0};
        source src;
        double sum = 0.0;
        if (src_open(&src, j->in, sc_session_pool(s), &sum, &e) != SC_OK) {
            src_close(&src);
            sc_tool_progress_end(&t);
            fprintf(stderr, "%s: %s\n", t.prog, e.msg);
            j->done = 1;
            j->status = e.code;
            continue;
        }
        int64_t n = src.n;
        int64_t nwin = fvt->begin(fe->self, n, sum, &e);
        int64_t tkeep = sc_frontend_tkeep(n, rate);
        sc_tok_header th = {rate, m->sem_vocab, m->ac_vocab,
                            m->synthetic ? SC_TOKF_SYNTHETIC : 0, n, tkeep};
        sc_tk_job *job = NULL;
        if (nwin < 0 || !(j->w = sc_tokw_open(j->out, o.fmt, &th, &e)) ||
            !(job = sc_tk_begin(tk, tkeep, emit, finish, j, &e))) {
            sc_tokw_abort(j->w);
            j->w = NULL;
            src_close(&src);
            sc_tool_progress_end(&t);
            fprintf(stderr, "%s: %s: %s\n", t.prog, j->in, e.msg);
            j->done = 1;
            j->status = e.code ? e.code : SC_EINTERNAL;
            if (e.code == SC_ENOMEM)
                break;
            continue;
        }
        j->seconds = (double)n / SC_FRONTEND_RATE;
        for (int64_t w = 0; w < nwin; w++) {
            const float *x = NULL;
            int64_t len;
            int rc = src_span(&src, w, &x, &len, &e);
            if (rc == SC_OK)
                rc = fvt->window(fe->self, w, x, len, win, &e);
            if (rc == SC_OK)
                rc = sc_tk_push(tk, job, win, &e);
            if (rc != SC_OK) {
                if (!j->done)
                    sc_tk_cancel(tk, job, rc, &e);
                else
                    sc_tk_end(tk, job, &e);
                job = NULL;
                break;
            }
            sc_tool_progress(&t, "file %d/%d, window %lld/%lld, %.1fx real time", i + 1, nfiles,
                             (long long)w + 1, (long long)nwin,
                             audio_s / (now() - t0 + 1e-9));
        }
        if (job)
            sc_tk_end(tk, job, &e);
        src_close(&src);
        audio_s += j->seconds;
    }
    if (sc_tk_flush(tk, &err) != SC_OK)
        failed = 1;   /* every job in the batch reported itself */
    sc_err_clear(&err);
    sc_tool_progress_end(&t);
    const sc_tk_stats *st = sc_tk_get_stats(tk);
    double el = now() - t0;
    sc_log_msg(&t.log, SC_LOG_INFO,
               "%d files, %.1f s of audio in %.2f s (%.1fx real time); %lld windows in %lld "
               "batches: semantic %.2f s, acoustic %.2f s", nfiles, audio_s, el,
               audio_s / (el + 1e-9), (long long)st->windows, (long long)st->batches,
               st->semantic_s, st->acoustic_s);
    int status = 0;
    for (int i = 0; i < nfiles; i++)
        if (!jobs[i].done || jobs[i].status) {
            failed = 1;
            if (!status)
                status = sc_exit_status(jobs[i].done ? jobs[i].status : SC_EINTERNAL);
        }
    free(win);
    sc_tk_free(tk);
    sc_session_close(s);
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
    free(win);
    sc_tk_free(tk);
    sc_session_close(s);
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
