/* The synthetic-weight rule (SYNTHETIC-WEIGHTS.md of the parity kit).
 *
 * Bit-exactness hinges on the last step, v = offset + scale * t in double
 * with two roundings: a fused multiply-add would round once and give other
 * floats.  The scalar code therefore keeps the product in a register the
 * compiler cannot see through, and the AVX-512 code uses the explicitly
 * rounded intrinsics, which are never contracted.  t = 2u - 1 is exact:
 * (k - 2^23) / 2^23 for the 24-bit k = z >> 40.
 */
#include "config.h"

#include <string.h>

#include "sc/synth.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SYNTH_HAVE_AVX512 1
#endif

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define GOLDEN 0x9E3779B97F4A7C15ull
#define MIX1 0xBF58476D1CE4E5B9ull
#define MIX2 0x94D049BB133111EBull

uint64_t sc_synth_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = FNV_BASIS;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Stop the compiler from fusing the product into the following add. */
static inline double opaque(double x)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __asm__("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
    __asm__("" : "+w"(x));
#else
    volatile double v = x;
    x = v;
#endif
    return x;
}

static inline float rule_at(uint64_t x, double scale, double offset)
{
    uint64_t z = x;
    z = (z ^ (z >> 30)) * MIX1;
    z = (z ^ (z >> 27)) * MIX2;
    z ^= z >> 31;
    double t = (double)((int32_t)(z >> 40) - 8388608) * (1.0 / 8388608.0);
    double p = opaque(scale * t);
    return (float)(offset + p);
}

float sc_synth_value(uint64_t h, uint64_t index, double scale, double offset)
{
    return rule_at(h + index * GOLDEN, scale, offset);
}

static void fill_scalar(uint64_t x, size_t n, double scale, double offset, float *dst)
{
    for (size_t i = 0; i < n; i++, x += GOLDEN)
        dst[i] = rule_at(x, scale, offset);
}

#ifdef SYNTH_HAVE_AVX512
__attribute__((target("avx512f,avx512dq")))
static void fill_avx512(uint64_t x, size_t n, double scale, double offset, float *dst)
{
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i m1 = _mm512_set1_epi64((long long)MIX1);
    const __m512i m2 = _mm512_set1_epi64((long long)MIX2);
    const __m512i step = _mm512_set1_epi64((long long)(8 * GOLDEN));
    const __m256i bias = _mm256_set1_epi32(8388608);
    const __m512d inv = _mm512_set1_pd(1.0 / 8388608.0);
    const __m512d vs = _mm512_set1_pd(scale);
    const __m512d vo = _mm512_set1_pd(offset);
    __m512i vx = _mm512_add_epi64(_mm512_set1_epi64((long long)x),
                                  _mm512_mullo_epi64(lane, _mm512_set1_epi64((long long)GOLDEN)));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512i z = vx;
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        __m256i k = _mm512_cvtepi64_epi32(_mm512_srli_epi64(z, 40));
        __m512d t = _mm512_mul_round_pd(_mm512_cvtepi32_pd(_mm256_sub_epi32(k, bias)), inv,
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512d p = _mm512_mul_round_pd(vs, t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512d v = _mm512_add_round_pd(vo, p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(dst + i,
                         _mm512_cvt_roundpd_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        vx = _mm512_add_epi64(vx, step);
    }
    if (i < n)
        fill_scalar(x + (uint64_t)i * GOLDEN, n - i, scale, offset, dst + i);
}
#endif

void sc_synth_fill(uint64_t h, uint64_t first, size_t n, double scale, double offset,
                   float *dst)
{
    uint64_t x = h + first * GOLDEN;
#ifdef SYNTH_HAVE_AVX512
    if (n >= 16 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
        fill_avx512(x, n, scale, offset, dst);
        return;
    }
#endif
    fill_scalar(x, n, scale, offset, dst);
}

typedef struct fill_job {
    uint64_t h, first;
    size_t n;
    double scale, offset;
    float *dst;
} fill_job;

/* Blocks of 16 Ki elements: small enough to balance, large enough that the
 * per-call overhead vanishes. */
#define FILL_BLOCK 16384

static void fill_worker(void *arg, int64_t begin, int64_t end, int worker)
{
    const fill_job *j = arg;
    size_t lo = (size_t)begin * FILL_BLOCK;
    size_t hi = (size_t)end * FILL_BLOCK;
    if (hi > j->n)
        hi = j->n;
    if (lo < hi)
        sc_synth_fill(j->h, j->first + lo, hi - lo, j->scale, j->offset, j->dst + lo);
}

void sc_synth_fill_pool(uint64_t h, uint64_t first, size_t n, double scale, double offset,
                        float *dst, sc_pool *pool)
{
    if (!pool || sc_pool_size(pool) <= 1 || n < 4 * FILL_BLOCK) {
        sc_synth_fill(h, first, n, scale, offset, dst);
        return;
    }
    fill_job j = { h, first, n, scale, offset, dst };
    sc_pool_for(pool, (int64_t)((n + FILL_BLOCK - 1) / FILL_BLOCK), fill_worker, &j);
}
