/* Check tests of the .npy reader and writer: round trips of every dtype,
 * strided writes, format versions 1-3, the strict header grammar, lying
 * headers, atomic saves and "-" for stdout. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc/npy.h"
#include "sctest.h"

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    ck_assert(p);
    ck_assert_int_eq(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void fill(sc_tensor *t)
{
    size_t nb = (size_t)sc_tensor_numel(t) * sc_dtype_size(t->dtype);
    for (size_t i = 0; i < nb; i++)
        ((unsigned char *)t->data)[i] = (unsigned char)(i * 37 + 11);
    if (t->dtype == SC_BOOL)
        for (size_t i = 0; i < nb; i++)
            ((unsigned char *)t->data)[i] &= 1;
}

START_TEST(test_roundtrip)
{
    static const sc_dtype types[] = {SC_F32, SC_F16, SC_BF16, SC_F64, SC_I64,
                                     SC_I32, SC_I16, SC_I8,   SC_U8,  SC_BOOL};
    static const char *const descr[] = {"'<f4'", "'<f2'", "'<u2'", "'<f8'", "'<i8'",
                                        "'<i4'", "'<i2'", "'|i1'", "'|u1'", "'|b1'"};
    sc_err err = {0};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        sc_tensor t, back;
        ck_assert_int_eq(sc_tensor_alloc(&t, types[k], 3, (const int64_t[]){2, 3, 5}, &err), SC_OK);
        fill(&t);
        char rel[64];
        snprintf(rel, sizeof rel, "npy/rt_%s.npy", sc_dtype_name(types[k]));
        const char *path = sct_scratch(rel);
        ck_assert_msg(sc_npy_save(path, &t, &err) == SC_OK, "%s", err.msg);
        size_t n;
        unsigned char *raw = slurp(path, &n);
        size_t hl = raw[8] | raw[9] << 8;
        ck_assert_int_eq((10 + hl) % 64, 0);
        ck_assert_int_eq(raw[10 + hl - 1], '\n');
        ck_assert_ptr_nonnull(strstr((char *)raw + 10, descr[k]));
        ck_assert_ptr_nonnull(strstr((char *)raw + 10, "'shape': (2, 3, 5), }"));
        ck_assert_uint_eq(n, 10 + hl + 30 * sc_dtype_size(types[k]));
        free(raw);
        ck_assert_msg(sc_npy_load(path, &back, &err) == SC_OK, "%s", err.msg);
        ck_assert_int_eq(back.dtype, types[k]);
        ck_assert_int_eq(back.ndim, 3);
        ck_assert_int_eq(back.shape[2], 5);
        ck_assert_int_eq(back.stride[0], 15);
        ck_assert_ptr_nonnull(back.storage);
        ck_assert_int_eq(memcmp(back.data, t.data, 30 * sc_dtype_size(types[k])), 0);
        sc_tensor_release(&back);
        sc_tensor_release(&t);
    }
}
END_TEST

START_TEST(test_shapes)
{
    sc_err err = {0};
    sc_tensor t, back;
    /* 0-dim, 1-dim, empty */
    float v = 3.5f;
    sc_tensor_wrap(&t, SC_F32, 0, NULL, &v);
    const char *p = sct_scratch("npy/scalar.npy");
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_int_eq(back.ndim, 0);
    ck_assert_float_eq(*(float *)back.data, 3.5f);
    sc_tensor_release(&back);

    sc_tensor_wrap(&t, SC_F32, 1, (const int64_t[]){1}, &v);
    p = sct_scratch("npy/one.npy");
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    size_t n;
    unsigned char *raw = slurp(p, &n);
    ck_assert_ptr_nonnull(strstr((char *)raw + 10, "'shape': (1,), }"));
    free(raw);

    sc_tensor_wrap(&t, SC_F32, 2, (const int64_t[]){2, 0}, NULL);
    p = sct_scratch("npy/empty.npy");
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_int_eq(back.ndim, 2);
    ck_assert_int_eq(back.shape[1], 0);
    sc_tensor_release(&back);

    /* strided views are written in C order */
    float m[12];
    for (int i = 0; i < 12; i++)
        m[i] = (float)i;
    sc_tensor_wrap(&t, SC_F32, 2, (const int64_t[]){4, 3}, m);
    t.stride[0] = 1;    /* the transpose of a 3x4 matrix */
    t.stride[1] = 4;
    p = sct_scratch("npy/transposed.npy");
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            ck_assert_float_eq(((float *)back.data)[i * 3 + j], m[j * 4 + i]);
    sc_tensor_release(&back);
    /* every other element, over the 64 KiB gather buffer */
    static uint16_t big[300000];
    for (int i = 0; i < 300000; i++)
        big[i] = (uint16_t)i;
    sc_tensor_wrap(&t, SC_I16, 1, (const int64_t[]){150000}, big);
    t.stride[0] = 2;
    p = sct_scratch("npy/every_other.npy");
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    for (int i = 0; i < 150000; i++)
        ck_assert_uint_eq(((uint16_t *)back.data)[i], (uint16_t)(2 * i));
    sc_tensor_release(&back);
}
END_TEST

/* A .npy image with a given version and header text (padded to 64 by
 * default) followed by data bytes. */
static unsigned char *mk(int major, const char *hdr, int pad, size_t ndata, size_t *n)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(hdr);
    size_t tot = pad ? (pre + hl + 1 + 63) / 64 * 64 : pre + hl;
    unsigned char *p = calloc(1, tot + ndata + 1);
    memcpy(p, "\x93NUMPY", 6);
    p[6] = (unsigned char)major;
    p[7] = 0;
    size_t len = tot - pre;
    for (size_t i = 0; i < pre - 8; i++)
        p[8 + i] = (unsigned char)(len >> (8 * i));
    memcpy(p + pre, hdr, hl);
    if (pad) {
        memset(p + pre + hl, ' ', tot - pre - hl - 1);
        p[tot - 1] = '\n';
    }
    for (size_t i = 0; i < ndata; i++)
        p[tot + i] = (unsigned char)i;
    *n = tot + ndata;
    return p;
}

START_TEST(test_versions)
{
    static const struct {
        int major;
        const char *hdr;
        sc_dtype dtype;
        int ndim;
        int64_t d0;
    } ok[] = {
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", SC_F32, 2, 2},
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", SC_F32, 2, 2},
        {3, "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }", SC_I64, 1, 6},
        {1, "{\"shape\": (6,), \"fortran_order\": False, \"descr\": \"<f2\"}", SC_F16, 1, 6},
        {1, "{'descr':'=f4','fortran_order':False,'shape':(3,2)}", SC_F32, 2, 3},
        {1, "{'descr': '<u1', 'fortran_order': False, 'shape': (), }", SC_U8, 0, 0},
        {1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1), }", SC_BOOL, 8, 1},
        {1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", SC_BF16, 1, 2},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        size_t n;
        unsigned char *p = mk(ok[k].major, ok[k].hdr, 1, 64, &n);
        sc_tensor t;
        sc_err err = {0};
        ck_assert_msg(sc_npy_parse(p, n, "x.npy", &t, &err) == SC_OK, "%zu: %s", k, err.msg);
        ck_assert_int_eq(t.dtype, ok[k].dtype);
        ck_assert_int_eq(t.ndim, ok[k].ndim);
        if (t.ndim)
            ck_assert_int_eq(t.shape[0], ok[k].d0);
        ck_assert_ptr_null(t.storage);
        ck_assert_ptr_eq(t.data, p + n - 64);
        free(p);
    }
}
END_TEST

START_TEST(test_errors)
{
    static const struct {
        int major, pad;
        const char *hdr;
        size_t ndata;
        int code;
        const char *msg;
    } bad[] = {
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }", 4, SC_EFORMAT,
         "header promises 400 bytes of data, the file has 4"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 23, SC_EFORMAT,
         "promises 24 bytes"},
        {1, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, SC_EUNSUPPORTED,
         "fortran_order arrays are not supported"},
        {1, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, SC_EUNSUPPORTED,
         "big-endian dtype '>f4'"},
        {1, 1, "{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", 16, SC_EUNSUPPORTED,
         "big-endian"},
        {1, 1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, SC_EUNSUPPORTED,
         "unsupported npy dtype '|O'"},
        {1, 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16, SC_EUNSUPPORTED,
         "unsupported npy dtype '<c8'"},
        {1, 1, "{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", 16, SC_EUNSUPPORTED,
         "unsupported npy dtype"},
        {1, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 16,
         SC_EUNSUPPORTED, "structured"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, }", 16, SC_EFORMAT, "lacks 'shape'"},
        {1, 1, "{'descr': '<f4', 'shape': (2,), }", 16, SC_EFORMAT, "lacks 'fortran_order'"},
        {1, 1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 16,
         SC_EFORMAT, "duplicate 'descr'"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 16, SC_EFORMAT,
         "unexpected key 'x'"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 9999999), }",
         16, SC_ERANGE, "npy shape overflows"},
        {1, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", 16,
         SC_ERANGE, "npy shape overflows"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 16,
         SC_ERANGE, "out of range"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 16, SC_EFORMAT,
         "bad 'shape'"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", 16, SC_EFORMAT,
         "'shape' is not a tuple"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }", 16, SC_EFORMAT,
         "bad 'shape'"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': [3], }", 16, SC_EFORMAT,
         "'shape' is not a tuple"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 16,
         SC_EUNSUPPORTED, "more than 8 dimensions"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 16, SC_EFORMAT,
         "junk after the dict"},
        {1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 16, SC_EFORMAT,
         "junk after the dict"},
        {1, 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", 16, SC_EFORMAT,
         "bad 'fortran_order'"},
        {1, 1, "{'de\\x63r': '<f4', 'fortran_order': False, 'shape': (2,), }", 16, SC_EFORMAT,
         "bad key"},
        {1, 1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", 16, SC_EFORMAT,
         "expected ',' or '}'"},
        {1, 1, "['descr', '<f4']", 16, SC_EFORMAT, "not a dict"},
        {1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\xc3\xa9': 1}", 16,
         SC_EFORMAT, "non-ASCII"},
        {1, 1, "{'descr' '<f4'}", 16, SC_EFORMAT, "missing ':'"},
        {4, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 16, SC_EUNSUPPORTED,
         "version 4.0"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t n;
        unsigned char *p = mk(bad[k].major == 4 ? 2 : bad[k].major, bad[k].hdr, bad[k].pad,
                              bad[k].ndata, &n);
        if (bad[k].major == 4)
            p[6] = 4;
        sc_tensor t;
        sc_err err = {0};
        int rc = sc_npy_parse(p, n, "bad.npy", &t, &err);
        ck_assert_msg(rc == bad[k].code, "%zu: rc %d, expected %d (%s)", k, rc, bad[k].code,
                      err.msg);
        ck_assert_msg(strstr(err.msg, bad[k].msg) && !strncmp(err.msg, "bad.npy: ", 9),
                      "%zu: message '%s' lacks '%s'", k, err.msg, bad[k].msg);
        /* every truncation fails cleanly too */
        for (size_t cut = 0; cut < n; cut++) {
            sc_err e2 = {0};
            ck_assert_msg(sc_npy_parse(p, cut, "bad.npy", &t, &e2) < 0, "%zu: prefix %zu accepted",
                          k, cut);
            ck_assert_int_ne(e2.code, SC_OK);
        }
        free(p);
    }
    sc_tensor t;
    sc_err err = {0};
    ck_assert_int_eq(sc_npy_parse("\x93NUMPX\x01\x00\x00\x00", 10, "m.npy", &t, &err), SC_EFORMAT);
    ck_assert_str_eq(err.msg, "m.npy: not a .npy file (bad magic)");
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_parse("\x93NUMPY\x01\x01\x00\x00", 10, "m.npy", &t, &err),
                     SC_EUNSUPPORTED);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_parse("\x93NUMPY\x01\x00\xff\x00{", 11, "m.npy", &t, &err), SC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated npy header (255 bytes, file has 1)"));
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_parse("\x93NUMPY\x02\x00\xff", 9, "m.npy", &t, &err), SC_EFORMAT);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_parse("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12, "m.npy", &t, &err),
                     SC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated npy header"));
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_load("/nonexistent/x.npy", &t, &err), SC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.npy"));
    /* an empty file */
    const char *p = sct_scratch("npy/zero.npy");
    fclose(fopen(p, "wb"));
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_load(p, &t, &err), SC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a .npy file"));
}
END_TEST

static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

START_TEST(test_atomic_save)
{
    sc_err err = {0};
    sc_tensor t, back;
    float v[4] = {1, 2, 3, 4};
    sc_tensor_wrap(&t, SC_F32, 1, (const int64_t[]){4}, v);
    const char *p = sct_scratch("npy/atomic/out.npy");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", p);
    *strrchr(dir, '/') = 0;
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    /* a failing write leaves the old file and no temporary behind */
    sc_tensor bad;
    sc_tensor_wrap(&bad, SC_F32, 1, (const int64_t[]){8}, NULL);
    ck_assert_int_eq(sc_npy_save(p, &bad, &err), SC_EARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "out.npy: tensor has no data"));
    ck_assert_int_eq(count_tmp(dir), 0);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_int_eq(back.shape[0], 4);
    sc_tensor_release(&back);
    /* overwriting replaces it */
    float w[2] = {9, 8};
    sc_tensor_wrap(&t, SC_F32, 1, (const int64_t[]){2}, w);
    sc_err_clear(&err);
    ck_assert_int_eq(sc_npy_save(p, &t, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_int_eq(back.shape[0], 2);
    ck_assert_float_eq(((float *)back.data)[1], 8.0f);
    sc_tensor_release(&back);
    ck_assert_int_eq(count_tmp(dir), 0);
    /* an unwritable place */
    ck_assert_int_eq(sc_npy_save("/nonexistent/dir/x.npy", &t, &err), SC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/dir/x.npy: cannot create"));
    /* bad dtype */
    sc_err_clear(&err);
    sc_tensor_wrap(&bad, (sc_dtype)42, 1, (const int64_t[]){2}, w);
    ck_assert_int_eq(sc_npy_save(p, &bad, &err), SC_EARG);
    ck_assert_int_eq(count_tmp(dir), 0);
}
END_TEST

START_TEST(test_stdout)
{
    const char *p = sct_scratch("npy/stdout.npy");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 1);
    close(fd);
    int16_t v[3] = {-1, 0, 7};
    sc_tensor t, back;
    sc_tensor_wrap(&t, SC_I16, 1, (const int64_t[]){3}, v);
    sc_err err = {0};
    int rc = sc_npy_save("-", &t, &err);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    ck_assert_msg(rc == SC_OK, "%s", err.msg);
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_int_eq(back.dtype, SC_I16);
    ck_assert_int_eq(((int16_t *)back.data)[0], -1);
    ck_assert_int_eq(((int16_t *)back.data)[2], 7);
    sc_tensor_release(&back);
}
END_TEST

START_TEST(test_stream_header)
{
    const char *p = sct_scratch("npy/stream.npy");
    FILE *f = fopen(p, "wb");
    sc_err err = {0};
    int hl = sc_npy_write_header(f, SC_F32, 2, (const int64_t[]){2, 2}, p, &err);
    ck_assert_int_eq(hl, 128);     /* as numpy: 10 + 60 + '\n' padded to 64 */
    float v[4] = {1, 2, 3, 4};
    fwrite(v, 4, 4, f);
    fclose(f);
    sc_tensor back;
    ck_assert_int_eq(sc_npy_load(p, &back, &err), SC_OK);
    ck_assert_float_eq(((float *)back.data)[3], 4.0f);
    sc_tensor_release(&back);
    /* byte-identical to numpy's header for the same array */
    static const struct { const char *rel; sc_dtype dt; int nd; int64_t sh[3]; } same[] = {
        {"loader/expected/empty2d.npy", SC_F32, 2, {2, 0}},
        {"loader/expected/bf16.bf16bits.npy", SC_BF16, 3, {2, 3, 2}},
        {"loader/expected/bool.npy", SC_BOOL, 1, {5}},
    };
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        size_t n;
        unsigned char *want = slurp(sct_ref_path(same[k].rel), &n);
        char *mine = NULL;
        size_t mlen = 0;
        FILE *m = open_memstream(&mine, &mlen);
        int h = sc_npy_write_header(m, same[k].dt, same[k].nd, same[k].sh, "x", &err);
        fclose(m);
        ck_assert_int_eq(h, (int)mlen);
        ck_assert_uint_le(mlen, n);
        ck_assert_msg(memcmp(mine, want, mlen) == 0, "%s: header differs", same[k].rel);
        free(mine);
        free(want);
    }
    ck_assert_int_eq(sc_npy_write_header(stderr, SC_F32, 9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1},
                                         "x", &err),
                     SC_EARG);
}
END_TEST

/* The parity kit's own .npy files read with the expected dtypes. */
START_TEST(test_kit_files)
{
    static const struct { const char *rel; sc_dtype dtype; int64_t n; } kit[] = {
        {"loader/expected/bool.npy", SC_BOOL, 5},
        {"loader/expected/u8.npy", SC_U8, 4},
        {"loader/expected/bf16.bf16bits.npy", SC_BF16, 12},
        {"loader/expected/i32.num_updates.npy", SC_I32, 1},
        {"loader/expected/i64.npy", SC_I64, 6},
        {"loader/expected/f64.npy", SC_F64, 3},
        {"loader/expected/f16.npy", SC_F16, 12},
        {"loader/expected/empty2d.npy", SC_F32, 0},
    };
    for (size_t k = 0; k < sizeof kit / sizeof kit[0]; k++) {
        sc_tensor t;
        sct_load_npy(kit[k].rel, &t);
        ck_assert_int_eq(t.dtype, kit[k].dtype);
        ck_assert_int_eq(sc_tensor_numel(&t), kit[k].n);
        sc_tensor_release(&t);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("npy");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_shapes);
    tcase_add_test(tc, test_versions);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_atomic_save);
    tcase_add_test(tc, test_stdout);
    tcase_add_test(tc, test_stream_header);
    tcase_add_test(tc, test_kit_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_ENV);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
