/*
 * The API a function calls while it runs (praas/session.h). An invocation
 * handle belongs to the one function thread that runs it, so these calls
 * take no lock except to get or return a session buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/rt.h"

static int arg_of(praas_invocation_t *inv, int i, const void **data_p, size_t *len_p)
{
    if (!inv || !data_p || !len_p)
        return core_err(PRAAS_ERR_INVALID, "praas_inv_arg: NULL argument");
    if (i < 0 || i >= inv->nargs)
        return core_err(PRAAS_ERR_RANGE, "argument %d of invocation %llu: it has %d", i,
                        (unsigned long long)inv->id, inv->nargs);
    *data_p = inv->args[i].buf ? inv->args[i].buf->base : NULL;
    *len_p = inv->args[i].len;
    return 0;
}

PRAAS_API int praas_inv_payload(praas_invocation_t *inv, const void **data_p, size_t *len_p)
{
    return arg_of(inv, 0, data_p, len_p);
}

PRAAS_API int praas_inv_nargs(praas_invocation_t *inv)
{
    return inv ? inv->nargs : 0;
}

PRAAS_API int praas_inv_arg(praas_invocation_t *inv, int i, const void **data_p, size_t *len_p)
{
    return arg_of(inv, i, data_p, len_p);
}

PRAAS_API int praas_inv_result_buf(praas_invocation_t *inv, size_t len, void **buf_p)
{
    struct rt_session *s;
    struct rt_buf *b = NULL, *old;
    int rc = 0;

    if (!inv || !buf_p)
        return core_err(PRAAS_ERR_INVALID, "praas_inv_result_buf: NULL argument");
    s = inv->s;
    if ((uint64_t)len > s->srv->o.max_payload)
        return core_err(PRAAS_ERR_RANGE, "a result of %zu bytes is over the limit of %llu of %s",
                        len, (unsigned long long)s->srv->o.max_payload, s->srv->id);
    pthread_mutex_lock(&s->lock);
    old = inv->res_buf;
    if (old && old->cap >= len && len) {
        b = old; /* reuse */
    } else if (len) {
        rc = rt_buf_get(s, len, &b);
        if (!rc) {
            rt_buf_put(s, old);
        }
    } else {
        rt_buf_put(s, old);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc)
        return rc;
    inv->res_buf = b;
    inv->res = b ? b->base : NULL;
    inv->res_len = len;
    *buf_p = b ? b->base : NULL;
    return 0;
}

PRAAS_API int praas_inv_result_copy(praas_invocation_t *inv, const void *data, size_t len)
{
    void *buf;
    int rc;

    if (len && !data)
        return core_err(PRAAS_ERR_INVALID, "praas_inv_result_copy: NULL data of %zu bytes", len);
    rc = praas_inv_result_buf(inv, len, &buf);
    if (!rc && len)
        memcpy(buf, data, len);
    return rc;
}

/* Whether [p, p+len) lies within [base, base+size). */
static int inside(const void *p, size_t len, const void *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

    return base && a >= b && len <= size && a - b <= size - len;
}

PRAAS_API int praas_inv_result_set(praas_invocation_t *inv, const void *data, size_t len)
{
    struct rt_session *s;
    int ok;

    if (!inv)
        return core_err(PRAAS_ERR_INVALID, "praas_inv_result_set: NULL invocation");
    s = inv->s;
    ok = len == 0 || inside(data, len, s->mem, s->memory) ||
         (inv->res_buf && inside(data, len, inv->res_buf->base, inv->res_buf->cap));
    for (int i = 0; !ok && i < inv->nargs; i++)
        ok = inv->args[i].buf && inside(data, len, inv->args[i].buf->base, inv->args[i].len);
    if (!ok)
        return core_err(PRAAS_ERR_RANGE,
                        "result range %p + %zu is not in session %s's memory nor in the "
                        "buffers of invocation %llu",
                        data, len, s->id, (unsigned long long)inv->id);
    if ((uint64_t)len > s->srv->o.max_payload)
        return core_err(PRAAS_ERR_RANGE, "a result of %zu bytes is over the limit of %llu", len,
                        (unsigned long long)s->srv->o.max_payload);
    inv->res = len ? data : NULL;
    inv->res_len = len;
    return 0;
}

PRAAS_API int praas_inv_fail(praas_invocation_t *inv, int code, const char *fmt, ...)
{
    va_list ap;

    if (!inv)
        return code;
    va_start(ap, fmt);
    vsnprintf(inv->msg, sizeof(inv->msg), fmt, ap);
    va_end(ap);
    return code;
}

PRAAS_API int praas_inv_memory(praas_invocation_t *inv, void **base_p, size_t *size_p)
{
    if (!inv || !base_p || !size_p)
        return core_err(PRAAS_ERR_INVALID, "praas_inv_memory: NULL argument");
    *base_p = inv->s->mem;
    *size_p = inv->s->memory;
    return 0;
}

PRAAS_API const char *praas_inv_session_id(praas_invocation_t *inv)
{
    return inv ? inv->s->id : "";
}

PRAAS_API uint64_t praas_inv_id(praas_invocation_t *inv)
{
    return inv ? inv->id : 0;
}

PRAAS_API const char *praas_inv_function(praas_invocation_t *inv)
{
    return inv ? inv->fn_name : "";
}
