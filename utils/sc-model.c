/* sc-model: make, fetch, check and look into SemantiCodec model files.
 *
 *   sc-model synth   --rate R [--vocab V] -o DIR   synthetic model (noise)
 *   sc-model fetch   [--rate R] [--vocab V] -o DIR [--base-url URL]
 *   sc-model verify  [DIR] [--rate R] [--vocab V]
 *   sc-model inspect FILE
 *
 * The model directory uses the published layout (see sc/session.h).  verify
 * compares every checkpoint against the manifests of the synthetic kit,
 * which list the key set, dtypes and shapes of the official state dicts;
 * it reads only the zip directory and pickle (tensor bounds), never the
 * tensor data, so it takes well under a second even for the 6.8 GB
 * rate-25 encoder.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sc/ckpt.h"
#include "sc/npy.h"
#include "sc/synth.h"
#include "ckptwrite.h"
#include "fetch.h"
#include "tool.h"

#define DEFAULT_BASE_URL "https://huggingface.co/haoheliu/SemantiCodec/resolve/main"

enum { OPT_SYNTH_DIR = 0x3000, OPT_BASE_URL, OPT_FORCE, OPT_NO_VERIFY };

typedef struct opts {
    const char *out;
    const char *synth_dir;
    const char *base_url;
    int force, no_verify;
} opts;

static const int RATES[3] = { 100, 50, 25 };
static const int VOCABS[4] = { 4096, 8192, 16384, 32768 };

static int tool_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    opts *o = user;
    (void)t;
    switch (opt) {
    case 'o': o->out = arg; return SC_OK;
    case OPT_SYNTH_DIR: o->synth_dir = arg; return SC_OK;
    case OPT_BASE_URL: o->base_url = arg; return SC_OK;
    case OPT_FORCE: o->force = 1; return SC_OK;
    case OPT_NO_VERIFY: o->no_verify = 1; return SC_OK;
    default: return sc_err_set(err, SC_EARG, "unknown option (try --help)");
    }
}

/* Does argument a (an option) take the next argument as its value? */
static int takes_value(const char *a)
{
    static const char *longs[] = { "--config", "--model-dir", "--rate", "--vocab", "--backend",
                                   "--threads", "--output", "--synth-dir", "--base-url" };
    if (a[1] == '-') {
        for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
            if (!strcmp(a, longs[i]))
                return 1;
        return 0;
    }
    for (const char *p = a + 1; *p; p++)
        if (strchr("cmrVBjo", *p))
            return p[1] == '\0';
    return 0;
}

/* The common option parser stops at the first operand ("+" getopt), but
 * "sc-model verify DIR --rate 100" is natural: move the options (with
 * their values) in front of the operands.  "--" ends the options. */
static char **options_first(int argc, char **argv);

/* Was a common option given on the command line (as opposed to a default
 * or configuration value)?  argv is in options_first() order. */
static int given(int argc, char **argv, char shortopt, const char *longopt)
{
    size_t ll = strlen(longopt);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--") || a[0] != '-')
            return 0;
        if (a[1] == '-') {
            if (!strncmp(a + 2, longopt, ll) && (a[2 + ll] == '\0' || a[2 + ll] == '='))
                return 1;
        } else {
            for (const char *p = a + 1; *p; p++) {
                if (*p == shortopt)
                    return 1;
                if (strchr("cmrVBjo", *p))
                    break;          /* the rest is this option's value */
            }
        }
        if (takes_value(a))
            i++;
    }
    return 0;
}

static char **options_first(int argc, char **argv)
{
    char **out = calloc((size_t)argc + 2, sizeof *out);
    char **ops = calloc((size_t)argc + 1, sizeof *ops);
    if (!out || !ops) {
        free(out);
        free(ops);
        return NULL;
    }
    int n = 0, nops = 0, i;
    out[n++] = argv[0];
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] == '-' && a[1]) {
            out[n++] = argv[i];
            if (takes_value(a) && i + 1 < argc)
                out[n++] = argv[++i];
        } else {
            ops[nops++] = argv[i];
        }
    }
    out[n++] = (char *)"--";
    for (int k = 0; k < nops; k++)
        out[n++] = ops[k];
    for (; i < argc; i++)
        out[n++] = argv[i];
    out[n] = NULL;
    free(ops);
    return out;
}

/* Directories a fetch created, removed again (when empty) if it fails. */
typedef struct dirlist {
    char path[16][SC_PATH_MAX];
    int n;
} dirlist;

/* mkdir -p; the directories it creates are added to made (may be NULL). */
static int mkdirs(const char *path, dirlist *made, sc_err *err)
{
    char buf[SC_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sc_err_set(err, SC_ERANGE, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) == 0) {
                if (made && made->n < 16)
                    snprintf(made->path[made->n++], SC_PATH_MAX, "%s", buf);
            } else if (errno != EEXIST) {
                return sc_err_set(err, SC_EIO, "%s: cannot create directory: %s", buf,
                                  strerror(errno));
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return SC_OK;
}

static int mkparent(const char *file, dirlist *made, sc_err *err)
{
    char buf[SC_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", file) >= (int)sizeof buf)
        return sc_err_set(err, SC_ERANGE, "%s: path too long", file);
    char *s = strrchr(buf, '/');
    if (!s || s == buf)
        return SC_OK;
    *s = '\0';
    return mkdirs(buf, made, err);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Resident set size now (not the peak), for the open-cost report. */
static double resident_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directory cmd works on: -o DIR, else the configured model directory
 * (-m, $SC_MODEL_DIR, [model] dir).  verify names it as an operand. */
static const char *model_dir(const sc_tool *t, const opts *o, const char *cmd, sc_err *err)
{
    if (o->out)
        return o->out;
    if (t->cfg.model_dir[0])
        return t->cfg.model_dir;
    sc_err_set(err, SC_EARG, "%s: no model directory: give %s (or -m DIR, $SC_MODEL_DIR or "
               "[model] dir in sc.ini)", cmd, strcmp(cmd, "verify") ? "-o DIR" : "DIR");
    return NULL;
}

static sc_pool *make_pool(const sc_tool *t, sc_err *err)
{
    int n = t->cfg.threads > 0 ? t->cfg.threads : sc_ncpus();
    return sc_pool_create(n, err);
}

/* ---- synth ---------------------------------------------------------------- */

static int cmd_synth(sc_tool *t, opts *o, int argc, char **argv)
{
    sc_err err = { 0 };
    const char *dir = model_dir(t, o, "synth", &err);
    if (!dir)
        return sc_tool_fail(t, &err);
    if (t->nargs) {
        sc_err_set(&err, SC_EARG, "synth: unexpected argument '%s'", t->args[0]);
        return sc_tool_fail(t, &err);
    }
    int rate = t->cfg.token_rate;
    int nv = 4;
    int vocabs[4];
    memcpy(vocabs, VOCABS, sizeof vocabs);
    if (given(argc, argv, 'V', "vocab")) {
        vocabs[0] = t->cfg.sem_vocab;
        nv = 1;
    }
    for (int i = 0; i < nv; i++)
        if (!sc_model_valid(rate, vocabs[i])) {
            sc_err_set(&err, SC_EARG, "synth: rate %d vocabulary %d is not a published "
                       "configuration", rate, vocabs[i]);
            return sc_tool_fail(t, &err);
        }
    if (!t->quiet)
        fprintf(stderr, "%s: note: synthetic weights are generated, not learned: the codec "
                "will output noise (use them for tests and benchmarks)\n", t->prog);
    sc_pool *pool = make_pool(t, &err);
    if (!pool)
        return sc_tool_fail(t, &err);
    double t0 = now();
    uint64_t total = 0;
    int rc = SC_OK;
    char path[SC_PATH_MAX];
    static const char *which[2] = { "encoder", "decoder" };
    for (int w = 0; w < 2 && rc == SC_OK; w++) {
        sc_synth_manifest *m = sc_synth_manifest_open(o->synth_dir, rate, which[w], &err);
        if (!m) {
            rc = err.code;
            break;
        }
        if (sc_model_ckpt_path(dir, rate, which[w], path, sizeof path) != SC_OK)
            rc = sc_err_set(&err, SC_ERANGE, "%s: path too long", dir);
        if (rc == SC_OK)
            rc = mkparent(path, NULL, &err);
        if (rc == SC_OK) {
            double t1 = now();
            sc_tool_progress(t, "writing %s (%.2f GB)", path,
                             sc_synth_manifest_bytes(m) / 1e9);
            rc = sc_synth_write_ckpt(m, path, pool, &err);
            sc_tool_progress_end(t);
            if (rc == SC_OK) {
                total += sc_synth_manifest_bytes(m);
                sc_log_msg(&t->log, SC_LOG_INFO, "%s: %lld tensors, %.3f GB, %.2f s", path,
                           (long long)sc_synth_manifest_count(m),
                           sc_synth_manifest_bytes(m) / 1e9, now() - t1);
            }
        }
        sc_synth_manifest_free(m);
    }
    for (int i = 0; i < nv && rc == SC_OK; i++) {
        sc_synth_codebook_info info;
        rc = sc_synth_codebook_info_get(o->synth_dir, rate, vocabs[i], &info, &err);
        if (rc == SC_OK && sc_model_codebook_path(dir, rate, vocabs[i], path, sizeof path))
            rc = sc_err_set(&err, SC_ERANGE, "%s: path too long", dir);
        if (rc == SC_OK)
            rc = mkparent(path, NULL, &err);
        if (rc == SC_OK) {
            double t1 = now();
            rc = sc_synth_write_codebook(o->synth_dir, rate, vocabs[i], path, pool, &err);
            if (rc == SC_OK) {
                total += (uint64_t)(info.rows * info.cols) * 4;
                sc_log_msg(&t->log, SC_LOG_INFO, "%s: %lldx%lld, %.2f s", path,
                           (long long)info.rows, (long long)info.cols, now() - t1);
            }
        }
    }
    sc_pool_destroy(pool);
    if (rc != SC_OK)
        return sc_tool_fail(t, &err);
    if (!t->quiet)
        fprintf(stderr, "%s: wrote synthetic rate-%d model to %s (%.2f GB in %.1f s)\n",
                t->prog, rate, dir, total / 1e9, now() - t0);
    return 0;
}

/* ---- verify --------------------------------------------------------------- */

#define MAX_REPORT 10

typedef struct vstate {
    const sc_tool *t;
    int problems;
} vstate;

static void problem(vstate *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(vstate *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", v->t->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    v->problems++;
}

/* A variant the kit's README (section 2.6) says a loader must accept:
 * vector-quantize-pytorch >= 1.27 stores initted as a 0-dim bool. */
static int accepted_variant(const char *key, const sc_tensor *x)
{
    size_t n = strlen(key), k = strlen("_codebook.initted");
    return n >= k && !strcmp(key + n - k, "_codebook.initted") && x->dtype == SC_BOOL &&
           x->ndim == 0;
}

/* Mismatches of ck against m; up to `report` of them printed. */
static int compare(vstate *v, const sc_ckpt *ck, const sc_synth_manifest *m, const char *path,
                   int report)
{
    int bad = 0;
    for (int64_t i = 0; i < sc_synth_manifest_count(m); i++) {
        const sc_synth_entry *e = sc_synth_manifest_at(m, i);
        const sc_tensor *x = sc_ckpt_find(ck, e->key);
        char a[96], b[96];
        if (!x) {
            if (bad++ < report)
                problem(v, "%s: missing key '%s'", path, e->key);
            continue;
        }
        int same = x->dtype == e->dtype && x->ndim == e->ndim;
        for (int d = 0; same && d < e->ndim; d++)
            same = x->shape[d] == e->shape[d];
        if (!same && !accepted_variant(e->key, x) && bad++ < report)
            problem(v, "%s: key '%s': %s %s, expected %s %s", path, e->key,
                    sc_dtype_name(x->dtype), sc_shape_str(x->shape, x->ndim, a, sizeof a),
                    sc_dtype_name(e->dtype), sc_shape_str(e->shape, e->ndim, b, sizeof b));
    }
    return bad;
}

static void verify_ckpt(vstate *v, const char *synth_dir, const char *dir, int rate,
                        const char *which)
{
    char path[SC_PATH_MAX];
    sc_err err = { 0 };
    sc_model_ckpt_path(dir, rate, which, path, sizeof path);
    if (!file_exists(path)) {
        problem(v, "%s: missing (sc-model fetch or sc-model synth writes it)", path);
        return;
    }
    sc_synth_manifest *m = sc_synth_manifest_open(synth_dir, rate, which, &err);
    if (!m) {
        problem(v, "%s", err.msg);
        return;
    }
    double t0 = now();
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    if (!ck) {
        problem(v, "%s", err.msg);
        sc_synth_manifest_free(m);
        return;
    }
    sc_log_msg(&v->t->log, SC_LOG_INFO, "%s: opened in %.1f ms, resident memory %.1f MB", path,
               (now() - t0) * 1e3, resident_mb());
    int bad = compare(v, ck, m, path, 0);
    if (bad) {
        /* Another rate's checkpoint in this folder?  Say so rather than
         * listing hundreds of shape mismatches. */
        static const char *kinds[2] = { "encoder", "decoder" };
        for (int k = 0; k < 2; k++)
            for (int r = 0; r < 3; r++) {
                int same_kind = !strcmp(kinds[k], which);
                if (RATES[r] == rate && same_kind)
                    continue;
                sc_err e2 = { 0 };
                sc_synth_manifest *m2 = sc_synth_manifest_open(synth_dir, RATES[r], kinds[k], &e2);
                if (m2 && compare(v, ck, m2, path, 0) == 0) {
                    if (same_kind)
                        problem(v, "%s: is a rate-%d %s checkpoint, expected rate %d", path,
                                RATES[r], which, rate);
                    else
                        problem(v, "%s: is a rate-%d %s checkpoint, expected the rate-%d %s",
                                path, RATES[r], kinds[k], rate, which);
                    sc_synth_manifest_free(m2);
                    goto out;
                }
                sc_synth_manifest_free(m2);
            }
        compare(v, ck, m, path, MAX_REPORT);
        if (bad > MAX_REPORT)
            problem(v, "%s: ... %d more mismatches", path, bad - MAX_REPORT);
        v->problems += bad - (bad > MAX_REPORT ? MAX_REPORT + 1 : bad);
    }
    int64_t extra = 0;
    for (int64_t i = 0; i < sc_ckpt_count(ck); i++) {
        const char *key;
        sc_ckpt_at(ck, i, &key);
        if (!sc_synth_manifest_find(m, key) && extra++ < MAX_REPORT)
            sc_log_msg(&v->t->log, SC_LOG_WARN, "%s: unexpected key '%s' (ignored)", path, key);
    }
    if (!bad)
        sc_log_msg(&v->t->log, SC_LOG_INFO, "%s: %lld tensors match the rate-%d manifest", path,
                   (long long)sc_synth_manifest_count(m), rate);
out:
    sc_ckpt_close(ck);
    sc_synth_manifest_free(m);
}

static void verify_codebook(vstate *v, const char *dir, int rate, int vocab, int must_exist,
                            int *found)
{
    char path[SC_PATH_MAX];
    sc_model_codebook_path(dir, rate, vocab, path, sizeof path);
    if (!file_exists(path)) {
        if (must_exist)
            problem(v, "%s: missing (the rate-%d vocabulary-%d codebook)", path, rate, vocab);
        return;
    }
    (*found)++;
    sc_err err = { 0 };
    sc_tensor cb;
    if (sc_npy_load(path, &cb, &err) != SC_OK) {
        problem(v, "%s", err.msg);
        return;
    }
    int64_t width = 768 * (100 / rate);
    char s[96];
    sc_shape_str(cb.shape, cb.ndim, s, sizeof s);
    if (cb.dtype != SC_F32)
        problem(v, "%s: dtype %s, expected float32", path, sc_dtype_name(cb.dtype));
    else if (cb.ndim != 2)
        problem(v, "%s: shape %s, expected %dx%lld", path, s, vocab, (long long)width);
    else if (cb.shape[1] != width) {
        int other = cb.shape[1] == 768 ? 100 : cb.shape[1] == 1536 ? 50
                  : cb.shape[1] == 3072 ? 25 : 0;
        if (other)
            problem(v, "%s: shape %s is a rate-%d codebook (width %lld), expected rate %d "
                    "(width %lld)", path, s, other, (long long)cb.shape[1], rate,
                    (long long)width);
        else
            problem(v, "%s: shape %s, expected %dx%lld", path, s, vocab, (long long)width);
    } else if (cb.shape[0] != vocab)
        problem(v, "%s: %lld rows, expected %d (the vocabulary size)", path,
                (long long)cb.shape[0], vocab);
    sc_tensor_release(&cb);
}

static int verify_dir(sc_tool *t, const opts *o, const char *dir, int nr, const int *rates,
                      int nv, const int *vocabs, int vocab_given)
{
    vstate v = { t, 0 };
    struct stat st;
    if (stat(dir, &st) != 0) {
        problem(&v, "%s: %s", dir, errno == ENOENT ? "no such directory" : strerror(errno));
        return 66; /* EX_NOINPUT */
    }
    if (!S_ISDIR(st.st_mode)) {
        problem(&v, "%s: not a directory (verify checks a model directory; sc-model inspect "
                "FILE looks into one file)", dir);
        return 66;
    }
    int checked = 0;
    for (int r = 0; r < nr; r++) {
        char sub[SC_PATH_MAX];
        snprintf(sub, sizeof sub, "%s/semanticodec_tokenrate_%d", dir, rates[r]);
        if (nr > 1 && (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)))
            continue;       /* verifying whatever rates the folder has */
        checked++;
        verify_ckpt(&v, o->synth_dir, dir, rates[r], "encoder");
        verify_ckpt(&v, o->synth_dir, dir, rates[r], "decoder");
        int found = 0;
        for (int i = 0; i < nv; i++)
            verify_codebook(&v, dir, rates[r], vocabs[i], vocab_given, &found);
        if (!found && !vocab_given) {
            char p[SC_PATH_MAX];
            sc_model_codebook_path(dir, rates[r], vocabs[0], p, sizeof p);
            *strrchr(p, '/') = '\0';
            problem(&v, "%s: no semantic codebook for rate %d", p, rates[r]);
        }
        if (!t->quiet && !v.problems)
            printf("%s: rate %d: encoder.ckpt, decoder.ckpt and %d codebook%s OK\n", dir,
                   rates[r], found, found == 1 ? "" : "s");
    }
    if (!checked)
        problem(&v, "%s: no semanticodec_tokenrate_{100,50,25} folder (not a model directory)",
                dir);
    return v.problems ? 65 /* EX_DATAERR */ : 0;
}

static int cmd_verify(sc_tool *t, opts *o, int argc, char **argv)
{
    sc_err err = { 0 };
    const char *dir = t->nargs ? t->args[0] : model_dir(t, o, "verify", &err);
    if (!dir)
        return sc_tool_fail(t, &err);
    if (t->nargs > 1) {
        sc_err_set(&err, SC_EARG, "verify: one directory expected");
        return sc_tool_fail(t, &err);
    }
    int rate = t->cfg.token_rate, vocab = t->cfg.sem_vocab;
    int rg = given(argc, argv, 'r', "rate"), vg = given(argc, argv, 'V', "vocab");
    return verify_dir(t, o, dir, rg ? 1 : 3, rg ? &rate : RATES, vg ? 1 : 4,
                      vg ? &vocab : VOCABS, vg);
}

/* ---- inspect -------------------------------------------------------------- */

static int prefix(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

/* Which stage reads a key (ARCHITECTURE.md section 11 of the kit). */
static const char *stage_of(const char *k)
{
    static const char *schedule[] = {
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
        "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod",
        "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
        "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
        "scale_factor",
    };
    if (prefix(k, "audiomae.")) {
        if (prefix(k, "audiomae.model.decoder_") || !strcmp(k, "audiomae.model.mask_token"))
            return "unused";
        return "semantic";
    }
    if (prefix(k, "quantizer._codebook.")) {
        const char *s = k + strlen("quantizer._codebook.");
        return !strcmp(s, "embed") ? "acoustic" : "unused";
    }
    if (prefix(k, "encoder.") || prefix(k, "encoder_output_linear.") || prefix(k, "quantizer."))
        return "acoustic";
    if (prefix(k, "model.diffusion_model.") || prefix(k, "cond_stage_model"))
        return "decoder";
    for (size_t i = 0; i < sizeof schedule / sizeof schedule[0]; i++)
        if (!strcmp(k, schedule[i]))
            return "decoder";
    if (prefix(k, "first_stage_model.decoder.") || prefix(k, "first_stage_model.post_quant_conv.")
        || prefix(k, "first_stage_model.vocoder."))
        return "vocoder";
    if (prefix(k, "model_ema.") || prefix(k, "first_stage_model.encoder.") ||
        prefix(k, "first_stage_model.quant_conv.") || !strcmp(k, "logvar"))
        return "unused";
    return "unknown";
}

static int cmd_inspect(sc_tool *t, opts *o)
{
    sc_err err = { 0 };
    (void)o;
    if (t->nargs != 1) {
        sc_err_set(&err, SC_EARG, "inspect: give one FILE (.ckpt or .npy)");
        return sc_tool_fail(t, &err);
    }
    const char *path = t->args[0];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        sc_err_set(&err, SC_EARG, "%s: is a directory; inspect looks into one .ckpt or .npy "
                   "file (sc-model verify %s checks a model directory)", path, path);
        return sc_tool_fail(t, &err);
    }
    FILE *f = fopen(path, "rb");
    unsigned char magic[6] = { 0 };
    if (!f) {
        sc_err_set(&err, errno == ENOENT ? SC_ENOTFOUND : SC_EIO, "%s: %s", path,
                   strerror(errno));
        return sc_tool_fail(t, &err);
    }
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    char shape[96];
    if (got == 6 && !memcmp(magic, "\x93NUMPY", 6)) {
        sc_tensor x;
        if (sc_npy_load(path, &x, &err) != SC_OK)
            return sc_tool_fail(t, &err);
        uint64_t bytes = (uint64_t)sc_tensor_numel(&x) * sc_dtype_size(x.dtype);
        printf("%s: npy array %s %s, %llu bytes", path, sc_dtype_name(x.dtype),
               sc_shape_str(x.shape, x.ndim, shape, sizeof shape), (unsigned long long)bytes);
        if (x.ndim == 2 && x.dtype == SC_F32 &&
            (x.shape[1] == 768 || x.shape[1] == 1536 || x.shape[1] == 3072))
            printf(" (semantic codebook: rate %d, vocabulary %lld)", 76800 / (int)x.shape[1],
                   (long long)x.shape[0]);
        printf("\n");
        sc_tensor_release(&x);
        return 0;
    }
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    if (!ck)
        return sc_tool_fail(t, &err);
    int64_t n = sc_ckpt_count(ck);
    size_t kw = 3;
    for (int64_t i = 0; i < n; i++) {
        const char *key;
        sc_ckpt_at(ck, i, &key);
        if (strlen(key) > kw)
            kw = strlen(key);
    }
    static const char *stages[] = { "semantic", "acoustic", "decoder", "vocoder", "unused",
                                    "unknown" };
    uint64_t sbytes[6] = { 0 };
    int64_t scount[6] = { 0 }, total_count = 0;
    uint64_t total = 0;
    printf("%-*s  %-8s  %-16s  %12s  %s\n", (int)kw, "key", "dtype", "shape", "bytes", "stage");
    for (int64_t i = 0; i < n; i++) {
        const char *key;
        const sc_tensor *x = sc_ckpt_at(ck, i, &key);
        uint64_t bytes = (uint64_t)sc_tensor_numel(x) * sc_dtype_size(x->dtype);
        const char *st = stage_of(key);
        printf("%-*s  %-8s  %-16s  %12llu  %s\n", (int)kw, key, sc_dtype_name(x->dtype),
               sc_shape_str(x->shape, x->ndim, shape, sizeof shape), (unsigned long long)bytes,
               st);
        for (int s = 0; s < 6; s++)
            if (!strcmp(st, stages[s])) {
                sbytes[s] += bytes;
                scount[s]++;
            }
        total += bytes;
        total_count++;
    }
    printf("# %s: %s checkpoint, %lld tensors, %llu bytes\n", path,
           sc_ckpt_format(ck) == 1 ? "zip" : "legacy", (long long)total_count,
           (unsigned long long)total);
    for (int s = 0; s < 6; s++)
        if (scount[s])
            printf("# %-8s %6lld tensors %14llu bytes\n", stages[s], (long long)scount[s],
                   (unsigned long long)sbytes[s]);
    sc_ckpt_close(ck);
    return 0;
}

/* ---- fetch ---------------------------------------------------------------- */

/* What a fetch downloads: the files of the rates and vocabularies asked
 * for, with their sizes from the manifests (the tensor bytes, which are
 * within 0.1 % of the published files; a codebook is its array plus the
 * 128-byte .npy header). */
typedef struct fetch_item {
    char path[SC_PATH_MAX];
    uint64_t bytes;
} fetch_item;

static int fetch_plan(const opts *o, const char *dir, int nr, const int *rates, int nv,
                      const int *vocabs, fetch_item *items, int *n, sc_err *err)
{
    *n = 0;
    for (int r = 0; r < nr; r++) {
        for (int w = 0; w < 2; w++) {
            const char *which = w ? "decoder" : "encoder";
            fetch_item *it = &items[(*n)++];
            sc_model_ckpt_path(dir, rates[r], which, it->path, sizeof it->path);
            sc_err e2 = { 0 };
            sc_synth_manifest *m = sc_synth_manifest_open(o->synth_dir, rates[r], which, &e2);
            it->bytes = m ? sc_synth_manifest_bytes(m) : 0;   /* size unknown: no percentage */
            sc_synth_manifest_free(m);
        }
        for (int i = 0; i < nv; i++) {
            if (!sc_model_valid(rates[r], vocabs[i]))
                return sc_err_set(err, SC_EARG, "fetch: rate %d vocabulary %d is not a "
                                  "published configuration", rates[r], vocabs[i]);
            fetch_item *it = &items[(*n)++];
            sc_model_codebook_path(dir, rates[r], vocabs[i], it->path, sizeof it->path);
            it->bytes = (uint64_t)vocabs[i] * 768u * (uint64_t)(100 / rates[r]) * 4u + 128u;
        }
    }
    return SC_OK;
}

static int fetch_one(const sc_tool *t, const opts *o, const char *curl, const char *dir,
                     const fetch_item *it, dirlist *made, sc_err *err)
{
    const char *path = it->path, *rel = path + strlen(dir) + 1;
    int rc = mkparent(path, made, err);
    if (rc)
        return rc;
    char url[SC_PATH_MAX * 2], part[SC_PATH_MAX + 8], size[32];
    const char *base = o->base_url ? o->base_url : DEFAULT_BASE_URL;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof url, "%.*s/%s", (int)bl, base, rel);
    if (snprintf(part, sizeof part, "%s.part", path) >= (int)sizeof part)
        return sc_err_set(err, SC_ERANGE, "%s: path too long", path);
    if (o->force)
        unlink(part);
    if (!t->quiet) {
        if (it->bytes)
            fprintf(stderr, "%s: fetching %s (%s)\n", t->prog, url,
                    sc_fetch_size_str(it->bytes, size, sizeof size));
        else
            fprintf(stderr, "%s: fetching %s\n", t->prog, url);
    }
    rc = sc_fetch_file(t, curl, url, part, it->bytes, err);
    if (rc)
        return rc;
    if (rename(part, path) != 0)
        return sc_err_set(err, SC_EIO, "%s: cannot rename from %s: %s", path, part,
                          strerror(errno));
    return SC_OK;
}

static int cmd_fetch(sc_tool *t, opts *o, int argc, char **argv)
{
    sc_err err = { 0 };
    const char *dir = model_dir(t, o, "fetch", &err);
    if (!dir)
        return sc_tool_fail(t, &err);
    if (t->nargs) {
        sc_err_set(&err, SC_EARG, "fetch: unexpected argument '%s'", t->args[0]);
        return sc_tool_fail(t, &err);
    }
    int rate = t->cfg.token_rate, vocab = t->cfg.sem_vocab;
    int rg = given(argc, argv, 'r', "rate"), vg = given(argc, argv, 'V', "vocab");
    const int *rates = rg ? &rate : RATES, *vocabs = vg ? &vocab : VOCABS;
    int nr = rg ? 1 : 3, nv = vg ? 1 : 4, n;
    fetch_item items[3 * 6];
    char curl[SC_PATH_MAX], size[32];
    if (fetch_plan(o, dir, nr, rates, nv, vocabs, items, &n, &err) ||
        sc_fetch_find_curl(curl, sizeof curl, &err))
        return sc_tool_fail(t, &err);
    uint64_t total = 0;
    int todo = 0;
    for (int i = 0; i < n; i++) {
        if (file_exists(items[i].path) && !o->force) {
            sc_log_msg(&t->log, SC_LOG_INFO, "%s: already there", items[i].path);
            items[i].path[0] = '\0';
            continue;
        }
        total += items[i].bytes;
        todo++;
    }
    if (todo && !t->quiet)
        fprintf(stderr, "%s: %d file%s, about %s, to download into %s\n", t->prog, todo,
                todo == 1 ? "" : "s", sc_fetch_size_str(total, size, sizeof size), dir);
    dirlist made = { .n = 0 };
    int rc = mkdirs(dir, &made, &err);
    for (int i = 0; i < n && rc == SC_OK; i++)
        if (items[i].path[0])
            rc = fetch_one(t, o, curl, dir, &items[i], &made, &err);
    if (rc) {
        /* Keep partial downloads (run again to resume), not empty folders. */
        for (int i = made.n - 1; i >= 0; i--)
            rmdir(made.path[i]);
        return sc_tool_fail(t, &err);
    }
    if (o->no_verify)
        return 0;
    return verify_dir(t, o, dir, nr, rates, nv, vocabs, 1);
}

/* ---- main ------------------------------------------------------------------ */

static const char HELP[] =
    "  Commands:\n"
    "    synth   --rate R [--vocab V] -o DIR   write a synthetic model (all four\n"
    "            vocabularies without --vocab); its output is noise\n"
    "    fetch   [--rate R] [--vocab V] -o DIR  download the published model\n"
    "            (all rates / vocabularies unless given), then verify it\n"
    "    verify  [DIR] [--rate R] [--vocab V]   check files, keys, dtypes, shapes\n"
    "    inspect FILE                           list tensors and the stage using each\n"
    "\n"
    "  -o, --output=DIR      model directory to write (default: -m DIR)\n"
    "      --synth-dir=DIR   manifests of the synthetic kit (default: $SC_SYNTH_DIR or\n"
    "                        the installed copy)\n"
    "      --base-url=URL    fetch from URL (default " DEFAULT_BASE_URL ")\n"
    "      --force           fetch again even if a file is there\n"
    "      --no-verify       fetch without verifying afterwards\n"
    "\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, 0, 'o' },
        { "synth-dir", required_argument, 0, OPT_SYNTH_DIR },
        { "base-url", required_argument, 0, OPT_BASE_URL },
        { "force", no_argument, 0, OPT_FORCE },
        { "no-verify", no_argument, 0, OPT_NO_VERIFY },
        { 0, 0, 0, 0 },
    };
    opts o = { 0 };
    sc_tool t;
    sc_tool_spec spec = {
        .prog = "sc-model",
        .synopsis = "COMMAND [options] [ARG]",
        .help = HELP,
        .shortopts = "o:",
        .longopts = longopts,
        .fn = tool_opt,
        .user = &o,
    };
    /* "sc-model COMMAND options...": the options follow the command. */
    const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    int sub_argc = cmd ? argc - 1 : argc;
    char **sub_argv = options_first(sub_argc, cmd ? argv + 1 : argv);
    if (!sub_argv) {
        fprintf(stderr, "sc-model: out of memory\n");
        return 71;
    }
    sub_argc++;             /* the "--" inserted */
    if (sc_tool_init(&t, &spec, sub_argc, sub_argv))
        return t.exit_code;
    if (!o.synth_dir)
        o.synth_dir = t.cfg.synth_dir[0] ? t.cfg.synth_dir : sc_synth_default_dir();
    sc_err err = { 0 };
    if (!cmd) {
        sc_err_set(&err, SC_EARG, "no command: synth, fetch, verify or inspect (try --help)");
        return sc_tool_fail(&t, &err);
    }
    if (!strcmp(cmd, "synth"))
        return cmd_synth(&t, &o, sub_argc, sub_argv);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(&t, &o, sub_argc, sub_argv);
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(&t, &o);
    if (!strcmp(cmd, "fetch"))
        return cmd_fetch(&t, &o, sub_argc, sub_argv);
    sc_err_set(&err, SC_EARG, "unknown command '%s': synth, fetch, verify or inspect", cmd);
    return sc_tool_fail(&t, &err);
}
