/*
 * The Redis backend: a blob is a Redis string, read and written with
 * binary-safe argument vectors on one hiredis connection per handle.
 *
 * Keys: blob KEY is the Redis key "praas:storage:KEY", so that storage
 * shares a Redis with the control plane's store ("praas:<kind>:...")
 * without collisions, and list scans only its own keys.
 *
 * Large blobs: Redis refuses a string longer than proto-max-bulk-len (512
 * MB by default), and hiredis grows its read buffer by 1 MiB steps past
 * 1 MiB. So a blob larger than the chunk size (64 MiB; the environment
 * variable PRAAS_STORAGE_REDIS_CHUNK sets it in bytes, for tests) is split:
 * its chunks are the strings "praas:storage:KEY#GEN#0" .. "#N-1" (GEN a
 * random generation number; '#' cannot occur in keys, so these never clash
 * with a blob) and "praas:storage:KEY" is then a hash with the fields len,
 * chunks, csize and gen. A reader tells the two apart by the type.
 *
 * Atomic replace: a small put is one SET. A chunked put writes all chunks
 * of a new generation first, then replaces the key by the new hash in one
 * MULTI/EXEC, and only then deletes the previous generation's chunks. A
 * reader that finds a chunk gone has raced with a replacement and starts
 * over with the new hash; it never mixes generations. A put or delete
 * interrupted between its steps can leave orphaned chunks behind (never a
 * torn blob).
 *
 * Threads: calls on one handle are serialised on its connection by a
 * mutex. A connection that fails is dropped and opened again by the next
 * call. Timeouts: connecting and every socket read or write give up after
 * the handle's timeout (PRAAS_STORAGE_TIMEOUT).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "core/common.h"
#include "core/error.h"
#include "core/redis_url.h"
#include "storage/storage.h"

#define RD_NS "praas:storage:"
#define RD_CHUNK_DEFAULT ((size_t)64 << 20)
/* How often get starts over after losing a race with a replacement. */
#define RD_RETRIES 8
#define RD_SCAN_COUNT "1000"

typedef struct st_redis {
    st_t base;
    char host[256];
    int port;
    int db;
    size_t chunk;
    pthread_mutex_t lock;
    redisContext *c;
} st_redis_t;

/* A command as an argument vector (binary safe). */
typedef struct rd_cmd {
    int argc;
    const char *argv[12];
    size_t len[12];
} rd_cmd_t;

static void rd_arg(rd_cmd_t *c, const void *s, size_t len)
{
    c->argv[c->argc] = s;
    c->len[c->argc++] = len;
}

static void rd_args(rd_cmd_t *c, const char *s)
{
    rd_arg(c, s, strlen(s));
}

static rd_cmd_t rd_cmd1(const char *a0, const char *a1)
{
    rd_cmd_t c = {0};
    rd_args(&c, a0);
    if (a1)
        rd_args(&c, a1);
    return c;
}

static struct timeval rd_tv(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

/* The error of a failed connection: a timeout or anything else. */
static int rd_conn_err(st_redis_t *r, redisContext *c, const char *what)
{
    const char *why = c ? c->errstr : "out of memory";
    int timeout = c && c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK ||
                                                  errno == ETIMEDOUT || errno == EINPROGRESS);

    if (timeout)
        return core_err(PRAAS_ERR_TIMEOUT, "storage %s: Redis at %s:%d did not answer %s within "
                        "%d ms", r->base.url, r->host, r->port, what, r->base.timeout_ms);
    return core_err(PRAAS_ERR_IO, "storage %s: cannot reach Redis at %s:%d (%s): %s",
                    r->base.url, r->host, r->port, what, why && *why ? why : "connection failed");
}

/* Connect (if not connected), select the database. Called with the lock. */
static int rd_connect(st_redis_t *r)
{
    redisContext *c;
    redisReply *rep;
    int rc;

    if (r->c)
        return 0;
    c = redisConnectWithTimeout(r->host, r->port, rd_tv(r->base.timeout_ms));
    if (!c || c->err) {
        rc = rd_conn_err(r, c, "connecting");
        goto err_free;
    }
    redisSetTimeout(c, rd_tv(r->base.timeout_ms));
    if (r->db) {
        rep = redisCommand(c, "SELECT %d", r->db);
        if (!rep || rep->type == REDIS_REPLY_ERROR) {
            rc = rep ? core_err(PRAAS_ERR_IO, "storage %s: Redis cannot select database %d: %s",
                                r->base.url, r->db, rep->str)
                     : rd_conn_err(r, c, "SELECT");
            freeReplyObject(rep);
            goto err_free;
        }
        freeReplyObject(rep);
    }
    r->c = c;
    return 0;

err_free:
    if (c)
        redisFree(c);
    return rc;
}

/* Send ncmds commands pipelined and read a reply to each into reps.
 * Called with the lock. A Redis that went away would raise SIGPIPE on
 * write(): the signal is blocked in this thread for the exchange and a
 * SIGPIPE it caused is consumed. */
static int rd_exchange_once(st_redis_t *r, const rd_cmd_t *cmds, int ncmds, redisReply **reps)
{
    sigset_t pipe_set, old_set, pending;
    int k, got = 0, rc = 0, was_pending;

    rc = rd_connect(r);
    if (rc)
        return rc;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);

    for (k = 0; k < ncmds; k++)
        if (redisAppendCommandArgv(r->c, cmds[k].argc, (const char **)cmds[k].argv,
                                   cmds[k].len) != REDIS_OK)
            goto err_conn;
    for (got = 0; got < ncmds; got++) {
        void *rep = NULL;
        if (redisGetReply(r->c, &rep) != REDIS_OK || rep == NULL)
            goto err_conn;
        reps[got] = rep;
    }
    goto out;

err_conn:
    rc = rd_conn_err(r, r->c, cmds[0].argv[0]);
    for (k = 0; k < got; k++)
        freeReplyObject(reps[k]);
    redisFree(r->c);
    r->c = NULL;
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

/* The same, retried once on a fresh connection when the connection (not
 * the command) failed: that hides an idle connection the server closed.
 * Every command this backend sends may be repeated safely. */
static int rd_exchange(st_redis_t *r, const rd_cmd_t *cmds, int ncmds, redisReply **reps)
{
    int rc = rd_exchange_once(r, cmds, ncmds, reps);

    if (rc == PRAAS_ERR_IO)
        rc = rd_exchange_once(r, cmds, ncmds, reps);
    return rc;
}

/* Run cmds inside MULTI/EXEC; *exec_p is the EXEC reply (an array with one
 * element per command). */
static int rd_transaction(st_redis_t *r, const rd_cmd_t *cmds, int ncmds, redisReply **exec_p)
{
    rd_cmd_t all[8];
    redisReply *reps[8];
    int rc, k;

    all[0] = rd_cmd1("MULTI", NULL);
    for (k = 0; k < ncmds; k++)
        all[k + 1] = cmds[k];
    all[ncmds + 1] = rd_cmd1("EXEC", NULL);
    rc = rd_exchange(r, all, ncmds + 2, reps);
    if (rc)
        return rc;
    for (k = 0; k < ncmds + 1; k++) {
        if (reps[k]->type == REDIS_REPLY_ERROR && rc == 0)
            rc = core_err(PRAAS_ERR_IO, "storage %s: Redis refused %s: %s", r->base.url,
                          k ? cmds[k - 1].argv[0] : "MULTI", reps[k]->str);
        freeReplyObject(reps[k]);
    }
    if (rc == 0 && reps[ncmds + 1]->type != REDIS_REPLY_ARRAY)
        rc = core_err(PRAAS_ERR_IO, "storage %s: Redis refused a transaction: %s", r->base.url,
                      reps[ncmds + 1]->type == REDIS_REPLY_ERROR ? reps[ncmds + 1]->str
                                                                 : "unexpected reply");
    if (rc || reps[ncmds + 1]->elements != (size_t)ncmds) {
        if (!rc)
            rc = core_err(PRAAS_ERR_IO, "storage %s: Redis answered a transaction with %zu "
                          "replies for %d commands", r->base.url, reps[ncmds + 1]->elements,
                          ncmds);
        freeReplyObject(reps[ncmds + 1]);
        return rc;
    }
    *exec_p = reps[ncmds + 1];
    return 0;
}

/* One command; a Redis error reply becomes PRAAS_ERR_IO. */
static int rd_command(st_redis_t *r, const rd_cmd_t *cmd, redisReply **rep_p)
{
    redisReply *rep;
    int rc = rd_exchange(r, cmd, 1, &rep);

    if (rc)
        return rc;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = core_err(PRAAS_ERR_IO, "storage %s: Redis refused %s: %s", r->base.url,
                      cmd->argv[0], rep->str);
        freeReplyObject(rep);
        return rc;
    }
    *rep_p = rep;
    return 0;
}

/* The Redis key of a blob, or of chunk i of generation gen. */
static char *rd_key(const char *key, const char *gen, size_t i)
{
    char *k;
    int n = gen ? asprintf(&k, RD_NS "%s#%s#%zu", key, gen, i) : asprintf(&k, RD_NS "%s", key);

    if (n < 0) {
        core_err(PRAAS_ERR_NOMEM, "no memory for a Redis key");
        return NULL;
    }
    return k;
}

/* What a chunked blob's hash says. */
typedef struct rd_hdr {
    int chunked;
    size_t len, chunks, csize;
    char gen[40];
} rd_hdr_t;

static size_t rd_num(const redisReply *e)
{
    if (e && e->type == REDIS_REPLY_STRING)
        return (size_t)strtoull(e->str, NULL, 10);
    if (e && e->type == REDIS_REPLY_INTEGER)
        return (size_t)e->integer;
    return 0;
}

/* Read HMGET len chunks csize gen's reply (an error or nils: not chunked). */
static void rd_hdr_parse(const redisReply *rep, rd_hdr_t *h)
{
    memset(h, 0, sizeof(*h));
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 4 ||
        rep->element[3]->type != REDIS_REPLY_STRING || rep->element[3]->len >= sizeof(h->gen))
        return;
    h->chunked = 1;
    h->len = rd_num(rep->element[0]);
    h->chunks = rd_num(rep->element[1]);
    h->csize = rd_num(rep->element[2]);
    memcpy(h->gen, rep->element[3]->str, rep->element[3]->len);
}

static void rd_hmget_hdr(rd_cmd_t *c, const char *rkey)
{
    *c = rd_cmd1("HMGET", rkey);
    rd_args(c, "len");
    rd_args(c, "chunks");
    rd_args(c, "csize");
    rd_args(c, "gen");
}

/* Delete the chunks of an old generation, best effort (a failure leaves
 * orphans, never a wrong blob). */
static void rd_drop_chunks(st_redis_t *r, const char *key, const rd_hdr_t *h)
{
    for (size_t i = 0; h->chunked && i < h->chunks; i++) {
        char *ck = rd_key(key, h->gen, i);
        rd_cmd_t c = rd_cmd1("DEL", ck);
        redisReply *rep;
        if (ck && rd_command(r, &c, &rep) == 0)
            freeReplyObject(rep);
        free(ck);
    }
}

static int rd_put_chunked(st_redis_t *r, const char *key, const char *rkey, const char *data,
                          size_t len, rd_hdr_t *old)
{
    size_t nchunks = (len + r->chunk - 1) / r->chunk, i;
    char lenbuf[32], nbuf[32], cbuf[32];
    rd_hdr_t neu = {.chunked = 1, .len = len, .chunks = 0, .csize = r->chunk};
    unsigned long long g = 0;
    redisReply *rep;
    rd_cmd_t cmds[3];
    int rc = 0;

    if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
        g = core_now_ns() ^ (unsigned long long)(uintptr_t)data;
    snprintf(neu.gen, sizeof(neu.gen), "%016llx", g);
    for (i = 0; i < nchunks && rc == 0; i++) {
        char *ck = rd_key(key, neu.gen, i);
        rd_cmd_t c;
        if (!ck) {
            rc = PRAAS_ERR_NOMEM;
            break;
        }
        c = rd_cmd1("SET", ck);
        rd_arg(&c, data + i * r->chunk, PRAAS_MIN(r->chunk, len - i * r->chunk));
        neu.chunks = i + 1;
        rc = rd_command(r, &c, &rep);
        if (rc == 0)
            freeReplyObject(rep);
        free(ck);
    }
    if (rc)
        goto err_chunks;
    snprintf(lenbuf, sizeof(lenbuf), "%zu", len);
    snprintf(nbuf, sizeof(nbuf), "%zu", nchunks);
    snprintf(cbuf, sizeof(cbuf), "%zu", r->chunk);
    rd_hmget_hdr(&cmds[0], rkey);
    cmds[1] = rd_cmd1("DEL", rkey);
    cmds[2] = rd_cmd1("HSET", rkey);
    rd_args(&cmds[2], "len");
    rd_args(&cmds[2], lenbuf);
    rd_args(&cmds[2], "chunks");
    rd_args(&cmds[2], nbuf);
    rd_args(&cmds[2], "csize");
    rd_args(&cmds[2], cbuf);
    rd_args(&cmds[2], "gen");
    rd_args(&cmds[2], neu.gen);
    rc = rd_transaction(r, cmds, 3, &rep);
    if (rc)
        goto err_chunks;
    rd_hdr_parse(rep->element[0], old);
    freeReplyObject(rep);
    return 0;

err_chunks:
    rd_drop_chunks(r, key, &neu);
    return rc;
}

static int rd_put(st_t *st, const char *key, const void *data, size_t len)
{
    st_redis_t *r = (st_redis_t *)st;
    char *rkey = rd_key(key, NULL, 0);
    redisReply *rep;
    rd_hdr_t old;
    rd_cmd_t cmds[2];
    int rc;

    if (!rkey)
        return PRAAS_ERR_NOMEM;
    pthread_mutex_lock(&r->lock);
    if (len > r->chunk) {
        rc = rd_put_chunked(r, key, rkey, data, len, &old);
    } else {
        /* Read the previous header (if the key held a chunked blob) in the
         * same transaction as the SET that replaces it. */
        rd_hmget_hdr(&cmds[0], rkey);
        cmds[1] = rd_cmd1("SET", rkey);
        rd_arg(&cmds[1], len ? data : "", len);
        rc = rd_transaction(r, cmds, 2, &rep);
        if (rc == 0) {
            rd_hdr_parse(rep->element[0], &old);
            if (rep->element[1]->type == REDIS_REPLY_ERROR)
                rc = core_err(PRAAS_ERR_IO, "storage %s: Redis refused to store '%s' (%zu "
                              "bytes): %s", st->url, key, len, rep->element[1]->str);
            freeReplyObject(rep);
        }
    }
    if (rc == 0)
        rd_drop_chunks(r, key, &old);
    pthread_mutex_unlock(&r->lock);
    free(rkey);
    return rc;
}

/* Copy bytes [off, off + len) of a chunked blob into buf. Returns 0, or 1
 * when a chunk is gone or has the wrong size (a concurrent replacement:
 * start over), or an error. Called with the lock. */
static int rd_read_chunks(st_redis_t *r, const char *key, const rd_hdr_t *h, size_t off,
                          char *buf, size_t len)
{
    size_t end = off + len;

    if (h->csize == 0 || h->chunks != (h->len + h->csize - 1) / h->csize)
        return core_err(PRAAS_ERR_IO, "storage %s: the header of blob '%s' is damaged",
                        r->base.url, key);
    while (off < end) {
        size_t i = off / h->csize, coff = off % h->csize;
        size_t n = PRAAS_MIN(h->csize - coff, end - off);
        char *ck = rd_key(key, h->gen, i), a[32], b[32];
        redisReply *rep;
        rd_cmd_t c;
        int rc;

        if (!ck)
            return PRAAS_ERR_NOMEM;
        snprintf(a, sizeof(a), "%zu", coff);
        snprintf(b, sizeof(b), "%zu", coff + n - 1);
        c = rd_cmd1("GETRANGE", ck);
        rd_args(&c, a);
        rd_args(&c, b);
        rc = rd_command(r, &c, &rep);
        free(ck);
        if (rc)
            return rc;
        if (rep->type != REDIS_REPLY_STRING || (size_t)rep->len != n) {
            freeReplyObject(rep);
            return 1;
        }
        memcpy(buf, rep->str, n);
        freeReplyObject(rep);
        buf += n;
        off += n;
    }
    return 0;
}

/* Read [off, off + len) of key into buf, or (whole) the whole blob into a
 * malloc'd *data_p of *len_p bytes. */
static int rd_read(st_redis_t *r, const char *key, int whole, size_t off, char *buf,
                   size_t len, void **data_p, size_t *len_p)
{
    char *rkey = rd_key(key, NULL, 0), a[32], b[32];
    int rc = 0, tries;

    if (!rkey)
        return PRAAS_ERR_NOMEM;
    snprintf(a, sizeof(a), "%zu", off);
    snprintf(b, sizeof(b), "%zu", len ? off + len - 1 : off);
    pthread_mutex_lock(&r->lock);
    for (tries = 0; tries < RD_RETRIES; tries++) {
        redisReply *rep, *val, *type;
        size_t size = 0;
        rd_hdr_t h;
        rd_cmd_t cmds[4];
        char *out = NULL;

        /* One atomic look: the type, the length, the bytes if it is a plain
         * string (GET or GETRANGE; an error reply if it is a hash) and the
         * header if it is a hash (an error reply if it is a string). */
        cmds[0] = rd_cmd1("TYPE", rkey);
        cmds[1] = rd_cmd1("STRLEN", rkey);
        if (whole) {
            cmds[2] = rd_cmd1("GET", rkey);
        } else {
            cmds[2] = rd_cmd1("GETRANGE", rkey);
            rd_args(&cmds[2], a);
            rd_args(&cmds[2], b);
        }
        rd_hmget_hdr(&cmds[3], rkey);
        rc = rd_transaction(r, cmds, 4, &rep);
        if (rc)
            break;
        type = rep->element[0];
        val = rep->element[2];
        rd_hdr_parse(rep->element[3], &h);
        if (type->type == REDIS_REPLY_STATUS && strcmp(type->str, "none") == 0) {
            rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s'", r->base.url, key);
            goto next;
        }
        if (!(type->type == REDIS_REPLY_STATUS &&
              (strcmp(type->str, "string") == 0 || (strcmp(type->str, "hash") == 0 &&
                                                     h.chunked)))) {
            rc = core_err(PRAAS_ERR_IO, "storage %s: Redis key '%s' holds a %s, not a blob",
                          r->base.url, rkey, type->type == REDIS_REPLY_STATUS ? type->str : "?");
            goto next;
        }
        size = h.chunked ? h.len : (size_t)rep->element[1]->integer;
        if (!whole && (off > size || len > size - off)) {
            rc = core_err(PRAAS_ERR_RANGE, "storage %s: bytes %zu..%zu are past the end of "
                          "blob '%s' (%zu bytes)", r->base.url, off, off + len, key, size);
            goto next;
        }
        if (whole) {
            out = malloc(size ? size : 1);
            if (!out) {
                rc = core_err(PRAAS_ERR_NOMEM, "storage %s: no memory for blob '%s' (%zu "
                              "bytes)", r->base.url, key, size);
                goto next;
            }
            len = size;
        }
        if (!h.chunked) {
            if (len && (val->type != REDIS_REPLY_STRING || (size_t)val->len != len)) {
                rc = core_err(PRAAS_ERR_IO, "storage %s: Redis returned %zu bytes of blob '%s' "
                              "for %zu", r->base.url, (size_t)val->len, key, len);
                goto next;
            }
            if (len)
                memcpy(whole ? out : buf, val->str, len);
        } else {
            rc = rd_read_chunks(r, key, &h, whole ? 0 : off, whole ? out : buf, len);
            if (rc == 1) {
                free(out);
                freeReplyObject(rep);
                rc = 0;
                continue;
            }
        }
    next:
        freeReplyObject(rep);
        if (rc == 0 && whole) {
            *data_p = out;
            *len_p = size;
        } else {
            free(out);
        }
        goto done;
    }
    if (tries == RD_RETRIES)
        rc = core_err(PRAAS_ERR_AGAIN, "storage %s: blob '%s' was replaced %d times while being "
                      "read", r->base.url, key, RD_RETRIES);
done:
    pthread_mutex_unlock(&r->lock);
    free(rkey);
    return rc;
}

static int rd_get(st_t *st, const char *key, void **data_p, size_t *len_p)
{
    return rd_read((st_redis_t *)st, key, 1, 0, NULL, 0, data_p, len_p);
}

static int rd_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len)
{
    return rd_read((st_redis_t *)st, key, 0, off, buf, len, NULL, NULL);
}

static int rd_stat(st_t *st, const char *key, size_t *len_p)
{
    st_redis_t *r = (st_redis_t *)st;
    char *rkey = rd_key(key, NULL, 0);
    redisReply *rep;
    rd_cmd_t cmds[3];
    rd_hdr_t h;
    int rc;

    if (!rkey)
        return PRAAS_ERR_NOMEM;
    cmds[0] = rd_cmd1("EXISTS", rkey);
    cmds[1] = rd_cmd1("STRLEN", rkey);
    rd_hmget_hdr(&cmds[2], rkey);
    pthread_mutex_lock(&r->lock);
    rc = rd_transaction(r, cmds, 3, &rep);
    pthread_mutex_unlock(&r->lock);
    if (rc == 0) {
        rd_hdr_parse(rep->element[2], &h);
        if (rep->element[0]->integer == 0)
            rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s'", st->url, key);
        else if (h.chunked)
            *len_p = h.len;
        else if (rep->element[1]->type == REDIS_REPLY_INTEGER)
            *len_p = (size_t)rep->element[1]->integer;
        else
            rc = core_err(PRAAS_ERR_IO, "storage %s: Redis key '%s' does not hold a blob",
                          st->url, rkey);
        freeReplyObject(rep);
    }
    free(rkey);
    return rc;
}

static int rd_del(st_t *st, const char *key)
{
    st_redis_t *r = (st_redis_t *)st;
    char *rkey = rd_key(key, NULL, 0);
    redisReply *rep;
    rd_cmd_t cmds[2];
    rd_hdr_t old;
    int rc;

    if (!rkey)
        return PRAAS_ERR_NOMEM;
    rd_hmget_hdr(&cmds[0], rkey);
    cmds[1] = rd_cmd1("DEL", rkey);
    pthread_mutex_lock(&r->lock);
    rc = rd_transaction(r, cmds, 2, &rep);
    if (rc == 0) {
        rd_hdr_parse(rep->element[0], &old);
        if (rep->element[1]->integer == 0)
            rc = core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s' to delete", st->url,
                          key);
        freeReplyObject(rep);
        if (rc == 0)
            rd_drop_chunks(r, key, &old);
    }
    pthread_mutex_unlock(&r->lock);
    free(rkey);
    return rc;
}

static int rd_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg)
{
    st_redis_t *r = (st_redis_t *)st;
    char cursor[32] = "0", *match;
    st_keyv_t v = {0};
    size_t nslen = strlen(RD_NS);
    int rc = 0;

    /* Keys hold no glob character ([A-Za-z0-9/_.-]), so the prefix needs
     * no escaping in the pattern. */
    if (asprintf(&match, RD_NS "%s*", prefix) < 0)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a Redis pattern");
    pthread_mutex_lock(&r->lock);
    do {
        rd_cmd_t c = rd_cmd1("SCAN", cursor);
        redisReply *rep, *keys;
        rd_args(&c, "MATCH");
        rd_args(&c, match);
        rd_args(&c, "COUNT");
        rd_args(&c, RD_SCAN_COUNT);
        rc = rd_command(r, &c, &rep);
        if (rc)
            break;
        if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
            rep->element[0]->type != REDIS_REPLY_STRING ||
            rep->element[0]->len >= (int)sizeof(cursor) ||
            rep->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            rc = core_err(PRAAS_ERR_IO, "storage %s: Redis answered SCAN strangely", st->url);
            break;
        }
        memcpy(cursor, rep->element[0]->str, (size_t)rep->element[0]->len + 1);
        keys = rep->element[1];
        for (size_t i = 0; i < keys->elements && rc == 0; i++) {
            const redisReply *k = keys->element[i];
            /* Chunks ("KEY#GEN#I") are not blobs. */
            if (k->type != REDIS_REPLY_STRING || (size_t)k->len <= nslen ||
                memchr(k->str, '#', (size_t)k->len))
                continue;
            rc = st_keyv_add(&v, k->str + nslen, (size_t)k->len - nslen);
        }
        freeReplyObject(rep);
    } while (rc == 0 && strcmp(cursor, "0") != 0);
    pthread_mutex_unlock(&r->lock);
    free(match);
    if (rc) {
        st_keyv_free(&v);
        return rc;
    }
    return st_keyv_emit(&v, cb, arg);
}

static void rd_close(st_t *st)
{
    st_redis_t *r = (st_redis_t *)st;

    if (r->c)
        redisFree(r->c);
    pthread_mutex_destroy(&r->lock);
    st_fini(st);
    free(r);
}

static const st_ops_t redis_ops = {
    .name = "redis",
    .put = rd_put,
    .get = rd_get,
    .get_range = rd_get_range,
    .del = rd_del,
    .stat = rd_stat,
    .list = rd_list,
    .close = rd_close,
};

/* Fill r's host, port and db from "redis://HOST:PORT[/DB]". */
static int rd_parse_url(const char *url, st_redis_t *r)
{
    core_redis_addr_t a;
    int rc = core_redis_url_parse(url, "storage URL", &a);

    if (rc)
        return rc;
    memcpy(r->host, a.host, sizeof(r->host));
    r->port = a.port;
    r->db = a.db;
    return 0;
}

int st_redis_open(const char *url, const char *rest, int timeout_ms, st_t **st_p)
{
    const char *chunk = getenv("PRAAS_STORAGE_REDIS_CHUNK");
    st_redis_t *r = calloc(1, sizeof(*r));
    redisReply *rep;
    rd_cmd_t ping = rd_cmd1("PING", NULL);
    int rc;

    if (!r)
        return core_err(PRAAS_ERR_NOMEM, "no memory for Redis storage");
    rc = st_init(&r->base, &redis_ops, url, timeout_ms);
    if (rc)
        goto err_free;
    rc = rd_parse_url(url, r);
    if (rc)
        goto err_fini;
    r->chunk = RD_CHUNK_DEFAULT;
    if (chunk && *chunk) {
        char *end;
        unsigned long long v = strtoull(chunk, &end, 10);
        if (*end || v < 1 || v > ((size_t)256 << 20)) {
            rc = core_err(PRAAS_ERR_INVALID, "PRAAS_STORAGE_REDIS_CHUNK='%s' is not a number of "
                          "bytes in 1..268435456", chunk);
            goto err_fini;
        }
        r->chunk = (size_t)v;
    }
    pthread_mutex_init(&r->lock, NULL);
    rc = rd_command(r, &ping, &rep);
    if (rc)
        goto err_lock;
    freeReplyObject(rep);
    *st_p = &r->base;
    return 0;

err_lock:
    pthread_mutex_destroy(&r->lock);
err_fini:
    st_fini(&r->base);
err_free:
    free(r);
    return rc;
}
