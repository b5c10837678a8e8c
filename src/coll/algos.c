/*
 * The collective algorithms, as steps of coll_run() transfers.
 *
 * Choices (PRAAS_COLL_ALLREDUCE=auto|gather|ring forces one):
 * - barrier: dissemination, ceil(log2 n) rounds of one notification.
 * - allreduce, small (n * bytes <= PRAAS_COLL_SMALL) or a non-commutative
 *   op: every rank sends its vector to every other and folds all n in rank
 *   order, one round; large, on one node (shared memory): each rank folds
 *   its block of the vector straight from the peers' staging areas
 *   (shm_allreduce); large elsewhere: ring reduce-scatter then ring
 *   allgather, 2 (n-1)/n of the vector on the wire per rank. Either way every block is
 *   reduced in one fixed order at one place, so all ranks get the same bits.
 * - bcast: binomial tree; reduce: like allreduce, but blocks (or vectors)
 *   go to the root only; reduce_scatter_block: the ring's first half;
 *   allgather: all-to-all when small, ring when large; gather, scatter,
 *   alltoall: one round of direct transfers.
 */
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "core/common.h"
#include "core/context.h"
#include "core/error.h"

/* Elements in block b of count split over n blocks, and its first element. */
static size_t blk_count(size_t count, int n, int b)
{
    return count / (size_t)n + ((size_t)b < count % (size_t)n);
}

static size_t blk_first(size_t count, int n, int b)
{
    return (size_t)b * (count / (size_t)n) + PRAAS_MIN((size_t)b, count % (size_t)n);
}

static int mod(int a, int n)
{
    return ((a % n) + n) % n;
}

/* Common checks; returns the team and the element size. */
static int coll_begin(const char *what, const void *a, const void *b, size_t count,
                      praas_type_t type, coll_team_t **t_p, size_t *ts_p)
{
    size_t ts = praas_type_size(type);

    if (!ts)
        return core_err(PRAAS_ERR_INVALID, "%s: %d is not a praas type", what, (int)type);
    if (count && (!a || !b))
        return core_err(PRAAS_ERR_INVALID, "%s of %zu elements with a NULL buffer", what, count);
    if (count > SIZE_MAX / ts / 1024)
        return core_err(PRAAS_ERR_INVALID, "%s: count %zu is too large", what, count);
    *ts_p = ts;
    return coll_team_get(t_p);
}

/* Check a root (a world rank) and turn it into its team rank. */
static int coll_check_root(coll_team_t *t, int *root, const char *what)
{
    for (int i = 0; i < t->size; i++)
        if (t->memb[i] == *root) {
            *root = i;
            return 0;
        }
    return core_err(PRAAS_ERR_RANGE, "%s: root %d is not one of the %d members of view %llu",
                    what, *root, t->size, (unsigned long long)t->view);
}

static int coll_use_gather(size_t count, size_t bytes, int n, praas_op_t op)
{
    const char *force = core_cfg()->coll_allreduce;

    if (!coll_op_commutes(op) || count < (size_t)n)
        return 1;
    if (!strcmp(force, "gather"))
        return 1;
    if (!strcmp(force, "ring"))
        return 0;
    return bytes * (size_t)n <= (size_t)core_cfg()->coll_small;
}

/* Ring reduce-scatter on buf (count elements): afterwards rank r holds
 * block (r + 1 + shift) mod n fully reduced. The input is `in` (which may
 * be buf itself): each block is read from it at its first use, so buf needs
 * no copy of the input beforehand; blocks of buf that this rank never
 * receives keep whatever they held (the allgather that follows fills them). */
static int ring_reduce_scatter(coll_team_t *t, const unsigned char *in, unsigned char *buf,
                               size_t count, praas_type_t type, praas_op_t op, int shift)
{
    int n = t->size, r = t->rank, succ = mod(r + 1, n), pred = mod(r - 1, n), rc;
    size_t ts = praas_type_size(type);

    for (int s = 0; s < n - 1; s++) {
        int sb = mod(r - s + shift, n), rb = mod(r - s - 1 + shift, n);
        /* Step 0 sends an input block; later steps the block reduced in
         * the step before. Each received block combines the input's. */
        const unsigned char *src = s == 0 ? in : buf;
        coll_xfer_t x[2] = {
            coll_send(succ, src + blk_first(count, n, sb) * ts, blk_count(count, n, sb) * ts),
            coll_recv_reduce(pred, buf + blk_first(count, n, rb) * ts,
                             blk_count(count, n, rb) * ts, op, type),
        };
        if (in != buf)
            x[1].init = in + blk_first(count, n, rb) * ts;
        rc = coll_run(t, x, 2);
        if (rc)
            return rc;
    }
    return 0;
}

/* Ring allgather of the blocks of buf, rank r starting with block
 * (r + 1 + shift) mod n. */
static int ring_allgather(coll_team_t *t, unsigned char *buf, size_t count, size_t ts,
                          int shift)
{
    int n = t->size, r = t->rank, succ = mod(r + 1, n), pred = mod(r - 1, n), rc;

    for (int s = 0; s < n - 1; s++) {
        int sb = mod(r + 1 - s + shift, n), rb = mod(r - s + shift, n);
        coll_xfer_t x[2] = {
            coll_send(succ, buf + blk_first(count, n, sb) * ts, blk_count(count, n, sb) * ts),
            coll_recv(pred, buf + blk_first(count, n, rb) * ts, blk_count(count, n, rb) * ts),
        };
        rc = coll_run(t, x, 2);
        if (rc)
            return rc;
    }
    return 0;
}

/* Send my vector to every rank in `to` (all when to < 0) and receive every
 * rank's into all[p * bytes] (when receiving), mine included. */
static int all_to_one_or_all(coll_team_t *t, const void *mine, size_t bytes, unsigned char *all,
                             int to)
{
    coll_xfer_t *x = malloc(sizeof(*x) * 2 * (size_t)t->size);
    int nx = 0, rc;

    if (!x)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a collective");
    for (int p = 0; p < t->size; p++) {
        if (p == t->rank)
            continue;
        if (to < 0 || to == p)
            x[nx++] = coll_send(p, mine, bytes);
        if (all)
            x[nx++] = coll_recv(p, all + (size_t)p * bytes, bytes);
    }
    if (all)
        memcpy(all + (size_t)t->rank * bytes, mine, bytes);
    rc = coll_run(t, x, nx);
    free(x);
    return rc;
}

/* Fold the n vectors of all in rank order; the result ends in the last. */
static unsigned char *fold_in_order(coll_team_t *t, unsigned char *all, size_t count,
                                    size_t bytes, praas_type_t type, praas_op_t op)
{
    for (int k = 1; k < t->size; k++)
        coll_op_apply(op, type, all + (size_t)(k - 1) * bytes, all + (size_t)k * bytes, count);
    return all + (size_t)(t->size - 1) * bytes;
}

/* Wait until every rank has copied out its blocks of turn want - 1 (and so
 * of every turn before): then nobody reads what that turn left in a stage.
 * Rank q's flag is in q's memory, and q rings its own bell when it sets it
 * (shm_allreduce), so a waiter spins, then sleeps on q's bell. */
static int stage_wait_done(coll_team_t *t, uint64_t want)
{
    uint64_t deadline = core_deadline(t->timeout_ms);
    size_t idx = coll_flag_stage_done(t);

    for (int q = 0; q < t->size; q++) {
        const uint64_t *done = (const uint64_t *)t->peers[q] + idx;

        if (shm_wait_geq(done, want, coll_bell(t, q), &t->wait, deadline)) {
            t->broken = 1;
            return core_err(PRAAS_ERR_TIMEOUT,
                            "allreduce: rank %d still reads its stage after %d ms", q,
                            t->timeout_ms);
        }
    }
    return 0;
}

/* Allreduce on one node, reading the peers' memory directly. The vector
 * goes through in segments (one when it fits in half the staging area,
 * else of COLL_SEG_MULTI bytes): for each, every rank
 * copies its part of the input into a half of its stage; after a barrier,
 * rank r folds block r of every other rank's half into block r of its own
 * (only r touches block r of any half in this phase), in rank order; after
 * a second barrier every rank copies every block out of its owner's half,
 * then says so in its stage_done flag. A half is written again only when
 * every rank's flag shows that it has copied out of that half's last use:
 * a wait that is usually over before it starts, where a third barrier
 * would make every call wait for the slowest reader. Segments alternate
 * between the halves, so one segment's copies in overlap the previous
 * one's slow readers; every call starts with the first half, so repeated
 * calls of up to one half keep one half in the cache. About 2 copies and
 * one reducing pass per byte, and 2 barriers per segment, where the ring
 * makes 2 (n - 1) dependent steps. Every block is reduced once, at its
 * owner, in one fixed order (its owner's element first, then the others'
 * by rank: acc = x_q OP acc), so every rank gets the same bits; the op
 * must commute. */
static int shm_allreduce(coll_team_t *t, const unsigned char *in, unsigned char *out,
                         size_t count, praas_type_t type, praas_op_t op)
{
    size_t ts = praas_type_size(type);
    size_t half = t->stage_bytes / 2;
    /* Elements per segment: all of them when they fit in a half (fewest
     * barriers), else COLL_SEG_MULTI bytes' worth, so that the n stages
     * of a segment and its share of the input and output stay in the
     * last-level cache. */
    size_t seg = count * ts <= half ? count : COLL_SEG_MULTI / ts;
    uint64_t *done = (uint64_t *)t->base + coll_flag_stage_done(t);
    int n = t->size, r = t->rank, h = 0, rc;

    for (size_t first = 0; first < count; first += seg, h ^= 1) {
        size_t c = PRAAS_MIN(seg, count - first);
        size_t mine = blk_first(c, n, r), nmine = blk_count(c, n, r);
        size_t off = t->stage_off + (size_t)h * half;
        unsigned char *own = t->base + off;
        uint64_t turn = t->stage_turn++;

        if (t->half_used[h]) {
            rc = stage_wait_done(t, t->half_used[h]);
            if (rc)
                return rc;
        }
        t->half_used[h] = turn + 1;
        memcpy(own, in + first * ts, c * ts);
        rc = coll_barrier(t);
        if (rc)
            return rc;
        for (int q = 0; q < n && nmine; q++)
            if (q != r)
                coll_op_apply(op, type, t->peers[q] + off + mine * ts, own + mine * ts, nmine);
        rc = coll_barrier(t);
        if (rc)
            return rc;
        for (int q = 0; q < n; q++)
            if (blk_count(c, n, q))
                memcpy(out + (first + blk_first(c, n, q)) * ts,
                       t->peers[q] + off + blk_first(c, n, q) * ts, blk_count(c, n, q) * ts);
        shm_store(done, turn + 1, coll_bell(t, r));
    }
    return 0;
}

PRAAS_API int praas_barrier(void)
{
    coll_team_t *t;
    int rc = coll_team_get(&t);

    return rc ? rc : coll_barrier(t);
}

PRAAS_API int praas_allreduce(const void *send, void *recv, size_t count, praas_type_t type,
                              praas_op_t op)
{
    size_t ts, bytes;
    unsigned char *all;
    coll_team_t *t;
    int rc;

    rc = coll_begin("allreduce", send, recv, count, type, &t, &ts);
    if (!rc)
        rc = coll_op_check(op, type);
    if (rc || !count)
        return rc;
    bytes = count * ts;
    if (send == PRAAS_IN_PLACE)
        send = recv;
    if (t->size > 1 && !coll_use_gather(count, bytes, t->size, op)) {
        /* On one node, read the peers directly, unless the ring is asked
         * for; elsewhere the ring, which reads the input where it is. */
        if (t->peers && strcmp(core_cfg()->coll_allreduce, "ring") != 0)
            return shm_allreduce(t, send, recv, count, type, op);
        rc = ring_reduce_scatter(t, send, recv, count, type, op, 0);
        return rc ? rc : ring_allgather(t, recv, count, ts, 0);
    }
    if (send != recv)
        memcpy(recv, send, bytes);
    if (t->size == 1)
        return 0;
    all = malloc(bytes * (size_t)t->size);
    if (!all)
        return core_err(PRAAS_ERR_NOMEM, "allreduce: no memory for %d x %zu bytes", t->size,
                        bytes);
    rc = all_to_one_or_all(t, recv, bytes, all, -1);
    if (!rc)
        memcpy(recv, fold_in_order(t, all, count, bytes, type, op), bytes);
    free(all);
    return rc;
}

PRAAS_API int praas_reduce(const void *send, void *recv, size_t count, praas_type_t type,
                           praas_op_t op, int root)
{
    size_t ts, bytes;
    unsigned char *acc;
    coll_team_t *t;
    int rc;

    rc = coll_begin("reduce", send, send, count, type, &t, &ts);
    if (!rc)
        rc = coll_op_check(op, type);
    if (!rc)
        rc = coll_check_root(t, &root, "reduce");
    if (!rc && t->rank == root && count && !recv)
        rc = core_err(PRAAS_ERR_INVALID, "reduce: NULL receive buffer at the root");
    if (rc || !count)
        return rc;
    bytes = count * ts;
    if (send == PRAAS_IN_PLACE) {
        if (t->rank != root)
            return core_err(PRAAS_ERR_INVALID, "reduce: PRAAS_IN_PLACE is for the root only");
        send = recv;
    }
    if (t->size == 1) {
        if (send != recv)
            memcpy(recv, send, bytes);
        return 0;
    }
    if (coll_use_gather(count, bytes, t->size, op)) {
        unsigned char *all = t->rank == root ? malloc(bytes * (size_t)t->size) : NULL;
        if (t->rank == root && !all)
            return core_err(PRAAS_ERR_NOMEM, "reduce: no memory");
        if (t->rank == root) {
            coll_xfer_t *x = malloc(sizeof(*x) * (size_t)t->size);
            int nx = 0;
            for (int p = 0; p < t->size && x; p++)
                if (p != root)
                    x[nx++] = coll_recv(p, all + (size_t)p * bytes, bytes);
            memcpy(all + (size_t)root * bytes, send, bytes);
            rc = x ? coll_run(t, x, nx) : PRAAS_ERR_NOMEM;
            free(x);
            if (!rc)
                memcpy(recv, fold_in_order(t, all, count, bytes, type, op), bytes);
            free(all);
            return rc;
        }
        coll_xfer_t x = coll_send(root, send, bytes);
        return coll_run(t, &x, 1);
    }
    /* Ring reduce-scatter into a scratch copy, then every block to root. */
    acc = malloc(bytes);
    if (!acc)
        return core_err(PRAAS_ERR_NOMEM, "reduce: no memory for %zu bytes", bytes);
    rc = ring_reduce_scatter(t, send, acc, count, type, op, 0);
    if (!rc) {
        int n = t->size, mine = mod(t->rank + 1, n);
        if (t->rank == root) {
            coll_xfer_t *x = malloc(sizeof(*x) * (size_t)n);
            int nx = 0;
            for (int p = 0; p < n && x; p++) {
                int b = mod(p + 1, n);
                if (p != root)
                    x[nx++] = coll_recv(p, (unsigned char *)recv + blk_first(count, n, b) * ts,
                                        blk_count(count, n, b) * ts);
            }
            memcpy((unsigned char *)recv + blk_first(count, n, mine) * ts,
                   acc + blk_first(count, n, mine) * ts, blk_count(count, n, mine) * ts);
            rc = x ? coll_run(t, x, nx) : PRAAS_ERR_NOMEM;
            free(x);
        } else {
            coll_xfer_t x = coll_send(root, acc + blk_first(count, n, mine) * ts,
                                      blk_count(count, n, mine) * ts);
            rc = coll_run(t, &x, 1);
        }
    }
    free(acc);
    return rc;
}

PRAAS_API int praas_reduce_scatter_block(const void *send, void *recv, size_t count,
                                         praas_type_t type, praas_op_t op)
{
    size_t ts, bytes, total;
    unsigned char *acc;
    coll_team_t *t;
    int rc;

    rc = coll_begin("reduce_scatter_block", send, recv, count, type, &t, &ts);
    if (!rc)
        rc = coll_op_check(op, type);
    if (rc || !count)
        return rc;
    bytes = count * ts;
    total = count * (size_t)t->size;
    if (send == PRAAS_IN_PLACE)
        send = recv;
    acc = malloc(total * ts);
    if (!acc)
        return core_err(PRAAS_ERR_NOMEM, "reduce_scatter_block: no memory");
    if (t->size == 1) {
        memcpy(acc, send, total * ts);
        rc = 0;
    } else if (coll_op_commutes(op)) {
        rc = ring_reduce_scatter(t, send, acc, total, type, op, -1);
    } else {
        memcpy(acc, send, total * ts);
        rc = praas_allreduce(PRAAS_IN_PLACE, acc, total, type, op);
    }
    if (!rc)
        memcpy(recv, acc + (size_t)t->rank * bytes, bytes);
    free(acc);
    return rc;
}

PRAAS_API int praas_allgather(const void *send, size_t count, praas_type_t type, void *recv)
{
    size_t ts, bytes;
    unsigned char *mine;
    coll_team_t *t;
    int rc;

    rc = coll_begin("allgather", send, recv, count, type, &t, &ts);
    if (rc || !count)
        return rc;
    bytes = count * ts;
    mine = (unsigned char *)recv + (size_t)t->rank * bytes;
    if (send != PRAAS_IN_PLACE && send != mine)
        memcpy(mine, send, bytes);
    if (t->size == 1)
        return 0;
    if (bytes * (size_t)t->size <= (size_t)core_cfg()->coll_small)
        return all_to_one_or_all(t, mine, bytes, recv, -1);
    /* The ring over blocks of exactly `count` elements: block p is rank p's. */
    return ring_allgather(t, recv, count * (size_t)t->size, ts, -1);
}

PRAAS_API int praas_gather(const void *send, size_t count, praas_type_t type, void *recv,
                           int root)
{
    size_t ts, bytes;
    coll_team_t *t;
    int rc;

    rc = coll_begin("gather", send, send, count, type, &t, &ts);
    if (!rc)
        rc = coll_check_root(t, &root, "gather");
    if (!rc && t->rank == root && count && !recv)
        rc = core_err(PRAAS_ERR_INVALID, "gather: NULL receive buffer at the root");
    if (rc || !count)
        return rc;
    bytes = count * ts;
    if (t->rank != root) {
        coll_xfer_t x = coll_send(root, send, bytes);
        if (send == PRAAS_IN_PLACE)
            return core_err(PRAAS_ERR_INVALID, "gather: PRAAS_IN_PLACE is for the root only");
        return coll_run(t, &x, 1);
    }
    coll_xfer_t *x = malloc(sizeof(*x) * (size_t)t->size);
    int nx = 0;
    if (!x)
        return core_err(PRAAS_ERR_NOMEM, "gather: no memory");
    for (int p = 0; p < t->size; p++)
        if (p != root)
            x[nx++] = coll_recv(p, (unsigned char *)recv + (size_t)p * bytes, bytes);
    if (send != PRAAS_IN_PLACE)
        memcpy((unsigned char *)recv + (size_t)root * bytes, send, bytes);
    rc = coll_run(t, x, nx);
    free(x);
    return rc;
}

PRAAS_API int praas_scatter(const void *send, size_t count, praas_type_t type, void *recv,
                            int root)
{
    size_t ts, bytes;
    coll_team_t *t;
    int rc;

    rc = coll_begin("scatter", recv, recv, count, type, &t, &ts);
    if (!rc)
        rc = coll_check_root(t, &root, "scatter");
    if (!rc && t->rank == root && count && !send)
        rc = core_err(PRAAS_ERR_INVALID, "scatter: NULL send buffer at the root");
    if (rc || !count)
        return rc;
    bytes = count * ts;
    if (t->rank != root) {
        coll_xfer_t x = coll_recv(root, recv, bytes);
        if (recv == PRAAS_IN_PLACE)
            return core_err(PRAAS_ERR_INVALID, "scatter: PRAAS_IN_PLACE is for the root only");
        return coll_run(t, &x, 1);
    }
    coll_xfer_t *x = malloc(sizeof(*x) * (size_t)t->size);
    int nx = 0;
    if (!x)
        return core_err(PRAAS_ERR_NOMEM, "scatter: no memory");
    for (int p = 0; p < t->size; p++)
        if (p != root)
            x[nx++] = coll_send(p, (const unsigned char *)send + (size_t)p * bytes, bytes);
    if (recv != PRAAS_IN_PLACE)
        memcpy(recv, (const unsigned char *)send + (size_t)root * bytes, bytes);
    rc = coll_run(t, x, nx);
    free(x);
    return rc;
}

PRAAS_API int praas_alltoall(const void *send, size_t count, praas_type_t type, void *recv)
{
    size_t ts, bytes;
    unsigned char *copy = NULL;
    coll_team_t *t;
    int rc, nx = 0;

    rc = coll_begin("alltoall", send, recv, count, type, &t, &ts);
    if (rc || !count)
        return rc;
    bytes = count * ts;
    if (send == PRAAS_IN_PLACE) {
        /* The blocks to send are in recv, which the receives overwrite. */
        copy = malloc(bytes * (size_t)t->size);
        if (!copy)
            return core_err(PRAAS_ERR_NOMEM, "alltoall: no memory");
        memcpy(copy, recv, bytes * (size_t)t->size);
        send = copy;
    }
    coll_xfer_t *x = malloc(sizeof(*x) * 2 * (size_t)t->size);
    if (!x) {
        free(copy);
        return core_err(PRAAS_ERR_NOMEM, "alltoall: no memory");
    }
    for (int k = 1; k < t->size; k++) {
        /* Pairwise order spreads the load: step k talks to rank +- k. */
        int to = mod(t->rank + k, t->size), from = mod(t->rank - k, t->size);
        x[nx++] = coll_send(to, (const unsigned char *)send + (size_t)to * bytes, bytes);
        x[nx++] = coll_recv(from, (unsigned char *)recv + (size_t)from * bytes, bytes);
    }
    memcpy((unsigned char *)recv + (size_t)t->rank * bytes,
           (const unsigned char *)send + (size_t)t->rank * bytes, bytes);
    rc = coll_run(t, x, nx);
    free(x);
    free(copy);
    return rc;
}

PRAAS_API int praas_bcast(void *buf, size_t count, praas_type_t type, int root)
{
    int n, vr, rc, nx = 0;
    size_t ts, bytes;
    coll_xfer_t x[64];
    coll_team_t *t;
    int mask;

    rc = coll_begin("bcast", buf, buf, count, type, &t, &ts);
    if (!rc)
        rc = coll_check_root(t, &root, "bcast");
    if (rc || !count || t->size == 1)
        return rc;
    n = t->size;
    bytes = count * ts;
    vr = mod(t->rank - root, n);
    /* Binomial tree on ranks relative to the root: receive from the parent
     * (vr without its lowest set bit), then send to vr + 2^k below it. */
    for (mask = 1; mask < n; mask <<= 1) {
        if (vr & mask) {
            coll_xfer_t up = coll_recv(mod(vr - mask + root, n), buf, bytes);
            rc = coll_run(t, &up, 1);
            if (rc)
                return rc;
            break;
        }
    }
    for (mask >>= 1; mask > 0; mask >>= 1)
        if (vr + mask < n)
            x[nx++] = coll_send(mod(vr + mask + root, n), buf, bytes);
    return coll_run(t, x, nx);
}
