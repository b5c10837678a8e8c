/*
 * What the two backends share: choosing one by name, the fallbacks for
 * operations a backend lacks, and waiting for local completion.
 */
#include <sched.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "transport/transport.h"

int tp_lookup(const char *name, const tp_ops_t **ops_p)
{
    if (strcmp(name, "ucx") == 0) {
#ifdef HAVE_UCX
        *ops_p = &tp_ucx_ops;
        return 0;
#else
        return core_err(PRAAS_ERR_NOT_SUPPORTED, "transport \"ucx\" was not built (configure did not find UCX)");
#endif
    }
    if (strcmp(name, "ofi") == 0) {
#ifdef HAVE_OFI
        *ops_p = &tp_ofi_ops;
        return 0;
#else
        return core_err(PRAAS_ERR_NOT_SUPPORTED, "transport \"ofi\" was not built (configure did not find libfabric)");
#endif
    }
    return core_err(PRAAS_ERR_NOT_FOUND, "unknown transport \"%s\" (PRAAS_TRANSPORT is ucx or ofi)", name);
}

int tp_not_supported_wait_fd(tp_ctx_t *ctx, int *fd_p)
{
    return core_err(PRAAS_ERR_NOT_SUPPORTED, "transport %s has no wait file descriptor",
                    ctx->ops->name);
}

int tp_not_supported_wait_arm(tp_ctx_t *ctx)
{
    return PRAAS_ERR_NOT_SUPPORTED;
}

int tp_comp_wait(tp_ctx_t *ctx, tp_comp_t *comp, int timeout_ms)
{
    uint64_t deadline;
    unsigned spins = 0;
    int rc = 0;

    if (atomic_load_explicit(&comp->pending, memory_order_acquire) == 0)
        return atomic_load_explicit(&comp->status, memory_order_relaxed);
    deadline = core_deadline(timeout_ms);
    tp_wait_begin(ctx);
    while (atomic_load_explicit(&comp->pending, memory_order_acquire) > 0) {
        rc = tp_progress(ctx);
        if (rc < 0)
            break;
        rc = 0;
        /* Check the clock only every so often: it costs more than a poll. */
        if ((++spins & 0xff) == 0) {
            if (core_expired(deadline)) {
                rc = core_err(PRAAS_ERR_TIMEOUT,
                              "%d operation(s) not complete after %d ms on %s",
                              atomic_load(&comp->pending), timeout_ms, tp_describe(ctx));
                break;
            }
            sched_yield();
        }
    }
    tp_wait_end(ctx);
    return rc ? rc : atomic_load_explicit(&comp->status, memory_order_relaxed);
}
