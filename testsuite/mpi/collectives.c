/* The collectives around one-sided programs, with MPI_IN_PLACE, a user
 * operation (on a predefined type and on a contiguous type), MAXLOC, a
 * duplicate and a split communicator of the world's group, MPI_COMM_SELF,
 * and the local objects: groups, attributes, info. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void absmax(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    int *a = in, *b = inout, n = *len, size;

    MPI_Type_size(*dt, &size);
    n *= size / (int)sizeof(int); /* a contiguous type holds several ints */
    for (int i = 0; i < n; i++)
        b[i] = abs(a[i]) > abs(b[i]) ? a[i] : b[i];
}

static int keyval_deletes;
static int on_delete(MPI_Comm c, int k, void *v, void *e)
{
    (void)c, (void)k, (void)v, (void)e;
    keyval_deletes++;
    return MPI_SUCCESS;
}

int main(int argc, char **argv)
{
    int rank, size, bad = 0, v, *all, *blocks, *tag_ub, flag;
    MPI_Comm dup, split, self2;
    MPI_Op op;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    all = calloc((size_t)size * 2, sizeof(int));
    blocks = calloc((size_t)size * 2, sizeof(int));

    v = rank == 1 % size ? 42 : -1;
    MPI_Bcast(&v, 1, MPI_INT, 1 % size, MPI_COMM_WORLD);
    bad += v != 42;

    v = rank + 1;
    int sum = v;
    MPI_Reduce(rank == 0 ? MPI_IN_PLACE : &v, &sum, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        bad += sum != size * (size + 1) / 2;

    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    int x = (rank % 2 ? -1 : 1) * rank * 3, mx;
    MPI_Op_create(absmax, 1, &op);
    MPI_Allreduce(&x, &mx, 1, MPI_INT, op, dup);
    int expect = ((size - 1) % 2 ? -1 : 1) * (size - 1) * 3;
    bad += mx != expect;

    MPI_Datatype pair;
    MPI_Type_contiguous(2, MPI_INT, &pair);
    MPI_Type_commit(&pair);
    int xs[2] = {x, -x}, ms[2];
    MPI_Allreduce(xs, ms, 1, pair, op, dup);
    bad += ms[0] != expect || ms[1] != -expect;
    MPI_Op_free(&op);

    struct { double v; int i; } in = {(double)((rank * 7) % size), rank}, out;
    MPI_Allreduce(&in, &out, 1, MPI_DOUBLE_INT, MPI_MAXLOC, MPI_COMM_WORLD);
    bad += out.v != (double)(size - 1);

    for (int i = 0; i < size; i++)
        blocks[i] = rank + i;
    int mine;
    MPI_Reduce_scatter_block(blocks, &mine, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    bad += mine != size * (size - 1) / 2 + size * rank;

    all[rank] = rank * rank;
    MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, 1, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < size; i++)
        bad += all[i] != i * i;

    v = rank + 100;
    MPI_Gather(&v, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0)
        for (int i = 0; i < size; i++)
            bad += all[i] != i + 100;
    MPI_Scatter(all, 1, MPI_INT, &v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    bad += v != rank + 100;

    for (int i = 0; i < size; i++)
        blocks[i] = rank * 10 + i;
    MPI_Alltoall(MPI_IN_PLACE, 1, MPI_INT, blocks, 1, MPI_INT, MPI_COMM_WORLD);
    for (int i = 0; i < size; i++)
        bad += blocks[i] != i * 10 + rank;

    /* Split into the world's group again, and into single processes. */
    MPI_Comm_split(MPI_COMM_WORLD, 0, rank, &split);
    int r2, cmp;
    MPI_Comm_rank(split, &r2);
    MPI_Comm_compare(split, MPI_COMM_WORLD, &cmp);
    bad += r2 != rank || cmp != (size == 1 ? MPI_CONGRUENT : MPI_CONGRUENT);
    MPI_Barrier(split);
    MPI_Comm_split(MPI_COMM_WORLD, rank, 0, &self2);
    MPI_Comm_size(self2, &r2);
    bad += r2 != 1;
    v = rank;
    MPI_Allreduce(&v, &sum, 1, MPI_INT, MPI_SUM, self2);
    bad += sum != rank;

    /* Groups. */
    MPI_Group wg, odd, even;
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    int range[1][3] = {{1, size - 1, 2}}, n_odd = 0, t = 0, tr;
    if (size > 1) {
        MPI_Group_range_incl(wg, 1, range, &odd);
        MPI_Group_difference(wg, odd, &even);
        MPI_Group_size(odd, &n_odd);
        MPI_Group_translate_ranks(odd, 1, &t, wg, &tr);
        bad += n_odd != size / 2 || tr != 1;
        MPI_Group_free(&odd);
        MPI_Group_free(&even);
    }
    MPI_Group_free(&wg);

    /* Attributes. */
    int key, val = 5, *got;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
    bad += !flag || *tag_ub < 32767;
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, on_delete, &key, NULL);
    MPI_Comm_set_attr(dup, key, &val);
    MPI_Comm dup2;
    MPI_Comm_dup(dup, &dup2);
    MPI_Comm_get_attr(dup2, key, &got, &flag);
    bad += !flag || got != &val;
    MPI_Comm_free(&dup2);
    MPI_Comm_free(&dup);
    bad += keyval_deletes != 2;
    MPI_Comm_free_keyval(&key);

    /* Info. */
    MPI_Info info;
    char value[64];
    int nkeys;
    MPI_Info_create(&info);
    MPI_Info_set(info, "no_locks", "true");
    MPI_Info_set(info, "praas_unknown_key", "ignored");
    MPI_Info_get(info, "no_locks", (int)sizeof(value) - 1, value, &flag);
    MPI_Info_get_nkeys(info, &nkeys);
    bad += !flag || strcmp(value, "true") != 0 || nkeys != 2;
    MPI_Info_free(&info);

    printf("rank %d: collectives %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Type_free(&pair);
    MPI_Comm_free(&split);
    MPI_Comm_free(&self2);
    free(all);
    free(blocks);
    MPI_Finalize();
    return bad != 0;
}
