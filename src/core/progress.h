/*
 * The asynchronous progress engine (DESIGN.md decision 2): a thread that
 * makes transport progress so that a target never has to call the library
 * for one-sided operations, emulated atomics or active messages to
 * complete. It polls for PRAAS_PROGRESS_SPIN_US after the last event, then
 * sleeps on the transport's wait fd, so an idle worker costs no CPU. Where
 * a backend has none (libfabric shm), it naps instead, from 10 us growing
 * to PRAAS_PROGRESS_NAP_US: a provider that needs the target's progress to
 * complete an origin's operation shows no event at the target, so a long
 * nap there would be a long stall for the origin.
 */
#ifndef PRAAS_CORE_PROGRESS_H
#define PRAAS_CORE_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>

#include "transport/transport.h"

typedef struct core_progress {
    tp_ctx_t *tp;
    pthread_t thread;
    int stop_fd;        /* eventfd that wakes the thread to stop */
    atomic_int stop;
    long spin_ns;
    long max_nap_ns;
    int running;
} core_progress_t;

/* Start the thread on tp: it polls for spin_us after each event, and
 * without a wait fd naps at most max_nap_us. Returns 0 or PRAAS_ERR_*
 * (thread or eventfd creation failed). */
int core_progress_start(core_progress_t *p, tp_ctx_t *tp, long spin_us, long max_nap_us);

/* Stop and join the thread; a no-op if it is not running. */
void core_progress_stop(core_progress_t *p);

#endif /* PRAAS_CORE_PROGRESS_H */
