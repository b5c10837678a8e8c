/*
 * Workers that talk only through a Redis server, as serverless systems do
 * today when their functions cannot reach each other (LambdaML's storage
 * channels, FMI's Redis channel): a barrier, a broadcast and an allreduce
 * built from SET, GET, RPUSH and BLPOP, for bench/redis_allreduce.c (the
 * allreduce alone) and bench/sgd_redis.c (SGD training over it). hiredis
 * only: nothing of praas or MPI.
 *
 * The workers are started by praas-run for its PRAAS_RANK and PRAAS_SIZE
 * (1 worker without them); each opens one connection. Every key starts with
 * a prefix that is the same at every worker and different per run.
 *
 * One allreduce (values binary-safe):
 *   rank r > 0:  SET P:in:r <vector>;  RPUSH P:ready r;
 *                BLPOP P:done:r;  GET P:out  -> result
 *   rank 0, the reducer:  BLPOP P:ready, n-1 times (every vector is there);
 *                GET P:in:1 .. P:in:n-1 and add them to its own vector in
 *                rank order (one fixed order, so all ranks get the same
 *                bits); SET P:out <sum>; RPUSH P:done:r for every r > 0.
 * The reducer keeps its own vector and the result locally instead of a SET
 * and a GET of its own: the cheapest form of the scheme, so comparisons err
 * in Redis's favour. Waits block in BLPOP (no polling), each at most
 * wait_s seconds. The keys are reused round after round: a worker writes
 * P:in:r again only after it read P:out, and the reducer writes P:out again
 * only after every worker announced its next vector, so no round can
 * overwrite one still being read. The barrier and the broadcast go through
 * lists the same way (P:bar:in, P:bar:out:r, P:bc:r).
 */
#ifndef PRAAS_BENCH_REDIS_CHAN_H
#define PRAAS_BENCH_REDIS_CHAN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

typedef struct rc {
    redisContext *c;
    int rank, size;
    char prefix[200];
    char url[256];  /* the server's */
    int wait_s;     /* longest wait in one BLPOP, seconds */
    char err[512];  /* the last error, for the caller to print */
} rc_t;

/* acc[i] += in[i] over bytes bytes of some element type. in comes from
 * hiredis (malloc'd, so aligned for any element type). */
typedef void (*rc_add_t)(void *acc, const void *in, size_t bytes);

/* Connect to url (NULL or "": $PRAAS_TEST_REDIS, else
 * redis://127.0.0.1:6379; the form is redis://HOST:PORT), taking rank and
 * size from PRAAS_RANK and PRAAS_SIZE. prefix NULL means
 * "default_prefix:$PRAAS_PROCESS" (the launcher's run id). Returns 0, or
 * an exit status with the reason in r->err and nothing to close: 2 for a
 * bad URL or rank, 1 when the server cannot be reached. */
int rc_open(rc_t *r, const char *url, const char *prefix, const char *default_prefix,
            int wait_s);

/* Close the connection. With clean (every worker got through its last
 * collective), first a barrier, then rank 0 deletes the allreduce's keys
 * (P:out, P:in:r); without, nothing more (a peer may be gone). Returns 0,
 * or -1 (r->err) if the barrier failed; closes in any case. */
int rc_close(rc_t *r, int clean);

/* The key "P:what" (r < 0) or "P:what:r" in buf. */
const char *rc_key(const rc_t *r, char *buf, size_t len, const char *what, int rank);

/* SET key to / RPUSH onto key len bytes of buf. 0 or -1 (r->err). */
int rc_set(rc_t *r, const char *key, const void *buf, size_t len);
int rc_push(rc_t *r, const char *key, const void *buf, size_t len);

/* GET key, or BLPOP it (pop != 0, at most r->wait_s seconds), into buf,
 * which holds want bytes (want 0: any length, nothing copied); with add,
 * add(buf, value, want) instead of a copy. A value of another length than
 * want is an error. 0 or -1 (r->err). */
int rc_fetch(rc_t *r, const char *key, int pop, void *buf, size_t want, rc_add_t add);

/* Collectives of all r->size workers, through the scheme above. */
int rc_barrier(rc_t *r);
/* recv = the element-wise sum (add) of every rank's send, bytes each. */
int rc_allreduce(rc_t *r, const void *send, void *recv, size_t bytes, rc_add_t add);
/* Rank 0's buf[0..bytes) to every rank. */
int rc_bcast(rc_t *r, void *buf, size_t bytes);

#endif /* PRAAS_BENCH_REDIS_CHAN_H */
