/*
 * The data plane's client side (dp.h): one TCP connection to a subprocess,
 * shared by any number of threads.
 *
 * There is no reader thread. A caller sends its request, then waits for the
 * reply; the first waiting caller becomes the connection's reader and
 * reads frames, handing each reply to the call it answers (matched by type
 * and id) and waking that call's thread, until its own reply arrives or its
 * deadline passes; then it gives up the reader's role to another waiter. A
 * lone caller therefore reads its own reply with no thread switch, which
 * keeps a small invocation's round trip at a few tens of microseconds.
 *
 * A frame that has begun to arrive is read to its end (each stall bounded by
 * RT_IO_TIMEOUT_MS) even past the reader's deadline, so the stream never
 * stops in the middle of a frame; a reply nobody waits for any more is
 * dropped. A broken or undecodable stream fails every call on the
 * connection with PRAAS_ERR_PEER and the connection stays broken.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/wire.h"

/* The staging buffer: a header, name and meta section always fit. */
#define RT_CONN_RBUF (2u * RT_META_MAX)
/* The longest blocking wait for a reply; then the waiter checks its
 * deadline (a shorter wait polls with exactly what is left). */
#define RT_CONN_SLICE_MS 20

struct rt_call {
    struct rt_call *next;
    unsigned type; /* the reply type expected */
    uint64_t id;
    int want_meta; /* the caller reads a successful reply's meta */
    int done;
    int status;
    unsigned flags; /* the reply's header flags */
    char *meta; /* the reply's meta section, NUL-terminated (parsed by the caller) */
    size_t meta_len;
    char *meta_buf; /* the caller's room for a meta section (or NULL): used */
    size_t meta_cap; /* instead of the heap when the section fits */
    void *payload;
    size_t len;
};

struct rt_conn {
    int fd;
    char endpoint[300];
    pthread_mutex_t send_lock; /* one frame at a time on the stream */
    pthread_mutex_t lock;      /* everything below */
    pthread_cond_t cond;
    struct rt_call *calls; /* waiting calls */
    int reading;           /* a caller is the reader */
    struct rt_rbuf rb;     /* the reader's staging buffer (only the reader) */
    int broken;            /* PRAAS_ERR_* once the stream failed, else 0 */
    char why[256];
};

/* Split "HOST:PORT" (the last ':'; "[v6]:port" too). */
static int split_endpoint(const char *ep, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(ep, ':');
    size_t hl;

    if (!colon || colon == ep || !colon[1] || strlen(colon + 1) >= pcap)
        return core_err(PRAAS_ERR_INVALID, "endpoint '%s' is not HOST:PORT", ep);
    hl = (size_t)(colon - ep);
    if (ep[0] == '[' && hl >= 2 && ep[hl - 1] == ']') {
        ep++;
        hl -= 2;
    }
    if (hl >= hcap)
        return core_err(PRAAS_ERR_INVALID, "endpoint '%s': host name too long", ep);
    memcpy(host, ep, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return core_err(PRAAS_ERR_INVALID, "endpoint '%s': port is not a number", ep);
    return 0;
}

/* Connect one address with a deadline (non-blocking connect + poll). */
static int connect_one(const struct addrinfo *ai, uint64_t deadline, int *fd_p)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    int err = 0;

    if (fd < 0)
        return -errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
            close(fd);
            return -err;
        }
        for (;;) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            uint64_t now = core_now_ns();
            int ms = deadline == UINT64_MAX ? -1
                     : now >= deadline      ? 0
                                            : (int)((deadline - now + 999999) / 1000000);
            int n = poll(&p, 1, ms);
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0) {
                close(fd);
                return -ETIMEDOUT;
            }
            socklen_t sl = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl);
            if (err) {
                close(fd);
                return -err;
            }
            break;
        }
    }
    /* Blocking from here on: the I/O helpers use MSG_DONTWAIT and poll. */
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    rt_sock_setup(fd);
    *fd_p = fd;
    return 0;
}

int rt_conn_open(const char *endpoint, int timeout_ms, struct rt_conn **conn_p)
{
    char host[256], port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    uint64_t deadline = core_deadline(timeout_ms);
    struct rt_conn *c;
    int rc, fd = -1, err = ECONNREFUSED;

    if (!endpoint || !conn_p)
        return core_err(PRAAS_ERR_INVALID, "rt_conn_open: NULL endpoint or output");
    rc = split_endpoint(endpoint, host, sizeof(host), port, sizeof(port));
    if (rc)
        return rc;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc)
        return core_err(PRAAS_ERR_PEER, "cannot resolve data-plane endpoint %s: %s", endpoint,
                        gai_strerror(rc));
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        rc = connect_one(ai, deadline, &fd);
        if (rc)
            err = -rc;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (err == ETIMEDOUT)
            return core_err(PRAAS_ERR_TIMEOUT, "connecting to %s: no answer within %d ms",
                            endpoint, timeout_ms);
        return core_err(PRAAS_ERR_PEER, "connecting to %s: %s", endpoint, strerror(err));
    }
    c = calloc(1, sizeof(*c));
    if (c && !(c->rb.buf = malloc(RT_CONN_RBUF))) {
        free(c);
        c = NULL;
    }
    if (!c) {
        close(fd);
        return core_err(PRAAS_ERR_NOMEM, "rt_conn_open: out of memory");
    }
    c->rb.cap = RT_CONN_RBUF;
    c->rb.spin_ns = rt_spin_ns();
    /* Replies are awaited in a blocking recv, in slices (rt_rbuf). */
    struct timeval tv = {RT_CONN_SLICE_MS / 1000, (RT_CONN_SLICE_MS % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0)
        c->rb.slice_ms = RT_CONN_SLICE_MS;
    c->fd = fd;
    snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
    pthread_mutex_init(&c->send_lock, NULL);
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_condattr_destroy(&ca);
    *conn_p = c;
    return 0;
}

void rt_conn_close(struct rt_conn *c)
{
    if (!c)
        return;
    close(c->fd);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->send_lock);
    free(c->rb.buf);
    free(c);
}

/* Mark the stream broken (called with c->lock held) and wake every call. */
static void conn_break(struct rt_conn *c, int code, const char *why)
{
    if (!c->broken) {
        c->broken = code;
        snprintf(c->why, sizeof(c->why), "%s", why);
        shutdown(c->fd, SHUT_RDWR);
    }
    pthread_cond_broadcast(&c->cond);
}

/* A meta section up to this size is read into the reader's stack, and
 * copied to the heap only for a call that wants it (most do not). */
#define RT_CONN_SMALL_META 256

/* Read one whole frame (the reader, without c->lock) through the staging
 * buffer; its first byte may take first_ms (PRAAS_ERR_TIMEOUT with nothing
 * consumed), the rest RT_IO_TIMEOUT_MS per stall. The meta section is
 * copied, not parsed: only a caller that wants it parses it (most
 * invocations do not); one of at most RT_CONN_SMALL_META bytes into small
 * (*meta_p == small), a larger one into the heap. *hdr, a heap meta and
 * payload belong to the caller on success. */
static int read_frame(struct rt_conn *c, int first_ms, struct rt_hdr *h, char *small,
                      char **meta_p, void **payload_p)
{
    void *payload = NULL;
    char *meta = NULL;
    int rc;

    rc = rt_rbuf_fill(c->fd, &c->rb, RT_HDR_SIZE, first_ms, RT_IO_TIMEOUT_MS);
    if (rc)
        return rc;
    rc = rt_hdr_decode(c->rb.buf + c->rb.pos, h);
    if (rc)
        return rc;
    c->rb.pos += RT_HDR_SIZE;
    rc = rt_rbuf_fill(c->fd, &c->rb, h->name_len + h->meta_len, RT_IO_TIMEOUT_MS,
                      RT_IO_TIMEOUT_MS);
    if (rc)
        return rc;
    if (h->meta_len) {
        meta = h->meta_len <= RT_CONN_SMALL_META ? small : malloc(h->meta_len + 1);
        if (!meta)
            return core_err(PRAAS_ERR_NOMEM, "no memory for a reply's meta section");
        memcpy(meta, c->rb.buf + c->rb.pos + h->name_len, h->meta_len);
        meta[h->meta_len] = '\0';
    }
    c->rb.pos += h->name_len + h->meta_len;
    if (h->payload_len) {
        if (h->payload_len > SIZE_MAX || !(payload = malloc((size_t)h->payload_len))) {
            if (meta != small)
                free(meta);
            return core_err(PRAAS_ERR_NOMEM, "no memory for a reply of %llu bytes",
                            (unsigned long long)h->payload_len);
        }
        rc = rt_rbuf_read(c->fd, &c->rb, payload, (size_t)h->payload_len, RT_IO_TIMEOUT_MS);
        if (rc) {
            free(payload);
            if (meta != small)
                free(meta);
            return rc;
        }
    }
    *meta_p = meta;
    *payload_p = payload;
    return 0;
}

/* Hand a frame to the call it answers (c->lock held); drop it if none.
 * meta is small (read_frame's stack buffer) or the heap's. */
static void deliver(struct rt_conn *c, const struct rt_hdr *h, char *meta, const char *small,
                    void *payload)
{
    for (struct rt_call *k = c->calls; k; k = k->next) {
        if (k->done || k->id != h->id || (h->type != k->type && h->type != RT_MSG_ERROR))
            continue;
        k->done = 1;
        k->status = h->status ? h->status : (h->type == RT_MSG_ERROR ? PRAAS_ERR_PROTOCOL : 0);
        k->flags = h->flags;
        k->meta = NULL;
        k->meta_len = 0;
        if (meta && (k->status || k->want_meta)) {
            if (meta == small && h->meta_len < k->meta_cap) {
                k->meta = k->meta_buf;
                memcpy(k->meta, meta, h->meta_len + 1);
            } else if (meta == small) {
                k->meta = malloc(h->meta_len + 1);
                if (k->meta)
                    memcpy(k->meta, meta, h->meta_len + 1);
            } else {
                k->meta = meta;
            }
            k->meta_len = k->meta ? h->meta_len : 0;
        } else if (meta != small) {
            free(meta);
        }
        k->payload = payload;
        k->len = (size_t)h->payload_len;
        pthread_cond_broadcast(&c->cond);
        return;
    }
    if (h->type == RT_MSG_ERROR) {
        /* An error nobody asked about: the server could not decode
         * something and closes the connection after this frame. */
        json_t *j = NULL;
        if (meta && rt_meta_parse(meta, h->meta_len, &j) != 0)
            j = NULL;
        json_t *e = j ? json_object_get(j, "error") : NULL;
        char why[256];
        snprintf(why, sizeof(why), "the subprocess at %.60s refused a frame: %.150s", c->endpoint,
                 json_is_string(e) ? json_string_value(e) : "no reason given");
        json_decref(j);
        conn_break(c, PRAAS_ERR_PROTOCOL, why);
    }
    if (meta != small)
        free(meta);
    free(payload);
}

static void unlink_call(struct rt_conn *c, struct rt_call *k)
{
    for (struct rt_call **pp = &c->calls; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            return;
        }
}

/* Wait for k's reply (c->lock held on entry and exit). */
static int wait_reply(struct rt_conn *c, struct rt_call *k, uint64_t deadline)
{
    while (!k->done) {
        if (c->broken)
            return PRAAS_ERR_PEER;
        uint64_t now = core_now_ns();
        if (deadline != UINT64_MAX && now >= deadline)
            return PRAAS_ERR_TIMEOUT;
        if (!c->reading) {
            /* Become the reader until a frame arrives or our time is up. */
            c->reading = 1;
            pthread_mutex_unlock(&c->lock);
            int ms = deadline == UINT64_MAX ? -1 : (int)((deadline - now + 999999) / 1000000);
            struct rt_hdr h;
            char small[RT_CONN_SMALL_META + 1];
            char *meta = NULL;
            void *payload = NULL;
            size_t had = c->rb.end - c->rb.pos;
            int rc = read_frame(c, ms, &h, small, &meta, &payload);
            /* Nothing came before our deadline (a frame begun is read to
             * its end whatever the deadline). */
            int idle = rc == PRAAS_ERR_TIMEOUT && had == 0 && c->rb.end == c->rb.pos;
            pthread_mutex_lock(&c->lock);
            c->reading = 0;
            pthread_cond_broadcast(&c->cond); /* another waiter may read now */
            if (idle)
                continue; /* the loop reports our deadline */
            if (rc) {
                char why[256];
                snprintf(why, sizeof(why), "%s", praas_errmsg());
                conn_break(c, PRAAS_ERR_PEER, why);
                continue;
            }
            deliver(c, &h, meta, small, payload);
            continue;
        }
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(&c->cond, &c->lock);
        } else {
            struct timespec ts = {(time_t)(deadline / 1000000000u),
                                  (long)(deadline % 1000000000u)};
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        }
    }
    return 0;
}

/* RT_FLAG_SESSION_GONE of the last failed reply of this thread's last
 * call (rt_conn_session_gone). */
static _Thread_local int rt_last_gone;

int rt_conn_session_gone(void)
{
    return rt_last_gone;
}

/* Send a request and wait for its reply into *k (k->type, id, want_meta,
 * meta_buf and meta_cap set by the caller). 0 with k filled in (its status
 * may be a failure), or a failure of the call itself with nothing in k to
 * free. */
static int conn_call(struct rt_conn *c, enum rt_msg type, uint64_t id, const char *name,
                     const char *meta, size_t meta_len, const void *payload,
                     size_t payload_len, int timeout_ms, struct rt_call *k)
{
    struct rt_hdr h = {.type = (uint16_t)type, .id = id};
    uint64_t deadline = core_deadline(timeout_ms);
    int rc;

    rt_last_gone = 0;
    if (!c || !rt_msg_valid(type) || !(type & 1) || type == RT_MSG_ERROR)
        return core_err(PRAAS_ERR_INVALID, "rt_conn_call: %s is not a request type",
                        rt_msg_name(type));
    if (payload_len && !payload)
        return core_err(PRAAS_ERR_INVALID, "rt_conn_call: NULL payload of %zu bytes",
                        payload_len);
    /* Register the call before sending, so that the reply finds it. */
    pthread_mutex_lock(&c->lock);
    if (c->broken) {
        rc = core_err(PRAAS_ERR_PEER, "connection to %s is broken: %s", c->endpoint, c->why);
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    k->next = c->calls;
    c->calls = k;
    pthread_mutex_unlock(&c->lock);

    pthread_mutex_lock(&c->send_lock);
    rc = rt_frame_send_raw(c->fd, &h, name, meta, meta_len, payload, payload_len,
                           timeout_ms < 0 ? RT_IO_TIMEOUT_MS : PRAAS_MAX(timeout_ms, 1));
    pthread_mutex_unlock(&c->send_lock);

    pthread_mutex_lock(&c->lock);
    if (rc == PRAAS_ERR_INVALID) {
        unlink_call(c, k);
        pthread_mutex_unlock(&c->lock);
        return rc; /* nothing was sent */
    }
    if (rc) {
        /* Part of a frame may be on the stream: nothing can follow it. */
        char why[256];
        snprintf(why, sizeof(why), "sending a %s: %s", rt_msg_name(type), praas_errmsg());
        conn_break(c, PRAAS_ERR_PEER, why);
    }
    rc = wait_reply(c, k, deadline);
    unlink_call(c, k);
    if (rc == PRAAS_ERR_TIMEOUT)
        rc = core_err(PRAAS_ERR_TIMEOUT, "no reply to %s %llu from %s within %d ms",
                      rt_msg_name(type), (unsigned long long)id, c->endpoint, timeout_ms);
    else if (rc)
        rc = core_err(PRAAS_ERR_PEER, "connection to %s broke: %s", c->endpoint, c->why);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static void call_free_meta(struct rt_call *k)
{
    if (k->meta != k->meta_buf)
        free(k->meta);
    k->meta = NULL;
}

/* A failed reply: record its message (the meta's "error") and flag. */
static int call_failed(struct rt_call *k)
{
    json_t *jm = NULL, *e;
    int rc;

    if (k->meta && rt_meta_parse(k->meta, k->meta_len, &jm) != 0)
        jm = NULL;
    e = jm ? json_object_get(jm, "error") : NULL;
    rt_last_gone = (k->flags & RT_FLAG_SESSION_GONE) != 0;
    rc = core_err(k->status, "%s", json_is_string(e) ? json_string_value(e)
                                                     : praas_strerror(k->status));
    json_decref(jm);
    call_free_meta(k);
    free(k->payload);
    return rc;
}

/* A successful reply: hand over its payload (or free it) and length. */
static int call_succeeded(struct rt_call *k, void **payload_p, size_t *len_p)
{
    call_free_meta(k);
    if (payload_p)
        *payload_p = k->payload;
    else
        free(k->payload);
    if (len_p)
        *len_p = k->len;
    return 0;
}

int rt_conn_call(struct rt_conn *c, enum rt_msg type, uint64_t id, const char *name,
                 json_t *meta, const void *payload, size_t payload_len, int timeout_ms,
                 json_t **reply_meta_p, void **reply_payload_p, size_t *reply_len_p)
{
    struct rt_call k = {.type = (unsigned)type + 1, .id = id, .want_meta = reply_meta_p != NULL};
    char *m = NULL;
    json_t *jm = NULL;
    int rc;

    if (meta && !(m = json_dumps(meta, JSON_COMPACT)))
        return core_err(PRAAS_ERR_NOMEM, "serializing a %s meta section", rt_msg_name(type));
    rc = conn_call(c, type, id, name, m, m ? strlen(m) : 0, payload, payload_len, timeout_ms,
                   &k);
    free(m);
    if (rc)
        return rc;
    if (k.status)
        return call_failed(&k);
    if (k.meta && reply_meta_p && (rc = rt_meta_parse(k.meta, k.meta_len, &jm)) != 0) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "the reply to %s %llu from %s: %s", rt_msg_name(type),
                      (unsigned long long)id, c->endpoint, praas_errmsg());
        call_free_meta(&k);
        free(k.payload);
        return rc;
    }
    if (reply_meta_p)
        *reply_meta_p = jm;
    return call_succeeded(&k, reply_payload_p, reply_len_p);
}

int rt_conn_call_text(struct rt_conn *c, enum rt_msg type, uint64_t id, const char *name,
                      const char *meta, size_t meta_len, const void *payload,
                      size_t payload_len, int timeout_ms, char *rmeta, size_t rmeta_cap,
                      void **reply_payload_p, size_t *reply_len_p)
{
    struct rt_call k = {.type = (unsigned)type + 1, .id = id, .want_meta = rmeta != NULL,
                        .meta_buf = rmeta, .meta_cap = rmeta ? rmeta_cap : 0};
    int rc = conn_call(c, type, id, name, meta, meta_len, payload, payload_len, timeout_ms, &k);

    if (rc)
        return rc;
    if (k.status)
        return call_failed(&k);
    if (rmeta && rmeta_cap) {
        /* A section too long for rmeta (the heap's) is cut. */
        if (k.meta && k.meta != rmeta)
            snprintf(rmeta, rmeta_cap, "%s", k.meta);
        else if (!k.meta)
            rmeta[0] = '\0';
    }
    return call_succeeded(&k, reply_payload_p, reply_len_p);
}

/* rt_meta_u64's general case. */
static int meta_u64_parsed(const char *meta, const char *key, uint64_t *v_p)
{
    json_t *j = NULL, *e;
    int rc = rt_meta_parse(meta, strlen(meta), &j);

    if (rc)
        return rc;
    e = j ? json_object_get(j, key) : NULL;
    rc = json_is_integer(e) && json_integer_value(e) >= 0;
    if (rc)
        *v_p = (uint64_t)json_integer_value(e);
    json_decref(j);
    return rc;
}

int rt_meta_u64(const char *meta, const char *key, uint64_t *v_p)
{
    const char *p = meta;
    size_t klen = strlen(key);
    int found = 0;
    uint64_t v = 0;

    /* {"k":digits,...} with plain keys, no blanks, no leading zeros and
     * every key once (as a parse with JSON_REJECT_DUPLICATES would
     * insist) is scanned; the first byte off that form hands the whole
     * text to the parser, which decides. */
    if (*p++ != '{')
        return meta_u64_parsed(meta, key, v_p);
    if (p[0] == '}' && p[1] == '\0')
        return 0;
    for (const char *first = p;;) {
        const char *k;
        uint64_t x = 0;
        if (*p++ != '"')
            return meta_u64_parsed(meta, key, v_p);
        for (k = p; *p && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20; p++)
            ;
        size_t n = (size_t)(p - k);
        if (*p++ != '"' || *p++ != ':' || *p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' &&
                                                                   p[1] <= '9'))
            return meta_u64_parsed(meta, key, v_p);
        for (; *p >= '0' && *p <= '9'; p++) {
            /* The parser's integers stop at INT64_MAX: beyond, it decides. */
            if (x > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
                return meta_u64_parsed(meta, key, v_p);
            x = x * 10 + (uint64_t)(*p - '0');
        }
        /* A key seen before: the parser refuses duplicates. */
        for (const char *q = first; q < k - 1; q++)
            if (q[0] == '"' && (q == first || q[-1] == ',') && strncmp(q + 1, k, n) == 0 &&
                q[n + 1] == '"')
                return meta_u64_parsed(meta, key, v_p);
        if (n == klen && memcmp(k, key, n) == 0) {
            found = 1;
            v = x;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        if (p[0] == '}' && p[1] == '\0')
            break;
        return meta_u64_parsed(meta, key, v_p);
    }
    if (found)
        *v_p = v;
    return found;
}

/* ---- control-plane helpers ---- */

static uint64_t next_req_id(void)
{
    static _Atomic uint64_t n = 1;
    return n++;
}

int rt_sub_alloc(struct rt_conn *c, const char *sid, size_t memory, int max_functions,
                 int timeout_ms)
{
    json_t *m = json_pack("{sIsi}", "memory", (json_int_t)memory, "max_functions",
                          max_functions);
    int rc = rt_conn_call(c, RT_MSG_ALLOC, next_req_id(), sid, m, NULL, 0, timeout_ms, NULL,
                          NULL, NULL);
    json_decref(m);
    return rc;
}

int rt_sub_swap_out(struct rt_conn *c, const char *sid, const char *storage_key,
                    int timeout_ms, json_t **reply_p)
{
    json_t *m = json_pack("{ss}", "storage", storage_key ? storage_key : "");
    json_t *r = NULL;
    int rc = rt_conn_call(c, RT_MSG_SWAP_OUT, next_req_id(), sid, m, NULL, 0, timeout_ms, &r,
                          NULL, NULL);
    json_decref(m);
    if (rc)
        return rc;
    if (reply_p)
        *reply_p = r;
    else
        json_decref(r);
    return 0;
}

int rt_sub_swap_in(struct rt_conn *c, const char *sid, const char *storage_key,
                   size_t memory, int max_functions, int timeout_ms)
{
    json_t *m = json_pack("{sssIsi}", "storage", storage_key ? storage_key : "", "memory",
                          (json_int_t)memory, "max_functions", max_functions);
    int rc = rt_conn_call(c, RT_MSG_SWAP_IN, next_req_id(), sid, m, NULL, 0, timeout_ms, NULL,
                          NULL, NULL);
    json_decref(m);
    return rc;
}

int rt_sub_delete(struct rt_conn *c, const char *sid, int timeout_ms)
{
    return rt_conn_call(c, RT_MSG_DELETE, next_req_id(), sid, NULL, NULL, 0, timeout_ms, NULL,
                        NULL, NULL);
}

int rt_sub_metrics(struct rt_conn *c, const char *sid, int timeout_ms, json_t **usage_p)
{
    json_t *r = NULL;
    int rc = rt_conn_call(c, RT_MSG_METRICS, next_req_id(), sid, NULL, NULL, 0, timeout_ms, &r,
                          NULL, NULL);
    if (rc)
        return rc;
    if (usage_p)
        *usage_p = r;
    else
        json_decref(r);
    return 0;
}

int rt_sub_ping(struct rt_conn *c, int timeout_ms, json_t **reply_p)
{
    json_t *r = NULL;
    int rc = rt_conn_call(c, RT_MSG_PING, next_req_id(), "", NULL, NULL, 0, timeout_ms, &r,
                          NULL, NULL);
    if (rc)
        return rc;
    if (reply_p)
        *reply_p = r;
    else
        json_decref(r);
    return 0;
}
