/* examples/encode.c - audio samples to SemantiCodec tokens with sc/codec.h.
 *
 *   encode RATE CHANNELS IN.f32 [section.key=value ...] > tokens.txt
 *
 * IN.f32: interleaved float32 samples (e.g. `sox in.wav -t f32 in.f32`).
 * Prints one "semantic acoustic" pair per line.
 * Build: cc encode.c $(pkg-config --cflags --libs libsc) */
#include <stdio.h>
#include <stdlib.h>
#include <sc/codec.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: encode RATE CHANNELS IN.f32 [section.key=value ...]\n");
        return 64;
    }
    int rate = atoi(argv[1]), channels = atoi(argv[2]);
    FILE *f = fopen(argv[3], "rb");
    if (!f || channels < 1) {
        fprintf(stderr, "encode: cannot read %s\n", argv[3]);
        return 66;
    }
    float *pcm = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap && !(pcm = realloc(pcm, (cap = cap ? 2 * cap : 65536) * sizeof *pcm)))
            return 70;
        got = fread(pcm + n, sizeof *pcm, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);

    sc_err err = {0};
    /* argv[4..] are the settings: argv[argc] is NULL, as the call wants */
    sc_codec *c = sc_codec_open(NULL, (const char *const *)argv + 4, &err);
    int64_t *tokens = NULL, npairs = 0;
    if (!c || sc_codec_encode(c, pcm, (int64_t)(n / channels), channels, rate, &tokens,
                              &npairs, &err) != SC_OK) {
        fprintf(stderr, "encode: %s\n", err.msg);
        sc_codec_close(c);
        return 65;
    }
    for (int64_t i = 0; i < npairs; i++)
        printf("%lld %lld\n", (long long)tokens[2 * i], (long long)tokens[2 * i + 1]);
    sc_codec_free(tokens);
    sc_codec_close(c);
    free(pcm);
    return fflush(stdout) ? 74 : 0;
}
