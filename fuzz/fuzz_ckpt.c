/* libFuzzer target: sc_ckpt_open_mem on arbitrary bytes.
 *
 * Invariants checked: a refused input has a negative code and a one-line
 * message naming the input; an accepted one has tensors whose every
 * element lies inside the image (the first and last element and a sample
 * in between are read, so ASan sees any view that escapes its storage).
 * Build: configure CC=clang --enable-fuzzing CFLAGS="-g -O1
 * -fsanitize=address,undefined"; seeds in tests/fuzz/ckpt.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned at(const sc_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (i % t->shape[d]) * t->stride[d];
        i /= t->shape[d];
    }
    size_t es = sc_dtype_size(t->dtype);
    const unsigned char *p = (const unsigned char *)t->data + off * (int64_t)es;
    unsigned acc = 0;
    for (size_t b = 0; b < es; b++)
        acc += p[b];
    return acc;
}

/* Read a sample of elements and always the last one (the largest offset
 * when strides are non-negative). */
static unsigned touch(const sc_tensor *t)
{
    int64_t n = sc_tensor_numel(t);
    if (n <= 0)
        return 0;
    int64_t step = n > 4096 ? n / 4096 : 1;
    unsigned acc = at(t, n - 1);
    for (int64_t i = 0; i < n; i += step)
        acc += at(t, i);
    return acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_err err = {0};
    sc_ckpt *ck = sc_ckpt_open_mem(data, size, "fuzz", &err);
    if (!ck) {
        if (err.code >= 0 || strncmp(err.msg, "fuzz", 4) != 0 || strchr(err.msg, '\n'))
            abort();
        return 0;
    }
    volatile unsigned sink = 0;
    for (int64_t i = 0; i < sc_ckpt_count(ck); i++) {
        const char *key;
        const sc_tensor *t = sc_ckpt_at(ck, i, &key);
        if (!t || !key || sc_ckpt_find(ck, key) != t || sc_ckpt_storage_id(ck, i) < 0)
            abort();
        sink += touch(t);
    }
    (void)sink;
    sc_ckpt_close(ck);
    return 0;
}
