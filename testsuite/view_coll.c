/*
 * view_coll: collectives over the current view across a join and a leave
 * (run by testsuite/gmem_view.sh under praas-run --elastic -n 3; TAP from
 * rank 0, failures of the others on stderr).
 *
 * Every rank contributes (1, its rank) to an allreduce (SUM) in a loop, so
 * each result is (members, sum of their ranks) of the view the allreduce
 * ran in: (3, 3) in view 0 = {0, 1, 2}, (4, 6) in view 1 = {0, 1, 2, 3},
 * (3, 3) again in view 2 = {0, 1, 2} after rank 3 left. Rank 0 sends
 * SIGUSR1 after 10 allreduces (rank 3 joins while the loop runs) and, after
 * 20 of view 1, SIGUSR2 (rank 3 leaves while the loop runs). A rank loops
 * until it has seen 20 results of view 2 (members) or its allreduce is
 * refused because it left (the joiner). Every result must be one of those
 * pairs, in that order. Then in view 2 a bcast from root 2 (a world rank)
 * and an allgather of the ranks (blocks by position in the members).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <praas.h>

#include "testsuite/lib/view_test.h"

#define JOINER 3
#define AFTER 20
#define WAIT_S 60

static void run(void)
{
    /* phase 0: view 0 (3, 3); 1: view 1 (4, 6); 2: view 2 (3, 3). */
    static const int64_t want[3][2] = {{3, 3}, {4, 6}, {3, 3}};
    int phase = rank == JOINER ? 1 : 0, count[3] = {0, 0, 0}, calls = 0, rc = 0;
    int64_t mine[2] = {1, rank}, sum[2];
    double end = now_s() + WAIT_S;

    while (phase < 2 || count[2] < AFTER) {
        if (now_s() > end) {
            tap_line(0, "rank %d: no end of the loop within %d s (%d %d %d results)", rank,
                     WAIT_S, count[0], count[1], count[2]);
            return;
        }
        rc = praas_allreduce(mine, sum, 2, PRAAS_INT64, PRAAS_OP_SUM);
        if (rc)
            break;
        calls++;
        /* The next view's result, or still this one's. */
        if (phase < 2 && sum[0] == want[phase + 1][0] && sum[1] == want[phase + 1][1])
            phase++;
        if (sum[0] != want[phase][0] || sum[1] != want[phase][1]) {
            tap_line(0, "rank %d: allreduce %d gave (%lld, %lld) in phase %d", rank, calls,
                     (long long)sum[0], (long long)sum[1], phase);
            return;
        }
        count[phase]++;
        if (rank == 0 && phase == 0 && count[0] == 10)
            kill(getppid(), SIGUSR1);
        if (rank == 0 && phase == 1 && count[1] == AFTER)
            kill(getppid(), SIGUSR2);
    }
    if (rank == JOINER) {
        int member = 1;
        praas_view_is_member(rank, &member);
        tap_line(rc == PRAAS_ERR_STATE && !member && count[1] >= AFTER,
                 "rank 3: %d allreduces of view 1, then refused once it left (%s)", count[1],
                 praas_errmsg());
        return;
    }
    tap_line(!rc && count[0] >= 10 && count[1] >= AFTER && count[2] == AFTER,
             "allreduce loop across a join and a leave: %d results (3, 3), %d (4, 6), %d "
             "(3, 3) (%s)", count[0], count[1], count[2], rc ? praas_errmsg() : "no error");
    if (vt_failed)
        return;
    {
        int64_t v = rank == 2 ? 42 : -1, all[3] = {-1, -1, -1};
        int brc = praas_bcast(&v, 1, PRAAS_INT64, 2), grc;
        int64_t r64 = rank;
        grc = praas_allgather(&r64, 1, PRAAS_INT64, all);
        tap_line(!brc && v == 42 && !grc && all[0] == 0 && all[1] == 1 && all[2] == 2,
                 "view 2: bcast from world rank 2 and allgather by position (%lld; %lld %lld "
                 "%lld)", (long long)v, (long long)all[0], (long long)all[1],
                 (long long)all[2]);
        brc = praas_bcast(&v, 1, PRAAS_INT64, JOINER);
        tap_line(brc == PRAAS_ERR_RANGE, "view 2: a bcast from rank 3, which left, is "
                 "PRAAS_ERR_RANGE (%s)", praas_errmsg());
    }
}

int main(void)
{
    if (vt_init())
        return 1;
    if (size != JOINER)
        tap_line(0, "run on %d workers, not %d", size, JOINER);
    else
        run();
    return vt_finish();
}
