/*
 * Non-blocking collectives. A request runs the blocking collective in a
 * thread of its own, so the caller computes meanwhile; the collective's
 * waits already progress the transport, so nothing else is needed. One
 * outstanding non-blocking collective at a time (praas/coll.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "coll/coll.h"
#include "core/common.h"
#include "core/error.h"

typedef enum { NB_ALLREDUCE, NB_BARRIER } nb_kind_t;

struct praas_coll_req {
    pthread_t thread;
    nb_kind_t kind;
    const void *send;
    void *recv;
    size_t count;
    praas_type_t type;
    praas_op_t op;
    atomic_int done;
    int rc;
    coll_team_t *team; /* chosen (and counted) by nb_start */
};

static void *nb_main(void *arg)
{
    struct praas_coll_req *req = arg;

    coll_team_use(req->team);
    if (req->kind == NB_ALLREDUCE)
        req->rc = praas_allreduce(req->send, req->recv, req->count, req->type, req->op);
    else
        req->rc = praas_barrier();
    atomic_store_explicit(&req->done, 1, memory_order_release);
    return NULL;
}

static int nb_start(struct praas_coll_req *req, praas_coll_req_t *req_p)
{
    coll_team_t *t;
    int rc;

    /* Create the team here, in the caller's thread, so its collective
     * set-up runs in program order. */
    rc = coll_team_get(&t);
    if (rc) {
        free(req);
        return rc;
    }
    req->team = t;
    atomic_init(&req->done, 0);
    rc = pthread_create(&req->thread, NULL, nb_main, req);
    if (rc) {
        free(req);
        return core_err(PRAAS_ERR_INTERNAL, "cannot start a non-blocking collective");
    }
    *req_p = req;
    return 0;
}

PRAAS_API int praas_iallreduce(const void *send, void *recv, size_t count, praas_type_t type,
                               praas_op_t op, praas_coll_req_t *req_p)
{
    struct praas_coll_req *req;
    int rc;

    if (!req_p)
        return core_err(PRAAS_ERR_INVALID, "iallreduce: NULL request");
    rc = coll_op_check(op, type);
    if (rc)
        return rc;
    if (count && (!send || !recv))
        return core_err(PRAAS_ERR_INVALID, "iallreduce of %zu elements with a NULL buffer",
                        count);
    req = calloc(1, sizeof(*req));
    if (!req)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
    *req = (struct praas_coll_req){.kind = NB_ALLREDUCE, .send = send, .recv = recv,
                                   .count = count, .type = type, .op = op};
    return nb_start(req, req_p);
}

PRAAS_API int praas_ibarrier(praas_coll_req_t *req_p)
{
    struct praas_coll_req *req;

    if (!req_p)
        return core_err(PRAAS_ERR_INVALID, "ibarrier: NULL request");
    req = calloc(1, sizeof(*req));
    if (!req)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
    req->kind = NB_BARRIER;
    return nb_start(req, req_p);
}

PRAAS_API int praas_coll_wait(praas_coll_req_t *req_p)
{
    struct praas_coll_req *req;
    int rc;

    if (!req_p)
        return core_err(PRAAS_ERR_INVALID, "praas_coll_wait: NULL argument");
    req = *req_p;
    if (!req)
        return 0;
    /* The collective's own waits are bounded (PRAAS_OP_TIMEOUT), so the
     * join is too. */
    pthread_join(req->thread, NULL);
    rc = req->rc;
    free(req);
    *req_p = NULL;
    return rc;
}

PRAAS_API int praas_coll_test(praas_coll_req_t *req_p, int *flag_p)
{
    if (!req_p || !flag_p)
        return core_err(PRAAS_ERR_INVALID, "praas_coll_test: NULL argument");
    if (*req_p && !atomic_load_explicit(&(*req_p)->done, memory_order_acquire)) {
        *flag_p = 0;
        return 0;
    }
    *flag_p = 1;
    return praas_coll_wait(req_p);
}
