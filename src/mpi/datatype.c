/*
 * Datatypes and reduction operations.
 *
 * The predefined C types map to the praas type of the same size and
 * signedness (MPI_LONG to PRAAS_INT64 on LP64, ...), the C complex types to
 * two floating-point elements. Each is one block of its type map (pm.h);
 * the constructors of derived types are in typemap.c.
 */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "mpi/pm.h"

/* The praas integer type for a C integer type T. */
#define PM_SIGNED(T) ((T)-1 < (T)1)
#define PM_ITYPE(T)                                                                           \
    (sizeof(T) == 1   ? (PM_SIGNED(T) ? PRAAS_INT8 : PRAAS_UINT8)                             \
     : sizeof(T) == 2 ? (PM_SIGNED(T) ? PRAAS_INT16 : PRAAS_UINT16)                           \
     : sizeof(T) == 4 ? (PM_SIGNED(T) ? PRAAS_INT32 : PRAAS_UINT32)                           \
                      : (PM_SIGNED(T) ? PRAAS_INT64 : PRAAS_UINT64))

struct pm_pair_float { float v; int i; };
struct pm_pair_double { double v; int i; };
struct pm_pair_long { long v; int i; };
struct pm_pair_short { short v; int i; };
struct pm_pair_ldouble { long double v; int i; };

/* name, handle, praas base, elements, MPI size, extent, complex */
#define PM_PREDEFINED(X)                                                                      \
    X(MPI_CHAR, PRAAS_CHAR, 1, 1, 1, 0)                                                       \
    X(MPI_SIGNED_CHAR, PRAAS_INT8, 1, 1, 1, 0)                                                \
    X(MPI_UNSIGNED_CHAR, PRAAS_UINT8, 1, 1, 1, 0)                                             \
    X(MPI_BYTE, PRAAS_BYTE, 1, 1, 1, 0)                                                       \
    X(MPI_SHORT, PM_ITYPE(short), 1, sizeof(short), sizeof(short), 0)                         \
    X(MPI_UNSIGNED_SHORT, PM_ITYPE(unsigned short), 1, sizeof(short), sizeof(short), 0)       \
    X(MPI_INT, PM_ITYPE(int), 1, sizeof(int), sizeof(int), 0)                                 \
    X(MPI_UNSIGNED, PM_ITYPE(unsigned), 1, sizeof(int), sizeof(int), 0)                       \
    X(MPI_LONG, PM_ITYPE(long), 1, sizeof(long), sizeof(long), 0)                             \
    X(MPI_UNSIGNED_LONG, PM_ITYPE(unsigned long), 1, sizeof(long), sizeof(long), 0)           \
    X(MPI_LONG_LONG_INT, PM_ITYPE(long long), 1, sizeof(long long), sizeof(long long), 0)     \
    X(MPI_UNSIGNED_LONG_LONG, PM_ITYPE(unsigned long long), 1, sizeof(long long),             \
      sizeof(long long), 0)                                                                   \
    X(MPI_FLOAT, PRAAS_FLOAT, 1, sizeof(float), sizeof(float), 0)                             \
    X(MPI_DOUBLE, PRAAS_DOUBLE, 1, sizeof(double), sizeof(double), 0)                         \
    X(MPI_LONG_DOUBLE, PRAAS_LONG_DOUBLE, 1, sizeof(long double), sizeof(long double), 0)     \
    X(MPI_WCHAR, PM_ITYPE(wchar_t), 1, sizeof(wchar_t), sizeof(wchar_t), 0)                   \
    X(MPI_C_BOOL, PM_ITYPE(_Bool), 1, sizeof(_Bool), sizeof(_Bool), 0)                        \
    X(MPI_INT8_T, PRAAS_INT8, 1, 1, 1, 0)                                                     \
    X(MPI_INT16_T, PRAAS_INT16, 1, 2, 2, 0)                                                   \
    X(MPI_INT32_T, PRAAS_INT32, 1, 4, 4, 0)                                                   \
    X(MPI_INT64_T, PRAAS_INT64, 1, 8, 8, 0)                                                   \
    X(MPI_UINT8_T, PRAAS_UINT8, 1, 1, 1, 0)                                                   \
    X(MPI_UINT16_T, PRAAS_UINT16, 1, 2, 2, 0)                                                 \
    X(MPI_UINT32_T, PRAAS_UINT32, 1, 4, 4, 0)                                                 \
    X(MPI_UINT64_T, PRAAS_UINT64, 1, 8, 8, 0)                                                 \
    X(MPI_AINT, PM_ITYPE(MPI_Aint), 1, sizeof(MPI_Aint), sizeof(MPI_Aint), 0)                 \
    X(MPI_COUNT, PM_ITYPE(MPI_Count), 1, sizeof(MPI_Count), sizeof(MPI_Count), 0)             \
    X(MPI_OFFSET, PM_ITYPE(MPI_Offset), 1, sizeof(MPI_Offset), sizeof(MPI_Offset), 0)         \
    X(MPI_PACKED, PRAAS_BYTE, 1, 1, 1, 0)                                                     \
    X(MPI_FLOAT_INT, PRAAS_FLOAT_INT, 1, sizeof(float) + sizeof(int),                         \
      sizeof(struct pm_pair_float), 0)                                                        \
    X(MPI_DOUBLE_INT, PRAAS_DOUBLE_INT, 1, sizeof(double) + sizeof(int),                      \
      sizeof(struct pm_pair_double), 0)                                                       \
    X(MPI_LONG_INT, PRAAS_LONG_INT, 1, sizeof(long) + sizeof(int),                            \
      sizeof(struct pm_pair_long), 0)                                                         \
    X(MPI_2INT, PRAAS_2INT, 1, 2 * sizeof(int), 2 * sizeof(int), 0)                           \
    X(MPI_SHORT_INT, PRAAS_SHORT_INT, 1, sizeof(short) + sizeof(int),                         \
      sizeof(struct pm_pair_short), 0)                                                        \
    X(MPI_LONG_DOUBLE_INT, PRAAS_LONG_DOUBLE_INT, 1, sizeof(long double) + sizeof(int),       \
      sizeof(struct pm_pair_ldouble), 0)                                                      \
    X(MPI_C_FLOAT_COMPLEX, PRAAS_FLOAT, 2, sizeof(float complex), sizeof(float complex), 1)   \
    X(MPI_C_DOUBLE_COMPLEX, PRAAS_DOUBLE, 2, sizeof(double complex), sizeof(double complex),  \
      1)                                                                                      \
    X(MPI_C_LONG_DOUBLE_COMPLEX, PRAAS_LONG_DOUBLE, 2, sizeof(long double complex),           \
      sizeof(long double complex), 1)

/* The true extent of a pair type: the value and the int, no tail padding. */
static MPI_Aint pm_true_extent(MPI_Aint size, MPI_Aint extent, praas_type_t base)
{
    switch (base) {
    case PRAAS_FLOAT_INT: return offsetof(struct pm_pair_float, i) + sizeof(int);
    case PRAAS_DOUBLE_INT: return offsetof(struct pm_pair_double, i) + sizeof(int);
    case PRAAS_LONG_INT: return offsetof(struct pm_pair_long, i) + sizeof(int);
    case PRAAS_SHORT_INT: return offsetof(struct pm_pair_short, i) + sizeof(int);
    case PRAAS_LONG_DOUBLE_INT: return offsetof(struct pm_pair_ldouble, i) + sizeof(int);
    default: return extent > size ? size : extent;
    }
}

/* The alignment of a praas type in C (struct padding of MPI_Type_create_struct). */
static size_t pm_base_align(praas_type_t base)
{
    switch (base) {
    case PRAAS_LONG_DOUBLE: return _Alignof(long double);
    case PRAAS_FLOAT_INT: return _Alignof(struct pm_pair_float);
    case PRAAS_DOUBLE_INT: return _Alignof(struct pm_pair_double);
    case PRAAS_LONG_INT: return _Alignof(struct pm_pair_long);
    case PRAAS_2INT: return _Alignof(int);
    case PRAAS_SHORT_INT: return _Alignof(struct pm_pair_short);
    case PRAAS_LONG_DOUBLE_INT: return _Alignof(struct pm_pair_ldouble);
    default: return praas_type_size(base);
    }
}

#define PM_NPREDEF 0x27
static pm_type_t pm_predef[PM_NPREDEF];

void pm_type_init(void)
{
#define PM_PREDEF_INIT_(h, b, m, sz, ext, cx)                                                 \
    pm_predef[PM_INDEX(h)] = (pm_type_t){.base = (b),                                         \
                                         .mult = (m),                                         \
                                         .size = (MPI_Count)(sz),                             \
                                         .extent = (MPI_Aint)(ext),                           \
                                         .predefined = 1,                                     \
                                         .committed = 1,                                      \
                                         .complex_ = (cx),                                    \
                                         .refs = 1,                                           \
                                         .handle = (h)};                                      \
    snprintf(pm_predef[PM_INDEX(h)].name, MPI_MAX_OBJECT_NAME, "%s", #h);
    PM_PREDEFINED(PM_PREDEF_INIT_)
#undef PM_PREDEF_INIT_
    for (int i = 1; i < PM_NPREDEF; i++) {
        pm_type_t *t = &pm_predef[i];
        t->true_extent = pm_true_extent(t->size, t->extent, t->base);
        t->psize = t->mult * praas_type_size(t->base);
        t->blk1 = (pm_blk_t){0, t->psize, t->base};
        t->blk = &t->blk1;
        t->nblk = 1;
        t->homog = 1;
        t->dense = t->extent == (MPI_Aint)t->psize;
        t->align = pm_base_align(t->base);
        t->combiner = MPI_COMBINER_NAMED;
        t->mpi_base = t->handle;
        /* The predefined MPI type whose praas type is the base of a complex. */
        if (t->complex_)
            t->mpi_base = t->base == PRAAS_FLOAT    ? MPI_FLOAT
                          : t->base == PRAAS_DOUBLE ? MPI_DOUBLE
                                                    : MPI_LONG_DOUBLE;
        pm_handle_set(PM_TYPE, i, t);
    }
}

pm_type_t *pm_type(MPI_Datatype dt)
{
    int i = PM_INDEX(dt);

    if (PM_KIND(dt) != PM_TYPE || i == 0)
        return NULL;
    if (i < PM_NPREDEF)
        return pm_predef[i].refs ? &pm_predef[i] : NULL;
    return pm_handle_get(PM_TYPE, dt);
}

int pm_type_usable(MPI_Datatype dt, pm_type_t **t_p, const char **why_p)
{
    pm_type_t *t = pm_type(dt);

    if (!t) {
        *why_p = "is not a datatype";
        return MPI_ERR_TYPE;
    }
    if (!t->committed) {
        *why_p = "is not committed";
        return MPI_ERR_TYPE;
    }
    *t_p = t;
    return 0;
}

const char *pm_type_label(const pm_type_t *t)
{
    return t->name[0] ? t->name : "a derived datatype";
}

#define PM_GET_TYPE(t, dt, call)                                                              \
    pm_type_t *t = pm_type(dt);                                                               \
    if (!t)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, call, "%#x is not a datatype",           \
                       (unsigned)(dt))

PRAAS_API int MPI_Type_size(MPI_Datatype datatype, int *size)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_size");
    if (!size)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_size", "NULL output");
    *size = t->size > 0x7fffffff ? MPI_UNDEFINED : (int)t->size;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_size_x(MPI_Datatype datatype, MPI_Count *size)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_size_x");
    if (!size)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_size_x", "NULL output");
    *size = t->size;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_get_extent(MPI_Datatype datatype, MPI_Aint *lb, MPI_Aint *extent)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_get_extent");
    if (!lb || !extent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_extent", "NULL output");
    *lb = t->lb;
    *extent = t->extent;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_get_extent_x(MPI_Datatype datatype, MPI_Count *lb, MPI_Count *extent)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_get_extent_x");
    if (!lb || !extent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_extent_x", "NULL output");
    *lb = t->lb;
    *extent = t->extent;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_get_true_extent(MPI_Datatype datatype, MPI_Aint *true_lb,
                                       MPI_Aint *true_extent)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_get_true_extent");
    if (!true_lb || !true_extent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_true_extent",
                           "NULL output");
    *true_lb = t->true_lb;
    *true_extent = t->true_extent;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_get_true_extent_x(MPI_Datatype datatype, MPI_Count *true_lb,
                                         MPI_Count *true_extent)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_get_true_extent_x");
    if (!true_lb || !true_extent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_true_extent_x",
                           "NULL output");
    *true_lb = t->true_lb;
    *true_extent = t->true_extent;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_commit(MPI_Datatype *datatype)
{
    pm_type_t *t = datatype ? pm_type(*datatype) : NULL;

    if (!t)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_commit", "not a datatype");
    t->committed = 1;
    return MPI_SUCCESS;
}

void pm_type_ref(pm_type_t *t)
{
    if (!t->predefined)
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void pm_type_unref(pm_type_t *t)
{
    if (!t->predefined && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(t->blk);
        free(t);
    }
}

PRAAS_API int MPI_Type_free(MPI_Datatype *datatype)
{
    pm_type_t *t = datatype ? pm_type(*datatype) : NULL;

    if (!t || t->predefined)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, "MPI_Type_free",
                           "not a derived datatype");
    /* Pending operations keep their reference: the type map outlives the
     * handle until they complete. */
    pm_handle_del(PM_TYPE, *datatype);
    pm_type_unref(t);
    *datatype = MPI_DATATYPE_NULL;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_set_name(MPI_Datatype datatype, const char *type_name)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_set_name");
    if (!type_name)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_set_name", "NULL name");
    snprintf(t->name, sizeof(t->name), "%s", type_name);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Type_get_name(MPI_Datatype datatype, char *type_name, int *resultlen)
{
    PM_GET_TYPE(t, datatype, "MPI_Type_get_name");
    if (!type_name || !resultlen)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_get_name", "NULL output");
    pm_copy_name(type_name, t->name, resultlen);
    return MPI_SUCCESS;
}

/* Counts from a status: praas_count_ holds bytes. */
static int pm_status_count(const MPI_Status *status, MPI_Datatype datatype, MPI_Count *n_p,
                           int elements, const char *call)
{
    PM_GET_TYPE(t, datatype, call);
    if (!status || status == MPI_STATUS_IGNORE || !n_p)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "no status, or NULL output");
    if (elements)
        *n_p = pm_type_elements(t, (size_t)status->praas_count_);
    else if (t->psize == 0)
        *n_p = 0;
    else
        *n_p = (size_t)status->praas_count_ % t->psize
                   ? MPI_UNDEFINED
                   : (MPI_Count)((size_t)status->praas_count_ / t->psize);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Get_count(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    MPI_Count n = 0;
    int rc = pm_status_count(status, datatype, &n, 0, "MPI_Get_count");

    if (!rc && !count)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_count", "NULL output");
    if (!rc)
        *count = (int)n;
    return rc;
}

PRAAS_API int MPI_Get_elements(const MPI_Status *status, MPI_Datatype datatype, int *count)
{
    MPI_Count n = 0;
    int rc = pm_status_count(status, datatype, &n, 1, "MPI_Get_elements");

    if (!rc && !count)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_elements", "NULL output");
    if (!rc)
        *count = (int)n;
    return rc;
}

PRAAS_API int MPI_Get_elements_x(const MPI_Status *status, MPI_Datatype datatype,
                                 MPI_Count *count)
{
    return pm_status_count(status, datatype, count, 1, "MPI_Get_elements_x");
}

/* ---- reduction operations ---- */

static pm_op_t pm_predef_ops[16];

void pm_op_init(void)
{
    static const praas_op_t map[] = {
        [PM_INDEX(MPI_MAX)] = PRAAS_OP_MAX,         [PM_INDEX(MPI_MIN)] = PRAAS_OP_MIN,
        [PM_INDEX(MPI_SUM)] = PRAAS_OP_SUM,         [PM_INDEX(MPI_PROD)] = PRAAS_OP_PROD,
        [PM_INDEX(MPI_LAND)] = PRAAS_OP_LAND,       [PM_INDEX(MPI_BAND)] = PRAAS_OP_BAND,
        [PM_INDEX(MPI_LOR)] = PRAAS_OP_LOR,         [PM_INDEX(MPI_BOR)] = PRAAS_OP_BOR,
        [PM_INDEX(MPI_LXOR)] = PRAAS_OP_LXOR,       [PM_INDEX(MPI_BXOR)] = PRAAS_OP_BXOR,
        [PM_INDEX(MPI_MINLOC)] = PRAAS_OP_MINLOC,   [PM_INDEX(MPI_MAXLOC)] = PRAAS_OP_MAXLOC,
        [PM_INDEX(MPI_REPLACE)] = PRAAS_OP_REPLACE, [PM_INDEX(MPI_NO_OP)] = PRAAS_OP_NO_OP,
    };
    for (int i = 1; i <= PM_INDEX(MPI_NO_OP); i++) {
        pm_predef_ops[i] = (pm_op_t){.fn = NULL, .commute = 1, .pop = map[i]};
        pm_handle_set(PM_OP, i, &pm_predef_ops[i]);
    }
}

pm_op_t *pm_op(MPI_Op op)
{
    return pm_handle_get(PM_OP, op);
}

int pm_op_check(const pm_op_t *o, const pm_type_t *t, int rma, const char **why_p)
{
    if (o->fn) {
        if (rma) {
            *why_p = "user-defined operations are not allowed in one-sided calls";
            return MPI_ERR_OP;
        }
        return 0;
    }
    if (t->complex_ && o->pop != PRAAS_OP_SUM && o->pop != PRAAS_OP_PROD &&
        o->pop != PRAAS_OP_REPLACE && o->pop != PRAAS_OP_NO_OP) {
        *why_p = "this operation does not apply to complex types";
        return MPI_ERR_OP;
    }
    if (t->complex_ && o->pop == PRAAS_OP_PROD) {
        *why_p = "MPI_PROD on complex types is not supported by praas yet";
        return MPI_ERR_UNSUPPORTED_OPERATION;
    }
    if (!praas_op_valid(o->pop, t->base)) {
        *why_p = "the operation does not apply to the datatype";
        return MPI_ERR_OP;
    }
    return 0;
}

static MPI_Datatype pm_op_current_type;

/* The collectives set the MPI datatype of the call before running a user
 * op (they are serialized), so the user function sees the handle it was
 * given (MPI_INT rather than MPI_INT32_T). */
void pm_op_set_current(MPI_Datatype dt)
{
    pm_op_current_type = dt;
}

static void pm_op_adapter(const void *in, void *inout, size_t count, praas_type_t type,
                          void *arg)
{
    pm_op_t *o = arg;
    MPI_Datatype dt = pm_op_current_type;
    int len = (int)count;

    (void)type;
    o->fn((void *)in, inout, &len, &dt);
}

PRAAS_API int MPI_Op_create(MPI_User_function *user_fn, int commute, MPI_Op *op)
{
    pm_op_t *o;
    int rc;

    PM_CHECK_INIT("MPI_Op_create");
    if (!user_fn || !op)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Op_create",
                           "NULL function or output");
    o = calloc(1, sizeof(*o));
    if (!o)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Op_create", "no memory");
    o->fn = user_fn;
    o->commute = commute != 0;
    rc = praas_op_create(pm_op_adapter, o->commute, o, &o->pop);
    if (rc) {
        free(o);
        return pm_praas_comm(MPI_COMM_WORLD, rc, PM_CTX_COLL, "MPI_Op_create");
    }
    rc = pm_handle_new(PM_OP, o, op);
    if (rc) {
        praas_op_free(&o->pop);
        free(o);
        return pm_err_comm(MPI_COMM_WORLD, rc, "MPI_Op_create", "no memory for a handle");
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Op_free(MPI_Op *op)
{
    pm_op_t *o = op ? pm_op(*op) : NULL;

    PM_CHECK_INIT("MPI_Op_free");
    if (!o || !o->fn)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_OP, "MPI_Op_free",
                           "not a user-defined operation");
    praas_op_free(&o->pop);
    pm_handle_del(PM_OP, *op);
    free(o);
    *op = MPI_OP_NULL;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Op_commutative(MPI_Op op, int *commute)
{
    pm_op_t *o = pm_op(op);

    if (!o || !commute)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_OP, "MPI_Op_commutative",
                           "not an operation, or NULL output");
    *commute = o->commute;
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Type_size)
PM_PMPI(MPI_Type_size_x)
PM_PMPI(MPI_Type_get_extent)
PM_PMPI(MPI_Type_get_extent_x)
PM_PMPI(MPI_Type_get_true_extent)
PM_PMPI(MPI_Type_get_true_extent_x)
PM_PMPI(MPI_Type_commit)
PM_PMPI(MPI_Type_free)
PM_PMPI(MPI_Type_set_name)
PM_PMPI(MPI_Type_get_name)
PM_PMPI(MPI_Get_count)
PM_PMPI(MPI_Get_elements)
PM_PMPI(MPI_Get_elements_x)
PM_PMPI(MPI_Op_create)
PM_PMPI(MPI_Op_free)
PM_PMPI(MPI_Op_commutative)
