/* backends/blas/blas.c - the `blas` backend: plugin entry, memory, the
 * pool/GEMM plumbing and the element-wise, normalisation and copy ops.
 * Threading and ISA choice are explained in blas.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "blas.h"

/* Element-wise work is split into chunks of this many floats (64 KiB);
 * below two chunks it runs on the calling thread. */
#define EW_CHUNK 16384
/* A GEMM below this many flops is not worth waking the pool for. */
#define PAR_GEMM_FLOPS 4.0e6

void sc_blas_par(blas_ctx *c, int64_t count, sc_pool_fn fn, void *arg)
{
    if (count <= 0)
        return;
    if (count == 1 || c->nthreads <= 1 || !c->host || !c->host->pool_for)
        fn(arg, 0, count, 0);
    else
        c->host->pool_for(c->pool, count, fn, arg);
}

/* ---- GEMM split over the pool ---- */

typedef struct gemm_job {
    int ta, tb, M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int lda, ldb, ldc;
    int along_n, chunk, total;
} gemm_job;

static void gemm_task(void *arg, int64_t b, int64_t e, int w)
{
    const gemm_job *j = arg;
    for (int64_t p = b; p < e; p++) {
        int s = (int)p * j->chunk, n = j->total - s < j->chunk ? j->total - s : j->chunk;
        if (n <= 0)
            continue;
        if (j->along_n)
            cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
                        j->tb ? CblasTrans : CblasNoTrans, j->M, n, j->K, j->alpha, j->A,
                        j->lda, j->tb ? j->B + (size_t)s * j->ldb : j->B + s, j->ldb, j->beta,
                        j->C + s, j->ldc);
        else
            cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
                        j->tb ? CblasTrans : CblasNoTrans, n, j->N, j->K, j->alpha,
                        j->ta ? j->A + s : j->A + (size_t)s * j->lda, j->lda, j->B, j->ldb,
                        j->beta, j->C + (size_t)s * j->ldc, j->ldc);
    }
}

void sc_blas_sgemm(blas_ctx *c, int ta, int tb, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K == 0) {   /* OpenBLAS would also do this; keep beta == 0 NaN-safe */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    double flops = 2.0 * M * N * K;
    int nt = c->nthreads;
    gemm_job j = {ta, tb, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc, 0, 0, 0};
    if (nt <= 1 || flops < PAR_GEMM_FLOPS || (M < 2 * nt && N < 32 * nt)) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    /* split the larger output dimension; N in multiples of 16 columns,
     * M in multiples of 8 rows (whole register tiles) */
    j.along_n = N >= M;
    j.total = j.along_n ? N : M;
    int align = j.along_n ? 16 : 8;
    j.chunk = ((j.total + nt - 1) / nt + align - 1) / align * align;
    sc_blas_par(c, (j.total + j.chunk - 1) / j.chunk, gemm_task, &j);
}

static int blas_gemm(void *ctx, int ta, int tb, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta, float *C,
                     int ldc)
{
    if (M < 0 || N < 0 || K < 0 || ldc < N || lda < (ta ? M : K) || ldb < (tb ? K : N))
        return SC_EARG;
    if (((blas_ctx *)ctx)->bf16)
        return sc_bf16_gemm(ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    sc_blas_sgemm(ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return SC_OK;
}

static int blas_linear(void *ctx, const float *x, int ldx, int M, int K, const float *W,
                       const float *b, int N, float *y, int ldy)
{
    if (M < 0 || K < 0 || N < 0 || ldx < K || ldy < N)
        return SC_EARG;
    if (((blas_ctx *)ctx)->bf16)
        return sc_bf16_linear(ctx, x, ldx, M, K, W, b, N, y, ldy);
    if (b) {
        for (int i = 0; i < M; i++)
            memcpy(y + (size_t)i * ldy, b, (size_t)N * sizeof(float));
    }
    sc_blas_sgemm(ctx, 0, 1, M, N, K, 1.0f, x, ldx, W, K, b ? 1.0f : 0.0f, y, ldy);
    return SC_OK;
}

/* ---- element-wise ops: chunks over the pool ---- */

typedef struct ew_job {
    const blas_kern *k;
    int kind, op;
    float alpha, beta;
    const float *a, *b;
    float *y;
    int64_t n;
} ew_job;

enum { EW_ACT, EW_BIN, EW_SCALE };

static void ew_task(void *arg, int64_t b, int64_t e, int w)
{
    const ew_job *j = arg;
    int64_t s = b * EW_CHUNK, end = e * EW_CHUNK < j->n ? e * EW_CHUNK : j->n;
    size_t n = (size_t)(end - s);
    switch (j->kind) {
    case EW_ACT: j->k->act(j->op, j->alpha, j->a + s, n, j->y + s); break;
    case EW_BIN: j->k->binary(j->op, j->a + s, j->b + s, n, j->y + s); break;
    default: j->k->scale(j->a + s, n, j->alpha, j->beta, j->y + s); break;
    }
}

static void ew_run(blas_ctx *c, ew_job *j)
{
    int64_t chunks = (j->n + EW_CHUNK - 1) / EW_CHUNK;
    if (chunks < 2)
        ew_task(j, 0, chunks, 0);
    else
        sc_blas_par(c, chunks, ew_task, j);
}

static int blas_act(void *ctx, int act, float alpha, const float *x, int64_t n, float *y)
{
    blas_ctx *c = ctx;
    if (n < 0 || act < 0 || act >= SC_ACT_COUNT)
        return SC_EARG;
    ew_job j = {c->k, EW_ACT, act, alpha, 0, x, NULL, y, n};
    ew_run(c, &j);
    return SC_OK;
}

static int blas_binary(void *ctx, int op, const float *a, const float *b, int64_t n, float *y)
{
    blas_ctx *c = ctx;
    if (n < 0 || op < 0 || op >= SC_BIN_COUNT)
        return SC_EARG;
    ew_job j = {c->k, EW_BIN, op, 0, 0, a, b, y, n};
    ew_run(c, &j);
    return SC_OK;
}

static int blas_scale(void *ctx, const float *x, int64_t n, float alpha, float beta, float *y)
{
    blas_ctx *c = ctx;
    if (n < 0)
        return SC_EARG;
    ew_job j = {c->k, EW_SCALE, 0, alpha, beta, x, NULL, y, n};
    ew_run(c, &j);
    return SC_OK;
}

/* ---- row-structured ops: rows over the pool ---- */

typedef struct row_job {
    const blas_kern *k;
    const float *x, *g, *b, *v;
    float *y;
    int rows, cols, groups, silu, per_row;
    float eps;
} row_job;

/* Rows per task so that a task has at least ~EW_CHUNK elements. */
static int64_t row_tasks(blas_ctx *c, int rows, size_t per_row_elems)
{
    size_t total = (size_t)rows * per_row_elems;
    if (total < 2 * EW_CHUNK || c->nthreads <= 1)
        return 1;
    return rows;
}

static void layernorm_task(void *arg, int64_t b, int64_t e, int w)
{
    const row_job *j = arg;
    for (int64_t r = b; r < e; r++) {
        const float *x = j->x + (size_t)r * j->cols;
        float mean = (float)(j->k->sum(x, j->cols) / j->cols);
        double var = j->k->sqdev(x, j->cols, mean) / j->cols;
        float rstd = (float)(1.0 / sqrt(var + (double)j->eps));
        j->k->norm_row(x, j->cols, mean, rstd, j->g, j->b, j->y + (size_t)r * j->cols);
    }
}

static int blas_layernorm(void *ctx, const float *x, int rows, int cols, const float *g,
                          const float *b, float eps, float *y)
{
    blas_ctx *c = ctx;
    if (rows < 0 || cols <= 0)
        return rows == 0 ? SC_OK : SC_EARG;
    row_job j = {.k = c->k, .x = x, .g = g, .b = b, .y = y, .rows = rows, .cols = cols, .eps = eps};
    int64_t t = row_tasks(c, rows, (size_t)cols);
    if (t == 1)
        layernorm_task(&j, 0, rows, 0);
    else
        sc_blas_par(c, t, layernorm_task, &j);
    return SC_OK;
}

static void groupnorm_task(void *arg, int64_t b, int64_t e, int w)
{
    const row_job *j = arg;
    int cg = j->rows / j->groups;
    size_t HW = (size_t)j->cols;
    for (int64_t gi = b; gi < e; gi++) {
        const float *x = j->x + (size_t)gi * cg * HW;
        size_t n = (size_t)cg * HW;
        float mean = (float)(j->k->sum(x, n) / (double)n);
        double var = j->k->sqdev(x, n, mean) / (double)n;
        float rstd = (float)(1.0 / sqrt(var + (double)j->eps));
        for (int ch = (int)gi * cg; ch < (int)(gi + 1) * cg; ch++)
            j->k->norm_chan(j->x + (size_t)ch * HW, HW, mean, rstd, j->g ? j->g[ch] : 1.0f,
                            j->b ? j->b[ch] : 0.0f, j->silu, j->y + (size_t)ch * HW);
    }
}

static int blas_groupnorm(void *ctx, const float *x, int C, int HW, int groups, const float *g,
                          const float *b, float eps, int silu, float *y)
{
    blas_ctx *c = ctx;
    if (C < 0 || HW <= 0 || groups <= 0 || C % groups)
        return SC_EARG;
    row_job j = {.k = c->k, .x = x, .g = g, .b = b, .y = y, .rows = C, .cols = HW,
                 .groups = groups, .silu = silu, .eps = eps};
    if ((size_t)C * HW < 2 * EW_CHUNK)
        groupnorm_task(&j, 0, groups, 0);
    else
        sc_blas_par(c, groups, groupnorm_task, &j);
    return SC_OK;
}

static void bias_task(void *arg, int64_t b, int64_t e, int w)
{
    const row_job *j = arg;
    for (int64_t r = b; r < e; r++) {
        const float *x = j->x + (size_t)r * j->cols;
        float *y = j->y + (size_t)r * j->cols;
        if (j->per_row)
            j->k->adds(x, j->cols, j->v[r], y);
        else
            j->k->binary(SC_BIN_ADD, x, j->v, j->cols, y);
    }
}

static int blas_bias(void *ctx, const float *x, int rows, int cols, const float *v, int per_row,
                     float *y)
{
    blas_ctx *c = ctx;
    if (rows < 0 || cols < 0)
        return SC_EARG;
    row_job j = {.k = c->k, .x = x, .v = v, .y = y, .rows = rows, .cols = cols, .per_row = per_row};
    if ((size_t)rows * cols < 2 * EW_CHUNK)
        bias_task(&j, 0, rows, 0);
    else
        sc_blas_par(c, rows, bias_task, &j);
    return SC_OK;
}

static void geglu_task(void *arg, int64_t b, int64_t e, int w)
{
    const row_job *j = arg;
    for (int64_t r = b; r < e; r++) {
        const float *a = j->x + (size_t)r * 2 * j->cols;
        j->k->geglu(a, a + j->cols, j->cols, j->y + (size_t)r * j->cols);
    }
}

static int blas_geglu(void *ctx, const float *x, int rows, int n, float *y)
{
    blas_ctx *c = ctx;
    if (rows < 0 || n < 0)
        return SC_EARG;
    row_job j = {.k = c->k, .x = x, .y = y, .rows = rows, .cols = n};
    if ((size_t)rows * n < 2 * EW_CHUNK)
        geglu_task(&j, 0, rows, 0);
    else
        sc_blas_par(c, rows, geglu_task, &j);
    return SC_OK;
}

typedef struct up_job {
    const float *x;
    float *y;
    int H, W;
} up_job;

static void upsample_task(void *arg, int64_t b, int64_t e, int w)
{
    const up_job *j = arg;
    int H = j->H, W = j->W;
    for (int64_t ch = b; ch < e; ch++)
        for (int i = 0; i < H; i++) {
            const float *xr = j->x + ((size_t)ch * H + i) * W;
            float *y0 = j->y + ((size_t)ch * 2 * H + 2 * i) * 2 * W;
            for (int k = 0; k < W; k++)
                y0[2 * k] = y0[2 * k + 1] = xr[k];
            memcpy(y0 + 2 * W, y0, (size_t)2 * W * sizeof(float));
        }
}

static int blas_upsample2x(void *ctx, const float *x, int C, int H, int W, float *y)
{
    if (C < 0 || H < 0 || W < 0)
        return SC_EARG;
    up_job j = {x, y, H, W};
    if ((size_t)C * H * W < EW_CHUNK)
        upsample_task(&j, 0, C, 0);
    else
        sc_blas_par(ctx, C, upsample_task, &j);
    return SC_OK;
}

typedef struct copy_job {
    const float *s;
    float *d;
    int lds, ldd, cols;
} copy_job;

static void copy_task(void *arg, int64_t b, int64_t e, int w)
{
    const copy_job *j = arg;
    for (int64_t r = b; r < e; r++)
        memcpy(j->d + (size_t)r * j->ldd, j->s + (size_t)r * j->lds, (size_t)j->cols * sizeof(float));
}

static int blas_copy2d(void *ctx, const float *src, int lds, float *dst, int ldd, int rows,
                       int cols)
{
    if (rows < 0 || cols < 0 || lds < cols || ldd < cols)
        return SC_EARG;
    copy_job j = {src, dst, lds, ldd, cols};
    if ((size_t)rows * cols < 4 * EW_CHUNK)
        copy_task(&j, 0, rows, 0);
    else
        sc_blas_par(ctx, rows, copy_task, &j);
    return SC_OK;
}

/* ---- lifetime, memory ---- */

static int cpu_has_bf16(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* The element-wise table; "avx512bf16" is the avx512 table plus the bf16
 * products of precision=bf16 (blas_bf16.h). */
static const blas_kern *pick_isa(const char *want)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("fma");
    int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (want && !strcmp(want, "generic"))
        return &sc_blas_kern_generic;
    if (want && !strcmp(want, "avx2"))
        return has2 ? &sc_blas_kern_avx2 : NULL;
    if (want && !strcmp(want, "avx512"))
        return has512 ? &sc_blas_kern_avx512 : NULL;
    if (want && !strcmp(want, "avx512bf16"))
        return cpu_has_bf16() ? &sc_blas_kern_avx512 : NULL;
    return has512 ? &sc_blas_kern_avx512 : has2 ? &sc_blas_kern_avx2 : &sc_blas_kern_generic;
#else
    return !want || !strcmp(want, "generic") ? &sc_blas_kern_generic : NULL;
#endif
}

static int cfg_err(const sc_host *host, sc_err *err, int code, const char *fmt, const char *a,
                   int n)
{
    if (host && host->err_set)
        host->err_set(err, code, fmt, n, a);
    return code;
}

/* options: comma/space separated key=value.  "isa=generic|avx2|avx512|
 * avx512bf16" forces a kernel table (tests, benchmarks; bf16 products
 * only with avx512bf16, the default where the CPU has it);
 * "winograd=always|never" the convolution algorithm where Winograd
 * applies (tests, benchmarks; blas_conv.c); "precision=fp32|bf16|auto"
 * comes from [backend] precision (sc/backend.h). */
static int blas_create(const sc_host *host, const char *options, void **ctx, sc_err *err)
{
    char isa[16] = "";
    int prec = 0;   /* 0 fp32, 1 bf16, 2 auto */
    int wino = 0;
    if (options) {
        const char *p = options;
        while (*p) {
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            if (!*p)
                break;
            size_t len = strcspn(p, " ,\t");
            /* options come from sc.ini ([backend] options): a bad one
             * is a configuration error (78), never silently ignored */
            if (len > 4 && !strncmp(p, "isa=", 4) && len - 4 < sizeof isa) {
                memcpy(isa, p + 4, len - 4);
                isa[len - 4] = 0;
                if (strcmp(isa, "generic") && strcmp(isa, "avx2") && strcmp(isa, "avx512") &&
                    strcmp(isa, "avx512bf16"))
                    return cfg_err(host, err, SC_ECONFIG, "blas backend: option isa=%.*s: not "
                                   "generic, avx2, avx512 or avx512bf16", isa, (int)strlen(isa));
            } else if (len > 10 && !strncmp(p, "precision=", 10)) {
                const char *v = p + 10;
                size_t vl = len - 10;
                if (vl == 4 && !strncmp(v, "fp32", 4))
                    prec = 0;
                else if (vl == 4 && !strncmp(v, "bf16", 4))
                    prec = 1;
                else if (vl == 4 && !strncmp(v, "auto", 4))
                    prec = 2;
                else
                    return cfg_err(host, err, SC_ECONFIG, "blas backend: precision=%.*s: not "
                                   "fp32, bf16 or auto", v, (int)vl);
            } else if (len > 9 && !strncmp(p, "winograd=", 9)) {
                const char *v = p + 9;
                size_t vl = len - 9;
                if (vl == 4 && !strncmp(v, "auto", 4))
                    wino = 0;
                else if (vl == 6 && !strncmp(v, "always", 6))
                    wino = 1;
                else if (vl == 5 && !strncmp(v, "never", 5))
                    wino = -1;
                else
                    return cfg_err(host, err, SC_ECONFIG, "blas backend: option winograd=%.*s: "
                                   "not auto, always or never", v, (int)vl);
            } else {
                return cfg_err(host, err, SC_ECONFIG, "blas backend: unknown option '%.*s' "
                               "(known: isa=generic|avx2|avx512|avx512bf16, "
                               "precision=fp32|bf16|auto, winograd=auto|always|never)", p,
                               (int)len);
            }
            p += len;
        }
    }
    const blas_kern *k = pick_isa(isa[0] ? isa : NULL);
    if (!k) {
        if (host && host->err_set)
            host->err_set(err, SC_EUNSUPPORTED, "blas backend: isa=%s not available on this CPU", isa);
        return SC_EUNSUPPORTED;
    }
    /* bf16 products need the instructions and an ISA not forced below them */
    int bf16_ok = cpu_has_bf16() && (!isa[0] || !strcmp(isa, "avx512bf16"));
    if (prec == 1 && !bf16_ok) {
        if (cpu_has_bf16())
            return cfg_err(host, err, SC_ECONFIG, "blas backend: [backend] precision = bf16 "
                           "needs isa=avx512bf16, not isa=%.*s; use precision = fp32 or auto",
                           isa, (int)strlen(isa));
        return cfg_err(host, err, SC_ECONFIG, "blas backend: [backend] precision = bf16 needs "
                       "a CPU with AVX-512 BF16 (vdpbf16ps), which this one lacks%.*s; use "
                       "precision = fp32 or auto", "", 0);
    }
    const blas_lib *lib = sc_blas_lib_load();
    if (!lib->ok) {
        if (host && host->err_set)
            host->err_set(err, SC_EUNSUPPORTED, "blas backend: %s", lib->err);
        return SC_EUNSUPPORTED;
    }
    blas_ctx *c = calloc(1, sizeof *c);
    if (!c || (prec && bf16_ok && !(c->bf16 = sc_bf16_cache_new()))) {
        free(c);
        if (host && host->err_set)
            host->err_set(err, SC_ENOMEM, "blas backend: out of memory");
        return SC_ENOMEM;
    }
    c->host = host;
    c->pool = host ? host->pool : NULL;
    c->nthreads = host && host->pool_size && c->pool ? host->pool_size(c->pool) : 1;
    if (c->nthreads < 1)
        c->nthreads = 1;
    c->k = k;
    c->wino = wino;
    /* see blas.h: OpenBLAS never threads by itself */
    lib->set_num_threads(1);
    if (host && host->log_msg) {
        const char *core = lib->get_corename();
        host->log_msg(host->log, SC_LOG_DEBUG, "blas backend: %s kernels%s, %d threads, %s%s%s%s",
                      k->isa, c->bf16 ? ", bf16 products" : "", c->nthreads, lib->get_config(),
                      lib->forced ? ", OPENBLAS_CORETYPE chosen: " : "",
                      lib->forced ? lib->forced : "",
                      lib->private_ns ? ", private copy beside the host's OpenBLAS" : "");
        if (lib->warn[0])
            host->log_msg(host->log, SC_LOG_WARN, "blas backend: %s", lib->warn);
        /* an OpenBLAS older than the CPU falls back to SSE3 kernels */
        static const char *const weak[] = {"prescott", "core2", "penryn", "dunnington", "nehalem",
                                           "atom", "nano", "banias", "katmai", "coppermine", "northwood"};
        for (size_t i = 0; core && i < sizeof weak / sizeof weak[0]; i++)
            if (!strcasecmp(core, weak[i]) && (k == &sc_blas_kern_avx2 || k == &sc_blas_kern_avx512))
                host->log_msg(host->log, SC_LOG_WARN,
                              "blas backend: OpenBLAS uses %s kernels on a CPU with %s; GEMMs run "
                              "several times slower (set OPENBLAS_CORETYPE=%s)", core, k->isa,
                              k == &sc_blas_kern_avx512 ? "SkylakeX" : "Haswell");
    }
    *ctx = c;
    return SC_OK;
}

static void blas_destroy(void *ctx)
{
    blas_ctx *c = ctx;
    if (c)
        sc_bf16_cache_free(c->bf16);
    free(c);
}

static int blas_supports(void *ctx, int op) { return op >= 0 && op < SC_OP_COUNT; }

static void *blas_buf_alloc(void *ctx, size_t bytes)
{
    size_t n = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, n ? n : 64);
}

static void blas_buf_free(void *ctx, void *p) { free(p); }

static int blas_memcpy(void *ctx, void *dst, const void *src, size_t bytes)
{
    if (bytes)
        memcpy(dst, src, bytes);
    return SC_OK;
}

/* Zero copy; with bf16 products the range is recorded so that products
 * convert it once (blas_bf16.h).  Should recording run out of memory, the
 * weight is converted per call instead: slower, same result. */
static const float *blas_weight(void *ctx, const float *host, size_t count)
{
    blas_ctx *c = ctx;
    if (c->bf16)
        sc_bf16_note_weight(c->bf16, host, count);
    return host;
}

static int blas_sync(void *ctx) { return SC_OK; }

static const sc_backend_vt blas_vt = {
    .struct_size = sizeof(sc_backend_vt),
    .host_memory = 1,
    .create = blas_create,
    .destroy = blas_destroy,
    .supports = blas_supports,
    .buf_alloc = blas_buf_alloc,
    .buf_free = blas_buf_free,
    .upload = blas_memcpy,
    .download = blas_memcpy,
    .weight = blas_weight,
    .sync = blas_sync,
    .gemm = blas_gemm,
    .linear = blas_linear,
    .layernorm = blas_layernorm,
    .groupnorm = blas_groupnorm,
    .act = blas_act,
    .binary = blas_binary,
    .scale = blas_scale,
    .bias = blas_bias,
    .attention = sc_blas_attention,
    .conv2d = sc_blas_conv2d,
    .conv1d = sc_blas_conv1d,
    .conv_transpose1d = sc_blas_conv_transpose1d,
    .lstm = sc_blas_lstm,
    .nearest = sc_blas_nearest,
    .geglu = blas_geglu,
    .upsample2x = blas_upsample2x,
    .copy2d = blas_copy2d,
};

static const sc_plugin_info blas_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_BACKEND,
    .name = "blas",
    .version = "1",
    .description = "OpenBLAS GEMMs + AVX2/AVX-512 kernels, threads from the host pool",
    .vtable = &blas_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

const sc_plugin_info *sc_plugin_entry(const sc_host *host)
{
    return &blas_info;
}
