/* Helpers for the Check tests (see sctest.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sc/npy.h"
#include "sctest.h"

static const char *env_or_fail(const char *var)
{
    const char *v = getenv(var);
    ck_assert_msg(v && *v, "$%s is not set (run the tests with make check)", var);
    return v;
}

/* Paths handed out by the helpers below are owned here and freed at exit,
 * so leak checkers (LeakSanitizer, valgrind) stay quiet in every test. */
static char **owned;
static size_t nowned;

static void free_owned(void)
{
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    owned = NULL;
    nowned = 0;
}

static char *own(char *p)
{
    ck_assert(p);
    if (!nowned)
        atexit(free_owned);
    char **o = realloc(owned, sizeof *o * (nowned + 1));
    ck_assert(o);
    owned = o;
    owned[nowned++] = p;
    return p;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = own(malloc(n));
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

const char *sct_ref_path(const char *rel)
{
    char *p = join(env_or_fail("SC_REFDIR"), rel);
    ck_assert_msg(access(p, R_OK) == 0, "parity kit file missing: %s (%s)", p, strerror(errno));
    return p;
}

const char *sct_src_path(const char *rel)
{
    return join(env_or_fail("SC_SRCDIR"), rel);
}

static void mkdir_p(char *path)
{
    for (char *s = path + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0777);
            *s = '/';
        }
    mkdir(path, 0777);
}

const char *sct_scratch(const char *rel)
{
    const char *base = env_or_fail("SC_SCRATCH");
    char *b = strdup(base);
    mkdir_p(b);
    free(b);
    char *p = join(base, rel);
    char *dir = strdup(p);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir_p(dir);
    }
    free(dir);
    return p;
}

void sct_load_npy(const char *rel, sc_tensor *out)
{
    sc_err err = {0};
    const char *p = sct_ref_path(rel);
    ck_assert_msg(sc_npy_load(p, out, &err) == SC_OK, "%s", err.msg);
}

sct_diff sct_compare(const float *got, const float *want, size_t n)
{
    sct_diff d = {0};
    double ss = 0;
    d.n = n;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        if (isnan(got[i]) != isnan(want[i]))
            e = INFINITY;
        if (e > d.max_abs || (isinf(e) && !isinf(d.max_abs))) {
            d.max_abs = e;
            d.argmax = i;
        }
        if (fabs(want[i]) > d.max_ref)
            d.max_ref = fabs(want[i]);
        ss += e * e;
    }
    d.rms = n ? sqrt(ss / (double)n) : 0;
    return d;
}

void sct_assert_close(const char *what, const float *got, const float *want, size_t n,
                      double tol)
{
    sct_diff d = sct_compare(got, want, n);
    fprintf(stderr, "%s: max abs %.3g (at %zu: got %.9g want %.9g), rms %.3g, n %zu, tol %.3g\n",
            what, d.max_abs, d.argmax, n ? got[d.argmax] : 0.0, n ? want[d.argmax] : 0.0, d.rms,
            n, tol);
    ck_assert_msg(d.max_abs <= tol, "%s: max abs diff %.3g > %.3g at %zu (got %.9g want %.9g)",
                  what, d.max_abs, tol, d.argmax, got[d.argmax], want[d.argmax]);
}

void sct_assert_close_npy(const char *what, const float *got, size_t n, const char *rel,
                          double tol)
{
    sc_tensor t;
    sct_load_npy(rel, &t);
    ck_assert_msg(t.dtype == SC_F32, "%s: golden is not float32", rel);
    ck_assert_msg((size_t)sc_tensor_numel(&t) == n, "%s: %zu values, golden has %lld", what, n,
                  (long long)sc_tensor_numel(&t));
    sct_assert_close(what, got, t.data, n, tol);
    sc_tensor_release(&t);
}

int sct_backends(const char **names, int cap)
{
    static const char *const cpu[] = {"ref", "blas"};
    int n = 0;
    const char *pp = getenv("SC_PLUGIN_PATH");
    for (size_t i = 0; i < sizeof cpu / sizeof cpu[0] && n < cap; i++) {
        if (i == 0) {
            names[n++] = cpu[i];
            continue;
        }
        /* Required once built: look for backend_NAME.so on the path. */
        char file[64];
        snprintf(file, sizeof file, "backend_%s.so", cpu[i]);
        const char *s = pp;
        while (s && *s) {
            const char *c = strchr(s, ':');
            size_t len = c ? (size_t)(c - s) : strlen(s);
            char path[4096];
            snprintf(path, sizeof path, "%.*s/%s", (int)len, s, file);
            if (access(path, R_OK) == 0) {
                names[n++] = cpu[i];
                break;
            }
            s = c ? c + 1 : NULL;
        }
    }
    return n;
}

sc_session *sct_session(int rate, int vocab, const char *backend)
{
    sc_config cfg;
    sc_err err = {0};
    sc_config_defaults(&cfg);
    ck_assert_msg(sc_config_load_env(&cfg, &err) == SC_OK, "%s", err.msg);
    cfg.synthetic = 1;
    cfg.token_rate = rate;
    cfg.sem_vocab = vocab;
    cfg.threads = 2;
    snprintf(cfg.backend, sizeof cfg.backend, "%s", backend);
    static sc_log log = {SC_LOG_WARN, sc_log_stderr, "test"};
    sc_session *s = sc_session_open(&cfg, &log, &err);
    ck_assert_msg(s, "session: %s", err.msg);
    return s;
}

double sct_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int sct_full(void)
{
    const char *f = getenv("SC_FULL");
    return f && *f && strcmp(f, "0");
}
