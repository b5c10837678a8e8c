/*
 * Blocking waits on counters in memory shared between processes: the
 * collective window on one node (MAP_SHARED segments, rma/win.c).
 *
 * A waiter spins for a budget of turns (shm_wait_policy_t), then sleeps in
 * the kernel (futex) until a writer rings the bell of the memory it waits
 * on. A bell is 16 bytes in the shared memory itself: `rung` counts the
 * rings, `sleepers` the waiters announced on it. A writer updates its
 * counter, then rings the bell only if someone sleeps (shm_bell_ring), so
 * an update nobody sleeps on stays one CPU atomic and one load.
 *
 * No lost wake-up. The waiter announces itself (sleepers + 1), reads
 * `rung`, checks its condition once more, and only then sleeps, asking the
 * kernel to sleep only while `rung` still holds the value it read. The
 * writer updates the counter, then reads `sleepers`. Both sides use
 * sequentially consistent operations, so in their single total order
 * either the writer's update comes before the waiter's check (the check
 * sees it: no sleep) or the announcement comes before the writer's read of
 * `sleepers` (the writer rings: it adds to `rung` and wakes the sleepers;
 * if that add came before the waiter read `rung`, the check after it sees
 * the update, which came before the add; otherwise the kernel finds
 * `rung` changed, or the waiter already asleep, and wakes it).
 *
 * The futex is on the 32 bits of `rung` that change at each ring: the low
 * half on a little-endian machine, the high half of the memory word on a
 * big-endian one. The kernel compares only those 32 bits, so a waiter
 * could miss exactly 2^32 rings between reading `rung` and sleeping; it
 * would then sleep one time slice (SHM_WAIT_SLICE_MS) and check again.
 * Every sleep is bounded by that slice, so deadlines are noticed even
 * without a ring. The futex is not private: the bell is shared between
 * processes.
 */
#ifndef PRAAS_COLL_SHM_WAIT_H
#define PRAAS_COLL_SHM_WAIT_H

#include <limits.h>
#include <stdint.h>

#include "core/common.h"

/* Longest single sleep: the latest a deadline passed in a sleep is noticed. */
#define SHM_WAIT_SLICE_MS 10
/* Idle turns before blocking: when the node has a CPU per worker, as long
 * as core_backoff spins and yields (CORE_WAIT_LONG in core/wait.h), so
 * short waits keep core_backoff's latency and its 20 µs naps become a
 * sleep; when workers outnumber CPUs, a few pauses (a microsecond or two),
 * so the core goes to the worker that is late. Yielding longer does not do
 * that: on 4 workers on 2 cores, examples/sgd took 2.2-2.8 s per epoch
 * with 256 or 1024 turns (pauses, then yields) before sleeping, 0.9 s with
 * 32 (a busy machine). */
#define SHM_WAIT_LONG 4096u
#define SHM_WAIT_BRIEF 32u

/* How a waiter waits: block_after idle turns of core_backoff(), then
 * sleeps; UINT_MAX never sleeps (core_backoff's naps instead). */
typedef struct shm_wait_policy {
    unsigned block_after;
} shm_wait_policy_t;

typedef struct shm_bell {
    uint64_t rung;     /* rings so far: the futex word (one half of it) */
    uint32_t sleepers; /* waiters between shm_bell_arm and the end of their sleep */
    uint32_t pad;
} shm_bell_t;

/* The policy for mode (PRAAS_COLL_WAIT: "spin", "block" or "auto") on a
 * node with local_size workers sharing cpus CPUs: spin keeps spinning,
 * yielding and napping; block sleeps after SHM_WAIT_BRIEF turns; auto is
 * block when local_size > cpus, else sleeps after SHM_WAIT_LONG turns.
 * Returns 0, or PRAAS_ERR_INVALID naming the mode. Thread-safe. */
int shm_wait_policy_make(const char *mode, long local_size, long cpus,
                         shm_wait_policy_t *pol_p);

/* The CPUs the workers of this node share, as far as this process can
 * tell: the CPUs it may run on (sched_getaffinity), or, when that is a
 * single CPU (a worker bound to a core, praas-run --bind-to core), the
 * CPUs online, over which the launcher spreads the workers. At least 1. */
long shm_wait_cpus(void);

/* Wake every sleeper of b (a ring that found sleepers). */
void shm_bell_wake(shm_bell_t *b);

/* After a sequentially consistent update of a counter whose waiters sleep
 * on b (shm_bump, shm_store): wake them, if any. */
static inline void shm_bell_ring(shm_bell_t *b)
{
    if (PRAAS_UNLIKELY(__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST) != 0))
        shm_bell_wake(b);
}

/* Add one to *word, then ring b. */
static inline void shm_bump(uint64_t *word, shm_bell_t *b)
{
    __atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
    shm_bell_ring(b);
}

/* Store v in *word, then ring b. */
static inline void shm_store(uint64_t *word, uint64_t v, shm_bell_t *b)
{
    __atomic_store_n(word, v, __ATOMIC_SEQ_CST);
    shm_bell_ring(b);
}

/* Read a counter that a waiter checks after shm_bell_arm (sequentially
 * consistent: a plain load on x86, the same instruction as an acquiring
 * load on arm64). */
static inline uint64_t shm_read(const uint64_t *word)
{
    return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}

/* Announce a waiter on b; returns the `rung` value to pass to
 * shm_bell_sleep. The caller then checks its condition (with shm_read) and
 * either sleeps (shm_bell_sleep) or calls shm_bell_disarm. */
static inline uint64_t shm_bell_arm(shm_bell_t *b)
{
    __atomic_fetch_add(&b->sleepers, 1, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&b->rung, __ATOMIC_SEQ_CST);
}

static inline void shm_bell_disarm(shm_bell_t *b)
{
    __atomic_fetch_sub(&b->sleepers, 1, __ATOMIC_SEQ_CST);
}

/* Sleep until b rings after `seen` (shm_bell_arm's value), at most
 * SHM_WAIT_SLICE_MS and not past deadline (core_deadline()); then disarm.
 * May return early (a signal, an unrelated ring): the caller checks again. */
void shm_bell_sleep(shm_bell_t *b, uint64_t seen, uint64_t deadline);

/* Wait until *word >= want, word being rung on b by its writers (shm_bump,
 * shm_store): spin for pol's budget, then sleep. Returns 0, or
 * PRAAS_ERR_TIMEOUT once deadline has passed (the caller names what it
 * waited for). Thread-safe. */
int shm_wait_geq(const uint64_t *word, uint64_t want, shm_bell_t *b,
                 const shm_wait_policy_t *pol, uint64_t deadline);

#endif /* PRAAS_COLL_SHM_WAIT_H */
