/* libsc/weights/pickle.c - restricted pickle VM (see pickle.h).
 *
 * The machine mirrors CPython's _pickle.c Unpickler closely enough that
 * any stream torch.save writes is read the same way, but it only knows
 * data: containers, scalars, strings and the handful of torch callables a
 * state dict needs.  Objects live in chunks owned by the VM and are freed
 * all at once, so shared (memoised) and even cyclic references are cheap
 * and safe.  Every allocation is charged to a budget.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle.h"

#define PK_MAX_MARKS PK_MAX_DEPTH
#define PK_CHUNK 256

typedef struct pk_chunk {
    struct pk_chunk *next;
    size_t used;
    pk_obj objs[PK_CHUNK];
} pk_chunk;

typedef struct pk_memo_slot {
    uint64_t key;       /* index + 1; 0 = empty */
    pk_obj *val;
} pk_memo_slot;

struct sci_pk {
    char *name;
    size_t budget, spent;
    pk_chunk *chunks;
    /* per run */
    pk_obj **stack;
    size_t sp, scap;
    size_t marks[PK_MAX_MARKS];
    size_t nmarks;
    pk_memo_slot *memo;
    size_t memo_mask, memo_count;
    /* for messages */
    const unsigned char *base;
    size_t op_off;
};

/* ---- memory --------------------------------------------------------- */

static int oom(sci_pk *vm, sc_err *err)
{
    return sc_err_set(err, SC_ENOMEM,
                      "%s: pickle needs more than %zu MiB of memory (memory bomb?)", vm->name,
                      vm->budget >> 20);
}

static int charge(sci_pk *vm, size_t n, sc_err *err)
{
    if (n > vm->budget - vm->spent)
        return oom(vm, err);
    vm->spent += n;
    return SC_OK;
}

static pk_obj *new_obj(sci_pk *vm, pk_type t, sc_err *err)
{
    pk_chunk *c = vm->chunks;
    if (!c || c->used == PK_CHUNK) {
        if (charge(vm, sizeof *c, err) < 0)
            return NULL;
        c = (pk_chunk *)malloc(sizeof *c);
        if (!c) {
            oom(vm, err);
            return NULL;
        }
        c->used = 0;
        c->next = vm->chunks;
        vm->chunks = c;
    }
    pk_obj *o = &c->objs[c->used++];
    memset(o, 0, sizeof *o);
    o->type = t;
    o->depth = 1;
    return o;
}

/* Grow an array of pointers to hold at least want entries. */
static int grow(sci_pk *vm, pk_obj ***arr, size_t *cap, size_t want, sc_err *err)
{
    if (want <= *cap)
        return SC_OK;
    size_t nc = *cap ? *cap : 4;
    while (nc < want) {
        if (nc > SIZE_MAX / 2 / sizeof(pk_obj *))
            return oom(vm, err);
        nc *= 2;
    }
    if (charge(vm, (nc - *cap) * sizeof(pk_obj *), err) < 0)
        return SC_ENOMEM;
    pk_obj **p = (pk_obj **)realloc(*arr, nc * sizeof(pk_obj *));
    if (!p)
        return oom(vm, err);
    *arr = p;
    *cap = nc;
    return SC_OK;
}

sci_pk *sci_pk_new(const char *name, size_t mem_limit)
{
    sci_pk *vm = (sci_pk *)calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    vm->name = strdup(name ? name : "(pickle)");
    if (!vm->name) {
        free(vm);
        return NULL;
    }
    vm->budget = mem_limit;
    return vm;
}

void sci_pk_free(sci_pk *vm)
{
    if (!vm)
        return;
    pk_chunk *c = vm->chunks;
    while (c) {
        for (size_t i = 0; i < c->used; i++) {
            pk_obj *o = &c->objs[i];
            switch (o->type) {
            case PK_TUPLE: case PK_LIST: case PK_SET: free(o->u.seq.items); break;
            case PK_DICT: free(o->u.dict.kv); break;
            case PK_TENSOR: free(o->u.tensor); break;
            default: break;
            }
        }
        pk_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(vm->stack);
    free(vm->memo);
    free(vm->name);
    free(vm);
}

const char *sci_pk_type_name(pk_type t)
{
    static const char *const names[] = {
        "None", "bool", "int", "int", "float", "str", "bytes", "tuple", "list", "set",
        "dict", "global", "storage", "tensor"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

pk_obj *sci_pk_dict_get(const pk_obj *d, const char *key)
{
    if (!d || d->type != PK_DICT)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < d->u.dict.n; i++) {
        const pk_obj *k = d->u.dict.kv[2 * i];
        if (k->type == PK_STR && k->u.str.len == n && memcmp(k->u.str.s, key, n) == 0)
            return d->u.dict.kv[2 * i + 1];
    }
    return NULL;
}

/* ---- errors --------------------------------------------------------- */

static int fail(sci_pk *vm, sc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(sci_pk *vm, sc_err *err, int code, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sc_err_set(err, code, "%s: offset %zu: %s", vm->name, vm->op_off, msg);
}

static void printable(char *buf, size_t n, const char *s, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 4 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > j && j + 4 >= n) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = 0;
}

static const char *opname(int op)
{
    switch (op) {
    case 'P': return "PERSID";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x92: return "NEWOBJ_EX";
    case 0x97: return "NEXT_BUFFER";
    default: return "?";
    }
}

/* ---- stack, marks, memo ------------------------------------------ */

static int push(sci_pk *vm, pk_obj *o, sc_err *err)
{
    if (vm->sp == vm->scap && grow(vm, &vm->stack, &vm->scap, vm->sp + 1, err) < 0)
        return SC_ENOMEM;
    vm->stack[vm->sp++] = o;
    return SC_OK;
}

static int need(sci_pk *vm, size_t n, sc_err *err)
{
    size_t floor = vm->nmarks ? vm->marks[vm->nmarks - 1] : 0;
    if (vm->sp - floor < n)
        return fail(vm, err, SC_EFORMAT, "stack underflow");
    return SC_OK;
}

static pk_obj *pop(sci_pk *vm)
{
    return vm->stack[--vm->sp];
}

/* Start index of the items above the topmost mark; pops the mark. */
static int pop_mark(sci_pk *vm, size_t *start, sc_err *err)
{
    if (!vm->nmarks)
        return fail(vm, err, SC_EFORMAT, "no MARK on the stack");
    *start = vm->marks[--vm->nmarks];
    return SC_OK;
}

static int memo_put(sci_pk *vm, uint64_t idx, pk_obj *o, sc_err *err)
{
    if (idx >= UINT32_MAX)
        return fail(vm, err, SC_ERANGE, "memo index %llu out of range", (unsigned long long)idx);
    if (!vm->memo || 2 * (vm->memo_count + 1) > vm->memo_mask + 1) {
        size_t ncap = vm->memo ? 2 * (vm->memo_mask + 1) : 64;
        if (charge(vm, ncap * sizeof(pk_memo_slot), err) < 0)
            return SC_ENOMEM;
        pk_memo_slot *m = (pk_memo_slot *)calloc(ncap, sizeof *m);
        if (!m)
            return oom(vm, err);
        for (size_t i = 0; vm->memo && i <= vm->memo_mask; i++) {
            if (!vm->memo[i].key)
                continue;
            size_t j = (size_t)(vm->memo[i].key * 0x9E3779B97F4A7C15ull >> 20) & (ncap - 1);
            while (m[j].key)
                j = (j + 1) & (ncap - 1);
            m[j] = vm->memo[i];
        }
        free(vm->memo);
        vm->memo = m;
        vm->memo_mask = ncap - 1;
    }
    uint64_t key = idx + 1;
    size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & vm->memo_mask;
    while (vm->memo[j].key && vm->memo[j].key != key)
        j = (j + 1) & vm->memo_mask;
    if (!vm->memo[j].key) {
        vm->memo[j].key = key;
        vm->memo_count++;
    }
    vm->memo[j].val = o;
    return SC_OK;
}

static int memo_get(sci_pk *vm, uint64_t idx, sc_err *err)
{
    if (vm->memo && idx < UINT32_MAX) {
        uint64_t key = idx + 1;
        size_t j = (size_t)(key * 0x9E3779B97F4A7C15ull >> 20) & vm->memo_mask;
        while (vm->memo[j].key) {
            if (vm->memo[j].key == key)
                return push(vm, vm->memo[j].val, err);
            j = (j + 1) & vm->memo_mask;
        }
    }
    return fail(vm, err, SC_EFORMAT, "memo entry %llu not defined", (unsigned long long)idx);
}

/* ---- containers ----------------------------------------------------- */

static int deepen(sci_pk *vm, pk_obj *parent, const pk_obj *child, sc_err *err)
{
    if (child->depth + 1 > parent->depth) {
        parent->depth = child->depth + 1;
        if (parent->depth > PK_MAX_DEPTH)
            return fail(vm, err, SC_ERANGE, "objects nested deeper than %d levels", PK_MAX_DEPTH);
    }
    return SC_OK;
}

static int seq_append(sci_pk *vm, pk_obj *s, pk_obj *item, sc_err *err)
{
    if (grow(vm, &s->u.seq.items, &s->u.seq.cap, s->u.seq.n + 1, err) < 0)
        return SC_ENOMEM;
    s->u.seq.items[s->u.seq.n++] = item;
    return deepen(vm, s, item, err);
}

static int dict_set(sci_pk *vm, pk_obj *d, pk_obj *k, pk_obj *v, sc_err *err)
{
    if (grow(vm, &d->u.dict.kv, &d->u.dict.cap, 2 * d->u.dict.n + 2, err) < 0)
        return SC_ENOMEM;
    d->u.dict.kv[2 * d->u.dict.n] = k;
    d->u.dict.kv[2 * d->u.dict.n + 1] = v;
    d->u.dict.n++;
    int rc = deepen(vm, d, k, err);
    return rc < 0 ? rc : deepen(vm, d, v, err);
}

/* A tuple/list/set of the stack items from start to the top (popped). */
static int collect(sci_pk *vm, pk_type t, size_t start, sc_err *err)
{
    pk_obj *o = new_obj(vm, t, err);
    if (!o)
        return SC_ENOMEM;
    size_t n = vm->sp - start;
    if (grow(vm, &o->u.seq.items, &o->u.seq.cap, n, err) < 0)
        return SC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        o->u.seq.items[i] = vm->stack[start + i];
        int rc = deepen(vm, o, o->u.seq.items[i], err);
        if (rc < 0)
            return rc;
    }
    o->u.seq.n = n;
    vm->sp = start;
    return push(vm, o, err);
}

static int add_items(sci_pk *vm, pk_obj *target, size_t start, sc_err *err)
{
    for (size_t i = start; i < vm->sp; i++) {
        int rc = seq_append(vm, target, vm->stack[i], err);
        if (rc < 0)
            return rc;
    }
    vm->sp = start;
    return SC_OK;
}

static int set_items(sci_pk *vm, pk_obj *d, size_t start, sc_err *err)
{
    if ((vm->sp - start) % 2)
        return fail(vm, err, SC_EFORMAT, "odd number of items for SETITEMS");
    for (size_t i = start; i < vm->sp; i += 2) {
        int rc = dict_set(vm, d, vm->stack[i], vm->stack[i + 1], err);
        if (rc < 0)
            return rc;
    }
    vm->sp = start;
    return SC_OK;
}

/* ---- globals -------------------------------------------------------- */

static const struct {
    const char *name;
    sc_dtype dtype;
} storage_types[] = {
    {"FloatStorage", SC_F32}, {"HalfStorage", SC_F16},   {"BFloat16Storage", SC_BF16},
    {"DoubleStorage", SC_F64}, {"LongStorage", SC_I64},  {"IntStorage", SC_I32},
    {"ShortStorage", SC_I16},  {"CharStorage", SC_I8},   {"ByteStorage", SC_U8},
    {"BoolStorage", SC_BOOL},
};

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int resolve_global(sci_pk *vm, const char *mod, size_t ml, const char *name, size_t nl,
                          sc_err *err)
{
    pk_obj *o = new_obj(vm, PK_GLOBAL, err);
    if (!o)
        return SC_ENOMEM;
    if (eq(mod, ml, "collections") && eq(name, nl, "OrderedDict")) {
        o->u.glob.g = PK_G_ORDEREDDICT;
    } else if (eq(mod, ml, "torch._utils") && eq(name, nl, "_rebuild_tensor_v2")) {
        o->u.glob.g = PK_G_REBUILD_TENSOR_V2;
    } else if (eq(mod, ml, "torch._utils") && eq(name, nl, "_rebuild_parameter")) {
        o->u.glob.g = PK_G_REBUILD_PARAMETER;
    } else if (eq(mod, ml, "torch._utils") && eq(name, nl, "_rebuild_parameter_with_state")) {
        o->u.glob.g = PK_G_REBUILD_PARAMETER_WITH_STATE;
    } else {
        int found = 0;
        if (eq(mod, ml, "torch")) {
            for (size_t i = 0; i < sizeof storage_types / sizeof storage_types[0]; i++) {
                if (eq(name, nl, storage_types[i].name)) {
                    o->u.glob.g = PK_G_STORAGE_TYPE;
                    o->u.glob.dtype = storage_types[i].dtype;
                    found = 1;
                }
            }
        }
        if (!found) {
            char m[120], n[120];
            printable(m, sizeof m, mod, ml);
            printable(n, sizeof n, name, nl);
            if (eq(mod, ml, "torch.storage") && eq(name, nl, "_load_from_bytes"))
                return fail(vm, err, SC_ESECURITY,
                            "refusing global 'torch.storage._load_from_bytes' (it would "
                            "unpickle nested bytes without restrictions)");
            if (eq(mod, ml, "torch") && nl > 7 && eq(name + nl - 7, 7, "Storage"))
                return fail(vm, err, SC_EUNSUPPORTED, "unsupported storage type 'torch.%s'", n);
            return fail(vm, err, SC_ESECURITY, "refusing global '%s.%s' (not a tensor or "
                        "container type a checkpoint needs)", m, n);
        }
    }
    return push(vm, o, err);
}

/* ---- REDUCE ---------------------------------------------------------- */

static int int_tuple(const pk_obj *o, int64_t *out, int *n)
{
    if (o->type != PK_TUPLE && o->type != PK_LIST)
        return -1;
    if (o->u.seq.n > SC_MAX_DIMS)
        return -2;
    for (size_t i = 0; i < o->u.seq.n; i++) {
        const pk_obj *v = o->u.seq.items[i];
        if (v->type != PK_INT)
            return -1;
        out[i] = v->u.i;
    }
    *n = (int)o->u.seq.n;
    return 0;
}

static int rebuild_tensor(sci_pk *vm, pk_obj **a, size_t n, pk_obj **out, sc_err *err)
{
    if (n != 6 && n != 7)
        return fail(vm, err, SC_EFORMAT, "_rebuild_tensor_v2 takes 6 or 7 arguments, got %zu", n);
    if (a[0]->type != PK_STORAGE)
        return fail(vm, err, SC_EFORMAT, "_rebuild_tensor_v2: argument 1 is a %s, expected a storage",
                    sci_pk_type_name(a[0]->type));
    if (a[1]->type != PK_INT)
        return fail(vm, err, SC_EFORMAT, "_rebuild_tensor_v2: storage offset is a %s",
                    sci_pk_type_name(a[1]->type));
    pk_tensor *t = (pk_tensor *)calloc(1, sizeof *t);
    if (!t || charge(vm, sizeof *t, err) < 0) {
        free(t);
        return oom(vm, err);
    }
    int ns = 0, nst = 0, r1 = int_tuple(a[2], t->shape, &ns), r2 = 0;
    if (r1 == 0)
        r2 = int_tuple(a[3], t->stride, &nst);
    if (r1 == -2 || r2 == -2) {
        free(t);
        return fail(vm, err, SC_EUNSUPPORTED, "tensor has more than %d dimensions", SC_MAX_DIMS);
    }
    if (r1 < 0 || r2 < 0 || ns != nst) {
        free(t);
        return fail(vm, err, SC_EFORMAT,
                    "_rebuild_tensor_v2: size and stride must be int tuples of equal length");
    }
    t->storage = a[0];
    t->offset = a[1]->u.i;
    t->ndim = ns;
    pk_obj *o = new_obj(vm, PK_TENSOR, err);
    if (!o) {
        free(t);
        return SC_ENOMEM;
    }
    o->u.tensor = t;
    *out = o;
    return SC_OK;
}

static int reduce(sci_pk *vm, pk_obj *fn, pk_obj *args, pk_obj **out, sc_err *err)
{
    if (fn->type != PK_GLOBAL)
        return fail(vm, err, SC_EFORMAT, "REDUCE on a %s, not a callable", sci_pk_type_name(fn->type));
    if (args->type != PK_TUPLE)
        return fail(vm, err, SC_EFORMAT, "REDUCE arguments are a %s, not a tuple",
                    sci_pk_type_name(args->type));
    pk_obj **a = args->u.seq.items;
    size_t n = args->u.seq.n;
    switch (fn->u.glob.g) {
    case PK_G_ORDEREDDICT: {
        pk_obj *d = new_obj(vm, PK_DICT, err);
        if (!d)
            return SC_ENOMEM;
        d->u.dict.ordered = 1;
        if (n == 1 && (a[0]->type == PK_LIST || a[0]->type == PK_TUPLE)) {
            for (size_t i = 0; i < a[0]->u.seq.n; i++) {
                pk_obj *p = a[0]->u.seq.items[i];
                if ((p->type != PK_TUPLE && p->type != PK_LIST) || p->u.seq.n != 2)
                    return fail(vm, err, SC_EFORMAT, "OrderedDict item %zu is not a pair", i);
                int rc = dict_set(vm, d, p->u.seq.items[0], p->u.seq.items[1], err);
                if (rc < 0)
                    return rc;
            }
        } else if (n != 0) {
            return fail(vm, err, SC_EFORMAT, "OrderedDict called with %zu arguments", n);
        }
        *out = d;
        return SC_OK;
    }
    case PK_G_REBUILD_TENSOR_V2:
        return rebuild_tensor(vm, a, n, out, err);
    case PK_G_REBUILD_PARAMETER:
    case PK_G_REBUILD_PARAMETER_WITH_STATE: {
        size_t want = fn->u.glob.g == PK_G_REBUILD_PARAMETER ? 3 : 4;
        if (n != want || a[0]->type != PK_TENSOR)
            return fail(vm, err, SC_EFORMAT, "bad arguments to torch._utils.%s",
                        want == 3 ? "_rebuild_parameter" : "_rebuild_parameter_with_state");
        *out = a[0];
        return SC_OK;
    }
    case PK_G_STORAGE_TYPE:
        return fail(vm, err, SC_EUNSUPPORTED, "a torch storage type cannot be called here");
    }
    return fail(vm, err, SC_EINTERNAL, "unknown global kind");
}

/* ---- reading operands ------------------------------------------------ */

typedef struct rd {
    const unsigned char *p, *end;
} rd;

static int take(sci_pk *vm, rd *r, size_t n, const unsigned char **out, sc_err *err)
{
    if ((size_t)(r->end - r->p) < n)
        return fail(vm, err, SC_EFORMAT, "pickle truncated (operand needs %zu bytes, %zu left)", n,
                    (size_t)(r->end - r->p));
    *out = r->p;
    r->p += n;
    return SC_OK;
}

/* A text operand up to '\n' (at most max bytes, newline excluded). */
static int line(sci_pk *vm, rd *r, size_t max, const char **s, size_t *len, sc_err *err)
{
    size_t left = (size_t)(r->end - r->p);
    size_t lim = left < max + 1 ? left : max + 1;
    const unsigned char *nl = (const unsigned char *)memchr(r->p, '\n', lim);
    if (!nl)
        return fail(vm, err, SC_EFORMAT, left < max + 1 ? "pickle truncated (unterminated line)"
                                                          : "text operand too long");
    *s = (const char *)r->p;
    *len = (size_t)(nl - r->p);
    r->p = nl + 1;
    return SC_OK;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int parse_dec(const char *s, size_t n, int64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    size_t i = buf[0] == '-' || buf[0] == '+';
    if (!buf[i])
        return -1;
    for (size_t j = i; buf[j]; j++)
        if (buf[j] < '0' || buf[j] > '9')
            return -1;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

static int push_int(sci_pk *vm, int64_t v, sc_err *err)
{
    pk_obj *o = new_obj(vm, PK_INT, err);
    if (!o)
        return SC_ENOMEM;
    o->u.i = v;
    return push(vm, o, err);
}

static int push_bytes(sci_pk *vm, pk_type t, const unsigned char *s, size_t n, sc_err *err)
{
    pk_obj *o = new_obj(vm, t, err);
    if (!o)
        return SC_ENOMEM;
    o->u.str.s = (const char *)s;
    o->u.str.len = n;
    return push(vm, o, err);
}

/* LONG1/LONG4: little-endian two's complement of n bytes. */
static int push_long(sci_pk *vm, const unsigned char *p, size_t n, sc_err *err)
{
    if (n <= 8) {
        uint64_t v = n ? le(p, (int)n) : 0;
        if (n && n < 8 && (p[n - 1] & 0x80))
            v |= ~(uint64_t)0 << (8 * n);
        return push_int(vm, (int64_t)v, err);
    }
    return push_bytes(vm, PK_BIGINT, p, n, err);
}

/* ---- the machine ------------------------------------------------------ */

int sci_pk_run(sci_pk *vm, const unsigned char *data, size_t size, size_t *used,
               pk_obj **result, sci_pk_persistent_fn persistent, void *ctx, sc_err *err)
{
    rd r = {data, data + size};
    vm->base = data;
    vm->sp = 0;
    vm->nmarks = 0;
    free(vm->memo);
    vm->memo = NULL;
    vm->memo_mask = vm->memo_count = 0;
    int rc = SC_OK;

#define CK(x) do { if ((rc = (x)) < 0) return rc; } while (0)
#define NEED(n) CK(need(vm, (n), err))

    for (;;) {
        const unsigned char *q = NULL;
        vm->op_off = (size_t)(r.p - data);
        if (r.p >= r.end)
            return fail(vm, err, SC_EFORMAT, "pickle truncated (no STOP opcode)");
        int op = *r.p++;
        switch (op) {
        case 0x80: /* PROTO */
            CK(take(vm, &r, 1, &q, err));
            if (q[0] > 5)
                return fail(vm, err, SC_EUNSUPPORTED, "pickle protocol %d is not supported", q[0]);
            break;
        case 0x95: /* FRAME: a length hint only */
            CK(take(vm, &r, 8, &q, err));
            if (le(q, 8) > (uint64_t)(r.end - r.p))
                return fail(vm, err, SC_EFORMAT, "FRAME longer than the pickle");
            break;
        case '.': /* STOP */
            NEED(1);
            *result = pop(vm);
            *used = (size_t)(r.p - data);
            return SC_OK;

        /* stack manipulation */
        case '(': /* MARK */
            if (vm->nmarks == PK_MAX_MARKS)
                return fail(vm, err, SC_ERANGE, "MARKs nested deeper than %d", PK_MAX_MARKS);
            vm->marks[vm->nmarks++] = vm->sp;
            break;
        case '0': /* POP */
            if (vm->nmarks && vm->marks[vm->nmarks - 1] == vm->sp)
                vm->nmarks--;   /* CPython pops a mark here */
            else {
                NEED(1);
                vm->sp--;
            }
            break;
        case '1': { /* POP_MARK */
            size_t s = 0;
            CK(pop_mark(vm, &s, err));
            vm->sp = s;
            break;
        }
        case '2': /* DUP */
            NEED(1);
            CK(push(vm, vm->stack[vm->sp - 1], err));
            break;

        /* memo */
        case 'q': CK(take(vm, &r, 1, &q, err)); NEED(1); CK(memo_put(vm, q[0], vm->stack[vm->sp - 1], err)); break;
        case 'r': CK(take(vm, &r, 4, &q, err)); NEED(1); CK(memo_put(vm, le(q, 4), vm->stack[vm->sp - 1], err)); break;
        case 0x94: NEED(1); CK(memo_put(vm, vm->memo_count, vm->stack[vm->sp - 1], err)); break;
        case 'h': CK(take(vm, &r, 1, &q, err)); CK(memo_get(vm, q[0], err)); break;
        case 'j': CK(take(vm, &r, 4, &q, err)); CK(memo_get(vm, le(q, 4), err)); break;
        case 'p': case 'g': { /* PUT, GET with a decimal line */
            const char *s = NULL;
            size_t n = 0;
            int64_t idx;
            CK(line(vm, &r, 20, &s, &n, err));
            if (parse_dec(s, n, &idx) < 0 || idx < 0)
                return fail(vm, err, SC_EFORMAT, "bad memo index in %s", op == 'p' ? "PUT" : "GET");
            if (op == 'g') {
                CK(memo_get(vm, (uint64_t)idx, err));
            } else {
                NEED(1);
                CK(memo_put(vm, (uint64_t)idx, vm->stack[vm->sp - 1], err));
            }
            break;
        }

        /* scalars */
        case 'N': { pk_obj *o = new_obj(vm, PK_NONE, err); if (!o) return SC_ENOMEM; CK(push(vm, o, err)); break; }
        case 0x88: case 0x89: {
            pk_obj *o = new_obj(vm, PK_BOOL, err);
            if (!o)
                return SC_ENOMEM;
            o->u.b = op == 0x88;
            CK(push(vm, o, err));
            break;
        }
        case 'K': CK(take(vm, &r, 1, &q, err)); CK(push_int(vm, q[0], err)); break;
        case 'M': CK(take(vm, &r, 2, &q, err)); CK(push_int(vm, (int64_t)le(q, 2), err)); break;
        case 'J': CK(take(vm, &r, 4, &q, err)); CK(push_int(vm, (int32_t)(uint32_t)le(q, 4), err)); break;
        case 0x8a: { /* LONG1 */
            CK(take(vm, &r, 1, &q, err));
            size_t n = q[0];
            CK(take(vm, &r, n, &q, err));
            CK(push_long(vm, q, n, err));
            break;
        }
        case 0x8b: { /* LONG4 */
            CK(take(vm, &r, 4, &q, err));
            int32_t n = (int32_t)(uint32_t)le(q, 4);
            if (n < 0)
                return fail(vm, err, SC_EFORMAT, "LONG4 with negative length");
            CK(take(vm, &r, (size_t)n, &q, err));
            CK(push_long(vm, q, (size_t)n, err));
            break;
        }
        case 'I': case 'L': { /* INT, LONG as text */
            const char *s = NULL;
            size_t n = 0;
            int64_t v;
            CK(line(vm, &r, 30, &s, &n, err));
            if (op == 'I' && n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
                pk_obj *o = new_obj(vm, PK_BOOL, err);
                if (!o)
                    return SC_ENOMEM;
                o->u.b = s[1] == '1';
                CK(push(vm, o, err));
                break;
            }
            if (op == 'L' && n && s[n - 1] == 'L')
                n--;
            if (parse_dec(s, n, &v) < 0)
                return fail(vm, err, SC_EFORMAT, "bad or out-of-range integer in %s",
                            op == 'I' ? "INT" : "LONG");
            CK(push_int(vm, v, err));
            break;
        }
        case 'G': { /* BINFLOAT: big-endian double */
            CK(take(vm, &r, 8, &q, err));
            uint64_t bits = 0;
            for (int i = 0; i < 8; i++)
                bits = bits << 8 | q[i];
            pk_obj *o = new_obj(vm, PK_FLOAT, err);
            if (!o)
                return SC_ENOMEM;
            memcpy(&o->u.f, &bits, 8);
            CK(push(vm, o, err));
            break;
        }
        case 'F': { /* FLOAT as text */
            const char *s = NULL;
            size_t n = 0;
            char buf[64], *e;
            CK(line(vm, &r, sizeof buf - 1, &s, &n, err));
            memcpy(buf, s, n);
            buf[n] = 0;
            double v = strtod(buf, &e);
            if (!n || *e)
                return fail(vm, err, SC_EFORMAT, "bad float in FLOAT");
            pk_obj *o = new_obj(vm, PK_FLOAT, err);
            if (!o)
                return SC_ENOMEM;
            o->u.f = v;
            CK(push(vm, o, err));
            break;
        }

        /* strings and bytes (views of the input, never copied) */
        case 'X': case 'T': case 'B': { /* 4-byte length */
            CK(take(vm, &r, 4, &q, err));
            uint64_t n = le(q, 4);
            if (op == 'T' && (n & 0x80000000u))
                return fail(vm, err, SC_EFORMAT, "BINSTRING with negative length");
            CK(take(vm, &r, (size_t)n, &q, err));
            CK(push_bytes(vm, op == 'B' ? PK_BYTES : PK_STR, q, (size_t)n, err));
            break;
        }
        case 0x8c: case 'U': case 'C': { /* 1-byte length */
            CK(take(vm, &r, 1, &q, err));
            size_t n = q[0];
            CK(take(vm, &r, n, &q, err));
            CK(push_bytes(vm, op == 'C' ? PK_BYTES : PK_STR, q, n, err));
            break;
        }
        case 0x8d: case 0x8e: case 0x96: { /* 8-byte length */
            CK(take(vm, &r, 8, &q, err));
            uint64_t n = le(q, 8);
            if (n > (uint64_t)(r.end - r.p))
                return fail(vm, err, SC_EFORMAT, "pickle truncated (string of %llu bytes)",
                            (unsigned long long)n);
            CK(take(vm, &r, (size_t)n, &q, err));
            CK(push_bytes(vm, op == 0x8d ? PK_STR : PK_BYTES, q, (size_t)n, err));
            break;
        }
        case 0x98: /* READONLY_BUFFER: no-op on bytes */
            NEED(1);
            break;

        /* containers */
        case ')': CK(collect(vm, PK_TUPLE, vm->sp, err)); break;
        case 0x85: case 0x86: case 0x87:
            NEED((size_t)(op - 0x84));
            CK(collect(vm, PK_TUPLE, vm->sp - (size_t)(op - 0x84), err));
            break;
        case 't': case 'l': case 0x91: { /* TUPLE, LIST, FROZENSET from mark */
            size_t s = 0;
            CK(pop_mark(vm, &s, err));
            CK(collect(vm, op == 't' ? PK_TUPLE : op == 'l' ? PK_LIST : PK_SET, s, err));
            break;
        }
        case ']': { pk_obj *o = new_obj(vm, PK_LIST, err); if (!o) return SC_ENOMEM; CK(push(vm, o, err)); break; }
        case 0x8f: { pk_obj *o = new_obj(vm, PK_SET, err); if (!o) return SC_ENOMEM; CK(push(vm, o, err)); break; }
        case '}': case 'd': {
            size_t s = vm->sp;
            if (op == 'd')
                CK(pop_mark(vm, &s, err));
            pk_obj *o = new_obj(vm, PK_DICT, err);
            if (!o)
                return SC_ENOMEM;
            CK(set_items(vm, o, s, err));
            CK(push(vm, o, err));
            break;
        }
        case 'a': { /* APPEND */
            NEED(2);
            pk_obj *v = pop(vm), *l = vm->stack[vm->sp - 1];
            if (l->type != PK_LIST)
                return fail(vm, err, SC_EFORMAT, "APPEND to a %s", sci_pk_type_name(l->type));
            CK(seq_append(vm, l, v, err));
            break;
        }
        case 'e': case 0x90: { /* APPENDS, ADDITEMS */
            size_t s = 0;
            CK(pop_mark(vm, &s, err));
            if (s == 0 || (vm->nmarks && vm->marks[vm->nmarks - 1] >= s))
                return fail(vm, err, SC_EFORMAT, "%s without a target", op == 'e' ? "APPENDS" : "ADDITEMS");
            pk_obj *l = vm->stack[s - 1];
            if (l->type != (op == 'e' ? PK_LIST : PK_SET))
                return fail(vm, err, SC_EFORMAT, "%s to a %s", op == 'e' ? "APPENDS" : "ADDITEMS",
                            sci_pk_type_name(l->type));
            CK(add_items(vm, l, s, err));
            break;
        }
        case 's': { /* SETITEM */
            NEED(3);
            pk_obj *v = pop(vm), *k = pop(vm), *d = vm->stack[vm->sp - 1];
            if (d->type != PK_DICT)
                return fail(vm, err, SC_EFORMAT, "SETITEM on a %s", sci_pk_type_name(d->type));
            CK(dict_set(vm, d, k, v, err));
            break;
        }
        case 'u': { /* SETITEMS */
            size_t s = 0;
            CK(pop_mark(vm, &s, err));
            if (s == 0 || (vm->nmarks && vm->marks[vm->nmarks - 1] >= s))
                return fail(vm, err, SC_EFORMAT, "SETITEMS without a target");
            pk_obj *d = vm->stack[s - 1];
            if (d->type != PK_DICT)
                return fail(vm, err, SC_EFORMAT, "SETITEMS on a %s", sci_pk_type_name(d->type));
            CK(set_items(vm, d, s, err));
            break;
        }

        /* the restricted object model */
        case 'c': { /* GLOBAL module\nname\n */
            const char *m = NULL, *n = NULL;
            size_t ml = 0, nl = 0;
            CK(line(vm, &r, 256, &m, &ml, err));
            CK(line(vm, &r, 256, &n, &nl, err));
            CK(resolve_global(vm, m, ml, n, nl, err));
            break;
        }
        case 0x93: { /* STACK_GLOBAL */
            NEED(2);
            pk_obj *n = pop(vm), *m = pop(vm);
            if (m->type != PK_STR || n->type != PK_STR)
                return fail(vm, err, SC_EFORMAT, "STACK_GLOBAL needs two strings");
            CK(resolve_global(vm, m->u.str.s, m->u.str.len, n->u.str.s, n->u.str.len, err));
            break;
        }
        case 'R': { /* REDUCE */
            NEED(2);
            pk_obj *args = pop(vm), *fn = pop(vm), *res = NULL;
            CK(reduce(vm, fn, args, &res, err));
            CK(push(vm, res, err));
            break;
        }
        case 'b': { /* BUILD: attribute state, ignored for dicts and tensors */
            NEED(2);
            pop(vm);
            pk_obj *o = vm->stack[vm->sp - 1];
            if (o->type != PK_DICT && o->type != PK_TENSOR)
                return fail(vm, err, SC_EFORMAT, "BUILD on a %s", sci_pk_type_name(o->type));
            break;
        }
        case 'Q': { /* BINPERSID */
            NEED(1);
            pk_obj *pid = pop(vm);
            int64_t idx;
            sc_dtype dt;
            if (!persistent)
                return fail(vm, err, SC_EFORMAT, "persistent id outside a checkpoint");
            CK(persistent(ctx, pid, &idx, &dt, err));
            pk_obj *o = new_obj(vm, PK_STORAGE, err);
            if (!o)
                return SC_ENOMEM;
            o->u.storage.index = idx;
            o->u.storage.dtype = dt;
            CK(push(vm, o, err));
            break;
        }
        case 'i': { /* INST module\nname\n: an import, then a call */
            const char *m = NULL, *n = NULL;
            size_t ml = 0, nl = 0;
            CK(line(vm, &r, 256, &m, &ml, err));
            CK(line(vm, &r, 256, &n, &nl, err));
            CK(resolve_global(vm, m, ml, n, nl, err));
            return fail(vm, err, SC_EUNSUPPORTED, "opcode INST (0x69) is not supported");
        }
        case 0x82: case 0x83: case 0x84:
            return fail(vm, err, SC_ESECURITY,
                        "refusing opcode %s (0x%02x): copyreg extension registry", opname(op), op);
        case 'P': case 'S': case 'V': case 'o': case 0x81: case 0x92: case 0x97:
            return fail(vm, err, SC_EUNSUPPORTED, "opcode %s (0x%02x) is not supported", opname(op), op);
        default:
            return fail(vm, err, SC_EFORMAT, "unknown pickle opcode 0x%02x", op);
        }
    }
#undef CK
#undef NEED
}
