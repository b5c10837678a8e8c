/* A distributed counter at rank 0 incremented with MPI_Fetch_and_op under
 * a shared lock_all epoch: the final value is ITERS x size, and the fetched
 * values are exactly 0 .. ITERS x size - 1 (their sum says so). */
#include <mpi.h>
#include <stdio.h>

#define ITERS 100

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    long *ctr, one = 1, old, mysum = 0, allsum = 0;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Win_allocate(rank == 0 ? sizeof(long) : 0, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD,
                     &ctr, &win);
    if (rank == 0)
        *ctr = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Win_lock_all(0, win);
    for (int i = 0; i < ITERS; i++) {
        MPI_Fetch_and_op(&one, &old, MPI_LONG, 0, 0, MPI_SUM, win);
        MPI_Win_flush(0, win);
        mysum += old;
    }
    MPI_Win_unlock_all(win);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Allreduce(&mysum, &allsum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    long n = (long)ITERS * size;
    if (allsum != n * (n - 1) / 2)
        bad++;
    if (rank == 0) {
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
        long final = *ctr;
        MPI_Win_unlock(0, win);
        if (final != n)
            bad++;
        printf("rank 0: counter %ld\n", final);
    }
    printf("rank %d: fetched values sum %ld %s\n", rank, allsum, bad ? "WRONG" : "ok");
    MPI_Win_free(&win);
    MPI_Finalize();
    return bad != 0;
}
