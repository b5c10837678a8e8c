/*
 * The point-to-point engine: message matching over active messages.
 *
 * praas has no public point-to-point API, so this is the one place where
 * the MPI layer talks to the core directly (core_tp(), one active-message
 * id, CORE_AM_MPI).
 *
 * Protocol. Every message is one active message: a header (context id,
 * source rank, tag, length, flags) and the packed data as payload, whatever
 * its size. tp_am_send copies the payload before it returns, so every send
 * is complete locally at once (a standard send is "buffered" by the
 * transport), and the transports already move large payloads well: UCX by
 * its own rendezvous, libfabric by ordered fragments (up to 256 MiB). A
 * rendezvous of our own (the receiver reading a registered send buffer with
 * tp_get) would save the copy of a large message at both ends, but needs a
 * registration per send buffer and a round trip; not worth it yet.
 * A synchronous send (MPI_Ssend, MPI_Issend) carries an id; the receiver
 * answers with an ack when a receive matches it, which completes the send.
 * Messages to oneself skip the transport: the sender's thread delivers them.
 *
 * Matching. One mutex guards two lists: receives posted and not matched
 * (in posting order), and messages arrived and not matched (in arrival
 * order, data copied). An arriving message takes the first posted receive
 * that matches it; a new receive takes the first arrived message that
 * matches it. Active messages from one peer arrive in sending order, so
 * MPI's non-overtaking rule holds per (context, source, tag). The handler
 * runs in the progress thread or in a thread waiting here; the lock is
 * never held across a transport call (a send may progress and so run a
 * handler), and the data is copied into the receive buffer outside it.
 *
 * Waiting makes progress itself (as praas's own waits do) and has no time
 * limit: a receive may legitimately wait long; praas-run --timeout bounds a
 * whole run.
 */
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "core/log.h"
#include "core/wait.h"
#include "mpi/pm.h"

enum { PM_MSG_DATA = 1, PM_MSG_ACK = 2 };

typedef struct pm_msg_hdr {
    uint8_t kind;
    uint8_t sync;
    uint16_t pad_;
    int32_t ctx;
    int32_t src; /* the sender's rank in the communicator */
    int32_t tag;
    uint64_t sid; /* synchronous send id (ACK: the one acknowledged) */
    uint64_t len;
} pm_msg_hdr_t;

/* A message that arrived before its receive. */
typedef struct pm_msg {
    struct pm_msg *next;
    pm_msg_hdr_t h;
    int world_src;
    unsigned char *data;
} pm_msg_t;

static pthread_mutex_t pm_p2p_lock = PTHREAD_MUTEX_INITIALIZER;
static pm_req_t *pm_posted, **pm_posted_tail = &pm_posted;
static pm_msg_t *pm_unexp, **pm_unexp_tail = &pm_unexp;
static pm_req_t *pm_syncs; /* synchronous sends waiting for their ack */
static uint64_t pm_next_sid = 1;

static int pm_match(int32_t ctx, int src, int tag, const pm_msg_hdr_t *h)
{
    return ctx == h->ctx && (src == MPI_ANY_SOURCE || src == h->src) &&
           (tag == MPI_ANY_TAG || tag == h->tag);
}

/* Mark r complete, or free it if its handle was released meanwhile. */
static void pm_req_finish(pm_req_t *r)
{
    int freed;

    pthread_mutex_lock(&pm_p2p_lock);
    freed = r->freed;
    if (!freed)
        atomic_store_explicit(&r->done, 1, memory_order_release);
    pthread_mutex_unlock(&pm_p2p_lock);
    if (freed)
        pm_req_destroy(r);
}

static void pm_send_ack(int world_dst, uint64_t sid);

/* Fill a matched receive from a message and complete it. */
static void pm_recv_fill(pm_req_t *r, const pm_msg_hdr_t *h, const void *data, int world_src)
{
    size_t cap = r->count * r->type->psize, len = (size_t)h->len;

    if (len > cap) {
        r->st_err = MPI_ERR_TRUNCATE;
        len = cap;
    }
    pm_unpack(r->type, r->count, r->buf, data, len);
    r->st_source = h->src;
    r->st_tag = h->tag;
    r->st_bytes = (MPI_Count)len;
    if (h->sync)
        pm_send_ack(world_src, h->sid);
    pm_req_finish(r);
}

/* A data message arrived (from the handler, or from our own send). */
static void pm_deliver(const pm_msg_hdr_t *h, const void *data, int world_src)
{
    pm_req_t *r, **pp;
    pm_msg_t *m = NULL;

    pthread_mutex_lock(&pm_p2p_lock);
    for (pp = &pm_posted; (r = *pp); pp = &r->next)
        if (pm_match(r->ctx, r->src, r->tag, h))
            break;
    if (r) {
        *pp = r->next;
        if (pm_posted_tail == &r->next)
            pm_posted_tail = pp;
        r->next = NULL;
    } else {
        m = malloc(sizeof(*m));
        if (m)
            m->data = malloc(h->len ? (size_t)h->len : 1);
        if (!m || !m->data) {
            pthread_mutex_unlock(&pm_p2p_lock);
            core_log(CORE_LOG_ERROR, "MPI: no memory for a %llu-byte message from rank %d: "
                                     "dropped", (unsigned long long)h->len, world_src);
            free(m);
            return;
        }
        m->h = *h;
        m->world_src = world_src;
        m->next = NULL;
        if (h->len)
            memcpy(m->data, data, (size_t)h->len);
        *pm_unexp_tail = m;
        pm_unexp_tail = &m->next;
    }
    pthread_mutex_unlock(&pm_p2p_lock);
    if (r)
        pm_recv_fill(r, h, data, world_src);
}

static void pm_acked(uint64_t sid)
{
    pm_req_t *r, **pp;

    pthread_mutex_lock(&pm_p2p_lock);
    for (pp = &pm_syncs; (r = *pp); pp = &r->next)
        if (r->sid == sid)
            break;
    if (r)
        *pp = r->next;
    pthread_mutex_unlock(&pm_p2p_lock);
    if (r)
        pm_req_finish(r);
    else
        core_log(CORE_LOG_WARN, "MPI: an ack for unknown synchronous send %llu",
                 (unsigned long long)sid);
}

static void pm_send_ack(int world_dst, uint64_t sid)
{
    pm_msg_hdr_t h = {.kind = PM_MSG_ACK, .sid = sid};
    int rc;

    if (world_dst == pm_world_rank) {
        pm_acked(sid);
        return;
    }
    rc = tp_am_send(core_tp(), world_dst, CORE_AM_MPI, &h, sizeof(h), NULL, 0);
    if (rc)
        core_log(CORE_LOG_ERROR, "MPI: cannot acknowledge a synchronous send to rank %d",
                 world_dst);
}

static void pm_p2p_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                           const void *payload, size_t payload_len)
{
    pm_msg_hdr_t h;

    (void)arg;
    if (hdr_len != sizeof(h)) {
        core_log(CORE_LOG_WARN, "MPI: dropping a message from rank %d with a %zu-byte header",
                 src, hdr_len);
        return;
    }
    memcpy(&h, hdr, sizeof(h));
    if (h.kind == PM_MSG_ACK) {
        pm_acked(h.sid);
        return;
    }
    if (h.len != payload_len) {
        core_log(CORE_LOG_WARN, "MPI: dropping a message from rank %d: %zu bytes, header says "
                                "%llu", src, payload_len, (unsigned long long)h.len);
        return;
    }
    pm_deliver(&h, payload, src);
}

int pm_p2p_init(void)
{
    tp_ctx_t *tp = core_tp();
    int rc;

    if (!tp)
        return PRAAS_ERR_STATE;
    rc = tp_am_register(tp, CORE_AM_MPI, pm_p2p_handler, NULL);
    /* A peer may send as soon as its MPI_Init returns: make sure every
     * handler is in place first (the transport drops messages without one). */
    if (!rc && pm_world_size > 1)
        rc = core_barrier((int)core_cfg()->bootstrap_timeout_ms);
    return rc;
}

void pm_p2p_fini(void)
{
    pthread_mutex_lock(&pm_p2p_lock);
    while (pm_unexp) {
        pm_msg_t *m = pm_unexp;
        pm_unexp = m->next;
        free(m->data);
        free(m);
    }
    pm_unexp_tail = &pm_unexp;
    /* Requests still posted belong to their handles; forget the lists. */
    pm_posted = NULL;
    pm_posted_tail = &pm_posted;
    pm_syncs = NULL;
    pthread_mutex_unlock(&pm_p2p_lock);
}

static pm_req_t *pm_req_alloc(pm_req_kind_t kind, pm_comm_t *c, int32_t ctx)
{
    pm_req_t *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->kind = kind;
    r->comm = c->handle;
    r->ctx = ctx;
    r->st_source = MPI_ANY_SOURCE;
    r->st_tag = MPI_ANY_TAG;
    atomic_init(&r->done, 0);
    return r;
}

int pm_p2p_send(pm_comm_t *c, int32_t ctx, const void *data, size_t len, int dest, int tag,
                int sync, pm_req_t **req_p)
{
    pm_msg_hdr_t h = {.kind = PM_MSG_DATA, .sync = (uint8_t)(sync != 0), .ctx = ctx,
                      .src = c->rank, .tag = tag, .len = len};
    int world = pm_comm_world_rank(c, dest), rc = 0;
    pm_req_t *r = NULL;

    if (sync) {
        r = pm_req_alloc(PM_REQ_SEND, c, ctx);
        if (!r)
            return MPI_ERR_NO_MEM;
        /* Listed before the data leaves: the ack may come back at once. */
        pthread_mutex_lock(&pm_p2p_lock);
        r->sid = h.sid = pm_next_sid++;
        r->next = pm_syncs;
        pm_syncs = r;
        pthread_mutex_unlock(&pm_p2p_lock);
    }
    if (world == pm_world_rank)
        pm_deliver(&h, data, world);
    else
        rc = tp_am_send(core_tp(), world, CORE_AM_MPI, &h, sizeof(h), data, len);
    if (rc && r) {
        pm_req_t **pp;
        pthread_mutex_lock(&pm_p2p_lock);
        for (pp = &pm_syncs; *pp && *pp != r; pp = &(*pp)->next)
            ;
        if (*pp)
            *pp = r->next;
        pthread_mutex_unlock(&pm_p2p_lock);
        free(r);
        r = NULL;
    }
    if (!rc)
        *req_p = r;
    return rc;
}

int pm_p2p_send_typed(pm_comm_t *c, int32_t ctx, const void *buf, size_t count, pm_type_t *t,
                      int dest, int tag, int sync, pm_req_t **req_p)
{
    size_t len = count * t->psize;
    void *tmp = NULL;
    int rc;

    if (!t->dense && len) {
        tmp = malloc(len);
        if (!tmp)
            return MPI_ERR_NO_MEM;
        pm_pack(t, count, buf, tmp, len);
        buf = tmp;
    }
    rc = pm_p2p_send(c, ctx, buf, len, dest, tag, sync, req_p);
    free(tmp);
    return rc;
}

int pm_p2p_recv(pm_comm_t *c, int32_t ctx, void *buf, size_t count, pm_type_t *t, int src,
                int tag, pm_req_t **req_p)
{
    pm_req_t *r = pm_req_alloc(PM_REQ_RECV, c, ctx);
    pm_msg_t *m, **pp;

    if (!r)
        return MPI_ERR_NO_MEM;
    r->buf = buf;
    r->count = count;
    r->type = t;
    pm_type_ref(t);
    r->src = src;
    r->tag = tag;
    pthread_mutex_lock(&pm_p2p_lock);
    for (pp = &pm_unexp; (m = *pp); pp = &m->next)
        if (pm_match(ctx, src, tag, &m->h))
            break;
    if (m) {
        *pp = m->next;
        if (pm_unexp_tail == &m->next)
            pm_unexp_tail = pp;
    } else {
        *pm_posted_tail = r;
        pm_posted_tail = &r->next;
    }
    pthread_mutex_unlock(&pm_p2p_lock);
    *req_p = r;
    if (m) {
        pm_recv_fill(r, &m->h, m->data, m->world_src);
        free(m->data);
        free(m);
    }
    return 0;
}

void pm_p2p_progress(void)
{
    tp_ctx_t *tp = core_tp();

    if (tp)
        tp_progress(tp);
}

int pm_p2p_test(pm_req_t *r)
{
    if (atomic_load_explicit(&r->done, memory_order_acquire))
        return 1;
    pm_p2p_progress();
    return atomic_load_explicit(&r->done, memory_order_acquire);
}

void pm_p2p_wait(pm_req_t *r)
{
    tp_ctx_t *tp = core_tp();
    core_waiter_t w;

    if (atomic_load_explicit(&r->done, memory_order_acquire) || !tp)
        return;
    /* The progress thread stands down while this thread spins (core/wait.h). */
    core_wait_init(&w, tp);
    while (!atomic_load_explicit(&r->done, memory_order_acquire))
        core_wait_step(&w, tp_progress(tp));
    core_wait_done(&w);
}

static int pm_p2p_probe_once(int32_t ctx, int src, int tag, int *src_p, int *tag_p,
                             MPI_Count *bytes_p)
{
    pm_msg_t *m;

    pthread_mutex_lock(&pm_p2p_lock);
    for (m = pm_unexp; m; m = m->next)
        if (pm_match(ctx, src, tag, &m->h))
            break;
    if (m) {
        *src_p = m->h.src;
        *tag_p = m->h.tag;
        *bytes_p = (MPI_Count)m->h.len;
    }
    pthread_mutex_unlock(&pm_p2p_lock);
    return m != NULL;
}

int pm_p2p_probe(pm_comm_t *c, int32_t ctx, int src, int tag, int block, int *src_p,
                 int *tag_p, MPI_Count *bytes_p)
{
    tp_ctx_t *tp = core_tp();
    core_waiter_t w;
    int found;

    (void)c;
    if (pm_p2p_probe_once(ctx, src, tag, src_p, tag_p, bytes_p))
        return 1;
    if (!tp)
        return 0;
    if (!block) {
        tp_progress(tp);
        return pm_p2p_probe_once(ctx, src, tag, src_p, tag_p, bytes_p);
    }
    core_wait_init(&w, tp);
    while (!(found = pm_p2p_probe_once(ctx, src, tag, src_p, tag_p, bytes_p)))
        core_wait_step(&w, tp_progress(tp));
    core_wait_done(&w);
    return found;
}

/* Take the first matching unexpected message out of the list. */
static pm_msg_t *pm_p2p_take(int32_t ctx, int src, int tag)
{
    pm_msg_t *m, **pp;

    pthread_mutex_lock(&pm_p2p_lock);
    for (pp = &pm_unexp; (m = *pp); pp = &m->next)
        if (pm_match(ctx, src, tag, &m->h))
            break;
    if (m) {
        *pp = m->next;
        if (pm_unexp_tail == &m->next)
            pm_unexp_tail = pp;
        m->next = NULL;
    }
    pthread_mutex_unlock(&pm_p2p_lock);
    return m;
}

void *pm_p2p_mprobe(pm_comm_t *c, int32_t ctx, int src, int tag, int block, int *src_p,
                    int *tag_p, MPI_Count *bytes_p)
{
    tp_ctx_t *tp = core_tp();
    core_waiter_t w;
    pm_msg_t *m;

    (void)c;
    m = pm_p2p_take(ctx, src, tag);
    if (!m && tp && !block) {
        tp_progress(tp);
        m = pm_p2p_take(ctx, src, tag);
    } else if (!m && tp) {
        core_wait_init(&w, tp);
        while (!(m = pm_p2p_take(ctx, src, tag)))
            core_wait_step(&w, tp_progress(tp));
        core_wait_done(&w);
    }
    if (m) {
        *src_p = m->h.src;
        *tag_p = m->h.tag;
        *bytes_p = (MPI_Count)m->h.len;
    }
    return m;
}

int pm_p2p_mrecv(pm_comm_t *c, void *msg, void *buf, size_t count, pm_type_t *t,
                 pm_req_t **req_p)
{
    pm_msg_t *m = msg;
    pm_req_t *r = pm_req_alloc(PM_REQ_RECV, c, m->h.ctx);

    if (!r)
        return MPI_ERR_NO_MEM;
    r->buf = buf;
    r->count = count;
    r->type = t;
    pm_type_ref(t);
    r->src = m->h.src;
    r->tag = m->h.tag;
    pm_recv_fill(r, &m->h, m->data, m->world_src);
    free(m->data);
    free(m);
    *req_p = r;
    return 0;
}

int pm_p2p_cancel(pm_req_t *r)
{
    pm_req_t *q, **pp;

    if (r->kind != PM_REQ_RECV)
        return 0;
    pthread_mutex_lock(&pm_p2p_lock);
    for (pp = &pm_posted; (q = *pp); pp = &q->next)
        if (q == r)
            break;
    if (q) {
        *pp = r->next;
        if (pm_posted_tail == &r->next)
            pm_posted_tail = pp;
        r->next = NULL;
        r->st_cancelled = 1;
    }
    pthread_mutex_unlock(&pm_p2p_lock);
    if (q)
        pm_req_finish(r);
    return q != NULL;
}

void pm_p2p_release(pm_req_t *r)
{
    int done;

    pthread_mutex_lock(&pm_p2p_lock);
    done = atomic_load_explicit(&r->done, memory_order_acquire);
    if (!done)
        r->freed = 1;
    pthread_mutex_unlock(&pm_p2p_lock);
    if (done)
        pm_req_destroy(r);
}

/* ---- helpers for the collectives built on point-to-point ---- */

int pm_coll_sendrecv(pm_comm_t *c, int tag, const void *sbuf, size_t scount, pm_type_t *st,
                     int dest, void *rbuf, size_t rcount, pm_type_t *rt, int src,
                     const char *call)
{
    int32_t ctx = c->ctx | PM_CTX_COLL;
    pm_req_t *rr = NULL, *sr = NULL;
    int rc = 0, err;

    if (src != MPI_PROC_NULL && (rc = pm_p2p_recv(c, ctx, rbuf, rcount, rt, src, tag, &rr)))
        return pm_err_comm(c->handle, rc, call, "no memory for a receive");
    if (dest != MPI_PROC_NULL)
        rc = pm_p2p_send_typed(c, ctx, sbuf, scount, st, dest, tag, 0, &sr);
    if (rc) {
        if (rr) {
            if (pm_p2p_cancel(rr))
                pm_req_destroy(rr);
            else
                pm_p2p_release(rr);
        }
        return rc > 0 ? pm_err_comm(c->handle, rc, call, "no memory for a send")
                      : pm_praas_comm(c->handle, rc, PM_CTX_COLL, call);
    }
    if (!rr)
        return MPI_SUCCESS;
    pm_p2p_wait(rr);
    err = rr->st_err;
    pm_req_destroy(rr);
    if (err)
        return pm_err_comm(c->handle, err, call, "rank %d sent more than %zu elements to rank %d",
                           src, rcount, c->rank);
    return MPI_SUCCESS;
}
