/*
 * The collectives as schedules (sched.c): every non-blocking collective,
 * and the blocking ones on communicators other than the world's.
 *
 * Algorithms, chosen for being correct for any size and any operation
 * rather than for the last microsecond (the world's collectives, where
 * speed matters most, are praas's own):
 * - barrier: dissemination (ceil(log2 n) rounds of one message each way);
 * - bcast: binomial tree from the root;
 * - reduce: a binomial tree towards rank 0 in which every node folds its
 *   lower half before its upper half, so the result is a0 op a1 op ...
 *   op a(n-1) in MPI's order (non-commutative user operations work) and
 *   the same bits everywhere; then rank 0 hands it to the root;
 * - allreduce: that reduce, then a bcast from rank 0;
 * - reduce_scatter_block: that reduce, then rank 0 scatters the blocks;
 * - gather, scatter, allgather, alltoall: direct (post every receive,
 *   send every block), n - 1 messages per rank.
 * Reductions work on the packed form (count elements of the praas base
 * type); a user function sees whole elements of its own dense datatype.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

static char *pm_blk(const void *buf, size_t i, size_t count, const pm_type_t *t)
{
    return (char *)buf + (MPI_Aint)(i * count) * t->extent;
}

int pm_nb_barrier(pm_comm_t *c, pm_sched_t *s)
{
    pm_type_t *bt = pm_type(MPI_BYTE);
    int n = c->size, me = c->rank;

    for (int k = 1; k < n; k <<= 1) {
        pm_sched_recv(s, (me - k + n) % n, NULL, 0, bt);
        pm_sched_send(s, (me + k) % n, NULL, 0, bt);
        pm_sched_barrier(s);
    }
    return 0;
}

int pm_nb_bcast(pm_comm_t *c, pm_sched_t *s, void *buf, size_t count, pm_type_t *t, int root)
{
    int n = c->size, vr = (c->rank - root + n) % n, mask = 1;

    while (mask < n) {
        if (vr & mask) {
            pm_sched_recv(s, (vr - mask + root) % n, buf, count, t);
            pm_sched_barrier(s);
            break;
        }
        mask <<= 1;
    }
    for (mask >>= 1; mask > 0; mask >>= 1)
        if (vr + mask < n)
            pm_sched_send(s, (vr + mask + root) % n, buf, count, t);
    return 0;
}

int pm_nb_reduce(pm_comm_t *c, pm_sched_t *s, int kind, const void *send, void *recv,
                 size_t count, pm_type_t *t, pm_op_t *o, int root)
{
    int n = c->size, me = c->rank;
    size_t total = kind == PM_RED_SCATTER_BLOCK ? count * (size_t)n : count;
    size_t pn = total * t->mult, bytes = total * t->psize;
    pm_type_t *pt = pm_type(t->mpi_base); /* the packed form */
    unsigned char *acc, *part = NULL;

    acc = pm_sched_tmp(s, bytes);
    if (!acc)
        return MPI_ERR_NO_MEM;
    pm_sched_copy(s, send == MPI_IN_PLACE ? recv : send, total, t, acc, pn, pt);
    for (int mask = 1; mask < n; mask <<= 1) {
        if (me & mask) {
            pm_sched_send(s, me - mask, acc, pn, pt);
            break;
        }
        if (me + mask >= n)
            continue;
        if (!part && !(part = pm_sched_tmp(s, bytes)))
            return MPI_ERR_NO_MEM;
        pm_sched_recv(s, me + mask, part, pn, pt);
        pm_sched_barrier(s);
        /* part = acc op part: the lower ranks' fold first. */
        pm_sched_op(s, acc, part, total, t, o);
        pm_sched_copy(s, part, pn, pt, acc, pn, pt);
    }
    switch (kind) {
    case PM_RED_REDUCE:
        if (root != 0 && me == 0)
            pm_sched_send(s, root, acc, pn, pt);
        if (root != 0 && me == root) {
            pm_sched_recv(s, 0, acc, pn, pt);
            pm_sched_barrier(s);
        }
        if (me == root)
            pm_sched_copy(s, acc, pn, pt, recv, total, t);
        break;
    case PM_RED_ALLREDUCE:
        pm_nb_bcast(c, s, acc, pn, pt, 0);
        pm_sched_copy(s, acc, pn, pt, recv, total, t);
        break;
    default:
        if (me == 0) {
            for (int r = 1; r < n; r++)
                pm_sched_send(s, r, acc + (size_t)r * count * t->psize, count * t->mult, pt);
            pm_sched_copy(s, acc, count * t->mult, pt, recv, count, t);
        } else {
            pm_sched_recv(s, 0, recv, count, t);
            pm_sched_barrier(s);
        }
        break;
    }
    return 0;
}

int pm_nb_move(pm_comm_t *c, pm_sched_t *s, int kind, const void *send, size_t scount,
               pm_type_t *st, void *recv, size_t rcount, pm_type_t *rt, int root)
{
    int n = c->size, me = c->rank;
    const void *from = send;
    pm_type_t *ft = st;
    size_t fcount = scount;

    switch (kind) {
    case PM_MV_ALLGATHER:
        if (st)
            pm_sched_copy(s, send, scount, st, pm_blk(recv, (size_t)me, rcount, rt), rcount, rt);
        for (int r = 0; r < n; r++)
            if (r != me) {
                pm_sched_recv(s, r, pm_blk(recv, (size_t)r, rcount, rt), rcount, rt);
                pm_sched_send(s, r, pm_blk(recv, (size_t)me, rcount, rt), rcount, rt);
            }
        break;
    case PM_MV_GATHER:
        if (me != root) {
            pm_sched_send(s, root, send, scount, st);
            break;
        }
        if (st)
            pm_sched_copy(s, send, scount, st, pm_blk(recv, (size_t)me, rcount, rt), rcount, rt);
        for (int r = 0; r < n; r++)
            if (r != me)
                pm_sched_recv(s, r, pm_blk(recv, (size_t)r, rcount, rt), rcount, rt);
        break;
    case PM_MV_SCATTER:
        if (me != root) {
            pm_sched_recv(s, root, recv, rcount, rt);
            break;
        }
        for (int r = 0; r < n; r++)
            if (r != me)
                pm_sched_send(s, r, pm_blk(send, (size_t)r, scount, st), scount, st);
        if (rt)
            pm_sched_copy(s, pm_blk(send, (size_t)me, scount, st), scount, st, recv, rcount, rt);
        break;
    default:
        if (!st) {
            /* In place: the blocks to send are in recv; send from a copy. */
            pm_type_t *pt = pm_type(rt->mpi_base);
            size_t pn = (size_t)n * rcount * rt->mult;
            void *tmp = pm_sched_tmp(s, (size_t)n * rcount * rt->psize);
            if (!tmp)
                return MPI_ERR_NO_MEM;
            if (rt->homog) {
                pm_sched_copy(s, recv, (size_t)n * rcount, rt, tmp, pn, pt);
                from = tmp;
                ft = pt;
                fcount = rcount * rt->mult;
            } else { /* mixed types: the packed bytes, block by block */
                pm_type_t *bt = pm_type(MPI_BYTE);
                pm_sched_copy(s, recv, (size_t)n * rcount, rt, tmp, (size_t)n * rcount * rt->psize,
                              bt);
                from = tmp;
                ft = bt;
                fcount = rcount * rt->psize;
            }
        } else {
            pm_sched_copy(s, pm_blk(send, (size_t)me, scount, st), scount, st,
                          pm_blk(recv, (size_t)me, rcount, rt), rcount, rt);
        }
        for (int r = 0; r < n; r++)
            if (r != me) {
                pm_sched_recv(s, r, pm_blk(recv, (size_t)r, rcount, rt), rcount, rt);
                pm_sched_send(s, r, (char *)from + (MPI_Aint)((size_t)r * fcount) * ft->extent,
                              fcount, ft);
            }
        break;
    }
    pm_sched_barrier(s);
    return 0;
}
