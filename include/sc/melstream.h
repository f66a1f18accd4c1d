/* sc/melstream.h - the `sc` mel stream: normalised log-mel windows passed
 * from sc-mel to sc-tokenize through a pipe or a file, and the npy form.
 *
 * The byte layout is documented in sc-stream(5), section MEL STREAM.  In
 * short (all integers little-endian): a 64-byte header ("SCML", version,
 * header size, sample rate, bins, frames per window, dtype, flags, original
 * sample count, window count or -1 when unknown, CRC-32), then one packet
 * per window ("SCMW", sequence number, payload size, CRC-32 over packet
 * header and payload, frames x bins float32), then an end packet ("SCME",
 * window count, CRC-32).  The original sample count survives the pipe, so
 * the reader can compute the exact token count (sc_frontend_tkeep).
 *
 * The writer flushes after every window so the next filter in a pipe can
 * start at once.  The reader checks every CRC, the sequence numbers and the
 * end packet, and reports truncation or corruption as one line naming the
 * stream, the window and the problem; a NaN or infinite value in a window
 * is an error too (SC_EFORMAT), as no frontend can produce one.
 *
 * Forms written: SC_MELFMT_SC (the stream above) and SC_MELFMT_NPY (float32
 * [1, frames * windows, bins], equal to the reference's *_fbank.npy; needs
 * the window count in advance).  Reading: the sc form only.
 *
 * Outputs are atomic (sc/util.h sc_outfile): a file appears only when
 * sc_melw_close succeeds; sc_melw_abort, or any error, leaves none.  Binary
 * output to a terminal is refused.  Ownership: writers and readers own their
 * buffers; the header pointer a reader returns lives until sc_melr_close.
 */
#ifndef SC_MELSTREAM_H
#define SC_MELSTREAM_H

#include <stdint.h>
#include <stdio.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sc_melfmt {
    SC_MELFMT_SC = 1,
    SC_MELFMT_NPY = 2
};

#define SC_MEL_VERSION 1
#define SC_MEL_HEADER_SIZE 64
#define SC_MEL_PACKET_HEADER 24

typedef struct sc_mel_header {
    int sample_rate;     /* of the audio the mel came from (16000) */
    int bins;            /* mel bins per frame (128) */
    int frames;          /* frames per window (1024) */
    uint32_t flags;      /* 0; readers refuse unknown bits */
    int64_t samples;     /* original sample count at sample_rate; -1 unknown */
    int64_t windows;     /* window count; -1 unknown (sc form only) */
} sc_mel_header;

/* "sc", "npy" -> SC_MELFMT_*, or SC_EARG naming the value. */
int sc_melfmt_parse(const char *name, int *fmt);
const char *sc_melfmt_name(int fmt);

/* ---- writing ---- */
typedef struct sc_melw sc_melw;

/* path "-" or NULL: stdout.  Refuses a terminal. */
sc_melw *sc_melw_open(const char *path, int fmt, const sc_mel_header *h, sc_err *err);
/* On a caller's FILE (not closed; no rename). */
sc_melw *sc_melw_open_file(FILE *f, const char *name, int fmt, const sc_mel_header *h,
                           sc_err *err);
/* Append one window of frames * bins floats and flush. */
int sc_melw_write(sc_melw *w, const float *window, sc_err *err);
/* Check the count, write the end packet, flush, rename into place; frees w
 * (also on error, in which case no file is left). */
int sc_melw_close(sc_melw *w, sc_err *err);
/* Drop the output; frees w.  NULL-safe. */
void sc_melw_abort(sc_melw *w);

/* ---- reading ---- */
typedef struct sc_melr sc_melr;

/* path "-" or NULL: stdin. */
sc_melr *sc_melr_open(const char *path, sc_err *err);
sc_melr *sc_melr_open_file(FILE *f, const char *name, sc_err *err);
const sc_mel_header *sc_melr_header(const sc_melr *r);
/* Next window into out[frames * bins]: 1 when one was read, 0 at the
 * verified end, negative on error (truncation, CRC mismatch, bad sequence,
 * count mismatch). */
int sc_melr_read(sc_melr *r, float *out, sc_err *err);
/* Windows read so far. */
int64_t sc_melr_count(const sc_melr *r);
void sc_melr_close(sc_melr *r);

#ifdef __cplusplus
}
#endif
#endif
