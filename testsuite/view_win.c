/*
 * view_win: windows over the current view, a joiner included (DESIGN.md
 * decision 8; run by testsuite/gmem_view.sh under praas-run --elastic -n 3;
 * TAP from rank 0, failures of the others on stderr).
 *
 * 1. Ranks 0, 1 and 2 allocate and free a window in a loop (each creation
 *    is several core exchanges); rank 0 sends SIGUSR1 to praas-run after 10
 *    of them, so the join of rank 3 happens while the loop runs. Windows
 *    created before view 1 is installed have 3 members, after it 4: the
 *    agreement on the exchanges of view 0 makes every member switch at the
 *    same window (no deadlock, no timeout). Every rank, the joiner from its
 *    first window on, loops until it has freed 20 windows of 4 members.
 * 2. In view 1 = {0, 1, 2, 3}, all four allocate a window: every rank puts
 *    its rank into its slot at every member and adds 1 to a counter there,
 *    under lock_all / flush_all / unlock_all, then again (rank + 100, a
 *    second counter) between fences. Each target checks its slots and both
 *    counters (4); the verdicts are exchanged (core_exchange over the view).
 *    The window is kept.
 * 3. Rank 0 sends SIGUSR2: the highest rank, the joiner, leaves. Every rank
 *    (the joiner too) finds the window of view 1 unusable (a fence is
 *    PRAAS_ERR_STATE) and frees it alone. In view 2 = {0, 1, 2} the three
 *    create a window and check the same with 3; rank 3 is outside it
 *    (PRAAS_ERR_RANGE).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas.h>

#include "core/context.h"
#include "testsuite/lib/view_test.h"

#define JOINER 3
#define SLOTS 8      /* a slot per world rank (PRAAS_MAX_WORKERS is 4 here) */
#define AFTER 20     /* windows of the joined view each rank creates in step 1 */
#define WAIT_S 60

/* Wait until view `want` with n members is installed here; returns 1 if
 * it is. */
static int wait_view(uint64_t want, int n_want)
{
    uint64_t view = 0;
    int members[SLOTS], n = 0;

    wait_view_get(want, &view, members, SLOTS, &n);
    return view == want && n == n_want;
}

/* Step 1: windows in a loop across the join. Returns the windows made. */
static int window_loop(int *before_p)
{
    double end = now_s() + WAIT_S;
    int made = 0, after = 0, before = 0, rc = 0;

    while (after < AFTER) {
        praas_win_t win = PRAAS_WIN_NULL;
        void *base;
        int n = 0;

        if (now_s() > end) {
            tap_line(0, "rank %d: %d windows of 4 members within %d s (%d made)", rank, AFTER,
                     WAIT_S, made);
            return made;
        }
        rc = praas_win_allocate(64, 1, &base, &win);
        if (!rc)
            rc = praas_win_group_size(win, &n);
        if (!rc)
            rc = praas_win_free(&win);
        if (rc) {
            tap_line(0, "rank %d: window %d of the loop: %s", rank, made, praas_errmsg());
            return made;
        }
        made++;
        if (n == JOINER + 1)
            after++;
        else if (n == JOINER && after == 0)
            before++;
        else {
            tap_line(0, "rank %d: window %d of the loop has %d members", rank, made, n);
            return made;
        }
        if (rank == 0 && made == 10)
            kill(getppid(), SIGUSR1);
    }
    *before_p = before;
    return made;
}

/* Steps 2 and 3: a window over the n members of the view installed;
 * returns 1 if every check passed here. With keep, the window is kept
 * there instead of freed. */
static int window_check(int n, const int *members, const char *when, praas_win_t *keep)
{
    praas_win_t win = PRAAS_WIN_NULL;
    uint64_t *mem, one = 1, mine = (uint64_t)rank, mine2 = (uint64_t)rank + 100;
    int ok = 1, gsize = 0, rc;

    rc = praas_win_allocate(2 * SLOTS * 8 + 16, 8, &mem, &win);
    if (rc) {
        tap_line(0, "rank %d: %s: praas_win_allocate: %s", rank, when, praas_errmsg());
        return 0;
    }
    memset(mem, 0, 2 * SLOTS * 8 + 16);
    praas_win_group_size(win, &gsize);
    ok &= gsize == n;
    /* Nobody writes before every target has zeroed its memory. */
    rc = praas_win_fence(PRAAS_MODE_NOSUCCEED, win);
    /* Passive target: lock_all, put, accumulate, flush, unlock. */
    if (!rc)
        rc = praas_win_lock_all(0, win);
    for (int i = 0; i < n && !rc; i++) {
        rc = praas_put(&mine, 1, PRAAS_UINT64, members[i], (size_t)rank, win);
        if (!rc)
            rc = praas_accumulate(&one, 1, PRAAS_UINT64, members[i], 2 * SLOTS, PRAAS_OP_SUM,
                                  win);
    }
    if (!rc)
        rc = praas_win_flush_all(win);
    if (!rc)
        rc = praas_win_unlock_all(win);
    /* Active target: the same between fences. */
    if (!rc)
        rc = praas_win_fence(0, win);
    for (int i = 0; i < n && !rc; i++) {
        rc = praas_put(&mine2, 1, PRAAS_UINT64, members[i], SLOTS + (size_t)rank, win);
        if (!rc)
            rc = praas_accumulate(&one, 1, PRAAS_UINT64, members[i], 2 * SLOTS + 1,
                                  PRAAS_OP_SUM, win);
    }
    if (!rc)
        rc = praas_win_fence(PRAAS_MODE_NOSUCCEED, win);
    if (rc) {
        tap_line(0, "rank %d: %s: epochs: %s", rank, when, praas_errmsg());
        ok = 0;
    } else {
        for (int i = 0; i < n; i++)
            ok &= mem[members[i]] == (uint64_t)members[i] &&
                  mem[SLOTS + members[i]] == (uint64_t)members[i] + 100;
        ok &= mem[2 * SLOTS] == (uint64_t)n && mem[2 * SLOTS + 1] == (uint64_t)n;
        if (!ok)
            fprintf(stderr, "rank %d: %s: group %d, counters %llu %llu\n", rank, when, gsize,
                    (unsigned long long)mem[2 * SLOTS], (unsigned long long)mem[2 * SLOTS + 1]);
    }
    if (n == JOINER && rank == 0) {
        /* The rank that left is outside this window. */
        rc = praas_win_lock_all(0, win);
        if (!rc) {
            int prc = praas_put(&mine, 1, PRAAS_UINT64, JOINER, 0, win);
            tap_line(prc == PRAAS_ERR_RANGE, "%s: a put to rank %d, which left, is "
                     "PRAAS_ERR_RANGE (%s)", when, JOINER, praas_errmsg());
            rc = praas_win_unlock_all(win);
        }
        ok &= rc == 0;
    }
    if (keep) {
        *keep = win;
        return ok;
    }
    if (praas_win_free(&win)) {
        tap_line(0, "rank %d: %s: praas_win_free: %s", rank, when, praas_errmsg());
        ok = 0;
    }
    return ok;
}

/* A window of view 1 once view 2 is installed: its fences fail, it frees
 * without a barrier. */
static void old_window(praas_win_t *win)
{
    int frc = praas_win_fence(0, *win), rc = praas_win_free(win);

    tap_line(frc == PRAAS_ERR_STATE && rc == 0 && *win == PRAAS_WIN_NULL,
             "rank %d: a window of view 1 after the change: fence is PRAAS_ERR_STATE, free "
             "succeeds alone (%d, %d)", rank, frc, rc);
}

/* Every member's verdict, through core_exchange over the view. */
static void verdicts(int ok, int n, const int *members, const char *when)
{
    unsigned char all[SLOTS] = {0}, mine = (unsigned char)(ok ? 1 : 2);
    int good = 1, rc;

    rc = core_exchange(&mine, 1, all, WAIT_S * 1000);
    for (int i = 0; i < n; i++)
        good &= all[members[i]] == 1;
    tap_line(!rc && good, "%s: every one of the %d members sees its slots hold the ranks and "
             "both counters equal %d (%s)", when, n, n, rc ? praas_errmsg() : "exchanged");
}

static void run(void)
{
    int made, before = 0, members[SLOTS], n = 0;
    praas_win_t old = PRAAS_WIN_NULL;
    uint64_t view = 0;
    double end;

    /* Step 1. */
    made = window_loop(&before);
    if (rank != JOINER)
        tap_line(before >= 10 && made == before + AFTER, "windows in a loop across the join: "
                 "%d of 3 members, then %d of 4 (view 1 installed between two of them)", before,
                 made - before);
    else
        tap_line(before == 0 && made == AFTER, "rank 3: its %d windows have 4 members", made);
    if (vt_failed)
        return;
    praas_view_get(&view, members, SLOTS, &n);
    tap_line(view == 1 && n == 4 && members[3] == JOINER, "view 1 = {0, 1, 2, 3} is installed "
             "(view %llu, %d members)", (unsigned long long)view, n);
    if (vt_failed)
        return;

    /* Step 2. The window stays until after the leave. */
    verdicts(window_check(n, members, "view 1", &old), n, members, "view 1");
    if (rank == JOINER) {
        int member = 1;
        /* Rank 0 asks it to leave once step 2 is over. */
        end = now_s() + WAIT_S;
        while (member && now_s() < end) {
            nap_ms(5);
            praas_view_is_member(rank, &member);
        }
        tap_line(!member, "rank 3 left the view");
        if (old)
            old_window(&old);
        return;
    }

    /* Step 3. */
    if (rank == 0)
        kill(getppid(), SIGUSR2);
    tap_line(wait_view(2, 3), "view 2 = {0, 1, 2} is installed");
    if (vt_failed)
        return;
    if (old)
        old_window(&old);
    praas_view_get(&view, members, SLOTS, &n);
    verdicts(window_check(n, members, "view 2", NULL), n, members, "view 2");
}

int main(void)
{
    if (vt_init())
        return 1;
    praas_view_set_callback(on_view, NULL);
    if (size != JOINER)
        tap_line(0, "run on %d workers, not %d", size, JOINER);
    else
        run();
    return vt_finish();
}
