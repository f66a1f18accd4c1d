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
 * OPENBLAS_CORETYPE.  The variable is set only around our load and removed
 * again (setenv is not thread-safe against concurrent getenv; backends are
 * created at start-up, before the program's threads do work).
 *
 * A private instance when the process already has one.  A host such as
 * Python with numpy may have loaded libopenblas.so.0 before us, with its
 * own kernel choice (Cooperlake on an AVX-512 EPYC) and thread count.
 * Sharing it would give results that differ from the sc tools' in the last
 * bits (kernels sum in different orders), and our set_num_threads(1) would
 * make the host's own BLAS calls single-threaded.  So when dlopen with
 * RTLD_NOLOAD finds OpenBLAS already loaded, we load a second copy with
 * dlmopen(LM_ID_NEWLM): a new link-map namespace, with its own libc,
 * libgfortran and OpenBLAS state, whose constructor sees our
 * OPENBLAS_CORETYPE (the namespace's libc starts from the caller's
 * environment) and, unless the user set OPENBLAS_NUM_THREADS, a thread
 * count of 1, so it starts no threads of its own.  Its kernels and threads
 * are then exactly those of an sc tool on the same machine.  When nothing
 * has loaded OpenBLAS yet, a plain dlopen does the same job without the
 * cost of a second libc (and keeps valgrind quiet: it flags the second
 * libc's vectorised string reads); a host that loads OpenBLAS
 * after us shares our instance, as any two users of one library do.
 * Limits of dlmopen (glibc): some 16 namespaces per process and a small
 * static-TLS reserve for the libc copies in them (glibc.rtld.nns); only
 * one namespace is ever used here.  Where dlmopen fails (exhausted
 * namespaces or TLS, a libc without it), we fall back to the host's
 * instance and say so in ->warn: the backend logs it as a warning.  Results
 * may then differ from the tools' in the last bits (the host's kernels),
 * and the instance is set to one thread like ours, for the host too: the
 * backend's ops split their work over the program's pool (blas.h), and a
 * threaded OpenBLAS under each pool worker would oversubscribe the CPUs
 * and tie the bits to the host's thread count (tests/check_blasshare.c).
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

/* The kernel family to force, or NULL (the user's OPENBLAS_CORETYPE, or a
 * CPU with neither AVX-512 nor AVX2+FMA). */
static const char *coretype(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

/* Drop dlerror's repetition of the file name: keep its reason only. */
static const char *reason(const char *e, const char *name)
{
    size_t nl = strlen(name);
    if (e && !strncmp(e, name, nl) && !strncmp(e + nl, ": ", 2))
        e += nl + 2;
    return e ? e : "dlopen failed";
}

static void load(void)
{
    blas_lib *t = &sc_blas_lib_tab;
    void *h = NULL, *host = NULL;
    const char *over = getenv("SC_OPENBLAS");
    const char *const *names = sonames;
    size_t nnames = sizeof sonames / sizeof sonames[0];
    if (over && *over) {
        names = &over;
        nnames = 1;
    }
    size_t found = 0;
    for (size_t i = 0; i < nnames && !host; i++)
        if ((host = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)))
            found = i;
    const char *want = coretype();
    if (want)
        setenv("OPENBLAS_CORETYPE", want, 0);
    if (host) {
        /* someone else's: a private copy (see the top of the file) */
        int one = !getenv("OPENBLAS_NUM_THREADS");
        if (one)
            setenv("OPENBLAS_NUM_THREADS", "1", 0);
        h = dlmopen(LM_ID_NEWLM, names[found], RTLD_NOW | RTLD_LOCAL);
        if (one)
            unsetenv("OPENBLAS_NUM_THREADS");
        if (h) {
            dlclose(host);
            t->private_ns = 1;
        } else {
            snprintf(t->warn, sizeof t->warn, "OpenBLAS is shared with the host process (no "
                     "private copy: %s): its kernels are the host's, so results may differ "
                     "from the sc tools' in the last bits, and it now runs single-threaded "
                     "for the host too", reason(dlerror(), names[found]));
            h = host;
        }
    } else {
        const char *e = NULL;
        for (size_t i = 0; i < nnames && !h; i++) {
            h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            if (!h && !e)
                e = dlerror();
        }
        if (!h) {
            if (want)
                unsetenv("OPENBLAS_CORETYPE");
            /* Debian and Ubuntu ship it in libopenblas0, Fedora in openblas */
            snprintf(t->err, sizeof t->err, "cannot load %s (%s); install OpenBLAS "
                     "(the libopenblas0 package)", names[0], reason(e, names[0]));
            return;
        }
    }
    if (want)
        unsetenv("OPENBLAS_CORETYPE");
    /* the host's instance chose its kernels before we came */
    t->forced = h == host ? NULL : want;
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
