/* fuzz/fuzzfix.h - helpers shared by the stream fuzzers (header only).
 *
 * The sc mel and token streams protect every header and packet with a
 * CRC-32, so random mutations almost never get past the first check.  The
 * fuzzers therefore install a custom mutator that, after libFuzzer's own
 * mutation, recomputes the CRCs of the mutated image most of the time
 * (7 times in 8): the corpus fills with CRC-valid inputs that reach the
 * deeper checks, while the CRC-mismatch paths stay covered.  The fix-ups
 * walk the layouts of sc-stream(5) and stop at the first packet that does
 * not fit.
 *
 * The mutator exists only in libFuzzer builds (SC_LIBFUZZER); the same
 * sources are linked with fuzz/replay.c into plain programs that replay
 * the seed corpora and the regression inputs in `make check`.
 */
#ifndef SC_FUZZFIX_H
#define SC_FUZZFIX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "sc/util.h"

/* A refused input must carry a negative code and one line naming it. */
static inline int fuzz_err_ok(const sc_err *e, const char *name)
{
    size_t n = strlen(name);
    return e->code < 0 && e->msg[0] && !strchr(e->msg, '\n') && strncmp(e->msg, name, n) == 0 &&
           (e->msg[n] == ':' || e->msg[n] == 0);
}

/* A read-only stream over the input (fmemopen cannot open 0 bytes: an
 * empty input gets a one-byte buffer that is consumed at once). */
static inline FILE *fuzz_open(const uint8_t *data, size_t size)
{
    static char empty[1];
    FILE *f = fmemopen(size ? (void *)data : empty, size ? size : 1, "rb");
    if (f && !size)
        (void)fgetc(f);
    return f;
}

/* sc mel stream: 64-byte header (CRC at 60 over 0..59); packets of 24
 * bytes (CRC at 20 over 0..19 and the payload; payload size at 16 for
 * "SCMW", none for "SCME"). */
static inline void fuzz_fix_mel(uint8_t *d, size_t n)
{
    if (n < 64)
        return;
    sc_put_le32(d + 60, sc_crc32(0, d, 60));
    size_t p = 64;
    while (p + 24 <= n) {
        size_t pay = 0;
        if (!memcmp(d + p, "SCMW", 4))
            pay = sc_get_le32(d + p + 16);
        if (pay > n - p - 24)
            return;
        uint32_t c = sc_crc32(0, d + p, 20);
        sc_put_le32(d + p + 20, sc_crc32(c, d + p + 24, pay));
        p += 24 + pay;
    }
}

/* sc token stream: 40-byte header (CRC at 36 over 0..35, bit widths at 28
 * and 29); packets of 16 bytes (pair count at 8, CRC at 12 over 0..11 and
 * the bit-packed payload).  Positions are made consistent too when `pos`
 * is set, so the pair-count checks are reached. */
static inline void fuzz_fix_tok(uint8_t *d, size_t n, int pos)
{
    if (n < 40 || memcmp(d, "SCTK", 4))
        return;
    sc_put_le32(d + 36, sc_crc32(0, d, 36));
    unsigned sb = d[28], ab = d[29];
    size_t p = 40;
    uint64_t at = 0;
    while (p + 16 <= n) {
        uint32_t cnt = sc_get_le32(d + p + 8);
        uint64_t bits = (uint64_t)cnt * (sb + ab);
        uint64_t pay = (bits + 7) / 8;
        if (pay > n - p - 16)
            return;
        if (pos)
            sc_put_le64(d + p, at);
        at += cnt;
        uint32_t c = sc_crc32(0, d + p, 12);
        sc_put_le32(d + p + 12, sc_crc32(c, d + p + 16, (size_t)pay));
        p += 16 + (size_t)pay;
    }
}

#ifdef SC_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
/* Define FUZZ_FIXUP(data, size, seed) before including to get the mutator. */
#ifdef FUZZ_FIXUP
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 8 != 0)
        FUZZ_FIXUP(data, size, seed);
    return size;
}
#endif
#endif

#endif
