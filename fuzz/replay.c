/* fuzz/replay.c - runs a libFuzzer target's LLVMFuzzerTestOneInput over
 * files, without libFuzzer: the seed corpora and the regression inputs
 * (tests/fuzz/regress/TARGET/) are replayed in `make check` by ordinary
 * builds, so a fixed crash stays fixed with any compiler.
 *
 *   replay_TARGET FILE|DIR...
 * Each directory is read one level deep (files only, in name order).
 * Exit 0 when every input ran (a finding aborts the process), 66 when an
 * input cannot be read or no input was given.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            fprintf(stderr, "replay: %s: out of memory\n", path);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: %s: read error\n", path);
        return -1;
    }
    /* an exact-size copy, so ASan sees reads past the end of the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    int files = 0, fail = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: not found\n", argv[i]);
            fail = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            fail |= run_file(argv[i]) < 0;
            files++;
            continue;
        }
        struct dirent **ent;
        int n = scandir(argv[i], &ent, NULL, by_name);
        if (n < 0) {
            fprintf(stderr, "replay: %s: cannot list\n", argv[i]);
            fail = 1;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], ent[k]->d_name);
            if (ent[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                fail |= run_file(path) < 0;
                files++;
            }
            free(ent[k]);
        }
        free(ent);
    }
    printf("%d inputs replayed\n", files);
    return fail || files == 0 ? 66 : 0;
}
