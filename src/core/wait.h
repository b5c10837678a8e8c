/*
 * Waiting while progressing the transport, without fighting the progress
 * thread: a thread in a wait loop that calls tp_progress() holds the
 * progress thread off (tp_wait_begin) while it spins or yields, so two
 * threads never poll one context at once; once the wait gets long it lets
 * go and naps, so the progress thread serves the peers again (a target
 * waiting in a fence still answers the origins promptly).
 *
 *   core_waiter_t w;
 *   core_wait_init(&w, tp);
 *   while (!done) core_wait_step(&w, tp_progress(tp));
 *   core_wait_done(&w);
 */
#ifndef PRAAS_CORE_WAIT_H
#define PRAAS_CORE_WAIT_H

#include "core/common.h"
#include "transport/transport.h"

/* Turns of spinning and yielding before a wait counts as long. */
#define CORE_WAIT_LONG 4096u

typedef struct core_waiter {
    tp_ctx_t *tp;
    unsigned idle;
    int holding;
} core_waiter_t;

static inline void core_wait_init(core_waiter_t *w, tp_ctx_t *tp)
{
    w->tp = tp;
    w->idle = 0;
    w->holding = 0;
}

/* One turn of the loop; events is what tp_progress() returned (or any
 * count of things that happened: 0 when nothing did). */
static inline void core_wait_step(core_waiter_t *w, int events)
{
    w->idle = events > 0 ? 0 : w->idle + 1;
    if (w->idle < CORE_WAIT_LONG) {
        if (!w->holding) {
            tp_wait_begin(w->tp);
            w->holding = 1;
        }
        core_backoff(w->idle);
        return;
    }
    if (w->holding) {
        tp_wait_end(w->tp);
        w->holding = 0;
    }
    core_backoff(w->idle);
}

static inline void core_wait_done(core_waiter_t *w)
{
    if (w->holding) {
        tp_wait_end(w->tp);
        w->holding = 0;
    }
}

#endif /* PRAAS_CORE_WAIT_H */
