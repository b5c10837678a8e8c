/* The v-collectives, scans and Reduce_scatter: rank r contributes r + 1
 * elements to Gatherv (root 1 when there are two ranks or more),
 * Allgatherv and Scatterv; Alltoallv sends j + 1 elements to rank j;
 * Scan and Exscan with MPI_SUM and a non-commutative user op;
 * Reduce_scatter with uneven counts; Reduce_local; a Gatherv of a vector
 * datatype and an in-place Allgatherv. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int bad;

static void check(int cond, const char *what, int rank)
{
    if (!cond) {
        bad++;
        fprintf(stderr, "rank %d: %s failed\n", rank, what);
    }
}

/* A non-commutative op on pairs (a, b): function composition of x -> a x + b. */
static void compose(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    long *x = in, *y = inout;
    (void)dt;
    for (int i = 0; i < *len; i++) {
        long a = x[2 * i], b = x[2 * i + 1], c = y[2 * i], d = y[2 * i + 1];
        /* y(x(t)) = c (a t + b) + d */
        y[2 * i] = c * a;
        y[2 * i + 1] = c * b + d;
    }
}

int main(int argc, char **argv)
{
    int rank, size, root;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    root = size > 1 ? 1 : 0;
    int total = size * (size + 1) / 2;
    int *counts = malloc(sizeof(int) * size), *displs = malloc(sizeof(int) * size);
    int *all = malloc(sizeof(int) * (total + size)), mine[64];
    for (int i = 0, d = 0; i < size; i++) {
        counts[i] = i + 1;
        displs[i] = d + i; /* a gap of i ints before each block */
        d += i + 1;
    }
    for (int i = 0; i <= rank; i++)
        mine[i] = rank * 100 + i;

    /* Gatherv. */
    for (int i = 0; i < total + size; i++)
        all[i] = -1;
    MPI_Gatherv(mine, rank + 1, MPI_INT, all, counts, displs, MPI_INT, root, MPI_COMM_WORLD);
    if (rank == root) {
        long sum = 0;
        for (int i = 0; i < size; i++)
            for (int k = 0; k < counts[i]; k++) {
                check(all[displs[i] + k] == i * 100 + k, "gatherv", rank);
                sum += all[displs[i] + k];
            }
        printf("gatherv sum %ld\n", sum);
    }

    /* Allgatherv, then in place. */
    for (int i = 0; i < total + size; i++)
        all[i] = -1;
    MPI_Allgatherv(mine, rank + 1, MPI_INT, all, counts, displs, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < size; i++)
        for (int k = 0; k < counts[i]; k++)
            check(all[displs[i] + k] == i * 100 + k, "allgatherv", rank);
    for (int i = 0; i < total + size; i++)
        all[i] = -1;
    for (int k = 0; k <= rank; k++)
        all[displs[rank] + k] = mine[k];
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_INT,
                   MPI_COMM_WORLD);
    for (int i = 0; i < size; i++)
        for (int k = 0; k < counts[i]; k++)
            check(all[displs[i] + k] == i * 100 + k, "allgatherv in place", rank);

    /* Scatterv: the root's all[] goes back out. */
    int got[64];
    for (int i = 0; i < 64; i++)
        got[i] = -1;
    MPI_Scatterv(all, counts, displs, MPI_INT, got, rank + 1, MPI_INT, root, MPI_COMM_WORLD);
    for (int k = 0; k <= rank; k++)
        check(got[k] == rank * 100 + k, "scatterv", rank);
    check(got[rank + 1] == -1, "scatterv bound", rank);

    /* Alltoallv: j + 1 ints to rank j, each rank * 1000 + j * 10 + k. */
    {
        int *sc = malloc(sizeof(int) * size), *sd = malloc(sizeof(int) * size);
        int *rc = malloc(sizeof(int) * size), *rd = malloc(sizeof(int) * size);
        int *sb = malloc(sizeof(int) * (total + 1)), *rb = malloc(sizeof(int) * size * (rank + 1));
        for (int j = 0, d = 0; j < size; j++) {
            sc[j] = j + 1;
            sd[j] = d;
            for (int k = 0; k <= j; k++)
                sb[d + k] = rank * 1000 + j * 10 + k;
            d += j + 1;
            rc[j] = rank + 1;
            rd[j] = (size - 1 - j) * (rank + 1); /* blocks in reverse order */
        }
        MPI_Alltoallv(sb, sc, sd, MPI_INT, rb, rc, rd, MPI_INT, MPI_COMM_WORLD);
        for (int j = 0; j < size; j++)
            for (int k = 0; k <= rank; k++)
                check(rb[rd[j] + k] == j * 1000 + rank * 10 + k, "alltoallv", rank);
        free(sc), free(sd), free(rc), free(rd), free(sb), free(rb);
    }

    /* Scan and Exscan. */
    {
        int v[2] = {rank + 1, 2 * rank}, s[2], e[2] = {-7, -7};
        MPI_Scan(v, s, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        check(s[0] == (rank + 1) * (rank + 2) / 2 && s[1] == rank * (rank + 1), "scan", rank);
        MPI_Exscan(v, e, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        if (rank > 0)
            check(e[0] == rank * (rank + 1) / 2 && e[1] == (rank - 1) * rank, "exscan", rank);
        printf("rank %d: scan %d %d\n", rank, s[0], s[1]);

        MPI_Op op;
        MPI_Datatype pair;
        long f[2] = {rank + 2, rank}, r[2];
        MPI_Type_contiguous(2, MPI_LONG, &pair);
        MPI_Type_commit(&pair);
        MPI_Op_create(compose, 0, &op);
        MPI_Scan(f, r, 1, pair, op, MPI_COMM_WORLD);
        /* Expected: f_rank o ... o f_0 applied as MPI orders operands. */
        long a = 1, b = 0;
        for (int i = 0; i <= rank; i++) {
            long c = i + 2, d = i;
            long na = c * a, nb = c * b + d;
            a = na, b = nb;
        }
        check(r[0] == a && r[1] == b, "user scan", rank);
        printf("rank %d: composed %ld %ld\n", rank, r[0], r[1]);
        MPI_Op_free(&op);
        MPI_Type_free(&pair);
    }

    /* Reduce_scatter with uneven counts: rank j gets j + 1 sums. */
    {
        int *in = malloc(sizeof(int) * total), out[64];
        for (int i = 0; i < total; i++)
            in[i] = i + rank;
        MPI_Reduce_scatter(in, out, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        int off = rank * (rank + 1) / 2;
        for (int k = 0; k <= rank; k++)
            check(out[k] == size * (off + k) + size * (size - 1) / 2, "reduce_scatter", rank);
        free(in);
    }

    /* Reduce_local. */
    {
        double x[3] = {1, 2, 3}, y[3] = {10, 20, 30};
        MPI_Reduce_local(x, y, 3, MPI_DOUBLE, MPI_PROD);
        check(y[0] == 10 && y[1] == 40 && y[2] == 90, "reduce_local", rank);
    }

    /* Gatherv of a vector type: every other int of 2 * (rank + 1). */
    {
        MPI_Datatype ev;
        int src[128], *dst = malloc(sizeof(int) * (total + size));
        MPI_Type_vector(rank + 1, 1, 2, MPI_INT, &ev);
        MPI_Type_commit(&ev);
        for (int i = 0; i < 2 * (rank + 1); i++)
            src[i] = i % 2 ? -5 : rank * 100 + i / 2;
        MPI_Gatherv(src, 1, ev, dst, counts, displs, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank == 0)
            for (int i = 0; i < size; i++)
                for (int k = 0; k < counts[i]; k++)
                    check(dst[displs[i] + k] == i * 100 + k, "gatherv of a vector", rank);
        MPI_Type_free(&ev);
        free(dst);
    }

    printf("rank %d: vcoll %s\n", rank, bad ? "WRONG" : "ok");
    free(counts);
    free(displs);
    free(all);
    MPI_Finalize();
    return bad != 0;
}
