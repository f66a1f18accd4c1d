/* libsc/core/ncpus.h - the CPUs this process may use, beyond the online
 * count: its affinity mask and its cgroup's CPU bandwidth limit.  Not
 * installed; sc_ncpus (sc/pool.h) takes the smallest of the three.
 *
 * Contract: each function returns a count >= 1, or 0 when there is no
 * limit or it cannot be read or understood (then it is ignored, never an
 * error).  The cgroup functions take their folders and files as arguments
 * so that a test can point them at files of its own.
 */
#ifndef SC_NCPUS_H
#define SC_NCPUS_H

#include "internal.h"

/* CPUs in this process's affinity mask (sched_getaffinity), any number
 * of CPUs. */
SC_HIDDEN int sc_cpu_affinity_count(void);

/* The CPU limit of one cgroup folder: ceil(quota / period) from cpu.max
 * (cgroup v2: "QUOTA PERIOD", or "max PERIOD" for none) or from
 * cpu.cfs_quota_us and cpu.cfs_period_us (v1, quota -1 for none). */
SC_HIDDEN int sc_cgroup_cpu_limit(const char *dir);

/* The smallest limit over the cgroups of a process: self is a file in the
 * format of /proc/self/cgroup ("0::/path" for v2, "N:cpu,cpuacct:/path"
 * for v1), root the cgroup mount point (/sys/fs/cgroup); each cgroup's
 * folder under root and its ancestors up to its hierarchy's root are read,
 * as a parent's limit binds its children.  An unreadable self counts as
 * "0::/" (a container's own cgroup is its namespace's root). */
SC_HIDDEN int sc_cgroup_cpus(const char *root, const char *self);

#endif
