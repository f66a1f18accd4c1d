/* libsc/writer/ckptwrite.h - the torch checkpoint writer and the synthetic model
 * files written with it: a non-installed convenience library
 * (libsc/writer/libscwrite.la) that sc-model and the tests link; libsc.so reads
 * checkpoints but never writes them.  Built on libsc's public API.
 *
 * Ownership: nothing returned is owned by the caller; outputs are written
 * as PATH.tmp.XXXXXX and renamed into place only on success.
 */
#ifndef SC_CKPTWRITE_H
#define SC_CKPTWRITE_H

#include <stdint.h>
#include "sc/error.h"
#include "sc/pool.h"
#include "sc/synth.h"
#include "sc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CRC-32 of A||B from crc(A), crc(B) and len(B) (sc_crc32 of sc/util.h
 * computes each part; the writer splits CRCs over threads with this). */
uint32_t sc_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

typedef struct sc_ckpt_item {
    const char *key;
    sc_dtype dtype;
    int ndim;
    int64_t shape[SC_MAX_DIMS];
} sc_ckpt_item;

/* Produce bytes [off, off + n) of item i's contiguous C-order data.  Called
 * concurrently from the pool's threads on disjoint ranges (off is a
 * multiple of 64); returns 0 or a negative code with err set. */
typedef int (*sc_ckpt_fill_fn)(void *ctx, int64_t item, uint64_t off, void *dst, size_t n,
                               sc_err *err);

/* Write a checkpoint the way torch.save (torch 1.13, zip format) writes a
 * plain OrderedDict state dict: "<stem>/data.pkl" (pickle protocol 2 of
 * _rebuild_tensor_v2 calls with persistent storage ids, one storage per
 * item), "<stem>/data/<n>" storages STORED with 64-byte aligned data
 * (the "FB" padding extra field), "<stem>/version" = "3\n", data
 * descriptors, ZIP64 records.  <stem> is the file name without its
 * extension.  Data is produced and streamed chunk by chunk (memory stays
 * bounded); the file is written as PATH.tmp.XXXXXX and renamed at the end,
 * so PATH is never left half-written. */
int sc_ckpt_write(const char *path, const sc_ckpt_item *items, int64_t n, sc_ckpt_fill_fn fill,
                  void *ctx, sc_pool *pool, sc_err *err);

/* The synthetic checkpoint of a manifest, bit-exact, to path. */
int sc_synth_write_ckpt(sc_synth_manifest *m, const char *path, sc_pool *pool, sc_err *err);
/* The synthetic semantic codebook of (rate, vocab) as a .npy file. */
int sc_synth_write_codebook(const char *synth_dir, int rate, int vocab, const char *path,
                            sc_pool *pool, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
