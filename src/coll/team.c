/*
 * The collective team: its window, the chunk channels between ranks
 * (coll_run) and the dissemination barrier. See coll.h for the layout.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/wait.h"
#include "rma/op.h"

/* The team of the view of the last collective, and the teams of earlier
 * views: kept until praas_finalize, since a peer may still bump a flag of
 * this rank for a collective this rank has finished. */
static coll_team_t *coll_world;
static coll_team_t *coll_older;
/* The team a non-blocking collective's thread uses (chosen, and counted,
 * in the caller's thread by nb_start: coll_team_use). */
static _Thread_local coll_team_t *coll_nb_team;

/* Flag indices in a rank's flags area. */
static inline size_t flag_posted(const coll_team_t *t, int sender)
{
    (void)t;
    return (size_t)sender;
}

static inline size_t flag_credit(const coll_team_t *t, int receiver)
{
    return (size_t)t->size + (size_t)receiver;
}

static inline size_t flag_bar(const coll_team_t *t, int round)
{
    return 2 * (size_t)t->size + (size_t)round;
}

/* Byte offset of sender's slot i in a receiver's memory. */
static inline size_t slot_off(const coll_team_t *t, int sender, uint64_t i)
{
    return t->flags_bytes + ((size_t)sender * COLL_DEPTH + (size_t)(i % COLL_DEPTH)) *
                                t->slot_bytes;
}

/* Sequentially consistent (shm_read): coll_run reads flags again after
 * announcing itself on its bell (shm_wait.h). */
static inline uint64_t flag_read(const coll_team_t *t, size_t idx)
{
    return shm_read((uint64_t *)t->base + idx);
}

/* Add one to flag idx at peer, after everything written to it before. On
 * shared memory, one atomic, then a look at the peer's bell: it is rung
 * only if someone sleeps on it. */
static int flag_bump(coll_team_t *t, int peer, size_t idx)
{
    static const int64_t one = 1;

    if (t->peers) {
        shm_bump((uint64_t *)t->peers[peer] + idx, coll_bell(t, peer));
        return 0;
    }
    return praas_accumulate(&one, 1, PRAAS_INT64, t->memb[peer], idx * sizeof(int64_t),
                            PRAAS_OP_SUM, t->win);
}

/* Write bytes at offset off of peer's memory (remotely complete on return
 * for the transport path, so a following flag_bump orders after it). */
static int peer_write(coll_team_t *t, int peer, size_t off, const void *a, size_t alen,
                      const void *b, size_t blen)
{
    int rc;

    if (t->peers) {
        memcpy(t->peers[peer] + off, a, alen);
        if (blen)
            memcpy(t->peers[peer] + off + alen, b, blen);
        return 0;
    }
    rc = praas_put(a, alen, PRAAS_BYTE, t->memb[peer], off, t->win);
    if (!rc && blen)
        rc = praas_put(b, blen, PRAAS_BYTE, t->memb[peer], off + alen, t->win);
    if (!rc)
        rc = praas_win_flush(t->memb[peer], t->win);
    return rc;
}

static void coll_team_free(coll_team_t *t)
{
    if (t->win) {
        if (!t->peers)
            praas_win_unlock_all(t->win);
        praas_win_free(&t->win);
    }
    free(t->peers);
    free(t->memb);
    free(t->sent);
    free(t->consumed);
    free(t);
}

void coll_team_release(void)
{
    /* The current team frees with a barrier of its view, the older ones
     * alone (praas_win_free: their views are gone). */
    if (coll_world) {
        coll_team_free(coll_world);
        coll_world = NULL;
    }
    while (coll_older) {
        coll_team_t *t = coll_older;
        coll_older = t->older;
        coll_team_free(t);
    }
}

void coll_team_use(coll_team_t *team)
{
    coll_nb_team = team;
}

/* Build the team of view `view` (inside the unit of exchanges the caller
 * began: the window and the barrier run in that view). */
static int coll_team_new(uint64_t view, coll_team_t **team_p)
{
    const core_cfg_t *cfg = core_cfg();
    coll_team_t *t;
    size_t bytes;
    int rc, n = 0;

    t = calloc(1, sizeof(*t));
    if (!t)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the collective team");
    t->view = view;
    t->memb = malloc(sizeof(*t->memb) * (size_t)core_world_max());
    if (!t->memb) {
        free(t);
        return core_err(PRAAS_ERR_NOMEM, "no memory for the collective team");
    }
    rc = core_view_members(t->memb, core_world_max(), &n);
    if (rc)
        goto err;
    t->size = n;
    t->rank = -1;
    for (int i = 0; i < n; i++)
        if (t->memb[i] == (int)cfg->rank)
            t->rank = i;
    if (t->rank < 0) {
        rc = core_err(PRAAS_ERR_STATE, "rank %ld is not a member of view %llu: it takes part "
                      "in no collective", cfg->rank, (unsigned long long)view);
        goto err;
    }
    t->timeout_ms = (int)cfg->op_timeout_ms;
    rc = shm_wait_policy_make(cfg->coll_wait, cfg->local_size, shm_wait_cpus(), &t->wait);
    if (rc)
        goto err;
    /* Chunks big enough to stream at memory speed, small enough that the
     * window stays a few MiB per rank whatever the worker count. */
    t->chunk = (size_t)cfg->coll_chunk;
    if ((size_t)t->size * COLL_DEPTH * t->chunk > ((size_t)64 << 20))
        t->chunk = PRAAS_MAX(((size_t)64 << 20) / ((size_t)t->size * COLL_DEPTH), 4096);
    t->chunk &= ~(size_t)63; /* whole elements of every type */
    t->slot_bytes = sizeof(coll_chunk_hdr_t) + t->chunk;
    t->flags_bytes = (coll_flag_count(t) * sizeof(uint64_t) + 63) & ~(size_t)63;
    /* The staging area of the shared-memory allreduce, which reads peers'
     * memory directly (algos.c): two halves, each as large as one
     * channel's ring and at least 2 MiB, so that an allreduce of up to
     * 2 MiB is one segment (2 barriers); the segments of a larger one
     * alternate between the halves. Larger halves mean fewer barriers,
     * which matter most when workers outnumber cores, but n halves beyond
     * the last-level cache make every copy go to memory. On 4 workers on 2
     * busy cores, 2 MiB halves did better than 1 MiB ones at 2 MiB and no
     * worse than 4 MiB ones (noisy figures). Pages of the stage are
     * touched only by allreduces that large (the second half only by
     * those above one half). */
    t->stage_off = t->flags_bytes + (size_t)t->size * COLL_DEPTH * t->slot_bytes;
    t->stage_bytes = 2 * PRAAS_MAX(COLL_DEPTH * t->chunk, COLL_STAGE_MIN);
    bytes = t->stage_off + t->stage_bytes;
    t->sent = calloc((size_t)t->size, sizeof(*t->sent));
    t->consumed = calloc((size_t)t->size, sizeof(*t->consumed));
    if (!t->sent || !t->consumed) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for the collective team");
        goto err;
    }
    rc = praas_win_allocate(bytes, 1, &t->base, &t->win);
    if (rc)
        goto err;
    memset(t->base, 0, t->flags_bytes);
    t->stage = t->base + t->stage_off;
    /* Shared memory: address every peer directly. */
    if (praas_win_shared_query(t->win, (int)cfg->rank, NULL, NULL, NULL) == 0) {
        t->peers = calloc((size_t)t->size, sizeof(*t->peers));
        if (!t->peers) {
            rc = core_err(PRAAS_ERR_NOMEM, "no memory for the collective team");
            goto err;
        }
        for (int r = 0; r < t->size; r++)
            praas_win_shared_query(t->win, t->memb[r], NULL, NULL, &t->peers[r]);
    } else {
        rc = praas_win_lock_all(PRAAS_MODE_NOCHECK, t->win);
        if (rc)
            goto err;
    }
    /* Nobody writes into a peer before the peer has zeroed its flags. */
    rc = core_barrier(t->timeout_ms);
    if (rc)
        goto err;
    core_on_finalize(coll_team_release);
    if (coll_world) {
        coll_world->older = coll_older;
        coll_older = coll_world;
    }
    coll_world = t;
    *team_p = t;
    return 0;
err:
    coll_team_free(t);
    return rc;
}

int coll_team_get(coll_team_t **team_p)
{
    uint64_t view;
    int rc;

    if (coll_nb_team) {
        *team_p = coll_nb_team;
        return 0;
    }
    if (!core_cfg())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    /* Each collective counts as one unit of the view's exchanges, so that
     * at a change every member runs the same collectives in the old view
     * (core_exchange_begin); the first one in a new view builds its team. */
    rc = core_exchange_begin(&view, (int)core_cfg()->op_timeout_ms);
    if (rc)
        return rc;
    if (coll_world && coll_world->view == view)
        *team_p = coll_world;
    else
        rc = coll_team_new(view, team_p);
    core_exchange_end();
    return rc;
}

/* Try to write the next chunk of a send; returns 1 if it did, 0 if the
 * channel is full, or an error. */
static int coll_try_send(coll_team_t *t, coll_xfer_t *x)
{
    coll_chunk_hdr_t hdr = {.msg_bytes = x->bytes};
    uint64_t credit = flag_read(t, flag_credit(t, x->peer));
    size_t n;
    int rc;

    if (t->sent[x->peer] - credit >= COLL_DEPTH)
        return 0;
    n = PRAAS_MIN(t->chunk, x->bytes - x->done);
    rc = peer_write(t, x->peer, slot_off(t, t->rank, t->sent[x->peer]), &hdr, sizeof(hdr),
                    (const unsigned char *)x->buf + x->done, n);
    if (!rc)
        rc = flag_bump(t, x->peer, flag_posted(t, t->rank));
    if (rc)
        return rc;
    t->sent[x->peer]++;
    x->done += n;
    return 1;
}

/* Try to consume the next chunk of a receive, as try_send. */
static int coll_try_recv(coll_team_t *t, coll_xfer_t *x)
{
    uint64_t posted = flag_read(t, flag_posted(t, x->peer));
    const unsigned char *slot;
    coll_chunk_hdr_t hdr;
    size_t n;
    int rc;

    if (posted <= t->consumed[x->peer])
        return 0;
    slot = t->base + slot_off(t, x->peer, t->consumed[x->peer]);
    memcpy(&hdr, slot, sizeof(hdr));
    if (hdr.msg_bytes != x->bytes)
        return core_err(PRAAS_ERR_INVALID,
                        "collective: rank %d sent a message of %llu bytes where rank %d expected "
                        "%zu (mismatched counts or types)",
                        x->peer, (unsigned long long)hdr.msg_bytes, t->rank, x->bytes);
    n = PRAAS_MIN(t->chunk, x->bytes - x->done);
    if (x->kind == COLL_RECV_COPY)
        memcpy((unsigned char *)x->buf + x->done, slot + sizeof(hdr), n);
    else {
        if (x->init)
            memcpy((unsigned char *)x->buf + x->done, (const unsigned char *)x->init + x->done,
                   n);
        coll_op_apply(x->op, x->type, slot + sizeof(hdr), (unsigned char *)x->buf + x->done,
                      n / praas_type_size(x->type));
    }
    t->consumed[x->peer]++;
    x->done += n;
    rc = flag_bump(t, x->peer, flag_credit(t, t->rank));
    return rc ? rc : 1;
}


int coll_run(coll_team_t *t, coll_xfer_t *xfers, int n)
{
    uint64_t deadline = core_deadline(t->timeout_ms);
    tp_ctx_t *tp = core_tp();
    core_waiter_t w;
    unsigned turns = 0;
    int left = 0, rc, first_err = 0;

    if (t->broken)
        return core_err(PRAAS_ERR_STATE,
                        "collectives are unusable after an earlier mismatched or failed one");
    for (int i = 0; i < n; i++) {
        xfers[i].done = 0;
        if (xfers[i].bytes)
            left++;
    }
    core_wait_init(&w, tp);
    while (left) {
        int moved = 0, armed = 0;
        uint64_t seen = 0;

        /* Shared memory, after the spin budget: announce this rank on its
         * bell before the pass, so that the pass is the check after the
         * announcement (shm_wait.h) and the sleep below misses nothing. */
        if (t->peers && w.idle >= t->wait.block_after) {
            seen = shm_bell_arm(coll_bell(t, t->rank));
            armed = 1;
        }
        for (int i = 0; i < n; i++) {
            coll_xfer_t *x = &xfers[i];
            if (x->done == x->bytes)
                continue;
            rc = x->kind == COLL_SEND ? coll_try_send(t, x) : coll_try_recv(t, x);
            if (rc < 0) {
                /* Give up this transfer but finish the others, so the peers
                 * that wait for our sends see the error too, not a hang. */
                if (!first_err) {
                    first_err = rc;
                    t->broken = 1;
                }
                x->done = x->bytes;
                left--;
                continue;
            }
            moved += rc;
            if (x->done == x->bytes)
                left--;
        }
        /* Shared memory needs no transport progress; elsewhere this thread
         * progresses it while it waits (core/wait.h). */
        if (!t->peers) {
            int ev = tp_progress(tp);
            core_wait_step(&w, moved + (ev > 0 ? ev : 0));
        } else if (moved || !left) {
            if (armed)
                shm_bell_disarm(coll_bell(t, t->rank));
            w.idle = 0;
            continue;
        } else if (armed) {
            shm_bell_sleep(coll_bell(t, t->rank), seen, deadline);
            turns |= 0xff; /* check the deadline after every sleep */
        } else {
            core_backoff(++w.idle);
        }
        if ((++turns & 0xff) == 0 && core_expired(deadline)) {
            t->broken = 1;
            core_wait_done(&w);
            return core_err(PRAAS_ERR_TIMEOUT,
                            "collective: %d transfers of rank %d not done after %d ms", left,
                            t->rank, t->timeout_ms);
        }
    }
    core_wait_done(&w);
    return first_err;
}

int coll_barrier(coll_team_t *t)
{
    uint64_t deadline = core_deadline(t->timeout_ms), want;
    tp_ctx_t *tp = core_tp();
    int rc;

    if (t->broken)
        return core_err(PRAAS_ERR_STATE,
                        "collectives are unusable after an earlier mismatched or failed one");
    want = ++t->barriers;

    /* Round k: tell rank + 2^k, wait for rank - 2^k. Round counters only
     * grow, so an early notice of the next barrier is harmless. */
    for (int k = 0; (1 << k) < t->size; k++) {
        unsigned idle = 0;
        rc = flag_bump(t, (t->rank + (1 << k)) % t->size, flag_bar(t, k));
        if (rc)
            return rc;
        if (t->peers) {
            /* Shared memory: spin, then sleep on this rank's bell. */
            rc = shm_wait_geq((uint64_t *)t->base + flag_bar(t, k), want, coll_bell(t, t->rank),
                              &t->wait, deadline);
            if (rc)
                return core_err(rc, "barrier: round %d not done after %d ms", k, t->timeout_ms);
            continue;
        }
        while (flag_read(t, flag_bar(t, k)) < want) {
            tp_progress(tp);
            core_backoff(++idle);
            if ((idle & 0xff) == 0 && core_expired(deadline))
                return core_err(PRAAS_ERR_TIMEOUT, "barrier: round %d not done after %d ms", k,
                                t->timeout_ms);
        }
    }
    return 0;
}
