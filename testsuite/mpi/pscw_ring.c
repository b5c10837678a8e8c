/* A ring with post/start/complete/wait: every round each rank exposes its
 * window to its left neighbour and puts a token into its right neighbour. */
#include <mpi.h>
#include <stdio.h>

#define ROUNDS 6

int main(int argc, char **argv)
{
    int rank, size, bad = 0, *buf;
    MPI_Group world, from, to;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    MPI_Win_allocate(2 * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &buf, &win);
    buf[0] = buf[1] = -1;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_incl(world, 1, &left, &from);
    MPI_Group_incl(world, 1, &right, &to);
    MPI_Barrier(MPI_COMM_WORLD);

    long total = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int token[2] = {rank * 10 + r, r};
        MPI_Win_post(from, 0, win);
        MPI_Win_start(to, 0, win);
        MPI_Put(token, 2, MPI_INT, right, 0, 2, MPI_INT, win);
        MPI_Win_complete(win);
        MPI_Win_wait(win);
        if (buf[0] != left * 10 + r || buf[1] != r)
            bad++;
        total += buf[0];
    }
    printf("rank %d: pscw ring from %d total %ld %s\n", rank, left, total, bad ? "WRONG" : "ok");
    MPI_Group_free(&from);
    MPI_Group_free(&to);
    MPI_Group_free(&world);
    MPI_Win_free(&win);
    MPI_Finalize();
    return bad != 0;
}
