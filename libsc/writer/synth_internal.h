/* libsc/writer/synth_internal.h - internal to the checkpoint writer library
 * (zipwrite.c, picklewrite.c, synthwrite.c).  Not installed. */
#ifndef SC_SYNTH_INTERNAL_H
#define SC_SYNTH_INTERNAL_H

#include <stdio.h>
#include "ckptwrite.h"

/* A growable byte buffer; oom latches allocation failure. */
typedef struct sci_buf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} sci_buf;

void sci_buf_put(sci_buf *b, const void *data, size_t n);
void sci_buf_free(sci_buf *b);

/* The data.pkl torch.save (pickle protocol 2) writes for an OrderedDict
 * state dict whose i-th tensor is item i, contiguous, in storage "i". */
int sci_pickle_state_dict(sci_buf *out, const sc_ckpt_item *items, int64_t n, sc_err *err);

/* Elements of an item (1 for a 0-dim tensor); -1 on overflow. */
int64_t sci_item_numel(const sc_ckpt_item *it);

/* CRC-32 as sc_crc32, using carry-less multiplication where available. */
uint32_t sci_crc32_fast(uint32_t crc, const void *buf, size_t n);

/* An output written as PATH.tmp.XXXXXX and renamed at commit. */
typedef struct sci_tmpfile {
    FILE *f;
    char *path, *tmp;
    uint64_t pos;       /* bytes written so far */
} sci_tmpfile;

int sci_tmp_open(sci_tmpfile *t, const char *path, sc_err *err);
int sci_tmp_write(sci_tmpfile *t, const void *data, size_t n, sc_err *err);
int sci_tmp_commit(sci_tmpfile *t, sc_err *err);
void sci_tmp_abort(sci_tmpfile *t);

/* Produce `total` bytes of item `item` with fill (split over the pool in
 * parallel parts) and append them to t; *crc (if not NULL) receives their
 * CRC-32.  Memory use is bounded by one chunk buffer. */
int sci_stream_item(sci_tmpfile *t, uint64_t total, sc_ckpt_fill_fn fill, void *ctx,
                    int64_t item, sc_pool *pool, uint32_t *crc, sc_err *err);

#endif
