/*
 * Allreduce of vectors larger than the collectives' staging area, so that
 * the shared-memory algorithm runs several segments through the two halves
 * of the stage in turn (src/coll/algos.c, shm_allreduce), and calls follow
 * each other without a barrier in between: the halves must never be
 * overwritten while a slow rank still reads them. Counts that are not a
 * multiple of the worker count, in place and not, SUM on double and int64
 * and MAX on int32; every element is checked against the sequential result
 * (small integers: every order of summation is exact). On other transport
 * paths the same calls run the ring, which this checks as well.
 */
#include <inttypes.h>

#include "testsuite/lib/launched.h"

/* Elements: a bit more than one 2 MiB half of doubles, two and a half
 * halves, and one odd count. */
static const size_t counts[] = {262144 + 13, 655360 + 1, 99991};
#define NCOUNTS ((int)(sizeof(counts) / sizeof(counts[0])))

static double in_dbl(size_t i, int r)
{
    return (double)((r + 1) * (int)(i % 7));
}

static int check_dbl(const double *out, size_t count, int size, int scale)
{
    for (size_t i = 0; i < count; i++) {
        double want = (double)(i % 7) * size * (size + 1) / 2 * scale;
        if (out[i] != want) {
            fprintf(stderr, "rank %d: double element %zu of %zu is %g, expected %g\n", lt_rank,
                    i, count, out[i], want);
            return 0;
        }
    }
    return 1;
}

static void test_double(size_t count, int in_place)
{
    double *in = malloc(count * sizeof(double)), *out = malloc(count * sizeof(double));
    int ok = in && out;

    for (int rep = 0; rep < 3 && ok; rep++) {
        /* The same call again: each uses the halves the one before left. */
        for (size_t i = 0; i < count; i++)
            in[i] = in_dbl(i, lt_rank);
        if (in_place) {
            memcpy(out, in, count * sizeof(double));
            ok &= lt_report(praas_allreduce(PRAAS_IN_PLACE, out, count, PRAAS_DOUBLE,
                                            PRAAS_OP_SUM),
                            "allreduce in place");
        } else {
            ok &= lt_report(praas_allreduce(in, out, count, PRAAS_DOUBLE, PRAAS_OP_SUM),
                            "allreduce");
        }
        ok = ok && check_dbl(out, count, lt_size, 1);
    }
    lt_check(ok, "allreduce SUM of %zu doubles%s, 3 calls in a row, every element right", count,
             in_place ? " in place" : "");
    free(in);
    free(out);
}

static void test_int(size_t count)
{
    int64_t *a = malloc(count * sizeof(int64_t)), *sum = malloc(count * sizeof(int64_t));
    int32_t *b = malloc(count * sizeof(int32_t)), *max = malloc(count * sizeof(int32_t));
    int ok = a && sum && b && max;

    for (size_t i = 0; ok && i < count; i++) {
        a[i] = (int64_t)(i % 1000) * (lt_rank + 1) - 5;
        b[i] = (int32_t)((i * 7 + (size_t)lt_rank * 13) % 1009);
    }
    /* Two different reductions back to back: the second's segments go
     * through the halves the first left. */
    ok = ok && lt_report(praas_allreduce(a, sum, count, PRAAS_INT64, PRAAS_OP_SUM), "allreduce");
    ok = ok && lt_report(praas_allreduce(b, max, count, PRAAS_INT32, PRAAS_OP_MAX), "allreduce");
    for (size_t i = 0; ok && i < count; i++) {
        int64_t want = (int64_t)(i % 1000) * lt_size * (lt_size + 1) / 2 - 5 * lt_size;
        int32_t wmax = 0;
        for (int r = 0; r < lt_size; r++) {
            int32_t v = (int32_t)((i * 7 + (size_t)r * 13) % 1009);
            wmax = v > wmax ? v : wmax;
        }
        if (sum[i] != want || max[i] != wmax) {
            fprintf(stderr, "rank %d: element %zu of %zu: sum %" PRId64 " (want %" PRId64
                            "), max %" PRId32 " (want %" PRId32 ")\n",
                    lt_rank, i, count, sum[i], want, max[i], wmax);
            ok = 0;
        }
    }
    lt_check(ok, "allreduce SUM of %zu int64 then MAX of as many int32, every element right",
             count);
    free(a);
    free(sum);
    free(b);
    free(max);
}

int main(void)
{
    lt_init();
    for (int k = 0; k < NCOUNTS; k++) {
        test_double(counts[k], 0);
        test_double(counts[k], 1);
    }
    test_int(counts[1]);
    return lt_finish();
}
