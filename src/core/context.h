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

/* Every member of the current view calls it with a blob of the same
 * length; when it returns, all[r * len .. (r+1) * len) holds member r's
 * blob, for every member r (a world rank: all has room for the largest
 * member + 1, which core_world_max() ranks always are; entries of other
 * ranks are left alone). A collective over active messages, for setting up
 * (remote keys of a region, say), not for data. PRAAS_ERR_TIMEOUT after
 * timeout_ms. Called by one thread at a time.
 *
 * Exchanges are counted per view in units (one core_exchange, or the
 * exchanges between core_exchange_begin and core_exchange_end); a worker's
 * count restarts at 0 when it installs a new view (a joiner starts in the
 * view that adds it). When a change is announced, every member of the old
 * view reports its count (core_view_freeze, src/gmem/view.c); the largest
 * is the target T (core_view_target): a unit numbered up to T runs in the
 * old view, the next waits at its start until the new view is installed
 * (PRAAS_ERR_TIMEOUT naming the view after timeout_ms), so that nobody is
 * left in an exchange of the old view while the others start the new. */
int core_exchange(const void *mine, size_t len, void *all, int timeout_ms);

/* Return when every member of the view has called it (core_exchange of
 * nothing). */
int core_barrier(int timeout_ms);

/* A unit of several exchanges that all run in one view (the creation of a
 * window): begin counts one unit for the agreement (waiting as
 * core_exchange does at a change) and gives the view it runs in; each
 * core_exchange_in(view, ...) then runs over that view's members; end
 * closes the unit. Units nest (an inner begin joins the outer unit). */
int core_exchange_begin(uint64_t *view_p, int timeout_ms);
void core_exchange_end(void);

/* core_exchange over the members of view, which must be the view
 * installed (PRAAS_ERR_STATE naming both otherwise: the members of a
 * window of an earlier view have changed). Outside a unit it is a unit of
 * its own. */
int core_exchange_in(uint64_t view, const void *mine, size_t len, void *all, int timeout_ms);

/* The view changed (src/gmem/view.c): from now on core_exchange,
 * core_barrier and the finalize fence run over members[0..n-1]; a rank
 * that is not a member takes part in none of them. Members up to
 * core_world_max() are recorded. The count of units restarts at 0 and the
 * exchanges waiting for the view start. The world (ranks, praas_size)
 * does not change. */
int core_view_set(uint64_t number, const int *members, int n);

/* A change to view next is announced: from now on no unit starts before
 * the target is known (core_view_target); *rounds_p is the number of
 * units this worker started in the installed view (0 once praas_finalize
 * has taken the context away), the count it reports. Repeatable. */
int core_view_freeze(uint64_t next, uint64_t *rounds_p);

/* The target of the change to view next is known: units may start while
 * fewer than target have in the installed view. */
void core_view_target(uint64_t next, uint64_t target);

/* Wait until this worker started target units of the installed view and
 * none is under way (or view next is installed). PRAAS_ERR_TIMEOUT, naming
 * the counts, after timeout_ms. Called by the view thread before it
 * acknowledges. */
int core_view_drain(uint64_t next, uint64_t target, int timeout_ms);

/* The number of the view installed (0 until the first change). */
uint64_t core_view(void);

/* The members of the view installed, ascending world ranks: the first cap
 * into ranks, their number into *n_p. */
int core_view_members(int *ranks, int cap, int *n_p);

/* Whether rank is a member of the current view (every rank until the first
 * change). */
int core_is_member(int rank);

/* The rank slots of the process: the starting world (praas_size) plus room
 * for workers that join while it runs (PRAAS_MAX_WORKERS), and at least
 * this rank + 1. Per-rank state that a joiner may touch is sized for it. */
int core_world_max(void);

/* Whether this worker joined a running process (PRAAS_JOIN=1, given by
 * praas-run --elastic): its rank is at or above praas_size, it connected to
 * the members of the view with tp_connect_peer, and its praas_init returns
 * in the view that adds it; from then on it takes part in core_exchange,
 * core_barrier, windows and the finalize fence like every member. */
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
