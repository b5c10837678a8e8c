/*
 * The owner side of objects: the memory of the objects this worker owns,
 * registered once with the transport, and the active messages (id
 * CORE_AM_GMEM) through which another worker allocates or frees an object
 * here. The handler runs in this worker's progress engine, so an owner's
 * application never calls praas for it.
 *
 * Freed memory is deregistered and its pages are given back to the kernel,
 * but the address range stays mapped (zero pages) until praas_finalize():
 * a peer still holding a stale handle then writes into nothing instead of
 * into memory reused for something else, or crashing this worker on a
 * transport that writes through the target's CPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "gmem/gmem.h"

static pthread_mutex_t gm_owner_lock = PTHREAD_MUTEX_INITIALIZER;
static gm_owned_t *gm_owned;

/* Address ranges of freed objects, unmapped at finalize. */
typedef struct gm_retired {
    struct gm_retired *next;
    void *base;
    size_t len;
} gm_retired_t;
static gm_retired_t *gm_retired;

static gm_owned_t **gm_owner_find(const char *name)
{
    gm_owned_t **pp;

    for (pp = &gm_owned; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0)
            return pp;
    return NULL;
}

int gm_owner_alloc(const char *name, size_t size, const void *data, void *key,
                   size_t *key_len_p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), klen = GM_KEY_MAX;
    tp_ctx_t *tp = core_tp();
    gm_owned_t *o;
    int rc;

    if (!tp)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    o = calloc(1, sizeof(*o));
    if (!o)
        return core_err(PRAAS_ERR_NOMEM, "no memory for object '%s'", name);
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->size = size;
    o->map_len = (size + page - 1) / page * page;
    o->base = mmap(NULL, o->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (o->base == MAP_FAILED) {
        rc = core_err(PRAAS_ERR_NOMEM, "cannot map %zu bytes for object '%s': %s", size, name,
                      strerror(errno));
        goto err_obj;
    }
    if (data)
        memcpy(o->base, data, size);
    rc = tp_mr_reg(tp, o->base, size, &o->mr);
    if (rc)
        goto err_map;
    rc = tp_mr_pack(tp, o->mr, key, &klen);
    if (rc)
        goto err_mr;

    pthread_mutex_lock(&gm_owner_lock);
    if (gm_owner_find(name)) {
        pthread_mutex_unlock(&gm_owner_lock);
        rc = core_err(PRAAS_ERR_EXISTS, "object '%s' already exists at this worker", name);
        goto err_mr;
    }
    o->next = gm_owned;
    gm_owned = o;
    pthread_mutex_unlock(&gm_owner_lock);
    *key_len_p = klen;
    return 0;

err_mr:
    tp_mr_dereg(tp, o->mr);
err_map:
    munmap(o->base, o->map_len);
err_obj:
    free(o);
    return rc;
}

/* Deregister o and retire its address range. Called without the lock. */
static void gm_owned_release(gm_owned_t *o, int retire)
{
    gm_retired_t *r;

    tp_mr_dereg(core_tp(), o->mr);
    r = retire ? malloc(sizeof(*r)) : NULL;
    /* Replacing the mapping drops the pages and keeps the range. */
    if (r && mmap(o->base, o->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) != MAP_FAILED) {
        r->base = o->base;
        r->len = o->map_len;
        pthread_mutex_lock(&gm_owner_lock);
        r->next = gm_retired;
        gm_retired = r;
        pthread_mutex_unlock(&gm_owner_lock);
    } else {
        free(r);
        munmap(o->base, o->map_len);
    }
    free(o);
}

int gm_owner_free(const char *name)
{
    gm_owned_t **pp, *o;

    pthread_mutex_lock(&gm_owner_lock);
    pp = gm_owner_find(name);
    if (!pp) {
        pthread_mutex_unlock(&gm_owner_lock);
        return core_err(PRAAS_ERR_NOT_FOUND, "object '%s' is not owned by this worker", name);
    }
    o = *pp;
    *pp = o->next;
    pthread_mutex_unlock(&gm_owner_lock);
    gm_owned_release(o, 1);
    return 0;
}

int gm_owner_read(const char *name, void *buf, size_t size)
{
    gm_owned_t **pp;
    int rc = 0;

    pthread_mutex_lock(&gm_owner_lock);
    pp = gm_owner_find(name);
    if (!pp)
        rc = core_err(PRAAS_ERR_NOT_FOUND, "object '%s' is not owned by this worker", name);
    else if ((*pp)->size != size)
        rc = core_err(PRAAS_ERR_INTERNAL, "object '%s' has %zu bytes here, not %zu", name,
                      (*pp)->size, size);
    else
        memcpy(buf, (*pp)->base, size);
    pthread_mutex_unlock(&gm_owner_lock);
    return rc;
}

int gm_owner_peek(const char *name, void **base_p, size_t *size_p)
{
    gm_owned_t **pp;

    pthread_mutex_lock(&gm_owner_lock);
    pp = gm_owner_find(name);
    if (pp) {
        *base_p = (*pp)->base;
        *size_p = (*pp)->size;
    }
    pthread_mutex_unlock(&gm_owner_lock);
    return pp ? 0 : core_err(PRAAS_ERR_NOT_FOUND, "object '%s' is not owned by this worker",
                             name);
}

void gm_owner_foreach(void (*fn)(gm_owned_t *o, void *arg), void *arg)
{
    pthread_mutex_lock(&gm_owner_lock);
    for (gm_owned_t *o = gm_owned; o; o = o->next)
        fn(o, arg);
    pthread_mutex_unlock(&gm_owner_lock);
}

void gm_owner_release_all(void)
{
    gm_owned_t *list;
    gm_retired_t *ret;

    pthread_mutex_lock(&gm_owner_lock);
    list = gm_owned;
    gm_owned = NULL;
    ret = gm_retired;
    gm_retired = NULL;
    pthread_mutex_unlock(&gm_owner_lock);
    while (list) {
        gm_owned_t *o = list;
        list = o->next;
        gm_owned_release(o, 0);
    }
    while (ret) {
        gm_retired_t *r = ret;
        ret = r->next;
        munmap(r->base, r->len);
        free(r);
    }
}

/* ---- active messages ---- */

enum gm_am_kind {
    GM_AM_ALLOC = 1, /* payload: name; answer: packed key */
    GM_AM_FREE = 2,  /* payload: name */
    GM_AM_ANSWER = 3,
};

typedef struct gm_amh {
    uint32_t kind;
    int32_t status; /* answers: 0 or a PRAAS_ERR_* */
    uint64_t req;   /* the asker's request number */
    uint64_t size;
} gm_amh_t;

/* A request waiting for its answer; lives on the asker's stack, in the
 * list only while the asker waits (the handler writes it under the lock). */
typedef struct gm_wait {
    struct gm_wait *next;
    uint64_t req;
    atomic_int done;
    int status;
    char msg[256];
    unsigned char key[GM_KEY_MAX];
    size_t key_len;
} gm_wait_t;

static pthread_mutex_t gm_wait_lock = PTHREAD_MUTEX_INITIALIZER;
static gm_wait_t *gm_waits;
static uint64_t gm_next_req;
static tp_ctx_t *gm_am_tp;

static void gm_am_answer(tp_ctx_t *tp, int dst, uint64_t req, int status, const void *data,
                         size_t len)
{
    gm_amh_t h = {.kind = GM_AM_ANSWER, .status = status, .req = req};
    int rc;

    /* A failure carries the owner's message, so the asker's error names
     * the cause at the owner. */
    if (status && !data) {
        data = praas_errmsg();
        len = strlen(data) + 1;
    }
    rc = tp_am_send(tp, dst, CORE_AM_GMEM, &h, sizeof(h), data, len);
    if (rc)
        core_log(CORE_LOG_WARN, "gmem: cannot answer rank %d: %s", dst, praas_errmsg());
}

static void gm_am_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                          const void *payload, size_t payload_len)
{
    tp_ctx_t *tp = arg;
    char name[PRAAS_OBJ_NAME_MAX + 1];
    unsigned char key[GM_KEY_MAX];
    size_t key_len = 0;
    gm_amh_t h;
    int rc;

    if (hdr_len != sizeof(h)) {
        core_log(CORE_LOG_WARN, "gmem: dropping a message from rank %d with a %zu-byte header",
                 src, hdr_len);
        return;
    }
    memcpy(&h, hdr, sizeof(h));
    if (h.kind == GM_AM_ANSWER) {
        pthread_mutex_lock(&gm_wait_lock);
        for (gm_wait_t *w = gm_waits; w; w = w->next) {
            if (w->req != h.req)
                continue;
            w->status = h.status;
            if (h.status) {
                snprintf(w->msg, sizeof(w->msg), "%.*s", (int)PRAAS_MIN(payload_len, 255),
                         (const char *)payload);
            } else if (payload_len <= sizeof(w->key)) {
                memcpy(w->key, payload, payload_len);
                w->key_len = payload_len;
            }
            atomic_store_explicit(&w->done, 1, memory_order_release);
            break;
        }
        pthread_mutex_unlock(&gm_wait_lock);
        return;
    }
    if (payload_len == 0 || payload_len > PRAAS_OBJ_NAME_MAX) {
        core_err(PRAAS_ERR_PROTOCOL, "gmem: rank %d sent a name of %zu bytes", src, payload_len);
        gm_am_answer(tp, src, h.req, PRAAS_ERR_PROTOCOL, NULL, 0);
        return;
    }
    memcpy(name, payload, payload_len);
    name[payload_len] = '\0';
    switch (h.kind) {
    case GM_AM_ALLOC:
        rc = gm_owner_alloc(name, (size_t)h.size, NULL, key, &key_len);
        gm_am_answer(tp, src, h.req, rc, rc ? NULL : key, rc ? 0 : key_len);
        break;
    case GM_AM_FREE:
        rc = gm_owner_free(name);
        gm_am_answer(tp, src, h.req, rc, NULL, 0);
        break;
    default:
        core_log(CORE_LOG_WARN, "gmem: dropping a message of unknown kind %u from rank %d",
                 h.kind, src);
    }
}

int gm_am_init(tp_ctx_t *tp)
{
    int rc = tp_am_register(tp, CORE_AM_GMEM, gm_am_handler, tp);

    if (!rc)
        gm_am_tp = tp;
    return rc;
}

/* Send a request and wait for its answer, progressing the transport
 * ourselves (manual progress, or a faster answer than a wake-up). */
static int gm_am_call(int rank, uint32_t kind, const char *name, size_t size, gm_wait_t *w)
{
    tp_ctx_t *tp = core_tp();
    int timeout = (int)core_cfg()->op_timeout_ms;
    uint64_t deadline = core_deadline(timeout);
    gm_amh_t h = {.kind = kind, .size = size};
    unsigned idle = 0;
    int rc;

    if (!tp || tp != gm_am_tp)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    memset(w, 0, sizeof(*w));
    pthread_mutex_lock(&gm_wait_lock);
    h.req = w->req = ++gm_next_req;
    w->next = gm_waits;
    gm_waits = w;
    pthread_mutex_unlock(&gm_wait_lock);

    rc = tp_am_send(tp, rank, CORE_AM_GMEM, &h, sizeof(h), name, strlen(name));
    while (!rc && !atomic_load_explicit(&w->done, memory_order_acquire)) {
        int n = tp_progress(tp);
        if (n < 0) {
            rc = n;
            break;
        }
        if (core_expired(deadline)) {
            rc = core_err(PRAAS_ERR_TIMEOUT, "rank %d did not answer a request for object '%s' "
                          "within %d ms (PRAAS_OP_TIMEOUT); is its progress engine running?",
                          rank, name, timeout);
            break;
        }
        idle = n ? 0 : idle + 1;
        core_backoff(idle);
    }
    pthread_mutex_lock(&gm_wait_lock);
    for (gm_wait_t **pp = &gm_waits; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    pthread_mutex_unlock(&gm_wait_lock);
    if (rc)
        return rc;
    if (w->status)
        return core_err(w->status, "rank %d: %s", rank, w->msg);
    return 0;
}

int gm_am_alloc(int rank, const char *name, size_t size, void *key, size_t *key_len_p)
{
    gm_wait_t w;
    int rc = gm_am_call(rank, GM_AM_ALLOC, name, size, &w);

    if (rc)
        return rc;
    if (w.key_len == 0)
        return core_err(PRAAS_ERR_PROTOCOL, "rank %d answered the allocation of '%s' without "
                        "a key", rank, name);
    memcpy(key, w.key, w.key_len);
    *key_len_p = w.key_len;
    return 0;
}

int gm_am_free(int rank, const char *name)
{
    gm_wait_t w;

    return gm_am_call(rank, GM_AM_FREE, name, 0, &w);
}
