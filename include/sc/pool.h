/* sc/pool.h - a fixed-size thread pool for data-parallel loops.
 *
 * Contract: the program owns parallelism.  A pool of n threads (the caller
 * counts as one of them, so n == 1 creates no threads) runs
 * sc_pool_for(pool, count, fn, arg): fn(arg, begin, end, worker) is called on
 * disjoint ranges covering [0, count); the split depends only on count and n,
 * so results are reproducible run to run.  Calls from several threads into
 * one pool are serialised.  A call made from inside fn (by any thread
 * running a slice of a job of the same pool) runs the whole range inline in
 * that thread, as fn(arg, 0, count, 0): a job of two tasks can thus run two
 * independent op sequences side by side, each single-threaded.  Per-worker
 * scratch must therefore belong to one call, not to the pool.
 * A NULL pool runs everything in the calling thread.
 */
#ifndef SC_POOL_H
#define SC_POOL_H

#include <stdint.h>
#include "sc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_pool sc_pool;
typedef void (*sc_pool_fn)(void *arg, int64_t begin, int64_t end, int worker);

sc_pool *sc_pool_create(int nthreads, sc_err *err);
void sc_pool_destroy(sc_pool *pool);
int sc_pool_size(const sc_pool *pool);       /* 1 for NULL */
void sc_pool_for(sc_pool *pool, int64_t count, sc_pool_fn fn, void *arg);

/* The CPUs this process may use (>= 1), the thread count of 0: the online
 * CPUs, no more than its affinity mask holds (taskset, cpuset), and no
 * more than its cgroup's CPU quota rounded up (cgroup v2 cpu.max, v1
 * cpu.cfs_quota_us / cpu.cfs_period_us, as set by docker --cpus). */
int sc_ncpus(void);

#ifdef __cplusplus
}
#endif
#endif
