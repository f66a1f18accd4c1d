/* libFuzzer target: the sc mel stream reader (sc_melr_*) on arbitrary
 * bytes, as sc-tokenize reads its input.
 *
 * Invariants: a refused input (at open or at any window) has a negative
 * code and one line naming the stream; an accepted header passes the
 * reader's own limits and gives a sane token count (sc_frontend_tkeep, as
 * sc-tokenize computes it); every window read is written back with the
 * writer and the copy must read back identical, with the same header.
 * The custom mutator keeps most CRCs valid (fuzzfix.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/melstream.h"
#include "sc/stage_frontend.h"

#define FUZZ_FIXUP(d, n, seed) fuzz_fix_mel(d, n)
#include "fuzzfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.mel"
#define MAX_WINDOWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_err err = {0};
    FILE *f = fuzz_open(data, size);
    if (!f)
        return 0;
    sc_melr *r = sc_melr_open_file(f, NAME, &err);
    if (!r) {
        if (!fuzz_err_ok(&err, NAME))
            abort();
        fclose(f);
        return 0;
    }
    const sc_mel_header h = *sc_melr_header(r);
    if (h.sample_rate <= 0 || h.bins <= 0 || h.frames <= 0 || h.samples < -1 || h.windows < -1 ||
        h.flags)
        abort();
    /* what sc-tokenize derives from the header */
    for (int rate = 25; rate <= 100; rate *= 2) {
        int64_t t = h.samples >= 0 ? sc_frontend_tkeep(h.samples, rate) : -1;
        if (h.samples >= 0 && t < 0)
            abort();
    }
    size_t wfl = (size_t)h.bins * (size_t)h.frames;
    /* a window larger than the whole input cannot be complete: the
     * header path was covered, do not allocate hundreds of MB for it */
    if (wfl * sizeof(float) > size) {
        sc_melr_close(r);
        fclose(f);
        return 0;
    }
    float *win = malloc(wfl * sizeof(float) * MAX_WINDOWS);
    char *copy = NULL;
    size_t clen = 0;
    FILE *cf = open_memstream(&copy, &clen);
    if (!win || !cf)
        abort();
    sc_mel_header wh = h;
    sc_melw *w = sc_melw_open_file(cf, "copy", SC_MELFMT_SC, &wh, &err);
    if (!w)
        abort();   /* the reader accepted this header: the writer must too */
    int n = 0, rc;
    while (n < MAX_WINDOWS && (rc = sc_melr_read(r, win + wfl * n, &err)) == 1) {
        if (sc_melr_count(r) != n + 1 || sc_melw_write(w, win + wfl * n, &err) < 0)
            abort();
        n++;
    }
    if (n == MAX_WINDOWS)
        rc = 2;   /* stopped early: not a verified end */
    if (rc < 0 && !fuzz_err_ok(&err, NAME))
        abort();
    if (rc == 0) {
        /* verified end: the copy must be a complete, identical stream */
        if (sc_melr_read(r, win, &err) != 0)
            abort();
        if (sc_melw_close(w, &err) < 0)
            abort();
        w = NULL;
        fflush(cf);
        FILE *rf = fmemopen(copy, clen, "rb");
        sc_err e2 = {0};
        sc_melr *r2 = rf ? sc_melr_open_file(rf, "copy", &e2) : NULL;
        if (!r2)
            abort();
        const sc_mel_header *h2 = sc_melr_header(r2);
        if (h2->sample_rate != h.sample_rate || h2->bins != h.bins || h2->frames != h.frames ||
            h2->samples != h.samples || h2->windows != h.windows)
            abort();
        float *one = malloc(wfl * sizeof(float));
        if (!one)
            abort();
        for (int i = 0; i < n; i++)
            if (sc_melr_read(r2, one, &e2) != 1 ||
                memcmp(one, win + wfl * i, wfl * sizeof(float)) != 0)
                abort();
        if (sc_melr_read(r2, one, &e2) != 0)
            abort();
        free(one);
        sc_melr_close(r2);
        fclose(rf);
    }
    sc_melw_abort(w);
    fclose(cf);
    free(copy);
    free(win);
    sc_melr_close(r);
    fclose(f);
    return 0;
}
