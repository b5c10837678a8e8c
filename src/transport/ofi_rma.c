/*
 * The libfabric backend's data path: memory registration and packed keys,
 * put and get, native atomics, and flush (set-up and progress are in
 * ofi.c, active messages and emulated atomics in ofi_am.c).
 *
 * Remote completion (tp_flush). libfabric 1.17 has no per-peer flush. Every
 * put is posted with FI_DELIVERY_COMPLETE, so its completion means the data
 * is visible in the target's memory; gets and atomics complete only when
 * their data comes back, which is after the target applied them. Flush
 * therefore counts the operations outstanding per peer and waits until the
 * count for that peer (or all) drops to zero. The alternative, a small read
 * behind the writes, relies on RAW ordering that shm does not advertise and
 * needs a registered region at every peer; delivery-complete writes cost one
 * acknowledgement each but are correct on any provider that offers them,
 * and fi_getinfo() only returns providers that do. Waiting for the count
 * to reach zero also waits for operations other threads issue meanwhile:
 * stronger than the contract, never weaker.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ofi.h"

/* The packed remote key: our own small header, so a peer can check that a
 * blob is one before trusting what it says. */
enum {
    TP_OFI_RKEY_MAGIC = 0x4f464952, /* "OFIR" */
    TP_OFI_RKEY_VERSION = 1,
    TP_OFI_RKEY_VIRT = 1, /* flags: the provider addresses by virtual address */
};

typedef struct tp_ofi_rkey_blob {
    uint32_t magic;
    uint16_t version;
    uint16_t flags;
    uint64_t base;
    uint64_t len;
    uint64_t key;
} tp_ofi_rkey_blob_t;

static const enum fi_op tp_ofi_fiop[TP_AOP_COUNT_] = {
    [TP_AOP_ADD] = FI_SUM,          [TP_AOP_AND] = FI_BAND,
    [TP_AOP_OR] = FI_BOR,           [TP_AOP_XOR] = FI_BXOR,
    [TP_AOP_SWAP] = FI_ATOMIC_WRITE, [TP_AOP_CSWAP] = FI_CSWAP,
};

/* Decide per width whether the provider runs all our atomics. */
void tp_ofi_amo_query(tp_ofi_ctx_t *ctx)
{
    static const enum fi_datatype dts[2] = {FI_UINT32, FI_UINT64};
    struct fi_atomic_attr attr;
    size_t count;
    int w, a;

    for (w = 0; w < 2; w++) {
        int ok = (ctx->info->caps & FI_ATOMIC) != 0;

        for (a = 0; ok && a < TP_AOP_COUNT_; a++) {
            uint64_t flag = a == TP_AOP_CSWAP ? FI_COMPARE_ATOMIC : FI_FETCH_ATOMIC;

            if (fi_query_atomic(ctx->domain, dts[w], tp_ofi_fiop[a], &attr, flag) != 0 ||
                attr.size != (w ? 8u : 4u))
                ok = 0;
            else if (a == TP_AOP_CSWAP)
                ok = fi_compare_atomicvalid(ctx->ep, dts[w], tp_ofi_fiop[a], &count) == 0 &&
                     count >= 1;
            else
                ok = fi_fetch_atomicvalid(ctx->ep, dts[w], tp_ofi_fiop[a], &count) == 0 &&
                     count >= 1;
        }
#ifdef TP_OFI_FORCE_EMULATED_ATOMICS
        /* Test builds only: exercise the emulation on providers that
         * would not need it. Not a tunable. */
        ok = 0;
#endif
        ctx->amo_native[w] = ok;
        core_log(CORE_LOG_INFO, "ofi: %d-bit atomics on %s are %s", w ? 64 : 32,
                 ctx->info->fabric_attr->prov_name, ok ? "native" : "emulated");
    }
}

/* Contract: tp_mr_reg(). Keys come from a per-context counter, which makes
 * them unique in the domain as the providers require. */
int tp_ofi_mr_reg(tp_ctx_t *tctx, void *addr, size_t len, tp_mr_t **mr_p)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    struct tp_mr *mr;
    int ret;

    mr = calloc(1, sizeof(*mr));
    if (!mr)
        return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for a registration");
    mr->addr = addr;
    mr->len = len;
    pthread_mutex_lock(&ctx->lock);
    mr->key = ctx->next_key++;
    ret = fi_mr_reg(ctx->domain, addr, len, FI_REMOTE_READ | FI_REMOTE_WRITE, 0, mr->key, 0,
                    &mr->mr, NULL);
    if (ret) {
        pthread_mutex_unlock(&ctx->lock);
        free(mr);
        return core_err(PRAAS_ERR_TRANSPORT, "ofi: fi_mr_reg of %zu bytes at %p: %s", len, addr,
                        fi_strerror(-ret));
    }
    mr->next = ctx->mrs;
    ctx->mrs = mr;
    pthread_mutex_unlock(&ctx->lock);
    *mr_p = mr;
    return 0;
}

/* Contract: tp_mr_pack(). */
int tp_ofi_mr_pack(tp_ctx_t *tctx, tp_mr_t *mr, void *buf, size_t *len_p)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    tp_ofi_rkey_blob_t blob = {
        .magic = TP_OFI_RKEY_MAGIC,
        .version = TP_OFI_RKEY_VERSION,
        .flags = ctx->virt_addr ? TP_OFI_RKEY_VIRT : 0,
        .base = (uint64_t)(uintptr_t)mr->addr,
        .len = mr->len,
        .key = mr->key,
    };
    size_t have = *len_p;

    *len_p = sizeof(blob);
    if (have < sizeof(blob))
        return core_err(PRAAS_ERR_RANGE, "ofi: packed key needs %zu bytes, buffer has %zu",
                        sizeof(blob), have);
    memcpy(buf, &blob, sizeof(blob));
    return 0;
}

/* Contract: tp_mr_dereg(). Emulated atomics stop finding the region at
 * once; the provider stops accepting its key. */
void tp_ofi_mr_dereg(tp_ctx_t *tctx, tp_mr_t *mr)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    struct tp_mr **pp;

    pthread_mutex_lock(&ctx->lock);
    for (pp = &ctx->mrs; *pp; pp = &(*pp)->next) {
        if (*pp == mr) {
            *pp = mr->next;
            break;
        }
    }
    fi_close(&mr->mr->fid);
    pthread_mutex_unlock(&ctx->lock);
    free(mr);
}

/* Contract: tp_rkey_unpack(). Validates magic, version, length and that the
 * peer's provider addresses memory the way ours does. */
int tp_ofi_rkey_unpack(tp_ctx_t *tctx, int peer, const void *blob, size_t len,
                       tp_rkey_t **rkey_p)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    tp_ofi_rkey_blob_t b;
    struct tp_rkey *rkey;

    if (!blob || len != sizeof(b))
        return core_err(PRAAS_ERR_PROTOCOL, "ofi: a packed key from peer %d is %zu bytes, not %zu",
                        peer, len, sizeof(b));
    memcpy(&b, blob, sizeof(b));
    if (b.magic != TP_OFI_RKEY_MAGIC || b.version != TP_OFI_RKEY_VERSION ||
        (b.flags & ~TP_OFI_RKEY_VIRT))
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ofi: blob from peer %d is not an ofi key (magic %#x, version %u)", peer,
                        b.magic, b.version);
    if (!!(b.flags & TP_OFI_RKEY_VIRT) != ctx->virt_addr)
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ofi: key from peer %d addresses by %s, our provider %s by %s", peer,
                        (b.flags & TP_OFI_RKEY_VIRT) ? "virtual address" : "offset",
                        ctx->info->fabric_attr->prov_name,
                        ctx->virt_addr ? "virtual address" : "offset");
    if (b.base + b.len < b.base)
        return core_err(PRAAS_ERR_PROTOCOL, "ofi: key from peer %d wraps the address space", peer);
    rkey = calloc(1, sizeof(*rkey));
    if (!rkey)
        return core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for a remote key");
    rkey->base = b.base;
    rkey->len = b.len;
    rkey->key = b.key;
    rkey->virt_addr = ctx->virt_addr;
    rkey->peer = peer;
    *rkey_p = rkey;
    return 0;
}

void tp_ofi_rkey_release(tp_ctx_t *tctx, tp_rkey_t *rkey)
{
    free(rkey);
}

/* Check that [offset, offset + len) lies in the peer's region. */
static int tp_ofi_check_range(const tp_rkey_t *rkey, int peer, uint64_t offset, size_t len,
                              const char *what)
{
    if (!rkey)
        return core_err(PRAAS_ERR_INVALID, "ofi: %s to peer %d without a remote key", what, peer);
    if (offset > rkey->len || len > rkey->len - offset)
        return core_err(PRAAS_ERR_RANGE,
                        "ofi: %s of %zu bytes at offset %llu is past the end of peer %d's "
                        "region (%llu bytes)",
                        what, len, (unsigned long long)offset, peer,
                        (unsigned long long)rkey->len);
    return 0;
}

static uint64_t tp_ofi_raddr(const tp_rkey_t *rkey, uint64_t offset)
{
    return rkey->virt_addr ? rkey->base + offset : offset;
}

int tp_ofi_post(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op)
{
    fi_addr_t dest = op->peer >= 0 ? ctx->addrs[op->peer] : FI_ADDR_UNSPEC;

    switch (op->kind) {
    case TP_OFI_OP_WRITE: {
        struct iovec iov = {.iov_base = op->buf, .iov_len = op->len};
        struct fi_rma_iov riov = {.addr = op->raddr, .len = op->len, .key = op->key};
        struct fi_msg_rma msg = {
            .msg_iov = &iov, .iov_count = 1, .addr = dest,
            .rma_iov = &riov, .rma_iov_count = 1, .context = op,
        };
        return (int)fi_writemsg(ctx->ep, &msg, FI_COMPLETION | FI_DELIVERY_COMPLETE);
    }
    case TP_OFI_OP_READ:
        return (int)fi_read(ctx->ep, op->buf, op->len, NULL, dest, op->raddr, op->key, op);
    case TP_OFI_OP_FETCH:
        return (int)fi_fetch_atomic(ctx->ep, &op->operand, 1, NULL, op->result, NULL, dest,
                                    op->raddr, op->key, op->fidt, op->fiop, op);
    case TP_OFI_OP_CSWAP:
        return (int)fi_compare_atomic(ctx->ep, &op->operand, 1, NULL, &op->compare, NULL,
                                      op->result, NULL, dest, op->raddr, op->key, op->fidt,
                                      FI_CSWAP, op);
    case TP_OFI_OP_SEND:
        return (int)fi_send(ctx->ep, op->buf, op->len, NULL, dest, op);
    case TP_OFI_OP_RECV:
        return (int)fi_recv(ctx->ep, op->buf, TP_OFI_AM_BUF, NULL, FI_ADDR_UNSPEC, op);
    case TP_OFI_OP_EMU:
        break;
    }
    return -FI_EINVAL;
}

/* Post op, retrying while the provider says -FI_EAGAIN (queue full, or a
 * connection that needs the peer's progress): poll our CQ, let other
 * threads in, try again, for at most TP_OFI_EAGAIN_MS. Lock held. */
static int tp_ofi_submit(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op)
{
    uint64_t deadline = 0;
    int ret;

    for (;;) {
        ret = tp_ofi_post(ctx, op);
        if (ret != -FI_EAGAIN)
            return ret;
        if (!deadline)
            deadline = core_deadline(TP_OFI_EAGAIN_MS);
        else if (core_expired(deadline))
            return ret;
        (void)tp_ofi_progress_locked(ctx);
        pthread_mutex_unlock(&ctx->lock);
        sched_yield();
        pthread_mutex_lock(&ctx->lock);
    }
}

void tp_ofi_rma_done(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, int status)
{
    ctx->outstanding[op->peer]--;
    ctx->total_outstanding--;
    if (status && !op->comp && !ctx->deferred_err)
        ctx->deferred_err = status;
    tp_comp_done(op->comp, status);
}

/* Issue op (filled by the caller) and account it; lock held. Frees op and
 * returns an error if it could not be posted. */
static int tp_ofi_issue(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, const char *what)
{
    int ret = tp_ofi_submit(ctx, op);

    if (ret) {
        free(op);
        return tp_ofi_fail(ret, what);
    }
    /* Accounted only once posted, still under the lock: the completion
     * is read by a progress call that needs the lock too. */
    tp_ofi_list_add(&ctx->live, op);
    ctx->outstanding[op->peer]++;
    ctx->total_outstanding++;
    tp_comp_add(op->comp);
    return 0;
}

/* put and get: one op per max_msg_size chunk. */
static int tp_ofi_rma(tp_ofi_ctx_t *ctx, tp_ofi_kind_t kind, int peer, void *buf, size_t len,
                      tp_rkey_t *rkey, uint64_t offset, tp_comp_t *comp)
{
    const char *what = kind == TP_OFI_OP_WRITE ? "put" : "get";
    size_t max = ctx->info->ep_attr->max_msg_size, done = 0;
    int rc;

    rc = tp_ofi_check_range(rkey, peer, offset, len, what);
    if (rc)
        return rc;
    pthread_mutex_lock(&ctx->lock);
    rc = tp_ofi_check_peer(ctx, peer);
    while (!rc && done < len) {
        size_t n = PRAAS_MIN(max, len - done);
        tp_ofi_op_t *op = tp_ofi_op_new(kind, peer);

        if (!op) {
            rc = core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for a %s", what);
            break;
        }
        op->buf = (char *)buf + done;
        op->len = n;
        op->raddr = tp_ofi_raddr(rkey, offset + done);
        op->key = rkey->key;
        op->comp = comp;
        rc = tp_ofi_issue(ctx, op, kind == TP_OFI_OP_WRITE ? "fi_writemsg" : "fi_read");
        /* The buffer is the caller's, not ours to free at close. */
        done += n;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Contract: tp_put(). Completion means delivered (FI_DELIVERY_COMPLETE). */
int tp_ofi_put(tp_ctx_t *tctx, int peer, const void *src, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp)
{
    return tp_ofi_rma(tp_ofi_ctx(tctx), TP_OFI_OP_WRITE, peer, (void *)src, len, rkey, offset,
                      comp);
}

/* Contract: tp_get(). */
int tp_ofi_get(tp_ctx_t *tctx, int peer, void *dst, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp)
{
    return tp_ofi_rma(tp_ofi_ctx(tctx), TP_OFI_OP_READ, peer, dst, len, rkey, offset, comp);
}

/* Contract: tp_atomic(). Native when the provider runs every op of this
 * width, else emulated at the target (ofi_am.c). Native ops always fetch,
 * into a scratch word when the caller wants no result, so that one query
 * per op (fetch or compare) decides support. */
int tp_ofi_atomic(tp_ctx_t *tctx, int peer, tp_aop_t aop, size_t width, uint64_t operand,
                  uint64_t compare, void *result, tp_rkey_t *rkey, uint64_t offset,
                  tp_comp_t *comp)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    tp_ofi_op_t *op;
    int rc;

    if ((unsigned)aop >= TP_AOP_COUNT_)
        return core_err(PRAAS_ERR_INVALID, "ofi: unknown atomic op %d", (int)aop);
    if (width != 4 && width != 8)
        return core_err(PRAAS_ERR_INVALID, "ofi: atomics are 4 or 8 bytes wide, not %zu", width);
    rc = tp_ofi_check_range(rkey, peer, offset, width, "atomic");
    if (rc)
        return rc;
    if ((rkey->base + offset) % width)
        return core_err(PRAAS_ERR_INVALID,
                        "ofi: atomic at offset %llu of peer %d's region is not %zu-byte aligned",
                        (unsigned long long)offset, peer, width);
    pthread_mutex_lock(&ctx->lock);
    rc = tp_ofi_check_peer(ctx, peer);
    if (rc)
        goto out;
    if (!ctx->amo_native[width == 8]) {
        rc = tp_ofi_amo_emulated(ctx, peer, aop, width, operand, compare, result, rkey, offset,
                                 comp);
        goto out;
    }
    op = tp_ofi_op_new(aop == TP_AOP_CSWAP ? TP_OFI_OP_CSWAP : TP_OFI_OP_FETCH, peer);
    if (!op) {
        rc = core_err(PRAAS_ERR_NOMEM, "ofi: out of memory for an atomic");
        goto out;
    }
    /* The low width bytes of the 64-bit words hold the operands, which is
     * where memcpy of a uint32_t puts them on any byte order. */
    if (width == 4) {
        uint32_t o = (uint32_t)operand, c = (uint32_t)compare;

        memcpy(&op->operand, &o, 4);
        memcpy(&op->compare, &c, 4);
        op->fidt = FI_UINT32;
    } else {
        op->operand = operand;
        op->compare = compare;
        op->fidt = FI_UINT64;
    }
    op->fiop = tp_ofi_fiop[aop];
    op->width = (unsigned)width;
    op->result = result ? result : &op->scratch;
    op->raddr = tp_ofi_raddr(rkey, offset);
    op->key = rkey->key;
    op->comp = comp;
    rc = tp_ofi_issue(ctx, op, aop == TP_AOP_CSWAP ? "fi_compare_atomic" : "fi_fetch_atomic");
out:
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Contract: tp_flush(). See the top of this file for why waiting for the
 * outstanding count is remote completion. Also returns the first failure
 * of an operation issued without a tp_comp since the last flush. */
int tp_ofi_flush(tp_ctx_t *tctx, int peer, int timeout_ms)
{
    tp_ofi_ctx_t *ctx = tp_ofi_ctx(tctx);
    uint64_t deadline = core_deadline(timeout_ms);
    unsigned spins;
    long pending;
    int rc;

    for (spins = 0;; spins++) {
        pthread_mutex_lock(&ctx->lock);
        if (peer >= 0 && (rc = tp_ofi_check_peer(ctx, peer)) != 0) {
            pthread_mutex_unlock(&ctx->lock);
            return rc;
        }
        /* Nothing outstanding (the usual case after tp_comp_wait() on the
         * puts: delivery-complete puts are remotely complete when they
         * complete locally): return without a progress call, which on tcp
         * polls the sockets (about 2 us of an 11-us 8-byte put and flush on
         * loopback). Completions counted down have been read, so their
         * errors are recorded already. */
        rc = spins ? tp_ofi_progress_locked(ctx) : 0;
        pending = !ctx->addrs ? 0 : peer < 0 ? ctx->total_outstanding : ctx->outstanding[peer];
        if (rc >= 0 && pending == 0) {
            rc = ctx->deferred_err;
            ctx->deferred_err = 0;
        }
        pthread_mutex_unlock(&ctx->lock);
        if (rc < 0 || pending == 0)
            return rc < 0 ? rc : 0;
        if (((spins + 1) & 0xff) == 0) {
            if (core_expired(deadline))
                return core_err(PRAAS_ERR_TIMEOUT,
                                "ofi: flush: %ld operation(s) to peer %d not complete after %d ms",
                                pending, peer, timeout_ms);
            sched_yield();
        }
    }
}
