/*
 * Info objects: ordered lists of (key, value) strings. praas takes no
 * hints yet, so windows and communicators accept any key and ignore it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/pm.h"

typedef struct pm_info_entry {
    char *key, *val;
} pm_info_entry_t;

typedef struct pm_info {
    int n, cap;
    pm_info_entry_t *e;
} pm_info_t;

static pm_info_t pm_info_env;

int pm_info_init(void)
{
    pm_handle_set(PM_INFO, PM_INDEX(MPI_INFO_ENV), &pm_info_env);
    return 0;
}

int pm_info_valid(MPI_Info info)
{
    return info == MPI_INFO_NULL || pm_handle_get(PM_INFO, info) != NULL;
}

static int pm_info_find(const pm_info_t *in, const char *key)
{
    for (int i = 0; i < in->n; i++)
        if (strcmp(in->e[i].key, key) == 0)
            return i;
    return -1;
}

static int pm_info_put(pm_info_t *in, const char *key, const char *val)
{
    int i = pm_info_find(in, key);
    char *v = strdup(val), *k = NULL;

    if (!v)
        return MPI_ERR_NO_MEM;
    if (i >= 0) {
        free(in->e[i].val);
        in->e[i].val = v;
        return 0;
    }
    if (in->n == in->cap) {
        int cap = in->cap ? 2 * in->cap : 8;
        pm_info_entry_t *e = realloc(in->e, sizeof(*e) * (size_t)cap);
        if (!e) {
            free(v);
            return MPI_ERR_NO_MEM;
        }
        in->e = e;
        in->cap = cap;
    }
    k = strdup(key);
    if (!k) {
        free(v);
        return MPI_ERR_NO_MEM;
    }
    in->e[in->n++] = (pm_info_entry_t){k, v};
    return 0;
}

static void pm_info_destroy(pm_info_t *in)
{
    for (int i = 0; i < in->n; i++) {
        free(in->e[i].key);
        free(in->e[i].val);
    }
    free(in->e);
    free(in);
}

static int pm_info_new(pm_info_t **in_p, MPI_Info *info_p)
{
    pm_info_t *in = calloc(1, sizeof(*in));
    int rc;

    if (!in)
        return MPI_ERR_NO_MEM;
    rc = pm_handle_new(PM_INFO, in, info_p);
    if (rc) {
        free(in);
        return rc;
    }
    *in_p = in;
    return 0;
}

int pm_info_copy(MPI_Info info, MPI_Info *copy_p)
{
    pm_info_t *src, *dst = NULL;
    int rc;

    if (info == MPI_INFO_NULL) {
        *copy_p = MPI_INFO_NULL;
        return 0;
    }
    src = pm_handle_get(PM_INFO, info);
    if (!src)
        return MPI_ERR_INFO;
    rc = pm_info_new(&dst, copy_p);
    for (int i = 0; !rc && i < src->n; i++)
        rc = pm_info_put(dst, src->e[i].key, src->e[i].val);
    if (rc) {
        pm_handle_del(PM_INFO, *copy_p);
        pm_info_destroy(dst);
    }
    return rc;
}

#define PM_GET_INFO(in, info, call)                                                           \
    pm_info_t *in = pm_handle_get(PM_INFO, info);                                             \
    if (!in)                                                                                  \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_INFO, call, "%#x is not an info object",       \
                       (unsigned)(info))

static int pm_info_key_ok(const char *key, const char *call)
{
    if (!key || !*key || strlen(key) > MPI_MAX_INFO_KEY)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_INFO_KEY, call,
                           "a key must have 1 to %d characters", MPI_MAX_INFO_KEY);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_create(MPI_Info *info)
{
    pm_info_t *in;
    int rc;

    if (!info)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_create", "NULL output");
    rc = pm_info_new(&in, info);
    return rc ? pm_err_comm(MPI_COMM_WORLD, rc, "MPI_Info_create", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Info_set(MPI_Info info, const char *key, const char *value)
{
    int rc;

    PM_GET_INFO(in, info, "MPI_Info_set");
    if ((rc = pm_info_key_ok(key, "MPI_Info_set")))
        return rc;
    if (!value || strlen(value) > MPI_MAX_INFO_VAL)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_INFO_VALUE, "MPI_Info_set",
                           "a value must have at most %d characters", MPI_MAX_INFO_VAL);
    rc = pm_info_put(in, key, value);
    return rc ? pm_err_comm(MPI_COMM_WORLD, rc, "MPI_Info_set", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Info_get(MPI_Info info, const char *key, int valuelen, char *value, int *flag)
{
    int i, rc;

    PM_GET_INFO(in, info, "MPI_Info_get");
    if ((rc = pm_info_key_ok(key, "MPI_Info_get")))
        return rc;
    if (valuelen < 0 || !value || !flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_get", "bad output arguments");
    i = pm_info_find(in, key);
    *flag = i >= 0;
    if (i >= 0)
        snprintf(value, (size_t)valuelen + 1, "%s", in->e[i].val);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_get_valuelen(MPI_Info info, const char *key, int *valuelen, int *flag)
{
    int i, rc;

    PM_GET_INFO(in, info, "MPI_Info_get_valuelen");
    if ((rc = pm_info_key_ok(key, "MPI_Info_get_valuelen")))
        return rc;
    if (!valuelen || !flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_get_valuelen", "NULL output");
    i = pm_info_find(in, key);
    *flag = i >= 0;
    if (i >= 0)
        *valuelen = (int)strlen(in->e[i].val);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_get_nkeys(MPI_Info info, int *nkeys)
{
    PM_GET_INFO(in, info, "MPI_Info_get_nkeys");
    if (!nkeys)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_get_nkeys", "NULL output");
    *nkeys = in->n;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_get_nthkey(MPI_Info info, int n, char *key)
{
    PM_GET_INFO(in, info, "MPI_Info_get_nthkey");
    if (n < 0 || n >= in->n || !key)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_get_nthkey",
                           "key %d of %d, or NULL output", n, in->n);
    snprintf(key, MPI_MAX_INFO_KEY + 1, "%s", in->e[n].key);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_delete(MPI_Info info, const char *key)
{
    int i, rc;

    PM_GET_INFO(in, info, "MPI_Info_delete");
    if ((rc = pm_info_key_ok(key, "MPI_Info_delete")))
        return rc;
    i = pm_info_find(in, key);
    if (i < 0)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_INFO_NOKEY, "MPI_Info_delete",
                           "no key \"%s\"", key);
    free(in->e[i].key);
    free(in->e[i].val);
    memmove(&in->e[i], &in->e[i + 1], sizeof(in->e[0]) * (size_t)(in->n - i - 1));
    in->n--;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Info_dup(MPI_Info info, MPI_Info *newinfo)
{
    int rc;

    PM_GET_INFO(in, info, "MPI_Info_dup");
    (void)in;
    if (!newinfo)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Info_dup", "NULL output");
    rc = pm_info_copy(info, newinfo);
    return rc ? pm_err_comm(MPI_COMM_WORLD, rc, "MPI_Info_dup", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Info_free(MPI_Info *info)
{
    pm_info_t *in = info ? pm_handle_get(PM_INFO, *info) : NULL;

    if (!in || in == &pm_info_env)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_INFO, "MPI_Info_free",
                           "not an info object that can be freed");
    pm_handle_del(PM_INFO, *info);
    pm_info_destroy(in);
    *info = MPI_INFO_NULL;
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Info_create)
PM_PMPI(MPI_Info_set)
PM_PMPI(MPI_Info_get)
PM_PMPI(MPI_Info_get_valuelen)
PM_PMPI(MPI_Info_get_nkeys)
PM_PMPI(MPI_Info_get_nthkey)
PM_PMPI(MPI_Info_delete)
PM_PMPI(MPI_Info_dup)
PM_PMPI(MPI_Info_free)
