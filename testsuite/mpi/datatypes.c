/* Derived datatypes: sizes, extents and true extents of every constructor
 * (printed, so the run compares them with Open MPI's); MPI_Pack/Unpack of a
 * struct; a vector sent and received as contiguous ints and back; a struct
 * sent between ranks; subarrays in C and Fortran order; an MPI_Get with an
 * indexed target type and an accumulate with a vector target. */
#include <mpi.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct item {
    char tag;
    double x;
    int n[3];
};

static int bad;

static void show(int rank, const char *name, MPI_Datatype t)
{
    int size;
    MPI_Aint lb, ext, tlb, text;

    MPI_Type_size(t, &size);
    MPI_Type_get_extent(t, &lb, &ext);
    MPI_Type_get_true_extent(t, &tlb, &text);
    if (rank == 0)
        printf("%s: size %d lb %ld extent %ld true_lb %ld true_extent %ld\n", name, size,
               (long)lb, (long)ext, (long)tlb, (long)text);
}

static void check(int cond, const char *what, int rank)
{
    if (!cond) {
        bad++;
        fprintf(stderr, "rank %d: %s failed\n", rank, what);
    }
}

int main(int argc, char **argv)
{
    int rank, size;
    MPI_Datatype vec, hvec, idx, hidx, iblk, hiblk, st, sub_c, sub_f, rsz, dup, cont;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    int bl[3] = {2, 1, 3}, dp[3] = {0, 4, 9}, bl3[3] = {1, 1, 3};
    MPI_Aint hdp[3] = {0, 24, 64};
    MPI_Type_vector(3, 2, 5, MPI_INT, &vec);
    MPI_Type_create_hvector(3, 2, 40, MPI_INT, &hvec);
    MPI_Type_indexed(3, bl, dp, MPI_INT, &idx);
    MPI_Type_create_hindexed(3, bl, hdp, MPI_DOUBLE, &hidx);
    MPI_Type_create_indexed_block(3, 2, dp, MPI_SHORT, &iblk);
    MPI_Type_create_hindexed_block(3, 2, hdp, MPI_INT, &hiblk);
    MPI_Aint sdisp[3] = {offsetof(struct item, tag), offsetof(struct item, x),
                         offsetof(struct item, n)};
    MPI_Datatype stypes[3] = {MPI_CHAR, MPI_DOUBLE, MPI_INT};
    MPI_Type_create_struct(3, bl3, sdisp, stypes, &st);
    int sizes[3] = {4, 5, 6}, subs[3] = {2, 3, 2}, starts[3] = {1, 1, 3};
    MPI_Type_create_subarray(3, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &sub_c);
    MPI_Type_create_subarray(3, sizes, subs, starts, MPI_ORDER_FORTRAN, MPI_INT, &sub_f);
    MPI_Type_create_resized(vec, -8, 100, &rsz);
    MPI_Type_dup(st, &dup);
    MPI_Type_contiguous(2, vec, &cont);
    MPI_Datatype all[] = {vec, hvec, idx, hidx, iblk, hiblk, st, sub_c, sub_f, rsz, dup, cont};
    const char *names[] = {"vector", "hvector", "indexed", "hindexed", "indexed_block",
                           "hindexed_block", "struct", "subarray C", "subarray Fortran",
                           "resized", "dup", "contiguous of vector"};
    for (int i = 0; i < 12; i++) {
        MPI_Type_commit(&all[i]);
        show(rank, names[i], all[i]);
    }
    vec = all[0], hvec = all[1], idx = all[2], st = all[6], sub_c = all[7], sub_f = all[8];

    /* Pack and unpack two structs. */
    {
        struct item in[2] = {{'a', 1.5, {1, 2, 3}}, {'b', -2.25, {4, 5, 6}}}, out[2];
        char packed[256];
        int pos = 0, psize;
        memset(out, 0, sizeof(out));
        MPI_Pack_size(2, st, MPI_COMM_WORLD, &psize);
        check(psize >= 2 * (1 + 8 + 12) && psize <= 256, "pack_size", rank);
        MPI_Pack(in, 2, st, packed, sizeof(packed), &pos, MPI_COMM_WORLD);
        check(pos == 2 * (1 + 8 + 12), "pack position", rank);
        int upos = 0;
        MPI_Unpack(packed, pos, &upos, out, 2, st, MPI_COMM_WORLD);
        check(upos == pos && out[1].tag == 'b' && out[1].x == -2.25 && out[1].n[2] == 6 &&
                  out[0].n[0] == 1,
              "unpack", rank);
    }

    /* A vector (3 blocks of 2 of stride 5) sent, received as 6 ints; and 6
     * ints received into the vector. */
    {
        int src[15], dst[6], back[15];
        for (int i = 0; i < 15; i++) {
            src[i] = rank * 100 + i;
            back[i] = -1;
        }
        MPI_Sendrecv(src, 1, vec, right, 0, dst, 6, MPI_INT, left, 0, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        int want[6] = {0, 1, 5, 6, 10, 11};
        for (int i = 0; i < 6; i++)
            check(dst[i] == left * 100 + want[i], "vector to contiguous", rank);
        MPI_Status s;
        int cnt, elems;
        MPI_Sendrecv(dst, 6, MPI_INT, left, 1, back, 1, vec, right, 1, MPI_COMM_WORLD, &s);
        MPI_Get_count(&s, vec, &cnt);
        MPI_Get_elements(&s, vec, &elems);
        check(cnt == 1 && elems == 6, "get_count of vector", rank);
        for (int i = 0; i < 15; i++) {
            int on = i % 5 < 2;
            check(back[i] == (on ? rank * 100 + i : -1), "contiguous to vector", rank);
        }
    }

    /* Structs between ranks. */
    {
        struct item out[2] = {{'x', rank + 0.5, {rank, rank + 1, rank + 2}},
                              {'y', rank + 0.25, {7, 8, 9}}},
                    in[2];
        memset(in, 0, sizeof(in));
        MPI_Sendrecv(out, 2, st, right, 2, in, 2, st, left, 2, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        check(in[0].tag == 'x' && in[0].x == left + 0.5 && in[0].n[2] == left + 2 &&
                  in[1].tag == 'y' && in[1].n[1] == 8,
              "struct send", rank);
    }

    /* Subarrays: pack a 4x5x6 array's 2x3x2 block, C and Fortran order. */
    {
        int arr[120], pk[12], pos = 0, sum_c = 0, sum_f = 0;
        for (int i = 0; i < 120; i++)
            arr[i] = i;
        MPI_Pack(arr, 1, sub_c, pk, sizeof(pk), &pos, MPI_COMM_WORLD);
        for (int i = 0; i < 12; i++)
            sum_c = sum_c * 3 + pk[i];
        check(pk[0] == 1 * 30 + 1 * 6 + 3 && pk[1] == pk[0] + 1 && pk[2] == pk[0] + 6,
              "subarray C", rank);
        pos = 0;
        MPI_Pack(arr, 1, sub_f, pk, sizeof(pk), &pos, MPI_COMM_WORLD);
        for (int i = 0; i < 12; i++)
            sum_f = sum_f * 3 + pk[i];
        check(pk[0] == 1 + 1 * 4 + 3 * 20 && pk[1] == pk[0] + 1 && pk[2] == pk[0] + 4,
              "subarray Fortran", rank);
        if (rank == 0)
            printf("subarray sums: C %d Fortran %d\n", sum_c, sum_f);
    }

    /* One-sided: MPI_Get with an indexed target type, MPI_Accumulate with a
     * vector target type. */
    {
        int *mem, got[6];
        MPI_Win win;
        MPI_Win_allocate(16 * sizeof(int), sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &mem,
                         &win);
        for (int i = 0; i < 16; i++)
            mem[i] = rank * 1000 + i;
        MPI_Win_fence(0, win);
        MPI_Get(got, 6, MPI_INT, right, 1, 1, idx, win);
        MPI_Win_fence(0, win);
        int want[6] = {1, 2, 5, 10, 11, 12};
        for (int i = 0; i < 6; i++)
            check(got[i] == right * 1000 + want[i], "indexed get", rank);
        int ones[6] = {1, 1, 1, 1, 1, 1};
        MPI_Win_fence(0, win);
        MPI_Accumulate(ones, 6, MPI_INT, 0, 0, 1, vec, MPI_SUM, win);
        MPI_Win_fence(0, win);
        if (rank == 0) {
            for (int i = 0; i < 15; i++)
                check(mem[i] == i + (i % 5 < 2 ? size : 0), "vector accumulate", rank);
            printf("accumulated %d %d %d\n", mem[0], mem[1], mem[2]);
        }
        MPI_Win_free(&win);
    }

    for (int i = 0; i < 12; i++)
        MPI_Type_free(&all[i]);
    printf("rank %d: datatypes %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
