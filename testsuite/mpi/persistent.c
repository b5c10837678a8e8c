/* Persistent requests: MPI_Send_init (and the Ssend, Rsend, Bsend forms)
 * and MPI_Recv_init started many times with MPI_Start and MPI_Startall,
 * completed by MPI_Wait, MPI_Waitall, MPI_Test and MPI_Testall; an
 * inactive request waits at once with an empty status; MPI_PROC_NULL;
 * MPI_Request_free. A halo exchange along a ring, ten iterations. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define N 8

int main(int argc, char **argv)
{
    int rank, size, bad = 0, right, left, flag, count;
    int sbuf[N], rbuf[N], rbuf2[N];
    MPI_Request reqs[4], pnull;
    MPI_Status sts[4], st;
    char *bbuf;
    int bsize;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;
    MPI_Pack_size(N, MPI_INT, MPI_COMM_WORLD, &bsize);
    bsize += MPI_BSEND_OVERHEAD;
    bbuf = malloc((size_t)bsize);
    MPI_Buffer_attach(bbuf, bsize);

    MPI_Recv_init(rbuf, N, MPI_INT, left, 5, MPI_COMM_WORLD, &reqs[0]);
    MPI_Send_init(sbuf, N, MPI_INT, right, 5, MPI_COMM_WORLD, &reqs[1]);
    MPI_Recv_init(rbuf2, N, MPI_INT, MPI_ANY_SOURCE, 6, MPI_COMM_WORLD, &reqs[2]);
    MPI_Ssend_init(sbuf, N, MPI_INT, left, 6, MPI_COMM_WORLD, &reqs[3]);

    /* an inactive request completes at once, with an empty status */
    MPI_Wait(&reqs[0], &st);
    bad += reqs[0] == MPI_REQUEST_NULL || st.MPI_SOURCE != MPI_ANY_SOURCE ||
           st.MPI_TAG != MPI_ANY_TAG;

    for (int it = 0; it < 10; it++) {
        for (int i = 0; i < N; i++)
            sbuf[i] = rank * 100 + it * 10 + i;
        if (it % 2) {
            MPI_Startall(4, reqs);
            MPI_Waitall(4, reqs, sts);
        } else {
            MPI_Start(&reqs[0]);
            MPI_Start(&reqs[2]);
            MPI_Start(&reqs[1]);
            MPI_Start(&reqs[3]);
            do
                MPI_Testall(4, reqs, &flag, sts);
            while (!flag);
        }
        for (int k = 0; k < 4; k++)
            bad += reqs[k] == MPI_REQUEST_NULL; /* persistent: still there */
        MPI_Get_count(&sts[0], MPI_INT, &count);
        bad += sts[0].MPI_SOURCE != left || sts[0].MPI_TAG != 5 || count != N;
        bad += sts[2].MPI_SOURCE != right || sts[2].MPI_TAG != 6;
        for (int i = 0; i < N; i++)
            bad += rbuf[i] != left * 100 + it * 10 + i || rbuf2[i] != right * 100 + it * 10 + i;
        /* a second wait on the now inactive requests returns at once */
        MPI_Waitall(4, reqs, MPI_STATUSES_IGNORE);
    }
    for (int k = 0; k < 4; k++)
        MPI_Request_free(&reqs[k]);
    bad += reqs[0] != MPI_REQUEST_NULL;

    /* ready and buffered modes, one round each, completed by MPI_Test */
    MPI_Request r, s;
    MPI_Recv_init(rbuf, N, MPI_INT, left, 7, MPI_COMM_WORLD, &r);
    MPI_Start(&r);
    MPI_Barrier(MPI_COMM_WORLD); /* every receive is posted: ready sends may go */
    MPI_Rsend_init(sbuf, N, MPI_INT, right, 7, MPI_COMM_WORLD, &s);
    MPI_Start(&s);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    do
        MPI_Test(&r, &flag, &st);
    while (!flag);
    bad += st.MPI_SOURCE != left || rbuf[0] != left * 100 + 90;
    MPI_Request_free(&s);
    MPI_Bsend_init(sbuf, N, MPI_INT, right, 8, MPI_COMM_WORLD, &s);
    MPI_Start(&s);
    MPI_Recv(rbuf, N, MPI_INT, left, 8, MPI_COMM_WORLD, &st);
    MPI_Wait(&s, MPI_STATUS_IGNORE);
    bad += rbuf[N - 1] != left * 100 + 90 + N - 1;
    MPI_Request_free(&s);
    MPI_Request_free(&r);

    /* MPI_PROC_NULL */
    MPI_Recv_init(rbuf, N, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &pnull);
    MPI_Start(&pnull);
    MPI_Wait(&pnull, &st);
    MPI_Get_count(&st, MPI_INT, &count);
    bad += st.MPI_SOURCE != MPI_PROC_NULL || count != 0;
    MPI_Request_free(&pnull);

    MPI_Buffer_detach(&bbuf, &bsize);
    free(bbuf);
    printf("rank %d: persistent requests %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
