/*
 * Synchronization: flush, fence, post/start/complete/wait, lock/unlock.
 *
 * Costs: a fence is a flush plus one barrier (one round of small
 * messages); post and complete send one small message to each member of
 * the group, start and wait only wait for them; lock and unlock are one
 * remote atomic each (plus retries while the lock is taken), and unlock
 * flushes first.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "core/wait.h"
#include "rma/rma.h"

static int rma_timeout_ms(void)
{
    return (int)core_cfg()->op_timeout_ms;
}

/* Wait for ready(arg), making progress; every wait is bounded. */
static int rma_wait_until(int (*ready)(void *), void *arg, const char *what, praas_win_t win)
{
    int timeout;
    uint64_t deadline;
    core_waiter_t w;
    unsigned turns = 0;
    int rc = 0;

    /* Usually ready at once (no accumulate pending at a flush): then
     * without reading the clock, which costs more than the rest. */
    if (ready(arg))
        return 0;
    timeout = rma_timeout_ms();
    deadline = core_deadline(timeout);
    core_wait_init(&w, core_tp());
    while (!ready(arg)) {
        int n = tp_progress(w.tp);
        if (n < 0) {
            rc = n;
            break;
        }
        core_wait_step(&w, n);
        if ((++turns & 0xff) == 0 && core_expired(deadline)) {
            rc = core_err(PRAAS_ERR_TIMEOUT, "%s: waited %d ms for %s", rma_win_name(win),
                          timeout, what);
            break;
        }
    }
    core_wait_done(&w);
    return rc;
}

static int rma_counter_zero(void *arg)
{
    return atomic_load_explicit((atomic_int *)arg, memory_order_acquire) == 0;
}

int rma_wait_counter(atomic_int *counter, const char *what, praas_win_t win)
{
    return rma_wait_until(rma_counter_zero, counter, what, win);
}

int rma_flush(praas_win_t win, int target, int remote)
{
    tp_ctx_t *tp = core_tp();
    int rc;

    if (win->direct) {
        /* Loads, stores and CPU atomics: a full barrier orders them. */
        atomic_thread_fence(memory_order_seq_cst);
        return 0;
    }
    /* Only puts need the transport's flush: a completed get has read the
     * target, and the accumulate family completes by its answers. The
     * flush comes first: it completes the puts too, so the wait for local
     * completion after it usually finds nothing left (the other order
     * progresses the transport twice for one put). */
    if (remote) {
        int dirty = 0;
        for (int r = target < 0 ? 0 : target; r < (target < 0 ? win->size : target + 1); r++)
            dirty |= win->targets[r].dirty;
        if (dirty) {
            rc = tp_flush(tp, target, rma_timeout_ms());
            if (rc)
                return rc;
            for (int r = target < 0 ? 0 : target; r < (target < 0 ? win->size : target + 1); r++)
                win->targets[r].dirty = 0;
        }
    }
    rc = tp_comp_wait(tp, &win->comp, rma_timeout_ms());
    if (rc)
        return rc;
    /* Accumulate-family answers mean the target applied them. */
    for (int r = target < 0 ? 0 : target; r < (target < 0 ? win->size : target + 1); r++) {
        rc = rma_wait_counter(&win->targets[r].pending, "accumulate answers", win);
        if (rc)
            return rc;
    }
    /* A load first: the locked exchange is for the rare error only. */
    rc = atomic_load_explicit(&win->async_err, memory_order_acquire)
             ? atomic_exchange(&win->async_err, 0)
             : 0;
    if (rc)
        return core_err(rc, "%s: a target refused an earlier operation: %s", rma_win_name(win),
                        praas_strerror(rc));
    return 0;
}

static int rma_check_win(praas_win_t win, const char *what)
{
    if (!win)
        return core_err(PRAAS_ERR_INVALID, "%s: no window", what);
    return 0;
}

static int rma_check_rank(praas_win_t win, int rank, const char *what)
{
    if (rank < 0 || rank >= win->size)
        return core_err(PRAAS_ERR_RANGE, "%s: rank %d is outside %s (ranks 0 to %d)", what,
                        rank, rma_win_name(win), win->size - 1);
    if (win->memb && !rma_is_memb(win, rank))
        return core_err(PRAAS_ERR_RANGE, "%s: rank %d is not a member of %s", what, rank,
                        rma_win_name(win));
    return 0;
}

static int rma_in_passive(praas_win_t win)
{
    return win->locks_held || win->access == RMA_ACCESS_LOCK_ALL;
}

/* ---- fence ---- */

/* The fence's barrier: through the control blocks for shared-memory
 * windows (a dissemination barrier of CPU atomics, no message), else the
 * core's barrier over the transport. */
static int rma_barrier(praas_win_t win)
{
    uint64_t deadline, want;
    unsigned idle;

    if (!win->shm_sync)
        return rma_win_barrier(win);
    deadline = core_deadline(rma_timeout_ms());
    want = ++win->barriers;
    for (int k = 0; (1 << k) < win->nmemb; k++) {
        rma_ctl_t *peer = win->targets[rma_memb(win, (win->me + (1 << k)) % win->nmemb)].ctl;
        __atomic_fetch_add(&peer->bar[k], 1, __ATOMIC_RELEASE);
        for (idle = 0; __atomic_load_n(&win->ctl->bar[k], __ATOMIC_ACQUIRE) < want;) {
            core_backoff(++idle);
            if ((idle & 0xff) == 0 && core_expired(deadline))
                return core_err(PRAAS_ERR_TIMEOUT, "fence on %s: round %d not done in %d ms",
                                rma_win_name(win), k, rma_timeout_ms());
        }
    }
    return 0;
}

PRAAS_API int praas_win_fence(int assert, praas_win_t win)
{
    int rc = rma_check_win(win, "fence");

    if (rc)
        return rc;
    if (win->access == RMA_ACCESS_PSCW || win->exposed || rma_in_passive(win))
        return core_err(PRAAS_ERR_STATE,
                        "fence on %s inside a post/start or lock epoch: end it first",
                        rma_win_name(win));
    if (!(assert & PRAAS_MODE_NOPRECEDE)) {
        rc = rma_flush(win, -1, 1);
        if (rc)
            return rc;
    }
    atomic_thread_fence(memory_order_seq_cst);
    /* The barrier makes every rank's operations of the closing epoch
     * complete before anyone reads, and keeps the next epoch's operations
     * from landing before the target's own accesses of this one. With
     * neither a preceding nor a succeeding epoch there is nothing to order. */
    if ((assert & (PRAAS_MODE_NOPRECEDE | PRAAS_MODE_NOSUCCEED)) !=
        (PRAAS_MODE_NOPRECEDE | PRAAS_MODE_NOSUCCEED)) {
        rc = rma_barrier(win);
        if (rc)
            return rc;
    }
    win->access = assert & PRAAS_MODE_NOSUCCEED ? RMA_ACCESS_NONE : RMA_ACCESS_FENCE;
    return 0;
}

/* ---- post / start / complete / wait ---- */

/* Copy a group after checking its ranks. */
static int rma_group_copy(praas_win_t win, const int *ranks, int n, const char *what,
                          int **copy_p)
{
    int *copy;

    if (n < 0 || n > win->size || (n && !ranks))
        return core_err(PRAAS_ERR_INVALID, "%s: a group of %d ranks at %p", what, n,
                        (const void *)ranks);
    for (int i = 0; i < n; i++) {
        int rc = rma_check_rank(win, ranks[i], what);
        if (rc)
            return rc;
    }
    copy = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!copy)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a group");
    memcpy(copy, ranks, sizeof(int) * (size_t)n);
    *copy_p = copy;
    return 0;
}

typedef struct rma_group_wait {
    atomic_int *counters;
    const int *ranks;
    int n;
} rma_group_wait_t;

static int rma_group_arrived(void *arg)
{
    rma_group_wait_t *g = arg;

    for (int i = 0; i < g->n; i++)
        if (atomic_load_explicit(&g->counters[g->ranks[i]], memory_order_acquire) <= 0)
            return 0;
    return 1;
}

static void rma_group_consume(rma_group_wait_t *g)
{
    for (int i = 0; i < g->n; i++)
        atomic_fetch_sub(&g->counters[g->ranks[i]], 1);
}

PRAAS_API int praas_win_post(const int *ranks, int n, int assert, praas_win_t win)
{
    int rc = rma_check_win(win, "post");

    if (rc)
        return rc;
    if (win->exposed)
        return core_err(PRAAS_ERR_STATE, "post on %s: already exposed, wait first",
                        rma_win_name(win));
    rc = rma_group_copy(win, ranks, n, "post", &win->post_ranks);
    if (rc)
        return rc;
    win->post_n = n;
    /* Local stores to the window come before any origin's access. */
    atomic_thread_fence(memory_order_seq_cst);
    /* With NOCHECK the origins start with NOCHECK too (MPI requires both
     * or neither) and wait for no notice, so none is sent: an unconsumed
     * one would let a later start go ahead too early. */
    for (int i = 0; i < n && !(assert & PRAAS_MODE_NOCHECK); i++) {
        rc = rma_am_send_sync(win, ranks[i], RMA_AM_POST);
        if (rc)
            return rc;
    }
    win->exposed = 1;
    return 0;
}

PRAAS_API int praas_win_start(const int *ranks, int n, int assert, praas_win_t win)
{
    rma_group_wait_t g;
    int rc = rma_check_win(win, "start");

    if (rc)
        return rc;
    if (win->access == RMA_ACCESS_PSCW || rma_in_passive(win))
        return core_err(PRAAS_ERR_STATE, "start on %s inside another access epoch",
                        rma_win_name(win));
    rc = rma_group_copy(win, ranks, n, "start", &win->start_ranks);
    if (rc)
        return rc;
    g = (rma_group_wait_t){win->posts, win->start_ranks, n};
    if (!(assert & PRAAS_MODE_NOCHECK)) {
        rc = rma_wait_until(rma_group_arrived, &g, "the targets' posts", win);
        if (rc) {
            free(win->start_ranks);
            win->start_ranks = NULL;
            return rc;
        }
        rma_group_consume(&g);
    }
    for (int i = 0; i < n; i++)
        win->targets[ranks[i]].in_start = 1;
    win->start_n = n;
    win->access = RMA_ACCESS_PSCW;
    return 0;
}

PRAAS_API int praas_win_complete(praas_win_t win)
{
    int rc = rma_check_win(win, "complete");

    if (rc)
        return rc;
    if (win->access != RMA_ACCESS_PSCW)
        return core_err(PRAAS_ERR_STATE, "complete on %s without start", rma_win_name(win));
    for (int i = 0; i < win->start_n; i++) {
        rc = rma_flush(win, win->start_ranks[i], 1);
        if (rc)
            return rc;
    }
    for (int i = 0; i < win->start_n; i++) {
        int t = win->start_ranks[i];
        rc = rma_am_send_sync(win, t, RMA_AM_COMPLETE);
        if (rc)
            return rc;
        win->targets[t].in_start = 0;
    }
    free(win->start_ranks);
    win->start_ranks = NULL;
    win->start_n = 0;
    win->access = RMA_ACCESS_NONE;
    return 0;
}

static int rma_wait_common(praas_win_t win, int blocking, int *flag_p)
{
    rma_group_wait_t g;
    int rc = rma_check_win(win, blocking ? "wait" : "test");

    if (rc)
        return rc;
    if (!win->exposed)
        return core_err(PRAAS_ERR_STATE, "%s on %s without post", blocking ? "wait" : "test",
                        rma_win_name(win));
    g = (rma_group_wait_t){win->completes, win->post_ranks, win->post_n};
    if (blocking) {
        rc = rma_wait_until(rma_group_arrived, &g, "the origins' completes", win);
        if (rc)
            return rc;
    } else {
        tp_progress(core_tp());
        if (!rma_group_arrived(&g)) {
            *flag_p = 0;
            return 0;
        }
        *flag_p = 1;
    }
    rma_group_consume(&g);
    /* The origins' updates are visible to this rank's loads from now on. */
    atomic_thread_fence(memory_order_seq_cst);
    free(win->post_ranks);
    win->post_ranks = NULL;
    win->post_n = 0;
    win->exposed = 0;
    return 0;
}

PRAAS_API int praas_win_wait(praas_win_t win)
{
    return rma_wait_common(win, 1, NULL);
}

PRAAS_API int praas_win_test(praas_win_t win, int *flag_p)
{
    if (!flag_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_test: NULL flag");
    return rma_wait_common(win, 0, flag_p);
}

/* ---- passive target ---- */

/* One 64-bit atomic on the lock word of target. */
static int rma_lock_atomic(praas_win_t win, int target, tp_aop_t op, uint64_t operand,
                           uint64_t compare, uint64_t *old_p)
{
    rma_target_t *t = &win->targets[target];
    tp_ctx_t *tp = core_tp();
    tp_comp_t comp;
    int rc;

    if (win->direct) {
        uint64_t *word = &t->ctl->lock;
        if (op == TP_AOP_CSWAP) {
            uint64_t expected = compare;
            __atomic_compare_exchange_n(word, &expected, operand, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE);
            *old_p = expected;
        } else {
            *old_p = __atomic_fetch_add(word, operand, __ATOMIC_ACQ_REL);
        }
        return 0;
    }
    tp_comp_init(&comp);
    rc = tp_atomic(tp, target, op, 8, operand, compare, old_p, t->rkey, 0, &comp);
    if (!rc)
        rc = tp_comp_wait(tp, &comp, rma_timeout_ms());
    return rc;
}

static int rma_lock_acquire(praas_win_t win, int target, int type)
{
    uint64_t deadline = core_deadline(rma_timeout_ms()), old;
    int rc;

    for (;;) {
        if (type == PRAAS_LOCK_EXCLUSIVE) {
            rc = rma_lock_atomic(win, target, TP_AOP_CSWAP, RMA_LOCK_EXCL, 0, &old);
            if (rc || old == 0)
                return rc;
        } else {
            rc = rma_lock_atomic(win, target, TP_AOP_ADD, 1, 0, &old);
            if (rc || !(old & RMA_LOCK_EXCL))
                return rc;
            /* A writer holds it: take our count back and retry. */
            rc = rma_lock_atomic(win, target, TP_AOP_ADD, (uint64_t)-1, 0, &old);
            if (rc)
                return rc;
        }
        if (core_expired(deadline))
            return core_err(PRAAS_ERR_TIMEOUT, "lock of rank %d in %s not acquired within %d ms",
                            target, rma_win_name(win), rma_timeout_ms());
        tp_progress(core_tp());
        sched_yield();
    }
}

static int rma_lock_release(praas_win_t win, int target, int type)
{
    uint64_t old;

    /* A fetching atomic completes once applied at the target, so the
     * release is done when this returns: one round trip, no flush. */
    return rma_lock_atomic(win, target, TP_AOP_ADD,
                           type == PRAAS_LOCK_EXCLUSIVE ? (uint64_t)0 - RMA_LOCK_EXCL
                                                        : (uint64_t)-1,
                           0, &old);
}

PRAAS_API int praas_win_lock(int lock_type, int rank, int assert, praas_win_t win)
{
    int rc = rma_check_win(win, "lock");

    if (!rc)
        rc = rma_check_rank(win, rank, "lock");
    if (rc)
        return rc;
    if (lock_type != PRAAS_LOCK_EXCLUSIVE && lock_type != PRAAS_LOCK_SHARED)
        return core_err(PRAAS_ERR_INVALID, "lock type %d: use PRAAS_LOCK_EXCLUSIVE or _SHARED",
                        lock_type);
    if (win->targets[rank].lock_type || win->access == RMA_ACCESS_LOCK_ALL)
        return core_err(PRAAS_ERR_STATE, "rank %d of %s is already locked by this rank", rank,
                        rma_win_name(win));
    if (win->access == RMA_ACCESS_PSCW)
        return core_err(PRAAS_ERR_STATE, "lock on %s inside a start/complete epoch",
                        rma_win_name(win));
    if (!(assert & PRAAS_MODE_NOCHECK)) {
        rc = rma_lock_acquire(win, rank, lock_type);
        if (rc)
            return rc;
    }
    win->targets[rank].lock_type = lock_type;
    win->targets[rank].lock_nocheck = !!(assert & PRAAS_MODE_NOCHECK);
    win->locks_held++;
    return 0;
}

PRAAS_API int praas_win_unlock(int rank, praas_win_t win)
{
    rma_target_t *t;
    int rc = rma_check_win(win, "unlock");

    if (!rc)
        rc = rma_check_rank(win, rank, "unlock");
    if (rc)
        return rc;
    t = &win->targets[rank];
    if (!t->lock_type)
        return core_err(PRAAS_ERR_STATE, "unlock of rank %d in %s without a lock", rank,
                        rma_win_name(win));
    rc = rma_flush(win, rank, 1);
    if (!rc && !t->lock_nocheck)
        rc = rma_lock_release(win, rank, t->lock_type);
    if (rc)
        return rc;
    t->lock_type = 0;
    win->locks_held--;
    return 0;
}

PRAAS_API int praas_win_lock_all(int assert, praas_win_t win)
{
    int rc = rma_check_win(win, "lock_all");

    if (rc)
        return rc;
    if (rma_in_passive(win) || win->access == RMA_ACCESS_PSCW)
        return core_err(PRAAS_ERR_STATE, "lock_all on %s inside another access epoch",
                        rma_win_name(win));
    if (!(assert & PRAAS_MODE_NOCHECK)) {
        for (int i = 0; i < win->nmemb; i++) {
            rc = rma_lock_acquire(win, rma_memb(win, i), PRAAS_LOCK_SHARED);
            if (rc) {
                while (--i >= 0)
                    rma_lock_release(win, rma_memb(win, i), PRAAS_LOCK_SHARED);
                return rc;
            }
        }
    }
    win->lock_all_nocheck = !!(assert & PRAAS_MODE_NOCHECK);
    win->access = RMA_ACCESS_LOCK_ALL;
    return 0;
}

PRAAS_API int praas_win_unlock_all(praas_win_t win)
{
    int rc = rma_check_win(win, "unlock_all");

    if (rc)
        return rc;
    if (win->access != RMA_ACCESS_LOCK_ALL)
        return core_err(PRAAS_ERR_STATE, "unlock_all on %s without lock_all", rma_win_name(win));
    rc = rma_flush(win, -1, 1);
    for (int i = 0; i < win->nmemb && !rc && !win->lock_all_nocheck; i++)
        rc = rma_lock_release(win, rma_memb(win, i), PRAAS_LOCK_SHARED);
    if (rc)
        return rc;
    win->access = RMA_ACCESS_NONE;
    return 0;
}

/* rank < 0 only from the *_all calls: a user's rank is checked. */
static int rma_flush_call(praas_win_t win, int rank, int all, int remote, const char *what)
{
    int rc = rma_check_win(win, what);

    if (!rc && !all)
        rc = rma_check_rank(win, rank, what);
    if (rc)
        return rc;
    if (!rma_in_passive(win))
        return core_err(PRAAS_ERR_STATE, "%s on %s outside a passive-target (lock) epoch", what,
                        rma_win_name(win));
    return rma_flush(win, all ? -1 : rank, remote);
}

PRAAS_API int praas_win_flush(int rank, praas_win_t win)
{
    /* Shared memory, a world window, a passive epoch: only the fence of
     * rma_flush() (the checks of rma_flush_call inline). */
    if (PRAAS_LIKELY(win && win->direct && !win->memb && (unsigned)rank < (unsigned)win->size &&
                     rma_in_passive(win))) {
        atomic_thread_fence(memory_order_seq_cst);
        return 0;
    }
    return rma_flush_call(win, rank, 0, 1, "flush");
}

PRAAS_API int praas_win_flush_all(praas_win_t win)
{
    return rma_flush_call(win, -1, 1, 1, "flush_all");
}

PRAAS_API int praas_win_flush_local(int rank, praas_win_t win)
{
    return rma_flush_call(win, rank, 0, 0, "flush_local");
}

PRAAS_API int praas_win_flush_local_all(praas_win_t win)
{
    return rma_flush_call(win, -1, 1, 0, "flush_local_all");
}

PRAAS_API int praas_win_sync(praas_win_t win)
{
    int rc = rma_check_win(win, "sync");

    if (rc)
        return rc;
    atomic_thread_fence(memory_order_seq_cst);
    return 0;
}
