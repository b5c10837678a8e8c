/*
 * Windows: creation, attributes, names, hints, and synchronization, each
 * mapped onto the praas_win_* call of the same meaning.
 *
 * A window over a world-like communicator is a praas window. Over any
 * other communicator it is a window of rma/ over the communicator's
 * members only (rma_win_new_group): its creation, fence barriers and free
 * exchange among the members through the point-to-point engine, in a
 * private communicator with a context of its own (so the window outlives
 * its communicator and never meets its collectives' traffic). praas takes
 * world ranks, so window ranks are turned into world ranks at every call
 * (pm_win_world); groups (PSCW) hold world ranks already.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mpi/pm.h"
#include "rma/rma.h"

pm_win_t *pm_win(MPI_Win win)
{
    return pm_handle_get(PM_WIN, win);
}

MPI_Errhandler pm_win_errh(MPI_Win win)
{
    pm_win_t *w = pm_win(win);

    return w ? w->errh : MPI_ERRHANDLER_NULL;
}

/* Run a praas call on w's window under its lock; report its failure. */
#define PM_WIN_DO(w, call, expr)                                                              \
    do {                                                                                      \
        int rc_;                                                                              \
        PM_LOCK(&(w)->lock);                                                                  \
        rc_ = (expr);                                                                         \
        PM_UNLOCK(&(w)->lock);                                                                \
        if (rc_)                                                                              \
            return pm_praas_win((w)->handle, rc_, PM_CTX_RMA, call);                          \
        return MPI_SUCCESS;                                                                   \
    } while (0)

/* ---- creation ---- */

enum { PM_MK_CREATE, PM_MK_ALLOCATE, PM_MK_SHARED, PM_MK_DYNAMIC };

/* rma's exchange among a group window's members (rma_group_t): an
 * allgather, or a barrier for len 0, on the window's private
 * communicator. Failures are praas errors here: rma reports them. */
static int pm_win_exchange(void *arg, const void *mine, size_t len, void *all)
{
    pm_comm_t *c = arg;
    pm_sched_t *s = pm_sched_new(c);
    int err;

    if (!s)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a window exchange");
    if (!len)
        pm_nb_barrier(c, s);
    else
        pm_sched_allgather(s, c, mine, len, all);
    err = pm_sched_finish(s);
    if (err == MPI_ERR_NO_MEM)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a window exchange");
    if (err)
        return core_err(PRAAS_ERR_PROTOCOL, "a window exchange among %d ranks failed (%s)",
                        c->size, pm_class_name(err));
    return 0;
}

/* A window over the members of c only (c is not world-like). */
static int pm_win_make_group(pm_win_t *w, pm_comm_t *c, int how, void *base, MPI_Aint size,
                             int disp_unit, void **mem_p, const char *call)
{
    static const praas_win_flavor_t flavors[] = {
        PRAAS_WIN_FLAVOR_CREATE, PRAAS_WIN_FLAVOR_ALLOCATE, PRAAS_WIN_FLAVOR_SHARED,
        PRAAS_WIN_FLAVOR_DYNAMIC};
    rma_group_t g;
    int *dus, rc;

    if ((rc = pm_comm_private(c, &w->sync, call)))
        return rc;
    w->world = malloc(sizeof(int) * (size_t)c->size);
    w->dus = calloc((size_t)pm_world_size, sizeof(int));
    dus = malloc(sizeof(int) * (size_t)c->size);
    if (!w->world || !w->dus || !dus) {
        free(dus);
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory for a window");
    }
    memcpy(w->world, c->world, sizeof(int) * (size_t)c->size);
    g = (rma_group_t){.n = c->size, .ranks = w->world, .exchange = pm_win_exchange,
                      .arg = w->sync};
    rc = rma_win_new_group(&g, flavors[how], base, (size_t)size, disp_unit, &w->pw);
    if (rc) {
        free(dus);
        return pm_praas_comm(c->handle, rc, PM_CTX_WIN, call);
    }
    if (how == PM_MK_ALLOCATE || how == PM_MK_SHARED)
        praas_win_base(w->pw, mem_p);
    /* Every member's disp_unit, by world rank (praas's targets). */
    rc = pm_win_exchange(w->sync, &disp_unit, sizeof(int), dus);
    for (int r = 0; r < c->size && !rc; r++)
        w->dus[c->world[r]] = dus[r];
    free(dus);
    if (rc) {
        praas_win_free(&w->pw);
        return pm_praas_comm(c->handle, rc, PM_CTX_WIN, call);
    }
    return MPI_SUCCESS;
}

static void pm_win_destroy(pm_win_t *w)
{
    if (w->info != MPI_INFO_NULL)
        PMPI_Info_free(&w->info);
    if (w->sync)
        pm_comm_unref(w->sync);
    pthread_mutex_destroy(&w->lock);
    free(w->world);
    free(w->dus);
    free(w);
}

static int pm_win_make(int how, void *base, MPI_Aint size, int disp_unit, MPI_Info info,
                       MPI_Comm comm, void *baseptr, MPI_Win *win, const char *call)
{
    pm_comm_t *c;
    pm_win_t *w;
    void *mem = base;
    int rc;

    PM_CHECK_INIT(call);
    c = pm_comm(comm);
    if (!c)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, call, "%#x is not a communicator",
                           (unsigned)comm);
    if (!win || (how != PM_MK_CREATE && how != PM_MK_DYNAMIC && !baseptr))
        return pm_err_comm(comm, MPI_ERR_ARG, call, "NULL output");
    if (size < 0)
        return pm_err_comm(comm, MPI_ERR_SIZE, call, "size %ld is negative", (long)size);
    if (disp_unit < 1)
        return pm_err_comm(comm, MPI_ERR_DISP, call, "disp_unit %d: it must be at least 1",
                           disp_unit);
    if (!pm_info_valid(info))
        return pm_err_comm(comm, MPI_ERR_INFO, call, "%#x is not an info object",
                           (unsigned)info);
    w = calloc(1, sizeof(*w));
    if (!w)
        return pm_err_comm(comm, MPI_ERR_NO_MEM, call, "no memory for a window");
    pthread_mutex_init(&w->lock, NULL);
    rc = pm_info_copy(info, &w->info);
    if (rc) {
        free(w);
        return pm_err_comm(comm, rc, call, "no memory");
    }
    if (how == PM_MK_DYNAMIC) {
        mem = MPI_BOTTOM;
        size = 0;
        disp_unit = 1;
    }
    if (!pm_comm_is_world(c)) {
        /* Collective over c's members: serialized like the collectives. */
        PM_LOCK(&pm_coll_lock);
        rc = pm_win_make_group(w, c, how, base, size, disp_unit, &mem, call);
        PM_UNLOCK(&pm_coll_lock);
        if (rc) {
            pm_win_destroy(w);
            return rc;
        }
        w->flavor = how == PM_MK_CREATE     ? MPI_WIN_FLAVOR_CREATE
                    : how == PM_MK_ALLOCATE ? MPI_WIN_FLAVOR_ALLOCATE
                    : how == PM_MK_SHARED   ? MPI_WIN_FLAVOR_SHARED
                                            : MPI_WIN_FLAVOR_DYNAMIC;
        goto made;
    }
    /* Window creation is collective: serialized like the collectives. */
    PM_LOCK(&pm_coll_lock);
    switch (how) {
    case PM_MK_CREATE:
        rc = praas_win_create(base, (size_t)size, disp_unit, &w->pw);
        w->flavor = MPI_WIN_FLAVOR_CREATE;
        break;
    case PM_MK_ALLOCATE:
        rc = praas_win_allocate((size_t)size, disp_unit, &mem, &w->pw);
        w->flavor = MPI_WIN_FLAVOR_ALLOCATE;
        break;
    case PM_MK_SHARED:
        rc = praas_win_allocate_shared((size_t)size, disp_unit, &mem, &w->pw);
        w->flavor = MPI_WIN_FLAVOR_SHARED;
        break;
    default:
        rc = praas_win_create_dynamic(&w->pw);
        w->flavor = MPI_WIN_FLAVOR_DYNAMIC;
        break;
    }
    /* Every rank's disp_unit, so that a derived target datatype can address
     * the bytes of its runs (praas takes displacements in disp_units). */
    if (!rc) {
        w->dus = malloc(sizeof(int) * (size_t)pm_world_size);
        if (!w->dus)
            rc = PRAAS_ERR_NOMEM;
        else if (pm_world_size == 1)
            w->dus[0] = disp_unit;
        else
            rc = praas_allgather(&disp_unit, 1, PRAAS_INT32, w->dus);
        if (rc)
            praas_win_free(&w->pw);
    }
    PM_UNLOCK(&pm_coll_lock);
    if (rc) {
        MPI_Info i = w->info;
        free(w->dus);
        if (i != MPI_INFO_NULL)
            PMPI_Info_free(&i);
        free(w);
        return pm_praas_comm(comm, rc, PM_CTX_WIN, call);
    }
made:
    w->nranks = c->size;
    w->model = MPI_WIN_UNIFIED;
    w->base = mem;
    w->size = size;
    w->disp_unit = disp_unit;
    w->errh = MPI_ERRORS_ARE_FATAL; /* MPI's default on windows, not the comm's */
    rc = pm_handle_new(PM_WIN, w, &w->handle);
    if (rc) {
        praas_win_free(&w->pw);
        pm_win_destroy(w);
        return pm_err_comm(comm, rc, call, "no memory for a handle");
    }
    if (baseptr)
        *(void **)baseptr = mem;
    *win = w->handle;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_create(void *base, MPI_Aint size, int disp_unit, MPI_Info info,
                             MPI_Comm comm, MPI_Win *win)
{
    return pm_win_make(PM_MK_CREATE, base, size, disp_unit, info, comm, NULL, win,
                       "MPI_Win_create");
}

PRAAS_API int MPI_Win_allocate(MPI_Aint size, int disp_unit, MPI_Info info, MPI_Comm comm,
                               void *baseptr, MPI_Win *win)
{
    return pm_win_make(PM_MK_ALLOCATE, NULL, size, disp_unit, info, comm, baseptr, win,
                       "MPI_Win_allocate");
}

PRAAS_API int MPI_Win_allocate_shared(MPI_Aint size, int disp_unit, MPI_Info info,
                                      MPI_Comm comm, void *baseptr, MPI_Win *win)
{
    return pm_win_make(PM_MK_SHARED, NULL, size, disp_unit, info, comm, baseptr, win,
                       "MPI_Win_allocate_shared");
}

PRAAS_API int MPI_Win_create_dynamic(MPI_Info info, MPI_Comm comm, MPI_Win *win)
{
    return pm_win_make(PM_MK_DYNAMIC, NULL, 0, 1, info, comm, NULL, win,
                       "MPI_Win_create_dynamic");
}

PRAAS_API int MPI_Win_shared_query(MPI_Win win, int rank, MPI_Aint *size, int *disp_unit,
                                   void *baseptr)
{
    size_t sz = 0;
    int du = 1, rc = 0;
    void *b = NULL;

    PM_GET_WIN(w, win, "MPI_Win_shared_query");
    if (!size || !disp_unit || !baseptr)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_shared_query", "NULL output");
    if (rank != MPI_PROC_NULL && (rank < 0 || rank >= w->nranks))
        return pm_err_win(win, MPI_ERR_RANK, "MPI_Win_shared_query",
                          "rank %d is not in the window's %d ranks", rank, w->nranks);
    PM_LOCK(&w->lock);
    if (rank != MPI_PROC_NULL) {
        rc = praas_win_shared_query(w->pw, pm_win_world(w, rank), &sz, &du, &b);
    } else {
        /* The lowest rank with memory. */
        for (int r = 0; r < w->nranks && !rc; r++) {
            rc = praas_win_shared_query(w->pw, pm_win_world(w, r), &sz, &du, &b);
            if (!rc && sz)
                break;
        }
    }
    PM_UNLOCK(&w->lock);
    if (rc)
        return pm_praas_win(win, rc, PM_CTX_WIN, "MPI_Win_shared_query");
    *size = (MPI_Aint)sz;
    *disp_unit = du;
    *(void **)baseptr = b;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_attach(MPI_Win win, void *base, MPI_Aint size)
{
    PM_GET_WIN(w, win, "MPI_Win_attach");
    if (w->flavor != MPI_WIN_FLAVOR_DYNAMIC)
        return pm_err_win(win, MPI_ERR_RMA_FLAVOR, "MPI_Win_attach",
                          "the window was not created by MPI_Win_create_dynamic");
    if (size < 0)
        return pm_err_win(win, MPI_ERR_SIZE, "MPI_Win_attach", "size %ld", (long)size);
    PM_WIN_DO(w, "MPI_Win_attach", praas_win_attach(w->pw, base, (size_t)size));
}

PRAAS_API int MPI_Win_detach(MPI_Win win, const void *base)
{
    PM_GET_WIN(w, win, "MPI_Win_detach");
    if (w->flavor != MPI_WIN_FLAVOR_DYNAMIC)
        return pm_err_win(win, MPI_ERR_RMA_FLAVOR, "MPI_Win_detach",
                          "the window was not created by MPI_Win_create_dynamic");
    PM_WIN_DO(w, "MPI_Win_detach", praas_win_detach(w->pw, base));
}

PRAAS_API int MPI_Win_free(MPI_Win *win)
{
    pm_win_t *w;
    int rc;

    PM_CHECK_INIT("MPI_Win_free");
    w = win ? pm_win(*win) : NULL;
    if (!w)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_WIN, "MPI_Win_free", "not a window");
    PM_LOCK(&pm_coll_lock);
    PM_LOCK(&w->lock);
    rc = praas_win_free(&w->pw);
    PM_UNLOCK(&w->lock);
    PM_UNLOCK(&pm_coll_lock);
    if (rc)
        return pm_praas_win(*win, rc, PM_CTX_RMA, "MPI_Win_free");
    pm_attrs_clear(&w->attrs, PM_WIN, w->handle);
    pm_errh_unref(w->errh);
    pm_handle_del(PM_WIN, w->handle);
    pm_win_destroy(w);
    *win = MPI_WIN_NULL;
    return MPI_SUCCESS;
}

/* ---- attributes, group, name, hints, error handler ---- */

PRAAS_API int MPI_Win_get_attr(MPI_Win win, int keyval, void *attribute_val, int *flag)
{
    PM_GET_WIN(w, win, "MPI_Win_get_attr");
    if (!attribute_val || !flag)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_get_attr", "NULL output");
    *flag = 1;
    switch (keyval) {
    case MPI_WIN_BASE: *(void **)attribute_val = w->base; return MPI_SUCCESS;
    case MPI_WIN_SIZE: *(MPI_Aint **)attribute_val = &w->size; return MPI_SUCCESS;
    case MPI_WIN_DISP_UNIT: *(int **)attribute_val = &w->disp_unit; return MPI_SUCCESS;
    case MPI_WIN_CREATE_FLAVOR: *(int **)attribute_val = &w->flavor; return MPI_SUCCESS;
    case MPI_WIN_MODEL: *(int **)attribute_val = &w->model; return MPI_SUCCESS;
    default: break;
    }
    {
        int rc = pm_attr_get(w->attrs, keyval, attribute_val, flag);
        (void)rc;
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_create_keyval(MPI_Win_copy_attr_function *copy_fn,
                                    MPI_Win_delete_attr_function *delete_fn, int *keyval,
                                    void *extra_state)
{
    return pm_keyval_create(PM_WIN, (void (*)(void))copy_fn, (void (*)(void))delete_fn,
                            extra_state, keyval, "MPI_Win_create_keyval");
}

PRAAS_API int MPI_Win_free_keyval(int *keyval)
{
    return pm_keyval_free(PM_WIN, keyval, "MPI_Win_free_keyval");
}

PRAAS_API int MPI_Win_set_attr(MPI_Win win, int keyval, void *attribute_val)
{
    PM_GET_WIN(w, win, "MPI_Win_set_attr");
    return pm_attr_set_call(&w->attrs, PM_WIN, win, keyval, attribute_val, "MPI_Win_set_attr");
}

PRAAS_API int MPI_Win_delete_attr(MPI_Win win, int keyval)
{
    PM_GET_WIN(w, win, "MPI_Win_delete_attr");
    return pm_attr_delete_call(&w->attrs, PM_WIN, win, keyval, "MPI_Win_delete_attr");
}

PRAAS_API int MPI_Win_get_group(MPI_Win win, MPI_Group *group)
{
    int rc;

    PM_GET_WIN(w, win, "MPI_Win_get_group");
    if (!group)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_get_group", "NULL output");
    rc = w->world ? pm_group_make(w->world, w->nranks, group) : pm_group_world(group);
    return rc ? pm_err_win(win, rc, "MPI_Win_get_group", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Win_set_name(MPI_Win win, const char *win_name)
{
    PM_GET_WIN(w, win, "MPI_Win_set_name");
    if (!win_name)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_set_name", "NULL name");
    snprintf(w->name, sizeof(w->name), "%s", win_name);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_get_name(MPI_Win win, char *win_name, int *resultlen)
{
    PM_GET_WIN(w, win, "MPI_Win_get_name");
    if (!win_name || !resultlen)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_get_name", "NULL output");
    pm_copy_name(win_name, w->name, resultlen);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_set_info(MPI_Win win, MPI_Info info)
{
    MPI_Info copy;
    int rc;

    PM_GET_WIN(w, win, "MPI_Win_set_info");
    if (!pm_info_valid(info))
        return pm_err_win(win, MPI_ERR_INFO, "MPI_Win_set_info", "not an info object");
    rc = pm_info_copy(info, &copy);
    if (rc)
        return pm_err_win(win, rc, "MPI_Win_set_info", "no memory");
    if (w->info != MPI_INFO_NULL)
        PMPI_Info_free(&w->info);
    w->info = copy;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_get_info(MPI_Win win, MPI_Info *info_used)
{
    int rc;

    PM_GET_WIN(w, win, "MPI_Win_get_info");
    if (!info_used)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_get_info", "NULL output");
    rc = w->info == MPI_INFO_NULL ? PMPI_Info_create(info_used)
                                  : pm_info_copy(w->info, info_used);
    return rc ? pm_err_win(win, rc, "MPI_Win_get_info", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Win_set_errhandler(MPI_Win win, MPI_Errhandler errhandler)
{
    MPI_Errhandler old;

    PM_GET_WIN(w, win, "MPI_Win_set_errhandler");
    if (!pm_errh_fits(errhandler, 1))
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_set_errhandler",
                          "not an error handler for windows");
    pm_errh_ref(errhandler);
    old = w->errh;
    w->errh = errhandler;
    pm_errh_unref(old);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_get_errhandler(MPI_Win win, MPI_Errhandler *errhandler)
{
    PM_GET_WIN(w, win, "MPI_Win_get_errhandler");
    if (!errhandler)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_get_errhandler", "NULL output");
    pm_errh_ref(w->errh);
    *errhandler = w->errh;
    return MPI_SUCCESS;
}

/* ---- synchronization ---- */

#define PM_MODES                                                                              \
    (MPI_MODE_NOCHECK | MPI_MODE_NOSTORE | MPI_MODE_NOPUT | MPI_MODE_NOPRECEDE |              \
     MPI_MODE_NOSUCCEED)

/* praas's assertion bits for MPI's, or -1 for unknown bits. */
static int pm_assert(int a)
{
    if (a & ~PM_MODES)
        return -1;
    return (a & MPI_MODE_NOCHECK ? PRAAS_MODE_NOCHECK : 0) |
           (a & MPI_MODE_NOSTORE ? PRAAS_MODE_NOSTORE : 0) |
           (a & MPI_MODE_NOPUT ? PRAAS_MODE_NOPUT : 0) |
           (a & MPI_MODE_NOPRECEDE ? PRAAS_MODE_NOPRECEDE : 0) |
           (a & MPI_MODE_NOSUCCEED ? PRAAS_MODE_NOSUCCEED : 0);
}

#define PM_GET_ASSERT(pa, w, assert, call)                                                    \
    int pa = pm_assert(assert);                                                               \
    if (pa < 0)                                                                               \
    return pm_err_win((w)->handle, MPI_ERR_ASSERT, call, "unknown assertion bits %#x",        \
                      (unsigned)(assert))

#define PM_CHECK_RANK(w, rank, call)                                                          \
    do {                                                                                      \
        if ((rank) < 0 || (rank) >= (w)->nranks)                                              \
            return pm_err_win((w)->handle, MPI_ERR_RANK, call,                                \
                              "rank %d is not in the window's %d ranks", rank, (w)->nranks);  \
    } while (0)

PRAAS_API int MPI_Win_fence(int assert, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_fence");
    PM_GET_ASSERT(pa, w, assert, "MPI_Win_fence");
    PM_WIN_DO(w, "MPI_Win_fence", praas_win_fence(pa, w->pw));
}

/* The window ranks (world ranks) of a group's members. */
static int pm_group_ranks(pm_win_t *w, MPI_Group group, const int **ranks_p, int *n_p,
                          const char *call)
{
    pm_group_t *g = pm_group(group);

    if (!g)
        return pm_err_win(w->handle, MPI_ERR_GROUP, call, "%#x is not a group",
                          (unsigned)group);
    *ranks_p = g->ranks;
    *n_p = g->size;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_post(MPI_Group group, int assert, MPI_Win win)
{
    const int *ranks = NULL;
    int n = 0, rc;

    PM_GET_WIN(w, win, "MPI_Win_post");
    PM_GET_ASSERT(pa, w, assert, "MPI_Win_post");
    if ((rc = pm_group_ranks(w, group, &ranks, &n, "MPI_Win_post")))
        return rc;
    PM_WIN_DO(w, "MPI_Win_post", praas_win_post(ranks, n, pa, w->pw));
}

PRAAS_API int MPI_Win_start(MPI_Group group, int assert, MPI_Win win)
{
    const int *ranks = NULL;
    int n = 0, rc;

    PM_GET_WIN(w, win, "MPI_Win_start");
    PM_GET_ASSERT(pa, w, assert, "MPI_Win_start");
    if ((rc = pm_group_ranks(w, group, &ranks, &n, "MPI_Win_start")))
        return rc;
    PM_WIN_DO(w, "MPI_Win_start", praas_win_start(ranks, n, pa, w->pw));
}

PRAAS_API int MPI_Win_complete(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_complete");
    PM_WIN_DO(w, "MPI_Win_complete", praas_win_complete(w->pw));
}

PRAAS_API int MPI_Win_wait(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_wait");
    PM_WIN_DO(w, "MPI_Win_wait", praas_win_wait(w->pw));
}

PRAAS_API int MPI_Win_test(MPI_Win win, int *flag)
{
    PM_GET_WIN(w, win, "MPI_Win_test");
    if (!flag)
        return pm_err_win(win, MPI_ERR_ARG, "MPI_Win_test", "NULL flag");
    PM_WIN_DO(w, "MPI_Win_test", praas_win_test(w->pw, flag));
}

PRAAS_API int MPI_Win_lock(int lock_type, int rank, int assert, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_lock");
    PM_GET_ASSERT(pa, w, assert, "MPI_Win_lock");
    if (lock_type != MPI_LOCK_EXCLUSIVE && lock_type != MPI_LOCK_SHARED)
        return pm_err_win(win, MPI_ERR_LOCKTYPE, "MPI_Win_lock",
                          "lock type %d: use MPI_LOCK_EXCLUSIVE or MPI_LOCK_SHARED",
                          lock_type);
    if (rank == MPI_PROC_NULL)
        return MPI_SUCCESS;
    PM_CHECK_RANK(w, rank, "MPI_Win_lock");
    PM_WIN_DO(w, "MPI_Win_lock",
              praas_win_lock(lock_type == MPI_LOCK_EXCLUSIVE ? PRAAS_LOCK_EXCLUSIVE
                                                             : PRAAS_LOCK_SHARED,
                             pm_win_world(w, rank), pa, w->pw));
}

PRAAS_API int MPI_Win_unlock(int rank, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_unlock");
    if (rank == MPI_PROC_NULL)
        return MPI_SUCCESS;
    PM_CHECK_RANK(w, rank, "MPI_Win_unlock");
    PM_WIN_DO(w, "MPI_Win_unlock", praas_win_unlock(pm_win_world(w, rank), w->pw));
}

PRAAS_API int MPI_Win_lock_all(int assert, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_lock_all");
    PM_GET_ASSERT(pa, w, assert, "MPI_Win_lock_all");
    PM_WIN_DO(w, "MPI_Win_lock_all", praas_win_lock_all(pa, w->pw));
}

PRAAS_API int MPI_Win_unlock_all(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_unlock_all");
    PM_WIN_DO(w, "MPI_Win_unlock_all", praas_win_unlock_all(w->pw));
}

PRAAS_API int MPI_Win_flush(int rank, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_flush");
    if (rank == MPI_PROC_NULL)
        return MPI_SUCCESS;
    PM_CHECK_RANK(w, rank, "MPI_Win_flush");
    PM_WIN_DO(w, "MPI_Win_flush", praas_win_flush(pm_win_world(w, rank), w->pw));
}

PRAAS_API int MPI_Win_flush_all(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_flush_all");
    PM_WIN_DO(w, "MPI_Win_flush_all", praas_win_flush_all(w->pw));
}

PRAAS_API int MPI_Win_flush_local(int rank, MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_flush_local");
    if (rank == MPI_PROC_NULL)
        return MPI_SUCCESS;
    PM_CHECK_RANK(w, rank, "MPI_Win_flush_local");
    PM_WIN_DO(w, "MPI_Win_flush_local",
              praas_win_flush_local(pm_win_world(w, rank), w->pw));
}

PRAAS_API int MPI_Win_flush_local_all(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_flush_local_all");
    PM_WIN_DO(w, "MPI_Win_flush_local_all", praas_win_flush_local_all(w->pw));
}

PRAAS_API int MPI_Win_sync(MPI_Win win)
{
    PM_GET_WIN(w, win, "MPI_Win_sync");
    PM_WIN_DO(w, "MPI_Win_sync", praas_win_sync(w->pw));
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Win_create)
PM_PMPI(MPI_Win_allocate)
PM_PMPI(MPI_Win_allocate_shared)
PM_PMPI(MPI_Win_create_dynamic)
PM_PMPI(MPI_Win_shared_query)
PM_PMPI(MPI_Win_attach)
PM_PMPI(MPI_Win_detach)
PM_PMPI(MPI_Win_free)
PM_PMPI(MPI_Win_get_attr)
PM_PMPI(MPI_Win_create_keyval)
PM_PMPI(MPI_Win_free_keyval)
PM_PMPI(MPI_Win_set_attr)
PM_PMPI(MPI_Win_delete_attr)
PM_PMPI(MPI_Win_get_group)
PM_PMPI(MPI_Win_set_name)
PM_PMPI(MPI_Win_get_name)
PM_PMPI(MPI_Win_set_info)
PM_PMPI(MPI_Win_get_info)
PM_PMPI(MPI_Win_set_errhandler)
PM_PMPI(MPI_Win_get_errhandler)
PM_PMPI(MPI_Win_fence)
PM_PMPI(MPI_Win_post)
PM_PMPI(MPI_Win_start)
PM_PMPI(MPI_Win_complete)
PM_PMPI(MPI_Win_wait)
PM_PMPI(MPI_Win_test)
PM_PMPI(MPI_Win_lock)
PM_PMPI(MPI_Win_unlock)
PM_PMPI(MPI_Win_lock_all)
PM_PMPI(MPI_Win_unlock_all)
PM_PMPI(MPI_Win_flush)
PM_PMPI(MPI_Win_flush_all)
PM_PMPI(MPI_Win_flush_local)
PM_PMPI(MPI_Win_flush_local_all)
PM_PMPI(MPI_Win_sync)
