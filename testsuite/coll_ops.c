/*
 * Every collective checked against a sequential computation: reductions
 * for every type and every op that applies (small vectors: the one-round
 * algorithm; large ones: the ring), identical results on every rank,
 * in-place forms, non-blocking allreduce and barrier, a user-defined
 * non-commutative op, and bad arguments. Inputs are small integers (also
 * in the floating types), so any order of reduction gives exact results.
 */
#include <inttypes.h>

#include "rma/op.h"
#include "testsuite/lib/launched.h"

#define SMALL 5
#define LARGE 20000

/* Rank r's element i of type t: small values, exact in every type. */
static void fill(praas_type_t t, unsigned char *p, size_t count, int r)
{
    size_t ts = praas_type_size(t);

    memset(p, 0, ts * count);
    for (size_t i = 0; i < count; i++) {
        unsigned char *e = p + i * ts;
        int v = (int)((i * 7 + (size_t)r * 13) % 11) - 3; /* -3 .. 7 */
        int idx = (int)(i % 5) + r;
        switch (t) {
        case PRAAS_FLOAT: *(float *)e = (float)v; break;
        case PRAAS_DOUBLE: *(double *)e = v; break;
        case PRAAS_LONG_DOUBLE: *(long double *)e = v; break;
        case PRAAS_FLOAT_INT: *(float *)e = (float)(v % 3); memcpy(e + 4, &idx, 4); break;
        case PRAAS_DOUBLE_INT: *(double *)e = v % 3; memcpy(e + 8, &idx, 4); break;
        case PRAAS_LONG_INT: *(long *)e = v % 3; memcpy(e + 8, &idx, 4); break;
        case PRAAS_2INT: *(int *)e = v % 3; memcpy(e + 4, &idx, 4); break;
        case PRAAS_SHORT_INT: *(short *)e = (short)(v % 3); memcpy(e + 4, &idx, 4); break;
        case PRAAS_LONG_DOUBLE_INT: *(long double *)e = v % 3; memcpy(e + 16, &idx, 4); break;
        default:
            for (size_t b = 0; b < ts; b++)
                e[b] = b == 0 ? (unsigned char)v : (unsigned char)(v < 0 ? 0xff : 0);
        }
    }
}

/* Compare values, not padding. */
static int same(praas_type_t t, const unsigned char *a, const unsigned char *b, size_t count)
{
    size_t ts = praas_type_size(t);

    for (size_t i = 0; i < count; i++) {
        const unsigned char *x = a + i * ts, *y = b + i * ts;
        int eq;
        switch (t) {
        case PRAAS_LONG_DOUBLE: eq = *(const long double *)x == *(const long double *)y; break;
        case PRAAS_LONG_DOUBLE_INT:
            eq = *(const long double *)x == *(const long double *)y && !memcmp(x + 16, y + 16, 4);
            break;
        case PRAAS_SHORT_INT: eq = !memcmp(x, y, 2) && !memcmp(x + 4, y + 4, 4); break;
        case PRAAS_DOUBLE_INT:
        case PRAAS_LONG_INT: eq = !memcmp(x, y, 12); break;
        default: eq = !memcmp(x, y, ts);
        }
        if (!eq)
            return 0;
    }
    return 1;
}

/* The reduction of every rank's input, folded in rank order. */
static void expected(praas_type_t t, praas_op_t op, size_t count, unsigned char *out)
{
    unsigned char *in = malloc(praas_type_size(t) * count);

    fill(t, out, count, 0);
    for (int r = 1; r < lt_size; r++) {
        fill(t, in, count, r);
        rma_op_apply(op, t, in, out, count);
    }
    free(in);
}

/* All ranks hold the same values, bit for bit (padding bytes aside)? */
static int identical(praas_type_t t, const void *buf, size_t count)
{
    size_t bytes = count * praas_type_size(t);
    unsigned char *all = malloc(bytes * (size_t)lt_size);
    int ok;

    ok = praas_allgather(buf, bytes, PRAAS_BYTE, all) == 0;
    for (int r = 1; r < lt_size && ok; r++)
        ok = same(t, all, all + (size_t)r * bytes, count);
    free(all);
    return ok;
}

static void test_reductions(size_t count, const char *label)
{
    int pairs = 0, ok_ar = 1, ok_red = 1, ok_rs = 1, ok_same = 1, root = lt_size - 1;

    for (int t = 0; t < PRAAS_TYPE_COUNT; t++) {
        size_t ts = praas_type_size((praas_type_t)t);
        size_t big = count * (size_t)lt_size;
        unsigned char *in = malloc(ts * big), *out = malloc(ts * big), *exp = malloc(ts * big);
        for (int o = 0; o < PRAAS_OP_COUNT; o++) {
            praas_type_t ty = (praas_type_t)t;
            praas_op_t op = (praas_op_t)o;
            if (!praas_op_valid(op, ty) || op == PRAAS_OP_REPLACE || op == PRAAS_OP_NO_OP)
                continue;
            /* The large vectors only for a few pairs: they take time. */
            if (count == LARGE && !((ty == PRAAS_INT64 && op == PRAAS_OP_SUM) ||
                                    (ty == PRAAS_DOUBLE && op == PRAAS_OP_SUM) ||
                                    (ty == PRAAS_FLOAT && op == PRAAS_OP_MAX) ||
                                    (ty == PRAAS_INT32 && op == PRAAS_OP_BXOR) ||
                                    (ty == PRAAS_DOUBLE_INT && op == PRAAS_OP_MINLOC)))
                continue;
            pairs++;
            fill(ty, in, count, lt_rank);
            expected(ty, op, count, exp);
            if (!lt_report(praas_allreduce(in, out, count, ty, op), "allreduce") ||
                !same(ty, out, exp, count)) {
                fprintf(stderr, "rank %d: allreduce %s %s count %zu wrong\n", lt_rank,
                        praas_type_name(ty), praas_op_name(op), count);
                ok_ar = 0;
            }
            ok_same &= identical(ty, out, count);
            memset(out, 0, ts * count);
            if (!lt_report(praas_reduce(in, out, count, ty, op, root), "reduce") ||
                (lt_rank == root && !same(ty, out, exp, count)))
                ok_red = 0;
            /* reduce_scatter_block over size blocks of count elements. */
            for (int r = 0; r < lt_size; r++)
                fill(ty, in + (size_t)r * count * ts, count, lt_rank);
            if (!lt_report(praas_reduce_scatter_block(in, out, count, ty, op), "reduce_scatter") ||
                !same(ty, out, exp, count))
                ok_rs = 0;
        }
        free(in);
        free(out);
        free(exp);
    }
    lt_check(ok_ar, "allreduce of %s vectors: %d (type, op) pairs match the sequential result",
             label, pairs);
    lt_check(ok_same, "allreduce of %s vectors: every rank has the same bits", label);
    lt_check(ok_red, "reduce to the last rank of %s vectors: %d pairs", label, pairs);
    lt_check(ok_rs, "reduce_scatter_block of %s blocks: %d pairs", label, pairs);
}

static void test_movement(size_t count, const char *label)
{
    size_t bytes = count * sizeof(int64_t), nb = bytes * (size_t)lt_size;
    int64_t *in = malloc(nb), *out = malloc(nb);
    int ok, root = lt_size / 2;

    /* bcast from every root. */
    ok = 1;
    for (int r = 0; r < lt_size; r++) {
        for (size_t i = 0; i < count; i++)
            in[i] = lt_rank == r ? (int64_t)(i * 3 + (size_t)r) : -1;
        ok &= lt_report(praas_bcast(in, count, PRAAS_INT64, r), "bcast");
        for (size_t i = 0; i < count; i++)
            ok &= in[i] == (int64_t)(i * 3 + (size_t)r);
    }
    lt_check(ok, "bcast of %s vectors from every root", label);

    for (size_t i = 0; i < count; i++)
        in[i] = lt_rank * 100000 + (int64_t)i;
    ok = lt_report(praas_allgather(in, count, PRAAS_INT64, out), "allgather");
    for (int r = 0; r < lt_size; r++)
        for (size_t i = 0; i < count; i++)
            ok &= out[(size_t)r * count + i] == r * 100000 + (int64_t)i;
    lt_check(ok, "allgather of %s blocks", label);

    memset(out, 0, nb);
    ok = lt_report(praas_gather(in, count, PRAAS_INT64, out, root), "gather");
    if (lt_rank == root)
        for (int r = 0; r < lt_size; r++)
            for (size_t i = 0; i < count; i++)
                ok &= out[(size_t)r * count + i] == r * 100000 + (int64_t)i;
    lt_check(ok, "gather of %s blocks to rank %d", label, root);

    for (int r = 0; r < lt_size; r++)
        for (size_t i = 0; i < count; i++)
            in[(size_t)r * count + i] = lt_rank == root ? r * 7 + (int64_t)i : -1;
    ok = lt_report(praas_scatter(in, count, PRAAS_INT64, out, root), "scatter");
    for (size_t i = 0; i < count; i++)
        ok &= out[i] == lt_rank * 7 + (int64_t)i;
    lt_check(ok, "scatter of %s blocks from rank %d", label, root);

    for (int r = 0; r < lt_size; r++)
        for (size_t i = 0; i < count; i++)
            in[(size_t)r * count + i] = lt_rank * 1000 + r * 10 + (int64_t)(i % 10);
    ok = lt_report(praas_alltoall(in, count, PRAAS_INT64, out), "alltoall");
    for (int s = 0; s < lt_size; s++)
        for (size_t i = 0; i < count; i++)
            ok &= out[(size_t)s * count + i] == s * 1000 + lt_rank * 10 + (int64_t)(i % 10);
    lt_check(ok, "alltoall of %s blocks", label);
    free(in);
    free(out);
}

static void test_in_place(void)
{
    int64_t buf[SMALL * 8], exp[SMALL];
    int ok = 1;

    for (int i = 0; i < SMALL; i++)
        buf[i] = lt_rank + i;
    for (int i = 0; i < SMALL; i++)
        exp[i] = (int64_t)lt_size * (lt_size - 1) / 2 + (int64_t)lt_size * i;
    ok &= lt_report(praas_allreduce(PRAAS_IN_PLACE, buf, SMALL, PRAAS_INT64, PRAAS_OP_SUM),
                    "allreduce in place");
    ok &= !memcmp(buf, exp, sizeof(exp));
    for (int i = 0; i < SMALL; i++)
        buf[lt_rank * SMALL + i] = lt_rank * 10 + i;
    ok &= lt_report(praas_allgather(PRAAS_IN_PLACE, SMALL, PRAAS_INT64, buf), "allgather");
    for (int r = 0; r < lt_size; r++)
        for (int i = 0; i < SMALL; i++)
            ok &= buf[r * SMALL + i] == r * 10 + i;
    lt_check(ok, "in-place allreduce and allgather");
}

static void test_nonblocking(void)
{
    double *in = malloc(LARGE * sizeof(double)), *out = malloc(LARGE * sizeof(double));
    praas_coll_req_t req;
    int ok = 1, flag = 0;
    double work = 0;

    for (int i = 0; i < LARGE; i++)
        in[i] = lt_rank + 1;
    ok &= lt_report(praas_iallreduce(in, out, LARGE, PRAAS_DOUBLE, PRAAS_OP_SUM, &req),
                    "iallreduce");
    /* Compute while it runs, testing now and then. */
    for (long i = 0; ok && !flag; i++) {
        work += (double)i * 1e-9;
        if (i % 1000 == 0)
            ok &= lt_report(praas_coll_test(&req, &flag), "coll_test");
    }
    for (int i = 0; i < LARGE; i++)
        ok &= out[i] == (double)lt_size * (lt_size + 1) / 2;
    ok &= req == NULL;
    ok &= lt_report(praas_ibarrier(&req), "ibarrier");
    ok &= lt_report(praas_coll_wait(&req), "coll_wait");
    lt_check(ok && work >= 0, "iallreduce overlapped with computation, then ibarrier");
    free(in);
    free(out);
}

/* A non-commutative op: 2x2 integer matrix product, in rank order. */
static void matmul(const void *in, void *inout, size_t count, praas_type_t type, void *arg)
{
    const int64_t *a = in;
    int64_t *b = inout;

    (void)type, (void)arg;
    for (size_t k = 0; k < count / 4; k++, a += 4, b += 4) {
        int64_t c[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
                        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
        memcpy(b, c, sizeof(c));
    }
}

static void test_user_op(void)
{
    int64_t m[4] = {1, lt_rank + 1, 0, 1}, out[4], exp[4] = {1, 0, 0, 1};
    praas_op_t op;
    int ok;

    /* Expected: M0 x M1 x ... x M(n-1); upper-triangular ones add up. */
    for (int r = 0; r < lt_size; r++)
        exp[1] += r + 1;
    ok = lt_report(praas_op_create(matmul, 0, NULL, &op), "op_create");
    ok &= lt_report(praas_allreduce(m, out, 4, PRAAS_INT64, op), "allreduce user op");
    ok &= !memcmp(out, exp, sizeof(exp));
    ok &= lt_report(praas_op_free(&op), "op_free");
    lt_check(ok, "a user-defined non-commutative op reduces in rank order");
}

static void test_errors(void)
{
    int64_t v = 1, out;

    lt_check(praas_allreduce(NULL, &out, 1, PRAAS_INT64, PRAAS_OP_SUM) == PRAAS_ERR_INVALID,
             "allreduce with a NULL buffer is PRAAS_ERR_INVALID");
    lt_check(praas_allreduce(&v, &out, 1, PRAAS_DOUBLE, PRAAS_OP_BAND) == PRAAS_ERR_INVALID,
             "allreduce with an op that does not apply is PRAAS_ERR_INVALID");
    lt_check(praas_bcast(&v, 1, PRAAS_INT64, lt_size) == PRAAS_ERR_RANGE,
             "bcast from a root outside the view is PRAAS_ERR_RANGE");
    lt_check(praas_allreduce(&v, &out, 0, PRAAS_INT64, PRAAS_OP_SUM) == 0,
             "a zero-count allreduce succeeds");
    /* Mismatched counts: rank 0 says 2 elements, the others 1. */
    if (lt_size > 1) {
        int64_t two[2] = {1, 2}, got[2];
        int rc = praas_allreduce(two, got, lt_rank == 0 ? 2 : 1, PRAAS_INT64, PRAAS_OP_SUM);
        lt_check(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "mismatched"),
                 "mismatched counts are detected: %s", praas_errmsg());
    }
}

int main(void)
{
    lt_init();
    test_reductions(SMALL, "small");
    test_reductions(LARGE, "large");
    test_movement(SMALL, "small");
    test_movement(LARGE, "large");
    test_in_place();
    test_nonblocking();
    test_user_op();
    lt_check(praas_barrier() == 0, "barrier");
    test_errors();
    return lt_finish();
}
