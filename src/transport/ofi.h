/*
 * The libfabric backend's private declarations, shared by ofi.c (set-up,
 * connection, progress, wait fd, close), ofi_rma.c (registration, keys,
 * put, get, native atomics, flush) and ofi_am.c (active messages and the
 * atomics emulated over them).
 *
 * Locking: one recursive mutex per context guards every libfabric call and
 * every field below. It is recursive because active-message handlers run
 * inside tp_ofi_progress() with the lock held and may call tp_am_send() or
 * tp_put() on the same context. The domain is therefore opened with
 * FI_THREAD_DOMAIN: libfabric never sees two threads at once.
 */
#ifndef PRAAS_TP_OFI_H
#define PRAAS_TP_OFI_H

#include <pthread.h>
#include <stdint.h>

#include <rdma/fabric.h>
#include <rdma/fi_atomic.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "transport/transport.h"

enum {
    /* One pre-posted receive buffer; an active message larger than this is
     * sent in fragments of at most this size (wire header included). */
    TP_OFI_AM_BUF = 64 * 1024,
    /* Receive buffers kept posted. */
    TP_OFI_AM_NRECV = 32,
    /* Largest active-message payload accepted, so that a corrupt or hostile
     * header cannot make the target allocate without bound. */
    TP_OFI_AM_MAX_PAYLOAD = 256 * 1024 * 1024,
    /* Reserved handler ids of the emulated atomics. */
    TP_OFI_AM_AMO_REQ = TP_AM_RESERVED,
    TP_OFI_AM_AMO_REP = TP_AM_RESERVED + 1,
    /* How long a post that keeps failing with -FI_EAGAIN is retried. */
    TP_OFI_EAGAIN_MS = 10000,
};

typedef enum tp_ofi_kind {
    TP_OFI_OP_WRITE,  /* fi_writemsg with FI_DELIVERY_COMPLETE */
    TP_OFI_OP_READ,   /* fi_read */
    TP_OFI_OP_FETCH,  /* fi_fetch_atomic */
    TP_OFI_OP_CSWAP,  /* fi_compare_atomic */
    TP_OFI_OP_SEND,   /* one fragment of an active message */
    TP_OFI_OP_RECV,   /* one pre-posted receive buffer */
    TP_OFI_OP_EMU,    /* an emulated atomic waiting for its reply */
} tp_ofi_kind_t;

/* One operation handed to libfabric (or, for TP_OFI_OP_EMU, waiting for a
 * reply). Its address is the libfabric context, so fctx comes first. */
typedef struct tp_ofi_op {
    struct fi_context2 fctx;
    struct tp_ofi_op *prev, *next; /* in ctx->live or ctx->emu */
    struct tp_ofi_op *qnext;       /* in the send queue or the repost list */
    tp_ofi_kind_t kind;
    int peer;
    tp_comp_t *comp;
    /* What to post, kept so that a post refused with -FI_EAGAIN can be
     * retried, and operands that must outlive the call. */
    void *buf;
    size_t len;
    uint64_t raddr;
    uint64_t key;
    enum fi_op fiop;
    enum fi_datatype fidt;
    void *result;
    unsigned width;
    uint64_t operand, compare, scratch;
    /* Emulated atomics: the request id, on the TP_OFI_OP_EMU op and on the
     * send op of its request (so that a failed send fails the atomic). */
    uint64_t amo_id;
} tp_ofi_op_t;

/* A local registration. */
struct tp_mr {
    struct fid_mr *mr;
    void *addr;
    size_t len;
    uint64_t key;
    struct tp_mr *next; /* in ctx->mrs: emulated atomics validate against it */
};

/* A peer's region, from its packed key. */
struct tp_rkey {
    uint64_t base; /* the region's virtual address at the owner */
    uint64_t len;
    uint64_t key;
    int virt_addr; /* remote addresses are base + offset (else offset) */
    int peer;
};

/* A fragment that arrived before its predecessors, kept until they come. */
typedef struct tp_ofi_early {
    struct tp_ofi_early *next;
    uint32_t seq;
    size_t len;
    uint8_t data[]; /* the whole fragment, wire header included */
} tp_ofi_early_t;

/* Reassembly of the active messages from one sender. Providers may
 * complete receives out of order (an eager message overtakes a rendezvous
 * one), so every fragment carries a per-pair sequence number and early
 * ones wait here. */
typedef struct tp_ofi_rasm {
    uint32_t next_seq;      /* the fragment to deliver next */
    tp_ofi_early_t *early;  /* fragments with later sequence numbers */
    uint8_t *buf; /* payload; NULL when no message is in progress */
    uint64_t total, got;
    unsigned id;
    size_t hdr_len;
    uint8_t hdr[TP_AM_MAX_HDR];
} tp_ofi_rasm_t;

typedef struct tp_ofi_ctx {
    tp_ctx_t base; /* first: the layers above see a tp_ctx_t */
    pthread_mutex_t lock;

    struct fi_info *info;
    struct fid_fabric *fabric;
    struct fid_domain *domain;
    struct fid_av *av;
    struct fid_cq *cq;
    struct fid_ep *ep;
    int wait_fd; /* -1 when the CQ has no wait object */
    int virt_addr;
    char desc[64];

    /* Per-peer arrays (addrs, outstanding, sq_*, rasm, tx_seq) have npeers
     * == base.max_peers entries, allocated by the first connect and never
     * moved; addrs[r] is FI_ADDR_NOTAVAIL until rank r is connected. */
    fi_addr_t *addrs; /* index = rank; NULL until the first connect */
    int npeers;
    int connected; /* tp_connect() or tp_connect_peer() has succeeded */

    /* RMA and atomics issued and not complete, per peer and in total:
     * tp_ofi_flush() waits for them. */
    int *outstanding;
    long total_outstanding;
    int deferred_err; /* failure of an op issued without a tp_comp */

    tp_ofi_op_t live; /* sentinel: ops posted to libfabric */
    tp_ofi_op_t emu;  /* sentinel: emulated atomics awaiting replies */
    /* Per peer, fragments waiting for room to send: a peer whose queue is
     * not empty gets new fragments queued behind, which keeps order. */
    tp_ofi_op_t **sq_head, **sq_tail;
    long sq_count;
    tp_ofi_op_t *repost;            /* receive buffers to post again */

    int amo_native[2]; /* [0] 32-bit, [1] 64-bit: provider atomics */
    uint64_t amo_next_id;
    uint64_t next_key;
    struct tp_mr *mrs;

    struct {
        tp_am_handler_t fn;
        void *arg;
    } am[TP_AM_MAX_HANDLERS];
    tp_ofi_rasm_t *rasm; /* per sender, npeers entries */
    uint32_t *tx_seq;    /* per receiver: sequence number of the next fragment */
} tp_ofi_ctx_t;

static inline tp_ofi_ctx_t *tp_ofi_ctx(tp_ctx_t *ctx)
{
    return (tp_ofi_ctx_t *)ctx;
}

/* Doubly-linked lists with a sentinel (ctx->live, ctx->emu). */
static inline void tp_ofi_list_init(tp_ofi_op_t *head)
{
    head->prev = head->next = head;
}

static inline void tp_ofi_list_add(tp_ofi_op_t *head, tp_ofi_op_t *op)
{
    op->next = head->next;
    op->prev = head;
    head->next->prev = op;
    head->next = op;
}

static inline void tp_ofi_list_del(tp_ofi_op_t *op)
{
    op->prev->next = op->next;
    op->next->prev = op->prev;
    op->prev = op->next = op;
}

/* ---- ofi.c; with the lock held unless said otherwise ---- */

/* Allocate a zeroed op; NULL when out of memory. Any thread, no lock. */
tp_ofi_op_t *tp_ofi_op_new(tp_ofi_kind_t kind, int peer);

/* Read completions once; returns the number handled or a PRAAS_ERR_*. */
int tp_ofi_progress_locked(tp_ofi_ctx_t *ctx);

/* Validate that peer is a connected rank; PRAAS_ERR_INVALID/STATE. */
int tp_ofi_check_peer(tp_ofi_ctx_t *ctx, int peer);

/* Turn a negative fi_errno from a call named `what` into a PRAAS_ERR_*
 * with a message (PRAAS_ERR_AGAIN for -FI_EAGAIN). No lock needed. */
int tp_ofi_fail(int ret, const char *what);

/* ---- ofi_rma.c ---- */

/* Decide per width whether the provider runs every atomic we offer
 * (at open, after the endpoint exists). */
void tp_ofi_amo_query(tp_ofi_ctx_t *ctx);

/* Hand op to libfabric once; returns 0 or a negative fi_errno. Lock held. */
int tp_ofi_post(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op);

/* Account the end of an RMA or atomic op towards its peer. Lock held. */
void tp_ofi_rma_done(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, int status);

/* The ops-table entries implemented in ofi_rma.c; contracts in
 * transport.h. They take the lock themselves. */
int tp_ofi_mr_reg(tp_ctx_t *ctx, void *addr, size_t len, tp_mr_t **mr_p);
int tp_ofi_mr_pack(tp_ctx_t *ctx, tp_mr_t *mr, void *buf, size_t *len_p);
void tp_ofi_mr_dereg(tp_ctx_t *ctx, tp_mr_t *mr);
int tp_ofi_rkey_unpack(tp_ctx_t *ctx, int peer, const void *blob, size_t len,
                       tp_rkey_t **rkey_p);
void tp_ofi_rkey_release(tp_ctx_t *ctx, tp_rkey_t *rkey);
int tp_ofi_put(tp_ctx_t *ctx, int peer, const void *src, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
int tp_ofi_get(tp_ctx_t *ctx, int peer, void *dst, size_t len, tp_rkey_t *rkey,
               uint64_t offset, tp_comp_t *comp);
int tp_ofi_atomic(tp_ctx_t *ctx, int peer, tp_aop_t op, size_t width, uint64_t operand,
                  uint64_t compare, void *result, tp_rkey_t *rkey, uint64_t offset,
                  tp_comp_t *comp);
int tp_ofi_flush(tp_ctx_t *ctx, int peer, int timeout_ms);

/* ---- ofi_am.c ---- */

/* Post the receive ring (after fi_enable); PRAAS_ERR_* on failure. */
int tp_ofi_am_open(tp_ofi_ctx_t *ctx);

/* A receive buffer completed with len bytes: dispatch and repost it. */
void tp_ofi_am_recv(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, size_t len);

/* A fragment's send completed (status 0) or failed. */
void tp_ofi_am_sent(tp_ofi_ctx_t *ctx, tp_ofi_op_t *op, int status);

/* Post queued fragments and receive buffers waiting for room. */
void tp_ofi_am_drain(tp_ofi_ctx_t *ctx);

/* Free the receive ring, fragments in flight or queued, reassembly
 * buffers and the per-peer arrays of connect (at close, after the
 * endpoint). */
void tp_ofi_am_close(tp_ofi_ctx_t *ctx);

/* An emulated atomic: validated by the caller; sends the request. */
int tp_ofi_amo_emulated(tp_ofi_ctx_t *ctx, int peer, tp_aop_t op, size_t width,
                        uint64_t operand, uint64_t compare, void *result,
                        tp_rkey_t *rkey, uint64_t offset, tp_comp_t *comp);

/* The ops-table entries implemented in ofi_am.c. */
int tp_ofi_am_register(tp_ctx_t *ctx, unsigned id, tp_am_handler_t handler, void *arg);
int tp_ofi_am_send(tp_ctx_t *ctx, int peer, unsigned id, const void *hdr, size_t hdr_len,
                   const void *payload, size_t payload_len);

/* Send an active message with the lock held, internal ids allowed;
 * amo_id is the emulated atomic a request belongs to (0: none). */
int tp_ofi_am_send_locked(tp_ofi_ctx_t *ctx, int peer, unsigned id, const void *hdr,
                          size_t hdr_len, const void *payload, size_t payload_len,
                          uint64_t amo_id);

#endif /* PRAAS_TP_OFI_H */
