/*
 * Windows: the internal structures shared by the files of rma/.
 *
 * Paths. Each window reaches its targets one of two ways, chosen at
 * creation for the whole window:
 * - shared memory ("direct"), when every worker is on this node and the
 *   memory was allocated by the library: each rank's segment is mapped by
 *   all the others, put and get are memcpy, accumulates are CPU atomics
 *   (rma_op_apply_atomic) applied by the origin, and the lock word is a CPU
 *   atomic. No system call, no message.
 * - the transport, otherwise: put and get are tp_put/tp_get on the target's
 *   registered memory; the accumulate family travels as an active message
 *   to the target, whose progress engine applies it with the same
 *   rma_op_apply_atomic and answers (an ack, or the old values). Every
 *   accumulate-family call goes this one way, so accumulates of one type are
 *   atomic with each other whatever their op, count or origin; the lock word
 *   is a 64-bit transport atomic.
 * One window never mixes the two, so the lock words and elements always see
 * one kind of atomic.
 *
 * Control block. Every rank of every window has a small control block
 * (rma_ctl_t) beside its memory: the passive-target lock word and the
 * striped locks that make large elements atomic. It is at the start of the
 * rank's segment (shared memory, registered with the transport).
 */
#ifndef PRAAS_RMA_RMA_H
#define PRAAS_RMA_RMA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <praas/rma.h>

#include "core/context.h"
#include "rma/op.h"
#include "transport/transport.h"

/* The lock word: the exclusive bit, or a count of shared holders. */
#define RMA_LOCK_EXCL ((uint64_t)1 << 62)

/* Windows of up to this many ranks in shared memory synchronize through
 * counters in the control blocks; larger ones through messages. */
#define RMA_SHM_SYNC_MAX 128
#define RMA_BAR_ROUNDS 32

typedef struct rma_ctl {
    uint64_t lock;
    uint64_t pad_[7];
    int oplocks[RMA_OP_NLOCKS];
    /* Shared-memory windows: the fence's dissemination barrier (round k
     * counts notices from rank - 2^k), and PSCW notices by sender. */
    uint64_t bar[RMA_BAR_ROUNDS];
    atomic_int posts[RMA_SHM_SYNC_MAX];
    atomic_int completes[RMA_SHM_SYNC_MAX];
} rma_ctl_t;

/* The control block takes one page, so data starts page-aligned. */
#define RMA_CTL_SIZE 4096u

/* What every rank knows of one target. */
typedef struct rma_target {
    size_t size;            /* bytes of the target's part */
    int disp_unit;
    unsigned char *base;    /* mapped data (direct path), else NULL */
    rma_ctl_t *ctl;         /* mapped control block (direct path), else NULL */
    tp_rkey_t *rkey;        /* the target's segment: control block, then data */
    uint64_t data_off;      /* offset of the data in the region of rkey */
    tp_rkey_t *data_rkey;   /* created windows: the user memory's own key */
    int lock_type;          /* lock held on it in this access epoch, or 0 */
    int dirty;              /* transport puts since the last flush to it */
    int lock_nocheck;       /* locked with PRAAS_MODE_NOCHECK: nothing to release */
    atomic_int pending;     /* accumulate-family messages not yet answered */
    int in_start;           /* member of the current start group */
} rma_target_t;

/* An attached region of a dynamic window. */
typedef struct rma_region {
    uintptr_t base;
    size_t size;
} rma_region_t;

enum rma_access { RMA_ACCESS_NONE, RMA_ACCESS_FENCE, RMA_ACCESS_PSCW, RMA_ACCESS_LOCK_ALL };

/* A window over some of the workers (rma_win_new_group, for the MPI layer's
 * windows over a sub-communicator). Ranks stay world ranks everywhere in
 * rma/ (targets[] is indexed by world rank, so messages need no
 * translation); the members are listed in window order. The exchange is
 * the group's allgather: every member calls it in the same order, with
 * blobs of one length; all[i * len] receives member i's blob, and len 0 is
 * a barrier. It returns 0 or a negative praas error (with core_err()). The
 * windows of the world-level API span the members of the view they were
 * created in (memb NULL in the starting view, where they are the world) and
 * use core_exchange_in() over that view instead. */
typedef struct rma_group {
    int n;
    const int *ranks; /* world ranks of the members, this worker among them */
    int (*exchange)(void *arg, const void *mine, size_t len, void *all);
    void *arg;        /* must stay valid until the window is freed */
} rma_group_t;

struct praas_win {
    uint32_t id;               /* the same at every member: agreed at creation */
    int rank, size;            /* world rank and size (targets[] is world-sized) */
    /* Members: memb[i] is the world rank of window rank i (NULL: the world,
     * window rank = world rank); me is this worker's index. */
    int nmemb, me;
    int *memb;
    rma_group_t grp;           /* group windows: the members' exchange */
    uint64_t view;             /* others: the view whose members it spans
                                  (core_exchange_in; memb NULL in view 0) */
    praas_win_flavor_t flavor;
    int direct;                /* the shared-memory path (see above) */
    void *base;                /* this rank's memory */
    size_t bytes;
    int disp_unit;
    /* This rank's segment: control block + data (allocated flavors). */
    unsigned char *seg;
    size_t seg_len;
    tp_mr_t *seg_mr;
    tp_mr_t *data_mr;          /* created windows: the user memory */
    rma_ctl_t *ctl;
    rma_target_t *targets;
    /* Epochs. */
    enum rma_access access;
    int locks_held;            /* number of targets with lock_type != 0 */
    int exposed;               /* inside a post ... wait exposure epoch */
    int *post_ranks;           /* the origins of the exposure epoch */
    int post_n;
    int *start_ranks;          /* the targets of the PSCW access epoch */
    int start_n;
    int lock_all_nocheck;      /* lock_all took no locks (PRAAS_MODE_NOCHECK) */
    /* Posts and completes received, by sender; the progress engine adds. */
    atomic_int *posts;         /* in the control block when shm_sync */
    atomic_int *completes;
    int shm_sync;              /* fence and PSCW through control blocks */
    uint64_t barriers;         /* fences' barriers done (shm_sync) */
    tp_comp_t comp;            /* local completion of puts and gets */
    atomic_int async_err;      /* a target's error for a call nobody waits on */
    /* Dynamic windows: attached regions; the progress engine reads them. */
    pthread_mutex_t regions_lock;
    rma_region_t *regions;
    int nregions, regions_cap;
};

/* A request of the r* calls. */
struct praas_request {
    praas_win_t win;
    int target;
    tp_comp_t comp;            /* transport operations */
    atomic_int replies;        /* active-message answers outstanding */
    atomic_int status;
    void *result;              /* where answered values go (get-accumulate) */
    int owned;                 /* allocated for the caller (r* calls) */
};

/* ---- win.c ---- */

/* The world rank of member i. */
static inline int rma_memb(praas_win_t win, int i)
{
    return win->memb ? win->memb[i] : i;
}

/* Whether world rank r is a member of win. */
static inline int rma_is_memb(praas_win_t win, int r)
{
    if (!win->memb)
        return r >= 0 && r < win->size;
    for (int i = 0; i < win->nmemb; i++)
        if (win->memb[i] == r)
            return 1;
    return 0;
}

/* A window over the members of g only (see rma_group_t); flavor, base,
 * size and disp_unit as for praas_win_create/allocate/allocate_shared/
 * create_dynamic. Collective over the members. Targets are world ranks;
 * the caller addresses members only (rma/comm.c checks ranks against the
 * world). */
int rma_win_new_group(const rma_group_t *g, praas_win_flavor_t flavor, void *base, size_t size,
                      int disp_unit, praas_win_t *win_p);

/* Wait for every member of win (core_exchange_in over the view of the
 * world-level API's windows: PRAAS_ERR_STATE once that view is gone). */
int rma_win_barrier(praas_win_t win);

/* The window with this id, or NULL (for the target side of messages). */
praas_win_t rma_win_lookup(uint32_t id);

/* The local address of [offset, offset + bytes) of this rank's part of
 * win, or NULL if it is not all there. For dynamic windows offset is an
 * address, which must lie in one attached region. Thread-safe. */
unsigned char *rma_win_locate(praas_win_t win, uint64_t offset, size_t bytes);

const char *rma_win_name(praas_win_t win); /* "window 3" */

/* ---- comm.c ---- */

/* Check that the access epoch covers target. */
int rma_check_access(praas_win_t win, int target, const char *what);

/* ---- am.c: messages between origin and target ---- */

int rma_am_init(tp_ctx_t *tp);

/* Send an accumulate-family operation to the target's progress engine.
 * kind is RMA_AM_ACC (answered by an ack) or RMA_AM_GACC / RMA_AM_CAS
 * (answered with the old values, copied to req->result). req may not be
 * NULL: its replies count goes up by one until the answer. */
enum rma_am_kind {
    RMA_AM_ACC = 1,
    RMA_AM_GACC,
    RMA_AM_CAS,
    RMA_AM_ANSWER,
    RMA_AM_POST,
    RMA_AM_COMPLETE,
    RMA_AM_PUT, /* dynamic windows: data to an attached address, acked */
    RMA_AM_GET, /* dynamic windows: answered with the data */
};
int rma_am_send_op(praas_win_t win, int target, enum rma_am_kind kind, praas_op_t op,
                   praas_type_t type, uint64_t offset, const void *origin,
                   const void *compare, size_t count, struct praas_request *req);

/* Tell a rank we posted to it / completed our access to it. */
int rma_am_send_sync(praas_win_t win, int rank, enum rma_am_kind kind);

/* ---- sync.c ---- */

/* Complete everything issued to target (every target when target < 0) at
 * the target (remote != 0) or only locally. */
int rma_flush(praas_win_t win, int target, int remote);

/* Wait until *counter is 0, making progress; PRAAS_ERR_TIMEOUT naming what
 * after the operation timeout (PRAAS_OP_TIMEOUT). */
int rma_wait_counter(atomic_int *counter, const char *what, praas_win_t win);

#endif /* PRAAS_RMA_RMA_H */
