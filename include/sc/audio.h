/* sc/audio.h - reading and writing audio files and streams.
 *
 * Reading goes through libsndfile, so every format it knows is accepted
 * (WAV incl. WAVE_FORMAT_EXTENSIBLE and float, FLAC, Ogg Vorbis/Opus, AIFF,
 * ...).  Samples come back as float32 normalised the way torchaudio.load
 * returns them: 16-bit PCM is value/32768, float data is kept as stored.
 * Only channel 0 is ever delivered (SemantiCodec keeps channel 0 and does
 * not down-mix; resampling before or after the channel choice is the same).
 *
 * Input sources: a path, or stdin (NULL or "-").  A regular file (also a
 * regular file on stdin) is read in place, so a caller can read it twice
 * (sc_audio_rewind) with bounded memory.  A pipe is first copied whole to
 * an unlinked temporary file in $TMPDIR (default /tmp), because libsndfile
 * needs the stream length to parse the headers (in particular the
 * 0xFFFFFFFF sizes of a streamed WAV): disk use is the encoded input size,
 * memory stays bounded, and the bytes parse exactly as the same file.
 *
 * Bad input (missing or empty file, non-audio data, zero or absurd channel
 * counts or rates, a WAV data chunk longer than the file, a stream shorter
 * than its header announces) gives one line naming the input and the
 * problem: SC_ENOTFOUND for an input that cannot be opened, SC_EFORMAT for
 * bad content.
 *
 * Writing: WAV (own header writer: plain PCM/float RIFF, extensible for
 * more than 2 channels, no PEAK chunk, byte-reproducible), FLAC and Ogg
 * Vorbis (libsndfile), raw little-endian samples.  The writer streams: a
 * WAV on a seekable output gets its sizes fixed at close, a WAV on a pipe
 * carries 0xFFFFFFFF sizes (which libsndfile, sox and ffmpeg accept).  A
 * file output is written under a temporary name and renamed at close
 * (sc/util.h sc_outfile), so a failed run leaves nothing behind; binary
 * output to a terminal is refused.  Float to PCM conversion is
 * round-to-nearest of x * 2^(bits-1), clipped, the inverse of the reader.
 *
 * Ownership: an sc_audio and an sc_audio_writer belong to the caller and
 * are used from one thread at a time.
 */
#ifndef SC_AUDIO_H
#define SC_AUDIO_H

#include <stdint.h>
#include "sc/error.h"
#include "sc/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_AUDIO_MAX_CHANNELS 1024
#define SC_AUDIO_MAX_RATE 2000000

typedef struct sc_audio_info {
    int sample_rate;
    int channels;
    int64_t frames;          /* frames the header announces; -1 unknown */
    int seekable;            /* 1: every input is (a pipe is spooled to a file) */
    int sf_format;           /* libsndfile SF_FORMAT_* (major | subtype) */
    char format[48];         /* e.g. "WAV (Microsoft) 32 bit float" */
} sc_audio_info;

/* ---- reading ---- */
typedef struct sc_audio sc_audio;

sc_audio *sc_audio_open(const char *path, sc_err *err);
const sc_audio_info *sc_audio_get_info(const sc_audio *a);
const char *sc_audio_name(const sc_audio *a);      /* path or "<stdin>" */
/* Up to max frames of channel 0 into buf; returns frames read, 0 at the
 * end (after checking the stream was as long as announced), or a negative
 * status. */
int64_t sc_audio_read(sc_audio *a, float *buf, int64_t max, sc_err *err);
/* Back to the first frame.  Works for every input: a pipe was spooled to
 * a temporary file at open. */
int sc_audio_rewind(sc_audio *a, sc_err *err);
void sc_audio_close(sc_audio *a);                  /* NULL-safe */

/* Whole input as channel 0 at `rate` Hz (torchaudio-compatible resampling
 * when the file's rate differs).  *wave is malloc'd (caller frees), *n its
 * length; info (may be NULL) receives the file's own parameters.  pool may
 * be NULL.  A file with no samples is an error. */
int sc_audio_load(const char *path, int rate, sc_pool *pool, float **wave, int64_t *n,
                  sc_audio_info *info, sc_err *err);

/* Same from an open input, from its current position; always closes a
 * (a pipe cannot be opened twice). */
int sc_audio_load_from(sc_audio *a, int rate, sc_pool *pool, float **wave, int64_t *n,
                       sc_err *err);

/* ---- writing ---- */
enum sc_audio_container {
    SC_AUDIO_WAV = 1,
    SC_AUDIO_FLAC = 2,
    SC_AUDIO_OGG = 3,        /* Ogg Vorbis; sample type ignored */
    SC_AUDIO_RAW = 4         /* headerless little-endian samples */
};

enum sc_audio_sample {
    SC_SAMPLE_PCM16 = 1,
    SC_SAMPLE_PCM24 = 2,
    SC_SAMPLE_FLOAT = 3      /* 32-bit IEEE float (WAV, raw) */
};

typedef struct sc_audio_spec {
    int container;           /* enum sc_audio_container */
    int sample;              /* enum sc_audio_sample */
    int sample_rate;
    int channels;
} sc_audio_spec;

/* "wav", "flac", "ogg", "raw" -> container; SC_EARG otherwise. */
int sc_audio_container_parse(const char *name, int *container);
/* From a path's extension (.wav .flac .ogg/.oga .raw/.pcm); NULL, "-" or
 * an unknown extension gives `fallback`. */
int sc_audio_container_from_path(const char *path, int fallback);
/* "s16"/"pcm16", "s24"/"pcm24", "f32"/"float" -> sample; SC_EARG else. */
int sc_audio_sample_parse(const char *name, int *sample);

typedef struct sc_audio_writer sc_audio_writer;

/* path NULL or "-": stdout. */
sc_audio_writer *sc_audio_writer_open(const char *path, const sc_audio_spec *spec, sc_err *err);
/* frames interleaved frames of spec->channels floats.  On a pipe the data
 * is flushed before returning. */
int sc_audio_writer_write(sc_audio_writer *w, const float *x, int64_t frames, sc_err *err);
int64_t sc_audio_writer_frames(const sc_audio_writer *w);
/* Finish (fix the WAV header when seekable), rename into place; frees w,
 * also on error (then no file is left). */
int sc_audio_writer_close(sc_audio_writer *w, sc_err *err);
/* Discard the output; frees w.  NULL-safe. */
void sc_audio_writer_abort(sc_audio_writer *w);

#ifdef __cplusplus
}
#endif
#endif
