/*
 * Accesses to objects: put, get (blocking and not), flush and the 64-bit
 * atomics. Every access is one transport operation to the owner found in
 * the location cache, also when the owner is this worker (the transport
 * connects a worker to itself), so that atomics from every worker, local
 * or remote, go through the same engine and are atomic with each other.
 * Every wait is bounded by PRAAS_OP_TIMEOUT.
 *
 * Every access runs through gm_access: it refreshes a stale location
 * first (a view change, or an owner found gone: the object is restored
 * from storage, or reported lost), holds the location for reading while
 * the operation is issued and waited for, and is counted by the view
 * (gm_view_enter) so that a view change can drain the accesses to the ranks
 * that go. An access that fails at the transport asks the directory
 * whether the owner is gone or moved; if so it refreshes the location and
 * runs once more, so the caller sees only the latency.
 */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "gmem/gmem.h"

static inline int gm_timeout(void)
{
    return (int)core_cfg()->op_timeout_ms;
}

/* Check the handle and that [offset, offset + len) lies in the object. */
static int gm_check(praas_obj_t obj, size_t offset, size_t len, const void *buf,
                    const char *call)
{
    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!obj)
        return core_err(PRAAS_ERR_INVALID, "%s: no handle", call);
    if (!buf && len)
        return core_err(PRAAS_ERR_INVALID, "%s: NULL buffer", call);
    if (offset > obj->loc->size || len > obj->loc->size - offset)
        return core_err(PRAAS_ERR_RANGE, "%s: offset %zu + %zu bytes is past the end of object "
                        "'%s' (%llu bytes) at rank %d", call, offset, len, obj->loc->name,
                        (unsigned long long)obj->loc->size, obj->loc->owner);
    return 0;
}

/* Errors worth asking the directory about: the transport's, not the
 * caller's. */
static int gm_retryable(int rc)
{
    return rc != PRAAS_ERR_RANGE && rc != PRAAS_ERR_INVALID && rc != PRAAS_ERR_STATE &&
           rc != PRAAS_ERR_NOMEM;
}

/* One operation, issued by fn with the owner and key of the moment. */
typedef int (*gm_issue_t)(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg);

static int gm_access(praas_obj_t obj, gm_issue_t fn, void *arg)
{
    gm_loc_t *loc = obj->loc;
    int retried = 0, owner, rc;

    for (;;) {
        /* A location found before the current view may point at a rank
         * that left (an open that raced with the change). */
        if (loc->view < gm_view_number())
            atomic_store(&loc->stale, 1);
        if (atomic_load(&loc->stale) && (rc = gm_loc_refresh(loc)) != 0)
            return rc;
        pthread_rwlock_rdlock(&loc->lock);
        if (atomic_load(&loc->stale)) {
            pthread_rwlock_unlock(&loc->lock);
            continue;
        }
        owner = loc->owner;
        rc = gm_view_enter(owner);
        if (rc) {
            pthread_rwlock_unlock(&loc->lock);
            if (rc != PRAAS_ERR_AGAIN)
                return rc;
            /* The owner left the view meanwhile: find where it went. */
            atomic_store(&loc->stale, 1);
            continue;
        }
        rc = fn(obj, owner, loc->rkey, arg);
        gm_view_exit(owner);
        pthread_rwlock_unlock(&loc->lock);
        if (!rc || retried || !gm_retryable(rc))
            return rc;
        retried = 1;
        if (!gm_loc_check(loc))
            return rc;
        core_log(CORE_LOG_INFO, "gmem: object '%s': rank %d is gone (%s); looking it up again",
                 loc->name, owner, praas_errmsg());
    }
}

/* A completion counter of one blocking access. One that timed out is left
 * to the transport (it may still complete the operation and write it), on
 * the list of orphans, freed once the transport is done with it. */
typedef struct gm_comp {
    tp_comp_t c; /* first: the access sees a tp_comp_t */
    struct gm_comp *next;
} gm_comp_t;

static pthread_mutex_t gm_orphan_lock = PTHREAD_MUTEX_INITIALIZER;
static gm_comp_t *gm_orphans;

tp_comp_t *gm_comp_new(void)
{
    gm_comp_t *gc = malloc(sizeof(*gc));

    if (!gc)
        return NULL;
    tp_comp_init(&gc->c);
    return &gc->c;
}

static void gm_comp_orphan(tp_comp_t *c)
{
    gm_comp_t *gc = (gm_comp_t *)c, **pp, *done = NULL;

    pthread_mutex_lock(&gm_orphan_lock);
    gc->next = gm_orphans;
    gm_orphans = gc;
    for (pp = &gm_orphans; *pp;) {
        gm_comp_t *o = *pp;
        if (atomic_load(&o->c.pending) <= 0) {
            *pp = o->next;
            o->next = done;
            done = o;
        } else {
            pp = &o->next;
        }
    }
    pthread_mutex_unlock(&gm_orphan_lock);
    while (done) {
        gm_comp_t *o = done;
        done = o->next;
        free(o);
    }
}

void gm_comp_release(tp_comp_t *c)
{
    if (!c)
        return;
    if (atomic_load(&c->pending) > 0)
        gm_comp_orphan(c);
    else
        free((gm_comp_t *)c);
}

/* Wait for the operations counted on a completion of our own, in slices:
 * between two, an owner reported dead (a view change with it failed) ends
 * the wait at once instead of at PRAAS_OP_TIMEOUT. */
#define GM_WAIT_SLICE_MS 20

static int gm_wait(praas_obj_t obj, int owner, tp_comp_t *c, int rc, int flush)
{
    uint64_t deadline = core_deadline(gm_timeout());

    while (!rc) {
        rc = tp_comp_wait(core_tp(), c, GM_WAIT_SLICE_MS);
        if (rc != PRAAS_ERR_TIMEOUT)
            break;
        if (gm_view_failed(owner))
            rc = core_err(PRAAS_ERR_PEER, "rank %d, the owner of object '%s', died during an "
                          "access", owner, obj->loc->name);
        else if (core_expired(deadline))
            rc = core_err(rc, "an access to object '%s' at rank %d did not complete within %d "
                          "ms (PRAAS_OP_TIMEOUT)", obj->loc->name, owner, gm_timeout());
        else
            rc = 0;
    }
    if (rc == PRAAS_ERR_TIMEOUT || atomic_load(&c->pending) > 0) {
        gm_comp_orphan(c);
        return rc;
    }
    free((gm_comp_t *)c);
    if (rc && !*praas_errmsg())
        rc = core_err(rc, "an access to object '%s' at rank %d failed: %s", obj->loc->name,
                      owner, praas_strerror(rc));
    if (!rc && flush)
        rc = tp_flush(core_tp(), owner, gm_timeout());
    return rc;
}

struct gm_xfer {
    size_t offset;
    const void *src;
    void *dst;
    size_t len;
};

static int gm_issue_put(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg)
{
    struct gm_xfer *x = arg;
    tp_comp_t *c = gm_comp_new();

    if (!c)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a completion");
    return gm_wait(obj, owner, c, tp_put(core_tp(), owner, x->src, x->len, rkey, x->offset, c),
                   1);
}

static int gm_issue_get(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg)
{
    struct gm_xfer *x = arg;
    tp_comp_t *c = gm_comp_new();

    if (!c)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a completion");
    return gm_wait(obj, owner, c, tp_get(core_tp(), owner, x->dst, x->len, rkey, x->offset, c),
                   0);
}

static int gm_issue_iput(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg)
{
    struct gm_xfer *x = arg;
    int rc = tp_put(core_tp(), owner, x->src, x->len, rkey, x->offset, obj->comp);

    if (!rc)
        atomic_fetch_add_explicit(&obj->puts, 1, memory_order_relaxed);
    return rc;
}

static int gm_issue_iget(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg)
{
    struct gm_xfer *x = arg;

    return tp_get(core_tp(), owner, x->dst, x->len, rkey, x->offset, obj->comp);
}

PRAAS_API int praas_obj_iput(praas_obj_t obj, size_t offset, const void *buf, size_t len)
{
    struct gm_xfer x = {.offset = offset, .src = buf, .len = len};
    int rc = gm_check(obj, offset, len, buf, "praas_obj_iput");

    if (rc || len == 0)
        return rc;
    return gm_access(obj, gm_issue_iput, &x);
}

PRAAS_API int praas_obj_iget(praas_obj_t obj, size_t offset, void *buf, size_t len)
{
    struct gm_xfer x = {.offset = offset, .dst = buf, .len = len};
    int rc = gm_check(obj, offset, len, buf, "praas_obj_iget");

    if (rc || len == 0)
        return rc;
    return gm_access(obj, gm_issue_iget, &x);
}

PRAAS_API int praas_obj_flush(praas_obj_t obj)
{
    uint64_t deadline;
    gm_loc_t *loc;
    int owner, rc;

    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!obj)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_flush: no handle");
    loc = obj->loc;
    pthread_rwlock_rdlock(&loc->lock);
    owner = loc->owner;
    deadline = core_deadline(gm_timeout());
    for (;;) {
        rc = tp_comp_wait(core_tp(), obj->comp, GM_WAIT_SLICE_MS);
        if (rc != PRAAS_ERR_TIMEOUT)
            break;
        if (gm_view_failed(owner)) {
            /* Those transfers are lost with their owner; later ones go on a
             * fresh counter, so that they do not wait for the dead ones. */
            tp_comp_t *fresh = gm_comp_new();
            if (fresh) {
                gm_comp_release(obj->comp);
                obj->comp = fresh;
            }
            rc = core_err(PRAAS_ERR_PEER, "rank %d, the owner of object '%s', died with "
                          "transfers under way", owner, loc->name);
            break;
        }
        if (core_expired(deadline)) {
            rc = core_err(rc, "transfers to object '%s' at rank %d did not complete within %d "
                          "ms (PRAAS_OP_TIMEOUT)", loc->name, owner, gm_timeout());
            break;
        }
    }
    /* A status reported once is not reported again. */
    atomic_store(&obj->comp->status, 0);
    /* Only puts need the owner's acknowledgement; a completed get has
     * read the owner already. */
    if (atomic_exchange(&obj->puts, 0) && !rc && !atomic_load(&loc->stale))
        rc = tp_flush(core_tp(), owner, gm_timeout());
    pthread_rwlock_unlock(&loc->lock);
    /* The transfers are lost with their owner; the next access finds the
     * object where it is now (restored, or lost). */
    if (rc && gm_retryable(rc))
        gm_loc_check(loc);
    return rc;
}

PRAAS_API int praas_obj_put(praas_obj_t obj, size_t offset, const void *buf, size_t len)
{
    struct gm_xfer x = {.offset = offset, .src = buf, .len = len};
    int rc = gm_check(obj, offset, len, buf, "praas_obj_put");

    if (rc || len == 0)
        return rc;
    return gm_access(obj, gm_issue_put, &x);
}

PRAAS_API int praas_obj_get(praas_obj_t obj, size_t offset, void *buf, size_t len)
{
    struct gm_xfer x = {.offset = offset, .dst = buf, .len = len};
    int rc = gm_check(obj, offset, len, buf, "praas_obj_get");

    if (rc || len == 0)
        return rc;
    return gm_access(obj, gm_issue_get, &x);
}

struct gm_amo {
    size_t offset;
    tp_aop_t op;
    uint64_t value, compare, old;
};

static int gm_issue_atomic(praas_obj_t obj, int owner, tp_rkey_t *rkey, void *arg)
{
    struct gm_amo *a = arg;
    tp_comp_t *c = gm_comp_new();

    if (!c)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a completion");
    return gm_wait(obj, owner, c,
                   tp_atomic(core_tp(), owner, a->op, 8, a->value, a->compare, &a->old, rkey,
                             a->offset, c),
                   0);
}

static int gm_atomic(praas_obj_t obj, size_t offset, tp_aop_t op, uint64_t value,
                     uint64_t compare, uint64_t *old_p, const char *call)
{
    struct gm_amo a = {.offset = offset, .op = op, .value = value, .compare = compare};
    int rc = gm_check(obj, offset, 8, &a, call);

    if (rc)
        return rc;
    if (offset % 8)
        return core_err(PRAAS_ERR_INVALID, "%s: offset %zu of object '%s' is not a multiple of "
                        "8", call, offset, obj->loc->name);
    rc = gm_access(obj, gm_issue_atomic, &a);
    if (!rc && old_p)
        *old_p = a.old;
    return rc;
}

PRAAS_API int praas_obj_fetch_add(praas_obj_t obj, size_t offset, uint64_t value,
                                  uint64_t *old_p)
{
    return gm_atomic(obj, offset, TP_AOP_ADD, value, 0, old_p, "praas_obj_fetch_add");
}

PRAAS_API int praas_obj_cswap(praas_obj_t obj, size_t offset, uint64_t compare, uint64_t value,
                              uint64_t *old_p)
{
    return gm_atomic(obj, offset, TP_AOP_CSWAP, value, compare, old_p, "praas_obj_cswap");
}
