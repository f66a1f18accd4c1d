/* libsc/codec/tk.h - the window-batching tokenizer engine behind
 * sc_encoder (sc/codec.h).  Internal to libsc: not installed, not exported
 * (SC_HIDDEN); the end-to-end Check test compiles it in.
 *
 * Normalised fbank windows [1024, 128] of one or more inputs ("jobs") are
 * queued; whenever `batch` windows are queued they run together through
 * the semantic stage (AudioMAE, stacking, codebook search, padding
 * cut-off) and the acoustic stage (BiLSTM over all of them at once, VQ).
 * Windows are independent in the model, so batching across windows of one
 * input or of several inputs gives exactly the tokens of one-at-a-time
 * processing.  Each job's token pairs are handed to its emit callback in
 * order, trimmed to the job's T_keep; its finish callback runs once its
 * last window is out.  Memory is bounded by `batch` windows (about
 * 0.5 MB of fbank + 3 MB of LSTM input each, plus the stages' own
 * activations), whatever the input lengths.
 *
 * Not thread-safe; one engine per session.
 */
#ifndef SC_CODEC_TK_H
#define SC_CODEC_TK_H

#include <stdint.h>
#include "sc/session.h"

#ifndef SC_HIDDEN
#define SC_HIDDEN __attribute__((visibility("hidden")))
#endif

typedef struct sc_tk sc_tk;
typedef struct sc_tk_job sc_tk_job;

/* Pairs sem[i], ac[i] for i < n, in order. */
typedef int (*sc_tk_emit_fn)(void *user, const int64_t *sem, const int64_t *ac, int64_t n,
                             sc_err *err);
/* The job is complete (status SC_OK) or failed (negative, err set). */
typedef void (*sc_tk_finish_fn)(void *user, int status, const sc_err *err);

typedef struct sc_tk_stats {
    int64_t windows;           /* windows processed */
    int64_t batches;           /* stage calls */
    double semantic_s;         /* seconds in the semantic stage */
    double acoustic_s;         /* seconds in the acoustic stage */
} sc_tk_stats;

/* batch: windows in flight (>= 1).  Instantiates the semantic and acoustic
 * stages of the session (loading and validating their weights). */
SC_HIDDEN sc_tk *sc_tk_new(sc_session *s, int batch, sc_err *err);
SC_HIDDEN void sc_tk_free(sc_tk *tk);
SC_HIDDEN const sc_tk_stats *sc_tk_get_stats(const sc_tk *tk);
SC_HIDDEN int sc_tk_window_tokens(const sc_tk *tk);   /* n = 512 / K */

/* Start a job: tkeep = pairs to keep (-1: all).  The engine owns the job
 * until its finish callback has run. */
SC_HIDDEN sc_tk_job *sc_tk_begin(sc_tk *tk, int64_t tkeep, sc_tk_emit_fn emit, sc_tk_finish_fn finish,
                       void *user, sc_err *err);
/* Queue the job's next window (copied).  May run a batch, and so call
 * emit/finish of any job.  A failure of the stages fails every job in the
 * batch (their finish runs) and is returned. */
SC_HIDDEN int sc_tk_push(sc_tk *tk, sc_tk_job *job, const float *window, sc_err *err);
/* No more windows for the job: it finishes once they are processed.  The
 * job pointer must not be used after sc_tk_end or sc_tk_cancel. */
SC_HIDDEN int sc_tk_end(sc_tk *tk, sc_tk_job *job, sc_err *err);
/* Give up on a job (its finish runs with `status`); queued windows are
 * dropped.  */
SC_HIDDEN void sc_tk_cancel(sc_tk *tk, sc_tk_job *job, int status, const sc_err *err);
/* Drop every queued window; their jobs finish with an error and, when
 * already ended, are freed.  For tearing down. */
SC_HIDDEN void sc_tk_discard(sc_tk *tk);
/* Run whatever is queued. */
SC_HIDDEN int sc_tk_flush(sc_tk *tk, sc_err *err);

#endif
