/* Check tests of the synthetic weights (sc/synth.h).
 *
 *  - Every row of the kit's prng-check.tsv, bit for bit, through the scalar
 *    rule, the vectorised fill and the pool fill.
 *  - The manifests: counts and element totals of the kit's README table,
 *    real keys (generated, @file and @fill tensors) against prng-check
 *    values and the weights-fixed arrays; strict parsing (each malformed
 *    line is an error naming FILE:LINE).
 *  - Semantic codebooks: shape, table lookups, element (i, j) = flat
 *    index i*D + j of the rule.
 *  - sc_synth_weights as the stages see it.
 *  - The checkpoint writer: a small checkpoint of every dtype and a
 *    reduced real manifest written, re-opened with sc_ckpt_open and
 *    compared with the rule byte for byte; every member's zip CRC checked.
 *    With SC_FULL=1 also the full rate-100 encoder and a ZIP64 file with a
 *    4.3 GB member.
 */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc/ckpt.h"
#include "sc/mmap.h"
#include "sc/npy.h"
#include "sc/pool.h"
#include "sc/session.h"
#include "sc/synth.h"
#include "ckptwrite.h"
#include "sc/util.h"
#include "sc/weights.h"
#include "sctest.h"

static const char *synth_dir(void)
{
    const char *d = getenv("SC_SYNTH_DIR");
    ck_assert_msg(d && *d, "SC_SYNTH_DIR is not set");
    return d;
}

static uint64_t hash_of(const char *key)
{
    return sc_synth_hash(key, strlen(key));
}

static int same_float(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- the rule ----------------------------------------------------------- */

START_TEST(test_prng_check)
{
    FILE *f = fopen(sct_ref_path("prng-check.tsv"), "r");
    ck_assert(f != NULL);
    char line[512];
    ck_assert(fgets(line, sizeof line, f) != NULL);
    ck_assert_str_eq(line, "key\tindex\tscale\toffset\tvalue\n");
    sc_err err = { 0 };
    sc_pool *pool = sc_pool_create(2, &err);
    ck_assert_msg(pool != NULL, "%s", err.msg);
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *key = strtok(line, "\t"), *idx = strtok(NULL, "\t"), *sc = strtok(NULL, "\t");
        char *of = strtok(NULL, "\t"), *val = strtok(NULL, "\t\n");
        ck_assert(key && idx && sc && of && val);
        uint64_t h = hash_of(key), i = strtoull(idx, NULL, 10);
        double scale = strtod(sc, NULL), offset = strtod(of, NULL);
        float want = (float)strtod(val, NULL);
        float got = sc_synth_value(h, i, scale, offset);
        ck_assert_msg(same_float(got, want), "%s[%s]: %.9g, want %.9g", key, idx, got, want);
        /* the same element inside vectorised runs at every lane position */
        float buf[300000];
        for (uint64_t lead = 0; lead < 20; lead += 3) {
            uint64_t first = i >= lead ? i - lead : 0;
            sc_synth_fill(h, first, 64, scale, offset, buf);
            ck_assert_msg(same_float(buf[i - first], want), "fill %s[%s] lane %llu", key, idx,
                          (unsigned long long)(i - first));
        }
        uint64_t first = i >= 150000 ? i - 150000 : 0;
        sc_synth_fill_pool(h, first, 300000, scale, offset, buf, pool);
        ck_assert_msg(same_float(buf[i - first], want), "pool fill %s[%s]", key, idx);
        rows++;
    }
    fclose(f);
    sc_pool_destroy(pool);
    ck_assert_int_eq(rows, 15);
}
END_TEST

START_TEST(test_fill_matches_scalar)
{
    static float a[100003], b[100003];
    uint64_t h = hash_of("model.diffusion_model.out.2.weight");
    sc_err err = { 0 };
    sc_pool *pool = sc_pool_create(3, &err);
    ck_assert(pool != NULL);
    const double sc[3] = { 1.0, 0.0625, 0.433013 }, of[3] = { 0.0, 1.0, -0.25 };
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < 100003; i++)
            a[i] = sc_synth_value(h, 77 + i, sc[k], of[k]);
        sc_synth_fill(h, 77, 100003, sc[k], of[k], b);
        ck_assert(memcmp(a, b, sizeof a) == 0);
        memset(b, 0, sizeof b);
        sc_synth_fill_pool(h, 77, 100003, sc[k], of[k], b, pool);
        ck_assert(memcmp(a, b, sizeof a) == 0);
        for (size_t n = 0; n < 40; n++) {       /* every tail length */
            memset(b, 0, sizeof b);
            sc_synth_fill(h, 77 + n, n, sc[k], of[k], b);
            ck_assert(memcmp(a + n, b, n * sizeof(float)) == 0);
        }
    }
    sc_pool_destroy(pool);
    /* FNV-1a-64 of "" and of "a" (published test vectors) */
    ck_assert(sc_synth_hash("", 0) == 0xcbf29ce484222325ull);
    ck_assert(sc_synth_hash("a", 1) == 0xaf63dc4c8601ec8cull);
}
END_TEST

/* ---- manifests ------------------------------------------------------------ */

START_TEST(test_copies_match_kit)
{
    /* data/synth must be an exact copy of the kit's files */
    static const char *files[] = {
        "manifest-tr100-encoder.tsv", "manifest-tr100-decoder.tsv", "manifest-tr50-encoder.tsv",
        "manifest-tr50-decoder.tsv", "manifest-tr25-encoder.tsv", "manifest-tr25-decoder.tsv",
        "semantic-codebooks.tsv", "prng-check.tsv", "weights-fixed/audiomae.pos_embed.npy",
        "weights-fixed/schedule.alphas_cumprod.npy",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char mine[4096];
        snprintf(mine, sizeof mine, "%s/%s", synth_dir(), files[i]);
        sc_err err = { 0 };
        sc_mapfile *a = sc_mapfile_open(mine, &err);
        ck_assert_msg(a != NULL, "%s", err.msg);
        sc_mapfile *b = sc_mapfile_open(sct_ref_path(files[i]), &err);
        ck_assert_msg(b != NULL, "%s", err.msg);
        ck_assert_msg(a->size == b->size && !memcmp(a->data, b->data, a->size),
                      "%s differs from the kit's copy", mine);
        sc_mapfile_close(a);
        sc_mapfile_close(b);
    }
}
END_TEST

START_TEST(test_manifest_counts)
{
    /* tensors and elements per checkpoint, from the kit's README 2.5 */
    static const struct {
        int rate;
        const char *which;
        int64_t tensors;
        uint64_t elements;
    } t[6] = {
        { 100, "encoder", 291, 334323201ull },  { 50, "encoder", 283, 750394881ull },
        { 25, "encoder", 275, 1709891073ull },  { 100, "decoder", 2622, 260735941ull },
        { 50, "decoder", 2622, 282362821ull },  { 25, "decoder", 2622, 325616581ull },
    };
    for (int i = 0; i < 6; i++) {
        sc_err err = { 0 };
        sc_synth_manifest *m = sc_synth_manifest_open(synth_dir(), t[i].rate, t[i].which, &err);
        ck_assert_msg(m != NULL, "%s", err.msg);
        ck_assert_int_eq(sc_synth_manifest_count(m), t[i].tensors);
        uint64_t elements = 0;
        for (int64_t k = 0; k < sc_synth_manifest_count(m); k++)
            elements += (uint64_t)sc_synth_manifest_at(m, k)->numel;
        ck_assert_msg(elements == t[i].elements, "rate %d %s: %llu elements", t[i].rate,
                      t[i].which, (unsigned long long)elements);
        /* every key is found again */
        for (int64_t k = 0; k < sc_synth_manifest_count(m); k++) {
            const sc_synth_entry *e = sc_synth_manifest_at(m, k);
            ck_assert_ptr_eq(sc_synth_manifest_find(m, e->key), e);
        }
        ck_assert_ptr_null(sc_synth_manifest_find(m, "no.such.key"));
        ck_assert_int_eq(sc_synth_manifest_prepare(m, &err), SC_OK);
        sc_synth_manifest_free(m);
    }
    sc_err err = { 0 };
    ck_assert_ptr_null(sc_synth_manifest_open(synth_dir(), 75, "encoder", &err));
    ck_assert_int_eq(err.code, SC_EARG);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_synth_manifest_open(synth_dir(), 100, "vocoder", &err));
    ck_assert_int_eq(err.code, SC_EARG);
}
END_TEST

static float entry_elem(const sc_synth_manifest *m, const char *key, uint64_t i)
{
    const sc_synth_entry *e = sc_synth_manifest_find(m, key);
    ck_assert_msg(e != NULL, "no key %s", key);
    float v;
    sc_err err = { 0 };
    ck_assert_int_eq(sc_synth_entry_read(m, e, 4 * i, &v, 4, &err), SC_OK);
    return v;
}

START_TEST(test_manifest_real_keys)
{
    sc_err err = { 0 };
    sc_synth_manifest *enc = sc_synth_manifest_open(synth_dir(), 100, "encoder", &err);
    ck_assert_msg(enc != NULL, "%s", err.msg);
    const sc_synth_entry *e = sc_synth_manifest_find(enc, "audiomae.model.blocks.0.attn.qkv.weight");
    ck_assert(e && e->kind == SC_SYNTH_RULE && e->dtype == SC_F32 && e->ndim == 2);
    ck_assert(e->shape[0] == 2304 && e->shape[1] == 768 && e->scale == 0.0625 && e->offset == 0);
    ck_assert_int_eq(e->line, 17);
    /* prng-check.tsv rows of real keys */
    const char *qkv = "audiomae.model.blocks.0.attn.qkv.weight";
    ck_assert(same_float(entry_elem(enc, qkv, 0), -0.0136578903f));
    ck_assert(same_float(entry_elem(enc, qkv, 1), -0.0611061901f));
    ck_assert(same_float(entry_elem(enc, qkv, 12345), -0.0524005368f));
    ck_assert(same_float(entry_elem(enc, "audiomae.model.norm.weight", 0), 1.08720064f));
    e = sc_synth_manifest_find(enc, "encoder.weight_ih_l0");
    ck_assert(e && e->shape[0] == 6144 && e->shape[1] == 1536);
    /* @file: the sin-cos table, equal to the kit's array */
    e = sc_synth_manifest_find(enc, "audiomae.model.pos_embed");
    ck_assert(e && e->kind == SC_SYNTH_FILE && !strcmp(e->file, "audiomae.pos_embed.npy"));
    sc_tensor t, want;
    ck_assert_int_eq(sc_synth_entry_tensor(enc, e, NULL, &t, &err), SC_OK);
    sct_load_npy("weights-fixed/audiomae.pos_embed.npy", &want);
    ck_assert(t.ndim == 3 && t.shape[1] == 513 && t.shape[2] == 768);
    ck_assert(!memcmp(t.data, want.data, 513 * 768 * 4));
    sc_tensor_release(&t);
    sc_tensor_release(&want);
    /* @fill float32 [1] */
    e = sc_synth_manifest_find(enc, "quantizer._codebook.initted");
    ck_assert(e && e->kind == SC_SYNTH_FILL && e->ndim == 1 && e->shape[0] == 1);
    ck_assert(same_float(entry_elem(enc, "quantizer._codebook.initted", 0), 1.0f));
    e = sc_synth_manifest_find(enc, "quantizer._codebook.embed_avg");
    ck_assert_int_eq(sc_synth_entry_tensor(enc, e, NULL, &t, &err), SC_OK);
    ck_assert(t.shape[0] == 1 && t.shape[1] == 8192 && t.shape[2] == 768);
    for (int64_t i = 0; i < sc_tensor_numel(&t); i += 4099)
        ck_assert(((float *)t.data)[i] == 0.0f);
    sc_tensor_release(&t);
    sc_synth_manifest_free(enc);

    sc_synth_manifest *dec = sc_synth_manifest_open(synth_dir(), 100, "decoder", &err);
    ck_assert_msg(dec != NULL, "%s", err.msg);
    ck_assert(same_float(entry_elem(dec, "model.diffusion_model.out.2.bias", 1), 0.00465241913f));
    e = sc_synth_manifest_find(dec, "scale_factor");
    ck_assert(e && e->kind == SC_SYNTH_FILL && e->ndim == 0 && e->numel == 1);
    ck_assert(same_float(entry_elem(dec, "scale_factor", 0), 0.75f));
    ck_assert(same_float(entry_elem(dec, "model_ema.decay", 0), 0.999899983f));
    e = sc_synth_manifest_find(dec, "model_ema.num_updates");
    ck_assert(e && e->dtype == SC_I32 && e->ndim == 0);
    int32_t nu = -1;
    ck_assert_int_eq(sc_synth_entry_read(dec, e, 0, &nu, 4, &err), SC_OK);
    ck_assert_int_eq(nu, 0);
    e = sc_synth_manifest_find(dec, "alphas_cumprod");
    ck_assert(e && e->kind == SC_SYNTH_FILE);
    ck_assert_int_eq(sc_synth_entry_tensor(dec, e, NULL, &t, &err), SC_OK);
    sct_load_npy("weights-fixed/schedule.alphas_cumprod.npy", &want);
    ck_assert(t.shape[0] == 1000 && !memcmp(t.data, want.data, 4000));
    sc_tensor_release(&t);
    sc_tensor_release(&want);
    /* out-of-range reads are refused */
    e = sc_synth_manifest_find(dec, "scale_factor");
    float v[2];
    ck_assert_int_eq(sc_synth_entry_read(dec, e, 0, v, 8, &err), SC_ERANGE);
    sc_synth_manifest_free(dec);
}
END_TEST

/* A malformed manifest must fail with "FILE:LINE: ..." containing `what`. */
static void bad_manifest(const char *body, int line, const char *what)
{
    const char *path = sct_scratch("synth/bad/manifest.tsv");
    char text[2048];
    snprintf(text, sizeof text, "# comment\nkey\tdtype\tshape\tscale\toffset\n%s", body);
    write_text(path, text);
    sc_err err = { 0 };
    sc_synth_manifest *m = sc_synth_manifest_load(path, &err);
    if (m && line == 0) {          /* errors that show when fixed files are mapped */
        ck_assert_int_ne(sc_synth_manifest_prepare(m, &err), SC_OK);
        sc_synth_manifest_free(m);
        m = NULL;
    }
    ck_assert_msg(m == NULL, "accepted: %s", body);
    char want[4200];
    if (line)
        snprintf(want, sizeof want, "%s:%d: ", path, line);
    else
        snprintf(want, sizeof want, "%s", path);
    ck_assert_msg(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
    ck_assert_msg(strstr(err.msg, what) != NULL, "message '%s' lacks '%s'", err.msg, what);
}

START_TEST(test_manifest_strict)
{
    bad_manifest("a\tfloat32\t3\t0.5\n", 3, "4 fields");
    bad_manifest("a\tfloat32\t3\t0.5\t0\textra\n", 3, "fields");
    bad_manifest("a\tfloat33\t3\t0.5\t0\n", 3, "unknown dtype 'float33'");
    bad_manifest("a\tfloat\t3\t0.5\t0\n", 3, "unknown dtype");
    bad_manifest("a\tfloat32\t3x\t0.5\t0\n", 3, "bad shape");
    bad_manifest("a\tfloat32\t-3\t0.5\t0\n", 3, "bad shape");
    bad_manifest("a\tfloat32\t03\t0.5\t0\n", 3, "bad shape");
    bad_manifest("a\tfloat32\t1x1x1x1x1x1x1x1x1\t0.5\t0\n", 3, "bad shape");
    bad_manifest("a\tfloat32\t99999999999x99999999999\t0.5\t0\n", 3, "too large");
    bad_manifest("a\tfloat32\t3\tx0.5\t0\n", 3, "bad scale");
    bad_manifest("a\tfloat32\t3\t0.5\t\n", 3, "bad offset");
    bad_manifest("a\tfloat32\t3\tnan\t0\n", 3, "bad scale");
    bad_manifest("a\tint32\t3\t0.5\t0\n", 3, "generates floats");
    bad_manifest("a\tint32\tscalar\t@fill\t0.5\n", 3, "not a int32");
    bad_manifest("a\tint32\tscalar\t@fill\t4294967296\n", 3, "not a int32");
    bad_manifest("a\tbool\tscalar\t@fill\t2\n", 3, "not a bool");
    bad_manifest("a\tfloat32\t3\t@file\t../x.npy\n", 3, "@file");
    bad_manifest("a\tfloat32\t3\t@file\tx.bin\n", 3, "@file");
    bad_manifest("a\tfloat32\t3\t0.5\t0\n\n", 4, "empty line");
    bad_manifest("a\tfloat32\t3\t0.5\t0\r\n", 3, "carriage return");
    bad_manifest("a b\tfloat32\t3\t0.5\t0\n", 3, "space");
    bad_manifest("\tfloat32\t3\t0.5\t0\n", 3, "empty key");
    bad_manifest("a\tfloat32\t3\t0.5\t0\nb\tfloat32\t3\t0.5\t0\na\tfloat32\t3\t0.5\t0\n", 5,
                 "duplicate key 'a' (first on line 3)");
    /* an @file that does not exist next to the manifest */
    bad_manifest("a\tfloat32\t3\t@file\tnothere.npy\n", 0, "nothere.npy");

    /* no header, wrong header, count comment */
    const char *path = sct_scratch("synth/bad/manifest.tsv");
    sc_err err = { 0 };
    write_text(path, "# only comments\n");
    ck_assert_ptr_null(sc_synth_manifest_load(path, &err));
    ck_assert(strstr(err.msg, "no header") != NULL);
    sc_err_clear(&err);
    write_text(path, "key dtype shape scale offset\n");
    ck_assert_ptr_null(sc_synth_manifest_load(path, &err));
    ck_assert_msg(strstr(err.msg, ":1: expected the header") != NULL, "%s", err.msg);
    sc_err_clear(&err);
    write_text(path, "# tensors=2\nkey\tdtype\tshape\tscale\toffset\na\tfloat32\t3\t0.5\t0\n");
    ck_assert_ptr_null(sc_synth_manifest_load(path, &err));
    ck_assert_msg(strstr(err.msg, "tensors=2") != NULL, "%s", err.msg);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_synth_manifest_load(sct_scratch("synth/bad/none.tsv"), &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);

    /* a good one: all kinds and dtypes */
    write_text(path, "key\tdtype\tshape\tscale\toffset\n"
                     "w\tfloat32\t2x3\t0.5\t-1.5\n"
                     "s\tfloat32\tscalar\t@fill\t0.75\n"
                     "i\tint64\t4\t@fill\t-9007199254740993\n"
                     "b\tbool\t2\t@fill\tTrue\n"
                     "h\tfloat16\t5\t1.0\t0\n"
                     "z\tfloat32\t0x4\t0.5\t0");          /* no final newline */
    sc_err_clear(&err);
    sc_synth_manifest *m = sc_synth_manifest_load(path, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_synth_manifest_count(m), 6);
    int64_t iv[4];
    ck_assert_int_eq(sc_synth_entry_read(m, sc_synth_manifest_find(m, "i"), 0, iv, 32, &err), 0);
    ck_assert(iv[0] == -9007199254740993LL && iv[3] == -9007199254740993LL);
    unsigned char bv[2];
    ck_assert_int_eq(sc_synth_entry_read(m, sc_synth_manifest_find(m, "b"), 0, bv, 2, &err), 0);
    ck_assert(bv[0] == 1 && bv[1] == 1);
    uint16_t hv[5];
    ck_assert_int_eq(sc_synth_entry_read(m, sc_synth_manifest_find(m, "h"), 0, hv, 10, &err), 0);
    for (int k = 0; k < 5; k++)
        ck_assert(hv[k] == sc_f32_to_f16(sc_synth_value(hash_of("h"), (uint64_t)k, 1.0, 0)));
    const sc_synth_entry *z = sc_synth_manifest_find(m, "z");
    ck_assert(z && z->numel == 0 && z->ndim == 2);
    ck_assert_uint_eq(sc_synth_manifest_bytes(m), 24 + 4 + 32 + 2 + 10);
    sc_synth_manifest_free(m);
}
END_TEST

/* ---- codebooks ------------------------------------------------------------ */

START_TEST(test_codebooks)
{
    uint64_t h = hash_of(SC_SYNTH_CODEBOOK_KEY);
    static const int rates[3] = { 100, 50, 25 }, vocabs[4] = { 4096, 8192, 16384, 32768 };
    for (int r = 0; r < 3; r++)
        for (int v = 0; v < 4; v++) {
            sc_synth_codebook_info info;
            sc_err err = { 0 };
            ck_assert_int_eq(sc_synth_codebook_info_get(synth_dir(), rates[r], vocabs[v], &info,
                                                        &err), SC_OK);
            ck_assert(info.rows == vocabs[v] && info.cols == 768 * (100 / rates[r]));
            ck_assert(info.scale == 0.5 && info.offset == 0.0 && info.dtype == SC_F32);
            /* the table's official file is where the session looks */
            char p[4096];
            sc_model_codebook_path("D", rates[r], vocabs[v], p, sizeof p);
            ck_assert_str_eq(p + 2, info.file);
        }
    sc_err err = { 0 };
    sc_synth_codebook_info info;
    ck_assert_int_eq(sc_synth_codebook_info_get(synth_dir(), 100, 1000, &info, &err),
                     SC_ENOTFOUND);
    ck_assert(strstr(err.msg, "semantic-codebooks.tsv") != NULL);

    sc_pool *pool = sc_pool_create(2, &err);
    sc_tensor cb;
    ck_assert_int_eq(sc_synth_codebook(synth_dir(), 25, 4096, pool, &cb, &err), SC_OK);
    ck_assert(cb.dtype == SC_F32 && cb.ndim == 2 && cb.shape[0] == 4096 && cb.shape[1] == 3072);
    const float *d = cb.data;
    const int64_t ii[4] = { 0, 1, 2047, 4095 }, jj[4] = { 0, 1, 1536, 3071 };
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            uint64_t flat = (uint64_t)(ii[a] * 3072 + jj[b]);
            ck_assert(same_float(d[flat], sc_synth_value(h, flat, 0.5, 0.0)));
        }
    sc_tensor_release(&cb);
    /* the writer gives the same numbers in a .npy */
    const char *path = sct_scratch("synth/codebook_2048_0.npy");
    ck_assert_int_eq(sc_synth_write_codebook(synth_dir(), 100, 4096, path, pool, &err), SC_OK);
    ck_assert_int_eq(sc_npy_load(path, &cb, &err), SC_OK);
    ck_assert(cb.dtype == SC_F32 && cb.shape[0] == 4096 && cb.shape[1] == 768);
    sc_tensor mem;
    ck_assert_int_eq(sc_synth_codebook(synth_dir(), 100, 4096, NULL, &mem, &err), SC_OK);
    ck_assert(!memcmp(cb.data, mem.data, 4096 * 768 * 4));
    sc_tensor_release(&cb);
    sc_tensor_release(&mem);
    unlink(path);
    sc_pool_destroy(pool);
}
END_TEST

/* ---- weights ---------------------------------------------------------------- */

START_TEST(test_weights_source)
{
    sc_err err = { 0 };
    sc_pool *pool = sc_pool_create(2, &err);
    sc_weights *w = sc_synth_weights(synth_dir(), 100, "encoder", pool, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_weights_count(w), 291);
    ck_assert_str_eq(sc_weights_key(w, 0), "audiomae.model.cls_token");
    ck_assert(strstr(sc_weights_path(w), "manifest-tr100-encoder.tsv") != NULL);
    int64_t shape[2] = { 2304, 768 };
    const float *q = sc_weights_f32(w, "audiomae.model.blocks.0.attn.qkv.weight", 2, shape, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    ck_assert(same_float(q[12345], -0.0524005368f));
    uint64_t h = hash_of("audiomae.model.blocks.0.attn.qkv.weight");
    for (uint64_t i = 0; i < 2304 * 768; i += 997)
        ck_assert(same_float(q[i], sc_synth_value(h, i, 0.0625, 0.0)));
    int64_t bad[2] = { 768, 2304 };
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_f32(w, "audiomae.model.blocks.0.attn.qkv.weight", 2, bad, &err));
    ck_assert(err.code != SC_OK);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_weights_get(w, "no.such.key", &err));
    ck_assert(err.code != SC_OK);
    const sc_tensor *pe = sc_weights_get(w, "audiomae.model.pos_embed", &err);
    ck_assert(pe && pe->shape[1] == 513);
    sc_weights_close(w);
    sc_err_clear(&err);
    w = sc_synth_weights(synth_dir(), 25, "decoder", pool, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_weights_count(w), 2622);
    const sc_tensor *sf = sc_weights_get(w, "scale_factor", &err);
    ck_assert(sf && sf->ndim == 0 && same_float(*(const float *)sf->data, 0.75f));
    sc_weights_close(w);
    sc_err_clear(&err);
    ck_assert_ptr_null(sc_synth_weights(sct_scratch("synth/nowhere"), 100, "encoder", pool, &err));
    ck_assert_int_eq(err.code, SC_ENOTFOUND);
    sc_pool_destroy(pool);
}
END_TEST

/* ---- the checkpoint writer ---------------------------------------------------- */

static uint32_t rd32(const unsigned char *p)
{
    return sc_get_le32(p);
}

/* Walk the central directory (ZIP64 aware), check each member's CRC and
 * 64-byte data alignment; returns the member count. */
static int64_t check_zip(const char *path)
{
    sc_err err = { 0 };
    sc_mapfile *mf = sc_mapfile_open(path, &err);
    ck_assert_msg(mf != NULL, "%s", err.msg);
    const unsigned char *d = mf->data;
    size_t n = mf->size;
    ck_assert(n >= 22 + 20 + 56);
    const unsigned char *eocd = d + n - 22;
    ck_assert_uint_eq(rd32(eocd), 0x06054b50u);
    const unsigned char *loc = eocd - 20;
    ck_assert_uint_eq(rd32(loc), 0x07064b50u);
    const unsigned char *z64 = d + sc_get_le64(loc + 8);
    ck_assert_uint_eq(rd32(z64), 0x06064b50u);
    uint64_t count = sc_get_le64(z64 + 32), cd = sc_get_le64(z64 + 48);
    const unsigned char *p = d + cd;
    for (uint64_t i = 0; i < count; i++) {
        ck_assert_uint_eq(rd32(p), 0x02014b50u);
        uint32_t crc = rd32(p + 16);
        uint64_t size = rd32(p + 24), hdr = rd32(p + 42);
        unsigned nl = p[28] | p[29] << 8, xl = p[30] | p[31] << 8, cl = p[32] | p[33] << 8;
        const unsigned char *x = p + 46 + nl, *xe = x + xl;
        while (x + 4 <= xe) {
            unsigned id = x[0] | x[1] << 8, len = x[2] | x[3] << 8;
            if (id == 1) {
                const unsigned char *v = x + 4;
                if (size == 0xffffffffu) {
                    size = sc_get_le64(v);
                    v += 16;
                }
                if (hdr == 0xffffffffu)
                    hdr = sc_get_le64(v);
            }
            x += 4 + len;
        }
        const unsigned char *lh = d + hdr;
        ck_assert_uint_eq(rd32(lh), 0x04034b50u);
        uint64_t data = hdr + 30 + (lh[26] | lh[27] << 8) + (lh[28] | lh[29] << 8);
        ck_assert_msg(data % 64 == 0, "member %llu data at %llu", (unsigned long long)i,
                      (unsigned long long)data);
        ck_assert(data + size <= cd);
        ck_assert_msg(sc_crc32(0, d + data, size) == crc, "member %llu: bad CRC",
                      (unsigned long long)i);
        p += 46 + nl + xl + cl;
    }
    sc_mapfile_close(mf);
    return (int64_t)count;
}

typedef struct pattern_ctx {
    const sc_ckpt_item *items;
} pattern_ctx;

/* Byte k of item i is (k * 7 + i) & 255. */
static int pattern_fill(void *ctx, int64_t item, uint64_t off, void *dst, size_t n, sc_err *err)
{
    (void)ctx;
    (void)err;
    unsigned char *o = dst;
    for (size_t k = 0; k < n; k++)
        o[k] = (unsigned char)(((off + k) * 7 + (uint64_t)item) & 255);
    return SC_OK;
}

START_TEST(test_writer_dtypes)
{
    sc_ckpt_item items[] = {
        { "f32.weight", SC_F32, 2, { 3, 5 } },    { "half", SC_F16, 1, { 7 } },
        { "bf", SC_BF16, 3, { 2, 3, 2 } },        { "dbl", SC_F64, 1, { 3 } },
        { "long", SC_I64, 2, { 2, 3 } },          { "int.scalar", SC_I32, 0, { 0 } },
        { "flags", SC_BOOL, 1, { 5 } },           { "bytes", SC_U8, 1, { 4 } },
        { "short", SC_I16, 1, { 3 } },            { "char", SC_I8, 1, { 3 } },
        { "empty", SC_F32, 2, { 0, 4 } },         { "one", SC_F32, 3, { 1, 1, 768 } },
        { "big", SC_F32, 2, { 1000, 3000 } },     /* several parts: CRC combine */
        { "naïve.kéy", SC_F32, 5, { 1, 2, 1, 2, 3 } },
    };
    int64_t n = sizeof items / sizeof items[0];
    const char *path = sct_scratch("synth/dtypes.ckpt");
    sc_err err = { 0 };
    sc_pool *pool = sc_pool_create(2, &err);
    pattern_ctx c = { items };
    ck_assert_int_eq(sc_ckpt_write(path, items, n, pattern_fill, &c, pool, &err), SC_OK);
    ck_assert_int_eq(check_zip(path), n + 2);
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_ckpt_format(ck), 1);
    ck_assert_int_eq(sc_ckpt_count(ck), n);
    for (int64_t i = 0; i < n; i++) {
        const char *key;
        const sc_tensor *t = sc_ckpt_at(ck, i, &key);
        ck_assert_str_eq(key, items[i].key);
        ck_assert_int_eq(t->dtype, items[i].dtype);
        ck_assert_int_eq(t->ndim, items[i].ndim);
        for (int d = 0; d < t->ndim; d++)
            ck_assert_int_eq(t->shape[d], items[i].shape[d]);
        ck_assert(sc_tensor_is_contiguous(t));
        ck_assert_int_eq(t->offset, 0);
        size_t bytes = (size_t)sc_tensor_numel(t) * sc_dtype_size(t->dtype);
        const unsigned char *b = t->data;
        size_t k = 0;       /* (no ck_assert per byte: each one talks to the parent) */
        while (k < bytes && b[k] == (unsigned char)((k * 7 + (uint64_t)i) & 255))
            k++;
        ck_assert_msg(k == bytes, "%s: byte %zu differs", key, k);
        for (int64_t j = 0; j < i; j++)
            ck_assert(sc_ckpt_storage_id(ck, i) != sc_ckpt_storage_id(ck, j));
    }
    sc_ckpt_close(ck);
    /* torch names the archive folder after the file: "dtypes/..." */
    sc_mapfile *mf = sc_mapfile_open(path, &err);
    ck_assert(mf->size > 64 && !memcmp(mf->data + 30, "dtypes/data.pkl", 15));
    sc_mapfile_close(mf);

    /* no temporary files left behind, and a failing fill leaves nothing */
    const char *bad = sct_scratch("synth/failing.ckpt");
    unlink(bad);
    sc_ckpt_item one = { "x", SC_DTYPE_COUNT, 1, { 4 } };
    sc_err_clear(&err);
    ck_assert_int_ne(sc_ckpt_write(bad, &one, 1, pattern_fill, &c, pool, &err), SC_OK);
    ck_assert(access(bad, F_OK) != 0);
    sc_err_clear(&err);
    ck_assert_int_ne(sc_ckpt_write("/nonexistent-sc-dir/x.ckpt", items, 1, pattern_fill, &c, pool,
                                   &err), SC_OK);
    ck_assert_msg(strstr(err.msg, "/nonexistent-sc-dir/x.ckpt") != NULL, "%s", err.msg);
    sc_pool_destroy(pool);
    unlink(path);
}
END_TEST

START_TEST(test_crc_combine)
{
    static unsigned char buf[100000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    uint32_t whole = sc_crc32(0, buf, sizeof buf);
    ck_assert_uint_eq(sc_crc32(0, "123456789", 9), 0xcbf43926u);
    const size_t cuts[] = { 0, 1, 15, 64, 1000, 65536, 99999, 100000 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t c = cuts[i];
        uint32_t a = sc_crc32(0, buf, c), b = sc_crc32(0, buf + c, sizeof buf - c);
        ck_assert_uint_eq(sc_crc32_combine(a, b, sizeof buf - c), whole);
    }
}
END_TEST

/* Write a checkpoint of manifest m and compare every tensor with the rule. */
static void roundtrip(sc_synth_manifest *m, const char *path)
{
    sc_err err = { 0 };
    sc_pool *pool = sc_pool_create(2, &err);
    ck_assert_int_eq(sc_synth_write_ckpt(m, path, pool, &err), SC_OK);
    ck_assert_int_eq(check_zip(path), sc_synth_manifest_count(m) + 2);
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    ck_assert_int_eq(sc_ckpt_count(ck), sc_synth_manifest_count(m));
    size_t cap = 1 << 20;
    unsigned char *want = malloc(cap);
    for (int64_t i = 0; i < sc_ckpt_count(ck); i++) {
        const char *key;
        const sc_tensor *t = sc_ckpt_at(ck, i, &key);
        const sc_synth_entry *e = sc_synth_manifest_at(m, i);
        ck_assert_str_eq(key, e->key);
        ck_assert_int_eq(t->dtype, e->dtype);
        ck_assert_int_eq(t->ndim, e->ndim);
        for (int d = 0; d < e->ndim; d++)
            ck_assert_int_eq(t->shape[d], e->shape[d]);
        uint64_t bytes = (uint64_t)e->numel * sc_dtype_size(e->dtype);
        for (uint64_t off = 0; off < bytes; off += cap) {
            size_t k = bytes - off < cap ? (size_t)(bytes - off) : cap;
            ck_assert_int_eq(sc_synth_entry_read(m, e, off, want, k, &err), SC_OK);
            ck_assert_msg(!memcmp((const unsigned char *)t->data + off, want, k),
                          "%s: bytes at %llu differ", key, (unsigned long long)off);
        }
    }
    free(want);
    sc_ckpt_close(ck);
    sc_pool_destroy(pool);
}

START_TEST(test_writer_manifest)
{
    /* A reduced manifest of real rows: generated, @file and @fill tensors
     * of both checkpoints (its weights-fixed/ links to the real one). */
    const char *dir = sct_scratch("synth/reduced/x");
    char mdir[4096], link[4200], fixed[4200];
    snprintf(mdir, sizeof mdir, "%s", dir);
    *strrchr(mdir, '/') = '\0';
    snprintf(link, sizeof link, "%s/weights-fixed", mdir);
    snprintf(fixed, sizeof fixed, "%s/weights-fixed", synth_dir());
    unlink(link);
    ck_assert_int_eq(symlink(fixed, link), 0);
    char enc[4200], dec[4200];
    snprintf(enc, sizeof enc, "%s/manifest-tr100-encoder.tsv", synth_dir());
    snprintf(dec, sizeof dec, "%s/manifest-tr100-decoder.tsv", synth_dir());
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/reduced.tsv", mdir);
    FILE *out = fopen(mpath, "w");
    ck_assert(out != NULL);
    const char *srcs[2] = { enc, dec };
    int header = 0;
    for (int s = 0; s < 2; s++) {
        FILE *in = fopen(srcs[s], "r");
        ck_assert(in != NULL);
        char line[1024];
        int row = 0;
        while (fgets(line, sizeof line, in)) {
            if (line[0] == '#')
                continue;
            if (!strncmp(line, "key\t", 4)) {
                if (!header++)
                    fputs(line, out);
                continue;
            }
            row++;
            /* small tensors, every fixed one, and a few large ones */
            int keep = strstr(line, "@") || row % 37 == 0 || strstr(line, "\t768\t") ||
                       strstr(line, "qkv.weight");
            if (keep && !strstr(line, "encoder.weight_"))
                fputs(line, out);
        }
        fclose(in);
    }
    fclose(out);
    sc_err err = { 0 };
    sc_synth_manifest *m = sc_synth_manifest_load(mpath, &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    ck_assert(sc_synth_manifest_count(m) > 100);
    ck_assert(sc_synth_manifest_find(m, "audiomae.model.pos_embed"));
    ck_assert(sc_synth_manifest_find(m, "model_ema.num_updates"));
    ck_assert(sc_synth_manifest_find(m, "scale_factor"));
    char cpath[4200];
    snprintf(cpath, sizeof cpath, "%s/reduced.ckpt", mdir);
    roundtrip(m, cpath);
    sc_synth_manifest_free(m);
    unlink(cpath);
}
END_TEST

START_TEST(test_writer_full)
{
    /* SC_FULL: the whole rate-100 encoder, and a ZIP64 archive whose
     * second member is 4.3 GB and whose last member starts past 4 GiB. */
    if (!getenv("SC_FULL") || !*getenv("SC_FULL"))
        return;
    sc_err err = { 0 };
    sc_synth_manifest *m = sc_synth_manifest_open(synth_dir(), 100, "encoder", &err);
    ck_assert_msg(m != NULL, "%s", err.msg);
    const char *path = sct_scratch("synth/full/encoder.ckpt");
    roundtrip(m, path);
    sc_synth_manifest_free(m);
    unlink(path);

    sc_ckpt_item items[3] = {
        { "a", SC_F32, 1, { 100 } },
        { "huge", SC_U8, 1, { 4300000000LL } },
        { "b", SC_F32, 2, { 3, 1000 } },
    };
    path = sct_scratch("synth/full/zip64.ckpt");
    pattern_ctx c = { items };
    sc_pool *pool = sc_pool_create(2, &err);
    ck_assert_int_eq(sc_ckpt_write(path, items, 3, pattern_fill, &c, pool, &err), SC_OK);
    sc_pool_destroy(pool);
    ck_assert_int_eq(check_zip(path), 5);
    sc_ckpt *ck = sc_ckpt_open(path, &err);
    ck_assert_msg(ck != NULL, "%s", err.msg);
    const sc_tensor *t = sc_ckpt_find(ck, "huge");
    ck_assert(t && t->shape[0] == 4300000000LL);
    const unsigned char *b = t->data;
    ck_assert(b[4299999999ULL] == (unsigned char)((4299999999ULL * 7 + 1) & 255));
    t = sc_ckpt_find(ck, "b");
    b = t->data;
    size_t k = 0;
    while (k < 12000 && b[k] == (unsigned char)((k * 7 + 2) & 255))
        k++;
    ck_assert_uint_eq(k, 12000);
    sc_ckpt_close(ck);
    unlink(path);
}
END_TEST

/* The writer is not part of the installed library: libsc.so reads
 * checkpoints and serves synthetic weights in memory, but exports no
 * writer ($SC_LIBSC_SO overrides the library to look at). */
START_TEST(test_writer_not_in_libsc)
{
    char path[4096];
    const char *so = getenv("SC_LIBSC_SO");
    if (!so) {
        const char *b = getenv("SC_BUILDDIR");
        snprintf(path, sizeof path, "%s/libsc/.libs/libsc.so", b ? b : ".");
        so = path;
    }
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h != NULL, "dlopen %s: %s", so, dlerror());
    ck_assert_ptr_nonnull(dlsym(h, "sc_synth_weights"));
    ck_assert_ptr_nonnull(dlsym(h, "sc_synth_manifest_open"));
    static const char *const gone[] = {"sc_ckpt_write", "sc_synth_write_ckpt",
                                       "sc_synth_write_codebook", "sc_crc32_combine",
                                       "sci_tmp_open", "sci_pickle_state_dict"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
        ck_assert_msg(dlsym(h, gone[i]) == NULL, "%s exports %s", so, gone[i]);
    dlclose(h);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("synth");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_prng_check);
    tcase_add_test(tc, test_fill_matches_scalar);
    tcase_add_test(tc, test_copies_match_kit);
    tcase_add_test(tc, test_manifest_counts);
    tcase_add_test(tc, test_manifest_real_keys);
    tcase_add_test(tc, test_manifest_strict);
    tcase_add_test(tc, test_codebooks);
    tcase_add_test(tc, test_weights_source);
    tcase_add_test(tc, test_crc_combine);
    tcase_add_test(tc, test_writer_dtypes);
    tcase_add_test(tc, test_writer_manifest);
    tcase_add_test(tc, test_writer_full);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("exports");
    tcase_add_test(te, test_writer_not_in_libsc);
    suite_add_tcase(s, te);
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
