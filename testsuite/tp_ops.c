/*
 * Every transport operation between the workers of a launched run, with
 * the bytes and values checked at the target: put and get at several sizes
 * around a ring, every remote atomic at 32 and 64 bits from all ranks at
 * once, active messages with large payloads and replies sent from a
 * handler, and the range check. Rank 0 prints TAP; each check is the AND
 * of all ranks' local results.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "praas.h"
#include "testsuite/lib/tap.h"
#include "transport/transport.h"

#define MIB (1u << 20)
#define PUT_AREA 0
#define GET_AREA MIB
#define AMO_AREA (2 * MIB)
#define REGION (2 * MIB + 4096)
#define KEY_MAX 1024
#define TIMEOUT_MS 60000

enum {
    AMO_FADD64 = 0,
    AMO_FADD32 = 8,
    AMO_CSWAP64 = 16,
    AMO_OR64 = 24,
    AMO_AND64 = 32,
    AMO_XOR64 = 40,
    AMO_OR32 = 48,
    AMO_SWAP64 = 56,
    AMO_CSWAP32 = 64,
    AMO_AND32 = 72,
};

static int rank, size;
static tp_ctx_t *tp;
static unsigned char *region;
static tp_rkey_t **rkeys;

static uint8_t pattern(size_t i, int r)
{
    return (uint8_t)(i * 131u + (unsigned)r * 17u + 7u);
}

/* Every rank's verdict on one check; rank 0 prints it. */
static int check_all(int ok, const char *what)
{
    unsigned char mine = (unsigned char)ok, *all = malloc((size_t)size);
    int every = 1, rc;

    rc = core_exchange(&mine, 1, all, TIMEOUT_MS);
    if (rc) {
        fprintf(stderr, "rank %d: exchange failed: %s\n", rank, praas_errmsg());
        exit(2);
    }
    for (int r = 0; r < size; r++)
        if (!all[r]) {
            every = 0;
            if (rank == 0)
                tap_diag("rank %d failed: %s", r, what);
        }
    free(all);
    if (rank == 0)
        tap_ok(every, "%s (%d workers, %s)", what, size, praas_transport_name());
    return every;
}

static int report(int rc, const char *what)
{
    if (rc)
        fprintf(stderr, "rank %d: %s: %s (%s)\n", rank, what, praas_strerror(rc),
                praas_errmsg());
    return rc == 0;
}

static void test_put(size_t len)
{
    int right = (rank + 1) % size, left = (rank + size - 1) % size, ok = 1;
    unsigned char *src = malloc(len);
    char what[64];
    tp_comp_t comp;

    for (size_t i = 0; i < len; i++)
        src[i] = pattern(i, rank);
    memset(region + PUT_AREA, 0, MIB);
    core_barrier(TIMEOUT_MS);
    tp_comp_init(&comp);
    ok &= report(tp_put(tp, right, src, len, rkeys[right], PUT_AREA, &comp), "put");
    ok &= report(tp_comp_wait(tp, &comp, TIMEOUT_MS), "put local completion");
    ok &= report(tp_flush(tp, right, TIMEOUT_MS), "flush");
    core_barrier(TIMEOUT_MS);
    for (size_t i = 0; i < len && ok; i++)
        if (region[PUT_AREA + i] != pattern(i, left)) {
            fprintf(stderr, "rank %d: put of %zu bytes: byte %zu is %u, expected %u\n", rank,
                    len, i, region[PUT_AREA + i], pattern(i, left));
            ok = 0;
        }
    /* Nothing past the end was touched. */
    if (ok && len < MIB && region[PUT_AREA + len] != 0)
        ok = 0;
    snprintf(what, sizeof(what), "put of %zu bytes to the right neighbour", len);
    check_all(ok, what);
    free(src);
}

static void test_get(size_t len)
{
    int right = (rank + 1) % size, ok = 1;
    unsigned char *dst = calloc(1, len);
    char what[64];
    tp_comp_t comp;

    tp_comp_init(&comp);
    ok &= report(tp_get(tp, right, dst, len, rkeys[right], GET_AREA, &comp), "get");
    ok &= report(tp_comp_wait(tp, &comp, TIMEOUT_MS), "get completion");
    for (size_t i = 0; i < len && ok; i++)
        if (dst[i] != pattern(i, right + 100)) {
            fprintf(stderr, "rank %d: get of %zu bytes: byte %zu is %u, expected %u\n", rank,
                    len, i, dst[i], pattern(i, right + 100));
            ok = 0;
        }
    snprintf(what, sizeof(what), "get of %zu bytes from the right neighbour", len);
    check_all(ok, what);
    free(dst);
}

static uint64_t amo64(size_t off)
{
    uint64_t v;
    memcpy(&v, region + AMO_AREA + off, 8);
    return v;
}

static uint32_t amo32(size_t off)
{
    uint32_t v;
    memcpy(&v, region + AMO_AREA + off, 4);
    return v;
}

static int atomic_op(int peer, tp_aop_t op, size_t width, uint64_t operand, uint64_t compare,
                     void *result, size_t off)
{
    tp_comp_t comp;
    int rc;

    tp_comp_init(&comp);
    rc = tp_atomic(tp, peer, op, width, operand, compare, result, rkeys[peer], AMO_AREA + off,
                   &comp);
    if (!rc)
        rc = tp_comp_wait(tp, &comp, TIMEOUT_MS);
    if (!rc)
        rc = tp_flush(tp, peer, TIMEOUT_MS);
    return report(rc, "atomic");
}

static void test_atomics(void)
{
    uint64_t old64 = 0, all_ones = ~(uint64_t)0;
    uint32_t old32 = 0;
    int last = size - 1, right = (rank + 1) % size, left = (rank + size - 1) % size;
    int ok, won;

    memset(region + AMO_AREA, 0, 4096);
    memcpy(region + AMO_AREA + AMO_AND64, &all_ones, 8);
    memcpy(region + AMO_AREA + AMO_AND32, &all_ones, 4);
    {
        uint64_t mine = (uint64_t)rank + 1;
        memcpy(region + AMO_AREA + AMO_SWAP64, &mine, 8);
    }
    core_barrier(TIMEOUT_MS);

    ok = atomic_op(0, TP_AOP_ADD, 8, (uint64_t)rank + 1, 0, &old64, AMO_FADD64);
    ok &= old64 <= (uint64_t)size * (size + 1) / 2;
    ok &= atomic_op(0, TP_AOP_ADD, 4, (uint64_t)rank + 1, 0, &old32, AMO_FADD32);
    ok &= atomic_op(0, TP_AOP_OR, 8, (uint64_t)1 << rank, 0, NULL, AMO_OR64);
    ok &= atomic_op(0, TP_AOP_OR, 4, (uint64_t)1 << rank, 0, NULL, AMO_OR32);
    ok &= atomic_op(0, TP_AOP_AND, 8, ~((uint64_t)1 << rank), 0, &old64, AMO_AND64);
    ok &= atomic_op(0, TP_AOP_AND, 4, ~((uint64_t)1 << rank), 0, &old32, AMO_AND32);
    ok &= atomic_op(0, TP_AOP_XOR, 8, (uint64_t)0x5a << rank, 0, NULL, AMO_XOR64);
    ok &= atomic_op(0, TP_AOP_XOR, 8, (uint64_t)0x5a << rank, 0, NULL, AMO_XOR64);
    ok &= atomic_op(right, TP_AOP_SWAP, 8, ((uint64_t)rank + 1) * 1000, 0, &old64, AMO_SWAP64);
    ok &= old64 == (uint64_t)right + 1;
    core_barrier(TIMEOUT_MS);
    if (rank == 0) {
        uint64_t n = (uint64_t)size;
        ok &= amo64(AMO_FADD64) == n * (n + 1) / 2;
        ok &= amo32(AMO_FADD32) == (uint32_t)(n * (n + 1) / 2);
        ok &= amo64(AMO_OR64) == (((uint64_t)1 << size) - 1);
        ok &= amo32(AMO_OR32) == (uint32_t)(((uint64_t)1 << size) - 1);
        ok &= amo64(AMO_AND64) == ~(((uint64_t)1 << size) - 1);
        ok &= amo32(AMO_AND32) == (uint32_t) ~(((uint64_t)1 << size) - 1);
        ok &= amo64(AMO_XOR64) == 0;
        if (!ok)
            fprintf(stderr,
                    "rank 0: fadd64 %" PRIu64 " fadd32 %u or64 %" PRIx64 " or32 %x and64 %" PRIx64
                    " xor64 %" PRIx64 "\n",
                    amo64(AMO_FADD64), amo32(AMO_FADD32), amo64(AMO_OR64), amo32(AMO_OR32),
                    amo64(AMO_AND64), amo64(AMO_XOR64));
    }
    ok &= amo64(AMO_SWAP64) == ((uint64_t)left + 1) * 1000;
    check_all(ok, "fetch-add, or, and, xor (32 and 64 bit) from all ranks, swap around the ring");

    /* Compare-and-swap: every rank tries to install its id where 0 is
     * expected; exactly one wins, and the word holds the winner's id. */
    ok = atomic_op(last, TP_AOP_CSWAP, 8, (uint64_t)rank + 1, 0, &old64, AMO_CSWAP64);
    won = ok && old64 == 0;
    ok &= atomic_op(last, TP_AOP_CSWAP, 4, (uint64_t)rank + 1, 0, &old32, AMO_CSWAP32);
    {
        unsigned char mine[2] = {(unsigned char)won, (unsigned char)(old32 == 0)};
        unsigned char *all = malloc(2 * (size_t)size);
        int winners64 = 0, winners32 = 0;
        core_exchange(mine, 2, all, TIMEOUT_MS);
        for (int r = 0; r < size; r++) {
            winners64 += all[2 * r];
            winners32 += all[2 * r + 1];
        }
        free(all);
        ok &= winners64 == 1 && winners32 == 1;
        if (rank == last) {
            ok &= amo64(AMO_CSWAP64) >= 1 && amo64(AMO_CSWAP64) <= (uint64_t)size;
            ok &= amo32(AMO_CSWAP32) >= 1 && amo32(AMO_CSWAP32) <= (uint32_t)size;
        }
    }
    check_all(ok, "compare-and-swap (32 and 64 bit): exactly one winner");
}

/* ---- active messages ---- */

enum { AM_DATA = CORE_AM_FIRST_FREE, AM_REPLY };

typedef struct am_hdr {
    int32_t rank;
    uint32_t magic;
    uint64_t len;
} am_hdr_t;

static atomic_int am_got, am_replies;
static int am_ok = 1;

static void am_data_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                            const void *payload, size_t payload_len)
{
    const unsigned char *p = payload;
    am_hdr_t h;

    if (hdr_len != sizeof(h)) {
        am_ok = 0;
        goto out;
    }
    memcpy(&h, hdr, sizeof(h));
    if (h.rank != src || h.magic != 0xfeedbeef || h.len != payload_len)
        am_ok = 0;
    for (size_t i = 0; i < payload_len && am_ok; i++)
        if (p[i] != pattern(i, src))
            am_ok = 0;
    /* Reply from inside the handler: the header only, echoing the length. */
    h.rank = rank;
    if (tp_am_send(tp, src, AM_REPLY, &h, sizeof(h), NULL, 0))
        am_ok = 0;
out:
    atomic_fetch_add(&am_got, 1);
}

static void am_reply_handler(void *arg, int src, const void *hdr, size_t hdr_len,
                             const void *payload, size_t payload_len)
{
    am_hdr_t h;

    memcpy(&h, hdr, sizeof(h));
    if (hdr_len != sizeof(h) || h.rank != src || payload_len != 0)
        am_ok = 0;
    atomic_fetch_add(&am_replies, 1);
}

static int wait_count(atomic_int *c, int n)
{
    uint64_t deadline = core_deadline(TIMEOUT_MS);

    while (atomic_load(c) < n) {
        tp_progress(tp);
        if (core_expired(deadline))
            return 0;
    }
    return 1;
}

static void test_am(size_t len)
{
    int right = (rank + 1) % size, ok = 1;
    unsigned char *buf = malloc(len ? len : 1);
    am_hdr_t h = {.rank = rank, .magic = 0xfeedbeef, .len = len};
    int before_got = atomic_load(&am_got), before_rep = atomic_load(&am_replies);
    char what[96];

    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i, rank);
    ok &= report(tp_am_send(tp, right, AM_DATA, &h, sizeof(h), buf, len), "am_send");
    /* The buffer may be reused at once: scribble on it. */
    memset(buf, 0xee, len);
    ok &= wait_count(&am_got, before_got + 1);
    ok &= wait_count(&am_replies, before_rep + 1);
    ok &= am_ok;
    snprintf(what, sizeof(what), "active message with a %zu-byte payload, reply from the handler",
             len);
    check_all(ok, what);
    free(buf);
}

static void test_range(void)
{
    unsigned char b[16] = {0};
    int right = (rank + 1) % size, rc;
    tp_comp_t comp;

    tp_comp_init(&comp);
    memset(region + REGION - 16, 0x33, 16);
    core_barrier(TIMEOUT_MS);
    rc = tp_put(tp, right, b, 16, rkeys[right], REGION - 8, &comp);
    tp_flush(tp, right, TIMEOUT_MS);
    core_barrier(TIMEOUT_MS);
    check_all(rc == PRAAS_ERR_RANGE && region[REGION - 16] == 0x33 && region[REGION - 1] == 0x33,
              "put past the end of a region fails with PRAAS_ERR_RANGE and changes nothing");
    rc = tp_atomic(tp, right, TP_AOP_ADD, 8, 1, 0, NULL, rkeys[right], REGION, &comp);
    check_all(rc == PRAAS_ERR_RANGE, "atomic past the end fails with PRAAS_ERR_RANGE");
}

int main(void)
{
    unsigned char mine[KEY_MAX], *keys;
    size_t len = KEY_MAX - 4;
    tp_mr_t *mr;
    int rc;

    rc = praas_init();
    if (rc) {
        fprintf(stderr, "praas_init: %s: %s\n", praas_strerror(rc), praas_errmsg());
        return 1;
    }
    praas_rank(&rank);
    praas_size(&size);
    tp = core_tp();
    region = aligned_alloc(4096, REGION);
    memset(region, 0, REGION);
    for (size_t i = 0; i < MIB; i++)
        region[GET_AREA + i] = pattern(i, rank + 100);
    if (!report(tp_mr_reg(tp, region, REGION, &mr), "mr_reg") ||
        !report(tp_mr_pack(tp, mr, mine + 4, &len), "mr_pack"))
        return 1;
    memcpy(mine, &(uint32_t){(uint32_t)len}, 4);
    keys = malloc((size_t)size * KEY_MAX);
    rkeys = calloc((size_t)size, sizeof(*rkeys));
    if (!report(core_exchange(mine, KEY_MAX, keys, TIMEOUT_MS), "key exchange"))
        return 1;
    for (int r = 0; r < size; r++) {
        uint32_t klen;
        memcpy(&klen, keys + (size_t)r * KEY_MAX, 4);
        if (!report(tp_rkey_unpack(tp, r, keys + (size_t)r * KEY_MAX + 4, klen, &rkeys[r]),
                    "rkey_unpack"))
            return 1;
    }
    tp_am_register(tp, AM_DATA, am_data_handler, NULL);
    tp_am_register(tp, AM_REPLY, am_reply_handler, NULL);
    core_barrier(TIMEOUT_MS);

    test_put(1);
    test_put(8);
    test_put(4096);
    test_put(MIB);
    test_get(8);
    test_get(4096);
    test_get(MIB);
    test_atomics();
    test_am(0);
    test_am(100);
    test_am(MIB);
    test_range();

    core_barrier(TIMEOUT_MS);
    for (int r = 0; r < size; r++)
        tp_rkey_release(tp, rkeys[r]);
    tp_mr_dereg(tp, mr);
    rc = praas_finalize();
    if (rank == 0) {
        tap_ok(rc == 0, "praas_finalize");
        tap_no_plan_end();
    } else if (rc) {
        fprintf(stderr, "rank %d: praas_finalize: %s\n", rank, praas_errmsg());
    }
    free(keys);
    free(rkeys);
    free(region);
    return tap_exit();
}
