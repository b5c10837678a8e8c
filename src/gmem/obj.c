/*
 * Objects: names, handles and the per-worker location cache; allocation,
 * open, close, free, size and listing; the hooks into praas_init and
 * praas_finalize.
 *
 * The location cache maps a name to {owner, size, unpacked remote key,
 * view} for every object this worker has open: a second open of a name
 * already open costs no control-plane request, and accesses never ask the
 * directory. An entry leaves the cache when its last handle closes and
 * when this worker frees the object. It turns stale (looked up again at its
 * next access, by gm_loc_refresh) when a view change publishes a new view
 * (gm_cache_invalidate_view: objects of ranks that left have moved) and
 * when an access finds its owner gone (gm_loc_check); the refresh restores
 * the object from storage when its owner is gone, or reports it lost.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "client/http.h"
#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "gmem/gmem.h"

static pthread_mutex_t gm_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static gm_loc_t *gm_cache;

int gm_err_wrap(int code, const char *fmt, ...)
{
    char why[512], what[512];
    va_list ap;

    snprintf(why, sizeof(why), "%s", praas_errmsg());
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return core_err(code, "%s: %s", what, why);
}

int gm_name_check(const char *name)
{
    size_t len;

    if (!name)
        return core_err(PRAAS_ERR_INVALID, "the object name is NULL");
    len = strlen(name);
    if (len == 0)
        return core_err(PRAAS_ERR_INVALID, "the object name is empty");
    if (len > PRAAS_OBJ_NAME_MAX)
        return core_err(PRAAS_ERR_INVALID, "object name '%.40s...' has %zu characters, more "
                        "than PRAAS_OBJ_NAME_MAX (%d)", name, len, PRAAS_OBJ_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return core_err(PRAAS_ERR_INVALID, "object name '%s' has the character '%c' at %zu;"
                            " names are made of [A-Za-z0-9_.-]", name, c, i);
    }
    if (strstr(name, ".."))
        return core_err(PRAAS_ERR_INVALID, "object name '%s' has two dots in a row", name);
    return 0;
}

void gm_storage_key(const char *name, char *buf, size_t len)
{
    const char *proc = core_cfg() ? core_cfg()->process : "";
    snprintf(buf, len, "objects/%s/%s", *proc ? proc : "single", name);
}

static int gm_ready(void)
{
    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    return 0;
}

/* Drop one reference to loc; the last one removes it from the cache. */
static void gm_loc_put(gm_loc_t *loc)
{
    int last;

    pthread_mutex_lock(&gm_cache_lock);
    last = --loc->refs == 0;
    if (last)
        for (gm_loc_t **pp = &gm_cache; *pp; pp = &(*pp)->next)
            if (*pp == loc) {
                *pp = loc->next;
                break;
            }
    pthread_mutex_unlock(&gm_cache_lock);
    if (last) {
        tp_rkey_release(core_tp(), loc->rkey);
        pthread_rwlock_destroy(&loc->lock);
        free(loc);
    }
}

/* A cached location of name with one more reference, or NULL. */
static gm_loc_t *gm_cache_get(const char *name)
{
    gm_loc_t *loc;

    pthread_mutex_lock(&gm_cache_lock);
    for (loc = gm_cache; loc; loc = loc->next)
        if (strcmp(loc->name, name) == 0) {
            loc->refs++;
            break;
        }
    pthread_mutex_unlock(&gm_cache_lock);
    return loc;
}

/* Cache the location of entry e (unpacking its key), or join the one that
 * another thread cached meanwhile. */
static int gm_cache_add(const gm_entry_t *e, uint64_t view, gm_loc_t **loc_p)
{
    gm_loc_t *loc, *other;
    int size, rc;

    size = core_world_max(); /* workers that joined own objects too */
    if (e->owner < 0 || e->owner >= size)
        return core_err(PRAAS_ERR_PEER, "object '%s' is owned by rank %d, which is not in this "
                        "view of %d workers", e->name, e->owner, size);
    loc = calloc(1, sizeof(*loc));
    if (!loc)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a location");
    snprintf(loc->name, sizeof(loc->name), "%s", e->name);
    loc->owner = e->owner;
    loc->size = e->size;
    loc->view = view;
    loc->refs = 1;
    atomic_init(&loc->stale, 0);
    rc = tp_rkey_unpack(core_tp(), e->owner, e->key, e->key_len, &loc->rkey);
    if (rc) {
        free(loc);
        return rc;
    }
    pthread_rwlock_init(&loc->lock, NULL);
    pthread_mutex_lock(&gm_cache_lock);
    for (other = gm_cache; other; other = other->next)
        if (strcmp(other->name, e->name) == 0) {
            other->refs++;
            break;
        }
    if (!other) {
        loc->next = gm_cache;
        gm_cache = loc;
    }
    pthread_mutex_unlock(&gm_cache_lock);
    if (other) {
        tp_rkey_release(core_tp(), loc->rkey);
        pthread_rwlock_destroy(&loc->lock);
        free(loc);
        loc = other;
    }
    *loc_p = loc;
    return 0;
}

void gm_cache_invalidate_view(uint64_t view)
{
    pthread_mutex_lock(&gm_cache_lock);
    for (gm_loc_t *loc = gm_cache; loc; loc = loc->next)
        if (loc->view < view)
            atomic_store(&loc->stale, 1);
    pthread_mutex_unlock(&gm_cache_lock);
}

void gm_cache_invalidate_owner(int owner)
{
    pthread_mutex_lock(&gm_cache_lock);
    for (gm_loc_t *loc = gm_cache; loc; loc = loc->next)
        if (loc->owner == owner)
            atomic_store(&loc->stale, 1);
    pthread_mutex_unlock(&gm_cache_lock);
}

int gm_cache_count(void)
{
    int n = 0;

    pthread_mutex_lock(&gm_cache_lock);
    for (gm_loc_t *loc = gm_cache; loc; loc = loc->next)
        n++;
    pthread_mutex_unlock(&gm_cache_lock);
    return n;
}

/* Look name up; when its owner is gone, restore it from storage (or fail
 * with "lost") and look it up again. The slow path of open and refresh. */
static int gm_lookup_live(const char *name, gm_entry_t *e)
{
    int rc = gm_dir_lookup(name, e);

    if (!rc && !e->owner_live) {
        rc = gm_restore(e);
        if (!rc)
            rc = gm_dir_lookup(name, e);
        if (!rc && !e->owner_live)
            rc = core_err(PRAAS_ERR_PEER, "object '%s' was restored but its new owner is "
                          "gone already", name);
    }
    return rc;
}

int gm_loc_refresh(gm_loc_t *loc)
{
    gm_entry_t *e = malloc(sizeof(*e));
    uint64_t view = gm_view_number();
    tp_rkey_t *rkey;
    int size, rc = 0;

    if (!e)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a directory entry");
    pthread_rwlock_wrlock(&loc->lock);
    if (!atomic_load(&loc->stale))
        goto out;
    rc = gm_lookup_live(loc->name, e);
    size = core_world_max();
    if (!rc && e->size != loc->size)
        rc = core_err(PRAAS_ERR_STATE, "object '%s' was freed and allocated again with %llu "
                      "bytes instead of %llu: open it again", loc->name,
                      (unsigned long long)e->size, (unsigned long long)loc->size);
    else if (!rc && (e->owner < 0 || e->owner >= size))
        rc = core_err(PRAAS_ERR_PEER, "object '%s' is owned by rank %d, which is not in the "
                      "world of %d workers", loc->name, e->owner, size);
    if (!rc)
        rc = tp_rkey_unpack(core_tp(), e->owner, e->key, e->key_len, &rkey);
    if (!rc) {
        tp_rkey_release(core_tp(), loc->rkey);
        loc->rkey = rkey;
        loc->owner = e->owner;
        /* The view before the lookup: a change published since makes the
         * location stale again at its next access. */
        loc->view = view;
        atomic_store(&loc->stale, 0);
    }
out:
    pthread_rwlock_unlock(&loc->lock);
    free(e);
    return rc;
}

/* How long an access that failed waits for the directory to show why: the
 * launcher reports a death within milliseconds of waitpid. */
#define GM_GONE_GRACE_MS 3000

int gm_loc_check(gm_loc_t *loc)
{
    uint64_t deadline = core_deadline(GM_GONE_GRACE_MS);
    char saved[512];
    gm_entry_t *e = malloc(sizeof(*e));
    int owner, gone = 0, rc;

    if (!e)
        return 0;
    /* The caller reports its own failure: keep its message. */
    snprintf(saved, sizeof(saved), "%s", praas_errmsg());
    pthread_rwlock_rdlock(&loc->lock);
    owner = loc->owner;
    pthread_rwlock_unlock(&loc->lock);
    for (;;) {
        rc = gm_dir_lookup(loc->name, e);
        if (rc == PRAAS_ERR_NOT_FOUND || (!rc && (!e->owner_live || e->owner != owner))) {
            gone = 1;
            break;
        }
        if (rc || core_expired(deadline))
            break;
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    if (gone)
        atomic_store(&loc->stale, 1);
    free(e);
    core_err(PRAAS_ERR_PEER, "%s", saved);
    return gone;
}

static int gm_handle_new(gm_loc_t *loc, praas_obj_t *obj_p)
{
    struct praas_obj *obj = calloc(1, sizeof(*obj));

    if (obj && !(obj->comp = gm_comp_new())) {
        free(obj);
        obj = NULL;
    }
    if (!obj) {
        gm_loc_put(loc);
        return core_err(PRAAS_ERR_NOMEM, "no memory for an object handle");
    }
    obj->loc = loc;
    atomic_init(&obj->puts, 0);
    *obj_p = obj;
    return 0;
}

/* FNV-1a of a name: where PRAAS_OBJ_ANY puts it is this modulo the number
 * of members of the view (gm_view_place). The same name always lands on
 * the same rank of a view, spreading names evenly, with no request to
 * choose. */
static uint64_t gm_hash(const char *name)
{
    uint64_t h = 1469598103934665603ull;

    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static int gm_alloc_at(const char *name, size_t size, int where, int rank, uint64_t view,
                       praas_obj_t *obj_p);

PRAAS_API int praas_obj_alloc(const char *name, size_t size, int where, praas_obj_t *obj_p)
{
    int rank, nranks, at, rc;

    core_err_clear();
    if ((rc = gm_ready()) || (rc = gm_name_check(name)))
        return rc;
    if (!obj_p)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_alloc: obj_p is NULL");
    if (size == 0)
        return core_err(PRAAS_ERR_INVALID, "object '%s': the size must be at least 1 byte",
                        name);
    if ((int64_t)size < 0)
        return core_err(PRAAS_ERR_INVALID, "object '%s': size %zu is negative as a signed "
                        "number; was a negative size passed?", name, size);
    praas_rank(&rank);
    nranks = core_world_max(); /* a rank that joined may own objects */
    if (where < 0 && where != PRAAS_OBJ_HERE && where != PRAAS_OBJ_ANY)
        return core_err(PRAAS_ERR_INVALID, "object '%s': where = %d is neither a rank, "
                        "PRAAS_OBJ_HERE nor PRAAS_OBJ_ANY", name, where);
    if (where >= nranks)
        return core_err(PRAAS_ERR_RANGE, "object '%s': rank %d is past the view of %d workers",
                        name, where, nranks);
    /* A rank that is leaving the view gets no new object: the allocation
     * waits for the change, then places again. */
    for (;;) {
        uint64_t view = gm_view_number();
        at = where == PRAAS_OBJ_HERE ? rank
             : where == PRAAS_OBJ_ANY ? gm_view_place(gm_hash(name))
                                      : where;
        if (!core_is_member(at))
            return core_err(PRAAS_ERR_RANGE, "object '%s': rank %d is not a member of view "
                            "%llu (it left)", name, at, (unsigned long long)view);
        rc = gm_view_enter(at);
        if (rc == PRAAS_ERR_AGAIN)
            continue;
        if (rc)
            return rc;
        rc = gm_alloc_at(name, size, at, rank, view, obj_p);
        gm_view_exit(at);
        return rc;
    }
}

/* Allocate name at rank `where` (a member, entered with gm_view_enter). */
static int gm_alloc_at(const char *name, size_t size, int where, int rank, uint64_t view,
                       praas_obj_t *obj_p)
{
    unsigned char key[GM_KEY_MAX];
    size_t key_len = 0;
    gm_entry_t *e;
    gm_loc_t *loc;
    int rc, frc;

    /* Cheap early answer for a taken name; the directory's create decides. */
    if (!gm_dir_remote() && (e = malloc(sizeof(*e)))) {
        rc = gm_dir_lookup(name, e);
        free(e);
        if (rc == 0)
            return core_err(PRAAS_ERR_EXISTS, "object '%s' already exists", name);
        core_err_clear();
    }
    if (where == rank)
        rc = gm_owner_alloc(name, size, NULL, key, &key_len);
    else
        rc = gm_am_alloc(where, name, size, key, &key_len);
    if (rc)
        return rc;
    rc = gm_dir_create(name, where, size, key, key_len);
    if (rc)
        goto err_owner;

    e = calloc(1, sizeof(*e));
    if (!e) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for a directory entry");
        goto err_dir;
    }
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->owner = where;
    e->size = size;
    e->owner_live = 1;
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    rc = gm_cache_add(e, view, &loc);
    free(e);
    if (rc)
        goto err_dir;
    return gm_handle_new(loc, obj_p);

err_dir:
    gm_dir_remove(name);
err_owner:
    /* Keep the first error's message: the undo's would hide the cause. */
    frc = where == rank ? gm_owner_free(name) : gm_am_free(where, name);
    if (frc)
        core_log(CORE_LOG_WARN, "gmem: cannot release '%s' at rank %d after a failed "
                 "allocation", name, where);
    return rc == PRAAS_ERR_EXISTS
               ? core_err(rc, "object '%s' already exists", name)
               : rc;
}

PRAAS_API int praas_obj_open(const char *name, praas_obj_t *obj_p)
{
    uint64_t view = gm_view_number();
    gm_entry_t *e;
    gm_loc_t *loc;
    int rc;

    core_err_clear();
    if ((rc = gm_ready()) || (rc = gm_name_check(name)))
        return rc;
    if (!obj_p)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_open: obj_p is NULL");
    loc = gm_cache_get(name);
    if (loc)
        return gm_handle_new(loc, obj_p);
    e = malloc(sizeof(*e));
    if (!e)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a directory entry");
    /* An owner that is gone: bring it back from storage (or say it is
     * lost), then look it up again to find the new owner. */
    rc = gm_lookup_live(name, e);
    if (!rc)
        rc = gm_cache_add(e, view, &loc);
    free(e);
    if (rc)
        return rc;
    return gm_handle_new(loc, obj_p);
}

PRAAS_API int praas_obj_close(praas_obj_t *obj_p)
{
    praas_obj_t obj;
    int rc;

    core_err_clear();
    if (!obj_p || !*obj_p)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_close: no handle");
    obj = *obj_p;
    /* Transfers still in flight must not outlive their handle. */
    rc = praas_obj_flush(obj);
    gm_loc_put(obj->loc);
    gm_comp_release(obj->comp);
    free(obj);
    *obj_p = NULL;
    return rc;
}

PRAAS_API int praas_obj_free(praas_obj_t *obj_p)
{
    char name[PRAAS_OBJ_NAME_MAX + 1];
    praas_obj_t obj;
    int owner, rank, rc;

    core_err_clear();
    if (!obj_p || !*obj_p)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_free: no handle");
    if ((rc = gm_ready()))
        return rc;
    obj = *obj_p;
    praas_obj_flush(obj);
    snprintf(name, sizeof(name), "%s", obj->loc->name);
    owner = obj->loc->owner;
    /* Removing the entry first makes one free win when several race, and
     * stops new opens at once. */
    rc = gm_dir_remove(name);
    if (rc)
        return rc;
    gm_loc_put(obj->loc);
    gm_comp_release(obj->comp);
    free(obj);
    *obj_p = NULL;
    praas_rank(&rank);
    rc = owner == rank ? gm_owner_free(name) : gm_am_free(owner, name);
    if (rc)
        core_log(CORE_LOG_WARN, "gmem: object '%s' left the directory but rank %d could not "
                 "release it: %s", name, owner, praas_errmsg());
    return rc;
}

PRAAS_API int praas_obj_size(praas_obj_t obj, size_t *size_p)
{
    if (!obj || !size_p)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_size: NULL argument");
    *size_p = (size_t)obj->loc->size;
    return 0;
}

struct gm_list_arg {
    praas_obj_list_cb_t cb;
    void *arg;
};

static int gm_list_one(const gm_entry_t *e, void *arg)
{
    struct gm_list_arg *la = arg;
    praas_obj_info_t info = {
        .name = e->name,
        .size = (size_t)e->size,
        .owner = e->owner_live ? e->owner : -1,
        .persisted = e->storage_key[0] != '\0',
    };
    return la->cb(&info, la->arg);
}

PRAAS_API int praas_obj_list(const char *prefix, praas_obj_list_cb_t cb, void *arg)
{
    struct gm_list_arg la = {cb, arg};
    int rc;

    core_err_clear();
    if ((rc = gm_ready()))
        return rc;
    if (!cb)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_list: no callback");
    if (!prefix)
        prefix = "";
    /* A prefix is a name's beginning: the same characters, maybe empty. */
    if (*prefix && (rc = gm_name_check(prefix)) != 0)
        return gm_err_wrap(rc, "prefix");
    return gm_dir_list(prefix, gm_list_one, &la);
}

/* ---- praas_init and praas_finalize ---- */

static void gm_finalize(void)
{
    int timeout = (int)core_cfg()->bootstrap_timeout_ms, rank;

    /* Nobody touches an object once everybody is here: what is persisted
     * now is final, and the memory may go. The members of the view meet
     * (joiners too); a worker that left has handed its objects over
     * already. The view is followed until then: a change may complete
     * during the barrier, so with a control plane it is a fence there,
     * which waits for the members of the view as it is when they arrive
     * (a core_barrier would hold the exchanges of a view change: a worker
     * may wait for the change before it finalizes). */
    praas_rank(&rank);
    if (core_is_member(rank)) {
        const core_cfg_t *cfg = core_cfg();
        json_t *table = NULL;
        int rc = *cfg->control ? cl_fence(cfg->control, cfg->process, "gmem.finalize", rank,
                                          timeout, &table)
                               : core_barrier(timeout);
        json_decref(table);
        if (rc)
            core_log(CORE_LOG_WARN, "gmem: the barrier of praas_finalize failed: %s",
                     praas_errmsg());
    }
    gm_view_stop();
    gm_persist_on_exit();
    gm_storage_close();
    pthread_mutex_lock(&gm_cache_lock);
    while (gm_cache) {
        gm_loc_t *loc = gm_cache;
        gm_cache = loc->next;
        tp_rkey_release(core_tp(), loc->rkey);
        pthread_rwlock_destroy(&loc->lock);
        free(loc);
    }
    pthread_mutex_unlock(&gm_cache_lock);
    gm_owner_release_all();
    gm_dir_reset();
}

static void gm_init(void)
{
    if (gm_am_init(core_tp()))
        core_log(CORE_LOG_ERROR, "gmem: cannot install the object handler: %s", praas_errmsg());
    if (gm_view_start())
        core_log(CORE_LOG_ERROR, "gmem: cannot follow the view: %s", praas_errmsg());
    core_on_finalize(gm_finalize);
}

/* Every worker must answer allocation requests from the start, whether or
 * not it ever calls the object API, so the handler is installed by
 * praas_init itself. */
__attribute__((constructor)) static void gm_register(void)
{
    core_on_init(gm_init);
}
