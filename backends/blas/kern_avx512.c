/* backends/blas/kern_avx512.c - the blas kernels for AVX-512F (16 floats),
 * built with $(AVX512_CFLAGS) and used only when the CPU has it. */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "blas.h"

typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vm;
#define VW 16
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps(p, v)
#define VSET(x) _mm512_set1_ps(x)
#define VZERO() _mm512_setzero_ps()
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VSQRT _mm512_sqrt_ps
#define VABS(a) _mm512_abs_ps(a)
#define VSIGN(a) _mm512_and_ps(_mm512_set1_ps(-0.0f), a)
#define VOR _mm512_or_ps
#define VFMA _mm512_fmadd_ps
#define VFNMA _mm512_fnmadd_ps
#define VROUND(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VCVTI(a) _mm512_cvt_roundps_epi32(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VI_ADD _mm512_add_epi32
#define VI_SET _mm512_set1_epi32
#define VI_SLL23(a) _mm512_slli_epi32(a, 23)
#define VI_ASF _mm512_castsi512_ps
#define VLT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define VEQ(a, b) _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ)
#define VBLEND(m, a, b) _mm512_mask_blend_ps(m, a, b)
#define VMBITS(m) ((unsigned)(m))
#define VHSUM _mm512_reduce_add_ps
#define VHMAX _mm512_reduce_max_ps
#define VHMIN _mm512_reduce_min_ps
static inline __m512 rcp16(__m512 b)
{
    __m512 r = _mm512_rcp14_ps(b);   /* 14 bits; one Newton step gives ~24 */
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(b, r, _mm512_set1_ps(2.0f)));
}
#define VRCP rcp16
#define KTABLE sc_blas_kern_avx512
#define KISA "avx512"
#include "kern.inc"
