/*
 * The per-type building blocks shared by rma/op.c (plain application) and
 * rma/op_atomic.c (atomic application): the list of predefined types with
 * their C types, which reduction operations apply to each class of type,
 * and one combine function per type computing `x OP y` for one element.
 * Private to rma/op*.c; everybody else includes rma/op.h.
 */
#ifndef PRAAS_RMA_OP_COMBINE_H
#define PRAAS_RMA_OP_COMBINE_H

#include <stdint.h>

#include <praas/types.h>

/* The pair types for MINLOC and MAXLOC, laid out as praas/types.h says: the
 * C struct {value; int index;}, padding included. */
typedef struct { float v; int i; } rma_float_int_t;
typedef struct { double v; int i; } rma_double_int_t;
typedef struct { long v; int i; } rma_long_int_t;
typedef struct { int v; int i; } rma_2int_t;
typedef struct { short v; int i; } rma_short_int_t;
typedef struct { long double v; int i; } rma_long_double_int_t;

/*
 * Which operations apply to which class of type, as MPI-3.1 section 5.9.2
 * has it for the predefined operations; REPLACE and NO_OP (section 11.3.4)
 * apply to every type and are left out of the lists. Each list calls
 * X(OP, extra arguments...) so that a per-type macro can expand one case per
 * operation knowing the type it is generating code for. These lists are the
 * library's single statement of the validity table (praas_op_valid()).
 *   INTEGER:  C integer types int8..uint64.
 *   FLOATING: float, double, long double.
 *   BYTE:     uninterpreted bytes, bitwise operations only.
 *   CHAR:     text, nothing but REPLACE and NO_OP (as MPI_CHAR).
 *   PAIR:     value-index pairs, MINLOC and MAXLOC only.
 */
#define RMA_OPS_INTEGER(X, ...)                                                                   \
    X(SUM, __VA_ARGS__) X(PROD, __VA_ARGS__) X(MIN, __VA_ARGS__) X(MAX, __VA_ARGS__)              \
    X(BAND, __VA_ARGS__) X(BOR, __VA_ARGS__) X(BXOR, __VA_ARGS__) X(LAND, __VA_ARGS__)            \
    X(LOR, __VA_ARGS__) X(LXOR, __VA_ARGS__)
#define RMA_OPS_FLOATING(X, ...) \
    X(SUM, __VA_ARGS__) X(PROD, __VA_ARGS__) X(MIN, __VA_ARGS__) X(MAX, __VA_ARGS__)
#define RMA_OPS_BYTE(X, ...) X(BAND, __VA_ARGS__) X(BOR, __VA_ARGS__) X(BXOR, __VA_ARGS__)
#define RMA_OPS_CHAR(X, ...)
#define RMA_OPS_PAIR(X, ...) X(MINLOC, __VA_ARGS__) X(MAXLOC, __VA_ARGS__)

/*
 * Every predefined type as X(NAME, C type, class, bits), NAME being the
 * praas_type_t without its PRAAS_ prefix.
 * RMA_TYPES_CPU lists the types whose elements CPU atomics update: bits is
 * the unsigned integer of the same size that the __atomic builtins operate
 * on. RMA_TYPES_LOCKED lists the others, updated under a striped lock (bits
 * is unused there): long double (16 bytes on x86_64, and its value
 * comparisons must ignore padding) and the pair types, which stay under the
 * lock even where they are 8 bytes so that one type always takes one path
 * and needs no alignment.
 */
#define RMA_TYPES_CPU(X)                    \
    X(INT8, int8_t, INTEGER, uint8_t)       \
    X(UINT8, uint8_t, INTEGER, uint8_t)     \
    X(INT16, int16_t, INTEGER, uint16_t)    \
    X(UINT16, uint16_t, INTEGER, uint16_t)  \
    X(INT32, int32_t, INTEGER, uint32_t)    \
    X(UINT32, uint32_t, INTEGER, uint32_t)  \
    X(INT64, int64_t, INTEGER, uint64_t)    \
    X(UINT64, uint64_t, INTEGER, uint64_t)  \
    X(FLOAT, float, FLOATING, uint32_t)     \
    X(DOUBLE, double, FLOATING, uint64_t)   \
    X(CHAR, char, CHAR, uint8_t)            \
    X(BYTE, uint8_t, BYTE, uint8_t)
#define RMA_TYPES_LOCKED(X)                                  \
    X(LONG_DOUBLE, long double, FLOATING, void)              \
    X(FLOAT_INT, rma_float_int_t, PAIR, void)                \
    X(DOUBLE_INT, rma_double_int_t, PAIR, void)              \
    X(LONG_INT, rma_long_int_t, PAIR, void)                  \
    X(2INT, rma_2int_t, PAIR, void)                          \
    X(SHORT_INT, rma_short_int_t, PAIR, void)                \
    X(LONG_DOUBLE_INT, rma_long_double_int_t, PAIR, void)
#define RMA_TYPES(X) RMA_TYPES_CPU(X) RMA_TYPES_LOCKED(X)

/*
 * The combine functions: rma_combine_NAME(op, x, y) returns x OP y, x being
 * the target's (inout) element and y the origin's (in). An operation that
 * does not apply to the type returns x unchanged; callers check validity
 * first (rma_op_check), so that never happens on a valid call.
 */

/* Integers: arithmetic goes through uint64_t, where overflow wraps, and the
 * conversion back to a signed type keeps the low bits (GCC and Clang define
 * it so), which gives two's complement wrapping without undefined
 * behaviour. Computing in the element's own unsigned type would not do:
 * uint16_t operands are promoted to int, and 65535 * 65535 overflows it.
 * The logical operations yield 0 or 1, as C's && and || do. */
#define RMA_COMBINE_INTEGER(NAME, T)                                   \
    static inline T rma_combine_##NAME(praas_op_t op, T x, T y)        \
    {                                                                  \
        switch (op) {                                                  \
        case PRAAS_OP_SUM:                                             \
            return (T)((uint64_t)x + (uint64_t)y);                     \
        case PRAAS_OP_PROD:                                            \
            return (T)((uint64_t)x * (uint64_t)y);                     \
        case PRAAS_OP_MIN:                                             \
            return y < x ? y : x;                                      \
        case PRAAS_OP_MAX:                                             \
            return y > x ? y : x;                                      \
        case PRAAS_OP_BAND:                                            \
            return (T)(x & y);                                         \
        case PRAAS_OP_BOR:                                             \
            return (T)(x | y);                                         \
        case PRAAS_OP_BXOR:                                            \
            return (T)(x ^ y);                                         \
        case PRAAS_OP_LAND:                                            \
            return (T)(x && y);                                        \
        case PRAAS_OP_LOR:                                             \
            return (T)(x || y);                                        \
        case PRAAS_OP_LXOR:                                            \
            return (T)(!x != !y);                                      \
        default:                                                       \
            return x;                                                  \
        }                                                              \
    }

/* Floating point: plain C arithmetic. MIN and MAX keep x when the values
 * are unordered (a NaN), as MPI leaves that case open. */
#define RMA_COMBINE_FLOATING(NAME, T)                                  \
    static inline T rma_combine_##NAME(praas_op_t op, T x, T y)        \
    {                                                                  \
        switch (op) {                                                  \
        case PRAAS_OP_SUM:                                             \
            return x + y;                                              \
        case PRAAS_OP_PROD:                                            \
            return x * y;                                              \
        case PRAAS_OP_MIN:                                             \
            return y < x ? y : x;                                      \
        case PRAAS_OP_MAX:                                             \
            return y > x ? y : x;                                      \
        default:                                                       \
            return x;                                                  \
        }                                                              \
    }

#define RMA_COMBINE_BYTE(NAME, T)                                      \
    static inline T rma_combine_##NAME(praas_op_t op, T x, T y)        \
    {                                                                  \
        switch (op) {                                                  \
        case PRAAS_OP_BAND:                                            \
            return (T)(x & y);                                         \
        case PRAAS_OP_BOR:                                             \
            return (T)(x | y);                                         \
        case PRAAS_OP_BXOR:                                            \
            return (T)(x ^ y);                                         \
        default:                                                       \
            return x;                                                  \
        }                                                              \
    }

/* Text has no operation of its own; the function exists so that the
 * generated code can name it for every type. */
#define RMA_COMBINE_CHAR(NAME, T)                                      \
    static inline T rma_combine_##NAME(praas_op_t op, T x, T y)        \
    {                                                                  \
        (void)op;                                                      \
        (void)y;                                                       \
        return x;                                                      \
    }

/* MINLOC and MAXLOC as MPI defines them: the pair with the smaller
 * (larger) value wins; on equal values the value stays and the smaller
 * index is kept. When the values are unordered (a NaN), x stays. */
#define RMA_COMBINE_PAIR(NAME, T)                                      \
    static inline T rma_combine_##NAME(praas_op_t op, T x, T y)        \
    {                                                                  \
        switch (op) {                                                  \
        case PRAAS_OP_MINLOC:                                          \
            return y.v < x.v || (y.v == x.v && y.i < x.i) ? y : x;     \
        case PRAAS_OP_MAXLOC:                                          \
            return y.v > x.v || (y.v == x.v && y.i < x.i) ? y : x;     \
        default:                                                       \
            return x;                                                  \
        }                                                              \
    }

#define RMA_COMBINE_DEFINE_(NAME, T, CLASS, BITS) RMA_COMBINE_##CLASS(NAME, T)
RMA_TYPES(RMA_COMBINE_DEFINE_)
#undef RMA_COMBINE_DEFINE_

#endif /* PRAAS_RMA_OP_COMBINE_H */
