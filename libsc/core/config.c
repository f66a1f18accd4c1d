/* Configuration: defaults, INI files (inih), environment (see sc/config.h). */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sc/config.h"
#include "sc/model.h"
#include "sc/stage_decoder.h"

#ifndef SC_SYSCONFDIR
#define SC_SYSCONFDIR "/etc"
#endif
#ifndef SC_SYNTHDIR
#define SC_SYNTHDIR "/usr/share/sc/synth"
#endif

static const char *const stage_section[SC_KIND_MAX + 1] = {
    [SC_KIND_FRONTEND] = "frontend", [SC_KIND_SEMANTIC] = "semantic",
    [SC_KIND_ACOUSTIC] = "acoustic", [SC_KIND_DECODER] = "decoder",
    [SC_KIND_VOCODER] = "vocoder",
};

static const char *const stage_default[SC_KIND_MAX + 1] = {
    [SC_KIND_FRONTEND] = "kaldi",  [SC_KIND_SEMANTIC] = "audiomae",
    [SC_KIND_ACOUSTIC] = "bilstm", [SC_KIND_DECODER] = "ldm",
    [SC_KIND_VOCODER] = "hifigan",
};

void sc_config_defaults(sc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->token_rate = 100;
    cfg->sem_vocab = 16384;
    snprintf(cfg->synth_dir, sizeof cfg->synth_dir, "%s", SC_SYNTHDIR);
    snprintf(cfg->backend, sizeof cfg->backend, "blas");
    for (int k = SC_KIND_FRONTEND; k <= SC_KIND_MAX; k++)
        snprintf(cfg->stage[k].plugin, sizeof cfg->stage[k].plugin, "%s", stage_default[k]);
    cfg->batch = 8;
    cfg->steps = 50;
    cfg->cfg = 2.0;
    cfg->eta = 1.0;
    cfg->seed = 0;
    cfg->sampler = SC_DEC_DDIM;
    cfg->order = 2;
    cfg->method = SC_DEC_MULTISTEP;
    cfg->skip = SC_DEC_TIME_UNIFORM;
    cfg->log_level = SC_LOG_INFO;
}

/* [decoder] preset: several sampler settings under one name; keys that
 * follow (or command-line options) still override them.  From the study
 * in README "Sampler accuracy" (bench/sampler-accuracy.sh): "fast" is
 * DPM-Solver++ 2M at 10 evaluations, the real-time setting of issue 15,
 * about twice DDIM-at-50's distance from a converged solution; "balanced"
 * is DPM-Solver++ 2M with steps uniform in log-SNR at 20 evaluations, the
 * fewest found no further from it than DDIM at 50; "official" is the
 * official decoder's default. */
static const struct {
    const char *name;
    int sampler, order, method, skip, steps;
    double eta;   /* < 0: unchanged (a deterministic sampler ignores it) */
} presets[] = {
    {"fast", SC_DEC_DPMSOLVERPP, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM, 10, -1},
    {"balanced", SC_DEC_DPMSOLVERPP, 2, SC_DEC_MULTISTEP, SC_DEC_LOGSNR, 20, -1},
    {"official", SC_DEC_DDIM, 2, SC_DEC_MULTISTEP, SC_DEC_TIME_UNIFORM, 50, 1.0},
};

static int set_preset(sc_config *cfg, const char *value)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(value, presets[i].name)) {
            cfg->sampler = presets[i].sampler;
            cfg->order = presets[i].order;
            cfg->method = presets[i].method;
            cfg->skip = presets[i].skip;
            cfg->steps = presets[i].steps;
            if (presets[i].eta >= 0)
                cfg->eta = presets[i].eta;
            return 0;
        }
    return -1;
}

static int copy_str(char *dst, size_t n, const char *v, const char *where, const char *key,
                    sc_err *err)
{
    if (strlen(v) >= n)
        return sc_err_set(err, SC_ECONFIG, "%s: value of '%s' is too long", where, key);
    memcpy(dst, v, strlen(v) + 1);
    return SC_OK;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const t[] = {"1", "yes", "true", "on"}, *const f[] = {"0", "no", "false", "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, t[i])) { *out = 1; return 0; }
        if (!strcasecmp(v, f[i])) { *out = 0; return 0; }
    }
    return -1;
}

static int parse_level(const char *v, int *out)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (!strcasecmp(v, "quiet")) { *out = SC_LOG_QUIET; return 0; }
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(v, names[i])) { *out = i; return 0; }
    return -1;
}

#define BAD(what) sc_err_set(err, SC_ECONFIG, "%s: bad value '%s' for %s.%s (%s)", where, \
                             value, section, key, what)

int sc_config_set(sc_config *cfg, const char *section, const char *key, const char *value,
                  const char *where, sc_err *err)
{
    long l;
    double d;
    int b;
    if (!strcmp(section, "model")) {
        if (!strcmp(key, "dir"))
            return copy_str(cfg->model_dir, sizeof cfg->model_dir, value, where, key, err);
        if (!strcmp(key, "rate")) {
            if (parse_long(value, 0, 1000, &l) || (l != 100 && l != 50 && l != 25))
                return BAD("100, 50 or 25");
            cfg->token_rate = (int)l;
            return SC_OK;
        }
        if (!strcmp(key, "vocab")) {
            if (parse_long(value, 0, 1 << 20, &l) ||
                (l != 4096 && l != 8192 && l != 16384 && l != 32768))
                return BAD("4096, 8192, 16384 or 32768");
            cfg->sem_vocab = (int)l;
            return SC_OK;
        }
        if (!strcmp(key, "synthetic")) {
            if (parse_bool(value, &b))
                return BAD("yes or no");
            cfg->synthetic = b;
            return SC_OK;
        }
        if (!strcmp(key, "synth_dir"))
            return copy_str(cfg->synth_dir, sizeof cfg->synth_dir, value, where, key, err);
    } else if (!strcmp(section, "backend")) {
        if (!strcmp(key, "default"))
            return copy_str(cfg->backend, sizeof cfg->backend, value, where, key, err);
        if (!strcmp(key, "options")) {
            /* the session adds precision= to the decoder's and vocoder's
             * backend only; here it would reach the encoder too */
            if (strstr(value, "precision="))
                return BAD("precision= is set by [backend] precision, which keeps the encoder "
                           "fp32");
            return copy_str(cfg->backend_options, sizeof cfg->backend_options, value, where,
                            key, err);
        }
        if (!strcmp(key, "threads")) {
            if (parse_long(value, 0, 1024, &l))
                return BAD("0..1024, 0 = all CPUs");
            cfg->threads = (int)l;
            return SC_OK;
        }
        if (!strcmp(key, "precision")) {
            int i = sc_decoder_name_index(sc_precision_names, 3, value);
            if (i < 0)
                return BAD("fp32, bf16 or auto");
            cfg->precision = i;
            return SC_OK;
        }
    } else if (!strcmp(section, "log")) {
        if (!strcmp(key, "level")) {
            if (parse_level(value, &cfg->log_level))
                return BAD("quiet, error, warning, info or debug");
            return SC_OK;
        }
    } else {
        int kind = 0;
        for (int k = SC_KIND_FRONTEND; k <= SC_KIND_MAX; k++)
            if (!strcmp(section, stage_section[k]))
                kind = k;
        if (!kind)
            return sc_err_set(err, SC_ECONFIG, "%s: unknown section [%s]", where, section);
        sc_stage_cfg *st = &cfg->stage[kind];
        if (!strcmp(key, "plugin"))
            return copy_str(st->plugin, sizeof st->plugin, value, where, key, err);
        if (!strcmp(key, "backend"))
            return copy_str(st->backend, sizeof st->backend, value, where, key, err);
        if (!strcmp(key, "options"))
            return copy_str(st->options, sizeof st->options, value, where, key, err);
        if (kind == SC_KIND_ACOUSTIC && !strcmp(key, "batch")) {
            if (parse_long(value, 1, 4096, &l))
                return BAD("1..4096 windows");
            cfg->batch = (int)l;
            return SC_OK;
        }
        if (kind == SC_KIND_DECODER) {
            if (!strcmp(key, "steps")) {
                if (parse_long(value, 1, 1000, &l))
                    return BAD("1..1000");
                cfg->steps = (int)l;
                return SC_OK;
            }
            if (!strcmp(key, "cfg")) {
                if (parse_double(value, -100, 100, &d))
                    return BAD("a number");
                cfg->cfg = d;
                return SC_OK;
            }
            if (!strcmp(key, "eta")) {
                if (parse_double(value, 0, 10, &d))
                    return BAD("a number >= 0");
                cfg->eta = d;
                return SC_OK;
            }
            if (!strcmp(key, "sampler")) {
                int i = sc_decoder_name_index(sc_decoder_sampler_names, 3, value);
                if (i < 0)
                    return BAD("ddim, dpmsolver or dpmsolver++");
                cfg->sampler = i;
                return SC_OK;
            }
            if (!strcmp(key, "preset")) {
                if (set_preset(cfg, value))
                    return BAD("fast, balanced or official");
                return SC_OK;
            }
            if (!strcmp(key, "order")) {
                if (parse_long(value, 1, 3, &l))
                    return BAD("1, 2 or 3");
                cfg->order = (int)l;
                return SC_OK;
            }
            if (!strcmp(key, "method")) {
                int i = sc_decoder_name_index(sc_decoder_method_names, 3, value);
                if (i < 0)
                    return BAD("multistep, singlestep or singlestep_fixed");
                cfg->method = i;
                return SC_OK;
            }
            if (!strcmp(key, "skip")) {
                int i = sc_decoder_name_index(sc_decoder_skip_names, 3, value);
                if (i < 0)
                    return BAD("time_uniform, logSNR or time_quadratic");
                cfg->skip = i;
                return SC_OK;
            }
            if (!strcmp(key, "seed")) {
                char *end;
                errno = 0;
                unsigned long long s = strtoull(value, &end, 0);
                if (errno || end == value || *end || value[0] == '-')
                    return BAD("an unsigned integer");
                cfg->seed = s;
                return SC_OK;
            }
        }
    }
    return sc_err_set(err, SC_ECONFIG, "%s: unknown key '%s' in section [%s]", where, key,
                      section);
}

typedef struct {
    sc_config *cfg;
    const char *name;
    sc_err first;      /* message of the first bad line */
    int line;          /* inih line counter emulation: see handler */
} ini_ctx;

static int on_ini_line(void *user, const char *section, const char *key, const char *value)
{
    ini_ctx *c = user;
    if (!*section) {
        sc_err_set(&c->first, SC_ECONFIG, "key '%s' outside any section", key);
        return 0;
    }
    sc_err e = {0};
    if (sc_config_set(c->cfg, section, key, value, "", &e) != SC_OK) {
        /* drop the empty "where: " prefix; the caller adds FILE:LINE */
        const char *m = e.msg;
        if (!strncmp(m, ": ", 2))
            m += 2;
        sc_err_set(&c->first, e.code, "%s", m);
        return 0;
    }
    return 1;
}

static int finish_parse(int rc, ini_ctx *c, sc_err *err)
{
    if (rc == 0)
        return SC_OK;
    if (rc == -2)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", c->name);
    if (c->first.code)
        return sc_err_set(err, c->first.code, "%s:%d: %s", c->name, rc, c->first.msg);
    return sc_err_set(err, SC_ECONFIG, "%s:%d: syntax error", c->name, rc);
}

/* inih reads a line into a buffer of INI_MAX_LINE bytes and reads what
 * does not fit as the next line, so a setting hidden in a long comment
 * took effect and later messages named lines that do not exist.  Its heap
 * mode is a build option of the shared library, not ours to choose.  So
 * the text is prepared first: comment and blank lines (which never set
 * anything) become empty lines, whatever their length, and any other line
 * that would not fit whole (content, '\n' and the terminator) is refused
 * by its real number.  Line numbers are unchanged. */
#define LINE_MAX_CHARS (INI_MAX_LINE - 2)
#define CONFIG_MAX_BYTES (1 << 20)

static int parse_text(sc_config *cfg, const char *text, size_t len, const char *name,
                      sc_err *err)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
    const char *p = text, *end = text + len;
    size_t o = 0;
    int line = 1;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;   /* UTF-8 byte order mark */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        if (memchr(p, 0, (size_t)(le - p))) {
            free(buf);
            return sc_err_set(err, SC_ECONFIG, "%s:%d: NUL byte: not a text file", name, line);
        }
        while (s < le && isspace((unsigned char)*s))
            s++;
        if (s < le && *s != ';' && *s != '#') {
            if (le - p > LINE_MAX_CHARS) {
                free(buf);
                return sc_err_set(err, SC_ECONFIG,
                                  "%s:%d: line too long (%lld characters; at most %d, except in "
                                  "comments)", name, line, (long long)(le - p), LINE_MAX_CHARS);
            }
            memcpy(buf + o, p, (size_t)(le - p));
            o += (size_t)(le - p);
        }
        if (nl)
            buf[o++] = '\n';
        p = nl ? nl + 1 : end;
        line++;
    }
    buf[o] = 0;
    ini_ctx c = {.cfg = cfg, .name = name};
    int rc = ini_parse_string(buf, on_ini_line, &c);
    free(buf);
    return finish_parse(rc, &c, err);
}

int sc_config_load_file(sc_config *cfg, const char *path, int must_exist, sc_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return SC_OK;
        return sc_err_set(err, errno == ENOENT ? SC_ENOTFOUND : SC_EIO, "%s: %s", path,
                          strerror(errno));
    }
    /* whole, up to a bound (-c /dev/zero must not read forever) */
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int rc = SC_OK;
    while (text) {
        len += fread(text + len, 1, cap - len, f);
        if (len < cap || len > CONFIG_MAX_BYTES)
            break;
        char *t = realloc(text, cap * 2);
        if (!t) {
            free(text);
            text = NULL;
            break;
        }
        text = t;
        cap *= 2;
    }
    if (!text)
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    else if (ferror(f))
        rc = sc_err_set(err, SC_EIO, "%s: read error: %s", path, strerror(errno));
    else if (len > CONFIG_MAX_BYTES)
        rc = sc_err_set(err, SC_ECONFIG, "%s: over %d bytes: not a configuration file", path,
                        CONFIG_MAX_BYTES);
    fclose(f);
    if (rc == SC_OK)
        rc = parse_text(cfg, text, len, path, err);
    free(text);
    if (rc == SC_OK && cfg->nsources < 4)
        snprintf(cfg->sources[cfg->nsources++], SC_PATH_MAX, "%s", path);
    return rc;
}

int sc_config_load_string(sc_config *cfg, const char *text, const char *name, sc_err *err)
{
    return parse_text(cfg, text, strlen(text), name, err);
}

int sc_config_load_env(sc_config *cfg, sc_err *err)
{
    static const struct {
        const char *var, *section, *key;
    } env[] = {
        {"SC_MODEL_DIR", "model", "dir"},   {"SC_SYNTH_DIR", "model", "synth_dir"},
        {"SC_BACKEND", "backend", "default"}, {"SC_THREADS", "backend", "threads"},
    };
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *v = getenv(env[i].var);
        if (v && *v) {
            char where[64];
            snprintf(where, sizeof where, "$%s", env[i].var);
            int rc = sc_config_set(cfg, env[i].section, env[i].key, v, where, err);
            if (rc)
                return rc;
        }
    }
    return SC_OK;
}

int sc_config_load_standard(sc_config *cfg, const char *explicit_file, sc_err *err)
{
    char path[SC_PATH_MAX];
    sc_config_defaults(cfg);
    int rc = sc_config_load_file(cfg, SC_SYSCONFDIR "/sc/sc.ini", 0, err);
    if (rc)
        return rc;
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/sc/sc.ini", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.config/sc/sc.ini", home);
    else
        path[0] = '\0';
    if (path[0] && (rc = sc_config_load_file(cfg, path, 0, err)))
        return rc;
    if ((rc = sc_config_load_env(cfg, err)))
        return rc;
    if (explicit_file && (rc = sc_config_load_file(cfg, explicit_file, 1, err)))
        return rc;
    return SC_OK;
}

int sc_config_validate(const sc_config *cfg, sc_err *err)
{
    if (!sc_model_valid(cfg->token_rate, cfg->sem_vocab))
        return sc_err_set(err, SC_ECONFIG,
                          "token rate %d with semantic vocabulary %d is not a published "
                          "SemantiCodec model (rates 100/50/25, vocabularies "
                          "4096/8192/16384/32768)",
                          cfg->token_rate, cfg->sem_vocab);
    return SC_OK;
}
