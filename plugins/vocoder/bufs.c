/* plugins/vocoder/bufs.c - the shared activation buffers the VAE and
 * HiFi-GAN passes run in (voc_state.bufs). */
#include "voc.h"

void voc_bufs_free(voc_state *s)
{
    for (int i = 0; i < 6; i++) {
        if (s->bufs.p[i])
            s->be->buf_free(s->bx, s->bufs.p[i]);
        s->bufs.p[i] = NULL;
    }
    s->bufs.cap = 0;
}

#define VOC_NBUFS 5

int voc_bufs_reserve(voc_state *s, size_t floats, sc_err *err)
{
    if (floats <= s->bufs.cap)
        return SC_OK;
    voc_bufs_free(s);
    for (int i = 0; i < VOC_NBUFS; i++) {
        s->bufs.p[i] = s->be->buf_alloc(s->bx, floats * sizeof(float));
        if (!s->bufs.p[i]) {
            voc_bufs_free(s);
            return s->host->err_set(err, SC_ENOMEM, "vocoder: cannot allocate %d x %zu MiB",
                                    VOC_NBUFS, floats * sizeof(float) >> 20);
        }
    }
    s->bufs.cap = floats;
    return SC_OK;
}
