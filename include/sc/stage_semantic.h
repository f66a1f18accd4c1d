/* sc/stage_semantic.h - the semantic quantizer stage (kind SC_KIND_SEMANTIC):
 * AudioMAE ViT-B over normalised fbank windows, K-stacking, nearest
 * centroid in the semantic k-means codebook (ARCHITECTURE.md §3, §4, §5.1,
 * §5.2).  The implementation shipped with sc is the plugin "audiomae"
 * (plugins/semantic_audiomae.so).
 *
 * Units, for a model of token rate R (sc_model_info): K = 100 / R,
 * n = 512 / K tokens per window, fd = 768 K feature width.
 *  - A window is one normalised fbank window [1024, 128] (time, mel), the
 *    output of the frontend, windows stacked contiguously: [nwin, 1024, 128].
 *  - AudioMAE output per window: [513, 768], row 0 = cls.
 *  - Stacked features Y [nwin, n, fd] (time-major tokens, §4), semantic
 *    tokens [nwin, n] int64, centroids Es [nwin, n, fd] (copies of codebook
 *    rows).  Y and Es take row strides ldy / lde (in floats, >= fd), so a
 *    caller can have them written side by side into the LSTM input
 *    [Y | Es] [n, 2 fd]: y = buf, es = buf + fd, ldy = lde = 2 fd.
 *  - Padding cut-off of a window (§5.1): `col` is the frame cut-off 0..1024
 *    from the per-frame sample std (<= 1e-7 is constant, |J| == 1 gives 0),
 *    `cutoff` = ceil(n col / 1024) the first token the acoustic stage marks
 *    with -1.  The stage never marks anything itself: Y is always raw.
 *
 * Memory: every pointer argument is HOST memory owned by the caller; the
 * stage uploads / downloads at its boundary.  Any output pointer may be NULL
 * when that output is not wanted.  Calls return SC_OK or a negative status
 * with `err` filled (one line).
 *
 * Options ([semantic] options in the configuration, "key=value" separated
 * by commas or blanks):
 *    batch=N   windows run through AudioMAE together (default 4); bounds the
 *              activation memory (~19 MB per window)
 *
 * The AudioMAE weights are read on the first call that needs them (so a
 * stage used only for quantize() never touches them); declare() names
 * them all up front, so the checkpoint is validated before create().
 */
#ifndef SC_STAGE_SEMANTIC_H
#define SC_STAGE_SEMANTIC_H

#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_SEM_FRAMES 1024    /* fbank frames per window */
#define SC_SEM_MELS 128       /* mel bins */
#define SC_SEM_PATCHES 512    /* AudioMAE patch tokens per window */
#define SC_SEM_ROWS 513       /* AudioMAE output rows (cls + patches) */
#define SC_SEM_DIM 768        /* AudioMAE width */

typedef struct sc_semantic_vt {
    SC_STAGE_VT_HEAD
    /* AudioMAE alone: fbank [nwin, 1024, 128] -> out [nwin, 513, 768]. */
    int (*audiomae)(void *self, int nwin, const float *fbank, float *out, sc_err *err);
    /* Stack and quantise AudioMAE outputs amae [nwin, 513, 768] (cls row
     * ignored): y [nwin, n, fd] (stride ldy), tokens [nwin, n],
     * es [nwin, n, fd] (stride lde). */
    int (*stack_quantize)(void *self, int nwin, const float *amae, float *y, int ldy,
                          int64_t *tokens, float *es, int lde, sc_err *err);
    /* Quantise arbitrary feature rows y [rows, fd] (stride ldy):
     * tokens [rows], es [rows, fd] (stride lde). */
    int (*quantize)(void *self, int rows, const float *y, int ldy, int64_t *tokens,
                    float *es, int lde, sc_err *err);
    /* Padding cut-offs of fbank windows: col[nwin] (frames), cutoff[nwin]
     * (tokens).  Cheap (no AudioMAE). */
    int (*padding)(void *self, int nwin, const float *fbank, int *col, int *cutoff,
                   sc_err *err);
    /* The whole stage: fbank [nwin, 1024, 128] -> y, tokens, es as in
     * stack_quantize, and cutoff[nwin] as in padding. */
    int (*encode)(void *self, int nwin, const float *fbank, float *y, int ldy,
                  int64_t *tokens, float *es, int lde, int *cutoff, sc_err *err);
} sc_semantic_vt;

#ifdef __cplusplus
}
#endif
#endif
