/*
 * Views: the numbered membership of a process and its changes (DESIGN.md
 * decision 8), routes of doc/control-api.md ("Views"):
 *   GET  /v1/processes/{id}/view[?since=G&timeout_ms=T]  the view (long poll)
 *   POST /v1/processes/{id}/views                         announce a change
 *   POST /v1/processes/{id}/views/ack                     a worker acknowledges
 *   POST /v1/processes/{id}/views/report                  a member reports its exchanges
 *
 * Key: praas:proc:<id>:view, JSON
 *   {"number": N, "members": [R...], "gen": G,
 *    "pending": {"number": N+1, "members": [...], "leaving": [...], "failed": [...],
 *                "joining": [...], "expect": [...], "acked": [...],
 *                "reported": [...], "rounds": C, "target": T}}
 * Absent means view 0 of every rank of the process (0 .. size-1), the view
 * every run starts in (a new run sweeps the key, routes.c). "gen" counts the
 * changes of the record (an announcement, an acknowledgement, a
 * publication), so that a long poll returns at each.
 *
 * A change: POST .../views names leaving ranks (they leave in order: drain,
 * migrate their objects, acknowledge) and failed ranks (dead: their sessions
 * are removed at once, so their objects' owners stop being live, and they
 * are not waited for). Every other member acknowledges once it has drained
 * its communication with the ranks that go; a leaving rank acknowledges
 * last, after every other expected rank (it migrates its objects in
 * between). When every expected rank has acknowledged, the new view is
 * published: number N+1, the members that stay; the leaving ranks'
 * sessions are removed.
 *
 * The exchanges of the old view (core_exchange, src/core/context.c): each
 * member of the old view (expected, not joining) reports how many it has
 * started in that view (POST .../views/report); "rounds" is the largest so
 * far, and once every one has reported (or failed) "target" = "rounds" is
 * set: every member finishes that many in the old view before it
 * acknowledges, and starts the next one in the new view.
 *
 * A join (POST .../views {"join": [R...]}, a change of its own): R may be
 * past the process's size. Once announced, R counts as a rank of the
 * process (cp_proc_load_ranks): it registers its session, fences, owns
 * objects. Every member connects to it and acknowledges; a joining rank
 * acknowledges last (every member reaches it by then). A joining rank that
 * fails is dropped from the change like any failed rank.
 *
 * Read-modify-write of the record is serialized by one mutex per server:
 * enough for praas-run's embedded control plane and one daemon; several
 * daemons sharing a Redis store could interleave changes of one process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/routes.h"
#include "control/serverless.h"
#include "core/common.h"
#include "core/error.h"

#define CP_VIEW_POLL_MS 20
#define CP_VIEW_CHECK_MS 1000
#define CP_VIEW_TIMEOUT_MAX_MS 600000
/* A joining rank is below this (the control plane's bound on a process's
 * size); a worker's own bound is PRAAS_MAX_WORKERS. */
#define CP_VIEW_RANK_MAX 1048576

static pthread_mutex_t cp_view_lock = PTHREAD_MUTEX_INITIALIZER;

static void cp_key_view(char *buf, const char *id)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s:view", id);
}

/* Whether the JSON array of integers a holds r. */
static int cp_arr_has(json_t *a, json_int_t r)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
        if (json_integer_value(v) == r)
            return 1;
    return 0;
}

static void cp_arr_remove(json_t *a, json_int_t r)
{
    for (size_t i = 0; i < json_array_size(a);)
        if (json_integer_value(json_array_get(a, i)) == r)
            json_array_remove(a, i);
        else
            i++;
}

/* Load the view record of process p (the default view 0 when absent).
 * Returns 0, or -1 after answering 503. */
static int cp_view_load(struct praas_control *ctl, const char *id, const struct cp_proc *p,
                        struct cp_reply *rep, json_t **view_p)
{
    char key[CP_KEY_MAX], *text;
    json_t *view, *members;
    size_t len;
    int rc;

    cp_key_view(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND) {
        members = json_array();
        for (json_int_t r = 0; members && r < p->size; r++)
            json_array_append_new(members, json_integer(r));
        view = members ? json_pack("{s:i, s:o, s:i}", "number", 0, "members", members, "gen", 0)
                       : NULL;
        if (!view)
            return cp_reply_error(rep, 503, "no memory for the view of process %s", id);
        *view_p = view;
        return 0;
    }
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading a view");
    view = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_object(view) || !json_is_array(json_object_get(view, "members"))) {
        json_decref(view);
        return cp_reply_error(rep, 503, "the store holds a malformed record under '%s'", key);
    }
    *view_p = view;
    return 0;
}

static int cp_view_save(struct praas_control *ctl, const char *id, json_t *view)
{
    char key[CP_KEY_MAX], *text;
    json_t *gen = json_object_get(view, "gen");
    int rc;

    json_object_set_new(view, "gen", json_integer(gen ? json_integer_value(gen) + 1 : 1));
    cp_key_view(key, id);
    text = json_dumps(view, JSON_COMPACT);
    if (!text)
        return core_err(PRAAS_ERR_NOMEM, "no memory to encode the view of process %s", id);
    rc = cp_store_set(ctl->store, key, text, strlen(text), 0);
    free(text);
    return rc;
}

int cp_view_size(struct praas_control *ctl, const char *id, json_int_t def, json_int_t *n_p)
{
    char key[CP_KEY_MAX], *text;
    json_t *view;
    size_t len;
    int rc;

    cp_key_view(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND) {
        *n_p = def;
        return 0;
    }
    if (rc < 0)
        return rc;
    view = json_loadb(text, len, 0, NULL);
    free(text);
    *n_p = json_is_object(view) ? (json_int_t)json_array_size(json_object_get(view, "members"))
                                : def;
    json_decref(view);
    return 0;
}

/* The largest rank + 1 in the JSON array a, or lo if larger. */
static json_int_t cp_arr_bound(json_t *a, json_int_t lo)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
        if (json_integer_value(v) + 1 > lo)
            lo = json_integer_value(v) + 1;
    return lo;
}

int cp_proc_load_ranks(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                       struct cp_proc *p)
{
    char key[CP_KEY_MAX], *text;
    json_t *view;
    size_t len;
    int rc;

    if (cp_proc_load(ctl, id, rep, p) < 0)
        return -1;
    cp_key_view(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return 0;
    if (rc < 0) {
        json_decref(p->rec);
        return cp_reply_store(rep, rc, "reading a view");
    }
    view = json_loadb(text, len, 0, NULL);
    free(text);
    p->size = cp_arr_bound(json_object_get(view, "members"), p->size);
    p->size = cp_arr_bound(json_object_get(json_object_get(view, "pending"), "members"),
                           p->size);
    json_decref(view);
    return 0;
}

/* Remove the session of rank r (its record, its place in the ranks set,
 * its session record); absent is fine. */
static int cp_view_drop_session(struct praas_control *ctl, const char *id, json_int_t r)
{
    char key[CP_KEY_MAX], rank_s[24], *text;
    json_t *rec;
    int rc;

    cp_key_rank(key, id, r);
    rc = cp_store_get(ctl->store, key, &text, NULL);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    rec = json_loads(text, 0, NULL);
    free(text);
    if (json_is_string(json_object_get(rec, "id"))) {
        const char *sid = json_string_value(json_object_get(rec, "id"));
        char skey[CP_KEY_MAX];
        if (cp_ident_ok(sid, strlen(sid))) {
            cp_key_session(skey, sid);
            cp_store_del(ctl->store, skey);
        }
    }
    json_decref(rec);
    rc = cp_store_del(ctl->store, key);
    if (rc < 0 && rc != PRAAS_ERR_NOT_FOUND)
        return rc;
    cp_key_ranks(key, id);
    snprintf(rank_s, sizeof(rank_s), "%" JSON_INTEGER_FORMAT, r);
    return cp_store_srem(ctl->store, key, rank_s);
}

/* Publish the pending view of view if every expected rank acknowledged:
 * the new number and members, the leaving ranks' sessions removed.
 * Returns 1 when published, 0 when not yet, or a store error. */
static int cp_view_try_publish(struct praas_control *ctl, const char *id, json_t *view)
{
    json_t *pend = json_object_get(view, "pending"), *v;
    size_t i;
    int rc;

    if (!pend)
        return 0;
    json_array_foreach(json_object_get(pend, "expect"), i, v)
        if (!cp_arr_has(json_object_get(pend, "acked"), json_integer_value(v)))
            return 0;
    json_array_foreach(json_object_get(pend, "leaving"), i, v) {
        rc = cp_view_drop_session(ctl, id, json_integer_value(v));
        if (rc < 0)
            return rc;
    }
    json_object_set(view, "number", json_object_get(pend, "number"));
    json_object_set(view, "members", json_object_get(pend, "members"));
    json_object_del(view, "pending");
    return 1;
}

/* Read field name of body as a list of distinct ranks in [0, hi);
 * absent is an empty list. Returns 0 or -1 (answered 400). */
static int cp_view_ranks(struct cp_reply *rep, json_t *body, const char *name,
                         json_int_t hi, json_t **list_p)
{
    json_t *a = json_object_get(body, name), *v;
    size_t i;

    if (!a) {
        *list_p = json_array();
        return 0;
    }
    if (!json_is_array(a))
        return cp_reply_error(rep, 400, "field '%s' must be an array of ranks", name);
    json_array_foreach(a, i, v) {
        json_int_t r = json_integer_value(v);
        if (!json_is_integer(v))
            return cp_reply_error(rep, 400, "field '%s': element %zu is not an integer", name,
                                  i);
        if (r < 0 || r >= hi)
            return cp_reply_error(rep, 400, "field '%s': rank %" JSON_INTEGER_FORMAT " is out "
                                  "of range [0, %" JSON_INTEGER_FORMAT ")", name, r, hi);
        for (size_t k = 0; k < i; k++)
            if (json_integer_value(json_array_get(a, k)) == r)
                return cp_reply_error(rep, 400, "field '%s' names rank %" JSON_INTEGER_FORMAT
                                      " twice", name, r);
    }
    *list_p = json_incref(a);
    return 0;
}

/* Set the target of pending change pend once every member of the old view
 * still expected (not joining) has reported its exchanges. */
static void cp_view_try_target(json_t *pend)
{
    json_t *v;
    size_t i;

    if (!pend || json_object_get(pend, "target"))
        return;
    json_array_foreach(json_object_get(pend, "expect"), i, v)
        if (!cp_arr_has(json_object_get(pend, "joining"), json_integer_value(v)) &&
            !cp_arr_has(json_object_get(pend, "reported"), json_integer_value(v)))
            return;
    json_object_set_new(pend, "target",
                        json_integer(json_integer_value(json_object_get(pend, "rounds"))));
}

/* Insert rank r into the sorted JSON array a. */
static void cp_arr_insert(json_t *a, json_int_t r)
{
    size_t i = 0;

    while (i < json_array_size(a) && json_integer_value(json_array_get(a, i)) < r)
        i++;
    json_array_insert_new(a, i, json_integer(r));
}

/* POST .../views: {"leave": [R...], "failed": [R...]} or {"join": [R...]}. */
static int route_view_announce(struct praas_control *ctl, const struct cp_request *req,
                               const char *id, struct cp_reply *rep)
{
    json_t *body, *view = NULL, *leave = NULL, *failed = NULL, *join = NULL, *pend, *members, *v;
    struct cp_proc p;
    size_t i;
    int rc, status = 202;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    /* Ranks that joined count as ranks of the process (p.size raised). */
    if (cp_proc_load_ranks(ctl, id, rep, &p) < 0)
        goto out_body;
    if (cp_view_ranks(rep, body, "leave", p.size, &leave) < 0 ||
        cp_view_ranks(rep, body, "failed", p.size, &failed) < 0 ||
        cp_view_ranks(rep, body, "join", CP_VIEW_RANK_MAX, &join) < 0)
        goto out_proc;
    if (json_array_size(leave) == 0 && json_array_size(failed) == 0 &&
        json_array_size(join) == 0) {
        cp_reply_error(rep, 400, "the body names no rank: give 'leave', 'failed' or 'join' "
                       "(arrays of ranks)");
        goto out_proc;
    }
    /* A join is a change of its own: the joiners connect to the members
     * that stay, which a simultaneous leave would make a moving target. */
    if (json_array_size(join) && (json_array_size(leave) || json_array_size(failed))) {
        cp_reply_error(rep, 400, "field 'join' cannot be combined with 'leave' or 'failed' in "
                       "one change; announce the join alone");
        goto out_proc;
    }
    json_array_foreach(leave, i, v)
        if (cp_arr_has(failed, json_integer_value(v))) {
            cp_reply_error(rep, 400, "rank %" JSON_INTEGER_FORMAT " is both leaving and failed",
                           json_integer_value(v));
            goto out_proc;
        }

    pthread_mutex_lock(&cp_view_lock);
    if (cp_view_load(ctl, id, &p, rep, &view) < 0)
        goto out_unlock;
    pend = json_object_get(view, "pending");
    /* A change in progress takes failures (a worker may die while another
     * leaves) but not a second planned change. */
    if (pend && (json_array_size(leave) || json_array_size(join))) {
        cp_reply_error(rep, 409, "view %" JSON_INTEGER_FORMAT " of process %s is being "
                       "installed; announce the next change after it is published",
                       json_integer_value(json_object_get(pend, "number")), id);
        goto out_unlock;
    }
    members = pend ? json_object_get(pend, "members") : json_object_get(view, "members");
    json_array_foreach(leave, i, v)
        if (!cp_arr_has(members, json_integer_value(v))) {
            cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " is not a member of the view "
                           "of process %s", json_integer_value(v), id);
            goto out_unlock;
        }
    json_array_foreach(failed, i, v)
        if (!cp_arr_has(members, json_integer_value(v)) &&
            !(pend && cp_arr_has(json_object_get(pend, "leaving"), json_integer_value(v)))) {
            cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " is not a member of the view "
                           "of process %s", json_integer_value(v), id);
            goto out_unlock;
        }
    json_array_foreach(join, i, v)
        if (cp_arr_has(members, json_integer_value(v))) {
            cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " is already a member of the "
                           "view of process %s", json_integer_value(v), id);
            goto out_unlock;
        }
    if (json_array_size(members) <= json_array_size(leave)) {
        cp_reply_error(rep, 409, "the change would leave process %s without a worker: keep at "
                       "least one", id);
        goto out_unlock;
    }
    if (!pend) {
        pend = json_pack("{s:I, s:O, s:[], s:[], s:[], s:O, s:[], s:[], s:i}", "number",
                         json_integer_value(json_object_get(view, "number")) + 1, "members",
                         members, "leaving", "failed", "joining", "expect", members, "acked",
                         "reported", "rounds", 0);
        if (!pend) {
            cp_reply_error(rep, 503, "no memory for a view change");
            goto out_unlock;
        }
        /* The copies must not share the members array. */
        json_object_set_new(pend, "members", json_deep_copy(members));
        json_object_set_new(pend, "expect", json_deep_copy(members));
        json_object_set_new(view, "pending", pend);
    }
    json_array_foreach(leave, i, v) {
        cp_arr_remove(json_object_get(pend, "members"), json_integer_value(v));
        json_array_append(json_object_get(pend, "leaving"), v);
    }
    json_array_foreach(join, i, v) {
        cp_arr_insert(json_object_get(pend, "members"), json_integer_value(v));
        cp_arr_insert(json_object_get(pend, "expect"), json_integer_value(v));
        json_array_append(json_object_get(pend, "joining"), v);
    }
    json_array_foreach(failed, i, v) {
        json_int_t r = json_integer_value(v);
        cp_arr_remove(json_object_get(pend, "members"), r);
        cp_arr_remove(json_object_get(pend, "leaving"), r);
        cp_arr_remove(json_object_get(pend, "joining"), r);
        cp_arr_remove(json_object_get(pend, "expect"), r);
        cp_arr_remove(json_object_get(pend, "acked"), r);
        json_array_append(json_object_get(pend, "failed"), v);
        /* Dead: its objects' owner is no longer live from now on. */
        rc = cp_view_drop_session(ctl, id, r);
        if (rc < 0) {
            cp_reply_store(rep, rc, "removing a failed session");
            goto out_unlock;
        }
    }
    if (json_array_size(json_object_get(pend, "members")) == 0) {
        /* Everybody failed: nothing is left to acknowledge. */
        json_object_set_new(pend, "expect", json_array());
    }
    /* A failed rank reports nothing: the others may be all there is. */
    cp_view_try_target(pend);
    rc = cp_view_try_publish(ctl, id, view);
    if (rc == 1)
        status = 200;
    if (rc >= 0)
        rc = cp_view_save(ctl, id, view);
    if (rc < 0) {
        cp_reply_store(rep, rc, "announcing a view change");
        goto out_unlock;
    }
    pthread_mutex_unlock(&cp_view_lock);
    cp_server_notify(ctl);
    json_decref(leave);
    json_decref(failed);
    json_decref(join);
    json_decref(p.rec);
    json_decref(body);
    return cp_reply_json(rep, status, view);

out_unlock:
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(view);
out_proc:
    json_decref(leave);
    json_decref(failed);
    json_decref(join);
    json_decref(p.rec);
out_body:
    json_decref(body);
    return -1;
}

/* Whether rank r of pending change pend acknowledges after the others
 * (it leaves or joins). */
static int cp_view_goes_last(json_t *pend, json_int_t r)
{
    return cp_arr_has(json_object_get(pend, "leaving"), r) ||
           cp_arr_has(json_object_get(pend, "joining"), r);
}

/* Load process id into *p, take cp_view_lock, and read its view into
 * *view_p and, when its change to view `number` is under way, that change
 * into *pend_p. Returns 0 when it is under way (the lock held; view and
 * p->rec go to cp_view_commit or cp_view_abort); 1 when view `number` (or a
 * later one) is published already (the lock and p->rec released, *view_p
 * the caller's); -1 after replying an error (409 when view `number` is not
 * being installed), nothing held. */
static int cp_view_open(struct praas_control *ctl, const char *id, json_int_t number,
                        struct cp_reply *rep, struct cp_proc *p, json_t **view_p,
                        json_t **pend_p)
{
    json_t *pend;
    int rc;

    *view_p = NULL;
    if (cp_proc_load(ctl, id, rep, p) < 0)
        return -1;
    pthread_mutex_lock(&cp_view_lock);
    rc = cp_view_load(ctl, id, p, rep, view_p);
    if (rc >= 0) {
        pend = json_object_get(*view_p, "pending");
        if (pend && json_integer_value(json_object_get(pend, "number")) == number) {
            *pend_p = pend;
            return 0;
        }
        rc = json_integer_value(json_object_get(*view_p, "number")) >= number
                 ? 1
                 : cp_reply_error(rep, 409, "view %" JSON_INTEGER_FORMAT " of process %s is not "
                                  "being installed", number, id);
    }
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(p->rec);
    if (rc < 0) {
        json_decref(*view_p);
        *view_p = NULL;
    }
    return rc;
}

/* A route that refused a pending view's change (after replying): unlock
 * and release what cp_view_open handed over. */
static void cp_view_abort(json_t *view, struct cp_proc *p)
{
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(view);
    json_decref(p->rec);
}

/* The end of a route that changed a pending view under cp_view_lock: save
 * the view (unless rc, from the change, is already an error), unlock, wake
 * the long polls and answer with the view; on an error answer that (what
 * names the step). Takes over view and p->rec. */
static int cp_view_commit(struct praas_control *ctl, const char *id, json_t *view,
                          struct cp_proc *p, struct cp_reply *rep, int rc, const char *what)
{
    if (rc >= 0)
        rc = cp_view_save(ctl, id, view);
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(p->rec);
    if (rc < 0) {
        json_decref(view);
        return cp_reply_store(rep, rc, what);
    }
    cp_server_notify(ctl);
    return cp_reply_json(rep, 200, view);
}

/* POST .../views/ack: {"view": N, "rank": R}. */
static int route_view_ack(struct praas_control *ctl, const struct cp_request *req,
                          const char *id, struct cp_reply *rep)
{
    json_t *body, *view = NULL, *pend, *v;
    json_int_t number, rank;
    struct cp_proc p;
    size_t i;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_field_int(rep, body, "view", 1, 1, INT64_MAX, 0, &number) < 0 ||
        cp_field_int(rep, body, "rank", 1, 0, 1048575, 0, &rank) < 0) {
        json_decref(body);
        return -1;
    }
    json_decref(body);
    rc = cp_view_open(ctl, id, number, rep, &p, &view, &pend);
    if (rc != 0) /* 1: published already (a repeated acknowledgement): fine */
        return rc < 0 ? -1 : cp_reply_json(rep, 200, view);
    if (!cp_arr_has(json_object_get(pend, "expect"), rank)) {
        cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " is not expected to acknowledge "
                       "view %" JSON_INTEGER_FORMAT " of process %s", rank, number, id);
        goto out_unlock;
    }
    /* A leaving rank moves its objects only after everybody else drained,
     * and a joining rank starts only after every member connected to it:
     * their acknowledgements come last. */
    if (cp_view_goes_last(pend, rank))
        json_array_foreach(json_object_get(pend, "expect"), i, v)
            if (!cp_view_goes_last(pend, json_integer_value(v)) &&
                !cp_arr_has(json_object_get(pend, "acked"), json_integer_value(v))) {
                cp_reply_error(rep, 409, "%s rank %" JSON_INTEGER_FORMAT " acknowledges view %"
                               JSON_INTEGER_FORMAT " before rank %" JSON_INTEGER_FORMAT " has %s",
                               cp_arr_has(json_object_get(pend, "leaving"), rank) ? "leaving"
                                                                                  : "joining",
                               rank, number, json_integer_value(v),
                               cp_arr_has(json_object_get(pend, "leaving"), rank)
                                   ? "drained" : "connected to it");
                goto out_unlock;
            }
    if (!cp_arr_has(json_object_get(pend, "acked"), rank))
        json_array_append_new(json_object_get(pend, "acked"), json_integer(rank));
    rc = cp_view_try_publish(ctl, id, view);
    return cp_view_commit(ctl, id, view, &p, rep, rc, "acknowledging a view");

out_unlock:
    cp_view_abort(view, &p);
    return -1;
}

/* POST .../views/report: {"view": N, "rank": R, "rounds": C}, R a member
 * of the view before N that has started C exchanges in it. Repeating a
 * report keeps the first. */
static int route_view_report(struct praas_control *ctl, const struct cp_request *req,
                             const char *id, struct cp_reply *rep)
{
    json_t *body, *view = NULL, *pend;
    json_int_t number, rank, rounds;
    struct cp_proc p;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_field_int(rep, body, "view", 1, 1, INT64_MAX, 0, &number) < 0 ||
        cp_field_int(rep, body, "rank", 1, 0, 1048575, 0, &rank) < 0 ||
        cp_field_int(rep, body, "rounds", 1, 0, INT64_MAX, 0, &rounds) < 0) {
        json_decref(body);
        return -1;
    }
    json_decref(body);
    rc = cp_view_open(ctl, id, number, rep, &p, &view, &pend);
    if (rc != 0) /* 1: published already (a late report): nothing to agree on */
        return rc < 0 ? -1 : cp_reply_json(rep, 200, view);
    if (!cp_arr_has(json_object_get(pend, "expect"), rank) ||
        cp_arr_has(json_object_get(pend, "joining"), rank)) {
        cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " is not a member of the view "
                       "before view %" JSON_INTEGER_FORMAT " of process %s still expected: it "
                       "has no exchanges to report", rank, number, id);
        goto out_unlock;
    }
    if (!json_is_array(json_object_get(pend, "reported")))
        json_object_set_new(pend, "reported", json_array());
    if (!cp_arr_has(json_object_get(pend, "reported"), rank)) {
        json_array_append_new(json_object_get(pend, "reported"), json_integer(rank));
        if (rounds > json_integer_value(json_object_get(pend, "rounds")))
            json_object_set_new(pend, "rounds", json_integer(rounds));
    }
    cp_view_try_target(pend);
    return cp_view_commit(ctl, id, view, &p, rep, 0, "reporting exchanges");

out_unlock:
    cp_view_abort(view, &p);
    return -1;
}

/* Parse a non-negative integer query argument. Returns 0 or -1 (400). */
static int cp_query_int(const struct cp_request *req, struct cp_reply *rep, const char *name,
                        json_int_t hi, json_int_t def, json_int_t *val_p)
{
    const char *s = cp_query_arg(req, name);
    char *end;
    long long x;

    if (!s) {
        *val_p = def;
        return 0;
    }
    x = strtoll(s, &end, 10);
    if (end == s || *end || x < 0 || x > hi)
        return cp_reply_error(rep, 400, "query '%s' is '%.40s'; it must be an integer in [0, %"
                              JSON_INTEGER_FORMAT "]", name, s, hi);
    *val_p = x;
    return 0;
}

/* GET .../view: the record, at once or, with since=G, when its "gen"
 * passes G (or at timeout_ms, default 10000, with the record as it is). */
static int route_view_get(struct praas_control *ctl, const struct cp_request *req,
                          const char *id, struct cp_reply *rep)
{
    uint64_t poll_ns = (uint64_t)(ctl->store->ops->shared ? CP_VIEW_POLL_MS : CP_VIEW_CHECK_MS) *
                       1000000u, deadline;
    json_int_t since, timeout_ms;
    struct cp_proc p;
    json_t *view;

    if (cp_query_int(req, rep, "since", INT64_MAX, -1, &since) < 0 ||
        cp_query_int(req, rep, "timeout_ms", CP_VIEW_TIMEOUT_MAX_MS, 10000, &timeout_ms) < 0)
        return -1;
    if (!cp_query_arg(req, "since"))
        since = -1;
    deadline = core_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        uint64_t seen = cp_server_generation(ctl), now;

        if (cp_proc_load(ctl, id, rep, &p) < 0)
            return -1;
        if (cp_view_load(ctl, id, &p, rep, &view) < 0) {
            json_decref(p.rec);
            return -1;
        }
        json_decref(p.rec);
        now = core_now_ns();
        if (json_integer_value(json_object_get(view, "gen")) > since || now >= deadline)
            return cp_reply_json(rep, 200, view);
        json_decref(view);
        if (req->client_gone && req->client_gone(req->client_arg)) {
            rep->status = 0;
            return -1;
        }
        if (cp_server_wait(ctl, seen, PRAAS_MIN(deadline, now + poll_ns)) < 0)
            return cp_reply_error(rep, 503, "the server is stopping");
    }
}

int cp_route_views(struct praas_control *ctl, const struct cp_request *req, const char *id,
                   const char *rest, struct cp_reply *rep)
{
    const char *allow;

    if (strcmp(rest, "/view") == 0) {
        if (strcmp(req->method, "GET") == 0)
            return route_view_get(ctl, req, id, rep);
        allow = "GET";
    } else if (strcmp(rest, "/views") == 0) {
        if (strcmp(req->method, "POST") == 0)
            return route_view_announce(ctl, req, id, rep);
        allow = "POST";
    } else if (strcmp(rest, "/views/ack") == 0) {
        if (strcmp(req->method, "POST") == 0)
            return route_view_ack(ctl, req, id, rep);
        allow = "POST";
    } else if (strcmp(rest, "/views/report") == 0) {
        if (strcmp(req->method, "POST") == 0)
            return route_view_report(ctl, req, id, rep);
        allow = "POST";
    } else {
        return cp_reply_error(rep, 404, "no route %s %s (see doc/control-api.md)", req->method,
                              req->path);
    }
    cp_reply_error(rep, 405, "method %s is not allowed on %s (allowed: %s)", req->method,
                   req->path, allow);
    rep->allow = allow;
    return -1;
}

/* ---- serverless processes (members.c): subprocesses join the view ---- */

int cp_view_sl_first_join(struct praas_control *ctl, const char *id, json_int_t rank)
{
    char key[CP_KEY_MAX], *text = NULL;
    json_t *view = NULL, *pend;
    size_t len;
    int rc, wrote = 0;

    pthread_mutex_lock(&cp_view_lock);
    cp_key_view(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND) {
        view = json_pack("{s:i, s:[], s:i}", "number", 0, "members", "gen", 0);
        rc = view ? 0 : core_err(PRAAS_ERR_NOMEM, "no memory for the view of process %s", id);
    } else if (rc == 0) {
        view = json_loadb(text, len, 0, NULL);
        free(text);
        if (!json_is_object(view) || !json_is_array(json_object_get(view, "members")))
            rc = core_err(PRAAS_ERR_PROTOCOL, "the store holds a malformed record under '%s'",
                          key);
    }
    if (rc == 0 && json_array_size(json_object_get(view, "members")) == 0 &&
        !json_object_get(view, "pending")) {
        /* The change route_view_announce would make, had the view a member
         * to acknowledge it: the joiner alone is expected, and no member of
         * the old view has exchanges to report. */
        pend = json_pack("{s:I, s:[I], s:[], s:[], s:[I], s:[I], s:[], s:[], s:i}", "number",
                         json_integer_value(json_object_get(view, "number")) + 1, "members",
                         rank, "leaving", "failed", "joining", rank, "expect", rank, "acked",
                         "reported", "rounds", 0);
        if (!pend) {
            rc = core_err(PRAAS_ERR_NOMEM, "no memory for the view of process %s", id);
        } else {
            cp_view_try_target(pend);
            json_object_set_new(view, "pending", pend);
            rc = cp_view_save(ctl, id, view);
            wrote = rc == 0;
        }
    }
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(view);
    if (wrote)
        cp_server_notify(ctl);
    return rc < 0 ? rc : wrote;
}

int cp_view_sl_touch(struct praas_control *ctl, const char *id, json_int_t rank)
{
    char key[CP_KEY_MAX], *text;
    json_t *view = NULL;
    size_t len;
    int rc;

    pthread_mutex_lock(&cp_view_lock);
    cp_key_view(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == 0) {
        view = json_loadb(text, len, 0, NULL);
        free(text);
        if (json_is_object(view) &&
            cp_arr_has(json_object_get(json_object_get(view, "pending"), "joining"), rank))
            rc = cp_view_save(ctl, id, view);
    }
    pthread_mutex_unlock(&cp_view_lock);
    json_decref(view);
    if (rc == 0)
        cp_server_notify(ctl);
    return rc;
}
