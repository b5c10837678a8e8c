/*
 * POST /v1/processes/{id}/fence: the bootstrap fence, a long poll.
 *
 * Arrival is one atomic set-add of the rank into the fence's set, which
 * also returns how many ranks have arrived; arriving twice adds nothing.
 * A request then waits until the set holds `size` ranks. With the memory
 * store only this server writes, so waiters sleep until the arrival that
 * completes the fence wakes them; with a shared store (Redis) the
 * completing arrival may come through another daemon, so waiters also poll
 * the store every CP_FENCE_POLL_MS. Either way a waiter wakes at least every
 * CP_FENCE_CHECK_MS to notice a client that hung up, so an abandoned long
 * poll does not hold its thread until the timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/routes.h"
#include "core/common.h"
#include "core/error.h"

#define CP_FENCE_TIMEOUT_DEFAULT_MS 60000
#define CP_FENCE_TIMEOUT_MAX_MS 3600000
#define CP_FENCE_POLL_MS 20
#define CP_FENCE_CHECK_MS 1000

/* Answer 504 with the counts doc/control-api.md adds to the error. */
static int fence_timeout(struct cp_reply *rep, const char *id, const char *name,
                         json_int_t timeout_ms, size_t arrived, json_int_t size)
{
    json_t *err;

    cp_reply_error(rep, 504, "fence '%s' of process %s timed out after %" JSON_INTEGER_FORMAT
                   " ms: %zu of %" JSON_INTEGER_FORMAT " ranks arrived", name, id, timeout_ms,
                   arrived, size);
    err = json_object_get(rep->body, "error");
    json_object_set_new(err, "arrived", json_integer((json_int_t)arrived));
    json_object_set_new(err, "expected", json_integer(size));
    return -1;
}

/* Wait until `size` ranks have arrived at the fence under fkey. Returns 0,
 * or -1 after answering (404 process deleted, 503 store or stop, 504
 * timeout) or after setting status 0 when the client hung up. */
static int fence_wait(struct praas_control *ctl, const struct cp_request *req, const char *id,
                      const char *name, const char *fkey, json_int_t size,
                      json_int_t timeout_ms, struct cp_reply *rep)
{
    uint64_t deadline = core_now_ns() + (uint64_t)timeout_ms * 1000000u;
    uint64_t poll_ns = (uint64_t)(ctl->store->ops->shared ? CP_FENCE_POLL_MS
                                                          : CP_FENCE_CHECK_MS) * 1000000u;
    char pkey[CP_KEY_MAX];
    size_t arrived;
    int rc, first = 1;

    cp_key_proc(pkey, id);
    for (;; first = 0) {
        /* Read the change count before checking, so that a completion
         * between the check and the wait ends the wait at once. */
        uint64_t seen = cp_server_generation(ctl), now;

        /* A view change (a rank that died) may lower the count waited for
         * while we wait; an arrival after it computed the lower count. */
        rc = cp_view_size(ctl, id, size, &size);
        if (rc < 0)
            return cp_reply_store(rep, rc, "reading the view at a fence");
        rc = cp_store_scard(ctl->store, fkey, &arrived);
        if (rc < 0)
            return cp_reply_store(rep, rc, "counting arrivals at a fence");
        if ((json_int_t)arrived >= size)
            return 0;
        if (!first) {
            char *text;
            rc = cp_store_get(ctl->store, pkey, &text, NULL);
            if (rc == PRAAS_ERR_NOT_FOUND)
                return cp_reply_error(rep, 404, "process %s was deleted while waiting at "
                                      "fence '%s'", id, name);
            if (rc < 0)
                return cp_reply_store(rep, rc, "waiting at a fence");
            free(text);
            if (req->client_gone && req->client_gone(req->client_arg)) {
                cp_reply_clear(rep);
                rep->status = 0;
                return -1;
            }
        }
        now = core_now_ns();
        if (now >= deadline)
            return fence_timeout(rep, id, name, timeout_ms, arrived, size);
        if (cp_server_wait(ctl, seen, PRAAS_MIN(deadline, now + poll_ns)) < 0)
            return cp_reply_error(rep, 503, "the server is stopping");
    }
}

int cp_route_fence(struct praas_control *ctl, const struct cp_request *req, const char *id,
                   struct cp_reply *rep)
{
    char name[72], key[CP_KEY_MAX], fkey[CP_KEY_MAX], rank_s[24], *text;
    json_int_t rank, timeout_ms, expect;
    const char *name_in;
    size_t nlen, arrived;
    struct cp_proc p;
    json_t *body, *table;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_field_str(rep, body, "name", 1, &name_in, &nlen) < 0 ||
        cp_field_int(rep, body, "rank", 1, 0, 1048575, 0, &rank) < 0 ||
        cp_field_int(rep, body, "timeout_ms", 0, 0, CP_FENCE_TIMEOUT_MAX_MS,
                     CP_FENCE_TIMEOUT_DEFAULT_MS, &timeout_ms) < 0) {
        json_decref(body);
        return -1;
    }
    if (!cp_ident_ok(name_in, nlen)) {
        cp_reply_error(rep, 400, "field 'name' is '%s'; a fence name is 1 to 64 characters of "
                       "[A-Za-z0-9_.-]", name_in);
        json_decref(body);
        return -1;
    }
    memcpy(name, name_in, nlen + 1);
    json_decref(body);

    if (cp_proc_load_ranks(ctl, id, rep, &p) < 0)
        return -1;
    json_decref(p.rec);
    if (rank >= p.size)
        return cp_reply_error(rep, 400, "rank %" JSON_INTEGER_FORMAT " is out of range [0, %"
                              JSON_INTEGER_FORMAT ") of process %s", rank, p.size, id);
    cp_key_rank(key, id, rank);
    rc = cp_store_get(ctl->store, key, &text, NULL);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " of process %s is not "
                              "registered; register it before fence '%s'", rank, id, name);
    if (rc < 0)
        return cp_reply_store(rep, rc, "checking a rank at a fence");
    free(text);

    /* After a view change the fence waits for the members of the view,
     * not for every rank the process started with (views.c). */
    rc = cp_view_size(ctl, id, p.size, &expect);
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading the view at a fence");

    cp_key_fence(fkey, id, name);
    snprintf(rank_s, sizeof(rank_s), "%" JSON_INTEGER_FORMAT, rank);
    rc = cp_store_sadd(ctl->store, fkey, rank_s, &arrived);
    if (rc < 0)
        return cp_reply_store(rep, rc, "arriving at a fence");
    /* Only the completing arrival wakes the waiters: waking them on every
     * arrival would cost size^2 wake-ups for nothing. */
    if ((json_int_t)arrived >= expect)
        cp_server_notify(ctl);
    else if (fence_wait(ctl, req, id, name, fkey, expect, timeout_ms, rep) < 0)
        return -1;

    if (cp_sessions_table(ctl, id, 0, rep, &table) < 0)
        return -1;
    return cp_reply_json(rep, 200, json_pack("{s:s, s:I, s:o}", "name", name, "size", expect,
                                             "sessions", table));
}
