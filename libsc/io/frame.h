/* libsc/io/frame.h - the framing the sc mel and token streams share
 * (sc-stream(5)); internal to libsc, not installed.
 *
 * Output: a path committed atomically (sc_outfile: the file appears only
 * when the stream is closed without error) or a caller's FILE (neither
 * closed nor renamed).  Both streams are written in frames, a fixed header
 * whose last four bytes are the CRC-32 (little-endian) of the header bytes
 * before it and of the payload that follows, and every frame is flushed at
 * once so that the next filter in a pipe sees it.  The stream headers are
 * frames without payload.
 *
 * Input: a path, or stdin for NULL or "-", or a caller's FILE (not closed).
 *
 * Every error is one line naming the stream (the path, "<stdout>",
 * "<stdin>", or the caller's name).  Ownership: the structs are embedded in
 * the stream objects as their first member; *_close, sci_frame_out_end and
 * sci_frame_out_abort free what they hold, the caller frees the object.
 */
#ifndef SC_FRAME_H
#define SC_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sc/error.h"
#include "sc/util.h"

typedef struct sci_frame_out {
    sc_outfile out;   /* when opened by path */
    int own;          /* out is ours: commit or abort it */
    int failed;       /* a write failed: the output is lost */
    FILE *f;
    char *name;
} sci_frame_out;

/* A zeroed object of `size` bytes whose FIRST member is an sci_frame_out
 * named name (copied); NULL with err set.  The caller frees it with free()
 * after sci_frame_out_end or sci_frame_out_abort. */
void *sci_frame_out_new(size_t size, const char *name, sc_err *err);
/* Writes to the caller's f, or when f is NULL opens path (NULL or "-":
 * stdout). */
int sci_frame_out_open(sci_frame_out *o, FILE *f, const char *path, sc_err *err);
/* Writes n bytes; SC_EIO (and failed) on error. */
int sci_frame_put(sci_frame_out *o, const void *p, size_t n, sc_err *err);
int sci_frame_flush(sci_frame_out *o, sc_err *err);
/* One frame: stores the CRC-32 of head[0..crc_at) and pay[0..n) at
 * head + crc_at, writes head[0..crc_at + 4) and the payload, flushes. */
int sci_frame_write(sci_frame_out *o, unsigned char *head, size_t crc_at, const void *pay,
                   size_t n, sc_err *err);
/* Ends the output with status rc: on SC_OK flushes and commits (the file
 * appears), otherwise drops it; returns the final status and frees what o
 * holds. */
int sci_frame_out_end(sci_frame_out *o, int rc, sc_err *err);
/* Drops the output; frees what o holds. */
void sci_frame_out_abort(sci_frame_out *o);

typedef struct sci_frame_in {
    FILE *f;
    int own;          /* close f */
    char *name;
} sci_frame_in;

/* A zeroed object of `size` bytes whose FIRST member is an sci_frame_in
 * reading the caller's f under name (NULL: "<stream>"), or, when f is
 * NULL, path (NULL or "-": stdin); NULL with err set.  The caller frees it
 * with free() after sci_frame_in_close. */
void *sci_frame_in_new(size_t size, FILE *f, const char *name, const char *path, sc_err *err);
void sci_frame_in_close(sci_frame_in *in);
/* Does the CRC at head + crc_at match head[0..crc_at) and pay[0..n)? */
int sci_frame_crc_ok(const unsigned char *head, size_t crc_at, const void *pay, size_t n);
/* "NAME: read error: ..." (SC_EIO) with errno's text. */
int sci_frame_read_error(const sci_frame_in *in, sc_err *err);

#endif
