/*
 * Element-wise atomicity of large accumulates under contention: every rank
 * at once sends accumulates of thousands of elements (int64 and double SUM,
 * int32 MAX, at displacements that do not start on a lock stripe) to the
 * same elements of rank 0, interleaved with fetch-and-ops and single-element
 * accumulates on elements inside those ranges, all in one lock_all epoch.
 * A lost update anywhere shows in the sums that rank 0 checks afterwards.
 * Run on an allocated window (shared memory: the origins apply the
 * accumulates under the striped locks of rma/op_atomic.c) and on a created
 * one (the transport path: the target's progress engine applies them).
 * Inputs are small integers, so every order of summation is exact.
 */
#include <inttypes.h>

#include "testsuite/lib/launched.h"

#define N 20000      /* elements per array: 160 KB of int64, more than one bulk chunk */
#define ROUNDS 6     /* bulk accumulates per rank per array */
#define SINGLES 200  /* fetch_and_ops (and single accumulates) per rank */
#define SKEW 3       /* the second bulk range starts SKEW elements in */

/* Layout of the target memory, in elements of 8 bytes. */
enum { I64 = 0, DBL = N, I32 = 2 * N, WORDS = 2 * N + N / 2 };

/* The elements the single-element operations hit: the first ones, inside
 * a lock stripe, both sides of a 4096-byte boundary, the middle, the last. */
static const int hot[] = {0, 1, 37, 511, 512, N / 2, N - 1};
#define NHOT ((int)(sizeof(hot) / sizeof(hot[0])))

static int64_t expect_i64(int i, int size)
{
    int64_t v = 0;

    for (int r = 0; r < size; r++) {
        v += (int64_t)ROUNDS * (r + 1);         /* the whole-array rounds */
        if (i >= SKEW)
            v += (int64_t)ROUNDS * 1000;        /* the skewed rounds */
    }
    for (int k = 0; k < NHOT; k++)
        if (hot[k] == i)
            v += (int64_t)size * SINGLES;       /* one fetch_and_op of 1 each */
    return v;
}

static double expect_dbl(int i, int size)
{
    double v = 0;

    for (int r = 0; r < size; r++)
        v += ROUNDS * 0.5;
    for (int k = 0; k < NHOT; k++)
        if (hot[k] == i)
            v += size * SINGLES * 0.25;
    return v;
}

static void run(int create)
{
    const char *name = create ? "created" : "allocated";
    int64_t *mem = NULL, *user = NULL;
    double *halves = malloc(N * sizeof(double));
    int32_t *ranks = malloc(N * sizeof(int32_t));
    int ok = 1, nbad = 0;
    praas_win_t win;
    /* Origin and result buffers of the single operations: they must live
     * until the flush that completes them, so not in the loop's scope. */
    const int64_t one = 1;
    int64_t old = -1;
    const double quarter = 0.25;

    if (!halves || !ranks)
        exit(2);
    if (create) {
        user = calloc(WORDS, sizeof(int64_t));
        ok &= lt_report(praas_win_create(user, WORDS * sizeof(int64_t), sizeof(int64_t), &win),
                        "create");
        mem = user;
    } else {
        ok &= lt_report(praas_win_allocate(WORDS * sizeof(int64_t), sizeof(int64_t), &mem, &win),
                        "allocate");
        if (ok)
            memset(mem, 0, WORDS * sizeof(int64_t));
    }
    for (int i = 0; i < N; i++) {
        halves[i] = 0.5;
        /* Every rank writes, only the largest rank's value stays. */
        ranks[i] = (int32_t)((lt_rank + 1) * (i % 997));
    }
    core_barrier(LT_TIMEOUT_MS);

    ok &= lt_report(praas_win_lock_all(0, win), "lock_all");
    for (int round = 0; round < ROUNDS && ok; round++) {
        int64_t mine = lt_rank + 1, skew = 1000;
        int64_t *by_rank = malloc(N * sizeof(int64_t)), *thousands = malloc(N * sizeof(int64_t));

        if (!by_rank || !thousands)
            exit(2);
        for (int i = 0; i < N; i++) {
            by_rank[i] = mine;
            thousands[i] = skew;
        }
        ok &= lt_report(praas_accumulate(by_rank, N, PRAAS_INT64, 0, I64, PRAAS_OP_SUM, win),
                        "bulk accumulate int64");
        ok &= lt_report(praas_accumulate(halves, N, PRAAS_DOUBLE, 0, DBL, PRAAS_OP_SUM, win),
                        "bulk accumulate double");
        ok &= lt_report(praas_accumulate(thousands, N - SKEW, PRAAS_INT64, 0, I64 + SKEW,
                                         PRAAS_OP_SUM, win),
                        "skewed bulk accumulate int64");
        /* Byte displacement of the int32 array: disp_unit is 8. */
        ok &= lt_report(praas_accumulate(ranks, N, PRAAS_INT32, 0, I32, PRAAS_OP_MAX, win),
                        "bulk accumulate int32 MAX");
        /* Singles interleaved with the bulk ones of the other ranks. */
        for (int s = 0; s < SINGLES / ROUNDS + (round < SINGLES % ROUNDS) && ok; s++)
            for (int k = 0; k < NHOT && ok; k++) {
                ok &= lt_report(praas_fetch_and_op(&one, &old, PRAAS_INT64, 0, I64 + hot[k],
                                                   PRAAS_OP_SUM, win),
                                "fetch_and_op");
                ok &= lt_report(praas_accumulate(&quarter, 1, PRAAS_DOUBLE, 0, DBL + hot[k],
                                                 PRAAS_OP_SUM, win),
                                "single accumulate double");
            }
        ok &= lt_report(praas_win_flush(0, win), "flush");
        free(by_rank);
        free(thousands);
    }
    ok &= lt_report(praas_win_unlock_all(win), "unlock_all");
    lt_check(ok, "%s window: bulk and single accumulates from every rank to the same elements "
                 "completed",
             name);

    /* Everyone's operations are complete at the target after unlock_all;
     * the barrier orders rank 0's loads after them. */
    core_barrier(LT_TIMEOUT_MS);
    ok = 1;
    if (lt_rank == 0) {
        double *d = (double *)(mem + DBL);
        int32_t *m = (int32_t *)(mem + I32);

        /* The first few wrong elements as diagnostics, then their count. */
        for (int i = 0; i < N; i++)
            if (mem[I64 + i] != expect_i64(i, lt_size) && nbad++ < 4)
                tap_diag("int64 element %d is %" PRId64 ", expected %" PRId64, i, mem[I64 + i],
                         expect_i64(i, lt_size));
        for (int i = 0; i < N; i++)
            if (d[i] != expect_dbl(i, lt_size) && nbad++ < 8)
                tap_diag("double element %d is %g, expected %g", i, d[i], expect_dbl(i, lt_size));
        for (int i = 0; i < N; i++)
            if (m[i] != (int32_t)(lt_size * (i % 997)) && nbad++ < 12)
                tap_diag("int32 MAX element %d is %" PRId32 ", expected %d", i, m[i],
                         lt_size * (i % 997));
        if (nbad)
            tap_diag("%d wrong elements", nbad);
        ok = nbad == 0;
    }
    lt_check(ok, "%s window: no lost update in %d int64, %d double and %d int32 elements%s",
             name, N, N, N, nbad > 0 ? " (see the diagnostics)" : "");
    core_barrier(LT_TIMEOUT_MS);
    ok = lt_report(praas_win_free(&win), "free");
    lt_check(ok, "%s window freed", name);
    free(user);
    free(halves);
    free(ranks);
}

int main(void)
{
    lt_init();
    run(0);
    run(1);
    return lt_finish();
}
