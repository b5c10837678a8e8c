/*
 * Groups: ordered sets of world ranks, purely local (no communication).
 */
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

static pm_group_t pm_group_empty = {.refs = 1};
static pthread_once_t pm_group_once = PTHREAD_ONCE_INIT;

static void pm_group_init(void)
{
    pm_handle_set(PM_GROUP, PM_INDEX(MPI_GROUP_EMPTY), &pm_group_empty);
}

pm_group_t *pm_group(MPI_Group g)
{
    pthread_once(&pm_group_once, pm_group_init);
    return pm_handle_get(PM_GROUP, g);
}

int pm_group_make(const int *ranks, int n, MPI_Group *group_p)
{
    pm_group_t *g;
    int rc;

    pthread_once(&pm_group_once, pm_group_init);
    if (n == 0) {
        *group_p = MPI_GROUP_EMPTY;
        return 0;
    }
    g = calloc(1, sizeof(*g));
    if (!g || !(g->ranks = malloc(sizeof(int) * (size_t)n))) {
        free(g);
        return MPI_ERR_NO_MEM;
    }
    g->refs = 1;
    g->size = n;
    memcpy(g->ranks, ranks, sizeof(int) * (size_t)n);
    rc = pm_handle_new(PM_GROUP, g, group_p);
    if (rc) {
        free(g->ranks);
        free(g);
    }
    return rc;
}

int pm_group_world(MPI_Group *group_p)
{
    int *r = malloc(sizeof(int) * (size_t)pm_world_size), rc;

    if (!r)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < pm_world_size; i++)
        r[i] = i;
    rc = pm_group_make(r, pm_world_size, group_p);
    free(r);
    return rc;
}

/* Position of world rank w in g, or MPI_UNDEFINED. */
static int pm_group_find(const pm_group_t *g, int w)
{
    for (int i = 0; i < g->size; i++)
        if (g->ranks[i] == w)
            return i;
    return MPI_UNDEFINED;
}

#define PM_GET_GROUP(g, group, call)                                                          \
    PM_CHECK_INIT(call);                                                                      \
    pm_group_t *g = pm_group(group);                                                          \
    if (!g)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_GROUP, call, "%#x is not a group",             \
                       (unsigned)(group))

static int pm_group_out(int rc, const char *call)
{
    return rc ? pm_err_comm(MPI_COMM_WORLD, rc, call, "no memory for a group") : MPI_SUCCESS;
}

PRAAS_API int MPI_Group_size(MPI_Group group, int *size)
{
    PM_GET_GROUP(g, group, "MPI_Group_size");
    if (!size)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_size", "NULL output");
    *size = g->size;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Group_rank(MPI_Group group, int *rank)
{
    PM_GET_GROUP(g, group, "MPI_Group_rank");
    if (!rank)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_rank", "NULL output");
    *rank = pm_group_find(g, pm_world_rank);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Group_translate_ranks(MPI_Group group1, int n, const int ranks1[],
                                        MPI_Group group2, int ranks2[])
{
    PM_GET_GROUP(a, group1, "MPI_Group_translate_ranks");
    pm_group_t *b = pm_group(group2);

    if (!b)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_translate_ranks",
                           "second argument is not a group");
    if (n < 0 || (n && (!ranks1 || !ranks2)))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_translate_ranks",
                           "%d ranks, or NULL arrays", n);
    for (int i = 0; i < n; i++) {
        if (ranks1[i] == MPI_PROC_NULL) {
            ranks2[i] = MPI_PROC_NULL;
            continue;
        }
        if (ranks1[i] < 0 || ranks1[i] >= a->size)
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_RANK, "MPI_Group_translate_ranks",
                               "rank %d is not in a group of %d", ranks1[i], a->size);
        ranks2[i] = pm_group_find(b, a->ranks[ranks1[i]]);
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Group_compare(MPI_Group group1, MPI_Group group2, int *result)
{
    PM_GET_GROUP(a, group1, "MPI_Group_compare");
    pm_group_t *b = pm_group(group2);
    int same_order = 1;

    if (!b || !result)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_compare",
                           "second argument is not a group, or NULL output");
    if (a->size != b->size) {
        *result = MPI_UNEQUAL;
        return MPI_SUCCESS;
    }
    for (int i = 0; i < a->size; i++) {
        if (a->ranks[i] != b->ranks[i])
            same_order = 0;
        if (pm_group_find(b, a->ranks[i]) == MPI_UNDEFINED) {
            *result = MPI_UNEQUAL;
            return MPI_SUCCESS;
        }
    }
    *result = same_order ? MPI_IDENT : MPI_SIMILAR;
    return MPI_SUCCESS;
}

/* op 0: union, 1: intersection, 2: difference; in group1's order, then
 * (union) group2's. */
static int pm_group_setop(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup, int op,
                          const char *call)
{
    PM_GET_GROUP(a, group1, call);
    pm_group_t *b = pm_group(group2);
    int *r, n = 0, rc;

    if (!b || !newgroup)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_GROUP, call,
                           "second argument is not a group, or NULL output");
    r = malloc(sizeof(int) * (size_t)(a->size + b->size + 1));
    if (!r)
        return pm_group_out(MPI_ERR_NO_MEM, call);
    for (int i = 0; i < a->size; i++) {
        int in_b = pm_group_find(b, a->ranks[i]) != MPI_UNDEFINED;
        if (op == 0 || (op == 1 && in_b) || (op == 2 && !in_b))
            r[n++] = a->ranks[i];
    }
    for (int i = 0; op == 0 && i < b->size; i++)
        if (pm_group_find(a, b->ranks[i]) == MPI_UNDEFINED)
            r[n++] = b->ranks[i];
    rc = pm_group_make(r, n, newgroup);
    free(r);
    return pm_group_out(rc, call);
}

PRAAS_API int MPI_Group_union(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return pm_group_setop(group1, group2, newgroup, 0, "MPI_Group_union");
}

PRAAS_API int MPI_Group_intersection(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return pm_group_setop(group1, group2, newgroup, 1, "MPI_Group_intersection");
}

PRAAS_API int MPI_Group_difference(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return pm_group_setop(group1, group2, newgroup, 2, "MPI_Group_difference");
}

/* Include (excl 0) or exclude (excl 1) the members whose flags are set;
 * inclusion follows the order of `order` (n ranks). */
static int pm_group_select(pm_group_t *g, const int *order, int n, int excl,
                           MPI_Group *newgroup, const char *call)
{
    char *seen = calloc((size_t)g->size + 1, 1);
    int *r = malloc(sizeof(int) * ((size_t)g->size + 1)), m = 0, rc;

    if (!seen || !r) {
        free(seen);
        free(r);
        return pm_group_out(MPI_ERR_NO_MEM, call);
    }
    for (int i = 0; i < n; i++) {
        if (order[i] < 0 || order[i] >= g->size || seen[order[i]]) {
            rc = order[i] < 0 || order[i] >= g->size ? MPI_ERR_RANK : MPI_ERR_ARG;
            free(seen);
            free(r);
            return pm_err_comm(MPI_COMM_WORLD, rc, call,
                               "rank %d is outside the group of %d or repeated", order[i],
                               g->size);
        }
        seen[order[i]] = 1;
        if (!excl)
            r[m++] = g->ranks[order[i]];
    }
    for (int i = 0; excl && i < g->size; i++)
        if (!seen[i])
            r[m++] = g->ranks[i];
    rc = pm_group_make(r, m, newgroup);
    free(seen);
    free(r);
    return pm_group_out(rc, call);
}

PRAAS_API int MPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    PM_GET_GROUP(g, group, "MPI_Group_incl");
    if (n < 0 || (n && !ranks) || !newgroup)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_incl", "bad arguments");
    return pm_group_select(g, ranks, n, 0, newgroup, "MPI_Group_incl");
}

PRAAS_API int MPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    PM_GET_GROUP(g, group, "MPI_Group_excl");
    if (n < 0 || (n && !ranks) || !newgroup)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Group_excl", "bad arguments");
    return pm_group_select(g, ranks, n, 1, newgroup, "MPI_Group_excl");
}

/* Expand ranges (first, last, stride) into ranks. */
static int pm_ranges(const pm_group_t *g, int n, int ranges[][3], int **list_p, int *len_p,
                     const char *call)
{
    int *list = malloc(sizeof(int) * ((size_t)g->size + 1)), len = 0;

    if (!list)
        return pm_group_out(MPI_ERR_NO_MEM, call);
    for (int i = 0; i < n; i++) {
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (stride == 0 || (stride > 0 && first > last && first != last) ||
            (stride < 0 && first < last)) {
            free(list);
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                               "range (%d, %d, %d) is empty or has stride 0", first, last,
                               stride);
        }
        for (int r = first; stride > 0 ? r <= last : r >= last; r += stride) {
            if (len >= g->size) { /* too many: a repeat, reported by select */
                free(list);
                return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                                   "ranges name more ranks than the group has");
            }
            list[len++] = r;
        }
    }
    *list_p = list;
    *len_p = len;
    return MPI_SUCCESS;
}

static int pm_group_range(MPI_Group group, int n, int ranges[][3], int excl,
                          MPI_Group *newgroup, const char *call)
{
    int *list = NULL, len = 0, rc;

    PM_GET_GROUP(g, group, call);
    if (n < 0 || (n && !ranges) || !newgroup)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "bad arguments");
    rc = pm_ranges(g, n, ranges, &list, &len, call);
    if (rc)
        return rc;
    rc = pm_group_select(g, list, len, excl, newgroup, call);
    free(list);
    return rc;
}

PRAAS_API int MPI_Group_range_incl(MPI_Group group, int n, int ranges[][3],
                                   MPI_Group *newgroup)
{
    return pm_group_range(group, n, ranges, 0, newgroup, "MPI_Group_range_incl");
}

PRAAS_API int MPI_Group_range_excl(MPI_Group group, int n, int ranges[][3],
                                   MPI_Group *newgroup)
{
    return pm_group_range(group, n, ranges, 1, newgroup, "MPI_Group_range_excl");
}

PRAAS_API int MPI_Group_free(MPI_Group *group)
{
    pm_group_t *g;

    PM_CHECK_INIT("MPI_Group_free");
    g = group ? pm_group(*group) : NULL;
    if (!g)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_GROUP, "MPI_Group_free", "not a group");
    if (g != &pm_group_empty && __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        pm_handle_del(PM_GROUP, *group);
        free(g->ranks);
        free(g);
    }
    *group = MPI_GROUP_NULL;
    return MPI_SUCCESS;
}

/* A balanced factorization of nnodes over the free (0) entries of dims,
 * largest first. */
PRAAS_API int MPI_Dims_create(int nnodes, int ndims, int dims[])
{
    int left = nnodes, nfree = 0;

    if (nnodes < 1 || ndims < 0 || (ndims && !dims))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create",
                           "%d nodes over %d dimensions", nnodes, ndims);
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0)
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create",
                               "dims[%d] = %d is negative", i, dims[i]);
        if (dims[i] > 0) {
            if (left % dims[i])
                return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create",
                                   "%d nodes do not divide by dims[%d] = %d", nnodes, i,
                                   dims[i]);
            left /= dims[i];
        } else
            nfree++;
    }
    if (!nfree) {
        if (left != 1)
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_DIMS, "MPI_Dims_create",
                               "the fixed dimensions do not multiply to %d", nnodes);
        return MPI_SUCCESS;
    }
    {
        int *f = calloc((size_t)nfree, sizeof(int));
        if (!f)
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Dims_create", "no memory");
        for (int i = 0; i < nfree; i++)
            f[i] = 1;
        /* Prime factors, largest first, each onto the smallest dimension. */
        for (int p = left; p > 1; p--) {
            while (left % p == 0) {
                int prime = 1;
                for (int q = 2; q * q <= p; q++)
                    if (p % q == 0)
                        prime = 0;
                if (!prime)
                    break;
                int smallest = 0;
                for (int i = 1; i < nfree; i++)
                    if (f[i] < f[smallest])
                        smallest = i;
                f[smallest] *= p;
                left /= p;
            }
        }
        /* Non-increasing order. */
        for (int i = 0; i < nfree; i++)
            for (int j = i + 1; j < nfree; j++)
                if (f[j] > f[i]) {
                    int t = f[i];
                    f[i] = f[j];
                    f[j] = t;
                }
        for (int i = 0, k = 0; i < ndims; i++)
            if (dims[i] == 0)
                dims[i] = f[k++];
        free(f);
    }
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Group_size)
PM_PMPI(MPI_Group_rank)
PM_PMPI(MPI_Group_translate_ranks)
PM_PMPI(MPI_Group_compare)
PM_PMPI(MPI_Group_union)
PM_PMPI(MPI_Group_intersection)
PM_PMPI(MPI_Group_difference)
PM_PMPI(MPI_Group_incl)
PM_PMPI(MPI_Group_excl)
PM_PMPI(MPI_Group_range_incl)
PM_PMPI(MPI_Group_range_excl)
PM_PMPI(MPI_Group_free)
PM_PMPI(MPI_Dims_create)
