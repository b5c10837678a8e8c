/*
 * One-sided communication: windows with MPI-3 RMA semantics.
 *
 * A window is a region of memory at every worker of the view, created
 * collectively; any worker reads and writes the others' regions with put,
 * get and the accumulate family inside an access epoch, opened and closed
 * by fence, post/start/complete/wait, or lock/unlock. The memory model is
 * MPI-3's unified model: after synchronization a worker's own loads see the
 * others' updates. Accumulates with the same op and type to the same element
 * are atomic element by element, also from many origins at once.
 *
 * Displacements are in units of the target's disp_unit, counts in elements
 * of the given type. Targets are ranks of the view. Every call returns 0 or a
 * negative PRAAS_ERR_*; a rejected call changes nothing, and praas_errmsg()
 * names the window, the rank and the numbers.
 *
 * Threads: calls on different windows may run in different threads at once;
 * calls on one window must not run concurrently (MPI_THREAD_SERIALIZED per
 * window), except that any thread may call praas_request_test/wait on its
 * own requests.
 */
#ifndef PRAAS_RMA_H
#define PRAAS_RMA_H

#include <stddef.h>

#include <praas/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct praas_win *praas_win_t;
typedef struct praas_request *praas_request_t;

#define PRAAS_WIN_NULL ((praas_win_t)0)
#define PRAAS_REQUEST_NULL ((praas_request_t)0)

/* How a window's memory came to be (praas_win_flavor). */
typedef enum praas_win_flavor {
    PRAAS_WIN_FLAVOR_CREATE = 1,   /* the caller's memory (praas_win_create) */
    PRAAS_WIN_FLAVOR_ALLOCATE = 2, /* allocated by the library */
    PRAAS_WIN_FLAVOR_SHARED = 3,   /* allocated, loads and stores from same-node peers */
    PRAAS_WIN_FLAVOR_DYNAMIC = 4,  /* memory attached and detached later */
} praas_win_flavor_t;

/* Assertions: hints that let synchronization skip work (MPI_MODE_*). */
enum {
    PRAAS_MODE_NOCHECK = 1,    /* lock: no conflicting lock is held; start: posts are done */
    PRAAS_MODE_NOSTORE = 2,    /* no local stores since the last synchronization */
    PRAAS_MODE_NOPUT = 4,      /* no puts or accumulates to this window until the next one */
    PRAAS_MODE_NOPRECEDE = 8,  /* fence: no RMA call precedes it (none to complete) */
    PRAAS_MODE_NOSUCCEED = 16, /* fence: no RMA call follows it (closes access) */
};

/* Lock types. */
enum { PRAAS_LOCK_EXCLUSIVE = 1, PRAAS_LOCK_SHARED = 2 };

/* ---- windows ---- */

/* Collectively create a window of size bytes at this worker, memory
 * allocated by the library (same-node peers reach it through shared
 * memory, with no system call); the base is written to *(void **)base_p.
 * disp_unit >= 1 scales displacements targeting this worker. */
int praas_win_allocate(size_t size, int disp_unit, void *base_p, praas_win_t *win_p);

/* As praas_win_allocate, and every same-node peer may load and store the
 * memory directly: praas_win_shared_query() gives its address. All workers
 * of the view must share a node (PRAAS_ERR_NOT_SUPPORTED otherwise). The
 * memory of all ranks is one contiguous block, rank 0's first. */
int praas_win_allocate_shared(size_t size, int disp_unit, void *base_p, praas_win_t *win_p);

/* The size, disp_unit and local address of rank's part of a shared (or
 * shared-memory allocated) window. PRAAS_ERR_NOT_SUPPORTED if that memory is
 * not mapped here. */
int praas_win_shared_query(praas_win_t win, int rank, size_t *size_p, int *disp_unit_p,
                           void *base_p);

/* Collectively create a window over the caller's memory [base, base+size).
 * The memory must stay valid until praas_win_free(). */
int praas_win_create(void *base, size_t size, int disp_unit, praas_win_t *win_p);

/* Collectively create a window with no memory; each worker then attaches
 * regions, and origins address them by their address at the target
 * (disp = (size_t)address, disp_unit 1). */
int praas_win_create_dynamic(praas_win_t *win_p);
int praas_win_attach(praas_win_t win, void *base, size_t size);
int praas_win_detach(praas_win_t win, const void *base);

/* Collectively free a window; sets *win_p to PRAAS_WIN_NULL. A fence epoch
 * is completed by the free; inside a lock, lock_all, start or post epoch it
 * fails with PRAAS_ERR_STATE and the window stays. */
int praas_win_free(praas_win_t *win_p);

/* Attributes of this worker's part of the window. */
int praas_win_base(praas_win_t win, void *base_p);
int praas_win_size(praas_win_t win, size_t *size_p);
int praas_win_disp_unit(praas_win_t win, int *disp_unit_p);
int praas_win_flavor(praas_win_t win, praas_win_flavor_t *flavor_p);
/* The workers of the window (the view's size at its creation). */
int praas_win_group_size(praas_win_t win, int *size_p);

/* ---- communication (inside an access epoch) ---- */

int praas_put(const void *origin, size_t count, praas_type_t type, int target, size_t disp,
              praas_win_t win);
int praas_get(void *origin, size_t count, praas_type_t type, int target, size_t disp,
              praas_win_t win);
int praas_accumulate(const void *origin, size_t count, praas_type_t type, int target,
                     size_t disp, praas_op_t op, praas_win_t win);
/* result receives the target's values before op was applied. */
int praas_get_accumulate(const void *origin, void *result, size_t count, praas_type_t type,
                         int target, size_t disp, praas_op_t op, praas_win_t win);
/* One element: result = target; target = target OP origin. */
int praas_fetch_and_op(const void *origin, void *result, praas_type_t type, int target,
                       size_t disp, praas_op_t op, praas_win_t win);
/* One element: result = target; if target == compare, target = origin. */
int praas_compare_and_swap(const void *origin, const void *compare, void *result,
                           praas_type_t type, int target, size_t disp, praas_win_t win);

/* Request-based variants: complete locally when the request does (the
 * origin buffer may be reused, the result holds the data); remote
 * completion still needs a flush or the end of the epoch. */
int praas_rput(const void *origin, size_t count, praas_type_t type, int target, size_t disp,
               praas_win_t win, praas_request_t *req_p);
int praas_rget(void *origin, size_t count, praas_type_t type, int target, size_t disp,
               praas_win_t win, praas_request_t *req_p);
int praas_raccumulate(const void *origin, size_t count, praas_type_t type, int target,
                      size_t disp, praas_op_t op, praas_win_t win, praas_request_t *req_p);
int praas_rget_accumulate(const void *origin, void *result, size_t count, praas_type_t type,
                          int target, size_t disp, praas_op_t op, praas_win_t win,
                          praas_request_t *req_p);

/* Wait for a request, free it, set *req_p to PRAAS_REQUEST_NULL; returns the
 * operation's status. PRAAS_ERR_TIMEOUT after PRAAS_OP_TIMEOUT (the request
 * stays valid). */
int praas_request_wait(praas_request_t *req_p);
/* *flag_p = 1 (and the request is freed as by wait) if it is complete, else 0. */
int praas_request_test(praas_request_t *req_p, int *flag_p);

/* ---- synchronization ---- */

/* Collective: completes every operation of the previous fence epoch (at
 * origin and target) and starts the next one. */
int praas_win_fence(int assert, praas_win_t win);

/* Exposure epoch for the origins in ranks[0..n) (post), ended by wait or a
 * successful test; access epoch to the targets in ranks[0..n) (start), ended
 * by complete. */
int praas_win_post(const int *ranks, int n, int assert, praas_win_t win);
int praas_win_start(const int *ranks, int n, int assert, praas_win_t win);
int praas_win_complete(praas_win_t win);
int praas_win_wait(praas_win_t win);
int praas_win_test(praas_win_t win, int *flag_p);

/* Passive target: the target does nothing (not even call praas). */
int praas_win_lock(int lock_type, int rank, int assert, praas_win_t win);
int praas_win_unlock(int rank, praas_win_t win);
int praas_win_lock_all(int assert, praas_win_t win);
int praas_win_unlock_all(praas_win_t win);

/* Complete the operations issued so far to rank (all ranks) at the target
 * (flush) or only at the origin (flush_local). */
int praas_win_flush(int rank, praas_win_t win);
int praas_win_flush_all(praas_win_t win);
int praas_win_flush_local(int rank, praas_win_t win);
int praas_win_flush_local_all(praas_win_t win);
/* Synchronize the private and public copies: a memory barrier here, since
 * the memory model is unified. */
int praas_win_sync(praas_win_t win);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_RMA_H */
