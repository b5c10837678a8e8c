/* A transpose with derived datatypes. The N x N matrix of doubles (N = B x
 * processes) is distributed by rows, B rows per rank. Each rank's B x B
 * block for rank j is a vector (B rows of B, stride N) resized to B
 * doubles, so block j starts at column j*B; the receive side is a column (B
 * elements, stride N) resized to one double, so consecutive columns fill in.
 * Transposed once with MPI_Alltoall, and once with MPI_Put of the block
 * onto a target type of B resized columns in a fence epoch. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define B 4

static double value(int row, int col)
{
    return row * 1000.0 + col;
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    MPI_Datatype vec, block, col, coltype;
    MPI_Win win;
    double *a, *t, *w;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int n = B * size;
    a = malloc(sizeof(double) * B * n);
    t = malloc(sizeof(double) * B * n);
    for (int r = 0; r < B; r++)
        for (int c = 0; c < n; c++)
            a[r * n + c] = value(rank * B + r, c);

    MPI_Type_vector(B, B, n, MPI_DOUBLE, &vec);
    MPI_Type_create_resized(vec, 0, B * sizeof(double), &block);
    MPI_Type_vector(B, 1, n, MPI_DOUBLE, &col);
    MPI_Type_create_resized(col, 0, sizeof(double), &coltype);
    MPI_Type_commit(&block);
    MPI_Type_commit(&coltype);

    /* With Alltoall. */
    for (int i = 0; i < B * n; i++)
        t[i] = -1;
    MPI_Alltoall(a, 1, block, t, B, coltype, MPI_COMM_WORLD);
    for (int r = 0; r < B; r++)
        for (int c = 0; c < n; c++)
            if (t[r * n + c] != value(c, rank * B + r))
                bad++;
    double sum = 0;
    for (int c = 0; c < n; c++)
        sum += t[c] * (c + 1);
    printf("rank %d: alltoall transpose %s, row %d weighted sum %.0f\n", rank,
           bad ? "WRONG" : "ok", rank * B, sum);

    /* With MPI_Put of a vector target type in a fence epoch. */
    MPI_Win_allocate(sizeof(double) * B * n, sizeof(double), MPI_INFO_NULL, MPI_COMM_WORLD, &w,
                     &win);
    for (int i = 0; i < B * n; i++)
        w[i] = -1;
    MPI_Win_fence(0, win);
    for (int j = 0; j < size; j++)
        MPI_Put(&a[j * B], 1, block, j, rank * B, B, coltype, win);
    MPI_Win_fence(0, win);
    int bad2 = 0;
    for (int r = 0; r < B; r++)
        for (int c = 0; c < n; c++)
            if (w[r * n + c] != value(c, rank * B + r))
                bad2++;
    /* And back with MPI_Get of the transposed block from every rank. */
    MPI_Win_fence(0, win);
    for (int i = 0; i < B * n; i++)
        t[i] = -1;
    for (int j = 0; j < size; j++)
        MPI_Get(&t[j * B], 1, block, j, rank * B, B, coltype, win);
    MPI_Win_fence(0, win);
    for (int i = 0; i < B * n; i++)
        if (t[i] != a[i])
            bad2++;
    printf("rank %d: put transpose %s\n", rank, bad2 ? "WRONG" : "ok");
    MPI_Win_free(&win);
    MPI_Type_free(&vec);
    MPI_Type_free(&block);
    MPI_Type_free(&col);
    MPI_Type_free(&coltype);
    free(a);
    free(t);
    MPI_Finalize();
    return bad + bad2 != 0;
}
