/* sc/mmap.h - read-only memory-mapped files.
 *
 * Contract: sc_mapfile_open maps a whole regular file read-only (MAP_PRIVATE,
 * PROT_READ); an empty file gives data == NULL, size == 0.  The mapping is
 * reference counted through its sc_storage (sc_mapfile_storage), so tensors
 * viewing it keep it alive after sc_mapfile_close drops the opener's
 * reference.  Pages are never copied by sc: weights are used in place.
 */
#ifndef SC_MMAP_H
#define SC_MMAP_H

#include <stddef.h>
#include "sc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_mapfile {
    const unsigned char *data;
    size_t size;
    char *path;             /* copy of the path, for messages */
    sc_storage *storage;    /* base == data, nbytes == size */
} sc_mapfile;

sc_mapfile *sc_mapfile_open(const char *path, sc_err *err);
void sc_mapfile_close(sc_mapfile *mf);   /* NULL-safe */

#ifdef __cplusplus
}
#endif
#endif
