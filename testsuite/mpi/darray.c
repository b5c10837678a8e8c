/* MPI_Type_create_darray for block, cyclic and cyclic(k) distributions
 * (default and explicit arguments, sizes that do not divide evenly,
 * MPI_DISTRIBUTE_NONE), in C and Fortran order, checked against an
 * independent computation of which global elements a process owns: the
 * type's size and extent, and the elements it selects from a global array
 * (by MPI_Pack, in memory order). Every rank checks every rank's type. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* The owner coordinate of global index x along a dimension. */
static int owner(int x, int g, int p, int distrib, int darg)
{
    if (distrib == MPI_DISTRIBUTE_NONE)
        return 0;
    if (distrib == MPI_DISTRIBUTE_BLOCK) {
        int b = darg == MPI_DISTRIBUTE_DFLT_DARG ? (g + p - 1) / p : darg;
        return x / b;
    }
    int k = darg == MPI_DISTRIBUTE_DFLT_DARG ? 1 : darg;
    return (x / k) % p;
}

typedef struct {
    int ndims, gs[3], dist[3], darg[3], ps[3], order;
} cas_t;

static int bad;

static void check(const cas_t *c, int size, int me, int ci)
{
    int total = 1, *garr, *packed, *expect, nexp = 0, psz, pos = 0, tsize;
    MPI_Aint lb, extent;
    MPI_Datatype t;

    for (int i = 0; i < c->ndims; i++)
        total *= c->gs[i];
    garr = malloc(sizeof(int) * (size_t)total);
    expect = malloc(sizeof(int) * (size_t)total);
    for (int i = 0; i < total; i++)
        garr[i] = i * 7 + 3;
    for (int r = 0; r < size; r++) {
        int coords[3], rr = r;
        for (int i = c->ndims - 1; i >= 0; i--) {
            coords[i] = rr % c->ps[i];
            rr /= c->ps[i];
        }
        MPI_Type_create_darray(size, r, c->ndims, c->gs, c->dist, c->darg, c->ps, c->order,
                               MPI_INT, &t);
        MPI_Type_commit(&t);
        /* the expected elements: every linear index in memory order whose
         * coordinates are owned by r */
        nexp = 0;
        for (int lin = 0; lin < total; lin++) {
            int x[3], rest = lin, mine = 1;
            for (int k = 0; k < c->ndims; k++) {
                int i = c->order == MPI_ORDER_C ? c->ndims - 1 - k : k;
                x[i] = rest % c->gs[i];
                rest /= c->gs[i];
            }
            for (int i = 0; i < c->ndims; i++)
                mine &= owner(x[i], c->gs[i], c->ps[i], c->dist[i], c->darg[i]) == coords[i];
            if (mine)
                expect[nexp++] = garr[lin];
        }
        MPI_Type_size(t, &tsize);
        MPI_Type_get_extent(t, &lb, &extent);
        bad += tsize != nexp * (int)sizeof(int) || lb != 0 ||
               extent != (MPI_Aint)total * (MPI_Aint)sizeof(int);
        MPI_Pack_size(1, t, MPI_COMM_SELF, &psz);
        packed = malloc((size_t)psz + sizeof(int));
        pos = 0;
        MPI_Pack(garr, 1, t, packed, psz, &pos, MPI_COMM_SELF);
        bad += pos != nexp * (int)sizeof(int);
        for (int i = 0; i < nexp && i * (int)sizeof(int) < pos; i++)
            bad += packed[i] != expect[i];
        if (r == me) {
            long sum = 0;
            for (int i = 0; i < nexp; i++)
                sum += expect[i];
            printf("rank %d: case %d: %d elements, sum %ld\n", me, ci, nexp, sum);
        }
        free(packed);
        MPI_Type_free(&t);
    }
    free(garr);
    free(expect);
}

int main(int argc, char **argv)
{
    int rank, size;
    const int D = MPI_DISTRIBUTE_DFLT_DARG, B = MPI_DISTRIBUTE_BLOCK,
              C = MPI_DISTRIBUTE_CYCLIC, N = MPI_DISTRIBUTE_NONE;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* process grids for any size: size x 1, 1 x size, and 2 x size/2 */
    int half = size % 2 ? 1 : 2;
    cas_t cases[] = {
        {1, {17}, {B}, {D}, {size}, MPI_ORDER_C},
        {1, {17}, {C}, {D}, {size}, MPI_ORDER_C},
        {1, {23}, {C}, {3}, {size}, MPI_ORDER_FORTRAN},
        {1, {15}, {B}, {8}, {2}, MPI_ORDER_C},
        {2, {9, 7}, {B, C}, {D, 2}, {size, 1}, MPI_ORDER_C},
        {2, {9, 7}, {C, B}, {D, D}, {1, size}, MPI_ORDER_FORTRAN},
        {2, {10, 6}, {C, C}, {2, 1}, {half, size / half}, MPI_ORDER_C},
        {2, {10, 6}, {B, C}, {D, 4}, {half, size / half}, MPI_ORDER_FORTRAN},
        {3, {5, 4, 6}, {B, N, C}, {D, D, 2}, {half, 1, size / half}, MPI_ORDER_C},
        {3, {5, 4, 6}, {C, B, N}, {1, D, D}, {half, size / half, 1}, MPI_ORDER_FORTRAN},
    };
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        cas_t c = cases[i];
        int procs = 1;
        for (int d = 0; d < c.ndims; d++)
            procs *= c.ps[d];
        if (procs != size) /* case 3 is for 2 processes only */
            continue;
        check(&c, size, rank, i);
    }
    printf("rank %d: darray %s\n", rank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
