/*
 * Passive target with a busy target: the last rank sits in a compute loop
 * that never calls praas until a flag in its window memory is set, while
 * every other rank locks it, puts, accumulates, gets, fetch-and-ops and
 * unlocks, then sets the flag. If any of that needed the target to call
 * the library, the origins would time out and the target would leave its
 * loop on its own deadline: the test checks neither happened. Run on a
 * created window (the transport path) and on an allocated one.
 */
#include <inttypes.h>

#include "testsuite/lib/launched.h"

#define BUSY_LIMIT_MS 30000
#define SLOTS 8

enum { FLAG, COUNTER, DATA };

static void run(int create)
{
    const char *name = create ? "created" : "allocated";
    int target = lt_size - 1, ok = 1, timed_out = 0;
    int64_t *mem, *user = NULL;
    praas_win_t win;

    if (create) {
        user = calloc(SLOTS + lt_size, sizeof(int64_t));
        ok &= lt_report(praas_win_create(user, (SLOTS + lt_size) * sizeof(int64_t),
                                         sizeof(int64_t), &win), "create");
        mem = user;
    } else {
        ok &= lt_report(praas_win_allocate((SLOTS + lt_size) * sizeof(int64_t), sizeof(int64_t),
                                           &mem, &win), "allocate");
        memset(mem, 0, (SLOTS + lt_size) * sizeof(int64_t));
    }
    core_barrier(LT_TIMEOUT_MS);

    if (lt_rank == target) {
        volatile int64_t *flag = &mem[FLAG];
        uint64_t deadline = core_deadline(BUSY_LIMIT_MS), spins = 0;
        /* No praas call in here: plain loads until every origin is done. */
        while (*flag < lt_size - 1) {
            if ((++spins & 0xfffff) == 0 && core_expired(deadline)) {
                timed_out = 1;
                break;
            }
        }
        ok &= !timed_out;
        ok &= mem[COUNTER] == (int64_t)(lt_size - 1) * 10;
        for (int r = 0; r < lt_size - 1; r++)
            ok &= mem[SLOTS + r] == 1000 + r;
    } else {
        int64_t v = 1000 + lt_rank, ten = 10, got = 0, old = -1, one = 1;
        ok &= lt_report(praas_win_lock(PRAAS_LOCK_EXCLUSIVE, target, 0, win), "lock");
        ok &= lt_report(praas_put(&v, 1, PRAAS_INT64, target, SLOTS + lt_rank, win), "put");
        ok &= lt_report(praas_accumulate(&ten, 1, PRAAS_INT64, target, COUNTER, PRAAS_OP_SUM,
                                         win), "accumulate");
        ok &= lt_report(praas_win_flush(target, win), "flush");
        ok &= lt_report(praas_get(&got, 1, PRAAS_INT64, target, SLOTS + lt_rank, win), "get");
        ok &= lt_report(praas_win_unlock(target, win), "unlock");
        ok &= got == v;
        /* Tell the target this origin is done. */
        ok &= lt_report(praas_win_lock(PRAAS_LOCK_SHARED, target, 0, win), "lock");
        ok &= lt_report(praas_fetch_and_op(&one, &old, PRAAS_INT64, target, FLAG, PRAAS_OP_SUM,
                                           win), "fetch_and_op");
        ok &= lt_report(praas_win_unlock(target, win), "unlock");
        ok &= old >= 0 && old < lt_size - 1;
    }
    lt_check(ok, "%s window: lock, put, accumulate, get, fetch_and_op, unlock complete while "
                 "the target computes without calling praas",
             name);
    ok = lt_report(praas_win_free(&win), "free");
    free(user);
    lt_check(ok, "%s window freed", name);
}

int main(void)
{
    lt_init();
    if (lt_size < 2) {
        if (lt_rank == 0)
            tap_skip_all("needs at least 2 workers");
        praas_finalize();
        return 0;
    }
    run(1);
    run(0);
    return lt_finish();
}
