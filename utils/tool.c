/* Common option parsing, configuration and messages for the tools. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "sc/util.h"
#include "tool.h"

enum { OPT_VERSION = 0x1000, OPT_SYNTHETIC, OPT_TOOL_BASE = 0x2000 };

static const struct option common_long[] = {
    {"config", required_argument, 0, 'c'},   {"model-dir", required_argument, 0, 'm'},
    {"rate", required_argument, 0, 'r'},     {"vocab", required_argument, 0, 'V'},
    {"backend", required_argument, 0, 'B'},  {"threads", required_argument, 0, 'j'},
    {"synthetic", no_argument, 0, OPT_SYNTHETIC},
    {"quiet", no_argument, 0, 'q'},          {"verbose", no_argument, 0, 'v'},
    {"help", no_argument, 0, 'h'},           {"version", no_argument, 0, OPT_VERSION},
};
#define NCOMMON (sizeof common_long / sizeof common_long[0])

static const char common_help[] =
    "  -c, --config=FILE     read FILE after the standard configuration files\n"
    "  -m, --model-dir=DIR   model directory (published layout; also $SC_MODEL_DIR)\n"
    "  -r, --rate=RATE       token rate: 100, 50 or 25 tokens/s\n"
    "  -V, --vocab=VOCAB     semantic vocabulary: 4096, 8192, 16384 or 32768\n"
    "  -B, --backend=NAME    compute backend: ref, blas or cuda\n"
    "  -j, --threads=N       worker threads (0 = one per usable CPU)\n"
    "      --synthetic       generated synthetic weights (output is noise)\n"
    "  -q, --quiet           only errors\n"
    "  -v, --verbose         more messages (twice: debug)\n"
    "  -h, --help            this help\n"
    "      --version         version\n";

typedef struct {
    const char *section, *key;
    char *value;
    char where[32];
} override;

int sc_tool_fail(const sc_tool *t, const sc_err *err)
{
    fprintf(stderr, "%s: %s\n", t->prog, err->msg[0] ? err->msg : sc_strerror(err->code));
    return sc_exit_status(err->code);
}

int sc_tool_parse_int(const char *opt, const char *arg, long lo, long hi, long *out, sc_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi)
        return sc_err_set(err, SC_EARG, "option %s: '%s' is not an integer in %ld..%ld", opt,
                          arg, lo, hi);
    *out = v;
    return SC_OK;
}

int sc_tool_parse_double(const char *opt, const char *arg, double lo, double hi, double *out,
                         sc_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= lo && v <= hi))
        return sc_err_set(err, SC_EARG, "option %s: '%s' is not a number in %g..%g", opt, arg,
                          lo, hi);
    *out = v;
    return SC_OK;
}

int sc_tool_init(sc_tool *t, const sc_tool_spec *spec, int argc, char **argv)
{
    memset(t, 0, sizeof *t);
    t->prog = spec->prog;
    t->log.fn = sc_log_stderr;
    t->log.user = (void *)spec->prog;
    t->log.level = SC_LOG_WARN;
    /* an interrupted run leaves no OUT.tmp.XXXXXX behind */
    sc_tmp_cleanup_on_signals();

    /* Build the option tables: common + tool-specific. */
    size_t nextra = 0;
    while (spec->longopts && spec->longopts[nextra].name)
        nextra++;
    struct option *lo = calloc(NCOMMON + nextra + 1, sizeof *lo);
    char shortopts[128];
    snprintf(shortopts, sizeof shortopts, "c:m:r:V:B:j:qvh%s", spec->shortopts ? spec->shortopts : "");
    override ov[64];
    int nov = 0;
    const char *config_file = NULL;
    sc_err err = {0};
    if (!lo) {
        sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(lo, common_long, sizeof common_long);
    if (nextra)
        memcpy(lo + NCOMMON, spec->longopts, nextra * sizeof *lo);

    opterr = 0;
    optind = 1;
    int c, verbose = 0, quiet = 0;
    const char *last_optarg = NULL;
    while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
        const char *sec = NULL, *key = NULL;
        last_optarg = optarg;
        switch (c) {
        case 'c': config_file = optarg; continue;
        case 'm': sec = "model"; key = "dir"; break;
        case 'r': sec = "model"; key = "rate"; break;
        case 'V': sec = "model"; key = "vocab"; break;
        case 'B': sec = "backend"; key = "default"; break;
        case 'j': sec = "backend"; key = "threads"; break;
        case OPT_SYNTHETIC: sec = "model"; key = "synthetic"; optarg = (char *)"yes"; break;
        case 'q': quiet = 1; continue;
        case 'v': verbose++; continue;
        case 'h':
            printf("Usage: %s %s\n\nOptions:\n%s%s\nSee %s(1).\n", spec->prog, spec->synopsis,
                   spec->help ? spec->help : "", common_help, spec->prog);
            t->exit_code = 0;
            free(lo);
            return 1;
        case OPT_VERSION:
            printf("%s (%s) %s\n", spec->prog, PACKAGE_NAME, PACKAGE_VERSION);
            t->exit_code = 0;
            free(lo);
            return 1;
        case '?':
            if (optopt && optopt < 256)
                sc_err_set(&err, SC_EARG, "unknown option -%c or missing value (try --help)",
                           optopt);
            else
                sc_err_set(&err, SC_EARG, "unknown option %s or missing value (try --help)",
                           argv[optind - 1]);
            goto fail;
        case ':':
            sc_err_set(&err, SC_EARG, "option needs a value: %s", argv[optind - 1]);
            goto fail;
        default:
            if (!spec->fn || spec->fn(t, c, optarg, spec->user, &err) != SC_OK) {
                if (!err.code)
                    sc_err_set(&err, SC_EARG, "unknown option (try --help)");
                goto fail;
            }
            continue;
        }
        if (nov == 64) {
            sc_err_set(&err, SC_EARG, "too many options");
            goto fail;
        }
        ov[nov].section = sec;
        ov[nov].key = key;
        ov[nov].value = optarg;
        snprintf(ov[nov].where, sizeof ov[nov].where, "option -%c", c < 256 ? c : '-');
        nov++;
    }
    t->args = argv + optind;
    t->nargs = argc - optind;
    /* getopt moved every operand behind the "--" (not one given as the
     * value of an option, as in -o --) */
    t->operands_only = optind > 1 && !strcmp(argv[optind - 1], "--") &&
                       argv[optind - 1] != last_optarg;
    free(lo);
    lo = NULL;

    if (sc_config_load_standard(&t->cfg, config_file, &err))
        goto fail;
    for (int i = 0; i < nov; i++)
        if (sc_config_set(&t->cfg, ov[i].section, ov[i].key, ov[i].value, ov[i].where, &err))
            goto fail;
    t->quiet = quiet;
    t->verbose = verbose;
    t->log.level = quiet ? SC_LOG_ERROR
                         : verbose ? (verbose > 1 ? SC_LOG_DEBUG : SC_LOG_INFO)
                                   : (t->cfg.log_level < SC_LOG_WARN ? t->cfg.log_level
                                                                     : SC_LOG_WARN);
    if (verbose)
        t->log.level = verbose > 1 ? SC_LOG_DEBUG : SC_LOG_INFO;
    return 0;
fail:
    free(lo);
    t->exit_code = sc_tool_fail(t, &err);
    return 1;
}

sc_session *sc_tool_session(sc_tool *t, sc_err *err)
{
    return sc_session_open(&t->cfg, &t->log, err);
}

void sc_tool_progress(const sc_tool *t, const char *fmt, ...)
{
    if (t->quiet || !isatty(STDERR_FILENO))
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\r%s: %s\033[K", t->prog, line);
    fflush(stderr);
}

void sc_tool_progress_end(const sc_tool *t)
{
    if (!t->quiet && isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
}

int sc_tool_check_outdir(const sc_tool *t, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        fprintf(stderr, "%s: %s: %s\n", t->prog, dir,
                errno == ENOENT ? "output directory does not exist" : strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        fprintf(stderr, "%s: %s: not a directory\n", t->prog, dir);
    else
        return 0;
    return 73;   /* EX_CANTCREAT: the outputs cannot be created */
}
