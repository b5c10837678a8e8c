/*
 * Serverless sessions, continued (serverless.h): the set-up and tear-down of
 * the control plane's serverless state, usage for billing, and the sweeper
 * thread that reaps dead subprocesses, stops idle ones and swaps out idle
 * sessions. The operations on one session are in sessions.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/executor.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "control/sessions.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/dp.h"
#include "storage/storage.h"

/* The usage counters that add up; peak_bytes is a maximum. */
static const char *const cp_usage_sums[] = {"invocations", "cpu_ns", "wall_ns", "bytes_in",
                                            "bytes_out"};

/* acc += u (acc an object, u an object or NULL). */
void cp_usage_add(json_t *acc, json_t *u)
{
    if (!json_is_object(u))
        return;
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(cp_usage_sums); i++)
        json_object_set_new(acc, cp_usage_sums[i], json_integer(cp_jint(acc, cp_usage_sums[i]) +
                                                                cp_jint(u, cp_usage_sums[i])));
    if (cp_jint(u, "peak_bytes") > cp_jint(acc, "peak_bytes"))
        json_object_set_new(acc, "peak_bytes", json_integer(cp_jint(u, "peak_bytes")));
}

json_t *cp_usage_zero(void)
{
    json_t *u = json_object();
    for (size_t i = 0; u && i < PRAAS_ARRAY_SIZE(cp_usage_sums); i++)
        json_object_set_new(u, cp_usage_sums[i], json_integer(0));
    if (u)
        json_object_set_new(u, "peak_bytes", json_integer(0));
    return u;
}

/* ---- set-up ---- */

static void *cp_sl_sweeper(void *arg);

int cp_sl_start(struct praas_control *ctl, const praas_control_opts_t *opts)
{
    struct cp_exec_opts eo = {0};
    const struct cp_placement_ops *pl = &cp_placement_round_robin;
    struct cp_sl *sl;
    const char *env;
    char *url = NULL;
    int rc;

    if (opts->placement && (pl = cp_placement_find(opts->placement)) == NULL)
        return core_err(PRAAS_ERR_INVALID, "placement '%s' is not one of round-robin, spread",
                        opts->placement);
    if (opts->idle_swap_ms < 0 || opts->sessions_per_subprocess < 0 ||
        opts->subprocess_grace_ms < 0)
        return core_err(PRAAS_ERR_INVALID, "idle_swap_ms, sessions_per_subprocess and "
                        "subprocess_grace_ms must not be negative");
    sl = calloc(1, sizeof(*sl));
    if (sl == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the serverless state");
    sl->ctl = ctl;
    sl->idle_swap_ms = opts->idle_swap_ms;
    if (opts->storage)
        url = strdup(opts->storage);
    else if ((env = getenv("PRAAS_STORAGE")) != NULL && *env)
        url = strdup(env);
    else if (asprintf(&url, "file://%s/praas-storage",
                      getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < 0)
        url = NULL;
    if (url == NULL) {
        free(sl);
        return core_err(PRAAS_ERR_NOMEM, "no memory for the storage URL");
    }
    sl->storage_url = url;
    eo.process_bin = opts->process_bin;
    if (eo.process_bin == NULL)
        eo.process_bin = getenv("PRAAS_PROCESS_BIN");
    if (eo.process_bin == NULL || *eo.process_bin == '\0')
        eo.process_bin = "praas-process";
    eo.storage = url;
    eo.sessions_per_sub = opts->sessions_per_subprocess ? opts->sessions_per_subprocess
                                                        : CP_SESSIONS_PER_SUB_DEFAULT;
    eo.grace_ms = opts->subprocess_grace_ms ? opts->subprocess_grace_ms : CP_GRACE_MS_DEFAULT;
    eo.start_timeout_ms = CP_START_TIMEOUT_MS;
    eo.max_payload = ctl->max_payload;
    eo.placement = pl;
    eo.ping_interval_ms = opts->ping_interval_ms == 0 ? CP_PING_INTERVAL_MS_DEFAULT
                          : opts->ping_interval_ms < 0 ? 0 : opts->ping_interval_ms;
    eo.ping_timeout_ms = PRAAS_MAX(2 * eo.ping_interval_ms, CP_PING_TIMEOUT_MIN_MS);
    eo.ping_misses = CP_PING_MISSES;
    cp_sl_member_ops(sl, &eo.member);
    /* Short: the sweeper asks every live session in turn, and a hung
     * subprocess is the pings' to find. */
    sl->sweep_timeout_ms = eo.ping_interval_ms > 0 ? eo.ping_timeout_ms : CP_METRICS_TIMEOUT_MS;
    rc = cp_exec_open(&eo, &sl->ex);
    if (rc < 0) {
        free(url);
        free(sl);
        return rc;
    }
    pthread_mutex_init(&sl->st_lock, NULL);
    pthread_mutex_init(&sl->lock, NULL);
    pthread_cond_init(&sl->cond, NULL);
    for (int i = 0; i < CP_STRIPES; i++) {
        pthread_mutex_init(&sl->sess_locks[i], NULL);
        pthread_mutex_init(&sl->proc_locks[i], NULL);
    }
    atomic_init(&sl->next_inv, 1);
    ctl->sl = sl;
    if (pthread_create(&sl->sweeper, NULL, cp_sl_sweeper, sl) == 0)
        sl->sweeper_on = 1;
    return 0;
}

static void cp_sl_swap_all(struct cp_sl *sl, int budget_ms);

void cp_sl_kill(struct praas_control *ctl)
{
    struct cp_sl *sl = ctl->sl;

    if (sl == NULL || sl->killed)
        return;
    sl->killed = 1;
    pthread_mutex_lock(&sl->lock);
    sl->stop = 1;
    pthread_cond_broadcast(&sl->cond);
    pthread_mutex_unlock(&sl->lock);
    if (sl->sweeper_on)
        pthread_join(sl->sweeper, NULL);
    sl->sweeper_on = 0;
    /* A store that outlives the daemon keeps the sessions: swap the live
     * ones out, so that the next daemon finds them swapped, not lost. */
    if (ctl->store->ops->shared)
        cp_sl_swap_all(sl, CP_STOP_SWAP_MS);
    cp_exec_kill(sl->ex);
}

/* Swap every live session out within budget_ms; those not done by then
 * (busy, or their subprocess does not answer) are left to be lost. */
static void cp_sl_swap_all(struct cp_sl *sl, int budget_ms)
{
    uint64_t until = core_deadline(budget_ms);
    struct cp_exec_sess *list;
    size_t n, done = 0;

    if (cp_exec_sessions(sl->ex, &list, &n) < 0)
        return;
    if (n == 0) {
        free(list);
        return;
    }
    core_log(CORE_LOG_INFO, "stopping: swapping out %zu live sessions", n);
    for (size_t i = 0; i < n; i++) {
        struct cp_reply scratch = {0};
        struct timespec ts;
        uint64_t left_ns;
        struct cp_sess s;
        int rc = -1;

        if (core_now_ns() >= until)
            break;
        left_ns = until - core_now_ns();
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(left_ns / 1000000000u);
        ts.tv_nsec += (long)(left_ns % 1000000000u);
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        if (pthread_mutex_timedlock(cp_sess_lock(sl, list[i].sid), &ts) != 0)
            break;
        if (cp_sess_load(sl->ctl, list[i].sid, &scratch, &s) == 0) {
            /* Invocations still running (the data plane): retry a while. */
            while (strcmp(s.state, "live") == 0 && core_now_ns() < until) {
                int ms = (int)PRAAS_MAX((until - PRAAS_MIN(until, core_now_ns())) / 1000000u,
                                        1u);
                cp_reply_clear(&scratch);
                scratch.status = 0;
                rc = cp_sess_swap_out(sl, &s, ms, &scratch);
                if (rc == 0 || scratch.status != 409)
                    break;
                usleep(20000);
            }
            json_decref(s.rec);
        }
        if (rc == 0)
            done++;
        else
            core_log(CORE_LOG_WARN, "stopping: session %s was not swapped out", list[i].sid);
        cp_reply_clear(&scratch);
        pthread_mutex_unlock(cp_sess_lock(sl, list[i].sid));
    }
    core_log(CORE_LOG_INFO, "stopping: swapped out %zu of %zu live sessions", done, n);
    free(list);
}

void cp_sl_free(struct praas_control *ctl)
{
    struct cp_sl *sl = ctl->sl;

    if (sl == NULL)
        return;
    cp_sl_kill(ctl);
    cp_exec_close(sl->ex);
    st_close(sl->st);
    for (int i = 0; i < CP_STRIPES; i++) {
        pthread_mutex_destroy(&sl->sess_locks[i]);
        pthread_mutex_destroy(&sl->proc_locks[i]);
    }
    pthread_mutex_destroy(&sl->st_lock);
    pthread_mutex_destroy(&sl->lock);
    pthread_cond_destroy(&sl->cond);
    free(sl->storage_url);
    free(sl);
    ctl->sl = NULL;
}

/* ---- usage ---- */

/* Add u to the usage record of process proc (deleted sessions) and, when
 * cp_invocations, count invocations through the control plane. */
void cp_proc_usage_add(struct cp_sl *sl, const char *proc, json_t *u,
                              json_int_t swapped_ms, int cp_invocations, int deleted)
{
    char key[CP_KEY_MAX], *text;
    json_t *acc = NULL;
    size_t len;

    snprintf(key, sizeof(key), "praas:proc:%s:usage", proc);
    pthread_mutex_lock(cp_proc_lock(sl, proc));
    if (cp_store_get(sl->ctl->store, key, &text, &len) == 0) {
        acc = json_loadb(text, len, 0, NULL);
        free(text);
    }
    if (!json_is_object(acc)) {
        json_decref(acc);
        acc = cp_usage_zero();
    }
    if (acc) {
        cp_usage_add(acc, u);
        json_object_set_new(acc, "swapped_ms", json_integer(cp_jint(acc, "swapped_ms") +
                                                            swapped_ms));
        json_object_set_new(acc, "control_invocations",
                            json_integer(cp_jint(acc, "control_invocations") + cp_invocations));
        json_object_set_new(acc, "sessions_deleted",
                            json_integer(cp_jint(acc, "sessions_deleted") + deleted));
        cp_put_json(sl->ctl->store, key, acc, 0);
        json_decref(acc);
    }
    pthread_mutex_unlock(cp_proc_lock(sl, proc));
}

/* The usage of one session (locked), with "swapped_ms" and "state". */
static json_t *cp_sess_usage(struct cp_sl *sl, struct cp_sess *s)
{
    json_t *u = cp_usage_zero(), *live;
    json_int_t swapped = cp_jint(s->rec, "swapped_ms");

    if (u == NULL)
        return NULL;
    cp_usage_add(u, json_object_get(s->rec, "base"));
    if (strcmp(s->state, "live") == 0 &&
        (live = cp_sess_live_usage(sl, s, CP_METRICS_TIMEOUT_MS)) != NULL) {
        cp_usage_add(u, live);
        if (json_object_get(live, "idle_ms"))
            json_object_set(u, "idle_ms", json_object_get(live, "idle_ms"));
        json_decref(live);
    } else {
        cp_usage_add(u, json_object_get(s->rec, "last"));
    }
    if (cp_jint(s->rec, "swapped_at") > 0)
        swapped += (json_int_t)cp_unix_ms() - cp_jint(s->rec, "swapped_at");
    json_object_set_new(u, "swapped_ms", json_integer(swapped));
    json_object_set_new(u, "swaps", json_integer(cp_jint(s->rec, "swaps")));
    json_object_set_new(u, "state", json_string(s->state));
    json_object_set_new(u, "session", json_string(s->sid));
    return u;
}

int cp_sl_session_metrics(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
                          json_t **usage_p)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_sess s;
    json_t *u = NULL;
    int rc = -1;

    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(ctl, sid, rep, &s) == 0) {
        if (cp_sess_serverless(&s, rep) == 0) {
            u = cp_sess_usage(sl, &s);
            rc = u ? 0 : cp_reply_error(rep, 503, "no memory for a session's usage");
        }
        json_decref(s.rec);
    }
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
    if (rc == 0)
        *usage_p = u;
    return rc;
}

int cp_sl_proc_metrics(struct praas_control *ctl, const char *proc, struct cp_reply *rep,
                       json_t **usage_p)
{
    struct cp_sl *sl = ctl->sl;
    char key[CP_KEY_MAX], *text, **sids;
    json_t *acc = NULL, *rows;
    struct cp_proc p;
    size_t n, len;
    json_int_t swapped = 0;

    if (cp_proc_load(ctl, proc, rep, &p) < 0)
        return -1;
    json_decref(p.rec);
    snprintf(key, sizeof(key), "praas:proc:%s:usage", proc);
    pthread_mutex_lock(cp_proc_lock(sl, proc));
    if (cp_store_get(ctl->store, key, &text, &len) == 0) {
        acc = json_loadb(text, len, 0, NULL);
        free(text);
    }
    pthread_mutex_unlock(cp_proc_lock(sl, proc));
    if (!json_is_object(acc)) {
        json_decref(acc);
        acc = cp_usage_zero();
    }
    rows = json_array();
    if (acc == NULL || rows == NULL) {
        json_decref(acc);
        json_decref(rows);
        return cp_reply_error(rep, 503, "no memory for a process's usage");
    }
    swapped = cp_jint(acc, "swapped_ms");
    snprintf(key, sizeof(key), "praas:proc:%s:sl", proc);
    if (cp_store_smembers(ctl->store, key, &sids, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct cp_reply scratch = {0};
            struct cp_sess s;
            pthread_mutex_lock(cp_sess_lock(sl, sids[i]));
            if (cp_sess_load(ctl, sids[i], &scratch, &s) == 0) {
                json_t *u = cp_sess_usage(sl, &s);
                if (u) {
                    cp_usage_add(acc, u);
                    swapped += cp_jint(u, "swapped_ms");
                    json_array_append_new(rows, u);
                }
                json_decref(s.rec);
            }
            pthread_mutex_unlock(cp_sess_lock(sl, sids[i]));
            cp_reply_clear(&scratch);
        }
        cp_strv_free(sids, n);
    }
    json_object_set_new(acc, "swapped_ms", json_integer(swapped));
    json_object_set_new(acc, "process", json_string(proc));
    json_object_set_new(acc, "sessions", rows);
    json_object_set_new(acc, "subprocesses", json_integer((json_int_t)cp_exec_count(sl->ex,
                                                                                   proc)));
    *usage_p = acc;
    return 0;
}

/* ---- the sweeper ---- */

static void cp_sl_lost(void *arg, const char *proc, const char *sid, const char *subname)
{
    struct cp_sl *sl = arg;
    struct cp_reply scratch = {0};
    struct cp_sess s;
    const char *on;

    (void)proc;
    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(sl->ctl, sid, &scratch, &s) == 0) {
        on = json_string_value(json_object_get(s.rec, "subprocess"));
        if (strcmp(s.state, "live") == 0 && on && strcmp(on, subname) == 0)
            cp_sess_mark_lost(sl, &s, &scratch);
        json_decref(s.rec);
    }
    cp_reply_clear(&scratch);
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
}

/* Swap session sid out if it has been idle for idle_swap_ms. */
static void cp_sl_idle_check(struct cp_sl *sl, const char *sid)
{
    struct cp_reply scratch = {0};
    struct cp_sess s;
    json_t *u;

    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(sl->ctl, sid, &scratch, &s) == 0) {
        if (strcmp(s.state, "live") == 0 &&
            (u = cp_sess_live_usage(sl, &s, sl->sweep_timeout_ms)) != NULL) {
            const char *st = json_string_value(json_object_get(u, "state"));
            /* Idle: nothing running, queued or waiting for arguments. */
            if (cp_jint(u, "idle_ms") >= sl->idle_swap_ms && st && strcmp(st, "live") == 0 &&
                cp_jint(u, "running") == 0 && cp_jint(u, "queued") == 0 &&
                cp_jint(u, "waiting") == 0) {
                core_log(CORE_LOG_INFO, "swapping out session %s: idle for %" JSON_INTEGER_FORMAT
                         " ms", sid, cp_jint(u, "idle_ms"));
                if (cp_sess_swap_out(sl, &s, CP_SUB_TIMEOUT_MS, &scratch) < 0)
                    core_log(CORE_LOG_WARN, "idle swap-out of %s failed", sid);
            }
            json_decref(u);
        }
        json_decref(s.rec);
    }
    cp_reply_clear(&scratch);
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
}

static void *cp_sl_sweeper(void *arg)
{
    struct cp_sl *sl = arg;
    int period = sl->idle_swap_ms > 0 ? PRAAS_MAX(PRAAS_MIN(sl->idle_swap_ms / 4, 500), 50)
                                      : 200;

    pthread_mutex_lock(&sl->lock);
    while (!sl->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)period * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&sl->cond, &sl->lock, &ts);
        if (sl->stop)
            break;
        pthread_mutex_unlock(&sl->lock);
        cp_exec_ping(sl->ex);
        cp_exec_sweep(sl->ex, cp_sl_lost, sl);
        if (sl->idle_swap_ms > 0) {
            struct cp_exec_sess *list;
            size_t n;
            if (cp_exec_sessions(sl->ex, &list, &n) == 0) {
                /* Not on a subprocess that may be hung: its pings decide
                 * (a usage query would hold up the sweeper). */
                for (size_t i = 0; i < n && !sl->stop; i++)
                    if (list[i].missed == 0)
                        cp_sl_idle_check(sl, list[i].sid);
                free(list);
            }
        }
        pthread_mutex_lock(&sl->lock);
    }
    pthread_mutex_unlock(&sl->lock);
    return NULL;
}
