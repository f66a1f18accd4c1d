/* Token files: the bit-packed `sc` stream, `text` and `npy` (see
 * sc/tokstream.h and sc-stream(5), TOKEN STREAM). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "sc/npy.h"
#include "sc/stage_frontend.h"
#include "sc/tokstream.h"
#include "sc/util.h"
#include "frame.h"

/* ---- layout of the sc form (all little-endian) ----
 * stream header, SCTK_HDR bytes:
 *   0 "SCTK"  4 u16 version  6 u16 header bytes  8 u16 rate  10 u16 flags
 *   12 u32 semantic vocab  16 u32 acoustic vocab  20 i64 samples (-1 unknown)
 *   28 u8 semantic bits  29 u8 acoustic bits  30 u16 max pairs per packet
 *   32 u32 zero  36 u32 CRC-32 of bytes 0..35
 * packet: 0 u64 position  8 u32 count  12 u32 CRC-32 of bytes 0..11 and the
 *   payload; payload: count pairs, semantic then acoustic, each value
 *   LSB-first at its bit width, packed contiguously, zero-padded to a byte.
 *   count 0 is the end packet and its position is the total. */
#define SCTK_MAGIC "SCTK"
#define SCTK_HDR 40
#define SCTK_PKT 16
#define SCTK_PACKET_PAIRS 512
#define SCTK_MAX_PACKET_PAIRS 65535
#define TEXT_MAGIC "# sc-tokens v1"
#define NPY_MAX_BYTES ((size_t)1 << 31)

int sc_tokfmt_parse(const char *name, int *fmt)
{
    if (!strcmp(name, "sc"))
        *fmt = SC_TOKFMT_SC;
    else if (!strcmp(name, "text"))
        *fmt = SC_TOKFMT_TEXT;
    else if (!strcmp(name, "npy"))
        *fmt = SC_TOKFMT_NPY;
    else
        return SC_EARG;
    return SC_OK;
}

const char *sc_tokfmt_name(int fmt)
{
    switch (fmt) {
    case SC_TOKFMT_SC: return "sc";
    case SC_TOKFMT_TEXT: return "text";
    case SC_TOKFMT_NPY: return "npy";
    case SC_TOKFMT_AUTO: return "auto";
    default: return "?";
    }
}

int sc_tok_bits(int64_t v)
{
    int b = 1;
    while (b < 62 && ((int64_t)1 << b) < v)
        b++;
    return b;
}

static int check_header(const sc_tok_header *h, const char *name, sc_err *err)
{
    if (h->rate != 0 && h->rate != 100 && h->rate != 50 && h->rate != 25)
        return sc_err_set(err, SC_ERANGE, "%s: token rate %d (published: 100, 50, 25)", name,
                          h->rate);
    if (h->sem_vocab < 0 || h->sem_vocab == 1 || h->ac_vocab < 0 || h->ac_vocab == 1)
        return sc_err_set(err, SC_ERANGE, "%s: bad vocabulary size %d/%d", name, h->sem_vocab,
                          h->ac_vocab);
    if (h->flags & ~SC_TOKF_KNOWN)
        return sc_err_set(err, SC_EFORMAT, "%s: unknown header flags 0x%x", name,
                          (unsigned)h->flags);
    /* 2^53 samples (17 800 years at 16 kHz) bounds every form alike, so a
     * header read from one form can be written in any other */
    if (h->samples < -1 || h->samples > ((int64_t)1 << 53))
        return sc_err_set(err, SC_ERANGE, "%s: bad sample count %" PRId64, name, h->samples);
    return SC_OK;
}

/* Messages count pairs from 1, and say so; a text stream's messages give
 * the line instead (at < 0), so that one message has one numbering. */
static int check_pair(const sc_tok_header *h, const char *name, int64_t at, int64_t s, int64_t a,
                      sc_err *err)
{
    char pair[64] = "";
    if (at >= 0)
        snprintf(pair, sizeof pair, " pair %" PRId64 " (counting from 1):", at + 1);
    /* With no vocabulary known (npy, a text header without one, and the
     * caller has not named one with sc_tokr_set_vocab) only the sign can
     * be checked: say so, not "vocabulary 0". */
    if (s < 0 && h->sem_vocab <= 0)
        return sc_err_set(err, SC_ERANGE, "%s:%s semantic token %" PRId64 " is negative", name,
                          pair, s);
    if (a < 0 && h->ac_vocab <= 0)
        return sc_err_set(err, SC_ERANGE, "%s:%s acoustic token %" PRId64 " is negative", name,
                          pair, a);
    if (s < 0 || (h->sem_vocab > 0 && s >= h->sem_vocab))
        return sc_err_set(err, SC_ERANGE, "%s:%s semantic token %" PRId64
                          " out of range (vocabulary %d)", name, pair, s, h->sem_vocab);
    if (a < 0 || (h->ac_vocab > 0 && a >= h->ac_vocab))
        return sc_err_set(err, SC_ERANGE, "%s:%s acoustic token %" PRId64
                          " out of range (vocabulary %d)", name, pair, a, h->ac_vocab);
    return SC_OK;
}

/* ================================ writer ================================ */

struct sc_tokw {
    sci_frame_out o;     /* first: sci_frame_out_new */
    int fmt;
    sc_tok_header h;
    int64_t count;      /* pairs accepted */
    int sbits, abits;
    int64_t (*buf)[2];  /* sc: one packet; npy with unknown count: all */
    int64_t nbuf, capbuf;
    unsigned char *pkt; /* sc: packet image */
};

static size_t pack_bytes(int64_t n, int sb, int ab)
{
    return (size_t)((n * (sb + ab) + 7) / 8);
}

/* Emit the buffered pairs as one packet (or the end packet when n == 0). */
static int sc_flush_packet(sc_tokw *w, sc_err *err)
{
    int64_t n = w->nbuf;
    unsigned char *p = w->pkt;
    size_t pay = pack_bytes(n, w->sbits, w->abits);
    memset(p, 0, SCTK_PKT + pay);
    sc_put_le64(p, (uint64_t)(w->count - n));
    sc_put_le32(p + 8, (uint32_t)n);
    unsigned char *q = p + SCTK_PKT;
    uint64_t acc = 0;
    int nacc = 0;
    size_t o = 0;
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++) {
            int bits = k ? w->abits : w->sbits;
            acc |= (uint64_t)w->buf[i][k] << nacc;
            nacc += bits;
            while (nacc >= 8) {
                q[o++] = (unsigned char)acc;
                acc >>= 8;
                nacc -= 8;
            }
        }
    }
    if (nacc > 0)
        q[o++] = (unsigned char)acc;
    w->nbuf = 0;
    /* sc-stream(5): flushed after every packet, so the next filter in a
     * pipe gets tokens at once and a full disk or a closed pipe shows up
     * early. */
    return sci_frame_write(&w->o, p, 12, q, pay, err);
}

static int write_start(sc_tokw *w, sc_err *err)
{
    if (w->fmt == SC_TOKFMT_SC) {
        unsigned char hd[SCTK_HDR] = { 0 };
        memcpy(hd, SCTK_MAGIC, 4);
        hd[4] = SC_TOK_VERSION;
        hd[6] = SCTK_HDR;
        hd[8] = (unsigned char)w->h.rate;
        hd[9] = (unsigned char)(w->h.rate >> 8);
        hd[10] = (unsigned char)w->h.flags;
        hd[11] = (unsigned char)(w->h.flags >> 8);
        sc_put_le32(hd + 12, (uint32_t)w->h.sem_vocab);
        sc_put_le32(hd + 16, (uint32_t)w->h.ac_vocab);
        sc_put_le64(hd + 20, (uint64_t)w->h.samples);
        hd[28] = (unsigned char)w->sbits;
        hd[29] = (unsigned char)w->abits;
        hd[30] = SCTK_PACKET_PAIRS & 0xff;
        hd[31] = SCTK_PACKET_PAIRS >> 8;
        return sci_frame_write(&w->o, hd, 36, NULL, 0, err);
    }
    if (w->fmt == SC_TOKFMT_TEXT) {
        char line[256];
        int k = snprintf(line, sizeof line, "%s rate=%d vocab=%d acoustic_vocab=%d", TEXT_MAGIC,
                         w->h.rate, w->h.sem_vocab, w->h.ac_vocab);
        if (w->h.samples >= 0)
            k += snprintf(line + k, sizeof line - k, " samples=%" PRId64, w->h.samples);
        k += snprintf(line + k, sizeof line - k, " flags=%u\n", (unsigned)w->h.flags);
        int rc = sci_frame_put(&w->o, line, (size_t)k, err);
        return rc < 0 ? rc : sci_frame_flush(&w->o, err);
    }
    /* npy: with a known count the header goes out now, else at close */
    if (w->h.count >= 0) {
        int64_t shape[3] = { 1, w->h.count, 2 };
        int rc = sc_npy_write_header(w->o.f, SC_I64, 3, shape, w->o.name, err);
        if (rc < 0) {
            w->o.failed = 1;
            return rc;
        }
    }
    return SC_OK;
}

/* On the caller's f, or else on path. */
static sc_tokw *tokw_open(FILE *f, const char *path, const char *name, int fmt,
                          const sc_tok_header *h, sc_err *err)
{
    if (fmt != SC_TOKFMT_SC && fmt != SC_TOKFMT_TEXT && fmt != SC_TOKFMT_NPY) {
        sc_err_set(err, SC_EARG, "%s: unknown token format %d", name, fmt);
        return NULL;
    }
    if (check_header(h, name, err) < 0)
        return NULL;
    if (fmt == SC_TOKFMT_SC && (h->rate == 0 || h->sem_vocab < 2 || h->ac_vocab < 2 ||
                                h->sem_vocab > (1 << 30) || h->ac_vocab > (1 << 30))) {
        sc_err_set(err, SC_EARG, "%s: the sc token stream needs the rate and both vocabularies",
                   name);
        return NULL;
    }
    sc_tokw *w = sci_frame_out_new(sizeof *w, name, err);
    if (!w)
        return NULL;
    w->fmt = fmt;
    w->h = *h;
    if (fmt == SC_TOKFMT_SC) {
        w->sbits = sc_tok_bits(h->sem_vocab);
        w->abits = sc_tok_bits(h->ac_vocab);
        w->capbuf = SCTK_PACKET_PAIRS;
        w->buf = malloc(sizeof *w->buf * (size_t)w->capbuf);
        w->pkt = malloc(SCTK_PKT + pack_bytes(SCTK_PACKET_PAIRS, w->sbits, w->abits));
        if (!w->buf || !w->pkt) {
            sc_tokw_abort(w);
            sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
            return NULL;
        }
    }
    if (sci_frame_out_open(&w->o, f, path, err) < 0 || write_start(w, err) < 0) {
        sc_tokw_abort(w);
        return NULL;
    }
    return w;
}

static void tokw_free(sc_tokw *w)
{
    free(w->buf);
    free(w->pkt);
    free(w);
}

sc_tokw *sc_tokw_open(const char *path, int fmt, const sc_tok_header *h, sc_err *err)
{
    return tokw_open(NULL, path, (!path || !strcmp(path, "-")) ? "<stdout>" : path, fmt, h, err);
}

sc_tokw *sc_tokw_open_file(FILE *f, const char *name, int fmt, const sc_tok_header *h,
                           sc_err *err)
{
    return tokw_open(f, NULL, name ? name : "<stream>", fmt, h, err);
}

int64_t sc_tokw_count(const sc_tokw *w)
{
    return w->count;
}

static int write_pair(sc_tokw *w, int64_t s, int64_t a, sc_err *err)
{
    int rc = check_pair(&w->h, w->o.name, w->count, s, a, err);
    if (rc < 0)
        return rc;
    if (w->fmt == SC_TOKFMT_TEXT) {
        if (fprintf(w->o.f, "%" PRId64 " %" PRId64 "\n", s, a) < 0) {
            w->o.failed = 1;
            return sc_err_set(err, SC_EIO, "%s: write error: %s", w->o.name, strerror(errno));
        }
        w->count++;
        return SC_OK;
    }
    if (w->fmt == SC_TOKFMT_NPY && w->h.count >= 0) {
        if (w->count >= w->h.count)
            return sc_err_set(err, SC_EINTERNAL, "%s: more than the announced %" PRId64 " pairs",
                              w->o.name, w->h.count);
        unsigned char b[16];
        sc_put_le64(b, (uint64_t)s);
        sc_put_le64(b + 8, (uint64_t)a);
        w->count++;
        return sci_frame_put(&w->o, b, 16, err);
    }
    if (w->nbuf == w->capbuf) {
        /* only the buffering npy writer grows */
        int64_t cap = w->capbuf ? w->capbuf * 2 : 1024;
        void *nb = realloc(w->buf, sizeof *w->buf * (size_t)cap);
        if (!nb)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", w->o.name);
        w->buf = nb;
        w->capbuf = cap;
    }
    w->buf[w->nbuf][0] = s;
    w->buf[w->nbuf][1] = a;
    w->nbuf++;
    w->count++;
    if (w->fmt == SC_TOKFMT_SC && w->nbuf == SCTK_PACKET_PAIRS)
        return sc_flush_packet(w, err);
    return SC_OK;
}

int sc_tokw_write(sc_tokw *w, const int64_t (*pairs)[2], int64_t n, sc_err *err)
{
    if (w->o.failed)
        return sc_err_set(err, SC_EIO, "%s: earlier write failed", w->o.name);
    for (int64_t i = 0; i < n; i++) {
        int rc = write_pair(w, pairs[i][0], pairs[i][1], err);
        if (rc < 0) {
            w->o.failed = 1;
            return rc;
        }
    }
    return w->fmt == SC_TOKFMT_TEXT && n ? sci_frame_flush(&w->o, err) : SC_OK;
}

int sc_tokw_write2(sc_tokw *w, const int64_t *sem, const int64_t *ac, int64_t n, sc_err *err)
{
    if (w->o.failed)
        return sc_err_set(err, SC_EIO, "%s: earlier write failed", w->o.name);
    for (int64_t i = 0; i < n; i++) {
        int rc = write_pair(w, sem[i], ac[i], err);
        if (rc < 0) {
            w->o.failed = 1;
            return rc;
        }
    }
    return w->fmt == SC_TOKFMT_TEXT && n ? sci_frame_flush(&w->o, err) : SC_OK;
}

static int write_finish(sc_tokw *w, sc_err *err)
{
    int rc = SC_OK;
    if (w->fmt == SC_TOKFMT_SC) {
        if (w->nbuf > 0 && (rc = sc_flush_packet(w, err)) < 0)
            return rc;
        return sc_flush_packet(w, err);   /* end packet: count 0 */
    }
    if (w->fmt == SC_TOKFMT_TEXT) {
        if (fprintf(w->o.f, "# end count=%" PRId64 "\n", w->count) < 0)
            return sc_err_set(err, SC_EIO, "%s: write error: %s", w->o.name, strerror(errno));
        return SC_OK;
    }
    if (w->h.count >= 0) {
        if (w->count != w->h.count)
            return sc_err_set(err, SC_EINTERNAL, "%s: %" PRId64 " pairs written, %" PRId64
                              " announced", w->o.name, w->count, w->h.count);
        return SC_OK;
    }
    int64_t shape[3] = { 1, w->count, 2 };
    if ((rc = sc_npy_write_header(w->o.f, SC_I64, 3, shape, w->o.name, err)) < 0)
        return rc;
    for (int64_t i = 0; i < w->count; i++) {
        unsigned char b[16];
        sc_put_le64(b, (uint64_t)w->buf[i][0]);
        sc_put_le64(b + 8, (uint64_t)w->buf[i][1]);
        if ((rc = sci_frame_put(&w->o, b, 16, err)) < 0)
            return rc;
    }
    return SC_OK;
}

int sc_tokw_close(sc_tokw *w, sc_err *err)
{
    if (!w)
        return SC_OK;
    if (w->o.failed) {
        sc_tokw_abort(w);
        return sc_err_set(err, SC_EIO, "output not written after an earlier error");
    }
    int rc = sci_frame_out_end(&w->o, write_finish(w, err), err);
    tokw_free(w);
    return rc;
}

void sc_tokw_abort(sc_tokw *w)
{
    if (!w)
        return;
    sci_frame_out_abort(&w->o);
    tokw_free(w);
}

/* ================================ reader ================================ */

struct sc_tokr {
    sci_frame_in in;     /* first: sci_frame_in_new */
    int fmt;
    sc_tok_header h;
    int done;           /* clean end seen */
    int failed;
    int64_t pos;        /* pairs handed out */
    /* bytes already read while detecting the format */
    unsigned char peek[16];
    size_t npeek, peekoff;
    /* sc */
    int sbits, abits, maxpkt;
    unsigned char *pay;
    /* decoded pairs not yet handed out (sc packet, or the whole npy) */
    int64_t (*buf)[2];
    int64_t nbuf, offbuf;
    /* text */
    int64_t line;
    char *lbuf;
    size_t lcap;
};

static size_t r_get(sc_tokr *r, void *dst, size_t n)
{
    size_t got = 0;
    unsigned char *d = dst;
    while (got < n && r->peekoff < r->npeek)
        d[got++] = r->peek[r->peekoff++];
    if (got < n)
        got += sc_read_full(r->in.f, d + got, n - got);
    return got;
}

static int r_ioerr(sc_tokr *r, sc_err *err)
{
    return sci_frame_read_error(&r->in, err);
}

/* Merge what the caller expects into the header; complain on conflicts. */
static int merge_expect(sc_tokr *r, const sc_tok_header *e, sc_err *err)
{
    if (!e)
        return SC_OK;
    struct { int *have; int want; const char *what; } f[3] = {
        { &r->h.rate, e->rate, "token rate" },
        { &r->h.sem_vocab, e->sem_vocab, "semantic vocabulary" },
        { &r->h.ac_vocab, e->ac_vocab, "acoustic vocabulary" },
    };
    for (int i = 0; i < 3; i++) {
        if (f[i].want <= 0)
            continue;
        if (*f[i].have == 0)
            *f[i].have = f[i].want;
        else if (*f[i].have != f[i].want)
            return sc_err_set(err, SC_EARG, "%s: %s is %d, expected %d", r->in.name, f[i].what,
                              *f[i].have, f[i].want);
    }
    return SC_OK;
}

static int open_sc(sc_tokr *r, sc_err *err)
{
    unsigned char hd[SCTK_HDR];
    size_t got = r_get(r, hd, SCTK_HDR);
    if (got < SCTK_HDR)
        return ferror(r->in.f) ? r_ioerr(r, err)
                            : sc_err_set(err, SC_EFORMAT, "%s: truncated token stream header",
                                         r->in.name);
    if (memcmp(hd, SCTK_MAGIC, 4))
        return sc_err_set(err, SC_EFORMAT, "%s: not an sc token stream (bad magic)", r->in.name);
    unsigned ver = hd[4] | hd[5] << 8, hlen = hd[6] | hd[7] << 8;
    if (ver != SC_TOK_VERSION)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: token stream version %u (this reader: %d)",
                          r->in.name, ver, SC_TOK_VERSION);
    if (hlen != SCTK_HDR)
        return sc_err_set(err, SC_EFORMAT, "%s: bad token stream header size %u", r->in.name, hlen);
    if (!sci_frame_crc_ok(hd, 36, NULL, 0))
        return sc_err_set(err, SC_ECORRUPT, "%s: token stream header CRC mismatch", r->in.name);
    r->h.rate = hd[8] | hd[9] << 8;
    r->h.flags = (uint32_t)(hd[10] | hd[11] << 8);
    uint32_t sv = sc_get_le32(hd + 12), av = sc_get_le32(hd + 16);
    if (sv < 2 || av < 2 || sv > (1u << 30) || av > (1u << 30))
        return sc_err_set(err, SC_ERANGE, "%s: bad vocabulary sizes %u/%u", r->in.name, sv, av);
    r->h.sem_vocab = (int)sv;
    r->h.ac_vocab = (int)av;
    r->h.samples = (int64_t)sc_get_le64(hd + 20);
    r->h.count = -1;
    r->sbits = hd[28];
    r->abits = hd[29];
    r->maxpkt = hd[30] | hd[31] << 8;
    int rc = check_header(&r->h, r->in.name, err);
    if (rc < 0)
        return rc;
    if (r->h.rate == 0)
        return sc_err_set(err, SC_ERANGE, "%s: token rate 0", r->in.name);
    if (r->sbits != sc_tok_bits(sv) || r->abits != sc_tok_bits(av))
        return sc_err_set(err, SC_EFORMAT, "%s: token widths %d/%d bits do not match "
                          "vocabularies %u/%u", r->in.name, r->sbits, r->abits, sv, av);
    if (r->maxpkt < 1 || sc_get_le32(hd + 32) != 0)
        return sc_err_set(err, SC_EFORMAT, "%s: bad token stream header", r->in.name);
    r->pay = malloc(pack_bytes(r->maxpkt, r->sbits, r->abits) + 1);
    r->buf = malloc(sizeof *r->buf * (size_t)r->maxpkt);
    if (!r->pay || !r->buf)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", r->in.name);
    return SC_OK;
}

/* Next packet into r->buf; 0 at the (verified) end packet. */
static int sc_next_packet(sc_tokr *r, sc_err *err)
{
    unsigned char ph[SCTK_PKT];
    size_t got = r_get(r, ph, SCTK_PKT);
    if (got < SCTK_PKT) {
        if (ferror(r->in.f))
            return r_ioerr(r, err);
        if (got == 0)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: truncated token stream (no end packet after %" PRId64
                              " pairs)", r->in.name, r->pos);
        return sc_err_set(err, SC_EFORMAT, "%s: truncated packet header after %" PRId64
                          " pairs", r->in.name, r->pos);
    }
    uint64_t at = sc_get_le64(ph);
    uint32_t n = sc_get_le32(ph + 8);
    if (n > (uint32_t)r->maxpkt)
        return sc_err_set(err, SC_ECORRUPT, "%s: packet after %" PRId64 " pairs claims %u pairs "
                          "(limit %d): corrupt stream", r->in.name, r->pos, n, r->maxpkt);
    size_t pay = pack_bytes(n, r->sbits, r->abits);
    got = r_get(r, r->pay, pay);
    if (got < pay)
        return ferror(r->in.f) ? r_ioerr(r, err)
                               : sc_err_set(err, SC_EFORMAT, "%s: truncated packet after %" PRId64
                                            " pairs", r->in.name, r->pos);
    if (!sci_frame_crc_ok(ph, 12, r->pay, pay))
        return sc_err_set(err, SC_ECORRUPT, "%s: CRC mismatch in the packet after %" PRId64 " pairs",
                          r->in.name, r->pos);
    if (at != (uint64_t)r->pos)
        return sc_err_set(err, SC_EFORMAT, "%s: packet position %" PRIu64 ", expected %" PRId64
                          " (missing or reordered packets)", r->in.name, at, r->pos);
    if (n == 0) {
        unsigned char extra;
        if (r_get(r, &extra, 1) == 1)
            return sc_err_set(err, SC_EFORMAT, "%s: data after the end packet", r->in.name);
        r->h.count = r->pos;
        r->done = 1;
        return 0;
    }
    uint64_t acc = 0;
    int nacc = 0;
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t v[2];
        for (int k = 0; k < 2; k++) {
            int bits = k ? r->abits : r->sbits;
            while (nacc < bits) {
                acc |= (uint64_t)r->pay[o++] << nacc;
                nacc += 8;
            }
            v[k] = (int64_t)(acc & (((uint64_t)1 << bits) - 1));
            acc >>= bits;
            nacc -= bits;
        }
        int rc = check_pair(&r->h, r->in.name, r->pos + i, v[0], v[1], err);
        if (rc < 0)
            return rc;
        r->buf[i][0] = v[0];
        r->buf[i][1] = v[1];
    }
    if (acc != 0)
        return sc_err_set(err, SC_ECORRUPT, "%s: nonzero padding in the packet after %" PRId64 " pairs",
                          r->in.name, r->pos);
    r->nbuf = n;
    r->offbuf = 0;
    return 1;
}

/* One line of text into r->lbuf (without the newline); 0 at EOF. */
static int text_line(sc_tokr *r, sc_err *err)
{
    size_t n = 0;
    for (;;) {
        unsigned char b;
        int c = r_get(r, &b, 1) == 1 ? b : EOF;
        if (c == EOF) {
            if (ferror(r->in.f))
                return r_ioerr(r, err);
            if (n == 0)
                return 0;
            return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": truncated line (no newline)",
                              r->in.name, r->line + 1);
        }
        if (n + 2 > r->lcap) {
            size_t cap = r->lcap ? r->lcap * 2 : 256;
            if (cap > 65536)
                return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": line too long", r->in.name,
                                  r->line + 1);
            char *nb = realloc(r->lbuf, cap);
            if (!nb)
                return sc_err_set(err, SC_ENOMEM, "%s: out of memory", r->in.name);
            r->lbuf = nb;
            r->lcap = cap;
        }
        if (c == '\n')
            break;
        if (c == '\0')
            return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": NUL byte", r->in.name, r->line + 1);
        r->lbuf[n++] = (char)c;
    }
    if (n > 0 && r->lbuf[n - 1] == '\r')
        n--;
    r->lbuf[n] = 0;
    r->line++;
    return 1;
}

static int parse_i64(const char *s, int64_t *v)
{
    char *e;
    errno = 0;
    long long x = strtoll(s, &e, 10);
    if (e == s || *e || errno)
        return -1;
    *v = x;
    return 0;
}

static int open_text(sc_tokr *r, sc_err *err)
{
    int rc = text_line(r, err);
    if (rc < 0)
        return rc;
    if (rc == 0 || strncmp(r->lbuf, TEXT_MAGIC, strlen(TEXT_MAGIC)) ||
        (r->lbuf[strlen(TEXT_MAGIC)] != ' ' && r->lbuf[strlen(TEXT_MAGIC)] != 0))
        return sc_err_set(err, SC_EFORMAT, "%s:1: expected a '%s' header line", r->in.name,
                          TEXT_MAGIC);
    r->h.samples = -1;
    r->h.count = -1;
    char *save = NULL;
    for (char *tok = strtok_r(r->lbuf + strlen(TEXT_MAGIC), " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return sc_err_set(err, SC_EFORMAT, "%s:1: expected key=value, got '%s'", r->in.name, tok);
        *eq = 0;
        int64_t v;
        if (parse_i64(eq + 1, &v) < 0 || v < -1 || v > INT64_MAX / 2)
            return sc_err_set(err, SC_EFORMAT, "%s:1: bad value for %s: '%s'", r->in.name, tok,
                              eq + 1);
        if (!strcmp(tok, "rate"))
            r->h.rate = (int)(v > 1000000 ? -1 : v);
        else if (!strcmp(tok, "vocab"))
            r->h.sem_vocab = v > (1 << 30) ? -1 : (int)v;
        else if (!strcmp(tok, "acoustic_vocab"))
            r->h.ac_vocab = v > (1 << 30) ? -1 : (int)v;
        else if (!strcmp(tok, "samples"))
            r->h.samples = v;
        else if (!strcmp(tok, "flags"))
            r->h.flags = (uint32_t)(v < 0 || v > 0xffff ? 0xffff : v);
        /* other keys: written by later versions, ignored */
    }
    return check_header(&r->h, r->in.name, err);
}

static int open_npy(sc_tokr *r, sc_err *err)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *data = malloc(cap);
    if (!data)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", r->in.name);
    for (;;) {
        if (n == cap) {
            if (cap >= NPY_MAX_BYTES) {
                free(data);
                return sc_err_set(err, SC_ERANGE, "%s: token array too large", r->in.name);
            }
            unsigned char *nd = realloc(data, cap * 2);
            if (!nd) {
                free(data);
                return sc_err_set(err, SC_ENOMEM, "%s: out of memory", r->in.name);
            }
            data = nd;
            cap *= 2;
        }
        size_t got = r_get(r, data + n, cap - n);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(r->in.f)) {
        free(data);
        return r_ioerr(r, err);
    }
    sc_tensor t;
    int rc = sc_npy_parse(data, n, r->in.name, &t, err);
    if (rc < 0) {
        free(data);
        return rc;
    }
    int64_t L;
    if (t.ndim == 3 && t.shape[0] == 1 && t.shape[2] == 2)
        L = t.shape[1];
    else if (t.ndim == 2 && t.shape[1] == 2)
        L = t.shape[0];
    else {
        char sh[96];
        free(data);
        return sc_err_set(err, SC_EFORMAT, "%s: token array has shape %s, expected 1xLx2",
                          r->in.name, sc_shape_str(t.shape, t.ndim, sh, sizeof sh));
    }
    if (t.dtype != SC_I64 && t.dtype != SC_I32) {
        free(data);
        return sc_err_set(err, SC_EFORMAT, "%s: token array has dtype %s, expected int64",
                          r->in.name, sc_dtype_name(t.dtype));
    }
    r->buf = malloc(sizeof *r->buf * (size_t)(L ? L : 1));
    if (!r->buf) {
        free(data);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", r->in.name);
    }
    for (int64_t i = 0; i < L; i++)
        for (int k = 0; k < 2; k++) {
            int64_t idx[3] = { 0, i, k };
            const int64_t *ix = t.ndim == 3 ? idx : idx + 1;
            /* contiguous by construction of sc_npy_parse (C order) */
            int64_t off = 0;
            for (int d = 0; d < t.ndim; d++)
                off += ix[d] * t.stride[d];
            /* memcpy: an npy header of any length may leave the data
             * unaligned */
            const unsigned char *src = t.data;
            if (t.dtype == SC_I64) {
                int64_t v;
                memcpy(&v, src + off * 8, 8);
                r->buf[i][k] = v;
            } else {
                int32_t v;
                memcpy(&v, src + off * 4, 4);
                r->buf[i][k] = v;
            }
        }
    free(data);
    r->nbuf = L;
    r->h.count = L;
    r->h.samples = -1;
    return SC_OK;
}

static int tokr_start(sc_tokr *r, int fmt, const sc_tok_header *expect, sc_err *err)
{
    if (fmt == SC_TOKFMT_AUTO) {
        r->npeek = r_get(r, r->peek, 6);
        r->peekoff = 0;
        if (r->npeek == 0)
            return ferror(r->in.f) ? r_ioerr(r, err)
                                : sc_err_set(err, SC_EFORMAT, "%s: empty token file", r->in.name);
        if (r->npeek >= 4 && !memcmp(r->peek, SCTK_MAGIC, 4))
            fmt = SC_TOKFMT_SC;
        else if (r->npeek >= 6 && !memcmp(r->peek, "\x93NUMPY", 6))
            fmt = SC_TOKFMT_NPY;
        else if (r->peek[0] == '#')
            fmt = SC_TOKFMT_TEXT;
        else
            return sc_err_set(err, SC_EFORMAT,
                              "%s: not a token file (expected sc, text or npy tokens)", r->in.name);
    }
    r->fmt = fmt;
    int rc;
    switch (fmt) {
    case SC_TOKFMT_SC: rc = open_sc(r, err); break;
    case SC_TOKFMT_TEXT: rc = open_text(r, err); break;
    case SC_TOKFMT_NPY: rc = open_npy(r, err); break;
    default: rc = sc_err_set(err, SC_EARG, "%s: unknown token format %d", r->in.name, fmt);
    }
    if (rc < 0)
        return rc;
    /* npy pairs are range-checked as they are handed out, when the caller
     * may have named the vocabulary the file leaves open */
    return merge_expect(r, expect, err);
}

static sc_tokr *tokr_begin(sc_tokr *r, int fmt, const sc_tok_header *expect, sc_err *err)
{
    if (r && tokr_start(r, fmt, expect, err) < 0) {
        sc_tokr_close(r);
        return NULL;
    }
    return r;
}

sc_tokr *sc_tokr_open_file(FILE *f, const char *name, int fmt, const sc_tok_header *expect,
                           sc_err *err)
{
    return tokr_begin(sci_frame_in_new(sizeof(sc_tokr), f, name, NULL, err), fmt, expect, err);
}

sc_tokr *sc_tokr_open(const char *path, int fmt, const sc_tok_header *expect, sc_err *err)
{
    return tokr_begin(sci_frame_in_new(sizeof(sc_tokr), NULL, NULL, path, err), fmt, expect, err);
}

const sc_tok_header *sc_tokr_header(const sc_tokr *r)
{
    return &r->h;
}

int sc_tokr_format(const sc_tokr *r)
{
    return r->fmt;
}

int sc_tokr_set_vocab(sc_tokr *r, int sem_vocab, int ac_vocab, sc_err *err)
{
    const sc_tok_header e = { 0, sem_vocab, ac_vocab, 0, -1, -1 };
    return merge_expect(r, &e, err);
}

static int64_t text_read(sc_tokr *r, int64_t (*pairs)[2], int64_t max, sc_err *err)
{
    int64_t k = 0;
    while (k < max) {
        int rc = text_line(r, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (r->h.count >= 0 && r->h.count != r->pos)
                return sc_err_set(err, SC_EFORMAT, "%s: %" PRId64 " pairs, end line says %" PRId64,
                                  r->in.name, r->pos, r->h.count);
            r->h.count = r->pos;
            r->done = 1;
            break;
        }
        char *s = r->lbuf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == 0)
            continue;
        if (*s == '#') {
            int64_t c;
            if (r->h.count < 0 && !strncmp(s, "# end count=", 12) && parse_i64(s + 12, &c) == 0) {
                if (c != r->pos)
                    return sc_err_set(err, SC_EFORMAT,
                                      "%s:%" PRId64 ": end line says %" PRId64 " pairs, read %"
                                      PRId64 " (truncated?)", r->in.name, r->line, c, r->pos);
                r->h.count = c;
            }
            continue;
        }
        if (r->h.count >= 0)
            return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": tokens after the end line",
                              r->in.name, r->line);
        char *e1, *e2 = NULL;
        errno = 0;
        long long s0 = strtoll(s, &e1, 10);
        long long a0 = e1 != s ? strtoll(e1, &e2, 10) : 0;
        if (e1 == s || (*e1 != ' ' && *e1 != '\t') || e2 == e1 || errno)
            return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": expected 'semantic acoustic'",
                              r->in.name, r->line);
        while (*e2 == ' ' || *e2 == '\t')
            e2++;
        if (*e2)
            return sc_err_set(err, SC_EFORMAT, "%s:%" PRId64 ": trailing text after the pair",
                              r->in.name, r->line);
        char where[SC_ERR_MSG_MAX / 2];
        snprintf(where, sizeof where, "%s:%" PRId64, r->in.name, r->line);
        if ((rc = check_pair(&r->h, where, -1, s0, a0, err)) < 0)
            return rc;
        pairs[k][0] = s0;
        pairs[k][1] = a0;
        k++;
        r->pos++;
    }
    return k;
}

int64_t sc_tokr_read(sc_tokr *r, int64_t (*pairs)[2], int64_t max, sc_err *err)
{
    if (r->failed)
        return sc_err_set(err, SC_EFORMAT, "%s: read after an error", r->in.name);
    int64_t k = 0;
    if (r->fmt == SC_TOKFMT_TEXT) {
        if (r->done)
            return 0;
        k = text_read(r, pairs, max, err);
        if (k < 0)
            r->failed = 1;
        return k;
    }
    while (k < max) {
        if (r->offbuf < r->nbuf) {
            int64_t m = r->nbuf - r->offbuf;
            if (m > max - k)
                m = max - k;
            for (int64_t i = 0; r->fmt == SC_TOKFMT_NPY && i < m; i++) {
                const int64_t *p = r->buf[r->offbuf + i];
                int rc = check_pair(&r->h, r->in.name, r->offbuf + i, p[0], p[1], err);
                if (rc < 0) {
                    r->failed = 1;
                    return rc;
                }
            }
            memcpy(pairs + k, r->buf + r->offbuf, sizeof *pairs * (size_t)m);
            r->offbuf += m;
            k += m;
            if (r->fmt == SC_TOKFMT_SC)
                r->pos += m;
            continue;
        }
        if (r->fmt == SC_TOKFMT_NPY || r->done) {
            r->done = 1;
            break;
        }
        int rc = sc_next_packet(r, err);
        if (rc < 0) {
            r->failed = 1;
            return rc;
        }
        if (rc == 0)
            break;
    }
    if (r->fmt == SC_TOKFMT_NPY)
        r->pos += k;
    return k;
}

void sc_tokr_close(sc_tokr *r)
{
    if (!r)
        return;
    sci_frame_in_close(&r->in);
    free(r->pay);
    free(r->buf);
    free(r->lbuf);
    free(r);
}

int sc_tok_load(const char *path, int fmt, const sc_tok_header *expect, sc_tok_header *h,
                int64_t (**pairs)[2], int64_t *n, sc_err *err)
{
    *pairs = NULL;
    *n = 0;
    sc_tokr *r = sc_tokr_open(path, fmt, expect, err);
    if (!r)
        return err && err->code ? err->code : SC_EIO;
    int64_t cap = 1024, len = 0;
    int64_t (*p)[2] = malloc(sizeof *p * (size_t)cap);
    if (!p) {
        sc_tokr_close(r);
        return sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    for (;;) {
        if (len == cap) {
            void *np = realloc(p, sizeof *p * (size_t)(cap * 2));
            if (!np) {
                free(p);
                sc_tokr_close(r);
                return sc_err_set(err, SC_ENOMEM, "out of memory");
            }
            p = np;
            cap *= 2;
        }
        int64_t got = sc_tokr_read(r, p + len, cap - len, err);
        if (got < 0) {
            free(p);
            sc_tokr_close(r);
            return (int)got;
        }
        if (got == 0)
            break;
        len += got;
    }
    if (h)
        *h = *sc_tokr_header(r);
    sc_tokr_close(r);
    *pairs = p;
    *n = len;
    return SC_OK;
}

int64_t sc_tok_expected_pairs(const sc_tok_header *h)
{
    if (h->samples < 0 || h->rate <= 0)
        return -1;
    return h->samples == 0 ? 0 : sc_frontend_tkeep(h->samples, h->rate);
}

int sc_tok_check_pairs(const sc_tok_header *h, const char *name, int64_t have, int at_end,
                       sc_err *err)
{
    int64_t expect = sc_tok_expected_pairs(h);
    if (expect < 0 || have == expect || (have < expect && !at_end))
        return SC_OK;
    if (have < expect)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: truncated: %" PRId64 " token pairs, but the header's %" PRId64
                          " samples (%.2f s) make %" PRId64, name, have, h->samples,
                          h->samples / 16000.0, expect);
    return sc_err_set(err, SC_EFORMAT,
                      "%s: %" PRId64 " token pairs%s, but the header's %" PRId64
                      " samples (%.2f s) make only %" PRId64 " (wrong header or mixed streams)",
                      name, have, at_end ? "" : " or more", h->samples, h->samples / 16000.0,
                      expect);
}
