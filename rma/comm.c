/*
 * Communication calls: put, get and the accumulate family, plain and
 * request-based. Each checks its arguments and the epoch first, so a
 * rejected call changes nothing, then takes the window's path (rma.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "rma/rma.h"

/* The control block, striped accumulate locks included, fits in its page. */
_Static_assert(sizeof(rma_ctl_t) <= RMA_CTL_SIZE, "rma_ctl_t fits in RMA_CTL_SIZE");

int rma_check_access(praas_win_t win, int target, const char *what)
{
    rma_target_t *t = &win->targets[target];

    if (win->access == RMA_ACCESS_FENCE || win->access == RMA_ACCESS_LOCK_ALL ||
        t->lock_type || (win->access == RMA_ACCESS_PSCW && t->in_start))
        return 0;
    if (win->access == RMA_ACCESS_PSCW)
        return core_err(PRAAS_ERR_STATE,
                        "%s to rank %d of %s: the rank is not in the group of praas_win_start",
                        what, target, rma_win_name(win));
    return core_err(PRAAS_ERR_STATE,
                    "%s to rank %d of %s outside an access epoch (no fence, start or lock "
                    "covers it)",
                    what, target, rma_win_name(win));
}

/* Validate an operation and compute the byte offset of its target. buf is
 * the origin buffer, which must not be NULL when there are elements to
 * move (pass a non-NULL dummy for calls that read none, such as NO_OP). */
static int rma_check_op(praas_win_t win, const void *buf, size_t count, praas_type_t type,
                        int target, size_t disp, const char *what, uint64_t *offset_p)
{
    size_t tsize, bytes, off;
    rma_target_t *t;

    if (!win)
        return core_err(PRAAS_ERR_INVALID, "%s: no window", what);
    if (target < 0 || target >= win->size)
        return core_err(PRAAS_ERR_RANGE, "%s to rank %d: %s has ranks 0 to %d", what, target,
                        rma_win_name(win), win->size - 1);
    tsize = praas_type_size(type);
    if (!tsize)
        return core_err(PRAAS_ERR_INVALID, "%s: %d is not a praas type", what, (int)type);
    if (count && !buf)
        return core_err(PRAAS_ERR_INVALID, "%s of %zu elements from a NULL buffer", what, count);
    t = &win->targets[target];
    /* Overflow checks without a division (tens of cycles each, on the
     * path of every 8-byte operation). */
    if (__builtin_mul_overflow(count, tsize, &bytes) ||
        __builtin_mul_overflow(disp, (size_t)t->disp_unit, &off))
        return core_err(PRAAS_ERR_RANGE, "%s: count %zu or displacement %zu overflows", what,
                        count, disp);
    /* A dynamic window's displacement is an address at the target, which
     * checks it against its attached regions. */
    if (win->flavor == PRAAS_WIN_FLAVOR_DYNAMIC) {
        if (off + bytes < off)
            return core_err(PRAAS_ERR_RANGE, "%s: address %zu + %zu bytes overflows", what, off,
                            bytes);
    } else if (off > t->size || bytes > t->size - off)
        return core_err(PRAAS_ERR_RANGE,
                        "%s: displacement %zu (byte %zu) + %zu bytes is past the end of %s "
                        "(%zu bytes) at rank %d",
                        what, disp, off, bytes, rma_win_name(win), t->size, target);
    *offset_p = off;
    return rma_check_access(win, target, what);
}

/* The fast path's checks: those of rma_check_op and rma_check_access,
 * inline, for bytes at displacement disp of target of a created or
 * allocated (not dynamic) window in an open access epoch, the common case
 * of the latency-bound calls (a few function calls and their prologues are
 * a sizeable part of an 8-byte put's or fetch_and_op's ~50 ns). The target
 * and the byte offset, or NULL: then the general path decides, and names
 * the problem if there is one. */
static inline rma_target_t *rma_fast_target(praas_win_t win, int target, size_t disp,
                                            size_t bytes, size_t *off_p)
{
    rma_target_t *t;
    size_t off;

    if (!win || win->flavor == PRAAS_WIN_FLAVOR_DYNAMIC ||
        (unsigned)target >= (unsigned)win->size)
        return NULL;
    t = &win->targets[target];
    if (__builtin_mul_overflow(disp, (size_t)t->disp_unit, &off) || off > t->size ||
        t->size - off < bytes)
        return NULL;
    if (win->access == RMA_ACCESS_LOCK_ALL || win->access == RMA_ACCESS_FENCE ||
        t->lock_type || (win->access == RMA_ACCESS_PSCW && t->in_start)) {
        *off_p = off;
        return t;
    }
    return NULL;
}

/* The fast path of a shared-memory window: the address of the bytes, or
 * NULL. */
static inline unsigned char *rma_direct_at(praas_win_t win, int target, size_t disp,
                                           size_t bytes)
{
    rma_target_t *t;
    size_t off;

    if (!win || !win->direct || !(t = rma_fast_target(win, target, disp, bytes, &off)) ||
        !t->base)
        return NULL;
    return t->base + off;
}

/* The fast path of put and get (count elements of type from or to buf):
 * the target, with the bytes and their offset, or NULL. */
static inline rma_target_t *rma_fast_buf(praas_win_t win, int target, size_t disp,
                                         const void *buf, size_t count, praas_type_t type,
                                         size_t *bytes_p, size_t *off_p)
{
    size_t ts = rma_type_size(type);

    if (!buf || !ts || __builtin_mul_overflow(count, ts, bytes_p))
        return NULL;
    return rma_fast_target(win, target, disp, *bytes_p, off_p);
}

/* The same for one aligned 64-bit integer (fetch_and_op, compare_and_swap). */
static inline unsigned char *rma_direct_int64(praas_win_t win, int target, size_t disp,
                                              praas_type_t type)
{
    unsigned char *p;

    if (type != PRAAS_INT64 && type != PRAAS_UINT64)
        return NULL;
    p = rma_direct_at(win, target, disp, 8);
    return p && !((uintptr_t)p & 7) ? p : NULL;
}

/* The remote key and offset of byte `off` of target's window memory. */
static inline tp_rkey_t *rma_remote(praas_win_t win, int target, uint64_t off,
                                    uint64_t *roff_p)
{
    rma_target_t *t = &win->targets[target];

    if (t->data_rkey) {
        *roff_p = off;
        return t->data_rkey;
    }
    *roff_p = t->data_off + off;
    return t->rkey;
}

/* A get from a dynamic window: the target answers with the data. */
static int rma_get_dynamic(praas_win_t win, int target, uint64_t addr, void *origin,
                           size_t bytes, struct praas_request *req)
{
    struct praas_request *ireq = req;
    int rc;

    if (!ireq) {
        /* The answer handler fills origin and frees this one. */
        ireq = calloc(1, sizeof(*ireq));
        if (!ireq)
            return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
        ireq->win = win;
        ireq->target = target;
    }
    ireq->result = origin;
    rc = rma_am_send_op(win, target, RMA_AM_GET, PRAAS_OP_REPLACE, PRAAS_BYTE, addr, NULL, NULL,
                        bytes, ireq);
    if (rc && ireq != req)
        free(ireq);
    return rc;
}

/* comp completes transport puts; req (r* calls, or NULL) the messages of
 * dynamic windows. */
static int rma_put_common(const void *origin, size_t count, praas_type_t type, int target,
                          size_t disp, praas_win_t win, tp_comp_t *comp,
                          struct praas_request *req)
{
    uint64_t off, roff;
    size_t bytes;
    tp_rkey_t *rkey;
    int rc;

    rc = rma_check_op(win, origin, count, type, target, disp, "put", &off);
    if (rc || !count)
        return rc;
    bytes = count * praas_type_size(type);
    if (win->direct) {
        memcpy(win->targets[target].base + off, origin, bytes);
        return 0;
    }
    if (win->flavor == PRAAS_WIN_FLAVOR_DYNAMIC)
        return rma_am_send_op(win, target, RMA_AM_PUT, PRAAS_OP_REPLACE, PRAAS_BYTE, off, origin,
                              NULL, bytes, req);
    rkey = rma_remote(win, target, off, &roff);
    win->targets[target].dirty = 1;
    return tp_put(core_tp(), target, origin, bytes, rkey, roff, comp);
}

static int rma_get_common(void *origin, size_t count, praas_type_t type, int target,
                          size_t disp, praas_win_t win, tp_comp_t *comp,
                          struct praas_request *req)
{
    uint64_t off, roff;
    size_t bytes;
    tp_rkey_t *rkey;
    int rc;

    rc = rma_check_op(win, origin, count, type, target, disp, "get", &off);
    if (rc || !count)
        return rc;
    bytes = count * praas_type_size(type);
    if (win->direct) {
        memcpy(origin, win->targets[target].base + off, bytes);
        return 0;
    }
    if (win->flavor == PRAAS_WIN_FLAVOR_DYNAMIC)
        return rma_get_dynamic(win, target, off, origin, bytes, req);
    rkey = rma_remote(win, target, off, &roff);
    return tp_get(core_tp(), target, origin, bytes, rkey, roff, comp);
}

/* Accumulates need naturally aligned elements to be atomic with CPU
 * atomics (rma/op.h). */
static int rma_check_acc(praas_win_t win, int target, uint64_t off, praas_op_t op,
                         praas_type_t type, const char *what)
{
    size_t tsize = praas_type_size(type);

    if (PRAAS_UNLIKELY(!praas_op_valid(op, type)))
        return rma_op_check(op, type);
    /* The types that need alignment have sizes of 2, 4 and 8 bytes: a mask,
     * not a division, on the path of every fetch-and-op. */
    if ((off & (tsize - 1)) && rma_op_needs_alignment(type))
        return core_err(PRAAS_ERR_INVALID,
                        "%s: byte %llu of %s at rank %d is not aligned to the %zu bytes of %s",
                        what, (unsigned long long)off, rma_win_name(win), target, tsize,
                        praas_type_name(type));
    return 0;
}

/* The accumulate family. kind RMA_AM_ACC (result NULL) or RMA_AM_GACC.
 * req is the caller's request (r* calls) or NULL. */
static int rma_acc_common(const void *origin, void *result, size_t count, praas_type_t type,
                          int target, size_t disp, praas_op_t op, praas_win_t win,
                          enum rma_am_kind kind, struct praas_request *req, const char *what)
{
    struct praas_request *ireq = req;
    rma_target_t *t;
    uint64_t off;
    int rc;

    /* NO_OP reads no origin buffer: MPI programs may pass NULL for it. */
    rc = rma_check_op(win, op == PRAAS_OP_NO_OP ? (const void *)win : origin, count, type,
                      target, disp, what, &off);
    if (!rc && kind == RMA_AM_GACC && count && !result)
        rc = core_err(PRAAS_ERR_INVALID, "%s: NULL result buffer", what);
    if (!rc)
        rc = rma_check_acc(win, target, off, op, type, what);
    if (rc || !count)
        return rc;
    t = &win->targets[target];
    if (win->direct) {
        rma_op_apply_atomic(op, type, op == PRAAS_OP_NO_OP ? t->base + off : origin,
                            t->base + off, result, count, t->ctl->oplocks);
        return 0;
    }
    if (kind == RMA_AM_GACC && !req) {
        /* The answer handler fills result and frees this one. */
        ireq = calloc(1, sizeof(*ireq));
        if (!ireq)
            return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
        ireq->win = win;
        ireq->target = target;
    }
    if (ireq)
        ireq->result = result;
    rc = rma_am_send_op(win, target, kind, op, type, off, origin, NULL, count, ireq);
    if (rc && ireq != req)
        free(ireq);
    return rc;
}

PRAAS_API int praas_put(const void *origin, size_t count, praas_type_t type, int target,
                        size_t disp, praas_win_t win)
{
    size_t bytes, off;
    uint64_t roff;
    rma_target_t *t = rma_fast_buf(win, target, disp, origin, count, type, &bytes, &off);

    if (PRAAS_LIKELY(t)) {
        if (win->direct && t->base) {
            memcpy(t->base + off, origin, bytes);
            return 0;
        }
        if (!win->direct && bytes) {
            tp_rkey_t *rkey = rma_remote(win, target, off, &roff);
            t->dirty = 1;
            return tp_put(core_tp(), target, origin, bytes, rkey, roff, &win->comp);
        }
    }
    return rma_put_common(origin, count, type, target, disp, win, win ? &win->comp : NULL,
                          NULL);
}

PRAAS_API int praas_get(void *origin, size_t count, praas_type_t type, int target, size_t disp,
                        praas_win_t win)
{
    size_t bytes, off;
    uint64_t roff;
    rma_target_t *t = rma_fast_buf(win, target, disp, origin, count, type, &bytes, &off);

    if (PRAAS_LIKELY(t)) {
        if (win->direct && t->base) {
            memcpy(origin, t->base + off, bytes);
            return 0;
        }
        if (!win->direct && bytes) {
            tp_rkey_t *rkey = rma_remote(win, target, off, &roff);
            return tp_get(core_tp(), target, origin, bytes, rkey, roff, &win->comp);
        }
    }
    return rma_get_common(origin, count, type, target, disp, win, win ? &win->comp : NULL,
                          NULL);
}

PRAAS_API int praas_accumulate(const void *origin, size_t count, praas_type_t type, int target,
                               size_t disp, praas_op_t op, praas_win_t win)
{
    return rma_acc_common(origin, NULL, count, type, target, disp, op, win, RMA_AM_ACC, NULL,
                          "accumulate");
}

PRAAS_API int praas_get_accumulate(const void *origin, void *result, size_t count,
                                   praas_type_t type, int target, size_t disp, praas_op_t op,
                                   praas_win_t win)
{
    return rma_acc_common(origin, result, count, type, target, disp, op, win, RMA_AM_GACC,
                          NULL, "get_accumulate");
}

PRAAS_API int praas_fetch_and_op(const void *origin, void *result, praas_type_t type,
                                 int target, size_t disp, praas_op_t op, praas_win_t win)
{
    unsigned char *p = rma_direct_int64(win, target, disp, type);

    /* Every op but MINLOC and MAXLOC applies to the 64-bit integers. */
    if (PRAAS_LIKELY(p && result && (unsigned)op <= PRAAS_OP_NO_OP &&
                     (origin || op == PRAAS_OP_NO_OP))) {
        rma_op_apply_atomic(op, type, op == PRAAS_OP_NO_OP ? p : origin, p, result, 1,
                            win->targets[target].ctl->oplocks);
        return 0;
    }
    return rma_acc_common(origin, result, 1, type, target, disp, op, win, RMA_AM_GACC, NULL,
                          "fetch_and_op");
}

/* Compare-and-swap applies to the integer types and bytes, as in MPI. */
static int rma_cas_type_ok(praas_type_t type)
{
    return type <= PRAAS_UINT64 || type == PRAAS_BYTE || type == PRAAS_CHAR;
}

PRAAS_API int praas_compare_and_swap(const void *origin, const void *compare, void *result,
                                     praas_type_t type, int target, size_t disp,
                                     praas_win_t win)
{
    unsigned char *p = rma_direct_int64(win, target, disp, type);
    struct praas_request *req;
    rma_target_t *t;
    uint64_t off;
    int rc;

    if (PRAAS_LIKELY(p && origin && compare && result)) {
        rma_op_cas_atomic(type, origin, compare, p, result, win->targets[target].ctl->oplocks);
        return 0;
    }
    rc = rma_check_op(win, origin, 1, type, target, disp, "compare_and_swap", &off);
    if (rc)
        return rc;
    if (!compare || !result)
        return core_err(PRAAS_ERR_INVALID, "compare_and_swap: NULL compare or result buffer");
    if (!rma_cas_type_ok(type))
        return core_err(PRAAS_ERR_INVALID, "compare_and_swap does not apply to %s",
                        praas_type_name(type));
    rc = rma_check_acc(win, target, off, PRAAS_OP_REPLACE, type, "compare_and_swap");
    if (rc)
        return rc;
    t = &win->targets[target];
    if (win->direct) {
        rma_op_cas_atomic(type, origin, compare, t->base + off, result, t->ctl->oplocks);
        return 0;
    }
    req = calloc(1, sizeof(*req));
    if (!req)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
    req->win = win;
    req->target = target;
    req->result = result;
    rc = rma_am_send_op(win, target, RMA_AM_CAS, PRAAS_OP_REPLACE, type, off, origin, compare,
                        1, req);
    if (rc)
        free(req);
    return rc;
}

/* ---- requests ---- */

static int rma_req_new(praas_win_t win, int target, praas_request_t *req_p,
                       struct praas_request **req_out)
{
    struct praas_request *req;

    if (!req_p)
        return core_err(PRAAS_ERR_INVALID, "NULL request argument");
    req = calloc(1, sizeof(*req));
    if (!req)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
    req->win = win;
    req->target = target;
    req->owned = 1;
    tp_comp_init(&req->comp);
    *req_out = req;
    return 0;
}

/* Hand a request out, or free it if the call failed. */
static int rma_req_finish(int rc, struct praas_request *req, praas_request_t *req_p)
{
    if (rc) {
        free(req);
        return rc;
    }
    *req_p = req;
    return 0;
}

PRAAS_API int praas_rput(const void *origin, size_t count, praas_type_t type, int target,
                         size_t disp, praas_win_t win, praas_request_t *req_p)
{
    struct praas_request *req;
    int rc = rma_req_new(win, target, req_p, &req);

    if (rc)
        return rc;
    rc = rma_put_common(origin, count, type, target, disp, win, &req->comp, req);
    return rma_req_finish(rc, req, req_p);
}

PRAAS_API int praas_rget(void *origin, size_t count, praas_type_t type, int target,
                         size_t disp, praas_win_t win, praas_request_t *req_p)
{
    struct praas_request *req;
    int rc = rma_req_new(win, target, req_p, &req);

    if (rc)
        return rc;
    rc = rma_get_common(origin, count, type, target, disp, win, &req->comp, req);
    return rma_req_finish(rc, req, req_p);
}

PRAAS_API int praas_raccumulate(const void *origin, size_t count, praas_type_t type,
                                int target, size_t disp, praas_op_t op, praas_win_t win,
                                praas_request_t *req_p)
{
    struct praas_request *req;
    int rc = rma_req_new(win, target, req_p, &req);

    if (rc)
        return rc;
    rc = rma_acc_common(origin, NULL, count, type, target, disp, op, win, RMA_AM_ACC, req,
                        "raccumulate");
    return rma_req_finish(rc, req, req_p);
}

PRAAS_API int praas_rget_accumulate(const void *origin, void *result, size_t count,
                                    praas_type_t type, int target, size_t disp,
                                    praas_op_t op, praas_win_t win, praas_request_t *req_p)
{
    struct praas_request *req;
    int rc = rma_req_new(win, target, req_p, &req);

    if (rc)
        return rc;
    rc = rma_acc_common(origin, result, count, type, target, disp, op, win, RMA_AM_GACC, req,
                        "rget_accumulate");
    return rma_req_finish(rc, req, req_p);
}

static int rma_req_done(struct praas_request *req)
{
    return atomic_load_explicit(&req->comp.pending, memory_order_acquire) == 0 &&
           atomic_load_explicit(&req->replies, memory_order_acquire) == 0;
}

static int rma_req_free(praas_request_t *req_p)
{
    struct praas_request *req = *req_p;
    int rc = atomic_load(&req->status);

    if (!rc)
        rc = atomic_load(&req->comp.status);
    free(req);
    *req_p = PRAAS_REQUEST_NULL;
    return rc;
}

PRAAS_API int praas_request_test(praas_request_t *req_p, int *flag_p)
{
    if (!req_p || !flag_p)
        return core_err(PRAAS_ERR_INVALID, "praas_request_test: NULL argument");
    if (!*req_p) {
        *flag_p = 1;
        return 0;
    }
    if (!rma_req_done(*req_p)) {
        int rc = tp_progress(core_tp());
        if (rc < 0)
            return rc;
        if (!rma_req_done(*req_p)) {
            *flag_p = 0;
            return 0;
        }
    }
    *flag_p = 1;
    return rma_req_free(req_p);
}

PRAAS_API int praas_request_wait(praas_request_t *req_p)
{
    struct praas_request *req;
    int rc;

    if (!req_p)
        return core_err(PRAAS_ERR_INVALID, "praas_request_wait: NULL argument");
    req = *req_p;
    if (!req)
        return 0;
    rc = rma_wait_counter(&req->comp.pending, "a request's transfer", req->win);
    if (!rc)
        rc = rma_wait_counter(&req->replies, "a request's answer", req->win);
    if (rc)
        return rc;
    return rma_req_free(req_p);
}
