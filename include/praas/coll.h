/*
 * Collectives over all workers of the view, built on windows: one-sided
 * puts into peers' memory and notifications, no two-sided messaging.
 *
 * The view is the one installed (praas/view.h), joiners included: the first
 * collective after a change sets its members up. Block layouts (gather,
 * allgather, scatter, alltoall) follow the position in the view's members
 * (ascending world ranks); roots are world ranks (PRAAS_ERR_RANGE if not a
 * member). At a change the members make the same number of collectives in
 * the old view (agreed with the control plane, see doc/design.md); a later
 * one waits until the new view is installed.
 *
 * Every worker calls the same collectives in the same order with matching
 * arguments (counts, types, ops, root). Reductions apply the op in a fixed
 * order, so every rank gets bit-identical results (reproducible training).
 * The algorithm is chosen by size and worker count (PRAAS_COLL_ALLREDUCE
 * and friends force one; see praas-run --help-env).
 *
 * Threads: one collective at a time per process (serialized); the
 * non-blocking ones may be progressed from any single thread.
 */
#ifndef PRAAS_COLL_H
#define PRAAS_COLL_H

#include <stddef.h>

#include <praas/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pass as the send buffer for an in-place collective: the input is taken
 * from (and the result left in) the receive buffer. */
#define PRAAS_IN_PLACE ((const void *)1)

/* A user-defined reduction: inout[i] = in[i] OP inout[i] for i < count,
 * elements of `type`. Must be associative; if it is not commutative, say so
 * when creating it (the order is fixed anyway). arg is the pointer given at
 * creation. */
typedef void (*praas_user_op_fn)(const void *in, void *inout, size_t count, praas_type_t type,
                                 void *arg);

/* Create a reduction op usable in every collective (not in RMA
 * accumulates). *op_p receives an op value above PRAAS_OP_COUNT. */
int praas_op_create(praas_user_op_fn fn, int commute, void *arg, praas_op_t *op_p);
int praas_op_free(praas_op_t *op_p);

int praas_barrier(void);
int praas_bcast(void *buf, size_t count, praas_type_t type, int root);
/* recv matters at root only. */
int praas_reduce(const void *send, void *recv, size_t count, praas_type_t type, praas_op_t op,
                 int root);
int praas_allreduce(const void *send, void *recv, size_t count, praas_type_t type,
                    praas_op_t op);
/* Reduce count*size elements and leave block r (count elements) at rank r. */
int praas_reduce_scatter_block(const void *send, void *recv, size_t count, praas_type_t type,
                               praas_op_t op);
/* Every rank contributes count elements; recv gets size*count, in rank order. */
int praas_allgather(const void *send, size_t count, praas_type_t type, void *recv);
int praas_gather(const void *send, size_t count, praas_type_t type, void *recv, int root);
int praas_scatter(const void *send, size_t count, praas_type_t type, void *recv, int root);
/* Block r of send (count elements) goes to rank r; recv gets block s from rank s. */
int praas_alltoall(const void *send, size_t count, praas_type_t type, void *recv);

/* Non-blocking forms: start, then praas_coll_test or praas_coll_wait. The
 * buffers must not be touched until completion. One outstanding
 * non-blocking collective at a time, and no blocking one meanwhile. */
typedef struct praas_coll_req *praas_coll_req_t;
int praas_iallreduce(const void *send, void *recv, size_t count, praas_type_t type,
                     praas_op_t op, praas_coll_req_t *req_p);
int praas_ibarrier(praas_coll_req_t *req_p);
/* *flag_p = 1 and the request freed (*req_p = NULL) once it is complete. */
int praas_coll_test(praas_coll_req_t *req_p, int *flag_p);
int praas_coll_wait(praas_coll_req_t *req_p);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_COLL_H */
