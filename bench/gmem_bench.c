/*
 * Global memory objects against the stores serverless functions exchange
 * data through today (bench/README-gmem.md, bench/run-gmem.sh). Run under
 * praas-run with 2 workers: rank 0 measures, rank 1 owns the remote
 * objects and only serves them (its progress thread). CSV on rank 0's
 * stdout, bench.h's schema.
 *
 *   gmem_bench access [--redis redis://H:P] [--s3 s3://BUCKET] [OPTIONS]
 *       per size, put and get latency (median of one operation of SIZE
 *       bytes) and bandwidth (SIZE / median) of:
 *         praas-local   an object at rank 0 itself (through the transport)
 *         praas-remote  an object at rank 1
 *         praas-first   open + put or get + close of an object at rank 1
 *                       that is not open: the directory lookup included
 *         redis         SET / GET of one key (hiredis, one connection)
 *         s3            PUT / GET of one object (praas's S3 backend, libcurl)
 *   gmem_bench persist --label BACKEND [OPTIONS]
 *       time of praas_obj_persist of an object of each size at rank 0 to
 *       PRAAS_STORAGE (config persist-BACKEND)
 *   gmem_bench restore --label BACKEND [OPTIONS]
 *       under praas-run --process of a process whose run before persisted
 *       the objects (mode persist): time of the praas_obj_open that
 *       restores each from storage onto rank 0 (config restore-BACKEND; one
 *       sample per size per run)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include <praas.h>

#include "bench/bench.h"
#include "storage/storage.h"

static const char usage[] =
    "Usage: praas-run -n 2 gmem_bench access|persist|restore [OPTIONS]\n"
    "Object put/get latency and bandwidth (local owner, remote owner, first access)\n"
    "beside Redis SET/GET and S3 PUT/GET; persist and restore time. CSV on rank 0.\n"
    "  --redis URL     redis://HOST:PORT to compare with (access; default: none)\n"
    "  --s3 URL        s3://BUCKET to compare with (access; endpoint and keys from\n"
    "                  the environment, as praas's S3 storage reads them)\n";

static const char *redis_url, *s3_url;

static int gb_extra(const char *name, const char *val)
{
    if (!val)
        return -1;
    if (strcmp(name, "--redis") == 0) {
        redis_url = val;
        return 2;
    }
    if (strcmp(name, "--s3") == 0) {
        s3_url = val;
        return 2;
    }
    return -1;
}

static bench_opts_t o;

/* One operation of `size` bytes, timed: returns 0 or an error. */
typedef int (*gb_op_t)(void *ctx, size_t size, char *buf);

/* Time op at size: warm-up, then as many samples as the budget allows;
 * print the row. */
static void gb_measure(const char *config, const char *opname, gb_op_t op, void *ctx,
                       size_t size, char *buf)
{
    double *samples, first;
    bench_stats_t st;
    uint64_t t;
    long n;

    for (long i = 0; i < o.warmup; i++)
        if (op(ctx, size, buf)) {
            fprintf(stderr, "gmem_bench: %s %s %zu: %s\n", config, opname, size,
                    praas_errmsg());
            return;
        }
    t = bench_now_ns();
    if (op(ctx, size, buf)) {
        fprintf(stderr, "gmem_bench: %s %s %zu: %s\n", config, opname, size, praas_errmsg());
        return;
    }
    first = (double)(bench_now_ns() - t);
    n = bench_iters_for(&o, first);
    samples = malloc((size_t)n * sizeof(*samples));
    if (!samples)
        return;
    for (long i = 0; i < n; i++) {
        t = bench_now_ns();
        if (op(ctx, size, buf)) {
            fprintf(stderr, "gmem_bench: %s %s %zu: %s\n", config, opname, size,
                    praas_errmsg());
            free(samples);
            return;
        }
        samples[i] = (double)(bench_now_ns() - t) / 1e3;
    }
    bench_stats(samples, n, &st);
    bench_row(config, opname, size, n, &st, bench_mbps((double)size, st.median));
    fflush(stdout);
    free(samples);
}

/* ---- praas ---- */

static int op_obj_put(void *ctx, size_t size, char *buf)
{
    return praas_obj_put(ctx, 0, buf, size);
}

static int op_obj_get(void *ctx, size_t size, char *buf)
{
    return praas_obj_get(ctx, 0, buf, size);
}

/* The first access: the name is not open here, so open asks the
 * directory. */
static int op_first_put(void *ctx, size_t size, char *buf)
{
    praas_obj_t obj;
    int rc = praas_obj_open(ctx, &obj);

    if (!rc) {
        rc = praas_obj_put(obj, 0, buf, size);
        praas_obj_close(&obj);
    }
    return rc;
}

static int op_first_get(void *ctx, size_t size, char *buf)
{
    praas_obj_t obj;
    int rc = praas_obj_open(ctx, &obj);

    if (!rc) {
        rc = praas_obj_get(obj, 0, buf, size);
        praas_obj_close(&obj);
    }
    return rc;
}

/* ---- Redis ---- */

/* A failed command: PRAAS_ERR_IO with Redis's words. */
static int gb_redis_fail(redisContext *c, redisReply *r, const char *cmd)
{
    fprintf(stderr, "gmem_bench: redis %s: %s\n", cmd,
            r && r->type == REDIS_REPLY_ERROR ? r->str : c->err ? c->errstr : "unexpected reply");
    freeReplyObject(r);
    return PRAAS_ERR_IO;
}

static int op_redis_set(void *ctx, size_t size, char *buf)
{
    char key[64];
    redisReply *r;

    snprintf(key, sizeof(key), "gmem_bench:%zu", size);
    r = redisCommand(ctx, "SET %s %b", key, buf, size);
    if (!r || r->type != REDIS_REPLY_STATUS)
        return gb_redis_fail(ctx, r, "SET");
    freeReplyObject(r);
    return 0;
}

static int op_redis_get(void *ctx, size_t size, char *buf)
{
    char key[64];
    redisReply *r;

    snprintf(key, sizeof(key), "gmem_bench:%zu", size);
    r = redisCommand(ctx, "GET %s", key);
    if (!r || r->type != REDIS_REPLY_STRING || r->len != size)
        return gb_redis_fail(ctx, r, "GET");
    memcpy(buf, r->str, size);
    freeReplyObject(r);
    return 0;
}

static redisContext *gb_redis_connect(const char *url)
{
    char host[256];
    int port;
    redisContext *c;

    if (sscanf(url, "redis://%255[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "gmem_bench: --redis %s: want redis://HOST:PORT\n", url);
        return NULL;
    }
    c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "gmem_bench: cannot connect to %s: %s\n", url,
                c ? c->errstr : "no memory");
        redisFree(c);
        return NULL;
    }
    return c;
}

/* ---- S3 (and any storage) ---- */

static int op_st_put(void *ctx, size_t size, char *buf)
{
    char key[64];

    snprintf(key, sizeof(key), "gmem_bench/%zu", size);
    return st_put(ctx, key, buf, size);
}

static int op_st_get(void *ctx, size_t size, char *buf)
{
    char key[64];
    void *data;
    size_t len;
    int rc;

    snprintf(key, sizeof(key), "gmem_bench/%zu", size);
    rc = st_get(ctx, key, &data, &len);
    if (!rc) {
        memcpy(buf, data, len < size ? len : size);
        free(data);
    }
    return rc;
}

/* ---- modes ---- */

static int run_access(int rank, char *buf)
{
    redisContext *rc_redis = NULL;
    st_t *s3 = NULL;
    char name[64];
    int rc;

    if (rank != 0) {
        /* Allocate the remote objects here, then serve them. */
        for (size_t s = o.min_size; s; s = bench_next_size(&o, s)) {
            praas_obj_t a, b;
            snprintf(name, sizeof(name), "remote.%zu", s);
            if ((rc = praas_obj_alloc(name, s, PRAAS_OBJ_HERE, &a)))
                return fprintf(stderr, "rank 1: %s\n", praas_errmsg()), 1;
            snprintf(name, sizeof(name), "first.%zu", s);
            if ((rc = praas_obj_alloc(name, s, PRAAS_OBJ_HERE, &b)))
                return fprintf(stderr, "rank 1: %s\n", praas_errmsg()), 1;
            praas_obj_close(&a);
            praas_obj_close(&b);
        }
        praas_barrier();
        praas_barrier();
        return 0;
    }
    if (redis_url && !(rc_redis = gb_redis_connect(redis_url)))
        return 1;
    if (s3_url && st_open(s3_url, &s3)) {
        fprintf(stderr, "gmem_bench: --s3 %s: %s\n", s3_url, praas_errmsg());
        return 1;
    }
    praas_barrier();
    if (o.header)
        printf("%s\n", BENCH_CSV_HEADER);
    for (size_t s = o.min_size; s; s = bench_next_size(&o, s)) {
        praas_obj_t local, remote;
        snprintf(name, sizeof(name), "local.%zu", s);
        if (praas_obj_alloc(name, s, PRAAS_OBJ_HERE, &local))
            return fprintf(stderr, "rank 0: %s\n", praas_errmsg()), 1;
        snprintf(name, sizeof(name), "remote.%zu", s);
        if (praas_obj_open(name, &remote))
            return fprintf(stderr, "rank 0: %s\n", praas_errmsg()), 1;
        gb_measure("praas-local", "put", op_obj_put, local, s, buf);
        gb_measure("praas-local", "get", op_obj_get, local, s, buf);
        gb_measure("praas-remote", "put", op_obj_put, remote, s, buf);
        gb_measure("praas-remote", "get", op_obj_get, remote, s, buf);
        snprintf(name, sizeof(name), "first.%zu", s);
        gb_measure("praas-first", "put", op_first_put, name, s, buf);
        gb_measure("praas-first", "get", op_first_get, name, s, buf);
        if (rc_redis) {
            gb_measure("redis", "put", op_redis_set, rc_redis, s, buf);
            gb_measure("redis", "get", op_redis_get, rc_redis, s, buf);
        }
        if (s3) {
            gb_measure("s3", "put", op_st_put, s3, s, buf);
            gb_measure("s3", "get", op_st_get, s3, s, buf);
        }
        praas_obj_free(&local);
        praas_obj_close(&remote);
    }
    praas_barrier();
    if (rc_redis)
        redisFree(rc_redis);
    st_close(s3);
    return 0;
}

static int op_persist(void *ctx, size_t size, char *buf)
{
    (void)size;
    (void)buf;
    return praas_obj_persist(ctx);
}

static int run_persist(int rank, char *buf)
{
    char config[64], name[64];

    snprintf(config, sizeof(config), "persist-%s", o.label ? o.label : "storage");
    if (rank == 0 && o.header)
        printf("%s\n", BENCH_CSV_HEADER);
    for (size_t s = o.min_size; rank == 0 && s; s = bench_next_size(&o, s)) {
        praas_obj_t obj;
        snprintf(name, sizeof(name), "ps.%zu", s);
        if (praas_obj_alloc(name, s, PRAAS_OBJ_HERE, &obj) || praas_obj_put(obj, 0, buf, s))
            return fprintf(stderr, "rank 0: %s\n", praas_errmsg()), 1;
        gb_measure(config, "persist", op_persist, obj, s, buf);
        praas_obj_close(&obj);
    }
    return 0;
}

static int run_restore(int rank)
{
    char config[64], name[64];

    snprintf(config, sizeof(config), "restore-%s", o.label ? o.label : "storage");
    if (rank == 0 && o.header)
        printf("%s\n", BENCH_CSV_HEADER);
    for (size_t s = o.min_size; rank == 0 && s; s = bench_next_size(&o, s)) {
        praas_obj_t obj;
        bench_stats_t st;
        double us;
        uint64_t t = bench_now_ns();
        snprintf(name, sizeof(name), "ps.%zu", s);
        if (praas_obj_open(name, &obj))
            return fprintf(stderr, "rank 0: %s\n", praas_errmsg()), 1;
        us = (double)(bench_now_ns() - t) / 1e3;
        praas_obj_close(&obj);
        bench_stats(&us, 1, &st);
        bench_row(config, "restore", s, 1, &st, bench_mbps((double)s, st.median));
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int rank, size, bad;
    char *buf;

    if (strcmp(mode, "access") && strcmp(mode, "persist") && strcmp(mode, "restore")) {
        fprintf(stderr, "%s", usage);
        return 2;
    }
    if (bench_parse(argc - 1, argv + 1, usage, gb_extra, &o))
        return 2;
    if (praas_init())
        return fprintf(stderr, "praas_init: %s\n", praas_errmsg()), 1;
    praas_rank(&rank);
    praas_size(&size);
    if (size != 2 && strcmp(mode, "access") == 0) {
        fprintf(stderr, "gmem_bench access: run it on 2 workers\n");
        praas_finalize();
        return 2;
    }
    buf = malloc(o.max_size);
    if (!buf)
        return 1;
    for (size_t i = 0; i < o.max_size; i++)
        buf[i] = (char)(i * 7);
    if (strcmp(mode, "access") == 0)
        bad = run_access(rank, buf);
    else if (strcmp(mode, "persist") == 0)
        bad = run_persist(rank, buf);
    else
        bad = run_restore(rank);
    free(buf);
    if (praas_finalize())
        bad = 1;
    return bad;
}
