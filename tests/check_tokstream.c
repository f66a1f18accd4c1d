/* Token files (sc/tokstream.h): round trips of the sc, text and npy forms,
 * the bit rate of the sc form, and detection of truncation, corruption,
 * out-of-range tokens and contradicting headers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/npy.h"
#include "sc/tokstream.h"
#include "sc/util.h"
#include "sctest.h"

static sc_tok_header hdr(int rate, int sv, int64_t samples)
{
    sc_tok_header h = { rate, sv, 8192, 0, samples, -1 };
    return h;
}

static int64_t (*rand_pairs(int64_t n, int sv, int av, unsigned seed))[2]
{
    int64_t (*p)[2] = malloc(sizeof *p * (size_t)(n ? n : 1));
    ck_assert(p);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        p[i][0] = (int64_t)(x % (uint64_t)sv);
        p[i][1] = (int64_t)((x >> 32) % (uint64_t)av);
        /* the extremes too */
        if (i % 97 == 3) { p[i][0] = sv - 1; p[i][1] = av - 1; }
        if (i % 89 == 5) { p[i][0] = 0; p[i][1] = 0; }
    }
    return p;
}

static void write_file(const char *path, int fmt, const sc_tok_header *h,
                       const int64_t (*p)[2], int64_t n, int chunk)
{
    sc_err err = {0};
    sc_tokw *w = sc_tokw_open(path, fmt, h, &err);
    ck_assert_msg(w, "%s", err.msg);
    for (int64_t i = 0; i < n; i += chunk) {
        int64_t m = n - i < chunk ? n - i : chunk;
        ck_assert_msg(sc_tokw_write(w, p + i, m, &err) == SC_OK, "%s", err.msg);
    }
    ck_assert_msg(sc_tokw_close(w, &err) == SC_OK, "%s", err.msg);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len ? (size_t)len : 1);
    ck_assert(fread(b, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert(f);
    ck_assert(fwrite(b, 1, n, f) == n);
    fclose(f);
}

static void check_roundtrip(int fmt, int rate, int sv, int64_t n, int known, int chunk)
{
    char name[128];
    snprintf(name, sizeof name, "tokstream/rt_%s_%d_%d_%lld_%d.tok", sc_tokfmt_name(fmt), rate,
             sv, (long long)n, known);
    const char *path = sct_scratch(name);
    int64_t (*p)[2] = rand_pairs(n, sv, 8192, (unsigned)(n + sv + fmt));
    sc_tok_header h = hdr(rate, sv, 123456);
    if (known)
        h.count = n;
    write_file(path, fmt, &h, (const int64_t (*)[2])p, n, chunk);
    /* read back, auto-detected, in odd-sized reads */
    sc_err err = {0};
    sc_tok_header e = hdr(rate, sv, -1);
    e.count = -1;
    sc_tokr *r = sc_tokr_open(path, SC_TOKFMT_AUTO, &e, &err);
    ck_assert_msg(r, "%s", err.msg);
    ck_assert_int_eq(sc_tokr_format(r), fmt);
    int64_t got = 0, buf[37][2];
    for (;;) {
        int64_t k = sc_tokr_read(r, buf, 37, &err);
        ck_assert_msg(k >= 0, "%s: %s", name, err.msg);
        if (k == 0)
            break;
        for (int64_t i = 0; i < k; i++) {
            ck_assert_msg(got + i < n, "%s: too many pairs", name);
            ck_assert_int_eq(buf[i][0], p[got + i][0]);
            ck_assert_int_eq(buf[i][1], p[got + i][1]);
        }
        got += k;
    }
    ck_assert_int_eq(got, n);
    const sc_tok_header *rh = sc_tokr_header(r);
    ck_assert_int_eq(rh->rate, rate);
    ck_assert_int_eq(rh->sem_vocab, sv);
    ck_assert_int_eq(rh->ac_vocab, 8192);
    ck_assert_int_eq(rh->count, n);
    if (fmt != SC_TOKFMT_NPY)
        ck_assert_int_eq(rh->samples, 123456);
    sc_tokr_close(r);
    free(p);
}

START_TEST(test_roundtrip)
{
    static const int64_t counts[] = { 0, 1, 2, 511, 512, 513, 1000, 1537 };
    static const int vocabs[] = { 4096, 8192, 16384, 32768 };
    for (int f = SC_TOKFMT_SC; f <= SC_TOKFMT_NPY; f++)
        for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
            for (size_t v = 0; v < 4; v++)
                for (int known = 0; known < 2; known++)
                    check_roundtrip(f, v & 1 ? 50 : 100, vocabs[v], counts[c], known,
                                    c & 1 ? 512 : 100);
}
END_TEST

/* 10 s at rate 100 / 16384: 500 pairs at 27 bits = 1350 bit/s. */
START_TEST(test_bitrate)
{
    const char *path = sct_scratch("tokstream/rate.sc");
    int64_t (*p)[2] = rand_pairs(500, 16384, 8192, 7);
    sc_tok_header h = hdr(100, 16384, 160000);
    write_file(path, SC_TOKFMT_SC, &h, (const int64_t (*)[2])p, 500, 500);
    size_t n;
    unsigned char *b = slurp(path, &n);
    size_t payload = (500 * 27 + 7) / 8;   /* 1688 */
    ck_assert_uint_eq(n, 40 + 16 + payload + 16);
    ck_assert_uint_le(n, 1800);
    ck_assert(!memcmp(b, "SCTK", 4));
    free(b);
    /* the widths follow the vocabulary */
    ck_assert_int_eq(sc_tok_bits(4096), 12);
    ck_assert_int_eq(sc_tok_bits(8192), 13);
    ck_assert_int_eq(sc_tok_bits(16384), 14);
    ck_assert_int_eq(sc_tok_bits(32768), 15);
    ck_assert_int_eq(sc_tok_bits(10000), 14);
    free(p);
}
END_TEST

static int read_all(const char *path, int fmt, const sc_tok_header *e, sc_err *err)
{
    sc_tok_header h;
    int64_t (*p)[2], n;
    int rc = sc_tok_load(path, fmt, e, &h, &p, &n, err);
    if (rc == SC_OK)
        free(p);
    return rc;
}

/* Every proper prefix of an sc stream, and every single bit flip, fails
 * with a one-line error; never a success, never a crash. */
START_TEST(test_truncate_corrupt)
{
    const char *path = sct_scratch("tokstream/good.sc");
    const char *bad = sct_scratch("tokstream/bad.sc");
    int64_t (*p)[2] = rand_pairs(70, 16384, 8192, 11);
    sc_tok_header h = hdr(100, 16384, 7000);
    sc_err err = {0};
    sc_tokw *w = sc_tokw_open(path, SC_TOKFMT_SC, &h, &err);
    ck_assert(w);
    /* two packets: a flush point at 512 is not reached, so write 70 in one */
    ck_assert(sc_tokw_write(w, (const int64_t (*)[2])p, 70, &err) == SC_OK);
    ck_assert(sc_tokw_close(w, &err) == SC_OK);
    size_t n;
    unsigned char *b = slurp(path, &n);
    ck_assert_int_eq(read_all(path, SC_TOKFMT_AUTO, NULL, &err), SC_OK);
    for (size_t k = 0; k < n; k++) {
        spit(bad, b, k);
        sc_err e = {0};
        ck_assert_msg(read_all(bad, SC_TOKFMT_SC, NULL, &e) < 0, "prefix %zu accepted", k);
        ck_assert(e.msg[0] && !strchr(e.msg, '\n'));
        if (k >= 56)   /* past header and first packet header */
            ck_assert_msg(strstr(e.msg, "truncated"), "prefix %zu: %s", k, e.msg);
    }
    for (size_t k = 0; k < n; k++)
        for (int bit = 0; bit < 8; bit++) {
            b[k] ^= (unsigned char)(1u << bit);
            spit(bad, b, n);
            sc_err e = {0};
            ck_assert_msg(read_all(bad, SC_TOKFMT_SC, NULL, &e) < 0, "flip %zu.%d accepted", k,
                          bit);
            b[k] ^= (unsigned char)(1u << bit);
        }
    /* trailing garbage after the end packet */
    unsigned char *b2 = malloc(n + 1);
    memcpy(b2, b, n);
    b2[n] = 0;
    spit(bad, b2, n + 1);
    ck_assert(read_all(bad, SC_TOKFMT_SC, NULL, &err) < 0);
    sc_err_clear(&err);
    /* a missing end packet names the truncation */
    spit(bad, b, n - 16);
    ck_assert(read_all(bad, SC_TOKFMT_AUTO, NULL, &err) < 0);
    ck_assert_msg(strstr(err.msg, "truncated") && strstr(err.msg, "bad.sc"), "%s", err.msg);
    free(b2);
    free(b);
    free(p);
}
END_TEST

START_TEST(test_out_of_range)
{
    sc_err err = {0};
    const char *path = sct_scratch("tokstream/oor.sc");
    unlink(path);   /* from an earlier run */
    sc_tok_header h = hdr(100, 16384, -1);
    /* the writer refuses */
    for (int f = SC_TOKFMT_SC; f <= SC_TOKFMT_NPY; f++) {
        sc_tokw *w = sc_tokw_open(path, f, &h, &err);
        ck_assert(w);
        int64_t bad1[1][2] = { { 16384, 0 } }, bad2[1][2] = { { 0, 8192 } },
                bad3[1][2] = { { -1, 0 } };
        ck_assert_int_eq(sc_tokw_write(w, (const int64_t (*)[2])bad1, 1, &err), SC_ERANGE);
        ck_assert_msg(strstr(err.msg, "semantic token 16384"), "%s", err.msg);
        sc_tokw_abort(w);
        sc_err_clear(&err);
        w = sc_tokw_open(path, f, &h, &err);
        ck_assert_int_eq(sc_tokw_write(w, (const int64_t (*)[2])bad2, 1, &err), SC_ERANGE);
        ck_assert_msg(strstr(err.msg, "acoustic token 8192"), "%s", err.msg);
        sc_err_clear(&err);
        ck_assert(sc_tokw_close(w, &err) < 0);   /* no file after a failure */
        sc_err_clear(&err);
        w = sc_tokw_open(path, f, &h, &err);
        ck_assert_int_eq(sc_tokw_write(w, (const int64_t (*)[2])bad3, 1, &err), SC_ERANGE);
        sc_tokw_abort(w);
        sc_err_clear(&err);
        ck_assert_msg(access(path, F_OK) != 0, "%s left behind", path);
    }
    /* text reader */
    const char *tp = sct_scratch("tokstream/oor.txt");
    FILE *f = fopen(tp, "w");
    fputs("# sc-tokens v1 rate=100 vocab=4096 acoustic_vocab=8192 flags=0\n1 2\n4096 3\n", f);
    fclose(f);
    ck_assert_int_eq(read_all(tp, SC_TOKFMT_AUTO, NULL, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "oor.txt:3: semantic token 4096 out of range"), "%s", err.msg);
    /* one numbering in a message: the line, not also a (0-based) pair */
    ck_assert_msg(!strstr(err.msg, "pair"), "%s", err.msg);
    sc_err_clear(&err);
    /* npy reader range-checks against the expectation */
    const char *np = sct_scratch("tokstream/oor.npy");
    sc_tok_header none = { 0, 0, 0, 0, -1, -1 };
    sc_tokw *w = sc_tokw_open(np, SC_TOKFMT_NPY, &none, &err);
    ck_assert_msg(w, "%s", err.msg);
    int64_t big[2][2] = { { 5, 6 }, { 20000, 7 } };
    ck_assert(sc_tokw_write(w, (const int64_t (*)[2])big, 2, &err) == SC_OK);
    ck_assert(sc_tokw_close(w, &err) == SC_OK);
    ck_assert_int_eq(read_all(np, SC_TOKFMT_AUTO, NULL, &err), SC_OK);
    sc_tok_header e = hdr(100, 16384, -1);
    ck_assert_int_eq(read_all(np, SC_TOKFMT_AUTO, &e, &err), SC_ERANGE);
    /* without lines, pairs are counted from 1 and the message says so */
    ck_assert_msg(strstr(err.msg, "oor.npy: pair 2 (counting from 1): semantic token 20000 "
                         "out of range (vocabulary 16384)"), "%s", err.msg);
    sc_err_clear(&err);
    /* the vocabulary the file leaves open, named by the caller once it
     * knows it (sc-detok: the model's), is the one checked and named */
    sc_tokr *r = sc_tokr_open(np, SC_TOKFMT_AUTO, NULL, &err);
    ck_assert_msg(r, "%s", err.msg);
    ck_assert_int_eq(sc_tokr_header(r)->sem_vocab, 0);
    ck_assert_int_eq(sc_tokr_set_vocab(r, 16384, 8192, &err), SC_OK);
    ck_assert_int_eq(sc_tokr_header(r)->sem_vocab, 16384);
    int64_t got[2][2];
    ck_assert_int_eq(sc_tokr_read(r, got, 2, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "oor.npy: pair 2 (counting from 1): semantic token 20000 "
                         "out of range (vocabulary 16384)"), "%s", err.msg);
    sc_tokr_close(r);
    sc_err_clear(&err);
    int64_t neg[2][2] = { { 5, 6 }, { -3, 7 } };
    sc_tensor nt;   /* the writer refuses a negative token: sc_npy_save does not */
    sc_tensor_wrap(&nt, SC_I64, 3, (const int64_t[]){ 1, 2, 2 }, neg);
    ck_assert_msg(sc_npy_save(np, &nt, &err) == SC_OK, "%s", err.msg);
    r = sc_tokr_open(np, SC_TOKFMT_AUTO, NULL, &err);
    ck_assert_msg(r, "%s", err.msg);
    ck_assert_int_eq(sc_tokr_set_vocab(r, 4096, 0, &err), SC_OK);
    ck_assert_int_eq(sc_tokr_read(r, got, 1, &err), 1);   /* pair 1 is fine */
    ck_assert_int_eq(sc_tokr_read(r, got, 1, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "oor.npy: pair 2 (counting from 1): semantic token -3 "
                         "out of range (vocabulary 4096)"), "%s", err.msg);
    sc_tokr_close(r);
    sc_err_clear(&err);
    /* with none named, only the sign can be told */
    ck_assert_int_eq(read_all(np, SC_TOKFMT_AUTO, NULL, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "oor.npy: pair 2 (counting from 1): semantic token -3 is negative"),
                  "%s", err.msg);
    sc_err_clear(&err);
    /* a file that names its vocabulary keeps it */
    r = sc_tokr_open(tp, SC_TOKFMT_AUTO, NULL, &err);
    ck_assert_msg(r, "%s", err.msg);
    ck_assert_int_eq(sc_tokr_set_vocab(r, 16384, 8192, &err), SC_EARG);
    ck_assert_msg(strstr(err.msg, "oor.txt: semantic vocabulary is 4096, expected 16384"), "%s",
                  err.msg);
    sc_tokr_close(r);
    sc_err_clear(&err);
    /* a packed stream whose vocabulary is not a power of two: a value that
     * fits the bits but not the vocabulary is caught (header patched, CRC
     * recomputed, so only the range check can see it) */
    h = hdr(100, 16384, -1);
    int64_t v[1][2] = { { 12000, 1 } };
    path = sct_scratch("tokstream/oor10000.sc");
    write_file(path, SC_TOKFMT_SC, &h, (const int64_t (*)[2])v, 1, 1);
    size_t n;
    unsigned char *b = slurp(path, &n);
    sc_put_le32(b + 12, 10000);
    sc_put_le32(b + 36, sc_crc32(0, b, 36));
    spit(path, b, n);
    free(b);
    ck_assert_int_eq(read_all(path, SC_TOKFMT_AUTO, NULL, &err), SC_ERANGE);
    ck_assert_msg(strstr(err.msg, "12000") && strstr(err.msg, "10000"), "%s", err.msg);
}
END_TEST

/* The pair count a header's sample count implies, and the check of a
 * stream against it in both directions (issue 12). */
START_TEST(test_expected_pairs)
{
    /* 48000 samples (3 s) make 152, 76, 38; 224000 (the golden long clip)
     * make 704 at rate 100, the official tokens' count */
    const struct { int rate; int64_t samples, pairs; } c[] = {
        {100, 48000, 152}, {50, 48000, 76}, {25, 48000, 38}, {100, 224000, 704},
        {100, 100, 8}, {25, 1, 2}, {100, 0, 0}, {100, -1, -1}, {0, 48000, -1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        sc_tok_header h = hdr(c[i].rate, 16384, c[i].samples);
        ck_assert_int_eq(sc_tok_expected_pairs(&h), c[i].pairs);
    }
    sc_err err = {0};
    sc_tok_header h = hdr(50, 16384, 48000);
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 76, 1, &err), SC_OK);
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 10, 0, &err), SC_OK);   /* more may come */
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 75, 1, &err), SC_EFORMAT);
    ck_assert_msg(strstr(err.msg, "x.sc: truncated: 75 token pairs") && strstr(err.msg, "make 76"),
                  "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 77, 0, &err), SC_EFORMAT);
    ck_assert_msg(strstr(err.msg, "x.sc: 77 token pairs or more") &&
                      strstr(err.msg, "48000 samples (3.00 s) make only 76"), "%s", err.msg);
    sc_err_clear(&err);
    h.samples = 0;
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 1, 1, &err), SC_EFORMAT);
    ck_assert_msg(strstr(err.msg, "1 token pairs, but the header's 0 samples"), "%s", err.msg);
    sc_err_clear(&err);
    h.samples = -1;   /* unknown: anything goes */
    ck_assert_int_eq(sc_tok_check_pairs(&h, "x.sc", 12345, 1, &err), SC_OK);
}
END_TEST

START_TEST(test_text_form)
{
    sc_err err = {0};
    const char *tp = sct_scratch("tokstream/form.txt");
    sc_tok_header h = hdr(25, 32768, 52800);
    h.flags = SC_TOKF_SYNTHETIC;
    int64_t p[3][2] = { { 0, 8191 }, { 32767, 0 }, { 12, 34 } };
    write_file(tp, SC_TOKFMT_TEXT, &h, (const int64_t (*)[2])p, 3, 3);
    size_t n;
    char *b = (char *)slurp(tp, &n);
    const char *want = "# sc-tokens v1 rate=25 vocab=32768 acoustic_vocab=8192 samples=52800 "
                       "flags=1\n0 8191\n32767 0\n12 34\n# end count=3\n";
    ck_assert_uint_eq(n, strlen(want));
    ck_assert(!memcmp(b, want, n));
    free(b);
    /* hand-edited: comments, blank lines, CRLF, no end line */
    FILE *f = fopen(tp, "w");
    fputs("# sc-tokens v1 rate=25 vocab=32768 acoustic_vocab=8192\r\n# hi\n\n 1  2 \n3\t4\n", f);
    fclose(f);
    sc_tok_header got;
    int64_t (*q)[2], m;
    ck_assert_msg(sc_tok_load(tp, SC_TOKFMT_AUTO, NULL, &got, &q, &m, &err) == SC_OK, "%s",
                  err.msg);
    ck_assert_int_eq(m, 2);
    ck_assert_int_eq(q[1][0], 3);
    ck_assert_int_eq(q[1][1], 4);
    ck_assert_int_eq(got.rate, 25);
    free(q);
    /* errors name the line */
    static const char *const bad[] = {
        "# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n3 x\n",
        "# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n3 4 5\n",
        "# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n3 4\n# end count=3\n",
        "# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n3",
        "# sc-tokens v1 rate=100 vocab=16384 acoustic_vocab=8192\n1 2\n# end count=1\n3 4\n",
        "# sc-tokens v1 rate=42 vocab=16384 acoustic_vocab=8192\n1 2\n",
        "# sc-tokens v2\n1 2\n",
        "1 2\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        f = fopen(tp, "w");
        fputs(bad[i], f);
        fclose(f);
        sc_err_clear(&err);
        ck_assert_msg(read_all(tp, i == 7 ? SC_TOKFMT_TEXT : SC_TOKFMT_AUTO, NULL, &err) < 0,
                      "case %zu accepted", i);
        ck_assert_msg(strstr(err.msg, "form.txt"), "case %zu: %s", i, err.msg);
    }
}
END_TEST

/* npy: int64 [1, L, 2], read back equal to the official encode() output. */
START_TEST(test_npy_golden)
{
    static const char *const g[] = { "golden/short_tr100_tokens.npy", "golden/long_tr50_tokens.npy",
                                     "golden/long_tr25_tokens.npy" };
    for (int i = 0; i < 3; i++) {
        sc_err err = {0};
        sc_tok_header h;
        int64_t (*p)[2], n;
        const char *src = sct_ref_path(g[i]);
        ck_assert_msg(sc_tok_load(src, SC_TOKFMT_AUTO, NULL, &h, &p, &n, &err) == SC_OK, "%s",
                      err.msg);
        sc_tensor t;
        sct_load_npy(g[i], &t);
        ck_assert_int_eq(t.ndim, 3);
        ck_assert_int_eq(n, t.shape[1]);
        ck_assert(!memcmp(p, t.data, sizeof *p * (size_t)n));
        /* written back (streamed with a known count, and buffered): the
         * same array, and numpy's header layout */
        const char *out = sct_scratch("tokstream/golden_copy.npy");
        for (int known = 0; known < 2; known++) {
            sc_tok_header wh = { 100, 16384, 8192, 0, -1, known ? n : -1 };
            write_file(out, SC_TOKFMT_NPY, &wh, (const int64_t (*)[2])p, n, 64);
            sc_tensor u;
            ck_assert_msg(sc_npy_load(out, &u, &err) == SC_OK, "%s", err.msg);
            ck_assert_int_eq(u.dtype, SC_I64);
            ck_assert_int_eq(u.ndim, 3);
            ck_assert_int_eq(u.shape[0], 1);
            ck_assert_int_eq(u.shape[1], n);
            ck_assert_int_eq(u.shape[2], 2);
            ck_assert(!memcmp(u.data, t.data, sizeof *p * (size_t)n));
            sc_tensor_release(&u);
            size_t a, b;
            unsigned char *x = slurp(out, &a), *y = slurp(src, &b);
            ck_assert_uint_eq(a, b);
            ck_assert_msg(!memcmp(x, y, a), "%s: bytes differ from the golden file", g[i]);
            free(x);
            free(y);
        }
        sc_tensor_release(&t);
        free(p);
    }
}
END_TEST

START_TEST(test_expect_conflict)
{
    sc_err err = {0};
    const char *path = sct_scratch("tokstream/conf.sc");
    sc_tok_header h = hdr(50, 8192, 1000);
    int64_t p[1][2] = { { 1, 2 } };
    write_file(path, SC_TOKFMT_SC, &h, (const int64_t (*)[2])p, 1, 1);
    sc_tok_header e = hdr(100, 0, -1);
    e.ac_vocab = 0;
    ck_assert(read_all(path, SC_TOKFMT_AUTO, &e, &err) < 0);
    ck_assert_msg(strstr(err.msg, "rate is 50, expected 100"), "%s", err.msg);
    sc_err_clear(&err);
    e = hdr(50, 16384, -1);
    ck_assert(read_all(path, SC_TOKFMT_AUTO, &e, &err) < 0);
    ck_assert_msg(strstr(err.msg, "vocabulary is 8192, expected 16384"), "%s", err.msg);
    sc_err_clear(&err);
    /* not a token file */
    const char *junk = sct_scratch("tokstream/junk");
    spit(junk, "RIFF....", 8);
    ck_assert(read_all(junk, SC_TOKFMT_AUTO, NULL, &err) < 0);
    ck_assert_msg(strstr(err.msg, "not a token file"), "%s", err.msg);
    sc_err_clear(&err);
    spit(junk, "", 0);
    ck_assert(read_all(junk, SC_TOKFMT_AUTO, NULL, &err) < 0);
    sc_err_clear(&err);
    /* unwritable output: error at open, nothing left */
    h = hdr(100, 16384, -1);
    ck_assert(!sc_tokw_open("/nonexistent-dir/x.sc", SC_TOKFMT_SC, &h, &err));
    ck_assert_msg(strstr(err.msg, "/nonexistent-dir/x.sc"), "%s", err.msg);
    sc_err_clear(&err);
    /* an sc stream needs rate and vocabularies */
    sc_tok_header none = { 0, 0, 0, 0, -1, -1 };
    ck_assert(!sc_tokw_open(path, SC_TOKFMT_SC, &none, &err));
    sc_err_clear(&err);
    /* unpublished rate in a header */
    sc_tok_header r42 = hdr(42, 16384, -1);
    ck_assert(!sc_tokw_open(path, SC_TOKFMT_TEXT, &r42, &err));
    ck_assert_msg(strstr(err.msg, "42"), "%s", err.msg);
    int fmt;
    ck_assert_int_eq(sc_tokfmt_parse("sc", &fmt), SC_OK);
    ck_assert_int_eq(fmt, SC_TOKFMT_SC);
    ck_assert_int_eq(sc_tokfmt_parse("text", &fmt), SC_OK);
    ck_assert_int_eq(fmt, SC_TOKFMT_TEXT);
    ck_assert_int_eq(sc_tokfmt_parse("npy", &fmt), SC_OK);
    ck_assert_int_eq(fmt, SC_TOKFMT_NPY);
    ck_assert_int_eq(sc_tokfmt_parse("wav", &fmt), SC_EARG);
}
END_TEST

/* A pipe: the reader hands out a packet as soon as it is complete. */
START_TEST(test_stream_incremental)
{
    int fds[2];
    ck_assert(pipe(fds) == 0);
    FILE *wf = fdopen(fds[1], "wb"), *rf = fdopen(fds[0], "rb");
    sc_err err = {0};
    sc_tok_header h = hdr(100, 16384, -1);
    sc_tokw *w = sc_tokw_open_file(wf, "pipe", SC_TOKFMT_SC, &h, &err);
    ck_assert(w);
    int64_t (*p)[2] = rand_pairs(512, 16384, 8192, 3);
    ck_assert(sc_tokw_write(w, (const int64_t (*)[2])p, 512, &err) == SC_OK);
    fflush(wf);
    sc_tokr *r = sc_tokr_open_file(rf, "pipe", SC_TOKFMT_AUTO, NULL, &err);
    ck_assert_msg(r, "%s", err.msg);
    int64_t buf[512][2];
    ck_assert_int_eq(sc_tokr_read(r, buf, 512, &err), 512);
    ck_assert(!memcmp(buf, p, sizeof buf));
    ck_assert(sc_tokw_close(w, &err) == SC_OK);
    fclose(wf);
    ck_assert_int_eq(sc_tokr_read(r, buf, 512, &err), 0);
    sc_tokr_close(r);
    fclose(rf);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokstream");
    TCase *tc = tcase_create("tokstream");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_bitrate);
    tcase_add_test(tc, test_truncate_corrupt);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_expected_pairs);
    tcase_add_test(tc, test_text_form);
    tcase_add_test(tc, test_npy_golden);
    tcase_add_test(tc, test_expect_conflict);
    tcase_add_test(tc, test_stream_incremental);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
