/* A live backend whose op table is complete: ops the chosen backend lacks
 * are forwarded to `ref` (see sc/registry.h).  Forwarding costs one
 * indirect call per op, which is nothing next to the ops themselves. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

typedef struct dispatch {
    const sc_backend_vt *vt[SC_OP_COUNT];   /* who serves each op */
    void *ctx[SC_OP_COUNT];
    const sc_backend_vt *main_vt, *ref_vt;
    void *main_ctx, *ref_ctx;
} dispatch;

const char *sc_op_name(int op)
{
    static const char *const n[SC_OP_COUNT] = {
#define SC_OP(ID, name, params, args) #name,
#include "sc/ops.def"
#undef SC_OP
    };
    return op >= 0 && op < SC_OP_COUNT ? n[op] : "unknown";
}

/* Offset of each op's slot, so availability can be checked against the
 * struct_size an older backend reports. */
static const size_t op_slot[SC_OP_COUNT] = {
#define SC_OP(ID, name, params, args) offsetof(sc_backend_vt, name),
#include "sc/ops.def"
#undef SC_OP
};

static int has_op(const sc_backend_vt *vt, void *ctx, int op)
{
    if (vt->struct_size < op_slot[op] + sizeof(void *))
        return 0;
    void *fn;
    memcpy(&fn, (const char *)vt + op_slot[op], sizeof fn);
    if (!fn)
        return 0;
    if (vt->supports && !vt->supports(ctx, op))
        return 0;
    return 1;
}

#define D(c) ((dispatch *)(c))

/* One forwarder per op: fw_<name> calls whoever serves the op. */
#define SC_OP(ID, name, params, args)                                         \
    static int fw_##name(void *c, SC_OP_UNPAREN params)                       \
    {                                                                         \
        return D(c)->vt[SC_OP_##ID]->name(D(c)->ctx[SC_OP_##ID], SC_OP_UNPAREN args); \
    }
#include "sc/ops.def"
#undef SC_OP

/* Memory management always belongs to the chosen backend. */
static void *fw_buf_alloc(void *c, size_t n) { return D(c)->main_vt->buf_alloc(D(c)->main_ctx, n); }
static void fw_buf_free(void *c, void *p) { D(c)->main_vt->buf_free(D(c)->main_ctx, p); }
static int fw_upload(void *c, void *d, const void *s, size_t n)
{
    return D(c)->main_vt->upload(D(c)->main_ctx, d, s, n);
}
static int fw_download(void *c, void *d, const void *s, size_t n)
{
    return D(c)->main_vt->download(D(c)->main_ctx, d, s, n);
}
static const float *fw_weight(void *c, const float *h, size_t n)
{
    return D(c)->main_vt->weight(D(c)->main_ctx, h, n);
}
static int fw_sync(void *c) { return D(c)->main_vt->sync ? D(c)->main_vt->sync(D(c)->main_ctx) : 0; }
static int fw_supports(void *c, int op) { return op >= 0 && op < SC_OP_COUNT; }

static const sc_backend_vt forward_vt = {
    .struct_size = sizeof(sc_backend_vt),
    .supports = fw_supports,
    .buf_alloc = fw_buf_alloc, .buf_free = fw_buf_free, .upload = fw_upload,
    .download = fw_download, .weight = fw_weight, .sync = fw_sync,
#define SC_OP(ID, name, params, args) .name = fw_##name,
#include "sc/ops.def"
#undef SC_OP
};

static int open_one(const sc_registry *reg, const sc_plugin_rec *rec, const char *options,
                    const sc_backend_vt **vt, void **ctx, sc_err *err)
{
    const sc_backend_vt *v = rec->info->vtable;
    if (v->struct_size < offsetof(sc_backend_vt, sync) + sizeof(void *) || !v->create ||
        !v->buf_alloc || !v->buf_free || !v->upload || !v->download || !v->weight)
        return sc_err_set(err, SC_EABI, "%s: backend '%s' lacks its memory functions",
                          rec->path, rec->info->name);
    *vt = v;
    int rc = v->create(sc_registry_host(reg), options, ctx, err);
    if (rc)
        sc_err_prefix(err, "backend '%s' (%s)", rec->info->name, rec->path);
    return rc;
}

sc_backend *sc_backend_open(sc_registry *reg, const char *name, const char *options,
                            sc_err *err)
{
    const sc_plugin_rec *rec = sc_registry_find(reg, SC_KIND_BACKEND, name);
    const sc_plugin_rec *ref = sc_registry_ref(reg);
    if (!rec) {
        sc_err_set(err, SC_ENOTFOUND,
                   "backend '%s' not found (searched $SC_PLUGIN_PATH and the plugin "
                   "directory; `sc-info` lists what is installed)", name);
        return NULL;
    }
    if (!ref) {
        sc_err_set(err, SC_ENOTFOUND, "the 'ref' backend is not installed; it serves every "
                                      "op another backend lacks");
        return NULL;
    }
    sc_backend *be = calloc(1, sizeof *be);
    dispatch *d = calloc(1, sizeof *d);
    if (!be || !d) {
        free(be);
        free(d);
        sc_err_set(err, SC_ENOMEM, "backend '%s': out of memory", name);
        return NULL;
    }
    const sc_host *host = sc_registry_host(reg);
    if (open_one(reg, rec, options, &d->main_vt, &d->main_ctx, err))
        goto fail;
    if (rec == ref) {
        d->ref_vt = d->main_vt;
        d->ref_ctx = d->main_ctx;
    } else if (open_one(reg, ref, NULL, &d->ref_vt, &d->ref_ctx, err)) {
        d->main_vt->destroy(d->main_ctx);
        goto fail;
    }
    for (int op = 0; op < SC_OP_COUNT; op++) {
        if (has_op(d->main_vt, d->main_ctx, op)) {
            d->vt[op] = d->main_vt;
            d->ctx[op] = d->main_ctx;
            be->served[op] = rec->info->name;
        } else if (has_op(d->ref_vt, d->ref_ctx, op)) {
            if (!d->main_vt->host_memory) {
                sc_err_set(err, SC_EUNSUPPORTED,
                           "backend '%s' lacks op %s and its buffers are not host memory, "
                           "so 'ref' cannot serve it", name, sc_op_name(op));
                goto fail_both;
            }
            d->vt[op] = d->ref_vt;
            d->ctx[op] = d->ref_ctx;
            be->served[op] = "ref";
            if (host)
                sc_log_msg(host->log, SC_LOG_DEBUG, "backend %s: op %s falls back to ref",
                           name, sc_op_name(op));
        } else {
            sc_err_set(err, SC_EINTERNAL, "no backend implements op %s", sc_op_name(op));
            goto fail_both;
        }
    }
    be->vt = forward_vt;
    be->vt.host_memory = d->main_vt->host_memory;
    be->ctx = d;
    be->name = rec->info->name;
    be->priv = d;
    return be;
fail_both:
    if (d->ref_vt != d->main_vt)
        d->ref_vt->destroy(d->ref_ctx);
    d->main_vt->destroy(d->main_ctx);
fail:
    free(d);
    free(be);
    return NULL;
}

void sc_backend_close(sc_backend *be)
{
    if (!be)
        return;
    dispatch *d = be->priv;
    if (d->ref_vt != d->main_vt && d->ref_vt->destroy)
        d->ref_vt->destroy(d->ref_ctx);
    if (d->main_vt->destroy)
        d->main_vt->destroy(d->main_ctx);
    free(d);
    free(be);
}
