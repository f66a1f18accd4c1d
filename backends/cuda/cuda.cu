/* backends/cuda/cuda.cu - the CUDA backend: every op of sc_backend_vt on
 * an NVIDIA GPU, GEMMs through cuBLAS, the rest as plain kernels.
 *
 * Numerics: float32 throughout.  cuBLAS runs in CUBLAS_DEFAULT_MATH, which
 * does not use TF32, so results stay within rounding of `ref`; the option
 * string "tf32" opts into TF32 tensor cores (faster, ~1e-3 relative).
 * Kernels are compiled with --fmad=false so the distance formulas of
 * nearest() round like the reference's separate multiply and add.
 *
 * Memory: buffers are device memory (host_memory = 0).  weight() uploads
 * each weight once and caches it by host pointer for the life of the
 * context.  All work is queued on one stream; download() synchronises.
 * Temporary space (im2col columns, attention scores, distances) comes from
 * a per-context scratch buffer that only grows.
 *
 * Determinism: no atomics; every reduction has a fixed order, so a given
 * GPU model gives the same bits run to run.
 */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "sc/backend.h"
#include "sc/plugin.h"
}

namespace {

struct wentry {
    const float *host;
    float *dev;
    size_t count;
};

struct cuda_ctx {
    const sc_host *host;
    cudaStream_t stream;
    cublasHandle_t blas;
    float *scratch;
    size_t scratch_bytes;
    wentry *w;
    size_t wcap, wn;
};

const int TPB = 256;

inline unsigned nblocks(int64_t n) { return (unsigned)((n + TPB - 1) / TPB); }

int check(cuda_ctx *c, cudaError_t e, const char *what)
{
    if (e == cudaSuccess)
        e = cudaGetLastError();
    if (e != cudaSuccess) {
        if (c && c->host && c->host->log_msg)
            c->host->log_msg(c->host->log, SC_LOG_ERROR, "cuda: %s: %s", what,
                             cudaGetErrorString(e));
        return SC_EIO;
    }
    return SC_OK;
}

int check_blas(cuda_ctx *c, cublasStatus_t s, const char *what)
{
    if (s != CUBLAS_STATUS_SUCCESS) {
        if (c->host && c->host->log_msg)
            c->host->log_msg(c->host->log, SC_LOG_ERROR, "cublas: %s failed (%d)", what, (int)s);
        return SC_EIO;
    }
    return SC_OK;
}

float *scratch(cuda_ctx *c, size_t floats)
{
    size_t bytes = floats * sizeof(float);
    if (bytes <= c->scratch_bytes)
        return c->scratch;
    cudaStreamSynchronize(c->stream);
    cudaFree(c->scratch);
    c->scratch = NULL;
    c->scratch_bytes = 0;
    if (cudaMalloc(&c->scratch, bytes) != cudaSuccess)
        return NULL;
    c->scratch_bytes = bytes;
    return c->scratch;
}

/* Row-major C[M,N] = alpha op(A) op(B) + beta C as the column-major
 * product C^T = op(B)^T op(A)^T. */
int rm_gemm(cuda_ctx *c, int ta, int tb, int M, int N, int K, float alpha, const float *A,
            int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return SC_OK;
    return check_blas(c,
                      cublasSgemm(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                  ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, A,
                                  lda, &beta, C, ldc),
                      "sgemm");
}

int rm_gemm_batched(cuda_ctx *c, int ta, int tb, int M, int N, int K, float alpha,
                    const float *A, int lda, long long sa, const float *B, int ldb,
                    long long sb, float beta, float *C, int ldc, long long sc, int batch)
{
    return check_blas(c,
                      cublasSgemmStridedBatched(c->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                                ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
                                                B, ldb, sb, A, lda, sa, &beta, C, ldc, sc,
                                                batch),
                      "sgemm batched");
}

/* ---- kernels ------------------------------------------------------------ */

__device__ inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ inline float act1(int act, float alpha, float x)
{
    switch (act) {
    case SC_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case SC_ACT_SILU: return x * sigm(x);
    case SC_ACT_LEAKY: return x >= 0.0f ? x : alpha * x;
    case SC_ACT_TANH: return tanhf(x);
    case SC_ACT_SIGMOID: return sigm(x);
    case SC_ACT_RELU: return x > 0.0f ? x : 0.0f;
    default: return x;
    }
}

__global__ void k_act(int act, float alpha, const float *x, int64_t n, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = act1(act, alpha, x[i]);
}

__global__ void k_binary(int op, const float *a, const float *b, int64_t n, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = op == SC_BIN_ADD ? a[i] + b[i] : op == SC_BIN_SUB ? a[i] - b[i] : a[i] * b[i];
}

__global__ void k_scale(const float *x, int64_t n, float alpha, float beta, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = alpha * x[i] + beta;
}

__global__ void k_bias(const float *x, int rows, int cols, const float *v, int per_row,
                       int ldy, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * cols)
        return;
    int r = (int)(i / cols), cc = (int)(i % cols);
    size_t o = (size_t)r * ldy + cc;
    y[o] = x[o] + (per_row ? v[r] : v[cc]);
}

__global__ void k_geglu(const float *x, int rows, int n, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)rows * n)
        return;
    int r = (int)(i / n), j = (int)(i % n);
    float a = x[(size_t)r * 2 * n + j], g = x[(size_t)r * 2 * n + n + j];
    y[i] = a * (0.5f * g * (1.0f + erff(g * 0.70710678118654752f)));
}

__global__ void k_upsample2x(const float *x, int C, int H, int W, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int64_t n = (int64_t)C * 4 * H * W;
    if (i >= n)
        return;
    int ox = (int)(i % (2 * W));
    int oy = (int)((i / (2 * W)) % (2 * H));
    int c = (int)(i / (4 * (int64_t)H * W));
    y[i] = x[((size_t)c * H + oy / 2) * W + ox / 2];
}

/* Block-wide sum with a fixed tree order (deterministic). */
__device__ float block_sum(float v, float *sh)
{
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sh[t] += sh[t + s];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

/* One block per row (layernorm) or per group (groupnorm): mean, then the
 * biased variance from the centred values, eps inside the square root. */
__global__ void k_layernorm(const float *x, int cols, const float *g, const float *b, float eps,
                            float *y)
{
    __shared__ float sh[TPB];
    const float *xr = x + (size_t)blockIdx.x * cols;
    float *yr = y + (size_t)blockIdx.x * cols;
    float s = 0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
        s += xr[i];
    float mean = block_sum(s, sh) / cols;
    float v = 0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float d = xr[i] - mean;
        v += d * d;
    }
    float rstd = 1.0f / sqrtf(block_sum(v, sh) / cols + eps);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float o = (xr[i] - mean) * rstd;
        yr[i] = o * (g ? g[i] : 1.0f) + (b ? b[i] : 0.0f);
    }
}

__global__ void k_groupnorm(const float *x, int C, int HW, int groups, const float *g,
                            const float *b, float eps, int silu, float *y)
{
    __shared__ float sh[TPB];
    int cpg = C / groups;
    int64_t cnt = (int64_t)cpg * HW;
    size_t base = (size_t)blockIdx.x * cnt;
    float s = 0;
    for (int64_t i = threadIdx.x; i < cnt; i += blockDim.x)
        s += x[base + i];
    float mean = block_sum(s, sh) / (float)cnt;
    float v = 0;
    for (int64_t i = threadIdx.x; i < cnt; i += blockDim.x) {
        float d = x[base + i] - mean;
        v += d * d;
    }
    float rstd = 1.0f / sqrtf(block_sum(v, sh) / (float)cnt + eps);
    for (int64_t i = threadIdx.x; i < cnt; i += blockDim.x) {
        int ch = blockIdx.x * cpg + (int)(i / HW);
        float o = (x[base + i] - mean) * rstd * (g ? g[ch] : 1.0f) + (b ? b[ch] : 0.0f);
        y[base + i] = silu ? o * sigm(o) : o;
    }
}

/* Row softmax in place, max-subtracted. */
__global__ void k_softmax(float *s, int cols)
{
    __shared__ float sh[TPB];
    float *r = s + (size_t)blockIdx.x * cols;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
        m = fmaxf(m, r[i]);
    sh[threadIdx.x] = m;
    __syncthreads();
    for (int st = blockDim.x / 2; st > 0; st >>= 1) {
        if (threadIdx.x < st)
            sh[threadIdx.x] = fmaxf(sh[threadIdx.x], sh[threadIdx.x + st]);
        __syncthreads();
    }
    m = sh[0];
    __syncthreads();
    float sum = 0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float e = expf(r[i] - m);
        r[i] = e;
        sum += e;
    }
    float inv = 1.0f / block_sum(sum, sh);
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
        r[i] *= inv;
}

__global__ void k_im2col2d(const float *x, int Cin, int H, int W, int kh, int kw, int stride,
                           int pad, int Ho, int Wo, float *cols)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int64_t n = (int64_t)Cin * kh * kw * Ho * Wo;
    if (i >= n)
        return;
    int ox = (int)(i % Wo);
    int oy = (int)((i / Wo) % Ho);
    int64_t r = i / ((int64_t)Wo * Ho);
    int kx = (int)(r % kw), ky = (int)((r / kw) % kh), c = (int)(r / ((int64_t)kw * kh));
    int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
    cols[i] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[((size_t)c * H + iy) * W + ix] : 0.0f;
}

__global__ void k_im2col1d(const float *x, int Cin, int L, int k, int stride, int pad, int dil,
                           int Lo, float *cols)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    int64_t n = (int64_t)Cin * k * Lo;
    if (i >= n)
        return;
    int o = (int)(i % Lo);
    int64_t r = i / Lo;
    int kk = (int)(r % k), c = (int)(r / k);
    int l = o * stride - pad + kk * dil;
    cols[i] = l >= 0 && l < L ? x[(size_t)c * L + l] : 0.0f;
}

/* Transposed conv gather: y[co][lo] = b[co] + sum_k cols[co*k+kk][l] where
 * lo = l*stride - pad + kk; k ascending for a fixed summation order. */
__global__ void k_col2im1d(const float *cols, int Cout, int L, int k, int stride, int pad,
                           int Lo, const float *b, float *y)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)Cout * Lo)
        return;
    int lo = (int)(i % Lo), co = (int)(i / Lo);
    float s = 0.0f;
    for (int kk = 0; kk < k; kk++) {
        int t = lo + pad - kk;
        if (t < 0 || t % stride)
            continue;
        int l = t / stride;
        if (l < L)
            s += cols[((size_t)co * k + kk) * L + l];
    }
    y[i] = s + (b ? b[co] : 0.0f);
}

/* gates[B,4H] (i, f, g, o blocks) -> c, h; h also to out row. */
__global__ void k_lstm_cell(const float *gates, int B, int H, float *c, float *h, float *out,
                            int ldo)
{
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)B * H)
        return;
    int bb = (int)(i / H), j = (int)(i % H);
    const float *g = gates + (size_t)bb * 4 * H;
    float ig = sigm(g[j]), fg = sigm(g[H + j]), gg = tanhf(g[2 * H + j]), og = sigm(g[3 * H + j]);
    float cn = fg * c[i] + ig * gg;
    float hn = og * tanhf(cn);
    c[i] = cn;
    h[i] = hn;
    out[(size_t)bb * ldo + j] = hn;
}

__global__ void k_rownorm2(const float *x, int ldx, int D, float *out)
{
    __shared__ float sh[TPB];
    const float *r = x + (size_t)blockIdx.x * ldx;
    float s = 0;
    for (int i = threadIdx.x; i < D; i += blockDim.x)
        s += r[i] * r[i];
    s = block_sum(s, sh);
    if (threadIdx.x == 0)
        out[blockIdx.x] = s;
}

/* Per row, the first index of the minimum distance over one chunk of
 * codebook rows, merged into the running best (chunks are visited in
 * increasing index order, so "strictly smaller" keeps the first). */
__global__ void k_argmin(int mode, const float *dots, int nc, int j0, const float *xn,
                         const float *cbn, float *best, int64_t *bidx, int first)
{
    __shared__ float sv[TPB];
    __shared__ int si[TPB];
    int row = blockIdx.x;
    float bv = INFINITY;
    int bi = -1;
    for (int j = threadIdx.x; j < nc; j += blockDim.x) {
        float d = dots[(size_t)row * nc + j];
        float v;
        if (mode == SC_NEAREST_SQ)
            v = (xn[row] + cbn[j0 + j]) - 2.0f * d;
        else
            v = sqrtf(fmaxf((xn[row] + cbn[j0 + j]) + (-2.0f * d), 0.0f));
        if (v < bv || bi < 0) {
            bv = v;
            bi = j0 + j;
        }
    }
    sv[threadIdx.x] = bv;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float ov = sv[threadIdx.x + s];
            int oi = si[threadIdx.x + s];
            if (oi >= 0 && (si[threadIdx.x] < 0 || ov < sv[threadIdx.x] ||
                            (ov == sv[threadIdx.x] && oi < si[threadIdx.x]))) {
                sv[threadIdx.x] = ov;
                si[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0 && si[0] >= 0 && (first || sv[0] < best[row])) {
        best[row] = sv[0];
        bidx[row] = si[0];
    }
}

/* ---- vtable ---------------------------------------------------------------- */

int c_create(const sc_host *host, const char *options, void **out, sc_err *err)
{
    /* no bf16 kernels here: sc/backend.h says refuse bf16, auto is fp32 */
    if (options && strstr(options, "precision=bf16"))
        return host->err_set(err, SC_ECONFIG, "cuda: [backend] precision = bf16 is not "
                                              "implemented by the cuda backend (use fp32 or auto)");
    cuda_ctx *c = (cuda_ctx *)calloc(1, sizeof *c);
    if (!c)
        return host->err_set(err, SC_ENOMEM, "cuda: out of memory");
    c->host = host;
    if (cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking) != cudaSuccess ||
        cublasCreate(&c->blas) != CUBLAS_STATUS_SUCCESS) {
        free(c);
        return host->err_set(err, SC_EUNSUPPORTED, "cuda: cannot initialise the device");
    }
    cublasSetStream(c->blas, c->stream);
    int tf32 = options && strstr(options, "tf32") != NULL;
    cublasSetMathMode(c->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    if (tf32 && host->log_msg)
        host->log_msg(host->log, SC_LOG_INFO, "cuda: TF32 tensor cores enabled (fast mode)");
    *out = c;
    return SC_OK;
}

void c_destroy(void *ctx)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (!c)
        return;
    cudaStreamSynchronize(c->stream);
    for (size_t i = 0; i < c->wcap; i++)
        if (c->w && c->w[i].host)
            cudaFree(c->w[i].dev);
    free(c->w);
    cudaFree(c->scratch);
    cublasDestroy(c->blas);
    cudaStreamDestroy(c->stream);
    free(c);
}

int c_supports(void *ctx, int op) { return op >= 0 && op < SC_OP_COUNT; }

void *c_buf_alloc(void *ctx, size_t bytes)
{
    void *p = NULL;
    return cudaMalloc(&p, bytes ? bytes : 1) == cudaSuccess ? p : NULL;
}

void c_buf_free(void *ctx, void *p)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (p) {
        cudaStreamSynchronize(c->stream);
        cudaFree(p);
    }
}

int c_upload(void *ctx, void *dst, const void *src, size_t n)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    cudaError_t e = cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, c->stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream);
    return check(c, e, "upload");
}

int c_download(void *ctx, void *dst, const void *src, size_t n)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    cudaError_t e = cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, c->stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream);
    return check(c, e, "download");
}

size_t hash_ptr(const void *p, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

const float *c_weight(void *ctx, const float *h, size_t count)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (c->wn * 2 >= c->wcap) {   /* grow the open-addressing table */
        size_t ncap = c->wcap ? c->wcap * 2 : 1024;
        wentry *nw = (wentry *)calloc(ncap, sizeof *nw);
        if (!nw)
            return NULL;
        for (size_t i = 0; i < c->wcap; i++)
            if (c->w[i].host) {
                size_t j = hash_ptr(c->w[i].host, ncap);
                while (nw[j].host)
                    j = (j + 1) & (ncap - 1);
                nw[j] = c->w[i];
            }
        free(c->w);
        c->w = nw;
        c->wcap = ncap;
    }
    size_t j = hash_ptr(h, c->wcap);
    while (c->w[j].host) {
        if (c->w[j].host == h && c->w[j].count >= count)
            return c->w[j].dev;
        j = (j + 1) & (c->wcap - 1);
    }
    float *d = NULL;
    if (cudaMalloc(&d, count * sizeof(float) + 1) != cudaSuccess)
        return NULL;
    if (cudaMemcpy(d, h, count * sizeof(float), cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaFree(d);
        return NULL;
    }
    c->w[j].host = h;
    c->w[j].dev = d;
    c->w[j].count = count;
    c->wn++;
    return d;
}

int c_sync(void *ctx)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    return check(c, cudaStreamSynchronize(c->stream), "sync");
}

int c_gemm(void *ctx, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
           const float *B, int ldb, float beta, float *C, int ldc)
{
    return rm_gemm((cuda_ctx *)ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int c_bias(void *ctx, const float *x, int rows, int cols, const float *v, int per_row, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int64_t n = (int64_t)rows * cols;
    if (n <= 0)
        return SC_OK;
    k_bias<<<nblocks(n), TPB, 0, c->stream>>>(x, rows, cols, v, per_row, cols, y);
    return check(c, cudaSuccess, "bias");
}

int c_linear(void *ctx, const float *x, int ldx, int M, int K, const float *W, const float *b,
             int N, float *y, int ldy)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int rc = rm_gemm(c, 0, 1, M, N, K, 1.0f, x, ldx, W, K, 0.0f, y, ldy);
    if (rc || !b || M <= 0)
        return rc;
    k_bias<<<nblocks((int64_t)M * N), TPB, 0, c->stream>>>(y, M, N, b, 0, ldy, y);
    return check(c, cudaSuccess, "linear bias");
}

int c_layernorm(void *ctx, const float *x, int rows, int cols, const float *g, const float *b,
                float eps, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (rows <= 0)
        return SC_OK;
    k_layernorm<<<rows, TPB, 0, c->stream>>>(x, cols, g, b, eps, y);
    return check(c, cudaSuccess, "layernorm");
}

int c_groupnorm(void *ctx, const float *x, int C, int HW, int groups, const float *g,
                const float *b, float eps, int silu, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (groups <= 0 || C % groups)
        return SC_EARG;
    k_groupnorm<<<groups, TPB, 0, c->stream>>>(x, C, HW, groups, g, b, eps, silu, y);
    return check(c, cudaSuccess, "groupnorm");
}

int c_act(void *ctx, int act, float alpha, const float *x, int64_t n, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (n <= 0)
        return SC_OK;
    k_act<<<nblocks(n), TPB, 0, c->stream>>>(act, alpha, x, n, y);
    return check(c, cudaSuccess, "act");
}

int c_binary(void *ctx, int op, const float *a, const float *b, int64_t n, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (n <= 0)
        return SC_OK;
    k_binary<<<nblocks(n), TPB, 0, c->stream>>>(op, a, b, n, y);
    return check(c, cudaSuccess, "binary");
}

int c_scale(void *ctx, const float *x, int64_t n, float alpha, float beta, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (n <= 0)
        return SC_OK;
    k_scale<<<nblocks(n), TPB, 0, c->stream>>>(x, n, alpha, beta, y);
    return check(c, cudaSuccess, "scale");
}

int c_attention(void *ctx, const float *q, int ldq, const float *k, int ldk, const float *v,
                int ldv, float *o, int ldo, int heads, int Lq, int Lk, int dh, float scale)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    /* Scores for a chunk of query rows at a time keep scratch <= 256 MB. */
    int64_t per_row = (int64_t)heads * Lk;
    int qc = (int)((64LL << 20) / (per_row > 0 ? per_row : 1));
    if (qc < 1)
        qc = 1;
    if (qc > Lq)
        qc = Lq;
    float *S = scratch(c, (size_t)qc * per_row);
    if (!S)
        return SC_ENOMEM;
    for (int q0 = 0; q0 < Lq; q0 += qc) {
        int m = Lq - q0 < qc ? Lq - q0 : qc;
        int rc = rm_gemm_batched(c, 0, 1, m, Lk, dh, scale, q + (size_t)q0 * ldq, ldq, dh, k, ldk,
                                 dh, 0.0f, S, Lk, (long long)m * Lk, heads);
        if (rc)
            return rc;
        k_softmax<<<heads * m, TPB, 0, c->stream>>>(S, Lk);
        if ((rc = check(c, cudaSuccess, "softmax")))
            return rc;
        rc = rm_gemm_batched(c, 0, 0, m, dh, Lk, 1.0f, S, Lk, (long long)m * Lk, v, ldv, dh,
                             0.0f, o + (size_t)q0 * ldo, ldo, dh, heads);
        if (rc)
            return rc;
    }
    return SC_OK;
}

int c_conv2d(void *ctx, const float *x, int Cin, int H, int W, const float *w, const float *b,
             int Cout, int kh, int kw, int stride, int pad, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1;
    int64_t K = (int64_t)Cin * kh * kw, N = (int64_t)Ho * Wo;
    const float *cols = x;
    if (!(kh == 1 && kw == 1 && stride == 1 && pad == 0)) {
        float *s = scratch(c, (size_t)(K * N));
        if (!s)
            return SC_ENOMEM;
        k_im2col2d<<<nblocks(K * N), TPB, 0, c->stream>>>(x, Cin, H, W, kh, kw, stride, pad, Ho,
                                                          Wo, s);
        int rc = check(c, cudaSuccess, "im2col");
        if (rc)
            return rc;
        cols = s;
    }
    int rc = rm_gemm(c, 0, 0, Cout, (int)N, (int)K, 1.0f, w, (int)K, cols, (int)N, 0.0f, y, (int)N);
    if (rc || !b)
        return rc;
    return c_bias(ctx, y, Cout, (int)N, b, 1, y);
}

int c_conv1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b, int Cout,
             int k, int stride, int pad, int dil, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int Lo = (L + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    int64_t K = (int64_t)Cin * k;
    const float *cols = x;
    if (!(k == 1 && stride == 1 && pad == 0)) {
        float *s = scratch(c, (size_t)(K * Lo));
        if (!s)
            return SC_ENOMEM;
        k_im2col1d<<<nblocks(K * Lo), TPB, 0, c->stream>>>(x, Cin, L, k, stride, pad, dil, Lo, s);
        int rc = check(c, cudaSuccess, "im2col1d");
        if (rc)
            return rc;
        cols = s;
    }
    int rc = rm_gemm(c, 0, 0, Cout, Lo, (int)K, 1.0f, w, (int)K, cols, Lo, 0.0f, y, Lo);
    if (rc || !b)
        return rc;
    return c_bias(ctx, y, Cout, Lo, b, 1, y);
}

int c_convt1d(void *ctx, const float *x, int Cin, int L, const float *w, const float *b,
              int Cout, int k, int stride, int pad, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int Lo = (L - 1) * stride - 2 * pad + k;
    float *cols = scratch(c, (size_t)Cout * k * L);
    if (!cols)
        return SC_ENOMEM;
    /* cols[Cout*k, L] = w[Cin, Cout*k]^T x[Cin, L] */
    int rc = rm_gemm(c, 1, 0, Cout * k, L, Cin, 1.0f, w, Cout * k, x, L, 0.0f, cols, L);
    if (rc)
        return rc;
    k_col2im1d<<<nblocks((int64_t)Cout * Lo), TPB, 0, c->stream>>>(cols, Cout, L, k, stride, pad,
                                                                   Lo, b, y);
    return check(c, cudaSuccess, "col2im1d");
}

int c_lstm(void *ctx, int T, int B, int H, const float *gx, const float *whh, int reverse,
           float *out, int ldo, float *ws)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    float *gates = ws, *h = ws + (size_t)4 * B * H, *cst = h + (size_t)B * H;
    cudaError_t e = cudaMemsetAsync(h, 0, sizeof(float) * 2 * B * H, c->stream);
    if (check(c, e, "lstm init"))
        return SC_EIO;
    for (int s = 0; s < T; s++) {
        int t = reverse ? T - 1 - s : s;
        e = cudaMemcpyAsync(gates, gx + (size_t)t * B * 4 * H, sizeof(float) * 4 * B * H,
                            cudaMemcpyDeviceToDevice, c->stream);
        if (check(c, e, "lstm copy"))
            return SC_EIO;
        if (s > 0) {   /* h = 0 before the first step */
            int rc = rm_gemm(c, 0, 1, B, 4 * H, H, 1.0f, h, H, whh, H, 1.0f, gates, 4 * H);
            if (rc)
                return rc;
        }
        k_lstm_cell<<<nblocks((int64_t)B * H), TPB, 0, c->stream>>>(
            gates, B, H, cst, h, out + (size_t)t * B * ldo, ldo);
        if (check(c, cudaSuccess, "lstm cell"))
            return SC_EIO;
    }
    return SC_OK;
}

int c_nearest(void *ctx, int mode, const float *x, int ldx, int M, int D, const float *cb,
              const float *cbn, int N, int64_t *idx, float *dist)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    int nc = N < 8192 ? N : 8192;
    float *s = scratch(c, (size_t)M * nc + 2 * (size_t)M);
    if (!s)
        return SC_ENOMEM;
    float *xn = s + (size_t)M * nc, *best = xn + M;
    k_rownorm2<<<M, TPB, 0, c->stream>>>(x, ldx, D, xn);
    if (check(c, cudaSuccess, "norms"))
        return SC_EIO;
    for (int j0 = 0; j0 < N; j0 += nc) {
        int n = N - j0 < nc ? N - j0 : nc;
        int rc = rm_gemm(c, 0, 1, M, n, D, 1.0f, x, ldx, cb + (size_t)j0 * D, D, 0.0f, s, n);
        if (rc)
            return rc;
        k_argmin<<<M, TPB, 0, c->stream>>>(mode, s, n, j0, xn, cbn, best, idx, j0 == 0);
        if (check(c, cudaSuccess, "argmin"))
            return SC_EIO;
    }
    if (dist && cudaMemcpyAsync(dist, best, sizeof(float) * M, cudaMemcpyDeviceToDevice,
                                c->stream) != cudaSuccess)
        return SC_EIO;
    return SC_OK;
}

int c_geglu(void *ctx, const float *x, int rows, int n, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    k_geglu<<<nblocks((int64_t)rows * n), TPB, 0, c->stream>>>(x, rows, n, y);
    return check(c, cudaSuccess, "geglu");
}

int c_upsample2x(void *ctx, const float *x, int C, int H, int W, float *y)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    k_upsample2x<<<nblocks((int64_t)C * 4 * H * W), TPB, 0, c->stream>>>(x, C, H, W, y);
    return check(c, cudaSuccess, "upsample2x");
}

int c_copy2d(void *ctx, const float *src, int lds, float *dst, int ldd, int rows, int cols)
{
    cuda_ctx *c = (cuda_ctx *)ctx;
    if (rows <= 0 || cols <= 0)
        return SC_OK;
    return check(c,
                 cudaMemcpy2DAsync(dst, sizeof(float) * ldd, src, sizeof(float) * lds,
                                   sizeof(float) * cols, rows, cudaMemcpyDeviceToDevice,
                                   c->stream),
                 "copy2d");
}

sc_backend_vt make_vt()
{
    sc_backend_vt v;
    memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    v.host_memory = 0;
    v.create = c_create;
    v.destroy = c_destroy;
    v.supports = c_supports;
    v.buf_alloc = c_buf_alloc;
    v.buf_free = c_buf_free;
    v.upload = c_upload;
    v.download = c_download;
    v.weight = c_weight;
    v.sync = c_sync;
    v.gemm = c_gemm;
    v.linear = c_linear;
    v.layernorm = c_layernorm;
    v.groupnorm = c_groupnorm;
    v.act = c_act;
    v.binary = c_binary;
    v.scale = c_scale;
    v.bias = c_bias;
    v.attention = c_attention;
    v.conv2d = c_conv2d;
    v.conv1d = c_conv1d;
    v.conv_transpose1d = c_convt1d;
    v.lstm = c_lstm;
    v.nearest = c_nearest;
    v.geglu = c_geglu;
    v.upsample2x = c_upsample2x;
    v.copy2d = c_copy2d;
    return v;
}

} // namespace

extern "C" const sc_backend_vt sc_cuda_backend_vt = make_vt();

extern "C" {

int sc_cuda_usable(char *why, int n)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        snprintf(why, (size_t)n, "no usable CUDA driver/device: %s", cudaGetErrorString(e));
        return 0;
    }
    if (count < 1) {
        snprintf(why, (size_t)n, "no CUDA device");
        return 0;
    }
    return 1;
}

}
