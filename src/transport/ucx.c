/*
 * The UCX backend: one ucp_context and one ucp_worker per tp_ctx, in
 * UCS_THREAD_MODE_MULTI because the progress thread and the application
 * call in at the same time. This file holds set-up and tear-down,
 * connection, flush, progress and the ops table; memory registration,
 * remote keys, put, get and atomics are in ucx_rma.c, active messages in
 * ucx_am.c.
 *
 * Over tcp, and over shared memory on memory UCX did not allocate, UCX
 * emulates RMA and atomics with its own active messages: the target must
 * progress (the core's progress thread does it).
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/ucx.h"

#include <ucs/config/global_opts.h>

/* How long close() lets each endpoint flush before giving up on it. */
#define TP_UCX_CLOSE_MS 1000

int tp_ucx_status_err(ucs_status_t st)
{
    switch (st) {
    case UCS_OK:
        return 0;
    case UCS_ERR_NO_MEMORY:
        return PRAAS_ERR_NOMEM;
    case UCS_ERR_INVALID_PARAM:
        return PRAAS_ERR_INVALID;
    case UCS_ERR_UNSUPPORTED:
        return PRAAS_ERR_NOT_SUPPORTED;
    case UCS_ERR_TIMED_OUT:
        return PRAAS_ERR_TIMEOUT;
    case UCS_ERR_CANCELED:
        return PRAAS_ERR_CANCELED;
    case UCS_ERR_BUSY:
    case UCS_ERR_NO_RESOURCE:
        return PRAAS_ERR_AGAIN;
    case UCS_ERR_UNREACHABLE:
    case UCS_ERR_CONNECTION_RESET:
    case UCS_ERR_ENDPOINT_TIMEOUT:
    case UCS_ERR_NOT_CONNECTED:
    case UCS_ERR_REJECTED:
        return PRAAS_ERR_PEER;
    case UCS_ERR_OUT_OF_RANGE:
    case UCS_ERR_EXCEEDS_LIMIT:
        return PRAAS_ERR_RANGE;
    default:
        return PRAAS_ERR_TRANSPORT;
    }
}

int tp_ucx_fail(ucs_status_t st, const char *what)
{
    return core_err(tp_ucx_status_err(st), "ucx: %s: %s", what, ucs_status_string(st));
}

int tp_ucx_check_peer(tp_ucx_ctx_t *ctx, int peer, const char *what)
{
    if (PRAAS_UNLIKELY(!atomic_load_explicit(&ctx->connected, memory_order_acquire)))
        return core_err(PRAAS_ERR_STATE, "ucx: %s before connect", what);
    if (PRAAS_UNLIKELY(peer < 0 || peer >= ctx->npeers))
        return core_err(PRAAS_ERR_INVALID, "ucx: %s to peer %d, but peers are 0..%d", what,
                        peer, ctx->npeers - 1);
    if (PRAAS_UNLIKELY(!atomic_load_explicit(&ctx->ep_ready[peer], memory_order_acquire)))
        return core_err(PRAAS_ERR_STATE, "ucx: %s to peer %d, which is not connected", what,
                        peer);
    return 0;
}

/* ---- set-up and tear-down ---- */

/* UCX prints its own errors and warnings to stderr (a peer that went away,
 * a transport that cannot reach another). The library prints only when
 * asked, so unless the user chose UCX_LOG_LEVEL, UCX's level follows
 * PRAAS_LOG: silent but for fatal errors when praas logging is off, errors
 * at "error", UCX's default (warnings) above. The setting is process-wide,
 * like UCX_LOG_LEVEL itself. */
static void tp_ucx_log_level(void)
{
    const char *level = core_log_level >= CORE_LOG_WARN    ? "warn"
                        : core_log_level >= CORE_LOG_ERROR ? "error"
                                                           : "fatal";

    if (!getenv("UCX_LOG_LEVEL"))
        (void)ucs_global_opts_set_value("LOG_LEVEL", level);
}

static void tp_ucx_close(tp_ctx_t *tctx);

/* Create the UCP context and worker. The library never prints: unless the
 * user asked otherwise, UCX is told not to warn about unused UCX_*
 * variables. The device the core prefers (nearest the bound core) becomes
 * UCX_NET_DEVICES unless the user set that variable. */
static int tp_ucx_open(const tp_config_t *cfg, tp_ctx_t **ctx_p)
{
    ucp_params_t params = {0};
    ucp_worker_params_t wparams = {0};
    ucp_worker_attr_t wattr = {0};
    ucp_config_t *config;
    tp_ucx_ctx_t *ctx;
    ucs_status_t st;
    int rc;

    int max = cfg->max_size > cfg->size ? cfg->max_size : cfg->size;

    if (cfg->size < 1 || cfg->rank < 0 || cfg->rank >= max)
        return core_err(PRAAS_ERR_INVALID,
                        "ucx: rank %d of size %d (at most %d peers) is not a valid rank",
                        cfg->rank, cfg->size, max);
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return core_err(PRAAS_ERR_NOMEM, "ucx: no memory for a context");
    ctx->super.ops = &tp_ucx_ops;
    ctx->super.rank = cfg->rank;
    ctx->super.size = cfg->size;
    ctx->super.max_peers = max;
    atomic_init(&ctx->connected, 0);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->eps = calloc((size_t)max, sizeof(*ctx->eps));
    ctx->ep_ready = calloc((size_t)max, sizeof(*ctx->ep_ready));
    if (!ctx->eps || !ctx->ep_ready) {
        rc = core_err(PRAAS_ERR_NOMEM, "ucx: no memory for %d endpoints", max);
        goto err_free;
    }
    for (int i = 0; i < max; i++)
        atomic_init(&ctx->ep_ready[i], 0);
    ctx->npeers = max;

    st = ucp_config_read(NULL, NULL, &config);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "reading the UCX configuration");
        goto err_free;
    }
    if (!getenv("UCX_WARN_UNUSED_ENV_VARS"))
        (void)ucp_config_modify(config, "WARN_UNUSED_ENV_VARS", "n");
    tp_ucx_log_level();
    if (cfg->device && cfg->device[0] && !getenv("UCX_NET_DEVICES")) {
        st = ucp_config_modify(config, "NET_DEVICES", cfg->device);
        if (st != UCS_OK)
            core_log(CORE_LOG_WARN, "ucx: cannot prefer device %s: %s", cfg->device,
                     ucs_status_string(st));
    }

    params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED |
                        UCP_PARAM_FIELD_ESTIMATED_NUM_EPS;
    params.features = UCP_FEATURE_RMA | UCP_FEATURE_AMO32 | UCP_FEATURE_AMO64 |
                      UCP_FEATURE_AM | UCP_FEATURE_WAKEUP;
    params.mt_workers_shared = 0;
    params.estimated_num_eps = (size_t)cfg->size;
    st = ucp_init(&params, config, &ctx->context);
    ucp_config_release(config);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "ucp_init");
        goto err_free;
    }

    wparams.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wparams.thread_mode = UCS_THREAD_MODE_MULTI;
    st = ucp_worker_create(ctx->context, &wparams, &ctx->worker);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "ucp_worker_create");
        goto err_cleanup;
    }
    wattr.field_mask = UCP_WORKER_ATTR_FIELD_THREAD_MODE | UCP_WORKER_ATTR_FIELD_MAX_AM_HEADER;
    st = ucp_worker_query(ctx->worker, &wattr);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "ucp_worker_query");
        goto err_worker;
    }
    /* Without the multi-threaded mode the progress thread would race the
     * application inside UCX: refuse rather than corrupt. */
    if (wattr.thread_mode != UCS_THREAD_MODE_MULTI) {
        rc = core_err(PRAAS_ERR_NOT_SUPPORTED,
                      "ucx: this UCX build has no multi-threaded worker mode");
        goto err_worker;
    }
    if (wattr.max_am_header < sizeof(uint64_t) * 2 + TP_AM_MAX_HDR) {
        rc = core_err(PRAAS_ERR_NOT_SUPPORTED,
                      "ucx: active-message headers are limited to %zu bytes, need %zu",
                      wattr.max_am_header, sizeof(uint64_t) * 2 + TP_AM_MAX_HDR);
        goto err_worker;
    }
    st = ucp_worker_get_address(ctx->worker, &ctx->addr, &ctx->addr_len);
    if (st != UCS_OK) {
        rc = tp_ucx_fail(st, "ucp_worker_get_address");
        goto err_worker;
    }
    rc = tp_ucx_am_init(ctx);
    if (rc)
        goto err_addr;
    snprintf(ctx->desc, sizeof(ctx->desc), "ucx (not connected)");
    *ctx_p = &ctx->super;
    return 0;

err_addr:
    ucp_worker_release_address(ctx->worker, ctx->addr);
err_worker:
    ucp_worker_destroy(ctx->worker);
err_cleanup:
    ucp_cleanup(ctx->context);
err_free:
    pthread_mutex_destroy(&ctx->lock);
    free(ctx->ep_ready);
    free(ctx->eps);
    free(ctx);
    return rc;
}

/* Progress until the request completes or the deadline passes; releases
 * the request either way. Returns the request's UCX status, or
 * UCS_ERR_TIMED_OUT. */
static ucs_status_t tp_ucx_wait_req(tp_ucx_ctx_t *ctx, void *req, uint64_t deadline)
{
    ucs_status_t st;
    unsigned spins = 0;

    if (req == NULL)
        return UCS_OK;
    if (UCS_PTR_IS_ERR(req))
        return UCS_PTR_STATUS(req);
    while ((st = ucp_request_check_status(req)) == UCS_INPROGRESS) {
        ucp_worker_progress(ctx->worker);
        /* Reading the clock costs more than a poll: look every so often. */
        if ((++spins & 0xff) == 0) {
            if (core_expired(deadline)) {
                st = UCS_ERR_TIMED_OUT;
                break;
            }
            sched_yield();
        }
    }
    /* An incomplete request is released when UCX completes it. */
    ucp_request_free(req);
    return st;
}

/* Close the endpoints, letting them flush what they have outstanding for
 * TP_UCX_CLOSE_MS in all (a peer that is gone or no longer progresses would
 * otherwise hold us forever); one that has not finished by then is left to
 * ucp_worker_destroy(). There is no forced close: UCX defines it only with
 * UCP_ERR_HANDLING_MODE_PEER, which UCX 1.13's shared-memory transports do
 * not support. A close that fails at once has released the endpoint. */
static void tp_ucx_close_eps(tp_ucx_ctx_t *ctx)
{
    ucp_request_param_t param = {0};
    uint64_t deadline = core_deadline(TP_UCX_CLOSE_MS);
    ucs_status_t st;
    void *req;

    for (int i = 0; i < ctx->npeers; i++) {
        if (!ctx->eps[i])
            continue;
        param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
        param.flags = 0;
        req = ucp_ep_close_nbx(ctx->eps[i], &param);
        st = tp_ucx_wait_req(ctx, req, deadline);
        if (st != UCS_OK)
            core_log(CORE_LOG_DEBUG, "ucx: endpoint to peer %d did not close cleanly: %s", i,
                     ucs_status_string(st));
        ctx->eps[i] = NULL;
        atomic_store(&ctx->ep_ready[i], 0);
    }
}

/* Release everything: keys, endpoints, registrations, the worker, the
 * context. Operations still outstanding are dropped. Not thread-safe with
 * respect to other calls on ctx: the caller has stopped using it. */
static void tp_ucx_close(tp_ctx_t *tctx)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);

    tp_ucx_rkeys_release_all(ctx);
    tp_ucx_close_eps(ctx);
    free(ctx->eps);
    free(ctx->ep_ready);
    tp_ucx_mrs_release_all(ctx);
    ucp_worker_release_address(ctx->worker, ctx->addr);
    /* Receives that complete from here on belong to no one: drop them. */
    atomic_store(&ctx->closing, 1);
    ucp_worker_destroy(ctx->worker);
    /* Messages held for ordering are freed after the worker, whose
     * destruction may still complete rendezvous receives into them. */
    tp_ucx_am_fini(ctx);
    ucp_cleanup(ctx->context);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

/* The text of ucp_ep_print_info(ep), which the caller frees, or NULL. */
static char *tp_ucx_ep_info(ucp_ep_h ep)
{
    char *text = NULL;
    size_t textlen = 0;
    FILE *f = open_memstream(&text, &textlen);

    if (!f)
        return NULL;
    ucp_ep_print_info(ep, f);
    fclose(f);
    return text;
}

/* Parse one line of ucp_ep_print_info() that describes a lane
 * ("lane[0]:  3:tcp/lo.0 md[1] -> ... amo#0 am am_bw#0"): copy the
 * transport's name ("tcp") into name and return the rest of the line after
 * it, or NULL for a line that is not a lane. */
static const char *tp_ucx_lane_tl(const char *line, char *name, size_t namelen)
{
    const char *p = strstr(line, "lane[");
    size_t n = 0;

    if (!p || !(p = strstr(p, "]:")))
        return NULL;
    p += 2;
    while (*p == ' ')
        p++;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != ':')
        return NULL;
    while (p[n] && p[n] != '/' && p[n] != ' ' && n < namelen - 1) {
        name[n] = p[n];
        n++;
    }
    name[n] = '\0';
    return n ? p + n : NULL;
}

/* Collect the transport names of an endpoint's lanes into out, each once,
 * separated by '/'. */
static void tp_ucx_ep_tls(ucp_ep_h ep, char *out, size_t outlen)
{
    char *text = tp_ucx_ep_info(ep), *line, *save = NULL;

    if (!text)
        return;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[32];
        size_t n;

        if (!tp_ucx_lane_tl(line, name, sizeof(name)))
            continue;
        n = strlen(name);
        /* Look for the name as a whole '/'-separated item already listed. */
        int seen = 0;
        for (char *q = out; (q = strstr(q, name)) != NULL; q += n)
            if ((q == out || q[-1] == '/') && (q[n] == '\0' || q[n] == '/'))
                seen = 1;
        if (!seen && strlen(out) + n + 2 < outlen) {
            if (out[0])
                strcat(out, "/");
            strcat(out, name);
        }
    }
    free(text);
}

/* Whether every atomic lane of ep ("amo#<n>" in ucp_ep_print_info) is on
 * UCX's self transport, that is, whether UCX itself applies our atomics on
 * our own memory with CPU instructions. UCP puts atomics on a CPU transport
 * only in its CPU atomic mode, in which every peer's atomics on our memory
 * are CPU atomics too (through a shared mapping, or emulated by our own
 * progress engine for tcp and for user memory over shared memory). 0 when
 * the text cannot be read or has no atomic lane: then UCX keeps the job. */
static int tp_ucx_ep_amo_on_self(ucp_ep_h ep)
{
    char *text = tp_ucx_ep_info(ep), *line, *save = NULL;
    int amo = 0, other = 0;

    if (!text)
        return 0;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[32];
        const char *rest = tp_ucx_lane_tl(line, name, sizeof(name));

        if (!rest || !strstr(rest, " amo#"))
            continue;
        if (strcmp(name, "self") == 0)
            amo = 1;
        else
            other = 1;
    }
    free(text);
    return amo && !other;
}

/* "ucx (tcp)", "ucx (posix/sysv/cma)": the transports of the lanes UCX
 * chose towards the other peers (towards ourselves when alone). The text is
 * written by open() and once more by connect(), before the endpoints are
 * published; the string returned lives as long as ctx. */
static const char *tp_ucx_describe(tp_ctx_t *tctx)
{
    return tp_ucx_ctx(tctx)->desc;
}

static void tp_ucx_describe_compute(tp_ucx_ctx_t *ctx)
{
    char tls[64] = "";

    for (int i = 0; i < ctx->npeers; i++)
        if (i != ctx->super.rank && ctx->eps[i])
            tp_ucx_ep_tls(ctx->eps[i], tls, sizeof(tls));
    if (!tls[0] && ctx->eps[ctx->super.rank])
        tp_ucx_ep_tls(ctx->eps[ctx->super.rank], tls, sizeof(tls));
    snprintf(ctx->desc, sizeof(ctx->desc), "ucx (%s)", tls[0] ? tls : "unknown");
}

/* Our worker address, as ucp_worker_get_address gave it. */
static int tp_ucx_addr_get(tp_ctx_t *tctx, void *buf, size_t *len_p)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);

    if (*len_p < ctx->addr_len) {
        size_t have = *len_p;
        *len_p = ctx->addr_len;
        return core_err(PRAAS_ERR_RANGE, "ucx: address needs %zu bytes, buffer has %zu",
                        ctx->addr_len, have);
    }
    memcpy(buf, ctx->addr, ctx->addr_len);
    *len_p = ctx->addr_len;
    return 0;
}

/* Create the endpoint to peer from its address; with ctx->lock held and
 * eps[peer] still NULL. Publishes it through ep_ready[peer]. */
static int tp_ucx_ep_add(tp_ucx_ctx_t *ctx, int peer, const void *blob, size_t len)
{
    ucp_ep_params_t ep_params = {0};
    ucs_status_t st;

    if (!blob || len == 0)
        return core_err(PRAAS_ERR_INVALID, "ucx: no address for peer %d", peer);
    ep_params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = blob;
    st = ucp_ep_create(ctx->worker, &ep_params, &ctx->eps[peer]);
    if (st != UCS_OK) {
        ctx->eps[peer] = NULL;
        return core_err(tp_ucx_status_err(st), "ucx: creating the endpoint to peer %d: %s",
                        peer, ucs_status_string(st));
    }
    if (peer == ctx->super.rank) {
        /* Read by ucx_rma.c after it has seen ep_ready[rank]. */
        ctx->self_amo_cpu = tp_ucx_ep_amo_on_self(ctx->eps[peer]);
        core_log(CORE_LOG_DEBUG, "ucx: atomics on our own memory %s",
                 ctx->self_amo_cpu ? "use CPU atomics directly (UCX's self transport)"
                                   : "go through UCX");
    }
    atomic_store_explicit(&ctx->ep_ready[peer], 1, memory_order_release);
    return 0;
}

/* One endpoint per peer, ourselves included (UCX reaches itself through the
 * self transport when it is enabled, otherwise through the others). */
static int tp_ucx_connect(tp_ctx_t *tctx, int npeers, const void *const *blobs,
                          const size_t *lens)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    int rc = 0, i;

    if (npeers != ctx->super.size)
        return core_err(PRAAS_ERR_INVALID, "ucx: connect to %d peers, but the size is %d",
                        npeers, ctx->super.size);
    pthread_mutex_lock(&ctx->lock);
    if (atomic_load(&ctx->connected)) {
        pthread_mutex_unlock(&ctx->lock);
        return core_err(PRAAS_ERR_STATE, "ucx: connect called twice");
    }
    for (i = 0; i < npeers && !rc; i++)
        rc = tp_ucx_ep_add(ctx, i, blobs[i], lens[i]);
    if (!rc) {
        tp_ucx_describe_compute(ctx);
        ctx->desc_final = npeers > 1;
        atomic_store_explicit(&ctx->connected, 1, memory_order_release);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (rc)
        tp_ucx_close_eps(ctx); /* nobody used them: connect had not returned */
    return rc;
}

/* Contract: tp_connect_peer(). The endpoint array was sized for max_peers
 * by open(), so nothing that other threads read moves. */
static int tp_ucx_connect_peer(tp_ctx_t *tctx, int peer, const void *blob, size_t len)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    int rc;

    if (peer < 0 || peer >= ctx->npeers)
        return core_err(PRAAS_ERR_INVALID, "ucx: connecting peer %d, but peers are 0..%d",
                        peer, ctx->npeers - 1);
    pthread_mutex_lock(&ctx->lock);
    if (ctx->eps[peer]) {
        pthread_mutex_unlock(&ctx->lock);
        return core_err(PRAAS_ERR_STATE, "ucx: peer %d is already connected", peer);
    }
    rc = tp_ucx_ep_add(ctx, peer, blob, len);
    /* The description names the lanes towards the others: computed again
     * until it has seen one (a joiner may connect itself first). */
    if (!rc && !ctx->desc_final) {
        tp_ucx_describe_compute(ctx);
        ctx->desc_final = peer != ctx->super.rank;
    }
    if (!rc)
        atomic_store_explicit(&ctx->connected, 1, memory_order_release);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* ---- completion and progress ---- */

static int tp_ucx_flush(tp_ctx_t *tctx, int peer, int timeout_ms)
{
    tp_ucx_ctx_t *ctx = tp_ucx_ctx(tctx);
    ucp_request_param_t param = {0};
    ucs_status_ptr_t sp;
    ucs_status_t st;
    int rc;

    if (peer >= 0) {
        rc = tp_ucx_check_peer(ctx, peer, "flush");
        if (rc)
            return rc;
        sp = ucp_ep_flush_nbx(ctx->eps[peer], &param);
    } else {
        sp = ucp_worker_flush_nbx(ctx->worker, &param);
    }
    st = tp_ucx_wait_req(ctx, sp, core_deadline(timeout_ms));
    if (st == UCS_ERR_TIMED_OUT) {
        if (peer >= 0)
            return core_err(PRAAS_ERR_TIMEOUT,
                            "ucx: flush to peer %d not complete after %d ms", peer, timeout_ms);
        return core_err(PRAAS_ERR_TIMEOUT,
                        "ucx: flush to all peers not complete after %d ms", timeout_ms);
    }
    if (st != UCS_OK && peer >= 0)
        return core_err(tp_ucx_status_err(st), "ucx: flush to peer %d: %s", peer,
                        ucs_status_string(st));
    if (st != UCS_OK)
        return core_err(tp_ucx_status_err(st), "ucx: flush to all peers: %s",
                        ucs_status_string(st));
    return 0;
}

static int tp_ucx_progress(tp_ctx_t *tctx)
{
    return (int)ucp_worker_progress(tp_ucx_ctx(tctx)->worker);
}

static int tp_ucx_wait_fd(tp_ctx_t *tctx, int *fd_p)
{
    int fd;
    ucs_status_t st = ucp_worker_get_efd(tp_ucx_ctx(tctx)->worker, &fd);

    if (st != UCS_OK)
        return tp_ucx_fail(st, "ucp_worker_get_efd");
    *fd_p = fd;
    return 0;
}

static int tp_ucx_wait_arm(tp_ctx_t *tctx)
{
    ucs_status_t st = ucp_worker_arm(tp_ucx_ctx(tctx)->worker);

    if (st == UCS_OK)
        return 0;
    if (st == UCS_ERR_BUSY)
        return PRAAS_ERR_AGAIN;
    return tp_ucx_fail(st, "ucp_worker_arm");
}

const tp_ops_t tp_ucx_ops = {
    .name = "ucx",
    .open = tp_ucx_open,
    .close = tp_ucx_close,
    .describe = tp_ucx_describe,
    .addr_get = tp_ucx_addr_get,
    .connect = tp_ucx_connect,
    .connect_peer = tp_ucx_connect_peer,
    .mr_reg = tp_ucx_mr_reg,
    .mr_pack = tp_ucx_mr_pack,
    .mr_dereg = tp_ucx_mr_dereg,
    .rkey_unpack = tp_ucx_rkey_unpack,
    .rkey_release = tp_ucx_rkey_release,
    .put = tp_ucx_put,
    .get = tp_ucx_get,
    .atomic = tp_ucx_atomic,
    .am_register = tp_ucx_am_register,
    .am_send = tp_ucx_am_send,
    .flush = tp_ucx_flush,
    .progress = tp_ucx_progress,
    .wait_fd = tp_ucx_wait_fd,
    .wait_arm = tp_ucx_wait_arm,
};
