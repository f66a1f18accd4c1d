/* utils/listen.h - what sc-compare and sc-spectro share: loading two
 * audio files at one rate, a centred STFT and Slaney mel filterbanks.
 *
 * Loading: channel 0 of each file (sc/audio.h); the second file is
 * resampled to the first one's rate when they differ.  The STFT follows
 * torch.stft(center=True, pad_mode="reflect") with a periodic Hann window
 * of the FFT length: the signal is reflect-padded by N/2 at both ends
 * (zero-padded where it is shorter than N/2 + 1), frames start every hop
 * samples, and there are 1 + n / hop of them.  The mel filterbank is
 * librosa's default (Slaney mel scale, Slaney area normalisation) from
 * 0 Hz to half the rate.
 * Ownership: everything returned is malloc'd for the caller.
 */
#ifndef SC_LISTEN_H
#define SC_LISTEN_H

#include <stdint.h>
#include "sc/error.h"

typedef struct listen_audio {
    float *x;
    int64_t n;
    int rate;            /* after resampling */
    int file_rate;       /* the file's own rate */
    int64_t file_frames; /* samples before resampling */
} listen_audio;

/* Load `path` (NULL or "-": stdin) at `rate` (0: the file's own rate). */
int listen_load(const char *path, int rate, listen_audio *out, sc_err *err);
void listen_free(listen_audio *a);

/* A short-time Fourier transform of one size, reused across signals. */
typedef struct listen_stft listen_stft;
listen_stft *listen_stft_new(int nfft, int hop, sc_err *err);
void listen_stft_free(listen_stft *s);
int64_t listen_stft_frames(const listen_stft *s, int64_t n);
/* Magnitudes |X[k]|, k = 0..nfft/2, of frame f of x[0..n) into mag. */
void listen_stft_frame(listen_stft *s, const float *x, int64_t n, int64_t f, float *mag);

/* [n_mels][nfft/2 + 1] weights, row-major. */
float *listen_mel_filters(int rate, int nfft, int n_mels, sc_err *err);

#endif
