/* sc/model.h - the published SemantiCodec model layout: which (token
 * rate, vocabulary) pairs exist and where their files lie in a model
 * folder.  Pure functions of their arguments; no I/O.  Shared by the
 * configuration (which validates [model]) and the session (which opens
 * the files), so that neither depends on the other.
 */
#ifndef SC_MODEL_H
#define SC_MODEL_H

#include <stddef.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Paths in the published layout; buf of SC_PATH_MAX.  which: "encoder" or
 * "decoder".  SC_ERANGE when buf is too small. */
int sc_model_ckpt_path(const char *dir, int rate, const char *which, char *buf, size_t n);
int sc_model_codebook_path(const char *dir, int rate, int vocab, char *buf, size_t n);
/* 1 if (rate, vocab) is one of the 12 published configurations. */
int sc_model_valid(int rate, int vocab);

#ifdef __cplusplus
}
#endif
#endif
