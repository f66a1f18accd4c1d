/* The CPUs this process may use: affinity mask and cgroup CPU limit (see
 * ncpus.h).  A container shown 64 online CPUs but given two of them, or a
 * quota of two CPUs, would otherwise run 64 threads that preempt each other. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ncpus.h"

int sc_cpu_affinity_count(void)
{
#ifdef CPU_COUNT_S
    /* The kernel refuses (EINVAL) a mask smaller than its own: grow it. */
    for (int ncpu = 1024; ncpu <= (1 << 22); ncpu *= 2) {
        cpu_set_t *set = CPU_ALLOC(ncpu);
        if (!set)
            return 0;
        size_t size = CPU_ALLOC_SIZE(ncpu);
        if (sched_getaffinity(0, size, set) == 0) {
            int n = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return n > 0 ? n : 0;
        }
        int e = errno;
        CPU_FREE(set);
        if (e != EINVAL)
            return 0;
    }
#endif
    return 0;
}

/* Reads the first line of dir/name into buf; 0 on success. */
static int read_line(const char *dir, const char *name, char *buf, size_t size)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *got = fgets(buf, (int)size, f);
    fclose(f);
    return got ? 0 : -1;
}

/* A non-negative decimal number, alone up to trailing blanks when end is
 * NULL; -1 otherwise. */
static long long parse_count(const char *s, const char **end)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *e;
    long long v = strtoll(s, &e, 10);
    if (errno)
        return -1;
    if (end)
        *end = e;
    else
        while (*e)
            if (!strchr(" \t\r\n", *e++))
                return -1;
    return v;
}

static int ceil_ratio(long long quota, long long period)
{
    if (quota <= 0 || period <= 0)
        return 0;
    long long n = quota / period + (quota % period != 0);
    return n > INT_MAX ? INT_MAX : (int)n;
}

int sc_cgroup_cpu_limit(const char *dir)
{
    char a[128], b[128];
    if (read_line(dir, "cpu.max", a, sizeof a) == 0) {
        if (!strncmp(a, "max", 3) && strchr(" \t\r\n", a[3]))
            return 0;
        const char *p;
        long long quota = parse_count(a, &p);
        if (quota < 0 || (*p != ' ' && *p != '\t'))
            return 0;
        return ceil_ratio(quota, parse_count(p + strspn(p, " \t"), NULL));
    }
    if (read_line(dir, "cpu.cfs_quota_us", a, sizeof a) == 0 &&
        read_line(dir, "cpu.cfs_period_us", b, sizeof b) == 0)
        return ceil_ratio(parse_count(a, NULL), parse_count(b, NULL));
    return 0;
}

/* Takes limit into *best when it is tighter. */
static void tighten(int *best, int limit)
{
    if (limit > 0 && (*best == 0 || limit < *best))
        *best = limit;
}

/* base is a hierarchy's root folder, path a cgroup ("/" or "/a/b") in it:
 * the tightest limit from base+path up to base. */
static int walk_up(const char *base, const char *path)
{
    char dir[PATH_MAX];
    size_t blen = strlen(base);
    if (snprintf(dir, sizeof dir, "%s%s", base, path) >= (int)sizeof dir)
        return 0;
    int best = 0;
    for (;;) {
        size_t len = strlen(dir);
        while (len > blen && dir[len - 1] == '/')
            dir[--len] = '\0';
        tighten(&best, sc_cgroup_cpu_limit(dir));
        if (len <= blen)
            return best;
        char *slash = strrchr(dir + blen, '/');
        if (!slash)
            *(dir + blen) = '\0';
        else
            *slash = '\0';
    }
}

int sc_cgroup_cpus(const char *root, const char *self)
{
    FILE *f = fopen(self, "r");
    if (!f)
        return walk_up(root, "/");
    int best = 0;
    char line[PATH_MAX + 256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* hierarchy-id:controllers:path */
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c2[1] != '/')
            continue;
        *c2 = '\0';
        const char *ctrl = c1 + 1, *path = c2 + 1;
        char base[PATH_MAX];
        if (!*ctrl) {               /* v2: the unified hierarchy */
            if (snprintf(base, sizeof base, "%s", root) >= (int)sizeof base)
                continue;
        } else {                    /* v1: only the hierarchy with cpu */
            int cpu = 0;
            for (const char *p = ctrl; *p; p += strcspn(p, ","), p += *p == ',')
                cpu |= strcspn(p, ",") == 3 && !strncmp(p, "cpu", 3);
            if (!cpu || snprintf(base, sizeof base, "%s/%s", root, ctrl) >= (int)sizeof base)
                continue;
        }
        tighten(&best, walk_up(base, path));
    }
    fclose(f);
    return best;
}
