/* libFuzzer target: audio input (sc/audio.h over libsndfile) on arbitrary
 * bytes, both ways the tools receive it:
 *  - on a pipe (stdin): buffered whole and parsed through libsndfile's
 *    virtual I/O (sf_open_virtual over the in-memory copy);
 *  - as a regular file (a memfd opened by its /proc path): read in place
 *    through sf_open_fd.
 * Each is read to the end, rewound and read again, as sc-mel's two passes
 * do.  Invariants: a refused input has a negative code and one line
 * naming the input; an accepted one has a sane rate and channel count;
 * the second pass gives exactly the samples of the first; and the pipe
 * and the file give the same verdict, parameters and samples.  When the
 * rate needs a small resampling kernel the samples also go through the
 * streaming resampler in uneven chunks, which must equal the one-shot
 * resampler bit for bit (sc/resample.h promises that).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sc/audio.h"
#include "sc/resample.h"
#include "fuzzfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES (1 << 18)
#define MAX_TAPS (1 << 16)

typedef struct result {
    int ok;                  /* opened */
    sc_audio_info info;
    float *x;                /* first pass */
    int64_t n;
    int read_rc;             /* 0, or the negative read status */
} result;

static int64_t read_pass(sc_audio *a, float *x, int64_t max, sc_err *err)
{
    int64_t n = 0, chunk = 7;
    while (n < max) {
        int64_t want = max - n < chunk ? max - n : chunk;
        int64_t r = sc_audio_read(a, x + n, want, err);
        if (r < 0)
            return r;
        if (r > want)
            abort();
        if (r == 0)
            break;
        n += r;
        chunk = chunk * 2 + 1;
    }
    return n;
}

static void run(const char *path, const char *name, result *res)
{
    sc_err err = {0};
    memset(res, 0, sizeof *res);
    sc_audio *a = sc_audio_open(path, &err);
    if (!a) {
        if (!fuzz_err_ok(&err, name))
            abort();
        return;
    }
    res->ok = 1;
    res->info = *sc_audio_get_info(a);
    if (strcmp(sc_audio_name(a), name))
        abort();
    const sc_audio_info *in = &res->info;
    if (in->sample_rate < 1 || in->sample_rate > SC_AUDIO_MAX_RATE || in->channels < 1 ||
        in->channels > SC_AUDIO_MAX_CHANNELS || in->frames < -1)
        abort();
    res->x = malloc(sizeof(float) * MAX_FRAMES);
    float *y = malloc(sizeof(float) * MAX_FRAMES);
    if (!res->x || !y)
        abort();
    int64_t n = read_pass(a, res->x, MAX_FRAMES, &err);
    if (n < 0) {
        if (!fuzz_err_ok(&err, name))
            abort();
        res->read_rc = (int)n;
        n = 0;
    } else {
        sc_err e2 = {0};
        if (sc_audio_rewind(a, &e2) == SC_OK) {
            int64_t n2 = read_pass(a, y, MAX_FRAMES, &e2);
            if (n2 != n || memcmp(res->x, y, sizeof(float) * (size_t)n))
                abort();
        } else if (!fuzz_err_ok(&e2, name)) {
            abort();
        }
    }
    res->n = n;
    free(y);
    sc_audio_close(a);
}

static long gcd(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void resample_check(const float *x, int64_t n, int from)
{
    if (n == 0 || from == 16000)
        return;
    long g = gcd(from, 16000);
    long taps = (16000 / g) * (12 + from / g);
    if (taps > MAX_TAPS)
        return;
    if (n > 65536)
        n = 65536;
    /* keep each input fast: at most ~2e7 multiply-adds (low rates are
     * upsampled up to 16000 times) */
    if ((double)n * 16000.0 / from * (double)(12 + from / g) > 2e7)
        n = (int64_t)(2e7 / (16000.0 / from * (double)(12 + from / g)));
    if (n < 1)
        return;
    sc_err err = {0};
    sc_resampler *r = sc_resampler_new(from, 16000, &err);
    if (!r) {
        if (err.code >= 0)
            abort();
        return;
    }
    int64_t len = sc_resampler_length(r, n);
    float *y = malloc(sizeof(float) * (size_t)(len + 1));
    float *z = malloc(sizeof(float) * (size_t)(len + 1));
    sc_resample_stream *s = sc_resample_stream_new(r, &err);
    if (!y || !z || !s)
        abort();
    sc_resampler_run(r, x, n, y, NULL);
    int64_t at = 0, got = 0, chunk = 5;
    float *tmp = NULL;
    while (at < n || at == n) {
        int64_t k = n - at < chunk ? n - at : chunk;
        int eof = at + k == n;
        int64_t cap = sc_resample_stream_max_out(s, k);
        tmp = realloc(tmp, sizeof(float) * (size_t)(cap + 1));
        if (!tmp)
            abort();
        int64_t m = sc_resample_stream_push(s, x + at, k, eof, tmp, &err);
        if (m < 0 || m > cap || got + m > len)
            abort();
        memcpy(z + got, tmp, sizeof(float) * (size_t)m);
        got += m;
        at += k;
        chunk = chunk * 3 + 2;
        if (eof)
            break;
    }
    if (got != len || memcmp(y, z, sizeof(float) * (size_t)len))
        abort();
    free(tmp);
    free(y);
    free(z);
    sc_resample_stream_free(s);
    sc_resampler_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20))
        return 0;
    /* the pipe: all of it fits in the pipe buffer, so no writer thread */
    int p[2];
    if (pipe(p) != 0)
        abort();
    if (size > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)size) < (int)size) {
        close(p[0]);
        close(p[1]);
        return 0;
    }
    for (size_t off = 0; off < size;) {
        ssize_t w = write(p[1], data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    if (saved < 0 || dup2(p[0], STDIN_FILENO) < 0)
        abort();
    close(p[0]);
    result rp;
    run(NULL, "<stdin>", &rp);
    if (dup2(saved, STDIN_FILENO) < 0)
        abort();
    close(saved);

    /* the regular file */
    int fd = memfd_create("fuzz-audio", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    result rf;
    run(path, path, &rf);
    close(fd);

    /* same verdict, same parameters, same samples */
    if (rp.ok != rf.ok)
        abort();
    if (rp.ok) {
        if (rp.info.sample_rate != rf.info.sample_rate || rp.info.channels != rf.info.channels ||
            rp.info.frames != rf.info.frames || rp.info.sf_format != rf.info.sf_format ||
            !rp.info.seekable || !rf.info.seekable)   /* a pipe is spooled to a file */
            abort();
        if ((rp.read_rc < 0) != (rf.read_rc < 0) || rp.n != rf.n ||
            memcmp(rp.x, rf.x, sizeof(float) * (size_t)rp.n))
            abort();
        resample_check(rp.x, rp.n, rp.info.sample_rate);
    }
    free(rp.x);
    free(rf.x);
    return 0;
}
