/* sc/plugin.h - the plugin ABI shared by compute backends and stages.
 *
 * Every plugin is a shared object exporting one symbol,
 *
 *     const sc_plugin_info *sc_plugin_entry(const sc_host *host);
 *
 * which returns a static descriptor (or NULL to decline, e.g. "no GPU").
 * The host passes a table of host functions (sc_host), so plugins need not
 * link against libsc; the table stays valid until the plugin is unloaded.
 *
 * Versioning: abi_version is compared for equality with the host's
 * SC_PLUGIN_ABI_VERSION; a mismatch is refused with a message naming the
 * file and both versions.  struct_size fields (in the descriptor, the host
 * table and every vtable) let either side grow by appending members: a
 * reader never touches a member beyond the size the other side reported.
 */
#ifndef SC_PLUGIN_H
#define SC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"
#include "sc/log.h"
#include "sc/pool.h"
#include "sc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_PLUGIN_ABI_VERSION 1u
#define SC_PLUGIN_ENTRY_SYMBOL "sc_plugin_entry"

enum sc_plugin_kind {
    SC_KIND_BACKEND = 1,
    SC_KIND_FRONTEND = 2,
    SC_KIND_SEMANTIC = 3,
    SC_KIND_ACOUSTIC = 4,
    SC_KIND_DECODER = 5,
    SC_KIND_VOCODER = 6,
    SC_KIND_MAX = 6
};

const char *sc_kind_name(int kind);   /* "backend", "frontend", ... */

typedef struct sc_weights sc_weights;  /* see sc/weights.h */

/* Does `member` of a struct reported as `size` bytes exist? */
#define SC_HAS_MEMBER(ptr, size, member) \
    ((size_t)(size) >= offsetof(__typeof__(*(ptr)), member) + sizeof((ptr)->member))

typedef struct sc_host {
    uint32_t abi_version;     /* SC_PLUGIN_ABI_VERSION of the host */
    uint32_t struct_size;     /* sizeof(sc_host) of the host */

    const sc_log *log;
    void (*log_msg)(const sc_log *log, int level, const char *fmt, ...);
    int (*err_set)(sc_err *err, int code, const char *fmt, ...);
    int (*err_prefix)(sc_err *err, const char *fmt, ...);

    /* The program's thread pool (may be NULL: run inline). */
    sc_pool *pool;
    void (*pool_for)(sc_pool *pool, int64_t count, sc_pool_fn fn, void *arg);
    int (*pool_size)(const sc_pool *pool);

    /* Weights.  weight() returns the tensor named key or NULL (error set:
     * missing key, naming the file).  weight_f32() also checks the shape
     * (ndim/shape) and returns contiguous float32 data, converting once and
     * caching when the stored tensor is not already contiguous float32.
     * Pointers stay valid while the weights are open. */
    const sc_tensor *(*weight)(const sc_weights *w, const char *key, sc_err *err);
    const float *(*weight_f32)(const sc_weights *w, const char *key, int ndim,
                               const int64_t *shape, sc_err *err);
    const char *(*weights_path)(const sc_weights *w);
} sc_host;

typedef struct sc_plugin_info {
    uint32_t abi_version;     /* SC_PLUGIN_ABI_VERSION the plugin was built for */
    uint32_t struct_size;     /* sizeof(sc_plugin_info) of the plugin */
    uint32_t kind;            /* enum sc_plugin_kind */
    const char *name;         /* e.g. "ref", "blas", "kaldi", "audiomae" */
    const char *version;      /* plugin's own version string */
    const char *description;  /* one line for sc-info */
    const void *vtable;       /* sc_backend_vt or a stage vtable, by kind */
} sc_plugin_info;

typedef const sc_plugin_info *(*sc_plugin_entry_fn)(const sc_host *host);

#ifdef __cplusplus
}
#endif
#endif
