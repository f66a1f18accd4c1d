/* sc/stage_acoustic.h - the acoustic quantizer stage (plugin kind
 * SC_KIND_ACOUSTIC): padding mark, BiLSTM, output linear and VQ against the
 * 8192-entry acoustic codebook (ARCHITECTURE.md 5.3-5.6).
 *
 * Per window of n = 512/K tokens, given the stacked AudioMAE features
 * Y [n, fd], the semantic centroids Es = Cs[s] [n, fd] and the padding
 * cut-off c (5.1):
 *     U = [Y | Es]; rows c..n-1 of U set to exactly -1 (both halves)
 *     BiLSTM: L layers (4/3/2 at rate 100/50/25), H = 2fd, gates i,f,g,o,
 *             b_ih + b_hh, layer >= 1 reads [fwd | bwd]
 *     A = out W_o^T (no bias)            [n, fd]
 *     a_i = first argmin_j sqrt(max(|A_i|^2 + |C_j|^2 - 2 A_i.C_j, 0))
 * Windows are independent (fresh LSTM state each), so quantize() runs B of
 * them together: one input-projection GEMM per layer and direction over all
 * B*n rows, and one LSTM recurrence with B sequences in flight, which turns
 * the bandwidth-bound matrix-vector products into matrix products.  The
 * result is the same as B separate calls.
 *
 * Weights read (declared exactly, encoder checkpoint):
 *   encoder.{weight_ih,weight_hh,bias_ih,bias_hh}_l{k}[_reverse], k < L
 *   encoder_output_linear.weight [fd, 4fd]
 *   quantizer._codebook.embed [1, 8192, fd]
 *
 * Memory: activations grow with the largest B seen (about 30 MB per window
 * at every rate); the caller bounds B (config [encoder] batch).
 */
#ifndef SC_STAGE_ACOUSTIC_H
#define SC_STAGE_ACOUSTIC_H

#include "sc/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_ACOUSTIC_VOCAB 8192

typedef struct sc_acoustic_vt {
    SC_STAGE_VT_HEAD
    /* Acoustic tokens of B windows (B >= 1), every pointer host memory:
     *   y      [B, n, fd]  stacked features, window-major, row stride ldy
     *   es     [B, n, fd]  semantic centroids, row stride lde (so the
     *                      semantic stage's side-by-side [Y | Es] buffer
     *                      can be passed as y = buf, es = buf + fd,
     *                      ldy = lde = 2 fd)
     *   cutoff [B]         padding cut-off per window, 0..n
     *   tok    [B, n]      out: acoustic tokens 0..8191
     *   a      [B, n, fd]  out, may be NULL: the VQ input (tests)
     * Returns SC_OK or a negative code with err set. */
    int (*quantize)(void *self, int B, const float *y, int ldy, const float *es, int lde,
                    const int *cutoff, int64_t *tok, float *a, sc_err *err);
} sc_acoustic_vt;

#ifdef __cplusplus
}
#endif
#endif
