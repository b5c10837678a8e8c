/*
 * The v-collectives (Gatherv, Scatterv, Allgatherv, Alltoallv, and their
 * non-blocking forms), scans, Reduce_scatter and Reduce_local.
 *
 * praas's collectives move the same count from every rank, so the
 * v-variants run on the point-to-point engine instead, as schedules
 * (sched.c) in the collective context (c->ctx | PM_CTX_COLL) that user
 * receives never match: every rank posts its receives, sends its blocks (a
 * send is complete at once), and waits, at once or through the request.
 * That is a direct exchange, n - 1 messages per rank and no tree, good for
 * the sizes these calls are used at. Scan and Exscan pass
 * the running result along the ranks (rank r waits for r - 1: n - 1
 * steps), which keeps MPI's order of operands for non-commutative ops.
 * Reduce_scatter is an allreduce of the whole vector (praas) and a local
 * copy of this rank's block.
 */
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "mpi/pm.h"

static int pm_vtype(pm_comm_t *c, const char *call, const char *side, MPI_Datatype dt,
                    pm_type_t **t_p)
{
    const char *why;

    if (pm_type_usable(dt, t_p, &why))
        return pm_err_comm(c->handle, MPI_ERR_TYPE, call, "the %s datatype %#x %s", side,
                           (unsigned)dt, why);
    return 0;
}

static int pm_vcounts(pm_comm_t *c, const char *call, const int *counts, const int *displs)
{
    if (!counts || !displs)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "NULL counts or displacements");
    for (int i = 0; i < c->size; i++)
        if (counts[i] < 0)
            return pm_err_comm(c->handle, MPI_ERR_COUNT, call, "count %d for rank %d",
                               counts[i], i);
    return 0;
}

/* One block of an exchange. */
typedef struct pm_xfer {
    int peer;
    void *buf;
    size_t count;
    pm_type_t *t;
} pm_xfer_t;

static void *pm_at(const void *buf, MPI_Aint disp, const pm_type_t *t)
{
    return (char *)buf + disp * t->extent;
}

/* Post the receives, send the sends, wait for the receives: a schedule
 * (sched.c) run at once, or handed to *req (the non-blocking forms). */
static int pm_exchange(pm_comm_t *c, pm_xfer_t *sends, int ns, pm_xfer_t *recvs, int nr,
                       MPI_Request *req, const char *call)
{
    pm_sched_t *s = pm_sched_new(c);

    if (!s)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    for (int i = 0; i < nr; i++)
        pm_sched_recv(s, recvs[i].peer, recvs[i].buf, recvs[i].count, recvs[i].t);
    for (int i = 0; i < ns; i++)
        pm_sched_send(s, sends[i].peer, sends[i].buf, sends[i].count, sends[i].t);
    pm_sched_barrier(s);
    return req ? pm_sched_request(s, req, call) : pm_sched_run(s, call);
}

/* A local block copy through the packed form. */
static int pm_block_copy(pm_comm_t *c, const void *src, size_t sc, pm_type_t *st, void *dst,
                         size_t rc_, pm_type_t *rt, const char *call)
{
    size_t len = PRAAS_MIN(sc * st->psize, rc_ * rt->psize);
    void *tmp = malloc(len + 1);

    if (!tmp)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    pm_pack(st, sc, src, tmp, len);
    pm_unpack(rt, rc_, dst, tmp, len);
    free(tmp);
    return MPI_SUCCESS;
}

/* Gatherv (gather 1) and Scatterv (gather 0) at root. Every rank has one
 * block (one_buf, one_count, one_dt: its send block in a gather, its
 * receive block in a scatter; MPI_IN_PLACE at the root only); the root has
 * one block per rank in vbuf at displs (counts, vdt: what it receives in a
 * gather, what it sends in a scatter), its own copied locally. */
static int pm_rooted_v(int gather, const void *one_buf, int one_count, MPI_Datatype one_dt,
                       const void *vbuf, const int counts[], const int displs[],
                       MPI_Datatype vdt, int root, MPI_Comm comm, MPI_Request *req,
                       const char *call)
{
    const char *one_side = gather ? "send" : "receive", *v_side = gather ? "receive" : "send";
    pm_type_t *ot = NULL, *vt = NULL;
    pm_xfer_t *x, one;
    void *mine;
    int rc, n = 0;

    PM_GET_COMM(c, comm, call);
    if (root < 0 || root >= c->size)
        return pm_err_comm(comm, MPI_ERR_ROOT, call, "root %d is not in the %d ranks", root,
                           c->size);
    if (one_buf != MPI_IN_PLACE && ((rc = pm_vtype(c, call, one_side, one_dt, &ot))))
        return rc;
    if (one_buf != MPI_IN_PLACE && one_count < 0)
        return pm_err_comm(comm, MPI_ERR_COUNT, call, "%s count %d", one_side, one_count);
    if (one_buf == MPI_IN_PLACE && c->rank != root)
        return pm_err_comm(comm, MPI_ERR_ARG, call, "MPI_IN_PLACE is for the root only");
    if (c->rank != root) {
        one = (pm_xfer_t){root, (void *)one_buf, (size_t)one_count, ot};
        return gather ? pm_exchange(c, &one, 1, NULL, 0, req, call)
                      : pm_exchange(c, NULL, 0, &one, 1, req, call);
    }
    if ((rc = pm_vtype(c, call, v_side, vdt, &vt)) ||
        (rc = pm_vcounts(c, call, counts, displs)))
        return rc;
    mine = pm_at(vbuf, displs[c->rank], vt);
    if (ot) {
        rc = gather ? pm_block_copy(c, one_buf, (size_t)one_count, ot, mine,
                                    (size_t)counts[c->rank], vt, call)
                    : pm_block_copy(c, mine, (size_t)counts[c->rank], vt, (void *)one_buf,
                                    (size_t)one_count, ot, call);
        if (rc)
            return rc;
    }
    x = malloc(sizeof(*x) * (size_t)c->size);
    if (!x)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory");
    for (int i = 0; i < c->size; i++)
        if (i != c->rank)
            x[n++] = (pm_xfer_t){i, pm_at(vbuf, displs[i], vt), (size_t)counts[i], vt};
    rc = gather ? pm_exchange(c, NULL, 0, x, n, req, call)
                : pm_exchange(c, x, n, NULL, 0, req, call);
    free(x);
    return rc;
}

PRAAS_API int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, const int recvcounts[], const int displs[],
                          MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    return pm_rooted_v(1, sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                       root, comm, NULL, "MPI_Gatherv");
}

PRAAS_API int MPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, const int recvcounts[], const int displs[],
                           MPI_Datatype recvtype, int root, MPI_Comm comm,
                           MPI_Request *request)
{
    if (!request)
        return pm_err_comm(comm, MPI_ERR_REQUEST, "MPI_Igatherv", "NULL request");
    return pm_rooted_v(1, sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                       root, comm, request, "MPI_Igatherv");
}

PRAAS_API int MPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                           MPI_Datatype sendtype, void *recvbuf, int recvcount,
                           MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    return pm_rooted_v(0, recvbuf, recvcount, recvtype, sendbuf, sendcounts, displs, sendtype,
                       root, comm, NULL, "MPI_Scatterv");
}

PRAAS_API int MPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                            MPI_Datatype sendtype, void *recvbuf, int recvcount,
                            MPI_Datatype recvtype, int root, MPI_Comm comm,
                            MPI_Request *request)
{
    if (!request)
        return pm_err_comm(comm, MPI_ERR_REQUEST, "MPI_Iscatterv", "NULL request");
    return pm_rooted_v(0, recvbuf, recvcount, recvtype, sendbuf, sendcounts, displs, sendtype,
                       root, comm, request, "MPI_Iscatterv");
}

static int pm_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                         void *recvbuf, const int recvcounts[], const int displs[],
                         MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *req,
                         const char *call)
{
    pm_type_t *st = NULL, *rt = NULL;
    pm_xfer_t *x;
    const void *mine;
    size_t mc;
    int rc, n = 0, me;

    PM_GET_COMM(c, comm, call);
    me = c->rank;
    if ((rc = pm_vtype(c, call, "receive", recvtype, &rt)) ||
        (rc = pm_vcounts(c, call, recvcounts, displs)))
        return rc;
    if (sendbuf != MPI_IN_PLACE) {
        if ((rc = pm_vtype(c, call, "send", sendtype, &st)))
            return rc;
        if (sendcount < 0)
            return pm_err_comm(comm, MPI_ERR_COUNT, call, "send count %d", sendcount);
        if ((rc = pm_block_copy(c, sendbuf, (size_t)sendcount, st,
                                pm_at(recvbuf, displs[me], rt), (size_t)recvcounts[me], rt,
                                call)))
            return rc;
    }
    /* Every rank sends its block from the receive buffer (in place or not). */
    mine = pm_at(recvbuf, displs[me], rt);
    mc = (size_t)recvcounts[me];
    x = malloc(sizeof(*x) * 2 * (size_t)c->size);
    if (!x)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory");
    for (int i = 0; i < c->size; i++)
        if (i != me) {
            x[n] = (pm_xfer_t){i, (void *)mine, mc, rt};
            x[c->size + n] = (pm_xfer_t){i, pm_at(recvbuf, displs[i], rt),
                                         (size_t)recvcounts[i], rt};
            n++;
        }
    rc = pm_exchange(c, x, n, x + c->size, n, req, call);
    free(x);
    return rc;
}

PRAAS_API int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, const int recvcounts[], const int displs[],
                             MPI_Datatype recvtype, MPI_Comm comm)
{
    return pm_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                         comm, NULL, "MPI_Allgatherv");
}

PRAAS_API int MPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                              void *recvbuf, const int recvcounts[], const int displs[],
                              MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    if (!request)
        return pm_err_comm(comm, MPI_ERR_REQUEST, "MPI_Iallgatherv", "NULL request");
    return pm_allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype,
                         comm, request, "MPI_Iallgatherv");
}

static int pm_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                        MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                        const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                        MPI_Request *req, const char *call)
{
    pm_type_t *st = NULL, *rt = NULL;
    pm_xfer_t *x;
    void *copy = NULL;
    int rc, n = 0, me;

    PM_GET_COMM(c, comm, call);
    me = c->rank;
    if ((rc = pm_vtype(c, call, "receive", recvtype, &rt)) ||
        (rc = pm_vcounts(c, call, recvcounts, rdispls)))
        return rc;
    if (sendbuf == MPI_IN_PLACE) {
        /* The input is the receive buffer: send from a copy of it. */
        MPI_Aint span = 0;
        for (int i = 0; i < c->size; i++)
            if (recvcounts[i])
                span = PRAAS_MAX(span, (MPI_Aint)(rdispls[i] + recvcounts[i] - 1) * rt->extent +
                                           rt->true_lb + rt->true_extent);
        copy = malloc((size_t)span + 1);
        if (!copy)
            return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory");
        if (span)
            memcpy(copy, recvbuf, (size_t)span);
        sendbuf = copy;
        sendcounts = recvcounts;
        sdispls = rdispls;
        st = rt;
    } else if ((rc = pm_vtype(c, call, "send", sendtype, &st)) ||
               (rc = pm_vcounts(c, call, sendcounts, sdispls)))
        return rc;
    rc = pm_block_copy(c, pm_at(sendbuf, sdispls[me], st), (size_t)sendcounts[me], st,
                       pm_at(recvbuf, rdispls[me], rt), (size_t)recvcounts[me], rt, call);
    x = rc ? NULL : malloc(sizeof(*x) * 2 * (size_t)c->size);
    if (!rc && !x)
        rc = pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory");
    if (!rc) {
        for (int i = 0; i < c->size; i++)
            if (i != me) {
                x[n] = (pm_xfer_t){i, pm_at(sendbuf, sdispls[i], st), (size_t)sendcounts[i],
                                   st};
                x[c->size + n] = (pm_xfer_t){i, pm_at(recvbuf, rdispls[i], rt),
                                             (size_t)recvcounts[i], rt};
                n++;
            }
        rc = pm_exchange(c, x, n, x + c->size, n, req, call);
    }
    free(x);
    free(copy); /* a schedule sends everything when it starts: no longer needed */
    return rc;
}

PRAAS_API int MPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                            MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                            const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    return pm_alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls,
                        recvtype, comm, NULL, "MPI_Alltoallv");
}

PRAAS_API int MPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                             MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                             const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                             MPI_Request *request)
{
    if (!request)
        return pm_err_comm(comm, MPI_ERR_REQUEST, "MPI_Ialltoallv", "NULL request");
    return pm_alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts, rdispls,
                        recvtype, comm, request, "MPI_Ialltoallv");
}

/* ---- reductions on the point-to-point engine ---- */

/* Check op against t; 0 or an error raised on c. */
static int pm_red_check(pm_comm_t *c, MPI_Op op, pm_type_t *t, pm_op_t **o_p, const char *call)
{
    const char *why;
    pm_op_t *o = pm_op(op);
    int rc;

    if (!o)
        return pm_err_comm(c->handle, MPI_ERR_OP, call, "%#x is not an operation",
                           (unsigned)op);
    if (!t->homog && !o->fn)
        return pm_err_comm(c->handle, MPI_ERR_TYPE, call,
                           "%s mixes predefined types: reductions need one", pm_type_label(t));
    if ((rc = pm_op_check(o, t, 0, &why)))
        return pm_err_comm(c->handle, rc, call, "%s (%s)", why, pm_type_label(t));
    if (!o->fn && (o->pop == PRAAS_OP_REPLACE || o->pop == PRAAS_OP_NO_OP))
        return pm_err_comm(c->handle, MPI_ERR_OP, call,
                           "MPI_REPLACE and MPI_NO_OP are for one-sided calls only");
    *o_p = o;
    return 0;
}

/* inout = in OP inout, on count elements of t laid out as t says. */
static int pm_apply(pm_op_t *o, pm_type_t *t, MPI_Datatype dt, const void *in, void *inout,
                    size_t count)
{
    size_t len = count * t->psize;
    void *a, *b;

    if (o->fn) { /* the user's function knows its datatype's layout */
        int n = (int)count;
        o->fn((void *)in, inout, &n, &dt);
        return 0;
    }
    if (t->dense) {
        coll_op_apply(o->pop, t->base, in, inout, count * t->mult);
        return 0;
    }
    a = malloc(len + 1);
    b = malloc(len + 1);
    if (!a || !b) {
        free(a);
        free(b);
        return MPI_ERR_NO_MEM;
    }
    pm_pack(t, count, in, a, len);
    pm_pack(t, count, inout, b, len);
    coll_op_apply(o->pop, t->base, a, b, count * t->mult);
    pm_unpack(t, count, inout, b, len);
    free(a);
    free(b);
    return 0;
}

/* Bytes from buf to the end of count elements of t at buf (true_lb >= 0,
 * as for every type whose data does not lie below its buffer). */
static size_t pm_layout_bytes(const pm_type_t *t, size_t count)
{
    return count ? (size_t)((MPI_Aint)(count - 1) * t->extent + t->true_lb + t->true_extent)
                 : 0;
}

static int pm_scan(int exclusive, const void *sendbuf, void *recvbuf, int count,
                   MPI_Datatype dt, MPI_Op op, MPI_Comm comm, const char *call)
{
    pm_type_t *t;
    pm_op_t *o;
    void *part = NULL, *acc = NULL;
    size_t bytes;
    int rc, me, n, tag;

    PM_GET_COMM(c, comm, call);
    if ((rc = pm_vtype(c, call, "", dt, &t)) || (rc = pm_red_check(c, op, t, &o, call)))
        return rc;
    if (count < 0)
        return pm_err_comm(comm, MPI_ERR_COUNT, call, "count %d is negative", count);
    tag = pm_coll_tag(c);
    me = c->rank;
    n = c->size;
    if (sendbuf == MPI_IN_PLACE)
        sendbuf = recvbuf;
    bytes = pm_layout_bytes(t, (size_t)count) + 1;
    part = malloc(bytes); /* what the lower ranks add up to */
    acc = malloc(bytes);  /* what this rank passes on */
    if (!part || !acc) {
        free(part);
        free(acc);
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory");
    }
    if (bytes > 1)
        memcpy(acc, sendbuf, bytes - 1);
    if (me > 0) {
        rc = pm_coll_sendrecv(c, tag, NULL, 0, t, MPI_PROC_NULL, part, (size_t)count, t, me - 1,
                              call);
        if (!rc && (rc = pm_apply(o, t, dt, part, acc, (size_t)count)))
            rc = pm_err_comm(comm, rc, call, "no memory");
    }
    if (!rc && me < n - 1)
        rc = pm_coll_sendrecv(c, tag, acc, (size_t)count, t, me + 1, NULL, 0, t, MPI_PROC_NULL,
                              call);
    if (!rc) {
        if (!exclusive)
            rc = pm_block_copy(c, acc, (size_t)count, t, recvbuf, (size_t)count, t, call);
        else if (me > 0) /* rank 0's result is undefined in MPI: left as it is */
            rc = pm_block_copy(c, part, (size_t)count, t, recvbuf, (size_t)count, t, call);
    }
    free(part);
    free(acc);
    return rc;
}

PRAAS_API int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                       MPI_Op op, MPI_Comm comm)
{
    return pm_scan(0, sendbuf, recvbuf, count, datatype, op, comm, "MPI_Scan");
}

PRAAS_API int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                         MPI_Op op, MPI_Comm comm)
{
    return pm_scan(1, sendbuf, recvbuf, count, datatype, op, comm, "MPI_Exscan");
}

PRAAS_API int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                                 MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    const char *call = "MPI_Reduce_scatter";
    size_t total = 0, off = 0, bytes;
    pm_type_t *t;
    pm_op_t *o;
    void *all;
    int rc;

    PM_GET_COMM(c, comm, call);
    if ((rc = pm_vtype(c, call, "", datatype, &t)) || (rc = pm_red_check(c, op, t, &o, call)))
        return rc;
    if (!recvcounts)
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL counts");
    for (int i = 0; i < c->size; i++) {
        if (recvcounts[i] < 0)
            return pm_err_comm(comm, MPI_ERR_COUNT, call, "count %d for rank %d",
                               recvcounts[i], i);
        if (i < c->rank)
            off += (size_t)recvcounts[i];
        total += (size_t)recvcounts[i];
    }
    if (total > 0x7fffffff)
        return pm_err_comm(comm, MPI_ERR_COUNT, call, "%zu elements in all", total);
    if (sendbuf == MPI_IN_PLACE)
        sendbuf = recvbuf;
    bytes = pm_layout_bytes(t, total);
    all = malloc(bytes + 1);
    if (!all)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for %zu bytes", bytes);
    rc = PMPI_Allreduce(sendbuf, all, (int)total, datatype, op, comm);
    if (!rc)
        rc = pm_block_copy(c, (char *)all + (MPI_Aint)off * t->extent,
                           (size_t)recvcounts[c->rank], t, recvbuf,
                           (size_t)recvcounts[c->rank], t, call);
    free(all);
    return rc;
}

PRAAS_API int MPI_Reduce_local(const void *inbuf, void *inoutbuf, int count,
                               MPI_Datatype datatype, MPI_Op op)
{
    const char *call = "MPI_Reduce_local";
    pm_type_t *t;
    pm_op_t *o;
    int rc;

    PM_GET_COMM(c, MPI_COMM_SELF, call);
    if ((rc = pm_vtype(c, call, "", datatype, &t)) || (rc = pm_red_check(c, op, t, &o, call)))
        return rc;
    if (count < 0)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COUNT, call, "count %d", count);
    pm_op_set_current(datatype);
    rc = pm_apply(o, t, datatype, inbuf, inoutbuf, (size_t)count);
    return rc ? pm_err_comm(MPI_COMM_WORLD, rc, call, "no memory") : MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Gatherv)
PM_PMPI(MPI_Igatherv)
PM_PMPI(MPI_Scatterv)
PM_PMPI(MPI_Iscatterv)
PM_PMPI(MPI_Allgatherv)
PM_PMPI(MPI_Iallgatherv)
PM_PMPI(MPI_Alltoallv)
PM_PMPI(MPI_Ialltoallv)
PM_PMPI(MPI_Scan)
PM_PMPI(MPI_Exscan)
PM_PMPI(MPI_Reduce_scatter)
PM_PMPI(MPI_Reduce_local)
