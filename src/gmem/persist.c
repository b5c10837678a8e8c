/*
 * Persistence of objects: praas_obj_persist, the automatic persistence of
 * what a worker owns when it leaves normally (praas_finalize), and the
 * restore of an object whose owner is gone onto the worker that opens it.
 *
 * Bytes go to the storage of PRAAS_STORAGE (src/storage/; file:// by
 * default) under "objects/PROCESS/NAME"; the directory entry then says
 * "persisted" and names that key. A restore is claimed in the directory
 * first, so that of several workers opening the same lost-owner object at
 * once exactly one reads the storage and becomes the owner; the others wait
 * (up to PRAAS_OP_TIMEOUT) for the entry to show the new owner.
 */
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "gmem/gmem.h"
#include "storage/storage.h"

/* Objects are read from a remote owner in pieces of this size, well below
 * every provider's largest message. */
#define GM_CHUNK (4u << 20)

static pthread_mutex_t gm_st_lock = PTHREAD_MUTEX_INITIALIZER;
static st_t *gm_st;

/* The storage handle, opened at first use. */
static int gm_storage(st_t **st_p)
{
    int rc = 0;

    pthread_mutex_lock(&gm_st_lock);
    if (!gm_st)
        rc = st_open(NULL, &gm_st);
    if (!rc)
        *st_p = gm_st;
    pthread_mutex_unlock(&gm_st_lock);
    return rc;
}

void gm_storage_close(void)
{
    pthread_mutex_lock(&gm_st_lock);
    st_close(gm_st);
    gm_st = NULL;
    pthread_mutex_unlock(&gm_st_lock);
}

/* Read a remote object's bytes through the transport. */
static int gm_read_remote(const gm_loc_t *loc, void *buf)
{
    tp_ctx_t *tp = core_tp();
    tp_comp_t c;
    int rc = 0;

    tp_comp_init(&c);
    for (uint64_t off = 0; off < loc->size && !rc; off += GM_CHUNK) {
        size_t n = (size_t)PRAAS_MIN((uint64_t)GM_CHUNK, loc->size - off);
        rc = tp_get(tp, loc->owner, (char *)buf + off, n, loc->rkey, off, &c);
    }
    /* Wait for what was issued even after a failure: the buffer is ours. */
    {
        int wrc = tp_comp_wait(tp, &c, (int)core_cfg()->op_timeout_ms);
        if (!rc)
            rc = wrc;
    }
    return rc;
}

int gm_persist(const char *name, const gm_loc_t *loc)
{
    char skey[512];
    uint64_t size;
    void *buf;
    st_t *st;
    int rank, rc;

    praas_rank(&rank);
    size = loc->size;
    buf = malloc(size ? size : 1);
    if (!buf)
        return core_err(PRAAS_ERR_NOMEM, "no memory to persist object '%s' (%llu bytes)", name,
                        (unsigned long long)size);
    rc = loc->owner == rank ? gm_owner_read(name, buf, size) : gm_read_remote(loc, buf);
    if (rc)
        goto out;
    rc = gm_storage(&st);
    if (!rc) {
        gm_storage_key(name, skey, sizeof(skey));
        rc = st_put(st, skey, buf, size);
    }
    if (rc) {
        rc = gm_err_wrap(rc, "cannot persist object '%s'", name);
        goto out;
    }
    rc = gm_dir_set_persisted(name, skey, size);
out:
    free(buf);
    return rc;
}

PRAAS_API int praas_obj_persist(praas_obj_t obj)
{
    int rc;

    core_err_clear();
    if (!core_tp())
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (!obj)
        return core_err(PRAAS_ERR_INVALID, "praas_obj_persist: no handle");
    /* This handle's own writes belong in the copy. */
    rc = praas_obj_flush(obj);
    if (rc)
        return rc;
    return gm_persist(obj->loc->name, obj->loc);
}

/* Wait until another worker's restore of e shows in the directory. */
static int gm_restore_wait(const gm_entry_t *e, int holder)
{
    int timeout = (int)core_cfg()->op_timeout_ms;
    uint64_t deadline = core_deadline(timeout);
    gm_entry_t *now = malloc(sizeof(*now));
    int rc;

    if (!now)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a directory entry");
    for (;;) {
        rc = gm_dir_lookup(e->name, now);
        if (rc || now->owner_live)
            break;
        if (core_expired(deadline)) {
            rc = core_err(PRAAS_ERR_TIMEOUT, "rank %d did not finish restoring object '%s' "
                          "within %d ms (PRAAS_OP_TIMEOUT)", holder, e->name, timeout);
            break;
        }
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    free(now);
    return rc;
}

int gm_restore(const gm_entry_t *e)
{
    unsigned char key[GM_KEY_MAX];
    size_t key_len = 0, len = 0;
    void *data = NULL;
    st_t *st;
    int rank, holder = -1, rc;

    if (!e->storage_key[0])
        return core_err(PRAAS_ERR_PEER, "object '%s' was lost: its owner (rank %d of an "
                        "earlier run or view) left without persisting it", e->name, e->owner);
    praas_rank(&rank);
    rc = gm_dir_claim_restore(e->name, rank, &holder);
    if (rc == PRAAS_ERR_STATE)
        return 0; /* restored by someone else meanwhile */
    if (rc == PRAAS_ERR_AGAIN)
        return gm_restore_wait(e, holder);
    if (rc)
        return rc;

    rc = gm_storage(&st);
    if (!rc)
        rc = st_get(st, e->storage_key, &data, &len);
    if (rc)
        return gm_err_wrap(rc, "cannot restore object '%s' from storage key '%s'", e->name,
                           e->storage_key);
    if (len != e->size) {
        free(data);
        return core_err(PRAAS_ERR_IO, "cannot restore object '%s': storage holds %zu bytes "
                        "under '%s', the directory says %llu", e->name, len, e->storage_key,
                        (unsigned long long)e->size);
    }
    rc = gm_owner_alloc(e->name, len, data, key, &key_len);
    free(data);
    if (rc)
        return rc;
    rc = gm_dir_set_live(e->name, rank, key, key_len);
    if (rc)
        gm_owner_free(e->name);
    else
        core_log(CORE_LOG_INFO, "gmem: restored object '%s' (%zu bytes) from %s", e->name, len,
                 e->storage_key);
    return rc;
}

/* ---- at exit ---- */

typedef struct gm_names {
    char (*names)[PRAAS_OBJ_NAME_MAX + 1];
    uint64_t *sizes;
    size_t n, cap;
} gm_names_t;

static void gm_collect(gm_owned_t *o, void *arg)
{
    gm_names_t *v = arg;

    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        void *names = realloc(v->names, cap * sizeof(*v->names));
        void *sizes = names ? realloc(v->sizes, cap * sizeof(*v->sizes)) : NULL;
        if (names)
            v->names = names;
        if (!sizes)
            return;
        v->sizes = sizes;
        v->cap = cap;
    }
    snprintf(v->names[v->n], sizeof(v->names[0]), "%s", o->name);
    v->sizes[v->n++] = o->size;
}

void gm_persist_on_exit(void)
{
    const core_cfg_t *cfg = core_cfg();
    const char *storage = getenv("PRAAS_STORAGE");
    long want = cfg->obj_persist_on_exit;
    gm_names_t v = {0};
    int rank;

    if (want < 0)
        want = storage && *storage;
    /* A single worker's directory ends with it: nothing could find the
     * copy again. */
    if (!want || !gm_dir_remote())
        return;
    praas_rank(&rank);
    gm_owner_foreach(gm_collect, &v);
    for (size_t i = 0; i < v.n; i++) {
        gm_loc_t loc = {.owner = rank, .size = v.sizes[i]};
        if (gm_persist(v.names[i], &loc))
            core_log(CORE_LOG_ERROR, "gmem: object '%s' was not persisted at exit: %s",
                     v.names[i], praas_errmsg());
    }
    free(v.names);
    free(v.sizes);
}
