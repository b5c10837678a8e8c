/*
 * An allreduce through Redis, as serverless systems do it today when their
 * workers cannot talk to each other (LambdaML's storage channels, FMI's
 * Redis channel): the data goes through a key-value store in the middle.
 * Doubles, SUM, measured exactly as coll_bench and mpi_coll_bench measure
 * theirs (bench/coll_driver.h), so the rows compare line by line:
 *
 *   praas-run -n 4 bench/redis_allreduce --redis redis://127.0.0.1:6379 --max 64M
 *
 * Nothing of praas or MPI is used: praas-run only starts the workers, and
 * the rank and worker count come from PRAAS_RANK and PRAAS_SIZE (1 worker
 * without them). The allreduce, the barrier and the broadcast of iteration
 * counts are bench/redis_chan.h's (one reducer, waits in BLPOP); the
 * max-reduction of the time stamps goes through lists the same way
 * (P:ts:r), outside the timed region.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/coll_driver.h"
#include "bench/redis_chan.h"

static const char usage[] =
    "usage: praas-run -n N redis_allreduce [OPTIONS]\n"
    "Allreduce (doubles, SUM) through a Redis server, one CSV row per size.\n"
    "  --redis URL       redis://HOST:PORT (default $PRAAS_TEST_REDIS, else\n"
    "                    redis://127.0.0.1:6379)\n"
    "  --prefix P        key prefix, the same at every worker (default\n"
    "                    praas-coll:$PRAAS_PROCESS)\n"
    "  --wait-s S        longest wait for a peer in one BLPOP (default 120)\n"
    "  --label NAME      config column prefix (default redis; the row says NAME-nN)\n";

static const char *opt_url, *opt_prefix;
static int opt_wait_s = 120;

static int rd_extra(const char *name, const char *val)
{
    if (!val)
        return -1;
    if (strcmp(name, "--redis") == 0)
        opt_url = val;
    else if (strcmp(name, "--prefix") == 0)
        opt_prefix = val;
    else if (strcmp(name, "--wait-s") == 0 && atoi(val) > 0)
        opt_wait_s = atoi(val);
    else
        return -1;
    return 2;
}

static void rd_add_doubles(void *acc, const void *in, size_t bytes)
{
    double *out = acc;
    const double *v = in;

    for (size_t i = 0; i < bytes / sizeof(double); i++)
        out[i] += v[i];
}

static int rd_allreduce(void *ctx, const double *send, double *recv, size_t count)
{
    return rc_allreduce(ctx, send, recv, count * sizeof(double), rd_add_doubles);
}

static int rd_barrier(void *ctx)
{
    return rc_barrier(ctx);
}

static int rd_bcast_i64(void *ctx, int64_t *v)
{
    return rc_bcast(ctx, v, sizeof(*v));
}

static int rd_max_i64(void *ctx, int64_t *v, size_t n)
{
    rc_t *r = ctx;
    int64_t *tmp;
    char key[256];

    if (r->rank != 0)
        return rc_push(r, rc_key(r, key, sizeof(key), "ts", r->rank), v, n * sizeof(*v));
    tmp = malloc(n * sizeof(*tmp) + 1);
    if (!tmp) {
        snprintf(r->err, sizeof(r->err), "no memory for %zu time stamps", n);
        return -1;
    }
    for (int q = 1; q < r->size; q++) {
        if (rc_fetch(r, rc_key(r, key, sizeof(key), "ts", q), 1, tmp, n * sizeof(*tmp), NULL)) {
            free(tmp);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (tmp[i] > v[i])
                v[i] = tmp[i];
    }
    free(tmp);
    return 0;
}

static const char *rd_errstr(void *ctx, int rc)
{
    (void)rc;
    return ((rc_t *)ctx)->err;
}

int main(int argc, char **argv)
{
    static const cd_ops_t ops = {
        .allreduce = rd_allreduce,
        .barrier = rd_barrier,
        .bcast_i64 = rd_bcast_i64,
        .max_i64 = rd_max_i64,
        .errstr = rd_errstr,
    };
    bench_opts_t o;
    rc_t r;
    int status;

    if (bench_parse(argc, argv, usage, rd_extra, &o))
        return 2;
    if ((status = rc_open(&r, opt_url, opt_prefix, "praas-coll", opt_wait_s))) {
        fprintf(stderr, "redis_allreduce: %s\n", r.err);
        return status;
    }
    if (r.rank == 0)
        printf("# redis_allreduce: %d workers, %s, prefix %s, hiredis %d.%d\n", r.size, r.url,
               r.prefix, HIREDIS_MAJOR, HIREDIS_MINOR);
    status = cd_run(&ops, &r, r.rank, r.size, "redis_allreduce", o.label ? o.label : "redis", &o);
    if (status)
        fprintf(stderr, "redis_allreduce: rank %d stopped; last error: %s\n", r.rank,
                r.err[0] ? r.err : "(see above)");
    /* Everyone is done with the keys: the reducer removes them. */
    rc_close(&r, !status);
    return status;
}
