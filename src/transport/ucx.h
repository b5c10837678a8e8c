/*
 * Private to the UCX backend: the context that ucx.c (set-up, connection,
 * flush, progress), ucx_rma.c (memory, keys, put, get, atomics) and
 * ucx_am.c (active messages) share.
 */
#ifndef PRAAS_TP_UCX_H
#define PRAAS_TP_UCX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <ucp/api/ucp.h>

#include "transport/transport.h"

/* The one UCP active-message id the backend registers; the praas handler
 * id travels in our own header, so a message for a handler that is not yet
 * installed is dropped by us (quietly) rather than by UCX (with a warning on
 * stderr). */
#define TP_UCX_AM_ID 0

/* Receive-side ordering state of one sending peer (ucx_am.c). */
typedef struct tp_ucx_am_held tp_ucx_am_held_t;
typedef struct tp_ucx_am_rx {
    uint32_t expected;      /* sequence number of the next message to deliver */
    tp_ucx_am_held_t *head; /* messages that arrived early, sorted by sequence */
} tp_ucx_am_rx_t;

typedef struct tp_ucx_ctx {
    tp_ctx_t super; /* first: the layers above see a tp_ctx_t */
    ucp_context_h context;
    ucp_worker_h worker;
    ucp_address_t *addr;
    size_t addr_len;

    /* Endpoints, one per possible peer (npeers == super.max_peers entries,
     * allocated by open() and never moved). eps[p] is written once, under
     * `lock`, by connect() or connect_peer(), and read without a lock after
     * ep_ready[p] publishes it (release/acquire). `connected` says whether
     * any peer was connected yet. */
    ucp_ep_h *eps;
    atomic_int *ep_ready;
    int npeers;
    atomic_int connected;
    atomic_int closing; /* set by close(): completions deliver nothing */
    /* Atomics to ourselves are applied here with CPU atomics rather than
     * through UCX's self transport (ucx_rma.c says why). Written by
     * connect() before `connected` is published. */
    int self_amo_cpu;

    /* Guards the handler table and the lists of live registrations and
     * keys. Never held while calling into UCX or into a handler. */
    pthread_mutex_t lock;
    struct {
        tp_am_handler_t fn;
        void *arg;
    } am[TP_AM_MAX_HANDLERS];
    struct tp_mr *mrs;     /* live registrations, released by close() */
    struct tp_rkey *rkeys; /* live unpacked keys, released by close() */
    char desc[96]; /* tp_describe() text, written by open() and connect() */
    /* desc names a lane to another peer: connect_peer() leaves it alone */
    int desc_final;

    /* Active-message ordering: a sequence number per destination (taken
     * atomically by senders) and per source (touched only from UCX
     * callbacks, which UCX serializes under the worker lock). */
    atomic_uint *am_tx_seq; /* max_peers entries */
    tp_ucx_am_rx_t *am_rx;  /* max_peers entries */
} tp_ucx_ctx_t;

static inline tp_ucx_ctx_t *tp_ucx_ctx(tp_ctx_t *ctx)
{
    return (tp_ucx_ctx_t *)ctx;
}

/* Map a UCX status to a PRAAS_ERR_* code (no message recorded). */
int tp_ucx_status_err(ucs_status_t st);

/* Record the PRAAS_ERR_* of st with the message "ucx: <what>: <UCX's text>"
 * for the calling thread, and return it. */
int tp_ucx_fail(ucs_status_t st, const char *what);

/* Check that peer is connected and in range; records a message on error. */
int tp_ucx_check_peer(tp_ucx_ctx_t *ctx, int peer, const char *what);

/* ucx_rma.c: the memory ops, and close()'s clean-up of what is left. */
int tp_ucx_mr_reg(tp_ctx_t *ctx, void *addr, size_t len, tp_mr_t **mr_p);
int tp_ucx_mr_pack(tp_ctx_t *ctx, tp_mr_t *mr, void *buf, size_t *len_p);
void tp_ucx_mr_dereg(tp_ctx_t *ctx, tp_mr_t *mr);
int tp_ucx_rkey_unpack(tp_ctx_t *ctx, int peer, const void *blob, size_t len,
                       tp_rkey_t **rkey_p);
void tp_ucx_rkey_release(tp_ctx_t *ctx, tp_rkey_t *rkey);
int tp_ucx_put(tp_ctx_t *ctx, int peer, const void *src, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
int tp_ucx_get(tp_ctx_t *ctx, int peer, void *dst, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
int tp_ucx_atomic(tp_ctx_t *ctx, int peer, tp_aop_t op, size_t width, uint64_t operand,
                  uint64_t compare, void *result, tp_rkey_t *rkey, uint64_t offset,
                  tp_comp_t *comp);
void tp_ucx_rkeys_release_all(tp_ucx_ctx_t *ctx);
void tp_ucx_mrs_release_all(tp_ucx_ctx_t *ctx);

/* ucx_am.c: set-up and tear-down of the active-message state (called by
 * open() and close()), and the two ops. */
int tp_ucx_am_init(tp_ucx_ctx_t *ctx);
void tp_ucx_am_fini(tp_ucx_ctx_t *ctx);
int tp_ucx_am_register(tp_ctx_t *ctx, unsigned id, tp_am_handler_t handler, void *arg);
int tp_ucx_am_send(tp_ctx_t *ctx, int peer, unsigned id, const void *hdr, size_t hdr_len,
                   const void *payload, size_t payload_len);

#endif /* PRAAS_TP_UCX_H */
