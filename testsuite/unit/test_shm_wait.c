/*
 * The shared-memory wait of the collectives (src/coll/shm_wait.h) between
 * two processes on a MAP_SHARED mapping, as the collective window is: the
 * policy parser, the fast path, the deadline path, a ping-pong of blocking
 * waits in both directions, a waiter that certainly sleeps (the writer
 * sees it announced before it writes) and is woken by the ring, and
 * counters whose low 32 bits wrap.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coll/shm_wait.h"
#include "core/common.h"
#include "core/error.h"
#include "testsuite/lib/tap.h"

#define ROUNDS 2000
#define WAIT_MS 20000

/* The shared page: two counters, each with the bell its writer rings. */
typedef struct shared {
    uint64_t a, b;
    shm_bell_t bell_a, bell_b;
} shared_t;

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Run fn(sh, pol) in a child; returns the child's pid. */
static pid_t spawn(int (*fn)(shared_t *, const shm_wait_policy_t *), shared_t *sh,
                   const shm_wait_policy_t *pol)
{
    pid_t pid = fork();

    if (pid == 0) {
        alarm(60); /* a hang fails the test, not the harness */
        _exit(fn(sh, pol));
    }
    return pid;
}

/* The child's exit status, or -1. */
static int reap(pid_t pid)
{
    int st;

    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* The child of the ping-pong: wait for a >= k, then bump b, k = 1..ROUNDS. */
static int pong(shared_t *sh, const shm_wait_policy_t *pol)
{
    for (uint64_t k = 1; k <= ROUNDS; k++) {
        if (shm_wait_geq(&sh->a, k, &sh->bell_a, pol, core_deadline(WAIT_MS)))
            return 1;
        shm_bump(&sh->b, &sh->bell_b);
    }
    return 0;
}

/* The writer of the sleep test: nap (the parent spins, then sleeps in
 * slices), wait until the parent is announced on bell_a (asleep, or about
 * to be), then bump a twice: the first bump finds a sleeper and rings. */
static int late_writer(shared_t *sh, const shm_wait_policy_t *pol)
{
    uint64_t deadline = core_deadline(WAIT_MS);

    (void)pol;
    nap_ms(50);
    while (__atomic_load_n(&sh->bell_a.sleepers, __ATOMIC_SEQ_CST) == 0)
        if (core_expired(deadline))
            return 1;
    shm_bump(&sh->a, &sh->bell_a);
    shm_bump(&sh->a, &sh->bell_a);
    return 0;
}

static void reset(shared_t *sh)
{
    memset(sh, 0, sizeof(*sh));
}

int main(void)
{
    shm_wait_policy_t spin, block, pol;
    shared_t *sh;
    uint64_t t0;
    int rc;

    tap_plan(20);

    /* ---- the policy ---- */
    tap_ok(shm_wait_policy_make("spin", 4, 2, &spin) == 0 && spin.block_after == UINT_MAX,
           "spin never sleeps");
    tap_ok(shm_wait_policy_make("block", 1, 8, &block) == 0 &&
               block.block_after == SHM_WAIT_BRIEF,
           "block sleeps after %u turns", SHM_WAIT_BRIEF);
    tap_ok(shm_wait_policy_make("auto", 4, 2, &pol) == 0 && pol.block_after == SHM_WAIT_BRIEF,
           "auto blocks soon with 4 workers on 2 CPUs");
    tap_ok(shm_wait_policy_make("auto", 2, 2, &pol) == 0 && pol.block_after == SHM_WAIT_LONG,
           "auto spins and yields first with 2 workers on 2 CPUs");
    pol.block_after = 7;
    rc = shm_wait_policy_make("sleepy", 2, 2, &pol);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_COLL_WAIT=sleepy") &&
               pol.block_after == 7,
           "an unknown mode is refused by name, the output untouched (%s)", praas_errmsg());
    tap_ok(shm_wait_cpus() >= 1, "shm_wait_cpus counts %ld CPU(s)", shm_wait_cpus());

    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        tap_diag("mmap failed");
        return 1;
    }

    /* ---- fast path and deadline ---- */
    reset(sh);
    sh->a = 5;
    tap_ok(shm_wait_geq(&sh->a, 5, &sh->bell_a, &block, core_deadline(WAIT_MS)) == 0 &&
               sh->bell_a.sleepers == 0,
           "a counter already there returns at once");
    t0 = core_now_ns();
    rc = shm_wait_geq(&sh->a, 6, &sh->bell_a, &block, core_deadline(60));
    tap_ok(rc == PRAAS_ERR_TIMEOUT && core_now_ns() - t0 >= 60000000u,
           "a blocking wait that nobody ends times out after its deadline");
    tap_ok(sh->bell_a.sleepers == 0, "and leaves no sleeper announced");
    rc = shm_wait_geq(&sh->a, 6, &sh->bell_a, &spin, core_deadline(30));
    tap_ok(rc == PRAAS_ERR_TIMEOUT, "a spinning wait times out too");

    /* ---- ping-pong between two processes ---- */
    for (int mode = 0; mode < 2; mode++) {
        const shm_wait_policy_t *p = mode ? &spin : &block;
        const char *name = mode ? "spin" : "block";
        pid_t pid;
        int ok = 1;

        reset(sh);
        pid = spawn(pong, sh, p);
        for (uint64_t k = 1; k <= ROUNDS && ok; k++) {
            shm_bump(&sh->a, &sh->bell_a);
            ok = shm_wait_geq(&sh->b, k, &sh->bell_b, p, core_deadline(WAIT_MS)) == 0;
        }
        tap_ok(ok && reap(pid) == 0, "%s: %d round trips between two processes", name, ROUNDS);
        tap_ok(sh->a == ROUNDS && sh->b == ROUNDS, "%s: both counters at %d", name, ROUNDS);
        tap_ok(sh->bell_a.sleepers == 0 && sh->bell_b.sleepers == 0,
               "%s: no sleeper left announced", name);
    }

    /* ---- a waiter that sleeps is woken by the ring ---- */
    reset(sh);
    {
        pid_t pid = spawn(late_writer, sh, &block);
        rc = shm_wait_geq(&sh->a, 2, &sh->bell_a, &block, core_deadline(WAIT_MS));
        tap_ok(rc == 0 && reap(pid) == 0 && sh->a == 2, "a sleeping waiter sees the late writes");
        tap_ok(sh->bell_a.rung >= 1, "the writer rang the bell (%llu rings)",
               (unsigned long long)sh->bell_a.rung);
    }

    /* ---- the low 32 bits wrap ---- */
    reset(sh);
    sh->a = 0xffffffffu;
    sh->bell_a.rung = 0xffffffffu; /* the first ring wraps the futex word to 0 */
    {
        pid_t pid = spawn(late_writer, sh, &block);
        rc = shm_wait_geq(&sh->a, 0x100000001u, &sh->bell_a, &block, core_deadline(WAIT_MS));
        tap_ok(rc == 0 && reap(pid) == 0 && sh->a == 0x100000001u,
               "a counter that crosses 2^32 ends the wait at its 64-bit value");
        tap_ok(sh->bell_a.rung > 0xffffffffu, "the bell's count crossed 2^32 (%llx)",
               (unsigned long long)sh->bell_a.rung);
    }
    munmap(sh, sizeof(*sh));
    return tap_exit();
}
