/*
 * Window messages: the accumulate family carried to the target's progress
 * engine, its answers, and the post/complete notices of PSCW.
 *
 * All travel under one active-message id (CORE_AM_RMA) with the header
 * below; the target applies an accumulate with rma_op_apply_atomic() on its
 * own memory and answers with the old values (or an empty ack), so the
 * origin learns of remote completion from the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "rma/rma.h"

typedef struct rma_am_hdr {
    uint8_t kind;    /* enum rma_am_kind */
    uint8_t op;      /* praas_op_t */
    uint8_t type;    /* praas_type_t */
    uint8_t pad;
    uint32_t win;    /* window id */
    int32_t status;  /* answers: 0 or the target's error */
    uint32_t pad2;
    uint64_t offset; /* byte offset in the target's window memory */
    uint64_t count;  /* elements */
    uint64_t cookie; /* the origin's request (answers go back to it), or 0 */
} rma_am_hdr_t;

static tp_ctx_t *rma_am_tp;

static void rma_am_answer(tp_ctx_t *tp, int src, const rma_am_hdr_t *in, int status,
                          const void *old, size_t old_len)
{
    rma_am_hdr_t out = *in;
    int rc;

    out.kind = RMA_AM_ANSWER;
    out.status = status;
    rc = tp_am_send(tp, src, CORE_AM_RMA, &out, sizeof(out), old, old_len);
    if (rc)
        core_log(CORE_LOG_ERROR, "window %u: cannot answer rank %d: %s", in->win, src,
                 praas_errmsg());
}

/* The payload length each kind carries for bytes of data. */
static size_t rma_am_payload(enum rma_am_kind kind, praas_op_t op, size_t bytes)
{
    if (kind == RMA_AM_CAS)
        return 2 * bytes;
    if (kind == RMA_AM_GET || op == PRAAS_OP_NO_OP)
        return 0;
    return bytes;
}

/* The target side of an operation carried by a message: puts and gets of
 * dynamic windows, and the accumulate family of every window. */
static void rma_am_apply(tp_ctx_t *tp, int src, const rma_am_hdr_t *h, const void *payload,
                         size_t len)
{
    praas_win_t win = rma_win_lookup(h->win);
    size_t tsize = praas_type_size((praas_type_t)h->type);
    size_t bytes = tsize * h->count;
    unsigned char small[64], *old = small, *target = NULL;
    int status = 0, answers = h->kind != RMA_AM_ACC && h->kind != RMA_AM_PUT;

    /* Never trust a peer: the origin checked all this, but a message that
     * does not fit is answered with an error and changes nothing. */
    if (!win)
        status = PRAAS_ERR_NOT_FOUND;
    else if (rma_op_check((praas_op_t)h->op, (praas_type_t)h->type))
        status = PRAAS_ERR_INVALID;
    else if (h->count > ((uint64_t)1 << 40) || (h->kind == RMA_AM_CAS && h->count != 1) ||
             len != rma_am_payload((enum rma_am_kind)h->kind, (praas_op_t)h->op, bytes))
        status = PRAAS_ERR_PROTOCOL;
    else if (!(target = rma_win_locate(win, h->offset, bytes)))
        status = PRAAS_ERR_RANGE;
    if (status) {
        core_log(CORE_LOG_WARN, "window %u: refusing an operation from rank %d: %s", h->win,
                 src, praas_strerror(status));
        rma_am_answer(tp, src, h, status, NULL, 0);
        return;
    }
    if (answers && bytes > sizeof(small)) {
        old = malloc(bytes);
        if (!old) {
            rma_am_answer(tp, src, h, PRAAS_ERR_NOMEM, NULL, 0);
            return;
        }
    }
    switch (h->kind) {
    case RMA_AM_PUT:
        memcpy(target, payload, bytes);
        break;
    case RMA_AM_GET:
        memcpy(old, target, bytes);
        break;
    case RMA_AM_CAS:
        rma_op_cas_atomic((praas_type_t)h->type, payload, (const unsigned char *)payload + tsize,
                          target, old, win->ctl->oplocks);
        break;
    default:
        rma_op_apply_atomic((praas_op_t)h->op, (praas_type_t)h->type, len ? payload : target,
                            target, answers ? old : NULL, h->count, win->ctl->oplocks);
    }
    rma_am_answer(tp, src, h, 0, answers ? old : NULL, answers ? bytes : 0);
    if (old != small)
        free(old);
}

/* The origin side: an answer completes one pending operation. */
static void rma_am_answered(int src, const rma_am_hdr_t *h, const void *payload, size_t len)
{
    struct praas_request *req = (struct praas_request *)(uintptr_t)h->cookie;
    praas_win_t win = rma_win_lookup(h->win);

    if (req) {
        if (h->status) {
            int zero = 0;
            atomic_compare_exchange_strong(&req->status, &zero, h->status);
        } else if (req->result && len) {
            memcpy(req->result, payload, len);
        }
        win = req->win;
    }
    /* An error nobody waits for (a plain call's) surfaces at the next
     * flush, unlock, complete or fence of the window. */
    if (h->status && win && (!req || !req->owned)) {
        int zero = 0;
        atomic_compare_exchange_strong(&win->async_err, &zero, h->status);
    }
    if (win)
        atomic_fetch_sub_explicit(&win->targets[src].pending, 1, memory_order_release);
    if (req) {
        if (req->owned)
            atomic_fetch_sub_explicit(&req->replies, 1, memory_order_release);
        else
            free(req);
    }
}

static void rma_am_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                           const void *payload, size_t len)
{
    tp_ctx_t *tp = arg;
    rma_am_hdr_t h;
    praas_win_t win;

    if (hdr_len != sizeof(h)) {
        core_log(CORE_LOG_WARN, "rma: dropping a message from rank %d with a %zu-byte header",
                 src, hdr_len);
        return;
    }
    memcpy(&h, hdr, sizeof(h));
    switch (h.kind) {
    case RMA_AM_ACC:
    case RMA_AM_GACC:
    case RMA_AM_CAS:
    case RMA_AM_PUT:
    case RMA_AM_GET:
        rma_am_apply(tp, src, &h, payload, len);
        break;
    case RMA_AM_ANSWER:
        rma_am_answered(src, &h, payload, len);
        break;
    case RMA_AM_POST:
    case RMA_AM_COMPLETE:
        win = rma_win_lookup(h.win);
        if (!win || src >= win->size) {
            core_log(CORE_LOG_WARN, "rma: a notice from rank %d for unknown window %u", src,
                     h.win);
            break;
        }
        atomic_fetch_add_explicit(h.kind == RMA_AM_POST ? &win->posts[src]
                                                        : &win->completes[src],
                                  1, memory_order_release);
        break;
    default:
        core_log(CORE_LOG_WARN, "rma: dropping a message of unknown kind %u from rank %d",
                 h.kind, src);
    }
}

int rma_am_init(tp_ctx_t *tp)
{
    int rc;

    if (rma_am_tp == tp)
        return 0;
    rc = tp_am_register(tp, CORE_AM_RMA, rma_am_handler, tp);
    if (rc)
        return rc;
    rma_am_tp = tp;
    return 0;
}

int rma_am_send_op(praas_win_t win, int target, enum rma_am_kind kind, praas_op_t op,
                   praas_type_t type, uint64_t offset, const void *origin,
                   const void *compare, size_t count, struct praas_request *req)
{
    size_t tsize = praas_type_size(type), bytes = tsize * count;
    rma_am_hdr_t h = {
        .kind = (uint8_t)kind,
        .op = (uint8_t)op,
        .type = (uint8_t)type,
        .win = win->id,
        .offset = offset,
        .count = count,
        .cookie = (uint64_t)(uintptr_t)req,
    };
    unsigned char pair[64];
    const void *payload = origin;
    size_t len = rma_am_payload(kind, op, bytes);
    int rc;

    if (kind == RMA_AM_CAS) {
        /* One element: the new value, then the compare value. */
        memcpy(pair, origin, tsize);
        memcpy(pair + tsize, compare, tsize);
        payload = pair;
    }
    atomic_fetch_add_explicit(&win->targets[target].pending, 1, memory_order_relaxed);
    if (req && req->owned)
        atomic_fetch_add_explicit(&req->replies, 1, memory_order_relaxed);
    rc = tp_am_send(core_tp(), target, CORE_AM_RMA, &h, sizeof(h), payload, len);
    if (rc) {
        atomic_fetch_sub(&win->targets[target].pending, 1);
        if (req && req->owned)
            atomic_fetch_sub(&req->replies, 1);
    }
    return rc;
}

int rma_am_send_sync(praas_win_t win, int rank, enum rma_am_kind kind)
{
    rma_am_hdr_t h = {.kind = (uint8_t)kind, .win = win->id};

    /* Shared-memory windows: the notice is a counter in the peer's control
     * block, released after this rank's stores. */
    if (win->shm_sync) {
        rma_ctl_t *peer = win->targets[rank].ctl;
        atomic_fetch_add_explicit(kind == RMA_AM_POST ? &peer->posts[win->rank]
                                                      : &peer->completes[win->rank],
                                  1, memory_order_release);
        return 0;
    }

    return tp_am_send(core_tp(), rank, CORE_AM_RMA, &h, sizeof(h), NULL, 0);
}
