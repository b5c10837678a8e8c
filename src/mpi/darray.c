/*
 * MPI_Type_create_darray: the part of a global array that one process of
 * a process grid holds, for block, cyclic and cyclic(k) distributions, in
 * C or Fortran order.
 *
 * Each dimension contributes the sorted list of global indices this
 * process owns along it (its coordinate in the grid, which MPI numbers in
 * row-major order whatever the array's order). The type map is their
 * product in memory order: one block of consecutive elements per run of
 * the fastest dimension's list, at the byte offset of its first element
 * (built as an hindexed type of oldtype), and the extent is the whole
 * array's, from offset 0.
 */
#include <stdlib.h>

#include "mpi/pm.h"

/* The indices of dimension i owned by coordinate c: runs (start, length)
 * in increasing order; returns the number of runs, -1 for bad arguments
 * (with *why_p). */
static int pm_darray_runs(int g, int p, int distrib, int darg, int c, int *start, int *len,
                          const char **why_p)
{
    int n = 0;

    if (distrib == MPI_DISTRIBUTE_NONE) {
        if (p != 1) {
            *why_p = "MPI_DISTRIBUTE_NONE needs one process along the dimension";
            return -1;
        }
        start[0] = 0;
        len[0] = g;
        return g > 0;
    }
    if (distrib == MPI_DISTRIBUTE_BLOCK) {
        int b = darg == MPI_DISTRIBUTE_DFLT_DARG ? (g + p - 1) / p : darg;
        if (b < 1 || (long)b * p < g) {
            *why_p = "the block size times the processes does not cover the dimension";
            return -1;
        }
        if ((long)c * b < g) {
            start[0] = c * b;
            len[0] = (int)PRAAS_MIN((long)b, (long)g - (long)c * b);
            n = 1;
        }
        return n;
    }
    if (distrib == MPI_DISTRIBUTE_CYCLIC) {
        int k = darg == MPI_DISTRIBUTE_DFLT_DARG ? 1 : darg;
        if (k < 1) {
            *why_p = "the cyclic block size is below 1";
            return -1;
        }
        for (long j = c; j * k < g; j += p) {
            start[n] = (int)(j * k);
            len[n] = (int)PRAAS_MIN((long)k, g - j * k);
            n++;
        }
        return n;
    }
    *why_p = "unknown distribution";
    return -1;
}

PRAAS_API int MPI_Type_create_darray(int size, int rank, int ndims, const int array_of_gsizes[],
                                     const int array_of_distribs[], const int array_of_dargs[],
                                     const int array_of_psizes[], int order,
                                     MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    const char *call = "MPI_Type_create_darray", *why = NULL;
    const int *gs = array_of_gsizes, *ps = array_of_psizes;
    int *nruns = NULL, **st = NULL, **ln = NULL, coords[32], idx[32] = {0};
    int rc = MPI_SUCCESS, fast, nprocs = 1, *bls = NULL;
    MPI_Aint *disps = NULL, stride[32], full, ext;
    size_t nent = 1, e;
    MPI_Datatype tmp;
    pm_type_t *old;

    PM_CHECK_INIT(call);
    old = pm_type(oldtype);
    if (!old)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, call, "%#x is not a datatype",
                           (unsigned)oldtype);
    if (ndims < 1 || ndims > 32)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_DIMS, call, "ndims %d is not in 1..32",
                           ndims);
    if (!gs || !array_of_distribs || !array_of_dargs || !ps || !newtype)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL arrays or output");
    if (order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                           "order %d is neither MPI_ORDER_C nor MPI_ORDER_FORTRAN", order);
    for (int i = 0; i < ndims; i++) {
        if (gs[i] < 1 || ps[i] < 1)
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                               "dimension %d: global size %d, %d processes", i, gs[i], ps[i]);
        nprocs *= ps[i];
    }
    if (nprocs != size || rank < 0 || rank >= size)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                           "the process grid has %d processes, size is %d, rank %d", nprocs,
                           size, rank);
    /* The grid coordinates, row-major. */
    for (int i = ndims - 1, r = rank; i >= 0; i--) {
        coords[i] = r % ps[i];
        r /= ps[i];
    }
    nruns = calloc((size_t)ndims, sizeof(int));
    st = calloc((size_t)ndims, sizeof(int *));
    ln = calloc((size_t)ndims, sizeof(int *));
    if (!nruns || !st || !ln)
        goto nomem;
    for (int i = 0; i < ndims; i++) {
        st[i] = malloc(sizeof(int) * (size_t)gs[i]);
        ln[i] = malloc(sizeof(int) * (size_t)gs[i]);
        if (!st[i] || !ln[i])
            goto nomem;
        nruns[i] = pm_darray_runs(gs[i], ps[i], array_of_distribs[i], array_of_dargs[i],
                                  coords[i], st[i], ln[i], &why);
        if (nruns[i] < 0) {
            rc = pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "dimension %d: %s", i, why);
            goto out;
        }
    }
    /* Strides in elements, and the number of blocks: the fastest
     * dimension's runs times every element of the others. */
    fast = order == MPI_ORDER_C ? ndims - 1 : 0;
    full = 1;
    for (int k = 0; k < ndims; k++) {
        int i = order == MPI_ORDER_C ? ndims - 1 - k : k;
        stride[i] = full;
        full *= gs[i];
    }
    for (int i = 0; i < ndims; i++) {
        size_t elems = 0;
        for (int j = 0; j < nruns[i]; j++)
            elems += (size_t)ln[i][j];
        nent *= i == fast ? (size_t)nruns[i] : elems;
        /* Expand the slow dimensions' runs into single indices. */
        if (i != fast) {
            int *one = malloc(sizeof(int) * (elems ? elems : 1)), n = 0;
            if (!one)
                goto nomem;
            for (int j = 0; j < nruns[i]; j++)
                for (int x = 0; x < ln[i][j]; x++)
                    one[n++] = st[i][j] + x;
            free(st[i]);
            st[i] = one;
            nruns[i] = n;
        }
    }
    if (nent > 0x7fffffff) {
        rc = pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "%zu blocks are too many", nent);
        goto out;
    }
    bls = malloc(sizeof(int) * (nent ? nent : 1));
    disps = malloc(sizeof(MPI_Aint) * (nent ? nent : 1));
    if (!bls || !disps)
        goto nomem;
    ext = old->extent;
    /* Enumerate in memory order: the slowest dimension outermost. */
    for (e = 0; e < nent; e++) {
        MPI_Aint off = 0;
        for (int i = 0; i < ndims; i++)
            off += (MPI_Aint)st[i][idx[i]] * stride[i];
        bls[e] = ln[fast][idx[fast]];
        disps[e] = off * ext;
        for (int k = 0; k < ndims; k++) { /* the odometer, fastest first */
            int i = order == MPI_ORDER_C ? ndims - 1 - k : k;
            if (++idx[i] < nruns[i])
                break;
            idx[i] = 0;
        }
    }
    rc = PMPI_Type_create_hindexed((int)nent, bls, disps, oldtype, &tmp);
    if (rc)
        goto out;
    rc = PMPI_Type_create_resized(tmp, 0, full * ext, newtype);
    PMPI_Type_free(&tmp);
    if (!rc)
        pm_type(*newtype)->combiner = MPI_COMBINER_DARRAY;
    goto out;
nomem:
    rc = pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
out:
    for (int i = 0; i < ndims && st && ln; i++) {
        free(st[i]);
        free(ln[i]);
    }
    free(st);
    free(ln);
    free(nruns);
    free(bls);
    free(disps);
    return rc;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Type_create_darray)
