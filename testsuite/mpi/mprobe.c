/* Matched probes: MPI_Mprobe and MPI_Improbe take a message out of the
 * matching so that no other receive or probe sees it, MPI_Mrecv and
 * MPI_Imrecv receive exactly that one; MPI_PROC_NULL gives
 * MPI_MESSAGE_NO_PROC. Every rank sends three messages of different
 * lengths and tags to its right neighbour. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size, bad = 0, right, left, count, flag;
    MPI_Message msg;
    MPI_Status st;
    MPI_Request req;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;

    for (int t = 1; t <= 3; t++) {
        int n = t * 10 + rank, *out = malloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            out[i] = rank * 1000 + t * 100 + i;
        MPI_Send(out, n, MPI_INT, right, t, MPI_COMM_WORLD);
        free(out);
    }

    /* tag 2 first, by a blocking matched probe from any source */
    MPI_Mprobe(MPI_ANY_SOURCE, 2, MPI_COMM_WORLD, &msg, &st);
    MPI_Get_count(&st, MPI_INT, &count);
    bad += st.MPI_SOURCE != left || st.MPI_TAG != 2 || count != 20 + left;
    /* the matched message is no longer visible to a probe */
    MPI_Iprobe(left, 2, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    bad += flag != 0;
    int *in = malloc(sizeof(int) * (size_t)count);
    MPI_Mrecv(in, count, MPI_INT, &msg, &st);
    bad += msg != MPI_MESSAGE_NULL;
    for (int i = 0; i < count; i++)
        bad += in[i] != left * 1000 + 200 + i;
    free(in);

    /* any tag now: tag 1 arrived first */
    do
        MPI_Improbe(left, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &msg, &st);
    while (!flag);
    MPI_Get_count(&st, MPI_INT, &count);
    bad += st.MPI_TAG != 1 || count != 10 + left;
    in = malloc(sizeof(int) * (size_t)count);
    MPI_Imrecv(in, count, MPI_INT, &msg, &req);
    MPI_Wait(&req, &st);
    MPI_Get_count(&st, MPI_INT, &count);
    bad += st.MPI_SOURCE != left || st.MPI_TAG != 1 || count != 10 + left;
    for (int i = 0; i < count; i++)
        bad += in[i] != left * 1000 + 100 + i;
    free(in);

    /* the last one by a plain receive: matching goes on as usual */
    in = malloc(sizeof(int) * 64);
    MPI_Recv(in, 64, MPI_INT, left, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_INT, &count);
    bad += st.MPI_TAG != 3 || count != 30 + left || in[5] != left * 1000 + 305;
    free(in);

    /* MPI_PROC_NULL */
    MPI_Mprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &msg, &st);
    bad += msg != MPI_MESSAGE_NO_PROC || st.MPI_SOURCE != MPI_PROC_NULL;
    MPI_Mrecv(NULL, 0, MPI_INT, &msg, &st);
    bad += msg != MPI_MESSAGE_NULL || st.MPI_SOURCE != MPI_PROC_NULL;
    MPI_Improbe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &flag, &msg, &st);
    bad += !flag || msg != MPI_MESSAGE_NO_PROC;
    MPI_Imrecv(NULL, 0, MPI_INT, &msg, &req);
    MPI_Wait(&req, &st);
    bad += st.MPI_SOURCE != MPI_PROC_NULL;

    /* nothing left to match */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &msg, &st);
    bad += flag != 0 || msg != MPI_MESSAGE_NULL;

    printf("rank %d: matched probes %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
