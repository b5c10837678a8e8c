/*
 * Requests: completion of the request-based one-sided calls (MPI_Rput and
 * friends) through praas_request_wait/test, of point-to-point sends and
 * receives through the engine (p2p.c), of non-blocking collectives through
 * their schedules (sched.c), and of persistent requests through the
 * operation their last MPI_Start began (pt2pt.c). A persistent request
 * is not freed by a wait or test: it becomes inactive, and a wait on an
 * inactive request returns at once with an empty status.
 *
 * praas frees its request when a test finds it complete; MPI_Testall and
 * MPI_Testsome must not release requests unless all (some) are complete, so
 * the MPI request remembers completion (done, status) until it is released.
 */
#include <sched.h>
#include <stdlib.h>

#include "mpi/pm.h"

int pm_req_handle(pm_req_t *r, MPI_Request *req_p)
{
    return pm_handle_new(PM_REQ, r, req_p) ? MPI_ERR_NO_MEM : 0;
}

void pm_req_destroy(pm_req_t *r)
{
    if (r->sched)
        pm_sched_free(r->sched);
    if (r->cur)
        pm_req_destroy(r->cur);
    if (r->type)
        pm_type_unref(r->type);
    free(r->prs);
    free(r);
}

int pm_req_new_multi(const praas_request_t *prs, size_t n, MPI_Win win, MPI_Request *req_p)
{
    pm_req_t *r = calloc(1, sizeof(*r));

    if (!r)
        return MPI_ERR_NO_MEM;
    r->kind = PM_REQ_RMA;
    r->win = win;
    if (n) {
        r->prs = malloc(n * sizeof(*prs));
        if (!r->prs) {
            free(r);
            return MPI_ERR_NO_MEM;
        }
        for (size_t i = 0; i < n; i++)
            r->prs[i] = prs[i];
        r->npr = n;
    }
    atomic_init(&r->done, n == 0);
    if (pm_req_handle(r, req_p)) {
        pm_req_destroy(r);
        return MPI_ERR_NO_MEM;
    }
    return 0;
}

int pm_req_new(praas_request_t pr, MPI_Win win, MPI_Request *req_p)
{
    return pm_req_new_multi(&pr, pr != PRAAS_REQUEST_NULL, win, req_p);
}

static void pm_status_empty(MPI_Status *st, int err)
{
    if (st == MPI_STATUS_IGNORE || !st)
        return;
    st->MPI_SOURCE = MPI_ANY_SOURCE;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = err;
    st->praas_cancelled_ = 0;
    st->praas_count_ = 0;
}

/* Progress r once (block: until complete). Returns whether it is done. */
static int pm_req_poll(pm_req_t *r, int block, const char *call)
{
    int rc, flag, all = 1;

    if (atomic_load_explicit(&r->done, memory_order_acquire))
        return 1;
    if (r->kind == PM_REQ_COLL)
        return pm_sched_req_poll(r, block, call);
    if (r->kind == PM_REQ_PERSIST) {
        pm_req_t *cur = r->cur;
        if (!pm_req_poll(cur, block, call))
            return 0;
        r->st_source = cur->st_source;
        r->st_tag = cur->st_tag;
        r->st_bytes = cur->st_bytes;
        r->st_cancelled = cur->st_cancelled;
        r->err = cur->err;
        r->cur = NULL;
        pm_req_destroy(cur);
        atomic_store_explicit(&r->done, 1, memory_order_release);
        return 1;
    }
    if (r->kind != PM_REQ_RMA) {
        if (block)
            pm_p2p_wait(r);
        else if (!pm_p2p_test(r))
            return 0;
        if (r->st_err && !r->err)
            r->err = pm_err_comm(r->comm, r->st_err, call,
                                 "a message from rank %d (tag %d) is longer than the receive "
                                 "buffer of %zu bytes",
                                 r->st_source, r->st_tag, r->count * r->type->psize);
        return 1;
    }
    for (size_t i = 0; i < r->npr; i++) {
        if (r->prs[i] == PRAAS_REQUEST_NULL)
            continue;
        flag = 1;
        rc = block ? praas_request_wait(&r->prs[i]) : praas_request_test(&r->prs[i], &flag);
        if (rc) {
            /* On a timeout praas keeps the request; it is abandoned here. */
            if (!r->err)
                r->err = pm_praas_win(r->win, rc, PM_CTX_RMA, call);
            r->prs[i] = PRAAS_REQUEST_NULL;
            flag = 1;
        }
        if (!flag)
            all = 0;
    }
    if (all)
        atomic_store_explicit(&r->done, 1, memory_order_release);
    return all;
}

/* Write the status of a complete request. */
static void pm_req_status(const pm_req_t *r, MPI_Status *st)
{
    if (r->kind == PM_REQ_RMA || r->kind == PM_REQ_COLL ||
        (r->kind == PM_REQ_PERSIST && !r->p_active)) {
        pm_status_empty(st, r->err);
        return;
    }
    if (st == MPI_STATUS_IGNORE || !st)
        return;
    st->MPI_SOURCE = r->st_source;
    st->MPI_TAG = r->st_tag;
    st->MPI_ERROR = r->err;
    st->praas_cancelled_ = r->st_cancelled;
    st->praas_count_ = r->st_bytes;
}

/* Release a complete request: write its status, null the handle. Returns
 * its error code. */
static int pm_req_release(MPI_Request *request, pm_req_t *r, MPI_Status *st)
{
    int err = r->err;

    pm_req_status(r, st);
    if (r->kind == PM_REQ_PERSIST) { /* inactive again, the handle stays */
        r->p_active = 0;
        r->err = 0;
        return err;
    }
    pm_handle_del(PM_REQ, *request);
    pm_req_destroy(r);
    *request = MPI_REQUEST_NULL;
    return err;
}

int pm_req_complete(pm_req_t *r, MPI_Status *st, const char *call)
{
    int err;

    pm_req_poll(r, 1, call);
    err = r->err;
    pm_req_status(r, st);
    pm_req_destroy(r);
    return err;
}

static pm_req_t *pm_req_get(MPI_Request request)
{
    return pm_handle_get(PM_REQ, request);
}

#define PM_BAD_REQ(call)                                                                      \
    pm_err_comm(MPI_COMM_WORLD, MPI_ERR_REQUEST, call, "not a request handle")

PRAAS_API int MPI_Wait(MPI_Request *request, MPI_Status *status)
{
    pm_req_t *r;

    PM_CHECK_INIT("MPI_Wait");
    if (!request)
        return PM_BAD_REQ("MPI_Wait");
    if (*request == MPI_REQUEST_NULL) {
        pm_status_empty(status, MPI_SUCCESS);
        return MPI_SUCCESS;
    }
    r = pm_req_get(*request);
    if (!r)
        return PM_BAD_REQ("MPI_Wait");
    while (!pm_req_poll(r, 1, "MPI_Wait"))
        ;
    return pm_req_release(request, r, status);
}

PRAAS_API int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    pm_req_t *r;

    PM_CHECK_INIT("MPI_Test");
    if (!request || !flag)
        return PM_BAD_REQ("MPI_Test");
    if (*request == MPI_REQUEST_NULL) {
        *flag = 1;
        pm_status_empty(status, MPI_SUCCESS);
        return MPI_SUCCESS;
    }
    r = pm_req_get(*request);
    if (!r)
        return PM_BAD_REQ("MPI_Test");
    *flag = pm_req_poll(r, 0, "MPI_Test");
    return *flag ? pm_req_release(request, r, status) : MPI_SUCCESS;
}

PRAAS_API int MPI_Request_free(MPI_Request *request)
{
    pm_req_t *r;

    PM_CHECK_INIT("MPI_Request_free");
    if (!request || !(r = pm_req_get(*request)))
        return PM_BAD_REQ("MPI_Request_free");
    /* One-sided requests complete locally without the target's help, so
     * waiting here is short; the caller may not use the buffers anyway.
     * Freeing an active collective request is erroneous in MPI: it is
     * finished first rather than left to fail. */
    if (r->kind == PM_REQ_RMA || r->kind == PM_REQ_COLL)
        return PMPI_Wait(request, MPI_STATUS_IGNORE);
    if (r->kind == PM_REQ_PERSIST) {
        pm_req_t *cur = r->cur;
        r->cur = NULL;
        pm_handle_del(PM_REQ, *request);
        *request = MPI_REQUEST_NULL;
        pm_req_destroy(r);
        if (cur)
            pm_p2p_release(cur); /* an ongoing send or receive: the engine frees it */
        return MPI_SUCCESS;
    }
    /* A send or receive goes on; the engine frees it when it completes. */
    pm_handle_del(PM_REQ, *request);
    *request = MPI_REQUEST_NULL;
    pm_p2p_release(r);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Cancel(MPI_Request *request)
{
    pm_req_t *r;

    PM_CHECK_INIT("MPI_Cancel");
    if (!request || !(r = pm_req_get(*request)))
        return PM_BAD_REQ("MPI_Cancel");
    /* A receive not matched yet is cancelled; anything else (a send, which
     * left at once, a one-sided request) completes normally, as MPI allows:
     * MPI_Test_cancelled then says false. */
    if (r->kind == PM_REQ_PERSIST) {
        if (r->cur)
            pm_p2p_cancel(r->cur);
        return MPI_SUCCESS;
    }
    pm_p2p_cancel(r);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Request_get_status(MPI_Request request, int *flag, MPI_Status *status)
{
    pm_req_t *r;

    PM_CHECK_INIT("MPI_Request_get_status");
    if (!flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Request_get_status", "NULL flag");
    if (request == MPI_REQUEST_NULL) {
        *flag = 1;
        pm_status_empty(status, MPI_SUCCESS);
        return MPI_SUCCESS;
    }
    if (!(r = pm_req_get(request)))
        return PM_BAD_REQ("MPI_Request_get_status");
    *flag = pm_req_poll(r, 0, "MPI_Request_get_status");
    if (*flag)
        pm_req_status(r, status);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Status_set_cancelled(MPI_Status *status, int flag)
{
    if (!status || status == MPI_STATUS_IGNORE)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Status_set_cancelled",
                           "no status");
    status->praas_cancelled_ = flag != 0;
    return MPI_SUCCESS;
}

/* Check an array of requests: every entry null or valid. */
static int pm_reqs_check(int count, MPI_Request reqs[], const char *call)
{
    if (count < 0 || (count && !reqs))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "%d requests", count);
    for (int i = 0; i < count; i++)
        if (reqs[i] != MPI_REQUEST_NULL && !pm_req_get(reqs[i]))
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_REQUEST, call,
                               "entry %d is not a request handle", i);
    return MPI_SUCCESS;
}

static MPI_Status *pm_st(MPI_Status sts[], int i)
{
    return sts == MPI_STATUSES_IGNORE || !sts ? MPI_STATUS_IGNORE : &sts[i];
}

PRAAS_API int MPI_Waitall(int count, MPI_Request array_of_requests[],
                          MPI_Status *array_of_statuses)
{
    int rc, failed = 0;

    PM_CHECK_INIT("MPI_Waitall");
    if ((rc = pm_reqs_check(count, array_of_requests, "MPI_Waitall")))
        return rc;
    for (int i = 0; i < count; i++) {
        pm_req_t *r = pm_req_get(array_of_requests[i]);
        if (!r) {
            pm_status_empty(pm_st(array_of_statuses, i), MPI_SUCCESS);
            continue;
        }
        while (!pm_req_poll(r, 1, "MPI_Waitall"))
            ;
        if (pm_req_release(&array_of_requests[i], r, pm_st(array_of_statuses, i)))
            failed = 1;
    }
    return failed ? MPI_ERR_IN_STATUS : MPI_SUCCESS;
}

PRAAS_API int MPI_Testall(int count, MPI_Request array_of_requests[], int *flag,
                          MPI_Status *array_of_statuses)
{
    int rc, all = 1, failed = 0;

    PM_CHECK_INIT("MPI_Testall");
    if ((rc = pm_reqs_check(count, array_of_requests, "MPI_Testall")))
        return rc;
    if (!flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Testall", "NULL flag");
    for (int i = 0; i < count; i++) {
        pm_req_t *r = pm_req_get(array_of_requests[i]);
        if (r && !pm_req_poll(r, 0, "MPI_Testall"))
            all = 0;
    }
    *flag = all;
    for (int i = 0; all && i < count; i++) {
        pm_req_t *r = pm_req_get(array_of_requests[i]);
        if (!r)
            pm_status_empty(pm_st(array_of_statuses, i), MPI_SUCCESS);
        else if (pm_req_release(&array_of_requests[i], r, pm_st(array_of_statuses, i)))
            failed = 1;
    }
    return failed ? MPI_ERR_IN_STATUS : MPI_SUCCESS;
}

/* Any: the first complete request (block: wait for one). */
static int pm_any(int count, MPI_Request reqs[], int *indx, int *flag, MPI_Status *status,
                  int block, const char *call)
{
    int rc, active;

    PM_CHECK_INIT(call);
    if ((rc = pm_reqs_check(count, reqs, call)))
        return rc;
    if (!indx)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL index");
    for (unsigned spin = 0;; spin++) {
        active = 0;
        for (int i = 0; i < count; i++) {
            pm_req_t *r = pm_req_get(reqs[i]);
            if (!r || (r->kind == PM_REQ_PERSIST && !r->p_active))
                continue;
            active = 1;
            if (pm_req_poll(r, 0, call)) {
                *indx = i;
                if (flag)
                    *flag = 1;
                return pm_req_release(&reqs[i], r, status);
            }
        }
        if (!active) {
            *indx = MPI_UNDEFINED;
            if (flag)
                *flag = 1;
            pm_status_empty(status, MPI_SUCCESS);
            return MPI_SUCCESS;
        }
        if (!block) {
            *indx = MPI_UNDEFINED;
            *flag = 0;
            return MPI_SUCCESS;
        }
        if (spin > 64)
            sched_yield();
    }
}

PRAAS_API int MPI_Waitany(int count, MPI_Request array_of_requests[], int *indx,
                          MPI_Status *status)
{
    return pm_any(count, array_of_requests, indx, NULL, status, 1, "MPI_Waitany");
}

PRAAS_API int MPI_Testany(int count, MPI_Request array_of_requests[], int *indx, int *flag,
                          MPI_Status *status)
{
    if (!flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Testany", "NULL flag");
    return pm_any(count, array_of_requests, indx, flag, status, 0, "MPI_Testany");
}

/* Some: every complete request (block: at least one). */
static int pm_some(int incount, MPI_Request reqs[], int *outcount, int indices[],
                   MPI_Status sts[], int block, const char *call)
{
    int rc, active, n, failed = 0;

    PM_CHECK_INIT(call);
    if ((rc = pm_reqs_check(incount, reqs, call)))
        return rc;
    if (!outcount || (incount && !indices))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL output");
    for (unsigned spin = 0;; spin++) {
        active = n = 0;
        for (int i = 0; i < incount; i++) {
            pm_req_t *r = pm_req_get(reqs[i]);
            if (!r || (r->kind == PM_REQ_PERSIST && !r->p_active))
                continue;
            active = 1;
            if (pm_req_poll(r, 0, call)) {
                indices[n] = i;
                if (pm_req_release(&reqs[i], r, pm_st(sts, n)))
                    failed = 1;
                n++;
            }
        }
        if (!active) {
            *outcount = MPI_UNDEFINED;
            return MPI_SUCCESS;
        }
        if (n || !block) {
            *outcount = n;
            return failed ? MPI_ERR_IN_STATUS : MPI_SUCCESS;
        }
        if (spin > 64)
            sched_yield();
    }
}

PRAAS_API int MPI_Waitsome(int incount, MPI_Request array_of_requests[], int *outcount,
                           int array_of_indices[], MPI_Status *array_of_statuses)
{
    return pm_some(incount, array_of_requests, outcount, array_of_indices, array_of_statuses,
                   1, "MPI_Waitsome");
}

PRAAS_API int MPI_Testsome(int incount, MPI_Request array_of_requests[], int *outcount,
                           int array_of_indices[], MPI_Status *array_of_statuses)
{
    return pm_some(incount, array_of_requests, outcount, array_of_indices, array_of_statuses,
                   0, "MPI_Testsome");
}

PRAAS_API int MPI_Test_cancelled(const MPI_Status *status, int *flag)
{
    if (!status || !flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Test_cancelled", "NULL argument");
    *flag = status->praas_cancelled_;
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Wait)
PM_PMPI(MPI_Test)
PM_PMPI(MPI_Request_free)
PM_PMPI(MPI_Cancel)
PM_PMPI(MPI_Request_get_status)
PM_PMPI(MPI_Status_set_cancelled)
PM_PMPI(MPI_Waitall)
PM_PMPI(MPI_Testall)
PM_PMPI(MPI_Waitany)
PM_PMPI(MPI_Testany)
PM_PMPI(MPI_Waitsome)
PM_PMPI(MPI_Testsome)
PM_PMPI(MPI_Test_cancelled)
