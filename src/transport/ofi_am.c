/*
 * Active messages over fi_send/fi_recv, and the atomics emulated on top of
 * them, for the libfabric backend (ofi.c).
 *
 * Wire format. Every message is one or more fragments, each at most
 * TP_OFI_AM_BUF bytes so that it fits one pre-posted receive buffer:
 *     tp_ofi_wire_t | user header (first fragment only) | payload bytes
 * Each peer's fragments are posted strictly in order (a peer with a queued
 * fragment gets new ones queued behind it) and numbered per sender and
 * receiver. Even a provider that matches receives in order (FI_ORDER_SAS)
 * may complete them out of order: tcp;ofi_rxm completes a small eager
 * message before a larger rendezvous one sent earlier. The receiver
 * therefore keeps early fragments aside until their turn and reassembles
 * each sender's messages by appending in sequence order, which needs no
 * ordering from the provider at all.
 * We chose fragmentation over a rendezvous read because it needs no
 * registered bounce buffers and no extra round trip, and a 4 MiB message
 * is only 64 fragments; the providers' own rendezvous handles each
 * fragment above their eager size.
 *
 * Emulated atomics. When the provider lacks any op of a width, every atomic
 * of that width is a request message (handler TP_OFI_AM_AMO_REQ) that the
 * target applies with __atomic builtins from its progress, after checking
 * that the key names one of its live registrations and that the word lies
 * inside it; the reply (TP_OFI_AM_AMO_REP) carries the old value or an
 * error and completes the origin's op.
 *
 * Everything here runs with ctx->lock held (see ofi.h).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ofi.h"

enum { TP_OFI_AM_MAGIC = 0x50414d31 }; /* "PAM1" */

typedef struct tp_ofi_wire {
    uint32_t magic;
    int32_t src;       /* sender's rank */
    uint32_t seq;      /* per sender and receiver, one per fragment */
    uint32_t frag_len; /* payload bytes in this fragment */
    uint16_t id;       /* handler id */
    uint16_t hdr_len;  /* user header bytes, present in the first fragment */
    uint32_t pad;
    uint64_t total;    /* payload bytes of the whole message */
    uint64_t offset;   /* where this fragment's payload goes; 0 = first */
} tp_ofi_wire_t;

typedef struct tp_ofi_amo_req {
    uint64_t id;
    uint64_t key;
    uint64_t offset; /* from the start of the target's region */
    uint64_t operand;
    uint64_t compare;
    uint32_t op;
    uint32_t width;
} tp_ofi_amo_req_t;

typedef struct tp_ofi_amo_rep {
    uint64_t id;
    uint64_t old;
    int32_t status; /* 0 or a PRAAS_ERR_* */
    uint32_t pad;
} tp_ofi_amo_rep_t;

/* Post op, or keep it for later when the provider has no room. */
static void tp_ofi_recv_post(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op)
{
    int ret = tp_ofi_post(ctx, op);

    if (ret == -FI_EAGAIN) {
        op->qnext = ctx->repost;
        ctx->repost = op;
    } else if (ret) {
        core_log(CORE_LOG_ERROR, "ofi: cannot post a receive buffer: %s", fi_strerror(-ret));
    }
}

int tp_ofi_am_open(tp_ofi_ctx_t *ctx)
{
    int i, ret;

    for (i = 0; i < TP_OFI_AM_NRECV; i++) {
        tp_ofi_op_t *op = tp_ofi_op_new(TP_OFI_OP_RECV, -1);

        if (!op || !(op->buf = malloc(TP_OFI_AM_BUF))) {
            free(op);
            return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for receive buffers");
        }
        op->len = TP_OFI_AM_BUF;
        tp_ofi_list_add(&ctx->live, op);
        ret = tp_ofi_post(ctx, op);
        if (ret == -FI_EAGAIN) {
            op->qnext = ctx->repost;
            ctx->repost = op;
        } else if (ret) {
            return core_err(PRAAS_ERR_TRANSPORT, "ofi: fi_recv: %s", fi_strerror(-ret));
        }
    }
    return 0;
}

void tp_ofi_am_close(tp_ofi_ctx_t *ctx)
{
    tp_ofi_op_t *op, *next;
    int p;

    for (op = ctx->live.next; op != &ctx->live; op = next) {
        next = op->next;
        tp_ofi_list_del(op);
        free(op->buf);
        free(op);
    }
    for (p = 0; ctx->sq_head && p < ctx->npeers; p++) {
        for (op = ctx->sq_head[p]; op; op = next) {
            next = op->qnext;
            free(op->buf);
            free(op);
        }
    }
    for (p = 0; ctx->rasm && p < ctx->npeers; p++) {
        tp_ofi_early_t *e, *enext;

        for (e = ctx->rasm[p].early; e; e = enext) {
            enext = e->next;
            free(e);
        }
        free(ctx->rasm[p].buf);
    }
    free(ctx->tx_seq);
    ctx->tx_seq = NULL;
    free(ctx->sq_head);
    free(ctx->sq_tail);
    free(ctx->rasm);
    ctx->sq_head = ctx->sq_tail = NULL;
    ctx->rasm = NULL;
    ctx->sq_count = 0;
    ctx->repost = NULL;
}

/* Fail the emulated atomic amo_id, if it still waits. */
static void tp_ofi_amo_fail(tp_ofi_ctx_t *ctx, uint64_t amo_id, int status)
{
    tp_ofi_op_t *op;

    for (op = ctx->emu.next; op != &ctx->emu; op = op->next) {
        if (op->amo_id == amo_id) {
            tp_ofi_list_del(op);
            tp_ofi_rma_done(ctx, op, status);
            free(op);
            return;
        }
    }
}

void tp_ofi_am_sent(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, int status)
{
    /* On success the request's atomic is completed by its reply, which
     * may arrive before this send completion: only a failure touches it,
     * and by id, never by pointer. */
    if (status) {
        core_log(CORE_LOG_ERROR, "ofi: an active message to peer %d was lost", op->peer);
        if (op->amo_id)
            tp_ofi_amo_fail(ctx, op->amo_id, status);
        else if (!ctx->deferred_err)
            ctx->deferred_err = status;
    }
    free(op->buf);
    free(op);
}

void tp_ofi_am_drain(tp_ofi_ctx_t *ctx)
{
    tp_ofi_op_t *op;
    int p, ret;

    while (ctx->repost) {
        op = ctx->repost;
        ctx->repost = op->qnext;
        ret = tp_ofi_post(ctx, op);
        if (ret == -FI_EAGAIN) {
            op->qnext = ctx->repost;
            ctx->repost = op;
            break;
        }
        if (ret)
            core_log(CORE_LOG_ERROR, "ofi: cannot post a receive buffer: %s", fi_strerror(-ret));
    }
    for (p = 0; ctx->sq_count && p < ctx->npeers; p++) {
        while ((op = ctx->sq_head[p]) != NULL) {
            ret = tp_ofi_post(ctx, op);
            if (ret == -FI_EAGAIN)
                break;
            ctx->sq_head[p] = op->qnext;
            if (!ctx->sq_head[p])
                ctx->sq_tail[p] = NULL;
            ctx->sq_count--;
            if (ret) {
                core_err(PRAAS_ERR_TRANSPORT, "ofi: fi_send to peer %d: %s", p, fi_strerror(-ret));
                tp_ofi_am_sent(ctx, op, PRAAS_ERR_TRANSPORT);
            } else {
                tp_ofi_list_add(&ctx->live, op);
            }
        }
    }
}

int tp_ofi_am_send_locked(tp_ofi_ctx_t *ctx, int peer, unsigned id, const void *hdr,
                          size_t hdr_len, const void *payload, size_t payload_len,
                          uint64_t amo_id)
{
    tp_ofi_op_t *first = NULL, *last = NULL, *op, *next;
    size_t off = 0;
    uint32_t seq0;
    int rc, ret;

    rc = tp_ofi_check_peer(ctx, peer);
    if (rc)
        return rc;
    if (id >= TP_AM_MAX_HANDLERS || hdr_len > TP_AM_MAX_HDR || (hdr_len && !hdr) ||
        (payload_len && !payload))
        return core_err(PRAAS_ERR_INVALID,
                        "ofi: active message id %u with a %zu-byte header (at most %d) and %zu "
                        "bytes of payload", id, hdr_len, (int)TP_AM_MAX_HDR, payload_len);
    if (payload_len > TP_OFI_AM_MAX_PAYLOAD)
        return core_err(PRAAS_ERR_RANGE, "ofi: active message payload of %zu bytes is over %d",
                        payload_len, (int)TP_OFI_AM_MAX_PAYLOAD);

    /* Build every fragment first, so that running out of memory sends
     * nothing rather than half a message. */
    seq0 = ctx->tx_seq[peer];
    do {
        size_t hl = off == 0 ? hdr_len : 0;
        size_t n = PRAAS_MIN(TP_OFI_AM_BUF - sizeof(tp_ofi_wire_t) - hl, payload_len - off);
        tp_ofi_wire_t w = {
            .magic = TP_OFI_AM_MAGIC, .src = ctx->base.rank, .seq = ctx->tx_seq[peer]++,
            .id = (uint16_t)id,
            .hdr_len = (uint16_t)hdr_len, .frag_len = (uint32_t)n, .total = payload_len,
            .offset = off,
        };

        op = tp_ofi_op_new(TP_OFI_OP_SEND, peer);
        if (!op || !(op->buf = malloc(sizeof(w) + hl + n))) {
            free(op);
            /* Give the numbers back, or the peer would wait for them. */
            ctx->tx_seq[peer] = seq0;
            rc = core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for a %zu-byte active message",
                          payload_len);
            goto err_frags;
        }
        memcpy(op->buf, &w, sizeof(w));
        if (hl)
            memcpy((char *)op->buf + sizeof(w), hdr, hl);
        if (n)
            memcpy((char *)op->buf + sizeof(w) + hl, (const char *)payload + off, n);
        op->len = sizeof(w) + hl + n;
        op->amo_id = amo_id;
        if (last)
            last->qnext = op;
        else
            first = op;
        last = op;
        off += n;
    } while (off < payload_len);

    /* Post in order until the provider has no room; queue the rest. */
    for (op = first; op && !ctx->sq_head[peer]; op = next) {
        next = op->qnext;
        ret = tp_ofi_post(ctx, op);
        if (ret == -FI_EAGAIN)
            break;
        if (ret) {
            /* Nothing of this message sent: its numbers can be reused.
             * Otherwise the stream to this peer is broken, as the error
             * of the provider says anyway. */
            if (op == first)
                ctx->tx_seq[peer] = seq0;
            first = op;
            rc = core_err(PRAAS_ERR_TRANSPORT, "ofi: fi_send to peer %d: %s", peer,
                          fi_strerror(-ret));
            goto err_frags;
        }
        op->qnext = NULL;
        tp_ofi_list_add(&ctx->live, op);
    }
    for (; op; op = next) {
        next = op->qnext;
        op->qnext = NULL;
        if (ctx->sq_tail[peer])
            ctx->sq_tail[peer]->qnext = op;
        else
            ctx->sq_head[peer] = op;
        ctx->sq_tail[peer] = op;
        ctx->sq_count++;
    }
    return 0;

err_frags:
    for (op = first; op; op = next) {
        next = op->qnext;
        free(op->buf);
        free(op);
    }
    return rc;
}

/* Contract: tp_am_send(). Copies both buffers; never waits for the peer:
 * fragments the provider cannot take now are queued and posted by a later
 * progress call. */
int tp_ofi_am_send(tp_ctx_t *tctx, int peer, unsigned id, const void *hdr, size_t hdr_len,
                   const void *payload, size_t payload_len)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    int rc;

    if (id >= TP_AM_RESERVED)
        return core_err(PRAAS_ERR_INVALID, "ofi: active message id %u is reserved (>= %d)", id,
                        (int)TP_AM_RESERVED);
    pthread_mutex_lock(&ctx->lock);
    rc = tp_ofi_am_send_locked(ctx, peer, id, hdr, hdr_len, payload, payload_len, 0);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Contract: tp_am_register(). */
int tp_ofi_am_register(tp_ctx_t *tctx, unsigned id, tp_am_handler_t handler, void *arg)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);

    if (id >= TP_AM_RESERVED)
        return core_err(PRAAS_ERR_INVALID, "ofi: active message id %u is reserved (>= %d)", id,
                        (int)TP_AM_RESERVED);
    pthread_mutex_lock(&ctx->lock);
    ctx->am[id].fn = handler;
    ctx->am[id].arg = arg;
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

/* Apply an emulated atomic to a live registration, for peer src. */
static void tp_ofi_amo_serve(tp_ofi_ctx_t *ctx, int src, const void *hdr, size_t hdr_len)
{
    tp_ofi_amo_rep_t rep = {0};
    tp_ofi_amo_req_t q;
    struct tp_mr *mr;
    int rc;

    if (hdr_len != sizeof(q)) {
        core_log(CORE_LOG_WARN, "ofi: dropped an atomic request of %zu bytes from peer %d",
                 hdr_len, src);
        return;
    }
    memcpy(&q, hdr, sizeof(q));
    rep.id = q.id;
    for (mr = ctx->mrs; mr && mr->key != q.key; mr = mr->next)
        ;
    if (!mr) {
        rep.status = PRAAS_ERR_NOT_FOUND;
    } else if (q.op >= TP_AOP_COUNT_ || (q.width != 4 && q.width != 8) ||
               q.offset > mr->len || q.width > mr->len - q.offset ||
               ((uintptr_t)mr->addr + q.offset) % q.width) {
        rep.status = PRAAS_ERR_RANGE;
    } else if (q.width == 4) {
        uint32_t *p = (uint32_t *)((char *)mr->addr + q.offset), v = (uint32_t)q.operand;
        uint32_t old = 0, cmp = (uint32_t)q.compare;

        switch ((tp_aop_t)q.op) {
        case TP_AOP_ADD: old = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_AND: old = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_OR: old = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_XOR: old = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_SWAP: old = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
        default: /* CSWAP: on failure cmp receives the current value */
            __atomic_compare_exchange_n(p, &cmp, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            old = cmp;
            break;
        }
        rep.old = old;
    } else {
        uint64_t *p = (uint64_t *)((char *)mr->addr + q.offset), v = q.operand;
        uint64_t old = 0, cmp = q.compare;

        switch ((tp_aop_t)q.op) {
        case TP_AOP_ADD: old = __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_AND: old = __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_OR: old = __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_XOR: old = __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); break;
        case TP_AOP_SWAP: old = __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); break;
        default:
            __atomic_compare_exchange_n(p, &cmp, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            old = cmp;
            break;
        }
        rep.old = old;
    }
    if (rep.status)
        core_log(CORE_LOG_WARN, "ofi: refused an atomic from peer %d (key %llu, offset %llu, "
                 "width %u): %s", src, (unsigned long long)q.key, (unsigned long long)q.offset,
                 q.width, praas_strerror(rep.status));
    rc = tp_ofi_am_send_locked(ctx, src, TP_OFI_AM_AMO_REP, &rep, sizeof(rep), NULL, 0, 0);
    if (rc)
        core_log(CORE_LOG_ERROR, "ofi: cannot answer an atomic of peer %d: %s", src,
                 praas_strerror(rc));
}

/* Complete the emulated atomic that a reply from src answers. */
static void tp_ofi_amo_reply(tp_ofi_ctx_t *ctx, int src, const void *hdr, size_t hdr_len)
{
    tp_ofi_amo_rep_t r;
    tp_ofi_op_t *op;

    if (hdr_len != sizeof(r))
        return;
    memcpy(&r, hdr, sizeof(r));
    for (op = ctx->emu.next; op != &ctx->emu; op = op->next)
        if (op->amo_id == r.id && op->peer == src)
            break;
    if (op == &ctx->emu) {
        core_log(CORE_LOG_WARN, "ofi: dropped a reply to unknown atomic %llu from peer %d",
                 (unsigned long long)r.id, src);
        return;
    }
    tp_ofi_list_del(op);
    if (r.status) {
        /* A status that is not one of ours is a protocol error. */
        if (r.status >= 0 || r.status < PRAAS_ERR_INTERNAL)
            r.status = PRAAS_ERR_PROTOCOL;
        core_err(r.status, "ofi: peer %d refused an emulated atomic at offset %llu: %s", src,
                 (unsigned long long)op->raddr, praas_strerror(r.status));
    } else if (op->result && op->width == 4) {
        uint32_t v = (uint32_t)r.old;

        memcpy(op->result, &v, 4);
    } else if (op->result) {
        memcpy(op->result, &r.old, 8);
    }
    tp_ofi_rma_done(ctx, op, r.status);
    free(op);
}

int tp_ofi_amo_emulated(tp_ofi_ctx_t *ctx, int peer, tp_aop_t aop, size_t width,
                        uint64_t operand, uint64_t compare, void *result, tp_rkey_t *rkey,
                        uint64_t offset, tp_comp_t *comp)
{
    uint64_t mask = width == 4 ? UINT32_MAX : UINT64_MAX;
    tp_ofi_amo_req_t q = {
        .id = ++ctx->amo_next_id, .key = rkey->key, .offset = offset,
        .operand = operand & mask, .compare = compare & mask,
        .op = (uint32_t)aop, .width = (uint32_t)width,
    };
    tp_ofi_op_t *op;
    int rc;

    op = tp_ofi_op_new(TP_OFI_OP_EMU, peer);
    if (!op)
        return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for an atomic");
    rc = tp_ofi_am_send_locked(ctx, peer, TP_OFI_AM_AMO_REQ, &q, sizeof(q), NULL, 0, q.id);
    if (rc) {
        free(op);
        return rc;
    }
    /* The reply needs a progress call, which needs the lock we hold, so
     * accounting after the send is not late. */
    op->amo_id = q.id;
    op->comp = comp;
    op->result = result;
    op->width = (unsigned)width;
    op->raddr = offset;
    tp_ofi_list_add(&ctx->emu, op);
    ctx->outstanding[peer]++;
    ctx->total_outstanding++;
    tp_comp_add(comp);
    return 0;
}

/* Deliver a whole message to its handler. */
static void tp_ofi_am_dispatch(tp_ofi_ctx_t *ctx, int src, unsigned id, const void *hdr,
                               size_t hdr_len, const void *payload, size_t payload_len)
{
    if (id == TP_OFI_AM_AMO_REQ)
        tp_ofi_amo_serve(ctx, src, hdr, hdr_len);
    else if (id == TP_OFI_AM_AMO_REP)
        tp_ofi_amo_reply(ctx, src, hdr, hdr_len);
    else if (id < TP_AM_MAX_HANDLERS && ctx->am[id].fn)
        ctx->am[id].fn(ctx->am[id].arg, src, hdr, hdr_len, payload, payload_len);
    else
        core_log(CORE_LOG_WARN, "ofi: dropped an active message for unregistered id %u from "
                 "peer %d", id, src);
}

/* Deliver one in-sequence fragment from sender w->src. */
static void tp_ofi_am_frag(tp_ofi_ctx_t *ctx, const tp_ofi_wire_t *w, const uint8_t *frag)
{
    tp_ofi_rasm_t *r = &ctx->rasm[w->src];
    size_t hl = w->offset == 0 ? w->hdr_len : 0;
    const uint8_t *data = frag + sizeof(*w) + hl;

    if (w->offset == 0) {
        if (r->buf) {
            core_log(CORE_LOG_WARN, "ofi: peer %d started a message before ending the last",
                     w->src);
            free(r->buf);
            r->buf = NULL;
        }
        if (w->frag_len == w->total) {
            /* Unfragmented: deliver from the receive buffer itself. */
            tp_ofi_am_dispatch(ctx, w->src, w->id, frag + sizeof(*w), hl, data, w->frag_len);
            return;
        }
        r->buf = malloc(w->total);
        if (!r->buf) {
            core_log(CORE_LOG_ERROR, "ofi: out of memory for a %llu-byte message from peer %d",
                     (unsigned long long)w->total, w->src);
            return;
        }
        r->total = w->total;
        r->got = 0;
        r->id = w->id;
        r->hdr_len = hl;
        memcpy(r->hdr, frag + sizeof(*w), hl);
    } else if (!r->buf || w->id != r->id || w->total != r->total || w->offset != r->got) {
        core_log(CORE_LOG_WARN, "ofi: dropped a fragment of a message from peer %d that was "
                 "dropped or is inconsistent", w->src);
        return;
    }
    memcpy(r->buf + r->got, data, w->frag_len);
    r->got += w->frag_len;
    if (r->got == r->total) {
        uint8_t *msg = r->buf, h[TP_AM_MAX_HDR];
        size_t h_len = r->hdr_len;

        /* Detach first: the handler may progress and start receiving the
         * sender's next message into r. */
        memcpy(h, r->hdr, h_len);
        r->buf = NULL;
        tp_ofi_am_dispatch(ctx, w->src, w->id, h, h_len, msg, w->total);
        free(msg);
    }
}

/* Check a received fragment's header; 0 if it is well formed. */
static int tp_ofi_am_check(const tp_ofi_ctx_t *ctx, const tp_ofi_wire_t *w, size_t len)
{
    if (w->magic != TP_OFI_AM_MAGIC || w->src < 0 || w->src >= ctx->npeers || !ctx->rasm ||
        w->id >= TP_AM_MAX_HANDLERS || w->hdr_len > TP_AM_MAX_HDR ||
        w->total > TP_OFI_AM_MAX_PAYLOAD || w->offset > w->total ||
        w->frag_len > w->total - w->offset)
        return -1;
    return len == sizeof(*w) + (w->offset == 0 ? w->hdr_len : 0) + w->frag_len ? 0 : -1;
}

void tp_ofi_am_recv(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, size_t len)
{
    tp_ofi_early_t *e, **pp;
    tp_ofi_rasm_t *r;
    tp_ofi_wire_t w;

    if (len < sizeof(w))
        goto bad;
    memcpy(&w, op->buf, sizeof(w));
    if (tp_ofi_am_check(ctx, &w, len))
        goto bad;
    r = &ctx->rasm[w.src];
    if (w.seq != r->next_seq) {
        /* Early: keep a copy, sorted by sequence number (differences, so
         * that wrap-around after 2^32 fragments still sorts right). */
        e = malloc(sizeof(*e) + len);
        if (!e) {
            core_log(CORE_LOG_ERROR, "ofi: out of memory for an early fragment from peer %d",
                     w.src);
            goto repost;
        }
        e->seq = w.seq;
        e->len = len;
        memcpy(e->data, op->buf, len);
        for (pp = &r->early; *pp && (int32_t)((*pp)->seq - w.seq) < 0; pp = &(*pp)->next)
            ;
        e->next = *pp;
        *pp = e;
        goto repost;
    }
    /* Counted before delivery, so that a handler that progresses sees the
     * next fragment as in sequence. */
    r->next_seq++;
    tp_ofi_am_frag(ctx, &w, op->buf);
    /* Early fragments that are now in sequence. */
    while ((e = r->early) != NULL && e->seq == r->next_seq) {
        r->early = e->next;
        r->next_seq++;
        memcpy(&w, e->data, sizeof(w));
        tp_ofi_am_frag(ctx, &w, e->data);
        free(e);
    }
    goto repost;

bad:
    core_log(CORE_LOG_WARN, "ofi: dropped a malformed active-message fragment (%zu bytes)", len);
repost:
    tp_ofi_recv_post(ctx, op);
}
