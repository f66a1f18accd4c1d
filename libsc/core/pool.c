/* A fixed thread pool running static splits of a range (see sc/pool.h).
 * The split is by thread index only, so a loop's work assignment (and
 * therefore any per-thread partial result) is reproducible. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "sc/pool.h"
#include "ncpus.h"

struct sc_pool {
    int n;                      /* threads including the caller */
    pthread_t *tid;
    pthread_mutex_t mu;         /* guards the job fields below */
    pthread_cond_t go, done;
    pthread_mutex_t call;       /* serialises sc_pool_for callers */
    uint64_t gen;               /* job generation */
    int pending;                /* workers still running the job */
    int quit;
    int busy;                   /* a job is running ... */
    pthread_t owner;            /* ... started by this thread */
    sc_pool_fn fn;
    void *arg;
    int64_t count;
};

typedef struct {
    sc_pool *pool;
    int index;
} worker_arg;

static void run_slice(sc_pool *p, int w)
{
    int64_t b = p->count * w / p->n, e = p->count * (w + 1) / p->n;
    if (e > b)
        p->fn(p->arg, b, e, w);
}

static void *worker(void *v)
{
    worker_arg *wa = v;
    sc_pool *p = wa->pool;
    int w = wa->index;
    free(wa);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        run_slice(p, w);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int sc_ncpus(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int n = online > 0 ? (online > INT_MAX ? INT_MAX : (int)online) : 1;
    int mask = sc_cpu_affinity_count();
    int quota = sc_cgroup_cpus("/sys/fs/cgroup", "/proc/self/cgroup");
    if (mask > 0 && mask < n)
        n = mask;
    if (quota > 0 && quota < n)
        n = quota;
    return n;
}

sc_pool *sc_pool_create(int nthreads, sc_err *err)
{
    if (nthreads <= 0)
        nthreads = sc_ncpus();
    if (nthreads > 1024) {
        sc_err_set(err, SC_EARG, "thread pool: %d threads is too many", nthreads);
        return NULL;
    }
    sc_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->tid = calloc((size_t)nthreads, sizeof *p->tid))) {
        free(p);
        sc_err_set(err, SC_ENOMEM, "thread pool: out of memory");
        return NULL;
    }
    p->n = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->call, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < nthreads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || (wa->pool = p, wa->index = i,
                    pthread_create(&p->tid[i], NULL, worker, wa) != 0)) {
            free(wa);
            p->n = i;   /* only threads 1..i-1 exist */
            sc_pool_destroy(p);
            sc_err_set(err, SC_ENOMEM, "thread pool: cannot start thread %d", i);
            return NULL;
        }
    }
    return p;
}

void sc_pool_destroy(sc_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->tid[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->call);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->tid);
    free(p);
}

int sc_pool_size(const sc_pool *p)
{
    return p ? p->n : 1;
}

/* 1 if the calling thread is running a slice of a job of p: a nested
 * sc_pool_for must then run inline (the pool is busy with its caller). */
static int nested(sc_pool *p)
{
    pthread_t self = pthread_self();
    for (int i = 1; i < p->n; i++)
        if (pthread_equal(p->tid[i], self))
            return 1;
    pthread_mutex_lock(&p->mu);
    int r = p->busy && pthread_equal(p->owner, self);
    pthread_mutex_unlock(&p->mu);
    return r;
}

void sc_pool_for(sc_pool *p, int64_t count, sc_pool_fn fn, void *arg)
{
    if (count <= 0)
        return;
    if (!p || p->n == 1 || count == 1 || nested(p)) {
        fn(arg, 0, count, 0);
        return;
    }
    pthread_mutex_lock(&p->call);
    pthread_mutex_lock(&p->mu);
    p->busy = 1;
    p->owner = pthread_self();
    p->fn = fn;
    p->arg = arg;
    p->count = count;
    p->pending = p->n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    run_slice(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    p->busy = 0;
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->call);
}
