/* libFuzzer target: sc_npy_parse on arbitrary bytes.
 *
 * An accepted array's bytes are all read (ASan checks they lie inside the
 * input), then written back with sc_npy_write and parsed again: the result
 * must describe the same array with the same bytes.  A refused input must
 * carry a negative code and a one-line message naming it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_err err = {0};
    sc_tensor t;
    if (sc_npy_parse(data, size, "fuzz.npy", &t, &err) < 0) {
        if (err.code >= 0 || strncmp(err.msg, "fuzz.npy: ", 10) != 0 || strchr(err.msg, '\n'))
            abort();
        return 0;
    }
    size_t nb = (size_t)sc_tensor_numel(&t) * sc_dtype_size(t.dtype);
    volatile unsigned sink = 0;
    for (size_t i = 0; i < nb; i++)
        sink += ((const unsigned char *)t.data)[i];
    (void)sink;
    if (nb > (1u << 20))
        return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return 0;
    if (sc_npy_write(f, &t, "mem", &err) < 0)
        abort();
    fclose(f);
    sc_tensor u;
    if (sc_npy_parse(buf, len, "again", &u, &err) < 0 || u.dtype != t.dtype || u.ndim != t.ndim ||
        memcmp(u.shape, t.shape, sizeof(int64_t) * (size_t)t.ndim) != 0 ||
        (nb && memcmp(u.data, t.data, nb) != 0))
        abort();
    free(buf);
    return 0;
}
