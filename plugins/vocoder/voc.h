/* plugins/vocoder/voc.h - shared internals of the vocoder stage plugin.
 *
 * The weight walks (voc_vae_walk, voc_hifi_walk) serve both declare() and
 * create() through sc_walk (sc/stage_util.h): the same code names each
 * tensor once, so the declared list and the tensors read cannot disagree.
 */
#ifndef SC_PLUGIN_VOC_H
#define SC_PLUGIN_VOC_H

#include <stdint.h>
#include "sc/stage_vocoder.h"
#include "sc/stage_util.h"

typedef struct voc_conv {
    const float *w, *b;
    int cout, cin, k;
} voc_conv;

typedef struct voc_gn {
    const float *g, *b;
    int c;
} voc_gn;

typedef struct voc_res2d {
    voc_gn n1, n2;
    voc_conv c1, c2, nin;   /* nin.w == NULL when cin == cout */
    int cin, cout;
} voc_res2d;

typedef struct voc_vae {
    float inv_scale;        /* float32(1 / scale_factor) */
    float scale_factor;
    voc_conv pqc, conv_in;
    voc_res2d mid1, mid2;
    voc_gn attn_norm;
    voc_conv q, k, v, proj;
    voc_res2d up[3][3];
    voc_conv upconv[3];     /* levels 1 and 2 only */
    voc_gn norm_out;
    voc_conv conv_out;
} voc_vae;

#define VOC_NUPS 5
#define VOC_NRES 15

typedef struct voc_hifi {
    voc_conv pre, post;
    voc_conv ups[VOC_NUPS];
    voc_conv rc1[VOC_NRES][3], rc2[VOC_NRES][3];
} voc_hifi;

/* Scratch owned by the stage; grown on demand. */
typedef struct voc_bufs {
    float *p[6];
    size_t cap;             /* floats per buffer */
} voc_bufs;

typedef struct voc_state {
    const sc_host *host;
    const sc_backend_vt *be;
    void *bx;
    voc_vae vae;
    voc_hifi hifi;
    voc_bufs bufs;
    float *zin, *mid;       /* small staging buffers */
    size_t zin_cap, mid_cap;
} voc_state;

void voc_vae_walk(sc_walk *wk, voc_vae *v);
void voc_hifi_walk(sc_walk *wk, voc_hifi *h);

/* Make sure n buffers of `floats` each exist. */
int voc_bufs_reserve(voc_state *s, size_t floats, sc_err *err);
/* Frees them (bufs.c). */
void voc_bufs_free(voc_state *s);

/* Backend buffers in, backend buffer out. */
int voc_vae_run(voc_state *s, const float *z_dev, int zh, float *mel_dev, sc_err *err);
int voc_hifi_run(voc_state *s, const float *melT_dev, int frames, float *wave_dev, sc_err *err);

/* Propagate a backend status with a message naming the op. */
#define VOC_TRY(s, err, call, what) SC_STAGE_TRY((s)->host, (err), "vocoder", (call), (what))

#endif
