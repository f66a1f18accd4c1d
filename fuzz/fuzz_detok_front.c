/* libFuzzer target: the front of sc-detok (utils/detok.c detok_file) on
 * arbitrary bytes: the token header and packets exactly as sc-detok reads
 * them, the model choice from the header, the per-token range checks, the
 * windowing (W + 1 pairs buffered, stride W - overlap), the output length
 * from the header's sample count or the trim rule, and the overlap-add
 * with its length bookkeeping.  Only the model is left out: each window's
 * waveform is a constant instead of the decoder + vocoder output.
 *
 * The steps mirror detok_file; keep them in step with it.  The input's
 * length picks the command line: no -r/-V, or -r/-V given (which the
 * header must then agree with).
 *
 * Invariants: every refusal has a negative code and one line naming the
 * input or the overlap-add; an accepted stream's windows are exactly
 * sc_ola_window_count(T) and each has 1..W tokens; the samples handed out
 * are exactly the output length (header sample count, else the trim).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/ola.h"
#include "sc/session.h"
#include "sc/tokstream.h"

#define FUZZ_FIXUP(d, n, seed) fuzz_fix_tok(d, n, (seed >> 3) & 1)
#include "fuzzfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.tok"
#define MAX_WINDOWS 16

typedef struct counter {
    int64_t n;
    float last;
} counter;

static int emit(void *user, const float *x, size_t n, sc_err *err)
{
    counter *c = user;
    (void)err;
    if (n)
        c->last = x[n - 1];   /* ASan: the whole range must be readable */
    c->n += (int64_t)n;
    return SC_OK;
}

static int named(const sc_err *e)
{
    return fuzz_err_ok(e, NAME) || (e->code < 0 && !strncmp(e->msg, NAME ":", 9)) ||
           (e->code < 0 && !strncmp(e->msg, "overlap-add: ", 13) && !strchr(e->msg, '\n'));
}

/* Returns SC_OK, or a negative code with err set. */
static int front(const uint8_t *data, size_t size, int explicit_model, sc_err *err)
{
    /* sc-detok's defaults (sc.ini): rate 100, vocabulary 16384 */
    const int cfg_rate = 100, cfg_vocab = 16384;
    sc_tok_header ex = {0};
    ex.ac_vocab = 8192;
    ex.samples = -1;
    ex.count = -1;
    if (explicit_model) {
        ex.rate = cfg_rate;
        ex.sem_vocab = cfg_vocab;
    }
    FILE *f = fuzz_open(data, size);
    if (!f)
        return 0;
    int rc = SC_OK;
    int64_t(*all)[2] = NULL, (*tok)[2] = NULL;
    float *wave = NULL;
    sc_ola ola;
    int ola_open = 0;
    counter cnt = {0, 0};
    sc_tokr *r = sc_tokr_open_file(f, NAME, SC_TOKFMT_AUTO, &ex, err);
    if (!r) {
        fclose(f);
        return err->code;
    }
    const sc_tok_header h = *sc_tokr_header(r);

    /* model_for */
    int rate = h.rate ? h.rate : cfg_rate;
    int vocab = h.sem_vocab ? h.sem_vocab : cfg_vocab;
    if (h.ac_vocab && h.ac_vocab != 8192) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: acoustic vocabulary %d, the model has 8192", NAME,
                        h.ac_vocab);
        goto out;
    }
    if (!sc_model_valid(rate, vocab)) {
        rc = sc_err_set(err, SC_EARG, "%s: no published model for rate %d, vocabulary %d", NAME,
                        rate, vocab);
        goto out;
    }
    int K = 100 / rate, W = sc_ola_window_tokens(K);
    int stride = W - sc_ola_window_overlap(K);
    if (W < 1 || stride < 1 || stride > W)
        abort();

    int64_t total = -1, nall = 0, pos = 0;
    if (sc_tokr_format(r) == SC_TOKFMT_NPY) {
        total = h.count;
        if (total < 0)
            abort();
        all = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
        if (!all)
            abort();
        int64_t k = 0, got = 0;
        while (k < total && (got = sc_tokr_read(r, all + k, total - k, err)) > 0)
            k += got;
        if (k < total) {
            rc = err->code ? err->code : sc_err_set(err, SC_EFORMAT, "%s: short read", NAME);
            goto out;
        }
        for (int64_t i = 0; i < total; i++)
            if (all[i][0] < 0 || all[i][0] >= vocab || all[i][1] < 0 || all[i][1] >= 8192) {
                rc = sc_err_set(err, SC_ERANGE, "%s: token %lld out of range", NAME, (long long)i);
                goto out;
            }
        nall = total;
    } else if (h.count >= 0) {
        total = h.count;
    }
    if (total == 0) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: no tokens", NAME);
        goto out;
    }
    int64_t nwin = total > 0 ? sc_ola_window_count(total, K) : -1;
    /* the progress line's estimate from the recorded duration */
    int64_t nwin_shown = nwin;
    if (nwin < 0 && h.samples > 0) {
        double sec = h.samples / 16000.0;
        double tt = ceil(8.0 * (sec + 0.16 - fmod(sec, 0.16)) / 0.16 / K);
        nwin_shown = sc_ola_window_count((int64_t)tt, K);
    }
    if (nwin_shown < -1)
        abort();
    tok = malloc((size_t)(W + 1) * sizeof *tok);
    wave = malloc(SC_OLA_WIN * sizeof(float));
    if (!tok || !wave)
        abort();
    if ((rc = sc_ola_init(&ola, emit, &cnt, err)))
        goto out;
    ola_open = 1;
    int64_t length = h.samples >= 0 ? h.samples : total > 0 ? sc_ola_trim(total, K) : -1;
    if (length >= 0 && (rc = sc_ola_set_length(&ola, length, err)))
        goto out;

    int64_t start = 0, nbuf = 0, w = 0;
    int eof = 0;
    for (;;) {
        while (nbuf < W + 1 && !eof) {
            int64_t got;
            if (all) {
                got = nall - pos < W + 1 - nbuf ? nall - pos : W + 1 - nbuf;
                memcpy(tok + nbuf, all + pos, (size_t)got * sizeof *tok);
                pos += got;
            } else {
                got = sc_tokr_read(r, tok + nbuf, W + 1 - nbuf, err);
            }
            if (got < 0) {
                rc = (int)got;
                goto out;
            }
            if (got > W + 1 - nbuf)
                abort();
            if (got == 0)
                eof = 1;
            if (!all)
                for (int64_t i = 0; i < got; i++)
                    if (tok[nbuf + i][0] < 0 || tok[nbuf + i][0] >= vocab ||
                        tok[nbuf + i][1] < 0 || tok[nbuf + i][1] >= 8192) {
                        rc = sc_err_set(err, SC_ERANGE, "%s: token %lld out of range", NAME,
                                        (long long)(start + nbuf + i));
                        goto out;
                    }
            nbuf += got;
        }
        if (nbuf == 0) {
            if (w == 0) {
                rc = sc_err_set(err, SC_EFORMAT, "%s: no tokens", NAME);
                goto out;
            }
            break;
        }
        if (length < 0 && (rc = sc_ola_set_min_length(&ola, sc_ola_trim(start + nbuf, K), err)))
            goto out;
        int ntok = nbuf < W ? (int)nbuf : W;
        if (ntok < 1 || ntok > W)
            abort();
        /* the model's window: a constant stands in for decoder + vocoder */
        for (int i = 0; i < SC_OLA_WIN; i++)
            wave[i] = (float)(tok[0][0] & 7) * 0.125f;
        if ((rc = sc_ola_push(&ola, wave, err)))
            goto out;
        w++;
        if (nbuf <= W)
            break;
        if (w >= MAX_WINDOWS)
            goto out;   /* enough: the rest is more of the same */
        memmove(tok, tok + stride, (size_t)(nbuf - stride) * sizeof *tok);
        nbuf -= stride;
        start += stride;
    }
    int64_t T = start + nbuf;
    if (nwin >= 0 && w != nwin)
        abort();
    if (w != sc_ola_window_count(T, K))
        abort();
    if (length < 0) {
        length = sc_ola_trim(T, K);
        if ((rc = sc_ola_set_length(&ola, length, err)))
            goto out;
    }
    if ((rc = sc_ola_finish(&ola, err)))
        goto out;
    if (cnt.n != length)
        abort();
out:
    if (ola_open)
        sc_ola_free(&ola);
    free(all);
    free(tok);
    free(wave);
    sc_tokr_close(r);
    fclose(f);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_err err = {0};
    int rc = front(data, size, size & 1, &err);
    if (rc > 0 || (rc < 0 && !named(&err)))
        abort();
    return 0;
}
