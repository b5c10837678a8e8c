/*
 * The worker's context: what praas_init() builds and the layers above use.
 * Private to src/, rma/ and launcher/ (and white-box tests and bench/).
 */
#ifndef PRAAS_CORE_CONTEXT_H
#define PRAAS_CORE_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "transport/transport.h"

/* The configuration in force (valid after praas_init()). */
const core_cfg_t *core_cfg(void);

/* The transport context of this worker; NULL before praas_init(). */
tp_ctx_t *core_tp(void);

/* Active-message ids the core itself uses; the layers above take ids from
 * CORE_AM_FIRST_FREE up to TP_AM_RESERVED - 1. */
enum {
    CORE_AM_PING = 0,     /* connection warm-up */
    CORE_AM_EXCHANGE = 1, /* core_exchange() and core_barrier() */
    CORE_AM_RMA = 2,      /* windows: accumulates, answers, post/complete */
    CORE_AM_MPI = 3,      /* MPI point-to-point (src/mpi/p2p.c) */
    CORE_AM_GMEM = 4,     /* objects: allocation and free at an owner */
    CORE_AM_FIRST_FREE = 5,
};

/* Every worker calls it with a blob of the same length; when it returns,
 * all[r * len .. (r+1) * len) holds rank r's blob, for every rank. A
 * collective over active messages, for setting up (remote keys of a
 * region, say), not for data. PRAAS_ERR_TIMEOUT after timeout_ms.
 * Called by one thread at a time. */
int core_exchange(const void *mine, size_t len, void *all, int timeout_ms);

/* Return when every worker has called it (core_exchange of nothing). */
int core_barrier(int timeout_ms);

/* The view changed (src/gmem/view.c): from now on core_exchange,
 * core_barrier (over the members below praas_size) and the finalize fence
 * run over members[0..n-1]; a rank that is not a member takes part in none
 * of them. Members up to core_world_max() are recorded. The world (ranks,
 * praas_size) does not change. */
int core_view_set(uint64_t number, const int *members, int n);

/* Whether rank is a member of the current view (every rank until the first
 * change). */
int core_is_member(int rank);

/* The rank slots of the process: the starting world (praas_size) plus room
 * for workers that join while it runs (PRAAS_MAX_WORKERS), and at least
 * this rank + 1. Per-rank state that a joiner may touch is sized for it. */
int core_world_max(void);

/* Whether this worker joined a running process (PRAAS_JOIN=1, given by
 * praas-run --elastic): its rank is at or above praas_size, it connected to
 * the members of the view with tp_connect_peer, and it takes part in no
 * core_exchange or core_barrier (they, windows and collectives stay over
 * the starting world); objects and the finalize fence are open to it. */
int core_joined(void);

/* Connect ranks[0..n-1] that are not connected yet (tp_connect_peer) from
 * the addresses of their sessions at the control plane: a member reaching
 * a joiner. Returns 0, PRAAS_ERR_AGAIN when one has not registered yet, or
 * an error of the control plane or the transport. */
int core_connect_ranks(const int *ranks, int n);

/* Run fn in praas_finalize(), before the workers part (last registered,
 * first run); for the layers above core that hold collective resources.
 * Registering the same fn twice runs it once. */
void core_on_finalize(void (*fn)(void));

/* Run fn at the end of every praas_init(), once the transport is connected
 * and before the workers' first barrier (so that a handler fn installs is
 * in place before any peer can use it); for layers whose active messages
 * every worker must answer from the start. Registrations stay across
 * praas_finalize(); registering the same fn twice runs it once. May be
 * called before main (from a constructor). */
void core_on_init(void (*fn)(void));

#endif /* PRAAS_CORE_CONTEXT_H */
