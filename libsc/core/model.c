/* The published model layout: configurations and file paths (see
 * sc/model.h). */
#include <stdio.h>
#include "sc/model.h"

int sc_model_valid(int rate, int vocab)
{
    return (rate == 100 || rate == 50 || rate == 25) &&
           (vocab == 4096 || vocab == 8192 || vocab == 16384 || vocab == 32768);
}

int sc_model_ckpt_path(const char *dir, int rate, const char *which, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%s/semanticodec_tokenrate_%d/%s.ckpt", dir, rate, which);
    return len < 0 || (size_t)len >= n ? SC_ERANGE : SC_OK;
}

int sc_model_codebook_path(const char *dir, int rate, int vocab, char *buf, size_t n)
{
    /* The file is named after half the vocabulary (see ARCHITECTURE §0). */
    int len = snprintf(buf, n, "%s/codebook_idx/combine_%d_audioset_dominate/codebook_%d_0.npy",
                       dir, 512 * rate / 100, vocab / 2);
    return len < 0 || (size_t)len >= n ? SC_ERANGE : SC_OK;
}
