/* tests/check_blasshare.c - the blas backend when it cannot have a private
 * OpenBLAS (backends/blas/blas_lib.c).
 *
 * A host process that already holds libopenblas.so.0 (Python with numpy)
 * normally gets a private copy through dlmopen(LM_ID_NEWLM).  glibc has
 * some 16 link-map namespaces per process; this program takes them all
 * (copies of libm) after loading OpenBLAS itself, the way a host would,
 * and then opens the backend.  It must still work: a one-line warning
 * naming why there is no private copy and what sharing means, a GEMM
 * equal to a double-precision loop within float rounding, and the shared
 * instance set to one thread as the warning says (the backend's ops split
 * their work over the program's pool; blas.h).
 *
 * Each test forks (Check's default), so the namespaces taken here never
 * reach another test.  Skipped (77) where the blas backend is not built.
 */
#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/backend.h"
#include "sc/error.h"
#include "sc/log.h"
#include "sc/pool.h"
#include "sc/registry.h"

static char warned[1024];

static void grab(void *user, int level, const char *line)
{
    (void)user;
    if (level <= SC_LOG_WARN && !warned[0])
        snprintf(warned, sizeof warned, "%s", line);
}

START_TEST(shared_openblas)
{
    void *host = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(host != NULL, "cannot load libopenblas.so.0: %s", dlerror());
    int (*get_threads)(void) = (int (*)(void))dlsym(host, "openblas_get_num_threads");
    void (*set_threads)(int) = (void (*)(int))dlsym(host, "openblas_set_num_threads");
    ck_assert(get_threads && set_threads);
    set_threads(2);
    ck_assert_int_eq(get_threads(), 2);

    int taken = 0;
    while (taken < 64 && dlmopen(LM_ID_NEWLM, "libm.so.6", RTLD_NOW | RTLD_LOCAL))
        taken++;
    ck_assert_msg(taken < 64, "dlmopen never ran out of namespaces");
    dlerror();

    sc_err err = {0};
    sc_log log = {.level = SC_LOG_WARN, .fn = grab};
    sc_pool *pool = sc_pool_create(2, &err);
    ck_assert_msg(pool != NULL, "pool: %s", err.msg);
    sc_host h;
    sc_host_init(&h, &log, pool);
    sc_registry *reg = sc_registry_open(&h, NULL, &err);
    ck_assert_msg(reg != NULL, "registry: %s", err.msg);
    sc_backend *be = sc_backend_open(reg, "blas", NULL, &err);
    ck_assert_msg(be != NULL, "blas backend without a private OpenBLAS: %s", err.msg);
    fprintf(stderr, "check_blasshare: %d namespaces taken; warning: %s\n", taken, warned);
    ck_assert_msg(strstr(warned, "blas backend: OpenBLAS is shared with the host process (no private copy: "),
                  "no warning about the shared OpenBLAS: '%s'", warned);
    ck_assert_msg(strstr(warned, "single-threaded"), "warning does not say it runs on one thread: '%s'",
                  warned);
    ck_assert_msg(!strchr(warned, '\n'), "warning is not one line: '%s'", warned);
    ck_assert_int_eq(get_threads(), 1);

    enum { M = 67, N = 45, K = 131 };
    float *a = be->vt.buf_alloc(be->ctx, sizeof(float) * M * K),
          *b = be->vt.buf_alloc(be->ctx, sizeof(float) * K * N),
          *c = be->vt.buf_alloc(be->ctx, sizeof(float) * M * N);
    ck_assert(a && b && c);
    uint32_t s = 12345;
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    ck_assert_int_eq(be->vt.gemm(be->ctx, 0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N), SC_OK);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double want = 0;
            for (int k = 0; k < K; k++)
                want += (double)a[i * K + k] * b[k * N + j];
            double d = fabs(c[i * N + j] - want);
            worst = d > worst ? d : worst;
        }
    ck_assert_msg(worst < 2e-5, "gemm on the shared OpenBLAS: max error %g", worst);
    be->vt.buf_free(be->ctx, a);
    be->vt.buf_free(be->ctx, b);
    be->vt.buf_free(be->ctx, c);
    sc_backend_close(be);
    sc_registry_close(reg);
    sc_pool_destroy(pool);
}
END_TEST

int main(void)
{
    sc_err err = {0};
    sc_log quiet = {.level = SC_LOG_QUIET};
    sc_pool *pool = sc_pool_create(1, &err);
    sc_host h;
    sc_host_init(&h, &quiet, pool);
    sc_registry *reg = pool ? sc_registry_open(&h, NULL, &err) : NULL;
    int have = reg && sc_registry_find(reg, SC_KIND_BACKEND, "blas");
    sc_registry_close(reg);
    sc_pool_destroy(pool);
    if (!have) {
        fprintf(stderr, "check_blasshare: no blas backend on SC_PLUGIN_PATH: skipped\n");
        return 77;
    }
    Suite *su = suite_create("blasshare");
    TCase *tc = tcase_create("blasshare");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shared_openblas);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
