/* sc/tokstream.h - token files and streams: the `sc` bit-packed stream,
 * the `text` form and the `npy` form, for writing (sc-tokenize, sc-encode)
 * and reading (sc-detok and the tests).  The byte layouts are documented in
 * sc-stream(5), section TOKEN STREAM.
 *
 * A token is a (semantic, acoustic) pair of int64 values.  Every writer and
 * reader works incrementally: a writer accepts pairs as windows finish and
 * a reader hands them out as they arrive, so neither holds a whole file
 * (except the npy writer when the pair count is not known in advance: its
 * header carries the length, so it buffers 16 bytes per pair until close).
 *
 * Forms:
 *  - SC_TOKFMT_SC: "SCTK" magic, version, a CRC-protected header (token
 *    rate, semantic and acoustic vocabulary, original sample count, flags),
 *    then packets (position of the first pair, pair count, CRC-32) whose
 *    tokens are bit-packed at ceil(log2 vocab) bits each, and an end packet
 *    (count 0) whose position is the total.  A reader reports truncation,
 *    corruption (CRC), gaps and out-of-range tokens as one-line errors.
 *  - SC_TOKFMT_TEXT: "# sc-tokens v1 rate=R vocab=V acoustic_vocab=A
 *    samples=N flags=F" then one "semantic acoustic" pair per line and a
 *    closing "# end count=L" line (optional when reading).
 *  - SC_TOKFMT_NPY: int64 [1, L, 2] exactly as the official encode()
 *    returns; it has no header fields, so a reader reports them as 0
 *    (unknown) and range-checks against the caller's `expect` or
 *    sc_tokr_set_vocab, as the pairs are read.
 *
 * Outputs are atomic (sc/util.h sc_outfile): a file appears only when
 * sc_tokw_close succeeds; sc_tokw_abort (or any error) leaves no file.
 * Ownership: writers and readers own their buffers; pointers handed out by
 * a reader stay valid until its next call or close.
 */
#ifndef SC_TOKSTREAM_H
#define SC_TOKSTREAM_H

#include <stdint.h>
#include <stdio.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sc_tokfmt {
    SC_TOKFMT_AUTO = 0,   /* reading only: detect from the first bytes */
    SC_TOKFMT_SC = 1,
    SC_TOKFMT_TEXT = 2,
    SC_TOKFMT_NPY = 3
};

/* Header flags (sc and text forms). */
#define SC_TOKF_SYNTHETIC 0x1u   /* made with synthetic (noise) weights */
#define SC_TOKF_KNOWN     0x1u   /* every flag this version defines */

#define SC_TOK_VERSION 1

typedef struct sc_tok_header {
    int rate;            /* 100, 50, 25; 0 = unknown (npy) */
    int sem_vocab;       /* semantic vocabulary; 0 = unknown */
    int ac_vocab;        /* acoustic vocabulary (8192); 0 = unknown */
    uint32_t flags;      /* SC_TOKF_* */
    int64_t samples;     /* original 16 kHz sample count; -1 = unknown */
    int64_t count;       /* pairs in the stream if known in advance, else -1
                            (reader: known for npy; sc/text learn it at end) */
} sc_tok_header;

/* "sc", "text", "npy" -> SC_TOKFMT_*, or SC_EARG. */
int sc_tokfmt_parse(const char *name, int *fmt);
const char *sc_tokfmt_name(int fmt);

/* Bits one token of a vocabulary of v entries takes: ceil(log2 v), >= 1. */
int sc_tok_bits(int64_t v);

/* The pair count the official encoder gives for the header's sample count
 * at the header's rate (sc_frontend_tkeep), or -1 when either is unknown
 * (npy).  0 samples give 0: no encoder writes them, no pair fits them. */
int64_t sc_tok_expected_pairs(const sc_tok_header *h);
/* Does a stream of `have` pairs fit h?  A decoder must refuse one that does
 * not: fewer pairs is a cut stream, more is a wrong header or a mixed-up
 * stream, and either would decode silently to the wrong length.  at_end 0:
 * more pairs may follow, so only too many is an error yet.  SC_OK when the
 * count fits or h cannot tell, else SC_EFORMAT naming both numbers. */
int sc_tok_check_pairs(const sc_tok_header *h, const char *name, int64_t have, int at_end,
                       sc_err *err);

/* ---- writing ---- */
typedef struct sc_tokw sc_tokw;

/* Open path ("-" or NULL: stdout).  h->count may be -1 (unknown). */
sc_tokw *sc_tokw_open(const char *path, int fmt, const sc_tok_header *h, sc_err *err);
/* Same on a caller's FILE (not closed by the writer; no atomic rename). */
sc_tokw *sc_tokw_open_file(FILE *f, const char *name, int fmt, const sc_tok_header *h,
                           sc_err *err);
/* Append n pairs pairs[i][0] (semantic), pairs[i][1] (acoustic).  Each value
 * is range-checked against the header's vocabularies. */
int sc_tokw_write(sc_tokw *w, const int64_t (*pairs)[2], int64_t n, sc_err *err);
/* Same from two separate arrays. */
int sc_tokw_write2(sc_tokw *w, const int64_t *sem, const int64_t *ac, int64_t n, sc_err *err);
/* End packet/line, flush, rename into place; frees w (also on error). */
int sc_tokw_close(sc_tokw *w, sc_err *err);
/* Drop the output (no file is left); frees w.  NULL-safe. */
void sc_tokw_abort(sc_tokw *w);
int64_t sc_tokw_count(const sc_tokw *w);

/* ---- reading ---- */
typedef struct sc_tokr sc_tokr;

/* Open path ("-" or NULL: stdin).  fmt SC_TOKFMT_AUTO detects the form.
 * expect (may be NULL; 0/-1 fields = no opinion) supplies the rate and
 * vocabularies where the file has none (npy) and is used for range checks;
 * a file header that contradicts a non-zero expected value is an error
 * naming both. */
sc_tokr *sc_tokr_open(const char *path, int fmt, const sc_tok_header *expect, sc_err *err);
sc_tokr *sc_tokr_open_file(FILE *f, const char *name, int fmt, const sc_tok_header *expect,
                           sc_err *err);
/* The header (after open; count becomes known at the end for sc/text). */
const sc_tok_header *sc_tokr_header(const sc_tokr *r);
int sc_tokr_format(const sc_tokr *r);
/* Name the vocabularies the file leaves open (0 in the header: npy, a text
 * header without vocab=) once the caller knows them, from the model it
 * loaded: the pairs read from then on are range-checked against them, and
 * a bad one is reported with the real vocabulary, not only as negative.
 * 0 leaves a field as it is; a value that contradicts the file's header is
 * SC_EARG naming both.  Call it before the first sc_tokr_read. */
int sc_tokr_set_vocab(sc_tokr *r, int sem_vocab, int ac_vocab, sc_err *err);
/* Read up to max pairs into pairs; returns the number read, 0 at a clean
 * end (end packet/line verified), or a negative code with err set. */
int64_t sc_tokr_read(sc_tokr *r, int64_t (*pairs)[2], int64_t max, sc_err *err);
void sc_tokr_close(sc_tokr *r);

/* Read a whole file: *pairs (malloc'd, caller frees) of *n pairs. */
int sc_tok_load(const char *path, int fmt, const sc_tok_header *expect, sc_tok_header *h,
                int64_t (**pairs)[2], int64_t *n, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
