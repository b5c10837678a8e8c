/*
 * Predefined datatypes and reduction operations, shared by one-sided
 * accumulates (praas/rma.h) and collectives (praas/coll.h).
 */
#ifndef PRAAS_TYPES_H
#define PRAAS_TYPES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The predefined C types. The pair types hold a value and an int index,
 * laid out as the C struct {value; int;} (for min/max-with-location). */
typedef enum praas_type {
    PRAAS_INT8,
    PRAAS_UINT8,
    PRAAS_INT16,
    PRAAS_UINT16,
    PRAAS_INT32,
    PRAAS_UINT32,
    PRAAS_INT64,
    PRAAS_UINT64,
    PRAAS_FLOAT,
    PRAAS_DOUBLE,
    PRAAS_LONG_DOUBLE,
    PRAAS_CHAR,            /* char: replace and no-op only, as MPI_CHAR */
    PRAAS_BYTE,            /* uninterpreted byte: bitwise ops, replace, no-op */
    PRAAS_FLOAT_INT,       /* struct { float v; int i; } */
    PRAAS_DOUBLE_INT,      /* struct { double v; int i; } */
    PRAAS_LONG_INT,        /* struct { long v; int i; } */
    PRAAS_2INT,            /* struct { int v; int i; } */
    PRAAS_SHORT_INT,       /* struct { short v; int i; } */
    PRAAS_LONG_DOUBLE_INT, /* struct { long double v; int i; } */
    PRAAS_TYPE_COUNT
} praas_type_t;

/* Reduction operations, with MPI's meaning. MINLOC and MAXLOC apply to the
 * pair types only; on equal values they keep the smaller index. */
typedef enum praas_op {
    PRAAS_OP_SUM,
    PRAAS_OP_PROD,
    PRAAS_OP_MIN,
    PRAAS_OP_MAX,
    PRAAS_OP_BAND,
    PRAAS_OP_BOR,
    PRAAS_OP_BXOR,
    PRAAS_OP_LAND,
    PRAAS_OP_LOR,
    PRAAS_OP_LXOR,
    PRAAS_OP_REPLACE,
    PRAAS_OP_NO_OP,
    PRAAS_OP_MINLOC,
    PRAAS_OP_MAXLOC,
    PRAAS_OP_COUNT
} praas_op_t;

/* The size in bytes of one element of type (0 for an invalid type). */
size_t praas_type_size(praas_type_t type);

/* Names for messages: "PRAAS_INT32", "PRAAS_OP_SUM" ("?" if invalid). */
const char *praas_type_name(praas_type_t type);
const char *praas_op_name(praas_op_t op);

/* Whether op applies to type: 1 or 0. */
int praas_op_valid(praas_op_t op, praas_type_t type);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_TYPES_H */
