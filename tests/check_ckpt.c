/* Check tests of the checkpoint reader, the restricted pickle VM, the zip
 * reader and sc_weights.
 *
 *  - The four loader fixtures of the parity kit (torch 1.13: zip, legacy,
 *    Lightning-wrapped) are compared tensor by tensor, bit for bit, with
 *    loader/expected/KEY.npy, and strides, offsets, storage sizes and shared
 *    storages with loader/index.json (its values are written out below).
 *  - Hostile inputs are made here: by byte surgery on the fixtures, or with
 *    the small pickle/zip writers below.  Each must give the expected code
 *    and message, never a crash.
 *  - A sparse ZIP64 checkpoint of 4.5 GB proves that opening reads only the
 *    directory and the pickle (no storage page becomes resident).
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc/ckpt.h"
#include "sc/mmap.h"
#include "sc/npy.h"
#include "sc/weights.h"
#include "sctest.h"

/* ---- loader/index.json ------------------------------------------------ */

typedef struct expect {
    const char *key;
    sc_dtype dtype;
    int ndim;
    int64_t shape[3], stride[3];
    int64_t offset, storage_numel;
    int shared;     /* 1: the four shared.* views of one storage */
} expect;

static const expect fixture[] = {
    {"f32.weight", SC_F32, 2, {3, 5}, {5, 1}, 0, 15, 0},
    {"f32.bias", SC_F32, 1, {5}, {1}, 0, 5, 0},
    {"f16", SC_F16, 2, {4, 3}, {3, 1}, 0, 12, 0},
    {"bf16", SC_BF16, 3, {2, 3, 2}, {6, 2, 1}, 0, 12, 0},
    {"f64", SC_F64, 1, {3}, {1}, 0, 3, 0},
    {"i64", SC_I64, 2, {2, 3}, {3, 1}, 0, 6, 0},
    {"i32.num_updates", SC_I32, 0, {0}, {0}, 0, 1, 0},
    {"bool", SC_BOOL, 1, {5}, {1}, 0, 5, 0},
    {"u8", SC_U8, 1, {4}, {1}, 0, 4, 0},
    {"scalar_f32", SC_F32, 0, {0}, {0}, 0, 1, 0},
    {"initted", SC_F32, 1, {1}, {1}, 0, 1, 0},
    {"shared.base", SC_F32, 2, {4, 6}, {6, 1}, 0, 24, 1},
    {"shared.slice", SC_F32, 2, {2, 3}, {6, 1}, 8, 24, 1},
    {"shared.transposed", SC_F32, 2, {6, 4}, {1, 6}, 0, 24, 1},
    {"shared.every_other", SC_F32, 1, {11}, {2}, 3, 24, 1},
    {"tail.view", SC_F32, 1, {3}, {1}, 6, 10, 0},
    {"empty", SC_F32, 1, {0}, {1}, 0, 0, 0},
    {"empty2d", SC_F32, 2, {2, 0}, {1, 1}, 0, 0, 0},
};
#define NFIX ((int)(sizeof fixture / sizeof fixture[0]))

static const char *const fixture_files[] = {
    "loader/plain_zip.ckpt", "loader/plain_legacy.ckpt", "loader/lightning_zip.ckpt",
    "loader/lightning_legacy.ckpt"};

/* Element i (C order) of a strided tensor. */
static const unsigned char *elem(const sc_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (i % t->shape[d]) * t->stride[d];
        i /= t->shape[d];
    }
    return (const unsigned char *)t->data + off * (int64_t)sc_dtype_size(t->dtype);
}

/* Exact comparison with an expected .npy of the same dtype and shape. */
static void assert_equal_npy(const char *what, const sc_tensor *t, const char *rel)
{
    sc_tensor want;
    sct_load_npy(rel, &want);
    ck_assert_msg(want.dtype == t->dtype, "%s: dtype %s, expected %s", what,
                  sc_dtype_name(t->dtype), sc_dtype_name(want.dtype));
    if (t->ndim == 0) {     /* the kit stores 0-dim tensors with shape (1,) */
        ck_assert_int_eq(sc_tensor_numel(&want), 1);
    } else {
        ck_assert_int_eq(want.ndim, t->ndim);
        for (int d = 0; d < t->ndim; d++)
            ck_assert_int_eq(want.shape[d], t->shape[d]);
    }
    int64_t n = sc_tensor_numel(t);
    size_t es = sc_dtype_size(t->dtype);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(elem(t, i), elem(&want, i), es) == 0, "%s: element %lld differs",
                      what, (long long)i);
    sc_tensor_release(&want);
}

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)sz + 1);
    ck_assert(p);
    ck_assert_int_eq(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

START_TEST(test_fixture)
{
    const char *path = sct_ref_path(fixture_files[_i]);
    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_ckpt_format(ck), strstr(path, "zip") ? 1 : 2);
    ck_assert_str_eq(sc_ckpt_path(ck), path);
    ck_assert_int_eq(sc_ckpt_count(ck), NFIX);
    int64_t shared_id = -1;
    for (int i = 0; i < NFIX; i++) {
        const expect *x = &fixture[i];
        const char *key;
        const sc_tensor *t = sc_ckpt_at(ck, i, &key);
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(key, x->key);                /* state-dict order */
        ck_assert_ptr_eq(sc_ckpt_find(ck, x->key), t);
        ck_assert_int_eq(t->dtype, x->dtype);
        ck_assert_int_eq(t->ndim, x->ndim);
        for (int d = 0; d < x->ndim; d++) {
            ck_assert_int_eq(t->shape[d], x->shape[d]);
            ck_assert_int_eq(t->stride[d], x->stride[d]);
        }
        ck_assert_int_eq(t->offset, x->offset);
        ck_assert_ptr_nonnull(t->storage);
        ck_assert_uint_eq(t->storage->nbytes, (size_t)x->storage_numel * sc_dtype_size(x->dtype));
        if (sc_tensor_numel(t))
            ck_assert_ptr_eq(t->data, (char *)t->storage->base + x->offset * (int64_t)sc_dtype_size(x->dtype));
        /* storage identity: one id for the shared views, distinct otherwise */
        int64_t id = sc_ckpt_storage_id(ck, i);
        if (x->shared) {
            if (shared_id < 0)
                shared_id = id;
            ck_assert_int_eq(id, shared_id);
            ck_assert_ptr_eq(t->storage, sc_ckpt_at(ck, 11, NULL)->storage);
        }
        for (int j = 0; j < i; j++)
            if (!(x->shared && fixture[j].shared))
                ck_assert_int_ne(id, sc_ckpt_storage_id(ck, j));

        char rel[128];
        if (x->dtype == SC_BF16) {
            /* raw bits, then the float32 widening */
            assert_equal_npy(x->key, t, "loader/expected/bf16.bf16bits.npy");
            sc_tensor want;
            sct_load_npy("loader/expected/bf16.npy", &want);
            float got[12];
            ck_assert_int_eq(sc_tensor_to_f32(t, got, &err), SC_OK);
            ck_assert_int_eq(memcmp(got, want.data, sizeof got), 0);
            sc_tensor_release(&want);
        } else {
            snprintf(rel, sizeof rel, "loader/expected/%s.npy", x->key);
            assert_equal_npy(x->key, t, rel);
        }
    }
    ck_assert_ptr_null(sc_ckpt_find(ck, "missing"));
    ck_assert_ptr_null(sc_ckpt_at(ck, NFIX, NULL));
    ck_assert_int_eq(sc_ckpt_storage_id(ck, -1), -1);

    /* Tensors keep the mapping alive past close when retained. */
    sc_tensor keep;
    sc_tensor_retain(&keep, sc_ckpt_find(ck, "shared.transposed"));
    sc_ckpt_close(ck);
    assert_equal_npy("retained", &keep, "loader/expected/shared.transposed.npy");
    sc_tensor_release(&keep);
}
END_TEST

/* The in-memory entry point reads the same. */
START_TEST(test_fixture_mem)
{
    size_t n;
    char *d = read_file(sct_ref_path(fixture_files[_i]), &n);
    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open_mem(d, n, "mem", &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_ckpt_count(ck), NFIX);
    assert_equal_npy("mem", sc_ckpt_find(ck, "shared.every_other"),
                     "loader/expected/shared.every_other.npy");
    sc_ckpt_close(ck);
    free(d);
}
END_TEST

/* ---- weights ------------------------------------------------------------- */

START_TEST(test_weights_ckpt)
{
    const char *path = sct_ref_path("loader/plain_zip.ckpt");
    sc_err err = {0};
    sc_weights *w = sc_weights_open(path, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_str_eq(sc_weights_path(w), path);
    ck_assert_int_eq(sc_weights_count(w), NFIX);
    ck_assert_str_eq(sc_weights_key(w, 3), "bf16");
    ck_assert_ptr_null(sc_weights_key(w, NFIX));

    /* contiguous aligned float32: the mapped bytes themselves */
    const sc_tensor *t = sc_weights_get(w, "f32.weight", &err);
    ck_assert_ptr_nonnull(t);
    const float *f = sc_weights_f32(w, "f32.weight", 2, (const int64_t[]){3, 5}, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    ck_assert_ptr_eq(f, t->data);
    /* wildcard dims */
    ck_assert_ptr_eq(sc_weights_f32(w, "f32.weight", 2, (const int64_t[]){-1, 5}, &err), f);

    /* strided and half types: converted once, cached */
    static const struct { const char *key, *npy; int nd; int64_t sh[3]; } conv[] = {
        {"shared.transposed", "loader/expected/shared.transposed.npy", 2, {6, 4}},
        {"shared.slice", "loader/expected/shared.slice.npy", 2, {2, 3}},
        {"shared.every_other", "loader/expected/shared.every_other.npy", 1, {11}},
        {"bf16", "loader/expected/bf16.npy", 3, {2, 3, 2}},
        {"tail.view", "loader/expected/tail.view.npy", 1, {3}},
    };
    for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++) {
        const float *c = sc_weights_f32(w, conv[i].key, conv[i].nd, conv[i].sh, &err);
        ck_assert_msg(c != NULL, "%s", err.msg);
        ck_assert_ptr_eq(sc_weights_f32(w, conv[i].key, conv[i].nd, conv[i].sh, &err), c);
        sc_tensor want;
        sct_load_npy(conv[i].npy, &want);
        ck_assert_int_eq(memcmp(c, want.data, (size_t)sc_tensor_numel(&want) * 4), 0);
        sc_tensor_release(&want);
    }
    /* f16 widened exactly */
    const float *h = sc_weights_f32(w, "f16", 2, (const int64_t[]){4, 3}, &err);
    ck_assert_ptr_nonnull(h);
    const sc_tensor *ht = sc_weights_get(w, "f16", &err);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(h[i], sc_f16_to_f32(((const uint16_t *)ht->data)[i]));
    ck_assert_ptr_nonnull(sc_weights_f32(w, "empty2d", 2, (const int64_t[]){2, 0}, &err));
    ck_assert_ptr_nonnull(sc_weights_f32(w, "scalar_f32", 0, NULL, &err));

    /* errors: shape, missing key, dtype */
    char want[512];
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_f32(w, "f32.weight", 2, (const int64_t[]){5, 3}, &err));
    snprintf(want, sizeof want, "%s: key 'f32.weight': shape 3x5, expected 5x3", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(err.code, SC_EFORMAT);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_f32(w, "f32.bias", 2, (const int64_t[]){5, 1}, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "shape 5, expected 5x1"));
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_f32(w, "nope", 1, (const int64_t[]){1}, &err));
    snprintf(want, sizeof want, "%s: missing key 'nope'", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_f32(w, "i64", 2, (const int64_t[]){2, 3}, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "key 'i64': dtype int64, expected"));
    sc_err_clear(&err);

    ck_assert_int_eq(sc_weights_check(w, "i64", SC_I64, 2, (const int64_t[]){2, 3}, &err), SC_OK);
    ck_assert_int_eq(sc_weights_check(w, "i64", SC_I32, 2, (const int64_t[]){2, 3}, &err), SC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "dtype int64, expected int32"));
    sc_err_clear(&err);
    ck_assert_int_eq(sc_weights_check(w, "i32.num_updates", SC_I32, 0, NULL, &err), SC_OK);
    ck_assert_int_eq(sc_weights_check(w, "i32.num_updates", SC_I32, 1, (const int64_t[]){1}, &err),
                     SC_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "shape scalar, expected 1"));
    sc_err_clear(&err);
    ck_assert_int_eq(sc_weights_check(w, "x", SC_F32, -1, NULL, &err), SC_ENOTFOUND);
    sc_weights_close(w);

    /* missing file */
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_open("/nonexistent/x.ckpt", &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.ckpt"));
}
END_TEST

typedef struct fake_src {
    int gets, closed;
} fake_src;

static int64_t fake_count(void *ctx)
{
    (void)ctx;
    return 2;
}

static const char *fake_key(void *ctx, int64_t i)
{
    (void)ctx;
    return i == 0 ? "a.weight" : "b.idx";
}

static int fake_get(void *ctx, const char *key, sc_tensor *t, sc_err *err)
{
    fake_src *s = ctx;
    s->gets++;
    if (!strcmp(key, "a.weight")) {
        int rc = sc_tensor_alloc(t, SC_F32, 2, (const int64_t[]){2, 3}, err);
        for (int i = 0; rc == 0 && i < 6; i++)
            ((float *)t->data)[i] = (float)i;
        return rc;
    }
    return sc_err_set(err, SC_EIO, "synth: cannot make '%s'", key);
}

static void fake_close(void *ctx)
{
    ((fake_src *)ctx)->closed++;
}

START_TEST(test_weights_source)
{
    fake_src s = {0, 0};
    sc_weights_source src = {&s, "synth:test", fake_count, fake_key, fake_get, fake_close};
    sc_err err = {0};
    sc_weights *w = sc_weights_from_source(&src, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(sc_weights_path(w), "synth:test");
    ck_assert_int_eq(sc_weights_count(w), 2);
    ck_assert_str_eq(sc_weights_key(w, 1), "b.idx");
    ck_assert_int_eq(s.gets, 0);    /* lazy */
    const float *f = sc_weights_f32(w, "a.weight", 2, (const int64_t[]){2, 3}, &err);
    ck_assert_ptr_nonnull(f);
    ck_assert_float_eq(f[5], 5.0f);
    ck_assert_ptr_eq(sc_weights_f32(w, "a.weight", 2, (const int64_t[]){2, 3}, &err), f);
    ck_assert_int_eq(s.gets, 1);    /* cached */
    ck_assert_ptr_null(sc_weights_f32(w, "a.weight", 1, (const int64_t[]){6}, &err));
    ck_assert_str_eq(err.msg, "synth:test: key 'a.weight': shape 2x3, expected 6");
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_get(w, "b.idx", &err));
    ck_assert_int_eq(err.code, SC_EIO);
    ck_assert_str_eq(err.msg, "synth: cannot make 'b.idx'");
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_get(w, "c", &err));
    ck_assert_str_eq(err.msg, "synth:test: missing key 'c'");
    sc_weights_close(w);
    ck_assert_int_eq(s.closed, 1);
}
END_TEST

/* ---- writers for crafted inputs -------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void b_put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert(b->p);
    }
    if (d)
        memcpy(b->p + b->n, d, n);
    else
        memset(b->p + b->n, 0, n);
    b->n += n;
}

static void b_u8(buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    b_put(b, &c, 1);
}

static void b_le(buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static void b_str(buf *b, const char *s)
{
    b_put(b, s, strlen(s));
}

/* A string literal that may hold NUL bytes. */
#define B_LIT(b, lit) b_put((b), (lit), sizeof(lit) - 1)

/* pickle pieces */
static void pk_str(buf *b, const char *s)
{
    b_u8(b, 'X');
    b_le(b, strlen(s), 4);
    b_str(b, s);
}

static void pk_int(buf *b, int64_t v)
{
    if (v >= 0 && v < 256) {
        b_u8(b, 'K');
        b_u8(b, (unsigned)v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        b_u8(b, 'J');
        b_le(b, (uint64_t)v, 4);
    } else {
        b_u8(b, 0x8a);
        b_u8(b, 8);
        b_le(b, (uint64_t)v, 8);
    }
}

static void pk_global(buf *b, const char *mod, const char *name)
{
    b_u8(b, 'c');
    b_str(b, mod);
    b_u8(b, '\n');
    b_str(b, name);
    b_u8(b, '\n');
}

typedef struct tspec {
    const char *key, *stype, *skey;
    int64_t snumel, off;
    int nd;
    int64_t shape[9], stride[9];
} tspec;

static void pk_tensor(buf *b, const tspec *t, int legacy)
{
    pk_global(b, "torch._utils", "_rebuild_tensor_v2");
    b_u8(b, '(');
    b_u8(b, '(');
    pk_str(b, "storage");
    pk_global(b, "torch", t->stype);
    pk_str(b, t->skey);
    pk_str(b, "cpu");
    pk_int(b, t->snumel);
    if (legacy)
        b_u8(b, 'N');
    b_u8(b, 't');
    b_u8(b, 'Q');
    pk_int(b, t->off);
    b_u8(b, '(');
    for (int d = 0; d < t->nd; d++)
        pk_int(b, t->shape[d]);
    b_u8(b, 't');
    b_u8(b, '(');
    for (int d = 0; d < t->nd; d++)
        pk_int(b, t->stride[d]);
    b_u8(b, 't');
    b_u8(b, 0x89);
    pk_global(b, "collections", "OrderedDict");
    b_u8(b, ')');
    b_u8(b, 'R');
    b_u8(b, 't');
    b_u8(b, 'R');
}

/* OrderedDict state dict, protocol 2 (what torch.save writes). */
static void pk_state_dict(buf *b, const tspec *ts, int n, int legacy)
{
    b_u8(b, 0x80);
    b_u8(b, 2);
    pk_global(b, "collections", "OrderedDict");
    b_u8(b, ')');
    b_u8(b, 'R');
    b_u8(b, '(');
    for (int i = 0; i < n; i++) {
        pk_str(b, ts[i].key);
        pk_tensor(b, &ts[i], legacy);
    }
    b_u8(b, 'u');
    b_u8(b, '.');
}

static size_t dtype_bytes(const char *stype)
{
    static const struct { const char *n; size_t b; } t[] = {
        {"DoubleStorage", 8}, {"LongStorage", 8},  {"HalfStorage", 2}, {"BFloat16Storage", 2},
        {"ShortStorage", 2},  {"ByteStorage", 1},  {"BoolStorage", 1}, {"CharStorage", 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(stype, t[i].n))
            return t[i].b;
    return 4;
}

/* Legacy file: magic, protocol 1001, sys_info, obj (pickle given), keys, data. */
static void legacy_wrap(buf *out, const buf *obj, const tspec *ts, int n)
{
    static const unsigned char magic[] = {0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                          0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
    b_put(out, magic, sizeof magic);
    b_put(out, "\x80\x02M\xe9\x03.", 6);
    static const char sysinfo[] = "\x80\x02}(X\x0d\x00\x00\x00little_endian\x88u.";
    b_put(out, sysinfo, sizeof sysinfo - 1);
    b_put(out, obj->p, obj->n);
    b_put(out, "\x80\x02]q\x00(", 6);
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(ts[j].skey, ts[i].skey);
        if (!dup)
            pk_str(out, ts[i].skey);
    }
    b_put(out, "e.", 2);
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(ts[j].skey, ts[i].skey);
        if (dup)
            continue;
        b_le(out, (uint64_t)ts[i].snumel, 8);
        size_t nb = (size_t)ts[i].snumel * dtype_bytes(ts[i].stype);
        for (size_t k = 0; k < nb; k++)
            b_u8(out, (unsigned)(k * 7 + i));
    }
}

/* A zip archive of stored members; zip64 forces ZIP64 records.  With fd >= 0
 * the archive is written there with pwrite (members with data == NULL stay
 * holes: sparse), otherwise into out. */
typedef struct zmem {
    const char *name;
    const void *data;
    uint64_t size;
} zmem;

static void emit(int fd, buf *out, uint64_t off, const void *d, size_t n)
{
    if (fd >= 0) {
        ck_assert_int_eq(pwrite(fd, d, n, (off_t)off), (ssize_t)n);
    } else {
        if (out->n < off)
            b_put(out, NULL, (size_t)(off - out->n));
        ck_assert_uint_eq(out->n, off);
        b_put(out, d, n);
    }
}

static uint64_t zip_build(int fd, buf *out, const zmem *m, int n, int zip64)
{
    uint64_t off = 0, local[16];
    buf h = {0};
    for (int i = 0; i < n; i++) {
        int z = zip64 || m[i].size >= 0xFFFFFFFFu;
        local[i] = off;
        h.n = 0;
        b_le(&h, 0x04034b50, 4);
        b_le(&h, z ? 45 : 20, 2);
        b_le(&h, 0, 2);     /* flags */
        b_le(&h, 0, 2);     /* stored */
        b_le(&h, 0, 4);     /* time, date */
        b_le(&h, 0, 4);     /* crc (not checked) */
        b_le(&h, z ? 0xFFFFFFFFu : m[i].size, 4);
        b_le(&h, z ? 0xFFFFFFFFu : m[i].size, 4);
        b_le(&h, strlen(m[i].name), 2);
        b_le(&h, z ? 20 : 0, 2);
        b_str(&h, m[i].name);
        if (z) {
            b_le(&h, 1, 2);
            b_le(&h, 16, 2);
            b_le(&h, m[i].size, 8);
            b_le(&h, m[i].size, 8);
        }
        emit(fd, out, off, h.p, h.n);
        off += h.n;
        if (m[i].data)
            emit(fd, out, off, m[i].data, (size_t)m[i].size);
        else if (fd < 0)
            emit(fd, out, off, NULL, (size_t)m[i].size);
        off += m[i].size;
    }
    uint64_t cd = off;
    h.n = 0;
    for (int i = 0; i < n; i++) {
        int z = zip64 || m[i].size >= 0xFFFFFFFFu || local[i] >= 0xFFFFFFFFu;
        b_le(&h, 0x02014b50, 4);
        b_le(&h, 45, 2);
        b_le(&h, 45, 2);
        b_le(&h, 0, 2);
        b_le(&h, 0, 2);
        b_le(&h, 0, 4);
        b_le(&h, 0, 4);
        b_le(&h, z ? 0xFFFFFFFFu : m[i].size, 4);
        b_le(&h, z ? 0xFFFFFFFFu : m[i].size, 4);
        b_le(&h, strlen(m[i].name), 2);
        b_le(&h, z ? 28 : 0, 2);
        b_le(&h, 0, 2);     /* comment */
        b_le(&h, 0, 2);     /* disk */
        b_le(&h, 0, 2);
        b_le(&h, 0, 4);
        b_le(&h, z ? 0xFFFFFFFFu : local[i], 4);
        b_str(&h, m[i].name);
        if (z) {
            b_le(&h, 1, 2);
            b_le(&h, 24, 2);
            b_le(&h, m[i].size, 8);
            b_le(&h, m[i].size, 8);
            b_le(&h, local[i], 8);
        }
    }
    uint64_t cds = h.n, end = cd + cds;
    int z = zip64 || end >= 0xFFFFFFFFu;
    if (z) {
        b_le(&h, 0x06064b50, 4);
        b_le(&h, 44, 8);
        b_le(&h, 45, 2);
        b_le(&h, 45, 2);
        b_le(&h, 0, 4);
        b_le(&h, 0, 4);
        b_le(&h, (uint64_t)n, 8);
        b_le(&h, (uint64_t)n, 8);
        b_le(&h, cds, 8);
        b_le(&h, cd, 8);
        b_le(&h, 0x07064b50, 4);
        b_le(&h, 0, 4);
        b_le(&h, end, 8);
        b_le(&h, 1, 4);
    }
    b_le(&h, 0x06054b50, 4);
    b_le(&h, 0, 4);
    b_le(&h, z ? 0xFFFF : (uint64_t)n, 2);
    b_le(&h, z ? 0xFFFF : (uint64_t)n, 2);
    b_le(&h, z ? 0xFFFFFFFFu : cds, 4);
    b_le(&h, z ? 0xFFFFFFFFu : cd, 4);
    b_le(&h, 0, 2);
    emit(fd, out, cd, h.p, h.n);
    free(h.p);
    return cd + (uint64_t)h.n;
}

/* A zip checkpoint "archive/..." of a state-dict pickle and its storages. */
static void zip_ckpt(buf *out, const buf *pkl, const tspec *ts, int n, int zip64)
{
    zmem m[16];
    char names[16][64];
    void *datas[16] = {0};
    int k = 0;
    m[k++] = (zmem){"archive/data.pkl", pkl->p, pkl->n};
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= !strcmp(ts[j].skey, ts[i].skey);
        if (dup)
            continue;
        snprintf(names[k], sizeof names[k], "archive/data/%s", ts[i].skey);
        size_t nb = (size_t)ts[i].snumel * dtype_bytes(ts[i].stype);
        datas[k] = calloc(1, nb + 1);
        for (size_t q = 0; q < nb; q++)
            ((unsigned char *)datas[k])[q] = (unsigned char)(q * 3 + 1);
        m[k] = (zmem){names[k], datas[k], nb};
        k++;
    }
    m[k++] = (zmem){"archive/version", "3\n", 2};
    zip_build(-1, out, m, k, zip64);
    for (int i = 0; i < k; i++)
        free(datas[i]);
}

/* ---- assertions ----------------------------------------------------------- */

static void expect_err(const void *d, size_t n, int code, const char *needle)
{
    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open_mem(d, n, "bad.ckpt", &err);
    ck_assert_msg(ck == NULL, "hostile input accepted (expected '%s')", needle);
    ck_assert_msg(err.code == code, "code %d (%s), expected %d; message: %s", err.code,
                  sc_strerror(err.code), code, err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
    ck_assert_msg(strncmp(err.msg, "bad.ckpt: ", 10) == 0, "message '%s' does not name the file",
                  err.msg);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}

static sc_ckpt *expect_ok(const void *d, size_t n)
{
    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open_mem(d, n, "good.ckpt", &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    return ck;
}

/* Both containers around one object pickle (built by fn). */
typedef void (*pk_fn)(buf *b, int legacy);

static void expect_err_both(pk_fn fn, const tspec *ts, int n, int code, const char *needle)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        buf pkl = {0}, file = {0};
        fn(&pkl, legacy);
        if (legacy)
            legacy_wrap(&file, &pkl, ts, n);
        else
            zip_ckpt(&file, &pkl, ts, n, 0);
        expect_err(file.p, file.n, code, needle);
        free(pkl.p);
        free(file.p);
    }
}

/* ---- crafted but valid ----------------------------------------------------- */

static const tspec basic[] = {
    {"w", "FloatStorage", "0", 6, 0, 2, {2, 3}, {3, 1}},
    {"w.t", "FloatStorage", "0", 6, 0, 2, {3, 2}, {1, 3}},
    {"h", "HalfStorage", "1", 4, 1, 1, {3}, {1}},
    {"i8", "CharStorage", "2", 3, 0, 1, {3}, {1}},
    {"i16", "ShortStorage", "3", 2, 0, 1, {2}, {1}},
};

static void pk_basic(buf *b, int legacy)
{
    pk_state_dict(b, basic, 5, legacy);
}

START_TEST(test_crafted_valid)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        for (int z64 = 0; z64 < 2 - legacy; z64++) {
            buf pkl = {0}, file = {0};
            pk_basic(&pkl, legacy);
            if (legacy)
                legacy_wrap(&file, &pkl, basic, 5);
            else
                zip_ckpt(&file, &pkl, basic, 5, z64);
            sc_ckpt *ck = expect_ok(file.p, file.n);
            ck_assert_int_eq(sc_ckpt_count(ck), 5);
            ck_assert_int_eq(sc_ckpt_storage_id(ck, 0), sc_ckpt_storage_id(ck, 1));
            ck_assert_int_eq(sc_ckpt_find(ck, "h")->dtype, SC_F16);
            ck_assert_int_eq(sc_ckpt_find(ck, "i8")->dtype, SC_I8);
            ck_assert_int_eq(sc_ckpt_find(ck, "i16")->dtype, SC_I16);
            const sc_tensor *w = sc_ckpt_find(ck, "w"), *wt = sc_ckpt_find(ck, "w.t");
            ck_assert_ptr_eq(w->data, wt->data);
            ck_assert_int_eq(wt->stride[0], 1);
            sc_ckpt_close(ck);
            free(pkl.p);
            free(file.p);
        }
    }
}
END_TEST

/* Protocol 4 framing, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL, nn.Parameter,
 * the _metadata BUILD of a real state_dict(), and non-tensor entries. */
static const tspec p4ts[] = {{"p", "FloatStorage", "k", 4, 0, 1, {4}, {1}}};

static void pk_proto4(buf *b, int legacy)
{
    buf body = {0};
    /* OrderedDict via STACK_GLOBAL */
    b_u8(&body, 0x8c); b_u8(&body, 11); b_str(&body, "collections");
    b_u8(&body, 0x94);
    b_u8(&body, 0x8c); b_u8(&body, 11); b_str(&body, "OrderedDict");
    b_u8(&body, 0x94);
    b_u8(&body, 0x93);
    b_u8(&body, 0x94);
    b_u8(&body, ')');
    b_u8(&body, 'R');
    b_u8(&body, 0x94);
    /* _metadata as BUILD state */
    b_u8(&body, '}');
    b_u8(&body, 0x8c); b_u8(&body, 9); b_str(&body, "_metadata");
    b_u8(&body, 'h'); b_u8(&body, 1);     /* any object: memo 1 = "OrderedDict" */
    b_u8(&body, 's');
    b_u8(&body, 'b');
    b_u8(&body, '(');
    /* "p": Parameter(tensor) */
    b_u8(&body, 0x8c); b_u8(&body, 1); b_str(&body, "p");
    pk_global(&body, "torch._utils", "_rebuild_parameter");
    b_u8(&body, '(');
    pk_tensor(&body, &p4ts[0], legacy);
    b_u8(&body, 0x88);
    b_u8(&body, '}');
    b_u8(&body, 't');
    b_u8(&body, 'R');
    /* non-tensor entries are skipped */
    b_u8(&body, 0x8c); b_u8(&body, 5); b_str(&body, "epoch");
    b_u8(&body, 'K'); b_u8(&body, 3);
    b_u8(&body, 0x8c); b_u8(&body, 2); b_str(&body, "lr");
    b_u8(&body, 'G'); b_put(&body, "\x3f\x50\x62\x4d\xd2\xf1\xa9\xfc", 8);
    b_u8(&body, 0x8c); b_u8(&body, 3); b_str(&body, "big");
    b_u8(&body, 0x8a); b_u8(&body, 9); b_put(&body, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
    b_u8(&body, 'u');
    b_u8(&body, '.');
    b_u8(b, 0x80);
    b_u8(b, 4);
    b_u8(b, 0x95);
    b_le(b, body.n, 8);
    b_put(b, body.p, body.n);
    free(body.p);
}

START_TEST(test_crafted_proto4)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        buf pkl = {0}, file = {0};
        pk_proto4(&pkl, legacy);
        if (legacy)
            legacy_wrap(&file, &pkl, p4ts, 1);
        else
            zip_ckpt(&file, &pkl, p4ts, 1, 0);
        sc_ckpt *ck = expect_ok(file.p, file.n);
        ck_assert_int_eq(sc_ckpt_count(ck), 1);
        const char *k;
        ck_assert_int_eq(sc_ckpt_at(ck, 0, &k)->shape[0], 4);
        ck_assert_str_eq(k, "p");
        sc_ckpt_close(ck);
        free(pkl.p);
        free(file.p);
    }
}
END_TEST

/* ---- sparse 4.5 GB ZIP64 checkpoint: open must not touch the storage ----- */

START_TEST(test_zip64_sparse_no_read)
{
    const char *path = sct_scratch("ckpt/sparse64.ckpt");
    const int64_t numel = 1125000000;   /* 4.5e9 bytes of float32 */
    tspec ts[] = {{"big", "FloatStorage", "0", numel, 0, 2, {1125000, 1000}, {1000, 1}},
                  {"tail", "FloatStorage", "1", 4, 0, 1, {4}, {1}}};
    buf pkl = {0};
    pk_state_dict(&pkl, ts, 2, 0);
    float tail[4] = {1, 2, 3, 4};
    zmem m[] = {{"sparse64/data.pkl", pkl.p, pkl.n},
                {"sparse64/data/0", NULL, (uint64_t)numel * 4},
                {"sparse64/data/1", tail, sizeof tail},     /* local header past 4 GiB */
                {"sparse64/version", "3\n", 2}};
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    uint64_t size = zip_build(fd, NULL, m, 4, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    close(fd);
    free(pkl.p);

    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    const sc_tensor *big = sc_ckpt_find(ck, "big"), *t = sc_ckpt_find(ck, "tail");
    ck_assert_ptr_nonnull(big);
    ck_assert_uint_eq(big->storage->nbytes, (size_t)numel * 4);
    ck_assert_int_eq(memcmp(t->data, tail, sizeof tail), 0);   /* data after 4 GiB */
    /* No page of the big storage's interior is resident: only headers were read. */
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)big->data + 2 * (uintptr_t)pg) & ~(uintptr_t)(pg - 1);
    uintptr_t hi = ((uintptr_t)big->data + big->storage->nbytes - 2 * (uintptr_t)pg) &
                   ~(uintptr_t)(pg - 1);
    size_t npages = (hi - lo) / (size_t)pg;
    unsigned char *vec = malloc(npages);
    ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
    size_t resident = 0;
    for (size_t i = 0; i < npages; i++)
        resident += vec[i] & 1;
    free(vec);
    ck_assert_msg(resident == 0, "%zu of %zu storage pages became resident", resident, npages);
    sc_ckpt_close(ck);
    unlink(path);
}
END_TEST

/* ---- hostile zips ---------------------------------------------------------- */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Offset of the central header of member `name` (fixture zips: no comment). */
static size_t central_of(const unsigned char *d, size_t n, const char *name)
{
    const unsigned char *e = d + n - 22;
    ck_assert_uint_eq(rd32(e), 0x06054b50);
    size_t p = rd32(e + 16), cnt = e[10] | e[11] << 8;
    for (size_t i = 0; i < cnt; i++) {
        size_t nl = d[p + 28] | d[p + 29] << 8, xl = d[p + 30] | d[p + 31] << 8,
               cl = d[p + 32] | d[p + 33] << 8;
        if (nl == strlen(name) && !memcmp(d + p + 46, name, nl))
            return p;
        p += 46 + nl + xl + cl;
    }
    ck_abort_msg("no member %s", name);
    return 0;
}

START_TEST(test_hostile_zip_truncated)
{
    size_t n;
    unsigned char *d = (unsigned char *)read_file(sct_ref_path("loader/plain_zip.ckpt"), &n);
    /* every prefix fails cleanly */
    for (size_t k = 0; k < n; k++) {
        sc_err err = {0};
        sc_ckpt *ck = sc_ckpt_open_mem(d, k, "bad.ckpt", &err);
        ck_assert_msg(ck == NULL, "prefix %zu accepted", k);
        ck_assert_int_ne(err.code, SC_OK);
        ck_assert_msg(strncmp(err.msg, "bad.ckpt: ", 10) == 0, "%s", err.msg);
    }
    expect_err(d, n / 2, SC_EFORMAT, "no zip end-of-central-directory record");
    expect_err(d, 3, SC_EFORMAT, "not a PyTorch checkpoint");
    expect_err(d, 0, SC_EFORMAT, "not a PyTorch checkpoint");
    free(d);
}
END_TEST

START_TEST(test_hostile_zip_directory)
{
    size_t n;
    unsigned char *d = (unsigned char *)read_file(sct_ref_path("loader/plain_zip.ckpt"), &n);
    /* torch writes ZIP64 end records; the classic record repeats the values */
    unsigned char *e = d + n - 22, *rec = d + n - 22 - 20 - 56;
    ck_assert_uint_eq(rd32(rec), 0x06064b50);
    uint32_t cdo = rd32(e + 16), cds = rd32(e + 12);
#define SET_CDO(v) (wr32(e + 16, (v)), wr32(rec + 48, (v)))
#define SET_CDS(v) (wr32(e + 12, (v)), wr32(rec + 40, (v)))
    SET_CDO((uint32_t)n);       /* directory offset past the end */
    expect_err(d, n, SC_EFORMAT, "central directory (offset");
    SET_CDO(cdo + 1);           /* misaligned directory */
    SET_CDS(cds - 1);
    expect_err(d, n, SC_EFORMAT, "bad central directory entry 0");
    SET_CDO(cdo);
    SET_CDS(cds);
    SET_CDS(0xFFFFF000u);       /* directory size past the end */
    expect_err(d, n, SC_EFORMAT, "outside the archive");
    SET_CDS(cds);
    e[10] = 0xff;               /* more entries than fit */
    e[11] = 0x0f;
    e[8] = 0xff;
    e[9] = 0x0f;
    wr32(rec + 24, 4095);
    wr32(rec + 32, 4095);
    expect_err(d, n, SC_EFORMAT, "claims 4095 entries");
    e[10] = e[8] = 17;
    e[11] = e[9] = 0;
    wr32(rec + 24, 17);
    wr32(rec + 32, 17);
    wr32(rec + 16, 3);          /* multi-disk */
    e[4] = 3;
    expect_err(d, n, SC_EUNSUPPORTED, "multi-disk");
    wr32(rec + 16, 0);
    expect_err(d, n, SC_EFORMAT, "zip end record and ZIP64 end record disagree");
    e[4] = 0;
    wr32(e + 16, cdo + 1);      /* only the classic record lies */
    expect_err(d, n, SC_EFORMAT, "disagree");
    wr32(e + 16, cdo);
#undef SET_CDO
#undef SET_CDS

    /* member local header offset past the directory */
    size_t c = central_of(d, n, "plain_zip/data/5");
    uint32_t lo = rd32(d + c + 42);
    wr32(d + c + 42, cdo + 10);
    expect_err(d, n, SC_EFORMAT, "'plain_zip/data/5': local header offset");
    /* pointing at the wrong local header */
    wr32(d + c + 42, rd32(d + central_of(d, n, "plain_zip/data/6") + 42));
    expect_err(d, n, SC_EFORMAT, "local header names a different file");
    wr32(d + c + 42, lo + 1);
    expect_err(d, n, SC_EFORMAT, "bad local header signature");
    wr32(d + c + 42, lo);
    /* member data size running into the directory */
    wr32(d + c + 20, 0x7fffffff);
    wr32(d + c + 24, 0x7fffffff);
    expect_err(d, n, SC_EFORMAT, "outside the archive");
    wr32(d + c + 20, 0x7fffffff);
    wr32(d + c + 24, 48);
    expect_err(d, n, SC_EFORMAT, "stored but sizes differ");
    wr32(d + c + 20, 48);
    /* storage member shorter than the pickle's numel says */
    wr32(d + c + 20, 40);
    wr32(d + c + 24, 40);
    expect_err(d, n, SC_EFORMAT, "storage '5' needs 6 elements of int64 but its data has 40 bytes");
    wr32(d + c + 20, 48);
    wr32(d + c + 24, 48);
    /* storage member renamed away */
    d[c + 46 + 15] = 'x';
    expect_err(d, n, SC_EFORMAT, "storage member 'plain_zip/data/5' is missing");
    d[c + 46 + 15] = '5';
    /* duplicate member names */
    size_t c6 = central_of(d, n, "plain_zip/data/6");
    d[c6 + 46 + 15] = '5';
    expect_err(d, n, SC_EFORMAT, "duplicate zip member 'plain_zip/data/5'");
    d[c6 + 46 + 15] = '6';
    /* no data.pkl */
    size_t cp = central_of(d, n, "plain_zip/data.pkl");
    d[cp + 46 + 10] = 'X';
    expect_err(d, n, SC_EFORMAT, "no 'plain_zip/data.pkl'");
    d[cp + 46 + 10] = 'd';
    /* encrypted */
    d[c + 8] |= 1;
    expect_err(d, n, SC_EUNSUPPORTED, "'plain_zip/data/5' is encrypted");
    d[c + 8] &= ~1;
    /* the repaired image loads again */
    sc_ckpt_close(expect_ok(d, n));
    free(d);
}
END_TEST

START_TEST(test_hostile_zip_compressed)
{
    size_t n;
    unsigned char *d = (unsigned char *)read_file(sct_ref_path("loader/lightning_zip.ckpt"), &n);
    size_t c = central_of(d, n, "lightning_zip/data/3");
    d[c + 10] = 8;      /* deflate, central */
    d[rd32(d + c + 42) + 8] = 8;
    expect_err(d, n, SC_EUNSUPPORTED,
               "member 'lightning_zip/data/3' is compressed (method 8); only stored members");
    /* a compressed data.pkl too */
    d[c + 10] = 0;
    c = central_of(d, n, "lightning_zip/data.pkl");
    d[c + 10] = 12;
    expect_err(d, n, SC_EUNSUPPORTED, "'lightning_zip/data.pkl' is compressed (method 12)");
    free(d);
}
END_TEST

START_TEST(test_hostile_zip64)
{
    buf pkl = {0}, file = {0};
    pk_basic(&pkl, 0);
    zip_ckpt(&file, &pkl, basic, 5, 1);
    sc_ckpt_close(expect_ok(file.p, file.n));
    unsigned char *d = file.p;
    size_t n = file.n;
    unsigned char *loc = d + n - 22 - 20, *rec = d + n - 22 - 20 - 56;
    ck_assert_uint_eq(rd32(loc), 0x07064b50);
    ck_assert_uint_eq(rd32(rec), 0x06064b50);
    uint64_t recoff = (uint64_t)(rec - d);

    wr32(loc + 8, (uint32_t)n);     /* ZIP64 end record beyond the file */
    expect_err(d, n, SC_EFORMAT, "ZIP64 end record offset");
    wr32(loc + 12, 0x80000000u);    /* ... far beyond (> 2^63) */
    expect_err(d, n, SC_EFORMAT, "ZIP64 end record offset");
    wr32(loc + 12, 0);
    wr32(loc + 8, (uint32_t)recoff + 4);
    expect_err(d, n, SC_EFORMAT, "ZIP64 end record offset");   /* overlaps the locator */
    wr32(loc + 8, (uint32_t)recoff - 8);
    expect_err(d, n, SC_EFORMAT, "bad ZIP64 end record signature");
    wr32(loc + 8, (uint32_t)recoff);
    /* directory offset/size out of range in the ZIP64 record */
    uint32_t cdo = rd32(rec + 48);
    wr32(rec + 52, 1);
    expect_err(d, n, SC_EFORMAT, "central directory (offset 42949");
    wr32(rec + 52, 0);
    wr32(rec + 44, 0xFFFFFFFFu);
    expect_err(d, n, SC_EFORMAT, "outside the archive");
    wr32(rec + 44, 0);
    wr32(rec + 28, 7);              /* 2^32 * 7 entries */
    wr32(rec + 36, 7);
    expect_err(d, n, SC_EFORMAT, "entries in");
    wr32(rec + 28, 0);
    wr32(rec + 36, 0);
    (void)cdo;
    /* ZIP64 extra field: local offset out of range, and too short */
    size_t c = rd32(rec + 48);
    ck_assert_uint_eq(rd32(d + c), 0x02014b50);
    size_t nl = d[c + 28];
    unsigned char *x = d + c + 46 + nl;
    ck_assert_uint_eq(x[0], 1);
    uint32_t keep = rd32(x + 20);
    wr32(x + 20, 0xFFFFFF00u);
    wr32(x + 24, 0xFF);
    expect_err(d, n, SC_EFORMAT, "local header offset");
    wr32(x + 20, keep);
    wr32(x + 24, 0);
    x[2] = 16;      /* declares 16 bytes but the three saturated fields need 24 */
    expect_err(d, n, SC_EFORMAT, "ZIP64 extra field has 16 bytes, needs 24");
    x[2] = 24;
    x[2] = 200;     /* overruns the entry's extra area */
    expect_err(d, n, SC_EFORMAT, "extra field overruns");
    x[2] = 24;
    /* ZIP64 sizes: a member claiming more than the archive holds */
    wr32(x + 8, 0xFFFFFFFFu);
    wr32(x + 12, 0x7FFFFFFFu);
    expect_err(d, n, SC_EFORMAT, "stored but sizes differ");
    wr32(x + 4, 0xFFFFFFFFu);
    wr32(x + 8, 0x7FFFFFFFu);
    wr32(x + 12, 0xFFFFFFFFu);
    wr32(x + 16, 0x7FFFFFFFu);
    expect_err(d, n, SC_EFORMAT, "data (offset");
    /* saturated EOCD without a locator */
    memset(loc, 0, 20);
    expect_err(d, n, SC_EFORMAT, "no ZIP64 locator");
    free(pkl.p);
    free(file.p);
}
END_TEST

/* ---- views outside their storage (surgery on the fixtures' pickles) --- */

static unsigned char *find_bytes(unsigned char *d, size_t n, const char *pat, size_t pl)
{
    unsigned char *hit = NULL;
    int count = 0;
    for (size_t i = 0; i + pl <= n; i++)
        if (!memcmp(d + i, pat, pl)) {
            hit = d + i;
            count++;
        }
    ck_assert_msg(count == 1, "pattern found %d times", count);
    return hit;
}

START_TEST(test_hostile_view)
{
    for (int f = 0; f < 4; f++) {
        size_t n;
        unsigned char *d = (unsigned char *)read_file(sct_ref_path(fixture_files[f]), &n);
        /* tail.view: BINPERSID, offset 6, size (3,) -> offset 8: last element 10 of 10 */
        unsigned char *p = find_bytes(d, n, "QK\x06K\x03\x85", 6);
        p[2] = 8;
        expect_err(d, n, SC_ERANGE,
                   "key 'tail.view': view (offset 8, last element 10) outside its storage of 10 "
                   "elements");
        p[2] = 6;
        p[4] = 0xff;    /* size 255 */
        expect_err(d, n, SC_ERANGE, "key 'tail.view'");
        p[4] = 3;
        /* shared.slice: offset 8 -> 20 with stride (6, 1): 20 + 6 + 2 >= 24 */
        p = find_bytes(d, n, "QK\x08K\x02K\x03\x86", 8);
        p[2] = 20;
        expect_err(d, n, SC_ERANGE, "key 'shared.slice': view (offset 20, last element 28)");
        p[2] = 8;
        sc_ckpt_close(expect_ok(d, n));
        free(d);
    }
}
END_TEST

/* ---- crafted hostile pickles ------------------------------------------- */

static tspec cur[2];

static void pk_cur(buf *b, int legacy)
{
    pk_state_dict(b, cur, 1, legacy);
}

START_TEST(test_hostile_shapes)
{
    static const struct {
        tspec t;
        int code;
        const char *msg;
    } cases[] = {
        {{"neg", "FloatStorage", "0", 6, 0, 2, {-1, 3}, {3, 1}}, SC_EFORMAT,
         "key 'neg': negative size or stride in dim 0"},
        {{"negst", "FloatStorage", "0", 6, 0, 2, {2, 3}, {3, -1}}, SC_EFORMAT,
         "key 'negst': negative size or stride in dim 1"},
        {{"negoff", "FloatStorage", "0", 6, -2, 1, {2}, {1}}, SC_EFORMAT,
         "key 'negoff': negative storage offset -2"},
        {{"ovf", "FloatStorage", "0", 6, 0, 3, {INT64_C(1) << 40, INT64_C(1) << 40, 1 << 20}, {0, 0, 0}},
         SC_ERANGE, "key 'ovf': element count overflows"},
        {{"ext", "FloatStorage", "0", 6, 0, 2, {3, 2}, {INT64_MAX / 2 + 1, 1}}, SC_ERANGE,
         "key 'ext': view extent overflows"},
        {{"big", "FloatStorage", "0", 6, 0, 2, {3, 3}, {3, 1}}, SC_ERANGE,
         "key 'big': view (offset 0, last element 8) outside its storage of 6 elements"},
        {{"st", "FloatStorage", "0", 6, 0, 1, {2}, {6}}, SC_ERANGE, "key 'st': view"},
        {{"off", "FloatStorage", "0", 6, INT64_MAX, 1, {1}, {1}}, SC_ERANGE, "key 'off': view"},
        {{"dims", "FloatStorage", "0", 6, 0, 9, {1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
         SC_EUNSUPPORTED, "more than 8 dimensions"},
        {{"cplx", "ComplexFloatStorage", "0", 6, 0, 1, {2}, {1}}, SC_EUNSUPPORTED,
         "unsupported storage type 'torch.ComplexFloatStorage'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cur[0] = cases[i].t;
        expect_err_both(pk_cur, cur, 1, cases[i].code, cases[i].msg);
    }
    /* an empty tensor needs no storage bytes; an empty view with any offset is fine */
    cur[0] = (tspec){"e", "FloatStorage", "0", 0, 5, 2, {0, 4}, {4, 1}};
    buf pkl = {0}, file = {0};
    pk_cur(&pkl, 0);
    zip_ckpt(&file, &pkl, cur, 1, 0);
    sc_ckpt_close(expect_ok(file.p, file.n));
    free(pkl.p);
    free(file.p);
}
END_TEST

static void pk_dup(buf *b, int legacy)
{
    pk_state_dict(b, cur, 2, legacy);
}

/* Raw pickles given as byte strings, wrapped in both formats. */
static const char *raw_pickle;
static size_t raw_len;

static void pk_raw(buf *b, int legacy)
{
    (void)legacy;
    b_put(b, raw_pickle, raw_len);
}

#define RAW(lit, code, msg)                                                  \
    do {                                                                     \
        raw_pickle = lit;                                                    \
        raw_len = sizeof(lit) - 1;                                           \
        expect_err_both(pk_raw, basic, 0, code, msg);                        \
    } while (0)

START_TEST(test_hostile_opcodes)
{
    RAW("\x80\x02}\xff.", SC_EFORMAT, "offset 3: unknown pickle opcode 0xff");
    RAW("\x80\x02}\x00", SC_EFORMAT, "unknown pickle opcode 0x00");
    RAW("\x80\x02}", SC_EFORMAT, "no STOP opcode");
    RAW("\x80\x02X\xff\xff\xff\x7f", SC_EFORMAT, "pickle truncated");
    RAW("\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xff", SC_EFORMAT, "pickle truncated");
    RAW("\x80\x02\x8b\xff\xff\xff\xff", SC_EFORMAT, "LONG4 with negative length");
    RAW("\x80\x09}.", SC_EUNSUPPORTED, "pickle protocol 9");
    RAW("\x80\x02.", SC_EFORMAT, "stack underflow");
    RAW("\x80\x02(.", SC_EFORMAT, "stack underflow");
    RAW("\x80\x02u.", SC_EFORMAT, "no MARK");
    RAW("\x80\x02}h\x05.", SC_EFORMAT, "memo entry 5 not defined");
    RAW("\x80\x02K\x01K\x02" "a.", SC_EFORMAT, "APPEND to a int");
    RAW("\x80\x02K\x01(K\x02u.", SC_EFORMAT, "SETITEMS on a int");
    RAW("\x80\x02}(K\x01u.", SC_EFORMAT, "odd number of items");
    RAW("\x80\x02]K\x01K\x02R.", SC_EFORMAT, "REDUCE on a int");
    RAW("\x80\x02K\x01.", SC_EFORMAT, "top-level object is a int, not a state dict");
    RAW("\x80\x02]q\x00.", SC_EFORMAT, "top-level object is a list");
    RAW("\x80\x02}X\n\x00\x00\x00state_dictK\x01s.", SC_EFORMAT, "'state_dict' is a int");
    RAW("\x80\x02}X\x01\x00\x00\x00" "aK\x01s.", SC_EFORMAT, "no tensors in the state dict (first key 'a')");
    RAW("\x80\x02\x8c\x03" "abc\x8c\x03" "def\x93.", SC_ESECURITY, "refusing global 'abc.def'");
    RAW("\x80\x02}(X\x01\x00\x00\x00" "aK\x01\x81.", SC_EUNSUPPORTED, "opcode NEWOBJ (0x81)");
    RAW("\x80\x02\x97.", SC_EUNSUPPORTED, "NEXT_BUFFER");
    RAW("\x80\x02" "ccollections\nOrderedDict\nK\x01\x85R.", SC_EFORMAT, "OrderedDict called");
    RAW("\x80\x02" "ctorch\nFloatStorage\n)R.", SC_EUNSUPPORTED, "cannot be called");
    RAW("\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\nK\x01\x85R.", SC_EFORMAT,
        "_rebuild_tensor_v2 takes 6 or 7 arguments, got 1");
    RAW("\x80\x02" "ctorch._utils\n_rebuild_parameter\nK\x01\x85R.", SC_EFORMAT,
        "bad arguments to torch._utils._rebuild_parameter");
    RAW("\x80\x02}(X\x01\x00\x00\x00" "a(X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
        "X\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cputQu.",
        SC_EFORMAT, "persistent id is not a");
    RAW("\x80\x02K\x01}b.", SC_EFORMAT, "BUILD on a int");
    RAW("\x80\x02P0\n.", SC_EUNSUPPORTED, "PERSID");
    RAW("\x80\x02I12x\n.", SC_EFORMAT, "bad or out-of-range integer in INT");
    RAW("\x80\x02I99999999999999999999\n.", SC_EFORMAT, "bad or out-of-range integer");
    RAW("\x80\x02" "F1.5x\n.", SC_EFORMAT, "bad float in FLOAT");
    RAW("\x80\x02\x95\xff\x00\x00\x00\x00\x00\x00\x00}.", SC_EFORMAT, "FRAME longer than the pickle");
    /* the same key twice */
    raw_pickle = NULL;
    cur[0] = basic[0];
    cur[1] = basic[0];
    expect_err_both(pk_dup, cur, 2, SC_EFORMAT, "duplicate key 'w'");
}
END_TEST

START_TEST(test_hostile_globals)
{
    RAW("\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R.", SC_ESECURITY,
        "refusing global 'os.system'");
    RAW("cposix\nsystem\nX\x02\x00\x00\x00id\x85R.", SC_ESECURITY, "refusing global 'posix.system'");
    RAW("\x80\x02\x63\x62uiltins\neval\n.", SC_ESECURITY, "refusing global 'builtins.eval'");
    RAW("\x80\x04\x8c\x08\x62uiltins\x8c\x04\x65val\x93.", SC_ESECURITY,
        "refusing global 'builtins.eval'");
    RAW("\x80\x02\x63__builtin__\napply\n.", SC_ESECURITY, "'__builtin__.apply'");
    RAW("\x80\x02\x63torch.storage\n_load_from_bytes\nC\x01xR.", SC_ESECURITY,
        "'torch.storage._load_from_bytes'");
    RAW("\x80\x02\x63torch._utils\n_rebuild_qtensor\n.", SC_ESECURITY,
        "'torch._utils._rebuild_qtensor'");
    RAW("\x80\x02\x63torch\nload\n.", SC_ESECURITY, "'torch.load'");
    RAW("\x80\x02(ios\nsystem\nX\x02\x00\x00\x00id.", SC_ESECURITY, "refusing global 'os.system'");
    RAW("\x80\x02\x82\x01.", SC_ESECURITY, "copyreg extension registry");
    RAW("\x80\x02\x63os\x01\nsys\n.", SC_ESECURITY, "'os?.sys'");
    RAW("\x80\x02\x63os.", SC_EFORMAT, "unterminated line");
    /* an over-long module name */
    buf b = {0};
    b_str(&b, "\x80\x02\x63");
    for (int i = 0; i < 300; i++)
        b_u8(&b, 'a');
    b_str(&b, "\nb\n.");
    raw_pickle = (const char *)b.p;
    raw_len = b.n;
    expect_err_both(pk_raw, basic, 0, SC_EFORMAT, "text operand too long");
    free(b.p);
    /* a refused global in the legacy magic pickle is reported as such */
    expect_err("\x80\x02\x63os\nsystem\n.", 14, SC_ESECURITY, "'os.system'");
}
END_TEST

static void raw_buf(buf *b, int code, const char *msg)
{
    raw_pickle = (const char *)b->p;
    raw_len = b->n;
    expect_err_both(pk_raw, basic, 0, code, msg);
    free(b->p);
    memset(b, 0, sizeof *b);
}

START_TEST(test_hostile_bombs)
{
    buf b = {0};
    /* MARK bomb */
    b_str(&b, "\x80\x02");
    for (int i = 0; i < 100000; i++)
        b_u8(&b, '(');
    raw_buf(&b, SC_ERANGE, "MARKs nested deeper than 1000");
    /* nested lists, bottom-up */
    b_str(&b, "\x80\x02");
    for (int i = 0; i < 5000; i++)
        b_u8(&b, ']');
    for (int i = 0; i < 4999; i++)
        b_u8(&b, 'a');
    b_u8(&b, '.');
    raw_buf(&b, SC_ERANGE, "objects nested deeper than 1000 levels");
    /* nested tuples */
    b_str(&b, "\x80\x02)");
    for (int i = 0; i < 100000; i++)
        b_u8(&b, 0x85);
    b_u8(&b, '.');
    raw_buf(&b, SC_ERANGE, "nested deeper than 1000");
    /* nested dicts through SETITEM */
    b_str(&b, "\x80\x02}");
    for (int i = 0; i < 3000; i++)
        b_str(&b, "K\x01}");
    for (int i = 0; i < 3000; i++)
        b_u8(&b, 's');
    b_u8(&b, '.');
    raw_buf(&b, SC_ERANGE, "nested deeper than 1000");
    /* a list appended to itself (a cycle) */
    B_LIT(&b, "\x80\x02]q\x00");
    for (int i = 0; i < 2000; i++)
        B_LIT(&b, "h\x00h\x00" "a");
    b_u8(&b, '.');
    raw_buf(&b, SC_ERANGE, "nested deeper than 1000");
    /* huge memo index: sparse memo, no allocation of 2^32 slots */
    raw_pickle = "\x80\x02}r\xfe\xff\xff\xff" "0j\xfe\xff\xff\xff.";
    raw_len = 15;
    for (int legacy = 0; legacy < 2; legacy++) {
        buf pkl = {0}, file = {0};
        pk_raw(&pkl, legacy);
        if (legacy)
            legacy_wrap(&file, &pkl, basic, 0);
        else
            zip_ckpt(&file, &pkl, basic, 0, 0);
        sc_ckpt *ck = expect_ok(file.p, file.n);
        ck_assert_int_eq(sc_ckpt_count(ck), 0);
        sc_ckpt_close(ck);
        free(pkl.p);
        free(file.p);
    }
    RAW("\x80\x02}r\xff\xff\xff\xff.", SC_ERANGE, "memo index 4294967295 out of range");
    /* many memo entries and a wide list: fine, linear */
    B_LIT(&b, "\x80\x02}X\x01\x00\x00\x00x]");
    for (int i = 0; i < 200000; i++)
        b_str(&b, "K\x01r"), b_le(&b, (uint64_t)i, 4), b_u8(&b, 'a');
    b_str(&b, "s.");
    raw_buf(&b, SC_EFORMAT, "no tensors in the state dict (first key 'x')");
}
END_TEST

static int g_view;

static void pk_view(buf *b, int legacy)
{
    (void)legacy;
    /* like pk_tensor, with legacy view metadata instead of None */
    b_str(b, "\x80\x02}(");
    pk_str(b, "v");
    pk_global(b, "torch._utils", "_rebuild_tensor_v2");
    b_str(b, "((");
    pk_str(b, "storage");
    pk_global(b, "torch", "FloatStorage");
    pk_str(b, "0");
    pk_str(b, "cpu");
    pk_int(b, 6);
    if (g_view) {
        pk_str(b, "9");
        B_LIT(b, "K\x00K\x02\x87");
    } else {
        b_u8(b, 'N');
    }
    B_LIT(b, "tQK\x00(K\x02t(K\x01t\x89}tRu.");
}

START_TEST(test_hostile_legacy)
{
    size_t n;
    unsigned char *d = (unsigned char *)read_file(sct_ref_path("loader/plain_legacy.ckpt"), &n);
    d[5] ^= 1;
    expect_err(d, n, SC_EFORMAT, "neither zip nor legacy magic number");
    d[5] ^= 1;
    unsigned char *p = find_bytes(d, 40, "M\xe9\x03.", 4);
    p[1] = 0xe8;
    expect_err(d, n, SC_EUNSUPPORTED, "unsupported legacy protocol version");
    p[1] = 0xe9;
    p = find_bytes(d, 200, "little_endianq\x02\x88", 16);
    p[15] = 0x89;
    expect_err(d, n, SC_EUNSUPPORTED, "big-endian checkpoint");
    p[15] = 0x88;
    /* every prefix fails cleanly */
    for (size_t k = 0; k < n; k++) {
        sc_err err = {0};
        ck_assert_ptr_null(sc_ckpt_open_mem(d, k, "bad.ckpt", &err));
        ck_assert_int_ne(err.code, SC_OK);
    }
    sc_ckpt_close(expect_ok(d, n));
    free(d);

    /* crafted: storage layout errors */
    buf pkl = {0}, file = {0};
    pk_basic(&pkl, 1);
    legacy_wrap(&file, &pkl, basic, 5);
    size_t first = file.n - (24 + 8 + 3 + 4) - 4 * 8;
    ck_assert_uint_eq(file.p[first], 6);
    file.p[first] = 7;
    expect_err(file.p, file.n, SC_EFORMAT,
               "storage '0' has 7 elements in the file, 6 in the pickle");
    file.p[first] = 6;
    expect_err(file.p, file.n - 1, SC_EFORMAT,
               "storage '3' needs 2 elements of int16 but its data has 3 bytes");
    expect_err(file.p, file.n - 7, SC_EFORMAT, "truncated before storage '3'");
    file.p[first + 7] = 0x80;   /* numel 2^63 + 6 */
    expect_err(file.p, file.n, SC_EFORMAT, "in the file, 6 in the pickle");
    file.p[first + 7] = 0;
    sc_ckpt_close(expect_ok(file.p, file.n));
    free(file.p);
    memset(&file, 0, sizeof file);
    /* a listed key the pickle never used; a used key that is not listed */
    tspec more[6];
    memcpy(more, basic, sizeof basic);
    more[5] = (tspec){"zz", "FloatStorage", "9", 1, 0, 1, {1}, {1}};
    legacy_wrap(&file, &pkl, more, 6);
    expect_err(file.p, file.n, SC_EFORMAT, "storage '9' is listed but never used");
    free(file.p);
    memset(&file, 0, sizeof file);
    legacy_wrap(&file, &pkl, basic, 4);
    expect_err(file.p, file.n, SC_EFORMAT, "storage '3' has no data");
    free(file.p);
    free(pkl.p);
    /* pre-0.4 storage views */
    tspec v[] = {{"v", "FloatStorage", "0", 6, 0, 1, {2}, {1}}};
    g_view = 1;
    memset(&pkl, 0, sizeof pkl);
    memset(&file, 0, sizeof file);
    pk_view(&pkl, 1);
    legacy_wrap(&file, &pkl, v, 1);
    expect_err(file.p, file.n, SC_EUNSUPPORTED, "legacy storage views");
    free(pkl.p);
    free(file.p);
    g_view = 0;
    /* one storage key with two types */
    tspec two[] = {{"a", "FloatStorage", "0", 6, 0, 1, {2}, {1}},
                   {"b", "IntStorage", "0", 6, 0, 1, {2}, {1}}};
    memcpy(cur, two, sizeof two);
    expect_err_both(pk_dup, cur, 1, SC_EFORMAT, "storage '0' saved twice with different type");
}
END_TEST

START_TEST(test_not_checkpoint)
{
    expect_err("hello world", 11, SC_EFORMAT, "not a PyTorch checkpoint (no zip or pickle header)");
    expect_err("\x80\x02K\x01.", 5, SC_EFORMAT, "neither zip nor legacy magic number");
    expect_err("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, SC_EFORMAT, "empty zip archive");
    sc_err err = {0};
    ck_assert_ptr_null(sc_ckpt_open("/nonexistent.ckpt", &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
    /* a zip without folders */
    zmem m[] = {{"data.pkl", "\x80\x02}.", 4}};
    buf z = {0};
    zip_build(-1, &z, m, 1, 0);
    expect_err(z.p, z.n, SC_EFORMAT, "zip member 'data.pkl' is not inside a folder");
    free(z.p);
    /* a big-endian zip checkpoint (torch >= 2.1 byteorder record) */
    zmem m2[] = {{"a/data.pkl", "\x80\x02}.", 4}, {"a/byteorder", "big", 3}};
    memset(&z, 0, sizeof z);
    zip_build(-1, &z, m2, 2, 0);
    expect_err(z.p, z.n, SC_EUNSUPPORTED, "not little-endian");
    free(z.p);
    zmem m3[] = {{"a/data.pkl", "\x80\x02}.", 4}, {"a/byteorder", "little", 6}};
    memset(&z, 0, sizeof z);
    zip_build(-1, &z, m3, 2, 0);
    sc_ckpt_close(expect_ok(z.p, z.n));
    free(z.p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_fixture, 0, 4);
    tcase_add_loop_test(tc, test_fixture_mem, 0, 4);
    tcase_add_test(tc, test_weights_ckpt);
    tcase_add_test(tc, test_weights_source);
    tcase_add_test(tc, test_crafted_valid);
    tcase_add_test(tc, test_crafted_proto4);
    suite_add_tcase(s, tc);
    tc = tcase_create("big");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_zip64_sparse_no_read);
    suite_add_tcase(s, tc);
    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hostile_zip_truncated);
    tcase_add_test(tc, test_hostile_zip_directory);
    tcase_add_test(tc, test_hostile_zip_compressed);
    tcase_add_test(tc, test_hostile_zip64);
    tcase_add_test(tc, test_hostile_view);
    tcase_add_test(tc, test_hostile_shapes);
    tcase_add_test(tc, test_hostile_opcodes);
    tcase_add_test(tc, test_hostile_globals);
    tcase_add_test(tc, test_hostile_bombs);
    tcase_add_test(tc, test_hostile_legacy);
    tcase_add_test(tc, test_not_checkpoint);
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
