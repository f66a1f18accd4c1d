/* Audio input and output (see sc/audio.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sndfile.h>
#include "sc/audio.h"
#include "sc/resample.h"
#include "sc/util.h"

#define CHUNK 8192            /* frames per libsndfile read */
#define HEAD_SCAN 65536       /* bytes scanned for the RIFF chunk list */

/* ------------------------------------------------------------------ */
/* reading */

struct sc_audio {
    SNDFILE *sf;
    SF_INFO sfi;
    sc_audio_info info;
    char *name;
    int fd;                   /* opened by us (closed at the end), or -1 */
    int rfd;                  /* the file read in place, -1 for memory */
    off_t start;              /* its offset at open */
    float *ibuf;              /* CHUNK interleaved frames */
    int64_t got;              /* frames delivered since open/rewind */
    int eof;
};

/* Copy all of fd (a pipe) to an unlinked temporary file in $TMPDIR and
 * return that: libsndfile needs to seek to parse some headers (the
 * 0xFFFFFFFF sizes of a streamed WAV) and the encoder reads its input
 * twice, so a pipe is made a file, on disk rather than in memory.  The
 * bytes are the same, so a pipe is parsed exactly as the same file. */
static int spool(const char *name, int fd, int *out, sc_err *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int t = -1;
#ifdef O_TMPFILE
    t = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (t < 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/sc-spool.XXXXXX", dir);
        t = mkostemp(path, O_CLOEXEC);
        if (t >= 0)
            unlink(path);
    }
    if (t < 0)
        return sc_err_set(err, SC_EIO, "%s: cannot create a temporary file in %s: %s", name, dir,
                          strerror(errno));
    enum { BUF = 1 << 16 };
    unsigned char *buf = malloc(BUF);
    if (!buf) {
        close(t);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
    }
    for (;;) {
        ssize_t r = read(fd, buf, BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(t);
            return sc_err_set(err, SC_EIO, "%s: read error: %s", name, strerror(e));
        }
        if (r == 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(t, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                int e = errno;
                free(buf);
                close(t);
                return sc_err_set(err, SC_EIO, "%s: cannot spool the input to %s: %s", name, dir,
                                  strerror(e));
            }
            off += w;
        }
    }
    free(buf);
    if (lseek(t, 0, SEEK_SET) != 0) {
        int e = errno;
        close(t);
        return sc_err_set(err, SC_EIO, "%s: %s", name, strerror(e));
    }
    *out = t;
    return SC_OK;
}

/* A RIFF/WAVE file whose data chunk claims more bytes than exist was cut
 * short; libsndfile would silently shorten it.  Only the placeholders
 * streaming writers put there mean "unknown": 0, and the 8 KiB just below
 * 2^31 and 2^32 (0xFFFFFFFF from ours and ffmpeg, 0x7FFFF000 from sox,
 * others less a header size); any other size beyond the file, 2 GB over
 * 64 kB say, is a truncation. */
static int wav_placeholder(uint32_t size)
{
    return size == 0 || size >= 0xFFFFE000u || (size >= 0x7FFFE000u && size <= 0x7FFFFFFFu);
}

static int wav_check(const unsigned char *p, size_t avail, int64_t filesize, const char *name,
                     sc_err *err)
{
    if (avail < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WAVE", 4))
        return SC_OK;
    size_t pos = 12;
    while (pos + 8 <= avail) {
        uint32_t size = sc_get_le32(p + pos + 4);
        if (!memcmp(p + pos, "data", 4)) {
            int64_t off = (int64_t)pos + 8;
            if (!wav_placeholder(size) && off + (int64_t)size > filesize)
                return sc_err_set(err, SC_EFORMAT,
                                  "%s: truncated WAV: data chunk declares %u bytes, %lld present",
                                  name, (unsigned)size,
                                  (long long)(filesize > off ? filesize - off : 0));
            return SC_OK;
        }
        if (size >= 0x7FFF0000u)
            break;
        pos += 8 + (size_t)size + (size & 1);
    }
    return SC_OK;
}

static void format_name(const SF_INFO *s, char *buf, size_t n)
{
    SF_FORMAT_INFO maj = {.format = s->format & SF_FORMAT_TYPEMASK};
    SF_FORMAT_INFO sub = {.format = s->format & SF_FORMAT_SUBMASK};
    const char *a = sf_command(NULL, SFC_GET_FORMAT_INFO, &maj, sizeof maj) == 0 && maj.name
                        ? maj.name : "?";
    const char *b = sf_command(NULL, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name
                        ? sub.name : "?";
    snprintf(buf, n, "%s, %s", a, b);
}

void sc_audio_close(sc_audio *a)
{
    if (!a)
        return;
    if (a->sf)
        sf_close(a->sf);
    if (a->fd >= 0 && a->fd != STDIN_FILENO)
        close(a->fd);
    free(a->ibuf);
    free(a->name);
    free(a);
}

sc_audio *sc_audio_open(const char *path, sc_err *err)
{
    int use_stdin = !path || !strcmp(path, "-");
    const char *name = use_stdin ? "<stdin>" : path;
    sc_audio *a = calloc(1, sizeof *a);
    if (!a || !(a->name = strdup(name))) {
        free(a);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    a->fd = -1;
    int fd = STDIN_FILENO;
    if (!use_stdin) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            sc_err_set(err, e == ENOENT || e == EACCES || e == ENOTDIR ? SC_ENOTFOUND : SC_EIO,
                       "%s: cannot open: %s", name, strerror(e));
            goto fail;
        }
        a->fd = fd;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        sc_err_set(err, SC_EIO, "%s: %s", name, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        sc_err_set(err, SC_ENOTFOUND, "%s: is a directory", name);
        goto fail;
    }
    unsigned char head[HEAD_SCAN];
    size_t headlen = 0;
    int64_t size;
    if (!S_ISREG(st.st_mode)) {
        int t = -1;
        if (spool(name, fd, &t, err) < 0)
            goto fail;
        if (a->fd >= 0)
            close(a->fd);
        a->fd = fd = t;
        if (fstat(fd, &st) != 0) {
            sc_err_set(err, SC_EIO, "%s: %s", name, strerror(errno));
            goto fail;
        }
        if (st.st_size == 0) {
            sc_err_set(err, SC_EFORMAT, "%s: empty input", name);
            goto fail;
        }
    }
    off_t here = lseek(fd, 0, SEEK_CUR);
    size = (int64_t)st.st_size - (here > 0 ? (int64_t)here : 0);
    if (size <= 0) {
        sc_err_set(err, SC_EFORMAT, "%s: empty file", name);
        goto fail;
    }
    ssize_t r = pread(fd, head, sizeof head, here > 0 ? here : 0);
    headlen = r > 0 ? (size_t)r : 0;
    a->rfd = fd;
    a->start = here > 0 ? here : 0;
    a->sf = sf_open_fd(fd, SFM_READ, &a->sfi, SF_FALSE);
    a->info.seekable = 1;
    if (!a->sf) {
        sc_err_set(err, SC_EFORMAT, "%s: not a readable audio file (%s)", name,
                   sf_strerror(NULL));
        goto fail;
    }
    if (a->sfi.channels < 1 || a->sfi.channels > SC_AUDIO_MAX_CHANNELS) {
        sc_err_set(err, SC_EFORMAT, "%s: bad channel count %d", name, a->sfi.channels);
        goto fail;
    }
    if (a->sfi.samplerate < 1 || a->sfi.samplerate > SC_AUDIO_MAX_RATE) {
        sc_err_set(err, SC_EFORMAT, "%s: bad sample rate %d Hz", name, a->sfi.samplerate);
        goto fail;
    }
    if ((a->sfi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV ||
        (a->sfi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAVEX) {
        if (wav_check(head, headlen, size, name, err) < 0)
            goto fail;
    }
    a->info.sample_rate = a->sfi.samplerate;
    a->info.channels = a->sfi.channels;
    a->info.frames = a->sfi.frames >= 0 && a->sfi.frames < SF_COUNT_MAX ? a->sfi.frames : -1;
    a->info.sf_format = a->sfi.format;
    format_name(&a->sfi, a->info.format, sizeof a->info.format);
    /* float data is returned as stored, integers scaled by 2^-(bits-1) */
    sf_command(a->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    a->ibuf = malloc(sizeof(float) * (size_t)CHUNK * (size_t)a->sfi.channels);
    if (!a->ibuf) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    return a;
fail:
    sc_audio_close(a);
    return NULL;
}

const sc_audio_info *sc_audio_get_info(const sc_audio *a)
{
    return &a->info;
}

const char *sc_audio_name(const sc_audio *a)
{
    return a->name;
}

int64_t sc_audio_read(sc_audio *a, float *buf, int64_t max, sc_err *err)
{
    const int ch = a->sfi.channels;
    if (!a->sf)
        return sc_err_set(err, SC_EIO, "%s: input is closed after an error", a->name);
    int64_t done = 0;
    while (done < max && !a->eof) {
        int64_t want = max - done < CHUNK ? max - done : CHUNK;
        sf_count_t r;
        if (ch == 1) {
            r = sf_readf_float(a->sf, buf + done, want);
        } else {
            r = sf_readf_float(a->sf, a->ibuf, want);
            for (sf_count_t i = 0; i < r; i++)
                buf[done + i] = a->ibuf[i * ch];
        }
        if (r < 0 || sf_error(a->sf) != SF_ERR_NO_ERROR)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: decode error after %lld frames (truncated or corrupt?): %s",
                              a->name, (long long)(a->got + done), sf_strerror(a->sf));
        /* A NaN or infinity would poison the global mean and every window
         * after it: silence would come out, with exit 0. */
        int64_t bad = r > 0 ? sc_first_nonfinite(buf + done, (size_t)r) : -1;
        if (bad >= 0)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: %s sample at frame %lld (counted from 0, at %d Hz)", a->name,
                              isnan(buf[done + bad]) ? "NaN" : "infinite",
                              (long long)(a->got + done + bad), a->sfi.samplerate);
        done += r;
        if (r == 0)
            a->eof = 1;
    }
    a->got += done;
    if (a->eof && done == 0) {
        /* MPEG frame counts are estimates; everything else is exact */
        int lossy_estimate = (a->sfi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
        if (a->info.frames >= 0 && a->got < a->info.frames && !lossy_estimate)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: truncated: header announces %lld frames, only %lld readable",
                              a->name, (long long)a->info.frames, (long long)a->got);
    }
    return done;
}

int sc_audio_rewind(sc_audio *a, sc_err *err)
{
    /* mpg123 does not reset its synthesis state on a seek to 0, so a second
     * pass would differ in the last bits: MPEG is always opened again. */
    int reopen = (a->sfi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;
    if (reopen || sf_seek(a->sf, 0, SEEK_SET) != 0) {
        /* a format libsndfile cannot seek in: open it again from the start */
        SF_INFO si = {0};
        sf_close(a->sf);
        a->sf = lseek(a->rfd, a->start, SEEK_SET) == a->start
                    ? sf_open_fd(a->rfd, SFM_READ, &si, SF_FALSE) : NULL;
        if (!a->sf || si.channels != a->sfi.channels) {
            if (a->sf)
                sf_close(a->sf);
            a->sf = NULL;
            return sc_err_set(err, SC_EIO, "%s: cannot read the input a second time", a->name);
        }
        sf_command(a->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    }
    a->got = 0;
    a->eof = 0;
    return SC_OK;
}

int sc_audio_load_from(sc_audio *a, int rate, sc_pool *pool, float **wave, int64_t *n,
                       sc_err *err)
{
    *wave = NULL;
    *n = 0;
    /* trust the header's length only up to 2^24 frames: a damaged header
     * must not turn into a giant allocation */
    int64_t cap = a->info.frames > 0 && a->info.frames < (1 << 24) ? a->info.frames : 1 << 16;
    int64_t len = 0;
    float *buf = malloc(sizeof(float) * (size_t)cap);
    int rc = SC_OK;
    if (!buf) {
        rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory (%lld frames)", a->name,
                        (long long)cap);
        goto out;
    }
    for (;;) {
        if (len == cap) {
            /* full: grow only if there is more (exact lengths stay exact) */
            float one;
            int64_t r = sc_audio_read(a, &one, 1, err);
            if (r < 0) {
                rc = (int)r;
                goto out;
            }
            if (r == 0)
                break;
            float *nb = realloc(buf, sizeof(float) * (size_t)cap * 2);
            if (!nb) {
                rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory (%lld frames)", a->name,
                                (long long)cap * 2);
                goto out;
            }
            buf = nb;
            cap *= 2;
            buf[len++] = one;
        }
        int64_t r = sc_audio_read(a, buf + len, cap - len, err);
        if (r < 0) {
            rc = (int)r;
            goto out;
        }
        if (r == 0)
            break;
        len += r;
    }
    if (len == 0) {
        rc = sc_err_set(err, SC_EFORMAT, "%s: no audio samples", a->name);
        goto out;
    }
    if (a->info.sample_rate != rate) {
        float *y;
        int64_t ny;
        rc = sc_resample(buf, len, a->info.sample_rate, rate, &y, &ny, pool, err);
        if (rc < 0) {
            sc_err_prefix(err, "%s", a->name);
            goto out;
        }
        free(buf);
        buf = y;
        len = ny;
    }
    *wave = buf;
    *n = len;
    buf = NULL;
out:
    free(buf);
    sc_audio_close(a);
    return rc;
}

int sc_audio_load(const char *path, int rate, sc_pool *pool, float **wave, int64_t *n,
                  sc_audio_info *info, sc_err *err)
{
    *wave = NULL;
    *n = 0;
    sc_audio *a = sc_audio_open(path, err);
    if (!a)
        return err ? err->code : SC_EFORMAT;
    if (info)
        *info = a->info;
    return sc_audio_load_from(a, rate, pool, wave, n, err);
}

/* ------------------------------------------------------------------ */
/* writing */

struct sc_audio_writer {
    sc_outfile out;
    const char *name;         /* points into out or a literal */
    sc_audio_spec spec;
    int seekable;
    SNDFILE *sf;              /* FLAC, Ogg */
    int64_t frames;
    uint64_t data_bytes;
    size_t hdr_len;           /* WAV header bytes */
    void *buf;                /* conversion buffer */
    size_t bufcap;
    int fd;                   /* encoder output (virtual I/O) */
    sf_count_t vpos, vlen;    /* position and length as libsndfile sees them */
    int vio_errno;
    int vdiscard;             /* pipe: swallow a rewrite libsndfile thinks it seeked to */
};

/* The encoders write through these callbacks.  On a pipe libFLAC seeks
 * back at close to rewrite STREAMINFO; libsndfile ignores the failed seek
 * and would append the rewrite to the stream (corrupting it), so after a
 * failed seek writes are swallowed until the position returns to the end.
 * The streamed FLAC then keeps its initial STREAMINFO (length unknown),
 * which decoders accept. */
static sf_count_t wvio_len(void *u)
{
    return ((sc_audio_writer *)u)->vlen;
}

static sf_count_t wvio_seek(sf_count_t off, int whence, void *u)
{
    sc_audio_writer *w = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? w->vpos + off : w->vlen + off;
    if (!w->seekable) {
        if (p == w->vlen) {
            w->vdiscard = 0;
            w->vpos = p;
            return p;
        }
        w->vdiscard = 1;
        return -1;
    }
    if (p < 0 || lseek(w->fd, (off_t)p, SEEK_SET) < 0)
        return -1;
    w->vpos = p;
    return p;
}

static sf_count_t wvio_read(void *ptr, sf_count_t count, void *u)
{
    sc_audio_writer *w = u;
    if (!w->seekable)
        return 0;
    ssize_t r = pread(w->fd, ptr, (size_t)count, (off_t)w->vpos);
    if (r <= 0)
        return 0;
    w->vpos += r;
    return r;
}

static sf_count_t wvio_write(const void *ptr, sf_count_t count, void *u)
{
    sc_audio_writer *w = u;
    const char *p = ptr;
    sf_count_t done = 0;
    if (w->vdiscard)
        return count;
    while (done < count) {
        ssize_t r = w->seekable ? pwrite(w->fd, p + done, (size_t)(count - done), (off_t)w->vpos)
                                : write(w->fd, p + done, (size_t)(count - done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            w->vio_errno = r < 0 ? errno : EIO;
            break;
        }
        done += r;
        w->vpos += r;
    }
    if (w->vpos > w->vlen)
        w->vlen = w->vpos;
    return done;
}

static sf_count_t wvio_tell(void *u)
{
    return ((sc_audio_writer *)u)->vpos;
}

int sc_audio_container_parse(const char *name, int *container)
{
    static const struct { const char *n; int c; } t[] = {
        {"wav", SC_AUDIO_WAV}, {"flac", SC_AUDIO_FLAC}, {"ogg", SC_AUDIO_OGG},
        {"raw", SC_AUDIO_RAW}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(name, t[i].n)) {
            *container = t[i].c;
            return SC_OK;
        }
    return SC_EARG;
}

int sc_audio_container_from_path(const char *path, int fallback)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/'))
        return fallback;
    dot++;
    int c;
    if (!strcasecmp(dot, "oga"))
        return SC_AUDIO_OGG;
    if (!strcasecmp(dot, "pcm"))
        return SC_AUDIO_RAW;
    return sc_audio_container_parse(dot, &c) == SC_OK ? c : fallback;
}

int sc_audio_sample_parse(const char *name, int *sample)
{
    if (!name)
        return SC_EARG;
    if (!strcmp(name, "s16") || !strcmp(name, "pcm16"))
        *sample = SC_SAMPLE_PCM16;
    else if (!strcmp(name, "s24") || !strcmp(name, "pcm24"))
        *sample = SC_SAMPLE_PCM24;
    else if (!strcmp(name, "f32") || !strcmp(name, "float"))
        *sample = SC_SAMPLE_FLOAT;
    else
        return SC_EARG;
    return SC_OK;
}

static int sample_bytes(int sample)
{
    return sample == SC_SAMPLE_PCM16 ? 2 : sample == SC_SAMPLE_PCM24 ? 3 : 4;
}

/* The WAV header for data_bytes of data; streamed: unknown sizes. */
static size_t wav_header(unsigned char *b, const sc_audio_writer *w, uint64_t data_bytes,
                         int streamed)
{
    const sc_audio_spec *s = &w->spec;
    const int bps = sample_bytes(s->sample), block = bps * s->channels;
    const int fl = s->sample == SC_SAMPLE_FLOAT, ext = s->channels > 2;
    const uint32_t fmt_size = ext ? 40 : fl ? 18 : 16;
    const int fact = fl;
    size_t len = 12 + 8 + fmt_size + (fact ? 12 : 0) + 8;
    uint32_t riff = streamed ? 0xFFFFFFFFu
                             : (uint32_t)(len - 8 + data_bytes + (data_bytes & 1));
    unsigned char *p = b;
    memcpy(p, "RIFF", 4);
    sc_put_le32(p + 4, riff);
    memcpy(p + 8, "WAVEfmt ", 8);
    sc_put_le32(p + 16, fmt_size);
    p += 20;
    const unsigned tag = ext ? 0xFFFEu : fl ? 3u : 1u;
    p[0] = (unsigned char)tag;
    p[1] = (unsigned char)(tag >> 8);
    p[2] = (unsigned char)s->channels;
    p[3] = (unsigned char)(s->channels >> 8);
    sc_put_le32(p + 4, (uint32_t)s->sample_rate);
    sc_put_le32(p + 8, (uint32_t)s->sample_rate * (uint32_t)block);
    p[12] = (unsigned char)block;
    p[13] = (unsigned char)(block >> 8);
    p[14] = (unsigned char)(bps * 8);
    p[15] = 0;
    p += 16;
    if (fmt_size >= 18) {
        p[0] = ext ? 22 : 0;
        p[1] = 0;
        p += 2;
    }
    if (ext) {
        static const unsigned char guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                    0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        p[0] = (unsigned char)(bps * 8); /* valid bits */
        p[1] = 0;
        sc_put_le32(p + 2, 0);           /* channel mask: unspecified */
        p[6] = fl ? 3 : 1;
        p[7] = 0;
        memcpy(p + 8, guid_tail, sizeof guid_tail);
        p += 22;
    }
    if (fact) {
        memcpy(p, "fact", 4);
        sc_put_le32(p + 4, 4);
        sc_put_le32(p + 8, streamed ? 0xFFFFFFFFu : (uint32_t)w->frames);
        p += 12;
    }
    memcpy(p, "data", 4);
    sc_put_le32(p + 4, streamed ? 0xFFFFFFFFu : (uint32_t)data_bytes);
    p += 8;
    return (size_t)(p - b);
}

static void writer_free(sc_audio_writer *w)
{
    free(w->buf);
    free(w);
}

void sc_audio_writer_abort(sc_audio_writer *w)
{
    if (!w)
        return;
    if (w->sf)
        sf_close(w->sf);
    sc_outfile_abort(&w->out);
    writer_free(w);
}

sc_audio_writer *sc_audio_writer_open(const char *path, const sc_audio_spec *spec, sc_err *err)
{
    int to_stdout = !path || !strcmp(path, "-");
    const char *name = to_stdout ? "<stdout>" : path;
    if (spec->channels < 1 || spec->channels > SC_AUDIO_MAX_CHANNELS || spec->sample_rate < 1 ||
        spec->sample_rate > SC_AUDIO_MAX_RATE) {
        sc_err_set(err, SC_EARG, "%s: bad output format (%d channels, %d Hz)", name,
                   spec->channels, spec->sample_rate);
        return NULL;
    }
    if (spec->container < SC_AUDIO_WAV || spec->container > SC_AUDIO_RAW ||
        spec->sample < SC_SAMPLE_PCM16 || spec->sample > SC_SAMPLE_FLOAT) {
        sc_err_set(err, SC_EARG, "%s: bad output container or sample type", name);
        return NULL;
    }
    if (spec->container == SC_AUDIO_FLAC && spec->sample == SC_SAMPLE_FLOAT) {
        sc_err_set(err, SC_EUNSUPPORTED, "%s: FLAC stores integers only (use s16 or s24)", name);
        return NULL;
    }
    if (to_stdout && isatty(STDOUT_FILENO)) {
        sc_err_set(err, SC_EARG, "%s: refusing to write binary audio to a terminal (give OUT or "
                   "redirect)", name);
        return NULL;
    }
    sc_audio_writer *w = calloc(1, sizeof *w);
    if (!w) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name);
        return NULL;
    }
    w->spec = *spec;
    if (sc_outfile_open(&w->out, path, err) < 0) {
        free(w);
        return NULL;
    }
    w->name = sc_outfile_name(&w->out);
    int fd = fileno(w->out.f);
    struct stat st;
    w->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) >= 0;
    if (spec->container == SC_AUDIO_WAV) {
        unsigned char h[128];
        w->hdr_len = wav_header(h, w, 0, !w->seekable);
        if (fwrite(h, 1, w->hdr_len, w->out.f) != w->hdr_len || fflush(w->out.f) != 0) {
            sc_err_set(err, SC_EIO, "%s: write error: %s", w->name, strerror(errno));
            goto fail;
        }
    } else if (spec->container != SC_AUDIO_RAW) {
        SF_INFO si = {.samplerate = spec->sample_rate, .channels = spec->channels};
        if (spec->container == SC_AUDIO_FLAC)
            si.format = SF_FORMAT_FLAC |
                        (spec->sample == SC_SAMPLE_PCM24 ? SF_FORMAT_PCM_24 : SF_FORMAT_PCM_16);
        else
            si.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
        if (!sf_format_check(&si)) {
            sc_err_set(err, SC_EUNSUPPORTED, "%s: libsndfile cannot write this format", w->name);
            goto fail;
        }
        fflush(w->out.f);
        w->fd = fd;
        SF_VIRTUAL_IO vio = {wvio_len, wvio_seek, wvio_read, wvio_write, wvio_tell};
        w->sf = sf_open_virtual(&vio, SFM_WRITE, &si, w);
        if (!w->sf) {
            sc_err_set(err, SC_EIO, "%s: cannot start encoder: %s", w->name, sf_strerror(NULL));
            goto fail;
        }
    }
    return w;
fail:
    sc_audio_writer_abort(w);
    return NULL;
}

static int grow(sc_audio_writer *w, size_t bytes, sc_err *err)
{
    if (bytes <= w->bufcap)
        return SC_OK;
    void *nb = realloc(w->buf, bytes);
    if (!nb)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", w->name);
    w->buf = nb;
    w->bufcap = bytes;
    return SC_OK;
}

static inline int32_t to_int(float x, float scale, int32_t lo, int32_t hi)
{
    if (!(x == x))
        return 0;
    float v = rintf(x * scale);
    if (v < (float)lo)
        return lo;
    if (v > (float)hi)
        return hi;
    return (int32_t)v;
}

int sc_audio_writer_write(sc_audio_writer *w, const float *x, int64_t frames, sc_err *err)
{
    const sc_audio_spec *s = &w->spec;
    const int64_t chunk = 16384;
    for (int64_t f0 = 0; f0 < frames; f0 += chunk) {
        int64_t nf = frames - f0 < chunk ? frames - f0 : chunk;
        size_t ns = (size_t)nf * (size_t)s->channels;
        const float *in = x + (size_t)f0 * (size_t)s->channels;
        if (w->sf) {
            sf_count_t r;
            if (s->container == SC_AUDIO_OGG) {
                r = sf_writef_float(w->sf, in, nf);
            } else if (s->sample == SC_SAMPLE_PCM16) {
                if (grow(w, ns * sizeof(short), err) < 0)
                    return err->code;
                short *o = w->buf;
                for (size_t i = 0; i < ns; i++)
                    o[i] = (short)to_int(in[i], 32768.0f, -32768, 32767);
                r = sf_writef_short(w->sf, o, nf);
            } else {
                if (grow(w, ns * sizeof(int), err) < 0)
                    return err->code;
                int *o = w->buf;
                for (size_t i = 0; i < ns; i++)
                    o[i] = (int)((uint32_t)to_int(in[i], 8388608.0f, -8388608, 8388607) << 8);
                r = sf_writef_int(w->sf, o, nf);
            }
            if (r != nf || w->vio_errno)
                return sc_err_set(err, SC_EIO, "%s: write error: %s", w->name,
                                  w->vio_errno ? strerror(w->vio_errno) : sf_strerror(w->sf));
        } else {
            const int bps = sample_bytes(s->sample);
            size_t bytes = ns * (size_t)bps;
            if (s->container == SC_AUDIO_WAV && w->seekable &&
                w->data_bytes + bytes + w->hdr_len > 0xFFFFFFF0u)
                return sc_err_set(err, SC_ERANGE,
                                  "%s: output too long for WAV (4 GiB limit; use FLAC or raw)",
                                  w->name);
            if (grow(w, bytes, err) < 0)
                return err->code;
            unsigned char *o = w->buf;
            if (s->sample == SC_SAMPLE_FLOAT) {
                memcpy(o, in, bytes);   /* little-endian host */
            } else if (s->sample == SC_SAMPLE_PCM16) {
                for (size_t i = 0; i < ns; i++) {
                    int32_t v = to_int(in[i], 32768.0f, -32768, 32767);
                    o[2 * i] = (unsigned char)v;
                    o[2 * i + 1] = (unsigned char)((uint32_t)v >> 8);
                }
            } else {
                for (size_t i = 0; i < ns; i++) {
                    int32_t v = to_int(in[i], 8388608.0f, -8388608, 8388607);
                    o[3 * i] = (unsigned char)v;
                    o[3 * i + 1] = (unsigned char)((uint32_t)v >> 8);
                    o[3 * i + 2] = (unsigned char)((uint32_t)v >> 16);
                }
            }
            if (fwrite(o, 1, bytes, w->out.f) != bytes)
                return sc_err_set(err, SC_EIO, "%s: write error: %s", w->name, strerror(errno));
            w->data_bytes += bytes;
        }
        w->frames += nf;
    }
    if (!w->seekable && !w->sf && fflush(w->out.f) != 0)
        return sc_err_set(err, SC_EIO, "%s: write error: %s", w->name, strerror(errno));
    return SC_OK;
}

int64_t sc_audio_writer_frames(const sc_audio_writer *w)
{
    return w->frames;
}

int sc_audio_writer_close(sc_audio_writer *w, sc_err *err)
{
    int rc = SC_OK;
    if (w->sf) {
        int e = sf_close(w->sf);
        w->sf = NULL;
        if (e || w->vio_errno)
            rc = sc_err_set(err, SC_EIO, "%s: write error: %s", w->name,
                            w->vio_errno ? strerror(w->vio_errno) : sf_error_number(e));
    } else if (w->spec.container == SC_AUDIO_WAV) {
        FILE *f = w->out.f;
        if (w->data_bytes & 1) {
            if (fputc(0, f) == EOF)
                rc = sc_err_set(err, SC_EIO, "%s: write error: %s", w->name, strerror(errno));
        }
        if (rc == SC_OK && w->seekable) {
            unsigned char h[128];
            size_t n = wav_header(h, w, w->data_bytes, 0);
            if (fflush(f) != 0 || fseeko(f, 0, SEEK_SET) != 0 || fwrite(h, 1, n, f) != n ||
                fseeko(f, 0, SEEK_END) != 0)
                rc = sc_err_set(err, SC_EIO, "%s: cannot finish WAV header: %s", w->name,
                                strerror(errno));
        }
    }
    if (rc == SC_OK)
        rc = sc_outfile_commit(&w->out, err);
    else
        sc_outfile_abort(&w->out);
    writer_free(w);
    return rc;
}
