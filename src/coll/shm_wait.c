/*
 * Blocking waits on shared-memory counters: the futex calls and the
 * policy (shm_wait.h).
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "coll/shm_wait.h"
#include "core/error.h"

/* The 32 bits of b->rung that change at every ring. */
static uint32_t *bell_word(shm_bell_t *b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (uint32_t *)&b->rung;
#else
    return (uint32_t *)&b->rung + 1;
#endif
}

int shm_wait_policy_make(const char *mode, long local_size, long cpus,
                         shm_wait_policy_t *pol_p)
{
    shm_wait_policy_t pol;

    if (!mode || !strcmp(mode, "auto"))
        pol.block_after = local_size > cpus ? SHM_WAIT_BRIEF : SHM_WAIT_LONG;
    else if (!strcmp(mode, "block"))
        pol.block_after = SHM_WAIT_BRIEF;
    else if (!strcmp(mode, "spin"))
        pol.block_after = UINT_MAX;
    else
        return core_err(PRAAS_ERR_INVALID, "PRAAS_COLL_WAIT=%s: use spin, block or auto", mode);
    *pol_p = pol;
    return 0;
}

long shm_wait_cpus(void)
{
    cpu_set_t set;
    long n = 0, online;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 1) {
        online = sysconf(_SC_NPROCESSORS_ONLN);
        if (online > n)
            n = online;
    }
    return n > 0 ? n : 1;
}

void shm_bell_wake(shm_bell_t *b)
{
    __atomic_fetch_add(&b->rung, 1, __ATOMIC_SEQ_CST);
    /* Not FUTEX_PRIVATE_FLAG: the sleepers are other processes. */
    syscall(SYS_futex, bell_word(b), FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void shm_bell_sleep(shm_bell_t *b, uint64_t seen, uint64_t deadline)
{
    uint64_t ns = (uint64_t)SHM_WAIT_SLICE_MS * 1000000u, now;
    struct timespec ts;

    if (deadline != UINT64_MAX) {
        now = core_now_ns();
        ns = deadline <= now ? 0 : PRAAS_MIN(ns, deadline - now);
    }
    if (ns) {
        ts.tv_sec = (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        /* Sleeps only while the word still holds the low (changing) bits
         * of `seen`; EAGAIN (it changed), EINTR and ETIMEDOUT all mean:
         * look again. */
        syscall(SYS_futex, bell_word(b), FUTEX_WAIT, (uint32_t)seen, &ts, NULL, 0);
    }
    shm_bell_disarm(b);
}

int shm_wait_geq(const uint64_t *word, uint64_t want, shm_bell_t *b,
                 const shm_wait_policy_t *pol, uint64_t deadline)
{
    unsigned idle = 0;
    uint64_t seen;

    for (;;) {
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) >= want)
            return 0;
        if (idle < pol->block_after) {
            core_backoff(++idle);
            if ((idle & 0xff) == 0 && core_expired(deadline))
                return PRAAS_ERR_TIMEOUT;
            continue;
        }
        seen = shm_bell_arm(b);
        if (shm_read(word) >= want) {
            shm_bell_disarm(b);
            return 0;
        }
        shm_bell_sleep(b, seen, deadline);
        if (core_expired(deadline))
            return shm_read(word) >= want ? 0 : PRAAS_ERR_TIMEOUT;
    }
}
