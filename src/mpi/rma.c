/*
 * One-sided communication: put, get, the accumulate family and their
 * request-based forms.
 *
 * praas moves `count` elements of one praas type, the same at origin and
 * target. When every datatype of a call is dense (predefined, contiguous)
 * the call is one praas call. Otherwise the call walks the runs of its
 * datatypes side by side (pm_cur_*: each run is contiguous memory of one
 * praas type) and makes one praas call per piece where the runs overlap:
 * a vector of n blocks is n puts. The type signatures must match: the
 * walk checks, before anything is sent, that both sides hold the same
 * praas types in the same order and the same number (MPI_ERR_TYPE names
 * both otherwise). The target's pieces are addressed in bytes, which praas
 * takes in the target's disp_unit (win.c keeps every rank's): a piece that
 * does not start at a multiple of it is refused (MPI_ERR_TYPE). Element-wise
 * atomicity of accumulates is kept: each piece is a whole number of
 * elements.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mpi/pm.h"

#define PM_SKIP (-1) /* the target is MPI_PROC_NULL: nothing to do */

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

/* Validate an operation; on success (0) *t_p is the target type, *n_p
 * the number of praas elements, and *rank_p turned from a window rank into
 * praas's target (a world rank). PM_SKIP for MPI_PROC_NULL. */
static int pm_rma_args(pm_win_t *w, const char *call, int ocount, MPI_Datatype odt,
                       int tcount, MPI_Datatype tdt, int *rank_p, MPI_Aint disp,
                       pm_type_t **t_p, size_t *n_p)
{
    int rank = *rank_p;
    pm_type_t *ot, *tt;
    int rc;

    if ((rc = pm_side(w, call, "target", tcount, tdt, &tt)))
        return rc;
    if (odt != MPI_DATATYPE_NULL || ocount) {
        if ((rc = pm_side(w, call, "origin", ocount, odt, &ot)) ||
            (ot->dense && tt->dense &&
             (rc = pm_match(w, call, "origin", ocount, ot, "target", tcount, tt))))
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
    *rank_p = pm_win_world(w, rank);
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

/* ---- derived datatypes: the walk ---- */

enum { PM_W_PUT, PM_W_GET, PM_W_ACC, PM_W_GETACC };

/* Walk the three sides (origin, result, target; a NULL type is absent) and,
 * unless dry, issue one praas call per piece. Requests of the pieces go to
 * *prs_p (request-based calls). Returns 0, an MPI error raised on the
 * window, or a negative praas error. */
static int pm_walk(pm_win_t *w, const char *call, int kind, int dry, const void *origin,
                   size_t ocount, const pm_type_t *ot, void *result, size_t rcount,
                   const pm_type_t *rt, int rank, MPI_Aint disp, size_t tcount,
                   const pm_type_t *tt, praas_op_t pop, praas_request_t **prs_p,
                   size_t *npr_p)
{
    pm_cur_t co, cr, ct;
    MPI_Aint oo = 0, ro = 0, to, tb;
    size_t ol = 0, rl = 0, tl, len, cap = 0, du = (size_t)w->dus[rank];
    praas_type_t ob = PRAAS_BYTE, rb = PRAAS_BYTE, b;
    int rc = 0;

    if (ot)
        pm_cur_init(&co, ot, ocount);
    if (rt)
        pm_cur_init(&cr, rt, rcount);
    pm_cur_init(&ct, tt, tcount);
    while (pm_cur_run(&ct, &to, &tl, &b)) {
        len = tl;
        if (ot) {
            if (!pm_cur_run(&co, &oo, &ol, &ob) || ob != b)
                goto mismatch;
            len = PRAAS_MIN(len, ol);
        }
        if (rt) {
            if (!pm_cur_run(&cr, &ro, &rl, &rb) || rb != b)
                goto mismatch;
            len = PRAAS_MIN(len, rl);
        }
        tb = disp * (MPI_Aint)du + to;
        if (tb < 0 || (size_t)tb % du)
            return pm_err_win(w->handle, MPI_ERR_TYPE, call,
                              "a piece of the target datatype %s lands at byte %ld of rank "
                              "%d, not a multiple of its disp_unit %zu",
                              pm_type_label(tt), (long)tb, rank, du);
        if (!dry) {
            const char *op = (const char *)origin + oo;
            char *res = (char *)result + ro;
            size_t n = len / praas_type_size(b), td = (size_t)tb / du;
            praas_request_t pr = PRAAS_REQUEST_NULL, *prp = prs_p ? &pr : NULL;

            PM_LOCK(&w->lock);
            switch (kind) {
            case PM_W_PUT:
                rc = prp ? praas_rput(op, n, b, rank, td, w->pw, prp)
                         : praas_put(op, n, b, rank, td, w->pw);
                break;
            case PM_W_GET:
                rc = prp ? praas_rget((void *)op, n, b, rank, td, w->pw, prp)
                         : praas_get((void *)op, n, b, rank, td, w->pw);
                break;
            case PM_W_ACC:
                rc = prp ? praas_raccumulate(op, n, b, rank, td, pop, w->pw, prp)
                         : praas_accumulate(op, n, b, rank, td, pop, w->pw);
                break;
            default:
                rc = prp ? praas_rget_accumulate(ot ? op : res, res, n, b, rank, td, pop, w->pw,
                                                 prp)
                         : praas_get_accumulate(ot ? op : res, res, n, b, rank, td, pop,
                                                w->pw);
                break;
            }
            PM_UNLOCK(&w->lock);
            if (rc)
                return rc;
            if (pr != PRAAS_REQUEST_NULL) {
                if (*npr_p == cap) {
                    praas_request_t *np;
                    cap = cap ? 2 * cap : 8;
                    np = realloc(*prs_p, cap * sizeof(*np));
                    if (!np) {
                        praas_request_wait(&pr);
                        return pm_err_win(w->handle, MPI_ERR_NO_MEM, call,
                                          "no memory for requests");
                    }
                    *prs_p = np;
                }
                (*prs_p)[(*npr_p)++] = pr;
            }
        }
        pm_cur_skip(&ct, len);
        if (ot)
            pm_cur_skip(&co, len);
        if (rt)
            pm_cur_skip(&cr, len);
    }
    if ((ot && pm_cur_run(&co, &oo, &ol, &ob)) || (rt && pm_cur_run(&cr, &ro, &rl, &rb)))
        goto mismatch;
    return 0;
mismatch:
    return pm_err_win(w->handle, MPI_ERR_TYPE, call,
                      "the type signatures differ: %s %zu x %s and target %zu x %s are not "
                      "the same predefined types in the same order",
                      ot ? "origin" : "result", ot ? ocount : rcount,
                      pm_type_label(ot ? ot : rt), tcount, pm_type_label(tt));
}

/* Run a call with a derived datatype: check, then issue. */
static int pm_walk_call(pm_win_t *w, const char *call, int kind, const void *origin,
                        int ocount, MPI_Datatype odt, void *result, int rcount,
                        MPI_Datatype rdt, int rank, MPI_Aint disp, int tcount,
                        MPI_Datatype tdt, praas_op_t pop, MPI_Request *request)
{
    const pm_type_t *ot = odt != MPI_DATATYPE_NULL ? pm_type(odt) : NULL;
    const pm_type_t *rt = rdt != MPI_DATATYPE_NULL ? pm_type(rdt) : NULL;
    const pm_type_t *tt = pm_type(tdt);
    praas_request_t *prs = NULL;
    size_t npr = 0;
    int rc;

    if (!tt->homog && (kind == PM_W_ACC || kind == PM_W_GETACC))
        return pm_err_win(w->handle, MPI_ERR_TYPE, call,
                          "the target datatype %s mixes predefined types: accumulates need "
                          "one", pm_type_label(tt));
    rc = pm_walk(w, call, kind, 1, origin, (size_t)ocount, ot, result, (size_t)rcount, rt,
                 rank, disp, (size_t)tcount, tt, pop, NULL, NULL);
    if (!rc)
        rc = pm_walk(w, call, kind, 0, origin, (size_t)ocount, ot, result, (size_t)rcount, rt,
                     rank, disp, (size_t)tcount, tt, pop, request ? &prs : NULL, &npr);
    if (rc < 0)
        rc = pm_praas_win(w->handle, rc, PM_CTX_RMA, call);
    if (!rc && request && pm_req_new_multi(prs, npr, w->handle, request)) {
        for (size_t i = 0; i < npr; i++)
            praas_request_wait(&prs[i]);
        rc = pm_err_win(w->handle, MPI_ERR_NO_MEM, call, "no memory for a request");
    } else if (rc) {
        for (size_t i = 0; i < npr; i++) /* the pieces already issued */
            praas_request_wait(&prs[i]);
    }
    free(prs);
    return rc;
}

/* Whether a call needs the walk: some datatype is not dense. */
static int pm_needs_walk(MPI_Datatype odt, MPI_Datatype rdt, MPI_Datatype tdt)
{
    const pm_type_t *o = odt != MPI_DATATYPE_NULL ? pm_type(odt) : NULL;
    const pm_type_t *r = rdt != MPI_DATATYPE_NULL ? pm_type(rdt) : NULL;

    return !pm_type(tdt)->dense || (o && !o->dense) || (r && !r->dense);
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
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, &rank, disp, &t, &n);
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc)
        return rc;
    if (pm_needs_walk(odt, MPI_DATATYPE_NULL, tdt))
        return pm_walk_call(w, call, get ? PM_W_GET : PM_W_PUT, origin, ocount, odt, NULL, 0,
                            MPI_DATATYPE_NULL, rank, disp, tcount, tdt, PRAAS_OP_REPLACE,
                            request);
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
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, &rank, disp, &t, &n);
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc || (rc = pm_rma_op(w, call, op, t, &pop)))
        return rc;
    if (pm_needs_walk(odt, MPI_DATATYPE_NULL, tdt))
        return pm_walk_call(w, call, PM_W_ACC, origin, ocount, odt, NULL, 0, MPI_DATATYPE_NULL,
                            rank, disp, tcount, tdt, pop, request);
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
    rc = pm_rma_args(w, call, ocount, odt, tcount, tdt, &rank, disp, &t, &n);
    if (!rc || rc == PM_SKIP) {
        int rc2 = pm_side(w, call, "result", rcount, rdt, &rt);
        if (!rc2 && rt->dense && pm_type(tdt)->dense)
            rc2 = pm_match(w, call, "result", rcount, rt, "target", tcount, pm_type(tdt));
        if (rc2)
            return rc2;
    }
    if (rc == PM_SKIP)
        return pm_rma_done(w, call, 0, PRAAS_REQUEST_NULL, request);
    if (rc || (rc = pm_rma_op(w, call, op, t, &pop)))
        return rc;
    if (pm_needs_walk(odt, rdt, tdt))
        return pm_walk_call(w, call, PM_W_GETACC, origin, ocount, odt, result, rcount, rdt,
                            rank, disp, tcount, tdt, pop, request);
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
static int pm_single(pm_win_t *w, const char *call, MPI_Datatype dt, int *rank_p, MPI_Aint disp,
                     pm_type_t **t_p)
{
    size_t n;
    int rc = pm_rma_args(w, call, 1, dt, 1, dt, rank_p, disp, t_p, &n);

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
    rc = pm_single(w, "MPI_Fetch_and_op", datatype, &target_rank, target_disp, &t);
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
    rc = pm_single(w, "MPI_Compare_and_swap", datatype, &target_rank, target_disp, &t);
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

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Put)
PM_PMPI(MPI_Get)
PM_PMPI(MPI_Rput)
PM_PMPI(MPI_Rget)
PM_PMPI(MPI_Accumulate)
PM_PMPI(MPI_Raccumulate)
PM_PMPI(MPI_Get_accumulate)
PM_PMPI(MPI_Rget_accumulate)
PM_PMPI(MPI_Fetch_and_op)
PM_PMPI(MPI_Compare_and_swap)
