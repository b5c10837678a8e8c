/*
 * Attribute caching: keyvals, and attributes on communicators and windows
 * (lists of (keyval, value) with the keyval's copy and delete callbacks),
 * the predefined attributes of communicators, and the predefined
 * callbacks.
 */
#include <limits.h>
#include <stdlib.h>

#include "mpi/pm.h"

typedef struct pm_keyval {
    int kind; /* PM_COMM or PM_WIN */
    void (*copy)(void);
    void (*del)(void);
    void *extra;
} pm_keyval_t;

int pm_attrs_copy(pm_attr_t *from, MPI_Comm old, pm_attr_t **to, MPI_Comm comm,
                  const char *call)
{
    for (pm_attr_t *a = from; a; a = a->next) {
        pm_keyval_t *kv = pm_handle_get(PM_KEYVAL, a->keyval);
        void *val = NULL;
        int flag = 0;

        if (!kv || !kv->copy)
            continue;
        if (((MPI_Comm_copy_attr_function *)kv->copy)(old, a->keyval, kv->extra, a->val, &val,
                                                      &flag) != MPI_SUCCESS)
            return pm_err_comm(old, MPI_ERR_OTHER, call,
                               "the copy callback of attribute %#x failed",
                               (unsigned)a->keyval);
        if (flag)
            pm_attr_set(to, PM_COMM, comm, a->keyval, val, call);
    }
    return MPI_SUCCESS;
}

/* ---- attribute caching ---- */

static int pm_tag_ub = INT_MAX, pm_host = MPI_PROC_NULL, pm_io = MPI_ANY_SOURCE,
           pm_wtime_global = 0, pm_lastused = MPI_ERR_WIN, pm_universe;

int pm_keyval_create(int kind, void (*copy)(void), void (*del)(void), void *extra,
                     int *keyval_p, const char *call)
{
    pm_keyval_t *kv;
    int rc;

    PM_CHECK_INIT(call);
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
    pm_keyval_t *kv;

    PM_CHECK_INIT(call);
    kv = keyval_p ? pm_handle_get(PM_KEYVAL, *keyval_p) : NULL;
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

static int pm_attr_delete(pm_attr_t **list, int kind, int handle, int keyval)
{
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

/* Raise class cls on the object, a failure about keyval (why: words). */
static int pm_attr_fail(int kind, int handle, int cls, const char *call, int keyval,
                        const char *why)
{
    if (kind == PM_WIN)
        return pm_err_win(handle, cls, call, "keyval %#x%s", (unsigned)keyval, why);
    return pm_err_comm(handle, cls, call, "keyval %#x%s", (unsigned)keyval, why);
}

int pm_attr_set_call(pm_attr_t **list, int kind, int handle, int keyval, void *val,
                     const char *call)
{
    int rc = pm_attr_set(list, kind, handle, keyval, val, call);

    if (rc)
        return pm_attr_fail(kind, handle, rc, call, keyval,
                            kind == PM_WIN ? ": not a window keyval, or its callback failed"
                                           : ": not a communicator keyval, or its callback failed");
    return MPI_SUCCESS;
}

int pm_attr_delete_call(pm_attr_t **list, int kind, int handle, int keyval, const char *call)
{
    int rc = pm_attr_delete(list, kind, handle, keyval);

    if (rc)
        return pm_attr_fail(kind, handle, rc, call, keyval,
                            " is not set, or its delete callback failed");
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_create_keyval(MPI_Comm_copy_attr_function *copy_fn,
                                     MPI_Comm_delete_attr_function *delete_fn, int *keyval,
                                     void *extra_state)
{
    return pm_keyval_create(PM_COMM, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                            extra_state, keyval, "MPI_Comm_create_keyval");
}

PRAAS_API int MPI_Comm_free_keyval(int *keyval)
{
    return pm_keyval_free(PM_COMM, keyval, "MPI_Comm_free_keyval");
}

PRAAS_API int MPI_Comm_set_attr(MPI_Comm comm, int keyval, void *attribute_val)
{
    PM_GET_COMM(c, comm, "MPI_Comm_set_attr");
    return pm_attr_set_call(&c->attrs, PM_COMM, comm, keyval, attribute_val,
                            "MPI_Comm_set_attr");
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
    PM_GET_COMM(c, comm, "MPI_Comm_delete_attr");
    return pm_attr_delete_call(&c->attrs, PM_COMM, comm, keyval, "MPI_Comm_delete_attr");
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

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Comm_create_keyval)
PM_PMPI(MPI_Comm_free_keyval)
PM_PMPI(MPI_Comm_set_attr)
PM_PMPI(MPI_Comm_get_attr)
PM_PMPI(MPI_Comm_delete_attr)
