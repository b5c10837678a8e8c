/*
 * The data-plane server of praas-process (rt.h): the accept loop, one
 * reader thread per connection, the decoding of every frame (requests.c
 * answers them, session.c runs invocations), the reaper of timeouts.
 *
 * A connection's reader receives into the connection's staging buffer
 * (wire.h: one recv often takes a whole small frame) and uses each section
 * only once the validated header said how long it is; an invocation's
 * payload ends in a buffer of the session (the staged part copied, a large
 * rest received straight into it). A frame that cannot be decoded (bad header,
 * meta that is not a JSON object, a reply type, a payload where none
 * belongs, a payload over the process's limit) is answered with
 * RT_MSG_ERROR naming the problem, and the connection is closed; a request
 * that decodes but asks for something wrong gets its normal reply with a
 * failure status, and the connection goes on.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/rt.h"
#include "runtime/wire.h"

#define RT_DEFAULT_MAX_PAYLOAD (1ull << 30)
/* A connection's staging buffer: a whole header, name and meta fit. */
#define RT_RBUF_SIZE (2u * RT_META_MAX)
/* How often the reaper looks at connections running an invocation in
 * their reader while there are any, and how long it keeps ticking after
 * the last one. */
#define RT_INLINE_TICK_MS 1
#define RT_INLINE_IDLE_TICKS 200

/* ---- connections ---- */

void rt_sconn_ref(struct rt_sconn *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void rt_sconn_unref(struct rt_sconn *c)
{
    struct rt_server *srv = c->srv;

    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    pthread_mutex_lock(&srv->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    close(c->fd);
    pthread_mutex_destroy(&c->wlock);
    free(c->rb.buf);
    free(c);
}

static struct rt_sconn *sconn_new(struct rt_server *srv, int fd)
{
    struct rt_sconn *c = calloc(1, sizeof(*c));

    if (c && !(c->rb.buf = malloc(RT_RBUF_SIZE))) {
        free(c);
        c = NULL;
    }
    if (!c) {
        close(fd);
        return NULL;
    }
    c->rb.cap = RT_RBUF_SIZE;
    c->rb.spin_ns = rt_spin_ns();
    c->srv = srv;
    c->fd = fd;
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->wlock, NULL);
    pthread_mutex_lock(&srv->lock);
    c->next = srv->conns;
    if (c->next)
        c->next->prev = c;
    srv->conns = c;
    srv->nconns++;
    if (srv->stopping)
        shutdown(fd, SHUT_RD);
    pthread_mutex_unlock(&srv->lock);
    return c;
}

void rt_sconn_reply(struct rt_sconn *c, unsigned type, uint64_t id, int status,
                    const char *msg, json_t *meta, const void *payload, size_t len)
{
    rt_sconn_reply_flags(c, type, id, status, 0, msg, meta, payload, len);
}

void rt_sconn_reply_flags(struct rt_sconn *c, unsigned type, uint64_t id, int status,
                          unsigned flags, const char *msg, json_t *meta, const void *payload,
                          size_t len)
{
    struct rt_hdr h = {.type = (uint16_t)type, .flags = (uint16_t)flags, .id = id,
                       .status = status};
    json_t *err = NULL;
    int rc;

    if (status) {
        /* Messages quote names from the wire, which may be any bytes: keep
         * printable ASCII, so that the meta section is valid JSON text. */
        char clean[512];
        const char *m = msg && *msg ? msg : praas_strerror(status);
        size_t i = 0;
        for (; m[i] && i < sizeof(clean) - 1; i++)
            clean[i] = m[i] >= 0x20 && m[i] < 0x7f ? m[i] : '?';
        clean[i] = '\0';
        err = json_pack("{ss}", "error", clean);
        meta = err;
        payload = NULL;
        len = 0;
    }
    pthread_mutex_lock(&c->wlock);
    rc = rt_frame_send(c->fd, &h, NULL, meta, payload, len, c->srv->o.io_timeout_ms);
    pthread_mutex_unlock(&c->wlock);
    if (rc) {
        core_log(CORE_LOG_INFO, "%s: dropping a connection: %s", c->srv->id, praas_errmsg());
        shutdown(c->fd, SHUT_RDWR);
    }
    json_decref(err);
}

void rt_sconn_reply_raw(struct rt_sconn *c, unsigned type, uint64_t id, const char *meta,
                        size_t meta_len, const void *payload, size_t len)
{
    struct rt_hdr h = {.type = (uint16_t)type, .id = id};
    int rc;

    pthread_mutex_lock(&c->wlock);
    rc = rt_frame_send_raw(c->fd, &h, NULL, meta, meta_len, payload, len,
                           c->srv->o.io_timeout_ms);
    pthread_mutex_unlock(&c->wlock);
    if (rc) {
        core_log(CORE_LOG_INFO, "%s: dropping a connection: %s", c->srv->id, praas_errmsg());
        shutdown(c->fd, SHUT_RDWR);
    }
}

void rt_sconn_reply_err(struct rt_sconn *c, unsigned type, uint64_t id, int rc)
{
    char msg[512];

    snprintf(msg, sizeof(msg), "%s", praas_errmsg());
    rt_sconn_reply(c, type, id, rc, msg, NULL, NULL, 0);
}

/* ---- the reader's staging buffer (wire.h) ----
 * Only the connection's reader (one thread at a time) touches it; bytes of
 * a next frame it holds are the connection's. */

int rt_sconn_read(struct rt_sconn *c, void *dst, size_t len)
{
    return rt_rbuf_read(c->fd, &c->rb, dst, len, c->srv->o.io_timeout_ms);
}

int rt_sconn_skip(struct rt_sconn *c, uint64_t len)
{
    return rt_rbuf_skip(c->fd, &c->rb, len, c->srv->o.io_timeout_ms);
}

/* Read and handle one frame. Returns 0 to go on, a negative code to close,
 * 1 when the connection's reading went to another thread. */
static int conn_frame(struct rt_sconn *c)
{
    unsigned char *raw;
    const char *sect;
    char name[RT_NAME_MAX + 1];
    struct rt_hdr h;
    json_t *meta = NULL;
    int rc, tmo = c->srv->o.io_timeout_ms;

    c->can_inline = 0;
    /* The first byte of a frame may take forever, the rest tmo. */
    rc = rt_rbuf_fill(c->fd, &c->rb, RT_HDR_SIZE, -1, tmo);
    if (rc)
        return rc;
    raw = c->rb.buf + c->rb.pos;
    rc = rt_hdr_decode(raw, &h);
    if (rc) {
        rt_sconn_reply_err(c, RT_MSG_ERROR, 0, rc);
        return rc;
    }
    c->rb.pos += RT_HDR_SIZE;
    rc = rt_rbuf_fill(c->fd, &c->rb, h.name_len + h.meta_len, tmo, tmo);
    if (rc)
        return rc;
    sect = (const char *)c->rb.buf + c->rb.pos;
    c->rb.pos += h.name_len + h.meta_len;
    memcpy(name, sect, h.name_len);
    name[h.name_len] = '\0';
    if (memchr(name, '\0', h.name_len)) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "a %s name contains a NUL byte", rt_msg_name(h.type));
        goto bad;
    }
    if (!(h.type & 1) || h.type == RT_MSG_ERROR) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "%s is a reply; praas-process takes requests only",
                      rt_msg_name(h.type));
        goto bad;
    }
    if (h.payload_len && h.type != RT_MSG_INVOKE) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "a %s carries a payload of %llu bytes; only INVOKE may",
                      rt_msg_name(h.type), (unsigned long long)h.payload_len);
        goto bad;
    }
    if (h.status != 0) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "a %s request has status %d set", rt_msg_name(h.type),
                      (int)h.status);
        goto bad;
    }
    rc = rt_meta_parse(sect + h.name_len, h.meta_len, &meta);
    if (rc)
        goto bad;
    rc = rt_request(c, &h, name, meta);
    json_decref(meta);
    return rc;

bad:
    rt_sconn_reply_err(c, RT_MSG_ERROR, h.id, rc);
    return rc;
}

static void conn_loop(struct rt_sconn *c)
{
    int rc;

    while ((rc = conn_frame(c)) == 0)
        ;
    if (rc < 0)
        core_log(CORE_LOG_DEBUG, "%s: connection closed: %s", c->srv->id, praas_errmsg());
}

static void *conn_main(void *arg)
{
    struct rt_sconn *c = arg;

    c->threaded = 1;
    conn_loop(c);
    rt_sconn_unref(c);
    return NULL;
}

void rt_server_serve_fd(struct rt_server *srv, int fd)
{
    struct rt_sconn *c = sconn_new(srv, fd);

    if (c) {
        conn_loop(c);
        rt_sconn_unref(c);
    }
}

/* ---- the reaper: timeouts of invocations that have not started ----
 * It sleeps until the earliest deadline it knows of (indefinitely when
 * there is none, so an idle process costs no CPU), then scans every
 * session and learns the next one. */

void rt_server_deadline(struct rt_server *srv, uint64_t deadline)
{
    pthread_mutex_lock(&srv->lock);
    if (deadline < srv->next_deadline) {
        srv->next_deadline = deadline;
        pthread_cond_broadcast(&srv->cond);
    }
    pthread_mutex_unlock(&srv->lock);
}

/* ---- invocations run in a connection's reader ----
 * While one runs, the connection is listed in srv->inl, and the reaper
 * ticks every RT_INLINE_TICK_MS: a connection whose socket has a byte of
 * a next frame waiting gets a new reader thread (the running one stops
 * reading it once its function returned), so requests behind a long
 * function wait one tick at most, as they would with function threads. */

static void *conn_main(void *arg);

void rt_sconn_inline_begin(struct rt_server *srv, struct rt_sconn *c, struct rt_inline *in)
{
    *in = (struct rt_inline){.c = c, .thread = pthread_self(), .since = core_now_ns()};
    pthread_mutex_lock(&srv->lock);
    in->next = srv->inl;
    srv->inl = in;
    if (!srv->ticking) {
        srv->ticking = 1;
        pthread_cond_broadcast(&srv->cond);
    }
    pthread_mutex_unlock(&srv->lock);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int rt_sconn_inline_end(struct rt_server *srv, struct rt_inline *in, uint64_t *cpu_ns_p)
{
    uint64_t now = in->end = core_now_ns(), cpu;
    int handed;

    pthread_mutex_lock(&srv->lock);
    for (struct rt_inline **pp = &srv->inl; *pp; pp = &(*pp)->next)
        if (*pp == in) {
            *pp = in->next;
            break;
        }
    handed = in->handed;
    pthread_mutex_unlock(&srv->lock);
    /* CPU time: the thread's CPU clock is a system call (not in the vDSO,
     * about a microsecond, as much as the rest of a small invocation), so
     * it is read only for a function the reaper saw running; before that,
     * and for a function that ended sooner, the wall time counts (it is
     * the CPU time unless the function blocked or was preempted). */
    cpu = now - in->since;
    if (in->sampled) {
        uint64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        cpu = (in->cpu0_at - in->since) + (c1 > in->cpu0 ? c1 - in->cpu0 : 0);
        cpu = PRAAS_MIN(cpu, now - in->since);
    }
    *cpu_ns_p = cpu;
    return handed;
}

/* srv->lock held. A connection is on the list once per invocation running
 * in one of its readers (old readers finish theirs after a hand-off); only
 * the current reader's entry is not yet handed. Function threads are on it
 * too (c NULL), for their CPU clock only. */
static void inline_handoff(struct rt_server *srv, uint64_t now)
{
    for (struct rt_inline *in = srv->inl; in; in = in->next) {
        if (now - in->since < RT_INLINE_TICK_MS * 1000000ull)
            continue;
        if (!in->sampled) {
            /* The thread's CPU clock, read from here: the thread cannot end
             * while it is listed (it unlists itself under srv->lock). */
            clockid_t cid;
            if (pthread_getcpuclockid(in->thread, &cid) == 0) {
                in->cpu0 = clock_ns(cid);
                in->cpu0_at = core_now_ns();
                in->sampled = 1;
            }
        }
        if (in->handed || !in->c)
            continue;
        struct rt_sconn *c = in->c;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            continue;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        rt_sconn_ref(c);
        if (pthread_create(&t, &at, conn_main, c) == 0) {
            in->handed = 1;
        } else {
            atomic_fetch_sub(&c->refs, 1); /* never the last: its reader holds one */
            core_log(CORE_LOG_WARN, "%s: no thread to go on reading a connection", srv->id);
        }
        pthread_attr_destroy(&at);
    }
}

static void *reaper_main(void *arg)
{
    struct rt_server *srv = arg;
    int idle_ticks = 0;

    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping) {
        uint64_t nd = srv->next_deadline;
        if (srv->ticking)
            nd = PRAAS_MIN(nd, core_deadline(RT_INLINE_TICK_MS));
        if (nd == UINT64_MAX) {
            pthread_cond_wait(&srv->cond, &srv->lock);
        } else {
            struct timespec ts = {(time_t)(nd / 1000000000u), (long)(nd % 1000000000u)};
            pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
        }
        uint64_t now = core_now_ns();
        if (srv->stopping)
            continue;
        if (srv->ticking) {
            if (srv->inl) {
                idle_ticks = 0;
                inline_handoff(srv, now);
            } else if (++idle_ticks > RT_INLINE_IDLE_TICKS) {
                srv->ticking = 0;
                idle_ticks = 0;
            }
        }
        if (now < srv->next_deadline)
            continue;
        srv->next_deadline = UINT64_MAX;
        /* Take a reference to each session, then expire without srv->lock. */
        int n = 0;
        for (struct rt_session *s = srv->sessions; s; s = s->next)
            n++;
        struct rt_session **v = n ? malloc((size_t)n * sizeof(*v)) : NULL;
        n = 0;
        for (struct rt_session *s = srv->sessions; v && s; s = s->next) {
            rt_sess_ref(s);
            v[n++] = s;
        }
        pthread_mutex_unlock(&srv->lock);
        uint64_t next = UINT64_MAX;
        for (int i = 0; i < n; i++) {
            next = PRAAS_MIN(next, rt_sess_expire(v[i], now));
            rt_sess_unref(v[i]);
        }
        free(v);
        pthread_mutex_lock(&srv->lock);
        srv->next_deadline = PRAAS_MIN(srv->next_deadline, next);
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

/* ---- the function library ---- */

praas_function_t *rt_fn_lookup(struct rt_server *srv, const char *name)
{
    praas_function_t *fn = NULL;

    if (!srv->lib)
        return NULL;
    pthread_mutex_lock(&srv->fn_lock);
    for (size_t i = 0; i < srv->fn_cache_n; i++)
        if (strcmp(srv->fn_cache[i].name, name) == 0) {
            fn = srv->fn_cache[i].fn;
            goto out;
        }
    dlerror();
    fn = (praas_function_t *)dlsym(srv->lib, name);
    /* Names found are remembered (a library has few functions; names not
     * found are not, so a flood of bad names cannot grow the cache). */
    if (fn && srv->fn_cache_n < 4096) {
        struct rt_fn_cache *v =
            realloc(srv->fn_cache, (srv->fn_cache_n + 1) * sizeof(*srv->fn_cache));
        if (v) {
            srv->fn_cache = v;
            snprintf(v[srv->fn_cache_n].name, sizeof(v->name), "%s", name);
            v[srv->fn_cache_n++].fn = fn;
        }
    }
out:
    pthread_mutex_unlock(&srv->fn_lock);
    return fn;
}

/* ---- the server ---- */

int rt_server_create(const struct rt_server_opts *o, struct rt_server **srv_p)
{
    struct rt_server *srv = calloc(1, sizeof(*srv));
    int rc;

    if (!srv)
        return core_err(PRAAS_ERR_NOMEM, "rt_server_create: out of memory");
    srv->o = *o;
    srv->lfd = -1;
    srv->wake[0] = srv->wake[1] = -1;
    srv->next_deadline = UINT64_MAX;
    if (srv->o.max_functions <= 0)
        srv->o.max_functions = 4;
    if (!srv->o.max_payload)
        srv->o.max_payload = RT_DEFAULT_MAX_PAYLOAD;
    if (srv->o.io_timeout_ms <= 0)
        srv->o.io_timeout_ms = RT_IO_TIMEOUT_MS;
    snprintf(srv->id, sizeof(srv->id), "%s", o->id ? o->id : "praas-process");
    srv->o.id = srv->id;
    if (o->library) {
        srv->lib = dlopen(o->library, RTLD_NOW | RTLD_LOCAL);
        if (!srv->lib) {
            rc = core_err(PRAAS_ERR_NOT_FOUND, "cannot load the function library %s: %s",
                          o->library, dlerror());
            goto err_free;
        }
        srv->ck_save = (praas_checkpoint_fn_t *)dlsym(srv->lib, "praas_checkpoint_save");
        srv->ck_restore = (praas_checkpoint_fn_t *)dlsym(srv->lib, "praas_checkpoint_restore");
        if (!srv->ck_save != !srv->ck_restore) {
            rc = core_err(PRAAS_ERR_INVALID,
                          "%s exports only one of praas_checkpoint_save and "
                          "praas_checkpoint_restore; a checkpoint needs both",
                          o->library);
            goto err_lib;
        }
    }
    rc = st_open(o->storage, &srv->st);
    if (rc)
        goto err_lib;
    if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        rc = core_err(PRAAS_ERR_NOMEM, "pipe: %s", strerror(errno));
        goto err_st;
    }
    pthread_mutex_init(&srv->lock, NULL);
    pthread_mutex_init(&srv->fn_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
        rc = core_err(PRAAS_ERR_NOMEM, "cannot start the reaper thread");
        goto err_sync;
    }
    srv->reaper_started = 1;
    *srv_p = srv;
    return 0;

err_sync:
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->fn_lock);
    pthread_mutex_destroy(&srv->lock);
    close(srv->wake[0]);
    close(srv->wake[1]);
err_st:
    st_close(srv->st);
err_lib:
    if (srv->lib)
        dlclose(srv->lib);
err_free:
    free(srv);
    return rc;
}

int rt_server_listen(struct rt_server *srv, const char *host_port, char *ep, size_t cap)
{
    char host[256], port[16], hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
    const char *colon = strrchr(host_port, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    int rc, fd = -1, one = 1;

    if (!colon || colon == host_port || (size_t)(colon - host_port) >= sizeof(host) ||
        strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port) ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return core_err(PRAAS_ERR_INVALID, "listen address '%s' is not HOST:PORT", host_port);
    memcpy(host, host_port, (size_t)(colon - host_port));
    host[colon - host_port] = '\0';
    snprintf(port, sizeof(port), "%s", colon + 1);
    if (atoi(port) > 65535)
        return core_err(PRAAS_ERR_INVALID, "listen address '%s': port over 65535", host_port);
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc)
        return core_err(PRAAS_ERR_INVALID, "listen address '%s': %s", host_port,
                        gai_strerror(rc));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot listen on %s: %s", host_port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return rc;
    }
    freeaddrinfo(res);
    getnameinfo((struct sockaddr *)&sa, sl, hbuf, sizeof(hbuf), pbuf, sizeof(pbuf),
                NI_NUMERICHOST | NI_NUMERICSERV);
    if (strchr(hbuf, ':'))
        snprintf(ep, cap, "[%s]:%s", hbuf, pbuf);
    else
        snprintf(ep, cap, "%s:%s", hbuf, pbuf);
    srv->lfd = fd;
    return 0;
}

int rt_server_run(struct rt_server *srv)
{
    if (srv->lfd < 0)
        return core_err(PRAAS_ERR_STATE, "rt_server_run before rt_server_listen");
    for (;;) {
        struct pollfd p[2] = {{.fd = srv->lfd, .events = POLLIN},
                              {.fd = srv->wake[0], .events = POLLIN}};
        int n = poll(p, 2, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return core_err(PRAAS_ERR_IO, "poll: %s", strerror(errno));
        }
        if (p[1].revents)
            return 0;
        if (!(p[0].revents & POLLIN))
            continue;
        int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                core_log(CORE_LOG_WARN, "%s: accept: %s", srv->id, strerror(errno));
                poll(NULL, 0, 10);
                continue;
            }
            return core_err(PRAAS_ERR_IO, "accept: %s", strerror(errno));
        }
        rt_sock_setup(fd);
        struct rt_sconn *c = sconn_new(srv, fd);
        if (!c)
            continue;
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, conn_main, c) != 0) {
            core_log(CORE_LOG_WARN, "%s: no thread for a new connection", srv->id);
            rt_sconn_unref(c);
        }
        pthread_attr_destroy(&at);
    }
}

void rt_server_stop(struct rt_server *srv)
{
    ssize_t n = write(srv->wake[1], "x", 1);
    (void)n;
}

int rt_server_destroy(struct rt_server *srv, int grace_ms)
{
    struct rt_inv_list failed = {0};
    struct rt_session **gone = NULL;
    int ngone = 0, n = 0, rc = 0;

    if (!srv)
        return 0;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = 1;
    pthread_cond_broadcast(&srv->cond);
    for (struct rt_session *s = srv->sessions; s; s = s->next)
        n++;
    gone = calloc((size_t)n + 1, sizeof(*gone));
    while (srv->sessions && gone) {
        struct rt_session *s = srv->sessions;
        rt_sess_unlist_locked(s, PRAAS_ERR_CANCELED, "praas-process is shutting down", &failed);
        gone[ngone++] = s;
    }
    for (struct rt_sconn *c = srv->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RD); /* readers stop; running functions may still answer */
    pthread_mutex_unlock(&srv->lock);
    if (srv->reaper_started)
        pthread_join(srv->reaper, NULL);
    rt_inv_fail_list(&failed);
    for (int i = 0; i < ngone; i++)
        rt_sess_unref(gone[i]);
    free(gone);

    uint64_t deadline = core_deadline(grace_ms);
    pthread_mutex_lock(&srv->lock);
    while (srv->nconns > 0 || srv->nsessions > 0) {
        struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
        if (pthread_cond_timedwait(&srv->cond, &srv->lock, &ts) == ETIMEDOUT &&
            (srv->nconns > 0 || srv->nsessions > 0)) {
            rc = core_err(PRAAS_ERR_TIMEOUT,
                          "%s: %d sessions still running functions and %d connections open "
                          "after %d ms",
                          srv->id, srv->nsessions, srv->nconns, grace_ms);
            break;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    if (rc)
        return rc;
    if (srv->lfd >= 0)
        close(srv->lfd);
    close(srv->wake[0]);
    close(srv->wake[1]);
    st_close(srv->st);
    if (srv->lib)
        dlclose(srv->lib);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->fn_lock);
    pthread_mutex_destroy(&srv->lock);
    free(srv->fn_cache);
    free(srv);
    return 0;
}
