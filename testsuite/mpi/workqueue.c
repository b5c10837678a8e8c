/* A passive-target work queue: rank 0 holds the index of the next task;
 * workers take tasks with MPI_Fetch_and_op(+1) until the queue is empty
 * and put each result into rank 0's result array. Rank 0 works too. */
#include <mpi.h>
#include <stdio.h>

#define TASKS 64

int main(int argc, char **argv)
{
    int rank, size, bad = 0, done = 0, total = 0;
    int *next;
    long *results;
    MPI_Win qwin, rwin;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Win_allocate(rank == 0 ? sizeof(int) : 0, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD,
                     &next, &qwin);
    MPI_Win_allocate(rank == 0 ? TASKS * sizeof(long) : 0, sizeof(long), MPI_INFO_NULL,
                     MPI_COMM_WORLD, &results, &rwin);
    if (rank == 0) {
        *next = 0;
        for (int i = 0; i < TASKS; i++)
            results[i] = -1;
    }
    MPI_Barrier(MPI_COMM_WORLD);

    for (;;) {
        int one = 1, idx;
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, qwin);
        MPI_Fetch_and_op(&one, &idx, MPI_INT, 0, 0, MPI_SUM, qwin);
        MPI_Win_unlock(0, qwin);
        if (idx >= TASKS)
            break;
        long r = (long)idx * idx + 1;
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, rwin);
        MPI_Put(&r, 1, MPI_LONG, 0, idx, 1, MPI_LONG, rwin);
        MPI_Win_unlock(0, rwin);
        done++;
    }
    MPI_Reduce(&done, &total, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, rwin);
        for (int i = 0; i < TASKS; i++)
            if (results[i] != (long)i * i + 1)
                bad++;
        MPI_Win_unlock(0, rwin);
        if (total != TASKS)
            bad++;
        printf("rank 0: work queue tasks %d results %s\n", total, bad ? "WRONG" : "ok");
    }
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    printf("rank %d: work queue %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Win_free(&rwin);
    MPI_Win_free(&qwin);
    MPI_Finalize();
    return bad != 0;
}
