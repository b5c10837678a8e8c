/*
 * The context's private part, shared by context.c (init, finalize,
 * bootstrap, join, view) and exchange.c (the set-up collectives and the
 * agreement on them at a view change). Nothing else includes it.
 */
#ifndef PRAAS_CORE_CONTEXT_PRIV_H
#define PRAAS_CORE_CONTEXT_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/progress.h"
#include "transport/transport.h"

/* A message of core_exchange() that arrived before its receiver reached
 * that exchange (a fast peer is already one ahead, or in the next view). */
typedef struct core_xmsg {
    struct core_xmsg *next;
    uint64_t view, round, sub;
    int src;
    size_t len;
    unsigned char data[];
} core_xmsg_t;

/* An exchange is named by the view it runs in, the unit (one
 * core_exchange, or a core_exchange_begin .. end) counted from 1 in that
 * view, and its place in the unit. */
typedef struct core_xhdr {
    uint64_t view, round, sub;
} core_xhdr_t;

typedef struct core_ctx {
    core_cfg_t cfg;
    tp_ctx_t *tp;
    core_progress_t progress;
    char *describe;
    /* core_exchange() state: the handler queues, the caller consumes. */
    pthread_mutex_t xlock;
    core_xmsg_t *xqueue;
    atomic_uint xarrived; /* messages queued so far (the waiter's cue to collect) */
    /* The units of exchanges and the agreement at a view change, under
     * gate_lock: units started in the current view, the one under way
     * (its view and its exchanges so far), and the change announced (to
     * view xnext: units may start while xround < xtarget once the target
     * is known, then wait until the view is installed). */
    pthread_mutex_t gate_lock;
    uint64_t xround;
    uint64_t xview, xsub;
    int xdepth;
    uint64_t xnext, xtarget;
    int xtarget_known;
    /* The members of the current view (one flag per rank of the world):
     * core_exchange and the finalize fence run over them. All at start. */
    atomic_uchar *member;
    atomic_uint_least64_t view;
    int world_max;         /* rank slots: member[] and linked[] (core_world_max) */
    int joined;            /* PRAAS_JOIN: this worker joined a running process */
    uint64_t join_view;    /* the view that adds it */
    unsigned char *linked; /* peers connected (tp_connect or tp_connect_peer) */
    pthread_mutex_t link_lock; /* serializes core_connect_ranks */
} core_ctx_t;

/* The context of praas_init (NULL before and after). */
extern core_ctx_t *core_self;

/* Held by core_view_set and the agreement calls while they use the
 * context, and by praas_finalize while it takes the context away: the
 * thread that follows the view may still report a change while a worker
 * finalizes. */
extern pthread_mutex_t core_view_lock;

/* The active-message handler of core_exchange (arg: the context). */
void core_exchange_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                           const void *payload, size_t payload_len);

#endif /* PRAAS_CORE_CONTEXT_PRIV_H */
