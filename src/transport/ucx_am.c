/*
 * Active messages of the UCX backend.
 *
 * Every praas message travels on one UCP active-message id with our own
 * header in front of the user's header: the sender's rank, the praas
 * handler id, and a per-destination sequence number.
 *
 * The sequence number is there because UCX does not keep the order we
 * promise (transport.h: "delivery to one peer is in order of sending"):
 * UCX calls the receive handler of a large, rendezvous message when its
 * announcement arrives, and the data comes later, so a small message sent
 * after it would otherwise reach its handler first. The receiver delivers
 * message n+1 only after message n; messages that arrive early are held,
 * copied, until their turn.
 *
 * Receive-side state is touched only from UCX callbacks, which UCX runs
 * inside ucp_worker_progress() (or inline from a send to ourselves) under
 * its worker lock, so it needs no lock of ours. The lock is recursive,
 * which is what lets a handler send a reply.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ucx.h"

/* Our header, in front of the user's. */
typedef struct tp_ucx_am_ih {
    uint32_t src;   /* sender's rank */
    uint32_t seq;   /* per (sender, destination) sequence number */
    uint16_t id;    /* praas handler id */
    uint16_t flags; /* TP_UCX_AM_SKIP */
} tp_ucx_am_ih_t;

/* A message that carries nothing but its sequence number: sent when a
 * send failed after taking its number, so the receiver does not wait for
 * it forever. */
#define TP_UCX_AM_SKIP 0x1

/* A message waiting for its turn (or, for rendezvous, for its data). */
struct tp_ucx_am_held {
    tp_ucx_am_held_t *next;
    tp_ucx_ctx_t *ctx;
    uint32_t src;
    uint32_t seq;
    uint16_t id;
    uint8_t ready; /* data present (rendezvous receives set it when done) */
    uint8_t drop;  /* deliver nothing: a skip, or a receive that failed */
    size_t hdr_len;
    size_t len;
    unsigned char data[]; /* user header, then payload */
};

/* Serial-number order, so that the 32-bit sequence may wrap. */
static inline int tp_ucx_seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Call the handler of id, if one is installed. */
static void tp_ucx_am_deliver(tp_ucx_ctx_t *ctx, uint32_t src, unsigned id, const void *hdr,
                              size_t hdr_len, const void *payload, size_t len)
{
    tp_am_handler_t fn = NULL;
    void *arg = NULL;

    if (id < TP_AM_MAX_HANDLERS) {
        pthread_mutex_lock(&ctx->lock);
        fn = ctx->am[id].fn;
        arg = ctx->am[id].arg;
        pthread_mutex_unlock(&ctx->lock);
    }
    if (!fn) {
        core_log(CORE_LOG_DEBUG, "ucx: dropped an active message for handler %u from peer %u "
                                 "(no handler installed)", id, src);
        return;
    }
    fn(arg, (int)src, hdr, hdr_len, payload, len);
}

/* Deliver, in order, every held message of src whose turn has come. A
 * handler may send to ourselves and so re-enter the receive callback: each
 * message is unlinked and `expected` advanced before its handler runs, so
 * the nested call sees a consistent state. */
static void tp_ucx_am_drain(tp_ucx_ctx_t *ctx, uint32_t src)
{
    tp_ucx_am_rx_t *rx = &ctx->am_rx[src];
    tp_ucx_am_held_t *h;

    while ((h = rx->head) != NULL && h->seq == rx->expected && h->ready) {
        rx->head = h->next;
        rx->expected++;
        if (!h->drop)
            tp_ucx_am_deliver(ctx, src, h->id, h->data, h->hdr_len, h->data + h->hdr_len,
                              h->len);
        free(h);
    }
}

/* Insert h in src's list, sorted by sequence number. Messages mostly come
 * in order, so the list is short. */
static void tp_ucx_am_hold(tp_ucx_am_rx_t *rx, tp_ucx_am_held_t *h)
{
    tp_ucx_am_held_t **pp = &rx->head;

    while (*pp && tp_ucx_seq_before((*pp)->seq, h->seq))
        pp = &(*pp)->next;
    h->next = *pp;
    *pp = h;
}

/* A rendezvous payload has arrived (or failed): its message may now be
 * delivered in turn. */
static void tp_ucx_am_rndv_cb(void *request, ucs_status_t st, size_t length, void *user_data)
{
    tp_ucx_am_held_t *h = user_data;
    tp_ucx_ctx_t *ctx = h->ctx;

    if (st != UCS_OK) {
        core_log(CORE_LOG_ERROR, "ucx: receiving a %zu-byte active message from peer %u "
                                 "failed: %s", h->len, h->src, ucs_status_string(st));
        h->drop = 1;
    }
    h->ready = 1;
    ucp_request_free(request);
    if (!atomic_load(&ctx->closing))
        tp_ucx_am_drain(ctx, h->src);
}

/* Start receiving a rendezvous payload into h. */
static void tp_ucx_am_rndv_start(tp_ucx_ctx_t *ctx, tp_ucx_am_held_t *h, void *desc)
{
    ucp_request_param_t rp;
    ucs_status_ptr_t sp;

    rp.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                      UCP_OP_ATTR_FIELD_MEMORY_TYPE;
    rp.cb.recv_am = tp_ucx_am_rndv_cb;
    rp.user_data = h;
    rp.memory_type = UCS_MEMORY_TYPE_HOST;
    sp = ucp_am_recv_data_nbx(ctx->worker, desc, h->data + h->hdr_len, h->len, &rp);
    if (sp != NULL && !UCS_PTR_IS_ERR(sp))
        return; /* tp_ucx_am_rndv_cb() finishes it */
    if (UCS_PTR_IS_ERR(sp)) {
        core_log(CORE_LOG_ERROR, "ucx: receiving a %zu-byte active message from peer %u: %s",
                 h->len, h->src, ucs_status_string(UCS_PTR_STATUS(sp)));
        h->drop = 1;
    }
    h->ready = 1;
    tp_ucx_am_drain(ctx, h->src);
}

/* The UCP receive callback of TP_UCX_AM_ID. An eager message whose turn it
 * is goes straight to its handler from UCX's buffer; anything else is
 * copied (eager) or received (rendezvous) into a held message. We never
 * keep UCX's descriptor, so we always return UCS_OK. */
static ucs_status_t tp_ucx_am_recv_cb(void *arg, const void *header, size_t header_length,
                                      void *data, size_t length,
                                      const ucp_am_recv_param_t *param)
{
    tp_ucx_ctx_t *ctx = arg;
    int rndv = (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) != 0;
    const unsigned char *uhdr = (const unsigned char *)header + sizeof(tp_ucx_am_ih_t);
    size_t uhdr_len;
    tp_ucx_am_held_t *h;
    tp_ucx_am_rx_t *rx;
    tp_ucx_am_ih_t ih;

    if (atomic_load_explicit(&ctx->closing, memory_order_relaxed))
        return UCS_OK;
    if (header_length < sizeof(ih)) {
        core_log(CORE_LOG_WARN, "ucx: dropped an active message with a %zu-byte header",
                 header_length);
        return UCS_OK;
    }
    memcpy(&ih, header, sizeof(ih));
    uhdr_len = header_length - sizeof(ih);
    if (ih.src >= (uint32_t)ctx->super.max_peers) {
        core_log(CORE_LOG_WARN, "ucx: dropped an active message from unknown peer %u",
                 ih.src);
        return UCS_OK;
    }
    rx = &ctx->am_rx[ih.src];

    if (!rndv && ih.seq == rx->expected) {
        rx->expected++;
        if (!(ih.flags & TP_UCX_AM_SKIP))
            tp_ucx_am_deliver(ctx, ih.src, ih.id, uhdr, uhdr_len, data, length);
        tp_ucx_am_drain(ctx, ih.src);
        return UCS_OK;
    }

    h = malloc(sizeof(*h) + uhdr_len + length);
    if (!h) {
        /* Keep the order going without the message: hold an empty slot. */
        core_log(CORE_LOG_ERROR, "ucx: no memory to hold a %zu-byte active message from "
                                 "peer %u; dropped", length, ih.src);
        h = calloc(1, sizeof(*h));
        if (!h)
            return UCS_OK; /* messages from ih.src stall from here on */
        h->drop = 1;
        h->ready = 1;
        rndv = 0;
        length = 0;
    } else {
        h->drop = (ih.flags & TP_UCX_AM_SKIP) != 0;
        h->ready = !rndv;
        memcpy(h->data, uhdr, uhdr_len);
        if (!rndv && length)
            memcpy(h->data + uhdr_len, data, length);
    }
    h->ctx = ctx;
    h->src = ih.src;
    h->seq = ih.seq;
    h->id = ih.id;
    h->hdr_len = h->drop ? 0 : uhdr_len;
    h->len = length;
    tp_ucx_am_hold(rx, h);
    if (rndv)
        tp_ucx_am_rndv_start(ctx, h, data);
    else
        tp_ucx_am_drain(ctx, ih.src);
    return UCS_OK;
}

int tp_ucx_am_init(tp_ucx_ctx_t *ctx)
{
    ucp_am_handler_param_t hp = {0};
    size_t n = (size_t)ctx->super.max_peers;
    ucs_status_t st;

    ctx->am_tx_seq = calloc(n, sizeof(*ctx->am_tx_seq));
    ctx->am_rx = calloc(n, sizeof(*ctx->am_rx));
    if (!ctx->am_tx_seq || !ctx->am_rx) {
        free(ctx->am_tx_seq);
        free(ctx->am_rx);
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory for %zu peers' message state", n);
    }
    for (size_t i = 0; i < n; i++)
        atomic_init(&ctx->am_tx_seq[i], 0);
    /* WHOLE_MSG: UCX reassembles fragmented eager messages before calling us. */
    hp.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_FLAGS |
                    UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG;
    hp.id = TP_UCX_AM_ID;
    hp.flags = UCP_AM_FLAG_WHOLE_MSG;
    hp.cb = tp_ucx_am_recv_cb;
    hp.arg = ctx;
    st = ucp_worker_set_am_recv_handler(ctx->worker, &hp);
    if (st != UCS_OK) {
        free(ctx->am_tx_seq);
        free(ctx->am_rx);
        return core_err(tp_ucx_status_err(st), "ucx: installing the active-message handler: %s",
                        ucs_status_string(st));
    }
    return 0;
}

/* Free held messages; called after the worker is gone, so UCX no longer
 * writes into any of them. */
void tp_ucx_am_fini(tp_ucx_ctx_t *ctx)
{
    for (int i = 0; i < ctx->super.max_peers; i++) {
        while (ctx->am_rx[i].head) {
            tp_ucx_am_held_t *h = ctx->am_rx[i].head;
            ctx->am_rx[i].head = h->next;
            free(h);
        }
    }
    free(ctx->am_rx);
    free(ctx->am_tx_seq);
}

/* Install (or, with handler NULL, remove) the handler of id. Thread-safe;
 * a message being delivered concurrently may still see the old handler. */
int tp_ucx_am_register(tp_ctx_t *tctx, unsigned id, tp_am_handler_t handler, void *arg)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);

    if (id >= TP_AM_MAX_HANDLERS)
        return core_err(PRAAS_ERR_INVALID, "ucx: handler id %u is not below %d", id,
                        TP_AM_MAX_HANDLERS);
    pthread_mutex_lock(&ctx->lock);
    ctx->am[id].fn = handler;
    ctx->am[id].arg = arg;
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

/* Our copy of a sent message is freed when UCX is done with it. */
static void tp_ucx_am_sent_cb(void *request, ucs_status_t st, void *user_data)
{
    if (st != UCS_OK)
        core_log(CORE_LOG_DEBUG, "ucx: active message send failed: %s",
                 ucs_status_string(st));
    free(user_data);
    ucp_request_free(request);
}

static ucs_status_ptr_t tp_ucx_am_post(tp_ucx_ctx_t *ctx, int peer, unsigned char *buf,
                                       size_t hlen, size_t payload_len)
{
    ucp_request_param_t param;

    param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                         UCP_OP_ATTR_FIELD_MEMORY_TYPE;
    param.cb.send = tp_ucx_am_sent_cb;
    param.user_data = buf;
    param.memory_type = UCS_MEMORY_TYPE_HOST;
    return ucp_am_send_nbx(ctx->eps[peer], TP_UCX_AM_ID, buf, hlen, buf + hlen, payload_len,
                           &param);
}

/* Copy our header, the user's header and the payload into one buffer that
 * lives until UCX has sent it, so the caller may reuse its buffers at once
 * and a handler may call this. Thread-safe. */
int tp_ucx_am_send(tp_ctx_t *tctx, int peer, unsigned id, const void *hdr, size_t hdr_len,
                   const void *payload, size_t payload_len)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    tp_ucx_am_ih_t ih;
    size_t hlen = sizeof(ih) + hdr_len;
    unsigned char *buf;
    ucs_status_ptr_t sp;
    ucs_status_t st;
    int rc;

    rc = tp_ucx_check_peer(ctx, peer, "active message");
    if (rc)
        return rc;
    if (id >= TP_AM_MAX_HANDLERS)
        return core_err(PRAAS_ERR_INVALID, "ucx: active message for handler %u (ids are "
                                           "0..%d)", id, TP_AM_MAX_HANDLERS - 1);
    if (hdr_len > TP_AM_MAX_HDR)
        return core_err(PRAAS_ERR_RANGE, "ucx: active-message header of %zu bytes is longer "
                                         "than %d", hdr_len, TP_AM_MAX_HDR);
    if ((hdr_len && !hdr) || (payload_len && !payload))
        return core_err(PRAAS_ERR_INVALID, "ucx: active message with a NULL buffer");
    buf = malloc(hlen + payload_len);
    if (!buf)
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory to copy a %zu-byte active message",
                        payload_len);
    if (hdr_len)
        memcpy(buf + sizeof(ih), hdr, hdr_len);
    if (payload_len)
        memcpy(buf + hlen, payload, payload_len);
    ih.src = (uint32_t)ctx->super.rank;
    ih.id = (uint16_t)id;
    ih.flags = 0;
    ih.seq = atomic_fetch_add_explicit(&ctx->am_tx_seq[peer], 1, memory_order_relaxed);
    memcpy(buf, &ih, sizeof(ih));

    sp = tp_ucx_am_post(ctx, peer, buf, hlen, payload_len);
    if (PRAAS_LIKELY(!UCS_PTR_IS_ERR(sp))) {
        if (sp == NULL)
            free(buf);
        return 0;
    }
    /* The number is taken: tell the peer to skip it, or it would hold
     * every later message from us. */
    st = UCS_PTR_STATUS(sp);
    ih.flags = TP_UCX_AM_SKIP;
    memcpy(buf, &ih, sizeof(ih));
    sp = tp_ucx_am_post(ctx, peer, buf, sizeof(ih), 0);
    if (UCS_PTR_IS_ERR(sp)) {
        core_log(CORE_LOG_ERROR, "ucx: cannot send to peer %d (%s): its later messages from "
                                 "us will not be delivered", peer,
                 ucs_status_string(UCS_PTR_STATUS(sp)));
        free(buf);
    } else if (sp == NULL) {
        free(buf);
    }
    return core_err(tp_ucx_status_err(st), "ucx: active message of %zu bytes to peer %d: %s",
                    payload_len, peer, ucs_status_string(st));
}
