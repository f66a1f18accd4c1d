/* utils/detok.h - tokens -> audio, shared by sc-detok and sc-decode.
 *
 * A detok decodes one token input (sc, text or npy form, sc/tokstream.h)
 * into one audio output, streaming: token windows (sc/ola.h) are read as
 * they arrive, each window goes through the decoder stage (DDIM, T-UNet)
 * and the vocoder stage, and the overlap-add hands every settled sample to
 * the output at once.  Memory is one window's worth whatever the input
 * length (npy input is read whole: it has no streaming form).
 *
 * The model (token rate, vocabulary) comes from the input's header when it
 * has one; -r/-V given on the command line must then agree with it.  npy
 * input has no header: -r/-V (or the configuration) name the model.  The
 * first input opens the session; later inputs must use the same model.
 *
 * Output length: the header's original sample count when known, else the
 * official trim rule for the number of token pairs (sc_ola_trim).
 * Outputs are atomic: a failed decode leaves no file.
 */
#ifndef SC_DETOK_H
#define SC_DETOK_H

#include <getopt.h>
#include "tool.h"

enum { DETOK_NPY = 100 };   /* output "format" beside SC_AUDIO_* */

enum {
    DETOK_OPT_STEPS = 0x2101,
    DETOK_OPT_CFG,
    DETOK_OPT_ETA,
    DETOK_OPT_SEED,
    DETOK_OPT_NOISE,
    DETOK_OPT_SAMPLE,
    DETOK_OPT_SAMPLER,
    DETOK_OPT_ORDER,
    DETOK_OPT_METHOD,
    DETOK_OPT_SKIP,
    DETOK_OPT_PRECISION,
    DETOK_OPT_LATENTS,
    DETOK_OPT_FAST,
    DETOK_OPT_PRESET
};

typedef struct detok_opts {
    const char *noise_path;      /* --noise */
    int format;                  /* SC_AUDIO_* or DETOK_NPY; 0: from the name (wav) */
    int sample;                  /* SC_SAMPLE_*; 0: container default */
    const char *steps, *cfg, *eta, *seed;   /* applied to the config after init */
    const char *sampler, *order, *method, *skip;
    const char *precision;       /* --precision: [backend] precision */
    int explicit_rate, explicit_vocab;      /* -r / -V on the command line */
    const char *outdir;          /* sc-decode -O */
    const char *latents_path;    /* --latents: float32 [windows, 8, 256, 16] */
    const char *preset;          /* --preset (--fast: "fast"), the last one given */
} detok_opts;

/* Options every decoding tool takes (terminated by a zero entry). */
extern const struct option detok_longopts[];
#define DETOK_SHORTOPTS "f:"
#define DETOK_HELP                                                                 \
    "  -f, --format=FMT      output: wav (default), flac, ogg, raw or npy\n"      \
    "      --sample=TYPE     sample type: f32 (wav/raw default), s16, s24\n"       \
    "      --preset=NAME     sampler settings under one name (the options below\n" \
    "                        still override it): fast (DPM-Solver++ 2M, 10\n"     \
    "                        evaluations), balanced (2M, logSNR steps, 20) or\n"  \
    "                        official (DDIM, eta 1, 50 steps: the default)\n"     \
    "      --fast            the same as --preset=fast\n"                         \
    "      --sampler=S       ddim (default), dpmsolver or dpmsolver++\n"          \
    "      --steps=N         sampling steps / model evaluations (default 50)\n"   \
    "      --order=K         DPM-Solver order 1, 2 (default) or 3\n"               \
    "      --method=M        DPM-Solver multistep (default), singlestep or\n"      \
    "                        singlestep_fixed\n"                                   \
    "      --skip=T          DPM-Solver time steps: time_uniform (default), logSNR\n" \
    "                        or time_quadratic\n"                                  \
    "      --cfg=G           classifier-free guidance scale (default 2.0)\n"       \
    "      --eta=E           DDIM eta (default 1.0)\n"                             \
    "      --seed=S          noise seed (default 0)\n"                             \
    "      --precision=P     fp32 (default, exact), bf16 or auto: the arithmetic\n" \
    "                        of the decoder's and vocoder's products\n"            \
    "      --noise=FILE.npy  injected noise, float32 [windows, steps+1, 8, 256, 16]\n" \
    "                        (DDIM) or x_T [windows, 1, 8, 256, 16] (DPM-Solver)\n" \
    "      --latents=FILE.npy\n"                                                   \
    "                        also write the sampled latents, float32\n"           \
    "                        [windows, 8, 256, 16] (before the VAE)\n"

/* sc_tool option callback (user = detok_opts). */
int detok_parse_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err);
/* Scan argv for -r/--rate and -V/--vocab (before sc_tool_init). */
void detok_prescan(int argc, char **argv, detok_opts *o);
/* Apply the decoder options to t->cfg (after sc_tool_init). */
int detok_apply(sc_tool *t, const detok_opts *o, sc_err *err);

typedef struct detok detok;
detok *detok_new(sc_tool *t, const detok_opts *o, sc_err *err);
/* Decode `in` ("-" or NULL: stdin) to `out` ("-" or NULL: stdout). */
int detok_file(detok *d, const char *in, const char *out, sc_err *err);
void detok_free(detok *d);

/* Output format for a name (explicit -f wins). */
int detok_format_for(const detok_opts *o, const char *out);
const char *detok_format_ext(int format);

#endif
