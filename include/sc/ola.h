/* sc/ola.h - decode windows, streaming overlap-add and the final trim,
 * exactly as the official decode() does them (ARCHITECTURE.md §6.1, §10).
 *
 * Token windows: W = 512/K token pairs, overlap ov = int(W * 0.0625),
 * stride W - ov.  Window w covers tokens [w * stride, min(w * stride + W, T));
 * windows are emitted while start + W < T (strict), then the remainder, so
 * T <= W gives one window and a short last window is padded by the decoder.
 *
 * Overlap-add: each window gives SC_OLA_WIN = 163872 samples; window w starts
 * at output sample w * SC_OLA_STEP (153632, i.e. 32 samples later than its
 * tokens: the reference's drift, reproduced).  The 10240-sample cross-fade
 * uses float64 np.linspace ramps (both end points included) multiplied in
 * place into the float32 samples (fade-in on the new window's head, fade-out
 * on the output's tail), then a float32 add.  The result is bit-exact with
 * the reference given the same window waveforms.
 *
 * Trim: len = (long)((((T / 8.0) * 16.0) * 0.01) * K * 16000.0) in double,
 * left to right (sc_ola_trim), or the exact original duration when a token
 * stream header carries it.
 *
 * Streaming: sc_ola_push() hands every sample that can no longer change to
 * the emit callback at once, so only the last window's 10240-sample tail is
 * held back.  Samples are never emitted beyond the known output length; when
 * the final length is not yet known the caller raises a lower bound with
 * sc_ola_set_min_length() (e.g. the trim of the tokens seen so far) and
 * samples past it wait (at most 32 per window beyond ~318 windows).
 * Memory is O(one window) otherwise.  An sc_ola is a caller-owned value;
 * one thread at a time.
 */
#ifndef SC_OLA_H
#define SC_OLA_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_OLA_WIN 163872                        /* samples per decoded window */
#define SC_OLA_OVERLAP 10240                     /* int(10.24 * 0.0625 * 16000) */
#define SC_OLA_STEP (SC_OLA_WIN - SC_OLA_OVERLAP) /* 153632 */

/* Token-window geometry for stack factor K (1, 2, 4). */
int sc_ola_window_tokens(int K);                 /* W = 512 / K */
int sc_ola_window_overlap(int K);                /* int(W * 0.0625) */
int64_t sc_ola_window_count(int64_t T, int K);   /* 0 for T <= 0 */
/* Window w (0-based, < count): first token and number of tokens (1..W). */
void sc_ola_window(int64_t T, int K, int64_t w, int64_t *start, int64_t *ntok);
/* The official trim length for T token pairs. */
int64_t sc_ola_trim(int64_t T, int K);
/* Output length before the trim: SC_OLA_WIN + (windows - 1) * SC_OLA_STEP. */
int64_t sc_ola_untrimmed(int64_t windows);

/* Receives settled samples in order.  Returns SC_OK or a negative code
 * (with err filled), which aborts the push. */
typedef int (*sc_ola_emit_fn)(void *user, const float *samples, size_t n, sc_err *err);

typedef struct sc_ola {
    sc_ola_emit_fn emit;
    void *user;
    int64_t windows;      /* windows pushed */
    int64_t emitted;      /* samples handed to emit */
    int64_t length;       /* exact final length, or -1 */
    int64_t min_length;   /* samples that may be emitted while length is unknown */
    double *fade_in, *fade_out;   /* SC_OLA_OVERLAP each */
    float *tail;          /* last window's final SC_OLA_OVERLAP samples, unfaded */
    float *hold;          /* settled samples past min_length (length unknown) */
    size_t nhold, hold_cap;
    int finished;
} sc_ola;

int sc_ola_init(sc_ola *o, sc_ola_emit_fn emit, void *user, sc_err *err);
void sc_ola_free(sc_ola *o);
/* The output is exactly n samples (trim; may be called any time before
 * finish, but not below what was already emitted). */
int sc_ola_set_length(sc_ola *o, int64_t n, sc_err *err);
/* At least n samples will be output: those may be emitted now. */
int sc_ola_set_min_length(sc_ola *o, int64_t n, sc_err *err);
/* Add the next window; wave[SC_OLA_WIN] is modified (the fade-in). */
int sc_ola_push(sc_ola *o, float *wave, sc_err *err);
/* Flush the held tail.  Without a length, everything (untrimmed) is
 * emitted.  A length beyond the samples produced is an error. */
int sc_ola_finish(sc_ola *o, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
