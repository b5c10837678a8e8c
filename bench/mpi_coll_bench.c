/*
 * bench/coll_bench.c in standard MPI: MPI_Allreduce latency and bandwidth
 * (MPI_DOUBLE, MPI_SUM) on MPI_COMM_WORLD. bench/run-coll.sh builds it
 * with mpicc.openmpi and mpicc.mpich (and it builds with praas-mpicc):
 *
 *   mpicc -std=gnu11 -O2 -I SRCDIR -o mpi_coll_bench bench/mpi_coll_bench.c bench/bench.c
 *   mpirun -np 4 ./mpi_coll_bench --max 64M --label ompi
 *
 * The measurement is bench/coll_driver.h, the same as coll_bench's:
 * MPI_Barrier between iterations, time stamps combined with MPI_Allreduce
 * (MPI_MAX) and iteration counts sent with MPI_Bcast, outside the timed
 * region. Rows at rank 0, config "LABEL-nN".
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/bench.h"
#include "bench/coll_driver.h"

static const char usage[] =
    "usage: mpirun -np N mpi_coll_bench [OPTIONS]\n"
    "MPI_Allreduce (doubles, SUM) latency and bandwidth per size, one CSV row per size.\n"
    "  --label NAME      config column prefix (default mpi; the row says NAME-nN)\n";

static int mb_allreduce(void *ctx, const double *send, double *recv, size_t count)
{
    (void)ctx;
    return MPI_Allreduce(send, recv, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

static int mb_barrier(void *ctx)
{
    (void)ctx;
    return MPI_Barrier(MPI_COMM_WORLD);
}

static int mb_bcast_i64(void *ctx, int64_t *v)
{
    (void)ctx;
    return MPI_Bcast(v, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
}

static int mb_max_i64(void *ctx, int64_t *v, size_t n)
{
    (void)ctx;
    return MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
}

static const char *mb_errstr(void *ctx, int rc)
{
    static char buf[MPI_MAX_ERROR_STRING + 1];
    int len = 0;
    (void)ctx;
    if (MPI_Error_string(rc, buf, &len) != MPI_SUCCESS)
        snprintf(buf, sizeof(buf), "MPI error %d", rc);
    return buf;
}

int main(int argc, char **argv)
{
    static const cd_ops_t ops = {
        .allreduce = mb_allreduce,
        .barrier = mb_barrier,
        .bcast_i64 = mb_bcast_i64,
        .max_i64 = mb_max_i64,
        .errstr = mb_errstr,
    };
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    bench_opts_t o;
    int rank, size, len = 0, status;

    MPI_Init(&argc, &argv);
    if (bench_parse(argc, argv, usage, NULL, &o)) {
        MPI_Finalize();
        return 2;
    }
    /* Errors come back as codes, so that they are reported, not fatal. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_library_version(version, &len);
    if (rank == 0) {
        /* One comment line: newlines become spaces. */
        for (int i = 0; i < len; i++)
            if (version[i] == '\n' || version[i] == '\r')
                version[i] = ' ';
        printf("# mpi_coll_bench: %d ranks, %.*s\n", size, len < 120 ? len : 120, version);
    }
    if (o.max_size / sizeof(double) > (size_t)INT32_MAX) {
        if (rank == 0)
            fprintf(stderr, "mpi_coll_bench: --max is too large for an int count\n");
        MPI_Finalize();
        return 2;
    }
    status = cd_run(&ops, NULL, rank, size, "mpi_coll_bench", o.label ? o.label : "mpi", &o);
    if (status)
        MPI_Abort(MPI_COMM_WORLD, status);
    MPI_Finalize();
    return status;
}
