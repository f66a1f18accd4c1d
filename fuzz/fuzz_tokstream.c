/* libFuzzer target: the token reader (sc_tokr_*) on arbitrary bytes, in
 * every form it detects: the bit-packed sc stream, text and npy.
 *
 * Invariants: a refused input has a negative code and one line naming it
 * (for text, "NAME:LINE: ..."); every pair handed out lies inside the
 * header's vocabularies; an input read to its verified end is written back
 * in each form the header allows (sc, text, npy) and each copy must read
 * back to the same pairs and header.  The input's length picks what the
 * caller expects (nothing, or a rate/vocabulary), as sc-detok does with
 * -r/-V.  The custom mutator keeps most CRCs valid (fuzzfix.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/tokstream.h"

#define FUZZ_FIXUP(d, n, seed) fuzz_fix_tok(d, n, (seed >> 3) & 1)
#include "fuzzfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.tok"
#define MAX_PAIRS (1 << 16)

static int64_t read_all(sc_tokr *r, int64_t (*p)[2], sc_err *err, int *clean)
{
    int64_t n = 0, got;
    *clean = 0;
    /* odd chunk sizes exercise the reader's buffering */
    int64_t chunk = 1;
    while (n < MAX_PAIRS) {
        int64_t want = MAX_PAIRS - n < chunk ? MAX_PAIRS - n : chunk;
        got = sc_tokr_read(r, p + n, want, err);
        if (got < 0)
            return got;
        if (got == 0) {
            *clean = 1;
            if (sc_tokr_read(r, p + n, 1, err) != 0)   /* stays at the end */
                abort();
            break;
        }
        if (got > want)
            abort();
        n += got;
        chunk = chunk * 3 + 1;
    }
    return n;
}

static void roundtrip(int fmt, const sc_tok_header *h, const sc_tok_header *expect,
                      const int64_t (*p)[2], int64_t n)
{
    sc_err err = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    sc_tok_header wh = *h;
    wh.count = fmt == SC_TOKFMT_NPY && (n & 1) ? n : -1;
    sc_tokw *w = sc_tokw_open_file(f, "copy", fmt, &wh, &err);
    if (!w)
        abort();
    /* in two calls, through both entry points */
    int64_t half = n / 2;
    if (sc_tokw_write(w, p, half, &err) < 0)
        abort();
    int64_t *s = malloc(sizeof *s * (size_t)(n - half + 1)), *a = malloc(sizeof *a * (size_t)(n - half + 1));
    if (!s || !a)
        abort();
    for (int64_t i = half; i < n; i++) {
        s[i - half] = p[i][0];
        a[i - half] = p[i][1];
    }
    if (sc_tokw_write2(w, s, a, n - half, &err) < 0 || sc_tokw_count(w) != n)
        abort();
    free(s);
    free(a);
    if (sc_tokw_close(w, &err) < 0)
        abort();
    fclose(f);
    FILE *rf = fmemopen(buf, len, "rb");
    sc_tokr *r = rf ? sc_tokr_open_file(rf, "copy", SC_TOKFMT_AUTO, expect, &err) : NULL;
    if (!r || sc_tokr_format(r) != fmt)
        abort();
    int64_t (*q)[2] = malloc(sizeof *q * (MAX_PAIRS + 1));
    int clean;
    if (!q || read_all(r, q, &err, &clean) != n || !clean || memcmp(p, q, sizeof *q * (size_t)n))
        abort();
    const sc_tok_header *h2 = sc_tokr_header(r);
    if (h2->count != n)
        abort();
    if (fmt != SC_TOKFMT_NPY &&
        (h2->rate != h->rate || h2->sem_vocab != h->sem_vocab || h2->ac_vocab != h->ac_vocab ||
         h2->flags != h->flags || h2->samples != h->samples))
        abort();
    free(q);
    sc_tokr_close(r);
    fclose(rf);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sc_tok_header expects[3] = {
        {0, 0, 0, 0, -1, -1}, {100, 16384, 8192, 0, -1, -1}, {25, 4096, 8192, 0, -1, -1}};
    const sc_tok_header *expect = size % 3 ? &expects[size % 3] : NULL;
    sc_err err = {0};
    FILE *f = fuzz_open(data, size);
    if (!f)
        return 0;
    sc_tokr *r = sc_tokr_open_file(f, NAME, SC_TOKFMT_AUTO, expect, &err);
    if (!r) {
        if (!fuzz_err_ok(&err, NAME))
            abort();
        fclose(f);
        return 0;
    }
    const sc_tok_header h = *sc_tokr_header(r);
    int fmt = sc_tokr_format(r);
    if (fmt != SC_TOKFMT_SC && fmt != SC_TOKFMT_TEXT && fmt != SC_TOKFMT_NPY)
        abort();
    if (h.sem_vocab < 0 || h.ac_vocab < 0 || h.samples < -1)
        abort();
    if (expect && ((expect->rate && h.rate != expect->rate) ||
                   (expect->sem_vocab && h.sem_vocab != expect->sem_vocab)))
        abort();
    int64_t (*p)[2] = malloc(sizeof *p * (MAX_PAIRS + 1));
    if (!p)
        abort();
    int clean;
    int64_t n = read_all(r, p, &err, &clean);
    if (n < 0) {
        /* text errors name "fuzz.tok:LINE" */
        if (!fuzz_err_ok(&err, NAME) && !(err.code < 0 && !strncmp(err.msg, NAME ":", 9)))
            abort();
        /* a failed reader stays failed */
        sc_err e2 = {0};
        if (sc_tokr_read(r, p, 1, &e2) >= 0)
            abort();
    } else {
        for (int64_t i = 0; i < n; i++)
            if (p[i][0] < 0 || p[i][1] < 0 || (h.sem_vocab && p[i][0] >= h.sem_vocab) ||
                (h.ac_vocab && p[i][1] >= h.ac_vocab))
                abort();
        if (clean) {
            sc_tok_header hh = *sc_tokr_header(r);
            if (hh.count != n)
                abort();
            roundtrip(SC_TOKFMT_TEXT, &hh, expect, (const int64_t(*)[2])p, n);
            roundtrip(SC_TOKFMT_NPY, &hh, expect, (const int64_t(*)[2])p, n);
            if (hh.rate && hh.sem_vocab >= 2 && hh.ac_vocab >= 2)
                roundtrip(SC_TOKFMT_SC, &hh, expect, (const int64_t(*)[2])p, n);
        }
    }
    free(p);
    sc_tokr_close(r);
    fclose(f);
    return 0;
}
