/* plugins/vocoder/vocoder.c - the "hifigan" vocoder stage plugin: entry
 * point, declaration of the tensors it reads, lifetime, and the host-memory
 * boundary of sc/stage_vocoder.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "voc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* A small device buffer grown on demand. */
typedef struct io_buf {
    float *p;
    size_t cap;
} io_buf;

typedef struct voc_self {
    voc_state st;
    io_buf z, mel, melT, wave;
    float *host_mel;     /* host staging for the transpose */
    size_t host_mel_cap;
} voc_self;

static int io_reserve(voc_state *s, io_buf *b, size_t floats, sc_err *err)
{
    if (floats <= b->cap)
        return SC_OK;
    if (b->p)
        s->be->buf_free(s->bx, b->p);
    b->p = s->be->buf_alloc(s->bx, floats * sizeof(float));
    b->cap = b->p ? floats : 0;
    if (!b->p)
        return s->host->err_set(err, SC_ENOMEM, "vocoder: cannot allocate %zu floats", floats);
    return SC_OK;
}

static void io_free(voc_state *s, io_buf *b)
{
    if (b->p)
        s->be->buf_free(s->bx, b->p);
    b->p = NULL;
    b->cap = 0;
}

/* ---- vtable ---- */

static const int64_t scalar_shape[1] = {0};   /* 0-d: unused */

static int voc_declare(const sc_model_info *model, void *dctx, sc_need_fn need)
{
    sc_walk wk = sc_walk_declare(model, dctx, need);
    voc_vae vae;
    voc_hifi hifi;
    sc_walk_host(&wk, "scale_factor", 0, scalar_shape);
    voc_vae_walk(&wk, &vae);
    voc_hifi_walk(&wk, &hifi);
    return wk.rc;
}

static void voc_destroy(void *self)
{
    voc_self *v = self;
    if (!v)
        return;
    voc_state *s = &v->st;
    voc_bufs_free(s);
    io_free(s, &v->z);
    io_free(s, &v->mel);
    io_free(s, &v->melT);
    io_free(s, &v->wave);
    free(v->host_mel);
    free(v);
}

static int voc_create(const sc_stage_env *env, void **self, sc_err *err)
{
    *self = NULL;
    voc_self *v = calloc(1, sizeof *v);
    if (!v)
        return env->host->err_set(err, SC_ENOMEM, "vocoder: out of memory");
    voc_state *s = &v->st;
    s->host = env->host;
    s->be = env->be;
    s->bx = env->be_ctx;
    sc_walk wk = sc_walk_load(env, err);
    const float *sf = sc_walk_host(&wk, "scale_factor", 0, scalar_shape);
    voc_vae_walk(&wk, &s->vae);
    voc_hifi_walk(&wk, &s->hifi);
    if (wk.rc) {
        voc_destroy(v);
        return wk.rc;
    }
    if (!(isfinite(*sf) && *sf != 0.0f)) {
        int rc = env->host->err_set(err, SC_EFORMAT, "%s: scale_factor is %g",
                                    env->host->weights_path(env->weights), (double)*sf);
        voc_destroy(v);
        return rc;
    }
    s->vae.scale_factor = *sf;
    /* The reference computes 1/scale_factor as a float32 tensor, then
     * multiplies: keep that exact float. */
    volatile float one = 1.0f;
    s->vae.inv_scale = one / *sf;
    *self = v;
    return SC_OK;
}

static int sync_down(voc_state *s, float *dst, const float *src, size_t floats, sc_err *err)
{
    VOC_TRY(s, err, s->be->sync(s->bx), "sync");
    VOC_TRY(s, err, s->be->download(s->bx, dst, src, floats * sizeof(float)), "download");
    return SC_OK;
}

static int run_vae(voc_self *v, const float *z, int zh, sc_err *err)
{
    voc_state *s = &v->st;
    size_t nz = (size_t)SC_VOC_ZC * zh * SC_VOC_ZW, nm = (size_t)4 * zh * SC_VOC_MEL_BINS;
    if (io_reserve(s, &v->z, nz, err) || io_reserve(s, &v->mel, nm, err))
        return err->code;
    VOC_TRY(s, err, s->be->upload(s->bx, v->z.p, z, nz * sizeof(float)), "upload");
    return voc_vae_run(s, v->z.p, zh, v->mel.p, err);
}

/* mel [F, 64] host -> melT [64, F] device. */
static int put_melT(voc_self *v, const float *mel, int frames, sc_err *err)
{
    voc_state *s = &v->st;
    size_t n = (size_t)frames * SC_VOC_MEL_BINS;
    if (io_reserve(s, &v->melT, n, err))
        return err->code;
    if (n > v->host_mel_cap) {
        free(v->host_mel);
        v->host_mel = malloc(n * sizeof(float));
        v->host_mel_cap = v->host_mel ? n : 0;
        if (!v->host_mel)
            return s->host->err_set(err, SC_ENOMEM, "vocoder: out of memory");
    }
    for (int f = 0; f < frames; f++)
        for (int b = 0; b < SC_VOC_MEL_BINS; b++)
            v->host_mel[(size_t)b * frames + f] = mel[(size_t)f * SC_VOC_MEL_BINS + b];
    VOC_TRY(s, err, s->be->upload(s->bx, v->melT.p, v->host_mel, n * sizeof(float)), "upload");
    return SC_OK;
}

static int run_hifi(voc_self *v, int frames, float *wave, sc_err *err)
{
    voc_state *s = &v->st;
    size_t nw = (size_t)sc_voc_wave_len(frames);
    if (io_reserve(s, &v->wave, nw, err))
        return err->code;
    if (voc_hifi_run(s, v->melT.p, frames, v->wave.p, err))
        return err->code;
    return sync_down(s, wave, v->wave.p, nw, err);
}

static int vt_vae(void *self, const float *z, int zh, float *mel, sc_err *err)
{
    voc_self *v = self;
    if (zh < 1 || zh > (1 << 20))
        return v->st.host->err_set(err, SC_EARG, "vocoder: latent height %d out of range", zh);
    if (run_vae(v, z, zh, err))
        return err->code;
    return sync_down(&v->st, mel, v->mel.p, (size_t)4 * zh * SC_VOC_MEL_BINS, err);
}

static int vt_hifigan(void *self, const float *mel, int frames, float *wave, sc_err *err)
{
    voc_self *v = self;
    if (frames < 1 || frames > (1 << 22))
        return v->st.host->err_set(err, SC_EARG, "vocoder: %d mel frames out of range", frames);
    if (put_melT(v, mel, frames, err))
        return err->code;
    return run_hifi(v, frames, wave, err);
}

static int vt_latent_to_wave(void *self, const float *z, float *wave, sc_err *err)
{
    voc_self *v = self;
    if (run_vae(v, z, SC_VOC_ZH, err))
        return err->code;
    size_t nm = (size_t)SC_VOC_MEL_FRAMES * SC_VOC_MEL_BINS;
    float *mel = malloc(nm * sizeof(float));
    if (!mel)
        return v->st.host->err_set(err, SC_ENOMEM, "vocoder: out of memory");
    int rc = sync_down(&v->st, mel, v->mel.p, nm, err);
    if (!rc)
        rc = put_melT(v, mel, SC_VOC_MEL_FRAMES, err);
    free(mel);
    if (rc)
        return rc;
    return run_hifi(v, SC_VOC_MEL_FRAMES, wave, err);
}

static float voc_scale_factor(void *self)
{
    return ((voc_self *)self)->st.vae.scale_factor;
}

static const sc_vocoder_vt vocoder_vt = {
    .struct_size = sizeof(sc_vocoder_vt),
    .declare = voc_declare,
    .create = voc_create,
    .destroy = voc_destroy,
    .vae = vt_vae,
    .hifigan = vt_hifigan,
    .latent_to_wave = vt_latent_to_wave,
    .scale_factor = voc_scale_factor,
};

static const sc_plugin_info vocoder_info = {
    .abi_version = SC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sc_plugin_info),
    .kind = SC_KIND_VOCODER,
    .name = "hifigan",
    .version = PACKAGE_VERSION,
    .description = "AudioLDM 2 VAE decoder + HiFi-GAN (16 kHz, 64 mel)",
    .vtable = &vocoder_vt,
};

__attribute__((visibility("default"))) const sc_plugin_info *sc_plugin_entry(const sc_host *host);

/* The host checks abi_version itself and names both versions on mismatch. */
__attribute__((visibility("default"))) const sc_plugin_info *
sc_plugin_entry(const sc_host *host)
{
    (void)host;
    return &vocoder_info;
}
