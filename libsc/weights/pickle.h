/* libsc/weights/pickle.h - internal: a restricted pickle virtual machine.
 *
 * Interprets the pickle opcodes of protocols 0-5 that plain data uses and
 * builds a small object tree.  It never executes anything: GLOBAL and
 * STACK_GLOBAL resolve only the names checkpoints need (see pk_global) and
 * refuse every other name with SC_ESECURITY; REDUCE applies only those.
 * Persistent ids are handed to a callback that turns them into storage
 * references.  Limits: nesting depth (PK_MAX_DEPTH), mark depth, memory
 * (the budget given to sci_pk_new) and memo size.  Nothing recurses, so
 * hostile nesting or self-referencing containers cannot overflow the C
 * stack.  Not installed.
 */
#ifndef SC_PICKLE_H
#define SC_PICKLE_H

#include <stddef.h>
#include <stdint.h>
#include "sc/error.h"
#include "sc/tensor.h"

#define PK_MAX_DEPTH 1000

typedef enum pk_type {
    PK_NONE,
    PK_BOOL,
    PK_INT,
    PK_BIGINT,      /* more than 64 bits: raw little-endian two's complement in str */
    PK_FLOAT,
    PK_STR,
    PK_BYTES,
    PK_TUPLE,
    PK_LIST,
    PK_SET,
    PK_DICT,
    PK_GLOBAL,
    PK_STORAGE,
    PK_TENSOR
} pk_type;

typedef enum pk_global {
    PK_G_ORDEREDDICT = 1,
    PK_G_REBUILD_TENSOR_V2,
    PK_G_REBUILD_PARAMETER,
    PK_G_REBUILD_PARAMETER_WITH_STATE,
    PK_G_STORAGE_TYPE           /* torch.<X>Storage; dtype in obj->u.glob.dtype */
} pk_global;

typedef struct pk_obj pk_obj;

typedef struct pk_tensor {
    pk_obj *storage;            /* PK_STORAGE */
    int64_t offset;             /* elements, as saved (not yet validated) */
    int ndim;
    int64_t shape[SC_MAX_DIMS];
    int64_t stride[SC_MAX_DIMS];
} pk_tensor;

struct pk_obj {
    pk_type type;
    int depth;                  /* nesting depth (1 for leaves) */
    union {
        int b;
        int64_t i;
        double f;
        struct { const char *s; size_t len; } str;     /* STR, BYTES, BIGINT: view of the input */
        struct { pk_obj **items; size_t n, cap; } seq;  /* TUPLE, LIST, SET */
        struct { pk_obj **kv; size_t n, cap; int ordered; } dict;  /* kv[2i]=key, kv[2i+1]=value */
        struct { pk_global g; sc_dtype dtype; } glob;
        struct { int64_t index; sc_dtype dtype; } storage;
        pk_tensor *tensor;
    } u;
};

typedef struct sci_pk sci_pk;

/* Called for BINPERSID with the persistent id object; returns SC_OK and
 * fills a storage index (any caller-chosen identifier) and its dtype. */
typedef int (*sci_pk_persistent_fn)(void *ctx, const pk_obj *pid, int64_t *index,
                                    sc_dtype *dtype, sc_err *err);

/* name: used in every message.  mem_limit: bytes the VM may allocate. */
sci_pk *sci_pk_new(const char *name, size_t mem_limit);
void sci_pk_free(sci_pk *vm);   /* frees every object it made */

/* Run one pickle (up to and including STOP) from data.  *used receives the
 * bytes consumed; *result the object (owned by vm).  Objects survive later
 * runs on the same vm (legacy checkpoints are several pickles in a row). */
int sci_pk_run(sci_pk *vm, const unsigned char *data, size_t size, size_t *used,
               pk_obj **result, sci_pk_persistent_fn persistent, void *ctx, sc_err *err);

/* Dict lookup by string key (first match), or NULL. */
pk_obj *sci_pk_dict_get(const pk_obj *dict, const char *key);
const char *sci_pk_type_name(pk_type t);

#endif
