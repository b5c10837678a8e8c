/* 1-D halo exchange with MPI_Win_fence: each rank owns N cells of a line
 * plus two ghost cells in a window; every step puts its edge cells into the
 * neighbours' ghosts, then smooths. Checked against the same computation
 * on the whole line, done locally. Ends of the line talk to MPI_PROC_NULL. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N 8
#define STEPS 5

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    long u[N + 2], nu[N + 2];
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    int right = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

    for (int i = 0; i < N + 2; i++)
        u[i] = (i >= 1 && i <= N) ? (long)(rank * N + i - 1) * 7 % 23 : 0;
    MPI_Win_create(u, sizeof(u), sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &win);

    /* The whole line, for the check. */
    int len = N * size;
    long *g = calloc((size_t)len + 2, sizeof(long)), *ng = calloc((size_t)len + 2, sizeof(long));
    for (int i = 0; i < len; i++)
        g[i + 1] = (long)i * 7 % 23;

    for (int s = 0; s < STEPS; s++) {
        MPI_Win_fence(MPI_MODE_NOPRECEDE, win);
        MPI_Put(&u[1], 1, MPI_LONG, left, N + 1, 1, MPI_LONG, win);
        MPI_Put(&u[N], 1, MPI_LONG, right, 0, 1, MPI_LONG, win);
        MPI_Win_fence(MPI_MODE_NOSTORE | MPI_MODE_NOSUCCEED, win);
        for (int i = 1; i <= N; i++)
            nu[i] = u[i - 1] + 2 * u[i] + u[i + 1];
        for (int i = 1; i <= N; i++)
            u[i] = nu[i] % 1000003;
        for (int i = 1; i <= len; i++)
            ng[i] = (g[i - 1] + 2 * g[i] + g[i + 1]) % 1000003;
        for (int i = 1; i <= len; i++)
            g[i] = ng[i];
    }
    long sum = 0;
    for (int i = 1; i <= N; i++) {
        sum += u[i];
        if (u[i] != g[rank * N + i])
            bad++;
    }
    printf("rank %d: halo checksum %ld %s\n", rank, sum, bad ? "WRONG" : "ok");
    MPI_Win_free(&win);
    free(g);
    free(ng);
    MPI_Finalize();
    return bad != 0;
}
