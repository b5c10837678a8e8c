/*
 * The tables of a session (rt.h), under its lock: its I/O buffers (mmap'd
 * by powers of two from 4 KiB, a few of each size kept for reuse) and the
 * ids of its last RT_DONE_KEEP completed invocations (doc/invoke.md:
 * dependencies name recent ids).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/rt.h"

/* Freed I/O buffers kept per size class, and the largest class kept. */
#define POOL_KEEP 4
#define POOL_KEEP_MAX (64u << 20)

/* ---- I/O buffers (session lock held) ---- */

static int size_class(size_t len)
{
    int c = 0;

    while (((size_t)4096 << c) < len)
        c++;
    return c;
}

int rt_buf_get(struct rt_session *s, size_t len, struct rt_buf **buf_p)
{
    int c = size_class(len);
    struct rt_buf *b;

    if (c >= RT_POOL_CLASSES)
        return core_err(PRAAS_ERR_RANGE, "a buffer of %zu bytes is too large", len);
    if ((b = s->pool[c])) {
        s->pool[c] = b->next;
        s->pool_n[c]--;
        *buf_p = b;
        return 0;
    }
    b = malloc(sizeof(*b));
    if (!b)
        return core_err(PRAAS_ERR_NOMEM, "session %s: out of memory", s->id);
    b->cap = (size_t)4096 << c;
    b->base = mmap(NULL, b->cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->base == MAP_FAILED) {
        int rc = core_err(PRAAS_ERR_NOMEM, "session %s: cannot map a buffer of %zu bytes: %s",
                          s->id, b->cap, strerror(errno));
        free(b);
        return rc;
    }
    s->bytes_now += b->cap;
    s->peak_bytes = PRAAS_MAX(s->peak_bytes, s->bytes_now);
    *buf_p = b;
    return 0;
}

void rt_buf_put(struct rt_session *s, struct rt_buf *b)
{
    int c;

    if (!b)
        return;
    c = size_class(b->cap);
    if (b->cap <= POOL_KEEP_MAX && s->pool_n[c] < POOL_KEEP && s->state != RT_SESS_GONE) {
        b->next = s->pool[c];
        s->pool[c] = b;
        s->pool_n[c]++;
        return;
    }
    s->bytes_now -= b->cap;
    munmap(b->base, b->cap);
    free(b);
}

/* ---- completed ids (session lock held) ---- */

size_t rt_id_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

struct rt_done *rt_done_find(struct rt_session *s, uint64_t id)
{
    if (!s->done_cap)
        return NULL;
    for (size_t i = rt_id_mix(id) & (s->done_cap - 1);; i = (i + 1) & (s->done_cap - 1)) {
        if (!s->done[i].used)
            return NULL;
        if (s->done[i].id == id)
            return &s->done[i];
    }
}

/* Forget d (linear probing: the entries after it in its run move back, so
 * that no lookup stops early at the hole). */
static void done_del(struct rt_session *s, struct rt_done *d)
{
    size_t mask = s->done_cap - 1, hole = (size_t)(d - s->done);

    for (size_t i = (hole + 1) & mask; s->done[i].used; i = (i + 1) & mask) {
        size_t home = rt_id_mix(s->done[i].id) & mask;
        /* Move entry i into the hole unless its home lies in (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            s->done[hole] = s->done[i];
            hole = i;
        }
    }
    s->done[hole].used = 0;
    s->done_n--;
}

/* Remember that id completed with status: the table grows (doubling, from
 * 1024 slots) up to twice RT_DONE_KEEP entries; from RT_DONE_KEEP ids on,
 * the oldest is forgotten for each new one (doc/invoke.md: dependencies
 * name recent ids). */
void rt_done_add(struct rt_session *s, uint64_t id, int status)
{
    struct rt_done *old = rt_done_find(s, id);

    if (old) {
        old->status = status;
        return;
    }
    if (!s->done_ring && !(s->done_ring = malloc(RT_DONE_KEEP * sizeof(*s->done_ring))))
        goto nomem;
    if (s->done_n == RT_DONE_KEEP) {
        /* Full: forget the oldest (its slot in the ring takes id). */
        struct rt_done *d = rt_done_find(s, s->done_ring[s->done_head]);
        if (d)
            done_del(s, d);
    }
    if ((s->done_n + 1) * 2 > s->done_cap) {
        size_t cap = s->done_cap ? s->done_cap * 2 : 1024;
        struct rt_done *d = calloc(cap, sizeof(*d));
        if (!d)
            goto nomem;
        for (size_t i = 0; i < s->done_cap; i++) {
            if (!s->done[i].used)
                continue;
            size_t j = rt_id_mix(s->done[i].id) & (cap - 1);
            while (d[j].used)
                j = (j + 1) & (cap - 1);
            d[j] = s->done[i];
        }
        free(s->done);
        s->done = d;
        s->done_cap = cap;
    }
    size_t j = rt_id_mix(id) & (s->done_cap - 1);
    while (s->done[j].used)
        j = (j + 1) & (s->done_cap - 1);
    s->done[j] = (struct rt_done){id, status, 1};
    s->done_n++;
    s->done_ring[s->done_head] = id;
    s->done_head = (s->done_head + 1) % RT_DONE_KEEP;
    return;

nomem:
    core_log(CORE_LOG_ERROR, "session %s: no memory to remember invocation %llu", s->id,
             (unsigned long long)id);
}
