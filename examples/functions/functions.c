/*
 * Example functions for praas-process (praas/session.h), used by the tests
 * and the benchmarks. Build: a shared object (libtool -module); deploy it
 * with praas-process --library.
 *
 * Session memory layout used here: the first page holds struct state
 * (a counter, the log's length, concurrency figures, the checkpoint mode);
 * the log of "append" starts at the second page; "fill" writes from the
 * second page to the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas.h>

#define PAGE 4096

praas_function_t echo, reverse, counter_add, counter_get, append, sum, sleep_ms, max_running,
    fail, fill, checksum, memread, ckpt_compact, whoami, whereami, obj_write, obj_read, obj_add;
praas_checkpoint_fn_t praas_checkpoint_save, praas_checkpoint_restore;

struct state {
    int64_t counter;
    uint64_t log_len;
    uint32_t lock;        /* spin lock of the log */
    int32_t running;      /* sleep_ms calls running now */
    int32_t max_running;  /* the most seen at once */
    uint32_t compact;     /* checkpoint only the state and the log */
};

static struct state *state_of(praas_invocation_t *inv, size_t *size_p)
{
    void *base;
    size_t size;

    praas_inv_memory(inv, &base, &size);
    if (size_p)
        *size_p = size;
    return size >= PAGE ? base : NULL;
}

#define NEED_STATE(inv, st)                                                        \
    do {                                                                           \
        if (!(st))                                                                 \
            return praas_inv_fail((inv), PRAAS_ERR_RANGE,                          \
                                  "this function needs a session of at least %d " \
                                  "bytes", PAGE);                                  \
    } while (0)

/* result = payload, sent from the payload's own buffer (no copy). */
PRAAS_EXPORT int echo(praas_invocation_t *inv)
{
    const void *p;
    size_t n;

    praas_inv_payload(inv, &p, &n);
    return praas_inv_result_set(inv, p, n);
}

/* result = payload reversed, written into a result buffer. */
PRAAS_EXPORT int reverse(praas_invocation_t *inv)
{
    const unsigned char *p;
    unsigned char *r;
    size_t n;
    int rc;

    praas_inv_payload(inv, (const void **)&p, &n);
    rc = praas_inv_result_buf(inv, n, (void **)&r);
    for (size_t i = 0; !rc && i < n; i++)
        r[i] = p[n - 1 - i];
    return rc;
}

/* payload: int64 to add; result: the new value (int64). */
PRAAS_EXPORT int counter_add(praas_invocation_t *inv)
{
    struct state *st = state_of(inv, NULL);
    const void *p;
    size_t n;
    int64_t d, v;

    NEED_STATE(inv, st);
    praas_inv_payload(inv, &p, &n);
    if (n != sizeof(d))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "counter_add takes 8 bytes, got %zu", n);
    memcpy(&d, p, sizeof(d));
    v = __atomic_add_fetch(&st->counter, d, __ATOMIC_SEQ_CST);
    return praas_inv_result_copy(inv, &v, sizeof(v));
}

PRAAS_EXPORT int counter_get(praas_invocation_t *inv)
{
    struct state *st = state_of(inv, NULL);
    int64_t v;

    NEED_STATE(inv, st);
    v = __atomic_load_n(&st->counter, __ATOMIC_SEQ_CST);
    return praas_inv_result_copy(inv, &v, sizeof(v));
}

/* Append the payload to the log; result: the whole log, sent straight from
 * session memory. */
PRAAS_EXPORT int append(praas_invocation_t *inv)
{
    size_t size;
    struct state *st = state_of(inv, &size);
    const void *p;
    size_t n;
    int rc = 0;

    NEED_STATE(inv, st);
    praas_inv_payload(inv, &p, &n);
    while (__atomic_exchange_n(&st->lock, 1, __ATOMIC_ACQUIRE))
        ;
    if (PAGE + st->log_len + n > size) {
        rc = praas_inv_fail(inv, PRAAS_ERR_RANGE, "the log is full (%llu + %zu bytes)",
                            (unsigned long long)st->log_len, n);
    } else {
        if (n)
            memcpy((char *)st + PAGE + st->log_len, p, n);
        st->log_len += n;
        rc = praas_inv_result_set(inv, (char *)st + PAGE, st->log_len);
    }
    __atomic_store_n(&st->lock, 0, __ATOMIC_RELEASE);
    return rc;
}

/* Multi-source reduction: every argument is an array of int64 of one
 * length; result: their element-wise sum. */
PRAAS_EXPORT int sum(praas_invocation_t *inv)
{
    int nargs = praas_inv_nargs(inv);
    const int64_t *a;
    int64_t *r;
    size_t n, len0;
    int rc;

    praas_inv_arg(inv, 0, (const void **)&a, &len0);
    if (len0 % sizeof(int64_t))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "sum: %zu bytes is not an int64 array",
                              len0);
    rc = praas_inv_result_buf(inv, len0, (void **)&r);
    if (rc)
        return rc;
    memset(r, 0, len0);
    for (int i = 0; i < nargs; i++) {
        praas_inv_arg(inv, i, (const void **)&a, &n);
        if (n != len0)
            return praas_inv_fail(inv, PRAAS_ERR_INVALID,
                                  "sum: argument %d has %zu bytes, argument 0 %zu", i, n, len0);
        for (size_t k = 0; k < n / sizeof(int64_t); k++)
            r[k] += a[k];
    }
    return 0;
}

/* payload: uint32 milliseconds. Records how many run at once. */
PRAAS_EXPORT int sleep_ms(praas_invocation_t *inv)
{
    struct state *st = state_of(inv, NULL);
    const void *p;
    size_t n;
    uint32_t ms;

    NEED_STATE(inv, st);
    praas_inv_payload(inv, &p, &n);
    if (n != sizeof(ms))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "sleep_ms takes 4 bytes, got %zu", n);
    memcpy(&ms, p, sizeof(ms));
    int32_t now = __atomic_add_fetch(&st->running, 1, __ATOMIC_SEQ_CST);
    int32_t max = __atomic_load_n(&st->max_running, __ATOMIC_SEQ_CST);
    while (now > max &&
           !__atomic_compare_exchange_n(&st->max_running, &max, now, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
        ;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    __atomic_sub_fetch(&st->running, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* result: the most sleep_ms calls seen running at once (int32). */
PRAAS_EXPORT int max_running(praas_invocation_t *inv)
{
    struct state *st = state_of(inv, NULL);
    int32_t v;

    NEED_STATE(inv, st);
    v = __atomic_load_n(&st->max_running, __ATOMIC_SEQ_CST);
    return praas_inv_result_copy(inv, &v, sizeof(v));
}

/* Fails with the payload in its message. */
PRAAS_EXPORT int fail(praas_invocation_t *inv)
{
    const char *p;
    size_t n;

    praas_inv_payload(inv, (const void **)&p, &n);
    return praas_inv_fail(inv, PRAAS_ERR_INVALID, "failing on purpose: %.*s", (int)n, p ? p : "");
}

/* The pattern of fill: xorshift64* from a seed, one word per 8 bytes. */
static uint64_t next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

/* payload: uint64 seed; fills the memory from the second page to the end
 * with the pattern (the last partial word truncated). */
PRAAS_EXPORT int fill(praas_invocation_t *inv)
{
    size_t size;
    unsigned char *m = (unsigned char *)state_of(inv, &size);
    const void *p;
    size_t n;
    uint64_t x;

    NEED_STATE(inv, m);
    praas_inv_payload(inv, &p, &n);
    if (n != sizeof(x))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "fill takes an 8-byte seed, got %zu", n);
    memcpy(&x, p, sizeof(x));
    x = x * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = PAGE; i < size; i += 8) {
        uint64_t v = next(&x);
        memcpy(m + i, &v, size - i < 8 ? size - i : 8);
    }
    return 0;
}

/* result: a 64-bit hash of the whole memory (uint64). */
PRAAS_EXPORT int checksum(praas_invocation_t *inv)
{
    void *base;
    size_t size;
    uint64_t h = 0xcbf29ce484222325ull, w;
    const unsigned char *m;

    praas_inv_memory(inv, &base, &size);
    m = base;
    for (size_t i = 0; i < size; i += 8) {
        w = 0;
        memcpy(&w, m + i, size - i < 8 ? size - i : 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return praas_inv_result_copy(inv, &h, sizeof(h));
}

/* payload: uint64 offset, uint64 length; result: those bytes of the
 * memory, sent straight from it. */
PRAAS_EXPORT int memread(praas_invocation_t *inv)
{
    void *base;
    size_t size, n;
    const void *p;
    uint64_t q[2];

    praas_inv_memory(inv, &base, &size);
    praas_inv_payload(inv, &p, &n);
    if (n != sizeof(q))
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "memread takes 16 bytes, got %zu", n);
    memcpy(q, p, sizeof(q));
    if (q[0] > size || q[1] > size - q[0])
        return praas_inv_fail(inv, PRAAS_ERR_RANGE, "memread %llu + %llu is past %zu bytes",
                              (unsigned long long)q[0], (unsigned long long)q[1], size);
    return praas_inv_result_set(inv, (char *)base + q[0], q[1]);
}

/* From now on, checkpoint only the state and the log (see below). */
PRAAS_EXPORT int ckpt_compact(praas_invocation_t *inv)
{
    struct state *st = state_of(inv, NULL);

    NEED_STATE(inv, st);
    st->compact = 1;
    return 0;
}

/* result: "session ID invocation N rank R of S on TRANSPORT": the praas
 * API from inside a function. */
PRAAS_EXPORT int whoami(praas_invocation_t *inv)
{
    char buf[512];
    int rank = -1, size = -1;

    if (praas_rank(&rank) || praas_size(&size))
        return praas_inv_fail(inv, PRAAS_ERR_STATE, "praas is not initialized here: %s",
                              praas_errmsg());
    snprintf(buf, sizeof(buf), "session %s invocation %llu rank %d of %d on %s",
             praas_inv_session_id(inv), (unsigned long long)praas_inv_id(inv), rank, size,
             praas_transport_name());
    return praas_inv_result_copy(inv, buf, strlen(buf));
}

/* result: "pid P rank R": which subprocess, and which rank of its
 * process's view, runs the session. */
PRAAS_EXPORT int whereami(praas_invocation_t *inv)
{
    char buf[64];
    int rank = -1;

    if (praas_rank(&rank))
        return praas_inv_fail(inv, PRAAS_ERR_STATE, "praas is not initialized here: %s",
                              praas_errmsg());
    snprintf(buf, sizeof(buf), "pid %ld rank %d", (long)getpid(), rank);
    return praas_inv_result_copy(inv, buf, strlen(buf));
}

/* The object name at the start of a payload, up to a newline or its end,
 * into name (NUL-terminated); *rest_p and *rest_len_p what follows the
 * newline. Fails the invocation for a name that does not fit. */
static int obj_name(praas_invocation_t *inv, char name[PRAAS_OBJ_NAME_MAX + 1],
                    const char **rest_p, size_t *rest_len_p)
{
    const char *p, *nl;
    size_t n, len;

    praas_inv_payload(inv, (const void **)&p, &n);
    nl = n ? memchr(p, '\n', n) : NULL;
    len = nl ? (size_t)(nl - p) : n;
    if (len == 0 || len > PRAAS_OBJ_NAME_MAX)
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "the payload must start with an object "
                              "name of 1 to %d characters", PRAAS_OBJ_NAME_MAX);
    memcpy(name, p, len);
    name[len] = '\0';
    if (rest_p) {
        *rest_p = nl ? nl + 1 : p + n;
        *rest_len_p = nl ? n - len - 1 : 0;
    }
    return 0;
}

/* payload: "NAME\nBYTES": allocates the global object NAME at this worker
 * (PRAAS_OBJ_HERE; it outlives the invocation) and writes BYTES into it;
 * result: "pid P rank R" of the owner. Other sessions, in any subprocess
 * of the process, find it by name. */
PRAAS_EXPORT int obj_write(praas_invocation_t *inv)
{
    char name[PRAAS_OBJ_NAME_MAX + 1], buf[64];
    const char *data;
    size_t len;
    praas_obj_t obj;
    int rank = -1, rc;

    if ((rc = obj_name(inv, name, &data, &len)) != 0)
        return rc;
    if (len == 0)
        return praas_inv_fail(inv, PRAAS_ERR_INVALID, "no bytes to write into '%s'", name);
    rc = praas_obj_alloc(name, len, PRAAS_OBJ_HERE, &obj);
    if (rc)
        return praas_inv_fail(inv, rc, "cannot allocate object '%s': %s", name, praas_errmsg());
    rc = praas_obj_put(obj, 0, data, len);
    if (rc) {
        praas_inv_fail(inv, rc, "cannot write object '%s': %s", name, praas_errmsg());
        praas_obj_free(&obj);
        return rc;
    }
    praas_obj_close(&obj);
    praas_rank(&rank);
    snprintf(buf, sizeof(buf), "pid %ld rank %d", (long)getpid(), rank);
    return praas_inv_result_copy(inv, buf, strlen(buf));
}

/* payload: "NAME": result: the bytes of the global object NAME, wherever
 * it lives. */
PRAAS_EXPORT int obj_read(praas_invocation_t *inv)
{
    char name[PRAAS_OBJ_NAME_MAX + 1];
    praas_obj_t obj;
    size_t size;
    void *out;
    int rc;

    if ((rc = obj_name(inv, name, NULL, NULL)) != 0)
        return rc;
    rc = praas_obj_open(name, &obj);
    if (rc)
        return praas_inv_fail(inv, rc, "cannot open object '%s': %s", name, praas_errmsg());
    rc = praas_obj_size(obj, &size);
    if (!rc)
        rc = praas_inv_result_buf(inv, size, &out);
    if (!rc)
        rc = praas_obj_get(obj, 0, out, size);
    if (rc)
        praas_inv_fail(inv, rc, "cannot read object '%s': %s", name, praas_errmsg());
    praas_obj_close(&obj);
    return rc;
}

/* payload: "NAME\nN": adds N (decimal; 1 without) to the 64-bit counter at
 * offset 0 of the global object NAME atomically; result: the previous
 * value, in decimal. */
PRAAS_EXPORT int obj_add(praas_invocation_t *inv)
{
    char name[PRAAS_OBJ_NAME_MAX + 1], buf[32];
    const char *rest;
    size_t len;
    uint64_t add = 0, old = 0;
    praas_obj_t obj;
    int rc;

    if ((rc = obj_name(inv, name, &rest, &len)) != 0)
        return rc;
    for (size_t i = 0; i < len; i++) {
        if (rest[i] < '0' || rest[i] > '9' || i >= 19)
            return praas_inv_fail(inv, PRAAS_ERR_INVALID, "'%.*s' is not a decimal number",
                                  (int)len, rest);
        add = add * 10 + (uint64_t)(rest[i] - '0');
    }
    if (len == 0)
        add = 1;
    rc = praas_obj_open(name, &obj);
    if (rc)
        return praas_inv_fail(inv, rc, "cannot open object '%s': %s", name, praas_errmsg());
    rc = praas_obj_fetch_add(obj, 0, add, &old);
    praas_obj_close(&obj);
    if (rc)
        return praas_inv_fail(inv, rc, "cannot add to object '%s': %s", name, praas_errmsg());
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)old);
    return praas_inv_result_copy(inv, buf, strlen(buf));
}

/* The checkpoint handler: the whole memory, unless ckpt_compact asked for
 * the state page and the log only. */
PRAAS_EXPORT int praas_checkpoint_save(praas_checkpoint_t *ck)
{
    void *base;
    size_t size;
    struct state *st;
    int rc;

    praas_checkpoint_memory(ck, &base, &size);
    st = size >= PAGE ? base : NULL;
    if (!st || !st->compact)
        return PRAAS_CHECKPOINT_WHOLE;
    rc = praas_checkpoint_write(ck, st, PAGE);
    if (!rc)
        rc = praas_checkpoint_write(ck, (char *)st + PAGE, st->log_len);
    return rc;
}

PRAAS_EXPORT int praas_checkpoint_restore(praas_checkpoint_t *ck)
{
    void *base;
    size_t size, n;
    const void *p;

    praas_checkpoint_memory(ck, &base, &size);
    praas_checkpoint_data(ck, &p, &n);
    if (n < PAGE || n > size)
        return PRAAS_ERR_PROTOCOL;
    memcpy(base, p, n);
    return 0;
}
