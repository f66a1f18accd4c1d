/* tests/check_ops.c - op-level tests of every compute backend.
 *
 *  1. known:    the reference backend `ref` on tiny hand-computed cases,
 *               one per op, so the oracle itself is checked;
 *  2. naive:    ref against direct loops in double precision on random
 *               inputs large enough to exercise ref's blocking;
 *  3. backends: every other backend found on SC_PLUGIN_PATH (opened raw,
 *               without fallback) against ref, on random inputs whose sizes
 *               include the edge cases (odd sizes, ld > cols, K not a
 *               multiple of 8, strides, heads, dilation, transposed conv),
 *               with a tolerance per op, and run twice to check the bits
 *               repeat; ops a backend does not support are reported as
 *               falling back and skipped;
 *  4. dispatch: the same cases through sc_backend_open() (the resolved
 *               table the stages use), checking which backend serves each op.
 *
 * Tested backends get their inputs through buf_alloc/upload and return
 * results through download, so a device backend fits the same test.
 * Set SC_TEST_VERBOSE=1 to print every case's error.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/backend.h"
#include "sc/error.h"
#include "sc/log.h"
#include "sc/plugin.h"
#include "sc/pool.h"
#include "sc/registry.h"

/* ------------------------------------------------------------------ */
/* Fixture: host, pool, registry and a raw `ref` instance.             */

#define MAXBE 8

typedef struct be_t {
    const sc_backend_vt *vt;
    void *ctx;
    const char *name;
} be_t;

typedef struct fixture {
    sc_log log;
    sc_host host;
    sc_pool *pool;
    sc_registry *reg;
    be_t ref;
    be_t others[MAXBE];   /* raw instances of every non-ref backend */
    int nothers;
    int verbose;
} fixture;

static fixture F;

static char NAMES[MAXBE][64];

static int open_raw(const sc_plugin_rec *rec, be_t *b, const char *options)
{
    sc_err err = {0};
    const sc_backend_vt *vt = rec->info->vtable;
    b->vt = vt;
    b->name = rec->info->name;
    if (options) {
        int slot = (int)(b - F.others);
        snprintf(NAMES[slot], sizeof NAMES[slot], "%s[%s]", rec->info->name, options);
        b->name = NAMES[slot];
    }
    if (vt->create(&F.host, options, &b->ctx, &err)) {
        fprintf(stderr, "check_ops: backend %s (%s): %s\n", b->name, rec->path, err.msg);
        return -1;
    }
    return 0;
}

static void setup(void)
{
    sc_err err = {0};
    memset(&F, 0, sizeof F);
    F.log.level = SC_LOG_WARN;
    F.log.fn = sc_log_stderr;
    F.log.user = "check_ops";
    F.verbose = getenv("SC_TEST_VERBOSE") && atoi(getenv("SC_TEST_VERBOSE")) > 0;
    /* Two threads even on one core: multi-threaded paths must be exercised. */
    F.pool = sc_pool_create(2, &err);
    ck_assert_msg(F.pool != NULL, "pool: %s", err.msg);
    sc_host_init(&F.host, &F.log, F.pool);
    F.reg = sc_registry_open(&F.host, NULL, &err);
    ck_assert_msg(F.reg != NULL, "registry: %s", err.msg);
    const sc_plugin_rec *ref = sc_registry_find(F.reg, SC_KIND_BACKEND, "ref");
    ck_assert_msg(ref != NULL, "backend 'ref' not found on SC_PLUGIN_PATH=%s",
                  getenv("SC_PLUGIN_PATH") ? getenv("SC_PLUGIN_PATH") : "(unset)");
    ck_assert_int_eq(open_raw(ref, &F.ref, NULL), 0);
    for (int i = 0; i < sc_registry_count(F.reg); i++) {
        const sc_plugin_rec *r = sc_registry_at(F.reg, i);
        if (r->info->kind != SC_KIND_BACKEND || r == ref || F.nothers >= MAXBE)
            continue;
        if (open_raw(r, &F.others[F.nothers], NULL) == 0)
            F.nothers++;
        /* blas picks its kernels by CPU; test the narrower ones too where
         * this CPU can run them (the option is refused otherwise) */
        if (!strcmp(r->info->name, "blas")) {
            /* and the Winograd convolutions on every shape they take */
            static const char *const isas[] = {"isa=avx2", "isa=generic", "winograd=always"};
            for (int k = 0; k < 3 && F.nothers < MAXBE; k++) {
                sc_err e2 = {0};
                void *probe;
                if (((const sc_backend_vt *)r->info->vtable)->create(&F.host, isas[k], &probe, &e2))
                    continue;
                ((const sc_backend_vt *)r->info->vtable)->destroy(probe);
                if (open_raw(r, &F.others[F.nothers], isas[k]) == 0)
                    F.nothers++;
            }
        }
    }
}

static void teardown(void)
{
    for (int i = 0; i < F.nothers; i++)
        F.others[i].vt->destroy(F.others[i].ctx);
    if (F.ref.vt)
        F.ref.vt->destroy(F.ref.ctx);
    sc_registry_close(F.reg);
    sc_pool_destroy(F.pool);
}

/* ------------------------------------------------------------------ */
/* Deterministic random data.                                          */

typedef struct rng { uint64_t s; } rng;

static uint32_t rnext(rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->s >> 33);
}
/* uniform in [-a, a) */
static float runif(rng *r, float a) { return ((float)(rnext(r) >> 7) / 16777216.0f * 2.0f - 1.0f) * a; }

static float *rvec(rng *r, size_t n, float a)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = runif(r, a);
    return p;
}

static float *fvec(size_t n, float v)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = v;
    return p;
}

/* ------------------------------------------------------------------ */
/* Backend memory helpers (device backends work through these).        */

static float *b_in(const be_t *b, const float *h, size_t n)
{
    float *d = b->vt->buf_alloc(b->ctx, (n ? n : 1) * sizeof(float));
    ck_assert_msg(d != NULL, "%s: buf_alloc(%zu floats) failed", b->name, n);
    ck_assert_msg(((uintptr_t)d & 63) == 0 || !b->vt->host_memory, "%s: buffer not 64-byte aligned",
                  b->name);
    if (h && n)
        ck_assert_int_eq(b->vt->upload(b->ctx, d, h, n * sizeof(float)), SC_OK);
    return d;
}

static void b_get(const be_t *b, float *h, const float *d, size_t n)
{
    ck_assert_int_eq(b->vt->sync(b->ctx), SC_OK);
    if (n)
        ck_assert_int_eq(b->vt->download(b->ctx, h, d, n * sizeof(float)), SC_OK);
}

static void b_free(const be_t *b, const void *d) { b->vt->buf_free(b->ctx, (void *)d); }

/* ------------------------------------------------------------------ */
/* Comparison.                                                          */

/* Pass when |got - want| <= atol * rms(want) + rtol * |want| for every
 * element (NaN must match NaN).  Scaling atol by the RMS of the expected
 * values keeps the test meaningful where sums cancel to near zero. */
typedef struct tol { double atol, rtol; } tol;

static const tol TOL_EXACT = {0.0, 0.0};

static int close_enough(const char *what, const float *got, const float *want, size_t n, tol t)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(want[i]))
            ss += (double)want[i] * want[i];
    double rms = n ? sqrt(ss / (double)n) : 0.0;
    double worst = 0.0, worst_ratio = 0.0;
    size_t wi = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (isnan(w) || isnan(g)) {
            if (isnan(w) != isnan(g) && !bad++)
                fprintf(stderr, "  %s: [%zu] got %.9g want %.9g\n", what, i, g, w);
            continue;
        }
        if (isinf(w) || isinf(g)) {
            if (g != w && !bad++)
                fprintf(stderr, "  %s: [%zu] got %.9g want %.9g\n", what, i, g, w);
            continue;
        }
        double d = fabs(g - w), lim = t.atol * rms + t.rtol * fabs(w);
        double ratio = d == 0.0 ? 0.0 : lim > 0.0 ? d / lim : INFINITY;
        if (ratio > worst_ratio) {
            worst_ratio = ratio;
            worst = d;
            wi = i;
        }
    }
    if (worst_ratio > 1.0)
        bad++;
    if (bad || F.verbose)
        fprintf(stderr, "  %s %s: n=%zu max|d|=%.3g at [%zu] (got %.9g want %.9g, rms %.3g), %.2f of tol\n",
                bad ? "FAIL" : "ok", what, n, worst, wi, n ? got[wi] : 0.0,
                n ? want[wi] : 0.0, rms, worst_ratio);
    return bad ? 1 : 0;
}

static int close_d(const char *what, const float *got, const double *want, size_t n, tol t)
{
    float *w = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        w[i] = (float)want[i];
    int r = close_enough(what, got, w, n, t);
    free(w);
    return r;
}

/* Known-answer check with an absolute tolerance. */
#define KA(what, got, ...)                                                          \
    do {                                                                            \
        const double want_[] = {__VA_ARGS__};                                       \
        size_t n_ = sizeof want_ / sizeof want_[0];                                 \
        for (size_t i_ = 0; i_ < n_; i_++)                                          \
            ck_assert_msg(fabs((double)(got)[i_] - want_[i_]) <= 2e-6 * (1.0 + fabs(want_[i_])), \
                          "%s[%zu] = %.9g, expected %.9g", what, i_, (double)(got)[i_], \
                          want_[i_]);                                               \
    } while (0)

/* ------------------------------------------------------------------ */
/* 1. Known answers of ref (values worked out by hand or from closed    */
/*    forms; see the comments).                                         */

#define RV F.ref.vt
#define RC F.ref.ctx

START_TEST(known_gemm)
{
    /* [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50] */
    const float A[] = {1, 2, 3, 4}, B[] = {5, 6, 7, 8}, At[] = {1, 3, 2, 4}, Bt[] = {5, 7, 6, 8};
    float C[4] = {NAN, NAN, NAN, NAN};
    ck_assert_int_eq(RV->gemm(RC, 0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2), SC_OK);
    KA("gemm nn", C, 19, 22, 43, 50);   /* beta == 0 ignores NaN in C */
    ck_assert_int_eq(RV->gemm(RC, 1, 1, 2, 2, 2, 1.0f, At, 2, Bt, 2, 0.0f, C, 2), SC_OK);
    KA("gemm tt", C, 19, 22, 43, 50);
    ck_assert_int_eq(RV->gemm(RC, 1, 0, 2, 2, 2, 1.0f, At, 2, B, 2, 0.0f, C, 2), SC_OK);
    KA("gemm tn", C, 19, 22, 43, 50);
    /* alpha 2, beta 0.5 on C = 19 22 43 50 -> 2*AB + 0.5 C */
    ck_assert_int_eq(RV->gemm(RC, 0, 1, 2, 2, 2, 2.0f, A, 2, Bt, 2, 0.5f, C, 2), SC_OK);
    KA("gemm nt alpha beta", C, 47.5, 55, 107.5, 125);
    /* strided: A is 2x2 inside ld 3, C inside ld 4; padding untouched */
    const float As[] = {1, 2, -9, 3, 4, -9};
    float Cs[8] = {0, 0, 7, 7, 0, 0, 7, 7};
    ck_assert_int_eq(RV->gemm(RC, 0, 0, 2, 2, 2, 1.0f, As, 3, B, 2, 0.0f, Cs, 4), SC_OK);
    KA("gemm ld", Cs, 19, 22, 7, 7, 43, 50, 7, 7);
    /* K = 0: C = beta C */
    float Cz[2] = {4, 8};
    ck_assert_int_eq(RV->gemm(RC, 0, 0, 1, 2, 0, 1.0f, A, 1, B, 2, 0.25f, Cz, 2), SC_OK);
    KA("gemm K=0", Cz, 1, 2);
}
END_TEST

START_TEST(known_linear)
{
    /* x [1 2], W = [1 0; 0 1; 1 1], b = [.5 0 -1] -> [1.5 2 2] */
    const float x[] = {1, 2}, W[] = {1, 0, 0, 1, 1, 1}, b[] = {0.5f, 0, -1};
    float y[3];
    ck_assert_int_eq(RV->linear(RC, x, 2, 1, 2, W, b, 3, y, 3), SC_OK);
    KA("linear", y, 1.5, 2, 2);
    ck_assert_int_eq(RV->linear(RC, x, 2, 1, 2, W, NULL, 3, y, 3), SC_OK);
    KA("linear nobias", y, 1, 2, 3);
}
END_TEST

START_TEST(known_layernorm)
{
    /* [1 2 3 4]: mean 2.5, biased var 1.25 -> (x - 2.5) / sqrt(1.25) */
    const float x[] = {1, 2, 3, 4, 5, 5, 5, 5};
    float y[8];
    ck_assert_int_eq(RV->layernorm(RC, x, 2, 4, NULL, NULL, 0.0f, y), SC_OK);
    KA("layernorm", y, -1.3416407865, -0.4472135955, 0.4472135955, 1.3416407865);
    /* constant row: var 0, eps 1 -> 0, then + b */
    const float g[] = {2, 2, 2, 2}, b[] = {1, 0, 0, -1};
    ck_assert_int_eq(RV->layernorm(RC, x, 2, 4, g, b, 1.0f, y), SC_OK);
    /* row 0: (x-2.5)/sqrt(2.25) * 2 + b */
    KA("layernorm g b eps", y, -1, -0.6666666667, 0.6666666667, 1, 1, 0, 0, -1);
    float z[4] = {1, 2, 3, 4};
    ck_assert_int_eq(RV->layernorm(RC, z, 1, 4, NULL, NULL, 0.0f, z), SC_OK);
    KA("layernorm in place", z, -1.3416407865, -0.4472135955, 0.4472135955, 1.3416407865);
}
END_TEST

START_TEST(known_groupnorm)
{
    /* C=2, HW=2, 2 groups: [0 2] and [10 14] each normalise to [-1 1] */
    const float x[] = {0, 2, 10, 14};
    const float g[] = {1, 3}, b[] = {0, 1};
    float y[4];
    ck_assert_int_eq(RV->groupnorm(RC, x, 2, 2, 2, g, b, 0.0f, 0, y), SC_OK);
    KA("groupnorm", y, -1, 1, -2, 4);
    /* one group over all four: mean 6.5, biased var 32.75 */
    ck_assert_int_eq(RV->groupnorm(RC, x, 2, 2, 1, NULL, NULL, 0.0f, 0, y), SC_OK);
    KA("groupnorm 1 group", y, -1.1358152737, -0.7863336510, 0.6115928397, 1.3105560850);
    /* + SiLU: silu(-1) = -0.2689414214, silu(1) = 0.7310585786 */
    ck_assert_int_eq(RV->groupnorm(RC, x, 2, 2, 2, NULL, NULL, 0.0f, 1, y), SC_OK);
    KA("groupnorm silu", y, -0.2689414214, 0.7310585786, -0.2689414214, 0.7310585786);
}
END_TEST

START_TEST(known_act)
{
    const float x[] = {-1, 0, 1, 2};
    float y[4];
    ck_assert_int_eq(RV->act(RC, SC_ACT_GELU, 0, x, 4, y), SC_OK);
    /* 0.5 x (1 + erf(x / sqrt 2)) */
    KA("gelu", y, -0.15865525393, 0, 0.84134474607, 1.95449973610);
    ck_assert_int_eq(RV->act(RC, SC_ACT_SILU, 0, x, 4, y), SC_OK);
    KA("silu", y, -0.26894142137, 0, 0.73105857863, 1.76159415596);
    ck_assert_int_eq(RV->act(RC, SC_ACT_LEAKY, 0.1f, x, 4, y), SC_OK);
    KA("leaky", y, -0.1, 0, 1, 2);
    ck_assert_int_eq(RV->act(RC, SC_ACT_TANH, 0, x, 4, y), SC_OK);
    KA("tanh", y, -0.76159415596, 0, 0.76159415596, 0.96402758008);
    ck_assert_int_eq(RV->act(RC, SC_ACT_SIGMOID, 0, x, 4, y), SC_OK);
    KA("sigmoid", y, 0.26894142137, 0.5, 0.73105857863, 0.88079707798);
    ck_assert_int_eq(RV->act(RC, SC_ACT_RELU, 0, x, 4, y), SC_OK);
    KA("relu", y, 0, 0, 1, 2);
    /* extremes stay finite and saturate */
    const float big[] = {-100, 100};
    ck_assert_int_eq(RV->act(RC, SC_ACT_SIGMOID, 0, big, 2, y), SC_OK);
    KA("sigmoid extremes", y, 0, 1);
    ck_assert_int_eq(RV->act(RC, SC_ACT_SILU, 0, big, 2, y), SC_OK);
    KA("silu extremes", y, 0, 100);
    ck_assert_int_eq(RV->act(RC, SC_ACT_GELU, 0, big, 2, y), SC_OK);
    KA("gelu extremes", y, 0, 100);
    ck_assert_int_eq(RV->act(RC, SC_ACT_COUNT, 0, x, 4, y), SC_EARG);
}
END_TEST

START_TEST(known_binary_scale_bias)
{
    const float a[] = {1, 2, 3}, b[] = {4, -5, 0.5f};
    float y[3];
    ck_assert_int_eq(RV->binary(RC, SC_BIN_ADD, a, b, 3, y), SC_OK);
    KA("add", y, 5, -3, 3.5);
    ck_assert_int_eq(RV->binary(RC, SC_BIN_SUB, a, b, 3, y), SC_OK);
    KA("sub", y, -3, 7, 2.5);
    ck_assert_int_eq(RV->binary(RC, SC_BIN_MUL, a, b, 3, y), SC_OK);
    KA("mul", y, 4, -10, 1.5);
    ck_assert_int_eq(RV->scale(RC, a, 3, 2.0f, -1.0f, y), SC_OK);
    KA("scale", y, 1, 3, 5);
    /* x [2,3] = 1..6 */
    const float x[] = {1, 2, 3, 4, 5, 6}, vr[] = {10, 20}, vc[] = {100, 200, 300};
    float z[6];
    ck_assert_int_eq(RV->bias(RC, x, 2, 3, vr, 1, z), SC_OK);
    KA("bias per row", z, 11, 12, 13, 24, 25, 26);
    ck_assert_int_eq(RV->bias(RC, x, 2, 3, vc, 0, z), SC_OK);
    KA("bias per col", z, 101, 202, 303, 104, 205, 306);
}
END_TEST

START_TEST(known_attention)
{
    /* one query, keys with scores 0 and ln 3: softmax [1/4 3/4];
     * v = [4 8] -> 7.  Head 1 (second column) has equal scores -> mean. */
    const float q[] = {1, 1};
    const float k[] = {0, 5, 1.0986122887f /* ln 3 */, 5};
    const float v[] = {4, -1, 8, 3};
    float o[2];
    ck_assert_int_eq(RV->attention(RC, q, 2, k, 2, v, 2, o, 2, 2, 1, 2, 1, 1.0f), SC_OK);
    KA("attention", o, 7, 1);
    /* scale applies to q k^T: scale 0 gives plain means */
    ck_assert_int_eq(RV->attention(RC, q, 2, k, 2, v, 2, o, 2, 2, 1, 2, 1, 0.0f), SC_OK);
    KA("attention scale 0", o, 6, 1);
    /* max subtraction: huge scores must not overflow */
    const float kb[] = {1000, 0, 1000, 0};
    ck_assert_int_eq(RV->attention(RC, q, 2, kb, 2, v, 2, o, 2, 2, 1, 2, 1, 1.0f), SC_OK);
    KA("attention large", o, 6, 1);
}
END_TEST

START_TEST(known_conv2d)
{
    /* x = 1..9 (3x3), 3x3 box filter of ones, pad 1 -> neighbourhood sums */
    float x[9], w[9];
    for (int i = 0; i < 9; i++)
        x[i] = (float)(i + 1), w[i] = 1.0f;
    float y[9];
    ck_assert_int_eq(RV->conv2d(RC, x, 1, 3, 3, w, NULL, 1, 3, 3, 1, 1, y), SC_OK);
    KA("conv2d pad 1", y, 12, 21, 16, 27, 45, 33, 24, 39, 28);
    const float b[] = {1};
    ck_assert_int_eq(RV->conv2d(RC, x, 1, 3, 3, w, b, 1, 3, 3, 2, 1, y), SC_OK);
    KA("conv2d stride 2", y, 13, 17, 25, 29);
    ck_assert_int_eq(RV->conv2d(RC, x, 1, 3, 3, w, NULL, 1, 3, 3, 1, 0, y), SC_OK);
    KA("conv2d valid", y, 45);
    /* 2 in, 2 out channels, 1x1: y0 = x0 + x1, y1 = x0 - 2 x1 */
    const float x2[] = {1, 2, 10, 20}, w2[] = {1, 1, 1, -2};
    ck_assert_int_eq(RV->conv2d(RC, x2, 2, 1, 2, w2, NULL, 2, 1, 1, 1, 0, y), SC_OK);
    KA("conv2d 1x1", y, 11, 22, -19, -38);
    /* non-square kernel 1x2 on a 2x3 image: horizontal pair sums */
    const float x3[] = {1, 2, 3, 4, 5, 6}, w3[] = {1, 10};
    ck_assert_int_eq(RV->conv2d(RC, x3, 1, 2, 3, w3, NULL, 1, 1, 2, 1, 0, y), SC_OK);
    KA("conv2d 1x2", y, 21, 32, 54, 65);
}
END_TEST

START_TEST(known_conv1d)
{
    const float x[] = {1, 2, 3, 4, 5}, w[] = {1, 0, -1};
    float y[5];
    ck_assert_int_eq(RV->conv1d(RC, x, 1, 5, w, NULL, 1, 3, 1, 0, 1, y), SC_OK);
    KA("conv1d", y, -2, -2, -2);
    ck_assert_int_eq(RV->conv1d(RC, x, 1, 5, w, NULL, 1, 3, 1, 0, 2, y), SC_OK);
    KA("conv1d dilation 2", y, -4);
    /* padded [0 1 2 3 4 5 0], stride 2 */
    const float b[] = {0.5f};
    ck_assert_int_eq(RV->conv1d(RC, x, 1, 5, w, b, 1, 3, 2, 1, 1, y), SC_OK);
    KA("conv1d stride 2 pad 1", y, -1.5, -1.5, 4.5);
    /* dilation 2, pad 2 ("same"): y[o] = xp[o] - xp[o+4] */
    ck_assert_int_eq(RV->conv1d(RC, x, 1, 5, w, NULL, 1, 3, 1, 2, 2, y), SC_OK);
    KA("conv1d same dilated", y, -3, -4, -4, 2, 3);
}
END_TEST

START_TEST(known_convt1d)
{
    /* x [1 2], w [1 10 100], stride 2: y[0..2] += 1 w, y[2..4] += 2 w */
    const float x[] = {1, 2}, w[] = {1, 10, 100};
    float y[5];
    ck_assert_int_eq(RV->conv_transpose1d(RC, x, 1, 2, w, NULL, 1, 3, 2, 0, y), SC_OK);
    KA("convt1d", y, 1, 10, 102, 20, 200);
    const float b[] = {-1};
    ck_assert_int_eq(RV->conv_transpose1d(RC, x, 1, 2, w, b, 1, 3, 2, 1, y), SC_OK);
    KA("convt1d pad 1", y, 9, 101, 19);
    /* w[Cin=2, Cout=1, k=2], stride 1: sums over both input channels */
    const float x2[] = {1, 2, 3, 4}, w2[] = {1, 1, 10, 10};
    ck_assert_int_eq(RV->conv_transpose1d(RC, x2, 2, 2, w2, NULL, 1, 2, 1, 0, y), SC_OK);
    KA("convt1d 2 in", y, 31, 73, 42);
    /* w[Cin=1, Cout=2, k=1]: layout check of Cout */
    const float w3[] = {2, -3};
    ck_assert_int_eq(RV->conv_transpose1d(RC, x, 1, 2, w3, NULL, 2, 1, 1, 0, y), SC_OK);
    KA("convt1d 2 out", y, 2, 4, -3, -6);
}
END_TEST

static double sg(double v) { return 1.0 / (1.0 + exp(-v)); }

START_TEST(known_lstm)
{
    /* H = 1, B = 1, T = 2.  Step 1 (h = c = 0): gates = gx.
     * Step 2 adds whh * h1.  Written out with the closed form. */
    const float gx[] = {0.5f, -0.25f, 1.0f, 2.0f, -1.0f, 0.75f, 0.5f, 0.0f};
    const float whh[] = {0.1f, -0.2f, 0.3f, 0.4f};
    float out[4], ws[6];
    double c1 = sg(0.5) * tanh(1.0), h1 = sg(2.0) * tanh(c1);
    double i2 = sg(-1.0 + 0.1 * h1), f2 = sg(0.75 - 0.2 * h1), g2 = tanh(0.5 + 0.3 * h1),
           o2 = sg(0.0 + 0.4 * h1);
    double c2 = f2 * c1 + i2 * g2, h2 = o2 * tanh(c2);
    /* ldo 2: the output sits in column 0 of a [T, 1, 2] buffer */
    out[1] = out[3] = 42;
    ck_assert_int_eq(RV->lstm(RC, 2, 1, 1, gx, whh, 0, out, 2, ws), SC_OK);
    KA("lstm fwd", out, h1, 42, h2, 42);
    /* reverse: t = 1 runs first on gx[1] */
    double rc1 = sg(-1.0) * tanh(0.5), rh1 = sg(0.0) * tanh(rc1);
    double ri = sg(0.5 + 0.1 * rh1), rf = sg(-0.25 - 0.2 * rh1), rg = tanh(1.0 + 0.3 * rh1),
           ro = sg(2.0 + 0.4 * rh1);
    double rc2 = rf * rc1 + ri * rg, rh2 = ro * tanh(rc2);
    ck_assert_int_eq(RV->lstm(RC, 2, 1, 1, gx, whh, 1, out, 2, ws), SC_OK);
    KA("lstm reverse", out, rh2, 42, rh1, 42);
}
END_TEST

START_TEST(known_nearest)
{
    /* codebook (0,0) (1,0) (0,2); x1 near (1,0); x2 equidistant from the
     * first two (tie -> first index); x3 nearest (0,2) */
    const float cb[] = {0, 0, 1, 0, 0, 2}, cbn[] = {0, 1, 4};
    const float x[] = {0.75f, 0.25f, 0.5f, 0.0f, 0.0f, 1.5f};
    int64_t idx[3];
    float d[3];
    ck_assert_int_eq(RV->nearest(RC, SC_NEAREST_SQ, x, 2, 3, 2, cb, cbn, 3, idx, d), SC_OK);
    ck_assert_int_eq(idx[0], 1);
    ck_assert_int_eq(idx[1], 0);
    ck_assert_int_eq(idx[2], 2);
    KA("nearest sq dist", d, 0.125, 0.25, 0.25);
    ck_assert_int_eq(RV->nearest(RC, SC_NEAREST_SQRT, x, 2, 3, 2, cb, cbn, 3, idx, NULL), SC_OK);
    ck_assert_int_eq(idx[0], 1);
    ck_assert_int_eq(idx[1], 0);
    ck_assert_int_eq(idx[2], 2);
    ck_assert_int_eq(RV->nearest(RC, SC_NEAREST_SQRT, x, 2, 3, 2, cb, cbn, 3, idx, d), SC_OK);
    KA("nearest sqrt dist", d, 0.3535533906, 0.5, 0.5);
    /* x with a stride: rows are 3 apart, only 2 columns used */
    const float xs[] = {0.0f, 1.9f, 99.0f};
    ck_assert_int_eq(RV->nearest(RC, SC_NEAREST_SQ, xs, 3, 1, 2, cb, cbn, 3, idx, NULL), SC_OK);
    ck_assert_int_eq(idx[0], 2);
}
END_TEST

START_TEST(known_geglu_upsample_copy)
{
    /* rows 2, n 2: [a0 a1 | g0 g1] -> a * gelu(g) */
    const float x[] = {2, 3, 1, 0, -1, 4, 2, -1};
    float y[4];
    ck_assert_int_eq(RV->geglu(RC, x, 2, 2, y), SC_OK);
    KA("geglu", y, 2 * 0.84134474607, 0, -1 * 1.95449973610, 4 * -0.15865525393);
    const float u[] = {1, 2, 3, 4, 5, 6};  /* C 1, H 2, W 3 */
    float v[24];
    ck_assert_int_eq(RV->upsample2x(RC, u, 1, 2, 3, v), SC_OK);
    KA("upsample2x", v, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6);
    float d[8] = {0, 0, 0, 9, 0, 0, 0, 9};
    ck_assert_int_eq(RV->copy2d(RC, u, 3, d, 4, 2, 3), SC_OK);
    KA("copy2d", d, 1, 2, 3, 9, 4, 5, 6, 9);
}
END_TEST

/* The op list is the plugin ABI: enum values, names and slot offsets are
 * what backends built against any earlier header were compiled with. */
START_TEST(known_op_abi)
{
    static const char *const names[] = {
        "gemm", "linear", "layernorm", "groupnorm", "act", "binary", "scale", "bias",
        "attention", "conv2d", "conv1d", "conv_transpose1d", "lstm", "nearest", "geglu",
        "upsample2x", "copy2d"};
    ck_assert_int_eq(SC_OP_COUNT, 17);
    ck_assert_int_eq(SC_OP_CONVT1D, 11);
    ck_assert_int_eq(SC_OP_COPY2D, 16);
    for (int op = 0; op < SC_OP_COUNT; op++)
        ck_assert_str_eq(sc_op_name(op), names[op]);
    ck_assert_str_eq(sc_op_name(SC_OP_COUNT), "unknown");
    ck_assert_uint_eq(offsetof(sc_backend_vt, gemm),
                      offsetof(sc_backend_vt, sync) + sizeof(void (*)(void)));
    ck_assert_uint_eq(offsetof(sc_backend_vt, conv_transpose1d),
                      offsetof(sc_backend_vt, gemm) + 11 * sizeof(void (*)(void)));
    ck_assert_uint_eq(sizeof(sc_backend_vt),
                      offsetof(sc_backend_vt, gemm) + 17 * sizeof(void (*)(void)));
}
END_TEST

START_TEST(known_memory)
{
    ck_assert_int_eq(RV->host_memory, 1);
    ck_assert_uint_eq(RV->struct_size, sizeof(sc_backend_vt));
    for (int op = 0; op < SC_OP_COUNT; op++)
        ck_assert_msg(RV->supports(RC, op), "ref must support op %s", sc_op_name(op));
    float *p = RV->buf_alloc(RC, 3);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq((int)((uintptr_t)p & 63), 0);
    const float h[] = {1, 2, 3};
    ck_assert_ptr_eq(RV->weight(RC, h, 3), h);
    RV->buf_free(RC, p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 2. ref against direct loops in double precision.                     */

/* ---- Naive direct-loop references in double precision (the oracle's oracle). ---- */
static double n_gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static double n_sig(double x) { return 1.0 / (1.0 + exp(-x)); }

static void n_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, const float *C0, int ldc, double *R)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            R[(size_t)i * N + j] = alpha * s + (beta == 0.0f ? 0.0 : beta * (double)C0[(size_t)i * ldc + j]);
        }
}

static void n_norm(const float *x, size_t n, size_t step, double eps, double *m, double *rs)
{
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i * step];
    s /= n;
    for (size_t i = 0; i < n; i++)
        q += (x[i * step] - s) * (x[i * step] - s);
    *m = s;
    *rs = 1.0 / sqrt(q / n + eps);
}

static void n_conv2d(const float *x, int Cin, int H, int W, const float *w, const float *b,
                     int Cout, int kh, int kw, int s, int p, double *y, int *Ho, int *Wo)
{
    int ho = (H + 2 * p - kh) / s + 1, wo = (W + 2 * p - kw) / s + 1;
    *Ho = ho;
    *Wo = wo;
    for (int co = 0; co < Cout; co++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                double acc = b ? b[co] : 0;
                for (int ci = 0; ci < Cin; ci++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * s - p + ky, ix = ox * s - p + kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            acc += (double)x[((size_t)ci * H + iy) * W + ix] *
                                   w[(((size_t)co * Cin + ci) * kh + ky) * kw + kx];
                        }
                y[((size_t)co * ho + oy) * wo + ox] = acc;
            }
}

static int n_conv1d(const float *x, int Cin, int L, const float *w, const float *b, int Cout,
                    int k, int s, int p, int d, double *y)
{
    int lo = (L + 2 * p - d * (k - 1) - 1) / s + 1;
    for (int co = 0; co < Cout; co++)
        for (int o = 0; o < lo; o++) {
            double acc = b ? b[co] : 0;
            for (int ci = 0; ci < Cin; ci++)
                for (int kk = 0; kk < k; kk++) {
                    int ix = o * s - p + kk * d;
                    if (ix >= 0 && ix < L)
                        acc += (double)x[(size_t)ci * L + ix] * w[((size_t)co * Cin + ci) * k + kk];
                }
            y[(size_t)co * lo + o] = acc;
        }
    return lo;
}

static int n_convt1d(const float *x, int Cin, int L, const float *w, const float *b, int Cout,
                     int k, int s, int p, double *y)
{
    int lo = (L - 1) * s - 2 * p + k;
    for (int co = 0; co < Cout; co++)
        for (int o = 0; o < lo; o++)
            y[(size_t)co * lo + o] = b ? b[co] : 0;
    for (int ci = 0; ci < Cin; ci++)
        for (int t = 0; t < L; t++)
            for (int co = 0; co < Cout; co++)
                for (int kk = 0; kk < k; kk++) {
                    int o = t * s - p + kk;
                    if (o >= 0 && o < lo)
                        y[(size_t)co * lo + o] +=
                            (double)x[(size_t)ci * L + t] * w[((size_t)ci * Cout + co) * k + kk];
                }
    return lo;
}

static void n_attention(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                        int heads, int Lq, int Lk, int dh, float scale, double *o /* [Lq, heads*dh] */)
{
    double *s = malloc(sizeof(double) * Lk);
    for (int h = 0; h < heads; h++)
        for (int i = 0; i < Lq; i++) {
            double m = -INFINITY, sum = 0;
            for (int j = 0; j < Lk; j++) {
                double a = 0;
                for (int d = 0; d < dh; d++)
                    a += (double)q[(size_t)i * ldq + h * dh + d] * k[(size_t)j * ldk + h * dh + d];
                s[j] = a * scale;
                if (s[j] > m)
                    m = s[j];
            }
            for (int j = 0; j < Lk; j++)
                sum += (s[j] = exp(s[j] - m));
            for (int d = 0; d < dh; d++) {
                double a = 0;
                for (int j = 0; j < Lk; j++)
                    a += s[j] / sum * v[(size_t)j * ldv + h * dh + d];
                o[(size_t)i * heads * dh + h * dh + d] = a;
            }
        }
    free(s);
}

static void n_lstm(int T, int B, int H, const float *gx, const float *whh, int reverse,
                   double *out /* [T, B, H] */)
{
    double *h = calloc((size_t)B * H, sizeof(double)), *c = calloc((size_t)B * H, sizeof(double));
    double *hn = calloc((size_t)B * H, sizeof(double));
    for (int st = 0; st < T; st++) {
        int t = reverse ? T - 1 - st : st;
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < H; j++) {
                double g[4];
                for (int q = 0; q < 4; q++) {
                    double a = gx[((size_t)t * B + b) * 4 * H + q * H + j];
                    for (int k = 0; k < H; k++)
                        a += h[(size_t)b * H + k] * whh[((size_t)q * H + j) * H + k];
                    g[q] = a;
                }
                double cn = n_sig(g[1]) * c[(size_t)b * H + j] + n_sig(g[0]) * tanh(g[2]);
                c[(size_t)b * H + j] = cn;
                hn[(size_t)b * H + j] = n_sig(g[3]) * tanh(cn);
            }
        }
        memcpy(h, hn, sizeof(double) * B * H);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++)
                out[((size_t)t * B + b) * H + j] = h[(size_t)b * H + j];
    }
    free(h);
    free(c);
    free(hn);
}

/* ref's sums are float32 in a fixed order; against double this is the
 * expected rounding, scaled by the RMS of the result. */
static const tol TOL_NAIVE = {2e-6, 2e-6};

START_TEST(naive_gemm)
{
    static const int sz[][3] = {{1, 1, 1},   {3, 5, 7},     {6, 16, 256}, {7, 17, 257},
                                {13, 37, 9}, {130, 530, 300}, {121, 33, 600}, {2, 1100, 20},
                                {1, 300, 513}};
    rng g = {1};
    int bad = 0;
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = sz[s][0], N = sz[s][1], K = sz[s][2];
                int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
                float *A = rvec(&g, (size_t)lda * (ta ? K : M), 1), *B = rvec(&g, (size_t)ldb * (tb ? N : K), 1);
                float *C = rvec(&g, (size_t)ldc * M, 1), *Cg = malloc(sizeof(float) * M * N);
                double *W = malloc(sizeof(double) * M * N);
                float alpha = s % 2 ? 0.75f : 1.0f, beta = s % 3 == 1 ? 0.5f : 0.0f;
                n_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, W);
                ck_assert_int_eq(RV->gemm(RC, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), SC_OK);
                for (int i = 0; i < M; i++)
                    memcpy(Cg + (size_t)i * N, C + (size_t)i * ldc, sizeof(float) * N);
                char what[96];
                snprintf(what, sizeof what, "ref gemm ta=%d tb=%d %dx%dx%d", ta, tb, M, N, K);
                bad += close_d(what, Cg, W, (size_t)M * N, TOL_NAIVE);
                free(A), free(B), free(C), free(Cg), free(W);
            }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(naive_gemm_order)
{
    /* The documented ref numerics: each output is the k-ordered float32
     * sum, whatever the blocking (K > 256 spans several blocks). */
    rng g = {2};
    static const int Ms[] = {1, 2, 9};   /* the small-M path and the blocked one */
    for (int mi = 0; mi < 3; mi++)
        for (int tb = 0; tb < 2; tb++) {
            int M = Ms[mi], N = 19, K = 700;
            float *A = rvec(&g, (size_t)M * K, 1), *B = rvec(&g, (size_t)K * N, 1), *C = fvec((size_t)M * N, 0);
            ck_assert_int_eq(RV->gemm(RC, 0, tb, M, N, K, 1.0f, A, K, B, tb ? K : N, 0.0f, C, N), SC_OK);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    volatile float acc = 0.0f;
                    for (int k = 0; k < K; k++) {
                        volatile float p = A[(size_t)i * K + k] * (tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]);
                        acc = acc + p;
                    }
                    ck_assert_msg(acc == C[(size_t)i * N + j], "gemm M%d tb%d [%d,%d] %.9g != k-ordered %.9g", M,
                                  tb, i, j, C[(size_t)i * N + j], (float)acc);
                }
            free(A), free(B), free(C);
        }
}
END_TEST

START_TEST(naive_norms)
{
    rng g = {3};
    int bad = 0;
    static const int ln[][2] = {{1, 1}, {3, 7}, {5, 768}, {2, 1023}};
    for (size_t s = 0; s < 4; s++) {
        int rows = ln[s][0], cols = ln[s][1];
        float *x = rvec(&g, (size_t)rows * cols, 3), *gm = rvec(&g, cols, 2), *bt = rvec(&g, cols, 1);
        for (size_t i = 0; i < (size_t)rows * cols; i++)
            x[i] += 5.0f;   /* an offset, as in real activations */
        float *y = malloc(sizeof(float) * rows * cols);
        double *w = malloc(sizeof(double) * rows * cols);
        ck_assert_int_eq(RV->layernorm(RC, x, rows, cols, gm, bt, 1e-5f, y), SC_OK);
        for (int r = 0; r < rows; r++) {
            double m, rs;
            n_norm(x + (size_t)r * cols, cols, 1, 1e-5, &m, &rs);
            for (int c = 0; c < cols; c++)
                w[(size_t)r * cols + c] = (x[(size_t)r * cols + c] - m) * rs * gm[c] + bt[c];
        }
        char what[64];
        snprintf(what, sizeof what, "ref layernorm %dx%d", rows, cols);
        bad += close_d(what, y, w, (size_t)rows * cols, TOL_NAIVE);
        free(x), free(gm), free(bt), free(y), free(w);
    }
    static const int gn[][3] = {{32, 7, 32}, {64, 35, 32}, {6, 1, 3}, {320, 64, 32}};
    for (size_t s = 0; s < 4; s++)
        for (int silu = 0; silu < 2; silu++) {
            int C = gn[s][0], HW = gn[s][1], G = gn[s][2], cg = C / G;
            float *x = rvec(&g, (size_t)C * HW, 2), *gm = rvec(&g, C, 2), *bt = rvec(&g, C, 1);
            float *y = malloc(sizeof(float) * C * HW);
            double *w = malloc(sizeof(double) * C * HW);
            ck_assert_int_eq(RV->groupnorm(RC, x, C, HW, G, gm, bt, 1e-6f, silu, y), SC_OK);
            for (int gi = 0; gi < G; gi++) {
                double m, rs;
                n_norm(x + (size_t)gi * cg * HW, (size_t)cg * HW, 1, 1e-6, &m, &rs);
                for (int c = gi * cg; c < (gi + 1) * cg; c++)
                    for (int i = 0; i < HW; i++) {
                        double v = (x[(size_t)c * HW + i] - m) * rs * gm[c] + bt[c];
                        w[(size_t)c * HW + i] = silu ? v * n_sig(v) : v;
                    }
            }
            char what[64];
            snprintf(what, sizeof what, "ref groupnorm C%d HW%d G%d silu%d", C, HW, G, silu);
            bad += close_d(what, y, w, (size_t)C * HW, TOL_NAIVE);
            free(x), free(gm), free(bt), free(y), free(w);
        }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(naive_act)
{
    rng g = {4};
    size_t n = 20001;
    float *x = rvec(&g, n, 12);
    x[0] = 0, x[1] = -0.0f, x[2] = 1e-8f, x[3] = -30, x[4] = 30;
    float *y = malloc(sizeof(float) * n);
    double *w = malloc(sizeof(double) * n);
    int bad = 0;
    const tol t = {1e-7, 2e-6};
    for (int a = 0; a < SC_ACT_COUNT; a++) {
        ck_assert_int_eq(RV->act(RC, a, 0.2f, x, (int64_t)n, y), SC_OK);
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            switch (a) {
            case SC_ACT_GELU: w[i] = n_gelu(v); break;
            case SC_ACT_SILU: w[i] = v * n_sig(v); break;
            case SC_ACT_LEAKY: w[i] = v >= 0 ? v : 0.2 * v; break;
            case SC_ACT_TANH: w[i] = tanh(v); break;
            case SC_ACT_SIGMOID: w[i] = n_sig(v); break;
            default: w[i] = v < 0 ? 0 : v; break;
            }
        }
        char what[32];
        snprintf(what, sizeof what, "ref act %d", a);
        bad += close_d(what, y, w, n, t);
    }
    /* geglu from the same gelu */
    int rows = 7, m = 333;
    float *gx = rvec(&g, (size_t)rows * 2 * m, 4), *gy = malloc(sizeof(float) * rows * m);
    double *gw = malloc(sizeof(double) * rows * m);
    ck_assert_int_eq(RV->geglu(RC, gx, rows, m, gy), SC_OK);
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < m; j++)
            gw[(size_t)r * m + j] = gx[(size_t)r * 2 * m + j] * n_gelu(gx[(size_t)r * 2 * m + m + j]);
    bad += close_d("ref geglu", gy, gw, (size_t)rows * m, t);
    free(x), free(y), free(w), free(gx), free(gy), free(gw);
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(naive_attention)
{
    static const int sz[][4] = {{1, 1, 1, 1}, {2, 5, 7, 3}, {12, 65, 65, 64}, {8, 77, 13, 40}, {3, 9, 300, 17}};
    rng g = {5};
    int bad = 0;
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int hd = sz[s][0], Lq = sz[s][1], Lk = sz[s][2], dh = sz[s][3], D = hd * dh;
        int ldq = D + 3, ldk = D + 5, ldv = D + 1, ldo = D + 2;
        float *q = rvec(&g, (size_t)Lq * ldq, 2), *k = rvec(&g, (size_t)Lk * ldk, 2);
        float *v = rvec(&g, (size_t)Lk * ldv, 1), *o = fvec((size_t)Lq * ldo, 0);
        float *og = malloc(sizeof(float) * Lq * D);
        double *w = malloc(sizeof(double) * Lq * D);
        float scale = 1.0f / sqrtf((float)dh);
        n_attention(q, ldq, k, ldk, v, ldv, hd, Lq, Lk, dh, scale, w);
        ck_assert_int_eq(RV->attention(RC, q, ldq, k, ldk, v, ldv, o, ldo, hd, Lq, Lk, dh, scale), SC_OK);
        for (int i = 0; i < Lq; i++)
            memcpy(og + (size_t)i * D, o + (size_t)i * ldo, sizeof(float) * D);
        char what[64];
        snprintf(what, sizeof what, "ref attention h%d %dx%d dh%d", hd, Lq, Lk, dh);
        /* float32 scores carry their rounding through exp() */
        bad += close_d(what, og, w, (size_t)Lq * D, (tol){5e-6, 5e-6});
        free(q), free(k), free(v), free(o), free(og), free(w);
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(naive_conv)
{
    rng g = {6};
    int bad = 0;
    char what[96];
    /* Cin H W Cout kh kw stride pad */
    static const int c2[][8] = {{3, 9, 11, 5, 3, 3, 1, 1}, {4, 10, 7, 6, 3, 3, 2, 1},
                                {5, 8, 8, 7, 1, 1, 1, 0}, {1, 32, 48, 8, 16, 16, 16, 0},
                                {2, 5, 6, 3, 2, 3, 1, 2}, {33, 12, 20, 17, 3, 3, 1, 1}};
    for (size_t s = 0; s < sizeof c2 / sizeof c2[0]; s++) {
        const int *p = c2[s];
        float *x = rvec(&g, (size_t)p[0] * p[1] * p[2], 1), *w = rvec(&g, (size_t)p[3] * p[0] * p[4] * p[5], 1);
        float *b = rvec(&g, p[3], 1);
        int Ho, Wo;
        double *wy = malloc(sizeof(double) * p[3] * (p[1] + 2 * p[7]) * (p[2] + 2 * p[7]));
        n_conv2d(x, p[0], p[1], p[2], w, b, p[3], p[4], p[5], p[6], p[7], wy, &Ho, &Wo);
        float *y = malloc(sizeof(float) * p[3] * Ho * Wo);
        ck_assert_int_eq(RV->conv2d(RC, x, p[0], p[1], p[2], w, b, p[3], p[4], p[5], p[6], p[7], y), SC_OK);
        snprintf(what, sizeof what, "ref conv2d %dx%dx%d->%d k%dx%d s%d p%d", p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
        bad += close_d(what, y, wy, (size_t)p[3] * Ho * Wo, TOL_NAIVE);
        free(x), free(w), free(b), free(wy), free(y);
    }
    /* Cin L Cout k stride pad dilation */
    static const int c1[][7] = {{6, 37, 5, 5, 1, 2, 1}, {6, 37, 5, 3, 2, 1, 1}, {4, 50, 3, 3, 1, 5, 5},
                                {7, 40, 9, 7, 1, 9, 3}, {3, 16, 2, 1, 1, 0, 1}, {5, 21, 4, 4, 3, 0, 2}};
    for (size_t s = 0; s < sizeof c1 / sizeof c1[0]; s++) {
        const int *p = c1[s];
        float *x = rvec(&g, (size_t)p[0] * p[1], 1), *w = rvec(&g, (size_t)p[2] * p[0] * p[3], 1);
        float *b = s % 2 ? NULL : rvec(&g, p[2], 1);
        double *wy = malloc(sizeof(double) * p[2] * (p[1] + 2 * p[5]));
        int Lo = n_conv1d(x, p[0], p[1], w, b, p[2], p[3], p[4], p[5], p[6], wy);
        float *y = malloc(sizeof(float) * p[2] * Lo);
        ck_assert_int_eq(RV->conv1d(RC, x, p[0], p[1], w, b, p[2], p[3], p[4], p[5], p[6], y), SC_OK);
        snprintf(what, sizeof what, "ref conv1d %dx%d->%d k%d s%d p%d d%d", p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        bad += close_d(what, y, wy, (size_t)p[2] * Lo, TOL_NAIVE);
        free(x), free(w), free(b), free(wy), free(y);
    }
    /* Cin L Cout k stride pad */
    static const int ct[][6] = {{6, 13, 4, 8, 4, 2}, {5, 11, 3, 16, 8, 4}, {4, 9, 5, 4, 2, 1},
                                {3, 10, 2, 3, 1, 1}, {2, 7, 3, 2, 3, 0}};
    for (size_t s = 0; s < sizeof ct / sizeof ct[0]; s++) {
        const int *p = ct[s];
        float *x = rvec(&g, (size_t)p[0] * p[1], 1), *w = rvec(&g, (size_t)p[0] * p[2] * p[3], 1);
        float *b = s % 2 ? NULL : rvec(&g, p[2], 1);
        double *wy = malloc(sizeof(double) * p[2] * (p[1] * p[4] + p[3]));
        int Lo = n_convt1d(x, p[0], p[1], w, b, p[2], p[3], p[4], p[5], wy);
        float *y = malloc(sizeof(float) * p[2] * Lo);
        ck_assert_int_eq(RV->conv_transpose1d(RC, x, p[0], p[1], w, b, p[2], p[3], p[4], p[5], y), SC_OK);
        snprintf(what, sizeof what, "ref convt1d %dx%d->%d k%d s%d p%d", p[0], p[1], p[2], p[3], p[4], p[5]);
        bad += close_d(what, y, wy, (size_t)p[2] * Lo, TOL_NAIVE);
        free(x), free(w), free(b), free(wy), free(y);
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(naive_lstm)
{
    static const int sz[][3] = {{1, 1, 1}, {5, 1, 7}, {9, 3, 33}, {4, 8, 64}};
    rng g = {7};
    int bad = 0;
    for (size_t s = 0; s < 4; s++)
        for (int rev = 0; rev < 2; rev++) {
            int T = sz[s][0], B = sz[s][1], H = sz[s][2], ldo = 2 * H;
            float *gx = rvec(&g, (size_t)T * B * 4 * H, 2), *whh = rvec(&g, (size_t)4 * H * H, 1.0f / sqrtf((float)H));
            float *out = fvec((size_t)T * B * ldo, 0), *ws = malloc(sizeof(float) * sc_lstm_ws(B, H));
            float *og = malloc(sizeof(float) * T * B * H);
            double *w = malloc(sizeof(double) * T * B * H);
            n_lstm(T, B, H, gx, whh, rev, w);
            /* the reverse half writes the right half of a [T, B, 2H] buffer */
            ck_assert_int_eq(RV->lstm(RC, T, B, H, gx, whh, rev, out + (rev ? H : 0), ldo, ws), SC_OK);
            for (size_t i = 0; i < (size_t)T * B; i++)
                memcpy(og + i * H, out + i * ldo + (rev ? H : 0), sizeof(float) * H);
            char what[64];
            snprintf(what, sizeof what, "ref lstm T%d B%d H%d rev%d", T, B, H, rev);
            bad += close_d(what, og, w, (size_t)T * B * H, TOL_NAIVE);
            free(gx), free(whh), free(out), free(ws), free(og), free(w);
        }
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* Exact squared distances in double for nearest(). */
static double n_dist2(const float *x, const float *c, int D)
{
    double s = 0;
    for (int d = 0; d < D; d++)
        s += ((double)x[d] - c[d]) * ((double)x[d] - c[d]);
    return s;
}

START_TEST(naive_nearest)
{
    rng g = {8};
    int M = 50, D = 96, N = 500, ldx = D + 4;
    float *x = rvec(&g, (size_t)M * ldx, 1), *cb = rvec(&g, (size_t)N * D, 1), *cbn = malloc(sizeof(float) * N);
    for (int n = 0; n < N; n++) {
        double s = 0;
        for (int d = 0; d < D; d++)
            s += (double)cb[(size_t)n * D + d] * cb[(size_t)n * D + d];
        cbn[n] = (float)s;
    }
    int64_t *idx = malloc(sizeof(int64_t) * M);
    float *dist = malloc(sizeof(float) * M);
    for (int mode = 0; mode < 2; mode++) {
        ck_assert_int_eq(RV->nearest(RC, mode, x, ldx, M, D, cb, cbn, N, idx, dist), SC_OK);
        for (int m = 0; m < M; m++) {
            const float *xr = x + (size_t)m * ldx;
            double best = INFINITY;
            for (int n = 0; n < N; n++) {
                double d = n_dist2(xr, cb + (size_t)n * D, D);
                best = d < best ? d : best;
            }
            double got = n_dist2(xr, cb + (size_t)idx[m] * D, D);
            /* the float32 expansion may pick a codeword within its rounding */
            ck_assert_msg(got <= best + 1e-4, "row %d: idx %lld at %.9g, best %.9g", m,
                          (long long)idx[m], got, best);
            double want = mode ? sqrt(got) : got;
            ck_assert_msg(fabs(dist[m] - want) <= 1e-4 * (1 + want), "row %d dist %.9g want %.9g", m,
                          dist[m], want);
        }
    }
    free(x), free(cb), free(cbn), free(idx), free(dist);
}
END_TEST

#undef RV
#undef RC

/* ------------------------------------------------------------------ */
/* 3. Any backend against ref.                                          */

/* Tolerances against ref (atol is relative to the RMS of ref's result):
 * accumulations may be summed in another order, with FMA, in blocks;
 * element-wise transcendental functions may be vector approximations
 * (GELU's erf must stay within ~1e-7 absolute). */
static const tol TOL_SUM = {2e-5, 2e-6};
static const tol TOL_ACT = {2e-6, 2e-6};
static const tol TOL_NORM = {2e-5, 2e-5};
/* alpha x + beta: one rounding of alpha x may differ (FMA), which matters
 * relative to alpha x, not to a result that cancels */
static const tol TOL_FMA = {2e-7, 2.5e-7};

typedef struct cs {
    const be_t *t, *r;
    rng g;
    int bad, n;
    int exact;   /* r is the same backend at another thread count: same bits */
    const tol *over;   /* replaces every case's tolerance (bf16 products) */
    char label[160];
} cs;

static void cs_check(cs *c, const float *yt, const float *yt2, const float *yr, size_t n, tol tl)
{
    c->n++;
    if (yt2 && n && memcmp(yt, yt2, n * sizeof(float))) {
        fprintf(stderr, "  FAIL %s %s: two runs differ (not deterministic)\n", c->t->name, c->label);
        c->bad++;
    }
    char what[200];
    snprintf(what, sizeof what, "%s %s", c->t->name, c->label);
    c->bad += close_enough(what, yt, yr, n, c->exact ? TOL_EXACT : c->over ? *c->over : tl);
}

static void case_gemm(cs *c)
{
    static const int sz[][3] = {{1, 1, 1},      {3, 5, 7},       {17, 33, 9},    {64, 64, 64},
                                {130, 530, 300}, {1, 1536, 1536}, {8, 1536, 384}, {200, 70, 1},
                                {257, 129, 1031}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int v = 0; v < 4; v++) {
            int ta = v & 1, tb = v >> 1, M = sz[s][0], N = sz[s][1], K = sz[s][2];
            int lda = (ta ? M : K) + (s % 3), ldb = (tb ? K : N) + (s % 2) * 5, ldc = N + (v % 3);
            float alpha = s % 2 ? 1.0f : -0.5f, beta = (s + v) % 3 == 0 ? 0.0f : 0.75f;
            size_t na = (size_t)lda * (ta ? K : M), nb = (size_t)ldb * (tb ? N : K), nc = (size_t)ldc * M;
            float *A = rvec(&c->g, na, 1), *B = rvec(&c->g, nb, 1), *C0 = rvec(&c->g, nc, 1);
            if (beta == 0.0f)
                for (size_t i = 0; i < nc; i++)
                    C0[i] = NAN;   /* beta == 0 must ignore C */
            float *yr = malloc(nc * sizeof(float)), *yt = malloc(nc * sizeof(float)), *yt2 = malloc(nc * sizeof(float));
            memcpy(yr, C0, nc * sizeof(float));
            ck_assert_int_eq(c->r->vt->gemm(c->r->ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, yr, ldc), SC_OK);
            float *dA = b_in(c->t, A, na), *dB = b_in(c->t, B, nb), *dC = b_in(c->t, NULL, nc);
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dC, C0, nc * sizeof(float));
                ck_assert_int_eq(c->t->vt->gemm(c->t->ctx, ta, tb, M, N, K, alpha, dA, lda, dB, ldb, beta, dC, ldc), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dC, nc);
            }
            snprintf(c->label, sizeof c->label, "gemm ta=%d tb=%d M%d N%d K%d lda%d ldb%d ldc%d a%g b%g",
                     ta, tb, M, N, K, lda, ldb, ldc, alpha, beta);
            cs_check(c, yt, yt2, yr, nc, TOL_SUM);
            b_free(c->t, dA), b_free(c->t, dB), b_free(c->t, dC);
            free(A), free(B), free(C0), free(yr), free(yt), free(yt2);
        }
}

static void case_linear(cs *c)
{
    /* M K N ldx-K ldy-N bias */
    static const int sz[][6] = {{1, 1, 1, 0, 0, 1},     {7, 13, 5, 3, 2, 1},   {33, 768, 768, 0, 0, 1},
                                {513, 768, 2304, 0, 0, 1}, {1, 1536, 6144, 0, 0, 1}, {5, 100, 37, 11, 4, 0},
                                {64, 320, 1280, 0, 7, 1}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int M = sz[s][0], K = sz[s][1], N = sz[s][2], ldx = K + sz[s][3], ldy = N + sz[s][4];
        size_t nx = (size_t)M * ldx, ny = (size_t)M * ldy;
        float *x = rvec(&c->g, nx, 1), *W = rvec(&c->g, (size_t)N * K, 0.1f);
        float *b = sz[s][5] ? rvec(&c->g, N, 1) : NULL;
        float *yr = fvec(ny, 3), *yt = fvec(ny, 3), *yt2 = fvec(ny, 3);
        ck_assert_int_eq(c->r->vt->linear(c->r->ctx, x, ldx, M, K, W, b, N, yr, ldy), SC_OK);
        float *dx = b_in(c->t, x, nx), *dW = b_in(c->t, W, (size_t)N * K), *db = b ? b_in(c->t, b, N) : NULL;
        float *dy = b_in(c->t, yt, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->linear(c->t->ctx, dx, ldx, M, K, dW, db, N, dy, ldy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "linear M%d K%d N%d ldx%d ldy%d bias%d", M, K, N, ldx, ldy, !!b);
        cs_check(c, yt, yt2, yr, ny, TOL_SUM);
        b_free(c->t, dx), b_free(c->t, dW), b_free(c->t, dy);
        if (db)
            b_free(c->t, db);
        free(x), free(W), free(b), free(yr), free(yt), free(yt2);
    }
}

static void case_layernorm(cs *c)
{
    static const int sz[][2] = {{1, 1}, {3, 7}, {5, 768}, {513, 768}, {2, 1023}, {4, 1536}, {9, 17}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int v = 0; v < 3; v++) {   /* v: 0 g,b; 1 NULL g,b; 2 in place */
            int rows = sz[s][0], cols = sz[s][1];
            size_t n = (size_t)rows * cols;
            float *x = rvec(&c->g, n, 4), *gm = rvec(&c->g, cols, 2), *bt = rvec(&c->g, cols, 1);
            for (size_t i = 0; i < n; i++)
                x[i] += (float)(s * 3);   /* an offset makes naive variance formulas fail */
            float eps = v == 1 ? 1e-6f : 1e-5f;
            const float *G = v == 1 ? NULL : gm, *Bt = v == 1 ? NULL : bt;
            float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
            ck_assert_int_eq(c->r->vt->layernorm(c->r->ctx, x, rows, cols, G, Bt, eps, yr), SC_OK);
            float *dx = b_in(c->t, x, n), *dy = v == 2 ? dx : b_in(c->t, NULL, n);
            float *dg = G ? b_in(c->t, G, cols) : NULL, *db = Bt ? b_in(c->t, Bt, cols) : NULL;
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dx, x, n * sizeof(float));
                ck_assert_int_eq(c->t->vt->layernorm(c->t->ctx, dx, rows, cols, dg, db, eps, dy), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dy, n);
            }
            snprintf(c->label, sizeof c->label, "layernorm %dx%d %s", rows, cols,
                     v == 0 ? "g,b" : v == 1 ? "no g,b" : "in place");
            cs_check(c, yt, yt2, yr, n, TOL_NORM);
            b_free(c->t, dx);
            if (v != 2)
                b_free(c->t, dy);
            if (dg)
                b_free(c->t, dg), b_free(c->t, db);
            free(x), free(gm), free(bt), free(yr), free(yt), free(yt2);
        }
}

static void case_groupnorm(cs *c)
{
    /* C HW groups: UNet 32 groups at several sizes, VAE, odd HW, 1 group */
    static const int sz[][3] = {{32, 7, 32}, {64, 35, 32}, {6, 1, 3}, {320, 512, 32}, {128, 4096, 32},
                                {640, 129, 32}, {12, 33, 1}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int v = 0; v < 3; v++) {   /* v: 0 plain; 1 silu; 2 silu in place */
            int C = sz[s][0], HW = sz[s][1], G = sz[s][2], silu = v > 0;
            size_t n = (size_t)C * HW;
            float *x = rvec(&c->g, n, 3), *gm = rvec(&c->g, C, 2), *bt = rvec(&c->g, C, 1);
            for (size_t i = 0; i < n; i++)
                x[i] += 2.0f;
            float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
            ck_assert_int_eq(c->r->vt->groupnorm(c->r->ctx, x, C, HW, G, gm, bt, 1e-6f, silu, yr), SC_OK);
            float *dx = b_in(c->t, x, n), *dy = v == 2 ? dx : b_in(c->t, NULL, n);
            float *dg = b_in(c->t, gm, C), *db = b_in(c->t, bt, C);
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dx, x, n * sizeof(float));
                ck_assert_int_eq(c->t->vt->groupnorm(c->t->ctx, dx, C, HW, G, dg, db, 1e-6f, silu, dy), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dy, n);
            }
            snprintf(c->label, sizeof c->label, "groupnorm C%d HW%d G%d silu%d%s", C, HW, G, silu,
                     v == 2 ? " in place" : "");
            cs_check(c, yt, yt2, yr, n, TOL_NORM);
            b_free(c->t, dx), b_free(c->t, dg), b_free(c->t, db);
            if (v != 2)
                b_free(c->t, dy);
            free(x), free(gm), free(bt), free(yr), free(yt), free(yt2);
        }
}

/* GELU: 1 + erf(x/sqrt2) may differ by ~1e-7 absolute (ref's erff near
 * -1 is itself only that close), i.e. |dy| <= 0.5 |x| 2.4e-7 plus the
 * output rounding.  y = a gelu(g) when a is given (GEGLU, a with stride
 * 2n: a[i] pairs with g[i] = x[i]). */
static void gelu_check(cs *c, const float *g, const float *a, int n_a, const float *yt,
                       const float *yt2, const float *yr, size_t n)
{
    c->n++;
    if (memcmp(yt, yt2, n * sizeof(float))) {
        fprintf(stderr, "  FAIL %s %s: two runs differ (not deterministic)\n", c->t->name, c->label);
        c->bad++;
    }
    if (c->exact) {
        c->bad += close_enough(c->label, yt, yr, n, TOL_EXACT);
        return;
    }
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double av = a ? fabs(a[(i / n_a) * 2 * n_a + i % n_a]) : 1.0;
        double gv = g[a ? (i / n_a) * 2 * n_a + n_a + i % n_a : i];
        double lim = av * 1.2e-7 * fabs(gv) + 2.5e-7 * fabs(yr[i]) + 1e-37;
        double e = fabs((double)yt[i] - yr[i]);
        if (e / lim > worst)
            worst = e / lim;
        if (e > lim) {
            fprintf(stderr, "  FAIL %s %s: [%zu] got %.9g, ref %.9g (input %.9g)\n", c->t->name, c->label,
                    i, yt[i], yr[i], gv);
            c->bad++;
            return;
        }
    }
    if (F.verbose)
        fprintf(stderr, "  ok %s %s: n=%zu, %.2f of tol\n", c->t->name, c->label, n, worst);
}

static void case_act(cs *c)
{
    static const int64_t sz[] = {1, 7, 16, 33, 1000, 100003};
    static const char *const names[] = {"gelu", "silu", "leaky", "tanh", "sigmoid", "relu"};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int a = 0; a < SC_ACT_COUNT; a++) {
            size_t n = (size_t)sz[s];
            float *x = rvec(&c->g, n, s % 2 ? 12.0f : 3.0f);
            static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-7f, 88.0f, -88.0f, 1e-3f, 5.5f, -5.5f, 20.0f, -20.0f};
            if (n >= 1000)
                memcpy(x, special, sizeof special);
            float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
            ck_assert_int_eq(c->r->vt->act(c->r->ctx, a, 0.1f, x, (int64_t)n, yr), SC_OK);
            float *dx = b_in(c->t, x, n), *dy = s % 2 ? dx : b_in(c->t, NULL, n);
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dx, x, n * sizeof(float));
                ck_assert_int_eq(c->t->vt->act(c->t->ctx, a, 0.1f, dx, (int64_t)n, dy), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dy, n);
            }
            snprintf(c->label, sizeof c->label, "act %s n%zu%s", names[a], n, s % 2 ? " in place" : "");
            if (a != SC_ACT_GELU)
                cs_check(c, yt, yt2, yr, n, a == SC_ACT_LEAKY || a == SC_ACT_RELU ? TOL_EXACT : TOL_ACT);
            else
                gelu_check(c, x, NULL, 1, yt, yt2, yr, n);
            if (dy != dx)
                b_free(c->t, dy);
            b_free(c->t, dx);
            free(x), free(yr), free(yt), free(yt2);
        }
}

static void case_binary(cs *c)
{
    static const int64_t sz[] = {1, 15, 1000, 100001};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int op = 0; op < SC_BIN_COUNT; op++)
            for (int alias = 0; alias < 3; alias++) {   /* y separate, y == a, y == b */
                size_t n = (size_t)sz[s];
                float *a = rvec(&c->g, n, 5), *b = rvec(&c->g, n, 5);
                float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
                ck_assert_int_eq(c->r->vt->binary(c->r->ctx, op, a, b, (int64_t)n, yr), SC_OK);
                float *da = b_in(c->t, a, n), *db = b_in(c->t, b, n);
                float *dy = alias == 1 ? da : alias == 2 ? db : b_in(c->t, NULL, n);
                for (int rep = 0; rep < 2; rep++) {
                    c->t->vt->upload(c->t->ctx, da, a, n * sizeof(float));
                    c->t->vt->upload(c->t->ctx, db, b, n * sizeof(float));
                    ck_assert_int_eq(c->t->vt->binary(c->t->ctx, op, da, db, (int64_t)n, dy), SC_OK);
                    b_get(c->t, rep ? yt2 : yt, dy, n);
                }
                snprintf(c->label, sizeof c->label, "binary op%d n%zu alias%d", op, n, alias);
                cs_check(c, yt, yt2, yr, n, TOL_EXACT);
                if (!alias)
                    b_free(c->t, dy);
                b_free(c->t, da), b_free(c->t, db);
                free(a), free(b), free(yr), free(yt), free(yt2);
            }
}

static void case_scale(cs *c)
{
    static const int64_t sz[] = {1, 17, 100003};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int inplace = 0; inplace < 2; inplace++) {
            size_t n = (size_t)sz[s];
            float *x = rvec(&c->g, n, 5), al = 1.0f / 0.18215f, be = inplace ? -0.25f : 0.0f;
            float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
            ck_assert_int_eq(c->r->vt->scale(c->r->ctx, x, (int64_t)n, al, be, yr), SC_OK);
            float *dx = b_in(c->t, x, n), *dy = inplace ? dx : b_in(c->t, NULL, n);
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dx, x, n * sizeof(float));
                ck_assert_int_eq(c->t->vt->scale(c->t->ctx, dx, (int64_t)n, al, be, dy), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dy, n);
            }
            snprintf(c->label, sizeof c->label, "scale n%zu in place %d", n, inplace);
            cs_check(c, yt, yt2, yr, n, TOL_FMA);
            if (!inplace)
                b_free(c->t, dy);
            b_free(c->t, dx);
            free(x), free(yr), free(yt), free(yt2);
        }
}

static void case_bias(cs *c)
{
    static const int sz[][2] = {{1, 1}, {3, 17}, {320, 4096}, {513, 768}, {7, 1}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int v = 0; v < 4; v++) {   /* per_row x in place */
            int rows = sz[s][0], cols = sz[s][1], per_row = v & 1, inplace = v >> 1;
            size_t n = (size_t)rows * cols;
            float *x = rvec(&c->g, n, 2), *vec = rvec(&c->g, per_row ? rows : cols, 2);
            float *yr = malloc(n * sizeof(float)), *yt = malloc(n * sizeof(float)), *yt2 = malloc(n * sizeof(float));
            ck_assert_int_eq(c->r->vt->bias(c->r->ctx, x, rows, cols, vec, per_row, yr), SC_OK);
            float *dx = b_in(c->t, x, n), *dv = b_in(c->t, vec, per_row ? rows : cols);
            float *dy = inplace ? dx : b_in(c->t, NULL, n);
            for (int rep = 0; rep < 2; rep++) {
                c->t->vt->upload(c->t->ctx, dx, x, n * sizeof(float));
                ck_assert_int_eq(c->t->vt->bias(c->t->ctx, dx, rows, cols, dv, per_row, dy), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dy, n);
            }
            snprintf(c->label, sizeof c->label, "bias %dx%d per_row%d in place %d", rows, cols, per_row, inplace);
            cs_check(c, yt, yt2, yr, n, TOL_EXACT);
            if (!inplace)
                b_free(c->t, dy);
            b_free(c->t, dx), b_free(c->t, dv);
            free(x), free(vec), free(yr), free(yt), free(yt2);
        }
}

static void case_attention(cs *c)
{
    /* heads Lq Lk dh, then whether rows are padded (ld > heads*dh) */
    static const int sz[][5] = {{1, 1, 1, 1, 0},     {2, 5, 7, 3, 1},       {12, 65, 65, 64, 0},
                                {8, 77, 13, 40, 1},  {5, 256, 512, 32, 0},  {12, 513, 513, 64, 0},
                                {10, 129, 512, 32, 1}, {1, 3, 1000, 8, 1}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int hd = sz[s][0], Lq = sz[s][1], Lk = sz[s][2], dh = sz[s][3], D = hd * dh, pad = sz[s][4];
        int ldq = D + pad * 3, ldk = D + pad * 5, ldv = D + pad, ldo = D + pad * 2;
        float *q = rvec(&c->g, (size_t)Lq * ldq, 2), *k = rvec(&c->g, (size_t)Lk * ldk, 2);
        float *v = rvec(&c->g, (size_t)Lk * ldv, 1);
        size_t no = (size_t)Lq * ldo;
        float *yr = fvec(no, 7), *yt = fvec(no, 7), *yt2 = fvec(no, 7);
        float scale = 1.0f / sqrtf((float)dh);
        ck_assert_int_eq(c->r->vt->attention(c->r->ctx, q, ldq, k, ldk, v, ldv, yr, ldo, hd, Lq, Lk, dh, scale), SC_OK);
        float *dq = b_in(c->t, q, (size_t)Lq * ldq), *dk = b_in(c->t, k, (size_t)Lk * ldk);
        float *dv = b_in(c->t, v, (size_t)Lk * ldv), *dout = b_in(c->t, yt, no);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->attention(c->t->ctx, dq, ldq, dk, ldk, dv, ldv, dout, ldo, hd, Lq, Lk, dh, scale), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dout, no);
        }
        snprintf(c->label, sizeof c->label, "attention heads%d Lq%d Lk%d dh%d ld+%d", hd, Lq, Lk, dh, pad);
        cs_check(c, yt, yt2, yr, no, TOL_SUM);
        b_free(c->t, dq), b_free(c->t, dk), b_free(c->t, dv), b_free(c->t, dout);
        free(q), free(k), free(v), free(yr), free(yt), free(yt2);
    }
}

static void case_conv2d(cs *c)
{
    /* Cin H W Cout kh kw stride pad: UNet/VAE 3x3, stride-2 downsample,
     * 1x1 (shortcut), AudioMAE 16x16 patch embedding, odd sizes, kh != kw */
    static const int sz[][8] = {{3, 9, 11, 5, 3, 3, 1, 1},     {4, 10, 7, 6, 3, 3, 2, 1},
                                {5, 8, 8, 7, 1, 1, 1, 0},      {1, 64, 128, 768, 16, 16, 16, 0},
                                {2, 5, 6, 3, 2, 3, 1, 2},      {8, 64, 4, 128, 3, 3, 1, 1},
                                {128, 32, 32, 128, 3, 3, 2, 1}, {320, 32, 8, 320, 3, 3, 1, 1},
                                {64, 33, 17, 32, 1, 1, 1, 0},  {3, 7, 7, 2, 5, 5, 3, 2},
                                /* blas's Winograd 3x3 (by shape: >= 128 channels, rows
                                 * >= 16; winograd=always: all): odd sizes, blocks that
                                 * start mid-row, one row/column, 1 output channel */
                                {128, 17, 35, 128, 3, 3, 1, 1}, {130, 6, 16, 136, 3, 3, 1, 1},
                                {5, 1, 20, 3, 3, 3, 1, 1},      {4, 13, 1, 2, 3, 3, 1, 1},
                                {9, 2, 2, 1, 3, 3, 1, 1},       {16, 41, 23, 1, 3, 3, 1, 1}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        const int *p = sz[s];
        int Cin = p[0], H = p[1], W = p[2], Co = p[3], kh = p[4], kw = p[5], st = p[6], pd = p[7];
        int Ho = (H + 2 * pd - kh) / st + 1, Wo = (W + 2 * pd - kw) / st + 1;
        size_t nx = (size_t)Cin * H * W, nw = (size_t)Co * Cin * kh * kw, ny = (size_t)Co * Ho * Wo;
        float *x = rvec(&c->g, nx, 1), *w = rvec(&c->g, nw, 0.2f), *b = s % 3 == 2 ? NULL : rvec(&c->g, Co, 1);
        float *yr = malloc(ny * sizeof(float)), *yt = malloc(ny * sizeof(float)), *yt2 = malloc(ny * sizeof(float));
        ck_assert_int_eq(c->r->vt->conv2d(c->r->ctx, x, Cin, H, W, w, b, Co, kh, kw, st, pd, yr), SC_OK);
        float *dx = b_in(c->t, x, nx), *dw = b_in(c->t, w, nw), *db = b ? b_in(c->t, b, Co) : NULL;
        float *dy = b_in(c->t, NULL, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->conv2d(c->t->ctx, dx, Cin, H, W, dw, db, Co, kh, kw, st, pd, dy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "conv2d %dx%dx%d->%d k%dx%d s%d p%d bias%d", Cin, H, W, Co, kh, kw, st, pd, !!b);
        cs_check(c, yt, yt2, yr, ny, TOL_SUM);
        b_free(c->t, dx), b_free(c->t, dw), b_free(c->t, dy);
        if (db)
            b_free(c->t, db);
        free(x), free(w), free(b), free(yr), free(yt), free(yt2);
    }
}

static void case_conv1d(cs *c)
{
    /* Cin L Cout k stride pad dilation: HiFi-GAN resblocks (k 3/7/11,
     * dilation 1/3/5), conv_pre k7, stride 2, 1x1 */
    static const int sz[][7] = {{6, 37, 5, 5, 1, 2, 1},   {6, 37, 5, 3, 2, 1, 1},    {4, 50, 3, 3, 1, 5, 5},
                                {7, 40, 9, 7, 1, 9, 3},   {3, 16, 2, 1, 1, 0, 1},    {5, 21, 4, 4, 3, 0, 2},
                                {64, 1000, 64, 11, 1, 25, 5}, {128, 513, 256, 7, 1, 3, 1}, {32, 4001, 1, 7, 1, 3, 1},
                                /* blas's Winograd F(3,3) (by shape: stride 1, k >= 3, >= 64
                                 * channels; winograd=always: all): 8 blocks, a partial last
                                 * tile, fewer outputs than one tile, no padding, k not a
                                 * multiple of 3 */
                                {64, 3001, 64, 7, 1, 9, 3},   {65, 301, 70, 11, 1, 25, 5},
                                {64, 77, 64, 3, 1, 1, 1},     {64, 5, 64, 11, 1, 25, 5},
                                {64, 40, 96, 5, 1, 0, 2},     {3, 29, 2, 4, 1, 3, 3},
                                {32, 700, 32, 7, 1, 9, 3}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        const int *p = sz[s];
        int Cin = p[0], L = p[1], Co = p[2], k = p[3], st = p[4], pd = p[5], dl = p[6];
        int Lo = (L + 2 * pd - dl * (k - 1) - 1) / st + 1;
        size_t nx = (size_t)Cin * L, nw = (size_t)Co * Cin * k, ny = (size_t)Co * Lo;
        float *x = rvec(&c->g, nx, 1), *w = rvec(&c->g, nw, 0.2f), *b = s % 2 ? NULL : rvec(&c->g, Co, 1);
        float *yr = malloc(ny * sizeof(float)), *yt = malloc(ny * sizeof(float)), *yt2 = malloc(ny * sizeof(float));
        ck_assert_int_eq(c->r->vt->conv1d(c->r->ctx, x, Cin, L, w, b, Co, k, st, pd, dl, yr), SC_OK);
        float *dx = b_in(c->t, x, nx), *dw = b_in(c->t, w, nw), *db = b ? b_in(c->t, b, Co) : NULL;
        float *dy = b_in(c->t, NULL, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->conv1d(c->t->ctx, dx, Cin, L, dw, db, Co, k, st, pd, dl, dy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "conv1d %dx%d->%d k%d s%d p%d d%d bias%d", Cin, L, Co, k, st, pd, dl, !!b);
        cs_check(c, yt, yt2, yr, ny, TOL_SUM);
        b_free(c->t, dx), b_free(c->t, dw), b_free(c->t, dy);
        if (db)
            b_free(c->t, db);
        free(x), free(w), free(b), free(yr), free(yt), free(yt2);
    }
}

static void case_conv_transpose1d(cs *c)
{
    /* Cin L Cout k stride pad: HiFi-GAN upsampling (k 16 s 8 p 4, k 4 s 2 p 1) */
    static const int sz[][6] = {{6, 13, 4, 8, 4, 2}, {5, 11, 3, 16, 8, 4}, {4, 9, 5, 4, 2, 1},
                                {3, 10, 2, 3, 1, 1}, {2, 7, 3, 2, 3, 0},   {512, 64, 256, 16, 8, 4},
                                {128, 300, 64, 4, 2, 1}, {1, 1, 1, 1, 1, 0}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        const int *p = sz[s];
        int Cin = p[0], L = p[1], Co = p[2], k = p[3], st = p[4], pd = p[5];
        int Lo = (L - 1) * st - 2 * pd + k;
        size_t nx = (size_t)Cin * L, nw = (size_t)Cin * Co * k, ny = (size_t)Co * Lo;
        float *x = rvec(&c->g, nx, 1), *w = rvec(&c->g, nw, 0.2f), *b = s % 2 ? NULL : rvec(&c->g, Co, 1);
        float *yr = malloc(ny * sizeof(float)), *yt = malloc(ny * sizeof(float)), *yt2 = malloc(ny * sizeof(float));
        ck_assert_int_eq(c->r->vt->conv_transpose1d(c->r->ctx, x, Cin, L, w, b, Co, k, st, pd, yr), SC_OK);
        float *dx = b_in(c->t, x, nx), *dw = b_in(c->t, w, nw), *db = b ? b_in(c->t, b, Co) : NULL;
        float *dy = b_in(c->t, NULL, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->conv_transpose1d(c->t->ctx, dx, Cin, L, dw, db, Co, k, st, pd, dy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "convt1d %dx%d->%d k%d s%d p%d bias%d", Cin, L, Co, k, st, pd, !!b);
        cs_check(c, yt, yt2, yr, ny, TOL_SUM);
        b_free(c->t, dx), b_free(c->t, dw), b_free(c->t, dy);
        if (db)
            b_free(c->t, db);
        free(x), free(w), free(b), free(yr), free(yt), free(yt2);
    }
}

static void case_lstm(cs *c)
{
    /* T B H: unit sizes, odd H, batched, the real H = 1536 (short T);
     * B > 16 takes blas's lane kernel: a part-filled group, two groups,
     * a full group at the real width */
    static const int sz[][3] = {{1, 1, 1}, {5, 1, 7}, {9, 3, 33}, {6, 8, 128}, {20, 1, 256},
                                {3, 1, 1536}, {2, 8, 1536}, {4, 17, 33}, {3, 40, 100},
                                {2, 32, 1536}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int rev = 0; rev < 2; rev++) {
            int T = sz[s][0], B = sz[s][1], H = sz[s][2], ldo = 2 * H, off = rev ? H : 0;
            size_t ng = (size_t)T * B * 4 * H, nw = (size_t)4 * H * H, no = (size_t)T * B * ldo;
            float *gx = rvec(&c->g, ng, 2), *whh = rvec(&c->g, nw, 1.5f / sqrtf((float)H));
            float *yr = fvec(no, 5), *yt = fvec(no, 5), *yt2 = fvec(no, 5);
            float *ws = malloc(sizeof(float) * sc_lstm_ws(B, H));
            ck_assert_int_eq(c->r->vt->lstm(c->r->ctx, T, B, H, gx, whh, rev, yr + off, ldo, ws), SC_OK);
            float *dg = b_in(c->t, gx, ng), *dw = b_in(c->t, whh, nw), *dout = b_in(c->t, yt, no);
            float *dws = b_in(c->t, NULL, sc_lstm_ws(B, H));
            for (int rep = 0; rep < 2; rep++) {
                ck_assert_int_eq(c->t->vt->lstm(c->t->ctx, T, B, H, dg, dw, rev, dout + off, ldo, dws), SC_OK);
                b_get(c->t, rep ? yt2 : yt, dout, no);
            }
            snprintf(c->label, sizeof c->label, "lstm T%d B%d H%d reverse%d", T, B, H, rev);
            /* Above 16 sequences an ISA without the lane kernel (blas's
             * AVX2 and generic ones) takes sgemm for hidden-unit blocks
             * sized by the thread count: equal within rounding only. */
            int exact = c->exact;
            c->exact = exact && B <= 16;
            cs_check(c, yt, yt2, yr, no, TOL_SUM);
            c->exact = exact;
            b_free(c->t, dg), b_free(c->t, dw), b_free(c->t, dout), b_free(c->t, dws);
            free(gx), free(whh), free(yr), free(yt), free(yt2), free(ws);
        }
}

static void case_nearest(cs *c)
{
    /* M D N ldx-D: semantic k-means (768-d, 8192 centroids) and acoustic
     * VQ sizes, tiny and odd ones; duplicated codewords force exact ties. */
    static const int sz[][4] = {{1, 1, 1, 0}, {7, 5, 9, 3}, {100, 768, 1000, 0}, {33, 128, 8192, 1},
                                {64, 768, 8192, 0}, {5, 3, 300, 2}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int mode = 0; mode < 2; mode++) {
            int M = sz[s][0], D = sz[s][1], N = sz[s][2], ldx = D + sz[s][3];
            float *x = rvec(&c->g, (size_t)M * ldx, 1), *cb = rvec(&c->g, (size_t)N * D, 1);
            if (N >= 4)   /* codeword 3 repeats codeword 1: ties resolve to 1 */
                memcpy(cb + (size_t)3 * D, cb + (size_t)1 * D, sizeof(float) * D);
            if (M >= 2 && N >= 2)   /* row 1 sits exactly on codeword 1 */
                memcpy(x + (size_t)1 * ldx, cb + (size_t)1 * D, sizeof(float) * D);
            /* cbn with the backend's own reduction, as the caller does */
            float *cbn = malloc(sizeof(float) * N);
            for (int n = 0; n < N; n++) {
                float acc = 0;
                for (int d = 0; d < D; d++)
                    acc += cb[(size_t)n * D + d] * cb[(size_t)n * D + d];
                cbn[n] = acc;
            }
            int64_t *ir = malloc(sizeof(int64_t) * M), *it = malloc(sizeof(int64_t) * M), *it2 = malloc(sizeof(int64_t) * M);
            float *dr = malloc(sizeof(float) * M), *dt = malloc(sizeof(float) * M), *dt2 = malloc(sizeof(float) * M);
            ck_assert_int_eq(c->r->vt->nearest(c->r->ctx, mode, x, ldx, M, D, cb, cbn, N, ir, dr), SC_OK);
            float *dx = b_in(c->t, x, (size_t)M * ldx), *dcb = b_in(c->t, cb, (size_t)N * D), *dcn = b_in(c->t, cbn, N);
            float *ddist = b_in(c->t, NULL, M);
            int64_t *didx = c->t->vt->host_memory ? NULL : c->t->vt->buf_alloc(c->t->ctx, sizeof(int64_t) * M);
            for (int rep = 0; rep < 2; rep++) {
                int64_t *io = rep ? it2 : it;
                ck_assert_int_eq(c->t->vt->nearest(c->t->ctx, mode, dx, ldx, M, D, dcb, dcn, N, didx ? didx : io, ddist), SC_OK);
                b_get(c->t, rep ? dt2 : dt, ddist, M);
                if (didx)
                    c->t->vt->download(c->t->ctx, io, didx, sizeof(int64_t) * M);
            }
            snprintf(c->label, sizeof c->label, "nearest mode%d M%d D%d N%d ldx%d", mode, M, D, N, ldx);
            c->n++;
            if (memcmp(it, it2, sizeof(int64_t) * M) || memcmp(dt, dt2, sizeof(float) * M)) {
                fprintf(stderr, "  FAIL %s %s: two runs differ\n", c->t->name, c->label);
                c->bad++;
            }
            /* indices must match except where the two candidates are within
             * float32 rounding of each other (then both are right) */
            int nmis = 0;
            for (int m = 0; m < M; m++) {
                if (it[m] < 0 || it[m] >= N) {
                    fprintf(stderr, "  FAIL %s %s: row %d index %lld out of range\n", c->t->name, c->label, m, (long long)it[m]);
                    c->bad++;
                    break;
                }
                if (it[m] == ir[m])
                    continue;
                const float *xr = x + (size_t)m * ldx;
                double a = n_dist2(xr, cb + (size_t)it[m] * D, D), b = n_dist2(xr, cb + (size_t)ir[m] * D, D);
                if (fabs(a - b) > 1e-5 * (1 + b) + 4e-7 * 4 * D) {
                    fprintf(stderr, "  FAIL %s %s: row %d idx %lld (d2 %.9g) vs ref %lld (d2 %.9g)\n", c->t->name,
                            c->label, m, (long long)it[m], a, (long long)ir[m], b);
                    c->bad++;
                }
                nmis++;
            }
            if (c->exact && (memcmp(it, ir, sizeof(int64_t) * M) || memcmp(dt, dr, sizeof(float) * M))) {
                fprintf(stderr, "  FAIL %s %s: indices or distances differ from 1 thread\n", c->t->name,
                        c->label);
                c->bad++;
            }
            if (M >= 2 && N >= 4 && it[1] != 1) {
                fprintf(stderr, "  FAIL %s %s: exact tie resolved to %lld, not the first index 1\n", c->t->name,
                        c->label, (long long)it[1]);
                c->bad++;
            }
            if (F.verbose && nmis)
                fprintf(stderr, "  %s %s: %d near-tie index differences\n", c->t->name, c->label, nmis);
            /* distances: the squared distance is a difference of terms of
             * size |x|^2 + |c|^2, so that is the scale of its rounding
             * (SQRT mode takes the root of it: compare squares) */
            for (int m = 0; m < M; m++) {
                double xn, sx = 0;
                for (int d = 0; d < D; d++)
                    sx += (double)x[(size_t)m * ldx + d] * x[(size_t)m * ldx + d];
                xn = sx + cbn[ir[m]];
                double gt = mode ? (double)dt[m] * dt[m] : dt[m], gr = mode ? (double)dr[m] * dr[m] : dr[m];
                if (fabs(gt - gr) > 4e-6 * xn + 1e-30) {
                    fprintf(stderr, "  FAIL %s %s: row %d dist %.9g, ref %.9g (scale %.3g)\n", c->t->name,
                            c->label, m, dt[m], dr[m], xn);
                    c->bad++;
                    break;
                }
            }
            b_free(c->t, dx), b_free(c->t, dcb), b_free(c->t, dcn), b_free(c->t, ddist);
            if (didx)
                b_free(c->t, didx);
            free(x), free(cb), free(cbn), free(ir), free(it), free(it2), free(dr), free(dt), free(dt2);
        }
}

static void case_geglu(cs *c)
{
    static const int sz[][2] = {{1, 1}, {3, 17}, {512, 1280}, {7, 333}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int rows = sz[s][0], n = sz[s][1];
        size_t nx = (size_t)rows * 2 * n, ny = (size_t)rows * n;
        float *x = rvec(&c->g, nx, 4);
        float *yr = malloc(ny * sizeof(float)), *yt = malloc(ny * sizeof(float)), *yt2 = malloc(ny * sizeof(float));
        ck_assert_int_eq(c->r->vt->geglu(c->r->ctx, x, rows, n, yr), SC_OK);
        float *dx = b_in(c->t, x, nx), *dy = b_in(c->t, NULL, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->geglu(c->t->ctx, dx, rows, n, dy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "geglu %dx%d", rows, n);
        gelu_check(c, x, x, n, yt, yt2, yr, ny);
        b_free(c->t, dx), b_free(c->t, dy);
        free(x), free(yr), free(yt), free(yt2);
    }
}

static void case_upsample2x(cs *c)
{
    static const int sz[][3] = {{1, 1, 1}, {3, 5, 7}, {320, 16, 4}, {8, 64, 33}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int C = sz[s][0], H = sz[s][1], W = sz[s][2];
        size_t nx = (size_t)C * H * W, ny = nx * 4;
        float *x = rvec(&c->g, nx, 4);
        float *yr = malloc(ny * sizeof(float)), *yt = malloc(ny * sizeof(float)), *yt2 = malloc(ny * sizeof(float));
        ck_assert_int_eq(c->r->vt->upsample2x(c->r->ctx, x, C, H, W, yr), SC_OK);
        float *dx = b_in(c->t, x, nx), *dy = b_in(c->t, NULL, ny);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->upsample2x(c->t->ctx, dx, C, H, W, dy), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dy, ny);
        }
        snprintf(c->label, sizeof c->label, "upsample2x %dx%dx%d", C, H, W);
        cs_check(c, yt, yt2, yr, ny, TOL_EXACT);
        b_free(c->t, dx), b_free(c->t, dy);
        free(x), free(yr), free(yt), free(yt2);
    }
}

static void case_copy2d(cs *c)
{
    /* rows cols lds-cols ldd-cols */
    static const int sz[][4] = {{1, 1, 0, 0}, {3, 5, 2, 7}, {513, 768, 768, 0}, {64, 1, 9, 3}, {100, 1000, 0, 1000}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++) {
        int rows = sz[s][0], cols = sz[s][1], lds = cols + sz[s][2], ldd = cols + sz[s][3];
        size_t ns = (size_t)rows * lds, nd = (size_t)rows * ldd;
        float *src = rvec(&c->g, ns, 4), *d0 = rvec(&c->g, nd, 4);
        float *yr = malloc(nd * sizeof(float)), *yt = malloc(nd * sizeof(float)), *yt2 = malloc(nd * sizeof(float));
        memcpy(yr, d0, nd * sizeof(float));
        ck_assert_int_eq(c->r->vt->copy2d(c->r->ctx, src, lds, yr, ldd, rows, cols), SC_OK);
        float *ds = b_in(c->t, src, ns), *dd = b_in(c->t, d0, nd);
        for (int rep = 0; rep < 2; rep++) {
            ck_assert_int_eq(c->t->vt->copy2d(c->t->ctx, ds, lds, dd, ldd, rows, cols), SC_OK);
            b_get(c->t, rep ? yt2 : yt, dd, nd);
        }
        snprintf(c->label, sizeof c->label, "copy2d %dx%d lds%d ldd%d", rows, cols, lds, ldd);
        cs_check(c, yt, yt2, yr, nd, TOL_EXACT);   /* also: the gaps are untouched */
        b_free(c->t, ds), b_free(c->t, dd);
        free(src), free(d0), free(yr), free(yt), free(yt2);
    }
}

typedef void (*case_fn)(cs *c);
/* One case function per op of sc/ops.def: case_<name>. */
static const case_fn CASES[SC_OP_COUNT] = {
#define SC_OP(ID, name, params, args) [SC_OP_##ID] = case_##name,
#include "sc/ops.def"
#undef SC_OP
};

/* Does a raw backend implement op natively (slot present and supported)? */
static int native(const be_t *b, int op)
{
    static const size_t slot[SC_OP_COUNT] = {
#define SC_OP(ID, name, params, args) offsetof(sc_backend_vt, name),
#include "sc/ops.def"
#undef SC_OP
    };
    if (b->vt->struct_size < slot[op] + sizeof(void *))
        return 0;
    void *fn;
    memcpy(&fn, (const char *)b->vt + slot[op], sizeof fn);
    return fn && (!b->vt->supports || b->vt->supports(b->ctx, op));
}

/* One Check test per op: every non-ref backend, raw. */
START_TEST(backend_op)
{
    int op = _i, bad = 0;
    if (F.nothers == 0)
        fprintf(stderr, "check_ops: %s: no backend other than ref on SC_PLUGIN_PATH\n", sc_op_name(op));
    for (int i = 0; i < F.nothers; i++) {
        const be_t *t = &F.others[i];
        if (!native(t, op)) {
            fprintf(stderr, "check_ops: backend %s: op %s not supported, falls back to ref\n", t->name,
                    sc_op_name(op));
            continue;
        }
        cs c = {.t = t, .r = &F.ref, .g = {(uint64_t)op * 7919u + 17u}};
        CASES[op](&c);
        fprintf(stderr, "check_ops: backend %s: op %s: %d cases, %d failed\n", t->name, sc_op_name(op), c.n, c.bad);
        bad += c.bad;
    }
    ck_assert_msg(bad == 0, "op %s: %d failing cases (see the log)", sc_op_name(op), bad);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4. Through sc_backend_open: the table stages really use.            */

START_TEST(dispatch_op)
{
    int op = _i, bad = 0;
    for (int i = -1; i < F.nothers; i++) {
        if (i >= 0 && strchr(F.others[i].name, '['))
            continue;   /* option variants of a backend are covered raw */
        const char *name = i < 0 ? "ref" : F.others[i].name;
        sc_err err = {0};
        sc_backend *be = sc_backend_open(F.reg, name, NULL, &err);
        ck_assert_msg(be != NULL, "sc_backend_open(%s): %s", name, err.msg);
        /* who serves op: the backend itself exactly when it supports it natively */
        const char *want = i < 0 || native(&F.others[i], op) ? name : "ref";
        ck_assert_msg(be->served[op] && !strcmp(be->served[op], want), "backend %s op %s served by %s, want %s",
                      name, sc_op_name(op), be->served[op] ? be->served[op] : "(null)", want);
        be_t t = {&be->vt, be->ctx, name};
        cs c = {.t = &t, .r = &F.ref, .g = {(uint64_t)op * 104729u + 3u}};
        CASES[op](&c);
        if (F.verbose)
            fprintf(stderr, "check_ops: dispatch %s (served by %s): op %s: %d cases, %d failed\n", name,
                    be->served[op], sc_op_name(op), c.n, c.bad);
        bad += c.bad;
        sc_backend_close(be);
    }
    ck_assert_msg(bad == 0, "dispatch op %s: %d failing cases", sc_op_name(op), bad);
}
END_TEST

START_TEST(backend_basics)
{
    for (int i = 0; i < F.nothers; i++) {
        const be_t *t = &F.others[i];
        ck_assert_msg(t->vt->struct_size >= offsetof(sc_backend_vt, gemm), "%s: struct_size", t->name);
        void *p = t->vt->buf_alloc(t->ctx, 1000);
        ck_assert_ptr_nonnull(p);
        if (t->vt->host_memory)
            ck_assert_int_eq((int)((uintptr_t)p & 63), 0);
        t->vt->buf_free(t->ctx, p);
        /* weight(): host backends hand back the host pointer; any backend
         * returns a pointer whose contents download back unchanged */
        static const float h[5] = {1, -2, 3.5f, 4, 5};
        const float *w = t->vt->weight(t->ctx, h, 5);
        ck_assert_ptr_nonnull(w);
        if (t->vt->host_memory)
            ck_assert_ptr_eq(w, h);
        float back[5];
        ck_assert_int_eq(t->vt->sync(t->ctx), SC_OK);
        ck_assert_int_eq(t->vt->download(t->ctx, back, w, sizeof back), SC_OK);
        ck_assert_int_eq(memcmp(back, h, sizeof back), 0);
        int nat = 0;
        for (int op = 0; op < SC_OP_COUNT; op++)
            nat += native(t, op);
        fprintf(stderr, "check_ops: backend %s: %d of %d ops native\n", t->name, nat, SC_OP_COUNT);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* 5. Thread counts: every backend op gives the same bits at any pool    */
/*    size as at one thread.  (A split by thread count once gave some     */
/*    workers an empty codebook slice whose never-written partial         */
/*    results came out as token 0 or as garbage.)                         */

/* A pool of any size without its threads: sc_pool_for's split, run slice
 * by slice in the calling thread, last worker first, so that the split of
 * a 1100-CPU machine is tested on any machine. */
typedef struct fake_pool { int n; } fake_pool;

static void fake_for(sc_pool *pool, int64_t count, sc_pool_fn fn, void *arg)
{
    int n = ((const fake_pool *)(const void *)pool)->n;
    if (count <= 0)
        return;
    if (n == 1 || count == 1) {
        fn(arg, 0, count, 0);
        return;
    }
    for (int w = n - 1; w >= 0; w--) {
        int64_t b = count * w / n, e = count * (w + 1) / n;
        if (e > b)
            fn(arg, b, e, w);
    }
}

static int fake_size(const sc_pool *pool)
{
    return ((const fake_pool *)(const void *)pool)->n;
}

/* A backend instance on its own pool of n threads (real ones or fake). */
typedef struct tpool {
    fake_pool fp;
    sc_pool *real;
    sc_host host;   /* the instance keeps a pointer to it: do not move */
    be_t be;
    char name[64];
} tpool;

static void tpool_open(tpool *t, const be_t *like, int n, int real)
{
    sc_err err = {0};
    memset(t, 0, sizeof *t);
    t->fp.n = n;
    t->host = F.host;
    if (real) {
        t->real = sc_pool_create(n, &err);
        ck_assert_msg(t->real != NULL, "pool of %d: %s", n, err.msg);
        t->host.pool = t->real;
    } else {
        t->host.pool = (sc_pool *)(void *)&t->fp;
        t->host.pool_for = fake_for;
        t->host.pool_size = fake_size;
    }
    snprintf(t->name, sizeof t->name, "%s@%d%s", like->name, n, real ? "" : "(split)");
    t->be.vt = like->vt;
    t->be.name = t->name;
    const char *opt = strchr(like->name, '[');
    char o[64] = "";
    if (opt)
        snprintf(o, sizeof o, "%.*s", (int)strlen(opt + 1) - 1, opt + 1);
    ck_assert_msg(t->be.vt->create(&t->host, opt ? o : NULL, &t->be.ctx, &err) == 0, "%s: %s",
                  t->name, err.msg);
}

static void tpool_close(tpool *t)
{
    t->be.vt->destroy(t->be.ctx);
    sc_pool_destroy(t->real);
}

/* Host-memory backends other than ref (ref runs everything in the caller). */
static int threaded(const be_t *b)
{
    return b->vt->host_memory;
}

/* Ops whose work split is planned from the shapes only, so that their
 * bits cannot depend on the pool size.  The others (GEMM, linear and the
 * convolutions) split their GEMMs by thread count, and OpenBLAS's bits for
 * an element depend on the shape of the call that computes it (blocking,
 * its small-matrix and GEMV paths): they agree within rounding only, as
 * sc-detok(1) says. */
static int split_by_shape(int op)
{
    return op != SC_OP_GEMM && op != SC_OP_LINEAR && op != SC_OP_CONV2D && op != SC_OP_CONV1D &&
           op != SC_OP_CONVT1D;
}

/* Every op at awkward pool sizes, real and split-only, against the same
 * backend at one thread: bit for bit where the split is by shape, within
 * the usual tolerance otherwise (an empty or skipped slice shows either
 * way).  Only the LSTM, whose recurrent product has one kernel per ISA,
 * is run with every ISA. */
START_TEST(threads_op)
{
    int op = _i, bad = 0, ncases = 0;
    static const int real[] = {2, 3};
    static const int split[] = {5, 7, 64, 300, 1100};
    for (int i = 0; i < F.nothers; i++) {
        if (!threaded(&F.others[i]) || !native(&F.others[i], op) ||
            (op != SC_OP_LSTM && strchr(F.others[i].name, '[')))
            continue;
        tpool one;
        tpool_open(&one, &F.others[i], 1, 0);
        size_t nr = sizeof real / sizeof real[0], ns = sizeof split / sizeof split[0];
        for (size_t k = 0; k < nr + ns; k++) {
            tpool t;
            tpool_open(&t, &F.others[i], k < nr ? real[k] : split[k - nr], k < nr);
            cs c = {.t = &t.be, .r = &one.be, .g = {(uint64_t)op * 7919u + 17u},
                    .exact = split_by_shape(op)};
            CASES[op](&c);
            bad += c.bad;
            ncases += c.n;
            tpool_close(&t);
        }
        tpool_close(&one);
    }
    if (ncases)
        fprintf(stderr, "check_ops: threads: op %s: %d cases, %d differ from 1 thread%s\n", sc_op_name(op),
                ncases, bad, split_by_shape(op) ? " (bit for bit)" : " (within tolerance)");
    ck_assert_msg(bad == 0, "op %s: %d cases differ from 1 thread (see the log)", sc_op_name(op), bad);
}
END_TEST

/* blas's Winograd convolutions cut their work by shape only: the same
 * bits at every pool size (real threads 2 and 3, splits of 5 to 1100).
 * Shapes: several blocks, blocks starting mid-row, partial tiles, every
 * dilation and tap count the HiFi-GAN uses. */
static void wino_run(const be_t *b, int dim, const int *p, const float *x, const float *w,
                     const float *bias, float *y, size_t nx, size_t nw, size_t ny)
{
    float *dx = b_in(b, x, nx), *dw = b_in(b, w, nw), *db = b_in(b, bias, (size_t)p[3]);
    float *dy = b_in(b, NULL, ny);
    if (dim == 2)
        ck_assert_int_eq(b->vt->conv2d(b->ctx, dx, p[0], p[1], p[2], dw, db, p[3], 3, 3, 1, 1, dy), SC_OK);
    else
        ck_assert_int_eq(b->vt->conv1d(b->ctx, dx, p[0], p[1], dw, db, p[3], p[4], 1, p[5], p[6], dy),
                         SC_OK);
    b_get(b, y, dy, ny);
    b_free(b, dx), b_free(b, dw), b_free(b, db), b_free(b, dy);
}

START_TEST(threads_wino)
{
    /* 2-D: Cin H W Cout; 1-D: Cin L - Cout k pad dilation */
    static const int c2[][4] = {{128, 17, 35, 128}, {16, 41, 23, 1}, {130, 6, 16, 136}};
    static const int c1[][7] = {{64, 3001, 0, 64, 7, 9, 3}, {65, 301, 0, 70, 11, 25, 5},
                                {64, 2077, 0, 64, 3, 1, 1}, {8, 500, 0, 1, 11, 5, 1}};
    static const int pools[][2] = {{2, 1}, {3, 1}, {5, 0}, {7, 0}, {64, 0}, {1100, 0}};
    int bad = 0, ncases = 0;
    for (int i = 0; i < F.nothers; i++) {
        if (!strstr(F.others[i].name, "winograd=always"))
            continue;
        tpool one;
        tpool_open(&one, &F.others[i], 1, 0);
        rng g = {99};
        for (int dim = 2; dim >= 1; dim--) {
            size_t ncase = dim == 2 ? sizeof c2 / sizeof c2[0] : sizeof c1 / sizeof c1[0];
            for (size_t s = 0; s < ncase; s++) {
                int p[7] = {0};
                memcpy(p, dim == 2 ? c2[s] : c1[s], sizeof(int) * (dim == 2 ? 4 : 7));
                int Lo = dim == 2 ? p[1] * p[2] : p[1] + 2 * p[5] - p[6] * (p[4] - 1);
                size_t nx = (size_t)p[0] * (dim == 2 ? (size_t)p[1] * p[2] : (size_t)p[1]);
                size_t nw = (size_t)p[3] * p[0] * (dim == 2 ? 9 : p[4]), ny = (size_t)p[3] * Lo;
                float *x = rvec(&g, nx, 1), *w = rvec(&g, nw, 0.2f), *bias = rvec(&g, p[3], 1);
                float *y1 = malloc(ny * sizeof(float)), *yn = malloc(ny * sizeof(float));
                wino_run(&one.be, dim, p, x, w, bias, y1, nx, nw, ny);
                for (size_t k = 0; k < sizeof pools / sizeof pools[0]; k++) {
                    tpool t;
                    tpool_open(&t, &F.others[i], pools[k][0], pools[k][1]);
                    wino_run(&t.be, dim, p, x, w, bias, yn, nx, nw, ny);
                    ncases++;
                    if (memcmp(y1, yn, ny * sizeof(float))) {
                        fprintf(stderr, "  FAIL %s conv%dd case %zu: differs from 1 thread\n", t.name, dim, s);
                        bad++;
                    }
                    tpool_close(&t);
                }
                free(x), free(w), free(bias), free(y1), free(yn);
            }
        }
        tpool_close(&one);
    }
    fprintf(stderr, "check_ops: threads: winograd: %d cases, %d differ from 1 thread (bit for bit)\n", ncases,
            bad);
    ck_assert_msg(bad == 0, "winograd: %d cases differ from 1 thread (see the log)", bad);
}
END_TEST

/* Pool sizes for the nearest search: every one up to `every`, then a
 * geometric sequence and the counts of the issue 12 reports, up to 1100. */
static int next_count(int n, int every)
{
    static const int listed[] = {129, 170, 200, 255, 257, 300, 384, 513, 520, 700, 999, 1000, 1024, 1100};
    int g = n < every ? n + 1 : n + n / 8;
    for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++)
        if (listed[k] > n && listed[k] < g)
            g = listed[k];
    return g <= 1100 ? g : n < 1100 ? 1100 : 0;
}

/* The semantic and acoustic searches at pool sizes 1 to 1100 (every one
 * for a 4096-word codebook) on window-sized inputs, 512 rows: a narrow D
 * keeps a thousand searches fast (the work is split over rows and
 * codewords only), and the real D = 768 runs on a few real pools.
 * Indices and distances must equal those of one thread. */
START_TEST(threads_nearest)
{
    /* M D N, how many counts are all tested, real pools */
    static const int shapes[][5] = {{512, 16, 4096, 1100, 0}, {512, 16, 16384, 64, 0},
                                    {100, 16, 8192, 16, 0},   {512, 768, 16384, 0, 1},
                                    {512, 768, 4096, 0, 1}};
    static const int reals[] = {3, 129, 0};
    int bad = 0, first = 1;
    /* the split is the backend's, not its kernels': the default ISA only */
    for (int i = 0; i < F.nothers; i++) {
        if (!threaded(&F.others[i]) || strchr(F.others[i].name, '[') ||
            !native(&F.others[i], SC_OP_NEAREST))
            continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int M = shapes[s][0], D = shapes[s][1], N = shapes[s][2], real = shapes[s][4];
            rng g = {(uint64_t)s * 31u + 7u};
            float *x = rvec(&g, (size_t)M * D, 1), *cb = rvec(&g, (size_t)N * D, 1);
            float *cbn = malloc(sizeof(float) * N), *d1 = malloc(sizeof(float) * M),
                  *dn = malloc(sizeof(float) * M);
            int64_t *i1 = malloc(sizeof(int64_t) * M), *in = malloc(sizeof(int64_t) * M);
            for (int n = 0; n < N; n++) {
                float acc = 0;
                for (int d = 0; d < D; d++)
                    acc += cb[(size_t)n * D + d] * cb[(size_t)n * D + d];
                cbn[n] = acc;
            }
            /* the last rows sit on the last codeword, the one before on the first */
            for (int m = M - 8; m < M; m++)
                memcpy(x + (size_t)m * D, cb + (size_t)(N - 1) * D, sizeof(float) * D);
            memcpy(x + (size_t)(M - 9) * D, cb, sizeof(float) * D);
            tpool one;
            tpool_open(&one, &F.others[i], 1, 0);
            ck_assert_int_eq(one.be.vt->nearest(one.be.ctx, SC_NEAREST_SQ, x, D, M, D, cb, cbn, N, i1, d1),
                             SC_OK);
            tpool_close(&one);
            for (int m = M - 8; m < M; m++)
                ck_assert_int_eq(i1[m], N - 1);
            ck_assert_int_eq(i1[M - 9], 0);
            int tested = 0;
            for (int k = 0, n = 2; real ? reals[k] != 0 : n != 0; k++, n = next_count(n, shapes[s][3])) {
                int nt = real ? reals[k] : n;
                tpool t;
                tpool_open(&t, &F.others[i], nt, real);
                memset(in, 0x55, sizeof(int64_t) * M);
                ck_assert_int_eq(t.be.vt->nearest(t.be.ctx, SC_NEAREST_SQ, x, D, M, D, cb, cbn, N, in, dn),
                                 SC_OK);
                tested++;
                if (memcmp(in, i1, sizeof(int64_t) * M) || memcmp(dn, d1, sizeof(float) * M)) {
                    int m = 0;
                    while (m < M - 1 && in[m] == i1[m] && !memcmp(dn + m, d1 + m, sizeof(float)))
                        m++;
                    fprintf(stderr, "  FAIL %s nearest M%d D%d N%d: row %d index %lld dist %.9g, "
                            "1 thread: %lld %.9g\n", t.name, M, D, N, m, (long long)in[m], dn[m],
                            (long long)i1[m], d1[m]);
                    bad++;
                }
                tpool_close(&t);
            }
            if (first)
                fprintf(stderr, "check_ops: threads: nearest M%d D%d N%d at %d pool sizes%s\n", M, D, N,
                        tested, real ? " (real threads)" : "");
            free(x), free(cb), free(cbn), free(d1), free(dn), free(i1), free(in);
        }
        first = 0;
    }
    ck_assert_msg(bad == 0, "nearest: %d pool sizes differ from 1 thread", bad);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 6. precision=bf16 in the blas backend (blas_bf16.h).                */

/* The bf16 products against ref.  Each input is rounded to bf16 (8
 * significant bits, round to nearest even: relative error <= u = 2^-9), so
 * a product term carries an error <= 2u + u^2 = 3.9e-3 of its size, and a
 * sum of K terms with random signs an error of about 2u sqrt(2/3) /
 * sqrt(3) ~ 1.3e-3 of the RMS of the result per element (the terms' own
 * errors are independent and uniform).  atol 1.5e-2 of the RMS is over ten
 * of those standard deviations - no correct kernel fails it over the
 * ~10^6 elements tested, and a kernel that drops or doubles one term in
 * a hundred does - and rtol 4e-3 covers a single term (K = 1) and values
 * far above the RMS.  The softmax of attention takes logits of at most a
 * few units here, which amplifies their error by less than 2. */
static const tol TOL_BF16 = {1.5e-2, 4e-3};
/* Attention's output averages Lk values: its RMS is several times below
 * the size of the terms, sum_j P_ij |v_j|, that carry the bf16 errors
 * (0.06 against 0.5 in the 512-key cases), so the same per-term error is a
 * larger share of it: 1.5e-2 of the RMS was reached at 1.5x; 4e-2. */
static const tol TOL_BF16_ATT = {4e-2, 4e-3};

static int bf16_product(int op)
{
    return op == SC_OP_GEMM || op == SC_OP_LINEAR || op == SC_OP_ATTENTION ||
           op == SC_OP_CONV2D || op == SC_OP_CONV1D || op == SC_OP_CONVT1D;
}

static int cpu_bf16(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

/* The blas backend with "precision=bf16", or NULL where this CPU cannot:
 * then the option must be refused as a configuration error naming it. */
static const sc_backend_vt *blas_bf16_vt(void)
{
    const sc_plugin_rec *rec = sc_registry_find(F.reg, SC_KIND_BACKEND, "blas");
    if (!rec) {
        fprintf(stderr, "check_ops: bf16: no blas backend, skipped\n");
        return NULL;
    }
    const sc_backend_vt *vt = rec->info->vtable;
    sc_err err = {0};
    void *probe = NULL;
    int rc = vt->create(&F.host, "precision=bf16", &probe, &err);
    if (!cpu_bf16()) {
        ck_assert_int_eq(rc, SC_ECONFIG);
        ck_assert_msg(strstr(err.msg, "precision = bf16"), "%s", err.msg);
        fprintf(stderr, "check_ops: bf16: this CPU lacks AVX-512 BF16: refused (%s); kernels "
                "not tested\n", err.msg);
        return NULL;
    }
    ck_assert_msg(rc == SC_OK, "blas precision=bf16: %s", err.msg);
    vt->destroy(probe);
    /* auto is bf16 here, fp32 once the ISA is forced below it, and an
     * ISA forced below it refuses bf16 */
    ck_assert_int_eq(vt->create(&F.host, "precision=auto isa=avx512", &probe, &err), SC_OK);
    vt->destroy(probe);
    ck_assert_int_eq(vt->create(&F.host, "isa=avx512 precision=bf16", &probe, &err), SC_ECONFIG);
    ck_assert_msg(strstr(err.msg, "precision = bf16") && strstr(err.msg, "isa=avx512"), "%s",
                  err.msg);
    ck_assert_int_eq(vt->create(&F.host, "precision=bf17", &probe, &err), SC_ECONFIG);
    return vt;
}

/* Every op of a bf16 instance at 1, 2 and 3 threads: the products against
 * ref within TOL_BF16 and bit for bit equal at every thread count (each
 * output is one sum in a fixed order, whoever computes it); every other op
 * bit for bit equal to the fp32 instance (norms, softmax and the
 * element-wise ops stay fp32). */
START_TEST(bf16_op)
{
    int op = _i, bad = 0, ncases = 0;
    const sc_backend_vt *vt = blas_bf16_vt();
    if (!vt)
        return;
    be_t bf = {vt, NULL, "blas[precision=bf16]"}, fp = {vt, NULL, "blas"};
    tpool one;
    tpool_open(&one, &bf, 1, 1);
    for (int n = 1; n <= 3; n++) {
        tpool t, f;
        tpool_open(&t, &bf, n, 1);
        tpool_open(&f, &fp, n, 1);
        cs c = {.t = &t.be, .r = bf16_product(op) ? &F.ref : &f.be, .g = {(uint64_t)op * 131u + 7u},
                .exact = !bf16_product(op),
                .over = op == SC_OP_ATTENTION ? &TOL_BF16_ATT : &TOL_BF16};
        CASES[op](&c);
        bad += c.bad;
        ncases += c.n;
        if (bf16_product(op) && n > 1) {
            cs e = {.t = &t.be, .r = &one.be, .g = {(uint64_t)op * 131u + 7u}, .exact = 1};
            CASES[op](&e);
            bad += e.bad;
            ncases += e.n;
        }
        tpool_close(&t);
        tpool_close(&f);
    }
    tpool_close(&one);
    fprintf(stderr, "check_ops: bf16: op %s: %d cases, %d failed%s\n", sc_op_name(op), ncases, bad,
            bf16_product(op) ? " (bf16 tolerance; same bits at 1, 2, 3 threads)"
                             : " (bit for bit equal to fp32)");
    ck_assert_msg(bad == 0, "bf16 op %s: %d failing cases (see the log)", sc_op_name(op), bad);
}
END_TEST

/* Weights are converted once (the cache of blas_bf16.h): a weight used
 * twice gives the same bits; memory registered with weight() and then
 * given other contents (a stage freed it, another buffer took its place)
 * is converted again, never used stale. */
START_TEST(bf16_weight_cache)
{
    const sc_backend_vt *vt = blas_bf16_vt();
    if (!vt)
        return;
    void *ctx;
    sc_err err = {0};
    ck_assert_int_eq(vt->create(&F.host, "precision=bf16", &ctx, &err), SC_OK);
    rng g = {99};
    int M = 37, K = 300, N = 70;
    float *x = rvec(&g, (size_t)M * K, 1), *W = rvec(&g, (size_t)N * K, 1);
    float *y1 = fvec((size_t)M * N, 0), *y2 = fvec((size_t)M * N, 0), *yr = fvec((size_t)M * N, 0);
    ck_assert_ptr_eq(vt->weight(ctx, W, (size_t)N * K), W);
    ck_assert_int_eq(vt->linear(ctx, x, K, M, K, W, NULL, N, y1, N), SC_OK);
    ck_assert_int_eq(vt->linear(ctx, x, K, M, K, W, NULL, N, y2, N), SC_OK);
    ck_assert(!memcmp(y1, y2, sizeof(float) * M * N));
    /* the same memory, other contents */
    for (size_t i = 0; i < (size_t)N * K; i++)
        W[i] = -0.5f * W[i] + 0.25f;
    ck_assert_int_eq(vt->linear(ctx, x, K, M, K, W, NULL, N, y2, N), SC_OK);
    ck_assert_int_eq(F.ref.vt->linear(F.ref.ctx, x, K, M, K, W, NULL, N, yr, N), SC_OK);
    ck_assert_int_eq(close_enough("bf16 linear, reused weight memory", y2, yr, (size_t)M * N,
                                  TOL_BF16), 0);
    vt->destroy(ctx);
    free(x), free(W), free(y1), free(y2), free(yr);
}
END_TEST

/* Conversion is round to nearest, ties to even (not truncation): a 1x1x1
 * product with b = 1 returns bf16(a). */
START_TEST(bf16_round)
{
    const sc_backend_vt *vt = blas_bf16_vt();
    if (!vt)
        return;
    void *ctx;
    sc_err err = {0};
    ck_assert_int_eq(vt->create(&F.host, "precision=bf16", &ctx, &err), SC_OK);
    /* a, bf16(a): a tie to the even 1, a tie up to the even 1 + 2^-6, just
     * above a tie, negative, and a value bf16 holds exactly */
    static const float cases[][2] = {
        {1.00390625f, 1.0f},                 /* 1 + 2^-8: tie, down to even */
        {1.01171875f, 1.015625f},            /* 1 + 3 2^-8: tie, up to even */
        {1.0039072f, 1.0078125f},            /* just above the tie */
        {-3.0078125f, -3.0f},                /* -(3 + 2^-7): tie (spacing 2^-6), to even */
        {0.15625f, 0.15625f},                /* exact */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float a = cases[i][0], b = 1.0f, c = NAN;
        ck_assert_int_eq(vt->gemm(ctx, 0, 0, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1), SC_OK);
        ck_assert_msg(c == cases[i][1], "bf16(%.9g) = %.9g, want %.9g", a, c, cases[i][1]);
    }
    vt->destroy(ctx);
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *tk = tcase_create("known");
    tcase_add_checked_fixture(tk, setup, teardown);
    tcase_add_test(tk, known_gemm);
    tcase_add_test(tk, known_linear);
    tcase_add_test(tk, known_layernorm);
    tcase_add_test(tk, known_groupnorm);
    tcase_add_test(tk, known_act);
    tcase_add_test(tk, known_binary_scale_bias);
    tcase_add_test(tk, known_attention);
    tcase_add_test(tk, known_conv2d);
    tcase_add_test(tk, known_conv1d);
    tcase_add_test(tk, known_convt1d);
    tcase_add_test(tk, known_lstm);
    tcase_add_test(tk, known_nearest);
    tcase_add_test(tk, known_geglu_upsample_copy);
    tcase_add_test(tk, known_memory);
    tcase_add_test(tk, known_op_abi);
    suite_add_tcase(s, tk);

    TCase *tn = tcase_create("naive");
    tcase_add_checked_fixture(tn, setup, teardown);
    tcase_set_timeout(tn, 120);
    tcase_add_test(tn, naive_gemm);
    tcase_add_test(tn, naive_gemm_order);
    tcase_add_test(tn, naive_norms);
    tcase_add_test(tn, naive_act);
    tcase_add_test(tn, naive_attention);
    tcase_add_test(tn, naive_conv);
    tcase_add_test(tn, naive_lstm);
    tcase_add_test(tn, naive_nearest);
    suite_add_tcase(s, tn);

    TCase *tb = tcase_create("backends");
    tcase_add_checked_fixture(tb, setup, teardown);
    tcase_set_timeout(tb, 300);
    tcase_add_test(tb, backend_basics);
    tcase_add_loop_test(tb, backend_op, 0, SC_OP_COUNT);
    suite_add_tcase(s, tb);

    TCase *tw = tcase_create("threads_nearest");
    tcase_add_checked_fixture(tw, setup, teardown);
    tcase_set_timeout(tw, 300);
    tcase_add_test(tw, threads_nearest);
    suite_add_tcase(s, tw);

    TCase *tt = tcase_create("threads");
    tcase_add_checked_fixture(tt, setup, teardown);
    tcase_set_timeout(tt, 300);
    tcase_add_loop_test(tt, threads_op, 0, SC_OP_COUNT);
    tcase_add_test(tt, threads_wino);
    suite_add_tcase(s, tt);

    TCase *td = tcase_create("dispatch");
    tcase_add_checked_fixture(td, setup, teardown);
    tcase_set_timeout(td, 300);
    tcase_add_loop_test(td, dispatch_op, 0, SC_OP_COUNT);
    suite_add_tcase(s, td);

    TCase *tf = tcase_create("bf16");
    tcase_add_checked_fixture(tf, setup, teardown);
    tcase_set_timeout(tf, 300);
    tcase_add_test(tf, bf16_round);
    tcase_add_test(tf, bf16_weight_cache);
    tcase_add_loop_test(tf, bf16_op, 0, SC_OP_COUNT);
    suite_add_tcase(s, tf);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_suite());
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
