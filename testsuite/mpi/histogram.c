/* A histogram spread over the ranks (BINS bins each), filled with
 * MPI_Get_accumulate(MPI_SUM) from every rank in a lock_all epoch. Every
 * rank knows all ranks' samples (a fixed generator), so it checks its own
 * bins and that the values it fetched never exceed the final counts. */
#include <mpi.h>
#include <stdio.h>

#define BINS 4
#define SAMPLES 200

static unsigned sample(int rank, int i)
{
    unsigned x = (unsigned)rank * 2654435761u + (unsigned)i * 40503u + 12345u;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    return x ^ (x >> 15);
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0;
    long *hist, one = 1, old;
    MPI_Win win;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int nbins = BINS * size;
    MPI_Win_allocate(BINS * sizeof(long), sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &hist,
                     &win);
    for (int b = 0; b < BINS; b++)
        hist[b] = 0;
    MPI_Barrier(MPI_COMM_WORLD);

    long expect[BINS] = {0};
    for (int r = 0; r < size; r++)
        for (int i = 0; i < SAMPLES; i++) {
            int bin = (int)(sample(r, i) % (unsigned)nbins);
            if (bin / BINS == rank)
                expect[bin % BINS]++;
        }

    MPI_Win_lock_all(0, win);
    for (int i = 0; i < SAMPLES; i++) {
        int bin = (int)(sample(rank, i) % (unsigned)nbins);
        MPI_Get_accumulate(&one, 1, MPI_LONG, &old, 1, MPI_LONG, bin / BINS, bin % BINS, 1,
                           MPI_LONG, MPI_SUM, win);
        MPI_Win_flush(bin / BINS, win);
        if (old < 0 || old >= SAMPLES * size)
            bad++;
    }
    MPI_Win_unlock_all(win);
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Win_lock(MPI_LOCK_SHARED, rank, 0, win);
    printf("rank %d: histogram", rank);
    for (int b = 0; b < BINS; b++) {
        printf(" %ld", hist[b]);
        if (hist[b] != expect[b])
            bad++;
    }
    MPI_Win_unlock(rank, win);
    printf(" %s\n", bad ? "WRONG" : "ok");
    MPI_Win_free(&win);
    MPI_Finalize();
    return bad != 0;
}
