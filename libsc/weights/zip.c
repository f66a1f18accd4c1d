/* libsc/weights/zip.c - read-only ZIP reader for PyTorch checkpoints (see zip.h).
 *
 * All arithmetic on offsets read from the file is done in uint64_t against
 * bounds that are themselves checked, so a hostile directory can neither
 * overflow nor point outside the image.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "zip.h"

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD    0x06054b50u
#define SIG_EOCD64  0x06064b50u
#define SIG_LOC64   0x07064b50u

#define EOCD_LEN 22
#define LOC64_LEN 20
#define EOCD64_LEN 56
#define CENTRAL_LEN 46
#define LOCAL_LEN 30

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Member name for messages: printable ASCII only, truncated. */
static const char *printable(char *buf, size_t n, const char *s, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 4 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (j + 4 >= n && len > j) {
        buf[j++] = '.';
        buf[j++] = '.';
        buf[j++] = '.';
    }
    buf[j] = 0;
    return buf;
}

int sci_zip_sniff(const void *data, size_t size)
{
    const unsigned char *p = (const unsigned char *)data;
    if (size < 4)
        return 0;
    uint32_t sig = rd32(p);
    return sig == SIG_LOCAL || (sig == SIG_EOCD && size >= EOCD_LEN);
}

void sci_zip_close(sci_zip *z)
{
    if (!z)
        return;
    free(z->ents);
    sci_strmap_free(&z->index);
    memset(z, 0, sizeof *z);
}

/* Find the end records; fills the directory's offset, size and count. */
static int find_directory(sci_zip *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count,
                          sc_err *err)
{
    const unsigned char *d = z->data;
    size_t size = z->size;
    if (size < EOCD_LEN)
        return sc_err_set(err, SC_EFORMAT, "%s: zip archive truncated (%zu bytes)", z->fname, size);

    /* The EOCD is the last record; only a comment (<= 65535 bytes) follows. */
    size_t lo = size - EOCD_LEN > 65535 ? size - EOCD_LEN - 65535 : 0;
    size_t pos = size - EOCD_LEN;
    int found = 0;
    for (;;) {
        if (rd32(d + pos) == SIG_EOCD && pos + EOCD_LEN + rd16(d + pos + 20) <= size) {
            found = 1;
            break;
        }
        if (pos == lo)
            break;
        pos--;
    }
    if (!found)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: no zip end-of-central-directory record (truncated file?)", z->fname);

    const unsigned char *e = d + pos;
    unsigned disk = rd16(e + 4), cd_disk = rd16(e + 6);
    uint64_t n_disk = rd16(e + 8), n_total = rd16(e + 10);
    uint64_t cds = rd32(e + 12), cdo = rd32(e + 16);
    uint64_t dir_end = pos;   /* the directory must end before the end records */

    int has_loc64 = pos >= LOC64_LEN && rd32(d + pos - LOC64_LEN) == SIG_LOC64;
    int saturated = n_disk == 0xFFFF || n_total == 0xFFFF || cds == 0xFFFFFFFFu ||
                    cdo == 0xFFFFFFFFu;
    if (has_loc64) {
        const unsigned char *l = d + pos - LOC64_LEN;
        uint64_t off64 = rd64(l + 8);
        if (rd32(l + 4) != 0 || rd32(l + 16) > 1)
            return sc_err_set(err, SC_EUNSUPPORTED, "%s: multi-disk zip archives are not supported",
                              z->fname);
        uint64_t loc_pos = pos - LOC64_LEN;
        if (off64 > loc_pos || loc_pos - off64 < EOCD64_LEN)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: ZIP64 end record offset %llu out of range (locator at %llu)",
                              z->fname, (unsigned long long)off64, (unsigned long long)loc_pos);
        const unsigned char *r = d + off64;
        if (rd32(r) != SIG_EOCD64)
            return sc_err_set(err, SC_EFORMAT, "%s: bad ZIP64 end record signature at offset %llu",
                              z->fname, (unsigned long long)off64);
        /* Where the classic record is not saturated it must agree: two
         * readers must never see two different archives in one file. */
        if ((disk != 0xFFFF && disk != rd32(r + 16)) ||
            (cd_disk != 0xFFFF && cd_disk != rd32(r + 20)) ||
            (n_disk != 0xFFFF && n_disk != rd64(r + 24)) ||
            (n_total != 0xFFFF && n_total != rd64(r + 32)) ||
            (cds != 0xFFFFFFFFu && cds != rd64(r + 40)) ||
            (cdo != 0xFFFFFFFFu && cdo != rd64(r + 48)))
            return sc_err_set(err, SC_EFORMAT,
                              "%s: zip end record and ZIP64 end record disagree", z->fname);
        disk = rd32(r + 16);
        cd_disk = rd32(r + 20);
        n_disk = rd64(r + 24);
        n_total = rd64(r + 32);
        cds = rd64(r + 40);
        cdo = rd64(r + 48);
        dir_end = off64;
    } else if (saturated) {
        return sc_err_set(err, SC_EFORMAT,
                          "%s: zip end record needs ZIP64 values but has no ZIP64 locator",
                          z->fname);
    }
    if (disk != 0 || cd_disk != 0 || n_disk != n_total)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: multi-disk zip archives are not supported",
                          z->fname);
    if (cdo > dir_end || cds > dir_end - cdo)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: central directory (offset %llu, size %llu) outside the archive "
                          "(%llu bytes before the end records)",
                          z->fname, (unsigned long long)cdo, (unsigned long long)cds,
                          (unsigned long long)dir_end);
    if (n_total > cds / CENTRAL_LEN)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: zip directory claims %llu entries in %llu bytes", z->fname,
                          (unsigned long long)n_total, (unsigned long long)cds);
    *cd_off = cdo;
    *cd_size = cds;
    *count = n_total;
    return SC_OK;
}

/* ZIP64 extended information: replaces the saturated 32/16-bit fields, in
 * the order the spec fixes (usize, csize, local offset, disk). */
static int parse_extra(sci_zip *z, sci_zip_entry *e, const unsigned char *x, size_t xlen,
                       unsigned disk16, sc_err *err)
{
    char nb[160];
    size_t i = 0;
    while (i + 4 <= xlen) {
        unsigned id = rd16(x + i), len = rd16(x + i + 2);
        if (len > xlen - i - 4)
            return sc_err_set(err, SC_EFORMAT, "%s: member '%s': extra field overruns its record",
                              z->fname, printable(nb, sizeof nb, e->name, e->name_len));
        if (id == 0x0001) {
            const unsigned char *f = x + i + 4;
            unsigned need = 0;
            if (e->usize == 0xFFFFFFFFu) need += 8;
            if (e->csize == 0xFFFFFFFFu) need += 8;
            if (e->local_off == 0xFFFFFFFFu) need += 8;
            if (disk16 == 0xFFFF) need += 4;
            if (len < need)
                return sc_err_set(err, SC_EFORMAT,
                                  "%s: member '%s': ZIP64 extra field has %u bytes, needs %u",
                                  z->fname, printable(nb, sizeof nb, e->name, e->name_len), len,
                                  need);
            if (e->usize == 0xFFFFFFFFu) { e->usize = rd64(f); f += 8; }
            if (e->csize == 0xFFFFFFFFu) { e->csize = rd64(f); f += 8; }
            if (e->local_off == 0xFFFFFFFFu) { e->local_off = rd64(f); f += 8; }
            if (disk16 == 0xFFFF && rd32(f) != 0)
                return sc_err_set(err, SC_EUNSUPPORTED,
                                  "%s: multi-disk zip archives are not supported", z->fname);
        }
        i += 4 + (size_t)len;
    }
    return SC_OK;
}

int sci_zip_open(sci_zip *z, const void *data, size_t size, const char *fname, sc_err *err)
{
    memset(z, 0, sizeof *z);
    z->data = (const unsigned char *)data;
    z->size = size;
    z->fname = fname ? fname : "(zip)";

    uint64_t cdo = 0, cds = 0, n = 0;
    int rc = find_directory(z, &cdo, &cds, &n, err);
    if (rc < 0)
        return rc;
    z->cd_off = cdo;
    if (n) {
        z->ents = (sci_zip_entry *)calloc((size_t)n, sizeof *z->ents);
        if (!z->ents || sci_strmap_init(&z->index, (size_t)n) < 0) {
            sci_zip_close(z);
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory for %llu zip entries", fname,
                              (unsigned long long)n);
        }
    }

    const unsigned char *p = z->data + cdo, *end = z->data + cdo + cds;
    char nb[160];
    for (uint64_t k = 0; k < n; k++) {
        if ((size_t)(end - p) < CENTRAL_LEN || rd32(p) != SIG_CENTRAL) {
            rc = sc_err_set(err, SC_EFORMAT, "%s: bad central directory entry %llu at offset %llu",
                            z->fname, (unsigned long long)k,
                            (unsigned long long)(p - z->data));
            goto fail;
        }
        sci_zip_entry *e = &z->ents[k];
        size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        if (nlen + xlen + clen > (size_t)(end - p) - CENTRAL_LEN) {
            rc = sc_err_set(err, SC_EFORMAT, "%s: central directory entry %llu overruns the directory",
                            z->fname, (unsigned long long)k);
            goto fail;
        }
        e->flags = rd16(p + 8);
        e->method = rd16(p + 10);
        e->csize = rd32(p + 20);
        e->usize = rd32(p + 24);
        e->local_off = rd32(p + 42);
        e->name = (const char *)p + CENTRAL_LEN;
        e->name_len = nlen;
        rc = parse_extra(z, e, p + CENTRAL_LEN + nlen, xlen, rd16(p + 34), err);
        if (rc < 0)
            goto fail;
        if (e->local_off >= cdo) {
            rc = sc_err_set(err, SC_EFORMAT,
                            "%s: member '%s': local header offset %llu past the central directory",
                            z->fname, printable(nb, sizeof nb, e->name, e->name_len),
                            (unsigned long long)e->local_off);
            goto fail;
        }
        int64_t old;
        if (sci_strmap_put(&z->index, e->name, nlen, (int64_t)k, &old) == 0) {
            rc = sc_err_set(err, SC_EFORMAT, "%s: duplicate zip member '%s'", z->fname,
                            printable(nb, sizeof nb, e->name, e->name_len));
            goto fail;
        }
        p += CENTRAL_LEN + nlen + xlen + clen;
    }
    z->n = (size_t)n;
    return SC_OK;
fail:
    sci_zip_close(z);
    return rc;
}

const sci_zip_entry *sci_zip_find(const sci_zip *z, const char *name, size_t len)
{
    int64_t i = sci_strmap_get(&z->index, name, len);
    return i < 0 ? NULL : &z->ents[i];
}

int sci_zip_data(const sci_zip *z, const sci_zip_entry *e, const unsigned char **data,
                 uint64_t *size, sc_err *err)
{
    char nb[160];
    const char *nm = printable(nb, sizeof nb, e->name, e->name_len);
    if (e->flags & 1)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: member '%s' is encrypted", z->fname, nm);
    if (e->method != 0)
        return sc_err_set(err, SC_EUNSUPPORTED,
                          "%s: member '%s' is compressed (method %u); only stored members "
                          "are supported",
                          z->fname, nm, e->method);
    if (e->csize != e->usize)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: member '%s' is stored but sizes differ (%llu vs %llu)", z->fname,
                          nm, (unsigned long long)e->csize, (unsigned long long)e->usize);
    /* Local records and their data lie before the central directory. */
    uint64_t lim = z->cd_off;
    if (e->local_off > lim || lim - e->local_off < LOCAL_LEN)
        return sc_err_set(err, SC_EFORMAT, "%s: member '%s': local header out of range", z->fname,
                          nm);
    const unsigned char *l = z->data + e->local_off;
    if (rd32(l) != SIG_LOCAL)
        return sc_err_set(err, SC_EFORMAT, "%s: member '%s': bad local header signature at %llu",
                          z->fname, nm, (unsigned long long)e->local_off);
    uint64_t nlen = rd16(l + 26), xlen = rd16(l + 28);
    if (rd16(l + 8) != e->method)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: member '%s': local and central headers disagree on method",
                          z->fname, nm);
    uint64_t doff = e->local_off + LOCAL_LEN + nlen + xlen;   /* < 2^64: terms are small */
    if (doff > lim || e->usize > lim - doff)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: member '%s': data (offset %llu, %llu bytes) outside the archive",
                          z->fname, nm, (unsigned long long)doff, (unsigned long long)e->usize);
    if (nlen != e->name_len || memcmp(l + LOCAL_LEN, e->name, (size_t)nlen) != 0)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: member '%s': local header names a different file", z->fname, nm);
    *data = z->data + doff;
    *size = e->usize;
    return SC_OK;
}
