/* sc/config.h - the sc configuration and its sources.
 *
 * Precedence, lowest first: built-in defaults < $(sysconfdir)/sc/sc.ini <
 * $XDG_CONFIG_HOME/sc/sc.ini (or ~/.config/sc/sc.ini) < environment
 * ($SC_MODEL_DIR, $SC_BACKEND, $SC_THREADS) < the -c FILE < command line.
 * A file given with -c must exist; the standard files are optional.
 * Unknown sections or keys and bad values are errors "FILE:LINE: ...".
 * The format is documented in sc.ini(5).  sc_config is a plain value.
 */
#ifndef SC_CONFIG_H
#define SC_CONFIG_H

#include "sc/error.h"
#include "sc/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_NAME_MAX 64

/* [backend] precision: the arithmetic of the decoder's and vocoder's
 * products (GEMMs, convolutions, attention).  fp32 is exact to the
 * official code; bf16 multiplies bf16-rounded inputs with fp32 sums
 * (norms, softmax and the sampler stay fp32) and needs a backend with
 * bf16 kernels on this CPU; auto is bf16 where the backend has it, else
 * fp32.  The encoder stages always run fp32. */
enum sc_precision { SC_PREC_FP32 = 0, SC_PREC_BF16 = 1, SC_PREC_AUTO = 2 };
static const char *const sc_precision_names[3] = {"fp32", "bf16", "auto"};
#define SC_PATH_MAX 4096

/* Per-stage selection, indexed by enum sc_plugin_kind (FRONTEND..VOCODER). */
typedef struct sc_stage_cfg {
    char plugin[SC_NAME_MAX];    /* stage implementation name */
    char backend[SC_NAME_MAX];   /* "" = [backend] default */
    char options[256];
} sc_stage_cfg;

typedef struct sc_config {
    /* [model] */
    char model_dir[SC_PATH_MAX];
    int token_rate;              /* 100, 50, 25 */
    int sem_vocab;               /* 4096, 8192, 16384, 32768 */
    int synthetic;               /* 1: generate synthetic weights in memory */
    char synth_dir[SC_PATH_MAX]; /* manifests for synthetic weights
                                    ($SC_SYNTH_DIR, default $(pkgdatadir)/synth) */
    /* [backend] */
    char backend[SC_NAME_MAX];   /* default backend: ref, blas, cuda */
    char backend_options[256];
    int threads;                 /* 0 = number of CPUs */
    /* stages, indexed by kind */
    sc_stage_cfg stage[SC_KIND_MAX + 1];
    /* [encoder] */
    int batch;                   /* windows in flight through the LSTM */
    /* [decoder] */
    int steps;                   /* sampling steps / model evaluations (50) */
    double cfg;                  /* guidance scale (2.0) */
    double eta;                  /* DDIM eta (1.0) */
    uint64_t seed;               /* noise seed (0) */
    /* [log] */
    int log_level;               /* enum sc_log_level */
    /* where each value came from is not tracked; files read, in order: */
    char sources[4][SC_PATH_MAX];
    int nsources;
    /* [decoder], continued (appended: the layout above is unchanged) */
    int sampler;                 /* enum sc_decoder_sampler (ddim) */
    int order;                   /* DPM-Solver order 1..3 (2) */
    int method;                  /* enum sc_decoder_method (multistep) */
    int skip;                    /* enum sc_decoder_skip (time_uniform) */
    /* [backend], continued */
    int precision;               /* enum sc_precision (fp32) */
} sc_config;

void sc_config_defaults(sc_config *cfg);
/* Merge one INI file.  must_exist == 0: a missing file is not an error. */
int sc_config_load_file(sc_config *cfg, const char *path, int must_exist, sc_err *err);
/* Merge an INI text held in memory (name used in messages). */
int sc_config_load_string(sc_config *cfg, const char *text, const char *name, sc_err *err);
int sc_config_load_env(sc_config *cfg, sc_err *err);
/* Defaults, system file, user file, environment, then `explicit_file` (-c,
 * may be NULL) in that order. */
int sc_config_load_standard(sc_config *cfg, const char *explicit_file, sc_err *err);
/* Set one value as "section.key" = value (command-line overrides). */
int sc_config_set(sc_config *cfg, const char *section, const char *key, const char *value,
                  const char *where, sc_err *err);
/* Check cross-field consistency (published rate/vocab pairs). */
int sc_config_validate(const sc_config *cfg, sc_err *err);

#ifdef __cplusplus
}
#endif
#endif
