/*
 * The Redis store: each store operation is one Redis command (or one
 * MULTI/EXEC transaction) on a small pool of synchronous hiredis
 * connections.
 *
 * A pool rather than one connection per thread because the HTTP layer runs
 * a thread per connection and hundreds of them may wait at a fence:
 * a per-thread connection would open hundreds of Redis connections and
 * could not be closed when MHD ends the thread. A pool rather than one
 * locked connection so that a slow reply does not stall every request.
 *
 * A connection that fails is dropped and opened again by its next user. A
 * command that may be repeated without changing its effect (everything but
 * SET NX) is retried once on a fresh connection, which hides a Redis
 * restart or an idle connection closed by the server.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "control/store.h"
#include "core/common.h"
#include "core/error.h"
#include "core/redis_url.h"

#define REDIS_POOL 8
#define REDIS_CONNECT_TIMEOUT_MS 2000
#define REDIS_COMMAND_TIMEOUT_MS 10000
/* Keys per SCAN step and per MGET: large enough to need few round trips,
 * small enough to keep each reply modest. */
#define REDIS_BATCH 512

struct redis_store {
    struct cp_store base;
    char host[256];
    int port;
    int db;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    redisContext *conns[REDIS_POOL];
    int busy[REDIS_POOL];
};

/* One command of a pipeline, as argument vectors (binary safe). */
struct redis_cmd {
    int argc;
    const char **argv;
    const size_t *len;
};

/* Fill st's host, port and db from "redis://HOST:PORT[/DB]". */
static int redis_parse_url(const char *url, struct redis_store *st)
{
    core_redis_addr_t a;
    int rc = core_redis_url_parse(url, "store URL", &a);

    if (rc)
        return rc;
    memcpy(st->host, a.host, sizeof(st->host));
    st->port = a.port;
    st->db = a.db;
    return 0;
}

static struct timeval redis_tv(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

/* Open a connection, select the database, and set the command timeout.
 * Returns it or NULL with the error recorded. */
static redisContext *redis_connect(struct redis_store *st)
{
    redisContext *c = redisConnectWithTimeout(st->host, st->port,
                                              redis_tv(REDIS_CONNECT_TIMEOUT_MS));
    redisReply *r;

    if (c == NULL) {
        core_err(PRAAS_ERR_CONTROL, "cannot reach Redis at %s:%d: out of memory", st->host,
                 st->port);
        return NULL;
    }
    if (c->err) {
        core_err(PRAAS_ERR_CONTROL, "cannot reach Redis at %s:%d: %s", st->host, st->port,
                 c->errstr);
        goto err_free;
    }
    redisSetTimeout(c, redis_tv(REDIS_COMMAND_TIMEOUT_MS));
    if (st->db) {
        r = redisCommand(c, "SELECT %d", st->db);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            core_err(PRAAS_ERR_CONTROL, "Redis at %s:%d: cannot select database %d: %s",
                     st->host, st->port, st->db, r ? r->str : c->errstr);
            freeReplyObject(r);
            goto err_free;
        }
        freeReplyObject(r);
    }
    return c;

err_free:
    redisFree(c);
    return NULL;
}

/* Take a pool slot, waiting for one if all are busy. */
static int redis_acquire(struct redis_store *st)
{
    int i;

    pthread_mutex_lock(&st->lock);
    for (;;) {
        for (i = 0; i < REDIS_POOL; i++)
            if (!st->busy[i])
                goto found;
        pthread_cond_wait(&st->freed, &st->lock);
    }
found:
    st->busy[i] = 1;
    pthread_mutex_unlock(&st->lock);
    return i;
}

static void redis_release(struct redis_store *st, int i)
{
    pthread_mutex_lock(&st->lock);
    st->busy[i] = 0;
    pthread_cond_signal(&st->freed);
    pthread_mutex_unlock(&st->lock);
}

/* Send the commands pipelined on slot i's connection and read one reply
 * each. Returns 0, or -1 when the connection failed (it is then freed and
 * the error recorded). hiredis writes with write(), so a Redis that went
 * away would raise SIGPIPE and kill the program: the signal is blocked in
 * this thread for the exchange and a SIGPIPE it caused is consumed. */
static int redis_exchange(struct redis_store *st, int i, const struct redis_cmd *cmds,
                          int ncmds, redisReply **replies)
{
    redisContext *c = st->conns[i];
    sigset_t pipe_set, old_set, pending;
    int k, got = 0, rc = 0, was_pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);

    for (k = 0; k < ncmds; k++)
        if (redisAppendCommandArgv(c, cmds[k].argc, cmds[k].argv, cmds[k].len) != REDIS_OK)
            goto err_conn;
    for (got = 0; got < ncmds; got++) {
        void *r = NULL;
        if (redisGetReply(c, &r) != REDIS_OK || r == NULL)
            goto err_conn;
        replies[got] = r;
    }
    goto out;

err_conn:
    core_err(PRAAS_ERR_CONTROL, "Redis at %s:%d: %s", st->host, st->port,
             c->errstr[0] ? c->errstr : "connection failed");
    for (k = 0; k < got; k++)
        freeReplyObject(replies[k]);
    redisFree(c);
    st->conns[i] = NULL;
    rc = -1;
out:
    if (!was_pending) {
        struct timespec zero = {0, 0};
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE))
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    return rc;
}

/* Record code with the current message prefixed by "what 'key': ". The
 * message is copied first: it lives in the buffer core_err writes. */
static int redis_wrap(int code, const char *what, const char *key)
{
    char cause[512];

    snprintf(cause, sizeof(cause), "%s", praas_errmsg());
    return core_err(code, "%s '%s': %s", what, key, cause);
}

/* Run a pipeline of commands and return their replies (the caller frees
 * each with freeReplyObject). A failed connection is opened again and, when
 * the commands are idempotent, they are sent once more. An error reply
 * fails the whole call (replies freed): WRONGTYPE as PRAAS_ERR_STATE,
 * others as PRAAS_ERR_CONTROL, both naming what and key. */
static int redis_run(struct redis_store *st, const char *what, const char *key, int idempotent,
                     const struct redis_cmd *cmds, int ncmds, redisReply **replies)
{
    int i = redis_acquire(st), attempt, rc = PRAAS_ERR_CONTROL;

    for (attempt = 0; attempt < (idempotent ? 2 : 1); attempt++) {
        int fresh = 0;
        if (st->conns[i] == NULL) {
            st->conns[i] = redis_connect(st);
            if (st->conns[i] == NULL)
                goto err_release;
            fresh = 1;
        }
        if (redis_exchange(st, i, cmds, ncmds, replies) == 0)
            break;
        /* A fresh connection that fails at once will fail again. */
        if (fresh)
            goto err_release;
    }
    if (attempt == (idempotent ? 2 : 1))
        goto err_release;
    redis_release(st, i);

    for (int k = 0; k < ncmds; k++) {
        if (replies[k]->type != REDIS_REPLY_ERROR)
            continue;
        if (strncmp(replies[k]->str, "WRONGTYPE", 9) == 0)
            rc = core_err(PRAAS_ERR_STATE, "Redis at %s:%d: %s '%s': %s", st->host, st->port,
                          what, key, replies[k]->str);
        else
            rc = core_err(PRAAS_ERR_CONTROL, "Redis at %s:%d: %s '%s': %s", st->host,
                          st->port, what, key, replies[k]->str);
        for (k = 0; k < ncmds; k++)
            freeReplyObject(replies[k]);
        return rc;
    }
    return 0;

err_release:
    redis_release(st, i);
    return redis_wrap(PRAAS_ERR_CONTROL, what, key);
}

/* A reply of an unexpected type means a server that is not Redis or a bug:
 * name it rather than guess. */
static int redis_unexpected(struct redis_store *st, const char *what, const char *key,
                            const redisReply *r)
{
    return core_err(PRAAS_ERR_CONTROL, "Redis at %s:%d: %s '%s': unexpected reply type %d",
                    st->host, st->port, what, key, r->type);
}

#define CMD(...)                                                                  \
    {                                                                             \
        .argc = (int)PRAAS_ARRAY_SIZE(((const char *[]){__VA_ARGS__})),           \
        .argv = (const char *[]){__VA_ARGS__}, .len = NULL,                       \
    }

static int redis_get(struct cp_store *base, const char *key, char **val_p, size_t *len_p)
{
    struct redis_store *st = (struct redis_store *)base;
    struct redis_cmd cmd = CMD("GET", key);
    redisReply *r;
    char *copy;
    int rc;

    rc = redis_run(st, "GET", key, 1, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type == REDIS_REPLY_NIL) {
        rc = core_err(PRAAS_ERR_NOT_FOUND, "Redis at %s:%d: no key '%s'", st->host, st->port,
                      key);
        goto out;
    }
    if (r->type != REDIS_REPLY_STRING) {
        rc = redis_unexpected(st, "GET", key, r);
        goto out;
    }
    copy = malloc(r->len + 1);
    if (copy == NULL) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for the %zu bytes of '%s'", r->len, key);
        goto out;
    }
    memcpy(copy, r->str, r->len);
    copy[r->len] = '\0';
    *val_p = copy;
    if (len_p)
        *len_p = r->len;
out:
    freeReplyObject(r);
    return rc;
}

static int redis_set(struct cp_store *base, const char *key, const void *val, size_t len,
                     unsigned flags)
{
    struct redis_store *st = (struct redis_store *)base;
    const char *argv[] = {"SET", key, val, "NX"};
    size_t lens[] = {3, strlen(key), len, 2};
    int nx = (flags & CP_STORE_IF_ABSENT) != 0;
    struct redis_cmd cmd = {.argc = nx ? 4 : 3, .argv = argv, .len = lens};
    redisReply *r;
    int rc;

    rc = redis_run(st, "SET", key, !nx, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type == REDIS_REPLY_NIL)
        rc = core_err(PRAAS_ERR_EXISTS, "Redis at %s:%d: key '%s' exists", st->host, st->port,
                      key);
    else if (r->type != REDIS_REPLY_STATUS)
        rc = redis_unexpected(st, "SET", key, r);
    freeReplyObject(r);
    return rc;
}

static int redis_del(struct cp_store *base, const char *key)
{
    struct redis_store *st = (struct redis_store *)base;
    struct redis_cmd cmd = CMD("DEL", key);
    redisReply *r;
    int rc;

    rc = redis_run(st, "DEL", key, 1, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        rc = redis_unexpected(st, "DEL", key, r);
    else if (r->integer == 0)
        rc = core_err(PRAAS_ERR_NOT_FOUND, "Redis at %s:%d: no key '%s'", st->host, st->port,
                      key);
    freeReplyObject(r);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort v and drop repeats (SCAN may return a key more than once). Returns
 * the new count. */
static size_t redis_sort_unique(char **v, size_t n)
{
    size_t o = 0;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i], v[o]) == 0)
            free(v[i]);
        else
            v[++o] = v[i];
    }
    return o + 1;
}

/* Append copies of the strings of reply array r to *v. */
static int redis_collect(const redisReply *r, char ***v, size_t *n, size_t *cap)
{
    for (size_t k = 0; k < r->elements; k++) {
        if (r->element[k]->type != REDIS_REPLY_STRING)
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            char **grown = realloc(*v, ncap * sizeof(**v));
            if (grown == NULL)
                return PRAAS_ERR_NOMEM;
            *v = grown;
            *cap = ncap;
        }
        (*v)[*n] = strndup(r->element[k]->str, r->element[k]->len);
        if ((*v)[*n] == NULL)
            return PRAAS_ERR_NOMEM;
        (*n)++;
    }
    return 0;
}

/* SCAN MATCH takes a glob: escape its special characters in the prefix. */
static char *redis_glob(const char *prefix)
{
    char *g = malloc(strlen(prefix) * 2 + 2), *o = g;

    if (g == NULL)
        return NULL;
    for (; *prefix; prefix++) {
        if (strchr("*?[]\\", *prefix))
            *o++ = '\\';
        *o++ = *prefix;
    }
    *o++ = '*';
    *o = '\0';
    return g;
}

/* Fetch the values of keys[0..n) with MGET in batches into items, leaving
 * out keys that vanished or hold a set (MGET answers nil for both). */
static int redis_mget(struct redis_store *st, const char *prefix, char **keys, size_t n,
                      struct cp_kv *items, size_t *nitems_p)
{
    const char *argv[REDIS_BATCH + 1];
    size_t nitems = 0;
    int rc;

    argv[0] = "MGET";
    for (size_t base = 0; base < n; base += REDIS_BATCH) {
        size_t b = PRAAS_MIN((size_t)REDIS_BATCH, n - base);
        struct redis_cmd cmd = {.argc = (int)b + 1, .argv = argv, .len = NULL};
        redisReply *r;

        for (size_t k = 0; k < b; k++)
            argv[k + 1] = keys[base + k];
        rc = redis_run(st, "MGET", prefix, 1, &cmd, 1, &r);
        if (rc < 0)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != b) {
            rc = redis_unexpected(st, "MGET", prefix, r);
            freeReplyObject(r);
            return rc;
        }
        for (size_t k = 0; k < b; k++) {
            redisReply *e = r->element[k];
            if (e->type != REDIS_REPLY_STRING)
                continue;
            items[nitems].val = malloc(e->len + 1);
            if (items[nitems].val == NULL) {
                freeReplyObject(r);
                *nitems_p = nitems;
                return core_err(PRAAS_ERR_NOMEM, "no memory for the values of '%s*'", prefix);
            }
            memcpy(items[nitems].val, e->str, e->len);
            items[nitems].val[e->len] = '\0';
            items[nitems].len = e->len;
            items[nitems].key = keys[base + k];
            keys[base + k] = NULL;
            nitems++;
        }
        freeReplyObject(r);
    }
    *nitems_p = nitems;
    return 0;
}

static int redis_scan(struct cp_store *base, const char *prefix, int with_values,
                      struct cp_kv **items_p, size_t *n_p)
{
    struct redis_store *st = (struct redis_store *)base;
    char cursor[32] = "0", count[16], **keys = NULL, *glob;
    size_t n = 0, cap = 0, nitems = 0;
    struct cp_kv *items = NULL;
    int rc;

    glob = redis_glob(prefix);
    if (glob == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory to list keys '%s*'", prefix);
    snprintf(count, sizeof(count), "%d", REDIS_BATCH);
    do {
        struct redis_cmd cmd = CMD("SCAN", cursor, "MATCH", glob, "COUNT", count);
        redisReply *r;

        rc = redis_run(st, "SCAN", prefix, 1, &cmd, 1, &r);
        if (rc < 0)
            goto err_keys;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[0]->len >= sizeof(cursor) || r->element[1]->type != REDIS_REPLY_ARRAY) {
            rc = redis_unexpected(st, "SCAN", prefix, r);
            freeReplyObject(r);
            goto err_keys;
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
        rc = redis_collect(r->element[1], &keys, &n, &cap);
        freeReplyObject(r);
        if (rc < 0) {
            rc = core_err(PRAAS_ERR_NOMEM, "no memory to list keys '%s*'", prefix);
            goto err_keys;
        }
    } while (strcmp(cursor, "0") != 0);
    n = redis_sort_unique(keys, n);

    if (n) {
        items = calloc(n, sizeof(*items));
        if (items == NULL) {
            rc = core_err(PRAAS_ERR_NOMEM, "no memory to list keys '%s*'", prefix);
            goto err_keys;
        }
    }
    if (with_values) {
        rc = redis_mget(st, prefix, keys, n, items, &nitems);
        if (rc < 0)
            goto err_items;
    } else {
        for (size_t k = 0; k < n; k++) {
            items[k].key = keys[k];
            keys[k] = NULL;
        }
        nitems = n;
    }
    cp_strv_free(keys, n);
    free(glob);
    if (nitems == 0) {
        free(items);
        items = NULL;
    }
    *items_p = items;
    *n_p = nitems;
    return 0;

err_items:
    cp_kv_free(items, nitems);
err_keys:
    cp_strv_free(keys, n);
    free(glob);
    return rc;
}

static int redis_sadd(struct cp_store *base, const char *key, const char *member,
                      size_t *card_p)
{
    struct redis_store *st = (struct redis_store *)base;
    /* MULTI/EXEC makes the addition and the count one atomic step, which
     * the fence relies on to see exactly the arrivals so far. */
    struct redis_cmd cmds[] = {CMD("MULTI"), CMD("SADD", key, member), CMD("SCARD", key),
                               CMD("EXEC")};
    redisReply *r[4];
    int rc;

    rc = redis_run(st, "SADD", key, 1, cmds, 4, r);
    if (rc < 0)
        return rc;
    if (r[3]->type != REDIS_REPLY_ARRAY || r[3]->elements != 2 ||
        r[3]->element[1]->type != REDIS_REPLY_INTEGER) {
        /* EXEC carries the error of a queued command in its array. */
        if (r[3]->type == REDIS_REPLY_ARRAY && r[3]->elements >= 1 &&
            r[3]->element[0]->type == REDIS_REPLY_ERROR)
            rc = core_err(strncmp(r[3]->element[0]->str, "WRONGTYPE", 9) == 0
                              ? PRAAS_ERR_STATE : PRAAS_ERR_CONTROL,
                          "Redis at %s:%d: SADD '%s': %s", st->host, st->port, key,
                          r[3]->element[0]->str);
        else
            rc = redis_unexpected(st, "EXEC", key, r[3]);
    } else if (card_p) {
        *card_p = (size_t)r[3]->element[1]->integer;
    }
    for (int k = 0; k < 4; k++)
        freeReplyObject(r[k]);
    return rc;
}

static int redis_srem(struct cp_store *base, const char *key, const char *member)
{
    struct redis_store *st = (struct redis_store *)base;
    struct redis_cmd cmd = CMD("SREM", key, member);
    redisReply *r;
    int rc;

    rc = redis_run(st, "SREM", key, 1, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        rc = redis_unexpected(st, "SREM", key, r);
    freeReplyObject(r);
    return rc;
}

static int redis_scard(struct cp_store *base, const char *key, size_t *card_p)
{
    struct redis_store *st = (struct redis_store *)base;
    struct redis_cmd cmd = CMD("SCARD", key);
    redisReply *r;
    int rc;

    rc = redis_run(st, "SCARD", key, 1, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        rc = redis_unexpected(st, "SCARD", key, r);
    else
        *card_p = (size_t)r->integer;
    freeReplyObject(r);
    return rc;
}

static int redis_smembers(struct cp_store *base, const char *key, char ***members_p,
                          size_t *n_p)
{
    struct redis_store *st = (struct redis_store *)base;
    struct redis_cmd cmd = CMD("SMEMBERS", key);
    size_t n = 0, cap = 0;
    char **v = NULL;
    redisReply *r;
    int rc;

    rc = redis_run(st, "SMEMBERS", key, 1, &cmd, 1, &r);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = redis_unexpected(st, "SMEMBERS", key, r);
        goto out;
    }
    if (redis_collect(r, &v, &n, &cap) < 0) {
        cp_strv_free(v, n);
        rc = core_err(PRAAS_ERR_NOMEM, "no memory to list set '%s'", key);
        goto out;
    }
    n = redis_sort_unique(v, n);
    *members_p = v;
    *n_p = n;
out:
    freeReplyObject(r);
    return rc;
}

static void redis_close(struct cp_store *base)
{
    struct redis_store *st = (struct redis_store *)base;

    for (int i = 0; i < REDIS_POOL; i++)
        if (st->conns[i])
            redisFree(st->conns[i]);
    pthread_cond_destroy(&st->freed);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static const struct cp_store_ops redis_ops = {
    .name = "redis",
    .shared = 1,
    .get = redis_get,
    .set = redis_set,
    .del = redis_del,
    .scan = redis_scan,
    .sadd = redis_sadd,
    .srem = redis_srem,
    .scard = redis_scard,
    .smembers = redis_smembers,
    .close = redis_close,
};

int cp_store_redis_open(const char *url, struct cp_store **st_p)
{
    struct redis_store *st = calloc(1, sizeof(*st));
    struct redis_cmd ping = CMD("PING");
    redisReply *r;
    int rc;

    if (st == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the Redis store");
    st->base.ops = &redis_ops;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->freed, NULL);
    rc = redis_parse_url(url, st);
    if (rc < 0)
        goto err_store;
    /* Fail now, naming the server, rather than at the first request. */
    rc = redis_run(st, "store", url, 0, &ping, 1, &r);
    if (rc < 0)
        goto err_store;
    freeReplyObject(r);
    *st_p = &st->base;
    return 0;

err_store:
    redis_close(&st->base);
    return rc;
}
