/*
 * Accesses to objects: put, get (blocking and not), flush and the 64-bit
 * atomics. Every access is one transport operation to the owner found in
 * the location cache, also when the owner is this worker (the transport
 * connects a worker to itself), so that atomics from every worker, local
 * or remote, go through the same engine and are atomic with each other.
 * Every wait is bounded by PRAAS_OP_TIMEOUT.
 */
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
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

PRAAS_API int praas_obj_iput(praas_obj_t obj, size_t offset, const void *buf, size_t len)
{
    int rc = gm_check(obj, offset, len, buf, "praas_obj_iput");

    if (rc || len == 0)
        return rc;
    rc = tp_put(core_tp(), obj->loc->owner, buf, len, obj->loc->rkey, offset, &obj->comp);
    if (!rc)
        atomic_fetch_add_explicit(&obj->puts, 1, memory_order_relaxed);
    return rc;
}

PRAAS_API int praas_obj_iget(praas_obj_t obj, size_t offset, void *buf, size_t len)
{
    int rc = gm_check(obj, offset, len, buf, "praas_obj_iget");

    if (rc || len == 0)
        return rc;
    return tp_get(core_tp(), obj->loc->owner, buf, len, obj->loc->rkey, offset, &obj->comp);
}

PRAAS_API int praas_obj_flush(praas_obj_t obj)
{
    int rc;

    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!obj)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_flush: no handle");
    rc = tp_comp_wait(core_tp(), &obj->comp, gm_timeout());
    /* A status reported once is not reported again. */
    atomic_store(&obj->comp.status, 0);
    if (rc)
        return rc == PRAAS_ERR_TIMEOUT
                   ? core_err(rc, "transfers to object '%s' at rank %d did not complete within "
                              "%d ms (PRAAS_OP_TIMEOUT)", obj->loc->name, obj->loc->owner,
                              gm_timeout())
                   : rc;
    /* Only puts need the owner's acknowledgement; a completed get has
     * read the owner already. */
    if (atomic_exchange(&obj->puts, 0))
        rc = tp_flush(core_tp(), obj->loc->owner, gm_timeout());
    return rc;
}

/* Run one operation on a private completion counter and wait for it. */
static int gm_wait(praas_obj_t obj, tp_comp_t *c, int rc, int flush)
{
    if (rc)
        return rc;
    rc = tp_comp_wait(core_tp(), c, gm_timeout());
    if (rc == PRAAS_ERR_TIMEOUT)
        return core_err(rc, "an access to object '%s' at rank %d did not complete within %d ms "
                        "(PRAAS_OP_TIMEOUT)", obj->loc->name, obj->loc->owner, gm_timeout());
    if (!rc && flush)
        rc = tp_flush(core_tp(), obj->loc->owner, gm_timeout());
    return rc;
}

PRAAS_API int praas_obj_put(praas_obj_t obj, size_t offset, const void *buf, size_t len)
{
    tp_comp_t c;
    int rc = gm_check(obj, offset, len, buf, "praas_obj_put");

    if (rc || len == 0)
        return rc;
    tp_comp_init(&c);
    return gm_wait(obj, &c,
                   tp_put(core_tp(), obj->loc->owner, buf, len, obj->loc->rkey, offset, &c), 1);
}

PRAAS_API int praas_obj_get(praas_obj_t obj, size_t offset, void *buf, size_t len)
{
    tp_comp_t c;
    int rc = gm_check(obj, offset, len, buf, "praas_obj_get");

    if (rc || len == 0)
        return rc;
    tp_comp_init(&c);
    return gm_wait(obj, &c,
                   tp_get(core_tp(), obj->loc->owner, buf, len, obj->loc->rkey, offset, &c), 0);
}

static int gm_atomic(praas_obj_t obj, size_t offset, tp_aop_t op, uint64_t value,
                     uint64_t compare, uint64_t *old_p, const char *call)
{
    uint64_t old = 0;
    tp_comp_t c;
    int rc = gm_check(obj, offset, 8, &old, call);

    if (rc)
        return rc;
    if (offset % 8)
        return core_err(PRAAS_ERR_INVALID, "%s: offset %zu of object '%s' is not a multiple of "
                        "8", call, offset, obj->loc->name);
    tp_comp_init(&c);
    rc = gm_wait(obj, &c,
                 tp_atomic(core_tp(), obj->loc->owner, op, 8, value, compare, &old,
                           obj->loc->rkey, offset, &c),
                 0);
    if (!rc && old_p)
        *old_p = old;
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
