/* backends/blas/kern_generic.c - the blas kernels for any CPU: kern.inc
 * instantiated with one float per "vector". */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "blas.h"

typedef float vf;
typedef int32_t vi;
typedef int vm;
#define VW 1
static inline float gf_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t gb_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSET(x) ((float)(x))
#define VZERO() 0.0f
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#define VDIV(a, b) ((a) / (b))
#define VMIN(a, b) fminf(a, b)
#define VMAX(a, b) fmaxf(a, b)
#define VSQRT(a) sqrtf(a)
#define VABS(a) fabsf(a)
#define VSIGN(a) gf_bits(gb_bits(a) & 0x80000000u)
#define VOR(a, b) gf_bits(gb_bits(a) | gb_bits(b))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VFNMA(a, b, c) ((c) - (a) * (b))
#define VROUND(a) nearbyintf(a)
#define VCVTI(a) ((int32_t)nearbyintf(a))
#define VI_ADD(a, b) ((a) + (b))
#define VI_SET(n) ((int32_t)(n))
#define VI_SLL23(a) ((int32_t)((uint32_t)(a) << 23))
#define VI_ASF(a) gf_bits((uint32_t)(a))
#define VLT(a, b) ((a) < (b))
#define VEQ(a, b) ((a) == (b))
#define VBLEND(m, a, b) ((m) ? (b) : (a))
#define VMBITS(m) ((unsigned)(m))
#define VHSUM(a) (a)
#define VHMAX(a) (a)
#define VHMIN(a) (a)
#define VRCP(a) (1.0f / (a))
#define KTABLE sc_blas_kern_generic
#define KISA "generic"
#include "kern.inc"
