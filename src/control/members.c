/*
 * The subprocesses of a serverless process are members of its view
 * (doc/invoke.md, "The praas API in functions"; doc/design.md): the hooks
 * the executor calls (executor.h, struct cp_exec_member_ops) to announce
 * a subprocess's join before it starts, to hurry the members to connect to
 * it, to make an idle one leave before it stops, and to report a dead one
 * failed.
 *
 * Every change goes through the route of POST /v1/processes/{id}/views
 * (views.c), with a request made here, so that it is checked and published
 * as any other; only the first join into an empty view is written by
 * views.c itself (cp_view_sl_first_join). The view is read through the
 * route of GET .../view.
 *
 * Store key, beside those of serverless.h:
 *   praas:proc:<id>:sl-ranks   set of the names of the subprocesses the
 *                              process ever had; its size is the next rank
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/executor.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "control/sessions.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"

/* Most subprocesses a process may ever have had as members (ranks are not
 * reused: members keep a departed rank's connection and failure). */
#define CP_SUB_RANKS_MAX 1024
/* How long a leave may take (its objects move meanwhile), and how long a
 * start waits for a change under way to end. */
#define CP_VIEW_LEAVE_MS 10000
#define CP_VIEW_NAP_US 10000

/* A request to the views routes made inside the daemon: 0 with the
 * answer's body in *body_p (may be NULL), PRAAS_ERR_AGAIN for a 409 (a
 * change under way, or the rank is not a member), PRAAS_ERR_NOT_FOUND for
 * a 404 (no such process), else PRAAS_ERR_STATE naming the route's
 * message. */
static int cp_views_call(struct praas_control *ctl, const char *proc, const char *method,
                         const char *rest, const char *body, json_t **body_p)
{
    char path[CP_KEY_MAX + 32];
    struct cp_request req = {0};
    struct cp_reply rep = {0};
    const char *msg;
    int rc = 0;

    snprintf(path, sizeof(path), "/v1/processes/%s%s", proc, rest);
    req.method = method;
    req.path = path;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    cp_route_views(ctl, &req, proc, rest, &rep);
    if (rep.status < 200 || rep.status >= 300) {
        msg = json_string_value(json_object_get(json_object_get(rep.body, "error"), "message"));
        rc = core_err(rep.status == 409 ? PRAAS_ERR_AGAIN
                      : rep.status == 404 ? PRAAS_ERR_NOT_FOUND : PRAAS_ERR_STATE,
                      "%s %s%s in the view of process %s: %d %s", method, rest,
                      body ? body : "", proc, rep.status, msg ? msg : "(no message)");
    } else if (body_p) {
        *body_p = json_incref(rep.body);
    }
    cp_reply_clear(&rep);
    return rc;
}

/* Announce {"field": [rank]} ("join", "leave" or "failed"). */
static int cp_view_change(struct praas_control *ctl, const char *proc, const char *field,
                          int rank)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"%s\": [%d]}", field, rank);
    return cp_views_call(ctl, proc, "POST", "/views", body, NULL);
}

/* Whether rank is a member of the published view, whether a change is
 * pending, and how many members there are. */
static int cp_view_state(struct praas_control *ctl, const char *proc, int rank, int *member_p,
                         int *pending_p, size_t *nmembers_p)
{
    json_t *view = NULL, *v;
    size_t i;
    int rc = cp_views_call(ctl, proc, "GET", "/view", NULL, &view);

    if (rc < 0)
        return rc;
    *member_p = 0;
    json_array_foreach(json_object_get(view, "members"), i, v)
        *member_p |= json_integer_value(v) == rank;
    *pending_p = json_object_get(view, "pending") != NULL;
    *nmembers_p = json_array_size(json_object_get(view, "members"));
    json_decref(view);
    return 0;
}

/* The next rank of proc, for the subprocess named who: the number of
 * subprocesses the process had before (atomic in the store; the same
 * name asked again gets the same rank, if nobody came in between). */
static int cp_next_rank(struct praas_control *ctl, const char *proc, const char *who,
                        int *rank_p)
{
    char key[CP_KEY_MAX];
    size_t n;
    int rc;

    snprintf(key, sizeof(key), "praas:proc:%s:sl-ranks", proc);
    rc = cp_store_sadd(ctl->store, key, who, &n);
    if (rc < 0)
        return rc;
    if (n > CP_SUB_RANKS_MAX)
        return core_err(PRAAS_ERR_RANGE, "process %s has had %zu subprocesses, more than the "
                        "%d ranks its view may number", proc, n, CP_SUB_RANKS_MAX);
    *rank_p = (int)n - 1;
    return 0;
}

static int cp_member_join(void *arg, const char *proc, const char *sub, int *rank_p,
                          char *url, size_t urlsize)
{
    struct cp_sl *sl = arg;
    uint64_t until = core_deadline(CP_VIEW_LEAVE_MS);
    int rank = -1, rc;

    rc = cp_next_rank(sl->ctl, proc, sub, &rank);
    if (rc < 0)
        return rc;
    for (;;) {
        rc = cp_view_sl_first_join(sl->ctl, proc, rank);
        if (rc == 0)
            rc = cp_view_change(sl->ctl, proc, "join", rank);
        /* A change under way (a leave, a failure, another join) ends first. */
        if (rc != PRAAS_ERR_AGAIN || core_expired(until))
            break;
        usleep(CP_VIEW_NAP_US);
    }
    if (rc < 0)
        return rc;
    snprintf(url, urlsize, "%s", sl->ctl->url);
    *rank_p = rank;
    return 0;
}

static int cp_member_starting(void *arg, const char *proc, int rank)
{
    struct cp_sl *sl = arg;
    char key[CP_KEY_MAX], *text;
    int rc;

    cp_key_rank(key, proc, rank);
    rc = cp_store_get(sl->ctl->store, key, &text, NULL);
    if (rc < 0)
        return 0;
    free(text);
    /* Registered: the members that found no session for it at their last
     * look connect now, instead of at the end of their long polls. */
    return cp_view_sl_touch(sl->ctl, proc, rank) == 0;
}

static int cp_member_started(void *arg, const char *proc, int rank, int ok)
{
    struct cp_sl *sl = arg;
    int member = 0, pending;
    size_t n;

    if (ok && cp_view_state(sl->ctl, proc, rank, &member, &pending, &n) == 0 && member)
        return 1;
    /* It never acknowledged: the change must not wait for it. */
    cp_view_change(sl->ctl, proc, "failed", rank);
    return 0;
}

static void cp_member_leave(void *arg, const char *proc, int rank, int dead)
{
    struct cp_sl *sl = arg;
    uint64_t until = core_deadline(CP_VIEW_LEAVE_MS);
    int member, pending, announced = 0, rc;
    size_t n;

    if (dead) {
        /* 409: not a member any more (it left); 404: the process is gone. */
        rc = cp_view_change(sl->ctl, proc, "failed", rank);
        if (rc < 0 && rc != PRAAS_ERR_AGAIN && rc != PRAAS_ERR_NOT_FOUND)
            core_log(CORE_LOG_WARN, "%s", praas_errmsg());
        return;
    }
    for (;;) {
        if (cp_view_state(sl->ctl, proc, rank, &member, &pending, &n) < 0 || !member)
            return; /* left (published), or no view any more */
        if (core_expired(until)) {
            core_log(CORE_LOG_WARN, "rank %d of process %s did not leave its view within %d "
                     "ms; stopping it anyway (then reported failed)", rank, proc,
                     CP_VIEW_LEAVE_MS);
            return;
        }
        if (!announced && !pending && n <= 1)
            return; /* the last member: praas_finalize persists its objects */
        if (!announced && !pending) {
            rc = cp_view_change(sl->ctl, proc, "leave", rank);
            if (rc == 0) {
                announced = 1;
            } else if (rc != PRAAS_ERR_AGAIN) {
                core_log(CORE_LOG_WARN, "%s", praas_errmsg());
                return;
            }
        }
        usleep(CP_VIEW_NAP_US);
    }
}

void cp_sl_member_ops(struct cp_sl *sl, struct cp_exec_member_ops *mo)
{
    mo->join = cp_member_join;
    mo->starting = cp_member_starting;
    mo->started = cp_member_started;
    mo->leave = cp_member_leave;
    mo->arg = sl;
    mo->max_ranks = CP_SUB_RANKS_MAX;
}
