/*
 * The collectives' waits on shared memory (src/coll/shm_wait.h) with a
 * late rank: for each way of waiting (block, spin, auto), barriers,
 * small and large allreduces (one round; the shared-memory allreduce of
 * several segments), a large allgather (the ring of chunk channels) and a
 * bcast, each time with one rank (in turn) sleeping 50 ms before it enters,
 * so that the others wait long enough to sleep. Checks every result, that
 * nothing times out, that block mode did sleep (the late writers rang the
 * sleepers' bells) and spin mode never did; then a barrier that one rank
 * enters alone times out, under block mode, with an error naming it.
 * Without a team in shared memory (PROG-tp) the waits progress the
 * transport instead, and only the results are checked.
 */
#include <inttypes.h>
#include <time.h>

#include "coll/coll.h"
#include "testsuite/lib/launched.h"

#define LATE_MS 50
#define SMALL 5
#define LARGE ((size_t)1 << 20) /* 8 MiB of doubles: several shm_allreduce segments */
#define GATHER 40000            /* int64 per rank */

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Rank `late` naps before the collective that follows. */
static void maybe_late(int late)
{
    if (lt_rank == late)
        nap_ms(LATE_MS);
}

/* The sum over ranks of element i of rank r's vector r * 3 + i % 17. */
static double want_sum(size_t i)
{
    return 3.0 * lt_size * (lt_size - 1) / 2 + (double)lt_size * (double)(i % 17);
}

/* One round of every collective, the late rank turning; returns whether
 * every call succeeded and every result was right. */
static int round_of_all(int turn)
{
    double *in = malloc(LARGE * sizeof(double)), *out = malloc(LARGE * sizeof(double));
    int64_t *mine = malloc(GATHER * sizeof(int64_t));
    int64_t *all = malloc(GATHER * sizeof(int64_t) * (size_t)lt_size);
    int64_t b[SMALL];
    int ok = in && out && mine && all;

    for (size_t i = 0; ok && i < LARGE; i++)
        in[i] = lt_rank * 3 + (double)(i % 17);
    for (size_t i = 0; ok && i < GATHER; i++)
        mine[i] = (int64_t)lt_rank * 1000003 + (int64_t)i;

    /* Barriers, each with another late rank. */
    for (int k = 0; ok && k < lt_size; k++) {
        maybe_late((turn + k) % lt_size);
        ok = lt_report(praas_barrier(), "barrier");
    }
    /* Small allreduce (one round). */
    maybe_late(turn % lt_size);
    ok = ok && lt_report(praas_allreduce(in, out, SMALL, PRAAS_DOUBLE, PRAAS_OP_SUM),
                         "small allreduce");
    for (size_t i = 0; ok && i < SMALL; i++)
        if (out[i] != want_sum(i)) {
            fprintf(stderr, "rank %d: small allreduce element %zu = %g, want %g\n", lt_rank, i,
                    out[i], want_sum(i));
            ok = 0;
        }
    /* Large allreduce (shared memory: segments through the stages). */
    maybe_late((turn + 1) % lt_size);
    ok = ok && lt_report(praas_allreduce(in, out, LARGE, PRAAS_DOUBLE, PRAAS_OP_SUM),
                         "large allreduce");
    for (size_t i = 0; ok && i < LARGE; i++)
        if (out[i] != want_sum(i)) {
            fprintf(stderr, "rank %d: large allreduce element %zu = %g, want %g\n", lt_rank, i,
                    out[i], want_sum(i));
            ok = 0;
        }
    /* Large allgather (the ring: chunk channels, coll_run). */
    maybe_late((turn + 2) % lt_size);
    ok = ok && lt_report(praas_allgather(mine, GATHER, PRAAS_INT64, all), "allgather");
    for (int r = 0; ok && r < lt_size; r++)
        for (size_t i = 0; ok && i < GATHER; i++)
            if (all[(size_t)r * GATHER + i] != (int64_t)r * 1000003 + (int64_t)i) {
                fprintf(stderr, "rank %d: allgather block %d element %zu wrong\n", lt_rank, r,
                        i);
                ok = 0;
            }
    /* Bcast from a root that is late itself. */
    for (int i = 0; i < SMALL; i++)
        b[i] = lt_rank == turn % lt_size ? 77 + i : -1;
    maybe_late(turn % lt_size);
    ok = ok && lt_report(praas_bcast(b, SMALL, PRAAS_INT64, turn % lt_size), "bcast");
    for (int i = 0; ok && i < SMALL; i++)
        ok = b[i] == 77 + i;
    free(in);
    free(out);
    free(mine);
    free(all);
    return ok;
}

int main(void)
{
    static const char *const modes[] = {"block", "spin", "auto"};
    const core_cfg_t *cfg;
    shm_wait_policy_t env_pol;
    coll_team_t *t;
    int ok, shm;

    lt_init();
    cfg = core_cfg();
    ok = lt_report(coll_team_get(&t), "coll_team_get");
    if (!ok) {
        lt_check(0, "the collective team");
        return lt_finish();
    }
    shm = t->peers != NULL;
    if (lt_rank == 0)
        tap_diag("team %s; %ld workers on this node, %ld CPUs", shm ? "in shared memory" :
                 "on the transport", cfg->local_size, shm_wait_cpus());
    /* The team took its policy from PRAAS_COLL_WAIT (auto when unset). */
    ok = shm_wait_policy_make(cfg->coll_wait, cfg->local_size, shm_wait_cpus(), &env_pol) == 0;
    lt_check(ok && env_pol.block_after == t->wait.block_after,
             "the team waits as PRAAS_COLL_WAIT=%s says", cfg->coll_wait);

    for (size_t m = 0; m < PRAAS_ARRAY_SIZE(modes); m++) {
        uint64_t rung0 = 0, rung, rings = 0;

        /* Every rank switches, then a barrier: after it nobody rings a
         * bell for a wait of the phase before. */
        ok = shm_wait_policy_make(modes[m], cfg->local_size, shm_wait_cpus(), &t->wait) == 0;
        ok = ok && lt_report(praas_barrier(), "barrier");
        if (shm)
            rung0 = __atomic_load_n(&coll_bell(t, t->rank)->rung, __ATOMIC_SEQ_CST);
        for (int turn = 0; ok && turn < lt_size; turn++)
            ok = round_of_all(turn);
        lt_check(ok, "%s: barriers, allreduces, allgather and bcast with a rank %d ms late",
                 modes[m], LATE_MS);
        if (!shm)
            continue;
        /* Every rank's bell rings only when it has slept: count them all. */
        rung = __atomic_load_n(&coll_bell(t, t->rank)->rung, __ATOMIC_SEQ_CST) - rung0;
        ok = lt_report(praas_allreduce(&rung, &rings, 1, PRAAS_UINT64, PRAAS_OP_SUM),
                       "allreduce of the rings");
        if (lt_rank == 0)
            tap_diag("%s: %" PRIu64 " rings", modes[m], rings);
        if (!strcmp(modes[m], "block"))
            lt_check(ok && rings > 0, "block: waiters slept and were woken (%" PRIu64 " rings)",
                     rings);
        else if (!strcmp(modes[m], "spin"))
            lt_check(ok && rings == 0, "spin: no waiter ever slept");
    }

    /* A barrier that rank 0 enters alone times out (the others wait for
     * it at the exchange of lt_check). coll_barrier, not praas_barrier:
     * every praas collective counts one unit of the view's exchanges
     * (coll_team_get), which one rank alone would put out of step. */
    if (shm)
        shm_wait_policy_make("block", cfg->local_size, shm_wait_cpus(), &t->wait);
    if (lt_size > 1 && lt_rank == 0) {
        int saved = t->timeout_ms, rc;

        t->timeout_ms = 200;
        rc = coll_barrier(t);
        t->timeout_ms = saved;
        ok = rc == PRAAS_ERR_TIMEOUT && strstr(praas_errmsg(), "barrier") != NULL;
        if (!ok)
            fprintf(stderr, "rank 0: lone barrier: %s (%s)\n", praas_strerror(rc),
                    praas_errmsg());
    } else {
        ok = 1;
    }
    lt_check(ok, "a barrier entered by one rank alone times out, naming the barrier");
    return lt_finish();
}
