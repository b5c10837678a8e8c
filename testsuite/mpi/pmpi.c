/* The profiling interface: the program defines MPI_Send, MPI_Barrier and
 * MPI_Allreduce itself, counts the calls and forwards them to PMPI_Send,
 * PMPI_Barrier and PMPI_Allreduce. Every call of the program is counted,
 * none of the library's own (MPI_Sendrecv and MPI_Reduce_scatter do not
 * show up as sends or allreduces), and the data still moves. */
#include <mpi.h>
#include <stdio.h>

static int sends, barriers, allreduces;

int MPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest, int tag,
             MPI_Comm comm)
{
    sends++;
    return PMPI_Send(buf, count, datatype, dest, tag, comm);
}

int MPI_Barrier(MPI_Comm comm)
{
    barriers++;
    return PMPI_Barrier(comm);
}

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                  MPI_Op op, MPI_Comm comm)
{
    allreduces++;
    return PMPI_Allreduce(sendbuf, recvbuf, count, datatype, op, comm);
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0, v, got, sum, counts[8];
    double t0, t1;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 0; i < 3; i++) {
        v = rank * 10 + i;
        if (rank % 2 == 0) {
            MPI_Send(&v, 1, MPI_INT, (rank + 1) % size, i, MPI_COMM_WORLD);
            MPI_Recv(&got, 1, MPI_INT, (rank + size - 1) % size, i, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&got, 1, MPI_INT, (rank + size - 1) % size, i, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            MPI_Send(&v, 1, MPI_INT, (rank + 1) % size, i, MPI_COMM_WORLD);
        }
        bad += got != ((rank + size - 1) % size) * 10 + i;
    }
    MPI_Sendrecv(&v, 1, MPI_INT, (rank + 1) % size, 9, &got, 1, MPI_INT,
                 (rank + size - 1) % size, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    bad += sum != size * (size - 1) / 2;
    for (int i = 0; i < 8; i++)
        counts[i] = 1;
    if (size <= 8) {
        int in[8];
        for (int i = 0; i < size; i++)
            in[i] = rank;
        MPI_Reduce_scatter(in, &v, counts, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        bad += v != size * (size - 1) / 2;
    }
    t0 = PMPI_Wtime();
    t1 = MPI_Wtime();
    bad += t1 < t0;
    bad += sends != 3 || barriers != 1 || allreduces != 1;
    printf("rank %d: counted %d sends, %d barriers, %d allreduces: %s\n", rank, sends, barriers,
           allreduces, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
