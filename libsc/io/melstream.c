/* The `sc` mel stream and the npy mel form (see sc/melstream.h and
 * sc-stream(5)). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/melstream.h"
#include "sc/npy.h"
#include "sc/util.h"
#include "frame.h"

#define MAGIC_HEAD "SCML"
#define MAGIC_WIN "SCMW"
#define MAGIC_END "SCME"
#define DTYPE_F32 0u
/* A window larger than this is an absurd header, not a real stream. */
#define MAX_WINDOW_BYTES (256u << 20)

int sc_melfmt_parse(const char *name, int *fmt)
{
    if (name && !strcmp(name, "sc"))
        *fmt = SC_MELFMT_SC;
    else if (name && !strcmp(name, "npy"))
        *fmt = SC_MELFMT_NPY;
    else
        return SC_EARG;
    return SC_OK;
}

const char *sc_melfmt_name(int fmt)
{
    return fmt == SC_MELFMT_SC ? "sc" : fmt == SC_MELFMT_NPY ? "npy" : "?";
}

static int check_header(const sc_mel_header *h, const char *name, sc_err *err)
{
    if (h->sample_rate <= 0 || h->sample_rate > 10000000)
        return sc_err_set(err, SC_EFORMAT, "%s: bad sample rate %d", name, h->sample_rate);
    if (h->bins <= 0 || h->bins > 65536 || h->frames <= 0 || h->frames > 1048576 ||
        (uint64_t)h->bins * (uint64_t)h->frames * 4u > MAX_WINDOW_BYTES)
        return sc_err_set(err, SC_EFORMAT, "%s: bad window size %d frames x %d bins", name,
                          h->frames, h->bins);
    /* 2^53 samples is 17 800 years at 16 kHz: anything larger is a damaged
     * header, and sample arithmetic (sc_frontend_tkeep) must not overflow. */
    if (h->samples < -1 || h->windows < -1 || h->samples > ((int64_t)1 << 53))
        return sc_err_set(err, SC_EFORMAT, "%s: bad sample or window count", name);
    if (h->flags)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: unknown header flags 0x%x", name,
                          (unsigned)h->flags);
    return SC_OK;
}

/* ------------------------------------------------------------------ */
/* writing */

struct sc_melw {
    sci_frame_out o;       /* first: sci_frame_out_new */
    int fmt;
    sc_mel_header h;
    int64_t count;
    size_t wbytes;        /* bytes per window */
};

static int melw_start(sc_melw *w, sc_err *err)
{
    if (isatty(fileno(w->o.f)))
        return sc_err_set(err, SC_EARG,
                          "%s: refusing to write binary mel data to a terminal", w->o.name);
    if (w->fmt == SC_MELFMT_NPY) {
        if (w->h.windows < 0)
            return sc_err_set(err, SC_EARG, "%s: the npy form needs the window count in advance",
                              w->o.name);
        int64_t shape[3] = {1, w->h.windows * w->h.frames, w->h.bins};
        int rc = sc_npy_write_header(w->o.f, SC_F32, 3, shape, w->o.name, err);
        return rc < 0 ? rc : sci_frame_flush(&w->o, err);
    }
    unsigned char b[SC_MEL_HEADER_SIZE] = {0};
    memcpy(b, MAGIC_HEAD, 4);
    sc_put_le32(b + 4, SC_MEL_VERSION);
    sc_put_le32(b + 8, SC_MEL_HEADER_SIZE);
    sc_put_le32(b + 12, (uint32_t)w->h.sample_rate);
    sc_put_le32(b + 16, (uint32_t)w->h.bins);
    sc_put_le32(b + 20, (uint32_t)w->h.frames);
    sc_put_le32(b + 24, DTYPE_F32);
    sc_put_le32(b + 28, w->h.flags);
    sc_put_le64(b + 32, (uint64_t)w->h.samples);
    sc_put_le64(b + 40, (uint64_t)w->h.windows);
    return sci_frame_write(&w->o, b, 60, NULL, 0, err);
}

void sc_melw_abort(sc_melw *w)
{
    if (w)
        sci_frame_out_abort(&w->o);
    free(w);
}

/* On the caller's f, or else on path. */
static sc_melw *melw_open(FILE *f, const char *path, const char *name, int fmt,
                          const sc_mel_header *h, sc_err *err)
{
    if (fmt != SC_MELFMT_SC && fmt != SC_MELFMT_NPY) {
        sc_err_set(err, SC_EARG, "%s: unknown mel format %d", name, fmt);
        return NULL;
    }
    if (check_header(h, name, err) < 0)
        return NULL;
    sc_melw *w = sci_frame_out_new(sizeof *w, name, err);
    if (!w)
        return NULL;
    w->h = *h;
    w->wbytes = (size_t)h->bins * (size_t)h->frames * sizeof(float);
    w->fmt = fmt;
    if (sci_frame_out_open(&w->o, f, path, err) < 0 || melw_start(w, err) < 0) {
        sc_melw_abort(w);
        return NULL;
    }
    return w;
}

sc_melw *sc_melw_open_file(FILE *f, const char *name, int fmt, const sc_mel_header *h,
                           sc_err *err)
{
    return melw_open(f, NULL, name ? name : "<stream>", fmt, h, err);
}

sc_melw *sc_melw_open(const char *path, int fmt, const sc_mel_header *h, sc_err *err)
{
    int to_stdout = !path || !strcmp(path, "-");
    const char *name = to_stdout ? "<stdout>" : path;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        sc_err_set(err, SC_EARG, "%s: refusing to write binary mel data to a terminal", name);
        return NULL;
    }
    return melw_open(NULL, path, name, fmt, h, err);
}

int sc_melw_write(sc_melw *w, const float *window, sc_err *err)
{
    if (w->h.windows >= 0 && w->count >= w->h.windows)
        return sc_err_set(err, SC_EINTERNAL, "%s: more windows than the %lld announced",
                          w->o.name, (long long)w->h.windows);
    int rc;
    if (w->fmt == SC_MELFMT_NPY) {
        rc = sci_frame_put(&w->o, window, w->wbytes, err);
        if (rc == SC_OK)
            rc = sci_frame_flush(&w->o, err);
    } else {
        unsigned char p[SC_MEL_PACKET_HEADER] = {0};
        memcpy(p, MAGIC_WIN, 4);
        sc_put_le64(p + 8, (uint64_t)w->count);
        sc_put_le32(p + 16, (uint32_t)w->wbytes);
        rc = sci_frame_write(&w->o, p, 20, window, w->wbytes, err);
    }
    if (rc < 0)
        return rc;
    w->count++;
    return SC_OK;
}

int sc_melw_close(sc_melw *w, sc_err *err)
{
    int rc = SC_OK;
    if (w->h.windows >= 0 && w->count != w->h.windows)
        rc = sc_err_set(err, SC_EINTERNAL, "%s: %lld windows written, %lld announced",
                        w->o.name, (long long)w->count, (long long)w->h.windows);
    if (rc == SC_OK && w->fmt == SC_MELFMT_SC) {
        unsigned char b[SC_MEL_PACKET_HEADER] = {0};
        memcpy(b, MAGIC_END, 4);
        sc_put_le64(b + 8, (uint64_t)w->count);
        rc = sci_frame_write(&w->o, b, 20, NULL, 0, err);
    }
    rc = sci_frame_out_end(&w->o, rc, err);
    free(w);
    return rc;
}

/* ------------------------------------------------------------------ */
/* reading */

struct sc_melr {
    sci_frame_in in;       /* first: sci_frame_in_new */
    sc_mel_header h;
    size_t wbytes;
    int64_t count;
    int done;
};

void sc_melr_close(sc_melr *r)
{
    if (r)
        sci_frame_in_close(&r->in);
    free(r);
}

static int read_header(sc_melr *r, sc_err *err)
{
    unsigned char b[SC_MEL_HEADER_SIZE];
    size_t got = sc_read_full(r->in.f, b, sizeof b);
    if (ferror(r->in.f))
        return sci_frame_read_error(&r->in, err);
    if (got == 0)
        return sc_err_set(err, SC_EFORMAT, "%s: empty input (no mel stream header)", r->in.name);
    if (got < 4 || memcmp(b, MAGIC_HEAD, 4)) {
        if (got >= 6 && !memcmp(b, "\x93NUMPY", 6))
            return sc_err_set(err, SC_EUNSUPPORTED,
                              "%s: an npy file, not an sc mel stream (write it with -f sc)",
                              r->in.name);
        return sc_err_set(err, SC_EFORMAT, "%s: not an sc mel stream (bad magic)", r->in.name);
    }
    if (got < sizeof b)
        return sc_err_set(err, SC_EFORMAT, "%s: truncated mel stream header (%zu of %d bytes)",
                          r->in.name, got, SC_MEL_HEADER_SIZE);
    uint32_t version = sc_get_le32(b + 4);
    if (version != SC_MEL_VERSION)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: mel stream version %u, this reader knows %d",
                          r->in.name, (unsigned)version, SC_MEL_VERSION);
    if (!sci_frame_crc_ok(b, 60, NULL, 0))
        return sc_err_set(err, SC_ECORRUPT, "%s: mel stream header CRC mismatch (corrupt)",
                          r->in.name);
    uint32_t hsize = sc_get_le32(b + 8);
    if (hsize != SC_MEL_HEADER_SIZE)
        return sc_err_set(err, SC_EFORMAT, "%s: bad header size %u", r->in.name, (unsigned)hsize);
    if (sc_get_le32(b + 24) != DTYPE_F32)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: unknown sample type %u", r->in.name,
                          (unsigned)sc_get_le32(b + 24));
    uint32_t sr = sc_get_le32(b + 12), bins = sc_get_le32(b + 16), frames = sc_get_le32(b + 20);
    if (sr > 10000000u || bins > 65536u || frames > 1048576u)
        return sc_err_set(err, SC_EFORMAT, "%s: absurd header values (rate %u, %u x %u)",
                          r->in.name, (unsigned)sr, (unsigned)frames, (unsigned)bins);
    r->h.sample_rate = (int)sr;
    r->h.bins = (int)bins;
    r->h.frames = (int)frames;
    r->h.flags = sc_get_le32(b + 28);
    r->h.samples = (int64_t)sc_get_le64(b + 32);
    r->h.windows = (int64_t)sc_get_le64(b + 40);
    int rc = check_header(&r->h, r->in.name, err);
    if (rc < 0)
        return rc;
    r->wbytes = (size_t)r->h.bins * (size_t)r->h.frames * sizeof(float);
    return SC_OK;
}

static sc_melr *melr_start(sc_melr *r, sc_err *err)
{
    if (r && read_header(r, err) < 0) {
        sc_melr_close(r);
        return NULL;
    }
    return r;
}

sc_melr *sc_melr_open_file(FILE *f, const char *name, sc_err *err)
{
    return melr_start(sci_frame_in_new(sizeof(sc_melr), f, name, NULL, err), err);
}

sc_melr *sc_melr_open(const char *path, sc_err *err)
{
    return melr_start(sci_frame_in_new(sizeof(sc_melr), NULL, NULL, path, err), err);
}

const sc_mel_header *sc_melr_header(const sc_melr *r)
{
    return &r->h;
}

int64_t sc_melr_count(const sc_melr *r)
{
    return r->count;
}

static int truncated(sc_melr *r, const char *what, sc_err *err)
{
    if (ferror(r->in.f))
        return sci_frame_read_error(&r->in, err);
    return sc_err_set(err, SC_EFORMAT, "%s: truncated mel stream: %s after %lld window%s",
                      r->in.name, what, (long long)r->count, r->count == 1 ? "" : "s");
}

int sc_melr_read(sc_melr *r, float *out, sc_err *err)
{
    if (r->done)
        return 0;
    unsigned char b[SC_MEL_PACKET_HEADER];
    size_t got = sc_read_full(r->in.f, b, sizeof b);
    if (got == 0)
        return truncated(r, "end packet missing", err);
    if (got < sizeof b)
        return truncated(r, "partial packet header", err);
    if (!memcmp(b, MAGIC_END, 4)) {
        if (!sci_frame_crc_ok(b, 20, NULL, 0))
            return sc_err_set(err, SC_ECORRUPT, "%s: end packet CRC mismatch (corrupt)", r->in.name);
        int64_t total = (int64_t)sc_get_le64(b + 8);
        if (total != r->count)
            return sc_err_set(err, SC_EFORMAT, "%s: end packet says %lld windows, stream had %lld",
                              r->in.name, (long long)total, (long long)r->count);
        if (r->h.windows >= 0 && total != r->h.windows)
            return sc_err_set(err, SC_EFORMAT, "%s: header announced %lld windows, stream had %lld",
                              r->in.name, (long long)r->h.windows, (long long)total);
        r->done = 1;
        return 0;
    }
    if (memcmp(b, MAGIC_WIN, 4))
        return sc_err_set(err, SC_ECORRUPT, "%s: window %lld: bad packet tag (corrupt stream)",
                          r->in.name, (long long)r->count);
    uint32_t size = sc_get_le32(b + 16);
    int64_t seq = (int64_t)sc_get_le64(b + 8);
    if (size != r->wbytes)
        return sc_err_set(err, SC_ECORRUPT, "%s: window %lld: packet size %u, expected %zu (corrupt)",
                          r->in.name, (long long)r->count, (unsigned)size, r->wbytes);
    if (r->h.windows >= 0 && r->count >= r->h.windows)
        return sc_err_set(err, SC_EFORMAT, "%s: more windows than the %lld announced", r->in.name,
                          (long long)r->h.windows);
    got = sc_read_full(r->in.f, out, r->wbytes);
    if (got < r->wbytes)
        return truncated(r, "partial window", err);
    if (!sci_frame_crc_ok(b, 20, out, r->wbytes))
        return sc_err_set(err, SC_ECORRUPT, "%s: window %lld: CRC mismatch (corrupt data)",
                          r->in.name, (long long)r->count);
    if (seq != r->count)
        return sc_err_set(err, SC_EFORMAT, "%s: window %lld: sequence number %lld (window lost?)",
                          r->in.name, (long long)r->count, (long long)seq);
    /* A NaN or infinity passes the CRC but turns every semantic token of
     * its window (and the BiLSTM state after it) into garbage. */
    int64_t bad = sc_first_nonfinite(out, r->wbytes / sizeof(float));
    if (bad >= 0)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: window %lld (counted from 0): %s value at frame %lld, bin %lld",
                          r->in.name, (long long)r->count, isnan(out[bad]) ? "NaN" : "infinite",
                          (long long)(bad / r->h.bins), (long long)(bad % r->h.bins));
    r->count++;
    return 1;
}
