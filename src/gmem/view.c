/*
 * The worker's side of view changes (DESIGN.md decision 8; the control
 * plane's side is src/control/views.c) and the view API of praas/view.h.
 *
 * A thread follows the process's view with a long poll of GET .../view.
 * When a change is announced it
 *   1. closes the gate to the ranks that go (leaving or failed): a new
 *      access to an object they own waits (gm_view_enter) until the new
 *      view is published, then finds the object where it is then;
 *   2. in a member of the old view, agrees on the exchanges of the old
 *      view (core_exchange, src/core/context.c): it stops new ones
 *      (core_view_freeze) and reports how many it has started (POST
 *      .../views/report); once every member has reported, the control
 *      plane publishes the target T (the largest count) in the pending
 *      change; the application may start exchanges up to T, and the thread
 *      waits until the T-th is over (core_view_drain, bounded by
 *      PRAAS_OP_TIMEOUT: on timeout it logs and goes on);
 *   3. drains: waits until the accesses already under way to a leaving
 *      rank are over and flushes it (failed ranks are not waited for);
 *   4. acknowledges; a leaving worker first waits until every other member
 *      has acknowledged (nobody writes its objects any more), copies each
 *      object it owns to a member of the new view (hash of the name), points
 *      the directory there ("migrated") and frees its copy, then
 *      acknowledges last.
 * A join (ranks joining, never with ranks going): every member connects to
 * each joiner (core_connect_ranks, from the session it registered; until
 * it has registered the member tries again at the next poll), then
 * acknowledges; a joiner acknowledges once every member has (they all
 * reach it then), and its praas_init returns when the view is published.
 * When the new view is published it installs it (core_view_set: barriers
 * and the finalize fence run over its members), marks the location cache
 * stale, opens the gate and runs the application's callback.
 *
 * Objects of a failed rank are not moved: its session is gone, so their
 * owner is no longer live; the next access restores a persisted object
 * from storage onto the accessing worker or reports it lost (obj.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client/http.h"
#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "gmem/gmem.h"

/* The long poll's wait at the control plane. Nobody waits for it: the
 * thread is detached. */
#define GM_VIEW_POLL_MS 2000
/* How long the thread follows the view after praas_finalize: enough for a
 * change to complete while the workers meet at the finalize fence. */
#define GM_VIEW_LINGER_MS 60000
#define GM_CHUNK (4u << 20)

static pthread_mutex_t gm_view_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gm_view_cond = PTHREAD_COND_INITIALIZER;
static atomic_uint_least64_t gm_view_num;
static int *gm_members;      /* sorted */
static int gm_nmembers;
static int gm_world;
static unsigned char *gm_going; /* ranks leaving or failed in the change under way */
static unsigned char *gm_failed; /* ranks reported dead, for the rest of the run */
static atomic_int gm_gate;      /* some rank is going */
static atomic_int *gm_inflight; /* accesses under way, per owner */
static praas_view_cb_t gm_cb;
static void *gm_cb_arg;

/* The thread's own state: it outlives gm_view_stop by its last request,
 * which touches nothing else (see gm_view_stop). */
typedef struct gm_watch {
    char control[256];
    char process[80];
    int rank;
    int timeout_ms;  /* PRAAS_OP_TIMEOUT */
    atomic_int stop;
    /* praas_finalize has begun: acknowledge changes (this worker touches no
     * object any more), but move nothing and call no callback; a leaving
     * worker does not acknowledge (its objects cannot move now). */
    atomic_int finalizing;
    uint64_t linger_until;
    pthread_mutex_t busy; /* held while the thread acts on a view */
    uint64_t acked;       /* the last view this rank acknowledged */
    uint64_t reported;    /* the last view it reported its exchanges for */
    uint64_t drained;     /* the last view whose agreed exchanges it waited for */
    uint64_t seen;        /* the last view installed */
} gm_watch_t;

static gm_watch_t *gm_watch;

static int gm_timeout(void)
{
    return (int)core_cfg()->op_timeout_ms;
}

uint64_t gm_view_number(void)
{
    return atomic_load(&gm_view_num);
}

int gm_view_enter(int owner)
{
    struct timespec ts;
    int rc = PRAAS_ERR_AGAIN;

    if (!gm_inflight || owner < 0 || owner >= gm_world)
        return 0;
    /* Count first, then look at the gate: a drain that closes the gate and
     * then reads the count cannot miss this access (both sequentially
     * consistent). */
    atomic_fetch_add(&gm_inflight[owner], 1);
    if (!atomic_load(&gm_gate) || !gm_going[owner])
        return 0;
    atomic_fetch_sub(&gm_inflight[owner], 1);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += gm_timeout() / 1000;
    ts.tv_nsec += (long)(gm_timeout() % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&gm_view_lock);
    while (gm_going[owner])
        if (pthread_cond_timedwait(&gm_view_cond, &gm_view_lock, &ts)) {
            rc = core_err(PRAAS_ERR_TIMEOUT, "rank %d is leaving the view, and the new view was "
                          "not published within %d ms (PRAAS_OP_TIMEOUT)", owner, gm_timeout());
            break;
        }
    pthread_mutex_unlock(&gm_view_lock);
    return rc;
}

int gm_view_place(uint64_t hash)
{
    int r;

    pthread_mutex_lock(&gm_view_lock);
    r = gm_nmembers > 0 ? gm_members[hash % (uint64_t)gm_nmembers] : 0;
    pthread_mutex_unlock(&gm_view_lock);
    return r;
}

int gm_view_failed(int rank)
{
    return gm_failed && rank >= 0 && rank < gm_world && gm_failed[rank];
}

void gm_view_exit(int owner)
{
    if (gm_inflight && owner >= 0 && owner < gm_world)
        atomic_fetch_sub(&gm_inflight[owner], 1);
}

/* ---- the change ---- */

static int gm_json_ranks(json_t *a, int **ranks_p, int *n_p)
{
    size_t n = json_array_size(a), i;
    int *r = malloc((n ? n : 1) * sizeof(*r));
    json_t *v;

    if (!r)
        return core_err(PRAAS_ERR_NOMEM, "no memory for %zu ranks", n);
    json_array_foreach(a, i, v)
        r[i] = (int)json_integer_value(v);
    *ranks_p = r;
    *n_p = (int)n;
    return 0;
}

static int gm_has(json_t *a, int rank)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
        if (json_integer_value(v) == rank)
            return 1;
    return 0;
}

/* Drain the accesses of this worker to a leaving rank. */
static void gm_drain(int r)
{
    uint64_t deadline = core_deadline(gm_timeout());
    unsigned idle = 0;

    while (atomic_load(&gm_inflight[r]) > 0 && !core_expired(deadline))
        core_backoff(idle++);
    if (atomic_load(&gm_inflight[r]) > 0)
        core_log(CORE_LOG_WARN, "gmem: accesses to leaving rank %d still under way after %d ms",
                 r, gm_timeout());
    if (tp_flush(core_tp(), r, gm_timeout()))
        core_log(CORE_LOG_WARN, "gmem: cannot flush leaving rank %d: %s", r, praas_errmsg());
}

/* Copy the owned object name to rank `to` and point the directory there. */
static int gm_migrate_one(const char *name, int to, uint64_t view)
{
    unsigned char key[GM_KEY_MAX];
    size_t key_len = 0, size;
    tp_rkey_t *rkey = NULL;
    tp_comp_t c;
    void *base;
    int rc;

    rc = gm_owner_peek(name, &base, &size);
    if (rc)
        return rc;
    rc = gm_am_alloc(to, name, size, key, &key_len);
    if (rc)
        return rc;
    rc = tp_rkey_unpack(core_tp(), to, key, key_len, &rkey);
    if (rc)
        goto err_remote;
    tp_comp_init(&c);
    for (size_t off = 0; off < size && !rc; off += GM_CHUNK)
        rc = tp_put(core_tp(), to, (char *)base + off, PRAAS_MIN((size_t)GM_CHUNK, size - off),
                    rkey, off, &c);
    {
        int wrc = tp_comp_wait(core_tp(), &c, gm_timeout());
        if (!rc)
            rc = wrc;
    }
    if (!rc)
        rc = tp_flush(core_tp(), to, gm_timeout());
    tp_rkey_release(core_tp(), rkey);
    if (!rc)
        rc = gm_dir_set_migrated(name, to, key, key_len, view);
    if (rc)
        goto err_remote;
    gm_owner_free(name);
    core_log(CORE_LOG_INFO, "gmem: object '%s' (%zu bytes) moved to rank %d for view %llu", name,
             size, to, (unsigned long long)view);
    return 0;

err_remote:
    gm_am_free(to, name);
    return rc;
}

struct gm_owned_names {
    char (*names)[PRAAS_OBJ_NAME_MAX + 1];
    size_t n, cap;
};

static void gm_collect_name(gm_owned_t *o, void *arg)
{
    struct gm_owned_names *v = arg;

    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        void *grown = realloc(v->names, cap * sizeof(*v->names));
        if (!grown)
            return;
        v->names = grown;
        v->cap = cap;
    }
    snprintf(v->names[v->n++], sizeof(v->names[0]), "%s", o->name);
}

/* A leaving worker hands every object it owns to the members that stay.
 * An object that cannot be moved is persisted instead (if a storage is
 * configured it comes back at its next access); failing that it is lost. */
static void gm_migrate_all(json_t *pend)
{
    uint64_t view = (uint64_t)json_integer_value(json_object_get(pend, "number"));
    json_t *members = json_object_get(pend, "members");
    struct gm_owned_names v = {0};
    int n = (int)json_array_size(members);

    gm_owner_foreach(gm_collect_name, &v);
    for (size_t i = 0; i < v.n && n > 0; i++) {
        uint64_t h = 1469598103934665603ull;
        for (const char *p = v.names[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        int to = (int)json_integer_value(json_array_get(members, (size_t)(h % (uint64_t)n)));
        if (gm_migrate_one(v.names[i], to, view) == 0)
            continue;
        core_log(CORE_LOG_ERROR, "gmem: cannot move object '%s' to rank %d: %s; persisting it",
                 v.names[i], to, praas_errmsg());
        {
            gm_loc_t loc = {.owner = gm_watch->rank};
            void *base;
            size_t size;
            if (gm_owner_peek(v.names[i], &base, &size) == 0) {
                loc.size = size;
                if (gm_persist(v.names[i], &loc))
                    core_log(CORE_LOG_ERROR, "gmem: object '%s' is lost with this worker: %s",
                             v.names[i], praas_errmsg());
            }
        }
    }
    free(v.names);
}

static int gm_ack(gm_watch_t *w, uint64_t view)
{
    char path[192];
    json_t *body = json_pack("{s:I, s:i}", "view", (json_int_t)view, "rank", w->rank), *resp;
    int rc;

    snprintf(path, sizeof(path), "/v1/processes/%s/views/ack", w->process);
    rc = cl_http_request(w->control, "POST", path, body, w->timeout_ms, NULL, &resp);
    json_decref(body);
    if (!rc)
        json_decref(resp);
    return rc;
}

/* Report the exchanges this member started in the view before `view`
 * (once; again at the next poll if the request fails). */
static int gm_report(gm_watch_t *w, uint64_t view)
{
    char path[192];
    json_t *body, *resp;
    uint64_t rounds;
    int rc;

    if (w->reported >= view)
        return 0;
    core_view_freeze(view, &rounds);
    body = json_pack("{s:I, s:i, s:I}", "view", (json_int_t)view, "rank", w->rank, "rounds",
                     (json_int_t)rounds);
    snprintf(path, sizeof(path), "/v1/processes/%s/views/report", w->process);
    rc = cl_http_request(w->control, "POST", path, body, w->timeout_ms, NULL, &resp);
    json_decref(body);
    if (rc) {
        core_log(CORE_LOG_WARN, "gmem: cannot report the exchanges before view %llu: %s",
                 (unsigned long long)view, praas_errmsg());
        return rc;
    }
    json_decref(resp);
    w->reported = view;
    return 0;
}

/* A change is under way: close the gate, agree on the exchanges, drain,
 * migrate, acknowledge. */
static void gm_on_pending(gm_watch_t *w, json_t *pend)
{
    uint64_t number = (uint64_t)json_integer_value(json_object_get(pend, "number"));
    json_t *leaving = json_object_get(pend, "leaving"), *failed = json_object_get(pend, "failed");
    json_t *expect = json_object_get(pend, "expect"), *acked = json_object_get(pend, "acked");
    json_t *joining = json_object_get(pend, "joining");
    size_t i;
    json_t *v;

    int old_member = gm_has(expect, w->rank) && !gm_has(joining, w->rank);
    json_t *target = json_object_get(pend, "target");

    if (atomic_load(&w->finalizing)) {
        /* No access any more, nothing to drain; the state of the gate may
         * belong to a later praas_init already. The exchanges are over: the
         * count goes to the control plane all the same. */
        if (old_member && !gm_has(acked, w->rank) && gm_report(w, number))
            return;
        if (w->acked < number && gm_has(expect, w->rank) && !gm_has(acked, w->rank) &&
            !gm_has(leaving, w->rank)) {
            gm_ack(w, number);
            w->acked = number;
        }
        return;
    }
    pthread_mutex_lock(&gm_view_lock);
    json_array_foreach(leaving, i, v)
        if (json_integer_value(v) >= 0 && json_integer_value(v) < gm_world)
            gm_going[json_integer_value(v)] = 1;
    json_array_foreach(failed, i, v)
        if (json_integer_value(v) >= 0 && json_integer_value(v) < gm_world)
            gm_going[json_integer_value(v)] = gm_failed[json_integer_value(v)] = 1;
    atomic_store(&gm_gate, 1);
    pthread_mutex_unlock(&gm_view_lock);
    /* A dead owner's objects are looked up again at their next access. */
    json_array_foreach(failed, i, v)
        gm_cache_invalidate_owner((int)json_integer_value(v));

    if (w->acked >= number || !gm_has(expect, w->rank) || gm_has(acked, w->rank))
        return;
    if (old_member) {
        /* The exchanges of the old view: report, then (target known)
         * finish the agreed ones. */
        if (gm_report(w, number) || !json_is_integer(target))
            return;
        core_view_target(number, (uint64_t)json_integer_value(target));
        if (w->drained < number &&
            core_view_drain(number, (uint64_t)json_integer_value(target), gm_timeout()))
            core_log(CORE_LOG_WARN, "gmem: %s; acknowledging view %llu anyway", praas_errmsg(),
                     (unsigned long long)number);
        w->drained = number;
    }
    if (gm_has(joining, w->rank)) {
        json_array_foreach(expect, i, v)
            if (!gm_has(joining, (int)json_integer_value(v)) &&
                !gm_has(acked, (int)json_integer_value(v)))
                return; /* not every member reaches this rank yet */
    } else if (json_array_size(joining)) {
        int *ranks = NULL, n = 0, rc;
        if (gm_json_ranks(joining, &ranks, &n))
            return;
        rc = core_connect_ranks(ranks, n);
        free(ranks);
        if (rc) {
            /* Not registered yet, most likely: again at the next poll. */
            if (rc != PRAAS_ERR_AGAIN)
                core_log(CORE_LOG_WARN, "gmem: cannot connect the ranks joining view %llu: %s",
                         (unsigned long long)number, praas_errmsg());
            return;
        }
    } else if (gm_has(leaving, w->rank)) {
        json_array_foreach(expect, i, v)
            if (!gm_has(leaving, (int)json_integer_value(v)) &&
                !gm_has(acked, (int)json_integer_value(v)))
                return; /* not everybody has drained yet */
        gm_migrate_all(pend);
    } else {
        json_array_foreach(leaving, i, v)
            gm_drain((int)json_integer_value(v));
    }
    if (gm_ack(w, number))
        core_log(CORE_LOG_WARN, "gmem: cannot acknowledge view %llu: %s",
                 (unsigned long long)number, praas_errmsg());
    w->acked = number;
}

/* A new view is published: install it. */
static void gm_on_publish(gm_watch_t *w, uint64_t number, json_t *members)
{
    praas_view_cb_t cb;
    void *arg;
    int *m = NULL, n = 0;

    if (gm_json_ranks(members, &m, &n))
        return;
    if (atomic_load(&w->finalizing)) {
        /* Only the barriers of praas_finalize still care. */
        core_view_set(number, m, n);
        free(m);
        return;
    }
    core_view_set(number, m, n);
    pthread_mutex_lock(&gm_view_lock);
    free(gm_members);
    gm_members = m;
    gm_nmembers = n;
    atomic_store(&gm_view_num, number);
    cb = gm_cb;
    arg = gm_cb_arg;
    pthread_mutex_unlock(&gm_view_lock);
    /* Locations are stale before the gate opens: a waiting access then
     * looks its object up again. */
    gm_cache_invalidate_view(number);
    pthread_mutex_lock(&gm_view_lock);
    memset(gm_going, 0, (size_t)gm_world);
    atomic_store(&gm_gate, 0);
    pthread_cond_broadcast(&gm_view_cond);
    pthread_mutex_unlock(&gm_view_lock);
    core_log(CORE_LOG_INFO, "gmem: view %llu published: %d members",
             (unsigned long long)number, n);
    if (cb) {
        int *copy = malloc((size_t)(n ? n : 1) * sizeof(*copy));
        if (copy) {
            memcpy(copy, m, (size_t)n * sizeof(*copy));
            cb(number, copy, n, arg);
            free(copy);
        }
    }
}

static void *gm_watch_main(void *arg)
{
    gm_watch_t *w = arg;
    json_int_t since = -1;
    unsigned backoff_ms = 50;
    char path[256];

    while (!atomic_load(&w->stop)) {
        json_t *rec = NULL;
        int rc;

        /* The first request answers at once; the next ones when the view
         * record changes, or after the poll's timeout. */
        if (since < 0)
            snprintf(path, sizeof(path), "/v1/processes/%s/view", w->process);
        else
            snprintf(path, sizeof(path), "/v1/processes/%s/view?since=%" JSON_INTEGER_FORMAT
                     "&timeout_ms=%d", w->process, since, GM_VIEW_POLL_MS);
        rc = cl_http_request(w->control, "GET", path, NULL, GM_VIEW_POLL_MS + 5000, NULL, &rec);
        if (atomic_load(&w->stop)) {
            json_decref(rec);
            break;
        }
        if (rc) {
            /* The control plane may be gone at the end of a run; a process
             * it does not know has no view to follow. Otherwise retry, less
             * and less often. */
            if (atomic_load(&w->finalizing) || rc == PRAAS_ERR_NOT_FOUND)
                break;
            nanosleep(&(struct timespec){(time_t)(backoff_ms / 1000),
                                         (long)(backoff_ms % 1000) * 1000000},
                      NULL);
            backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
            continue;
        }
        backoff_ms = 50;
        if (atomic_load(&w->finalizing) && core_expired(w->linger_until))
            atomic_store(&w->stop, 1);
        pthread_mutex_lock(&w->busy);
        if (!atomic_load(&w->stop)) {
            uint64_t number = (uint64_t)json_integer_value(json_object_get(rec, "number"));
            json_t *pend = json_object_get(rec, "pending");
            since = json_integer_value(json_object_get(rec, "gen"));
            if (number > w->seen)
                gm_on_publish(w, number, json_object_get(rec, "members"));
            w->seen = number > w->seen ? number : w->seen;
            if (json_is_object(pend))
                gm_on_pending(w, pend);
        }
        pthread_mutex_unlock(&w->busy);
        json_decref(rec);
    }
    pthread_mutex_destroy(&w->busy);
    free(w);
    return NULL;
}

int gm_view_start(void)
{
    const core_cfg_t *cfg = core_cfg();
    pthread_attr_t attr;
    pthread_t th;
    int rc;

    /* What a previous praas_init left (the thread of a finished one
     * touches none of it). */
    free(gm_going);
    free(gm_failed);
    free(gm_inflight);
    free(gm_members);
    gm_world = core_world_max(); /* workers may join: room for each rank slot */
    gm_going = calloc((size_t)gm_world, 1);
    gm_failed = calloc((size_t)gm_world, 1);
    gm_inflight = calloc((size_t)gm_world, sizeof(*gm_inflight));
    gm_members = malloc((size_t)gm_world * sizeof(*gm_members));
    if (!gm_going || !gm_failed || !gm_inflight || !gm_members) {
        free(gm_going);
        free(gm_failed);
        free(gm_inflight);
        free(gm_members);
        gm_going = NULL;
        gm_failed = NULL;
        gm_inflight = NULL;
        gm_members = NULL;
        return core_err(PRAAS_ERR_NOMEM, "no memory for a view of %d ranks", gm_world);
    }
    gm_nmembers = 0;
    for (int r = 0; r < gm_world; r++)
        if (core_is_member(r))
            gm_members[gm_nmembers++] = r;
    atomic_store(&gm_view_num, 0);
    atomic_store(&gm_gate, 0);
    if (!gm_dir_remote())
        return 0;
    gm_watch = calloc(1, sizeof(*gm_watch));
    if (!gm_watch)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the view thread");
    snprintf(gm_watch->control, sizeof(gm_watch->control), "%s", cfg->control);
    snprintf(gm_watch->process, sizeof(gm_watch->process), "%s", cfg->process);
    gm_watch->rank = (int)cfg->rank;
    gm_watch->timeout_ms = (int)cfg->op_timeout_ms;
    atomic_init(&gm_watch->stop, 0);
    atomic_init(&gm_watch->finalizing, 0);
    pthread_mutex_init(&gm_watch->busy, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&th, &attr, gm_watch_main, gm_watch);
    pthread_attr_destroy(&attr);
    if (rc) {
        pthread_mutex_destroy(&gm_watch->busy);
        free(gm_watch);
        gm_watch = NULL;
        return core_err(PRAAS_ERR_NOMEM, "cannot start the view thread: error %d", rc);
    }
    return 0;
}

/* The thread is detached: stopping it must not wait for its long poll.
 * Once finalizing is set and the busy lock was taken and released, the
 * thread only acknowledges changes and tells the core (which ignores it
 * once praas_finalize has closed it), until the control plane goes away or
 * GM_VIEW_LINGER_MS pass: the workers still meet at the finalize fence,
 * which waits for the members of the view, so a worker that dies meanwhile
 * must still leave the view. It frees its own state. */
void gm_view_stop(void)
{
    gm_watch_t *w = gm_watch;

    if (w) {
        pthread_mutex_lock(&w->busy);
        w->linger_until = core_deadline(GM_VIEW_LINGER_MS);
        atomic_store(&w->finalizing, 1);
        pthread_mutex_unlock(&w->busy);
        gm_watch = NULL;
    }
    pthread_mutex_lock(&gm_view_lock);
    atomic_store(&gm_gate, 0);
    if (gm_going)
        memset(gm_going, 0, (size_t)gm_world);
    pthread_cond_broadcast(&gm_view_cond);
    pthread_mutex_unlock(&gm_view_lock);
}

/* ---- the public API ---- */

PRAAS_API int praas_view_set_callback(praas_view_cb_t cb, void *arg)
{
    pthread_mutex_lock(&gm_view_lock);
    gm_cb = cb;
    gm_cb_arg = arg;
    pthread_mutex_unlock(&gm_view_lock);
    return 0;
}

PRAAS_API int praas_view_get(uint64_t *view_p, int *members, int cap, int *nmembers_p)
{
    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (cap < 0 || (cap > 0 && !members))
        return core_err(PRAAS_ERR_INVALID, "praas_view_get: %d members asked into %s", cap,
                        members ? "a buffer" : "NULL");
    pthread_mutex_lock(&gm_view_lock);
    if (view_p)
        *view_p = atomic_load(&gm_view_num);
    for (int i = 0; i < gm_nmembers && i < cap; i++)
        members[i] = gm_members[i];
    if (nmembers_p)
        *nmembers_p = gm_nmembers;
    pthread_mutex_unlock(&gm_view_lock);
    return 0;
}

PRAAS_API int praas_view_is_member(int rank, int *yes_p)
{
    int yes = 0;

    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!yes_p)
        return core_err(PRAAS_ERR_INVALID, "praas_view_is_member: yes_p is NULL");
    pthread_mutex_lock(&gm_view_lock);
    for (int i = 0; i < gm_nmembers; i++)
        yes |= gm_members[i] == rank;
    pthread_mutex_unlock(&gm_view_lock);
    *yes_p = yes;
    return 0;
}
