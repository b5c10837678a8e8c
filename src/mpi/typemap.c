/*
 * Derived datatypes: the constructors, walking a type map run by run, and
 * packing.
 *
 * Every constructor reduces to one builder: a list of entries (an old type,
 * a block length, a byte displacement), flattened into the blocks of the
 * new type (pm.h), merging blocks that touch and share a praas type. So a
 * type never refers to the types it was built from: freeing them is
 * harmless, and walking a type is a loop over one array. The price is
 * memory for types with many blocks (a 1000-row vector is 1000 blocks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

/* ---- walking runs ---- */

void pm_cur_init(pm_cur_t *c, const pm_type_t *t, size_t count)
{
    c->t = t;
    c->count = t->nblk && t->psize ? count : 0;
    c->elem = c->blk = c->done = 0;
}

int pm_cur_run(pm_cur_t *c, MPI_Aint *off_p, size_t *len_p, praas_type_t *base_p)
{
    const pm_type_t *t = c->t;
    const pm_blk_t *b;
    size_t e, k, len;
    MPI_Aint off;

    if (c->elem >= c->count)
        return 0;
    if (t->dense) { /* one run: c->done counts from the start */
        *off_p = (MPI_Aint)c->done;
        *len_p = c->count * t->psize - c->done;
        *base_p = t->blk[0].base;
        return 1;
    }
    b = &t->blk[c->blk];
    off = (MPI_Aint)c->elem * t->extent + b->disp + (MPI_Aint)c->done;
    len = b->bytes - c->done;
    /* Merge the blocks that follow without a gap. */
    for (e = c->elem, k = c->blk;;) {
        if (++k == t->nblk) {
            k = 0;
            if (++e >= c->count)
                break;
        }
        if (t->blk[k].base != b->base ||
            (MPI_Aint)e * t->extent + t->blk[k].disp != off + (MPI_Aint)len)
            break;
        len += t->blk[k].bytes;
    }
    *off_p = off;
    *len_p = len;
    *base_p = b->base;
    return 1;
}

void pm_cur_skip(pm_cur_t *c, size_t bytes)
{
    const pm_type_t *t = c->t;

    if (t->dense) {
        c->done += bytes;
        if (c->done >= c->count * t->psize)
            c->elem = c->count;
        return;
    }
    while (bytes && c->elem < c->count) {
        size_t rest = t->blk[c->blk].bytes - c->done;
        if (bytes < rest) {
            c->done += bytes;
            return;
        }
        bytes -= rest;
        c->done = 0;
        if (++c->blk == t->nblk) {
            c->blk = 0;
            c->elem++;
        }
    }
}

size_t pm_pack(const pm_type_t *t, size_t count, const void *buf, void *out, size_t max)
{
    size_t n = 0, len;
    MPI_Aint off;
    praas_type_t base;
    pm_cur_t c;

    pm_cur_init(&c, t, count);
    while (n < max && pm_cur_run(&c, &off, &len, &base)) {
        if (len > max - n)
            len = max - n;
        memcpy((unsigned char *)out + n, (const unsigned char *)buf + off, len);
        n += len;
        pm_cur_skip(&c, len);
    }
    return n;
}

void pm_unpack(const pm_type_t *t, size_t count, void *buf, const void *in, size_t len)
{
    size_t n = 0, run;
    MPI_Aint off;
    praas_type_t base;
    pm_cur_t c;

    pm_cur_init(&c, t, count);
    while (n < len && pm_cur_run(&c, &off, &run, &base)) {
        if (run > len - n)
            run = len - n;
        memcpy((unsigned char *)buf + off, (const unsigned char *)in + n, run);
        n += run;
        pm_cur_skip(&c, run);
    }
}

MPI_Count pm_type_elements(const pm_type_t *t, size_t bytes)
{
    MPI_Count n = 0, per = 0;
    size_t es;

    if (!t->psize)
        return 0;
    if (t->homog) {
        es = praas_type_size(t->base);
        if (bytes % es)
            return MPI_UNDEFINED;
        n = (MPI_Count)(bytes / es);
        return t->complex_ ? n / 2 : n;
    }
    for (size_t k = 0; k < t->nblk; k++)
        per += (MPI_Count)(t->blk[k].bytes / praas_type_size(t->blk[k].base));
    n = (MPI_Count)(bytes / t->psize) * per;
    bytes %= t->psize;
    for (size_t k = 0; k < t->nblk && bytes; k++) {
        size_t b = PRAAS_MIN(bytes, t->blk[k].bytes);
        es = praas_type_size(t->blk[k].base);
        if (b % es)
            return MPI_UNDEFINED;
        n += (MPI_Count)(b / es);
        bytes -= b;
    }
    return n;
}

/* ---- building ---- */

typedef struct pm_tb {
    pm_blk_t *blk;
    size_t n, cap;
    int nomem;
} pm_tb_t;

static void pm_tb_add(pm_tb_t *b, MPI_Aint disp, size_t bytes, praas_type_t base)
{
    if (!bytes || b->nomem)
        return;
    if (b->n) {
        pm_blk_t *last = &b->blk[b->n - 1];
        if (last->base == base && last->disp + (MPI_Aint)last->bytes == disp) {
            last->bytes += bytes;
            return;
        }
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        pm_blk_t *nb = realloc(b->blk, cap * sizeof(*nb));
        if (!nb) {
            b->nomem = 1;
            return;
        }
        b->blk = nb;
        b->cap = cap;
    }
    b->blk[b->n++] = (pm_blk_t){disp, bytes, base};
}

/* bl elements of old from byte disp. */
static void pm_tb_entry(pm_tb_t *b, const pm_type_t *old, size_t bl, MPI_Aint disp)
{
    if (old->dense && old->nblk == 1) {
        pm_tb_add(b, disp + old->blk[0].disp, bl * old->psize, old->blk[0].base);
        return;
    }
    for (size_t j = 0; j < bl; j++)
        for (size_t k = 0; k < old->nblk; k++)
            pm_tb_add(b, disp + (MPI_Aint)j * old->extent + old->blk[k].disp,
                      old->blk[k].bytes, old->blk[k].base);
}

static void pm_type_set_dense(pm_type_t *t)
{
    t->dense = t->nblk == 0 || (t->nblk == 1 && t->blk[0].disp == 0 && t->lb == 0 &&
                                t->extent == (MPI_Aint)t->psize);
}

/* Register t (blocks already set) under a new handle. */
static int pm_type_register(pm_type_t *t, MPI_Datatype *newtype, const char *call)
{
    int rc;

    t->predefined = 0;
    t->committed = 0;
    t->refs = 1;
    t->name[0] = '\0';
    pm_type_set_dense(t);
    rc = pm_handle_new(PM_TYPE, t, &t->handle);
    if (rc) {
        free(t->blk);
        free(t);
        return pm_err_comm(MPI_COMM_WORLD, rc, call, "no memory for a handle");
    }
    *newtype = t->handle;
    return MPI_SUCCESS;
}

/* The common builder: n entries (olds[i] or old for all, bls[i], byte
 * displacements disps[i]). */
static int pm_build(int n, const pm_type_t *const *olds, const pm_type_t *old,
                    const size_t *bls, const MPI_Aint *disps, int combiner,
                    MPI_Datatype *newtype, const char *call)
{
    pm_tb_t b = {0};
    pm_type_t *t = calloc(1, sizeof(*t));
    MPI_Aint lo = 0, hi = 0, tlo = 0, thi = 0;
    int any = 0, tany = 0, complex_ = 1;
    MPI_Datatype mb = MPI_DATATYPE_NULL;

    if (!t)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    t->align = 1;
    for (int i = 0; i < n; i++) {
        const pm_type_t *o = olds ? olds[i] : old;
        size_t bl = bls[i];

        pm_tb_entry(&b, o, bl, disps[i]);
        t->size += (MPI_Count)bl * o->size;
        t->align = PRAAS_MAX(t->align, o->align);
        if (!bl)
            continue;
        MPI_Aint l = disps[i] + o->lb, h = l + (MPI_Aint)bl * o->extent;
        if (h < l) { /* a negative extent: the bounds swap */
            MPI_Aint x = l;
            l = h;
            h = x;
        }
        lo = any ? PRAAS_MIN(lo, l) : l;
        hi = any ? PRAAS_MAX(hi, h) : h;
        any = 1;
        if (o->size) {
            MPI_Aint tl = disps[i] + o->true_lb, th = tl + (MPI_Aint)(bl - 1) * o->extent;
            MPI_Aint a = PRAAS_MIN(tl, th), z = PRAAS_MAX(tl, th) + o->true_extent;
            tlo = tany ? PRAAS_MIN(tlo, a) : a;
            thi = tany ? PRAAS_MAX(thi, z) : z;
            tany = 1;
            complex_ &= o->complex_;
            mb = mb == MPI_DATATYPE_NULL || mb == o->mpi_base ? o->mpi_base : MPI_BYTE;
        }
    }
    if (b.nomem) {
        free(b.blk);
        free(t);
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory for the type map");
    }
    t->blk = b.blk;
    t->nblk = b.n;
    t->lb = lo;
    t->extent = hi - lo;
    if (combiner == MPI_COMBINER_STRUCT && t->extent % (MPI_Aint)t->align)
        t->extent += (MPI_Aint)t->align - t->extent % (MPI_Aint)t->align;
    t->true_lb = tlo;
    t->true_extent = thi - tlo;
    t->homog = 1;
    for (size_t k = 0; k < b.n; k++) {
        t->psize += b.blk[k].bytes;
        if (b.blk[k].base != b.blk[0].base)
            t->homog = 0;
    }
    if (t->homog) {
        t->base = b.n ? b.blk[0].base : (olds ? (n ? olds[0]->base : PRAAS_BYTE) : old->base);
        t->mult = t->psize / praas_type_size(t->base);
        t->complex_ = tany && complex_;
        t->mpi_base = mb == MPI_DATATYPE_NULL ? (olds ? MPI_BYTE : old->mpi_base) : mb;
    } else {
        t->base = PRAAS_BYTE;
        t->mult = t->psize;
        t->mpi_base = MPI_BYTE;
    }
    t->combiner = combiner;
    return pm_type_register(t, newtype, call);
}

#define PM_OLD(t, dt, call)                                                                   \
    pm_type_t *t = pm_type(dt);                                                               \
    if (!t)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, call, "%#x is not a datatype",           \
                       (unsigned)(dt))

#define PM_ARGS(cond, cls, call, ...)                                                         \
    do {                                                                                      \
        if (cond)                                                                             \
            return pm_err_comm(MPI_COMM_WORLD, cls, call, __VA_ARGS__);                       \
    } while (0)

/* Arrays for count entries; NULL after raising MPI_ERR_NO_MEM. */
static int pm_arrays(int count, size_t **bls_p, MPI_Aint **disps_p, const char *call)
{
    size_t n = count > 0 ? (size_t)count : 1;

    *bls_p = malloc(n * sizeof(**bls_p));
    *disps_p = malloc(n * sizeof(**disps_p));
    if (!*bls_p || !*disps_p) {
        free(*bls_p);
        free(*disps_p);
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory for %d entries",
                           count);
    }
    return 0;
}

/* Entries of one old type: blocklengths (bl_all when bls is NULL) and
 * displacements in elements (scale = old extent) or bytes (scale 0). */
static int pm_build_one(int count, const int *bls, int bl_all, const void *disps, int in_bytes,
                        MPI_Aint stride, MPI_Datatype oldtype, int combiner,
                        MPI_Datatype *newtype, const char *call)
{
    size_t *b;
    MPI_Aint *d;
    int rc;

    PM_OLD(old, oldtype, call);
    PM_ARGS(count < 0, MPI_ERR_COUNT, call, "count %d is negative", count);
    PM_ARGS(!newtype, MPI_ERR_ARG, call, "NULL output");
    PM_ARGS(count && bls == NULL && bl_all < 0, MPI_ERR_ARG, call, "blocklength %d", bl_all);
    if ((rc = pm_arrays(count, &b, &d, call)))
        return rc;
    for (int i = 0; i < count; i++) {
        int bl = bls ? bls[i] : bl_all;
        if (bl < 0) {
            free(b);
            free(d);
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                               "blocklength %d of entry %d is negative", bl, i);
        }
        b[i] = (size_t)bl;
        if (!disps) /* vector: a stride in elements or bytes */
            d[i] = (MPI_Aint)i * (in_bytes ? stride : stride * old->extent);
        else if (in_bytes)
            d[i] = ((const MPI_Aint *)disps)[i];
        else
            d[i] = (MPI_Aint)((const int *)disps)[i] * old->extent;
    }
    rc = pm_build(count, NULL, old, b, d, combiner, newtype, call);
    free(b);
    free(d);
    return rc;
}

PRAAS_API int MPI_Type_contiguous(int count, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    size_t bl = count > 0 ? (size_t)count : 0;
    MPI_Aint d = 0;

    PM_OLD(old, oldtype, "MPI_Type_contiguous");
    PM_ARGS(count < 0, MPI_ERR_COUNT, "MPI_Type_contiguous", "count %d is negative", count);
    PM_ARGS(!newtype, MPI_ERR_ARG, "MPI_Type_contiguous", "NULL output");
    return pm_build(1, NULL, old, &bl, &d, MPI_COMBINER_CONTIGUOUS, newtype,
                    "MPI_Type_contiguous");
}

PRAAS_API int MPI_Type_vector(int count, int blocklength, int stride, MPI_Datatype oldtype,
                              MPI_Datatype *newtype)
{
    return pm_build_one(count, NULL, blocklength, NULL, 0, stride, oldtype,
                        MPI_COMBINER_VECTOR, newtype, "MPI_Type_vector");
}

PRAAS_API int MPI_Type_create_hvector(int count, int blocklength, MPI_Aint stride,
                                      MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    return pm_build_one(count, NULL, blocklength, NULL, 1, stride, oldtype,
                        MPI_COMBINER_HVECTOR, newtype, "MPI_Type_create_hvector");
}

PRAAS_API int MPI_Type_indexed(int count, const int array_of_blocklengths[],
                               const int array_of_displacements[], MPI_Datatype oldtype,
                               MPI_Datatype *newtype)
{
    if (count > 0 && (!array_of_blocklengths || !array_of_displacements))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_indexed", "NULL arrays");
    return pm_build_one(count, array_of_blocklengths, 0, array_of_displacements, 0, 0, oldtype,
                        MPI_COMBINER_INDEXED, newtype, "MPI_Type_indexed");
}

PRAAS_API int MPI_Type_create_hindexed(int count, const int array_of_blocklengths[],
                                       const MPI_Aint array_of_displacements[],
                                       MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    if (count > 0 && (!array_of_blocklengths || !array_of_displacements))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_create_hindexed",
                           "NULL arrays");
    return pm_build_one(count, array_of_blocklengths, 0, array_of_displacements, 1, 0, oldtype,
                        MPI_COMBINER_HINDEXED, newtype, "MPI_Type_create_hindexed");
}

PRAAS_API int MPI_Type_create_indexed_block(int count, int blocklength,
                                            const int array_of_displacements[],
                                            MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    if (count > 0 && !array_of_displacements)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_create_indexed_block",
                           "NULL displacements");
    return pm_build_one(count, NULL, blocklength, array_of_displacements, 0, 0, oldtype,
                        MPI_COMBINER_INDEXED_BLOCK, newtype, "MPI_Type_create_indexed_block");
}

PRAAS_API int MPI_Type_create_hindexed_block(int count, int blocklength,
                                             const MPI_Aint array_of_displacements[],
                                             MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    if (count > 0 && !array_of_displacements)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Type_create_hindexed_block",
                           "NULL displacements");
    return pm_build_one(count, NULL, blocklength, array_of_displacements, 1, 0, oldtype,
                        MPI_COMBINER_HINDEXED_BLOCK, newtype, "MPI_Type_create_hindexed_block");
}

PRAAS_API int MPI_Type_create_struct(int count, const int array_of_blocklengths[],
                                     const MPI_Aint array_of_displacements[],
                                     const MPI_Datatype array_of_types[], MPI_Datatype *newtype)
{
    const char *call = "MPI_Type_create_struct";
    const pm_type_t **olds;
    size_t *b;
    MPI_Aint *d;
    int rc;

    PM_ARGS(count < 0, MPI_ERR_COUNT, call, "count %d is negative", count);
    PM_ARGS(!newtype || (count && (!array_of_blocklengths || !array_of_displacements ||
                                   !array_of_types)),
            MPI_ERR_ARG, call, "NULL arrays or output");
    olds = malloc((count ? (size_t)count : 1) * sizeof(*olds));
    if (!olds)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    if ((rc = pm_arrays(count, &b, &d, call))) {
        free(olds);
        return rc;
    }
    for (int i = 0; i < count && !rc; i++) {
        olds[i] = pm_type(array_of_types[i]);
        if (!olds[i])
            rc = pm_err_comm(MPI_COMM_WORLD, MPI_ERR_TYPE, call,
                             "entry %d: %#x is not a datatype", i, (unsigned)array_of_types[i]);
        else if (array_of_blocklengths[i] < 0)
            rc = pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call,
                             "blocklength %d of entry %d is negative",
                             array_of_blocklengths[i], i);
        else {
            b[i] = (size_t)array_of_blocklengths[i];
            d[i] = array_of_displacements[i];
        }
    }
    if (!rc)
        rc = pm_build(count, olds, NULL, b, d, MPI_COMBINER_STRUCT, newtype, call);
    free(olds);
    free(b);
    free(d);
    return rc;
}

PRAAS_API int MPI_Type_create_subarray(int ndims, const int array_of_sizes[],
                                       const int array_of_subsizes[],
                                       const int array_of_starts[], int order,
                                       MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    const char *call = "MPI_Type_create_subarray";
    const int *sz = array_of_sizes, *sub = array_of_subsizes, *st = array_of_starts;
    size_t nent = 1, *b;
    MPI_Aint *d, full;
    int fast, idx[32] = {0}, rc;
    pm_type_t *t;

    PM_OLD(old, oldtype, call);
    PM_ARGS(ndims < 1 || ndims > 32, MPI_ERR_DIMS, call, "ndims %d is not in 1..32", ndims);
    PM_ARGS(!sz || !sub || !st || !newtype, MPI_ERR_ARG, call, "NULL arrays or output");
    PM_ARGS(order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN, MPI_ERR_ARG, call,
            "order %d is neither MPI_ORDER_C nor MPI_ORDER_FORTRAN", order);
    for (int i = 0; i < ndims; i++)
        PM_ARGS(sz[i] < 1 || sub[i] < 1 || st[i] < 0 || st[i] > sz[i] - sub[i], MPI_ERR_ARG,
                call, "dimension %d: size %d, subsize %d, start %d do not fit", i, sz[i],
                sub[i], st[i]);
    /* The dimension that varies fastest in memory makes the blocks; the
     * others are walked as an odometer. */
    fast = order == MPI_ORDER_C ? ndims - 1 : 0;
    for (int i = 0; i < ndims; i++)
        if (i != fast)
            nent *= (size_t)sub[i];
    if ((rc = pm_arrays((int)PRAAS_MIN(nent, (size_t)0x7fffffff), &b, &d, call)))
        return rc;
    for (size_t e = 0; e < nent; e++) {
        MPI_Aint lin = 0, mul = 1;
        for (int k = 0; k < ndims; k++) {
            int i = order == MPI_ORDER_C ? ndims - 1 - k : k; /* fastest first */
            lin += (MPI_Aint)(st[i] + (i == fast ? 0 : idx[i])) * mul;
            mul *= sz[i];
        }
        b[e] = (size_t)sub[fast];
        d[e] = lin * old->extent;
        for (int k = 0; k < ndims; k++) { /* next index, fastest non-block dim first */
            int i = order == MPI_ORDER_C ? ndims - 1 - k : k;
            if (i == fast)
                continue;
            if (++idx[i] < sub[i])
                break;
            idx[i] = 0;
        }
    }
    rc = pm_build((int)nent, NULL, old, b, d, MPI_COMBINER_SUBARRAY, newtype, call);
    free(b);
    free(d);
    if (rc)
        return rc;
    /* The extent is the whole array's, from its start. */
    full = old->extent;
    for (int i = 0; i < ndims; i++)
        full *= sz[i];
    t = pm_type(*newtype);
    t->lb = 0;
    t->extent = full;
    pm_type_set_dense(t);
    return MPI_SUCCESS;
}

/* A copy of old's type map under a new handle. */
static int pm_type_copy(const pm_type_t *old, int combiner, MPI_Datatype *newtype,
                        const char *call)
{
    pm_type_t *t = malloc(sizeof(*t));

    if (!t)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    *t = *old;
    t->blk = malloc((old->nblk ? old->nblk : 1) * sizeof(pm_blk_t));
    if (!t->blk) {
        free(t);
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    }
    if (old->nblk)
        memcpy(t->blk, old->blk, old->nblk * sizeof(pm_blk_t));
    t->combiner = combiner;
    return pm_type_register(t, newtype, call);
}

PRAAS_API int MPI_Type_create_resized(MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent,
                                      MPI_Datatype *newtype)
{
    int rc;

    PM_OLD(old, oldtype, "MPI_Type_create_resized");
    PM_ARGS(!newtype, MPI_ERR_ARG, "MPI_Type_create_resized", "NULL output");
    rc = pm_type_copy(old, MPI_COMBINER_RESIZED, newtype, "MPI_Type_create_resized");
    if (!rc) {
        pm_type_t *t = pm_type(*newtype);
        t->lb = lb;
        t->extent = extent;
        pm_type_set_dense(t);
    }
    return rc;
}

PRAAS_API int MPI_Type_dup(MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    int rc;

    PM_OLD(old, oldtype, "MPI_Type_dup");
    PM_ARGS(!newtype, MPI_ERR_ARG, "MPI_Type_dup", "NULL output");
    rc = pm_type_copy(old, MPI_COMBINER_DUP, newtype, "MPI_Type_dup");
    if (!rc) /* a duplicate is committed if the original is */
        pm_type(*newtype)->committed = old->committed;
    return rc;
}

/* ---- packing ---- */

PRAAS_API int MPI_Pack_size(int incount, MPI_Datatype datatype, MPI_Comm comm, int *size)
{
    PM_OLD(t, datatype, "MPI_Pack_size");
    (void)comm;
    PM_ARGS(incount < 0 || !size, MPI_ERR_ARG, "MPI_Pack_size", "count %d or NULL output",
            incount);
    if ((size_t)incount * t->psize > 0x7fffffff)
        return pm_err_comm(comm, MPI_ERR_COUNT, "MPI_Pack_size", "%d elements are %zu bytes",
                           incount, (size_t)incount * t->psize);
    *size = (int)((size_t)incount * t->psize);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Pack(const void *inbuf, int incount, MPI_Datatype datatype, void *outbuf,
                       int outsize, int *position, MPI_Comm comm)
{
    const char *why;
    pm_type_t *t;
    size_t need;

    PM_CHECK_INIT("MPI_Pack");
    if (pm_type_usable(datatype, &t, &why))
        return pm_err_comm(comm, MPI_ERR_TYPE, "MPI_Pack", "datatype %#x %s",
                           (unsigned)datatype, why);
    if (incount < 0 || !position || *position < 0 || outsize < 0 || (!outbuf && outsize))
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Pack",
                           "count %d, outsize %d, or a bad position", incount, outsize);
    need = (size_t)incount * t->psize;
    if ((size_t)*position + need > (size_t)outsize)
        return pm_err_comm(comm, MPI_ERR_TRUNCATE, "MPI_Pack",
                           "%zu bytes at position %d do not fit in %d", need, *position,
                           outsize);
    pm_pack(t, (size_t)incount, inbuf, (char *)outbuf + *position, need);
    *position += (int)need;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf,
                         int outcount, MPI_Datatype datatype, MPI_Comm comm)
{
    const char *why;
    pm_type_t *t;
    size_t need;

    PM_CHECK_INIT("MPI_Unpack");
    if (pm_type_usable(datatype, &t, &why))
        return pm_err_comm(comm, MPI_ERR_TYPE, "MPI_Unpack", "datatype %#x %s",
                           (unsigned)datatype, why);
    if (outcount < 0 || !position || *position < 0 || insize < 0 || (!inbuf && insize))
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Unpack",
                           "count %d, insize %d, or a bad position", outcount, insize);
    need = (size_t)outcount * t->psize;
    if ((size_t)*position + need > (size_t)insize)
        return pm_err_comm(comm, MPI_ERR_TRUNCATE, "MPI_Unpack",
                           "%zu bytes at position %d are past the end of %d", need, *position,
                           insize);
    pm_unpack(t, (size_t)outcount, outbuf, (const char *)inbuf + *position, need);
    *position += (int)need;
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Type_contiguous)
PM_PMPI(MPI_Type_vector)
PM_PMPI(MPI_Type_create_hvector)
PM_PMPI(MPI_Type_indexed)
PM_PMPI(MPI_Type_create_hindexed)
PM_PMPI(MPI_Type_create_indexed_block)
PM_PMPI(MPI_Type_create_hindexed_block)
PM_PMPI(MPI_Type_create_struct)
PM_PMPI(MPI_Type_create_subarray)
PM_PMPI(MPI_Type_create_resized)
PM_PMPI(MPI_Type_dup)
PM_PMPI(MPI_Pack_size)
PM_PMPI(MPI_Pack)
PM_PMPI(MPI_Unpack)
