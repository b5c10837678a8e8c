/*
 * Errors: classes and their texts, error codes that carry a message, the
 * mapping from praas error codes, and error handlers on communicators and
 * windows.
 *
 * An error code returned by a call is either a class (no message) or
 * (serial << 7) | class, whose message (naming the call and the cause) sits
 * in a ring of the last PM_MSGS messages: MPI_Error_string gives it back
 * as long as it has not been overwritten, the class's text after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi/pm.h"

#define PM_CLASS_MAP(X)                                                                       \
    X(SUCCESS, "no error")                                                                    \
    X(ERR_BUFFER, "invalid buffer pointer")                                                   \
    X(ERR_COUNT, "invalid count")                                                             \
    X(ERR_TYPE, "invalid datatype")                                                           \
    X(ERR_TAG, "invalid tag")                                                                 \
    X(ERR_COMM, "invalid communicator")                                                       \
    X(ERR_RANK, "invalid rank")                                                               \
    X(ERR_REQUEST, "invalid request")                                                         \
    X(ERR_ROOT, "invalid root")                                                               \
    X(ERR_GROUP, "invalid group")                                                             \
    X(ERR_OP, "invalid reduction operation")                                                  \
    X(ERR_TOPOLOGY, "invalid topology")                                                       \
    X(ERR_DIMS, "invalid dimensions")                                                         \
    X(ERR_ARG, "invalid argument")                                                            \
    X(ERR_UNKNOWN, "unknown error")                                                           \
    X(ERR_TRUNCATE, "message truncated")                                                      \
    X(ERR_OTHER, "other error")                                                               \
    X(ERR_INTERN, "internal error")                                                           \
    X(ERR_PENDING, "request pending")                                                         \
    X(ERR_IN_STATUS, "error code in status")                                                  \
    X(ERR_ACCESS, "permission denied")                                                        \
    X(ERR_AMODE, "invalid file access mode")                                                  \
    X(ERR_ASSERT, "invalid assertion")                                                        \
    X(ERR_BAD_FILE, "invalid file name")                                                      \
    X(ERR_BASE, "invalid base")                                                               \
    X(ERR_CONVERSION, "data conversion error")                                                \
    X(ERR_DISP, "invalid displacement")                                                       \
    X(ERR_DUP_DATAREP, "data representation already defined")                                \
    X(ERR_FILE_EXISTS, "file exists")                                                         \
    X(ERR_FILE_IN_USE, "file in use")                                                         \
    X(ERR_FILE, "invalid file")                                                               \
    X(ERR_INFO_KEY, "info key too long")                                                      \
    X(ERR_INFO_NOKEY, "no such info key")                                                     \
    X(ERR_INFO_VALUE, "info value too long")                                                  \
    X(ERR_INFO, "invalid info object")                                                        \
    X(ERR_IO, "input/output error")                                                           \
    X(ERR_KEYVAL, "invalid attribute key")                                                    \
    X(ERR_LOCKTYPE, "invalid lock type")                                                      \
    X(ERR_NAME, "invalid service name")                                                       \
    X(ERR_NO_MEM, "out of memory")                                                            \
    X(ERR_NOT_SAME, "arguments differ between processes")                                     \
    X(ERR_NO_SPACE, "no space left")                                                          \
    X(ERR_NO_SUCH_FILE, "no such file")                                                       \
    X(ERR_PORT, "invalid port")                                                               \
    X(ERR_QUOTA, "quota exceeded")                                                            \
    X(ERR_READ_ONLY, "read-only file")                                                        \
    X(ERR_RMA_ATTACH, "memory cannot be attached to the window")                              \
    X(ERR_RMA_CONFLICT, "conflicting accesses to a window")                                   \
    X(ERR_RMA_RANGE, "target memory is outside the window")                                   \
    X(ERR_RMA_SHARED, "memory cannot be shared")                                              \
    X(ERR_RMA_SYNC, "wrong synchronization of one-sided calls")                               \
    X(ERR_RMA_FLAVOR, "wrong window flavor")                                                  \
    X(ERR_SERVICE, "invalid service")                                                         \
    X(ERR_SIZE, "invalid size")                                                               \
    X(ERR_SPAWN, "cannot spawn processes")                                                    \
    X(ERR_UNSUPPORTED_DATAREP, "unsupported data representation")                             \
    X(ERR_UNSUPPORTED_OPERATION, "operation not supported")                                   \
    X(ERR_WIN, "invalid window")

static const struct {
    int cls;
    const char *name, *text;
} pm_classes[] = {
#define PM_CLASS_ENTRY_(n, t) {MPI_##n, "MPI_" #n, t},
    PM_CLASS_MAP(PM_CLASS_ENTRY_)
#undef PM_CLASS_ENTRY_
};

#define PM_NCLASSES ((int)PRAAS_ARRAY_SIZE(pm_classes))
#define PM_MSGS 256
#define PM_SERIAL_MAX (1 << 22)

static struct {
    int serial;
    char text[MPI_MAX_ERROR_STRING];
} pm_msgs[PM_MSGS];
static int pm_msg_serial;
static pthread_mutex_t pm_msg_lock = PTHREAD_MUTEX_INITIALIZER;

const char *pm_class_name(int cls)
{
    for (int i = 0; i < PM_NCLASSES; i++)
        if (pm_classes[i].cls == cls)
            return pm_classes[i].name;
    return "MPI_ERR_UNKNOWN";
}

static const char *pm_class_text(int cls)
{
    for (int i = 0; i < PM_NCLASSES; i++)
        if (pm_classes[i].cls == cls)
            return pm_classes[i].text;
    return "unknown error";
}

/* A code carrying msg, or the bare class if the code space ran out. */
static int pm_code_new(int cls, const char *msg)
{
    int serial, slot;

    pthread_mutex_lock(&pm_msg_lock);
    if (++pm_msg_serial >= PM_SERIAL_MAX)
        pm_msg_serial = 1;
    serial = pm_msg_serial;
    slot = serial % PM_MSGS;
    pm_msgs[slot].serial = serial;
    snprintf(pm_msgs[slot].text, sizeof(pm_msgs[slot].text), "%s", msg);
    pthread_mutex_unlock(&pm_msg_lock);
    return (serial << 7) | cls;
}

static int pm_code_class(int code)
{
    return code < 128 ? code : code & 127;
}

int pm_class_of(int rc, pm_ctx_t ctx)
{
    switch (rc) {
    case 0:
        return MPI_SUCCESS;
    case PRAAS_ERR_INVALID:
        return MPI_ERR_ARG;
    case PRAAS_ERR_NOMEM:
        return MPI_ERR_NO_MEM;
    case PRAAS_ERR_NOT_SUPPORTED:
        return MPI_ERR_UNSUPPORTED_OPERATION;
    case PRAAS_ERR_STATE:
        /* Out of an epoch, or an epoch not closed. */
        return ctx == PM_CTX_RMA || ctx == PM_CTX_WIN ? MPI_ERR_RMA_SYNC : MPI_ERR_OTHER;
    case PRAAS_ERR_RANGE:
        /* The layer checks ranks and roots itself, so what praas finds out of
         * range is the target memory (or a count that overflows). */
        return ctx == PM_CTX_RMA || ctx == PM_CTX_WIN ? MPI_ERR_RMA_RANGE : MPI_ERR_ARG;
    case PRAAS_ERR_EXISTS:
    case PRAAS_ERR_NOT_FOUND:
        return ctx == PM_CTX_WIN || ctx == PM_CTX_RMA ? MPI_ERR_RMA_ATTACH : MPI_ERR_ARG;
    case PRAAS_ERR_IO:
        return MPI_ERR_IO;
    case PRAAS_ERR_INTERNAL:
        return MPI_ERR_INTERN;
    default: /* TIMEOUT, TRANSPORT, PROTOCOL, AGAIN, CONTROL, PEER, CANCELED */
        return MPI_ERR_OTHER;
    }
}

/* ---- handlers ---- */

static pm_errh_t pm_errh_fatal = {.refs = 1}, pm_errh_return = {.refs = 1};

void pm_errh_ref(MPI_Errhandler h)
{
    pm_errh_t *e = pm_handle_get(PM_ERRH, h);

    if (e)
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

void pm_errh_unref(MPI_Errhandler h)
{
    pm_errh_t *e = pm_handle_get(PM_ERRH, h);

    if (e && PM_INDEX(h) >= PM_FIRST_DYNAMIC &&
        __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        pm_handle_del(PM_ERRH, h);
        free(e);
    }
}

void pm_die(int code)
{
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

/* Hand code to the handler h installed on an object (is_win: a window). */
static int pm_invoke(MPI_Errhandler h, int is_win, int handle, int code, const char *msg)
{
    pm_errh_t *e;

    if (h == MPI_ERRORS_RETURN)
        return code;
    e = PM_INDEX(h) >= PM_FIRST_DYNAMIC ? pm_handle_get(PM_ERRH, h) : NULL;
    if (!e) {
        fprintf(stderr, "praas MPI: rank %d: %s (%s)\n", pm_world_rank, msg,
                pm_class_name(pm_code_class(code)));
        pm_die(pm_code_class(code));
    }
    if (e->for_win && is_win)
        ((MPI_Win_errhandler_function *)e->fn)(&handle, &code);
    else if (!e->for_win && !is_win)
        ((MPI_Comm_errhandler_function *)e->fn)(&handle, &code);
    return code;
}

static int pm_raise(int is_win, int handle, int cls, const char *msg)
{
    int code = pm_code_new(cls, msg);
    MPI_Errhandler h = MPI_ERRORS_ARE_FATAL;
    pm_comm_t *c;

    if (is_win) {
        h = pm_win_errh(handle);
        if (h == MPI_ERRHANDLER_NULL) { /* not a window: the world's handler */
            is_win = 0;
            handle = MPI_COMM_WORLD;
        }
    }
    if (!is_win) {
        c = pm_comm(handle);
        if (!c) {
            handle = MPI_COMM_WORLD;
            c = pm_comm(handle);
        }
        h = c ? c->errh : MPI_ERRORS_ARE_FATAL;
    }
    return pm_invoke(h, is_win, handle, code, msg);
}

static int pm_vraise(int is_win, int handle, int cls, const char *call, const char *fmt,
                     va_list ap)
{
    char msg[MPI_MAX_ERROR_STRING];
    int n = snprintf(msg, sizeof(msg), "%s: ", call);

    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    return pm_raise(is_win, handle, cls, msg);
}

int pm_err_comm(MPI_Comm comm, int cls, const char *call, const char *fmt, ...)
{
    va_list ap;
    int code;

    va_start(ap, fmt);
    code = pm_vraise(0, comm, cls, call, fmt, ap);
    va_end(ap);
    return code;
}

int pm_err_win(MPI_Win win, int cls, const char *call, const char *fmt, ...)
{
    va_list ap;
    int code;

    va_start(ap, fmt);
    code = pm_vraise(1, win, cls, call, fmt, ap);
    va_end(ap);
    return code;
}

static const char *pm_praas_text(int rc)
{
    const char *m = praas_errmsg();

    return m && *m ? m : praas_strerror(rc);
}

int pm_praas_comm(MPI_Comm comm, int rc, pm_ctx_t ctx, const char *call)
{
    return pm_err_comm(comm, pm_class_of(rc, ctx), call, "%s", pm_praas_text(rc));
}

int pm_praas_win(MPI_Win win, int rc, pm_ctx_t ctx, const char *call)
{
    return pm_err_win(win, pm_class_of(rc, ctx), call, "%s", pm_praas_text(rc));
}

void pm_errh_init(void)
{
    pm_handle_set(PM_ERRH, PM_INDEX(MPI_ERRORS_ARE_FATAL), &pm_errh_fatal);
    pm_handle_set(PM_ERRH, PM_INDEX(MPI_ERRORS_RETURN), &pm_errh_return);
}

/* ---- the MPI calls ---- */

PRAAS_API int MPI_Error_class(int errorcode, int *errorclass)
{
    int cls = pm_code_class(errorcode);

    if (errorcode < 0 || errorcode > MPI_ERR_LASTCODE || cls >= PM_NCLASSES)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Error_class",
                           "%d is not an error code", errorcode);
    if (!errorclass)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Error_class", "NULL output");
    *errorclass = cls;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Error_string(int errorcode, char *string, int *resultlen)
{
    int cls = pm_code_class(errorcode), serial = errorcode >> 7;
    char text[MPI_MAX_ERROR_STRING];

    if (errorcode < 0 || errorcode > MPI_ERR_LASTCODE || cls >= PM_NCLASSES)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Error_string",
                           "%d is not an error code", errorcode);
    if (!string || !resultlen)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Error_string", "NULL output");
    snprintf(text, sizeof(text), "%s: %s", pm_class_name(cls), pm_class_text(cls));
    if (serial) {
        pthread_mutex_lock(&pm_msg_lock);
        if (pm_msgs[serial % PM_MSGS].serial == serial)
            snprintf(text, sizeof(text), "%s", pm_msgs[serial % PM_MSGS].text);
        pthread_mutex_unlock(&pm_msg_lock);
    }
    pm_copy_name(string, text, resultlen);
    return MPI_SUCCESS;
}

static int pm_errh_create(void (*fn)(void), int for_win, MPI_Errhandler *errhandler,
                          const char *call)
{
    pm_errh_t *e;
    int rc;

    if (!fn || !errhandler)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, call, "NULL function or output");
    e = calloc(1, sizeof(*e));
    if (!e)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_NO_MEM, call, "no memory");
    *e = (pm_errh_t){.refs = 1, .for_win = for_win, .fn = fn};
    rc = pm_handle_new(PM_ERRH, e, errhandler);
    if (rc) {
        free(e);
        return pm_err_comm(MPI_COMM_WORLD, rc, call, "no memory for a handle");
    }
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_create_errhandler(MPI_Comm_errhandler_function *fn,
                                         MPI_Errhandler *errhandler)
{
    return pm_errh_create((void (*)(void))fn, 0, errhandler, "MPI_Comm_create_errhandler");
}

PRAAS_API int MPI_Win_create_errhandler(MPI_Win_errhandler_function *fn,
                                        MPI_Errhandler *errhandler)
{
    return pm_errh_create((void (*)(void))fn, 1, errhandler, "MPI_Win_create_errhandler");
}

PRAAS_API int MPI_Errhandler_free(MPI_Errhandler *errhandler)
{
    if (!errhandler || !pm_handle_get(PM_ERRH, *errhandler))
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Errhandler_free",
                           "not an error handler");
    pm_errh_unref(*errhandler);
    *errhandler = MPI_ERRHANDLER_NULL;
    return MPI_SUCCESS;
}

/* Whether h may be installed on a window (is_win) or a communicator. */
int pm_errh_fits(MPI_Errhandler h, int is_win)
{
    pm_errh_t *e = pm_handle_get(PM_ERRH, h);

    return e && (PM_INDEX(h) < PM_FIRST_DYNAMIC || e->for_win == is_win);
}

PRAAS_API int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler)
{
    pm_comm_t *c = pm_comm(comm);
    MPI_Errhandler old;

    if (!c)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_set_errhandler",
                           "not a communicator");
    if (!pm_errh_fits(errhandler, 0))
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_set_errhandler",
                           "not an error handler for communicators");
    pm_errh_ref(errhandler);
    old = c->errh;
    c->errh = errhandler;
    pm_errh_unref(old);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    pm_comm_t *c = pm_comm(comm);

    if (!c || !errhandler)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_get_errhandler",
                           "not a communicator, or NULL output");
    pm_errh_ref(c->errh);
    *errhandler = c->errh;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_call_errhandler(MPI_Comm comm, int errorcode)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len;
    pm_comm_t *c = pm_comm(comm);

    if (!c)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_call_errhandler",
                           "not a communicator");
    if (PMPI_Error_string(errorcode, msg, &len))
        snprintf(msg, sizeof(msg), "error code %d", errorcode);
    pm_invoke(c->errh, 0, comm, errorcode, msg);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Win_call_errhandler(MPI_Win win, int errorcode)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len;
    MPI_Errhandler h = pm_win_errh(win);

    if (h == MPI_ERRHANDLER_NULL)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_WIN, "MPI_Win_call_errhandler",
                           "not a window");
    if (PMPI_Error_string(errorcode, msg, &len))
        snprintf(msg, sizeof(msg), "error code %d", errorcode);
    pm_invoke(h, 1, win, errorcode, msg);
    return MPI_SUCCESS;
}

void pm_copy_name(char *dst, const char *src, int *len_p)
{
    size_t n = strlen(src);

    if (n > MPI_MAX_ERROR_STRING - 1)
        n = MPI_MAX_ERROR_STRING - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    if (len_p)
        *len_p = (int)n;
}

/* A call of mpi.h that praas does not provide yet (unsupported.c). */
int pm_unsupported(MPI_Comm comm, const char *call)
{
    char msg[MPI_MAX_ERROR_STRING];

    snprintf(msg, sizeof(msg), "%s is not supported by praas yet", call);
    return pm_raise(0, pm_comm(comm) ? comm : MPI_COMM_WORLD, MPI_ERR_UNSUPPORTED_OPERATION,
                    msg);
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Error_class)
PM_PMPI(MPI_Error_string)
PM_PMPI(MPI_Comm_create_errhandler)
PM_PMPI(MPI_Win_create_errhandler)
PM_PMPI(MPI_Errhandler_free)
PM_PMPI(MPI_Comm_set_errhandler)
PM_PMPI(MPI_Comm_get_errhandler)
PM_PMPI(MPI_Comm_call_errhandler)
PM_PMPI(MPI_Win_call_errhandler)
