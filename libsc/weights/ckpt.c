/* libsc/weights/ckpt.c - PyTorch checkpoints read in place (see sc/ckpt.h).
 *
 * Opening parses the zip directory (or, for legacy files, walks the
 * storage headers) and the object pickle; storage bytes are never read or
 * copied.  Each saved storage becomes one sc_storage that views its bytes
 * in the image and holds a reference on the mapping, so tensors keep their
 * saved offsets and strides and shared storages stay shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc/ckpt.h"
#include "sc/mmap.h"
#include "pickle.h"
#include "strmap.h"
#include "zip.h"

enum { FMT_ZIP = 1, FMT_LEGACY = 2 };

typedef struct ck_storage {
    const char *key;        /* view of the pickle in the image */
    size_t key_len;
    sc_dtype dtype;
    int64_t numel;
    uint64_t data_off;      /* byte offset in the image */
    int located;
    sc_storage *st;
} ck_storage;

struct sc_ckpt {
    char *path;
    int format;
    sc_mapfile *mf;
    sc_storage *parent;     /* the mapping, or NULL for an in-memory image */
    const unsigned char *img;
    size_t size;

    int64_t n;              /* tensors in state-dict order */
    sc_tensor *t;
    char **keys;
    int64_t *sid;
    sci_strmap tkeys;

    int64_t ns;             /* storages in first-use order */
    size_t scap;
    ck_storage *st;
    sci_strmap skeys;

    sci_zip zip;
};

/* ---- helpers ---------------------------------------------------------- */

static void sub_release(sc_storage *s)
{
    sc_storage_release((sc_storage *)s->ctx);
    free(s);
}

static const char *printable(char *buf, size_t n, const char *s, size_t len)
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
    return buf;
}

static int is_str(const pk_obj *o, const char *lit)
{
    return o->type == PK_STR && o->u.str.len == strlen(lit) &&
           memcmp(o->u.str.s, lit, o->u.str.len) == 0;
}

/* ---- persistent ids: ('storage', torch.XStorage, key, location, numel[, view]) */

static int persistent(void *ctx, const pk_obj *pid, int64_t *index, sc_dtype *dtype, sc_err *err)
{
    sc_ckpt *ck = (sc_ckpt *)ctx;
    size_t want = ck->format == FMT_ZIP ? 5 : 6;
    if (pid->type != PK_TUPLE || pid->u.seq.n != want || !is_str(pid->u.seq.items[0], "storage"))
        return sc_err_set(err, SC_EFORMAT,
                          "%s: persistent id is not a ('storage', type, key, location, numel%s) tuple",
                          ck->path, want == 6 ? ", view" : "");
    pk_obj **it = pid->u.seq.items;
    if (it[1]->type != PK_GLOBAL || it[1]->u.glob.g != PK_G_STORAGE_TYPE)
        return sc_err_set(err, SC_EFORMAT, "%s: persistent id names no torch storage type", ck->path);
    if (it[2]->type != PK_STR || it[3]->type != PK_STR || it[4]->type != PK_INT || it[4]->u.i < 0)
        return sc_err_set(err, SC_EFORMAT, "%s: malformed storage persistent id", ck->path);
    if (want == 6 && it[5]->type != PK_NONE)
        return sc_err_set(err, SC_EUNSUPPORTED,
                          "%s: legacy storage views (pre-0.4 checkpoints) are not supported",
                          ck->path);
    sc_dtype dt = it[1]->u.glob.dtype;
    const char *key = it[2]->u.str.s;
    size_t klen = it[2]->u.str.len;
    int64_t numel = it[4]->u.i;
    char kb[96];
    int64_t old;
    int rc = sci_strmap_add(&ck->skeys, key, klen, ck->ns, &old);
    if (rc < 0)
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory", ck->path);
    if (rc == 0) {
        const ck_storage *s = &ck->st[old];
        if (s->dtype != dt || s->numel != numel)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: storage '%s' saved twice with different type or size",
                              ck->path, printable(kb, sizeof kb, key, klen));
        *index = old;
        *dtype = dt;
        return SC_OK;
    }
    if ((size_t)ck->ns == ck->scap) {
        size_t nc = ck->scap ? 2 * ck->scap : 16;
        ck_storage *p = (ck_storage *)realloc(ck->st, nc * sizeof *p);
        if (!p)
            return sc_err_set(err, SC_ENOMEM, "%s: out of memory", ck->path);
        ck->st = p;
        ck->scap = nc;
    }
    ck_storage *s = &ck->st[ck->ns];
    memset(s, 0, sizeof *s);
    s->key = key;
    s->key_len = klen;
    s->dtype = dt;
    s->numel = numel;
    *index = ck->ns++;
    *dtype = dt;
    return SC_OK;
}

static int check_numel(sc_ckpt *ck, const ck_storage *s, uint64_t avail, sc_err *err)
{
    char kb[96];
    uint64_t es = sc_dtype_size(s->dtype);
    if ((uint64_t)s->numel > avail / es)
        return sc_err_set(err, SC_EFORMAT,
                          "%s: storage '%s' needs %lld elements of %s but its data has %llu bytes",
                          ck->path, printable(kb, sizeof kb, s->key, s->key_len),
                          (long long)s->numel, sc_dtype_name(s->dtype), (unsigned long long)avail);
    return SC_OK;
}

/* ---- zip format --------------------------------------------------------- */

static int open_zip(sc_ckpt *ck, sci_pk *vm, pk_obj **root, sc_err *err)
{
    int rc = sci_zip_open(&ck->zip, ck->img, ck->size, ck->path, err);
    if (rc < 0)
        return rc;
    if (!ck->zip.n)
        return sc_err_set(err, SC_EFORMAT, "%s: empty zip archive, not a checkpoint", ck->path);
    /* Like torch's reader: the top folder is that of the first member. */
    const sci_zip_entry *first = &ck->zip.ents[0];
    const char *slash = memchr(first->name, '/', first->name_len);
    if (!slash) {
        char nb[128];
        return sc_err_set(err, SC_EFORMAT, "%s: zip member '%s' is not inside a folder", ck->path,
                          printable(nb, sizeof nb, first->name, first->name_len));
    }
    size_t top = (size_t)(slash - first->name) + 1;   /* includes the '/' */
    char name[512];
    if (top + 64 > sizeof name)
        return sc_err_set(err, SC_EFORMAT, "%s: zip folder name too long", ck->path);
    memcpy(name, first->name, top);

    /* torch >= 2.1 records the byte order; absent means little-endian. */
    memcpy(name + top, "byteorder", 10);
    const sci_zip_entry *bo = sci_zip_find(&ck->zip, name, top + 9);
    if (bo) {
        const unsigned char *d;
        uint64_t n;
        if ((rc = sci_zip_data(&ck->zip, bo, &d, &n, err)) < 0)
            return rc;
        if (!(n == 6 && memcmp(d, "little", 6) == 0))
            return sc_err_set(err, SC_EUNSUPPORTED, "%s: checkpoint is not little-endian",
                              ck->path);
    }

    memcpy(name + top, "data.pkl", 9);
    const sci_zip_entry *pe = sci_zip_find(&ck->zip, name, top + 8);
    if (!pe)
        return sc_err_set(err, SC_EFORMAT, "%s: no '%s' in the zip archive", ck->path, name);
    const unsigned char *pkl;
    uint64_t plen;
    if ((rc = sci_zip_data(&ck->zip, pe, &pkl, &plen, err)) < 0)
        return rc;
    size_t used;
    if ((rc = sci_pk_run(vm, pkl, (size_t)plen, &used, root, persistent, ck, err)) < 0)
        return rc;

    /* Locate every storage named by the pickle: "<top>data/<key>". */
    char *mname = NULL;
    size_t mcap = 0;
    for (int64_t i = 0; i < ck->ns; i++) {
        ck_storage *s = &ck->st[i];
        size_t len = top + 5 + s->key_len;
        if (len > mcap) {
            char *p = (char *)realloc(mname, len);
            if (!p) {
                free(mname);
                return sc_err_set(err, SC_ENOMEM, "%s: out of memory", ck->path);
            }
            mname = p;
            mcap = len;
        }
        memcpy(mname, first->name, top);
        memcpy(mname + top, "data/", 5);
        memcpy(mname + top + 5, s->key, s->key_len);
        const sci_zip_entry *e = sci_zip_find(&ck->zip, mname, len);
        if (!e) {
            char kb[160];
            rc = sc_err_set(err, SC_EFORMAT, "%s: storage member '%s' is missing", ck->path,
                            printable(kb, sizeof kb, mname, len));
            break;
        }
        const unsigned char *d;
        uint64_t n;
        if ((rc = sci_zip_data(&ck->zip, e, &d, &n, err)) < 0)
            break;
        if ((rc = check_numel(ck, s, n, err)) < 0)
            break;
        s->data_off = (uint64_t)(d - ck->img);
        s->located = 1;
    }
    free(mname);
    return rc;
}

/* ---- legacy format -------------------------------------------------- */

static int open_legacy(sc_ckpt *ck, sci_pk *vm, pk_obj **root, sc_err *err)
{
    /* 0x1950a86a20f9469cfc6c as LONG1 bytes (little-endian). */
    static const unsigned char magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                            0x20, 0x6a, 0xa8, 0x50, 0x19};
    size_t pos = 0, used;
    pk_obj *o;
    int rc = sci_pk_run(vm, ck->img, ck->size, &used, &o, NULL, NULL, err);
    if (rc < 0 || o->type != PK_BIGINT || o->u.str.len != 10 || memcmp(o->u.str.s, magic, 10)) {
        if (err && err->code == SC_ESECURITY)
            return rc;
        sc_err_clear(err);
        return sc_err_set(err, SC_EFORMAT,
                          "%s: not a PyTorch checkpoint (neither zip nor legacy magic number)",
                          ck->path);
    }
    pos += used;
    if ((rc = sci_pk_run(vm, ck->img + pos, ck->size - pos, &used, &o, NULL, NULL, err)) < 0)
        return rc;
    if (o->type != PK_INT || o->u.i != 1001)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: unsupported legacy protocol version", ck->path);
    pos += used;
    if ((rc = sci_pk_run(vm, ck->img + pos, ck->size - pos, &used, &o, NULL, NULL, err)) < 0)
        return rc;
    const pk_obj *le = sci_pk_dict_get(o, "little_endian");
    if (o->type != PK_DICT)
        return sc_err_set(err, SC_EFORMAT, "%s: legacy system info is not a dict", ck->path);
    if (le && le->type == PK_BOOL && !le->u.b)
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: big-endian checkpoint", ck->path);
    pos += used;
    if ((rc = sci_pk_run(vm, ck->img + pos, ck->size - pos, &used, root, persistent, ck, err)) < 0)
        return rc;
    pos += used;
    pk_obj *keys;
    if ((rc = sci_pk_run(vm, ck->img + pos, ck->size - pos, &used, &keys, NULL, NULL, err)) < 0)
        return rc;
    pos += used;
    if (keys->type != PK_LIST)
        return sc_err_set(err, SC_EFORMAT, "%s: legacy storage key list is a %s", ck->path,
                          sci_pk_type_name(keys->type));

    /* Storages follow in key-list order: int64 element count, raw bytes. */
    char kb[96];
    for (size_t i = 0; i < keys->u.seq.n; i++) {
        const pk_obj *k = keys->u.seq.items[i];
        if (k->type != PK_STR)
            return sc_err_set(err, SC_EFORMAT, "%s: legacy storage key %zu is not a string",
                              ck->path, i);
        int64_t si = sci_strmap_get(&ck->skeys, k->u.str.s, k->u.str.len);
        if (si < 0)
            return sc_err_set(err, SC_EFORMAT, "%s: storage '%s' is listed but never used",
                              ck->path, printable(kb, sizeof kb, k->u.str.s, k->u.str.len));
        ck_storage *s = &ck->st[si];
        if (s->located)
            return sc_err_set(err, SC_EFORMAT, "%s: storage '%s' listed twice", ck->path,
                              printable(kb, sizeof kb, k->u.str.s, k->u.str.len));
        if (ck->size - pos < 8)
            return sc_err_set(err, SC_EFORMAT, "%s: truncated before storage '%s'", ck->path,
                              printable(kb, sizeof kb, k->u.str.s, k->u.str.len));
        uint64_t n = 0;
        for (int b = 7; b >= 0; b--)
            n = n << 8 | ck->img[pos + b];
        pos += 8;
        if (n != (uint64_t)s->numel)
            return sc_err_set(err, SC_EFORMAT,
                              "%s: storage '%s' has %llu elements in the file, %lld in the pickle",
                              ck->path, printable(kb, sizeof kb, s->key, s->key_len),
                              (unsigned long long)n, (long long)s->numel);
        if ((rc = check_numel(ck, s, ck->size - pos, err)) < 0)
            return rc;
        s->data_off = pos;
        s->located = 1;
        pos += (size_t)s->numel * sc_dtype_size(s->dtype);
    }
    for (int64_t i = 0; i < ck->ns; i++)
        if (!ck->st[i].located)
            return sc_err_set(err, SC_EFORMAT, "%s: storage '%s' has no data", ck->path,
                              printable(kb, sizeof kb, ck->st[i].key, ck->st[i].key_len));
    return SC_OK;
}

/* ---- tensors -------------------------------------------------------- */

static int make_tensor(sc_ckpt *ck, const pk_tensor *pt, const char *key, sc_tensor *t,
                       int64_t *sid, sc_err *err)
{
    const ck_storage *s = &ck->st[pt->storage->u.storage.index];
    int64_t snumel = s->numel, extent = pt->offset, numel = 1;
    if (pt->offset < 0)
        return sc_err_set(err, SC_EFORMAT, "%s: key '%s': negative storage offset %lld", ck->path,
                          key, (long long)pt->offset);
    for (int d = 0; d < pt->ndim; d++) {
        if (pt->shape[d] < 0 || pt->stride[d] < 0)
            return sc_err_set(err, SC_EFORMAT, "%s: key '%s': negative size or stride in dim %d",
                              ck->path, key, d);
        if (__builtin_mul_overflow(numel, pt->shape[d], &numel))
            return sc_err_set(err, SC_ERANGE, "%s: key '%s': element count overflows", ck->path, key);
    }
    if (numel > 0) {
        for (int d = 0; d < pt->ndim; d++) {
            int64_t span;
            if (__builtin_mul_overflow(pt->shape[d] - 1, pt->stride[d], &span) ||
                __builtin_add_overflow(extent, span, &extent))
                return sc_err_set(err, SC_ERANGE, "%s: key '%s': view extent overflows", ck->path,
                                  key);
        }
        if (extent >= snumel)
            return sc_err_set(err, SC_ERANGE,
                              "%s: key '%s': view (offset %lld, last element %lld) outside its "
                              "storage of %lld elements",
                              ck->path, key, (long long)pt->offset, (long long)extent,
                              (long long)snumel);
    }
    memset(t, 0, sizeof *t);
    t->dtype = s->dtype;
    t->ndim = pt->ndim;
    for (int d = 0; d < pt->ndim; d++) {
        t->shape[d] = pt->shape[d];
        t->stride[d] = pt->stride[d];
    }
    t->offset = pt->offset;
    t->data = numel > 0 ? (char *)s->st->base + (size_t)pt->offset * sc_dtype_size(s->dtype)
                        : s->st->base;
    t->storage = s->st;
    sc_storage_retain(s->st);
    *sid = pt->storage->u.storage.index;
    return SC_OK;
}

static int collect_tensors(sc_ckpt *ck, pk_obj *root, sc_err *err)
{
    if (root->type != PK_DICT)
        return sc_err_set(err, SC_EFORMAT, "%s: top-level object is a %s, not a state dict",
                          ck->path, sci_pk_type_name(root->type));
    pk_obj *sd = sci_pk_dict_get(root, "state_dict");
    if (sd) {
        if (sd->type != PK_DICT)
            return sc_err_set(err, SC_EFORMAT, "%s: 'state_dict' is a %s, not a dict", ck->path,
                              sci_pk_type_name(sd->type));
    } else {
        sd = root;
    }
    size_t n = sd->u.dict.n, keybytes = 0;
    for (size_t i = 0; i < n; i++) {
        const pk_obj *k = sd->u.dict.kv[2 * i], *v = sd->u.dict.kv[2 * i + 1];
        if (v->type == PK_TENSOR && k->type == PK_STR)
            keybytes += k->u.str.len + 1;
    }
    ck->t = (sc_tensor *)calloc(n ? n : 1, sizeof *ck->t);
    ck->keys = (char **)calloc(n ? n : 1, sizeof *ck->keys);
    ck->sid = (int64_t *)calloc(n ? n : 1, sizeof *ck->sid);
    char *arena = (char *)malloc(keybytes ? keybytes : 1);
    if (!ck->t || !ck->keys || !ck->sid || !arena || sci_strmap_init(&ck->tkeys, n) < 0) {
        free(arena);
        return sc_err_set(err, SC_ENOMEM, "%s: out of memory for %zu tensors", ck->path, n);
    }
    ck->keys[0] = arena;    /* freed through keys[0] even when no tensor is kept */
    char kb[160];
    for (size_t i = 0; i < n; i++) {
        const pk_obj *k = sd->u.dict.kv[2 * i], *v = sd->u.dict.kv[2 * i + 1];
        if (v->type != PK_TENSOR)
            continue;   /* e.g. non-tensor entries; tensors are all a stage reads */
        if (k->type != PK_STR || memchr(k->u.str.s, 0, k->u.str.len))
            return sc_err_set(err, SC_EFORMAT, "%s: state-dict key %zu is not a plain string",
                              ck->path, i);
        memcpy(arena, k->u.str.s, k->u.str.len);
        arena[k->u.str.len] = 0;
        int64_t old;
        if (sci_strmap_put(&ck->tkeys, arena, k->u.str.len, ck->n, &old) == 0)
            return sc_err_set(err, SC_EFORMAT, "%s: duplicate key '%s'", ck->path,
                              printable(kb, sizeof kb, arena, k->u.str.len));
        int rc = make_tensor(ck, v->u.tensor, printable(kb, sizeof kb, arena, k->u.str.len),
                             &ck->t[ck->n], &ck->sid[ck->n], err);
        if (rc < 0)
            return rc;
        ck->keys[ck->n++] = arena;
        arena += k->u.str.len + 1;
    }
    if (ck->n == 0 && n > 0) {
        const pk_obj *k = sd->u.dict.kv[0];
        return sc_err_set(err, SC_EFORMAT, "%s: no tensors in the state dict (first key '%s')",
                          ck->path,
                          k->type == PK_STR ? printable(kb, sizeof kb, k->u.str.s, k->u.str.len)
                                            : sci_pk_type_name(k->type));
    }
    return SC_OK;
}

/* ---- open/close --------------------------------------------------------- */

void sc_ckpt_close(sc_ckpt *ck)
{
    if (!ck)
        return;
    for (int64_t i = 0; i < ck->n; i++)
        sc_tensor_release(&ck->t[i]);
    for (int64_t i = 0; i < ck->ns; i++)
        sc_storage_release(ck->st[i].st);
    if (ck->keys)
        free(ck->keys[0]);
    free(ck->keys);
    free(ck->t);
    free(ck->sid);
    free(ck->st);
    sci_strmap_free(&ck->tkeys);
    sci_strmap_free(&ck->skeys);
    sci_zip_close(&ck->zip);
    sc_mapfile_close(ck->mf);
    free(ck->path);
    free(ck);
}

static sc_ckpt *open_image(sc_ckpt *ck, sc_err *err)
{
    int rc;
    pk_obj *root = NULL;
    /* The VM may use 64 MiB plus 64 bytes per image byte: far more than any
     * real state dict needs, far less than a memory bomb wants. */
    size_t budget = ck->size < (SIZE_MAX >> 8) ? ((size_t)64 << 20) + 64 * ck->size : SIZE_MAX >> 2;
    char vname[600];
    snprintf(vname, sizeof vname, "%s: %s", ck->path, "pickle");
    sci_pk *vm = sci_pk_new(vname, budget);
    if (!vm) {
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", ck->path);
        sc_ckpt_close(ck);
        return NULL;
    }
    if (sci_zip_sniff(ck->img, ck->size)) {
        ck->format = FMT_ZIP;
        rc = open_zip(ck, vm, &root, err);
    } else if (ck->size && ck->img[0] == 0x80) {
        ck->format = FMT_LEGACY;
        rc = open_legacy(ck, vm, &root, err);
    } else {
        rc = sc_err_set(err, SC_EFORMAT, "%s: not a PyTorch checkpoint (no zip or pickle header)",
                        ck->path);
    }
    for (int64_t i = 0; rc >= 0 && i < ck->ns; i++) {
        ck_storage *s = &ck->st[i];
        s->st = (sc_storage *)calloc(1, sizeof *s->st);
        if (!s->st) {
            rc = sc_err_set(err, SC_ENOMEM, "%s: out of memory", ck->path);
            break;
        }
        s->st->refcount = 1;
        s->st->base = (void *)(ck->img + s->data_off);
        s->st->nbytes = (size_t)s->numel * sc_dtype_size(s->dtype);
        s->st->release = sub_release;
        s->st->ctx = ck->parent;
        sc_storage_retain(ck->parent);
    }
    if (rc >= 0)
        rc = collect_tensors(ck, root, err);
    sci_pk_free(vm);
    if (rc < 0) {
        sc_ckpt_close(ck);
        return NULL;
    }
    return ck;
}

static sc_ckpt *new_ckpt(const char *name, sc_err *err)
{
    sc_ckpt *ck = (sc_ckpt *)calloc(1, sizeof *ck);
    if (ck)
        ck->path = strdup(name ? name : "(memory)");
    if (!ck || !ck->path) {
        free(ck);
        sc_err_set(err, SC_ENOMEM, "%s: out of memory", name ? name : "(memory)");
        return NULL;
    }
    return ck;
}

sc_ckpt *sc_ckpt_open(const char *path, sc_err *err)
{
    sc_ckpt *ck = new_ckpt(path, err);
    if (!ck)
        return NULL;
    ck->mf = sc_mapfile_open(path, err);
    if (!ck->mf) {
        sc_ckpt_close(ck);
        return NULL;
    }
    ck->img = ck->mf->data;
    ck->size = ck->mf->size;
    ck->parent = ck->mf->storage;
    return open_image(ck, err);
}

sc_ckpt *sc_ckpt_open_mem(const void *data, size_t size, const char *name, sc_err *err)
{
    sc_ckpt *ck = new_ckpt(name, err);
    if (!ck)
        return NULL;
    ck->img = (const unsigned char *)data;
    ck->size = data ? size : 0;
    return open_image(ck, err);
}

const char *sc_ckpt_path(const sc_ckpt *ck)
{
    return ck->path;
}

int sc_ckpt_format(const sc_ckpt *ck)
{
    return ck->format;
}

int64_t sc_ckpt_count(const sc_ckpt *ck)
{
    return ck->n;
}

const sc_tensor *sc_ckpt_at(const sc_ckpt *ck, int64_t i, const char **key)
{
    if (i < 0 || i >= ck->n)
        return NULL;
    if (key)
        *key = ck->keys[i];
    return &ck->t[i];
}

const sc_tensor *sc_ckpt_find(const sc_ckpt *ck, const char *key)
{
    int64_t i = sci_strmap_get(&ck->tkeys, key, strlen(key));
    return i < 0 ? NULL : &ck->t[i];
}

int64_t sc_ckpt_storage_id(const sc_ckpt *ck, int64_t i)
{
    return i < 0 || i >= ck->n ? -1 : ck->sid[i];
}
