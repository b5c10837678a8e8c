/*
 * Prefetching swapped sessions (praas-process --prefetch KEY; rt.h,
 * doc/invoke.md "Swapping"): while the process starts (praas_init, loading
 * the library), one background thread reads the blobs of each key prefix K
 * given, K/meta then K/memory (the layout swap.c writes), into memory. A
 * later SWAP_IN of K takes them (rt_prefetch_take) instead of reading
 * storage again; if the prefetch failed, or K was not named, it reads
 * storage as usual, and if the read is still in flight it waits for it.
 *
 * The thread has its own storage handle, opened from the same URL, since
 * the server's is opened later. Each key is taken at most once: its bytes
 * become the swap-in's, and a second SWAP_IN of the same key reads storage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/rt.h"

/* How long a SWAP_IN waits for a prefetch still in flight before reading
 * storage itself (each storage call has its own timeout, 30 s by default,
 * and a prefetch makes two). */
#define RT_PREFETCH_WAIT_MS 70000

enum pf_state { PF_PENDING, PF_DONE, PF_FAILED, PF_TAKEN };

struct pf_item {
    char *key;
    enum pf_state state;
    void *meta, *mem;
    size_t meta_len, mem_len;
};

struct rt_prefetch {
    char *url; /* NULL: st_open's default */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* an item left PF_PENDING */
    pthread_t thread;
    int n;
    struct pf_item *items;
};

/* Read one key's two blobs; PF_DONE or PF_FAILED (with a warning naming
 * the cause: the SWAP_IN that falls back reports its own error). */
static void pf_read(struct rt_prefetch *pf, st_t *st, struct pf_item *it)
{
    char kmem[ST_KEY_MAX + 1], kmeta[ST_KEY_MAX + 1];
    void *meta = NULL, *mem = NULL;
    size_t meta_len = 0, mem_len = 0;
    int rc;

    if (strlen(it->key) + 8 > ST_KEY_MAX) {
        rc = core_err(PRAAS_ERR_INVALID, "storage key prefix '%.64s...' is too long", it->key);
    } else {
        snprintf(kmem, sizeof(kmem), "%s/memory", it->key);
        snprintf(kmeta, sizeof(kmeta), "%s/meta", it->key);
        rc = st_get(st, kmeta, &meta, &meta_len);
        if (!rc)
            rc = st_get(st, kmem, &mem, &mem_len);
    }
    if (rc) {
        core_log(CORE_LOG_WARN, "prefetch of %s failed (a swap-in reads storage): %s", it->key,
                 praas_errmsg());
        free(meta);
        meta = NULL;
    }
    pthread_mutex_lock(&pf->lock);
    it->meta = meta;
    it->meta_len = meta_len;
    it->mem = mem;
    it->mem_len = mem_len;
    it->state = rc ? PF_FAILED : PF_DONE;
    pthread_cond_broadcast(&pf->cond);
    pthread_mutex_unlock(&pf->lock);
}

static void *pf_main(void *arg)
{
    struct rt_prefetch *pf = arg;
    st_t *st = NULL;
    int rc = st_open(pf->url, &st);

    if (rc)
        core_log(CORE_LOG_WARN, "prefetch: cannot open the storage: %s", praas_errmsg());
    for (int i = 0; i < pf->n; i++) {
        if (st) {
            pf_read(pf, st, &pf->items[i]);
            continue;
        }
        pthread_mutex_lock(&pf->lock);
        pf->items[i].state = PF_FAILED;
        pthread_cond_broadcast(&pf->cond);
        pthread_mutex_unlock(&pf->lock);
    }
    st_close(st);
    return NULL;
}

int rt_prefetch_start(const char *storage, const char *const *keys, int nkeys,
                      struct rt_prefetch **pf_p)
{
    struct rt_prefetch *pf = calloc(1, sizeof(*pf));
    int rc;

    if (!pf || !(pf->items = calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(*pf->items))) ||
        (storage && !(pf->url = strdup(storage))))
        goto err_nomem;
    for (pf->n = 0; pf->n < nkeys; pf->n++)
        if (!(pf->items[pf->n].key = strdup(keys[pf->n])))
            goto err_nomem;
    pthread_mutex_init(&pf->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pf->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&pf->thread, NULL, pf_main, pf) != 0) {
        rc = core_err(PRAAS_ERR_NOMEM, "cannot start the prefetch thread");
        pthread_cond_destroy(&pf->cond);
        pthread_mutex_destroy(&pf->lock);
        goto err_free;
    }
    *pf_p = pf;
    return 0;

err_nomem:
    rc = core_err(PRAAS_ERR_NOMEM, "prefetch of %d keys: out of memory", nkeys);
err_free:
    if (pf) {
        for (int i = 0; pf->items && i < pf->n; i++)
            free(pf->items[i].key);
        free(pf->items);
        free(pf->url);
    }
    free(pf);
    return rc;
}

int rt_prefetch_take(struct rt_prefetch *pf, const char *key, void **meta_p, size_t *meta_len_p,
                     void **mem_p, size_t *mem_len_p)
{
    struct pf_item *it = NULL;
    uint64_t deadline = core_deadline(RT_PREFETCH_WAIT_MS);
    int got = 0;

    if (!pf)
        return 0;
    pthread_mutex_lock(&pf->lock);
    for (int i = 0; i < pf->n && !it; i++)
        if (pf->items[i].state != PF_TAKEN && strcmp(pf->items[i].key, key) == 0)
            it = &pf->items[i];
    while (it && it->state == PF_PENDING) {
        struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
        if (pthread_cond_timedwait(&pf->cond, &pf->lock, &ts) == ETIMEDOUT &&
            it->state == PF_PENDING) {
            core_log(CORE_LOG_WARN, "prefetch of %s still running after %d ms; reading storage",
                     key, RT_PREFETCH_WAIT_MS);
            it = NULL; /* the thread fills it later; destroy frees it */
        }
    }
    if (it && it->state == PF_DONE) {
        *meta_p = it->meta;
        *meta_len_p = it->meta_len;
        *mem_p = it->mem;
        *mem_len_p = it->mem_len;
        it->meta = it->mem = NULL;
        it->state = PF_TAKEN;
        got = 1;
    } else if (it) {
        it->state = PF_TAKEN; /* failed: the caller reads storage */
    }
    pthread_mutex_unlock(&pf->lock);
    return got;
}

void rt_prefetch_destroy(struct rt_prefetch *pf)
{
    if (!pf)
        return;
    pthread_join(pf->thread, NULL);
    for (int i = 0; i < pf->n; i++) {
        free(pf->items[i].key);
        free(pf->items[i].meta);
        free(pf->items[i].mem);
    }
    pthread_cond_destroy(&pf->cond);
    pthread_mutex_destroy(&pf->lock);
    free(pf->items);
    free(pf->url);
    free(pf);
}
