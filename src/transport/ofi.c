/*
 * The libfabric backend: an RDM endpoint, one completion queue for
 * everything, an address vector indexed by rank, progress and the wait fd.
 * Registration, RMA, native atomics and flush live in ofi_rma.c; active
 * messages and the emulated atomics in ofi_am.c.
 *
 * Provider: whatever fi_getinfo() returns first for our hints, so
 * FI_PROVIDER chooses it as libfabric users expect (FI_PROVIDER=tcp gives
 * tcp;ofi_rxm, FI_PROVIDER=shm gives shm). udp;ofi_rxd is skipped when
 * anything else is offered (it crashed in a 1 MiB passive test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ofi.h"

int tp_ofi_fail(int ret, const char *what)
{
    if (ret == -FI_EAGAIN)
        return core_err(PRAAS_ERR_AGAIN,
                        "ofi: %s: %s for %d ms (queue full or peer not progressing)", what,
                        fi_strerror(-ret), TP_OFI_EAGAIN_MS);
    return core_err(PRAAS_ERR_TRANSPORT, "ofi: %s: %s", what, fi_strerror(-ret));
}

tp_ofi_op_t *tp_ofi_op_new(tp_ofi_kind_t kind, int peer)
{
    tp_ofi_op_t *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->kind = kind;
    op->peer = peer;
    op->prev = op->next = op;
    return op;
}

int tp_ofi_check_peer(tp_ofi_ctx_t *ctx, int peer)
{
    if (!ctx->addrs)
        return core_err(PRAAS_ERR_STATE, "ofi: peer %d: tp_connect() has not been called", peer);
    if (peer < 0 || peer >= ctx->npeers)
        return core_err(PRAAS_ERR_INVALID, "ofi: peer %d is not in [0, %d)", peer, ctx->npeers);
    if (ctx->addrs[peer] == FI_ADDR_NOTAVAIL)
        return core_err(PRAAS_ERR_STATE, "ofi: peer %d is not connected", peer);
    return 0;
}

/* Choose the fi_info to use from a fi_getinfo() list: the entry on the
 * preferred device if there is one, else the first that is not rxd. */
static struct fi_info *tp_ofi_pick(struct fi_info *list, const char *device)
{
    struct fi_info *i, *first = NULL;

    for (i = list; i; i = i->next) {
        if (strstr(i->fabric_attr->prov_name, "ofi_rxd") && i->next)
            continue;
        if (device && i->domain_attr->name && strcmp(i->domain_attr->name, device) == 0)
            return i;
        if (!first)
            first = i;
    }
    return first;
}

/* Ask libfabric for an RDM provider; with_atomics adds FI_ATOMIC to the
 * required caps. Returns 0 with *info_p (a copy the caller frees), or a
 * negative fi_errno (-FI_ENODATA: no provider fits). */
static int tp_ofi_getinfo(const tp_config_t *cfg, int with_atomics, struct fi_info **info_p)
{
    struct fi_info *hints, *list = NULL, *pick;
    int ret;

    hints = fi_allocinfo();
    if (!hints)
        return -FI_ENOMEM;
    hints->ep_attr->type = FI_EP_RDM;
    hints->caps = FI_RMA | FI_MSG | (with_atomics ? FI_ATOMIC : 0);
    /* Every op carries a struct fi_context2 as its first member. */
    hints->mode = FI_CONTEXT | FI_CONTEXT2;
    /* Our own mutex serializes every call (see ofi.h). */
    hints->domain_attr->threading = FI_THREAD_DOMAIN;
    hints->domain_attr->av_type = FI_AV_TABLE;
    /* We can address by virtual address or by offset; nothing else. */
    hints->domain_attr->mr_mode = FI_MR_VIRT_ADDR;
    /* Only providers that can report delivery completion (see flush). */
    hints->tx_attr->op_flags = FI_DELIVERY_COMPLETE;
    /* No message ordering is required: active-message fragments carry
     * sequence numbers (ofi_am.c), so any provider will do. */

    ret = fi_getinfo(FI_VERSION(1, 17), NULL, NULL, 0, hints, &list);
    fi_freeinfo(hints);
    if (ret)
        return ret;
    pick = tp_ofi_pick(list, cfg->device);
    *info_p = pick ? fi_dupinfo(pick) : NULL;
    fi_freeinfo(list);
    if (!*info_p)
        return pick ? -FI_ENOMEM : -FI_ENODATA;
    /* Delivery completion is asked for on each write, not by default:
     * sends and reads do not need it. */
    (*info_p)->tx_attr->op_flags = 0;
    return 0;
}

/* Contract: tp_open(). Opens fabric, domain, AV, CQ (with a wait fd when
 * the provider has one) and the endpoint, decides native or emulated
 * atomics per width and posts the receive ring. */
static int tp_ofi_open(const tp_config_t *cfg, tp_ctx_t **ctx_p)
{
    struct fi_av_attr av_attr = {.type = FI_AV_TABLE};
    struct fi_cq_attr cq_attr = {.format = FI_CQ_FORMAT_MSG, .wait_obj = FI_WAIT_FD};
    pthread_mutexattr_t ma;
    tp_ofi_ctx_t *ctx;
    int ret, rc;

    int max = cfg->max_size > cfg->size ? cfg->max_size : cfg->size;

    if (cfg->rank < 0 || cfg->size < 1 || cfg->rank >= max)
        return core_err(PRAAS_ERR_INVALID, "ofi: rank %d is not in [0, %d)", cfg->rank, max);
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for a context");
    ctx->base.ops = &tp_ofi_ops;
    ctx->base.rank = cfg->rank;
    ctx->base.size = cfg->size;
    ctx->base.max_peers = max;
    ctx->wait_fd = -1;
    ctx->next_key = 1;
    tp_ofi_list_init(&ctx->live);
    tp_ofi_list_init(&ctx->emu);
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&ctx->lock, &ma);
    pthread_mutexattr_destroy(&ma);

    ret = tp_ofi_getinfo(cfg, 1, &ctx->info);
    if (ret == -FI_ENODATA)
        ret = tp_ofi_getinfo(cfg, 0, &ctx->info);
    if (ret) {
        rc = core_err(ret == -FI_ENODATA ? PRAAS_ERR_NOT_SUPPORTED : PRAAS_ERR_TRANSPORT,
                      "ofi: no provider offers RDM endpoints with RMA, messages and delivery "
                      "completion (FI_PROVIDER=%s): %s",
                      getenv("FI_PROVIDER") ? getenv("FI_PROVIDER") : "(unset)", fi_strerror(-ret));
        goto err_ctx;
    }
    snprintf(ctx->desc, sizeof(ctx->desc), "ofi (%s)", ctx->info->fabric_attr->prov_name);
    ctx->virt_addr = (ctx->info->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0;

    ret = fi_fabric(ctx->info->fabric_attr, &ctx->fabric, NULL);
    if (ret) {
        rc = tp_ofi_fail(ret, "fi_fabric");
        goto err_info;
    }
    ret = fi_domain(ctx->fabric, ctx->info, &ctx->domain, NULL);
    if (ret) {
        rc = tp_ofi_fail(ret, "fi_domain");
        goto err_fabric;
    }
    av_attr.count = (size_t)cfg->size;
    ret = fi_av_open(ctx->domain, &av_attr, &ctx->av, NULL);
    if (ret) {
        rc = tp_ofi_fail(ret, "fi_av_open");
        goto err_domain;
    }
    /* A wait fd lets an idle worker sleep; a provider without one is
     * polled instead. */
    ret = fi_cq_open(ctx->domain, &cq_attr, &ctx->cq, NULL);
    if (ret) {
        cq_attr.wait_obj = FI_WAIT_NONE;
        ret = fi_cq_open(ctx->domain, &cq_attr, &ctx->cq, NULL);
    }
    if (ret) {
        rc = tp_ofi_fail(ret, "fi_cq_open");
        goto err_av;
    }
    if (cq_attr.wait_obj == FI_WAIT_FD &&
        fi_control(&ctx->cq->fid, FI_GETWAIT, &ctx->wait_fd) != 0)
        ctx->wait_fd = -1;

    ret = fi_endpoint(ctx->domain, ctx->info, &ctx->ep, NULL);
    if (ret) {
        rc = tp_ofi_fail(ret, "fi_endpoint");
        goto err_cq;
    }
    ret = fi_ep_bind(ctx->ep, &ctx->av->fid, 0);
    if (!ret)
        ret = fi_ep_bind(ctx->ep, &ctx->cq->fid, FI_TRANSMIT | FI_RECV);
    if (!ret)
        ret = fi_enable(ctx->ep);
    if (ret) {
        rc = tp_ofi_fail(ret, "binding and enabling the endpoint");
        goto err_ep;
    }
    tp_ofi_amo_query(ctx);
    rc = tp_ofi_am_open(ctx);
    if (rc)
        goto err_ep;
    core_log(CORE_LOG_INFO, "ofi: rank %d opened %s (domain %s, %s addressing, wait fd %d)",
             cfg->rank, ctx->info->fabric_attr->prov_name, ctx->info->domain_attr->name,
             ctx->virt_addr ? "virtual" : "offset", ctx->wait_fd);
    *ctx_p = &ctx->base;
    return 0;

err_ep:
    fi_close(&ctx->ep->fid);
    tp_ofi_am_close(ctx);
err_cq:
    fi_close(&ctx->cq->fid);
err_av:
    fi_close(&ctx->av->fid);
err_domain:
    fi_close(&ctx->domain->fid);
err_fabric:
    fi_close(&ctx->fabric->fid);
err_info:
    fi_freeinfo(ctx->info);
err_ctx:
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
    return rc;
}

/* Contract: tp_close(). Cancels the receive ring, waits up to a second for
 * issued operations, then closes everything; operations still outstanding
 * complete their tp_comp with PRAAS_ERR_CANCELED. */
static void tp_ofi_close(tp_ctx_t *tctx)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    uint64_t deadline = core_deadline(1000);
    tp_ofi_op_t *op, *next;
    struct tp_mr *mr, *mnext;

    pthread_mutex_lock(&ctx->lock);
    for (;;) {
        int sends = 0;

        for (op = ctx->live.next; op != &ctx->live; op = op->next)
            sends += op->kind == TP_OFI_OP_SEND;
        if ((ctx->total_outstanding == 0 && sends == 0 && ctx->sq_count == 0) ||
            core_expired(deadline))
            break;
        if (tp_ofi_progress_locked(ctx) < 0)
            break;
    }
    /* Closing the endpoint drops whatever it still holds, so the ops can
     * be freed after it. */
    fi_close(&ctx->ep->fid);
    for (op = ctx->live.next; op != &ctx->live; op = next) {
        next = op->next;
        if (op->kind == TP_OFI_OP_SEND || op->kind == TP_OFI_OP_RECV)
            continue; /* tp_ofi_am_close() frees those and their buffers */
        tp_ofi_list_del(op);
        tp_ofi_rma_done(ctx, op, PRAAS_ERR_CANCELED);
        free(op);
    }
    for (op = ctx->emu.next; op != &ctx->emu; op = next) {
        next = op->next;
        tp_ofi_list_del(op);
        tp_ofi_rma_done(ctx, op, PRAAS_ERR_CANCELED);
        free(op);
    }
    tp_ofi_am_close(ctx);
    for (mr = ctx->mrs; mr; mr = mnext) {
        mnext = mr->next;
        fi_close(&mr->mr->fid);
        free(mr);
    }
    fi_close(&ctx->cq->fid);
    fi_close(&ctx->av->fid);
    fi_close(&ctx->domain->fid);
    fi_close(&ctx->fabric->fid);
    fi_freeinfo(ctx->info);
    free(ctx->addrs);
    free(ctx->outstanding);
    pthread_mutex_unlock(&ctx->lock);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

/* Contract: tp_describe(). "ofi (tcp;ofi_rxm)". */
static const char *tp_ofi_describe(tp_ctx_t *tctx)
{
    return tp_ofi_ctx(tctx)->desc;
}

/* Contract: tp_addr_get(). The blob is fi_getname()'s output. */
static int tp_ofi_addr_get(tp_ctx_t *tctx, void *buf, size_t *len_p)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    size_t len = *len_p;
    int ret;

    pthread_mutex_lock(&ctx->lock);
    ret = fi_getname(&ctx->ep->fid, buf, &len);
    pthread_mutex_unlock(&ctx->lock);
    if (ret == -FI_ETOOSMALL) {
        size_t have = *len_p;

        *len_p = len;
        return core_err(PRAAS_ERR_RANGE, "ofi: address needs %zu bytes, buffer has %zu", len, have);
    }
    if (ret)
        return tp_ofi_fail(ret, "fi_getname");
    *len_p = len;
    return 0;
}

/* Allocate the per-peer arrays for max_peers peers on the first connect,
 * with the lock held; they never move afterwards. addrs[p] is
 * FI_ADDR_NOTAVAIL until peer p is connected. */
static int tp_ofi_peers_alloc(tp_ofi_ctx_t *ctx)
{
    size_t n = (size_t)ctx->base.max_peers;
    fi_addr_t *addrs;
    int *outstanding;
    void *sq_head, *sq_tail, *rasm, *tx_seq;

    if (ctx->addrs)
        return 0;
    addrs = calloc(n, sizeof(*addrs));
    outstanding = calloc(n, sizeof(*outstanding));
    sq_head = calloc(n, sizeof(tp_ofi_op_t *));
    sq_tail = calloc(n, sizeof(tp_ofi_op_t *));
    rasm = calloc(n, sizeof(tp_ofi_rasm_t));
    tx_seq = calloc(n, sizeof(uint32_t));
    if (!addrs || !outstanding || !sq_head || !sq_tail || !rasm || !tx_seq) {
        free(tx_seq);
        free(rasm);
        free(sq_tail);
        free(sq_head);
        free(outstanding);
        free(addrs);
        return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for %zu peers", n);
    }
    for (size_t i = 0; i < n; i++)
        addrs[i] = FI_ADDR_NOTAVAIL;
    ctx->addrs = addrs;
    ctx->outstanding = outstanding;
    ctx->sq_head = sq_head;
    ctx->sq_tail = sq_tail;
    ctx->rasm = rasm;
    ctx->tx_seq = tx_seq;
    ctx->npeers = (int)n;
    return 0;
}

/* Insert peer's address into the AV, with the lock held and the arrays
 * allocated. */
static int tp_ofi_peer_insert(tp_ofi_ctx_t *ctx, int peer, const void *blob, size_t len)
{
    fi_addr_t a = FI_ADDR_NOTAVAIL;
    int ret;

    if (!blob || len == 0)
        return core_err(PRAAS_ERR_PROTOCOL, "ofi: peer %d has an empty address", peer);
    if (ctx->addrs[peer] != FI_ADDR_NOTAVAIL)
        return core_err(PRAAS_ERR_STATE, "ofi: peer %d is already connected", peer);
    ret = fi_av_insert(ctx->av, blob, 1, &a, 0, NULL);
    if (ret != 1)
        return core_err(ret < 0 ? PRAAS_ERR_TRANSPORT : PRAAS_ERR_PROTOCOL,
                        "ofi: fi_av_insert of peer %d's address (%zu bytes): %s", peer, len,
                        ret < 0 ? fi_strerror(-ret) : "not a valid address");
    ctx->addrs[peer] = a;
    return 0;
}

/* Contract: tp_connect(). Inserts every peer's address into the AV; the
 * AV index of rank r is addrs[r]. */
static int tp_ofi_connect(tp_ctx_t *tctx, int npeers, const void *const *blobs,
                          const size_t *lens)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    int i, rc;

    if (npeers <= ctx->base.rank || npeers > ctx->base.max_peers)
        return core_err(PRAAS_ERR_INVALID, "ofi: %d peers do not include our rank %d", npeers,
                        ctx->base.rank);
    for (i = 0; i < npeers; i++)
        if (!blobs[i] || lens[i] == 0)
            return core_err(PRAAS_ERR_PROTOCOL, "ofi: peer %d has an empty address", i);
    pthread_mutex_lock(&ctx->lock);
    if (ctx->connected) {
        pthread_mutex_unlock(&ctx->lock);
        return core_err(PRAAS_ERR_STATE, "ofi: tp_connect() was already called");
    }
    rc = tp_ofi_peers_alloc(ctx);
    for (i = 0; i < npeers && !rc; i++)
        rc = tp_ofi_peer_insert(ctx, i, blobs[i], lens[i]);
    if (rc) {
        /* Addresses already inserted stay in the AV, closed with the
         * context; the peers are not usable. */
        for (i = 0; i < npeers; i++)
            ctx->addrs[i] = FI_ADDR_NOTAVAIL;
    } else {
        ctx->connected = 1;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Contract: tp_connect_peer(). Everything per peer is under the lock and
 * sized for max_peers, so the insert is all there is to it. */
static int tp_ofi_connect_peer(tp_ctx_t *tctx, int peer, const void *blob, size_t len)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    int rc;

    if (peer < 0 || peer >= ctx->base.max_peers)
        return core_err(PRAAS_ERR_INVALID, "ofi: connecting peer %d, but peers are 0..%d", peer,
                        ctx->base.max_peers - 1);
    pthread_mutex_lock(&ctx->lock);
    rc = tp_ofi_peers_alloc(ctx);
    if (!rc)
        rc = tp_ofi_peer_insert(ctx, peer, blob, len);
    if (!rc)
        ctx->connected = 1;
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Handle one completion. */
static void tp_ofi_complete(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, int status, size_t len)
{
    switch (op->kind) {
    case TP_OFI_OP_WRITE:
    case TP_OFI_OP_READ:
    case TP_OFI_OP_FETCH:
    case TP_OFI_OP_CSWAP:
        tp_ofi_list_del(op);
        tp_ofi_rma_done(ctx, op, status);
        free(op);
        break;
    case TP_OFI_OP_SEND:
        tp_ofi_list_del(op);
        tp_ofi_am_sent(ctx, op, status);
        break;
    case TP_OFI_OP_RECV:
        if (status == 0)
            tp_ofi_am_recv(ctx, op, len);
        else if (status != PRAAS_ERR_CANCELED) {
            op->qnext = ctx->repost;
            ctx->repost = op;
        }
        break;
    case TP_OFI_OP_EMU:
        break;
    }
}

int tp_ofi_progress_locked(tp_ofi_ctx_t *ctx)
{
    struct fi_cq_msg_entry ev[16];
    int total = 0, round, i;
    ssize_t n;

    for (round = 0; round < 4; round++) {
        n = fi_cq_read(ctx->cq, ev, PRAAS_ARRAY_SIZE(ev));
        if (n == -FI_EAGAIN)
            break;
        if (n == -FI_EAVAIL) {
            struct fi_cq_err_entry err = {0};
            int code;

            if (fi_cq_readerr(ctx->cq, &err, 0) != 1 || !err.op_context)
                continue;
            code = err.err == FI_ECANCELED ? PRAAS_ERR_CANCELED : PRAAS_ERR_TRANSPORT;
            if (code != PRAAS_ERR_CANCELED)
                core_err(code, "ofi: operation to peer %d failed: %s (%s)",
                         ((tp_ofi_op_t *)err.op_context)->peer, fi_strerror(err.err),
                         fi_cq_strerror(ctx->cq, err.prov_errno, err.err_data, NULL, 0));
            tp_ofi_complete(ctx, err.op_context, code, 0);
            total++;
            continue;
        }
        if (n < 0)
            return core_err(PRAAS_ERR_TRANSPORT, "ofi: fi_cq_read: %s", fi_strerror((int)-n));
        for (i = 0; i < n; i++) {
            /* Target-side events (FI_REMOTE_*) carry no context of ours. */
            if (!ev[i].op_context || (ev[i].flags & (FI_REMOTE_READ | FI_REMOTE_WRITE)))
                continue;
            tp_ofi_complete(ctx, ev[i].op_context, 0, ev[i].len);
        }
        total += (int)n;
        if (n < (ssize_t)PRAAS_ARRAY_SIZE(ev))
            break;
    }
    tp_ofi_am_drain(ctx);
    return total;
}

/* Contract: tp_progress(). Data progress is manual on tcp;ofi_rxm: this
 * is what moves bytes. */
static int tp_ofi_progress(tp_ctx_t *tctx)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    int rc;

    pthread_mutex_lock(&ctx->lock);
    rc = tp_ofi_progress_locked(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Contract: tp_wait_fd(). The CQ's fd from fi_control(FI_GETWAIT). */
static int tp_ofi_wait_fd(tp_ctx_t *tctx, int *fd_p)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);

    if (ctx->wait_fd < 0)
        return tp_not_supported_wait_fd(tctx, fd_p);
    *fd_p = ctx->wait_fd;
    return 0;
}

/* Contract: tp_wait_arm(). fi_trywait(), and no queued work of our own. */
static int tp_ofi_wait_arm(tp_ctx_t *tctx)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    struct fid *fids[1];
    int ret;

    if (ctx->wait_fd < 0)
        return tp_not_supported_wait_arm(tctx);
    pthread_mutex_lock(&ctx->lock);
    if (ctx->sq_count || ctx->repost) {
        pthread_mutex_unlock(&ctx->lock);
        return PRAAS_ERR_AGAIN;
    }
    fids[0] = &ctx->cq->fid;
    ret = fi_trywait(ctx->fabric, fids, 1);
    pthread_mutex_unlock(&ctx->lock);
    if (ret == -FI_EAGAIN)
        return PRAAS_ERR_AGAIN;
    if (ret)
        return tp_ofi_fail(ret, "fi_trywait");
    return 0;
}

const tp_ops_t tp_ofi_ops = {
    .name = "ofi",
    .open = tp_ofi_open,
    .close = tp_ofi_close,
    .describe = tp_ofi_describe,
    .addr_get = tp_ofi_addr_get,
    .connect = tp_ofi_connect,
    .connect_peer = tp_ofi_connect_peer,
    .mr_reg = tp_ofi_mr_reg,
    .mr_pack = tp_ofi_mr_pack,
    .mr_dereg = tp_ofi_mr_dereg,
    .rkey_unpack = tp_ofi_rkey_unpack,
    .rkey_release = tp_ofi_rkey_release,
    .put = tp_ofi_put,
    .get = tp_ofi_get,
    .atomic = tp_ofi_atomic,
    .am_register = tp_ofi_am_register,
    .am_send = tp_ofi_am_send,
    .flush = tp_ofi_flush,
    .progress = tp_ofi_progress,
    .wait_fd = tp_ofi_wait_fd,
    .wait_arm = tp_ofi_wait_arm,
};
