/*
 * Reduction operations (praas/types.h, rma/op.h): the validity table
 * against MPI-3.1's rules, written out here independently of the library;
 * plain and atomic application on every valid type and operation against
 * expected values computed here in wider arithmetic, plus fixed values for
 * the overflow and tie cases; compare-and-swap on every type; and no lost
 * update under contention between threads and between processes.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "praas.h"
#include "praas/types.h"
#include "rma/op.h"
#include "testsuite/lib/tap.h"

/* The pair types as praas/types.h describes them. */
typedef struct { float v; int i; } t_float_int;
typedef struct { double v; int i; } t_double_int;
typedef struct { long v; int i; } t_long_int;
typedef struct { int v; int i; } t_2int;
typedef struct { short v; int i; } t_short_int;
typedef struct { long double v; int i; } t_long_double_int;

/* ---- what the library should say, written out by hand ---- */

enum tclass { C_INT, C_FP, C_PAIR };

static const struct tinfo {
    praas_type_t type;
    const char *name;
    size_t size;
    enum tclass cls;
    int bits, is_signed; /* for C_INT */
    /* Which ops apply, in praas_op_t order: SUM PROD MIN MAX BAND BOR BXOR
     * LAND LOR LXOR REPLACE NO_OP MINLOC MAXLOC (MPI-3.1 section 5.9.2:
     * arithmetic and min/max on C integers and floating point, bitwise on C
     * integers and bytes, logical on C integers, MINLOC/MAXLOC on pairs;
     * section 11.3.4: REPLACE and NO_OP on everything). */
    const char *valid;
} types[] = {
    {PRAAS_INT8, "PRAAS_INT8", 1, C_INT, 8, 1, "11111111111100"},
    {PRAAS_UINT8, "PRAAS_UINT8", 1, C_INT, 8, 0, "11111111111100"},
    {PRAAS_INT16, "PRAAS_INT16", 2, C_INT, 16, 1, "11111111111100"},
    {PRAAS_UINT16, "PRAAS_UINT16", 2, C_INT, 16, 0, "11111111111100"},
    {PRAAS_INT32, "PRAAS_INT32", 4, C_INT, 32, 1, "11111111111100"},
    {PRAAS_UINT32, "PRAAS_UINT32", 4, C_INT, 32, 0, "11111111111100"},
    {PRAAS_INT64, "PRAAS_INT64", 8, C_INT, 64, 1, "11111111111100"},
    {PRAAS_UINT64, "PRAAS_UINT64", 8, C_INT, 64, 0, "11111111111100"},
    {PRAAS_FLOAT, "PRAAS_FLOAT", sizeof(float), C_FP, 0, 0, "11110000001100"},
    {PRAAS_DOUBLE, "PRAAS_DOUBLE", sizeof(double), C_FP, 0, 0, "11110000001100"},
    {PRAAS_LONG_DOUBLE, "PRAAS_LONG_DOUBLE", sizeof(long double), C_FP, 0, 0, "11110000001100"},
    {PRAAS_CHAR, "PRAAS_CHAR", 1, C_INT, 8, CHAR_MIN < 0, "00000000001100"},
    {PRAAS_BYTE, "PRAAS_BYTE", 1, C_INT, 8, 0, "00001110001100"},
    {PRAAS_FLOAT_INT, "PRAAS_FLOAT_INT", sizeof(t_float_int), C_PAIR, 0, 0, "00000000001111"},
    {PRAAS_DOUBLE_INT, "PRAAS_DOUBLE_INT", sizeof(t_double_int), C_PAIR, 0, 0, "00000000001111"},
    {PRAAS_LONG_INT, "PRAAS_LONG_INT", sizeof(t_long_int), C_PAIR, 0, 0, "00000000001111"},
    {PRAAS_2INT, "PRAAS_2INT", sizeof(t_2int), C_PAIR, 0, 0, "00000000001111"},
    {PRAAS_SHORT_INT, "PRAAS_SHORT_INT", sizeof(t_short_int), C_PAIR, 0, 0, "00000000001111"},
    {PRAAS_LONG_DOUBLE_INT, "PRAAS_LONG_DOUBLE_INT", sizeof(t_long_double_int), C_PAIR, 0, 0,
     "00000000001111"},
};

static const char *const op_names[] = {
    "PRAAS_OP_SUM",  "PRAAS_OP_PROD", "PRAAS_OP_MIN",  "PRAAS_OP_MAX",     "PRAAS_OP_BAND",
    "PRAAS_OP_BOR",  "PRAAS_OP_BXOR", "PRAAS_OP_LAND", "PRAAS_OP_LOR",     "PRAAS_OP_LXOR",
    "PRAAS_OP_REPLACE", "PRAAS_OP_NO_OP", "PRAAS_OP_MINLOC", "PRAAS_OP_MAXLOC",
};

#define NTYPES ((int)(sizeof(types) / sizeof(types[0])))
#define NOPS ((int)(sizeof(op_names) / sizeof(op_names[0])))

/* ---- values of any type, and their loads and stores ---- */

/* One element: i for integers (bytes and chars included), f for floating
 * values and pair values, idx for pair indices. */
typedef struct {
    __int128 i;
    long double f;
    int idx;
} val_t;

static val_t load(praas_type_t type, const void *buf, size_t k)
{
    const unsigned char *p = (const unsigned char *)buf + k * types[type].size;
    val_t v = {0, 0, 0};

/* Each case copies the element out (it may be unaligned) and widens it. */
#define LD_INT(T) { T x; memcpy(&x, p, sizeof(x)); v.i = x; break; }
#define LD_FP(T) { T x; memcpy(&x, p, sizeof(x)); v.f = x; break; }
#define LD_PAIR(T) { T x; memcpy(&x, p, sizeof(x)); v.f = x.v; v.idx = x.i; break; }
    switch (type) {
    case PRAAS_INT8: LD_INT(int8_t)
    case PRAAS_UINT8: LD_INT(uint8_t)
    case PRAAS_INT16: LD_INT(int16_t)
    case PRAAS_UINT16: LD_INT(uint16_t)
    case PRAAS_INT32: LD_INT(int32_t)
    case PRAAS_UINT32: LD_INT(uint32_t)
    case PRAAS_INT64: LD_INT(int64_t)
    case PRAAS_UINT64: LD_INT(uint64_t)
    case PRAAS_FLOAT: LD_FP(float)
    case PRAAS_DOUBLE: LD_FP(double)
    case PRAAS_LONG_DOUBLE: LD_FP(long double)
    case PRAAS_CHAR: LD_INT(char)
    case PRAAS_BYTE: LD_INT(unsigned char)
    case PRAAS_FLOAT_INT: LD_PAIR(t_float_int)
    case PRAAS_DOUBLE_INT: LD_PAIR(t_double_int)
    case PRAAS_LONG_INT: LD_PAIR(t_long_int)
    case PRAAS_2INT: LD_PAIR(t_2int)
    case PRAAS_SHORT_INT: LD_PAIR(t_short_int)
    case PRAAS_LONG_DOUBLE_INT: LD_PAIR(t_long_double_int)
    default:
        break;
    }
    return v;
}

/* Values given to store() are in range for the type, so the conversions
 * below are exact. */
static void store(praas_type_t type, void *buf, size_t k, val_t v)
{
    unsigned char *p = (unsigned char *)buf + k * types[type].size;

#define ST_INT(T) { T x = (T)v.i; memcpy(p, &x, sizeof(x)); break; }
#define ST_FP(T) { T x = (T)v.f; memcpy(p, &x, sizeof(x)); break; }
#define ST_PAIR(T) { T x; memset(&x, 0, sizeof(x)); x.v = (__typeof__(x.v))v.f; \
                     x.i = v.idx; memcpy(p, &x, sizeof(x)); break; }
    switch (type) {
    case PRAAS_INT8: ST_INT(int8_t)
    case PRAAS_UINT8: ST_INT(uint8_t)
    case PRAAS_INT16: ST_INT(int16_t)
    case PRAAS_UINT16: ST_INT(uint16_t)
    case PRAAS_INT32: ST_INT(int32_t)
    case PRAAS_UINT32: ST_INT(uint32_t)
    case PRAAS_INT64: ST_INT(int64_t)
    case PRAAS_UINT64: ST_INT(uint64_t)
    case PRAAS_FLOAT: ST_FP(float)
    case PRAAS_DOUBLE: ST_FP(double)
    case PRAAS_LONG_DOUBLE: ST_FP(long double)
    case PRAAS_CHAR: ST_INT(char)
    case PRAAS_BYTE: ST_INT(unsigned char)
    case PRAAS_FLOAT_INT: ST_PAIR(t_float_int)
    case PRAAS_DOUBLE_INT: ST_PAIR(t_double_int)
    case PRAAS_LONG_INT: ST_PAIR(t_long_int)
    case PRAAS_2INT: ST_PAIR(t_2int)
    case PRAAS_SHORT_INT: ST_PAIR(t_short_int)
    case PRAAS_LONG_DOUBLE_INT: ST_PAIR(t_long_double_int)
    default:
        break;
    }
}

/* Equality by value (long double padding is not compared). */
static int val_eq(praas_type_t type, val_t a, val_t b)
{
    switch (types[type].cls) {
    case C_INT:
        return a.i == b.i;
    case C_FP:
        return a.f == b.f;
    case C_PAIR:
        return a.f == b.f && a.idx == b.idx;
    }
    return 0;
}

static void val_print(const char *what, praas_type_t type, val_t v)
{
    if (types[type].cls == C_INT)
        tap_diag("  %s: %s%llu", what, v.i < 0 ? "-" : "",
                 (unsigned long long)(v.i < 0 ? -v.i : v.i));
    else
        tap_diag("  %s: %Lg index %d", what, v.f, v.idx);
}

static __int128 int_lo(const struct tinfo *t)
{
    return t->is_signed ? -((__int128)1 << (t->bits - 1)) : 0;
}

static __int128 int_hi(const struct tinfo *t)
{
    return t->is_signed ? ((__int128)1 << (t->bits - 1)) - 1 : ((__int128)1 << t->bits) - 1;
}

/* The value congruent to u modulo 2^bits in the type's range: what two's
 * complement wrapping gives. */
static __int128 wrap(const struct tinfo *t, unsigned __int128 u)
{
    unsigned __int128 m = (unsigned __int128)1 << t->bits;

    u %= m;
    if (t->is_signed && u >= m / 2)
        return (__int128)u - (__int128)m;
    return (__int128)u;
}

/* ---- the test data: NVAL (inout, in) pairs per class of type ---- */

enum { NVAL = 8 };

static void test_data(praas_type_t type, val_t a[NVAL], val_t b[NVAL])
{
    const struct tinfo *t = &types[type];
    __int128 lo = int_lo(t), hi = int_hi(t);

    memset(a, 0, NVAL * sizeof(val_t));
    memset(b, 0, NVAL * sizeof(val_t));
    switch (t->cls) {
    case C_INT:
        if (t->is_signed) {
            /* Overflows of SUM (hi+1, lo-1) and PROD (lo*-1, hi*hi), a
             * mixed sign, logical operands that are neither 0 nor 1. */
            __int128 va[NVAL] = {hi, lo, hi, 5, -6, 0, 12, lo};
            __int128 vb[NVAL] = {1, -1, hi, -3, 0, 0, 10, 2};
            for (int k = 0; k < NVAL; k++)
                a[k].i = va[k], b[k].i = vb[k];
        } else {
            __int128 va[NVAL] = {hi, hi, 5, 0, 0, 12, 2, hi - 1};
            __int128 vb[NVAL] = {1, hi, 3, 7, 0, 10, 4, hi};
            for (int k = 0; k < NVAL; k++)
                a[k].i = va[k], b[k].i = vb[k];
        }
        break;
    case C_FP: {
        /* Sums and products are exact even in float. */
        long double va[NVAL] = {1.5, -2.25, 0, 3, 1024, -0.5, 7, 0.125};
        long double vb[NVAL] = {2.5, 0.5, -4, 3, -1024, -0.5, -0.25, 8};
        for (int k = 0; k < NVAL; k++)
            a[k].f = va[k], b[k].f = vb[k];
        break;
    }
    case C_PAIR: {
        /* Ties with the smaller index in in, then in inout; equal pairs;
         * smaller and larger values; negative values. */
        int va[NVAL][2] = {{3, 5}, {3, 5}, {3, 2}, {-1, 0}, {7, 9}, {2, 1}, {4, 4}, {-8, 3}};
        int vb[NVAL][2] = {{3, 2}, {3, 9}, {3, 2}, {-2, 7}, {8, 1}, {2, 0}, {4, 6}, {-9, 3}};
        for (int k = 0; k < NVAL; k++) {
            a[k].f = va[k][0], a[k].idx = va[k][1];
            b[k].f = vb[k][0], b[k].idx = vb[k][1];
        }
        break;
    }
    }
}

/* x OP y as MPI defines it, computed without the library. */
static val_t expected(praas_op_t op, praas_type_t type, val_t x, val_t y)
{
    const struct tinfo *t = &types[type];
    val_t r = x;
    unsigned char tmp[64];

    if (op == PRAAS_OP_REPLACE)
        return y;
    if (op == PRAAS_OP_NO_OP)
        return x;
    switch (t->cls) {
    case C_INT:
        switch (op) {
        case PRAAS_OP_SUM:
            r.i = wrap(t, (unsigned __int128)x.i + (unsigned __int128)y.i);
            break;
        case PRAAS_OP_PROD:
            r.i = wrap(t, (unsigned __int128)x.i * (unsigned __int128)y.i);
            break;
        case PRAAS_OP_MIN:
            r.i = x.i <= y.i ? x.i : y.i;
            break;
        case PRAAS_OP_MAX:
            r.i = x.i >= y.i ? x.i : y.i;
            break;
        case PRAAS_OP_BAND:
            r.i = x.i & y.i;
            break;
        case PRAAS_OP_BOR:
            r.i = x.i | y.i;
            break;
        case PRAAS_OP_BXOR:
            r.i = x.i ^ y.i;
            break;
        case PRAAS_OP_LAND:
            r.i = x.i != 0 && y.i != 0;
            break;
        case PRAAS_OP_LOR:
            r.i = x.i != 0 || y.i != 0;
            break;
        case PRAAS_OP_LXOR:
            r.i = (x.i != 0) != (y.i != 0);
            break;
        default:
            break;
        }
        return r;
    case C_FP:
        switch (op) {
        case PRAAS_OP_SUM:
            r.f = x.f + y.f;
            break;
        case PRAAS_OP_PROD:
            r.f = x.f * y.f;
            break;
        case PRAAS_OP_MIN:
            r.f = x.f <= y.f ? x.f : y.f;
            break;
        case PRAAS_OP_MAX:
            r.f = x.f >= y.f ? x.f : y.f;
            break;
        default:
            break;
        }
        /* Round to the type, as the library computes in it. */
        store(type, tmp, 0, r);
        return load(type, tmp, 0);
    case C_PAIR:
        if (x.f == y.f)
            r.idx = x.idx < y.idx ? x.idx : y.idx;
        else if (op == PRAAS_OP_MINLOC ? y.f < x.f : y.f > x.f)
            r = y;
        return r;
    }
    return r;
}

/* ---- the tests ---- */

static void test_names_and_validity(void)
{
    int names_ok = 1, sizes_ok = 1;

    for (int t = 0; t < NTYPES; t++) {
        sizes_ok &= types[t].type == (praas_type_t)t &&
                    praas_type_size(types[t].type) == types[t].size;
        names_ok &= strcmp(praas_type_name(types[t].type), types[t].name) == 0;
    }
    for (int o = 0; o < NOPS; o++)
        names_ok &= strcmp(praas_op_name((praas_op_t)o), op_names[o]) == 0;
    tap_ok(NTYPES == PRAAS_TYPE_COUNT && NOPS == PRAAS_OP_COUNT,
           "the test knows all %d types and %d ops", PRAAS_TYPE_COUNT, PRAAS_OP_COUNT);
    tap_ok(sizes_ok, "praas_type_size gives the C size of every type");
    tap_ok(praas_type_size(PRAAS_LONG_DOUBLE_INT) == sizeof(t_long_double_int) &&
               praas_type_size(PRAAS_SHORT_INT) == sizeof(t_short_int),
           "pair sizes include their padding (%zu, %zu)", sizeof(t_long_double_int),
           sizeof(t_short_int));
    tap_ok(names_ok, "praas_type_name and praas_op_name name every type and op");
    tap_ok(praas_type_size(PRAAS_TYPE_COUNT) == 0 && praas_type_size((praas_type_t)-1) == 0 &&
               strcmp(praas_type_name(PRAAS_TYPE_COUNT), "?") == 0 &&
               strcmp(praas_op_name(PRAAS_OP_COUNT), "?") == 0 &&
               strcmp(praas_op_name((praas_op_t)-1), "?") == 0,
           "out-of-range types and ops: size 0, name \"?\"");

    for (int t = 0; t < NTYPES; t++) {
        int ok = 1;

        for (int o = 0; o < NOPS; o++) {
            int want = types[t].valid[o] == '1';
            int got = praas_op_valid((praas_op_t)o, (praas_type_t)t);
            int rc = rma_op_check((praas_op_t)o, (praas_type_t)t);

            if (got != want || rc != (want ? 0 : PRAAS_ERR_INVALID)) {
                tap_diag("%s on %s: valid %d, check %d, expected %d", op_names[o],
                         types[t].name, got, rc, want);
                ok = 0;
            }
        }
        tap_ok(ok, "validity of every op on %s matches MPI-3.1", types[t].name);
    }
    tap_ok(!praas_op_valid(PRAAS_OP_COUNT, PRAAS_INT32) &&
               !praas_op_valid(PRAAS_OP_SUM, PRAAS_TYPE_COUNT) &&
               !praas_op_valid((praas_op_t)-1, PRAAS_INT32),
           "praas_op_valid is 0 out of range");
    tap_ok(rma_op_check(PRAAS_OP_SUM, PRAAS_CHAR) == PRAAS_ERR_INVALID &&
               strstr(praas_errmsg(), "PRAAS_OP_SUM") && strstr(praas_errmsg(), "PRAAS_CHAR"),
           "rma_op_check names op and type: \"%s\"", praas_errmsg());
    tap_ok(rma_op_check(PRAAS_OP_COUNT, PRAAS_INT8) == PRAAS_ERR_INVALID &&
               rma_op_check(PRAAS_OP_SUM, (praas_type_t)99) == PRAAS_ERR_INVALID &&
               strstr(praas_errmsg(), "99"),
           "rma_op_check rejects out-of-range values: \"%s\"", praas_errmsg());
}

static int check_elems(praas_type_t type, const void *buf, const val_t *want, const char *what)
{
    int ok = 1;

    for (size_t k = 0; k < NVAL; k++) {
        val_t got = load(type, buf, k);

        if (!val_eq(type, got, want[k])) {
            if (ok)
                tap_diag("%s: element %zu differs", what, k);
            val_print("expected", type, want[k]);
            val_print("got", type, got);
            ok = 0;
        }
    }
    return ok;
}

/* One op on one type: plain on unaligned buffers, then atomic with and
 * without old on aligned ones. */
static void test_apply(praas_op_t op, praas_type_t type)
{
    _Alignas(64) unsigned char in[NVAL * 32 + 1], io[NVAL * 32 + 1], old[NVAL * 32];
    int locks[RMA_OP_NLOCKS] = {0};
    val_t a[NVAL], b[NVAL], want[NVAL];
    int ok;

    test_data(type, a, b);
    for (int k = 0; k < NVAL; k++) {
        want[k] = expected(op, type, a[k], b[k]);
        store(type, in + 1, (size_t)k, b[k]);
        store(type, io + 1, (size_t)k, a[k]);
    }
    rma_op_apply(op, type, in + 1, io + 1, NVAL);
    ok = check_elems(type, io + 1, want, "result") && check_elems(type, in + 1, b, "in");
    tap_ok(ok, "%s on %s: rma_op_apply on unaligned buffers", op_names[op], types[type].name);

    for (int k = 0; k < NVAL; k++) {
        store(type, in, (size_t)k, b[k]);
        store(type, io, (size_t)k, a[k]);
    }
    memset(old, 0x5a, sizeof(old));
    rma_op_apply_atomic(op, type, in, io, old, NVAL, locks);
    ok = check_elems(type, io, want, "result") && check_elems(type, old, a, "old");
    for (int k = 0; k < NVAL; k++)
        store(type, io, (size_t)k, a[k]);
    rma_op_apply_atomic(op, type, in, io, NULL, NVAL, locks);
    ok = ok && check_elems(type, io, want, "result without old");
    for (int k = 0; k < RMA_OP_NLOCKS; k++)
        ok &= locks[k] == 0;
    tap_ok(ok, "%s on %s: rma_op_apply_atomic gives the same and the old values", op_names[op],
           types[type].name);
}

/* Fixed values for the cases that matter most, stated literally. The
 * plain and the atomic (fetching) application must both give E. */
#define SPOT(TYPE, CT, OP, X, Y, E)                                                         \
    do {                                                                                    \
        CT x_ = X, y_ = Y, a_ = X, o_, e_ = E;                                              \
        int locks_[RMA_OP_NLOCKS] = {0};                                                    \
        rma_op_apply(OP, TYPE, &y_, &x_, 1);                                                \
        rma_op_apply_atomic(OP, TYPE, &y_, &a_, &o_, 1, locks_);                            \
        tap_ok(x_ == e_ && a_ == e_ && o_ == (CT)(X), "%s: %s %s %s is %s", #TYPE, #X, #OP, \
               #Y, #E);                                                                     \
    } while (0)

static void test_spots(void)
{
    SPOT(PRAAS_INT8, int8_t, PRAAS_OP_SUM, 100, 100, -56);
    SPOT(PRAAS_INT8, int8_t, PRAAS_OP_PROD, INT8_MIN, -1, INT8_MIN);
    SPOT(PRAAS_INT8, int8_t, PRAAS_OP_MIN, INT8_MIN, INT8_MAX, INT8_MIN);
    SPOT(PRAAS_UINT8, uint8_t, PRAAS_OP_SUM, 255, 3, 2);
    SPOT(PRAAS_INT16, int16_t, PRAAS_OP_PROD, 300, 300, 24464);
    SPOT(PRAAS_UINT16, uint16_t, PRAAS_OP_PROD, 65535, 65535, 1);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_SUM, INT32_MAX, 1, INT32_MIN);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_PROD, INT32_MIN, -1, INT32_MIN);
    SPOT(PRAAS_UINT32, uint32_t, PRAAS_OP_MAX, 7, UINT32_MAX, UINT32_MAX);
    SPOT(PRAAS_INT64, int64_t, PRAAS_OP_SUM, INT64_MIN, -1, INT64_MAX);
    SPOT(PRAAS_INT64, int64_t, PRAAS_OP_PROD, INT64_MAX, 2, -2);
    SPOT(PRAAS_UINT64, uint64_t, PRAAS_OP_SUM, UINT64_MAX, 2, 1);
    SPOT(PRAAS_UINT64, uint64_t, PRAAS_OP_PROD, UINT64_MAX, UINT64_MAX, 1);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_LAND, 5, -3, 1);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_LOR, 0, 0, 0);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_LOR, -7, 0, 1);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_LXOR, 4, 2, 0);
    SPOT(PRAAS_INT32, int32_t, PRAAS_OP_LXOR, -7, 0, 1);
    SPOT(PRAAS_UINT8, uint8_t, PRAAS_OP_LAND, 128, 2, 1);
    SPOT(PRAAS_BYTE, uint8_t, PRAAS_OP_BXOR, 0xF0, 0x3C, 0xCC);
    SPOT(PRAAS_DOUBLE, double, PRAAS_OP_PROD, -1.5, 4.0, -6.0);
    SPOT(PRAAS_FLOAT, float, PRAAS_OP_MAX, -1.0f, -2.0f, -1.0f);
    SPOT(PRAAS_LONG_DOUBLE, long double, PRAAS_OP_SUM, 0.25L, 1024.5L, 1024.75L);
    SPOT(PRAAS_CHAR, char, PRAAS_OP_REPLACE, 'a', 'z', 'z');
    SPOT(PRAAS_INT16, int16_t, PRAAS_OP_NO_OP, 9, 4, 9);

    {
        /* Ties: the value stays and the smaller index wins, both ways. */
        t_double_int x = {1.0, 7}, y = {1.0, 3};
        t_2int p = {-4, 2}, q = {-4, 6};
        t_long_double_int u = {2.5L, 8}, w = {3.5L, 9};
        rma_op_apply(PRAAS_OP_MINLOC, PRAAS_DOUBLE_INT, &y, &x, 1);
        tap_ok(x.v == 1.0 && x.i == 3, "DOUBLE_INT MINLOC tie keeps the smaller index of in");
        rma_op_apply(PRAAS_OP_MAXLOC, PRAAS_2INT, &q, &p, 1);
        tap_ok(p.v == -4 && p.i == 2, "2INT MAXLOC tie keeps the smaller index of inout");
        rma_op_apply(PRAAS_OP_MAXLOC, PRAAS_LONG_DOUBLE_INT, &w, &u, 1);
        tap_ok(u.v == 3.5L && u.i == 9, "LONG_DOUBLE_INT MAXLOC takes the larger value");
    }
}

static void test_cas(void)
{
    _Alignas(64) unsigned char target[32], in[32], cmp[32], old[32];
    int locks[RMA_OP_NLOCKS] = {0};

    for (int t = 0; t < NTYPES; t++) {
        praas_type_t type = (praas_type_t)t;
        val_t a[NVAL], b[NVAL];
        int ok;

        test_data(type, a, b);
        /* Success: target holds a[0], compare a[0]; in b[0] replaces it. */
        store(type, target, 0, a[0]);
        store(type, cmp, 0, a[0]);
        store(type, in, 0, b[0]);
        rma_op_cas_atomic(type, in, cmp, target, old, locks);
        ok = val_eq(type, load(type, target, 0), b[0]) && val_eq(type, load(type, old, 0), a[0]);
        tap_ok(ok, "CAS on %s succeeds when equal", types[t].name);
        /* Failure: target holds b[0], compare a[1] differs. */
        store(type, cmp, 0, a[1]);
        store(type, in, 0, a[2]);
        rma_op_cas_atomic(type, in, cmp, target, old, locks);
        ok = val_eq(type, load(type, target, 0), b[0]) && val_eq(type, load(type, old, 0), b[0]);
        tap_ok(ok, "CAS on %s fails when different, old gets the current value",
               types[t].name);
    }

    {
        /* old may be the compare buffer. */
        int64_t x = 5, c = 5, n = 6;
        rma_op_cas_atomic(PRAAS_INT64, &n, &c, &x, &c, locks);
        tap_ok(x == 6 && c == 5, "CAS with old == compare");
    }
    {
        /* Documented: CPU-sized floating types compare bit patterns. */
        float x = 0.0f, c = -0.0f, n = 1.0f, o;
        rma_op_cas_atomic(PRAAS_FLOAT, &n, &c, &x, &o, locks);
        tap_ok(x == 0.0f && !signbit(o), "FLOAT CAS compares bits: -0.0 does not match 0.0");
    }
    {
        /* Documented: long double compares values, ignoring the sign of
         * zero and, where it has some (x87's 80-bit format in 16 bytes),
         * the padding bytes. */
        _Alignas(16) unsigned char tb[sizeof(long double)], cb[sizeof(long double)];
        long double v = 42.0L, z = -0.0L, n = 7.0L, o;
#if LDBL_MANT_DIG == 64
        memset(tb, 0xA5, sizeof(tb));
        memset(cb, 0x00, sizeof(cb));
        memcpy(tb, &v, 10);
        memcpy(cb, &v, 10);
        rma_op_cas_atomic(PRAAS_LONG_DOUBLE, &n, cb, tb, &o, locks);
        tap_ok(load(PRAAS_LONG_DOUBLE, tb, 0).f == 7.0L && o == 42.0L,
               "LONG_DOUBLE CAS matches equal values with different padding");
#endif
        v = 0.0L;
        memcpy(tb, &v, sizeof(v));
        rma_op_cas_atomic(PRAAS_LONG_DOUBLE, &n, &z, tb, &o, locks);
        tap_ok(load(PRAAS_LONG_DOUBLE, tb, 0).f == 7.0L && o == 0.0L,
               "LONG_DOUBLE CAS compares values: -0.0 matches 0.0");
        (void)cb;
    }
    {
        int ok = 1;
        for (int k = 0; k < RMA_OP_NLOCKS; k++)
            ok &= locks[k] == 0;
        tap_ok(ok, "every lock is free after the CAS tests");
    }
}

static void test_alignment(void)
{
    int ok = 1;

    for (int t = 0; t < NTYPES; t++) {
        int want = types[t].cls != C_PAIR && t != PRAAS_LONG_DOUBLE && types[t].size > 1;
        if (rma_op_needs_alignment((praas_type_t)t) != want) {
            tap_diag("%s: needs_alignment %d", types[t].name,
                     rma_op_needs_alignment((praas_type_t)t));
            ok = 0;
        }
    }
    tap_ok(ok, "rma_op_needs_alignment is 1 exactly for 2/4/8-byte CPU-atomic types");
}

/* ---- contention between threads ---- */

enum { NTHREADS = 4, NITER = 100000 };

static struct {
    int64_t i64;
    int32_t i32, max32;
    double d;
    long double ld;
    t_double_int loc;
    int locks[RMA_OP_NLOCKS];
} shared;
static int64_t old_i64[NTHREADS][NITER];
static long double old_ld[NTHREADS][NITER];

static void *thread_main(void *arg)
{
    int t = (int)(intptr_t)arg;

    for (int k = 0; k < NITER; k++) {
        int64_t one64 = 1;
        int32_t one32 = 1, m = t * NITER + k;
        double half = 0.5;
        long double one = 1.0L;
        t_double_int p = {(double)k, t};

        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_INT64, &one64, &shared.i64, &old_i64[t][k], 1,
                            shared.locks);
        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_INT32, &one32, &shared.i32, NULL, 1,
                            shared.locks);
        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_DOUBLE, &half, &shared.d, NULL, 1, shared.locks);
        rma_op_apply_atomic(PRAAS_OP_MAX, PRAAS_INT32, &m, &shared.max32, NULL, 1, shared.locks);
        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_LONG_DOUBLE, &one, &shared.ld, &old_ld[t][k], 1,
                            shared.locks);
        rma_op_apply_atomic(PRAAS_OP_MAXLOC, PRAAS_DOUBLE_INT, &p, &shared.loc, NULL, 1,
                            shared.locks);
    }
    return NULL;
}

/* Every fetched old value of a +1 counter is distinct and in [0, n): each
 * increment saw the one before it. */
static int olds_are_permutation(const long double *olds, size_t n)
{
    unsigned char *seen = calloc(n, 1);
    int ok = seen != NULL;

    for (size_t k = 0; ok && k < n; k++) {
        long double v = olds[k];
        ok = v >= 0 && v < (long double)n && !seen[(size_t)v];
        if (ok)
            seen[(size_t)v] = 1;
    }
    free(seen);
    return ok;
}

static void test_threads(void)
{
    pthread_t th[NTHREADS];
    static long double olds[NTHREADS * NITER];
    int started = 1;

    memset(&shared, 0, sizeof(shared));
    shared.max32 = INT32_MIN;
    shared.loc.v = -1.0;
    for (int t = 0; t < NTHREADS; t++)
        started &= pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t) == 0;
    if (!tap_ok(started, "%d threads started", NTHREADS))
        exit(tap_exit());
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);

    tap_ok(shared.i64 == (int64_t)NTHREADS * NITER, "threads: INT64 SUM total %lld",
           (long long)shared.i64);
    tap_ok(shared.i32 == NTHREADS * NITER, "threads: INT32 SUM total %d", shared.i32);
    tap_ok(shared.d == 0.5 * NTHREADS * NITER, "threads: DOUBLE SUM total %.1f", shared.d);
    tap_ok(shared.max32 == NTHREADS * NITER - 1, "threads: INT32 MAX %d", shared.max32);
    tap_ok(shared.ld == (long double)NTHREADS * NITER, "threads: LONG_DOUBLE SUM total %.1Lf",
           shared.ld);
    tap_ok(shared.loc.v == NITER - 1 && shared.loc.i == 0,
           "threads: DOUBLE_INT MAXLOC (%.0f, %d), the smallest index of the ties",
           shared.loc.v, shared.loc.i);
    for (int t = 0; t < NTHREADS; t++)
        for (int k = 0; k < NITER; k++)
            olds[t * NITER + k] = (long double)old_i64[t][k];
    tap_ok(olds_are_permutation(olds, NTHREADS * NITER),
           "threads: INT64 fetch-and-add returned every prior total once");
    tap_ok(olds_are_permutation(&old_ld[0][0], NTHREADS * NITER),
           "threads: LONG_DOUBLE fetch-and-add (locked) returned every prior total once");
}

/* ---- contention between processes ---- */

enum { NCHILD = 2 };

struct proc_shared {
    int64_t i64;
    long double ld;
    int locks[RMA_OP_NLOCKS];
};

static void child_main(struct proc_shared *s)
{
    int64_t one64 = 1;
    long double one = 1.0L;

    for (int k = 0; k < NITER; k++) {
        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_INT64, &one64, &s->i64, NULL, 1, s->locks);
        rma_op_apply_atomic(PRAAS_OP_SUM, PRAAS_LONG_DOUBLE, &one, &s->ld, NULL, 1, s->locks);
    }
    _exit(0);
}

/* Fork NCHILD children, child c updating through view[c] (views of the
 * same memory), and wait for them; 1 if all exited 0. */
static int run_children(struct proc_shared *view[NCHILD])
{
    pid_t pid[NCHILD];
    int ok = 1, status;

    for (int c = 0; c < NCHILD; c++) {
        pid[c] = fork();
        if (pid[c] == 0)
            child_main(view[c]);
        ok &= pid[c] > 0;
    }
    for (int c = 0; c < NCHILD; c++)
        if (pid[c] > 0)
            ok &= waitpid(pid[c], &status, 0) == pid[c] && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0;
    return ok;
}

static void test_processes(void)
{
    struct proc_shared *s, *view[NCHILD];
    int ok;
    int fd;

    s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!tap_ok(s != MAP_FAILED, "shared anonymous mapping"))
        return;
    memset(s, 0, sizeof(*s));
    view[0] = view[1] = s;
    ok = run_children(view);
    tap_ok(ok && s->i64 == (int64_t)NCHILD * NITER && s->ld == (long double)NCHILD * NITER,
           "processes: INT64 SUM total %lld, LONG_DOUBLE SUM total %.1Lf",
           (long long)s->i64, s->ld);
    munmap(s, sizeof(*s));

    /* The same memory mapped at two addresses, as two processes may map a
     * window: the lock of an element must not depend on where it is
     * mapped. */
    fd = memfd_create("praas-test-ops", 0);
    if (fd < 0 || ftruncate(fd, sizeof(*s)) != 0) {
        tap_ok(1, "# SKIP memfd_create unavailable");
        return;
    }
    view[0] = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    view[1] = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (!tap_ok(view[0] != MAP_FAILED && view[1] != MAP_FAILED && view[0] != view[1],
                "one memory mapped at two addresses"))
        return;
    ok = run_children(view);
    tap_ok(ok && view[0]->i64 == (int64_t)NCHILD * NITER &&
               view[0]->ld == (long double)NCHILD * NITER,
           "processes, different mappings: INT64 SUM total %lld, LONG_DOUBLE SUM total %.1Lf",
           (long long)view[0]->i64, view[0]->ld);
    munmap(view[0], sizeof(*s));
    munmap(view[1], sizeof(*s));
}

int main(void)
{
    test_names_and_validity();
    for (int t = 0; t < NTYPES; t++)
        for (int o = 0; o < NOPS; o++)
            if (types[t].valid[o] == '1')
                test_apply((praas_op_t)o, (praas_type_t)t);
    test_spots();
    test_cas();
    test_alignment();
    test_threads();
    test_processes();
    tap_no_plan_end();
    return tap_exit();
}
