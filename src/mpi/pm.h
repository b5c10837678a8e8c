/*
 * The MPI compatibility layer's private definitions: handle tables, the
 * objects behind MPI handles, error reporting, and the thread-safety
 * switches. Prefix pm_ ("praas MPI").
 *
 * The layer maps each MPI call onto the public praas API (praas.h) where
 * praas has the same thing (windows, the world's collectives); what praas
 * lacks (point-to-point, collectives of sub-communicators, non-blocking
 * collectives) runs on one engine over the core's active messages (p2p.c,
 * sched.c), and windows over a sub-communicator on rma's group windows.
 */
#ifndef PRAAS_MPI_PM_H
#define PRAAS_MPI_PM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>

#include <praas.h>

#include "core/common.h"
#include "praas/mpi/mpi.h"

/* ---- handles ----
 * A handle is (kind << 24) | index. Index 0 is the kind's NULL handle;
 * predefined objects sit at low indices; the table hands out the others. */
typedef enum pm_kind {
    PM_COMM = 0x0a,
    PM_GROUP = 0x0b,
    PM_TYPE = 0x0c,
    PM_OP = 0x0d,
    PM_WIN = 0x0e,
    PM_INFO = 0x0f,
    PM_ERRH = 0x10,
    PM_REQ = 0x11,
    PM_MSG = 0x12, /* matched-probe messages (MPI_MESSAGE_NULL is index 0) */
    PM_KEYVAL = 0x14,
} pm_kind_t;

#define PM_HANDLE(kind, index) ((int)(((unsigned)(kind) << 24) | (unsigned)(index)))
#define PM_KIND(h) ((int)(((unsigned)(h) >> 24) & 0xff))
#define PM_INDEX(h) ((int)((unsigned)(h)&0xffffff))

/* First index the tables hand out (below: predefined objects). */
#define PM_FIRST_DYNAMIC 64

/* Store obj under a new handle of kind. Returns 0 or MPI_ERR_NO_MEM.
 * Thread-safe. */
int pm_handle_new(pm_kind_t kind, void *obj, int *handle_p);
/* The object of a handle, NULL if the handle is not a live one of kind.
 * Predefined objects are registered with pm_handle_set. Thread-safe. */
void *pm_handle_get(pm_kind_t kind, int handle);
void pm_handle_set(pm_kind_t kind, int index, void *obj);
/* Forget a handle (the caller frees the object). */
void pm_handle_del(pm_kind_t kind, int handle);

/* ---- the profiling interface ----
 * Every MPI_ call is also exported as PMPI_, a weak alias of the same code
 * (each file ends with the list of its calls), so a tool can define its
 * own MPI_Send that counts and calls PMPI_Send: the program's definition
 * takes precedence over the library's. The layer's own calls between MPI
 * functions go through static helpers, so a tool sees only the user's. */
#define PM_PMPI(fn)                                                                           \
    extern __typeof__(fn) P##fn __attribute__((weak, alias(#fn), visibility("default")));

/* ---- state ---- */
extern int pm_state;         /* 0 before MPI_Init, 1 initialized, 2 finalized */
extern int pm_thread_level;  /* the level provided */
extern int pm_world_rank, pm_world_size;

/* Serialization for MPI_THREAD_MULTIPLE: praas allows one collective at a
 * time per process and one call at a time per window (praas/coll.h,
 * praas/rma.h); with MULTIPLE the layer takes these locks around them. */
extern pthread_mutex_t pm_coll_lock;
#define PM_LOCK(m)                                                                            \
    do {                                                                                      \
        if (pm_thread_level == MPI_THREAD_MULTIPLE)                                           \
            pthread_mutex_lock(m);                                                            \
    } while (0)
#define PM_UNLOCK(m)                                                                          \
    do {                                                                                      \
        if (pm_thread_level == MPI_THREAD_MULTIPLE)                                           \
            pthread_mutex_unlock(m);                                                          \
    } while (0)

/* ---- errors ----
 * A failing call builds a message ("MPI_Put: displacement ..."), gets an
 * error code carrying it and its class, and hands the code to the error
 * handler of the object the call is about: a communicator, a window, or
 * MPI_COMM_WORLD for calls about neither. The handler returns (ERRORS_RETURN,
 * a user function that returns) or ends the process (ERRORS_ARE_FATAL). */
typedef enum pm_ctx {
    PM_CTX_GENERIC,
    PM_CTX_RMA,  /* communication and synchronization on a window */
    PM_CTX_WIN,  /* window creation and attachment */
    PM_CTX_COLL, /* collectives */
} pm_ctx_t;

/* Raise an error of class cls on a communicator (comm) or window (win, when
 * not MPI_WIN_NULL). Returns the code to give back to the caller. */
int pm_err_comm(MPI_Comm comm, int cls, const char *call, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int pm_err_win(MPI_Win win, int cls, const char *call, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for a failed praas call (rc < 0): the class comes from rc and
 * ctx, the message from praas_errmsg(). */
int pm_praas_comm(MPI_Comm comm, int rc, pm_ctx_t ctx, const char *call);
int pm_praas_win(MPI_Win win, int rc, pm_ctx_t ctx, const char *call);
/* The MPI class for a praas error code in a context. */
int pm_class_of(int rc, pm_ctx_t ctx);
/* "MPI_ERR_RMA_RANGE" for a class. */
const char *pm_class_name(int cls);
/* Set up the predefined error handlers (env.c calls it). */
void pm_errh_init(void);
/* MPI_ERR_UNSUPPORTED_OPERATION: "MPI_Send is not supported by praas yet". */
int pm_unsupported(MPI_Comm comm, const char *call);
/* End the process as MPI_Abort does. */
void pm_die(int code) __attribute__((noreturn));

/* MPI_ERR_OTHER (through the world's handler) if MPI is not usable now. */
#define PM_CHECK_INIT(call)                                                                   \
    do {                                                                                      \
        if (PRAAS_UNLIKELY(pm_state != 1))                                                    \
            return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_OTHER, call, "called %s",              \
                               pm_state ? "after MPI_Finalize" : "before MPI_Init");          \
    } while (0)

/* The error handler object. */
typedef struct pm_errh {
    int refs;
    int for_win; /* 1: MPI_Win_errhandler_function */
    void (*fn)(void);
} pm_errh_t;
void pm_errh_ref(MPI_Errhandler h);
void pm_errh_unref(MPI_Errhandler h);

/* ---- attributes (attr.c) ----
 * kind is PM_COMM or PM_WIN, handle the communicator or window. */
typedef struct pm_attr {
    struct pm_attr *next;
    int keyval;
    void *val;
} pm_attr_t;
/* Run delete callbacks and free every attribute of an object. */
int pm_attrs_clear(pm_attr_t **list, int kind, int handle);
/* Set keyval's value; an MPI class on failure, raised on nothing. */
int pm_attr_set(pm_attr_t **list, int kind, int handle, int keyval, void *val,
                const char *call);
int pm_attr_get(pm_attr_t *list, int keyval, void *val_p, int *flag_p);
/* MPI_Comm_set_attr and MPI_Win_set_attr, MPI_Comm_delete_attr and
 * MPI_Win_delete_attr: a failure is raised on the object. */
int pm_attr_set_call(pm_attr_t **list, int kind, int handle, int keyval, void *val,
                     const char *call);
int pm_attr_delete_call(pm_attr_t **list, int kind, int handle, int keyval, const char *call);
/* MPI_*_create_keyval and MPI_*_free_keyval for kind, MPI usable or not. */
int pm_keyval_create(int kind, void (*copy)(void), void (*del)(void), void *extra,
                     int *keyval_p, const char *call);
int pm_keyval_free(int kind, int *keyval_p, const char *call);
/* Copy the attributes of communicator old (list from) to comm (list to)
 * through their copy callbacks. 0 or an MPI error raised on old. */
int pm_attrs_copy(pm_attr_t *from, MPI_Comm old, pm_attr_t **to, MPI_Comm comm,
                  const char *call);

/* ---- communicators and groups ---- */
typedef struct pm_group {
    int refs;
    int size;
    int *ranks; /* world ranks, in group order */
} pm_group_t;

typedef struct pm_comm {
    int handle;
    int32_t ctx; /* context id of its messages, agreed by its members at
                  * creation (comm.c), so communicators never share one */
    int world_like; /* the world's group in world order: windows and
                     * collectives map onto praas's own */
    int rank, size;
    int *world;     /* the world rank of each rank */
    atomic_uint coll_seq; /* collectives on the point-to-point engine started
                           * on it: the same count at every member, so
                           * seq is the tag that keeps instances apart */
    atomic_int refs;      /* the handle and every pending schedule */
    MPI_Errhandler errh;
    pm_attr_t *attrs;
    char name[MPI_MAX_OBJECT_NAME];
} pm_comm_t;

pm_comm_t *pm_comm(MPI_Comm comm);
/* The start of an MPI call about a communicator: MPI must be usable (else
 * the call returns MPI_ERR_OTHER) and comm a communicator (else it returns
 * MPI_ERR_COMM, raised on MPI_COMM_WORLD); declares c, its object. */
#define PM_GET_COMM(c, comm, call)                                                            \
    PM_CHECK_INIT(call);                                                                      \
    pm_comm_t *c = pm_comm(comm);                                                             \
    if (!c)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, call, "%#x is not a communicator",       \
                       (unsigned)(comm))
/* Whether a communicator's group is the world's (windows and collectives
 * map onto praas's world). */
static inline int pm_comm_is_world(const pm_comm_t *c)
{
    return c->world_like || pm_world_size == 1;
}
/* A reference for a pending operation; unref frees a communicator whose
 * handle was freed when the last reference goes. */
void pm_comm_ref(pm_comm_t *c);
void pm_comm_unref(pm_comm_t *c);
/* The tag of the next collective on c's point-to-point context. */
static inline int pm_coll_tag(pm_comm_t *c)
{
    return (int)(atomic_fetch_add(&c->coll_seq, 1) & 0x0fffffff);
}
/* Every member's len bytes (all[r * len] from rank r): praas_allgather on
 * a world-like communicator, the engine elsewhere. 0 or an MPI error
 * raised on c. */
int pm_comm_allgather(pm_comm_t *c, const void *mine, size_t len, void *all, const char *call);
/* A communicator without a handle over c's group, with a context id of
 * its own (collective over c): windows over a sub-communicator talk in
 * it. Freed with pm_comm_unref. 0 or an MPI error raised on c. */
int pm_comm_private(pm_comm_t *c, pm_comm_t **copy_p, const char *call);
pm_group_t *pm_group(MPI_Group g);
/* A new group handle over world ranks (copied). */
int pm_group_make(const int *ranks, int n, MPI_Group *group_p);
int pm_group_world(MPI_Group *group_p);
int pm_comm_init(void);
void pm_comm_fini(void);

/* ---- info ---- */
int pm_info_init(void);
/* A copy of info (MPI_INFO_NULL gives MPI_INFO_NULL). */
int pm_info_copy(MPI_Info info, MPI_Info *copy_p);
int pm_info_valid(MPI_Info info);

/* ---- datatypes ----
 * A type map is kept flat: one element of a type is a list of blocks, each
 * a run of consecutive praas elements of one praas type at a byte
 * displacement from the buffer (element i of a buffer starts at
 * i * extent). Adjacent blocks of one praas type are merged when a type is
 * built. The packed form of a buffer is its blocks' bytes one after the
 * other (praas elements as they are in memory, pair types with their
 * padding): that is what point-to-point messages carry, what MPI_Pack
 * writes and what the collectives move for non-contiguous types. */
typedef struct pm_blk {
    MPI_Aint disp;     /* bytes from the start of the element */
    size_t bytes;      /* a whole number of praas elements of base */
    praas_type_t base;
} pm_blk_t;

typedef struct pm_type {
    praas_type_t base; /* homogeneous: every block's praas type; else PRAAS_BYTE */
    size_t mult;       /* praas elements of base in one element (packed) */
    MPI_Count size;       /* MPI's size: bytes of data, gaps excluded */
    MPI_Aint lb;          /* lower bound */
    MPI_Aint extent;      /* bytes from one element to the next */
    MPI_Aint true_lb;     /* the first byte of data */
    MPI_Aint true_extent; /* bytes the data spans, trailing gap excluded */
    size_t psize;         /* packed bytes of one element (sum of the blocks) */
    size_t nblk;
    pm_blk_t *blk; /* the blocks of one element (blk1 for the predefined types) */
    pm_blk_t blk1;
    size_t align; /* the largest alignment of its praas types (struct padding) */
    int homog;    /* one praas type throughout */
    int dense;    /* count elements are count * psize bytes at buf: no packing */
    int predefined;
    int committed;
    int complex_; /* C complex: sum, replace and no-op only */
    int refs;     /* the handle and every pending request that uses the type */
    int combiner; /* MPI_COMBINER_* */
    MPI_Datatype handle;
    MPI_Datatype mpi_base; /* the predefined MPI type of base (MPI_BYTE if mixed) */
    char name[MPI_MAX_OBJECT_NAME];
} pm_type_t;

/* The type of a handle, NULL if it names none. */
pm_type_t *pm_type(MPI_Datatype dt);
/* A committed (or predefined) type: 0, or an MPI class with *why_p set. */
int pm_type_usable(MPI_Datatype dt, pm_type_t **t_p, const char **why_p);
/* The packed bytes of count elements of t (for a dense type: the bytes they
 * span in memory). */
static inline size_t pm_type_span(const pm_type_t *t, size_t count)
{
    return count * t->psize;
}
void pm_type_init(void);
/* A reference for a pending operation; unref frees a type whose handle
 * was freed when the last reference goes. Thread-safe. */
void pm_type_ref(pm_type_t *t);
void pm_type_unref(pm_type_t *t);
/* The number of basic elements in the first bytes of packed data of t
 * (MPI_Get_elements), MPI_UNDEFINED if bytes ends inside one. */
MPI_Count pm_type_elements(const pm_type_t *t, size_t bytes);

/* Walking the runs of count elements of a type: each run is contiguous
 * memory of one praas type. Runs that touch and share a praas type are
 * merged (a dense type is one run). */
typedef struct pm_cur {
    const pm_type_t *t;
    size_t count;
    size_t elem, blk; /* the current element and block */
    size_t done;      /* bytes of the current block already walked */
} pm_cur_t;
void pm_cur_init(pm_cur_t *c, const pm_type_t *t, size_t count);
/* The current run: its byte offset from the buffer, bytes and praas type.
 * Returns 0 when the walk is over. */
int pm_cur_run(pm_cur_t *c, MPI_Aint *off_p, size_t *len_p, praas_type_t *base_p);
/* Move bytes forward (at most the rest of the walk). */
void pm_cur_skip(pm_cur_t *c, size_t bytes);
/* Copy count elements of t at buf into out (packed), at most max bytes;
 * returns the bytes written. */
size_t pm_pack(const pm_type_t *t, size_t count, const void *buf, void *out, size_t max);
/* Copy len packed bytes from in into count elements of t at buf (len at
 * most count * psize). */
void pm_unpack(const pm_type_t *t, size_t count, void *buf, const void *in, size_t len);

/* ---- ops ---- */
typedef struct pm_op {
    MPI_User_function *fn; /* NULL for predefined */
    int commute;
    praas_op_t pop;
} pm_op_t;
pm_op_t *pm_op(MPI_Op op);
/* Whether op applies to t: 0 or MPI_ERR_OP with *why_p. */
int pm_op_check(const pm_op_t *o, const pm_type_t *t, int rma, const char **why_p);
void pm_op_init(void);

void pm_op_set_current(MPI_Datatype dt);

/* ---- windows and requests ---- */
typedef struct pm_win {
    MPI_Win handle;
    praas_win_t pw;
    pthread_mutex_t lock; /* serializes praas calls on pw (MPI_THREAD_MULTIPLE) */
    int nranks;           /* ranks of the window (its communicator's) */
    int *world;           /* world rank of each window rank (praas's windows
                           * take world ranks); NULL: the world's order */
    pm_comm_t *sync;      /* windows over a sub-communicator: a private
                           * communicator (own context) for rma's exchanges */
    int flavor;           /* MPI_WIN_FLAVOR_* */
    int model;            /* MPI_WIN_UNIFIED */
    void *base;           /* this rank's memory, as MPI_WIN_BASE gives it */
    MPI_Aint size;
    int disp_unit;
    int *dus; /* every world rank's disp_unit (derived target datatypes address bytes) */
    MPI_Errhandler errh;
    MPI_Info info; /* the hints set by the user, ignored */
    pm_attr_t *attrs;
    char name[MPI_MAX_OBJECT_NAME];
} pm_win_t;

pm_win_t *pm_win(MPI_Win win);
/* The same for a call about a window: declares w, or returns MPI_ERR_WIN. */
#define PM_GET_WIN(w, win, call)                                                              \
    PM_CHECK_INIT(call);                                                                      \
    pm_win_t *w = pm_win(win);                                                                \
    if (!w)                                                                                   \
    return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_WIN, call, "%#x is not a window",              \
                       (unsigned)(win))
/* The world rank (praas's target) of window rank r. */
static inline int pm_win_world(const pm_win_t *w, int r)
{
    return w->world ? w->world[r] : r;
}
MPI_Errhandler pm_win_errh(MPI_Win win);
int pm_errh_fits(MPI_Errhandler h, int is_win);

/* ---- requests ----
 * One object for every request: one-sided (one or several praas requests:
 * a derived datatype takes one per contiguous run) and point-to-point
 * (sends and receives of p2p.c). p2p requests are completed by the
 * matching engine, possibly in the progress thread: `done` is set last,
 * with release order, after the data and the status. */
typedef enum pm_req_kind {
    PM_REQ_RMA,
    PM_REQ_SEND,
    PM_REQ_RECV,
    PM_REQ_COLL,    /* a non-blocking collective: a schedule (sched.c) */
    PM_REQ_PERSIST, /* a persistent request: its current operation in `cur` */
} pm_req_kind_t;

typedef struct pm_sched pm_sched_t;

typedef struct pm_req {
    struct pm_req *next; /* in the engine's posted-receive or sync-send list */
    pm_req_kind_t kind;
    atomic_int done;
    int err; /* the MPI error code of a failed operation (already raised) */
    /* one-sided */
    praas_request_t pr; /* PRAAS_REQUEST_NULL once complete */
    praas_request_t *prs; /* more of them (a derived datatype), npr in all */
    size_t npr;
    MPI_Win win;
    /* point-to-point */
    MPI_Comm comm;
    int32_t ctx;
    int src, tag;         /* what a receive matches (MPI_ANY_* allowed) */
    void *buf;            /* receive buffer */
    size_t count;         /* receive count */
    pm_type_t *type;      /* receive type (a reference) */
    uint64_t sid;         /* a synchronous send waiting for its ack */
    int freed;            /* MPI_Request_free'd while active: the engine frees it */
    int st_source, st_tag, st_cancelled, st_err; /* the status (st_err: a class) */
    MPI_Count st_bytes;
    /* non-blocking collectives */
    pm_sched_t *sched;
    /* persistent: the arguments, and the operation of the last MPI_Start
     * (NULL: inactive) */
    struct pm_req *cur;
    int p_active; /* started and not yet completed by a wait or test */
    int p_send, p_mode, p_peer, p_tag;
    const void *p_buf;
    int p_count;
    MPI_Datatype p_dt;
} pm_req_t;

/* A request for a praas one-sided request (pr), or an already complete one
 * (pr == PRAAS_REQUEST_NULL, e.g. an operation to MPI_PROC_NULL). */
int pm_req_new(praas_request_t pr, MPI_Win win, MPI_Request *req_p);
/* A request over n praas requests (copied; n may be 0). */
int pm_req_new_multi(const praas_request_t *prs, size_t n, MPI_Win win, MPI_Request *req_p);
/* A handle for a p2p request made by the engine. */
int pm_req_handle(pm_req_t *r, MPI_Request *req_p);
/* Free a request object (its type reference too). */
void pm_req_destroy(pm_req_t *r);
/* Wait for a request without a handle (MPI_Recv, ...), write its status,
 * free it; returns its error code (raised already). */
int pm_req_complete(pm_req_t *r, MPI_Status *st, const char *call);

/* ---- point-to-point engine (p2p.c) ----
 * Messages are matched by (context, source, tag) in MPI's order; see
 * p2p.c. Context ids: PM_CTX_COLL marks the traffic of the collectives
 * built on point-to-point, so it never matches a user's receive. */
#define PM_CTX_SELF 0x20000000 /* ids of one-process communicators */
#define PM_CTX_COLL 0x40000000
/* Register the active-message handler and wait for every peer to do so
 * (MPI_Init); free what is left (MPI_Finalize, after praas_finalize). */
int pm_p2p_init(void);
void pm_p2p_fini(void);
/* The world rank of comm rank r. */
static inline int pm_comm_world_rank(const pm_comm_t *c, int r)
{
    return c->world[r];
}
/* Send len packed bytes to comm rank dest (not MPI_PROC_NULL) with ctx
 * (c->ctx, or c->ctx | PM_CTX_COLL). The data is copied before return; a
 * non-synchronous send is complete then (*req_p = NULL), a synchronous one
 * gives a request completed by the receiver's ack. Returns 0, a negative
 * praas error or MPI_ERR_NO_MEM. */
int pm_p2p_send(pm_comm_t *c, int32_t ctx, const void *data, size_t len, int dest, int tag,
                int sync, pm_req_t **req_p);
/* The same for count elements of t at buf (packed first if t is not dense). */
int pm_p2p_send_typed(pm_comm_t *c, int32_t ctx, const void *buf, size_t count, pm_type_t *t,
                      int dest, int tag, int sync, pm_req_t **req_p);
/* Post a receive (source may be MPI_ANY_SOURCE, tag MPI_ANY_TAG, not
 * MPI_PROC_NULL); *req_p completes when a message matches. */
int pm_p2p_recv(pm_comm_t *c, int32_t ctx, void *buf, size_t count, pm_type_t *t, int src,
                int tag, pm_req_t **req_p);
/* Wait for r to complete, making progress (no time limit: an MPI receive
 * may legitimately wait long; praas-run --timeout bounds a run). */
void pm_p2p_wait(pm_req_t *r);
/* Progress once; whether r is complete. */
int pm_p2p_test(pm_req_t *r);
/* Match an unexpected message without receiving it: 1 (and the status
 * fields) or 0; block: wait for one, making progress. */
int pm_p2p_probe(pm_comm_t *c, int32_t ctx, int src, int tag, int block, int *src_p,
                 int *tag_p, MPI_Count *bytes_p);
/* Progress the transport once (no lock held). */
void pm_p2p_progress(void);
/* Cancel a posted receive not matched yet: 1 if cancelled, 0 if too late
 * or not a receive. */
int pm_p2p_cancel(pm_req_t *r);
/* Release r after MPI_Request_free: now if complete, else when it is. */
void pm_p2p_release(pm_req_t *r);
/* Blocking helpers for the collectives built on point-to-point (ctx
 * c->ctx | PM_CTX_COLL, tag from pm_coll_tag). Return 0 or an MPI error
 * already raised on c. */
int pm_coll_sendrecv(pm_comm_t *c, int tag, const void *sbuf, size_t scount, pm_type_t *st,
                     int dest, void *rbuf, size_t rcount, pm_type_t *rt, int src,
                     const char *call);

/* Matched probe: take the first message matching (ctx, src, tag) out of
 * the unexpected list (block: wait for one). Returns it (an opaque pointer)
 * with its status fields, or NULL. */
void *pm_p2p_mprobe(pm_comm_t *c, int32_t ctx, int src, int tag, int block, int *src_p,
                    int *tag_p, MPI_Count *bytes_p);
/* Receive a message of pm_p2p_mprobe into a new receive request, complete
 * at once; frees the message. */
int pm_p2p_mrecv(pm_comm_t *c, void *msg, void *buf, size_t count, pm_type_t *t,
                 pm_req_t **req_p);

/* ---- schedules (sched.c): collectives on the point-to-point engine ----
 * A schedule is a list of steps run in order: sends, receives (posted),
 * local copies and reductions, and barriers that wait for every receive
 * posted before them. Blocking collectives on sub-communicators run one to
 * its end; non-blocking collectives hand one to a request, advanced by
 * MPI_Test and MPI_Wait. */
pm_sched_t *pm_sched_new(pm_comm_t *c);
void pm_sched_free(pm_sched_t *s);
/* Steps; each returns 0 or MPI_ERR_NO_MEM (remembered: pm_sched_start
 * fails then). Buffers must live until the schedule ends. */
int pm_sched_send(pm_sched_t *s, int peer, const void *buf, size_t count, pm_type_t *t);
int pm_sched_recv(pm_sched_t *s, int peer, void *buf, size_t count, pm_type_t *t);
int pm_sched_barrier(pm_sched_t *s);
/* dst = src, through the packed form (count elements of each type). */
int pm_sched_copy(pm_sched_t *s, const void *src, size_t scount, pm_type_t *st, void *dst,
                  size_t dcount, pm_type_t *dt);
/* inout = in OP inout on count elements of t (dense or packed). */
int pm_sched_op(pm_sched_t *s, const void *in, void *inout, size_t count, pm_type_t *t,
                pm_op_t *op);
/* A scratch buffer freed with the schedule (NULL: no memory). */
void *pm_sched_tmp(pm_sched_t *s, size_t bytes);
/* Advance: 1 done, 0 not yet; *err_p an MPI class on failure. */
int pm_sched_progress(pm_sched_t *s, int *err_p);
/* Run to the end and free; 0 or an MPI error raised on the communicator. */
int pm_sched_run(pm_sched_t *s, const char *call);
/* The same without raising: 0 or the MPI class of the failure. */
int pm_sched_finish(pm_sched_t *s);
/* A request for a started schedule (it owns it). */
int pm_sched_request(pm_sched_t *s, MPI_Request *req_p, const char *call);
/* Advance a collective request (block: to its end); whether it is done. */
int pm_sched_req_poll(pm_req_t *r, int block, const char *call);
/* pm_comm_allgather's exchange (comm.c) as steps of s on c: mine is copied
 * to its place in all, sent to every other member, and their bytes
 * received (n - 1 of each, then a barrier). Buffers live until s ends. */
void pm_sched_allgather(pm_sched_t *s, pm_comm_t *c, const void *mine, size_t len, void *all);

/* The collectives as schedules (nbcoll.c), for any communicator. Buffers
 * as MPI gives them (MPI_IN_PLACE included); arguments already checked. */
int pm_nb_barrier(pm_comm_t *c, pm_sched_t *s);
int pm_nb_bcast(pm_comm_t *c, pm_sched_t *s, void *buf, size_t count, pm_type_t *t, int root);
int pm_nb_reduce(pm_comm_t *c, pm_sched_t *s, int kind, const void *send, void *recv,
                 size_t count, pm_type_t *t, pm_op_t *o, int root);
int pm_nb_move(pm_comm_t *c, pm_sched_t *s, int kind, const void *send, size_t scount,
               pm_type_t *st, void *recv, size_t rcount, pm_type_t *rt, int root);
/* kinds of pm_nb_reduce and pm_nb_move (coll.c's) */
enum { PM_RED_REDUCE, PM_RED_ALLREDUCE, PM_RED_SCATTER_BLOCK };
enum { PM_MV_ALLGATHER, PM_MV_GATHER, PM_MV_SCATTER, PM_MV_ALLTOALL };

/* A label for messages: the type's name, or "a derived datatype". */
const char *pm_type_label(const pm_type_t *t);

/* Text helpers. */
void pm_copy_name(char *dst, const char *src, int *len_p);

#endif /* PRAAS_MPI_PM_H */
