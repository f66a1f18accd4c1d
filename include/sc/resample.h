/* sc/resample.h - torchaudio.functional.resample with its defaults
 * (sinc_interp_hann, lowpass_filter_width 6, rolloff 0.99), as
 * SemantiCodec's load_audio uses it (ARCHITECTURE §1.2).
 *
 * The kernel is built in float32 with torch's operation order; the strided
 * convolution accumulates in float32 in a fixed 8-lane order (torch leaves
 * its summation order to oneDNN, which cannot be matched bit for bit; on
 * the golden 44.1 kHz input the result is within 9e-8 of torch's).  The output has ceil(to * n / from) samples, computed as
 * a double as torch does.  Outputs are independent, so the work is split
 * over a pool when one is given; the result does not depend on it.
 *
 * Rates are reduced by their gcd.  The kernel has (to/g) * (2w + from/g)
 * taps; rates whose kernel would exceed SC_RESAMPLE_MAX_TAPS (e.g. 44101 Hz,
 * which shares no factor with 16000) are refused with SC_EUNSUPPORTED.
 * A resampler is immutable after creation and may be shared by threads.
 */
#ifndef SC_RESAMPLE_H
#define SC_RESAMPLE_H

#include <stdint.h>
#include "sc/error.h"
#include "sc/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_RESAMPLE_MAX_TAPS (16 * 1024 * 1024)

typedef struct sc_resampler sc_resampler;

sc_resampler *sc_resampler_new(int from, int to, sc_err *err);
void sc_resampler_free(sc_resampler *r);   /* NULL-safe */
/* Output length for n input samples. */
int64_t sc_resampler_length(const sc_resampler *r, int64_t n);
/* y must hold sc_resampler_length(r, n) samples.  pool may be NULL. */
void sc_resampler_run(const sc_resampler *r, const float *x, int64_t n, float *y, sc_pool *pool);

/* Streaming: push input in chunks of any size and get exactly the samples
 * sc_resampler_run gives for the concatenated input (same arithmetic), with
 * memory bounded by the kernel length plus the chunk.  push() writes the
 * outputs that became complete into y and returns their count (negative
 * on error); y must hold sc_resample_stream_max_out(s, n) samples.  The
 * last push has eof = 1 (n may be 0) and flushes the tail up to
 * sc_resampler_length(total input).  The resampler must outlive the
 * stream. */
typedef struct sc_resample_stream sc_resample_stream;
sc_resample_stream *sc_resample_stream_new(const sc_resampler *r, sc_err *err);
void sc_resample_stream_free(sc_resample_stream *s);          /* NULL-safe */
void sc_resample_stream_reset(sc_resample_stream *s);         /* start over */
int64_t sc_resample_stream_max_out(const sc_resample_stream *s, int64_t n);
int64_t sc_resample_stream_push(sc_resample_stream *s, const float *x, int64_t n, int eof,
                                float *y, sc_err *err);

/* One-shot: *y (malloc'd, caller frees) of *ny samples.  from == to copies. */
int sc_resample(const float *x, int64_t n, int from, int to, float **y, int64_t *ny,
                sc_pool *pool, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
