/* Plugin discovery and loading with dlopen (see sc/registry.h). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal.h"

#ifndef SC_PLUGINDIR
#define SC_PLUGINDIR "/usr/lib/sc"
#endif

#define MAX_DIRS 32

/* Plugins are loaded lazily: opening the registry only lists candidate
 * files.  Looking up (kind, name) first tries the file named by the
 * convention KIND_NAME.so, so a tool loads just the plugins it uses (and
 * does not start, say, OpenBLAS threads or a CUDA context for nothing);
 * listing (count/at/problems) loads everything.  The lazy state is a cache,
 * so the lookup functions keep their const signatures. */
struct sc_registry {
    const sc_host *host;
    char **cand;        /* candidate files, search order */
    unsigned char *tried;
    int ncand;
    sc_plugin_rec *recs;
    void **handles;
    int n, cap;
    char **problems;
    int nproblems;
    char *dirs[MAX_DIRS];
    int ndirs;
};

const char *sc_kind_name(int kind)
{
    static const char *const names[] = {"?", "backend", "frontend", "semantic",
                                        "acoustic", "decoder", "vocoder"};
    return kind >= 1 && kind <= SC_KIND_MAX ? names[kind] : "unknown";
}

static void add_problem(sc_registry *r, const char *msg)
{
    char **p = realloc(r->problems, sizeof *p * (size_t)(r->nproblems + 1));
    if (!p)
        return;
    r->problems = p;
    if ((p[r->nproblems] = strdup(msg)))
        r->nproblems++;
}

static void add_dir(sc_registry *r, const char *d, size_t len)
{
    if (!len || r->ndirs >= MAX_DIRS)
        return;
    for (int i = 0; i < r->ndirs; i++)
        if (strlen(r->dirs[i]) == len && !strncmp(r->dirs[i], d, len))
            return;
    if ((r->dirs[r->ndirs] = strndup(d, len)))
        r->ndirs++;
}

int sc_plugin_probe(const char *path, const sc_host *host, const sc_plugin_info **info,
                    void **handle, sc_err *err)
{
    *info = NULL;
    *handle = NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return sc_err_set(err, SC_EIO, "%s: cannot load: %s", path, e ? e : "dlopen failed");
    }
    sc_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, SC_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        dlclose(h);
        return sc_err_set(err, SC_EFORMAT, "%s: not an sc plugin (no %s symbol)", path,
                          SC_PLUGIN_ENTRY_SYMBOL);
    }
    const sc_plugin_info *pi = entry(host);
    if (!pi) {
        dlclose(h);
        return sc_err_set(err, SC_EUNSUPPORTED, "%s: plugin declined to load on this machine",
                          path);
    }
    /* Check the version before trusting any other member's layout. */
    if (pi->abi_version != SC_PLUGIN_ABI_VERSION) {
        unsigned v = pi->abi_version;
        dlclose(h);
        return sc_err_set(err, SC_EABI,
                          "%s: plugin built for ABI version %u, this sc uses ABI version %u; "
                          "rebuild the plugin",
                          path, v, SC_PLUGIN_ABI_VERSION);
    }
    if (pi->struct_size < offsetof(sc_plugin_info, vtable) + sizeof pi->vtable ||
        pi->kind < 1 || pi->kind > SC_KIND_MAX || !pi->name || !pi->vtable) {
        dlclose(h);
        return sc_err_set(err, SC_EABI, "%s: malformed plugin descriptor", path);
    }
    /* Every vtable begins with its own struct_size. */
    if (*(const uint32_t *)pi->vtable < 2 * sizeof(void *)) {
        dlclose(h);
        return sc_err_set(err, SC_EABI, "%s: malformed %s vtable", path, sc_kind_name(pi->kind));
    }
    *info = pi;
    *handle = h;
    return SC_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_file(sc_registry *r, int i)
{
    if (r->tried[i])
        return;
    r->tried[i] = 1;
    const char *path = r->cand[i];
    const sc_plugin_info *pi;
    void *h;
    sc_err e = {0};
    if (sc_plugin_probe(path, r->host, &pi, &h, &e) != SC_OK) {
        add_problem(r, e.msg);
        return;
    }
    for (int k = 0; k < r->n; k++)
        if ((int)r->recs[k].info->kind == (int)pi->kind && !strcmp(r->recs[k].info->name, pi->name)) {
            dlclose(h);   /* an earlier directory wins */
            return;
        }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        sc_plugin_rec *rec = realloc(r->recs, sizeof *rec * (size_t)cap);
        if (rec)
            r->recs = rec;
        void **hs = rec ? realloc(r->handles, sizeof *hs * (size_t)cap) : NULL;
        if (!hs) {
            dlclose(h);
            return;
        }
        r->handles = hs;
        r->cap = cap;
    }
    r->recs[r->n].info = pi;
    r->recs[r->n].path = strdup(path);
    r->handles[r->n] = h;
    r->n++;
}

static void load_all(const sc_registry *cr)
{
    sc_registry *r = (sc_registry *)cr;
    for (int i = 0; i < r->ncand; i++)
        load_file(r, i);
}

static void scan_dir(sc_registry *r, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so"))
            continue;
        char **nn = realloc(names, sizeof *nn * (n + 1));
        if (!nn)
            break;
        names = nn;
        if ((names[n] = strdup(de->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);  /* deterministic order */
    char **c = realloc(r->cand, sizeof *c * (r->ncand + n));
    unsigned char *t = c ? realloc(r->tried, r->ncand + n) : NULL;
    if (c)
        r->cand = c;
    if (t)
        r->tried = t;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = t ? malloc(len) : NULL;
        if (path) {
            snprintf(path, len, "%s/%s", dir, names[i]);
            r->cand[r->ncand] = path;
            r->tried[r->ncand++] = 0;
        }
        free(names[i]);
    }
    free(names);
}

sc_registry *sc_registry_open(const sc_host *host, const char *extra_dir, sc_err *err)
{
    sc_registry *r = calloc(1, sizeof *r);
    if (!r) {
        sc_err_set(err, SC_ENOMEM, "plugin registry: out of memory");
        return NULL;
    }
    r->host = host;
    if (extra_dir)
        add_dir(r, extra_dir, strlen(extra_dir));
    const char *sp = getenv("SC_PLUGIN_PATH");
    while (sp && *sp) {
        const char *c = strchr(sp, ':');
        size_t len = c ? (size_t)(c - sp) : strlen(sp);
        add_dir(r, sp, len);
        sp = c ? c + 1 : NULL;
    }
    add_dir(r, SC_PLUGINDIR, strlen(SC_PLUGINDIR));
    for (int i = 0; i < r->ndirs; i++)
        scan_dir(r, r->dirs[i]);
    return r;
}

void sc_registry_close(sc_registry *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        dlclose(r->handles[i]);
        free((char *)r->recs[i].path);
    }
    for (int i = 0; i < r->nproblems; i++)
        free(r->problems[i]);
    for (int i = 0; i < r->ndirs; i++)
        free(r->dirs[i]);
    for (int i = 0; i < r->ncand; i++)
        free(r->cand[i]);
    free(r->cand);
    free(r->tried);
    free(r->problems);
    free(r->recs);
    free(r->handles);
    free(r);
}

int sc_registry_count(const sc_registry *r)
{
    load_all(r);
    return r->n;
}
const sc_plugin_rec *sc_registry_at(const sc_registry *r, int i)
{
    load_all(r);
    return i >= 0 && i < r->n ? &r->recs[i] : NULL;
}
int sc_registry_nproblems(const sc_registry *r)
{
    load_all(r);
    return r->nproblems;
}
const char *sc_registry_problem(const sc_registry *r, int i)
{
    load_all(r);
    return i >= 0 && i < r->nproblems ? r->problems[i] : NULL;
}
int sc_registry_ndirs(const sc_registry *r) { return r->ndirs; }
const char *sc_registry_dir(const sc_registry *r, int i)
{
    return i >= 0 && i < r->ndirs ? r->dirs[i] : NULL;
}
const sc_host *sc_registry_host(const sc_registry *r) { return r->host; }

static const sc_plugin_rec *find_loaded(const sc_registry *r, int kind, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if ((int)r->recs[i].info->kind == kind && !strcmp(r->recs[i].info->name, name))
            return &r->recs[i];
    return NULL;
}

const sc_plugin_rec *sc_registry_find(const sc_registry *cr, int kind, const char *name)
{
    sc_registry *r = (sc_registry *)cr;
    const sc_plugin_rec *rec = find_loaded(r, kind, name);
    if (rec)
        return rec;
    char want[128];
    snprintf(want, sizeof want, "%s_%s.so", sc_kind_name(kind), name);
    for (int i = 0; i < r->ncand && !rec; i++) {
        const char *base = strrchr(r->cand[i], '/');
        if (!r->tried[i] && !strcmp(base ? base + 1 : r->cand[i], want)) {
            load_file(r, i);
            rec = find_loaded(r, kind, name);
        }
    }
    if (!rec) {     /* a plugin file not named by the convention */
        load_all(r);
        rec = find_loaded(r, kind, name);
    }
    return rec;
}

const sc_plugin_rec *sc_registry_ref(const sc_registry *r)
{
    return sc_registry_find(r, SC_KIND_BACKEND, "ref");
}
