/*
 * Collectives through a Redis server (redis_chan.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bench/redis_chan.h"

static int rc_fail(rc_t *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    return -1;
}

const char *rc_key(const rc_t *r, char *buf, size_t len, const char *what, int rank)
{
    if (rank >= 0)
        snprintf(buf, len, "%s:%s:%d", r->prefix, what, rank);
    else
        snprintf(buf, len, "%s:%s", r->prefix, what);
    return buf;
}

/* Run a command whose reply should not be an error; the reply, or NULL with
 * r->err set. */
static redisReply *rc_cmd(rc_t *r, const char *what, int argc, const char **argv,
                          const size_t *lens)
{
    redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);

    if (!rep) {
        rc_fail(r, "%s: %s", what, r->c->errstr[0] ? r->c->errstr : "connection lost");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        rc_fail(r, "%s: %s", what, rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

static int rc_simple(rc_t *r, const char *what, int argc, const char **argv, const size_t *lens)
{
    redisReply *rep = rc_cmd(r, what, argc, argv, lens);

    if (!rep)
        return -1;
    freeReplyObject(rep);
    return 0;
}

int rc_set(rc_t *r, const char *key, const void *buf, size_t len)
{
    const char *argv[3] = {"SET", key, buf};
    size_t lens[3] = {3, strlen(key), len};
    return rc_simple(r, key, 3, argv, lens);
}

int rc_push(rc_t *r, const char *key, const void *buf, size_t len)
{
    const char *argv[3] = {"RPUSH", key, buf};
    size_t lens[3] = {5, strlen(key), len};
    return rc_simple(r, key, 3, argv, lens);
}

int rc_fetch(rc_t *r, const char *key, int pop, void *buf, size_t want, rc_add_t add)
{
    char tmo[16];
    const char *argv[3] = {pop ? "BLPOP" : "GET", key, tmo};
    size_t lens[3] = {pop ? 5u : 3u, strlen(key), 0};
    redisReply *rep, *val;
    int rc = 0;

    snprintf(tmo, sizeof(tmo), "%d", r->wait_s);
    lens[2] = strlen(tmo);
    rep = rc_cmd(r, key, pop ? 3 : 2, argv, lens);
    if (!rep)
        return -1;
    val = rep;
    if (pop) {
        if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
            freeReplyObject(rep);
            return rc_fail(r, "BLPOP %s: nothing after %d s (a peer is gone or late)", key,
                           r->wait_s);
        }
        val = rep->element[1];
    }
    if (val->type != REDIS_REPLY_STRING)
        rc = rc_fail(r, "%s: no value", key);
    else if (want && (size_t)val->len != want)
        rc = rc_fail(r, "%s: %zu bytes where %zu were expected", key, (size_t)val->len, want);
    else if (add)
        add(buf, val->str, want);
    else if (buf && want)
        memcpy(buf, val->str, want);
    freeReplyObject(rep);
    return rc;
}

int rc_barrier(rc_t *r)
{
    char key[256];

    if (r->size == 1)
        return 0;
    if (r->rank != 0) {
        if (rc_push(r, rc_key(r, key, sizeof(key), "bar:in", -1), "1", 1))
            return -1;
        return rc_fetch(r, rc_key(r, key, sizeof(key), "bar:out", r->rank), 1, NULL, 0, NULL);
    }
    for (int i = 1; i < r->size; i++)
        if (rc_fetch(r, rc_key(r, key, sizeof(key), "bar:in", -1), 1, NULL, 0, NULL))
            return -1;
    for (int q = 1; q < r->size; q++)
        if (rc_push(r, rc_key(r, key, sizeof(key), "bar:out", q), "1", 1))
            return -1;
    return 0;
}

int rc_allreduce(rc_t *r, const void *send, void *recv, size_t bytes, rc_add_t add)
{
    char key[256], rk[16];

    if (r->rank != 0) {
        snprintf(rk, sizeof(rk), "%d", r->rank);
        if (rc_set(r, rc_key(r, key, sizeof(key), "in", r->rank), send, bytes) ||
            rc_push(r, rc_key(r, key, sizeof(key), "ready", -1), rk, strlen(rk)) ||
            rc_fetch(r, rc_key(r, key, sizeof(key), "done", r->rank), 1, NULL, 0, NULL))
            return -1;
        return rc_fetch(r, rc_key(r, key, sizeof(key), "out", -1), 0, recv, bytes, NULL);
    }
    memcpy(recv, send, bytes);
    if (r->size == 1)
        return 0;
    for (int i = 1; i < r->size; i++)
        if (rc_fetch(r, rc_key(r, key, sizeof(key), "ready", -1), 1, NULL, 0, NULL))
            return -1;
    for (int q = 1; q < r->size; q++)
        if (rc_fetch(r, rc_key(r, key, sizeof(key), "in", q), 0, recv, bytes, add))
            return -1;
    if (rc_set(r, rc_key(r, key, sizeof(key), "out", -1), recv, bytes))
        return -1;
    for (int q = 1; q < r->size; q++)
        if (rc_push(r, rc_key(r, key, sizeof(key), "done", q), "1", 1))
            return -1;
    return 0;
}

int rc_bcast(rc_t *r, void *buf, size_t bytes)
{
    char key[256];

    if (r->rank != 0)
        return rc_fetch(r, rc_key(r, key, sizeof(key), "bc", r->rank), 1, buf, bytes, NULL);
    for (int q = 1; q < r->size; q++)
        if (rc_push(r, rc_key(r, key, sizeof(key), "bc", q), buf, bytes))
            return -1;
    return 0;
}

/* redis://HOST:PORT (the scheme and the port optional). */
static int rc_parse_url(const char *url, char *host, size_t hlen, int *port_p)
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

static int rc_env_int(const char *name, int dflt)
{
    const char *s = getenv(name);
    return s && *s ? atoi(s) : dflt;
}

int rc_open(rc_t *r, const char *url, const char *prefix, const char *default_prefix,
            int wait_s)
{
    const char *proc = getenv("PRAAS_PROCESS");
    struct timeval tv = {10, 0};
    char host[256];
    int port;

    memset(r, 0, sizeof(*r));
    r->rank = rc_env_int("PRAAS_RANK", 0);
    r->size = rc_env_int("PRAAS_SIZE", 1);
    r->wait_s = wait_s > 0 ? wait_s : 120;
    if (r->size < 1 || r->rank < 0 || r->rank >= r->size) {
        rc_fail(r, "bad PRAAS_RANK %d / PRAAS_SIZE %d", r->rank, r->size);
        return 2;
    }
    if (!url || !*url)
        url = getenv("PRAAS_TEST_REDIS");
    if (!url || !*url)
        url = "redis://127.0.0.1:6379";
    if (rc_parse_url(url, host, sizeof(host), &port)) {
        rc_fail(r, "cannot parse the Redis URL %s (want redis://HOST:PORT)", url);
        return 2;
    }
    snprintf(r->url, sizeof(r->url), "%s", url);
    if (prefix)
        snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
    else
        snprintf(r->prefix, sizeof(r->prefix), "%s:%s", default_prefix, proc ? proc : "0");
    r->c = redisConnectWithTimeout(host, port, tv);
    if (!r->c || r->c->err) {
        rc_fail(r, "rank %d: cannot connect to %s: %s", r->rank, url,
                r->c ? r->c->errstr : "no memory");
        if (r->c)
            redisFree(r->c);
        r->c = NULL;
        return 1;
    }
    return 0;
}

int rc_close(rc_t *r, int clean)
{
    char key[256];
    int status = 0;

    if (!r->c)
        return 0;
    if (clean && rc_barrier(r))
        status = -1;
    else if (clean && r->rank == 0) {
        const char *del[2] = {"DEL", rc_key(r, key, sizeof(key), "out", -1)};
        rc_simple(r, "DEL", 2, del, NULL);
        for (int q = 1; q < r->size; q++) {
            del[1] = rc_key(r, key, sizeof(key), "in", q);
            rc_simple(r, "DEL", 2, del, NULL);
        }
    }
    redisFree(r->c);
    r->c = NULL;
    return status;
}
