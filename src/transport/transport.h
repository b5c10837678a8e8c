/*
 * The transport layer: one table of operations, two real backends
 * (ucx.c over UCX, ofi.c over libfabric), chosen at run time.
 *
 * No file outside src/transport/ includes a UCX or libfabric header; every
 * other layer talks to the network through the tp_* calls below.
 *
 * Model
 * - A tp_ctx is one worker's transport instance: a UCX worker or a
 *   libfabric domain + endpoint, with its completion machinery. Peers are
 *   numbered 0..max_peers-1 (the ranks of the process); tp_connect() makes
 *   the starting ones (0..size-1) reachable at once from their address
 *   blobs, and tp_connect_peer() one more at any time after (a worker that
 *   joins a running process, or a joiner reaching the members). A context
 *   may connect to itself (peer == own rank). The per-peer state is sized
 *   for max_peers at open and never moves, so connecting a peer while other
 *   threads operate on the connected ones is safe.
 * - Memory is registered once (tp_mr_reg) and described to peers by a
 *   packed remote key (tp_mr_pack): an opaque blob that already contains
 *   whatever the backend needs (base address, key, size). A peer unpacks it
 *   (tp_rkey_unpack) and addresses the region by byte offset from its start;
 *   the backend turns that into a virtual address or an offset as the
 *   provider wants (FI_MR_VIRT_ADDR or not).
 * - put, get and atomics are non-blocking. They complete locally through a
 *   tp_comp counter: the call adds one to comp->pending and the backend
 *   subtracts one when the local buffer may be reused (put) or holds the
 *   data (get, fetching atomic); on failure it records the error in
 *   comp->status. comp may be NULL, in which case completion is only known
 *   from tp_flush(). Remote completion is a separate, explicit tp_flush().
 * - Active messages: a header and a payload delivered to handler `id` at a
 *   peer, called from the target's progress (the progress thread or a
 *   waiting thread). tp_am_send() copies both buffers before it returns, so
 *   the caller may reuse them at once, and may be called from a handler.
 * - Atomics on 32- and 64-bit integers run in the provider where it offers
 *   every op for that width, otherwise at the target through active
 *   messages, applied by the target's progress engine. One width never mixes
 *   the two paths, so atomics of one width are atomic with each other.
 *
 * Threading: every call may be made from any thread at any time
 * (the progress thread runs tp_progress() while the application puts and
 * gets); each backend provides its own mutual exclusion.
 *
 * Errors: negative PRAAS_ERR_* codes; the failing call records a message
 * naming the cause with core_err() (src/core/error.h).
 */
#ifndef PRAAS_TP_TRANSPORT_H
#define PRAAS_TP_TRANSPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tp_ctx tp_ctx_t;
typedef struct tp_mr tp_mr_t;
typedef struct tp_rkey tp_rkey_t;

/* Local completion of a batch of operations. Initialize with
 * tp_comp_init(); wait with tp_comp_wait(). */
typedef struct tp_comp {
    atomic_int pending; /* operations issued and not yet complete */
    atomic_int status;  /* 0, or the first error of a failed operation */
} tp_comp_t;

/* Remote atomic operations. FADD/AND/OR/XOR/SWAP fetch the old value into
 * `result` when it is non-NULL; CSWAP always does. */
typedef enum tp_aop {
    TP_AOP_ADD,
    TP_AOP_AND,
    TP_AOP_OR,
    TP_AOP_XOR,
    TP_AOP_SWAP,
    TP_AOP_CSWAP,
    TP_AOP_COUNT_
} tp_aop_t;

/* Handler of an active message. Called from progress with the sending
 * peer's rank; hdr and payload are valid only during the call. */
typedef void (*tp_am_handler_t)(void *arg, int src, const void *hdr, size_t hdr_len,
                                const void *payload, size_t payload_len);

enum {
    TP_AM_MAX_HANDLERS = 32, /* handler ids are 0..TP_AM_MAX_HANDLERS-1 */
    TP_AM_MAX_HDR = 128,     /* largest header, in bytes */
    /* Ids at TP_AM_RESERVED and above are the backends' own (emulated
     * atomics and the like); the layers above use the ones below. */
    TP_AM_RESERVED = 28,
};

/* Settings for tp_open(), filled by the core from its configuration. */
typedef struct tp_config {
    int rank;           /* this worker's rank (its own peer number) */
    int size;           /* number of peers that tp_connect() will get */
    int max_size;       /* peers that may ever be connected, joiners included
                         * (below size: size); rank is below it */
    const char *device; /* preferred network device near the bound core, or NULL */
} tp_config_t;

/* The operations of one backend. An operation a backend cannot provide
 * points to tp_not_supported_*(), never NULL. Contracts are those of the
 * tp_* wrappers below. */
typedef struct tp_ops {
    const char *name; /* "ucx" or "ofi" */
    int (*open)(const tp_config_t *cfg, tp_ctx_t **ctx_p);
    void (*close)(tp_ctx_t *ctx);
    const char *(*describe)(tp_ctx_t *ctx);
    int (*addr_get)(tp_ctx_t *ctx, void *buf, size_t *len_p);
    int (*connect)(tp_ctx_t *ctx, int npeers, const void *const *blobs, const size_t *lens);
    int (*connect_peer)(tp_ctx_t *ctx, int peer, const void *blob, size_t len);
    int (*mr_reg)(tp_ctx_t *ctx, void *addr, size_t len, tp_mr_t **mr_p);
    int (*mr_pack)(tp_ctx_t *ctx, tp_mr_t *mr, void *buf, size_t *len_p);
    void (*mr_dereg)(tp_ctx_t *ctx, tp_mr_t *mr);
    int (*rkey_unpack)(tp_ctx_t *ctx, int peer, const void *blob, size_t len,
                       tp_rkey_t **rkey_p);
    void (*rkey_release)(tp_ctx_t *ctx, tp_rkey_t *rkey);
    int (*put)(tp_ctx_t *ctx, int peer, const void *src, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
    int (*get)(tp_ctx_t *ctx, int peer, void *dst, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
    int (*atomic)(tp_ctx_t *ctx, int peer, tp_aop_t op, size_t width, uint64_t operand,
                  uint64_t compare, void *result, tp_rkey_t *rkey, uint64_t offset,
                  tp_comp_t *comp);
    int (*am_register)(tp_ctx_t *ctx, unsigned id, tp_am_handler_t handler, void *arg);
    int (*am_send)(tp_ctx_t *ctx, int peer, unsigned id, const void *hdr, size_t hdr_len,
                   const void *payload, size_t payload_len);
    int (*flush)(tp_ctx_t *ctx, int peer, int timeout_ms);
    int (*progress)(tp_ctx_t *ctx);
    int (*wait_fd)(tp_ctx_t *ctx, int *fd_p);
    int (*wait_arm)(tp_ctx_t *ctx);
} tp_ops_t;

/* The common head of every backend's context: the layers above reach the
 * ops through it. Backends embed it as their first member. */
struct tp_ctx {
    const tp_ops_t *ops;
    int rank;
    int size;      /* the starting peers (tp_config_t.size) */
    int max_peers; /* peers are 0..max_peers-1 (tp_config_t.max_size) */
    /* Application threads progressing this context in a wait loop right
     * now (tp_wait_begin/end); the progress thread stands down meanwhile,
     * so that two threads never fight over the context and the cores. */
    atomic_int waiters;
};

/* Backends compiled in; NULL when configure did not find the library. */
extern const tp_ops_t tp_ucx_ops;
extern const tp_ops_t tp_ofi_ops;

/* Find a backend by name ("ucx", "ofi"). Returns 0 or PRAAS_ERR_NOT_FOUND
 * (unknown name) / PRAAS_ERR_NOT_SUPPORTED (not compiled in). */
int tp_lookup(const char *name, const tp_ops_t **ops_p);

/* Shared fallbacks for operations a backend lacks. */
int tp_not_supported_wait_fd(tp_ctx_t *ctx, int *fd_p);
int tp_not_supported_wait_arm(tp_ctx_t *ctx);

/* ---- wrappers: the calls the layers above use ---- */

/* Create a context: opens the library, the endpoint and the completion
 * machinery. Does not connect. */
static inline int tp_open(const tp_ops_t *ops, const tp_config_t *cfg, tp_ctx_t **ctx_p)
{
    return ops->open(cfg, ctx_p);
}

/* Close a context: release every remaining resource. Safe to call with
 * peers still registered; outstanding operations are dropped. */
static inline void tp_close(tp_ctx_t *ctx)
{
    ctx->ops->close(ctx);
}

/* A human-readable description: "ucx (tcp)", "ofi (tcp;ofi_rxm)". */
static inline const char *tp_describe(tp_ctx_t *ctx)
{
    return ctx->ops->describe(ctx);
}

/* Copy this context's address blob into buf (capacity *len_p); sets *len_p
 * to its length. PRAAS_ERR_RANGE if buf is too small (and *len_p is set to
 * the size needed). */
static inline int tp_addr_get(tp_ctx_t *ctx, void *buf, size_t *len_p)
{
    return ctx->ops->addr_get(ctx, buf, len_p);
}

/* Make peers 0..npeers-1 reachable from their blobs (blobs[ctx->rank] is
 * our own). Call once. The connections are usable when it returns, though
 * a provider may need the peer's progress for the first operation. */
static inline int tp_connect(tp_ctx_t *ctx, int npeers, const void *const *blobs,
                             const size_t *lens)
{
    return ctx->ops->connect(ctx, npeers, blobs, lens);
}

/* Make one more peer reachable from its blob, after tp_connect() or
 * instead of it (a joiner connects itself and each member this way). peer
 * is below ctx->max_peers and not yet connected: PRAAS_ERR_INVALID
 * otherwise, PRAAS_ERR_STATE if it is connected already. Safe while other
 * threads use the context; the new peer is usable when it returns. */
static inline int tp_connect_peer(tp_ctx_t *ctx, int peer, const void *blob, size_t len)
{
    return ctx->ops->connect_peer(ctx, peer, blob, len);
}

/* Register [addr, addr+len) for remote put, get and atomics. */
static inline int tp_mr_reg(tp_ctx_t *ctx, void *addr, size_t len, tp_mr_t **mr_p)
{
    return ctx->ops->mr_reg(ctx, addr, len, mr_p);
}

/* Pack the remote key of mr into buf (capacity *len_p), as tp_addr_get. */
static inline int tp_mr_pack(tp_ctx_t *ctx, tp_mr_t *mr, void *buf, size_t *len_p)
{
    return ctx->ops->mr_pack(ctx, mr, buf, len_p);
}

static inline void tp_mr_dereg(tp_ctx_t *ctx, tp_mr_t *mr)
{
    ctx->ops->mr_dereg(ctx, mr);
}

/* Unpack a remote key packed by peer `peer`. PRAAS_ERR_PROTOCOL for a blob
 * that is not one. */
static inline int tp_rkey_unpack(tp_ctx_t *ctx, int peer, const void *blob, size_t len,
                                 tp_rkey_t **rkey_p)
{
    return ctx->ops->rkey_unpack(ctx, peer, blob, len, rkey_p);
}

static inline void tp_rkey_release(tp_ctx_t *ctx, tp_rkey_t *rkey)
{
    ctx->ops->rkey_release(ctx, rkey);
}

/* Write len bytes from src to offset of the peer's region. PRAAS_ERR_RANGE
 * if [offset, offset+len) leaves the region (nothing is sent). */
static inline int tp_put(tp_ctx_t *ctx, int peer, const void *src, size_t len,
                         tp_rkey_t *rkey, uint64_t offset, tp_comp_t *comp)
{
    return ctx->ops->put(ctx, peer, src, len, rkey, offset, comp);
}

/* Read len bytes at offset of the peer's region into dst. */
static inline int tp_get(tp_ctx_t *ctx, int peer, void *dst, size_t len, tp_rkey_t *rkey,
                         uint64_t offset, tp_comp_t *comp)
{
    return ctx->ops->get(ctx, peer, dst, len, rkey, offset, comp);
}

/* A remote atomic on the width-byte (4 or 8) integer at offset, which must
 * be aligned to width. operand (and compare, for CSWAP) hold the value in
 * their low width bytes; the old value is written to result (width bytes)
 * when result is non-NULL. */
static inline int tp_atomic(tp_ctx_t *ctx, int peer, tp_aop_t op, size_t width,
                            uint64_t operand, uint64_t compare, void *result,
                            tp_rkey_t *rkey, uint64_t offset, tp_comp_t *comp)
{
    return ctx->ops->atomic(ctx, peer, op, width, operand, compare, result, rkey, offset,
                            comp);
}

/* Install the handler of active-message id (below TP_AM_RESERVED for the
 * layers above). Replaces a previous handler of the same id. */
static inline int tp_am_register(tp_ctx_t *ctx, unsigned id, tp_am_handler_t handler,
                                 void *arg)
{
    return ctx->ops->am_register(ctx, id, handler, arg);
}

/* Send an active message; both buffers are copied before return. hdr_len
 * is at most TP_AM_MAX_HDR. Delivery to one peer is in order of sending. */
static inline int tp_am_send(tp_ctx_t *ctx, int peer, unsigned id, const void *hdr,
                             size_t hdr_len, const void *payload, size_t payload_len)
{
    return ctx->ops->am_send(ctx, peer, id, hdr, hdr_len, payload, payload_len);
}

/* Block until every put, get and atomic issued to peer (all peers when
 * peer < 0) before the call is complete at the target. PRAAS_ERR_TIMEOUT
 * after timeout_ms (< 0: no limit). */
static inline int tp_flush(tp_ctx_t *ctx, int peer, int timeout_ms)
{
    return ctx->ops->flush(ctx, peer, timeout_ms);
}

/* Make progress once without blocking; returns the number of events
 * handled (>= 0) or an error. */
static inline int tp_progress(tp_ctx_t *ctx)
{
    return ctx->ops->progress(ctx);
}

/* A file descriptor that becomes readable when tp_progress() has work;
 * PRAAS_ERR_NOT_SUPPORTED if the backend has none (then poll). */
static inline int tp_wait_fd(tp_ctx_t *ctx, int *fd_p)
{
    return ctx->ops->wait_fd(ctx, fd_p);
}

/* Prepare to sleep on the wait fd: 0 if it is safe to sleep now,
 * PRAAS_ERR_AGAIN if events are pending (call tp_progress() first). */
static inline int tp_wait_arm(tp_ctx_t *ctx)
{
    return ctx->ops->wait_arm(ctx);
}

/* Bracket a loop that calls tp_progress() while it waits. */
static inline void tp_wait_begin(tp_ctx_t *ctx)
{
    atomic_fetch_add_explicit(&ctx->waiters, 1, memory_order_relaxed);
}

static inline void tp_wait_end(tp_ctx_t *ctx)
{
    atomic_fetch_sub_explicit(&ctx->waiters, 1, memory_order_relaxed);
}

/* ---- local completion helpers (transport.c) ---- */

static inline void tp_comp_init(tp_comp_t *comp)
{
    atomic_init(&comp->pending, 0);
    atomic_init(&comp->status, 0);
}

/* For backends: account an issued operation and its completion. */
static inline void tp_comp_add(tp_comp_t *comp)
{
    if (comp)
        atomic_fetch_add_explicit(&comp->pending, 1, memory_order_relaxed);
}

static inline void tp_comp_done(tp_comp_t *comp, int status)
{
    if (!comp)
        return;
    if (status) {
        int zero = 0;
        atomic_compare_exchange_strong(&comp->status, &zero, status);
    }
    atomic_fetch_sub_explicit(&comp->pending, 1, memory_order_release);
}

/* Progress ctx until comp has no pending operation; returns comp's status,
 * or PRAAS_ERR_TIMEOUT after timeout_ms (< 0: no limit). */
int tp_comp_wait(tp_ctx_t *ctx, tp_comp_t *comp, int timeout_ms);

#endif /* PRAAS_TP_TRANSPORT_H */
