/*
 * The allreduce measurement shared by coll_bench (praas), mpi_coll_bench
 * (MPI) and redis_allreduce (a Redis-based allreduce): each program fills a
 * cd_ops_t with its own allreduce, barrier, broadcast and max-reduction,
 * and cd_run() does the rest the same way for all three, so that the
 * figures differ by the implementation only. Header-only (static
 * functions) so that the MPI build, which links bench.c and nothing of
 * praas, needs no extra source; include it from one file.
 *
 * Per message size (doubles, SUM, separate send and receive buffers):
 *   1. one untimed allreduce, whose result is checked element by element;
 *   2. one timed pilot iteration: rank 0's time sizes the warm-up
 *      (at most --warmup iterations, about a fifth of --budget-ms);
 *   3. the warm-up iterations, timed: their median at rank 0 gives the
 *      iteration count (bench_iters_for, within --min-iters..--iters);
 *      rank 0's choices reach the others through the broadcast, so every
 *      rank runs the same number of collectives;
 *   4. the timed iterations: barrier, then t0 = now, allreduce, t1 = now on
 *      every rank. Iteration i lasted max_r t1 - max_r t0: from the moment
 *      the last rank entered the allreduce (none can finish before it) to
 *      the moment the last one left. Both maxima come from one elementwise
 *      max-reduction after the loop, so nothing but the allreduce is
 *      timed; the barrier's exit skew is not counted. This needs one clock
 *      for all ranks, i.e. one node (CLOCK_MONOTONIC is system-wide).
 * The row: median, p10, p90 of those times, and the algorithmic bandwidth
 * size / median (bytes per µs = MB/s), as OSU and IMB report it.
 */
#ifndef PRAAS_BENCH_COLL_DRIVER_H
#define PRAAS_BENCH_COLL_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

/* Untimed 8-byte allreduces before the first size. */
#define CD_START_ITERS 100

typedef struct cd_ops {
    /* recv = SUM over ranks of send, count doubles; 0 or an error code. */
    int (*allreduce)(void *ctx, const double *send, double *recv, size_t count);
    int (*barrier)(void *ctx);
    /* Rank 0's *v to every rank. */
    int (*bcast_i64)(void *ctx, int64_t *v);
    /* v[i] = max over ranks of v[i], at least at rank 0. */
    int (*max_i64)(void *ctx, int64_t *v, size_t n);
    /* A message for an error code the ops returned. */
    const char *(*errstr)(void *ctx, int rc);
} cd_ops_t;

typedef struct cd_state {
    const cd_ops_t *ops;
    void *ctx;
    int rank, size;
    const char *prog;
    const bench_opts_t *o;
    double *send, *recv, *samples;
    int64_t *stamps; /* t0[0..iters), then t1[0..iters) */
} cd_state_t;

static int cd_fail(cd_state_t *r, const char *what, size_t size, int rc)
{
    fprintf(stderr, "%s: rank %d: %s at %zu bytes: %s\n", r->prog, r->rank, what, size,
            r->ops->errstr(r->ctx, rc));
    return 1;
}

/* Input of rank `rank`, element i: small integers, so that every order of
 * summation gives the same exact result. */
static inline double cd_value(int rank, size_t i)
{
    return (double)((rank + 1) * (int)(i % 13 + 1));
}

static int cd_check(cd_state_t *r, size_t count, size_t size)
{
    double tri = (double)r->size * (r->size + 1) / 2;

    for (size_t i = 0; i < count; i++) {
        double want = tri * (double)(i % 13 + 1);
        if (r->recv[i] != want) {
            fprintf(stderr, "%s: rank %d: wrong allreduce result at %zu bytes: element %zu is %g, "
                    "expected %g\n", r->prog, r->rank, size, i, r->recv[i], want);
            return 1;
        }
    }
    return 0;
}

/* One timed iteration: barrier, then the allreduce between two stamps. */
static int cd_once(cd_state_t *r, size_t count, int64_t *t0_p, int64_t *t1_p)
{
    int rc = r->ops->barrier(r->ctx);

    if (rc)
        return rc;
    *t0_p = (int64_t)bench_now_ns();
    rc = r->ops->allreduce(r->ctx, r->send, r->recv, count);
    *t1_p = (int64_t)bench_now_ns();
    return rc;
}

static int cd_size(cd_state_t *r, size_t size, const char *config)
{
    const bench_opts_t *o = r->o;
    size_t count = size / sizeof(double);
    int64_t t0, t1, v, warm, iters;
    bench_stats_t st;
    int rc;

    /* 1: untimed, checked. */
    memset(r->recv, 0, size);
    rc = r->ops->barrier(r->ctx);
    if (!rc)
        rc = r->ops->allreduce(r->ctx, r->send, r->recv, count);
    if (rc)
        return cd_fail(r, "first allreduce", size, rc);
    if (cd_check(r, count, size))
        return 1;
    /* 2: the pilot sizes the warm-up. */
    rc = cd_once(r, count, &t0, &t1);
    if (rc)
        return cd_fail(r, "pilot allreduce", size, rc);
    warm = (int64_t)(o->budget_ms * 1e6 / 5 / (double)(t1 - t0 > 0 ? t1 - t0 : 1));
    if (warm > o->warmup)
        warm = o->warmup;
    if (warm < 1)
        warm = 1;
    v = warm;
    rc = r->ops->bcast_i64(r->ctx, &v);
    if (rc)
        return cd_fail(r, "broadcast", size, rc);
    warm = v;
    /* 3: the warm-up sizes the run. */
    for (int64_t i = 0; i < warm; i++) {
        rc = cd_once(r, count, &t0, &t1);
        if (rc)
            return cd_fail(r, "warm-up allreduce", size, rc);
        r->samples[i] = (double)(t1 - t0);
    }
    bench_stats(r->samples, (long)warm, &st);
    v = bench_iters_for(o, st.median);
    rc = r->ops->bcast_i64(r->ctx, &v);
    if (rc)
        return cd_fail(r, "broadcast", size, rc);
    iters = v;
    /* 4: the measurement. */
    for (int64_t i = 0; i < iters; i++) {
        rc = cd_once(r, count, &r->stamps[i], &r->stamps[iters + i]);
        if (rc)
            return cd_fail(r, "allreduce", size, rc);
    }
    rc = r->ops->max_i64(r->ctx, r->stamps, 2 * (size_t)iters);
    if (rc)
        return cd_fail(r, "max-reduction of the time stamps", size, rc);
    if (cd_check(r, count, size))
        return 1;
    if (r->rank == 0) {
        for (int64_t i = 0; i < iters; i++)
            r->samples[i] = (double)(r->stamps[iters + i] - r->stamps[i]) / 1e3;
        bench_stats(r->samples, (long)iters, &st);
        bench_row(config, "allreduce", size, (long)iters, &st, bench_mbps((double)size, st.median));
    }
    return 0;
}

/* Measure every size of o (multiples of 8 bytes; others are rounded down)
 * and print rows at rank 0 with config "LABEL-nSIZE". Returns 0, or 1
 * after printing why. */
static int cd_run(const cd_ops_t *ops, void *ctx, int rank, int size, const char *prog,
                  const char *label, const bench_opts_t *o)
{
    size_t max = o->max_size / sizeof(double) * sizeof(double);
    long slots = o->max_iters > o->warmup ? o->max_iters : o->warmup;
    char config[128];
    cd_state_t r = {.ops = ops, .ctx = ctx, .rank = rank, .size = size, .prog = prog, .o = o};
    int rc = 0;

    snprintf(config, sizeof(config), "%s-n%d", label, size);
    if (max < sizeof(double)) {
        fprintf(stderr, "%s: --max must be at least 8 bytes (one double)\n", prog);
        return 1;
    }
    r.send = aligned_alloc(4096, (max + 4095) / 4096 * 4096);
    r.recv = aligned_alloc(4096, (max + 4095) / 4096 * 4096);
    r.samples = malloc((size_t)slots * sizeof(*r.samples));
    r.stamps = malloc(2 * (size_t)slots * sizeof(*r.stamps));
    if (!r.send || !r.recv || !r.samples || !r.stamps) {
        fprintf(stderr, "%s: no memory for %zu-byte buffers\n", prog, max);
        rc = 1;
        goto out;
    }
    /* Touch everything now so that page faults are not timed. */
    for (size_t i = 0; i < max / sizeof(double); i++)
        r.send[i] = cd_value(rank, i);
    memset(r.recv, 0, max);
    if (rank == 0 && o->header)
        printf("%s\n", BENCH_CSV_HEADER);
    /* Connections, lazily made windows and the first page faults of the
     * implementation's own buffers: none of it belongs to the first size. */
    for (int i = 0; i < CD_START_ITERS; i++) {
        int e = r.ops->barrier(ctx);
        if (!e)
            e = r.ops->allreduce(ctx, r.send, r.recv, 1);
        if (e) {
            rc = cd_fail(&r, "start-up allreduce", sizeof(double), e);
            goto out;
        }
    }
    for (size_t s = o->min_size; s && !rc; s = bench_next_size(o, s)) {
        size_t bytes = s / sizeof(double) * sizeof(double);
        if (bytes)
            rc = cd_size(&r, bytes, config);
    }
out:
    free(r.send);
    free(r.recv);
    free(r.samples);
    free(r.stamps);
    return rc;
}

#endif /* PRAAS_BENCH_COLL_DRIVER_H */
