/*
 * Communicators and attribute caching.
 *
 * praas's windows and collectives span the whole view, so a communicator
 * is one of two shapes: "world-like" (the world's group in world order:
 * MPI_COMM_WORLD and its duplicates; windows and collectives on it map to
 * praas's) or "self-like" (this process alone: MPI_COMM_SELF and its
 * duplicates; collectives on it are local copies). Split and create accept
 * any arguments whose results have one of these shapes at every process,
 * and fail at every process otherwise (MPI_ERR_UNSUPPORTED_OPERATION), so
 * no process is left waiting for the others.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi/pm.h"

typedef struct pm_keyval {
    int kind; /* PM_COMM or PM_WIN */
    void (*copy)(void);
    void (*del)(void);
    void *extra;
} pm_keyval_t;

static pm_comm_t pm_world = {.handle = MPI_COMM_WORLD, .world_like = 1, .ctx = 0};
static pm_comm_t pm_self = {.handle = MPI_COMM_SELF, .ctx = PM_CTX_SELF};

pm_comm_t *pm_comm(MPI_Comm comm)
{
    return pm_handle_get(PM_COMM, comm);
}

int pm_comm_init(void)
{
    pm_world.rank = pm_world_rank;
    pm_world.size = pm_world_size;
    pm_world.errh = MPI_ERRORS_ARE_FATAL;
    strcpy(pm_world.name, "MPI_COMM_WORLD");
    pm_self.rank = 0;
    pm_self.size = 1;
    pm_self.errh = MPI_ERRORS_ARE_FATAL;
    strcpy(pm_self.name, "MPI_COMM_SELF");
    pm_handle_set(PM_COMM, PM_INDEX(MPI_COMM_WORLD), &pm_world);
    pm_handle_set(PM_COMM, PM_INDEX(MPI_COMM_SELF), &pm_self);
    return 0;
}

void pm_comm_fini(void)
{
    pm_attrs_clear(&pm_self.attrs, PM_COMM, MPI_COMM_SELF);
    pm_attrs_clear(&pm_world.attrs, PM_COMM, MPI_COMM_WORLD);
}

/* Context ids. World-like communicators are made by collective calls of
 * every process, in the same order everywhere (MPI requires it), so a
 * counter gives each the same id at every process; one-process ones only
 * ever talk to themselves and take ids of their own. */
static int pm_next_world_ctx = 1, pm_next_self_ctx = 1;

int pm_comm_make(int world_like, MPI_Comm *comm_p)
{
    pm_comm_t *c = calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return MPI_ERR_NO_MEM;
    c->ctx = world_like ? __atomic_fetch_add(&pm_next_world_ctx, 1, __ATOMIC_RELAXED)
                        : PM_CTX_SELF | __atomic_fetch_add(&pm_next_self_ctx, 1,
                                                           __ATOMIC_RELAXED);
    c->world_like = world_like;
    c->rank = world_like ? pm_world_rank : 0;
    c->size = world_like ? pm_world_size : 1;
    c->errh = MPI_ERRORS_ARE_FATAL;
    rc = pm_handle_new(PM_COMM, c, &c->handle);
    if (rc) {
        free(c);
        return rc;
    }
    *comm_p = c->handle;
    return 0;
}

#define PM_GET_COMM(c, comm, call)                                                            \
    PM_CHECK_INIT(call);                                                                      \
    pm_comm_t *c = pm_comm(comm);                                                             \
    if (!c)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, call, "%#x is not a communicator",       \
                       (unsigned)(comm))

PRAAS_API int MPI_Comm_rank(MPI_Comm comm, int *rank)
{
    PM_GET_COMM(c, comm, "MPI_Comm_rank");
    if (!rank)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_rank", "NULL output");
    *rank = c->rank;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_size(MPI_Comm comm, int *size)
{
    PM_GET_COMM(c, comm, "MPI_Comm_size");
    if (!size)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_size", "NULL output");
    *size = c->size;
    return MPI_SUCCESS;
}

/* A new communicator of the given shape that inherits old's error handler
 * and (through the copy callbacks) its attributes. */
static int pm_comm_derive(pm_comm_t *old, int world_like, int copy_attrs, MPI_Comm *newcomm,
                          const char *call)
{
    int rc = pm_comm_make(world_like, newcomm);
    pm_comm_t *c;

    if (rc)
        return pm_err_comm(old->handle, rc, call, "no memory for a communicator");
    c = pm_comm(*newcomm);
    pm_errh_ref(old->errh);
    c->errh = old->errh;
    for (pm_attr_t *a = copy_attrs ? old->attrs : NULL; a; a = a->next) {
        pm_keyval_t *kv = pm_handle_get(PM_KEYVAL, a->keyval);
        void *val = NULL;
        int flag = 0;

        if (!kv || !kv->copy)
            continue;
        if (((MPI_Comm_copy_attr_function *)kv->copy)(old->handle, a->keyval, kv->extra,
                                                      a->val, &val, &flag) != MPI_SUCCESS)
            return pm_err_comm(old->handle, MPI_ERR_OTHER, call,
                               "the copy callback of attribute %#x failed",
                               (unsigned)a->keyval);
        if (flag)
            pm_attr_set(&c->attrs, PM_COMM, c->handle, a->keyval, val, call);
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    PM_GET_COMM(c, comm, "MPI_Comm_dup");
    if (!newcomm)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_dup", "NULL output");
    return pm_comm_derive(c, c->world_like, 1, newcomm, "MPI_Comm_dup");
}

PRAAS_API int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm)
{
    (void)info; /* no communicator hints */
    return MPI_Comm_dup(comm, newcomm);
}

PRAAS_API int MPI_Comm_free(MPI_Comm *comm)
{
    pm_comm_t *c;
    int rc;

    PM_CHECK_INIT("MPI_Comm_free");
    c = comm ? pm_comm(*comm) : NULL;
    if (!c)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_free",
                           "not a communicator");
    if (c == &pm_world || c == &pm_self)
        return pm_err_comm(*comm, MPI_ERR_COMM, "MPI_Comm_free", "%s cannot be freed",
                           c->name);
    rc = pm_attrs_clear(&c->attrs, PM_COMM, c->handle);
    if (rc)
        return pm_err_comm(*comm, rc, "MPI_Comm_free", "an attribute delete callback failed");
    pm_errh_unref(c->errh);
    pm_handle_del(PM_COMM, c->handle);
    free(c);
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    PM_GET_COMM(a, comm1, "MPI_Comm_compare");
    pm_comm_t *b = pm_comm(comm2);

    if (!b || !result)
        return pm_err_comm(comm1, MPI_ERR_COMM, "MPI_Comm_compare",
                           "second argument is not a communicator, or NULL output");
    if (a == b)
        *result = MPI_IDENT;
    else if (a->world_like == b->world_like || pm_world_size == 1)
        *result = MPI_CONGRUENT;
    else
        *result = MPI_UNEQUAL;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    int rc;

    PM_GET_COMM(c, comm, "MPI_Comm_group");
    if (!group)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_group", "NULL output");
    rc = c->world_like ? pm_group_world(group) : pm_group_make(&pm_world_rank, 1, group);
    return rc ? pm_err_comm(comm, rc, "MPI_Comm_group", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    PM_GET_COMM(c, comm, "MPI_Comm_test_inter");
    (void)c;
    if (!flag)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_test_inter", "NULL output");
    *flag = 0;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_parent(MPI_Comm *parent)
{
    PM_CHECK_INIT("MPI_Comm_get_parent");
    if (!parent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Comm_get_parent", "NULL output");
    *parent = MPI_COMM_NULL; /* never spawned */
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Topo_test(MPI_Comm comm, int *status)
{
    PM_GET_COMM(c, comm, "MPI_Topo_test");
    (void)c;
    if (!status)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Topo_test", "NULL output");
    *status = MPI_UNDEFINED;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name)
{
    PM_GET_COMM(c, comm, "MPI_Comm_set_name");
    if (!comm_name)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_set_name", "NULL name");
    snprintf(c->name, sizeof(c->name), "%s", comm_name);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_name(MPI_Comm comm, char *comm_name, int *resultlen)
{
    PM_GET_COMM(c, comm, "MPI_Comm_get_name");
    if (!comm_name || !resultlen)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_get_name", "NULL output");
    pm_copy_name(comm_name, c->name, resultlen);
    return MPI_SUCCESS;
}

/* ---- split and create ---- */

/* The result of a split whose colors and keys (pairs, by rank) every
 * process knows: 1 world-like, 0 self-like, -1 none (MPI_UNDEFINED), -2 a
 * shape praas cannot make (for any process: the answer is the same
 * everywhere). */
static int pm_split_shape(const int *ck, int n, int me)
{
    int mine = -1;

    for (int r = 0; r < n; r++) {
        int color = ck[2 * r], members = 0, ordered = 1, prev = INT_MIN;

        if (color == MPI_UNDEFINED)
            continue;
        for (int p = 0; p < n; p++) {
            if (ck[2 * p] != color)
                continue;
            members++;
            /* Members are ordered by key, then rank: world order needs
             * non-decreasing keys. */
            if (ck[2 * p + 1] < prev)
                ordered = 0;
            prev = ck[2 * p + 1];
        }
        if (members > 1 && (members != n || !ordered))
            return -2;
        if (r == me)
            mine = members == n && n > 1 ? 1 : 0;
    }
    return mine;
}

static int pm_split(pm_comm_t *c, int color, int key, MPI_Comm *newcomm, const char *call)
{
    int mine[2] = {color, key}, *all, shape, rc;

    if (!newcomm)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "NULL output");
    if (color < 0 && color != MPI_UNDEFINED)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "color %d is negative", color);
    if (!c->world_like || pm_world_size == 1) {
        shape = color == MPI_UNDEFINED ? -1 : c->world_like;
    } else {
        all = malloc(sizeof(int) * 2 * (size_t)pm_world_size);
        if (!all)
            return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
        PM_LOCK(&pm_coll_lock);
        rc = praas_allgather(mine, 2, PRAAS_INT32, all);
        PM_UNLOCK(&pm_coll_lock);
        if (rc) {
            free(all);
            return pm_praas_comm(c->handle, rc, PM_CTX_COLL, call);
        }
        shape = pm_split_shape(all, pm_world_size, pm_world_rank);
        free(all);
    }
    if (shape == -2)
        return pm_err_comm(c->handle, MPI_ERR_UNSUPPORTED_OPERATION, call,
                           "praas supports only communicators of the world's group in world "
                           "order or of one process; this split makes another group");
    if (shape == -1) {
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    return pm_comm_derive(c, shape, 0, newcomm, call);
}

PRAAS_API int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    PM_GET_COMM(c, comm, "MPI_Comm_split");
    return pm_split(c, color, key, newcomm, "MPI_Comm_split");
}

PRAAS_API int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info,
                                  MPI_Comm *newcomm)
{
    char host[256] = "";
    unsigned h = 5381;

    (void)info;
    PM_GET_COMM(c, comm, "MPI_Comm_split_type");
    if (split_type == MPI_UNDEFINED)
        return pm_split(c, MPI_UNDEFINED, key, newcomm, "MPI_Comm_split_type");
    if (split_type != MPI_COMM_TYPE_SHARED)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_split_type", "unknown split type %d",
                           split_type);
    /* The node is the color: the host name's hash. */
    gethostname(host, sizeof(host) - 1);
    for (const char *p = host; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return pm_split(c, (int)(h & 0x7fffffff), key, newcomm, "MPI_Comm_split_type");
}

static int pm_create(pm_comm_t *c, MPI_Group group, MPI_Comm *newcomm, const char *call)
{
    pm_group_t *g = pm_group(group);
    int member = -1, identity = 1;

    if (!g || !newcomm)
        return pm_err_comm(c->handle, MPI_ERR_GROUP, call, "not a group, or NULL output");
    for (int i = 0; i < g->size; i++) {
        if (g->ranks[i] == pm_world_rank)
            member = i;
        if (g->ranks[i] != i)
            identity = 0;
    }
    if (member < 0) {
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    if (g->size == 1)
        return pm_comm_derive(c, 0, 0, newcomm, call);
    if (c->world_like && identity && g->size == pm_world_size)
        return pm_comm_derive(c, 1, 0, newcomm, call);
    return pm_err_comm(c->handle, MPI_ERR_UNSUPPORTED_OPERATION, call,
                       "a group of %d of the %d processes: praas supports only communicators "
                       "of the world's group in world order or of one process",
                       g->size, pm_world_size);
}

PRAAS_API int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    PM_GET_COMM(c, comm, "MPI_Comm_create");
    return pm_create(c, group, newcomm, "MPI_Comm_create");
}

PRAAS_API int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    (void)tag;
    PM_GET_COMM(c, comm, "MPI_Comm_create_group");
    return pm_create(c, group, newcomm, "MPI_Comm_create_group");
}

/* ---- attribute caching ---- */

static int pm_tag_ub = INT_MAX, pm_host = MPI_PROC_NULL, pm_io = MPI_ANY_SOURCE,
           pm_wtime_global = 0, pm_lastused = MPI_ERR_WIN, pm_universe;

int pm_keyval_create(int kind, void (*copy)(void), void (*del)(void), void *extra,
                     int *keyval_p, const char *call)
{
    pm_keyval_t *kv;
    int rc;

    if (!keyval_p)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL output");
    kv = calloc(1, sizeof(*kv));
    if (!kv)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    *kv = (pm_keyval_t){kind, copy, del, extra};
    rc = pm_handle_new(PM_KEYVAL, kv, keyval_p);
    if (rc) {
        free(kv);
        return pm_err_comm(MPI_COMM_WORLD, rc, call, "no memory");
    }
    return MPI_SUCCESS;
}

int pm_keyval_free(int kind, int *keyval_p, const char *call)
{
    pm_keyval_t *kv = keyval_p ? pm_handle_get(PM_KEYVAL, *keyval_p) : NULL;

    if (!kv || kv->kind != kind)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_KEYVAL, call, "not a keyval of this kind");
    /* Attributes still set keep using it: the object stays, only the
     * handle goes invalid for new uses (a small leak by design). */
    *keyval_p = MPI_KEYVAL_INVALID;
    return MPI_SUCCESS;
}

static int pm_attr_call_delete(int kind, int handle, pm_attr_t *a)
{
    pm_keyval_t *kv = pm_handle_get(PM_KEYVAL, a->keyval);

    if (!kv || !kv->del)
        return MPI_SUCCESS;
    if (kind == PM_WIN)
        return ((MPI_Win_delete_attr_function *)kv->del)(handle, a->keyval, a->val, kv->extra);
    return ((MPI_Comm_delete_attr_function *)kv->del)(handle, a->keyval, a->val, kv->extra);
}

int pm_attrs_clear(pm_attr_t **list, int kind, int handle)
{
    int rc = MPI_SUCCESS;

    while (*list) {
        pm_attr_t *a = *list;
        if (pm_attr_call_delete(kind, handle, a) != MPI_SUCCESS)
            rc = MPI_ERR_OTHER;
        *list = a->next;
        free(a);
    }
    return rc;
}

int pm_attr_set(pm_attr_t **list, int kind, int handle, int keyval, void *val, const char *call)
{
    pm_keyval_t *kv = pm_handle_get(PM_KEYVAL, keyval);
    pm_attr_t *a;

    if (!kv || kv->kind != kind)
        return MPI_ERR_KEYVAL;
    for (a = *list; a; a = a->next)
        if (a->keyval == keyval)
            break;
    if (a) {
        if (pm_attr_call_delete(kind, handle, a) != MPI_SUCCESS)
            return MPI_ERR_OTHER;
    } else {
        a = calloc(1, sizeof(*a));
        if (!a)
            return MPI_ERR_NO_MEM;
        a->keyval = keyval;
        a->next = *list;
        *list = a;
    }
    (void)call;
    a->val = val;
    return MPI_SUCCESS;
}

int pm_attr_get(pm_attr_t *list, int keyval, void *val_p, int *flag_p)
{
    *flag_p = 0;
    for (pm_attr_t *a = list; a; a = a->next)
        if (a->keyval == keyval) {
            *(void **)val_p = a->val;
            *flag_p = 1;
        }
    return MPI_SUCCESS;
}

int pm_attr_delete(pm_attr_t **list, int kind, int handle, int keyval, const char *call)
{
    (void)call;
    for (pm_attr_t **pp = list; *pp; pp = &(*pp)->next) {
        pm_attr_t *a = *pp;
        if (a->keyval != keyval)
            continue;
        if (pm_attr_call_delete(kind, handle, a) != MPI_SUCCESS)
            return MPI_ERR_OTHER;
        *pp = a->next;
        free(a);
        return MPI_SUCCESS;
    }
    return MPI_ERR_KEYVAL;
}

PRAAS_API int MPI_Comm_create_keyval(MPI_Comm_copy_attr_function *copy_fn,
                                     MPI_Comm_delete_attr_function *delete_fn, int *keyval,
                                     void *extra_state)
{
    PM_CHECK_INIT("MPI_Comm_create_keyval");
    return pm_keyval_create(PM_COMM, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                            extra_state, keyval, "MPI_Comm_create_keyval");
}

PRAAS_API int MPI_Comm_free_keyval(int *keyval)
{
    PM_CHECK_INIT("MPI_Comm_free_keyval");
    return pm_keyval_free(PM_COMM, keyval, "MPI_Comm_free_keyval");
}

PRAAS_API int MPI_Comm_set_attr(MPI_Comm comm, int keyval, void *attribute_val)
{
    int rc;

    PM_GET_COMM(c, comm, "MPI_Comm_set_attr");
    rc = pm_attr_set(&c->attrs, PM_COMM, comm, keyval, attribute_val, "MPI_Comm_set_attr");
    return rc ? pm_err_comm(comm, rc, "MPI_Comm_set_attr",
                            "keyval %#x: not a communicator keyval, or its callback failed",
                            (unsigned)keyval)
              : MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_attr(MPI_Comm comm, int keyval, void *attribute_val, int *flag)
{
    int *predef = NULL;

    PM_GET_COMM(c, comm, "MPI_Comm_get_attr");
    if (!attribute_val || !flag)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_get_attr", "NULL output");
    pm_universe = pm_world_size;
    switch (keyval) {
    case MPI_TAG_UB: predef = &pm_tag_ub; break;
    case MPI_HOST: predef = &pm_host; break;
    case MPI_IO: predef = &pm_io; break;
    case MPI_WTIME_IS_GLOBAL: predef = &pm_wtime_global; break;
    case MPI_UNIVERSE_SIZE: predef = &pm_universe; break;
    case MPI_LASTUSEDCODE: predef = &pm_lastused; break;
    case MPI_APPNUM: *flag = 0; return MPI_SUCCESS;
    default: break;
    }
    if (predef) {
        *(int **)attribute_val = predef;
        *flag = 1;
        return MPI_SUCCESS;
    }
    {
        pm_keyval_t *kv = pm_handle_get(PM_KEYVAL, keyval);
        if (!kv || kv->kind != PM_COMM)
            return pm_err_comm(comm, MPI_ERR_KEYVAL, "MPI_Comm_get_attr",
                               "%#x is not a communicator keyval", (unsigned)keyval);
    }
    return pm_attr_get(c->attrs, keyval, attribute_val, flag);
}

PRAAS_API int MPI_Comm_delete_attr(MPI_Comm comm, int keyval)
{
    int rc;

    PM_GET_COMM(c, comm, "MPI_Comm_delete_attr");
    rc = pm_attr_delete(&c->attrs, PM_COMM, comm, keyval, "MPI_Comm_delete_attr");
    return rc ? pm_err_comm(comm, rc, "MPI_Comm_delete_attr",
                            "keyval %#x is not set, or its delete callback failed",
                            (unsigned)keyval)
              : MPI_SUCCESS;
}

/* The predefined callbacks. */
PRAAS_API int praas_mpi_comm_null_copy_fn(MPI_Comm c, int k, void *e, void *in, void *out,
                                          int *flag)
{
    (void)c, (void)k, (void)e, (void)in, (void)out;
    *flag = 0;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_comm_dup_fn(MPI_Comm c, int k, void *e, void *in, void *out, int *flag)
{
    (void)c, (void)k, (void)e;
    *(void **)out = in;
    *flag = 1;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_comm_null_delete_fn(MPI_Comm c, int k, void *v, void *e)
{
    (void)c, (void)k, (void)v, (void)e;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_win_null_copy_fn(MPI_Win w, int k, void *e, void *in, void *out,
                                         int *flag)
{
    (void)w, (void)k, (void)e, (void)in, (void)out;
    *flag = 0;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_win_dup_fn(MPI_Win w, int k, void *e, void *in, void *out, int *flag)
{
    (void)w, (void)k, (void)e;
    *(void **)out = in;
    *flag = 1;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_win_null_delete_fn(MPI_Win w, int k, void *v, void *e)
{
    (void)w, (void)k, (void)v, (void)e;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_type_null_copy_fn(MPI_Datatype t, int k, void *e, void *in, void *out,
                                          int *flag)
{
    (void)t, (void)k, (void)e, (void)in, (void)out;
    *flag = 0;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_type_dup_fn(MPI_Datatype t, int k, void *e, void *in, void *out,
                                    int *flag)
{
    (void)t, (void)k, (void)e;
    *(void **)out = in;
    *flag = 1;
    return MPI_SUCCESS;
}

PRAAS_API int praas_mpi_type_null_delete_fn(MPI_Datatype t, int k, void *v, void *e)
{
    (void)t, (void)k, (void)v, (void)e;
    return MPI_SUCCESS;
}
