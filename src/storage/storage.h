/*
 * Storage: where swapped sessions and persisted objects go. A blob of bytes
 * is stored under a key string, in one of three backends behind one ops
 * table (DESIGN.md decision 6), chosen by URL:
 *
 *   file://DIR              a directory (file:///abs/path or file://rel/path);
 *                           created if missing. The default.
 *   s3://BUCKET[/PREFIX]    an S3 bucket (libcurl, AWS Signature V4; see s3.c
 *                           for the environment it reads: endpoint, region,
 *                           credentials). PREFIX/ is put before every key.
 *   redis://HOST:PORT[/DB]  a Redis server (hiredis); keys are stored as
 *                           "praas:storage:KEY" (see redis.c for large blobs).
 *
 * st_open(NULL) uses $PRAAS_STORAGE, and without it
 * file://$TMPDIR/praas-storage ($TMPDIR defaulting to /tmp).
 *
 * Timeouts: every network call gives up after PRAAS_STORAGE_TIMEOUT
 * milliseconds (default 30000) without progress: connecting, or between two
 * bytes of a transfer, so a large blob on a slow link still goes through
 * while a server that stops answering fails the call instead of hanging it.
 *
 * Keys: 1 to ST_KEY_MAX characters of [A-Za-z0-9/_.-], not starting or
 * ending with '/', without "//" and without "..". A key may look like a
 * path ("sessions/3/memory"); keys "a" and "a/b" may both exist. Anything
 * else is refused with PRAAS_ERR_INVALID naming the key, and nothing stored
 * changes.
 *
 * Errors: every call returns 0 or a negative PRAAS_ERR_* and records a
 * message naming the key, the storage URL and the cause (praas_errmsg()):
 *   PRAAS_ERR_INVALID    a malformed URL, key, prefix or environment value
 *   PRAAS_ERR_NOT_FOUND  no blob under the key (or no such bucket)
 *   PRAAS_ERR_RANGE      get_range past the end of the blob
 *   PRAAS_ERR_IO         the backend cannot be reached, refused the request
 *                        or failed (the message carries its own words)
 *   PRAAS_ERR_TIMEOUT    the backend stopped answering for the timeout
 *   PRAAS_ERR_NOMEM      out of memory
 *   PRAAS_ERR_NOT_SUPPORTED  the backend lacks the operation
 * Output arguments are written only on success.
 *
 * Thread safety: every operation of an open handle may be called from any
 * number of threads at once, except close, which must be the handle's last
 * call. A reader never sees a torn blob: put replaces a blob atomically (a
 * concurrent get returns the old or the new bytes, never a mixture).
 */
#ifndef PRAAS_STORAGE_STORAGE_H
#define PRAAS_STORAGE_STORAGE_H

#include <stddef.h>

#include <praas/errors.h>

/* The longest key, in bytes. */
#define ST_KEY_MAX 512
/* The default of PRAAS_STORAGE_TIMEOUT, in milliseconds. */
#define ST_DEFAULT_TIMEOUT_MS 30000

typedef struct st st_t;

/* Called once per key by list, in ascending strcmp order. Return 0 to go on;
 * anything else stops the listing and becomes list's return value. */
typedef int (*st_list_cb_t)(const char *key, void *arg);

typedef struct st_ops {
    /* "file", "s3" or "redis". */
    const char *name;
    /* Store len bytes of data under key, replacing any blob there,
     * atomically. len may be 0. */
    int (*put)(st_t *st, const char *key, const void *data, size_t len);
    /* The whole blob: *data_p is malloc'd (never NULL, even for an empty
     * blob) and belongs to the caller; *len_p its length. */
    int (*get)(st_t *st, const char *key, void **data_p, size_t *len_p);
    /* Exactly len bytes of the blob from offset off into buf, which the
     * caller provides; PRAAS_ERR_RANGE if off + len is past the end. */
    int (*get_range)(st_t *st, const char *key, size_t off, void *buf, size_t len);
    /* Remove the blob; PRAAS_ERR_NOT_FOUND if there is none. */
    int (*del)(st_t *st, const char *key);
    /* The blob's length in *len_p; PRAAS_ERR_NOT_FOUND if there is none. */
    int (*stat)(st_t *st, const char *key, size_t *len_p);
    /* Call cb for every key starting with prefix ("" for all), sorted. A
     * blob put or deleted during the listing may or may not be listed. */
    int (*list)(st_t *st, const char *prefix, st_list_cb_t cb, void *arg);
    /* Release the handle (the stored blobs stay). */
    void (*close)(st_t *st);
} st_ops_t;

/* Every backend's handle starts with this. */
struct st {
    const st_ops_t *ops;
    /* The URL it was opened with, for messages. */
    char *url;
    /* PRAAS_STORAGE_TIMEOUT, in milliseconds. */
    int timeout_ms;
};

/* Open the storage named by url (NULL: see above). Returns 0, or
 * PRAAS_ERR_INVALID naming a malformed URL or an unknown scheme,
 * PRAAS_ERR_IO naming a directory that cannot be created or a server that
 * cannot be reached (Redis is connected at once; for S3 the bucket is
 * checked with a HEAD request). Thread-safe. */
int st_open(const char *url, st_t **st_p);

/* Check a key (prefix_ok: a list prefix, which may be empty or end with
 * '/'). Returns 0 or PRAAS_ERR_INVALID with a message naming it. */
int st_key_check(const st_t *st, const char *key, int prefix_ok);

/* What an op a backend lacks points to: each returns PRAAS_ERR_NOT_SUPPORTED
 * naming the backend and the operation. */
int st_nosup_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len);
int st_nosup_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg);

/* For backends: open one (url is the whole URL, rest what follows the
 * scheme's "://"); st_init fills the common part; st_fini releases it. */
int st_file_open(const char *url, const char *rest, int timeout_ms, st_t **st_p);
int st_s3_open(const char *url, const char *rest, int timeout_ms, st_t **st_p);
int st_redis_open(const char *url, const char *rest, int timeout_ms, st_t **st_p);
int st_init(st_t *st, const st_ops_t *ops, const char *url, int timeout_ms);
void st_fini(st_t *st);
/* An array of keys that list implementations collect, sort and hand out. */
typedef struct st_keyv {
    char **keys;
    size_t n, cap;
} st_keyv_t;
int st_keyv_add(st_keyv_t *v, const char *key, size_t len);
/* Sort, drop duplicates, call cb for each; frees the array in all cases. */
int st_keyv_emit(st_keyv_t *v, st_list_cb_t cb, void *arg);
void st_keyv_free(st_keyv_t *v);

/* The calls: check the key, then one call through the table. */
static inline int st_put(st_t *st, const char *key, const void *data, size_t len)
{
    int rc = st_key_check(st, key, 0);
    return rc ? rc : st->ops->put(st, key, data, len);
}

static inline int st_get(st_t *st, const char *key, void **data_p, size_t *len_p)
{
    int rc = st_key_check(st, key, 0);
    return rc ? rc : st->ops->get(st, key, data_p, len_p);
}

static inline int st_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len)
{
    int rc = st_key_check(st, key, 0);
    return rc ? rc : st->ops->get_range(st, key, off, buf, len);
}

static inline int st_del(st_t *st, const char *key)
{
    int rc = st_key_check(st, key, 0);
    return rc ? rc : st->ops->del(st, key);
}

static inline int st_stat(st_t *st, const char *key, size_t *len_p)
{
    int rc = st_key_check(st, key, 0);
    return rc ? rc : st->ops->stat(st, key, len_p);
}

/* *exists_p is 1 when a blob is stored under key, 0 when none is. */
static inline int st_exists(st_t *st, const char *key, int *exists_p)
{
    size_t len;
    int rc = st_stat(st, key, &len);

    if (rc && rc != PRAAS_ERR_NOT_FOUND)
        return rc;
    *exists_p = rc == 0;
    return 0;
}

static inline int st_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg)
{
    int rc = st_key_check(st, prefix, 1);
    return rc ? rc : st->ops->list(st, prefix, cb, arg);
}

static inline void st_close(st_t *st)
{
    if (st)
        st->ops->close(st);
}

#endif /* PRAAS_STORAGE_STORAGE_H */
