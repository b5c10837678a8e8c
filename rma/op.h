/*
 * Applying reduction operations to arrays of predefined types: the engine
 * under accumulates (at the origin for shared-memory targets, at the target
 * for the others) and under the collectives' reductions.
 */
#ifndef PRAAS_RMA_OP_H
#define PRAAS_RMA_OP_H

#include <stddef.h>

#include <praas/types.h>

/* Check that op applies to type; PRAAS_ERR_INVALID naming both otherwise
 * (also for a type or op out of range). */
int rma_op_check(praas_op_t op, praas_type_t type);

/* inout[i] = inout[i] OP in[i] for i < count, not atomically. REPLACE
 * copies in to inout; NO_OP leaves inout as it is. op must be valid for
 * type (rma_op_check). Buffers may be unaligned. */
void rma_op_apply(praas_op_t op, praas_type_t type, const void *in, void *inout, size_t count);

/* The same, element-wise atomic with respect to every other
 * rma_op_apply_atomic() on the same memory, also from other processes
 * mapping it (shared memory): each element is read, combined and written as
 * one atomic step (CPU atomics for elements of 1, 2, 4 and 8 bytes, which
 * must then be naturally aligned; a lock striped by address in `locks` for
 * larger ones: long double and the pair types). When old is non-NULL it
 * receives the elements' values before the operation (get-accumulate,
 * fetch-and-op). `locks` points to RMA_OP_NLOCKS ints (zero-initialized) in
 * memory shared by everyone who applies to this target memory, for example
 * the window's control block. */
enum { RMA_OP_NLOCKS = 64 };
void rma_op_apply_atomic(praas_op_t op, praas_type_t type, const void *in, void *target,
                         void *old, size_t count, int *locks);

/* Atomic compare-and-swap of one element of type (any type of 1, 2, 4, 8
 * bytes by bit pattern, larger ones under the striped lock): if *target
 * equals *compare, *target = *in; *old receives the previous value. */
void rma_op_cas_atomic(praas_type_t type, const void *in, const void *compare, void *target,
                       void *old, int *locks);

/* Whether an element of type must be aligned to its size for
 * rma_op_apply_atomic (1 for 2/4/8-byte types, 0 for the others). */
int rma_op_needs_alignment(praas_type_t type);

#endif /* PRAAS_RMA_OP_H */
