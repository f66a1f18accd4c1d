/* sc/source.h - the encoder's audio source: any input, read twice with
 * bounded memory.
 *
 * SemantiCodec normalises with a mean over the whole (padded) signal, so
 * an encoder reads its input twice: pass 1 (sc_source_scan) counts and
 * sums the 16 kHz samples, pass 2 (sc_source_span) hands out one window's
 * input span at a time, in order.  Channel 0 is kept (the official code
 * does not down-mix) and other rates go through the streaming resampler
 * (sc/resample.h: the same bits as resampling the whole signal), so
 * memory is a few chunks whatever the length.  A file is read in place; a
 * pipe is spooled by sc_audio to an unlinked temporary file, not to
 * memory (sc/audio.h).  PCM arrays are borrowed, not copied.
 *
 * Bad input is an error naming the input: no samples, a sample that is NaN
 * or infinite (the message names its frame), an input that changes
 * between the passes.
 *
 * This is the source of sc-mel, sc-encode and sc_encoder (sc/codec.h).
 * Ownership: the caller's; one thread at a time.
 */
#ifndef SC_SOURCE_H
#define SC_SOURCE_H

#include <stdint.h>
#include "sc/audio.h"
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_source sc_source;

/* path: a file, or NULL / "-" for stdin. */
sc_source *sc_source_open(const char *path, sc_err *err);
/* frames interleaved frames of `channels` floats at sample_rate Hz
 * (borrowed until close); name is used in messages (NULL: "<pcm>"). */
sc_source *sc_source_open_pcm(const float *pcm, int64_t frames, int channels, int sample_rate,
                              const char *name, sc_err *err);
void sc_source_close(sc_source *s);                 /* NULL-safe */

const char *sc_source_name(const sc_source *s);
/* The file's parameters (NULL for a PCM source). */
const sc_audio_info *sc_source_audio_info(const sc_source *s);

/* Pass 1: *n 16 kHz samples (> 0) whose sc_frontend_sum is *sum. */
int sc_source_scan(sc_source *s, int64_t *n, double *sum, sc_err *err);
/* Pass 2: window w's span (sc_frontend_span), windows in order from 0.
 * *x is valid until the next call (NULL when *len is 0). */
int sc_source_span(sc_source *s, int64_t w, const float **x, int64_t *len, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
