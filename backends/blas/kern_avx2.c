/* backends/blas/kern_avx2.c - the blas kernels for AVX2 + FMA (8 floats),
 * built with $(AVX2_CFLAGS) and used only when the CPU has both. */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "blas.h"

typedef __m256 vf;
typedef __m256i vi;
typedef __m256 vm;
#define VW 8
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VSET(x) _mm256_set1_ps(x)
#define VZERO() _mm256_setzero_ps()
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VSQRT _mm256_sqrt_ps
#define VABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a)
#define VSIGN(a) _mm256_and_ps(_mm256_set1_ps(-0.0f), a)
#define VOR _mm256_or_ps
#define VFMA _mm256_fmadd_ps
#define VFNMA _mm256_fnmadd_ps
#define VROUND(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VCVTI _mm256_cvtps_epi32
#define VI_ADD _mm256_add_epi32
#define VI_SET _mm256_set1_epi32
#define VI_SLL23(a) _mm256_slli_epi32(a, 23)
#define VI_ASF _mm256_castsi256_ps
#define VLT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define VEQ(a, b) _mm256_cmp_ps(a, b, _CMP_EQ_OQ)
#define VBLEND(m, a, b) _mm256_blendv_ps(a, b, m)
#define VMBITS(m) ((unsigned)_mm256_movemask_ps(m))

static inline __m128 h128(__m256 v) { return _mm256_extractf128_ps(v, 1); }
static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), h128(v));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float hmax8(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), h128(v));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float hmin8(__m256 v)
{
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), h128(v));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#define VHSUM hsum8
#define VHMAX hmax8
#define VHMIN hmin8
static inline __m256 rcp8(__m256 b)
{
    __m256 r = _mm256_rcp_ps(b);   /* 12 bits; one Newton step gives ~23 */
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(b, r, _mm256_set1_ps(2.0f)));
}
#define VRCP rcp8
#define KTABLE sc_blas_kern_avx2
#define KISA "avx2"
#include "kern.inc"
