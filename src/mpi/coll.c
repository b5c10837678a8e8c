/*
 * Collectives, mapped onto praas's collectives over the world.
 *
 * On a world-like communicator (MPI_COMM_WORLD, its duplicates) each call
 * is the praas collective of the same name; on a one-process communicator
 * (MPI_COMM_SELF, ...) it is a local copy. Send and receive datatypes must
 * be made of the same predefined type in the same number (as in rma.c).
 *
 * User-defined operations: on predefined datatypes, praas runs the MPI
 * function through an adapter (datatype.c) on pieces of the vector, which
 * is what MPI allows. On a contiguous type of several elements praas could
 * cut an MPI element in two, so the layer gathers every contribution
 * (praas_allgather) and folds them in rank order with the user function,
 * whole elements at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

#define PM_GET_COLL_COMM(c, comm, call)                                                       \
    PM_CHECK_INIT(call);                                                                      \
    pm_comm_t *c = pm_comm(comm);                                                             \
    if (!c)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, call, "%#x is not a communicator",       \
                       (unsigned)(comm))

static const void *pm_in_place(const void *buf)
{
    return buf == MPI_IN_PLACE ? PRAAS_IN_PLACE : buf;
}

static int pm_coll_type(pm_comm_t *c, const char *call, const char *side, int count,
                        MPI_Datatype dt, pm_type_t **t_p)
{
    const char *why;

    if (count < 0)
        return pm_err_comm(c->handle, MPI_ERR_COUNT, call, "%s count %d is negative", side,
                           count);
    if (pm_type_usable(dt, t_p, &why))
        return pm_err_comm(c->handle, MPI_ERR_TYPE, call, "the %s datatype %#x %s", side,
                           (unsigned)dt, why);
    return 0;
}

/* Send and receive sides must be the same elements in the same number. */
static int pm_coll_match(pm_comm_t *c, const char *call, int sc, pm_type_t *st, int rc,
                         pm_type_t *rt)
{
    if (st->base == rt->base && (size_t)sc * st->mult == (size_t)rc * rt->mult)
        return 0;
    return pm_err_comm(c->handle, MPI_ERR_TYPE, call,
                       "send %d x %s and receive %d x %s differ: praas supports only the "
                       "same predefined type in the same number at both sides yet",
                       sc, pm_type_label(st), rc, pm_type_label(rt));
}

static int pm_coll_root(pm_comm_t *c, int root, const char *call)
{
    if (root < 0 || root >= c->size)
        return pm_err_comm(c->handle, MPI_ERR_ROOT, call, "root %d is not in the %d ranks",
                           root, c->size);
    return 0;
}

/* Close a praas collective: release the lock, report a failure. */
static int pm_coll_end(pm_comm_t *c, int rc, const char *call)
{
    PM_UNLOCK(&pm_coll_lock);
    return rc ? pm_praas_comm(c->handle, rc, PM_CTX_COLL, call) : MPI_SUCCESS;
}

static void pm_copy(void *dst, const void *src, size_t bytes)
{
    if (src != MPI_IN_PLACE && src != dst && bytes)
        memmove(dst, src, bytes);
}

PRAAS_API int MPI_Barrier(MPI_Comm comm)
{
    PM_GET_COLL_COMM(c, comm, "MPI_Barrier");
    if (!pm_comm_is_world(c))
        return MPI_SUCCESS;
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c, praas_barrier(), "MPI_Barrier");
}

PRAAS_API int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root,
                        MPI_Comm comm)
{
    pm_type_t *t;
    int rc;

    PM_GET_COLL_COMM(c, comm, "MPI_Bcast");
    if ((rc = pm_coll_type(c, "MPI_Bcast", "buffer", count, datatype, &t)) ||
        (rc = pm_coll_root(c, root, "MPI_Bcast")))
        return rc;
    if (!pm_comm_is_world(c))
        return MPI_SUCCESS;
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c, praas_bcast(buffer, (size_t)count * t->mult, t->base, root),
                       "MPI_Bcast");
}

/* ---- reductions ---- */

enum { PM_RED_REDUCE, PM_RED_ALLREDUCE, PM_RED_SCATTER_BLOCK };

/* A user op on a multi-element type: gather everything, fold in rank order. */
static int pm_user_fold(int kind, const void *send, void *recv, int count, pm_type_t *t,
                        pm_op_t *o, int root, pm_comm_t *c, const char *call)
{
    int n = c->size, total = kind == PM_RED_SCATTER_BLOCK ? count * n : count, len, rc;
    size_t bytes = pm_type_span(t, (size_t)total);
    unsigned char *all, *res;
    MPI_Datatype dt = t->handle;

    if (send == MPI_IN_PLACE)
        send = recv;
    all = malloc(bytes * (size_t)n + 1);
    if (!all)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory for %d x %zu bytes", n,
                           bytes);
    PM_LOCK(&pm_coll_lock);
    rc = praas_allgather(send, (size_t)total * t->mult, t->base, all);
    PM_UNLOCK(&pm_coll_lock);
    if (rc) {
        free(all);
        return pm_praas_comm(c->handle, rc, PM_CTX_COLL, call);
    }
    /* inout = in OP inout, in = the lower ranks' fold: a0 op a1 op ... */
    for (int k = 1; k < n; k++) {
        len = total;
        o->fn(all + (size_t)(k - 1) * bytes, all + (size_t)k * bytes, &len, &dt);
    }
    res = all + (size_t)(n - 1) * bytes;
    if (kind == PM_RED_SCATTER_BLOCK)
        memcpy(recv, res + (size_t)c->rank * pm_type_span(t, (size_t)count),
               pm_type_span(t, (size_t)count));
    else if (kind == PM_RED_ALLREDUCE || c->rank == root)
        memcpy(recv, res, bytes);
    free(all);
    return MPI_SUCCESS;
}

static int pm_reduction(int kind, const void *send, void *recv, int count, MPI_Datatype dt,
                        MPI_Op op, int root, MPI_Comm comm, const char *call)
{
    const char *why;
    pm_type_t *t;
    pm_op_t *o;
    size_t n;
    int rc;

    PM_GET_COLL_COMM(c, comm, call);
    if ((rc = pm_coll_type(c, call, "", count, dt, &t)))
        return rc;
    if (kind == PM_RED_REDUCE && (rc = pm_coll_root(c, root, call)))
        return rc;
    o = pm_op(op);
    if (!o)
        return pm_err_comm(comm, MPI_ERR_OP, call, "%#x is not an operation", (unsigned)op);
    if ((rc = pm_op_check(o, t, 0, &why)))
        return pm_err_comm(comm, rc, call, "%s (%s)", why, pm_type_label(t));
    if (!o->fn && (o->pop == PRAAS_OP_REPLACE || o->pop == PRAAS_OP_NO_OP))
        return pm_err_comm(comm, MPI_ERR_OP, call,
                           "MPI_REPLACE and MPI_NO_OP are for one-sided calls only");
    n = (size_t)count * t->mult;
    if (!pm_comm_is_world(c)) {
        if (kind != PM_RED_REDUCE || c->rank == root)
            pm_copy(recv, send, pm_type_span(t, (size_t)count));
        return MPI_SUCCESS;
    }
    if (o->fn && t->mult > 1)
        return pm_user_fold(kind, send, recv, count, t, o, root, c, call);
    PM_LOCK(&pm_coll_lock);
    pm_op_set_current(dt);
    switch (kind) {
    case PM_RED_REDUCE:
        rc = praas_reduce(pm_in_place(send), recv, n, t->base, o->pop, root);
        break;
    case PM_RED_ALLREDUCE:
        rc = praas_allreduce(pm_in_place(send), recv, n, t->base, o->pop);
        break;
    default:
        rc = praas_reduce_scatter_block(pm_in_place(send), recv, n, t->base, o->pop);
        break;
    }
    return pm_coll_end(c, rc, call);
}

PRAAS_API int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                         MPI_Op op, int root, MPI_Comm comm)
{
    return pm_reduction(PM_RED_REDUCE, sendbuf, recvbuf, count, datatype, op, root, comm,
                        "MPI_Reduce");
}

PRAAS_API int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count,
                            MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    return pm_reduction(PM_RED_ALLREDUCE, sendbuf, recvbuf, count, datatype, op, 0, comm,
                        "MPI_Allreduce");
}

PRAAS_API int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    return pm_reduction(PM_RED_SCATTER_BLOCK, sendbuf, recvbuf, recvcount, datatype, op, 0,
                        comm, "MPI_Reduce_scatter_block");
}

/* ---- data movement ---- */

PRAAS_API int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    pm_type_t *st, *rt;
    int rc;

    PM_GET_COLL_COMM(c, comm, "MPI_Allgather");
    if ((rc = pm_coll_type(c, "MPI_Allgather", "receive", recvcount, recvtype, &rt)))
        return rc;
    if (sendbuf != MPI_IN_PLACE &&
        ((rc = pm_coll_type(c, "MPI_Allgather", "send", sendcount, sendtype, &st)) ||
         (rc = pm_coll_match(c, "MPI_Allgather", sendcount, st, recvcount, rt))))
        return rc;
    if (!pm_comm_is_world(c)) {
        pm_copy(recvbuf, sendbuf, pm_type_span(rt, (size_t)recvcount));
        return MPI_SUCCESS;
    }
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c,
                       praas_allgather(pm_in_place(sendbuf), (size_t)recvcount * rt->mult,
                                       rt->base, recvbuf),
                       "MPI_Allgather");
}

PRAAS_API int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                         void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                         MPI_Comm comm)
{
    pm_type_t *st = NULL, *rt = NULL, *t;
    size_t n;
    int rc;

    PM_GET_COLL_COMM(c, comm, "MPI_Gather");
    if ((rc = pm_coll_root(c, root, "MPI_Gather")))
        return rc;
    if (c->rank == root &&
        (rc = pm_coll_type(c, "MPI_Gather", "receive", recvcount, recvtype, &rt)))
        return rc;
    if (sendbuf != MPI_IN_PLACE &&
        (rc = pm_coll_type(c, "MPI_Gather", "send", sendcount, sendtype, &st)))
        return rc;
    if (st && rt && (rc = pm_coll_match(c, "MPI_Gather", sendcount, st, recvcount, rt)))
        return rc;
    if (!st && !rt)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Gather",
                           "MPI_IN_PLACE is for the root's send buffer only");
    t = rt ? rt : st;
    n = rt ? (size_t)recvcount * rt->mult : (size_t)sendcount * st->mult;
    if (!pm_comm_is_world(c)) {
        pm_copy(recvbuf, sendbuf, n * praas_type_size(t->base));
        return MPI_SUCCESS;
    }
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c, praas_gather(pm_in_place(sendbuf), n, t->base, recvbuf, root),
                       "MPI_Gather");
}

PRAAS_API int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm)
{
    pm_type_t *st = NULL, *rt = NULL, *t;
    size_t n;
    int rc;

    PM_GET_COLL_COMM(c, comm, "MPI_Scatter");
    if ((rc = pm_coll_root(c, root, "MPI_Scatter")))
        return rc;
    if (c->rank == root &&
        (rc = pm_coll_type(c, "MPI_Scatter", "send", sendcount, sendtype, &st)))
        return rc;
    if (recvbuf != MPI_IN_PLACE &&
        (rc = pm_coll_type(c, "MPI_Scatter", "receive", recvcount, recvtype, &rt)))
        return rc;
    if (st && rt && (rc = pm_coll_match(c, "MPI_Scatter", sendcount, st, recvcount, rt)))
        return rc;
    if (!st && !rt)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Scatter",
                           "MPI_IN_PLACE is for the root's receive buffer only");
    t = st ? st : rt;
    n = st ? (size_t)sendcount * st->mult : (size_t)recvcount * rt->mult;
    if (!pm_comm_is_world(c)) {
        if (recvbuf != MPI_IN_PLACE)
            pm_copy(recvbuf, sendbuf, n * praas_type_size(t->base));
        return MPI_SUCCESS;
    }
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c,
                       praas_scatter(sendbuf, n, t->base,
                                     recvbuf == MPI_IN_PLACE ? (void *)PRAAS_IN_PLACE : recvbuf,
                                     root),
                       "MPI_Scatter");
}

PRAAS_API int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    pm_type_t *st, *rt;
    int rc;

    PM_GET_COLL_COMM(c, comm, "MPI_Alltoall");
    if ((rc = pm_coll_type(c, "MPI_Alltoall", "receive", recvcount, recvtype, &rt)))
        return rc;
    if (sendbuf != MPI_IN_PLACE &&
        ((rc = pm_coll_type(c, "MPI_Alltoall", "send", sendcount, sendtype, &st)) ||
         (rc = pm_coll_match(c, "MPI_Alltoall", sendcount, st, recvcount, rt))))
        return rc;
    if (!pm_comm_is_world(c)) {
        pm_copy(recvbuf, sendbuf, pm_type_span(rt, (size_t)recvcount));
        return MPI_SUCCESS;
    }
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c,
                       praas_alltoall(pm_in_place(sendbuf), (size_t)recvcount * rt->mult,
                                      rt->base, recvbuf),
                       "MPI_Alltoall");
}
