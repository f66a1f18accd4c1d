/* The synthetic model files: a manifest's checkpoint and the semantic
 * codebooks, written through the checkpoint writer (libsc/writer/ckptwrite.h). */
#include <stdlib.h>
#include <string.h>
#include "sc/npy.h"
#include "synth_internal.h"

typedef struct ckpt_ctx {
    const sc_synth_manifest *m;
} ckpt_ctx;

static int ckpt_fill(void *ctx, int64_t item, uint64_t off, void *dst, size_t n, sc_err *err)
{
    const sc_synth_manifest *m = ((ckpt_ctx *)ctx)->m;
    return sc_synth_entry_read(m, sc_synth_manifest_at(m, item), off, dst, n, err);
}

int sc_synth_write_ckpt(sc_synth_manifest *m, const char *path, sc_pool *pool, sc_err *err)
{
    int rc = sc_synth_manifest_prepare(m, err);
    if (rc < 0)
        return rc;
    int64_t n = sc_synth_manifest_count(m);
    sc_ckpt_item *items = calloc((size_t)(n ? n : 1), sizeof(*items));
    if (!items)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    for (int64_t i = 0; i < n; i++) {
        const sc_synth_entry *e = sc_synth_manifest_at(m, i);
        items[i].key = e->key;
        items[i].dtype = e->dtype;
        items[i].ndim = e->ndim;
        memcpy(items[i].shape, e->shape, sizeof(items[i].shape));
    }
    ckpt_ctx c = { m };
    rc = sc_ckpt_write(path, items, n, ckpt_fill, &c, pool, err);
    free(items);
    return rc;
}

typedef struct cbw_ctx {
    uint64_t h;
    double scale, offset;
} cbw_ctx;

static int codebook_fill(void *ctx, int64_t item, uint64_t off, void *dst, size_t n, sc_err *err)
{
    const cbw_ctx *c = ctx;
    (void)item;
    (void)err;
    sc_synth_fill(c->h, off / 4, n / 4, c->scale, c->offset, dst);
    return SC_OK;
}

int sc_synth_write_codebook(const char *synth_dir, int rate, int vocab, const char *path,
                            sc_pool *pool, sc_err *err)
{
    sc_synth_codebook_info info;
    int rc = sc_synth_codebook_info_get(synth_dir, rate, vocab, &info, err);
    if (rc < 0)
        return rc;
    sci_tmpfile t;
    rc = sci_tmp_open(&t, path, err);
    if (rc < 0)
        return rc;
    int64_t shape[2] = { info.rows, info.cols };
    int hl = sc_npy_write_header(t.f, SC_F32, 2, shape, path, err);
    if (hl < 0) {
        sci_tmp_abort(&t);
        return hl;
    }
    t.pos += (uint64_t)hl;
    cbw_ctx c = { sc_synth_hash(SC_SYNTH_CODEBOOK_KEY, strlen(SC_SYNTH_CODEBOOK_KEY)), info.scale,
                  info.offset };
    rc = sci_stream_item(&t, (uint64_t)(info.rows * info.cols) * 4, codebook_fill, &c, 0, pool,
                         NULL, err);
    if (rc == SC_OK)
        rc = sci_tmp_commit(&t, err);
    else
        sci_tmp_abort(&t);
    return rc;
}
