/* The data.pkl of a torch.save'd state dict, byte for byte as Python 3's
 * pickler writes it with protocol 2 under torch 1.13 (compare the kit's
 * loader/plain_zip.ckpt):
 *
 *   PROTO 2, GLOBAL collections.OrderedDict, (), REDUCE,
 *   then batches of at most 1000 items (MARK key value ... SETITEMS, or
 *   key value SETITEM for a batch of one), STOP;
 *   a value is GLOBAL torch._utils._rebuild_tensor_v2 applied to
 *   (persistent_id(('storage', torch.<T>Storage, '<n>', 'cpu', numel)),
 *    storage_offset, size, stride, False, collections.OrderedDict()).
 *
 * Python memoises every object it saves except ints, None, booleans and
 * the empty tuple; the same object seen again is a BINGET.  Shared objects
 * here are the two globals, the storage classes and the interned strings
 * 'storage' and 'cpu'.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "synth_internal.h"

void sci_buf_put(sci_buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

void sci_buf_free(sci_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

int64_t sci_item_numel(const sc_ckpt_item *it)
{
    int64_t n = 1;
    for (int d = 0; d < it->ndim; d++) {
        if (it->shape[d] < 0)
            return -1;
        if (it->shape[d] && n > INT64_MAX / it->shape[d])
            return -1;
        n *= it->shape[d];
    }
    return n;
}

typedef struct pk {
    sci_buf *b;
    uint32_t memo;            /* next memo index */
    int64_t g_odict, g_rebuild, s_storage, s_cpu;
    int64_t g_type[SC_DTYPE_COUNT];
} pk;

static void op(pk *k, unsigned char c)
{
    sci_buf_put(k->b, &c, 1);
}

static void u32le(pk *k, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    sci_buf_put(k->b, b, 4);
}

static int64_t memoize(pk *k)
{
    uint32_t i = k->memo++;
    if (i < 256) {
        op(k, 'q');
        op(k, (unsigned char)i);
    } else {
        op(k, 'r');
        u32le(k, i);
    }
    return i;
}

static void get(pk *k, int64_t i)
{
    if (i < 256) {
        op(k, 'h');
        op(k, (unsigned char)i);
    } else {
        op(k, 'j');
        u32le(k, (uint32_t)i);
    }
}

static void global(pk *k, const char *module, const char *name, int64_t *slot)
{
    if (*slot >= 0) {
        get(k, *slot);
        return;
    }
    op(k, 'c');
    sci_buf_put(k->b, module, strlen(module));
    op(k, '\n');
    sci_buf_put(k->b, name, strlen(name));
    op(k, '\n');
    *slot = memoize(k);
}

static void str(pk *k, const char *s, int64_t *slot)
{
    if (slot && *slot >= 0) {
        get(k, *slot);
        return;
    }
    size_t n = strlen(s);
    op(k, 'X');
    u32le(k, (uint32_t)n);
    sci_buf_put(k->b, s, n);
    int64_t i = memoize(k);
    if (slot)
        *slot = i;
}

static void integer(pk *k, int64_t v)
{
    if (v >= 0 && v <= 0xff) {
        op(k, 'K');
        op(k, (unsigned char)v);
    } else if (v >= 0 && v <= 0xffff) {
        op(k, 'M');
        op(k, (unsigned char)v);
        op(k, (unsigned char)(v >> 8));
    } else if (v >= -0x80000000LL && v <= 0x7fffffffLL) {
        op(k, 'J');
        u32le(k, (uint32_t)(int32_t)v);
    } else {
        /* LONG1: minimal little-endian two's complement, as encode_long */
        unsigned char b[9];
        int n = 0;
        uint64_t u = (uint64_t)v;
        for (n = 1; n <= 8; n++) {
            int64_t lo = -(1LL << (8 * n - 1));
            int64_t hi = n == 8 ? INT64_MAX : (1LL << (8 * n - 1)) - 1;
            if (v >= lo && v <= hi)
                break;
        }
        for (int i = 0; i < n; i++)
            b[i] = (unsigned char)(u >> (8 * i));
        op(k, 0x8a);
        op(k, (unsigned char)n);
        sci_buf_put(k->b, b, (size_t)n);
    }
}

static void int_tuple(pk *k, const int64_t *v, int n)
{
    if (n == 0) {
        op(k, ')');
        return;
    }
    if (n > 3)
        op(k, '(');
    for (int i = 0; i < n; i++)
        integer(k, v[i]);
    op(k, n == 1 ? 0x85 : n == 2 ? 0x86 : n == 3 ? 0x87 : 't');
    memoize(k);
}

static const char *storage_class(sc_dtype t)
{
    switch (t) {
    case SC_F32: return "FloatStorage";
    case SC_F16: return "HalfStorage";
    case SC_BF16: return "BFloat16Storage";
    case SC_F64: return "DoubleStorage";
    case SC_I64: return "LongStorage";
    case SC_I32: return "IntStorage";
    case SC_BOOL: return "BoolStorage";
    case SC_U8: return "ByteStorage";
    case SC_I16: return "ShortStorage";
    case SC_I8: return "CharStorage";
    default: return NULL;
    }
}

static int tensor(pk *k, const sc_ckpt_item *it, int64_t index, sc_err *err)
{
    const char *cls = storage_class(it->dtype);
    int64_t numel = sci_item_numel(it);
    if (!cls || it->ndim < 0 || it->ndim > SC_MAX_DIMS || numel < 0)
        return sc_err_set(err, SC_EARG, "%s: cannot write dtype %d, %d dims", it->key,
                          (int)it->dtype, it->ndim);
    int64_t stride[SC_MAX_DIMS];
    int64_t s = 1;
    for (int d = it->ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= it->shape[d] > 1 ? it->shape[d] : 1;
    }
    char name[24];
    snprintf(name, sizeof(name), "%lld", (long long)index);

    global(k, "torch._utils", "_rebuild_tensor_v2", &k->g_rebuild);
    op(k, '(');
    op(k, '(');                                /* persistent id tuple */
    str(k, "storage", &k->s_storage);
    global(k, "torch", cls, &k->g_type[it->dtype]);
    str(k, name, NULL);
    str(k, "cpu", &k->s_cpu);
    integer(k, numel);
    op(k, 't');
    memoize(k);
    op(k, 'Q');                                /* BINPERSID */
    integer(k, 0);                             /* storage offset */
    int_tuple(k, it->shape, it->ndim);
    int_tuple(k, stride, it->ndim);
    op(k, 0x89);                               /* requires_grad False */
    global(k, "collections", "OrderedDict", &k->g_odict);
    op(k, ')');
    op(k, 'R');
    memoize(k);                                /* the hooks OrderedDict */
    op(k, 't');
    memoize(k);                                /* the args tuple */
    op(k, 'R');
    memoize(k);                                /* the tensor */
    return SC_OK;
}

int sci_pickle_state_dict(sci_buf *out, const sc_ckpt_item *items, int64_t n, sc_err *err)
{
    pk k = { .b = out, .g_odict = -1, .g_rebuild = -1, .s_storage = -1, .s_cpu = -1 };
    for (int i = 0; i < SC_DTYPE_COUNT; i++)
        k.g_type[i] = -1;
    op(&k, 0x80);
    op(&k, 2);
    global(&k, "collections", "OrderedDict", &k.g_odict);
    op(&k, ')');
    op(&k, 'R');
    memoize(&k);
    for (int64_t b = 0; b < n; b += 1000) {
        int64_t e = b + 1000 < n ? b + 1000 : n;
        if (e - b > 1)
            op(&k, '(');
        for (int64_t i = b; i < e; i++) {
            str(&k, items[i].key, NULL);
            int rc = tensor(&k, &items[i], i, err);
            if (rc < 0)
                return rc;
        }
        op(&k, e - b > 1 ? 'u' : 's');
    }
    op(&k, '.');
    if (out->oom)
        return sc_err_set(err, SC_ENOMEM, "out of memory building data.pkl");
    return SC_OK;
}
