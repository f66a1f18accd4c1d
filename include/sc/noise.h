/* sc/noise.h - the documented noise generator of the decoder's sampler.
 *
 * The official decoder draws its DDIM noise from PyTorch's global generator,
 * whose stream a C program cannot reproduce, so parity tests inject the
 * noise (--noise).  Without injected noise sc uses this generator, defined
 * here completely so that any implementation (CPU, GPU, another language)
 * can reproduce it bit for bit:
 *
 *   Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 *   1, 2, 3", SC'11; the Random123 constants, 10 rounds), with
 *     key     = { seed & 0xffffffff, seed >> 32 }
 *     counter = { pair & 0xffffffff, pair >> 32, draw, window }
 *   where `window` is the decoder window index (0, 1, ...), `draw` is 0 for
 *   x_T and 1 + s for the noise of sampling step s (s = 0 is the first,
 *   noisiest step: the same layout as the --noise file [W, S+1, 8, 256, 16]),
 *   and `pair` = i / 2 for element i of the C-order tensor of that draw.
 *
 *   The block's words r0..r3 give two uniforms in (0, 1):
 *     u1 = ((((uint64)r1 << 32 | r0) >> 11) + 0.5) * 2^-53
 *     u2 = ((((uint64)r3 << 32 | r2) >> 11) + 0.5) * 2^-53
 *   and Box-Muller in double precision gives two standard normals
 *     rho = sqrt(-2 log u1),  z0 = rho cos(2 pi u2),  z1 = rho sin(2 pi u2)
 *   rounded to float32: element 2 pair gets z0, element 2 pair + 1 gets z1.
 *
 * Each element depends only on (seed, window, draw, index), so the noise is
 * identical across runs, thread counts, chunkings and backends.  The only
 * platform dependence is libm's log/cos/sin in double, which can move a
 * float32 result by one ulp in rare cases.
 *
 * Everything is static inline so that plugins (which do not link libsc) can
 * use it; libsc exports sc_noise_draws() for tools.
 */
#ifndef SC_NOISE_H
#define SC_NOISE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_PHILOX_M0 0xD2511F53u
#define SC_PHILOX_M1 0xCD9E8D57u
#define SC_PHILOX_W0 0x9E3779B9u
#define SC_PHILOX_W1 0xBB67AE85u

/* One Philox4x32-10 block: out = philox(ctr, key). */
static inline void sc_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                                    uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r) {
            k0 += SC_PHILOX_W0;
            k1 += SC_PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)SC_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)SC_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* The two standard normals of block `pair` of (seed, window, draw). */
static inline void sc_noise_pair(uint64_t seed, uint32_t window, uint32_t draw, uint64_t pair,
                                 float z[2])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)pair, (uint32_t)(pair >> 32), draw, window};
    uint32_t r[4];
    sc_philox4x32_10(ctr, key, r);
    const double two53 = 1.0 / 9007199254740992.0;
    double u1 = ((double)((((uint64_t)r[1] << 32) | r[0]) >> 11) + 0.5) * two53;
    double u2 = ((double)((((uint64_t)r[3] << 32) | r[2]) >> 11) + 0.5) * two53;
    double rho = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2;
    z[0] = (float)(rho * cos(th));
    z[1] = (float)(rho * sin(th));
}

/* Elements [first, first + n) of draw `draw` of (seed, window). */
static inline void sc_noise_fill(uint64_t seed, uint32_t window, uint32_t draw, uint64_t first,
                                 float *out, size_t n)
{
    float z[2];
    size_t i = 0;
    uint64_t e = first;
    if ((e & 1) && n) {
        sc_noise_pair(seed, window, draw, e >> 1, z);
        out[i++] = z[1];
        e++;
    }
    for (; i + 1 < n; i += 2, e += 2) {
        sc_noise_pair(seed, window, draw, e >> 1, z);
        out[i] = z[0];
        out[i + 1] = z[1];
    }
    if (i < n) {
        sc_noise_pair(seed, window, draw, e >> 1, z);
        out[i] = z[0];
    }
}

/* All draws of one decoder window in the --noise layout: out [ndraws, count]
 * with out[d * count + i] = element i of draw d (d = 0: x_T, 1 + s: step s).
 * Exported by libsc (tools); plugins use sc_noise_fill. */
void sc_noise_draws(uint64_t seed, uint32_t window, int ndraws, size_t count, float *out);

#ifdef __cplusplus
}
#endif
#endif
