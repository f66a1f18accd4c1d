/* npycmp: compare two float .npy arrays for the shell tests.
 *
 *   npycmp [-a ABS] [-r RMS] GOT.npy WANT.npy
 *
 * Prints "max abs X (at I) rms Y n N" and exits 0 when the shapes match and
 * max |got - want| <= ABS (default 0) and rms(got - want) <= RMS (default:
 * no limit); 1 when a tolerance is exceeded; 2 on a shape mismatch or an
 * unreadable file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sc/npy.h"

static float *load(const char *path, sc_tensor *t)
{
    sc_err err = {0};
    if (sc_npy_load(path, t, &err) != SC_OK) {
        fprintf(stderr, "npycmp: %s\n", err.msg);
        exit(2);
    }
    int64_t n = sc_tensor_numel(t);
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (!p || sc_tensor_to_f32(t, p, &err) != SC_OK) {
        fprintf(stderr, "npycmp: %s: %s\n", path, err.msg[0] ? err.msg : "out of memory");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    double tol_abs = 0, tol_rms = INFINITY;
    int c;
    while ((c = getopt(argc, argv, "a:r:")) != -1) {
        if (c == 'a')
            tol_abs = atof(optarg);
        else if (c == 'r')
            tol_rms = atof(optarg);
        else
            return 2;
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: npycmp [-a ABS] [-r RMS] GOT.npy WANT.npy\n");
        return 2;
    }
    sc_tensor a, b;
    float *x = load(argv[optind], &a), *y = load(argv[optind + 1], &b);
    char sa[128], sb[128];
    sc_shape_str(a.shape, a.ndim, sa, sizeof sa);
    sc_shape_str(b.shape, b.ndim, sb, sizeof sb);
    if (strcmp(sa, sb)) {
        fprintf(stderr, "npycmp: shapes differ: %s vs %s\n", sa, sb);
        return 2;
    }
    int64_t n = sc_tensor_numel(&a), arg = 0;
    double mx = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)x[i] - (double)y[i]);
        if (isnan(e))
            e = INFINITY;
        if (e > mx) {
            mx = e;
            arg = i;
        }
        ss += e * e;
    }
    double rms = n ? sqrt(ss / (double)n) : 0;
    printf("max abs %.3g (at %lld) rms %.3g n %lld\n", mx, (long long)arg, rms, (long long)n);
    free(x);
    free(y);
    sc_tensor_release(&a);
    sc_tensor_release(&b);
    return mx <= tol_abs && rms <= tol_rms ? 0 : 1;
}
