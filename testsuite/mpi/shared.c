/* Shared-memory windows: MPI_Comm_split_type(SHARED), MPI_Win_allocate_shared,
 * MPI_Win_shared_query for every rank (and MPI_PROC_NULL), loads and stores
 * into the neighbour's memory with MPI_Win_sync and barriers between. */
#include <mpi.h>
#include <stdio.h>

#define N 32

int main(int argc, char **argv)
{
    int rank, size, bad = 0, *mine, *theirs, du;
    MPI_Comm shm;
    MPI_Aint sz;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &shm);
    MPI_Comm_rank(shm, &rank);
    MPI_Comm_size(shm, &size);
    MPI_Win_allocate_shared(N * sizeof(int), sizeof(int), MPI_INFO_NULL, shm, &mine, &win);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    MPI_Win_shared_query(win, right, &sz, &du, &theirs);
    if (sz != N * (MPI_Aint)sizeof(int) || du != (int)sizeof(int))
        bad++;
    int *first;
    MPI_Win_shared_query(win, MPI_PROC_NULL, &sz, &du, &first);
    int *zero;
    MPI_Win_shared_query(win, 0, &sz, &du, &zero);
    if (first != zero)
        bad++;

    MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            theirs[i] = rank * 100 + round * 10 + i % 10;
        MPI_Win_sync(win);
        MPI_Barrier(shm);
        MPI_Win_sync(win);
        for (int i = 0; i < N; i++)
            if (mine[i] != left * 100 + round * 10 + i % 10)
                bad++;
        MPI_Barrier(shm);
    }
    MPI_Win_unlock_all(win);
    printf("rank %d: shared window from %d last %d %s\n", rank, left, mine[N - 1],
           bad ? "WRONG" : "ok");
    MPI_Win_free(&win);
    MPI_Comm_free(&shm);
    MPI_Finalize();
    return bad != 0;
}
