/*
 * tp_pair: two transport contexts in one process (rank 0 = A, rank 1 = B,
 * size 2), connected to each other, with a thread progressing B the way
 * the core's progress thread will. From A it checks put, get, every atomic
 * at both widths, range and key errors, active messages (large payload,
 * replies from a handler, ordering) and local completion, each against
 * the bytes and values expected. Uses only transport.h, so it runs on any
 * backend: PRAAS_TRANSPORT=ucx (default) or ofi.
 *
 * Prints TAP. Set UCX_NET_DEVICES=lo / FI_TCP_IFACE=lo and the like in the
 * environment, not here.
 */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "testsuite/lib/tp_test.h"
#include "transport/transport.h"

#define REGION (4u << 20)       /* B's (and A's) registered region */
#define BIG (1u << 20)          /* the large put/get and AM payload */
#define AMO_OFF (3u << 20)      /* where the atomics work, in the region */
#define OOR_OFF (REGION - 4096) /* where the out-of-range checks look */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

static tp_ctx_t *ctx_a, *ctx_b;

/* ---- active-message handlers ---- */

enum { AM_BIG = 1, AM_PING = 2, AM_PONG = 3, AM_ORDER = 4 };

static struct {
    atomic_int done;
    int src;
    unsigned char hdr[TP_AM_MAX_HDR];
    size_t hdr_len;
    unsigned char *payload;
    size_t len;
} got_big;

static void on_big(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                   size_t len)
{
    got_big.src = src;
    got_big.hdr_len = hdr_len;
    memcpy(got_big.hdr, hdr, hdr_len < TP_AM_MAX_HDR ? hdr_len : TP_AM_MAX_HDR);
    got_big.payload = malloc(len ? len : 1);
    if (got_big.payload && len)
        memcpy(got_big.payload, payload, len);
    got_big.len = len;
    atomic_store(&got_big.done, 1);
}

/* B answers a ping from inside its handler. */
static atomic_int ping_send_rc;
static void on_ping(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                    size_t len)
{
    tp_ctx_t *self = arg;
    char reply[64];
    int n = snprintf(reply, sizeof(reply), "pong to %d: %.*s", src, (int)hdr_len,
                     (const char *)hdr);

    atomic_store(&ping_send_rc, tp_am_send(self, src, AM_PONG, reply, (size_t)n, payload, len));
}

static struct {
    atomic_int done;
    int src;
    char hdr[128];
    size_t len;
    uint64_t payload;
} got_pong;

static void on_pong(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                    size_t len)
{
    got_pong.src = src;
    snprintf(got_pong.hdr, sizeof(got_pong.hdr), "%.*s", (int)hdr_len, (const char *)hdr);
    got_pong.len = len;
    if (len == sizeof(uint64_t))
        memcpy(&got_pong.payload, payload, len);
    atomic_store(&got_pong.done, 1);
}

/* Records the order of arrival: the header is the message's index. */
#define NORDER 6
static int order_seen[NORDER];
static int order_ok_bytes = 1;
static atomic_int order_count;
static void on_order(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                     size_t len)
{
    int idx = -1, n = atomic_load(&order_count);

    if (hdr_len == sizeof(int))
        memcpy(&idx, hdr, sizeof(int));
    if (n < NORDER)
        order_seen[n] = idx;
    for (size_t i = 0; i < len; i++)
        if (((const unsigned char *)payload)[i] != (unsigned char)(idx + i)) {
            order_ok_bytes = 0;
            break;
        }
    atomic_store(&order_count, n + 1);
}

/* ---- helpers for the checks ---- */

static unsigned char *mem_b;     /* B's registered region */
static tp_rkey_t *rkey_b;        /* A's key to it */

static int put_flush(const void *src, size_t len, uint64_t off)
{
    tp_comp_t comp;
    int rc;

    tp_comp_init(&comp);
    rc = tp_put(ctx_a, 1, src, len, rkey_b, off, &comp);
    if (rc == 0)
        rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
    if (rc == 0)
        rc = tp_flush(ctx_a, 1, TPT_TIMEOUT_MS);
    return rc;
}

static uint64_t mask(size_t width)
{
    return width == 8 ? UINT64_MAX : UINT32_MAX;
}

static uint64_t load_b(size_t width)
{
    uint32_t v32;
    uint64_t v64;

    atomic_thread_fence(memory_order_seq_cst);
    if (width == 4) {
        memcpy(&v32, mem_b + AMO_OFF, 4);
        return v32;
    }
    memcpy(&v64, mem_b + AMO_OFF, 8);
    return v64;
}

static void store_b(size_t width, uint64_t v)
{
    uint32_t v32 = (uint32_t)v;

    /* Guard words on both sides show whether a 4-byte op spilled over. */
    memset(mem_b + AMO_OFF - 8, 0xA5, 24);
    if (width == 4)
        memcpy(mem_b + AMO_OFF, &v32, 4);
    else
        memcpy(mem_b + AMO_OFF, &v, 8);
    atomic_thread_fence(memory_order_seq_cst);
}

static int guards_intact(size_t width)
{
    for (size_t i = 0; i < 24; i++) {
        if (i >= 8 && i < 8 + width)
            continue;
        if (mem_b[AMO_OFF - 8 + i] != 0xA5)
            return 0;
    }
    return 1;
}

static const char *const aop_names[] = {"add", "and", "or", "xor", "swap", "cswap"};

/* One atomic: memory starts at init; checks the fetched value (when
 * fetching) and the memory afterwards. */
static void check_atomic(size_t width, tp_aop_t op, uint64_t init, uint64_t operand,
                         uint64_t compare, int fetch, uint64_t want_mem, const char *label)
{
    uint64_t result = 0xdeadbeefdeadbeefull, after;
    tp_comp_t comp;
    int rc;

    store_b(width, init);
    tp_comp_init(&comp);
    rc = tp_atomic(ctx_a, 1, op, width, operand, compare, fetch ? &result : NULL, rkey_b,
                   AMO_OFF, &comp);
    if (rc == 0)
        rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
    if (rc == 0)
        rc = tp_flush(ctx_a, 1, TPT_TIMEOUT_MS);
    after = load_b(width);
    if (width == 4)
        result &= fetch ? UINT32_MAX : UINT64_MAX; /* only the low 4 bytes are written */
    tpt_ok(rc == 0 && (!fetch || result == (init & mask(width))) &&
               after == (want_mem & mask(width)) && guards_intact(width),
           "atomic %s%s width %zu%s: old 0x%" PRIx64 " -> 0x%" PRIx64 " (want 0x%" PRIx64
           ", fetched 0x%" PRIx64 ", rc %s)",
           fetch ? "fetch-" : "", aop_names[op], width, label, init & mask(width), after,
           want_mem & mask(width), fetch ? result : 0, praas_err_name(rc));
}

static void check_atomics(size_t width)
{
    uint64_t a = width == 8 ? 0x8123456789abcdefull : 0x89abcdefull;
    uint64_t b = width == 8 ? 0x0f0f00ff12345678ull : 0x12345678ull;
    uint64_t m = mask(width);

    check_atomic(width, TP_AOP_ADD, a, b, 0, 1, (a + b) & m, "");
    check_atomic(width, TP_AOP_AND, a, b, 0, 1, a & b, "");
    check_atomic(width, TP_AOP_OR, a, b, 0, 1, a | b, "");
    check_atomic(width, TP_AOP_XOR, a, b, 0, 1, a ^ b, "");
    check_atomic(width, TP_AOP_SWAP, a, b, 0, 1, b, "");
    check_atomic(width, TP_AOP_CSWAP, a, b, a, 1, b, " (equal: swaps)");
    check_atomic(width, TP_AOP_CSWAP, a, b, a ^ 1, 1, a, " (unequal: keeps)");
    check_atomic(width, TP_AOP_ADD, m, 1, 0, 0, 0, " (wraps)");
    check_atomic(width, TP_AOP_AND, a, b, 0, 0, a & b, "");
    check_atomic(width, TP_AOP_OR, a, b, 0, 0, a | b, "");
    check_atomic(width, TP_AOP_XOR, a, b, 0, 0, a ^ b, "");
    check_atomic(width, TP_AOP_SWAP, a, b, 0, 0, b, "");
}

#define NTESTS 49

int main(void)
{
    static const size_t put_sizes[] = {1, 8, 4096, BIG};
    const char *name;
    const tp_ops_t *ops;
    void *addrs[2];
    size_t lens[2];
    tp_mr_t *mr_b, *mr_a;
    tp_rkey_t *rkey_self;
    void *blob;
    size_t blob_len;
    unsigned char *src, *dst, *mem_a, *snap;
    pthread_t thread;
    tp_comp_t comp;
    int rc;

    name = tpt_start("tp_pair", NTESTS, &ops);
    tpt_pair(ops, 0, &ctx_a, &ctx_b, addrs, lens);
    tpt_ok(strncmp(tp_describe(ctx_a), name, strlen(name)) == 0, "describe: %s",
           tp_describe(ctx_a));

    /* Handlers go in before any message can arrive. */
    tp_am_register(ctx_b, AM_BIG, on_big, NULL);
    tp_am_register(ctx_b, AM_PING, on_ping, ctx_b);
    tp_am_register(ctx_a, AM_PONG, on_pong, NULL);
    tp_am_register(ctx_b, AM_ORDER, on_order, NULL);

    mem_b = aligned_alloc(4096, REGION);
    mem_a = aligned_alloc(4096, REGION);
    src = malloc(BIG);
    dst = malloc(BIG);
    snap = malloc(4096);
    memset(mem_b, 0, REGION);
    memset(mem_a, 0, REGION);
    if ((rc = tp_mr_reg(ctx_b, mem_b, REGION, &mr_b)) != 0)
        tpt_bail("tp_mr_reg B", rc);
    if ((rc = tp_mr_reg(ctx_a, mem_a, REGION, &mr_a)) != 0)
        tpt_bail("tp_mr_reg A", rc);
    rkey_b = tpt_key(ctx_b, mr_b, ctx_a, 1, &blob, &blob_len);
    rkey_self = tpt_key(ctx_a, mr_a, ctx_a, 0, NULL, NULL);

    atomic_store(&tpt_stop_progress, 0);
    if (pthread_create(&thread, NULL, tpt_progress_main, ctx_b) != 0)
        tpt_bail("pthread_create", PRAAS_ERR_INTERNAL);

    /* put, then flush, then B's memory holds the bytes. */
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(put_sizes); i++) {
        size_t n = put_sizes[i];
        uint64_t off = 4096 * i + 3; /* unaligned on purpose */

        fill(src, n, (unsigned)i + 1);
        rc = put_flush(src, n, off);
        atomic_thread_fence(memory_order_seq_cst);
        tpt_ok(rc == 0 && memcmp(mem_b + off, src, n) == 0, "put %zu bytes at offset %" PRIu64
               " then flush: target holds them (%s)", n, off, praas_err_name(rc));
    }

    /* get: B's bytes arrive in A's buffer at local completion. */
    fill(mem_b + BIG, BIG, 77);
    atomic_thread_fence(memory_order_seq_cst);
    memset(dst, 0, BIG);
    tp_comp_init(&comp);
    rc = tp_get(ctx_a, 1, dst, BIG, rkey_b, BIG, &comp);
    if (rc == 0)
        rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0 && memcmp(dst, mem_b + BIG, BIG) == 0, "get 1 MiB: bytes match (%s)",
           praas_err_name(rc));
    memset(dst, 0, 16);
    tp_comp_init(&comp);
    rc = tp_get(ctx_a, 1, dst, 5, rkey_b, BIG + 11, &comp);
    if (rc == 0)
        rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0 && memcmp(dst, mem_b + BIG + 11, 5) == 0 && dst[5] == 0,
           "get 5 bytes at an odd offset: bytes match, nothing beyond (%s)", praas_err_name(rc));

    /* Local completion: a batch of gets under one tp_comp. */
    {
        enum { N = 16 };
        uint64_t vals[N];
        int good = 1;

        for (int i = 0; i < N; i++) {
            uint64_t v = 0x1111111111111111ull * (uint64_t)(i + 1);
            memcpy(mem_b + 2 * BIG + 8 * i, &v, 8);
            vals[i] = 0;
        }
        atomic_thread_fence(memory_order_seq_cst);
        tp_comp_init(&comp);
        rc = 0;
        for (int i = 0; i < N && rc == 0; i++)
            rc = tp_get(ctx_a, 1, &vals[i], 8, rkey_b, 2 * BIG + 8 * (uint64_t)i, &comp);
        if (rc == 0)
            rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
        for (int i = 0; i < N; i++)
            good &= vals[i] == 0x1111111111111111ull * (uint64_t)(i + 1);
        tpt_ok(rc == 0 && good && atomic_load(&comp.pending) == 0,
               "tp_comp_wait: %d gets complete locally with the right values (%s)", N,
               praas_err_name(rc));
    }

    /* Atomics, every op at both widths (12 each). */
    check_atomics(4);
    check_atomics(8);

    /* Out of range: an error naming the numbers, and nothing written. */
    fill(src, 64, 9);
    rc = put_flush(src, 8, 0); /* make sure the pipe is idle before the snapshot */
    memcpy(snap, mem_b + OOR_OFF, 4096);
    rc = tp_put(ctx_a, 1, src, 8, rkey_b, REGION - 4, NULL);
    tpt_ok(rc == PRAAS_ERR_RANGE && strstr(praas_errmsg(), "4") != NULL,
           "put 8 bytes at region end - 4: PRAAS_ERR_RANGE (%s: %s)", praas_err_name(rc),
           praas_errmsg());
    rc = tp_put(ctx_a, 1, src, 1, rkey_b, (uint64_t)REGION + 100, NULL);
    tpt_ok(rc == PRAAS_ERR_RANGE, "put at offset past the region: PRAAS_ERR_RANGE (%s)",
           praas_err_name(rc));
    rc = tp_put(ctx_a, 1, src, SIZE_MAX, rkey_b, 16, NULL);
    tpt_ok(rc == PRAAS_ERR_RANGE,
           "put of SIZE_MAX bytes (offset + len wraps): PRAAS_ERR_RANGE (%s)", praas_err_name(rc));
    rc = tp_get(ctx_a, 1, dst, 4097, rkey_b, OOR_OFF, NULL);
    tpt_ok(rc == PRAAS_ERR_RANGE, "get one byte too many: PRAAS_ERR_RANGE (%s)",
           praas_err_name(rc));
    rc = tp_atomic(ctx_a, 1, TP_AOP_ADD, 8, 1, 0, NULL, rkey_b, REGION - 4, NULL);
    tpt_ok(rc == PRAAS_ERR_RANGE, "8-byte atomic at region end - 4: PRAAS_ERR_RANGE (%s)",
           praas_err_name(rc));
    rc = tp_flush(ctx_a, 1, TPT_TIMEOUT_MS);
    atomic_thread_fence(memory_order_seq_cst);
    tpt_ok(rc == 0 && memcmp(snap, mem_b + OOR_OFF, 4096) == 0,
           "after the refused operations and a flush, the region's end is unchanged");

    /* Keys that are not keys. */
    {
        unsigned char *bad = malloc(blob_len);
        tp_rkey_t *rk = NULL;

        memcpy(bad, blob, blob_len);
        for (int i = 0; i < 4; i++)
            bad[i] ^= 0x5a;
        rc = tp_rkey_unpack(ctx_a, 1, bad, blob_len, &rk);
        tpt_ok(rc == PRAAS_ERR_PROTOCOL && rk == NULL,
               "rkey blob with a corrupt header: PRAAS_ERR_PROTOCOL (%s: %s)", praas_err_name(rc),
               praas_errmsg());
        rc = tp_rkey_unpack(ctx_a, 1, blob, 3, &rk);
        tpt_ok(rc == PRAAS_ERR_PROTOCOL && rk == NULL,
               "rkey blob truncated to 3 bytes: PRAAS_ERR_PROTOCOL (%s)", praas_err_name(rc));
        free(bad);
    }

    /* A context talks to itself. */
    fill(src, 4096, 21);
    {
        tp_comp_t c;

        tp_comp_init(&c);
        rc = tp_put(ctx_a, 0, src, 4096, rkey_self, 8, &c);
        if (rc == 0)
            rc = tp_comp_wait(ctx_a, &c, TPT_TIMEOUT_MS);
        if (rc == 0)
            rc = tp_flush(ctx_a, 0, TPT_TIMEOUT_MS);
        atomic_thread_fence(memory_order_seq_cst);
        tpt_ok(rc == 0 && memcmp(mem_a + 8, src, 4096) == 0, "put to self then flush (%s)",
               praas_err_name(rc));
    }

    /* Active message with a header and a 1 MiB payload. */
    {
        unsigned char hdr[TP_AM_MAX_HDR];

        fill(hdr, sizeof(hdr), 5);
        fill(src, BIG, 6);
        rc = tp_am_send(ctx_a, 1, AM_BIG, hdr, sizeof(hdr), src, BIG);
        /* The copy is made: scribbling on the buffers must not matter. */
        memset(src, 0, BIG);
        memset(hdr, 0, sizeof(hdr));
        fill(dst, BIG, 6);
        fill(hdr, sizeof(hdr), 5);
        int arrived = rc == 0 && tpt_wait_flag(ctx_a, &got_big.done, 1);
        tpt_ok(arrived && got_big.src == 0 && got_big.hdr_len == sizeof(hdr) &&
                   memcmp(got_big.hdr, hdr, sizeof(hdr)) == 0 && got_big.len == BIG &&
                   got_big.payload && memcmp(got_big.payload, dst, BIG) == 0,
               "AM with a %zu-byte header and 1 MiB payload arrives intact from rank 0 (%s, "
               "arrived %d, src %d, len %zu)",
               sizeof(hdr), praas_err_name(rc), arrived, got_big.src, got_big.len);
        free(got_big.payload);
    }

    /* An AM sent from inside a handler (B replies to A's ping). */
    {
        uint64_t v = 0x0123456789abcdefull;

        rc = tp_am_send(ctx_a, 1, AM_PING, "hello", 5, &v, sizeof(v));
        int arrived = rc == 0 && tpt_wait_flag(ctx_a, &got_pong.done, 1);
        tpt_ok(arrived && atomic_load(&ping_send_rc) == 0 && got_pong.src == 1 &&
                   strcmp(got_pong.hdr, "pong to 0: hello") == 0 && got_pong.len == 8 &&
                   got_pong.payload == v,
               "AM reply sent from a handler arrives (%s, \"%s\", src %d)", praas_err_name(rc),
               got_pong.hdr, got_pong.src);
    }

    /* Order: large and small messages interleaved are delivered in the
     * order they were sent. */
    {
        static const size_t sizes[NORDER] = {BIG, 0, 16, BIG / 2, 3, 65536};
        unsigned char *pl = malloc(BIG);
        int in_order = 1;

        rc = 0;
        for (int i = 0; i < NORDER && rc == 0; i++) {
            for (size_t k = 0; k < sizes[i]; k++)
                pl[k] = (unsigned char)(i + k);
            rc = tp_am_send(ctx_a, 1, AM_ORDER, &i, sizeof(i), pl, sizes[i]);
        }
        int arrived = rc == 0 && tpt_wait_flag(ctx_a, &order_count, NORDER);
        for (int i = 0; i < NORDER; i++)
            in_order &= order_seen[i] == i;
        tpt_ok(arrived && in_order && order_ok_bytes,
               "%d AMs of mixed sizes (up to 1 MiB) to one peer arrive in order, intact "
               "(%s, got %d: %d %d %d %d %d %d)",
               NORDER, praas_err_name(rc), atomic_load(&order_count), order_seen[0],
               order_seen[1], order_seen[2], order_seen[3], order_seen[4], order_seen[5]);
        free(pl);
    }

    /* The wait fd, where the backend has one. */
    {
        int fd = -1;

        rc = tp_wait_fd(ctx_a, &fd);
        tpt_ok((rc == 0 && fd >= 0) || rc == PRAAS_ERR_NOT_SUPPORTED, "tp_wait_fd: %s, fd %d",
               praas_err_name(rc), fd);
        do {
            while (tp_progress(ctx_a) > 0)
                ;
            rc = tp_wait_arm(ctx_a);
        } while (rc == PRAAS_ERR_AGAIN);
        tpt_ok(rc == 0 || rc == PRAAS_ERR_NOT_SUPPORTED, "tp_wait_arm after progress: %s",
               praas_err_name(rc));
        /* Armed and idle, A sleeps on the fd; a message from B wakes it. */
        if (rc == 0 && fd >= 0) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            uint64_t v = 42;
            int n;

            atomic_store(&got_pong.done, 0);
            rc = tp_am_send(ctx_b, 0, AM_PONG, "wake", 4, &v, sizeof(v));
            n = poll(&pfd, 1, TPT_TIMEOUT_MS);
            int arrived = tpt_wait_flag(ctx_a, &got_pong.done, 1);
            tpt_ok(rc == 0 && n == 1 && arrived && strcmp(got_pong.hdr, "wake") == 0,
                   "an AM wakes a thread sleeping on the armed wait fd (%s, poll %d)",
                   praas_err_name(rc), n);
        } else {
            tpt_ok(1, "# SKIP no wait fd on this transport");
        }
    }

    /* A flush with nothing outstanding, to everyone. */
    rc = tp_flush(ctx_a, -1, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0, "flush to all peers (%s)", praas_err_name(rc));

    /* A closes while B still progresses, as a live peer would; then B,
     * whose peer is gone. B's registration is left for close() to free. */
    {
        uint64_t t0 = core_now_ns(), t1;

        tp_rkey_release(ctx_a, rkey_b);
        tp_rkey_release(ctx_a, rkey_self);
        tp_mr_dereg(ctx_a, mr_a);
        tp_close(ctx_a);
        t1 = core_now_ns();
        atomic_store(&tpt_stop_progress, 1);
        pthread_join(thread, NULL);
        tp_close(ctx_b);
        tpt_ok(1, "close both contexts (A %.0f ms, B %.0f ms)", (double)(t1 - t0) / 1e6,
               (double)(core_now_ns() - t1) / 1e6);
    }
    (void)mr_b;

    free(blob);
    free(addrs[0]);
    free(addrs[1]);
    free(mem_a);
    free(mem_b);
    free(src);
    free(dst);
    free(snap);
    return tpt_exit(NTESTS);
}
