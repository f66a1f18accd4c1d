/* libsc/dsp/noise.c - exported wrapper of the decoder noise generator
 * (sc/noise.h defines it completely). */
#include "sc/noise.h"

void sc_noise_draws(uint64_t seed, uint32_t window, int ndraws, size_t count, float *out)
{
    for (int d = 0; d < ndraws; d++)
        sc_noise_fill(seed, window, (uint32_t)d, 0, out + (size_t)d * count, count);
}
