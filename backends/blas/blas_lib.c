/* backends/blas/blas_lib.c - loading OpenBLAS at run time.
 *
 * The plugin does not link OpenBLAS; it dlopens it the first time a blas
 * backend is created.  Reason: a DYNAMIC_ARCH OpenBLAS picks its kernels
 * from the CPU model in its load-time constructor, and a CPU newer than
 * the library (e.g. OpenBLAS 0.3.21 on Emerald Rapids) falls back to the
 * SSE3 "Prescott" kernels: sgemm ran at ~28 GFLOP/s per core instead of
 * ~100 with the AVX-512 (SkylakeX) ones on the development VM.  Loading it
 * ourselves lets us name the kernel family by ISA (OPENBLAS_CORETYPE =
 * SkylakeX with AVX-512, Haswell with AVX2+FMA) when the user has not set
 * OPENBLAS_CORETYPE and no one has loaded OpenBLAS into the process yet.
 * The variable is set only around our dlopen and removed again (setenv is
 * not thread-safe against concurrent getenv; backends are created at
 * start-up, before the program's threads do work).
 *
 * $SC_OPENBLAS, when set, names the library file to load instead of
 * libopenblas.so.0 (a particular OpenBLAS build; the tests use a missing
 * file to check what a machine without OpenBLAS reports).
 *
 * The table is process-wide by nature (so is OpenBLAS), filled once under
 * pthread_once and read-only afterwards.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"

blas_lib sc_blas_lib_tab;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *const sonames[] = {"libopenblas.so.0", "libopenblas.so"};

static void *sym(void *h, const char *name, int *missing)
{
    void *p = dlsym(h, name);
    if (!p && !*missing) {
        *missing = 1;
        snprintf(sc_blas_lib_tab.err, sizeof sc_blas_lib_tab.err, "OpenBLAS lacks symbol %s", name);
    }
    return p;
}

static void load(void)
{
    blas_lib *t = &sc_blas_lib_tab;
    void *h = NULL;
    const char *over = getenv("SC_OPENBLAS");
    const char *const *names = sonames;
    size_t nnames = sizeof sonames / sizeof sonames[0];
    if (over && *over) {
        names = &over;
        nnames = 1;
    }
    for (size_t i = 0; i < nnames && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!h) {
        const char *want = NULL;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (!getenv("OPENBLAS_CORETYPE")) {
            if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
                want = "SkylakeX";
            else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
                want = "Haswell";
        }
#endif
        if (want)
            setenv("OPENBLAS_CORETYPE", want, 0);
        const char *e = NULL;
        for (size_t i = 0; i < nnames && !h; i++) {
            h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            if (!h && !e)
                e = dlerror();
        }
        if (want)
            unsetenv("OPENBLAS_CORETYPE");
        if (!h) {
            /* dlerror repeats the file name: keep its reason only */
            size_t nl = strlen(names[0]);
            if (e && !strncmp(e, names[0], nl) && !strncmp(e + nl, ": ", 2))
                e += nl + 2;
            /* Debian and Ubuntu ship it in libopenblas0, Fedora in openblas */
            snprintf(t->err, sizeof t->err, "cannot load %s (%s); install OpenBLAS "
                     "(the libopenblas0 package)", names[0], e ? e : "dlopen failed");
            return;
        }
        t->forced = want;
    }
    int missing = 0;
    *(void **)&t->sgemm = sym(h, "cblas_sgemm", &missing);
    *(void **)&t->sgemv = sym(h, "cblas_sgemv", &missing);
    *(void **)&t->set_num_threads = sym(h, "openblas_set_num_threads", &missing);
    *(void **)&t->get_config = sym(h, "openblas_get_config", &missing);
    *(void **)&t->get_corename = sym(h, "openblas_get_corename", &missing);
    if (missing) {
        t->sgemm = NULL;
        return;
    }
    /* the handle stays open for the life of the process */
    t->ok = 1;
}

const blas_lib *sc_blas_lib_load(void)
{
    pthread_once(&once, load);
    return &sc_blas_lib_tab;
}
