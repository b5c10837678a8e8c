/*
 * Collectives: the internal structures shared by the files of src/coll/.
 *
 * Everything moves through one window per team (the workers of the view),
 * created at the first collective. Each rank's part of it holds
 *   - flags (int64): posted[s], the chunks rank s has written into this
 *     rank's slots; credit[r], the chunks rank r has consumed of those this
 *     rank wrote to it; bar[k], the dissemination barrier's round k;
 *     stage_done (algos.c); the bell its waiters sleep on (shm_wait.h);
 *   - slots: for every sender, a ring of COLL_DEPTH chunks (a small header,
 *     then up to chunk bytes of data).
 * A channel from rank a to rank b is a's writes into b's ring: a waits for a
 * free slot (credit), writes a chunk, then bumps posted[a] at b; b waits
 * for posted, consumes the chunk (copy or reduce), then bumps credit[b] at a.
 * Large messages thus stream through in pipelined chunks, and each
 * algorithm step is a set of sends and receives run together (coll_run),
 * so no order of blocking calls can deadlock.
 *
 * On one node the window is in shared memory: a write is a memcpy into the
 * peer's mapped memory and a notification one CPU atomic. Elsewhere it is a
 * put, a flush and an accumulate on the flag (the window's transport path).
 * On shared memory a rank that has waited for a while sleeps on its bell
 * (or the bell of the rank whose flag it waits for), and a notification
 * rings the bell when someone sleeps on it (t->wait, PRAAS_COLL_WAIT).
 */
#ifndef PRAAS_COLL_COLL_H
#define PRAAS_COLL_COLL_H

#include <stdint.h>

#include <praas/coll.h>
#include <praas/rma.h>

#include "coll/shm_wait.h"

/* Chunks in flight per channel. */
#define COLL_DEPTH 4
/* The smallest half of the staging area (team.c), and the segment of the
 * shared-memory allreduce of a vector larger than a half (algos.c): on 4
 * workers, 512 KiB segments were up to 15% faster than 1 and 2 MiB ones
 * from 4 MiB up (n stages of a segment stay in the last-level cache), and
 * as fast as the 1 MiB segments of three barriers each before them. */
#define COLL_STAGE_MIN ((size_t)2 << 20)
#define COLL_SEG_MULTI ((size_t)512 << 10)
#define COLL_BAR_ROUNDS 32

typedef struct coll_chunk_hdr {
    uint64_t msg_bytes; /* length of the whole message: checked by the receiver */
    uint64_t pad;
} coll_chunk_hdr_t;

typedef struct coll_team {
    /* Team ranks are positions in the sorted members of the team's view:
     * rank and size are this worker's position and the member count, and
     * memb[i] the world rank of team rank i (the window's target). */
    int rank, size;
    int *memb;
    uint64_t view;
    struct coll_team *older; /* the teams of earlier views (team.c) */
    praas_win_t win;
    unsigned char *base;   /* this rank's window memory */
    unsigned char **peers; /* every rank's memory, when mapped (shared memory) */
    size_t chunk;          /* data bytes per chunk */
    size_t slot_bytes;     /* header + chunk */
    size_t flags_bytes;
    unsigned char *stage;  /* this rank's staging area (after the slots) */
    size_t stage_bytes;    /* its size: two halves, each a multiple of 64 */
    size_t stage_off;      /* its offset in every rank's memory */
    uint64_t stage_turn;   /* segments staged so far, the same count at every rank */
    uint64_t half_used[2]; /* 1 + the turn that last used each half of the stage, or 0 */
    uint64_t *sent;        /* chunks written to each peer */
    uint64_t *consumed;    /* chunks consumed from each peer */
    uint64_t barriers;     /* barriers done */
    int broken;            /* a collective failed half-way: channels out of step */
    int timeout_ms;
    shm_wait_policy_t wait; /* how shared-memory waits spin, then sleep (PRAAS_COLL_WAIT) */
} coll_team_t;

/* One send or receive of an algorithm step. */
typedef enum coll_xfer_kind { COLL_SEND, COLL_RECV_COPY, COLL_RECV_REDUCE } coll_xfer_kind_t;

typedef struct coll_xfer {
    coll_xfer_kind_t kind;
    int peer;
    void *buf;             /* source (send) or destination (receive) */
    size_t bytes;
    praas_op_t op;         /* COLL_RECV_REDUCE: buf = buf OP chunk, element-wise */
    const void *init;      /* COLL_RECV_REDUCE: if set, buf = init OP chunk instead
                            * (each chunk copied from init just before, cache-hot) */
    praas_type_t type;
    size_t done;           /* bytes moved so far */
} coll_xfer_t;

/* The index (in int64 flags) of a rank's stage_done flag: 1 + the last
 * turn whose blocks this rank has copied out of every stage (algos.c). It
 * follows the posted, credit and barrier flags. */
static inline size_t coll_flag_stage_done(const coll_team_t *t)
{
    return 2 * (size_t)t->size + COLL_BAR_ROUNDS;
}

/* The index of a rank's bell (two int64 flags: shm_wait.h), after
 * stage_done. On shared memory, whoever updates a flag of rank r rings r's
 * bell; whoever waits for one of them sleeps on it (coll_bell). */
static inline size_t coll_flag_bell(const coll_team_t *t)
{
    return coll_flag_stage_done(t) + 1;
}

/* The int64 flags of a rank's flags area. */
static inline size_t coll_flag_count(const coll_team_t *t)
{
    return coll_flag_bell(t) + sizeof(shm_bell_t) / sizeof(uint64_t);
}

/* Rank r's bell (shared memory only: t->peers set). */
static inline shm_bell_t *coll_bell(const coll_team_t *t, int r)
{
    return (shm_bell_t *)((uint64_t *)t->peers[r] + coll_flag_bell(t));
}

/* The team of the view installed, created at the first collective in
 * that view (collectively). Counts one unit of the view's exchanges
 * (core_exchange_begin): call it once per collective, from the thread
 * that makes the collective calls. */
int coll_team_get(coll_team_t **team_p);

/* From now on, coll_team_get in this thread gives team without counting
 * (a non-blocking collective's thread, whose caller counted it). */
void coll_team_use(coll_team_t *team);

/* Run every transfer until all are done; PRAAS_ERR_TIMEOUT after the
 * operation timeout, PRAAS_ERR_INVALID when a peer's message length
 * differs from the one expected (mismatched counts). */
int coll_run(coll_team_t *team, coll_xfer_t *xfers, int n);

/* Shorthands that fill a coll_xfer_t. */
static inline coll_xfer_t coll_send(int peer, const void *buf, size_t bytes)
{
    return (coll_xfer_t){.kind = COLL_SEND, .peer = peer, .buf = (void *)buf, .bytes = bytes};
}

static inline coll_xfer_t coll_recv(int peer, void *buf, size_t bytes)
{
    return (coll_xfer_t){.kind = COLL_RECV_COPY, .peer = peer, .buf = buf, .bytes = bytes};
}

static inline coll_xfer_t coll_recv_reduce(int peer, void *buf, size_t bytes, praas_op_t op,
                                           praas_type_t type)
{
    return (coll_xfer_t){.kind = COLL_RECV_REDUCE, .peer = peer, .buf = buf, .bytes = bytes,
                         .op = op, .type = type};
}

/* The dissemination barrier. */
int coll_barrier(coll_team_t *team);

/* ---- ops (op.c) ---- */

/* Check that op (predefined or user-defined) reduces type in a collective. */
int coll_op_check(praas_op_t op, praas_type_t type);
/* inout = in OP inout, element-wise (MPI's order for user functions). */
void coll_op_apply(praas_op_t op, praas_type_t type, const void *in, void *inout, size_t count);
/* Whether op is commutative (every predefined op is). */
int coll_op_commutes(praas_op_t op);

/* Release the team (praas_finalize). */
void coll_team_release(void);

#endif /* PRAAS_COLL_COLL_H */
