/*
 * The memory store: one hash table behind one mutex.
 *
 * The control plane's operations are short (a lookup, an insert, a scan of
 * a process's keys) and the table is small, so one lock is simpler than
 * finer locking and never the bottleneck: the HTTP layer dominates. Sets
 * are nested tables of the same kind, whose entries carry no value.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/store.h"
#include "core/error.h"

enum mem_type { MEM_VALUE, MEM_SET };

struct mem_table {
    struct mem_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
};

struct mem_entry {
    struct mem_entry *next;
    uint64_t hash;
    char *key;
    enum mem_type type;
    char *val; /* MEM_VALUE: NUL-terminated copy of len bytes */
    size_t len;
    struct mem_table set; /* MEM_SET */
};

struct mem_store {
    struct cp_store base;
    pthread_mutex_t lock;
    struct mem_table table;
};

/* FNV-1a: short keys with long common prefixes spread well enough. */
static uint64_t mem_hash(const char *key)
{
    uint64_t h = 14695981039346656037ull;

    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return h;
}

static struct mem_entry *mem_find(const struct mem_table *t, const char *key, uint64_t h)
{
    if (t->nbuckets == 0)
        return NULL;
    for (struct mem_entry *e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Grow the table before it is three quarters full so that chains stay
 * short. Returns 0 or PRAAS_ERR_NOMEM (the table is unchanged). */
static int mem_reserve(struct mem_table *t)
{
    size_t n = t->nbuckets ? t->nbuckets * 2 : 16;
    struct mem_entry **b;

    if (t->nbuckets && (t->count + 1) * 4 <= t->nbuckets * 3)
        return 0;
    b = calloc(n, sizeof(*b));
    if (b == NULL)
        return core_err(PRAAS_ERR_NOMEM, "memory store: cannot grow a table to %zu buckets", n);
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct mem_entry *e = t->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
    return 0;
}

/* Link e, whose key is absent; mem_reserve must have succeeded. */
static void mem_link(struct mem_table *t, struct mem_entry *e)
{
    struct mem_entry **head = &t->buckets[e->hash & (t->nbuckets - 1)];

    e->next = *head;
    *head = e;
    t->count++;
}

static void mem_unlink(struct mem_table *t, struct mem_entry *e)
{
    struct mem_entry **p = &t->buckets[e->hash & (t->nbuckets - 1)];

    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    t->count--;
}

static void mem_table_clear(struct mem_table *t);

static void mem_entry_free(struct mem_entry *e)
{
    free(e->key);
    free(e->val);
    mem_table_clear(&e->set);
    free(e);
}

static void mem_table_clear(struct mem_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct mem_entry *e = t->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            mem_entry_free(e);
        }
    }
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static struct mem_entry *mem_entry_new(const char *key, uint64_t h, enum mem_type type)
{
    struct mem_entry *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->key = strdup(key);
    if (e->key == NULL) {
        free(e);
        return NULL;
    }
    e->hash = h;
    e->type = type;
    return e;
}

static int mem_wrong_type(const char *key, enum mem_type have)
{
    return core_err(PRAAS_ERR_STATE, "memory store: key '%s' holds a %s, not a %s", key,
                    have == MEM_SET ? "set" : "value", have == MEM_SET ? "value" : "set");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct cp_kv *)a)->key, ((const struct cp_kv *)b)->key);
}

static int mem_get(struct cp_store *base, const char *key, char **val_p, size_t *len_p)
{
    struct mem_store *st = (struct mem_store *)base;
    struct mem_entry *e;
    char *copy;
    size_t len;
    int rc = 0;

    pthread_mutex_lock(&st->lock);
    e = mem_find(&st->table, key, mem_hash(key));
    if (e == NULL) {
        rc = core_err(PRAAS_ERR_NOT_FOUND, "memory store: no key '%s'", key);
        goto out;
    }
    if (e->type != MEM_VALUE) {
        rc = mem_wrong_type(key, e->type);
        goto out;
    }
    len = e->len;
    copy = malloc(len + 1);
    if (copy == NULL) {
        rc = core_err(PRAAS_ERR_NOMEM, "memory store: no memory for the %zu bytes of '%s'",
                      len, key);
        goto out;
    }
    memcpy(copy, e->val, len + 1);
    *val_p = copy;
    if (len_p)
        *len_p = len;
out:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int mem_set(struct cp_store *base, const char *key, const void *val, size_t len,
                   unsigned flags)
{
    struct mem_store *st = (struct mem_store *)base;
    uint64_t h = mem_hash(key);
    struct mem_entry *e, *old;
    char *copy;
    int rc;

    /* Copy outside the lock: the value may be large. */
    copy = malloc(len + 1);
    if (copy == NULL)
        return core_err(PRAAS_ERR_NOMEM, "memory store: no memory for %zu bytes", len);
    memcpy(copy, val, len);
    copy[len] = '\0';

    pthread_mutex_lock(&st->lock);
    old = mem_find(&st->table, key, h);
    if (old && (flags & CP_STORE_IF_ABSENT)) {
        rc = core_err(PRAAS_ERR_EXISTS, "memory store: key '%s' exists", key);
        goto err_unlock;
    }
    if (old && old->type == MEM_VALUE) {
        free(old->val);
        old->val = copy;
        old->len = len;
        pthread_mutex_unlock(&st->lock);
        return 0;
    }
    /* Everything that can fail comes before the old entry goes, so a
     * failure changes nothing. A set under the key is replaced, as Redis
     * SET does. */
    rc = mem_reserve(&st->table);
    if (rc < 0)
        goto err_unlock;
    e = mem_entry_new(key, h, MEM_VALUE);
    if (e == NULL) {
        rc = core_err(PRAAS_ERR_NOMEM, "memory store: no memory for key '%s'", key);
        goto err_unlock;
    }
    if (old) {
        mem_unlink(&st->table, old);
        mem_entry_free(old);
    }
    e->val = copy;
    e->len = len;
    mem_link(&st->table, e);
    pthread_mutex_unlock(&st->lock);
    return 0;

err_unlock:
    pthread_mutex_unlock(&st->lock);
    free(copy);
    return rc;
}

static int mem_del(struct cp_store *base, const char *key)
{
    struct mem_store *st = (struct mem_store *)base;
    struct mem_entry *e;

    pthread_mutex_lock(&st->lock);
    e = mem_find(&st->table, key, mem_hash(key));
    if (e)
        mem_unlink(&st->table, e);
    pthread_mutex_unlock(&st->lock);
    if (e == NULL)
        return core_err(PRAAS_ERR_NOT_FOUND, "memory store: no key '%s'", key);
    mem_entry_free(e);
    return 0;
}

static int mem_scan(struct cp_store *base, const char *prefix, int with_values,
                    struct cp_kv **items_p, size_t *n_p)
{
    struct mem_store *st = (struct mem_store *)base;
    size_t plen = strlen(prefix), n = 0, cap = 0;
    struct cp_kv *items = NULL;
    int rc = 0;

    /* A full walk: the table is not ordered. The routes scan a process's
     * keys, a few per rank, which a hash table walks quickly enough. */
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->table.nbuckets; i++) {
        for (struct mem_entry *e = st->table.buckets[i]; e; e = e->next) {
            if (strncmp(e->key, prefix, plen) != 0)
                continue;
            if (with_values && e->type != MEM_VALUE)
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct cp_kv *grown = realloc(items, ncap * sizeof(*items));
                if (grown == NULL)
                    goto err_nomem;
                items = grown;
                cap = ncap;
            }
            items[n].key = strdup(e->key);
            items[n].val = NULL;
            items[n].len = 0;
            if (items[n].key == NULL)
                goto err_nomem;
            n++;
            if (with_values) {
                items[n - 1].val = malloc(e->len + 1);
                if (items[n - 1].val == NULL)
                    goto err_nomem;
                memcpy(items[n - 1].val, e->val, e->len + 1);
                items[n - 1].len = e->len;
            }
        }
    }
    pthread_mutex_unlock(&st->lock);
    if (n)
        qsort(items, n, sizeof(*items), cmp_kv);
    *items_p = items;
    *n_p = n;
    return rc;

err_nomem:
    pthread_mutex_unlock(&st->lock);
    cp_kv_free(items, n);
    return core_err(PRAAS_ERR_NOMEM, "memory store: no memory to list keys '%s*'", prefix);
}

static int mem_sadd(struct cp_store *base, const char *key, const char *member, size_t *card_p)
{
    struct mem_store *st = (struct mem_store *)base;
    uint64_t h = mem_hash(key), mh = mem_hash(member);
    struct mem_entry *set, *m;
    int created = 0, rc;

    pthread_mutex_lock(&st->lock);
    set = mem_find(&st->table, key, h);
    if (set && set->type != MEM_SET) {
        rc = mem_wrong_type(key, set->type);
        goto err_unlock;
    }
    if (set == NULL) {
        rc = mem_reserve(&st->table);
        if (rc < 0)
            goto err_unlock;
        set = mem_entry_new(key, h, MEM_SET);
        if (set == NULL)
            goto err_nomem;
        mem_link(&st->table, set);
        created = 1;
    }
    if (mem_find(&set->set, member, mh) == NULL) {
        if (mem_reserve(&set->set) < 0)
            goto err_set;
        m = mem_entry_new(member, mh, MEM_VALUE);
        if (m == NULL)
            goto err_set;
        mem_link(&set->set, m);
    }
    if (card_p)
        *card_p = set->set.count;
    pthread_mutex_unlock(&st->lock);
    return 0;

err_set:
    /* Do not leave behind an empty set this call created. */
    if (created) {
        mem_unlink(&st->table, set);
        mem_entry_free(set);
    }
err_nomem:
    rc = core_err(PRAAS_ERR_NOMEM, "memory store: no memory to add to set '%s'", key);
err_unlock:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int mem_srem(struct cp_store *base, const char *key, const char *member)
{
    struct mem_store *st = (struct mem_store *)base;
    struct mem_entry *set, *m = NULL;
    int rc = 0;

    pthread_mutex_lock(&st->lock);
    set = mem_find(&st->table, key, mem_hash(key));
    if (set == NULL)
        goto out;
    if (set->type != MEM_SET) {
        rc = mem_wrong_type(key, set->type);
        goto out;
    }
    m = mem_find(&set->set, member, mem_hash(member));
    if (m) {
        mem_unlink(&set->set, m);
        mem_entry_free(m);
    }
    /* An empty set disappears, as in Redis. */
    if (set->set.count == 0) {
        mem_unlink(&st->table, set);
        mem_entry_free(set);
    }
out:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int mem_scard(struct cp_store *base, const char *key, size_t *card_p)
{
    struct mem_store *st = (struct mem_store *)base;
    struct mem_entry *set;
    int rc = 0;

    pthread_mutex_lock(&st->lock);
    set = mem_find(&st->table, key, mem_hash(key));
    if (set && set->type != MEM_SET)
        rc = mem_wrong_type(key, set->type);
    else
        *card_p = set ? set->set.count : 0;
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int mem_smembers(struct cp_store *base, const char *key, char ***members_p,
                        size_t *n_p)
{
    struct mem_store *st = (struct mem_store *)base;
    struct mem_entry *set;
    char **v = NULL;
    size_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&st->lock);
    set = mem_find(&st->table, key, mem_hash(key));
    if (set && set->type != MEM_SET) {
        rc = mem_wrong_type(key, set->type);
        goto err_unlock;
    }
    if (set && set->set.count) {
        v = malloc(set->set.count * sizeof(*v));
        if (v == NULL)
            goto err_nomem;
        for (size_t i = 0; i < set->set.nbuckets; i++)
            for (struct mem_entry *m = set->set.buckets[i]; m; m = m->next) {
                v[n] = strdup(m->key);
                if (v[n] == NULL)
                    goto err_nomem;
                n++;
            }
    }
    pthread_mutex_unlock(&st->lock);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *members_p = v;
    *n_p = n;
    return 0;

err_nomem:
    cp_strv_free(v, n);
    rc = core_err(PRAAS_ERR_NOMEM, "memory store: no memory to list set '%s'", key);
err_unlock:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static void mem_close(struct cp_store *base)
{
    struct mem_store *st = (struct mem_store *)base;

    mem_table_clear(&st->table);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static const struct cp_store_ops mem_ops = {
    .name = "memory",
    .shared = 0,
    .get = mem_get,
    .set = mem_set,
    .del = mem_del,
    .scan = mem_scan,
    .sadd = mem_sadd,
    .srem = mem_srem,
    .scard = mem_scard,
    .smembers = mem_smembers,
    .close = mem_close,
};

int cp_store_mem_open(struct cp_store **st_p)
{
    struct mem_store *st = calloc(1, sizeof(*st));

    if (st == NULL)
        return core_err(PRAAS_ERR_NOMEM, "memory store: no memory for the store");
    st->base.ops = &mem_ops;
    pthread_mutex_init(&st->lock, NULL);
    *st_p = &st->base;
    return 0;
}
