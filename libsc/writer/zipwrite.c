/* The torch zip checkpoint writer (see sc_ckpt_write in libsc/writer/ckptwrite.h).
 *
 * Layout, as torch 1.13's PyTorchStreamWriter (miniz) writes it -- checked
 * against the kit's loader/plain_zip.ckpt:
 *   local header: version 0, flags 0x0808 (UTF-8 names, data descriptor;
 *     0x0800 for an empty member), STORED, time/date 0, crc and sizes 0;
 *     extra = [ZIP64 {usize, csize} if size >= 4 GiB, {offset} if the
 *     header starts at >= 4 GiB] + "FB" padding of 'Z' bytes so the data
 *     starts on a 64-byte boundary;
 *   data; data descriptor "PK\7\8" crc + sizes (64-bit when the local
 *     header had a ZIP64 extra);
 *   central directory with ZIP64 extras where a field overflows, then
 *   always a ZIP64 end record, its locator and the classic end record.
 * Members: <stem>/data.pkl, <stem>/data/<n> in sorted string order (as
 * torch sorts the storage keys), <stem>/version = "3\n".
 *
 * Data is produced in chunks: the parts of a chunk are filled and their
 * CRCs computed in parallel on the pool, the part CRCs combined, and the
 * chunk written.  Memory stays at one chunk however large the model.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc/util.h"
#include "synth_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ZW_HAVE_CLMUL 1
#endif

/* ---- CRC-32 ------------------------------------------------------------ */

#define CRC_POLY 0xedb88320u

/* a * b modulo the CRC polynomial (reflected bit order). */
static uint32_t multmodp(uint32_t a, uint32_t b)
{
    uint32_t m = 1u << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ CRC_POLY : b >> 1;
    }
    return p;
}

uint32_t sc_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    /* crc(A||B) = crc_a * x^(8 len_b) + crc_b */
    uint32_t p = 1u << 31;          /* x^0 */
    uint32_t sq = 1u << 23;         /* x^8 */
    while (len_b) {
        if (len_b & 1)
            p = multmodp(sq, p);
        len_b >>= 1;
        if (len_b)
            sq = multmodp(sq, sq);
    }
    return multmodp(p, crc_a) ^ crc_b;
}

#ifdef ZW_HAVE_CLMUL
/* Folding by carry-less multiplication (Gopal et al., "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ", Intel 2009), for
 * the reflected polynomial.  n >= 64 and a multiple of 16; crc is the raw
 * (inverted) register. */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_clmul(uint32_t crc, const unsigned char *p, size_t n)
{
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i poly = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i mask32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 0));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(p + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;
    while (n >= 64) {
        __m128i a1 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
        __m128i a2 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
        __m128i a3 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
        __m128i a4 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
        x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
        x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
        x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, a1), _mm_loadu_si128((const __m128i *)(p + 0)));
        x2 = _mm_xor_si128(_mm_xor_si128(x2, a2), _mm_loadu_si128((const __m128i *)(p + 16)));
        x3 = _mm_xor_si128(_mm_xor_si128(x3, a3), _mm_loadu_si128((const __m128i *)(p + 32)));
        x4 = _mm_xor_si128(_mm_xor_si128(x4, a4), _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    /* fold the four lanes into one */
    __m128i a;
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), a), x2);
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), a), x3);
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00);
    x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), a), x4);
    while (n >= 16) {
        a = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), a),
                           _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
    /* 128 -> 64 bits */
    __m128i x2b = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2b);
    x2b = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, mask32);
    x1 = _mm_clmulepi64_si128(x1, k5, 0x00);
    x1 = _mm_xor_si128(x1, x2b);
    /* Barrett reduction to 32 bits */
    x2b = _mm_and_si128(x1, mask32);
    x2b = _mm_clmulepi64_si128(x2b, poly, 0x10);
    x2b = _mm_and_si128(x2b, mask32);
    x2b = _mm_clmulepi64_si128(x2b, poly, 0x00);
    x1 = _mm_xor_si128(x1, x2b);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

uint32_t sci_crc32_fast(uint32_t crc, const void *buf, size_t n)
{
#ifdef ZW_HAVE_CLMUL
    if (n >= 64 && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")) {
        size_t bulk = n & ~(size_t)15;
        crc = ~crc_clmul(~crc, buf, bulk);
        return sc_crc32(crc, (const unsigned char *)buf + bulk, n - bulk);
    }
#endif
    return sc_crc32(crc, buf, n);
}

/* ---- temporary output -------------------------------------------------- */

int sci_tmp_open(sci_tmpfile *t, const char *path, sc_err *err)
{
    memset(t, 0, sizeof(*t));
    size_t n = strlen(path);
    t->path = strdup(path);
    t->tmp = malloc(n + 16);
    if (!t->path || !t->tmp) {
        free(t->path);
        free(t->tmp);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    snprintf(t->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(t->tmp);
    if (fd < 0) {
        int e = errno;
        free(t->path);
        free(t->tmp);
        t->path = t->tmp = NULL;
        return sc_err_set(err, SC_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    sc_tmp_track(t->tmp);
    (void)fchmod(fd, 0644);
    t->f = fdopen(fd, "wb");
    if (!t->f) {
        int e = errno;
        close(fd);
        unlink(t->tmp);
        sc_tmp_untrack(t->tmp);
        free(t->path);
        free(t->tmp);
        t->path = t->tmp = NULL;
        return sc_err_set(err, SC_EIO, "%s: %s", path, strerror(e));
    }
    setvbuf(t->f, NULL, _IOFBF, 1 << 20);
    return SC_OK;
}

int sci_tmp_write(sci_tmpfile *t, const void *data, size_t n, sc_err *err)
{
    if (n && fwrite(data, 1, n, t->f) != n)
        return sc_err_set(err, SC_EIO, "%s: write failed: %s", t->path, strerror(errno));
    t->pos += n;
    return SC_OK;
}

int sci_tmp_commit(sci_tmpfile *t, sc_err *err)
{
    int rc = SC_OK;
    if (fflush(t->f) != 0 || ferror(t->f))
        rc = sc_err_set(err, SC_EIO, "%s: write failed: %s", t->path, strerror(errno));
    if (fclose(t->f) != 0 && rc == SC_OK)
        rc = sc_err_set(err, SC_EIO, "%s: write failed: %s", t->path, strerror(errno));
    t->f = NULL;
    if (rc == SC_OK && rename(t->tmp, t->path) != 0)
        rc = sc_err_set(err, SC_EIO, "%s: cannot rename from %s: %s", t->path, t->tmp,
                        strerror(errno));
    if (rc != SC_OK)
        unlink(t->tmp);
    sc_tmp_untrack(t->tmp);
    free(t->path);
    free(t->tmp);
    t->path = t->tmp = NULL;
    return rc;
}

void sci_tmp_abort(sci_tmpfile *t)
{
    if (t->f)
        fclose(t->f);
    if (t->tmp) {
        unlink(t->tmp);
        sc_tmp_untrack(t->tmp);
    }
    free(t->path);
    free(t->tmp);
    memset(t, 0, sizeof(*t));
}

/* ---- parallel chunked production --------------------------------------- */

#define CHUNK ((size_t)32 << 20)
#define PART ((size_t)1 << 20)
#define NPART_MAX (CHUNK / PART)

typedef struct stream_job {
    sc_ckpt_fill_fn fill;
    void *ctx;
    int64_t item;
    uint64_t off;              /* of the chunk within the item */
    size_t len;                /* of the chunk */
    unsigned char *buf;
    uint32_t crc[NPART_MAX];
    int want_crc;
    int rc[NPART_MAX];
    sc_err err[NPART_MAX];
} stream_job;

static void stream_worker(void *arg, int64_t begin, int64_t end, int worker)
{
    stream_job *j = arg;
    (void)worker;
    for (int64_t p = begin; p < end; p++) {
        size_t lo = (size_t)p * PART;
        size_t n = j->len - lo < PART ? j->len - lo : PART;
        sc_err_clear(&j->err[p]);
        j->rc[p] = j->fill(j->ctx, j->item, j->off + lo, j->buf + lo, n, &j->err[p]);
        if (j->rc[p] == SC_OK && j->want_crc)
            j->crc[p] = sci_crc32_fast(0, j->buf + lo, n);
    }
}

int sci_stream_item(sci_tmpfile *t, uint64_t total, sc_ckpt_fill_fn fill, void *ctx,
                    int64_t item, sc_pool *pool, uint32_t *crc, sc_err *err)
{
    if (total == 0) {
        if (crc)
            *crc = 0;
        return SC_OK;
    }
    size_t bufsize = total < CHUNK ? (size_t)total : CHUNK;
    stream_job *j = calloc(1, sizeof(*j));
    unsigned char *buf = malloc(bufsize);
    if (!j || !buf) {
        free(j);
        free(buf);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", t->path);
    }
    j->fill = fill;
    j->ctx = ctx;
    j->item = item;
    j->buf = buf;
    j->want_crc = crc != NULL;
    uint32_t c = 0;
    int rc = SC_OK;
    for (uint64_t off = 0; off < total && rc == SC_OK; off += bufsize) {
        j->off = off;
        j->len = total - off < bufsize ? (size_t)(total - off) : bufsize;
        int64_t nparts = (int64_t)((j->len + PART - 1) / PART);
        sc_pool_for(pool, nparts, stream_worker, j);
        for (int64_t p = 0; p < nparts; p++) {
            if (j->rc[p] != SC_OK) {
                rc = j->rc[p];
                if (err && !err->code)
                    *err = j->err[p];
                break;
            }
            if (crc) {
                size_t n = j->len - (size_t)p * PART < PART ? j->len - (size_t)p * PART : PART;
                c = off == 0 && p == 0 ? j->crc[0] : sc_crc32_combine(c, j->crc[p], n);
            }
        }
        if (rc == SC_OK)
            rc = sci_tmp_write(t, buf, j->len, err);
    }
    free(buf);
    free(j);
    if (rc == SC_OK && crc)
        *crc = c;
    return rc;
}

/* ---- zip ---------------------------------------------------------------- */

#define U32MAX 0xffffffffu

typedef struct zw_member {
    char *name;
    uint64_t hdr, size;
    uint32_t crc;
} zw_member;

typedef struct zw {
    sci_tmpfile t;
    zw_member *m;
    size_t n, cap;
    char *stem;
} zw;

static void le16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

/* Local header and padding of a member of `size` bytes named stem/rel. */
static int zw_begin(zw *z, const char *rel, uint64_t size, sc_err *err)
{
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 64;
        zw_member *m = realloc(z->m, cap * sizeof(*m));
        if (!m)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", z->t.path);
        z->m = m;
        z->cap = cap;
    }
    size_t nl = strlen(z->stem) + 1 + strlen(rel);
    char *name = malloc(nl + 1);
    if (!name)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", z->t.path);
    snprintf(name, nl + 1, "%s/%s", z->stem, rel);
    if (nl > 0xffff) {
        free(name);
        return sc_err_set(err, SC_EARG, "%s: member name too long", z->t.path);
    }
    zw_member *m = &z->m[z->n++];
    m->name = name;
    m->hdr = z->t.pos;
    m->size = size;
    m->crc = 0;

    unsigned char x64[4 + 24];
    size_t nx = 0;
    if (size >= U32MAX || m->hdr >= U32MAX) {
        size_t k = 4;
        if (size >= U32MAX) {
            sc_put_le64(x64 + k, size);
            sc_put_le64(x64 + k + 8, size);
            k += 16;
        }
        if (m->hdr >= U32MAX) {
            sc_put_le64(x64 + k, m->hdr);
            k += 8;
        }
        le16(x64, 1);
        le16(x64 + 2, (unsigned)(k - 4));
        nx = k;
    }
    uint64_t start = m->hdr + 30 + nl + nx + 4;
    size_t pad = (size_t)((64 - start % 64) % 64);

    unsigned char h[30];
    memset(h, 0, sizeof(h));
    sc_put_le32(h, 0x04034b50u);
    le16(h + 6, size ? 0x0808 : 0x0800);
    le16(h + 26, (unsigned)nl);
    le16(h + 28, (unsigned)(nx + 4 + pad));
    unsigned char fb[4 + 64];
    fb[0] = 'F';
    fb[1] = 'B';
    le16(fb + 2, (unsigned)pad);
    memset(fb + 4, 'Z', pad);
    int rc = sci_tmp_write(&z->t, h, sizeof(h), err);
    if (rc == SC_OK)
        rc = sci_tmp_write(&z->t, name, nl, err);
    if (rc == SC_OK)
        rc = sci_tmp_write(&z->t, x64, nx, err);
    if (rc == SC_OK)
        rc = sci_tmp_write(&z->t, fb, 4 + pad, err);
    return rc;
}

static int zw_end(zw *z, uint32_t crc, sc_err *err)
{
    zw_member *m = &z->m[z->n - 1];
    m->crc = crc;
    if (m->size == 0)
        return SC_OK;
    unsigned char d[24];
    size_t nd;
    sc_put_le32(d, 0x08074b50u);
    sc_put_le32(d + 4, crc);
    if (m->size >= U32MAX || m->hdr >= U32MAX) {
        sc_put_le64(d + 8, m->size);
        sc_put_le64(d + 16, m->size);
        nd = 24;
    } else {
        sc_put_le32(d + 8, (uint32_t)m->size);
        sc_put_le32(d + 12, (uint32_t)m->size);
        nd = 16;
    }
    return sci_tmp_write(&z->t, d, nd, err);
}

static int zw_mem(zw *z, const char *rel, const void *data, size_t n, sc_err *err)
{
    int rc = zw_begin(z, rel, n, err);
    if (rc == SC_OK)
        rc = sci_tmp_write(&z->t, data, n, err);
    if (rc == SC_OK)
        rc = zw_end(z, sci_crc32_fast(0, data, n), err);
    return rc;
}

static int zw_finish(zw *z, sc_err *err)
{
    uint64_t cd = z->t.pos;
    int rc = SC_OK;
    for (size_t i = 0; i < z->n && rc == SC_OK; i++) {
        zw_member *m = &z->m[i];
        size_t nl = strlen(m->name);
        unsigned char h[46], x[4 + 24];
        size_t nx = 0;
        if (m->size >= U32MAX || m->hdr >= U32MAX) {
            size_t k = 4;
            if (m->size >= U32MAX) {
                sc_put_le64(x + k, m->size);
                sc_put_le64(x + k + 8, m->size);
                k += 16;
            }
            if (m->hdr >= U32MAX) {
                sc_put_le64(x + k, m->hdr);
                k += 8;
            }
            le16(x, 1);
            le16(x + 2, (unsigned)(k - 4));
            nx = k;
        }
        memset(h, 0, sizeof(h));
        sc_put_le32(h, 0x02014b50u);
        le16(h + 8, m->size ? 0x0808 : 0x0800);
        sc_put_le32(h + 16, m->crc);
        sc_put_le32(h + 20, m->size >= U32MAX ? U32MAX : (uint32_t)m->size);
        sc_put_le32(h + 24, m->size >= U32MAX ? U32MAX : (uint32_t)m->size);
        le16(h + 28, (unsigned)nl);
        le16(h + 30, (unsigned)nx);
        sc_put_le32(h + 42, m->hdr >= U32MAX ? U32MAX : (uint32_t)m->hdr);
        rc = sci_tmp_write(&z->t, h, sizeof(h), err);
        if (rc == SC_OK)
            rc = sci_tmp_write(&z->t, m->name, nl, err);
        if (rc == SC_OK)
            rc = sci_tmp_write(&z->t, x, nx, err);
    }
    if (rc != SC_OK)
        return rc;
    uint64_t cdsize = z->t.pos - cd, z64 = z->t.pos;
    unsigned char e[56 + 20 + 22];
    memset(e, 0, sizeof(e));
    unsigned char *p = e;
    sc_put_le32(p, 0x06064b50u);            /* ZIP64 end of central directory */
    sc_put_le64(p + 4, 44);
    le16(p + 12, 0x031e);
    le16(p + 14, 0x002d);
    sc_put_le64(p + 24, z->n);
    sc_put_le64(p + 32, z->n);
    sc_put_le64(p + 40, cdsize);
    sc_put_le64(p + 48, cd);
    p += 56;
    sc_put_le32(p, 0x07064b50u);            /* its locator */
    sc_put_le64(p + 8, z64);
    sc_put_le32(p + 16, 1);
    p += 20;
    sc_put_le32(p, 0x06054b50u);            /* end of central directory */
    le16(p + 8, z->n >= 0xffff ? 0xffff : (unsigned)z->n);
    le16(p + 10, z->n >= 0xffff ? 0xffff : (unsigned)z->n);
    sc_put_le32(p + 12, cdsize >= U32MAX ? U32MAX : (uint32_t)cdsize);
    sc_put_le32(p + 16, cd >= U32MAX ? U32MAX : (uint32_t)cd);
    return sci_tmp_write(&z->t, e, sizeof(e), err);
}

static void zw_free(zw *z)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->m[i].name);
    free(z->m);
    free(z->stem);
}

/* torch sorts the storage keys ("0", "1", "10", ...) as strings. */
static int cmp_keystr(const void *a, const void *b)
{
    char sa[24], sb[24];
    snprintf(sa, sizeof(sa), "%lld", *(const long long *)a);
    snprintf(sb, sizeof(sb), "%lld", *(const long long *)b);
    return strcmp(sa, sb);
}

int sc_ckpt_write(const char *path, const sc_ckpt_item *items, int64_t n, sc_ckpt_fill_fn fill,
                  void *ctx, sc_pool *pool, sc_err *err)
{
    if (!path || (n > 0 && (!items || !fill)) || n < 0)
        return sc_err_set(err, SC_EARG, "sc_ckpt_write: bad arguments");
    zw z;
    memset(&z, 0, sizeof(z));
    /* archive folder: file name without directory and extension */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    z.stem = strdup(base);
    long long *order = malloc((size_t)(n ? n : 1) * sizeof(*order));
    sci_buf pkl = { 0 };
    if (!z.stem || !order) {
        free(z.stem);
        free(order);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", path);
    }
    char *dot = strrchr(z.stem, '.');
    if (dot && dot != z.stem)
        *dot = '\0';

    int rc = sci_pickle_state_dict(&pkl, items, n, err);
    if (rc < 0) {
        sc_err_prefix(err, "%s", path);
        goto out_nofile;
    }
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    qsort(order, (size_t)n, sizeof(*order), cmp_keystr);

    rc = sci_tmp_open(&z.t, path, err);
    if (rc < 0)
        goto out_nofile;
    rc = zw_mem(&z, "data.pkl", pkl.p, pkl.n, err);
    for (int64_t k = 0; k < n && rc == SC_OK; k++) {
        int64_t i = order[k];
        char rel[32];
        snprintf(rel, sizeof(rel), "data/%lld", (long long)i);
        uint64_t bytes = (uint64_t)sci_item_numel(&items[i]) * sc_dtype_size(items[i].dtype);
        uint32_t crc = 0;
        rc = zw_begin(&z, rel, bytes, err);
        if (rc == SC_OK)
            rc = sci_stream_item(&z.t, bytes, fill, ctx, i, pool, &crc, err);
        if (rc == SC_OK)
            rc = zw_end(&z, crc, err);
    }
    if (rc == SC_OK)
        rc = zw_mem(&z, "version", "3\n", 2, err);
    if (rc == SC_OK)
        rc = zw_finish(&z, err);
    if (rc == SC_OK)
        rc = sci_tmp_commit(&z.t, err);
    else
        sci_tmp_abort(&z.t);
out_nofile:
    sci_buf_free(&pkl);
    free(order);
    zw_free(&z);
    return rc;
}
