/*
 * Reduction ops of the collectives: the predefined ones (rma/op.c does the
 * arithmetic) and user-defined ones, numbered above PRAAS_OP_COUNT.
 */
#include <pthread.h>
#include <stdlib.h>

#include "coll/coll.h"
#include "core/common.h"
#include "core/error.h"
#include "rma/op.h"

#define COLL_MAX_USER_OPS 256

typedef struct coll_user_op {
    praas_user_op_fn fn;
    void *arg;
    int commute;
} coll_user_op_t;

static coll_user_op_t coll_user_ops[COLL_MAX_USER_OPS];
static pthread_mutex_t coll_user_lock = PTHREAD_MUTEX_INITIALIZER;

/* User op values: PRAAS_OP_COUNT + 1 + slot. */
static coll_user_op_t *coll_user_op(praas_op_t op)
{
    long slot = (long)op - (long)PRAAS_OP_COUNT - 1;

    if (slot < 0 || slot >= COLL_MAX_USER_OPS || !coll_user_ops[slot].fn)
        return NULL;
    return &coll_user_ops[slot];
}

PRAAS_API int praas_op_create(praas_user_op_fn fn, int commute, void *arg, praas_op_t *op_p)
{
    if (!fn || !op_p)
        return core_err(PRAAS_ERR_INVALID, "praas_op_create: NULL function or output");
    pthread_mutex_lock(&coll_user_lock);
    for (int i = 0; i < COLL_MAX_USER_OPS; i++) {
        if (!coll_user_ops[i].fn) {
            coll_user_ops[i] = (coll_user_op_t){fn, arg, !!commute};
            pthread_mutex_unlock(&coll_user_lock);
            *op_p = (praas_op_t)(PRAAS_OP_COUNT + 1 + i);
            return 0;
        }
    }
    pthread_mutex_unlock(&coll_user_lock);
    return core_err(PRAAS_ERR_NOMEM, "praas_op_create: %d user ops exist already",
                    COLL_MAX_USER_OPS);
}

PRAAS_API int praas_op_free(praas_op_t *op_p)
{
    coll_user_op_t *u;

    if (!op_p)
        return core_err(PRAAS_ERR_INVALID, "praas_op_free: NULL argument");
    pthread_mutex_lock(&coll_user_lock);
    u = coll_user_op(*op_p);
    if (u)
        u->fn = NULL;
    pthread_mutex_unlock(&coll_user_lock);
    if (!u)
        return core_err(PRAAS_ERR_INVALID, "praas_op_free: op %d is not a user op", (int)*op_p);
    *op_p = PRAAS_OP_COUNT;
    return 0;
}

int coll_op_check(praas_op_t op, praas_type_t type)
{
    if (praas_type_size(type) == 0)
        return core_err(PRAAS_ERR_INVALID, "collective: %d is not a praas type", (int)type);
    if ((int)op > (int)PRAAS_OP_COUNT)
        return coll_user_op(op) ? 0
                                : core_err(PRAAS_ERR_INVALID, "collective: op %d does not exist",
                                           (int)op);
    if (op == PRAAS_OP_REPLACE || op == PRAAS_OP_NO_OP)
        return core_err(PRAAS_ERR_INVALID, "collective: %s is for accumulates only",
                        praas_op_name(op));
    return rma_op_check(op, type);
}

void coll_op_apply(praas_op_t op, praas_type_t type, const void *in, void *inout, size_t count)
{
    coll_user_op_t *u = (int)op > (int)PRAAS_OP_COUNT ? coll_user_op(op) : NULL;

    if (u)
        u->fn(in, inout, count, type, u->arg);
    else
        /* Predefined ops commute, so inout OP in is in OP inout. */
        rma_op_apply(op, type, in, inout, count);
}

int coll_op_commutes(praas_op_t op)
{
    coll_user_op_t *u = (int)op > (int)PRAAS_OP_COUNT ? coll_user_op(op) : NULL;

    return u ? u->commute : 1;
}
