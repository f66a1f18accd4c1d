/* sc/stage_vocoder.h - the vocoder stage: diffusion latent -> log-mel ->
 * 16 kHz waveform (ARCHITECTURE.md §6.7, §8, §9).
 *
 * A plugin of kind SC_KIND_VOCODER exports a sc_vocoder_vt.  It reads from
 * the decoder checkpoint exactly these keys and nothing else:
 *   scale_factor                              (0-d, float32)
 *   first_stage_model.post_quant_conv.*       (1x1 conv 8 -> 8)
 *   first_stage_model.decoder.*               (VAE decoder, §8)
 *   first_stage_model.vocoder.*               (HiFi-GAN, §9)
 * (never the VAE encoder, quant_conv or model_ema.*).
 *
 * Data crosses the stage boundary in HOST memory (plain float32 arrays,
 * row-major); inside, all math runs through the backend op table on backend
 * buffers, so a device backend needs no change here.
 *
 *   vae():     z [8, zh, 16] -> mel [4 zh, 64] (time-major, as the VAE
 *              writes it: row = 10 ms frame, column = mel bin).  It first
 *              forms z * (1/scale_factor), with the float32 reciprocal of
 *              the checkpoint's scale_factor computed once, as the
 *              reference does.  zh = 256 for a decoder window.
 *   hifigan(): mel [frames, 64] (the VAE's layout; the transpose to
 *              [64, frames] is done inside) -> wave [160 frames + 32].
 *   latent_to_wave(): vae() then hifigan() for one window,
 *              z [8, 256, 16] -> wave [SC_VOC_WAVE_LEN].
 *
 * Output buffers are caller owned and must hold the stated counts.  The
 * stage keeps its activation buffers between calls (sized by the largest
 * call so far) and frees them in destroy().  One thread at a time.
 */
#ifndef SC_STAGE_VOCODER_H
#define SC_STAGE_VOCODER_H

#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_VOC_ZC 8              /* latent channels */
#define SC_VOC_ZH 256            /* latent rows per window (time / 4) */
#define SC_VOC_ZW 16             /* latent columns (mel / 4) */
#define SC_VOC_MEL_FRAMES 1024   /* mel frames per window */
#define SC_VOC_MEL_BINS 64
#define SC_VOC_HOP 160           /* samples per mel frame */
#define SC_VOC_TAIL 32           /* extra edge samples of the transposed convs */
#define SC_VOC_WAVE_LEN (SC_VOC_HOP * SC_VOC_MEL_FRAMES + SC_VOC_TAIL)   /* 163872 */
#define SC_VOC_LATENT_COUNT (SC_VOC_ZC * SC_VOC_ZH * SC_VOC_ZW)          /* 32768 */

/* Samples hifigan() writes for `frames` mel frames. */
static inline long sc_voc_wave_len(int frames) { return (long)SC_VOC_HOP * frames + SC_VOC_TAIL; }

typedef struct sc_vocoder_vt {
    SC_STAGE_VT_HEAD
    int (*vae)(void *self, const float *z, int zh, float *mel, sc_err *err);
    int (*hifigan)(void *self, const float *mel, int frames, float *wave, sc_err *err);
    int (*latent_to_wave)(void *self, const float *z, float *wave, sc_err *err);
    /* The checkpoint's scale_factor (as stored, float32). */
    float (*scale_factor)(void *self);
} sc_vocoder_vt;

#ifdef __cplusplus
}
#endif
#endif
