/* Dynamic windows: each rank attaches a buffer, publishes its address with
 * MPI_Get_address + MPI_Allgather(MPI_AINT), and the right neighbour puts
 * into it at that address; MPI_Aint_add addresses the second half. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N 16

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    MPI_Aint mine, *addrs;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    long *buf = calloc(N, sizeof(long)), out[N];
    addrs = malloc(sizeof(MPI_Aint) * (size_t)size);
    MPI_Win_create_dynamic(MPI_INFO_NULL, MPI_COMM_WORLD, &win);
    MPI_Win_attach(win, buf, N * sizeof(long));
    MPI_Get_address(buf, &mine);
    MPI_Allgather(&mine, 1, MPI_AINT, addrs, 1, MPI_AINT, MPI_COMM_WORLD);
    for (int i = 0; i < N; i++)
        out[i] = rank * 100 + i;

    MPI_Win_lock_all(0, win);
    MPI_Put(out, N / 2, MPI_LONG, right, addrs[right], N / 2, MPI_LONG, win);
    MPI_Put(out + N / 2, N / 2, MPI_LONG, right,
            MPI_Aint_add(addrs[right], (N / 2) * sizeof(long)), N / 2, MPI_LONG, win);
    MPI_Win_flush(right, win);
    MPI_Win_unlock_all(win);
    MPI_Barrier(MPI_COMM_WORLD);
    for (int i = 0; i < N; i++)
        if (buf[i] != left * 100 + i)
            bad++;
    if (MPI_Aint_diff(MPI_Aint_add(mine, 24), mine) != 24)
        bad++;
    printf("rank %d: dynamic window from %d sum %ld %s\n", rank, left, buf[0] + buf[N - 1],
           bad ? "WRONG" : "ok");
    MPI_Win_detach(win, buf);
    MPI_Win_free(&win);
    free(buf);
    free(addrs);
    MPI_Finalize();
    return bad != 0;
}
