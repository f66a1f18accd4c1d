/* libsc/weights/zip.h - internal: read-only ZIP reader over a memory image.
 *
 * Only what PyTorch checkpoints need: the end-of-central-directory record
 * (and its ZIP64 locator/record), the central directory (with ZIP64 extra
 * fields for sizes and offsets >= 4 GiB) and, lazily, the local header of a
 * member whose data is asked for.  Only STORED members can be read.  Member
 * data is never touched (no CRC check): a multi-GB checkpoint opens by
 * reading its central directory alone.  Every offset and size is
 * bounds-checked against the image with overflow-safe arithmetic.
 * Not installed.
 */
#ifndef SC_ZIP_H
#define SC_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"
#include "strmap.h"

typedef struct sci_zip_entry {
    const char *name;       /* points into the central directory, not NUL-terminated */
    size_t name_len;
    uint64_t local_off;     /* offset of the local header */
    uint64_t csize, usize;
    unsigned method;        /* 0 = stored */
    unsigned flags;
} sci_zip_entry;

typedef struct sci_zip {
    const unsigned char *data;
    size_t size;
    const char *fname;      /* for messages (borrowed) */
    uint64_t cd_off;        /* member data must end before this */
    sci_zip_entry *ents;
    size_t n;
    sci_strmap index;       /* name -> entry */
} sci_zip;

/* Does the image start like a zip (local header or empty-archive EOCD)? */
int sci_zip_sniff(const void *data, size_t size);

/* Parse the directory.  fname must outlive z.  On error z is left empty. */
int sci_zip_open(sci_zip *z, const void *data, size_t size, const char *fname, sc_err *err);
void sci_zip_close(sci_zip *z);

/* Entry by exact name, or NULL. */
const sci_zip_entry *sci_zip_find(const sci_zip *z, const char *name, size_t len);

/* Locate a member's bytes (reads its local header only).  Refuses
 * compressed or encrypted members and data outside the image. */
int sci_zip_data(const sci_zip *z, const sci_zip_entry *e, const unsigned char **data,
                 uint64_t *size, sc_err *err);

#endif
