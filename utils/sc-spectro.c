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
 *
 * Layout (fixed, so that tests and scripts can find the panels): each
 * panel's file name in the TOP rows above it, the frequency axis (Hz at
 * round frequencies, so mel-spaced) in the LEFT columns, panels GAP rows
 * apart, the time axis (seconds) in the BOTTOM rows below the last one,
 * and the colour bar with its dB scale in the RIGHT columns.  Text uses
 * the built-in 5x7 font of canvas.h.
 */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/util.h"
#include "canvas.h"
#include "listen.h"
#include "tool.h"

/* Margins around the panels (pixels); see the layout above. */
enum { LEFT = 40, TOP = 12, GAP = 14, BOTTOM = 18, RIGHT = 56, TICK = 3, BAR = 12 };

static const unsigned char INK[3] = {0, 0, 0}, PAPER[3] = {255, 255, 255},
                           NODATA[3] = {0x40, 0x40, 0x40};

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

/* Slaney's mel scale (librosa's default, as listen_mel_filters uses). */
static double hz_to_mel(double f)
{
    const double fsp = 200.0 / 3, min_log_hz = 1000, logstep = log(6.4) / 27;
    return f < min_log_hz ? f / fsp : min_log_hz / fsp + log(f / min_log_hz) / logstep;
}

/* Ticks and labels at round frequencies on the left of the panel whose top
 * row is y0.  Band m's filter peaks at mel m + 1 of mels + 2 points evenly
 * spaced from 0 Hz to rate / 2, and rows map to bands as in main. */
static void freq_axis(canvas *cv, int y0, int ph, int rate, int mels)
{
    static const int hz[] = {100, 200, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000};
    const double top = hz_to_mel(rate / 2.0);
    int last_y = -100;
    char lab[16];
    canvas_text(cv, 2, y0 - CANVAS_TEXT_H - 3, "Hz", -1, INK);
    for (int i = (int)(sizeof hz / sizeof hz[0]) - 1; i >= 0; i--) {
        if (hz[i] >= rate / 2)
            continue;
        double band = hz_to_mel(hz[i]) / top * (mels + 1) - 1;
        int y = y0 + ph - 1 - (int)floor((band + 0.5) * ph / mels);
        if (y < y0 || y >= y0 + ph || y - last_y < CANVAS_TEXT_H + 3)
            continue;       /* off the panel, or too close to the label above */
        last_y = y;
        canvas_fill(cv, LEFT - TICK, y, TICK, 1, INK);
        snprintf(lab, sizeof lab, "%d", hz[i]);
        canvas_text(cv, LEFT - TICK - 2 - canvas_text_width(lab), y - CANVAS_TEXT_H / 2, lab, -1,
                    INK);
    }
}

/* A panel's file name above it, within maxw pixels (up to the colour
 * bar's label): too long a name keeps its end, where the file name is. */
static void title(canvas *cv, int y0, const char *name, int maxw)
{
    size_t fit = (size_t)(maxw + 1) / CANVAS_ADV, n = strlen(name);
    char buf[512];
    if (n > fit && fit > 3 && fit < sizeof buf) {
        snprintf(buf, sizeof buf, "...%s", name + n - (fit - 3));
        name = buf;
    }
    canvas_text(cv, LEFT, y0 - CANVAS_TEXT_H - 3, name, maxw, INK);
}

/* Ticks every 0.01 .. 600 s under the last panel (bottom row y1), at least
 * 40 pixels apart; spc seconds a column. */
static void time_axis(canvas *cv, int y1, int w, double spc)
{
    static const double steps[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60,
                                   120, 300, 600, 1200, 3600};
    double step = steps[sizeof steps / sizeof steps[0] - 1];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] / spc >= 40) {
            step = steps[i];
            break;
        }
    int dec = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
    char lab[32];
    for (int k = 0;; k++) {
        int x = LEFT + (int)lround(k * step / spc);
        if (x >= LEFT + w)
            break;
        canvas_fill(cv, x, y1, 1, TICK, INK);
        snprintf(lab, sizeof lab, "%.*f", dec, k * step);
        int lw = canvas_text_width(lab);
        canvas_text(cv, k ? x - lw / 2 : x, y1 + TICK + 2, lab, -1, INK);
    }
    canvas_text(cv, LEFT - TICK - 2 - canvas_text_width("s"), y1 + TICK + 2, "s", -1, INK);
}

/* The colour scale from top - range (bottom) to top dB, labelled every 10
 * or 20 dB, right of the panels (x1 their right edge). */
static void colour_bar(canvas *cv, int x1, int y0, int h, double top, double range, int gray)
{
    const int x = x1 + 8;
    for (int y = 0; y < h; y++) {
        unsigned char rgb[3];
        colour(1.0 - (double)y / (h - 1), gray, rgb);
        canvas_fill(cv, x, y0 + y, BAR, 1, rgb);
    }
    canvas_text(cv, x, y0 - CANVAS_TEXT_H - 3, "dB", -1, INK);
    double step = range > 100 ? 20 : 10;
    char lab[32];
    for (double d = ceil((top - range) / step) * step; d <= top; d += step) {
        int y = y0 + (int)lround((top - d) / range * (h - 1));
        canvas_fill(cv, x + BAR, y, TICK, 1, INK);
        snprintf(lab, sizeof lab, "%.0f", d);
        canvas_text(cv, x + BAR + TICK + 2, y - CANVAS_TEXT_H / 2, lab, -1, INK);
    }
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
        sc_err_set(&err, SC_EARG,
                   "refusing to write a PNG image to a terminal (give OUT or redirect)");
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
    canvas cv = {0, 0, NULL};
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
    if (W < 1) {
        rc = sc_err_set(&err, SC_EFORMAT, "%s: no audio", t.args[0]);
        goto out;
    }
    const int PH = (int)o.height;
    if ((rc = canvas_init(&cv, LEFT + W + RIGHT, TOP + np * PH + (np - 1) * GAP + BOTTOM, PAPER,
                          &err)))
        goto out;
    for (int i = 0; i < np; i++) {
        int y0 = TOP + i * (PH + GAP);
        const char *name = strcmp(t.args[i], "-") ? t.args[i] : "<stdin>";
        title(&cv, y0, name, W + 5);
        /* "no data" (beyond the shorter file) is dark gray */
        canvas_fill(&cv, LEFT, y0, W, PH, NODATA);
        for (int y = 0; y < PH; y++) {
            /* low frequencies at the bottom */
            int m = (int)((int64_t)(PH - 1 - y) * o.mels / PH);
            for (int64_t c = 0; c < pn[i].cols; c++) {
                double v = (pn[i].db[c * o.mels + m] - (top - o.range)) / o.range;
                colour(v, o.gray, canvas_at(&cv, LEFT + (int)c, y0 + y));
            }
        }
        freq_axis(&cv, y0, PH, rate, (int)o.mels);
    }
    time_axis(&cv, TOP + np * PH + (np - 1) * GAP, W, (double)pool * hop / rate);
    colour_bar(&cv, LEFT + W, TOP, np * PH + (np - 1) * GAP, top, o.range, o.gray);
    rows = malloc(sizeof *rows * (size_t)cv.h);
    if (!rows) {
        rc = sc_err_set(&err, SC_ENOMEM, "out of memory");
        goto out;
    }
    for (int y = 0; y < cv.h; y++)
        rows[y] = cv.rgb + (size_t)y * cv.w * 3;
    if ((rc = sc_outfile_open(&of, o.out, &err)))
        goto out;
    of_open = 1;
    if ((rc = write_png(of.f, sc_outfile_name(&of), rows, cv.w, cv.h, &err)))
        goto out;
    of_open = 0;
    if ((rc = sc_outfile_commit(&of, &err)))
        goto out;
    sc_log_msg(&t.log, SC_LOG_INFO,
               "%s: %dx%d, %d panel%s, %lld frame%s per column, FFT %d, hop %d, %.1f dB top",
               o.out, cv.w, cv.h, np, np == 1 ? "" : "s", (long long)pool, pool == 1 ? "" : "s", nfft,
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
    canvas_free(&cv);
    return rc ? sc_tool_fail(&t, &err) : 0;
}
