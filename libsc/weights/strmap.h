/* libsc/weights/strmap.h - internal: a fixed-capacity string -> int64 hash index
 * (open addressing, FNV-1a).  Keys are (pointer, length) pairs the caller
 * keeps alive; nothing is copied.  Used by the zip reader (member names),
 * the checkpoint reader (state-dict keys, storage keys) and weights.
 * Not installed.
 */
#ifndef SC_STRMAP_H
#define SC_STRMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sci_strmap_slot {
    const char *key;    /* NULL: empty */
    size_t len;
    int64_t val;
} sci_strmap_slot;

typedef struct sci_strmap {
    sci_strmap_slot *slots;
    size_t mask;        /* capacity - 1 (capacity is a power of two) */
    size_t count;
} sci_strmap;

static inline uint64_t sci_strhash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Room for n keys at load factor <= 1/2.  Returns 0 or -1 (no memory). */
static inline int sci_strmap_init(sci_strmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2) {
        if (cap > SIZE_MAX / 4 / sizeof(sci_strmap_slot))
            return -1;
        cap *= 2;
    }
    m->slots = (sci_strmap_slot *)calloc(cap, sizeof(sci_strmap_slot));
    m->mask = cap - 1;
    m->count = 0;
    return m->slots ? 0 : -1;
}

static inline void sci_strmap_free(sci_strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

/* Slot for key: the matching one or the empty one where it would go. */
static inline sci_strmap_slot *sci_strmap_slot_for(const sci_strmap *m, const char *k, size_t n)
{
    size_t i = (size_t)sci_strhash(k, n) & m->mask;
    for (;;) {
        sci_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->len == n && memcmp(s->key, k, n) == 0))
            return s;
        i = (i + 1) & m->mask;
    }
}

/* Insert key -> val.  Returns 1 when added, 0 when the key already exists
 * (*old receives its value, nothing changes), -1 when the map is full. */
static inline int sci_strmap_put(sci_strmap *m, const char *k, size_t n, int64_t val, int64_t *old)
{
    if (2 * (m->count + 1) > m->mask + 1)
        return -1;
    sci_strmap_slot *s = sci_strmap_slot_for(m, k, n);
    if (s->key) {
        if (old)
            *old = s->val;
        return 0;
    }
    s->key = k;
    s->len = n;
    s->val = val;
    m->count++;
    return 1;
}

/* Like sci_strmap_put, growing the table as needed (m may start zeroed).
 * Returns 1 added, 0 exists, -1 out of memory. */
static inline int sci_strmap_add(sci_strmap *m, const char *k, size_t n, int64_t val, int64_t *old)
{
    if (!m->slots || 2 * (m->count + 1) > m->mask + 1) {
        sci_strmap bigger;
        if (sci_strmap_init(&bigger, m->slots ? m->mask + 1 : 8) < 0)
            return -1;
        for (size_t i = 0; m->slots && i <= m->mask; i++)
            if (m->slots[i].key)
                sci_strmap_put(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].val, NULL);
        sci_strmap_free(m);
        *m = bigger;
    }
    return sci_strmap_put(m, k, n, val, old);
}

/* Value for key or -1. */
static inline int64_t sci_strmap_get(const sci_strmap *m, const char *k, size_t n)
{
    if (!m->slots)
        return -1;
    const sci_strmap_slot *s = sci_strmap_slot_for(m, k, n);
    return s->key ? s->val : -1;
}

#endif
