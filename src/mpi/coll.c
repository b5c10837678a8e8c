/*
 * Collectives, and their non-blocking forms.
 *
 * On a world-like communicator (MPI_COMM_WORLD, its duplicates) each
 * blocking call is the praas collective of the same name. On any other
 * communicator, and for every non-blocking call, it is a schedule on the
 * point-to-point engine (sched.c, algorithms in nbcoll.c): run to its end
 * at once, or handed to the request. Send and receive sides must
 * carry the same predefined elements in the same number. A non-contiguous
 * datatype is packed into a contiguous buffer of its praas type first (and
 * unpacked after); a type mixing praas types moves as bytes, which is fine
 * for data movement and refused (MPI_ERR_TYPE) for reductions.
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

/* A buffer as praas sees it: the user's own when its type is dense,
 * else a packed copy. */
typedef struct pm_cb {
    void *p;          /* what praas gets */
    void *tmp;        /* the packed copy, or NULL */
    void *user;
    pm_type_t *t;
    size_t count;
    int store;        /* unpack into the user's buffer at the end */
} pm_cb_t;

/* load: the buffer's content is input (pack it); store: it is output. */
static int pm_cb_open(pm_cb_t *b, pm_comm_t *c, const void *buf, size_t count, pm_type_t *t,
                      int load, int store, const char *call)
{
    *b = (pm_cb_t){.p = (void *)buf, .user = (void *)buf, .t = t, .count = count};
    if (!t || t->dense || buf == MPI_IN_PLACE)
        return 0;
    b->tmp = malloc(count * t->psize + 1);
    if (!b->tmp)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory to pack %zu bytes",
                           count * t->psize);
    if (load)
        pm_pack(t, count, buf, b->tmp, count * t->psize);
    b->p = b->tmp;
    b->store = store;
    return 0;
}

static void pm_cb_close(pm_cb_t *b, int ok)
{
    if (b->tmp && b->store && ok)
        pm_unpack(b->t, b->count, b->user, b->tmp, b->count * b->t->psize);
    free(b->tmp);
    b->tmp = NULL;
}

/* Whether a call runs as a schedule: every non-blocking one, and the
 * blocking ones off the world. */
static int pm_coll_sched(pm_comm_t *c, MPI_Request *req)
{
    return req || !pm_comm_is_world(c);
}

/* A new schedule, or NULL with the error raised. */
static pm_sched_t *pm_coll_new(pm_comm_t *c, int *rc_p, const char *call)
{
    pm_sched_t *s = pm_sched_new(c);

    *rc_p = s ? 0 : pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    return s;
}

/* Finish building s: run it (blocking) or hand it to *req. */
static int pm_coll_go(pm_sched_t *s, MPI_Request *req, const char *call)
{
    return req ? pm_sched_request(s, req, call) : pm_sched_run(s, call);
}

#define PM_CHECK_REQ(c, req, call)                                                            \
    do {                                                                                      \
        if ((req) == PM_NO_REQ)                                                                \
            return pm_err_comm((c)->handle, MPI_ERR_REQUEST, call, "NULL request");           \
    } while (0)
/* What the non-blocking calls pass for a NULL request argument. */
static MPI_Request pm_no_req_;
#define PM_NO_REQ (&pm_no_req_)
#define PM_REQ_ARG(r) ((r) ? (r) : PM_NO_REQ)

static int pm_barrier(MPI_Comm comm, MPI_Request *req, const char *call)
{
    pm_sched_t *s;
    int rc;

    PM_GET_COMM(c, comm, call);
    PM_CHECK_REQ(c, req, call);
    if (pm_coll_sched(c, req)) {
        if (!(s = pm_coll_new(c, &rc, call)))
            return rc;
        pm_nb_barrier(c, s);
        return pm_coll_go(s, req, call);
    }
    PM_LOCK(&pm_coll_lock);
    return pm_coll_end(c, praas_barrier(), call);
}

PRAAS_API int MPI_Barrier(MPI_Comm comm)
{
    return pm_barrier(comm, NULL, "MPI_Barrier");
}

PRAAS_API int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request)
{
    return pm_barrier(comm, PM_REQ_ARG(request), "MPI_Ibarrier");
}

static int pm_bcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm,
                    MPI_Request *req, const char *call)
{
    pm_sched_t *s;
    pm_type_t *t;
    int rc;

    PM_GET_COMM(c, comm, call);
    PM_CHECK_REQ(c, req, call);
    if ((rc = pm_coll_type(c, call, "buffer", count, datatype, &t)) ||
        (rc = pm_coll_root(c, root, call)))
        return rc;
    if (pm_coll_sched(c, req)) {
        if (!(s = pm_coll_new(c, &rc, call)))
            return rc;
        pm_nb_bcast(c, s, buffer, (size_t)count, t, root);
        return pm_coll_go(s, req, call);
    }
    pm_cb_t b;
    if ((rc = pm_cb_open(&b, c, buffer, (size_t)count, t, c->rank == root, c->rank != root,
                         call)))
        return rc;
    PM_LOCK(&pm_coll_lock);
    rc = pm_coll_end(c, praas_bcast(b.p, (size_t)count * t->mult, t->base, root), call);
    pm_cb_close(&b, !rc);
    return rc;
}

PRAAS_API int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root,
                        MPI_Comm comm)
{
    return pm_bcast(buffer, count, datatype, root, comm, NULL, "MPI_Bcast");
}

PRAAS_API int MPI_Ibcast(void *buffer, int count, MPI_Datatype datatype, int root,
                         MPI_Comm comm, MPI_Request *request)
{
    return pm_bcast(buffer, count, datatype, root, comm, PM_REQ_ARG(request), "MPI_Ibcast");
}

/* ---- reductions ---- */

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
                        MPI_Op op, int root, MPI_Comm comm, MPI_Request *req, const char *call)
{
    const char *why;
    pm_sched_t *s;
    pm_type_t *t;
    pm_op_t *o;
    size_t n;
    int rc;

    PM_GET_COMM(c, comm, call);
    PM_CHECK_REQ(c, req, call);
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
    if (!t->homog)
        return pm_err_comm(comm, MPI_ERR_TYPE, call,
                           "%s mixes predefined types: reductions need one", pm_type_label(t));
    if (o->fn && !t->dense)
        return pm_err_comm(comm, MPI_ERR_UNSUPPORTED_OPERATION, call,
                           "user-defined operations on a non-contiguous datatype (%s) are not "
                           "supported by praas yet", pm_type_label(t));
    n = (size_t)count * t->mult;
    if (pm_coll_sched(c, req)) {
        if (!(s = pm_coll_new(c, &rc, call)))
            return rc;
        if ((rc = pm_nb_reduce(c, s, kind, send, recv, (size_t)count, t, o, root))) {
            pm_sched_free(s);
            return pm_err_comm(comm, rc, call, "no memory");
        }
        return pm_coll_go(s, req, call);
    }
    if (o->fn && t->mult > 1)
        return pm_user_fold(kind, send, recv, count, t, o, root, c, call);
    {
        int out;
        size_t scount = kind == PM_RED_SCATTER_BLOCK ? (size_t)count * (size_t)c->size
                                                      : (size_t)count;
        pm_cb_t sb, rb;
        out = kind != PM_RED_REDUCE || c->rank == root;
        if ((rc = pm_cb_open(&sb, c, send, scount, t, 1, 0, call)))
            return rc;
        if ((rc = pm_cb_open(&rb, c, recv,
                             send == MPI_IN_PLACE || kind != PM_RED_SCATTER_BLOCK
                                 ? scount : (size_t)count,
                             t, send == MPI_IN_PLACE, out, call))) {
            pm_cb_close(&sb, 0);
            return rc;
        }
        PM_LOCK(&pm_coll_lock);
        pm_op_set_current(dt);
        switch (kind) {
        case PM_RED_REDUCE:
            rc = praas_reduce(pm_in_place(sb.p), rb.p, n, t->base, o->pop, root);
            break;
        case PM_RED_ALLREDUCE:
            rc = praas_allreduce(pm_in_place(sb.p), rb.p, n, t->base, o->pop);
            break;
        default:
            rc = praas_reduce_scatter_block(pm_in_place(sb.p), rb.p, n, t->base, o->pop);
            break;
        }
        rc = pm_coll_end(c, rc, call);
        pm_cb_close(&sb, 0);
        pm_cb_close(&rb, !rc);
        return rc;
    }
}

PRAAS_API int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                         MPI_Op op, int root, MPI_Comm comm)
{
    return pm_reduction(PM_RED_REDUCE, sendbuf, recvbuf, count, datatype, op, root, comm,
                        NULL, "MPI_Reduce");
}

PRAAS_API int MPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                          MPI_Op op, int root, MPI_Comm comm, MPI_Request *request)
{
    return pm_reduction(PM_RED_REDUCE, sendbuf, recvbuf, count, datatype, op, root, comm,
                        PM_REQ_ARG(request), "MPI_Ireduce");
}

PRAAS_API int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count,
                            MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    return pm_reduction(PM_RED_ALLREDUCE, sendbuf, recvbuf, count, datatype, op, 0, comm,
                        NULL, "MPI_Allreduce");
}

PRAAS_API int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count,
                             MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                             MPI_Request *request)
{
    return pm_reduction(PM_RED_ALLREDUCE, sendbuf, recvbuf, count, datatype, op, 0, comm,
                        PM_REQ_ARG(request), "MPI_Iallreduce");
}

PRAAS_API int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    return pm_reduction(PM_RED_SCATTER_BLOCK, sendbuf, recvbuf, recvcount, datatype, op, 0,
                        comm, NULL, "MPI_Reduce_scatter_block");
}

PRAAS_API int MPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                                        MPI_Datatype datatype, MPI_Op op, MPI_Comm comm,
                                        MPI_Request *request)
{
    return pm_reduction(PM_RED_SCATTER_BLOCK, sendbuf, recvbuf, recvcount, datatype, op, 0,
                        comm, PM_REQ_ARG(request), "MPI_Ireduce_scatter_block");
}

/* ---- data movement ---- */

/* The data-movement collectives: on the world, pack what is not dense,
 * call praas, unpack; else a schedule. st is NULL for an in-place send
 * side, rt for an in-place receive side (scatter) or at a non-root. */
static int pm_coll_move(pm_comm_t *c, int kind, const void *send, size_t scount, pm_type_t *st,
                        void *recv, size_t rcount, pm_type_t *rt, int root, MPI_Request *req,
                        const char *call)
{
    size_t n = c->size, sn, rn, elems;
    int me_root = c->rank == root, rc;
    pm_type_t *t = rt ? rt : st;
    pm_cb_t sb, rb;
    pm_sched_t *s;

    if (pm_coll_sched(c, req)) {
        if (!(s = pm_coll_new(c, &rc, call)))
            return rc;
        if ((rc = pm_nb_move(c, s, kind, send, scount, st, recv, rcount, rt, root))) {
            pm_sched_free(s);
            return pm_err_comm(c->handle, rc, call, "no memory");
        }
        return pm_coll_go(s, req, call);
    }

    /* Elements of the user's buffers on each side. */
    sn = kind == PM_MV_ALLTOALL || (kind == PM_MV_SCATTER && me_root) ? scount * n : scount;
    rn = kind == PM_MV_SCATTER || (kind == PM_MV_GATHER && !me_root) ? rcount : rcount * n;
    if (kind == PM_MV_ALLTOALL && !st) /* in place: the input is in recv */
        sn = rcount * n;
    elems = rt ? rcount * rt->mult : scount * st->mult;
    if ((rc = pm_cb_open(&sb, c, send, sn, st, 1, 0, call)))
        return rc;
    rc = pm_cb_open(&rb, c, recv, rn, rt, !st, 1, call);
    if (rc) {
        pm_cb_close(&sb, 0);
        return rc;
    }
    PM_LOCK(&pm_coll_lock);
    switch (kind) {
    case PM_MV_ALLGATHER:
        rc = praas_allgather(st ? sb.p : PRAAS_IN_PLACE, elems, t->base, rb.p);
        break;
    case PM_MV_GATHER:
        rc = praas_gather(st ? sb.p : PRAAS_IN_PLACE, elems, t->base, rb.p, root);
        break;
    case PM_MV_SCATTER:
        rc = praas_scatter(sb.p, elems, t->base, rt ? rb.p : (void *)PRAAS_IN_PLACE, root);
        break;
    default:
        rc = praas_alltoall(st ? sb.p : PRAAS_IN_PLACE, elems, t->base, rb.p);
        break;
    }
    rc = pm_coll_end(c, rc, call);
    pm_cb_close(&sb, 0);
    pm_cb_close(&rb, !rc);
    return rc;
}

/* Allgather and alltoall (kind PM_MV_ALLGATHER or PM_MV_ALLTOALL): the
 * receive side is checked at every rank, the send side too unless sendbuf
 * is MPI_IN_PLACE, and the two must hold the same type signature. */
static int pm_all_move(int kind, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                       void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                       MPI_Request *req, const char *call)
{
    pm_type_t *st = NULL, *rt;
    int rc;

    PM_GET_COMM(c, comm, call);
    PM_CHECK_REQ(c, req, call);
    if ((rc = pm_coll_type(c, call, "receive", recvcount, recvtype, &rt)))
        return rc;
    if (sendbuf != MPI_IN_PLACE &&
        ((rc = pm_coll_type(c, call, "send", sendcount, sendtype, &st)) ||
         (rc = pm_coll_match(c, call, sendcount, st, recvcount, rt))))
        return rc;
    return pm_coll_move(c, kind, sendbuf, (size_t)sendcount, st, recvbuf, (size_t)recvcount,
                        rt, 0, req, call);
}

PRAAS_API int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    return pm_all_move(PM_MV_ALLGATHER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, comm, NULL, "MPI_Allgather");
}

PRAAS_API int MPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                             MPI_Request *request)
{
    return pm_all_move(PM_MV_ALLGATHER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, comm, PM_REQ_ARG(request), "MPI_Iallgather");
}

/* Gather and scatter (kind PM_MV_GATHER or PM_MV_SCATTER) at root. The
 * root's side (the receive side of a gather, the send side of a scatter)
 * is checked at the root only; the other side at every rank unless its
 * buffer is MPI_IN_PLACE, which only the root may pass. */
static int pm_rooted_move(int kind, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm, MPI_Request *req, const char *call)
{
    int gather = kind == PM_MV_GATHER;
    /* The root's side and the other side. */
    const char *root_side = gather ? "receive" : "send";
    const char *other_side = gather ? "send" : "receive";
    int root_count = gather ? recvcount : sendcount, other_count = gather ? sendcount : recvcount;
    MPI_Datatype root_dt = gather ? recvtype : sendtype, other_dt = gather ? sendtype : recvtype;
    const void *other_buf = gather ? sendbuf : recvbuf;
    pm_type_t *st = NULL, *rt = NULL;
    pm_type_t **root_t = gather ? &rt : &st, **other_t = gather ? &st : &rt;
    int rc;

    PM_GET_COMM(c, comm, call);
    PM_CHECK_REQ(c, req, call);
    if ((rc = pm_coll_root(c, root, call)))
        return rc;
    if (c->rank == root && (rc = pm_coll_type(c, call, root_side, root_count, root_dt, root_t)))
        return rc;
    if (other_buf != MPI_IN_PLACE &&
        (rc = pm_coll_type(c, call, other_side, other_count, other_dt, other_t)))
        return rc;
    if (st && rt && (rc = pm_coll_match(c, call, sendcount, st, recvcount, rt)))
        return rc;
    if (!st && !rt)
        return pm_err_comm(comm, MPI_ERR_ARG, call,
                           "MPI_IN_PLACE is for the root's %s buffer only", other_side);
    return pm_coll_move(c, kind, sendbuf, (size_t)sendcount, st, recvbuf, (size_t)recvcount, rt,
                        root, req, call);
}

PRAAS_API int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                         void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                         MPI_Comm comm)
{
    return pm_rooted_move(PM_MV_GATHER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, root, comm, NULL, "MPI_Gather");
}

PRAAS_API int MPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm, MPI_Request *request)
{
    return pm_rooted_move(PM_MV_GATHER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, root, comm, PM_REQ_ARG(request), "MPI_Igather");
}

PRAAS_API int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                          MPI_Comm comm)
{
    return pm_rooted_move(PM_MV_SCATTER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, root, comm, NULL, "MPI_Scatter");
}

PRAAS_API int MPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                           MPI_Comm comm, MPI_Request *request)
{
    return pm_rooted_move(PM_MV_SCATTER, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, root, comm, PM_REQ_ARG(request), "MPI_Iscatter");
}

PRAAS_API int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    return pm_all_move(PM_MV_ALLTOALL, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, comm, NULL, "MPI_Alltoall");
}

PRAAS_API int MPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request)
{
    return pm_all_move(PM_MV_ALLTOALL, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, comm, PM_REQ_ARG(request), "MPI_Ialltoall");
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Barrier)
PM_PMPI(MPI_Ibarrier)
PM_PMPI(MPI_Bcast)
PM_PMPI(MPI_Ibcast)
PM_PMPI(MPI_Reduce)
PM_PMPI(MPI_Ireduce)
PM_PMPI(MPI_Allreduce)
PM_PMPI(MPI_Iallreduce)
PM_PMPI(MPI_Reduce_scatter_block)
PM_PMPI(MPI_Ireduce_scatter_block)
PM_PMPI(MPI_Allgather)
PM_PMPI(MPI_Iallgather)
PM_PMPI(MPI_Gather)
PM_PMPI(MPI_Igather)
PM_PMPI(MPI_Scatter)
PM_PMPI(MPI_Iscatter)
PM_PMPI(MPI_Alltoall)
PM_PMPI(MPI_Ialltoall)
