/* A mutex from MPI_Compare_and_swap (spinning on a lock word at rank 0)
 * protecting a non-atomic read-modify-write of a counter at the last rank,
 * done in an exclusive MPI_Win_lock epoch. The final count shows that no
 * two ranks were inside at once. */
#include <mpi.h>
#include <stdio.h>

#define ITERS 20

int main(int argc, char **argv)
{
    int rank, size, bad = 0, *lockword;
    long *data;
    MPI_Win lwin, dwin;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int owner = size - 1;
    MPI_Win_allocate(sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &lockword, &lwin);
    MPI_Win_allocate(sizeof(long), sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &data, &dwin);
    *lockword = 0;
    *data = 0;
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Win_lock_all(0, lwin);
    for (int i = 0; i < ITERS; i++) {
        int one = 1, zero = 0, prev;
        do {
            MPI_Compare_and_swap(&one, &zero, &prev, MPI_INT, 0, 0, lwin);
            MPI_Win_flush(0, lwin);
        } while (prev != 0);
        /* Inside: a plain get, add, put. */
        long v;
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, owner, 0, dwin);
        MPI_Get(&v, 1, MPI_LONG, owner, 0, 1, MPI_LONG, dwin);
        MPI_Win_flush(owner, dwin);
        v += rank + 1;
        MPI_Put(&v, 1, MPI_LONG, owner, 0, 1, MPI_LONG, dwin);
        MPI_Win_unlock(owner, dwin);
        /* Release. */
        MPI_Fetch_and_op(&zero, &prev, MPI_INT, 0, 0, MPI_REPLACE, lwin);
        MPI_Win_flush(0, lwin);
        if (prev != 1)
            bad++;
    }
    MPI_Win_unlock_all(lwin);
    MPI_Barrier(MPI_COMM_WORLD);
    long expect = (long)ITERS * size * (size + 1) / 2;
    if (rank == owner) {
        MPI_Win_lock(MPI_LOCK_SHARED, owner, 0, dwin);
        if (*data != expect)
            bad++;
        printf("rank %d: mutex counter %ld\n", rank, *data);
        MPI_Win_unlock(owner, dwin);
    }
    printf("rank %d: mutex %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Win_free(&dwin);
    MPI_Win_free(&lwin);
    MPI_Finalize();
    return bad != 0;
}
