/*
 * The routing table of doc/control-api.md and every route but the fence
 * (fence.c): health, processes, sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <praas/version.h>

#include "control/libraries.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "core/base64.h"
#include "core/common.h"
#include "core/error.h"

#define CP_SIZE_MAX 1048576
#define CP_ADDRESS_MAX 65536

void cp_key_proc(char *buf, const char *id)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s", id);
}

void cp_key_ranks(char *buf, const char *id)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s:ranks", id);
}

void cp_key_rank(char *buf, const char *id, long long rank)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s:rank:%lld", id, rank);
}

void cp_key_rank_prefix(char *buf, const char *id)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s:rank:", id);
}

void cp_key_fence(char *buf, const char *id, const char *name)
{
    snprintf(buf, CP_KEY_MAX, "praas:proc:%s:fence:%s", id, name);
}

void cp_key_session(char *buf, const char *sid)
{
    snprintf(buf, CP_KEY_MAX, "praas:session:%s", sid);
}

/* A fresh id: prefix ("p-", "s-") and 16 hex digits from getrandom, which
 * unlike rand() differs between daemons started at the same moment. buf
 * holds at least 19 bytes. */
int cp_new_id(char *buf, const char *prefix)
{
    unsigned char r[8];
    size_t got = 0;

    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return core_err(PRAAS_ERR_IO, "getrandom failed: %s", strerror(errno));
        got += (size_t)n;
    }
    snprintf(buf, 20, "%s%02x%02x%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    return 0;
}

/* Store obj as compact JSON under key. Returns the store's code. */
int cp_put_json(struct cp_store *st, const char *key, json_t *obj, unsigned flags)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    int rc;

    if (text == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory to encode the record of '%s'", key);
    rc = cp_store_set(st, key, text, strlen(text), flags);
    free(text);
    return rc;
}

/* Parse a stored record; a record that does not parse means a corrupt or
 * foreign store, answered like any store failure. */
json_t *cp_parse_record(const char *key, const char *text, size_t len,
                        struct cp_reply *rep)
{
    json_error_t jerr;
    json_t *rec = json_loadb(text, len, 0, &jerr);

    if (rec == NULL || !json_is_object(rec)) {
        json_decref(rec);
        cp_reply_error(rep, 503, "the store holds a malformed record under '%s'", key);
        return NULL;
    }
    return rec;
}

int cp_proc_load(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                 struct cp_proc *p)
{
    char key[CP_KEY_MAX], *text;
    size_t len;
    json_t *rec;
    int rc;

    cp_key_proc(key, id);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 404, "no process '%s'", id);
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading a process");
    rec = cp_parse_record(key, text, len, rep);
    free(text);
    if (rec == NULL)
        return -1;
    p->rec = rec;
    p->size = json_integer_value(json_object_get(rec, "size"));
    return 0;
}

struct cp_ranked {
    json_int_t rank;
    json_t *rec;
};

static int cmp_ranked(const void *a, const void *b)
{
    json_int_t x = ((const struct cp_ranked *)a)->rank, y = ((const struct cp_ranked *)b)->rank;
    return (x > y) - (x < y);
}

int cp_sessions_table(struct praas_control *ctl, const char *id, int with_ids,
                      struct cp_reply *rep, json_t **table_p)
{
    struct cp_ranked *ranked = NULL;
    char prefix[CP_KEY_MAX];
    struct cp_kv *items;
    size_t n, nranked = 0;
    json_t *table;
    int rc;

    cp_key_rank_prefix(prefix, id);
    rc = cp_store_scan(ctl->store, prefix, 1, &items, &n);
    if (rc < 0)
        return cp_reply_store(rep, rc, "listing sessions");
    if (n) {
        ranked = calloc(n, sizeof(*ranked));
        if (ranked == NULL) {
            cp_reply_error(rep, 503, "no memory for a table of %zu sessions", n);
            goto err_items;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *rec = cp_parse_record(items[i].key, items[i].val, items[i].len, rep);
        if (rec == NULL)
            goto err_ranked;
        ranked[nranked].rank = json_integer_value(json_object_get(rec, "rank"));
        ranked[nranked++].rec = rec;
    }
    /* Keys sort as text ("rank:10" before "rank:2"): sort by number. */
    if (nranked)
        qsort(ranked, nranked, sizeof(*ranked), cmp_ranked);
    table = json_array();
    if (table == NULL)
        goto err_nomem;
    for (size_t i = 0; i < nranked; i++) {
        json_t *rec = ranked[i].rec, *row;
        json_t *meta = json_object_get(rec, "metadata");
        row = json_pack("{s:I, s:O, s:o}", "rank", ranked[i].rank, "address",
                        json_object_get(rec, "address"), "metadata",
                        meta ? json_incref(meta) : json_object());
        if (row && with_ids)
            json_object_set(row, "id", json_object_get(rec, "id"));
        if (row == NULL || json_array_append_new(table, row) < 0) {
            json_decref(table);
            goto err_nomem;
        }
    }
    for (size_t i = 0; i < nranked; i++)
        json_decref(ranked[i].rec);
    free(ranked);
    cp_kv_free(items, n);
    *table_p = table;
    return 0;

err_nomem:
    cp_reply_error(rep, 503, "no memory for a table of %zu sessions", n);
err_ranked:
    for (size_t i = 0; i < nranked; i++)
        json_decref(ranked[i].rec);
    free(ranked);
err_items:
    cp_kv_free(items, n);
    return -1;
}

static int route_health(struct praas_control *ctl, struct cp_reply *rep)
{
    size_t n;
    int rc;

    /* Health includes the store: a daemon whose Redis is gone cannot
     * serve, and a probe should say so. */
    rc = cp_store_scard(ctl->store, CP_KEY_PROCS, &n);
    if (rc < 0)
        return cp_reply_store(rep, rc, "checking health");
    return cp_reply_json(rep, 200, json_pack("{s:s, s:s, s:i, s:s}", "status", "ok", "version",
                                             PRAAS_VERSION_STRING, "api", 1, "store",
                                             ctl->store->ops->name));
}

static int route_proc_create(struct praas_control *ctl, const struct cp_request *req,
                             struct cp_reply *rep)
{
    char key[CP_KEY_MAX], idbuf[72];
    const char *id, *name;
    json_t *body, *rec = NULL;
    json_int_t size;
    size_t idlen;
    int rc, attempt;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    /* A serverless process (one with a function library) needs no size. */
    if (cp_field_int(rep, body, "size", json_object_get(body, "library") == NULL, 1,
                     CP_SIZE_MAX, 1, &size) < 0 ||
        cp_field_str(rep, body, "name", 0, &name, NULL) < 0 ||
        cp_field_str(rep, body, "id", 0, &id, &idlen) < 0)
        goto err_body;
    if (id && !cp_ident_ok(id, idlen)) {
        cp_reply_error(rep, 400, "field 'id' is '%s'; an id is 1 to 64 characters of "
                       "[A-Za-z0-9_.-]", id);
        goto err_body;
    }

    /* A made-up id that collides (one chance in 2^64 per process) is
     * simply made again; a given one that exists is the client's 409. */
    for (attempt = 0;; attempt++) {
        if (id) {
            snprintf(idbuf, sizeof(idbuf), "%s", id);
        } else if ((rc = cp_new_id(idbuf, "p-")) < 0) {
            cp_reply_error(rep, 503, "cannot make a process id: %s", praas_errmsg());
            goto err_body;
        }
        rec = json_pack("{s:s, s:o, s:I, s:i}", "id", idbuf, "name",
                        name ? json_incref(json_object_get(body, "name")) : json_string(""),
                        "size", size, "run", 1);
        if (rec == NULL) {
            cp_reply_error(rep, 503, "no memory for a process record");
            goto err_body;
        }
        if (cp_sl_proc_fields(ctl, rep, body, rec) < 0) {
            json_decref(rec);
            goto err_body;
        }
        cp_key_proc(key, idbuf);
        rc = cp_put_json(ctl->store, key, rec, CP_STORE_IF_ABSENT);
        if (rc == 0)
            break;
        json_decref(rec);
        if (rc == PRAAS_ERR_EXISTS && id) {
            cp_reply_error(rep, 409, "process id '%s' already exists", id);
            goto err_body;
        }
        if (rc != PRAAS_ERR_EXISTS || attempt == 3) {
            cp_reply_store(rep, rc, "creating a process");
            goto err_body;
        }
    }
    rc = cp_store_sadd(ctl->store, CP_KEY_PROCS, idbuf, NULL);
    if (rc < 0) {
        cp_reply_store(rep, rc, "indexing a new process");
        cp_store_del(ctl->store, key);
        goto err_rec;
    }
    json_decref(body);
    return cp_reply_json(rep, 201, rec);

err_rec:
    json_decref(rec);
err_body:
    json_decref(body);
    return -1;
}

/* The public view of a process: its record plus the number of sessions. */
static int cp_proc_view(struct praas_control *ctl, const char *id, struct cp_reply *rep,
                        json_t **view_p)
{
    char key[CP_KEY_MAX];
    struct cp_proc p;
    size_t n;
    int rc;

    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    cp_key_ranks(key, id);
    rc = cp_store_scard(ctl->store, key, &n);
    if (rc < 0) {
        json_decref(p.rec);
        return cp_reply_store(rep, rc, "counting sessions");
    }
    json_object_set_new(p.rec, "sessions", json_integer((json_int_t)n));
    *view_p = p.rec;
    return 0;
}

static int route_proc_list(struct praas_control *ctl, struct cp_reply *rep)
{
    json_t *list = json_array(), *view;
    char **ids;
    size_t n;
    int rc;

    if (list == NULL)
        return cp_reply_error(rep, 503, "no memory for the list of processes");
    rc = cp_store_smembers(ctl->store, CP_KEY_PROCS, &ids, &n);
    if (rc < 0) {
        json_decref(list);
        return cp_reply_store(rep, rc, "listing processes");
    }
    for (size_t i = 0; i < n; i++) {
        /* A process deleted since the index was read is left out. */
        if (cp_proc_view(ctl, ids[i], rep, &view) < 0) {
            if (rep->status == 404) {
                cp_reply_clear(rep);
                continue;
            }
            json_decref(list);
            cp_strv_free(ids, n);
            return -1;
        }
        json_array_append_new(list, view);
    }
    cp_strv_free(ids, n);
    return cp_reply_json(rep, 200, json_pack("{s:o}", "processes", list));
}

static int route_proc_get(struct praas_control *ctl, const char *id, struct cp_reply *rep)
{
    json_t *view;

    if (cp_proc_view(ctl, id, rep, &view) < 0)
        return -1;
    return cp_reply_json(rep, 200, view);
}

/* Delete the session record of every rank record of process id (those of
 * the ranks registered; a record naming no valid session is passed over).
 * The rank records stay. Returns 0 or a store error. */
static int cp_del_rank_sessions(struct praas_control *ctl, const char *id)
{
    char key[CP_KEY_MAX];
    struct cp_kv *items;
    size_t n;
    int rc;

    cp_key_rank_prefix(key, id);
    rc = cp_store_scan(ctl->store, key, 1, &items, &n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_loadb(items[i].val, items[i].len, 0, NULL);
        const char *sid = json_string_value(json_object_get(rec, "id"));
        char skey[CP_KEY_MAX];
        if (sid && cp_ident_ok(sid, strlen(sid))) {
            cp_key_session(skey, sid);
            cp_store_del(ctl->store, skey);
        }
        json_decref(rec);
    }
    cp_kv_free(items, n);
    return 0;
}

/* Delete every key that starts with prefix (one already gone counts as
 * deleted). Returns 0 or the first store error, which stops it. */
static int cp_del_prefix(struct praas_control *ctl, const char *prefix)
{
    struct cp_kv *items;
    size_t n;
    int rc = cp_store_scan(ctl->store, prefix, 0, &items, &n);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = cp_store_del(ctl->store, items[i].key);
        if (rc == PRAAS_ERR_NOT_FOUND)
            rc = 0;
    }
    cp_kv_free(items, n);
    return rc < 0 ? rc : 0;
}

/* Delete a process. Deleting its record first makes the deletion happen
 * once (a second DELETE gets 404) and stops new sessions from registering;
 * the rest is then swept by prefix. A process re-created under the same id
 * while the sweep runs may lose sessions to it: ids are meant to be used
 * once. */
static int route_proc_delete(struct praas_control *ctl, const char *id, struct cp_reply *rep)
{
    char key[CP_KEY_MAX];
    int rc;

    cp_key_proc(key, id);
    rc = cp_store_del(ctl->store, key);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 404, "no process '%s'", id);
    if (rc < 0)
        return cp_reply_store(rep, rc, "deleting a process");
    cp_sl_proc_deleted(ctl, id);

    rc = cp_del_rank_sessions(ctl, id);
    if (rc < 0)
        goto err_store;
    snprintf(key, sizeof(key), "praas:proc:%s:", id);
    rc = cp_del_prefix(ctl, key);
    if (rc < 0)
        goto err_store;
    rc = cp_store_srem(ctl->store, CP_KEY_PROCS, id);
    if (rc < 0)
        goto err_store;
    /* Fences of the process must stop waiting: it is gone. */
    cp_server_notify(ctl);
    return cp_reply_json(rep, 200, json_pack("{s:s}", "deleted", id));

err_store:
    cp_server_notify(ctl);
    return cp_reply_store(rep, rc, "deleting the sessions and fences of a process");
}

static int route_session_register(struct praas_control *ctl, const struct cp_request *req,
                                  const char *id, struct cp_reply *rep)
{
    char key[CP_KEY_MAX], sid[24], rank_s[24];
    json_t *body, *meta, *rec;
    const char *addr;
    json_int_t rank;
    struct cp_proc p;
    size_t alen, dlen;
    void *blob;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    /* Without a rank and an address, a serverless session (serverless.c). */
    if (json_object_get(body, "rank") == NULL && json_object_get(body, "address") == NULL) {
        rc = cp_sl_route_alloc(ctl, id, body, rep);
        json_decref(body);
        return rc;
    }
    if (cp_field_int(rep, body, "rank", 1, 0, CP_SIZE_MAX - 1, 0, &rank) < 0 ||
        cp_field_str(rep, body, "address", 1, &addr, &alen) < 0 ||
        cp_field_obj(rep, body, "metadata", 0, &meta) < 0)
        goto err_body;
    /* Decoding checks the address; its bytes are not needed here. */
    if (alen > core_b64_encoded_len(CP_ADDRESS_MAX)) {
        cp_reply_error(rep, 400, "field 'address' has %zu characters, more than the %zu that "
                       "encode the largest address (%d bytes)", alen,
                       core_b64_encoded_len(CP_ADDRESS_MAX), CP_ADDRESS_MAX);
        goto err_body;
    }
    rc = core_b64_decode(addr, alen, &blob, &dlen);
    if (rc == PRAAS_ERR_INVALID) {
        cp_reply_error(rep, 400, "field 'address' is not standard base64: %s", praas_errmsg());
        goto err_body;
    }
    if (rc < 0) {
        cp_reply_error(rep, 503, "cannot decode field 'address': %s", praas_errmsg());
        goto err_body;
    }
    free(blob);
    if (dlen > CP_ADDRESS_MAX) {
        cp_reply_error(rep, 400, "field 'address' decodes to %zu bytes, more than %d", dlen,
                       CP_ADDRESS_MAX);
        goto err_body;
    }

    /* A rank being added to the view (views.c) registers too. */
    if (cp_proc_load_ranks(ctl, id, rep, &p) < 0)
        goto err_body;
    json_decref(p.rec);
    if (rank >= p.size) {
        cp_reply_error(rep, 400, "rank %" JSON_INTEGER_FORMAT " is out of range [0, %"
                       JSON_INTEGER_FORMAT ") of process %s", rank, p.size, id);
        goto err_body;
    }
    if (cp_new_id(sid, "s-") < 0) {
        cp_reply_error(rep, 503, "cannot make a session id: %s", praas_errmsg());
        goto err_body;
    }
    rec = json_pack("{s:s, s:I, s:O, s:o}", "id", sid, "rank", rank, "address",
                    json_object_get(body, "address"), "metadata",
                    meta ? json_incref(meta) : json_object());
    if (rec == NULL) {
        cp_reply_error(rep, 503, "no memory for a session record");
        goto err_body;
    }
    cp_key_rank(key, id, rank);
    rc = cp_put_json(ctl->store, key, rec, CP_STORE_IF_ABSENT);
    json_decref(rec);
    if (rc == PRAAS_ERR_EXISTS) {
        cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " of process %s is already "
                       "registered", rank, id);
        goto err_body;
    }
    if (rc < 0) {
        cp_reply_store(rep, rc, "registering a session");
        goto err_body;
    }
    cp_key_ranks(key, id);
    snprintf(rank_s, sizeof(rank_s), "%" JSON_INTEGER_FORMAT, rank);
    rc = cp_store_sadd(ctl->store, key, rank_s, NULL);
    if (rc == 0) {
        rec = json_pack("{s:s, s:I}", "process", id, "rank", rank);
        cp_key_session(key, sid);
        rc = rec ? cp_put_json(ctl->store, key, rec, 0) : PRAAS_ERR_NOMEM;
        json_decref(rec);
    }
    if (rc < 0) {
        /* Undo the registration, so that the worker may retry. */
        cp_key_rank(key, id, rank);
        cp_store_del(ctl->store, key);
        cp_reply_store(rep, rc, "registering a session");
        goto err_body;
    }
    json_decref(body);
    return cp_reply_json(rep, 201, json_pack("{s:s, s:I}", "id", sid, "rank", rank));

err_body:
    json_decref(body);
    return -1;
}

/* Remove what belongs to a run of process id: its sessions (rank records,
 * the ranks set, the session records), its fences and the restore claims of
 * its objects. The process and its objects stay. Returns 0 or a store
 * error. */
static int cp_run_sweep(struct praas_control *ctl, const char *id)
{
    static const char *const subs[] = {"ranks", "fence:", "objclaim:", "rank:", "view"};
    char key[CP_KEY_MAX];
    int rc = cp_del_rank_sessions(ctl, id);

    if (rc < 0)
        return rc;
    for (size_t s = 0; s < PRAAS_ARRAY_SIZE(subs); s++) {
        snprintf(key, sizeof(key), "praas:proc:%s:%s", id, subs[s]);
        rc = cp_del_prefix(ctl, key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* POST /v1/processes/{id}/runs: start the next run of a process whose
 * previous run has ended (no session registered). */
static int route_run_start(struct praas_control *ctl, const struct cp_request *req,
                           const char *id, struct cp_reply *rep)
{
    char key[CP_KEY_MAX];
    json_int_t size, run;
    struct cp_proc p;
    json_t *body;
    size_t n;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_proc_load(ctl, id, rep, &p) < 0)
        goto err_body;
    if (cp_field_int(rep, body, "size", 0, 1, CP_SIZE_MAX, p.size, &size) < 0)
        goto err_proc;
    cp_key_ranks(key, id);
    rc = cp_store_scard(ctl->store, key, &n);
    if (rc < 0) {
        cp_reply_store(rep, rc, "counting sessions");
        goto err_proc;
    }
    if (n) {
        cp_reply_error(rep, 409, "process %s has a run in progress (%zu sessions registered); "
                       "end it first with DELETE /v1/processes/%s/sessions", id, n, id);
        goto err_proc;
    }
    rc = cp_run_sweep(ctl, id);
    if (rc < 0) {
        cp_reply_store(rep, rc, "sweeping the previous run");
        goto err_proc;
    }
    run = json_object_get(p.rec, "run") ? json_integer_value(json_object_get(p.rec, "run")) : 1;
    json_object_set_new(p.rec, "run", json_integer(run + 1));
    json_object_set_new(p.rec, "size", json_integer(size));
    cp_key_proc(key, id);
    rc = cp_put_json(ctl->store, key, p.rec, 0);
    if (rc < 0) {
        cp_reply_store(rep, rc, "starting a run");
        goto err_proc;
    }
    json_decref(body);
    cp_server_notify(ctl);
    return cp_reply_json(rep, 200, p.rec);

err_proc:
    json_decref(p.rec);
err_body:
    json_decref(body);
    return -1;
}

/* DELETE /v1/processes/{id}/sessions: end the current run. */
static int route_run_end(struct praas_control *ctl, const char *id, struct cp_reply *rep)
{
    struct cp_proc p;
    json_t *run;
    int rc;

    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    rc = cp_run_sweep(ctl, id);
    cp_server_notify(ctl);
    if (rc < 0) {
        json_decref(p.rec);
        return cp_reply_store(rep, rc, "ending a run");
    }
    run = json_object_get(p.rec, "run");
    rc = cp_reply_json(rep, 200, json_pack("{s:s, s:I}", "ended", id, "run",
                                           run ? json_integer_value(run) : 1));
    json_decref(p.rec);
    return rc;
}

static int route_session_list(struct praas_control *ctl, const char *id, struct cp_reply *rep)
{
    struct cp_proc p;
    json_t *table;

    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    json_decref(p.rec);
    if (cp_sessions_table(ctl, id, 1, rep, &table) < 0)
        return -1;
    if (cp_sl_list_rows(ctl, id, table, rep) < 0) {
        json_decref(table);
        return -1;
    }
    return cp_reply_json(rep, 200, json_pack("{s:o}", "sessions", table));
}

static int cp_method(const struct cp_request *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

int cp_not_allowed(const struct cp_request *req, struct cp_reply *rep, const char *allow)
{
    cp_reply_error(rep, 405, "method %s is not allowed on %s (allowed: %s)", req->method,
                   req->path, allow);
    rep->allow = allow;
    return -1;
}

void cp_route(struct praas_control *ctl, const struct cp_request *req, struct cp_reply *rep)
{
    static const char procs[] = "/v1/processes";
    const char *path = req->path, *id, *rest;
    char idbuf[72];
    size_t idlen;

    if (atomic_load(&ctl->stopping)) {
        cp_reply_error(rep, 503, "the server is stopping");
        return;
    }
    if (strcmp(path, "/v1/health") == 0) {
        if (cp_method(req, "GET"))
            route_health(ctl, rep);
        else
            cp_not_allowed(req, rep, "GET");
        return;
    }
    if (strcmp(path, procs) == 0) {
        if (cp_method(req, "GET"))
            route_proc_list(ctl, rep);
        else if (cp_method(req, "POST"))
            route_proc_create(ctl, req, rep);
        else
            cp_not_allowed(req, rep, "GET, POST");
        return;
    }
    if (strncmp(path, "/v1/sessions/", 13) == 0) {
        cp_sl_route_sessions(ctl, req, rep);
        return;
    }
    if (strcmp(path, "/v1/libraries") == 0 || strncmp(path, "/v1/libraries/", 14) == 0) {
        cp_route_libraries(ctl, req, rep);
        return;
    }
    if (strncmp(path, procs, sizeof(procs) - 1) != 0 || path[sizeof(procs) - 1] != '/')
        goto not_found;
    id = path + sizeof(procs);
    rest = strchr(id, '/');
    idlen = rest ? (size_t)(rest - id) : strlen(id);
    if (rest == NULL)
        rest = "";
    if (idlen == 0 ||
        (strcmp(rest, "") != 0 && strcmp(rest, "/sessions") != 0 && strcmp(rest, "/fence") != 0 &&
         strcmp(rest, "/runs") != 0 && strncmp(rest, "/objects", 8) != 0 &&
         strcmp(rest, "/view") != 0 && strncmp(rest, "/views", 6) != 0 &&
         strcmp(rest, "/metrics") != 0 && strncmp(rest, "/invoke/", 8) != 0))
        goto not_found;
    if (strncmp(rest, "/objects", 8) == 0 && rest[8] != '\0' && rest[8] != '/')
        goto not_found;

    /* The method is checked before the id: a wrong method is wrong for
     * every id. */
    if ((rest[0] == '\0' && !cp_method(req, "GET") && !cp_method(req, "DELETE")))
        return (void)cp_not_allowed(req, rep, "GET, DELETE");
    if (strcmp(rest, "/sessions") == 0 && !cp_method(req, "GET") && !cp_method(req, "POST") &&
        !cp_method(req, "DELETE"))
        return (void)cp_not_allowed(req, rep, "GET, POST, DELETE");
    if (strcmp(rest, "/runs") == 0 && !cp_method(req, "POST"))
        return (void)cp_not_allowed(req, rep, "POST");
    if (strcmp(rest, "/fence") == 0 && !cp_method(req, "POST"))
        return (void)cp_not_allowed(req, rep, "POST");
    if (strcmp(rest, "/metrics") == 0 && !cp_method(req, "GET"))
        return (void)cp_not_allowed(req, rep, "GET");
    if (strncmp(rest, "/invoke/", 8) == 0 && !cp_method(req, "POST"))
        return (void)cp_not_allowed(req, rep, "POST");
    /* An id no process can have is simply not found. */
    if (!cp_ident_ok(id, idlen)) {
        cp_reply_error(rep, 404, "no process '%.*s'", (int)PRAAS_MIN(idlen, 80), id);
        return;
    }
    memcpy(idbuf, id, idlen);
    idbuf[idlen] = '\0';

    if (rest[0] == '\0') {
        if (cp_method(req, "GET"))
            route_proc_get(ctl, idbuf, rep);
        else
            route_proc_delete(ctl, idbuf, rep);
    } else if (strcmp(rest, "/sessions") == 0) {
        if (cp_method(req, "GET"))
            route_session_list(ctl, idbuf, rep);
        else if (cp_method(req, "DELETE"))
            route_run_end(ctl, idbuf, rep);
        else
            route_session_register(ctl, req, idbuf, rep);
    } else if (strcmp(rest, "/runs") == 0) {
        route_run_start(ctl, req, idbuf, rep);
    } else if (strncmp(rest, "/objects", 8) == 0) {
        cp_route_objects(ctl, req, idbuf, rest + 8, rep);
    } else if (strcmp(rest, "/metrics") == 0 || strncmp(rest, "/invoke/", 8) == 0) {
        cp_sl_route_proc(ctl, req, idbuf, rest, rep);
    } else if (strncmp(rest, "/view", 5) == 0) {
        cp_route_views(ctl, req, idbuf, rest, rep);
    } else {
        cp_route_fence(ctl, req, idbuf, rep);
    }
    return;

not_found:
    cp_reply_error(rep, 404, "no route %s %s (routes start with /v1; see doc/control-api.md)",
                   req->method, path);
}
