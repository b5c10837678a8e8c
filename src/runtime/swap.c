/*
 * Swapping a session out to storage and back in (rt.h), and the
 * checkpoint handle of praas/session.h.
 *
 * Under the key prefix K given by the request, a swapped session is two
 * blobs:
 *   K/memory  the session's memory, byte for byte (or, with a checkpoint
 *             handler, the bytes praas_checkpoint_save wrote)
 *   K/meta    a JSON object: {"version": 1, "session", "memory",
 *             "max_functions", "checkpoint": "memory" | "user", "bytes",
 *             "usage": {...}}
 * K/meta is written last, so a reader that finds it finds the memory
 * complete. A SWAP_IN of a key praas-process --prefetch read while it
 * started uses those bytes instead of reading storage (prefetch.c). The
 * blobs stay in storage after a swap-in (the control plane deletes them
 * with the session).
 *
 * A session is swapped out only when no invocation is waiting, queued or
 * running in it (PRAAS_ERR_AGAIN otherwise); while its memory is being
 * written it takes no invocation (PRAAS_ERR_STATE). On success it leaves
 * the process; on failure it stays live, unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/rt.h"

#define SWAP_VERSION 1

struct praas_checkpoint {
    struct rt_session *s;
    int saving;
    char *buf; /* save: what praas_checkpoint_write appended */
    size_t len, cap;
    const void *data; /* restore: what save wrote */
    size_t dlen;
};

static int swap_keys(st_t *st, const char *key, char *kmem, char *kmeta)
{
    int rc = st_key_check(st, key, 0);

    if (rc)
        return rc;
    if (strlen(key) + 8 > ST_KEY_MAX)
        return core_err(PRAAS_ERR_INVALID, "storage key prefix '%.64s...' is too long (%zu bytes; "
                        "at most %d with \"/memory\" added)", key, strlen(key), ST_KEY_MAX - 8);
    snprintf(kmem, ST_KEY_MAX + 1, "%s/memory", key);
    snprintf(kmeta, ST_KEY_MAX + 1, "%s/meta", key);
    return 0;
}

int rt_swap_out(struct rt_server *srv, const char *sid, const char *key, json_t **reply_p)
{
    char kmem[ST_KEY_MAX + 1], kmeta[ST_KEY_MAX + 1];
    struct praas_checkpoint ck = {0};
    struct rt_session *s;
    const void *blob;
    size_t blob_len;
    const char *how = "memory";
    uint64_t t0 = core_now_ns();
    int rc;

    rc = swap_keys(srv->st, key, kmem, kmeta);
    if (rc)
        return rc;
    s = rt_sess_find(srv, sid);
    if (!s)
        return core_err(PRAAS_ERR_NOT_FOUND, "no session '%.64s' in %s", sid, srv->id);
    pthread_mutex_lock(&s->lock);
    if (s->state != RT_SESS_LIVE)
        rc = core_err(PRAAS_ERR_STATE, "session %s is already being swapped out", sid);
    else if (s->ninvs > 0)
        rc = core_err(PRAAS_ERR_AGAIN,
                      "session %s has %zu invocations in progress; swap it out when they are done",
                      sid, s->ninvs);
    else
        s->state = RT_SESS_SWAPPING;
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        rt_sess_unref(s);
        return rc;
    }

    blob = s->mem;
    blob_len = s->memory;
    if (srv->ck_save) {
        ck.s = s;
        ck.saving = 1;
        core_err_clear();
        rc = srv->ck_save(&ck);
        if (rc < 0) {
            const char *m = praas_errmsg();
            rc = core_err(rc, "praas_checkpoint_save of session %s failed with %s%s%s", sid,
                          praas_err_name(rc), *m ? ": " : "", m);
            goto fail;
        }
        if (rc != PRAAS_CHECKPOINT_WHOLE) {
            how = "user";
            blob = ck.buf ? ck.buf : "";
            blob_len = ck.len;
        }
    }
    rc = st_put(srv->st, kmem, blob, blob_len);
    if (rc)
        goto fail;
    json_t *usage = rt_sess_usage(s);
    json_t *meta = json_pack("{sisssIsisssIso}", "version", SWAP_VERSION, "session", sid,
                             "memory", (json_int_t)s->memory, "max_functions", s->max_functions,
                             "checkpoint", how, "bytes", (json_int_t)blob_len, "usage", usage);
    char *text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    if (!text) {
        rc = core_err(PRAAS_ERR_NOMEM, "swap out of session %s: out of memory", sid);
        goto fail;
    }
    rc = st_put(srv->st, kmeta, text, strlen(text));
    free(text);
    if (rc)
        goto fail;
    free(ck.buf);

    /* Stored: the session leaves this process (unless a DELETE took it out
     * of the table meanwhile). */
    struct rt_inv_list failed = {0};
    int listed = 0;
    pthread_mutex_lock(&srv->lock);
    for (struct rt_session *o = srv->sessions; o; o = o->next)
        listed |= o == s;
    if (listed)
        rt_sess_unlist_locked(s, PRAAS_ERR_CANCELED, "the session was swapped out", &failed);
    pthread_mutex_unlock(&srv->lock);
    rt_inv_fail_list(&failed);
    if (listed)
        rt_sess_unref(s);
    rt_sess_unref(s);
    if (reply_p)
        *reply_p = json_pack("{sIsIss}", "bytes", (json_int_t)blob_len, "ms",
                             (json_int_t)((core_now_ns() - t0) / 1000000u), "checkpoint", how);
    return 0;

fail:
    free(ck.buf);
    pthread_mutex_lock(&s->lock);
    if (s->state == RT_SESS_SWAPPING)
        s->state = RT_SESS_LIVE;
    pthread_mutex_unlock(&s->lock);
    rt_sess_unref(s);
    return rc;
}

int rt_swap_in(struct rt_server *srv, const char *sid, const char *key, size_t memory,
               int max_functions, json_t **reply_p)
{
    char kmem[ST_KEY_MAX + 1], kmeta[ST_KEY_MAX + 1];
    struct rt_session *s;
    void *text = NULL, *blob = NULL;
    size_t text_len, blob_len;
    json_t *meta;
    json_error_t jerr;
    json_int_t version = 0, mem = 0, bytes = -1;
    const char *how = NULL, *msid = NULL;
    uint64_t t0 = core_now_ns();
    int rc, prefetched = 0;

    rc = swap_keys(srv->st, key, kmem, kmeta);
    if (rc)
        return rc;
    if ((s = rt_sess_find(srv, sid))) {
        rt_sess_unref(s);
        return core_err(PRAAS_ERR_EXISTS, "session %s is already live in %s", sid, srv->id);
    }
    /* Blobs that --prefetch read while the process started, if any (then
     * blob holds K/memory, freed at the end); else storage, as usual. */
    prefetched = rt_prefetch_take(srv->o.prefetch, key, &text, &text_len, &blob, &blob_len);
    if (!prefetched) {
        rc = st_get(srv->st, kmeta, &text, &text_len);
        if (rc)
            return rc;
    }
    meta = json_loadb(text, text_len, 0, &jerr);
    free(text);
    if (!meta || json_unpack(meta, "{sI sI ss ss sI}", "version", &version, "memory", &mem,
                             "checkpoint", &how, "session", &msid, "bytes", &bytes) != 0 ||
        version != SWAP_VERSION || mem <= 0 || bytes < 0) {
        json_decref(meta);
        free(blob);
        return core_err(PRAAS_ERR_PROTOCOL, "%s in %s is not the metadata of a swapped session",
                        kmeta, srv->st->url);
    }
    if (memory && (size_t)mem != memory) {
        rc = core_err(PRAAS_ERR_INVALID,
                      "session %s was swapped out with %lld bytes of memory; SWAP_IN asks for %zu",
                      sid, (long long)mem, memory);
        goto err_meta;
    }
    rc = rt_sess_create(srv, sid, (size_t)mem, max_functions, &s);
    if (rc)
        goto err_meta;
    if (strcmp(how, "memory") == 0) {
        if ((size_t)bytes != (size_t)mem) {
            rc = core_err(PRAAS_ERR_PROTOCOL, "%s says %lld bytes for a memory of %lld", kmeta,
                          (long long)bytes, (long long)mem);
            goto err_sess;
        }
        /* Straight into the session's memory, which the read fills whole:
         * huge pages make that one fault (and one zeroing) per 2 MiB instead
         * of per 4 KiB page, at no cost in memory (advice only: THP may be
         * off). */
#ifdef MADV_HUGEPAGE
        if ((size_t)mem >= (2u << 20))
            madvise(s->mem, (size_t)mem, MADV_HUGEPAGE);
#endif
        if (blob)
            rc = 0; /* prefetched */
        else
            rc = st_get_range(srv->st, kmem, 0, s->mem, (size_t)mem);
        if (rc == PRAAS_ERR_NOT_SUPPORTED)
            rc = st_get(srv->st, kmem, &blob, &blob_len);
        if (!rc && blob && blob_len != (size_t)mem)
            rc = core_err(PRAAS_ERR_PROTOCOL, "%s holds %zu bytes; %lld expected", kmem,
                          blob_len, (long long)mem);
        if (!rc && blob)
            memcpy(s->mem, blob, blob_len);
        if (rc)
            goto err_sess;
    } else if (strcmp(how, "user") == 0) {
        if (!srv->ck_restore) {
            rc = core_err(PRAAS_ERR_NOT_SUPPORTED,
                          "session %s was saved by praas_checkpoint_save, and %s has no "
                          "praas_checkpoint_restore",
                          sid, srv->o.library ? srv->o.library : "this process");
            goto err_sess;
        }
        if (!blob && (rc = st_get(srv->st, kmem, &blob, &blob_len)))
            goto err_sess;
        struct praas_checkpoint ck = {.s = s, .data = blob, .dlen = blob_len};
        core_err_clear();
        rc = srv->ck_restore(&ck);
        if (rc) {
            const char *m = praas_errmsg();
            rc = core_err(rc < 0 ? rc : PRAAS_ERR_INTERNAL,
                          "praas_checkpoint_restore of session %s failed with %d%s%s", sid, rc,
                          *m ? ": " : "", m);
            goto err_sess;
        }
    } else {
        rc = core_err(PRAAS_ERR_PROTOCOL, "%s: unknown checkpoint kind '%s'", kmeta, how);
        goto err_sess;
    }
    rc = rt_sess_publish(s);
    if (rc)
        goto err_sess;
    json_decref(meta);
    free(blob);
    if (reply_p)
        *reply_p = json_pack("{sbsI}", "prefetched", prefetched, "ms",
                             (json_int_t)((core_now_ns() - t0) / 1000000u));
    return 0;

err_sess:
    rt_sess_unref(s);
err_meta:
    json_decref(meta);
    free(blob);
    return rc;
}

/* ---- the checkpoint handle (praas/session.h) ---- */

PRAAS_API const char *praas_checkpoint_session_id(praas_checkpoint_t *ck)
{
    return ck ? ck->s->id : "";
}

PRAAS_API int praas_checkpoint_memory(praas_checkpoint_t *ck, void **base_p, size_t *size_p)
{
    if (!ck || !base_p || !size_p)
        return core_err(PRAAS_ERR_INVALID, "praas_checkpoint_memory: NULL argument");
    *base_p = ck->s->mem;
    *size_p = ck->s->memory;
    return 0;
}

PRAAS_API int praas_checkpoint_write(praas_checkpoint_t *ck, const void *data, size_t len)
{
    if (!ck || (len && !data))
        return core_err(PRAAS_ERR_INVALID, "praas_checkpoint_write: NULL argument");
    if (!ck->saving)
        return core_err(PRAAS_ERR_STATE, "praas_checkpoint_write outside praas_checkpoint_save");
    if (ck->len + len > ck->cap) {
        size_t cap = PRAAS_MAX(ck->cap * 2, ck->len + len);
        char *b = realloc(ck->buf, cap ? cap : 1);
        if (!b)
            return core_err(PRAAS_ERR_NOMEM, "checkpoint of session %s: no memory for %zu bytes",
                            ck->s->id, ck->len + len);
        ck->buf = b;
        ck->cap = cap;
    }
    if (len)
        memcpy(ck->buf + ck->len, data, len);
    ck->len += len;
    return 0;
}

PRAAS_API int praas_checkpoint_data(praas_checkpoint_t *ck, const void **data_p, size_t *len_p)
{
    if (!ck || !data_p || !len_p)
        return core_err(PRAAS_ERR_INVALID, "praas_checkpoint_data: NULL argument");
    if (ck->saving)
        return core_err(PRAAS_ERR_STATE, "praas_checkpoint_data outside praas_checkpoint_restore");
    *data_p = ck->data;
    *len_p = ck->dlen;
    return 0;
}
