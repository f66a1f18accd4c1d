/* Tensors and reference-counted storage (see sc/tensor.h). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc/tensor.h"

static const struct {
    const char *name;
    size_t size;
} dtype_tab[SC_DTYPE_COUNT] = {
    [SC_F32] = {"float32", 4}, [SC_F16] = {"float16", 2}, [SC_BF16] = {"bfloat16", 2},
    [SC_F64] = {"float64", 8}, [SC_I64] = {"int64", 8},   [SC_I32] = {"int32", 4},
    [SC_BOOL] = {"bool", 1},   [SC_U8] = {"uint8", 1},    [SC_I16] = {"int16", 2},
    [SC_I8] = {"int8", 1},
};

size_t sc_dtype_size(sc_dtype t)
{
    return (unsigned)t < SC_DTYPE_COUNT ? dtype_tab[t].size : 0;
}

const char *sc_dtype_name(sc_dtype t)
{
    return (unsigned)t < SC_DTYPE_COUNT ? dtype_tab[t].name : "invalid";
}

int sc_dtype_from_name(const char *name, sc_dtype *out)
{
    static const struct {
        const char *alias;
        sc_dtype t;
    } alias[] = {
        {"float", SC_F32},    {"half", SC_F16},   {"double", SC_F64}, {"long", SC_I64},
        {"int", SC_I32},      {"short", SC_I16},  {"char", SC_I8},    {"byte", SC_U8},
        {"f32", SC_F32},      {"f16", SC_F16},    {"bf16", SC_BF16},  {"f64", SC_F64},
        {"i64", SC_I64},      {"i32", SC_I32},    {"u8", SC_U8},
    };
    const char *n = name;
    if (!strncmp(n, "torch.", 6))
        n += 6;
    for (int i = 0; i < SC_DTYPE_COUNT; i++)
        if (!strcmp(n, dtype_tab[i].name)) {
            *out = (sc_dtype)i;
            return SC_OK;
        }
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(n, alias[i].alias)) {
            *out = alias[i].t;
            return SC_OK;
        }
    return SC_EUNSUPPORTED;
}

int64_t sc_tensor_numel(const sc_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

int sc_tensor_is_contiguous(const sc_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s)
            return 0;
        s *= t->shape[i];
    }
    return 1;
}

char *sc_shape_str(const int64_t *shape, int ndim, char *buf, size_t n)
{
    if (ndim == 0) {
        snprintf(buf, n, "scalar");
        return buf;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndim && len < n; i++)
        len += snprintf(buf + len, n - len, i ? "x%lld" : "%lld", (long long)shape[i]);
    return buf;
}

void sc_tensor_set_contiguous(sc_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i];
    }
}

static void heap_release(sc_storage *s)
{
    free(s->base);
    free(s);
}

sc_storage *sc_storage_new_heap(size_t nbytes)
{
    sc_storage *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* 64-byte alignment suits every SIMD width sc uses. */
    size_t rounded = (nbytes + 63) & ~(size_t)63;
    if (rounded < nbytes || posix_memalign(&s->base, 64, rounded ? rounded : 64)) {
        free(s);
        return NULL;
    }
    memset(s->base, 0, rounded ? rounded : 64);
    s->nbytes = nbytes;
    s->refcount = 1;
    s->release = heap_release;
    return s;
}

void sc_storage_retain(sc_storage *s)
{
    if (s)
        atomic_fetch_add_explicit((_Atomic int *)&s->refcount, 1, memory_order_relaxed);
}

void sc_storage_release(sc_storage *s)
{
    if (s && atomic_fetch_sub_explicit((_Atomic int *)&s->refcount, 1,
                                       memory_order_acq_rel) == 1)
        s->release(s);
}

int sc_tensor_alloc(sc_tensor *out, sc_dtype dtype, int ndim, const int64_t *shape, sc_err *err)
{
    memset(out, 0, sizeof *out);
    if (ndim < 0 || ndim > SC_MAX_DIMS || !sc_dtype_size(dtype))
        return sc_err_set(err, SC_EARG, "tensor: bad dtype or rank %d", ndim);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] && n > SIZE_MAX / 8 / (size_t)shape[i]))
            return sc_err_set(err, SC_ERANGE, "tensor: shape out of range");
        n *= (size_t)shape[i];
    }
    out->storage = sc_storage_new_heap(n * sc_dtype_size(dtype));
    if (!out->storage)
        return sc_err_set(err, SC_ENOMEM, "tensor: cannot allocate %zu bytes",
                          n * sc_dtype_size(dtype));
    out->dtype = dtype;
    out->ndim = ndim;
    if (ndim)
        memcpy(out->shape, shape, sizeof(int64_t) * ndim);
    sc_tensor_set_contiguous(out);
    out->data = out->storage->base;
    return SC_OK;
}

void sc_tensor_wrap(sc_tensor *out, sc_dtype dtype, int ndim, const int64_t *shape, void *data)
{
    memset(out, 0, sizeof *out);
    out->dtype = dtype;
    out->ndim = ndim;
    if (ndim)
        memcpy(out->shape, shape, sizeof(int64_t) * ndim);
    sc_tensor_set_contiguous(out);
    out->data = data;
}

void sc_tensor_release(sc_tensor *t)
{
    if (!t)
        return;
    sc_storage_release(t->storage);
    memset(t, 0, sizeof *t);
}

void sc_tensor_retain(sc_tensor *dst, const sc_tensor *src)
{
    *dst = *src;
    sc_storage_retain(dst->storage);
}

float sc_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0x1f)
        u = sign | 0x7f800000u | (man << 13);
    else if (exp)
        u = sign | ((exp + 112) << 23) | (man << 13);
    else if (man) {
        /* subnormal: normalise */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        u = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    } else
        u = sign;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float sc_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t sc_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);  /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1);           /* round to nearest even */
    return (uint16_t)(u >> 16);
}

uint16_t sc_f32_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000, a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00);
    if (a >= 0x477ff000u)                     /* overflows to inf after rounding */
        return (uint16_t)(sign | 0x7c00);
    if (a < 0x38800000u) {                    /* subnormal or zero in f16 */
        if (a < 0x33000000u)
            return (uint16_t)sign;
        uint32_t man = (a & 0x7fffff) | 0x800000;
        int shift = 126 - (int)(a >> 23);     /* 14..24 */
        uint32_t r = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((a >> 13) - (112u << 10));
    uint32_t rem = a & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
        r++;
    return (uint16_t)(sign | r);
}

static double load_elem(const void *p, sc_dtype t)
{
    switch (t) {
    case SC_F32: { float v; memcpy(&v, p, 4); return v; }
    case SC_F64: { double v; memcpy(&v, p, 8); return v; }
    case SC_F16: { uint16_t v; memcpy(&v, p, 2); return sc_f16_to_f32(v); }
    case SC_BF16: { uint16_t v; memcpy(&v, p, 2); return sc_bf16_to_f32(v); }
    case SC_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case SC_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case SC_I16: { int16_t v; memcpy(&v, p, 2); return v; }
    case SC_I8: return *(const int8_t *)p;
    case SC_BOOL: return *(const uint8_t *)p != 0;
    case SC_U8: return *(const uint8_t *)p;
    default: return NAN;
    }
}

double sc_tensor_get(const sc_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++)
        off += idx[i] * t->stride[i];
    return load_elem((const char *)t->data + off * (int64_t)sc_dtype_size(t->dtype), t->dtype);
}

int sc_tensor_to_f32(const sc_tensor *t, float *dst, sc_err *err)
{
    int64_t n = sc_tensor_numel(t);
    if (n == 0)
        return SC_OK;
    if (!sc_dtype_size(t->dtype))
        return sc_err_set(err, SC_EUNSUPPORTED, "tensor: bad dtype");
    if (t->dtype == SC_F32 && sc_tensor_is_contiguous(t)) {
        memcpy(dst, t->data, (size_t)n * 4);
        return SC_OK;
    }
    int64_t idx[SC_MAX_DIMS] = {0};
    size_t es = sc_dtype_size(t->dtype);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int d = 0; d < t->ndim; d++)
            off += idx[d] * t->stride[d];
        dst[i] = (float)load_elem((const char *)t->data + off * (int64_t)es, t->dtype);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
    }
    return SC_OK;
}
