/* Point-to-point: a ring with Send/Recv and with Sendrecv; Isend/Irecv
 * completed with Waitall, Waitany and Waitsome; ANY_SOURCE/ANY_TAG with
 * Probe and Get_count; Ssend, Bsend, PROC_NULL; the non-overtaking order of
 * many messages with many tags; a 4 MiB message; Cancel of a posted Irecv;
 * Sendrecv_replace; Iprobe; Test. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMSG 64
#define BIG (4 * 1024 * 1024)

static int bad;

static void check(int cond, const char *what, int rank)
{
    if (!cond) {
        bad++;
        fprintf(stderr, "rank %d: %s failed\n", rank, what);
    }
}

int main(int argc, char **argv)
{
    int rank, size, v, got, count, flag, idx, outcount, indices[4];
    MPI_Status st, sts[4];
    MPI_Request reqs[4];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    /* Ring with Send/Recv: rank 0 starts, each adds its rank. */
    if (rank == 0) {
        v = 1000;
        MPI_Send(&v, 1, MPI_INT, right, 7, MPI_COMM_WORLD);
        MPI_Recv(&got, 1, MPI_INT, left, 7, MPI_COMM_WORLD, &st);
        check(got == 1000 + size * (size - 1) / 2, "ring", rank);
        check(st.MPI_SOURCE == left && st.MPI_TAG == 7, "ring status", rank);
        printf("ring: %d\n", got);
    } else {
        MPI_Recv(&got, 1, MPI_INT, left, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        got += rank;
        MPI_Send(&got, 1, MPI_INT, right, 7, MPI_COMM_WORLD);
    }

    /* Sendrecv shift. */
    v = rank * 10;
    MPI_Sendrecv(&v, 1, MPI_INT, right, 1, &got, 1, MPI_INT, left, 1, MPI_COMM_WORLD, &st);
    check(got == left * 10 && st.MPI_SOURCE == left, "sendrecv", rank);

    /* Sendrecv_replace the other way. */
    v = rank + 100;
    MPI_Sendrecv_replace(&v, 1, MPI_INT, left, 2, right, 2, MPI_COMM_WORLD, &st);
    check(v == right + 100, "sendrecv_replace", rank);

    /* Isend/Irecv with Waitall, Waitany, Waitsome. */
    {
        int out[2] = {rank, rank * rank}, in[2] = {-1, -1};
        MPI_Irecv(&in[0], 1, MPI_INT, left, 3, MPI_COMM_WORLD, &reqs[0]);
        MPI_Irecv(&in[1], 1, MPI_INT, right, 4, MPI_COMM_WORLD, &reqs[1]);
        MPI_Isend(&out[0], 1, MPI_INT, right, 3, MPI_COMM_WORLD, &reqs[2]);
        MPI_Isend(&out[1], 1, MPI_INT, left, 4, MPI_COMM_WORLD, &reqs[3]);
        MPI_Waitall(4, reqs, sts);
        check(in[0] == left && in[1] == right * right, "waitall data", rank);
        check(sts[0].MPI_SOURCE == left && sts[1].MPI_TAG == 4, "waitall status", rank);
        for (int i = 0; i < 4; i++)
            check(reqs[i] == MPI_REQUEST_NULL, "waitall nulls", rank);

        in[0] = in[1] = -1;
        MPI_Irecv(&in[0], 1, MPI_INT, left, 5, MPI_COMM_WORLD, &reqs[0]);
        MPI_Irecv(&in[1], 1, MPI_INT, right, 6, MPI_COMM_WORLD, &reqs[1]);
        MPI_Send(&out[0], 1, MPI_INT, right, 5, MPI_COMM_WORLD);
        MPI_Send(&out[1], 1, MPI_INT, left, 6, MPI_COMM_WORLD);
        int seen = 0;
        for (int k = 0; k < 2; k++) {
            MPI_Waitany(2, reqs, &idx, &st);
            check(idx == 0 || idx == 1, "waitany index", rank);
            seen |= 1 << idx;
        }
        MPI_Waitany(2, reqs, &idx, &st);
        check(seen == 3 && idx == MPI_UNDEFINED, "waitany", rank);
        check(in[0] == left && in[1] == right * right, "waitany data", rank);

        in[0] = in[1] = -1;
        MPI_Irecv(&in[0], 1, MPI_INT, left, 8, MPI_COMM_WORLD, &reqs[0]);
        MPI_Irecv(&in[1], 1, MPI_INT, right, 9, MPI_COMM_WORLD, &reqs[1]);
        MPI_Send(&out[0], 1, MPI_INT, right, 8, MPI_COMM_WORLD);
        MPI_Send(&out[1], 1, MPI_INT, left, 9, MPI_COMM_WORLD);
        int done = 0;
        while (done < 2) {
            MPI_Waitsome(2, reqs, &outcount, indices, sts);
            check(outcount >= 1, "waitsome count", rank);
            done += outcount;
        }
        MPI_Waitsome(2, reqs, &outcount, indices, sts);
        check(outcount == MPI_UNDEFINED, "waitsome done", rank);
        check(in[0] == left && in[1] == right * right, "waitsome data", rank);
    }

    /* ANY_SOURCE / ANY_TAG with Probe and Get_count: everyone sends rank+1
     * ints to rank 0 with tag = rank. */
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank != 0) {
        int buf[64];
        for (int i = 0; i <= rank; i++)
            buf[i] = rank * 100 + i;
        MPI_Send(buf, rank + 1, MPI_INT, 0, rank, MPI_COMM_WORLD);
    } else {
        int sum = 0;
        for (int k = 1; k < size; k++) {
            int buf[64];
            MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_INT, &count);
            check(count == st.MPI_SOURCE + 1 && st.MPI_TAG == st.MPI_SOURCE, "probe", rank);
            MPI_Recv(buf, 64, MPI_INT, st.MPI_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            MPI_Get_count(&st, MPI_INT, &got);
            check(got == count && buf[count - 1] == st.MPI_SOURCE * 100 + count - 1, "any recv",
                  rank);
            sum += got;
        }
        printf("any_source: %d ints\n", sum);
    }
    MPI_Barrier(MPI_COMM_WORLD); /* no later message may meet rank 0's ANY_TAG */

    /* Ssend / Bsend / Rsend / PROC_NULL. */
    {
        int in = -1, bsize = 1024 + MPI_BSEND_OVERHEAD, sz;
        void *bbuf = malloc((size_t)bsize), *det;
        MPI_Buffer_attach(bbuf, bsize);
        MPI_Irecv(&in, 1, MPI_INT, left, 11, MPI_COMM_WORLD, &reqs[0]);
        v = rank + 1;
        MPI_Ssend(&v, 1, MPI_INT, right, 11, MPI_COMM_WORLD);
        MPI_Wait(&reqs[0], MPI_STATUS_IGNORE);
        check(in == left + 1, "ssend", rank);
        MPI_Irecv(&in, 1, MPI_INT, left, 12, MPI_COMM_WORLD, &reqs[0]);
        MPI_Barrier(MPI_COMM_WORLD); /* the receive is posted everywhere: Rsend is legal */
        MPI_Rsend(&v, 1, MPI_INT, right, 12, MPI_COMM_WORLD);
        MPI_Wait(&reqs[0], MPI_STATUS_IGNORE);
        check(in == left + 1, "rsend", rank);
        MPI_Bsend(&v, 1, MPI_INT, right, 13, MPI_COMM_WORLD);
        MPI_Recv(&in, 1, MPI_INT, left, 13, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        check(in == left + 1, "bsend", rank);
        MPI_Buffer_detach(&det, &sz);
        check(det == bbuf && sz == bsize, "buffer detach", rank);
        free(bbuf);
        MPI_Issend(&v, 1, MPI_INT, right, 14, MPI_COMM_WORLD, &reqs[1]);
        MPI_Recv(&in, 1, MPI_INT, left, 14, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Wait(&reqs[1], MPI_STATUS_IGNORE);
        check(in == left + 1, "issend", rank);

        MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
        in = 77;
        MPI_Recv(&in, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &st);
        MPI_Get_count(&st, MPI_INT, &count);
        check(in == 77 && st.MPI_SOURCE == MPI_PROC_NULL && st.MPI_TAG == MPI_ANY_TAG &&
                  count == 0,
              "proc_null", rank);
    }

    /* Non-overtaking: NMSG messages to the right, tags cycling through 4;
     * received first by tag 3 (in order), then by ANY_TAG (in order). */
    {
        int in[NMSG], n3 = 0, ok = 1, last = -1;
        for (int i = 0; i < NMSG; i++) {
            v = i;
            MPI_Send(&v, 1, MPI_INT, right, 20 + i % 4, MPI_COMM_WORLD);
        }
        for (int i = 3; i < NMSG; i += 4) {
            MPI_Recv(&in[n3], 1, MPI_INT, left, 23, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (in[n3] != i)
                ok = 0;
            n3++;
        }
        for (int i = 0; i < NMSG - n3; i++) {
            MPI_Recv(&got, 1, MPI_INT, left, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            if (got <= last || got % 4 == 3 || st.MPI_TAG != 20 + got % 4)
                ok = 0;
            last = got;
        }
        check(ok, "non-overtaking", rank);
    }

    /* A 4 MiB message to the right, checked element by element. */
    {
        int n = BIG / (int)sizeof(int);
        int *out = malloc(BIG), *in = malloc(BIG);
        for (int i = 0; i < n; i++)
            out[i] = rank * 7 + i;
        MPI_Irecv(in, n, MPI_INT, left, 30, MPI_COMM_WORLD, &reqs[0]);
        MPI_Send(out, n, MPI_INT, right, 30, MPI_COMM_WORLD);
        flag = 0;
        while (!flag)
            MPI_Test(&reqs[0], &flag, &st);
        MPI_Get_count(&st, MPI_INT, &count);
        int ok = count == n;
        for (int i = 0; i < n && ok; i++)
            ok = in[i] == left * 7 + i;
        check(ok, "4 MiB message", rank);
        free(out);
        free(in);
    }

    /* Cancel a posted Irecv that nobody sends to. */
    {
        int in;
        MPI_Irecv(&in, 1, MPI_INT, MPI_ANY_SOURCE, 999, MPI_COMM_WORLD, &reqs[0]);
        MPI_Cancel(&reqs[0]);
        MPI_Wait(&reqs[0], &st);
        MPI_Test_cancelled(&st, &flag);
        check(flag && reqs[0] == MPI_REQUEST_NULL, "cancel", rank);
    }

    /* Iprobe finds nothing, then a message on COMM_SELF. */
    {
        int in = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, 555, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        check(!flag, "iprobe empty", rank);
        v = 42;
        MPI_Send(&v, 1, MPI_INT, 0, 1, MPI_COMM_SELF);
        MPI_Iprobe(0, 1, MPI_COMM_SELF, &flag, &st);
        check(flag && st.MPI_SOURCE == 0, "iprobe self", rank);
        MPI_Recv(&in, 1, MPI_INT, 0, 1, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        check(in == 42, "self", rank);
    }

    MPI_Barrier(MPI_COMM_WORLD);
    printf("rank %d: p2p %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
