/*
 * Applying reduction operations to arrays of predefined types: the engine
 * under accumulates (at the origin for shared-memory targets, at the target
 * for the others) and under the collectives' reductions.
 */
#ifndef PRAAS_RMA_OP_H
#define PRAAS_RMA_OP_H

#include <stddef.h>

#include <praas/types.h>

/* The size of each type (rma_type_size() below). */
extern const size_t rma_type_sizes[];

/* The size of one element of type, 0 for a type out of range: inline
 * praas_type_size(), for the fast paths. */
static inline size_t rma_type_size(praas_type_t type)
{
    return (unsigned)type < PRAAS_TYPE_COUNT ? rma_type_sizes[type] : 0;
}

/* Check that op applies to type; PRAAS_ERR_INVALID naming both otherwise
 * (also for a type or op out of range). */
int rma_op_check(praas_op_t op, praas_type_t type);

/* inout[i] = inout[i] OP in[i] for i < count, not atomically. REPLACE
 * copies in to inout; NO_OP leaves inout as it is. op must be valid for
 * type (rma_op_check). Buffers may be unaligned. */
void rma_op_apply(praas_op_t op, praas_type_t type, const void *in, void *inout, size_t count);

/* The same, element-wise atomic with respect to every other
 * rma_op_apply_atomic() and rma_op_cas_atomic() on the same memory, also
 * from other processes mapping it (shared memory), whatever their op, type
 * or count: each element is read, combined and written under a lock
 * striped by address in `locks` (rma/op_atomic.c), taken for a chunk of at
 * most RMA_OP_BULK_CHUNK bytes at a time, inside which the plain
 * rma_op_apply() loop runs. Elements of 2, 4 and 8 bytes must be naturally
 * aligned (rma_op_needs_alignment), so that a plain load elsewhere of such
 * an element (a target polling its own memory) never sees half of an
 * update. When old is non-NULL it receives the elements' values before the
 * operation (get-accumulate, fetch-and-op); it may overlap in. `locks`
 * points to RMA_OP_NLOCKS ints (zero-initialized; RMA_OP_STRIPES locks
 * each in its own cache line) in memory shared by everyone who applies to
 * this target memory, for example the window's control block. */
enum {
    RMA_OP_STRIPES = 8,          /* locks per 4096-byte block: one per 512 bytes */
    RMA_OP_LOCK_STRIDE = 16,     /* ints from one lock to the next: a cache line */
    RMA_OP_NLOCKS = RMA_OP_STRIPES * RMA_OP_LOCK_STRIDE, /* ints in the table */
    RMA_OP_BULK_CHUNK = 64 * 1024,
};
void rma_op_apply_atomic(praas_op_t op, praas_type_t type, const void *in, void *target,
                         void *old, size_t count, int *locks);

/* Atomic compare-and-swap of one element of type, under the same striped
 * lock (types of 1, 2, 4 and 8 bytes compare bit patterns, long double and
 * the pairs values): if *target equals *compare, *target = *in; *old
 * receives the previous value. */
void rma_op_cas_atomic(praas_type_t type, const void *in, const void *compare, void *target,
                       void *old, int *locks);

/* Whether an element of type must be aligned to its size for
 * rma_op_apply_atomic (1 for the 2/4/8-byte types of RMA_TYPES_CPU, 0 for
 * the others). */
int rma_op_needs_alignment(praas_type_t type);

#endif /* PRAAS_RMA_OP_H */
