/*
 * One-sided communication: put, get, the accumulate family and their
 * request-based forms, each one praas call.
 *
 * praas moves `count` elements of one praas type, the same at origin and
 * target, so the origin, target (and result) datatypes must be made of the
 * same predefined type in the same number: predefined or contiguous types
 * (MPI_INT at the origin and a contiguous type of 4 MPI_INT at the target
 * is fine). Anything else returns MPI_ERR_TYPE naming both types.
 */
#include <stdio.h>

#include "mpi/pm.h"

#define PM_SKIP (-1) /* the target is MPI_PROC_NULL: nothing to do */

#define PM_GET_WIN(w, win, call)                                                              \
    PM_CHECK_INIT(call);                                                                      \
    pm_win_t *w = pm_win(win);                                                                \
    if (!w)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_WIN, call, "%#x is not a window",              \
                       (unsigned)(win))

/* Check one side's count and datatype. */
static int pm_side(pm_win_t *w, const char *call, const char *side, int count,
                   MPI_Datatype dt, pm_type_t **t_p)
{
    const char *why;

    if (count < 0)
        return pm_err_win(w->handle, MPI_ERR_COUNT, call, "%s count %d is negative", side,
                          count);
    if (pm_type_usable(dt, t_p, &why))
        return pm_err_win(w->handle, MPI_ERR_TYPE, call, "the %s datatype %#x %s", side,
                          (unsigned)dt, why);
    return 0;
}

/* Two sides must be the same praas elements in the same number. */
static int pm_match(pm_win_t *w, const char *call, const char *s1, int c1, pm_type_t *t1,
                    const char *s2, int c2, pm_type_t *t2)
{
    if (t1->base == t2->base && (size_t)c1 * t1->mult == (size_t)c2 * t2->mult)
        return 0;
    return pm_err_win(w->handle, MPI_ERR_TYPE, call,
                      "%s %d x %s and %s %d x %s differ: praas supports only datatypes made "
                      "of the same predefined type in the same number (predefined or "
                      "contiguous) at both sides yet",
                      s1, c1, pm_type_label(t1), s2, c2, pm_type_label(t2));
}

/* Validate an operation; on success (0) *t_p is the target type and *n_p
 * the number of praas elements. PM_SKIP for MPI_PROC_NULL. */
static int pm_rma_args(pm_win_t *w, const char *call, int ocount, MPI_Datatype odt,
                       int tcount, MPI_Datatype tdt, int rank, MPI_Aint disp, pm_type_t **t_p,
                       size_t *n_p)
{
    pm_type_t *ot, *tt;
    int rc;

    if ((rc = pm_side(w, call, "target", tcount, tdt, &tt)))
        return rc;
    if (odt != MPI_DATATYPE_NULL || ocount) {
        if ((rc = pm_side(w, call, "origin", ocount, odt, &ot)) ||
            (rc = pm_match(w, call, "origin", ocount, ot, "target", tcount, tt)))
            return rc;
    }
    if (rank == MPI_PROC_NULL)
        return PM_SKIP;
    if (rank < 0 || rank >= w->nranks)
        return pm_err_win(w->handle, MPI_ERR_RANK, call,
                          "target rank %d is not in the window's %d ranks", rank, w->nranks);
    if (disp < 0)
        return pm_err_win(w->handle, MPI_ERR_DISP, call, "target displacement %ld is negative",
                          (long)disp);
    *t_p = tt;
    *n_p = (size_t)tcount * tt->mult;
    return 0;
}

static int pm_rma_op(pm_win_t *w, const char *call, MPI_Op op, const pm_type_t *t,
                     praas_op_t *pop_p)
{
    pm_op_t *o = pm_op(op);
    const char *why;
    int rc;

    if (!o)
        return pm_err_win(w->handle, MPI_ERR_OP, call, "%#x is not an operation",
                          (unsigned)op);
    if ((rc = pm_op_check(o, t, 1, &why)))
        return pm_err_win(w->handle, rc, call, "%s (%s)", why, pm_type_label(t));
    *pop_p = o->pop;
    return 0;
}

/* Finish a call: report a praas failure, or make the request. */
static int pm_rma_done(pm_win_t *w, const char *call, int rc, praas_request_t pr,
                       MPI_Request *request)
{
    if (rc)
        return pm_praas_win(w->handle, rc, PM_CTX_RMA, call);
    if (request && pm_req_new(pr, w->handle, request)) {
        if (pr)
            praas_request_wait(&pr);
        return pm_err_win(w->handle, MPI_ERR_NO_MEM, call, "no memory for a request");
    }
    return MPI_SUCCESS;
}

/* The common path of put and get (get: 1), plain or request-based. */
static int pm_putget(int get, void *origin, int ocount, MPI_Datatype odt, int rank,
                     MPI_Aint disp, int tcount, MPI_Datatype tdt, MPI_Win win,
                     MPI_Request *request, const char *call)
{
    praas_request_t pr = PRAAS_REQUEST_NULL;
    pm_type_t *t;
    size_t n;
    int rc;

    PM_GET_WIN(w, win, call);
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, rank, disp, &t, &n);
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc)
        return rc;
    PM_LOCK(&w->lock);
    if (get)
        rc = request ? praas_rget(origin, n, t->base, rank, (size_t)disp, w->pw, &pr)
                     : praas_get(origin, n, t->base, rank, (size_t)disp, w->pw);
    else
        rc = request ? praas_rput(origin, n, t->base, rank, (size_t)disp, w->pw, &pr)
                     : praas_put(origin, n, t->base, rank, (size_t)disp, w->pw);
    PM_UNLOCK(&w->lock);
    return pm_rma_done(w, call, rc, pr, request);
}

PRAAS_API int MPI_Put(const void *origin_addr, int origin_count, MPI_Datatype origin_datatype,
                      int target_rank, MPI_Aint target_disp, int target_count,
                      MPI_Datatype target_datatype, MPI_Win win)
{
    return pm_putget(0, (void *)origin_addr, origin_count, origin_datatype, target_rank,
                     target_disp, target_count, target_datatype, win, NULL, "MPI_Put");
}

PRAAS_API int MPI_Get(void *origin_addr, int origin_count, MPI_Datatype origin_datatype,
                      int target_rank, MPI_Aint target_disp, int target_count,
                      MPI_Datatype target_datatype, MPI_Win win)
{
    return pm_putget(1, origin_addr, origin_count, origin_datatype, target_rank, target_disp,
                     target_count, target_datatype, win, NULL, "MPI_Get");
}

PRAAS_API int MPI_Rput(const void *origin_addr, int origin_count, MPI_Datatype origin_datatype,
                       int target_rank, MPI_Aint target_disp, int target_count,
                       MPI_Datatype target_datatype, MPI_Win win, MPI_Request *request)
{
    if (!request)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Rput", "NULL request");
    return pm_putget(0, (void *)origin_addr, origin_count, origin_datatype, target_rank,
                     target_disp, target_count, target_datatype, win, request, "MPI_Rput");
}

PRAAS_API int MPI_Rget(void *origin_addr, int origin_count, MPI_Datatype origin_datatype,
                       int target_rank, MPI_Aint target_disp, int target_count,
                       MPI_Datatype target_datatype, MPI_Win win, MPI_Request *request)
{
    if (!request)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Rget", "NULL request");
    return pm_putget(1, origin_addr, origin_count, origin_datatype, target_rank, target_disp,
                     target_count, target_datatype, win, request, "MPI_Rget");
}

static int pm_acc(const void *origin, int ocount, MPI_Datatype odt, int rank, MPI_Aint disp,
                  int tcount, MPI_Datatype tdt, MPI_Op op, MPI_Win win, MPI_Request *request,
                  const char *call)
{
    praas_request_t pr = PRAAS_REQUEST_NULL;
    praas_op_t pop;
    pm_type_t *t;
    size_t n;
    int rc;

    PM_GET_WIN(w, win, call);
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, rank, disp, &t, &n);
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc || (rc = pm_rma_op(w, call, op, t, &pop)))
        return rc;
    PM_LOCK(&w->lock);
    rc = request ? praas_raccumulate(origin, n, t->base, rank, (size_t)disp, pop, w->pw, &pr)
                 : praas_accumulate(origin, n, t->base, rank, (size_t)disp, pop, w->pw);
    PM_UNLOCK(&w->lock);
    return pm_rma_done(w, call, rc, pr, request);
}

PRAAS_API int MPI_Accumulate(const void *origin_addr, int origin_count,
                             MPI_Datatype origin_datatype, int target_rank,
                             MPI_Aint target_disp, int target_count,
                             MPI_Datatype target_datatype, MPI_Op op, MPI_Win win)
{
    return pm_acc(origin_addr, origin_count, origin_datatype, target_rank, target_disp,
                  target_count, target_datatype, op, win, NULL, "MPI_Accumulate");
}

PRAAS_API int MPI_Raccumulate(const void *origin_addr, int origin_count,
                              MPI_Datatype origin_datatype, int target_rank,
                              MPI_Aint target_disp, int target_count,
                              MPI_Datatype target_datatype, MPI_Op op, MPI_Win win,
                              MPI_Request *request)
{
    if (!request)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Raccumulate", "NULL request");
    return pm_acc(origin_addr, origin_count, origin_datatype, target_rank, target_disp,
                  target_count, target_datatype, op, win, request, "MPI_Raccumulate");
}

static int pm_getacc(const void *origin, int ocount, MPI_Datatype odt, void *result,
                     int rcount, MPI_Datatype rdt, int rank, MPI_Aint disp, int tcount,
                     MPI_Datatype tdt, MPI_Op op, MPI_Win win, MPI_Request *request,
                     const char *call)
{
    praas_request_t pr = PRAAS_REQUEST_NULL;
    pm_type_t *t, *rt;
    praas_op_t pop;
    size_t n;
    int rc;

    PM_GET_WIN(w, win, call);
    /* With MPI_NO_OP the origin arguments are ignored. */
    if (op == MPI_NO_OP) {
        origin = result;
        ocount = 0;
        odt = MPI_DATATYPE_NULL;
    }
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, rank, disp, &t, &n);
    if (!rc || rc == PM_SKIP) {
        int rc2 = pm_side(w, call, "result", rcount, rdt, &rt);
        if (!rc2)
            rc2 = pm_match(w, call, "result", rcount, rt, "target", tcount, pm_type(tdt));
        if (rc2)
            return rc2;
    }
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc || (rc = pm_rma_op(w, call, op, t, &pop)))
        return rc;
    PM_LOCK(&w->lock);
    rc = request ? praas_rget_accumulate(origin, result, n, t->base, rank, (size_t)disp, pop,
                                         w->pw, &pr)
                 : praas_get_accumulate(origin, result, n, t->base, rank, (size_t)disp, pop,
                                        w->pw);
    PM_UNLOCK(&w->lock);
    return pm_rma_done(w, call, rc, pr, request);
}

PRAAS_API int MPI_Get_accumulate(const void *origin_addr, int origin_count,
                                 MPI_Datatype origin_datatype, void *result_addr,
                                 int result_count, MPI_Datatype result_datatype,
                                 int target_rank, MPI_Aint target_disp, int target_count,
                                 MPI_Datatype target_datatype, MPI_Op op, MPI_Win win)
{
    return pm_getacc(origin_addr, origin_count, origin_datatype, result_addr, result_count,
                     result_datatype, target_rank, target_disp, target_count, target_datatype,
                     op, win, NULL, "MPI_Get_accumulate");
}

PRAAS_API int MPI_Rget_accumulate(const void *origin_addr, int origin_count,
                                  MPI_Datatype origin_datatype, void *result_addr,
                                  int result_count, MPI_Datatype result_datatype,
                                  int target_rank, MPI_Aint target_disp, int target_count,
                                  MPI_Datatype target_datatype, MPI_Op op, MPI_Win win,
                                  MPI_Request *request)
{
    if (!request)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Rget_accumulate", "NULL request");
    return pm_getacc(origin_addr, origin_count, origin_datatype, result_addr, result_count,
                     result_datatype, target_rank, target_disp, target_count, target_datatype,
                     op, win, request, "MPI_Rget_accumulate");
}

/* One predefined element (fetch-and-op, compare-and-swap). */
static int pm_single(pm_win_t *w, const char *call, MPI_Datatype dt, int rank, MPI_Aint disp,
                     pm_type_t **t_p)
{
    size_t n;
    int rc = pm_rma_args(w, call, 1, dt, 1, dt, rank, disp, t_p, &n);

    if (!rc && (!(*t_p)->predefined || n != 1))
        return pm_err_win(w->handle, MPI_ERR_TYPE, call, "%s is not a predefined datatype",
                          pm_type_label(*t_p));
    return rc;
}

PRAAS_API int MPI_Fetch_and_op(const void *origin_addr, void *result_addr,
                               MPI_Datatype datatype, int target_rank, MPI_Aint target_disp,
                               MPI_Op op, MPI_Win win)
{
    praas_op_t pop;
    pm_type_t *t;
    int rc;

    PM_GET_WIN(w, win, "MPI_Fetch_and_op");
    rc = pm_single(w, "MPI_Fetch_and_op", datatype, target_rank, target_disp, &t);
    if (rc == PM_SKIP)
        return MPI_SUCCESS;
    if (rc || (rc = pm_rma_op(w, "MPI_Fetch_and_op", op, t, &pop)))
        return rc;
    if (op == MPI_NO_OP && !origin_addr)
        origin_addr = result_addr;
    PM_LOCK(&w->lock);
    rc = praas_fetch_and_op(origin_addr, result_addr, t->base, target_rank,
                            (size_t)target_disp, pop, w->pw);
    PM_UNLOCK(&w->lock);
    return pm_rma_done(w, "MPI_Fetch_and_op", rc, PRAAS_REQUEST_NULL, NULL);
}

PRAAS_API int MPI_Compare_and_swap(const void *origin_addr, const void *compare_addr,
                                   void *result_addr, MPI_Datatype datatype, int target_rank,
                                   MPI_Aint target_disp, MPI_Win win)
{
    pm_type_t *t;
    int rc;

    PM_GET_WIN(w, win, "MPI_Compare_and_swap");
    rc = pm_single(w, "MPI_Compare_and_swap", datatype, target_rank, target_disp, &t);
    if (rc == PM_SKIP)
        return MPI_SUCCESS;
    if (rc)
        return rc;
    PM_LOCK(&w->lock);
    rc = praas_compare_and_swap(origin_addr, compare_addr, result_addr, t->base, target_rank,
                                (size_t)target_disp, w->pw);
    PM_UNLOCK(&w->lock);
    return pm_rma_done(w, "MPI_Compare_and_swap", rc, PRAAS_REQUEST_NULL, NULL);
}
