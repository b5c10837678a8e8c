/*
 * praas-process driven over the data plane (TAP): real processes, real TCP
 * on loopback, the example function library (examples/functions).
 *
 * Allocation, invocations of 0 B to 16 MiB, chaining through session
 * memory, a FIFO pipeline held in order by dependencies, a multi-source
 * reduction from 8 producer connections, the concurrency cap, timeouts
 * (server-side and per call), failures, metrics (the CPU time of a
 * CPU-bound and of a sleeping function), the bound on remembered ids,
 * swapping out and in
 * through a directory (and on another subprocess), Redis and S3 when
 * testsuite/with-redis.sh and with-s3.sh provide them (PRAAS_TEST_REDIS,
 * PRAAS_TEST_S3) with the memory compared byte for byte, a checkpoint
 * handler, a swap-in from blobs read by praas-process --prefetch while it
 * started (and a prefetch of a missing key), and shutdown by signal and by
 * end of stdin. Malformed frames and
 * the command line: runtime_bad.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"
#include "runtime/rt.h"
#include "runtime/wire.h"
#include "testsuite/lib/tap.h"

#include "testsuite/lib/rt_proc.h"

static uint64_t fill_word(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

/* What the memory of a session looks like after fill(seed) (from its
 * second page; the first is compared separately). */
static unsigned char *pattern(size_t size, uint64_t seed)
{
    unsigned char *m = calloc(1, size);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

    for (size_t i = 4096; m && i < size; i += 8) {
        uint64_t v = fill_word(&x);
        memcpy(m + i, &v, size - i < 8 ? size - i : 8);
    }
    return m;
}

/* Read [off, off+len) of a session's memory through memread. */
static void *mem_read(struct rt_conn *c, uint64_t off, uint64_t len, size_t *got_p)
{
    uint64_t q[2] = {off, len};
    void *out = NULL;

    *got_p = 0;
    if (invoke(c, "memread", q, sizeof(q), &out, got_p)) {
        tap_diag("memread: %s", praas_errmsg());
        return NULL;
    }
    return out;
}

/* ---- sections ---- */

static void test_echo(struct rt_conn *c)
{
    static const size_t sizes[] = {0, 1, 8, 4095, 4096, 65537, 1 << 20, 16 << 20};
    int good = 0;

    for (size_t k = 0; k < PRAAS_ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        unsigned char *p = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            p[i] = (unsigned char)(i * 31 + k);
        void *out = NULL;
        size_t len = 99;
        int rc = invoke(c, "echo", p, n, &out, &len);
        int ok = rc == 0 && len == n && (n == 0 || (out && memcmp(out, p, n) == 0));
        if (!ok)
            tap_diag("echo of %zu bytes: rc %d (%s), %zu bytes back", n, rc, praas_errmsg(), len);
        good += ok;
        free(out);
        free(p);
    }
    tap_ok(good == (int)PRAAS_ARRAY_SIZE(sizes), "echo returns the payload at 0 B .. 16 MiB (%d/%zu)",
           good, PRAAS_ARRAY_SIZE(sizes));

    void *out = NULL;
    size_t len = 0;
    int rc = invoke(c, "reverse", "abcdef", 6, &out, &len);
    tap_ok(rc == 0 && len == 6 && memcmp(out, "fedcba", 6) == 0,
           "reverse fills a result buffer in session memory");
    free(out);
}

static void test_failures(struct rt_conn *c)
{
    int rc = invoke(c, "nosuch", NULL, 0, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), "nosuch"),
           "an unknown function is NOT_FOUND naming it (%s)", praas_errmsg());
    rc = invoke(c, "a-b", "x", 1, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "a-b"),
           "a function name that is not a C identifier is INVALID (%s)", praas_errmsg());
    rc = invoke(c, "praas_checkpoint_save", NULL, 0, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_INVALID, "praas_* names are not functions (%s)", praas_errmsg());
    rc = invoke(c, "fail", "boom", 4, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "failing on purpose: boom"),
           "a failing function's status and message reach the caller (%s)", praas_errmsg());
    rc = invoke(c, "counter_add", "x", 1, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "8 bytes"),
           "a function refusing its payload (%s)", praas_errmsg());
    uint64_t id = atomic_fetch_add(&g_id, 1);
    rc = invoke_id(c, id, "echo", "a", 1, NULL, TMO, NULL, NULL);
    int rc2 = invoke_id(c, id, "echo", "a", 1, NULL, TMO, NULL, NULL);
    tap_ok(rc == 0 && rc2 == PRAAS_ERR_EXISTS, "an invocation id used twice is EXISTS (%s)",
           praas_errmsg());
    rc = invoke_id(c, atomic_fetch_add(&g_id, 1), "echo", "a", 1, "{\"nargs\": \"two\"}", TMO,
                   NULL, NULL);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "nargs"),
           "a bad meta field is INVALID naming it (%s)", praas_errmsg());
}

static void test_chain(struct rt_conn *c)
{
    int64_t a = invoke_i64(c, "counter_add", 5, 1);
    int64_t b = invoke_i64(c, "counter_add", 7, 1);
    int64_t g = invoke_i64(c, "counter_get", 0, 0);
    tap_ok(a == 5 && b == 12 && g == 12,
           "functions chain through session memory (counter 5, 12, get %lld)", (long long)g);
}

struct pipe_arg {
    struct rt_conn *c;
    uint64_t base;
    int k;
    int rc;
};

static void *pipe_stage(void *arg)
{
    struct pipe_arg *a = arg;
    char item[16], meta[64];
    int n = snprintf(item, sizeof(item), "%d,", a->k);

    if (a->k == 0)
        snprintf(meta, sizeof(meta), "{}");
    else
        snprintf(meta, sizeof(meta), "{\"deps\": [%llu]}",
                 (unsigned long long)(a->base + (uint64_t)a->k - 1));
    a->rc = invoke_id(a->c, a->base + (uint64_t)a->k, "append", item, (size_t)n, meta, TMO, NULL,
                      NULL);
    return NULL;
}

/* 16 stages sent at once by 16 threads (the last first), each naming the
 * one before as its dependency: the log must read 0,1,...,15. */
static void test_pipeline(struct rt_conn *c)
{
    enum { N = 16 };
    pthread_t t[N];
    struct pipe_arg a[N];
    uint64_t base = atomic_fetch_add(&g_id, N + 1);
    int bad = 0;

    for (int k = N - 1; k >= 0; k--) {
        a[k] = (struct pipe_arg){c, base, k, -1};
        pthread_create(&t[k], NULL, pipe_stage, &a[k]);
    }
    for (int k = 0; k < N; k++) {
        pthread_join(t[k], NULL);
        bad += a[k].rc != 0;
    }
    char want[256] = "";
    for (int k = 0; k < N; k++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%d,", k);
    void *out = NULL;
    size_t len = 0;
    int rc = invoke(c, "append", "", 0, &out, &len);
    tap_ok(bad == 0 && rc == 0 && len == strlen(want) && memcmp(out, want, len) == 0,
           "a FIFO pipeline of %d stages sent at once runs in dependency order (%.*s)", N,
           (int)len, out ? (char *)out : "");
    free(out);

    /* A dependency that failed cancels its dependents. */
    uint64_t f = atomic_fetch_add(&g_id, 2);
    invoke_id(c, f, "fail", "x", 1, NULL, TMO, NULL, NULL);
    char meta[64];
    snprintf(meta, sizeof(meta), "{\"deps\": [%llu]}", (unsigned long long)f);
    rc = invoke_id(c, f + 1, "echo", "y", 1, meta, TMO, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_CANCELED && strstr(praas_errmsg(), "failed"),
           "a dependency that failed cancels the dependent (%s)", praas_errmsg());

    /* A dependency never seen: waits until the invocation's own timeout. */
    snprintf(meta, sizeof(meta), "{\"deps\": [%llu], \"timeout_ms\": 200}",
             (unsigned long long)(f + 1000000));
    uint64_t t0 = core_now_ns();
    rc = invoke_id(c, atomic_fetch_add(&g_id, 1), "echo", "y", 1, meta, TMO, NULL, NULL);
    double ms = (double)(core_now_ns() - t0) / 1e6;
    tap_ok(rc == PRAAS_ERR_TIMEOUT && strstr(praas_errmsg(), "dependencies") && ms >= 190,
           "a dependency never seen waits for the invocation's timeout_ms, then TIMEOUT (%s)",
           praas_errmsg());
}

struct prod_arg {
    const char *ep, *sid;
    uint64_t id;
    int i, rc, ok;
};

enum { PRODUCERS = 8, SUM_N = 1000 };

static void *producer(void *arg)
{
    struct prod_arg *a = arg;
    struct rt_conn *c = NULL;
    int64_t v[SUM_N];
    char meta[64];
    void *out = NULL;
    size_t len = 0;

    a->rc = rt_conn_open(a->ep, TMO, &c);
    if (!a->rc)
        a->rc = hello(c, a->sid);
    for (int j = 0; j < SUM_N; j++)
        v[j] = (int64_t)a->i * 1000000 + j;
    snprintf(meta, sizeof(meta), "{\"nargs\": %d, \"arg\": %d}", PRODUCERS, a->i);
    if (!a->rc)
        a->rc = invoke_id(c, a->id, "sum", v, sizeof(v), meta, TMO, &out, &len);
    a->ok = a->rc == 0 && len == sizeof(v);
    for (int j = 0; a->ok && j < SUM_N; j++) {
        int64_t want = 0;
        for (int i = 0; i < PRODUCERS; i++)
            want += (int64_t)i * 1000000 + j;
        a->ok = ((int64_t *)out)[j] == want;
    }
    free(out);
    rt_conn_close(c);
    return NULL;
}

static void test_multisource(struct proc *p, const char *sid)
{
    pthread_t t[PRODUCERS];
    struct prod_arg a[PRODUCERS];
    uint64_t id = atomic_fetch_add(&g_id, 1);
    int good = 0;

    for (int i = 0; i < PRODUCERS; i++) {
        a[i] = (struct prod_arg){p->ep, sid, id, i, -1, 0};
        pthread_create(&t[i], NULL, producer, &a[i]);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(t[i], NULL);
        if (a[i].rc)
            tap_diag("producer %d: %d", i, a[i].rc);
        good += a[i].ok;
    }
    tap_ok(good == PRODUCERS,
           "a multi-source sum of %d int64 from %d producer connections: every producer gets "
           "the full sum (%d/%d)",
           SUM_N, PRODUCERS, good, PRODUCERS);
}

struct sleep_arg {
    struct rt_conn *c;
    int rc;
};

static void *sleeper(void *arg)
{
    struct sleep_arg *a = arg;
    uint32_t ms = 150;

    a->rc = invoke(a->c, "sleep_ms", &ms, sizeof(ms), NULL, NULL);
    return NULL;
}

static void test_cap(struct proc *p)
{
    struct rt_conn *c = NULL;
    pthread_t t[6];
    struct sleep_arg a[6];
    int bad = 0;

    if (conn(p, &c) || rt_sub_alloc(c, "capped", 1 << 16, 2, TMO) || hello(c, "capped")) {
        tap_ok(0, "session for the concurrency cap: %s", praas_errmsg());
        rt_conn_close(c);
        return;
    }
    for (int i = 0; i < 6; i++) {
        a[i] = (struct sleep_arg){c, -1};
        pthread_create(&t[i], NULL, sleeper, &a[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        bad += a[i].rc != 0;
    }
    void *out = NULL;
    size_t len = 0;
    int32_t mx = -1;
    if (invoke(c, "max_running", NULL, 0, &out, &len) == 0 && len == 4)
        memcpy(&mx, out, 4);
    free(out);
    tap_ok(bad == 0 && mx == 2,
           "6 concurrent sleeps in a session of max_functions 2: at most 2 ran at once (%d)",
           mx);

    /* The per-call timeout of the client: the connection stays usable. */
    uint32_t ms = 1500;
    uint64_t t0 = core_now_ns();
    int rc = invoke_id(c, atomic_fetch_add(&g_id, 1), "sleep_ms", &ms, 4, NULL, 200, NULL, NULL);
    double took = (double)(core_now_ns() - t0) / 1e6;
    tap_ok(rc == PRAAS_ERR_TIMEOUT && took < 1400,
           "a call's timeout (200 ms) returns TIMEOUT in time (%.0f ms: %s)", took,
           praas_errmsg());
    /* Swapping out while it still runs is refused. */
    rc = rt_sub_swap_out(c, "capped", "t/capped", TMO, NULL);
    tap_ok(rc == PRAAS_ERR_AGAIN && strstr(praas_errmsg(), "in progress"),
           "swapping out a session with a running invocation is AGAIN (%s)", praas_errmsg());
    rc = invoke(c, "echo", "z", 1, NULL, NULL);
    tap_ok(rc == 0, "the connection works after a timed-out call (late reply dropped)");
    rt_sub_delete(c, "capped", TMO);
    rt_conn_close(c);
}

static void test_metrics(struct rt_conn *c, const char *sid)
{
    json_t *u = NULL;
    int rc = rt_sub_metrics(c, sid, TMO, &u);
    json_int_t inv = -1, cpu = -1, wall = -1, peak = -1, in = -1, out = -1, idle = -1, mem = -1;
    const char *state = "";

    if (!rc)
        json_unpack(u, "{sI sI sI sI sI sI sI sI ss}", "invocations", &inv, "cpu_ns", &cpu,
                    "wall_ns", &wall, "peak_bytes", &peak, "bytes_in", &in, "bytes_out", &out,
                    "idle_ms", &idle, "memory", &mem, "state", &state);
    tap_ok(rc == 0 && inv >= 10 && cpu > 0 && wall > 0 && peak >= mem + (16 << 20) &&
               in >= (16 << 20) && out >= (16 << 20) && idle >= 0 && strcmp(state, "live") == 0,
           "metrics: %lld invocations, cpu %lld ns, wall %lld ns, peak %lld B, in %lld B, out "
           "%lld B, idle %lld ms, %s",
           (long long)inv, (long long)cpu, (long long)wall, (long long)peak, (long long)in,
           (long long)out, (long long)idle, state);
    json_decref(u);
}

/* The session's CPU time and cpu_ns of a reply (doc/invoke.md: the wall
 * time until the reaper first sees a function running, about a
 * millisecond, the thread's CPU clock after): a CPU-bound function
 * (checksum of 64 MiB) is counted, run in the connection's reader and in a
 * function thread (after a dependency); a sleeping one (300 ms) is not. */
struct usage_now {
    json_int_t inv, cpu, wall;
};

static int usage_of(struct rt_conn *c, const char *sid, struct usage_now *u)
{
    json_t *j = NULL;
    int rc = rt_sub_metrics(c, sid, TMO, &j);

    if (!rc && json_unpack(j, "{sI sI sI}", "invocations", &u->inv, "cpu_ns", &u->cpu, "wall_ns",
                           &u->wall) != 0)
        rc = -1;
    json_decref(j);
    return rc;
}

static int invoke_times(struct rt_conn *c, uint64_t id, const char *fn, const void *p, size_t n,
                        json_t *meta, json_int_t *cpu_p, json_int_t *wall_p)
{
    json_t *rm = NULL;
    int rc = rt_conn_call(c, RT_MSG_INVOKE, id, fn, meta, p, n, TMO, &rm, NULL, NULL);

    *cpu_p = *wall_p = -1;
    if (!rc)
        json_unpack(rm, "{sI sI}", "cpu_ns", cpu_p, "wall_ns", wall_p);
    json_decref(rm);
    return rc;
}

struct dep_arg {
    struct rt_conn *c;
    uint64_t id, dep;
    json_int_t cpu, wall;
    int rc;
};

static void *checksum_after(void *arg)
{
    struct dep_arg *a = arg;
    json_t *meta = json_pack("{s[I]}", "deps", (json_int_t)a->dep);

    a->rc = invoke_times(a->c, a->id, "checksum", NULL, 0, meta, &a->cpu, &a->wall);
    json_decref(meta);
    return NULL;
}

static void test_cpu(struct proc *p)
{
    struct rt_conn *c = NULL, *c2 = NULL;
    struct usage_now u0, u1, u2, u3;
    json_int_t cpu = -1, wall = -1;
    uint32_t ms = 300;
    int rc;

    if (conn(p, &c) || conn(p, &c2) || rt_sub_alloc(c, "cpu", 64 << 20, 2, TMO) ||
        hello(c, "cpu") || hello(c2, "cpu") || usage_of(c, "cpu", &u0)) {
        tap_ok(0, "session for CPU time: %s", praas_errmsg());
        goto out;
    }
    /* CPU-bound, in the reader. */
    rc = invoke_times(c, atomic_fetch_add(&g_id, 1), "checksum", NULL, 0, NULL, &cpu, &wall);
    rc = rc ? rc : usage_of(c, "cpu", &u1);
    tap_ok(rc == 0 && cpu >= 1000000 && cpu <= wall && u1.inv == u0.inv + 1 &&
               u1.cpu - u0.cpu == cpu && u1.wall - u0.wall == wall,
           "a CPU-bound function: cpu %lld ns of wall %lld ns, in the session's usage too",
           (long long)cpu, (long long)wall);
    /* Sleeping: not CPU time (past the first tick). */
    rc = invoke_times(c, atomic_fetch_add(&g_id, 1), "sleep_ms", &ms, sizeof(ms), NULL, &cpu,
                      &wall);
    rc = rc ? rc : usage_of(c, "cpu", &u2);
    tap_ok(rc == 0 && wall >= 300000000 && cpu >= 0 && cpu < 150000000 &&
               u2.cpu - u1.cpu == cpu,
           "a sleeping function: cpu %lld ns of wall %lld ns (300 ms asleep)", (long long)cpu,
           (long long)wall);
    /* CPU-bound in a function thread: it waits for a dependency (a
     * sleep), so a function thread runs it. */
    uint64_t first = atomic_fetch_add(&g_id, 2);
    struct dep_arg a = {c2, first + 1, first, -1, -1, -1};
    pthread_t t;
    ms = 100;
    if (pthread_create(&t, NULL, checksum_after, &a) != 0) {
        tap_ok(0, "a thread for the dependent checksum");
        goto out;
    }
    rc = invoke_times(c, first, "sleep_ms", &ms, sizeof(ms), NULL, &cpu, &wall);
    pthread_join(t, NULL);
    rc = rc ? rc : a.rc ? a.rc : usage_of(c, "cpu", &u3);
    tap_ok(rc == 0 && a.cpu >= 1000000 && a.cpu <= a.wall && u3.inv == u2.inv + 2 &&
               u3.cpu - u2.cpu == cpu + a.cpu,
           "a CPU-bound function in a function thread: cpu %lld ns of wall %lld ns",
           (long long)a.cpu, (long long)a.wall);
out:
    if (c)
        rt_sub_delete(c, "cpu", TMO);
    rt_conn_close(c);
    rt_conn_close(c2);
}

/* Completed ids are remembered for dependencies and to refuse an id used
 * twice, the last RT_DONE_KEEP of a session: a recent id is EXISTS, and
 * one that RT_DONE_KEEP later completions pushed out may be used again. */
static void test_done_trim(struct proc *p)
{
    struct rt_conn *c = NULL;
    uint64_t base = atomic_fetch_add(&g_id, RT_DONE_KEEP + 2);
    int rc = 0;

    if (conn(p, &c) || rt_sub_alloc(c, "trim", 1 << 16, 1, TMO) || hello(c, "trim")) {
        tap_ok(0, "session for the completed ids: %s", praas_errmsg());
        goto out;
    }
    for (uint64_t i = 0; i < RT_DONE_KEEP && !rc; i++)
        rc = invoke_id(c, base + i, "echo", "t", 1, NULL, TMO, NULL, NULL);
    int again = rc ? rc : invoke_id(c, base, "echo", "t", 1, NULL, TMO, NULL, NULL);
    tap_ok(rc == 0 && again == PRAAS_ERR_EXISTS,
           "%d invocations; the first id is still remembered (%s)", RT_DONE_KEEP,
           praas_errmsg());
    rc = invoke_id(c, base + RT_DONE_KEEP, "echo", "t", 1, NULL, TMO, NULL, NULL);
    again = rc ? rc : invoke_id(c, base, "echo", "t", 1, NULL, TMO, NULL, NULL);
    /* (that use of base pushed base + 1 out in turn) */
    int recent = invoke_id(c, base + 2, "echo", "t", 1, NULL, TMO, NULL, NULL);
    tap_ok(rc == 0 && again == 0 && recent == PRAAS_ERR_EXISTS,
           "one more: the oldest id is forgotten (used again: %d), a newer one is not (%d)",
           again, recent);
out:
    if (c)
        rt_sub_delete(c, "trim", TMO);
    rt_conn_close(c);
}

/* Fill a session, swap it out through p_out's storage and in at p_in,
 * compare every byte. */
static void test_swap(const char *what, struct proc *p_out, struct proc *p_in, size_t size)
{
    struct rt_conn *c = NULL, *c2 = NULL;
    char sid[64], key[96];
    uint64_t seed = 0x5eed0000u + size;
    unsigned char *want = pattern(size, seed);
    int rc;

    snprintf(sid, sizeof(sid), "swap-%s-%d", what, getpid());
    snprintf(key, sizeof(key), "t/%s", sid);
    if (conn(p_out, &c) || rt_sub_alloc(c, sid, size, 2, TMO) || hello(c, sid)) {
        tap_ok(0, "%s: session for swapping: %s", what, praas_errmsg());
        goto out;
    }
    rc = invoke(c, "fill", &seed, 8, NULL, NULL);
    int64_t cnt = invoke_i64(c, "counter_add", 41, 1);
    memcpy(want, &cnt, 8); /* the state page: the counter first, the rest zero */
    json_t *r = NULL;
    rc = rc ? rc : rt_sub_swap_out(c, sid, key, TMO, &r);
    json_int_t bytes = -1;
    const char *how = "";
    if (!rc)
        json_unpack(r, "{sI ss}", "bytes", &bytes, "checkpoint", &how);
    tap_ok(rc == 0 && bytes == (json_int_t)size && strcmp(how, "memory") == 0,
           "%s: swap out of %zu bytes (%lld stored, %s)", what, size, (long long)bytes,
           rc ? praas_errmsg() : how);
    json_decref(r);
    rc = invoke(c, "echo", "a", 1, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND, "%s: a swapped-out session takes no invocation (%s)", what,
           praas_errmsg());
    if (conn(p_in, &c2))
        goto out;
    rc = rt_sub_swap_in(c2, sid, key, size, 2, TMO);
    tap_ok(rc == 0, "%s: swap in%s (%s)", what, p_in != p_out ? " on another subprocess" : "",
           rc ? praas_errmsg() : "ok");
    rc = hello(c2, sid);
    size_t got = 0;
    void *m = rc ? NULL : mem_read(c2, 0, size, &got);
    tap_ok(m && got == size && memcmp(m, want, size) == 0,
           "%s: the memory came back byte for byte (%zu bytes)", what, got);
    if (m && got == size && memcmp(m, want, size) != 0)
        for (size_t i = 0; i < size; i++)
            if (((unsigned char *)m)[i] != want[i]) {
                tap_diag("first difference at byte %zu", i);
                break;
            }
    free(m);
    rc = rt_sub_swap_in(c2, sid, key, size, 2, TMO);
    tap_ok(rc == PRAAS_ERR_EXISTS, "%s: swapping in a live session is EXISTS (%s)", what,
           praas_errmsg());
    rt_sub_delete(c2, sid, TMO);
out:
    rt_conn_close(c);
    rt_conn_close(c2);
    free(want);
}

/* SWAP_IN with its reply meta ("prefetched"); 0 or the call's code. */
static int swap_in_pf(struct rt_conn *c, const char *sid, const char *key, size_t size,
                      int *prefetched_p)
{
    json_t *m = json_pack("{sssIsi}", "storage", key, "memory", (json_int_t)size,
                          "max_functions", 2);
    json_t *r = NULL;
    int rc = rt_conn_call(c, RT_MSG_SWAP_IN, atomic_fetch_add(&g_id, 1), sid, m, NULL, 0, TMO,
                          &r, NULL, NULL);

    *prefetched_p = json_is_true(json_object_get(r, "prefetched"));
    json_decref(m);
    json_decref(r);
    return rc;
}

/* praas-process --prefetch KEY: a session swapped out by p_out comes back
 * in a new process from the prefetched blobs, byte for byte; a prefetch of
 * a missing key breaks nothing (its SWAP_IN is NOT_FOUND from storage, a
 * swap-in of another key reads storage as usual). */
static void test_prefetch(const char *storage, struct proc *p_out)
{
    struct rt_conn *c = NULL, *c2 = NULL;
    struct proc p4 = {.pid = -1}, p5 = {.pid = -1};
    char sid[64], key[96], missing[96];
    size_t size = (2 << 20) + 4096 + 5;
    uint64_t seed = 0x9f3e7u;
    unsigned char *want = pattern(size, seed);
    int rc, pre = -1;

    snprintf(sid, sizeof(sid), "pf-%d", getpid());
    snprintf(key, sizeof(key), "t/%s", sid);
    snprintf(missing, sizeof(missing), "t/never-swapped-%d", getpid());
    if (conn(p_out, &c) || rt_sub_alloc(c, sid, size, 2, TMO) || hello(c, sid) ||
        invoke(c, "fill", &seed, 8, NULL, NULL)) {
        tap_ok(0, "prefetch: a session to swap out: %s", praas_errmsg());
        goto out;
    }
    int64_t cnt = invoke_i64(c, "counter_add", 5, 1);
    memcpy(want, &cnt, 8);
    rc = rt_sub_swap_out(c, sid, key, TMO, NULL);
    tap_ok(rc == 0, "prefetch: swapped out %s (%s)", key, rc ? praas_errmsg() : "ok");
    rt_conn_close(c);
    c = NULL;

    if (proc_start(&p4, storage, "--prefetch", key) || conn(&p4, &c2)) {
        tap_ok(0, "praas-process --prefetch %s started", key);
        goto out;
    }
    rc = swap_in_pf(c2, sid, key, size, &pre);
    tap_ok(rc == 0 && pre == 1, "prefetch: SWAP_IN used the prefetched blobs (%s, prefetched %d)",
           rc ? praas_errmsg() : "ok", pre);
    size_t got = 0;
    void *m = rc || hello(c2, sid) ? NULL : mem_read(c2, 0, size, &got);
    tap_ok(m && got == size && memcmp(m, want, size) == 0,
           "prefetch: the memory came back byte for byte (%zu bytes)", got);
    free(m);
    rt_sub_delete(c2, sid, TMO);
    /* The key is taken once: a second swap-in reads storage. */
    rc = swap_in_pf(c2, sid, key, size, &pre);
    tap_ok(rc == 0 && pre == 0, "prefetch: a second SWAP_IN of the key reads storage (%s, %d)",
           rc ? praas_errmsg() : "ok", pre);
    rt_sub_delete(c2, sid, TMO);
    rt_conn_close(c2);
    c2 = NULL;
    /* Before the next start: p5 would inherit the write end of p4's stdin. */
    close(p4.in_fd);
    tap_ok(proc_wait(&p4, 15000) == 0, "praas-process --prefetch exits 0 at the end of its stdin");
    p4.pid = -1;

    if (proc_start(&p5, storage, "--prefetch", missing) || conn(&p5, &c2)) {
        tap_ok(0, "praas-process --prefetch %s started", missing);
        goto out;
    }
    rc = swap_in_pf(c2, "nothing", missing, 0, &pre);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND, "prefetch of a missing key: its SWAP_IN is NOT_FOUND (%s)",
           praas_errmsg());
    rc = swap_in_pf(c2, sid, key, size, &pre);
    m = NULL;
    got = 0;
    if (!rc && !hello(c2, sid))
        m = mem_read(c2, 0, size, &got);
    tap_ok(rc == 0 && pre == 0 && m && got == size && memcmp(m, want, size) == 0,
           "prefetch of a missing key: a normal swap-in still works, byte for byte (%s)",
           rc ? praas_errmsg() : "ok");
    free(m);
    rt_sub_delete(c2, sid, TMO);
out:
    rt_conn_close(c);
    rt_conn_close(c2);
    for (struct proc *p = &p4; p; p = p == &p4 ? &p5 : NULL)
        if (p->pid > 0) {
            close(p->in_fd);
            tap_ok(proc_wait(p, 15000) == 0, "praas-process --prefetch exits 0 at the end of "
                   "its stdin");
        }
    free(want);
}

/* The checkpoint handler of the example library saves the state page and
 * the log only, once ckpt_compact asked it to. */
static void test_checkpoint(struct proc *p)
{
    struct rt_conn *c = NULL;
    const char *sid = "ckpt";
    size_t size = 1 << 20;
    uint64_t seed = 7;
    int rc;

    if (conn(p, &c) || rt_sub_alloc(c, sid, size, 1, TMO) || hello(c, sid)) {
        tap_ok(0, "checkpoint session: %s", praas_errmsg());
        rt_conn_close(c);
        return;
    }
    invoke(c, "fill", &seed, 8, NULL, NULL);
    invoke_i64(c, "counter_add", 3, 1);
    invoke(c, "append", "abc", 3, NULL, NULL);
    invoke(c, "ckpt_compact", NULL, 0, NULL, NULL);
    json_t *r = NULL;
    json_int_t bytes = -1;
    const char *how = "";
    rc = rt_sub_swap_out(c, sid, "t/ckpt", TMO, &r);
    if (!rc)
        json_unpack(r, "{sI ss}", "bytes", &bytes, "checkpoint", &how);
    tap_ok(rc == 0 && strcmp(how, "user") == 0 && bytes == 4096 + 3,
           "the library's praas_checkpoint_save chose what to save (%s, %lld bytes)", how,
           (long long)bytes);
    json_decref(r);
    rc = rt_sub_swap_in(c, sid, "t/ckpt", 0, 1, TMO);
    rc = rc ? rc : hello(c, sid);
    int64_t cnt = invoke_i64(c, "counter_get", 0, 0);
    void *out = NULL;
    size_t len = 0;
    invoke(c, "append", "", 0, &out, &len);
    size_t got = 0;
    unsigned char *tail = mem_read(c, 8192, 64, &got);
    int zero = tail && got == 64;
    for (size_t i = 0; zero && i < 64; i++)
        zero = tail[i] == 0;
    tap_ok(rc == 0 && cnt == 3 && len == 3 && memcmp(out, "abc", 3) == 0 && zero,
           "praas_checkpoint_restore brought back the counter (%lld) and the log, nothing else",
           (long long)cnt);
    free(out);
    free(tail);
    rt_sub_delete(c, sid, TMO);
    rt_conn_close(c);
}

int main(void)
{
    char dir[] = "/tmp/praas-rt-XXXXXX", storage[128];
    struct proc p1, p2;
    struct rt_conn *c = NULL;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if (rt_test_paths())
        return 1;
    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    snprintf(storage, sizeof(storage), "file://%s", dir);
    if (proc_start(&p1, storage, "--max-payload", "32M") ||
        proc_start(&p2, storage, NULL, NULL)) {
        printf("Bail out! praas-process did not start\n");
        return 1;
    }
    tap_ok(1, "two praas-process started: %s and %s", p1.ep, p2.ep);
    if (conn(&p1, &c)) {
        printf("Bail out! cannot connect\n");
        return 1;
    }
    json_t *r = NULL;
    rc = rt_sub_ping(c, TMO, &r);
    tap_ok(rc == 0 && json_array_size(json_object_get(r, "sessions")) == 0 &&
               json_integer_value(json_object_get(r, "pid")) == p1.pid,
           "PING: no session, the process's pid");
    json_decref(r);
    rc = hello(c, "s1");
    tap_ok(rc == PRAAS_ERR_NOT_FOUND, "HELLO of an unknown session is NOT_FOUND (%s)",
           praas_errmsg());
    rc = invoke(c, "echo", "a", 1, NULL, NULL);
    tap_ok(rc == PRAAS_ERR_STATE, "INVOKE before HELLO is STATE (%s)", praas_errmsg());
    rc = rt_sub_alloc(c, "s1", 16 << 20, 4, TMO);
    tap_ok(rc == 0, "ALLOC s1 (16 MiB, 4 functions)");
    rc = rt_sub_alloc(c, "s1", 16 << 20, 4, TMO);
    tap_ok(rc == PRAAS_ERR_EXISTS, "ALLOC of an existing id is EXISTS (%s)", praas_errmsg());
    rc = rt_sub_alloc(c, "bad/id", 4096, 1, TMO);
    tap_ok(rc == PRAAS_ERR_INVALID, "ALLOC of a bad id is INVALID (%s)", praas_errmsg());
    rc = rt_sub_alloc(c, "s9", 4096, 0, TMO);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "max_functions"),
           "ALLOC with max_functions 0 is INVALID (%s)", praas_errmsg());
    json_t *hm = NULL;
    rc = rt_conn_call(c, RT_MSG_HELLO, 1, "s1", NULL, NULL, 0, TMO, &hm, NULL, NULL);
    tap_ok(rc == 0 && json_integer_value(json_object_get(hm, "memory")) == 16 << 20 &&
               strcmp(json_string_value(json_object_get(hm, "state")), "live") == 0,
           "HELLO s1: live, 16 MiB");
    json_decref(hm);

    test_echo(c);
    test_failures(c);
    test_chain(c);
    test_pipeline(c);
    test_multisource(&p1, "s1");
    {
        void *out = NULL;
        size_t len = 0;
        rc = invoke(c, "whoami", NULL, 0, &out, &len);
        tap_ok(rc == 0 && len > 0 && strstr((char *)out, "rank 0 of 1"),
               "a function uses the praas API (%.*s)", (int)len, out ? (char *)out : praas_errmsg());
        free(out);
    }
    test_metrics(c, "s1");
    test_cpu(&p1);
    test_done_trim(&p1);
    test_cap(&p1);
    test_swap("file", &p1, &p1, 8 << 20);
    test_swap("file-cross", &p1, &p2, (4 << 20) + 13);
    test_checkpoint(&p1);
    test_prefetch(storage, &p1);
    if (getenv("PRAAS_TEST_REDIS") || getenv("PRAAS_TEST_S3")) {
        const char *urls[2] = {getenv("PRAAS_TEST_REDIS"), NULL};
        char s3[256];
        if (getenv("PRAAS_TEST_S3")) {
            const char *b = strrchr(getenv("PRAAS_TEST_S3"), '/');
            snprintf(s3, sizeof(s3), "s3://%s", b + 1);
            urls[1] = s3;
        }
        for (int k = 0; k < 2; k++) {
            struct proc p3;
            if (!urls[k])
                continue;
            if (proc_start(&p3, urls[k], NULL, NULL)) {
                tap_ok(0, "praas-process with storage %s", urls[k]);
                continue;
            }
            test_swap(k == 0 ? "redis" : "s3", &p3, &p3, 8 << 20);
            test_prefetch(urls[k], &p3);
            close(p3.in_fd);
            tap_ok(proc_wait(&p3, 15000) == 0, "praas-process exits at the end of its stdin");
        }
    } else {
        tap_diag("no PRAAS_TEST_REDIS / PRAAS_TEST_S3: swap through file only");
    }

    rc = rt_sub_delete(c, "s1", TMO);
    int rc2 = hello(c, "s1");
    int rc3 = rt_sub_delete(c, "s1", TMO);
    tap_ok(rc == 0 && rc2 == PRAAS_ERR_NOT_FOUND && rc3 == PRAAS_ERR_NOT_FOUND,
           "DELETE s1; it is gone; a second DELETE is NOT_FOUND");
    rt_conn_close(c);

    kill(p1.pid, SIGTERM);
    tap_ok(proc_wait(&p1, 15000) == 0, "praas-process exits 0 on SIGTERM");
    close(p2.in_fd);
    tap_ok(proc_wait(&p2, 15000) == 0, "praas-process exits 0 at the end of its stdin");
    close(p1.in_fd);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    tap_no_plan_end();
    return tap_exit();
}
