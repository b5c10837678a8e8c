/*
 * The worker's context: praas_init(), praas_finalize(), the bootstrap
 * through the control plane, the join and the view (core_view_set). The
 * set-up collectives are in exchange.c.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client/http.h"
#include "core/base64.h"
#include "core/common.h"
#include "core/context.h"
#include "core/context_priv.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/wait.h"
#include "praas.h"

core_ctx_t *core_self;

#define CORE_MAX_FINALIZERS 16
static void (*core_finalizers[CORE_MAX_FINALIZERS])(void);
static int core_nfinalizers;

void core_on_finalize(void (*fn)(void))
{
    for (int i = 0; i < core_nfinalizers; i++)
        if (core_finalizers[i] == fn)
            return;
    if (core_nfinalizers < CORE_MAX_FINALIZERS)
        core_finalizers[core_nfinalizers++] = fn;
}

#define CORE_MAX_INITIALIZERS 8
static void (*core_initializers[CORE_MAX_INITIALIZERS])(void);
static int core_ninitializers;

void core_on_init(void (*fn)(void))
{
    for (int i = 0; i < core_ninitializers; i++)
        if (core_initializers[i] == fn)
            return;
    if (core_ninitializers < CORE_MAX_INITIALIZERS)
        core_initializers[core_ninitializers++] = fn;
}

const core_cfg_t *core_cfg(void)
{
    return core_self ? &core_self->cfg : NULL;
}

tp_ctx_t *core_tp(void)
{
    return core_self ? core_self->tp : NULL;
}

/* ---- the view ---- */

/* See context_priv.h. */
pthread_mutex_t core_view_lock = PTHREAD_MUTEX_INITIALIZER;

int core_view_set(uint64_t number, const int *members, int n)
{
    core_ctx_t *ctx;

    pthread_mutex_lock(&core_view_lock);
    ctx = core_self;
    if (!ctx) {
        pthread_mutex_unlock(&core_view_lock);
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    }
    pthread_mutex_lock(&ctx->gate_lock);
    for (int r = 0; r < ctx->world_max; r++)
        atomic_store(&ctx->member[r], 0);
    for (int i = 0; i < n; i++)
        if (members[i] >= 0 && members[i] < ctx->world_max)
            atomic_store(&ctx->member[members[i]], 1);
    atomic_store(&ctx->view, number);
    /* Units are counted afresh in the new view; the gate opens. */
    ctx->xround = 0;
    ctx->xnext = 0;
    ctx->xtarget = 0;
    ctx->xtarget_known = 0;
    pthread_mutex_unlock(&ctx->gate_lock);
    pthread_mutex_unlock(&core_view_lock);
    return 0;
}

/* ---- bootstrap ---- */

static int core_check_env(const core_cfg_t *cfg, int joined)
{
    if (joined && !*cfg->control)
        return core_err(PRAAS_ERR_INVALID, "PRAAS_JOIN=1 but PRAAS_CONTROL is not set: a "
                        "worker joins a process started by praas-run --elastic");
    if (joined && cfg->rank >= PRAAS_MAX(cfg->size, cfg->max_workers))
        return core_err(PRAAS_ERR_INVALID, "PRAAS_RANK=%ld is not below PRAAS_MAX_WORKERS=%ld "
                        "(the ranks a process may grow to)", cfg->rank, cfg->max_workers);
    if (!joined && cfg->rank >= cfg->size)
        return core_err(PRAAS_ERR_INVALID, "PRAAS_RANK=%ld is not below PRAAS_SIZE=%ld",
                        cfg->rank, cfg->size);
    if (cfg->size > 1 && !*cfg->control)
        return core_err(PRAAS_ERR_INVALID,
                        "PRAAS_SIZE=%ld but PRAAS_CONTROL is not set: start the workers with "
                        "praas-run", cfg->size);
    if (*cfg->control && !*cfg->process)
        return core_err(PRAAS_ERR_INVALID, "PRAAS_CONTROL is set but PRAAS_PROCESS is not");
    if (strcmp(cfg->progress, "thread") && strcmp(cfg->progress, "manual"))
        return core_err(PRAAS_ERR_INVALID, "PRAAS_PROGRESS=%s: use thread or manual",
                        cfg->progress);
    return 0;
}

/* Decode the fence's session table into address blobs indexed by rank.
 * On success the caller frees blobs[i] and the arrays. */
static int core_decode_table(json_t *table, int size, void ***blobs_p, size_t **lens_p)
{
    void **blobs = calloc((size_t)size, sizeof(*blobs));
    size_t *lens = calloc((size_t)size, sizeof(*lens));
    size_t i;
    json_t *row;
    int rc = 0;

    if (!blobs || !lens) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for %d addresses", size);
        goto err;
    }
    if (json_array_size(table) != (size_t)size) {
        rc = core_err(PRAAS_ERR_PROTOCOL, "the fence returned %zu sessions, expected %d",
                      json_array_size(table), size);
        goto err;
    }
    json_array_foreach(table, i, row) {
        json_int_t r = json_integer_value(json_object_get(row, "rank"));
        const char *a = json_string_value(json_object_get(row, "address"));
        if (r < 0 || r >= size || !a || blobs[r]) {
            rc = core_err(PRAAS_ERR_PROTOCOL, "the fence returned a bad row %zu", i);
            goto err;
        }
        rc = core_b64_decode(a, strlen(a), &blobs[r], &lens[r]);
        if (rc)
            goto err;
    }
    *blobs_p = blobs;
    *lens_p = lens;
    return 0;
err:
    for (int k = 0; blobs && k < size; k++)
        free(blobs[k]);
    free(blobs);
    free(lens);
    return rc;
}

/* Register with the control plane, wait at the "init" fence for everyone,
 * and connect to the addresses it returns. */
static int core_bootstrap(core_ctx_t *ctx, const void *addr, size_t addr_len)
{
    const core_cfg_t *cfg = &ctx->cfg;
    char host[256] = "";
    json_t *meta, *table = NULL;
    void **blobs = NULL;
    size_t *lens = NULL;
    int rc;

    gethostname(host, sizeof(host) - 1);
    meta = json_pack("{s:s, s:i, s:s}", "host", host, "pid", (int)getpid(), "transport",
                     tp_describe(ctx->tp));
    rc = cl_session_register(cfg->control, cfg->process, (int)cfg->rank, addr, addr_len, meta);
    json_decref(meta);
    if (rc)
        return rc;
    rc = cl_fence(cfg->control, cfg->process, "init", (int)cfg->rank,
                  (int)cfg->bootstrap_timeout_ms, &table);
    if (rc)
        return rc;
    rc = core_decode_table(table, (int)cfg->size, &blobs, &lens);
    json_decref(table);
    if (rc)
        return rc;
    rc = tp_connect(ctx->tp, (int)cfg->size, (const void *const *)blobs, lens);
    for (int k = 0; k < cfg->size; k++)
        free(blobs[k]);
    free(blobs);
    free(lens);
    return rc;
}

/* Connect ranks[0..n-1] that are not connected yet, from the addresses of
 * their sessions (one GET .../sessions). PRAAS_ERR_AGAIN when one has no
 * session yet (a joiner registers after its join is announced). */
static int core_connect_ranks_in(core_ctx_t *ctx, const int *ranks, int n)
{
    char path[192];
    json_t *resp = NULL, *row;
    size_t i;
    int rc = 0;

    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", ctx->cfg.process);
    rc = cl_http_request(ctx->cfg.control, "GET", path, NULL, (int)ctx->cfg.bootstrap_timeout_ms,
                         NULL, &resp);
    if (rc)
        return rc;
    pthread_mutex_lock(&ctx->link_lock);
    for (int k = 0; k < n && !rc; k++) {
        int r = ranks[k], found = 0;
        if (r < 0 || r >= ctx->world_max) {
            rc = core_err(PRAAS_ERR_INVALID, "rank %d is not below the %d rank slots of the "
                          "process (PRAAS_MAX_WORKERS)", r, ctx->world_max);
            break;
        }
        if (ctx->linked[r])
            continue;
        json_array_foreach(json_object_get(resp, "sessions"), i, row) {
            const char *a = json_string_value(json_object_get(row, "address"));
            void *blob;
            size_t len;
            if (json_integer_value(json_object_get(row, "rank")) != r || !a)
                continue;
            found = 1;
            rc = core_b64_decode(a, strlen(a), &blob, &len);
            if (rc)
                break;
            rc = tp_connect_peer(ctx->tp, r, blob, len);
            free(blob);
            if (!rc)
                ctx->linked[r] = 1;
            break;
        }
        if (!found && !rc)
            rc = core_err(PRAAS_ERR_AGAIN, "rank %d of process %s has no session yet", r,
                          ctx->cfg.process);
    }
    pthread_mutex_unlock(&ctx->link_lock);
    json_decref(resp);
    return rc;
}

int core_connect_ranks(const int *ranks, int n)
{
    core_ctx_t *ctx;
    int rc;

    pthread_mutex_lock(&core_view_lock);
    ctx = core_self;
    rc = ctx ? core_connect_ranks_in(ctx, ranks, n)
             : core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    pthread_mutex_unlock(&core_view_lock);
    return rc;
}

/* Join a running process (PRAAS_JOIN=1): register this rank's session
 * (its join was announced, so the control plane takes a rank past the
 * starting size), connect to itself and to each member of the view being
 * installed (they connect to it when they see the announcement), and take
 * that view's members. No fence: the members are working already. */
static int core_join(core_ctx_t *ctx, const void *addr, size_t addr_len)
{
    const core_cfg_t *cfg = &ctx->cfg;
    char host[256] = "", path[192];
    json_t *meta, *view = NULL, *pend, *v;
    int *ranks = NULL, n = 0, rc;
    size_t i;

    gethostname(host, sizeof(host) - 1);
    meta = json_pack("{s:s, s:i, s:s}", "host", host, "pid", (int)getpid(), "transport",
                     tp_describe(ctx->tp));
    rc = cl_session_register(cfg->control, cfg->process, (int)cfg->rank, addr, addr_len, meta);
    json_decref(meta);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "/v1/processes/%s/view", cfg->process);
    rc = cl_http_request(cfg->control, "GET", path, NULL, (int)cfg->bootstrap_timeout_ms, NULL,
                         &view);
    if (rc)
        return rc;
    pend = json_object_get(view, "pending");
    json_array_foreach(json_object_get(pend, "joining"), i, v)
        n |= json_integer_value(v) == cfg->rank;
    if (!n) {
        rc = core_err(PRAAS_ERR_STATE, "rank %ld is not joining the view of process %s: "
                      "praas-run --elastic announces a join before it starts the worker",
                      cfg->rank, cfg->process);
        goto out;
    }
    ranks = malloc((json_array_size(json_object_get(pend, "members")) + 1) * sizeof(*ranks));
    if (!ranks) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for the members of a view");
        goto out;
    }
    n = 0;
    json_array_foreach(json_object_get(pend, "members"), i, v)
        ranks[n++] = (int)json_integer_value(v);
    rc = core_connect_ranks_in(ctx, ranks, n);
    if (rc)
        goto out;
    for (int k = 0; k < n; k++)
        if (ranks[k] >= 0 && ranks[k] < ctx->world_max)
            atomic_store(&ctx->member[ranks[k]], 1);
    atomic_store(&ctx->view, (uint64_t)json_integer_value(json_object_get(view, "number")));
    ctx->join_view = (uint64_t)json_integer_value(json_object_get(pend, "number"));
out:
    free(ranks);
    json_decref(view);
    return rc;
}

/* A joiner's praas_init returns once the view it joins is published (its
 * view thread, src/gmem/view.c, acknowledges and installs it). */
static int core_join_wait(core_ctx_t *ctx)
{
    uint64_t deadline = core_deadline((int)ctx->cfg.bootstrap_timeout_ms);
    unsigned idle = 0;

    while (atomic_load(&ctx->view) < ctx->join_view ||
           !atomic_load(&ctx->member[ctx->cfg.rank])) {
        if (core_expired(deadline))
            return core_err(PRAAS_ERR_TIMEOUT, "rank %ld: view %llu, which adds it, was not "
                            "published within %ld ms", ctx->cfg.rank,
                            (unsigned long long)ctx->join_view, ctx->cfg.bootstrap_timeout_ms);
        core_backoff(idle++);
    }
    return 0;
}

static void core_free(core_ctx_t *ctx)
{
    while (ctx->xqueue) {
        core_xmsg_t *m = ctx->xqueue;
        ctx->xqueue = m->next;
        free(m);
    }
    pthread_mutex_destroy(&ctx->xlock);
    pthread_mutex_destroy(&ctx->gate_lock);
    pthread_mutex_destroy(&ctx->link_lock);
    free(ctx->member);
    free(ctx->linked);
    free(ctx->describe);
    free(ctx);
}

PRAAS_API int praas_init(void)
{
    const tp_ops_t *ops;
    core_ctx_t *ctx;
    char prefix[32];
    unsigned char addr[4096];
    size_t addr_len = sizeof(addr);
    int level, rc;

    core_err_clear();
    if (core_self)
        return core_err(PRAAS_ERR_STATE, "praas_init() was already called");
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the context");
    pthread_mutex_init(&ctx->xlock, NULL);
    pthread_mutex_init(&ctx->gate_lock, NULL);
    pthread_mutex_init(&ctx->link_lock, NULL);
    rc = core_cfg_load(&ctx->cfg);
    if (rc)
        goto err_ctx;
    level = core_log_parse(ctx->cfg.log);
    if (level < 0) {
        rc = core_err(PRAAS_ERR_INVALID, "PRAAS_LOG=%s: use none, error, warn, info or debug",
                      ctx->cfg.log);
        goto err_ctx;
    }
    snprintf(prefix, sizeof(prefix), "praas[%ld]", ctx->cfg.rank);
    core_log_setup(level, prefix);
    ctx->joined = getenv("PRAAS_JOIN") && strcmp(getenv("PRAAS_JOIN"), "1") == 0;
    rc = core_check_env(&ctx->cfg, ctx->joined);
    if (rc)
        goto err_ctx;
    ctx->world_max = (int)PRAAS_MAX(ctx->cfg.size, ctx->cfg.max_workers);
    ctx->member = calloc((size_t)ctx->world_max, sizeof(*ctx->member));
    ctx->linked = calloc((size_t)ctx->world_max, 1);
    if (!ctx->member || !ctx->linked) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for a view of %d ranks", ctx->world_max);
        goto err_ctx;
    }
    for (long r = 0; r < ctx->world_max; r++)
        atomic_init(&ctx->member[r], !ctx->joined && r < ctx->cfg.size);
    atomic_init(&ctx->view, 0);

    rc = tp_lookup(ctx->cfg.transport, &ops);
    if (rc)
        goto err_ctx;
    rc = tp_open(ops,
                 &(tp_config_t){.rank = (int)ctx->cfg.rank,
                                .size = (int)ctx->cfg.size,
                                .max_size = ctx->world_max},
                 &ctx->tp);
    if (rc)
        goto err_ctx;
    rc = tp_am_register(ctx->tp, CORE_AM_EXCHANGE, core_exchange_handler, ctx);
    if (rc)
        goto err_tp;
    rc = tp_addr_get(ctx->tp, addr, &addr_len);
    if (rc)
        goto err_tp;
    if (ctx->joined) {
        rc = core_join(ctx, addr, addr_len);
    } else if (*ctx->cfg.control) {
        rc = core_bootstrap(ctx, addr, addr_len);
        if (!rc)
            memset(ctx->linked, 1, (size_t)ctx->cfg.size);
    } else {
        const void *self = addr;
        rc = tp_connect(ctx->tp, 1, &self, &addr_len);
    }
    if (rc)
        goto err_tp;
    /* Described once connected: the backends name the paths they use. */
    ctx->describe = strdup(tp_describe(ctx->tp));
    if (strcmp(ctx->cfg.progress, "thread") == 0) {
        rc = core_progress_start(&ctx->progress, ctx->tp, ctx->cfg.progress_spin_us,
                                 ctx->cfg.progress_nap_us);
        if (rc)
            goto err_tp;
    }
    core_self = ctx;
    for (int i = 0; i < core_ninitializers; i++)
        core_initializers[i]();
    /* Warm every connection up now, while all workers are here to
     * progress: some providers need the peer's progress for the first
     * operation (TRANSPORTS.md, pitfall 3). A joiner instead waits until
     * the view that adds it is published (the members progress anyway). */
    rc = ctx->joined ? core_join_wait(ctx) : core_barrier((int)ctx->cfg.bootstrap_timeout_ms);
    if (rc)
        goto err_progress;
    core_log(CORE_LOG_INFO, "rank %ld of %ld up on %s", ctx->cfg.rank, ctx->cfg.size,
             ctx->describe);
    return 0;

err_progress:
    core_self = NULL;
    core_progress_stop(&ctx->progress);
err_tp:
    tp_close(ctx->tp);
err_ctx:
    core_free(ctx);
    return rc;
}

PRAAS_API int praas_finalize(void)
{
    core_ctx_t *ctx = core_self;
    json_t *table = NULL;
    int rc = 0;

    if (!ctx)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    while (core_nfinalizers > 0)
        core_finalizers[--core_nfinalizers]();
    /* Nobody may close its endpoint while a peer still talks to it. A rank
     * that left the view is talked to by nobody and is not waited for. */
    if (*ctx->cfg.control && atomic_load(&ctx->member[ctx->cfg.rank])) {
        rc = cl_fence(ctx->cfg.control, ctx->cfg.process, "finalize", (int)ctx->cfg.rank,
                      (int)ctx->cfg.bootstrap_timeout_ms, &table);
        json_decref(table);
    }
    pthread_mutex_lock(&core_view_lock);
    core_self = NULL;
    pthread_mutex_unlock(&core_view_lock);
    core_progress_stop(&ctx->progress);
    tp_close(ctx->tp);
    core_free(ctx);
    return rc;
}

PRAAS_API int praas_initialized(void)
{
    return core_self != NULL;
}

PRAAS_API int praas_rank(int *rank_p)
{
    if (!core_self)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    *rank_p = (int)core_self->cfg.rank;
    return 0;
}

PRAAS_API int praas_size(int *size_p)
{
    if (!core_self)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    *size_p = (int)core_self->cfg.size;
    return 0;
}

PRAAS_API const char *praas_transport_name(void)
{
    return core_self ? core_self->describe : "none";
}

PRAAS_API const char *praas_version_string(void)
{
    return PRAAS_VERSION_STRING;
}

PRAAS_API void praas_version(int *major_p, int *minor_p, int *patch_p)
{
    if (major_p)
        *major_p = PRAAS_VERSION_MAJOR;
    if (minor_p)
        *minor_p = PRAAS_VERSION_MINOR;
    if (patch_p)
        *patch_p = PRAAS_VERSION_PATCH;
}
