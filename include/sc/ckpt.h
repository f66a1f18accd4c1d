/* sc/ckpt.h - PyTorch checkpoints, read safely and in place.
 *
 * Reads the two formats torch.save writes:
 *  - zip (torch >= 1.6): "<top>/data.pkl", "<top>/data/<key>" storages,
 *    optional "<top>/version", "<top>/byteorder"; ZIP64 end records and
 *    extra fields; members must be STORED (compression 0): compressed
 *    members are refused.  The top folder may have any name.
 *  - legacy: pickled magic number, protocol, sys_info, the object pickle,
 *    the storage-key list, then each storage as an int64 element count
 *    followed by raw bytes.
 * The object pickle is interpreted by a small pickle VM that knows exactly
 * the opcodes and globals checkpoints use (collections.OrderedDict,
 * torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
 * torch.*Storage, torch.storage._load_from_bytes is REFUSED, plain
 * containers and scalars).  Any other global or opcode is refused with its
 * name; nothing is ever executed.  Depth and size limits stop recursion
 * and memory bombs.
 *
 * Tensors are views into the mapped file (no copy): offsets, strides and
 * shared storages exactly as saved, every view bounds-checked against its
 * storage.  A Lightning-style {"state_dict": {...}, ...} is unwrapped.
 * Ownership: the sc_ckpt owns its tensors; they are valid until
 * sc_ckpt_close (or longer if the caller retains a storage reference).
 */
#ifndef SC_CKPT_H
#define SC_CKPT_H

#include "sc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_ckpt sc_ckpt;

sc_ckpt *sc_ckpt_open(const char *path, sc_err *err);
/* Same on an in-memory image (fuzzing); data must outlive the ckpt. */
sc_ckpt *sc_ckpt_open_mem(const void *data, size_t size, const char *name, sc_err *err);
void sc_ckpt_close(sc_ckpt *ck);

const char *sc_ckpt_path(const sc_ckpt *ck);
int sc_ckpt_format(const sc_ckpt *ck);          /* 1 zip, 2 legacy */
int64_t sc_ckpt_count(const sc_ckpt *ck);        /* number of tensors */
/* i-th tensor in state-dict order; *key receives its name. */
const sc_tensor *sc_ckpt_at(const sc_ckpt *ck, int64_t i, const char **key);
const sc_tensor *sc_ckpt_find(const sc_ckpt *ck, const char *key);  /* NULL if absent */
/* Storage identity: same value <=> same storage (for shared-storage checks). */
int64_t sc_ckpt_storage_id(const sc_ckpt *ck, int64_t i);

#ifdef __cplusplus
}
#endif
#endif
