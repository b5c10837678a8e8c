/*
 * The object directory of doc/control-api.md ("Objects"):
 *   POST   /v1/processes/{id}/objects               create an entry
 *   GET    /v1/processes/{id}/objects?prefix=P      list entries
 *   GET    /v1/processes/{id}/objects/{name}        one entry
 *   DELETE /v1/processes/{id}/objects/{name}        remove it
 *   PUT    /v1/processes/{id}/objects/{name}/state  persisted, restoring, live,
 *                                                    migrated
 *
 * Keys:
 *   praas:proc:<id>:obj:<name>       the entry, JSON
 *   praas:proc:<id>:objclaim:<name>  the rank restoring it in this run
 * Both sit under the process's prefix, so deleting the process removes
 * them; a new run sweeps the claims (routes.c).
 *
 * An entry records the run in which its owner registered the memory. The
 * owner is live when that run is the process's current run and the owner's
 * rank is registered in it; every answer carries that as "owner_live", so
 * workers of a later run see that the owner is gone. A worker that dies
 * during a run is removed from the view as failed (views.c), which removes
 * its session: its objects' owner stops being live at that moment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/routes.h"
#include "core/base64.h"
#include "core/common.h"
#include "core/error.h"

/* The same rule as praas/gmem.h's: [A-Za-z0-9_.-], no "..". */
#define CP_OBJ_NAME_MAX 200
#define CP_OBJ_KEY_MAX 320
#define CP_OBJ_RKEY_MAX 4096
#define CP_STORAGE_KEY_MAX 512

static int cp_obj_name_ok(const char *s, size_t len, int prefix)
{
    if ((len == 0 && !prefix) || len > CP_OBJ_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
        if (c == '.' && i > 0 && s[i - 1] == '.')
            return 0;
    }
    return 1;
}

static void cp_key_obj(char *buf, const char *id, const char *name)
{
    snprintf(buf, CP_OBJ_KEY_MAX, "praas:proc:%s:obj:%s", id, name);
}

static void cp_key_objclaim(char *buf, const char *id, const char *name)
{
    snprintf(buf, CP_OBJ_KEY_MAX, "praas:proc:%s:objclaim:%s", id, name);
}

static json_int_t cp_proc_run(const struct cp_proc *p)
{
    json_t *run = json_object_get(p->rec, "run");
    return run ? json_integer_value(run) : 1;
}

/* Whether rank is registered in process id now. */
static int cp_rank_registered(struct praas_control *ctl, const char *id, json_int_t rank,
                              int *yes_p)
{
    char key[CP_KEY_MAX], *text;
    int rc;

    cp_key_rank(key, id, rank);
    rc = cp_store_get(ctl->store, key, &text, NULL);
    if (rc == PRAAS_ERR_NOT_FOUND) {
        *yes_p = 0;
        return 0;
    }
    if (rc < 0)
        return rc;
    free(text);
    *yes_p = 1;
    return 0;
}

/* Set "owner_live" in rec. Returns 0 or -1 (answered 503). */
static int cp_obj_liveness(struct praas_control *ctl, const char *id, const struct cp_proc *p,
                           json_t *rec, struct cp_reply *rep)
{
    json_t *run = json_object_get(rec, "run");
    int live = 0, rc;

    if (run && json_integer_value(run) == cp_proc_run(p)) {
        rc = cp_rank_registered(ctl, id, json_integer_value(json_object_get(rec, "owner")),
                                &live);
        if (rc < 0)
            return cp_reply_store(rep, rc, "checking an object's owner");
    }
    json_object_set_new(rec, "owner_live", json_boolean(live));
    return 0;
}

/* Load the entry of name. Returns 0, or -1 after answering 404 or 503. */
static int cp_obj_load(struct praas_control *ctl, const char *id, const char *name,
                       struct cp_reply *rep, json_t **rec_p)
{
    char key[CP_OBJ_KEY_MAX], *text;
    json_error_t jerr;
    size_t len;
    json_t *rec;
    int rc;

    cp_key_obj(key, id, name);
    rc = cp_store_get(ctl->store, key, &text, &len);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 404, "no object '%s' in process %s", name, id);
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading an object");
    rec = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return cp_reply_error(rep, 503, "the store holds a malformed record under '%s'", key);
    }
    *rec_p = rec;
    return 0;
}

static int cp_obj_save(struct praas_control *ctl, const char *id, const char *name,
                       json_t *rec, unsigned flags)
{
    char key[CP_OBJ_KEY_MAX], *text;
    int rc;

    cp_key_obj(key, id, name);
    /* owner_live is computed for each answer, never stored. */
    json_object_del(rec, "owner_live");
    text = json_dumps(rec, JSON_COMPACT);
    if (!text)
        return core_err(PRAAS_ERR_NOMEM, "no memory to encode object '%s'", name);
    rc = cp_store_set(ctl->store, key, text, strlen(text), flags);
    free(text);
    return rc;
}

/* Check a base64 remote key field. Returns 0 or -1 (answered 400). */
static int cp_obj_check_key(struct cp_reply *rep, const char *b64, size_t len)
{
    void *blob;
    size_t dlen;
    int rc;

    if (len > core_b64_encoded_len(CP_OBJ_RKEY_MAX))
        return cp_reply_error(rep, 400, "field 'key' has %zu characters, more than a %d-byte "
                              "key needs", len, CP_OBJ_RKEY_MAX);
    rc = core_b64_decode(b64, len, &blob, &dlen);
    if (rc == PRAAS_ERR_INVALID)
        return cp_reply_error(rep, 400, "field 'key' is not standard base64: %s",
                              praas_errmsg());
    if (rc < 0)
        return cp_reply_error(rep, 503, "cannot decode field 'key': %s", praas_errmsg());
    free(blob);
    if (dlen == 0)
        return cp_reply_error(rep, 400, "field 'key' is empty");
    return 0;
}

static int route_obj_create(struct praas_control *ctl, const struct cp_request *req,
                            const char *id, struct cp_reply *rep)
{
    json_int_t owner, size, view;
    const char *name, *key;
    size_t nlen, klen;
    struct cp_proc p;
    json_t *body, *rec;
    int rc;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_field_str(rep, body, "name", 1, &name, &nlen) < 0 ||
        cp_field_int(rep, body, "owner", 1, 0, 1048575, 0, &owner) < 0 ||
        cp_field_int(rep, body, "size", 1, 1, INT64_MAX, 0, &size) < 0 ||
        cp_field_str(rep, body, "key", 1, &key, &klen) < 0 ||
        cp_field_int(rep, body, "view", 0, 0, INT64_MAX, 0, &view) < 0)
        goto err_body;
    if (!cp_obj_name_ok(name, nlen, 0)) {
        cp_reply_error(rep, 400, "field 'name' is '%.*s'; an object name is 1 to %d characters "
                       "of [A-Za-z0-9_.-] without \"..\"", (int)PRAAS_MIN(nlen, 80), name,
                       CP_OBJ_NAME_MAX);
        goto err_body;
    }
    if (cp_obj_check_key(rep, key, klen) < 0)
        goto err_body;
    if (cp_proc_load_ranks(ctl, id, rep, &p) < 0)
        goto err_body;
    if (owner >= p.size) {
        cp_reply_error(rep, 400, "owner %" JSON_INTEGER_FORMAT " is out of range [0, %"
                       JSON_INTEGER_FORMAT ") of process %s", owner, p.size, id);
        goto err_proc;
    }
    rec = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s, s:I}", "name", name, "owner", owner,
                    "size", size, "key", key, "view", view, "state", "live", "run",
                    cp_proc_run(&p));
    if (!rec) {
        cp_reply_error(rep, 503, "no memory for an object record");
        goto err_proc;
    }
    rc = cp_obj_save(ctl, id, name, rec, CP_STORE_IF_ABSENT);
    if (rc == PRAAS_ERR_EXISTS) {
        cp_reply_error(rep, 409, "object '%s' already exists in process %s", name, id);
        goto err_rec;
    }
    if (rc < 0) {
        cp_reply_store(rep, rc, "creating an object");
        goto err_rec;
    }
    if (cp_obj_liveness(ctl, id, &p, rec, rep) < 0)
        goto err_rec;
    json_decref(p.rec);
    json_decref(body);
    return cp_reply_json(rep, 201, rec);

err_rec:
    json_decref(rec);
err_proc:
    json_decref(p.rec);
err_body:
    json_decref(body);
    return -1;
}

static int route_obj_get(struct praas_control *ctl, const char *id, const char *name,
                         struct cp_reply *rep)
{
    struct cp_proc p;
    json_t *rec;

    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    if (cp_obj_load(ctl, id, name, rep, &rec) < 0 || cp_obj_liveness(ctl, id, &p, rec, rep) < 0) {
        json_decref(p.rec);
        return -1;
    }
    json_decref(p.rec);
    return cp_reply_json(rep, 200, rec);
}

static int route_obj_list(struct praas_control *ctl, const struct cp_request *req,
                          const char *id, struct cp_reply *rep)
{
    const char *prefix = cp_query_arg(req, "prefix");
    char key[CP_OBJ_KEY_MAX];
    struct cp_kv *items;
    struct cp_proc p;
    json_t *list;
    size_t n;
    int rc;

    if (!prefix)
        prefix = "";
    if (!cp_obj_name_ok(prefix, strlen(prefix), 1))
        return cp_reply_error(rep, 400, "query 'prefix' is '%.80s'; a prefix is up to %d "
                              "characters of [A-Za-z0-9_.-] without \"..\"", prefix,
                              CP_OBJ_NAME_MAX);
    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    cp_key_obj(key, id, prefix);
    rc = cp_store_scan(ctl->store, key, 1, &items, &n);
    if (rc < 0) {
        json_decref(p.rec);
        return cp_reply_store(rep, rc, "listing objects");
    }
    list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        json_t *rec = json_loadb(items[i].val, items[i].len, 0, NULL);
        if (!json_is_object(rec)) {
            json_decref(rec);
            continue; /* deleted or foreign: left out */
        }
        if (cp_obj_liveness(ctl, id, &p, rec, rep) < 0) {
            json_decref(rec);
            json_decref(list);
            cp_kv_free(items, n);
            json_decref(p.rec);
            return -1;
        }
        json_array_append_new(list, rec);
    }
    cp_kv_free(items, n);
    json_decref(p.rec);
    if (!list)
        return cp_reply_error(rep, 503, "no memory for the list of objects");
    return cp_reply_json(rep, 200, json_pack("{s:o}", "objects", list));
}

static int route_obj_delete(struct praas_control *ctl, const char *id, const char *name,
                            struct cp_reply *rep)
{
    char key[CP_OBJ_KEY_MAX];
    struct cp_proc p;
    int rc;

    if (cp_proc_load(ctl, id, rep, &p) < 0)
        return -1;
    json_decref(p.rec);
    cp_key_obj(key, id, name);
    rc = cp_store_del(ctl->store, key);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return cp_reply_error(rep, 404, "no object '%s' in process %s", name, id);
    if (rc < 0)
        return cp_reply_store(rep, rc, "deleting an object");
    cp_key_objclaim(key, id, name);
    cp_store_del(ctl->store, key);
    return cp_reply_json(rep, 200, json_pack("{s:s}", "deleted", name));
}

/* The rank holding the restore claim of name, or -1. */
static int cp_obj_claim_holder(struct praas_control *ctl, const char *id, const char *name,
                               json_int_t *holder_p)
{
    char key[CP_OBJ_KEY_MAX], *text;
    int rc;

    cp_key_objclaim(key, id, name);
    rc = cp_store_get(ctl->store, key, &text, NULL);
    if (rc == PRAAS_ERR_NOT_FOUND) {
        *holder_p = -1;
        return 0;
    }
    if (rc < 0)
        return rc;
    *holder_p = strtoll(text, NULL, 10);
    free(text);
    return 0;
}

static int obj_state_persisted(struct praas_control *ctl, const char *id, const char *name,
                               json_t *body, json_t *rec, struct cp_reply *rep)
{
    const char *skey;
    json_int_t size;
    size_t slen;
    int rc;

    if (cp_field_str(rep, body, "storage", 1, &skey, &slen) < 0 ||
        cp_field_int(rep, body, "size", 0, 0, INT64_MAX, -1, &size) < 0)
        return -1;
    if (slen == 0 || slen > CP_STORAGE_KEY_MAX)
        return cp_reply_error(rep, 400, "field 'storage' has %zu characters; a storage key has "
                              "1 to %d", slen, CP_STORAGE_KEY_MAX);
    if (size >= 0 && size != json_integer_value(json_object_get(rec, "size")))
        return cp_reply_error(rep, 400, "field 'size' is %" JSON_INTEGER_FORMAT " but object "
                              "'%s' has %" JSON_INTEGER_FORMAT " bytes", size, name,
                              json_integer_value(json_object_get(rec, "size")));
    json_object_set_new(rec, "state", json_string("persisted"));
    json_object_set_new(rec, "storage", json_string(skey));
    rc = cp_obj_save(ctl, id, name, rec, 0);
    return rc < 0 ? cp_reply_store(rep, rc, "updating an object") : 0;
}

static int obj_state_restoring(struct praas_control *ctl, const char *id, const char *name,
                               const struct cp_proc *p, json_t *body, json_t *rec,
                               struct cp_reply *rep)
{
    char key[CP_OBJ_KEY_MAX], rank_s[24];
    json_int_t rank, holder;
    int rc;

    if (cp_field_int(rep, body, "rank", 1, 0, p->size - 1, 0, &rank) < 0)
        return -1;
    json_object_set_new(rec, "claimed", json_false());
    if (json_is_true(json_object_get(rec, "owner_live")))
        return 0; /* nothing to restore: claimed false, owner_live true */
    if (!json_object_get(rec, "storage"))
        return cp_reply_error(rep, 409, "object '%s' of process %s was lost: its owner, rank %"
                              JSON_INTEGER_FORMAT ", left without persisting it", name, id,
                              json_integer_value(json_object_get(rec, "owner")));
    cp_key_objclaim(key, id, name);
    snprintf(rank_s, sizeof(rank_s), "%" JSON_INTEGER_FORMAT, rank);
    rc = cp_store_set(ctl->store, key, rank_s, strlen(rank_s), CP_STORE_IF_ABSENT);
    if (rc == PRAAS_ERR_EXISTS) {
        rc = cp_obj_claim_holder(ctl, id, name, &holder);
        if (rc < 0)
            return cp_reply_store(rep, rc, "reading a restore claim");
    } else if (rc < 0) {
        return cp_reply_store(rep, rc, "claiming a restore");
    } else {
        holder = rank;
    }
    json_object_set_new(rec, "claimed", json_boolean(holder == rank));
    json_object_set_new(rec, "restorer", json_integer(holder));
    return 0;
}

static int obj_state_live(struct praas_control *ctl, const char *id, const char *name,
                          const struct cp_proc *p, json_t *body, json_t *rec,
                          struct cp_reply *rep)
{
    char key[CP_OBJ_KEY_MAX];
    json_int_t owner, holder;
    const char *rkey;
    size_t klen;
    int rc;

    if (cp_field_int(rep, body, "owner", 1, 0, p->size - 1, 0, &owner) < 0 ||
        cp_field_str(rep, body, "key", 1, &rkey, &klen) < 0 || cp_obj_check_key(rep, rkey, klen) < 0)
        return -1;
    rc = cp_obj_claim_holder(ctl, id, name, &holder);
    if (rc < 0)
        return cp_reply_store(rep, rc, "reading a restore claim");
    if (holder != owner)
        return cp_reply_error(rep, 409, "rank %" JSON_INTEGER_FORMAT " does not hold the restore "
                              "claim of object '%s' (holder: %" JSON_INTEGER_FORMAT "); claim "
                              "it with state \"restoring\" first", owner, name, holder);
    json_object_set_new(rec, "owner", json_integer(owner));
    json_object_set_new(rec, "key", json_string(rkey));
    json_object_set_new(rec, "run", json_integer(cp_proc_run(p)));
    json_object_set_new(rec, "state", json_string("live"));
    rc = cp_obj_save(ctl, id, name, rec, 0);
    if (rc < 0)
        return cp_reply_store(rep, rc, "updating an object");
    cp_key_objclaim(key, id, name);
    cp_store_del(ctl->store, key);
    return 0;
}

/* {"state": "migrated", "owner": R, "key": K, "view": N}: the owner of a
 * live object copied it to rank R's memory before leaving the view (views.c);
 * the entry follows it. The state (live or persisted) and the storage key
 * stay. */
static int obj_state_migrated(struct praas_control *ctl, const char *id, const char *name,
                              const struct cp_proc *p, json_t *body, json_t *rec,
                              struct cp_reply *rep)
{
    json_int_t owner, view;
    const char *rkey;
    size_t klen;
    int rc;

    if (cp_field_int(rep, body, "owner", 1, 0, p->size - 1, 0, &owner) < 0 ||
        cp_field_int(rep, body, "view", 1, 0, INT64_MAX, 0, &view) < 0 ||
        cp_field_str(rep, body, "key", 1, &rkey, &klen) < 0 || cp_obj_check_key(rep, rkey, klen) < 0)
        return -1;
    json_object_set_new(rec, "owner", json_integer(owner));
    json_object_set_new(rec, "key", json_string(rkey));
    json_object_set_new(rec, "view", json_integer(view));
    json_object_set_new(rec, "run", json_integer(cp_proc_run(p)));
    rc = cp_obj_save(ctl, id, name, rec, 0);
    return rc < 0 ? cp_reply_store(rep, rc, "updating an object") : 0;
}

static int route_obj_state(struct praas_control *ctl, const struct cp_request *req,
                           const char *id, const char *name, struct cp_reply *rep)
{
    const char *state;
    struct cp_proc p;
    json_t *body, *rec = NULL;
    int rc = -1;

    if (cp_body_object(req, rep, &body) < 0)
        return -1;
    if (cp_field_str(rep, body, "state", 1, &state, NULL) < 0)
        goto out_body;
    if (cp_proc_load_ranks(ctl, id, rep, &p) < 0)
        goto out_body;
    if (cp_obj_load(ctl, id, name, rep, &rec) < 0 || cp_obj_liveness(ctl, id, &p, rec, rep) < 0)
        goto out_proc;
    if (strcmp(state, "persisted") == 0)
        rc = obj_state_persisted(ctl, id, name, body, rec, rep);
    else if (strcmp(state, "restoring") == 0)
        rc = obj_state_restoring(ctl, id, name, &p, body, rec, rep);
    else if (strcmp(state, "live") == 0)
        rc = obj_state_live(ctl, id, name, &p, body, rec, rep);
    else if (strcmp(state, "migrated") == 0)
        rc = obj_state_migrated(ctl, id, name, &p, body, rec, rep);
    else
        rc = cp_reply_error(rep, 400, "field 'state' is '%.40s'; use persisted, restoring, "
                            "live or migrated", state);
    if (rc == 0 && cp_obj_liveness(ctl, id, &p, rec, rep) == 0) {
        cp_reply_json(rep, 200, json_incref(rec));
    }
out_proc:
    json_decref(rec);
    json_decref(p.rec);
out_body:
    json_decref(body);
    return rc;
}

int cp_route_objects(struct praas_control *ctl, const struct cp_request *req, const char *id,
                     const char *rest, struct cp_reply *rep)
{
    char name[CP_OBJ_NAME_MAX + 1];
    const char *slash;
    size_t nlen;
    int is_state;

    /* rest is "" (the collection) or "/NAME" or "/NAME/state". */
    if (rest[0] == '\0') {
        if (strcmp(req->method, "GET") == 0)
            return route_obj_list(ctl, req, id, rep);
        if (strcmp(req->method, "POST") == 0)
            return route_obj_create(ctl, req, id, rep);
        cp_reply_error(rep, 405, "method %s is not allowed on %s (allowed: GET, POST)",
                              req->method, req->path);
        rep->allow = "GET, POST";
        return -1;
    }
    rest++;
    slash = strchr(rest, '/');
    nlen = slash ? (size_t)(slash - rest) : strlen(rest);
    is_state = slash && strcmp(slash, "/state") == 0;
    if (slash && !is_state)
        return cp_reply_error(rep, 404, "no route %s %s (see doc/control-api.md)", req->method,
                              req->path);
    if (is_state && strcmp(req->method, "PUT") != 0) {
        cp_reply_error(rep, 405, "method %s is not allowed on %s (allowed: PUT)",
                              req->method, req->path);
        rep->allow = "PUT";
        return -1;
    }
    if (!is_state && strcmp(req->method, "GET") != 0 && strcmp(req->method, "DELETE") != 0) {
        cp_reply_error(rep, 405, "method %s is not allowed on %s (allowed: GET, DELETE)",
                              req->method, req->path);
        rep->allow = "GET, DELETE";
        return -1;
    }
    /* A name no object can have is simply not found. */
    if (!cp_obj_name_ok(rest, nlen, 0))
        return cp_reply_error(rep, 404, "no object '%.*s' in process %s",
                              (int)PRAAS_MIN(nlen, 80), rest, id);
    memcpy(name, rest, nlen);
    name[nlen] = '\0';
    if (is_state)
        return route_obj_state(ctl, req, id, name, rep);
    if (strcmp(req->method, "GET") == 0)
        return route_obj_get(ctl, id, name, rep);
    return route_obj_delete(ctl, id, name, rep);
}
