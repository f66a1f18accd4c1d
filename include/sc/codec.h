/* sc/codec.h - SemantiCodec as a library call: audio to tokens and back.
 *
 * This is the API that programs embedding sc are written against (the
 * tools, the Python package, servers, data loaders).  Everything else in
 * include/sc/ is the machinery behind it.  See sc_codec(3).
 *
 *   sc_codec *c = sc_codec_open(NULL, (const char *[]){"model.rate=50", NULL}, &err);
 *   sc_codec_encode(c, pcm, frames, channels, 44100, &tokens, &npairs, &err);
 *   sc_codec_decode(c, tokens, npairs, 0, &wave, &nsamples, &err);
 *   sc_codec_free(tokens); sc_codec_free(wave); sc_codec_close(c);
 *
 * Configuration is that of the tools (sc.ini(5)): built-in defaults, the
 * system and user files, the environment, then `config_file`, then
 * `settings` ("section.key=value", applied last, in order).  A key the
 * INI format does not know is an error naming it.
 *
 * Tokens are int64 pairs [npairs][2] = (semantic, acoustic), the layout of
 * the official encode()'s [1, T, 2] tensor.  Audio is float samples; the
 * encoder keeps channel 0 of interleaved input and resamples to 16 kHz
 * exactly as sc-mel does (the official code keeps channel 0 and does not
 * down-mix), so an array and the file it came from give the same tokens.
 * The decoder produces 16 kHz mono.
 *
 * Results: every call returns SC_OK (0) or a negative sc_status, with a
 * one-line message in `err` (err may be NULL).  Bad input is an error,
 * never a crash: NaN or infinite samples (the message names the first bad
 * frame), zero frames, channels < 1, a sample rate out of range, a token
 * out of range (the message names the row), a length that does not match
 * the token count.
 *
 * Determinism: decoding noise comes from [decoder] seed (sc/noise.h), so
 * the same settings give the same bits as sc-detok, at any thread count.
 *
 * Ownership and threads: an sc_codec owns the model, its backends and its
 * thread pool; the first encode (or sc_encoder_create) loads the encoder
 * weights, the first decode (or sc_decoder_create) the decoder weights,
 * and they stay until sc_codec_close.  A codec
 * is used by one thread at a time; separate codecs may run in parallel.
 * Buffers handed out with `**` belong to the caller: sc_codec_free().
 * Encoders and decoders borrow their codec, which must outlive them.
 */
#ifndef SC_CODEC_H
#define SC_CODEC_H

#include <stdint.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_codec sc_codec;

/* config_file: read after the standard configuration files (NULL: none);
 * settings: NULL-terminated "section.key=value" strings applied last,
 * e.g. "model.dir=/srv/sc", "model.rate=50", "decoder.steps=25". */
sc_codec *sc_codec_open(const char *config_file, const char *const *settings, sc_err *err);
void sc_codec_close(sc_codec *c);                  /* NULL-safe */

/* pcm: interleaved float samples, `frames` frames of `channels` channels at
 * `sample_rate` Hz; channel 0 is kept (as the official code and sc-mel
 * do: no down-mix) and resampled to 16 kHz exactly as sc-mel does.
 * *tokens: [*npairs][2] int64 (semantic, acoustic), the official count for
 * that duration; free it with sc_codec_free(). */
int sc_codec_encode(sc_codec *c, const float *pcm, int64_t frames, int channels,
                    int sample_rate, int64_t **tokens, int64_t *npairs, sc_err *err);

/* nsamples: the exact 16 kHz length to produce (the duration a token
 * stream records), or 0 for the official length of npairs tokens.
 * Noise comes from [decoder] seed as in sc-detok: the same settings give
 * the same bits as sc-detok. *pcm: 16 kHz mono float; sc_codec_free(). */
int sc_codec_decode(sc_codec *c, const int64_t *tokens, int64_t npairs, int64_t nsamples,
                    float **pcm, int64_t *out_samples, sc_err *err);

void sc_codec_free(void *p);                       /* NULL-safe */

/* For programs that already hold a finished configuration and a log sink
 * (the sc tools): the same as sc_codec_open with that configuration
 * (copied); log may be NULL (silent).  sc_codec_open is silent too. */
struct sc_config;
struct sc_log;
sc_codec *sc_codec_open_config(const struct sc_config *cfg, const struct sc_log *log,
                               sc_err *err);

/* The model the codec runs: token rate (100, 50, 25), semantic vocabulary,
 * acoustic vocabulary, and the official pair count for n 16 kHz samples. */
typedef struct sc_codec_info {
    int token_rate;
    int semantic_vocab;
    int acoustic_vocab;
    int sample_rate;          /* 16000: what decode produces */
    int steps;                /* [decoder] steps */
    double cfg, eta;
    uint64_t seed;
} sc_codec_info;
int sc_codec_get_info(const sc_codec *c, sc_codec_info *info);
int64_t sc_codec_pairs_for(const sc_codec *c, int64_t samples_16k);

/* Encode a file (any format libsndfile reads; "-" is stdin) with bounded
 * memory: the same tokens as sc-mel | sc-tokenize. */
int sc_codec_encode_file(sc_codec *c, const char *path, int64_t **tokens, int64_t *npairs,
                         int64_t *samples_16k, sc_err *err);

/* ---- streaming encoder: many inputs, windows batched across them ----
 *
 * Inputs are queued and get ids 0, 1, 2, ... in order.  Windows of all
 * queued inputs go through the stages together, `[acoustic] batch` at a
 * time, which gives exactly the tokens of one-at-a-time encoding.  A file
 * input is opened only when the encoder reaches it, so a queue of
 * thousands of paths holds few open files; memory is bounded by the batch
 * whatever the input lengths (a pipe is spooled to a temporary file, not
 * to memory).
 *
 * sc_encoder_next() runs the stages until an event is ready and returns 1
 * with it.  An input's events come in order: first one with npairs = 0
 * that announces total and samples_16k as soon as pass 1 knows them
 * (before any of its windows runs: a caller may open its output then, or
 * cancel the input); then runs of token pairs, the last one with
 * done = 1; or, at any point, a failed input (done = 1, status < 0,
 * message set), after which the other inputs carry on.  It returns 0
 * when every input is done, or when the remaining inputs are pushed
 * window by window and wait for more windows; a negative status is a
 * failure of the encoder itself.
 */
typedef struct sc_encoder sc_encoder;

typedef struct sc_encoder_event {
    int64_t id;               /* the input */
    const int64_t *pairs;     /* [npairs][2]; valid until the next call */
    int64_t npairs;
    int64_t total;            /* the input's final pair count; -1 not yet known */
    int64_t samples_16k;      /* the input's 16 kHz duration; -1 not yet known */
    int done;                 /* 1: the input's last event */
    int status;               /* SC_OK or the input's error */
    char message[SC_ERR_MSG_MAX];
} sc_encoder_event;

sc_encoder *sc_encoder_create(sc_codec *c, sc_err *err);
void sc_encoder_destroy(sc_encoder *e);            /* NULL-safe; drops what is queued */
/* path: a file or "-" (stdin). */
int64_t sc_encoder_add_file(sc_encoder *e, const char *path, sc_err *err);
/* pcm is borrowed until the input's last event. */
int64_t sc_encoder_add_pcm(sc_encoder *e, const float *pcm, int64_t frames, int channels,
                           int sample_rate, sc_err *err);
/* An input given as normalised fbank windows [1024][128] (sc-mel's
 * stream): keep_pairs pairs are kept (-1: all of its windows'; its
 * announcing event has total = keep_pairs, samples_16k = -1).  Push its
 * windows (copied), then end it; a push may complete a batch, so call
 * sc_encoder_next until it returns 0 after each push and after the end. */
int64_t sc_encoder_add_windows(sc_encoder *e, int64_t keep_pairs, sc_err *err);
int sc_encoder_push_window(sc_encoder *e, int64_t id, const float *window, sc_err *err);
int sc_encoder_end_input(sc_encoder *e, int64_t id, sc_err *err);
int sc_encoder_next(sc_encoder *e, sc_encoder_event *ev, sc_err *err);
/* Drop an input (its windows still queued are discarded; no more events). */
int sc_encoder_cancel(sc_encoder *e, int64_t id, sc_err *err);

typedef struct sc_encoder_stats {
    int64_t windows, batches;     /* windows through the stages, stage calls */
    double semantic_s, acoustic_s;/* seconds in each stage */
} sc_encoder_stats;
void sc_encoder_get_stats(const sc_encoder *e, sc_encoder_stats *st);

/* ---- streaming decoder: tokens in, audio out as each window completes ----
 *
 * Pairs are pushed as they arrive; every window whose tokens are complete
 * is decoded during the push (seconds per window), and the samples that
 * can no longer change become readable at once.  Memory is one window's
 * worth plus the samples not yet read, whatever the length.  nsamples as
 * in sc_codec_decode (0: the official length of all the pairs pushed,
 * known at finish).  Pairs are checked as they are pushed (the message
 * names the row); a failed decoder refuses further calls.
 *
 * Progress: the callback runs at each diffusion step of each window and
 * once before its vocoder.  fraction counts every window as steps plus
 * vocoder, in the seconds measured so far (before the first window is
 * timed, the vocoder counts as 3.7 steps, the official code's ratio), so
 * an ETA from it covers the VAE and HiFi-GAN too; -1 while the window
 * count is unknown (no nsamples, no set_total).
 */
typedef struct sc_decoder sc_decoder;

typedef struct sc_progress {
    int64_t window, windows;  /* current window; windows -1 while unknown */
    const char *phase;        /* "decoder" (diffusion) or "vocoder" */
    int step, steps;          /* diffusion step within the window */
    double fraction;          /* of the whole decode, 0..1; -1 unknown */
} sc_progress;
typedef void (*sc_progress_fn)(void *user, const sc_progress *p);

sc_decoder *sc_decoder_create(sc_codec *c, int64_t nsamples, sc_err *err);
void sc_decoder_destroy(sc_decoder *d);            /* NULL-safe */
/* The pair count when known in advance: progress knows the window count,
 * the output length is fixed at once (the official length of npairs when
 * create had none), and finish refuses any other count. */
int sc_decoder_set_total(sc_decoder *d, int64_t npairs, sc_err *err);
void sc_decoder_set_progress(sc_decoder *d, sc_progress_fn fn, void *user);
/* Injected noise as sc-detok --noise reads it (borrowed until destroy):
 * float32 [windows][steps + 1][8][256][16] for DDIM (x_T, then one draw per
 * step), [windows][1][8][256][16] (x_T only) for the DPM-Solver samplers. */
int sc_decoder_set_noise(sc_decoder *d, const float *noise, int64_t windows, sc_err *err);
/* Each window's sampled latent, the decoder stage's output before the
 * vocoder (float32 [8][256][16], before 1/scale_factor; sc-detok --latents):
 * fn runs once per window, in window order, before that window is vocoded,
 * with the latent borrowed for the call.  A non-zero return (with err set)
 * fails the decode.  Set it before the first push. */
typedef int (*sc_latent_fn)(void *user, int64_t window, const float *latent, sc_err *err);
int sc_decoder_set_latent_fn(sc_decoder *d, sc_latent_fn fn, void *user, sc_err *err);
int sc_decoder_push(sc_decoder *d, const int64_t *pairs, int64_t npairs, sc_err *err);
/* No more pairs: decode the last window, settle and trim the tail. */
int sc_decoder_finish(sc_decoder *d, sc_err *err);
/* Copy up to max settled samples to pcm; returns how many (0: none now). */
int64_t sc_decoder_read(sc_decoder *d, float *pcm, int64_t max);

#ifdef __cplusplus
}
#endif
#endif
