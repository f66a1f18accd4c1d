/* tests/sctest.h - helpers for the Check tests.
 *
 * Parity data comes from $SC_REFDIR (the kit in ../shared/reference).  A
 * missing kit file FAILS the calling test (ck_abort), it never skips.
 * Comparisons print max abs and rms differences so a failing run says how
 * far off it is.
 */
#ifndef SC_SCTEST_H
#define SC_SCTEST_H

#include <check.h>
#include <stddef.h>
#include "sc/tensor.h"
#include "sc/session.h"

/* Absolute path of a kit file (static buffer per call site is not needed:
 * the result is malloc'd and freed at exit). Fails the test if missing. */
/* Monotonic seconds, for the timings the parity tests print. */
double sct_now(void);
/* 1 when SC_FULL is set (and not "0"): the slow full-size cases run. */
int sct_full(void);
const char *sct_ref_path(const char *rel);
/* Load a kit .npy; fails the test if missing or unreadable. */
void sct_load_npy(const char *rel, sc_tensor *out);
/* Scratch path under $SC_SCRATCH (created). */
const char *sct_scratch(const char *rel);
/* Source-tree path under $SC_SRCDIR. */
const char *sct_src_path(const char *rel);

typedef struct sct_diff {
    double max_abs, rms, max_ref;
    size_t argmax, n;
} sct_diff;

sct_diff sct_compare(const float *got, const float *want, size_t n);
/* Fails the test with a message naming `what` if max abs diff > tol. */
void sct_assert_close(const char *what, const float *got, const float *want, size_t n,
                      double tol);
/* Same for a golden file against float data. */
void sct_assert_close_npy(const char *what, const float *got, size_t n, const char *rel,
                          double tol);

/* Backends a parity test must cover: "ref" always, and every other CPU
 * backend built in this tree (plugin file present on SC_PLUGIN_PATH).
 * Returns the count; names are static strings. */
int sct_backends(const char **names, int cap);

/* A session over synthetic weights (manifests from $SC_SYNTH_DIR) with
 * every stage on `backend`.  Fails the test on error. */
sc_session *sct_session(int rate, int vocab, const char *backend);

#endif
