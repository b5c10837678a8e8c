/* Request-based one-sided calls: MPI_Rput of a block into the right
 * neighbour, MPI_Raccumulate into rank 0, completed with MPI_Waitall; then
 * MPI_Rget of the left neighbour's block completed with MPI_Test, and a
 * request to MPI_PROC_NULL. A contiguous datatype at the target side. */
#include <mpi.h>
#include <stdio.h>

#define N 16

int main(int argc, char **argv)
{
    int rank, size, bad = 0, *mem, flag = 0;
    int out[N], acc[N], in[N];
    MPI_Request reqs[3];
    MPI_Datatype block;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    MPI_Type_contiguous(N, MPI_INT, &block);
    MPI_Type_commit(&block);
    MPI_Win_allocate(2 * N * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &mem,
                     &win);
    for (int i = 0; i < 2 * N; i++)
        mem[i] = 0;
    for (int i = 0; i < N; i++) {
        out[i] = rank * 1000 + i;
        acc[i] = rank + 1;
    }
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Win_lock_all(0, win);
    MPI_Rput(out, N, MPI_INT, right, 0, 1, block, win, &reqs[0]);
    MPI_Raccumulate(acc, N, MPI_INT, 0, N, N, MPI_INT, MPI_SUM, win, &reqs[1]);
    MPI_Rput(out, N, MPI_INT, MPI_PROC_NULL, 0, N, MPI_INT, win, &reqs[2]);
    MPI_Waitall(3, reqs, MPI_STATUSES_IGNORE);
    for (int i = 0; i < 3; i++)
        if (reqs[i] != MPI_REQUEST_NULL)
            bad++;
    MPI_Win_unlock_all(win);
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Win_lock_all(0, win);
    MPI_Rget(in, 1, block, left, 0, N, MPI_INT, win, &reqs[0]);
    while (!flag)
        MPI_Test(&reqs[0], &flag, MPI_STATUS_IGNORE);
    MPI_Win_unlock_all(win);
    int from = (left + size - 1) % size;
    for (int i = 0; i < N; i++)
        if (in[i] != from * 1000 + i || mem[i] != left * 1000 + i)
            bad++;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        for (int i = 0; i < N; i++)
            if (mem[N + i] != size * (size + 1) / 2)
                bad++;
        printf("rank 0: accumulated %d\n", mem[N]);
    }
    printf("rank %d: requests got %d..%d %s\n", rank, in[0], in[N - 1], bad ? "WRONG" : "ok");
    MPI_Win_free(&win);
    MPI_Type_free(&block);
    MPI_Finalize();
    return bad != 0;
}
