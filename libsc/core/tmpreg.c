/* Temporary output files removed when a signal ends the process (see
 * sc/util.h, sc_tmp_*).
 *
 * This is libsc's one piece of process-wide mutable state, on purpose: a
 * signal handler can reach nothing else.  The table holds pointers to the
 * callers' own temporary names; slots are claimed and released with
 * atomic operations, so a handler running at any moment sees each slot
 * either empty or pointing at a complete name, and only calls unlink(2),
 * which is async-signal-safe. */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include "sc/util.h"

#define NSLOTS 64

static const char *slots[NSLOTS];

/* Replace the first slot holding `from` by `to` (track: NULL -> name;
 * untrack: name -> NULL).  A full table tracks nothing more: that file is
 * then simply not cleaned up on a signal. */
static void swap_slot(const char *from, const char *to)
{
    for (int i = 0; i < NSLOTS; i++) {
        const char *want = from;
        if (__atomic_compare_exchange_n(&slots[i], &want, to, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return;
    }
}

void sc_tmp_track(const char *tmp)
{
    swap_slot(NULL, tmp);
}

void sc_tmp_untrack(const char *tmp)
{
    swap_slot(tmp, NULL);
}

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Runs with all four signals blocked (a second one, such as timeout(1)
 * sending to both the process and its group, must not end the process
 * half-way through the unlinks); the re-raised signal is delivered with
 * its default action as soon as the handler returns. */
static void on_signal(int sig)
{
    for (int i = 0; i < NSLOTS; i++) {
        const char *p = __atomic_load_n(&slots[i], __ATOMIC_SEQ_CST);
        if (p)
            unlink(p);
    }
    /* die of the same signal, so the parent sees how the run ended */
    signal(sig, SIG_DFL);
    raise(sig);
}

void sc_tmp_cleanup_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;   /* an ignored signal (nohup) stays ignored */
        sigaction(sigs[i], &sa, NULL);
    }
}
