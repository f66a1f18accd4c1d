/* sc/registry.h - finding, loading and instantiating plugins.
 *
 * sc_registry_open lists the "*.so" files of the directories of
 * $SC_PLUGIN_PATH (colon separated) and then the compiled-in plugin
 * directory.  Plugins are loaded lazily (dlopen RTLD_NOW|RTLD_LOCAL, then
 * sc_plugin_entry for the descriptor): a lookup first loads the file named
 * KIND_NAME.so (e.g. backend_blas.so), listing loads them all.  A file that fails to load, lacks the entry symbol, or was
 * built for another ABI version is recorded (sc_registry_problem) and
 * skipped; the first plugin of a (kind, name) wins, so $SC_PLUGIN_PATH
 * overrides installed ones.  The registry owns the handles; every pointer
 * it returns is valid until sc_registry_close.
 *
 * sc_registry_backend builds the resolved op table for a backend: its own
 * ops where supported, `ref`'s elsewhere (a debug log line names each
 * fallback op).
 */
#ifndef SC_REGISTRY_H
#define SC_REGISTRY_H

#include "sc/plugin.h"
#include "sc/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_registry sc_registry;

/* Fill a host table whose log and pool pointers must outlive every plugin
 * that receives it (the functions are libsc's own). */
void sc_host_init(sc_host *host, const sc_log *log, sc_pool *pool);

typedef struct sc_plugin_rec {
    const sc_plugin_info *info;
    const char *path;     /* the .so it came from */
} sc_plugin_rec;

/* host: the host table plugins receive (its pointers must outlive the
 * registry).  extra_dir: searched first (may be NULL). */
sc_registry *sc_registry_open(const sc_host *host, const char *extra_dir, sc_err *err);
void sc_registry_close(sc_registry *reg);

int sc_registry_count(const sc_registry *reg);
const sc_plugin_rec *sc_registry_at(const sc_registry *reg, int i);
const sc_plugin_rec *sc_registry_find(const sc_registry *reg, int kind, const char *name);
/* Files that were skipped, with the reason ("path: problem"). */
int sc_registry_nproblems(const sc_registry *reg);
const char *sc_registry_problem(const sc_registry *reg, int i);
/* Directories searched, in order. */
int sc_registry_ndirs(const sc_registry *reg);
const char *sc_registry_dir(const sc_registry *reg, int i);

/* Load one plugin file explicitly (tests, sc-info FILE). */
int sc_plugin_probe(const char *path, const sc_host *host, const sc_plugin_info **info,
                    void **handle, sc_err *err);

/* A live backend: the resolved op table and its context. */
typedef struct sc_backend {
    sc_backend_vt vt;            /* resolved: every op slot non-NULL */
    void *ctx;                   /* context passed to every op */
    const char *name;            /* chosen backend's name */
    const char *served[SC_OP_COUNT];  /* name of the backend serving each op */
    void *priv;
} sc_backend;

sc_backend *sc_backend_open(sc_registry *reg, const char *name, const char *options,
                            sc_err *err);
void sc_backend_close(sc_backend *be);

#ifdef __cplusplus
}
#endif
#endif
