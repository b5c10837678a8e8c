/*
 * The control plane's store: a small key-value interface that every route
 * builds on, with two backends behind one ops table (memory, Redis).
 *
 * Values are byte strings (the routes keep JSON in them) and sets of
 * strings. The interface is deliberately Redis-shaped, so that the Redis
 * backend is a thin mapping and several daemons can share one Redis, and
 * deliberately small, so that later metadata (object directory, sessions,
 * invocation records) fits without new operations.
 *
 * Keys are namespaced "praas:<kind>:<id>[:<sub>...]"; the helpers that
 * build the keys of each route live with the routes (routes.h).
 *
 * Every operation returns 0 or a negative PRAAS_ERR_* with a message naming
 * the key and the cause: PRAAS_ERR_NOT_FOUND (absent key), PRAAS_ERR_EXISTS
 * (CP_STORE_IF_ABSENT on a present key), PRAAS_ERR_STATE (a set where a
 * value was expected or the other way round), PRAAS_ERR_CONTROL (the store
 * cannot be reached or answered an error; the HTTP layer answers 503),
 * PRAAS_ERR_NOMEM. Every operation is thread-safe; output arguments are
 * written only on success and their memory belongs to the caller.
 */
#ifndef PRAAS_CONTROL_STORE_H
#define PRAAS_CONTROL_STORE_H

#include <stddef.h>

/* set(): fail with PRAAS_ERR_EXISTS instead of replacing a present key
 * (Redis SET NX). The atomic create that detects duplicates. */
#define CP_STORE_IF_ABSENT 0x1u

/* One item of a scan: a key and, when values were asked, its value
 * (NUL-terminated for convenience; len excludes the NUL). */
struct cp_kv {
    char *key;
    char *val;
    size_t len;
};

struct cp_store;

struct cp_store_ops {
    /* "memory" or "redis", as GET /v1/health reports it. */
    const char *name;
    /* Non-zero when other programs may write the same store (Redis shared
     * by several daemons): a waiter cannot rely on local wake-ups alone and
     * must poll. */
    int shared;

    /* The value of key, malloc'd and NUL-terminated, in *val_p; its length
     * without the NUL in *len_p (may be NULL). */
    int (*get)(struct cp_store *st, const char *key, char **val_p, size_t *len_p);
    /* Store len bytes of val under key, replacing any value or set, or,
     * with CP_STORE_IF_ABSENT, only if key is absent. */
    int (*set)(struct cp_store *st, const char *key, const void *val, size_t len,
               unsigned flags);
    /* Remove key (a value or a set); PRAAS_ERR_NOT_FOUND if absent. */
    int (*del)(struct cp_store *st, const char *key);
    /* Every key starting with prefix, sorted, each once; with with_values
     * their values too (keys holding sets are then left out). *items_p is
     * an array of *n_p items (NULL when 0); free it with cp_kv_free. A key
     * written during the scan may or may not be listed. */
    int (*scan)(struct cp_store *st, const char *prefix, int with_values,
                struct cp_kv **items_p, size_t *n_p);
    /* Add member to the set at key (created if absent) and write the set's
     * cardinality after the addition to *card_p (may be NULL). Adding a
     * present member changes nothing. Atomic: the fence counts arrivals
     * with it. */
    int (*sadd)(struct cp_store *st, const char *key, const char *member, size_t *card_p);
    /* Remove member from the set at key; a set left empty disappears.
     * Removing an absent member or from an absent key is not an error. */
    int (*srem)(struct cp_store *st, const char *key, const char *member);
    /* The cardinality of the set at key; 0 for an absent key. */
    int (*scard)(struct cp_store *st, const char *key, size_t *card_p);
    /* The members of the set at key, sorted, as a malloc'd array of *n_p
     * malloc'd strings (NULL when 0); free with cp_strv_free. An absent key
     * is an empty set. */
    int (*smembers)(struct cp_store *st, const char *key, char ***members_p, size_t *n_p);
    /* Release the store and everything it holds (the memory backend's
     * data is gone afterwards). No operation may run concurrently. */
    void (*close)(struct cp_store *st);
};

/* Backends embed this as their first member. */
struct cp_store {
    const struct cp_store_ops *ops;
};

/* Open the store named by url: NULL, "" or "memory" for the memory backend,
 * "redis://HOST:PORT[/DB]" for Redis (connected and checked with PING).
 * Returns 0, PRAAS_ERR_INVALID naming a malformed url, PRAAS_ERR_CONTROL
 * naming the server that cannot be reached. */
int cp_store_open(const char *url, struct cp_store **st_p);

int cp_store_mem_open(struct cp_store **st_p);
int cp_store_redis_open(const char *url, struct cp_store **st_p);

/* Free what scan and smembers return. NULL is fine. */
void cp_kv_free(struct cp_kv *items, size_t n);
void cp_strv_free(char **strv, size_t n);

/* One-line wrappers, so callers read cp_store_get(st, ...). */
static inline int cp_store_get(struct cp_store *st, const char *key, char **val_p,
                               size_t *len_p)
{
    return st->ops->get(st, key, val_p, len_p);
}

static inline int cp_store_set(struct cp_store *st, const char *key, const void *val,
                               size_t len, unsigned flags)
{
    return st->ops->set(st, key, val, len, flags);
}

static inline int cp_store_del(struct cp_store *st, const char *key)
{
    return st->ops->del(st, key);
}

static inline int cp_store_scan(struct cp_store *st, const char *prefix, int with_values,
                                struct cp_kv **items_p, size_t *n_p)
{
    return st->ops->scan(st, prefix, with_values, items_p, n_p);
}

static inline int cp_store_sadd(struct cp_store *st, const char *key, const char *member,
                                size_t *card_p)
{
    return st->ops->sadd(st, key, member, card_p);
}

static inline int cp_store_srem(struct cp_store *st, const char *key, const char *member)
{
    return st->ops->srem(st, key, member);
}

static inline int cp_store_scard(struct cp_store *st, const char *key, size_t *card_p)
{
    return st->ops->scard(st, key, card_p);
}

static inline int cp_store_smembers(struct cp_store *st, const char *key, char ***members_p,
                                    size_t *n_p)
{
    return st->ops->smembers(st, key, members_p, n_p);
}

static inline void cp_store_close(struct cp_store *st)
{
    if (st)
        st->ops->close(st);
}

#endif /* PRAAS_CONTROL_STORE_H */
