/* examples/decode.c - SemantiCodec tokens to 16 kHz audio with sc/codec.h.
 *
 *   decode NSAMPLES [section.key=value ...] < tokens.txt > out.f32
 *
 * Reads "semantic acoustic" pairs, one per line; NSAMPLES is the length to
 * produce (0: the official length of the pairs).  Writes float32 samples
 * (`sox -t f32 -r 16000 -c 1 out.f32 out.wav` makes a WAV of them).
 * Build: cc decode.c $(pkg-config --cflags --libs libsc) */
#include <stdio.h>
#include <stdlib.h>
#include <sc/codec.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: decode NSAMPLES [section.key=value ...] < tokens.txt\n");
        return 64;
    }
    int64_t *tok = NULL;
    long long s, a;
    size_t n = 0, cap = 0;
    while (scanf("%lld %lld", &s, &a) == 2) {
        if (n == cap && !(tok = realloc(tok, (cap = cap ? 2 * cap : 1024) * 2 * sizeof *tok)))
            return 70;
        tok[2 * n] = s;
        tok[2 * n + 1] = a;
        n++;
    }

    sc_err err = {0};
    /* argv[2..] are the settings: argv[argc] is NULL, as the call wants */
    sc_codec *c = sc_codec_open(NULL, (const char *const *)argv + 2, &err);
    float *pcm = NULL;
    int64_t len = 0;
    if (!c || sc_codec_decode(c, tok, (int64_t)n, atoll(argv[1]), &pcm, &len, &err) != SC_OK) {
        fprintf(stderr, "decode: %s\n", err.msg);
        sc_codec_close(c);
        return 65;
    }
    fwrite(pcm, sizeof *pcm, (size_t)len, stdout);
    sc_codec_free(pcm);
    sc_codec_close(c);
    free(tok);
    return fflush(stdout) ? 74 : 0;
}
