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
#include "testsuite/lib/launched.h"
#include "transport/transport.h"

#define MIB (1u << 20)
#define PUT_AREA 0
#define GET_AREA MIB
#define AMO_AREA (2 * MIB)
#define REGION (2 * MIB + 4096)
#define KEY_MAX 1024

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

static tp_ctx_t *tp;
static unsigned char *region;
static tp_rkey_t **rkeys;

static uint8_t pattern(size_t i, int r)
{
    return (uint8_t)(i * 131u + (unsigned)r * 17u + 7u);
}

static void test_put(size_t len)
{
    int right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size, ok = 1;
    unsigned char *src = malloc(len);
    tp_comp_t comp;

    for (size_t i = 0; i < len; i++)
        src[i] = pattern(i, lt_rank);
    memset(region + PUT_AREA, 0, MIB);
    core_barrier(LT_TIMEOUT_MS);
    tp_comp_init(&comp);
    ok &= lt_report(tp_put(tp, right, src, len, rkeys[right], PUT_AREA, &comp), "put");
    ok &= lt_report(tp_comp_wait(tp, &comp, LT_TIMEOUT_MS), "put local completion");
    ok &= lt_report(tp_flush(tp, right, LT_TIMEOUT_MS), "flush");
    core_barrier(LT_TIMEOUT_MS);
    for (size_t i = 0; i < len && ok; i++)
        if (region[PUT_AREA + i] != pattern(i, left)) {
            fprintf(stderr, "lt_rank %d: put of %zu bytes: byte %zu is %u, expected %u\n", lt_rank,
                    len, i, region[PUT_AREA + i], pattern(i, left));
            ok = 0;
        }
    /* Nothing past the end was touched. */
    if (ok && len < MIB && region[PUT_AREA + len] != 0)
        ok = 0;
    lt_check(ok, "put of %zu bytes to the right neighbour", len);
    free(src);
}

static void test_get(size_t len)
{
    int right = (lt_rank + 1) % lt_size, ok = 1;
    unsigned char *dst = calloc(1, len);
    tp_comp_t comp;

    tp_comp_init(&comp);
    ok &= lt_report(tp_get(tp, right, dst, len, rkeys[right], GET_AREA, &comp), "get");
    ok &= lt_report(tp_comp_wait(tp, &comp, LT_TIMEOUT_MS), "get completion");
    for (size_t i = 0; i < len && ok; i++)
        if (dst[i] != pattern(i, right + 100)) {
            fprintf(stderr, "lt_rank %d: get of %zu bytes: byte %zu is %u, expected %u\n", lt_rank,
                    len, i, dst[i], pattern(i, right + 100));
            ok = 0;
        }
    lt_check(ok, "get of %zu bytes from the right neighbour", len);
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
        rc = tp_comp_wait(tp, &comp, LT_TIMEOUT_MS);
    if (!rc)
        rc = tp_flush(tp, peer, LT_TIMEOUT_MS);
    return lt_report(rc, "atomic");
}

static void test_atomics(void)
{
    uint64_t old64 = 0, all_ones = ~(uint64_t)0;
    uint32_t old32 = 0;
    int last = lt_size - 1, right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size;
    int ok, won;

    memset(region + AMO_AREA, 0, 4096);
    memcpy(region + AMO_AREA + AMO_AND64, &all_ones, 8);
    memcpy(region + AMO_AREA + AMO_AND32, &all_ones, 4);
    {
        uint64_t mine = (uint64_t)lt_rank + 1;
        memcpy(region + AMO_AREA + AMO_SWAP64, &mine, 8);
    }
    core_barrier(LT_TIMEOUT_MS);

    ok = atomic_op(0, TP_AOP_ADD, 8, (uint64_t)lt_rank + 1, 0, &old64, AMO_FADD64);
    ok &= old64 <= (uint64_t)lt_size * (lt_size + 1) / 2;
    ok &= atomic_op(0, TP_AOP_ADD, 4, (uint64_t)lt_rank + 1, 0, &old32, AMO_FADD32);
    ok &= atomic_op(0, TP_AOP_OR, 8, (uint64_t)1 << lt_rank, 0, NULL, AMO_OR64);
    ok &= atomic_op(0, TP_AOP_OR, 4, (uint64_t)1 << lt_rank, 0, NULL, AMO_OR32);
    ok &= atomic_op(0, TP_AOP_AND, 8, ~((uint64_t)1 << lt_rank), 0, &old64, AMO_AND64);
    ok &= atomic_op(0, TP_AOP_AND, 4, ~((uint64_t)1 << lt_rank), 0, &old32, AMO_AND32);
    ok &= atomic_op(0, TP_AOP_XOR, 8, (uint64_t)0x5a << lt_rank, 0, NULL, AMO_XOR64);
    ok &= atomic_op(0, TP_AOP_XOR, 8, (uint64_t)0x5a << lt_rank, 0, NULL, AMO_XOR64);
    ok &= atomic_op(right, TP_AOP_SWAP, 8, ((uint64_t)lt_rank + 1) * 1000, 0, &old64, AMO_SWAP64);
    ok &= old64 == (uint64_t)right + 1;
    core_barrier(LT_TIMEOUT_MS);
    if (lt_rank == 0) {
        uint64_t n = (uint64_t)lt_size;
        ok &= amo64(AMO_FADD64) == n * (n + 1) / 2;
        ok &= amo32(AMO_FADD32) == (uint32_t)(n * (n + 1) / 2);
        ok &= amo64(AMO_OR64) == (((uint64_t)1 << lt_size) - 1);
        ok &= amo32(AMO_OR32) == (uint32_t)(((uint64_t)1 << lt_size) - 1);
        ok &= amo64(AMO_AND64) == ~(((uint64_t)1 << lt_size) - 1);
        ok &= amo32(AMO_AND32) == (uint32_t) ~(((uint64_t)1 << lt_size) - 1);
        ok &= amo64(AMO_XOR64) == 0;
        if (!ok)
            fprintf(stderr,
                    "lt_rank 0: fadd64 %" PRIu64 " fadd32 %u or64 %" PRIx64 " or32 %x and64 %" PRIx64
                    " xor64 %" PRIx64 "\n",
                    amo64(AMO_FADD64), amo32(AMO_FADD32), amo64(AMO_OR64), amo32(AMO_OR32),
                    amo64(AMO_AND64), amo64(AMO_XOR64));
    }
    ok &= amo64(AMO_SWAP64) == ((uint64_t)left + 1) * 1000;
    lt_check(ok, "fetch-add, or, and, xor (32 and 64 bit) from all ranks, swap around the ring");

    /* Compare-and-swap: every lt_rank tries to install its id where 0 is
     * expected; exactly one wins, and the word holds the winner's id. */
    ok = atomic_op(last, TP_AOP_CSWAP, 8, (uint64_t)lt_rank + 1, 0, &old64, AMO_CSWAP64);
    won = ok && old64 == 0;
    ok &= atomic_op(last, TP_AOP_CSWAP, 4, (uint64_t)lt_rank + 1, 0, &old32, AMO_CSWAP32);
    {
        unsigned char mine[2] = {(unsigned char)won, (unsigned char)(old32 == 0)};
        unsigned char *all = malloc(2 * (size_t)lt_size);
        int winners64 = 0, winners32 = 0;
        core_exchange(mine, 2, all, LT_TIMEOUT_MS);
        for (int r = 0; r < lt_size; r++) {
            winners64 += all[2 * r];
            winners32 += all[2 * r + 1];
        }
        free(all);
        ok &= winners64 == 1 && winners32 == 1;
        if (lt_rank == last) {
            ok &= amo64(AMO_CSWAP64) >= 1 && amo64(AMO_CSWAP64) <= (uint64_t)lt_size;
            ok &= amo32(AMO_CSWAP32) >= 1 && amo32(AMO_CSWAP32) <= (uint32_t)lt_size;
        }
    }
    lt_check(ok, "compare-and-swap (32 and 64 bit): exactly one winner");
}

/* ---- active messages ---- */

enum { AM_DATA = CORE_AM_FIRST_FREE, AM_REPLY };

typedef struct am_hdr {
    int32_t lt_rank;
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
    if (h.lt_rank != src || h.magic != 0xfeedbeef || h.len != payload_len)
        am_ok = 0;
    for (size_t i = 0; i < payload_len && am_ok; i++)
        if (p[i] != pattern(i, src))
            am_ok = 0;
    /* Reply from inside the handler: the header only, echoing the length. */
    h.lt_rank = lt_rank;
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
    if (hdr_len != sizeof(h) || h.lt_rank != src || payload_len != 0)
        am_ok = 0;
    atomic_fetch_add(&am_replies, 1);
}

static int wait_count(atomic_int *c, int n)
{
    uint64_t deadline = core_deadline(LT_TIMEOUT_MS);

    while (atomic_load(c) < n) {
        tp_progress(tp);
        if (core_expired(deadline))
            return 0;
    }
    return 1;
}

static void test_am(size_t len)
{
    int right = (lt_rank + 1) % lt_size, ok = 1;
    unsigned char *buf = malloc(len ? len : 1);
    am_hdr_t h = {.lt_rank = lt_rank, .magic = 0xfeedbeef, .len = len};
    /* Each rank gets exactly one message and one reply per call; count
     * them cumulatively: reading the counters now would race with a left
     * neighbour that already sent this round's message. */
    static int rounds;
    int before_got = rounds, before_rep = rounds;

    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(i, lt_rank);
    ok &= lt_report(tp_am_send(tp, right, AM_DATA, &h, sizeof(h), buf, len), "am_send");
    /* The buffer may be reused at once: scribble on it. */
    memset(buf, 0xee, len);
    ok &= wait_count(&am_got, before_got + 1);
    ok &= wait_count(&am_replies, before_rep + 1);
    rounds++;
    ok &= am_ok;
    lt_check(ok, "active message with a %zu-byte payload, reply from the handler", len);
    free(buf);
}

static void test_range(void)
{
    unsigned char b[16] = {0};
    int right = (lt_rank + 1) % lt_size, rc;
    tp_comp_t comp;

    tp_comp_init(&comp);
    memset(region + REGION - 16, 0x33, 16);
    core_barrier(LT_TIMEOUT_MS);
    rc = tp_put(tp, right, b, 16, rkeys[right], REGION - 8, &comp);
    tp_flush(tp, right, LT_TIMEOUT_MS);
    core_barrier(LT_TIMEOUT_MS);
    lt_check(rc == PRAAS_ERR_RANGE && region[REGION - 16] == 0x33 && region[REGION - 1] == 0x33,
              "put past the end of a region fails with PRAAS_ERR_RANGE and changes nothing");
    rc = tp_atomic(tp, right, TP_AOP_ADD, 8, 1, 0, NULL, rkeys[right], REGION, &comp);
    lt_check(rc == PRAAS_ERR_RANGE, "atomic past the end fails with PRAAS_ERR_RANGE");
}

int main(void)
{
    unsigned char mine[KEY_MAX], *keys;
    size_t len = KEY_MAX - 4;
    tp_mr_t *mr;

    lt_init();
    tp = core_tp();
    region = aligned_alloc(4096, REGION);
    memset(region, 0, REGION);
    for (size_t i = 0; i < MIB; i++)
        region[GET_AREA + i] = pattern(i, lt_rank + 100);
    if (!lt_report(tp_mr_reg(tp, region, REGION, &mr), "mr_reg") ||
        !lt_report(tp_mr_pack(tp, mr, mine + 4, &len), "mr_pack"))
        return 1;
    memcpy(mine, &(uint32_t){(uint32_t)len}, 4);
    keys = malloc((size_t)lt_size * KEY_MAX);
    rkeys = calloc((size_t)lt_size, sizeof(*rkeys));
    if (!lt_report(core_exchange(mine, KEY_MAX, keys, LT_TIMEOUT_MS), "key exchange"))
        return 1;
    for (int r = 0; r < lt_size; r++) {
        uint32_t klen;
        memcpy(&klen, keys + (size_t)r * KEY_MAX, 4);
        if (!lt_report(tp_rkey_unpack(tp, r, keys + (size_t)r * KEY_MAX + 4, klen, &rkeys[r]),
                    "rkey_unpack"))
            return 1;
    }
    tp_am_register(tp, AM_DATA, am_data_handler, NULL);
    tp_am_register(tp, AM_REPLY, am_reply_handler, NULL);
    core_barrier(LT_TIMEOUT_MS);

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

    core_barrier(LT_TIMEOUT_MS);
    for (int r = 0; r < lt_size; r++)
        tp_rkey_release(tp, rkeys[r]);
    tp_mr_dereg(tp, mr);
    free(keys);
    free(rkeys);
    free(region);
    return lt_finish();
}
