/*
 * The MPI environment: start-up and shutdown over praas_init and
 * praas_finalize, thread levels, clocks, versions, abort.
 *
 * Thread levels: praas itself lets different windows be used from
 * different threads at once, but serializes the calls on one window and
 * the collectives of a process (praas/rma.h, praas/coll.h). The layer
 * provides every level up to MPI_THREAD_MULTIPLE; at MULTIPLE it takes a
 * lock per window around praas's window calls and one lock around
 * collectives and window creation, so concurrent MPI calls are safe (calls
 * on one window then run one after another, including blocking ones).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi/pm.h"

int pm_state;
int pm_thread_level = MPI_THREAD_SINGLE;
int pm_world_rank, pm_world_size = 1;
pthread_mutex_t pm_coll_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_t pm_main_thread;
static struct timespec pm_t0;

static int pm_init(int required, int *provided, const char *call)
{
    int rc;

    if (pm_state)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_OTHER, call, "MPI is already %s",
                           pm_state == 1 ? "initialized" : "finalized");
    if (required < MPI_THREAD_SINGLE || required > MPI_THREAD_MULTIPLE)
        required = MPI_THREAD_MULTIPLE;
    pm_errh_init();
    pm_type_init();
    pm_op_init();
    rc = praas_init();
    if (rc) {
        fprintf(stderr, "praas MPI: %s: %s\n", call, praas_errmsg());
        pm_die(1);
    }
    praas_rank(&pm_world_rank);
    praas_size(&pm_world_size);
    pm_thread_level = required;
    pm_main_thread = pthread_self();
    clock_gettime(CLOCK_MONOTONIC, &pm_t0);
    rc = pm_info_init();
    if (!rc)
        rc = pm_comm_init();
    if (rc) {
        fprintf(stderr, "praas MPI: %s: no memory\n", call);
        pm_die(1);
    }
    rc = pm_p2p_init();
    if (rc) {
        fprintf(stderr, "praas MPI: %s: point-to-point set-up: %s\n", call, praas_errmsg());
        pm_die(1);
    }
    pm_state = 1;
    if (provided)
        *provided = required;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return pm_init(MPI_THREAD_SINGLE, NULL, "MPI_Init");
}

PRAAS_API int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    (void)argc;
    (void)argv;
    return pm_init(required, provided, "MPI_Init_thread");
}

PRAAS_API int MPI_Finalize(void)
{
    int rc;

    PM_CHECK_INIT("MPI_Finalize");
    /* Attributes on MPI_COMM_SELF are deleted first, so libraries can clean up. */
    pm_comm_fini();
    rc = praas_finalize();
    pm_p2p_fini();
    pm_state = 2;
    if (rc)
        return pm_praas_comm(MPI_COMM_WORLD, rc, PM_CTX_GENERIC, "MPI_Finalize");
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Initialized(int *flag)
{
    if (!flag)
        return MPI_ERR_ARG;
    *flag = pm_state != 0;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Finalized(int *flag)
{
    if (!flag)
        return MPI_ERR_ARG;
    *flag = pm_state == 2;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Abort(MPI_Comm comm, int errorcode)
{
    (void)comm; /* every communicator spans the world or this process: stop all */
    fprintf(stderr, "MPI_Abort on rank %d: code %d\n", pm_world_rank, errorcode);
    /* praas-run sees the failure and stops the other workers. */
    pm_die(errorcode);
}

PRAAS_API int MPI_Query_thread(int *provided)
{
    if (!provided)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Query_thread", "NULL output");
    *provided = pm_thread_level;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Is_thread_main(int *flag)
{
    PM_CHECK_INIT("MPI_Is_thread_main");
    if (!flag)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Is_thread_main", "NULL output");
    *flag = pthread_equal(pthread_self(), pm_main_thread) != 0;
    return MPI_SUCCESS;
}

/* Seconds on the monotonic clock, from MPI_Init (so small values keep
 * their precision in a double). Not synchronized between workers
 * (MPI_WTIME_IS_GLOBAL is 0). */
PRAAS_API double MPI_Wtime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - pm_t0.tv_sec) + (double)(ts.tv_nsec - pm_t0.tv_nsec) * 1e-9;
}

PRAAS_API double MPI_Wtick(void)
{
    struct timespec res;

    if (clock_getres(CLOCK_MONOTONIC, &res) || (res.tv_sec == 0 && res.tv_nsec == 0))
        return 1e-9;
    return (double)res.tv_sec + (double)res.tv_nsec * 1e-9;
}

PRAAS_API int MPI_Get_processor_name(char *name, int *resultlen)
{
    char host[MPI_MAX_PROCESSOR_NAME];

    if (!name || !resultlen)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_processor_name",
                           "NULL output");
    if (gethostname(host, sizeof(host)))
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    pm_copy_name(name, host, resultlen);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Get_version(int *version, int *subversion)
{
    if (!version || !subversion)
        return MPI_ERR_ARG;
    *version = MPI_VERSION;
    *subversion = MPI_SUBVERSION;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Get_library_version(char *version, int *resultlen)
{
    char text[MPI_MAX_LIBRARY_VERSION_STRING];

    if (!version || !resultlen)
        return MPI_ERR_ARG;
    snprintf(text, sizeof(text), "praas %s MPI compatibility", praas_version_string());
    pm_copy_name(version, text, resultlen);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Pcontrol(const int level, ...)
{
    (void)level; /* no profiling levels */
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr)
{
    void *p;

    (void)info;
    if (size < 0 || !baseptr)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Alloc_mem",
                           "size %ld or NULL output", (long)size);
    /* Page-aligned, so that windows over it can use whole pages. */
    if (posix_memalign(&p, 4096, size ? (size_t)size : 1))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, "MPI_Alloc_mem",
                           "cannot allocate %ld bytes", (long)size);
    *(void **)baseptr = p;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Free_mem(void *base)
{
    free(base);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Get_address(const void *location, MPI_Aint *address)
{
    if (!address)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Get_address", "NULL output");
    *address = (MPI_Aint)(uintptr_t)location;
    return MPI_SUCCESS;
}

PRAAS_API MPI_Aint MPI_Aint_add(MPI_Aint base, MPI_Aint disp)
{
    return (MPI_Aint)((uintptr_t)base + (uintptr_t)disp);
}

PRAAS_API MPI_Aint MPI_Aint_diff(MPI_Aint addr1, MPI_Aint addr2)
{
    return (MPI_Aint)((uintptr_t)addr1 - (uintptr_t)addr2);
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Init)
PM_PMPI(MPI_Init_thread)
PM_PMPI(MPI_Finalize)
PM_PMPI(MPI_Initialized)
PM_PMPI(MPI_Finalized)
PM_PMPI(MPI_Abort)
PM_PMPI(MPI_Query_thread)
PM_PMPI(MPI_Is_thread_main)
PM_PMPI(MPI_Wtime)
PM_PMPI(MPI_Wtick)
PM_PMPI(MPI_Get_processor_name)
PM_PMPI(MPI_Get_version)
PM_PMPI(MPI_Get_library_version)
PM_PMPI(MPI_Pcontrol)
PM_PMPI(MPI_Alloc_mem)
PM_PMPI(MPI_Free_mem)
PM_PMPI(MPI_Get_address)
PM_PMPI(MPI_Aint_add)
PM_PMPI(MPI_Aint_diff)
