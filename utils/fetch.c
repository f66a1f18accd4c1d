/* Downloads for sc-model fetch: curl in a child process, polled for
 * progress (see fetch.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"

const char *sc_fetch_size_str(uint64_t bytes, char *buf, size_t n)
{
    double b = (double)bytes;
    if (b >= 1e9)
        snprintf(buf, n, "%.2f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, n, "%.0f MB", b / 1e6);
    else if (b >= 1e3)
        snprintf(buf, n, "%.1f kB", b / 1e3);
    else
        snprintf(buf, n, "%llu B", (unsigned long long)bytes);
    return buf;
}

int sc_fetch_find_curl(char *curl, size_t n, sc_err *err)
{
    const char *env = getenv("SC_CURL");
    if (env && *env) {
        snprintf(curl, n, "%s", env);
        return SC_OK;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len && snprintf(curl, n, "%.*s/curl", (int)len, path) < (int)n &&
            access(curl, X_OK) == 0)
            return SC_OK;
        path += len + (path[len] == ':');
    }
    return sc_err_set(err, SC_EUNSUPPORTED, "curl not found: install curl "
                      "(apt-get install curl) to download the model, or set SC_CURL");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void show_progress(const sc_tool *t, const char *name, uint64_t have, uint64_t start,
                          uint64_t expect, double elapsed)
{
    char a[32], b[32], r[32];
    double rate = elapsed > 0 ? (double)(have - start) / elapsed : 0;
    sc_fetch_size_str(have, a, sizeof a);
    sc_fetch_size_str((uint64_t)rate, r, sizeof r);
    if (expect) {
        /* expect is an estimate: never claim 100 % before curl is done */
        int pct = have >= expect ? 99 : (int)(100.0 * (double)have / (double)expect);
        sc_tool_progress(t, "%s %3d%% %s of %s, %s/s", name, pct, a,
                         sc_fetch_size_str(expect, b, sizeof b), r);
    } else {
        sc_tool_progress(t, "%s %s, %s/s", name, a, r);
    }
}

int sc_fetch_file(const sc_tool *t, const char *curl, const char *url, const char *part,
                  uint64_t expect, sc_err *err)
{
    const char *argv[] = { curl, "-fL", "-C", "-", "--retry", "3", "-sS", "-o", part, "--",
                           url, NULL };
    const char *name = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
    uint64_t start = file_size(part);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return sc_err_set(err, SC_EIO, "cannot start %s: %s", curl, strerror(errno));
    if (pid == 0) {
        execvp(curl, (char *const *)argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", t->prog, curl, strerror(errno));
        _exit(127);
    }
    int status, shown = 0;
    double t0 = now(), last = t0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return sc_err_set(err, SC_EIO, "waiting for %s: %s", curl, strerror(errno));
        struct timespec nap = { 0, 100 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        double tn = now();
        if (tn - last >= 0.5) {
            show_progress(t, name, file_size(part), start, expect, tn - t0);
            last = tn;
            shown = 1;
        }
    }
    if (shown)
        sc_tool_progress_end(t);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return SC_OK;
    struct stat st;
    if (stat(part, &st) == 0 && st.st_size == 0)
        unlink(part);
    if (WIFEXITED(status))
        return sc_err_set(err, SC_EIO, "%s: download failed (curl exit status %d); run again "
                          "to resume", url, WEXITSTATUS(status));
    return sc_err_set(err, SC_EIO, "%s: download interrupted (signal %d); run again to resume",
                      url, WTERMSIG(status));
}
