/* tests/hardgen.c - deterministic inputs for the hardening shell tests
 * (faults.sh, compare.sh, dataset.sh, scripts/soak.sh), so they need
 * neither the encoder nor sox.
 *
 *   hardgen tok [-f sc|text|npy] [-r RATE] [-V VOCAB] [-s SAMPLES] [-S SEED] N OUT
 *     N pseudo-random token pairs (xorshift from SEED, default 1): semantic
 *     in [0, VOCAB), acoustic in [0, 8192); the header says synthetic.
 *   hardgen wav [-r RATE] [-c CHANNELS] [-t s16|s24|f32] [-a AMP] [-f FREQ]
 *               [-b AMP2] [-g FREQ2] [-n NOISE] [-S SEED] [-d DELAY] SECONDS OUT
 *     A WAV file of AMP sin(2 pi FREQ t) + AMP2 sin(2 pi FREQ2 t) + NOISE u
 *     with u uniform in [-1, 1) (xorshift from SEED), every channel alike,
 *     optionally preceded by DELAY samples of silence.  Defaults: 16000 Hz,
 *     1 channel, f32, AMP 0.5, FREQ 440, no second tone, no noise.  Written
 *     in chunks, so an hour costs no memory.  -N FRAME / -I FRAME make
 *     that frame (counted from 0, delay included) NaN / +infinity.
 *   hardgen mel [-N INDEX] [-s SAMPLES] WINDOWS OUT   (WINDOWS may be 0)
 *     An sc mel stream of WINDOWS 1024x128 windows of small pseudo-random
 *     values (SAMPLES default 160000 per window), float INDEX of the
 *     payload (counted from 0 over all windows) NaN.
 *   hardgen noise [-N INDEX] W DRAWS OUT
 *     A --noise npy, float32 [W, DRAWS, 8, 256, 16] of small values,
 *     element INDEX NaN.
 *   hardgen png FILE PANEL_HEIGHT GAP X0 Y0 WIDTH N [X,Y ...]
 *     Reads an RGB PNG (sc-spectro's) and prints "size W H", then for each
 *     of N panels of WIDTH columns and PANEL_HEIGHT rows, the first with
 *     its top left corner at X0,Y0 and the next GAP rows below the one
 *     before, "panel I peak_row R mean L": the row, counted from the
 *     panel's top, whose mean luminance is the highest, and that
 *     luminance (0..255); then for each X,Y "pixel X Y R G B".
 *   hardgen rss FILE CMD [ARG...]
 *     Runs CMD, writes its pid to FILE.pid as soon as it is started, and
 *     when it ends "maxrss_kb N" (peak resident set, from wait4) and
 *     "status S" to FILE; exits with CMD's status (128 + signal if killed).
 * OUT "-" is stdout.  Exit 0, 64 on a usage error, 74 when writing fails
 * (or the PNG cannot be read).
 */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sc/audio.h"
#include "sc/melstream.h"
#include "sc/npy.h"
#include "sc/tokstream.h"
#include "sc/util.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: hardgen tok [-f sc|text|npy] [-r RATE] [-V VOCAB] [-s SAMPLES] [-S SEED] N OUT\n"
            "       hardgen wav [-r RATE] [-c CH] [-t s16|s24|f32] [-a AMP] [-f FREQ] [-b AMP2]\n"
            "                   [-g FREQ2] [-n NOISE] [-S SEED] [-d DELAY] [-N|-I FRAME] SECONDS OUT\n"
            "       hardgen mel [-N INDEX] [-s SAMPLES] WINDOWS OUT\n"
            "       hardgen noise [-N INDEX] W DRAWS OUT\n"
            "       hardgen png FILE PANEL_HEIGHT GAP X0 Y0 WIDTH N [X,Y ...]\n"
            "       hardgen rss FILE CMD [ARG...]\n");
    return 64;
}

static unsigned long long xs(unsigned long long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int fail(const sc_err *err)
{
    fprintf(stderr, "hardgen: %s\n", err->msg);
    return 74;
}

static int gen_tok(int argc, char **argv)
{
    int fmt = SC_TOKFMT_SC, rate = 100, vocab = 16384, c;
    long long samples = -1;
    unsigned long long x = 1;
    while ((c = getopt(argc, argv, "f:r:V:s:S:")) != -1) {
        switch (c) {
        case 'f':
            if (sc_tokfmt_parse(optarg, &fmt))
                return usage();
            break;
        case 'r': rate = atoi(optarg); break;
        case 'V': vocab = atoi(optarg); break;
        case 's': samples = atoll(optarg); break;
        case 'S': x = strtoull(optarg, NULL, 0); break;
        default: return usage();
        }
    }
    if (argc - optind != 2 || vocab < 2)
        return usage();
    long long n = atoll(argv[optind]);
    if (n < 0)
        return usage();
    if (!x)
        x = 1;
    sc_tok_header h = {rate, vocab, 8192, SC_TOKF_SYNTHETIC, samples, n};
    sc_err err = {0};
    sc_tokw *w = sc_tokw_open(argv[optind + 1], fmt, &h, &err);
    if (!w)
        return fail(&err);
    static int64_t p[256][2];
    for (long long i = 0; i < n;) {
        int k = 0;
        for (; k < 256 && i < n; k++, i++) {
            unsigned long long v = xs(&x);
            p[k][0] = (int64_t)(v % (unsigned)vocab);
            p[k][1] = (int64_t)((v >> 32) % 8192u);
        }
        if (sc_tokw_write(w, (const int64_t(*)[2])p, k, &err) < 0) {
            sc_tokw_abort(w);
            return fail(&err);
        }
    }
    return sc_tokw_close(w, &err) < 0 ? fail(&err) : 0;
}

static int gen_wav(int argc, char **argv)
{
    sc_audio_spec spec = {SC_AUDIO_WAV, SC_SAMPLE_FLOAT, 16000, 1};
    double amp = 0.5, freq = 440, amp2 = 0, freq2 = 0, noise = 0;
    long long delay = 0, nan_at = -1, inf_at = -1;
    unsigned long long x = 1;
    int c;
    while ((c = getopt(argc, argv, "r:c:t:a:f:b:g:n:S:d:N:I:")) != -1) {
        switch (c) {
        case 'r': spec.sample_rate = atoi(optarg); break;
        case 'c': spec.channels = atoi(optarg); break;
        case 't':
            if (sc_audio_sample_parse(optarg, &spec.sample))
                return usage();
            break;
        case 'a': amp = atof(optarg); break;
        case 'f': freq = atof(optarg); break;
        case 'b': amp2 = atof(optarg); break;
        case 'g': freq2 = atof(optarg); break;
        case 'n': noise = atof(optarg); break;
        case 'S': x = strtoull(optarg, NULL, 0); break;
        case 'd': delay = atoll(optarg); break;
        case 'N': nan_at = atoll(optarg); break;
        case 'I': inf_at = atoll(optarg); break;
        default: return usage();
        }
    }
    if (argc - optind != 2 || spec.sample_rate < 1 || spec.channels < 1 || spec.channels > 64 ||
        delay < 0)
        return usage();
    if (!x)
        x = 1;
    long long n = llround(atof(argv[optind]) * spec.sample_rate);
    sc_err err = {0};
    sc_audio_writer *w = sc_audio_writer_open(argv[optind + 1], &spec, &err);
    if (!w)
        return fail(&err);
    enum { CH = 4096 };
    float *buf = malloc(sizeof(float) * CH * (size_t)spec.channels);
    if (!buf) {
        sc_audio_writer_abort(w);
        fprintf(stderr, "hardgen: out of memory\n");
        return 71;
    }
    const double tau = 2 * M_PI / spec.sample_rate;
    for (long long i = 0; i < delay + n;) {
        int k = 0;
        for (; k < CH && i < delay + n; k++, i++) {
            double v = 0;
            if (i >= delay) {
                long long t = i - delay;
                /* the phase reduced exactly: t * f mod rate, for integer f */
                double ph1 = fmod((double)t * freq, (double)spec.sample_rate);
                double ph2 = fmod((double)t * freq2, (double)spec.sample_rate);
                v = amp * sin(tau * ph1) + amp2 * sin(tau * ph2);
                if (noise != 0)
                    v += noise * ((double)(xs(&x) >> 11) * 0x1p-52 - 1.0);
            }
            if (i == nan_at)
                v = NAN;
            if (i == inf_at)
                v = INFINITY;
            for (int ch = 0; ch < spec.channels; ch++)
                buf[(size_t)k * spec.channels + ch] = (float)v;
        }
        if (sc_audio_writer_write(w, buf, k, &err) < 0) {
            free(buf);
            sc_audio_writer_abort(w);
            return fail(&err);
        }
    }
    free(buf);
    return sc_audio_writer_close(w, &err) < 0 ? fail(&err) : 0;
}

static int gen_mel(int argc, char **argv)
{
    long long nan_at = -1, samples = -1;
    int c;
    while ((c = getopt(argc, argv, "N:s:")) != -1) {
        switch (c) {
        case 'N': nan_at = atoll(optarg); break;
        case 's': samples = atoll(optarg); break;
        default: return usage();
        }
    }
    if (argc - optind != 2)
        return usage();
    long long nw = atoll(argv[optind]);
    if (nw < 0)
        return usage();
    sc_mel_header h = {16000, 128, 1024, 0, samples >= 0 ? samples : nw * 160000, nw};
    sc_err err = {0};
    sc_melw *w = sc_melw_open(argv[optind + 1], SC_MELFMT_SC, &h, &err);
    if (!w)
        return fail(&err);
    static float win[1024 * 128];
    unsigned long long x = 1;
    for (long long k = 0; k < nw; k++) {
        for (long long i = 0; i < 1024 * 128; i++) {
            win[i] = (float)((double)(xs(&x) >> 11) * 0x1p-53 - 0.5);
            if (k * 1024 * 128 + i == nan_at)
                win[i] = NAN;
        }
        if (sc_melw_write(w, win, &err) < 0) {
            sc_melw_abort(w);
            return fail(&err);
        }
    }
    return sc_melw_close(w, &err) < 0 ? fail(&err) : 0;
}

static int gen_noise(int argc, char **argv)
{
    long long nan_at = -1;
    int c;
    while ((c = getopt(argc, argv, "N:")) != -1) {
        if (c != 'N')
            return usage();
        nan_at = atoll(optarg);
    }
    if (argc - optind != 3)
        return usage();
    int64_t shape[5] = {atoll(argv[optind]), atoll(argv[optind + 1]), 8, 256, 16};
    if (shape[0] < 1 || shape[1] < 1)
        return usage();
    sc_err err = {0};
    sc_outfile o;
    if (sc_outfile_open(&o, argv[optind + 2], &err) < 0)
        return fail(&err);
    if (sc_npy_write_header(o.f, SC_F32, 5, shape, sc_outfile_name(&o), &err) < 0) {
        sc_outfile_abort(&o);
        return fail(&err);
    }
    unsigned long long x = 1;
    long long n = shape[0] * shape[1] * 8 * 256 * 16;
    for (long long i = 0; i < n; i++) {
        float v = (float)((double)(xs(&x) >> 11) * 0x1p-53 - 0.5);
        if (i == nan_at)
            v = NAN;
        fwrite(&v, sizeof v, 1, o.f);
    }
    return sc_outfile_commit(&o, &err) < 0 ? fail(&err) : 0;
}

static int read_png(int argc, char **argv)
{
    if (argc < 9)
        return usage();
    int ph = atoi(argv[3]), gap = atoi(argv[4]), x0 = atoi(argv[5]), y0 = atoi(argv[6]);
    int pw = atoi(argv[7]), np = atoi(argv[8]);
    FILE *f = fopen(argv[2], "rb");
    if (!f || ph < 1 || gap < 0 || x0 < 0 || y0 < 0 || pw < 1 || np < 0) {
        fprintf(stderr, "hardgen: %s: cannot open\n", argv[2]);
        if (f)
            fclose(f);
        return 74;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        fprintf(stderr, "hardgen: %s: not a readable PNG\n", argv[2]);
        return 74;
    }
    png_init_io(png, f);
    png_read_png(png, info, PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_PACKING, NULL);
    png_uint_32 W = png_get_image_width(png, info), H = png_get_image_height(png, info);
    int ch = png_get_channels(png, info);
    png_bytepp rows = png_get_rows(png, info);
    printf("size %u %u\n", (unsigned)W, (unsigned)H);
    for (int p = 0; p < np && (png_uint_32)(y0 + p * (ph + gap) + ph) <= H &&
                    (png_uint_32)(x0 + pw) <= W; p++) {
        int best = -1;
        double bl = -1;
        for (int y = 0; y < ph; y++) {
            const png_byte *r = rows[y0 + p * (ph + gap) + y];
            double l = 0;
            for (int x = x0; x < x0 + pw; x++)
                l += ch >= 3 ? 0.299 * r[x * ch] + 0.587 * r[x * ch + 1] + 0.114 * r[x * ch + 2]
                             : r[x * ch];
            l /= pw;
            if (l > bl) {
                bl = l;
                best = y;
            }
        }
        printf("panel %d peak_row %d mean %.1f\n", p, best, bl);
    }
    for (int i = 9; i < argc; i++) {
        int x, y;
        if (sscanf(argv[i], "%d,%d", &x, &y) != 2 || x < 0 || y < 0 || (png_uint_32)x >= W ||
            (png_uint_32)y >= H) {
            printf("pixel %s outside\n", argv[i]);
            continue;
        }
        const png_byte *q = rows[y] + (size_t)x * ch;
        printf("pixel %d %d %d %d %d\n", x, y, q[0], q[ch >= 3 ? 1 : 0], q[ch >= 3 ? 2 : 0]);
    }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return 0;
}

static int run_rss(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    char tmp[4096], pidf[4096];
    snprintf(pidf, sizeof pidf, "%s.pid", argv[2]);
    snprintf(tmp, sizeof tmp, "%s.pid.tmp", argv[2]);
    pid_t pid = fork();
    if (pid < 0) {
        perror("hardgen: fork");
        return 71;
    }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        fprintf(stderr, "hardgen: %s: cannot run\n", argv[3]);
        _exit(127);
    }
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%ld\n", (long)pid);
        fclose(f);
        rename(tmp, pidf);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR) {
            perror("hardgen: wait4");
            return 71;
        }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    f = fopen(argv[2], "w");
    if (!f)
        return 74;
    fprintf(f, "maxrss_kb %ld\nstatus %d\n", (long)ru.ru_maxrss, code);
    fclose(f);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "rss"))
        return run_rss(argc, argv);
    if (!strcmp(argv[1], "png"))
        return read_png(argc, argv);
    if (!strcmp(argv[1], "tok"))
        return gen_tok(argc - 1, argv + 1);
    if (!strcmp(argv[1], "wav"))
        return gen_wav(argc - 1, argv + 1);
    if (!strcmp(argv[1], "mel"))
        return gen_mel(argc - 1, argv + 1);
    if (!strcmp(argv[1], "noise"))
        return gen_noise(argc - 1, argv + 1);
    return usage();
}
