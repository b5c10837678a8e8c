/*
 * Predefined types and reduction operations: their sizes, names and
 * validity (the public praas/types.h), and the plain, non-atomic
 * application of an operation to arrays (rma/op.h). The atomic variants
 * are in rma/op_atomic.c; both take their per-type code from the lists in
 * rma/op_combine.h.
 */
#include <string.h>

/* The loops below are the inner loops of bulk accumulates and of the
 * collectives' reductions: have GCC vectorize them even at -O2, whose
 * cost model (GCC 12: "very cheap") refuses loops that need a run-time
 * check that in and inout do not overlap. Everything else here is small. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "core/common.h"
#include "core/error.h"
#include "rma/op.h"
#include "rma/op_combine.h"

#define OP_BIT_(OP, ...) | (1u << PRAAS_OP_##OP)

/* One row per type: its size, its name and the set of operations that
 * apply to it (a bit per praas_op_t), built from the class lists in
 * rma/op_combine.h so that validity has a single source. */
static const struct type_info {
    size_t size;
    const char *name;
    unsigned ops;
} type_info[] = {
#define TYPE_INFO_(NAME, T, CLASS, BITS)                                                  \
    [PRAAS_##NAME] = {sizeof(T), "PRAAS_" #NAME,                                          \
                      (1u << PRAAS_OP_REPLACE) | (1u << PRAAS_OP_NO_OP)                   \
                          RMA_OPS_##CLASS(OP_BIT_, NAME)},
    RMA_TYPES(TYPE_INFO_)
#undef TYPE_INFO_
};

_Static_assert(PRAAS_ARRAY_SIZE(type_info) == PRAAS_TYPE_COUNT,
               "every praas_type_t has a row in type_info");
_Static_assert(PRAAS_OP_COUNT <= 32, "the operation sets fit in an unsigned");

const size_t rma_type_sizes[] = {
#define TYPE_SIZE_(NAME, T, CLASS, BITS) [PRAAS_##NAME] = sizeof(T),
    RMA_TYPES(TYPE_SIZE_)
#undef TYPE_SIZE_
};

_Static_assert(PRAAS_ARRAY_SIZE(rma_type_sizes) == PRAAS_TYPE_COUNT,
               "every praas_type_t has a size in rma_type_sizes");

static const char *const op_names[] = {
#define OP_NAME_(OP) [PRAAS_OP_##OP] = "PRAAS_OP_" #OP,
    OP_NAME_(SUM) OP_NAME_(PROD) OP_NAME_(MIN) OP_NAME_(MAX) OP_NAME_(BAND) OP_NAME_(BOR)
    OP_NAME_(BXOR) OP_NAME_(LAND) OP_NAME_(LOR) OP_NAME_(LXOR) OP_NAME_(REPLACE)
    OP_NAME_(NO_OP) OP_NAME_(MINLOC) OP_NAME_(MAXLOC)
#undef OP_NAME_
};

_Static_assert(PRAAS_ARRAY_SIZE(op_names) == PRAAS_OP_COUNT, "every praas_op_t has a name");

static int type_in_range(praas_type_t type)
{
    return (unsigned)type < PRAAS_TYPE_COUNT;
}

static int op_in_range(praas_op_t op)
{
    return (unsigned)op < PRAAS_OP_COUNT;
}

/* The size of one element of type, 0 for a type out of range. Thread-safe. */
PRAAS_API size_t praas_type_size(praas_type_t type)
{
    return type_in_range(type) ? type_info[type].size : 0;
}

/* "PRAAS_INT32" and so on; "?" for a type out of range. The string is
 * constant. Thread-safe. */
PRAAS_API const char *praas_type_name(praas_type_t type)
{
    return type_in_range(type) ? type_info[type].name : "?";
}

/* "PRAAS_OP_SUM" and so on; "?" for an operation out of range. The string
 * is constant. Thread-safe. */
PRAAS_API const char *praas_op_name(praas_op_t op)
{
    return op_in_range(op) ? op_names[op] : "?";
}

/* 1 if op applies to type by MPI-3.1's rules, 0 otherwise, also when either
 * is out of range. Thread-safe. */
PRAAS_API int praas_op_valid(praas_op_t op, praas_type_t type)
{
    return type_in_range(type) && op_in_range(op) && (type_info[type].ops >> op & 1u);
}

/* 0 if op applies to type, otherwise PRAAS_ERR_INVALID with a message that
 * names both (or the one out of range). Thread-safe. */
int rma_op_check(praas_op_t op, praas_type_t type)
{
    if (!op_in_range(op))
        return core_err(PRAAS_ERR_INVALID, "reduction operation %d is not a praas_op_t (0..%d)",
                        (int)op, PRAAS_OP_COUNT - 1);
    if (!type_in_range(type))
        return core_err(PRAAS_ERR_INVALID, "datatype %d is not a praas_type_t (0..%d)", (int)type,
                        PRAAS_TYPE_COUNT - 1);
    if (!praas_op_valid(op, type))
        return core_err(PRAAS_ERR_INVALID, "reduction %s does not apply to datatype %s",
                        praas_op_name(op), praas_type_name(type));
    return 0;
}

/*
 * apply_NAME(op, in, inout, count): one function per type, with one loop
 * per operation that applies to it. Each loop calls the combine function
 * with a constant op, so the compiler folds the switch inside it away and
 * the loop body is the bare arithmetic. Elements go through memcpy because
 * the buffers may be unaligned; for a constant size memcpy compiles to a
 * plain (unaligned) load or store.
 */
#define APPLY_CASE_(OP, NAME, T)                                                     \
    case PRAAS_OP_##OP:                                                              \
        for (size_t i = 0; i < count; i++, in += sizeof(T), inout += sizeof(T)) {    \
            T x, y;                                                                  \
            memcpy(&x, inout, sizeof(T));                                            \
            memcpy(&y, in, sizeof(T));                                               \
            x = rma_combine_##NAME(PRAAS_OP_##OP, x, y);                             \
            memcpy(inout, &x, sizeof(T));                                            \
        }                                                                            \
        break;

#define DEFINE_APPLY_(NAME, T, CLASS, BITS)                                          \
    static void apply_##NAME(praas_op_t op, const unsigned char *in,                 \
                             unsigned char *inout, size_t count)                     \
    {                                                                                \
        (void)in, (void)inout, (void)count; /* unused for CHAR */                    \
        switch (op) {                                                                \
            RMA_OPS_##CLASS(APPLY_CASE_, NAME, T)                                    \
        default:                                                                     \
            break;                                                                   \
        }                                                                            \
    }
RMA_TYPES(DEFINE_APPLY_)
#undef DEFINE_APPLY_
#undef APPLY_CASE_

/* REPLACE and NO_OP are the same for every type and handled here once;
 * memmove rather than memcpy because nothing forbids in and inout to
 * overlap. Not thread-safe on shared inout (rma_op_apply_atomic is). */
void rma_op_apply(praas_op_t op, praas_type_t type, const void *in, void *inout, size_t count)
{
    if (op == PRAAS_OP_NO_OP || count == 0)
        return;
    if (op == PRAAS_OP_REPLACE) {
        memmove(inout, in, count * praas_type_size(type));
        return;
    }
    switch (type) {
#define APPLY_TYPE_(NAME, T, CLASS, BITS) \
    case PRAAS_##NAME:                    \
        apply_##NAME(op, in, inout, count); \
        break;
        RMA_TYPES(APPLY_TYPE_)
#undef APPLY_TYPE_
    default:
        break;
    }
}
