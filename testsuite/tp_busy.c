/*
 * The asynchronous progress engine at work (DESIGN.md decision 2): rank 1
 * sits in a compute loop that never calls the library, waiting for a flag
 * in its registered memory; rank 0 puts, gets and runs atomics on rank 1's
 * memory, checks the results, and only then sets the flag with a put. If
 * any of those needed rank 1 to call praas, rank 0 would time out and rank
 * 1 would leave its loop on its own deadline, and the test fails.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "praas.h"
#include "testsuite/lib/tap.h"
#include "transport/transport.h"

#define REGION 65536
#define KEY_MAX 1024
#define FLAG_OFF 0
#define DATA_OFF 4096
#define COUNTER_OFF 64
#define BUSY_LIMIT_MS 20000
#define OP_TIMEOUT_MS 15000

int main(void)
{
    unsigned char mine[KEY_MAX], keys[2 * KEY_MAX];
    size_t len = KEY_MAX - 4;
    unsigned char *region;
    tp_rkey_t *rkey = NULL;
    int rank, size, rc;
    tp_ctx_t *tp;
    tp_mr_t *mr;

    rc = praas_init();
    if (rc) {
        fprintf(stderr, "praas_init: %s\n", praas_errmsg());
        return 1;
    }
    praas_rank(&rank);
    praas_size(&size);
    if (size != 2) {
        if (rank == 0)
            tap_skip_all("needs exactly 2 workers");
        praas_finalize();
        return 0;
    }
    tp = core_tp();
    region = aligned_alloc(4096, REGION);
    memset(region, 0, REGION);
    for (int i = 0; i < 4096; i++)
        region[DATA_OFF + i] = (unsigned char)(i * 7 + rank);
    if (tp_mr_reg(tp, region, REGION, &mr) || tp_mr_pack(tp, mr, mine + 4, &len)) {
        fprintf(stderr, "rank %d: registration: %s\n", rank, praas_errmsg());
        return 1;
    }
    memcpy(mine, &(uint32_t){(uint32_t)len}, 4);
    if (core_exchange(mine, KEY_MAX, keys, OP_TIMEOUT_MS))
        return 1;
    if (rank == 0) {
        uint32_t klen;
        memcpy(&klen, keys + KEY_MAX, 4);
        if (tp_rkey_unpack(tp, 1, keys + KEY_MAX + 4, klen, &rkey))
            return 1;
    }
    core_barrier(OP_TIMEOUT_MS);

    if (rank == 1) {
        /* The busy target: plain loads, no praas call, until the flag. */
        volatile uint64_t *flag = (volatile uint64_t *)(region + FLAG_OFF);
        uint64_t deadline = core_deadline(BUSY_LIMIT_MS), spins = 0;
        int timed_out = 0;
        while (*flag == 0) {
            if ((++spins & 0xfffff) == 0 && core_expired(deadline)) {
                timed_out = 1;
                break;
            }
        }
        unsigned char verdict[2] = {(unsigned char)!timed_out, 0};
        uint64_t counter;
        memcpy(&counter, region + COUNTER_OFF, 8);
        verdict[1] = counter == 42 && region[DATA_OFF + 10] == 0xab;
        unsigned char all[4];
        core_exchange(verdict, 2, all, OP_TIMEOUT_MS);
    } else {
        unsigned char put_buf[256], get_buf[4096];
        uint64_t old = 1, one = 1;
        tp_comp_t comp;
        int ok_put, ok_get, ok_amo, ok_flag;

        tap_plan(6);
        memset(put_buf, 0xab, sizeof(put_buf));
        tp_comp_init(&comp);
        rc = tp_put(tp, 1, put_buf, sizeof(put_buf), rkey, DATA_OFF, &comp);
        if (!rc)
            rc = tp_flush(tp, 1, OP_TIMEOUT_MS);
        ok_put = tap_ok(rc == 0, "put + flush completes while the target computes (%s)",
                        rc ? praas_errmsg() : praas_transport_name());

        tp_comp_init(&comp);
        rc = tp_get(tp, 1, get_buf, sizeof(get_buf), rkey, DATA_OFF, &comp);
        if (!rc)
            rc = tp_comp_wait(tp, &comp, OP_TIMEOUT_MS);
        ok_get = rc == 0 && get_buf[0] == 0xab && get_buf[255] == 0xab &&
                 get_buf[256] == (unsigned char)(256 * 7 + 1);
        tap_ok(ok_get, "get completes while the target computes, and reads the put's bytes");

        tp_comp_init(&comp);
        rc = tp_atomic(tp, 1, TP_AOP_ADD, 8, 42, 0, &old, rkey, COUNTER_OFF, &comp);
        if (!rc)
            rc = tp_comp_wait(tp, &comp, OP_TIMEOUT_MS);
        if (!rc)
            rc = tp_flush(tp, 1, OP_TIMEOUT_MS);
        ok_amo = tap_ok(rc == 0 && old == 0,
                        "fetch-add completes while the target computes (old value %" PRIu64 ")",
                        old);

        tp_comp_init(&comp);
        rc = tp_put(tp, 1, &one, 8, rkey, FLAG_OFF, &comp);
        if (!rc)
            rc = tp_flush(tp, 1, OP_TIMEOUT_MS);
        ok_flag = rc == 0;
        tap_ok(ok_flag, "flag put releases the target");
        unsigned char verdict[2] = {1, 1}, all[4];
        rc = core_exchange(verdict, 2, all, OP_TIMEOUT_MS);
        tap_ok(rc == 0 && all[2] == 1,
               "the target was still in its loop when the operations completed");
        tap_ok(rc == 0 && all[3] == 1 && ok_put && ok_amo,
               "the target sees the put's bytes and the atomic's sum in its memory");
        tp_rkey_release(tp, rkey);
    }
    core_barrier(OP_TIMEOUT_MS);
    tp_mr_dereg(tp, mr);
    free(region);
    rc = praas_finalize();
    return rank == 0 ? tap_exit() : rc != 0;
}
