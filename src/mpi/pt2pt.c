/*
 * Point-to-point calls: argument checks and the MPI modes, over the engine
 * of p2p.c.
 *
 * Every send is complete locally when the engine returns (the transport
 * copied the data), so MPI_Send, MPI_Rsend and MPI_Bsend return at once and
 * MPI_Isend gives a complete request; MPI_Ssend and MPI_Issend wait for the
 * receiver's ack. MPI_Bsend still checks the attached buffer, as MPI
 * requires one big enough, though the data never stays in it.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

enum { PM_MODE_STD, PM_MODE_SYNC, PM_MODE_READY, PM_MODE_BUFFERED };

static void *pm_bsend_buf;
static int pm_bsend_size = -1; /* -1: no buffer attached */
static pthread_mutex_t pm_bsend_lock = PTHREAD_MUTEX_INITIALIZER;

/* Check a buffer description. */
static int pm_p2p_type(pm_comm_t *c, const char *call, int count, MPI_Datatype dt,
                       pm_type_t **t_p)
{
    const char *why;

    if (count < 0)
        return pm_err_comm(c->handle, MPI_ERR_COUNT, call, "count %d is negative", count);
    if (pm_type_usable(dt, t_p, &why))
        return pm_err_comm(c->handle, MPI_ERR_TYPE, call, "datatype %#x %s", (unsigned)dt,
                           why);
    return 0;
}

/* A rank argument: a rank of c, MPI_PROC_NULL, or (any: receives) MPI_ANY_SOURCE. */
static int pm_p2p_rank(pm_comm_t *c, const char *call, int rank, int any)
{
    if ((rank >= 0 && rank < c->size) || rank == MPI_PROC_NULL ||
        (any && rank == MPI_ANY_SOURCE))
        return 0;
    return pm_err_comm(c->handle, MPI_ERR_RANK, call, "rank %d is not in the %d ranks of %s",
                       rank, c->size, c->name[0] ? c->name : "the communicator");
}

static int pm_p2p_tag(pm_comm_t *c, const char *call, int tag, int any)
{
    if (tag >= 0 || (any && tag == MPI_ANY_TAG))
        return 0;
    return pm_err_comm(c->handle, MPI_ERR_TAG, call, "tag %d is invalid", tag);
}

/* A request complete at once (a send, or an operation with MPI_PROC_NULL). */
static int pm_req_done(pm_comm_t *c, int proc_null, MPI_Request *request, const char *call)
{
    pm_req_t *r = calloc(1, sizeof(*r));

    if (!r)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory for a request");
    r->kind = proc_null ? PM_REQ_RECV : PM_REQ_SEND;
    r->comm = c->handle;
    r->st_source = proc_null ? MPI_PROC_NULL : MPI_ANY_SOURCE;
    r->st_tag = MPI_ANY_TAG;
    atomic_init(&r->done, 1);
    if (pm_req_handle(r, request)) {
        free(r);
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory for a request");
    }
    return MPI_SUCCESS;
}

/* Every send: mode, blocking (request NULL) or not. */
static int pm_send(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
                   MPI_Comm comm, int mode, MPI_Request *request, const char *call)
{
    pm_req_t *r = NULL;
    pm_type_t *t;
    int rc;

    PM_GET_COMM(c, comm, call);
    if ((rc = pm_p2p_type(c, call, count, dt, &t)) || (rc = pm_p2p_rank(c, call, dest, 0)) ||
        (rc = pm_p2p_tag(c, call, tag, 0)))
        return rc;
    if (request == NULL && call[4] == 'I')
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL request");
    if (mode == PM_MODE_BUFFERED) {
        size_t need = (size_t)count * t->psize + MPI_BSEND_OVERHEAD;
        pthread_mutex_lock(&pm_bsend_lock);
        rc = pm_bsend_size < 0 || need > (size_t)pm_bsend_size;
        pthread_mutex_unlock(&pm_bsend_lock);
        if (rc)
            return pm_err_comm(comm, MPI_ERR_BUFFER, call,
                               "%zu bytes (with MPI_BSEND_OVERHEAD) do not fit in the attached "
                               "buffer (%d bytes)",
                               need, pm_bsend_size < 0 ? 0 : pm_bsend_size);
    }
    if (dest == MPI_PROC_NULL)
        return request ? pm_req_done(c, 0, request, call) : MPI_SUCCESS;
    rc = pm_p2p_send_typed(c, c->ctx, buf, (size_t)count, t, dest, tag, mode == PM_MODE_SYNC,
                           &r);
    if (rc > 0)
        return pm_err_comm(comm, rc, call, "no memory for %d elements", count);
    if (rc < 0)
        return pm_praas_comm(comm, rc, PM_CTX_GENERIC, call);
    if (!r)
        return request ? pm_req_done(c, 0, request, call) : MPI_SUCCESS;
    if (!request)
        return pm_req_complete(r, MPI_STATUS_IGNORE, call);
    if (pm_req_handle(r, request)) {
        pm_p2p_release(r); /* the ack frees it */
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for a request");
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                       MPI_Comm comm)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_STD, NULL, "MPI_Send");
}

PRAAS_API int MPI_Ssend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_SYNC, NULL, "MPI_Ssend");
}

PRAAS_API int MPI_Rsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_READY, NULL, "MPI_Rsend");
}

PRAAS_API int MPI_Bsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_BUFFERED, NULL, "MPI_Bsend");
}

PRAAS_API int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                        MPI_Comm comm, MPI_Request *request)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_STD, request, "MPI_Isend");
}

PRAAS_API int MPI_Issend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_SYNC, request, "MPI_Issend");
}

PRAAS_API int MPI_Irsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_READY, request,
                   "MPI_Irsend");
}

PRAAS_API int MPI_Ibsend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request)
{
    return pm_send(buf, count, datatype, dest, tag, comm, PM_MODE_BUFFERED, request,
                   "MPI_Ibsend");
}

PRAAS_API int MPI_Buffer_attach(void *buffer, int size)
{
    int rc = 0;

    PM_CHECK_INIT("MPI_Buffer_attach");
    if (size < 0 || (!buffer && size))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_BUFFER, "MPI_Buffer_attach",
                           "size %d or NULL buffer", size);
    pthread_mutex_lock(&pm_bsend_lock);
    if (pm_bsend_size >= 0)
        rc = 1;
    else {
        pm_bsend_buf = buffer;
        pm_bsend_size = size;
    }
    pthread_mutex_unlock(&pm_bsend_lock);
    return rc ? pm_err_comm(MPI_COMM_WORLD, MPI_ERR_BUFFER, "MPI_Buffer_attach",
                            "a buffer is already attached")
              : MPI_SUCCESS;
}

PRAAS_API int MPI_Buffer_detach(void *buffer_addr, int *size)
{
    int rc = 0;

    PM_CHECK_INIT("MPI_Buffer_detach");
    if (!buffer_addr || !size)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Buffer_detach", "NULL output");
    /* Buffered sends left at once: nothing to wait for. */
    pthread_mutex_lock(&pm_bsend_lock);
    if (pm_bsend_size < 0)
        rc = 1;
    else {
        *(void **)buffer_addr = pm_bsend_buf;
        *size = pm_bsend_size;
        pm_bsend_buf = NULL;
        pm_bsend_size = -1;
    }
    pthread_mutex_unlock(&pm_bsend_lock);
    return rc ? pm_err_comm(MPI_COMM_WORLD, MPI_ERR_BUFFER, "MPI_Buffer_detach",
                            "no buffer is attached")
              : MPI_SUCCESS;
}

/* Post a receive; *r_p NULL for MPI_PROC_NULL. */
static int pm_irecv(pm_comm_t *c, void *buf, int count, MPI_Datatype dt, int source, int tag,
                    pm_req_t **r_p, const char *call)
{
    pm_type_t *t;
    int rc;

    if ((rc = pm_p2p_type(c, call, count, dt, &t)) || (rc = pm_p2p_rank(c, call, source, 1)) ||
        (rc = pm_p2p_tag(c, call, tag, 1)))
        return rc;
    *r_p = NULL;
    if (source == MPI_PROC_NULL)
        return MPI_SUCCESS;
    rc = pm_p2p_recv(c, c->ctx, buf, (size_t)count, t, source, tag, r_p);
    return rc ? pm_err_comm(c->handle, rc, call, "no memory for a receive") : MPI_SUCCESS;
}

static void pm_status_proc_null(MPI_Status *st)
{
    if (!st || st == MPI_STATUS_IGNORE)
        return;
    st->MPI_SOURCE = MPI_PROC_NULL;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
    st->praas_cancelled_ = 0;
    st->praas_count_ = 0;
}

PRAAS_API int MPI_Recv(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                       MPI_Comm comm, MPI_Status *status)
{
    pm_req_t *r;
    int rc;

    PM_GET_COMM(c, comm, "MPI_Recv");
    if ((rc = pm_irecv(c, buf, count, datatype, source, tag, &r, "MPI_Recv")))
        return rc;
    if (!r) {
        pm_status_proc_null(status);
        return MPI_SUCCESS;
    }
    return pm_req_complete(r, status, "MPI_Recv");
}

PRAAS_API int MPI_Irecv(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                        MPI_Comm comm, MPI_Request *request)
{
    pm_req_t *r;
    int rc;

    PM_GET_COMM(c, comm, "MPI_Irecv");
    if (!request)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Irecv", "NULL request");
    if ((rc = pm_irecv(c, buf, count, datatype, source, tag, &r, "MPI_Irecv")))
        return rc;
    if (!r)
        return pm_req_done(c, 1, request, "MPI_Irecv");
    if (pm_req_handle(r, request)) {
        if (pm_p2p_cancel(r))
            pm_req_destroy(r);
        else
            pm_p2p_release(r);
        return pm_err_comm(comm, MPI_ERR_NO_MEM, "MPI_Irecv", "no memory for a request");
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                           int sendtag, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                           int source, int recvtag, MPI_Comm comm, MPI_Status *status)
{
    pm_req_t *r;
    int rc;

    PM_GET_COMM(c, comm, "MPI_Sendrecv");
    if ((rc = pm_irecv(c, recvbuf, recvcount, recvtype, source, recvtag, &r, "MPI_Sendrecv")))
        return rc;
    rc = pm_send(sendbuf, sendcount, sendtype, dest, sendtag, comm, PM_MODE_STD, NULL,
                 "MPI_Sendrecv");
    if (!r) {
        pm_status_proc_null(status);
        return rc;
    }
    if (rc) { /* the receive stays posted unless it can be taken back */
        if (pm_p2p_cancel(r))
            pm_req_destroy(r);
        else
            pm_p2p_release(r);
        return rc;
    }
    return pm_req_complete(r, status, "MPI_Sendrecv");
}

PRAAS_API int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest,
                                   int sendtag, int source, int recvtag, MPI_Comm comm,
                                   MPI_Status *status)
{
    pm_req_t *r, *s = NULL;
    pm_type_t *t;
    void *tmp;
    size_t len;
    int rc;

    PM_GET_COMM(c, comm, "MPI_Sendrecv_replace");
    if ((rc = pm_p2p_type(c, "MPI_Sendrecv_replace", count, datatype, &t)) ||
        (rc = pm_p2p_rank(c, "MPI_Sendrecv_replace", dest, 0)) ||
        (rc = pm_p2p_tag(c, "MPI_Sendrecv_replace", sendtag, 0)))
        return rc;
    /* The outgoing data is packed aside first, so the receive may land in buf. */
    len = (size_t)count * t->psize;
    tmp = malloc(len ? len : 1);
    if (!tmp)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, "MPI_Sendrecv_replace", "no memory");
    pm_pack(t, (size_t)count, buf, tmp, len);
    rc = pm_irecv(c, buf, count, datatype, source, recvtag, &r, "MPI_Sendrecv_replace");
    if (rc) {
        free(tmp);
        return rc;
    }
    if (dest != MPI_PROC_NULL)
        rc = pm_p2p_send(c, c->ctx, tmp, len, dest, sendtag, 0, &s);
    free(tmp);
    if (rc) {
        if (r) {
            if (pm_p2p_cancel(r))
                pm_req_destroy(r);
            else
                pm_p2p_release(r);
        }
        return rc > 0 ? pm_err_comm(comm, rc, "MPI_Sendrecv_replace", "no memory")
                      : pm_praas_comm(comm, rc, PM_CTX_GENERIC, "MPI_Sendrecv_replace");
    }
    if (!r) {
        pm_status_proc_null(status);
        return MPI_SUCCESS;
    }
    return pm_req_complete(r, status, "MPI_Sendrecv_replace");
}

static int pm_probe(int source, int tag, MPI_Comm comm, int block, int *flag,
                    MPI_Status *status, const char *call)
{
    int src, tg, found;
    MPI_Count bytes;

    PM_GET_COMM(c, comm, call);
    if (!block && !flag)
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL flag");
    if ((found = pm_p2p_rank(c, call, source, 1)) || (found = pm_p2p_tag(c, call, tag, 1)))
        return found;
    if (source == MPI_PROC_NULL) {
        if (flag)
            *flag = 1;
        pm_status_proc_null(status);
        return MPI_SUCCESS;
    }
    found = pm_p2p_probe(c, c->ctx, source, tag, block, &src, &tg, &bytes);
    if (flag)
        *flag = found;
    if (found && status && status != MPI_STATUS_IGNORE) {
        status->MPI_SOURCE = src;
        status->MPI_TAG = tg;
        status->MPI_ERROR = MPI_SUCCESS;
        status->praas_cancelled_ = 0;
        status->praas_count_ = bytes;
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    return pm_probe(source, tag, comm, 1, NULL, status, "MPI_Probe");
}

PRAAS_API int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    return pm_probe(source, tag, comm, 0, flag, status, "MPI_Iprobe");
}

/* ---- matched probe ---- */

/* What an MPI_Message handle stands for: a message taken out of the
 * matching lists by MPI_Mprobe, to be received by MPI_Mrecv only. */
typedef struct pm_message {
    pm_comm_t *c; /* a reference */
    void *msg;
} pm_message_t;

static void pm_status_set(MPI_Status *st, int src, int tag, MPI_Count bytes)
{
    if (!st || st == MPI_STATUS_IGNORE)
        return;
    st->MPI_SOURCE = src;
    st->MPI_TAG = tag;
    st->MPI_ERROR = MPI_SUCCESS;
    st->praas_cancelled_ = 0;
    st->praas_count_ = bytes;
}

static int pm_mprobe(int source, int tag, MPI_Comm comm, int block, int *flag,
                     MPI_Message *message, MPI_Status *status, const char *call)
{
    pm_message_t *m;
    MPI_Count bytes;
    int src, tg, rc;
    void *msg;

    PM_GET_COMM(c, comm, call);
    if ((!block && !flag) || !message)
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL flag or message");
    if ((rc = pm_p2p_rank(c, call, source, 1)) || (rc = pm_p2p_tag(c, call, tag, 1)))
        return rc;
    if (source == MPI_PROC_NULL) {
        if (flag)
            *flag = 1;
        *message = MPI_MESSAGE_NO_PROC;
        pm_status_proc_null(status);
        return MPI_SUCCESS;
    }
    /* The handle first: a message taken out of the lists must not be lost
     * for want of one. */
    m = malloc(sizeof(*m));
    if (!m)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for a message handle");
    msg = pm_p2p_mprobe(c, c->ctx, source, tag, block, &src, &tg, &bytes);
    if (flag)
        *flag = msg != NULL;
    if (!msg) {
        free(m);
        *message = MPI_MESSAGE_NULL;
        return MPI_SUCCESS;
    }
    if (pm_handle_new(PM_MSG, m, message)) {
        /* No handle: receive into nothing rather than keep a message no
         * call can reach (this rank is out of memory anyway). */
        pm_req_t *r = NULL;
        free(m);
        if (!pm_p2p_mrecv(c, msg, NULL, 0, pm_type(MPI_BYTE), &r) && r)
            pm_req_destroy(r);
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for a message handle");
    }
    pm_comm_ref(c);
    m->c = c;
    m->msg = msg;
    pm_status_set(status, src, tg, bytes);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message,
                         MPI_Status *status)
{
    return pm_mprobe(source, tag, comm, 1, NULL, message, status, "MPI_Mprobe");
}

PRAAS_API int MPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message,
                          MPI_Status *status)
{
    return pm_mprobe(source, tag, comm, 0, flag, message, status, "MPI_Improbe");
}

/* Receive a matched message: *r_p NULL for MPI_MESSAGE_NO_PROC. */
static int pm_mrecv(void *buf, int count, MPI_Datatype dt, MPI_Message *message, pm_req_t **r_p,
                    const char *call)
{
    pm_message_t *m;
    pm_type_t *t;
    pm_comm_t *c;
    int rc;

    PM_CHECK_INIT(call);
    if (!message)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL message");
    *r_p = NULL;
    if (*message == MPI_MESSAGE_NO_PROC) {
        *message = MPI_MESSAGE_NULL;
        return MPI_SUCCESS;
    }
    m = pm_handle_get(PM_MSG, *message);
    if (!m)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_REQUEST, call,
                           "%#x is not a message of MPI_Mprobe or MPI_Improbe",
                           (unsigned)*message);
    c = m->c;
    if ((rc = pm_p2p_type(c, call, count, dt, &t)))
        return rc;
    rc = pm_p2p_mrecv(c, m->msg, buf, (size_t)count, t, r_p);
    if (rc)
        return pm_err_comm(c->handle, rc, call, "no memory for a receive");
    pm_handle_del(PM_MSG, *message);
    *message = MPI_MESSAGE_NULL;
    pm_comm_unref(c);
    free(m);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Mrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message,
                        MPI_Status *status)
{
    pm_req_t *r;
    int rc = pm_mrecv(buf, count, datatype, message, &r, "MPI_Mrecv");

    if (rc)
        return rc;
    if (!r) {
        pm_status_proc_null(status);
        return MPI_SUCCESS;
    }
    return pm_req_complete(r, status, "MPI_Mrecv");
}

PRAAS_API int MPI_Imrecv(void *buf, int count, MPI_Datatype datatype, MPI_Message *message,
                         MPI_Request *request)
{
    pm_req_t *r;
    int rc;

    if (!request)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Imrecv", "NULL request");
    rc = pm_mrecv(buf, count, datatype, message, &r, "MPI_Imrecv");
    if (rc)
        return rc;
    if (!r)
        return pm_req_done(pm_comm(MPI_COMM_SELF), 1, request, "MPI_Imrecv");
    if (pm_req_handle(r, request)) {
        pm_req_destroy(r); /* complete already */
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Imrecv",
                           "no memory for a request");
    }
    return MPI_SUCCESS;
}

/* ---- persistent requests ----
 * A persistent request keeps the arguments; MPI_Start runs the operation
 * as MPI_Isend (or Issend, ...) or MPI_Irecv would, holding the engine's
 * request in `cur` until a wait or test completes it; the request then
 * becomes inactive again (request.c). */

static int pm_persist_init(int is_send, int mode, const void *buf, int count, MPI_Datatype dt,
                           int peer, int tag, MPI_Comm comm, MPI_Request *request,
                           const char *call)
{
    pm_type_t *t;
    pm_req_t *r;
    int rc;

    PM_GET_COMM(c, comm, call);
    if (!request)
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL request");
    if ((rc = pm_p2p_type(c, call, count, dt, &t)) ||
        (rc = pm_p2p_rank(c, call, peer, !is_send)) ||
        (rc = pm_p2p_tag(c, call, tag, !is_send)))
        return rc;
    r = calloc(1, sizeof(*r));
    if (!r || pm_req_handle(r, request)) {
        free(r);
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for a request");
    }
    r->kind = PM_REQ_PERSIST;
    r->comm = comm;
    r->p_send = is_send;
    r->p_mode = mode;
    r->p_buf = buf;
    r->p_count = count;
    r->p_dt = dt;
    r->p_peer = peer;
    r->p_tag = tag;
    r->type = t; /* keeps the datatype alive while the request lives */
    pm_type_ref(t);
    r->st_source = MPI_ANY_SOURCE;
    r->st_tag = MPI_ANY_TAG;
    atomic_init(&r->done, 1); /* inactive */
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Send_init(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
                            MPI_Comm comm, MPI_Request *request)
{
    return pm_persist_init(1, PM_MODE_STD, buf, count, datatype, dest, tag, comm, request,
                           "MPI_Send_init");
}

PRAAS_API int MPI_Ssend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request)
{
    return pm_persist_init(1, PM_MODE_SYNC, buf, count, datatype, dest, tag, comm, request,
                           "MPI_Ssend_init");
}

PRAAS_API int MPI_Rsend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request)
{
    return pm_persist_init(1, PM_MODE_READY, buf, count, datatype, dest, tag, comm, request,
                           "MPI_Rsend_init");
}

PRAAS_API int MPI_Bsend_init(const void *buf, int count, MPI_Datatype datatype, int dest,
                             int tag, MPI_Comm comm, MPI_Request *request)
{
    return pm_persist_init(1, PM_MODE_BUFFERED, buf, count, datatype, dest, tag, comm, request,
                           "MPI_Bsend_init");
}

PRAAS_API int MPI_Recv_init(void *buf, int count, MPI_Datatype datatype, int source, int tag,
                            MPI_Comm comm, MPI_Request *request)
{
    return pm_persist_init(0, PM_MODE_STD, buf, count, datatype, source, tag, comm, request,
                           "MPI_Recv_init");
}

/* Start the operation of an inactive persistent request. */
static int pm_persist_start(MPI_Request request, const char *call)
{
    static const char *const names[] = {"MPI_Send", "MPI_Ssend", "MPI_Rsend", "MPI_Bsend"};
    pm_req_t *r = pm_handle_get(PM_REQ, request), *cur = NULL;
    MPI_Request inner = MPI_REQUEST_NULL;
    int rc;

    if (!r || r->kind != PM_REQ_PERSIST)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_REQUEST, call,
                           "%#x is not a persistent request", (unsigned)request);
    if (!atomic_load(&r->done) || r->cur)
        return pm_err_comm(r->comm, MPI_ERR_REQUEST, call,
                           "the request is active: wait for it or test it first");
    r->err = 0;
    r->st_err = 0;
    r->st_cancelled = 0;
    r->st_bytes = 0;
    r->st_source = MPI_ANY_SOURCE;
    r->st_tag = MPI_ANY_TAG;
    if (r->p_send) {
        /* The mode's checks and send, as its MPI_I* form: a request that
         * is complete at once or waits for the ack. */
        rc = pm_send(r->p_buf, r->p_count, r->p_dt, r->p_peer, r->p_tag, r->comm, r->p_mode,
                     &inner, names[r->p_mode]);
    } else if (r->p_peer == MPI_PROC_NULL) {
        r->st_source = MPI_PROC_NULL;
        atomic_store(&r->done, 1);
        r->cur = NULL;
        r->p_active = 1;
        return MPI_SUCCESS;
    } else {
        rc = PMPI_Irecv((void *)r->p_buf, r->p_count, r->p_dt, r->p_peer, r->p_tag, r->comm,
                       &inner);
    }
    if (rc)
        return rc;
    /* The inner request leaves the handle table: the persistent one owns
     * it. */
    cur = pm_handle_get(PM_REQ, inner);
    pm_handle_del(PM_REQ, inner);
    r->cur = cur;
    r->p_active = 1;
    atomic_store(&r->done, 0);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Start(MPI_Request *request)
{
    PM_CHECK_INIT("MPI_Start");
    if (!request)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_REQUEST, "MPI_Start", "NULL request");
    return pm_persist_start(*request, "MPI_Start");
}

PRAAS_API int MPI_Startall(int count, MPI_Request array_of_requests[])
{
    PM_CHECK_INIT("MPI_Startall");
    if (count < 0 || (count && !array_of_requests))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Startall", "%d requests", count);
    for (int i = 0; i < count; i++) {
        int rc = pm_persist_start(array_of_requests[i], "MPI_Startall");
        if (rc)
            return rc;
    }
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Send)
PM_PMPI(MPI_Ssend)
PM_PMPI(MPI_Rsend)
PM_PMPI(MPI_Bsend)
PM_PMPI(MPI_Isend)
PM_PMPI(MPI_Issend)
PM_PMPI(MPI_Irsend)
PM_PMPI(MPI_Ibsend)
PM_PMPI(MPI_Buffer_attach)
PM_PMPI(MPI_Buffer_detach)
PM_PMPI(MPI_Recv)
PM_PMPI(MPI_Irecv)
PM_PMPI(MPI_Sendrecv)
PM_PMPI(MPI_Sendrecv_replace)
PM_PMPI(MPI_Probe)
PM_PMPI(MPI_Iprobe)
PM_PMPI(MPI_Mprobe)
PM_PMPI(MPI_Improbe)
PM_PMPI(MPI_Mrecv)
PM_PMPI(MPI_Imrecv)
PM_PMPI(MPI_Send_init)
PM_PMPI(MPI_Ssend_init)
PM_PMPI(MPI_Rsend_init)
PM_PMPI(MPI_Bsend_init)
PM_PMPI(MPI_Recv_init)
PM_PMPI(MPI_Start)
PM_PMPI(MPI_Startall)
