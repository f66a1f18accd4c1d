/* sc/stage_frontend.h - the frontend stage: 16 kHz mono samples in,
 * normalised log-mel windows [1024, 128] out (ARCHITECTURE §1.1, §2).
 *
 * The whole-signal parts of load_audio() are fixed by the SemantiCodec
 * reference and live here as static inline helpers, so every caller (tools,
 * tests, any frontend plugin) agrees on them:
 *   - always-pad: n_pad = n + (163840 - n % 163840), so an input that is
 *     already a multiple of 163840 samples gains a whole window of zeros;
 *   - windows m = n_pad / 163840, fbank frames F = 1024 m - 2 (the last
 *     window's final two rows are zero rows before normalisation);
 *   - T_keep, the number of token pairs encode() keeps, from double
 *     arithmetic exactly as the reference evaluates it;
 *   - the global mean over the padded signal: the double sum of the n input
 *     samples in order (sc_frontend_sum, chunkable), divided by n_pad.
 *
 * Frames are global: window w holds frames 1024 w .. 1024 w + 1023, whose
 * samples start at 163840 w and reach 240 samples into the next window.  So
 * the stage reads, for window w, the input span sc_frontend_span() and zero
 * pads past n itself.  A caller holding the whole signal passes pointers
 * into it (sc_frontend_begin_wave / sc_frontend_window_wave); a streaming
 * caller sums the input in a first pass, then feeds each span in a second
 * pass with bounded memory.
 *
 * Lifecycle: create (no weights), then per input: begin(n, sum), then
 * window(w) for any w in [0, m) in any order, as often as wanted.  A stage
 * object is used by one thread at a time; it may use the host pool inside.
 */
#ifndef SC_STAGE_FRONTEND_H
#define SC_STAGE_FRONTEND_H

#include <math.h>
#include <stdint.h>
#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_FRONTEND_RATE 16000          /* input sample rate */
#define SC_FRONTEND_BINS 128            /* mel bins per frame */
#define SC_FRONTEND_FRAMES 1024         /* frames (rows) per window */
#define SC_FRONTEND_WINDOW 163840       /* samples per window: int(16000 * 10.24) */
#define SC_FRONTEND_SHIFT 160           /* frame shift, 10 ms */
#define SC_FRONTEND_FRAME_LEN 400       /* frame length, 25 ms */
/* Samples one window reads: 1023 * 160 + 400. */
#define SC_FRONTEND_SPAN ((SC_FRONTEND_FRAMES - 1) * SC_FRONTEND_SHIFT + SC_FRONTEND_FRAME_LEN)

typedef struct sc_frontend_geom {
    int64_t n;        /* input samples at 16 kHz */
    int64_t n_pad;    /* padded length, a multiple of 163840, > n */
    int64_t windows;  /* n_pad / 163840 */
    int64_t frames;   /* real fbank frames, 1024 * windows - 2 */
} sc_frontend_geom;

static inline void sc_frontend_geometry(int64_t n, sc_frontend_geom *g)
{
    g->n = n;
    g->n_pad = n + (SC_FRONTEND_WINDOW - n % SC_FRONTEND_WINDOW);
    g->windows = g->n_pad / SC_FRONTEND_WINDOW;
    g->frames = 1 + (g->n_pad - SC_FRONTEND_FRAME_LEN) / SC_FRONTEND_SHIFT;
}

/* Token pairs encode() returns for n samples at token_rate (100, 50, 25):
 * T = ceil(((8 * (d + (0.16 - fmod(d, 0.16)))) / 0.16) / K) with
 * d = n / 16000 and K = 100 / rate as doubles, left to right, then the
 * slice tokens[:, :T] of the m * 512 / K tokens the windows produced.  The
 * slice matters: T can exceed m * 512 / K by one when the input ends in the
 * last 0.16 s of a window and the double expression rounds up (n = 1145045
 * gives 3584.0000000000005, so 3585 > 3584 at rate 100), and Python's
 * slice then returns all m * 512 / K tokens.  So this is min(T, m*512/K).
 * There is no a*b+c in the expression, so FMA contraction cannot change
 * it; `volatile` keeps each step a rounded double even under x87 or
 * -ffast-math.  Returns -1 for a rate that does not divide 100 or n < 0. */
static inline int64_t sc_frontend_tkeep(int64_t n, int token_rate)
{
    if (token_rate <= 0 || 100 % token_rate)
        return -1;
    volatile double K = 100.0 / (double)token_rate;
    volatile double dur = (double)n / 16000.0;
    volatile double r = fmod(dur, 0.16);
    volatile double dur2 = dur + (0.16 - r);
    volatile double t8 = 8.0 * dur2;
    volatile double target = (t8 / 0.16) / K;
    int64_t t = (int64_t)ceil(target);
    sc_frontend_geom g;
    if (n < 0)
        return -1;
    sc_frontend_geometry(n, &g);
    int64_t produced = g.windows * (int64_t)(512 / (100 / token_rate));
    return t < produced ? t : produced;
}

/* Input samples window w reads: [*off, *off + *len) of the unpadded input
 * (len may be 0 for a window of padding only). */
static inline void sc_frontend_span(int64_t n, int64_t w, int64_t *off, int64_t *len)
{
    int64_t o = w * SC_FRONTEND_WINDOW, l = n - o;
    if (l < 0)
        l = 0;
    if (l > SC_FRONTEND_SPAN)
        l = SC_FRONTEND_SPAN;
    *off = o;
    *len = l;
}

/* Continue a running double sum over input samples, in order.  Summing in
 * chunks gives the same value as one call over the whole signal. */
static inline double sc_frontend_sum(double sum, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        sum += (double)x[i];
    return sum;
}

typedef struct sc_frontend_vt {
    SC_STAGE_VT_HEAD
    /* Start an input of n >= 0 samples whose sc_frontend_sum is `sum`.
     * The mean subtracted is (float)(sum / n_pad).  Returns the number of
     * windows (> 0) or a negative status. */
    int64_t (*begin)(void *self, int64_t n, double sum, sc_err *err);
    /* Normalised log-mel window w into out[1024 * 128] (row-major, time
     * major, lowest mel bin first).  x/len: the input span of window w as
     * given by sc_frontend_span (x may be NULL when len is 0). */
    int (*window)(void *self, int64_t w, const float *x, int64_t len, float *out, sc_err *err);
} sc_frontend_vt;

/* Whole-signal convenience wrappers. */
static inline int64_t sc_frontend_begin_wave(const sc_frontend_vt *vt, void *self,
                                             const float *wave, int64_t n, sc_err *err)
{
    return vt->begin(self, n, sc_frontend_sum(0.0, wave, n), err);
}

static inline int sc_frontend_window_wave(const sc_frontend_vt *vt, void *self,
                                          const float *wave, int64_t n, int64_t w,
                                          float *out, sc_err *err)
{
    int64_t off, len;
    sc_frontend_span(n, w, &off, &len);
    return vt->window(self, w, len ? wave + off : NULL, len, out, err);
}

#ifdef __cplusplus
}
#endif
#endif
