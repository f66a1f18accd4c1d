/* sc/util.h - small helpers shared by the library and the tools.
 *
 * sc_outfile: an output that is either stdout ("-" or NULL) or a file
 * written under a temporary name in the same directory and renamed over
 * the target only by sc_outfile_commit, so a failed or interrupted run
 * never leaves a half-written file.  sc_outfile_abort (or closing without
 * commit) removes the temporary.  The file gets the mode open(2) would give
 * (0666 less the umask).  An existing FIFO or device (/dev/null, a named
 * pipe) is written in place instead, never replaced.  Write errors (including ENOSPC from
 * /dev/full) are reported by commit.
 */
#ifndef SC_UTIL_H
#define SC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_outfile {
    FILE *f;            /* write here */
    char *path;         /* final path, NULL for stdout */
    char *tmp;          /* temporary path, NULL for stdout */
    int is_stdout;
} sc_outfile;

int sc_outfile_open(sc_outfile *o, const char *path, sc_err *err);
int sc_outfile_commit(sc_outfile *o, sc_err *err);
void sc_outfile_abort(sc_outfile *o);
/* Display name for messages ("<stdout>" for stdout). */
const char *sc_outfile_name(const sc_outfile *o);

/* Outputs that are inputs.  sc_same_file is 1 when a and b name one
 * existing regular file (same device and inode, so through symlinks and
 * hard links), else 0; "-" or NULL names standard input in a and standard
 * output in b (compared by fstat).  Only regular files count: a device or
 * FIFO (/dev/null on both sides) is never "the same file".
 * sc_output_check refuses to write `out` when it is the same file as one
 * of ins[0..nin) (NULL entries are skipped): SC_EARG with
 *     "OUT: is the same file as the input IN: refusing to overwrite it"
 * so a tool exits 64 before it opens the output, the input untouched.
 * Cost: one stat of out, then one per input only when out exists.
 * Many outputs against many inputs (sc-encode -O): take each file's
 * sc_file_id once and compare those.  sc_file_id_get returns 1 and fills
 * id for an existing regular file (path "-" or NULL: descriptor fd), else
 * 0 (id zeroed). */
typedef struct sc_file_id {
    uint64_t dev, ino;
} sc_file_id;
int sc_same_file(const char *a, const char *b);
int sc_output_check(const char *out, const char *const *ins, size_t nin, sc_err *err);
int sc_file_id_get(const char *path, int fd, sc_file_id *id);

/* Index of the first element of x[0..n) that is NaN or infinite, or -1. */
int64_t sc_first_nonfinite(const float *x, size_t n);

/* Interrupted runs.  Every temporary output libsc creates (sc_outfile, npy
 * and checkpoint writers) is tracked from creation until it is renamed or
 * removed.  sc_tmp_cleanup_on_signals() (the tools call it once at
 * start-up) installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that
 * remove the tracked temporaries and then end the process by the same
 * signal; a signal the process ignores stays ignored.  Without it a
 * signal leaves PATH.tmp.XXXXXX behind (never a half-written PATH).
 * sc_tmp_track/untrack take the caller's own string, which must outlive
 * the tracking; up to 64 temporaries are tracked at once. */
void sc_tmp_cleanup_on_signals(void);
void sc_tmp_track(const char *tmp);
void sc_tmp_untrack(const char *tmp);

/* CRC-32 (IEEE 802.3, as zip and PNG use), continuing from crc (start 0). */
uint32_t sc_crc32(uint32_t crc, const void *data, size_t n);

/* Little-endian stores/loads for stream formats. */
static inline void sc_put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static inline void sc_put_le64(unsigned char *p, uint64_t v)
{
    sc_put_le32(p, (uint32_t)v); sc_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t sc_get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t sc_get_le64(const unsigned char *p)
{
    return (uint64_t)sc_get_le32(p) | (uint64_t)sc_get_le32(p + 4) << 32;
}

/* Read exactly n bytes; returns n, or fewer at EOF (check ferror). */
size_t sc_read_full(FILE *f, void *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
