/* backends/blas/kern_avx512bf16.c - the bf16 GEMM of precision=bf16
 * (blas_bf16.h): packing fp32 into bf16 panels and a 12x32 microkernel on
 * vdpbf16ps.  Built with $(AVX512BF16_CFLAGS) and run only when the CPU
 * has AVX-512 BF16 (blas.c checks before it sets the precision).
 *
 * Conversion is vcvtneps2bf16: round to nearest even, like the reference
 * (sc_bf16_round); the instruction and vdpbf16ps treat denormal inputs as
 * zero, far below what a bf16 product resolves anyway.
 *
 * Sums: every element of C is one vdpbf16ps chain over K in the same
 * order, in blocks of BF_KC pairs added into C, whatever the split of M
 * and N over tasks: the result does not depend on the thread count. */
#include <immintrin.h>
#include <string.h>
#include "blas_bf16.h"

/* K pairs per block: a 12-row A block (9 KiB) and a 32-column B block
 * (24 KiB) stay in L1 while the block is multiplied. */
#define BF_KC 192

static inline __m256i cvt16(__m512 v) { return (__m256i)_mm512_cvtneps_pbh(v); }

/* dst[0..n) = bf16(src[i * stride]), then zeros up to np. */
static void cvt_row(const float *src, size_t stride, int n, int np, uint16_t *dst)
{
    int i = 0;
    if (stride == 1) {
        for (; i + 16 <= n; i += 16)
            _mm256_storeu_si256((__m256i *)(dst + i), cvt16(_mm512_loadu_ps(src + i)));
    } else {
        float t[16];
        for (; i + 16 <= n; i += 16) {
            for (int l = 0; l < 16; l++)
                t[l] = src[(size_t)(i + l) * stride];
            _mm256_storeu_si256((__m256i *)(dst + i), cvt16(_mm512_loadu_ps(t)));
        }
    }
    if (i < n) {
        float t[16] = {0};
        for (int l = 0; l < n - i; l++)
            t[l] = src[(size_t)(i + l) * stride];
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm256_mask_storeu_epi16(dst + i, m, cvt16(_mm512_loadu_ps(t)));
        i = n;
    }
    for (; i < np; i++)
        dst[i] = 0;
}

/* Rows [i0, i1) (i0 a multiple of BF_MR) of the A panels.  A row of op(A)
 * is A + r lda (contiguous) or, transposed, A + r with stride lda. */
void sc_bf16_pack_a(const float *A, size_t lda, int ta, int M, int K, int i0, int i1,
                    uint16_t *Ap)
{
    int kp2 = (K + 1) / 2;
    uint32_t *d = (uint32_t *)Ap;
    uint32_t row[256];   /* 512 bf16 of one row per pass */
    for (int r = i0; r < i1; r++) {
        uint32_t *pan = d + (size_t)(r / BF_MR) * kp2 * BF_MR + r % BF_MR;
        if (r >= M) {
            for (int p = 0; p < kp2; p++)
                pan[(size_t)p * BF_MR] = 0;
            continue;
        }
        for (int k0 = 0; k0 < K; k0 += 512) {
            int n = K - k0 < 512 ? K - k0 : 512;
            const float *s = ta ? A + (size_t)k0 * lda + r : A + (size_t)r * lda + k0;
            cvt_row(s, ta ? lda : 1, n, (n + 1) & ~1, (uint16_t *)row);
            for (int p = 0; p < (n + 1) / 2; p++)
                pan[(size_t)(k0 / 2 + p) * BF_MR] = row[p];
        }
    }
}

/* Columns [j0, j1) (j0 a multiple of BF_NR) of the B panels.  Not
 * transposed, B is [K][ldb] and pairs of rows interleave with vector
 * conversions; transposed (B + n ldb is column n), a column at a time. */
void sc_bf16_pack_b(const float *B, size_t ldb, int tb, int K, int N, int j0, int j1,
                    uint16_t *Bp)
{
    int kp2 = (K + 1) / 2;
    uint32_t *d = (uint32_t *)Bp;
    if (!tb) {
        /* row pairs outer: B is read in order (a panel-major walk crossed
         * a page per load on wide B) */
        for (int p = 0; p < kp2; p++) {
            const float *r0 = B + (size_t)(2 * p) * ldb;
            int two = 2 * p + 1 < K;
            for (int j = j0; j < j1; j += BF_NR) {
                uint32_t *dst = d + ((size_t)(j / BF_NR) * kp2 + p) * BF_NR;
                for (int h = 0; h < BF_NR; h += 16) {
                    int c0 = j + h, cnt = N - c0 < 16 ? N - c0 : 16;
                    __mmask16 m = cnt <= 0 ? 0 : (__mmask16)(cnt >= 16 ? 0xFFFF : (1u << cnt) - 1);
                    __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
                    if (m) {
                        lo = _mm512_cvtepu16_epi32(cvt16(_mm512_maskz_loadu_ps(m, r0 + c0)));
                        if (two)
                            hi = _mm512_cvtepu16_epi32(
                                cvt16(_mm512_maskz_loadu_ps(m, r0 + ldb + c0)));
                    }
                    _mm512_storeu_si512(dst + h, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
                }
            }
        }
        return;
    }
    uint32_t col[256];
    for (int n = j0; n < j1; n++) {
        uint32_t *pan = d + (size_t)(n / BF_NR) * kp2 * BF_NR + n % BF_NR;
        if (n >= N) {
            for (int p = 0; p < kp2; p++)
                pan[(size_t)p * BF_NR] = 0;
            continue;
        }
        for (int k0 = 0; k0 < K; k0 += 512) {
            int cnt = K - k0 < 512 ? K - k0 : 512;
            cvt_row(B + (size_t)n * ldb + k0, 1, cnt, (cnt + 1) & ~1, (uint16_t *)col);
            for (int p = 0; p < (cnt + 1) / 2; p++)
                pan[(size_t)(k0 / 2 + p) * BF_NR] = col[p];
        }
    }
}

/* Two fp32 rows of n into one row-pair of the B panels. */
static void pair_to_panels(const float *r0, const float *r1, int n, int kp2, int p, uint32_t *d)
{
    int nr = (n + BF_NR - 1) / BF_NR * BF_NR;
    for (int j = 0; j < nr; j += BF_NR) {
        uint32_t *dst = d + ((size_t)(j / BF_NR) * kp2 + p) * BF_NR;
        for (int h = 0; h < BF_NR; h += 16) {
            int c0 = j + h, cnt = n - c0 < 16 ? n - c0 : 16;
            __mmask16 m = cnt <= 0 ? 0 : (__mmask16)(cnt >= 16 ? 0xFFFF : (1u << cnt) - 1);
            __m512i lo = _mm512_cvtepu16_epi32(cvt16(_mm512_maskz_loadu_ps(m, r0 + c0)));
            __m512i hi = r1 ? _mm512_cvtepu16_epi32(cvt16(_mm512_maskz_loadu_ps(m, r1 + c0)))
                            : _mm512_setzero_si512();
            _mm512_storeu_si512(dst + h, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
        }
    }
}

void sc_bf16_pack_b_rows(int K, int n, sc_bf16_row_fn row, void *arg, float *t, uint16_t *Bp)
{
    int kp2 = (K + 1) / 2;
    for (int p = 0; p < kp2; p++) {
        row(arg, 2 * p, t);
        if (2 * p + 1 < K)
            row(arg, 2 * p + 1, t + n);
        pair_to_panels(t, 2 * p + 1 < K ? t + n : NULL, n, kp2, p, (uint32_t *)Bp);
    }
}

/* C[mr x nr] (+)= alpha A B over kc pairs from a 12-row A block and a
 * 32-column B block.  first: C = alpha acc (+ beta C unless beta == 0,
 * which ignores C); else C += alpha acc (a later K block). */
static void micro(int kc, const uint32_t *a, const uint32_t *b, float *C, size_t ldc, int mr,
                  int nr, float alpha, float beta, int first)
{
    __m512 c[BF_MR][2];
#pragma GCC unroll 12
    for (int r = 0; r < BF_MR; r++)
        c[r][0] = c[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma GCC unroll 12
        for (int r = 0; r < BF_MR; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[r]);
            c[r][0] = _mm512_dpbf16_ps(c[r][0], av, b0);
            c[r][1] = _mm512_dpbf16_ps(c[r][1], av, b1);
        }
        a += BF_MR;
        b += BF_NR;
    }
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < mr; r++) {
        float *cr = C + (size_t)r * ldc;
        for (int h = 0; h < 2; h++) {
            __mmask16 m = h ? m1 : m0;
            if (!m)
                continue;
            __m512 v = _mm512_mul_ps(c[r][h], va);
            if (!first)
                v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr + 16 * h), v);
            else if (beta != 0.0f)
                v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, cr + 16 * h), v);
            _mm512_mask_storeu_ps(cr + 16 * h, m, v);
        }
    }
}

void sc_bf16_gemm_packed(int M, int N, int K, float alpha, const uint16_t *Ap,
                         const uint16_t *Bp, float beta, float *C, size_t ldc)
{
    int kp2 = (K + 1) / 2;
    if (kp2 == 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    const uint32_t *A = (const uint32_t *)Ap, *B = (const uint32_t *)Bp;
    for (int kb = 0; kb < kp2; kb += BF_KC) {
        int kc = kp2 - kb < BF_KC ? kp2 - kb : BF_KC;
        for (int i = 0; i < M; i += BF_MR) {
            const uint32_t *a = A + (size_t)(i / BF_MR) * kp2 * BF_MR + (size_t)kb * BF_MR;
            int mr = M - i < BF_MR ? M - i : BF_MR;
            for (int j = 0; j < N; j += BF_NR) {
                const uint32_t *b = B + (size_t)(j / BF_NR) * kp2 * BF_NR + (size_t)kb * BF_NR;
                micro(kc, a, b, C + (size_t)i * ldc + j, ldc, mr, N - j < BF_NR ? N - j : BF_NR,
                      alpha, beta, kb == 0);
            }
        }
    }
}
