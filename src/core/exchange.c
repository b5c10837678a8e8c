/*
 * The set-up collectives (core_exchange, core_barrier, units of exchanges)
 * over active messages, and the agreement on them at a view change
 * (core_view_freeze, core_view_target, core_view_drain; context.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "core/context_priv.h"
#include "core/error.h"
#include "core/log.h"
#include "core/wait.h"

int core_view_freeze(uint64_t next, uint64_t *rounds_p)
{
    core_ctx_t *ctx;
    uint64_t rounds = 0;

    pthread_mutex_lock(&core_view_lock);
    ctx = core_self;
    if (ctx) {
        pthread_mutex_lock(&ctx->gate_lock);
        if (atomic_load(&ctx->view) < next) {
            if (ctx->xnext != next) {
                ctx->xnext = next;
                ctx->xtarget_known = 0;
            }
            rounds = ctx->xround;
        }
        pthread_mutex_unlock(&ctx->gate_lock);
    }
    pthread_mutex_unlock(&core_view_lock);
    *rounds_p = rounds;
    return 0;
}

void core_view_target(uint64_t next, uint64_t target)
{
    core_ctx_t *ctx;

    pthread_mutex_lock(&core_view_lock);
    ctx = core_self;
    if (ctx) {
        pthread_mutex_lock(&ctx->gate_lock);
        if (ctx->xnext == next) {
            ctx->xtarget = target;
            ctx->xtarget_known = 1;
        }
        pthread_mutex_unlock(&ctx->gate_lock);
    }
    pthread_mutex_unlock(&core_view_lock);
}

/* Whether this worker has done its part of the agreement for view next:
 * target units started and none under way (or next is installed, or
 * praas_finalize has taken the context away). */
static int core_view_drained(uint64_t next, uint64_t target, uint64_t *at_p)
{
    core_ctx_t *ctx;
    int done = 1;

    pthread_mutex_lock(&core_view_lock);
    ctx = core_self;
    if (ctx) {
        pthread_mutex_lock(&ctx->gate_lock);
        *at_p = ctx->xround;
        done = atomic_load(&ctx->view) >= next || (ctx->xround >= target && !ctx->xdepth);
        pthread_mutex_unlock(&ctx->gate_lock);
    }
    pthread_mutex_unlock(&core_view_lock);
    return done;
}

int core_view_drain(uint64_t next, uint64_t target, int timeout_ms)
{
    uint64_t deadline = core_deadline(timeout_ms), at = 0;
    unsigned idle = 0;

    while (!core_view_drained(next, target, &at)) {
        if (core_expired(deadline))
            return core_err(PRAAS_ERR_TIMEOUT, "view %llu: this rank started %llu of the %llu "
                            "exchanges agreed on for the view before it (or one is still under "
                            "way) after %d ms", (unsigned long long)next,
                            (unsigned long long)at, (unsigned long long)target, timeout_ms);
        core_backoff(idle++);
    }
    return 0;
}

uint64_t core_view(void)
{
    core_ctx_t *ctx = core_self;

    return ctx ? atomic_load(&ctx->view) : 0;
}

int core_view_members(int *ranks, int cap, int *n_p)
{
    core_ctx_t *ctx = core_self;
    int n = 0;

    if (!ctx)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    for (int r = 0; r < ctx->world_max; r++)
        if (atomic_load(&ctx->member[r])) {
            if (n < cap)
                ranks[n] = r;
            n++;
        }
    *n_p = n;
    return 0;
}

int core_is_member(int rank)
{
    core_ctx_t *ctx = core_self;

    return ctx && rank >= 0 && rank < ctx->world_max && atomic_load(&ctx->member[rank]);
}

int core_world_max(void)
{
    return core_self ? core_self->world_max : 0;
}

int core_joined(void)
{
    return core_self && core_self->joined;
}

/* ---- set-up collectives ---- */

void core_exchange_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                                  const void *payload, size_t payload_len)
{
    core_ctx_t *ctx = arg;
    core_xhdr_t xh;
    core_xmsg_t *m;

    if (hdr_len != sizeof(xh)) {
        core_log(CORE_LOG_WARN, "exchange: dropping a message from rank %d with a %zu-byte header",
                 src, hdr_len);
        return;
    }
    memcpy(&xh, hdr, sizeof(xh));
    m = malloc(sizeof(*m) + payload_len);
    if (!m) {
        core_log(CORE_LOG_ERROR, "exchange: no memory for a %zu-byte message", payload_len);
        return;
    }
    m->view = xh.view;
    m->round = xh.round;
    m->sub = xh.sub;
    m->src = src;
    m->len = payload_len;
    memcpy(m->data, payload, payload_len);
    pthread_mutex_lock(&ctx->xlock);
    m->next = ctx->xqueue;
    ctx->xqueue = m;
    pthread_mutex_unlock(&ctx->xlock);
    atomic_fetch_add_explicit(&ctx->xarrived, 1, memory_order_release);
}

/* Move the messages of exchange *x from the queue into all[] and mark
 * their senders in got[]; returns 0, or an error for a message of the
 * wrong length. Messages of earlier views match nothing any more (a rank
 * that left, or the tail of a view installed after a timeout): dropped. */
static int core_exchange_collect(core_ctx_t *ctx, const core_xhdr_t *x, size_t len, void *all,
                                 unsigned char *got)
{
    core_xmsg_t **pp, *m;
    int rc = 0;

    pthread_mutex_lock(&ctx->xlock);
    for (pp = &ctx->xqueue; (m = *pp);) {
        if (m->view < x->view) {
            *pp = m->next;
            free(m);
            continue;
        }
        if (m->view != x->view || m->round != x->round || m->sub != x->sub) {
            pp = &m->next;
            continue;
        }
        if (m->len != len && !rc)
            rc = core_err(PRAAS_ERR_PROTOCOL,
                          "exchange %llu.%llu of view %llu: rank %d sent %zu bytes, this rank "
                          "%zu", (unsigned long long)x->round, (unsigned long long)x->sub,
                          (unsigned long long)x->view, m->src, m->len, len);
        else if (len)
            memcpy((char *)all + (size_t)m->src * len, m->data, len);
        if (m->src >= 0 && m->src < ctx->world_max)
            got[m->src] = 1;
        *pp = m->next;
        free(m);
    }
    pthread_mutex_unlock(&ctx->xlock);
    return rc;
}

/* How many members other than this rank have not sent yet. Read afresh at
 * each step: a member that leaves the view meanwhile is not waited for. */
static int core_exchange_missing(core_ctx_t *ctx, const unsigned char *got)
{
    int missing = 0;

    for (int r = 0; r < ctx->world_max; r++)
        if (r != ctx->cfg.rank && atomic_load(&ctx->member[r]) && !got[r])
            missing++;
    return missing;
}

/* Whether a unit may start now: no change announced, or its target known
 * and not reached (gate_lock held). */
static int core_gate_open(core_ctx_t *ctx)
{
    return !ctx->xnext || (ctx->xtarget_known && ctx->xround < ctx->xtarget);
}

/* Start a unit (see core_exchange_begin); with want_view, only in that
 * view: PRAAS_ERR_STATE, and no unit counted, in another (the members of
 * a unit that never runs must agree on the count of the others). */
static int core_unit_begin(int check, uint64_t want_view, uint64_t *view_p, int timeout_ms)
{
    core_ctx_t *ctx = core_self;
    uint64_t deadline;
    core_waiter_t w;
    int rc = 0;

    if (!ctx)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!atomic_load(&ctx->member[ctx->cfg.rank]))
        return core_err(PRAAS_ERR_STATE, "rank %ld is not a member of view %llu: it takes part "
                        "in no collective", ctx->cfg.rank,
                        (unsigned long long)atomic_load(&ctx->view));
    pthread_mutex_lock(&ctx->gate_lock);
    if (ctx->xdepth) {
        /* Nested: part of the unit under way. */
        ctx->xdepth++;
        *view_p = ctx->xview;
        pthread_mutex_unlock(&ctx->gate_lock);
        return 0;
    }
    if (!core_gate_open(ctx)) {
        /* The view is changing and this rank has started every unit of
         * the old view agreed on: this one belongs to the new view. (The
         * clock is read only here: every collective passes this gate.) */
        deadline = core_deadline(timeout_ms);
        core_wait_init(&w, ctx->tp);
        while (!core_gate_open(ctx)) {
            uint64_t next = ctx->xnext;
            pthread_mutex_unlock(&ctx->gate_lock);
            if (core_expired(deadline)) {
                core_wait_done(&w);
                return core_err(PRAAS_ERR_TIMEOUT, "exchange: view %llu is being installed and "
                                "was not published within %d ms (this rank finished its part of "
                                "view %llu)", (unsigned long long)next, timeout_ms,
                                (unsigned long long)atomic_load(&ctx->view));
            }
            rc = tp_progress(ctx->tp);
            if (rc < 0) {
                core_wait_done(&w);
                return rc;
            }
            core_wait_step(&w, rc);
            pthread_mutex_lock(&ctx->gate_lock);
        }
        core_wait_done(&w);
        if (!atomic_load(&ctx->member[ctx->cfg.rank])) {
            pthread_mutex_unlock(&ctx->gate_lock);
            return core_err(PRAAS_ERR_STATE, "rank %ld left the view (now view %llu) while "
                            "waiting to start an exchange", ctx->cfg.rank,
                            (unsigned long long)atomic_load(&ctx->view));
        }
    }
    if (check && atomic_load(&ctx->view) != want_view) {
        pthread_mutex_unlock(&ctx->gate_lock);
        return core_err(PRAAS_ERR_STATE, "exchange over view %llu, but view %llu is installed: "
                        "its members have changed", (unsigned long long)want_view,
                        (unsigned long long)atomic_load(&ctx->view));
    }
    ctx->xround++;
    ctx->xview = atomic_load(&ctx->view);
    ctx->xsub = 0;
    ctx->xdepth = 1;
    *view_p = ctx->xview;
    pthread_mutex_unlock(&ctx->gate_lock);
    return 0;
}

int core_exchange_begin(uint64_t *view_p, int timeout_ms)
{
    return core_unit_begin(0, 0, view_p, timeout_ms);
}

void core_exchange_end(void)
{
    core_ctx_t *ctx = core_self;

    if (!ctx)
        return;
    pthread_mutex_lock(&ctx->gate_lock);
    if (ctx->xdepth > 0)
        ctx->xdepth--;
    pthread_mutex_unlock(&ctx->gate_lock);
}

static int core_exchange_wait(core_ctx_t *ctx, const core_xhdr_t *x, size_t len, void *all,
                              uint64_t deadline, int timeout_ms);

int core_exchange_in(uint64_t view, const void *mine, size_t len, void *all, int timeout_ms)
{
    core_ctx_t *ctx = core_self;
    uint64_t deadline = core_deadline(timeout_ms), began;
    core_xhdr_t xh;
    int rc;

    if (!ctx)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    rc = core_unit_begin(1, view, &began, timeout_ms);
    if (rc)
        return rc;
    if (began != view || atomic_load(&ctx->view) != view) {
        rc = core_err(PRAAS_ERR_STATE, "exchange over view %llu, but view %llu is installed: "
                      "its members have changed", (unsigned long long)view,
                      (unsigned long long)atomic_load(&ctx->view));
        goto out;
    }
    pthread_mutex_lock(&ctx->gate_lock);
    xh.view = ctx->xview;
    xh.round = ctx->xround;
    xh.sub = ++ctx->xsub;
    pthread_mutex_unlock(&ctx->gate_lock);
    if (len)
        memcpy((char *)all + (size_t)ctx->cfg.rank * len, mine, len);
    for (int r = 0; r < ctx->world_max; r++) {
        if (r == ctx->cfg.rank || !atomic_load(&ctx->member[r]))
            continue;
        rc = tp_am_send(ctx->tp, r, CORE_AM_EXCHANGE, &xh, sizeof(xh), mine, len);
        if (rc)
            goto out;
    }
    rc = core_exchange_wait(ctx, &xh, len, all, deadline, timeout_ms);
out:
    core_exchange_end();
    return rc;
}

int core_exchange(const void *mine, size_t len, void *all, int timeout_ms)
{
    uint64_t view;
    int rc;

    rc = core_exchange_begin(&view, timeout_ms);
    if (rc)
        return rc;
    rc = core_exchange_in(view, mine, len, all, timeout_ms);
    core_exchange_end();
    return rc;
}

/* The receiving half of an exchange: collect the other members' blobs,
 * progressing the transport, until all arrived or the deadline. */
static int core_exchange_wait(core_ctx_t *ctx, const core_xhdr_t *x, size_t len, void *all,
                              uint64_t deadline, int timeout_ms)
{
    unsigned char *got = calloc((size_t)ctx->world_max, 1);
    unsigned seen = 0, turns = 0;
    core_waiter_t w;
    int missing, rc = 0;

    if (!got)
        return core_err(PRAAS_ERR_NOMEM, "exchange: no memory for %d flags", ctx->world_max);
    core_wait_init(&w, ctx->tp);
    for (;;) {
        unsigned now = atomic_load_explicit(&ctx->xarrived, memory_order_acquire);
        /* Look at the queue, the members and the clock only when a message
         * came since the last look, the view changed, or every 256 turns;
         * otherwise a turn is one poll of the transport. A waiting thread
         * also serves the peers' operations (a target in a fence while
         * origins put and flush): with the whole look at every turn (a
         * mutex, a scan of PRAAS_MAX_WORKERS member flags, a clock read)
         * it polled every few hundred nanoseconds, and an operation that
         * arrived just after a poll waited that long. */
        if ((turns++ & 0xff) && now == seen && atomic_load(&ctx->view) == x->view) {
            rc = tp_progress(ctx->tp);
            if (rc < 0)
                break;
            core_wait_step(&w, rc);
            rc = 0;
            continue;
        }
        seen = now;
        rc = core_exchange_collect(ctx, x, len, all, got);
        if (rc < 0)
            break;
        missing = core_exchange_missing(ctx, got);
        /* Done, or this rank left the view meanwhile: it takes part in
         * nothing any more. */
        if (missing == 0 || !atomic_load(&ctx->member[ctx->cfg.rank]))
            break;
        if (atomic_load(&ctx->view) != x->view) {
            /* Installed although this exchange was under way: the
             * agreement timed out (a peer failed, or did not come). */
            rc = core_err(PRAAS_ERR_STATE, "exchange %llu of view %llu: view %llu was installed "
                          "while %d members had not sent", (unsigned long long)x->round,
                          (unsigned long long)x->view,
                          (unsigned long long)atomic_load(&ctx->view), missing);
            break;
        }
        rc = tp_progress(ctx->tp);
        if (rc < 0)
            break;
        if (core_expired(deadline)) {
            rc = core_err(PRAAS_ERR_TIMEOUT, "exchange %llu of view %llu: %d members did not "
                          "answer within %d ms", (unsigned long long)x->round,
                          (unsigned long long)x->view, missing, timeout_ms);
            break;
        }
        core_wait_step(&w, rc);
        rc = 0;
    }
    core_wait_done(&w);
    free(got);
    return rc;
}

int core_barrier(int timeout_ms)
{
    return core_exchange(NULL, 0, NULL, timeout_ms);
}
