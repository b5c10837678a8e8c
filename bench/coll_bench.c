/*
 * Allreduce latency and bandwidth through the public praas API
 * (praas_allreduce, doubles, SUM), on the workers praas-run starts:
 *
 *   praas-run -n 4 bench/coll_bench --max 64M [--label praas] ...
 *
 * bench/mpi_coll_bench.c measures MPI_Allreduce and bench/redis_allreduce.c
 * an allreduce through Redis the same way: the measurement itself is
 * bench/coll_driver.h, shared by the three. Rows go to stdout at rank 0,
 * config "LABEL-nN" (bench/README-coll.md).
 *
 * praas_barrier separates the iterations, as MPI_Barrier does in the MPI
 * version; the time stamps are combined with praas_allreduce (MAX), and
 * rank 0's iteration counts reach the others with praas_bcast, outside
 * the timed region.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "bench/coll_driver.h"
#include "praas.h"

static const char usage[] =
    "usage: praas-run -n N coll_bench [OPTIONS]\n"
    "Allreduce (doubles, SUM) latency and bandwidth per size, one CSV row per size.\n"
    "  --label NAME      config column prefix (default praas; the row says NAME-nN)\n";

static int cb_allreduce(void *ctx, const double *send, double *recv, size_t count)
{
    (void)ctx;
    return praas_allreduce(send, recv, count, PRAAS_DOUBLE, PRAAS_OP_SUM);
}

static int cb_barrier(void *ctx)
{
    (void)ctx;
    return praas_barrier();
}

static int cb_bcast_i64(void *ctx, int64_t *v)
{
    (void)ctx;
    return praas_bcast(v, 1, PRAAS_INT64, 0);
}

static int cb_max_i64(void *ctx, int64_t *v, size_t n)
{
    (void)ctx;
    return praas_allreduce(PRAAS_IN_PLACE, v, n, PRAAS_INT64, PRAAS_OP_MAX);
}

static const char *cb_errstr(void *ctx, int rc)
{
    static char buf[512];
    (void)ctx;
    snprintf(buf, sizeof(buf), "%s: %s", praas_strerror(rc), praas_errmsg());
    return buf;
}

int main(int argc, char **argv)
{
    static const cd_ops_t ops = {
        .allreduce = cb_allreduce,
        .barrier = cb_barrier,
        .bcast_i64 = cb_bcast_i64,
        .max_i64 = cb_max_i64,
        .errstr = cb_errstr,
    };
    bench_opts_t o;
    int rank, size, rc, status;

    if (bench_parse(argc, argv, usage, NULL, &o))
        return 2;
    rc = praas_init();
    if (rc) {
        fprintf(stderr, "coll_bench: praas_init: %s: %s\n", praas_strerror(rc), praas_errmsg());
        return 1;
    }
    praas_rank(&rank);
    praas_size(&size);
    if (rank == 0)
        printf("# coll_bench: %d workers, transport %s, PRAAS_RMA_SHM=%s, "
               "PRAAS_COLL_ALLREDUCE=%s, PRAAS_COLL_CHUNK=%s, PRAAS_COLL_SMALL=%s\n",
               size, praas_transport_name(), getenv("PRAAS_RMA_SHM") ? getenv("PRAAS_RMA_SHM") : "-",
               getenv("PRAAS_COLL_ALLREDUCE") ? getenv("PRAAS_COLL_ALLREDUCE") : "-",
               getenv("PRAAS_COLL_CHUNK") ? getenv("PRAAS_COLL_CHUNK") : "-",
               getenv("PRAAS_COLL_SMALL") ? getenv("PRAAS_COLL_SMALL") : "-");
    status = cd_run(&ops, NULL, rank, size, "coll_bench", o.label ? o.label : "praas", &o);
    rc = praas_finalize();
    if (rc && !status) {
        fprintf(stderr, "coll_bench: praas_finalize: %s: %s\n", praas_strerror(rc),
                praas_errmsg());
        status = 1;
    }
    return status;
}
