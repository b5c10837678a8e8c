/*
 * The UCX backend's memory: registration (ucp_mem_map of user memory),
 * packed and unpacked remote keys, and the one-sided operations on them:
 * put, get and atomics. Everything here is thread-safe: UCX's worker lock
 * covers the calls into UCX and ctx->lock the lists of live objects.
 *
 * Offsets are from the start of the registered region; every operation is
 * checked against the region's length before anything is sent.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ucx.h"

/* The packed remote key: our header, then ucp_rkey_pack's bytes. */
#define TP_UCX_RKEY_MAGIC 0x58555250u /* "PRUX" in memory on little-endian */
#define TP_UCX_RKEY_VERSION 1

typedef struct tp_ucx_rkey_hdr {
    uint32_t magic;
    uint16_t version;
    uint16_t hdr_len;  /* sizeof(tp_ucx_rkey_hdr_t), for later versions */
    uint64_t base;     /* virtual address of the region at the owner */
    uint64_t len;      /* length of the region */
    uint64_t rkey_len; /* bytes of ucp_rkey_pack output that follow */
} tp_ucx_rkey_hdr_t;

struct tp_mr {
    struct tp_mr *next, *prev;
    ucp_mem_h memh;
    void *addr;
    size_t len;
    void *packed; /* header + ucp rkey, built once at registration */
    size_t packed_len;
};

struct tp_rkey {
    struct tp_rkey *next, *prev;
    ucp_rkey_h rkey;
    uint64_t base;
    uint64_t len;
    int peer; /* a UCP rkey belongs to the endpoint it was unpacked on */
};

/* A fetching or posted atomic: the operand and reply must stay valid until
 * UCX completes the operation, which is after tp_atomic() returns. */
typedef union tp_ucx_word {
    uint32_t u32;
    uint64_t u64;
} tp_ucx_word_t;

typedef struct tp_ucx_amo {
    tp_comp_t *comp;
    void *result;
    size_t width;
    tp_ucx_word_t operand;
    tp_ucx_word_t reply;
} tp_ucx_amo_t;

/* Map user memory with ucp_mem_map and pack its remote key once. */
int tp_ucx_mr_reg(tp_ctx_t *tctx, void *addr, size_t len, tp_mr_t **mr_p)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    ucp_mem_map_params_t mp = {0};
    tp_ucx_rkey_hdr_t hdr;
    void *rkey_buf;
    size_t rkey_len;
    struct tp_mr *mr;
    ucs_status_t st;
    int rc;

    if (!addr || len == 0)
        return core_err(PRAAS_ERR_INVALID, "ucx: cannot register %zu bytes at %p", len, addr);
    mr = calloc(1, sizeof(*mr));
    if (!mr)
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory for a registration");
    mp.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH;
    mp.address = addr;
    mp.length = len;
    st = ucp_mem_map(ctx->context, &mp, &mr->memh);
    if (st != UCS_OK) {
        rc = core_err(tp_ucx_status_err(st), "ucx: registering %zu bytes at %p: %s", len, addr,
                      ucs_status_string(st));
        goto err_free;
    }
    st = ucp_rkey_pack(ctx->context, mr->memh, &rkey_buf, &rkey_len);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "ucp_rkey_pack");
        goto err_unmap;
    }
    mr->packed_len = sizeof(hdr) + rkey_len;
    mr->packed = malloc(mr->packed_len);
    if (!mr->packed) {
        rc = core_err(PRAAS_ERR_NOMEM, "ucx: no memory for a packed key");
        goto err_rkey_buf;
    }
    hdr = (tp_ucx_rkey_hdr_t){
        .magic = TP_UCX_RKEY_MAGIC,
        .version = TP_UCX_RKEY_VERSION,
        .hdr_len = sizeof(hdr),
        .base = (uint64_t)(uintptr_t)addr,
        .len = len,
        .rkey_len = rkey_len,
    };
    memcpy(mr->packed, &hdr, sizeof(hdr));
    memcpy((char *)mr->packed + sizeof(hdr), rkey_buf, rkey_len);
    ucp_rkey_buffer_release(rkey_buf);
    mr->addr = addr;
    mr->len = len;

    pthread_mutex_lock(&ctx->lock);
    mr->next = ctx->mrs;
    if (ctx->mrs)
        ctx->mrs->prev = mr;
    ctx->mrs = mr;
    pthread_mutex_unlock(&ctx->lock);
    *mr_p = mr;
    return 0;

err_rkey_buf:
    ucp_rkey_buffer_release(rkey_buf);
err_unmap:
    ucp_mem_unmap(ctx->context, mr->memh);
err_free:
    free(mr);
    return rc;
}

int tp_ucx_mr_pack(tp_ctx_t *tctx, tp_mr_t *mr, void *buf, size_t *len_p)
{
    if (*len_p < mr->packed_len) {
        size_t have = *len_p;
        *len_p = mr->packed_len;
        return core_err(PRAAS_ERR_RANGE, "ucx: remote key needs %zu bytes, buffer has %zu",
                        mr->packed_len, have);
    }
    memcpy(buf, mr->packed, mr->packed_len);
    *len_p = mr->packed_len;
    return 0;
}

void tp_ucx_mr_dereg(tp_ctx_t *tctx, tp_mr_t *mr)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);

    if (!mr)
        return;
    pthread_mutex_lock(&ctx->lock);
    if (mr->prev)
        mr->prev->next = mr->next;
    else
        ctx->mrs = mr->next;
    if (mr->next)
        mr->next->prev = mr->prev;
    pthread_mutex_unlock(&ctx->lock);
    ucp_mem_unmap(ctx->context, mr->memh);
    free(mr->packed);
    free(mr);
}

/* Check our header before UCX sees the rest: a blob that is not ours (a
 * libfabric key, a truncated copy) must fail cleanly, not inside UCX. */
int tp_ucx_rkey_unpack(tp_ctx_t *tctx, int peer, const void *blob, size_t len,
                              tp_rkey_t **rkey_p)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    tp_ucx_rkey_hdr_t hdr;
    struct tp_rkey *rk;
    ucs_status_t st;
    int rc;

    rc = tp_ucx_check_peer(ctx, peer, "unpacking a remote key");
    if (rc)
        return rc;
    if (!blob || len < sizeof(hdr))
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ucx: remote key of %zu bytes from peer %d is shorter than its %zu-byte "
                        "header",
                        len, peer, sizeof(hdr));
    memcpy(&hdr, blob, sizeof(hdr));
    if (hdr.magic != TP_UCX_RKEY_MAGIC)
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ucx: remote key from peer %d has magic 0x%08" PRIx32
                        ", not 0x%08x (not a UCX key of praas)",
                        peer, hdr.magic, TP_UCX_RKEY_MAGIC);
    if (hdr.version != TP_UCX_RKEY_VERSION || hdr.hdr_len != sizeof(hdr))
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ucx: remote key from peer %d has version %u (header %u bytes); this "
                        "build reads version %d",
                        peer, hdr.version, hdr.hdr_len, TP_UCX_RKEY_VERSION);
    if (hdr.rkey_len != len - sizeof(hdr) || hdr.rkey_len == 0)
        return core_err(PRAAS_ERR_PROTOCOL,
                        "ucx: remote key from peer %d is %zu bytes, its header says %zu",
                        peer, len, sizeof(hdr) + (size_t)hdr.rkey_len);
    rk = calloc(1, sizeof(*rk));
    if (!rk)
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory for a remote key");
    st = ucp_ep_rkey_unpack(ctx->eps[peer], (const char *)blob + sizeof(hdr), &rk->rkey);
    if (st != UCS_OK) {
        free(rk);
        return core_err(st == UCS_ERR_INVALID_PARAM ? PRAAS_ERR_PROTOCOL
                                                    : tp_ucx_status_err(st),
                        "ucx: unpacking the remote key of peer %d: %s", peer,
                        ucs_status_string(st));
    }
    rk->base = hdr.base;
    rk->len = hdr.len;
    rk->peer = peer;
    pthread_mutex_lock(&ctx->lock);
    rk->next = ctx->rkeys;
    if (ctx->rkeys)
        ctx->rkeys->prev = rk;
    ctx->rkeys = rk;
    pthread_mutex_unlock(&ctx->lock);
    *rkey_p = rk;
    return 0;
}

void tp_ucx_rkey_release(tp_ctx_t *tctx, tp_rkey_t *rk)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);

    if (!rk)
        return;
    pthread_mutex_lock(&ctx->lock);
    if (rk->prev)
        rk->prev->next = rk->next;
    else
        ctx->rkeys = rk->next;
    if (rk->next)
        rk->next->prev = rk->prev;
    pthread_mutex_unlock(&ctx->lock);
    ucp_rkey_destroy(rk->rkey);
    free(rk);
}

/* The checks every one-sided operation makes before anything is sent. */
static inline int tp_ucx_check_rma(tp_ucx_ctx_t *ctx, int peer, tp_rkey_t *rk,
                                   uint64_t offset, size_t len, const char *what)
{
    int rc = tp_ucx_check_peer(ctx, peer, what);

    if (PRAAS_UNLIKELY(rc))
        return rc;
    if (PRAAS_UNLIKELY(!rk || rk->peer != peer))
        return core_err(PRAAS_ERR_INVALID, "ucx: %s to peer %d with a remote key of peer %d",
                        what, peer, rk ? rk->peer : -1);
    if (PRAAS_UNLIKELY(offset > rk->len || len > rk->len - offset))
        return core_err(PRAAS_ERR_RANGE,
                        "ucx: %s of %zu bytes at offset %" PRIu64
                        " is past the end of the %" PRIu64 "-byte region at peer %d",
                        what, len, offset, rk->len, peer);
    return 0;
}

/* Completion of a put or get: user_data is the caller's tp_comp (or NULL). */
static void tp_ucx_rma_cb(void *request, ucs_status_t st, void *user_data)
{
    if (st != UCS_OK)
        core_log(CORE_LOG_DEBUG, "ucx: put/get failed: %s", ucs_status_string(st));
    tp_comp_done(user_data, tp_ucx_status_err(st));
    ucp_request_free(request);
}

/* Account for what a non-blocking UCX call returned: done at once, failed
 * at once (the operation was never issued, so it is taken back out of
 * comp), or in progress with a callback to come. */
static inline int tp_ucx_posted(ucs_status_ptr_t sp, tp_comp_t *comp, const char *what,
                                int peer, size_t len)
{
    if (PRAAS_LIKELY(sp == NULL)) {
        tp_comp_done(comp, 0);
        return 0;
    }
    if (PRAAS_UNLIKELY(UCS_PTR_IS_ERR(sp))) {
        ucs_status_t st = UCS_PTR_STATUS(sp);
        if (comp)
            atomic_fetch_sub_explicit(&comp->pending, 1, memory_order_relaxed);
        return core_err(tp_ucx_status_err(st), "ucx: %s of %zu bytes to peer %d: %s", what,
                        len, peer, ucs_status_string(st));
    }
    return 0;
}

int tp_ucx_put(tp_ctx_t *tctx, int peer, const void *src, size_t len, tp_rkey_t *rk,
                      uint64_t offset, tp_comp_t *comp)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    ucp_request_param_t param;
    ucs_status_ptr_t sp;
    int rc = tp_ucx_check_rma(ctx, peer, rk, offset, len, "put");

    if (rc || len == 0)
        return rc;
    param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    param.cb.send = tp_ucx_rma_cb;
    param.user_data = comp;
    tp_comp_add(comp);
    sp = ucp_put_nbx(ctx->eps[peer], src, len, rk->base + offset, rk->rkey, &param);
    return tp_ucx_posted(sp, comp, "put", peer, len);
}

int tp_ucx_get(tp_ctx_t *tctx, int peer, void *dst, size_t len, tp_rkey_t *rk,
                      uint64_t offset, tp_comp_t *comp)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    ucp_request_param_t param;
    ucs_status_ptr_t sp;
    int rc = tp_ucx_check_rma(ctx, peer, rk, offset, len, "get");

    if (rc || len == 0)
        return rc;
    param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    param.cb.send = tp_ucx_rma_cb;
    param.user_data = comp;
    tp_comp_add(comp);
    sp = ucp_get_nbx(ctx->eps[peer], dst, len, rk->base + offset, rk->rkey, &param);
    return tp_ucx_posted(sp, comp, "get", peer, len);
}

/* Finish an atomic: hand the old value to the caller, count completion. */
static void tp_ucx_amo_finish(tp_ucx_amo_t *op, ucs_status_t st)
{
    if (st == UCS_OK && op->result)
        memcpy(op->result, &op->reply, op->width);
    if (st != UCS_OK)
        core_log(CORE_LOG_DEBUG, "ucx: atomic failed: %s", ucs_status_string(st));
    tp_comp_done(op->comp, tp_ucx_status_err(st));
    free(op);
}

static void tp_ucx_amo_cb(void *request, ucs_status_t st, void *user_data)
{
    tp_ucx_amo_finish(user_data, st);
    ucp_request_free(request);
}

static const ucp_atomic_op_t tp_ucx_aop_map[TP_AOP_COUNT_] = {
    [TP_AOP_ADD] = UCP_ATOMIC_OP_ADD,   [TP_AOP_AND] = UCP_ATOMIC_OP_AND,
    [TP_AOP_OR] = UCP_ATOMIC_OP_OR,     [TP_AOP_XOR] = UCP_ATOMIC_OP_XOR,
    [TP_AOP_SWAP] = UCP_ATOMIC_OP_SWAP, [TP_AOP_CSWAP] = UCP_ATOMIC_OP_CSWAP,
};

/*
 * Atomics to ourselves, applied with CPU atomics instead of through UCX.
 *
 * Why: UCX 1.13.1's self transport gets fetching AND, OR and XOR wrong. Its
 * uct_sm_ep_atomic{32,64}_fetch() (shared with posix and sysv, which reach
 * it only on memory UCX allocated) is, in the library as shipped, a
 * compare-and-swap loop that never applies the operand (see its
 * disassembly): fetch-AND and fetch-OR leave memory unchanged and fetch-XOR
 * zeroes it, while the fetched value is right. Posted (non-fetching)
 * AND/OR/XOR, fetch-add, swap and compare-and-swap are right, and so is the
 * emulation UCX uses for other peers (active messages applied at the
 * target). A small standalone UCP program shows it with UCX_TLS=self, in
 * both worker thread modes.
 *
 * Why this is atomic with everyone else's atomics on the same memory: we
 * take this path only when UCX itself put our own atomics on its self
 * transport (ctx->self_amo_cpu, see connect()), which UCX does only in its
 * CPU atomic mode, where self applies them with exactly these CPU
 * instructions on our memory. In that mode every other peer's atomic on
 * our memory is a CPU atomic too: over tcp and over shared memory on user
 * memory (all we register), UCX emulates it with an active message that
 * our progress engine applies with lock-prefixed instructions on the same
 * address; over a shared mapping of UCX-allocated memory the peer's CPU
 * applies it to the same physical word. Locked read-modify-writes on one
 * cache-coherent word are atomic with each other whichever thread or
 * process issues them. (In UCX's device atomic mode a NIC would apply the
 * atomics, self would not carry them, and we leave them to UCX.)
 *
 * The operation is complete, locally and at the target, when this returns;
 * the self transport was synchronous too, so ordering with our earlier puts
 * to ourselves and tp_flush() are unchanged.
 */
#define TP_UCX_AMO_CPU(type, aop, p, operand, compare, old)                                 \
    do {                                                                                  \
        type v_ = (type)(operand);                                                        \
        switch (aop) {                                                                    \
        case TP_AOP_ADD:                                                                  \
            old = __atomic_fetch_add(p, v_, __ATOMIC_SEQ_CST);                            \
            break;                                                                        \
        case TP_AOP_AND:                                                                  \
            old = __atomic_fetch_and(p, v_, __ATOMIC_SEQ_CST);                            \
            break;                                                                        \
        case TP_AOP_OR:                                                                   \
            old = __atomic_fetch_or(p, v_, __ATOMIC_SEQ_CST);                             \
            break;                                                                        \
        case TP_AOP_XOR:                                                                  \
            old = __atomic_fetch_xor(p, v_, __ATOMIC_SEQ_CST);                            \
            break;                                                                        \
        case TP_AOP_SWAP:                                                                 \
            old = __atomic_exchange_n(p, v_, __ATOMIC_SEQ_CST);                           \
            break;                                                                        \
        default: /* TP_AOP_CSWAP: on failure, old becomes the value found */             \
            old = (type)(compare);                                                        \
            (void)__atomic_compare_exchange_n(p, &old, v_, 0, __ATOMIC_SEQ_CST,           \
                                              __ATOMIC_SEQ_CST);                          \
            break;                                                                        \
        }                                                                                 \
    } while (0)

static int tp_ucx_atomic_self(tp_aop_t aop, size_t width, uint64_t operand, uint64_t compare,
                              void *result, uint64_t addr, tp_comp_t *comp)
{
    if (width == 4) {
        uint32_t old;
        TP_UCX_AMO_CPU(uint32_t, aop, (uint32_t *)(uintptr_t)addr, operand, compare, old);
        if (result)
            memcpy(result, &old, sizeof(old));
    } else {
        uint64_t old;
        TP_UCX_AMO_CPU(uint64_t, aop, (uint64_t *)(uintptr_t)addr, operand, compare, old);
        if (result)
            memcpy(result, &old, sizeof(old));
    }
    tp_comp_add(comp);
    tp_comp_done(comp, 0);
    return 0;
}

/* UCX reads the operand and writes the reply after this call returns, so
 * both live in a request-owned tp_ucx_amo_t rather than in the caller's
 * frame. SWAP and CSWAP always take a reply buffer (UCX requires one, and
 * CSWAP passes its new value through it); ADD/AND/OR/XOR without a result
 * are posted with none. */
int tp_ucx_atomic(tp_ctx_t *tctx, int peer, tp_aop_t aop, size_t width,
                         uint64_t operand, uint64_t compare, void *result, tp_rkey_t *rk,
                         uint64_t offset, tp_comp_t *comp)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    ucp_request_param_t param;
    ucs_status_ptr_t sp;
    tp_ucx_amo_t *op;
    int rc;

    if (PRAAS_UNLIKELY((unsigned)aop >= TP_AOP_COUNT_))
        return core_err(PRAAS_ERR_INVALID, "ucx: unknown atomic operation %d", (int)aop);
    if (PRAAS_UNLIKELY(width != 4 && width != 8))
        return core_err(PRAAS_ERR_INVALID, "ucx: atomic of width %zu (must be 4 or 8)", width);
    rc = tp_ucx_check_rma(ctx, peer, rk, offset, width, "atomic");
    if (PRAAS_UNLIKELY(rc))
        return rc;
    if (PRAAS_UNLIKELY((rk->base + offset) % width))
        return core_err(PRAAS_ERR_INVALID,
                        "ucx: atomic of width %zu at offset %" PRIu64
                        " of peer %d is not aligned to %zu bytes",
                        width, offset, peer, width);
    if (peer == ctx->super.rank && ctx->self_amo_cpu)
        return tp_ucx_atomic_self(aop, width, operand, compare, result, rk->base + offset,
                                  comp);
    op = malloc(sizeof(*op));
    if (PRAAS_UNLIKELY(!op))
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory for an atomic");
    op->comp = comp;
    op->result = result;
    op->width = width;
    param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                         UCP_OP_ATTR_FIELD_DATATYPE;
    param.cb.send = tp_ucx_amo_cb;
    param.user_data = op;
    param.datatype = ucp_dt_make_contig(width);
    /* CSWAP compares with the buffer and swaps in the reply buffer's value. */
    if (aop == TP_AOP_CSWAP) {
        if (width == 4) {
            op->operand.u32 = (uint32_t)compare;
            op->reply.u32 = (uint32_t)operand;
        } else {
            op->operand.u64 = compare;
            op->reply.u64 = operand;
        }
    } else if (width == 4) {
        op->operand.u32 = (uint32_t)operand;
    } else {
        op->operand.u64 = operand;
    }
    if (result || aop == TP_AOP_SWAP || aop == TP_AOP_CSWAP) {
        param.op_attr_mask |= UCP_OP_ATTR_FIELD_REPLY_BUFFER;
        param.reply_buffer = &op->reply;
    }
    tp_comp_add(comp);
    sp = ucp_atomic_op_nbx(ctx->eps[peer], tp_ucx_aop_map[aop], &op->operand, 1,
                           rk->base + offset, rk->rkey, &param);
    if (PRAAS_LIKELY(sp == NULL)) {
        tp_ucx_amo_finish(op, UCS_OK);
        return 0;
    }
    if (UCS_PTR_IS_ERR(sp))
        free(op);
    return tp_ucx_posted(sp, comp, "atomic", peer, width);
}

/* For close(): destroy the keys still unpacked (before the endpoints they
 * belong to go) and unmap the regions still registered (after them). */
void tp_ucx_rkeys_release_all(tp_ucx_ctx_t *ctx)
{
    while (ctx->rkeys) {
        struct tp_rkey *rk = ctx->rkeys;
        ctx->rkeys = rk->next;
        ucp_rkey_destroy(rk->rkey);
        free(rk);
    }
}

void tp_ucx_mrs_release_all(tp_ucx_ctx_t *ctx)
{
    while (ctx->mrs) {
        struct tp_mr *mr = ctx->mrs;
        ctx->mrs = mr->next;
        ucp_mem_unmap(ctx->context, mr->memh);
        free(mr->packed);
        free(mr);
    }
}
