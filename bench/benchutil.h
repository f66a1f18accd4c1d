/* bench/benchutil.h - what every benchmark program needs: clocks, a
 * comparator for medians, and the sgemm ceiling of the running machine
 * measured through the backend under test (benchmarks report against it,
 * since the shared machine's speed drifts from run to run).  Not installed. */
#ifndef SC_BENCHUTIL_H
#define SC_BENCHUTIL_H

#include "sc/backend.h"

double bench_now(void);   /* monotonic seconds */
double bench_cpu(void);   /* CPU seconds of every thread of the process */
int bench_cmpd(const void *a, const void *b);   /* qsort of doubles, ascending */

/* sgemm 1024^3 through backend (be, bc), one warm-up then 5 timed calls:
 * returns the best wall GFLOP/s; *per_cpu (may be NULL) gets GFLOP per
 * CPU-second over the 5 calls.  0 if the buffers cannot be had. */
double bench_sgemm_ceiling(const sc_backend_vt *be, void *bc, double *per_cpu);

#endif
