/* Non-blocking collectives on MPI_COMM_WORLD and on a communicator of the
 * odd and even ranks: several outstanding at once on one communicator
 * (they must not take each other's messages), overlapped with
 * point-to-point traffic, completed by MPI_Wait, MPI_Waitall, MPI_Test
 * and MPI_Testall; the v-forms (Iallgatherv, Igatherv, Ialltoallv). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad;

static void run(MPI_Comm c, const char *name, int myworld)
{
    int r, n, flag;
    MPI_Request q[9];

    MPI_Comm_rank(c, &r);
    MPI_Comm_size(c, &n);
    int *all = calloc((size_t)n * 3, sizeof(int)), *ata = calloc((size_t)n, sizeof(int)),
        *ato = calloc((size_t)n, sizeof(int)), *sc = calloc((size_t)n * 2, sizeof(int)),
        *rsb = calloc((size_t)n, sizeof(int)), *gat = calloc((size_t)n, sizeof(int));
    int b = r == 0 ? 77 : -1, sum = -1, mine = r + 1, got[2] = {-1, -1}, rs = -1;
    double dsum = -1, dv = 0.5 * (r + 1);

    for (int i = 0; i < n; i++) {
        ata[i] = r * 100 + i;
        sc[2 * i] = i;
        sc[2 * i + 1] = -i;
        rsb[i] = i * r;
    }
    /* all outstanding at once, in the same order everywhere */
    MPI_Ibarrier(c, &q[0]);
    MPI_Ibcast(&b, 1, MPI_INT, 0, c, &q[1]);
    MPI_Iallreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, c, &q[2]);
    MPI_Ireduce(&dv, &dsum, 1, MPI_DOUBLE, MPI_SUM, n - 1, c, &q[3]);
    MPI_Iallgather(&mine, 1, MPI_INT, all, 1, MPI_INT, c, &q[4]);
    MPI_Ialltoall(ata, 1, MPI_INT, ato, 1, MPI_INT, c, &q[5]);
    MPI_Iscatter(sc, 2, MPI_INT, got, 2, MPI_INT, n / 2, c, &q[6]);
    MPI_Igather(&mine, 1, MPI_INT, gat, 1, MPI_INT, 0, c, &q[7]);
    MPI_Ireduce_scatter_block(rsb, &rs, 1, MPI_INT, MPI_SUM, c, &q[8]);

    /* point-to-point in between, on the same communicator */
    int token = myworld, back = -1;
    MPI_Sendrecv(&token, 1, MPI_INT, (r + 1) % n, 0, &back, 1, MPI_INT, (r + n - 1) % n, 0, c,
                 MPI_STATUS_IGNORE);

    MPI_Wait(&q[1], MPI_STATUS_IGNORE);
    do
        MPI_Test(&q[0], &flag, MPI_STATUS_IGNORE);
    while (!flag);
    do
        MPI_Testall(3, q + 2, &flag, MPI_STATUSES_IGNORE);
    while (!flag);
    MPI_Waitall(4, q + 5, MPI_STATUSES_IGNORE);
    for (int i = 0; i < 9; i++)
        bad += q[i] != MPI_REQUEST_NULL;

    bad += b != 77 || sum != n * (n + 1) / 2;
    if (r == n - 1)
        bad += dsum != 0.25 * n * (n + 1);
    for (int i = 0; i < n; i++)
        bad += all[i] != i + 1 || ato[i] != i * 100 + r || (r == 0 && gat[i] != i + 1);
    bad += got[0] != r || got[1] != -r;
    bad += rs != r * n * (n - 1) / 2;

    /* the v-forms: rank i contributes i + 1 elements */
    int *cnt = calloc((size_t)n, sizeof(int)), *dsp = calloc((size_t)n, sizeof(int)), tot = 0;
    for (int i = 0; i < n; i++) {
        cnt[i] = i + 1;
        dsp[i] = tot;
        tot += cnt[i];
    }
    int *vin = calloc((size_t)tot, sizeof(int)), *vout = calloc((size_t)tot, sizeof(int)),
        *vg = calloc((size_t)tot, sizeof(int)), *sc2 = calloc((size_t)n, sizeof(int)),
        *sd2 = calloc((size_t)n, sizeof(int)), *ato2 = calloc((size_t)n * (size_t)n, sizeof(int));
    for (int i = 0; i < r + 1; i++)
        vin[i] = r * 10 + i;
    for (int i = 0; i < n; i++) {
        sc2[i] = 1;
        sd2[i] = i;
        ata[i] = r * 1000 + i;
    }
    MPI_Iallgatherv(vin, r + 1, MPI_INT, vout, cnt, dsp, MPI_INT, c, &q[0]);
    MPI_Igatherv(vin, r + 1, MPI_INT, vg, cnt, dsp, MPI_INT, n - 1, c, &q[1]);
    MPI_Ialltoallv(ata, sc2, sd2, MPI_INT, ato2, sc2, sd2, MPI_INT, c, &q[2]);
    MPI_Waitall(3, q, MPI_STATUSES_IGNORE);
    for (int i = 0; i < n; i++)
        for (int k = 0; k <= i; k++)
            bad += vout[dsp[i] + k] != i * 10 + k || (r == n - 1 && vg[dsp[i] + k] != i * 10 + k);
    for (int i = 0; i < n; i++)
        bad += ato2[i] != i * 1000 + r;
    free(cnt);
    free(dsp);
    free(vin);
    free(vout);
    free(vg);
    free(sc2);
    free(sd2);
    free(ato2);

    /* an in-place allreduce, a long vector, completed by a wait */
    int *vec = calloc(1000, sizeof(int));
    for (int i = 0; i < 1000; i++)
        vec[i] = i + r;
    MPI_Iallreduce(MPI_IN_PLACE, vec, 1000, MPI_INT, MPI_MAX, c, &q[0]);
    MPI_Wait(&q[0], MPI_STATUS_IGNORE);
    for (int i = 0; i < 1000; i++)
        bad += vec[i] != i + n - 1;
    free(vec);
    printf("rank %d: %s of %d: non-blocking collectives %s\n", myworld, name, n,
           bad ? "WRONG" : "ok");
    free(all);
    free(ata);
    free(ato);
    free(sc);
    free(rsb);
    free(gat);
}

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Comm half;
    MPI_Request q[2];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    run(MPI_COMM_WORLD, "world", rank);
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
    run(half, rank % 2 ? "odd ranks" : "even ranks", rank);

    /* a collective on each communicator outstanding together */
    int a = rank, b = rank, sa = -1, sb = -1;
    MPI_Iallreduce(&a, &sa, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &q[0]);
    MPI_Iallreduce(&b, &sb, 1, MPI_INT, MPI_MAX, half, &q[1]);
    MPI_Waitall(2, q, MPI_STATUSES_IGNORE);
    int hmax = rank % 2 == (size - 1) % 2 ? size - 1 : size - 2;
    bad += sa != size * (size - 1) / 2 || sb != hmax;
    MPI_Comm_free(&half);
    printf("rank %d: done %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
