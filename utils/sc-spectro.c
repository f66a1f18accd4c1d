/* sc-spectro: log-mel spectrograms of one or two audio files as a PNG
 * (sc-spectro(1)): A in the upper panel, B (e.g. its decode) below, on one
 * time axis and one colour scale, so differences show at a glance.
 *
 * Analysis: FFT size = the smallest power of two >= 40 ms at A's rate,
 * hop 10 ms, periodic Hann window, centred frames (listen.h); power
 * spectrum through a Slaney mel filterbank (0 Hz to half the rate);
 * 10 log10(max(mel, 1e-10)) dB.  The colour scale runs from the loudest
 * value of both panels down --range dB.  When a file has more frames than
 * --width, neighbouring frames are averaged (in power) into one column.
 * The PNG is written with libpng, atomically (sc/util.h).
 */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/util.h"
#include "listen.h"
#include "tool.h"

#define GAP 6   /* rows between the panels */

typedef struct opts {
    const char *out;
    long mels, width, height;
    double range;
    int gray;
} opts;

enum { OPT_GRAY = 0x2201 };

static int on_opt(sc_tool *t, int opt, const char *arg, void *user, sc_err *err)
{
    (void)t;
    opts *o = user;
    switch (opt) {
    case 'o': o->out = arg; return SC_OK;
    case 'n': return sc_tool_parse_int("--mels", arg, 8, 512, &o->mels, err);
    case 'W': return sc_tool_parse_int("--width", arg, 16, 65536, &o->width, err);
    case 'H': return sc_tool_parse_int("--height", arg, 16, 4096, &o->height, err);
    case 'R': return sc_tool_parse_double("--range", arg, 1, 300, &o->range, err);
    case OPT_GRAY: o->gray = 1; return SC_OK;
    }
    return sc_err_set(err, SC_EARG, "unknown option (try --help)");
}

/* One panel: dB values [cols][mels] (NAN: no data). */
typedef struct panel {
    float *db;
    int64_t cols;
} panel;

static int analyse(const listen_audio *a, int nfft, int hop, int mels, const float *w,
                   int64_t pool, panel *p, sc_err *err)
{
    const int nb = nfft / 2 + 1;
    listen_stft *st = listen_stft_new(nfft, hop, err);
    float *mag = malloc(sizeof(float) * (size_t)nb);
    double *acc = calloc((size_t)mels, sizeof(double));
    const int64_t frames = st ? listen_stft_frames(st, a->n) : 0;
    p->cols = (frames + pool - 1) / pool;
    p->db = malloc(sizeof(float) * (size_t)(p->cols ? p->cols : 1) * mels);
    if (!st || !mag || !acc || !p->db) {
        listen_stft_free(st);
        free(mag);
        free(acc);
        return err->code ? err->code : sc_err_set(err, SC_ENOMEM, "out of memory");
    }
    for (int64_t c = 0; c < p->cols; c++) {
        memset(acc, 0, sizeof(double) * mels);
        int64_t f0 = c * pool, f1 = f0 + pool < frames ? f0 + pool : frames;
        for (int64_t f = f0; f < f1; f++) {
            listen_stft_frame(st, a->x, a->n, f, mag);
            for (int m = 0; m < mels; m++) {
                const float *wr = w + (size_t)m * nb;
                double e = 0;
                for (int k = 0; k < nb; k++)
                    e += (double)wr[k] * mag[k] * mag[k];
                acc[m] += e;
            }
        }
        for (int m = 0; m < mels; m++) {
            double e = acc[m] / (double)(f1 - f0);
            p->db[c * mels + m] = (float)(10.0 * log10(e > 1e-10 ? e : 1e-10));
        }
    }
    listen_stft_free(st);
    free(mag);
    free(acc);
    return SC_OK;
}

/* Perceptually ordered dark-to-bright map (after matplotlib's magma). */
static void colour(double v, int gray, png_byte *rgb)
{
    static const unsigned char stop[9][3] = {
        {0, 0, 4},       {28, 16, 68},   {79, 18, 123},  {129, 37, 129}, {181, 54, 122},
        {229, 80, 100},  {251, 135, 97}, {254, 194, 135}, {252, 253, 191}};
    if (v < 0)
        v = 0;
    if (v > 1)
        v = 1;
    if (gray) {
        rgb[0] = rgb[1] = rgb[2] = (png_byte)lround(v * 255);
        return;
    }
    double x = v * 8;
    int i = x >= 8 ? 7 : (int)x;
    double f = x - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (png_byte)lround(stop[i][c] + f * (stop[i + 1][c] - stop[i][c]));
}

static int write_png(FILE *f, const char *name, png_bytep *rows, int W, int H, sc_err *err)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory (libpng)", name);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return sc_err_set(err, SC_EIO, "%s: libpng could not write the image", name);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)W, (png_uint_32)H, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return SC_OK;
}

static const struct option longopts[] = {
    {"output", required_argument, 0, 'o'}, {"mels", required_argument, 0, 'n'},
    {"width", required_argument, 0, 'W'},  {"height", required_argument, 0, 'H'},
    {"range", required_argument, 0, 'R'},  {"gray", no_argument, 0, OPT_GRAY},
    {0, 0, 0, 0},
};

int main(int argc, char **argv)
{
    sc_tool t;
    opts o = {NULL, 128, 2000, 256, 80.0, 0};
    const sc_tool_spec spec = {
        .prog = "sc-spectro",
        .synopsis = "[options] A [B] -o OUT.png",
        .help = "  Renders log-mel spectrograms of audio file A (and B, below it, on the\n"
                "  same time axis and colour scale) into a PNG image.\n\n"
                "  -o, --output=FILE     PNG to write (- for standard output)\n"
                "  -n, --mels=N          mel bands (default 128)\n"
                "  -W, --width=PX        at most PX columns; longer inputs average frames\n"
                "                        (default 2000)\n"
                "  -H, --height=PX       height of each panel (default 256)\n"
                "  -R, --range=DB        dynamic range below the loudest value (default 80)\n"
                "      --gray            grayscale instead of the colour map\n",
        .shortopts = "o:n:W:H:R:",
        .longopts = longopts,
        .fn = on_opt,
        .user = &o,
    };
    if (sc_tool_init(&t, &spec, argc, argv))
        return t.exit_code;
    sc_err err = {0};
    if (t.nargs < 1 || t.nargs > 2) {
        sc_err_set(&err, SC_EARG, "expected one or two audio files (try --help)");
        return sc_tool_fail(&t, &err);
    }
    if (!o.out) {
        sc_err_set(&err, SC_EARG, "no output: give -o FILE.png (or -o - for standard output)");
        return sc_tool_fail(&t, &err);
    }
    if (!strcmp(o.out, "-") && isatty(STDOUT_FILENO)) {
        sc_err_set(&err, SC_EARG, "refusing to write a PNG image to a terminal");
        return sc_tool_fail(&t, &err);
    }
    if (t.nargs == 2 && !strcmp(t.args[0], "-") && !strcmp(t.args[1], "-")) {
        sc_err_set(&err, SC_EARG, "only one of A and B can be standard input");
        return sc_tool_fail(&t, &err);
    }
    if (sc_output_check(o.out, (const char *const *)t.args, (size_t)t.nargs, &err))
        return sc_tool_fail(&t, &err);
    const int np = t.nargs;
    listen_audio au[2] = {{0}, {0}};
    panel pn[2] = {{0}, {0}};
    float *w = NULL;
    png_bytep *rows = NULL;
    png_byte *img = NULL;
    sc_outfile of = {0};
    int of_open = 0, rc = SC_OK;
    for (int i = 0; i < np; i++)
        if ((rc = listen_load(t.args[i], i ? au[0].rate : 0, &au[i], &err)))
            goto out;
    const int rate = au[0].rate;
    int nfft = 16;
    while (nfft < 0.040 * rate)
        nfft *= 2;
    int hop = (int)lround(0.010 * rate);
    if (hop < 1)
        hop = 1;
    if (!(w = listen_mel_filters(rate, nfft, (int)o.mels, &err))) {
        rc = err.code;
        goto out;
    }
    int64_t frames = 0;
    for (int i = 0; i < np; i++) {
        int64_t f = au[i].n > 0 ? 1 + au[i].n / hop : 0;
        if (f > frames)
            frames = f;
    }
    const int64_t pool = (frames + o.width - 1) / o.width > 1 ? (frames + o.width - 1) / o.width : 1;
    for (int i = 0; i < np; i++)
        if ((rc = analyse(&au[i], nfft, hop, (int)o.mels, w, pool, &pn[i], &err)))
            goto out;
    double top = -INFINITY;
    for (int i = 0; i < np; i++)
        for (int64_t j = 0; j < pn[i].cols * o.mels; j++)
            if (pn[i].db[j] > top)
                top = pn[i].db[j];
    const int W = (int)(pn[0].cols > pn[np - 1].cols ? pn[0].cols : pn[np - 1].cols);
    const int H = (int)(np * o.height + (np - 1) * GAP);
    if (W < 1) {
        rc = sc_err_set(&err, SC_EFORMAT, "%s: no audio", t.args[0]);
        goto out;
    }
    img = malloc((size_t)W * H * 3);
    rows = malloc(sizeof *rows * (size_t)H);
    if (!img || !rows) {
        rc = sc_err_set(&err, SC_ENOMEM, "out of memory for a %dx%d image", W, H);
        goto out;
    }
    /* "no data" (the gap, and beyond the shorter file) is mid gray */
    memset(img, 0x40, (size_t)W * H * 3);
    for (int y = 0; y < H; y++)
        rows[y] = img + (size_t)y * W * 3;
    for (int i = 0; i < np; i++) {
        int y0 = i * (int)(o.height + GAP);
        for (int y = 0; y < o.height; y++) {
            /* low frequencies at the bottom */
            int m = (int)((int64_t)(o.height - 1 - y) * o.mels / o.height);
            for (int64_t c = 0; c < pn[i].cols; c++) {
                double v = (pn[i].db[c * o.mels + m] - (top - o.range)) / o.range;
                colour(v, o.gray, rows[y0 + y] + c * 3);
            }
        }
    }
    if ((rc = sc_outfile_open(&of, o.out, &err)))
        goto out;
    of_open = 1;
    if ((rc = write_png(of.f, sc_outfile_name(&of), rows, W, H, &err)))
        goto out;
    of_open = 0;
    if ((rc = sc_outfile_commit(&of, &err)))
        goto out;
    sc_log_msg(&t.log, SC_LOG_INFO,
               "%s: %dx%d, %d panel%s, %lld frame%s per column, FFT %d, hop %d, %.1f dB top",
               o.out, W, H, np, np == 1 ? "" : "s", (long long)pool, pool == 1 ? "" : "s", nfft,
               hop, top);
out:
    if (of_open)
        sc_outfile_abort(&of);
    for (int i = 0; i < 2; i++) {
        listen_free(&au[i]);
        free(pn[i].db);
    }
    free(w);
    free(rows);
    free(img);
    return rc ? sc_tool_fail(&t, &err) : 0;
}
