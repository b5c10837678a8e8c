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
 * without them). Every worker opens one hiredis connection.
 *
 * One allreduce (keys under the prefix P, values binary-safe):
 *   rank r > 0:  SET P:in:r <vector>;  RPUSH P:ready r;
 *                BLPOP P:done:r;  GET P:out  -> result
 *   rank 0, the reducer:  BLPOP P:ready, n-1 times (every vector is there);
 *                GET P:in:1 .. P:in:n-1 and add them to its own vector in
 *                rank order (one fixed order, so all ranks get the same
 *                bits); SET P:out <sum>; RPUSH P:done:r for every r > 0.
 * The reducer keeps its own vector and the result locally instead of a SET
 * and a GET of its own: the cheapest form of the scheme, so the comparison
 * errs in Redis's favour. Waits block in BLPOP (no polling). The keys are
 * reused round after round: a worker writes P:in:r again only after it
 * read P:out, and the reducer writes P:out again only after every worker
 * announced its next vector, so no round can overwrite one still read.
 * The barrier, the broadcast of iteration counts and the max-reduction of
 * the time stamps go through lists the same way (P:bar:in, P:bar:out:r,
 * P:bc:r, P:ts:r), outside the timed region.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "bench/bench.h"
#include "bench/coll_driver.h"

static const char usage[] =
    "usage: praas-run -n N redis_allreduce [OPTIONS]\n"
    "Allreduce (doubles, SUM) through a Redis server, one CSV row per size.\n"
    "  --redis URL       redis://HOST:PORT (default $PRAAS_TEST_REDIS, else\n"
    "                    redis://127.0.0.1:6379)\n"
    "  --prefix P        key prefix, the same at every worker (default\n"
    "                    praas-coll:$PRAAS_PROCESS)\n"
    "  --wait-s S        longest wait for a peer in one BLPOP (default 120)\n"
    "  --label NAME      config column prefix (default redis; the row says NAME-nN)\n";

typedef struct rd {
    redisContext *c;
    int rank, size;
    char prefix[200];
    int wait_s;
    char err[512];
} rd_t;

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

static int rd_fail(rd_t *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->err, sizeof(d->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* A key "P:what" or "P:what:r" (r >= 0). */
static const char *rd_key(rd_t *d, char *buf, size_t len, const char *what, int r)
{
    if (r >= 0)
        snprintf(buf, len, "%s:%s:%d", d->prefix, what, r);
    else
        snprintf(buf, len, "%s:%s", d->prefix, what);
    return buf;
}

/* Run a command whose reply should not be an error; the reply, or NULL with
 * d->err set. */
static redisReply *rd_cmd(rd_t *d, const char *what, int argc, const char **argv,
                          const size_t *lens)
{
    redisReply *rep = redisCommandArgv(d->c, argc, argv, lens);

    if (!rep) {
        rd_fail(d, "%s: %s", what, d->c->errstr[0] ? d->c->errstr : "connection lost");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        rd_fail(d, "%s: %s", what, rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

static int rd_simple(rd_t *d, const char *what, int argc, const char **argv, const size_t *lens)
{
    redisReply *rep = rd_cmd(d, what, argc, argv, lens);

    if (!rep)
        return -1;
    freeReplyObject(rep);
    return 0;
}

static int rd_set(rd_t *d, const char *key, const void *buf, size_t len)
{
    const char *argv[3] = {"SET", key, buf};
    size_t lens[3] = {3, strlen(key), len};
    return rd_simple(d, key, 3, argv, lens);
}

static int rd_push(rd_t *d, const char *key, const void *buf, size_t len)
{
    const char *argv[3] = {"RPUSH", key, buf};
    size_t lens[3] = {5, strlen(key), len};
    return rd_simple(d, key, 3, argv, lens);
}

/* GET key (want == 0: any length) or BLPOP key (pop != 0) into buf, which
 * holds want bytes; or, for add != 0, buf[i] += value[i] as doubles. */
static int rd_fetch(rd_t *d, const char *key, int pop, void *buf, size_t want, int add)
{
    char tmo[16];
    const char *argv[3] = {pop ? "BLPOP" : "GET", key, tmo};
    size_t lens[3] = {pop ? 5u : 3u, strlen(key), 0};
    redisReply *rep, *val;
    int rc = 0;

    snprintf(tmo, sizeof(tmo), "%d", d->wait_s);
    lens[2] = strlen(tmo);
    rep = rd_cmd(d, key, pop ? 3 : 2, argv, lens);
    if (!rep)
        return -1;
    val = rep;
    if (pop) {
        if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
            freeReplyObject(rep);
            return rd_fail(d, "BLPOP %s: nothing after %d s (a peer is gone or late)", key,
                           d->wait_s);
        }
        val = rep->element[1];
    }
    if (val->type != REDIS_REPLY_STRING)
        rc = rd_fail(d, "%s: no value", key);
    else if (want && (size_t)val->len != want)
        rc = rd_fail(d, "%s: %zu bytes where %zu were expected", key, (size_t)val->len, want);
    else if (add) {
        const double *in = (const double *)(const void *)val->str;
        double *out = buf;
        /* hiredis's string is malloc'd, so aligned for doubles. */
        for (size_t i = 0; i < want / sizeof(double); i++)
            out[i] += in[i];
    } else if (buf)
        memcpy(buf, val->str, want);
    freeReplyObject(rep);
    return rc;
}

static int rd_barrier(void *ctx)
{
    rd_t *d = ctx;
    char key[256];

    if (d->size == 1)
        return 0;
    if (d->rank != 0) {
        if (rd_push(d, rd_key(d, key, sizeof(key), "bar:in", -1), "1", 1))
            return -1;
        return rd_fetch(d, rd_key(d, key, sizeof(key), "bar:out", d->rank), 1, NULL, 0, 0);
    }
    for (int i = 1; i < d->size; i++)
        if (rd_fetch(d, rd_key(d, key, sizeof(key), "bar:in", -1), 1, NULL, 0, 0))
            return -1;
    for (int r = 1; r < d->size; r++)
        if (rd_push(d, rd_key(d, key, sizeof(key), "bar:out", r), "1", 1))
            return -1;
    return 0;
}

static int rd_allreduce(void *ctx, const double *send, double *recv, size_t count)
{
    rd_t *d = ctx;
    size_t bytes = count * sizeof(double);
    char key[256], rk[16];

    if (d->rank != 0) {
        snprintf(rk, sizeof(rk), "%d", d->rank);
        if (rd_set(d, rd_key(d, key, sizeof(key), "in", d->rank), send, bytes) ||
            rd_push(d, rd_key(d, key, sizeof(key), "ready", -1), rk, strlen(rk)) ||
            rd_fetch(d, rd_key(d, key, sizeof(key), "done", d->rank), 1, NULL, 0, 0))
            return -1;
        return rd_fetch(d, rd_key(d, key, sizeof(key), "out", -1), 0, recv, bytes, 0);
    }
    memcpy(recv, send, bytes);
    if (d->size == 1)
        return 0;
    for (int i = 1; i < d->size; i++)
        if (rd_fetch(d, rd_key(d, key, sizeof(key), "ready", -1), 1, NULL, 0, 0))
            return -1;
    for (int r = 1; r < d->size; r++)
        if (rd_fetch(d, rd_key(d, key, sizeof(key), "in", r), 0, recv, bytes, 1))
            return -1;
    if (rd_set(d, rd_key(d, key, sizeof(key), "out", -1), recv, bytes))
        return -1;
    for (int r = 1; r < d->size; r++)
        if (rd_push(d, rd_key(d, key, sizeof(key), "done", r), "1", 1))
            return -1;
    return 0;
}

static int rd_bcast_i64(void *ctx, int64_t *v)
{
    rd_t *d = ctx;
    char key[256];

    if (d->rank != 0)
        return rd_fetch(d, rd_key(d, key, sizeof(key), "bc", d->rank), 1, v, sizeof(*v), 0);
    for (int r = 1; r < d->size; r++)
        if (rd_push(d, rd_key(d, key, sizeof(key), "bc", r), v, sizeof(*v)))
            return -1;
    return 0;
}

static int rd_max_i64(void *ctx, int64_t *v, size_t n)
{
    rd_t *d = ctx;
    int64_t *tmp;
    char key[256];

    if (d->rank != 0)
        return rd_push(d, rd_key(d, key, sizeof(key), "ts", d->rank), v, n * sizeof(*v));
    tmp = malloc(n * sizeof(*tmp) + 1);
    if (!tmp)
        return rd_fail(d, "no memory for %zu time stamps", n);
    for (int r = 1; r < d->size; r++) {
        if (rd_fetch(d, rd_key(d, key, sizeof(key), "ts", r), 1, tmp, n * sizeof(*tmp), 0)) {
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
    return ((rd_t *)ctx)->err;
}

/* redis://HOST:PORT (the scheme and the port optional). */
static int rd_parse_url(const char *url, char *host, size_t hlen, int *port_p)
{
    const char *h = strncmp(url, "redis://", 8) == 0 ? url + 8 : url, *colon;
    size_t n;

    colon = strrchr(h, ':');
    n = colon ? (size_t)(colon - h) : strlen(h);
    while (n && h[n - 1] == '/')
        n--;
    if (n == 0 || n >= hlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port_p = colon ? atoi(colon + 1) : 6379;
    return *port_p > 0 && *port_p < 65536 ? 0 : -1;
}

static int rd_env_int(const char *name, int dflt)
{
    const char *s = getenv(name);
    return s && *s ? atoi(s) : dflt;
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
    const char *url, *proc = getenv("PRAAS_PROCESS");
    struct timeval tv = {10, 0};
    char host[256], key[256];
    bench_opts_t o;
    rd_t d = {0};
    int port, status;

    if (bench_parse(argc, argv, usage, rd_extra, &o))
        return 2;
    d.rank = rd_env_int("PRAAS_RANK", 0);
    d.size = rd_env_int("PRAAS_SIZE", 1);
    d.wait_s = opt_wait_s;
    if (d.size < 1 || d.rank < 0 || d.rank >= d.size) {
        fprintf(stderr, "redis_allreduce: bad PRAAS_RANK %d / PRAAS_SIZE %d\n", d.rank, d.size);
        return 2;
    }
    url = opt_url ? opt_url : getenv("PRAAS_TEST_REDIS");
    if (!url || !*url)
        url = "redis://127.0.0.1:6379";
    if (rd_parse_url(url, host, sizeof(host), &port)) {
        fprintf(stderr, "redis_allreduce: cannot parse the Redis URL %s (want redis://HOST:PORT)\n",
                url);
        return 2;
    }
    if (opt_prefix)
        snprintf(d.prefix, sizeof(d.prefix), "%s", opt_prefix);
    else
        snprintf(d.prefix, sizeof(d.prefix), "praas-coll:%s", proc ? proc : "0");
    d.c = redisConnectWithTimeout(host, port, tv);
    if (!d.c || d.c->err) {
        fprintf(stderr, "redis_allreduce: rank %d: cannot connect to %s: %s\n", d.rank, url,
                d.c ? d.c->errstr : "no memory");
        if (d.c)
            redisFree(d.c);
        return 1;
    }
    if (d.rank == 0)
        printf("# redis_allreduce: %d workers, %s, prefix %s, hiredis %d.%d\n", d.size, url,
               d.prefix, HIREDIS_MAJOR, HIREDIS_MINOR);
    status = cd_run(&ops, &d, d.rank, d.size, "redis_allreduce", o.label ? o.label : "redis", &o);
    /* Everyone is done with the keys: the reducer removes them. */
    if (!status && rd_barrier(&d) == 0 && d.rank == 0) {
        const char *del[3] = {"DEL", rd_key(&d, key, sizeof(key), "out", -1), NULL};
        char in[256];
        rd_simple(&d, "DEL", 2, del, NULL);
        for (int r = 1; r < d.size; r++) {
            del[1] = rd_key(&d, in, sizeof(in), "in", r);
            rd_simple(&d, "DEL", 2, del, NULL);
        }
    }
    if (status)
        fprintf(stderr, "redis_allreduce: rank %d stopped; last error: %s\n", d.rank,
                d.err[0] ? d.err : "(see above)");
    redisFree(d.c);
    return status;
}
