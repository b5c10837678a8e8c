/*
 * Serverless sessions (serverless.h): the operations on one session:
 * allocation, swapping, deletion, invocation through the control plane.
 * Set-up, usage and the sweeper thread are in sweeper.c.
 *
 * A session record (praas:session:<sid>) is
 *   {"id", "process", "kind": "serverless", "memory", "max_functions",
 *    "state": "live" | "swapped" | "lost", "subprocess"?, "endpoint"?,
 *    "storage"? (its key, once swapped out), "created_ms", "swapped_at"
 *    (Unix ms, while swapped), "swapped_ms" (time spent swapped before),
 *    "swaps", "base" (usage of its past lives), "last" (usage at the last
 *    swap-out)}.
 * Every change of a session runs under the session's lock (a stripe of
 * mutexes hashed by id), so a retrieve racing a swap-out or two racing
 * swap-ins do one thing each, in turn. Invocations run outside the lock:
 * the lock only covers making the session live and taking a reference to
 * its subprocess. The locks are this daemon's: two daemons sharing one
 * Redis store do not share serverless sessions (their subprocesses are
 * local children; a record naming another daemon's subprocess reads as
 * lost).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/executor.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "control/sessions.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/dp.h"
#include "storage/storage.h"

uint64_t cp_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned cp_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % CP_STRIPES;
}

pthread_mutex_t *cp_sess_lock(struct cp_sl *sl, const char *sid)
{
    return &sl->sess_locks[cp_hash(sid)];
}

pthread_mutex_t *cp_proc_lock(struct cp_sl *sl, const char *proc)
{
    return &sl->proc_locks[cp_hash(proc)];
}

json_int_t cp_jint(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* ---- records ---- */

int cp_sess_load(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
                        struct cp_sess *s)
{
    char key[CP_KEY_MAX], *text;
    size_t len;
    int rc;

    cp_key_session(key, sid);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 404, "no session '%s'", sid);
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading a session");
    s->rec = cp_parse_record(key, text, len, rep);
    free(text);
    if (s->rec == NULL)
        return -1;
    snprintf(s->sid, sizeof(s->sid), "%s", sid);
    s->proc = json_string_value(json_object_get(s->rec, "process"));
    s->state = json_string_value(json_object_get(s->rec, "state"));
    if (s->proc == NULL)
        s->proc = "";
    if (s->state == NULL)
        s->state = json_object_get(s->rec, "rank") ? "rank" : "lost";
    return 0;
}

/* A route on a session that is a rank of an SPMD run. */
int cp_sess_serverless(struct cp_sess *s, struct cp_reply *rep)
{
    if (strcmp(s->state, "rank") != 0)
        return 0;
    return cp_reply_error(rep, 409, "session '%s' is rank %" JSON_INTEGER_FORMAT " of an SPMD "
                          "run of process %s, not a serverless session", s->sid,
                          cp_jint(s->rec, "rank"), s->proc);
}

static int cp_sess_save(struct praas_control *ctl, struct cp_sess *s, struct cp_reply *rep)
{
    char key[CP_KEY_MAX];
    int rc;

    cp_key_session(key, s->sid);
    rc = cp_put_json(ctl->store, key, s->rec, 0);
    s->state = json_string_value(json_object_get(s->rec, "state"));
    return rc < 0 ? cp_reply_store(rep, rc, "saving a session") : 0;
}

static void cp_sess_set_state(struct cp_sess *s, const char *state)
{
    json_object_set_new(s->rec, "state", json_string(state));
    s->state = json_string_value(json_object_get(s->rec, "state"));
}

/* The storage key of a session's swapped state. */
static void cp_sess_storage_key(char *buf, size_t size, const char *proc, const char *sid)
{
    snprintf(buf, size, "sessions/%s/%s", proc, sid);
}

/* Answer a failed subprocess request by its code. */
static int cp_sl_rt_error(struct cp_reply *rep, int rc, const char *doing, const char *sid)
{
    int status;

    switch (rc) {
    case PRAAS_ERR_NOT_FOUND:
        status = 404;
        break;
    case PRAAS_ERR_INVALID:
    case PRAAS_ERR_RANGE:
        status = 400;
        break;
    case PRAAS_ERR_TIMEOUT:
        status = 504;
        break;
    case PRAAS_ERR_PEER:
    case PRAAS_ERR_PROTOCOL:
    case PRAAS_ERR_IO:
        status = 502;
        break;
    case PRAAS_ERR_AGAIN: /* e.g. a swap-out while invocations run */
    case PRAAS_ERR_STATE:
        status = 409;
        break;
    case PRAAS_ERR_NOMEM:
    case PRAAS_ERR_CANCELED:
        status = 503;
        break;
    default:
        status = 500;
        break;
    }
    return cp_reply_error(rep, status, "%s session %s failed: %s (%s)", doing, sid,
                          praas_errmsg(), praas_err_name(rc));
}

/* ---- process data ---- */

struct cp_proc_sl {
    json_t *rec;
    const char *library;
    json_int_t session_memory, max_functions, increment;
};

static int cp_proc_sl_load(struct praas_control *ctl, const char *proc, struct cp_reply *rep,
                           struct cp_proc_sl *p)
{
    struct cp_proc cp;
    json_t *lim;

    if (cp_proc_load(ctl, proc, rep, &cp) < 0)
        return -1;
    p->rec = cp.rec;
    p->library = json_string_value(json_object_get(cp.rec, "library"));
    if (p->library == NULL) {
        json_decref(cp.rec);
        return cp_reply_error(rep, 409, "process %s has no function library: create it with "
                              "\"library\": \"/path/to/functions.so\"", proc);
    }
    lim = json_object_get(cp.rec, "limits");
    p->session_memory = cp_jint(lim, "session_memory");
    p->max_functions = cp_jint(lim, "max_functions");
    p->increment = cp_jint(lim, "memory_increment");
    if (p->session_memory <= 0)
        p->session_memory = (json_int_t)CP_SESSION_MEMORY_DEFAULT;
    if (p->max_functions <= 0)
        p->max_functions = CP_MAX_FUNCTIONS_DEFAULT;
    if (p->increment <= 0)
        p->increment = (json_int_t)CP_MEMORY_INCREMENT_DEFAULT;
    return 0;
}

/* ---- the operations under the session's lock ---- */

/* The live usage of a session from its subprocess (new reference), or
 * NULL when the subprocess cannot say. */
json_t *cp_sess_live_usage(struct cp_sl *sl, struct cp_sess *s, int timeout_ms)
{
    const char *name = json_string_value(json_object_get(s->rec, "subprocess"));
    struct cp_sub *sub;
    json_t *u = NULL;

    if (name == NULL || cp_exec_get(sl->ex, name, &sub) < 0)
        return NULL;
    if (rt_sub_metrics(sub->conn, s->sid, timeout_ms, &u) < 0)
        u = NULL;
    cp_exec_put(sl->ex, sub);
    return u;
}

/* A session whose subprocess is gone: lost (its memory went with it). */
void cp_sess_mark_lost(struct cp_sl *sl, struct cp_sess *s, struct cp_reply *rep)
{
    struct cp_reply scratch = {0};

    core_log(CORE_LOG_WARN, "session %s of process %s was lost with subprocess %s", s->sid,
             s->proc, json_string_value(json_object_get(s->rec, "subprocess")));
    cp_sess_set_state(s, "lost");
    json_object_del(s->rec, "endpoint");
    json_object_del(s->rec, "pid");
    cp_sess_save(sl->ctl, s, rep ? rep : &scratch);
    cp_reply_clear(&scratch);
}

static int cp_sess_gone(struct cp_sess *s, struct cp_reply *rep)
{
    return cp_reply_error(rep, 410, "session %s was lost: its subprocess %s died while it was "
                          "live (only swapped sessions survive a subprocess)", s->sid,
                          json_string_value(json_object_get(s->rec, "subprocess")));
}

/* Swap a live session out, waiting timeout_ms at most for each request to
 * its subprocess. */
int cp_sess_swap_out(struct cp_sl *sl, struct cp_sess *s, int timeout_ms, struct cp_reply *rep)
{
    const char *name = json_string_value(json_object_get(s->rec, "subprocess"));
    char key[ST_KEY_MAX];
    struct cp_sub *sub;
    json_t *u = NULL, *reply = NULL;
    int rc;

    rc = name ? cp_exec_get(sl->ex, name, &sub) : PRAAS_ERR_NOT_FOUND;
    if (rc < 0) {
        cp_sess_mark_lost(sl, s, rep);
        return cp_sess_gone(s, rep);
    }
    cp_sess_storage_key(key, sizeof(key), s->proc, s->sid);
    if (rt_sub_metrics(sub->conn, s->sid, timeout_ms, &u) < 0)
        u = NULL;
    rc = rt_sub_swap_out(sub->conn, s->sid, key, timeout_ms, &reply);
    if (rc < 0) {
        json_decref(u);
        if (rc == PRAAS_ERR_PEER && cp_exec_check(sl->ex, sub)) {
            cp_exec_put(sl->ex, sub);
            cp_sess_mark_lost(sl, s, rep);
            return cp_sess_gone(s, rep);
        }
        cp_exec_put(sl->ex, sub);
        return cp_sl_rt_error(rep, rc, "swapping out", s->sid);
    }
    cp_exec_unplace(sl->ex, sub, s->sid);
    cp_exec_put(sl->ex, sub);
    cp_sess_set_state(s, "swapped");
    json_object_set_new(s->rec, "storage", json_string(key));
    json_object_set_new(s->rec, "swapped_at", json_integer((json_int_t)cp_unix_ms()));
    json_object_set_new(s->rec, "swaps", json_integer(cp_jint(s->rec, "swaps") + 1));
    json_object_set_new(s->rec, "last", u ? u : json_null());
    if (reply)
        json_object_set_new(s->rec, "swap_out", reply);
    json_object_del(s->rec, "endpoint");
    json_object_del(s->rec, "subprocess");
    json_object_del(s->rec, "pid");
    return cp_sess_save(sl->ctl, s, rep);
}

/* Bring a swapped session back on a subprocess chosen by the placement. */
static int cp_sess_swap_in(struct cp_sl *sl, struct cp_sess *s, struct cp_reply *rep)
{
    const char *key = json_string_value(json_object_get(s->rec, "storage"));
    struct cp_proc_sl p;
    struct cp_sub *sub;
    json_t *last, *u = NULL, *base;
    json_int_t at;
    int rc;

    if (key == NULL)
        return cp_reply_error(rep, 503, "the store's record of swapped session %s has no "
                              "storage key", s->sid);
    if (cp_proc_sl_load(sl->ctl, s->proc, rep, &p) < 0)
        return -1;
    /* A subprocess started for it reads the state while it starts. */
    rc = cp_exec_place(sl->ex, s->proc, p.library, s->sid, key, &sub);
    if (rc < 0) {
        json_decref(p.rec);
        return cp_reply_error(rep, 503, "no subprocess for session %s: %s", s->sid,
                              praas_errmsg());
    }
    rc = rt_sub_swap_in(sub->conn, s->sid, key, (size_t)cp_jint(s->rec, "memory"),
                        (int)cp_jint(s->rec, "max_functions"), CP_SUB_TIMEOUT_MS);
    json_decref(p.rec);
    if (rc < 0) {
        cp_exec_unplace(sl->ex, sub, s->sid);
        cp_exec_put(sl->ex, sub);
        if (rc == PRAAS_ERR_NOT_FOUND)
            return cp_reply_error(rep, 410, "session %s cannot be swapped in: its state is "
                                  "missing from storage: %s", s->sid, praas_errmsg());
        return cp_sl_rt_error(rep, rc, "swapping in", s->sid);
    }
    /* Whether the subprocess restored the counters with the memory decides
     * if the usage before the swap is in its numbers already. */
    last = json_object_get(s->rec, "last");
    if (json_is_object(last) && rt_sub_metrics(sub->conn, s->sid, CP_SUB_TIMEOUT_MS, &u) == 0 &&
        !(cp_jint(last, "invocations") > 0 &&
          cp_jint(u, "invocations") >= cp_jint(last, "invocations"))) {
        base = json_object_get(s->rec, "base");
        if (!json_is_object(base)) {
            base = cp_usage_zero();
            json_object_set_new(s->rec, "base", base);
        }
        cp_usage_add(base, last);
    }
    json_decref(u);
    json_object_del(s->rec, "last");
    at = cp_jint(s->rec, "swapped_at");
    if (at > 0)
        json_object_set_new(s->rec, "swapped_ms",
                            json_integer(cp_jint(s->rec, "swapped_ms") +
                                         ((json_int_t)cp_unix_ms() - at)));
    json_object_set_new(s->rec, "swapped_at", json_integer(0));
    cp_sess_set_state(s, "live");
    json_object_set_new(s->rec, "subprocess", json_string(sub->name));
    json_object_set_new(s->rec, "endpoint", json_string(sub->endpoint));
    json_object_set_new(s->rec, "pid", json_integer((json_int_t)sub->pid));
    cp_exec_put(sl->ex, sub);
    if (cp_sess_save(sl->ctl, s, rep) < 0)
        return -1;
    return 0;
}

/* Make session s live (swapping it in if needed) and reference its
 * subprocess. */
static int cp_sess_live(struct cp_sl *sl, struct cp_sess *s, struct cp_reply *rep,
                        struct cp_sub **sub_p)
{
    const char *name;

    if (cp_sess_serverless(s, rep) < 0)
        return -1;
    if (strcmp(s->state, "lost") == 0)
        return cp_sess_gone(s, rep);
    if (strcmp(s->state, "swapped") == 0 && cp_sess_swap_in(sl, s, rep) < 0)
        return -1;
    name = json_string_value(json_object_get(s->rec, "subprocess"));
    if (name == NULL || cp_exec_get(sl->ex, name, sub_p) < 0) {
        cp_sess_mark_lost(sl, s, rep);
        return cp_sess_gone(s, rep);
    }
    return 0;
}

/* ---- the operations ---- */

int cp_sl_alloc(struct praas_control *ctl, const char *proc, json_int_t memory,
                char sid_out[24], struct cp_reply *rep)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_proc_sl p;
    struct cp_sess s = {0};
    struct cp_sub *sub;
    char sid[24], key[CP_KEY_MAX];
    int rc;

    if (cp_proc_sl_load(ctl, proc, rep, &p) < 0)
        return -1;
    if (memory <= 0)
        memory = p.increment;
    memory = (memory + p.increment - 1) / p.increment * p.increment;
    if (memory > p.session_memory) {
        cp_reply_error(rep, 400, "memory %" JSON_INTEGER_FORMAT " (rounded up to the increment "
                       "of %" JSON_INTEGER_FORMAT ") is over the session memory limit of "
                       "process %s (%" JSON_INTEGER_FORMAT " bytes)", memory, p.increment, proc,
                       p.session_memory);
        goto err_proc;
    }
    if (cp_new_id(sid, "s-") < 0) {
        cp_reply_error(rep, 503, "cannot make a session id: %s", praas_errmsg());
        goto err_proc;
    }
    pthread_mutex_lock(cp_sess_lock(sl, sid));
    rc = cp_exec_place(sl->ex, proc, p.library, sid, NULL, &sub);
    if (rc < 0) {
        cp_reply_error(rep, 503, "no subprocess for a session of process %s: %s", proc,
                       praas_errmsg());
        goto err_unlock;
    }
    rc = rt_sub_alloc(sub->conn, sid, (size_t)memory, (int)p.max_functions, CP_SUB_TIMEOUT_MS);
    if (rc < 0) {
        cp_sl_rt_error(rep, rc, "allocating", sid);
        goto err_unplace;
    }
    snprintf(s.sid, sizeof(s.sid), "%s", sid);
    s.rec = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:I, s:i, s:i, s:i}", "id", sid,
                      "process", proc, "kind", "serverless", "memory", memory, "max_functions",
                      p.max_functions, "state", "live", "subprocess", sub->name, "endpoint",
                      sub->endpoint, "created_ms", (json_int_t)cp_unix_ms(), "swapped_ms", 0,
                      "swapped_at", 0, "swaps", 0);
    if (s.rec == NULL) {
        cp_reply_error(rep, 503, "no memory for a session record");
        goto err_delete;
    }
    json_object_set_new(s.rec, "pid", json_integer((json_int_t)sub->pid));
    if (cp_sess_save(ctl, &s, rep) < 0)
        goto err_rec;
    snprintf(key, sizeof(key), "praas:proc:%s:sl", proc);
    rc = cp_store_sadd(ctl->store, key, sid, NULL);
    if (rc < 0) {
        cp_reply_store(rep, rc, "indexing a session");
        cp_key_session(key, sid);
        cp_store_del(ctl->store, key);
        goto err_rec;
    }
    json_decref(s.rec);
    cp_exec_put(sl->ex, sub);
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
    json_decref(p.rec);
    memcpy(sid_out, sid, sizeof(sid));
    return 0;

err_rec:
    json_decref(s.rec);
err_delete:
    rt_sub_delete(sub->conn, sid, CP_SUB_TIMEOUT_MS);
err_unplace:
    cp_exec_unplace(sl->ex, sub, sid);
    cp_exec_put(sl->ex, sub);
err_unlock:
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
err_proc:
    json_decref(p.rec);
    return -1;
}

/* The public view of a session record (new reference). */
static json_t *cp_sess_view(struct cp_sess *s)
{
    static const char *const keep[] = {"id", "process", "kind", "rank", "state", "memory",
                                       "max_functions", "subprocess", "pid", "endpoint", "storage",
                                       "created_ms", "swaps"};
    json_t *v = json_object();
    json_int_t swapped = cp_jint(s->rec, "swapped_ms"), at = cp_jint(s->rec, "swapped_at");

    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(keep); i++) {
        json_t *x = json_object_get(s->rec, keep[i]);
        if (x)
            json_object_set(v, keep[i], x);
    }
    if (strcmp(s->state, "rank") == 0) {
        json_object_set_new(v, "kind", json_string("rank"));
        return v;
    }
    if (at > 0)
        swapped += (json_int_t)cp_unix_ms() - at;
    json_object_set_new(v, "swapped_ms", json_integer(swapped));
    return v;
}

int cp_sl_view(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
               json_t **view_p)
{
    struct cp_sess s;
    json_t *v;

    if (cp_sess_load(ctl, sid, rep, &s) < 0)
        return -1;
    v = cp_sess_view(&s);
    json_decref(s.rec);
    if (v == NULL)
        return cp_reply_error(rep, 503, "no memory for a session view");
    *view_p = v;
    return 0;
}

struct cp_del_ctx {
    st_t *st;
};

static int cp_del_cb(const char *key, void *arg)
{
    st_del(((struct cp_del_ctx *)arg)->st, key);
    return 0;
}

/* Delete the swapped state under key (a blob, and any under key/). */
static void cp_sl_storage_delete(struct cp_sl *sl, const char *key)
{
    char prefix[ST_KEY_MAX + 2];
    struct cp_del_ctx ctx;
    int rc;

    pthread_mutex_lock(&sl->st_lock);
    if (sl->st == NULL && (rc = st_open(sl->storage_url, &sl->st)) < 0)
        core_log(CORE_LOG_WARN, "cannot open storage %s to delete %s: %s", sl->storage_url,
                 key, praas_errmsg());
    pthread_mutex_unlock(&sl->st_lock);
    if (sl->st == NULL)
        return;
    rc = st_del(sl->st, key);
    if (rc < 0 && rc != PRAAS_ERR_NOT_FOUND)
        core_log(CORE_LOG_WARN, "cannot delete %s from storage: %s", key, praas_errmsg());
    snprintf(prefix, sizeof(prefix), "%s/", key);
    ctx.st = sl->st;
    st_list(sl->st, prefix, cp_del_cb, &ctx);
}

/* Delete session s (locked); with account, add its usage to its process's
 * record of deleted sessions. */
static int cp_sess_delete(struct cp_sl *sl, struct cp_sess *s, int account,
                          struct cp_reply *rep)
{
    const char *name = json_string_value(json_object_get(s->rec, "subprocess"));
    const char *key = json_string_value(json_object_get(s->rec, "storage"));
    json_t *u = cp_usage_zero(), *live = NULL;
    json_int_t swapped = cp_jint(s->rec, "swapped_ms");
    char k[CP_KEY_MAX];
    struct cp_sub *sub;

    if (u == NULL)
        return cp_reply_error(rep, 503, "no memory to delete a session");
    cp_usage_add(u, json_object_get(s->rec, "base"));
    if (strcmp(s->state, "live") == 0 && name && cp_exec_get(sl->ex, name, &sub) == 0) {
        if (rt_sub_metrics(sub->conn, s->sid, CP_SUB_TIMEOUT_MS, &live) == 0)
            cp_usage_add(u, live);
        json_decref(live);
        rt_sub_delete(sub->conn, s->sid, CP_SUB_TIMEOUT_MS);
        cp_exec_unplace(sl->ex, sub, s->sid);
        cp_exec_put(sl->ex, sub);
    } else {
        cp_usage_add(u, json_object_get(s->rec, "last"));
    }
    if (cp_jint(s->rec, "swapped_at") > 0)
        swapped += (json_int_t)cp_unix_ms() - cp_jint(s->rec, "swapped_at");
    if (key)
        cp_sl_storage_delete(sl, key);
    if (account)
        cp_proc_usage_add(sl, s->proc, u, swapped, 0, 1);
    json_decref(u);
    cp_key_session(k, s->sid);
    cp_store_del(sl->ctl->store, k);
    snprintf(k, sizeof(k), "praas:proc:%s:sl", s->proc);
    cp_store_srem(sl->ctl->store, k, s->sid);
    return 0;
}

int cp_sl_delete(struct praas_control *ctl, const char *sid, struct cp_reply *rep)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_sess s;
    int rc = -1;

    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(ctl, sid, rep, &s) == 0) {
        if (cp_sess_serverless(&s, rep) == 0)
            rc = cp_sess_delete(sl, &s, 1, rep);
        json_decref(s.rec);
    }
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
    return rc;
}

void cp_sl_proc_deleted(struct praas_control *ctl, const char *id)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_reply scratch = {0};
    char key[CP_KEY_MAX], **sids;
    size_t n;

    snprintf(key, sizeof(key), "praas:proc:%s:sl", id);
    if (sl == NULL || cp_store_smembers(ctl->store, key, &sids, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct cp_sess s;
        pthread_mutex_lock(cp_sess_lock(sl, sids[i]));
        if (cp_sess_load(ctl, sids[i], &scratch, &s) == 0) {
            cp_sess_delete(sl, &s, 0, &scratch);
            json_decref(s.rec);
        }
        cp_reply_clear(&scratch);
        pthread_mutex_unlock(cp_sess_lock(sl, sids[i]));
    }
    cp_strv_free(sids, n);
}

int cp_sl_swap_out(struct praas_control *ctl, const char *sid, struct cp_reply *rep)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_sess s;
    int rc = -1;

    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(ctl, sid, rep, &s) == 0) {
        if (cp_sess_serverless(&s, rep) < 0)
            ;
        else if (strcmp(s.state, "lost") == 0)
            cp_sess_gone(&s, rep);
        else if (strcmp(s.state, "swapped") == 0 ||
                 cp_sess_swap_out(sl, &s, CP_SUB_TIMEOUT_MS, rep) == 0)
            rc = cp_reply_json(rep, 200, cp_sess_view(&s));
        json_decref(s.rec);
    }
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
    return rc;
}

int cp_sl_retrieve(struct praas_control *ctl, const char *sid, struct cp_reply *rep)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_sub *sub;
    struct cp_sess s;
    int rc = -1;

    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(ctl, sid, rep, &s) == 0) {
        if (cp_sess_live(sl, &s, rep, &sub) == 0) {
            cp_exec_put(sl->ex, sub);
            rc = cp_reply_json(rep, 200, cp_sess_view(&s));
        }
        json_decref(s.rec);
    }
    pthread_mutex_unlock(cp_sess_lock(sl, sid));
    return rc;
}

int cp_sl_invoke(struct praas_control *ctl, const char *sid, const char *fn,
                 const void *payload, size_t len, struct cp_inv_opts *io,
                 struct cp_reply *rep)
{
    struct cp_sl *sl = ctl->sl;
    struct cp_sub *sub;
    struct cp_sess s;
    json_t *rmeta = NULL;
    void *out = NULL;
    size_t outlen = 0;
    char idtext[24], proc[72], ep[80], msg[1024];
    struct rt_conn *conn;
    int rc;

    if (io->id == 0)
        io->id = CP_INVOCATION_ID_BIT | atomic_fetch_add(&sl->next_inv, 1);
    snprintf(idtext, sizeof(idtext), "%" PRIu64, io->id);
    cp_reply_header(rep, "X-Praas-Session", sid);
    cp_reply_header(rep, "X-Praas-Invocation", idtext);
    pthread_mutex_lock(cp_sess_lock(sl, sid));
    if (cp_sess_load(ctl, sid, rep, &s) < 0) {
        pthread_mutex_unlock(cp_sess_lock(sl, sid));
        return -1;
    }
    if (cp_sess_live(sl, &s, rep, &sub) < 0) {
        json_decref(s.rec);
        pthread_mutex_unlock(cp_sess_lock(sl, sid));
        return -1;
    }
    snprintf(proc, sizeof(proc), "%s", s.proc);
    json_decref(s.rec);
    pthread_mutex_unlock(cp_sess_lock(sl, sid));

    snprintf(ep, sizeof(ep), "%s", sub->endpoint);
    cp_reply_header(rep, "X-Praas-Endpoint", ep);
    /* Invocations travel on a connection bound to the session (HELLO), as
     * a client's do; a connection per invocation keeps this path simple
     * (it is the first call's path; later ones go straight to the
     * session). */
    rc = rt_conn_open(ep, CP_START_TIMEOUT_MS, &conn);
    if (rc == 0) {
        rc = rt_conn_call(conn, RT_MSG_HELLO, 0, sid, NULL, NULL, 0, CP_SUB_TIMEOUT_MS, NULL,
                          NULL, NULL);
        if (rc == 0)
            rc = rt_conn_call(conn, RT_MSG_INVOKE, io->id, fn, io->meta, payload, len,
                              io->timeout_ms > 0 ? io->timeout_ms + 1000 : CP_INVOKE_TIMEOUT_MS,
                              &rmeta, &out, &outlen);
        rt_conn_close(conn);
    }
    snprintf(msg, sizeof(msg), "%s", praas_errmsg());
    cp_proc_usage_add(sl, proc, NULL, 0, 1, 0);
    core_err(rc, "%s", msg);
    if (rc == PRAAS_ERR_PEER && cp_exec_check(sl->ex, sub)) {
        cp_exec_put(sl->ex, sub);
        return cp_reply_error(rep, 410, "session %s was lost: its subprocess died during the "
                              "invocation of %s", sid, fn);
    }
    cp_exec_put(sl->ex, sub);
    if (rc < 0) {
        if (rc == PRAAS_ERR_NOT_FOUND)
            return cp_reply_error(rep, 404, "invoking %s in session %s: %s", fn, sid,
                                  praas_errmsg());
        if (rc == PRAAS_ERR_TIMEOUT)
            return cp_reply_error(rep, 504, "invoking %s in session %s: %s", fn, sid,
                                  praas_errmsg());
        return cp_reply_error(rep, rc == PRAAS_ERR_INVALID ? 400 : rc == PRAAS_ERR_PEER ? 502
                              : 500, "function %s in session %s failed: %s (%s)", fn, sid,
                              praas_errmsg(), praas_err_name(rc));
    }
    if (rmeta) {
        char num[32];
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, cp_jint(rmeta, "cpu_ns"));
        cp_reply_header(rep, "X-Praas-Cpu-Ns", num);
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, cp_jint(rmeta, "wall_ns"));
        cp_reply_header(rep, "X-Praas-Wall-Ns", num);
        json_decref(rmeta);
    }
    return cp_reply_raw(rep, 200, out, outlen);
}

int cp_sl_list_rows(struct praas_control *ctl, const char *id, json_t *table,
                    struct cp_reply *rep)
{
    char key[CP_KEY_MAX], **sids;
    size_t n;
    int rc;

    snprintf(key, sizeof(key), "praas:proc:%s:sl", id);
    rc = cp_store_smembers(ctl->store, key, &sids, &n);
    if (rc < 0)
        return cp_reply_store(rep, rc, "listing serverless sessions");
    for (size_t i = 0; i < n; i++) {
        struct cp_reply scratch = {0};
        struct cp_sess s;
        if (cp_sess_load(ctl, sids[i], &scratch, &s) == 0) {
            json_t *v = cp_sess_view(&s);
            if (v)
                json_array_append_new(table, v);
            json_decref(s.rec);
        }
        cp_reply_clear(&scratch);
    }
    cp_strv_free(sids, n);
    return 0;
}
