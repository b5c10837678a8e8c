/*
 * The store ops table: one test function exercises every operation through
 * the table, run on the memory store and, when PRAAS_TEST_REDIS names a
 * Redis (testsuite/with-redis.sh sets it), on Redis too. Also: malformed
 * store URLs and an unreachable Redis fail with errors that name them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/store.h"
#include "core/error.h"
#include "testsuite/lib/tap.h"

#define RACE_THREADS 8
#define RACE_KEYS 50
#define MANY_KEYS 1200

struct race_arg {
    struct cp_store *st;
    const char *ns;
    int id;
    int wins;
    int errors;
};

/* Every thread tries to create the same keys; exactly one must win each. */
static void *race_thread(void *p)
{
    struct race_arg *a = p;
    char key[128], val[16];

    snprintf(val, sizeof(val), "%d", a->id);
    for (int k = 0; k < RACE_KEYS; k++) {
        int rc;
        snprintf(key, sizeof(key), "%srace:%d", a->ns, k);
        rc = cp_store_set(a->st, key, val, strlen(val), CP_STORE_IF_ABSENT);
        if (rc == 0)
            a->wins++;
        else if (rc != PRAAS_ERR_EXISTS)
            a->errors++;
    }
    return NULL;
}

/* Count the keys of a scan result that start with prefix. */
static size_t count_prefixed(const struct cp_kv *items, size_t n, const char *prefix)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += strncmp(items[i].key, prefix, strlen(prefix)) == 0;
    return c;
}

/* Every operation of the table. ns is a key prefix unique to this run, so
 * that a shared Redis is not disturbed and reruns do not collide. */
static void test_store(struct cp_store *st, const char *name, const char *ns)
{
    char key[128], key2[128], pfx[128], **members = NULL;
    static const char binary[] = {'a', '\0', 'b', '\n', '\xff'};
    struct cp_kv *items = NULL;
    size_t len = 0, n = 0, card = 0;
    char *val = NULL;
    int rc, ok;

    tap_diag("store %s, namespace %s", name, ns);
    snprintf(key, sizeof(key), "%sk1", ns);
    snprintf(key2, sizeof(key2), "%sk2", ns);

    /* get / set */
    rc = cp_store_get(st, key, &val, &len);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), key),
           "%s: get of an absent key -> NOT_FOUND naming it (%s)", name, praas_errmsg());
    rc = cp_store_set(st, key, "one", 3, 0);
    tap_ok(rc == 0, "%s: set", name);
    rc = cp_store_get(st, key, &val, &len);
    tap_ok(rc == 0 && len == 3 && strcmp(val, "one") == 0, "%s: get returns the value", name);
    free(val);
    val = NULL;
    rc = cp_store_set(st, key, "two", 3, CP_STORE_IF_ABSENT);
    tap_ok(rc == PRAAS_ERR_EXISTS, "%s: set if-absent on a present key -> EXISTS (%s)", name,
           praas_err_name(rc));
    rc = cp_store_get(st, key, &val, &len);
    tap_ok(rc == 0 && strcmp(val, "one") == 0, "%s: a refused set changed nothing", name);
    free(val);
    val = NULL;
    rc = cp_store_set(st, key2, "new", 3, CP_STORE_IF_ABSENT);
    tap_ok(rc == 0, "%s: set if-absent on an absent key creates it", name);
    rc = cp_store_set(st, key, "three", 5, 0);
    rc = rc ? rc : cp_store_get(st, key, &val, &len);
    tap_ok(rc == 0 && len == 5 && strcmp(val, "three") == 0, "%s: set replaces", name);
    free(val);
    val = NULL;
    rc = cp_store_set(st, key, binary, sizeof(binary), 0);
    rc = rc ? rc : cp_store_get(st, key, &val, &len);
    tap_ok(rc == 0 && len == sizeof(binary) && memcmp(val, binary, len) == 0 &&
               val[len] == '\0',
           "%s: values are binary-safe and NUL-terminated", name);
    free(val);
    val = NULL;
    rc = cp_store_set(st, key, "", 0, 0);
    rc = rc ? rc : cp_store_get(st, key, &val, &len);
    tap_ok(rc == 0 && len == 0 && val[0] == '\0', "%s: an empty value", name);
    free(val);
    val = NULL;

    /* del */
    tap_ok(cp_store_del(st, key) == 0, "%s: del", name);
    tap_ok(cp_store_get(st, key, &val, &len) == PRAAS_ERR_NOT_FOUND, "%s: deleted is gone",
           name);
    tap_ok(cp_store_del(st, key) == PRAAS_ERR_NOT_FOUND, "%s: del of an absent key -> NOT_FOUND",
           name);
    cp_store_del(st, key2);

    /* scan */
    snprintf(pfx, sizeof(pfx), "%sp:", ns);
    ok = 1;
    for (int i = 0; i < 5; i++) {
        char k[160], v[16];
        snprintf(k, sizeof(k), "%sp:%d", ns, 4 - i);
        snprintf(v, sizeof(v), "v%d", 4 - i);
        ok &= cp_store_set(st, k, v, strlen(v), 0) == 0;
    }
    snprintf(key, sizeof(key), "%spx", ns); /* shares "p" but not "p:" */
    ok &= cp_store_set(st, key, "x", 1, 0) == 0;
    snprintf(key, sizeof(key), "%sp:set", ns); /* a set under the prefix */
    ok &= cp_store_sadd(st, key, "m", NULL) == 0;
    tap_ok(ok, "%s: fill keys for scans", name);
    rc = cp_store_scan(st, pfx, 0, &items, &n);
    tap_ok(rc == 0 && n == 6 && count_prefixed(items, n, pfx) == 6 &&
               strcmp(items[0].key + strlen(pfx), "0") == 0 &&
               strcmp(items[5].key + strlen(pfx), "set") == 0 && items[0].val == NULL,
           "%s: scan lists the 6 keys under the prefix, sorted, without values (%zu)", name, n);
    cp_kv_free(items, n);
    items = NULL;
    rc = cp_store_scan(st, pfx, 1, &items, &n);
    ok = rc == 0 && n == 5;
    for (size_t i = 0; ok && i < n; i++)
        ok = items[i].len == 2 && items[i].val[0] == 'v' &&
             items[i].val[1] == items[i].key[strlen(pfx)];
    tap_ok(ok, "%s: scan with values pairs each key with its value, sets left out (%zu)", name,
           n);
    cp_kv_free(items, n);
    items = NULL;
    snprintf(key, sizeof(key), "%sno-such-prefix:", ns);
    rc = cp_store_scan(st, key, 1, &items, &n);
    tap_ok(rc == 0 && n == 0 && items == NULL, "%s: scan of an empty prefix", name);
    /* Glob characters in a prefix are literal (Redis SCAN MATCH takes a
     * glob; the backend must escape them). */
    snprintf(key, sizeof(key), "%sp*", ns);
    ok = cp_store_set(st, key, "star", 4, 0) == 0;
    rc = cp_store_scan(st, key, 0, &items, &n);
    tap_ok(ok && rc == 0 && n == 1 && strcmp(items[0].key, key) == 0,
           "%s: a '*' in the prefix is literal (%zu keys)", name, n);
    cp_kv_free(items, n);
    items = NULL;
    cp_store_del(st, key);

    /* Enough keys for several SCAN steps and MGET batches. */
    snprintf(pfx, sizeof(pfx), "%smany:", ns);
    ok = 1;
    for (int i = 0; i < MANY_KEYS; i++) {
        char k[160], v[16];
        snprintf(k, sizeof(k), "%s%05d", pfx, i);
        snprintf(v, sizeof(v), "%d", i);
        ok &= cp_store_set(st, k, v, strlen(v), 0) == 0;
    }
    rc = cp_store_scan(st, pfx, 1, &items, &n);
    ok = ok && rc == 0 && n == MANY_KEYS;
    for (size_t i = 0; ok && i < n; i++)
        ok = atoi(items[i].val) == (int)i && atoi(items[i].key + strlen(pfx)) == (int)i;
    tap_ok(ok, "%s: scan of %d keys with values, each once, in order (%zu)", name, MANY_KEYS,
           n);
    for (size_t i = 0; i < n; i++)
        cp_store_del(st, items[i].key);
    cp_kv_free(items, n);
    items = NULL;

    /* sets */
    snprintf(key, sizeof(key), "%sset", ns);
    rc = cp_store_scard(st, key, &card);
    tap_ok(rc == 0 && card == 0, "%s: scard of an absent set is 0", name);
    rc = cp_store_sadd(st, key, "b", &card);
    tap_ok(rc == 0 && card == 1, "%s: sadd creates the set, cardinality 1", name);
    rc = cp_store_sadd(st, key, "a", &card);
    tap_ok(rc == 0 && card == 2, "%s: sadd of a new member -> 2", name);
    rc = cp_store_sadd(st, key, "b", &card);
    tap_ok(rc == 0 && card == 2, "%s: sadd of a present member changes nothing (2)", name);
    rc = cp_store_scard(st, key, &card);
    tap_ok(rc == 0 && card == 2, "%s: scard", name);
    rc = cp_store_smembers(st, key, &members, &n);
    tap_ok(rc == 0 && n == 2 && strcmp(members[0], "a") == 0 && strcmp(members[1], "b") == 0,
           "%s: smembers, sorted", name);
    cp_strv_free(members, n);
    members = NULL;
    rc = cp_store_get(st, key, &val, &len);
    tap_ok(rc == PRAAS_ERR_STATE, "%s: get of a set -> STATE (%s)", name, praas_errmsg());
    snprintf(key2, sizeof(key2), "%sval", ns);
    cp_store_set(st, key2, "v", 1, 0);
    rc = cp_store_sadd(st, key2, "m", &card);
    tap_ok(rc == PRAAS_ERR_STATE, "%s: sadd to a value -> STATE (%s)", name, praas_errmsg());
    cp_store_del(st, key2);
    tap_ok(cp_store_srem(st, key, "zz") == 0, "%s: srem of an absent member is fine", name);
    tap_ok(cp_store_srem(st, key, "a") == 0 && cp_store_scard(st, key, &card) == 0 && card == 1,
           "%s: srem", name);
    tap_ok(cp_store_srem(st, key, "b") == 0 && cp_store_scard(st, key, &card) == 0 && card == 0 &&
               cp_store_del(st, key) == PRAAS_ERR_NOT_FOUND,
           "%s: removing the last member removes the set", name);
    rc = cp_store_smembers(st, key, &members, &n);
    tap_ok(rc == 0 && n == 0 && members == NULL, "%s: smembers of an absent set is empty", name);
    rc = cp_store_sadd(st, key, "x", NULL);
    tap_ok(rc == 0 && cp_store_set(st, key, "v", 1, 0) == 0 &&
               cp_store_get(st, key, &val, &len) == 0 && strcmp(val, "v") == 0,
           "%s: set replaces a set", name);
    free(val);
    val = NULL;
    cp_store_del(st, key);

    /* Concurrent if-absent creates: exactly one winner per key. */
    {
        struct race_arg a[RACE_THREADS];
        pthread_t t[RACE_THREADS];
        int wins = 0, errors = 0;

        for (int i = 0; i < RACE_THREADS; i++) {
            a[i] = (struct race_arg){.st = st, .ns = ns, .id = i};
            pthread_create(&t[i], NULL, race_thread, &a[i]);
        }
        for (int i = 0; i < RACE_THREADS; i++) {
            pthread_join(t[i], NULL);
            wins += a[i].wins;
            errors += a[i].errors;
        }
        tap_ok(wins == RACE_KEYS && errors == 0,
               "%s: %d threads racing to create %d keys: %d wins, %d errors", name,
               RACE_THREADS, RACE_KEYS, wins, errors);
    }

    /* Clean the namespace and check it is empty. */
    rc = cp_store_scan(st, ns, 0, &items, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        cp_store_del(st, items[i].key);
    cp_kv_free(items, n);
    rc = cp_store_scan(st, ns, 0, &items, &n);
    tap_ok(rc == 0 && n == 0, "%s: namespace cleaned (%zu left)", name, n);
    cp_kv_free(items, n);
}

static void test_urls(void)
{
    static const char *const bad[] = {
        "redis://",             "redis://host",        "redis://host:",
        "redis://host:0",       "redis://host:65536",  "redis://host:12x",
        "redis://host:+12",     "redis://:6379",       "redis://host:6379/",
        "redis://host:6379/x",  "redis://us@host:1",   "redis://[::1:6379",
        "redis://host:6379/1/", "http://host:6379",    "memory:",
    };
    struct cp_store *st;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = cp_store_open(bad[i], &st);
        tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), bad[i]),
               "store URL '%s' -> PRAAS_ERR_INVALID naming it (%s)", bad[i], praas_errmsg());
        if (rc == 0)
            cp_store_close(st);
    }
    {
        int rc = cp_store_open("redis://127.0.0.1:1", &st);
        tap_ok(rc == PRAAS_ERR_CONTROL && strstr(praas_errmsg(), "127.0.0.1:1") &&
                   strstr(praas_errmsg(), "refused"),
               "an unreachable Redis -> PRAAS_ERR_CONTROL naming it (%s)", praas_errmsg());
        if (rc == 0)
            cp_store_close(st);
    }
}

int main(void)
{
    const char *redis = getenv("PRAAS_TEST_REDIS");
    struct cp_store *st;
    char ns[64];
    int rc;

    snprintf(ns, sizeof(ns), "test:%ld:", (long)getpid());
    rc = cp_store_open("memory", &st);
    tap_ok(rc == 0 && strcmp(st->ops->name, "memory") == 0 && !st->ops->shared,
           "open the memory store");
    if (rc == 0) {
        test_store(st, "memory", ns);
        cp_store_close(st);
    }
    rc = cp_store_open(NULL, &st);
    tap_ok(rc == 0, "a NULL URL opens the memory store");
    if (rc == 0)
        cp_store_close(st);

    if (redis && *redis) {
        rc = cp_store_open(redis, &st);
        tap_ok(rc == 0 && strcmp(st->ops->name, "redis") == 0 && st->ops->shared,
               "open the Redis store %s (%s)", redis, rc ? praas_errmsg() : "ok");
        if (rc == 0) {
            test_store(st, "redis", ns);
            cp_store_close(st);
        }
    } else {
        tap_diag("PRAAS_TEST_REDIS is not set: Redis store not tested (see with-redis.sh)");
    }
    test_urls();
    tap_no_plan_end();
    return tap_exit();
}
