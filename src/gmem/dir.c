/*
 * The object directory: name -> {owner, size, packed remote key, view,
 * state}. Under a control plane (PRAAS_CONTROL) it is the control plane's
 * (routes of doc/control-api.md, "Objects"); a single worker without one
 * keeps it here, in process, so the API works the same for one worker.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/http.h"
#include "core/base64.h"
#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "gmem/gmem.h"

int gm_dir_remote(void)
{
    const core_cfg_t *cfg = core_cfg();
    return cfg && *cfg->control;
}

/* ---- the in-process directory ---- */

typedef struct gm_lentry {
    struct gm_lentry *next;
    gm_entry_t e;
} gm_lentry_t;

static pthread_mutex_t gm_ldir_lock = PTHREAD_MUTEX_INITIALIZER;
static gm_lentry_t *gm_ldir; /* sorted by name */

static gm_lentry_t **gm_ldir_find(const char *name, int *found_p)
{
    gm_lentry_t **pp;
    int c = 1;

    for (pp = &gm_ldir; *pp; pp = &(*pp)->next) {
        c = strcmp((*pp)->e.name, name);
        if (c >= 0)
            break;
    }
    *found_p = *pp && c == 0;
    return pp;
}

void gm_dir_reset(void)
{
    pthread_mutex_lock(&gm_ldir_lock);
    while (gm_ldir) {
        gm_lentry_t *l = gm_ldir;
        gm_ldir = l->next;
        free(l);
    }
    pthread_mutex_unlock(&gm_ldir_lock);
}

/* ---- the control plane's directory ---- */

/* Fill e from a directory record. */
static int gm_entry_from_json(json_t *rec, gm_entry_t *e)
{
    const char *name = json_string_value(json_object_get(rec, "name"));
    const char *key = json_string_value(json_object_get(rec, "key"));
    const char *state = json_string_value(json_object_get(rec, "state"));
    const char *skey = json_string_value(json_object_get(rec, "storage"));
    void *blob;
    size_t len;
    int rc;

    if (!name || !key || !state || strlen(name) > PRAAS_OBJ_NAME_MAX)
        return core_err(PRAAS_ERR_PROTOCOL, "the control plane sent a malformed object entry");
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->owner = (int)json_integer_value(json_object_get(rec, "owner"));
    e->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
    e->view = (uint64_t)json_integer_value(json_object_get(rec, "view"));
    e->state = strcmp(state, "persisted") == 0 ? GM_PERSISTED : GM_LIVE;
    e->owner_live = json_is_true(json_object_get(rec, "owner_live"));
    if (skey)
        snprintf(e->storage_key, sizeof(e->storage_key), "%s", skey);
    rc = core_b64_decode(key, strlen(key), &blob, &len);
    if (rc)
        return rc;
    if (len > GM_KEY_MAX) {
        free(blob);
        return core_err(PRAAS_ERR_PROTOCOL, "object '%s' has a %zu-byte key", name, len);
    }
    memcpy(e->key, blob, len);
    e->key_len = len;
    free(blob);
    return 0;
}

int gm_dir_create(const char *name, int owner, uint64_t size, const void *key,
                  size_t key_len)
{
    const core_cfg_t *cfg = core_cfg();
    char *b64;
    json_t *rec;
    int rc, found;

    if (!gm_dir_remote()) {
        gm_lentry_t **pp, *l;
        pthread_mutex_lock(&gm_ldir_lock);
        pp = gm_ldir_find(name, &found);
        if (found) {
            pthread_mutex_unlock(&gm_ldir_lock);
            return core_err(PRAAS_ERR_EXISTS, "object '%s' already exists", name);
        }
        l = calloc(1, sizeof(*l));
        if (!l) {
            pthread_mutex_unlock(&gm_ldir_lock);
            return core_err(PRAAS_ERR_NOMEM, "no memory for a directory entry");
        }
        snprintf(l->e.name, sizeof(l->e.name), "%s", name);
        l->e.owner = owner;
        l->e.size = size;
        l->e.owner_live = 1;
        memcpy(l->e.key, key, key_len);
        l->e.key_len = key_len;
        l->next = *pp;
        *pp = l;
        pthread_mutex_unlock(&gm_ldir_lock);
        return 0;
    }
    rc = core_b64_encode(key, key_len, &b64);
    if (rc)
        return rc;
    rec = json_pack("{s:s, s:i, s:I, s:s, s:i}", "name", name, "owner", owner, "size",
                    (json_int_t)size, "key", b64, "view", 0);
    free(b64);
    if (!rec)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a directory entry");
    rc = cl_obj_create(cfg->control, cfg->process, rec);
    json_decref(rec);
    if (rc == PRAAS_ERR_EXISTS)
        return core_err(rc, "object '%s' already exists", name);
    return rc;
}

static atomic_ullong gm_lookups;

unsigned long long gm_dir_lookups(void)
{
    return atomic_load(&gm_lookups);
}

int gm_dir_lookup(const char *name, gm_entry_t *e)
{
    const core_cfg_t *cfg = core_cfg();
    json_t *rec;
    int rc, found;

    atomic_fetch_add(&gm_lookups, 1);
    if (!gm_dir_remote()) {
        gm_lentry_t **pp;
        pthread_mutex_lock(&gm_ldir_lock);
        pp = gm_ldir_find(name, &found);
        if (found)
            *e = (*pp)->e;
        pthread_mutex_unlock(&gm_ldir_lock);
        return found ? 0 : core_err(PRAAS_ERR_NOT_FOUND, "no object '%s'", name);
    }
    rc = cl_obj_get(cfg->control, cfg->process, name, &rec);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return core_err(rc, "no object '%s' in process %s", name, cfg->process);
    if (rc)
        return rc;
    rc = gm_entry_from_json(rec, e);
    json_decref(rec);
    return rc;
}

int gm_dir_remove(const char *name)
{
    const core_cfg_t *cfg = core_cfg();
    int rc, found;

    if (!gm_dir_remote()) {
        gm_lentry_t **pp, *l;
        pthread_mutex_lock(&gm_ldir_lock);
        pp = gm_ldir_find(name, &found);
        l = found ? *pp : NULL;
        if (l)
            *pp = l->next;
        pthread_mutex_unlock(&gm_ldir_lock);
        free(l);
        return found ? 0 : core_err(PRAAS_ERR_NOT_FOUND, "no object '%s'", name);
    }
    rc = cl_obj_delete(cfg->control, cfg->process, name);
    if (rc == PRAAS_ERR_NOT_FOUND)
        return core_err(rc, "no object '%s' in process %s", name, cfg->process);
    return rc;
}

int gm_dir_list(const char *prefix, int (*cb)(const gm_entry_t *e, void *arg), void *arg)
{
    const core_cfg_t *cfg = core_cfg();
    size_t plen = strlen(prefix), i;
    json_t *list, *rec;
    gm_entry_t *e;
    int rc = 0;

    e = malloc(sizeof(*e));
    if (!e)
        return core_err(PRAAS_ERR_NOMEM, "no memory to list objects");
    if (!gm_dir_remote()) {
        /* Copy out one entry at a time, so cb may call the API. */
        char last[PRAAS_OBJ_NAME_MAX + 1] = "";
        int have_last = 0;
        for (;;) {
            gm_lentry_t *l;
            int got = 0;
            pthread_mutex_lock(&gm_ldir_lock);
            for (l = gm_ldir; l; l = l->next)
                if ((!have_last || strcmp(l->e.name, last) > 0) &&
                    strncmp(l->e.name, prefix, plen) == 0) {
                    *e = l->e;
                    got = 1;
                    break;
                }
            pthread_mutex_unlock(&gm_ldir_lock);
            if (!got || (rc = cb(e, arg)) != 0)
                break;
            snprintf(last, sizeof(last), "%s", e->name);
            have_last = 1;
        }
        free(e);
        return rc;
    }
    rc = cl_obj_list(cfg->control, cfg->process, prefix, &list);
    if (rc) {
        free(e);
        return rc;
    }
    json_array_foreach(list, i, rec) {
        rc = gm_entry_from_json(rec, e);
        if (rc || (rc = cb(e, arg)) != 0)
            break;
    }
    json_decref(list);
    free(e);
    return rc;
}

/* PUT .../objects/{name}/state with body; the answer in *rec_p if wanted. */
static int gm_dir_put_state(const char *name, json_t *body, json_t **rec_p)
{
    const core_cfg_t *cfg = core_cfg();
    json_t *rec = NULL;
    int rc;

    if (!body)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a directory update");
    rc = cl_obj_state(cfg->control, cfg->process, name, body, &rec);
    json_decref(body);
    if (rc)
        return rc;
    if (rec_p)
        *rec_p = rec;
    else
        json_decref(rec);
    return 0;
}

int gm_dir_set_persisted(const char *name, const char *skey, uint64_t size)
{
    int found;

    if (!gm_dir_remote()) {
        gm_lentry_t **pp;
        pthread_mutex_lock(&gm_ldir_lock);
        pp = gm_ldir_find(name, &found);
        if (found) {
            (*pp)->e.state = GM_PERSISTED;
            snprintf((*pp)->e.storage_key, sizeof((*pp)->e.storage_key), "%s", skey);
        }
        pthread_mutex_unlock(&gm_ldir_lock);
        return found ? 0 : core_err(PRAAS_ERR_NOT_FOUND, "no object '%s'", name);
    }
    return gm_dir_put_state(name, json_pack("{s:s, s:s, s:I}", "state", "persisted", "storage",
                                            skey, "size", (json_int_t)size), NULL);
}

int gm_dir_claim_restore(const char *name, int rank, int *holder_p)
{
    json_t *rec;
    int rc;

    if (!gm_dir_remote())
        return core_err(PRAAS_ERR_STATE, "a single worker has no earlier owner to restore "
                        "object '%s' from", name);
    rc = gm_dir_put_state(name, json_pack("{s:s, s:i}", "state", "restoring", "rank", rank),
                          &rec);
    if (rc)
        return rc;
    if (json_is_true(json_object_get(rec, "claimed")))
        rc = 0;
    else if (json_is_true(json_object_get(rec, "owner_live")))
        rc = PRAAS_ERR_STATE;
    else {
        *holder_p = (int)json_integer_value(json_object_get(rec, "restorer"));
        rc = PRAAS_ERR_AGAIN;
    }
    json_decref(rec);
    return rc;
}

int gm_dir_set_live(const char *name, int rank, const void *key, size_t key_len)
{
    char *b64;
    json_t *body;
    int rc;

    rc = core_b64_encode(key, key_len, &b64);
    if (rc)
        return rc;
    body = json_pack("{s:s, s:i, s:s}", "state", "live", "owner", rank, "key", b64);
    free(b64);
    return gm_dir_put_state(name, body, NULL);
}

int gm_dir_set_migrated(const char *name, int rank, const void *key, size_t key_len,
                        uint64_t view)
{
    char *b64;
    json_t *body;
    int rc;

    if (!gm_dir_remote())
        return core_err(PRAAS_ERR_STATE, "a single worker has no view to leave");
    rc = core_b64_encode(key, key_len, &b64);
    if (rc)
        return rc;
    body = json_pack("{s:s, s:i, s:s, s:I}", "state", "migrated", "owner", rank, "key", b64,
                     "view", (json_int_t)view);
    free(b64);
    return gm_dir_put_state(name, body, NULL);
}
